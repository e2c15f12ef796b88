//! Columns: categorical codes over a shared dictionary, or f64 with NaN for missing.

use crate::date::{format_date, format_datetime};
use crate::dictionary::{Dictionary, MISSING};
use crate::numbers::Numbers;
use crate::text::RawText;
use serde::{Deserialize, Serialize};
use std::sync::{Arc, Mutex, OnceLock};

/// The storage type of a column as inferred (or declared in the spec).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValueType {
    Integer,
    Float,
    Date,
    Datetime,
    Categorical,
    FreeText,
}

impl ValueType {
    /// The name used in the CLI, the spec and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            ValueType::Integer => "integer",
            ValueType::Float => "float",
            ValueType::Date => "date",
            ValueType::Datetime => "datetime",
            ValueType::Categorical => "categorical",
            ValueType::FreeText => "free_text",
        }
    }

    /// True for types stored as f64.
    pub fn is_numeric(self) -> bool {
        matches!(
            self,
            ValueType::Integer | ValueType::Float | ValueType::Date | ValueType::Datetime
        )
    }
}

impl std::str::FromStr for ValueType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s {
            "integer" | "int" => ValueType::Integer,
            "float" | "number" => ValueType::Float,
            "date" => ValueType::Date,
            "datetime" | "timestamp" => ValueType::Datetime,
            "categorical" | "string" | "text" => ValueType::Categorical,
            "free_text" => ValueType::FreeText,
            other => return Err(format!("unknown type {other:?}")),
        })
    }
}

/// Why a column got its type: how many rows parsed as what.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct TypeEvidence {
    pub missing: u64,
    pub integer: u64,
    pub float: u64,
    pub date: u64,
    pub datetime: u64,
    pub text: u64,
    /// Of the text values, digit strings with a leading zero (`010020`, `0755`): codes written
    /// as numbers, kept as text as they are written.
    pub codes: u64,
    /// Mean length in characters of the non-missing text values.
    pub mean_length: f64,
    /// First value that is not a number, with its 1-based line, when numbers dominate.
    pub first_text: Option<(String, u64)>,
    /// True when the type was declared (spec or flag) rather than inferred.
    pub declared: bool,
}

impl TypeEvidence {
    /// Rows holding a value (every parsed kind).
    pub fn present(&self) -> u64 {
        self.integer + self.float + self.date + self.datetime + self.text
    }

    /// A short human sentence explaining the type.
    pub fn sentence(&self, ty: ValueType) -> String {
        let n = self.present();
        if self.declared {
            return format!("declared {}", ty.as_str());
        }
        let numeric = self.integer + self.float;
        match (ty, &self.first_text) {
            (ValueType::Categorical, _) if numeric > 0 && self.codes == self.text => format!(
                "codes: {n} digit strings, {} with a leading zero, kept as text as written",
                self.codes
            ),
            (ValueType::Categorical, Some((v, line))) if numeric > 0 => format!(
                "mixed: {numeric} of {n} values are numbers, {} text (first text {v:?} at line {line})",
                self.text
            ),
            (ValueType::Integer, _) => format!("{n} of {n} values are integers"),
            (ValueType::Float, _) => format!("{n} of {n} values are numbers"),
            (ValueType::Date, _) => format!("{n} of {n} values are dates"),
            (ValueType::Datetime, _) => format!("{n} of {n} values are dates or date-times"),
            (ValueType::FreeText, _) => {
                format!("long varied text (mean {:.0} characters)", self.mean_length)
            }
            _ => format!("{n} text values, mean {:.0} characters", self.mean_length),
        }
    }

    /// True when numbers and text are mixed in one column (digit codes with a leading zero
    /// beside plain numbers are one column of codes, not a mix).
    pub fn is_mixed(&self) -> bool {
        self.text > self.codes && self.integer + self.float > 0
    }
}

/// Categorical codes with their (possibly shared) dictionary. Near-unique text read from a CSV
/// file (identifiers, phone numbers, e-mails) is kept as read and encoded on first use: such a
/// dictionary costs a hash-table insert per row and is often never needed (an attack or a twin
/// that drops identifier columns never looks at their codes).
pub struct CatData {
    encoded: OnceLock<(Vec<u32>, Arc<Dictionary>)>,
    /// The text not yet encoded; taken (and freed) by the first call that needs codes.
    pending: Mutex<Option<RawText>>,
    len: usize,
}

impl CatData {
    /// Codes over a dictionary.
    pub fn new(codes: Vec<u32>, dict: Arc<Dictionary>) -> CatData {
        CatData {
            len: codes.len(),
            encoded: OnceLock::from((codes, dict)),
            pending: Mutex::new(None),
        }
    }

    /// Text as read, encoded when codes are first asked for.
    pub(crate) fn lazy(text: RawText) -> CatData {
        CatData {
            len: crate::encode::Fields::len(&text),
            encoded: OnceLock::new(),
            pending: Mutex::new(Some(text)),
        }
    }

    fn pending(&self) -> std::sync::MutexGuard<'_, Option<RawText>> {
        // A panic while encoding leaves nothing half-done in the slot: it is either taken or not.
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn encoded(&self) -> &(Vec<u32>, Arc<Dictionary>) {
        self.encoded.get_or_init(|| {
            let text = self
                .pending()
                .take()
                .expect("categorical data holds codes or text");
            let (dict, codes) = crate::encode::encode_partitioned(&text);
            (codes, Arc::new(dict))
        })
    }

    /// One code per row ([`MISSING`] for missing).
    pub fn codes(&self) -> &[u32] {
        &self.encoded().0
    }

    /// The dictionary the codes index.
    pub fn dict(&self) -> &Arc<Dictionary> {
        &self.encoded().1
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True for no rows.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// True once the codes exist (always, except for near-unique text not yet used).
    pub fn is_encoded(&self) -> bool {
        self.encoded.get().is_some()
    }

    /// The codes and the dictionary, by value.
    pub fn into_parts(self) -> (Vec<u32>, Arc<Dictionary>) {
        self.encoded();
        self.encoded.into_inner().expect("encoded above")
    }

    /// Rows holding each code (index = code), missing rows left out.
    pub fn counts(&self) -> Vec<u64> {
        code_counts(self.codes(), self.dict().len())
    }
}

impl Clone for CatData {
    fn clone(&self) -> Self {
        if let Some(text) = self.pending().as_ref() {
            return CatData::lazy(text.clone());
        }
        // Taken: encoding is done or under way, and `encoded` waits for it.
        let (codes, dict) = self.encoded();
        CatData::new(codes.clone(), Arc::clone(dict))
    }
}

impl std::fmt::Debug for CatData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.encoded.get() {
            Some((codes, dict)) => f
                .debug_struct("CatData")
                .field("codes", codes)
                .field("dict", dict)
                .finish(),
            None => write!(f, "CatData {{ {} rows of text not yet encoded }}", self.len),
        }
    }
}

/// Rows holding each code below `n_codes`; [`MISSING`] rows are left out.
pub fn code_counts(codes: &[u32], n_codes: usize) -> Vec<u64> {
    let mut counts = vec![0u64; n_codes];
    for &x in codes {
        if x != MISSING {
            counts[x as usize] += 1;
        }
    }
    counts
}

/// The values of a column.
#[derive(Clone, Debug)]
pub enum ColumnData {
    Categorical(CatData),
    /// f64 values, NaN for missing; owned or shared with an Arrow buffer.
    Numeric(Numbers),
}

/// One named, typed column.
#[derive(Clone, Debug)]
pub struct Column {
    pub name: String,
    pub value_type: ValueType,
    pub data: ColumnData,
    pub evidence: TypeEvidence,
}

impl Column {
    /// A categorical column from text values (no missing values), typed `categorical`.
    pub fn from_texts<S: AsRef<str>>(name: &str, values: impl IntoIterator<Item = S>) -> Column {
        let mut dict = Dictionary::new();
        let codes = values
            .into_iter()
            .map(|v| dict.intern(v.as_ref()))
            .collect();
        Column {
            name: name.to_owned(),
            value_type: ValueType::Categorical,
            data: ColumnData::Categorical(CatData::new(codes, Arc::new(dict))),
            evidence: TypeEvidence::default(),
        }
    }

    /// A numeric column (NaN for missing) of the given type.
    pub fn from_numbers(name: &str, value_type: ValueType, values: Vec<f64>) -> Column {
        Column {
            name: name.to_owned(),
            value_type,
            data: ColumnData::Numeric(values.into()),
            evidence: TypeEvidence::default(),
        }
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        match &self.data {
            ColumnData::Categorical(c) => c.len(),
            ColumnData::Numeric(v) => v.len(),
        }
    }

    /// True for a column with no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// True when row `i` is missing.
    pub fn is_missing(&self, i: usize) -> bool {
        match &self.data {
            ColumnData::Categorical(c) => c.codes()[i] == MISSING,
            ColumnData::Numeric(v) => v[i].is_nan(),
        }
    }

    /// Number of missing rows.
    pub fn missing_count(&self) -> usize {
        match &self.data {
            ColumnData::Categorical(c) => c.codes().iter().filter(|&&x| x == MISSING).count(),
            ColumnData::Numeric(v) => v.iter().filter(|x| x.is_nan()).count(),
        }
    }

    /// The display text of row `i` (None when missing).
    pub fn display(&self, i: usize) -> Option<String> {
        match &self.data {
            ColumnData::Categorical(c) => {
                let code = c.codes()[i];
                (code != MISSING).then(|| c.dict().get(code).to_owned())
            }
            ColumnData::Numeric(v) => format_number(v[i], self.value_type),
        }
    }

    /// Distinct non-missing values with their row counts, in first-seen (categorical) or
    /// ascending (numeric) order, as display text.
    pub fn value_counts(&self) -> Vec<(String, u64)> {
        match &self.data {
            ColumnData::Categorical(c) => {
                let counts = c.counts();
                c.dict()
                    .iter()
                    .zip(counts)
                    .filter(|(_, n)| *n > 0)
                    .map(|(v, n)| (v.to_owned(), n))
                    .collect()
            }
            ColumnData::Numeric(v) => {
                let mut sorted: Vec<f64> = v.iter().copied().filter(|x| !x.is_nan()).collect();
                sorted.sort_unstable_by(f64::total_cmp);
                let mut out: Vec<(String, u64)> = Vec::new();
                let mut prev: Option<f64> = None;
                for x in sorted {
                    if prev == Some(x) {
                        out.last_mut().expect("pushed before").1 += 1;
                    } else {
                        out.push((format_number(x, self.value_type).unwrap_or_default(), 1));
                        prev = Some(x);
                    }
                }
                out
            }
        }
    }

    /// The first row of each distinct value (missing counts as one), in order of appearance:
    /// one representative per value, found from the codes without formatting any row.
    pub fn first_rows(&self) -> Vec<usize> {
        let codes = self.codes();
        let n_codes = codes
            .iter()
            .filter(|&&c| c != MISSING)
            .max()
            .map_or(0, |&m| m as usize + 1);
        let mut seen = vec![false; n_codes + 1];
        codes
            .iter()
            .enumerate()
            .filter(|&(_, &c)| {
                let slot = if c == MISSING { n_codes } else { c as usize };
                !std::mem::replace(&mut seen[slot], true)
            })
            .map(|(r, _)| r)
            .collect()
    }

    /// Number of distinct non-missing values.
    pub fn distinct_count(&self) -> usize {
        match &self.data {
            ColumnData::Categorical(c) => c.counts().iter().filter(|&&n| n > 0).count(),
            // Counted on the numbers themselves: formatting each value would only be thrown away.
            ColumnData::Numeric(v) => {
                let mut sorted: Vec<f64> = v.iter().copied().filter(|x| !x.is_nan()).collect();
                sorted.sort_unstable_by(f64::total_cmp);
                sorted.dedup();
                sorted.len()
            }
        }
    }

    /// The `n` most frequent values with their counts; ties go to the value seen first
    /// (categorical) or the smaller value (numeric). Counts codes, never compares strings.
    pub fn top_values(&self, n: usize) -> Vec<(String, u64)> {
        match &self.data {
            ColumnData::Categorical(c) => {
                let counts = c.counts();
                let mut idx: Vec<u32> = (0..counts.len() as u32)
                    .filter(|&i| counts[i as usize] > 0)
                    .collect();
                let key = |&i: &u32| (std::cmp::Reverse(counts[i as usize]), i);
                if idx.len() > n && n > 0 {
                    idx.select_nth_unstable_by_key(n - 1, key);
                    idx.truncate(n);
                }
                idx.sort_unstable_by_key(key);
                idx.into_iter()
                    .take(n)
                    .map(|i| (c.dict().get(i).to_owned(), counts[i as usize]))
                    .collect()
            }
            ColumnData::Numeric(_) => {
                let mut vc = self.value_counts();
                vc.sort_by_key(|v| std::cmp::Reverse(v.1));
                vc.truncate(n);
                vc
            }
        }
    }

    /// Dense codes for any column: categorical codes as they are, numeric values ranked
    /// (distinct values ascending); missing is [`MISSING`].
    pub fn codes(&self) -> std::borrow::Cow<'_, [u32]> {
        match &self.data {
            ColumnData::Categorical(c) => std::borrow::Cow::Borrowed(c.codes()),
            ColumnData::Numeric(v) => std::borrow::Cow::Owned(numeric_ranks(v)),
        }
    }
}

/// Rank of each value among the column's distinct values (ascending), [`MISSING`] for NaN.
/// Distinct values are found by hashing, so only they are sorted, not every row.
pub fn numeric_ranks(v: &[f64]) -> Vec<u32> {
    let bits = |x: f64| if x == 0.0 { 0u64 } else { x.to_bits() };
    let mut seen: hashbrown::HashMap<u64, u32, foldhash::fast::FixedState> =
        hashbrown::HashMap::with_hasher(foldhash::fast::FixedState::with_seed(3));
    for &x in v {
        if !x.is_nan() {
            seen.entry(bits(x)).or_insert(0);
        }
    }
    let mut distinct: Vec<f64> = seen.keys().map(|&b| f64::from_bits(b)).collect();
    distinct.sort_unstable_by(f64::total_cmp);
    for (rank, d) in distinct.iter().enumerate() {
        seen.insert(bits(*d), rank as u32);
    }
    v.iter()
        .map(|&x| if x.is_nan() { MISSING } else { seen[&bits(x)] })
        .collect()
}

/// Formats a numeric value for display according to its type.
pub fn format_number(x: f64, ty: ValueType) -> Option<String> {
    if x.is_nan() {
        return None;
    }
    Some(match ty {
        ValueType::Integer => format!("{}", x as i64),
        ValueType::Date => format_date(x as i64),
        ValueType::Datetime => format_datetime(x),
        _ => format!("{x}"),
    })
}
