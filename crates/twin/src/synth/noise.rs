//! Floating-point-safe noise: Bernoulli(exp(−x)) for rational x, the discrete Laplace and the
//! discrete Gaussian of Canonne, Kamath & Steinke (2020, Algorithms 1–3), and an exponential
//! mechanism by rejection with those exact coins. No floating-point `exp` or `ln` decides a draw,
//! so the noise has no gaps an attacker could read (Mironov 2012).

use crate::error::{invalid, Result};
use rand::Rng;

/// Bits of precision of sigma: it is rounded *up* to a multiple of 2^-SIGMA_BITS (more noise,
/// never less than the accounting assumes).
const SIGMA_BITS: u32 = 10;
/// Largest sigma the exact arithmetic supports (u128 bounds); far beyond any useful twin.
pub const MAX_SIGMA: f64 = 1e5;

/// True with probability num/den (den > 0, num <= den).
fn bernoulli_ratio<R: Rng>(rng: &mut R, num: u128, den: u128) -> bool {
    rng.random_range(0..den) < num
}

/// True with probability exp(−num/den), for num/den in [0, 1] (CKS Algorithm 1).
fn bernoulli_exp_small<R: Rng>(rng: &mut R, num: u128, den: u128) -> bool {
    let mut k: u128 = 1;
    loop {
        let Some(dk) = den.checked_mul(k) else {
            // Reaching k this large has probability below 1/k!, far under 2^-100.
            return k % 2 == 1;
        };
        if !bernoulli_ratio(rng, num, dk) {
            return k % 2 == 1;
        }
        k += 1;
    }
}

/// True with probability exp(−num/den) for any num/den >= 0 (CKS Algorithm 2).
pub fn bernoulli_exp<R: Rng>(rng: &mut R, num: u128, den: u128) -> bool {
    let whole = num / den;
    let mut i = 0;
    while i < whole {
        if !bernoulli_exp_small(rng, 1, 1) {
            return false;
        }
        i += 1;
    }
    bernoulli_exp_small(rng, num % den, den)
}

/// A discrete Gaussian sampler for one sigma, with sigma² held as an exact rational.
#[derive(Clone, Debug)]
pub struct DiscreteGaussian {
    /// sigma = s / 2^SIGMA_BITS, rounded up.
    s: u128,
    /// floor(sigma) + 1, the discrete Laplace scale of the proposal.
    t: u128,
    /// The sigma actually used.
    pub sigma: f64,
}

impl DiscreteGaussian {
    /// A sampler with standard deviation at least `sigma`.
    pub fn new(sigma: f64) -> Result<DiscreteGaussian> {
        if !(sigma.is_finite() && sigma > 0.0) {
            return Err(invalid(format!(
                "noise scale must be positive, not {sigma}"
            )));
        }
        if sigma > MAX_SIGMA {
            return Err(invalid(format!(
                "noise scale {sigma:.0} is beyond {MAX_SIGMA:.0}: the budget is too small for any useful twin"
            )));
        }
        let s = (sigma * f64::from(1u32 << SIGMA_BITS)).ceil() as u128;
        let exact = s as f64 / f64::from(1u32 << SIGMA_BITS);
        Ok(DiscreteGaussian {
            s,
            t: exact.floor() as u128 + 1,
            sigma: exact,
        })
    }

    /// One draw (CKS Algorithm 3: discrete Laplace proposal, exact Gaussian acceptance).
    pub fn sample<R: Rng>(&self, rng: &mut R) -> i64 {
        let t = self.t;
        loop {
            let u = rng.random_range(0..t);
            if !bernoulli_exp(rng, u, t) {
                continue;
            }
            let mut v: u128 = 0;
            while bernoulli_exp_small(rng, 1, 1) {
                v += 1;
            }
            let negative = rng.random::<bool>();
            if negative && u == 0 && v == 0 {
                continue;
            }
            let y = u + t * v;
            if self.accept(rng, y) {
                let y = y as i64;
                return if negative { -y } else { y };
            }
        }
    }

    /// Bernoulli(exp(−(|y| − sigma²/t)² / (2 sigma²))) with sigma² = s²/4^b:
    /// the exponent is (|y| t 4^b − s²)² / (2 t² s² 4^b).
    fn accept<R: Rng>(&self, rng: &mut R, y: u128) -> bool {
        let four_b: u128 = 1 << (2 * SIGMA_BITS);
        let s2 = self.s * self.s;
        let num = y
            .checked_mul(self.t)
            .and_then(|x| x.checked_mul(four_b))
            .map(|x| x.abs_diff(s2))
            .and_then(|d| d.checked_mul(d));
        let den = (2 * self.t * self.t)
            .checked_mul(s2)
            .and_then(|x| x.checked_mul(four_b));
        match (num, den) {
            (Some(n), Some(d)) => bernoulli_exp(rng, n, d),
            // Only for |y| hundreds of sigmas out, where the acceptance is below exp(-10^4).
            _ => false,
        }
    }
}

/// The exponential mechanism: returns index i with probability ∝ exp(eps · score_i / (2 Δ)).
/// Scores are put on an integer grid (the sensitivity grows by one grid step to cover the
/// rounding) and eps is rounded down, then an index is drawn uniformly and kept with the exact
/// probability exp(−eps (best − score_i) / (2 Δ)).
pub fn exponential_mechanism<R: Rng>(
    rng: &mut R,
    scores: &[f64],
    eps: f64,
    sensitivity: f64,
) -> Result<usize> {
    if scores.is_empty() {
        return Err(invalid("exponential mechanism over no candidates"));
    }
    if !(eps > 0.0 && sensitivity > 0.0) || scores.iter().any(|s| !s.is_finite()) {
        return Err(invalid(
            "exponential mechanism: scores and parameters must be finite",
        ));
    }
    // 256 grid steps per unit of sensitivity.
    let grid = 256.0 / sensitivity;
    let q: Vec<i128> = scores.iter().map(|s| (s * grid).floor() as i128).collect();
    let sens_q = 257u128; // ceil(sensitivity · grid) + 1
    let best = *q.iter().max().expect("non-empty");
    // eps rounded down to a multiple of 2^-30.
    let eps_q = (eps * f64::from(1u32 << 30)).floor() as u128;
    let den = 2 * sens_q * (1u128 << 30);
    loop {
        let i = rng.random_range(0..scores.len());
        let gap = (best - q[i]) as u128;
        match gap.checked_mul(eps_q) {
            Some(num) => {
                if bernoulli_exp(rng, num, den) {
                    return Ok(i);
                }
            }
            None => continue,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    fn rng(seed: u64) -> ChaCha20Rng {
        ChaCha20Rng::seed_from_u64(seed)
    }

    #[test]
    fn bernoulli_exp_has_the_right_mean() {
        let mut r = rng(1);
        for (num, den) in [(1u128, 2u128), (3, 2), (5, 1), (0, 7)] {
            let p = (-(num as f64) / den as f64).exp();
            let n = 200_000;
            let hits = (0..n).filter(|_| bernoulli_exp(&mut r, num, den)).count() as f64;
            let se = (p * (1.0 - p) / n as f64).sqrt().max(1e-9);
            assert!(
                ((hits / n as f64) - p).abs() < 5.0 * se,
                "{num}/{den}: {hits}"
            );
        }
    }

    /// Hypothesis test: mean 0 and variance sigma² (within 5 standard errors), symmetric tails.
    #[test]
    fn discrete_gaussian_has_the_right_variance() {
        for (sigma, seed) in [(0.7, 3u64), (3.5, 4), (40.0, 5)] {
            let g = DiscreteGaussian::new(sigma).unwrap();
            let mut r = rng(seed);
            let n = 100_000usize;
            let xs: Vec<f64> = (0..n).map(|_| g.sample(&mut r) as f64).collect();
            let mean = xs.iter().sum::<f64>() / n as f64;
            let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
            // The discrete Gaussian's variance is below sigma² and within 1e-3 of it for sigma > 1;
            // compute it exactly from the pmf.
            let s2 = g.sigma * g.sigma;
            let lim = (g.sigma * 12.0).ceil() as i64 + 2;
            let (mut z, mut m2) = (0.0, 0.0);
            for k in -lim..=lim {
                let w = (-(k * k) as f64 / (2.0 * s2)).exp();
                z += w;
                m2 += w * (k * k) as f64;
            }
            let true_var = m2 / z;
            // Var of the sample variance ≈ 2 var² / n for a near-Gaussian.
            let se_var = true_var * (2.0 / n as f64).sqrt();
            let se_mean = (true_var / n as f64).sqrt();
            assert!(mean.abs() < 5.0 * se_mean, "sigma {sigma}: mean {mean}");
            assert!(
                (var - true_var).abs() < 5.0 * se_var,
                "sigma {sigma}: var {var} vs {true_var}"
            );
            let pos = xs.iter().filter(|&&x| x > 0.0).count() as f64;
            let neg = xs.iter().filter(|&&x| x < 0.0).count() as f64;
            assert!(
                (pos - neg).abs() < 5.0 * (pos + neg).sqrt(),
                "{pos} vs {neg}"
            );
        }
    }

    #[test]
    fn sigma_is_rounded_up_and_bounded() {
        let g = DiscreteGaussian::new(10.0004).unwrap();
        assert!(g.sigma >= 10.0004 && g.sigma < 10.0004 + 1e-3);
        assert!(DiscreteGaussian::new(0.0).is_err());
        assert!(DiscreteGaussian::new(1e9).is_err());
        let big = DiscreteGaussian::new(MAX_SIGMA).unwrap();
        let mut r = rng(9);
        let x = big.sample(&mut r);
        assert!(x.unsigned_abs() < 10 * MAX_SIGMA as u64);
    }

    #[test]
    fn exponential_mechanism_follows_the_softmax() {
        let scores: [f64; 4] = [0.0, 1.0, 2.0, 4.0];
        let eps: f64 = 1.0;
        let sens = 1.0;
        let w: Vec<f64> = scores
            .iter()
            .map(|s| (eps * s / (2.0 * sens)).exp())
            .collect();
        let z: f64 = w.iter().sum();
        let mut r = rng(7);
        let n = 100_000;
        let mut hits = [0usize; 4];
        for _ in 0..n {
            hits[exponential_mechanism(&mut r, &scores, eps, sens).unwrap()] += 1;
        }
        for i in 0..4 {
            // The grid widens the sensitivity by 1/256: the probabilities move by < 1%.
            let p = w[i] / z;
            let got = hits[i] as f64 / n as f64;
            let se = (p * (1.0 - p) / n as f64).sqrt();
            assert!((got - p).abs() < 5.0 * se + 0.01 * p, "{i}: {got} vs {p}");
        }
        assert!(exponential_mechanism(&mut r, &[], 1.0, 1.0).is_err());
        assert!(exponential_mechanism(&mut r, &[f64::NAN], 1.0, 1.0).is_err());
    }

    #[test]
    fn a_dominant_candidate_is_chosen_without_endless_rejection() {
        let mut scores = vec![0.0; 500];
        scores[17] = 1e6;
        let mut r = rng(2);
        assert_eq!(
            exponential_mechanism(&mut r, &scores, 1.0, 1.0).unwrap(),
            17
        );
    }
}
