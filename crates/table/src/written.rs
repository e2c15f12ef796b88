//! Numbers and dates as they were written. A numeric column is stored as f64, which prints
//! `39.0` as `39` and `2020/5/7` as `2020-05-07`; whatever must match the file's text (a
//! hierarchy's leaves, a value list) asks the table for the written form instead. Only the
//! forms that differ from the printed one are kept, one per distinct value: the first written.

use crate::column::{format_number, ValueType};
use crate::dictionary::Dictionary;
use crate::encode::Fields;
use std::collections::HashMap;

/// The written form of each distinct value of a column whose printed form differs, by the
/// value's bits (`-0` as `0`).
pub type WrittenForms = HashMap<u64, String>;

/// The key of a value in [`WrittenForms`].
pub fn key(x: f64) -> u64 {
    if x == 0.0 {
        0
    } else {
        x.to_bits()
    }
}

/// True when `b` is certainly printed back as written: an integer without sign, leading zero
/// or exponent, a decimal without trailing zero, of at most 15 digits, or an ISO date. Other
/// texts are formatted and compared (rarely: most files write numbers plainly).
fn plain(b: &[u8], ty: ValueType) -> bool {
    match ty {
        ValueType::Integer | ValueType::Float => {
            let digits = b.strip_prefix(b"-").unwrap_or(b);
            let (int, frac) = match digits.iter().position(|&c| c == b'.') {
                Some(i) => (&digits[..i], Some(&digits[i + 1..])),
                None => (digits, None),
            };
            let int_ok = !int.is_empty()
                && int.iter().all(u8::is_ascii_digit)
                && (int.len() == 1 || int[0] != b'0');
            let frac_ok = frac.is_none_or(|f| {
                !f.is_empty() && f.iter().all(u8::is_ascii_digit) && f.last() != Some(&b'0')
            });
            let n = int.len() + frac.map_or(0, <[u8]>::len);
            int_ok && frac_ok && n <= 15 && digits != b"0" || b == b"0"
        }
        ValueType::Date => {
            b.len() == 10
                && b[4] == b'-'
                && b[7] == b'-'
                && b.iter()
                    .enumerate()
                    .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
        }
        _ => false,
    }
}

fn note(forms: &mut WrittenForms, text: &[u8], x: f64, ty: ValueType) {
    if x.is_nan() || plain(text, ty) || forms.contains_key(&key(x)) {
        return;
    }
    let text = String::from_utf8_lossy(text);
    if format_number(x, ty).as_deref() != Some(&*text) {
        forms.insert(key(x), text.into_owned());
    }
}

/// The written forms of a column parsed row by row (`values[r]` read from `fields[r]`).
pub(crate) fn of_rows<F: Fields + ?Sized>(
    fields: &F,
    values: &[f64],
    ty: ValueType,
) -> WrittenForms {
    let mut forms = WrittenForms::new();
    fields.for_each(|r, f| {
        if let Some(b) = f {
            note(&mut forms, b, values[r], ty);
        }
    });
    forms
}

/// The written forms of a column parsed through its dictionary (`values[code]`).
pub(crate) fn of_dictionary(
    dict: &Dictionary,
    values: &[Option<f64>],
    ty: ValueType,
) -> WrittenForms {
    let mut forms = WrittenForms::new();
    for (code, text) in dict.iter().enumerate() {
        if let Some(x) = values[code] {
            note(&mut forms, text.as_bytes(), x, ty);
        }
    }
    forms
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_texts_are_the_printed_ones() {
        for (text, x, ty) in [
            ("39", 39.0, ValueType::Integer),
            ("-7", -7.0, ValueType::Integer),
            ("0", 0.0, ValueType::Float),
            ("2119.5", 2119.5, ValueType::Float),
            ("0.25", 0.25, ValueType::Float),
        ] {
            assert!(plain(text.as_bytes(), ty), "{text}");
            assert_eq!(format_number(x, ty).unwrap(), text);
        }
        for text in ["39.0", "007", "+5", "1e3", "2119.50", "-0", "1.", ".5"] {
            assert!(!plain(text.as_bytes(), ValueType::Float), "{text}");
        }
        assert!(plain(b"2020-05-07", ValueType::Date));
        assert!(!plain(b"2020/05/07", ValueType::Date));
    }

    #[test]
    fn only_forms_that_differ_are_kept_the_first_of_each_value() {
        let rows: Vec<Option<&[u8]>> = vec![
            Some(b"39.0"),
            Some(b"4"),
            Some(b"39"),
            None,
            Some(b"2119.50"),
            Some(b"2119.500"),
        ];
        let values = [39.0, 4.0, 39.0, f64::NAN, 2119.5, 2119.5];
        let forms = of_rows(rows.as_slice(), &values, ValueType::Float);
        assert_eq!(forms.len(), 2);
        assert_eq!(forms[&key(39.0)], "39.0");
        assert_eq!(forms[&key(2119.5)], "2119.50");
    }
}
