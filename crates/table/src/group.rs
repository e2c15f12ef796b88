//! Equivalence classes: rows grouped by their exact combination of values over some columns.

use crate::dictionary::MISSING;
use crate::table::Table;
use rayon::prelude::*;
use std::hash::{BuildHasher, Hasher};

/// Rows grouped by identical values over a set of columns (missing is a value of its own).
#[derive(Clone, Debug)]
pub struct EquivalenceClasses {
    /// Class id of each row; ids follow the rows' sorted key order (deterministic).
    pub class_of_row: Vec<u32>,
    /// Number of rows in each class.
    pub sizes: Vec<u64>,
}

impl EquivalenceClasses {
    /// Groups the rows of `table` over the columns at `cols`.
    pub fn of(table: &Table, cols: &[usize]) -> EquivalenceClasses {
        let codes: Vec<std::borrow::Cow<'_, [u32]>> =
            cols.iter().map(|&c| table.columns[c].codes()).collect();
        let slices: Vec<&[u32]> = codes.iter().map(|c| c.as_ref()).collect();
        Self::of_codes(&slices, table.n_rows)
    }

    /// Groups rows given one code slice per column.
    pub fn of_codes(cols: &[&[u32]], n_rows: usize) -> EquivalenceClasses {
        match packed_keys(cols, n_rows) {
            Some(keys) => Self::of_keys(&keys),
            None => Self::of_codes_sorted(cols, n_rows),
        }
    }

    /// Groups rows by one 64-bit key each (class ids in ascending key order). Each thread
    /// groups its chunk in a small hash table; the distinct keys are then ranked once.
    fn of_keys(keys: &[u64]) -> EquivalenceClasses {
        let chunk = keys
            .len()
            .div_ceil(rayon::current_num_threads().max(1) * 4)
            .max(1 << 14);
        let local: Vec<(Vec<u64>, Vec<u32>)> = keys
            .par_chunks(chunk)
            .map(|part| {
                let mut ids: hashbrown::HashMap<u64, u32, foldhash::fast::FixedState> =
                    hashbrown::HashMap::with_hasher(foldhash::fast::FixedState::with_seed(7));
                let mut distinct = Vec::new();
                let local_ids = part
                    .iter()
                    .map(|&k| {
                        *ids.entry(k).or_insert_with(|| {
                            distinct.push(k);
                            (distinct.len() - 1) as u32
                        })
                    })
                    .collect();
                (distinct, local_ids)
            })
            .collect();
        let mut all: Vec<u64> = local.iter().flat_map(|(d, _)| d.iter().copied()).collect();
        all.sort_unstable();
        all.dedup();
        let remaps: Vec<Vec<u32>> = local
            .par_iter()
            .map(|(d, _)| {
                d.iter()
                    .map(|k| all.partition_point(|x| x < k) as u32)
                    .collect()
            })
            .collect();
        let mut class_of_row = vec![0u32; keys.len()];
        class_of_row
            .par_chunks_mut(chunk)
            .zip(local.par_iter().zip(remaps.par_iter()))
            .for_each(|(out, ((_, ids), remap))| {
                for (o, &i) in out.iter_mut().zip(ids) {
                    *o = remap[i as usize];
                }
            });
        let mut sizes = vec![0u64; all.len()];
        for &c in &class_of_row {
            sizes[c as usize] += 1;
        }
        EquivalenceClasses {
            class_of_row,
            sizes,
        }
    }

    /// Grouping by a parallel sort, for column sets too wide to pack into 64 bits.
    fn of_codes_sorted(cols: &[&[u32]], n_rows: usize) -> EquivalenceClasses {
        let state = foldhash::fast::FixedState::with_seed(0x6571_636c);
        let hashes: Vec<u64> = (0..n_rows)
            .into_par_iter()
            .map(|r| {
                let mut h = state.build_hasher();
                for c in cols {
                    h.write_u32(c[r]);
                }
                h.finish()
            })
            .collect();
        let mut order: Vec<u32> = (0..n_rows as u32).collect();
        let key_cmp = |&a: &u32, &b: &u32| {
            let (a, b) = (a as usize, b as usize);
            hashes[a].cmp(&hashes[b]).then_with(|| {
                cols.iter()
                    .map(|c| c[a].cmp(&c[b]))
                    .find(|o| o.is_ne())
                    .unwrap_or(std::cmp::Ordering::Equal)
            })
        };
        order.par_sort_unstable_by(key_cmp);
        let mut class_of_row = vec![0u32; n_rows];
        let mut sizes: Vec<u64> = Vec::new();
        for (i, &r) in order.iter().enumerate() {
            let same = i > 0 && key_cmp(&order[i - 1], &r).is_eq();
            if !same {
                sizes.push(0);
            }
            let id = sizes.len() - 1;
            sizes[id] += 1;
            class_of_row[r as usize] = id as u32;
        }
        EquivalenceClasses {
            class_of_row,
            sizes,
        }
    }

    /// Number of classes.
    pub fn len(&self) -> usize {
        self.sizes.len()
    }

    /// True when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.sizes.is_empty()
    }

    /// Rows that sit in classes of exactly `k` rows.
    pub fn rows_in_classes_of_size(&self, k: u64) -> u64 {
        self.sizes.iter().filter(|&&s| s == k).sum()
    }
}

/// Packs each row's codes into one u64 (mixed radix, missing as the largest digit) when the
/// product of the column cardinalities fits; None otherwise.
fn packed_keys(cols: &[&[u32]], n_rows: usize) -> Option<Vec<u64>> {
    let radices: Vec<u64> = cols
        .par_iter()
        .map(|c| {
            c.iter()
                .map(|&x| if x == MISSING { 0 } else { x as u64 + 1 })
                .max()
                .unwrap_or(0)
                + 1
        })
        .collect();
    let mut product: u64 = 1;
    for &r in &radices {
        product = product.checked_mul(r)?;
    }
    let digit = |x: u32, radix: u64| if x == MISSING { radix - 1 } else { x as u64 };
    let mut keys = vec![0u64; n_rows];
    for (c, &radix) in cols.iter().zip(&radices) {
        keys.par_iter_mut()
            .zip(c.par_iter())
            .for_each(|(k, &x)| *k = *k * radix + digit(x, radix));
    }
    Some(keys)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashMap;

    #[test]
    fn hand_computed_classes() {
        let a = [0u32, 0, 1, 1, 1, MISSING];
        let b = [5u32, 5, 6, 6, 7, 7];
        let ec = EquivalenceClasses::of_codes(&[&a, &b], 6);
        let mut sizes = ec.sizes.clone();
        sizes.sort();
        assert_eq!(sizes, vec![1, 1, 2, 2]);
        assert_eq!(ec.rows_in_classes_of_size(1), 2);
        assert_eq!(ec.class_of_row[0], ec.class_of_row[1]);
        assert_ne!(ec.class_of_row[4], ec.class_of_row[5]);
    }

    proptest! {
        #[test]
        fn classes_match_a_hash_map(rows in proptest::collection::vec((0u32..4, 0u32..3), 0..120)) {
            let a: Vec<u32> = rows.iter().map(|r| r.0).collect();
            let b: Vec<u32> = rows.iter().map(|r| r.1).collect();
            let ec = EquivalenceClasses::of_codes(&[&a, &b], rows.len());
            let mut expect: HashMap<(u32, u32), u64> = HashMap::new();
            for r in &rows { *expect.entry(*r).or_default() += 1; }
            prop_assert_eq!(ec.len(), expect.len());
            for (i, r) in rows.iter().enumerate() {
                prop_assert_eq!(ec.sizes[ec.class_of_row[i] as usize], expect[r]);
            }
            // The sorting path (used for wide keys) groups the same way.
            let sorted = EquivalenceClasses::of_codes_sorted(&[&a, &b], rows.len());
            prop_assert_eq!(sorted.len(), ec.len());
            for i in 0..rows.len() {
                for j in 0..rows.len() {
                    prop_assert_eq!(sorted.class_of_row[i] == sorted.class_of_row[j],
                                    ec.class_of_row[i] == ec.class_of_row[j]);
                }
            }
        }
    }
}
