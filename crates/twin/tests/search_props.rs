//! Property tests: on random small tables and hierarchies the optimal search finds exactly what
//! evaluating the whole lattice finds, and its output passes an independent check by the `risk`
//! crate (not the search code).

use datavisa_risk::classic::{classic_risk, ClassicParams};
use datavisa_table::{Column, Table};
use datavisa_twin::apply::generalized_table;
use datavisa_twin::engine::{LVariant, Models, Problem, TDistance};
use datavisa_twin::hierarchy::HierarchySource;
use datavisa_twin::quality::{Metric, Quality};
use datavisa_twin::search::{brute_force, search, SearchParams, Strategy};
use datavisa_twin::Hierarchy;
use proptest::prelude::*;
use std::path::Path;

fn cat(name: &str, values: Vec<String>) -> Column {
    Column::from_texts(name, values)
}

/// Leaves v0..v{n-1}; level i groups leaves by index / 2^i; the root is "*".
fn hierarchy(name: &str, n: usize, height: usize) -> Hierarchy {
    let rows: Vec<Vec<String>> = (0..n)
        .map(|v| {
            let mut r = vec![format!("v{v}")];
            for l in 1..height {
                r.push(format!("g{l}_{}", v >> l));
            }
            r.push("*".into());
            r
        })
        .collect();
    Hierarchy::from_rows(
        name,
        &rows,
        Path::new("test"),
        &|i| i + 1,
        HierarchySource {
            kind: "test".into(),
            detail: String::new(),
            def: None,
        },
    )
    .unwrap()
}

fn metric(i: usize) -> Metric {
    [
        Metric::Loss,
        Metric::Precision,
        Metric::Height,
        Metric::Discernibility,
        Metric::Aecs,
        Metric::Entropy,
    ][i]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]
    #[test]
    fn optimal_equals_brute_force(
        rows in proptest::collection::vec((0usize..5, 0usize..4, 0usize..3, 0usize..3), 4..40),
        heights in (1usize..4, 1usize..3, 1usize..3),
        k in 1u64..4,
        supp in 0usize..3,
        l in proptest::option::of(1u8..3),
        t in proptest::option::of(0usize..3),
        mi in 0usize..6,
        lv in 0usize..3,
        td in 0usize..2,
        avg in proptest::option::of(0usize..3),
    ) {
        let t_model = t.map(|i| [0.2, 0.4, 0.6][i]);
        let col = |i: usize| rows.iter().map(|r| format!("v{}", [r.0, r.1, r.2][i])).collect::<Vec<_>>();
        let table = Table::new(vec![
            cat("a", col(0)),
            cat("b", col(1)),
            cat("c", col(2)),
            cat("s", rows.iter().map(|r| format!("s{}", r.3)).collect()),
        ]).unwrap();
        let qis = vec![
            ("a".to_string(), hierarchy("a", 5, heights.0)),
            ("b".to_string(), hierarchy("b", 4, heights.1)),
            ("c".to_string(), hierarchy("c", 3, heights.2)),
        ];
        let p = Problem::new(&table, qis, vec![("s".into(), None)]).unwrap();
        let m = Models {
            k: Some(k.min(rows.len() as u64)),
            l: l.map(f64::from),
            l_variant: [LVariant::Distinct, LVariant::Entropy, LVariant::Recursive][lv],
            c: 2.0,
            t: t_model,
            t_distance: [TDistance::Equal, TDistance::Ordered][td],
            avg_risk: avg.map(|i| [0.2, 0.4, 0.7][i]),
            suppression: [0.0, 0.1, 0.3][supp],
        };
        let q = Quality::new(&p, metric(mi));
        let sp = SearchParams { strategy: Strategy::Optimal, ..Default::default() };
        let opt = search(&p, &m, &q, &sp).unwrap();
        // Nodes checked are distinct nodes: never more than the lattice holds.
        prop_assert!(opt.checked as u64 <= opt.lattice_size, "{} checked of {}", opt.checked, opt.lattice_size);
        let got = opt.best;
        let want = brute_force(&p, &m, &q);
        // The heuristic with an unlimited budget is a complete best-first search.
        let hp = SearchParams { strategy: Strategy::Heuristic, max_checks: usize::MAX, ..Default::default() };
        let heur_out = search(&p, &m, &q, &hp).unwrap();
        prop_assert!(heur_out.checked as u64 <= heur_out.lattice_size, "{} checked of {}", heur_out.checked, heur_out.lattice_size);
        let heur = heur_out.best.map(|b| b.0);
        if metric(mi) == Metric::Loss {
            prop_assert_eq!(heur.as_ref().map(|h| h.levels.clone()), want.as_ref().map(|w| w.levels.clone()));
        } else if let (Some(h), Some(w)) = (&heur, &want) {
            prop_assert!(h.score >= w.score - 1e-9);
        }
        match (&got, &want) {
            (None, None) => {}
            (Some((g, c)), Some(w)) => {
                prop_assert_eq!(&g.levels, &w.levels);
                prop_assert!((g.score - w.score).abs() < 1e-9);
                // Independent check of the output with the risk crate.
                let out = generalized_table(&table, &p, c, &[]).unwrap();
                let kept: Vec<usize> = (0..out.n_rows).filter(|&r| out.columns[0].display(r).as_deref() != Some("*")).collect();
                if !kept.is_empty() {
                    let kept_t = out.take(&kept);
                    let r = classic_risk(&kept_t, None, &ClassicParams {
                        quasi: vec!["a".into(), "b".into(), "c".into()],
                        sensitive: vec!["s".into()],
                        ..Default::default()
                    }).unwrap();
                    prop_assert!(r.k >= m.k.unwrap(), "k {} < {}", r.k, m.k.unwrap());
                    if let (Some(l), LVariant::Distinct) = (m.l, m.l_variant) {
                        prop_assert!(r.sensitive[0].distinct_l as f64 >= l);
                    }
                    if let (Some(l), LVariant::Entropy) = (m.l, m.l_variant) {
                        prop_assert!(r.sensitive[0].entropy_l >= l - 1e-9);
                    }
                    if let Some(risk) = m.avg_risk {
                        prop_assert!(r.prosecutor.average <= risk + 1e-9);
                    }
                }
                prop_assert!(g.suppressed as f64 <= m.suppression * rows.len() as f64 + 1e-9);
            }
            _ => prop_assert!(false, "search {:?} vs brute force {:?}", got.map(|g| g.0), want),
        }
    }
}

/// One quasi-identifier of height 1 is a lattice of two nodes; the searches used to count the
/// answer's re-check as a third ("3 nodes checked of 2").
#[test]
fn a_two_node_lattice_reports_at_most_two_nodes_checked() {
    let table = Table::new(vec![cat(
        "a",
        ["v0", "v1", "v0", "v1", "v0"].map(String::from).to_vec(),
    )])
    .unwrap();
    let p = Problem::new(&table, vec![("a".into(), hierarchy("a", 2, 1))], vec![]).unwrap();
    for strategy in [Strategy::Optimal, Strategy::Heuristic] {
        for k in [1, 3, 5] {
            let m = Models {
                k: Some(k),
                l: None,
                l_variant: LVariant::Distinct,
                c: 2.0,
                t: None,
                t_distance: TDistance::Equal,
                avg_risk: None,
                suppression: 0.0,
            };
            let q = Quality::new(&p, Metric::Loss);
            let sp = SearchParams {
                strategy,
                ..Default::default()
            };
            let out = search(&p, &m, &q, &sp).unwrap();
            assert_eq!(out.lattice_size, 2);
            assert!(
                (1..=2).contains(&out.checked),
                "{strategy:?} k={k}: {} nodes checked of 2",
                out.checked
            );
        }
    }
}
