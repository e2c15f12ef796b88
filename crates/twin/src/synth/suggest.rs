//! A public domain to declare instead of one estimated with differential privacy that left out
//! too many values: the whole list of a public classification (GB/T 6565 occupations, GB/T 2260
//! provinces, GB 3304 ethnic groups, GB/T 2261.1 sex, GB/T 4658 education) that holds enough of
//! the column's values, written as a spec snippet to paste. The lists are data
//! (`classifications.toml`), not code.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::OnceLock;

/// One public classification and the ways its list is written.
#[derive(Clone, Debug, Deserialize)]
pub struct Classification {
    /// The standard's number (`GB/T 6565-2015`).
    pub standard: String,
    /// Its title.
    pub title: String,
    /// The part of it the lists hold (`大类 (8 major classes)`).
    pub part: String,
    /// Complete lists, each one way of writing the classes.
    pub forms: Vec<Vec<String>>,
}

#[derive(Deserialize)]
struct File {
    classification: Vec<Classification>,
}

/// The built-in classifications.
pub fn classifications() -> &'static [Classification] {
    static LIST: OnceLock<Vec<Classification>> = OnceLock::new();
    LIST.get_or_init(|| {
        toml::from_str::<File>(include_str!("classifications.toml"))
            // The file is part of the crate; the test below reads it.
            .map(|f| f.classification)
            .unwrap_or_default()
    })
}

/// A domain to declare for a column, from a public source.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DomainSuggestion {
    /// The source of the list: the standard, its title and part.
    pub source: String,
    /// The list.
    pub categories: Vec<String>,
    /// Share of the column's present values the list holds (exact, like the loss).
    pub coverage: f64,
    /// The spec snippet to paste.
    pub toml: String,
}

/// The public classification whose list holds the largest share of `counts`' rows, when that
/// share is at least `min`.
pub fn suggest(column: &str, counts: &[(String, u64)], min: f64) -> Option<DomainSuggestion> {
    let present: u64 = counts.iter().map(|c| c.1).sum();
    if present == 0 {
        return None;
    }
    let rows: HashMap<&str, u64> = counts.iter().map(|(v, n)| (v.as_str(), *n)).collect();
    let (c, form, held) = classifications()
        .iter()
        .flat_map(|c| c.forms.iter().map(move |f| (c, f)))
        .map(|(c, f)| {
            let held: u64 = f.iter().filter_map(|v| rows.get(v.as_str())).sum();
            (c, f, held)
        })
        .max_by_key(|x| x.2)?;
    let coverage = held as f64 / present as f64;
    if held == 0 || coverage < min {
        return None;
    }
    let source = format!("{} {}, {}", c.standard, c.title, c.part);
    Some(DomainSuggestion {
        toml: snippet(column, form, &source),
        source,
        categories: form.clone(),
        coverage,
    })
}

/// `[[columns]]` with the column's name and its domain, under a comment naming the source.
pub fn snippet(column: &str, categories: &[String], source: &str) -> String {
    let quoted: Vec<String> = categories
        .iter()
        .map(|v| toml::Value::String(v.clone()).to_string())
        .collect();
    format!(
        "# {source}\n[[columns]]\nname = {name}\ndomain = {{ categories = [{}] }}\n",
        quoted.join(", "),
        name = toml::Value::String(column.to_owned()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(v: &[(&str, u64)]) -> Vec<(String, u64)> {
        v.iter().map(|(s, n)| (s.to_string(), *n)).collect()
    }

    #[test]
    fn the_lists_are_complete() {
        let by = |s: &str| {
            classifications()
                .iter()
                .find(|c| c.standard.starts_with(s))
                .unwrap()
        };
        assert_eq!(by("GB/T 6565").forms[0].len(), 8);
        assert_eq!(
            by("GB/T 2260")
                .forms
                .iter()
                .map(Vec::len)
                .collect::<Vec<_>>(),
            [34, 34]
        );
        assert_eq!(
            by("GB 3304").forms.iter().map(Vec::len).collect::<Vec<_>>(),
            [56, 56]
        );
        assert_eq!(by("GB/T 2261.1").forms[0].len(), 4);
        // Every short ethnic name is its full one without 族, in the same order, as discover's.
        let e = by("GB 3304");
        for (i, short) in e.forms[1].iter().enumerate() {
            assert_eq!(format!("{short}族"), e.forms[0][i]);
            assert_eq!(datavisa_discover::vocab::ETHNIC_GROUPS[i], short);
        }
        assert_eq!(classifications().len(), 5);
    }

    #[test]
    fn an_occupation_column_of_major_classes_gets_gb_t_6565() {
        // 95 of 100 rows are major classes, 5 a typo: coverage 0.95.
        let c = counts(&[
            ("专业技术人员", 50),
            ("军人", 20),
            ("生产制造及有关人员", 25),
            ("专业技术人", 5),
        ]);
        let s = suggest("职业", &c, 0.9).unwrap();
        assert!(
            s.source.starts_with("GB/T 6565-2015 职业分类与代码"),
            "{}",
            s.source
        );
        assert!((s.coverage - 0.95).abs() < 1e-12);
        assert_eq!(s.categories.len(), 8);
        // The snippet is valid TOML naming the column and the whole list.
        let t: toml::Table = toml::from_str(&s.toml).unwrap();
        let col = &t["columns"][0];
        assert_eq!(col["name"].as_str(), Some("职业"));
        assert_eq!(col["domain"]["categories"].as_array().unwrap().len(), 8);
        assert!(s.toml.starts_with("# GB/T 6565-2015 职业分类与代码"));
        // Below the coverage asked for, nothing is suggested.
        assert!(suggest("职业", &c, 0.96).is_none());
        assert!(suggest("x", &counts(&[("Tech-support", 9)]), 0.9).is_none());
        assert!(suggest("x", &[], 0.9).is_none());
    }

    #[test]
    fn the_form_the_data_uses_is_chosen() {
        let s = suggest("性别", &counts(&[("男", 40), ("女", 60)]), 0.9).unwrap();
        assert_eq!(s.categories, ["男", "女", "未知", "未说明"]);
        let s = suggest(
            "民族",
            &counts(&[("汉族", 90), ("壮族", 8), ("回族", 2)]),
            0.9,
        )
        .unwrap();
        assert!(s.source.starts_with("GB 3304"));
        assert_eq!(s.categories[0], "汉族");
        let s = suggest("省份", &counts(&[("广东", 5), ("北京", 5)]), 0.9).unwrap();
        assert!(s.source.starts_with("GB/T 2260"));
        assert_eq!(s.categories.len(), 34);
    }
}
