//! Helpers shared by the end-to-end tests: run the binary, read its JSON, find the shared data,
//! check a clean failure.

#![allow(dead_code)]

pub mod serve;

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

/// Headless Chromium for the browser checks: `DATAVISA_CHROMIUM` or Debian's, None when it
/// is missing (a failure when `DATAVISA_REQUIRE_CHROMIUM` says CI needs it).
pub fn chromium() -> Option<String> {
    let c = std::env::var("DATAVISA_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if Path::new(&c).exists() {
        return Some(c);
    }
    assert!(
        std::env::var_os("DATAVISA_REQUIRE_CHROMIUM").is_none(),
        "DATAVISA_REQUIRE_CHROMIUM is set but {c} is missing"
    );
    eprintln!("skipped: {c} not installed (.ci/run installs Debian's chromium)");
    None
}

/// Headless Chromium as it runs here: no sandbox, GPU or network, a fresh profile.
pub fn headless(chromium: &str, profile: &Path) -> Command {
    let mut c = Command::new(chromium);
    c.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ])
    .arg(format!("--user-data-dir={}", profile.display()));
    c
}

/// The DOM of `page` after headless Chromium laid it out, and the pages of its A4 print (0 when
/// no PDF came out).
pub fn chromium_render(chromium: &str, dir: &Path, page: &Path) -> (String, usize) {
    let profile = dir.join("chromium-profile");
    let run = |extra: &[String]| {
        headless(chromium, &profile)
            .args(extra)
            .arg(format!("file://{}", page.display()))
            .output()
            .expect("chromium runs")
    };
    let pdf = page.with_extension("pdf");
    run(&[format!("--print-to-pdf={}", pdf.display())]);
    let pages = std::fs::read(&pdf).map_or(0, |b| pdf_pages(&b));
    let dom = run(&["--dump-dom".into()]);
    (String::from_utf8_lossy(&dom.stdout).into_owned(), pages)
}

/// Page objects in a PDF (`/Type /Page`, not `/Pages`).
fn pdf_pages(pdf: &[u8]) -> usize {
    let text = String::from_utf8_lossy(pdf);
    text.match_indices("/Type")
        .filter(|(i, _)| {
            let rest = text[i + 5..].trim_start();
            rest.starts_with("/Page") && !rest.starts_with("/Pages")
        })
        .count()
}

/// `datavisa demo` on 3,000 rows in `dir` (files under `demo/`, store `demo/demo-store`), as of
/// 2026-11-22; its JSON summary.
pub fn small_demo(dir: &Path) -> Value {
    json_of(&datavisa_in(
        &[
            "demo",
            "--rows",
            "3000",
            "--out",
            "demo",
            "--as-of",
            "2026-11-22",
            "--format",
            "json",
        ],
        dir,
    ))
}

/// Runs `datavisa` in `dir` and fails the test, with its stderr, unless it succeeds.
pub fn succeeds_in(dir: &Path, args: &[&str]) -> Output {
    let o = datavisa_in(args, dir);
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

/// Latin words of `text` left after dropping data: the names the caller lists, any token with a
/// digit or a path or code separator, and one or two capitals (a rule id's prefix, a country
/// code); words in `allowed` (abbreviations) stay allowed. A Chinese text should leave none.
pub fn stray_latin(text: &str, data: &[&str], allowed: &[&str]) -> Vec<String> {
    let mut t = text.to_owned();
    for d in data {
        t = t.replace(d, " ");
    }
    let mut out = Vec::new();
    for token in t.split(|c: char| {
        c.is_whitespace() || "，。；：、（）()[]{}\"'“”<>=+,;:|·—–─→↔±≤≥?？！!".contains(c)
    }) {
        let is_data = token
            .chars()
            .any(|c| c.is_ascii_digit() || "/._-@#%$*".contains(c));
        if token.is_empty() || is_data {
            continue;
        }
        for word in token.split(|c: char| !c.is_ascii_alphabetic()) {
            let code = word.len() <= 2 && word.chars().all(|c| c.is_ascii_uppercase());
            if !word.is_empty() && !code && !allowed.contains(&word) {
                out.push(word.to_owned());
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The quasi-identifiers of ARX's Adult example, in the order the golden results list levels.
pub const ADULT_QI: [&str; 8] = [
    "age",
    "sex",
    "race",
    "marital-status",
    "education",
    "native-country",
    "workclass",
    "occupation",
];

/// Each column's pseudonymization method in a pseudonymized twin's manifest, in column order.
pub fn column_methods(manifest: &Value) -> Vec<(String, String)> {
    manifest["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["column"].as_str().unwrap().to_owned(),
                c["method"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}
