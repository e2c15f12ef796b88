//! Twins, relinking and the PIPIA facts driven through a `Workspace`: every kind written with
//! its one manifest type, the input never overwritten, a relink that needs two approvers and is
//! logged, and a PIPIA draft that names the recipient's visas.

use datavisa_workflow::pipia::PipiaRequest;
use datavisa_workflow::twins::{CheckRequest, GeneralizeRequest, ModelChoice, PseudonymizeRequest};
use datavisa_workflow::vault::RelinkRequest;
use datavisa_workflow::{ErrorKind, FixedClock, KdfParams, Passphrase, Result, Secrets, Workspace};
use std::path::Path;
use std::sync::Mutex;

/// Secrets held in memory: one master key, and the approver credential set per step.
struct Memory {
    master: &'static str,
    approver: Mutex<&'static str>,
}

impl Secrets for Memory {
    fn master_key(&self) -> Result<Passphrase> {
        Ok(Passphrase::new(self.master.as_bytes().to_vec())?)
    }
    fn has_master_key(&self) -> bool {
        true
    }
    fn approver_credential(&self) -> Result<Passphrase> {
        Ok(Passphrase::new(
            self.approver.lock().unwrap().as_bytes().to_vec(),
        )?)
    }
    fn new_master_key(&self) -> Result<Passphrase> {
        Err(datavisa_workflow::Error::bad_input(
            "no new key in this test",
        ))
    }
}

fn people(dir: &Path) {
    let mut s = String::from("身份证号,age,city\n");
    for i in 0..300u64 {
        // Valid resident IDs: the check digit from the standard's weights.
        let body = format!("11010519{:02}0{:03}{:03}", 60 + i % 30, 101 + i % 28, i);
        let body = &body[..17];
        let w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
        let sum: u32 = body
            .bytes()
            .zip(w)
            .map(|(b, w)| (b - b'0') as u32 * w)
            .sum();
        let check = b"10X98765432"[(sum % 11) as usize] as char;
        s.push_str(&format!("{body}{check},{},C{}\n", 20 + i % 50, i % 7));
    }
    std::fs::write(dir.join("people.csv"), s).unwrap();
}

fn models(k: u64) -> ModelChoice {
    ModelChoice {
        k: Some(k),
        suppression: 0.05,
        ..Default::default()
    }
}

#[test]
fn a_generalized_twin_has_its_manifest_and_never_overwrites_its_input() {
    let d = tempfile::tempdir().unwrap();
    people(d.path());
    let ws = Workspace::open(d.path().join("store"), "tester").unwrap();
    let req = GeneralizeRequest {
        input: d.path().join("people.csv"),
        output: d.path().join("gen.csv"),
        read: Default::default(),
        quasi: vec!["age".into(), "city".into()],
        sensitive: vec![],
        hierarchy: vec![],
        models: models(5),
        metric: "loss".into(),
        search: "auto".into(),
        max_checks: 2000,
        time_limit: 60.0,
        output_format: Default::default(),
    };
    let w = ws.generalize(&req).unwrap();
    let g = w.manifest.generalized().unwrap();
    assert!(g.models.iter().all(|m| m.holds));
    assert_eq!(
        w.manifest.output.sha256.as_deref().unwrap(),
        datavisa_table::file_sha256(&d.path().join("gen.csv")).unwrap()
    );
    // The manifest on disk reads back as the one written.
    let back = datavisa_twin::manifest::Manifest::read(Path::new(&w.manifest_path)).unwrap();
    assert_eq!(back, w.manifest);
    // The recipe re-applies to new data; the twin then checks as k-anonymous.
    let again = ws
        .apply_recipe(
            Path::new(&w.manifest_path),
            (&d.path().join("people.csv"), &d.path().join("again.csv")),
            &Default::default(),
            &Default::default(),
        )
        .unwrap();
    assert_eq!(again.manifest.body["levels"], w.manifest.body["levels"]);
    let c = ws
        .check(&CheckRequest {
            file: d.path().join("gen.csv"),
            quasi: vec!["age".into(), "city".into()],
            sensitive: vec![],
            models: models(5),
            read: Default::default(),
        })
        .unwrap();
    assert!(c.check.satisfied);
    // Writing over the input is refused, and a bad variant name is bad input.
    let over = GeneralizeRequest {
        output: d.path().join("people.csv"),
        ..req.clone()
    };
    assert_eq!(ws.generalize(&over).unwrap_err().kind, ErrorKind::BadInput);
    let mut bad = req;
    bad.models.l_variant = "fuzzy".into();
    assert!(ws
        .generalize(&bad)
        .unwrap_err()
        .message
        .contains("--l-variant"));
}

#[test]
fn a_relink_needs_two_approvers_other_than_the_requester_and_is_logged() {
    let d = tempfile::tempdir().unwrap();
    people(d.path());
    let day = datavisa_table::date::parse_date("2026-06-30").unwrap();
    let secrets: &'static Memory = Box::leak(Box::new(Memory {
        master: "a master key for the test",
        approver: Mutex::new("cred-wang"),
    }));
    struct Shared(&'static Memory);
    impl Secrets for Shared {
        fn master_key(&self) -> Result<Passphrase> {
            self.0.master_key()
        }
        fn has_master_key(&self) -> bool {
            true
        }
        fn approver_credential(&self) -> Result<Passphrase> {
            self.0.approver_credential()
        }
        fn new_master_key(&self) -> Result<Passphrase> {
            self.0.new_master_key()
        }
    }
    let ws = Workspace::open(d.path().join("store"), "operator")
        .unwrap()
        .with_secrets(Shared(secrets))
        .with_clock(FixedClock(day));
    ws.vault_init(KdfParams {
        m_kib: 7 * 1024,
        t: 5,
        p: 1,
    })
    .unwrap();
    for (name, cred) in [("wang", "cred-wang"), ("li", "cred-li")] {
        *secrets.approver.lock().unwrap() = cred;
        ws.add_approver(name).unwrap();
    }
    let w = ws
        .pseudonymize(&PseudonymizeRequest {
            input: d.path().join("people.csv"),
            output: d.path().join("pseudo.csv"),
            recipient: "partner".into(),
            read: Default::default(),
            output_format: Default::default(),
        })
        .unwrap();
    assert!(w.manifest.twin_id.is_some());
    let p = w.manifest.pseudonymized().unwrap();
    let id_col = p.columns.iter().find(|c| c.column == "身份证号").unwrap();
    assert_eq!(
        id_col.method, "fpe",
        "the resident ID's detector declares fpe"
    );
    let req = ws
        .request_relink(&RelinkRequest {
            twin: Path::new(&w.manifest_path).to_path_buf(),
            values: None,
            column: Some("身份证号".into()),
            purpose: "test".into(),
            legal_basis: "test".into(),
            requested_by: "zhao".into(),
            ttl: "1h".into(),
        })
        .unwrap();
    let out = d.path().join("relinked.csv");
    // One approval is not enough.
    *secrets.approver.lock().unwrap() = "cred-wang";
    ws.approve_relink(&req.id, "wang").unwrap();
    let e = ws.execute_relink(&req.id, "zhao", &out).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Refused);
    assert!(!out.exists());
    // A wrong credential is refused; the right one completes it.
    *secrets.approver.lock().unwrap() = "not-li";
    assert!(ws.approve_relink(&req.id, "li").is_err());
    *secrets.approver.lock().unwrap() = "cred-li";
    ws.approve_relink(&req.id, "li").unwrap();
    // Two executions at once: exactly one wins, and the refused one writes no identities.
    let other = d.path().join("relinked-2.csv");
    let (a, b) = std::thread::scope(|s| {
        let x = s.spawn(|| ws.execute_relink(&req.id, "zhao", &out));
        let y = s.spawn(|| ws.execute_relink(&req.id, "zhao", &other));
        (x.join().unwrap(), y.join().unwrap())
    });
    assert!(
        a.is_ok() != b.is_ok(),
        "exactly one execution succeeds: {a:?} {b:?}"
    );
    let (winner, loser) = if a.is_ok() {
        (&out, &other)
    } else {
        (&other, &out)
    };
    assert!(
        !loser.exists(),
        "the refused execution left {}",
        loser.display()
    );
    let leftovers: Vec<String> = std::fs::read_dir(d.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("datavisa-partial"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    let n = a.or(b).unwrap();
    assert_eq!(n, 300);
    let out = winner.clone();
    let source = std::fs::read_to_string(d.path().join("people.csv")).unwrap();
    let pairs = std::fs::read_to_string(&out).unwrap();
    for line in pairs.lines().skip(1).take(5) {
        let (_, value) = line.split_once(',').unwrap();
        assert!(source.contains(value), "{line}");
    }
    // Executed once only, and every step is in an intact log.
    assert_eq!(
        ws.execute_relink(&req.id, "zhao", &out).unwrap_err().kind,
        ErrorKind::Refused
    );
    let audit = ws.verify_audit().unwrap();
    assert!(audit.intact && audit.entries > 5);
    datavisa_workflow::vault::require_intact(&audit).unwrap();
}

#[test]
fn the_pipia_facts_name_the_ledger_and_say_when_no_visa_is_on_record() {
    let d = tempfile::tempdir().unwrap();
    let day = datavisa_table::date::parse_date("2026-06-30").unwrap();
    let ws = Workspace::open(d.path().join("store"), "tester")
        .unwrap()
        .with_clock(FixedClock(day));
    ws.add_exporter("Acme (Shanghai)", false, None, None)
        .unwrap();
    ws.add_recipient("Acme SG", "SG").unwrap();
    let req = PipiaRequest {
        exporter: "Acme (Shanghai)".into(),
        recipient: "Acme SG".into(),
        year: Some(2026),
        file: None,
        read: Default::default(),
        lang: datavisa_report::Lang::En,
        output: d.path().join("pipia.md"),
    };
    let f = ws.pipia_facts(&req).unwrap();
    assert_eq!((f.year, f.counts.ordinary), (2026, 0));
    assert!(f.visas.is_empty());
    assert_eq!(f.today, "2026-06-30");
    ws.pipia(&req).unwrap();
    let md = std::fs::read_to_string(d.path().join("pipia.md")).unwrap();
    assert!(md.contains("none on record in this store"), "{md}");
    let unknown = PipiaRequest {
        exporter: "Nobody".into(),
        ..req
    };
    assert_eq!(ws.pipia(&unknown).unwrap_err().kind, ErrorKind::BadInput);
}

/// Tokens and ciphertext are never known values: a recipient that knows the resident IDs of a
/// pseudonymized twin matches nothing on them, and the assessment says so.
#[test]
fn a_tokenized_column_does_not_count_as_known() {
    let d = tempfile::tempdir().unwrap();
    people(d.path());
    let ws = Workspace::open(d.path().join("store"), "operator")
        .unwrap()
        .with_secrets(Memory {
            master: "a master key for the test",
            approver: Mutex::new("cred"),
        });
    ws.vault_init(KdfParams {
        m_kib: 7 * 1024,
        t: 5,
        p: 1,
    })
    .unwrap();
    ws.pseudonymize(&PseudonymizeRequest {
        input: d.path().join("people.csv"),
        output: d.path().join("pseudo.csv"),
        recipient: "partner".into(),
        read: Default::default(),
        output_format: Default::default(),
    })
    .unwrap();
    std::fs::write(
        d.path().join("spec.toml"),
        "[[columns]]\nname = \"身份证号\"\nrole = \"identifier\"\n[[columns]]\nname = \"age\"\nrole = \"quasi\"\n\
         [[columns]]\nname = \"city\"\nrole = \"quasi\"\n\n[[recipients]]\nid = \"partner\"\nknows = [\"身份证号\", \"age\"]\n",
    )
    .unwrap();
    let a = ws
        .assess(&datavisa_workflow::assess::AssessRequest {
            spec: d.path().join("spec.toml"),
            twin: d.path().join("pseudo.csv"),
            source: d.path().join("people.csv"),
            recipient: "partner".into(),
            control: None,
            kind: None,
            params: Default::default(),
            read: Default::default(),
            twin_read: Default::default(),
        })
        .unwrap()
        .assessment;
    assert_eq!(a.known_in_twin, ["age"], "{:?}", a.notes);
    assert!(
        a.notes
            .iter()
            .any(|n| n.en().contains("身份证号 as tokens or ciphertext")),
        "{:?}",
        a.notes
    );
}
