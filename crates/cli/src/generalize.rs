//! `datavisa twin generalize`, `datavisa twin apply` and `datavisa check`: flags → request →
//! workspace → print.

use crate::front::local;
use crate::output::{heads, pct, print_json, say, table, tell};
use crate::{Format, GeneralizeArgs, ModelArgs, ReadArgs};
use anyhow::Result;
use datavisa_workflow::i18n::Msg;
use datavisa_workflow::twins::{
    CheckRequest, GeneralizeRequest, ModelChoice, Quoting, TwinWritten,
};
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
        output_format: (&a.text).into(),
    };
    let w = local(quiet)?.generalize(&req)?;
    report(&w, format)
}

/// Prints a generalized twin's manifest: levels, loss, classes, models, search, files.
fn report(w: &TwinWritten, format: Format) -> Result<()> {
    if format == Format::Json {
        print_json(w)?;
        frequency_warnings(w);
        return Ok(());
    }
    let m = &w.manifest;
    if let Some(g) = m.generalized() {
        let rows: Vec<Vec<String>> = g
            .levels
            .iter()
            .map(|(k, v)| vec![k.clone(), v.to_string()])
            .collect();
        print!(
            "{}",
            table(&heads(&["quasi_identifier", "level"]), &rows, 40)
        );
        let (metric, value) = m.quality.as_ref().map_or(("", f64::NAN), |q| {
            (q.metric.as_str(), q.value.unwrap_or(f64::NAN))
        });
        say(Msg::new("cli.generalize.quality")
            .arg("metric", metric)
            .arg("value", format!("{value:.6}"))
            .arg("classes", g.classes.to_string())
            .arg("suppressed", g.suppressed.to_string())
            .arg("share", pct(g.suppressed as f64 / g.rows.max(1) as f64)));
        for x in &g.models {
            let holds = if x.holds { "holds" } else { "fails" };
            say(Msg::new("cli.generalize.model")
                .arg("model", x.model.to_string())
                .arg("achieved", x.achieved.to_string())
                .arg("holds", Msg::new(&format!("cli.generalize.{holds}"))));
        }
        if let Some(s) = &g.search {
            say(Msg::new("cli.generalize.search")
                .arg("algorithm", s.algorithm.to_string())
                .arg("checked", s.nodes_checked.to_string())
                .arg("size", s.lattice_size.to_string())
                .arg("seconds", format!("{:.3}", s.seconds)));
        }
    }
    say(Msg::new("cli.generalize.written")
        .arg("output", m.output.path.to_string())
        .arg("manifest", w.manifest_path.to_string()));
    say_format(w);
    frequency_warnings(w);
    Ok(())
}

/// Last, on the console whatever the format: the columns only grouped by frequency.
fn frequency_warnings(w: &TwinWritten) {
    for h in w
        .manifest
        .generalized()
        .map(|g| g.hierarchy_warnings)
        .unwrap_or_default()
    {
        tell(
            Msg::new("cli.generalize.frequency_hierarchy")
                .arg("column", format!("{:?}", h.column))
                .arg("values", h.distinct_values.to_string())
                .arg("other", "\"(other)\"")
                .arg("flag", format!("--hierarchy {}=FILE", h.column))
                .arg("command", "datavisa hierarchy build"),
        );
    }
}

/// The text format a twin was written in beside its source's, so a change is never silent.
pub(crate) fn say_format(w: &TwinWritten) {
    let m = &w.manifest;
    let Some(out) = &m.output.format else { return };
    let delimiter = |d: char| match d {
        '\t' => "tab".to_owned(),
        d => d.to_string(),
    };
    let (src_delimiter, src_encoding) = m
        .source
        .format
        .as_ref()
        .map_or(("-".to_owned(), "-".to_owned()), |f| {
            (delimiter(f.delimiter), f.encoding.as_str().to_owned())
        });
    say(Msg::new("cli.twin.format")
        .arg("delimiter", delimiter(out.delimiter))
        .arg("encoding", out.encoding.as_str())
        .arg(
            "quoting",
            Msg::new(match out.quoting {
                Quoting::Necessary => "cli.twin.quoting.necessary",
                Quoting::All => "cli.twin.quoting.all",
            }),
        )
        .arg("source_delimiter", src_delimiter)
        .arg("source_encoding", src_encoding));
}

/// `datavisa twin apply`.
pub fn apply_cmd(
    recipe: &Path,
    (input, output): (&Path, &Path),
    (read, text): (&ReadArgs, &crate::OutputArgs),
    format: Format,
    quiet: bool,
) -> Result<()> {
    let w = local(quiet)?.apply_recipe(recipe, (input, output), &read.into(), &text.into())?;
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
    let state = if v.satisfied {
        "satisfied"
    } else {
        "not_satisfied"
    };
    say(Msg::new("cli.check_cmd.summary")
        .arg("state", Msg::new(&format!("cli.check_cmd.{state}")))
        .arg("failing", v.failing_records.to_string())
        .arg("records", v.records.to_string())
        .arg("classes", v.failing_classes.to_string()));
    for f in &v.failing {
        say(Msg::new("cli.check_cmd.failing")
            .arg("records", f.records.to_string())
            .arg(
                "values",
                serde_json::Value::Object(f.values.clone()).to_string(),
            ));
    }
    Ok(())
}
