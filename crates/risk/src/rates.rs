//! Success rates (Wilson score), residual risk with the control correction, and the result every
//! attack returns.

use crate::special::normal_quantile;
use serde::Serialize;

/// A success rate with its half-width at the chosen confidence level.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct SuccessRate {
    pub value: f64,
    pub error: f64,
}

/// A risk in [0, 1] with its confidence interval.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Risk {
    pub value: f64,
    pub ci: [f64; 2],
}

/// Why a rate could not be computed.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum RateError {
    #[error("confidence level {0} is not strictly between 0 and 1")]
    Confidence(f64),
    #[error("no attempts were made, so no rate can be computed")]
    NoAttempts,
    #[error("{successes} successes out of {attempts} attempts is not a rate in [0, 1]")]
    OutOfRange { successes: f64, attempts: f64 },
}

/// The z value of a two-sided interval at `confidence` (1.959964 for 0.95).
pub fn z_for(confidence: f64) -> Result<f64, RateError> {
    if !(confidence > 0.0 && confidence < 1.0) {
        return Err(RateError::Confidence(confidence));
    }
    Ok(normal_quantile((1.0 + confidence) / 2.0))
}

/// Wilson score centre and half-width for `k` successes out of `n` (k may be fractional).
pub fn wilson(k: f64, n: f64, confidence: f64) -> Result<SuccessRate, RateError> {
    let z = z_for(confidence)?;
    if n.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
        return Err(RateError::NoAttempts);
    }
    if !(0.0..=n).contains(&k) {
        return Err(RateError::OutOfRange {
            successes: k,
            attempts: n,
        });
    }
    let z2 = z * z;
    let value = (k + z2 / 2.0) / (n + z2);
    let error = z / (n + z2) * (k * (n - k) / n + z2 / 4.0).sqrt();
    Ok(SuccessRate { value, error })
}

/// Residual risk `(main − control) / (1 − control)` with first-order propagated error, or the
/// main rate itself without a control attack. Returns the unclipped value and its error.
pub fn residual(main: SuccessRate, control: Option<SuccessRate>) -> (f64, f64) {
    match control {
        None => (main.value, main.error),
        Some(c) => {
            let denom = 1.0 - c.value;
            let value = (main.value - c.value) / denom;
            let d_main = main.error / denom;
            let d_ctrl = c.error * (main.value - 1.0) / (denom * denom);
            (value, (d_main * d_main + d_ctrl * d_ctrl).sqrt())
        }
    }
}

/// Clips a residual risk and its symmetric interval to [0, 1].
pub fn clip_risk(value: f64, error: f64) -> Risk {
    let c = |x: f64| x.clamp(0.0, 1.0);
    Risk {
        value: c(value),
        ci: [c(value - error), c(value + error)],
    }
}

/// Counts of one attack (main, baseline or control): successes out of attempts.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Tally {
    pub successes: f64,
    pub attempts: f64,
}

/// Everything one attack reports: the evidence behind a risk figure.
#[derive(Clone, Debug, Serialize)]
pub struct AttackResult {
    pub attack: String,
    pub n_attacks: usize,
    pub risk: Risk,
    pub attack_rate: SuccessRate,
    pub baseline_rate: SuccessRate,
    pub control_rate: Option<SuccessRate>,
    pub n_success: f64,
    pub n_baseline: f64,
    pub n_control: Option<f64>,
    pub attempts: Attempts,
    pub confidence: f64,
    pub seed: u64,
    pub params: serde_json::Value,
    pub warnings: Vec<String>,
    #[serde(skip_serializing_if = "serde_json::Value::is_null")]
    pub details: serde_json::Value,
}

/// Attempts behind each rate (they can differ, e.g. when fewer queries were found).
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Attempts {
    pub main: f64,
    pub baseline: f64,
    pub control: Option<f64>,
}

/// Inputs of [`AttackResult::assemble`].
pub struct Outcome {
    pub attack: String,
    pub n_attacks: usize,
    pub main: Tally,
    pub baseline: Tally,
    pub control: Option<Tally>,
    pub confidence: f64,
    pub seed: u64,
    pub params: serde_json::Value,
    pub warnings: Vec<String>,
    pub details: serde_json::Value,
}

impl AttackResult {
    /// Turns counts into rates and risk. Counts outside [0, attempts] are capped (with a warning)
    /// rather than crashing, and an attack no better than its baseline is flagged.
    pub fn assemble(mut o: Outcome) -> Result<AttackResult, RateError> {
        let main = rate_of("main", o.main, o.confidence, &mut o.warnings)?;
        let baseline = rate_of("baseline", o.baseline, o.confidence, &mut o.warnings)?;
        let control = match o.control {
            Some(t) => Some(rate_of("control", t, o.confidence, &mut o.warnings)?),
            None => None,
        };
        let (value, error) = residual(main, control);
        if baseline.value >= main.value {
            o.warnings.push(format!(
                "the attack does no better than random guessing (baseline rate {:.4} ≥ attack rate {:.4}); \
                 the risk figure is not meaningful for this twin, read the error bars",
                baseline.value, main.value
            ));
        }
        if value < 0.0 {
            o.warnings.push(format!(
                "the control attack succeeded more often than the main attack (residual {value:.4}); risk reported as 0"
            ));
        }
        Ok(AttackResult {
            attack: o.attack,
            n_attacks: o.n_attacks,
            risk: clip_risk(value, error),
            attack_rate: main,
            baseline_rate: baseline,
            control_rate: control,
            n_success: o.main.successes,
            n_baseline: o.baseline.successes,
            n_control: o.control.map(|t| t.successes),
            attempts: Attempts {
                main: o.main.attempts,
                baseline: o.baseline.attempts,
                control: o.control.map(|t| t.attempts),
            },
            confidence: o.confidence,
            seed: o.seed,
            params: o.params,
            warnings: o.warnings,
            details: o.details,
        })
    }
}

fn rate_of(
    name: &str,
    t: Tally,
    confidence: f64,
    warnings: &mut Vec<String>,
) -> Result<SuccessRate, RateError> {
    let mut k = t.successes;
    if k > t.attempts {
        warnings.push(format!(
            "{name} successes ({k:.2}) exceeded attempts ({}); capped at the number of attempts",
            t.attempts
        ));
        k = t.attempts;
    }
    if k < 0.0 {
        k = 0.0;
    }
    wilson(k, t.attempts, confidence)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn wilson_hand_computed() {
        // z = 1.959964, z² = 3.841459; 0 of 500: (1.9207)/(503.8415) = 0.003812.
        let r = wilson(0.0, 500.0, 0.95).unwrap();
        assert!((r.value - 0.003_812_3).abs() < 1e-6, "{r:?}");
        assert!((r.error - 0.003_812_3).abs() < 1e-6, "{r:?}");
        // 50 of 100: centre 0.5; error = z/(103.8415)·sqrt(25 + 0.96036) = 0.0961685
        let r = wilson(50.0, 100.0, 0.95).unwrap();
        assert!((r.value - 0.5).abs() < 1e-12);
        let z = 1.959_963_984_540_054;
        let expect = z / (100.0 + z * z) * (25.0 + z * z / 4.0f64).sqrt();
        assert!((r.error - expect).abs() < 1e-12);
        assert!((expect - 0.096_168_5).abs() < 1e-6, "{expect}");
    }

    #[test]
    fn residual_hand_computed() {
        let m = SuccessRate {
            value: 0.6,
            error: 0.05,
        };
        let c = SuccessRate {
            value: 0.2,
            error: 0.04,
        };
        let (v, e) = residual(m, Some(c));
        assert!((v - 0.5).abs() < 1e-12);
        // sqrt((0.05/0.8)² + (0.04·(−0.4)/0.64)²) = sqrt(0.00390625 + 0.000625)
        assert!((e - (0.003_906_25f64 + 0.000_625).sqrt()).abs() < 1e-12);
        let r = clip_risk(-0.1, 0.3);
        assert_eq!(r.value, 0.0);
        assert!((r.ci[1] - 0.2).abs() < 1e-12);
    }

    #[test]
    fn bad_inputs_are_errors_not_crashes() {
        assert_eq!(wilson(1.0, 0.0, 0.95), Err(RateError::NoAttempts));
        assert!(matches!(
            wilson(6.0, 5.0, 0.95),
            Err(RateError::OutOfRange { .. })
        ));
        assert_eq!(wilson(1.0, 5.0, 1.0), Err(RateError::Confidence(1.0)));
    }

    #[test]
    fn capped_control_warns() {
        let o = Outcome {
            attack: "t".into(),
            n_attacks: 10,
            main: Tally {
                successes: 5.0,
                attempts: 10.0,
            },
            baseline: Tally {
                successes: 1.0,
                attempts: 10.0,
            },
            control: Some(Tally {
                successes: 12.5,
                attempts: 10.0,
            }),
            confidence: 0.95,
            seed: 1,
            params: serde_json::Value::Null,
            warnings: vec![],
            details: serde_json::Value::Null,
        };
        let r = AttackResult::assemble(o).unwrap();
        assert!(r.warnings.iter().any(|w| w.contains("capped")));
        assert_eq!(r.risk.value, 0.0);
    }

    proptest! {
        #[test]
        fn wilson_stays_in_unit_interval(n in 1u32..5000, frac in 0.0f64..=1.0, cl in 0.5f64..0.999) {
            let k = (n as f64 * frac).floor();
            let r = wilson(k, n as f64, cl).unwrap();
            prop_assert!(r.value - r.error >= -1e-12 && r.value + r.error <= 1.0 + 1e-12);
            prop_assert!(r.error >= 0.0);
        }
    }
}
