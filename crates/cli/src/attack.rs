//! The `attack`, `risk` and `utility` verbs: read the tables, run the measurement from the
//! `risk` crate, print one JSON object (or a short human summary) with the evidence.

use crate::commands::{input_evidence, load, tool, UsageError};
use crate::output::{pct, print_json, progress_bar, spinner, table};
use crate::{Format, ReadArgs};
use anyhow::Result;
use datavisa_risk::classic::{classic_risk, ClassicParams};
use datavisa_risk::distance::distances;
use datavisa_risk::inference::{inference, InferenceParams, SecretKind};
use datavisa_risk::linkability::{linkability, LinkabilityParams};
use datavisa_risk::singling_out::{singling_out, Denominator, Mode, SinglingOutParams};
use datavisa_risk::utility::utility;
use datavisa_risk::{prepare, AttackResult, Prepared, RiskError};
use datavisa_table::Table;

use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// Converts library errors: invalid parameters and table problems are bad input (exit 2).
fn lib_err(e: RiskError) -> anyhow::Error {
    match e {
        RiskError::Table(t) => t.into(),
        RiskError::Invalid(m) => UsageError(m).into(),
        RiskError::Rate(r) => UsageError(r.to_string()).into(),
    }
}

/// The tables an attack compares, read and prepared, with their evidence.
pub struct Inputs {
    pub data: Prepared,
    pub evidence: Value,
}

/// Reads source, twin and optional control and shares their dictionaries.
pub fn read_inputs(
    source: &Path,
    twin: &Path,
    control: Option<&Path>,
    read: &ReadArgs,
    quiet: bool,
) -> Result<Inputs> {
    let (s, _) = load(source, read, quiet)?;
    let (t, _) = load(twin, read, quiet)?;
    let c = control
        .map(|c| load(c, read, quiet))
        .transpose()?
        .map(|x| x.0);
    inputs_of((source, &s), (twin, &t), control.zip(c.as_ref()))
}

/// Prepares tables already read, with their evidence.
pub fn inputs_of(
    (source, s): (&Path, &Table),
    (twin, t): (&Path, &Table),
    control: Option<(&Path, &Table)>,
) -> Result<Inputs> {
    let mut evidence =
        json!({"source": input_evidence(source, s)?, "twin": input_evidence(twin, t)?});
    if let Some((path, ct)) = control {
        evidence["control"] = input_evidence(path, ct)?;
    }
    let data = prepare(s, t, control.map(|c| c.1)).map_err(lib_err)?;
    if !data.dropped.is_empty() {
        evidence["source_columns_not_in_twin"] = json!(data.dropped);
    }
    Ok(Inputs { data, evidence })
}

/// Which attack and its own parameters.
pub enum AttackKind {
    SinglingOut {
        mode: Mode,
        n_cols: usize,
        max_attempts: u64,
        denominator: Denominator,
    },
    Linkability {
        aux_a: Vec<String>,
        aux_b: Vec<String>,
        n_neighbors: usize,
    },
    Inference {
        secret: String,
        aux: Vec<String>,
        kind: SecretKind,
        tolerance: f64,
    },
}

/// Parameters shared by every attack.
pub struct Common {
    pub n_attacks: usize,
    pub confidence: f64,
    pub seed: u64,
    pub format: Format,
    pub quiet: bool,
}

/// Runs one attack and prints its result.
pub fn attack(inputs: Inputs, kind: AttackKind, c: &Common) -> Result<()> {
    let data = &inputs.data;
    let result = match kind {
        AttackKind::SinglingOut {
            mode,
            n_cols,
            max_attempts,
            denominator,
        } => {
            let pb = spinner(c.quiet, "singling out");
            let out = singling_out(
                data,
                &SinglingOutParams {
                    n_attacks: c.n_attacks,
                    n_cols,
                    mode,
                    max_attempts,
                    confidence: c.confidence,
                    seed: c.seed,
                    denominator,
                    keep_duplicates: false,
                },
            );
            pb.finish_and_clear();
            out
        }
        AttackKind::Linkability {
            aux_a,
            aux_b,
            n_neighbors,
        } => {
            let n_sets = 1 + data.control.is_some() as usize;
            let total = 2 * n_sets * c.n_attacks.min(data.source.n_rows);
            let pb = progress_bar(c.quiet, total as u64, "linkability");
            let out = linkability(
                data,
                &LinkabilityParams {
                    n_attacks: c.n_attacks,
                    aux_a,
                    aux_b,
                    n_neighbors,
                    confidence: c.confidence,
                    seed: c.seed,
                },
                &|n| pb.inc(n as u64),
            );
            pb.finish_and_clear();
            out.and_then(|o| o.full_result())
        }
        AttackKind::Inference {
            secret,
            aux,
            kind,
            tolerance,
        } => {
            let aux = if aux.is_empty() {
                data.twin
                    .column_names()
                    .into_iter()
                    .filter(|n| *n != secret)
                    .collect()
            } else {
                aux
            };
            let n_sets = 1 + data.control.is_some() as usize;
            let pb = progress_bar(
                c.quiet,
                (n_sets * c.n_attacks.min(data.source.n_rows)) as u64,
                "inference",
            );
            let out = inference(
                data,
                &InferenceParams {
                    n_attacks: c.n_attacks,
                    aux_cols: aux,
                    secret,
                    kind,
                    tolerance,
                    confidence: c.confidence,
                    seed: c.seed,
                },
                &|n| pb.inc(n as u64),
            );
            pb.finish_and_clear();
            out
        }
    }
    .map_err(lib_err)?;
    let mut v = serde_json::to_value(&result)?;
    v["inputs"] = inputs.evidence;
    v["tool"] = tool();
    match c.format {
        Format::Json => print_json(&v),
        Format::Human => {
            print_attack_human(&result);
            Ok(())
        }
    }
}

fn print_attack_human(r: &AttackResult) {
    let rate = |x: &datavisa_risk::SuccessRate| format!("{} ± {}", pct(x.value), pct(x.error));
    println!(
        "{}: risk {} (CI {} – {}) at {} confidence, seed {}",
        r.attack,
        pct(r.risk.value),
        pct(r.risk.ci[0]),
        pct(r.risk.ci[1]),
        pct(r.confidence),
        r.seed
    );
    let mut rows = vec![
        vec![
            "attack".into(),
            rate(&r.attack_rate),
            format!("{} / {}", r.n_success, r.attempts.main),
        ],
        vec![
            "baseline".into(),
            rate(&r.baseline_rate),
            format!("{} / {}", r.n_baseline, r.attempts.baseline),
        ],
    ];
    if let (Some(c), Some(k), Some(n)) = (&r.control_rate, r.n_control, r.attempts.control) {
        rows.push(vec!["control".into(), rate(c), format!("{k:.1} / {n}")]);
    }
    print!("{}", table(&["", "success rate", "successes"], &rows, 40));
    for w in &r.warnings {
        println!("warning: {w}");
    }
}

/// Arguments of `datavisa risk`.
pub struct RiskArgs {
    pub file: PathBuf,
    pub params: ClassicParams,
    pub population: Option<PathBuf>,
    pub source: Option<PathBuf>,
    pub holdout: Option<PathBuf>,
    pub samples: usize,
    pub seed: u64,
}

/// Classic risk of a table (and distance checks when it is a twin of `source`).
pub fn risk(a: RiskArgs, read: &ReadArgs, format: Format, quiet: bool) -> Result<()> {
    let (t, read_s) = load(&a.file, read, quiet)?;
    let pop = a
        .population
        .as_deref()
        .map(|p| load(p, read, quiet))
        .transpose()?
        .map(|x| x.0);
    let t0 = std::time::Instant::now();
    let report = classic_risk(&t, pop.as_ref(), &a.params).map_err(lib_err)?;
    let risk_s = t0.elapsed().as_secs_f64();
    let mut v = serde_json::to_value(&report)?;
    v["seconds"] = json!({"read": read_s, "risk": risk_s});
    let mut inputs = json!({"file": input_evidence(&a.file, &t)?});
    if let (Some(p), Some(pt)) = (&a.population, &pop) {
        inputs["population"] = input_evidence(p, pt)?;
    }
    if let Some(src) = &a.source {
        // The file measured above is the twin: it is not read again.
        let (s, _) = load(src, read, quiet)?;
        let h = a
            .holdout
            .as_deref()
            .map(|h| load(h, read, quiet))
            .transpose()?
            .map(|x| x.0);
        let Inputs { data, evidence } = inputs_of(
            (src, &s),
            (&a.file, &t),
            a.holdout.as_deref().zip(h.as_ref()),
        )?;
        let d = distances(&data, a.samples, a.seed).map_err(lib_err)?;
        v["distance"] = serde_json::to_value(&d)?;
        inputs["distance_inputs"] = evidence;
    } else if a.holdout.is_some() {
        return Err(
            UsageError("--holdout needs --source (the twin's training data)".into()).into(),
        );
    }
    v["inputs"] = inputs;
    v["tool"] = tool();
    match format {
        Format::Json => print_json(&v),
        Format::Human => {
            print_risk_human(&v);
            Ok(())
        }
    }
}

fn print_risk_human(v: &Value) {
    let f = |x: &Value| x.as_f64().map_or("-".into(), |x| format!("{x:.4}"));
    println!(
        "{} records, {} classes, k = {}, sample uniques {}",
        v["n_records"],
        v["n_classes"],
        v["k"],
        f(&v["sample_uniqueness"])
    );
    let p = &v["prosecutor"];
    println!(
        "prosecutor risk: highest {}, average {}, records at risk {}",
        f(&p["highest"]),
        f(&p["average"]),
        f(&p["records_at_risk"])
    );
    println!(
        "journalist risk: highest {}, average {}; marketer {}",
        f(&v["journalist"]["highest"]),
        f(&v["journalist"]["average"]),
        f(&v["marketer"])
    );
    if !v["population"].is_null() {
        println!(
            "population uniqueness ({}): {}",
            v["population"]["dankar_model"].as_str().unwrap_or("-"),
            f(&v["population"]["population_uniqueness"])
        );
    }
    for s in v["sensitive"].as_array().into_iter().flatten() {
        println!(
            "{}: distinct l {}, entropy l {}, t (equal) {}",
            s["column"].as_str().unwrap_or("?"),
            s["distinct_l"],
            f(&s["entropy_l"]),
            f(&s["t_equal"])
        );
    }
    if !v["distance"].is_null() {
        let d = &v["distance"];
        println!(
            "DCR to source: median {}, 5th percentile {}; exact copies {}; closer to source than holdout {}",
            f(&d["dcr_source"]["median"]),
            f(&d["dcr_source"]["p05"]),
            f(&d["exact_copies"]),
            f(&d["closer_to_source"])
        );
    }
    for w in v["warnings"].as_array().into_iter().flatten() {
        println!("warning: {}", w.as_str().unwrap_or(""));
    }
}

/// Utility of a twin against its source.
pub fn utility_cmd(
    source: &Path,
    twin: &Path,
    queries: usize,
    seed: u64,
    read: &ReadArgs,
    format: Format,
    quiet: bool,
) -> Result<()> {
    let Inputs { data, evidence } = read_inputs(source, twin, None, read, quiet)?;
    let r = utility(&data, queries, seed).map_err(lib_err)?;
    let mut v = serde_json::to_value(&r)?;
    v["inputs"] = evidence;
    v["tool"] = tool();
    match format {
        Format::Json => print_json(&v),
        Format::Human => {
            println!(
                "utility {:.3} (columns {:.3}, pairs {:.3}, workload {:.3})",
                r.score, r.column_score, r.pair_score, r.workload_score
            );
            let rows: Vec<Vec<String>> = r
                .columns
                .iter()
                .map(|c| vec![c.column.clone(), c.metric.into(), format!("{:.3}", c.score)])
                .collect();
            print!("{}", table(&["column", "metric", "score"], &rows, 40));
            Ok(())
        }
    }
}
