//! Sequential checks: how many attacks a figure needs before it can be compared with its
//! threshold. An attack runs at planned looks (n, 2n, 4n, … up to a maximum); at each look the
//! figure's interval is compared with the threshold, and the check stops as soon as the interval
//! lies wholly on one side. The error α = 1 − confidence is spent over the planned looks in
//! proportion to their attacks (a weighted Bonferroni split: look j's interval is two-sided at
//! `1 − α·n_j/Σn`), so the chance of a wrong `pass` (a true risk at or above the threshold judged
//! below it) is at most `α/2` over all looks together, whatever the dependence between looks.
//! Early looks, spending little, settle only clear cases; the last look spends the most. A check whose interval still straddles the threshold at the maximum
//! is `inconclusive`, and an inconclusive check never supports `anonymized`.

use datavisa_i18n::{Msg, Note};
use serde::{Deserialize, Serialize};

/// The name of the procedure, as the report and the README state it.
pub const PROCEDURE: &str =
    "group-sequential looks with alpha spent in proportion to each look's attacks (weighted Bonferroni)";

/// What a check concluded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The interval lies at or below the threshold.
    Pass,
    /// Not enough evidence either way: the interval straddles the threshold, or the attack could
    /// not run its queries.
    Inconclusive,
    /// The interval lies above the threshold.
    Fail,
}

impl Outcome {
    /// The outcome's name as a message.
    pub fn msg(self) -> Msg {
        Msg::new(&format!("outcome.{}", self.as_str()))
    }

    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Inconclusive => "inconclusive",
            Outcome::Fail => "fail",
        }
    }
}

/// The planned looks of one sequential check and the confidence of each look's interval.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// Attack counts at each look, increasing; the last is the maximum.
    pub looks: Vec<usize>,
    /// The overall two-sided confidence level of the policy.
    pub confidence: f64,
    /// The confidence of each look's interval: `1 − (1 − confidence)·n_j / Σn`.
    pub look_confidence: Vec<f64>,
}

impl Plan {
    /// Looks at `first`, doubling, up to and including `max` (at least one look).
    pub fn new(first: usize, max: usize, confidence: f64) -> Plan {
        let first = first.max(1);
        let max = max.max(first);
        let mut looks = vec![first];
        while let Some(&last) = looks.last() {
            if last >= max {
                break;
            }
            looks.push((last.saturating_mul(2)).min(max));
        }
        let total: f64 = looks.iter().map(|&n| n as f64).sum();
        Plan {
            look_confidence: looks
                .iter()
                .map(|&n| 1.0 - (1.0 - confidence) * n as f64 / total)
                .collect(),
            looks,
            confidence,
        }
    }

    /// The largest chance of a wrong pass this plan allows (one side of the overall interval).
    pub fn alpha_pass(&self) -> f64 {
        (1.0 - self.confidence) / 2.0
    }

    /// One sentence for reports: the procedure, the looks and the per-look confidence.
    pub fn describe(&self) -> String {
        let looks: Vec<String> = self
            .looks
            .iter()
            .zip(&self.look_confidence)
            .map(|(n, c)| format!("{n} ({:.2}%)", 100.0 * c))
            .collect();
        format!(
            "{PROCEDURE}: up to {} looks at {} attacks (each look's interval confidence in \
             brackets), so that the whole sequence keeps {:.0}% confidence (a wrong pass at most \
             {:.1}%)",
            self.looks.len(),
            looks.join(", "),
            100.0 * self.confidence,
            100.0 * self.alpha_pass()
        )
    }
}

/// One look at a figure: the attacks made, the attempts they gave, and the interval.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Look {
    /// Attacks requested at this look.
    pub n_attacks: usize,
    /// Attempts the figure rests on (fewer when the table or the query search ran out).
    pub attempts: f64,
    pub value: f64,
    pub lower: f64,
    pub upper: f64,
}

/// Compares an interval with a threshold: pass at or below, fail wholly above, else undecided.
pub fn judge(lower: f64, upper: f64, threshold: f64) -> Option<Outcome> {
    if upper <= threshold {
        Some(Outcome::Pass)
    } else if lower > threshold {
        Some(Outcome::Fail)
    } else {
        None
    }
}

/// The course of one figure over the looks.
#[derive(Clone, Debug, Default)]
pub struct Track {
    /// Every look taken, in order.
    pub looks: Vec<Look>,
    /// Set once the figure is decided (or cannot improve).
    pub outcome: Option<Outcome>,
    /// Why it ended without a decision by its interval.
    pub why: Option<Note>,
}

impl Track {
    /// Adds a look; decides when the interval is clear of the threshold, and ends undecided when
    /// the look rests on no more attempts than the previous one (more looks cannot help).
    pub fn observe(&mut self, look: Look, threshold: f64) {
        let stalled = self
            .looks
            .last()
            .is_some_and(|prev| look.attempts <= prev.attempts);
        self.looks.push(look);
        if let Some(o) = judge(look.lower, look.upper, threshold) {
            self.outcome = Some(o);
        } else if stalled {
            self.end_inconclusive(
                Msg::new("why.stalled")
                    .arg("attempts", look.attempts.to_string())
                    .arg("n", look.n_attacks.to_string())
                    .into(),
            );
        }
    }

    /// Ends without a decision, for a reason.
    pub fn end_inconclusive(&mut self, why: Note) {
        self.outcome = Some(Outcome::Inconclusive);
        self.why = Some(why);
    }

    /// Whether it needs no further look.
    pub fn done(&self) -> bool {
        self.outcome.is_some()
    }

    /// The outcome after the last look: undecided at the maximum is inconclusive.
    pub fn finish(&mut self, threshold: f64) -> Outcome {
        if self.outcome.is_none() {
            let last = self.looks.last().copied();
            let why = match last {
                Some(l) => Msg::new("why.still_contains")
                    .arg("n", l.n_attacks.to_string())
                    .arg("lower", format!("{:.4}", l.lower))
                    .arg("upper", format!("{:.4}", l.upper))
                    .arg("threshold", threshold.to_string())
                    .arg("half", format!("{:.4}", (l.upper - l.lower) / 2.0)),
                None => Msg::new("why.never_run"),
            };
            self.end_inconclusive(why.into());
        }
        self.outcome.unwrap_or(Outcome::Inconclusive)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datavisa_risk::rates::wilson;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn looks_double_up_to_the_maximum() {
        let p = Plan::new(500, 4000, 0.95);
        assert_eq!(p.looks, [500, 1000, 2000, 4000]);
        // α = 0.05 spent as 500/7500, 1000/7500, 2000/7500, 4000/7500 of it.
        let spent: Vec<f64> = p.look_confidence.iter().map(|c| 1.0 - c).collect();
        assert!((spent[0] - 0.05 / 15.0).abs() < 1e-12);
        assert!((spent[3] - 0.05 * 8.0 / 15.0).abs() < 1e-12);
        assert!((spent.iter().sum::<f64>() - 0.05).abs() < 1e-12);
        assert_eq!(Plan::new(500, 3000, 0.95).looks, [500, 1000, 2000, 3000]);
        let one = Plan::new(500, 100, 0.95);
        assert_eq!(one.looks, [500]);
        assert!((one.look_confidence[0] - 0.95).abs() < 1e-12);
    }

    #[test]
    fn judge_hand_cases() {
        assert_eq!(judge(0.01, 0.05, 0.05), Some(Outcome::Pass));
        assert_eq!(judge(0.051, 0.09, 0.05), Some(Outcome::Fail));
        assert_eq!(judge(0.03, 0.07, 0.05), None);
    }

    #[test]
    fn a_stalled_track_ends_inconclusive_and_the_maximum_too() {
        let l = |n, attempts, lower, upper| Look {
            n_attacks: n,
            attempts,
            value: (lower + upper) / 2.0,
            lower,
            upper,
        };
        let mut t = Track::default();
        t.observe(l(500, 25.0, 0.0, 0.13), 0.05);
        assert!(!t.done());
        t.observe(l(1000, 25.0, 0.0, 0.13), 0.05);
        assert_eq!(t.outcome, Some(Outcome::Inconclusive));
        assert!(t.why.as_ref().unwrap().en().contains("add no attempts"));
        let mut t = Track::default();
        t.observe(l(500, 500.0, 0.03, 0.07), 0.05);
        assert_eq!(t.finish(0.05), Outcome::Inconclusive);
        assert!(t.why.as_ref().unwrap().en().contains("still contains"));
    }

    /// Runs one sequential check on Bernoulli(`p`) attacks, nested across looks as the real
    /// attacks' samples are, with look j's interval at `conf[j]`; returns its outcome.
    fn simulate(p: f64, plan: &Plan, conf: &[f64], rng: &mut ChaCha8Rng) -> Outcome {
        let (mut k, mut n) = (0u64, 0usize);
        let mut track = Track::default();
        for (&target, &conf) in plan.looks.iter().zip(conf) {
            while n < target {
                k += u64::from(rng.random_bool(p));
                n += 1;
            }
            let r = wilson(k as f64, n as f64, conf).unwrap();
            track.observe(
                Look {
                    n_attacks: n,
                    attempts: n as f64,
                    value: r.value,
                    lower: (r.value - r.error).max(0.0),
                    upper: (r.value + r.error).min(1.0),
                },
                0.05,
            );
            if track.done() {
                break;
            }
        }
        track.finish(0.05)
    }

    /// A true rate at the threshold must pass at most α/2 of the time. Naive repeated looks (the
    /// overall confidence at every look) pass more often than that: the test would fail on them.
    #[test]
    fn wrong_passes_stay_within_alpha_and_naive_looks_exceed_it() {
        let plan = Plan::new(500, 16000, 0.95);
        let reps = 4000;
        let mut rng = ChaCha8Rng::seed_from_u64(17);
        let rate = |conf: &[f64], rng: &mut ChaCha8Rng| {
            (0..reps)
                .filter(|_| simulate(0.05, &plan, conf, rng) == Outcome::Pass)
                .count() as f64
                / reps as f64
        };
        let spent = rate(&plan.look_confidence, &mut rng);
        let naive = rate(&vec![plan.confidence; plan.looks.len()], &mut rng);
        eprintln!("wrong-pass rate at the threshold: spent {spent}, naive {naive}");
        assert!(
            spent <= plan.alpha_pass(),
            "sequential wrong-pass rate {spent}"
        );
        assert!(naive > plan.alpha_pass(), "naive wrong-pass rate {naive}");
        // Far from the threshold the procedure decides, and decides right.
        let mut rng = ChaCha8Rng::seed_from_u64(18);
        for _ in 0..200 {
            assert_eq!(
                simulate(0.01, &plan, &plan.look_confidence, &mut rng),
                Outcome::Pass
            );
            assert_eq!(
                simulate(0.12, &plan, &plan.look_confidence, &mut rng),
                Outcome::Fail
            );
        }
    }
}
