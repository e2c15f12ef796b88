//! Schema-based fuzzing of the HTTP API: schemathesis (from PyPI, pinned, in a venv cached under
//! the target directory) runs against the OpenAPI document a real `datavisa serve` serves, with a
//! bounded number of examples and a fixed seed, over a store populated through the API so every
//! `{id}` names something. No answer may be a 5xx or break its declared status, content type or
//! schema. Without python3, venv, pip or the network the test skips with one line, unless
//! `DATAVISA_REQUIRE_SCHEMATHESIS=1` (CI) makes that a failure.

mod common;

use common::serve::{add_user, dv_env, get, init_store, ok, post_json, upload, Server};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The schemathesis release the test runs (it needs Python 3.11 or later: Debian 12's).
const SCHEMATHESIS: &str = "4.32.5";

/// Test cases per operation in the fuzzing phase: enough to find the declared-schema defects
/// (12 found every one a run of 150 found), few enough that the whole test stays near a minute
/// on two cores.
const MAX_EXAMPLES: &str = "15";

/// [`MAX_EXAMPLES`], or `DATAVISA_SCHEMATHESIS_EXAMPLES` for a deeper run by hand.
fn max_examples() -> String {
    std::env::var("DATAVISA_SCHEMATHESIS_EXAMPLES").unwrap_or_else(|_| MAX_EXAMPLES.to_owned())
}

/// The seed of every run, so a failure reproduces.
const SEED: &str = "20261204";

// The specs it does not use are the in-process fuzzer's.
#[allow(dead_code)]
#[path = "../../server/tests/fixtures/team.rs"]
mod team;
use team::{assess_spec, source_csv};

/// The vault approver credential of `name`.
fn credential(name: &str) -> String {
    format!("{name}-approver-credential-schema")
}

/// Why schemathesis cannot run here: skipped with this line, or a failure when required.
fn unavailable(why: &str) {
    if std::env::var("DATAVISA_REQUIRE_SCHEMATHESIS").as_deref() == Ok("1") {
        panic!("DATAVISA_REQUIRE_SCHEMATHESIS=1 but schemathesis cannot run: {why}");
    }
    eprintln!("skipping the schemathesis test: {why}");
}

/// The output of a command that ran, or why it could not.
fn run(cmd: &mut Command) -> Result<Output, String> {
    cmd.output()
        .map_err(|e| format!("{} did not start: {e}", cmd.get_program().to_string_lossy()))
}

/// Both streams of `o`, for a message.
fn streams(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The last line `o` printed: the cause, for a one-line skip.
fn last_line(o: &Output) -> String {
    let all = streams(o);
    all.trim().lines().last().unwrap_or("").to_owned()
}

/// The `schemathesis` program of a venv holding the pinned version: the cached one, or one made
/// now with `python3 -m venv` and pip. A venv is only marked ready once pip succeeded, so a
/// broken install is redone rather than reused.
fn schemathesis() -> Result<PathBuf, String> {
    let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("schemathesis-{SCHEMATHESIS}"));
    let exe = venv.join("bin").join("schemathesis");
    let ready = venv.join("datavisa-ready");
    let pin = format!("schemathesis=={SCHEMATHESIS}");
    if std::fs::read_to_string(&ready).is_ok_and(|p| p == pin) && exe.exists() {
        return Ok(exe);
    }
    let _ = std::fs::remove_dir_all(&venv);
    let o = run(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
    if !o.status.success() {
        return Err(format!("python3 -m venv failed: {}", last_line(&o)));
    }
    let o = run(Command::new(venv.join("bin").join("python")).args([
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        // Offline, pip gives up after these rather than retrying for minutes.
        "--timeout",
        "20",
        "--retries",
        "2",
        &pin,
    ]))?;
    if !o.status.success() {
        return Err(format!("pip install {pin} failed: {}", last_line(&o)));
    }
    std::fs::write(&ready, &pin).map_err(|e| e.to_string())?;
    Ok(exe)
}

/// The ids schemathesis is given for the path parameters, made through the API.
struct World {
    token: String,
    env: Vec<(&'static str, String)>,
}

/// Asserts `status` and returns the body's JSON.
fn expect(r: common::serve::Reply, status: u16, what: &str) -> Value {
    assert_eq!(r.status, status, "{what}: {}", r.body);
    r.json()
}

/// Submits a job and waits for its success; its final view.
fn job(s: &Server, token: &str, path: &str, body: Value) -> Value {
    let a = expect(
        post_json(s, path, Some(token), &body.to_string()),
        202,
        path,
    );
    let id = a["id"].as_str().unwrap().to_owned();
    loop {
        let j = expect(
            get(s, &format!("/api/v1/jobs/{id}"), Some(token)),
            200,
            path,
        );
        match j["state"].as_str().unwrap() {
            "queued" | "running" => std::thread::sleep(std::time::Duration::from_millis(20)),
            "succeeded" => return j,
            _ => panic!("job {path}: {j}"),
        }
    }
}

/// A store `st` in `dir` with `fuzzer` (every role, the token schemathesis uses), `other`
/// (whom the user and token routes act on, never the fuzzer) and `stew` (who files the relink
/// requests the fuzzer may decide); fuzzer, ann and bob are vault approvers.
fn team(dir: &Path) -> (String, String, String) {
    init_store(dir);
    let fuzzer = add_user(dir, "fuzzer", "steward,approver,dpo,auditor,admin");
    let other = add_user(dir, "other", "dpo");
    let stew = add_user(dir, "stew", "steward");
    for name in ["ann", "bob"] {
        add_user(dir, name, "approver");
    }
    for name in ["fuzzer", "ann", "bob"] {
        let cred = credential(name);
        ok(dv_env(
            dir,
            &[("DATAVISA_APPROVER_CREDENTIAL", &cred)],
            &["vault", "approver", "add", name, "--store", "st"],
        ));
    }
    (fuzzer, other, stew)
}

/// Populates the served store as a team would and names what the routes' parameters take.
fn world(s: &Server, fuzzer: &str, other: &str, stew: &str) -> World {
    let up = upload(s, fuzzer, "source.csv", source_csv().as_bytes());
    let sha = expect(up, 201, "upload")["sha256"]
        .as_str()
        .unwrap()
        .to_owned();
    let pseudo = job(
        s,
        fuzzer,
        "/api/v1/twins/pseudonymize",
        json!({"dataset": sha, "recipient": "acme", "spec": "[pseudonymize.pid]\nmethod = \"token\"\n"}),
    );
    let general = job(
        s,
        fuzzer,
        "/api/v1/twins/generalize",
        json!({"dataset": sha, "quasi": ["a", "b", "c"], "sensitive": ["s"], "k": 2}),
    );
    let twin = general["result"]["output"]["sha256"]
        .as_str()
        .unwrap()
        .to_owned();
    let pseudo_sha = pseudo["result"]["output"]["sha256"].as_str().unwrap();
    let m = expect(
        get(s, &format!("/api/v1/twins/{pseudo_sha}"), Some(fuzzer)),
        200,
        "twin",
    );
    let twin_id = m["twin_id"].as_str().unwrap().to_owned();
    let file = get(
        s,
        &format!("/api/v1/twins/{pseudo_sha}/download"),
        Some(fuzzer),
    );
    assert_eq!(file.status, 200, "{}", file.body);
    let pseudonyms: Vec<String> = file
        .body
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap().to_owned())
        .collect();
    let assessments: Vec<String> = ["r1", "r2", "r3"]
        .iter()
        .map(|r| {
            let body = json!({"twin": twin, "source": sha, "spec": assess_spec(), "recipient": r,
                              "n_attacks": 50, "max_attacks": 50, "seed": 7});
            let done = job(s, fuzzer, "/api/v1/assessments", body);
            done["result"]["id"].as_str().unwrap().to_owned()
        })
        .collect();
    let visa = |a: &str| {
        let v = post_json(
            s,
            "/api/v1/visas",
            Some(fuzzer),
            &json!({"assessment": a}).to_string(),
        );
        expect(v, 201, "visa")["id"].as_str().unwrap().to_owned()
    };
    let (to_void, to_revoke) = (visa(&assessments[0]), visa(&assessments[1]));
    let relink = |p: &str| {
        let body = json!({"twin_id": twin_id, "pseudonyms": [p], "purpose": "a complaint",
                          "legal_basis": "PIPL Art. 13(2)"});
        let r = post_json(s, "/api/v1/relinks", Some(stew), &body.to_string());
        expect(r, 201, "relink")["id"].as_str().unwrap().to_owned()
    };
    let (to_approve, to_deny) = (relink(&pseudonyms[0]), relink(&pseudonyms[1]));
    let own = {
        let body = json!({"twin_id": twin_id, "pseudonyms": [pseudonyms[2]], "purpose": "a complaint",
                          "legal_basis": "PIPL Art. 13(2)"});
        let r = post_json(s, "/api/v1/relinks", Some(fuzzer), &body.to_string());
        expect(r, 201, "own relink")["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    for (path, body) in [
        (
            "/api/v1/ledger/exporters",
            json!({"name": "Schema Retail Co"}),
        ),
        (
            "/api/v1/ledger/recipients",
            json!({"name": "partner-sg", "jurisdiction": "SG"}),
        ),
    ] {
        expect(
            post_json(s, path, Some(fuzzer), &body.to_string()),
            201,
            path,
        );
    }
    let job_id = general["id"].as_str().unwrap().to_owned();
    World {
        token: fuzzer.to_owned(),
        env: vec![
            ("DV_SCHEMA_DATASET", sha),
            ("DV_SCHEMA_TWIN", twin),
            ("DV_SCHEMA_PREFIX", other[..11].to_owned()),
            ("DV_SCHEMA_ASSESSMENT", assessments[2].clone()),
            ("DV_SCHEMA_VISA_VOID", to_void),
            ("DV_SCHEMA_VISA_REVOKE", to_revoke),
            ("DV_SCHEMA_RELINK_APPROVE", to_approve),
            ("DV_SCHEMA_RELINK_DENY", to_deny),
            ("DV_SCHEMA_RELINK_OWN", own),
            ("DV_SCHEMA_JOB", job_id),
        ],
    }
}

#[test]
fn schemathesis_finds_no_5xx_and_no_response_off_its_schema() {
    let exe = match schemathesis() {
        Ok(exe) => exe,
        Err(why) => return unavailable(&why),
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (fuzzer, other, stew) = team(d);
    let s = Server::start(d, &["--store", "st", "--max-upload-mib", "1"], &[]);
    let w = world(&s, &fuzzer, &other, &stew);
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/schemathesis.toml");
    let url = format!("{}/api/v1/openapi.json", s.base);
    let mut cmd = Command::new(&exe);
    cmd.arg("--config-file")
        .arg(&config)
        .args(["run", &url])
        .args(["--max-examples", &max_examples(), "--seed", SEED])
        .args(["--generation-database", "none", "--no-color"])
        .current_dir(d)
        .env("DV_SCHEMA_TOKEN", &w.token)
        .envs(w.env.iter().map(|(k, v)| (*k, v.as_str())));
    let started = std::time::Instant::now();
    let o = run(&mut cmd).unwrap_or_else(|e| panic!("{e}"));
    let out = streams(&o);
    let log = s.stop();
    eprintln!(
        "schemathesis {SCHEMATHESIS} ran {:.0?}:\n{out}",
        started.elapsed()
    );
    // The server's own account of a failure (an internal error, a panic) is the only part of
    // its log worth showing beside schemathesis' report.
    let errors: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("ERROR") || l.contains("panicked"))
        .collect();
    assert!(
        o.status.success(),
        "schemathesis found failures:\n{out}\nserver errors:\n{}",
        errors.join("\n")
    );
}
