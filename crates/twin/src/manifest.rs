//! The manifest written next to every twin (`TWIN.manifest.json`), one type for every kind:
//! what the twin was made from, where it was written with its content hash, the tool, and the
//! kind's own record (recipe and levels, synthesis parameters, pseudonymization methods).
//! Written and read by this code only; manifests of earlier releases (`output` as a path with a
//! top-level `output_sha256`) still read.

use crate::error::{invalid, Result};
use datavisa_discover::SensitiveCategory;
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
    /// Its text format (delimiter, encoding, quoting), for a delimited file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<datavisa_table::TextFormat>,
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
    /// The text format it was written in (delimiter, encoding, quoting), for a delimited twin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<datavisa_table::TextFormat>,
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
            format: None,
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

/// A column of the source and the PIPL Art. 28 category its scan found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnCategory {
    /// The source column (the twin's column of the same name comes from it).
    pub column: String,
    /// Its sensitive category.
    pub category: SensitiveCategory,
}

/// What the scan of the source found when the twin was made: the sensitive categories of its
/// columns and its minors, so a twin's categories never come from detectors run on its tokens.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceScan {
    /// Source columns with a sensitive category, in the source's order.
    pub categories: Vec<ColumnCategory>,
    /// Rows of people under 14 on the scan's reference date.
    pub minors_under_14: u64,
    /// The scan's reference date (YYYY-MM-DD).
    pub reference_date: String,
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
    /// The source's sensitive categories per column (absent in manifests made before them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_scan: Option<SourceScan>,
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
    #[serde(default)]
    source_scan: Option<SourceScan>,
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
                format: None,
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
            source_scan: r.source_scan,
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

/// What a generalized twin's record says, for front ends and reports.
#[derive(Clone, Debug, Deserialize)]
pub struct GeneralizedView {
    /// Rows of the source.
    pub rows: u64,
    /// The level of each quasi-identifier.
    pub levels: std::collections::BTreeMap<String, Value>,
    /// Records suppressed.
    pub suppressed: u64,
    /// Classes kept.
    pub classes: u64,
    /// What each privacy model achieved.
    pub models: Vec<ModelAchieved>,
    /// How the lattice was searched (absent for a re-applied recipe).
    #[serde(default)]
    pub search: Option<SearchView>,
    /// Quasi-identifiers datavisa could only group by frequency (a semantic grouping is better).
    #[serde(default)]
    pub hierarchy_warnings: Vec<HierarchyWarning>,
}

/// A quasi-identifier whose default hierarchy groups its values by frequency.
#[derive(Clone, Debug, Deserialize)]
pub struct HierarchyWarning {
    /// The column.
    pub column: String,
    /// Its distinct values.
    pub distinct_values: u64,
}

/// One privacy model and what the twin achieves for it.
#[derive(Clone, Debug, Deserialize)]
pub struct ModelAchieved {
    /// `k-anonymity`, `t-closeness`, …
    pub model: String,
    /// The figure achieved (none when it could not be computed).
    pub achieved: Value,
    /// Whether the model holds.
    pub holds: bool,
}

/// The lattice search of a generalized twin.
#[derive(Clone, Debug, Deserialize)]
pub struct SearchView {
    /// `optimal` or `heuristic`.
    pub algorithm: String,
    /// Nodes checked.
    pub nodes_checked: Value,
    /// Nodes in the lattice.
    pub lattice_size: Value,
    /// Seconds it took.
    pub seconds: f64,
}

/// What a synthetic twin's record says, for front ends and reports.
#[derive(Clone, Debug, Deserialize)]
pub struct SyntheticView {
    /// `mst` or `aim`.
    pub method: String,
    /// Rows generated.
    pub rows: u64,
    /// The columns synthesized, with their domains.
    pub columns: Vec<Value>,
    /// The privacy budget and how it was spent.
    pub privacy: PrivacyView,
    /// The recorded seed, when the run is reproducible.
    pub seed: Option<u64>,
    /// Columns left out and why.
    pub dropped: Vec<DroppedColumn>,
    /// The fitted model.
    pub model: SynthModelView,
    /// Seconds per phase.
    pub timings_seconds: Timings,
}

/// The budget of a synthetic twin.
#[derive(Clone, Debug, Deserialize)]
pub struct PrivacyView {
    /// Epsilon.
    pub epsilon: f64,
    /// Delta.
    pub delta: f64,
    /// The zCDP budget.
    pub rho: f64,
    /// What was spent of it.
    pub rho_spent: f64,
    /// Each charge.
    pub ledger: Vec<ChargeView>,
}

/// One charge against the budget.
#[derive(Clone, Debug, Deserialize)]
pub struct ChargeView {
    /// What was measured or chosen.
    pub step: String,
    /// The mechanism.
    pub mechanism: String,
    /// Its cost.
    pub rho: f64,
    /// Its noise scale or parameter.
    pub detail: String,
}

/// A column left out of a synthetic twin.
#[derive(Clone, Debug, Deserialize)]
pub struct DroppedColumn {
    /// The column.
    pub column: String,
    /// Why.
    pub reason: String,
}

/// The fitted model of a synthetic twin.
#[derive(Clone, Debug, Deserialize)]
pub struct SynthModelView {
    /// Cliques measured.
    pub cliques: Vec<Value>,
    /// Cells of the junction tree.
    pub junction_tree_cells: Value,
    /// Measurements taken.
    pub measurements: Value,
    /// The fit.
    pub fit: FitView,
}

/// The model fit.
#[derive(Clone, Debug, Deserialize)]
pub struct FitView {
    /// Mirror-descent iterations.
    pub iterations: Value,
}

/// Seconds of a synthesis.
#[derive(Clone, Debug, Deserialize)]
pub struct Timings {
    /// In all.
    pub total: f64,
}

/// What a pseudonymized twin's record says, for front ends and reports.
#[derive(Clone, Debug, Deserialize)]
pub struct PseudonymizedView {
    /// The recipient whose keys were used.
    pub recipient: String,
    /// Each column's treatment.
    pub columns: Vec<ProtectedColumn>,
}

/// One column of a pseudonymized twin.
#[derive(Clone, Debug, Deserialize)]
pub struct ProtectedColumn {
    /// The column.
    pub column: String,
    /// Its method.
    pub method: String,
    /// The key used (ids and versions only).
    #[serde(default)]
    pub key: Option<KeyView>,
    /// Where the decision came from.
    pub decided_by: String,
    /// Values written as missing.
    pub suppressed: u64,
    /// For a redacted free-text column: identifiers replaced, by kind.
    #[serde(default)]
    pub redacted: Option<std::collections::BTreeMap<String, u64>>,
}

/// A key as a manifest names it.
#[derive(Clone, Debug, Deserialize)]
pub struct KeyView {
    /// Its domain.
    pub domain: String,
    /// Its version.
    pub version: u32,
}

impl Manifest {
    fn view<T: serde::de::DeserializeOwned>(&self, kind: ManifestKind) -> Option<T> {
        (self.kind == kind)
            .then(|| serde_json::from_value(self.body_value()).ok())
            .flatten()
    }

    /// A generalized twin's record.
    pub fn generalized(&self) -> Option<GeneralizedView> {
        self.view(ManifestKind::GeneralizedTwin)
    }

    /// A synthetic twin's record.
    pub fn synthetic(&self) -> Option<SyntheticView> {
        self.view(ManifestKind::SyntheticTwin)
    }

    /// A pseudonymized twin's record.
    pub fn pseudonymized(&self) -> Option<PseudonymizedView> {
        self.view(ManifestKind::PseudonymizedTwin)
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
        // It predates the source's per-column categories: none, and none written back.
        assert!(m.source_scan.is_none());
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
    fn the_source_scan_reads_back_typed() {
        let text = r#"{"kind": "pseudonymized_twin", "source": {"path": "s.csv", "sha256": "aa", "rows": 3, "columns": 2},
            "output": {"path": "t.csv", "sha256": "bb"}, "tool": {"name": "datavisa", "version": "0.1.0"},
            "source_scan": {"categories": [{"column": "card", "category": "financial_account"}],
                            "minors_under_14": 2, "reference_date": "2026-06-30"}}"#;
        let m = Manifest::parse(Path::new("m.json"), text).unwrap();
        let s = m.source_scan.as_ref().unwrap();
        assert_eq!(
            s.categories[0].category,
            SensitiveCategory::FinancialAccount
        );
        assert_eq!(s.minors_under_14, 2);
        assert!(!m.body.contains_key("source_scan"));
        let back = serde_json::to_string(&m).unwrap();
        assert_eq!(Manifest::parse(Path::new("m.json"), &back).unwrap(), m);
    }

    #[test]
    fn a_file_that_is_not_a_manifest_says_so() {
        let e = Manifest::parse(Path::new("x.json"), r#"{"kind": "poem"}"#).unwrap_err();
        assert!(e.to_string().contains("x.json: not a twin manifest"), "{e}");
    }
}
