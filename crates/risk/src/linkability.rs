//! Linkability: can records of two external data sets, holding disjoint column groups A and B,
//! be joined through the twin? A target is linked when its k nearest twin records found via A
//! and via B share a record.

use crate::error::{invalid, Result, RiskError};
use crate::knn::nearest;
use crate::prepare::{column_indices, Prepared};
use crate::rates::{AttackResult, Outcome, Tally};
use crate::rng_stream;
use crate::watch::Watch;
use datavisa_table::{sample_indices, Table};
use rand::seq::index;
use serde::Serialize;
use serde_json::json;

/// Parameters of a linkability attack.
#[derive(Clone, Debug, Serialize)]
pub struct LinkabilityParams {
    pub n_attacks: usize,
    pub aux_a: Vec<String>,
    pub aux_b: Vec<String>,
    pub n_neighbors: usize,
    pub confidence: f64,
    pub seed: u64,
}

/// Neighbour lists kept so the attack can be re-scored for any smaller number of neighbours.
#[derive(Clone, Debug)]
pub struct LinkabilityOutcome {
    pub params: LinkabilityParams,
    main: Pairs,
    control: Option<Pairs>,
    baseline: Pairs,
    warnings: Vec<String>,
}

/// For each target: neighbours through A and through B (k each, nearest first).
#[derive(Clone, Debug)]
struct Pairs {
    k: usize,
    a: Vec<u32>,
    b: Vec<u32>,
}

impl Pairs {
    fn n(&self) -> usize {
        self.a.len().checked_div(self.k).unwrap_or(0)
    }

    fn linked(&self, m: usize) -> usize {
        let m = m.min(self.k);
        (0..self.n())
            .filter(|&i| {
                let a = &self.a[i * self.k..i * self.k + m];
                let b = &self.b[i * self.k..i * self.k + m];
                a.iter().any(|x| b.contains(x))
            })
            .count()
    }
}

/// Runs the linkability attack (main, control, baseline) and keeps the neighbour lists.
/// `watch` is told of each batch of targets done and can stop the attack between batches.
pub fn linkability(
    data: &Prepared,
    p: &LinkabilityParams,
    watch: &dyn Watch,
) -> Result<LinkabilityOutcome> {
    if p.aux_a.is_empty() || p.aux_b.is_empty() {
        return Err(invalid(
            "linkability needs two non-empty column groups (--aux-a and --aux-b)",
        ));
    }
    if let Some(c) = p.aux_a.iter().find(|c| p.aux_b.contains(c)) {
        return Err(invalid(format!(
            "column {c:?} is in both aux groups; they must be disjoint"
        )));
    }
    if p.n_neighbors == 0 || p.n_attacks == 0 {
        return Err(invalid("n_neighbors and n_attacks must be at least 1"));
    }
    let twin = &data.twin;
    if twin.n_rows == 0 {
        return Err(invalid("the twin has no rows"));
    }
    let cols_a = column_indices(twin, &p.aux_a)?;
    let cols_b = column_indices(twin, &p.aux_b)?;
    let k = p.n_neighbors.min(twin.n_rows);
    let mut warnings = Vec::new();
    if k < p.n_neighbors {
        warnings.push(format!("n_neighbors lowered to the twin's {k} rows"));
    }
    if (k * k) as f64 > 0.1 * twin.n_rows as f64 {
        warnings.push(format!(
            "with {k} neighbours and {} twin rows two random sets already overlap often (≈ k²/N = {:.2}); \
             use far fewer neighbours than √N",
            twin.n_rows,
            (k * k) as f64 / twin.n_rows as f64
        ));
    }
    let attack = |t: &Table, stream: u64, what: &str, warnings: &mut Vec<String>| {
        let n = p.n_attacks.min(t.n_rows);
        if n < p.n_attacks {
            warnings.push(format!("n_attacks lowered to the {n} rows of the {what}"));
        }
        let rows = sample_indices(t.n_rows, n, crate::stream_seed(p.seed, stream));
        let a = nearest(
            twin,
            t,
            &rows,
            &cols_a,
            k,
            crate::stream_seed(p.seed, stream + 1),
            watch,
        )?;
        let b = nearest(
            twin,
            t,
            &rows,
            &cols_b,
            k,
            crate::stream_seed(p.seed, stream + 2),
            watch,
        )?;
        Ok::<_, RiskError>(Pairs {
            k,
            a: a.idx,
            b: b.idx,
        })
    };
    let main = attack(&data.source, 10, "source", &mut warnings)?;
    let control = data
        .control
        .as_ref()
        .map(|c| attack(c, 20, "control", &mut warnings))
        .transpose()?;
    crate::watch::check(watch)?;
    let mut rng = rng_stream(p.seed, 30);
    let n_base = main.n();
    let (mut a, mut b) = (
        Vec::with_capacity(n_base * k),
        Vec::with_capacity(n_base * k),
    );
    for _ in 0..n_base {
        a.extend(
            index::sample(&mut rng, twin.n_rows, k)
                .iter()
                .map(|x| x as u32),
        );
        b.extend(
            index::sample(&mut rng, twin.n_rows, k)
                .iter()
                .map(|x| x as u32),
        );
    }
    Ok(LinkabilityOutcome {
        params: p.clone(),
        main,
        control,
        baseline: Pairs { k, a, b },
        warnings,
    })
}

impl LinkabilityOutcome {
    /// The largest number of neighbours that can be scored.
    pub fn max_neighbors(&self) -> usize {
        self.main.k
    }

    /// Scores the attack using the first `m` neighbours (`m` ≤ the number searched).
    pub fn result(&self, m: usize) -> Result<AttackResult> {
        if m == 0 || m > self.main.k {
            return Err(invalid(format!(
                "can re-score with 1 to {} neighbours, not {m}",
                self.main.k
            )));
        }
        let tally = |p: &Pairs| Tally {
            successes: p.linked(m) as f64,
            attempts: p.n() as f64,
        };
        let mut params = serde_json::to_value(&self.params).unwrap_or_default();
        params["n_neighbors"] = json!(m);
        Ok(AttackResult::assemble(Outcome {
            attack: "linkability".into(),
            n_attacks: self.params.n_attacks,
            main: tally(&self.main),
            baseline: tally(&self.baseline),
            control: self.control.as_ref().map(tally),
            confidence: self.params.confidence,
            seed: self.params.seed,
            params,
            warnings: self.warnings.clone(),
            details: serde_json::Value::Null,
        })?)
    }

    /// The result at the requested number of neighbours, with the risk at every smaller number.
    pub fn full_result(&self) -> Result<AttackResult> {
        let mut r = self.result(self.main.k)?;
        let by: Vec<serde_json::Value> = (1..=self.main.k)
            .map(|m| {
                self.result(m).map(|x| {
                    json!({"n_neighbors": m, "risk": x.risk, "attack_rate": x.attack_rate,
                           "baseline_rate": x.baseline_rate, "control_rate": x.control_rate})
                })
            })
            .collect::<Result<_>>()?;
        r.details = json!({ "by_n_neighbors": by });
        Ok(r)
    }
}
