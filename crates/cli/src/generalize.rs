//! `datavisa twin generalize`, `datavisa twin apply` and `datavisa check`: flags → request →
//! workspace → print.

use crate::front::local;
use crate::output::{pct, print_json, table};
use crate::{Format, GeneralizeArgs, ModelArgs, ReadArgs};
use anyhow::Result;
use datavisa_workflow::twins::{CheckRequest, GeneralizeRequest, ModelChoice, TwinWritten};
use std::path::Path;

impl From<&ModelArgs> for ModelChoice {
    fn from(a: &ModelArgs) -> ModelChoice {
        ModelChoice {
            k: a.k,
            l: a.l,
            l_variant: a.l_variant.clone(),
            c: a.c,
            t: a.t,
            t_distance: a.t_distance.clone(),
            avg_risk: a.avg_risk,
            suppression: a.suppression,
        }
    }
}

/// `datavisa twin generalize`.
pub fn generalize_cmd(
    a: &GeneralizeArgs,
    read: &ReadArgs,
    format: Format,
    quiet: bool,
) -> Result<()> {
    let req = GeneralizeRequest {
        input: a.input.clone(),
        output: a.output.clone(),
        read: read.into(),
        quasi: a.quasi.clone(),
        sensitive: a.sensitive.clone(),
        hierarchy: a.hierarchy.clone(),
        models: (&a.models).into(),
        metric: a.metric.clone(),
        search: a.search.clone(),
        max_checks: a.max_checks,
        time_limit: a.time_limit,
    };
    let w = local(quiet)?.generalize(&req)?;
    report(&w, format)
}

/// Prints a generalized twin's manifest: levels, loss, classes, models, search, files.
fn report(w: &TwinWritten, format: Format) -> Result<()> {
    if format == Format::Json {
        return print_json(w);
    }
    let m = &w.manifest;
    if let Some(g) = m.generalized() {
        let rows: Vec<Vec<String>> = g
            .levels
            .iter()
            .map(|(k, v)| vec![k.clone(), v.to_string()])
            .collect();
        print!("{}", table(&["quasi-identifier", "level"], &rows, 40));
        let (metric, value) = m.quality.as_ref().map_or(("", f64::NAN), |q| {
            (q.metric.as_str(), q.value.unwrap_or(f64::NAN))
        });
        println!(
            "{metric} {value:.6}; {} classes; {} records suppressed ({})",
            g.classes,
            g.suppressed,
            pct(g.suppressed as f64 / g.rows.max(1) as f64)
        );
        for x in &g.models {
            let holds = if x.holds { "holds" } else { "fails" };
            println!("  {}: achieved {} ({holds})", x.model, x.achieved);
        }
        if let Some(s) = &g.search {
            println!(
                "search: {}, {} nodes checked of {}, {:.3} s",
                s.algorithm, s.nodes_checked, s.lattice_size, s.seconds
            );
        }
    }
    println!("written: {} and {}", m.output.path, w.manifest_path);
    Ok(())
}

/// `datavisa twin apply`.
pub fn apply_cmd(
    recipe: &Path,
    input: &Path,
    output: &Path,
    read: &ReadArgs,
    format: Format,
    quiet: bool,
) -> Result<()> {
    let w = local(quiet)?.apply_recipe(recipe, input, output, &read.into())?;
    report(&w, format)
}

/// `datavisa check`.
pub fn check_cmd(
    file: &Path,
    quasi: &[String],
    sensitive: &[String],
    m: &ModelArgs,
    read: &ReadArgs,
    format: Format,
    quiet: bool,
) -> Result<()> {
    let req = CheckRequest {
        file: file.to_path_buf(),
        quasi: quasi.to_vec(),
        sensitive: sensitive.to_vec(),
        models: m.into(),
        read: read.into(),
    };
    let c = local(quiet)?.check(&req)?;
    if format == Format::Json {
        return print_json(&c);
    }
    let v = &c.check;
    println!(
        "{}: {} of {} records in {} failing classes",
        if v.satisfied {
            "satisfied"
        } else {
            "NOT satisfied"
        },
        v.failing_records,
        v.records,
        v.failing_classes
    );
    for f in &v.failing {
        println!(
            "  {} records: {}",
            f.records,
            serde_json::Value::Object(f.values.clone())
        );
    }
    Ok(())
}
