//! Stopping a generalization search: asked between batches of lattice nodes, a stop ends the
//! optimal and the heuristic search with `TwinError::Cancelled`; never stopping changes nothing.

use datavisa_table::{read_table, ReadOptions};
use datavisa_twin::engine::{LVariant, Models, Problem, TDistance};
use datavisa_twin::quality::{Metric, Quality};
use datavisa_twin::search::{search, search_watched, SearchParams, Strategy};
use datavisa_twin::{Hierarchy, TwinError};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

/// ARX's Adult on four of its quasi-identifiers, with ARX's hierarchies.
fn adult() -> Problem {
    let arx = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/arx");
    let t = read_table(&arx.join("adult.csv"), &ReadOptions::default()).unwrap();
    let qis = ["age", "sex", "race", "education"]
        .iter()
        .map(|q| {
            let h = arx.join(format!("adult_hierarchy_{q}.csv"));
            (q.to_string(), Hierarchy::load_arx(&h, q).unwrap())
        })
        .collect();
    Problem::new(&t, qis, vec![]).unwrap()
}

/// k = 5 with suppression, so that the optimal search checks nodes in both phases.
fn models() -> Models {
    Models {
        k: Some(5),
        l: None,
        l_variant: LVariant::Distinct,
        c: 1.0,
        t: None,
        t_distance: TDistance::Equal,
        avg_risk: None,
        suppression: 0.02,
    }
}

fn params(strategy: Strategy) -> SearchParams {
    SearchParams {
        strategy,
        ..Default::default()
    }
}

#[test]
fn a_stopped_search_is_cancelled() {
    let p = adult();
    let q = Quality::new(&p, Metric::Loss);
    for strategy in [Strategy::Optimal, Strategy::Heuristic] {
        let asked = AtomicUsize::new(0);
        let stop = || asked.fetch_add(1, Ordering::SeqCst) >= 2;
        let r = search_watched(&p, &models(), &q, &params(strategy), &stop);
        assert!(
            matches!(r, Err(TwinError::Cancelled)),
            "{strategy:?}: {:?}",
            r.map(|o| o.checked)
        );
        // Asked between batches: once it says stop, the search asks at most twice more (the
        // loop it leaves and the final check), it does not go on batch after batch.
        assert!(asked.load(Ordering::SeqCst) <= 5, "{strategy:?}");
    }
}

#[test]
fn a_search_never_stopped_finds_what_it_found_before() {
    let p = adult();
    let q = Quality::new(&p, Metric::Loss);
    for strategy in [Strategy::Optimal, Strategy::Heuristic] {
        let asked = AtomicUsize::new(0);
        let stop = || {
            asked.fetch_add(1, Ordering::SeqCst);
            false
        };
        let watched = search_watched(&p, &models(), &q, &params(strategy), &stop).unwrap();
        assert!(asked.load(Ordering::SeqCst) > 1, "{strategy:?}");
        let plain = search(&p, &models(), &q, &params(strategy)).unwrap();
        let (w, _) = watched.best.expect("an answer");
        let (b, _) = plain.best.expect("an answer");
        assert_eq!(
            (w.levels, w.score, w.suppressed, watched.checked),
            (b.levels, b.score, b.suppressed, plain.checked)
        );
    }
}
