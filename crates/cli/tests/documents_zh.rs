//! Every document rendered in Chinese holds no English sentence: after taking out the data a
//! document shows as written (codes, hashes, file and column names, dates, numbers, units and the
//! statute abbreviations the catalogue allows), no run of Latin letters remains.

mod common;

use common::{datavisa_in, json_of};
use std::path::Path;

/// Latin words a Chinese document may carry: statute and standard abbreviations, model
/// letters, the tool's name and the code words printed beside their translation.
const ALLOWED: &[&str] = &[
    "PIPL",
    "CAC",
    "CIIO",
    "PROV",
    "CERT",
    "SCCM",
    "Art",
    "Arts",
    "GB",
    "T",
    "ISO",
    "IEC",
    "k",
    "sha",
    "datavisa",
    "ICO",
    "PDPC",
    "EMA",
    "PRCI",
    "El",
    "Emam",
    "LEGAL",
    "RULES",
    "Bonferroni",
    "Anonymeter",
    "F",
    "f",
    "N",
    "v",
    "html",
    "csv",
    "json",
    "DP",
    "PIPIA",
];

/// The visible text of an HTML page (tags and the style sheet removed, entities kept short).
fn visible_text(html: &str) -> String {
    let body = html.split("</style>").nth(1).unwrap_or(html);
    // Code (a command line) is shown as written.
    let mut body = body.to_owned();
    while let (Some(a), Some(b)) = (body.find("<code>"), body.find("</code>")) {
        if b < a {
            break;
        }
        body.replace_range(a..b + "</code>".len(), " ");
    }
    let mut out = String::new();
    let mut in_tag = false;
    for c in body.chars() {
        match c {
            '<' => {
                in_tag = true;
                out.push(' ');
            }
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
}

/// Latin words left after dropping data tokens: anything with a digit, a path or code
/// separator, or a name the caller lists (column names, ids, exporter names).
fn stray_latin(text: &str, data: &[&str]) -> Vec<String> {
    let mut t = text.to_owned();
    for d in data {
        t = t.replace(d, " ");
    }
    let mut out = Vec::new();
    for token in t.split(|c: char| {
        c.is_whitespace() || "，。；：、（）()[]{}\"'“”<>=+,;:|·—–→↔±≤≥?？！!".contains(c)
    }) {
        let is_data = token
            .chars()
            .any(|c| c.is_ascii_digit() || "/._-@#%$*".contains(c));
        if token.is_empty() || is_data {
            continue;
        }
        for word in token.split(|c: char| !c.is_ascii_alphabetic()) {
            // A lone capital is a rule id's prefix (M-5 split); two capitals a country code.
            let lone_capital = word.len() <= 2 && word.chars().all(|c| c.is_ascii_uppercase());
            if !word.is_empty() && !lone_capital && !ALLOWED.contains(&word) {
                out.push(word.to_owned());
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

fn run(dir: &Path, args: &[&str]) {
    let o = datavisa_in(args, dir);
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn every_document_in_chinese_has_no_untranslated_words() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    let v = json_of(&datavisa_in(
        &[
            "demo",
            "--rows",
            "3000",
            "--out",
            "demo",
            "--as-of",
            "2026-11-22",
            "--format",
            "json",
        ],
        p,
    ));
    let steps = v["steps"].as_array().unwrap();
    let store = "demo/demo-store";
    // Data the documents show as written: the demo's names, recipients and columns.
    let data = [
        "Demo Retail (Shanghai) Co., Ltd.",
        "Demo Retail Group",
        "partner-sg",
        "hr-analytics",
        "data-broker",
        "Group HR analytics (Munich)",
        "Marketing data broker",
        // What the user recorded with each transfer, shown as written.
        "demo: membership analytics",
        "demo: separate consent",
    ];
    let mut checked = 0;
    for a in steps[6]["assessments"].as_array().unwrap() {
        let id = a["assessment"].as_str().unwrap();
        let out = format!("{id}.zh.html");
        run(
            p,
            &[
                "report",
                "assessment",
                id,
                "--lang",
                "zh",
                "--store",
                store,
                "-o",
                &out,
            ],
        );
        let text = visible_text(&std::fs::read_to_string(p.join(&out)).unwrap());
        let stray = stray_latin(&text, &data);
        assert!(
            stray.is_empty(),
            "assessment {id} in Chinese has English words {stray:?}"
        );
        checked += 1;
    }
    run(
        p,
        &[
            "report",
            "pipia",
            "--exporter",
            "Demo Retail (Shanghai) Co., Ltd.",
            "--recipient",
            "partner-sg",
            "--year",
            "2026",
            "--lang",
            "zh",
            "--store",
            store,
            "-o",
            "pipia.zh.html",
        ],
    );
    let text = visible_text(&std::fs::read_to_string(p.join("pipia.zh.html")).unwrap());
    let stray = stray_latin(&text, &data);
    assert!(
        stray.is_empty(),
        "the PIPIA in Chinese has English words {stray:?}"
    );
    assert!(text.contains("标准合同备案"), "{text}");
    assert!(checked >= 2);
}

#[test]
fn the_checker_finds_english_sentences() {
    let stray = stray_latin("结论：the twin is fine，sha256 ab12 PIPL", &[]);
    assert_eq!(stray, ["fine", "is", "the", "twin"]);
}
