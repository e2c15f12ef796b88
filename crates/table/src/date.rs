//! Civil dates as days since 1970-01-01 (proleptic Gregorian), parsing and formatting.

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day number.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// True for a real calendar date.
pub fn is_valid_date(y: i64, m: u32, d: u32) -> bool {
    if !(1..=12).contains(&m) || d == 0 {
        return false;
    }
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    d <= days[(m - 1) as usize]
}

fn digits(s: &[u8]) -> Option<u32> {
    if s.is_empty() || s.len() > 4 || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(s.iter().fold(0u32, |a, &b| a * 10 + (b - b'0') as u32))
}

/// Parses `YYYY-MM-DD`, `YYYY/MM/DD`, `YYYY.MM.DD` or `YYYY年M月D日` into days since the epoch.
pub fn parse_date(s: &str) -> Option<i64> {
    let s = s.trim();
    let (y, m, d) = if let Some(rest) = s.strip_suffix('日') {
        let (y, rest) = rest.split_once('年')?;
        let (m, d) = rest.split_once('月')?;
        (y, m, d)
    } else {
        let b = s.as_bytes();
        if b.len() < 8 || b.len() > 10 {
            return None;
        }
        let sep = *b.get(4)?;
        if !matches!(sep, b'-' | b'/' | b'.') {
            return None;
        }
        let mut parts = s.split(sep as char);
        let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() {
            return None;
        }
        (y, m, d)
    };
    if y.len() != 4 {
        return None;
    }
    let (y, m, d) = (
        digits(y.as_bytes())? as i64,
        digits(m.as_bytes())?,
        digits(d.as_bytes())?,
    );
    is_valid_date(y, m, d).then(|| days_from_civil(y, m, d))
}

/// Parses a date with a time (`T` or space, `HH:MM[:SS[.fff]]`, optional `Z` or offset) into
/// seconds since the epoch (UTC when an offset is given, local wall time otherwise).
pub fn parse_datetime(s: &str) -> Option<f64> {
    let s = s.trim();
    let cut = s.find(['T', ' '])?;
    let days = parse_date(&s[..cut])?;
    let mut t = &s[cut + 1..];
    let mut offset_secs = 0i64;
    if let Some(stripped) = t.strip_suffix('Z') {
        t = stripped;
    } else if t.len() > 6 {
        let tail = &t[t.len() - 6..];
        let tb = tail.as_bytes();
        if (tb[0] == b'+' || tb[0] == b'-') && tb[3] == b':' {
            let h = digits(&tb[1..3])? as i64;
            let m = digits(&tb[4..6])? as i64;
            offset_secs = (h * 3600 + m * 60) * if tb[0] == b'-' { -1 } else { 1 };
            t = &t[..t.len() - 6];
        }
    }
    let mut parts = t.split(':');
    let h = digits(parts.next()?.as_bytes())?;
    let m = digits(parts.next()?.as_bytes())?;
    let sec: f64 = match parts.next() {
        Some(x) => {
            let (whole, frac) = x.split_once('.').unwrap_or((x, ""));
            if whole.len() != 2 || !frac.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let w = digits(whole.as_bytes())? as f64;
            if frac.is_empty() {
                w
            } else {
                w + format!("0.{frac}").parse::<f64>().ok()?
            }
        }
        None => 0.0,
    };
    if parts.next().is_some() || h > 23 || m > 59 || sec >= 61.0 {
        return None;
    }
    Some(days as f64 * 86_400.0 + (h * 3600 + m * 60) as f64 + sec - offset_secs as f64)
}

/// Formats days since the epoch as `YYYY-MM-DD`.
pub fn format_date(days: i64) -> String {
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Formats seconds since the epoch as `YYYY-MM-DD HH:MM:SS`.
pub fn format_datetime(secs: f64) -> String {
    let whole = secs.floor() as i64;
    let days = whole.div_euclid(86_400);
    let rem = whole.rem_euclid(86_400);
    format!(
        "{} {:02}:{:02}:{:02}",
        format_date(days),
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// Today's date in days since the epoch (UTC).
pub fn today() -> i64 {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    (secs / 86_400) as i64
}

/// `date` moved by whole years (29 February becomes 28 February).
pub fn add_years(date: i64, years: i64) -> i64 {
    let (y, m, d) = civil_from_days(date);
    let d = if m == 2 && d == 29 { 28 } else { d };
    days_from_civil(y + years, m, d)
}

/// `date` moved by whole months (day clamped to the month's length).
pub fn add_months(date: i64, months: i64) -> i64 {
    let (y, m, d) = civil_from_days(date);
    let total = y * 12 + (m as i64 - 1) + months;
    let (ny, nm) = (total.div_euclid(12), (total.rem_euclid(12) + 1) as u32);
    let mut nd = d;
    while !is_valid_date(ny, nm, nd) {
        nd -= 1;
    }
    days_from_civil(ny, nm, nd)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_dates() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(parse_date("2024-02-29"), Some(days_from_civil(2024, 2, 29)));
        assert_eq!(parse_date("2023-02-29"), None);
        assert_eq!(
            parse_date("1990年5月7日"),
            Some(days_from_civil(1990, 5, 7))
        );
        assert_eq!(parse_date("1990/05/07"), parse_date("1990-05-07"));
        assert_eq!(parse_date("19900507"), None);
        assert_eq!(format_date(11_017), "2000-03-01");
        assert_eq!(
            parse_datetime("2000-03-01T01:02:03Z"),
            Some(11_017.0 * 86_400.0 + 3723.0)
        );
        assert_eq!(
            parse_datetime("2000-03-01 01:02:03+01:00"),
            Some(11_017.0 * 86_400.0 + 123.0)
        );
        assert_eq!(
            format_datetime(11_017.0 * 86_400.0 + 3723.0),
            "2000-03-01 01:02:03"
        );
        assert_eq!(parse_datetime("2000-03-01 25:00"), None);
    }

    proptest! {
        #[test]
        fn civil_round_trip(z in -1_000_000i64..1_000_000) {
            let (y, m, d) = civil_from_days(z);
            prop_assert!(is_valid_date(y, m, d));
            prop_assert_eq!(days_from_civil(y, m, d), z);
        }

        #[test]
        fn parsers_never_panic(s in "\\PC{0,30}") {
            let _ = parse_date(&s);
            let _ = parse_datetime(&s);
        }
    }
}
