//! Synthetic twins with differential privacy: MST and AIM over a public (or DP-estimated) domain,
//! zCDP accounting with a budget ledger, Private-PGM estimation and randomised-rounding sampling.
//! Every privacy-relevant input is either declared in the spec or paid for and reported.

pub mod aim;
pub mod data;
pub mod domain;
pub mod factor;
pub mod junction;
pub mod model;
pub mod mst;
pub mod noise;
pub mod privacy;
pub mod sample;
pub mod suggest;

use crate::error::{invalid, Result};
use data::SecretData;
use datavisa_table::{Column, Spec, Table};
use domain::{Attribute, Dropped};
use model::{FitStats, Model};
use mst::Compression;
use privacy::Budget;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use serde::Serialize;
use serde_json::{json, Value};
use std::time::Instant;

/// Progress of a long fit, shown by the caller (a no-op is fine), and the caller's way to stop
/// it (a cancelled job).
pub trait Progress: Sync {
    /// A new phase of `len` steps.
    fn phase(&self, name: &str, len: u64);
    /// `n` steps done.
    fn advance(&self, n: u64);
    /// Whether the fit should stop: asked between measurements, AIM rounds, every
    /// [`model::STOP_EVERY`] fit iterations and between generated columns; the fit then ends
    /// with [`TwinError::Cancelled`](crate::TwinError::Cancelled) and nothing is made.
    fn stopped(&self) -> bool {
        false
    }
}

/// A cancelled error when `progress` says stop.
pub(crate) fn check_stop(progress: &dyn Progress) -> Result<()> {
    if progress.stopped() {
        return Err(crate::error::TwinError::Cancelled);
    }
    Ok(())
}

/// Progress that shows nothing.
pub struct Silent;

impl Progress for Silent {
    fn phase(&self, _: &str, _: u64) {}
    fn advance(&self, _: u64) {}
}

/// A fitted model and what it took.
pub struct Fitted {
    pub model: Model,
    /// Per attribute (None = not compressed).
    pub compressions: Vec<Option<Compression>>,
    pub cliques: Vec<Vec<usize>>,
    pub measurements: usize,
    pub fit: FitStats,
    pub rounds: Vec<Value>,
}

/// Which mechanism makes the twin.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    Mst,
    Aim,
}

/// Everything a synthetic twin is made from, besides the data.
#[derive(Clone, Debug, Serialize)]
pub struct SynthParams {
    pub method: Method,
    pub epsilon: f64,
    pub delta: f64,
    /// Rows to generate (None = the noisy estimate of the source's size).
    pub rows: Option<usize>,
    /// Seed of every random step (None = fresh operating-system entropy, not recorded).
    pub seed: Option<u64>,
    /// Estimate undeclared domains with DP instead of refusing.
    pub dp_domain: bool,
    /// Share of rho spent on domain estimation when some domain is estimated.
    pub domain_share: f64,
    /// The share of a column's values an estimated domain must cover; below it the run says
    /// which column lost how much (the twin is still written).
    pub min_domain_coverage: f64,
    /// Columns whose domain is declared from a public list given on the command line
    /// (`--domain-from COLUMN=FILE`), over what the spec says.
    pub domain_lists: Vec<DomainList>,
    /// Columns left out.
    pub drop: Vec<String>,
    pub mst: mst::MstOptions,
    pub aim: aim::AimOptions,
}

impl Default for SynthParams {
    fn default() -> Self {
        SynthParams {
            method: Method::Mst,
            epsilon: 1.0,
            delta: 1e-9,
            rows: None,
            seed: None,
            dp_domain: false,
            domain_share: 0.1,
            min_domain_coverage: 0.9,
            domain_lists: Vec::new(),
            drop: Vec::new(),
            mst: Default::default(),
            aim: Default::default(),
        }
    }
}

/// A synthetic twin, its manifest body, and warnings meant for the operator only (they describe
/// the real data, so they never go into the manifest).
pub struct Synthesized {
    pub twin: Table,
    pub report: Value,
    pub operator_warnings: Vec<String>,
    /// Columns whose DP-estimated domain covers less of their values than asked.
    pub domain_losses: Vec<DomainLoss>,
}

/// A column whose domain, estimated with differential privacy, left out many of its values
/// (they come out missing in the twin).
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
pub struct DomainLoss {
    pub column: String,
    /// Share of the column's present values outside the estimated domain.
    pub share_lost: f64,
    /// Values outside it.
    pub values_lost: usize,
    /// A public list to declare instead, when one holds enough of the column's values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suggestion: Option<suggest::DomainSuggestion>,
}

/// A column's categories from a public list, one value a line (`--domain-from COLUMN=FILE`).
#[derive(Clone, Debug, Serialize)]
pub struct DomainList {
    pub column: String,
    /// The file it was read from.
    pub file: String,
    pub values: Vec<String>,
}

/// The spec with each list's column declared to hold exactly the list's values.
fn with_lists(spec: &Spec, table: &Table, lists: &[DomainList]) -> Result<Spec> {
    let mut spec = spec.clone();
    for l in lists {
        table.index_of(&l.column)?;
        let domain = toml::Spanned::new(
            0..0,
            datavisa_table::DomainSpec {
                categories: Some(l.values.clone()),
                ..Default::default()
            },
        );
        match spec
            .columns
            .iter_mut()
            .find(|c| c.name.get_ref() == &l.column)
        {
            Some(c) => c.domain = Some(domain),
            None => {
                let mut c = datavisa_table::spec::column_spec(&l.column);
                c.domain = Some(domain);
                spec.columns.push(c);
            }
        }
    }
    Ok(spec)
}

fn check(params: &SynthParams) -> Result<()> {
    if !(params.epsilon.is_finite() && params.epsilon > 0.0) {
        return Err(invalid(format!(
            "--epsilon must be positive, not {}",
            params.epsilon
        )));
    }
    if !(params.delta > 0.0 && params.delta < 1e-3) {
        return Err(invalid(format!(
            "--delta must be in (0, 0.001), not {}; a common choice is below 1/n^1.5",
            params.delta
        )));
    }
    if !(params.domain_share > 0.0 && params.domain_share < 1.0) {
        return Err(invalid("--domain-share must be in (0, 1)"));
    }
    if !(0.0..=1.0).contains(&params.min_domain_coverage) {
        return Err(invalid(format!(
            "--min-domain-coverage {} must be in [0, 1]",
            params.min_domain_coverage
        )));
    }
    if params.rows == Some(0) {
        return Err(invalid("--rows must be at least 1"));
    }
    Ok(())
}

/// Makes a synthetic twin of `table` under the domains of `spec`.
pub fn synthesize(
    table: &Table,
    spec: &Spec,
    params: &SynthParams,
    progress: &dyn Progress,
) -> Result<Synthesized> {
    check(params)?;
    let started = Instant::now();
    let mut rng = match params.seed {
        Some(s) => ChaCha20Rng::seed_from_u64(s),
        None => ChaCha20Rng::from_os_rng(),
    };
    let spec = &with_lists(spec, table, &params.domain_lists)?;
    let (planned, dropped) = domain::plan(spec, table, &params.drop, params.dp_domain)?;
    let (_, n_cat) = domain::needs_estimate(&planned);
    let delta_threshold = if n_cat > 0 { params.delta / 2.0 } else { 0.0 };
    let mut budget = Budget::new(params.epsilon, params.delta, delta_threshold)?;
    let attributes = domain::complete(planned, table, &mut budget, params.domain_share, &mut rng)?;
    let mut warnings = Vec::new();
    let mut domain_losses = Vec::new();
    let mut columns = Vec::with_capacity(attributes.len());
    for a in &attributes {
        let col = table.column(&a.column)?;
        let (codes, outside) = a.encode(col)?;
        if let Some(loss) = domain_loss(a, col, outside, params.min_domain_coverage) {
            domain_losses.push(loss);
        }
        if outside > 0 {
            warnings.push(format!(
                "{outside} value(s) of {:?} are outside its declared domain and were treated as missing",
                a.column
            ));
        }
        columns.push(codes);
    }
    check_stop(progress)?;
    let sizes: Vec<usize> = attributes.iter().map(Attribute::size).collect();
    let mut data = SecretData::new(columns, sizes);
    let prepared = started.elapsed().as_secs_f64();
    let fitted = match params.method {
        Method::Mst => mst::mst(&mut data, &mut budget, &params.mst, &mut rng, progress)?,
        Method::Aim => aim::aim(&data, &mut budget, &params.aim, &mut rng, progress)?,
    };
    drop(data);
    let fit_seconds = started.elapsed().as_secs_f64() - prepared;
    let rows = params
        .rows
        .unwrap_or(fitted.model.total.round().max(1.0) as usize);
    check_stop(progress)?;
    progress.phase("sampling rows", 1);
    let codes = sample::sample(&fitted.model, rows, &mut rng, &|| progress.stopped())?;
    let mut out_cols = Vec::with_capacity(attributes.len());
    for ((a, c), comp) in attributes.iter().zip(codes).zip(&fitted.compressions) {
        check_stop(progress)?;
        let c: Vec<u32> = match comp {
            Some(comp) => c.iter().map(|&x| comp.expand(x, &mut rng)).collect(),
            None => c,
        };
        out_cols.push(a.decode(&c, &mut rng));
    }
    progress.advance(1);
    let twin = Table::new(out_cols)?;
    let mut report = manifest(
        params,
        &budget,
        &attributes,
        &dropped,
        &fitted,
        rows,
        [prepared, fit_seconds, started.elapsed().as_secs_f64()],
    );
    if !domain_losses.is_empty() {
        // Exact counts of the real data, not noised: the manifest stays in-country with the
        // source (it also holds the seed), so the operator can see what the domain cost.
        report["domain_coverage"] = json!({
            "min_coverage": params.min_domain_coverage,
            "losses": domain_losses,
            "note": "exact shares of the source's values outside a DP-estimated domain (not differentially private): keep this manifest in-country; declare these columns' domains in the spec from public knowledge (a suggestion names its public source) or with --domain-from COLUMN=FILE",
        });
    }
    Ok(Synthesized {
        twin,
        report,
        operator_warnings: warnings,
        domain_losses,
    })
}

/// The loss of a column whose domain was estimated with DP, when it covers less than `min`
/// of the column's present values.
fn domain_loss(a: &Attribute, col: &Column, outside: usize, min: f64) -> Option<DomainLoss> {
    if !matches!(a.source, domain::DomainSource::DifferentialPrivacy { .. }) || outside == 0 {
        return None;
    }
    let present = col.len() - col.missing_count();
    let share_lost = outside as f64 / present.max(1) as f64;
    (1.0 - share_lost < min).then(|| DomainLoss {
        column: a.column.clone(),
        share_lost,
        values_lost: outside,
        suggestion: match a.cells {
            domain::Cells::Categories { .. } => {
                suggest::suggest(&a.column, &col.value_counts(), min)
            }
            _ => None,
        },
    })
}

fn manifest(
    params: &SynthParams,
    budget: &Budget,
    attributes: &[Attribute],
    dropped: &[Dropped],
    fitted: &Fitted,
    rows: usize,
    times: [f64; 3],
) -> Value {
    let names: Vec<&str> = attributes.iter().map(|a| a.column.as_str()).collect();
    let named = |c: &[usize]| c.iter().map(|&i| names[i]).collect::<Vec<_>>();
    let domains: Vec<Value> = attributes
        .iter()
        .zip(&fitted.compressions)
        .map(|(a, comp)| {
            let mut v = serde_json::to_value(a).unwrap_or(Value::Null);
            v["cells_with_missing"] = json!(a.size());
            v["compressed_to"] = match comp {
                Some(c) => json!(c.kept.len() + 1),
                None => Value::Null,
            };
            v
        })
        .collect();
    let method_params = match params.method {
        Method::Mst => serde_json::to_value(&params.mst),
        Method::Aim => serde_json::to_value(&params.aim),
    }
    .unwrap_or(Value::Null);
    json!({
        "kind": "synthetic_twin",
        "method": params.method,
        "parameters": {
            "epsilon": params.epsilon,
            "delta": params.delta,
            "rows": params.rows,
            "dp_domain": params.dp_domain,
            "domain_share": params.domain_share,
            "domain_from": params.domain_lists.iter().map(|l| json!({"column": l.column, "file": l.file, "values": l.values.len()})).collect::<Vec<_>>(),
            "method": method_params,
        },
        "privacy": {
            "definition": "(epsilon, delta)-differential privacy under add/remove-one-row neighbours, accounted in zero-concentrated DP (rho), converted with Canonne-Kamath-Steinke 2020",
            "epsilon": budget.epsilon,
            "delta": budget.delta,
            "delta_threshold": budget.delta_threshold,
            "rho": budget.rho,
            "rho_spent": budget.spent(),
            "ledger": budget.charges,
            "noise": "discrete Gaussian (Canonne-Kamath-Steinke 2020, exact rational arithmetic, sigma rounded up); exponential mechanism by exact rejection on a score grid",
        },
        "seed": params.seed,
        "randomness": match params.seed {
            Some(_) => "ChaCha20 seeded with the recorded seed: the noise can be reproduced by anyone holding this manifest, so keep it with the source, in-country, and never ship it with the twin",
            None => "ChaCha20 seeded from operating-system entropy, not recorded: the run cannot be reproduced, by design",
        },
        "columns": domains,
        "dropped": dropped,
        "model": {
            "cliques": fitted.cliques.iter().map(|c| named(c)).collect::<Vec<_>>(),
            "junction_tree": fitted.model.jt.cliques.iter().map(|c| named(&c.attrs)).collect::<Vec<_>>(),
            "junction_tree_cells": fitted.model.jt.cells(),
            "measurements": fitted.measurements,
            "estimated_rows": fitted.model.total,
            "fit": fitted.fit,
            "rounds": fitted.rounds.iter().map(|r| {
                let mut r = r.clone();
                if let Some(c) = r["clique"].as_array() {
                    let idx: Vec<usize> = c.iter().filter_map(|x| x.as_u64().map(|x| x as usize)).collect();
                    r["clique"] = json!(named(&idx));
                }
                r
            }).collect::<Vec<_>>(),
        },
        "rows": rows,
        "timings_seconds": {"prepare": times[0], "fit": times[1], "total": times[2]},
    })
}
