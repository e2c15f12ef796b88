//! ARX 3.9.2's optimal transformations on Adult (../shared/specs/arx-models.md §3.3): our
//! search must reach the same Loss (to 1e-9), levels and counts.

use datavisa_table::{read_table, ReadOptions, Table};
use datavisa_twin::engine::{LVariant, Models, Problem, TDistance};
use datavisa_twin::quality::{Metric, Quality};
use datavisa_twin::search::{search, SearchParams, Strategy};
use datavisa_twin::Hierarchy;
use std::path::PathBuf;

const QI: [&str; 8] = [
    "age",
    "sex",
    "race",
    "marital-status",
    "education",
    "native-country",
    "workclass",
    "occupation",
];

fn arx() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/arx")
}

fn adult() -> (Table, Problem) {
    let t = read_table(&arx().join("adult.csv"), &ReadOptions::default()).unwrap();
    let qis = QI
        .iter()
        .map(|q| {
            (
                q.to_string(),
                Hierarchy::load_arx(&arx().join(format!("adult_hierarchy_{q}.csv")), q).unwrap(),
            )
        })
        .collect();
    let p = Problem::new(&t, qis, vec![("salary-class".into(), None)]).unwrap();
    (t, p)
}

fn models(k: u64, suppression: f64) -> Models {
    Models {
        k: Some(k),
        l: None,
        l_variant: LVariant::Distinct,
        c: 1.0,
        t: None,
        t_distance: TDistance::Equal,
        avg_risk: None,
        suppression,
    }
}

fn run(p: &Problem, m: &Models) -> (Vec<u8>, f64, u64, usize, usize) {
    let q = Quality::new(p, Metric::Loss);
    let sp = SearchParams {
        strategy: Strategy::Optimal,
        ..Default::default()
    };
    let out = search(p, m, &q, &sp).unwrap();
    let (r, c) = out.best.expect("an optimum exists");
    let classes = (0..c.classes.len())
        .filter(|&i| !c.suppressed_class[i])
        .count();
    (r.levels, r.score, r.suppressed, classes, out.checked)
}

#[test]
fn k5_no_suppression() {
    let (_, p) = adult();
    let (levels, loss, sup, classes, checked) = run(&p, &models(5, 0.0));
    assert_eq!(levels, [4, 0, 0, 2, 3, 2, 2, 1]);
    assert!((loss - 0.5915849773).abs() < 1e-9, "{loss}");
    assert_eq!((sup, classes), (0, 30));
    eprintln!("k5/0%: checked {checked}");
}

#[test]
fn k5_five_percent() {
    let (_, p) = adult();
    let (levels, loss, sup, classes, checked) = run(&p, &models(5, 0.05));
    assert_eq!(levels, [3, 0, 0, 0, 1, 1, 1, 2]);
    assert!((loss - 0.2518517152).abs() < 1e-9, "{loss}");
    assert_eq!((sup, classes), (1458, 399));
    eprintln!("k5/5%: checked {checked}");
}

#[test]
fn k10_five_percent() {
    let (_, p) = adult();
    let (levels, loss, sup, _, checked) = run(&p, &models(10, 0.05));
    assert_eq!(levels, [3, 0, 0, 1, 1, 1, 1, 2]);
    assert!((loss - 0.3054635432).abs() < 1e-9, "{loss}");
    assert_eq!(sup, 1484);
    eprintln!("k10/5%: checked {checked}");
}

fn run_with(p: &Problem, m: &Models, metric: Metric) -> (Vec<u8>, f64, u64, usize) {
    let q = Quality::new(p, metric);
    let sp = SearchParams {
        strategy: Strategy::Optimal,
        ..Default::default()
    };
    let (r, c) = search(p, m, &q, &sp)
        .unwrap()
        .best
        .expect("an optimum exists");
    let classes = (0..c.classes.len())
        .filter(|&i| !c.suppressed_class[i])
        .count();
    (r.levels, r.score, r.suppressed, classes)
}

#[test]
fn k5_distinct_2_diversity() {
    let (_, p) = adult();
    let m = Models {
        l: Some(2.0),
        ..models(5, 0.05)
    };
    let (levels, loss, sup, classes) = run_with(&p, &m, Metric::Loss);
    assert_eq!(levels, [4, 0, 0, 2, 1, 1, 0, 1]);
    assert!((loss - 0.32828).abs() < 5e-6, "{loss}");
    assert_eq!((sup, classes), (1389, 268));
}

#[test]
fn k5_equal_t_closeness() {
    let (_, p) = adult();
    let m = Models {
        t: Some(0.2),
        ..models(5, 0.05)
    };
    let (levels, loss, sup, classes) = run_with(&p, &m, Metric::Loss);
    assert_eq!(levels, [4, 0, 0, 2, 3, 0, 1, 2]);
    assert!((loss - 0.48114).abs() < 5e-6, "{loss}");
    assert_eq!((sup, classes), (1022, 84));
}

#[test]
fn k5_discernibility_and_entropy() {
    let (_, p) = adult();
    let (levels, dm, sup, classes) = run_with(&p, &models(5, 0.05), Metric::Discernibility);
    assert_eq!(levels, [0, 0, 1, 2, 3, 2, 2, 1]);
    assert_eq!(dm, 7_220_555.0);
    assert_eq!((sup, classes), (105, 356));
    let (levels, nue, sup, classes) = run_with(&p, &models(5, 0.05), Metric::Entropy);
    // Same optimum as ARX (levels, suppressed records, classes). The score differs: ours is
    // 242,983 bits where ARX reports 239,923.8 (+1.3%). With nothing suppressed the node scores
    // 225,561 in both; the difference is how suppressed cells are charged, which the spec leaves
    // open (we charge them as generalized to the root, −log2(count/n) per cell).
    assert_eq!(levels, [0, 0, 1, 1, 2, 2, 2, 1]);
    assert!((nue / 239_923.8 - 1.0).abs() < 0.015, "{nue}");
    assert_eq!((sup, classes), (1285, 998));
}

#[test]
fn average_risk_five_percent() {
    let (_, p) = adult();
    let m = Models {
        k: None,
        avg_risk: Some(0.05),
        ..models(1, 0.05)
    };
    let (levels, loss, sup, classes) = run_with(&p, &m, Metric::Loss);
    assert_eq!(levels, [3, 0, 0, 0, 2, 1, 0, 1]);
    // Same levels, suppressed records and classes as ARX. Which of several equal-sized classes
    // are suppressed first is arbitrary; ours (first in class order) gives Loss 0.163590 where
    // ARX's choice gives 0.16370.
    assert_eq!((sup, classes), (1122, 1452));
    assert!(
        loss <= 0.16370 + 1e-9 && (loss - 0.16370).abs() < 2e-4,
        "{loss}"
    );
}
