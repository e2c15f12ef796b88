//! The ledger at the library level: counting, idempotence, years, concurrency, plans, export.

use datavisa_ledger::plan::PlanRequest;
use datavisa_ledger::{Facts, Ledger, People, Rules, TransferFacts};

fn ids(range: std::ops::Range<u32>) -> Vec<String> {
    range.map(|i| format!("ID{i:08}")).collect()
}

fn people(v: &[String], sensitive_every: usize) -> People<'_> {
    People {
        ids: v.iter().map(|s| Some(s.as_str())).collect(),
        sensitive: (0..v.len())
            .map(|i| sensitive_every > 0 && i % sensitive_every == 0)
            .collect(),
    }
}

fn facts(recipient: &str, file: &str, date: &str) -> TransferFacts {
    TransferFacts {
        exporter: "Acme".into(),
        recipient: recipient.into(),
        date: date.into(),
        file: file.into(),
        file_sha256: format!("sha-{file}"),
        person_column: "id".into(),
        sensitive_columns: vec![],
        purpose: None,
        legal_basis: None,
        mechanism: None,
        visa: None,
    }
}

fn ledger(dir: &std::path::Path) -> Ledger {
    let mut l = Ledger::open(dir).unwrap();
    l.add_exporter("Acme", false, Some("Acme Group"), None)
        .unwrap();
    l.add_recipient("SG partner", "sg").unwrap();
    l.add_recipient("DE partner", "DE").unwrap();
    l
}

#[test]
fn distinct_people_across_transfers_and_recipients_once_per_year() {
    let d = tempfile::tempdir().unwrap();
    let mut l = ledger(d.path());
    let a = ids(0..1000);
    let h = l.hash_people(&people(&a, 10));
    let r = l
        .record(&facts("SG partner", "a", "2025-03-01"), &h)
        .unwrap();
    assert_eq!(
        (
            r.new_ordinary,
            r.new_sensitive,
            r.totals.ordinary,
            r.totals.sensitive
        ),
        (1000, 100, 1000, 100)
    );
    // Same file again: idempotent.
    let again = l
        .record(&facts("SG partner", "a", "2025-03-01"), &h)
        .unwrap();
    assert!(again.already_recorded);
    assert_eq!((again.new_ordinary, again.totals.ordinary), (0, 1000));
    // Half the same people to another recipient: only the new half counts.
    let b = ids(500..1500);
    let hb = l.hash_people(&people(&b, 0));
    let r = l
        .record(&facts("DE partner", "b", "2025-06-01"), &hb)
        .unwrap();
    assert_eq!(
        (r.new_ordinary, r.new_sensitive, r.totals.ordinary),
        (500, 0, 1500)
    );
    // A new year starts from zero (C-1).
    let r = l
        .record(&facts("DE partner", "b", "2026-01-02"), &hb)
        .unwrap();
    assert_eq!(
        (r.year, r.new_ordinary, r.totals.ordinary),
        (2026, 1000, 1000)
    );
    assert_eq!(l.counts(1, 2025).unwrap().ordinary, 1500);
}

#[test]
fn missing_ids_are_reported_not_counted_and_bad_input_is_refused() {
    let d = tempfile::tempdir().unwrap();
    let mut l = ledger(d.path());
    let p = People {
        ids: vec![Some("A"), None, Some(" "), Some("a"), Some("B")],
        sensitive: vec![false; 5],
    };
    let h = l.hash_people(&p);
    assert_eq!(
        (h.ordinary.len(), h.missing),
        (2, 2),
        "A and a are one person"
    );
    let e = l
        .record(&facts("Nobody", "x", "2025-01-01"), &h)
        .err()
        .unwrap();
    assert!(e.to_string().contains("unknown recipient"), "{e}");
    assert!(l
        .record(&facts("SG partner", "x", "2025-13-01"), &h)
        .is_err());
    let e = l
        .record(&facts("SG partner", "x", "2999-01-01"), &h)
        .err()
        .unwrap();
    assert!(e.to_string().contains("future"), "{e}");
    assert!(l.add_recipient("X", "Singapore").is_err());
    let mut f = facts("SG partner", "x", "2025-01-01");
    f.mechanism = Some("handshake".into());
    assert!(l
        .record(&f, &h)
        .unwrap_err()
        .to_string()
        .contains("mechanism"));
    assert!(l.add_exporter("Acme", false, None, None).is_err());
}

#[test]
fn concurrent_recorders_lose_nothing() {
    let d = tempfile::tempdir().unwrap();
    drop(ledger(d.path()));
    let handles: Vec<_> = (0..4u32)
        .map(|t| {
            let dir = d.path().to_path_buf();
            std::thread::spawn(move || {
                let mut l = Ledger::open(&dir).unwrap();
                for k in 0..5u32 {
                    let v = ids(t * 10_000 + k * 100..t * 10_000 + k * 100 + 150);
                    let h = l.hash_people(&people(&v, 0));
                    l.record(&facts("SG partner", &format!("{t}-{k}"), "2025-05-05"), &h)
                        .unwrap();
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let l = Ledger::open(d.path()).unwrap();
    // Per thread: 5 files of 150 ids stepping by 100 -> 550 distinct; threads disjoint.
    assert_eq!(l.counts(1, 2025).unwrap().ordinary, 4 * 550);
}

#[test]
fn plan_explains_crossing_the_100k_band_and_group_splitting() {
    let d = tempfile::tempdir().unwrap();
    let mut l = ledger(d.path());
    l.add_exporter("Acme Beijing", false, Some("Acme Group"), None)
        .unwrap();
    let rules = Rules::builtin();
    let first = ids(0..95_000);
    let h = l.hash_people(&people(&first, 0));
    l.record(&facts("SG partner", "first", "2025-02-01"), &h)
        .unwrap();
    let next = ids(90_000..110_000);
    let hn = l.hash_people(&people(&next, 0));
    let req = PlanRequest {
        exporter: "Acme",
        recipient: "SG partner",
        date: "2025-04-01",
        purpose: None,
        data_types: vec![],
        storage_location: None,
        facts: Facts::default(),
    };
    let p = l.plan(&rules, req, &hn).unwrap();
    assert_eq!(
        (p.counts.ordinary.before, p.counts.ordinary.after),
        (95_000, 110_000)
    );
    assert_eq!(p.mechanism, "standard_contract");
    assert!(p.rules.contains(&"M-5".to_owned()));
    assert!(
        p.warnings.iter().any(|w| w.contains("into M-5")),
        "{:?}",
        p.warnings
    );
    assert!(
        p.warnings
            .iter()
            .any(|w| w.contains("no standard contract filing on record")),
        "{:?}",
        p.warnings
    );
    assert!(!p.exemptions_to_consider.is_empty());
    // The same 95,000 people plus 10,000 more sent by a sister entity: the group total crosses.
    let mut f = facts("SG partner", "sister", "2025-02-02");
    f.exporter = "Acme Beijing".into();
    let sister = ids(200_000..210_000);
    l.record(&f, &l.hash_people(&people(&sister, 0))).unwrap();
    let small = ids(300_000..300_010);
    let req = PlanRequest {
        exporter: "Acme Beijing",
        recipient: "SG partner",
        date: "2025-04-01",
        purpose: None,
        data_types: vec![],
        storage_location: None,
        facts: Facts::default(),
    };
    let p = l
        .plan(&rules, req, &l.hash_people(&people(&small, 0)))
        .unwrap();
    assert_eq!(p.mechanism, "exempt");
    assert!(
        p.warnings.iter().any(|w| w.starts_with("C-5: group")),
        "{:?}",
        p.warnings
    );
}

#[test]
fn export_and_import_round_trip_with_the_same_key_only() {
    let d = tempfile::tempdir().unwrap();
    let mut l = ledger(d.path());
    let v = ids(0..50);
    l.record(
        &facts("SG partner", "a", "2025-03-01"),
        &l.hash_people(&people(&v, 5)),
    )
    .unwrap();
    let doc = l.export().unwrap();
    let text = doc.to_string();
    assert!(!text.contains("ID00000001"), "no identifiers in the export");
    let other = tempfile::tempdir().unwrap();
    let mut fresh = Ledger::open(other.path()).unwrap();
    assert!(fresh.import(&doc).unwrap_err().to_string().contains("key"));
    drop(fresh);
    let third = tempfile::tempdir().unwrap();
    std::fs::copy(d.path().join("ledger.key"), third.path().join("ledger.key")).unwrap();
    let mut restored = Ledger::open(third.path()).unwrap();
    assert!(restored.import(&doc).unwrap() > 50);
    assert_eq!(
        restored.counts(1, 2025).unwrap(),
        l.counts(1, 2025).unwrap()
    );
    let rep = restored.year_report(&Rules::builtin(), 2025).unwrap();
    assert_eq!(
        (rep[0].counts.ordinary, rep[0].mechanism.as_str()),
        (50, "standard_contract")
    );
    assert!(
        restored.import(&doc).is_err(),
        "not into a non-empty ledger"
    );
}

#[test]
fn filings_out_of_scope_need_refiling() {
    let d = tempfile::tempdir().unwrap();
    let mut l = ledger(d.path());
    l.add_filing(&datavisa_ledger::filings::NewFiling {
        exporter: "Acme".into(),
        kind: "standard_contract".into(),
        effective: Some("2025-01-02".into()),
        purpose: Some("CRM".into()),
        data_types: vec!["id".into(), "city".into()],
        storage_location: Some("Singapore".into()),
        ..Default::default()
    })
    .unwrap();
    let v = ids(0..150_000);
    let h = l.hash_people(&people(&v, 0));
    let req = PlanRequest {
        exporter: "Acme",
        recipient: "SG partner",
        date: "2025-04-01",
        purpose: Some("marketing"),
        data_types: vec!["id".into(), "city".into(), "income".into()],
        storage_location: Some("Frankfurt"),
        facts: Facts::default(),
    };
    let p = l.plan(&Rules::builtin(), req, &h).unwrap();
    assert_eq!(p.mechanism, "standard_contract");
    for needle in ["data types income", "storage location", "purpose"] {
        assert!(
            p.warnings
                .iter()
                .any(|w| w.contains(needle) && w.contains("T-5")),
            "{needle}: {:?}",
            p.warnings
        );
    }
    assert!(!p
        .warnings
        .iter()
        .any(|w| w.contains("no standard contract filing on record")));
}

#[test]
fn migrations_upgrade_an_older_ledger_and_refuse_a_newer_one() {
    let d = tempfile::tempdir().unwrap();
    let c = rusqlite::Connection::open(d.path().join("ledger.db")).unwrap();
    c.execute_batch(include_str!("../migrations/0001_init.sql"))
        .unwrap();
    c.pragma_update(None, "user_version", 1).unwrap();
    drop(c);
    let mut l = ledger(d.path());
    let f = l
        .add_filing(&datavisa_ledger::filings::NewFiling {
            exporter: "Acme".into(),
            kind: "standard_contract".into(),
            effective: Some("2025-01-02".into()),
            data_types: vec!["id".into()],
            ..Default::default()
        })
        .unwrap();
    assert_eq!(f.data_types, ["id"]);
    drop(l);
    let c = rusqlite::Connection::open(d.path().join("ledger.db")).unwrap();
    c.pragma_update(None, "user_version", 99).unwrap();
    drop(c);
    let e = Ledger::open(d.path()).err().unwrap();
    assert!(e.to_string().contains("newer"), "{e}");
}

#[test]
fn a_transfer_under_an_anonymized_visa_is_recorded_but_not_counted() {
    let d = tempfile::tempdir().unwrap();
    let mut l = ledger(d.path());
    let v = ids(0..1000);
    let first = l
        .record(
            &facts("SG partner", "a.csv", "2026-03-01"),
            &l.hash_people(&people(&v, 0)),
        )
        .unwrap();
    assert!(first.counted && first.visa.is_none());
    let twin = TransferFacts {
        visa: Some("visa-1".into()),
        ..facts("SG partner", "twin.csv", "2026-03-02")
    };
    let none = l.hash_people(&people(&[], 0));
    let r = l.record(&twin, &none).unwrap();
    assert!(!r.counted && r.new_ordinary == 0);
    assert_eq!(r.visa.as_deref(), Some("visa-1"));
    assert!(r.not_counted_reason.unwrap().contains("visa-1"));
    assert_eq!(r.totals.ordinary, 1000, "the year's count is unchanged");
    let rows = l.transfers("Acme", None, 2026).unwrap();
    assert_eq!(rows.len(), 2);
    assert!(rows[0].counted && !rows[1].counted);
    assert_eq!(rows[1].visa.as_deref(), Some("visa-1"));
}

/// A missing ledger key is never made anew for a ledger that counts people (300 recorded, then
/// 100 more of whom 200 overlap would count 300 + 300 instead of 400), and a swapped key is named.
#[test]
fn a_lost_or_swapped_key_is_an_error_not_a_new_count() {
    let d = tempfile::tempdir().unwrap();
    let mut l = ledger(d.path());
    let first = ids(0..300);
    let h = l.hash_people(&people(&first, 0));
    l.record(&facts("SG partner", "a", "2026-03-01"), &h)
        .unwrap();
    drop(l);
    let key = d.path().join("ledger.key");
    let saved = std::fs::read(&key).unwrap();
    std::fs::remove_file(&key).unwrap();
    let e = Ledger::open(d.path())
        .err()
        .expect("a missing key is an error");
    assert!(e.to_string().contains("ledger.key"), "{e}");
    assert!(e.to_string().contains("restore the key"), "{e}");
    assert!(!key.exists(), "no new key was made");
    // Another 32-byte key: named as not this ledger's.
    std::fs::write(&key, [7u8; 32]).unwrap();
    let e = Ledger::open(d.path())
        .err()
        .expect("a swapped key is an error");
    assert!(e.to_string().contains("not the key"), "{e}");
    // The real key back: the overlap counts once.
    std::fs::write(&key, &saved).unwrap();
    let mut l = Ledger::open(d.path()).unwrap();
    let second = ids(100..400);
    let h = l.hash_people(&people(&second, 0));
    let r = l
        .record(&facts("SG partner", "b", "2026-04-01"), &h)
        .unwrap();
    assert_eq!(r.totals.ordinary, 400);
}
