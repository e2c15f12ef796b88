//! `datavisa inspect` and `datavisa scan`: flags → request → workspace → print.

use crate::front::local;
use crate::output::{pct, table};
use crate::{Format, ReadArgs};
use anyhow::Result;
use datavisa_workflow::inspect::{InspectRequest, Inspection, ScanRequest};
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
    for c in v.columns.iter().filter(|c| c.mixed) {
        eprintln!("warning: column {:?}: {}", c.name, c.evidence);
    }
    Ok(())
}

fn print_inspect_human(v: &Inspection) {
    println!(
        "{}: {} rows × {} columns ({}, delimiter {}, encoding {}); {} of rows are unique on all columns",
        v.file,
        v.rows,
        v.n_columns,
        v.format,
        v.delimiter.as_ref().map_or("-".into(), |d| format!("{d:?}")),
        v.encoding.as_deref().unwrap_or("-"),
        pct(v.unique_row_share),
    );
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
            &["column", "type", "missing", "distinct", "top values"],
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
    if let Some(p) = &s.spec {
        println!("spec draft written to {p}");
    }
    Ok(())
}

/// The scan's table of columns, sensitive categories and minors, for a person.
pub fn print_scan_human(r: &ScanReport) {
    println!("{}: {} rows, {} columns", r.file, r.rows, r.columns.len());
    let rows: Vec<Vec<String>> = r
        .columns
        .iter()
        .map(|c| {
            vec![
                c.name.clone(),
                c.kind.map_or("-".into(), |k| k.as_str().to_owned()),
                c.role.as_str().to_owned(),
                c.sensitive_category
                    .map_or("-".into(), |s| s.as_str().to_owned()),
                format!("{:.2}", c.confidence),
                c.evidence.clone(),
            ]
        })
        .collect();
    print!(
        "{}",
        table(
            &["column", "kind", "role", "sensitive", "conf", "evidence"],
            &rows,
            90
        )
    );
    if r.sensitive_categories.is_empty() {
        println!("no PIPL sensitive personal information recognised");
    } else {
        for c in &r.sensitive_categories {
            println!(
                "sensitive ({}): {}",
                c.category.as_str(),
                c.columns.join(", ")
            );
        }
    }
    if r.minors_under_14 > 0 {
        println!(
            "{} rows concern minors under 14 on {}: all their personal information is sensitive (PIPL Art. 28)",
            r.minors_under_14, r.reference_date
        );
    }
}
