//! The `attack`, `risk` and `utility` verbs: flags → request → workspace → print.

use crate::front::local;
use crate::output::{heads, pct, print_json, say, table, tr, warning};
use crate::{AttackCommand, DenominatorArg, Format, ModeArg, ReadArgs, SecretKindArg};
use anyhow::Result;
use datavisa_workflow::attack::{
    AttackKind, AttackRequest, RiskMeasured, RiskRequest, UtilityRequest,
};
use datavisa_workflow::i18n::Msg;
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
                keep_queries: false,
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
    say(Msg::new("cli.attack.summary")
        .arg("attack", r.attack.to_string())
        .arg("risk", pct(r.risk.value))
        .arg("low", pct(r.risk.ci[0]))
        .arg("high", pct(r.risk.ci[1]))
        .arg("confidence", pct(r.confidence))
        .arg("seed", r.seed.to_string()));
    let mut rows = vec![
        vec![
            tr(Msg::new("cli.attack.row_attack")),
            rate(&r.attack_rate),
            format!("{} / {}", r.n_success, r.attempts.main),
        ],
        vec![
            tr(Msg::new("cli.attack.row_baseline")),
            rate(&r.baseline_rate),
            format!("{} / {}", r.n_baseline, r.attempts.baseline),
        ],
    ];
    if let (Some(c), Some(k), Some(n)) = (&r.control_rate, r.n_control, r.attempts.control) {
        rows.push(vec![
            tr(Msg::new("cli.attack.row_control")),
            rate(c),
            format!("{k:.1} / {n}"),
        ]);
    }
    print!(
        "{}",
        table(&heads(&["", "success_rate", "successes"]), &rows, 40)
    );
    for w in &r.warnings {
        say(warning(w));
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
    say(Msg::new("cli.risk.summary")
        .arg("records", r.n_records.to_string())
        .arg("classes", r.n_classes.to_string())
        .arg("k", r.k.to_string())
        .arg("uniques", f(r.sample_uniqueness)));
    let p = &r.prosecutor;
    say(Msg::new("cli.risk.prosecutor")
        .arg("highest", f(p.highest))
        .arg("average", f(p.average))
        .arg("at_risk", f(p.records_at_risk)));
    say(Msg::new("cli.risk.journalist")
        .arg("highest", f(r.journalist.highest))
        .arg("average", f(r.journalist.average))
        .arg("marketer", f(r.marketer)));
    if let Some(pop) = &r.population {
        say(Msg::new("cli.risk.population")
            .arg("model", pop.dankar_model.to_string())
            .arg("value", f(pop.population_uniqueness)));
    }
    for s in &r.sensitive {
        say(Msg::new("cli.risk.sensitive")
            .arg("column", s.column.to_string())
            .arg("distinct", s.distinct_l.to_string())
            .arg("entropy", f(s.entropy_l))
            .arg("t", f(s.t_equal)));
    }
    if let Some(d) = &m.distance {
        say(Msg::new("cli.risk.distance")
            .arg("median", f(d.dcr_source.median))
            .arg("p05", f(d.dcr_source.p05))
            .arg("copies", f(d.exact_copies))
            .arg("closer", o(d.closer_to_source)));
    }
    for w in &r.warnings {
        say(warning(w));
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
            let f = |x: f64| format!("{x:.3}");
            say(Msg::new("cli.utility_cmd.summary")
                .arg("score", f(r.score))
                .arg("columns", f(r.column_score))
                .arg("pairs", f(r.pair_score))
                .arg("workload", f(r.workload_score)));
            let rows: Vec<Vec<String>> = r
                .columns
                .iter()
                .map(|c| vec![c.column.clone(), c.metric.into(), format!("{:.3}", c.score)])
                .collect();
            print!(
                "{}",
                table(&heads(&["column", "metric", "score"]), &rows, 40)
            );
            for l in &m.domain_losses {
                say(Msg::new("cli.utility_cmd.domain_loss")
                    .arg("column", format!("{:?}", l.column))
                    .arg("share", format!("{:.1}", 100.0 * l.share_lost)));
            }
            Ok(())
        }
    }
}
