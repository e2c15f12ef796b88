//! The ledger's use cases driven through a `Workspace`: transfers counted once, plans under the
//! asserted facts, a toy exemption added to a rules file (the recipe in docs/architecture.md),
//! and a holiday file that loads all or nothing.

use datavisa_workflow::ledger::{PlanFactsRequest, RecordRequest, TransferRequest};
use datavisa_workflow::{ErrorKind, FixedClock, Workspace};
use std::path::Path;

fn people(path: &Path, from: usize, to: usize) {
    let mut s = String::from("person_id,city\n");
    for i in from..to {
        s.push_str(&format!("P{i:07},Shanghai\n"));
    }
    std::fs::write(path, s).unwrap();
}

fn setup(dir: &Path) -> Workspace {
    let day = datavisa_table::date::parse_date("2026-06-30").unwrap();
    let ws = Workspace::open(dir.join("store"), "tester")
        .unwrap()
        .with_clock(FixedClock(day));
    ws.add_exporter("Acme (Shanghai)", false, None, None)
        .unwrap();
    ws.add_recipient("Acme SG", "SG").unwrap();
    ws
}

fn transfer(dir: &Path, file: &str) -> TransferRequest {
    TransferRequest {
        exporter: "Acme (Shanghai)".into(),
        recipient: "Acme SG".into(),
        file: dir.join(file),
        person_column: Some("person_id".into()),
        sensitive_columns: Some(vec![]),
        date: Some("2026-06-01".into()),
        ..Default::default()
    }
}

#[test]
fn people_sent_twice_count_once_and_the_plan_follows_the_count() {
    let d = tempfile::tempdir().unwrap();
    let ws = setup(d.path());
    people(&d.path().join("a.csv"), 0, 60_000);
    people(&d.path().join("b.csv"), 50_000, 110_000);
    let r = ws
        .record_transfer(&RecordRequest {
            transfer: transfer(d.path(), "a.csv"),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(r.recorded.new_ordinary, 60_000);
    let p = ws
        .plan(&transfer(d.path(), "b.csv"), &PlanFactsRequest::default())
        .unwrap();
    // 10,000 of b's 60,000 were in a: 110,000 after, over the 100,000 band.
    assert_eq!(p.plan.counts.ordinary.before, 60_000);
    assert_eq!(p.plan.counts.ordinary.after, 110_000);
    assert_eq!(p.plan.mechanism, "standard_contract");
    assert_eq!(p.file.sha256.len(), 64);
    // An exemption asserted by its name in the rules file exempts the transfer.
    let exempt = ws
        .plan(
            &transfer(d.path(), "b.csv"),
            &PlanFactsRequest {
                facts: vec!["contract-necessity".into()],
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(exempt.plan.mechanism, "exempt");
    // A fact the rules do not declare is refused as bad input, naming the known ones.
    let e = ws
        .plan(
            &transfer(d.path(), "b.csv"),
            &PlanFactsRequest {
                facts: vec!["toy-exemption".into()],
                ..Default::default()
            },
        )
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::BadInput);
    assert!(e.message.contains("contract-necessity"), "{}", e.message);
}

/// The recipe "add a legal rule": one `[[exemption]]` row in a rules file, no code. The planner
/// accepts its fact from then on, and the year's report reads the same file.
#[test]
fn a_toy_exemption_in_a_rules_file_needs_no_code() {
    let d = tempfile::tempdir().unwrap();
    let ws = setup(d.path());
    people(&d.path().join("b.csv"), 0, 120_000);
    let mut rules = datavisa_ledger::plan::BUILTIN_RULES.to_owned();
    rules.push_str(
        "\n[[exemption]]\nid = \"E-99\"\nflag = \"toy-exemption\"\nsummary = \"A toy exemption for the recipe test\"\nsource = \"none\"\n",
    );
    let path = d.path().join("rules.toml");
    std::fs::write(&path, rules).unwrap();
    let ws = ws.with_rules(Some(path));
    let p = ws
        .plan(
            &transfer(d.path(), "b.csv"),
            &PlanFactsRequest {
                facts: vec!["toy-exemption".into()],
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(p.plan.mechanism, "exempt");
    assert!(
        p.plan.rules.iter().any(|r| r == "E-99"),
        "{:?}",
        p.plan.rules
    );
    // Without the fact the band applies, and the plan names the new exemption to consider.
    let q = ws
        .plan(&transfer(d.path(), "b.csv"), &PlanFactsRequest::default())
        .unwrap();
    assert_eq!(q.plan.mechanism, "standard_contract");
    assert!(q
        .plan
        .exemptions_to_consider
        .iter()
        .any(|e| e.flag == "toy-exemption"));
    assert_eq!(ws.year_report(Some(2026)).unwrap().year, 2026);
    // A rules file that does not parse is bad input.
    std::fs::write(d.path().join("bad.toml"), "[[band]]\nid = 1\n").unwrap();
    let bad = ws.with_rules(Some(d.path().join("bad.toml")));
    assert_eq!(bad.year_report(None).unwrap_err().kind, ErrorKind::BadInput);
}

#[test]
fn a_holiday_file_with_a_bad_line_loads_nothing() {
    let d = tempfile::tempdir().unwrap();
    let ws = setup(d.path());
    let f = d.path().join("h.csv");
    std::fs::write(
        &f,
        "date,working,name\n2026-10-01,0,National Day\n2026-13-40,0,nonsense\n",
    )
    .unwrap();
    let e = ws.import_holidays(&f).unwrap_err();
    assert_eq!(e.kind, ErrorKind::BadInput);
    assert!(e.message.contains("h.csv:3"), "{}", e.message);
    assert!(ws.calendar().unwrap().is_empty());
    std::fs::write(&f, "2026-10-01,0,National Day\n2026-09-27,1,make-up\n").unwrap();
    assert_eq!(ws.import_holidays(&f).unwrap(), 2);
    assert_eq!(ws.calendar().unwrap().len(), 2);
    assert_eq!(ws.due(None).unwrap().calendar_days, 2);
}
