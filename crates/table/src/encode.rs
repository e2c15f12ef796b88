//! Dictionary-encoding one column of raw fields. Low-cardinality columns are interned row by
//! row into one small, cache-resident table. High-cardinality columns (identifiers) would make
//! that table miss the cache on every row, so they are deduplicated in cache-sized partitions
//! of the hash space instead; codes are the same either way: first appearance order.

use crate::dictionary::{hash_bytes, tag, Dictionary, MISSING};
use hashbrown::HashTable;

/// Rows looked at before choosing how to encode a column.
const PROBE_ROWS: usize = 65_536;
/// Distinct share above which the partitioned encoder is used: nearly unique columns, where the
/// direct table would miss the cache on every row. Columns with many repeats stay direct, since
/// their dictionary arena stays cached.
const HIGH_CARDINALITY: f64 = 0.9;
/// Target rows per partition: a partition's table then fits in L2.
const PARTITION_ROWS: usize = 8192;

/// Raw fields of one column, readable in row order and by row.
pub trait Fields: Sync {
    /// Number of rows.
    fn len(&self) -> usize;
    /// True when there are no rows.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Row `r` (None = missing).
    fn get(&self, r: usize) -> Option<&[u8]>;
    /// Calls `f` with every row in order.
    fn for_each<'s>(&'s self, f: impl FnMut(usize, Option<&'s [u8]>));
}

impl Fields for [Option<&[u8]>] {
    fn len(&self) -> usize {
        <[_]>::len(self)
    }
    fn get(&self, r: usize) -> Option<&[u8]> {
        self[r]
    }
    fn for_each<'s>(&'s self, mut f: impl FnMut(usize, Option<&'s [u8]>)) {
        for (r, v) in self.iter().enumerate() {
            f(r, *v);
        }
    }
}

/// Encodes fields into a dictionary and one code per row.
pub fn encode_fields<F: Fields + ?Sized>(fields: &F) -> (Dictionary, Vec<u32>) {
    match encode_unless_near_unique(fields) {
        Probe::Encoded(dict, codes) => (dict, codes),
        Probe::NearUnique => encode_partitioned(fields),
    }
}

/// What the first rows of a column said.
pub enum Probe {
    /// Repeats enough to be encoded row by row: done.
    Encoded(Dictionary, Vec<u32>),
    /// Nearly every value is new: left for [`encode_partitioned`] (or kept as text).
    NearUnique,
}

/// Encodes a column row by row unless its first rows are nearly all distinct.
pub fn encode_unless_near_unique<F: Fields + ?Sized>(fields: &F) -> Probe {
    let n = fields.len();
    let probe = n.min(PROBE_ROWS);
    let mut dict = Dictionary::new();
    let mut codes = Vec::with_capacity(n);
    let mut present = 0usize;
    let mut high = None;
    fields.for_each(|r, f| {
        if r == probe {
            high = Some(present > 0 && dict.len() as f64 > HIGH_CARDINALITY * present as f64);
        }
        if high == Some(true) {
            return;
        }
        codes.push(match f {
            None => MISSING,
            Some(v) => {
                present += usize::from(r < probe);
                dict.intern_bytes(v)
            }
        });
    });
    if high == Some(true) {
        return Probe::NearUnique;
    }
    Probe::Encoded(dict, codes)
}

/// Partitioned deduplication: every row learns the first row holding its value, then codes are
/// handed out in row order.
pub fn encode_partitioned<F: Fields + ?Sized>(fields: &F) -> (Dictionary, Vec<u32>) {
    let n = fields.len();
    let mut hashes: Vec<u64> = Vec::with_capacity(n);
    let mut bytes = 0usize;
    fields.for_each(|_, f| {
        bytes += f.map_or(0, <[u8]>::len);
        // Missing rows get hash 0 and are skipped below by their `None`.
        hashes.push(f.map_or(0, hash_bytes));
    });
    let bits = (n / PARTITION_ROWS)
        .max(1)
        .next_power_of_two()
        .trailing_zeros()
        .min(16);
    let part = |h: u64| {
        if bits == 0 {
            0
        } else {
            (h >> (64 - bits)) as usize
        }
    };
    // Counting sort by partition, stable, so each partition lists its rows in ascending order.
    let mut starts = vec![0u32; (1usize << bits) + 1];
    let mut missing = vec![false; n];
    fields.for_each(|r, f| missing[r] = f.is_none());
    for (r, &h) in hashes.iter().enumerate() {
        if !missing[r] {
            starts[part(h) + 1] += 1;
        }
    }
    for i in 1..starts.len() {
        starts[i] += starts[i - 1];
    }
    // (hash, row) travel together so the partition loop reads them sequentially.
    let mut order = vec![(0u64, 0u32); starts[starts.len() - 1] as usize];
    let mut fill = starts.clone();
    for (r, &h) in hashes.iter().enumerate() {
        if !missing[r] {
            let p = part(h);
            order[fill[p] as usize] = (h, r as u32);
            fill[p] += 1;
        }
    }
    drop(hashes);
    let mut first = vec![u32::MAX; n];
    let mut table: HashTable<(u32, u32)> = HashTable::new();
    for p in 0..(1usize << bits) {
        let rows = &order[starts[p] as usize..starts[p + 1] as usize];
        table.clear();
        let rehash = |&(_, o): &(u32, u32)| fields.get(o as usize).map_or(0, hash_bytes);
        table.reserve(rows.len(), rehash);
        for &(h, r) in rows {
            let t = tag(h);
            // Bytes are compared only when the tags agree: rare unless the value repeats.
            let entry = table.entry(
                h,
                |&(et, o)| et == t && fields.get(o as usize) == fields.get(r as usize),
                rehash,
            );
            first[r as usize] = match entry {
                hashbrown::hash_table::Entry::Occupied(o) => o.get().1,
                hashbrown::hash_table::Entry::Vacant(v) => {
                    v.insert((t, r));
                    r
                }
            };
        }
    }
    drop(order);
    let mut arena: Vec<u8> = Vec::with_capacity(bytes);
    // Sized for the near-unique columns this path is for, so it never regrows.
    let mut ends: Vec<usize> = Vec::with_capacity(n);
    let mut codes = vec![MISSING; n];
    fields.for_each(|r, f| {
        let Some(v) = f else { return };
        let f = first[r] as usize;
        codes[r] = if f == r {
            arena.extend_from_slice(v);
            ends.push(arena.len());
            (ends.len() - 1) as u32
        } else {
            codes[f]
        };
    });
    (Dictionary::from_parts(arena, ends), codes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn direct(fields: &[Option<&[u8]>]) -> (Vec<String>, Vec<u32>) {
        let mut d = Dictionary::new();
        let codes = fields
            .iter()
            .map(|f| f.map_or(MISSING, |v| d.intern_bytes(v)))
            .collect();
        (d.iter().map(str::to_owned).collect(), codes)
    }

    proptest! {
        // The partitioned encoder gives exactly the codes and dictionary of plain interning.
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn partitioned_equals_direct(vals in proptest::collection::vec(proptest::option::of("[a-e]{0,3}"), 0..3000)) {
            let fields: Vec<Option<&[u8]>> = vals.iter().map(|v| v.as_deref().map(str::as_bytes)).collect();
            let (d, c) = encode_partitioned(fields.as_slice());
            let (dd, dc) = direct(&fields);
            prop_assert_eq!(d.iter().map(str::to_owned).collect::<Vec<_>>(), dd);
            prop_assert_eq!(c, dc);
            let (d2, c2) = encode_fields(fields.as_slice());
            prop_assert_eq!(d2.len(), d.len());
            prop_assert_eq!(c2, direct(&fields).1);
        }
    }

    #[test]
    fn many_unique_values_use_partitions_and_stay_in_order() {
        let vals: Vec<String> = (0..200_000)
            .map(|i| format!("v{}", (i * 7919) % 150_000))
            .collect();
        let fields: Vec<Option<&[u8]>> = vals.iter().map(|v| Some(v.as_bytes())).collect();
        let (d, c) = encode_fields(fields.as_slice());
        let (dd, dc) = direct(&fields);
        assert_eq!(d.len(), 150_000);
        assert_eq!(d.iter().map(str::to_owned).collect::<Vec<_>>(), dd);
        assert_eq!(c, dc);
        assert_eq!(d.code_of("v7919"), Some(c[1]));
    }
}
