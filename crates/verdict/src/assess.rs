//! The assessment of one twin from one recipient's position: the attacks it could run with what
//! it knows and holds, classic risk on its known quasi-identifiers, distance checks for synthetic
//! twins, the combination with earlier releases to it, and utility.

use crate::attacks::{Attack, AttackContext};
use crate::error::Result;
use crate::policy::{Criterion, Policy, Threshold};
use crate::profile::{EffectiveContext, Recipient};
use crate::release::{FileFacts, ManifestFacts, Release, TwinKind};
use datavisa_risk::classic::{classic_risk, ClassicParams};
use datavisa_risk::distance::distances;
use datavisa_risk::prepare::project;
use datavisa_risk::utility::utility;
use datavisa_risk::{prepare, AttackResult, Prepared};
use datavisa_table::Table;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashSet;

/// Random and size parameters of an assessment (recorded with it).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct AssessParams {
    pub n_attacks: usize,
    pub seed: u64,
    pub utility_queries: usize,
    pub dcr_samples: usize,
}

impl Default for AssessParams {
    fn default() -> Self {
        AssessParams {
            n_attacks: 500,
            seed: 0,
            utility_queries: 200,
            dcr_samples: 2000,
        }
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
    /// What is compared: the upper end of the interval (the value itself for exact counts).
    pub upper: f64,
    pub threshold: f64,
    pub source: String,
    pub passed: bool,
}

/// Why the verdict is what it is.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Reason {
    /// The best verdict this reason allows.
    pub caps: Verdict,
    pub text: String,
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
    pub linked_by: Option<String>,
    pub known_columns: Vec<String>,
    pub checks: Vec<Check>,
    pub notes: Vec<String>,
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

impl AttackRecord {
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
#[derive(Clone, Debug, Deserialize)]
pub struct UtilityFigures {
    pub score: f64,
    pub column_score: f64,
    pub pair_score: f64,
    pub workload_score: f64,
    pub columns: Vec<ColumnUtility>,
}

/// One column's utility score.
#[derive(Clone, Debug, Deserialize)]
pub struct ColumnUtility {
    pub column: String,
    pub score: f64,
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
    pub utility: Value,
    /// Share of twin records unique on what the recipient knows.
    pub uniqueness: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cumulative: Option<Cumulative>,
    pub verdict: Verdict,
    pub reasons: Vec<Reason>,
    pub params: AssessParams,
    pub notes: Vec<String>,
}

/// What an assessment is given.
pub struct AssessInput<'a> {
    pub recipient: &'a Recipient,
    pub policy: &'a Policy,
    pub source: &'a FileFacts,
    pub release: &'a Release,
    /// Earlier releases to the same recipient, with the visa that covers each.
    pub prior: &'a [(String, Release)],
    pub holds: Vec<FileFacts>,
    pub control: Option<FileFacts>,
    pub known: Vec<String>,
    pub sensitive: Vec<String>,
    pub identifiers: Vec<String>,
    pub keys: KeyState,
    pub params: AssessParams,
}

/// Runs every measurement and decides the verdict.
pub fn assess(a: &AssessInput) -> Result<Assessment> {
    assess_with(a, &crate::attacks::builtin())
}

/// Assesses with the given attacks (the built-in ones, or those plus one's own).
pub fn assess_with(a: &AssessInput, attacks: &[&dyn Attack]) -> Result<Assessment> {
    let context = a.recipient.effective_context();
    let thresholds = a.policy.thresholds_for(context.context);
    let limit = |c: Criterion| {
        thresholds
            .iter()
            .find(|(k, _)| *k == c)
            .map(|(_, t)| t.clone())
            .expect("every criterion has a threshold")
    };
    let r = a.release;
    let mut notes = Vec::new();
    let in_twin = |names: &[String]| -> Vec<String> {
        names
            .iter()
            .filter(|n| r.twin.index_of(n).is_ok())
            .cloned()
            .collect()
    };
    let known_in_twin = in_twin(&a.known);
    let sensitive = in_twin(&a.sensitive);
    if known_in_twin.is_empty() {
        notes.push("the twin carries no column the recipient knows: it has nothing to match on, so the attacks that need known columns were not run".into());
    }
    let m = measure(
        attacks,
        &Views {
            source: &r.source_view,
            twin: &r.twin,
            control: r.control_view.as_ref(),
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
        notes.push("no control set: each risk is the raw attack success rate, which also counts what the twin teaches about the population at large; give --control (records of the same population not used to make the twin) to measure what it reveals about the people in it".into());
    }
    let util = measure_utility(r, a.params)?;
    if r.kind == TwinKind::Generalized {
        notes.push("utility of a generalized twin is measured against the source generalized the same way: it shows what suppression removed; information loss from generalization is the manifest's quality figure".into());
    }
    let identifiers = identifiers_in_clear(r, &a.identifiers)?;
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
        uniqueness: m.uniqueness,
        cumulative,
        verdict: Verdict::Anonymized,
        reasons: Vec::new(),
        params: a.params,
        notes,
    };
    let (verdict, reasons) = decide(&assessment);
    assessment.verdict = verdict;
    assessment.reasons = reasons;
    Ok(assessment)
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
    notes: Vec<String>,
}

fn check_of(
    criterion: Criterion,
    scope: &str,
    figure: String,
    (value, upper): (f64, f64),
    t: &Threshold,
) -> Check {
    Check {
        criterion,
        scope: scope.into(),
        figure,
        value,
        upper,
        threshold: t.value,
        source: t.source.clone(),
        passed: upper <= t.value,
    }
}

/// Records an attack result and returns its (value, upper) pair.
fn keep(
    attacks: &mut Vec<AttackRecord>,
    (scope, criterion): (&str, Criterion),
    label: &str,
    r: &AttackResult,
) -> (f64, f64) {
    let mut details = match serde_json::to_value(r) {
        Ok(Value::Object(m)) => m,
        _ => serde_json::Map::new(),
    };
    for k in ["risk", "label", "scope", "criterion"] {
        details.remove(k);
    }
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
    (r.risk.value, r.risk.ci[1])
}

/// The worst (largest upper end) of several (value, upper) figures, with its label.
fn worst(figs: Vec<(String, (f64, f64))>) -> Option<(String, (f64, f64))> {
    figs.into_iter().max_by(|a, b| a.1 .1.total_cmp(&b.1 .1))
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
    let mut all_attacks = Vec::new();
    let mut checks = Vec::new();
    let mut notes = Vec::new();
    for attack in attacks {
        let runs = attack.run(&AttackContext {
            views: v,
            known,
            sensitive,
            input: a,
        })?;
        notes.extend(runs.notes);
        let criterion = attack.criterion();
        let figs: Vec<(String, (f64, f64))> = runs
            .runs
            .iter()
            .map(|r| {
                let fig = keep(&mut all_attacks, (scope, criterion), &r.label, &r.result);
                (r.label.clone(), fig)
            })
            .collect();
        if let Some((fig, val)) = worst(figs) {
            checks.push(check_of(criterion, scope, fig, val, &limit(criterion)));
        }
    }
    let (classic, uniqueness) = if kind.record_level() && !known.is_empty() {
        let twin = project(v.twin, &[known, sensitive].concat())?;
        let report = classic_risk(
            &twin,
            None,
            &ClassicParams {
                quasi: known.to_vec(),
                sensitive: sensitive.to_vec(),
                threshold: limit(Criterion::MaxRisk).value,
                ..Default::default()
            },
        )?;
        let fig = |what: &str| format!("{what} prosecutor risk on {} known columns", known.len());
        let (hi, avg) = (report.prosecutor.highest, report.prosecutor.average);
        checks.push(check_of(
            Criterion::MaxRisk,
            scope,
            fig("highest"),
            (hi, hi),
            &limit(Criterion::MaxRisk),
        ));
        checks.push(check_of(
            Criterion::AverageRisk,
            scope,
            fig("average"),
            (avg, avg),
            &limit(Criterion::AverageRisk),
        ));
        (
            serde_json::to_value(&report).unwrap_or(Value::Null),
            Some(report.sample_uniqueness),
        )
    } else {
        (Value::Null, None)
    };
    let distance = if kind == TwinKind::Synthetic {
        dcr(v, p, limit, scope, &mut checks)?
    } else {
        Value::Null
    };
    Ok(Measured {
        checks,
        attacks: all_attacks,
        classic,
        distance,
        uniqueness,
        notes,
    })
}

/// Distance checks of a synthetic twin: copies of real records beyond the holdout's, and
/// whether rows sit closer to the source than to the holdout.
fn dcr(
    v: &Views,
    p: AssessParams,
    limit: &dyn Fn(Criterion) -> Threshold,
    scope: &str,
    checks: &mut Vec<Check>,
) -> Result<Value> {
    let data = prepare(v.source, v.twin, v.control)?;
    let d = distances(&data, p.dcr_samples, p.seed)?;
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
        (excess, excess),
        &limit(Criterion::ExactCopies),
    ));
    if let Some(c) = d.closer_to_source {
        checks.push(check_of(
            Criterion::CloserToSource,
            scope,
            "twin rows closer to the source than to the holdout".into(),
            (c, c),
            &limit(Criterion::CloserToSource),
        ));
    }
    Ok(serde_json::to_value(&d).unwrap_or(Value::Null))
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
        notes.push(format!(
            "release {v} is not one row per source row (synthetic, sampled or filtered), so its rows cannot be lined up with this twin's; the combination was not attacked"
        ));
        return Ok(Cumulative {
            with,
            linked_by: None,
            known_columns: Vec::new(),
            checks: Vec::new(),
            notes,
        });
    }
    let linked_by = Some(shared_key(&releases).map_or_else(
        || "row order (datavisa's record-level twins keep the source's row order)".to_owned(),
        |k| format!("shared key column {k:?}"),
    ));
    let mut src_cols = Vec::new();
    let mut twin_cols = Vec::new();
    let mut known = Vec::new();
    let mut sensitive = Vec::new();
    for (label, r) in &releases {
        for (j, c) in r.twin.columns.iter().enumerate() {
            let base = &c.name;
            let is_known = a.known.contains(base);
            let is_sensitive = a.sensitive.contains(base);
            if !(is_known || is_sensitive) || r.source_view.index_of(base).is_err() {
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
            let mut s = r.source_view.column(base)?.clone();
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

/// The verdict and its reasons, each tied to a figure and its threshold.
pub fn decide(a: &Assessment) -> (Verdict, Vec<Reason>) {
    let mut reasons = Vec::new();
    for id in a.identifiers.iter().filter(|i| i.share_in_clear >= 0.5) {
        reasons.push(Reason {
            caps: Verdict::Personal,
            text: format!(
                "direct identifier {:?} is in the twin in clear ({:.0}% of its values are source values)",
                id.column,
                100.0 * id.share_in_clear
            ),
            figure: Some(format!("identifier {} in clear", id.column)),
            value: Some(id.share_in_clear),
            threshold: Some(0.5),
        });
    }
    let keys_alive = matches!(a.keys, KeyState::Exist | KeyState::Unknown);
    if a.twin_kind == TwinKind::Pseudonymized && keys_alive && a.recipient.can_obtain_keys {
        reasons.push(Reason {
            caps: Verdict::Personal,
            text: "the recipient could obtain the pseudonymization keys, and they still exist: it can relink every record".into(),
            figure: None,
            value: None,
            threshold: None,
        });
    }
    if let Some(u) = a.uniqueness {
        let t = &a.policy.personal_above;
        if u > t.value {
            reasons.push(Reason {
                caps: Verdict::Personal,
                text: format!(
                    "{:.1}% of the twin's records are unique on the {} columns the recipient knows, above the {:.0}% at which re-identification is more likely than not",
                    100.0 * u,
                    a.known_in_twin.len(),
                    100.0 * t.value
                ),
                figure: Some("records unique on known columns".into()),
                value: Some(u),
                threshold: Some(t.value),
            });
        }
    }
    if a.twin_kind == TwinKind::Pseudonymized && keys_alive {
        let how = if a.keys == KeyState::Unknown {
            "the vault could not be opened to check, so they are taken to exist"
        } else {
            "the vault holds them"
        };
        reasons.push(Reason {
            caps: Verdict::DeIdentified,
            text: format!(
                "the twin is pseudonymized and its keys still exist ({how}): with that additional information it can be restored, so it is de-identified at best (PIPL Art. 73(3)); crypto-shredding the keys removes this reason"
            ),
            figure: None,
            value: None,
            threshold: None,
        });
    }
    let failing = a
        .checks
        .iter()
        .chain(a.cumulative.iter().flat_map(|c| c.checks.iter()));
    for c in failing.filter(|c| !c.passed) {
        let scope = if c.scope == "combined" {
            " in combination with the earlier releases to this recipient"
        } else {
            ""
        };
        reasons.push(Reason {
            caps: Verdict::DeIdentified,
            text: format!(
                // The figure names its attack ("linkability: …", "singling out (…)"), so the
                // criterion is said once, with its threshold.
                "{}{scope} is {:.4} (upper end {:.4}), above the {} threshold {} ({})",
                c.figure,
                c.value,
                c.upper,
                c.criterion.as_str(),
                c.threshold,
                c.source
            ),
            figure: Some(c.figure.clone()),
            value: Some(c.upper),
            threshold: Some(c.threshold),
        });
    }
    let verdict = reasons
        .iter()
        .map(|r| r.caps)
        .max()
        .unwrap_or(Verdict::Anonymized);
    if verdict == Verdict::Anonymized {
        let n = a.checks.len() + a.cumulative.as_ref().map_or(0, |c| c.checks.len());
        reasons.push(Reason {
            caps: Verdict::Anonymized,
            text: format!(
                "all {n} checks pass with the upper end of each {:.0}% interval at or below its threshold, no direct identifier is in clear and no key can restore the records",
                100.0 * a.policy.confidence.value
            ),
            figure: None,
            value: None,
            threshold: None,
        });
    }
    (verdict, reasons)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_worst_figure_is_the_largest_upper_end() {
        let w = worst(vec![("a".into(), (0.3, 0.31)), ("b".into(), (0.1, 0.5))]).unwrap();
        assert_eq!(w.0, "b");
        assert!(worst(Vec::new()).is_none());
    }
}
