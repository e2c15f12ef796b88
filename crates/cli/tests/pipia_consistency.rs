//! The PIPIA draft agrees with itself and with the ledger: a visa, a transfer's mechanism and a
//! count read the same in every section that mentions them, in both languages; the recorded
//! mechanism is set against the required one; anonymized transfers are set apart as outside
//! PIPL; the recipient appears by its legal name from the ledger.

mod common;

use common::{datavisa_in, json_of, small_demo, succeeds_in};
use serde_json::Value;

const EXPORTER: &str = "Demo Retail (Shanghai) Co., Ltd.";
const STORE: &str = "demo/demo-store";

/// Every fact of the rendered draft as (section title, label, value) in `lang`.
fn facts(report: &Value, lang: &str) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for s in report["sections"].as_array().unwrap() {
        let title = s["title"][lang].as_str().unwrap().to_owned();
        for f in s["facts"].as_array().unwrap() {
            out.push((
                title.clone(),
                f["label"][lang].as_str().unwrap().to_owned(),
                f["value"][lang].as_str().unwrap().to_owned(),
            ));
        }
    }
    out
}

#[test]
fn every_section_of_the_pipia_states_each_fact_the_same_way() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    let v = small_demo(p);
    let visa = v["steps"][6]["assessments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["recipient"] == "hr-analytics")
        .unwrap()["visa"]
        .as_str()
        .unwrap()
        .to_owned();
    succeeds_in(
        p,
        &[
            "ledger",
            "recipient",
            "add",
            "hr-analytics",
            "--jurisdiction",
            "DE",
            "--legal-name",
            "Group HR Analytics GmbH",
            "--store",
            STORE,
        ],
    );
    let record = |extra: &[&str], date: &str| {
        let mut args = vec![
            "ledger",
            "record",
            "--exporter",
            EXPORTER,
            "--recipient",
            "hr-analytics",
            "--date",
            date,
            "--store",
            STORE,
        ];
        args.extend_from_slice(extra);
        let o = json_of(&datavisa_in(
            &[args.as_slice(), &["--format", "json"]].concat(),
            p,
        ));
        o["recorded"]["transfer_id"]
            .as_str()
            .or_else(|| o["transfer_id"].as_str())
            .unwrap_or_else(|| panic!("{o}"))
            .to_owned()
    };
    // The anonymized twin under its visa; the raw table under the right mechanism; the raw table
    // again under a mechanism that falls short.
    let anonymized = record(
        &["--file", "demo/customers-generalized.csv", "--visa", &visa],
        "2026-11-22",
    );
    let right = record(
        &[
            "--file",
            "demo/customers.csv",
            "--person-column",
            "身份证号",
            "--mechanism",
            "standard_contract",
        ],
        "2026-11-23",
    );
    let short = record(
        &[
            "--file",
            "demo/customers.csv",
            "--person-column",
            "身份证号",
            "--mechanism",
            "exempt",
        ],
        "2026-11-24",
    );
    succeeds_in(
        p,
        &[
            "report",
            "pipia",
            "--exporter",
            EXPORTER,
            "--recipient",
            "hr-analytics",
            "--year",
            "2026",
            "--store",
            STORE,
            "-o",
            "pipia.json",
        ],
    );
    let report: Value =
        serde_json::from_slice(&std::fs::read(p.join("pipia.json")).unwrap()).unwrap();
    let year = json_of(&datavisa_in(
        &[
            "ledger", "report", "--year", "2026", "--format", "json", "--store", STORE,
        ],
        p,
    ));
    let counts = &year["exporters"][0]["counts"];
    for lang in ["zh", "en"] {
        let all = facts(&report, lang);
        // One visa, one text, in every section that names it (§4 and §9 among them).
        let about_visa: Vec<&String> = all
            .iter()
            .filter(|(_, _, value)| value.contains(visa.as_str()))
            .map(|(_, _, value)| value)
            .collect();
        assert!(
            about_visa.len() >= 2,
            "{lang}: the visa is named in §4 and §9: {about_visa:?}"
        );
        assert!(
            about_visa.windows(2).all(|w| w[0] == w[1]),
            "{lang}: {about_visa:?}"
        );
        let sections: std::collections::BTreeSet<&str> = all
            .iter()
            .filter(|(_, _, v)| v.contains(visa.as_str()))
            .map(|(s, _, _)| s.as_str())
            .collect();
        assert!(sections.len() >= 2, "{lang}: {sections:?}");
        // Each transfer's mechanism reads the same in the scope and in the mechanism section.
        for t in [&anonymized, &right, &short] {
            // (§12 lists every transfer id; it states no mechanism.)
            let mentions: Vec<&(String, String, String)> = all
                .iter()
                .filter(|(_, l, v)| v.contains(t.as_str()) || l.contains(t.as_str()))
                .filter(|(_, l, _)| {
                    !l.contains("台账传输编号") && !l.contains("Ledger transfer ids")
                })
                .collect();
            assert_eq!(mentions.len(), 2, "{lang}: transfer {t}: {mentions:?}");
            let in_mechanism = &mentions
                .iter()
                .find(|(_, l, _)| l.contains(t.as_str()))
                .unwrap()
                .2;
            let in_scope = &mentions
                .iter()
                .find(|(_, _, v)| v.contains(t.as_str()))
                .unwrap()
                .2;
            assert!(
                in_scope.ends_with(in_mechanism.as_str()),
                "{lang}: {in_scope} / {in_mechanism}"
            );
        }
        // The counts are the ledger's.
        let count_of = |what: &str| {
            all.iter()
                .find(|(_, l, _)| l.contains("2026") && l.contains(what))
                .map(|(_, _, v)| v.parse::<u64>().unwrap())
                .unwrap()
        };
        let (ordinary, sensitive) = if lang == "en" {
            ("ordinary", "(sensitive")
        } else {
            ("一般", "（敏感")
        };
        assert_eq!(
            count_of(ordinary),
            counts["ordinary"].as_u64().unwrap(),
            "{lang}"
        );
        assert_eq!(
            count_of(sensitive),
            counts["sensitive"].as_u64().unwrap(),
            "{lang}"
        );
    }
    let en = facts(&report, "en");
    let value_of = |label: &str, t: &str| {
        en.iter()
            .find(|(_, l, _)| {
                l == &format!("Mechanism of transfer {t}") || (l == label && t.is_empty())
            })
            .map(|(_, _, v)| v.clone())
            .unwrap()
    };
    assert!(value_of("", &anonymized).starts_with("not personal information (PIPL Art. 4)"));
    assert!(!value_of("", &right).contains("WARNING"));
    assert!(value_of("", &short).contains("WARNING: the recorded mechanism falls short"));
    assert!(value_of("", &short).contains("recorded mechanism: exempt"));
    let recipient = en
        .iter()
        .find(|(_, l, _)| l == "Overseas recipient")
        .unwrap();
    assert_eq!(
        recipient.2,
        "Group HR Analytics GmbH (DE; recipient id hr-analytics)"
    );
    let jurisdiction = en.iter().find(|(_, l, _)| l == "Jurisdiction").unwrap();
    assert_eq!(jurisdiction.2, "DE");
    assert!(!en.iter().any(|(_, _, v)| v.contains("none on record")));
    let mechanism = en.iter().find(|(_, l, _)| l == "Mechanism").unwrap();
    assert!(
        mechanism.2.starts_with("standard contract filing"),
        "{}",
        mechanism.2
    );
    assert_eq!(year["exporters"][0]["mechanism"], "standard_contract");
}
