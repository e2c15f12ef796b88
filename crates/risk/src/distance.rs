//! Distance-based checks of a synthetic twin: distance to the closest source record (DCR),
//! nearest-neighbour distance ratio (NNDR), the same against a holdout, and exact copies.

use crate::error::{invalid, Result};
use crate::knn::{nearest, Neighbours};
use crate::prepare::Prepared;
use crate::watch::Watch;
use datavisa_table::{sample_indices, ColumnData, Table};
use hashbrown::HashMap;
use serde::Serialize;
use std::hash::{BuildHasher, Hasher};

/// Summary of a distance distribution (distances divided by the number of columns, in [0, 1]).
#[derive(Clone, Debug, Serialize)]
pub struct Quantiles {
    pub min: f64,
    pub p05: f64,
    pub median: f64,
    pub mean: f64,
}

fn quantiles(mut v: Vec<f64>) -> Quantiles {
    v.sort_unstable_by(f64::total_cmp);
    let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
    Quantiles {
        min: v[0],
        p05: at(0.05),
        median: at(0.5),
        mean: v.iter().sum::<f64>() / v.len() as f64,
    }
}

/// The distance report of a twin.
#[derive(Clone, Debug, Serialize)]
pub struct DistanceReport {
    pub n_twin_rows_measured: usize,
    pub dcr_source: Quantiles,
    pub nndr_source: Quantiles,
    pub dcr_holdout: Option<Quantiles>,
    pub nndr_holdout: Option<Quantiles>,
    /// Share of twin rows closer to the source than to the holdout (ties count half); about 0.5
    /// when the twin did not memorise its source (source and holdout are sized equally here).
    pub closer_to_source: Option<f64>,
    /// Share of all twin rows that are an exact copy of a source row.
    pub exact_copies: f64,
    pub exact_copies_of_holdout: Option<f64>,
    pub seed: u64,
}

/// Measures DCR/NNDR for up to `n_samples` twin rows (all if fewer), against the source and,
/// when `data.control` is given, against it as the holdout.
pub fn distances(data: &Prepared, n_samples: usize, seed: u64) -> Result<DistanceReport> {
    distances_watched(data, n_samples, seed, &|_| {})
}

/// [`distances`], stopping between batches of twin rows when `watch` says so.
pub fn distances_watched(
    data: &Prepared,
    n_samples: usize,
    seed: u64,
    watch: &dyn Watch,
) -> Result<DistanceReport> {
    let twin = &data.twin;
    if twin.n_rows == 0 || data.source.n_rows < 2 {
        return Err(invalid(
            "DCR needs a non-empty twin and at least two source rows",
        ));
    }
    let cols: Vec<usize> = (0..twin.columns.len()).collect();
    let rows = sample_indices(
        twin.n_rows,
        n_samples.min(twin.n_rows),
        crate::stream_seed(seed, 40),
    );
    let m = cols.len() as f64;
    // Equal-sized reference sets so "closer to source" has 0.5 as its neutral value.
    let (src, hold) = match &data.control {
        Some(h) => {
            let size = data.source.n_rows.min(h.n_rows);
            let s = data.source.take(&sample_indices(
                data.source.n_rows,
                size,
                crate::stream_seed(seed, 41),
            ));
            let h2 = h.take(&sample_indices(
                h.n_rows,
                size,
                crate::stream_seed(seed, 42),
            ));
            (s, Some(h2))
        }
        None => (data.source.clone(), None),
    };
    let against = |reference: &Table, salt: u64| -> Result<Neighbours> {
        nearest(
            reference,
            twin,
            &rows,
            &cols,
            2,
            crate::stream_seed(seed, salt),
            watch,
        )
    };
    let ns = against(&src, 43)?;
    let summarise = |nb: &Neighbours| {
        let dcr: Vec<f64> = (0..rows.len()).map(|i| nb.distances(i)[0] / m).collect();
        let nndr: Vec<f64> = (0..rows.len())
            .map(|i| {
                let d = nb.distances(i);
                if d.len() < 2 || d[1] == 0.0 {
                    1.0
                } else {
                    d[0] / d[1]
                }
            })
            .collect();
        (dcr, nndr)
    };
    let (dcr_s, nndr_s) = summarise(&ns);
    let mut report = DistanceReport {
        n_twin_rows_measured: rows.len(),
        dcr_source: quantiles(dcr_s.clone()),
        nndr_source: quantiles(nndr_s),
        dcr_holdout: None,
        nndr_holdout: None,
        closer_to_source: None,
        exact_copies: copies(twin, &data.source),
        exact_copies_of_holdout: data.control.as_ref().map(|h| copies(twin, h)),
        seed,
    };
    if let Some(h) = hold.as_ref().filter(|h| h.n_rows >= 2) {
        let nh = against(h, 44)?;
        let (dcr_h, nndr_h) = summarise(&nh);
        let closer: f64 = dcr_s
            .iter()
            .zip(&dcr_h)
            .map(|(s, h)| match s.total_cmp(h) {
                std::cmp::Ordering::Less => 1.0,
                std::cmp::Ordering::Equal => 0.5,
                std::cmp::Ordering::Greater => 0.0,
            })
            .sum::<f64>()
            / rows.len() as f64;
        report.closer_to_source = Some(closer);
        report.dcr_holdout = Some(quantiles(dcr_h));
        report.nndr_holdout = Some(quantiles(nndr_h));
    }
    Ok(report)
}

/// A hash of row `r` over every column (numbers by value, categories by shared code).
pub(crate) fn row_hash(t: &Table, r: usize) -> u64 {
    let mut h = foldhash::fast::FixedState::with_seed(0x636f_7079).build_hasher();
    for c in &t.columns {
        match &c.data {
            ColumnData::Categorical(cat) => h.write_u32(cat.codes()[r]),
            ColumnData::Numeric(v) => h.write_u64(canonical_bits(v[r])),
        }
    }
    h.finish()
}

fn canonical_bits(x: f64) -> u64 {
    if x.is_nan() {
        u64::MAX
    } else if x == 0.0 {
        0
    } else {
        x.to_bits()
    }
}

/// Whether row `ra` of `a` and row `rb` of `b` hold the same values ([`row_hash`]'s equality).
pub(crate) fn same_row(a: &Table, ra: usize, b: &Table, rb: usize) -> bool {
    a.columns
        .iter()
        .zip(&b.columns)
        .all(|(x, y)| match (&x.data, &y.data) {
            (ColumnData::Categorical(p), ColumnData::Categorical(q)) => {
                p.codes()[ra] == q.codes()[rb]
            }
            (ColumnData::Numeric(p), ColumnData::Numeric(q)) => {
                canonical_bits(p[ra]) == canonical_bits(q[rb])
            }
            _ => false,
        })
}

/// Share of `twin` rows equal, on every column, to some row of `reference`.
pub fn copies(twin: &Table, reference: &Table) -> f64 {
    if twin.n_rows == 0 {
        return 0.0;
    }
    let mut by_hash: HashMap<u64, Vec<u32>> = HashMap::new();
    for r in 0..reference.n_rows {
        by_hash
            .entry(row_hash(reference, r))
            .or_default()
            .push(r as u32);
    }
    let n = (0..twin.n_rows)
        .filter(|&r| {
            by_hash
                .get(&row_hash(twin, r))
                .is_some_and(|rs| rs.iter().any(|&s| same_row(twin, r, reference, s as usize)))
        })
        .count();
    n as f64 / twin.n_rows as f64
}
