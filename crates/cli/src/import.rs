//! `datavisa spec import-arx|import-sdv`.

use crate::front::local;
use crate::output::{heads, print_json, say, table, tell};
use crate::{Format, SpecCommand};
use anyhow::Result;
use datavisa_workflow::i18n::Msg;
use datavisa_workflow::import::{ArxImportRequest, Imported, Role, SdvImportRequest};

/// Runs a `spec` subcommand.
pub fn spec_cmd(c: SpecCommand, quiet: bool) -> Result<()> {
    let ws = local(quiet)?;
    let (imported, format) = match c {
        SpecCommand::ImportArx {
            dir,
            output,
            data,
            identifying,
            quasi,
            sensitive,
            insensitive,
            format,
        } => {
            let req = ArxImportRequest {
                dir,
                output,
                data,
                identifying,
                quasi,
                sensitive,
                insensitive,
            };
            (ws.import_arx(&req)?, format)
        }
        SpecCommand::ImportSdv {
            metadata,
            output,
            table,
            format,
        } => (
            ws.import_sdv(&SdvImportRequest {
                metadata,
                output,
                table,
            })?,
            format,
        ),
    };
    match format {
        Format::Json => print_json(&imported)?,
        Format::Human => print_columns(&imported),
    }
    for n in &imported.notes {
        tell(Msg::new("cli.import.note").arg("note", n.get(crate::front::lang())));
    }
    tell(
        Msg::new("cli.import.wrote")
            .arg("spec", imported.spec.display().to_string())
            .arg("columns", imported.columns.len().to_string())
            .arg("identifiers", imported.count(Role::Identifier).to_string())
            .arg("quasi", imported.count(Role::Quasi).to_string())
            .arg("sensitive", imported.count(Role::Sensitive).to_string()),
    );
    Ok(())
}

/// The imported columns as a table: role, type, hierarchy and what the source said.
fn print_columns(i: &Imported) {
    let dash = || "-".to_owned();
    let rows: Vec<Vec<String>> = i
        .columns
        .iter()
        .map(|c| {
            vec![
                c.name.clone(),
                c.role.map_or_else(dash, |r| r.as_str().to_owned()),
                c.value_type.map_or_else(dash, |t| t.as_str().to_owned()),
                c.hierarchy.clone().unwrap_or_else(dash),
                c.from.clone(),
            ]
        })
        .collect();
    print!(
        "{}",
        table(
            &heads(&["column", "role", "type", "hierarchy", "from"]),
            &rows,
            60
        )
    );
    say(Msg::new("cli.import.review").arg("spec", i.spec.display().to_string()));
}
