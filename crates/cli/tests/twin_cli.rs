//! End-to-end tests of `twin generalize`, `twin apply` and `check` on ARX's Adult data.

mod common;

use common::{datavisa, fails_with, json_of, shared, ADULT_QI};
use std::path::{Path, PathBuf};
use std::process::Output;

fn arx() -> PathBuf {
    PathBuf::from(shared("arx"))
}

const QI: [&str; 8] = ADULT_QI;

fn hierarchy_flags() -> Vec<String> {
    QI.iter()
        .flat_map(|q| {
            [
                "--hierarchy".to_string(),
                format!(
                    "{q}={}",
                    arx().join(format!("adult_hierarchy_{q}.csv")).display()
                ),
            ]
        })
        .collect()
}

fn generalize(extra: &[&str], out: &Path) -> Output {
    let input = arx().join("adult.csv");
    let mut args: Vec<String> = vec![
        "twin".into(),
        "generalize".into(),
        input.display().to_string(),
        "-o".into(),
        out.display().to_string(),
        "--quasi".into(),
        QI.join(","),
    ];
    args.extend(hierarchy_flags());
    args.extend(extra.iter().map(|s| s.to_string()));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    datavisa(&refs)
}

#[test]
fn generalize_reaches_arx_optimum_and_reapplies() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("k5.csv");
    let v = json_of(&generalize(
        &[
            "--k",
            "5",
            "--suppression",
            "0.05",
            "--sensitive",
            "salary-class",
            "--format",
            "json",
        ],
        &out,
    ));
    let levels: Vec<u64> = QI
        .iter()
        .map(|q| v["levels"][q].as_u64().unwrap())
        .collect();
    assert_eq!(levels, [3, 0, 0, 0, 1, 1, 1, 2]);
    assert!((v["quality"]["value"].as_f64().unwrap() - 0.2518517152).abs() < 1e-9);
    assert_eq!(v["suppressed"], 1458);
    assert_eq!(v["classes"], 399);
    assert!(v["search"]["nodes_checked"].as_u64().unwrap() < 6480);
    assert_eq!(v["source"]["sha256"].as_str().unwrap().len(), 64);
    // The twin: same rows, suppressed records' quasi-identifiers are "*", salary kept.
    let text = std::fs::read_to_string(&out).unwrap();
    assert_eq!(text.lines().count(), 30163);
    // Written as the source is: `;` between fields.
    let stars = text.lines().filter(|l| l.starts_with("*;*;*")).count();
    assert_eq!(stars, 1458);
    let manifest = PathBuf::from(v["manifest"].as_str().unwrap());
    assert!(manifest.is_file());
    // Re-applying the recipe to the same data reproduces the twin's counts.
    let again = d.path().join("again.csv");
    let a = json_of(&datavisa(&[
        "twin",
        "apply",
        "--recipe",
        manifest.to_str().unwrap(),
        arx().join("adult.csv").to_str().unwrap(),
        "-o",
        again.to_str().unwrap(),
        "--format",
        "json",
    ]));
    assert_eq!(a["suppressed"], 1458);
    assert_eq!(a["within_suppression_limit"], true);
    assert_eq!(std::fs::read_to_string(&again).unwrap(), text);
}

#[test]
fn check_lists_failing_classes() {
    let f = arx().join("adult.csv");
    let v = json_of(&datavisa(&[
        "check",
        f.to_str().unwrap(),
        "--quasi",
        "age,sex,race",
        "--k",
        "5",
        "--format",
        "json",
    ]));
    assert_eq!(v["satisfied"], false);
    assert!(v["failing_classes"].as_u64().unwrap() > 0);
    let first = &v["failing"][0];
    assert!(first["records"].as_u64().unwrap() < 5);
    let v = json_of(&datavisa(&[
        "check",
        f.to_str().unwrap(),
        "--quasi",
        "sex",
        "--k",
        "5",
        "--format",
        "json",
    ]));
    assert_eq!(v["satisfied"], true);
}

#[test]
fn generalize_bad_inputs_exit_2() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("o.csv");
    // A hierarchy missing a data value.
    let short = d.path().join("sex.csv");
    std::fs::write(&short, "Male;*\n").unwrap();
    let input = arx().join("adult.csv");
    let o = datavisa(&[
        "twin",
        "generalize",
        input.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--quasi",
        "sex",
        "--hierarchy",
        &format!("sex={}", short.display()),
        "--k",
        "2",
    ]);
    fails_with(&o, 2, &["\"Female\""]);
    // A value mapping to two parents.
    let bad = d.path().join("race.csv");
    std::fs::write(&bad, "White;A;*\nBlack;A;*\nOther;B;*\nAsian-Pac-Islander;C;*\nAmer-Indian-Eskimo;C;*\nWhite;B;*\n").unwrap();
    let o = datavisa(&[
        "twin",
        "generalize",
        input.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--quasi",
        "race",
        "--hierarchy",
        &format!("race={}", bad.display()),
        "--k",
        "2",
    ]);
    fails_with(&o, 2, &["race.csv:6"]);
    fails_with(&generalize(&["--k", "40000"], &out), 2, &["k = 40000"]);
    fails_with(
        &generalize(&["--k", "5", "--suppression", "1.5"], &out),
        2,
        &["suppression limit"],
    );
    fails_with(
        &generalize(
            &["--k", "5", "--l", "3", "--sensitive", "salary-class"],
            &out,
        ),
        2,
        &["no transformation satisfies"],
    );
    fails_with(&generalize(&[], &out), 2, &["privacy model"]);
    assert!(!out.exists(), "nothing written on failure");
    // A text quasi-identifier with thousands of values and no hierarchy is grouped by frequency
    // (no value holds 1% of the rows, so straight to `*`), with a warning, no longer refused.
    let ids = d.path().join("ids.csv");
    let mut s = String::from("id,x\n");
    for i in 0..1500 {
        s.push_str(&format!("c{i:05},{}\n", i % 3));
    }
    std::fs::write(&ids, s).unwrap();
    let o = datavisa(&[
        "twin",
        "generalize",
        ids.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--quasi",
        "id,x",
        "--k",
        "2",
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("column \"id\"") && err.contains("1500 distinct values"),
        "{err}"
    );
    let m: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{}.manifest.json", out.display())).unwrap(),
    )
    .unwrap();
    assert_eq!(m["hierarchy_warnings"][0]["column"], "id", "{m}");
    assert_eq!(m["levels"]["id"], 1);
}
