//! Every document rendered in Chinese holds no English sentence: after taking out the data a
//! document shows as written (codes, hashes, file and column names, dates, numbers, units and the
//! statute abbreviations the catalogue allows), no run of Latin letters remains.

mod common;

use common::{datavisa_in, json_of, small_demo, stray_latin, succeeds_in};
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
    "ARX",
    "Loss",
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

#[test]
fn every_document_in_chinese_has_no_untranslated_words() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    let v = small_demo(p);
    let steps = v["steps"].as_array().unwrap();
    let store = "demo/demo-store";
    // Data the documents show as written: the demo's names, recipients and columns.
    let data = [
        "Demo Retail (Shanghai) Co., Ltd.",
        "Demo Retail Group",
        "partner-sg",
        "Demo Partner Analytics (Singapore) Pte. Ltd.",
        "hr-analytics",
        "data-broker",
        "Group HR analytics (Munich)",
        "Marketing data broker",
        // A command-line flag the plan names (`--fact emergency`).
        "--fact emergency",
        // The demo table's Latin column names.
        "customer_id",
        "email",
        "icd10",
        // What the user recorded with each transfer, shown as written.
        "demo: membership analytics",
        "demo: separate consent",
    ];
    let mut checked = 0;
    for a in steps[6]["assessments"].as_array().unwrap() {
        let id = a["assessment"].as_str().unwrap();
        let out = format!("{id}.zh.html");
        succeeds_in(
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
        let stray = stray_latin(&text, &data, ALLOWED);
        assert!(
            stray.is_empty(),
            "assessment {id} in Chinese has English words {stray:?}"
        );
        checked += 1;
    }
    pipia_in(p, store, "zh", "pipia.zh.html");
    let text = visible_text(&std::fs::read_to_string(p.join("pipia.zh.html")).unwrap());
    let stray = stray_latin(&text, &data, ALLOWED);
    assert!(
        stray.is_empty(),
        "the PIPIA in Chinese has English words {stray:?}"
    );
    assert!(text.contains("标准合同备案"), "{text}");
    assert!(checked >= 2);
    browser_renders(p, store);
    visa_certificates(p, store, steps);
    // The human output of `assess show` in Chinese, by DATAVISA_LANG or --lang.
    for a in steps[6]["assessments"].as_array().unwrap() {
        let id = a["assessment"].as_str().unwrap();
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_datavisa"))
            .args(["assess", "show", id, "--store", store])
            .env("DATAVISA_LANG", "zh")
            .current_dir(p)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let out = String::from_utf8(o.stdout).unwrap();
        assert!(out.contains("结论：") && out.contains("检验："), "{out}");
        let stray = stray_latin(&out, &data, ALLOWED);
        assert!(
            stray.is_empty(),
            "assess show {id} in Chinese has English words {stray:?}"
        );
        let en = datavisa_in(&["assess", "show", id, "--store", store, "--lang", "en"], p);
        assert!(String::from_utf8_lossy(&en.stdout).contains("checks:"));
    }
    // The plan, in Chinese.
    let o = datavisa_in(
        &[
            "plan",
            "--exporter",
            "Demo Retail (Shanghai) Co., Ltd.",
            "--recipient",
            "partner-sg",
            "--file",
            "demo/customers.csv",
            "--person-column",
            "身份证号",
            "--store",
            store,
            "--lang",
            "zh",
        ],
        p,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = String::from_utf8(o.stdout).unwrap();
    assert!(
        out.contains("标准合同备案") && out.contains("仍需履行的义务"),
        "{out}"
    );
    let stray = stray_latin(&out, &data, ALLOWED);
    assert!(
        stray.is_empty(),
        "the plan in Chinese has English words {stray:?}"
    );
    let bad = datavisa_in(&["assess", "list", "--store", store, "--lang", "fr"], p);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--lang \"fr\": use en or zh"));
}

/// The demo exporter's PIPIA draft for partner-sg in `lang`, written to `file`.
fn pipia_in(p: &Path, store: &str, lang: &str, file: &str) {
    succeeds_in(
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
            lang,
            "--store",
            store,
            "-o",
            file,
        ],
    );
}

/// The PIPIA draft in both languages and a visa certificate, laid out and printed by headless
/// Chromium (the assessment report's own browser test is in verdict_cli).
fn browser_renders(p: &Path, store: &str) {
    let Some(chromium) = common::chromium() else {
        return;
    };
    pipia_in(p, store, "en", "pipia.en.html");
    for (file, heading) in [
        ("pipia.zh.html", "出境机制的确定"),
        ("pipia.en.html", "Mechanism determination"),
    ] {
        let (dom, pages) = common::chromium_render(&chromium, p, &p.join(file));
        assert!(pages >= 1, "{file} printed to PDF");
        assert!(dom.contains(heading), "{file}: {dom}");
    }
    let visas = json_of(&datavisa_in(
        &["visa", "list", "--store", store, "--format", "json"],
        p,
    ));
    for v in visas.as_array().unwrap() {
        let id = v["id"].as_str().unwrap();
        let file = format!("{id}-page.html");
        succeeds_in(p, &["report", "visa", id, "--store", store, "-o", &file]);
        let (dom, pages) = common::chromium_render(&chromium, p, &p.join(&file));
        assert_eq!(pages, 1, "the certificate of {id} fits one A4 page");
        assert!(
            dom.contains("接收方承诺的合同条款")
                && dom.contains("Contract clauses the recipient accepts")
        );
    }
}

/// `report visa`: one bilingual page per visa, with the twin's hash, the review date and every
/// condition as a clause in both languages; a visa on a non-anonymized verdict says it is no
/// anonymization certificate.
fn visa_certificates(p: &Path, store: &str, steps: &[serde_json::Value]) {
    let visas = json_of(&datavisa_in(
        &["visa", "list", "--store", store, "--format", "json"],
        p,
    ));
    let mut seen = 0;
    for a in steps[6]["assessments"].as_array().unwrap() {
        let id = a["visa"].as_str().unwrap();
        let v = visas
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["id"] == id)
            .unwrap();
        let out = format!("{id}.html");
        succeeds_in(p, &["report", "visa", id, "--store", store, "-o", &out]);
        let html = std::fs::read_to_string(p.join(&out)).unwrap();
        let text = visible_text(&html);
        assert!(text.contains(v["twin_sha256"].as_str().unwrap()), "{id}");
        assert!(text.contains(v["review_on"].as_str().unwrap()), "{id}");
        if a["verdict"] == "anonymized" {
            assert!(
                text.contains("接收方不得尝试识别")
                    && text.contains("shall not attempt to identify")
            );
            assert!(text.contains("shall delete the data") && text.contains("前删除数据"));
            assert!(!text.contains("本页不是匿名化证明"));
        } else {
            assert!(
                text.contains("本页不是匿名化证明")
                    && text.contains("not an anonymization certificate")
            );
        }
        seen += 1;
    }
    assert_eq!(seen, 2);
    let o = datavisa_in(
        &[
            "report",
            "visa",
            "visa-nope",
            "--store",
            store,
            "-o",
            "x.html",
        ],
        p,
    );
    assert!(!o.status.success() && String::from_utf8_lossy(&o.stderr).contains("visa-nope"));
    assert!(!p.join("x.html").exists());
}

#[test]
fn the_checker_finds_english_sentences() {
    let stray = stray_latin("结论：the twin is fine，sha256 ab12 PIPL", &[], ALLOWED);
    assert_eq!(stray, ["fine", "is", "the", "twin"]);
}
