//! Jobs through a real `datavisa serve` on a loopback port: 202 with a Location, the pool's
//! bound (429), cancelling a queued and a running job, a server killed mid-job (its jobs are
//! interrupted, a resubmission runs once), progress seen moving over SSE, and twins and an
//! assessment made through the API equal to the CLI's.
//!
//! Holding a worker uses the documented test hook `DATAVISA_TEST_HOLD_JOBS=1`: a running job
//! waits at its first progress point until it is cancelled, so no test depends on timing.

mod common;

use common::serve::{add_user, dv_env, init_store, ok, Reply, Server};
use serde_json::{json, Value};
use std::fmt::Write as _;
use std::path::Path;
use std::process::Output;

/// Runs the CLI in `dir` with the test master key, in English.
fn dv(dir: &Path, args: &[&str]) -> Output {
    dv_env(dir, &[("DATAVISA_LANG", "en")], args)
}

/// A store `st` with a vault (cheap KDF) and a steward, an auditor and an approver with tokens;
/// `source.csv` (2,000 people: pid, a, b, c, s) beside it.
struct Team {
    dir: tempfile::TempDir,
    steward: String,
    auditor: String,
    approver: String,
}

/// A small deterministic generator (spread only).
struct Gen(u64);

impl Gen {
    fn next(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

const COLUMNS: &str = "[[columns]]\nname = \"pid\"\nrole = \"identifier\"\n[[columns]]\nname = \"a\"\nrole = \"quasi\"\n[[columns]]\nname = \"b\"\nrole = \"quasi\"\n[[columns]]\nname = \"c\"\nrole = \"quasi\"\n[[columns]]\nname = \"s\"\nrole = \"sensitive\"\n";

/// The assessment spec: the columns and one recipient `r` under contract, knowing a, b, c.
fn assess_spec() -> String {
    format!(
        "{COLUMNS}\n[[recipients]]\nid = \"r\"\nknows = [\"a\", \"b\", \"c\"]\ncontext = \"named_recipient\"\n[recipients.controls]\nno_reidentification = true\nno_relinking = true\naudited_security = true\n"
    )
}

/// The synthesis spec: every column's public domain (pid is an identifier, left out).
fn synth_spec() -> String {
    let cats = |p: &str, n: usize| {
        (0..n)
            .map(|i| format!("\"{p}{i}\""))
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!(
        "[[columns]]\nname = \"pid\"\nrole = \"identifier\"\n\
         [[columns]]\nname = \"a\"\nrole = \"quasi\"\ndomain = {{ categories = [{}] }}\n\
         [[columns]]\nname = \"b\"\nrole = \"quasi\"\ndomain = {{ categories = [{}] }}\n\
         [[columns]]\nname = \"c\"\nrole = \"quasi\"\ndomain = {{ categories = [{}] }}\n\
         [[columns]]\nname = \"s\"\nrole = \"sensitive\"\ndomain = {{ categories = [\"asthma\", \"flu\", \"none\"] }}\n",
        cats("a", 4),
        cats("b", 10),
        cats("c", 10)
    )
}

impl Team {
    fn new() -> Team {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        init_store(d);
        let token = |name: &str, role: &str| add_user(d, name, role);
        let steward = token("stew", "steward");
        let auditor = token("aud", "auditor");
        let approver = token("appr", "approver");
        let mut g = Gen(0x9E37_79B9_7F4A_7C15);
        let mut csv = String::from("pid,a,b,c,s\n");
        for i in 0..2000 {
            writeln!(
                csv,
                "P{i:06},a{},b{},c{},{}",
                g.next(4),
                g.next(10),
                g.next(10),
                ["flu", "asthma", "none"][g.next(3) as usize]
            )
            .unwrap();
        }
        std::fs::write(d.join("source.csv"), csv).unwrap();
        std::fs::write(d.join("spec.toml"), assess_spec()).unwrap();
        Team {
            dir,
            steward,
            auditor,
            approver,
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn source(&self) -> Vec<u8> {
        std::fs::read(self.path().join("source.csv")).unwrap()
    }
}

/// `datavisa serve` on the team's store with `args`, holding jobs when `hold`.
fn serve(team: &Team, args: &[&str], hold: bool) -> Server {
    let store: &[&str] = &["--store", "st"];
    let hold_env: &[(&str, &str)] = if hold {
        &[("DATAVISA_TEST_HOLD_JOBS", "1")]
    } else {
        &[]
    };
    Server::start(team.path(), &[store, args].concat(), hold_env)
}

fn call(s: &Server, method: &str, path: &str, token: &str, body: Option<(&str, &[u8])>) -> Reply {
    common::serve::call(s, method, path, Some(token), body)
}

fn get(s: &Server, path: &str, token: &str) -> Reply {
    call(s, "GET", path, token, None)
}

fn post(s: &Server, path: &str, token: &str, body: &Value) -> Reply {
    common::serve::post_json(s, path, Some(token), &body.to_string())
}

/// Uploads the team's source; its hash.
fn upload(s: &Server, team: &Team) -> String {
    let src = team.source();
    let r = call(
        s,
        "POST",
        "/api/v1/datasets?name=source.csv",
        &team.steward,
        Some(("text/csv", &src)),
    );
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.bytes));
    r.json()["sha256"].as_str().unwrap().to_owned()
}

/// The generalization both front ends make: k = 5 on a, b, c with 10% suppression.
fn generalize_body(dataset: &str) -> Value {
    json!({"dataset": dataset, "quasi": ["a", "b", "c"], "sensitive": ["s"], "k": 5, "suppression": 0.1})
}

/// Submits and checks the 202: the job queued, its Location its own URL.
fn submit(s: &Server, token: &str, path: &str, body: &Value) -> String {
    let r = post(s, path, token, body);
    assert_eq!(r.status, 202, "{}", String::from_utf8_lossy(&r.bytes));
    let job = r.json();
    let id = job["id"].as_str().unwrap().to_owned();
    assert_eq!(r.location(), Some(&*format!("/api/v1/jobs/{id}")));
    assert!(
        ["queued", "running"].contains(&job["state"].as_str().unwrap()),
        "{job}"
    );
    id
}

/// Polls the job until `done` says so (bounded: a stuck job fails the test, not a clock).
fn wait_for(s: &Server, token: &str, id: &str, done: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..6000 {
        let j = get(s, &format!("/api/v1/jobs/{id}"), token).json();
        if done(&j) {
            return j;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    panic!("job {id} never got there");
}

fn state_is(state: &'static str) -> impl Fn(&Value) -> bool {
    move |j| j["state"] == state
}

fn ended(j: &Value) -> bool {
    !["queued", "running"].contains(&j["state"].as_str().unwrap())
}

#[test]
fn a_full_pool_is_429_and_queued_and_running_jobs_cancel_writing_nothing() {
    let team = Team::new();
    let s = serve(&team, &["--workers", "1", "--queue", "1"], true);
    let ds = upload(&s, &team);
    let body = generalize_body(&ds);
    let running = submit(&s, &team.steward, "/api/v1/twins/generalize", &body);
    wait_for(&s, &team.steward, &running, state_is("running"));
    let queued = submit(&s, &team.steward, "/api/v1/twins/generalize", &body);
    // One running and one waiting fill a pool of 1 worker and a queue of 1.
    let r = post(&s, "/api/v1/twins/generalize", &team.steward, &body);
    assert_eq!(r.status, 429, "{}", String::from_utf8_lossy(&r.bytes));
    assert_eq!(r.content_type, "application/problem+json");
    assert!(r.json()["detail"]
        .as_str()
        .unwrap()
        .contains("queue is full"));

    // Only the submitter and auditors see a job; an approver may not call the route at all.
    assert_eq!(
        get(&s, &format!("/api/v1/jobs/{queued}"), &team.auditor).status,
        200
    );
    assert_eq!(
        get(&s, &format!("/api/v1/jobs/{queued}"), &team.approver).status,
        403
    );

    // The queued job is cancelled at once and never starts.
    let c = call(
        &s,
        "DELETE",
        &format!("/api/v1/jobs/{queued}"),
        &team.steward,
        None,
    );
    assert_eq!(c.status, 202);
    let q = c.json();
    assert_eq!(q["state"], "cancelled", "{q}");
    assert!(q["started_at"].is_null(), "{q}");
    // The running one stops at its next progress point, with a cancelled problem.
    let c = call(
        &s,
        "DELETE",
        &format!("/api/v1/jobs/{running}"),
        &team.steward,
        None,
    );
    assert_eq!(c.status, 202);
    let j = wait_for(&s, &team.steward, &running, ended);
    assert_eq!(j["state"], "cancelled", "{j}");
    assert_eq!(j["problem"]["type"], "/problems/cancelled", "{j}");
    assert!(j["result"].is_null());
    // Nothing was written, and an ended job cannot be cancelled again.
    assert_eq!(get(&s, "/api/v1/twins", &team.steward).json(), json!([]));
    let dir = team.path().join("st").join("twins");
    let left: Vec<_> = std::fs::read_dir(&dir)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "{left:?}");
    let again = call(
        &s,
        "DELETE",
        &format!("/api/v1/jobs/{running}"),
        &team.steward,
        None,
    );
    assert_eq!(again.status, 409);
    // The pool has room again: both places were given back.
    let next = submit(&s, &team.steward, "/api/v1/twins/generalize", &body);
    let nextq = submit(&s, &team.steward, "/api/v1/twins/generalize", &body);
    for id in [&nextq, &next] {
        call(
            &s,
            "DELETE",
            &format!("/api/v1/jobs/{id}"),
            &team.steward,
            None,
        );
    }

    // Submitting and cancelling are audited with the actor, the token's prefix, a request id.
    let log = get(&s, "/api/v1/audit?kind=job", &team.auditor).json();
    let entries = log.as_array().unwrap();
    let of = |action: &str| {
        entries
            .iter()
            .filter(|e| e["action"] == action)
            .collect::<Vec<_>>()
    };
    assert_eq!(of("job.submitted").len(), 4, "{log}");
    assert_eq!(of("job.cancelled").len(), 4, "{log}");
    let first = of("job.cancelled")[0];
    assert_eq!(first["actor"], "stew");
    assert_eq!(first["detail"]["job"], queued.as_str());
    assert_eq!(first["detail"]["was"], "queued");
    assert_eq!(first["detail"]["token_prefix"], &team.steward[..11]);
    assert!(!first["detail"]["request_id"].as_str().unwrap().is_empty());
}

#[test]
fn a_killed_server_leaves_its_jobs_interrupted_and_a_resubmission_runs_once() {
    let team = Team::new();
    let s = serve(&team, &["--workers", "1", "--queue", "4"], true);
    let ds = upload(&s, &team);
    let body = generalize_body(&ds);
    let running = submit(&s, &team.steward, "/api/v1/twins/generalize", &body);
    wait_for(&s, &team.steward, &running, state_is("running"));
    let queued = submit(&s, &team.steward, "/api/v1/twins/generalize", &body);
    s.kill();

    let s = serve(&team, &[], false);
    for id in [&running, &queued] {
        let j = get(&s, &format!("/api/v1/jobs/{id}"), &team.steward).json();
        assert_eq!(j["state"], "interrupted", "{j}");
    }
    // Nothing ran them again by itself.
    assert_eq!(get(&s, "/api/v1/twins", &team.steward).json(), json!([]));
    let r = post(
        &s,
        &format!("/api/v1/jobs/{running}/resubmit"),
        &team.steward,
        &json!({}),
    );
    assert_eq!(r.status, 202, "{}", String::from_utf8_lossy(&r.bytes));
    let new = r.json()["id"].as_str().unwrap().to_owned();
    assert_ne!(new, running);
    // The same request, with the defaults it left out spelled as null.
    for k in ["dataset", "quasi", "sensitive", "k", "suppression"] {
        assert_eq!(r.json()["request"][k], body[k], "{k}");
    }
    let done = wait_for(&s, &team.steward, &new, ended);
    assert_eq!(done["state"], "succeeded", "{done}");
    assert_eq!(done["fraction"], 1.0);
    // A second resubmission is refused: the job runs once.
    let again = post(
        &s,
        &format!("/api/v1/jobs/{running}/resubmit"),
        &team.steward,
        &json!({}),
    );
    assert_eq!(
        again.status,
        409,
        "{}",
        String::from_utf8_lossy(&again.bytes)
    );
    let old = get(&s, &format!("/api/v1/jobs/{running}"), &team.steward).json();
    assert_eq!(old["resubmitted_as"], new.as_str());
    assert_eq!(old["state"], "interrupted");
    // A finished job is not resubmitted either.
    let r = post(
        &s,
        &format!("/api/v1/jobs/{new}/resubmit"),
        &team.steward,
        &json!({}),
    );
    assert_eq!(r.status, 409);
    let twins = get(&s, "/api/v1/twins", &team.steward).json();
    assert_eq!(twins.as_array().unwrap().len(), 1, "{twins}");
    assert_eq!(twins[0]["job"], new.as_str());
    // The auditor sees the three jobs' records.
    assert_eq!(
        get(&s, "/api/v1/jobs", &team.auditor)
            .json()
            .as_array()
            .unwrap()
            .len(),
        3
    );
}

#[test]
fn sigterm_stops_running_jobs_at_a_progress_point_and_records_them_interrupted() {
    let team = Team::new();
    let s = serve(&team, &["--workers", "1", "--queue", "4"], true);
    let ds = upload(&s, &team);
    let body = generalize_body(&ds);
    // The test hook holds the running job at its first progress point until it is stopped.
    let running = submit(&s, &team.steward, "/api/v1/twins/generalize", &body);
    wait_for(&s, &team.steward, &running, state_is("running"));
    let queued = submit(&s, &team.steward, "/api/v1/twins/generalize", &body);
    let (status, log) = s.terminate();
    assert!(status.success(), "{status}: {log}");
    assert!(
        log.contains("queued and running jobs were interrupted"),
        "{log}"
    );
    assert!(!log.contains("grace period"), "{log}");

    let s = serve(&team, &[], false);
    for id in [&running, &queued] {
        let j = get(&s, &format!("/api/v1/jobs/{id}"), &team.steward).json();
        assert_eq!(j["state"], "interrupted", "{j}");
        assert!(j["finished_at"].is_string(), "{j}");
    }
    // The stopped job wrote nothing, and can be resubmitted.
    assert_eq!(get(&s, "/api/v1/twins", &team.steward).json(), json!([]));
    let r = post(
        &s,
        &format!("/api/v1/jobs/{running}/resubmit"),
        &team.steward,
        &json!({}),
    );
    assert_eq!(r.status, 202, "{}", String::from_utf8_lossy(&r.bytes));
    let done = wait_for(&s, &team.steward, r.json()["id"].as_str().unwrap(), ended);
    assert_eq!(done["state"], "succeeded", "{done}");
}

/// The progress events of a job, from its SSE stream.
fn events(s: &Server, token: &str, id: &str) -> Vec<Value> {
    let r = get(s, &format!("/api/v1/jobs/{id}/events"), token);
    assert_eq!(r.status, 200);
    assert!(
        r.content_type.starts_with("text/event-stream"),
        "{}",
        r.content_type
    );
    String::from_utf8(r.bytes)
        .unwrap()
        .lines()
        .filter_map(|l| l.strip_prefix("data: ").or_else(|| l.strip_prefix("data:")))
        .map(|d| serde_json::from_str(d).unwrap())
        .collect()
}

/// The JSON paths at which `a` and `b` differ.
fn differing(a: &Value, b: &Value, at: String, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for k in keys {
                differing(
                    x.get(k).unwrap_or(&Value::Null),
                    y.get(k).unwrap_or(&Value::Null),
                    format!("{at}/{k}"),
                    out,
                );
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                differing(p, q, format!("{at}/{i}"), out);
            }
        }
        _ if a != b => out.push(at),
        _ => {}
    }
}

#[test]
fn twins_and_assessments_through_the_api_equal_the_clis_and_progress_moves() {
    let team = Team::new();
    let s = serve(&team, &[], false);
    let ds = upload(&s, &team);
    let job = submit(
        &s,
        &team.steward,
        "/api/v1/twins/generalize",
        &generalize_body(&ds),
    );
    let done = wait_for(&s, &team.steward, &job, ended);
    assert_eq!(done["state"], "succeeded", "{done}");
    let sha = done["result"]["output"]["sha256"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(done["result"]["manifest"], format!("/api/v1/twins/{sha}"));

    // The CLI's twin of the same source and flags, byte for byte.
    ok(dv(
        team.path(),
        &[
            "twin",
            "generalize",
            "source.csv",
            "-o",
            "gen.csv",
            "--quasi",
            "a,b,c",
            "--k",
            "5",
            "--suppression",
            "0.1",
            "--sensitive",
            "s",
        ],
    ));
    let cli_twin = std::fs::read(team.path().join("gen.csv")).unwrap();
    let api_twin = get(&s, &format!("/api/v1/twins/{sha}/download"), &team.steward);
    assert_eq!(api_twin.status, 200);
    assert!(
        api_twin.bytes == cli_twin,
        "the API's twin differs from the CLI's"
    );
    let manifest = get(&s, &format!("/api/v1/twins/{sha}"), &team.auditor).json();
    assert_eq!(manifest["kind"], "generalized_twin");
    assert_eq!(manifest["output"]["sha256"], sha.as_str());
    assert_eq!(manifest["source"]["sha256"], ds.as_str());
    assert_eq!(
        get(
            &s,
            &format!("/api/v1/twins/{}", "0".repeat(64)),
            &team.steward
        )
        .status,
        404
    );

    // The assessment, through the API and through the CLI, with seed 7.
    let a = submit(
        &s,
        &team.steward,
        "/api/v1/assessments",
        &json!({"twin": sha, "source": ds, "spec": assess_spec(), "recipient": "r",
                "n_attacks": 300, "seed": 7}),
    );
    let done = wait_for(&s, &team.steward, &a, ended);
    assert_eq!(done["state"], "succeeded", "{done}");
    let api = done["result"].clone();
    let cli: Value = serde_json::from_str(&ok(dv(
        team.path(),
        &[
            "assess",
            "--spec",
            "spec.toml",
            "--twin",
            "gen.csv",
            "--source",
            "source.csv",
            "--recipient",
            "r",
            "--n-attacks",
            "300",
            "--seed",
            "7",
            "--store",
            "st",
            "--format",
            "json",
        ],
    )))
    .unwrap();
    assert_ne!(api["id"], cli["id"], "two assessments, two records");
    let mut diff = Vec::new();
    differing(&api, &cli, String::new(), &mut diff);
    // Only where and when differ: the register's id, its time (to the second), the command
    // that re-runs it and the stored body's hash (both name the files), and the paths of the
    // twin, its manifest and the source (the server reads them from its store).
    let allowed = [
        "/id",
        "/created_at",
        "/command",
        "/body_sha256",
        "/twin/path",
        "/manifest/path",
        "/source/path",
    ];
    assert!(
        diff.iter().all(|d| allowed.contains(&d.as_str())),
        "{diff:?}"
    );
    assert!(diff.contains(&"/twin/path".to_owned()), "{diff:?}");
    assert!(
        api["checks"].as_array().is_some_and(|c| !c.is_empty()),
        "{api}"
    );
    assert_eq!(api["checks"], cli["checks"]);

    // The assessment's stream: queued, its stages, succeeded.
    let ev = events(&s, &team.steward, &a);
    assert_eq!(ev.first().unwrap()["state"], "queued");
    assert_eq!(ev.last().unwrap()["state"], "succeeded");
    let stages: Vec<&str> = ev.iter().filter_map(|e| e["stage"].as_str()).collect();
    assert!(
        stages.iter().any(|s| s.starts_with("assessing")),
        "{stages:?}"
    );

    // Progress seen moving: the SSE stream of a synthesis (its phases are bars), from its
    // first event to its end.
    let syn = submit(
        &s,
        &team.steward,
        "/api/v1/twins/synthesize",
        &json!({"dataset": ds, "spec": synth_spec(), "epsilon": 1.0, "seed": 3}),
    );
    let done = wait_for(&s, &team.steward, &syn, ended);
    assert_eq!(done["state"], "succeeded", "{done}");
    let ev = events(&s, &team.steward, &syn);
    assert_eq!(ev.first().unwrap()["state"], "queued");
    assert_eq!(ev.last().unwrap()["state"], "succeeded");
    assert_eq!(ev.last().unwrap()["fraction"], 1.0);
    let fractions: Vec<f64> = ev
        .iter()
        .filter(|e| e["state"] == "running")
        .map(|e| e["fraction"].as_f64().unwrap())
        .collect();
    assert!(fractions.windows(2).all(|w| w[0] <= w[1]), "{fractions:?}");
    let mut inner: Vec<f64> = fractions
        .iter()
        .copied()
        .filter(|f| *f > 0.0 && *f < 1.0)
        .collect();
    inner.dedup();
    assert!(inner.len() >= 2, "{fractions:?}");

    // A pseudonymized twin with the server's vault: the CLI's, with the same store and key.
    let spec = "[pseudonymize.pid]\nmethod = \"token\"\n";
    std::fs::write(team.path().join("pseudo.toml"), spec).unwrap();
    let p = submit(
        &s,
        &team.steward,
        "/api/v1/twins/pseudonymize",
        &json!({"dataset": ds, "recipient": "acme", "spec": spec}),
    );
    let done = wait_for(&s, &team.steward, &p, ended);
    assert_eq!(done["state"], "succeeded", "{done}");
    let psha = done["result"]["output"]["sha256"]
        .as_str()
        .unwrap()
        .to_owned();
    ok(dv(
        team.path(),
        &[
            "twin",
            "pseudonymize",
            "source.csv",
            "-o",
            "pseudo.csv",
            "--recipient",
            "acme",
            "--spec",
            "pseudo.toml",
            "--store",
            "st",
        ],
    ));
    let cli_twin = std::fs::read(team.path().join("pseudo.csv")).unwrap();
    let api_twin = get(&s, &format!("/api/v1/twins/{psha}/download"), &team.steward).bytes;
    assert!(
        api_twin == cli_twin,
        "the API's pseudonymized twin differs from the CLI's"
    );
    assert!(!String::from_utf8_lossy(&api_twin).contains("P000001"));
    assert_eq!(
        get(&s, "/api/v1/twins", &team.steward)
            .json()
            .as_array()
            .unwrap()
            .len(),
        3
    );

    // A dataset over the server's row limit is scanned as a job whose result is the scan.
    let s2 = serve(&team, &["--sync-scan-rows", "100"], false);
    let r = post(
        &s2,
        &format!("/api/v1/datasets/{ds}/scan"),
        &team.steward,
        &json!({"seed": 1}),
    );
    assert_eq!(r.status, 202, "{}", String::from_utf8_lossy(&r.bytes));
    let id = r.json()["id"].as_str().unwrap().to_owned();
    let done = wait_for(&s2, &team.steward, &id, ended);
    assert_eq!(done["state"], "succeeded", "{done}");
    assert_eq!(done["kind"], "scan");
    // The same scan the first server answers in the request, timings aside.
    let sync = post(
        &s,
        &format!("/api/v1/datasets/{ds}/scan"),
        &team.steward,
        &json!({"seed": 1}),
    );
    assert_eq!(sync.status, 200);
    let strip = |mut v: Value| {
        for k in ["read_seconds", "scan_seconds"] {
            v.as_object_mut().unwrap().remove(k);
        }
        v
    };
    assert_eq!(strip(done["result"].clone()), strip(sync.json()));
}

/// Runs a measure job to its end; its result.
fn measured(s: &Server, team: &Team, path: &str, body: &Value) -> Value {
    let id = submit(s, &team.steward, path, body);
    let done = wait_for(s, &team.steward, &id, ended);
    assert_eq!(done["state"], "succeeded", "{done}");
    done["result"].clone()
}

/// The CLI's JSON for `args` in the team's directory.
fn cli_json(team: &Team, args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.extend(["--format", "json"]);
    serde_json::from_str(&ok(dv(team.path(), &all))).unwrap()
}

/// The paths where two results may differ: only where the files lie and how long it took.
fn same_but_paths_and_seconds(api: &Value, cli: &Value) {
    let mut diff = Vec::new();
    differing(api, cli, String::new(), &mut diff);
    assert!(
        diff.iter()
            .all(|d| d.ends_with("/path") || d.starts_with("/seconds/")),
        "{diff:?}"
    );
}

#[test]
fn attacks_risk_and_utility_through_the_api_equal_the_clis() {
    let team = Team::new();
    let s = serve(&team, &[], false);
    let ds = upload(&s, &team);
    let twin = measured(&s, &team, "/api/v1/twins/generalize", &generalize_body(&ds));
    let sha = twin["output"]["sha256"].as_str().unwrap().to_owned();
    let bytes = get(&s, &format!("/api/v1/twins/{sha}/download"), &team.steward).bytes;
    std::fs::write(team.path().join("gen.csv"), bytes).unwrap();
    let common = ["--source", "source.csv", "--twin", "gen.csv", "--seed", "3"];

    let attacks = [
        (
            json!({"attack": "singling_out", "n_attacks": 100, "mode": "univariate"}),
            vec![
                "attack",
                "singling-out",
                "--n-attacks",
                "100",
                "--mode",
                "univariate",
            ],
        ),
        (
            json!({"attack": "linkability", "n_attacks": 100, "aux_a": ["a"], "aux_b": ["b", "c"]}),
            vec![
                "attack",
                "linkability",
                "--n-attacks",
                "100",
                "--aux-a",
                "a",
                "--aux-b",
                "b,c",
            ],
        ),
        (
            json!({"attack": "inference", "n_attacks": 100, "secret": "s", "aux": ["a", "b", "c"]}),
            vec![
                "attack",
                "inference",
                "--n-attacks",
                "100",
                "--secret",
                "s",
                "--aux-cols",
                "a,b,c",
            ],
        ),
    ];
    for (mut body, mut args) in attacks {
        body["twin"] = json!(sha);
        body["source"] = json!(ds);
        body["seed"] = json!(3);
        let api = measured(&s, &team, "/api/v1/attacks", &body);
        args.extend(common);
        let cli = cli_json(&team, &args);
        same_but_paths_and_seconds(&api, &cli);
        assert!(api["risk"]["value"].is_number(), "{api}");
        assert_eq!(api["inputs"]["twin"]["sha256"], sha.as_str());
    }

    let api = measured(
        &s,
        &team,
        "/api/v1/risk",
        &json!({"table": sha, "quasi": ["a", "b", "c"], "sensitive": ["s"], "source": ds, "samples": 500}),
    );
    let cli = cli_json(
        &team,
        &[
            "risk",
            "--file",
            "gen.csv",
            "--quasi",
            "a,b,c",
            "--sensitive",
            "s",
            "--source",
            "source.csv",
            "--samples",
            "500",
        ],
    );
    same_but_paths_and_seconds(&api, &cli);
    assert!(api["distance"].is_object(), "{api}");

    let api = measured(
        &s,
        &team,
        "/api/v1/utility",
        &json!({"twin": sha, "source": ds, "queries": 50, "seed": 3}),
    );
    let cli = cli_json(
        &team,
        &[
            "utility",
            "--queries",
            "50",
            "--source",
            "source.csv",
            "--twin",
            "gen.csv",
            "--seed",
            "3",
        ],
    );
    same_but_paths_and_seconds(&api, &cli);
    assert!(api["score"].is_number(), "{api}");

    // Bad requests are refused before a job is made.
    let refused = |path: &str, body: Value, status: u16, needle: &str| {
        let r = post(&s, path, &team.steward, &body);
        let p = r.problem(status);
        assert!(p["detail"].as_str().unwrap().contains(needle), "{p}");
    };
    let none = "0".repeat(64);
    refused(
        "/api/v1/attacks",
        json!({"attack": "singling_out", "twin": sha, "source": ds, "secret": "s"}),
        400,
        "secret do not apply to a singling_out attack",
    );
    refused(
        "/api/v1/attacks",
        json!({"attack": "inference", "twin": sha, "source": ds}),
        400,
        "needs a secret",
    );
    refused(
        "/api/v1/attacks",
        json!({"attack": "linkability", "twin": none, "source": ds}),
        404,
        "no stored twin or dataset",
    );
    refused(
        "/api/v1/risk",
        json!({"table": sha, "quasi": []}),
        400,
        "quasi-identifier",
    );
    refused(
        "/api/v1/utility",
        json!({"twin": sha, "source": none}),
        404,
        "no stored twin or dataset",
    );
    // A failing measure is a failed job with the problem the CLI would have given.
    let id = submit(
        &s,
        &team.steward,
        "/api/v1/risk",
        &json!({"table": sha, "quasi": ["nope"]}),
    );
    let done = wait_for(&s, &team.steward, &id, ended);
    assert_eq!(done["state"], "failed", "{done}");
    assert_eq!(done["problem"]["status"], 400, "{done}");
    assert!(
        done["problem"]["detail"].as_str().unwrap().contains("nope"),
        "{done}"
    );
}

#[test]
fn a_running_assessment_cancels_inside_its_attacks() {
    // No hold hook: the job is cancelled while it works. Its singling-out search is given a
    // budget it could not spend in days (a synthetic twin has too few unique rows to find the
    // queries asked for), so it can only end by stopping inside the attack.
    let team = Team::new();
    let s = serve(&team, &["--workers", "1"], false);
    let ds = upload(&s, &team);
    let syn = submit(
        &s,
        &team.steward,
        "/api/v1/twins/synthesize",
        &json!({"dataset": ds, "spec": synth_spec(), "epsilon": 1.0, "seed": 3}),
    );
    let done = wait_for(&s, &team.steward, &syn, ended);
    assert_eq!(done["state"], "succeeded", "{done}");
    let twin = done["result"]["output"]["sha256"]
        .as_str()
        .unwrap()
        .to_owned();
    let a = submit(
        &s,
        &team.steward,
        "/api/v1/assessments",
        &json!({"twin": twin, "source": ds, "spec": assess_spec(), "recipient": "r",
                "n_attacks": 500, "max_attempts": 10_000_000_000_000u64, "seed": 7}),
    );
    wait_for(&s, &team.steward, &a, |j| {
        j["state"] == "running"
            && j["stage"]
                .as_str()
                .is_some_and(|s| s.starts_with("assessing"))
    });
    let c = call(
        &s,
        "DELETE",
        &format!("/api/v1/jobs/{a}"),
        &team.steward,
        None,
    );
    assert_eq!(c.status, 202, "{}", String::from_utf8_lossy(&c.bytes));
    let j = wait_for(&s, &team.steward, &a, ended);
    assert_eq!(j["state"], "cancelled", "{j}");
    assert_eq!(j["problem"]["type"], "/problems/cancelled", "{j}");
    assert!(j["result"].is_null(), "{j}");
    // No assessment was recorded.
    assert_eq!(
        get(&s, "/api/v1/assessments", &team.auditor).json(),
        json!([])
    );
}
