//! The policy (`[policy]` in the spec): thresholds per release context and per criterion, the
//! confidence level, the review period. Every number carries the source it was taken from.

use crate::error::{Result, VerdictError};
use crate::profile::Context;
use datavisa_table::Spec;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A number and where it comes from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Threshold {
    pub value: f64,
    pub source: String,
}

/// What an assessment compares with a threshold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Criterion {
    SinglingOut,
    Linkability,
    Inference,
    MaxRisk,
    AverageRisk,
    /// Share of synthetic rows that copy a source row (beyond what the holdout explains).
    ExactCopies,
    /// Share of synthetic rows closer to the source than to the holdout.
    CloserToSource,
}

impl Criterion {
    /// Every criterion, in report order.
    pub const ALL: [Criterion; 7] = [
        Criterion::SinglingOut,
        Criterion::Linkability,
        Criterion::Inference,
        Criterion::MaxRisk,
        Criterion::AverageRisk,
        Criterion::ExactCopies,
        Criterion::CloserToSource,
    ];

    /// The criterion's name as a message.
    pub fn msg(self) -> datavisa_i18n::Msg {
        datavisa_i18n::Msg::new(&format!("criterion.{}", self.as_str()))
    }

    /// The snake_case name used in specs and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Criterion::SinglingOut => "singling_out",
            Criterion::Linkability => "linkability",
            Criterion::Inference => "inference",
            Criterion::MaxRisk => "max_risk",
            Criterion::AverageRisk => "average_risk",
            Criterion::ExactCopies => "exact_copies",
            Criterion::CloserToSource => "closer_to_source",
        }
    }
}

/// The policy as written in the spec; absent numbers take the documented defaults.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicySection {
    #[serde(default)]
    confidence: Option<Threshold>,
    #[serde(default)]
    review_months: Option<u32>,
    #[serde(default)]
    personal_above: Option<Threshold>,
    #[serde(default)]
    contexts: BTreeMap<Context, Threshold>,
    #[serde(default)]
    thresholds: BTreeMap<Criterion, Threshold>,
    #[serde(default)]
    require_recipient_attestation: bool,
}

/// The policy every verdict is decided under.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Policy {
    /// Confidence level of every interval; the interval's upper end is what is compared.
    pub confidence: Threshold,
    pub review_months: u32,
    /// Above this share of records unique on what the recipient knows, a twin is personal
    /// information outright (more likely than not to re-identify a record).
    pub personal_above: Threshold,
    pub contexts: BTreeMap<Context, Threshold>,
    /// Per-criterion thresholds that replace the context's number.
    pub thresholds: BTreeMap<Criterion, Threshold>,
    /// Always `upper_ci`: the upper end of each confidence interval must be at or below the
    /// threshold.
    pub compare: String,
    /// A visa needs the recipient's own signed attestation for the same twin (left out of the
    /// stored policy when false, so older policies hash as before).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub require_recipient_attestation: bool,
}

const S33: &str = "LEGAL-RULES §3.3 engineering default (not a Chinese legal threshold)";

/// The default threshold of a release context (LEGAL-RULES §3.3).
pub fn context_default(c: Context) -> Threshold {
    let (value, basis) = match c {
        Context::Public => (
            0.05,
            "El Emam public precedent (cell size 20); ICO 'world at large'",
        ),
        Context::PublicClinical => (0.09, "EMA Policy 0070 / Health Canada PRCI"),
        Context::NamedRecipient => (
            0.2,
            "El Emam non-public precedent (cell size 5); PDPC k=5; ISO/IEC 27559 context controls",
        ),
        Context::Internal => (0.33, "PDPC k=3; El Emam cell size 3"),
    };
    Threshold {
        value,
        source: format!("{S33}: {basis}"),
    }
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            confidence: Threshold {
                value: 0.95,
                source: "datavisa default (two-sided 95% intervals, as Anonymeter reports)".into(),
            },
            review_months: 12,
            personal_above: Threshold {
                value: 0.5,
                source: "datavisa default: more than half of the records unique on what the recipient knows means re-identification is more likely than not".into(),
            },
            contexts: Context::ALL.iter().map(|&c| (c, context_default(c))).collect(),
            thresholds: BTreeMap::new(),
            compare: "upper_ci".into(),
            require_recipient_attestation: false,
        }
    }
}

impl Policy {
    /// The threshold of `criterion` for a recipient judged in `context`.
    pub fn threshold(&self, criterion: Criterion, context: Context) -> Threshold {
        if let Some(t) = self.thresholds.get(&criterion) {
            return t.clone();
        }
        match criterion {
            Criterion::ExactCopies => Threshold {
                value: 0.01,
                source: "datavisa default: at most 1% of synthetic rows may copy a real record beyond what the holdout explains".into(),
            },
            Criterion::CloserToSource => Threshold {
                value: 0.6,
                source: "datavisa default: 0.5 means no memorisation; above 0.6 the twin sits measurably closer to its training rows".into(),
            },
            _ => {
                let t = self.contexts.get(&context).cloned().unwrap_or_else(|| context_default(context));
                Threshold {
                    value: t.value,
                    source: format!("context {}: {}", context.as_str(), t.source),
                }
            }
        }
    }

    /// Every threshold that applies in `context`, in report order.
    pub fn thresholds_for(&self, context: Context) -> Vec<(Criterion, Threshold)> {
        Criterion::ALL
            .iter()
            .map(|&c| (c, self.threshold(c, context)))
            .collect()
    }
}

/// Reads `[policy]` from the spec (absent: every default), checking every number is in range
/// and every number written has a source.
pub fn policy(spec: &Spec) -> Result<Policy> {
    let Some(v) = spec.rest.get("policy") else {
        return Ok(Policy::default());
    };
    let line = |needle: &str| spec.line_of(needle).unwrap_or(1);
    let err = |l: usize, message: String| VerdictError::Spec {
        path: spec.path.clone(),
        line: l,
        message,
    };
    let sec: PolicySection = v
        .clone()
        .try_into()
        .map_err(|e: toml::de::Error| err(line("[policy"), format!("[policy]: {}", e.message())))?;
    let check = |name: &str, t: &Threshold, open: bool| -> Result<()> {
        let ok = if open {
            t.value > 0.0 && t.value < 1.0
        } else {
            (0.0..=1.0).contains(&t.value)
        };
        if !ok || !t.value.is_finite() {
            let range = if open { "(0, 1)" } else { "[0, 1]" };
            return Err(err(
                line(name),
                format!("policy {name} = {} is outside {range}", t.value),
            ));
        }
        if t.source.trim().is_empty() {
            return Err(err(
                line(name),
                format!("policy {name} has no source; say where the number comes from"),
            ));
        }
        Ok(())
    };
    let mut p = Policy::default();
    if let Some(c) = sec.confidence {
        check("confidence", &c, true)?;
        p.confidence = c;
    }
    if let Some(m) = sec.review_months {
        if m == 0 || m > 120 {
            return Err(err(
                line("review_months"),
                format!("policy review_months = {m} must be between 1 and 120"),
            ));
        }
        p.review_months = m;
    }
    if let Some(t) = sec.personal_above {
        check("personal_above", &t, false)?;
        p.personal_above = t;
    }
    for (c, t) in sec.contexts {
        check(c.as_str(), &t, false)?;
        p.contexts.insert(c, t);
    }
    for (c, t) in sec.thresholds {
        check(c.as_str(), &t, false)?;
        p.thresholds.insert(c, t);
    }
    p.require_recipient_attestation = sec.require_recipient_attestation;
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Policy> {
        policy(&Spec::parse(std::path::Path::new("p.toml"), text.into()).unwrap())
    }

    #[test]
    fn defaults_follow_section_3_3() {
        let p = parse("").unwrap();
        let t = |c| p.threshold(Criterion::MaxRisk, c).value;
        assert_eq!(
            [
                t(Context::Public),
                t(Context::PublicClinical),
                t(Context::NamedRecipient),
                t(Context::Internal)
            ],
            [0.05, 0.09, 0.2, 0.33]
        );
        assert!(p
            .threshold(Criterion::SinglingOut, Context::Public)
            .source
            .contains("§3.3"));
    }

    #[test]
    fn overrides_need_sources_and_ranges() {
        let p = parse(
            "[policy]\nreview_months = 6\n[policy.thresholds]\nsingling_out = { value = 0.1, source = \"DPO memo 7\" }\n",
        )
        .unwrap();
        assert_eq!(p.review_months, 6);
        let s = p.threshold(Criterion::SinglingOut, Context::Internal);
        assert_eq!((s.value, s.source.as_str()), (0.1, "DPO memo 7"));
        assert_eq!(
            p.threshold(Criterion::Linkability, Context::Internal).value,
            0.33
        );
        let e =
            parse("[policy]\n[policy.thresholds]\nlinkability = { value = 1.5, source = \"x\" }\n")
                .unwrap_err()
                .to_string();
        assert!(
            e.starts_with("p.toml:3:") && e.contains("outside [0, 1]"),
            "{e}"
        );
        let e = parse("[policy.contexts]\npublic = { value = 0.05, source = \"\" }\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("no source"), "{e}");
        let e = parse("[policy]\nconfidence = { value = 1.0, source = \"x\" }\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("outside (0, 1)"), "{e}");
        assert!(parse("[policy]\nthreshold = 3\n").is_err());
    }
}
