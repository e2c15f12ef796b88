//! Puts source, twin and control on one footing before an attack: the same columns in the same
//! order, one dictionary per column, exact duplicates removable.

use crate::distance::{row_hash, same_row};
use crate::error::{invalid, Result};
use datavisa_table::{encode_shared, Table};

/// Source, twin and optional control, re-encoded with shared dictionaries over the twin's columns.
#[derive(Clone, Debug)]
pub struct Prepared {
    pub source: Table,
    pub twin: Table,
    pub control: Option<Table>,
    /// Source columns the twin does not carry (the attacker never sees them).
    pub dropped: Vec<String>,
}

/// Projects every table on the twin's columns and shares dictionaries. A twin column the source
/// or control lacks is an error (the attack would compare unlike things).
pub fn prepare(source: &Table, twin: &Table, control: Option<&Table>) -> Result<Prepared> {
    if twin.columns.is_empty() {
        return Err(invalid("the twin has no columns"));
    }
    let names = twin.column_names();
    let dropped = source
        .column_names()
        .into_iter()
        .filter(|n| !names.contains(n))
        .collect();
    check_has(source, &names, "source")?;
    if let Some(c) = control {
        check_has(c, &names, "control")?;
    }
    let src = project(source, &names)?;
    let ctl = control.map(|c| project(c, &names)).transpose()?;
    let mut all: Vec<&Table> = vec![&src, twin];
    if let Some(c) = &ctl {
        all.push(c);
    }
    let mut shared = encode_shared(&all)?.into_iter();
    let source = shared.next().expect("three in, three out");
    let twin = shared.next().expect("three in, three out");
    let control = shared.next();
    Ok(Prepared {
        source,
        twin,
        control,
        dropped,
    })
}

/// Fails, naming the file, when `t` lacks one of the twin's columns.
fn check_has(t: &Table, names: &[String], role: &str) -> Result<()> {
    let missing: Vec<&str> = names
        .iter()
        .filter(|n| t.index_of(n).is_err())
        .map(String::as_str)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let file = t
        .origin
        .path
        .as_ref()
        .map_or(String::new(), |p| format!(" ({})", p.display()));
    Err(invalid(format!(
        "the twin has column(s) {} that the {role}{file} does not; source, twin and control must describe the same columns",
        missing.join(", ")
    )))
}

/// The table restricted to `names`, in that order.
pub fn project(t: &Table, names: &[String]) -> Result<Table> {
    let mut columns = Vec::with_capacity(names.len());
    for n in names {
        columns.push(t.column(n)?.clone());
    }
    Ok(Table {
        columns,
        n_rows: t.n_rows,
        origin: t.origin.clone(),
    })
}

/// The rows of `t` with exact duplicates (over all columns) removed, first occurrence kept.
pub fn dedup_rows(t: &Table) -> Table {
    let keep = first_of_each_row(t);
    if keep.len() == t.n_rows {
        return t.clone();
    }
    t.take(&keep)
}

/// The rows that are the first with their values, in row order: rows hashed and compared as
/// exact copies are ([`row_hash`], [`same_row`]), so no sort is needed.
fn first_of_each_row(t: &Table) -> Vec<usize> {
    let hashes: Vec<u64> = (0..t.n_rows).map(|r| row_hash(t, r)).collect();
    let mut firsts: hashbrown::HashTable<u32> = hashbrown::HashTable::with_capacity(t.n_rows);
    let mut keep = Vec::with_capacity(t.n_rows);
    for (r, &h) in hashes.iter().enumerate() {
        if firsts.find(h, |&f| same_row(t, f as usize, t, r)).is_none() {
            firsts.insert_unique(h, r as u32, |&f| hashes[f as usize]);
            keep.push(r);
        }
    }
    keep
}

/// Column indices by name, with a clear error for a name the table lacks.
pub fn column_indices(t: &Table, names: &[String]) -> Result<Vec<usize>> {
    names
        .iter()
        .map(|n| t.index_of(n).map_err(Into::into))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use datavisa_table::{CatData, Column, ColumnData, Dictionary, EquivalenceClasses, ValueType};
    use proptest::prelude::*;
    use std::sync::Arc;

    /// The first row of each equivalence class over every column: what dedup kept before it
    /// hashed rows.
    fn firsts_by_classes(t: &Table) -> Vec<usize> {
        let all: Vec<usize> = (0..t.columns.len()).collect();
        let classes = EquivalenceClasses::of(t, &all);
        let mut seen = vec![false; classes.len()];
        (0..t.n_rows)
            .filter(|&r| !std::mem::replace(&mut seen[classes.class_of_row[r] as usize], true))
            .collect()
    }

    fn table(nums: Vec<f64>, codes: Vec<u32>) -> Table {
        let mut dict = Dictionary::new();
        for v in ["a", "b", "c"] {
            dict.intern(v);
        }
        let codes = codes
            .into_iter()
            .map(|c| if c == 3 { datavisa_table::MISSING } else { c })
            .collect();
        let cat = Column {
            name: "c".into(),
            value_type: ValueType::Categorical,
            data: ColumnData::Categorical(CatData::new(codes, Arc::new(dict))),
            evidence: Default::default(),
        };
        Table::new(vec![Column::from_numbers("n", ValueType::Float, nums), cat]).unwrap()
    }

    proptest! {
        /// Hashing rows keeps exactly the rows the equivalence classes kept, NaN, -0 and
        /// missing codes included.
        #[test]
        fn hashed_dedup_keeps_the_first_row_of_each_class(
            rows in proptest::collection::vec((0usize..5, 0u32..4), 1..60)
        ) {
            let pick = [0.0, -0.0, f64::NAN, 1.5, -2.0];
            let nums = rows.iter().map(|&(i, _)| pick[i]).collect();
            let codes = rows.iter().map(|&(_, c)| c).collect();
            let t = table(nums, codes);
            prop_assert_eq!(first_of_each_row(&t), firsts_by_classes(&t));
        }
    }
}
