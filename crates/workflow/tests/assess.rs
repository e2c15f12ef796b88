//! Assessments and visas driven through a `Workspace`: recipient-relative verdicts, the visa
//! lifecycle, and a toy attack added to the registry (the recipe in docs/architecture.md).

mod common;
use common::people;

use datavisa_verdict::attacks::{Attack, AttackContext, AttackRun, AttackRuns};
use datavisa_verdict::Criterion;
use datavisa_workflow::assess::{AssessRequest, IssueRequest, ReviewRequest};
use datavisa_workflow::verdict::{AssessParams, Verdict};
use datavisa_workflow::{ErrorKind, FixedClock, Workspace};
use std::path::Path;

const SPEC: &str = r#"
[[columns]]
name = "pid"
role = "identifier"
[[columns]]
name = "a"
role = "quasi"
[[columns]]
name = "b"
role = "quasi"
[[columns]]
name = "c"
role = "quasi"
[[columns]]
name = "s"
role = "sensitive"

[[recipients]]
id = "narrow"
knows = ["a"]
context = "internal"
[recipients.controls]
no_reidentification = true
no_relinking = true
audited_security = true
"#;

fn setup(dir: &Path) -> Workspace {
    people(dir, "source.csv", 2000, 1, 0);
    people(dir, "control.csv", 2000, 2, 5000);
    // The twin: the source without its identifier and the two columns the recipient lacks.
    let text = std::fs::read_to_string(dir.join("source.csv")).unwrap();
    let twin: String = text
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            format!("{},{}\n", f[1], f[4])
        })
        .collect();
    std::fs::write(dir.join("twin.csv"), twin).unwrap();
    std::fs::write(dir.join("spec.toml"), SPEC).unwrap();
    let day = datavisa_table::date::parse_date("2026-06-30").unwrap();
    Workspace::open(dir.join("store"), "tester")
        .unwrap()
        .with_clock(FixedClock(day))
}

fn request(dir: &Path, twin: &str) -> AssessRequest {
    AssessRequest {
        spec: dir.join("spec.toml"),
        twin: dir.join(twin),
        source: dir.join("source.csv"),
        recipient: "narrow".into(),
        control: Some(dir.join("control.csv")),
        kind: Some("unknown".into()),
        params: AssessParams {
            n_attacks: 200,
            seed: 3,
            ..Default::default()
        },
        read: Default::default(),
        twin_read: Default::default(),
    }
}

#[test]
fn a_narrow_twin_is_anonymized_and_a_copy_is_personal() {
    let d = tempfile::tempdir().unwrap();
    let ws = setup(d.path());
    let a = ws.assess(&request(d.path(), "twin.csv")).unwrap();
    assert_eq!(
        a.assessment.verdict,
        Verdict::Anonymized,
        "{:?}",
        a.assessment.reasons
    );
    // Every stored attack says the criterion it is judged by.
    assert!(a.assessment.attacks.iter().all(|x| x.criterion.is_some()));
    let copy = ws.assess(&request(d.path(), "source.csv")).unwrap();
    assert_eq!(copy.assessment.verdict, Verdict::Personal);
    assert!(copy.assessment.reasons[0]
        .text
        .contains("\"pid\" is in the twin in clear"));
    // No criterion is said twice in a reason.
    for r in &copy.assessment.reasons {
        for c in [
            "linkability: linkability",
            "inference: inference",
            "singling_out: singling",
        ] {
            assert!(!r.text.contains(c), "{}", r.text);
        }
    }
}

#[test]
fn a_visa_is_issued_listed_reviewed_and_revoked() {
    let d = tempfile::tempdir().unwrap();
    let ws = setup(d.path());
    let a = ws.assess(&request(d.path(), "twin.csv")).unwrap();
    let v = ws
        .issue_visa(&IssueRequest {
            assessment: a.id.clone(),
            review_months: None,
            conditions: None,
            override_reason: None,
        })
        .unwrap();
    // The policy's review period (12 months by default) and the recipient's controls.
    assert_eq!(v.visa.review_on, "2027-06-30");
    assert!(!v.visa.conditions.is_empty());
    assert_eq!(ws.visas(None).unwrap().len(), 1);
    let r = ws
        .review_visas(&ReviewRequest {
            spec: d.path().join("spec.toml"),
            ids: vec![v.visa.id.clone()],
            all: false,
            read: Default::default(),
        })
        .unwrap();
    assert_eq!(r.reviewed.len(), 1);
    assert!(
        r.reviewed[0].summary.contains("still anonymized"),
        "{}",
        r.reviewed[0].summary
    );
    let gone = ws.revoke_visa(&v.visa.id, "test").unwrap();
    assert_eq!(gone.status, "revoked");
    let e = ws
        .review_visas(&ReviewRequest {
            spec: d.path().join("spec.toml"),
            ids: vec![v.visa.id.clone()],
            all: false,
            read: Default::default(),
        })
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::BadInput);
}

/// A toy attack: singling out with one query shape over every known column at once.
struct EveryColumnAtOnce;

impl Attack for EveryColumnAtOnce {
    fn name(&self) -> &'static str {
        "toy"
    }

    fn criterion(&self) -> Criterion {
        Criterion::SinglingOut
    }

    fn run(&self, cx: &AttackContext) -> datavisa_verdict::Result<AttackRuns> {
        use datavisa_risk::singling_out::{singling_out, Denominator, Mode, SinglingOutParams};
        let data = cx.prepared(cx.known)?;
        let result = singling_out(
            &data,
            &SinglingOutParams {
                n_attacks: cx.n_attacks,
                n_cols: cx.known.len(),
                mode: Mode::Multivariate,
                max_attempts: 100_000,
                confidence: cx.confidence,
                seed: cx.input.params.seed,
                denominator: Denominator::Generated,
                keep_duplicates: true,
                keep_queries: false,
            },
        )?;
        Ok(AttackRuns {
            runs: vec![AttackRun::sampled(
                "toy: every known column at once".into(),
                result,
            )],
            notes: vec![datavisa_i18n::Note::Plain("toy attack ran".into())],
        })
    }
}

static TOY: EveryColumnAtOnce = EveryColumnAtOnce;

/// The recipe "add an attack": one `impl Attack` and one registry entry; the assessment runs
/// it, stores its result under its criterion and checks it against that criterion's threshold.
#[test]
fn a_toy_attack_in_the_registry_is_run_stored_and_checked() {
    let d = tempfile::tempdir().unwrap();
    let ws = setup(d.path()).with_attack(&TOY);
    assert_eq!(ws.attacks().len(), 4);
    let a = ws.assess(&request(d.path(), "source.csv")).unwrap();
    let x = &a.assessment;
    let toy = x
        .attacks
        .iter()
        .find(|r| r.label == "toy: every known column at once")
        .expect("the toy attack's result is stored");
    assert_eq!(toy.criterion, Some(Criterion::SinglingOut));
    assert!(x.notes.iter().any(|n| n.en() == "toy attack ran"));
    // Two singling-out checks: the built-in one and the toy's, each against singling_out's limit.
    let checks: Vec<_> = x
        .checks
        .iter()
        .filter(|c| c.criterion == Criterion::SinglingOut)
        .collect();
    assert_eq!(checks.len(), 2, "{checks:?}");
    assert!(checks
        .iter()
        .any(|c| c.figure == "toy: every known column at once"));
}
