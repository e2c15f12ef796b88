//! ARX's hierarchy wizard from the command line: `hierarchy build` makes a generalization
//! hierarchy for one column of a table with one of datavisa's builders and writes it in ARX's
//! format (one row per value, one column per level, the root last, `;`-delimited);
//! `hierarchy show` prints a hierarchy's levels, each node with its values and, given the
//! data, its rows.

use crate::error::{Error, Result};
use crate::read::{load, ReadRequest};
use crate::workspace::Workspace;
use datavisa_table::write_atomic;
use datavisa_twin::builders;
use datavisa_twin::hierarchy::Hierarchy;
use datavisa_twin::recipe::{distinct_counts, distinct_values};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// A hierarchy to build from a column's values.
#[derive(Clone, Debug)]
pub struct HierarchyBuildRequest {
    /// The table whose column it is for.
    pub data: PathBuf,
    /// The column.
    pub column: String,
    /// `postcode`, `date`, `interval`, `mask`, `address`, `resident-id`, `age` or `frequency`.
    pub kind: String,
    /// Interval widths, each dividing the next (`interval`).
    pub widths: Option<Vec<f64>>,
    /// Date levels: day, month, quarter, year, 5years, decade (`date`); address levels:
    /// district, city, province (`address`).
    pub levels: Option<Vec<String>>,
    /// Leading characters kept per level (`mask`; `postcode` keeps 4, 3, 2, 1; `resident-id`
    /// keeps 6, 4, 2 digits of the division code).
    pub keep: Option<Vec<i64>>,
    /// Share of the rows a value needs to stay itself at each level (`frequency`).
    pub min_share: Option<Vec<f64>>,
    /// Label of the values a frequency level groups together (`frequency`).
    pub other: Option<String>,
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

/// The options each kind takes, as flags.
const KINDS: &[(&str, &[&str])] = &[
    ("postcode", &["keep"]),
    ("mask", &["keep"]),
    ("interval", &["widths"]),
    ("date", &["levels"]),
    ("address", &["levels"]),
    ("resident-id", &["keep"]),
    ("age", &["widths"]),
    ("frequency", &["min-share", "other"]),
];

/// Refuses a flag the kind does not take (it would be silently ignored).
fn only_options(req: &HierarchyBuildRequest) -> Result<()> {
    let names: Vec<&str> = KINDS.iter().map(|k| k.0).collect();
    let takes = KINDS
        .iter()
        .find(|k| k.0 == req.kind)
        .map(|k| k.1)
        .ok_or_else(|| {
            Error::bad_input(format!("--kind {:?}: use {}", req.kind, names.join(", ")))
        })?;
    let given = [
        ("widths", req.widths.is_some()),
        ("levels", req.levels.is_some()),
        ("keep", req.keep.is_some()),
        ("min-share", req.min_share.is_some()),
        ("other", req.other.is_some()),
    ];
    match given.iter().find(|(f, on)| *on && !takes.contains(f)) {
        Some((f, _)) => Err(Error::bad_input(format!(
            "--{f} does not apply to --kind {}; it takes {}",
            req.kind,
            takes
                .iter()
                .map(|t| format!("--{t}"))
                .collect::<Vec<_>>()
                .join(", ")
        ))),
        None => Ok(()),
    }
}

/// The builder definition a request names.
fn definition(req: &HierarchyBuildRequest) -> Result<toml::Table> {
    only_options(req)?;
    let mut def = toml::Table::new();
    let list = |v: Vec<toml::Value>| toml::Value::Array(v);
    let mut put = |k: &str, v: toml::Value| {
        def.insert(k.into(), v);
    };
    let ints = |v: &[i64]| list(v.iter().map(|&k| k.into()).collect());
    let floats = |v: &[f64]| list(v.iter().map(|&k| k.into()).collect());
    let texts = |v: &[String]| list(v.iter().map(|k| k.as_str().into()).collect());
    match req.kind.as_str() {
        "postcode" => {
            put("type", "mask".into());
            put("keep", ints(req.keep.as_deref().unwrap_or(&[4, 3, 2, 1])));
        }
        "mask" => {
            put("type", "mask".into());
            if let Some(keep) = &req.keep {
                put("keep", ints(keep));
            }
        }
        "interval" => {
            let widths = req.widths.as_deref().ok_or_else(|| {
                Error::bad_input(
                    "--kind interval needs --widths (e.g. 5,10,20: each divides the next)",
                )
            })?;
            put("type", "interval".into());
            put("widths", floats(widths));
        }
        "date" => {
            let default = ["month", "year", "5years", "decade"].map(String::from);
            put("type", "date".into());
            put("levels", texts(req.levels.as_deref().unwrap_or(&default)));
        }
        "address" => {
            let default = ["district", "city", "province"].map(String::from);
            put("type", "address".into());
            put("levels", texts(req.levels.as_deref().unwrap_or(&default)));
        }
        "resident-id" => {
            put("type", "resident_id".into());
            put(
                "keep",
                ints(req.keep.as_deref().unwrap_or(&builders::RESIDENT_ID_KEEP)),
            );
        }
        "age" => {
            put("type", "age".into());
            let default = builders::AGE_WIDTHS.map(|w| w as f64);
            put("widths", floats(req.widths.as_deref().unwrap_or(&default)));
        }
        _ => {
            put("type", "frequency".into());
            let shares = req
                .min_share
                .clone()
                .unwrap_or_else(|| builders::FREQUENCY_SHARES.to_vec());
            put("min_share", floats(&shares));
            if let Some(o) = &req.other {
                put("other", o.as_str().into());
            }
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
        let values = distinct_values(&t, c);
        let counts = distinct_counts(&t, c, &values);
        let h = Hierarchy::build_counted(
            &req.column,
            &def,
            &values,
            Some(&counts),
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
