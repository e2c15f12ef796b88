//! `datavisa twin synthesize`: a thin wrapper over the twin crate's DP synthesis, with progress
//! bars, the manifest written next to the twin, and the budget ledger printed.

use crate::front::local;
use crate::output::{print_json, table};
use crate::{Format, ReadArgs, SynthMethod, SynthesizeArgs};
use anyhow::Result;
use datavisa_workflow::twins::{ChargeView, Method, SynthParams, SynthesizeRequest, Synthesized};

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
    let req = SynthesizeRequest {
        input: a.input.clone(),
        output: a.output.clone(),
        read: read.into(),
        params: params(a),
    };
    let made = local(quiet)?.synthesize(&req)?;
    for w in &made.operator_warnings {
        // About the real data: for the operator's eyes, never written to the manifest.
        eprintln!("warning: {w}");
    }
    match format {
        Format::Json => print_json(&made),
        Format::Human => {
            print_human(&made);
            Ok(())
        }
    }
}

fn print_human(made: &Synthesized) {
    let w = &made.written;
    let Some(m) = w.manifest.synthetic() else {
        println!(
            "synthetic twin -> {}\nmanifest: {}",
            w.manifest.output.path, w.manifest_path
        );
        return;
    };
    let p = &m.privacy;
    println!(
        "{} synthetic twin: {} rows x {} columns -> {}",
        m.method.to_uppercase(),
        m.rows,
        m.columns.len(),
        w.manifest.output.path
    );
    println!(
        "privacy: epsilon {} delta {:e} (rho {:.5}, spent {:.5}); {}",
        serde_json::Value::from(p.epsilon),
        p.delta,
        p.rho,
        p.rho_spent,
        if m.seed.is_none() {
            "noise from OS entropy (not reproducible)"
        } else {
            "seeded: keep the manifest in-country"
        }
    );
    print!(
        "{}",
        table(
            &["step", "mechanism", "rho", "share", "detail"],
            &summarize_ledger(&p.ledger),
            60
        )
    );
    for d in &m.dropped {
        println!("left out: {} ({})", d.column, d.reason);
    }
    let model = &m.model;
    println!(
        "model: {} measured cliques, junction tree of {} cells, {} measurements, {} fit iterations; {:.1} s in all",
        model.cliques.len(),
        model.junction_tree_cells,
        model.measurements,
        model.fit.iterations,
        m.timings_seconds.total
    );
    println!("manifest: {}", w.manifest_path);
}

/// The ledger with AIM's per-round lines folded into two totals, for the screen.
fn summarize_ledger(ledger: &[ChargeView]) -> Vec<Vec<String>> {
    let total: f64 = ledger.iter().map(|c| c.rho).sum();
    let mut rows: Vec<(String, String, f64, String)> = Vec::new();
    let mut rounds: [(usize, f64); 2] = [(0, 0.0), (0, 0.0)];
    for c in ledger {
        if c.step.starts_with("round ") {
            let k = usize::from(c.mechanism == "gaussian");
            rounds[k].0 += 1;
            rounds[k].1 += c.rho;
            continue;
        }
        rows.push((c.step.clone(), c.mechanism.clone(), c.rho, c.detail.clone()));
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
