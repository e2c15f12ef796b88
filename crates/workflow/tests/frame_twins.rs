//! Twins of data frames made in memory: the same twin and figures as the file path, the
//! frame's evidence in the manifest, hierarchies given as frames, domains given per column.

use datavisa_table::{Column, Table, ValueType};
use datavisa_workflow::frames::Frame;
use datavisa_workflow::twins::{
    DomainSpec, Domains, GeneralizeRequest, ModelChoice, SynthParams, TWIN_IN_MEMORY,
};
use datavisa_workflow::{ErrorKind, Workspace};
use std::path::Path;

/// Ages 31-34 and 41-44, sex F F M M per decade: only (decade, sex) makes classes of two.
fn people() -> Table {
    Table::new(vec![
        Column::from_numbers(
            "age",
            ValueType::Integer,
            vec![31.0, 32.0, 33.0, 34.0, 41.0, 42.0, 43.0, 44.0],
        ),
        Column::from_texts("sex", ["F", "F", "M", "M", "F", "F", "M", "M"]),
    ])
    .unwrap()
}

const AGE_ARX: &str = "31;30-39;*\n32;30-39;*\n33;30-39;*\n34;30-39;*\n41;40-49;*\n42;40-49;*\n43;40-49;*\n44;40-49;*\n";

/// The ARX file above as a table: the value, then one column per level.
fn age_hierarchy(ages: &[f64]) -> Table {
    let decade = |a: &f64| if *a < 40.0 { "30-39" } else { "40-49" };
    Table::new(vec![
        Column::from_numbers("value", ValueType::Integer, ages.to_vec()),
        Column::from_texts("decade", ages.iter().map(decade)),
        Column::from_texts("top", ages.iter().map(|_| "*")),
    ])
    .unwrap()
}

fn request(input: &Path, hierarchy: String) -> GeneralizeRequest {
    GeneralizeRequest {
        input: input.to_path_buf(),
        output: Default::default(),
        read: Default::default(),
        quasi: vec!["age".into(), "sex".into()],
        sensitive: vec![],
        hierarchy: vec![hierarchy],
        models: ModelChoice {
            k: Some(2),
            ..Default::default()
        },
        metric: "loss".into(),
        search: "optimal".into(),
        max_checks: 2000,
        time_limit: 60.0,
        output_format: Default::default(),
    }
}

fn texts(t: &Table, column: &str) -> Vec<String> {
    let c = t.index_of(column).unwrap();
    (0..t.n_rows)
        .map(|r| t.columns[c].display(r).unwrap_or_default())
        .collect()
}

#[test]
fn a_frame_generalized_in_memory_is_the_files_twin_with_the_frames_evidence() {
    let d = tempfile::tempdir().unwrap();
    let arx = d.path().join("age.csv");
    std::fs::write(&arx, AGE_ARX).unwrap();
    let source = Frame::of_table("people", people());
    let h = Frame::of_table(
        "hierarchy:age",
        age_hierarchy(&[31., 32., 33., 34., 41., 42., 43., 44.]),
    );
    let ws = Workspace::open(d.path().join("store"), "tester")
        .unwrap()
        .with_frames(&[&source, &h]);
    let by_file = format!("age={}", arx.display());
    let by_frame = format!("age={}", h.path().display());

    let made = ws
        .generalize_in_memory(&request(&source.path(), by_file.clone()))
        .unwrap();
    // Hand-checked: ages to decades, sex kept; four classes of two, nothing suppressed.
    assert_eq!(made.manifest.body["levels"]["age"], 1);
    assert_eq!(made.manifest.body["levels"]["sex"], 0);
    assert_eq!(made.manifest.body["classes"], 4);
    assert_eq!(made.manifest.body["suppressed"], 0);
    assert_eq!(
        texts(&made.table, "age"),
        ["30-39", "30-39", "30-39", "30-39", "40-49", "40-49", "40-49", "40-49"]
    );
    assert_eq!(texts(&made.table, "sex"), texts(&people(), "sex"));
    assert_eq!(made.manifest.source.path, "<people>");
    assert_eq!(made.manifest.source.sha256, source.sha256());
    assert_eq!(made.manifest.output.path, TWIN_IN_MEMORY);
    let twin_hash = Frame::of_table("x", made.table.clone()).sha256().to_owned();
    assert_eq!(
        made.manifest.output.sha256.as_deref(),
        Some(twin_hash.as_str())
    );

    // The hierarchy as a frame gives the same twin; its source names the frame.
    let framed = ws
        .generalize_in_memory(&request(&source.path(), by_frame.clone()))
        .unwrap();
    assert_eq!(texts(&framed.table, "age"), texts(&made.table, "age"));
    assert_eq!(framed.manifest.quality, made.manifest.quality);
    let source_of = &framed.manifest.body["recipe"]["hierarchies"][0]["source"];
    assert_eq!(source_of["kind"], "table");
    assert_eq!(
        source_of["detail"],
        format!("hierarchy:age (sha256 {})", h.sha256())
    );

    // Written: the same figures, the file hashed, the source still the frame's.
    let out = d.path().join("twin.csv");
    let (written, table) = ws
        .generalize_keeping(&GeneralizeRequest {
            output: out.clone(),
            ..request(&source.path(), by_file)
        })
        .unwrap();
    assert_eq!(written.manifest.source.sha256, source.sha256());
    assert_eq!(
        written.manifest.body["levels"],
        made.manifest.body["levels"]
    );
    assert_eq!(texts(&table, "age"), texts(&made.table, "age"));
    assert_eq!(
        written.manifest.output.sha256.as_deref().unwrap(),
        datavisa_table::file_sha256(&out).unwrap()
    );

    // A recipe whose hierarchy was a frame cannot be re-applied from its manifest alone.
    let framed_out = d.path().join("framed.csv");
    let (w, _) = ws
        .generalize_keeping(&GeneralizeRequest {
            output: framed_out.clone(),
            ..request(&source.path(), by_frame.clone())
        })
        .unwrap();
    std::fs::write(d.path().join("people.csv"), "age,sex\n31,F\n32,F\n").unwrap();
    let e = ws
        .apply_recipe(
            Path::new(&w.manifest_path),
            (&d.path().join("people.csv"), &d.path().join("again.csv")),
            &Default::default(),
            &Default::default(),
        )
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::BadInput);
    assert!(e.message.contains("handed over in memory"), "{}", e.message);
    assert!(!d.path().join("again.csv").exists());

    // A hierarchy frame without one of the values: bad input naming the column and value.
    let short = Frame::of_table(
        "hierarchy:age",
        age_hierarchy(&[31., 32., 33., 34., 41., 42., 43.]),
    );
    let e = ws
        .with_frames(&[&short])
        .generalize_in_memory(&request(&source.path(), by_frame))
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::BadInput);
    assert!(
        e.message.contains("\"44\" of column \"age\""),
        "{}",
        e.message
    );
}

#[test]
fn domains_given_per_column_synthesize_as_the_same_spec_file() {
    let d = tempfile::tempdir().unwrap();
    let spec = d.path().join("spec.toml");
    std::fs::write(
        &spec,
        "[[columns]]\nname = \"age\"\ndomain = { min = 30, max = 49 }\n\n[[columns]]\nname = \"sex\"\ndomain = { categories = [\"F\", \"M\"] }\n",
    )
    .unwrap();
    let source = Frame::of_table("people", people());
    let ws = Workspace::open(d.path().join("store"), "tester")
        .unwrap()
        .with_frames(&[&source]);
    let params = SynthParams {
        epsilon: 2.0,
        seed: Some(7),
        rows: Some(50),
        ..Default::default()
    };
    let from_file = ws
        .synthesize_in_memory(&source.path(), &Domains::Spec(spec), &params)
        .unwrap();
    let columns = Domains::Columns(vec![
        (
            "age".into(),
            serde_json::from_str::<DomainSpec>(r#"{"min": 30, "max": 49}"#).unwrap(),
        ),
        (
            "sex".into(),
            DomainSpec {
                categories: Some(vec!["F".into(), "M".into()]),
                ..Default::default()
            },
        ),
    ]);
    let given = ws
        .synthesize_in_memory(&source.path(), &columns, &params)
        .unwrap();
    assert_eq!(given.written.table.n_rows, 50);
    for c in ["age", "sex"] {
        assert_eq!(
            texts(&given.written.table, c),
            texts(&from_file.written.table, c)
        );
    }
    assert_eq!(given.written.manifest.body["spec"], "<domain>");
    assert_eq!(given.written.manifest.source.sha256, source.sha256());

    // A domain that cannot be used names its column.
    let bad = Domains::Columns(vec![(
        "age".into(),
        serde_json::from_str::<DomainSpec>(r#"{"min": 49, "max": 30}"#).unwrap(),
    )]);
    let e = ws
        .synthesize_in_memory(&source.path(), &bad, &params)
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::BadInput);
    assert!(e.message.contains("domain of \"age\""), "{}", e.message);
}
