//! Jobs: the long use cases (twins, assessments, large scans) run by a bounded pool of worker
//! threads behind a bounded queue. A submission answers `202 Accepted` with the job and its
//! `Location`; the job's record (state, stage, fraction, result or problem) is in the store, so
//! that a restart loses none (see `datavisa_workflow::jobs`); its events stream as SSE.
//! Cancellation sets the job's flag, which its progress sink answers as `cancelled`: the
//! workspace asks it before each stage and the engines ask it inside their work (between batches
//! of attack targets and queries, assessment looks, MST measurements, AIM rounds, every few fit
//! iterations, generated columns and lattice node batches), so a running job stops within a
//! small bounded amount of work, ends `cancelled` and writes nothing.

use crate::problem::{ApiError, Problem};
use crate::routes::Acting;
use crate::state::{blocking, AppState};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::{Extension, Json};
use datavisa_workflow::jobs::{Job, JobEnd, JobState};
use datavisa_workflow::users::Role;
use datavisa_workflow::workspace::{Progress, Task};
use datavisa_workflow::{Error, ErrorKind, Origin, ReadRequest, Workspace};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use utoipa::ToSchema;

/// How many workers run jobs and how many jobs may wait.
#[derive(Clone, Copy, Debug)]
pub struct PoolSize {
    /// Worker threads.
    pub workers: usize,
    /// Jobs that may wait for a worker; one more submission is 429.
    pub queue: usize,
    /// Test hook (`DATAVISA_TEST_HOLD_JOBS=1`): a running job waits at its first progress point
    /// until it is cancelled, so that tests can hold a worker without timing.
    pub hold: bool,
    /// How long a shutdown waits for running jobs to reach a progress point and stop.
    pub grace: std::time::Duration,
}

impl Default for PoolSize {
    fn default() -> Self {
        PoolSize {
            workers: 2,
            queue: 16,
            hold: false,
            grace: std::time::Duration::from_secs(10),
        }
    }
}

/// One progress event of a job, as the SSE stream sends it.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct JobEvent {
    /// The state.
    pub state: JobState,
    /// The stage.
    pub stage: String,
    /// The share done, 0 to 1.
    pub fraction: f64,
}

/// What the server knows of a job it runs, beyond its record: the cancel flag and every event
/// so far (so that a client subscribing late still sees the whole progress).
struct Live {
    cancel: AtomicBool,
    /// Whether the job still holds a place in the pool (released once).
    counted: AtomicBool,
    events: Mutex<Vec<JobEvent>>,
    changed: tokio::sync::watch::Sender<usize>,
}

impl Live {
    fn push(&self, e: JobEvent) {
        let mut ev = self.events.lock().unwrap_or_else(|p| p.into_inner());
        if ev.last() == Some(&e) {
            return;
        }
        ev.push(e);
        self.changed.send_replace(ev.len());
    }
}

/// The pool: the queue, the jobs it knows live, and how many places are taken.
pub struct Pool {
    size: PoolSize,
    sender: std::sync::mpsc::Sender<String>,
    receiver: Mutex<Option<std::sync::mpsc::Receiver<String>>>,
    live: Mutex<HashMap<String, Arc<Live>>>,
    ended: Mutex<VecDeque<String>>,
    taken: Mutex<usize>,
    /// Set at shutdown: no job starts any more, and running ones stop at their next progress
    /// point, to be recorded as interrupted.
    stopping: AtomicBool,
    /// Jobs being run by a worker now, and the signal that one ended.
    running: Mutex<usize>,
    ended_one: std::sync::Condvar,
}

/// Jobs whose events are kept after they end, for late subscribers.
const KEPT_ENDED: usize = 256;

impl Pool {
    /// A pool of `size`; no worker runs until [`Pool::start`].
    pub fn new(size: PoolSize) -> Pool {
        let (sender, receiver) = std::sync::mpsc::channel();
        Pool {
            size,
            sender,
            receiver: Mutex::new(Some(receiver)),
            live: Mutex::new(HashMap::new()),
            ended: Mutex::new(VecDeque::new()),
            taken: Mutex::new(0),
            stopping: AtomicBool::new(false),
            running: Mutex::new(0),
            ended_one: std::sync::Condvar::new(),
        }
    }

    /// Shutdown: starts no more jobs, asks the running ones to stop at their next progress
    /// point and waits up to `grace` for them; whether they all stopped. What is left queued or
    /// running is then marked interrupted by [`Workspace::interrupt_jobs`], as after a crash.
    pub fn stop(&self, grace: std::time::Duration) -> bool {
        self.begin_stop();
        let deadline = std::time::Instant::now() + grace;
        let mut n = self.running.lock().unwrap_or_else(|p| p.into_inner());
        while *n > 0 {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                return false;
            }
            n = self
                .ended_one
                .wait_timeout(n, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
        true
    }

    /// The start of a shutdown: no job starts any more, running ones stop at their next
    /// progress point.
    pub fn begin_stop(&self) {
        self.stopping.store(true, Ordering::SeqCst);
    }

    /// How long a shutdown waits for running jobs.
    pub fn grace(&self) -> std::time::Duration {
        self.size.grace
    }

    fn stopping(&self) -> bool {
        self.stopping.load(Ordering::SeqCst)
    }

    /// Counts a job in or out of the running ones.
    fn count_running(&self, up: bool) {
        let mut n = self.running.lock().unwrap_or_else(|p| p.into_inner());
        if up {
            *n += 1;
        } else {
            *n = n.saturating_sub(1);
            self.ended_one.notify_all();
        }
    }

    /// Starts the worker threads on `state`'s workspace.
    pub fn start(state: &AppState) {
        let pool = state.pool();
        let Some(rx) = pool
            .receiver
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
        else {
            return;
        };
        let rx = Arc::new(Mutex::new(rx));
        for n in 0..pool.size.workers.max(1) {
            let rx = rx.clone();
            let st = state.clone();
            let _ = std::thread::Builder::new()
                .name(format!("job-worker-{n}"))
                .spawn(move || loop {
                    let next = rx.lock().unwrap_or_else(|p| p.into_inner()).recv();
                    match next {
                        // At shutdown a queued job stays queued, to be marked interrupted.
                        Ok(_) if st.pool().stopping() => return,
                        Ok(id) => run_one(&st, &id),
                        Err(_) => return,
                    }
                });
        }
    }

    fn live(&self, id: &str) -> Option<Arc<Live>> {
        self.live
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(id)
            .cloned()
    }

    /// Takes a place for a new job, or says the pool is full.
    fn take_place(&self) -> bool {
        let mut t = self.taken.lock().unwrap_or_else(|p| p.into_inner());
        if *t >= self.size.workers.max(1) + self.size.queue {
            return false;
        }
        *t += 1;
        true
    }

    fn release(&self, live: &Live) {
        if live.counted.swap(false, Ordering::SeqCst) {
            let mut t = self.taken.lock().unwrap_or_else(|p| p.into_inner());
            *t = t.saturating_sub(1);
        }
    }

    fn enqueue(&self, job: &Job) {
        let (tx, _) = tokio::sync::watch::channel(0);
        let live = Arc::new(Live {
            cancel: AtomicBool::new(false),
            counted: AtomicBool::new(true),
            events: Mutex::new(Vec::new()),
            changed: tx,
        });
        live.push(JobEvent {
            state: JobState::Queued,
            stage: String::new(),
            fraction: 0.0,
        });
        self.live
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(job.id.clone(), live);
        let _ = self.sender.send(job.id.clone());
    }

    fn forget_later(&self, id: &str) {
        let mut ended = self.ended.lock().unwrap_or_else(|p| p.into_inner());
        ended.push_back(id.to_owned());
        while ended.len() > KEPT_ENDED {
            if let Some(old) = ended.pop_front() {
                self.live
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .remove(&old);
            }
        }
    }
}

/// The progress sink of one running job: stages from spinners, fractions from bars, both
/// written to the job's record (when they change by a percent or more) and its events; the
/// cancel flag is its `cancelled` check.
struct JobProgress {
    id: String,
    live: Arc<Live>,
    /// The server, whose shutdown also stops the job.
    state: AppState,
    store: Workspace,
    hold: bool,
    /// Stages the job is expected to pass (its fraction is the share of them done).
    stages: f64,
    at: Mutex<Position>,
}

#[derive(Default)]
struct Position {
    stage_no: u64,
    stage: String,
    recorded: f64,
}

impl JobProgress {
    fn record(&self, stage_no: u64, within: f64, stage: &str) {
        let f = (((stage_no.max(1) - 1) as f64 + within.clamp(0.0, 1.0)) / self.stages).min(0.99);
        let mut at = self.at.lock().unwrap_or_else(|p| p.into_inner());
        if at.stage == stage && (f - at.recorded).abs() < 0.01 {
            return;
        }
        at.stage = stage.to_owned();
        at.recorded = f;
        drop(at);
        let _ = self.store.job_progress(&self.id, stage, f);
        self.live.push(JobEvent {
            state: JobState::Running,
            stage: stage.to_owned(),
            fraction: f,
        });
    }

    fn begin(&self, stage: &str) -> u64 {
        let n = {
            let mut at = self.at.lock().unwrap_or_else(|p| p.into_inner());
            at.stage_no += 1;
            at.stage_no
        };
        self.record(n, 0.0, stage);
        n
    }
}

struct JobTask {
    sink: Arc<JobProgress>,
    stage_no: u64,
    stage: String,
    len: u64,
    done: std::sync::atomic::AtomicU64,
}

impl Task for JobTask {
    fn advance(&self, n: u64) {
        let d = self.done.fetch_add(n, Ordering::Relaxed) + n;
        if self.len > 0 {
            self.sink
                .record(self.stage_no, d as f64 / self.len as f64, &self.stage);
        }
    }
}

/// The workspace's sink must be `'static`; it shares the job's sink.
struct Shared(Arc<JobProgress>);

impl Progress for Shared {
    fn spinner(&self, message: &str) -> Box<dyn Task> {
        self.bar(0, message)
    }
    fn bar(&self, len: u64, message: &str) -> Box<dyn Task> {
        let stage_no = self.0.begin(message);
        Box::new(JobTask {
            sink: self.0.clone(),
            stage_no,
            stage: message.to_owned(),
            len,
            done: Default::default(),
        })
    }
    fn cancelled(&self) -> bool {
        let stop = || self.0.live.cancel.load(Ordering::SeqCst) || self.0.state.pool().stopping();
        if self.0.hold {
            // Test hook: hold the worker here until the job is cancelled or the server stops.
            while !stop() {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
        }
        stop()
    }
}

/// Runs the job `id` on this worker thread, unless it was cancelled while queued.
fn run_one(st: &AppState, id: &str) {
    let pool = st.pool();
    let Some(live) = pool.live(id) else { return };
    let ws = st.workspace();
    let started = ws.start_job(id).unwrap_or(false);
    if !started {
        pool.release(&live);
        return;
    }
    pool.count_running(true);
    let end = match ws.job(id) {
        Ok(job) => {
            let sink = Arc::new(JobProgress {
                id: id.to_owned(),
                live: live.clone(),
                state: st.clone(),
                store: ws.clone(),
                hold: pool.size.hold,
                stages: stages_of(&job.kind),
                at: Mutex::new(Position::default()),
            });
            let acting = ws
                .acting(
                    job.submitter.clone(),
                    Some(Origin {
                        token_prefix: job.token_prefix.clone(),
                        request_id: format!("job:{id}"),
                    }),
                )
                .with_progress(Arc::new(Shared(sink)));
            let outcome =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| execute(&acting, &job)))
                    .unwrap_or_else(|_| Err(Error::internal("the job's work panicked")));
            let mut end = ending(outcome);
            if end.state == JobState::Cancelled
                && pool.stopping()
                && !live.cancel.load(Ordering::SeqCst)
            {
                // Stopped by the server's shutdown, not by its user: interrupted, as after a
                // crash, and resubmittable.
                end.state = JobState::Interrupted;
                end.problem = None;
            }
            if end.state != JobState::Succeeded {
                ws.discard_job_twin(id);
                // A job that made nothing keeps nothing; a finished one keeps its spec, which
                // its result names (an assessment's command re-runs it from there).
                let _ = std::fs::remove_dir_all(work_dir(ws, id));
            }
            end
        }
        Err(e) => ending(Err(e)),
    };
    if let Err(e) = ws.finish_job(id, &end) {
        tracing::error!(job = %id, error = %e.message, "could not record the job's end");
    }
    tracing::info!(job = %id, state = end.state.as_str(), "job ended");
    let fraction = if end.state == JobState::Succeeded {
        1.0
    } else {
        live.events
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .last()
            .map_or(0.0, |e| e.fraction)
    };
    live.push(JobEvent {
        state: end.state,
        stage: String::new(),
        fraction,
    });
    pool.release(&live);
    pool.forget_later(id);
    pool.count_running(false);
}

/// How a job's outcome is recorded: the result, or the problem the synchronous call would
/// have answered with.
fn ending(outcome: datavisa_workflow::Result<Value>) -> JobEnd {
    match outcome {
        Ok(v) => JobEnd {
            state: JobState::Succeeded,
            result: Some(v),
            problem: None,
        },
        Err(e) => {
            let state = if e.kind == ErrorKind::Cancelled {
                JobState::Cancelled
            } else {
                JobState::Failed
            };
            let a = ApiError::from(e);
            JobEnd {
                state,
                result: None,
                problem: Some(json!({
                    "type": a.kind.map_or("about:blank".to_owned(), |k| format!("/problems/{k}")),
                    "title": a.status.canonical_reason().unwrap_or(""),
                    "status": a.status.as_u16(),
                    "detail": a.detail,
                })),
            }
        }
    }
}

/// The stages a job of `kind` passes through its progress sink (reads, searches, attacks).
fn stages_of(kind: &str) -> f64 {
    match kind {
        "generalize" | "pseudonymize" | "scan" => 2.0,
        "synthesize" => 4.0,
        // Source, twin and control reads, then the attack.
        "attack" => 4.0,
        // The table and its population, source and holdout reads, then the measures.
        "risk" => 5.0,
        // Source and twin reads, then the scores.
        "utility" => 3.0,
        // Source, twin and control reads, the assessment, then its attacks.
        _ => 8.0,
    }
}

/// A job's room: its spec text as a file, kept when it succeeds, removed otherwise.
fn work_dir(ws: &Workspace, id: &str) -> std::path::PathBuf {
    ws.store().join("jobs").join(id)
}

/// Writes a job's spec text where the workflow reads specs from.
fn spec_file(
    ws: &Workspace,
    id: &str,
    text: &str,
) -> datavisa_workflow::Result<std::path::PathBuf> {
    let dir = work_dir(ws, id);
    std::fs::create_dir_all(&dir)
        .map_err(|e| Error::internal(format!("{}: {e}", dir.display())))?;
    let file = dir.join("spec.toml");
    datavisa_workflow::evidence::write_text(&file, text)?;
    Ok(file)
}

fn body<T: serde::de::DeserializeOwned>(job: &Job) -> datavisa_workflow::Result<T> {
    serde_json::from_value(job.request.clone())
        .map_err(|e| Error::bad_input(format!("the job's request: {e}")))
}

/// A twin's result: the workflow's, with the manifest's place given as the API's.
fn twin_result(w: &impl Serialize) -> datavisa_workflow::Result<Value> {
    let mut v = serde_json::to_value(w).map_err(|e| Error::internal(e.to_string()))?;
    if let Some(sha) = v["output"]["sha256"].as_str().map(str::to_owned) {
        v["manifest"] = json!(format!("/api/v1/twins/{sha}"));
    }
    Ok(v)
}

/// Runs the use case of `job` in `ws` (acting for its submitter, its progress to the job).
fn execute(ws: &Workspace, job: &Job) -> datavisa_workflow::Result<Value> {
    let read = |spec: Option<&str>| -> datavisa_workflow::Result<ReadRequest> {
        Ok(ReadRequest {
            spec: spec.map(|s| spec_file(ws, &job.id, s)).transpose()?,
            ..Default::default()
        })
    };
    match job.kind.as_str() {
        "generalize" => {
            let b: GeneralizeBody = body(job)?;
            let req = datavisa_workflow::twins::GeneralizeRequest {
                input: ws.stored_table(&b.dataset)?,
                output: ws.job_twin_file(&job.id)?,
                read: read(b.spec.as_deref())?,
                quasi: b.quasi,
                sensitive: b.sensitive,
                hierarchy: Vec::new(),
                models: datavisa_workflow::twins::ModelChoice {
                    k: b.k,
                    l: b.l,
                    l_variant: b.l_variant.unwrap_or_else(|| "distinct".into()),
                    c: b.c.unwrap_or(3.0),
                    t: b.t,
                    t_distance: b.t_distance.unwrap_or_else(|| "equal".into()),
                    avg_risk: b.avg_risk,
                    suppression: b.suppression.unwrap_or(0.0),
                },
                metric: b.metric.unwrap_or_else(|| "loss".into()),
                search: b.search.unwrap_or_else(|| "auto".into()),
                max_checks: b.max_checks.unwrap_or(2000),
                time_limit: b.time_limit.unwrap_or(60.0),
                output_format: datavisa_workflow::twins::OutputRequest {
                    delimiter: b.output_delimiter,
                    encoding: b.output_encoding,
                },
            };
            twin_result(&ws.generalize(&req)?)
        }
        "pseudonymize" => {
            let b: PseudonymizeBody = body(job)?;
            let req = datavisa_workflow::twins::PseudonymizeRequest {
                input: ws.stored_table(&b.dataset)?,
                output: ws.job_twin_file(&job.id)?,
                recipient: b.recipient,
                read: read(b.spec.as_deref())?,
                output_format: datavisa_workflow::twins::OutputRequest {
                    delimiter: b.output_delimiter,
                    encoding: b.output_encoding,
                },
            };
            twin_result(&ws.pseudonymize(&req)?)
        }
        "synthesize" => {
            let b: SynthesizeBody = body(job)?;
            let method = match b.method.as_deref().unwrap_or("mst") {
                "mst" => datavisa_workflow::twins::Method::Mst,
                "aim" => datavisa_workflow::twins::Method::Aim,
                other => {
                    return Err(Error::bad_input(format!(
                        "method {other:?}: use mst or aim"
                    )))
                }
            };
            let req = datavisa_workflow::twins::SynthesizeRequest {
                input: ws.stored_table(&b.dataset)?,
                output: ws.job_twin_file(&job.id)?,
                read: read(Some(&b.spec))?,
                params: datavisa_workflow::twins::SynthParams {
                    method,
                    epsilon: b.epsilon,
                    delta: b.delta.unwrap_or(1e-9),
                    rows: b.rows,
                    seed: b.seed,
                    dp_domain: b.dp_domain.unwrap_or(false),
                    ..Default::default()
                },
                domain_from: Vec::new(),
                output_format: datavisa_workflow::twins::OutputRequest {
                    delimiter: b.output_delimiter,
                    encoding: b.output_encoding,
                },
            };
            twin_result(&ws.synthesize(&req)?)
        }
        "assess" => {
            let b: AssessBody = body(job)?;
            let (twin, _) = ws.stored_twin(&b.twin)?.ok_or_else(|| {
                Error::bad_input(format!("no stored twin has the hash {:?}", b.twin))
            })?;
            let read = read(Some(&b.spec))?;
            let req = datavisa_workflow::assess::AssessRequest {
                spec: read.required_spec()?,
                twin,
                source: ws.stored_table(&b.source)?,
                recipient: b.recipient,
                control: b.control.map(|c| ws.stored_table(&c)).transpose()?,
                kind: b.kind,
                params: datavisa_workflow::verdict::AssessParams {
                    n_attacks: b.n_attacks.unwrap_or(500),
                    max_attacks: b.max_attacks.unwrap_or(16_000),
                    max_attempts: b.max_attempts.unwrap_or(2_000_000),
                    seed: b.seed.unwrap_or(0),
                    ..Default::default()
                },
                read,
                twin_read: ReadRequest::default(),
            };
            serde_json::to_value(ws.assess(&req)?).map_err(|e| Error::internal(e.to_string()))
        }
        "attack" => {
            let b: crate::measures::AttackBody = body(job)?;
            let r = read(b.spec.as_deref())?;
            crate::measures::run_attack(ws, b, r)
        }
        "risk" => {
            let b: crate::measures::RiskBody = body(job)?;
            let r = read(b.spec.as_deref())?;
            crate::measures::run_risk(ws, b, r)
        }
        "utility" => {
            let b: crate::measures::UtilityBody = body(job)?;
            let r = read(b.spec.as_deref())?;
            crate::measures::run_utility(ws, b, r)
        }
        "scan" => {
            let b: ScanJobBody = body(job)?;
            let s = crate::api::scan_now(ws, &b.dataset, b.scan)?;
            serde_json::to_value(s).map_err(|e| Error::internal(e.to_string()))
        }
        other => Err(Error::internal(format!("unknown job kind {other:?}"))),
    }
}

/// A generalized twin of a stored dataset (the fields of `datavisa generalize`; hierarchies
/// come from the spec's text only, since the server reads no client files).
#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GeneralizeBody {
    /// The stored dataset's SHA-256.
    pub dataset: String,
    /// The spec (TOML text): roles, types, hierarchies.
    pub spec: Option<String>,
    /// Quasi-identifiers (default: the spec's).
    #[serde(default)]
    pub quasi: Vec<String>,
    /// Sensitive columns (default: the spec's).
    #[serde(default)]
    pub sensitive: Vec<String>,
    /// k-anonymity.
    pub k: Option<u64>,
    /// l-diversity.
    pub l: Option<f64>,
    /// distinct (default), entropy or recursive.
    pub l_variant: Option<String>,
    /// c of recursive (c,l)-diversity (3).
    pub c: Option<f64>,
    /// t-closeness.
    pub t: Option<f64>,
    /// equal (default), ordered or hierarchical.
    pub t_distance: Option<String>,
    /// Average re-identification risk at most this.
    pub avg_risk: Option<f64>,
    /// Share of records that may be suppressed (0).
    pub suppression: Option<f64>,
    /// loss (default), precision, height, discernibility, aecs or entropy.
    pub metric: Option<String>,
    /// optimal, heuristic or auto (default).
    pub search: Option<String>,
    /// Heuristic search: nodes checked at most (2000).
    pub max_checks: Option<usize>,
    /// Heuristic search: seconds at most (60).
    pub time_limit: Option<f64>,
    /// The twin's delimiter (the source's when absent).
    pub output_delimiter: Option<String>,
    /// The twin's encoding (the source's when absent).
    pub output_encoding: Option<String>,
}

/// A pseudonymized twin of a stored dataset for one recipient, with the vault's keys.
#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PseudonymizeBody {
    /// The stored dataset's SHA-256.
    pub dataset: String,
    /// The recipient whose keys are used.
    pub recipient: String,
    /// The spec (TOML text): methods per column.
    pub spec: Option<String>,
    /// The twin's delimiter.
    pub output_delimiter: Option<String>,
    /// The twin's encoding.
    pub output_encoding: Option<String>,
}

/// A differentially private synthetic twin of a stored dataset.
#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SynthesizeBody {
    /// The stored dataset's SHA-256.
    pub dataset: String,
    /// The spec (TOML text) declaring the domains.
    pub spec: String,
    /// mst (default) or aim.
    pub method: Option<String>,
    /// Privacy budget epsilon (required).
    pub epsilon: f64,
    /// delta (1e-9).
    pub delta: Option<f64>,
    /// Rows to generate (the noisy estimate of the source's size).
    pub rows: Option<usize>,
    /// Seed (fresh entropy when absent).
    pub seed: Option<u64>,
    /// Estimate undeclared domains with DP.
    pub dp_domain: Option<bool>,
    /// The twin's delimiter.
    pub output_delimiter: Option<String>,
    /// The twin's encoding.
    pub output_encoding: Option<String>,
}

/// An assessment of a stored twin against its stored source, for one recipient (the fields of
/// `datavisa assess`).
#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssessBody {
    /// The stored twin's SHA-256.
    pub twin: String,
    /// The stored source dataset's SHA-256.
    pub source: String,
    /// The spec (TOML text): recipients, policy, roles.
    pub spec: String,
    /// Whose position it is judged from.
    pub recipient: String,
    /// A stored dataset of people not in the twin, for the control attacks.
    pub control: Option<String>,
    /// The twin's kind when it has no manifest.
    pub kind: Option<String>,
    /// Attacks at the first look (500).
    pub n_attacks: Option<usize>,
    /// Attacks at the last look (16000).
    pub max_attacks: Option<usize>,
    /// Singling-out search budget (2000000).
    pub max_attempts: Option<u64>,
    /// Seed (0).
    pub seed: Option<u64>,
}

/// A scan run as a job (a large dataset).
#[derive(Deserialize, Serialize)]
struct ScanJobBody {
    dataset: String,
    scan: crate::api::ScanBody,
}

/// A job as the API shows it: the record in the store.
#[derive(Serialize, ToSchema)]
pub struct JobView {
    /// Its id.
    pub id: String,
    /// generalize, pseudonymize, synthesize, assess or scan.
    pub kind: String,
    /// Who submitted it.
    pub submitter: String,
    /// queued, running, succeeded, failed, cancelled or interrupted.
    pub state: String,
    /// The stage it is at.
    pub stage: String,
    /// The share done, 0 to 1.
    pub fraction: f64,
    /// The use case's typed result, when it succeeded.
    #[schema(value_type = Option<Object>)]
    pub result: Option<Value>,
    /// The problem, when it failed or was cancelled.
    #[schema(value_type = Option<Object>)]
    pub problem: Option<Value>,
    /// The request as submitted.
    #[schema(value_type = Object)]
    pub request: Value,
    /// Submitted at (RFC 3339 UTC).
    pub created_at: String,
    /// Started at.
    pub started_at: Option<String>,
    /// Ended at.
    pub finished_at: Option<String>,
    /// The job made from this one by a resubmission.
    pub resubmitted_as: Option<String>,
}

impl From<Job> for JobView {
    fn from(j: Job) -> JobView {
        JobView {
            id: j.id,
            kind: j.kind,
            submitter: j.submitter,
            state: j.state.as_str().to_owned(),
            stage: j.stage,
            fraction: j.fraction,
            result: j.result,
            problem: j.problem,
            request: j.request,
            created_at: j.created_at,
            started_at: j.started_at,
            finished_at: j.finished_at,
            resubmitted_as: j.resubmitted_as,
        }
    }
}

/// The answer to a submission: 202 with the job and its `Location`.
pub type Accepted = (StatusCode, HeaderMap, Json<JobView>);

/// Stores and queues a job of `kind` for `request`, or 429 when the pool is full.
pub async fn submit(
    st: &AppState,
    a: Acting,
    kind: &'static str,
    request: Value,
) -> Result<Accepted, ApiError> {
    let pool = st.pool();
    if !pool.take_place() {
        return Err(full(pool.size));
    }
    let ws = a.workspace;
    let made = blocking(move || ws.submit_job(kind, request)).await;
    let job = match made {
        Ok(j) => j,
        Err(e) => {
            *pool.taken.lock().unwrap_or_else(|p| p.into_inner()) -= 1;
            return Err(e);
        }
    };
    pool.enqueue(&job);
    let mut h = HeaderMap::new();
    if let Ok(v) = HeaderValue::from_str(&format!("/api/v1/jobs/{}", job.id)) {
        h.insert(header::LOCATION, v);
    }
    Ok((StatusCode::ACCEPTED, h, Json(job.into())))
}

fn full(size: PoolSize) -> ApiError {
    ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "queue-full",
        format!(
            "the job queue is full ({} running, {} waiting): try again when a job has ended",
            size.workers.max(1),
            size.queue
        ),
    )
}

/// The job `id` if the caller may see it: their own, or any for an auditor; else 404 (a job
/// of another user is not shown to exist).
async fn visible(a: &Acting, id: String) -> Result<Job, ApiError> {
    let ws = a.workspace.clone();
    let wanted = id.clone();
    let job = blocking(move || Ok(ws.job(&wanted).ok())).await?;
    match job {
        Some(j) if j.submitter == a.caller.user || a.caller.roles.contains(&Role::Auditor) => Ok(j),
        _ => Err(ApiError::not_found(format!(
            "no job of yours has the id {id:?}"
        ))),
    }
}

/// The job's id in a path.
#[utoipa::path(get, path = "/api/v1/jobs/{id}", tag = "jobs", security(("bearer" = [])),
    params(("id" = String, Path, description = "The job's id")),
    responses((status = 200, body = JobView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn show_job(
    Extension(a): Extension<Acting>,
    Path(id): Path<String>,
) -> Result<Json<JobView>, ApiError> {
    Ok(Json(visible(&a, id).await?.into()))
}

/// The caller's jobs (every job for an auditor), oldest first.
#[utoipa::path(get, path = "/api/v1/jobs", tag = "jobs", security(("bearer" = [])),
    responses((status = 200, body = Vec<JobView>), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn list_jobs(Extension(a): Extension<Acting>) -> Result<Json<Vec<JobView>>, ApiError> {
    let mine = (!a.caller.roles.contains(&Role::Auditor)).then(|| a.caller.user.clone());
    let ws = a.workspace;
    let list = blocking(move || ws.jobs(mine.as_deref())).await?;
    Ok(Json(list.into_iter().map(JobView::from).collect()))
}

/// The job's progress as server-sent events (`event: progress`, data: state, stage and
/// fraction), from its first event; the stream ends after the job's end.
#[utoipa::path(get, path = "/api/v1/jobs/{id}/events", tag = "jobs", security(("bearer" = [])),
    params(("id" = String, Path, description = "The job's id")),
    responses((status = 200, description = "Server-sent events, one per change", content_type = "text/event-stream"),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn job_events(
    State(st): State<AppState>,
    Extension(a): Extension<Acting>,
    Path(id): Path<String>,
) -> Result<Sse<impl futures_util::Stream<Item = Result<Event, std::convert::Infallible>>>, ApiError>
{
    let job = visible(&a, id).await?;
    let live = st.pool().live(&job.id);
    let last = JobEvent {
        state: job.state,
        stage: job.stage.clone(),
        fraction: job.fraction,
    };
    let stream = futures_util::stream::unfold(
        (
            live.map(|l| (l.changed.subscribe(), l)),
            0usize,
            Some(last),
            false,
        ),
        |(mut live, mut sent, fallback, done)| async move {
            if done {
                return None;
            }
            let Some((rx, l)) = live.as_mut() else {
                // A job this server does not run (ended, or of an earlier run): its record.
                let e = fallback?;
                return Some((event(&e), (None, sent, None, false)));
            };
            loop {
                let next = l
                    .events
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .get(sent)
                    .cloned();
                if let Some(e) = next {
                    sent += 1;
                    let end = e.state.is_final();
                    return Some((event(&e), (live, sent, None, end)));
                }
                if rx.changed().await.is_err() {
                    return None;
                }
            }
        },
    );
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

fn event(e: &JobEvent) -> Result<Event, std::convert::Infallible> {
    Ok(Event::default()
        .event("progress")
        .data(serde_json::to_string(e).unwrap_or_default()))
}

/// Cancels a job (audited): a queued one never starts, a running one stops at its next
/// progress point, writing nothing. An ended job is 409.
#[utoipa::path(delete, path = "/api/v1/jobs/{id}", tag = "jobs", security(("bearer" = [])),
    params(("id" = String, Path, description = "The job's id")),
    responses((status = 202, body = JobView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn cancel_job(
    State(st): State<AppState>,
    Extension(a): Extension<Acting>,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<JobView>), ApiError> {
    let job = visible(&a, id).await?;
    let live = st.pool().live(&job.id);
    let ws = a.workspace.clone();
    let jid = job.id.clone();
    // The record first: a queued job marked cancelled there can no longer be started by a
    // worker; a running one then sees the flag at its next progress point.
    let queued = blocking(move || ws.cancel_job(&jid)).await?;
    if let Some(l) = &live {
        l.cancel.store(true, Ordering::SeqCst);
        if queued {
            st.pool().release(l);
            l.push(JobEvent {
                state: JobState::Cancelled,
                stage: String::new(),
                fraction: 0.0,
            });
        }
    }
    let ws = a.workspace;
    let jid = job.id;
    let now = blocking(move || ws.job(&jid)).await?;
    Ok((StatusCode::ACCEPTED, Json(now.into())))
}

/// Makes a new job with the request of an interrupted one (audited); once per job.
#[utoipa::path(post, path = "/api/v1/jobs/{id}/resubmit", tag = "jobs", security(("bearer" = [])),
    params(("id" = String, Path, description = "The interrupted job's id")),
    responses((status = 202, body = JobView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 429, body = Problem)))]
pub async fn resubmit_job(
    State(st): State<AppState>,
    Extension(a): Extension<Acting>,
    Path(id): Path<String>,
) -> Result<Accepted, ApiError> {
    let job = visible(&a, id).await?;
    let pool = st.pool();
    if !pool.take_place() {
        return Err(full(pool.size));
    }
    let ws = a.workspace;
    let made = blocking(move || ws.resubmit_job(&job.id)).await;
    let new = match made {
        Ok(j) => j,
        Err(e) => {
            *pool.taken.lock().unwrap_or_else(|p| p.into_inner()) -= 1;
            return Err(e);
        }
    };
    pool.enqueue(&new);
    let mut h = HeaderMap::new();
    if let Ok(v) = HeaderValue::from_str(&format!("/api/v1/jobs/{}", new.id)) {
        h.insert(header::LOCATION, v);
    }
    Ok((StatusCode::ACCEPTED, h, Json(new.into())))
}

pub(crate) fn request_of(b: &impl Serialize) -> Result<Value, ApiError> {
    serde_json::to_value(b).map_err(|e| ApiError::from(Error::internal(e.to_string())))
}

/// Makes a generalized twin of a stored dataset, as a job.
#[utoipa::path(post, path = "/api/v1/twins/generalize", tag = "twins", security(("bearer" = [])),
    request_body = GeneralizeBody,
    responses((status = 202, body = JobView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem), (status = 429, body = Problem)))]
pub async fn generalize(
    State(st): State<AppState>,
    Extension(a): Extension<Acting>,
    Json(b): Json<GeneralizeBody>,
) -> Result<Accepted, ApiError> {
    crate::measures::require_tables(&a, vec![b.dataset.clone()]).await?;
    let r = request_of(&b)?;
    submit(&st, a, "generalize", r).await
}

/// Makes a pseudonymized twin of a stored dataset with the vault's keys, as a job.
#[utoipa::path(post, path = "/api/v1/twins/pseudonymize", tag = "twins", security(("bearer" = [])),
    request_body = PseudonymizeBody,
    responses((status = 202, body = JobView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem), (status = 429, body = Problem)))]
pub async fn pseudonymize(
    State(st): State<AppState>,
    Extension(a): Extension<Acting>,
    Json(b): Json<PseudonymizeBody>,
) -> Result<Accepted, ApiError> {
    crate::measures::require_tables(&a, vec![b.dataset.clone()]).await?;
    let r = request_of(&b)?;
    submit(&st, a, "pseudonymize", r).await
}

/// Makes a differentially private synthetic twin of a stored dataset, as a job.
#[utoipa::path(post, path = "/api/v1/twins/synthesize", tag = "twins", security(("bearer" = [])),
    request_body = SynthesizeBody,
    responses((status = 202, body = JobView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem), (status = 429, body = Problem)))]
pub async fn synthesize(
    State(st): State<AppState>,
    Extension(a): Extension<Acting>,
    Json(b): Json<SynthesizeBody>,
) -> Result<Accepted, ApiError> {
    crate::measures::require_tables(&a, vec![b.dataset.clone()]).await?;
    let r = request_of(&b)?;
    submit(&st, a, "synthesize", r).await
}

/// Assesses a stored twin against its stored source for a recipient, as a job; the result is
/// what `datavisa assess --format json` prints, stored in the register.
#[utoipa::path(post, path = "/api/v1/assessments", tag = "records", security(("bearer" = [])),
    request_body = AssessBody,
    responses((status = 202, body = JobView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem), (status = 429, body = Problem)))]
pub async fn assess(
    State(st): State<AppState>,
    Extension(a): Extension<Acting>,
    Json(b): Json<AssessBody>,
) -> Result<Accepted, ApiError> {
    crate::measures::require_tables(&a, vec![b.source.clone()]).await?;
    let ws = a.workspace.clone();
    let h = b.twin.clone();
    if blocking(move || ws.stored_twin(&h)).await?.is_none() {
        return Err(ApiError::not_found(format!(
            "no stored twin has the hash {:?}",
            b.twin
        )));
    }
    let r = request_of(&b)?;
    submit(&st, a, "assess", r).await
}

/// Queues a scan of a large dataset (the scan route's answer above its row limit).
pub async fn submit_scan(
    st: &AppState,
    a: Acting,
    dataset: String,
    scan: crate::api::ScanBody,
) -> Result<Accepted, ApiError> {
    let r = request_of(&ScanJobBody { dataset, scan })?;
    submit(st, a, "scan", r).await
}

/// A stored twin as listed.
#[derive(Serialize, ToSchema)]
pub struct TwinView {
    /// SHA-256 of the twin's bytes (its id).
    pub sha256: String,
    /// generalized, pseudonymized or synthetic.
    #[schema(value_type = String)]
    pub kind: Value,
    /// The job that made it.
    pub job: String,
    /// Rows.
    pub rows: Option<u64>,
    /// The source's SHA-256.
    pub source_sha256: Option<String>,
}

/// Every twin the jobs made.
#[utoipa::path(get, path = "/api/v1/twins", tag = "twins", security(("bearer" = [])),
    responses((status = 200, body = Vec<TwinView>), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn list_twins(Extension(a): Extension<Acting>) -> Result<Json<Vec<TwinView>>, ApiError> {
    let list = blocking(move || a.workspace.stored_twins()).await?;
    Ok(Json(
        list.into_iter()
            .map(|t| TwinView {
                sha256: t.sha256,
                kind: t.kind,
                job: t.job,
                rows: t.rows,
                source_sha256: t.source_sha256,
            })
            .collect(),
    ))
}

async fn twin_of(
    a: &Acting,
    sha256: String,
) -> Result<(std::path::PathBuf, datavisa_workflow::jobs::Manifest), ApiError> {
    let ws = a.workspace.clone();
    let h = sha256.clone();
    blocking(move || ws.stored_twin(&h))
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no stored twin has the hash {sha256:?}")))
}

/// A stored twin's manifest, as written beside it.
#[utoipa::path(get, path = "/api/v1/twins/{sha256}", tag = "twins", security(("bearer" = [])),
    params(("sha256" = String, Path, description = "The twin's SHA-256")),
    responses((status = 200, description = "The manifest", content_type = "application/json"), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn show_twin(
    Extension(a): Extension<Acting>,
    Path(sha256): Path<String>,
) -> Result<Json<datavisa_workflow::jobs::Manifest>, ApiError> {
    Ok(Json(twin_of(&a, sha256).await?.1))
}

/// A stored twin's bytes.
#[utoipa::path(get, path = "/api/v1/twins/{sha256}/download", tag = "twins", security(("bearer" = [])),
    params(("sha256" = String, Path, description = "The twin's SHA-256")),
    responses((status = 200, description = "The twin's bytes", content_type = "text/csv"), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn download_twin(
    Extension(a): Extension<Acting>,
    Path(sha256): Path<String>,
) -> Result<(HeaderMap, Vec<u8>), ApiError> {
    let (file, _) = twin_of(&a, sha256.clone()).await?;
    let bytes = tokio::fs::read(&file)
        .await
        .map_err(|e| ApiError::from(Error::internal(format!("{}: {e}", file.display()))))?;
    let mut h = HeaderMap::new();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv"));
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"twin-{}.csv\"",
        &sha256[..12.min(sha256.len())]
    )) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok((h, bytes))
}
