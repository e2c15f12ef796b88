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
