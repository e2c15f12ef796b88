//! Puts source, twin and control on one footing before an attack: the same columns in the same
//! order, one dictionary per column, exact duplicates removable.

use crate::error::{invalid, Result};
use datavisa_table::{encode_shared, EquivalenceClasses, Table};

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
    let all: Vec<usize> = (0..t.columns.len()).collect();
    let classes = EquivalenceClasses::of(t, &all);
    let mut seen = vec![false; classes.len()];
    let keep: Vec<usize> = (0..t.n_rows)
        .filter(|&r| {
            let c = classes.class_of_row[r] as usize;
            !std::mem::replace(&mut seen[c], true)
        })
        .collect();
    if keep.len() == t.n_rows {
        return t.clone();
    }
    t.take(&keep)
}

/// Column indices by name, with a clear error for a name the table lacks.
pub fn column_indices(t: &Table, names: &[String]) -> Result<Vec<usize>> {
    names
        .iter()
        .map(|n| t.index_of(n).map_err(Into::into))
        .collect()
}
