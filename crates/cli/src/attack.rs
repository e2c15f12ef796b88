//! The `attack`, `risk` and `utility` verbs: flags → request → workspace → print.

use crate::front::local;
use crate::output::{pct, print_json, table};
use crate::{AttackCommand, DenominatorArg, Format, ModeArg, ReadArgs, SecretKindArg};
use anyhow::Result;
use datavisa_workflow::attack::{
    AttackKind, AttackRequest, RiskMeasured, RiskRequest, UtilityRequest,
};
use datavisa_workflow::risk::{AttackResult, Denominator, Mode, SecretKind, SuccessRate};
use std::path::Path;

/// `datavisa attack ...`.
pub fn attack_cmd(a: AttackCommand, quiet: bool) -> Result<()> {
    let (args, kind) = match a {
        AttackCommand::SinglingOut {
            common: c,
            mode,
            n_cols,
            max_attempts,
            denominator,
        } => (
            c,
            AttackKind::SinglingOut {
                mode: match mode {
                    ModeArg::Univariate => Mode::Univariate,
                    ModeArg::Multivariate => Mode::Multivariate,
                },
                n_cols,
                max_attempts,
                denominator: match denominator {
                    DenominatorArg::Generated => Denominator::Generated,
                    DenominatorArg::Requested => Denominator::Requested,
                },
            },
        ),
        AttackCommand::Linkability {
            common: c,
            mut aux_a,
            mut aux_b,
            aux_cols,
            n_neighbors,
        } => {
            if !aux_cols.is_empty() {
                let half = aux_cols.len().div_ceil(2);
                aux_a = aux_cols[..half].to_vec();
                aux_b = aux_cols[half..].to_vec();
            }
            (
                c,
                AttackKind::Linkability {
                    aux_a,
                    aux_b,
                    n_neighbors,
                },
            )
        }
        AttackCommand::Inference {
            common: c,
            secret,
            aux_cols,
            secret_kind,
            tolerance,
        } => (
            c,
            AttackKind::Inference {
                secret,
                aux: aux_cols,
                kind: match secret_kind {
                    SecretKindArg::Auto => SecretKind::Auto,
                    SecretKindArg::Categorical => SecretKind::Categorical,
                    SecretKindArg::Numeric => SecretKind::Numeric,
                },
                tolerance,
            },
        ),
    };
    let req = AttackRequest {
        source: args.source.clone(),
        twin: args.twin.clone(),
        control: args.control.clone(),
        read: (&args.read).into(),
        kind,
        n_attacks: args.n_attacks,
        confidence: args.confidence,
        seed: args.seed,
    };
    let r = local(quiet)?.attack(&req)?;
    match args.format {
        Format::Json => print_json(&r),
        Format::Human => {
            print_attack_human(&r.result);
            Ok(())
        }
    }
}

fn print_attack_human(r: &AttackResult) {
    let rate = |x: &SuccessRate| format!("{} ± {}", pct(x.value), pct(x.error));
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

/// `datavisa risk`: classic risk of a table (and distances when it is a twin of `source`).
pub fn risk(req: &RiskRequest, format: Format, quiet: bool) -> Result<()> {
    let m = local(quiet)?.risk(req)?;
    match format {
        Format::Json => print_json(&m),
        Format::Human => {
            print_risk_human(&m);
            Ok(())
        }
    }
}

fn print_risk_human(m: &RiskMeasured) {
    let f = |x: f64| format!("{x:.4}");
    let o = |x: Option<f64>| x.map_or("-".into(), f);
    let r = &m.report;
    println!(
        "{} records, {} classes, k = {}, sample uniques {}",
        r.n_records,
        r.n_classes,
        r.k,
        f(r.sample_uniqueness)
    );
    let p = &r.prosecutor;
    println!(
        "prosecutor risk: highest {}, average {}, records at risk {}",
        f(p.highest),
        f(p.average),
        f(p.records_at_risk)
    );
    println!(
        "journalist risk: highest {}, average {}; marketer {}",
        f(r.journalist.highest),
        f(r.journalist.average),
        f(r.marketer)
    );
    if let Some(pop) = &r.population {
        println!(
            "population uniqueness ({}): {}",
            pop.dankar_model,
            f(pop.population_uniqueness)
        );
    }
    for s in &r.sensitive {
        println!(
            "{}: distinct l {}, entropy l {}, t (equal) {}",
            s.column,
            s.distinct_l,
            f(s.entropy_l),
            f(s.t_equal)
        );
    }
    if let Some(d) = &m.distance {
        println!(
            "DCR to source: median {}, 5th percentile {}; exact copies {}; closer to source than holdout {}",
            f(d.dcr_source.median),
            f(d.dcr_source.p05),
            f(d.exact_copies),
            o(d.closer_to_source)
        );
    }
    for w in &r.warnings {
        println!("warning: {w}");
    }
}

/// `datavisa utility`: utility of a twin against its source.
pub fn utility_cmd(
    source: &Path,
    twin: &Path,
    queries: usize,
    seed: u64,
    read: &ReadArgs,
    format: Format,
    quiet: bool,
) -> Result<()> {
    let req = UtilityRequest {
        source: source.to_path_buf(),
        twin: twin.to_path_buf(),
        queries,
        seed,
        read: read.into(),
    };
    let m = local(quiet)?.utility(&req)?;
    let r = &m.report;
    match format {
        Format::Json => print_json(&m),
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
