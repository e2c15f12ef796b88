//! End-to-end checks of the attacks on Anonymeter's Adult data (`../shared/data/anonymeter`):
//! a copied twin must show high risk, an independent one risk intervals that include 0, and a
//! fixed seed must give the same numbers on any number of threads.

use datavisa_risk::inference::{inference, InferenceParams, SecretKind};
use datavisa_risk::linkability::{linkability, LinkabilityParams};
use datavisa_risk::singling_out::{singling_out, Denominator, Mode, SinglingOutParams};
use datavisa_risk::{prepare, AttackResult, Prepared};
use datavisa_table::{read_table, split_indices, ReadOptions, Table};
use std::path::PathBuf;

fn data(name: &str) -> Table {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/anonymeter")
        .join(name);
    read_table(&p, &ReadOptions::default()).expect("shared Adult data")
}

/// Source = one half of adults_control, control = the other half (both real, disjoint).
fn halves() -> (Table, Table) {
    let all = data("adults_control.csv");
    let s = split_indices(all.n_rows, all.n_rows / 2, 7);
    (all.take(&s.train), all.take(&s.control))
}

fn so(d: &Prepared, n: usize, seed: u64) -> AttackResult {
    let p = SinglingOutParams {
        n_attacks: n,
        n_cols: 3,
        mode: Mode::Multivariate,
        max_attempts: 2_000_000,
        confidence: 0.95,
        seed,
        denominator: Denominator::Generated,
    };
    singling_out(d, &p).unwrap()
}

/// Anonymeter's notebook split: A = employer, education, hours, capital loss and gain.
const NOTEBOOK_A: &[&str] = &[
    "type_employer",
    "education",
    "hr_per_week",
    "capital_loss",
    "capital_gain",
];
const NOTEBOOK_B: &[&str] = &["race", "sex", "fnlwgt", "age", "country"];

fn link(d: &Prepared, n: usize, seed: u64) -> AttackResult {
    link_with(d, NOTEBOOK_A, NOTEBOOK_B, n, seed)
}

fn link_with(d: &Prepared, a: &[&str], b: &[&str], n: usize, seed: u64) -> AttackResult {
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect();
    let p = LinkabilityParams {
        n_attacks: n,
        aux_a: s(a),
        aux_b: s(b),
        n_neighbors: 10,
        confidence: 0.95,
        seed,
    };
    linkability(d, &p, &|_| {}).unwrap().full_result().unwrap()
}

fn infer(d: &Prepared, secret: &str, n: usize, seed: u64) -> AttackResult {
    let aux = d
        .twin
        .column_names()
        .into_iter()
        .filter(|c| c != secret)
        .collect();
    let p = InferenceParams {
        n_attacks: n,
        aux_cols: aux,
        secret: secret.into(),
        kind: SecretKind::Auto,
        tolerance: 0.05,
        confidence: 0.95,
        seed,
    };
    inference(d, &p, &|_| {}).unwrap()
}

#[test]
fn a_copied_twin_is_high_risk() {
    let (src, ctl) = halves();
    let d = prepare(&src, &src.clone(), Some(&ctl)).unwrap();
    let r = so(&d, 300, 1);
    assert!(r.risk.value > 0.8, "singling out {:?}", r.risk);
    // Each group must identify records for a copy to be linkable: with the notebook's groups
    // many records tie on A (five coarse columns), and the k nearest are a random draw of them.
    let a = ["fnlwgt", "age", "sex", "race", "country"];
    let b = [
        "type_employer",
        "education",
        "marital",
        "occupation",
        "relationship",
        "hr_per_week",
        "capital_gain",
    ];
    let r = link_with(&d, &a, &b, 300, 1);
    assert!(r.risk.value > 0.8, "linkability {:?}", r.risk);
    let r = infer(&d, "fnlwgt", 300, 1);
    assert!(r.risk.value > 0.8, "inference {:?}", r.risk);
}

#[test]
fn an_independent_twin_has_intervals_that_include_zero() {
    let (src, ctl) = halves();
    let twin = data("adults_syn_ctgan.csv");
    let d = prepare(&src, &twin, Some(&ctl)).unwrap();
    for r in [
        so(&d, 500, 3),
        link(&d, 500, 3),
        infer(&d, "income", 500, 3),
        infer(&d, "sex", 500, 3),
    ] {
        assert_eq!(r.risk.ci[0], 0.0, "{} {:?}", r.attack, r.risk);
    }
}

#[test]
fn same_seed_same_result_on_any_thread_count() {
    let (src, ctl) = halves();
    let twin = data("adults_syn_ctgan.csv");
    let d = prepare(&src, &twin, Some(&ctl)).unwrap();
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            [
                so(&d, 200, 9),
                link(&d, 200, 9),
                infer(&d, "income", 200, 9),
            ]
            .map(|r| serde_json::to_string(&r).unwrap())
        })
    };
    assert_eq!(run(1), run(3));
}
