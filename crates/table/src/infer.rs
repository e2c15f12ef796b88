//! Type inference over a column's distinct values, weighted by how many rows hold each.

use crate::column::{TypeEvidence, ValueType};
use crate::date::{parse_date, parse_datetime};
use crate::dictionary::Dictionary;

/// What one distinct value parses as.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Parsed {
    Integer(f64),
    Float(f64),
    Date(f64),
    Datetime(f64),
    Text,
}

// Integers longer than this lose digits in an f64 or are identifiers, not quantities.
const MAX_INTEGER_DIGITS: usize = 15;

/// Parses one value the way inference sees it.
pub fn parse_value(s: &str) -> Parsed {
    parse_bytes(s.as_bytes())
}

/// [`parse_value`] on raw bytes: plain decimals and ISO dates (nearly every cell of a numeric
/// column) are read here without a UTF-8 check; the rest go through the general parsers.
pub fn parse_bytes(b: &[u8]) -> Parsed {
    if !opens_number(b) {
        return Parsed::Text;
    }
    if let Some(p) = fast_decimal(b).or_else(|| fast_iso_date(b)) {
        return p;
    }
    match std::str::from_utf8(b) {
        Ok(s) => parse_general(s),
        Err(_) => Parsed::Text,
    }
}

/// Numbers and dates open with a digit, a sign or a point: anything else is text at once.
fn opens_number(b: &[u8]) -> bool {
    b.first()
        .is_some_and(|c| c.is_ascii_digit() || matches!(c, b'-' | b'+' | b'.'))
}

/// `[-+]digits[.digits]` with at most 15 significant digits and no leading zero on an integer:
/// the mantissa and the power of ten are both exact in an f64, so one division gives the
/// correctly rounded value (Clinger's fast path), the same as the general parser. Anything
/// else (more digits, exponents, leading zeros) is left to it.
fn fast_decimal(b: &[u8]) -> Option<Parsed> {
    let (neg, body) = match b.first()? {
        b'-' => (true, &b[1..]),
        b'+' => (false, &b[1..]),
        _ => (false, b),
    };
    // Long digit strings (resident IDs, bank cards) are codes, as the general parser says.
    if body.len() > MAX_INTEGER_DIGITS && body.iter().all(u8::is_ascii_digit) {
        return Some(Parsed::Text);
    }
    let (mut mantissa, mut digits, mut point) = (0u64, 0usize, None);
    for (i, &c) in body.iter().enumerate() {
        match c {
            b'0'..=b'9' => {
                mantissa = mantissa * 10 + u64::from(c - b'0');
                digits += 1;
            }
            b'.' if point.is_none() => point = Some(i),
            _ => return None,
        }
        if digits > MAX_INTEGER_DIGITS {
            return None;
        }
    }
    if digits == 0 {
        return None;
    }
    let sign = if neg { -1.0 } else { 1.0 };
    match point {
        None if body.len() > 1 && body[0] == b'0' => None,
        // Through i64, so "-0" is 0 as the general parser reads it, not -0.0.
        None => Some(Parsed::Integer(
            (if neg {
                -(mantissa as i64)
            } else {
                mantissa as i64
            }) as f64,
        )),
        Some(p) => {
            let scale = POWERS_OF_TEN[body.len() - 1 - p];
            Some(Parsed::Float(sign * (mantissa as f64 / scale)))
        }
    }
}

const POWERS_OF_TEN: [f64; 16] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
];

/// `YYYY-MM-DD` exactly, the commonest date form.
fn fast_iso_date(b: &[u8]) -> Option<Parsed> {
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| {
        b[r].iter().try_fold(0u32, |a, &c| {
            c.is_ascii_digit().then(|| a * 10 + u32::from(c - b'0'))
        })
    };
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let y = i64::from(y);
    // An impossible date ("2025-02-30") is text, as the general parser says.
    Some(if crate::date::is_valid_date(y, m, d) {
        Parsed::Date(crate::date::days_from_civil(y, m, d) as f64)
    } else {
        Parsed::Text
    })
}

fn parse_general(s: &str) -> Parsed {
    let b = s.as_bytes();
    if !opens_number(b) {
        return Parsed::Text;
    }
    let body = if b[0] == b'-' || b[0] == b'+' {
        &b[1..]
    } else {
        b
    };
    if !body.is_empty() && body.iter().all(u8::is_ascii_digit) {
        // A leading zero ("007", "0755") marks a code, not a quantity.
        let leading_zero = body.len() > 1 && body[0] == b'0';
        if !leading_zero && body.len() <= MAX_INTEGER_DIGITS {
            if let Ok(v) = s.parse::<i64>() {
                return Parsed::Integer(v as f64);
            }
        }
        return Parsed::Text;
    }
    if looks_like_float(body) {
        if let Ok(v) = s.parse::<f64>() {
            if v.is_finite() {
                return Parsed::Float(v);
            }
        }
    }
    // Every date form we read opens with a four-digit year: skip the parsers otherwise.
    if b.len() < 8 || !b[..4].iter().all(u8::is_ascii_digit) {
        return Parsed::Text;
    }
    if let Some(d) = parse_date(s) {
        return Parsed::Date(d as f64);
    }
    if let Some(t) = parse_datetime(s) {
        return Parsed::Datetime(t);
    }
    Parsed::Text
}

// Rust's parser accepts "inf" and "NaN"; data files mean text by those.
fn looks_like_float(b: &[u8]) -> bool {
    let mut digits = 0;
    for (i, &c) in b.iter().enumerate() {
        match c {
            b'0'..=b'9' => digits += 1,
            b'.' => {}
            b'e' | b'E' if i > 0 => {}
            b'-' | b'+' if i > 0 && matches!(b[i - 1], b'e' | b'E') => {}
            _ => return false,
        }
    }
    digits > 0
}

/// The inferred type with its evidence and, for numeric types, the value of each code.
pub struct Inference {
    pub value_type: ValueType,
    pub evidence: TypeEvidence,
    pub parsed: Vec<Parsed>,
}

/// Infers the type of a column from its dictionary and the row count of each code.
pub fn infer(dict: &Dictionary, counts: &[u64], missing: u64) -> Inference {
    let mut ev = TypeEvidence {
        missing,
        ..Default::default()
    };
    let mut chars = 0u64;
    let parsed: Vec<Parsed> = dict.iter().map(parse_value).collect();
    for ((value, &p), &n) in dict.iter().zip(&parsed).zip(counts) {
        chars += value.chars().count() as u64 * n;
        tally(&mut ev, p, n);
        if p == Parsed::Text && is_digit_code(value.as_bytes()) {
            ev.codes += n;
        }
    }
    let total = close_tally(&mut ev, chars);
    let distinct = counts.iter().filter(|&&n| n > 0).count() as u64;
    let value_type = decide(&ev, total, distinct);
    Inference {
        value_type,
        evidence: ev,
        parsed,
    }
}

/// Counts `n` rows parsed as `p`.
/// A digit string with a leading zero: a code written as a number (`010020`, `0755`).
pub fn is_digit_code(b: &[u8]) -> bool {
    b.len() > 1 && b[0] == b'0' && b.iter().all(u8::is_ascii_digit)
}

fn tally(ev: &mut TypeEvidence, p: Parsed, n: u64) {
    match p {
        Parsed::Integer(_) => ev.integer += n,
        Parsed::Float(_) => ev.float += n,
        Parsed::Date(_) => ev.date += n,
        Parsed::Datetime(_) => ev.datetime += n,
        Parsed::Text => ev.text += n,
    }
}

/// Sets the mean length from the characters of every present row; returns those rows.
fn close_tally(ev: &mut TypeEvidence, chars: u64) -> u64 {
    let total = ev.present();
    ev.mean_length = if total == 0 {
        0.0
    } else {
        chars as f64 / total as f64
    };
    total
}

fn decide(ev: &TypeEvidence, total: u64, distinct: u64) -> ValueType {
    if total == 0 {
        return ValueType::Categorical;
    }
    if ev.integer == total {
        return ValueType::Integer;
    }
    if ev.integer + ev.float == total {
        return ValueType::Float;
    }
    if ev.date == total {
        return ValueType::Date;
    }
    if ev.date + ev.datetime == total {
        return ValueType::Datetime;
    }
    // Long strings that rarely repeat are prose (remarks, addresses), not categories.
    let varied = distinct as f64 >= 0.5 * total as f64;
    if ev.mean_length >= 40.0 || (ev.mean_length >= 20.0 && varied) {
        return ValueType::FreeText;
    }
    ValueType::Categorical
}

/// Rows probed before trying to parse a column straight to numbers.
const DIRECT_PROBE: usize = 65_536;

/// Parses a column of numbers or dates straight to f64, row by row, without a dictionary (the
/// table stores such columns as f64 anyway). Returns None as soon as a value does not fit, or
/// when the first rows are not all numbers or all dates, or when the declared type is not one of
/// those the values fit: the caller then takes the dictionary path, which gives the same result
/// (or the same error with its line) for every column.
pub fn infer_direct<F: crate::encode::Fields + ?Sized>(
    fields: &F,
    declared: Option<ValueType>,
) -> Option<(ValueType, TypeEvidence, Vec<f64>)> {
    if declared.is_some_and(|t| !t.is_numeric()) {
        return None;
    }
    let (mut numbers, mut temporal) = (0usize, 0usize);
    for r in 0..fields.len().min(DIRECT_PROBE) {
        let Some(b) = fields.get(r) else { continue };
        match parse_bytes(b) {
            Parsed::Integer(_) | Parsed::Float(_) => numbers += 1,
            Parsed::Date(_) | Parsed::Datetime(_) => temporal += 1,
            Parsed::Text => return None,
        }
        if numbers > 0 && temporal > 0 {
            return None;
        }
    }
    if numbers + temporal == 0 {
        return None;
    }
    let mut ev = TypeEvidence::default();
    let mut values = Vec::with_capacity(fields.len());
    let (mut ok, mut chars) = (true, 0u64);
    // Dates are kept in seconds until the type is known; a Date column is divided back to days.
    fields.for_each(|_, f| {
        if !ok {
            return;
        }
        let Some(b) = f else {
            ev.missing += 1;
            values.push(f64::NAN);
            return;
        };
        chars += b.len() as u64;
        let v = match parse_bytes(b) {
            Parsed::Integer(v) if numbers > 0 => (ev.integer += 1, v).1,
            Parsed::Float(v) if numbers > 0 => (ev.float += 1, v).1,
            Parsed::Date(v) if temporal > 0 => (ev.date += 1, v * 86_400.0).1,
            Parsed::Datetime(v) if temporal > 0 => (ev.datetime += 1, v).1,
            _ => {
                ok = false;
                return;
            }
        };
        values.push(v);
    });
    if !ok {
        return None;
    }
    let total = ev.integer + ev.float + ev.date + ev.datetime;
    ev.mean_length = chars as f64 / total.max(1) as f64;
    let inferred = decide(&ev, total, 0);
    let ty = match declared {
        None => inferred,
        Some(t) => {
            let fits = match t {
                ValueType::Integer => ev.float == 0 && numbers > 0,
                ValueType::Float => numbers > 0,
                ValueType::Date => ev.datetime == 0 && temporal > 0,
                _ => temporal > 0,
            };
            if !fits {
                return None;
            }
            ev.declared = true;
            t
        }
    };
    if ty == ValueType::Date {
        values.iter_mut().for_each(|v| *v /= 86_400.0);
    }
    Some((ty, ev, values))
}

/// What inference says of a column read as text, found row by row without a dictionary.
pub struct TextInference {
    /// None while the type needs the distinct count (see [`TextInference::with_distinct`]).
    pub value_type: Option<ValueType>,
    pub evidence: TypeEvidence,
    /// First row holding text, when numbers are mixed in (for the evidence's line).
    pub first_text_row: Option<usize>,
}

impl TextInference {
    /// The type once the number of distinct values is known.
    pub fn with_distinct(&self, distinct: u64) -> ValueType {
        self.value_type
            .unwrap_or_else(|| decide(&self.evidence, self.evidence.present(), distinct))
    }
}

/// Types a text column from its rows alone, with the evidence [`infer`] would give from its
/// dictionary. The type is left open when it depends on the distinct count (mid-length
/// strings: prose or categories). None when the column is numeric after all (declared or
/// inferred): the caller then takes the dictionary path, which converts and checks values.
pub fn infer_text<F: crate::encode::Fields + ?Sized>(
    fields: &F,
    declared: Option<ValueType>,
) -> Option<TextInference> {
    if declared.is_some_and(ValueType::is_numeric) {
        return None;
    }
    let mut ev = TypeEvidence::default();
    let (mut chars, mut first_text_row) = (0u64, None);
    fields.for_each(|r, f| {
        let Some(b) = f else {
            ev.missing += 1;
            return;
        };
        // Characters of UTF-8 text: every byte that does not continue a character.
        chars += b.iter().filter(|&&c| c & 0xC0 != 0x80).count() as u64;
        let p = parse_bytes(b);
        if p == Parsed::Text {
            if is_digit_code(b) {
                ev.codes += 1;
            } else {
                first_text_row.get_or_insert(r);
            }
        }
        tally(&mut ev, p, 1);
    });
    let total = close_tally(&mut ev, chars);
    let value_type = match declared {
        Some(t) => {
            ev.declared = true;
            Some(t)
        }
        None => {
            let (few, all) = (decide(&ev, total, 0), decide(&ev, total, total));
            if few.is_numeric() || all.is_numeric() {
                return None;
            }
            (few == all).then_some(few)
        }
    };
    Some(TextInference {
        value_type,
        first_text_row: first_text_row.filter(|_| ev.is_mixed()),
        evidence: ev,
    })
}

/// The numeric value of a parsed cell under a declared type, if it fits.
pub fn numeric_under(p: Parsed, ty: ValueType) -> Option<f64> {
    match (ty, p) {
        (ValueType::Integer, Parsed::Integer(v)) => Some(v),
        (ValueType::Float, Parsed::Integer(v) | Parsed::Float(v)) => Some(v),
        (ValueType::Date, Parsed::Date(v)) => Some(v),
        (ValueType::Datetime, Parsed::Date(v)) => Some(v * 86_400.0),
        (ValueType::Datetime, Parsed::Datetime(v)) => Some(v),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn via_dictionary(
        vals: &[Option<String>],
        declared: Option<ValueType>,
    ) -> Option<(ValueType, TypeEvidence, Vec<f64>)> {
        let mut d = Dictionary::new();
        let codes: Vec<u32> = vals
            .iter()
            .map(|v| v.as_deref().map_or(crate::MISSING, |s| d.intern(s)))
            .collect();
        let counts = crate::column::code_counts(&codes, d.len());
        let missing = codes.len() as u64 - counts.iter().sum::<u64>();
        let mut inf = infer(&d, &counts, missing);
        let ty = declared.unwrap_or(inf.value_type);
        inf.evidence.declared = declared.is_some();
        if !ty.is_numeric() {
            return None;
        }
        let values = codes
            .iter()
            .map(|&c| {
                if c == crate::MISSING {
                    Some(f64::NAN)
                } else {
                    numeric_under(inf.parsed[c as usize], ty)
                }
            })
            .collect::<Option<Vec<f64>>>()?;
        Some((ty, inf.evidence, values))
    }

    fn value() -> impl Strategy<Value = Option<String>> {
        prop_oneof![
            Just(None),
            (-500i64..500).prop_map(|v| Some(v.to_string())),
            (-50.0f64..50.0).prop_map(|v| Some(format!("{v:.2}"))),
            (0i64..30).prop_map(|d| Some(crate::date::format_date(18_000 + d))),
            (0i64..30)
                .prop_map(|d| Some(format!("{} 10:00:00", crate::date::format_date(18_000 + d)))),
            Just(Some("007".to_owned())),
            Just(Some("abc".to_owned())),
        ]
    }

    proptest! {
        // Where the direct path answers, it answers exactly as the dictionary path does.
        #[test]
        fn direct_typing_equals_dictionary_typing(
            vals in proptest::collection::vec(value(), 1..200),
            declared in proptest::option::of(prop_oneof![Just(ValueType::Integer), Just(ValueType::Float), Just(ValueType::Date), Just(ValueType::Datetime)]),
        ) {
            let refs: Vec<Option<&[u8]>> = vals.iter().map(|v| v.as_deref().map(str::as_bytes)).collect();
            if let Some((ty, ev, values)) = infer_direct(refs.as_slice(), declared) {
                let (dty, dev, dvalues) = via_dictionary(&vals, declared).expect("dictionary path agrees it is numeric");
                prop_assert_eq!(ty, dty);
                prop_assert_eq!((ev.integer, ev.float, ev.date, ev.datetime, ev.missing, ev.declared), (dev.integer, dev.float, dev.date, dev.datetime, dev.missing, dev.declared));
                prop_assert!((ev.mean_length - dev.mean_length).abs() < 1e-9);
                prop_assert_eq!(values.len(), dvalues.len());
                for (a, b) in values.iter().zip(&dvalues) {
                    prop_assert!(a == b || (a.is_nan() && b.is_nan()), "{} vs {}", a, b);
                }
            }
        }
    }

    fn same(a: Parsed, b: Parsed) -> bool {
        let bits = |p: Parsed| match p {
            Parsed::Integer(v) => (0, v.to_bits()),
            Parsed::Float(v) => (1, v.to_bits()),
            Parsed::Date(v) => (2, v.to_bits()),
            Parsed::Datetime(v) => (3, v.to_bits()),
            Parsed::Text => (4, 0),
        };
        bits(a) == bits(b)
    }

    proptest! {
        // The fast paths give, bit for bit, what the general parsers give.
        #![proptest_config(ProptestConfig::with_cases(4000))]
        #[test]
        fn fast_paths_equal_general_parsing(s in "[-+]?[0-9]{0,17}(\\.[0-9]{0,17})?|[0-9]{4}-[0-9]{2}-[0-9]{2}|[-+.0-9eE]{0,8}") {
            prop_assert!(same(parse_bytes(s.as_bytes()), parse_general(&s)), "{:?}", s);
        }

        #[test]
        fn fast_decimals_round_like_std(m in 0u64..1_000_000_000_000_000, k in 0usize..16, neg: bool) {
            let digits = m.to_string();
            let s = if k == 0 || k >= digits.len() { digits } else {
                format!("{}{}.{}", if neg { "-" } else { "" }, &digits[..digits.len() - k], &digits[digits.len() - k..])
            };
            prop_assert!(same(parse_bytes(s.as_bytes()), parse_general(&s)), "{:?}", s);
        }
    }

    #[test]
    fn fast_path_edge_cases() {
        for s in [
            "-0",
            "+5",
            "0",
            "007",
            "-007",
            "1.",
            ".5",
            "+.5",
            "-0.0",
            ".",
            "-",
            "",
            "1.2.3",
            "123456789012345",
            "1234567890123456",
            "0.1",
            "9007199254740993",
            "2024-02-29",
            "2023-02-29",
            "2024-13-01",
            "99999.999999999",
        ] {
            assert!(same(parse_bytes(s.as_bytes()), parse_general(s)), "{s:?}");
        }
        assert_eq!(parse_value("-0"), Parsed::Integer(0.0));
        assert!(matches!(parse_value("-0"), Parsed::Integer(v) if v.is_sign_positive()));
    }

    fn dict(values: &[&str]) -> (Dictionary, Vec<u64>) {
        let mut d = Dictionary::new();
        for v in values {
            d.intern(v);
        }
        let n = d.len();
        (d, vec![1; n])
    }

    #[test]
    fn parses_values() {
        assert_eq!(parse_value("42"), Parsed::Integer(42.0));
        assert_eq!(parse_value("-7"), Parsed::Integer(-7.0));
        assert_eq!(parse_value("007"), Parsed::Text);
        assert_eq!(parse_value("6222021234567890123"), Parsed::Text);
        assert_eq!(parse_value("3.5"), Parsed::Float(3.5));
        assert_eq!(parse_value("1e3"), Parsed::Float(1000.0));
        assert_eq!(parse_value("inf"), Parsed::Text);
        assert_eq!(parse_value("NaN"), Parsed::Text);
        assert!(matches!(parse_value("2020-01-02"), Parsed::Date(_)));
        assert!(matches!(
            parse_value("2020-01-02 10:00"),
            Parsed::Datetime(_)
        ));
        assert_eq!(parse_value("x"), Parsed::Text);
    }

    #[test]
    fn infers_types() {
        let (d, c) = dict(&["1", "2", "3"]);
        assert_eq!(infer(&d, &c, 0).value_type, ValueType::Integer);
        let (d, c) = dict(&["1", "2.5"]);
        assert_eq!(infer(&d, &c, 0).value_type, ValueType::Float);
        let (d, c) = dict(&["2020-01-01", "2020-01-02 03:04:05"]);
        assert_eq!(infer(&d, &c, 0).value_type, ValueType::Datetime);
        let (d, c) = dict(&["1", "two"]);
        let inf = infer(&d, &c, 0);
        assert_eq!(inf.value_type, ValueType::Categorical);
        assert!(inf.evidence.is_mixed());
        let long = "this is a long remark about the customer's order number one";
        let (d, c) = dict(&[
            long,
            "another quite different long remark here, about delivery",
        ]);
        assert_eq!(infer(&d, &c, 0).value_type, ValueType::FreeText);
    }
}
