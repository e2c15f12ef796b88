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
    let b = s.as_bytes();
    // Numbers and dates open with a digit, a sign or a point: anything else is text at once.
    if !b
        .first()
        .is_some_and(|c| c.is_ascii_digit() || matches!(c, b'-' | b'+' | b'.'))
    {
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
    for ((value, p), &n) in dict.iter().zip(&parsed).zip(counts) {
        chars += value.chars().count() as u64 * n;
        match p {
            Parsed::Integer(_) => ev.integer += n,
            Parsed::Float(_) => ev.float += n,
            Parsed::Date(_) => ev.date += n,
            Parsed::Datetime(_) => ev.datetime += n,
            Parsed::Text => ev.text += n,
        }
    }
    let total = ev.integer + ev.float + ev.date + ev.datetime + ev.text;
    ev.mean_length = if total == 0 {
        0.0
    } else {
        chars as f64 / total as f64
    };
    let distinct = counts.iter().filter(|&&n| n > 0).count() as u64;
    let value_type = decide(&ev, total, distinct);
    Inference {
        value_type,
        evidence: ev,
        parsed,
    }
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
