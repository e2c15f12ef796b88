//! Twins from frames: generalized (hierarchies as ARX files or frames) and differentially
//! private synthetic (domains as a spec file or per column). Each is the CLI command's request
//! with a frame in place of the input file and the CLI's defaults; it hands back the manifest's
//! JSON (the CLI's `--format json` output when `out` writes the twin) and the twin's table,
//! which Python reads through the Arrow C stream interface.

use crate::measures::Models;
use crate::{run, workspace, BadInput, Error, PyFrame};
use arrow_array::ffi_stream::FFI_ArrowArrayStream;
use arrow_array::{RecordBatch, RecordBatchIterator};
use datavisa_workflow::frames::{record_batch, Frame, Table};
use datavisa_workflow::twins::{
    DomainSpec, Domains, GeneralizeRequest, Method, OutputRequest, SynthParams,
};
use datavisa_workflow::ReadRequest;
use pyo3::prelude::*;
use pyo3::types::PyCapsule;
use std::path::PathBuf;

/// A twin's table, read by pyarrow, polars or pandas through `__arrow_c_stream__`.
#[pyclass(name = "TwinTable", module = "datavisa._datavisa", frozen)]
pub struct PyTwinTable {
    batch: RecordBatch,
}

#[pymethods]
impl PyTwinTable {
    /// Rows.
    #[getter]
    fn rows(&self) -> usize {
        self.batch.num_rows()
    }

    /// Column names, in order.
    #[getter]
    fn columns(&self) -> Vec<String> {
        let schema = self.batch.schema();
        schema.fields().iter().map(|f| f.name().clone()).collect()
    }

    /// The table as an Arrow C stream (the Arrow PyCapsule interface); a requested schema is
    /// not applied: the twin comes in its own types (text, Int64, Float64, Date32, Timestamp).
    #[pyo3(signature = (requested_schema = None))]
    fn __arrow_c_stream__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        let _ = requested_schema;
        let reader = RecordBatchIterator::new([Ok(self.batch.clone())], self.batch.schema());
        let stream = FFI_ArrowArrayStream::new(Box::new(reader));
        // The capsule owns the stream; a consumer moves it out and leaves a released one, which
        // dropping then ignores.
        PyCapsule::new_with_value(py, stream, c"arrow_array_stream")
    }

    fn __repr__(&self) -> String {
        format!(
            "TwinTable(rows={}, columns={})",
            self.batch.num_rows(),
            self.batch.num_columns()
        )
    }
}

/// The JSON of a twin's result and its table for Python.
fn handed_back<T: serde::Serialize>(result: &T, table: &Table) -> PyResult<(String, PyTwinTable)> {
    let json = serde_json::to_string(result).map_err(|e| Error::new_err(e.to_string()))?;
    let batch = record_batch(table).map_err(crate::py_err)?;
    Ok((json, PyTwinTable { batch }))
}

/// `COLUMN=FILE` flags of the hierarchies: files as given, frames by their paths.
fn hierarchy_flags(
    files: Vec<(String, String)>,
    frames: &[(String, PyRef<'_, PyFrame>)],
) -> Vec<String> {
    let frames = frames
        .iter()
        .map(|(c, f)| (c.clone(), f.inner.path().display().to_string()));
    files
        .into_iter()
        .chain(frames)
        .map(|(c, f)| format!("{c}={f}"))
        .collect()
}

/// Makes a generalized twin of a frame: the best transformation satisfying the models
/// (`datavisa twin generalize`). Hierarchies are ARX files (`hierarchy_files`) or frames laid out
/// as one (`hierarchy_frames`: the value, then one column per level). With `out` the twin and its
/// manifest are written as the CLI writes them.
#[pyfunction]
#[pyo3(signature = (frame, quasi, models, sensitive = Vec::new(), hierarchy_files = Vec::new(),
    hierarchy_frames = Vec::new(), metric = "loss".to_owned(), search = "auto".to_owned(),
    max_checks = 2000, time_limit = 60.0, out = None))]
#[allow(clippy::too_many_arguments)]
fn generalize(
    py: Python<'_>,
    frame: &PyFrame,
    quasi: Vec<String>,
    models: Models,
    sensitive: Vec<String>,
    hierarchy_files: Vec<(String, String)>,
    hierarchy_frames: Vec<(String, PyRef<'_, PyFrame>)>,
    metric: String,
    search: String,
    max_checks: usize,
    time_limit: f64,
    out: Option<PathBuf>,
) -> PyResult<(String, PyTwinTable)> {
    let mut frames: Vec<&Frame> = vec![&frame.inner];
    frames.extend(hierarchy_frames.iter().map(|(_, f)| &f.inner));
    let (ws, stop) = workspace(&frames)?;
    let req = GeneralizeRequest {
        input: frame.inner.path(),
        output: out.clone().unwrap_or_default(),
        read: ReadRequest::default(),
        quasi,
        sensitive,
        hierarchy: hierarchy_flags(hierarchy_files, &hierarchy_frames),
        models: models.into(),
        metric,
        search,
        max_checks,
        time_limit,
        output_format: OutputRequest::default(),
    };
    match out {
        Some(_) => {
            let (written, twin) = run(py, &stop, move || ws.generalize_keeping(&req))?;
            handed_back(&written, &twin)
        }
        None => {
            let made = run(py, &stop, move || ws.generalize_in_memory(&req))?;
            handed_back(&made, &made.table)
        }
    }
}

/// The public domains: a spec file, or each column's domain as JSON text of a spec's
/// `domain = { … }` (categories, min, max, bins, edges, decimals).
fn domains(spec: Option<PathBuf>, columns: Vec<(String, String)>) -> PyResult<Domains> {
    match (spec, columns.is_empty()) {
        (Some(p), true) => Ok(Domains::Spec(p)),
        (None, false) => columns
            .into_iter()
            .map(|(column, text)| {
                let d: DomainSpec = serde_json::from_str(&text)
                    .map_err(|e| BadInput::new_err(format!("domain of column {column:?}: {e}")))?;
                Ok((column, d))
            })
            .collect::<PyResult<_>>()
            .map(Domains::Columns),
        _ => Err(BadInput::new_err(
            "give domain= a spec file or a dict of each column's domain",
        )),
    }
}

/// Makes a differentially private synthetic twin of a frame over public domains
/// (`datavisa twin synthesize`); with `out` the twin and its manifest are written as the CLI
/// writes them. The warnings about the real data come third, as the CLI shows them.
#[pyfunction]
#[pyo3(signature = (frame, epsilon, domain_spec = None, domain_columns = Vec::new(),
    method = "mst", delta = 1e-9, rows = None, seed = None, dp_domain = false, drop = Vec::new(),
    iterations = None, out = None))]
#[allow(clippy::too_many_arguments)]
fn synthesize(
    py: Python<'_>,
    frame: &PyFrame,
    epsilon: f64,
    domain_spec: Option<PathBuf>,
    domain_columns: Vec<(String, String)>,
    method: &str,
    delta: f64,
    rows: Option<usize>,
    seed: Option<u64>,
    dp_domain: bool,
    drop: Vec<String>,
    iterations: Option<usize>,
    out: Option<PathBuf>,
) -> PyResult<(String, PyTwinTable, Vec<String>)> {
    let method = match method {
        "mst" => Method::Mst,
        "aim" => Method::Aim,
        other => {
            return Err(BadInput::new_err(format!(
                "method {other:?}: use mst or aim"
            )))
        }
    };
    let mut params = SynthParams {
        method,
        epsilon,
        delta,
        rows,
        seed,
        dp_domain,
        drop,
        ..Default::default()
    };
    if let Some(i) = iterations {
        params.mst.iterations = i;
        params.aim.final_iterations = i;
    }
    let domains = domains(domain_spec, domain_columns)?;
    let (ws, stop) = workspace(&[&frame.inner])?;
    let input = frame.inner.path();
    // The operator's warnings describe the real data: the caller sees them, the manifest never.
    let (json, table, warnings) = match out {
        Some(out) => {
            let (written, twin) = run(py, &stop, move || {
                ws.synthesize_to(&input, &domains, &params, &out)
            })?;
            let (json, table) = handed_back(&written, &twin)?;
            (json, table, written.operator_warnings)
        }
        None => {
            let made = run(py, &stop, move || {
                ws.synthesize_in_memory(&input, &domains, &params)
            })?;
            let (json, table) = handed_back(&made, &made.written.table)?;
            (json, table, made.operator_warnings)
        }
    };
    Ok((json, table, warnings))
}

/// Adds the twins to the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyTwinTable>()?;
    m.add_function(wrap_pyfunction!(generalize, m)?)?;
    m.add_function(wrap_pyfunction!(synthesize, m)?)?;
    Ok(())
}
