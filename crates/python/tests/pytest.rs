//! Runs the Python package's tests (pytest) against the package built from this checkout with
//! maturin, in a virtual environment kept under the cargo target directory. Without Python 3
//! with venv and pip (or without the network on a first run) it skips in one line, unless
//! `DATAVISA_REQUIRE_PYTHON=1` (set by `.ci/run`), which makes that a failure.

use std::path::{Path, PathBuf};
use std::process::Command;

/// What the test environment installs, pinned so that a run is repeatable.
const REQUIREMENTS: &[&str] = &[
    "maturin==1.16.0",
    "pytest==9.2.0",
    // Anonymeter 1.1.0 itself, for the drop-in's side-by-side test, and what it admits
    // (numpy < 1.27, pyarrow < 22).
    "anonymeter==1.1.0",
    "numpy==1.26.4",
    "pyarrow==21.0.0",
    "pandas==2.2.3",
    "polars==1.33.1",
    "scikit-learn==1.5.2",
    "numba==0.60.0",
];

fn required() -> bool {
    std::env::var_os("DATAVISA_REQUIRE_PYTHON").is_some_and(|v| v == "1")
}

/// Skips (or, when Python is required, fails) with one line.
fn unavailable(why: &str) {
    assert!(!required(), "DATAVISA_REQUIRE_PYTHON=1 but {why}");
    eprintln!("skipping the Python package's tests: {why}");
}

fn run(cmd: &mut Command) -> Result<String, String> {
    let shown = format!("{cmd:?}");
    let out = cmd.output().map_err(|e| format!("{shown}: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!(
            "{shown} failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"))
}

/// The venv with the pinned requirements, made once and reused while they stay the same.
fn venv(python: &str) -> Result<PathBuf, String> {
    let dir = target_dir().join("python-venv");
    let stamp = dir.join("datavisa-requirements.txt");
    let want = REQUIREMENTS.join("\n");
    if std::fs::read_to_string(&stamp).ok().as_deref() == Some(want.as_str()) {
        return Ok(dir);
    }
    let _ = std::fs::remove_dir_all(&dir);
    run(Command::new(python).args(["-m", "venv"]).arg(&dir))?;
    let pip = dir.join("bin/pip");
    run(Command::new(&pip)
        .args(["install", "--quiet", "--disable-pip-version-check"])
        .args(REQUIREMENTS))?;
    std::fs::write(&stamp, want).map_err(|e| e.to_string())?;
    Ok(dir)
}

#[test]
fn the_python_package_passes_its_tests() {
    let python = std::env::var("DATAVISA_PYTHON").unwrap_or_else(|_| "python3".into());
    if Command::new(&python).arg("--version").output().is_err() {
        return unavailable(&format!("{python} is not installed"));
    }
    let venv = match venv(&python) {
        Ok(v) => v,
        Err(e) => return unavailable(&format!("the test environment cannot be made: {e}")),
    };
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    // A target directory of its own: the outer cargo may hold the workspace's while tests run.
    let build = target_dir().join("python-build");
    let develop = run(Command::new(venv.join("bin/maturin"))
        .args(["develop", "--quiet", "--manifest-path"])
        .arg(crate_dir.join("Cargo.toml"))
        .env("VIRTUAL_ENV", &venv)
        .env("CARGO_TARGET_DIR", &build)
        .env_remove("CARGO_BUILD_TARGET"));
    if let Err(e) = develop {
        panic!("the package does not build: {e}");
    }
    let shared = crate_dir.join("../../../shared/data");
    let mut pytest = Command::new(venv.join("bin/python"));
    pytest
        .args(["-m", "pytest", "-q", "-p", "no:cacheprovider"])
        .arg(crate_dir.join("tests"))
        .env("DATAVISA_SHARED_DATA", shared);
    // The CLI that `cargo test --workspace` builds, for the tests comparing with its JSON.
    let cli = target_dir().join("debug/datavisa");
    if cli.is_file() {
        pytest.env("DATAVISA_CLI", cli);
    }
    let out = pytest.output().expect("pytest runs");
    assert!(
        out.status.success(),
        "pytest failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!(
        "{}",
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .last()
            .unwrap_or("")
    );
}
