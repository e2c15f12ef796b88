//! The output guard through the binary: each overwrite the hardening run found exits 2, names
//! what it refused, and leaves the store and the inputs byte for byte as they were.

mod common;

use common::datavisa_in;
use std::path::Path;

fn setup(dir: &Path) {
    std::fs::create_dir(dir.join(".datavisa")).unwrap();
    for f in ["vault.db", "ledger.db", "ledger.key", "register.db"] {
        std::fs::write(
            dir.join(".datavisa").join(f),
            format!("the {f} of this store"),
        )
        .unwrap();
    }
    std::fs::write(dir.join("in.csv"), "name,age\n张三,30\n李四,40\n").unwrap();
    std::fs::write(
        dir.join("spec.toml"),
        "[[columns]]\nname = \"age\"\nrole = \"quasi\"\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("t.csv.manifest.json"),
        "{\"kind\": \"generalized_twin\"}",
    )
    .unwrap();
}

fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for e in walk(dir) {
        out.push((e.display().to_string(), std::fs::read(&e).unwrap()));
    }
    out.sort();
    out
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut v = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            v.extend(walk(&p));
        } else {
            v.push(p);
        }
    }
    v
}

#[test]
fn no_output_overwrites_a_store_or_an_input() {
    let d = tempfile::tempdir().unwrap();
    setup(d.path());
    let before = snapshot(d.path());
    let cases: &[&[&str]] = &[
        &[
            "twin",
            "pseudonymize",
            "in.csv",
            "-o",
            ".datavisa/vault.db",
            "--recipient",
            "r",
        ],
        &[
            "assess",
            "--spec",
            "spec.toml",
            "--twin",
            "in.csv",
            "--source",
            "in.csv",
            "--recipient",
            "r",
            "-o",
            ".datavisa/vault.db",
        ],
        &[
            "report",
            "pipia",
            "--exporter",
            "e",
            "--recipient",
            "r",
            "-o",
            ".datavisa/ledger.db",
        ],
        &["ledger", "export", "-o", ".datavisa/ledger.db"],
        &["ledger", "export", "-o", ".datavisa/ledger.key"],
        &["scan", "in.csv", "--write-spec", "in.csv"],
        &[
            "assess",
            "--spec",
            "spec.toml",
            "--twin",
            "in.csv",
            "--source",
            "in.csv",
            "--recipient",
            "r",
            "-o",
            "spec.toml",
        ],
        &[
            "report",
            "pipia",
            "--exporter",
            "e",
            "--recipient",
            "r",
            "--file",
            "in.csv",
            "-o",
            "in.csv",
        ],
        &[
            "twin",
            "generalize",
            "in.csv",
            "--spec",
            "spec.toml",
            "-o",
            "spec.toml",
            "--k",
            "2",
        ],
        &[
            "twin",
            "pseudonymize",
            "in.csv",
            "--spec",
            "spec.toml",
            "-o",
            "spec.toml",
            "--recipient",
            "r",
        ],
        &[
            "twin",
            "generalize",
            "t.csv.manifest.json",
            "-o",
            "t.csv",
            "--k",
            "2",
        ],
    ];
    for args in cases {
        let out = datavisa_in(args, d.path());
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains("refusing") || err.contains("would overwrite"),
            "{args:?}: {err}"
        );
        assert_eq!(snapshot(d.path()), before, "{args:?} changed a file");
    }
}

/// The smaller defects of the hardening run: each is a clear error with exit 2, and nothing
/// is created on the way.
#[test]
fn smaller_defects_are_clear_errors() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("in.csv"), "a,b,s\n1,x,f\n2,y,g\n3,x,f\n").unwrap();
    let fails = |args: &[&str], needle: &str| {
        let out = datavisa_in(args, d.path());
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
    };
    fails(
        &[
            "risk",
            "--file",
            "in.csv",
            "--quasi",
            "a",
            "--sensitive",
            "s",
            "--t",
            "NaN",
        ],
        "t = NaN",
    );
    fails(
        &[
            "risk",
            "--file",
            "in.csv",
            "--quasi",
            "a",
            "--sensitive",
            "s",
            "--t",
            "1e309",
        ],
        "t = inf",
    );
    fails(
        &[
            "twin",
            "generalize",
            "in.csv",
            "-o",
            "o.csv",
            "--quasi",
            "a",
            "--k",
            "2",
            "--t",
            "1e309",
        ],
        "--t inf",
    );
    fails(
        &[
            "visa",
            "issue",
            "--assessment",
            "as-x",
            "--store",
            "missing/dir",
        ],
        "no register here",
    );
    assert!(
        !d.path().join("missing").exists(),
        "the store directory was not created"
    );
    fails(
        &["vault", "status", "--master-key-file", "nokey"],
        "--master-key-file nokey",
    );
    std::fs::write(d.path().join("empty.key"), "\n").unwrap();
    fails(
        &["vault", "status", "--master-key-file", "empty.key"],
        "the master key is empty",
    );
    let ok = |args: &[&str]| assert!(datavisa_in(args, d.path()).status.success(), "{args:?}");
    ok(&["ledger", "exporter", "add", "Acme"]);
    ok(&["ledger", "recipient", "add", "r", "--jurisdiction", "DE"]);
    fails(
        &[
            "report",
            "pipia",
            "--exporter",
            "Acme",
            "--recipient",
            "r",
            "-o",
            "x.docx",
        ],
        "not .docx",
    );
    assert!(!d.path().join("x.docx").exists());
    // Corrupt stores are named (exit 1: the store, not the user's input, is at fault).
    let names = |args: &[&str], needle: &str| {
        let out = datavisa_in(args, d.path());
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(
            err.contains(needle) && err.contains("corrupt"),
            "{args:?}: {err}"
        );
    };
    std::fs::write(d.path().join(".datavisa/register.db"), vec![b'x'; 4096]).unwrap();
    names(&["assess", "list", "--format", "json"], "register.db");
    std::fs::write(d.path().join(".datavisa/ledger.db"), vec![b'y'; 4096]).unwrap();
    names(&["ledger", "exporter", "list"], "ledger.db");
}

/// With $USER unset the audit actor is still the account, never "unknown".
#[test]
fn the_audit_actor_is_the_account_without_user_set() {
    let d = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_datavisa"))
        .args([
            "vault",
            "init",
            "--kdf-memory-mib",
            "7",
            "--kdf-passes",
            "5",
        ])
        .env_remove("USER")
        .env_remove("LOGNAME")
        .env_remove("USERNAME")
        .env("DATAVISA_MASTER_KEY", "a master key for the actor test")
        .current_dir(d.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let c = rusqlite::Connection::open(d.path().join(".datavisa/vault.db")).unwrap();
    let actors: Vec<String> = c
        .prepare("SELECT actor FROM audit")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(!actors.is_empty());
    assert!(
        actors.iter().all(|a| a != "unknown" && !a.is_empty()),
        "{actors:?}"
    );
}

/// A store with loose permissions (0755 directory, 0644 files) is tightened when opened.
#[test]
fn a_loose_store_is_tightened() {
    use std::os::unix::fs::PermissionsExt;
    let d = tempfile::tempdir().unwrap();
    let ok = |args: &[&str]| assert!(datavisa_in(args, d.path()).status.success(), "{args:?}");
    ok(&["ledger", "exporter", "add", "Acme"]);
    let store = d.path().join(".datavisa");
    let set =
        |p: &Path, m: u32| std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap();
    set(&store, 0o755);
    set(&store.join("ledger.db"), 0o644);
    ok(&["ledger", "recipient", "add", "r", "--jurisdiction", "DE"]);
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&store), 0o700);
    assert_eq!(mode(&store.join("ledger.db")), 0o600);
}
