//! Private-PGM estimation (McKenna, Sheldon & Miklau 2019): a Markov random field whose cliques
//! are the measured cliques, fitted to noisy linear measurements by entropic mirror descent with
//! back-tracking, inference by log-space sum-product on a junction tree. The model only ever
//! sees noisy measurements: its total is estimated from them, never read from the data.

use super::factor::{logsumexp_by_map, sum_by_map, Factor, Scope};
use super::junction::JunctionTree;
use crate::error::{Result, TwinError};
use rayon::prelude::*;

/// Fit iterations between two stop checks: an iteration is at least one propagation through
/// the junction tree, so a stop is seen within a small share of any fit.
pub const STOP_EVERY: usize = 10;

/// One noisy measurement y = diag(q) · mu_C + N(0, sigma²) of the marginal on clique C.
#[derive(Clone, Debug)]
pub struct Measurement {
    /// Sorted attributes.
    pub clique: Vec<usize>,
    pub y: Vec<f64>,
    /// Per-cell query weights (None = identity); a merged rare cell has 1/sqrt(m).
    pub q: Option<Vec<f64>>,
    pub sigma: f64,
}

impl Measurement {
    fn weight(&self, i: usize) -> f64 {
        self.q.as_ref().map_or(1.0, |q| q[i])
    }

    /// This measurement's estimate of the total and its variance.
    fn total(&self) -> (f64, f64) {
        let mut t = 0.0;
        let mut inv_q2 = 0.0;
        for (i, y) in self.y.iter().enumerate() {
            let w = self.weight(i);
            t += y / w;
            inv_q2 += 1.0 / (w * w);
        }
        (t, self.sigma * self.sigma * inv_q2)
    }
}

/// The inverse-variance weighted mean of the measurements' totals (at least 1).
pub fn estimate_total(ms: &[Measurement]) -> f64 {
    let (mut num, mut den) = (0.0, 0.0);
    for m in ms {
        let (t, v) = m.total();
        num += t / v;
        den += 1.0 / v;
    }
    if den > 0.0 {
        (num / den).max(1.0)
    } else {
        1.0
    }
}

/// A fitted graphical model.
#[derive(Clone, Debug)]
pub struct Model {
    pub sizes: Vec<usize>,
    pub jt: JunctionTree,
    /// Measured cliques and their log-potentials.
    pub cliques: Vec<Scope>,
    pub theta: Vec<Vec<f64>>,
    /// Estimated number of rows.
    pub total: f64,
    /// Calibrated marginals (probabilities) of the junction tree's cliques.
    probs: Vec<Vec<f64>>,
    maps: Maps,
}

/// Index maps reused by every propagation.
#[derive(Clone, Debug)]
struct Maps {
    /// Junction-tree clique holding each measured clique, and the cell map into it.
    home: Vec<usize>,
    to_measured: Vec<Vec<u32>>,
    /// Cell map of each junction-tree clique onto its parent separator.
    to_separator: Vec<Vec<u32>>,
    /// Cell map of each parent clique onto each child's separator.
    parent_to_separator: Vec<Vec<u32>>,
    children: Vec<Vec<usize>>,
}

/// How a fit went.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct FitStats {
    pub iterations: usize,
    pub loss: f64,
    pub propagations: usize,
}

impl Model {
    /// An independent uniform model over `cliques` (plus every single attribute).
    pub fn new(sizes: &[usize], cliques: &[Vec<usize>], total: f64) -> Model {
        let mut m = Model::zero(sizes, cliques, total);
        m.propagate();
        m
    }

    /// The model's structure with zero potentials, not yet propagated.
    fn zero(sizes: &[usize], cliques: &[Vec<usize>], total: f64) -> Model {
        let mut all: Vec<Vec<usize>> = (0..sizes.len()).map(|a| vec![a]).collect();
        for c in cliques {
            let mut c = c.clone();
            c.sort_unstable();
            if !all.contains(&c) {
                all.push(c);
            }
        }
        let jt = JunctionTree::build(&all, sizes);
        let scopes: Vec<Scope> = all.iter().map(|c| Scope::new(c, sizes)).collect();
        let maps = maps(&jt, &scopes);
        let theta = scopes.iter().map(|s| vec![0.0; s.cells()]).collect();
        Model {
            sizes: sizes.to_vec(),
            jt,
            cliques: scopes,
            theta,
            total,
            probs: Vec::new(),
            maps,
        }
    }

    /// A model over `cliques` that starts from this one's potentials (AIM's warm start).
    pub fn extended(&self, cliques: &[Vec<usize>]) -> Model {
        let mut m = Model::zero(&self.sizes, cliques, self.total);
        for (i, s) in m.cliques.iter().enumerate() {
            if let Some(j) = self.cliques.iter().position(|o| o.attrs == s.attrs) {
                m.theta[i] = self.theta[j].clone();
            }
        }
        m.propagate();
        m
    }

    /// Sum-product in log space; fills the calibrated clique marginals. Downward messages use
    /// the separator marginal divided by the upward message (Hugin), so each clique pays one
    /// `exp` per cell going up and one coming down, and the latter is reused as its marginal.
    fn propagate(&mut self) {
        let jt = &self.jt;
        let n = jt.cliques.len();
        let mut belief: Vec<Vec<f64>> = jt.cliques.iter().map(|c| vec![0.0; c.cells()]).collect();
        for (k, th) in self.theta.iter().enumerate() {
            let home = self.maps.home[k];
            for (v, &j) in belief[home].iter_mut().zip(&self.maps.to_measured[k]) {
                *v += th[j as usize];
            }
        }
        let children = &self.maps.children;
        // Upward: each clique absorbs its children, then tells its parent.
        let mut up: Vec<Vec<f64>> = vec![Vec::new(); n];
        for &i in jt.order.iter().rev() {
            for &c in &children[i] {
                add_message(&mut belief[i], &up[c], &self.maps.parent_to_separator[c]);
            }
            if jt.parent[i].is_some() {
                up[i] = message(
                    &belief[i],
                    &self.maps.to_separator[i],
                    jt.separator[i].cells(),
                );
            }
        }
        // Downward: root first; a clique's full belief gives its marginal and its children's
        // separator marginals.
        let mut probs: Vec<Vec<f64>> = vec![Vec::new(); n];
        let mut log_z = 0.0;
        let mut down: Vec<Vec<f64>> = vec![Vec::new(); n];
        for &i in &jt.order {
            let mut b = std::mem::take(&mut belief[i]);
            if jt.parent[i].is_some() {
                add_message(&mut b, &down[i], &self.maps.to_separator[i]);
            }
            let max = max_of(&b);
            let e = exp_shifted(&b, max);
            let sum: f64 = e.iter().sum();
            if jt.parent[i].is_none() {
                log_z = max + sum.ln();
            }
            for &c in &children[i] {
                let map = &self.maps.parent_to_separator[c];
                let mut sep = vec![0.0; jt.separator[c].cells()];
                for (x, &j) in e.iter().zip(map) {
                    sep[j as usize] += x;
                }
                down[c] = sep
                    .iter()
                    .zip(&up[c])
                    .map(|(s, u)| s.max(1e-300).ln() + max - u)
                    .collect();
            }
            // Every clique of a calibrated tree has the same normaliser.
            let scale = (max - log_z).exp();
            probs[i] = e.into_iter().map(|x| x * scale).collect();
        }
        self.probs = probs;
    }

    /// The model's marginal (in rows) on measured clique `k`.
    fn measured_marginal(&self, k: usize) -> Vec<f64> {
        let home = self.maps.home[k];
        let mut out = vec![0.0; self.cliques[k].cells()];
        for (v, &j) in self.probs[home].iter().zip(&self.maps.to_measured[k]) {
            out[j as usize] += v;
        }
        out.iter_mut().for_each(|v| *v *= self.total);
        out
    }

    /// The model's marginal (in rows) on any set of attributes.
    pub fn marginal(&self, attrs: &[usize]) -> Vec<f64> {
        let scope = Scope::new(attrs, &self.sizes);
        if let Some(i) = self.jt.smallest_containing(&scope.attrs) {
            let map = self.jt.cliques[i].index_map(&scope);
            return sum_by_map(&self.probs[i], &map, scope)
                .values
                .into_iter()
                .map(|v| v * self.total)
                .collect();
        }
        self.marginal_across(&scope)
    }

    /// Variable elimination over the smallest subtree whose cliques cover `scope`: the joint is
    /// the product of clique marginals over the product of separator marginals.
    fn marginal_across(&self, scope: &Scope) -> Vec<f64> {
        let jt = &self.jt;
        let n = jt.cliques.len();
        // Depth of each clique, to climb paths to a common ancestor.
        let mut depth = vec![0usize; n];
        for &i in &jt.order {
            if let Some(p) = jt.parent[i] {
                depth[i] = depth[p] + 1;
            }
        }
        let mut keep = vec![false; n];
        let holders: Vec<usize> = scope
            .attrs
            .iter()
            .map(|a| {
                jt.containing(&[*a])
                    .expect("every attribute is in a clique")
            })
            .collect();
        let mut top = holders[0];
        keep[top] = true;
        for &h in &holders[1..] {
            let (mut a, mut b) = (h, top);
            keep[a] = true;
            while a != b {
                if depth[a] >= depth[b] {
                    a = jt.parent[a].expect("not the root");
                    keep[a] = true;
                } else {
                    b = jt.parent[b].expect("not the root");
                    keep[b] = true;
                }
            }
            top = a;
        }
        let children = jt.children();
        let mut msgs: Vec<Option<Factor>> = vec![None; n];
        let mut result = None;
        for &i in jt.order.iter().rev() {
            if !keep[i] {
                continue;
            }
            // Only the query's attributes and the separators to kept neighbours matter here:
            // sum the rest out first, so no product ever spans a whole large clique.
            let mut needed: Vec<usize> = scope.attrs.clone();
            needed.extend(&jt.separator[i].attrs);
            for &c in &children[i] {
                if keep[c] {
                    needed.extend(&jt.separator[c].attrs);
                }
            }
            let clique = &jt.cliques[i];
            let reduced = clique.restrict(&needed);
            let marginal = sum_by_map(&self.probs[i], &clique.index_map(&reduced), reduced.clone());
            let log_marginal: Vec<f64> =
                marginal.values.iter().map(|p| p.max(1e-300).ln()).collect();
            let mut f = Factor {
                scope: reduced.clone(),
                values: log_marginal.clone(),
            };
            for &c in &children[i] {
                if let Some(m) = msgs[c].take() {
                    f = f.add(&m);
                }
            }
            if i == top {
                result = Some(f.logsumexp_to(scope));
                break;
            }
            // Divide by the separator marginal and keep what the query or the parent needs.
            let sep = &jt.separator[i];
            let sep_marg = Factor {
                scope: reduced,
                values: log_marginal,
            }
            .logsumexp_to(sep);
            let neg = Factor {
                scope: sep.clone(),
                values: sep_marg.values.iter().map(|v| -v).collect(),
            };
            f = f.add(&neg);
            let mut keep_attrs: Vec<usize> = sep.attrs.clone();
            keep_attrs.extend(f.scope.attrs.iter().filter(|a| scope.attrs.contains(a)));
            let to = f.scope.restrict(&keep_attrs);
            msgs[i] = Some(f.logsumexp_to(&to));
        }
        let f = result.expect("the subtree has a top");
        f.values.iter().map(|v| v.exp() * self.total).collect()
    }

    /// Loss and gradient (per measured clique) of the measurements at the current potentials.
    fn loss_and_gradient(
        &self,
        ms: &[(usize, &Measurement)],
    ) -> (f64, Vec<Vec<f64>>, Vec<Vec<f64>>) {
        let mu: Vec<Vec<f64>> = (0..self.cliques.len())
            .into_par_iter()
            .map(|k| self.measured_marginal(k))
            .collect();
        let mut grad: Vec<Vec<f64>> = mu.iter().map(|m| vec![0.0; m.len()]).collect();
        let mut loss = 0.0;
        for &(k, m) in ms {
            let inv = 1.0 / (m.sigma * m.sigma);
            for (i, (&mu_i, &y)) in mu[k].iter().zip(&m.y).enumerate() {
                let w = m.weight(i);
                let r = w * mu_i - y;
                loss += 0.5 * r * r * inv;
                grad[k][i] += w * r * inv;
            }
        }
        (loss, grad, mu)
    }

    /// Fits the potentials to the measurements by mirror descent (Armijo back-tracking, step
    /// grown by 1% after each accepted step), starting from the current potentials. `tick` is
    /// called after each iteration; `stopped` is asked every [`STOP_EVERY`] iterations, and
    /// when it says stop the fit ends cancelled.
    pub fn fit(
        &mut self,
        measurements: &[Measurement],
        iterations: usize,
        tick: &dyn Fn(),
        stopped: &dyn Fn() -> bool,
    ) -> Result<FitStats> {
        let ms: Vec<(usize, &Measurement)> = measurements
            .iter()
            .map(|m| {
                let k = self
                    .cliques
                    .iter()
                    .position(|c| c.attrs == m.clique)
                    .expect("measured clique is in the model");
                (k, m)
            })
            .collect();
        let lipschitz: f64 = measurements
            .iter()
            .map(|m| {
                let qmax =
                    m.q.as_ref()
                        .map_or(1.0, |q| q.iter().fold(0.0, |a: f64, b| a.max(b * b)));
                qmax / (m.sigma * m.sigma)
            })
            .sum();
        let mut alpha = 2.0 / (lipschitz * self.total).max(1e-300);
        let (mut loss, mut grad, mut mu) = self.loss_and_gradient(&ms);
        let mut stats = FitStats {
            propagations: 1,
            ..Default::default()
        };
        for i in 0..iterations {
            if i % STOP_EVERY == 0 && stopped() {
                return Err(TwinError::Cancelled);
            }
            let old_theta = self.theta.clone();
            let mut accepted = false;
            for _ in 0..25 {
                for (th, (old, g)) in self.theta.iter_mut().zip(old_theta.iter().zip(&grad)) {
                    for (t, (o, gi)) in th.iter_mut().zip(old.iter().zip(g)) {
                        *t = o - alpha * gi;
                    }
                }
                self.propagate();
                stats.propagations += 1;
                let (new_loss, new_grad, new_mu) = self.loss_and_gradient(&ms);
                let predicted: f64 = grad
                    .iter()
                    .zip(mu.iter().zip(&new_mu))
                    .map(|(g, (a, b))| {
                        g.iter()
                            .zip(a.iter().zip(b))
                            .map(|(g, (a, b))| g * (a - b))
                            .sum::<f64>()
                    })
                    .sum();
                if loss - new_loss >= 0.5 * predicted && new_loss.is_finite() {
                    loss = new_loss;
                    grad = new_grad;
                    mu = new_mu;
                    alpha *= 1.01;
                    accepted = true;
                    break;
                }
                alpha *= 0.5;
            }
            stats.iterations += 1;
            tick();
            if !accepted {
                // No step decreases the loss: converged to the precision of the arithmetic.
                self.theta = old_theta;
                self.propagate();
                break;
            }
        }
        stats.loss = loss;
        Ok(stats)
    }

    /// Calibrated marginal (probabilities) of junction-tree clique `i`.
    pub fn clique_probabilities(&self, i: usize) -> &[f64] {
        &self.probs[i]
    }
}

/// Cells above which a clique's exponentials are computed in parallel.
const PARALLEL_CELLS: usize = 1 << 15;

fn max_of(v: &[f64]) -> f64 {
    v.iter().copied().fold(f64::NEG_INFINITY, f64::max)
}

/// exp(v − shift) for every cell.
fn exp_shifted(v: &[f64], shift: f64) -> Vec<f64> {
    if v.len() >= PARALLEL_CELLS {
        v.par_iter().map(|x| (x - shift).exp()).collect()
    } else {
        v.iter().map(|x| (x - shift).exp()).collect()
    }
}

/// log-sum-exp of a belief onto a separator: one shared shift for speed, and the exact
/// per-cell shift when a separator cell underflows under the shared one.
fn message(belief: &[f64], map: &[u32], cells: usize) -> Vec<f64> {
    let max = max_of(belief);
    let e = exp_shifted(belief, max);
    let mut sum = vec![0.0; cells];
    for (x, &j) in e.iter().zip(map) {
        sum[j as usize] += x;
    }
    if sum.iter().all(|&x| x > 1e-250) {
        return sum.into_iter().map(|x| x.ln() + max).collect();
    }
    let mut msg = vec![0.0; cells];
    logsumexp_by_map(belief, map, &mut msg);
    msg
}

fn add_message(belief: &mut [f64], msg: &[f64], map: &[u32]) {
    for (v, &j) in belief.iter_mut().zip(map) {
        *v += msg[j as usize];
    }
}

fn maps(jt: &JunctionTree, measured: &[Scope]) -> Maps {
    let home: Vec<usize> = measured
        .iter()
        .map(|s| {
            jt.smallest_containing(&s.attrs)
                .expect("junction tree covers the measured cliques")
        })
        .collect();
    let to_measured = measured
        .iter()
        .zip(&home)
        .map(|(s, &h)| jt.cliques[h].index_map(s))
        .collect();
    let to_separator = (0..jt.cliques.len())
        .map(|i| jt.cliques[i].index_map(&jt.separator[i]))
        .collect();
    let parent_to_separator = (0..jt.cliques.len())
        .map(|i| match jt.parent[i] {
            Some(p) => jt.cliques[p].index_map(&jt.separator[i]),
            None => Vec::new(),
        })
        .collect();
    Maps {
        home,
        to_measured,
        to_separator,
        parent_to_separator,
        children: jt.children(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::factor::logsumexp;
    use super::*;

    fn exact(clique: &[usize], y: Vec<f64>) -> Measurement {
        Measurement {
            clique: clique.to_vec(),
            y,
            q: None,
            sigma: 1.0,
        }
    }

    #[test]
    fn fits_consistent_measurements_exactly() {
        // A chain a - b - c with known pair marginals (100 rows).
        let sizes = [2, 2, 3];
        let ab = vec![30.0, 20.0, 10.0, 40.0];
        let bc = vec![10.0, 20.0, 10.0, 20.0, 10.0, 30.0];
        let ms = vec![exact(&[0, 1], ab.clone()), exact(&[1, 2], bc.clone())];
        let total = estimate_total(&ms);
        assert!((total - 100.0).abs() < 1e-9);
        let mut m = Model::new(&sizes, &[vec![0, 1], vec![1, 2]], total);
        m.fit(&ms, 3000, &|| {}, &|| false).unwrap();
        for (got, want) in m.marginal(&[0, 1]).iter().zip(&ab) {
            assert!((got - want).abs() < 0.05, "{got} vs {want}");
        }
        for (got, want) in m.marginal(&[1, 2]).iter().zip(&bc) {
            assert!((got - want).abs() < 0.05, "{got} vs {want}");
        }
        // a and c are independent given b: P(a,c) = sum_b P(a,b) P(b,c) / P(b).
        let pb = [40.0, 60.0];
        let ac = m.marginal(&[0, 2]);
        for a in 0..2 {
            for c in 0..3 {
                let want: f64 = (0..2).map(|b| ab[a * 2 + b] * bc[b * 3 + c] / pb[b]).sum();
                assert!(
                    (ac[a * 3 + c] - want).abs() < 0.05,
                    "{a}{c}: {} vs {want}",
                    ac[a * 3 + c]
                );
            }
        }
    }

    #[test]
    fn a_stopped_fit_ends_cancelled_within_a_few_iterations() {
        let ms = vec![exact(&[0, 1], vec![30.0, 20.0, 10.0, 40.0])];
        let mut m = Model::new(&[2, 2], &[vec![0, 1]], 100.0);
        let ticks = std::cell::Cell::new(0usize);
        let asked = std::cell::Cell::new(0usize);
        let r = m.fit(&ms, 3000, &|| ticks.set(ticks.get() + 1), &|| {
            asked.set(asked.get() + 1);
            asked.get() > 1
        });
        assert!(matches!(r, Err(TwinError::Cancelled)));
        // Asked before the first iteration and again STOP_EVERY iterations later.
        assert_eq!((asked.get(), ticks.get()), (2, STOP_EVERY));
    }

    #[test]
    fn total_is_the_inverse_variance_mean_of_the_measurements() {
        let a = Measurement {
            clique: vec![0],
            y: vec![40.0, 60.0],
            q: None,
            sigma: 1.0,
        };
        let b = Measurement {
            clique: vec![1],
            y: vec![50.0, 70.0],
            q: None,
            sigma: 2.0,
        };
        // Totals 100 (var 2) and 120 (var 8): (100/2 + 120/8) / (1/2 + 1/8) = 104.
        assert!((estimate_total(&[a.clone(), b]) - 104.0).abs() < 1e-9);
        // A merged rare cell counts at 1/sqrt(m) weight: its row total is y·sqrt(m).
        let c = Measurement {
            clique: vec![0],
            y: vec![40.0, 60.0 / 2.0],
            q: Some(vec![1.0, 0.5]),
            sigma: 1.0,
        };
        assert!((estimate_total(&[c]) - 100.0).abs() < 1e-9);
    }

    /// Random potentials on `cliques`; every marginal the model gives must match the full joint.
    fn check_against_brute_force(sizes: &[usize], cliques: &[Vec<usize>], queries: &[Vec<usize>]) {
        let mut m = Model::new(sizes, cliques, 50.0);
        let mut s = 1u64;
        for th in m.theta.iter_mut() {
            for v in th.iter_mut() {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                *v = ((s >> 33) % 100) as f64 / 40.0;
            }
        }
        m.propagate();
        let all_attrs: Vec<usize> = (0..sizes.len()).collect();
        let all = Scope::new(&all_attrs, sizes);
        let mut joint = vec![0.0; all.cells()];
        for (k, sc) in m.cliques.iter().enumerate() {
            let map = all.index_map(sc);
            for (j, &c) in map.iter().enumerate() {
                joint[j] += m.theta[k][c as usize];
            }
        }
        let z = logsumexp(&joint);
        let p: Vec<f64> = joint.iter().map(|v| (v - z).exp() * 50.0).collect();
        let full = Factor {
            scope: all,
            values: p,
        };
        for q in queries {
            let want = full.sum_to(&Scope::new(q, sizes)).values;
            let got = m.marginal(q);
            for (g, w) in got.iter().zip(&want) {
                assert!((g - w).abs() < 1e-9, "{cliques:?} {q:?}: {g} vs {w}");
            }
        }
    }

    #[test]
    fn marginals_across_cliques_match_brute_force() {
        check_against_brute_force(
            &[2, 3, 2, 2],
            &[vec![0, 1], vec![1, 2], vec![2, 3]],
            &[vec![0, 3], vec![0, 2], vec![1, 3], vec![0, 1, 3]],
        );
        // A cycle (triangulated into triples) with a tail and a star: separators of two
        // attributes, cliques with several children, queries spanning the whole tree.
        check_against_brute_force(
            &[2, 3, 2, 3, 2, 2],
            &[
                vec![0, 1],
                vec![1, 2],
                vec![2, 3],
                vec![3, 0],
                vec![3, 4],
                vec![1, 5],
            ],
            &[
                vec![4, 5],
                vec![0, 4],
                vec![2, 5],
                vec![0, 4, 5],
                vec![1, 3, 4],
                vec![2, 4, 5],
            ],
        );
    }
}
