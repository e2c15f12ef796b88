//! The recipe "add a detector" (docs/architecture.md), followed once with a toy: a detector is
//! data (kind, validator, header hints, default protection); scanning runs it, and the
//! pseudonymizer protects what it finds the way it declares, with no other code to touch.

use datavisa_discover::detect::{detect_with, Detector, Distinct, Target, DETECTORS};
use datavisa_discover::{Kind, Protection, ScanOptions};
use datavisa_table::{read_table, ReadOptions};
use datavisa_twin::pseudonymize::plan::{default_method, method_of_protection, Method};

fn is_wechat_id(s: &str) -> bool {
    s.len() == 9 && s.starts_with("wx_") && s[3..].chars().all(|c| c.is_ascii_digit())
}

const TOY: Detector = Detector {
    target: Target::Kind(Kind::InternalId),
    protect: Protection::Token,
    specificity: 0.9,
    noun: "WeChat-style ids",
    hints: &["wechat", "微信"],
    test: Some(is_wechat_id),
};

#[test]
fn a_toy_detector_finds_its_kind_and_declares_its_protection() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("t.csv");
    let mut s = String::from("微信号\n");
    for i in 0..200 {
        s.push_str(&format!("wx_{i:06}\n"));
    }
    std::fs::write(&f, s).unwrap();
    let t = read_table(&f, &ReadOptions::default()).unwrap();
    let col = &t.columns[0];
    let values = Distinct::of(col);
    let opts = ScanOptions::default();
    // The built-in detectors do not recognise these values; with the toy added, it is found.
    let builtin = detect_with(DETECTORS, col, &values, &opts);
    assert!(builtin
        .iter()
        .all(|h| h.target != TOY.target || h.confidence < 0.9));
    let with_toy: Vec<Detector> = vec![TOY];
    let hits = detect_with(&with_toy, col, &values, &opts);
    let hit = hits
        .iter()
        .find(|h| h.target == TOY.target)
        .expect("the toy detector hits");
    assert!(
        hit.confidence > 0.9 && hit.hint.is_some(),
        "{}",
        hit.sentence
    );
    // What it declares is what the pseudonymizer does.
    assert_eq!(method_of_protection(TOY.protect), Some(Method::Token));
}

/// Every built-in kind's default method is the one its detector declares (the table that was a
/// string match in the pseudonymizer before).
#[test]
fn every_kind_is_protected_as_its_detector_declares() {
    let expected = [
        ("cn_resident_id", Some("fpe")),
        ("cn_mobile", Some("fpe")),
        ("cn_landline", Some("fpe")),
        ("bank_card", Some("fpe")),
        ("imei", Some("fpe")),
        ("email", Some("token")),
        ("person_name", Some("token")),
        ("ip_address", Some("token")),
        ("internal_id", Some("token")),
        ("passport", Some("encrypt")),
        ("travel_permit", Some("encrypt")),
        ("cn_uscc", Some("encrypt")),
        ("license_plate", Some("encrypt")),
        ("address", Some("mask")),
        ("date_of_birth", Some("generalize-date")),
        ("free_text", Some("drop")),
        ("postcode", None),
        ("gender", None),
        ("ethnicity", None),
        ("age", None),
        ("not_a_kind", None),
    ];
    for (kind, method) in expected {
        assert_eq!(default_method(kind).map(|m| m.name()), method, "{kind}");
    }
    assert_eq!(Kind::ALL.len() + 1, expected.len());
}
