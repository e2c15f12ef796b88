//! ARX's hierarchy wizard from the command line: `hierarchy build` makes a generalization
//! hierarchy for one column of a table with one of datavisa's builders and writes it in ARX's
//! format (one row per value, one column per level, the root last, `;`-delimited);
//! `hierarchy show` prints a hierarchy's levels, each node with its values and, given the
//! data, its rows.

use crate::error::{Error, Result};
use crate::read::{load, ReadRequest};
use crate::workspace::Workspace;
use datavisa_table::write_atomic;
use datavisa_twin::hierarchy::Hierarchy;
use datavisa_twin::recipe::distinct_values;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// A hierarchy to build from a column's values.
#[derive(Clone, Debug)]
pub struct HierarchyBuildRequest {
    /// The table whose column it is for.
    pub data: PathBuf,
    /// The column.
    pub column: String,
    /// `postcode`, `date`, `interval` or `mask`.
    pub kind: String,
    /// Interval widths, each dividing the next (`interval`).
    pub widths: Option<Vec<f64>>,
    /// Date levels: day, month, quarter, year, decade (`date`).
    pub levels: Option<Vec<String>>,
    /// Leading characters kept per level (`mask`; `postcode` keeps 4, 3, 2, 1).
    pub keep: Option<Vec<i64>>,
    /// Where the ARX file goes.
    pub output: PathBuf,
    /// How to read the table.
    pub read: ReadRequest,
}

/// One node of a level.
#[derive(Clone, Debug, Serialize)]
pub struct Node {
    /// Its label.
    pub label: String,
    /// Values (hierarchy rows) under it.
    pub values: u32,
    /// Rows of the data under it, when data was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rows: Option<u64>,
}

/// A hierarchy level by level.
#[derive(Clone, Debug, Serialize)]
pub struct HierarchyShown {
    /// The column it generalizes.
    pub column: String,
    /// Level 0 (the values) to the root.
    pub levels: Vec<Vec<Node>>,
    /// Data values the hierarchy does not hold (a generalization would refuse them).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub missing_values: Vec<String>,
}

/// The builder definition a request names.
fn definition(req: &HierarchyBuildRequest) -> Result<toml::Table> {
    let mut def = toml::Table::new();
    let list = |v: Vec<toml::Value>| toml::Value::Array(v);
    match req.kind.as_str() {
        "postcode" => {
            def.insert("type".into(), "mask".into());
            let keep = req.keep.clone().unwrap_or_else(|| vec![4, 3, 2, 1]);
            def.insert(
                "keep".into(),
                list(keep.into_iter().map(Into::into).collect()),
            );
        }
        "mask" => {
            def.insert("type".into(), "mask".into());
            if let Some(keep) = &req.keep {
                def.insert(
                    "keep".into(),
                    list(keep.iter().map(|&k| k.into()).collect()),
                );
            }
        }
        "interval" => {
            let widths = req.widths.clone().ok_or_else(|| {
                Error::bad_input(
                    "--kind interval needs --widths (e.g. 5,10,20: each divides the next)",
                )
            })?;
            def.insert("type".into(), "interval".into());
            def.insert(
                "widths".into(),
                list(widths.into_iter().map(Into::into).collect()),
            );
        }
        "date" => {
            let levels = req
                .levels
                .clone()
                .unwrap_or_else(|| vec!["month".into(), "year".into(), "decade".into()]);
            def.insert("type".into(), "date".into());
            def.insert(
                "levels".into(),
                list(levels.into_iter().map(Into::into).collect()),
            );
        }
        other => {
            return Err(Error::bad_input(format!(
                "--kind {other:?}: use postcode, date, interval or mask"
            )))
        }
    }
    Ok(def)
}

/// The rows of an ARX hierarchy file: each value, then its label at every level.
fn arx_rows(h: &Hierarchy) -> Vec<Vec<String>> {
    (0..h.domain())
        .map(|leaf| {
            (0..=h.height())
                .map(|l| h.labels[l][h.map[l][leaf] as usize].clone())
                .collect()
        })
        .collect()
}

impl Workspace {
    /// Builds a hierarchy for a column and writes it in ARX's format.
    pub fn build_hierarchy(&self, req: &HierarchyBuildRequest) -> Result<HierarchyShown> {
        self.guard(&req.output, &[req.data.as_path()])?;
        let def = definition(req)?;
        let (t, _) = load(self, &req.data, &req.read)?;
        let c = t.index_of(&req.column)?;
        let h = Hierarchy::build(
            &req.column,
            &def,
            &distinct_values(&t, c),
            Path::new("(flags)"),
        )?;
        write_atomic(&req.output, |w| {
            let mut csv = csv::WriterBuilder::new().delimiter(b';').from_writer(w);
            for row in arx_rows(&h) {
                csv.write_record(&row).map_err(|e| {
                    datavisa_table::TableError::write(&req.output, std::io::Error::other(e))
                })?;
            }
            csv.flush()
                .map_err(|e| datavisa_table::TableError::write(&req.output, e))
        })?;
        Ok(shown(&h, Some(&t)))
    }

    /// A hierarchy file level by level, with the data's rows per node when data is given.
    pub fn show_hierarchy(
        &self,
        file: &Path,
        column: &str,
        data: Option<(&Path, &ReadRequest)>,
    ) -> Result<HierarchyShown> {
        let h = Hierarchy::load_arx(file, column)?;
        let t = data
            .map(|(d, r)| load(self, d, r))
            .transpose()?
            .map(|x| x.0);
        if let Some(t) = &t {
            t.index_of(column)?;
        }
        Ok(shown(&h, t.as_ref()))
    }
}

/// The levels of `h`, each node with its values and (given the table) its rows.
fn shown(h: &Hierarchy, t: Option<&datavisa_table::Table>) -> HierarchyShown {
    let mut leaf_rows: Option<Vec<u64>> = None;
    let mut missing_values = Vec::new();
    if let Some((t, c)) = t.and_then(|t| Some((t, t.index_of(&h.column).ok()?))) {
        let mut counts = vec![0u64; h.domain()];
        for r in 0..t.n_rows {
            // As the generalizer matches them: by the text as written.
            let Some(v) = t.as_written(c, r) else {
                continue;
            };
            match h.leaf_of(&v) {
                Some(leaf) => counts[leaf as usize] += 1,
                None if missing_values.len() < 20 && !missing_values.contains(&v) => {
                    missing_values.push(v)
                }
                None => {}
            }
        }
        leaf_rows = Some(counts);
    }
    let levels = (0..=h.height())
        .map(|l| {
            let mut rows = vec![0u64; h.labels[l].len()];
            if let Some(counts) = &leaf_rows {
                for (leaf, n) in counts.iter().enumerate() {
                    rows[h.map[l][leaf] as usize] += n;
                }
            }
            h.labels[l]
                .iter()
                .enumerate()
                .map(|(node, label)| Node {
                    label: label.clone(),
                    values: h.leaves[l][node],
                    rows: leaf_rows.as_ref().map(|_| rows[node]),
                })
                .collect()
        })
        .collect();
    HierarchyShown {
        column: h.column.clone(),
        levels,
        missing_values,
    }
}
