//! Inspect, scan, attacks, risk and utility driven through a `Workspace`, as every front end
//! drives them.

use datavisa_workflow::attack::{AttackKind, AttackRequest, RiskRequest, UtilityRequest};
use datavisa_workflow::inspect::{InspectRequest, ScanRequest};
use datavisa_workflow::risk::{ClassicParams, Denominator, Mode};
use datavisa_workflow::{ErrorKind, ReadRequest, Workspace};
use std::path::{Path, PathBuf};

/// 400 people: a unique id, 4 × 5 × 2 combinations of age band, city and sex, a diagnosis.
fn people(dir: &Path) -> PathBuf {
    let mut s = String::from("pid,age,city,sex,diagnosis\n");
    for i in 0..400 {
        s.push_str(&format!(
            "P{i:04},{},C{},{},{}\n",
            20 + 10 * (i % 4),
            i % 5,
            ["F", "M"][i % 2],
            ["J45", "E11", "I10"][i % 3]
        ));
    }
    let p = dir.join("people.csv");
    std::fs::write(&p, s).unwrap();
    p
}

fn ws(dir: &Path) -> Workspace {
    Workspace::open(dir.join("store"), "tester").unwrap()
}

#[test]
fn inspect_profiles_every_column() {
    let d = tempfile::tempdir().unwrap();
    let f = people(d.path());
    let (i, t) = ws(d.path())
        .inspect(&InspectRequest {
            file: f,
            read: ReadRequest::default(),
            top: 2,
        })
        .unwrap();
    assert_eq!((i.rows, i.n_columns, t.n_rows), (400, 5, 400));
    let age = i.columns.iter().find(|c| c.name == "age").unwrap();
    assert_eq!(age.distinct, 4);
    assert_eq!(age.top_values.len(), 2);
    assert_eq!(age.top_values[0].count, 100);
    // Every row is unique on all columns (the id).
    assert_eq!(i.unique_row_share, 1.0);
}

#[test]
fn scan_writes_a_spec_draft_and_names_roles() {
    let d = tempfile::tempdir().unwrap();
    let f = people(d.path());
    let spec = d.path().join("spec.toml");
    let s = ws(d.path())
        .scan(&ScanRequest {
            file: f,
            read: ReadRequest::default(),
            write_spec: Some(spec.clone()),
            options: Default::default(),
        })
        .unwrap();
    assert_eq!(s.report.rows, 400);
    assert_eq!(s.spec.as_deref(), Some(spec.to_str().unwrap()));
    let text = std::fs::read_to_string(&spec).unwrap();
    assert!(text.starts_with("# datavisa spec"), "{text}");
    let named: usize = ["identifier", "quasi", "sensitive", "other"]
        .iter()
        .map(|r| s.by_role(r).len())
        .sum();
    assert_eq!(named, 5, "every column has one role");
}

#[test]
fn a_copy_of_the_source_is_singled_out_and_a_missing_file_is_bad_input() {
    let d = tempfile::tempdir().unwrap();
    let f = people(d.path());
    let w = ws(d.path());
    let req = AttackRequest {
        source: f.clone(),
        twin: f.clone(),
        control: None,
        read: ReadRequest::default(),
        kind: AttackKind::SinglingOut {
            mode: Mode::Univariate,
            n_cols: 1,
            max_attempts: 100_000,
            denominator: Denominator::Generated,
            keep_queries: false,
        },
        n_attacks: 50,
        confidence: 0.95,
        seed: 3,
    };
    let a = w.attack(&req).unwrap();
    // Every person has a unique id: each univariate query on it singles one out.
    assert!(a.result.n_success > 0.0, "{:?}", a.result.n_success);
    assert_eq!(a.inputs.source.rows, 400);
    assert_eq!(a.tool.name, "datavisa");
    let again = w.attack(&req).unwrap();
    assert_eq!(a.result.risk, again.result.risk, "same seed, same figure");
    let missing = AttackRequest {
        twin: d.path().join("nope.csv"),
        ..req
    };
    assert_eq!(w.attack(&missing).unwrap_err().kind, ErrorKind::BadInput);
}

#[test]
fn classic_risk_by_hand_and_holdout_needs_a_source() {
    let d = tempfile::tempdir().unwrap();
    let f = people(d.path());
    let w = ws(d.path());
    let req = RiskRequest {
        file: f.clone(),
        params: ClassicParams {
            quasi: vec!["age".into(), "sex".into()],
            k: Some(5),
            ..Default::default()
        },
        population: None,
        source: None,
        holdout: None,
        samples: 100,
        seed: 1,
        read: ReadRequest::default(),
    };
    let m = w.risk(&req).unwrap();
    // age (4) × sex (2) with i % 4 and i % 2 gives 4 classes of 100 (sex follows age's parity).
    assert_eq!((m.report.n_classes, m.report.k), (4, 100));
    assert!((m.report.prosecutor.highest - 0.01).abs() < 1e-12);
    assert!(m.distance.is_none());
    let bad = RiskRequest {
        holdout: Some(f),
        ..req
    };
    let e = w.risk(&bad).unwrap_err();
    assert_eq!(e.kind, ErrorKind::BadInput);
    assert!(
        e.message.contains("--holdout needs --source"),
        "{}",
        e.message
    );
}

#[test]
fn a_twin_identical_to_its_source_has_full_utility() {
    let d = tempfile::tempdir().unwrap();
    let f = people(d.path());
    let u = ws(d.path())
        .utility(&UtilityRequest {
            source: f.clone(),
            twin: f,
            queries: 20,
            seed: 1,
            read: ReadRequest::default(),
        })
        .unwrap();
    assert!(
        (u.report.column_score - 1.0).abs() < 1e-12,
        "{}",
        u.report.column_score
    );
}
