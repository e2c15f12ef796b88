//! Which method each column gets: from the spec's `[pseudonymize.<column>]` sections, else from
//! the column's kind (declared in the spec or found by `scan`), else kept as it is.

use super::formats::FpeFormat;
use super::redact::{Placeholders, SpanMethod};
use crate::error::{invalid, Result};
use datavisa_discover::Protection;
use datavisa_table::{Role, Spec, Table};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Granularity of `generalize-date`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DateUnit {
    Year,
    Month,
}

/// A column's transformation.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "method", rename_all = "kebab-case")]
pub enum Method {
    /// Keyed HMAC-SHA-256 pseudonym; relinkable only through the vault's token index.
    Token,
    /// Deterministic authenticated encryption (AES-SIV); reversible with the key.
    Encrypt,
    /// Format-preserving encryption (FF1), check characters rebuilt.
    Fpe {
        format: FpeFormat,
        keep_prefix: usize,
    },
    /// Characters kept at both ends, the rest masked.
    Mask {
        keep_prefix: usize,
        keep_suffix: usize,
        mask_char: char,
    },
    /// Column removed from the twin.
    Drop,
    /// Date reduced to its year or month.
    GeneralizeDate { to: DateUnit },
    /// Date moved by a per-person offset (same offset for all of one person's dates).
    DateShift { person: String, max_days: u32 },
    /// Free text kept with the identifiers found inside it replaced (see [`super::redact`]).
    Redact {
        placeholder: Placeholders,
        spans: SpanMethod,
    },
    /// Copied unchanged.
    Keep,
}

impl Method {
    /// True for methods that need a key from the vault.
    pub fn is_keyed(&self) -> bool {
        matches!(self, Method::Token | Method::Encrypt | Method::Fpe { .. })
    }

    /// Whether the method a manifest names is keyed: its output is tokens or ciphertext that
    /// no one knows without the keys (see [`Method::is_keyed`]).
    pub fn is_keyed_name(name: &str) -> bool {
        matches!(name, "token" | "encrypt" | "fpe")
    }

    /// The method's name as in the spec.
    pub fn name(&self) -> &'static str {
        match self {
            Method::Token => "token",
            Method::Encrypt => "encrypt",
            Method::Fpe { .. } => "fpe",
            Method::Mask { .. } => "mask",
            Method::Drop => "drop",
            Method::GeneralizeDate { .. } => "generalize-date",
            Method::DateShift { .. } => "date-shift",
            Method::Redact { .. } => "redact",
            Method::Keep => "keep",
        }
    }
}

/// What to do with a value the method cannot transform (e.g. a malformed ID under `fpe`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OnInvalid {
    /// Stop and report the rows; nothing is written.
    Error,
    /// Write a missing value instead and count it in the manifest.
    Suppress,
}

/// The decided treatment of one column.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ColumnPlan {
    pub column: String,
    #[serde(flatten)]
    pub method: Method,
    /// Identifier domain of the key (keyed methods only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// Kind of personal information, when known (drives normalisation).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    pub on_invalid: OnInvalid,
    /// Where the decision came from: `spec`, `spec kind`, `scan` or `default`.
    pub decided_by: String,
}

/// A `[pseudonymize.<column>]` section.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    method: String,
    format: Option<String>,
    keep_prefix: Option<usize>,
    keep_suffix: Option<usize>,
    mask_char: Option<char>,
    domain: Option<String>,
    to: Option<String>,
    person: Option<String>,
    max_days: Option<u32>,
    on_invalid: Option<String>,
    placeholder: Option<String>,
    spans: Option<String>,
}

const METHODS: &str = "token, encrypt, fpe, mask, drop, generalize-date, date-shift, redact, keep";

/// The method a kind of personal information gets when nobody said otherwise: the default
/// protection its detector declares (`datavisa_discover::detect`), as a method. None for kinds
/// this release does not know and for those whose role decides.
pub fn default_method(kind: &str) -> Option<Method> {
    let k = datavisa_discover::Kind::parse(kind)?;
    method_of_protection(datavisa_discover::detect::protection_of(k))
}

/// A declared protection as the method that applies it.
pub fn method_of_protection(p: Protection) -> Option<Method> {
    Some(match p {
        Protection::Fpe { format } => {
            let format = fpe_format(format)?;
            Method::Fpe {
                format,
                keep_prefix: format.default_keep(),
            }
        }
        Protection::Token => Method::Token,
        Protection::Encrypt => Method::Encrypt,
        Protection::Mask {
            keep_prefix,
            keep_suffix,
        } => Method::Mask {
            keep_prefix,
            keep_suffix,
            mask_char: '*',
        },
        Protection::GeneralizeDateToYear => Method::GeneralizeDate { to: DateUnit::Year },
        Protection::Drop => Method::Drop,
        Protection::ByRole => return None,
    })
}

fn fpe_format(name: &str) -> Option<FpeFormat> {
    Some(match name {
        "cn_resident_id" | "resident_id" => FpeFormat::CnResidentId,
        "cn_mobile" | "mobile" => FpeFormat::CnMobile,
        "bank_card" => FpeFormat::BankCard,
        "imei" => FpeFormat::Imei,
        "digits" | "cn_landline" => FpeFormat::Digits,
        _ => return None,
    })
}

/// Builds the method of one spec entry; `kind` fills in an fpe format left unsaid.
fn method_of(
    column: &str,
    e: &Entry,
    kind: Option<&str>,
    table: &Table,
) -> std::result::Result<Method, String> {
    Ok(match e.method.as_str() {
        "token" => Method::Token,
        "encrypt" => Method::Encrypt,
        "fpe" => {
            let name = e.format.as_deref().or(kind).ok_or_else(|| {
                "fpe needs a format (cn_resident_id, cn_mobile, bank_card, imei, digits)".to_owned()
            })?;
            let format = fpe_format(name).ok_or_else(|| {
                format!("unknown fpe format {name:?} (cn_resident_id, cn_mobile, bank_card, imei, digits)")
            })?;
            Method::Fpe {
                format,
                keep_prefix: e.keep_prefix.unwrap_or(format.default_keep()),
            }
        }
        "mask" => Method::Mask {
            keep_prefix: e.keep_prefix.unwrap_or(0),
            keep_suffix: e.keep_suffix.unwrap_or(0),
            mask_char: e.mask_char.unwrap_or('*'),
        },
        "drop" => Method::Drop,
        "generalize-date" => Method::GeneralizeDate {
            to: match e.to.as_deref().unwrap_or("year") {
                "year" => DateUnit::Year,
                "month" => DateUnit::Month,
                other => {
                    return Err(format!(
                        "generalize-date goes to \"year\" or \"month\", not {other:?}"
                    ))
                }
            },
        },
        "date-shift" => {
            let person = e
                .person
                .clone()
                .ok_or("date-shift needs person = \"<column>\" (whose dates move together)")?;
            if table.index_of(&person).is_err() {
                return Err(format!(
                    "date-shift person column {person:?} is not in the table"
                ));
            }
            Method::DateShift {
                person,
                max_days: e.max_days.unwrap_or(180).max(1),
            }
        }
        "redact" => {
            text_column(column, table)?;
            let style = e.placeholder.as_deref().unwrap_or("zh");
            let spans = e.spans.as_deref().unwrap_or("placeholder");
            Method::Redact {
                placeholder: Placeholders::parse(style).ok_or_else(|| {
                    format!("unknown placeholder style {style:?} for redact (zh, en)")
                })?,
                spans: SpanMethod::parse(spans).ok_or_else(|| {
                    format!("redact spans are \"placeholder\" or \"same\", not {spans:?}")
                })?,
            }
        }
        "keep" => Method::Keep,
        other => {
            return Err(format!(
                "unknown method {other:?} for column {column:?} (methods: {METHODS})"
            ))
        }
    })
}

/// Refuses redaction of a column that is not text: numbers and dates hold no identifier
/// inside them to find (tokenize, mask or generalize such a column instead).
fn text_column(column: &str, table: &Table) -> std::result::Result<(), String> {
    use datavisa_table::infer::{parse_value, Parsed};
    let col = table.column(column).map_err(|e| e.to_string())?;
    let (values, _) = col
        .value_counts()
        .into_iter()
        .unzip::<_, _, Vec<String>, Vec<u64>>();
    let parsed: Vec<Parsed> = values.iter().map(|v| parse_value(v)).collect();
    let numbers = parsed
        .iter()
        .all(|p| matches!(p, Parsed::Integer(_) | Parsed::Float(_)));
    let dates = parsed
        .iter()
        .all(|p| matches!(p, Parsed::Date(_) | Parsed::Datetime(_)));
    if values.is_empty() || !(numbers || dates) {
        return Ok(());
    }
    let what = if numbers { "numbers" } else { "dates" };
    Err(format!(
        "redact finds identifiers inside free text, but column {column:?} holds only {what}; \
         use token, mask or generalize-date for it"
    ))
}

/// Decides every column's treatment. `scanned` gives kinds found by `scan` for columns the
/// spec does not describe.
pub fn plan(
    table: &Table,
    spec: Option<&Spec>,
    scanned: &BTreeMap<String, String>,
) -> Result<Vec<ColumnPlan>> {
    let entries = spec_entries(table, spec)?;
    let mut out = Vec::with_capacity(table.columns.len());
    for c in &table.columns {
        let name = c.name.as_str();
        let spec_kind = spec.and_then(|s| {
            s.columns
                .iter()
                .find(|x| x.name.get_ref() == name)
                .and_then(|x| x.kind.clone())
        });
        let kind = spec_kind.clone().or_else(|| scanned.get(name).cloned());
        let role = spec.and_then(|s| s.role_of(name));
        let (method, decided_by, entry) = if let Some(e) = entries.get(name) {
            let m = method_of(name, e, kind.as_deref(), table)
                .map_err(|m| spec_error(spec, name, m))?;
            (m, "spec".to_owned(), Some(e))
        } else if let Some(m) = kind.as_deref().and_then(default_method) {
            let by = if spec_kind.is_some() {
                "spec kind"
            } else {
                "scan"
            };
            (
                m,
                format!("{by}: {}", kind.as_deref().unwrap_or_default()),
                None,
            )
        } else if role == Some(Role::Identifier) {
            (Method::Token, "spec role: identifier".to_owned(), None)
        } else {
            (Method::Keep, "default: not an identifier".to_owned(), None)
        };
        let domain = method.is_keyed().then(|| {
            entry
                .and_then(|e| e.domain.clone())
                .or_else(|| kind.clone())
                .unwrap_or_else(|| name.to_owned())
        });
        let on_invalid = match entry.and_then(|e| e.on_invalid.as_deref()) {
            None | Some("error") => OnInvalid::Error,
            Some("suppress") => OnInvalid::Suppress,
            Some(o) => {
                return Err(spec_error(
                    spec,
                    name,
                    format!("on_invalid is \"error\" or \"suppress\", not {o:?}"),
                ))
            }
        };
        out.push(ColumnPlan {
            column: name.to_owned(),
            method,
            domain,
            kind,
            on_invalid,
            decided_by,
        });
    }
    Ok(out)
}

fn spec_error(spec: Option<&Spec>, column: &str, message: String) -> crate::TwinError {
    let Some(s) = spec else {
        return invalid(message);
    };
    let line = s
        .line_of(&format!("[pseudonymize.{column}]"))
        .or_else(|| s.line_of(&format!("[pseudonymize.\"{column}\"]")))
        .map_or(String::new(), |l| format!(":{l}"));
    invalid(format!(
        "{}{line}: [pseudonymize.{column}]: {message}",
        s.path.display()
    ))
}

/// The spec's `[pseudonymize.<column>]` sections, each naming a column of the table.
fn spec_entries(table: &Table, spec: Option<&Spec>) -> Result<BTreeMap<String, Entry>> {
    let Some(s) = spec else {
        return Ok(BTreeMap::new());
    };
    let Some(section) = s.rest.get("pseudonymize") else {
        return Ok(BTreeMap::new());
    };
    let t = section.as_table().ok_or_else(|| {
        invalid(format!(
            "{}: [pseudonymize] must be a table of columns",
            s.path.display()
        ))
    })?;
    let mut out = BTreeMap::new();
    for (col, v) in t {
        if table.index_of(col).is_err() {
            return Err(spec_error(
                spec,
                col,
                format!(
                    "column {col:?} is not in the table (it has: {})",
                    table.column_names().join(", ")
                ),
            ));
        }
        let e: Entry = v
            .clone()
            .try_into()
            .map_err(|e: toml::de::Error| spec_error(spec, col, e.message().to_owned()))?;
        out.insert(col.clone(), e);
    }
    Ok(out)
}

#[cfg(test)]
mod keyed_tests {
    use super::*;

    #[test]
    fn keyed_names_agree_with_keyed_methods() {
        let all = [
            Method::Token,
            Method::Encrypt,
            Method::Fpe {
                format: FpeFormat::CnResidentId,
                keep_prefix: 0,
            },
            Method::Mask {
                keep_prefix: 0,
                keep_suffix: 0,
                mask_char: '*',
            },
            Method::Drop,
            Method::GeneralizeDate { to: DateUnit::Year },
            Method::DateShift {
                person: "p".into(),
                max_days: 1,
            },
            Method::Redact {
                placeholder: Placeholders::Zh,
                spans: SpanMethod::Same,
            },
            Method::Keep,
        ];
        for m in all {
            assert_eq!(
                Method::is_keyed_name(m.name()),
                m.is_keyed(),
                "{}",
                m.name()
            );
        }
    }
}
