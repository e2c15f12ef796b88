//! The server's jobs as records: what was asked, by whom, how far it got and how it ended.
//! They sit behind [`JobStore`] (a table of the team store, SQLite today, PostgreSQL later), so
//! that a restart loses none: a job queued or running when the server died is marked
//! interrupted, and a resubmission makes one new job from it, once. Twins made by jobs are kept
//! in the store's `twins/` directory, found by their content hash.

use crate::error::{Error, Result};
use crate::users::{sql, SqliteTeam};
use crate::workspace::Workspace;
pub use datavisa_twin::manifest::Manifest;
use datavisa_vault::store::{rfc3339, unix_now};
use rusqlite::{params, OptionalExtension};
use serde::Serialize;
use serde_json::{json, Value};
use std::path::PathBuf;

/// Where a job is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Waiting for a worker.
    Queued,
    /// A worker runs it.
    Running,
    /// Done; the result is there.
    Succeeded,
    /// Done; the problem says why not.
    Failed,
    /// Cancelled before it started or at a progress point; nothing was written.
    Cancelled,
    /// The server stopped while it was queued or running; it can be resubmitted.
    Interrupted,
}

impl JobState {
    /// Every state.
    pub const ALL: [JobState; 6] = [
        JobState::Queued,
        JobState::Running,
        JobState::Succeeded,
        JobState::Failed,
        JobState::Cancelled,
        JobState::Interrupted,
    ];

    /// The state's name as stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Succeeded => "succeeded",
            JobState::Failed => "failed",
            JobState::Cancelled => "cancelled",
            JobState::Interrupted => "interrupted",
        }
    }

    /// The state named `s`.
    pub fn parse(s: &str) -> Result<JobState> {
        JobState::ALL
            .into_iter()
            .find(|j| j.as_str() == s)
            .ok_or_else(|| Error::internal(format!("unknown job state {s:?} in the store")))
    }

    /// Whether the job has ended (no worker will touch it again).
    pub fn is_final(self) -> bool {
        !matches!(self, JobState::Queued | JobState::Running)
    }
}

/// A job as the API shows it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Job {
    /// Its id.
    pub id: String,
    /// What it does (`generalize`, `pseudonymize`, `synthesize`, `assess`, `scan`).
    pub kind: String,
    /// The request as submitted.
    pub request: Value,
    /// Who submitted it.
    pub submitter: String,
    /// The prefix of the token it was submitted with.
    pub token_prefix: String,
    /// Where it is.
    pub state: JobState,
    /// The stage it is at (the progress sink's last message).
    pub stage: String,
    /// The share of the work done, 0 to 1.
    pub fraction: f64,
    /// The typed result of the use case, when it succeeded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<Value>,
    /// The problem (RFC 9457), when it failed or was cancelled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<Value>,
    /// Submitted at (RFC 3339 UTC).
    pub created_at: String,
    /// Started at.
    pub started_at: Option<String>,
    /// Ended at.
    pub finished_at: Option<String>,
    /// The job made from this one by a resubmission.
    pub resubmitted_as: Option<String>,
}

/// Where jobs are kept: one small interface so that a PostgreSQL store can stand beside the
/// SQLite one. Every change of state is one conditional update, so that two callers racing
/// (a worker starting, a user cancelling) cannot both win.
pub trait JobStore {
    /// Stores a new queued job.
    fn insert(&mut self, job: &Job, now: i64) -> Result<()>;
    /// The job with `id`.
    fn get(&self, id: &str) -> Result<Option<Job>>;
    /// Every job, oldest first; only `submitter`'s when given.
    fn list(&self, submitter: Option<&str>) -> Result<Vec<Job>>;
    /// Queued → running; false when it was not queued (cancelled, say).
    fn start(&mut self, id: &str, now: i64) -> Result<bool>;
    /// The stage and fraction of a running job.
    fn progress(&mut self, id: &str, stage: &str, fraction: f64) -> Result<()>;
    /// Running → `state` (succeeded, failed or cancelled) with its result or problem.
    fn finish(&mut self, id: &str, end: &JobEnd, now: i64) -> Result<()>;
    /// Queued → cancelled; false when it was not queued.
    fn cancel_queued(&mut self, id: &str, now: i64) -> Result<bool>;
    /// Every queued or running job → interrupted; their ids.
    fn interrupt_unfinished(&mut self, now: i64) -> Result<Vec<String>>;
    /// Marks an interrupted job as resubmitted as `new`; false when it is not interrupted or
    /// was resubmitted already.
    fn mark_resubmitted(&mut self, id: &str, new: &str) -> Result<bool>;
}

/// How a job ended.
#[derive(Clone, Debug)]
pub struct JobEnd {
    /// Succeeded, failed or cancelled.
    pub state: JobState,
    /// The result, when it succeeded.
    pub result: Option<Value>,
    /// The problem, otherwise.
    pub problem: Option<Value>,
}

const COLUMNS: &str =
    "id, kind, request, submitter, token_prefix, state, stage, fraction, result, \
     problem, created_at, started_at, finished_at, resubmitted_as";

fn job_of(r: &rusqlite::Row) -> rusqlite::Result<(Job, String)> {
    let json = |i: usize| -> rusqlite::Result<Option<Value>> {
        let text: Option<String> = r.get(i)?;
        Ok(text.and_then(|t| serde_json::from_str(&t).ok()))
    };
    let time = |i: usize| -> rusqlite::Result<Option<String>> {
        Ok(r.get::<_, Option<i64>>(i)?.map(rfc3339))
    };
    let state: String = r.get(5)?;
    Ok((
        Job {
            id: r.get(0)?,
            kind: r.get(1)?,
            request: json(2)?.unwrap_or(Value::Null),
            submitter: r.get(3)?,
            token_prefix: r.get(4)?,
            state: JobState::Queued,
            stage: r.get(6)?,
            fraction: r.get(7)?,
            result: json(8)?,
            problem: json(9)?,
            created_at: rfc3339(r.get(10)?),
            started_at: time(11)?,
            finished_at: time(12)?,
            resubmitted_as: r.get(13)?,
        },
        state,
    ))
}

fn typed(row: (Job, String)) -> Result<Job> {
    let (mut job, state) = row;
    job.state = JobState::parse(&state)?;
    Ok(job)
}

impl JobStore for SqliteTeam {
    fn insert(&mut self, job: &Job, now: i64) -> Result<()> {
        self.conn
            .execute(
                "INSERT INTO jobs (id, kind, request, submitter, token_prefix, state, created_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, 'queued', ?6)",
                params![
                    job.id,
                    job.kind,
                    job.request.to_string(),
                    job.submitter,
                    job.token_prefix,
                    now
                ],
            )
            .map_err(sql(&self.path))?;
        Ok(())
    }

    fn get(&self, id: &str) -> Result<Option<Job>> {
        let row = self
            .conn
            .query_row(
                &format!("SELECT {COLUMNS} FROM jobs WHERE id = ?1"),
                [id],
                job_of,
            )
            .optional()
            .map_err(sql(&self.path))?;
        row.map(typed).transpose()
    }

    fn list(&self, submitter: Option<&str>) -> Result<Vec<Job>> {
        let mut st = self
            .conn
            .prepare(&format!(
                "SELECT {COLUMNS} FROM jobs WHERE ?1 IS NULL OR submitter = ?1 \
                 ORDER BY created_at, rowid"
            ))
            .map_err(sql(&self.path))?;
        let rows = st
            .query_map([submitter], job_of)
            .map_err(sql(&self.path))?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(sql(&self.path))?;
        rows.into_iter().map(typed).collect()
    }

    fn start(&mut self, id: &str, now: i64) -> Result<bool> {
        let n = self
            .conn
            .execute(
                "UPDATE jobs SET state = 'running', started_at = ?2 \
                 WHERE id = ?1 AND state = 'queued'",
                params![id, now],
            )
            .map_err(sql(&self.path))?;
        Ok(n == 1)
    }

    fn progress(&mut self, id: &str, stage: &str, fraction: f64) -> Result<()> {
        self.conn
            .execute(
                "UPDATE jobs SET stage = ?2, fraction = ?3 WHERE id = ?1 AND state = 'running'",
                params![id, stage, fraction],
            )
            .map_err(sql(&self.path))?;
        Ok(())
    }

    fn finish(&mut self, id: &str, end: &JobEnd, now: i64) -> Result<()> {
        let fraction_done = if end.state == JobState::Succeeded {
            "1"
        } else {
            "fraction"
        };
        self.conn
            .execute(
                &format!(
                    "UPDATE jobs SET state = ?2, result = ?3, problem = ?4, finished_at = ?5, \
                     fraction = {fraction_done} WHERE id = ?1 AND state = 'running'"
                ),
                params![
                    id,
                    end.state.as_str(),
                    end.result.as_ref().map(Value::to_string),
                    end.problem.as_ref().map(Value::to_string),
                    now
                ],
            )
            .map_err(sql(&self.path))?;
        Ok(())
    }

    fn cancel_queued(&mut self, id: &str, now: i64) -> Result<bool> {
        let n = self
            .conn
            .execute(
                "UPDATE jobs SET state = 'cancelled', finished_at = ?2 \
                 WHERE id = ?1 AND state = 'queued'",
                params![id, now],
            )
            .map_err(sql(&self.path))?;
        Ok(n == 1)
    }

    fn interrupt_unfinished(&mut self, now: i64) -> Result<Vec<String>> {
        let tx = self.conn.transaction().map_err(sql(&self.path))?;
        let ids = {
            let mut st = tx
                .prepare("SELECT id FROM jobs WHERE state IN ('queued', 'running') ORDER BY rowid")
                .map_err(sql(&self.path))?;
            let ids = st
                .query_map([], |r| r.get::<_, String>(0))
                .map_err(sql(&self.path))?
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(sql(&self.path))?;
            ids
        };
        tx.execute(
            "UPDATE jobs SET state = 'interrupted', finished_at = ?1 \
             WHERE state IN ('queued', 'running')",
            [now],
        )
        .map_err(sql(&self.path))?;
        tx.commit().map_err(sql(&self.path))?;
        Ok(ids)
    }

    fn mark_resubmitted(&mut self, id: &str, new: &str) -> Result<bool> {
        let n = self
            .conn
            .execute(
                "UPDATE jobs SET resubmitted_as = ?2 \
                 WHERE id = ?1 AND state = 'interrupted' AND resubmitted_as IS NULL",
                params![id, new],
            )
            .map_err(sql(&self.path))?;
        Ok(n == 1)
    }
}

/// A twin a job made, as stored.
#[derive(Clone, Debug, Serialize)]
pub struct StoredTwin {
    /// SHA-256 of the twin's bytes (its id).
    pub sha256: String,
    /// generalized, pseudonymized or synthetic.
    pub kind: Value,
    /// The job that made it.
    pub job: String,
    /// Rows written.
    pub rows: Option<u64>,
    /// The source's SHA-256.
    pub source_sha256: Option<String>,
}

fn no_job(id: &str) -> Error {
    Error::not_found(format!("no job has the id {id:?}"))
}

impl Workspace {
    fn job_store(&self) -> Result<SqliteTeam> {
        SqliteTeam::open(self.store())
    }

    /// Stores a new queued job of `kind` for `request`, submitted by the acting user (audited).
    pub fn submit_job(&self, kind: &str, request: Value) -> Result<Job> {
        let id = format!("job-{}", crate::users::random_label()?);
        let now = unix_now();
        let job = Job {
            id: id.clone(),
            kind: kind.to_owned(),
            request,
            submitter: self.actor().to_owned(),
            token_prefix: self
                .origin()
                .map(|o| o.token_prefix.clone())
                .unwrap_or_default(),
            state: JobState::Queued,
            stage: String::new(),
            fraction: 0.0,
            result: None,
            problem: None,
            created_at: rfc3339(now),
            started_at: None,
            finished_at: None,
            resubmitted_as: None,
        };
        // The vault is opened first: no job is stored that the audit log could not record.
        let mut vault = self.open_vault_as(self.actor())?;
        self.job_store()?.insert(&job, now)?;
        vault.log(
            "job.submitted",
            self.with_origin(json!({"job": id, "kind": kind})),
        )?;
        Ok(job)
    }

    /// The job with `id`, or a bad-input error.
    pub fn job(&self, id: &str) -> Result<Job> {
        self.job_store()?.get(id)?.ok_or_else(|| no_job(id))
    }

    /// Every job, oldest first; only `submitter`'s when given.
    pub fn jobs(&self, submitter: Option<&str>) -> Result<Vec<Job>> {
        self.job_store()?.list(submitter)
    }

    /// Marks a queued job running; false when it is no longer queued (it was cancelled).
    pub fn start_job(&self, id: &str) -> Result<bool> {
        self.job_store()?.start(id, unix_now())
    }

    /// Records a running job's stage and fraction.
    pub fn job_progress(&self, id: &str, stage: &str, fraction: f64) -> Result<()> {
        self.job_store()?.progress(id, stage, fraction)
    }

    /// Records how a running job ended.
    pub fn finish_job(&self, id: &str, end: &JobEnd) -> Result<()> {
        self.job_store()?.finish(id, end, unix_now())
    }

    /// Records a cancellation asked for by the acting user (audited); true when the job was
    /// still queued and so never starts, false when it runs and stops at its next progress
    /// point. Refuses a job that has ended.
    pub fn cancel_job(&self, id: &str) -> Result<bool> {
        let mut vault = self.open_vault_as(self.actor())?;
        let mut store = self.job_store()?;
        let job = store.get(id)?.ok_or_else(|| no_job(id))?;
        if job.state.is_final() {
            return Err(Error::refused(format!(
                "job {id} has ended ({}): there is nothing to cancel",
                job.state.as_str()
            )));
        }
        let queued = store.cancel_queued(id, unix_now())?;
        vault.log(
            "job.cancelled",
            self.with_origin(
                json!({"job": id, "kind": job.kind, "was": if queued {"queued"} else {"running"}}),
            ),
        )?;
        Ok(queued)
    }

    /// Makes a new queued job with the request of the interrupted job `id` (audited); a job is
    /// resubmitted once at most.
    pub fn resubmit_job(&self, id: &str) -> Result<Job> {
        let old = self.job(id)?;
        if old.state != JobState::Interrupted {
            return Err(Error::refused(format!(
                "job {id} is {}: only an interrupted job can be resubmitted",
                old.state.as_str()
            )));
        }
        if let Some(new) = &old.resubmitted_as {
            return Err(Error::refused(format!(
                "job {id} was resubmitted already, as {new}"
            )));
        }
        let new = self.submit_job(&old.kind, old.request.clone())?;
        if !self.job_store()?.mark_resubmitted(id, &new.id)? {
            // Another resubmission won the race: the new job must never run.
            self.job_store()?.cancel_queued(&new.id, unix_now())?;
            return Err(Error::refused(format!("job {id} was resubmitted already")));
        }
        self.audit_event("job.resubmitted", json!({"job": id, "as": new.id}))?;
        Ok(new)
    }

    /// Marks every job queued or running in the store as interrupted (a server starting after
    /// one that died, or stopping) and discards what they wrote, partial files at most, never
    /// a twin; their ids.
    pub fn interrupt_jobs(&self) -> Result<Vec<String>> {
        if !self.store().join(crate::users::TEAM_FILE).is_file() {
            return Ok(Vec::new());
        }
        let ids = self.job_store()?.interrupt_unfinished(unix_now())?;
        for id in &ids {
            self.discard_job_twin(id);
        }
        Ok(ids)
    }

    /// Where twins made by jobs are kept.
    pub fn twins_dir(&self) -> PathBuf {
        self.store().join("twins")
    }

    /// The file a job writes its twin to (its manifest beside it); the directory is made.
    pub fn job_twin_file(&self, job: &str) -> Result<PathBuf> {
        let dir = self.twins_dir().join(job);
        std::fs::create_dir_all(&dir)
            .map_err(|e| Error::internal(format!("{}: {e}", dir.display())))?;
        Ok(dir.join("twin.csv"))
    }

    /// Removes what a job that did not succeed left in its twin directory (nothing but
    /// partial files, since twins are written by temp file and rename).
    pub fn discard_job_twin(&self, job: &str) {
        let _ = std::fs::remove_dir_all(self.twins_dir().join(job));
    }

    /// Every twin jobs made, in the order of their jobs' directories.
    pub fn stored_twins(&self) -> Result<Vec<StoredTwin>> {
        let Ok(entries) = std::fs::read_dir(self.twins_dir()) else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        let mut names: Vec<_> = entries.flatten().map(|e| e.file_name()).collect();
        names.sort();
        for name in names {
            let twin = self.twins_dir().join(&name).join("twin.csv");
            let m = datavisa_twin::manifest_path(&twin);
            if !m.is_file() {
                continue;
            }
            let manifest = Manifest::read(&m)?;
            let Some(sha256) = manifest.output.sha256.clone() else {
                continue;
            };
            out.push(StoredTwin {
                sha256,
                kind: serde_json::to_value(manifest.kind).unwrap_or(Value::Null),
                job: name.to_string_lossy().into_owned(),
                rows: manifest.output.rows,
                source_sha256: Some(manifest.source.sha256.clone()),
            });
        }
        Ok(out)
    }

    /// The stored twin with content hash `sha256`: its file and manifest, or None.
    pub fn stored_twin(&self, sha256: &str) -> Result<Option<(PathBuf, Manifest)>> {
        if !crate::datasets::is_sha256(sha256) {
            return Ok(None);
        }
        for t in self.stored_twins()? {
            if t.sha256 == sha256 {
                let file = self.twins_dir().join(&t.job).join("twin.csv");
                let m = Manifest::read(&datavisa_twin::manifest_path(&file))?;
                return Ok(Some((file, m)));
            }
        }
        Ok(None)
    }

    /// The stored table with content hash `sha256`, a twin a job made or an uploaded dataset:
    /// its file, or not found.
    pub fn stored_table(&self, sha256: &str) -> Result<PathBuf> {
        // The dataset is one record found by its hash; a twin is found by reading every job's
        // manifest, so it is looked for second.
        if let Some(d) = self.dataset(sha256)? {
            return Ok(self.dataset_file(&d.sha256));
        }
        match self.stored_twin(sha256)? {
            Some((file, _)) => Ok(file),
            None => Err(Error::not_found(format!(
                "no stored twin or dataset has the hash {sha256:?}"
            ))),
        }
    }

    /// `detail` with the request's origin added when there is one.
    fn with_origin(&self, mut detail: Value) -> Value {
        if let (Some(origin), Some(map)) = (self.origin(), detail.as_object_mut()) {
            map.insert("token_prefix".into(), json!(origin.token_prefix));
            map.insert("request_id".into(), json!(origin.request_id));
        }
        detail
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(id: &str) -> Job {
        Job {
            id: id.into(),
            kind: "generalize".into(),
            request: json!({"k": 5}),
            submitter: "ann".into(),
            token_prefix: "dv_12345678".into(),
            state: JobState::Queued,
            stage: String::new(),
            fraction: 0.0,
            result: None,
            problem: None,
            created_at: String::new(),
            started_at: None,
            finished_at: None,
            resubmitted_as: None,
        }
    }

    #[test]
    fn each_change_of_state_happens_once() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = SqliteTeam::open(dir.path()).unwrap();
        s.insert(&job("a"), 100).unwrap();
        s.insert(&job("b"), 100).unwrap();
        s.insert(&job("c"), 100).unwrap();
        // A cancelled queued job never starts; a started one cannot be cancelled as queued.
        assert!(s.cancel_queued("a", 101).unwrap());
        assert!(!s.start("a", 102).unwrap());
        assert!(s.start("b", 102).unwrap());
        assert!(!s.start("b", 103).unwrap());
        assert!(!s.cancel_queued("b", 103).unwrap());
        s.progress("b", "reading", 0.25).unwrap();
        let b = s.get("b").unwrap().unwrap();
        assert_eq!((b.stage.as_str(), b.fraction), ("reading", 0.25));
        // A restart: b (running) and c (queued) are interrupted, a stays cancelled.
        assert_eq!(s.interrupt_unfinished(200).unwrap(), ["b", "c"]);
        let states: Vec<_> = s.list(None).unwrap().iter().map(|j| j.state).collect();
        assert_eq!(
            states,
            [
                JobState::Cancelled,
                JobState::Interrupted,
                JobState::Interrupted
            ]
        );
        // A finish after the interruption changes nothing; a resubmission is marked once.
        s.finish(
            "b",
            &JobEnd {
                state: JobState::Succeeded,
                result: Some(json!(1)),
                problem: None,
            },
            201,
        )
        .unwrap();
        assert_eq!(s.get("b").unwrap().unwrap().state, JobState::Interrupted);
        assert!(s.mark_resubmitted("b", "d").unwrap());
        assert!(!s.mark_resubmitted("b", "e").unwrap());
        assert!(!s.mark_resubmitted("a", "e").unwrap());
        assert_eq!(
            s.get("b").unwrap().unwrap().resubmitted_as.as_deref(),
            Some("d")
        );
        assert_eq!(s.list(Some("bob")).unwrap().len(), 0);
        assert!(s.get("zz").unwrap().is_none());
    }

    #[test]
    fn a_finished_job_keeps_its_result_and_is_done() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = SqliteTeam::open(dir.path()).unwrap();
        s.insert(&job("a"), 100).unwrap();
        s.start("a", 101).unwrap();
        s.progress("a", "searching", 0.5).unwrap();
        let end = JobEnd {
            state: JobState::Succeeded,
            result: Some(json!({"rows": 3})),
            problem: None,
        };
        s.finish("a", &end, 102).unwrap();
        let a = s.get("a").unwrap().unwrap();
        assert_eq!(a.state, JobState::Succeeded);
        assert_eq!(a.fraction, 1.0);
        assert_eq!(a.result, Some(json!({"rows": 3})));
        assert_eq!(a.request, json!({"k": 5}));
        assert!(a.state.is_final() && !JobState::Running.is_final());
    }

    #[test]
    fn a_stored_result_keeps_every_float_to_the_last_bit() {
        // The API serves a job's result as read back from its record, and promises the CLI's
        // JSON: a float one bit off after the round trip (serde_json's fast parse without
        // `float_roundtrip`) breaks that. These ones came out one bit off in the benchmark.
        let floats: [f64; 5] = [
            1.0 / 71.0,
            0.037259052905922845,
            0.9936507936507937,
            214301.19163401594,
            0.022147680450993166,
        ];
        let dir = tempfile::tempdir().unwrap();
        let mut s = SqliteTeam::open(dir.path()).unwrap();
        s.insert(&job("a"), 100).unwrap();
        s.start("a", 101).unwrap();
        let end = JobEnd {
            state: JobState::Succeeded,
            result: Some(json!({ "values": floats })),
            problem: None,
        };
        s.finish("a", &end, 102).unwrap();
        let back = s.get("a").unwrap().unwrap().result.unwrap();
        let back: Vec<f64> = back["values"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        for (x, y) in floats.iter().zip(&back) {
            assert_eq!(x.to_bits(), y.to_bits(), "{x:?} came back as {y:?}");
        }
    }
}
