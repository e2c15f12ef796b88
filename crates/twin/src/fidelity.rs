//! What a generalized twin kept of each source column, measured against the source's original
//! values. Comparing the twin with the source generalized the same way scores every column 1
//! whatever the hierarchy did, so these figures look at the original values instead:
//!
//! - `loss`: ARX's Loss of the column (share of hierarchy rows under each released value, a
//!   suppressed cell counting 1, normalised to [0, 1]); `information` = 1 − loss, and 0 when
//!   every cell is suppressed;
//! - `entropy_bits`: the column's non-uniform entropy, Σ over cells of
//!   −log2(rows with the original value / rows whose value generalizes to the same node), and
//!   `entropy_loss`, that divided by its value with every cell suppressed;
//! - `suppressed_share`: cells released as a value covering the whole hierarchy (the record was
//!   suppressed, or the column generalized to its root);
//! - the error of random 2- and 3-way count queries on original values, answered from the twin
//!   with each generalized cell spread uniformly over the source values it covers.
//!
//! Columns kept verbatim score 1 and lose nothing; dropped columns score 0.

use crate::engine::{Check, Problem};
use crate::error::{invalid, Result};
use crate::quality::{attribute_loss, Metric, Quality};
use crate::recipe::{recorded, Recorded};
use datavisa_risk::utility::QuantileBins;
use datavisa_table::{ColumnData, Table};
use rand::seq::index;
use rand::Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// How a source column reached the twin.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Treatment {
    /// A quasi-identifier generalized with its hierarchy (level 0 = untouched).
    Generalized,
    /// Released verbatim (sensitive and other columns).
    Kept,
    /// Left out of the twin (identifiers).
    Dropped,
}

/// What the twin kept of one source column.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ColumnFidelity {
    pub column: String,
    pub treatment: Treatment,
    /// Generalization level and hierarchy height (generalized columns).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u8>,
    /// 1 − loss, and 0 when every cell is suppressed or the column is dropped.
    pub information: f64,
    /// ARX's Loss of the column, in [0, 1].
    pub loss: f64,
    /// Non-uniform entropy of the column in bits (0 when untouched).
    pub entropy_bits: f64,
    /// `entropy_bits` over its value with every cell suppressed (0 for a constant column).
    pub entropy_loss: f64,
    /// Share of the column's cells that carry nothing (suppressed, root, or dropped).
    pub suppressed_share: f64,
    /// Queries of the workload that involve the column.
    pub queries: usize,
    /// Mean of |source − twin| / (source + twin) over those queries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query_error: Option<f64>,
}

/// Error of the count queries answered from the twin, against the source's counts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QueryFidelity {
    pub n_queries: usize,
    /// Mean |source − twin|, both as shares of the rows.
    pub mean_absolute_error: f64,
    /// Mean |source − twin| / source.
    pub mean_relative_error: f64,
    /// 1 − mean |source − twin| / (source + twin); 1 when there are no queries.
    pub score: f64,
}

/// What a generalized twin kept of its source, per column, against the original values.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Fidelity {
    /// (information + query score) / 2.
    pub score: f64,
    /// Mean of the columns' `information`, dropped columns included.
    pub information: f64,
    pub rows: u64,
    /// Records suppressed (all their quasi-identifiers released as `*`).
    pub suppressed_records: u64,
    pub columns: Vec<ColumnFidelity>,
    pub queries: QueryFidelity,
    pub seed: u64,
}

/// The fidelity of the generalized twin a manifest describes, made from `source`: the recorded
/// transformation is re-applied to the source, which must reproduce the recorded suppression.
pub fn fidelity(
    source: &Table,
    manifest: &crate::manifest::Manifest,
    n_queries: usize,
    seed: u64,
) -> Result<Fidelity> {
    let Recorded {
        recipe,
        problem,
        check,
    } = recorded(source, manifest)?;
    let recorded_suppressed = manifest.body.get("suppressed").and_then(|v| v.as_u64());
    if recorded_suppressed.is_some_and(|s| s != check.suppressed) {
        return Err(invalid(format!(
            "the manifest records {} suppressed records, but its transformation suppresses {} of this source: the figures would describe another twin",
            recorded_suppressed.unwrap_or_default(),
            check.suppressed
        )));
    }
    Ok(measure(
        source,
        &problem,
        &check,
        &recipe.drop,
        n_queries,
        seed,
    ))
}

/// The fidelity of the twin that node `c` of problem `p` makes of `t` (columns in `drop` left
/// out).
pub fn measure(
    t: &Table,
    p: &Problem,
    c: &Check,
    drop: &[String],
    n_queries: usize,
    seed: u64,
) -> Fidelity {
    let q = Quality::new(p, Metric::Entropy);
    let cols = query_columns(t, p, c, drop);
    let queries = draw_queries(&cols, t.n_rows, n_queries, seed);
    let answers: Vec<(f64, f64)> = queries
        .par_iter()
        .map(|qu| answer(&cols, qu, t.n_rows))
        .collect();
    let columns: Vec<ColumnFidelity> = t
        .columns
        .iter()
        .map(|col| {
            let mut f = match p.qis.iter().position(|x| x.name == col.name) {
                Some(a) => generalized_column(p, c, &q, a),
                None if drop.contains(&col.name) => plain_column(&col.name, Treatment::Dropped),
                None => plain_column(&col.name, Treatment::Kept),
            };
            if let Some(i) = cols.iter().position(|x| x.name == col.name) {
                let errs: Vec<f64> = queries
                    .iter()
                    .zip(&answers)
                    .filter(|(qu, _)| qu.iter().any(|&(k, _)| k == i))
                    .map(|(_, &(a, b))| symmetric(a, b))
                    .collect();
                f.queries = errs.len();
                f.query_error = mean(&errs);
            }
            f
        })
        .collect();
    let information = mean(&columns.iter().map(|c| c.information).collect::<Vec<_>>());
    let queries = summarise(&answers);
    Fidelity {
        score: (information.unwrap_or(1.0) + queries.score) / 2.0,
        information: information.unwrap_or(1.0),
        rows: p.n,
        suppressed_records: c.suppressed,
        columns,
        queries,
        seed,
    }
}

/// A figure within rounding of 0 or 1 is that figure: summing n shares of 1/|D| is not exact,
/// and an untouched column must read 1, not 0.9999999999999999.
fn snap(x: f64) -> f64 {
    const EPS: f64 = 1e-12;
    if x.abs() < EPS {
        0.0
    } else if (x - 1.0).abs() < EPS {
        1.0
    } else {
        x
    }
}

fn mean(xs: &[f64]) -> Option<f64> {
    (!xs.is_empty()).then(|| xs.iter().sum::<f64>() / xs.len() as f64)
}

/// |a − b| / (a + b), 0 when both are 0.
fn symmetric(a: f64, b: f64) -> f64 {
    if a + b == 0.0 {
        0.0
    } else {
        (a - b).abs() / (a + b)
    }
}

/// A column released verbatim (loses nothing) or dropped (keeps nothing).
fn plain_column(name: &str, treatment: Treatment) -> ColumnFidelity {
    let gone = if treatment == Treatment::Dropped {
        1.0
    } else {
        0.0
    };
    ColumnFidelity {
        column: name.to_owned(),
        treatment,
        level: None,
        height: None,
        information: 1.0 - gone,
        loss: gone,
        entropy_bits: 0.0,
        entropy_loss: gone,
        suppressed_share: gone,
        queries: 0,
        query_error: None,
    }
}

/// Loss, entropy and suppressed share of quasi-identifier `a`.
fn generalized_column(p: &Problem, c: &Check, q: &Quality, a: usize) -> ColumnFidelity {
    let h = &p.qis[a].hierarchy;
    let (t, m, l) = (&c.classes, p.m(), c.levels[a] as usize);
    let whole = h.domain() as u32;
    let blank: u64 = (0..t.len())
        .filter(|&i| c.suppressed_class[i] || h.leaves[l][t.tuples[i * m + a] as usize] == whole)
        .map(|i| t.counts[i])
        .sum();
    let suppressed_share = blank as f64 / p.n as f64;
    let loss = snap(attribute_loss(p, c, a));
    // An untouched column sums −log2(1) = −0.0 per cell; it reads 0.
    let entropy_bits = q.attribute_entropy(p, c, a).max(0.0) + 0.0;
    let max = q.attribute_entropy_max(p, a);
    ColumnFidelity {
        column: p.qis[a].name.clone(),
        treatment: Treatment::Generalized,
        level: Some(c.levels[a]),
        height: Some(h.height() as u8),
        // A column with nothing left keeps no information, whatever its hierarchy's size.
        information: if blank == p.n { 0.0 } else { 1.0 - loss },
        loss,
        entropy_bits,
        entropy_loss: if max > 0.0 {
            snap(entropy_bits / max)
        } else {
            0.0
        },
        suppressed_share,
        queries: 0,
        query_error: None,
    }
}

/// A released column as the queries see it.
struct QueryColumn {
    name: String,
    /// The source's value of each row: a hierarchy leaf, a category code or a number's bin.
    value: Vec<u32>,
    /// Generalized columns: how the twin answers.
    spread: Option<Spread>,
}

/// How a generalized column's twin cells cover source values.
struct Spread {
    /// Node of each row's twin cell, `None` when it is suppressed.
    node: Vec<Option<u32>>,
    /// Node of each leaf at the column's level.
    node_of_leaf: Vec<u32>,
    /// 1 / (source values present under each node).
    share: Vec<f64>,
    /// 1 / (source values present): a suppressed cell covers them all.
    share_all: f64,
}

impl QueryColumn {
    /// The twin's weight of row `r` for value `v`: 1 or 0 for a verbatim cell, the cell's
    /// uniform share of `v` for a generalized one.
    fn weight(&self, r: usize, v: u32) -> f64 {
        match &self.spread {
            None => f64::from(u8::from(self.value[r] == v)),
            Some(s) => match s.node[r] {
                None => s.share_all,
                Some(n) if s.node_of_leaf[v as usize] == n => s.share[n as usize],
                Some(_) => 0.0,
            },
        }
    }
}

/// The released columns of `t` for the queries, in table order.
fn query_columns(t: &Table, p: &Problem, c: &Check, drop: &[String]) -> Vec<QueryColumn> {
    t.columns
        .iter()
        .filter(|col| !drop.contains(&col.name))
        .map(|col| match p.qis.iter().position(|x| x.name == col.name) {
            Some(a) => generalized_query_column(p, c, a),
            None => QueryColumn {
                name: col.name.clone(),
                value: match &col.data {
                    ColumnData::Numeric(v) => {
                        let bins = QuantileBins::of(v);
                        v.iter().map(|&x| bins.code(x)).collect()
                    }
                    _ => col.codes().into_owned(),
                },
                spread: None,
            },
        })
        .collect()
}

fn generalized_query_column(p: &Problem, c: &Check, a: usize) -> QueryColumn {
    let qi = &p.qis[a];
    let (t, m, l) = (&c.classes, p.m(), c.levels[a] as usize);
    let node_of_leaf = qi.hierarchy.map[l].clone();
    let mut present = vec![0u32; qi.width(l)];
    for (leaf, &rows) in qi.leaf_rows.iter().enumerate() {
        if rows > 0 {
            present[node_of_leaf[leaf] as usize] += 1;
        }
    }
    let all: u32 = present.iter().sum();
    let inv = |k: u32| if k == 0 { 0.0 } else { 1.0 / f64::from(k) };
    let (value, node) = p
        .row_base
        .iter()
        .map(|&b| {
            let class = t.base_to_class[b as usize] as usize;
            let leaf = p.base.tuples[b as usize * m + a];
            let node = (!c.suppressed_class[class]).then(|| t.tuples[class * m + a]);
            (leaf, node)
        })
        .unzip();
    QueryColumn {
        name: qi.name.clone(),
        value,
        spread: Some(Spread {
            node,
            node_of_leaf,
            share: present.into_iter().map(inv).collect(),
            share_all: inv(all),
        }),
    }
}

/// A conjunctive count query: (column, value) pairs.
type Query = Vec<(usize, u32)>;

/// Random 2- and 3-way queries whose values are those of a random source row, so every query
/// has support in the source.
fn draw_queries(cols: &[QueryColumn], n_rows: usize, n: usize, seed: u64) -> Vec<Query> {
    let m = cols.len();
    if m < 2 || n_rows == 0 {
        return Vec::new();
    }
    let mut rng = datavisa_risk::rng_stream(seed, 51);
    (0..n)
        .map(|_| {
            let width = if m >= 3 && rng.random_bool(0.5) { 3 } else { 2 };
            let row = rng.random_range(0..n_rows);
            let mut picked = index::sample(&mut rng, m, width).into_vec();
            picked.sort_unstable();
            picked
                .into_iter()
                .map(|k| (k, cols[k].value[row]))
                .collect()
        })
        .collect()
}

/// The query's answer on the source and from the twin, as shares of the rows.
fn answer(cols: &[QueryColumn], q: &Query, n_rows: usize) -> (f64, f64) {
    let (mut source, mut twin) = (0u64, 0f64);
    for r in 0..n_rows {
        if q.iter().all(|&(k, v)| cols[k].value[r] == v) {
            source += 1;
        }
        twin += q
            .iter()
            .map(|&(k, v)| cols[k].weight(r, v))
            .product::<f64>();
    }
    let n = n_rows.max(1) as f64;
    (source as f64 / n, twin / n)
}

fn summarise(answers: &[(f64, f64)]) -> QueryFidelity {
    let k = answers.len().max(1) as f64;
    let sum = |f: &dyn Fn(f64, f64) -> f64| answers.iter().map(|&(a, b)| f(a, b)).sum::<f64>() / k;
    QueryFidelity {
        n_queries: answers.len(),
        mean_absolute_error: sum(&|a, b| (a - b).abs()),
        mean_relative_error: sum(&|a, b| if a > 0.0 { (a - b).abs() / a } else { 0.0 }),
        score: if answers.is_empty() {
            1.0
        } else {
            1.0 - sum(&symmetric)
        },
    }
}

#[cfg(test)]
mod tests;
