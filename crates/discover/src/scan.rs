//! `scan`: per column, its kind of personal information, role, sensitive category, confidence
//! and evidence; for the table, the sensitive categories present and a spec draft.

use crate::detect::*;
use crate::hint;
use crate::kinds::{Kind, SensitiveCategory};
use crate::vocab::hints;
use datavisa_table::{
    spec::column_spec, Column, ColumnData, Role, SourceSpec, Spec, Table, ValueType,
};
use serde::Serialize;

/// What `scan` concluded about one column.
#[derive(Clone, Debug, Serialize)]
pub struct ColumnFinding {
    pub name: String,
    #[serde(rename = "type")]
    pub value_type: ValueType,
    pub kind: Option<Kind>,
    pub role: Role,
    pub sensitive_category: Option<SensitiveCategory>,
    pub confidence: f64,
    pub evidence: String,
    /// For free text: the kinds and categories found inside its values.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub found_inside: Vec<String>,
    pub missing_share: f64,
    pub distinct: u64,
}

/// One sensitive category and the columns that hold it.
#[derive(Clone, Debug, Serialize)]
pub struct CategoryColumns {
    pub category: SensitiveCategory,
    pub columns: Vec<String>,
}

/// The scan of one table.
#[derive(Clone, Debug, Serialize)]
pub struct ScanReport {
    pub file: String,
    pub rows: u64,
    pub columns: Vec<ColumnFinding>,
    pub sensitive_categories: Vec<CategoryColumns>,
    /// Rows of people under 14 on the reference date (PIPL Art. 28: all their PI is sensitive).
    pub minors_under_14: u64,
    pub reference_date: String,
    pub sample_size: usize,
    pub seed: u64,
    pub tool_version: &'static str,
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Scans every column of a table.
pub fn scan(table: &Table, file: &str, opts: &ScanOptions) -> ScanReport {
    table.encode_all();
    let mut minors_rows = 0u64;
    let mut columns: Vec<ColumnFinding> = table
        .columns
        .iter()
        .map(|c| {
            let (f, m) = scan_column(c, table.n_rows, opts);
            minors_rows = minors_rows.max(m);
            f
        })
        .collect();
    mark_coordinate_pairs(table, &mut columns);
    let mut cats: Vec<CategoryColumns> = Vec::new();
    for c in &columns {
        if let Some(cat) = c.sensitive_category {
            match cats.iter_mut().find(|x| x.category == cat) {
                Some(x) => x.columns.push(c.name.clone()),
                None => cats.push(CategoryColumns {
                    category: cat,
                    columns: vec![c.name.clone()],
                }),
            }
        }
    }
    cats.sort_by_key(|c| c.category);
    ScanReport {
        file: file.to_owned(),
        rows: table.n_rows as u64,
        columns,
        sensitive_categories: cats,
        minors_under_14: minors_rows,
        reference_date: datavisa_table::date::format_date(opts.reference_date),
        sample_size: opts.sample_size,
        seed: opts.seed,
        tool_version: env!("CARGO_PKG_VERSION"),
    }
}

fn best(hits: &[Hit], want_kind: bool, min: f64) -> Option<&Hit> {
    hits.iter()
        .filter(|h| matches!(h.target, Target::Kind(_)) == want_kind && h.confidence >= min)
        .max_by(|a, b| a.confidence.total_cmp(&b.confidence))
}

fn scan_column(col: &Column, n_rows: usize, opts: &ScanOptions) -> (ColumnFinding, u64) {
    let values = Distinct::of(col);
    let missing = col.missing_count() as u64;
    let present = n_rows as u64 - missing;
    let distinct = (0..values.len()).filter(|&i| values.get(i).1 > 0).count() as u64;
    let mut f = ColumnFinding {
        name: col.name.clone(),
        value_type: col.value_type,
        kind: None,
        role: Role::Other,
        sensitive_category: None,
        confidence: 0.0,
        evidence: String::new(),
        found_inside: Vec::new(),
        missing_share: if n_rows == 0 {
            0.0
        } else {
            round3(missing as f64 / n_rows as f64)
        },
        distinct,
    };
    if present == 0 {
        f.evidence = "all values are missing".into();
        f.confidence = 1.0;
        return (f, 0);
    }
    let hits = detect(col, &values, opts);
    let mut evidence: Vec<String> = Vec::new();
    let unique = distinct == present && missing == 0;
    // Sequential unique codes (C00000001, C00000002...) are record keys even when their format
    // happens to match a weak detector, unless the header says otherwise.
    let record_key = unique && is_sequential(&values);
    if let Some(h) = best(&hits, true, opts.min_confidence)
        .filter(|h| !(record_key && h.hint.is_none() && weak(h.target)))
    {
        if let Target::Kind(k) = h.target {
            f.kind = Some(k);
            f.confidence = h.confidence;
            evidence.push(h.sentence.clone());
        }
    }
    if let Some(h) = best(&hits, false, opts.min_confidence) {
        if let Target::Category(c) = h.target {
            f.sensitive_category = Some(c);
            f.confidence = f.confidence.max(h.confidence);
            evidence.push(h.sentence.clone());
        }
    }
    if f.sensitive_category.is_none() {
        if let Some(h) = crate::clinical::clinical(&col.name, &values) {
            f.sensitive_category = Some(SensitiveCategory::MedicalHealth);
            f.confidence = f.confidence.max(h.confidence);
            evidence.push(h.sentence);
        }
    }
    // Hints the values contradict are reported, so a reader sees why the header was not trusted
    // (unless the header was trusted for what it names after all).
    for h in hits.iter().filter(|h| {
        h.hint.is_some()
            && h.confidence < opts.min_confidence
            && Some(h.target) != f.sensitive_category.map(Target::Category)
    }) {
        if h.of > 0 && f.kind.is_none() {
            evidence.push(h.sentence.clone());
            break;
        }
    }
    if f.kind == Some(Kind::BankCard) && f.sensitive_category.is_none() {
        f.sensitive_category = Some(SensitiveCategory::FinancialAccount);
        evidence.push("bank card numbers are financial accounts (PIPL Art. 28)".into());
    }
    if f.kind.is_none() {
        classify_without_kind(col, &values, present, distinct, &mut f, &mut evidence);
    }
    let mut minors_rows = 0;
    if let Some(k @ (Kind::CnResidentId | Kind::DateOfBirth)) = f.kind {
        minors_rows = minors(&values, k, opts.reference_date);
        if minors_rows > 0 {
            evidence.push(format!(
                "{} rows are people under 14 on {} (all their personal information is sensitive)",
                thousands(minors_rows),
                datavisa_table::date::format_date(opts.reference_date)
            ));
            f.sensitive_category
                .get_or_insert(SensitiveCategory::MinorsUnder14);
        }
    }
    f.role = role_of(&f);
    if f.kind.is_none() && f.sensitive_category.is_none() && f.found_inside.is_empty() {
        quasi_or_other_by_header(col, &mut f, &mut evidence);
    }
    f.confidence = round3(f.confidence);
    evidence.push(format!(
        "type {}: {}",
        col.value_type.as_str(),
        col.evidence.sentence(col.value_type)
    ));
    f.evidence = evidence.join("; ");
    (f, minors_rows)
}

fn weak(t: Target) -> bool {
    DETECTORS
        .iter()
        .any(|d| d.target == t && d.specificity < 0.9)
}

/// True when the numbers inside the values (prefixes stripped) form a near-contiguous range.
fn is_sequential(values: &Distinct<'_>) -> bool {
    let nums: Vec<u64> = (0..values.len())
        .filter_map(|i| {
            let v = values.get(i).0;
            let digits = v.trim_start_matches(|c: char| !c.is_ascii_digit());
            (digits.len() <= 18 && !digits.is_empty())
                .then(|| digits.parse::<u64>().ok())
                .flatten()
        })
        .collect();
    if nums.len() < 20 || nums.len() < values.len() {
        return false;
    }
    let (lo, hi) = (
        nums.iter().min().copied().unwrap_or(0),
        nums.iter().max().copied().unwrap_or(0),
    );
    hi - lo < 2 * nums.len() as u64
}

// Long text (or a remarks header) gets its values searched for identifiers inside.
fn is_text_body(col: &Column) -> bool {
    col.value_type == ValueType::FreeText
        || (col.value_type == ValueType::Categorical
            && (col.evidence.mean_length >= 15.0
                || hint::matches(&col.name, hints::FREE_TEXT).is_some()))
}

fn classify_without_kind(
    col: &Column,
    values: &Distinct<'_>,
    present: u64,
    distinct: u64,
    f: &mut ColumnFinding,
    evidence: &mut Vec<String>,
) {
    if is_text_body(col) {
        let (kinds, cats) = inside_counts(values);
        f.kind = Some(Kind::FreeText);
        f.confidence = f.confidence.max(0.9);
        for (k, n) in &kinds {
            f.found_inside.push(k.as_str().to_owned());
            evidence.push(format!(
                "{} of {} values contain {}",
                thousands(*n),
                thousands(present),
                k.as_str()
            ));
        }
        for (c, n) in &cats {
            f.found_inside.push(c.as_str().to_owned());
            evidence.push(format!(
                "{} of {} values mention {}",
                thousands(*n),
                thousands(present),
                c.as_str()
            ));
            f.sensitive_category.get_or_insert(*c);
        }
        if kinds.is_empty() && cats.is_empty() {
            evidence.push("free text with no personal information found inside".into());
        }
        return;
    }
    let unique = distinct == present && f.missing_share == 0.0;
    let keyish = matches!(col.value_type, ValueType::Integer | ValueType::Categorical);
    let id_hint = hint::matches(&col.name, hints::INTERNAL_ID);
    if unique && keyish && (present >= 20 || id_hint.is_some()) {
        f.kind = Some(Kind::InternalId);
        f.confidence = if id_hint.is_some() { 0.9 } else { 0.7 };
        evidence.push(format!(
            "all {} values are distinct: a record key{}",
            thousands(present),
            id_hint.map_or(String::new(), |_| format!("; header {:?}", col.name))
        ));
    }
    if let (Some(h), None) = (
        hint::matches(&col.name, hints::ACCOUNT),
        f.sensitive_category,
    ) {
        if f.kind == Some(Kind::InternalId) {
            f.sensitive_category = Some(SensitiveCategory::FinancialAccount);
            evidence.push(format!("header names an account ({h})"));
        }
    }
}

fn role_of(f: &ColumnFinding) -> Role {
    match f.kind {
        Some(Kind::FreeText) => {
            let direct = f
                .found_inside
                .iter()
                .any(|s| !SENSITIVE_NAMES.contains(&s.as_str()));
            if direct {
                Role::Identifier
            } else if f.sensitive_category.is_some() {
                Role::Sensitive
            } else {
                Role::Other
            }
        }
        Some(k) if k.is_direct_identifier() => Role::Identifier,
        Some(_)
            if f.sensitive_category
                .is_some_and(|c| c != SensitiveCategory::MinorsUnder14) =>
        {
            Role::Sensitive
        }
        Some(_) => Role::Quasi,
        None if f.sensitive_category.is_some() => Role::Sensitive,
        None => Role::Other,
    }
}

const SENSITIVE_NAMES: &[&str] = &[
    "financial_account",
    "medical_health",
    "biometric",
    "religious_belief",
    "specific_identity",
    "whereabouts",
    "minors_under_14",
];

fn quasi_or_other_by_header(col: &Column, f: &mut ColumnFinding, evidence: &mut Vec<String>) {
    if let Some(h) = hint::matches(&col.name, hints::FINANCIAL_ATTR) {
        f.role = Role::Sensitive;
        f.confidence = 0.6;
        evidence.push(format!(
            "header names a financial attribute ({h}): protect it as the sensitive attribute; not a PIPL Art. 28 category by itself"
        ));
    } else if let Some(h) = hint::matches(&col.name, hints::QUASI) {
        f.role = Role::Quasi;
        f.confidence = 0.6;
        evidence.push(format!(
            "header names a demographic attribute ({h}) that can identify in combination"
        ));
    } else {
        f.confidence = f.confidence.max(0.5);
        evidence.push("no personal information recognised".into());
    }
}

// Latitude and longitude are each harmless numbers; together they are a location track.
fn mark_coordinate_pairs(table: &Table, cols: &mut [ColumnFinding]) {
    let in_range = |c: &Column, limit: f64| match &c.data {
        ColumnData::Numeric(v) => {
            let mut any = false;
            let ok = v.iter().filter(|x| !x.is_nan()).all(|x| {
                any = true;
                x.abs() <= limit
            });
            ok && any
        }
        _ => false,
    };
    let lat = table
        .columns
        .iter()
        .position(|c| hint::matches(&c.name, hints::LATITUDE).is_some() && in_range(c, 90.0));
    let lng = table
        .columns
        .iter()
        .position(|c| hint::matches(&c.name, hints::LONGITUDE).is_some() && in_range(c, 180.0));
    if let (Some(a), Some(b)) = (lat, lng) {
        for (i, other) in [(a, b), (b, a)] {
            let partner = table.columns[other].name.clone();
            let f = &mut cols[i];
            f.sensitive_category = Some(SensitiveCategory::Whereabouts);
            f.role = Role::Sensitive;
            f.confidence = f.confidence.max(0.85);
            f.evidence = format!(
                "coordinate column paired with {partner:?}: latitude/longitude give whereabouts; {}",
                f.evidence
            );
        }
    }
}

/// A spec draft with every column, its role and type, ready for the next steps.
pub fn spec_draft(report: &ScanReport, table: &Table, sha256: Option<String>) -> Spec {
    let o = &table.origin;
    let source = SourceSpec {
        file: Some(report.file.clone()),
        sha256,
        format: Some(o.format.as_str().to_owned()),
        delimiter: o.delimiter.map(|d| d.to_string()),
        encoding: o.encoding.clone(),
        header: Some(o.has_header),
        missing: None,
        rows: Some(report.rows),
    };
    let columns = report
        .columns
        .iter()
        .map(|f| {
            let mut c = column_spec(&f.name);
            c.role = Some(f.role);
            c.value_type = Some(f.value_type);
            c.kind = f.kind.map(|k| k.as_str().to_owned());
            c.sensitive_category = f.sensitive_category.map(|s| s.as_str().to_owned());
            c.confidence = Some(f.confidence);
            c.evidence = Some(f.evidence.clone());
            c
        })
        .collect();
    Spec::new(Some(source), columns)
}
