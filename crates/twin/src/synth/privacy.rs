//! Privacy accounting in zero-concentrated DP: the tight (eps, delta) → rho conversion of
//! Canonne, Kamath & Steinke (2020), the cost of the Gaussian and exponential mechanisms, and a
//! budget ledger that lists every mechanism a twin paid for.

use crate::error::{invalid, Result};
use serde::Serialize;

/// delta(rho, eps) at one alpha > 1 (any alpha gives a valid upper bound).
fn delta_at(rho: f64, eps: f64, alpha: f64) -> f64 {
    ((alpha - 1.0) * (alpha * rho - eps)).exp() / (alpha - 1.0) * (1.0 - 1.0 / alpha).powf(alpha)
}

/// The smallest delta that rho-zCDP guarantees at `eps` (CKS 2020, Proposition on zCDP →
/// approximate DP). The inner optimum is where (2 alpha − 1) rho − eps + ln(1 − 1/alpha) = 0.
pub fn cdp_delta(rho: f64, eps: f64) -> f64 {
    if rho <= 0.0 {
        return 0.0;
    }
    let stationary = |a: f64| (2.0 * a - 1.0) * rho - eps + (1.0 - 1.0 / a).ln();
    // stationary() increases in alpha; bracket its root.
    let (mut lo, mut hi) = (1.0 + 1e-12, 2.0);
    while stationary(hi) < 0.0 && hi < 1e12 {
        hi *= 2.0;
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if stationary(mid) < 0.0 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    delta_at(rho, eps, hi).min(1.0)
}

/// The largest rho whose (eps, delta) guarantee meets `delta` (bisection on rho in [0, eps+1]).
pub fn cdp_rho(eps: f64, delta: f64) -> Result<f64> {
    if !(eps.is_finite() && eps > 0.0) {
        return Err(invalid(format!(
            "epsilon must be a positive number, not {eps}"
        )));
    }
    if !(delta > 0.0 && delta < 1.0) {
        return Err(invalid(format!(
            "delta must be in (0, 1), not {delta}; zCDP mechanisms need a positive delta"
        )));
    }
    let (mut lo, mut hi) = (0.0, eps + 1.0);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if cdp_delta(mid, eps) <= delta {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Ok(lo)
}

/// The cost of a Gaussian mechanism with noise `sigma` on an L2-sensitivity-1 query.
pub fn gaussian_rho(sigma: f64) -> f64 {
    1.0 / (2.0 * sigma * sigma)
}

/// The cost of an exponential mechanism with parameter `eps_em` (Cesar & Rogers 2021).
pub fn exponential_rho(eps_em: f64) -> f64 {
    eps_em * eps_em / 8.0
}

/// One line of the budget ledger.
#[derive(Clone, Debug, Serialize)]
pub struct Charge {
    /// What was measured or chosen ("1-way marginals", "spanning tree", ...).
    pub step: String,
    /// "gaussian", "exponential", "gaussian+threshold".
    pub mechanism: &'static str,
    pub rho: f64,
    /// Extra delta spent outside zCDP (thresholded category release), 0 otherwise.
    pub delta: f64,
    /// Noise scale or mechanism parameter, for the reader.
    pub detail: String,
}

/// The budget of one twin and what it was spent on.
#[derive(Clone, Debug, Serialize)]
pub struct Budget {
    pub epsilon: f64,
    pub delta: f64,
    /// Part of delta reserved for thresholded releases (e.g. a DP category set).
    pub delta_threshold: f64,
    /// rho from (epsilon, delta − delta_threshold).
    pub rho: f64,
    pub charges: Vec<Charge>,
}

impl Budget {
    /// A budget of (eps, delta), of which `delta_threshold` is kept for thresholded releases.
    pub fn new(epsilon: f64, delta: f64, delta_threshold: f64) -> Result<Budget> {
        let rho = cdp_rho(epsilon, delta - delta_threshold)?;
        Ok(Budget {
            epsilon,
            delta,
            delta_threshold,
            rho,
            charges: Vec::new(),
        })
    }

    /// rho spent so far.
    pub fn spent(&self) -> f64 {
        self.charges.iter().map(|c| c.rho).sum()
    }

    /// rho still available.
    pub fn remaining(&self) -> f64 {
        (self.rho - self.spent()).max(0.0)
    }

    /// Records a charge; refuses one that would overspend (beyond rounding).
    pub fn charge(&mut self, c: Charge) -> Result<()> {
        if self.spent() + c.rho > self.rho * (1.0 + 1e-9) {
            return Err(invalid(format!(
                "budget exceeded by {}: {} spent of rho {}",
                c.step,
                self.spent() + c.rho,
                self.rho
            )));
        }
        self.charges.push(c);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The spec's table (§1.1), checked by two independent implementations to 4 digits.
    #[test]
    fn rho_matches_the_spec_table() {
        // (eps, delta, rho as printed, half a unit of its last printed digit)
        for (eps, delta, rho, half_unit) in [
            (0.1, 1e-9, 0.00018, 5e-6),
            (1.0, 1e-9, 0.01497, 5e-6),
            (1.0, 1e-6, 0.02436, 5e-6),
            (3.0, 1e-9, 0.1206, 5e-5),
            (10.0, 1e-9, 1.0908, 5e-5),
        ] {
            let got = cdp_rho(eps, delta).unwrap();
            assert!(
                (got - rho).abs() <= half_unit,
                "eps {eps} delta {delta}: {got} vs {rho}"
            );
        }
    }

    #[test]
    fn mst_and_aim_noise_scales_match_the_spec_table() {
        for (eps, sigma_mst, sigma_aim) in
            [(0.1, 92.0, 672.0), (1.0, 10.0, 73.1), (10.0, 1.17, 8.6)]
        {
            let rho = cdp_rho(eps, 1e-9).unwrap();
            let mst = (3.0 / (2.0 * rho)).sqrt();
            let aim = (144.0 / (2.0 * 0.9 * rho)).sqrt();
            assert!((mst - sigma_mst).abs() / sigma_mst < 0.01, "{mst}");
            assert!((aim - sigma_aim).abs() / sigma_aim < 0.01, "{aim}");
        }
    }

    #[test]
    fn tight_conversion_beats_the_textbook_bound() {
        for (eps, delta) in [(1.0, 1e-9), (3.0, 1e-9), (1.0, 1e-6)] {
            let tight = cdp_rho(eps, delta).unwrap();
            // eps = rho + 2 sqrt(rho ln(1/delta)) solved for rho.
            let l = (1.0 / delta).ln();
            let simple = ((l + eps).sqrt() - l.sqrt()).powi(2);
            assert!(tight > simple * 1.05, "{tight} vs {simple}");
            assert!(cdp_delta(tight, eps) <= delta * (1.0 + 1e-9));
        }
    }

    #[test]
    fn bad_parameters_and_overspending_are_refused() {
        assert!(cdp_rho(0.0, 1e-9).is_err());
        assert!(cdp_rho(1.0, 0.0).is_err());
        assert!(cdp_rho(f64::NAN, 1e-9).is_err());
        let mut b = Budget::new(1.0, 1e-9, 0.0).unwrap();
        let half = b.rho / 2.0;
        let c = |rho| Charge {
            step: "x".into(),
            mechanism: "gaussian",
            rho,
            delta: 0.0,
            detail: String::new(),
        };
        b.charge(c(half)).unwrap();
        b.charge(c(half)).unwrap();
        assert!(b.charge(c(half * 0.01)).is_err());
        assert!(b.remaining() < 1e-12);
    }
}
