//! Inference: guess a secret column of a target from the columns an attacker knows (`aux`), by
//! copying the secret of the nearest twin record.

use crate::error::{invalid, Result};
use crate::knn::nearest;
use crate::prepare::{column_indices, Prepared};
use crate::rates::{wilson, AttackResult, Outcome, SuccessRate, Tally};
use crate::watch::Watch;
use datavisa_table::{sample_indices, ColumnData, Table, MISSING};
use serde::Serialize;
use serde_json::json;

/// How a guess of the secret is judged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SecretKind {
    /// Numeric secret → tolerance, otherwise exact match.
    Auto,
    /// Exact match (both missing also counts).
    Categorical,
    /// `|guess − secret| ≤ tolerance · |secret|` (a secret of 0 needs a guess of 0).
    Numeric,
}

/// Parameters of an inference attack.
#[derive(Clone, Debug, Serialize)]
pub struct InferenceParams {
    pub n_attacks: usize,
    pub aux_cols: Vec<String>,
    pub secret: String,
    pub kind: SecretKind,
    pub tolerance: f64,
    pub confidence: f64,
    pub seed: u64,
}

/// True when a guess counts as correct.
pub fn guess_ok(guess: f64, secret: f64, tolerance: f64) -> bool {
    match (guess.is_nan(), secret.is_nan()) {
        (true, true) => true,
        (false, false) => (guess - secret).abs() <= tolerance * secret.abs(),
        _ => false,
    }
}

enum Secret<'a> {
    Codes(&'a [u32]),
    Numbers(&'a [f64], f64),
}

impl Secret<'_> {
    fn of(t: &Table, c: usize, numeric: bool, tol: f64) -> Secret<'_> {
        match &t.columns[c].data {
            ColumnData::Numeric(v) if numeric => Secret::Numbers(v, tol),
            ColumnData::Categorical(cat) => Secret::Codes(cat.codes()),
            ColumnData::Numeric(v) => Secret::Numbers(v, 0.0),
        }
    }
}

fn success(twin: &Secret<'_>, guess_row: usize, target: &Secret<'_>, target_row: usize) -> bool {
    match (twin, target) {
        (Secret::Codes(g), Secret::Codes(s)) => g[guess_row] == s[target_row],
        (Secret::Numbers(g, tol), Secret::Numbers(s, _)) => {
            guess_ok(g[guess_row], s[target_row], *tol)
        }
        _ => false,
    }
}

/// Group key of a target's secret value (codes, or the bits of a number).
fn group_key(s: &Secret<'_>, r: usize) -> u64 {
    match s {
        Secret::Codes(c) => c[r] as u64,
        Secret::Numbers(v, _) => v[r].to_bits(),
    }
}

/// Runs the inference attack. `watch` is told of each batch of targets done and can stop the
/// attack between batches.
pub fn inference(data: &Prepared, p: &InferenceParams, watch: &dyn Watch) -> Result<AttackResult> {
    let twin = &data.twin;
    if twin.n_rows == 0 || data.source.n_rows == 0 {
        return Err(invalid(
            "the twin and the source need at least one row each",
        ));
    }
    if p.aux_cols.is_empty() {
        return Err(invalid("inference needs at least one aux column"));
    }
    if p.aux_cols.contains(&p.secret) {
        return Err(invalid(format!(
            "the secret {:?} cannot also be an aux column",
            p.secret
        )));
    }
    if p.n_attacks == 0 || p.tolerance.is_nan() || p.tolerance < 0.0 {
        return Err(invalid(
            "n_attacks must be at least 1 and the tolerance not negative",
        ));
    }
    let aux = column_indices(twin, &p.aux_cols)?;
    let sc = twin.index_of(&p.secret)?;
    let is_num = [Some(&data.source), Some(twin), data.control.as_ref()]
        .into_iter()
        .flatten()
        .all(|t| matches!(t.columns[sc].data, ColumnData::Numeric(_)));
    let numeric = match p.kind {
        SecretKind::Auto => is_num,
        SecretKind::Numeric if !is_num => {
            return Err(invalid(format!(
                "the secret {:?} is not numeric in every table",
                p.secret
            )))
        }
        SecretKind::Numeric => true,
        SecretKind::Categorical => false,
    };
    let tol = if numeric { p.tolerance } else { 0.0 };
    let twin_secret = Secret::of(twin, sc, numeric, tol);
    let mut warnings = Vec::new();
    let run = |t: &Table, stream: u64| {
        let n = p.n_attacks.min(t.n_rows);
        let rows = sample_indices(t.n_rows, n, crate::stream_seed(p.seed, stream));
        let nb = nearest(
            twin,
            t,
            &rows,
            &aux,
            1,
            crate::stream_seed(p.seed, stream + 1),
            watch,
        )?;
        let target = Secret::of(t, sc, numeric, tol);
        let ok: Vec<bool> = rows
            .iter()
            .enumerate()
            .map(|(i, &r)| success(&twin_secret, nb.of(i)[0] as usize, &target, r))
            .collect();
        let keys: Vec<u64> = rows.iter().map(|&r| group_key(&target, r)).collect();
        Ok::<_, crate::RiskError>((ok, keys))
    };
    let (main_ok, main_keys) = run(&data.source, 10)?;
    if main_ok.len() < p.n_attacks {
        warnings.push(format!(
            "n_attacks lowered to the {} rows of the source",
            main_ok.len()
        ));
    }
    let control = data.control.as_ref().map(|c| run(c, 20)).transpose()?;
    crate::watch::check(watch)?;
    // Baseline: the secret of a random twin record, compared position by position.
    let n_base = twin.n_rows.min(main_ok.len());
    let targets = sample_indices(data.source.n_rows, n_base, crate::stream_seed(p.seed, 30));
    let guesses = sample_indices(twin.n_rows, n_base, crate::stream_seed(p.seed, 31));
    let src_secret = Secret::of(&data.source, sc, numeric, tol);
    let base_ok = targets
        .iter()
        .zip(&guesses)
        .filter(|(&t, &g)| success(&twin_secret, g, &src_secret, t))
        .count();
    let count = |v: &[bool]| v.iter().filter(|&&x| x).count() as f64;
    let baseline = Tally {
        successes: base_ok as f64,
        attempts: n_base as f64,
    };
    let groups = per_group(
        &main_ok,
        &main_keys,
        control.as_ref(),
        &data.source,
        sc,
        p.confidence,
    )?;
    let details = json!({ "secret_kind": if numeric { "numeric" } else { "categorical" },
                          "per_group": groups });
    Ok(AttackResult::assemble(Outcome {
        attack: "inference".into(),
        n_attacks: p.n_attacks,
        main: Tally {
            successes: count(&main_ok),
            attempts: main_ok.len() as f64,
        },
        baseline,
        control: control.as_ref().map(|(ok, _)| Tally {
            successes: count(ok),
            attempts: ok.len() as f64,
        }),
        confidence: p.confidence,
        seed: p.seed,
        params: serde_json::to_value(p).unwrap_or_default(),
        warnings,
        details,
    })?)
}

const MAX_GROUPS: usize = 100;

/// Risk for each value of the secret: main and control restricted to targets holding that value
/// (as Anonymeter's `risk_for_groups`; the baseline, shared, does not enter the risk). Skipped
/// above [`MAX_GROUPS`] values.
fn per_group(
    main_ok: &[bool],
    main_keys: &[u64],
    control: Option<&(Vec<bool>, Vec<u64>)>,
    source: &Table,
    sc: usize,
    confidence: f64,
) -> Result<serde_json::Value> {
    let mut keys: Vec<u64> = main_keys.to_vec();
    keys.sort_unstable();
    keys.dedup();
    if keys.len() > MAX_GROUPS {
        return Ok(serde_json::Value::Null);
    }
    let tally = |ok: &[bool], ks: &[u64], key: u64| {
        let (mut s, mut n) = (0.0, 0.0);
        for (&o, &k) in ok.iter().zip(ks) {
            if k == key {
                n += 1.0;
                s += o as u8 as f64;
            }
        }
        Tally {
            successes: s,
            attempts: n,
        }
    };
    let label = |key: u64| -> String {
        match &source.columns[sc].data {
            ColumnData::Categorical(_) if key as u32 == MISSING => "(missing)".into(),
            ColumnData::Categorical(cat) => cat.dict().get(key as u32).to_owned(),
            ColumnData::Numeric(_) => f64::from_bits(key).to_string(),
        }
    };
    let mut out = Vec::new();
    for key in keys {
        let main = tally(main_ok, main_keys, key);
        let ctrl = control
            .map(|(ok, ks)| tally(ok, ks, key))
            .filter(|t| t.attempts > 0.0);
        let rate =
            |t: Tally| -> Result<SuccessRate> { Ok(wilson(t.successes, t.attempts, confidence)?) };
        let m = rate(main)?;
        let c = ctrl.map(rate).transpose()?;
        let (v, e) = crate::rates::residual(m, c);
        out.push(
            json!({"value": label(key), "n_targets": main.attempts, "n_success": main.successes,
                        "n_control_targets": ctrl.map(|t| t.attempts),
                        "n_control_success": ctrl.map(|t| t.successes),
                        "risk": crate::rates::clip_risk(v, e)}),
        );
    }
    Ok(serde_json::Value::Array(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_tolerance_is_symmetric_and_on_the_secret() {
        assert!(guess_ok(104.0, 100.0, 0.05));
        assert!(guess_ok(96.0, 100.0, 0.05));
        assert!(!guess_ok(106.0, 100.0, 0.05));
        assert!(!guess_ok(-1.0, 100.0, 0.05)); // Anonymeter accepts any negative guess
        assert!(guess_ok(-104.0, -100.0, 0.05));
        assert!(guess_ok(0.0, 0.0, 0.05));
        assert!(!guess_ok(0.001, 0.0, 0.05));
        assert!(guess_ok(f64::NAN, f64::NAN, 0.05));
        assert!(!guess_ok(f64::NAN, 1.0, 0.05));
    }
}
