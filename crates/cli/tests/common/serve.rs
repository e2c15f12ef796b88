//! Helpers shared by the tests that drive a real `datavisa serve` over HTTP: the CLI with the
//! test master key, a store with users and tokens, a server on a loopback port, and requests.

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};

pub const MASTER: &str = "correct horse battery staple";

/// Runs the CLI in `dir` with the test master key, no approver credential, and `env` on top.
pub fn dv_env(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_datavisa"));
    c.args(args)
        .current_dir(dir)
        .env("DATAVISA_MASTER_KEY", MASTER)
        .env_remove("DATAVISA_APPROVER_CREDENTIAL");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("binary runs")
}

/// Runs the CLI in `dir` with the test master key.
pub fn dv(dir: &Path, args: &[&str]) -> Output {
    dv_env(dir, &[], args)
}

/// The stdout of a run that must succeed.
pub fn ok(o: Output) -> String {
    assert!(
        o.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

/// Makes the store `st` in `dir` with a vault (cheap KDF, tests only).
pub fn init_store(dir: &Path) {
    ok(dv(
        dir,
        &[
            "vault",
            "init",
            "--store",
            "st",
            "--kdf-memory-mib",
            "8",
            "--kdf-passes",
            "5",
        ],
    ));
}

/// Adds the user `name` with `roles` to the store `st` in `dir`; a fresh token of theirs.
pub fn add_user(dir: &Path, name: &str, roles: &str) -> String {
    ok(dv(
        dir,
        &["user", "add", name, "--role", roles, "--store", "st"],
    ));
    ok(dv(
        dir,
        &["token", "create", "--user", name, "--store", "st"],
    ))
    .trim()
    .to_owned()
}

/// A running server and everything it wrote on stderr.
pub struct Server {
    pub child: Child,
    pub base: String,
    pub log: Arc<Mutex<String>>,
}

impl Server {
    /// `datavisa serve --listen 127.0.0.1:0 EXTRA_ARGS` in `dir` with the test master key,
    /// English messages and `env` on top.
    pub fn start(dir: &Path, extra_args: &[&str], env: &[(&str, &str)]) -> Server {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_datavisa"));
        cmd.args(["serve", "--listen", "127.0.0.1:0"])
            .args(extra_args)
            .current_dir(dir)
            .env("DATAVISA_MASTER_KEY", MASTER)
            .env("DATAVISA_LANG", "en")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("server starts");
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let log = Arc::new(Mutex::new(String::new()));
        let mut addr = None;
        for line in lines.by_ref() {
            let line = line.unwrap();
            log.lock().unwrap().push_str(&line);
            log.lock().unwrap().push('\n');
            if let Some(rest) = line.strip_prefix("listening on ") {
                addr = Some(rest.split(';').next().unwrap().to_owned());
                break;
            }
        }
        let addr = addr.unwrap_or_else(|| panic!("no address: {}", log.lock().unwrap()));
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in lines.map_while(|l| l.ok()) {
                let mut s = sink.lock().unwrap();
                s.push_str(&line);
                s.push('\n');
            }
        });
        Server {
            child,
            base: format!("http://{addr}"),
            log,
        }
    }

    pub fn addr(&self) -> &str {
        self.base.trim_start_matches("http://")
    }

    /// Stops the server and returns its whole log.
    pub fn stop(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // The reader thread ends at EOF; give it the lock's last word.
        std::thread::sleep(std::time::Duration::from_millis(100));
        let log = self.log.lock().unwrap().clone();
        log
    }

    /// SIGTERM, then waits (a minute at most) for the server to end: its exit status and log.
    pub fn terminate(mut self) -> (std::process::ExitStatus, String) {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(sent.success(), "kill -TERM {pid}");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        let status = loop {
            if let Some(st) = self.child.try_wait().unwrap() {
                break st;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the server did not stop at SIGTERM: {}",
                self.log.lock().unwrap()
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        };
        std::thread::sleep(std::time::Duration::from_millis(100));
        let log = self.log.lock().unwrap().clone();
        (status, log)
    }

    /// SIGKILL: no shutdown of any kind.
    pub fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A response: status, headers, body (as bytes, and as text when it is UTF-8).
pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub bytes: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.bytes)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&self.bytes)))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn location(&self) -> Option<&str> {
        self.header("location")
    }

    pub fn request_id(&self) -> String {
        self.header("x-request-id").unwrap_or("").to_owned()
    }

    /// Asserts an RFC 9457 problem with `status`.
    pub fn problem(&self, status: u16) -> Value {
        assert_eq!(self.status, status, "{}", self.body);
        assert_eq!(
            self.content_type, "application/problem+json",
            "{}",
            self.body
        );
        let p = self.json();
        for key in ["type", "title", "detail", "instance"] {
            assert!(p[key].is_string(), "{key} in {p}");
        }
        assert_eq!(p["status"], status);
        p
    }

    /// Asserts status `status` and returns the body's JSON.
    pub fn expect(&self, status: u16) -> Value {
        assert_eq!(self.status, status, "{}", self.body);
        self.json()
    }

    /// Asserts a 409 refusal whose detail contains `needle`.
    pub fn refused(&self, needle: &str) {
        let p = self.expect(409);
        let detail = p["detail"].as_str().unwrap();
        assert!(detail.contains(needle), "{detail:?} lacks {needle:?}");
    }
}

/// One request; `body` is `(content type, bytes)`.
pub fn call(
    s: &Server,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<(&str, &[u8])>,
) -> Reply {
    let a: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let url = format!("{}{path}", s.base);
    let auth = token.map(|t| format!("Bearer {t}"));
    let res = match method {
        "GET" => {
            let mut r = a.get(&url);
            if let Some(h) = &auth {
                r = r.header("Authorization", h);
            }
            r.call()
        }
        "DELETE" => {
            let mut r = a.delete(&url);
            if let Some(h) = &auth {
                r = r.header("Authorization", h);
            }
            r.call()
        }
        _ => {
            let mut r = a.post(&url);
            if let Some(h) = &auth {
                r = r.header("Authorization", h);
            }
            match body {
                Some((ct, bytes)) => r.header("Content-Type", ct).send(bytes),
                None => r.send_empty(),
            }
        }
    };
    let mut res = res.expect("the server answers");
    let headers: Vec<(String, String)> = res
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
        .collect();
    let content_type = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let bytes = res.body_mut().read_to_vec().unwrap_or_default();
    Reply {
        status: res.status().as_u16(),
        content_type,
        headers,
        body: String::from_utf8(bytes.clone()).unwrap_or_default(),
        bytes,
    }
}

pub fn get(s: &Server, path: &str, token: Option<&str>) -> Reply {
    call(s, "GET", path, token, None)
}

pub fn post_json(s: &Server, path: &str, token: Option<&str>, body: &str) -> Reply {
    call(
        s,
        "POST",
        path,
        token,
        Some(("application/json", body.as_bytes())),
    )
}

/// Uploads `bytes` as the CSV dataset `name`.
pub fn upload(s: &Server, token: &str, name: &str, bytes: &[u8]) -> Reply {
    call(
        s,
        "POST",
        &format!("/api/v1/datasets?name={name}"),
        Some(token),
        Some(("text/csv", bytes)),
    )
}
