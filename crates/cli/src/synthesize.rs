//! `datavisa twin synthesize`: a thin wrapper over the twin crate's DP synthesis, with progress
//! bars, the manifest written next to the twin, and the budget ledger printed.

use crate::front::local;
use crate::output::{heads, print_json, say, table, tell, tr, warning};
use crate::{Format, ReadArgs, SynthMethod, SynthesizeArgs};
use anyhow::Result;
use datavisa_workflow::i18n::Msg;
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
        min_domain_coverage: a.min_domain_coverage,
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
        domain_from: a.domain_from.clone(),
        output_format: (&a.text).into(),
    };
    let made = local(quiet)?.synthesize(&req)?;
    for w in &made.operator_warnings {
        // About the real data: for the operator's eyes, never written to the manifest.
        tell(warning(w));
    }
    match format {
        Format::Json => print_json(&made)?,
        Format::Human => print_human(&made),
    }
    // Last, so it is the line the operator reads: a column the estimated domain emptied.
    for l in &made.domain_losses {
        tell(
            Msg::new("cli.synthesize.domain_loss")
                .arg("column", format!("{:?}", l.column))
                .arg("share", format!("{:.1}", 100.0 * l.share_lost))
                .arg("values", l.values_lost.to_string())
                .arg("flag", format!("--domain-from {}=FILE", l.column)),
        );
        if let Some(s) = &l.suggestion {
            tell(
                Msg::new("cli.synthesize.domain_suggestion")
                    .arg("column", format!("{:?}", l.column))
                    .arg("source", s.source.as_str())
                    .arg("share", format!("{:.1}", 100.0 * s.coverage)),
            );
            tell(Msg::as_written(s.toml.trim_end()));
        }
    }
    Ok(())
}

fn print_human(made: &Synthesized) {
    let w = &made.written;
    let Some(m) = w.manifest.synthetic() else {
        say(Msg::new("cli.synthesize.no_manifest")
            .arg("output", w.manifest.output.path.to_string())
            .arg("manifest", w.manifest_path.to_string()));
        return;
    };
    let p = &m.privacy;
    say(Msg::new("cli.synthesize.head")
        .arg("method", m.method.to_uppercase())
        .arg("rows", m.rows.to_string())
        .arg("columns", m.columns.len().to_string())
        .arg("output", w.manifest.output.path.to_string()));
    let noise = if m.seed.is_none() {
        "unseeded"
    } else {
        "seeded"
    };
    say(Msg::new("cli.synthesize.privacy")
        .arg("epsilon", serde_json::Value::from(p.epsilon).to_string())
        .arg("delta", format!("{:e}", p.delta))
        .arg("rho", format!("{:.5}", p.rho))
        .arg("spent", format!("{:.5}", p.rho_spent))
        .arg("noise", Msg::new(&format!("cli.synthesize.{noise}"))));
    print!(
        "{}",
        table(
            &heads(&["step", "mechanism", "rho", "share", "detail"]),
            &summarize_ledger(&p.ledger),
            60
        )
    );
    for d in &m.dropped {
        say(Msg::new("cli.synthesize.left_out")
            .arg("column", d.column.to_string())
            .arg("reason", d.reason.to_string()));
    }
    let model = &m.model;
    say(Msg::new("cli.synthesize.model")
        .arg("cliques", model.cliques.len().to_string())
        .arg("cells", model.junction_tree_cells.to_string())
        .arg("measurements", model.measurements.to_string())
        .arg("iterations", model.fit.iterations.to_string())
        .arg("seconds", format!("{:.1}", m.timings_seconds.total)));
    say(Msg::new("cli.synthesize.manifest").arg("manifest", w.manifest_path.to_string()));
    crate::generalize::say_format(w);
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
            tr(Msg::new("cli.synthesize.rounds_choose").arg("n", rounds[0].0.to_string())),
            "exponential".into(),
            rounds[0].1,
            String::new(),
        ));
        rows.push((
            tr(Msg::new("cli.synthesize.rounds_measure").arg("n", rounds[1].0.to_string())),
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
