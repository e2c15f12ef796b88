//! Quality (information-loss) models, lower is better: ARX's Loss (hierarchy-row domain sizes,
//! suppressed cells count as fully generalized, geometric-mean aggregation), Precision, Height,
//! Discernibility, AECS and non-uniform entropy. Each has a data-independent lower bound when
//! one exists (its value with nothing suppressed), which the search uses to prune.

use crate::engine::{Check, Problem};
use serde::{Deserialize, Serialize};

/// A quality model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    Loss,
    Precision,
    Height,
    Discernibility,
    Aecs,
    Entropy,
}

impl Metric {
    /// Name as on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Metric::Loss => "loss",
            Metric::Precision => "precision",
            Metric::Height => "height",
            Metric::Discernibility => "discernibility",
            Metric::Aecs => "aecs",
            Metric::Entropy => "entropy",
        }
    }
}

/// Precomputed per-attribute, per-level sums that make lower bounds O(m).
pub struct Quality {
    pub metric: Metric,
    /// Σ over rows of a row's Loss share at each level (no suppression).
    loss_sum: Vec<Vec<f64>>,
    /// Per attribute, level, leaf: −log2(rows with the leaf / rows under its node).
    nue_cost: Vec<Vec<Vec<f64>>>,
    nue_sum: Vec<Vec<f64>>,
}

impl Quality {
    /// Prepares the metric for a problem.
    pub fn new(p: &Problem, metric: Metric) -> Quality {
        let mut loss_sum = Vec::new();
        let mut nue_cost = Vec::new();
        let mut nue_sum = Vec::new();
        for q in &p.qis {
            let h = &q.hierarchy;
            let d = h.domain() as f64;
            let mut ls = Vec::new();
            let mut costs = Vec::new();
            let mut sums = Vec::new();
            for l in 0..h.map.len() {
                let mut node_rows = vec![0u64; h.labels[l].len()];
                for (leaf, &rows) in q.leaf_rows.iter().enumerate() {
                    node_rows[h.map[l][leaf] as usize] += rows;
                }
                let mut s = 0.0;
                let mut cost = vec![0f64; h.domain()];
                let mut cs = 0.0;
                for (leaf, &rows) in q.leaf_rows.iter().enumerate() {
                    let node = h.map[l][leaf] as usize;
                    s += rows as f64 * h.leaves[l][node] as f64 / d;
                    if rows > 0 {
                        cost[leaf] = -(rows as f64 / node_rows[node] as f64).log2();
                        cs += rows as f64 * cost[leaf];
                    }
                }
                ls.push(s);
                costs.push(cost);
                sums.push(cs);
            }
            loss_sum.push(ls);
            nue_cost.push(costs);
            nue_sum.push(sums);
        }
        Quality {
            metric,
            loss_sum,
            nue_cost,
            nue_sum,
        }
    }

    /// Value with nothing suppressed, when it does not depend on the grouping (else None).
    pub fn lower_bound(&self, p: &Problem, levels: &[u8]) -> Option<f64> {
        let n = p.n as f64;
        match self.metric {
            Metric::Loss => Some(aggregate_loss(
                p.qis.iter().enumerate().map(|(a, q)| {
                    normalise_loss(
                        self.loss_sum[a][levels[a] as usize],
                        n,
                        q.hierarchy.domain() as f64,
                    )
                }),
                p.m(),
            )),
            Metric::Precision => Some(
                p.qis
                    .iter()
                    .zip(levels)
                    .map(|(q, &l)| ratio(l as f64, q.hierarchy.height() as f64))
                    .sum::<f64>()
                    / p.m() as f64,
            ),
            Metric::Height => Some(levels.iter().map(|&l| l as f64).sum()),
            Metric::Entropy => Some(
                (0..p.m())
                    .map(|a| self.nue_sum[a][levels[a] as usize])
                    .sum(),
            ),
            Metric::Discernibility | Metric::Aecs => None,
        }
    }

    /// The metric's value for a checked node (suppressed records as the model defines).
    pub fn score(&self, p: &Problem, c: &Check) -> f64 {
        let n = p.n as f64;
        let sup = c.suppressed as f64;
        let t = &c.classes;
        let m = p.m();
        let kept = |i: usize| !c.suppressed_class[i];
        match self.metric {
            Metric::Loss => aggregate_loss((0..m).map(|a| attribute_loss(p, c, a)), m),
            Metric::Precision => {
                p.qis
                    .iter()
                    .zip(&c.levels)
                    .map(|(q, &l)| {
                        ((n - sup) * ratio(l as f64, q.hierarchy.height() as f64) + sup) / n
                    })
                    .sum::<f64>()
                    / m as f64
            }
            Metric::Height => c.levels.iter().map(|&l| l as f64).sum(),
            Metric::Discernibility => {
                (0..t.len())
                    .filter(|&i| kept(i))
                    .map(|i| (t.counts[i] as f64).powi(2))
                    .sum::<f64>()
                    + sup * n
            }
            Metric::Aecs => {
                let classes = (0..t.len()).filter(|&i| kept(i)).count() + usize::from(sup > 0.0);
                n / classes.max(1) as f64
            }
            Metric::Entropy => {
                let base = &p.base;
                let mut total = 0.0;
                for b in 0..base.len() {
                    let suppressed = c.suppressed_class[t.base_to_class[b] as usize];
                    for a in 0..m {
                        let top = p.qis[a].hierarchy.height();
                        let l = if suppressed {
                            top
                        } else {
                            c.levels[a] as usize
                        };
                        let leaf = base.tuples[b * m + a] as usize;
                        total += base.counts[b] as f64 * self.nue_cell(p, a, l, leaf, suppressed);
                    }
                }
                total
            }
        }
    }
}

impl Quality {
    /// Non-uniform entropy of one cell: a leaf generalized to level `l`, or suppressed
    /// (suppressed cells cost as if generalized to the root).
    fn nue_cell(&self, p: &Problem, a: usize, l: usize, leaf: usize, suppressed: bool) -> f64 {
        if suppressed {
            -(p.qis[a].leaf_rows[leaf] as f64 / p.n as f64).log2()
        } else {
            self.nue_cost[a][l][leaf]
        }
    }

    /// Attribute `a`'s share of the non-uniform entropy of a checked node, in bits.
    pub fn attribute_entropy(&self, p: &Problem, c: &Check, a: usize) -> f64 {
        let (base, m, t) = (&p.base, p.m(), &c.classes);
        (0..base.len())
            .map(|b| {
                let suppressed = c.suppressed_class[t.base_to_class[b] as usize];
                let leaf = base.tuples[b * m + a] as usize;
                base.counts[b] as f64 * self.nue_cell(p, a, c.levels[a] as usize, leaf, suppressed)
            })
            .sum()
    }

    /// Attribute `a`'s non-uniform entropy with every cell suppressed: the most it can lose.
    pub fn attribute_entropy_max(&self, p: &Problem, a: usize) -> f64 {
        let (base, m) = (&p.base, p.m());
        (0..base.len())
            .map(|b| {
                let leaf = base.tuples[b * m + a] as usize;
                base.counts[b] as f64 * self.nue_cell(p, a, 0, leaf, true)
            })
            .sum()
    }
}

/// ARX's Loss of attribute `a` for a checked node, normalised to [0, 1]: each kept cell counts
/// the share of hierarchy rows under its node, a suppressed cell counts 1.
pub fn attribute_loss(p: &Problem, c: &Check, a: usize) -> f64 {
    let (t, m) = (&c.classes, p.m());
    let h = &p.qis[a].hierarchy;
    let l = c.levels[a] as usize;
    let d = h.domain() as f64;
    let s: f64 = (0..t.len())
        .filter(|&i| !c.suppressed_class[i])
        .map(|i| t.counts[i] as f64 * h.leaves[l][t.tuples[i * m + a] as usize] as f64 / d)
        .sum::<f64>()
        + c.suppressed as f64;
    normalise_loss(s, p.n as f64, d)
}

fn ratio(a: f64, b: f64) -> f64 {
    if b == 0.0 {
        0.0
    } else {
        a / b
    }
}

/// ARX's normalisation of one attribute's Loss sum, clamped at 0.
pub fn normalise_loss(s: f64, n: f64, d: f64) -> f64 {
    let lo = n / d;
    if n - lo <= 0.0 {
        return 0.0;
    }
    ((s - lo) / (n - lo)).max(0.0)
}

/// Geometric-mean aggregation `Π(1 + x)^(1/m) − 1`.
pub fn aggregate_loss(xs: impl Iterator<Item = f64>, m: usize) -> f64 {
    let product: f64 = xs.map(|x| 1.0 + x).product();
    product.powf(1.0 / m as f64) - 1.0
}
