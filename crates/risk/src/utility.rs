//! Utility of a twin against its source: per-column distribution similarity (1 − TVD for
//! categories, 1 − KS for numbers), pairwise association similarity, and the error of a random
//! workload of 2- and 3-way count queries. Every score is in [0, 1], higher is better.

use crate::error::{invalid, Result};
use crate::prepare::Prepared;
use datavisa_table::{ColumnData, Table};
use hashbrown::HashMap;
use rand::seq::index;
use rand::Rng;
use rayon::prelude::*;
use serde::Serialize;

/// Bins per numeric column in pairwise and workload measures.
const BINS: usize = 10;
/// Categories kept per column in pairwise measures (the rest pooled as "other").
const TOP: usize = 50;

/// One column's similarity.
#[derive(Clone, Debug, Serialize)]
pub struct ColumnScore {
    pub column: String,
    pub metric: &'static str,
    /// The distance (TVD or KS statistic).
    pub distance: f64,
    pub score: f64,
    pub missing_share_source: f64,
    pub missing_share_twin: f64,
}

/// One pair's association similarity.
#[derive(Clone, Debug, Serialize)]
pub struct PairScore {
    pub columns: [String; 2],
    pub metric: &'static str,
    pub source: Option<f64>,
    pub twin: Option<f64>,
    pub score: f64,
}

/// Workload error summary.
#[derive(Clone, Debug, Serialize)]
pub struct Workload {
    pub n_queries: usize,
    pub mean_absolute_error: f64,
    pub mean_relative_error: f64,
    /// 1 − mean of |a − b| / (a + b) over the queries.
    pub score: f64,
    pub examples: Vec<serde_json::Value>,
}

/// The utility report.
#[derive(Clone, Debug, Serialize)]
pub struct UtilityReport {
    pub score: f64,
    pub column_score: f64,
    pub pair_score: f64,
    pub workload_score: f64,
    pub columns: Vec<ColumnScore>,
    pub pairs: Vec<PairScore>,
    pub workload: Workload,
    pub seed: u64,
}

/// Measures the twin's utility against the source.
pub fn utility(data: &Prepared, n_queries: usize, seed: u64) -> Result<UtilityReport> {
    let (s, t) = (&data.source, &data.twin);
    if s.n_rows == 0 || t.n_rows == 0 {
        return Err(invalid(
            "utility needs rows in both the source and the twin",
        ));
    }
    let columns: Vec<ColumnScore> = (0..s.columns.len())
        .into_par_iter()
        .map(|c| column_score(s, t, c))
        .collect();
    let binned: Vec<(Vec<u32>, Vec<u32>, u32)> = (0..s.columns.len())
        .into_par_iter()
        .map(|c| bin(s, t, c))
        .collect();
    let mut pairs_ix = Vec::new();
    for a in 0..s.columns.len() {
        for b in a + 1..s.columns.len() {
            pairs_ix.push((a, b));
        }
    }
    let pairs: Vec<PairScore> = pairs_ix
        .par_iter()
        .map(|&(a, b)| pair_score(s, t, a, b, &binned))
        .collect();
    let workload = workload(s, t, &binned, n_queries, seed);
    let mean = |v: &mut dyn Iterator<Item = f64>| {
        let (sum, n) = v.fold((0.0, 0usize), |(s, n), x| (s + x, n + 1));
        if n == 0 {
            1.0
        } else {
            sum / n as f64
        }
    };
    let column_score = mean(&mut columns.iter().map(|c| c.score));
    let pair_score = mean(&mut pairs.iter().map(|p| p.score));
    Ok(UtilityReport {
        score: (column_score + pair_score + workload.score) / 3.0,
        column_score,
        pair_score,
        workload_score: workload.score,
        columns,
        pairs,
        workload,
        seed,
    })
}

fn column_score(s: &Table, t: &Table, c: usize) -> ColumnScore {
    let (cs, ct) = (&s.columns[c], &t.columns[c]);
    let miss = |col: &datavisa_table::Column| col.missing_count() as f64 / col.len() as f64;
    let (metric, distance) = match (&cs.data, &ct.data) {
        (ColumnData::Numeric(a), ColumnData::Numeric(b)) => ("ks", ks(a, b)),
        _ => ("tvd", tvd(&cs.codes(), &ct.codes())),
    };
    ColumnScore {
        column: cs.name.clone(),
        metric,
        distance,
        score: 1.0 - distance,
        missing_share_source: miss(cs),
        missing_share_twin: miss(ct),
    }
}

/// Total variation distance between two code distributions (missing is a category).
pub fn tvd(a: &[u32], b: &[u32]) -> f64 {
    let mut counts: HashMap<u32, (f64, f64)> = HashMap::new();
    for &x in a {
        counts.entry(x).or_default().0 += 1.0;
    }
    for &x in b {
        counts.entry(x).or_default().1 += 1.0;
    }
    half_l1(counts, a.len().max(1) as f64, b.len().max(1) as f64)
}

/// Half the L1 distance between two count tables, summed in key order: the map's own order is
/// seeded at random, and a figure in a report must come out the same, bit for bit, every run.
fn half_l1<K: Ord + Copy>(counts: HashMap<K, (f64, f64)>, na: f64, nb: f64) -> f64 {
    let mut cells: Vec<(K, (f64, f64))> = counts.into_iter().collect();
    cells.sort_unstable_by_key(|c| c.0);
    0.5 * cells
        .iter()
        .map(|(_, (x, y))| (x / na - y / nb).abs())
        .sum::<f64>()
}

/// Two-sample Kolmogorov–Smirnov statistic over the present values (1 if one side is empty).
pub fn ks(a: &[f64], b: &[f64]) -> f64 {
    let sorted = |v: &[f64]| {
        let mut x: Vec<f64> = v.iter().copied().filter(|x| !x.is_nan()).collect();
        x.sort_unstable_by(f64::total_cmp);
        x
    };
    let (a, b) = (sorted(a), sorted(b));
    if a.is_empty() || b.is_empty() {
        return if a.is_empty() && b.is_empty() {
            0.0
        } else {
            1.0
        };
    }
    let (mut i, mut j, mut d) = (0, 0, 0f64);
    while i < a.len() && j < b.len() {
        let x = a[i].min(b[j]);
        while i < a.len() && a[i] <= x {
            i += 1;
        }
        while j < b.len() && b[j] <= x {
            j += 1;
        }
        d = d.max((i as f64 / a.len() as f64 - j as f64 / b.len() as f64).abs());
    }
    d
}

/// Column `c` of both tables as small codes: numeric → source-quantile bins, categorical → the
/// source's most frequent values, the rest pooled; missing gets its own code. Returns the codes
/// and the number of codes.
fn bin(s: &Table, t: &Table, c: usize) -> (Vec<u32>, Vec<u32>, u32) {
    match (&s.columns[c].data, &t.columns[c].data) {
        (ColumnData::Numeric(a), ColumnData::Numeric(b)) => {
            let bins = QuantileBins::of(a);
            (
                a.iter().map(|&v| bins.code(v)).collect(),
                b.iter().map(|&v| bins.code(v)).collect(),
                bins.n_codes(),
            )
        }
        _ => {
            let (ca, cb) = (s.columns[c].codes(), t.columns[c].codes());
            let mut freq: HashMap<u32, u64> = HashMap::new();
            for &x in ca.iter() {
                *freq.entry(x).or_default() += 1;
            }
            let mut order: Vec<(u32, u64)> = freq.into_iter().collect();
            order.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            let keep: HashMap<u32, u32> = order
                .iter()
                .take(TOP)
                .enumerate()
                .map(|(i, &(code, _))| (code, i as u32))
                .collect();
            let other = keep.len() as u32;
            let map = |x: u32| *keep.get(&x).unwrap_or(&other);
            (
                ca.iter().map(|&x| map(x)).collect(),
                cb.iter().map(|&x| map(x)).collect(),
                other + 1,
            )
        }
    }
}

/// Bins of a numeric column at its deciles (the cut points deduplicated), missing apart: how
/// numbers are turned into categories for pairwise and workload measures.
#[derive(Clone, Debug)]
pub struct QuantileBins {
    edges: Vec<f64>,
}

impl QuantileBins {
    /// The bins of the present values of `values`.
    pub fn of(values: &[f64]) -> QuantileBins {
        let mut x: Vec<f64> = values.iter().copied().filter(|x| !x.is_nan()).collect();
        x.sort_unstable_by(f64::total_cmp);
        let mut edges: Vec<f64> = (1..BINS)
            .filter_map(|i| x.get(i * x.len() / BINS).copied())
            .collect();
        edges.dedup();
        QuantileBins { edges }
    }

    /// The bin of a value; missing (NaN) has the last code.
    pub fn code(&self, v: f64) -> u32 {
        if v.is_nan() {
            self.edges.len() as u32 + 1
        } else {
            self.edges.partition_point(|&e| e <= v) as u32
        }
    }

    /// Number of codes, missing included.
    pub fn n_codes(&self) -> u32 {
        self.edges.len() as u32 + 2
    }
}

fn pearson(x: &[f64], y: &[f64]) -> Option<f64> {
    let pairs: Vec<(f64, f64)> = x
        .iter()
        .zip(y)
        .filter(|(a, b)| !a.is_nan() && !b.is_nan())
        .map(|(&a, &b)| (a, b))
        .collect();
    let n = pairs.len() as f64;
    if n < 2.0 {
        return None;
    }
    let (mx, my) = (
        pairs.iter().map(|p| p.0).sum::<f64>() / n,
        pairs.iter().map(|p| p.1).sum::<f64>() / n,
    );
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for &(a, b) in &pairs {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx) * (a - mx);
        syy += (b - my) * (b - my);
    }
    (sxx > 0.0 && syy > 0.0).then(|| sxy / (sxx * syy).sqrt())
}

fn joint_tvd(a1: &[u32], a2: &[u32], b1: &[u32], b2: &[u32], k2: u32) -> f64 {
    let key = |x: u32, y: u32| x as u64 * k2 as u64 + y as u64;
    let mut counts: HashMap<u64, (f64, f64)> = HashMap::new();
    for (&x, &y) in a1.iter().zip(a2) {
        counts.entry(key(x, y)).or_default().0 += 1.0;
    }
    for (&x, &y) in b1.iter().zip(b2) {
        counts.entry(key(x, y)).or_default().1 += 1.0;
    }
    half_l1(counts, a1.len() as f64, b1.len() as f64)
}

fn pair_score(
    s: &Table,
    t: &Table,
    a: usize,
    b: usize,
    binned: &[(Vec<u32>, Vec<u32>, u32)],
) -> PairScore {
    let names = [s.columns[a].name.clone(), s.columns[b].name.clone()];
    if let (
        ColumnData::Numeric(sa),
        ColumnData::Numeric(sb),
        ColumnData::Numeric(ta),
        ColumnData::Numeric(tb),
    ) = (
        &s.columns[a].data,
        &s.columns[b].data,
        &t.columns[a].data,
        &t.columns[b].data,
    ) {
        let (rs, rt) = (pearson(sa, sb), pearson(ta, tb));
        if let (Some(x), Some(y)) = (rs, rt) {
            return PairScore {
                columns: names,
                metric: "correlation",
                source: rs,
                twin: rt,
                score: 1.0 - (x - y).abs() / 2.0,
            };
        }
    }
    let (sa, ta, _) = &binned[a];
    let (sb, tb, kb) = &binned[b];
    let d = joint_tvd(sa, sb, ta, tb, *kb);
    PairScore {
        columns: names,
        metric: "contingency",
        source: None,
        twin: None,
        score: 1.0 - d,
    }
}

/// Random conjunctive count queries over 2 or 3 columns, their values taken from a random source
/// row (so every query has support in the source), answered on both tables as fractions.
fn workload(
    s: &Table,
    t: &Table,
    binned: &[(Vec<u32>, Vec<u32>, u32)],
    n: usize,
    seed: u64,
) -> Workload {
    let m = s.columns.len();
    let mut rng = crate::rng_stream(seed, 50);
    let queries: Vec<Vec<(usize, u32)>> = (0..n)
        .filter(|_| m >= 2)
        .map(|_| {
            let width = if m >= 3 && rng.random_bool(0.5) { 3 } else { 2 };
            let row = rng.random_range(0..s.n_rows);
            let mut cols = index::sample(&mut rng, m, width).into_vec();
            cols.sort_unstable();
            cols.into_iter().map(|c| (c, binned[c].0[row])).collect()
        })
        .collect();
    let answer = |q: &Vec<(usize, u32)>, source: bool| {
        let n_rows = if source { s.n_rows } else { t.n_rows };
        let hits = (0..n_rows)
            .filter(|&r| {
                q.iter()
                    .all(|&(c, v)| (if source { &binned[c].0 } else { &binned[c].1 })[r] == v)
            })
            .count();
        hits as f64 / n_rows as f64
    };
    let answers: Vec<(f64, f64)> = queries
        .par_iter()
        .map(|q| (answer(q, true), answer(q, false)))
        .collect();
    let k = answers.len().max(1) as f64;
    let mae = answers.iter().map(|(a, b)| (a - b).abs()).sum::<f64>() / k;
    let mre = answers.iter().map(|(a, b)| (a - b).abs() / a).sum::<f64>() / k;
    let sym = answers
        .iter()
        .map(|(a, b)| (a - b).abs() / (a + b))
        .sum::<f64>()
        / k;
    let examples = queries
        .iter()
        .zip(&answers)
        .take(5)
        .map(|(q, (a, b))| {
            serde_json::json!({"columns": q.iter().map(|&(c, _)| s.columns[c].name.clone()).collect::<Vec<_>>(),
                               "source": a, "twin": b})
        })
        .collect();
    Workload {
        n_queries: answers.len(),
        mean_absolute_error: mae,
        mean_relative_error: mre,
        score: if answers.is_empty() { 1.0 } else { 1.0 - sym },
        examples,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datavisa_table::MISSING;

    #[test]
    fn tvd_is_the_same_bit_for_bit_every_time() {
        // Many cells with uneven shares, so that summing in another order changes low bits.
        let a: Vec<u32> = (0..20_000u32).map(|i| (i * i) % 997).collect();
        let b: Vec<u32> = (0..13_000u32).map(|i| (i * 7 + i / 3) % 991).collect();
        let first = (
            tvd(&a, &b).to_bits(),
            joint_tvd(&a, &a, &b[..], &b[..], 997).to_bits(),
        );
        for _ in 0..30 {
            assert_eq!(
                (
                    tvd(&a, &b).to_bits(),
                    joint_tvd(&a, &a, &b, &b, 997).to_bits()
                ),
                first
            );
        }
    }

    #[test]
    fn ks_and_tvd_hand_computed() {
        assert_eq!(ks(&[1.0, 2.0, 3.0, 4.0], &[1.0, 2.0, 3.0, 4.0]), 0.0);
        // F_a jumps at 1,2 (to .5, 1); F_b at 3,4: max gap 1.
        assert_eq!(ks(&[1.0, 2.0], &[3.0, 4.0]), 1.0);
        // a = {1,2,3,4}, b = {2,3,4,5}: after 1 → .25 vs 0.
        assert!((ks(&[1.0, 2.0, 3.0, 4.0], &[2.0, 3.0, 4.0, 5.0]) - 0.25).abs() < 1e-12);
        assert!((tvd(&[0, 0, 1, 1], &[0, 1, 1, 1]) - 0.25).abs() < 1e-12);
        assert_eq!(tvd(&[0, MISSING], &[0, MISSING]), 0.0);
    }

    #[test]
    fn pearson_hand_computed() {
        assert!((pearson(&[1.0, 2.0, 3.0], &[2.0, 4.0, 6.0]).unwrap() - 1.0).abs() < 1e-12);
        assert!((pearson(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0]).unwrap() + 1.0).abs() < 1e-12);
        assert!(pearson(&[1.0, 1.0], &[2.0, 3.0]).is_none());
    }
}
