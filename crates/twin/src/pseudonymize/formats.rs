//! Value-level transformations: format-preserving encryption layouts (resident ID with its
//! MOD 11-2 check character, mobile numbers, bank cards and IMEIs with Luhn, plain digits),
//! masking, and the normalisation that makes one person's identifier give one pseudonym.

use datavisa_discover::validate::{luhn_check_digit, luhn_ok, mobile_national, resident_id_check};
use datavisa_vault::DomainKeys;
use serde::{Deserialize, Serialize};

/// What an `fpe` column holds, and so which digits are encrypted and which check is rebuilt.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FpeFormat {
    /// 18-character resident ID (17 digits + MOD 11-2 check) or the legacy 15-digit form.
    CnResidentId,
    /// Mainland mobile (11 digits, `1[3-9]…`), with or without +86/0086 and separators.
    CnMobile,
    /// Bank card: 16-19 digits, Luhn check digit.
    BankCard,
    /// IMEI: 15 digits, Luhn check digit.
    Imei,
    /// Any value with at least six digits; other characters stay in place.
    Digits,
}

impl FpeFormat {
    /// The snake_case name used in specs and manifests.
    pub fn as_str(self) -> &'static str {
        match self {
            FpeFormat::CnResidentId => "cn_resident_id",
            FpeFormat::CnMobile => "cn_mobile",
            FpeFormat::BankCard => "bank_card",
            FpeFormat::Imei => "imei",
            FpeFormat::Digits => "digits",
        }
    }

    /// Digits kept in clear at the start when the spec says nothing: the leading `1` of a mobile
    /// number (so it stays a mobile number); nothing otherwise, since region, birth date and
    /// issuer are quasi-identifiers.
    pub fn default_keep(self) -> usize {
        match self {
            FpeFormat::CnMobile => 1,
            _ => 0,
        }
    }
}

/// FF1 needs a domain of at least 10^6: six encrypted digits.
const MIN_ENCRYPTED_DIGITS: usize = 6;

/// Where the digits of one value sit and which of them are encrypted.
struct Layout {
    /// Byte offsets of the value's digits (and of an `X` check character).
    positions: Vec<usize>,
    /// Indexes into `positions` that are encrypted.
    encrypted: std::ops::Range<usize>,
    /// Where the national number starts (after a +86/0086 prefix), for the tweak.
    national: usize,
    /// Which check character to rebuild at the last position.
    check: Check,
    /// For mobile numbers: the first encrypted digit must stay in 3..=9.
    first_at_least_3: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Check {
    None,
    Mod11,
    Luhn,
}

fn digit_positions(b: &[u8]) -> Vec<usize> {
    b.iter()
        .enumerate()
        .filter(|(_, c)| c.is_ascii_digit())
        .map(|(i, _)| i)
        .collect()
}

fn digits_at(b: &[u8], pos: &[usize]) -> Vec<u8> {
    pos.iter().map(|&i| b[i]).collect()
}

/// Reads the layout of `b` (already upper-cased) for `format`, or says why it does not fit.
fn layout(format: FpeFormat, b: &[u8], keep: usize) -> Result<Layout, String> {
    let (positions, body, check, first3) = match format {
        FpeFormat::CnResidentId => {
            let ok15 = b.len() == 15 && b.iter().all(u8::is_ascii_digit);
            if ok15 {
                (digit_positions(b), 0..15, Check::None, false)
            } else {
                if b.len() != 18 || !b[..17].iter().all(u8::is_ascii_digit) {
                    return Err("not an 18- or 15-character resident ID".into());
                }
                if resident_id_check(&b[..17]) != Some(b[17]) {
                    return Err("resident ID check character is wrong".into());
                }
                ((0..18).collect(), 0..17, Check::Mod11, false)
            }
        }
        FpeFormat::CnMobile => {
            let national = mobile_national(&String::from_utf8_lossy(b))
                .ok_or_else(|| "not a mainland mobile number".to_owned())?;
            let pos = digit_positions(b);
            let start = pos.len() - national.len();
            (pos, start + 1..start + 11, Check::None, keep <= 1)
        }
        FpeFormat::BankCard | FpeFormat::Imei => {
            let pos = digit_positions(b);
            let n = pos.len();
            let fits = match format {
                FpeFormat::Imei => n == 15,
                _ => (16..=19).contains(&n),
            };
            let only_separators = b
                .iter()
                .all(|c| c.is_ascii_digit() || matches!(c, b' ' | b'-'));
            if !fits || !only_separators {
                return Err(format!(
                    "not a {} number",
                    format.as_str().replace('_', " ")
                ));
            }
            if !luhn_ok(&digits_at(b, &pos)) {
                return Err("Luhn check digit is wrong".into());
            }
            (pos, 0..n - 1, Check::Luhn, false)
        }
        FpeFormat::Digits => {
            let pos = digit_positions(b);
            let n = pos.len();
            (pos, 0..n, Check::None, false)
        }
    };
    let start = match format {
        // The mobile body already starts after the leading 1; `keep` counts from the 1.
        FpeFormat::CnMobile => body.start + keep.saturating_sub(1),
        _ => body.start + keep,
    };
    let encrypted = start.min(body.end)..body.end;
    let national = match format {
        FpeFormat::CnMobile => body.start - 1,
        _ => 0,
    };
    if encrypted.len() < MIN_ENCRYPTED_DIGITS {
        return Err(format!(
            "only {} digits left to encrypt (FF1 needs at least {MIN_ENCRYPTED_DIGITS})",
            encrypted.len()
        ));
    }
    Ok(Layout {
        positions,
        encrypted,
        national,
        check,
        first_at_least_3: first3,
    })
}

/// Encrypts (or decrypts) a value in place of its digits, rebuilding its check character.
/// The tweak binds the format and the digits kept in clear.
pub fn fpe(
    keys: &DomainKeys,
    format: FpeFormat,
    keep: usize,
    value: &str,
    decrypt: bool,
) -> Result<String, String> {
    let mut b = value.trim().as_bytes().to_vec();
    if format == FpeFormat::CnResidentId {
        if let Some(last) = b.last_mut() {
            last.make_ascii_uppercase();
        }
    }
    let lay = layout(format, &b, keep)?;
    let enc_pos = &lay.positions[lay.encrypted.clone()];
    // The country code is left out of the tweak: one number, one pseudonym, however written.
    let kept: Vec<u8> = digits_at(&b, &lay.positions[lay.national..lay.encrypted.start]);
    let mut tweak = format.as_str().as_bytes().to_vec();
    tweak.push(b':');
    tweak.extend_from_slice(&kept);
    let mut x: Vec<u8> = enc_pos.iter().map(|&i| b[i] - b'0').collect();
    // Cycle walking keeps a mobile number's second digit in 3..=9 (a permutation of the
    // valid numbers); about 1.4 FF1 calls per value on average.
    loop {
        if decrypt {
            keys.ff1_decrypt(&tweak, &mut x)
        } else {
            keys.ff1_encrypt(&tweak, &mut x)
        }
        .map_err(|e| e.to_string())?;
        if !lay.first_at_least_3 || x[0] >= 3 {
            break;
        }
    }
    for (&i, d) in enc_pos.iter().zip(&x) {
        b[i] = b'0' + d;
    }
    let last = *lay.positions.last().expect("a layout has digits");
    match lay.check {
        Check::None => {}
        Check::Mod11 => {
            b[last] = resident_id_check(&b[..17]).expect("17 digits");
        }
        Check::Luhn => {
            let body = digits_at(&b, &lay.positions[..lay.positions.len() - 1]);
            b[last] = luhn_check_digit(&body);
        }
    }
    String::from_utf8(b).map_err(|_| "not UTF-8".into())
}

/// Keeps `prefix` leading and `suffix` trailing characters and masks the rest, always masking
/// at least one character of values longer than one.
pub fn mask(value: &str, prefix: usize, suffix: usize, mask_char: char) -> String {
    let chars: Vec<char> = value.chars().collect();
    let n = chars.len();
    if n <= 1 {
        return mask_char.to_string();
    }
    let suffix = suffix.min(n - 1);
    let prefix = prefix.min(n - 1 - suffix);
    let mut out = String::with_capacity(value.len());
    out.extend(&chars[..prefix]);
    out.extend(std::iter::repeat_n(mask_char, n - prefix - suffix));
    out.extend(&chars[n - suffix..]);
    out
}

/// The form of an identifier that keyed methods see, so that `138-1234-5678` and
/// `+86 13812345678` are one person: national mobile digits, upper-case ID check character,
/// lower-case e-mail.
pub fn normalize<'a>(kind: Option<&str>, value: &'a str) -> std::borrow::Cow<'a, str> {
    use std::borrow::Cow;
    let v = value.trim();
    match kind {
        Some("cn_mobile") => mobile_national(v).map_or(Cow::Borrowed(v), Cow::Owned),
        Some("cn_resident_id") => Cow::Owned(v.to_ascii_uppercase()),
        Some("email") => Cow::Owned(v.to_lowercase()),
        Some("bank_card" | "imei") => Cow::Owned(v.chars().filter(char::is_ascii_digit).collect()),
        _ => Cow::Borrowed(v),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datavisa_discover::validate::{is_bank_card, is_imei, is_mobile};
    use datavisa_vault::KeyRef;
    use proptest::prelude::*;

    fn keys() -> DomainKeys {
        let r = KeyRef {
            key_id: 1,
            recipient: "r".into(),
            domain: "d".into(),
            version: 1,
        };
        DomainKeys::from_root(r, &[9; 32])
    }

    fn round_trip(k: &DomainKeys, f: FpeFormat, keep: usize, v: &str) -> String {
        let e = fpe(k, f, keep, v, false).unwrap();
        assert_eq!(fpe(k, f, keep, &e, true).unwrap(), v.trim(), "{f:?} {v}");
        e
    }

    #[test]
    fn resident_ids_keep_length_and_a_valid_check() {
        let k = keys();
        for v in [
            "11010519491231002X",
            "440524188001010014",
            "110105491231002",
        ] {
            let e = round_trip(&k, FpeFormat::CnResidentId, 0, v);
            assert_eq!(e.len(), v.len());
            assert_ne!(e, v);
            if e.len() == 18 {
                assert_eq!(
                    resident_id_check(&e.as_bytes()[..17]),
                    Some(e.as_bytes()[17])
                );
            }
        }
        // Keeping the region (6 digits) leaves it in clear; the rest still changes.
        let e = round_trip(&k, FpeFormat::CnResidentId, 6, "11010519491231002X");
        assert!(e.starts_with("110105"));
        assert!(
            fpe(&k, FpeFormat::CnResidentId, 0, "110105194912310021", false)
                .unwrap_err()
                .contains("check")
        );
        assert!(fpe(&k, FpeFormat::CnResidentId, 12, "11010519491231002X", false).is_err());
    }

    #[test]
    fn mobiles_cards_and_imeis_stay_valid_and_keep_their_shape() {
        let k = keys();
        for v in ["13812345678", "+86 138-1234-5678", "0086 13912345678"] {
            let e = round_trip(&k, FpeFormat::CnMobile, 1, v);
            assert!(is_mobile(&e), "{e}");
            assert_eq!(e.len(), v.len());
            assert_eq!(
                e.replace(|c: char| c.is_ascii_digit(), "0"),
                v.replace(|c: char| c.is_ascii_digit(), "0")
            );
        }
        let e = round_trip(&k, FpeFormat::BankCard, 0, "6222 0212 3456 7890 128");
        assert!(
            luhn_ok(&e.bytes().filter(u8::is_ascii_digit).collect::<Vec<_>>()),
            "{e}"
        );
        assert_eq!(e.len(), 23);
        let e = round_trip(&k, FpeFormat::BankCard, 6, "6222021234567890128");
        assert!(e.starts_with("622202") && is_bank_card(&e));
        let e = round_trip(&k, FpeFormat::Imei, 0, "490154203237518");
        assert!(is_imei(&e));
        assert!(fpe(&k, FpeFormat::BankCard, 0, "6222021234567890127", false).is_err());
        round_trip(&k, FpeFormat::Digits, 0, "010-6552 1234");
        assert!(fpe(&k, FpeFormat::Digits, 0, "12-345", false).is_err());
    }

    proptest! {
        #[test]
        fn fpe_round_trips_any_valid_id(body in "[1-9][0-9]{16}", keep in 0usize..=6) {
            let k = keys();
            let check = resident_id_check(body.as_bytes()).unwrap() as char;
            let v = format!("{body}{check}");
            let e = fpe(&k, FpeFormat::CnResidentId, keep, &v, false).unwrap();
            prop_assert_eq!(&e[..keep], &v[..keep]);
            prop_assert_eq!(fpe(&k, FpeFormat::CnResidentId, keep, &e, true).unwrap(), v);
        }

        #[test]
        fn fpe_round_trips_any_mobile(rest in "[3-9][0-9]{9}") {
            let k = keys();
            let v = format!("1{rest}");
            let e = fpe(&k, FpeFormat::CnMobile, 1, &v, false).unwrap();
            prop_assert!(is_mobile(&e));
            prop_assert_eq!(fpe(&k, FpeFormat::CnMobile, 1, &e, true).unwrap(), v);
        }
    }

    #[test]
    fn masks_keep_what_is_asked_and_hide_something() {
        assert_eq!(mask("张三", 1, 0, '*'), "张*");
        assert_eq!(mask("张三丰", 1, 1, '*'), "张*丰");
        assert_eq!(mask("13812345678", 3, 4, '*'), "138****5678");
        assert_eq!(mask("ab", 5, 5, '#'), "#b");
        assert_eq!(mask("a", 0, 0, '*'), "*");
    }

    #[test]
    fn normalises_one_person_to_one_form() {
        assert_eq!(
            normalize(Some("cn_mobile"), "+86 138-1234-5678"),
            "13812345678"
        );
        assert_eq!(
            normalize(Some("cn_resident_id"), "11010519491231002x"),
            "11010519491231002X"
        );
        assert_eq!(
            normalize(Some("email"), " Li@Example.COM "),
            "li@example.com"
        );
        assert_eq!(normalize(None, " x "), "x");
    }
}
