//! End-to-end tests through the `datavisa` binary.

mod common;

use common::{datavisa_in as datavisa, fails_with, json_of, shared, ADULT_QI};
use serde_json::Value;
use std::path::PathBuf;

fn column<'a>(v: &'a Value, name: &str) -> &'a Value {
    v["columns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no column {name}"))
}

#[test]
fn demo_runs_every_step_and_writes_its_files() {
    let d = tempfile::tempdir().unwrap();
    let v = common::small_demo(d.path());
    assert_eq!(v["rows"], 3000);
    let steps = v["steps"].as_array().unwrap();
    assert_eq!(
        steps
            .iter()
            .map(|s| s["step"].as_str().unwrap())
            .collect::<Vec<_>>(),
        [
            "generate",
            "inspect",
            "scan",
            "risk",
            "attack",
            "twin",
            "assess",
            "synthesize",
            "pseudonymize",
            "ledger"
        ]
    );
    // A DP synthetic twin of the release half over the generator's public domain: every
    // declared column kept, identifiers and undeclared columns left out, utility measured.
    let sy = &steps[7];
    assert_eq!(sy["method"], "mst");
    assert_eq!(sy["columns"], 8);
    let rows = sy["rows"].as_f64().unwrap();
    assert!((rows - 1500.0).abs() < 500.0, "{rows}");
    assert!(sy["utility"]["columns"].as_f64().unwrap() > 0.8, "{sy}");
    let manifest: serde_json::Value = serde_json::from_slice(
        &std::fs::read(d.path().join(sy["manifest"].as_str().unwrap())).unwrap(),
    )
    .unwrap();
    assert_eq!(manifest["kind"], "synthetic_twin");
    let synthesized: Vec<&str> = manifest["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["column"].as_str().unwrap())
        .collect();
    assert!(synthesized.contains(&"诊断") && !synthesized.contains(&"身份证号"));
    let id = manifest["dropped"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["column"] == "身份证号")
        .unwrap();
    assert!(id["reason"].as_str().unwrap().contains("identifier"));
    // One twin, two recipients with different knowledge, two verdicts, both reports written.
    let assessed = steps[6]["assessments"].as_array().unwrap();
    let verdict_of = |r: &str| {
        let a = assessed.iter().find(|a| a["recipient"] == r).unwrap();
        let report = std::fs::read_to_string(d.path().join(a["report"].as_str().unwrap())).unwrap();
        assert!(
            report.contains("id=\"verdict\"") && report.contains("<svg"),
            "{r}"
        );
        assert!(d.path().join(a["report_json"].as_str().unwrap()).is_file());
        a["verdict"].as_str().unwrap().to_owned()
    };
    assert_eq!(verdict_of("hr-analytics"), "anonymized");
    assert_eq!(verdict_of("data-broker"), "de_identified");
    // Three transfers crossing the 100,000 band, 5,000 people sent twice counted once; the
    // plan before the third explains the standard contract it needs.
    // (The fake customers repeat a few resident IDs, as real exports do: they count once.)
    let lg = &steps[9];
    let t: Vec<u64> = lg["transfers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap())
        .collect();
    assert!(
        t[0] <= 45_000 && t[1] <= 40_000 && t[2] <= 30_000 && t[0] > 44_000,
        "{t:?}"
    );
    assert_eq!(lg["ordinary_total"], t.iter().sum::<u64>());
    assert!(lg["ordinary_total"].as_u64().unwrap() >= 100_000);
    assert_eq!(lg["plan"]["mechanism"], "standard_contract");
    assert_eq!(lg["plan"]["counts"]["ordinary"]["before"], t[0] + t[1]);
    assert_eq!(
        lg["plan"]["counts"]["ordinary"]["after"],
        lg["ordinary_total"]
    );
    assert!(lg["plan"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r == "M-5"));
    assert!(lg["plan"]["warnings"][0]
        .as_str()
        .unwrap()
        .contains("into M-5"));
    // The pseudonymized twin: de-identified, one approved relink of three IDs, log intact.
    let ps = &steps[8];
    assert_eq!(ps["legal_status"], "de_identified");
    assert_eq!(ps["relink"]["values"], 3);
    assert_eq!(ps["relink"]["column"], "身份证号");
    assert_eq!(ps["audit"]["intact"], true);
    let source = std::fs::read_to_string(d.path().join("demo/customers.csv")).unwrap();
    let twin = std::fs::read_to_string(d.path().join("demo/customers-pseudonymized.csv")).unwrap();
    let relinked = std::fs::read_to_string(d.path().join("demo/relinked.csv")).unwrap();
    for line in relinked.lines().skip(1) {
        let (pseudonym, id) = line.split_once(',').unwrap();
        assert!(
            twin.contains(pseudonym) && source.contains(id) && !twin.contains(id),
            "{line}"
        );
    }
    // The generalized twin has no identifiers left and suppresses at most 5%.
    assert!(
        steps[5]["suppressed"].as_u64().unwrap() <= 150,
        "{}",
        steps[5]
    );
    assert!(steps[5]["dropped"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x == "身份证号"));
    // Exporting raw customers: unique on the proposed quasi-identifiers, and singled out.
    assert_eq!(steps[3]["k"], 1);
    assert!(
        steps[4]["risk"]["value"].as_f64().unwrap() > 0.9,
        "{}",
        steps[4]
    );
    let scan = &steps[2];
    for id in ["身份证号", "手机号", "银行卡号", "姓名"] {
        assert!(
            scan["identifier"]
                .as_array()
                .unwrap()
                .iter()
                .any(|x| x == id),
            "{id}"
        );
    }
    for f in v["files"].as_array().unwrap() {
        assert!(d.path().join(f.as_str().unwrap()).is_file(), "{f}");
    }
    // The spec draft reads back and drives a typed inspect of the same file.
    let i = json_of(&datavisa(
        &[
            "inspect",
            "demo/customers.csv",
            "--spec",
            "demo/spec.toml",
            "--format",
            "json",
        ],
        d.path(),
    ));
    assert_eq!(i["rows"], 3000);
    assert_eq!(column(&i, "出生日期")["type"], "date");
    // Parquet written by the demo reads back to the same shape.
    let p = json_of(&datavisa(
        &["inspect", "demo/customers.parquet", "--format", "json"],
        d.path(),
    ));
    assert_eq!(
        (p["rows"].clone(), p["format"].clone()),
        (Value::from(3000), Value::from("parquet"))
    );
    // Scanning the Parquet copy finds the same identifiers: typed columns (phones as Int64, birth
    // dates as Date32) reach the detectors as text.
    let sp = json_of(&datavisa(
        &[
            "scan",
            "demo/customers.parquet",
            "--as-of",
            "2026-11-22",
            "--format",
            "json",
        ],
        d.path(),
    ));
    for (name, kind) in [
        ("身份证号", "cn_resident_id"),
        ("手机号", "cn_mobile"),
        ("出生日期", "date_of_birth"),
        ("银行卡号", "bank_card"),
    ] {
        assert_eq!(column(&sp, name)["kind"], kind, "{name}");
    }
    // The visas issued on the assessments are still in the demo's store after every later step
    // (the pseudonymize step once made the store afresh and they vanished).
    let visas = json_of(&datavisa(
        &[
            "visa",
            "list",
            "--store",
            "demo/demo-store",
            "--format",
            "json",
        ],
        d.path(),
    ));
    let issued: Vec<&str> = assessed
        .iter()
        .map(|a| a["visa"].as_str().unwrap())
        .collect();
    let listed: Vec<&str> = visas
        .as_array()
        .unwrap_or_else(|| panic!("{visas}"))
        .iter()
        .map(|v| v["id"].as_str().unwrap())
        .collect();
    for id in &issued {
        assert!(listed.contains(id), "{id} not in {listed:?}");
    }
    // Same seed, same data.
    let again = json_of(&datavisa(
        &[
            "demo",
            "--rows",
            "3000",
            "--out",
            "demo2",
            "--as-of",
            "2026-11-22",
            "--format",
            "json",
        ],
        d.path(),
    ));
    assert_eq!(steps[0]["sha256"], again["steps"][0]["sha256"]);
}

#[test]
fn scan_anonymeter_adults() {
    let d = tempfile::tempdir().unwrap();
    let v = json_of(&datavisa(
        &[
            "scan",
            &shared("anonymeter/adults_ori.csv"),
            "--format",
            "json",
        ],
        d.path(),
    ));
    assert_eq!(v["rows"], 100);
    assert_eq!(v["columns"].as_array().unwrap().len(), 14);
    let expect = [
        ("age", "integer", Some("age"), "quasi"),
        ("sex", "categorical", Some("gender"), "quasi"),
        ("race", "categorical", None, "quasi"),
        ("education", "categorical", None, "quasi"),
        ("country", "categorical", None, "quasi"),
        ("income", "categorical", None, "sensitive"),
        ("hr_per_week", "integer", None, "other"),
    ];
    for (name, ty, kind, role) in expect {
        let c = column(&v, name);
        assert_eq!(c["type"], ty, "{name}");
        assert_eq!(c["kind"].as_str(), kind, "{name}");
        assert_eq!(c["role"], role, "{name}");
        assert!(c["evidence"].as_str().unwrap().len() > 10);
    }
}

#[test]
fn scan_and_inspect_arx_adult_semicolons() {
    let d = tempfile::tempdir().unwrap();
    let i = json_of(&datavisa(
        &["inspect", &shared("arx/adult.csv"), "--format", "json"],
        d.path(),
    ));
    assert_eq!(i["delimiter"], ";");
    assert_eq!(i["rows"], 30162);
    assert_eq!(column(&i, "age")["type"], "integer");
    assert_eq!(column(&i, "sex")["distinct"], 2);
    let u = i["unique_row_share"].as_f64().unwrap();
    assert!(u > 0.0 && u < 1.0);
    let v = json_of(&datavisa(
        &[
            "scan",
            &shared("arx/adult.csv"),
            "--write-spec",
            "adult.toml",
            "--format",
            "json",
        ],
        d.path(),
    ));
    for q in ADULT_QI {
        assert_eq!(column(&v, q)["role"], "quasi", "{q}");
    }
    assert_eq!(column(&v, "salary-class")["role"], "sensitive");
    let spec = std::fs::read_to_string(d.path().join("adult.toml")).unwrap();
    assert!(spec.contains("delimiter = \";\"") && spec.contains("name = \"salary-class\""));
    assert!(spec.contains("sha256 = "));
}

#[test]
fn gbk_export_is_read_and_scanned() {
    let d = tempfile::tempdir().unwrap();
    let mut rng = datavisa_table_rng();
    let mut text = "姓名,身份证号,手机,备注\n".to_owned();
    for i in 0..60 {
        let birth = 7000 + i * 97;
        let id = datavisa_discover::fake::resident_id(&mut rng, "440305", birth, i % 2 == 0);
        text.push_str(&format!(
            "张{},{id},1380013{:04},无\n",
            ["伟", "芳", "磊"][i as usize % 3],
            i
        ));
    }
    let (gbk, _, _) = encoding_rs::GBK.encode(&text);
    std::fs::write(d.path().join("gbk.csv"), &gbk).unwrap();
    let v = json_of(&datavisa(
        &["scan", "gbk.csv", "--format", "json"],
        d.path(),
    ));
    assert_eq!(column(&v, "姓名")["kind"], "person_name");
    assert_eq!(column(&v, "身份证号")["kind"], "cn_resident_id");
    assert_eq!(column(&v, "手机")["kind"], "cn_mobile");
    let i = json_of(&datavisa(
        &["inspect", "gbk.csv", "--format", "json"],
        d.path(),
    ));
    assert_eq!(i["encoding"], "gb18030");
}

fn datavisa_table_rng() -> rand_chacha::ChaCha20Rng {
    datavisa_table::sample::rng(5)
}

#[test]
fn bad_inputs_fail_cleanly_with_exit_2() {
    let d = tempfile::tempdir().unwrap();
    let w = |name: &str, bytes: &[u8]| std::fs::write(d.path().join(name), bytes).unwrap();
    w("empty.csv", b"");
    w("header.csv", b"a,b\n");
    w("ragged.csv", b"a,b\n1,2\n3\n");
    w("bin.dat", b"\x00\x01\x02\x03");
    w("quote.csv", b"a,b\n1,\"2\n");
    w("latin1.csv", b"a\nJos\xe9\n");
    w("dup.csv", b"x,x\n1,2\n");
    for (args, needles) in [
        (vec!["scan", "empty.csv"], vec!["empty.csv", "empty"]),
        (vec!["scan", "header.csv"], vec!["no data rows"]),
        (
            vec!["inspect", "ragged.csv"],
            vec!["ragged.csv: line 3", "expected 2 fields"],
        ),
        (vec!["scan", "bin.dat"], vec!["binary"]),
        (vec!["scan", "quote.csv"], vec!["line 2", "never closes"]),
        (
            vec!["scan", "latin1.csv"],
            vec!["neither UTF-8 nor GB18030"],
        ),
        (vec!["scan", "dup.csv"], vec!["duplicate column name"]),
        (
            vec!["scan", "missing.csv"],
            vec!["missing.csv", "cannot read"],
        ),
        (vec!["scan", "."], vec!["directory"]),
        (
            vec!["scan", "header.csv", "--delimiter", "ab"],
            vec!["one ASCII character"],
        ),
        (
            vec!["scan", "header.csv", "--encoding", "latin9"],
            vec!["unknown encoding"],
        ),
    ] {
        fails_with(&datavisa(&args, d.path()), 2, &needles);
    }
}

#[test]
fn spec_naming_a_missing_column_points_at_the_spec_line() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("t.csv"), "a,b\n1,x\n2,y\n").unwrap();
    std::fs::write(
        d.path().join("s.toml"),
        "[[columns]]\nname = \"a\"\ntype = \"integer\"\n\n[[columns]]\nname = \"zzz\"\nrole = \"quasi\"\n",
    )
    .unwrap();
    fails_with(
        &datavisa(&["inspect", "t.csv", "--spec", "s.toml"], d.path()),
        2,
        &["s.toml: line 6", "\"zzz\" is not in the table"],
    );
    std::fs::write(
        d.path().join("bad.toml"),
        "[[columns]]\nname = \"b\"\ntype = \"integer\"\n",
    )
    .unwrap();
    fails_with(
        &datavisa(&["inspect", "t.csv", "--spec", "bad.toml"], d.path()),
        2,
        &["line 2, column 2", "\"x\" is not a valid integer"],
    );
}

#[test]
fn failed_spec_write_leaves_nothing_behind() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("t.csv"), "a,b\n1,x\n").unwrap();
    let o = datavisa(
        &["scan", "t.csv", "--write-spec", "no/such/dir/spec.toml"],
        d.path(),
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(!d.path().join("no").exists());
    let leftovers: Vec<PathBuf> = std::fs::read_dir(d.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(leftovers.len(), 1, "{leftovers:?}");
}

#[test]
fn mixed_column_warns_by_default_and_fails_with_strict() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("m.csv"), "id,amount\n1,10\n2,20\n3,twelve\n").unwrap();
    let o = datavisa(&["inspect", "m.csv"], d.path());
    assert!(o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("warning") && err.contains("\"twelve\" at line 4"),
        "{err}"
    );
    fails_with(
        &datavisa(&["scan", "m.csv", "--strict"], d.path()),
        2,
        &["m.csv: line 4, column 2 (\"amount\")", "\"twelve\""],
    );
}

#[test]
fn human_output_and_quiet() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(
        d.path().join("t.csv"),
        "name,phone\n张伟,13800138000\n李娜,13900139000\n",
    )
    .unwrap();
    let o = datavisa(&["--quiet", "scan", "t.csv"], d.path());
    assert!(o.status.success());
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("cn_mobile") && out.contains("identifier"),
        "{out}"
    );
    assert!(o.stderr.is_empty());
}

/// A `scheme://` store is refused (there is no server store yet), without echoing credentials,
/// and nothing is made on disk under that name.
#[test]
fn a_url_store_is_refused_until_a_server_store_exists() {
    let d = tempfile::tempdir().unwrap();
    for args in [
        &["visa", "list", "--store", "postgres://alice:s3cret@db/prod"][..],
        &[
            "ledger",
            "exporter",
            "list",
            "--store",
            "postgres://alice:s3cret@db/prod",
        ][..],
    ] {
        let o = datavisa(args, d.path());
        fails_with(&o, 2, &["postgres://", "not supported yet"]);
        assert!(!String::from_utf8_lossy(&o.stderr).contains("s3cret"));
    }
    assert!(!d.path().join("postgres:").exists());
}

#[test]
fn an_unnamed_header_field_is_said_and_refused_under_strict() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("t.csv"), "a,,b\n1,x,2\n3,y,4\n").unwrap();
    let o = datavisa(&["inspect", "t.csv"], d.path());
    assert!(o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("t.csv:1:2: the header names no column 2; it is read as col_2"),
        "{err}"
    );
    let j = json_of(&datavisa(
        &["inspect", "t.csv", "--format", "json"],
        d.path(),
    ));
    assert_eq!(j["unnamed_columns"], serde_json::json!([2]));
    assert_eq!(j["columns"][1]["name"], "col_2");
    let strict = datavisa(&["scan", "t.csv", "--strict"], d.path());
    assert_eq!(strict.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&strict.stderr).contains("t.csv:1:2: the header names no column 2")
    );
}

#[test]
fn hierarchy_build_writes_arx_files_and_show_counts_rows_per_node() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(
        d.path().join("t.csv"),
        "zip,age\n100020,31\n100021,47\n200030,52\n518000,23\n100020,35\n",
    )
    .unwrap();
    let o = datavisa(
        &[
            "hierarchy",
            "build",
            "t.csv",
            "--column",
            "zip",
            "--kind",
            "postcode",
            "-o",
            "zip.csv",
        ],
        d.path(),
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = std::fs::read_to_string(d.path().join("zip.csv")).unwrap();
    assert!(
        text.lines()
            .any(|l| l == "100020;1000**;100***;10****;1*****;*"),
        "{text}"
    );
    assert_eq!(text.lines().count(), 4, "one row per distinct value");
    let s = json_of(&datavisa(
        &[
            "hierarchy",
            "show",
            "zip.csv",
            "--column",
            "zip",
            "--data",
            "t.csv",
            "--format",
            "json",
        ],
        d.path(),
    ));
    let level1 = s["levels"][1].as_array().unwrap();
    let node = level1.iter().find(|n| n["label"] == "1000**").unwrap();
    assert_eq!(
        (node["values"].as_u64(), node["rows"].as_u64()),
        (Some(2), Some(3))
    );
    assert_eq!(s["levels"][5][0]["rows"], 5);
    // The file is ARX's format: twin generalize takes it as it is.
    let g = datavisa(
        &[
            "twin",
            "generalize",
            "t.csv",
            "-o",
            "g.csv",
            "--quasi",
            "zip",
            "--hierarchy",
            "zip=zip.csv",
            "--k",
            "2",
            "--suppression",
            "0.5",
            "--format",
            "json",
        ],
        d.path(),
    );
    assert!(g.status.success(), "{}", String::from_utf8_lossy(&g.stderr));
    let age = datavisa(
        &[
            "hierarchy",
            "build",
            "t.csv",
            "--column",
            "age",
            "--kind",
            "interval",
            "--widths",
            "5,10,20",
            "-o",
            "age.csv",
        ],
        d.path(),
    );
    assert!(
        age.status.success(),
        "{}",
        String::from_utf8_lossy(&age.stderr)
    );
    for (args, needle) in [
        (
            vec![
                "hierarchy",
                "build",
                "t.csv",
                "--column",
                "zip",
                "--kind",
                "nope",
                "-o",
                "x.csv",
            ],
            "--kind \"nope\"",
        ),
        (
            vec![
                "hierarchy",
                "build",
                "t.csv",
                "--column",
                "age",
                "--kind",
                "interval",
                "-o",
                "x.csv",
            ],
            "--widths",
        ),
        (
            vec![
                "hierarchy",
                "build",
                "t.csv",
                "--column",
                "zip",
                "--kind",
                "postcode",
                "-o",
                "t.csv",
            ],
            "t.csv",
        ),
    ] {
        let o = datavisa(&args, d.path());
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(
            String::from_utf8_lossy(&o.stderr).contains(needle),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    assert!(!d.path().join("x.csv").exists());
}
