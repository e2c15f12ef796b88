//! The spec file (TOML): columns with their roles and types, and how the source is read. Later
//! sections (hierarchies, recipients, policy) are read by the crates that own them; this one
//! keeps them untouched.

use crate::column::ValueType;
use crate::error::{Result, TableError};
use crate::table::Table;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The role of a column in a release.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A direct identifier: names the person on its own.
    Identifier,
    /// A quasi-identifier: identifies in combination with others.
    Quasi,
    /// The attribute to protect.
    Sensitive,
    /// Everything else.
    Other,
}

impl Role {
    /// The name used in the CLI, spec and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Identifier => "identifier",
            Role::Quasi => "quasi",
            Role::Sensitive => "sensitive",
            Role::Other => "other",
        }
    }
}

/// How the source table is read, as recorded by `scan`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delimiter: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoding: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missing: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<u64>,
}

/// One column of the spec.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnSpec {
    pub name: toml::Spanned<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub value_type: Option<ValueType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sensitive_category: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hierarchy: Option<String>,
    /// The public domain of the column (categories or numeric bounds), for synthesis.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<toml::Spanned<DomainSpec>>,
}

/// A column's public domain as declared in the spec: the values it can take, known without
/// looking at the data (a code list, a regulation, a form's choices).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DomainSpec {
    /// Every category the column can hold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub categories: Option<Vec<String>>,
    /// Lower bound (a number, or a date for date columns).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<toml::Value>,
    /// Upper bound (inclusive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<toml::Value>,
    /// Number of equal-width bins between min and max.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bins: Option<usize>,
    /// Explicit bin edges, increasing (first = min, last = max).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edges: Option<Vec<f64>>,
    /// Decimal places a synthesized number is written with (public: the source's precision).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decimals: Option<u32>,
}

/// A spec file.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Spec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<SourceSpec>,
    #[serde(default)]
    pub columns: Vec<ColumnSpec>,
    /// Sections owned by other crates, kept as they are.
    #[serde(flatten)]
    pub rest: toml::Table,
    #[serde(skip)]
    pub path: PathBuf,
    #[serde(skip)]
    text: String,
}

/// 1-based line and column of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

impl Spec {
    /// Reads and parses a spec file; syntax errors name the line and column.
    pub fn load(path: &Path) -> Result<Spec> {
        let text = std::fs::read_to_string(path).map_err(|e| TableError::io(path, e))?;
        Self::parse(path, text)
    }

    /// Parses spec text read from `path`.
    pub fn parse(path: &Path, text: String) -> Result<Spec> {
        let mut spec: Spec = toml::from_str(&text).map_err(|e| {
            let (line, column) = e.span().map_or((1, 1), |s| line_col(&text, s.start));
            TableError::Spec {
                path: path.into(),
                line,
                column,
                message: e.message().to_owned(),
            }
        })?;
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (i, c) in spec.columns.iter().enumerate() {
            if let Some(_first) = seen.insert(c.name.get_ref(), i) {
                let (line, column) = line_col(&text, c.name.span().start);
                return Err(TableError::Spec {
                    path: path.into(),
                    line,
                    column,
                    message: format!("column {:?} is listed twice", c.name.get_ref()),
                });
            }
        }
        spec.path = path.to_path_buf();
        spec.text = text;
        Ok(spec)
    }

    /// Checks that every column the spec names exists in the table.
    pub fn check_columns(&self, table: &Table) -> Result<()> {
        for c in &self.columns {
            if table.index_of(c.name.get_ref()).is_err() {
                let (line, column) = line_col(&self.text, c.name.span().start);
                return Err(TableError::Spec {
                    path: self.path.clone(),
                    line,
                    column,
                    message: format!(
                        "column {:?} is not in the table (it has: {})",
                        c.name.get_ref(),
                        table.column_names().join(", ")
                    ),
                });
            }
        }
        Ok(())
    }

    /// Where a column is named in the spec, for messages about it.
    pub fn locate(&self, name: &str) -> Option<(usize, usize)> {
        self.columns
            .iter()
            .find(|c| c.name.get_ref() == name)
            .map(|c| line_col(&self.text, c.name.span().start))
    }

    /// The 1-based line and column of a byte offset in the spec text (e.g. a value's span).
    pub fn position(&self, offset: usize) -> (usize, usize) {
        line_col(&self.text, offset)
    }

    /// The first 1-based line at or after line `from` that contains `needle`.
    pub fn line_of_from(&self, from: usize, needle: &str) -> Option<usize> {
        self.text
            .lines()
            .enumerate()
            .skip(from.saturating_sub(1))
            .find(|(_, l)| l.contains(needle))
            .map(|(i, _)| i + 1)
    }

    /// The 1-based line where `needle` (e.g. a section header) first appears in the spec text.
    pub fn line_of(&self, needle: &str) -> Option<usize> {
        self.text
            .find(needle)
            .map(|off| line_col(&self.text, off).0)
    }

    /// The declared type of each column that has one.
    pub fn declared_types(&self) -> HashMap<String, ValueType> {
        self.columns
            .iter()
            .filter_map(|c| c.value_type.map(|t| (c.name.get_ref().clone(), t)))
            .collect()
    }

    /// The declared role of a column.
    pub fn role_of(&self, name: &str) -> Option<Role> {
        self.columns
            .iter()
            .find(|c| c.name.get_ref() == name)
            .and_then(|c| c.role)
    }

    /// A spec built in memory (e.g. a draft written by `scan`).
    pub fn new(source: Option<SourceSpec>, columns: Vec<ColumnSpec>) -> Spec {
        Spec {
            source,
            columns,
            ..Default::default()
        }
    }

    /// Serialises the spec as TOML.
    pub fn to_toml(&self) -> Result<String> {
        toml::to_string_pretty(self).map_err(|e| TableError::Invalid(format!("spec: {e}")))
    }
}

/// A column entry for a spec being written (e.g. by `scan --write-spec`).
pub fn column_spec(name: &str) -> ColumnSpec {
    ColumnSpec {
        name: toml::Spanned::new(0..0, name.to_owned()),
        role: None,
        value_type: None,
        kind: None,
        sensitive_category: None,
        confidence: None,
        evidence: None,
        hierarchy: None,
        domain: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_line_and_column() {
        let text = "[[columns]]\nname = \"a\"\nrole = \"boss\"\n".to_owned();
        let e = Spec::parse(Path::new("s.toml"), text)
            .unwrap_err()
            .to_string();
        assert!(e.contains("s.toml: line 3"), "{e}");
        let text = "[[columns]]\nname = \"a\"\n[[columns]]\nname = \"a\"\n".to_owned();
        let e = Spec::parse(Path::new("s.toml"), text)
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 4") && e.contains("twice"), "{e}");
    }

    #[test]
    fn round_trips_and_keeps_other_sections() {
        let text = "[[columns]]\nname = \"age\"\nrole = \"quasi\"\ntype = \"integer\"\n\n[policy]\nk = 5\n";
        let s = Spec::parse(Path::new("s.toml"), text.to_owned()).unwrap();
        assert_eq!(s.role_of("age"), Some(Role::Quasi));
        assert_eq!(s.declared_types()["age"], ValueType::Integer);
        let again = Spec::parse(Path::new("t.toml"), s.to_toml().unwrap()).unwrap();
        assert_eq!(again.rest["policy"]["k"].as_integer(), Some(5));
        assert_eq!(again.columns.len(), 1);
    }
}
