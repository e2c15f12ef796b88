//! A release: a twin file checked against its manifest and its source, with the source put in the
//! twin's representation (a generalized twin's source is generalized the same way, since the
//! recipient can map what it knows onto the published hierarchy).

use crate::error::{invalid, Result};
use datavisa_table::{file_sha256, read_table, ReadOptions, Table};
use datavisa_twin::manifest::{Manifest, ManifestKind};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::path::Path;

/// How a twin was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TwinKind {
    /// Generalized to a privacy model (one row per source row).
    Generalized,
    /// Pseudonymized with keys in the vault (one row per source row).
    Pseudonymized,
    /// Synthetic rows that stand for no one in particular.
    Synthetic,
    /// No manifest: treated as a record-level release, the cautious reading.
    Unknown,
}

impl TwinKind {
    /// Whether each row of the twin is a real person's record.
    pub fn record_level(self) -> bool {
        self != TwinKind::Synthetic
    }

    /// The kind's name as a message.
    pub fn msg(self) -> datavisa_i18n::Msg {
        datavisa_i18n::Msg::new(&format!("twin_kind.{}", self.as_str()))
    }

    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            TwinKind::Generalized => "generalized",
            TwinKind::Pseudonymized => "pseudonymized",
            TwinKind::Synthetic => "synthetic",
            TwinKind::Unknown => "unknown",
        }
    }

    /// The kind a `--kind` value names.
    pub fn parse(s: &str) -> Result<TwinKind> {
        Ok(match s {
            "generalized" => TwinKind::Generalized,
            "pseudonymized" => TwinKind::Pseudonymized,
            "synthetic" => TwinKind::Synthetic,
            "unknown" => TwinKind::Unknown,
            other => {
                return Err(invalid(format!(
                "unknown twin kind {other:?}; expected generalized, pseudonymized, synthetic or unknown"
            )))
            }
        })
    }
}

/// A file an assessment read: where, its content hash, its shape.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FileFacts {
    pub path: String,
    pub sha256: String,
    pub rows: u64,
    pub columns: Vec<String>,
}

impl FileFacts {
    /// The facts of a table read from `path`.
    pub fn of(path: &Path, t: &Table) -> Result<FileFacts> {
        Ok(FileFacts {
            path: path.display().to_string(),
            sha256: file_sha256(path)?,
            rows: t.n_rows as u64,
            columns: t.column_names(),
        })
    }
}

/// What the twin's manifest says, when it has one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ManifestFacts {
    pub path: String,
    pub kind: String,
    /// The pseudonymized twin's id in the vault.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub twin_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vault: Option<String>,
    /// The generalized twin's information-loss figure.
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub quality: Value,
}

/// A twin as released: its file facts, kind, manifest, the table and the source in its terms.
#[derive(Clone, Debug)]
pub struct Release {
    pub facts: FileFacts,
    pub kind: TwinKind,
    pub manifest: Option<ManifestFacts>,
    pub twin: Table,
    /// The source rows as the recipient would compare them with the twin.
    pub source_view: Table,
    /// The control rows in the same terms, when a control set is given.
    pub control_view: Option<Table>,
    /// Twin columns whose values are tokens or ciphertext (a pseudonymized twin's token,
    /// encrypt and fpe columns): no one knows these values, so they are never matched on.
    pub protected: Vec<String>,
    /// A generalized twin's manifest: how each value was generalized, to measure what the twin
    /// kept of the source's original values.
    pub generalization: Option<Manifest>,
}

pub use datavisa_twin::manifest_path;

/// Reads a twin and checks it against its manifest (content hash, source hash, kind). `declared`
/// is the kind the user named, if any; it must agree with the manifest.
pub fn load_release(
    twin_path: &Path,
    source: (&Table, &str),
    control: Option<&Table>,
    declared: Option<TwinKind>,
    opts: &ReadOptions,
) -> Result<Release> {
    let twin = read_table(twin_path, opts)?;
    let facts = FileFacts::of(twin_path, &twin)?;
    let mpath = manifest_path(twin_path);
    let manifest = if mpath.is_file() {
        Some((Manifest::read(&mpath)?, mpath))
    } else {
        None
    };
    let (kind, manifest_facts) = match &manifest {
        None => (declared.unwrap_or(TwinKind::Unknown), None),
        Some((m, mpath)) => {
            check_manifest(m, mpath, &facts, source.1)?;
            let kind = kind_of(m);
            if let Some(d) = declared.filter(|&d| d != kind) {
                return Err(invalid(format!(
                    "the twin is declared {} but its manifest {} says {}",
                    d.as_str(),
                    mpath.display(),
                    kind.as_str()
                )));
            }
            let f = ManifestFacts {
                path: mpath.display().to_string(),
                kind: serde_json::to_value(m.kind)
                    .ok()
                    .and_then(|k| k.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                twin_id: m.twin_id.clone(),
                vault: m.vault.as_ref().map(|v| v.path.clone()),
                quality: serde_json::to_value(&m.quality).unwrap_or(Value::Null),
            };
            (kind, Some(f))
        }
    };
    let (source_view, control_view) = match (&manifest, kind) {
        (Some((m, _)), TwinKind::Generalized) => {
            let view = |t: &Table| datavisa_twin::recipe::reapply(t, m).map(|g| g.twin);
            (view(source.0)?, control.map(view).transpose()?)
        }
        _ => (source.0.clone(), control.cloned()),
    };
    let protected = manifest
        .as_ref()
        .and_then(|(m, _)| m.pseudonymized())
        .map(|v| {
            v.columns
                .into_iter()
                .filter(|c| datavisa_twin::pseudonymize::plan::Method::is_keyed_name(&c.method))
                .map(|c| c.column)
                .collect()
        })
        .unwrap_or_default();
    let generalization = manifest
        .filter(|_| kind == TwinKind::Generalized)
        .map(|(m, _)| m);
    Ok(Release {
        facts,
        kind,
        manifest: manifest_facts,
        twin,
        source_view,
        control_view,
        protected,
        generalization,
    })
}

/// The twin's content and source must be the ones the manifest recorded.
fn check_manifest(m: &Manifest, mpath: &Path, facts: &FileFacts, source_sha: &str) -> Result<()> {
    if let Some(r) = &m.output.sha256 {
        if *r != facts.sha256 {
            return Err(invalid(format!(
                "{} records the twin's content hash {r}, but {} hashes to {}: the twin was changed after it was made, or the manifest belongs to another file",
                mpath.display(),
                facts.path,
                facts.sha256
            )));
        }
    }
    let s = &m.source.sha256;
    if s != source_sha {
        return Err(invalid(format!(
            "{} is a twin of another source (its manifest records source sha256 {s}; the source given hashes to {source_sha})",
            facts.path
        )));
    }
    Ok(())
}

fn kind_of(m: &Manifest) -> TwinKind {
    match m.kind {
        ManifestKind::GeneralizedTwin => TwinKind::Generalized,
        ManifestKind::PseudonymizedTwin => TwinKind::Pseudonymized,
        ManifestKind::SyntheticTwin => TwinKind::Synthetic,
    }
}
