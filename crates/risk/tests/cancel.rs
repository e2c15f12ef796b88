//! Stopping the attacks: a watch that says stop ends each attack within a batch of work with
//! `RiskError::Cancelled`, and a watch that never does changes no figure.

use datavisa_risk::classic::{classic_risk, classic_risk_watched, ClassicParams};
use datavisa_risk::distance::{distances, distances_watched};
use datavisa_risk::inference::{inference, InferenceParams, SecretKind};
use datavisa_risk::linkability::{linkability, LinkabilityParams};
use datavisa_risk::singling_out::{
    singling_out, singling_out_watched, Denominator, Mode, SinglingOutParams,
};
use datavisa_risk::{prepare, Prepared, RiskError, Watch};
use datavisa_table::{read_table, split_indices, ReadOptions};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Source and control: the two halves of Anonymeter's Adult control set; the twin a copy.
fn data() -> Prepared {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/anonymeter/adults_control.csv");
    let all = read_table(&p, &ReadOptions::default()).expect("shared Adult data");
    let s = split_indices(all.n_rows, all.n_rows / 2, 7);
    let (src, ctl) = (all.take(&s.train), all.take(&s.control));
    prepare(&src, &src.clone(), Some(&ctl)).unwrap()
}

/// Says stop once `after` targets are done or `after` stop checks were made, whichever first;
/// counts both.
struct StopAfter {
    after: usize,
    advanced: AtomicUsize,
    asked: AtomicUsize,
}

impl StopAfter {
    fn new(after: usize) -> StopAfter {
        StopAfter {
            after,
            advanced: AtomicUsize::new(0),
            asked: AtomicUsize::new(0),
        }
    }
    fn never() -> StopAfter {
        StopAfter::new(usize::MAX)
    }
    fn advanced(&self) -> usize {
        self.advanced.load(Ordering::SeqCst)
    }
    fn asked(&self) -> usize {
        self.asked.load(Ordering::SeqCst)
    }
}

impl Watch for StopAfter {
    fn advance(&self, n: usize) {
        self.advanced.fetch_add(n, Ordering::SeqCst);
    }
    fn stopped(&self) -> bool {
        let asked = self.asked.fetch_add(1, Ordering::SeqCst) + 1;
        self.advanced() >= self.after || asked > self.after
    }
}

fn cancelled<T: std::fmt::Debug>(r: Result<T, RiskError>) -> bool {
    matches!(r, Err(RiskError::Cancelled))
}

fn so_params(mode: Mode) -> SinglingOutParams {
    SinglingOutParams {
        n_attacks: 300,
        n_cols: 3,
        mode,
        max_attempts: 200_000,
        confidence: 0.95,
        seed: 5,
        denominator: Denominator::Generated,
        keep_duplicates: false,
        keep_queries: false,
    }
}

fn link_params() -> LinkabilityParams {
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect();
    LinkabilityParams {
        n_attacks: 2000,
        aux_a: s(&["fnlwgt", "age", "sex", "race", "country"]),
        aux_b: s(&["type_employer", "education", "marital", "occupation"]),
        n_neighbors: 3,
        confidence: 0.95,
        seed: 9,
    }
}

fn infer_params(d: &Prepared) -> InferenceParams {
    InferenceParams {
        n_attacks: 2000,
        aux_cols: d
            .twin
            .column_names()
            .into_iter()
            .filter(|c| c != "education")
            .collect(),
        secret: "education".into(),
        kind: SecretKind::Auto,
        tolerance: 0.05,
        confidence: 0.95,
        seed: 4,
    }
}

/// Targets a stopped nearest-neighbour search may still finish: the batches already running
/// on every thread (32 queries each) on top of those done when the stop was asked for.
fn in_flight() -> usize {
    32 * std::thread::available_parallelism()
        .map_or(8, |n| n.get())
        .max(8)
}

#[test]
fn singling_out_stops_between_batches_of_queries() {
    let d = data();
    for mode in [Mode::Univariate, Mode::Multivariate] {
        let w = StopAfter::new(1);
        assert!(cancelled(singling_out_watched(&d, &so_params(mode), &w)));
        // The second check says stop and nothing is asked after it.
        assert_eq!(w.asked(), 2, "{mode:?}");
    }
}

#[test]
fn linkability_stops_within_a_batch_of_targets() {
    let d = data();
    let w = StopAfter::new(100);
    assert!(cancelled(linkability(&d, &link_params(), &w)));
    // Unstopped, it would do 2 groups × (source + control) × 2000 targets.
    assert!(w.advanced() < 100 + in_flight(), "{}", w.advanced());
}

#[test]
fn inference_stops_within_a_batch_of_targets() {
    let d = data();
    let w = StopAfter::new(100);
    assert!(cancelled(inference(&d, &infer_params(&d), &w)));
    assert!(w.advanced() < 100 + in_flight(), "{}", w.advanced());
}

#[test]
fn classic_risk_and_distances_stop_between_phases() {
    let d = data();
    let p = ClassicParams {
        quasi: vec!["age".into(), "sex".into(), "race".into()],
        sensitive: vec!["education".into()],
        ..Default::default()
    };
    assert!(cancelled(classic_risk_watched(
        &d.twin,
        None,
        &p,
        &StopAfter::new(0)
    )));
    assert!(cancelled(distances_watched(&d, 500, 3, &StopAfter::new(0))));
}

#[test]
fn a_watch_that_never_stops_changes_no_figure() {
    let d = data();
    for mode in [Mode::Univariate, Mode::Multivariate] {
        let w = StopAfter::never();
        let watched = singling_out_watched(&d, &so_params(mode), &w).unwrap();
        assert!(w.asked() > 0, "the watch is asked");
        let plain = singling_out(&d, &so_params(mode)).unwrap();
        assert_eq!(json(&watched), json(&plain));
    }
    let w = StopAfter::never();
    let watched = linkability(&d, &link_params(), &w).unwrap().full_result();
    assert_eq!(w.advanced(), 2 * 2 * 2000, "every target is reported");
    let plain = linkability(&d, &link_params(), &|_| {})
        .unwrap()
        .full_result();
    assert_eq!(json(&watched.unwrap()), json(&plain.unwrap()));
    let w = StopAfter::never();
    let watched = inference(&d, &infer_params(&d), &w).unwrap();
    assert!(w.asked() > 0);
    let plain = inference(&d, &infer_params(&d), &|_| {}).unwrap();
    assert_eq!(json(&watched), json(&plain));
    let p = ClassicParams {
        quasi: vec!["age".into(), "sex".into()],
        ..Default::default()
    };
    let watched = classic_risk_watched(&d.twin, None, &p, &StopAfter::never()).unwrap();
    assert_eq!(
        json(&watched),
        json(&classic_risk(&d.twin, None, &p).unwrap())
    );
    let watched = distances_watched(&d, 500, 3, &StopAfter::never()).unwrap();
    assert_eq!(json(&watched), json(&distances(&d, 500, 3).unwrap()));
}

/// A result as JSON, every figure included.
fn json<T: serde::Serialize>(r: &T) -> String {
    serde_json::to_string(r).unwrap()
}
