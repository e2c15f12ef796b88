//! Hierarchies that fit the data, end to end: `twin generalize` picks a hierarchy for what each
//! quasi-identifier holds, `hierarchy build` makes the same ones as ARX files that `hierarchy
//! show` and `twin generalize` take as they are.

mod common;

use common::{datavisa, fails_with, json_of};
use serde_json::Value;
use std::path::Path;

/// (division code, province, city, district)
const REGIONS: [(&str, &str, &str, &str); 3] = [
    ("440305", "广东省", "深圳市", "南山区"),
    ("110105", "北京市", "", "朝阳区"),
    ("330106", "浙江省", "杭州市", "西湖区"),
];

/// The ISO 7064 MOD 11-2 check character of a resident ID's 17 digits.
fn check_char(body: &str) -> char {
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = body
        .bytes()
        .zip(W)
        .map(|(b, w)| (b - b'0') as u32 * w)
        .sum();
    b"10X98765432"[(sum % 11) as usize] as char
}

/// 300 people: an address, a resident ID, a birth date, an age and one of 63 occupations (the
/// first three held by 80 rows each, 60 rare ones by one row each).
fn people(path: &Path) {
    let mut s = String::from("地址,身份证号,出生日期,年龄,职业\n");
    for i in 0..300 {
        let (code, prov, city, dist) = REGIONS[i % 3];
        let year = 1950 + (i % 50);
        let (m, d) = (1 + i % 12, 1 + i % 28);
        let body = format!("{code}{year}{m:02}{d:02}{:03}", i % 1000);
        let job = if i < 240 {
            format!("职业{}", i % 3)
        } else {
            format!("罕见职业{}", i % 77)
        };
        s.push_str(&format!(
            "{prov}{city}{dist}科技园路{}号,{body}{},{year}-{m:02}-{d:02},{},{job}\n",
            1 + i % 40,
            check_char(&body),
            18 + i % 60
        ));
    }
    std::fs::write(path, s).unwrap();
}

fn generalize(input: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "twin",
        "generalize",
        input.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--k",
        "2",
        "--suppression",
        "0.5",
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    datavisa(&args)
}

/// The recorded hierarchy of `column` in a generalized twin's manifest.
fn recorded<'a>(m: &'a Value, column: &str) -> &'a Value {
    m["recipe"]["hierarchies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["column"] == column)
        .unwrap_or_else(|| panic!("{column} recorded: {m}"))
}

#[test]
fn generalize_picks_each_columns_hierarchy_and_warns_about_frequency() {
    let d = tempfile::tempdir().unwrap();
    let input = d.path().join("people.csv");
    people(&input);
    let out = d.path().join("twin.csv");
    let o = generalize(
        &input,
        &out,
        &["--quasi", "地址,身份证号,出生日期,年龄,职业"],
    );
    let m = json_of(&o);
    let kinds: Vec<(&str, &str, u64)> = ["地址", "身份证号", "出生日期", "年龄", "职业"]
        .iter()
        .map(|c| {
            let h = recorded(&m, c);
            (
                *c,
                h["source"]["kind"].as_str().unwrap(),
                h["height"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("地址", "address", 4),
            ("身份证号", "resident_id", 4),
            ("出生日期", "date", 5),
            ("年龄", "age", 4),
            ("职业", "frequency", 2),
        ]
    );
    // The frequency grouping records the values each level keeps: 职业0-2 hold 80 of 300 rows
    // (26.7%), above 1%, 5% and 20%; each rare one 1 row (0.3%). The 5% and 20% levels would
    // keep the same three as the 1% level, so only that one is left: value or (other), then *.
    let def = &recorded(&m, "职业")["source"]["def"];
    assert_eq!(
        def["kept"],
        serde_json::json!([["职业0", "职业1", "职业2"]]),
        "{def}"
    );
    assert_eq!(def["min_share"], serde_json::json!([0.01]), "{def}");
    let w = &m["hierarchy_warnings"];
    assert_eq!(w[0]["column"], "职业", "{m}");
    assert_eq!(w[0]["distinct_values"], 63);
    assert_eq!(w.as_array().unwrap().len(), 1);
    let err = String::from_utf8_lossy(&o.stderr);
    let last = err.lines().last().unwrap_or_default();
    assert!(
        last.contains("column \"职业\"") && last.contains("--hierarchy 职业=FILE"),
        "{err}"
    );
    // The twin holds labels of the chosen levels; the recipe re-applies to the same data.
    let again = d.path().join("again.csv");
    let r = json_of(&datavisa(&[
        "twin",
        "apply",
        "--recipe",
        &format!("{}.manifest.json", out.display()),
        input.to_str().unwrap(),
        "-o",
        again.to_str().unwrap(),
        "--format",
        "json",
    ]));
    assert_eq!(r["levels"], m["levels"]);
    assert_eq!(
        std::fs::read_to_string(&again).unwrap(),
        std::fs::read_to_string(&out).unwrap()
    );
}

fn build(dir: &Path, column: &str, kind: &str, extra: &[&str]) -> std::process::Output {
    let data = dir.join("people.csv");
    let out = dir.join(format!("{kind}.csv"));
    let mut args = vec![
        "hierarchy",
        "build",
        data.to_str().unwrap(),
        "--column",
        column,
        "--kind",
        kind,
        "-o",
        out.to_str().unwrap(),
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    datavisa(&args)
}

#[test]
fn built_hierarchies_round_trip_through_show_and_generalize() {
    let d = tempfile::tempdir().unwrap();
    people(&d.path().join("people.csv"));
    let cases: [(&str, &str, &[&str], &str); 4] = [
        (
            "地址",
            "address",
            &[],
            "广东省深圳市南山区科技园路1号;广东省深圳市南山区;广东省深圳市;广东省;*",
        ),
        (
            "身份证号",
            "resident-id",
            &["--keep", "6,2"],
            ";440305;44;*",
        ),
        ("年龄", "age", &[], "23;[20, 25);[20, 30);[20, 40);*"),
        (
            "职业",
            "frequency",
            &["--min-share", "0.1", "--other", "其他"],
            "罕见职业9;其他;*",
        ),
    ];
    for (column, kind, extra, line) in cases {
        let built = json_of(&build(d.path(), column, kind, extra));
        let file = d.path().join(format!("{kind}.csv"));
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(
            text.lines().any(|l| l.ends_with(line) || l == line),
            "{kind}: {line:?} not in {text}"
        );
        let shown = json_of(&datavisa(&[
            "hierarchy",
            "show",
            file.to_str().unwrap(),
            "--column",
            column,
            "--data",
            d.path().join("people.csv").to_str().unwrap(),
            "--format",
            "json",
        ]));
        assert_eq!(shown["levels"], built["levels"], "{kind}");
        // The root holds every row.
        let root = shown["levels"].as_array().unwrap().last().unwrap();
        assert_eq!(root[0]["rows"], 300, "{kind}");
        let twin = d.path().join(format!("{kind}-twin.csv"));
        let m = json_of(&generalize(
            &d.path().join("people.csv"),
            &twin,
            &[
                "--quasi",
                column,
                "--hierarchy",
                &format!("{column}={}", file.display()),
            ],
        ));
        assert_eq!(recorded(&m, column)["source"]["kind"], "file", "{kind}");
        assert!(m.get("hierarchy_warnings").is_none(), "{kind}: {m}");
    }
    // Rows per node, counted by hand: the three regions take 100 rows each; 职业0-2 hold 80
    // each (kept at 10%), the 60 rare ones 60 together.
    let shown = json_of(&build(d.path(), "地址", "address", &[]));
    let provinces = &shown["levels"][3];
    let rows: Vec<(String, u64)> = provinces
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["label"].as_str().unwrap().to_owned(),
                n["rows"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("广东省".to_owned(), 100),
            ("北京市".into(), 100),
            ("浙江省".into(), 100)
        ]
    );
    let shown = json_of(&build(
        d.path(),
        "职业",
        "frequency",
        &["--min-share", "0.1"],
    ));
    let other = shown["levels"][1]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["label"] == "(other)")
        .unwrap()
        .clone();
    assert_eq!(
        (other["values"].as_u64(), other["rows"].as_u64()),
        (Some(60), Some(60))
    );
}

#[test]
fn bad_hierarchy_options_are_refused_and_write_nothing() {
    let d = tempfile::tempdir().unwrap();
    people(&d.path().join("people.csv"));
    let cases: [(&str, &str, &[&str], &str); 7] = [
        (
            "职业",
            "frequency",
            &["--min-share", "0.5,0.1"],
            "min_share",
        ),
        ("职业", "frequency", &["--min-share", "1.5"], "min_share"),
        ("职业", "frequency", &["--other", "*"], "other"),
        (
            "地址",
            "address",
            &["--levels", "province,city"],
            "district, city, province",
        ),
        ("身份证号", "resident-id", &["--keep", "2,4"], "keep"),
        ("年龄", "age", &["--widths", "5,7"], "multiple"),
        (
            "地址",
            "address",
            &["--widths", "5"],
            "--widths does not apply to --kind address",
        ),
    ];
    for (column, kind, extra, needle) in cases {
        let o = build(d.path(), column, kind, extra);
        fails_with(&o, 2, &[needle]);
        assert!(
            !d.path().join(format!("{kind}.csv")).exists(),
            "{kind} {extra:?}"
        );
    }
    let o = build(d.path(), "职业", "occupation", &[]);
    fails_with(&o, 2, &["--kind \"occupation\"", "frequency"]);
    // An age hierarchy needs numbers.
    let o = build(d.path(), "地址", "age", &[]);
    fails_with(&o, 2, &["needs numbers"]);
}
