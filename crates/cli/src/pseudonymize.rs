//! `datavisa twin pseudonymize`: flags → request → workspace → print; and the demo's
//! pseudonymize step.

use crate::front::{workspace, CliSecrets};
use crate::output::{heads, print_json, say, table};
use crate::{Format, OutputArgs, ReadArgs, VaultArgs};
use anyhow::Result;
use datavisa_workflow::i18n::Msg;
use datavisa_workflow::twins::{PseudonymizeRequest, TwinWritten};
use std::path::Path;

/// `datavisa twin pseudonymize`.
pub fn pseudonymize_cmd(
    (input, output): (&Path, &Path),
    recipient: &str,
    vault: &VaultArgs,
    (read, text): (&ReadArgs, &OutputArgs),
    format: Format,
    quiet: bool,
) -> Result<()> {
    let secrets = CliSecrets {
        master_key_file: vault.master_key_file.clone(),
        ..Default::default()
    };
    let req = PseudonymizeRequest {
        input: input.to_path_buf(),
        output: output.to_path_buf(),
        recipient: recipient.to_owned(),
        read: read.into(),
        output_format: text.into(),
    };
    let w = workspace(&vault.store, secrets, quiet)?.pseudonymize(&req)?;
    if format == Format::Json {
        return print_json(&w);
    }
    print_summary(&w);
    Ok(())
}

fn print_summary(w: &TwinWritten) {
    let m = &w.manifest;
    let columns = m.pseudonymized().map(|p| p.columns).unwrap_or_default();
    let rows: Vec<Vec<String>> = columns
        .iter()
        .map(|c| {
            let key = c
                .key
                .as_ref()
                .map_or(String::new(), |k| format!("{} v{}", k.domain, k.version));
            vec![
                c.column.clone(),
                c.method.clone(),
                key,
                c.decided_by.clone(),
                c.suppressed.to_string(),
            ]
        })
        .collect();
    print!(
        "{}",
        table(
            &heads(&[
                "column",
                "method",
                "key_domain_version",
                "decided_by",
                "suppressed"
            ]),
            &rows,
            40
        )
    );
    for c in &columns {
        if let Some(counts) = &c.redacted {
            say(redacted_msg(&c.column, counts));
        }
    }
    say(Msg::new("cli.pseudonymize.summary")
        .arg("id", m.twin_id.as_deref().unwrap_or(""))
        .arg(
            "recipient",
            m.pseudonymized()
                .map(|p| p.recipient)
                .unwrap_or_default()
                .to_string(),
        )
        .arg("rows", m.output.rows.unwrap_or(0).to_string())
        .arg("output", m.output.path.to_string())
        .arg("manifest", w.manifest_path.to_string()));
    crate::generalize::say_format(w);
}

/// What redaction replaced in one column: counts by kind, never the identifiers.
fn redacted_msg(column: &str, counts: &std::collections::BTreeMap<String, u64>) -> Msg {
    let total: u64 = counts.values().sum();
    if total == 0 {
        return Msg::new("cli.pseudonymize.redacted_none").arg("column", column);
    }
    let kinds: Vec<String> = counts.iter().map(|(k, n)| format!("{k} {n}")).collect();
    Msg::new("cli.pseudonymize.redacted")
        .arg("column", column)
        .arg("count", total.to_string())
        .arg("kinds", kinds.join(", "))
}
