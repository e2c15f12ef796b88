//! Scanning whole tables: generated customers and random tables.

use datavisa_discover::{scan, Kind, ScanOptions, SensitiveCategory};
use datavisa_table::{date::days_from_civil, read_table, ReadOptions, Role};
use proptest::prelude::*;

fn opts() -> ScanOptions {
    ScanOptions {
        reference_date: days_from_civil(2026, 11, 22),
        ..Default::default()
    }
}

#[test]
fn generated_customers_are_recognised() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("c.csv");
    datavisa_discover::fake::write_customers(&p, 5000, 7, days_from_civil(2026, 11, 22)).unwrap();
    let t = read_table(&p, &ReadOptions::default()).unwrap();
    let r = scan(&t, "c.csv", &opts());
    let col = |n: &str| r.columns.iter().find(|c| c.name == n).unwrap();
    let expect = [
        ("customer_id", Some(Kind::InternalId), Role::Identifier),
        ("姓名", Some(Kind::PersonName), Role::Identifier),
        ("性别", Some(Kind::Gender), Role::Quasi),
        ("出生日期", Some(Kind::DateOfBirth), Role::Quasi),
        ("民族", Some(Kind::Ethnicity), Role::Quasi),
        ("身份证号", Some(Kind::CnResidentId), Role::Identifier),
        ("手机号", Some(Kind::CnMobile), Role::Identifier),
        ("email", Some(Kind::Email), Role::Identifier),
        ("银行卡号", Some(Kind::BankCard), Role::Identifier),
        ("地址", Some(Kind::Address), Role::Identifier),
        ("邮编", Some(Kind::Postcode), Role::Quasi),
        ("诊断", None, Role::Sensitive),
        ("icd10", None, Role::Sensitive),
        ("购买金额", None, Role::Other),
        ("备注", Some(Kind::FreeText), Role::Identifier),
    ];
    for (name, kind, role) in expect {
        assert_eq!(
            (col(name).kind, col(name).role),
            (kind, role),
            "{name}: {}",
            col(name).evidence
        );
    }
    assert_eq!(
        col("银行卡号").sensitive_category,
        Some(SensitiveCategory::FinancialAccount)
    );
    assert_eq!(
        col("诊断").sensitive_category,
        Some(SensitiveCategory::MedicalHealth)
    );
    assert_eq!(
        col("纬度").sensitive_category,
        Some(SensitiveCategory::Whereabouts)
    );
    assert!(col("备注").found_inside.contains(&"cn_mobile".to_owned()));
    assert!(col("身份证号")
        .evidence
        .contains("5,000 of 5,000 values are valid resident ID numbers"));
    assert!(col("身份证号").evidence.contains("header \"身份证号\""));
    // Minors: the generator draws birth dates up to 6 years ago, so about 1 in 10 are under 14.
    assert!(
        r.minors_under_14 > 200 && r.minors_under_14 < 1000,
        "{}",
        r.minors_under_14
    );
}

#[test]
fn header_hint_never_overrides_contradicting_values() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("h.csv");
    let mut s = "身份证号,phone\n".to_owned();
    for i in 0..50 {
        s.push_str(&format!("abc{i},hello\n"));
    }
    std::fs::write(&p, s).unwrap();
    let t = read_table(&p, &ReadOptions::default()).unwrap();
    let r = scan(&t, "h.csv", &opts());
    assert_ne!(
        r.columns[0].kind,
        Some(Kind::CnResidentId),
        "{}",
        r.columns[0].evidence
    );
    assert!(
        r.columns[0].evidence.contains("do not agree"),
        "{}",
        r.columns[0].evidence
    );
    assert_ne!(r.columns[1].kind, Some(Kind::CnMobile));
}

proptest! {
    // Fuzz: any table that reads also scans, without panicking.
    #[test]
    fn scan_never_panics(rows in proptest::collection::vec(proptest::collection::vec("[0-9A-Za-z@.+ 张王北京市路号-]{0,20}", 3), 1..60)) {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("f.csv");
        let mut s = "a,b,c\n".to_owned();
        for r in &rows { s.push_str(&r.join(",")); s.push('\n'); }
        std::fs::write(&p, s).unwrap();
        if let Ok(t) = read_table(&p, &ReadOptions { delimiter: Some(b','), ..Default::default() }) {
            let r = scan(&t, "f.csv", &opts());
            prop_assert_eq!(r.columns.len(), 3);
            for c in &r.columns { prop_assert!((0.0..=1.0).contains(&c.confidence)); }
        }
    }
}
