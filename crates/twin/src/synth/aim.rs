//! AIM (McKenna, Mullins, Sheldon & Miklau 2022): measure every 1-way marginal, then, round by
//! round, choose the workload marginal the current model explains worst (exponential mechanism,
//! penalised by the noise measuring it would add), measure it, refit warm-started; anneal the
//! noise when a measurement teaches the model little; stop when the budget is spent.

use super::data::SecretData;
use super::junction::model_bytes;
use super::model::{estimate_total, Measurement, Model};
use super::noise::exponential_mechanism;
use super::privacy::{exponential_rho, gaussian_rho, Budget, Charge};
use super::{check_stop, Fitted, Progress};
use crate::error::{invalid, Result};
use rand::Rng;
use serde::Serialize;
use serde_json::json;
use std::collections::HashMap;

/// AIM's settings.
#[derive(Clone, Debug, Serialize)]
pub struct AimOptions {
    /// Workload: all marginals of this many columns (2 or 3).
    pub degree: usize,
    /// Workload cliques with more cells are left out.
    pub max_cells: usize,
    /// Largest junction tree, in MB (8 bytes per cell).
    pub max_model_mb: f64,
    /// Planned rounds T (None = 16 × columns, the paper's default).
    pub rounds: Option<usize>,
    /// Mirror-descent iterations per round (warm-started).
    pub round_iterations: usize,
    /// Iterations of the final fit.
    pub final_iterations: usize,
}

impl Default for AimOptions {
    fn default() -> Self {
        AimOptions {
            degree: 2,
            max_cells: 10_000,
            // The paper's 80 MB makes each refit cost seconds on 2 cores; 8 MB (a million cells)
            // keeps Adult at eps 10 under a minute for a small loss (bench/synth_issue6.py).
            max_model_mb: 8.0,
            rounds: None,
            round_iterations: 300,
            final_iterations: 2000,
        }
    }
}

/// Non-empty subsets of `c`.
fn subsets(c: &[usize]) -> Vec<Vec<usize>> {
    (1u32..(1 << c.len()))
        .map(|mask| {
            c.iter()
                .enumerate()
                .filter(|(i, _)| mask & (1 << i) != 0)
                .map(|(_, &a)| a)
                .collect()
        })
        .collect()
}

fn combinations(d: usize, k: usize) -> Vec<Vec<usize>> {
    let mut out = Vec::new();
    let mut cur = Vec::new();
    fn rec(start: usize, d: usize, k: usize, cur: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
        if cur.len() == k {
            out.push(cur.clone());
            return;
        }
        for a in start..d {
            cur.push(a);
            rec(a + 1, d, k, cur, out);
            cur.pop();
        }
    }
    rec(0, d, k, &mut cur, &mut out);
    out
}

/// A candidate marginal and its weight.
pub type Candidate = (Vec<usize>, f64);

/// The workload (cliques with weight 1) and its downward closure with AIM's overlap weights.
pub fn candidates(
    sizes: &[usize],
    degree: usize,
    max_cells: usize,
) -> (Vec<Vec<usize>>, Vec<Candidate>) {
    let d = sizes.len();
    let cells = |c: &[usize]| c.iter().map(|&a| sizes[a] as f64).product::<f64>();
    let workload: Vec<Vec<usize>> = combinations(d, degree.min(d))
        .into_iter()
        .filter(|c| cells(c) <= max_cells as f64)
        .collect();
    let mut closure: Vec<Vec<usize>> = Vec::new();
    for w in &workload {
        for s in subsets(w) {
            if !closure.contains(&s) {
                closure.push(s);
            }
        }
    }
    let cands = closure
        .into_iter()
        .map(|r| {
            let w: usize = workload
                .iter()
                .map(|s| r.iter().filter(|a| s.contains(a)).count())
                .sum();
            (r, w as f64)
        })
        .collect();
    (workload, cands)
}

fn l1(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).sum()
}

/// Runs AIM on `data`, spending what remains of `budget`.
pub fn aim<R: Rng>(
    data: &SecretData,
    budget: &mut Budget,
    opts: &AimOptions,
    rng: &mut R,
    progress: &dyn Progress,
) -> Result<Fitted> {
    if !(2..=3).contains(&opts.degree) {
        return Err(invalid(format!(
            "--degree must be 2 or 3, not {}",
            opts.degree
        )));
    }
    let d = data.sizes.len();
    let sizes = data.sizes.clone();
    let rho = budget.remaining();
    let t = opts.rounds.unwrap_or(16 * d).max(1);
    let mut sigma = (t as f64 / (2.0 * 0.9 * rho)).sqrt();
    let mut eps_em = (8.0 * 0.1 * rho / t as f64).sqrt();
    let (_, cands) = candidates(&sizes, opts.degree, opts.max_cells);
    let max_weight = cands.iter().map(|c| c.1).fold(1.0, f64::max);
    // 1-way marginals: d measurements at sigma.
    let mut measurements: Vec<Measurement> = Vec::new();
    let sigma0 = sigma;
    for a in 0..d {
        check_stop(progress)?;
        measurements.push(data.measure(&[a], sigma0, rng)?);
    }
    budget.charge(Charge {
        step: format!("1-way marginals of {d} columns"),
        mechanism: "gaussian",
        rho: d as f64 * gaussian_rho(sigma0),
        delta: 0.0,
        detail: format!("sigma {sigma0:.3} per cell"),
    })?;
    let mut cliques: Vec<Vec<usize>> = Vec::new();
    let mut model = Model::new(&sizes, &cliques, estimate_total(&measurements));
    model.fit(&measurements, opts.round_iterations, &|| {}, &|| {
        progress.stopped()
    })?;
    let mut truth: HashMap<Vec<usize>, Vec<f64>> = HashMap::new();
    let mut rounds = Vec::new();
    progress.phase("AIM rounds (budget spent, %)", 100);
    let mut shown = 0u64;
    let budget_mb = opts.max_model_mb;
    loop {
        check_stop(progress)?;
        let remaining = budget.remaining();
        if remaining <= rho * 1e-12 {
            break;
        }
        let round_cost = gaussian_rho(sigma) + exponential_rho(eps_em);
        if remaining < 2.0 * round_cost {
            // Last round: spend exactly what is left, with the same 90/10 split.
            sigma = (1.0 / (2.0 * 0.9 * remaining)).sqrt();
            eps_em = (8.0 * 0.1 * remaining).sqrt();
        }
        let used_share = (rho - remaining + gaussian_rho(sigma) + exponential_rho(eps_em)) / rho;
        let limit = budget_mb * used_share.min(1.0) * 1024.0 * 1024.0;
        let mut names = Vec::new();
        let mut scores = Vec::new();
        let mut estimates = Vec::new();
        for (r, w) in &cands {
            let covered = model.jt.containing(r).is_some();
            if !covered {
                let mut with = cliques.clone();
                with.push(r.clone());
                if model_bytes(&with, &sizes) > limit {
                    continue;
                }
            }
            let cells = r.iter().map(|&a| sizes[a] as f64).product::<f64>();
            let tru = truth.entry(r.clone()).or_insert_with(|| data.marginal(r));
            let est = model.marginal(r);
            let penalty = (2.0 / std::f64::consts::PI).sqrt() * sigma * cells;
            names.push(r.clone());
            scores.push(w * (l1(tru, &est) - penalty));
            estimates.push(est);
        }
        if names.is_empty() {
            return Err(invalid(
                "AIM: no workload marginal fits the model size limit; raise --max-model-mb",
            ));
        }
        let pick = exponential_mechanism(rng, &scores, eps_em, max_weight)?;
        let r = names[pick].clone();
        budget.charge(Charge {
            step: format!("round {}: choose a marginal", rounds.len() + 1),
            mechanism: "exponential",
            rho: exponential_rho(eps_em),
            delta: 0.0,
            detail: format!("eps {eps_em:.4}, sensitivity {max_weight}"),
        })?;
        let m = data.measure(&r, sigma, rng)?;
        budget.charge(Charge {
            step: format!("round {}: measure {:?}", rounds.len() + 1, r),
            mechanism: "gaussian",
            rho: gaussian_rho(sigma),
            delta: 0.0,
            detail: format!("sigma {sigma:.3} per cell"),
        })?;
        measurements.push(m);
        let before = estimates.swap_remove(pick);
        if !cliques.contains(&r) {
            cliques.push(r.clone());
        }
        model = model.extended(&cliques);
        model.total = estimate_total(&measurements);
        model.fit(&measurements, opts.round_iterations, &|| {}, &|| {
            progress.stopped()
        })?;
        let after = model.marginal(&r);
        let cells = r.iter().map(|&a| sizes[a] as f64).product::<f64>();
        let moved = l1(&after, &before);
        let annealed = moved <= (2.0 / std::f64::consts::PI).sqrt() * sigma * cells;
        rounds.push(json!({"clique": r, "sigma": sigma, "epsilon_selection": eps_em, "moved": moved, "annealed": annealed}));
        if annealed {
            sigma /= 2.0;
            eps_em *= 2.0;
        }
        let pct = ((budget.spent() / budget.rho) * 100.0) as u64;
        if pct > shown {
            progress.advance(pct - shown);
            shown = pct;
        }
    }
    progress.phase("final fit", opts.final_iterations as u64);
    check_stop(progress)?;
    let fit = model.fit(
        &measurements,
        opts.final_iterations,
        &|| progress.advance(1),
        &|| progress.stopped(),
    )?;
    Ok(Fitted {
        model,
        compressions: vec![None; d],
        cliques,
        measurements: measurements.len(),
        fit,
        rounds,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates_are_the_downward_closure_with_overlap_weights() {
        let (w, c) = candidates(&[2, 3, 4], 2, 10_000);
        assert_eq!(w.len(), 3);
        assert_eq!(c.len(), 6);
        // A single attribute overlaps the two pairs it is in.
        assert_eq!(c.iter().find(|x| x.0 == vec![0]).unwrap().1, 2.0);
        // A pair overlaps itself twice and each neighbouring pair once.
        assert_eq!(c.iter().find(|x| x.0 == vec![0, 1]).unwrap().1, 4.0);
        // Too large pairs leave the workload.
        let (w, _) = candidates(&[200, 300, 4], 2, 10_000);
        assert_eq!(w.len(), 2);
        let (w, c) = candidates(&[2, 2, 2, 2], 3, 10_000);
        assert_eq!(w.len(), 4);
        assert_eq!(c.len(), 4 + 6 + 4);
    }
}
