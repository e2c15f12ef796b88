//! `datavisa._datavisa`: the engine for Python. Data frames come in through the Arrow C stream
//! interface (pyarrow, polars, pandas through pyarrow) and become workflow `Frame`s; each
//! function is one `Workspace` call on them, its result the JSON the CLI prints, which the
//! package's Python layer turns into result objects. The GIL is released while the work runs;
//! Ctrl-C stops it at its next progress point.

use arrow_array::ffi_stream::{ArrowArrayStreamReader, FFI_ArrowArrayStream};
use arrow_array::RecordBatchReader;
use datavisa_workflow::frames::Frame;
use datavisa_workflow::{ErrorKind, Progress, Task, Workspace};
use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::PyCapsule;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

mod measures;
mod store;
mod text;
mod twins;

create_exception!(_datavisa, Error, PyException, "Any datavisa error.");
create_exception!(
    _datavisa,
    BadInput,
    Error,
    "The input cannot be used as given (the CLI's exit code 2)."
);
create_exception!(
    _datavisa,
    Refused,
    Error,
    "A rule refused the step (the CLI's exit code 3)."
);
create_exception!(
    _datavisa,
    Interrupted,
    Error,
    "Ctrl-C stopped the work; nothing was written."
);

/// A workflow error as the Python exception of its kind, with the CLI's message.
pub(crate) fn py_err(e: datavisa_workflow::Error) -> PyErr {
    match e.kind {
        ErrorKind::BadInput | ErrorKind::NotFound => BadInput::new_err(e.message),
        ErrorKind::Refused => Refused::new_err(e.message),
        ErrorKind::Cancelled => Interrupted::new_err(e.message),
        ErrorKind::Internal => Error::new_err(e.message),
    }
}

/// A data frame read once into datavisa's columnar form, reusable across calls.
#[pyclass(name = "Frame", module = "datavisa._datavisa", frozen)]
pub struct PyFrame {
    pub(crate) inner: Frame,
}

#[pymethods]
impl PyFrame {
    /// Rows.
    #[getter]
    fn rows(&self) -> usize {
        self.inner.rows()
    }

    /// Column names, in order.
    #[getter]
    fn columns(&self) -> Vec<String> {
        self.inner.column_names()
    }

    /// The name it is shown by in evidence and errors.
    #[getter]
    fn name(&self) -> String {
        self.inner.name().to_owned()
    }

    /// SHA-256 of its content (names, types and values), the evidence of what was measured.
    #[getter]
    fn sha256(&self) -> String {
        self.inner.sha256().to_owned()
    }

    fn __repr__(&self) -> String {
        format!(
            "Frame({:?}, rows={}, columns={})",
            self.inner.name(),
            self.inner.rows(),
            self.inner.column_names().len()
        )
    }
}

/// Reads an Arrow C stream capsule (`obj.__arrow_c_stream__()`) into a frame named `name`.
#[pyfunction]
fn read_stream(py: Python<'_>, capsule: &Bound<'_, PyCapsule>, name: &str) -> PyResult<PyFrame> {
    let reader = stream_reader(capsule)?;
    let schema = reader.schema();
    let name = name.to_owned();
    let frame = py
        .detach(move || Frame::from_batches(&name, &schema, reader))
        .map_err(py_err)?;
    Ok(PyFrame { inner: frame })
}

/// Takes the stream out of its capsule (the capsule's own stream is left released).
fn stream_reader(capsule: &Bound<'_, PyCapsule>) -> PyResult<ArrowArrayStreamReader> {
    let ptr = capsule
        .pointer_checked(Some(c"arrow_array_stream"))
        .map_err(|_| {
            BadInput::new_err("expected an Arrow C stream capsule (named arrow_array_stream)")
        })?
        .as_ptr() as *mut FFI_ArrowArrayStream;
    // SAFETY: the capsule is named as the Arrow PyCapsule interface requires, so it holds an
    // FFI_ArrowArrayStream; `from_raw` moves it out and leaves a released one behind, which the
    // capsule's destructor then ignores.
    unsafe { ArrowArrayStreamReader::from_raw(ptr) }
        .map_err(|e| BadInput::new_err(format!("the Arrow stream: {e}")))
}

/// Progress of work run from Python: nothing is shown; the work stops at its next progress
/// point once `stop` is set (by [`run_json`] at Ctrl-C).
struct Interruptible {
    stop: Arc<AtomicBool>,
}

struct Silent;
impl Task for Silent {}

impl Progress for Interruptible {
    fn spinner(&self, _: &str) -> Box<dyn Task> {
        Box::new(Silent)
    }
    fn bar(&self, _: u64, _: &str) -> Box<dyn Task> {
        Box::new(Silent)
    }
    fn cancelled(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }
}

/// The workspace every function runs in (no store: the measures need none) and the flag that
/// stops its work.
pub(crate) fn workspace(frames: &[&Frame]) -> PyResult<(Workspace, Arc<AtomicBool>)> {
    let ws = Workspace::open(".datavisa", "python").map_err(py_err)?;
    Ok(interruptible(ws.with_frames(frames)))
}

/// `ws` showing no progress and stopping at its next progress point once the returned flag
/// is set.
pub(crate) fn interruptible(ws: Workspace) -> (Workspace, Arc<AtomicBool>) {
    let stop = Arc::new(AtomicBool::new(false));
    let ws = ws.with_progress(Arc::new(Interruptible { stop: stop.clone() }));
    (ws, stop)
}

/// How often the calling thread looks for Ctrl-C while the work runs.
const SIGNAL_POLL: std::time::Duration = std::time::Duration::from_millis(25);

/// Runs `work` on a thread of its own without the GIL, while the calling thread (the one
/// Python delivers signals to) looks for Ctrl-C and sets `stop` when it comes; then turns the
/// typed result into the CLI's JSON text. A stopped run is `Interrupted`.
pub(crate) fn run_json<T: serde::Serialize + Send>(
    py: Python<'_>,
    stop: &AtomicBool,
    work: impl FnOnce() -> datavisa_workflow::Result<T> + Send,
) -> PyResult<String> {
    let out = run(py, stop, work)?;
    serde_json::to_string(&out).map_err(|e| Error::new_err(e.to_string()))
}

/// [`run_json`]'s run, handing back the typed result itself.
pub(crate) fn run<T: Send>(
    py: Python<'_>,
    stop: &AtomicBool,
    work: impl FnOnce() -> datavisa_workflow::Result<T> + Send,
) -> PyResult<T> {
    let out = py.detach(|| {
        std::thread::scope(|s| {
            // The worker wakes the caller when it is done, so no call waits out a poll.
            let caller = std::thread::current();
            let worker = s.spawn(move || {
                let out = work();
                caller.unpark();
                out
            });
            while !worker.is_finished() {
                std::thread::park_timeout(SIGNAL_POLL);
                if !stop.load(Ordering::Relaxed) && Python::attach(|py| py.check_signals().is_err())
                {
                    stop.store(true, Ordering::Relaxed);
                }
            }
            worker.join()
        })
    });
    out.map_err(|_| Error::new_err("the engine panicked; the work was abandoned"))?
        .map_err(py_err)
}

/// The version of the engine (the workspace's).
#[pyfunction]
fn version() -> String {
    datavisa_workflow::tool().version
}

#[pymodule]
fn _datavisa(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("Error", py.get_type::<Error>())?;
    m.add("BadInput", py.get_type::<BadInput>())?;
    m.add("Refused", py.get_type::<Refused>())?;
    m.add("Interrupted", py.get_type::<Interrupted>())?;
    m.add_class::<PyFrame>()?;
    m.add_function(wrap_pyfunction!(read_stream, m)?)?;
    m.add_function(wrap_pyfunction!(version, m)?)?;
    m.add_function(wrap_pyfunction!(text::encode_text, m)?)?;
    measures::register(m)?;
    store::register(m)?;
    twins::register(m)?;
    Ok(())
}
