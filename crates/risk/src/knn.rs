//! Exact k nearest neighbours over mixed-type columns, the distance of Anonymeter's
//! `MixedTypeKNeighbors` (numeric columns divided by their range, categorical 0/1, summed).
//!
//! Layout and speed: candidates are stored in blocks of [`BLOCK`] rows, column-major inside a
//! block, so one block of every column fits in L1/L2 while a batch of queries is scored against
//! it; the per-column loops auto-vectorise (AVX2 when the CPU has it, chosen at run time).
//! Only the k best are kept per query (no sort of all distances). Ties are broken by a seeded
//! hash of the candidate index, i.e. uniformly at random and identically on any thread count.
//!
//! Missing values: a missing category is a category of its own (missing = missing, distance 0).
//! A missing number is at distance 1 (the largest possible) from any present number and 0 from
//! another missing number. (Anonymeter gives NaN, i.e. "farthest of all", when one side is
//! missing and 1 when both are.)

use crate::error::{Result, RiskError};
use crate::watch::Watch;
use datavisa_table::{ColumnData, Table, MISSING};
use rayon::prelude::*;
use std::sync::atomic::{AtomicBool, Ordering};

/// Candidates per block.
pub const BLOCK: usize = 256;
const QUERY_BATCH: usize = 32;

/// The k nearest candidates of each query, nearest first.
#[derive(Clone, Debug)]
pub struct Neighbours {
    pub k: usize,
    /// `idx[q * k + j]`: candidate row of the j-th neighbour of query q.
    pub idx: Vec<u32>,
    /// Matching distances.
    pub dist: Vec<f64>,
}

impl Neighbours {
    /// The neighbours of query `q`.
    pub fn of(&self, q: usize) -> &[u32] {
        &self.idx[q * self.k..(q + 1) * self.k]
    }

    /// The distances of query `q`'s neighbours.
    pub fn distances(&self, q: usize) -> &[f64] {
        &self.dist[q * self.k..(q + 1) * self.k]
    }
}

/// Candidates laid out for scanning, with the scaling they were built with.
pub struct KnnIndex {
    n: usize,
    n_num: usize,
    n_cat: usize,
    num: Vec<f64>,
    cat: Vec<u32>,
    /// Numeric columns (table indices) then categorical columns, in distance order.
    num_cols: Vec<usize>,
    cat_cols: Vec<usize>,
    ranges: Vec<f64>,
    /// Per numeric column: does any candidate miss a value (else the cheaper loop is used).
    has_missing: Vec<bool>,
}

/// Splits `cols` into numeric and categorical (numeric only when numeric in every table),
/// each sorted by column name, as Anonymeter orders them.
pub fn split_columns(tables: &[&Table], cols: &[usize]) -> (Vec<usize>, Vec<usize>) {
    let is_num = |c: usize| {
        tables
            .iter()
            .all(|t| matches!(t.columns[c].data, ColumnData::Numeric(_)))
    };
    let name = |c: &usize| tables[0].columns[*c].name.clone();
    let (mut num, mut cat): (Vec<usize>, Vec<usize>) = cols.iter().partition(|&&c| is_num(c));
    num.sort_by_key(name);
    cat.sort_by_key(name);
    (num, cat)
}

/// Range (max − min) of each numeric column over the candidates and the query rows; 1 when the
/// column is constant or empty.
pub fn ranges(cands: &Table, queries: &Table, rows: &[usize], num_cols: &[usize]) -> Vec<f64> {
    num_cols
        .iter()
        .map(|&c| {
            let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
            let mut see = |x: f64| {
                if !x.is_nan() {
                    lo = lo.min(x);
                    hi = hi.max(x);
                }
            };
            if let ColumnData::Numeric(v) = &cands.columns[c].data {
                v.iter().for_each(|&x| see(x));
            }
            if let ColumnData::Numeric(v) = &queries.columns[c].data {
                rows.iter().for_each(|&r| see(v[r]));
            }
            let r = hi - lo;
            if r.is_finite() && r > 0.0 {
                r
            } else {
                1.0
            }
        })
        .collect()
}

fn numbers(t: &Table, c: usize) -> &[f64] {
    match &t.columns[c].data {
        ColumnData::Numeric(v) => v,
        ColumnData::Categorical(_) => &[],
    }
}

fn codes(t: &Table, c: usize) -> std::borrow::Cow<'_, [u32]> {
    t.columns[c].codes()
}

impl KnnIndex {
    /// Lays out `cands` over the given numeric and categorical columns.
    pub fn new(cands: &Table, num_cols: &[usize], cat_cols: &[usize], ranges: &[f64]) -> KnnIndex {
        let n = cands.n_rows;
        let n_blocks = n.div_ceil(BLOCK);
        let (n_num, n_cat) = (num_cols.len(), cat_cols.len());
        let mut num = vec![f64::NAN; n_blocks * n_num * BLOCK];
        let mut cat = vec![MISSING; n_blocks * n_cat * BLOCK];
        let mut has_missing = vec![false; n_num];
        for (j, (&c, &range)) in num_cols.iter().zip(ranges).enumerate() {
            has_missing[j] = numbers(cands, c).iter().any(|x| x.is_nan());
            for (r, &x) in numbers(cands, c).iter().enumerate() {
                num[((r / BLOCK) * n_num + j) * BLOCK + r % BLOCK] = x / range;
            }
        }
        for (j, &c) in cat_cols.iter().enumerate() {
            for (r, &x) in codes(cands, c).iter().enumerate() {
                cat[((r / BLOCK) * n_cat + j) * BLOCK + r % BLOCK] = x;
            }
        }
        KnnIndex {
            n,
            n_num,
            n_cat,
            num,
            cat,
            num_cols: num_cols.to_vec(),
            cat_cols: cat_cols.to_vec(),
            ranges: ranges.to_vec(),
            has_missing,
        }
    }

    /// Candidate rows.
    pub fn len(&self) -> usize {
        self.n
    }

    /// True with no candidates.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// The query vector of row `r` of `t` (same column order and scaling as the index).
    fn query_of(&self, t: &Table, r: usize) -> (Vec<f64>, Vec<u32>) {
        let qn = self
            .num_cols
            .iter()
            .zip(&self.ranges)
            .map(|(&c, &range)| numbers(t, c)[r] / range)
            .collect();
        let qc = self
            .cat_cols
            .iter()
            .map(|&c| match &t.columns[c].data {
                ColumnData::Categorical(cat) => cat.codes()[r],
                ColumnData::Numeric(_) => MISSING,
            })
            .collect();
        (qn, qc)
    }

    /// The `k` nearest candidates of rows `rows` of `queries`. `salt` makes tie-breaking
    /// independent between calls; `watch` is told how many queries are done and asked before
    /// each batch of queries whether to stop (then the search is cancelled).
    pub fn search(
        &self,
        queries: &Table,
        rows: &[usize],
        k: usize,
        salt: u64,
        watch: &dyn Watch,
    ) -> Result<Neighbours> {
        let k = k.min(self.n);
        let mut idx = vec![0u32; rows.len() * k];
        let mut dist = vec![0f64; rows.len() * k];
        if k == 0 {
            return Ok(Neighbours { k, idx, dist });
        }
        let stopped = AtomicBool::new(false);
        idx.par_chunks_mut(QUERY_BATCH * k)
            .zip(dist.par_chunks_mut(QUERY_BATCH * k))
            .zip(rows.par_chunks(QUERY_BATCH))
            .for_each(|((idx, dist), rows)| {
                // Batches not yet started are skipped; the result is then discarded.
                if stopped.load(Ordering::Relaxed) || watch.stopped() {
                    stopped.store(true, Ordering::Relaxed);
                    return;
                }
                let qs: Vec<(Vec<f64>, Vec<u32>)> =
                    rows.iter().map(|&r| self.query_of(queries, r)).collect();
                let mut tops: Vec<Top> = rows
                    .iter()
                    .map(|&r| Top::new(k, mix(salt ^ mix(r as u64))))
                    .collect();
                self.scan(&qs, &mut tops);
                for (q, top) in tops.into_iter().enumerate() {
                    for (j, (d, _, i)) in top.sorted().into_iter().enumerate() {
                        idx[q * k + j] = i;
                        dist[q * k + j] = d;
                    }
                }
                watch.advance(rows.len());
            });
        if stopped.into_inner() {
            return Err(RiskError::Cancelled);
        }
        Ok(Neighbours { k, idx, dist })
    }

    fn scan(&self, qs: &[(Vec<f64>, Vec<u32>)], tops: &mut [Top]) {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: the CPU supports AVX2 (checked just above).
                unsafe { self.scan_avx2(qs, tops) };
                return;
            }
        }
        self.scan_portable(qs, tops);
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn scan_avx2(&self, qs: &[(Vec<f64>, Vec<u32>)], tops: &mut [Top]) {
        self.scan_portable(qs, tops);
    }

    #[inline(always)]
    fn scan_portable(&self, qs: &[(Vec<f64>, Vec<u32>)], tops: &mut [Top]) {
        let mut d = [0f64; BLOCK];
        let n_blocks = self.n.div_ceil(BLOCK);
        for b in 0..n_blocks {
            let num = &self.num[b * self.n_num * BLOCK..(b + 1) * self.n_num * BLOCK];
            let cat = &self.cat[b * self.n_cat * BLOCK..(b + 1) * self.n_cat * BLOCK];
            let len = (self.n - b * BLOCK).min(BLOCK);
            for ((qn, qc), top) in qs.iter().zip(tops.iter_mut()) {
                block_distances(num, cat, qn, qc, &self.has_missing, &mut d);
                let base = (b * BLOCK) as u32;
                let thr = top.threshold();
                if block_min(&d, len) > thr {
                    continue;
                }
                for (i, &di) in d[..len].iter().enumerate() {
                    if di <= thr {
                        top.offer(di, base + i as u32);
                    }
                }
            }
        }
    }
}

/// Rows scored together with their running sums kept in registers.
const TILE: usize = 16;

/// Distances from one query to one block, [`TILE`] rows at a time so the sums stay in
/// registers across columns. Categorical mismatches are counted in integers and added last;
/// numeric columns without missing values skip the missing test.
#[inline(always)]
fn block_distances(
    num: &[f64],
    cat: &[u32],
    qn: &[f64],
    qc: &[u32],
    has_missing: &[bool],
    d: &mut [f64; BLOCK],
) {
    for start in (0..BLOCK).step_by(TILE) {
        let mut acc = [0f64; TILE];
        for ((j, &q), &gaps) in qn.iter().enumerate().zip(has_missing) {
            let col: &[f64; TILE] = num[j * BLOCK + start..j * BLOCK + start + TILE]
                .try_into()
                .expect("tile-sized");
            if q.is_nan() {
                for (a, &c) in acc.iter_mut().zip(col) {
                    *a += if c.is_nan() { 0.0 } else { 1.0 };
                }
            } else if gaps {
                for (a, &c) in acc.iter_mut().zip(col) {
                    let x = (q - c).abs();
                    *a += if x.is_nan() { 1.0 } else { x };
                }
            } else {
                for (a, &c) in acc.iter_mut().zip(col) {
                    *a += (q - c).abs();
                }
            }
        }
        let mut mismatches = [0u32; TILE];
        for (j, &q) in qc.iter().enumerate() {
            let col: &[u32; TILE] = cat[j * BLOCK + start..j * BLOCK + start + TILE]
                .try_into()
                .expect("tile-sized");
            for (m, &c) in mismatches.iter_mut().zip(col) {
                *m += (c != q) as u32;
            }
        }
        // Numeric terms first, then the mismatch count: Anonymeter's order of summation.
        for ((out, &a), &m) in d[start..start + TILE].iter_mut().zip(&acc).zip(&mismatches) {
            *out = a + m as f64;
        }
    }
}

/// Smallest of the first `len` distances (four running minima, so the loop vectorises).
#[inline(always)]
fn block_min(d: &[f64; BLOCK], len: usize) -> f64 {
    if len < BLOCK {
        return d[..len]
            .iter()
            .copied()
            .fold(f64::INFINITY, |a, b| if b < a { b } else { a });
    }
    let mut m = [f64::INFINITY; 4];
    for chunk in d.chunks_exact(4) {
        for (mi, &x) in m.iter_mut().zip(chunk) {
            *mi = if x < *mi { x } else { *mi };
        }
    }
    m.iter()
        .copied()
        .fold(f64::INFINITY, |a, b| if b < a { b } else { a })
}

/// SplitMix64 finaliser: a cheap, well-mixed 64-bit hash.
pub fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The k best (distance, tie key, index) seen so far, ordered by distance then tie key.
struct Top {
    k: usize,
    salt: u64,
    items: Vec<(f64, u64, u32)>,
}

impl Top {
    fn new(k: usize, salt: u64) -> Top {
        Top {
            k,
            salt,
            items: Vec::with_capacity(k + 1),
        }
    }

    #[inline]
    fn threshold(&self) -> f64 {
        if self.items.len() < self.k {
            f64::INFINITY
        } else {
            self.items[self.k - 1].0
        }
    }

    #[inline]
    fn offer(&mut self, d: f64, i: u32) {
        let key = mix(self.salt ^ i as u64);
        let item = (d, key, i);
        let less = |a: &(f64, u64, u32), b: &(f64, u64, u32)| (a.0, a.1) < (b.0, b.1);
        if self.items.len() == self.k {
            if !less(&item, &self.items[self.k - 1]) {
                return;
            }
            self.items.pop();
        }
        let pos = self.items.partition_point(|x| less(x, &item));
        self.items.insert(pos, item);
    }

    fn sorted(self) -> Vec<(f64, u64, u32)> {
        self.items
    }
}

/// Convenience: k nearest twin rows of `rows` of `queries` over `cols` (ranges taken over the
/// twin and those rows, as Anonymeter does per call).
pub fn nearest(
    cands: &Table,
    queries: &Table,
    rows: &[usize],
    cols: &[usize],
    k: usize,
    salt: u64,
    watch: &dyn Watch,
) -> Result<Neighbours> {
    let (num, cat) = split_columns(&[cands, queries], cols);
    let r = ranges(cands, queries, rows, &num);
    KnnIndex::new(cands, &num, &cat, &r).search(queries, rows, k, salt, watch)
}

#[cfg(test)]
mod tests {
    use super::*;
    use datavisa_table::{CatData, Column, Dictionary, TypeEvidence, ValueType};
    use proptest::prelude::*;
    use std::sync::Arc;

    fn table(nums: Vec<f64>, cats: Vec<u32>) -> Table {
        let mut d = Dictionary::new();
        for v in ["a", "b", "c"] {
            d.intern(v);
        }
        Table::new(vec![
            Column {
                name: "x".into(),
                value_type: ValueType::Float,
                data: ColumnData::Numeric(nums.into()),
                evidence: TypeEvidence::default(),
            },
            Column {
                name: "c".into(),
                value_type: ValueType::Categorical,
                data: ColumnData::Categorical(CatData::new(cats, Arc::new(d))),
                evidence: TypeEvidence::default(),
            },
        ])
        .unwrap()
    }

    fn brute(cands: &Table, q: &Table, r: usize, range: f64) -> Vec<f64> {
        let (ColumnData::Numeric(cx), ColumnData::Numeric(qx)) =
            (&cands.columns[0].data, &q.columns[0].data)
        else {
            unreachable!()
        };
        let cc = cands.columns[1].codes();
        let qc = q.columns[1].codes();
        (0..cands.n_rows)
            .map(|i| {
                let a = qx[r] / range;
                let b = cx[i] / range;
                let dn = match (a.is_nan(), b.is_nan()) {
                    (true, true) => 0.0,
                    (false, false) => (a - b).abs(),
                    _ => 1.0,
                };
                dn + (cc[i] != qc[r]) as u32 as f64
            })
            .collect()
    }

    #[test]
    fn hand_computed_distances() {
        let cands = table(vec![0.0, 10.0, 5.0, f64::NAN], vec![0, 1, 0, MISSING]);
        let q = table(vec![4.0, f64::NAN], vec![0, MISSING]);
        let nb = nearest(&cands, &q, &[0, 1], &[0, 1], 4, 7, &|_| {}).unwrap();
        // Range 10: from (4, a): row2 0.1, row0 0.4, row1 0.6+1, row3 1+1.
        assert_eq!(nb.of(0), &[2, 0, 1, 3]);
        let d = nb.distances(0);
        assert!((d[0] - 0.1).abs() < 1e-12 && (d[1] - 0.4).abs() < 1e-12);
        assert!((d[2] - 1.6).abs() < 1e-12 && (d[3] - 2.0).abs() < 1e-12);
        // (missing, missing): row3 is at 0.
        assert_eq!(nb.of(1)[0], 3);
        assert_eq!(nb.distances(1)[0], 0.0);
    }

    #[test]
    fn ties_are_broken_evenly() {
        // 1000 identical candidates: the first neighbour should be spread over them.
        let n = 1000;
        let cands = table(vec![1.0; n], vec![0; n]);
        let q = table(vec![1.0; 400], vec![0; 400]);
        let rows: Vec<usize> = (0..400).collect();
        let nb = nearest(&cands, &q, &rows, &[0, 1], 1, 3, &|_| {}).unwrap();
        let low = (0..400).filter(|&r| nb.of(r)[0] < 500).count();
        assert!((150..250).contains(&low), "{low}");
    }

    proptest! {
        #[test]
        fn equals_brute_force(
            c in proptest::collection::vec((0i32..20, 0u32..4), 1..700),
            q in proptest::collection::vec((0i32..20, 0u32..4), 1..40),
            k in 1usize..6,
        ) {
            let mk = |v: &Vec<(i32, u32)>| table(
                v.iter().map(|x| if x.0 == 19 { f64::NAN } else { x.0 as f64 }).collect(),
                v.iter().map(|x| if x.1 == 3 { MISSING } else { x.1 }).collect());
            let (cands, qt) = (mk(&c), mk(&q));
            let rows: Vec<usize> = (0..qt.n_rows).collect();
            let range = ranges(&cands, &qt, &rows, &[0])[0];
            let nb = nearest(&cands, &qt, &rows, &[0, 1], k, 11, &|_| {}).unwrap();
            for r in 0..qt.n_rows {
                let mut all = brute(&cands, &qt, r, range);
                all.sort_by(f64::total_cmp);
                let got = nb.distances(r);
                for j in 0..got.len() {
                    prop_assert!((got[j] - all[j]).abs() < 1e-12);
                }
                for (j, &i) in nb.of(r).iter().enumerate() {
                    prop_assert!((brute(&cands, &qt, r, range)[i as usize] - got[j]).abs() < 1e-12);
                }
            }
        }
    }
}
