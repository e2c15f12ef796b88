//! Attacks, classic risk and utility of stored tables, as jobs: the fields of `datavisa attack`,
//! `datavisa risk` and `datavisa utility`, with stored tables named by their hashes in place of
//! files, and the same defaults. The results are what those commands print as JSON.

use crate::jobs::{submit, Accepted, JobView};
use crate::problem::{ApiError, Problem};
use crate::routes::Acting;
use crate::state::{blocking, AppState};
use axum::extract::State;
use axum::{Extension, Json};
use datavisa_workflow::attack::{AttackKind, AttackRequest, RiskRequest, UtilityRequest};
use datavisa_workflow::risk::{ClassicParams, Denominator, Mode, SecretKind};
use datavisa_workflow::{Error, ReadRequest, Workspace};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

/// Which attack a job runs.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum AttackName {
    /// Queries that isolate one source record.
    SinglingOut,
    /// Joining two external data sets through the twin.
    Linkability,
    /// Guessing a secret column from known ones.
    Inference,
}

impl AttackName {
    /// Its name in requests.
    fn as_str(self) -> &'static str {
        match self {
            AttackName::SinglingOut => "singling_out",
            AttackName::Linkability => "linkability",
            AttackName::Inference => "inference",
        }
    }
}

/// How singling-out queries are built.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum QueryMode {
    /// One column per query.
    Univariate,
    /// Several columns per query (the default).
    Multivariate,
}

/// What the singling-out rates divide by.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RateDenominator {
    /// Queries actually found (corrected; the default).
    Generated,
    /// The requested number of attacks (Anonymeter 1.1.0).
    Requested,
}

/// How an inferred secret is judged.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SecretType {
    /// From the column's type (the default).
    Auto,
    /// Exact match.
    Categorical,
    /// Within the tolerance.
    Numeric,
}

/// An attack on a stored twin (the fields of `datavisa attack`).
#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttackBody {
    /// singling_out, linkability or inference.
    pub attack: AttackName,
    /// The release attacked: a stored twin's or dataset's SHA-256.
    pub twin: String,
    /// The stored source dataset's SHA-256.
    pub source: String,
    /// A stored dataset of people not in the twin, for the control attack.
    pub control: Option<String>,
    /// The spec (TOML text): column types and roles.
    pub spec: Option<String>,
    /// Attacks to run (500).
    pub n_attacks: Option<usize>,
    /// Confidence level of the intervals (0.95).
    pub confidence: Option<f64>,
    /// Seed of every random draw (0).
    pub seed: Option<u64>,
    /// Singling out: univariate or multivariate (default).
    pub mode: Option<QueryMode>,
    /// Singling out: columns per multivariate query (3).
    pub n_cols: Option<usize>,
    /// Singling out: candidate queries tried before giving up (10000000).
    pub max_attempts: Option<u64>,
    /// Singling out: generated (default) or requested.
    pub denominator: Option<RateDenominator>,
    /// Linkability: columns of the first external data set.
    #[serde(default)]
    pub aux_a: Vec<String>,
    /// Linkability: columns of the second external data set.
    #[serde(default)]
    pub aux_b: Vec<String>,
    /// Linkability: neighbours that count as a link (1).
    pub n_neighbors: Option<usize>,
    /// Inference: the column to infer.
    pub secret: Option<String>,
    /// Inference: columns the attacker knows (every other twin column when empty).
    #[serde(default)]
    pub aux: Vec<String>,
    /// Inference: auto (default), categorical or numeric.
    pub secret_kind: Option<SecretType>,
    /// Inference: numeric guesses within this share of the true value count (0.05).
    pub tolerance: Option<f64>,
}

impl AttackBody {
    /// The fields set that belong to another attack than the one named.
    fn foreign_fields(&self) -> Vec<&'static str> {
        let singling = [
            ("mode", self.mode.is_some()),
            ("n_cols", self.n_cols.is_some()),
            ("max_attempts", self.max_attempts.is_some()),
            ("denominator", self.denominator.is_some()),
        ];
        let linking = [
            ("aux_a", !self.aux_a.is_empty()),
            ("aux_b", !self.aux_b.is_empty()),
            ("n_neighbors", self.n_neighbors.is_some()),
        ];
        let inferring = [
            ("secret", self.secret.is_some()),
            ("aux", !self.aux.is_empty()),
            ("secret_kind", self.secret_kind.is_some()),
            ("tolerance", self.tolerance.is_some()),
        ];
        let foreign: Vec<&[(&'static str, bool)]> = match self.attack {
            AttackName::SinglingOut => vec![&linking, &inferring],
            AttackName::Linkability => vec![&singling, &inferring],
            AttackName::Inference => vec![&singling, &linking],
        };
        foreign
            .into_iter()
            .flatten()
            .filter(|(_, set)| *set)
            .map(|(name, _)| *name)
            .collect()
    }

    /// The workflow's attack, with the CLI's defaults.
    fn kind(&self) -> datavisa_workflow::Result<AttackKind> {
        Ok(match self.attack {
            AttackName::SinglingOut => AttackKind::SinglingOut {
                mode: match self.mode.unwrap_or(QueryMode::Multivariate) {
                    QueryMode::Univariate => Mode::Univariate,
                    QueryMode::Multivariate => Mode::Multivariate,
                },
                n_cols: self.n_cols.unwrap_or(3),
                max_attempts: self.max_attempts.unwrap_or(10_000_000),
                denominator: match self.denominator.unwrap_or(RateDenominator::Generated) {
                    RateDenominator::Generated => Denominator::Generated,
                    RateDenominator::Requested => Denominator::Requested,
                },
                keep_queries: false,
            },
            AttackName::Linkability => AttackKind::Linkability {
                aux_a: self.aux_a.clone(),
                aux_b: self.aux_b.clone(),
                n_neighbors: self.n_neighbors.unwrap_or(1),
            },
            AttackName::Inference => AttackKind::Inference {
                secret: self
                    .secret
                    .clone()
                    .ok_or_else(|| Error::bad_input("an inference attack needs a secret column"))?,
                aux: self.aux.clone(),
                kind: match self.secret_kind.unwrap_or(SecretType::Auto) {
                    SecretType::Auto => SecretKind::Auto,
                    SecretType::Categorical => SecretKind::Categorical,
                    SecretType::Numeric => SecretKind::Numeric,
                },
                tolerance: self.tolerance.unwrap_or(0.05),
            },
        })
    }
}

/// Classic risk of a stored table (the fields of `datavisa risk`).
#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RiskBody {
    /// The table measured: a stored twin's or dataset's SHA-256.
    pub table: String,
    /// Quasi-identifiers.
    pub quasi: Vec<String>,
    /// Sensitive columns, for l-diversity and t-closeness.
    #[serde(default)]
    pub sensitive: Vec<String>,
    /// Report the records in classes smaller than k.
    pub k: Option<u64>,
    /// Record risk above which a record counts as at risk (0.2).
    pub threshold: Option<f64>,
    /// A stored population dataset (a superset of the table) for journalist and marketer risk.
    pub population: Option<String>,
    /// Population size for population-uniqueness estimates.
    pub population_size: Option<f64>,
    /// l for the l-diversity checks.
    pub l: Option<f64>,
    /// c for recursive (c,l)-diversity.
    pub c: Option<f64>,
    /// t for the t-closeness checks.
    pub t: Option<f64>,
    /// The twin's stored source dataset: adds DCR, NNDR and exact copies.
    pub source: Option<String>,
    /// A stored holdout dataset not used for the twin (DCR baseline).
    pub holdout: Option<String>,
    /// Twin rows measured for the distances (10000).
    pub samples: Option<usize>,
    /// Seed of that sample (0).
    pub seed: Option<u64>,
    /// The spec (TOML text): column types.
    pub spec: Option<String>,
}

/// Utility of a stored twin against its stored source (the fields of `datavisa utility`).
#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UtilityBody {
    /// The stored twin's (or dataset's) SHA-256.
    pub twin: String,
    /// The stored source dataset's SHA-256.
    pub source: String,
    /// Random 2- and 3-way count queries in the workload (500).
    pub queries: Option<usize>,
    /// Seed of the workload (0).
    pub seed: Option<u64>,
    /// The spec (TOML text): column types.
    pub spec: Option<String>,
}

/// 404 unless every hash names a stored table.
pub(crate) async fn require_tables(a: &Acting, hashes: Vec<String>) -> Result<(), ApiError> {
    let ws = a.workspace.clone();
    blocking(move || hashes.iter().try_for_each(|h| ws.stored_table(h).map(drop))).await
}

/// Runs an attack on a stored twin, as a job; the result is what `datavisa attack … --format
/// json` prints.
#[utoipa::path(post, path = "/api/v1/attacks", tag = "measures", security(("bearer" = [])),
    request_body = AttackBody,
    responses((status = 202, body = JobView), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem), (status = 429, body = Problem)))]
pub async fn attack(
    State(st): State<AppState>,
    Extension(a): Extension<Acting>,
    Json(b): Json<AttackBody>,
) -> Result<Accepted, ApiError> {
    let foreign = b.foreign_fields();
    if !foreign.is_empty() {
        return Err(Error::bad_input(format!(
            "{} do not apply to a {} attack",
            foreign.join(", "),
            b.attack.as_str()
        ))
        .into());
    }
    b.kind()?;
    let tables = [Some(&b.twin), Some(&b.source), b.control.as_ref()];
    require_tables(&a, tables.into_iter().flatten().cloned().collect()).await?;
    let r = crate::jobs::request_of(&b)?;
    submit(&st, a, "attack", r).await
}

/// Measures the classic risk of a stored table, as a job; the result is what `datavisa risk
/// --format json` prints.
#[utoipa::path(post, path = "/api/v1/risk", tag = "measures", security(("bearer" = [])),
    request_body = RiskBody,
    responses((status = 202, body = JobView), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem), (status = 429, body = Problem)))]
pub async fn risk(
    State(st): State<AppState>,
    Extension(a): Extension<Acting>,
    Json(b): Json<RiskBody>,
) -> Result<Accepted, ApiError> {
    if b.quasi.is_empty() {
        return Err(Error::bad_input("name at least one quasi-identifier").into());
    }
    let tables = [
        Some(&b.table),
        b.population.as_ref(),
        b.source.as_ref(),
        b.holdout.as_ref(),
    ];
    require_tables(&a, tables.into_iter().flatten().cloned().collect()).await?;
    let r = crate::jobs::request_of(&b)?;
    submit(&st, a, "risk", r).await
}

/// Measures a stored twin's utility against its source, as a job; the result is what
/// `datavisa utility --format json` prints.
#[utoipa::path(post, path = "/api/v1/utility", tag = "measures", security(("bearer" = [])),
    request_body = UtilityBody,
    responses((status = 202, body = JobView), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem), (status = 429, body = Problem)))]
pub async fn utility(
    State(st): State<AppState>,
    Extension(a): Extension<Acting>,
    Json(b): Json<UtilityBody>,
) -> Result<Accepted, ApiError> {
    require_tables(&a, vec![b.twin.clone(), b.source.clone()]).await?;
    let r = crate::jobs::request_of(&b)?;
    submit(&st, a, "utility", r).await
}

/// Runs an attack job's request in `ws`.
pub(crate) fn run_attack(
    ws: &Workspace,
    b: AttackBody,
    read: ReadRequest,
) -> datavisa_workflow::Result<Value> {
    let req = AttackRequest {
        source: ws.stored_table(&b.source)?,
        twin: ws.stored_table(&b.twin)?,
        control: b
            .control
            .as_deref()
            .map(|c| ws.stored_table(c))
            .transpose()?,
        read,
        kind: b.kind()?,
        n_attacks: b.n_attacks.unwrap_or(500),
        confidence: b.confidence.unwrap_or(0.95),
        seed: b.seed.unwrap_or(0),
    };
    Ok(serde_json::to_value(ws.attack(&req)?)?)
}

/// Runs a risk job's request in `ws`.
pub(crate) fn run_risk(
    ws: &Workspace,
    b: RiskBody,
    read: ReadRequest,
) -> datavisa_workflow::Result<Value> {
    let table = |h: &Option<String>| h.as_deref().map(|h| ws.stored_table(h)).transpose();
    let req = RiskRequest {
        file: ws.stored_table(&b.table)?,
        params: ClassicParams {
            quasi: b.quasi,
            sensitive: b.sensitive,
            k: b.k,
            threshold: b.threshold.unwrap_or(0.2),
            population_size: b.population_size,
            l: b.l,
            c: b.c,
            t: b.t,
        },
        population: table(&b.population)?,
        source: table(&b.source)?,
        holdout: table(&b.holdout)?,
        samples: b.samples.unwrap_or(10_000),
        seed: b.seed.unwrap_or(0),
        read,
    };
    Ok(serde_json::to_value(ws.risk(&req)?)?)
}

/// Runs a utility job's request in `ws`.
pub(crate) fn run_utility(
    ws: &Workspace,
    b: UtilityBody,
    read: ReadRequest,
) -> datavisa_workflow::Result<Value> {
    let req = UtilityRequest {
        source: ws.stored_table(&b.source)?,
        twin: ws.stored_table(&b.twin)?,
        queries: b.queries.unwrap_or(500),
        seed: b.seed.unwrap_or(0),
        read,
    };
    Ok(serde_json::to_value(ws.utility(&req)?)?)
}
