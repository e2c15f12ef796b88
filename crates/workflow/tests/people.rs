//! People counted as people (issue 18, part 2) and sensitive categories from what datavisa knows
//! (part 3), driven through a `Workspace`: the same 1,000 people sent raw, pseudonymized to A and
//! pseudonymized to B count once; half of them again adds nothing; a synthetic twin adds no one;
//! a generalized twin counts its source's people; a twin's sensitive columns are its source's,
//! whatever its keys, and `plan`, `ledger record` and the PIPIA agree on them.

use datavisa_workflow::ledger::{PlanFactsRequest, RecordRequest, TransferRequest};
use datavisa_workflow::people::PeopleFrom;
use datavisa_workflow::pipia::PipiaRequest;
use datavisa_workflow::sensitivity::SensitivityFrom;
use datavisa_workflow::twins::{
    GeneralizeRequest, ModelChoice, PseudonymizeRequest, SynthParams, SynthesizeRequest,
};
use datavisa_workflow::{
    ErrorKind, FixedClock, KdfParams, Passphrase, ReadRequest, Result, Secrets, Workspace,
};
use std::path::{Path, PathBuf};

/// The test's master key, held in memory.
struct Memory;

impl Secrets for Memory {
    fn master_key(&self) -> Result<Passphrase> {
        Ok(Passphrase::new(
            b"a master key for the people test".to_vec(),
        )?)
    }
    fn has_master_key(&self) -> bool {
        true
    }
    fn approver_credential(&self) -> Result<Passphrase> {
        Err(datavisa_workflow::Error::bad_input("no approver here"))
    }
    fn new_master_key(&self) -> Result<Passphrase> {
        Err(datavisa_workflow::Error::bad_input("no new key here"))
    }
}

const EXPORTER: &str = "Acme (Shanghai)";

/// A valid resident ID (MOD 11-2 check character) for person `i` < 1000: region 110105, born
/// 19(60 + i % 30)-01-(1 + i % 28), sequence i, so every i gives another ID.
fn resident_id(i: usize) -> String {
    let body = format!("11010519{:02}01{:02}{:03}", 60 + i % 30, 1 + i % 28, i);
    let w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = body
        .bytes()
        .zip(w)
        .map(|(b, w)| (b - b'0') as u32 * w)
        .sum();
    format!("{body}{}", b"10X98765432"[(sum % 11) as usize] as char)
}

/// A Luhn-valid 16-digit card number for person `i`.
fn bank_card(i: usize) -> String {
    let body = format!("622848{i:09}");
    let sum: u32 = body
        .bytes()
        .rev()
        .enumerate()
        .map(|(k, b)| {
            let d = (b - b'0') as u32;
            if k % 2 == 0 {
                let x = d * 2;
                x / 10 + x % 10
            } else {
                d
            }
        })
        .sum();
    format!("{body}{}", (10 - sum % 10) % 10)
}

/// People `from..to`: everyone has a resident ID; the even ones a diagnosis and every fourth a
/// bank card, so the even half (rows with a sensitive value) carries sensitive PI.
fn people(path: &Path, from: usize, to: usize) {
    let mut s = String::from("身份证号,银行卡号,诊断,age,city\n");
    for i in from..to {
        let card = if i % 4 == 0 {
            bank_card(i)
        } else {
            String::new()
        };
        let diagnosis = if i % 2 == 0 { "高血压" } else { "" };
        s.push_str(&format!(
            "{},{card},{diagnosis},{},C{}\n",
            resident_id(i),
            20 + i % 50,
            i % 7
        ));
    }
    std::fs::write(path, s).unwrap();
}

fn setup(dir: &Path) -> Workspace {
    let day = datavisa_table::date::parse_date("2026-06-30").unwrap();
    let ws = Workspace::open(dir.join("store"), "tester")
        .unwrap()
        .with_secrets(Memory)
        .with_clock(FixedClock(day));
    ws.vault_init(KdfParams {
        m_kib: 7 * 1024,
        t: 5,
        p: 1,
    })
    .unwrap();
    ws.add_exporter(EXPORTER, false, None, None).unwrap();
    for r in ["A", "B"] {
        ws.add_recipient(r, "SG").unwrap();
    }
    people(&dir.join("people.csv"), 0, 1000);
    ws
}

fn pseudonymize(ws: &Workspace, input: &Path, output: &Path, recipient: &str) {
    ws.pseudonymize(&PseudonymizeRequest {
        input: input.into(),
        output: output.into(),
        recipient: recipient.into(),
        read: Default::default(),
        output_format: Default::default(),
    })
    .unwrap();
}

/// A transfer of `file` to `recipient`, people by resident ID, sensitive columns by default.
fn transfer(file: PathBuf, recipient: &str) -> TransferRequest {
    TransferRequest {
        exporter: EXPORTER.into(),
        recipient: recipient.into(),
        file,
        person_column: Some("身份证号".into()),
        date: Some("2026-06-01".into()),
        ..Default::default()
    }
}

fn record(ws: &Workspace, t: TransferRequest) -> datavisa_workflow::ledger::RecordedTransfer {
    ws.record_transfer(&RecordRequest {
        transfer: t,
        ..Default::default()
    })
    .unwrap()
}

#[test]
fn the_same_people_raw_and_pseudonymized_to_two_recipients_count_once() {
    let d = tempfile::tempdir().unwrap();
    let ws = setup(d.path());
    let src = d.path().join("people.csv");
    let (a, b) = (d.path().join("for-a.csv"), d.path().join("for-b.csv"));
    pseudonymize(&ws, &src, &a, "A");
    pseudonymize(&ws, &src, &b, "B");
    let first_id =
        |p: &Path| std::fs::read_to_string(p).unwrap().lines().nth(1).unwrap()[..18].to_owned();
    // The twins carry other tokens than the source and each other.
    assert_ne!(first_id(&a), resident_id(0));
    assert_ne!(first_id(&a), first_id(&b));

    // To A: 1,000 people, the even 500 with sensitive PI.
    let r = record(&ws, transfer(a.clone(), "A"));
    assert_eq!(r.people_from, PeopleFrom::TwinInVault);
    assert_eq!(
        (r.recorded.persons, r.recorded.sensitive_persons),
        (1000, 500)
    );
    assert_eq!(
        (r.recorded.new_ordinary, r.recorded.new_sensitive),
        (1000, 500)
    );
    // To B, then raw: the same people, nothing new.
    for (file, to) in [(b, "B"), (src, "A")] {
        let r = record(&ws, transfer(file, to));
        assert_eq!(
            (r.recorded.persons, r.recorded.sensitive_persons),
            (1000, 500)
        );
        assert_eq!((r.recorded.new_ordinary, r.recorded.new_sensitive), (0, 0));
        assert_eq!(
            (r.recorded.totals.ordinary, r.recorded.totals.sensitive),
            (1000, 500)
        );
    }

    // Half of them again, raw and as a new twin for B: the plan and the record add nothing.
    let half = d.path().join("half.csv");
    people(&half, 0, 500);
    let half_b = d.path().join("half-for-b.csv");
    pseudonymize(&ws, &half, &half_b, "B");
    for file in [half, half_b] {
        let p = ws
            .plan(&transfer(file.clone(), "B"), &PlanFactsRequest::default())
            .unwrap();
        assert_eq!(p.plan.counts.ordinary.before, 1000);
        assert_eq!(p.plan.counts.ordinary.after, 1000);
        assert_eq!(p.plan.counts.sensitive.after, 500);
        let r = record(&ws, transfer(file, "B"));
        assert_eq!(
            (r.recorded.persons, r.recorded.sensitive_persons),
            (500, 250)
        );
        assert_eq!((r.recorded.new_ordinary, r.recorded.new_sensitive), (0, 0));
    }
}

#[test]
fn a_pseudonymized_twin_without_its_manifest_is_still_counted_by_its_people() {
    let d = tempfile::tempdir().unwrap();
    let ws = setup(d.path());
    let src = d.path().join("people.csv");
    let a = d.path().join("for-a.csv");
    pseudonymize(&ws, &src, &a, "A");
    record(&ws, transfer(src, "A"));
    // The manifest went missing: the vault still knows the twin by its content.
    let manifest = d.path().join("for-a.csv.manifest.json");
    assert!(manifest.is_file());
    std::fs::remove_file(&manifest).unwrap();
    let r = record(&ws, transfer(a, "B"));
    assert_eq!(r.people_from, PeopleFrom::TwinInVault);
    assert_eq!((r.recorded.persons, r.recorded.new_ordinary), (1000, 0));
    assert_eq!(r.recorded.totals.ordinary, 1000);
}

#[test]
fn a_twin_is_recognised_by_its_manifest_and_the_vault_or_refused_clearly() {
    let d = tempfile::tempdir().unwrap();
    let ws = setup(d.path());
    let a = d.path().join("for-a.csv");
    pseudonymize(&ws, &d.path().join("people.csv"), &a, "A");
    // Without the master key the vault cannot be read: said, not guessed from tokens.
    let day = datavisa_table::date::parse_date("2026-06-30").unwrap();
    let keyless = Workspace::open(d.path().join("store"), "tester")
        .unwrap()
        .with_clock(FixedClock(day));
    let e = keyless
        .plan(&transfer(a.clone(), "A"), &PlanFactsRequest::default())
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::BadInput);
    assert!(e.to_string().contains("master key"), "{e}");
    // A twin changed after it was made no longer matches its manifest.
    let text = std::fs::read_to_string(&a).unwrap();
    std::fs::write(&a, text.replace("C1", "C9")).unwrap();
    let e = ws
        .plan(&transfer(a, "A"), &PlanFactsRequest::default())
        .unwrap_err();
    assert!(e.to_string().contains("changed after it was made"), "{e}");
}

#[test]
fn a_synthetic_twin_adds_no_one_and_a_generalized_twin_counts_its_source() {
    let d = tempfile::tempdir().unwrap();
    let ws = setup(d.path());
    let src = d.path().join("people.csv");
    std::fs::write(
        d.path().join("spec.toml"),
        "[[columns]]\nname = \"身份证号\"\nrole = \"identifier\"\n\
         [[columns]]\nname = \"age\"\nrole = \"quasi\"\ndomain = { min = 20, max = 69 }\n\
         [[columns]]\nname = \"city\"\nrole = \"quasi\"\n\
         domain = { categories = [\"C0\", \"C1\", \"C2\", \"C3\", \"C4\", \"C5\", \"C6\"] }\n",
    )
    .unwrap();
    let read = ReadRequest::default().with_spec(&d.path().join("spec.toml"));
    let synthetic = d.path().join("synthetic.csv");
    let mut params = SynthParams {
        rows: Some(300),
        seed: Some(7),
        drop: vec!["银行卡号".into(), "诊断".into()],
        ..Default::default()
    };
    params.mst.iterations = 200;
    ws.synthesize(&SynthesizeRequest {
        input: src.clone(),
        output: synthetic.clone(),
        read: read.clone(),
        params,
        domain_from: Vec::new(),
        output_format: Default::default(),
    })
    .unwrap();
    // No person column is needed: its 300 rows are no one.
    let r = record(
        &ws,
        TransferRequest {
            person_column: None,
            ..transfer(synthetic, "A")
        },
    );
    assert_eq!(r.people_from, PeopleFrom::Nobody);
    assert_eq!((r.recorded.rows, r.recorded.persons), (300, 0));
    assert_eq!(r.recorded.totals.ordinary, 0);

    let generalized = d.path().join("generalized.csv");
    ws.generalize(&GeneralizeRequest {
        input: src.clone(),
        output: generalized.clone(),
        read,
        quasi: vec![],
        sensitive: vec![],
        hierarchy: vec![],
        models: ModelChoice {
            k: Some(5),
            suppression: 0.05,
            ..Default::default()
        },
        metric: "loss".into(),
        search: "auto".into(),
        max_checks: 10_000,
        time_limit: 30.0,
        output_format: Default::default(),
    })
    .unwrap();
    let header = std::fs::read_to_string(&generalized).unwrap();
    assert!(!header.lines().next().unwrap().contains("身份证号"));
    // The twin dropped the resident ID; its people are its source's 1,000, the even 500
    // sensitive (diagnosis and card kept), all new to the ledger.
    let r = record(&ws, transfer(generalized.clone(), "A"));
    assert_eq!(r.people_from, PeopleFrom::TwinSource);
    assert_eq!(
        (r.recorded.persons, r.recorded.sensitive_persons),
        (1000, 500)
    );
    assert_eq!(
        (r.recorded.new_ordinary, r.recorded.new_sensitive),
        (1000, 500)
    );
    // The same people sent raw to B add nothing.
    let r = record(&ws, transfer(src, "B"));
    assert_eq!((r.recorded.new_ordinary, r.recorded.new_sensitive), (0, 0));
    assert_eq!(r.recorded.totals.ordinary, 1000);
}

#[test]
fn a_twins_sensitive_columns_are_its_sources_whatever_the_keys_and_every_use_agrees() {
    let d = tempfile::tempdir().unwrap();
    let ws = setup(d.path());
    let src = d.path().join("people.csv");
    let source = ws.sensitivity(&src, &Default::default()).unwrap();
    assert_eq!(source.from, SensitivityFrom::Scan);
    assert_eq!(source.column_names(), ["银行卡号", "诊断"]);
    for to in ["A", "B"] {
        let twin = d.path().join(format!("for-{to}.csv"));
        pseudonymize(&ws, &src, &twin, to);
        let s = ws.sensitivity(&twin, &Default::default()).unwrap();
        assert_eq!(s.from, SensitivityFrom::Manifest);
        assert_eq!(s.columns, source.columns, "twin for {to}");
        assert_eq!(s.minors_under_14, source.minors_under_14);
        let plan = ws
            .plan(&transfer(twin.clone(), to), &PlanFactsRequest::default())
            .unwrap();
        assert_eq!(plan.sensitive_columns, source.column_names());
        let recorded = record(&ws, transfer(twin.clone(), to));
        assert_eq!(recorded.sensitive_columns, source.column_names());
        let facts = ws
            .pipia_facts(&PipiaRequest {
                exporter: EXPORTER.into(),
                recipient: to.into(),
                year: None,
                file: Some(twin),
                read: Default::default(),
                lang: datavisa_report::Lang::En,
                output: d.path().join("pipia.html"),
            })
            .unwrap();
        let scan = facts.scan.unwrap();
        assert_eq!(scan.from, SensitivityFrom::Manifest);
        let mut columns: Vec<String> = scan
            .categories
            .iter()
            .flat_map(|c| c.columns.clone())
            .collect();
        columns.sort();
        let mut expected = source.column_names();
        expected.sort();
        assert_eq!(columns, expected);
        // The sensitive count agrees: the plan's, the record's and the ledger's.
        assert_eq!(plan.plan.counts.sensitive.after, 500);
        assert_eq!(recorded.recorded.totals.sensitive, 500);
        assert_eq!(facts.counts.sensitive, 500);
    }
}
