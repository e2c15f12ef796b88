//! Helpers shared by the end-to-end tests: run the binary, read its JSON, find the shared data,
//! check a clean failure.

#![allow(dead_code)]

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

/// Runs `datavisa` with `args` in the current directory.
pub fn datavisa(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_datavisa"))
        .args(args)
        .output()
        .expect("binary runs")
}

/// Runs `datavisa` with `args` in `dir`.
pub fn datavisa_in(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_datavisa"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("binary runs")
}

/// The one JSON value a successful run printed.
pub fn json_of(o: &Output) -> Value {
    assert!(
        o.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).expect("stdout is one JSON value")
}

/// A file of `../shared/data`.
pub fn shared(p: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data")
        .join(p)
        .display()
        .to_string()
}

/// Asserts exit code `code`, every needle in stderr, and no panic.
pub fn fails_with(o: &Output, code: i32, needles: &[&str]) {
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(code), "stderr: {err}");
    for n in needles {
        assert!(err.contains(n), "{n:?} not in: {err}");
    }
    assert!(!err.contains("panicked"), "{err}");
}
