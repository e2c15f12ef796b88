//! Derived knowledge: what a recipient knows may be a part of a column the table holds in full
//! ("knows the city" of a full address, the birth year of a date, the region of a resident ID).
//! A derived column is computed from its base column in every table the attacks use (source,
//! twin, control), so it is a real column of the attacks. A value that is already coarser than
//! the derivation (a generalized twin's province, an interval label) is kept as it is: both sides
//! are in the twin's terms, so the recipient matches at the coarser level.

use crate::error::{invalid, Result};
use datavisa_table::{Column, ColumnData, Dictionary, Table, MISSING};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// How a known column is derived from a column of the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Derivation {
    /// Address: its province (省, 自治区, municipality).
    Province,
    /// Address: down to its city (市, 自治州, 地区, 盟).
    City,
    /// Address: down to its district (区, 县, county-level 市, 旗).
    District,
    /// Date: its year.
    Year,
    /// Date: its year and month.
    Month,
    /// Resident ID: the 6-digit region code.
    Region,
    /// Resident ID: the birth date it encodes.
    BirthDate,
    /// Resident ID: the sex it encodes.
    Sex,
    /// Postcode (or any code): its first n characters.
    Prefix(u8),
}

/// Every derivation name, for messages.
pub const DERIVATIONS: &str = "province, city, district (addresses); year, month (dates); region, birth_date, sex (resident IDs); prefix1 … prefix6 (postcodes)";

impl Derivation {
    /// The derivation a spec names.
    pub fn parse(s: &str) -> Option<Derivation> {
        Some(match s {
            "province" => Derivation::Province,
            "city" => Derivation::City,
            "district" => Derivation::District,
            "year" => Derivation::Year,
            "month" => Derivation::Month,
            "region" => Derivation::Region,
            "birth_date" => Derivation::BirthDate,
            "sex" => Derivation::Sex,
            p => {
                let n: u8 = p.strip_prefix("prefix")?.parse().ok()?;
                if !(1..=6).contains(&n) {
                    return None;
                }
                Derivation::Prefix(n)
            }
        })
    }

    /// Its name in specs and column names.
    pub fn name(self) -> String {
        match self {
            Derivation::Province => "province".into(),
            Derivation::City => "city".into(),
            Derivation::District => "district".into(),
            Derivation::Year => "year".into(),
            Derivation::Month => "month".into(),
            Derivation::Region => "region".into(),
            Derivation::BirthDate => "birth_date".into(),
            Derivation::Sex => "sex".into(),
            Derivation::Prefix(n) => format!("prefix{n}"),
        }
    }

    /// The derived value of one value; a value it cannot refine is kept as it is.
    pub fn apply(self, v: &str) -> String {
        let v = v.trim();
        let out = match self {
            Derivation::Province => address_prefix(v, 1),
            Derivation::City => address_prefix(v, 2),
            Derivation::District => address_prefix(v, 3),
            Derivation::Year => date_part(v, 4),
            Derivation::Month => date_part(v, 7),
            Derivation::Region => id_digits(v).map(|d| d[..6].to_owned()),
            Derivation::BirthDate => id_digits(v).and_then(|d| {
                let b = &d[6..14];
                b.bytes()
                    .all(|c| c.is_ascii_digit())
                    .then(|| format!("{}-{}-{}", &b[..4], &b[4..6], &b[6..8]))
            }),
            Derivation::Sex => id_digits(v).and_then(|d| {
                let c = d.as_bytes()[16];
                c.is_ascii_digit()
                    .then(|| if (c - b'0') % 2 == 1 { "男" } else { "女" }.to_owned())
            }),
            Derivation::Prefix(n) => Some(v.chars().take(n as usize).collect()),
        };
        out.unwrap_or_else(|| v.to_owned())
    }
}

/// A known column derived from a column of the table.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Derived {
    pub column: String,
    pub derive: Derivation,
}

impl Derived {
    /// The derived column's name: `住址:city`.
    pub fn name(&self) -> String {
        format!("{}:{}", self.column, self.derive.name())
    }

    /// The derivation a column name like `住址:city` stands for.
    pub fn from_name(name: &str) -> Option<Derived> {
        let (column, d) = name.rsplit_once(':')?;
        Some(Derived {
            column: column.to_owned(),
            derive: Derivation::parse(d)?,
        })
    }

    /// The derived column of `t`, when `t` has the base column.
    pub fn column_of(&self, t: &Table) -> Option<Column> {
        let base = t.column(&self.column).ok()?;
        let mut dict = Dictionary::new();
        let codes = (0..base.len())
            .map(|i| match base.display(i) {
                Some(v) => dict.intern(&self.derive.apply(&v)),
                None => MISSING,
            })
            .collect();
        let mut c = Column::from_texts(&self.name(), std::iter::empty::<&str>());
        c.data = ColumnData::Categorical(datavisa_table::CatData::new(codes, Arc::new(dict)));
        Some(c)
    }
}

/// `t` with every derived column whose base it has added (those it already has are kept).
pub fn with_derived(t: &Table, derived: &[Derived]) -> Result<Table> {
    let mut columns = t.columns.clone();
    for d in derived {
        if t.index_of(&d.name()).is_ok() {
            continue;
        }
        if let Some(c) = d.column_of(t) {
            columns.push(c);
        }
    }
    let mut out = Table::new(columns).map_err(|e| invalid(e.to_string()))?;
    out.origin = t.origin.clone();
    Ok(out)
}

/// The first `levels` administrative levels of a Chinese address (1 province, 2 city,
/// 3 district), or as many as it has; None when it names no level at all.
fn address_prefix(v: &str, levels: usize) -> Option<String> {
    const MUNICIPALITIES: [&str; 4] = ["北京市", "上海市", "天津市", "重庆市"];
    let mut end = 0;
    let mut found = 0;
    // Province: a municipality (which is also its own city), a province or an autonomous
    // region, or a special administrative region.
    let rest = &v[end..];
    if let Some(m) = MUNICIPALITIES.iter().find(|m| rest.starts_with(**m)) {
        end += m.len();
        found = 2;
    } else if let Some(i) = first_suffix(rest, &["特别行政区", "自治区", "省"]) {
        end += i;
        found = 1;
    }
    if found == 1 && levels >= 2 {
        if let Some(i) = first_suffix(&v[end..], &["自治州", "地区", "市", "盟"]) {
            end += i;
            found = 2;
        }
    }
    if found == 2 && levels >= 3 {
        if let Some(i) = first_suffix(&v[end..], &["区", "县", "市", "旗"]) {
            end += i;
            found = 3;
        }
    }
    (found > 0).then(|| v[..end].to_owned())
}

/// The byte length of `s` up to and including the earliest of the suffixes.
fn first_suffix(s: &str, suffixes: &[&str]) -> Option<usize> {
    suffixes
        .iter()
        .filter_map(|x| s.find(x).map(|i| (i, i + x.len())))
        .min()
        .map(|(_, end)| end)
}

/// The first `n` characters of a date written YYYY-MM-DD, YYYY/MM/DD or YYYYMMDD.
fn date_part(v: &str, n: usize) -> Option<String> {
    let b = v.as_bytes();
    if b.len() >= 8 && b[..8].iter().all(u8::is_ascii_digit) {
        let iso = format!("{}-{}-{}", &v[..4], &v[4..6], &v[6..8]);
        return Some(iso[..n].to_owned());
    }
    let ok = b.len() >= n
        && b[..4].iter().all(u8::is_ascii_digit)
        && (n == 4 || (matches!(b[4], b'-' | b'/') && b[5..7].iter().all(u8::is_ascii_digit)));
    ok.then(|| v[..n].replace('/', "-"))
}

/// An 18-character resident ID's characters (the last may be X), or None.
fn id_digits(v: &str) -> Option<&str> {
    (v.len() == 18 && v.is_ascii()).then_some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_down_to_each_level() {
        let a = "广东省深圳市南山区科技园路1号";
        assert_eq!(Derivation::Province.apply(a), "广东省");
        assert_eq!(Derivation::City.apply(a), "广东省深圳市");
        assert_eq!(Derivation::District.apply(a), "广东省深圳市南山区");
        let b = "北京市朝阳区建国路88号";
        assert_eq!(Derivation::Province.apply(b), "北京市");
        assert_eq!(Derivation::City.apply(b), "北京市");
        assert_eq!(Derivation::District.apply(b), "北京市朝阳区");
        let c = "新疆维吾尔自治区乌鲁木齐市天山区";
        assert_eq!(Derivation::City.apply(c), "新疆维吾尔自治区乌鲁木齐市");
        // Coarser than asked: kept at its own level; not an address: kept as it is.
        assert_eq!(Derivation::District.apply("广东省"), "广东省");
        assert_eq!(Derivation::City.apply("*"), "*");
    }

    #[test]
    fn dates_ids_and_postcodes() {
        assert_eq!(Derivation::Year.apply("1985-07-14"), "1985");
        assert_eq!(Derivation::Month.apply("1985/07/14"), "1985-07");
        assert_eq!(Derivation::Month.apply("19850714"), "1985-07");
        assert_eq!(Derivation::Year.apply("[1980, 1990)"), "[1980, 1990)");
        let id = "11010519491231002X";
        assert_eq!(Derivation::Region.apply(id), "110105");
        assert_eq!(Derivation::BirthDate.apply(id), "1949-12-31");
        assert_eq!(Derivation::Sex.apply(id), "女");
        assert_eq!(Derivation::Sex.apply("110105194912310031"), "男");
        assert_eq!(Derivation::Prefix(3).apply("518057"), "518");
        assert_eq!(Derivation::parse("prefix7"), None);
        assert_eq!(Derivation::parse("town"), None);
        let d = Derived::from_name("住址:city").unwrap();
        assert_eq!(d.derive, Derivation::City);
        assert_eq!(d.name(), "住址:city");
    }

    #[test]
    fn derived_columns_are_added_where_the_base_is() {
        let t = Table::new(vec![Column::from_texts(
            "住址",
            ["广东省深圳市南山区a", "广东省广州市天河区b"],
        )])
        .unwrap();
        let d = Derived {
            column: "住址".into(),
            derive: Derivation::City,
        };
        let out = with_derived(&t, &[d]).unwrap();
        let c = out.column("住址:city").unwrap();
        assert_eq!(c.display(0).as_deref(), Some("广东省深圳市"));
        assert_eq!(c.display(1).as_deref(), Some("广东省广州市"));
    }
}
