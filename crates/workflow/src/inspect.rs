//! Inspect and scan: what a table holds (types, missing values, top values) and which columns
//! are personal information, with the spec draft the scan proposes.

use crate::error::Result;
use crate::evidence::write_text;
use crate::read::{load, ReadRequest};
use crate::workspace::Workspace;
use datavisa_discover::{scan, spec_draft, ScanOptions, ScanReport};
use datavisa_table::{file_sha256, Table};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// What to inspect.
#[derive(Clone, Debug)]
pub struct InspectRequest {
    /// The table.
    pub file: PathBuf,
    /// How to read it.
    pub read: ReadRequest,
    /// How many top values to list per column.
    pub top: usize,
}

/// A value and how often it occurs.
#[derive(Clone, Debug, Serialize)]
pub struct TopValue {
    /// The value as read.
    pub value: String,
    /// Its count.
    pub count: u64,
}

/// One column's profile.
#[derive(Clone, Debug, Serialize)]
pub struct ColumnProfile {
    /// Its name.
    pub name: String,
    /// The type inferred or declared.
    #[serde(rename = "type")]
    pub value_type: String,
    /// Share of rows missing a value.
    pub missing_share: f64,
    /// Distinct values.
    pub distinct: usize,
    /// The most frequent values.
    pub top_values: Vec<TopValue>,
    /// Why the type is what it is.
    pub evidence: String,
    /// Whether numbers and text are mixed.
    pub mixed: bool,
}

/// What a table holds.
#[derive(Clone, Debug, Serialize)]
pub struct Inspection {
    /// The file read.
    pub file: String,
    /// csv or parquet.
    pub format: String,
    /// The delimiter used (CSV).
    pub delimiter: Option<String>,
    /// The encoding used (CSV).
    pub encoding: Option<String>,
    /// The file's size.
    pub bytes: u64,
    /// Rows read.
    pub rows: usize,
    /// Columns read.
    pub n_columns: usize,
    /// Share of rows unique on all columns.
    pub unique_row_share: f64,
    /// Seconds reading took.
    pub read_seconds: f64,
    /// datavisa's version.
    pub tool_version: String,
    /// Each column's profile.
    pub columns: Vec<ColumnProfile>,
    /// Header fields that named no column (1-based), read as `col_N`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unnamed_columns: Vec<usize>,
}

impl Inspection {
    /// The profile of `t`, read from `file` in `secs` seconds, with `top` values per column.
    pub fn of(file: &Path, t: &Table, top: usize, secs: f64) -> Inspection {
        t.encode_all();
        let columns = t
            .columns
            .iter()
            .enumerate()
            .map(|(j, c)| ColumnProfile {
                name: c.name.clone(),
                value_type: c.value_type.as_str().to_owned(),
                missing_share: c.missing_count() as f64 / t.n_rows.max(1) as f64,
                distinct: c.distinct_count(),
                // As written (`39.0`), the text a hierarchy or value list must say.
                top_values: t
                    .top_values_as_written(j, top)
                    .into_iter()
                    .map(|(value, count)| TopValue { value, count })
                    .collect(),
                evidence: c.evidence.sentence(c.value_type),
                mixed: c.evidence.is_mixed(),
            })
            .collect();
        Inspection {
            file: file.display().to_string(),
            format: t.origin.format.as_str().to_owned(),
            delimiter: t.origin.delimiter.map(|d| d.to_string()),
            encoding: t.origin.encoding.clone(),
            bytes: t.origin.bytes,
            rows: t.n_rows,
            n_columns: t.columns.len(),
            unique_row_share: t.unique_row_share(),
            read_seconds: secs,
            tool_version: crate::evidence::tool().version,
            columns,
            unnamed_columns: t.origin.unnamed_columns.clone(),
        }
    }
}

/// What to scan, and where to write the spec draft.
#[derive(Clone, Debug)]
pub struct ScanRequest {
    /// The table.
    pub file: PathBuf,
    /// How to read it.
    pub read: ReadRequest,
    /// Where to write the spec draft, if anywhere.
    pub write_spec: Option<PathBuf>,
    /// Seed, reference date and thresholds of the scan.
    pub options: ScanOptions,
}

/// What a scan found.
#[derive(Clone, Debug, Serialize)]
pub struct Scanned {
    /// Each column's kind, role and sensitive category.
    #[serde(flatten)]
    pub report: ScanReport,
    /// Seconds reading took.
    pub read_seconds: f64,
    /// Seconds scanning took.
    pub scan_seconds: f64,
    /// The spec draft written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spec: Option<String>,
    /// Header fields that named no column (1-based), read as `col_N`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unnamed_columns: Vec<usize>,
}

impl Scanned {
    /// Names of the columns the scan gave `role` (identifier, quasi, sensitive, other).
    pub fn by_role(&self, role: &str) -> Vec<String> {
        self.report
            .columns
            .iter()
            .filter(|c| c.role.as_str() == role)
            .map(|c| c.name.clone())
            .collect()
    }
}

impl Workspace {
    /// Reads a table and profiles its columns.
    pub fn inspect(&self, req: &InspectRequest) -> Result<(Inspection, Table)> {
        let (t, secs) = load(self, &req.file, &req.read)?;
        Ok((Inspection::of(&req.file, &t, req.top, secs), t))
    }

    /// Reads a table, finds its personal information and writes the spec draft if asked.
    pub fn scan(&self, req: &ScanRequest) -> Result<Scanned> {
        let (t, read_seconds) = load(self, &req.file, &req.read)?;
        self.scan_table(&req.file, &t, read_seconds, req)
    }

    /// Scans a table already read from `file`.
    pub fn scan_table(
        &self,
        file: &Path,
        t: &Table,
        read_seconds: f64,
        req: &ScanRequest,
    ) -> Result<Scanned> {
        self.checkpoint()?;
        let task = self.spinner("scanning");
        let t0 = Instant::now();
        let report = scan(t, &file.display().to_string(), &req.options);
        let scan_seconds = t0.elapsed().as_secs_f64();
        drop(task);
        if let Some(path) = &req.write_spec {
            write_spec_file(&report, t, file, path)?;
        }
        Ok(Scanned {
            report,
            read_seconds,
            scan_seconds,
            spec: req.write_spec.as_ref().map(|p| p.display().to_string()),
            unnamed_columns: t.origin.unnamed_columns.clone(),
        })
    }
}

/// Writes the spec the scan proposes, headed by where it came from.
fn write_spec_file(report: &ScanReport, t: &Table, file: &Path, path: &Path) -> Result<()> {
    crate::guard::check_output(path, &[file.to_path_buf()], None)?;
    let sha = if file.is_file() {
        Some(file_sha256(file)?)
    } else {
        None
    };
    let spec = spec_draft(report, t, sha);
    let text = format!(
        "# datavisa spec, drafted by `datavisa scan` {} from {}.\n# Review every role before relying on it.\n\n{}",
        crate::evidence::tool().version,
        file.display(),
        spec.to_toml()?
    );
    write_text(path, &text)
}
