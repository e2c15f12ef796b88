//! `datavisa hierarchy build|show`.

use crate::front::local;
use crate::output::{heads, print_json, say, table};
use crate::{Format, HierarchyCommand};
use anyhow::Result;
use datavisa_workflow::hierarchy::{HierarchyBuildRequest, HierarchyShown};
use datavisa_workflow::i18n::Msg;

/// Runs a `hierarchy` subcommand.
pub fn hierarchy_cmd(c: HierarchyCommand, quiet: bool) -> Result<()> {
    let ws = local(quiet)?;
    let (shown, format, wrote) = match c {
        HierarchyCommand::Build {
            data,
            column,
            kind,
            widths,
            levels,
            keep,
            min_share,
            other,
            output,
            read,
            format,
        } => {
            let s = ws.build_hierarchy(&HierarchyBuildRequest {
                data,
                column,
                kind,
                widths,
                levels,
                keep,
                min_share,
                other,
                output: output.clone(),
                read: (&read).into(),
            })?;
            (s, format, Some(output))
        }
        HierarchyCommand::Show {
            file,
            column,
            data,
            read,
            format,
        } => {
            let read = (&read).into();
            let s = ws.show_hierarchy(&file, &column, data.as_deref().map(|d| (d, &read)))?;
            (s, format, None)
        }
    };
    match format {
        Format::Json => print_json(&shown)?,
        Format::Human => print_levels(&shown),
    }
    if let Some(o) = wrote {
        crate::output::tell(Msg::new("cli.wrote").arg("path", o.display().to_string()));
    }
    Ok(())
}

/// Each level as a table of nodes, values and rows.
fn print_levels(s: &HierarchyShown) {
    for (l, nodes) in s.levels.iter().enumerate() {
        say(Msg::new("cli.hierarchy.level")
            .arg("level", l.to_string())
            .arg("nodes", nodes.len().to_string()));
        let rows: Vec<Vec<String>> = nodes
            .iter()
            .take(30)
            .map(|n| {
                vec![
                    n.label.clone(),
                    n.values.to_string(),
                    n.rows.map_or("—".into(), |r| r.to_string()),
                ]
            })
            .collect();
        print!("{}", table(&heads(&["node", "values", "rows"]), &rows, 40));
    }
    for v in &s.missing_values {
        say(Msg::new("cli.hierarchy.missing").arg("value", format!("{v:?}")));
    }
}
