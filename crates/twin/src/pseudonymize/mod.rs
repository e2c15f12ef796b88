//! Pseudonymized twins: each column tokenised, encrypted, format-preservingly encrypted, masked,
//! dropped, generalised or date-shifted with the recipient's keys from the vault; and the
//! reverse direction for an approved relink. The twin stays personal information.

pub mod formats;
pub mod plan;
pub mod redact;

use crate::error::{invalid, Result};
use datavisa_table::column::format_number;
use datavisa_table::date::{
    civil_from_days, format_date, format_datetime, parse_date, parse_datetime,
};
use datavisa_table::{CatData, Column, ColumnData, Dictionary, Table, ValueType, MISSING};
use datavisa_vault::{Authorized, DomainKeys, IndexEntry, KeyRef};
use formats::{fpe, mask, normalize};
use hashbrown::HashMap;
use plan::{ColumnPlan, DateUnit, Method, OnInvalid};
use rayon::prelude::*;
use redact::{redact_text, Placeholders, RedactCounts, SpanMethod};
use serde::Serialize;
use std::sync::Arc;

/// The statement every pseudonymized twin carries.
pub const LEGAL_STATUS: &str = "De-identified personal information (PIPL Art. 73(3)): it can be \
attributed to a person with the additional information kept in the vault, so it remains personal \
information and its export needs consent, a PIPIA and a transfer mechanism.";

/// A column as transformed.
#[derive(Clone, Debug, Serialize)]
pub struct AppliedColumn {
    #[serde(flatten)]
    pub plan: ColumnPlan,
    /// The key used (id, recipient, domain, version), never the key itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<KeyRef>,
    /// Values that could not be transformed and were written as missing.
    pub suppressed: u64,
    /// For a redacted column: identifiers replaced, by kind (never the identifiers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redacted: Option<RedactCounts>,
}

/// The result of pseudonymizing a table.
pub struct Applied {
    pub table: Table,
    pub columns: Vec<AppliedColumn>,
    /// Token index rows for the vault: (key id, entry).
    pub index: Vec<(i64, IndexEntry)>,
}

/// The identifier domains whose keys `plans` need.
pub fn domains_needed(plans: &[ColumnPlan]) -> Vec<String> {
    let mut out: Vec<String> = plans.iter().filter_map(|p| p.domain.clone()).collect();
    for p in plans {
        if let Method::DateShift { person, .. } = &p.method {
            out.push(shift_domain(plans, person));
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The key domain of a date-shift: the person column's own domain, so one person's dates move
/// together in every twin for that recipient.
fn shift_domain(plans: &[ColumnPlan], person: &str) -> String {
    plans
        .iter()
        .find(|p| p.column == person)
        .and_then(|p| p.domain.clone().or_else(|| p.kind.clone()))
        .unwrap_or_else(|| format!("date-shift:{person}"))
}

/// A column's values as text codes (numbers formatted as they are written out).
fn as_text(col: &Column) -> std::borrow::Cow<'_, CatData> {
    use std::borrow::Cow;
    match &col.data {
        ColumnData::Categorical(c) => Cow::Borrowed(c),
        ColumnData::Numeric(v) => {
            let mut dict = Dictionary::new();
            let codes = v
                .iter()
                .map(|&x| format_number(x, col.value_type).map_or(MISSING, |s| dict.intern(&s)))
                .collect();
            Cow::Owned(CatData::new(codes, Arc::new(dict)))
        }
    }
}

type Outcome = std::result::Result<String, String>;

/// Rebuilds a column from per-code outcomes; failures become missing (the caller has already
/// refused them when the plan says `error`). Outcomes of an injective method (keyed ones) are
/// distinct already and are laid out without hashing.
fn rebuild(name: &str, cat: &CatData, outcomes: &[Outcome], injective: bool) -> (Column, u64) {
    let (dict, remap) = if injective {
        let mut next = 0u32;
        let remap: Vec<u32> = outcomes
            .iter()
            .map(|o| {
                o.as_ref().map_or(MISSING, |_| {
                    next += 1;
                    next - 1
                })
            })
            .collect();
        let dict = Dictionary::from_distinct(outcomes.iter().filter_map(|o| o.as_ref().ok()));
        (dict, remap)
    } else {
        let mut dict = Dictionary::new();
        let remap = outcomes
            .iter()
            .map(|o| o.as_ref().map_or(MISSING, |s| dict.intern(s)))
            .collect();
        (dict, remap)
    };
    let codes: Vec<u32> = cat
        .codes()
        .par_iter()
        .map(|&c| {
            if c == MISSING {
                MISSING
            } else {
                remap[c as usize]
            }
        })
        .collect();
    // Counting rows needs a pass over the codes only when some value failed.
    let suppressed = if outcomes.iter().all(|o| o.is_ok()) {
        0
    } else {
        cat.codes()
            .iter()
            .filter(|&&c| c != MISSING && outcomes[c as usize].is_err())
            .count() as u64
    };
    (text_column(name, codes, dict), suppressed)
}

fn text_column(name: &str, codes: Vec<u32>, dict: Dictionary) -> Column {
    Column {
        name: name.to_owned(),
        value_type: ValueType::Categorical,
        data: ColumnData::Categorical(CatData::new(codes, Arc::new(dict))),
        evidence: Default::default(),
    }
}

/// Refuses the column when values failed and the plan says `error`: names up to five lines.
fn check_outcomes(
    table: &Table,
    plan: &ColumnPlan,
    cat: &CatData,
    outcomes: &[Outcome],
) -> Result<()> {
    if plan.on_invalid == OnInvalid::Suppress || outcomes.iter().all(|o| o.is_ok()) {
        return Ok(());
    }
    let codes = cat.codes();
    let bad: Vec<usize> = (0..codes.len())
        .filter(|&r| codes[r] != MISSING && outcomes[codes[r] as usize].is_err())
        .collect();
    let file = table
        .origin
        .path
        .as_ref()
        .map_or("input".to_owned(), |p| p.display().to_string());
    let shown: Vec<String> = bad
        .iter()
        .take(5)
        .map(|&r| {
            let why = outcomes[codes[r] as usize]
                .as_ref()
                .err()
                .cloned()
                .unwrap_or_default();
            format!("line {}: {why}", table.origin.row_lines.line_of(r))
        })
        .collect();
    Err(invalid(format!(
        "{file}: column {:?}: {} of {} values cannot be transformed with {} and would leave in clear; \
         fix them or set on_invalid = \"suppress\" in [pseudonymize.{}]:\n  {}",
        plan.column,
        bad.len(),
        codes.iter().filter(|&&c| c != MISSING).count(),
        plan.method.name(),
        plan.column,
        shown.join("\n  ")
    )))
}

/// Transforms every distinct value of a column in parallel.
fn per_value(cat: &CatData, f: impl Fn(&str) -> Outcome + Sync) -> Vec<Outcome> {
    (0..cat.dict().len() as u32)
        .into_par_iter()
        .map(|c| f(cat.dict().get(c)))
        .collect()
}

fn generalize_date(v: &str, to: DateUnit) -> Outcome {
    let days = parse_date(v)
        .or_else(|| parse_datetime(v).map(|s| (s / 86_400.0).floor() as i64))
        .ok_or_else(|| "not a date".to_owned())?;
    let (y, m, _) = civil_from_days(days);
    Ok(match to {
        DateUnit::Year => format!("{y:04}"),
        DateUnit::Month => format!("{y:04}-{m:02}"),
    })
}

fn shift_date(v: &str, days: i64) -> Outcome {
    if let Some(d) = parse_date(v) {
        return Ok(format_date(d + days));
    }
    parse_datetime(v)
        .map(|s| format_datetime(s + days as f64 * 86_400.0))
        .ok_or_else(|| "not a date".to_owned())
}

/// Applies `plans` to `table` with `keys` (by domain). Refuses, naming the lines, when a value
/// cannot be transformed and its column says `on_invalid = "error"`.
pub fn pseudonymize(
    table: &Table,
    plans: &[ColumnPlan],
    keys: &HashMap<String, DomainKeys>,
) -> Result<Applied> {
    let key_of = |domain: &str| {
        keys.get(domain)
            .ok_or_else(|| invalid(format!("no key for domain {domain:?}")))
    };
    let mut columns = Vec::new();
    let mut applied = Vec::new();
    let mut index = Vec::new();
    for p in plans {
        let col = table.column(&p.column)?;
        let cat = as_text(col);
        let kind = p.kind.as_deref();
        let mut key = None;
        let outcomes: Vec<Outcome> = match &p.method {
            Method::Keep => {
                columns.push(col.clone());
                applied.push(AppliedColumn {
                    plan: p.clone(),
                    key,
                    suppressed: 0,
                    redacted: None,
                });
                continue;
            }
            Method::Drop => {
                applied.push(AppliedColumn {
                    plan: p.clone(),
                    key,
                    suppressed: 0,
                    redacted: None,
                });
                continue;
            }
            Method::Token => {
                let k = key_of(p.domain.as_deref().unwrap_or_default())?;
                key = Some(k.key_ref.clone());
                let entries: Vec<IndexEntry> = (0..cat.dict().len() as u32)
                    .into_par_iter()
                    .map(|c| k.index_entry(&normalize(kind, cat.dict().get(c))))
                    .collect();
                let out = entries
                    .iter()
                    .map(|e| Ok(datavisa_vault::crypto::hex(&e.token)))
                    .collect();
                index.extend(entries.into_iter().map(|e| (k.key_ref.key_id, e)));
                out
            }
            Method::Encrypt => {
                let k = key_of(p.domain.as_deref().unwrap_or_default())?;
                key = Some(k.key_ref.clone());
                (0..cat.dict().len() as u32)
                    .into_par_iter()
                    .map_init(
                        || k.sealer(),
                        |s, c| {
                            s.seal(&normalize(kind, cat.dict().get(c)))
                                .map_err(|e| e.to_string())
                        },
                    )
                    .collect()
            }
            Method::Fpe {
                format,
                keep_prefix,
            } => {
                let k = key_of(p.domain.as_deref().unwrap_or_default())?;
                key = Some(k.key_ref.clone());
                per_value(&cat, |v| fpe(k, *format, *keep_prefix, v, false))
            }
            Method::Mask {
                keep_prefix,
                keep_suffix,
                mask_char,
            } => per_value(&cat, |v| {
                Ok(mask(v, *keep_prefix, *keep_suffix, *mask_char))
            }),
            Method::GeneralizeDate { to } => per_value(&cat, |v| generalize_date(v, *to)),
            Method::DateShift { person, max_days } => {
                let k = key_of(&shift_domain(plans, person))?;
                key = Some(k.key_ref.clone());
                let (column, suppressed) = date_shift(table, p, &cat, person, *max_days, k, plans)?;
                columns.push(column);
                applied.push(AppliedColumn {
                    plan: p.clone(),
                    key,
                    suppressed,
                    redacted: None,
                });
                continue;
            }
            Method::Redact { placeholder, spans } => {
                let same = same_methods(plans, p, *spans, keys);
                let r = redact_column(&cat, *placeholder, &same);
                index.extend(r.index);
                let (column, _) = rebuild(&p.column, &cat, &r.outcomes, false);
                columns.push(column);
                applied.push(AppliedColumn {
                    plan: p.clone(),
                    key,
                    suppressed: 0,
                    redacted: Some(r.counts),
                });
                continue;
            }
        };
        check_outcomes(table, p, &cat, &outcomes)?;
        let (column, suppressed) = rebuild(&p.column, &cat, &outcomes, p.method.is_keyed());
        columns.push(column);
        applied.push(AppliedColumn {
            plan: p.clone(),
            key,
            suppressed,
            redacted: None,
        });
    }
    let mut out = Table::new(columns)?;
    out.origin.row_lines = table.origin.row_lines.clone();
    Ok(Applied {
        table: out,
        columns: applied,
        index,
    })
}

/// For `spans = "same"`: per kind, the plan (and its key) of the recipe's column of that kind
/// whose method can take one value on its own (token, encrypt, fpe, mask).
fn same_methods<'a>(
    plans: &'a [ColumnPlan],
    this: &ColumnPlan,
    spans: SpanMethod,
    keys: &'a HashMap<String, DomainKeys>,
) -> Vec<(
    datavisa_discover::Kind,
    &'a ColumnPlan,
    Option<&'a DomainKeys>,
)> {
    if spans == SpanMethod::Placeholder {
        return Vec::new();
    }
    let mut out = Vec::new();
    for p in plans.iter().filter(|p| p.column != this.column) {
        let Some(kind) = p.kind.as_deref().and_then(datavisa_discover::Kind::parse) else {
            continue;
        };
        let usable = matches!(
            p.method,
            Method::Token | Method::Encrypt | Method::Fpe { .. } | Method::Mask { .. }
        );
        let key = p.domain.as_deref().and_then(|d| keys.get(d));
        if usable
            && (key.is_some() || !p.method.is_keyed())
            && !out.iter().any(|x: &(_, _, _)| x.0 == kind)
        {
            out.push((kind, p, key));
        }
    }
    out
}

/// One identifier through its column's method; None when the method cannot take it (the
/// caller then writes the placeholder, so nothing is left in clear).
fn same_value(
    p: &ColumnPlan,
    k: Option<&DomainKeys>,
    v: &str,
) -> Option<(String, Option<IndexEntry>)> {
    let kind = p.kind.as_deref();
    match (&p.method, k) {
        (Method::Token, Some(k)) => {
            let e = k.index_entry(&normalize(kind, v));
            Some((datavisa_vault::crypto::hex(&e.token), Some(e)))
        }
        (Method::Encrypt, Some(k)) => k.sealer().seal(&normalize(kind, v)).ok().map(|c| (c, None)),
        (
            Method::Fpe {
                format,
                keep_prefix,
            },
            Some(k),
        ) => fpe(k, *format, *keep_prefix, v, false)
            .ok()
            .map(|c| (c, None)),
        (
            Method::Mask {
                keep_prefix,
                keep_suffix,
                mask_char,
            },
            _,
        ) => Some((mask(v, *keep_prefix, *keep_suffix, *mask_char), None)),
        _ => None,
    }
}

/// A redacted column: per distinct value its text, the token index entries its pseudonyms need,
/// and the identifiers replaced by kind over the rows.
struct Redacted {
    outcomes: Vec<Outcome>,
    index: Vec<(i64, IndexEntry)>,
    counts: RedactCounts,
}

fn redact_column(
    cat: &CatData,
    style: Placeholders,
    same: &[(datavisa_discover::Kind, &ColumnPlan, Option<&DomainKeys>)],
) -> Redacted {
    type One = (String, Vec<datavisa_discover::Kind>, Vec<(i64, IndexEntry)>);
    let done: Vec<One> = (0..cat.dict().len() as u32)
        .into_par_iter()
        .map(|c| {
            let mut entries = Vec::new();
            let (text, kinds) = redact_text(cat.dict().get(c), style, |kind, v| {
                let (p, k) = same.iter().find(|x| x.0 == kind).map(|x| (x.1, x.2))?;
                let (out, entry) = same_value(p, k, v)?;
                if let (Some(e), Some(k)) = (entry, k) {
                    entries.push((k.key_ref.key_id, e));
                }
                Some(out)
            });
            (text, kinds, entries)
        })
        .collect();
    let rows = cat.counts();
    let mut counts = RedactCounts::new();
    let mut outcomes = Vec::with_capacity(done.len());
    let mut index = Vec::new();
    for (c, (text, kinds, entries)) in done.into_iter().enumerate() {
        for k in kinds {
            *counts.entry(k.as_str().to_owned()).or_insert(0) += rows[c];
        }
        if rows[c] > 0 {
            index.extend(entries);
        }
        outcomes.push(Ok(text));
    }
    Redacted {
        outcomes,
        index,
        counts,
    }
}

/// Shifts each row's date by its person's offset; rows without a person or a date stay missing.
fn date_shift(
    table: &Table,
    p: &ColumnPlan,
    dates: &CatData,
    person: &str,
    max_days: u32,
    k: &DomainKeys,
    plans: &[ColumnPlan],
) -> Result<(Column, u64)> {
    let people = as_text(table.column(person)?);
    let person_kind = plans
        .iter()
        .find(|x| x.column == person)
        .and_then(|x| x.kind.as_deref());
    let offsets: Vec<i64> = (0..people.dict().len() as u32)
        .into_par_iter()
        .map(|c| k.shift_days(&normalize(person_kind, people.dict().get(c)), max_days))
        .collect();
    let parsed: Vec<Outcome> = per_value(dates, |v| shift_date(v, 0).map(|_| v.to_owned()));
    check_outcomes(table, p, dates, &parsed)?;
    let mut dict = Dictionary::new();
    let mut suppressed = 0u64;
    let codes = dates
        .codes()
        .iter()
        .zip(people.codes())
        .map(|(&d, &who)| {
            if d == MISSING || who == MISSING {
                return MISSING;
            }
            match shift_date(dates.dict().get(d), offsets[who as usize]) {
                Ok(s) => dict.intern(&s),
                Err(_) => {
                    suppressed += 1;
                    MISSING
                }
            }
        })
        .collect();
    Ok((text_column(&p.column, codes, dict), suppressed))
}

/// Turns pseudonyms of an approved relink back into values (None where the pseudonym is not one
/// of this column's).
pub fn reverse(auth: &Authorized) -> Result<Vec<(String, Option<String>)>> {
    let params = &auth.column.params;
    let method = params
        .get("method")
        .and_then(|m| m.as_str())
        .unwrap_or(&auth.column.method);
    let out = match method {
        "token" => {
            let found = auth
                .token_values(&auth.pseudonyms)
                .map_err(|e| invalid(e.to_string()))?;
            auth.pseudonyms
                .iter()
                .zip(found)
                .map(|(t, v)| (t.clone(), v.map(|v| v.to_string())))
                .collect()
        }
        "encrypt" => {
            let mut s = auth.keys.sealer();
            auth.pseudonyms
                .iter()
                .map(|t| (t.clone(), s.open(t).ok().map(|v| v.to_string())))
                .collect()
        }
        "fpe" => {
            let format: formats::FpeFormat = params
                .get("format")
                .and_then(|f| serde_json::from_value(f.clone()).ok())
                .ok_or_else(|| invalid("the twin's record lacks its fpe format"))?;
            let keep = params
                .get("keep_prefix")
                .and_then(|k| k.as_u64())
                .unwrap_or(0) as usize;
            let keys = &auth.keys;
            auth.pseudonyms
                .par_iter()
                .map(|t| (t.clone(), fpe(keys, format, keep, t, true).ok()))
                .collect()
        }
        other => return Err(invalid(format!("{other:?} columns cannot be relinked"))),
    };
    Ok(out)
}
