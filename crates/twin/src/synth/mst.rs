//! MST (McKenna, Miklau & Sheldon 2021): noisy 1-way marginals, domain compression of values
//! lost in the noise, a spanning tree chosen with the exponential mechanism on how badly
//! independence explains each pair, noisy tree-edge marginals, and one Private-PGM fit.

use super::data::SecretData;
use super::model::{estimate_total, Measurement, Model};
use super::noise::exponential_mechanism;
use super::privacy::{exponential_rho, Budget, Charge};
use super::{check_stop, Fitted, Progress};
use crate::error::Result;
use rand::Rng;
use rayon::prelude::*;
use serde::Serialize;

/// MST's settings.
#[derive(Clone, Debug, Serialize)]
pub struct MstOptions {
    /// Mirror-descent iterations of the final fit.
    pub iterations: usize,
    /// Iterations of the independence fit used for selection.
    pub selection_iterations: usize,
}

impl Default for MstOptions {
    fn default() -> Self {
        MstOptions {
            iterations: 5000,
            selection_iterations: 1000,
        }
    }
}

/// How one attribute's domain was compressed: the original codes kept, and those merged into
/// the last ("rare") cell.
#[derive(Clone, Debug, Serialize)]
pub struct Compression {
    pub kept: Vec<u32>,
    pub merged: Vec<u32>,
}

impl Compression {
    /// Original code of a compressed one (a merged cell expands uniformly at random).
    pub fn expand<R: Rng>(&self, code: u32, rng: &mut R) -> u32 {
        match self.kept.get(code as usize) {
            Some(&c) => c,
            None => self.merged[rng.random_range(0..self.merged.len())],
        }
    }
}

/// Runs MST on `data`, spending what remains of `budget`.
pub fn mst<R: Rng>(
    data: &mut SecretData,
    budget: &mut Budget,
    opts: &MstOptions,
    rng: &mut R,
    progress: &dyn Progress,
) -> Result<Fitted> {
    let d = data.sizes.len();
    let rho = budget.remaining();
    let parts = if d >= 2 { 3.0 } else { 1.0 };
    let rho_part = rho / parts;
    // 1-way marginals share rho/3: each measurement gets sigma·sqrt(d).
    let sigma1 = (d as f64 / (2.0 * rho_part)).sqrt();
    progress.phase("measuring 1-way marginals", d as u64);
    let mut ones = Vec::with_capacity(d);
    for a in 0..d {
        check_stop(progress)?;
        ones.push(data.measure(&[a], sigma1, rng)?);
        progress.advance(1);
    }
    budget.charge(Charge {
        step: format!("1-way marginals of {d} columns"),
        mechanism: "gaussian",
        rho: rho_part,
        delta: 0.0,
        detail: format!("sigma {sigma1:.3} per cell"),
    })?;
    let compressions = compress(data, &mut ones);
    let mut measurements = ones;
    let mut edges = Vec::new();
    if d >= 2 {
        edges = select_tree(data, &measurements, rho_part, opts, rng, progress)?;
        budget.charge(Charge {
            step: format!("spanning tree ({} edges)", d - 1),
            mechanism: "exponential",
            rho: rho_part,
            delta: 0.0,
            detail: format!(
                "eps {:.4} per edge, sensitivity 1",
                (8.0 * rho_part / (d - 1) as f64).sqrt()
            ),
        })?;
        let sigma2 = ((d - 1) as f64 / (2.0 * rho_part)).sqrt();
        progress.phase("measuring tree-edge marginals", edges.len() as u64);
        for e in &edges {
            check_stop(progress)?;
            measurements.push(data.measure(e, sigma2, rng)?);
            progress.advance(1);
        }
        budget.charge(Charge {
            step: format!("2-way marginals of {} tree edges", edges.len()),
            mechanism: "gaussian",
            rho: rho_part,
            delta: 0.0,
            detail: format!("sigma {sigma2:.3} per cell"),
        })?;
    }
    let total = estimate_total(&measurements);
    let mut model = Model::new(&data.sizes, &edges, total);
    progress.phase("fitting the graphical model", opts.iterations as u64);
    let fit = model.fit(
        &measurements,
        opts.iterations,
        &|| progress.advance(1),
        &|| progress.stopped(),
    )?;
    Ok(Fitted {
        model,
        compressions,
        cliques: edges,
        measurements: measurements.len(),
        fit,
        rounds: Vec::new(),
    })
}

/// Merges the values whose noisy count is under 3 sigma into one cell and re-expresses the
/// 1-way measurement on the new domain: the merged cell's observation and query are both
/// divided by sqrt(m), so it keeps the noise scale of every other cell.
fn compress(data: &mut SecretData, ones: &mut [Measurement]) -> Vec<Option<Compression>> {
    let mut out = Vec::with_capacity(ones.len());
    for (a, m) in ones.iter_mut().enumerate() {
        let keep: Vec<bool> = m.y.iter().map(|&y| y >= 3.0 * m.sigma).collect();
        let n_kept = keep.iter().filter(|&&k| k).count();
        if n_kept == keep.len() || n_kept < 2 {
            out.push(None);
            continue;
        }
        let kept: Vec<u32> = (0..keep.len() as u32)
            .filter(|&c| keep[c as usize])
            .collect();
        let merged: Vec<u32> = (0..keep.len() as u32)
            .filter(|&c| !keep[c as usize])
            .collect();
        let mut map = vec![n_kept as u32; keep.len()];
        for (new, &old) in kept.iter().enumerate() {
            map[old as usize] = new as u32;
        }
        let scale = 1.0 / (merged.len() as f64).sqrt();
        let rare: f64 = merged.iter().map(|&c| m.y[c as usize]).sum();
        let mut y: Vec<f64> = kept.iter().map(|&c| m.y[c as usize]).collect();
        y.push(rare * scale);
        let mut q = vec![1.0; n_kept];
        q.push(scale);
        m.y = y;
        m.q = Some(q);
        data.recode(a, &map, n_kept + 1);
        out.push(Some(Compression { kept, merged }));
    }
    out
}

/// Kruskal's algorithm with each edge chosen privately among the pairs joining two components,
/// scored by the L1 distance between the true pair marginal and the independence model's.
fn select_tree<R: Rng>(
    data: &SecretData,
    ones: &[Measurement],
    rho_part: f64,
    opts: &MstOptions,
    rng: &mut R,
    progress: &dyn Progress,
) -> Result<Vec<Vec<usize>>> {
    let d = data.sizes.len();
    let mut indep = Model::new(&data.sizes, &[], estimate_total(ones));
    progress.phase(
        "fitting the independence model",
        opts.selection_iterations as u64,
    );
    indep.fit(
        ones,
        opts.selection_iterations,
        &|| progress.advance(1),
        &|| progress.stopped(),
    )?;
    check_stop(progress)?;
    let pairs: Vec<(usize, usize)> = (0..d)
        .flat_map(|a| (a + 1..d).map(move |b| (a, b)))
        .collect();
    progress.phase("scoring column pairs", pairs.len() as u64);
    let scores: Vec<f64> = pairs
        .par_iter()
        .map(|&(a, b)| {
            let truth = data.marginal(&[a, b]);
            let model = indep.marginal(&[a, b]);
            progress.advance(1);
            truth.iter().zip(&model).map(|(x, y)| (x - y).abs()).sum()
        })
        .collect();
    let eps_em = (8.0 * rho_part / (d - 1) as f64).sqrt();
    debug_assert!(
        (exponential_rho(eps_em) * (d - 1) as f64 - rho_part).abs() < 1e-9 * rho_part.max(1.0)
    );
    let mut comp: Vec<usize> = (0..d).collect();
    let mut edges = Vec::with_capacity(d - 1);
    for _ in 0..d - 1 {
        check_stop(progress)?;
        let open: Vec<usize> = (0..pairs.len())
            .filter(|&i| comp[pairs[i].0] != comp[pairs[i].1])
            .collect();
        let s: Vec<f64> = open.iter().map(|&i| scores[i]).collect();
        let (a, b) = pairs[open[exponential_mechanism(rng, &s, eps_em, 1.0)?]];
        let (ca, cb) = (comp[a], comp[b]);
        comp.iter_mut().filter(|c| **c == cb).for_each(|c| *c = ca);
        edges.push(vec![a, b]);
    }
    Ok(edges)
}
