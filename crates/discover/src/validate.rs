//! Format and check-digit validators for Chinese and international identifiers.

use datavisa_table::date::{days_from_civil, is_valid_date};

/// Province-level codes that open a resident ID (GB/T 2260), plus 83 used by residence permits.
pub const PROVINCE_CODES: &[u32] = &[
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52,
    53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83,
];

const ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK: &[u8; 11] = b"10X98765432";

/// The ISO 7064 MOD 11-2 check character of the first 17 digits of a resident ID.
pub fn resident_id_check(body17: &[u8]) -> Option<u8> {
    if body17.len() != 17 || !body17.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let sum: u32 = body17
        .iter()
        .zip(ID_WEIGHTS)
        .map(|(&d, w)| (d - b'0') as u32 * w)
        .sum();
    Some(ID_CHECK[(sum % 11) as usize])
}

fn num(b: &[u8]) -> u32 {
    b.iter().fold(0, |a, &d| a * 10 + (d - b'0') as u32)
}

/// Birth date (days since epoch) of a resident ID when its structure is valid.
pub fn resident_id_birth(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let (y, m, d, region) = match b.len() {
        18 => {
            if !b[..17].iter().all(u8::is_ascii_digit) {
                return None;
            }
            let check = b[17].to_ascii_uppercase();
            if resident_id_check(&b[..17])? != check {
                return None;
            }
            (
                num(&b[6..10]) as i64,
                num(&b[10..12]),
                num(&b[12..14]),
                &b[..2],
            )
        }
        15 => {
            if !b.iter().all(u8::is_ascii_digit) {
                return None;
            }
            (
                1900 + num(&b[6..8]) as i64,
                num(&b[8..10]),
                num(&b[10..12]),
                &b[..2],
            )
        }
        _ => return None,
    };
    if !PROVINCE_CODES.contains(&num(region))
        || !(1900..=2100).contains(&y)
        || !is_valid_date(y, m, d)
    {
        return None;
    }
    Some(days_from_civil(y, m, d))
}

/// True for a valid 18-digit (or legacy 15-digit) resident ID number.
pub fn is_resident_id(s: &str) -> bool {
    resident_id_birth(s).is_some_and(|birth| birth <= datavisa_table::date::today())
}

/// True when the digits pass the Luhn check.
pub fn luhn_ok(digits: &[u8]) -> bool {
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &c)| {
            let d = (c - b'0') as u32;
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 {
                    x - 9
                } else {
                    x
                }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// The Luhn check digit to append to `body`.
pub fn luhn_check_digit(body: &[u8]) -> u8 {
    (0..10u8)
        .map(|d| b'0' + d)
        .find(|&d| {
            let mut v = body.to_vec();
            v.push(d);
            luhn_ok(&v)
        })
        .unwrap_or(b'0')
}

fn strip_separators(s: &str) -> Vec<u8> {
    s.bytes()
        .filter(|b| !matches!(b, b' ' | b'-' | b'(' | b')' | b'.'))
        .collect()
}

/// True for a bank card number: 16-19 digits (separators allowed), Luhn-valid, issuer 3-6.
pub fn is_bank_card(s: &str) -> bool {
    let d = strip_separators(s);
    (16..=19).contains(&d.len()) && matches!(d[0], b'3'..=b'6') && luhn_ok(&d)
}

/// True for an IMEI: 15 digits, Luhn-valid.
pub fn is_imei(s: &str) -> bool {
    let d = strip_separators(s);
    d.len() == 15 && luhn_ok(&d)
}

/// The 11-digit national form of a mainland mobile number, if `s` is one.
pub fn mobile_national(s: &str) -> Option<String> {
    let mut t = s.trim();
    for p in ["+86", "0086", "(+86)", "+ 86"] {
        if let Some(r) = t.strip_prefix(p) {
            t = r;
            break;
        }
    }
    let d = strip_separators(t);
    let d = if d.len() == 13 && d.starts_with(b"86") {
        d[2..].to_vec()
    } else {
        d
    };
    (d.len() == 11
        && d[0] == b'1'
        && matches!(d[1], b'3'..=b'9')
        && d.iter().all(u8::is_ascii_digit))
    .then(|| String::from_utf8_lossy(&d).into_owned())
}

/// True for a mainland mobile number, with or without +86/0086 and separators.
pub fn is_mobile(s: &str) -> bool {
    mobile_national(s).is_some()
}

/// True for a mainland landline: 0 + area code (2-3 digits) + 7-8 digit number, optional
/// extension, separators allowed.
pub fn is_landline(s: &str) -> bool {
    let t = s.trim();
    let t = t
        .strip_prefix("+86")
        .or_else(|| t.strip_prefix("0086"))
        .map_or_else(
            || t.to_owned(),
            |r| format!("0{}", r.trim_start_matches([' ', '-'])),
        );
    let main = t.split(['转', '#', 'x', 'X']).next().unwrap_or("");
    let d = strip_separators(main);
    if d.len() < 9 || !d.iter().all(u8::is_ascii_digit) || d[0] != b'0' || d[1] == b'0' {
        return false;
    }
    // 010 and 02x have 2-digit area codes (with 8-digit numbers); the rest 3 digits.
    let area = if d[1] == b'1' || d[1] == b'2' { 3 } else { 4 };
    let rest = d.len().saturating_sub(area);
    (7..=8).contains(&rest) && d.len() >= area + 7
}

/// True for a plausible e-mail address.
pub fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    if local.is_empty() || local.len() > 64 || domain.contains('@') || !domain.contains('.') {
        return false;
    }
    let local_ok = local
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"._%+-!#$&'*/=?^`{|}~".contains(&b));
    let labels: Vec<&str> = domain.split('.').collect();
    let labels_ok = labels.iter().all(|l| {
        !l.is_empty()
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    });
    let tld = labels.last().copied().unwrap_or("");
    local_ok && labels_ok && tld.len() >= 2 && tld.bytes().all(|b| b.is_ascii_alphabetic())
}

/// True for an IPv4 or IPv6 address.
pub fn is_ip(s: &str) -> bool {
    s.parse::<std::net::IpAddr>().is_ok()
}

fn is_upper_no_io(b: u8) -> bool {
    b.is_ascii_uppercase() && b != b'I' && b != b'O'
}

/// True for a PRC passport number (E/G + 8 digits, E + letter + 7 digits, or P/S/D + 7 digits).
pub fn is_passport(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |r: &[u8]| r.iter().all(u8::is_ascii_digit);
    match b.len() {
        9 if matches!(b[0], b'E' | b'G') && digits(&b[1..]) => true,
        9 if b[0] == b'E' && is_upper_no_io(b[1]) && digits(&b[2..]) => true,
        8 if matches!(b[0], b'P' | b'S' | b'D') && digits(&b[1..]) => true,
        _ => false,
    }
}

/// True for a Hong Kong/Macao/Taiwan travel or home-return permit number.
pub fn is_travel_permit(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |r: &[u8]| r.iter().all(u8::is_ascii_digit);
    match b.len() {
        9 if matches!(b[0], b'C' | b'L' | b'T' | b'H' | b'M') && digits(&b[1..]) => true,
        9 if b[0] == b'C' && is_upper_no_io(b[1]) && digits(&b[2..]) => true,
        11 if matches!(b[0], b'H' | b'M') && digits(&b[1..]) => true,
        _ => false,
    }
}

const USCC_CHARS: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const USCC_WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// The check character of the first 17 characters of a unified social credit code (GB 32100).
pub fn uscc_check(body17: &[u8]) -> Option<u8> {
    if body17.len() != 17 {
        return None;
    }
    let mut sum = 0u32;
    for (&c, w) in body17.iter().zip(USCC_WEIGHTS) {
        sum += USCC_CHARS.iter().position(|&x| x == c)? as u32 * w;
    }
    let v = (31 - sum % 31) % 31;
    Some(USCC_CHARS[v as usize])
}

/// True for a valid unified social credit code.
pub fn is_uscc(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 18 && uscc_check(&b[..17]) == Some(b[17])
}

/// One-character abbreviations of the provinces used on licence plates.
pub const PLATE_PROVINCES: &str = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼";

/// True for a mainland licence plate, regular (5 characters) or new-energy (6).
pub fn is_license_plate(s: &str) -> bool {
    let mut chars = s.chars().filter(|c| !matches!(c, '·' | ' ' | '-' | '•'));
    let (Some(p), Some(letter)) = (chars.next(), chars.next()) else {
        return false;
    };
    if !PLATE_PROVINCES.contains(p) || !letter.is_ascii_uppercase() || matches!(letter, 'I' | 'O') {
        return false;
    }
    let rest: Vec<char> = chars.collect();
    let alnum =
        |c: &char| (c.is_ascii_uppercase() && !matches!(c, 'I' | 'O')) || c.is_ascii_digit();
    match rest.len() {
        5 => {
            rest[..4].iter().all(alnum) && (alnum(&rest[4]) || "学警港澳挂领试超".contains(rest[4]))
        }
        6 => {
            let digits = |r: &[char]| r.iter().all(|c| c.is_ascii_digit());
            (matches!(rest[0], 'D' | 'F') && alnum(&rest[1]) && digits(&rest[2..]))
                || (digits(&rest[..5]) && matches!(rest[5], 'D' | 'F'))
        }
        _ => false,
    }
}

/// True for a 6-digit postcode. Any first digit: mainland codes open with 0-8, but Hong Kong
/// and Macao addresses carry 999077 and 999078, and generated test data (Faker's `zh_CN`) draws
/// the first digit from 1-9; refusing a 9 made a column of postcodes read as 8 in 9 postcodes.
pub fn is_postcode(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 6 && b.iter().all(u8::is_ascii_digit)
}

/// True for an ICD-10 code such as `E11` or `I10.9`.
pub fn is_icd10(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 3 || !b[0].is_ascii_uppercase() || b[0] == b'U' {
        return false;
    }
    if !b[1].is_ascii_digit() || !b[2].is_ascii_digit() {
        return false;
    }
    match &b[3..] {
        [] => true,
        [b'.', rest @ ..] => {
            (1..=4).contains(&rest.len())
                && rest
                    .iter()
                    .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
        }
        _ => false,
    }
}

/// A latitude/longitude pair written in one value ("31.2304,121.4737").
pub fn is_lat_lng_pair(s: &str) -> bool {
    let Some((a, b)) = s.split_once([',', ' ', ';']) else {
        return false;
    };
    let (Ok(lat), Ok(lng)) = (a.trim().parse::<f64>(), b.trim().parse::<f64>()) else {
        return false;
    };
    lat.abs() <= 90.0 && lng.abs() <= 180.0 && a.contains('.') && b.contains('.')
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        // Fuzz: validators take any text a table may hold and never panic.
        #[test]
        fn validators_never_panic(s in "\\PC{0,24}", d in "[0-9 +()-]{0,24}") {
            for v in [s.as_str(), d.as_str()] {
                let _ = (is_resident_id(v), is_bank_card(v), is_imei(v), is_mobile(v), is_landline(v));
                let _ = (is_email(v), is_ip(v), is_passport(v), is_travel_permit(v), is_uscc(v));
                let _ = (is_license_plate(v), is_postcode(v), is_icd10(v), is_lat_lng_pair(v));
            }
        }

        #[test]
        fn generated_checks_validate(body in "[1-9][0-9]{14,17}") {
            let check = luhn_check_digit(body.as_bytes()) as char;
            let full = format!("{}{}", body, check);
            prop_assert!(luhn_ok(full.as_bytes()));
        }
    }

    #[test]
    fn landline_regressions() {
        for v in ["0", "01", "0-", "(0)", ""] {
            assert!(!is_landline(v));
        }
    }

    #[test]
    fn resident_ids() {
        // GB 11643 worked example.
        assert!(is_resident_id("11010519491231002X"));
        assert!(is_resident_id("11010519491231002x"));
        assert!(
            !is_resident_id("110105194912310021"),
            "wrong check character"
        );
        assert!(!is_resident_id("990105194912310029"), "no such province");
        assert!(!is_resident_id("110105194902300021"), "30 February");
        assert!(is_resident_id("110105491231002"), "legacy 15-digit form");
        assert!(!is_resident_id("110105491331002"), "month 13");
        assert_eq!(resident_id_check(b"11010519491231002"), Some(b'X'));
    }

    #[test]
    fn cards_and_luhn() {
        assert!(is_bank_card("6222021234567890128") || !luhn_ok(b"6222021234567890128"));
        assert!(is_bank_card("4111 1111 1111 1111"));
        assert!(!is_bank_card("4111 1111 1111 1112"));
        assert!(!is_bank_card("1111111111111117"), "issuer digit 1");
        assert!(is_imei("490154203237518"));
        assert!(!is_imei("490154203237519"));
        assert_eq!(luhn_check_digit(b"411111111111111"), b'1');
    }

    #[test]
    fn phones() {
        for m in [
            "13800138000",
            "+86 138 0013 8000",
            "0086-138-0013-8000",
            "8613800138000",
        ] {
            assert!(is_mobile(m), "{m}");
        }
        assert!(!is_mobile("12800138000"));
        assert!(!is_mobile("1380013800"));
        for l in [
            "010-12345678",
            "(0755)1234567",
            "021 6123 4567",
            "0571-88881234转123",
        ] {
            assert!(is_landline(l), "{l}");
        }
        assert!(!is_landline("13800138000"));
        assert!(!is_landline("0012345678"));
    }

    #[test]
    fn other_formats() {
        assert!(is_email("li.wei+x@example.com.cn"));
        assert!(!is_email("li@wei"));
        assert!(!is_email("a@b@c.com"));
        assert!(is_ip("192.168.1.20") && is_ip("2001:db8::1") && !is_ip("300.1.1.1"));
        assert!(is_passport("E12345678") && is_passport("EA1234567") && !is_passport("EI1234567"));
        assert!(is_travel_permit("C12345678") && is_travel_permit("H1234567890"));
        assert!(!is_travel_permit("X12345678"));
        // A published USCC (Alibaba (China) Co., Ltd.).
        assert!(is_uscc("91330100799655058B"));
        assert!(!is_uscc("91330100799655058C"));
        assert!(is_license_plate("京A12345") && is_license_plate("粤B·D12345"));
        assert!(is_license_plate("沪AD12345") && is_license_plate("苏E12345F"));
        assert!(!is_license_plate("京I12345") && !is_license_plate("XA12345"));
        assert!(is_postcode("100010") && is_postcode("010010") && is_postcode("999077"));
        assert!(!is_postcode("10001") && !is_postcode("1000100") && !is_postcode("10001a"));
        assert!(is_icd10("E11") && is_icd10("I10.9") && !is_icd10("U07.1") && !is_icd10("E1"));
        assert!(is_lat_lng_pair("31.2304,121.4737") && !is_lat_lng_pair("95.1,10.2"));
    }
}
