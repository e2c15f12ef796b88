//! Hierarchy builders that know what a column holds: Chinese addresses (province → city →
//! district), resident ID numbers (their 6-digit division code), ages (5/10/20-year bands) and,
//! for categories nothing else fits, a grouping by frequency. Each returns ARX rows (the value,
//! its label at every level, `*` last) or a message saying which option is wrong.

use datavisa_discover::vocab::PROVINCES;

/// Label of a division the value does not name (coarser levels cannot be guessed from it).
pub const UNKNOWN: &str = "?";

/// Default label of the values a frequency level groups together.
pub const OTHER: &str = "(other)";

/// Default shares of the rows a value needs to stay itself at each frequency level: level 1
/// keeps values holding at least 1% of the rows (at most 100 values), level 2 at least 5% (at
/// most 20), level 3 at least 20% (at most 5); the rest become `(other)`, then everything `*`.
pub const FREQUENCY_SHARES: [f64; 3] = [0.01, 0.05, 0.2];

/// Default age bands: 5, 10 and 20 years (`[20, 25)` → `[20, 30)` → `[20, 40)` → `*`).
pub const AGE_WIDTHS: [i64; 3] = [5, 10, 20];

/// Default resident-ID levels: digits of the division code kept (county → city → province).
pub const RESIDENT_ID_KEEP: [i64; 3] = [6, 4, 2];

const MUNICIPALITIES: [&str; 4] = ["北京", "天津", "上海", "重庆"];
const CITY_MARKERS: [&str; 4] = ["自治州", "地区", "盟", "市"];
const DISTRICT_MARKERS: [&str; 4] = ["区", "县", "旗", "市"];
/// Longest division name looked for, in characters (黔东南苗族侗族自治州 has 10).
const MAX_DIVISION_CHARS: usize = 10;

/// Byte ends of the province, city and district prefixes of a Chinese address, where found.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Divisions {
    pub province: Option<usize>,
    pub city: Option<usize>,
    pub district: Option<usize>,
}

/// The end of the province name an address starts with (`广东省`, `广西壮族自治区`, `北京市`,
/// or the short form alone, `广东`).
fn province_end(s: &str) -> Option<usize> {
    let short = PROVINCES
        .iter()
        .filter(|p| s.starts_with(*p))
        .max_by_key(|p| p.len())?;
    let rest = &s[short.len()..];
    for suffix in ["省", "市", "特别行政区", "自治区"] {
        if rest.starts_with(suffix) {
            return Some(short.len() + suffix.len());
        }
    }
    // An autonomous region names its people first: 广西壮族自治区, 宁夏回族自治区.
    match rest.find("自治区") {
        Some(i) if rest[..i].chars().count() <= 4 => Some(short.len() + i + "自治区".len()),
        _ => Some(short.len()),
    }
}

/// The end of the first division of `s` closed by one of `markers`, at least two characters
/// long (so 市中区 is a district, not 市) and at most [`MAX_DIVISION_CHARS`].
fn division_end(s: &str, markers: &[&str]) -> Option<usize> {
    s.char_indices()
        .take(MAX_DIVISION_CHARS)
        .skip(1)
        .find_map(|(i, _)| {
            markers
                .iter()
                .find(|m| s[i..].starts_with(*m))
                .map(|m| i + m.len())
        })
}

/// Splits a Chinese address into its province, city and district prefixes. A municipality
/// (北京市, 上海市 ...) is its own city.
pub fn divisions(s: &str) -> Divisions {
    let s = s.trim();
    let province = province_end(s);
    let start = province.unwrap_or(0);
    let municipality = province.is_some() && MUNICIPALITIES.iter().any(|m| s.starts_with(m));
    let city = if municipality {
        province
    } else {
        division_end(&s[start..], &CITY_MARKERS).map(|e| start + e)
    };
    let from = city.or(province).unwrap_or(0);
    let district = division_end(&s[from..], &DISTRICT_MARKERS).map(|e| from + e);
    Divisions {
        province,
        city,
        district,
    }
}

/// The address levels a definition names (`levels = ["district", "city", "province"]`, fine
/// to coarse, any subset).
fn address_levels(def: &toml::Table) -> Result<Vec<usize>, String> {
    let order = ["district", "city", "province"];
    let Some(v) = def.get("levels") else {
        return Ok(vec![0, 1, 2]);
    };
    let bad = || {
        format!("address levels = {v} must name some of district, city, province, fine to coarse, each once")
    };
    let list = v.as_array().filter(|a| !a.is_empty()).ok_or_else(bad)?;
    let mut out: Vec<usize> = Vec::new();
    for l in list {
        match l.as_str().and_then(|s| order.iter().position(|o| *o == s)) {
            Some(i) if out.last().is_none_or(|&p| i > p) => out.push(i),
            _ => return Err(bad()),
        }
    }
    Ok(out)
}

/// Rows generalizing addresses to their district, city and province prefixes. A division the
/// address does not name takes the label of the next coarser one it does name (`?` if none),
/// so that every label still has a single parent.
pub fn address_rows(
    def: &toml::Table,
    values: &[(String, Option<f64>)],
) -> Result<Vec<Vec<String>>, String> {
    let levels = address_levels(def)?;
    Ok(values
        .iter()
        .map(|(s, _)| {
            let t = s.trim();
            let d = divisions(t);
            let ends = [d.district, d.city, d.province];
            let label = |i: usize| {
                ends[i..]
                    .iter()
                    .flatten()
                    .next()
                    .map_or(UNKNOWN.to_owned(), |&e| t[..e].to_owned())
            };
            let mut row = vec![s.clone()];
            row.extend(levels.iter().map(|&i| label(i)));
            row.push("*".into());
            row
        })
        .collect())
}

/// A list of whole numbers from a definition, each between `lo` and `hi`, strictly decreasing.
fn decreasing(v: &toml::Value, lo: i64, hi: i64) -> Option<Vec<usize>> {
    let list = v.as_array().filter(|a| !a.is_empty())?;
    let mut out: Vec<usize> = Vec::new();
    for x in list {
        let k = x.as_integer().filter(|k| (lo..=hi).contains(k))? as usize;
        if out.last().is_some_and(|&p| k >= p) {
            return None;
        }
        out.push(k);
    }
    Some(out)
}

/// Rows generalizing resident ID numbers (18 or 15 characters, the first 6 the division code
/// of GB/T 2260) to the leading digits of their division code (`keep = [6, 4, 2]`: county →
/// city → province). A value that is no ID number goes to `?`.
pub fn resident_id_rows(
    def: &toml::Table,
    values: &[(String, Option<f64>)],
) -> Result<Vec<Vec<String>>, String> {
    let keep = match def.get("keep") {
        None => RESIDENT_ID_KEEP.iter().map(|&k| k as usize).collect(),
        Some(v) => decreasing(v, 1, 6).ok_or_else(|| {
            format!("resident ID keep = {v} must list the division-code digits each level keeps, decreasing, each from 1 to 6 (e.g. [6, 4, 2])")
        })?,
    };
    Ok(values
        .iter()
        .map(|(s, _)| {
            let t = s.trim();
            let id = matches!(t.len(), 15 | 18)
                && t.is_ascii()
                && t.as_bytes()[..6].iter().all(u8::is_ascii_digit);
            let mut row = vec![s.clone()];
            row.extend(keep.iter().map(|&k| {
                if id {
                    t[..k].to_owned()
                } else {
                    UNKNOWN.to_owned()
                }
            }));
            row.push("*".into());
            row
        })
        .collect())
}

/// The shares of a frequency definition: increasing, each in (0, 1).
fn frequency_shares(def: &toml::Table) -> Result<Vec<f64>, String> {
    let Some(v) = def.get("min_share") else {
        return Ok(FREQUENCY_SHARES.to_vec());
    };
    let bad = || {
        format!("frequency min_share = {v} must list, for each level, the share of rows a value needs to stay itself: increasing, each above 0 and below 1 (e.g. [0.01, 0.05, 0.2])")
    };
    // An empty list is a rebuilt hierarchy none of whose levels kept a value.
    let rebuilt = def
        .get("kept")
        .and_then(|k| k.as_array())
        .is_some_and(Vec::is_empty);
    let list = v
        .as_array()
        .filter(|a| rebuilt || !a.is_empty())
        .ok_or_else(bad)?;
    let mut out: Vec<f64> = Vec::new();
    for x in list {
        let s = x
            .as_float()
            .or_else(|| x.as_integer().map(|i| i as f64))
            .filter(|s| *s > 0.0 && *s < 1.0 && out.last().is_none_or(|p| s > p))
            .ok_or_else(bad)?;
        out.push(s);
    }
    Ok(out)
}

/// The values each frequency level keeps: given as `kept = [[...], ...]` (a rebuilt hierarchy),
/// else those holding at least that level's share of `counts`' rows.
fn kept_values(
    def: &toml::Table,
    shares: &[f64],
    values: &[(String, Option<f64>)],
    counts: Option<&[u64]>,
) -> Result<Vec<Vec<String>>, String> {
    if let Some(v) = def.get("kept") {
        let bad = || {
            format!(
                "frequency kept must list, for each of the {} levels, the values it keeps",
                shares.len()
            )
        };
        let lists = v
            .as_array()
            .filter(|a| a.len() == shares.len())
            .ok_or_else(bad)?;
        return lists
            .iter()
            .map(|l| {
                l.as_array()
                    .ok_or_else(bad)?
                    .iter()
                    .map(|x| x.as_str().map(str::to_owned).ok_or_else(bad))
                    .collect()
            })
            .collect();
    }
    let counts = counts
        .ok_or("a frequency hierarchy needs the data's row counts (or kept = [[...]] lists)")?;
    let total: u64 = counts.iter().sum();
    Ok(shares
        .iter()
        .map(|&share| {
            values
                .iter()
                .zip(counts)
                .filter(|(_, &n)| total > 0 && n as f64 >= share * total as f64)
                .map(|(v, _)| v.0.clone())
                .collect()
        })
        .collect())
}

/// Rows grouping rare values together: at level l a value stays itself when it holds at least
/// `min_share[l]` of the rows, else it becomes `other` (default `(other)`); then `*`. Returns the
/// definition completed with the values each level kept, so the hierarchy can be rebuilt on new
/// data exactly.
pub fn frequency_rows(
    def: &toml::Table,
    values: &[(String, Option<f64>)],
    counts: Option<&[u64]>,
) -> Result<(Vec<Vec<String>>, toml::Table), String> {
    let shares = frequency_shares(def)?;
    let other = match def.get("other") {
        None => OTHER.to_owned(),
        Some(toml::Value::String(s)) if !s.trim().is_empty() && s != "*" => s.clone(),
        Some(v) => {
            return Err(format!(
                "frequency other = {v} must be a label other than \"\" and \"*\""
            ))
        }
    };
    let mut kept = kept_values(def, &shares, values, counts)?;
    let mut shares = shares;
    // A level keeping no value says no more than `*`: it and the coarser ones are left out.
    if let Some(empty) = kept.iter().position(Vec::is_empty) {
        kept.truncate(empty);
        shares.truncate(empty);
    }
    // A level keeping what the level below keeps generalizes nothing; built from counts it is
    // left out (a rebuilt hierarchy keeps the levels it recorded, so its height never changes).
    if def.get("kept").is_none() {
        let mut below = values.len();
        let mut l = 0;
        while l < kept.len() {
            if kept[l].len() == below {
                kept.remove(l);
                shares.remove(l);
            } else {
                below = kept[l].len();
                l += 1;
            }
        }
    }
    let rows = {
        let sets: Vec<hashbrown::HashSet<&str>> = kept
            .iter()
            .map(|k| k.iter().map(String::as_str).collect())
            .collect();
        values
            .iter()
            .map(|(s, _)| {
                let mut row = vec![s.clone()];
                // Once grouped, a value stays grouped: every label keeps a single parent.
                let mut own = true;
                for set in &sets {
                    own = own && set.contains(s.as_str());
                    row.push(if own { s.clone() } else { other.clone() });
                }
                row.push("*".into());
                row
            })
            .collect()
    };
    let mut full = def.clone();
    full.insert(
        "min_share".into(),
        toml::Value::Array(shares.into_iter().map(Into::into).collect()),
    );
    full.insert("other".into(), other.into());
    full.insert(
        "kept".into(),
        toml::Value::Array(
            kept.into_iter()
                .map(|k| toml::Value::Array(k.into_iter().map(Into::into).collect()))
                .collect(),
        ),
    );
    Ok((rows, full))
}

/// The interval definition of an age hierarchy: `widths` (default 5, 10, 20 years).
pub fn age_interval(def: &toml::Table) -> toml::Table {
    let mut d = def.clone();
    d.insert("type".into(), "interval".into());
    d.entry("widths")
        .or_insert_with(|| toml::Value::Array(AGE_WIDTHS.iter().map(|&w| w.into()).collect()));
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(v: &[&str]) -> Vec<(String, Option<f64>)> {
        v.iter().map(|s| (s.to_string(), None)).collect()
    }

    fn def(s: &str) -> toml::Table {
        toml::from_str(s).unwrap()
    }

    #[test]
    fn addresses_go_to_district_city_province() {
        let rows = address_rows(
            &def(""),
            &texts(&[
                "广东省深圳市南山区科技园路18号",
                "北京市东城区王府井大街1号",
                "广西壮族自治区南宁市青秀区民族大道100号",
                "江苏省苏州市昆山市玉山镇前进路5号",
                "深圳市福田区深南大道6号",
                "广东省广州市",
                "科技园路18号",
            ]),
        )
        .unwrap();
        let r = |i: usize| rows[i][1..].to_vec();
        assert_eq!(r(0), ["广东省深圳市南山区", "广东省深圳市", "广东省", "*"]);
        assert_eq!(r(1), ["北京市东城区", "北京市", "北京市", "*"]);
        assert_eq!(
            r(2),
            [
                "广西壮族自治区南宁市青秀区",
                "广西壮族自治区南宁市",
                "广西壮族自治区",
                "*"
            ]
        );
        assert_eq!(r(3), ["江苏省苏州市昆山市", "江苏省苏州市", "江苏省", "*"]);
        // No province named: it is not guessed.
        assert_eq!(r(4), ["深圳市福田区", "深圳市", "?", "*"]);
        // No district: the city stands for it, so 广东省广州市 keeps one parent.
        assert_eq!(r(5), ["广东省广州市", "广东省广州市", "广东省", "*"]);
        assert_eq!(r(6), ["?", "?", "?", "*"]);
        let rows = address_rows(
            &def("levels = [\"city\", \"province\"]"),
            &texts(&["广东省深圳市南山区科技园路18号"]),
        )
        .unwrap();
        assert_eq!(
            rows[0],
            [
                "广东省深圳市南山区科技园路18号",
                "广东省深圳市",
                "广东省",
                "*"
            ]
        );
        for bad in [
            "levels = []",
            "levels = [\"province\", \"city\"]",
            "levels = [\"street\"]",
            "levels = 3",
        ] {
            let e = address_rows(&def(bad), &texts(&["广东省"])).unwrap_err();
            assert!(e.contains("district, city, province"), "{bad}: {e}");
        }
    }

    #[test]
    fn resident_ids_go_to_county_city_province_codes() {
        let rows = resident_id_rows(
            &def(""),
            &texts(&["440305199001011234", "11010519491231002X", "not an id"]),
        )
        .unwrap();
        assert_eq!(rows[0][1..], ["440305", "4403", "44", "*"]);
        assert_eq!(rows[1][1..], ["110105", "1101", "11", "*"]);
        assert_eq!(rows[2][1..], ["?", "?", "?", "*"]);
        let rows =
            resident_id_rows(&def("keep = [4, 2]"), &texts(&["440305199001011234"])).unwrap();
        assert_eq!(rows[0][1..], ["4403", "44", "*"]);
        for bad in [
            "keep = [2, 4]",
            "keep = [7]",
            "keep = [0]",
            "keep = []",
            "keep = \"6\"",
        ] {
            assert!(
                resident_id_rows(&def(bad), &texts(&["440305199001011234"]))
                    .unwrap_err()
                    .contains("keep"),
                "{bad}"
            );
        }
    }

    #[test]
    fn frequency_keeps_frequent_values_and_records_them() {
        // 100 rows: a 60, b 30, c 6, d 4. Level shares 0.05 and 0.5.
        let vals = texts(&["a", "b", "c", "d"]);
        let counts = [60, 30, 6, 4];
        let (rows, full) =
            frequency_rows(&def("min_share = [0.05, 0.5]"), &vals, Some(&counts)).unwrap();
        assert_eq!(rows[0][1..], ["a", "a", "*"]);
        assert_eq!(rows[1][1..], ["b", "(other)", "*"]);
        assert_eq!(rows[2][1..], ["c", "(other)", "*"]);
        assert_eq!(rows[3][1..], ["(other)", "(other)", "*"]);
        // Rebuilt from the recorded lists, without counts, the same rows come out.
        let (again, _) = frequency_rows(&full, &vals, None).unwrap();
        assert_eq!(again, rows);
        // Defaults: 1%, 5%, 20%. At 1% every value stays itself, a level that generalizes
        // nothing, so it is left out and out of the record; d (4%) goes at 5%, c (6%) at 20%.
        let (rows, full) = frequency_rows(&def(""), &vals, Some(&counts)).unwrap();
        assert_eq!(rows[3][1..], ["(other)", "(other)", "*"]);
        assert_eq!(rows[2][1..], ["c", "(other)", "*"]);
        assert_eq!(rows[1][1..], ["b", "b", "*"]);
        assert_eq!(full["min_share"].as_array().unwrap().len(), 2);
        assert_eq!(frequency_rows(&full, &vals, None).unwrap().0, rows);
        // A level keeping what the one below keeps is left out too (5% and 6% keep a, b, c).
        let (rows, full) =
            frequency_rows(&def("min_share = [0.05, 0.06]"), &vals, Some(&counts)).unwrap();
        assert_eq!(rows[2][1..], ["c", "*"]);
        assert_eq!(full["kept"].as_array().unwrap().len(), 1);
        for bad in [
            "min_share = [0.5, 0.1]",
            "min_share = [0]",
            "min_share = [1.0]",
            "min_share = []",
            "other = \"*\"",
            "other = 3",
        ] {
            assert!(
                frequency_rows(&def(bad), &vals, Some(&counts)).is_err(),
                "{bad}"
            );
        }
        assert!(frequency_rows(&def(""), &vals, None)
            .unwrap_err()
            .contains("counts"));
        // Levels keeping nothing are `*` in all but name: left out, and out of the record.
        let (rows, full) =
            frequency_rows(&def("min_share = [0.05, 0.7, 0.9]"), &vals, Some(&counts)).unwrap();
        assert_eq!(rows[0][1..], ["a", "*"]);
        assert_eq!(full["min_share"].as_array().unwrap().len(), 1);
        assert_eq!(frequency_rows(&full, &vals, None).unwrap().0, rows);
        let (rows, full) = frequency_rows(&def("min_share = [0.9]"), &vals, Some(&counts)).unwrap();
        assert_eq!(rows[3][1..], ["*"]);
        assert_eq!(frequency_rows(&full, &vals, None).unwrap().0, rows);
    }
}
