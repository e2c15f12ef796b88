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
