//! Utility of a generalized twin, assessed end to end: measured against the source's original
//! values (a column generalized to `*` scores 0), the same-generalization comparison kept as a
//! labelled secondary figure, stored, read back (also without the new figures, as older
//! assessments were stored) and rendered in both languages.

use datavisa_verdict::Assessment;
use datavisa_workflow::assess::AssessRequest;
use datavisa_workflow::twins::{GeneralizeRequest, ModelChoice};
use datavisa_workflow::verdict::AssessParams;
use datavisa_workflow::{FixedClock, ReadRequest, Workspace};
use std::fmt::Write as _;
use std::path::Path;

const SPEC: &str = r#"
[[columns]]
name = "id"
role = "identifier"
[[columns]]
name = "性别"
role = "quasi"
[[columns]]
name = "职业"
role = "quasi"
[[columns]]
name = "邮编"
role = "quasi"
[[columns]]
name = "诊断"
role = "sensitive"

[[recipients]]
id = "partner"
knows = ["性别", "邮编"]
context = "public"
"#;

/// 300 people; every occupation is unique, so k = 5 without suppression must generalize it to
/// `*`; postcodes are six-digit codes (masked by the automatic hierarchy).
fn setup(dir: &Path) -> Workspace {
    let mut csv = String::from("id,性别,职业,邮编,诊断\n");
    for i in 0..300 {
        let sex = if i % 2 == 0 { "男" } else { "女" };
        let postcode = 100000 + (i % 6) * 1000 + (i % 3);
        writeln!(csv, "P{i:04},{sex},职业{i},{postcode},D{}", i % 4).unwrap();
    }
    std::fs::write(dir.join("source.csv"), csv).unwrap();
    std::fs::write(dir.join("spec.toml"), SPEC).unwrap();
    let day = datavisa_table::date::parse_date("2026-12-01").unwrap();
    let w = Workspace::open(dir.join("store"), "tester")
        .unwrap()
        .with_clock(FixedClock(day));
    w.generalize(&GeneralizeRequest {
        input: dir.join("source.csv"),
        output: dir.join("twin.csv"),
        read: ReadRequest {
            spec: Some(dir.join("spec.toml")),
            ..Default::default()
        },
        quasi: Vec::new(),
        sensitive: Vec::new(),
        hierarchy: Vec::new(),
        models: ModelChoice {
            k: Some(5),
            ..Default::default()
        },
        metric: "loss".into(),
        search: "auto".into(),
        max_checks: 2000,
        time_limit: 30.0,
        output_format: Default::default(),
    })
    .unwrap();
    w
}

fn request(dir: &Path) -> AssessRequest {
    AssessRequest {
        spec: dir.join("spec.toml"),
        twin: dir.join("twin.csv"),
        source: dir.join("source.csv"),
        recipient: "partner".into(),
        control: None,
        kind: None,
        params: AssessParams {
            seed: 3,
            ..Default::default()
        },
        read: Default::default(),
        twin_read: Default::default(),
    }
}

#[test]
fn a_generalized_twin_is_measured_against_the_original_values() {
    let d = tempfile::tempdir().unwrap();
    let w = setup(d.path());
    let a = w.assess(&request(d.path())).unwrap();
    let g = a
        .assessment
        .generalized_utility
        .as_ref()
        .expect("a generalized twin has utility against the original values");
    let o = &g.against_original;
    let col = |n: &str| o.columns.iter().find(|c| c.column == n).unwrap();
    let job = col("职业");
    assert_eq!(job.level, job.height, "{job:?}");
    assert_eq!(
        (job.information, job.loss, job.suppressed_share),
        (0.0, 1.0, 1.0)
    );
    // Kept verbatim: loses nothing. Dropped identifier: keeps nothing.
    let diag = col("诊断");
    assert_eq!(
        (diag.information, diag.loss, diag.suppressed_share),
        (1.0, 0.0, 0.0)
    );
    assert_eq!(col("id").information, 0.0);
    assert!(o.information < 1.0 && o.queries.n_queries > 0);
    // The old figure compares the twin with the source generalized the same way: nothing was
    // suppressed, so it reads 1 on every column. It stays, but only as the secondary figure.
    let same = g.same_generalization.as_ref().unwrap();
    assert!(same.columns.iter().all(|c| (c.score - 1.0).abs() < 1e-12));
    assert!(o.score < same.score);

    // Stored and read back; an assessment stored before these figures existed still reads.
    let stored = w.stored_assessment(&a.id).unwrap();
    let typed = stored.typed().unwrap().generalized_utility.unwrap();
    let back = &typed.against_original;
    assert_eq!(back.columns.len(), o.columns.len());
    assert!((back.score - o.score).abs() < 1e-12);
    for (x, y) in back.columns.iter().zip(&o.columns) {
        assert_eq!(
            (&x.column, x.information, x.suppressed_share),
            (&y.column, y.information, y.suppressed_share)
        );
    }
    let mut old = stored.assessment.clone();
    old.as_object_mut().unwrap().remove("generalized_utility");
    let old: Assessment = serde_json::from_value(old).unwrap();
    assert!(old.generalized_utility.is_none());

    // The report shows the primary figures and labels the secondary one, in both languages.
    let report = datavisa_workflow::report::build(&a);
    let en = datavisa_report::html(&report, datavisa_report::Lang::En);
    let zh = datavisa_report::html(&report, datavisa_report::Lang::Zh);
    assert!(en.contains("Overall score (against the original values)"));
    assert!(en.contains("Secondary figure: score against the source generalized the same way"));
    assert!(en.contains("职业: information / loss / entropy loss / suppressed share / query error"));
    assert!(zh.contains("总体得分（对照原始值）"));
    assert!(zh.contains("次要指标：与同样泛化后的源数据比较的得分"));
    assert!(zh.contains("职业：信息保留 / 损失 / 熵损失 / 抑制占比 / 查询误差"));
}
