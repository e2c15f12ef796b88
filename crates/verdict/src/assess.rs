//! The assessment of one twin from one recipient's position: the attacks it could run with what
//! it knows and holds, classic risk on its known quasi-identifiers, distance checks for synthetic
//! twins, the combination with earlier releases to it, and utility.

use crate::attacks::{Attack, AttackContext, AttackRun, Basis};
use crate::derive::{with_derived, Derived};
use crate::error::{invalid, Result, VerdictError};
use crate::policy::{Criterion, Policy, Threshold};
use crate::profile::{EffectiveContext, Recipient};
use crate::release::{FileFacts, ManifestFacts, Release, TwinKind};
use crate::sequential::{Look, Outcome, Plan, Track};
use datavisa_i18n::{Msg, Note};
use datavisa_risk::classic::{classic_risk_watched, ClassicParams};
use datavisa_risk::distance::distances_watched;
use datavisa_risk::prepare::project;
use datavisa_risk::utility::utility;
use datavisa_risk::{prepare, stop_when, AttackResult, Prepared, Watch};
use datavisa_table::Table;
use datavisa_twin::fidelity::{fidelity, Fidelity};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashSet;

/// Random and size parameters of an assessment (recorded with it).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct AssessParams {
    /// Attacks at the first look of each sequential check.
    pub n_attacks: usize,
    pub seed: u64,
    pub utility_queries: usize,
    pub dcr_samples: usize,
    /// Attacks at the last look: the sequential maximum (assessments stored before it read
    /// back with today's default, so that re-assessing them is sequential too).
    #[serde(default = "default_max_attacks")]
    pub max_attacks: usize,
    /// Candidate queries the singling-out search may try before it stops.
    #[serde(default = "default_max_attempts")]
    pub max_attempts: u64,
}

/// The singling-out search budget when none is given.
pub const DEFAULT_MAX_ATTEMPTS: u64 = 2_000_000;

fn default_max_attempts() -> u64 {
    DEFAULT_MAX_ATTEMPTS
}

/// The sequential maximum when none is given.
pub const DEFAULT_MAX_ATTACKS: usize = 16_000;

fn default_max_attacks() -> usize {
    DEFAULT_MAX_ATTACKS
}

impl Default for AssessParams {
    fn default() -> Self {
        AssessParams {
            n_attacks: 500,
            seed: 0,
            utility_queries: 200,
            dcr_samples: 2000,
            max_attacks: DEFAULT_MAX_ATTACKS,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
        }
    }
}

impl AssessParams {
    /// The planned looks of every sequential check under `policy`.
    pub fn plan(&self, policy: &Policy) -> Plan {
        Plan::new(self.n_attacks, self.max_attacks, policy.confidence.value)
    }
}

/// Whether the keys that reverse a pseudonymized twin still exist.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyState {
    /// Not a pseudonymized twin: there are no keys.
    NoKeys,
    /// The vault holds them.
    Exist,
    /// The vault destroyed them (crypto-shredded).
    Destroyed,
    /// The vault could not be opened; assumed to exist.
    Unknown,
}

/// The three verdicts, worst last.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Anonymized as to this recipient (PIPL Art. 4 excludes it, for this recipient only).
    Anonymized,
    /// De-identified: still personal information, re-identification is not difficult enough.
    DeIdentified,
    /// Personal information: identifiable by this recipient.
    Personal,
}

impl Verdict {
    /// The verdict's name as a message.
    pub fn msg(self) -> Msg {
        Msg::new(&format!("verdict.{}", self.as_str()))
    }

    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Anonymized => "anonymized",
            Verdict::DeIdentified => "de_identified",
            Verdict::Personal => "personal",
        }
    }
}

/// One figure compared with its threshold.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Check {
    pub criterion: Criterion,
    /// `release` for the twin alone, `combined` for it with earlier releases.
    pub scope: String,
    pub figure: String,
    pub value: f64,
    /// The lower end of the interval (the value itself for exact counts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lower: Option<f64>,
    /// What is compared: the upper end of the interval (the value itself for exact counts).
    pub upper: f64,
    pub threshold: f64,
    pub source: String,
    /// True only for `pass` (kept for readers of the older shape).
    pub passed: bool,
    /// Pass, fail or inconclusive (absent in assessments stored before checks could be
    /// inconclusive: read from `passed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
    /// The sequential looks of an attack figure, first to last (none for exact figures).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub looks: Vec<Look>,
    /// Why the check is inconclusive, or why an attack figure is exact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub why: Option<Note>,
}

impl Check {
    /// Pass, fail or inconclusive.
    pub fn outcome(&self) -> Outcome {
        self.outcome.unwrap_or(if self.passed {
            Outcome::Pass
        } else {
            Outcome::Fail
        })
    }

    /// Attacks at the last look (0 for exact figures).
    pub fn n_attacks(&self) -> usize {
        self.looks.last().map_or(0, |l| l.n_attacks)
    }
}

/// One more column the recipient could learn, and what it would do to the verdict.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Margin {
    /// The quasi-identifier it would learn.
    pub column: String,
    /// The verdict it would then get.
    pub verdict: Verdict,
    /// The figure that would then fail, with its value and threshold.
    pub figure: Option<String>,
    pub value: Option<f64>,
    pub threshold: Option<f64>,
    /// The reason, as the verdict would give it.
    pub text: String,
    /// The reason's message (absent in older assessments).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub msg: Option<Msg>,
}

impl Margin {
    /// The figure that would fail, with its value and threshold, as a message (the reason's
    /// text when no figure is named).
    pub fn figure_msg(&self) -> Msg {
        match (&self.figure, &self.msg) {
            (Some(f), _) => {
                // Stored as "FIGURE VALUE > THRESHOLD" (see `margins`).
                let (label, over) = match (self.value, self.threshold) {
                    (Some(v), Some(t)) => {
                        let tail = format!(" {v:.4} > {t}");
                        (f.strip_suffix(&tail).unwrap_or(f), Some((v, t)))
                    }
                    _ => (f.as_str(), None),
                };
                let figure = crate::figures::figure_msg(label);
                match over {
                    Some((v, t)) => Msg::new("margin.figure_over")
                        .arg("figure", figure)
                        .arg("value", format!("{v:.4}"))
                        .arg("threshold", t.to_string()),
                    None => figure,
                }
            }
            (None, Some(m)) => m.clone(),
            (None, None) => Msg::as_written(&self.text),
        }
    }
}

impl Assessment {
    /// One sentence on the margin: "anonymized as long as the recipient does not learn 出生日期".
    pub fn margin_sentence(&self) -> Option<String> {
        self.margin_msg().map(|m| m.en())
    }

    /// The margin as a message, for either language.
    pub fn margin_msg(&self) -> Option<Msg> {
        let m = self.margins.as_ref()?;
        if m.is_empty() {
            return Some(Msg::new("margin.none").arg("verdict", self.verdict.msg()));
        }
        let cols: Vec<&str> = m.iter().map(|x| x.column.as_str()).collect();
        let first = &m[0];
        Some(
            Msg::new("margin.flips")
                .arg("verdict", self.verdict.msg())
                .arg("columns", cols)
                .arg("column", &first.column)
                .arg("flipped", first.verdict.msg())
                .arg("figure", first.figure_msg()),
        )
    }
}

/// Why the verdict is what it is.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Reason {
    /// The best verdict this reason allows.
    pub caps: Verdict,
    pub text: String,
    /// The reason's message (absent in older assessments).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub msg: Option<Msg>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub figure: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
}

/// A direct identifier carried into the twin, and how much of it is in clear.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IdentifierCheck {
    pub column: String,
    /// Share of the twin's non-missing values that are values of the source column.
    pub share_in_clear: f64,
}

/// An earlier release to the same recipient that this one is combined with.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Prior {
    pub visa: String,
    pub twin: FileFacts,
}

/// The combination of this twin with the earlier releases.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Cumulative {
    pub with: Vec<Prior>,
    /// How the recipient can line rows up across releases (a shared key column, or row order).
    pub linked_by: Option<Note>,
    pub known_columns: Vec<String>,
    pub checks: Vec<Check>,
    pub notes: Vec<Note>,
}

/// A residual risk and its confidence interval.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct RiskFigure {
    pub value: f64,
    pub ci: [f64; 2],
}

/// One attack's result as stored with the assessment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AttackRecord {
    /// What was attacked with what ("singling out (3 known columns)").
    pub label: String,
    /// `release` or `combined`.
    pub scope: String,
    /// The criterion its figure is judged by (absent in assessments stored before it was kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub criterion: Option<Criterion>,
    /// The residual risk.
    pub risk: RiskFigure,
    /// Rates, counts, parameters and warnings of the attack.
    #[serde(flatten)]
    pub details: serde_json::Map<String, Value>,
}

/// A success rate and its half-width, as stored.
#[derive(Clone, Copy, Debug, Deserialize)]
pub struct StoredRate {
    pub value: f64,
    pub error: f64,
}

/// Attempts behind each rate, as stored.
#[derive(Clone, Copy, Debug, Deserialize)]
pub struct StoredAttempts {
    pub main: f64,
    pub baseline: f64,
    pub control: Option<f64>,
}

/// What an attack figure rests on: rates, counts, queries, looks and warnings.
#[derive(Clone, Debug, Deserialize)]
pub struct AttackEvidence {
    pub n_attacks: usize,
    pub attack_rate: StoredRate,
    pub baseline_rate: StoredRate,
    pub control_rate: Option<StoredRate>,
    pub n_success: f64,
    pub n_baseline: f64,
    pub n_control: Option<f64>,
    pub attempts: StoredAttempts,
    #[serde(default)]
    pub warnings: Vec<String>,
    #[serde(default)]
    pub looks: Vec<Look>,
    /// Singling-out queries found (absent for other attacks).
    #[serde(skip)]
    pub queries_found: Option<u64>,
}

impl AttackRecord {
    /// The evidence behind the figure, typed (None for records of another shape).
    pub fn evidence(&self) -> Option<AttackEvidence> {
        let map = Value::Object(self.details.clone());
        let mut e: AttackEvidence = serde_json::from_value(map).ok()?;
        e.queries_found = self
            .details
            .get("details")
            .and_then(|d| d.get("n_queries"))
            .and_then(Value::as_u64);
        Some(e)
    }

    /// The criterion; for records stored before attacks kept theirs, read off the label the
    /// built-in attacks wrote.
    pub fn criterion(&self) -> Criterion {
        self.criterion
            .unwrap_or(if self.label.starts_with("singling out") {
                Criterion::SinglingOut
            } else if self.label.starts_with("linkability") {
                Criterion::Linkability
            } else {
                Criterion::Inference
            })
    }
}

/// The equivalence-class figures a report shows, read from the stored classic risk.
#[derive(Clone, Debug, Deserialize)]
pub struct ClassFigures {
    pub n_classes: u64,
    pub k: u64,
    pub prosecutor: ProsecutorFigures,
    pub sample_uniqueness: f64,
    pub class_size_histogram: Vec<(u64, u64)>,
}

/// Highest and average prosecutor risk.
#[derive(Clone, Debug, Deserialize)]
pub struct ProsecutorFigures {
    pub highest: f64,
    pub average: f64,
}

/// The distance figures a report shows, read from the stored distance checks.
#[derive(Clone, Debug, Deserialize)]
pub struct DistanceFigures {
    pub dcr_source: MedianFigure,
    pub exact_copies: f64,
    pub exact_copies_of_holdout: Option<f64>,
    pub closer_to_source: Option<f64>,
}

/// A distribution's median.
#[derive(Clone, Debug, Deserialize)]
pub struct MedianFigure {
    pub median: f64,
}

/// The utility figures a report shows, read from the stored utility.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct UtilityFigures {
    pub score: f64,
    pub column_score: f64,
    pub pair_score: f64,
    pub workload_score: f64,
    pub columns: Vec<ColumnUtility>,
}

/// One column's utility score.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ColumnUtility {
    pub column: String,
    pub score: f64,
}

/// A generalized twin's utility: what survived of each column against the source's original
/// values, and the comparison with the source generalized the same way as a secondary figure.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct GeneralizedUtility {
    /// Primary: per column, against the source's original values.
    pub against_original: Fidelity,
    /// Secondary only: the twin against the source generalized the same way. It shows what
    /// suppression removed and is 1 on every column when nothing was suppressed, whatever the
    /// generalization cost.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub same_generalization: Option<UtilityFigures>,
}

impl Assessment {
    /// Every check, the release's then the combination's.
    pub fn all_checks(&self) -> impl Iterator<Item = &Check> {
        self.checks
            .iter()
            .chain(self.cumulative.iter().flat_map(|c| c.checks.iter()))
    }

    /// The class figures of the classic risk, when it was measured.
    pub fn class_figures(&self) -> Option<ClassFigures> {
        serde_json::from_value(self.classic.clone()).ok()
    }

    /// The distance figures, when they were measured (synthetic twins).
    pub fn distance_figures(&self) -> Option<DistanceFigures> {
        serde_json::from_value(self.distance.clone()).ok()
    }

    /// The utility figures, when they were measured.
    pub fn utility_figures(&self) -> Option<UtilityFigures> {
        serde_json::from_value(self.utility.clone()).ok()
    }
}

/// Everything one assessment found.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Assessment {
    pub recipient: Recipient,
    pub context: EffectiveContext,
    pub policy: Policy,
    pub thresholds: Vec<(Criterion, Threshold)>,
    pub source: FileFacts,
    pub twin: FileFacts,
    pub twin_kind: TwinKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifest: Option<ManifestFacts>,
    pub holds: Vec<FileFacts>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub control: Option<FileFacts>,
    /// Columns of the source the recipient knows (its own knowledge and its datasets).
    pub known_columns: Vec<String>,
    /// Those the twin carries: what it can match on.
    pub known_in_twin: Vec<String>,
    pub sensitive: Vec<String>,
    pub identifiers: Vec<IdentifierCheck>,
    pub keys: KeyState,
    pub checks: Vec<Check>,
    pub attacks: Vec<AttackRecord>,
    pub classic: Value,
    pub distance: Value,
    /// Utility against the source in the twin's terms (for a generalized twin: the source
    /// generalized the same way, the secondary figure of `generalized_utility`).
    pub utility: Value,
    /// A generalized twin's utility against the source's original values (absent for other
    /// kinds and in older assessments).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generalized_utility: Option<GeneralizedUtility>,
    /// Share of twin records unique on what the recipient knows.
    pub uniqueness: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cumulative: Option<Cumulative>,
    pub verdict: Verdict,
    pub reasons: Vec<Reason>,
    pub params: AssessParams,
    /// The sequential looks every attack check followed (absent in older assessments).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<Plan>,
    /// Each single additional known quasi-identifier that would make the verdict worse, and
    /// what would then fail (empty when none would; absent in older assessments).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub margins: Option<Vec<Margin>>,
    pub notes: Vec<Note>,
    /// How the twin was read when it is not read as datavisa writes twins (a re-assessment reads
    /// it the same way; absent when sniffed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub twin_reading: Option<TwinReading>,
}

/// The reading flags a twin was assessed with.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TwinReading {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delimiter: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoding: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub no_header: bool,
}

/// What an assessment is given.
#[derive(Clone)]
pub struct AssessInput<'a> {
    pub recipient: &'a Recipient,
    pub policy: &'a Policy,
    pub source: &'a FileFacts,
    pub release: &'a Release,
    /// The source as read, with its original values.
    pub original: &'a Table,
    /// Earlier releases to the same recipient, with the visa that covers each.
    pub prior: &'a [(String, Release)],
    pub holds: Vec<FileFacts>,
    pub control: Option<FileFacts>,
    pub known: Vec<String>,
    /// Those of `known` the recipient knows itself (`knows`), not through a holding.
    pub own_known: Vec<String>,
    /// Known columns derived from a column of the table (`住址:city`).
    pub derived: Vec<Derived>,
    /// The spec's quasi-identifiers: the candidates for the margin.
    pub quasi: Vec<String>,
    pub sensitive: Vec<String>,
    pub identifiers: Vec<String>,
    pub keys: KeyState,
    pub params: AssessParams,
    /// Whether the caller wants the assessment to stop (a cancelled job): asked between looks,
    /// phases and batches of attacks, never per row. `&|| false` runs it to the end.
    pub stop: &'a (dyn Fn() -> bool + Sync),
}

impl AssessInput<'_> {
    /// Whether the caller asked the assessment to stop.
    pub fn stopped(&self) -> bool {
        (self.stop)()
    }

    /// A cancelled error when the caller asked the assessment to stop.
    fn check_stop(&self) -> Result<()> {
        if self.stopped() {
            return Err(VerdictError::Cancelled);
        }
        Ok(())
    }
}

/// Runs every measurement and decides the verdict.
pub fn assess(a: &AssessInput) -> Result<Assessment> {
    assess_with(a, &crate::attacks::builtin())
}

/// Assesses with the given attacks (the built-in ones, or those plus one's own).
pub fn assess_with(a: &AssessInput, attacks: &[&dyn Attack]) -> Result<Assessment> {
    let context = a.recipient.effective_context();
    let thresholds = a.policy.thresholds_for(context.context);
    let table = thresholds.clone();
    let limit = move |c: Criterion| {
        table
            .iter()
            .find(|(k, _)| *k == c)
            .map(|(_, t)| t.clone())
            .expect("every criterion has a threshold")
    };
    let r = a.release;
    let mut notes = Vec::new();
    let derived = DerivedViews::of(r, &a.derived)?;
    let in_twin = |names: &[String]| -> Vec<String> {
        names
            .iter()
            .filter(|n| derived.twin.index_of(n).is_ok())
            .cloned()
            .collect()
    };
    let keyed = |c: &String| {
        r.protected.iter().any(|p| p == c)
            || a.derived
                .iter()
                .any(|d| d.name() == *c && r.protected.contains(&d.column))
    };
    let (tokens, known_in_twin): (Vec<String>, Vec<String>) =
        in_twin(&a.known).into_iter().partition(keyed);
    if !tokens.is_empty() {
        notes.push(
            Msg::new("note.tokens_not_known")
                .arg("columns", tokens.clone())
                .into(),
        );
    }
    for d in &a.derived {
        if derived.twin.index_of(&d.name()).is_err() {
            notes.push(
                Msg::new("note.derived_missing")
                    .arg("derived", d.name())
                    .arg("column", &d.column)
                    .into(),
            );
        }
    }
    let sensitive = in_twin(&a.sensitive);
    if known_in_twin.is_empty() {
        notes.push(Msg::new("note.nothing_known").into());
    }
    let m = measure(
        attacks,
        &Views {
            source: &derived.source,
            twin: &derived.twin,
            control: derived.control.as_ref(),
        },
        &known_in_twin,
        &sensitive,
        r.kind,
        a,
        &limit,
        "release",
    )?;
    notes.extend(m.notes);
    if r.control_view.is_none() {
        notes.push(Msg::new("note.no_control").into());
    }
    a.check_stop()?;
    let util = measure_utility(r, a.params)?;
    a.check_stop()?;
    let generalized_utility = generalized_utility(a, &util)?;
    if generalized_utility.is_some() {
        notes.push(Msg::new("note.generalized_utility").into());
    }
    let identifiers = identifiers_in_clear(r, &a.identifiers)?;
    a.check_stop()?;
    let cumulative = if a.prior.is_empty() {
        None
    } else {
        Some(combine(a, &limit, attacks)?)
    };
    let mut assessment = Assessment {
        recipient: a.recipient.clone(),
        context,
        policy: a.policy.clone(),
        thresholds,
        source: a.source.clone(),
        twin: r.facts.clone(),
        twin_kind: r.kind,
        manifest: r.manifest.clone(),
        holds: a.holds.clone(),
        control: a.control.clone(),
        known_columns: a.known.clone(),
        known_in_twin,
        sensitive,
        identifiers,
        keys: a.keys,
        checks: m.checks,
        attacks: m.attacks,
        classic: m.classic,
        distance: m.distance,
        utility: util,
        generalized_utility,
        uniqueness: m.uniqueness,
        cumulative,
        verdict: Verdict::Anonymized,
        reasons: Vec::new(),
        params: a.params,
        plan: Some(a.params.plan(a.policy)),
        margins: None,
        notes,
        twin_reading: None,
    };
    let (verdict, reasons) = decide(&assessment);
    assessment.verdict = verdict;
    assessment.reasons = reasons;
    let views = Views {
        source: &derived.source,
        twin: &derived.twin,
        control: derived.control.as_ref(),
    };
    assessment.margins = Some(margins(a, attacks, &assessment, &views, &limit)?);
    Ok(assessment)
}

/// For each quasi-identifier of the twin the recipient does not know yet: would knowing it too
/// make the verdict worse? The exact class figures are tried first; the attacks run only when
/// those still allow `anonymized`.
fn margins(
    a: &AssessInput,
    attacks: &[&dyn Attack],
    base: &Assessment,
    views: &Views,
    limit: &dyn Fn(Criterion) -> Threshold,
) -> Result<Vec<Margin>> {
    let candidates: Vec<&String> = a
        .quasi
        .iter()
        .filter(|q| views.twin.index_of(q).is_ok())
        .filter(|q| !base.known_in_twin.contains(q) && !base.sensitive.contains(q))
        .filter(|q| !a.release.protected.contains(q))
        .collect();
    let mut out = Vec::new();
    for col in candidates {
        a.check_stop()?;
        let mut trial_input = a.clone();
        trial_input.known.push(col.clone());
        trial_input.own_known.push(col.clone());
        let mut known = base.known_in_twin.clone();
        known.push(col.clone());
        let kind = a.release.kind;
        let classic = measure(
            &[],
            views,
            &known,
            &base.sensitive,
            kind,
            &trial_input,
            limit,
            "release",
        )?;
        let mut trial = base.clone();
        trial.known_in_twin = known.clone();
        trial.uniqueness = classic.uniqueness;
        trial.checks =
            base.checks
                .iter()
                .filter(|c| !matches!(c.criterion, Criterion::MaxRisk | Criterion::AverageRisk))
                .cloned()
                .chain(
                    classic.checks.into_iter().filter(|c| {
                        matches!(c.criterion, Criterion::MaxRisk | Criterion::AverageRisk)
                    }),
                )
                .collect();
        let (mut verdict, mut reasons) = decide(&trial);
        if verdict == Verdict::Anonymized && base.verdict == Verdict::Anonymized {
            let m = measure(
                attacks,
                views,
                &known,
                &base.sensitive,
                kind,
                &trial_input,
                limit,
                "release",
            )?;
            trial.checks = m.checks;
            (verdict, reasons) = decide(&trial);
        }
        if verdict > base.verdict {
            let r = reasons
                .into_iter()
                .find(|r| r.caps > base.verdict)
                .unwrap_or(Reason {
                    caps: verdict,
                    text: String::new(),
                    msg: None,
                    figure: None,
                    value: None,
                    threshold: None,
                });
            out.push(Margin {
                column: col.clone(),
                verdict,
                figure: r.figure.map(|f| match (r.value, r.threshold) {
                    (Some(v), Some(t)) => format!("{f} {v:.4} > {t}"),
                    _ => f,
                }),
                value: r.value,
                threshold: r.threshold,
                text: r.text,
                msg: r.msg,
            });
        }
    }
    Ok(out)
}

/// Source, twin and control with the derived columns the recipient knows added.
struct DerivedViews {
    source: Table,
    twin: Table,
    control: Option<Table>,
}

impl DerivedViews {
    fn of(r: &Release, derived: &[Derived]) -> Result<DerivedViews> {
        Ok(DerivedViews {
            source: with_derived(&r.source_view, derived)?,
            twin: with_derived(&r.twin, derived)?,
            control: r
                .control_view
                .as_ref()
                .map(|c| with_derived(c, derived))
                .transpose()?,
        })
    }
}

/// Source, twin and control in the same terms.
pub(crate) struct Views<'t> {
    pub(crate) source: &'t Table,
    pub(crate) twin: &'t Table,
    pub(crate) control: Option<&'t Table>,
}

impl Views<'_> {
    /// The three projected on `cols` and given shared dictionaries.
    pub(crate) fn prepared(&self, cols: &[String]) -> Result<Prepared> {
        let s = project(self.source, cols)?;
        let t = project(self.twin, cols)?;
        let c = self.control.map(|c| project(c, cols)).transpose()?;
        Ok(prepare(&s, &t, c.as_ref())?)
    }
}

/// The checks and evidence of one table pair.
struct Measured {
    checks: Vec<Check>,
    attacks: Vec<AttackRecord>,
    classic: Value,
    distance: Value,
    uniqueness: Option<f64>,
    notes: Vec<Note>,
}

/// An exact figure (a count, a share of the whole table) compared with its threshold.
fn check_of(criterion: Criterion, scope: &str, figure: String, value: f64, t: &Threshold) -> Check {
    let outcome = if value <= t.value {
        Outcome::Pass
    } else {
        Outcome::Fail
    };
    Check {
        criterion,
        scope: scope.into(),
        figure,
        value,
        lower: Some(value),
        upper: value,
        threshold: t.value,
        source: t.source.clone(),
        passed: outcome == Outcome::Pass,
        outcome: Some(outcome),
        looks: Vec::new(),
        why: None,
    }
}

/// Records an attack's last result as evidence.
fn keep(
    attacks: &mut Vec<AttackRecord>,
    (scope, criterion): (&str, Criterion),
    label: &str,
    r: &AttackResult,
    looks: &[Look],
) {
    let mut details = match serde_json::to_value(r) {
        Ok(Value::Object(m)) => m,
        _ => serde_json::Map::new(),
    };
    for k in ["risk", "label", "scope", "criterion"] {
        details.remove(k);
    }
    details.insert(
        "looks".into(),
        serde_json::to_value(looks).unwrap_or_default(),
    );
    attacks.push(AttackRecord {
        label: label.to_owned(),
        scope: scope.to_owned(),
        criterion: Some(criterion),
        risk: RiskFigure {
            value: r.risk.value,
            ci: r.risk.ci,
        },
        details,
    });
}

/// One figure of an attack followed over the looks.
struct Followed {
    label: String,
    track: Track,
    last: Option<AttackResult>,
}

impl Followed {
    /// Takes one look at a run's result, as its basis allows.
    fn observe(&mut self, run: AttackRun, n_attacks: usize, threshold: f64) {
        let r = &run.result;
        let sampled = Look {
            n_attacks,
            attempts: r.attempts.main,
            value: r.risk.value,
            lower: r.risk.ci[0],
            upper: r.risk.ci[1],
        };
        match run.basis {
            Basis::Sampled => self.track.observe(sampled, threshold),
            Basis::Exact { value: v, why } => {
                self.track.looks.push(Look {
                    value: v,
                    lower: v,
                    upper: v,
                    ..sampled
                });
                self.track.outcome = crate::sequential::judge(v, v, threshold);
                self.track.why = Some(why);
            }
            Basis::Missing(why) => {
                self.track.looks.push(sampled);
                self.track.end_inconclusive(why);
            }
        }
        self.last = Some(run.result);
        if let (Some(last), Some(l)) = (self.last.as_mut(), self.track.looks.last()) {
            if l.lower == l.upper {
                // An exact figure is stored as exactly that, not as the interval's centre.
                last.risk.value = l.value;
                last.risk.ci = [l.value, l.value];
            }
        }
    }

    /// The check of this one figure.
    fn check(&self, criterion: Criterion, scope: &str, t: &Threshold, outcome: Outcome) -> Check {
        let last = self.track.looks.last().copied().unwrap_or(Look {
            n_attacks: 0,
            attempts: 0.0,
            value: 0.0,
            lower: 0.0,
            upper: 0.0,
        });
        Check {
            criterion,
            scope: scope.into(),
            figure: self.label.clone(),
            value: last.value,
            lower: Some(last.lower),
            upper: last.upper,
            threshold: t.value,
            source: t.source.clone(),
            passed: outcome == Outcome::Pass,
            outcome: Some(outcome),
            looks: self.track.looks.clone(),
            why: self.track.why.clone(),
        }
    }
}

/// Runs one attack at the plan's looks until every figure it gives is decided or the maximum
/// is reached; returns its check (the worst figure: any fail fails, any inconclusive leaves it
/// inconclusive) with the evidence of every figure.
fn sequential_check(
    attack: &dyn Attack,
    cx: AttackContext,
    plan: &Plan,
    t: &Threshold,
    scope: &str,
    out: &mut Measured,
) -> Result<()> {
    let criterion = attack.criterion();
    let mut followed: Vec<Followed> = Vec::new();
    for (j, (&n, &confidence)) in plan.looks.iter().zip(&plan.look_confidence).enumerate() {
        cx.input.check_stop()?;
        let runs = attack.run(&AttackContext {
            n_attacks: n,
            confidence,
            ..cx
        })?;
        if j == 0 {
            out.notes.extend(runs.notes);
        }
        for run in runs.runs {
            let i = match followed.iter().position(|f| f.label == run.label) {
                Some(i) => i,
                None => {
                    followed.push(Followed {
                        label: run.label.clone(),
                        track: Track::default(),
                        last: None,
                    });
                    followed.len() - 1
                }
            };
            if !followed[i].track.done() {
                followed[i].observe(run, n, t.value);
            }
        }
        if let Some(failed) = followed
            .iter()
            .find(|f| f.track.outcome == Some(Outcome::Fail))
        {
            let why: Note = Msg::new("why.not_followed")
                .arg("figure", crate::figures::figure_msg(&failed.label))
                .into();
            for f in followed.iter_mut().filter(|f| !f.track.done()) {
                f.track.end_inconclusive(why.clone());
            }
        }
        if followed.iter().all(|f| f.track.done()) {
            break;
        }
    }
    let mut checks = Vec::new();
    for f in &mut followed {
        let outcome = f.track.finish(t.value);
        if let Some(r) = &f.last {
            keep(
                &mut out.attacks,
                (scope, criterion),
                &f.label,
                r,
                &f.track.looks,
            );
        }
        checks.push(f.check(criterion, scope, t, outcome));
    }
    // The figure that decides: the first fail, else the first inconclusive, else the pass
    // with the largest upper end.
    let decisive = checks
        .iter()
        .filter(|c| c.outcome() == Outcome::Fail)
        .max_by(|a, b| a.upper.total_cmp(&b.upper))
        .or_else(|| checks.iter().find(|c| c.outcome() == Outcome::Inconclusive))
        .or_else(|| checks.iter().max_by(|a, b| a.upper.total_cmp(&b.upper)));
    if let Some(c) = decisive {
        out.checks.push(c.clone());
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn measure(
    attacks: &[&dyn Attack],
    v: &Views,
    known: &[String],
    sensitive: &[String],
    kind: TwinKind,
    a: &AssessInput,
    limit: &dyn Fn(Criterion) -> Threshold,
    scope: &str,
) -> Result<Measured> {
    let p = a.params;
    let plan = p.plan(a.policy);
    let mut m = Measured {
        checks: Vec::new(),
        attacks: Vec::new(),
        classic: Value::Null,
        distance: Value::Null,
        uniqueness: None,
        notes: Vec::new(),
    };
    for attack in attacks {
        let cx = AttackContext {
            views: v,
            known,
            sensitive,
            input: a,
            n_attacks: p.n_attacks,
            confidence: plan.look_confidence[0],
        };
        sequential_check(
            *attack,
            cx,
            &plan,
            &limit(attack.criterion()),
            scope,
            &mut m,
        )?;
    }
    let watch = stop_when(a.stop);
    if kind.record_level() && !known.is_empty() {
        a.check_stop()?;
        let twin = project(v.twin, &[known, sensitive].concat())?;
        let report = classic_risk_watched(
            &twin,
            None,
            &ClassicParams {
                quasi: known.to_vec(),
                sensitive: sensitive.to_vec(),
                threshold: limit(Criterion::MaxRisk).value,
                ..Default::default()
            },
            &watch,
        )?;
        let fig = |what: &str| format!("{what} prosecutor risk on {} known columns", known.len());
        let (hi, avg) = (report.prosecutor.highest, report.prosecutor.average);
        m.checks.push(check_of(
            Criterion::MaxRisk,
            scope,
            fig("highest"),
            hi,
            &limit(Criterion::MaxRisk),
        ));
        m.checks.push(check_of(
            Criterion::AverageRisk,
            scope,
            fig("average"),
            avg,
            &limit(Criterion::AverageRisk),
        ));
        m.uniqueness = Some(report.sample_uniqueness);
        m.classic = serde_json::to_value(&report).unwrap_or(Value::Null);
    }
    if kind == TwinKind::Synthetic {
        m.distance = dcr(v, (p, &watch), limit, scope, &mut m.checks)?;
    }
    Ok(m)
}

/// Distance checks of a synthetic twin: copies of real records beyond the holdout's, and
/// whether rows sit closer to the source than to the holdout.
fn dcr(
    v: &Views,
    (p, watch): (AssessParams, &dyn Watch),
    limit: &dyn Fn(Criterion) -> Threshold,
    scope: &str,
    checks: &mut Vec<Check>,
) -> Result<Value> {
    let data = prepare(v.source, v.twin, v.control)?;
    let d = distances_watched(&data, p.dcr_samples, p.seed, watch)?;
    let excess = (d.exact_copies - d.exact_copies_of_holdout.unwrap_or(0.0)).max(0.0);
    let figure = if d.exact_copies_of_holdout.is_some() {
        "exact copies of source rows beyond those of holdout rows"
    } else {
        "exact copies of source rows"
    };
    checks.push(check_of(
        Criterion::ExactCopies,
        scope,
        figure.into(),
        excess,
        &limit(Criterion::ExactCopies),
    ));
    if let Some(c) = d.closer_to_source {
        checks.push(check_of(
            Criterion::CloserToSource,
            scope,
            "twin rows closer to the source than to the holdout".into(),
            c,
            &limit(Criterion::CloserToSource),
        ));
    }
    Ok(serde_json::to_value(&d).unwrap_or(Value::Null))
}

/// A generalized twin's utility against the original values, with `same` (the comparison in
/// the twin's terms) as its secondary figure; None for other kinds.
fn generalized_utility(a: &AssessInput, same: &Value) -> Result<Option<GeneralizedUtility>> {
    let Some(m) = &a.release.generalization else {
        return Ok(None);
    };
    let against_original = fidelity(a.original, m, a.params.utility_queries, a.params.seed)
        .map_err(|e| invalid(format!("utility against the source's original values: {e}")))?;
    Ok(Some(GeneralizedUtility {
        against_original,
        same_generalization: serde_json::from_value(same.clone()).ok(),
    }))
}

fn measure_utility(r: &Release, p: AssessParams) -> Result<Value> {
    let data = prepare(&r.source_view, &r.twin, None)?;
    Ok(serde_json::to_value(utility(&data, p.utility_queries, p.seed)?).unwrap_or(Value::Null))
}

/// The display values of a column, missing as None.
fn values_of(c: &datavisa_table::Column) -> Vec<Option<String>> {
    (0..c.len()).map(|i| c.display(i)).collect()
}

/// Share of each identifier column's twin values that are source values (kept in clear).
fn identifiers_in_clear(r: &Release, identifiers: &[String]) -> Result<Vec<IdentifierCheck>> {
    let mut out = Vec::new();
    for id in identifiers {
        let (Ok(t), Ok(s)) = (r.twin.column(id), r.source_view.column(id)) else {
            continue;
        };
        let present: HashSet<String> = values_of(s).into_iter().flatten().collect();
        let kept: Vec<String> = values_of(t).into_iter().flatten().collect();
        let share = if kept.is_empty() {
            0.0
        } else {
            kept.iter().filter(|v| present.contains(*v)).count() as f64 / kept.len() as f64
        };
        out.push(IdentifierCheck {
            column: id.clone(),
            share_in_clear: share,
        });
    }
    Ok(out)
}

/// Attacks the twin joined with the earlier releases, row by row, as the recipient could.
fn combine(
    a: &AssessInput,
    limit: &dyn Fn(Criterion) -> Threshold,
    attacks: &[&dyn Attack],
) -> Result<Cumulative> {
    let with: Vec<Prior> = a
        .prior
        .iter()
        .map(|(visa, r)| Prior {
            visa: visa.clone(),
            twin: r.facts.clone(),
        })
        .collect();
    let mut notes = Vec::new();
    let releases: Vec<(&str, &Release)> = std::iter::once(("this", a.release))
        .chain(a.prior.iter().map(|(v, r)| (v.as_str(), r)))
        .collect();
    let n = a.release.source_view.n_rows;
    if let Some((v, _)) = releases
        .iter()
        .find(|(_, r)| !r.kind.record_level() || r.twin.n_rows != n)
    {
        notes.push(
            Msg::new("note.release_not_row_aligned")
                .arg("release", *v)
                .into(),
        );
        return Ok(Cumulative {
            with,
            linked_by: None,
            known_columns: Vec::new(),
            checks: Vec::new(),
            notes,
        });
    }
    let linked_by = Some(shared_key(&releases).map_or_else(
        || Msg::new("linked_by.row_order").into(),
        |k| Msg::new("linked_by.key").arg("column", k).into(),
    ));
    let mut src_cols = Vec::new();
    let mut twin_cols = Vec::new();
    let mut known = Vec::new();
    let mut sensitive = Vec::new();
    let views: Vec<DerivedViews> = releases
        .iter()
        .map(|(_, r)| DerivedViews::of(r, &a.derived))
        .collect::<Result<_>>()?;
    for ((label, rel), r) in releases.iter().zip(&views) {
        for (j, c) in r.twin.columns.iter().enumerate() {
            let base = &c.name;
            let is_known = a.known.contains(base) && !rel.protected.contains(base);
            let is_sensitive = a.sensitive.contains(base);
            if !(is_known || is_sensitive) || r.source.index_of(base).is_err() {
                continue;
            }
            let name = if twin_cols
                .iter()
                .any(|t: &datavisa_table::Column| &t.name == base)
            {
                format!("{base}@{label}")
            } else {
                base.clone()
            };
            let mut t = r.twin.columns[j].clone();
            let mut s = r.source.column(base)?.clone();
            t.name = name.clone();
            s.name = name.clone();
            twin_cols.push(t);
            src_cols.push(s);
            if is_known {
                known.push(name);
            } else if !sensitive.contains(base) {
                sensitive.push(name);
            }
        }
    }
    let source = Table::new(src_cols)?;
    let twin = Table::new(twin_cols)?;
    let m = measure(
        attacks,
        &Views {
            source: &source,
            twin: &twin,
            control: None,
        },
        &known,
        &sensitive,
        TwinKind::Unknown,
        a,
        limit,
        "combined",
    )?;
    notes.extend(m.notes);
    Ok(Cumulative {
        with,
        linked_by,
        known_columns: known,
        checks: m.checks,
        notes,
    })
}

/// A column every release carries whose values are unique per row and agree row by row: the
/// recipient can join the releases on it (e.g. a per-recipient token).
fn shared_key(releases: &[(&str, &Release)]) -> Option<String> {
    let first = releases.first()?.1;
    first.twin.column_names().into_iter().find(|name| {
        let cols: Option<Vec<&datavisa_table::Column>> = releases
            .iter()
            .map(|(_, r)| r.twin.column(name).ok())
            .collect();
        let Some(cols) = cols else { return false };
        let values: Vec<Vec<Option<String>>> = cols.iter().map(|c| values_of(c)).collect();
        let unique = |v: &Vec<Option<String>>| {
            let set: HashSet<&String> = v.iter().flatten().collect();
            set.len() == v.len()
        };
        values.iter().all(unique) && values.windows(2).all(|w| w[0] == w[1])
    })
}

/// A reason from its message; its English text is kept beside it.
fn reason(
    caps: Verdict,
    msg: Msg,
    figure: Option<String>,
    value: Option<f64>,
    threshold: Option<f64>,
) -> Reason {
    Reason {
        caps,
        text: msg.en(),
        msg: Some(msg),
        figure,
        value,
        threshold,
    }
}

/// The verdict and its reasons, each tied to a figure and its threshold.
pub fn decide(a: &Assessment) -> (Verdict, Vec<Reason>) {
    let mut reasons = Vec::new();
    for id in a.identifiers.iter().filter(|i| i.share_in_clear >= 0.5) {
        reasons.push(reason(
            Verdict::Personal,
            Msg::new("reason.identifier_in_clear")
                .arg("column", format!("{:?}", id.column))
                .arg("share", format!("{:.0}", 100.0 * id.share_in_clear)),
            Some(format!("identifier {} in clear", id.column)),
            Some(id.share_in_clear),
            Some(0.5),
        ));
    }
    let keys_alive = matches!(a.keys, KeyState::Exist | KeyState::Unknown);
    if a.twin_kind == TwinKind::Pseudonymized && keys_alive && a.recipient.can_obtain_keys {
        reasons.push(reason(
            Verdict::Personal,
            Msg::new("reason.recipient_can_obtain_keys"),
            None,
            None,
            None,
        ));
    }
    if let Some(u) = a.uniqueness {
        let t = &a.policy.personal_above;
        if u > t.value {
            reasons.push(reason(
                Verdict::Personal,
                Msg::new("reason.unique_above_bar")
                    .arg("share", format!("{:.1}", 100.0 * u))
                    .arg("n", a.known_in_twin.len().to_string())
                    .arg("bar", format!("{:.0}", 100.0 * t.value)),
                Some("records unique on known columns".into()),
                Some(u),
                Some(t.value),
            ));
        }
    }
    if a.twin_kind == TwinKind::Pseudonymized && keys_alive {
        let how = if a.keys == KeyState::Unknown {
            "reason.keys_how_unknown"
        } else {
            "reason.keys_how_vault"
        };
        reasons.push(reason(
            Verdict::DeIdentified,
            Msg::new("reason.keys_exist").arg("how", Msg::new(how)),
            None,
            None,
            None,
        ));
    }
    for c in a.all_checks() {
        let scope = if c.scope == "combined" {
            Msg::new("reason.scope_combined").into()
        } else {
            datavisa_i18n::Arg::Text(String::new())
        };
        let msg = match c.outcome() {
            Outcome::Pass => continue,
            // The figure names its attack ("linkability: …", "singling out (…)"), so the
            // criterion is said once, with its threshold.
            Outcome::Fail => Msg::new("reason.check_fails")
                .arg("figure", crate::figures::figure_msg(&c.figure))
                .arg("scope", scope)
                .arg("value", format!("{:.4}", c.value))
                .arg("upper", format!("{:.4}", c.upper))
                .arg("criterion", c.criterion.msg())
                .arg("threshold", c.threshold.to_string())
                .arg("source", crate::figures::source_msg(&c.source)),
            Outcome::Inconclusive => Msg::new("reason.check_inconclusive")
                .arg("figure", crate::figures::figure_msg(&c.figure))
                .arg("scope", scope)
                .arg("criterion", c.criterion.msg())
                .arg("threshold", c.threshold.to_string())
                .arg(
                    "why",
                    match &c.why {
                        Some(Note::Said { msg, .. }) => msg.clone().into(),
                        Some(Note::Plain(t)) => datavisa_i18n::Arg::Text(t.clone()),
                        None => Msg::new("reason.interval_contains").into(),
                    },
                ),
        };
        reasons.push(reason(
            Verdict::DeIdentified,
            msg,
            Some(c.figure.clone()),
            Some(c.upper),
            Some(c.threshold),
        ));
    }
    let verdict = reasons
        .iter()
        .map(|r| r.caps)
        .max()
        .unwrap_or(Verdict::Anonymized);
    if verdict == Verdict::Anonymized {
        let n = a.all_checks().count();
        let how = match &a.plan {
            Some(p) if p.looks.len() > 1 => Msg::new("reason.how_sequential")
                .arg("confidence", format!("{:.0}", 100.0 * p.confidence))
                .arg("procedure", Msg::new("procedure.sequential")),
            _ => Msg::new("reason.how_fixed").arg(
                "confidence",
                format!("{:.0}", 100.0 * a.policy.confidence.value),
            ),
        };
        reasons.push(reason(
            Verdict::Anonymized,
            Msg::new("reason.all_pass")
                .arg("n", n.to_string())
                .arg("how", how),
            None,
            None,
            None,
        ));
    }
    (verdict, reasons)
}
