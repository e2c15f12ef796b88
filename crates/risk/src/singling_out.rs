//! Singling out (the Anonymeter method, corrected): queries that isolate one twin record are
//! tried on the source; random queries give the baseline; the control set, with a seeded and
//! working size correction, removes what the twin reveals about the population at large.

use crate::error::{invalid, Result};
use crate::prepare::{dedup_rows, Prepared};
use crate::query::{Op, Predicate, Query, QueryIndex};
use crate::rates::{AttackResult, Outcome, Tally};
use crate::rng_stream;
use crate::watch::{check, Watch};
use datavisa_table::{ColumnData, Table, MISSING};
use hashbrown::HashSet;
use rand::seq::{index, SliceRandom};
use rand::Rng;
use rayon::prelude::*;
use serde::Serialize;
use serde_json::json;

/// How queries are built.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// One predicate per query, on a value rare in the twin (or a column's extreme).
    Univariate,
    /// `n_cols` predicates per query, taken from one twin record.
    Multivariate,
}

/// Which number of attempts the main and control rates divide by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Denominator {
    /// The queries actually found (corrected behaviour, the default).
    Generated,
    /// The requested `n_attacks` (Anonymeter 1.1.0; under-states the risk when few are found).
    Requested,
}

/// Parameters of a singling-out attack.
#[derive(Clone, Debug, Serialize)]
pub struct SinglingOutParams {
    pub n_attacks: usize,
    pub n_cols: usize,
    pub mode: Mode,
    pub max_attempts: u64,
    pub confidence: f64,
    pub seed: u64,
    pub denominator: Denominator,
    /// Keep duplicate rows. Anonymeter drops them, which suits synthetic twins; in a record-level
    /// twin (generalized, pseudonymized) each row is a person, and dropping duplicates would turn
    /// every k-anonymous class into a singled-out "record".
    pub keep_duplicates: bool,
    /// Record every successful query in the details (`successful_queries`), not only a sample
    /// of ten: what Anonymeter's `queries()` returns, for the Python drop-in. Recorded in the
    /// parameters only when set, so every other result stays what it was.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub keep_queries: bool,
}

impl Default for SinglingOutParams {
    fn default() -> Self {
        SinglingOutParams {
            n_attacks: 500,
            n_cols: 3,
            mode: Mode::Multivariate,
            max_attempts: 10_000_000,
            confidence: 0.95,
            seed: 0,
            denominator: Denominator::Generated,
            keep_duplicates: false,
            keep_queries: false,
        }
    }
}

const BATCH: usize = 1000;

/// The terms of the queries that hit, in order (what `keep_queries` records for a front end).
fn kept_terms(queries: &[Query], hit: &[bool], twin: &Table) -> serde_json::Value {
    queries
        .iter()
        .zip(hit)
        .filter(|(_, &h)| h)
        .map(|(q, _)| q.terms(twin))
        .collect()
}

/// Runs the singling-out attack on prepared tables.
pub fn singling_out(data: &Prepared, p: &SinglingOutParams) -> Result<AttackResult> {
    singling_out_watched(data, p, &|_| {})
}

/// [`singling_out`], stopping between batches of queries when `watch` says so.
pub fn singling_out_watched(
    data: &Prepared,
    p: &SinglingOutParams,
    watch: &dyn Watch,
) -> Result<AttackResult> {
    if p.n_attacks == 0 {
        return Err(invalid("n_attacks must be at least 1"));
    }
    let n_columns = data.twin.columns.len();
    if p.mode == Mode::Multivariate && (p.n_cols == 0 || p.n_cols > n_columns) {
        return Err(invalid(format!(
            "n_cols must be between 1 and the twin's {n_columns} columns, got {}",
            p.n_cols
        )));
    }
    let dedup = |t: &Table| {
        if p.keep_duplicates {
            t.clone()
        } else {
            dedup_rows(t)
        }
    };
    let source = dedup(&data.source);
    let twin = dedup(&data.twin);
    let control = data.control.as_ref().map(dedup);
    let twin_ix = QueryIndex::new(&twin);
    let mut warnings = Vec::new();
    let queries = match p.mode {
        Mode::Univariate => univariate_queries(&twin, &twin_ix, p, watch)?,
        Mode::Multivariate => multivariate_queries(&twin, &twin_ix, p, &mut warnings, watch)?,
    };
    if queries.len() < p.n_attacks {
        warnings.push(format!(
            "only {} of the {} requested singling-out queries could be found in the twin",
            queries.len(),
            p.n_attacks
        ));
    }
    let source_ix = QueryIndex::new(&source);
    let main_hits = hits(&source_ix, &queries, watch)?;
    let baseline_cols = if p.mode == Mode::Univariate {
        1
    } else {
        p.n_cols
    };
    let baseline = baseline_queries(&twin, &twin_ix, baseline_cols.min(n_columns), p);
    let baseline_hits = hits(&source_ix, &baseline, watch)?;
    let base_hits = baseline_hits.iter().filter(|&&h| h).count();
    let successful = |n: usize| -> Vec<String> {
        queries
            .iter()
            .zip(&main_hits)
            .filter(|(_, &h)| h)
            .take(n)
            .map(|(q, _)| q.describe(&twin))
            .collect()
    };
    let mut details = json!({
        "n_queries": queries.len(),
        "rows_after_dedup": {"source": source.n_rows, "twin": twin.n_rows,
                              "control": control.as_ref().map(|c| c.n_rows)},
        "successful_queries_sample": successful(10),
    });
    if p.keep_queries {
        details["successful_queries"] = json!(successful(usize::MAX));
        details["successful_query_terms"] = kept_terms(&queries, &main_hits, &twin);
        details["successful_baseline_queries"] = baseline
            .iter()
            .zip(&baseline_hits)
            .filter(|(_, &h)| h)
            .map(|(q, _)| q.describe(&twin))
            .collect();
        details["successful_baseline_query_terms"] = kept_terms(&baseline, &baseline_hits, &twin);
    }
    let control_successes = match &control {
        None => None,
        Some(c) => {
            let raw = hits(&QueryIndex::new(c), &queries, watch)?
                .iter()
                .filter(|&&h| h)
                .count() as f64;
            if c.n_rows == source.n_rows || raw == 0.0 {
                Some(raw)
            } else {
                let fit = size_correction(c, source.n_rows, &queries, p.seed, watch)?;
                details["size_correction"] = serde_json::to_value(&fit).unwrap_or_default();
                match fit.factor {
                    Some(f) => Some(raw * f),
                    None => {
                        warnings.push(
                            "control and source differ in size but the control is too small to fit \
                             the size correction; control successes are not rescaled"
                                .into(),
                        );
                        Some(raw)
                    }
                }
            }
        }
    };
    let generated = queries.len();
    let attempts = match p.denominator {
        Denominator::Generated if generated > 0 => generated,
        Denominator::Generated => {
            warnings.push(
                "no query singles out a twin record; rates use the requested n_attacks".into(),
            );
            p.n_attacks
        }
        Denominator::Requested => p.n_attacks,
    } as f64;
    let n_main = main_hits.iter().filter(|&&h| h).count() as f64;
    AttackResult::assemble(Outcome {
        attack: format!(
            "singling_out_{}",
            if p.mode == Mode::Univariate {
                "univariate"
            } else {
                "multivariate"
            }
        ),
        n_attacks: p.n_attacks,
        main: Tally {
            successes: n_main,
            attempts,
        },
        baseline: Tally {
            successes: base_hits as f64,
            attempts: baseline.len() as f64,
        },
        control: control_successes.map(|k| Tally {
            successes: k,
            attempts,
        }),
        confidence: p.confidence,
        seed: p.seed,
        params: serde_json::to_value(p).unwrap_or_default(),
        warnings,
        details,
    })
    .map_err(Into::into)
}

/// Whether each query singles out a row of `ix`, a batch at a time so a stop is seen soon.
fn hits(ix: &QueryIndex<'_>, queries: &[Query], watch: &dyn Watch) -> Result<Vec<bool>> {
    let mut out = Vec::with_capacity(queries.len());
    for chunk in queries.chunks(BATCH) {
        check(watch)?;
        out.par_extend(chunk.par_iter().map(|q| ix.singles_out(q)));
    }
    Ok(out)
}

/// Candidate univariate predicates in canonical order: a lone missing value, each numeric
/// column's extremes, and every value that occurs exactly once.
fn univariate_candidates(twin: &Table, ix: &QueryIndex<'_>) -> Vec<Predicate> {
    let mut out = Vec::new();
    for (c, col) in twin.columns.iter().enumerate() {
        let sorted = ix.sorted_values(c);
        let c = c as u32;
        if col.missing_count() == 1 {
            out.push(Predicate::IsNull(c));
        }
        match &col.data {
            ColumnData::Numeric(_) => {
                // The twin's index holds the values sorted already.
                let present = sorted.unwrap_or_default();
                if let (Some(&lo), Some(&hi)) = (present.first(), present.last()) {
                    out.push(Predicate::Num {
                        col: c,
                        op: Op::Le,
                        value: lo,
                    });
                    out.push(Predicate::Num {
                        col: c,
                        op: Op::Ge,
                        value: hi,
                    });
                }
                for (i, &x) in present.iter().enumerate() {
                    let before = i > 0 && present[i - 1] == x;
                    let after = i + 1 < present.len() && present[i + 1] == x;
                    if !before && !after {
                        out.push(Predicate::Num {
                            col: c,
                            op: Op::Eq,
                            value: x,
                        });
                    }
                }
            }
            ColumnData::Categorical(cat) => {
                for (code, &n) in cat.counts().iter().enumerate() {
                    if n == 1 {
                        out.push(Predicate::Code {
                            col: c,
                            eq: true,
                            code: code as u32,
                        });
                    }
                }
            }
        }
    }
    out
}

fn univariate_queries(
    twin: &Table,
    ix: &QueryIndex<'_>,
    p: &SinglingOutParams,
    watch: &dyn Watch,
) -> Result<Vec<Query>> {
    let mut candidates = univariate_candidates(twin, ix);
    candidates.shuffle(&mut rng_stream(p.seed, 1));
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for chunk in candidates.chunks(BATCH) {
        let qs: Vec<Query> = chunk.iter().map(|&pr| Query::new(vec![pr])).collect();
        for (q, ok) in qs.iter().zip(hits(ix, &qs, watch)?) {
            if ok && seen.insert(q.key()) {
                out.push(q.clone());
                if out.len() == p.n_attacks {
                    return Ok(out);
                }
            }
        }
    }
    Ok(out)
}

/// Median of each numeric column (None for categorical or all-missing columns).
fn medians(t: &Table) -> Vec<Option<f64>> {
    t.columns
        .iter()
        .map(|c| match &c.data {
            ColumnData::Numeric(v) => {
                let mut x: Vec<f64> = v.iter().copied().filter(|x| !x.is_nan()).collect();
                if x.is_empty() {
                    return None;
                }
                let mid = x.len() / 2;
                let (_, &mut hi, _) = x.select_nth_unstable_by(mid, f64::total_cmp);
                if x.len() % 2 == 1 {
                    Some(hi)
                } else {
                    let lo = x[..mid].iter().copied().fold(f64::NEG_INFINITY, f64::max);
                    Some((lo + hi) / 2.0)
                }
            }
            ColumnData::Categorical(_) => None,
        })
        .collect()
}

/// The predicate describing row `r` of column `c`, pushed towards the tail for numbers.
fn row_predicate(t: &Table, c: usize, r: usize, median: Option<f64>) -> Predicate {
    let col = c as u32;
    match &t.columns[c].data {
        ColumnData::Categorical(cat) => match cat.codes()[r] {
            MISSING => Predicate::IsNull(col),
            code => Predicate::Code {
                col,
                eq: true,
                code,
            },
        },
        ColumnData::Numeric(v) => {
            let x = v[r];
            if x.is_nan() {
                Predicate::IsNull(col)
            } else if median.is_some_and(|m| x > m) {
                Predicate::Num {
                    col,
                    op: Op::Ge,
                    value: x,
                }
            } else {
                Predicate::Num {
                    col,
                    op: Op::Le,
                    value: x,
                }
            }
        }
    }
}

fn multivariate_queries(
    twin: &Table,
    ix: &QueryIndex<'_>,
    p: &SinglingOutParams,
    warnings: &mut Vec<String>,
    watch: &dyn Watch,
) -> Result<Vec<Query>> {
    let med = medians(twin);
    let mut rng = rng_stream(p.seed, 1);
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    let mut attempts = 0u64;
    if twin.n_rows == 0 {
        return Ok(out);
    }
    while out.len() < p.n_attacks {
        if attempts >= p.max_attempts {
            warnings.push(format!(
                "stopped after {attempts} candidate queries (max_attempts) with {} found",
                out.len()
            ));
            break;
        }
        let batch = (BATCH as u64).min(p.max_attempts - attempts) as usize;
        let rows: Vec<usize> = (0..batch)
            .map(|_| rng.random_range(0..twin.n_rows))
            .collect();
        let qs: Vec<Query> = rows
            .iter()
            .map(|&r| {
                let cols = index::sample(&mut rng, twin.columns.len(), p.n_cols);
                Query::new(
                    cols.iter()
                        .map(|c| row_predicate(twin, c, r, med[c]))
                        .collect(),
                )
            })
            .collect();
        attempts += batch as u64;
        for (q, ok) in qs.iter().zip(hits(ix, &qs, watch)?) {
            if ok && seen.insert(q.key()) {
                out.push(q.clone());
                if out.len() == p.n_attacks {
                    break;
                }
            }
        }
    }
    Ok(out)
}

/// A column's distinct values in the twin, in canonical order (missing last when present).
enum Distinct {
    Codes(Vec<u32>),
    Numbers(Vec<f64>),
}

fn distinct_values(t: &Table, ix: &QueryIndex<'_>) -> Vec<Distinct> {
    t.columns
        .iter()
        .enumerate()
        .map(|(j, c)| match &c.data {
            ColumnData::Categorical(cat) => {
                let mut v: Vec<u32> = cat
                    .counts()
                    .iter()
                    .enumerate()
                    .filter(|(_, &n)| n > 0)
                    .map(|(code, _)| code as u32)
                    .collect();
                if cat.codes().contains(&MISSING) {
                    v.push(MISSING);
                }
                Distinct::Codes(v)
            }
            ColumnData::Numeric(x) => {
                // The index holds the values sorted already.
                let mut v: Vec<f64> = ix.sorted_values(j).unwrap_or_default().to_vec();
                v.dedup();
                if x.iter().any(|x| x.is_nan()) {
                    v.push(f64::NAN);
                }
                Distinct::Numbers(v)
            }
        })
        .collect()
}

/// Random queries that ignore what the twin says about individuals (the naive attacker).
fn baseline_queries(
    twin: &Table,
    ix: &QueryIndex<'_>,
    n_cols: usize,
    p: &SinglingOutParams,
) -> Vec<Query> {
    let distinct = distinct_values(twin, ix);
    let mut rng = rng_stream(p.seed, 2);
    (0..p.n_attacks)
        .map(|_| {
            let mut cols = index::sample(&mut rng, twin.columns.len(), n_cols).into_vec();
            cols.sort_unstable();
            let preds = cols
                .into_iter()
                .filter_map(|c| {
                    let col = c as u32;
                    match &distinct[c] {
                        Distinct::Codes(v) if !v.is_empty() => {
                            let code = v[rng.random_range(0..v.len())];
                            let eq = rng.random_bool(0.5);
                            Some(match (code, eq) {
                                (MISSING, true) => Predicate::IsNull(col),
                                (MISSING, false) => Predicate::NotNull(col),
                                _ => Predicate::Code { col, eq, code },
                            })
                        }
                        Distinct::Numbers(v) if !v.is_empty() => {
                            let value = v[rng.random_range(0..v.len())];
                            if value.is_nan() {
                                Some(if rng.random_bool(0.5) {
                                    Predicate::IsNull(col)
                                } else {
                                    Predicate::NotNull(col)
                                })
                            } else {
                                let op = Op::ALL[rng.random_range(0..Op::ALL.len())];
                                Some(Predicate::Num { col, op, value })
                            }
                        }
                        _ => None,
                    }
                })
                .collect();
            Query::new(preds)
        })
        .collect()
}

/// The fitted control size correction.
#[derive(Clone, Debug, Serialize)]
pub struct SizeCorrection {
    /// Multiplier applied to the control successes (None when it could not be fitted).
    pub factor: Option<f64>,
    pub w_eff: f64,
    pub norm: f64,
    /// (subsample size, queries singling out) measurements.
    pub measurements: Vec<(usize, usize)>,
}

/// Expected singling-out queries in a data set of `n` rows (Cohen & Nissim's predicate singling
/// out probability integrated over query weights up to `w`).
pub fn expected_singling_out(n: f64, w: f64, norm: f64) -> f64 {
    let tail = if w >= 1.0 {
        0.0
    } else {
        (n * (-w).ln_1p()).exp()
    };
    norm * (1.0 - (n * w + 1.0) * tail) / (n + 1.0)
}

/// Measures, on seeded subsamples of the control, how many queries single out at each size,
/// fits the model and returns the factor from the control's size to the source's.
fn size_correction(
    control: &Table,
    n_source: usize,
    queries: &[Query],
    seed: u64,
    watch: &dyn Watch,
) -> Result<SizeCorrection> {
    let n = control.n_rows;
    let lo = n.min(1000);
    let sizes: Vec<usize> = (0..10)
        .map(|i| lo + ((n - lo) as f64 * i as f64 / 9.0) as usize)
        .collect();
    let mut measurements = Vec::new();
    for (i, &size) in sizes.iter().enumerate() {
        for rep in 0..5u64 {
            let rows =
                datavisa_table::sample_indices(n, size, seed ^ (0x5c5c_0000 + i as u64 * 16 + rep));
            let sub = control.take(&rows);
            let k = hits(&QueryIndex::new(&sub), queries, watch)?
                .iter()
                .filter(|&&h| h)
                .count();
            measurements.push((size, k));
        }
    }
    let distinct_sizes = {
        let mut s = sizes.clone();
        s.dedup();
        s.len()
    };
    let (w, norm) = fit_singling_out_model(&measurements);
    let factor = (distinct_sizes >= 2 && norm > 0.0).then(|| {
        expected_singling_out(n_source as f64, w, norm) / expected_singling_out(n as f64, w, norm)
    });
    Ok(SizeCorrection {
        factor: factor.filter(|f| f.is_finite()),
        w_eff: w,
        norm,
        measurements,
    })
}

/// Least-squares fit of `(w, norm)`: norm in closed form for each w, w by a log grid refined
/// with golden-section search.
pub fn fit_singling_out_model(m: &[(usize, usize)]) -> (f64, f64) {
    let sse_norm = |w: f64| {
        let (mut yg, mut gg) = (0.0, 0.0);
        for &(n, y) in m {
            let g = expected_singling_out(n as f64, w, 1.0);
            yg += y as f64 * g;
            gg += g * g;
        }
        let norm = if gg > 0.0 { (yg / gg).max(0.0) } else { 0.0 };
        let sse: f64 = m
            .iter()
            .map(|&(n, y)| (y as f64 - norm * expected_singling_out(n as f64, w, 1.0)).powi(2))
            .sum();
        (sse, norm)
    };
    let grid: Vec<f64> = (0..=600)
        .map(|i| 10f64.powf(-12.0 + 12.0 * i as f64 / 600.0))
        .collect();
    let best = (0..grid.len())
        .min_by(|&a, &b| sse_norm(grid[a]).0.total_cmp(&sse_norm(grid[b]).0))
        .unwrap_or(0);
    let (mut a, mut b) = (
        grid[best.saturating_sub(1)].ln(),
        grid[(best + 1).min(grid.len() - 1)].ln(),
    );
    let phi = (5f64.sqrt() - 1.0) / 2.0;
    for _ in 0..80 {
        let c = b - phi * (b - a);
        let d = a + phi * (b - a);
        if sse_norm(c.exp()).0 < sse_norm(d.exp()).0 {
            b = d;
        } else {
            a = c;
        }
    }
    let w = ((a + b) / 2.0).exp().min(1.0);
    (w, sse_norm(w).1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_matches_the_integral() {
        // ∫₀^w n·x·(1−x)^(n−1) dx by the trapezoid rule.
        let (n, w) = (50.0, 0.1);
        let steps = 200_000;
        let h = w / steps as f64;
        let f = |x: f64| n * x * (1.0 - x).powf(n - 1.0);
        let integral: f64 = (0..steps)
            .map(|i| (f(i as f64 * h) + f((i + 1) as f64 * h)) * h / 2.0)
            .sum();
        assert!((expected_singling_out(n, w, 1.0) - integral).abs() < 1e-9);
    }

    #[test]
    fn fit_recovers_known_parameters() {
        let (w, norm) = (0.002, 5.0e6);
        let m: Vec<(usize, usize)> = [1000usize, 2000, 3000, 5000, 8000]
            .iter()
            .map(|&n| (n, expected_singling_out(n as f64, w, norm).round() as usize))
            .collect();
        let (fw, fnorm) = fit_singling_out_model(&m);
        assert!((fw - w).abs() / w < 0.02, "{fw}");
        assert!((fnorm - norm).abs() / norm < 0.02, "{fnorm}");
    }
}
