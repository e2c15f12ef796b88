//! `datavisa twin generalize`, `datavisa twin apply` and `datavisa check`: thin wrappers over the
//! `twin` crate's recipes, with the spec as the place where roles and hierarchies live.

use crate::commands::{input_evidence, load, tool, write_json, UsageError};
use crate::output::{pct, print_json, spinner, table};
use crate::{Format, GeneralizeArgs, ModelArgs, ReadArgs};
use anyhow::{Context, Result};
use datavisa_table::{write_table, Role, Spec, Table};
use datavisa_twin::engine::{LVariant, Models, TDistance};
use datavisa_twin::quality::Metric;
use datavisa_twin::recipe::{check_table, generalize, reapply, Generalized, HierarchySpec, Recipe};
use datavisa_twin::search::{SearchParams, Strategy};
use datavisa_twin::TwinError;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

fn twin_err(e: TwinError) -> anyhow::Error {
    match e {
        TwinError::Table(t) => t.into(),
        other => UsageError(other.to_string()).into(),
    }
}

/// Roles from the spec, overridden by flags.
fn roles(
    spec: Option<&Spec>,
    quasi: &[String],
    sensitive: &[String],
) -> (Vec<String>, Vec<String>, Vec<String>) {
    let by_role = |r: Role| -> Vec<String> {
        spec.map(|s| {
            s.columns
                .iter()
                .filter(|c| c.role == Some(r))
                .map(|c| c.name.get_ref().clone())
                .collect()
        })
        .unwrap_or_default()
    };
    let q = if quasi.is_empty() {
        by_role(Role::Quasi)
    } else {
        quasi.to_vec()
    };
    let s = if sensitive.is_empty() {
        by_role(Role::Sensitive)
    } else {
        sensitive.to_vec()
    };
    (q, s, by_role(Role::Identifier))
}

/// Hierarchies from the spec (`hierarchy = "file.csv"` on a column, or `[hierarchies.<col>]`),
/// then `--hierarchy COL=FILE` flags.
fn hierarchies(spec: Option<&Spec>, flags: &[String]) -> Result<BTreeMap<String, HierarchySpec>> {
    let mut out = BTreeMap::new();
    if let Some(s) = spec {
        for c in &s.columns {
            if let Some(f) = &c.hierarchy {
                out.insert(
                    c.name.get_ref().clone(),
                    HierarchySpec::File(datavisa_twin::hierarchy::resolve(&s.path, f)),
                );
            }
        }
        if let Some(t) = s.rest.get("hierarchies").and_then(|v| v.as_table()) {
            for (col, def) in t {
                let def = def.as_table().ok_or_else(|| {
                    UsageError(format!(
                        "{}: [hierarchies.{col}] must be a table",
                        s.path.display()
                    ))
                })?;
                out.insert(
                    col.clone(),
                    HierarchySpec::Builder(def.clone(), s.path.clone()),
                );
            }
        }
    }
    for f in flags {
        let (col, file) = f
            .split_once('=')
            .ok_or_else(|| UsageError(format!("--hierarchy takes COLUMN=FILE, got {f:?}")))?;
        out.insert(col.to_owned(), HierarchySpec::File(PathBuf::from(file)));
    }
    Ok(out)
}

/// The privacy models from the flags.
pub fn models(a: &ModelArgs) -> Models {
    Models {
        k: a.k,
        l: a.l,
        l_variant: match a.l_variant.as_str() {
            "entropy" => LVariant::Entropy,
            "recursive" => LVariant::Recursive,
            _ => LVariant::Distinct,
        },
        c: a.c,
        t: a.t,
        t_distance: match a.t_distance.as_str() {
            "ordered" => TDistance::Ordered,
            "hierarchical" => TDistance::Hierarchical,
            _ => TDistance::Equal,
        },
        avg_risk: a.avg_risk,
        suppression: a.suppression,
    }
}

fn check_choice(value: &str, allowed: &[&str], flag: &str) -> Result<()> {
    if allowed.contains(&value) {
        Ok(())
    } else {
        Err(UsageError(format!(
            "{flag} must be one of {}, not {value:?}",
            allowed.join(", ")
        ))
        .into())
    }
}

fn metric(s: &str) -> Result<Metric> {
    Ok(match s {
        "loss" => Metric::Loss,
        "precision" => Metric::Precision,
        "height" => Metric::Height,
        "discernibility" => Metric::Discernibility,
        "aecs" => Metric::Aecs,
        "entropy" => Metric::Entropy,
        _ => {
            return Err(UsageError(format!(
            "--metric must be loss, precision, height, discernibility, aecs or entropy, not {s:?}"
        ))
            .into())
        }
    })
}

/// Writes the twin and its manifest; returns the manifest.
pub fn write_twin(input: &Path, t: &Table, output: &Path, g: Generalized) -> Result<Value> {
    write_with_manifest(input, t, output, &g.twin, g.report)
}

/// Refuses an output path that is the input file.
pub fn refuse_overwrite(input: &Path, output: &Path) -> Result<()> {
    if std::fs::canonicalize(input).ok() == std::fs::canonicalize(output).ok() && output.exists() {
        return Err(UsageError("the output would overwrite the input".into()).into());
    }
    Ok(())
}

/// Writes any twin and its manifest body, stamped with the source's evidence, the tool and the
/// twin's own content hash (checked by `assess` before it trusts the manifest).
pub fn write_with_manifest(
    input: &Path,
    t: &Table,
    output: &Path,
    twin: &Table,
    mut manifest: Value,
) -> Result<Value> {
    refuse_overwrite(input, output)?;
    manifest["source"] = input_evidence(input, t)?;
    manifest["output"] = json!(output.display().to_string());
    manifest["tool"] = tool();
    manifest["created_at_unix"] = json!(std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs()));
    write_table(twin, output)?;
    manifest["output_sha256"] = json!(datavisa_table::file_sha256(output)?);
    let mpath = manifest_path(output);
    write_json(&mpath, &manifest)?;
    manifest["manifest"] = json!(mpath.display().to_string());
    Ok(manifest)
}

pub use datavisa_twin::manifest_path;

/// `datavisa twin generalize`.
pub fn generalize_cmd(
    a: &GeneralizeArgs,
    read: &ReadArgs,
    format: Format,
    quiet: bool,
) -> Result<()> {
    check_choice(
        &a.models.l_variant,
        &["distinct", "entropy", "recursive"],
        "--l-variant",
    )?;
    check_choice(
        &a.models.t_distance,
        &["equal", "ordered", "hierarchical"],
        "--t-distance",
    )?;
    check_choice(&a.search, &["optimal", "heuristic", "auto"], "--search")?;
    let spec = read.spec.as_deref().map(Spec::load).transpose()?;
    let (t, _) = load(&a.input, read, quiet)?;
    let (quasi, sensitive, drop) = roles(spec.as_ref(), &a.quasi, &a.sensitive);
    if quasi.is_empty() {
        return Err(UsageError(
            "no quasi-identifiers: give --quasi a,b,c or a spec with role = \"quasi\" columns"
                .into(),
        )
        .into());
    }
    let recipe = Recipe {
        quasi,
        sensitive,
        drop,
        hierarchies: hierarchies(spec.as_ref(), &a.hierarchy)?,
        models: models(&a.models),
        metric: metric(&a.metric)?,
        search: SearchParams {
            strategy: match a.search.as_str() {
                "optimal" => Strategy::Optimal,
                "heuristic" => Strategy::Heuristic,
                _ => Strategy::Auto,
            },
            max_checks: a.max_checks,
            time_limit: Duration::from_secs_f64(a.time_limit),
            ..Default::default()
        },
    };
    let pb = spinner(quiet, "searching the generalization lattice");
    let g = generalize(&t, &recipe).map_err(twin_err);
    pb.finish_and_clear();
    let manifest = write_twin(&a.input, &t, &a.output, g?)?;
    report(&manifest, format)
}

fn report(manifest: &Value, format: Format) -> Result<()> {
    if format == Format::Json {
        return print_json(manifest);
    }
    let levels = manifest["levels"].as_object().cloned().unwrap_or_default();
    let rows: Vec<Vec<String>> = levels
        .iter()
        .map(|(k, v)| vec![k.clone(), v.to_string()])
        .collect();
    print!("{}", table(&["quasi-identifier", "level"], &rows, 40));
    let n = manifest["rows"].as_f64().unwrap_or(1.0);
    println!(
        "{} {:.6}; {} classes; {} records suppressed ({})",
        manifest["quality"]["metric"].as_str().unwrap_or(""),
        manifest["quality"]["value"].as_f64().unwrap_or(f64::NAN),
        manifest["classes"],
        manifest["suppressed"],
        pct(manifest["suppressed"].as_f64().unwrap_or(0.0) / n)
    );
    for m in manifest["models"].as_array().into_iter().flatten() {
        println!(
            "  {}: achieved {} ({})",
            m["model"].as_str().unwrap_or(""),
            m["achieved"],
            if m["holds"] == true { "holds" } else { "fails" }
        );
    }
    if !manifest["search"].is_null() {
        println!(
            "search: {}, {} nodes checked of {}, {:.3} s",
            manifest["search"]["algorithm"].as_str().unwrap_or(""),
            manifest["search"]["nodes_checked"],
            manifest["search"]["lattice_size"],
            manifest["search"]["seconds"].as_f64().unwrap_or(0.0)
        );
    }
    println!(
        "written: {} and {}",
        manifest["output"].as_str().unwrap_or(""),
        manifest["manifest"].as_str().unwrap_or("")
    );
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
    let text = std::fs::read_to_string(recipe)
        .with_context(|| format!("cannot read {}", recipe.display()))?;
    let manifest: Value = serde_json::from_str(&text)
        .map_err(|e| UsageError(format!("{}: not a JSON manifest: {e}", recipe.display())))?;
    let (t, _) = load(input, read, quiet)?;
    let g = reapply(&t, &manifest).map_err(twin_err)?;
    let m = write_twin(input, &t, output, g)?;
    report(&m, format)
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
    check_choice(
        &m.l_variant,
        &["distinct", "entropy", "recursive"],
        "--l-variant",
    )?;
    check_choice(&m.t_distance, &["equal", "ordered"], "--t-distance")?;
    let spec = read.spec.as_deref().map(Spec::load).transpose()?;
    let (t, _) = load(file, read, quiet)?;
    let (quasi, sensitive, _) = roles(spec.as_ref(), quasi, sensitive);
    if quasi.is_empty() {
        return Err(UsageError(
            "no quasi-identifiers: give --quasi a,b,c or a spec with role = \"quasi\" columns"
                .into(),
        )
        .into());
    }
    let mut v = check_table(&t, &quasi, &sensitive, &models(m), 20).map_err(twin_err)?;
    v["file"] = input_evidence(file, &t)?;
    v["tool"] = tool();
    if format == Format::Json {
        return print_json(&v);
    }
    println!(
        "{}: {} of {} records in {} failing classes",
        if v["satisfied"] == true {
            "satisfied"
        } else {
            "NOT satisfied"
        },
        v["failing_records"],
        v["records"],
        v["failing_classes"]
    );
    for c in v["failing"].as_array().into_iter().flatten() {
        println!("  {} records: {}", c["records"], c["values"]);
    }
    Ok(())
}
