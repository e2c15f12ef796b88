//! The table: named columns of equal length, where it came from, and row-level helpers.

use crate::column::{CatData, Column, ColumnData, ValueType};
use crate::dictionary::{Dictionary, MISSING};
use crate::error::{Result, TableError};
use rayon::prelude::*;
use std::path::PathBuf;
use std::sync::Arc;

/// The file format a table was read from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum FileFormat {
    Csv,
    Parquet,
    #[default]
    Memory,
}

impl FileFormat {
    /// Name used in output.
    pub fn as_str(self) -> &'static str {
        match self {
            FileFormat::Csv => "csv",
            FileFormat::Parquet => "parquet",
            FileFormat::Memory => "memory",
        }
    }
}

/// Maps a row index back to the physical line it started on, for error messages.
#[derive(Clone, Debug, Default)]
pub struct RowLines {
    /// Line of the first data row.
    pub first: u64,
    /// (row, extra lines) from that row on, wherever records span or skip lines.
    pub marks: Vec<(u64, u64)>,
}

impl RowLines {
    /// 1-based line number on which row `row` (0-based) starts.
    pub fn line_of(&self, row: usize) -> u64 {
        let r = row as u64;
        let i = self.marks.partition_point(|&(mr, _)| mr <= r);
        let extra = if i == 0 { 0 } else { self.marks[i - 1].1 };
        self.first + r + extra
    }
}

/// Where a table came from and how it was read.
#[derive(Clone, Debug, Default)]
pub struct Origin {
    pub path: Option<PathBuf>,
    pub format: FileFormat,
    pub delimiter: Option<char>,
    pub encoding: Option<String>,
    pub has_header: bool,
    pub row_lines: RowLines,
    pub bytes: u64,
    /// Header fields that named no column (1-based positions), read as `col_N`.
    pub unnamed_columns: Vec<usize>,
    /// Per numeric column (by name), the written forms of its values that print otherwise.
    pub written: std::collections::BTreeMap<String, Arc<crate::written::WrittenForms>>,
}

/// A columnar table.
#[derive(Clone, Debug, Default)]
pub struct Table {
    pub columns: Vec<Column>,
    pub n_rows: usize,
    pub origin: Origin,
}

impl Table {
    /// Builds an in-memory table, checking that every column has the same length.
    pub fn new(columns: Vec<Column>) -> Result<Table> {
        let n_rows = columns.first().map_or(0, Column::len);
        if let Some(c) = columns.iter().find(|c| c.len() != n_rows) {
            return Err(TableError::Invalid(format!(
                "column {:?} has {} rows, expected {n_rows}",
                c.name,
                c.len()
            )));
        }
        Ok(Table {
            columns,
            n_rows,
            origin: Origin::default(),
        })
    }

    /// Index of a column by name.
    pub fn index_of(&self, name: &str) -> Result<usize> {
        self.columns
            .iter()
            .position(|c| c.name == name)
            .ok_or_else(|| TableError::NoSuchColumn {
                name: name.to_owned(),
                available: self.column_names().join(", "),
            })
    }

    /// A column by name.
    pub fn column(&self, name: &str) -> Result<&Column> {
        Ok(&self.columns[self.index_of(name)?])
    }

    /// Row `r` of column `c` as written in the file (`39.0`, `2020/5/7`), where printing the
    /// stored number would give another text; else as displayed. None when missing.
    pub fn as_written(&self, c: usize, r: usize) -> Option<String> {
        let col = &self.columns[c];
        if let (ColumnData::Numeric(v), Some(forms)) =
            (&col.data, self.origin.written.get(&col.name))
        {
            if let Some(w) = forms.get(&crate::written::key(v[r])) {
                return Some(w.clone());
            }
        }
        col.display(r)
    }

    /// The `n` most frequent values of column `c` with their counts (as
    /// [`Column::top_values`]), each as written in the file.
    pub fn top_values_as_written(&self, c: usize, n: usize) -> Vec<(String, u64)> {
        let col = &self.columns[c];
        let top = col.top_values(n);
        let Some(forms) = self.origin.written.get(&col.name) else {
            return top;
        };
        // The printed text of each value written otherwise, back to how it was written.
        let back: std::collections::HashMap<String, &String> = forms
            .iter()
            .filter_map(|(&bits, w)| {
                Some((
                    crate::column::format_number(f64::from_bits(bits), col.value_type)?,
                    w,
                ))
            })
            .collect();
        top.into_iter()
            .map(|(v, k)| match back.get(&v) {
                Some(w) => ((*w).clone(), k),
                None => (v, k),
            })
            .collect()
    }

    /// The column names in order.
    pub fn column_names(&self) -> Vec<String> {
        self.columns.iter().map(|c| c.name.clone()).collect()
    }

    /// Encodes, in parallel, every column still held as text: for callers about to use every
    /// column one after another, who would otherwise encode them one at a time.
    pub fn encode_all(&self) {
        self.columns.par_iter().for_each(|c| {
            if let ColumnData::Categorical(cat) = &c.data {
                cat.codes();
            }
        });
    }

    /// Makes every numeric column's values shared (moved, not copied), so that clones of the
    /// table, as a frame hands out on every read, copy no numbers.
    pub fn share_numbers(&mut self) {
        for c in &mut self.columns {
            if let ColumnData::Numeric(v) = &mut c.data {
                v.share();
            }
        }
    }

    /// A new table with the given rows, in the given order (rows may repeat).
    pub fn take(&self, rows: &[usize]) -> Table {
        let columns = self
            .columns
            .par_iter()
            .map(|c| Column {
                name: c.name.clone(),
                value_type: c.value_type,
                evidence: c.evidence.clone(),
                data: match &c.data {
                    ColumnData::Categorical(cat) => ColumnData::Categorical(CatData::new(
                        rows.iter().map(|&r| cat.codes()[r]).collect(),
                        Arc::clone(cat.dict()),
                    )),
                    ColumnData::Numeric(v) => {
                        ColumnData::Numeric(rows.iter().map(|&r| v[r]).collect())
                    }
                },
            })
            .collect();
        Table {
            columns,
            n_rows: rows.len(),
            origin: Origin {
                row_lines: RowLines::default(),
                ..self.origin.clone()
            },
        }
    }

    /// Share of rows whose combination of values over all columns occurs exactly once.
    pub fn unique_row_share(&self) -> f64 {
        let all: Vec<usize> = (0..self.columns.len()).collect();
        let classes = crate::group::EquivalenceClasses::of(self, &all);
        if self.n_rows == 0 {
            return 0.0;
        }
        classes.rows_in_classes_of_size(1) as f64 / self.n_rows as f64
    }
}

/// Re-encodes tables that will be compared (source, twin, control) so that every categorical
/// column uses one dictionary shared by all of them: a code means the same value everywhere.
/// Columns are matched by name and put in the first table's order; a column that is numeric in
/// one table and categorical in another becomes categorical (its numbers as text) in all.
pub fn encode_shared(tables: &[&Table]) -> Result<Vec<Table>> {
    let Some(first) = tables.first() else {
        return Ok(Vec::new());
    };
    let names = first.column_names();
    for t in &tables[1..] {
        for n in &names {
            t.index_of(n)?;
        }
        if t.columns.len() != names.len() {
            let extra: Vec<String> = t
                .column_names()
                .into_iter()
                .filter(|n| !names.contains(n))
                .collect();
            return Err(TableError::Invalid(format!(
                "tables to compare have different columns: {} not in the first table",
                extra.join(", ")
            )));
        }
    }
    let shared: Vec<Vec<Column>> = names
        .par_iter()
        .map(|name| {
            let cols: Vec<&Column> = tables
                .iter()
                .map(|t| &t.columns[t.index_of(name).expect("checked above")])
                .collect();
            share_column(&cols)
        })
        .collect();
    let mut out: Vec<Table> = tables
        .iter()
        .map(|t| Table {
            columns: Vec::with_capacity(names.len()),
            n_rows: t.n_rows,
            origin: t.origin.clone(),
        })
        .collect();
    for per_table in shared {
        for (t, col) in out.iter_mut().zip(per_table) {
            t.columns.push(col);
        }
    }
    Ok(out)
}

fn share_column(cols: &[&Column]) -> Vec<Column> {
    if cols
        .iter()
        .all(|c| matches!(c.data, ColumnData::Numeric(_)))
    {
        return cols.iter().map(|&c| c.clone()).collect();
    }
    let mut dict = Dictionary::new();
    let encoded: Vec<Vec<u32>> = cols
        .iter()
        .map(|c| match &c.data {
            ColumnData::Categorical(cat) => {
                let remap = dict.absorb(cat.dict());
                cat.codes()
                    .iter()
                    .map(|&x| {
                        if x == MISSING {
                            MISSING
                        } else {
                            remap[x as usize]
                        }
                    })
                    .collect()
            }
            ColumnData::Numeric(_) => (0..c.len())
                .map(|i| c.display(i).map_or(MISSING, |s| dict.intern(&s)))
                .collect(),
        })
        .collect();
    let dict = Arc::new(dict);
    let value_type = match cols[0].value_type {
        t if t.is_numeric() => ValueType::Categorical,
        t => t,
    };
    cols.iter()
        .zip(encoded)
        .map(|(c, codes)| Column {
            name: c.name.clone(),
            value_type,
            evidence: c.evidence.clone(),
            data: ColumnData::Categorical(CatData::new(codes, Arc::clone(&dict))),
        })
        .collect()
}
