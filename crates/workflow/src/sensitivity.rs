//! Which columns of a file carry sensitive personal information (PIPL Art. 28), and how many
//! of its rows are children under 14: from the scan for a plain file, from the manifest for a
//! datavisa twin. A twin's tokens and ciphertext are never given to the detectors: its columns
//! inherit the category its source's scan found for the column of the same name, recorded in
//! the manifest when the twin was made (a column the twin dropped carries nothing). `plan`,
//! `ledger record` and the PIPIA all ask [`Workspace::sensitivity`], so they agree.

use crate::error::{Error, Result};
use crate::read::{load, ReadRequest};
use crate::workspace::Workspace;
use datavisa_discover::scan::CategoryColumns;
use datavisa_discover::{scan, ScanOptions, ScanReport};
use datavisa_table::{file_sha256, Table};
use datavisa_twin::manifest::{ColumnCategory, Manifest, ManifestKind, SourceScan};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Where a file's sensitive categories came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SensitivityFrom {
    /// The detectors, run on the file itself (a plain file, not a twin).
    Scan,
    /// The twin's manifest: its source's scan when it was made, per column.
    Manifest,
    /// A twin whose manifest predates per-column categories: its source, scanned now (the
    /// source's content checked against the manifest's hash).
    SourceScan,
}

/// The sensitive columns of a file and its minors, with where they came from.
#[derive(Clone, Debug, Serialize)]
pub struct Sensitivity {
    /// The file.
    pub file: String,
    /// Each column of the file with a sensitive category, in the file's column order.
    pub columns: Vec<ColumnCategory>,
    /// Rows of children under 14 (0 for a synthetic twin: its rows are no one).
    pub minors_under_14: u64,
    /// Where the categories came from.
    pub from: SensitivityFrom,
    /// The twin's kind, when the file is a twin.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub twin: Option<ManifestKind>,
}

impl Sensitivity {
    /// The names of the sensitive columns.
    pub fn column_names(&self) -> Vec<String> {
        self.columns.iter().map(|c| c.column.clone()).collect()
    }

    /// The columns grouped by category, categories in their declared order.
    pub fn categories(&self) -> Vec<CategoryColumns> {
        let mut out: Vec<CategoryColumns> = Vec::new();
        for c in &self.columns {
            match out.iter_mut().find(|g| g.category == c.category) {
                Some(g) => g.columns.push(c.column.clone()),
                None => out.push(CategoryColumns {
                    category: c.category,
                    columns: vec![c.column.clone()],
                }),
            }
        }
        out.sort_by_key(|g| g.category);
        out
    }
}

/// What a twin's manifest records of its source's scan.
pub fn source_scan(report: &ScanReport) -> SourceScan {
    SourceScan {
        categories: report
            .columns
            .iter()
            .filter_map(|c| {
                c.sensitive_category.map(|category| ColumnCategory {
                    column: c.name.clone(),
                    category,
                })
            })
            .collect(),
        minors_under_14: report.minors_under_14,
        reference_date: report.reference_date.clone(),
    }
}

/// The manifest of `file` when it is a datavisa twin (a manifest beside it), checked against
/// the file's content hash `sha256`; a manifest of other content is an error, since counting
/// and categories would then describe another file.
pub fn twin_manifest(file: &Path, sha256: &str) -> Result<Option<Manifest>> {
    let mpath = datavisa_twin::manifest_path(file);
    if !mpath.is_file() {
        return Ok(None);
    }
    let m = Manifest::read(&mpath)?;
    match m.output.sha256.as_deref() {
        Some(s) if s == sha256 => Ok(Some(m)),
        recorded => Err(Error::bad_input(format!(
            "{} records the twin's content hash {}, but {} hashes to {sha256}: the file was changed after it was made, or the manifest belongs to another file; make the twin again, or move the manifest away to treat the file as a plain table",
            mpath.display(),
            recorded.unwrap_or("(none)"),
            file.display()
        ))),
    }
}

/// Where a twin's source is: as the manifest recorded it, else beside the manifest under the
/// same file name (twins are often moved together with their source).
pub(crate) fn source_path(m: &Manifest, file: &Path) -> PathBuf {
    let recorded = PathBuf::from(&m.source.path);
    if recorded.is_file() {
        return recorded;
    }
    let dir = file.parent().unwrap_or(Path::new("."));
    recorded
        .file_name()
        .map(|n| dir.join(n))
        .filter(|p| p.is_file())
        .unwrap_or(recorded)
}

/// The twin's source as the manifest recorded it, read and checked against the manifest's
/// source hash; `why` says what it is needed for, in the error.
pub(crate) fn read_source(
    ws: &Workspace,
    m: &Manifest,
    file: &Path,
    why: &str,
) -> Result<(PathBuf, Table)> {
    let path = source_path(m, file);
    let sha = file_sha256(&path).map_err(|_| {
        Error::bad_input(format!(
            "{}: {why}, and its source {} (recorded in its manifest) cannot be read; put the source back where it was",
            file.display(),
            path.display()
        ))
    })?;
    if sha != m.source.sha256 {
        return Err(Error::bad_input(format!(
            "{}: {why}, but its source {} has changed since the twin was made (sha256 {sha}, the manifest records {}); restore that source",
            file.display(),
            path.display(),
            m.source.sha256
        )));
    }
    let (t, _) = load(ws, &path, &ReadRequest::default())?;
    Ok((path, t))
}

impl Workspace {
    /// Scan options with the workspace's clock as the reference date for minors.
    pub(crate) fn scan_options(&self) -> ScanOptions {
        ScanOptions {
            reference_date: self.today(),
            ..Default::default()
        }
    }

    /// The sensitive columns and minors of a file: a twin's from its manifest (its source's
    /// scan and what was done to each column), any other file's from the detectors.
    pub fn sensitivity(&self, file: &Path, read: &ReadRequest) -> Result<Sensitivity> {
        let (t, _) = load(self, file, read)?;
        let twin = twin_manifest(file, &file_sha256(file)?)?;
        self.sensitivity_of(file, &t, twin.as_ref())
    }

    /// [`Workspace::sensitivity`] of a file already read, with its manifest if it is a twin.
    pub(crate) fn sensitivity_of(
        &self,
        file: &Path,
        t: &Table,
        twin: Option<&Manifest>,
    ) -> Result<Sensitivity> {
        let Some(m) = twin else {
            let report = scan(t, &file.display().to_string(), &self.scan_options());
            return Ok(inherit(
                file,
                t,
                &source_scan(&report),
                None,
                SensitivityFrom::Scan,
            ));
        };
        let (scanned, from) = match &m.source_scan {
            Some(s) => (s.clone(), SensitivityFrom::Manifest),
            None => {
                let why = "its manifest predates the source's per-column categories";
                let (path, source) = read_source(self, m, file, why)?;
                let report = scan(&source, &path.display().to_string(), &self.scan_options());
                (source_scan(&report), SensitivityFrom::SourceScan)
            }
        };
        Ok(inherit(file, t, &scanned, Some(m.kind), from))
    }
}

/// The file's columns that carry a category of `scanned` (a column absent from the file, such
/// as one a twin dropped, carries nothing).
fn inherit(
    file: &Path,
    t: &Table,
    scanned: &SourceScan,
    twin: Option<ManifestKind>,
    from: SensitivityFrom,
) -> Sensitivity {
    let names = t.column_names();
    let columns = names
        .iter()
        .filter_map(|n| scanned.categories.iter().find(|c| &c.column == n).cloned())
        .collect();
    let minors = match twin {
        Some(ManifestKind::SyntheticTwin) => 0,
        _ => scanned.minors_under_14,
    };
    Sensitivity {
        file: file.display().to_string(),
        columns,
        minors_under_14: minors,
        from,
        twin,
    }
}
