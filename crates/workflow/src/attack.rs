//! Attacks, classic risk and utility: read the tables as the recipient would get them, run the
//! measurement from the `risk` crate, and return it with the evidence of its inputs.

use crate::error::{Error, Result};
use crate::evidence::{tool, InputEvidence, Tool};
use crate::read::{load, ReadRequest};
use crate::workspace::{TaskGuard, Workspace};
use datavisa_risk::classic::{classic_risk_watched, ClassicParams, ClassicReport};
use datavisa_risk::distance::{distances_watched, DistanceReport};
use datavisa_risk::inference::{inference, InferenceParams, SecretKind};
use datavisa_risk::linkability::{linkability, LinkabilityParams};
use datavisa_risk::singling_out::{singling_out_watched, Denominator, Mode, SinglingOutParams};
use datavisa_risk::utility::{utility, UtilityReport};
use datavisa_risk::{prepare, stop_when, AttackResult, Prepared, Watch, Watcher};
use datavisa_table::Table;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Where an attack's tables came from.
#[derive(Clone, Debug, Serialize)]
pub struct AttackEvidence {
    /// The source the twin was made from.
    pub source: InputEvidence,
    /// The twin attacked.
    pub twin: InputEvidence,
    /// The control set (people not in the twin).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub control: Option<InputEvidence>,
    /// Source columns the twin does not carry (left out of the attack).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub source_columns_not_in_twin: Vec<String>,
}

/// The tables an attack compares, prepared with shared dictionaries, with their evidence.
pub struct Inputs {
    /// Source, twin and control on one encoding.
    pub data: Prepared,
    /// Where they came from.
    pub evidence: AttackEvidence,
}

/// Prepares tables already read, with their evidence.
pub fn inputs_of(
    ws: &Workspace,
    (source, s): (&Path, &Table),
    (twin, t): (&Path, &Table),
    control: Option<(&Path, &Table)>,
) -> Result<Inputs> {
    let source_ev = ws.evidence_of(source, s)?;
    let twin_ev = ws.evidence_of(twin, t)?;
    let control_ev = control.map(|(p, c)| ws.evidence_of(p, c)).transpose()?;
    let data = prepare(s, t, control.map(|c| c.1))?;
    Ok(Inputs {
        evidence: AttackEvidence {
            source: source_ev,
            twin: twin_ev,
            control: control_ev,
            source_columns_not_in_twin: data.dropped.clone(),
        },
        data,
    })
}

/// Which attack, with its own parameters.
#[derive(Clone, Debug)]
pub enum AttackKind {
    /// Queries that match exactly one person.
    SinglingOut {
        /// One column per query, or several.
        mode: Mode,
        /// Columns per multivariate query.
        n_cols: usize,
        /// Most queries tried.
        max_attempts: u64,
        /// What the success rate divides by.
        denominator: Denominator,
        /// Record every successful query, not only a sample (Anonymeter's `queries()`).
        keep_queries: bool,
    },
    /// Joining two halves of what the recipient knows through the twin.
    Linkability {
        /// The first half.
        aux_a: Vec<String>,
        /// The second half.
        aux_b: Vec<String>,
        /// Neighbours that count as a link.
        n_neighbors: usize,
    },
    /// Guessing a secret column from the others.
    Inference {
        /// The secret.
        secret: String,
        /// What the attacker knows; every other twin column when empty.
        aux: Vec<String>,
        /// Categorical or numeric secret.
        kind: SecretKind,
        /// How close a numeric guess must be.
        tolerance: f64,
    },
}

/// An attack on a twin.
#[derive(Clone, Debug)]
pub struct AttackRequest {
    /// The source.
    pub source: PathBuf,
    /// The twin.
    pub twin: PathBuf,
    /// People not in the twin, for the control attack.
    pub control: Option<PathBuf>,
    /// How to read the three.
    pub read: ReadRequest,
    /// Which attack.
    pub kind: AttackKind,
    /// Attacks to run.
    pub n_attacks: usize,
    /// Confidence of the interval.
    pub confidence: f64,
    /// Seed of every random draw.
    pub seed: u64,
}

/// An attack's result with its evidence.
#[derive(Clone, Debug, Serialize)]
pub struct Attacked {
    /// Rates, risk and its interval.
    #[serde(flatten)]
    pub result: AttackResult,
    /// Where the tables came from.
    pub inputs: AttackEvidence,
    /// The tool that measured it.
    pub tool: Tool,
}

/// Classic risk of a table, and distances when it is a twin of a source.
#[derive(Clone, Debug)]
pub struct RiskRequest {
    /// The table measured.
    pub file: PathBuf,
    /// Quasi-identifiers, sensitive columns and thresholds.
    pub params: ClassicParams,
    /// A population table for population uniqueness.
    pub population: Option<PathBuf>,
    /// The twin's source, for distance checks.
    pub source: Option<PathBuf>,
    /// A holdout not used to make the twin.
    pub holdout: Option<PathBuf>,
    /// Twin rows sampled for the distances.
    pub samples: usize,
    /// Seed of the sample.
    pub seed: u64,
    /// How to read the tables.
    pub read: ReadRequest,
}

/// How long a risk measurement took.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct RiskSeconds {
    /// Reading the table.
    pub read: f64,
    /// Measuring it.
    pub risk: f64,
}

/// Where a risk measurement's tables came from.
#[derive(Clone, Debug, Serialize)]
pub struct RiskInputs {
    /// The table measured.
    pub file: InputEvidence,
    /// The population table.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub population: Option<InputEvidence>,
    /// The tables the distances compare.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance_inputs: Option<AttackEvidence>,
}

/// Classic risk with its evidence.
#[derive(Clone, Debug, Serialize)]
pub struct RiskMeasured {
    /// k, prosecutor, journalist and marketer risk, l and t.
    #[serde(flatten)]
    pub report: ClassicReport,
    /// How long it took.
    pub seconds: RiskSeconds,
    /// Distances to the source (and holdout).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance: Option<DistanceReport>,
    /// Where the tables came from.
    pub inputs: RiskInputs,
    /// The tool that measured it.
    pub tool: Tool,
}

/// Utility of a twin against its source.
#[derive(Clone, Debug)]
pub struct UtilityRequest {
    /// The source.
    pub source: PathBuf,
    /// The twin.
    pub twin: PathBuf,
    /// Workload queries.
    pub queries: usize,
    /// Seed of the workload.
    pub seed: u64,
    /// How to read both.
    pub read: ReadRequest,
}

/// Utility with its evidence.
#[derive(Clone, Debug, Serialize)]
pub struct UtilityMeasured {
    /// Column, pair and workload scores.
    #[serde(flatten)]
    pub report: UtilityReport,
    /// Where the tables came from.
    pub inputs: AttackEvidence,
    /// Columns of a synthetic twin that its DP-estimated domain emptied (from its manifest):
    /// their scores say how much, this says why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub domain_losses: Vec<datavisa_twin::synth::DomainLoss>,
    /// The tool that measured it.
    pub tool: Tool,
}

/// The part of a synthetic twin's manifest that says what its estimated domains left out.
#[derive(serde::Deserialize)]
struct CoverageOf {
    domain_coverage: Option<Coverage>,
}

#[derive(serde::Deserialize)]
struct Coverage {
    losses: Vec<datavisa_twin::synth::DomainLoss>,
}

/// The domain losses a synthetic twin's manifest records, if one lies beside it.
fn domain_losses_of(twin: &Path) -> Vec<datavisa_twin::synth::DomainLoss> {
    let mut p = twin.as_os_str().to_owned();
    p.push(".manifest.json");
    std::fs::read_to_string(PathBuf::from(p))
        .ok()
        .and_then(|t| serde_json::from_str::<CoverageOf>(&t).ok())
        .and_then(|m| m.domain_coverage)
        .map(|c| c.losses)
        .unwrap_or_default()
}

impl Workspace {
    /// Reads source, twin and optional control and prepares them for an attack.
    pub fn attack_inputs(
        &self,
        source: &Path,
        twin: &Path,
        control: Option<&Path>,
        read: &ReadRequest,
    ) -> Result<Inputs> {
        let (s, _) = load(self, source, read)?;
        let (t, _) = load(self, twin, read)?;
        let c = control
            .map(|c| load(self, c, read))
            .transpose()?
            .map(|x| x.0);
        inputs_of(self, (source, &s), (twin, &t), control.zip(c.as_ref()))
    }

    /// Runs one attack on a twin.
    pub fn attack(&self, req: &AttackRequest) -> Result<Attacked> {
        let inputs =
            self.attack_inputs(&req.source, &req.twin, req.control.as_deref(), &req.read)?;
        let result = self.run_attack(&inputs.data, req)?;
        Ok(Attacked {
            result,
            inputs: inputs.evidence,
            tool: tool(),
        })
    }

    /// A watch that stops a measurement when the workspace's progress sink says so.
    fn stop_watch(&self) -> impl Watch + '_ {
        stop_when(|| self.progress().cancelled())
    }

    /// A watch that moves `task`'s bar and stops when the progress sink says so.
    fn watch_bar<'a>(&'a self, task: &'a TaskGuard) -> impl Watch + 'a {
        Watcher {
            advance: |n: usize| task.advance(n as u64),
            stop: || self.progress().cancelled(),
        }
    }

    fn run_attack(&self, data: &Prepared, req: &AttackRequest) -> Result<AttackResult> {
        let (n_attacks, confidence, seed) = (req.n_attacks, req.confidence, req.seed);
        let n_sets = 1 + data.control.is_some() as usize;
        let per_set = n_attacks.min(data.source.n_rows);
        let out = match req.kind.clone() {
            AttackKind::SinglingOut {
                mode,
                n_cols,
                max_attempts,
                denominator,
                keep_queries,
            } => {
                let _task = self.spinner("singling out");
                let params = SinglingOutParams {
                    n_attacks,
                    n_cols,
                    mode,
                    max_attempts,
                    confidence,
                    seed,
                    denominator,
                    keep_duplicates: false,
                    keep_queries,
                };
                singling_out_watched(data, &params, &self.stop_watch())
            }
            AttackKind::Linkability {
                aux_a,
                aux_b,
                n_neighbors,
            } => {
                let task = self.bar((2 * n_sets * per_set) as u64, "linkability");
                let params = LinkabilityParams {
                    n_attacks,
                    aux_a,
                    aux_b,
                    n_neighbors,
                    confidence,
                    seed,
                };
                let watch = self.watch_bar(&task);
                linkability(data, &params, &watch).and_then(|o| o.full_result())
            }
            AttackKind::Inference {
                secret,
                aux,
                kind,
                tolerance,
            } => {
                let aux_cols = if aux.is_empty() {
                    data.twin
                        .column_names()
                        .into_iter()
                        .filter(|n| *n != secret)
                        .collect()
                } else {
                    aux
                };
                let task = self.bar((n_sets * per_set) as u64, "inference");
                let params = InferenceParams {
                    n_attacks,
                    aux_cols,
                    secret,
                    kind,
                    tolerance,
                    confidence,
                    seed,
                };
                let watch = self.watch_bar(&task);
                inference(data, &params, &watch)
            }
        };
        Ok(out?)
    }

    /// Classic risk of a table, and distance checks when it is a twin of `source`.
    pub fn risk(&self, req: &RiskRequest) -> Result<RiskMeasured> {
        if req.holdout.is_some() && req.source.is_none() {
            return Err(Error::bad_input(
                "--holdout needs --source (the twin's training data)",
            ));
        }
        let (t, read_s) = load(self, &req.file, &req.read)?;
        let pop = req
            .population
            .as_deref()
            .map(|p| load(self, p, &req.read))
            .transpose()?
            .map(|x| x.0);
        let t0 = Instant::now();
        let report = classic_risk_watched(&t, pop.as_ref(), &req.params, &self.stop_watch())?;
        let risk_s = t0.elapsed().as_secs_f64();
        let mut inputs = RiskInputs {
            file: self.evidence_of(&req.file, &t)?,
            population: req
                .population
                .as_deref()
                .zip(pop.as_ref())
                .map(|(p, pt)| self.evidence_of(p, pt))
                .transpose()?,
            distance_inputs: None,
        };
        let mut distance = None;
        if let Some(src) = &req.source {
            // The file measured above is the twin: it is not read again.
            let (s, _) = load(self, src, &req.read)?;
            let h = req
                .holdout
                .as_deref()
                .map(|h| load(self, h, &req.read))
                .transpose()?
                .map(|x| x.0);
            let Inputs { data, evidence } = inputs_of(
                self,
                (src, &s),
                (&req.file, &t),
                req.holdout.as_deref().zip(h.as_ref()),
            )?;
            distance = Some(distances_watched(
                &data,
                req.samples,
                req.seed,
                &self.stop_watch(),
            )?);
            inputs.distance_inputs = Some(evidence);
        }
        Ok(RiskMeasured {
            report,
            seconds: RiskSeconds {
                read: read_s,
                risk: risk_s,
            },
            distance,
            inputs,
            tool: tool(),
        })
    }

    /// Utility of a twin against its source.
    pub fn utility(&self, req: &UtilityRequest) -> Result<UtilityMeasured> {
        let Inputs { data, evidence } =
            self.attack_inputs(&req.source, &req.twin, None, &req.read)?;
        let report = utility(&data, req.queries, req.seed)?;
        Ok(UtilityMeasured {
            report,
            inputs: evidence,
            domain_losses: domain_losses_of(&req.twin),
            tool: tool(),
        })
    }
}
