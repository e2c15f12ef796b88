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

fn scan_file(p: &std::path::Path) -> datavisa_discover::ScanReport {
    let t = read_table(p, &ReadOptions::default()).unwrap();
    scan(&t, "t.csv", &opts())
}

fn scan_text(csv: &str) -> datavisa_discover::ScanReport {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("t.csv");
    std::fs::write(&p, csv).unwrap();
    scan_file(&p)
}

#[test]
fn english_clinical_table_gets_health_where_it_is_health() {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sparcs.csv");
    let r = scan_file(&p);
    let health = [
        ("Length of Stay", "a length of stay"),
        ("Type of Admission", "admission types"),
        ("CCS Diagnosis Code", "a diagnosis"),
        ("CCS Diagnosis Description", ""),
        ("CCS Procedure Code", "a procedure"),
        ("CCS Procedure Description", "a procedure"),
        ("APR DRG Code", "a diagnosis"),
        (
            "APR Severity of Illness Description",
            "60 of 60 values are severity grades",
        ),
        ("APR Risk of Mortality", "60 of 60 values are risk grades"),
    ];
    let not_health = [
        "Hospital Service Area",
        "Facility Name",
        "Age Group",
        "Zip Code - 3 digits",
        "Gender",
        "Race",
        "Ethnicity",
        "Patient Disposition",
        "Payment Typology 1",
        "Total Charges",
        "Total Costs",
    ];
    assert_eq!(r.columns.len(), health.len() + not_health.len());
    for c in &r.columns {
        if let Some((_, why)) = health.iter().find(|h| h.0 == c.name) {
            assert_eq!(
                c.sensitive_category,
                Some(SensitiveCategory::MedicalHealth),
                "{}: {}",
                c.name,
                c.evidence
            );
            assert_eq!(c.role, Role::Sensitive, "{}", c.name);
            assert!(c.evidence.contains(why), "{}: {}", c.name, c.evidence);
        } else {
            assert!(not_health.contains(&c.name.as_str()), "{}", c.name);
            assert_ne!(
                c.sensitive_category,
                Some(SensitiveCategory::MedicalHealth),
                "{}: {}",
                c.name,
                c.evidence
            );
        }
    }
    let sev = r
        .columns
        .iter()
        .find(|c| c.name == "APR Severity of Illness Description")
        .unwrap();
    assert!(sev.evidence.contains("header \"APR Severity of Illness Description\" names clinical severity (severity_of_illness)"), "{}", sev.evidence);
}

#[test]
fn chinese_clinical_headers_and_business_departments() {
    let mut s =
        "病情严重程度,死亡风险,入院方式,科室,住院天数,用药,手术编码,部门,Department,员工级别\n"
            .to_owned();
    let rows = [
        (
            "轻度",
            "低",
            "急诊",
            "心内科一病区",
            5,
            "阿司匹林",
            "45.13",
            "销售部",
            "Sales",
            "P5",
        ),
        (
            "重度",
            "高",
            "门诊",
            "骨科",
            12,
            "胰岛素",
            "81.51",
            "财务部",
            "Finance",
            "P6",
        ),
        (
            "中度",
            "中",
            "转院",
            "儿科",
            3,
            "头孢",
            "99.04",
            "人事部",
            "Marketing",
            "P7",
        ),
    ];
    for i in 0..30 {
        let r = rows[i % 3];
        s.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{}\n",
            r.0,
            r.1,
            r.2,
            r.3,
            r.4 + i,
            r.5,
            r.6,
            r.7,
            r.8,
            r.9
        ));
    }
    let r = scan_text(&s);
    for c in &r.columns {
        let business = matches!(c.name.as_str(), "部门" | "Department" | "员工级别");
        let want = (!business).then_some(SensitiveCategory::MedicalHealth);
        assert_eq!(c.sensitive_category, want, "{}: {}", c.name, c.evidence);
    }
    let ward = r.columns.iter().find(|c| c.name == "科室").unwrap();
    assert!(
        ward.evidence
            .contains("30 of 30 values are clinical departments"),
        "{}",
        ward.evidence
    );
}

#[test]
fn postcode_evidence_counts_every_row_leading_zeros_included() {
    // 20 rows, all postcodes: some with a leading zero (Inner Mongolia, Shanxi, Hebei), and
    // Hong Kong's 999077 and a generated 908812 (Faker's zh_CN draws the first digit from 1-9;
    // refusing a 9 once gave "17,797 of 20,000" on such a column).
    let codes = [
        "010010", "100010", "030001", "999077", "050000", "908812", "010010",
    ];
    let mut s = "邮编\n".to_owned();
    for i in 0..20 {
        s.push_str(codes[i % codes.len()]);
        s.push('\n');
    }
    let r = scan_text(&s);
    let c = &r.columns[0];
    assert_eq!(c.kind, Some(Kind::Postcode), "{}", c.evidence);
    assert!(
        c.evidence.contains("20 of 20 values are 6-digit postcodes"),
        "{}",
        c.evidence
    );
}
