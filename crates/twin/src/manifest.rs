//! The manifest written next to every twin (`TWIN.manifest.json`), one type for every kind:
//! what the twin was made from, where it was written with its content hash, the tool, and the
//! kind's own record (recipe and levels, synthesis parameters, pseudonymization methods).
//! Written and read by this code only; manifests of earlier releases (`output` as a path with a
//! top-level `output_sha256`) still read.

use crate::error::{invalid, Result};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

/// What kind of twin a manifest describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ManifestKind {
    /// Generalized to a privacy model.
    GeneralizedTwin,
    /// Synthetic rows from a differentially private model.
    SyntheticTwin,
    /// Pseudonymized with keys in the vault.
    PseudonymizedTwin,
}

/// A file the twin was made from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceFile {
    /// Where it was read.
    pub path: String,
    /// Its SHA-256.
    pub sha256: String,
    /// Rows read.
    pub rows: u64,
    /// Columns read.
    pub columns: u64,
}

/// The twin file as written.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputFile {
    /// Where it was written.
    pub path: String,
    /// Its file name (relative to the manifest's directory).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// Its SHA-256.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Rows written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<u64>,
    /// Columns written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub columns: Option<Vec<String>>,
}

impl OutputFile {
    /// The facts of a twin written to `path` with `sha256`, `rows` and `columns`.
    pub fn written(path: &Path, sha256: String, rows: usize, columns: Vec<String>) -> OutputFile {
        OutputFile {
            path: path.display().to_string(),
            file: path.file_name().map(|f| f.to_string_lossy().into_owned()),
            sha256: Some(sha256),
            rows: Some(rows as u64),
            columns: Some(columns),
        }
    }
}

/// `output` as earlier releases wrote it (a path) or as written now (the file's facts).
#[derive(Deserialize)]
#[serde(untagged)]
enum OutputShape {
    Path(String),
    File(OutputFile),
}

/// The tool that made the twin.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolStamp {
    /// Always `datavisa`.
    pub name: String,
    /// Its version.
    pub version: String,
}

/// The vault holding a pseudonymized twin's keys.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VaultRef {
    /// The vault's id.
    pub id: String,
    /// Its file.
    pub path: String,
}

/// A generalized twin's information loss.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QualityFigure {
    /// The metric (loss, precision, …).
    pub metric: String,
    /// Its value (none when it could not be computed).
    pub value: Option<f64>,
}

/// A twin's manifest.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(from = "RawManifest")]
pub struct Manifest {
    /// The kind of twin.
    pub kind: ManifestKind,
    /// What it was made from.
    pub source: SourceFile,
    /// Where it was written.
    pub output: OutputFile,
    /// The tool that made it.
    pub tool: ToolStamp,
    /// The pseudonymized twin's id in the vault.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub twin_id: Option<String>,
    /// The vault holding its keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vault: Option<VaultRef>,
    /// The generalized twin's information loss.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quality: Option<QualityFigure>,
    /// The kind's own record: recipe and levels, synthesis parameters, methods per column.
    #[serde(flatten)]
    pub body: Map<String, Value>,
}

/// The manifest as stored, before the two shapes of `output` are made one.
#[derive(Deserialize)]
struct RawManifest {
    kind: ManifestKind,
    source: SourceFile,
    output: OutputShape,
    #[serde(default)]
    output_sha256: Option<String>,
    tool: ToolStamp,
    #[serde(default)]
    twin_id: Option<String>,
    #[serde(default)]
    vault: Option<VaultRef>,
    #[serde(default)]
    quality: Option<QualityFigure>,
    #[serde(flatten)]
    body: Map<String, Value>,
}

impl From<RawManifest> for Manifest {
    fn from(r: RawManifest) -> Manifest {
        let output = match r.output {
            OutputShape::File(f) => f,
            OutputShape::Path(path) => OutputFile {
                file: Path::new(&path)
                    .file_name()
                    .map(|f| f.to_string_lossy().into_owned()),
                path,
                sha256: r.output_sha256,
                rows: None,
                columns: None,
            },
        };
        Manifest {
            kind: r.kind,
            source: r.source,
            output,
            tool: r.tool,
            twin_id: r.twin_id,
            vault: r.vault,
            quality: r.quality,
            body: r.body,
        }
    }
}

impl Manifest {
    /// Reads the manifest at `path`.
    pub fn read(path: &Path) -> Result<Manifest> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| invalid(format!("cannot read {}: {e}", path.display())))?;
        Manifest::parse(path, &text)
    }

    /// Parses manifest text read from `path` (named in errors).
    pub fn parse(path: &Path, text: &str) -> Result<Manifest> {
        serde_json::from_str(text)
            .map_err(|e| invalid(format!("{}: not a twin manifest: {e}", path.display())))
    }

    /// The twin file, resolved next to the manifest at `manifest` (where it was written).
    pub fn twin_file(&self, manifest: &Path) -> PathBuf {
        let dir = manifest.parent().unwrap_or(Path::new("."));
        match &self.output.file {
            Some(f) => dir.join(f),
            None => PathBuf::from(&self.output.path),
        }
    }

    /// The body as one JSON object, for the kind's own readers.
    pub fn body_value(&self) -> Value {
        Value::Object(self.body.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_shapes_of_output_read_as_one() {
        let old = r#"{"kind": "generalized_twin", "source": {"path": "s.csv", "sha256": "aa", "rows": 3, "columns": 2},
            "output": "out/t.csv", "output_sha256": "bb", "tool": {"name": "datavisa", "version": "0.1.0"},
            "quality": {"metric": "loss", "value": 0.25}, "levels": {"age": 1}}"#;
        let m = Manifest::parse(Path::new("m.json"), old).unwrap();
        assert_eq!(m.output.sha256.as_deref(), Some("bb"));
        assert_eq!(m.output.file.as_deref(), Some("t.csv"));
        assert_eq!(m.body["levels"]["age"], 1);
        assert_eq!(m.quality.as_ref().unwrap().value, Some(0.25));
        // Written back, it has the one shape and reads back equal.
        let text = serde_json::to_string(&m).unwrap();
        assert!(!text.contains("output_sha256"), "{text}");
        assert_eq!(Manifest::parse(Path::new("m.json"), &text).unwrap(), m);
        assert_eq!(
            m.twin_file(Path::new("dir/t.csv.manifest.json")),
            Path::new("dir/t.csv")
        );
    }

    #[test]
    fn a_file_that_is_not_a_manifest_says_so() {
        let e = Manifest::parse(Path::new("x.json"), r#"{"kind": "poem"}"#).unwrap_err();
        assert!(e.to_string().contains("x.json: not a twin manifest"), "{e}");
    }
}
