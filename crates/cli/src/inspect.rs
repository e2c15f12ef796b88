//! `datavisa inspect` and `datavisa scan`: flags → request → workspace → print.

use crate::front::local;
use crate::output::{code_cell, code_or, heads, list_arg, pct, say, table, tell};
use crate::{Format, ReadArgs};
use anyhow::Result;
use datavisa_workflow::i18n::Msg;
use datavisa_workflow::inspect::{InspectRequest, Inspection, ScanRequest};
use datavisa_workflow::words::code_msg;
use datavisa_workflow::ScanReport;
use std::path::Path;

/// `datavisa inspect`.
pub fn inspect_cmd(
    file: &Path,
    read: &ReadArgs,
    top: usize,
    format: Format,
    quiet: bool,
) -> Result<()> {
    let req = InspectRequest {
        file: file.to_path_buf(),
        read: read.into(),
        top,
    };
    let (v, _) = local(quiet)?.inspect(&req)?;
    if format == Format::Json {
        return crate::output::print_json(&v);
    }
    print_inspect_human(&v);
    warn_unnamed(&v.file, &v.unnamed_columns);
    for c in v.columns.iter().filter(|c| c.mixed) {
        tell(
            Msg::new("cli.inspect.mixed_column")
                .arg("column", format!("{:?}", c.name))
                .arg("evidence", &c.evidence),
        );
    }
    Ok(())
}

fn print_inspect_human(v: &Inspection) {
    say(Msg::new("cli.inspect.summary")
        .arg("file", &v.file)
        .arg("rows", v.rows.to_string())
        .arg("columns", v.n_columns.to_string())
        .arg("format", v.format.to_string())
        .arg(
            "delimiter",
            v.delimiter
                .as_ref()
                .map_or("-".into(), |d| format!("{d:?}")),
        )
        .arg("encoding", v.encoding.as_deref().unwrap_or("-"))
        .arg("unique", pct(v.unique_row_share)));
    let rows: Vec<Vec<String>> = v
        .columns
        .iter()
        .map(|c| {
            let tops: Vec<String> = c
                .top_values
                .iter()
                .map(|t| format!("{} ({})", t.value, t.count))
                .collect();
            vec![
                c.name.clone(),
                c.value_type.clone(),
                pct(c.missing_share),
                c.distinct.to_string(),
                tops.join(", "),
            ]
        })
        .collect();
    print!(
        "{}",
        table(
            &heads(&["column", "type", "missing", "distinct", "top_values"]),
            &rows,
            60
        )
    );
}

/// `datavisa scan`.
pub fn scan_cmd(req: &ScanRequest, format: Format, quiet: bool) -> Result<()> {
    let s = local(quiet)?.scan(req)?;
    if format == Format::Json {
        return crate::output::print_json(&s);
    }
    print_scan_human(&s.report);
    warn_unnamed(&s.report.file, &s.unnamed_columns);
    if let Some(p) = &s.spec {
        say(Msg::new("cli.scan.spec_written").arg("path", p.to_string()));
    }
    Ok(())
}

/// Says, on stderr, which header fields named no column and what they were read as.
fn warn_unnamed(file: &str, positions: &[usize]) {
    for n in positions {
        tell(
            Msg::new("cli.inspect.unnamed_column")
                .arg("file", file)
                .arg("n", n.to_string())
                .arg("name", format!("col_{n}")),
        );
    }
}

/// The scan's table of columns, sensitive categories and minors, for a person.
pub fn print_scan_human(r: &ScanReport) {
    say(Msg::new("cli.scan.summary")
        .arg("file", r.file.to_string())
        .arg("rows", r.rows.to_string())
        .arg("columns", r.columns.len().to_string()));
    let rows: Vec<Vec<String>> = r
        .columns
        .iter()
        .map(|c| {
            vec![
                c.name.clone(),
                c.kind.map_or("-".into(), |k| k.as_str().to_owned()),
                c.role.as_str().to_owned(),
                c.sensitive_category.map_or("-".into(), |s| {
                    code_cell(s.as_str(), code_msg("category", s.as_str()))
                }),
                format!("{:.2}", c.confidence),
                c.evidence.clone(),
            ]
        })
        .collect();
    print!(
        "{}",
        table(
            &heads(&["column", "kind", "role", "sensitive", "conf", "evidence"]),
            &rows,
            90
        )
    );
    if r.sensitive_categories.is_empty() {
        say(Msg::new("cli.scan.no_sensitive"));
    } else {
        for c in &r.sensitive_categories {
            let code = c.category.as_str();
            say(Msg::new("cli.scan.sensitive")
                .arg("category", code_or(code, code_msg("category", code)))
                .arg("columns", list_arg(&c.columns)));
        }
    }
    if r.minors_under_14 > 0 {
        say(Msg::new("cli.scan.minors")
            .arg("n", r.minors_under_14.to_string())
            .arg("date", r.reference_date.to_string()));
    }
}
