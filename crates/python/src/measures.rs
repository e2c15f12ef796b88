//! The measures on frames: inspect, scan, classic risk, privacy-model checks, the three
//! attacks and utility. Each is the CLI command's request with frames in place of files and
//! the CLI's defaults; its JSON is the command's `--format json` output.

use crate::{run_json, workspace, PyFrame};
use datavisa_workflow::attack::{AttackKind, AttackRequest, RiskRequest, UtilityRequest};
use datavisa_workflow::inspect::{InspectRequest, ScanRequest};
use datavisa_workflow::risk::{ClassicParams, Denominator, Mode, SecretKind};
use datavisa_workflow::twins::{CheckRequest, ModelChoice};
use datavisa_workflow::{ReadRequest, ScanOptions};
use pyo3::prelude::*;

/// Profiles a frame's columns: types, missing shares, top values.
#[pyfunction]
#[pyo3(signature = (frame, top = 5))]
fn inspect(py: Python<'_>, frame: &PyFrame, top: usize) -> PyResult<String> {
    let (ws, stop) = workspace(&[&frame.inner])?;
    let req = InspectRequest {
        file: frame.inner.path(),
        read: ReadRequest::default(),
        top,
    };
    run_json(py, &stop, move || ws.inspect(&req).map(|(i, _)| i))
}

/// Finds personal information and sensitive categories, column by column, with evidence.
#[pyfunction]
#[pyo3(signature = (frame, sample = None, seed = 0))]
fn scan(py: Python<'_>, frame: &PyFrame, sample: Option<usize>, seed: u64) -> PyResult<String> {
    let (ws, stop) = workspace(&[&frame.inner])?;
    let mut options = ScanOptions {
        seed,
        ..ScanOptions::default()
    };
    if let Some(s) = sample {
        options.sample_size = s;
    }
    let req = ScanRequest {
        file: frame.inner.path(),
        read: ReadRequest::default(),
        write_spec: None,
        options,
    };
    run_json(py, &stop, move || ws.scan(&req))
}

/// Classic re-identification risk on the quasi-identifiers (the fields of `datavisa risk`).
#[pyfunction]
#[pyo3(signature = (frame, quasi, sensitive = Vec::new(), k = None, threshold = 0.2,
    population = None, population_size = None, l = None, c = None, t = None, source = None,
    holdout = None, samples = 10_000, seed = 0))]
#[allow(clippy::too_many_arguments)]
fn risk(
    py: Python<'_>,
    frame: &PyFrame,
    quasi: Vec<String>,
    sensitive: Vec<String>,
    k: Option<u64>,
    threshold: f64,
    population: Option<PyRef<'_, PyFrame>>,
    population_size: Option<f64>,
    l: Option<f64>,
    c: Option<f64>,
    t: Option<f64>,
    source: Option<PyRef<'_, PyFrame>>,
    holdout: Option<PyRef<'_, PyFrame>>,
    samples: usize,
    seed: u64,
) -> PyResult<String> {
    let extra: Vec<&PyFrame> = [&population, &source, &holdout]
        .into_iter()
        .flatten()
        .map(|f| &**f)
        .collect();
    let mut frames = vec![&frame.inner];
    frames.extend(extra.iter().map(|f| &f.inner));
    let (ws, stop) = workspace(&frames)?;
    let path = |f: &Option<PyRef<'_, PyFrame>>| f.as_ref().map(|f| f.inner.path());
    let req = RiskRequest {
        file: frame.inner.path(),
        params: ClassicParams {
            quasi,
            sensitive,
            k,
            threshold,
            population_size,
            l,
            c,
            t,
        },
        population: path(&population),
        source: path(&source),
        holdout: path(&holdout),
        samples,
        seed,
        read: ReadRequest::default(),
    };
    run_json(py, &stop, move || ws.risk(&req))
}

/// Checks a table as it is against k-anonymity, l-diversity and t-closeness.
#[pyfunction]
#[pyo3(signature = (frame, quasi, models, sensitive = Vec::new()))]
fn check(
    py: Python<'_>,
    frame: &PyFrame,
    quasi: Vec<String>,
    models: Models,
    sensitive: Vec<String>,
) -> PyResult<String> {
    let (ws, stop) = workspace(&[&frame.inner])?;
    let req = CheckRequest {
        file: frame.inner.path(),
        quasi,
        sensitive,
        models: models.into(),
        read: ReadRequest::default(),
    };
    run_json(py, &stop, move || ws.check(&req))
}

/// The privacy models as the Python layer hands them over: a dict keyed by the CLI's flag names
/// (`k`, `l`, `l_variant`, `c`, `t`, `t_distance`, `avg_risk`, `suppression`).
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
pub(crate) struct Models {
    k: Option<u64>,
    l: Option<f64>,
    l_variant: String,
    c: f64,
    t: Option<f64>,
    t_distance: String,
    avg_risk: Option<f64>,
    suppression: f64,
}

impl From<Models> for ModelChoice {
    fn from(m: Models) -> ModelChoice {
        ModelChoice {
            k: m.k,
            l: m.l,
            l_variant: m.l_variant,
            c: m.c,
            t: m.t,
            t_distance: m.t_distance,
            avg_risk: m.avg_risk,
            suppression: m.suppression,
        }
    }
}

/// The frames of an attack and its common parameters.
struct Attack<'a> {
    source: &'a PyFrame,
    twin: &'a PyFrame,
    control: Option<&'a PyFrame>,
    n_attacks: usize,
    confidence: f64,
    seed: u64,
}

impl Attack<'_> {
    fn run(&self, py: Python<'_>, kind: AttackKind) -> PyResult<String> {
        let mut frames = vec![&self.source.inner, &self.twin.inner];
        frames.extend(self.control.map(|c| &c.inner));
        let (ws, stop) = workspace(&frames)?;
        let req = AttackRequest {
            source: self.source.inner.path(),
            twin: self.twin.inner.path(),
            control: self.control.map(|c| c.inner.path()),
            read: ReadRequest::default(),
            kind,
            n_attacks: self.n_attacks,
            confidence: self.confidence,
            seed: self.seed,
        };
        run_json(py, &stop, move || ws.attack(&req))
    }
}

/// Can a query isolate one source record? (`datavisa attack singling-out`)
#[pyfunction]
#[pyo3(signature = (source, twin, control = None, n_attacks = 500, confidence = 0.95, seed = 0,
    mode = "multivariate", n_cols = 3, max_attempts = 10_000_000, denominator = "generated",
    keep_queries = false))]
#[allow(clippy::too_many_arguments)]
fn singling_out(
    py: Python<'_>,
    source: &PyFrame,
    twin: &PyFrame,
    control: Option<PyRef<'_, PyFrame>>,
    n_attacks: usize,
    confidence: f64,
    seed: u64,
    mode: &str,
    n_cols: usize,
    max_attempts: u64,
    denominator: &str,
    keep_queries: bool,
) -> PyResult<String> {
    let mode = match mode {
        "univariate" => Mode::Univariate,
        "multivariate" => Mode::Multivariate,
        other => {
            return Err(crate::BadInput::new_err(format!(
                "mode {other:?}: use univariate or multivariate"
            )))
        }
    };
    let denominator = match denominator {
        "generated" => Denominator::Generated,
        "requested" => Denominator::Requested,
        other => {
            return Err(crate::BadInput::new_err(format!(
                "denominator {other:?}: use generated or requested"
            )))
        }
    };
    let a = Attack {
        source,
        twin,
        control: control.as_deref(),
        n_attacks,
        confidence,
        seed,
    };
    a.run(
        py,
        AttackKind::SinglingOut {
            mode,
            n_cols,
            max_attempts,
            denominator,
            keep_queries,
        },
    )
}

/// Can two data sets holding different columns be joined through the twin?
/// (`datavisa attack linkability`)
#[pyfunction]
#[pyo3(signature = (source, twin, aux_a, aux_b, control = None, n_attacks = 500,
    confidence = 0.95, seed = 0, n_neighbors = 1))]
#[allow(clippy::too_many_arguments)]
fn linkability(
    py: Python<'_>,
    source: &PyFrame,
    twin: &PyFrame,
    aux_a: Vec<String>,
    aux_b: Vec<String>,
    control: Option<PyRef<'_, PyFrame>>,
    n_attacks: usize,
    confidence: f64,
    seed: u64,
    n_neighbors: usize,
) -> PyResult<String> {
    let a = Attack {
        source,
        twin,
        control: control.as_deref(),
        n_attacks,
        confidence,
        seed,
    };
    a.run(
        py,
        AttackKind::Linkability {
            aux_a,
            aux_b,
            n_neighbors,
        },
    )
}

/// Can a secret column be guessed from columns the attacker knows? (`datavisa attack inference`)
#[pyfunction]
#[pyo3(signature = (source, twin, secret, aux = Vec::new(), control = None, n_attacks = 500,
    confidence = 0.95, seed = 0, secret_kind = "auto", tolerance = 0.05))]
#[allow(clippy::too_many_arguments)]
fn inference(
    py: Python<'_>,
    source: &PyFrame,
    twin: &PyFrame,
    secret: String,
    aux: Vec<String>,
    control: Option<PyRef<'_, PyFrame>>,
    n_attacks: usize,
    confidence: f64,
    seed: u64,
    secret_kind: &str,
    tolerance: f64,
) -> PyResult<String> {
    let kind = match secret_kind {
        "auto" => SecretKind::Auto,
        "categorical" => SecretKind::Categorical,
        "numeric" => SecretKind::Numeric,
        other => {
            return Err(crate::BadInput::new_err(format!(
                "secret_kind {other:?}: use auto, categorical or numeric"
            )))
        }
    };
    let a = Attack {
        source,
        twin,
        control: control.as_deref(),
        n_attacks,
        confidence,
        seed,
    };
    a.run(
        py,
        AttackKind::Inference {
            secret,
            aux,
            kind,
            tolerance,
        },
    )
}

/// How well a twin keeps its source's distributions, associations and counts.
#[pyfunction]
#[pyo3(signature = (source, twin, queries = 500, seed = 0))]
fn utility(
    py: Python<'_>,
    source: &PyFrame,
    twin: &PyFrame,
    queries: usize,
    seed: u64,
) -> PyResult<String> {
    let (ws, stop) = workspace(&[&source.inner, &twin.inner])?;
    let req = UtilityRequest {
        source: source.inner.path(),
        twin: twin.inner.path(),
        queries,
        seed,
        read: ReadRequest::default(),
    };
    run_json(py, &stop, move || ws.utility(&req))
}

/// Adds the measures to the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(inspect, m)?)?;
    m.add_function(wrap_pyfunction!(scan, m)?)?;
    m.add_function(wrap_pyfunction!(risk, m)?)?;
    m.add_function(wrap_pyfunction!(check, m)?)?;
    m.add_function(wrap_pyfunction!(singling_out, m)?)?;
    m.add_function(wrap_pyfunction!(linkability, m)?)?;
    m.add_function(wrap_pyfunction!(inference, m)?)?;
    m.add_function(wrap_pyfunction!(utility, m)?)?;
    Ok(())
}
