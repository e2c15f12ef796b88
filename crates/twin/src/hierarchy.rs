//! Generalization hierarchies: ARX's CSV format (one row per leaf value, one column per level,
//! the last the root), and builders for numeric intervals, dates, right-masking of codes and
//! categorical groupings written in TOML. Every hierarchy is validated: equal row widths, unique
//! leaves, and a value that never maps to two parents.

use crate::builders;
use crate::error::{Result, TwinError};
use datavisa_table::date::{civil_from_days, format_date};
use datavisa_table::Table;
use hashbrown::HashMap;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// A validated hierarchy. Level 0 holds the leaves (one per row); the last level is the root.
#[derive(Clone, Debug)]
pub struct Hierarchy {
    pub column: String,
    /// `labels[l][node]`: the text of each node at level l.
    pub labels: Vec<Vec<String>>,
    /// `map[l][leaf]`: the node at level l a leaf generalizes to.
    pub map: Vec<Vec<u32>>,
    /// `leaves[l][node]`: hierarchy rows under a node (ARX's Loss uses these over the row count).
    pub leaves: Vec<Vec<u32>>,
    /// Where it came from (a file or a builder).
    pub source: HierarchySource,
    leaf_index: HashMap<String, u32>,
}

/// The origin of a hierarchy, recorded in manifests.
#[derive(Clone, Debug, Serialize)]
pub struct HierarchySource {
    pub kind: String,
    pub detail: String,
    /// The builder's definition (to rebuild it on new data).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub def: Option<toml::Table>,
}

impl Hierarchy {
    /// Height (number of generalization steps above the leaves).
    pub fn height(&self) -> usize {
        self.map.len() - 1
    }

    /// Number of hierarchy rows (the domain size of ARX's Loss).
    pub fn domain(&self) -> usize {
        self.labels[0].len()
    }

    /// The leaf index of a value, if the hierarchy has it.
    pub fn leaf_of(&self, value: &str) -> Option<u32> {
        self.leaf_index.get(value).copied()
    }

    /// Builds and validates a hierarchy from rows (leaf first, root last). `line_of(i)` gives
    /// the line of row i for error messages.
    pub fn from_rows(
        column: &str,
        rows: &[Vec<String>],
        path: &Path,
        line_of: &dyn Fn(usize) -> usize,
        source: HierarchySource,
    ) -> Result<Hierarchy> {
        let err = |line: usize, message: String| TwinError::Hierarchy {
            path: path.to_path_buf(),
            line,
            column: column.to_owned(),
            message,
        };
        let width = rows
            .first()
            .map(Vec::len)
            .ok_or_else(|| err(1, "the hierarchy has no rows".into()))?;
        let mut labels: Vec<Vec<String>> = vec![Vec::new(); width];
        let mut ids: Vec<HashMap<String, u32>> = vec![HashMap::new(); width];
        let mut map: Vec<Vec<u32>> = vec![Vec::with_capacity(rows.len()); width];
        let mut parent: Vec<HashMap<u32, (u32, usize)>> = vec![HashMap::new(); width];
        for (i, row) in rows.iter().enumerate() {
            if row.len() != width {
                return Err(err(
                    line_of(i),
                    format!("{} levels where the first row has {width}", row.len()),
                ));
            }
            if ids[0].contains_key(&row[0]) {
                return Err(err(line_of(i), format!("value {:?} appears twice", row[0])));
            }
            for (l, label) in row.iter().enumerate() {
                let next = labels[l].len() as u32;
                let id = *ids[l].entry(label.clone()).or_insert_with(|| {
                    labels[l].push(label.clone());
                    next
                });
                map[l].push(id);
                if l > 0 {
                    let child = map[l - 1][i];
                    match parent[l - 1].get(&child) {
                        Some(&(p, first)) if p != id => {
                            return Err(err(
                                line_of(i),
                                format!(
                                    "{:?} at level {} maps to {:?} here but to {:?} on line {}",
                                    row[l - 1],
                                    l - 1,
                                    label,
                                    labels[l][p as usize],
                                    first
                                ),
                            ))
                        }
                        Some(_) => {}
                        None => {
                            parent[l - 1].insert(child, (id, line_of(i)));
                        }
                    }
                }
            }
        }
        let leaves = map
            .iter()
            .zip(&labels)
            .map(|(m, l)| {
                let mut c = vec![0u32; l.len()];
                for &x in m {
                    c[x as usize] += 1;
                }
                c
            })
            .collect();
        let leaf_index = ids.swap_remove(0);
        Ok(Hierarchy {
            column: column.to_owned(),
            labels,
            map,
            leaves,
            source,
            leaf_index,
        })
    }

    /// Two levels: each value, then `*` (keep the value or suppress it).
    pub fn flat(
        column: &str,
        values: impl IntoIterator<Item = String>,
        kind: &str,
    ) -> Result<Hierarchy> {
        let rows: Vec<Vec<String>> = values.into_iter().map(|v| vec![v, "*".into()]).collect();
        let source = HierarchySource {
            kind: kind.into(),
            detail: "value or *".into(),
            def: None,
        };
        Self::from_rows(column, &rows, Path::new(column), &|_| 0, source)
    }

    /// Reads an ARX hierarchy CSV as ARX writes it: no header, `;` between levels, fields in
    /// double quotes where they hold `;` or `"`, any label text (`[1, 987[`). Another delimiter
    /// is used only when no `;` stands outside quotes anywhere in the file.
    pub fn load_arx(path: &Path, column: &str) -> Result<Hierarchy> {
        let bytes = std::fs::read(path).map_err(|e| datavisa_table::TableError::io(path, e))?;
        let bad = |line: usize, message: String| TwinError::Hierarchy {
            path: path.to_path_buf(),
            line,
            column: column.to_owned(),
            message,
        };
        let body = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(&bytes);
        let text = match std::str::from_utf8(body) {
            Ok(s) => std::borrow::Cow::Borrowed(s),
            // Hierarchies made beside a GBK table are often GBK too.
            Err(e) => encoding_rs::GB18030
                .decode_without_bom_handling_and_without_replacement(body)
                .ok_or_else(|| {
                    let line = body[..e.valid_up_to()]
                        .iter()
                        .filter(|&&b| b == b'\n')
                        .count();
                    bad(line + 1, "neither UTF-8 nor GB18030/GBK text".into())
                })?,
        };
        let delim = arx_delimiter(&text);
        let mut rdr = csv::ReaderBuilder::new()
            .delimiter(delim)
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes());
        let mut rows = Vec::new();
        let mut lines = Vec::new();
        for rec in rdr.records() {
            let rec = rec.map_err(|e| {
                let line = match e.kind() {
                    csv::ErrorKind::Utf8 { pos: Some(p), .. } => p.line(),
                    _ => e.position().map_or(0, |p| p.line()),
                };
                bad(line.max(1) as usize, e.to_string())
            })?;
            if rec.iter().all(|f| f.trim().is_empty()) {
                continue;
            }
            lines.push(rec.position().map_or(0, |p| p.line() as usize));
            rows.push(rec.iter().map(|f| f.trim().to_owned()).collect());
        }
        let source = HierarchySource {
            kind: "file".into(),
            detail: std::fs::canonicalize(path)
                .unwrap_or_else(|_| path.to_path_buf())
                .display()
                .to_string(),
            def: None,
        };
        Self::from_rows(column, &rows, path, &|i| lines[i], source)
    }

    /// Reads a hierarchy handed over as a table (a data frame) laid out as an ARX file is: each
    /// value in the first column, then one column per level up to the root. `name` and
    /// `sha256` say where it came from in errors and in the manifest; a row is its line.
    pub fn from_table(column: &str, t: &Table, name: &str, sha256: &str) -> Result<Hierarchy> {
        let path = Path::new(name);
        let mut rows = Vec::with_capacity(t.n_rows);
        for r in 0..t.n_rows {
            let row = (0..t.columns.len())
                .map(|c| {
                    t.as_written(c, r)
                        .map(|v| v.trim().to_owned())
                        .filter(|v| !v.is_empty())
                        .ok_or_else(|| TwinError::Hierarchy {
                            path: path.to_path_buf(),
                            line: r + 1,
                            column: column.to_owned(),
                            message: format!(
                                "row {} has no value in its column {:?}",
                                r + 1,
                                t.columns[c].name
                            ),
                        })
                })
                .collect::<Result<Vec<String>>>()?;
            rows.push(row);
        }
        let source = HierarchySource {
            kind: "table".into(),
            detail: format!("{name} (sha256 {sha256})"),
            def: None,
        };
        Self::from_rows(column, &rows, path, &|i| i + 1, source)
    }

    /// Builds a hierarchy from a `[hierarchies.<column>]` table of the spec, for the given
    /// distinct values of the column (as displayed) and their numeric values (for numbers/dates).
    pub fn build(
        column: &str,
        def: &toml::Table,
        values: &[(String, Option<f64>)],
        spec_path: &Path,
    ) -> Result<Hierarchy> {
        Self::build_counted(column, def, values, None, spec_path)
    }

    /// [`Hierarchy::build`] with each value's row count (`counts[i]` for `values[i]`), which a
    /// `frequency` hierarchy needs unless its definition lists the values it keeps.
    pub fn build_counted(
        column: &str,
        def: &toml::Table,
        values: &[(String, Option<f64>)],
        counts: Option<&[u64]>,
        spec_path: &Path,
    ) -> Result<Hierarchy> {
        let line = spec_line(spec_path, column);
        let bad = |m: String| TwinError::Hierarchy {
            path: spec_path.to_path_buf(),
            line,
            column: column.to_owned(),
            message: m,
        };
        let kind = def.get("type").and_then(|v| v.as_str()).ok_or_else(|| {
            bad("needs type = \"file\" | \"interval\" | \"date\" | \"mask\" | \"groups\" | \"address\" | \"resident_id\" | \"age\" | \"frequency\"".into())
        })?;
        if kind == "file" {
            let file = def
                .get("file")
                .and_then(|v| v.as_str())
                .ok_or_else(|| bad("type = \"file\" needs file = \"path.csv\"".into()))?;
            let base = spec_path.parent().unwrap_or(Path::new("."));
            return Self::load_arx(&base.join(file), column);
        }
        let mut def = def.clone();
        let rows: Vec<Vec<String>> = match kind {
            "interval" => interval_rows(&def, values).map_err(bad)?,
            "age" => interval_rows(&builders::age_interval(&def), values).map_err(bad)?,
            "address" => builders::address_rows(&def, values).map_err(bad)?,
            "resident_id" => builders::resident_id_rows(&def, values).map_err(bad)?,
            "frequency" => {
                let (rows, full) = builders::frequency_rows(&def, values, counts).map_err(bad)?;
                def = full;
                rows
            }
            "date" => date_rows(&def, values).map_err(bad)?,
            "mask" => mask_rows(&def, values).map_err(bad)?,
            "groups" => group_rows(&def, values).map_err(bad)?,
            other => return Err(bad(format!("unknown hierarchy type {other:?}"))),
        };
        let source = HierarchySource {
            kind: kind.to_owned(),
            detail: toml::to_string(&def)
                .unwrap_or_default()
                .trim()
                .replace('\n', "; "),
            def: Some(def),
        };
        Self::from_rows(column, &rows, spec_path, &|_| 0, source)
    }
}

/// The delimiter of an ARX hierarchy file: `;`, as ARX writes it, unless no `;` stands outside
/// quotes anywhere; then the one of `,` tab `|` found most often outside quotes on the first line.
fn arx_delimiter(text: &str) -> u8 {
    let mut quoted = false;
    let mut first_line = [0usize; 3];
    let mut on_first = true;
    for b in text.bytes() {
        match b {
            b'"' => quoted = !quoted,
            b';' if !quoted => return b';',
            b'\n' if !quoted => on_first = false,
            b',' | b'\t' | b'|' if !quoted && on_first => {
                first_line[match b {
                    b',' => 0,
                    b'\t' => 1,
                    _ => 2,
                }] += 1
            }
            _ => {}
        }
    }
    let candidates = [b',', b'\t', b'|'];
    let (i, n) = first_line
        .iter()
        .enumerate()
        .max_by_key(|&(i, n)| (*n, std::cmp::Reverse(i)))
        .expect("three candidates");
    if *n == 0 {
        b';'
    } else {
        candidates[i]
    }
}

fn numbers(
    values: &[(String, Option<f64>)],
    what: &str,
) -> std::result::Result<Vec<(String, f64)>, String> {
    values
        .iter()
        .map(|(s, x)| {
            x.map(|x| (s.clone(), x))
                .ok_or_else(|| format!("{what} hierarchy needs numbers, got {s:?}"))
        })
        .collect()
}

fn interval_rows(
    def: &toml::Table,
    values: &[(String, Option<f64>)],
) -> std::result::Result<Vec<Vec<String>>, String> {
    let widths: Vec<f64> = def
        .get("widths")
        .and_then(|v| v.as_array())
        .ok_or("interval hierarchy needs widths = [5, 10, ...]")?
        .iter()
        .map(|w| {
            w.as_float()
                .or_else(|| w.as_integer().map(|i| i as f64))
                // Too small a width makes intervals no float can tell apart.
                .filter(|w| w.is_finite() && *w >= 1e-9)
        })
        .collect::<Option<_>>()
        .ok_or("widths must be finite positive numbers (at least 1e-9)")?;
    if widths.is_empty() {
        return Err("widths = [] gives no level: name at least one width".into());
    }
    for w in widths.windows(2) {
        let ratio = w[1] / w[0];
        if (ratio - ratio.round()).abs() > 1e-9 || ratio < 1.0 {
            return Err(format!(
                "each width must be a multiple of the one before ({} then {})",
                w[0], w[1]
            ));
        }
    }
    let start = def
        .get("start")
        .and_then(|v| v.as_float().or_else(|| v.as_integer().map(|i| i as f64)))
        .unwrap_or(0.0);
    let fmt = |x: f64| {
        if x.fract() == 0.0 {
            format!("{}", x as i64)
        } else {
            format!("{x}")
        }
    };
    Ok(numbers(values, "an interval")?
        .into_iter()
        .map(|(s, x)| {
            let mut row = vec![s];
            for w in &widths {
                let lo = start + ((x - start) / w).floor() * w;
                row.push(format!("[{}, {})", fmt(lo), fmt(lo + w)));
            }
            row.push("*".into());
            row
        })
        .collect())
}

fn date_rows(
    def: &toml::Table,
    values: &[(String, Option<f64>)],
) -> std::result::Result<Vec<Vec<String>>, String> {
    let levels: Vec<String> = def
        .get("levels")
        .and_then(|v| v.as_array())
        .ok_or("date hierarchy needs levels = [\"month\", \"year\", ...]")?
        .iter()
        .map(|v| v.as_str().map(str::to_owned))
        .collect::<Option<_>>()
        .ok_or("levels must be strings")?;
    let order = [
        "day", "week", "month", "quarter", "year", "5years", "decade", "century",
    ];
    if levels.is_empty() {
        return Err("levels = [] gives no level: name at least one (month, year, …)".into());
    }
    let mut last: Option<usize> = None;
    for l in &levels {
        let i = order.iter().position(|o| o == l).ok_or(format!(
            "unknown date level {l:?}; use {}",
            order.join(", ")
        ))?;
        if last.is_some_and(|p| i <= p) {
            return Err(format!(
                "date levels must go from fine to coarse, each once ({l:?} is out of place)"
            ));
        }
        last = Some(i);
    }
    Ok(numbers(values, "a date")?
        .into_iter()
        .map(|(s, x)| {
            // Dates are days since 1970-01-01; datetimes are seconds.
            let days = if x.abs() > 1e6 {
                (x / 86_400.0).floor() as i64
            } else {
                x.floor() as i64
            };
            let (y, m, _) = civil_from_days(days);
            let mut row = vec![s];
            for l in &levels {
                row.push(match l.as_str() {
                    "day" => format_date(days),
                    "week" => format_date(days - (days + 3).rem_euclid(7)),
                    "month" => format!("{y:04}-{m:02}"),
                    "quarter" => format!("{y:04}-Q{}", (m - 1) / 3 + 1),
                    "year" => format!("{y:04}"),
                    "5years" => {
                        let from = y.div_euclid(5) * 5;
                        format!("{from:04}-{:04}", from + 4)
                    }
                    "decade" => format!("{}s", y.div_euclid(10) * 10),
                    _ => format!("{}xx", y.div_euclid(100)),
                });
            }
            row.push("*".into());
            row
        })
        .collect())
}

/// `keep = [4, 3, 2, 1]`: the characters each level keeps, fewer at each level and fewer than
/// the longest value.
fn mask_keep(keep: &toml::Value, longest: usize) -> std::result::Result<Vec<usize>, String> {
    let bad = || {
        format!(
            "mask keep = {keep} must list how many leading characters each level keeps, decreasing, each from 0 to {}",
            longest.saturating_sub(1)
        )
    };
    let list = keep.as_array().filter(|a| !a.is_empty()).ok_or_else(bad)?;
    let mut out = Vec::with_capacity(list.len());
    for v in list {
        match v.as_integer() {
            Some(k)
                if k >= 0
                    && (k as usize) < longest
                    && out.last().is_none_or(|&p| (k as usize) < p) =>
            {
                out.push(k as usize)
            }
            _ => return Err(bad()),
        }
    }
    Ok(out)
}

/// Rows masking each value to the leading characters each level keeps, then `*`.
fn keep_rows(keep: &[usize], values: &[(String, Option<f64>)]) -> Vec<Vec<String>> {
    values
        .iter()
        .map(|(s, _)| {
            let chars: Vec<char> = s.chars().collect();
            let mut row = vec![s.clone()];
            for &k in keep {
                let k = k.min(chars.len());
                let masked: String = chars[..k]
                    .iter()
                    .chain(std::iter::repeat_n(&'*', chars.len() - k))
                    .collect();
                row.push(masked);
            }
            row.push("*".into());
            row
        })
        .collect()
}

fn mask_rows(
    def: &toml::Table,
    values: &[(String, Option<f64>)],
) -> std::result::Result<Vec<Vec<String>>, String> {
    let longest = values
        .iter()
        .map(|(s, _)| s.chars().count())
        .max()
        .unwrap_or(0);
    if let Some(keep) = def.get("keep") {
        return Ok(keep_rows(&mask_keep(keep, longest)?, values));
    }
    let levels = match def.get("levels") {
        None => longest,
        Some(v) => match v.as_integer() {
            Some(l) if l >= 1 && l as usize <= longest.max(1) => l as usize,
            _ => {
                return Err(format!(
                    "mask levels = {v} must be a whole number from 1 to {} (the longest value's length)",
                    longest.max(1)
                ))
            }
        },
    }
    .min(longest);
    Ok(values
        .iter()
        .map(|(s, _)| {
            let chars: Vec<char> = s.chars().collect();
            let mut row = vec![s.clone()];
            for l in 1..=levels {
                let keep = chars.len().saturating_sub(l);
                let masked: String = chars[..keep]
                    .iter()
                    .chain(std::iter::repeat_n(&'*', chars.len() - keep))
                    .collect();
                row.push(masked);
            }
            row.push("*".into());
            row
        })
        .collect())
}

fn group_rows(
    def: &toml::Table,
    values: &[(String, Option<f64>)],
) -> std::result::Result<Vec<Vec<String>>, String> {
    let levels = def
        .get("levels")
        .and_then(|v| v.as_array())
        .ok_or("groups hierarchy needs levels = [{ group = [values...] }, ...]")?;
    let mut maps: Vec<HashMap<String, String>> = Vec::new();
    for (i, level) in levels.iter().enumerate() {
        let t = level.as_table().ok_or(format!(
            "level {} must be a table of group = [members]",
            i + 1
        ))?;
        let mut m = HashMap::new();
        for (group, members) in t {
            for member in members
                .as_array()
                .ok_or(format!("group {group:?} must list its members"))?
            {
                let member = member.as_str().ok_or("members must be strings")?;
                if let Some(prev) = m.insert(member.to_owned(), group.clone()) {
                    return Err(format!(
                        "{member:?} is in both {prev:?} and {group:?} at level {}",
                        i + 1
                    ));
                }
            }
        }
        maps.push(m);
    }
    values
        .iter()
        .map(|(s, _)| {
            let mut row = vec![s.clone()];
            for (i, m) in maps.iter().enumerate() {
                let prev = row.last().expect("leaf first");
                let g = m
                    .get(prev)
                    .ok_or(format!("{prev:?} is in no group of level {}", i + 1))?;
                row.push(g.clone());
            }
            row.push("*".into());
            Ok(row)
        })
        .collect()
}

/// A hierarchy's file path relative to a spec, resolved.
/// The spec line that defines `column`'s hierarchy (its `[hierarchies.…]` table, else the
/// column's entry), 1 when the spec cannot be read.
fn spec_line(spec_path: &Path, column: &str) -> usize {
    let Ok(text) = std::fs::read_to_string(spec_path) else {
        return 1;
    };
    let find = |needle: &str| text.lines().position(|l| l.contains(needle)).map(|i| i + 1);
    find(&format!("hierarchies.{column}]"))
        .or_else(|| find(&format!("hierarchies.\"{column}\"]")))
        .or_else(|| find(&format!("name = \"{column}\"")))
        .unwrap_or(1)
}

pub fn resolve(spec_path: &Path, file: &str) -> PathBuf {
    spec_path.parent().unwrap_or(Path::new(".")).join(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(v: &[&[&str]]) -> Vec<Vec<String>> {
        v.iter()
            .map(|r| r.iter().map(|s| s.to_string()).collect())
            .collect()
    }

    fn src() -> HierarchySource {
        HierarchySource {
            kind: "test".into(),
            detail: String::new(),
            def: None,
        }
    }

    #[test]
    fn builds_maps_and_leaf_counts() {
        let h = Hierarchy::from_rows(
            "x",
            &rows(&[&["a", "ab", "*"], &["b", "ab", "*"], &["c", "c", "*"]]),
            Path::new("h.csv"),
            &|i| i + 1,
            src(),
        )
        .unwrap();
        assert_eq!(h.height(), 2);
        assert_eq!(h.domain(), 3);
        assert_eq!(h.map[1], vec![0, 0, 1]);
        assert_eq!(h.leaves[1], vec![2, 1]);
        assert_eq!(h.leaves[2], vec![3]);
        assert_eq!(h.leaf_of("c"), Some(2));
    }

    #[test]
    fn a_table_reads_as_the_same_arx_file_and_an_empty_cell_names_its_row() {
        use datavisa_table::{Column, ValueType};
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("age.csv");
        std::fs::write(&file, "34;30-39;*\n37;30-39;*\n41;40-49;*\n").unwrap();
        let from_file = Hierarchy::load_arx(&file, "age").unwrap();
        let table = |top: Vec<&str>| {
            Table::new(vec![
                Column::from_numbers("value", ValueType::Integer, vec![34.0, 37.0, 41.0]),
                Column::from_texts("decade", ["30-39", "30-39", "40-49"]),
                Column::from_texts("top", top),
            ])
            .unwrap()
        };
        let h = Hierarchy::from_table("age", &table(vec!["*", "*", "*"]), "<h>", "ab").unwrap();
        assert_eq!(h.labels, from_file.labels);
        assert_eq!(h.map, from_file.map);
        assert_eq!(h.leaf_of("37"), Some(1));
        assert_eq!(h.source.kind, "table");
        assert_eq!(h.source.detail, "<h> (sha256 ab)");
        let e = Hierarchy::from_table("age", &table(vec!["*", "", "*"]), "<h>", "ab")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("<h>:2: hierarchy for \"age\""), "{e}");
        assert!(
            e.contains("row 2 has no value in its column \"top\""),
            "{e}"
        );
    }

    #[test]
    fn inconsistent_parents_and_ragged_rows_name_the_line() {
        let e = Hierarchy::from_rows(
            "x",
            &rows(&[&["a", "ab", "*"], &["b", "ab", "*"], &["c", "ab", "top2"]]),
            Path::new("h.csv"),
            &|i| i + 1,
            src(),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("h.csv:3") && e.contains("\"ab\""), "{e}");
        let e = Hierarchy::from_rows(
            "x",
            &rows(&[&["a", "*"], &["b"]]),
            Path::new("h.csv"),
            &|i| i + 1,
            src(),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("h.csv:2"), "{e}");
        let e = Hierarchy::from_rows(
            "x",
            &rows(&[&["a", "*"], &["a", "*"]]),
            Path::new("h.csv"),
            &|i| i + 1,
            src(),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("twice"), "{e}");
    }

    #[test]
    fn builders() {
        let vals: Vec<(String, Option<f64>)> = [17.0, 23.0, 39.0]
            .iter()
            .map(|&x| (format!("{x}"), Some(x)))
            .collect();
        let def: toml::Table = toml::from_str("type = \"interval\"\nwidths = [5, 10, 20]").unwrap();
        let h = Hierarchy::build("age", &def, &vals, Path::new("s.toml")).unwrap();
        assert_eq!(h.labels[1][h.map[1][1] as usize], "[20, 25)");
        assert_eq!(h.labels[3][h.map[3][2] as usize], "[20, 40)");
        let bad: toml::Table = toml::from_str("type = \"interval\"\nwidths = [5, 7]").unwrap();
        assert!(Hierarchy::build("age", &bad, &vals, Path::new("s.toml")).is_err());
        // Levels and widths no hierarchy has are refused.
        let vals: Vec<(String, Option<f64>)> = vec![
            ("518057".into(), Some(518057.0)),
            ("100000".into(), Some(100000.0)),
        ];
        for bad_def in [
            "type = \"mask\"\nlevels = -1",
            "type = \"mask\"\nlevels = 0",
            "type = \"mask\"\nlevels = 99999999999",
            "type = \"date\"\nlevels = []",
            "type = \"date\"\nlevels = [\"year\", \"year\"]",
            "type = \"interval\"\nwidths = []",
            "type = \"interval\"\nwidths = [1e-300]",
            "type = \"interval\"\nwidths = [inf]",
        ] {
            let def: toml::Table = toml::from_str(bad_def).unwrap();
            assert!(
                Hierarchy::build("zip", &def, &vals, Path::new("s.toml")).is_err(),
                "{bad_def} was accepted"
            );
        }
        // The error names the spec line of the hierarchy, never line 0.
        let d = tempfile::tempdir().unwrap();
        let spec = d.path().join("spec.toml");
        std::fs::write(&spec, "# spec\n\n[hierarchies.age]\ntype = \"nope\"\n").unwrap();
        let e = Hierarchy::build("age", &bad, &vals, &spec)
            .unwrap_err()
            .to_string();
        assert!(e.contains("spec.toml:3"), "{e}");
        let zips: Vec<(String, Option<f64>)> = ["100871", "100872"]
            .iter()
            .map(|s| (s.to_string(), None))
            .collect();
        let def: toml::Table = toml::from_str("type = \"mask\"\nlevels = 2").unwrap();
        let h = Hierarchy::build("zip", &def, &zips, Path::new("s.toml")).unwrap();
        assert_eq!(h.labels[1], vec!["10087*"]);
        assert_eq!(h.labels[2], vec!["1008**"]);
        let def: toml::Table = toml::from_str(
            "type = \"groups\"\nlevels = [{ north = [\"100871\"], south = [\"100872\"] }]",
        )
        .unwrap();
        let h = Hierarchy::build("zip", &def, &zips, Path::new("s.toml")).unwrap();
        assert_eq!(h.height(), 2);
        let def: toml::Table =
            toml::from_str("type = \"groups\"\nlevels = [{ north = [\"100871\"] }]").unwrap();
        assert!(Hierarchy::build("zip", &def, &zips, Path::new("s.toml"))
            .unwrap_err()
            .to_string()
            .contains("no group"));
        let days = datavisa_table::date::days_from_civil(2020, 5, 17) as f64;
        let def: toml::Table = toml::from_str(
            "type = \"date\"\nlevels = [\"month\", \"quarter\", \"year\", \"decade\"]",
        )
        .unwrap();
        let h = Hierarchy::build(
            "d",
            &def,
            &[("2020-05-17".into(), Some(days))],
            Path::new("s.toml"),
        )
        .unwrap();
        let path: Vec<&str> = (0..5)
            .map(|l| h.labels[l][h.map[l][0] as usize].as_str())
            .collect();
        assert_eq!(path, ["2020-05-17", "2020-05", "2020-Q2", "2020", "2020s",]);
    }

    fn load(text: &[u8]) -> Result<Hierarchy> {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("h.csv");
        std::fs::write(&p, text).unwrap();
        Hierarchy::load_arx(&p, "age")
    }

    fn path_of(h: &Hierarchy, leaf: &str) -> Vec<String> {
        let i = h.leaf_of(leaf).expect("leaf") as usize;
        (0..=h.height())
            .map(|l| h.labels[l][h.map[l][i] as usize].clone())
            .collect()
    }

    #[test]
    fn arx_labels_hold_commas_quoted_semicolons_brackets_and_spaces() {
        // As ARX writes intervals: `[1, 987[` holds a comma; a quoted label holds `;` and `"`.
        let h = load(
            b"4.0;\"[1, 987[\";\"a;b \"\"x\"\"\";*\n\
              39.0;[1, 987[;\"a;b \"\"x\"\"\";*\n\
              \"1000.0\";[987, 2000[;c d ];*\n",
        )
        .unwrap();
        assert_eq!(h.height(), 3);
        assert_eq!(h.domain(), 3);
        assert_eq!(path_of(&h, "4.0"), ["4.0", "[1, 987[", "a;b \"x\"", "*"]);
        assert_eq!(path_of(&h, "39.0"), ["39.0", "[1, 987[", "a;b \"x\"", "*"]);
        assert_eq!(
            path_of(&h, "1000.0"),
            ["1000.0", "[987, 2000[", "c d ]", "*"]
        );
        assert_eq!(h.leaf_of("4"), None, "matched as written, not as a number");
    }

    #[test]
    fn other_delimiters_only_when_no_semicolon_stands_outside_quotes() {
        let h = load(b"a,\"x;y\",*\nb,\"x;y\",*\n").unwrap();
        assert_eq!(path_of(&h, "b"), ["b", "x;y", "*"]);
        let h = load(b"a\t[1, 5[\t*\nb\t[1, 5[\t*\n").unwrap();
        assert_eq!(path_of(&h, "a"), ["a", "[1, 5[", "*"]);
        // One column and no delimiter at all: a leaf that is its own root.
        assert_eq!(load(b"a\n").unwrap().height(), 0);
        // Commas in every label never outvote ARX's `;`.
        let h = load(b"1;[1, 5[, low, ok;*\n2;[1, 5[, low, ok;*\n").unwrap();
        assert_eq!(path_of(&h, "2"), ["2", "[1, 5[, low, ok", "*"]);
    }

    #[test]
    fn gbk_hierarchies_are_read_and_bad_files_name_their_line() {
        let (gbk, _, _) = encoding_rs::GBK.encode("北京;华北;*\n上海;华东;*\n");
        let h = load(&gbk).unwrap();
        assert_eq!(path_of(&h, "上海"), ["上海", "华东", "*"]);
        let e = load(b"1;a;*\n2;b;*\n3;b\n").unwrap_err().to_string();
        assert!(e.contains("h.csv:3") && e.contains("2 levels"), "{e}");
        let e = load(b"1;a;*\n2;a;*\n1;b;*\n").unwrap_err().to_string();
        assert!(e.contains("h.csv:3") && e.contains("twice"), "{e}");
        let e = load(b"1;a;*\n2;\"a;*\n").unwrap_err().to_string();
        assert!(e.contains("h.csv:"), "{e}");
        let e = load(b"1;a;*\n\xff\xff\xff;b;*\n").unwrap_err().to_string();
        assert!(e.contains("h.csv:2") && e.contains("GBK"), "{e}");
    }

    #[test]
    fn arx_adult_hierarchies_load() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/arx");
        let h = Hierarchy::load_arx(&dir.join("adult_hierarchy_age.csv"), "age").unwrap();
        assert_eq!(h.height(), 4);
        assert_eq!(h.domain(), 100);
        let h = Hierarchy::load_arx(
            &dir.join("adult_hierarchy_native-country.csv"),
            "native-country",
        )
        .unwrap();
        assert_eq!(h.height(), 2);
    }
}
