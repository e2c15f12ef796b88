//! Producing the generalized twin: quasi-identifiers replaced by their generalized values,
//! suppressed records' quasi-identifiers set to `*`, sensitive and other columns kept verbatim,
//! identifiers dropped.

use crate::engine::{Check, Problem};
use crate::error::Result;
use datavisa_table::{CatData, Column, ColumnData, Dictionary, Table, TypeEvidence, ValueType};
use std::sync::Arc;

/// The twin table for a checked node. Columns named in `drop` are left out.
pub fn generalized_table(t: &Table, p: &Problem, c: &Check, drop: &[String]) -> Result<Table> {
    let m = p.m();
    let classes = &c.classes;
    let mut columns = Vec::with_capacity(t.columns.len());
    for col in &t.columns {
        if drop.contains(&col.name) {
            continue;
        }
        let Some(a) = p.qis.iter().position(|q| q.name == col.name) else {
            columns.push(col.clone());
            continue;
        };
        let h = &p.qis[a].hierarchy;
        let level = c.levels[a] as usize;
        let mut dict = Dictionary::new();
        let star = dict.intern("*");
        // Dictionary codes of the nodes at this level, interned on first use.
        let mut node_code: Vec<Option<u32>> = vec![None; h.labels[level].len()];
        let codes = p
            .row_base
            .iter()
            .map(|&b| {
                let class = classes.base_to_class[b as usize] as usize;
                if c.suppressed_class[class] {
                    return star;
                }
                let node = classes.tuples[class * m + a] as usize;
                *node_code[node].get_or_insert_with(|| dict.intern(&h.labels[level][node]))
            })
            .collect();
        columns.push(Column {
            name: col.name.clone(),
            value_type: ValueType::Categorical,
            data: ColumnData::Categorical(CatData::new(codes, Arc::new(dict))),
            evidence: TypeEvidence::default(),
        });
    }
    let mut out = Table::new(columns)?;
    out.origin = datavisa_table::Origin {
        path: None,
        ..t.origin.clone()
    };
    Ok(out)
}
