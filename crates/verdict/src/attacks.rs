//! The attacks an assessment runs, behind one trait: each knows the criterion its figures are
//! judged by and runs from what the recipient knows and holds. The assessment iterates the
//! registry ([`builtin`]); adding an attack is one `impl Attack` and one entry there.

use crate::assess::{AssessInput, Views};
use crate::error::Result;
use crate::policy::Criterion;
use crate::profile::Capability;
use datavisa_i18n::{Msg, Note};
use datavisa_risk::inference::{inference, InferenceParams, SecretKind};
use datavisa_risk::linkability::{linkability, LinkabilityParams};
use datavisa_risk::singling_out::{singling_out_watched, Denominator, Mode, SinglingOutParams};
use datavisa_risk::{stop_when, AttackResult, Prepared, Watch};
use datavisa_table::Table;

/// What an attack is given: the tables in the twin's terms and the recipient's position.
#[derive(Clone, Copy)]
pub struct AttackContext<'a> {
    pub(crate) views: &'a Views<'a>,
    /// Columns the recipient knows that the twin carries.
    pub known: &'a [String],
    /// Sensitive columns the twin carries.
    pub sensitive: &'a [String],
    /// The assessment's input: recipient, policy, holdings, parameters.
    pub input: &'a AssessInput<'a>,
    /// Attacks to make at this look of the sequential check.
    pub n_attacks: usize,
    /// Confidence of this look's intervals.
    pub confidence: f64,
}

impl AttackContext<'_> {
    /// Source, twin and control projected on `cols`, with shared dictionaries.
    pub fn prepared(&self, cols: &[String]) -> Result<Prepared> {
        self.views.prepared(cols)
    }

    /// The twin as released, with the derived columns the recipient knows.
    pub fn twin(&self) -> &Table {
        self.views.twin
    }

    /// Whether the caller asked the assessment to stop: an attack checks it between its runs,
    /// and the risk crate's attacks between their batches (through [`AttackContext::watch`]).
    pub fn stopped(&self) -> bool {
        self.input.stopped()
    }

    /// A watch for the risk crate's attacks that stops when the assessment is asked to.
    pub fn watch(&self) -> impl Watch + '_ {
        stop_when(move || self.stopped())
    }

    /// Whether the twin carries real values of `column` (present, and not tokens or
    /// ciphertext).
    pub fn usable(&self, column: &str) -> bool {
        self.twin().index_of(column).is_ok()
            && !self.input.release.protected.iter().any(|p| p == column)
    }
}

/// One run of an attack: what it tried, labelled for the report, and its result.
pub struct AttackRun {
    /// Names the attack and what it used ("singling out (3 known columns)").
    pub label: String,
    /// Rates, risk and its interval.
    pub result: AttackResult,
    /// What the figure rests on.
    pub basis: Basis,
}

impl AttackRun {
    /// A figure measured on sampled attacks, judged by its interval.
    pub fn sampled(label: String, result: AttackResult) -> AttackRun {
        AttackRun {
            label,
            result,
            basis: Basis::Sampled,
        }
    }
}

/// What an attack's figure rests on.
#[derive(Clone, Debug, PartialEq)]
pub enum Basis {
    /// Sampled attacks: the interval decides, and more looks narrow it.
    Sampled,
    /// The figure is exactly this value, for the reason given (compared as it is).
    Exact { value: f64, why: Note },
    /// The attack could not run its queries, for the reason given: the check is inconclusive.
    Missing(Note),
}

/// Every run of one attack, and notes on what it could not run.
#[derive(Default)]
pub struct AttackRuns {
    /// The runs; the worst upper end is checked against the criterion's threshold.
    pub runs: Vec<AttackRun>,
    /// Notes for the assessment (a run skipped, a figure to read with care).
    pub notes: Vec<Note>,
}

/// An attack the recipient could run on the twin.
pub trait Attack: Sync {
    /// A short name.
    fn name(&self) -> &'static str;
    /// The criterion its figures are judged by.
    fn criterion(&self) -> Criterion;
    /// Runs it from the recipient's position.
    fn run(&self, cx: &AttackContext) -> Result<AttackRuns>;
}

/// The attacks every assessment runs, in order.
pub fn builtin() -> [&'static dyn Attack; 3] {
    [&SinglingOut, &Linkability, &Inference]
}

/// Queries that match exactly one person, from what the recipient knows.
pub struct SinglingOut;

/// Joining what the recipient knows to what it holds through the twin.
pub struct Linkability;

/// Guessing each sensitive column from what the recipient knows.
pub struct Inference;

/// The singling-out attacks a recipient of this capability runs on `n` known columns.
pub(crate) fn singling_out_runs(n: usize, cap: Capability) -> Vec<(Mode, usize)> {
    let typical = n.min(3);
    let mut runs = vec![if typical == 1 {
        (Mode::Univariate, 1)
    } else {
        (Mode::Multivariate, typical)
    }];
    if cap == Capability::Expert {
        if typical > 1 {
            runs.push((Mode::Univariate, 1));
        }
        if n > typical {
            runs.push((Mode::Multivariate, n));
        }
    }
    runs
}

impl Attack for SinglingOut {
    fn name(&self) -> &'static str {
        "singling out"
    }

    fn criterion(&self) -> Criterion {
        Criterion::SinglingOut
    }

    fn run(&self, cx: &AttackContext) -> Result<AttackRuns> {
        let mut out = AttackRuns::default();
        if cx.known.is_empty() {
            return Ok(out);
        }
        let (p, a) = (cx.input.params, cx.input);
        let data = cx.prepared(cx.known)?;
        let smallest = smallest_class(&data.twin);
        for (mode, n_cols) in singling_out_runs(cx.known.len(), a.recipient.capability) {
            let label = match mode {
                Mode::Univariate => "singling out (univariate)".to_owned(),
                Mode::Multivariate => format!("singling out ({n_cols} known columns)"),
            };
            let result = singling_out_watched(
                &data,
                &SinglingOutParams {
                    n_attacks: cx.n_attacks,
                    n_cols,
                    mode,
                    // When no row is unique on the known columns no query can exist: a token
                    // search keeps the baseline and the evidence without the full budget.
                    max_attempts: if smallest >= 2 { 1000 } else { p.max_attempts },
                    confidence: cx.confidence,
                    seed: p.seed,
                    denominator: Denominator::Generated,
                    // People who share every known value are not singled out by it, whatever
                    // the twin's kind: duplicates stay (Anonymeter drops them).
                    keep_duplicates: true,
                    keep_queries: false,
                },
                &cx.watch(),
            )?;
            let mut result = result;
            let basis = singling_out_basis(&result, smallest, p.max_attempts);
            if matches!(basis, Basis::Exact { .. }) {
                // The search's own warnings (budget, queries not found, baseline as good as the
                // attack) describe a search that could not succeed by construction.
                result.warnings.clear();
            }
            out.runs.push(AttackRun {
                label,
                result,
                basis,
            });
        }
        Ok(out)
    }
}

/// The size of the twin's smallest group of rows that agree on every column (1 when some row
/// is unique, 0 for an empty twin).
fn smallest_class(twin: &Table) -> usize {
    let all: Vec<usize> = (0..twin.columns.len()).collect();
    datavisa_table::EquivalenceClasses::of(twin, &all)
        .sizes
        .into_iter()
        .min()
        .unwrap_or(0) as usize
}

/// What a singling-out figure rests on. No query found is no evidence, unless no query can
/// exist: when every combination of the known values is shared by two or more twin rows, no
/// predicate on them isolates one row, and the figure is exactly 0.
fn singling_out_basis(r: &AttackResult, smallest: usize, max_attempts: u64) -> Basis {
    let found = r.details["n_queries"].as_u64().unwrap_or(0);
    if found > 0 {
        return Basis::Sampled;
    }
    if smallest >= 2 {
        return Basis::Exact {
            value: 0.0,
            why: Msg::new("why.exact_zero_singling_out")
                .arg("k", smallest.to_string())
                .into(),
        };
    }
    Basis::Missing(
        Msg::new("why.no_query_found")
            .arg("n", r.n_attacks.to_string())
            .arg("max", max_attempts.to_string())
            .into(),
    )
}

/// Pairs of column sets to link, and findings on holdings that cannot be linked on.
type Pairs = (Vec<(String, Vec<String>, Vec<String>)>, Vec<Note>);

impl Linkability {
    /// The pairs of column sets to link. For each dataset it holds: what the recipient knows
    /// itself ↔ the holding's other columns, or, when that leaves one side empty, the columns the
    /// holding shares with the twin split in two. Holding none: what it knows ↔ the twin's other
    /// columns. Columns count only where the twin carries real values (not tokens or ciphertext).
    fn pairs(cx: &AttackContext) -> Pairs {
        let a = cx.input;
        let usable = |c: &String| cx.known.contains(c) || cx.usable(c);
        let own: Vec<String> = a
            .own_known
            .iter()
            .filter(|c| cx.known.contains(c))
            .cloned()
            .collect();
        let mut pairs = Vec::new();
        let mut findings = Vec::new();
        for h in &a.holds {
            let shared: Vec<String> = h.columns.iter().filter(|c| usable(c)).cloned().collect();
            let b: Vec<String> = shared
                .iter()
                .filter(|c| !own.contains(c))
                .cloned()
                .collect();
            if !own.is_empty() && !b.is_empty() {
                pairs.push((
                    format!("linkability: what it knows ↔ {}", h.path),
                    own.clone(),
                    b,
                ));
            } else if shared.len() >= 2 {
                let (x, y) = shared.split_at(shared.len() / 2);
                pairs.push((
                    format!(
                        "linkability: {} split ({} ↔ {})",
                        h.path,
                        x.join(", "),
                        y.join(", ")
                    ),
                    x.to_vec(),
                    y.to_vec(),
                ));
            } else {
                findings.push(
                    Msg::new("note.holding_too_few")
                        .arg("path", &h.path)
                        .arg("n", shared.len().to_string())
                        .arg("columns", shared.clone())
                        .into(),
                );
            }
        }
        if a.holds.is_empty() {
            let derived: Vec<String> = a.derived.iter().map(|d| d.name()).collect();
            let unknown: Vec<String> = cx
                .twin()
                .column_names()
                .into_iter()
                .filter(|c| !cx.known.contains(c) && a.sensitive.iter().all(|s| s != c))
                .filter(|c| a.identifiers.iter().all(|i| i != c))
                .filter(|c| !derived.contains(c) && cx.usable(c))
                .collect();
            pairs.push((
                "linkability: what it knows ↔ the twin's other columns".into(),
                own,
                unknown,
            ));
        }
        (pairs, findings)
    }
}

impl Attack for Linkability {
    fn name(&self) -> &'static str {
        "linkability"
    }

    fn criterion(&self) -> Criterion {
        Criterion::Linkability
    }

    fn run(&self, cx: &AttackContext) -> Result<AttackRuns> {
        let a = cx.input;
        let mut out = AttackRuns::default();
        let (pairs, findings) = Linkability::pairs(cx);
        out.notes.extend(findings);
        for (label, aux_a, aux_b) in pairs {
            if aux_a.is_empty() || aux_b.is_empty() {
                out.notes.push(
                    Msg::new("note.link_not_run")
                        .arg("figure", crate::figures::figure_msg(&label))
                        .into(),
                );
                continue;
            }
            let data = cx.prepared(&[aux_a.clone(), aux_b.clone()].concat())?;
            let linked = linkability(
                &data,
                &LinkabilityParams {
                    n_attacks: cx.n_attacks,
                    aux_a,
                    aux_b,
                    n_neighbors: 1,
                    confidence: cx.confidence,
                    seed: a.params.seed,
                },
                &cx.watch(),
            )?;
            out.runs
                .push(AttackRun::sampled(label, linked.full_result()?));
        }
        Ok(out)
    }
}

impl Attack for Inference {
    fn name(&self) -> &'static str {
        "inference"
    }

    fn criterion(&self) -> Criterion {
        Criterion::Inference
    }

    fn run(&self, cx: &AttackContext) -> Result<AttackRuns> {
        let a = cx.input;
        let mut out = AttackRuns::default();
        for s in cx.sensitive {
            let aux: Vec<String> = cx.known.iter().filter(|k| *k != s).cloned().collect();
            if aux.is_empty() {
                continue;
            }
            let mut cols = aux.clone();
            cols.push(s.clone());
            let data = cx.prepared(&cols)?;
            let result = inference(
                &data,
                &InferenceParams {
                    n_attacks: cx.n_attacks,
                    aux_cols: aux,
                    secret: s.clone(),
                    kind: SecretKind::Auto,
                    tolerance: 0.05,
                    confidence: cx.confidence,
                    seed: a.params.seed,
                },
                &cx.watch(),
            )?;
            let label = format!("inference of {s}");
            if let Some(c) = result.control_rate.filter(|c| c.value > 0.9) {
                out.notes.push(
                    Msg::new("note.control_inferable")
                        .arg("figure", crate::figures::figure_msg(&label))
                        .arg("share", format!("{:.0}", 100.0 * c.value))
                        .into(),
                );
            }
            out.runs.push(AttackRun::sampled(label, result));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn experts_try_more_query_shapes() {
        assert_eq!(
            singling_out_runs(1, Capability::Expert),
            [(Mode::Univariate, 1)]
        );
        assert_eq!(
            singling_out_runs(5, Capability::MotivatedIntruder),
            [(Mode::Multivariate, 3)]
        );
        assert_eq!(
            singling_out_runs(5, Capability::Expert),
            [
                (Mode::Multivariate, 3),
                (Mode::Univariate, 1),
                (Mode::Multivariate, 5)
            ]
        );
    }
}
