//! End-to-end tests of `attack`, `risk` and `utility` through the binary, on the shared Adult data.

mod common;

use common::{datavisa, fails_with, json_of, shared};
use serde_json::Value;

fn check_attack_json(v: &Value, attack: &str) {
    assert_eq!(v["attack"], attack);
    for k in [
        "n_attacks",
        "n_success",
        "n_baseline",
        "n_control",
        "seed",
        "params",
        "warnings",
    ] {
        assert!(!v[k].is_null(), "{k} missing in {v}");
    }
    let ci = v["risk"]["ci"].as_array().unwrap();
    let (lo, hi, val) = (
        ci[0].as_f64().unwrap(),
        ci[1].as_f64().unwrap(),
        v["risk"]["value"].as_f64().unwrap(),
    );
    assert!(
        0.0 <= lo && lo <= val && val <= hi && hi <= 1.0,
        "{}",
        v["risk"]
    );
    for r in ["attack_rate", "baseline_rate", "control_rate"] {
        assert!(v[r]["value"].is_f64() && v[r]["error"].is_f64(), "{r}");
    }
    assert_eq!(v["inputs"]["source"]["sha256"].as_str().unwrap().len(), 64);
    assert!(v["tool"]["version"].is_string());
}

#[test]
fn attacks_print_one_json_object_with_the_evidence() {
    let (ori, syn) = (
        shared("anonymeter/adults_ori.csv"),
        shared("anonymeter/adults_syn.csv"),
    );
    let ctl = shared("anonymeter/adults_control.csv");
    let base = [
        "--source",
        &ori,
        "--twin",
        &syn,
        "--control",
        &ctl,
        "--n-attacks",
        "100",
        "--seed",
        "4",
        "--format",
        "json",
    ];
    let run = |extra: &[&str], verb: &str| {
        let mut a = vec!["attack", verb];
        a.extend_from_slice(&base);
        a.extend_from_slice(extra);
        json_of(&datavisa(&a))
    };
    let v = run(&["--mode", "univariate"], "singling-out");
    check_attack_json(&v, "singling_out_univariate");
    let v = run(&[], "singling-out");
    check_attack_json(&v, "singling_out_multivariate");
    // Control (9,758 rows) much larger than the source (100): the size correction is fitted on
    // real measurements and a count above the attempts is capped, not a crash.
    assert!(
        v["details"]["size_correction"]["measurements"]
            .as_array()
            .unwrap()
            .len()
            == 50
    );
    let v = run(
        &[
            "--aux-a",
            "age,sex,race",
            "--aux-b",
            "education,occupation,hr_per_week",
            "--n-neighbors",
            "3",
        ],
        "linkability",
    );
    check_attack_json(&v, "linkability");
    assert_eq!(v["details"]["by_n_neighbors"].as_array().unwrap().len(), 3);
    let v = run(&["--secret", "income"], "inference");
    check_attack_json(&v, "inference");
    assert_eq!(v["details"]["per_group"].as_array().unwrap().len(), 2);
    // Same seed, same answer.
    assert_eq!(run(&["--secret", "income"], "inference")["risk"], v["risk"]);
}

#[test]
fn attack_bad_inputs_exit_2() {
    let (ori, syn) = (
        shared("anonymeter/adults_ori.csv"),
        shared("anonymeter/adults_syn.csv"),
    );
    let base = vec![
        "attack",
        "inference",
        "--source",
        ori.as_str(),
        "--twin",
        syn.as_str(),
    ];
    let with = |extra: &[&str]| {
        let mut a = base.clone();
        a.extend_from_slice(extra);
        datavisa(&a)
    };
    fails_with(&with(&["--secret", "salary"]), 2, &["salary"]);
    fails_with(
        &with(&["--secret", "income", "--aux-cols", "income,age"]),
        2,
        &["cannot also be an aux column"],
    );
    fails_with(
        &with(&["--secret", "income", "--confidence", "1.5"]),
        2,
        &["confidence"],
    );
    let so = |extra: &[&str]| {
        let mut a = vec![
            "attack",
            "singling-out",
            "--source",
            ori.as_str(),
            "--twin",
            syn.as_str(),
        ];
        a.extend_from_slice(extra);
        datavisa(&a)
    };
    fails_with(&so(&["--n-cols", "40"]), 2, &["n_cols"]);
    fails_with(&so(&["--n-attacks", "0"]), 2, &["n_attacks"]);
    let l = datavisa(&[
        "attack",
        "linkability",
        "--source",
        &ori,
        "--twin",
        &syn,
        "--aux-a",
        "age",
        "--aux-b",
        "age",
    ]);
    fails_with(&l, 2, &["disjoint"]);
    let arx = shared("arx/adult.csv");
    let mismatch = datavisa(&["attack", "singling-out", "--source", &arx, "--twin", &syn]);
    fails_with(&mismatch, 2, &["that the source"]);
}

#[test]
fn classic_risk_on_arx_adult() {
    let f = shared("arx/adult.csv");
    let v = json_of(&datavisa(&[
        "risk",
        "--file",
        &f,
        "--quasi",
        "age,sex,race,marital-status",
        "--sensitive",
        "salary-class",
        "--k",
        "5",
        "--l",
        "2",
        "--population-size",
        "300000",
        "--format",
        "json",
    ]));
    assert_eq!(v["n_records"], 30162);
    let n_classes = v["n_classes"].as_u64().unwrap();
    let avg = v["prosecutor"]["average"].as_f64().unwrap();
    assert!((avg - n_classes as f64 / 30162.0).abs() < 1e-12);
    let hist: u64 = v["class_size_histogram"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p[0].as_u64().unwrap() * p[1].as_u64().unwrap())
        .sum();
    assert_eq!(hist, 30162);
    assert!(v["population"]["population_uniqueness"].as_f64().unwrap() >= 0.0);
    assert_eq!(v["sensitive"][0]["column"], "salary-class");
    assert!(v["records_below_k"].as_u64().unwrap() > 0);
    fails_with(
        &datavisa(&["risk", "--file", &f, "--quasi", "agee"]),
        2,
        &["agee"],
    );
}

#[test]
fn twin_distance_and_utility() {
    let (ori, syn) = (
        shared("anonymeter/adults_ori.csv"),
        shared("anonymeter/adults_syn.csv"),
    );
    let ctl = shared("anonymeter/adults_control.csv");
    // The source itself as the twin: every row is a copy, DCR 0.
    let v = json_of(&datavisa(&[
        "risk",
        "--file",
        &ori,
        "--quasi",
        "age,sex",
        "--source",
        &ori,
        "--holdout",
        &ctl,
        "--format",
        "json",
    ]));
    assert_eq!(v["distance"]["exact_copies"], 1.0);
    assert_eq!(v["distance"]["dcr_source"]["median"], 0.0);
    assert_eq!(v["distance"]["closer_to_source"], 1.0);
    let u = json_of(&datavisa(&[
        "utility", "--source", &ori, "--twin", &ori, "--format", "json",
    ]));
    assert_eq!(u["score"], 1.0);
    let u = json_of(&datavisa(&[
        "utility", "--source", &ori, "--twin", &syn, "--format", "json",
    ]));
    let s = u["score"].as_f64().unwrap();
    assert!(s > 0.3 && s < 1.0, "{s}");
    assert_eq!(u["columns"].as_array().unwrap().len(), 14);
}
