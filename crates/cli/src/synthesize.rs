//! `datavisa twin synthesize`: a thin wrapper over the twin crate's DP synthesis, with progress
//! bars, the manifest written next to the twin, and the budget ledger printed.

use crate::commands::{load, write_json, UsageError};
use crate::output::{print_json, progress_bar, table};
use crate::verdict::required_spec;
use crate::{Format, ReadArgs, SynthMethod, SynthesizeArgs};
use anyhow::Result;
use datavisa_table::{Spec, Table};
use datavisa_twin::synth::{self, Method, Progress, SynthParams};
use datavisa_twin::TwinError;
use indicatif::ProgressBar;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Progress bars on stderr, one per phase.
struct Bars {
    quiet: bool,
    bar: Mutex<ProgressBar>,
}

impl Progress for Bars {
    fn phase(&self, name: &str, len: u64) {
        let mut b = self.bar.lock().expect("progress lock");
        b.finish_and_clear();
        *b = progress_bar(self.quiet, len, name);
    }
    fn advance(&self, n: u64) {
        self.bar.lock().expect("progress lock").inc(n);
    }
}

/// The synthesis parameters from the flags.
pub fn params(a: &SynthesizeArgs) -> SynthParams {
    let mut p = SynthParams {
        method: match a.method {
            SynthMethod::Mst => Method::Mst,
            SynthMethod::Aim => Method::Aim,
        },
        epsilon: a.epsilon,
        delta: a.delta,
        rows: a.rows,
        seed: a.seed,
        dp_domain: a.dp_domain,
        domain_share: a.domain_share,
        drop: a.drop.clone(),
        ..Default::default()
    };
    p.aim.degree = a.degree;
    p.aim.rounds = a.rounds;
    p.aim.round_iterations = a.round_iterations;
    p.aim.max_cells = a.max_cells;
    p.aim.max_model_mb = a.max_model_mb;
    if let Some(i) = a.iterations {
        p.mst.iterations = i;
        p.aim.final_iterations = i;
    }
    p
}

/// `datavisa twin synthesize`.
pub fn synthesize_cmd(
    a: &SynthesizeArgs,
    read: &ReadArgs,
    format: Format,
    quiet: bool,
) -> Result<()> {
    let spec_path = required_spec(read)?;
    let spec = Spec::load(&spec_path)?;
    if std::fs::canonicalize(&a.input).ok() == std::fs::canonicalize(&a.output).ok()
        && a.output.exists()
    {
        return Err(UsageError("the output would overwrite the input".into()).into());
    }
    let (t, _) = load(&a.input, read, quiet)?;
    spec.check_columns(&t)?;
    let bars = Bars {
        quiet,
        bar: Mutex::new(ProgressBar::hidden()),
    };
    let made = synth::synthesize(&t, &spec, &params(a), &bars).map_err(|e| match e {
        TwinError::Table(t) => anyhow::Error::from(t),
        other => UsageError(other.to_string()).into(),
    })?;
    bars.bar.lock().expect("progress lock").finish_and_clear();
    for w in &made.operator_warnings {
        // About the real data: for the operator's eyes, never written to the manifest.
        eprintln!("warning: {w}");
    }
    let manifest = write_synthetic(&a.input, &t, &spec_path, &a.output, made)?;
    match format {
        Format::Json => print_json(&manifest),
        Format::Human => {
            print_human(&manifest);
            Ok(())
        }
    }
}

/// Writes a synthetic twin and its manifest (which also names the spec holding the domain).
pub fn write_synthetic(
    input: &Path,
    t: &Table,
    spec_path: &Path,
    output: &Path,
    made: synth::Synthesized,
) -> Result<Value> {
    let mut report = made.report;
    report["spec"] = json!(spec_path.display().to_string());
    crate::generalize::write_with_manifest(input, t, output, &made.twin, report)
}

/// Demo step: an MST twin (eps 1) of the release half over the generator's public domain, and
/// its utility against the release.
pub fn demo_synthesize(
    out: &Path,
    spec_path: &Path,
    (release_csv, release): (&Path, &Table),
    seed: u64,
    as_of: i64,
    quiet: bool,
) -> Result<(Vec<PathBuf>, Value)> {
    let mut spec = Spec::load(spec_path)?;
    let domain = datavisa_discover::fake::public_domain(as_of);
    let mut drop = Vec::new();
    for c in spec.columns.iter_mut() {
        match domain.iter().find(|(n, _)| *n == c.name.get_ref()) {
            Some((_, d)) => c.domain = Some(toml::Spanned::new(0..0, d.clone())),
            None if c.role != Some(datavisa_table::Role::Identifier) => {
                drop.push(c.name.get_ref().clone())
            }
            None => {}
        }
    }
    let synth_spec = out.join("synthesis-spec.toml");
    let text = spec.to_toml()?;
    datavisa_table::write_atomic(&synth_spec, |w| {
        std::io::Write::write_all(w, text.as_bytes())
            .map_err(|e| datavisa_table::TableError::io(&synth_spec, e))
    })?;
    let spec = Spec::load(&synth_spec)?;
    let params = SynthParams {
        epsilon: 1.0,
        delta: 1e-9,
        seed: Some(seed),
        drop,
        ..Default::default()
    };
    let bars = Bars {
        quiet,
        bar: Mutex::new(ProgressBar::hidden()),
    };
    let made = synth::synthesize(release, &spec, &params, &bars)
        .map_err(|e| anyhow::anyhow!("demo synthesize step: {e}"))?;
    bars.bar.lock().expect("progress lock").finish_and_clear();
    let twin_path = out.join("customers-synthetic.csv");
    let manifest = write_synthetic(release_csv, release, &synth_spec, &twin_path, made)?;
    let twin = datavisa_table::read_table(&twin_path, &Default::default())?;
    let prepared = datavisa_risk::prepare::prepare(release, &twin, None)
        .map_err(|e| anyhow::anyhow!("demo synthesize step: {e}"))?;
    let u = datavisa_risk::utility::utility(&prepared, 500, seed)
        .map_err(|e| anyhow::anyhow!("demo synthesize step: {e}"))?;
    let utility_path = out.join("utility-synthetic.json");
    write_json(&utility_path, &serde_json::to_value(&u)?)?;
    let step = json!({
        "step": "synthesize", "method": "mst", "epsilon": 1.0, "delta": 1e-9,
        "file": twin_path.display().to_string(), "manifest": manifest["manifest"],
        "rows": manifest["rows"], "columns": manifest["columns"].as_array().map_or(0, Vec::len),
        "rho_spent": manifest["privacy"]["rho_spent"], "seconds": manifest["timings_seconds"]["total"],
        "utility": {"score": u.score, "columns": u.column_score, "pairs": u.pair_score, "workload": u.workload_score,
                    "file": utility_path.display().to_string()},
    });
    let files = vec![
        synth_spec,
        twin_path.clone(),
        datavisa_twin::manifest_path(&twin_path),
        utility_path,
    ];
    Ok((files, step))
}

fn print_human(m: &Value) {
    let p = &m["privacy"];
    println!(
        "{} synthetic twin: {} rows x {} columns -> {}",
        m["method"].as_str().unwrap_or("?").to_uppercase(),
        m["rows"],
        m["columns"].as_array().map_or(0, Vec::len),
        m["output"].as_str().unwrap_or("")
    );
    println!(
        "privacy: epsilon {} delta {:e} (rho {:.5}, spent {:.5}); {}",
        p["epsilon"],
        p["delta"].as_f64().unwrap_or(0.0),
        p["rho"].as_f64().unwrap_or(0.0),
        p["rho_spent"].as_f64().unwrap_or(0.0),
        if m["seed"].is_null() {
            "noise from OS entropy (not reproducible)"
        } else {
            "seeded: keep the manifest in-country"
        }
    );
    let ledger = p["ledger"].as_array().cloned().unwrap_or_default();
    let rows: Vec<Vec<String>> = summarize_ledger(&ledger);
    print!(
        "{}",
        table(&["step", "mechanism", "rho", "share", "detail"], &rows, 60)
    );
    for d in m["dropped"].as_array().into_iter().flatten() {
        println!(
            "left out: {} ({})",
            d["column"].as_str().unwrap_or(""),
            d["reason"].as_str().unwrap_or("")
        );
    }
    let model = &m["model"];
    println!(
        "model: {} measured cliques, junction tree of {} cells, {} measurements, {} fit iterations; {:.1} s in all",
        model["cliques"].as_array().map_or(0, Vec::len),
        model["junction_tree_cells"],
        model["measurements"],
        model["fit"]["iterations"],
        m["timings_seconds"]["total"].as_f64().unwrap_or(0.0)
    );
    println!("manifest: {}", m["manifest"].as_str().unwrap_or(""));
}

/// The ledger with AIM's per-round lines folded into two totals, for the screen.
fn summarize_ledger(ledger: &[Value]) -> Vec<Vec<String>> {
    let total: f64 = ledger.iter().filter_map(|c| c["rho"].as_f64()).sum();
    let mut rows: Vec<(String, String, f64, String)> = Vec::new();
    let mut rounds: [(usize, f64); 2] = [(0, 0.0), (0, 0.0)];
    for c in ledger {
        let step = c["step"].as_str().unwrap_or("");
        let rho = c["rho"].as_f64().unwrap_or(0.0);
        if step.starts_with("round ") {
            let k = usize::from(c["mechanism"] == "gaussian");
            rounds[k].0 += 1;
            rounds[k].1 += rho;
            continue;
        }
        rows.push((
            step.to_owned(),
            c["mechanism"].as_str().unwrap_or("").to_owned(),
            rho,
            c["detail"].as_str().unwrap_or("").to_owned(),
        ));
    }
    if rounds[0].0 > 0 {
        rows.push((
            format!("{} rounds: choose a marginal", rounds[0].0),
            "exponential".into(),
            rounds[0].1,
            String::new(),
        ));
        rows.push((
            format!("{} rounds: measure it", rounds[1].0),
            "gaussian".into(),
            rounds[1].1,
            String::new(),
        ));
    }
    rows.into_iter()
        .map(|(s, m, r, d)| {
            vec![
                s,
                m,
                format!("{r:.5}"),
                format!("{:.1}%", 100.0 * r / total.max(1e-300)),
                d,
            ]
        })
        .collect()
}
