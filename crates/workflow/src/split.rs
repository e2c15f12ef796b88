//! `split`: a table cut into the release (what a twin is made from) and the control set (people
//! of the same population kept home, for the attacks' control), seeded and reproducible, with a
//! person's rows on one side when `--by` names the person column. Rows are copied byte for byte
//! (delimiter, quoting, encoding and line endings as in the source). Each half gets a split
//! record (`HALF.split.json`) linking both halves to the source's hash, which `assess` checks.

use crate::error::{Error, Result};
use crate::evidence::{tool, write_json, Tool};
use crate::read::{load, ReadRequest};
use crate::workspace::Workspace;
use datavisa_table::{file_sha256, sample_indices, write_atomic, Table};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// A split to make.
#[derive(Clone, Debug)]
pub struct SplitRequest {
    /// The table to split (CSV).
    pub input: PathBuf,
    /// Where the release half goes.
    pub release: PathBuf,
    /// Where the control half goes.
    pub control: PathBuf,
    /// Share of people in the release, in (0, 1).
    pub share: f64,
    /// Seed of the draw.
    pub seed: u64,
    /// The column identifying a person: all of a person's rows go to one side.
    pub by: Option<String>,
    /// How to read the input.
    pub read: ReadRequest,
}

/// One half as its split record states it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Half {
    /// The file written.
    pub path: String,
    /// Its content hash.
    pub sha256: String,
    /// Rows in it.
    pub rows: u64,
}

/// The record of a split, written beside each half.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SplitRecord {
    /// `datavisa-split`.
    pub kind: String,
    /// `release` or `control`: which half this record sits beside.
    pub role: String,
    /// The source split.
    pub source: Half,
    /// The release half.
    pub release: Half,
    /// The control half.
    pub control: Half,
    /// The share of people drawn into the release.
    pub share: f64,
    /// The seed of the draw.
    pub seed: u64,
    /// The person column, when rows were kept together by person.
    pub by: Option<String>,
    /// People (distinct values of `by`, or rows) in the release and in the control.
    pub people: [u64; 2],
    /// The tool that split.
    pub tool: Tool,
}

/// The split record of a half: `HALF.split.json`.
pub fn record_path(half: &Path) -> PathBuf {
    let mut p = half.as_os_str().to_owned();
    p.push(".split.json");
    PathBuf::from(p)
}

impl Workspace {
    /// Splits a table into release and control, writes both halves and their split records.
    pub fn split(&self, req: &SplitRequest) -> Result<SplitRecord> {
        if !(req.share > 0.0 && req.share < 1.0) {
            return Err(Error::bad_input(format!(
                "--share {}: give the release's share of people, strictly between 0 and 1",
                req.share
            )));
        }
        if same_path(&req.release, &req.control) {
            return Err(Error::bad_input(
                "--release and --control name the same file: give two",
            ));
        }
        for out in [&req.release, &req.control] {
            self.guard(out, &[req.input.as_path()])?;
            self.guard(&record_path(out), &[req.input.as_path()])?;
        }
        let (t, _) = load(self, &req.input, &req.read)?;
        if t.origin.format != datavisa_table::FileFormat::Csv {
            return Err(Error::bad_input(format!(
                "{}: split copies CSV rows byte for byte; convert the table to CSV first",
                req.input.display()
            )));
        }
        let units = units_of(&t, req.by.as_deref())?;
        let in_release = draw(&units, req.share, req.seed);
        let bytes =
            std::fs::read(&req.input).map_err(|e| datavisa_table::TableError::io(&req.input, e))?;
        let delimiter = t.origin.delimiter.map_or(b',', |d| d as u8);
        let spans = datavisa_table::spans::record_spans(
            &req.input,
            &bytes,
            delimiter,
            t.origin.has_header,
        )?;
        if spans.records.len() != t.n_rows {
            return Err(Error::bad_input(format!(
                "{}: {} records by bytes but {} rows read; the file cannot be split byte for byte (check --delimiter and --encoding)",
                req.input.display(),
                spans.records.len(),
                t.n_rows
            )));
        }
        let keep_control: Vec<bool> = in_release.iter().map(|r| !r).collect();
        let halves = [
            (&req.release, spans.select(&bytes, &in_release)),
            (&req.control, spans.select(&bytes, &keep_control)),
        ];
        for (path, content) in &halves {
            write_atomic(path, |w| {
                use std::io::Write;
                w.write_all(content)
                    .map_err(|e| datavisa_table::TableError::write(path, e))
            })?;
        }
        let n_release = in_release.iter().filter(|&&r| r).count() as u64;
        let people_release = units.release_people(&in_release);
        let half = |path: &Path, rows: u64| -> Result<Half> {
            Ok(Half {
                path: path.display().to_string(),
                sha256: file_sha256(path)?,
                rows,
            })
        };
        let mut record = SplitRecord {
            kind: "datavisa-split".into(),
            role: "release".into(),
            source: half(&req.input, t.n_rows as u64)?,
            release: half(&req.release, n_release)?,
            control: half(&req.control, t.n_rows as u64 - n_release)?,
            share: req.share,
            seed: req.seed,
            by: req.by.clone(),
            people: [people_release, units.n_people - people_release],
            tool: tool(),
        };
        write_json(&record_path(&req.release), &record)?;
        record.role = "control".into();
        write_json(&record_path(&req.control), &record)?;
        record.role = "release".into();
        Ok(record)
    }
}

fn same_path(a: &Path, b: &Path) -> bool {
    a == b || matches!((a.canonicalize(), b.canonicalize()), (Ok(x), Ok(y)) if x == y)
}

/// Which unit (person, or row) each row belongs to.
struct Units {
    of_row: Vec<usize>,
    n_people: u64,
}

impl Units {
    fn release_people(&self, in_release: &[bool]) -> u64 {
        let mut seen = vec![false; self.n_people as usize];
        for (&u, &r) in self.of_row.iter().zip(in_release) {
            if r {
                seen[u] = true;
            }
        }
        seen.iter().filter(|&&s| s).count() as u64
    }
}

/// Rows grouped by the person column's value (a row without one is a person of its own), or
/// each row its own unit.
fn units_of(t: &Table, by: Option<&str>) -> Result<Units> {
    let Some(col) = by else {
        return Ok(Units {
            of_row: (0..t.n_rows).collect(),
            n_people: t.n_rows as u64,
        });
    };
    let ids = crate::ledger::person_ids(t, col).map_err(|_| {
        Error::bad_input(format!(
            "--by {col:?} is not a column of the table (it has: {})",
            t.column_names().join(", ")
        ))
    })?;
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut of_row = Vec::with_capacity(ids.len());
    let mut n = 0usize;
    for id in ids {
        let u = match id {
            Some(v) => *index.entry(v).or_insert_with(|| {
                n += 1;
                n - 1
            }),
            None => {
                n += 1;
                n - 1
            }
        };
        of_row.push(u);
    }
    Ok(Units {
        of_row,
        n_people: n as u64,
    })
}

/// A seeded draw of `share` of the units into the release; each row follows its unit.
fn draw(units: &Units, share: f64, seed: u64) -> Vec<bool> {
    let n = units.n_people as usize;
    let k = ((n as f64) * share).round() as usize;
    let mut release = vec![false; n];
    for i in sample_indices(n, k.min(n), seed) {
        release[i] = true;
    }
    units.of_row.iter().map(|&u| release[u]).collect()
}

/// Checks that a source and a control given to `assess` are the two halves of one split, when
/// either has a split record: a control drawn from another split, or edited since, is refused.
pub fn check_halves(source: &Path, control: Option<&Path>) -> Result<()> {
    let Some(control) = control else {
        return Ok(());
    };
    let (s, c) = (read_record(source)?, read_record(control)?);
    let (s, c) = match (s, c) {
        (None, None) => return Ok(()),
        (Some(s), Some(c)) => (s, c),
        (Some(_), None) | (None, Some(_)) => {
            let (has, lacks) = if record_path(source).is_file() {
                (source, control)
            } else {
                (control, source)
            };
            return Err(Error::bad_input(format!(
                "{} is one half of a split but {} is not its other half (no split record beside it); give the release and the control of one `datavisa split`",
                has.display(),
                lacks.display()
            )));
        }
    };
    if s.role != "release" || c.role != "control" {
        return Err(Error::bad_input(format!(
            "--source {} is the {} half and --control {} the {} half of a split: the source must be the release and the control the control",
            source.display(),
            s.role,
            control.display(),
            c.role
        )));
    }
    if s.source.sha256 != c.source.sha256 || s.release != c.release || s.control != c.control {
        return Err(Error::bad_input(format!(
            "{} and {} come from different splits (of {} and of {}); give the release and the control of one split",
            source.display(),
            control.display(),
            s.source.path,
            c.source.path
        )));
    }
    for (path, want) in [(source, &s.release.sha256), (control, &s.control.sha256)] {
        if &file_sha256(path)? != want {
            return Err(Error::bad_input(format!(
                "{}: changed since it was split (its split record names sha256 {want}); split again",
                path.display()
            )));
        }
    }
    Ok(())
}

fn read_record(half: &Path) -> Result<Option<SplitRecord>> {
    let p = record_path(half);
    if !p.is_file() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(&p).map_err(|e| datavisa_table::TableError::io(&p, e))?;
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| Error::bad_input(format!("{}: not a split record: {e}", p.display())))
}
