//! What every result records about the tool and its inputs, and how results are written.

use crate::error::Result;
use datavisa_table::{file_sha256, write_atomic, Table, TableError};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The tool's name and version, recorded with every result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tool {
    /// Always `datavisa`.
    pub name: String,
    /// The crate version that computed the result.
    pub version: String,
}

/// This build of datavisa.
pub fn tool() -> Tool {
    Tool {
        name: "datavisa".into(),
        version: env!("CARGO_PKG_VERSION").into(),
    }
}

/// The version string of this build.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// What every result records about one input file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputEvidence {
    /// The path as given.
    pub path: String,
    /// SHA-256 of the file's bytes.
    pub sha256: String,
    /// Rows read.
    pub rows: usize,
    /// Columns read.
    pub columns: usize,
}

/// The evidence of `path`, read as `t`.
pub fn input_evidence(path: &Path, t: &Table) -> Result<InputEvidence> {
    Ok(InputEvidence {
        path: path.display().to_string(),
        sha256: file_sha256(path)?,
        rows: t.n_rows,
        columns: t.columns.len(),
    })
}

impl crate::Workspace {
    /// The evidence of `path`, read as `t`: a data frame's name and content hash when `path`
    /// names one this workspace holds, else the file's.
    pub fn evidence_of(&self, path: &Path, t: &Table) -> Result<InputEvidence> {
        match self.frames().get(path) {
            Some(f) => Ok(InputEvidence {
                path: path.display().to_string(),
                sha256: f.sha256().to_owned(),
                rows: t.n_rows,
                columns: t.columns.len(),
            }),
            None => input_evidence(path, t),
        }
    }
}

/// Writes a value as pretty JSON, atomically (temp file, then rename).
pub fn write_json<T: Serialize + ?Sized>(path: &Path, v: &T) -> Result<()> {
    let text = serde_json::to_string_pretty(v)?;
    write_text(path, &text)
}

/// Writes text atomically (temp file, then rename).
pub fn write_text(path: &Path, text: &str) -> Result<()> {
    write_atomic(path, |w| {
        use std::io::Write;
        w.write_all(text.as_bytes())
            .map_err(|e| TableError::io(path, e))
    })?;
    Ok(())
}
