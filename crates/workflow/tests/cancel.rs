//! Cancelling long use cases inside their work: a progress sink that says "cancelled" once a
//! given stage has begun stops an attack, an assessment, a synthesis and a generalization
//! with `ErrorKind::Cancelled`, and nothing is written (no twin, no register row). A sink that
//! never cancels gives the figures the code gave before the checks existed.
mod common;
use common::people;

use datavisa_twin::synth::{Method, SynthParams};
use datavisa_workflow::assess::{AssessRequest, ListRequest};
use datavisa_workflow::attack::{AttackKind, AttackRequest};
use datavisa_workflow::risk::{Denominator, Mode, SecretKind};
use datavisa_workflow::twins::{GeneralizeRequest, ModelChoice, SynthesizeRequest};
use datavisa_workflow::verdict::AssessParams;
use datavisa_workflow::workspace::{Progress, Task};
use datavisa_workflow::{ErrorKind, FixedClock, Workspace};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

fn cats(p: &str, n: usize) -> String {
    (0..n)
        .map(|i| format!("\"{p}{i}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Roles, public domains and one recipient knowing a, b and c.
fn spec() -> String {
    format!(
        "[[columns]]\nname = \"pid\"\nrole = \"identifier\"\n\
         [[columns]]\nname = \"a\"\nrole = \"quasi\"\ndomain = {{ categories = [{}] }}\n\
         [[columns]]\nname = \"b\"\nrole = \"quasi\"\ndomain = {{ categories = [{}] }}\n\
         [[columns]]\nname = \"c\"\nrole = \"quasi\"\ndomain = {{ categories = [{}] }}\n\
         [[columns]]\nname = \"s\"\nrole = \"sensitive\"\ndomain = {{ categories = [\"asthma\", \"flu\", \"none\"] }}\n\
         \n[[recipients]]\nid = \"r\"\nknows = [\"a\", \"b\", \"c\"]\ncontext = \"named_recipient\"\n\
         [recipients.controls]\nno_reidentification = true\nno_relinking = true\naudited_security = true\n",
        cats("a", 4),
        cats("b", 10),
        cats("c", 10)
    )
}

/// Source, control and a twin (the source without pid) in `dir`.
fn files(dir: &Path) {
    people(dir, "source.csv", 2000, 1, 0);
    people(dir, "control.csv", 2000, 2, 5000);
    let text = std::fs::read_to_string(dir.join("source.csv")).unwrap();
    let twin: String = text
        .lines()
        .map(|l| l.split_once(',').unwrap().1.to_owned() + "\n")
        .collect();
    std::fs::write(dir.join("twin.csv"), twin).unwrap();
    std::fs::write(dir.join("spec.toml"), spec()).unwrap();
}

struct Quiet;

impl Task for Quiet {}

/// A sink that says "cancelled" from the moment a stage starting with `trigger` begins, and
/// keeps every stage begun.
struct CancelOn {
    trigger: &'static str,
    on: AtomicBool,
    began: Mutex<Vec<String>>,
}

impl CancelOn {
    fn new(trigger: &'static str) -> Arc<CancelOn> {
        Arc::new(CancelOn {
            trigger,
            on: AtomicBool::new(false),
            began: Mutex::new(Vec::new()),
        })
    }

    fn began(&self, prefix: &str) -> bool {
        self.began
            .lock()
            .unwrap()
            .iter()
            .any(|s| s.starts_with(prefix))
    }

    fn begin(&self, message: &str) -> Box<dyn Task> {
        self.began.lock().unwrap().push(message.to_owned());
        if message.starts_with(self.trigger) {
            self.on.store(true, Ordering::SeqCst);
        }
        Box::new(Quiet)
    }
}

impl Progress for CancelOn {
    fn spinner(&self, message: &str) -> Box<dyn Task> {
        self.begin(message)
    }
    fn bar(&self, _len: u64, message: &str) -> Box<dyn Task> {
        self.begin(message)
    }
    fn cancelled(&self) -> bool {
        self.on.load(Ordering::SeqCst)
    }
}

fn workspace(dir: &Path, sink: Option<Arc<CancelOn>>) -> Workspace {
    let day = datavisa_table::date::parse_date("2026-06-30").unwrap();
    let ws = Workspace::open(dir.join("store"), "tester")
        .unwrap()
        .with_clock(FixedClock(day));
    match sink {
        Some(s) => ws.with_progress(s),
        None => ws,
    }
}

fn attack(dir: &Path, kind: AttackKind) -> AttackRequest {
    AttackRequest {
        source: dir.join("source.csv"),
        twin: dir.join("twin.csv"),
        control: Some(dir.join("control.csv")),
        read: Default::default(),
        kind,
        n_attacks: 500,
        confidence: 0.95,
        seed: 11,
    }
}

fn singling_out() -> AttackKind {
    AttackKind::SinglingOut {
        mode: Mode::Multivariate,
        n_cols: 3,
        max_attempts: 100_000,
        denominator: Denominator::Generated,
        keep_queries: false,
    }
}

fn linkability() -> AttackKind {
    AttackKind::Linkability {
        aux_a: vec!["a".into(), "b".into()],
        aux_b: vec!["c".into(), "s".into()],
        n_neighbors: 2,
    }
}

fn inference() -> AttackKind {
    AttackKind::Inference {
        secret: "s".into(),
        aux: vec![],
        kind: SecretKind::Auto,
        tolerance: 0.05,
    }
}

fn assess_request(dir: &Path) -> AssessRequest {
    AssessRequest {
        spec: dir.join("spec.toml"),
        twin: dir.join("twin.csv"),
        source: dir.join("source.csv"),
        recipient: "r".into(),
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

fn synth_request(dir: &Path, method: Method, out: &str) -> SynthesizeRequest {
    let mut params = SynthParams {
        method,
        epsilon: 2.0,
        seed: Some(7),
        drop: vec!["pid".into()],
        ..Default::default()
    };
    params.aim.rounds = Some(8);
    SynthesizeRequest {
        input: dir.join("source.csv"),
        output: dir.join(out),
        read: datavisa_workflow::ReadRequest {
            spec: Some(dir.join("spec.toml")),
            ..Default::default()
        },
        params,
        domain_from: vec![],
        output_format: Default::default(),
    }
}

fn generalize_request(dir: &Path, out: &str) -> GeneralizeRequest {
    GeneralizeRequest {
        input: dir.join("source.csv"),
        output: dir.join(out),
        read: Default::default(),
        quasi: vec!["a".into(), "b".into(), "c".into()],
        sensitive: vec!["s".into()],
        hierarchy: vec![],
        models: ModelChoice {
            k: Some(5),
            suppression: 0.1,
            ..Default::default()
        },
        metric: "loss".into(),
        search: "heuristic".into(),
        max_checks: 2000,
        time_limit: 600.0,
        output_format: Default::default(),
    }
}

/// Files in `dir` other than the inputs: a cancelled twin leaves none, not even a partial one.
fn written(dir: &Path) -> Vec<String> {
    let inputs = [
        "source.csv",
        "control.csv",
        "twin.csv",
        "spec.toml",
        "store",
    ];
    let mut out: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !inputs.contains(&n.as_str()))
        .collect();
    out.sort();
    out
}

#[test]
fn attacks_stop_inside_their_work() {
    let d = tempfile::tempdir().unwrap();
    files(d.path());
    for (kind, stage) in [
        (singling_out(), "singling out"),
        (linkability(), "linkability"),
        (inference(), "inference"),
    ] {
        let sink = CancelOn::new(stage);
        let ws = workspace(d.path(), Some(sink.clone()));
        let e = ws.attack(&attack(d.path(), kind)).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Cancelled, "{stage}: {}", e.message);
        assert!(sink.began(stage));
    }
}

#[test]
fn a_cancelled_assessment_records_nothing() {
    let d = tempfile::tempdir().unwrap();
    files(d.path());
    let sink = CancelOn::new("assessing");
    let ws = workspace(d.path(), Some(sink.clone()));
    let e = ws.assess(&assess_request(d.path())).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Cancelled, "{}", e.message);
    assert!(sink.began("assessing"));
    let none = ListRequest {
        twin: None,
        recipient: None,
    };
    assert!(workspace(d.path(), None)
        .assessments(&none)
        .unwrap()
        .is_empty());
    // The same request, not cancelled, is recorded.
    workspace(d.path(), None)
        .assess(&assess_request(d.path()))
        .unwrap();
    assert_eq!(
        workspace(d.path(), None).assessments(&none).unwrap().len(),
        1
    );
}

#[test]
fn a_cancelled_synthesis_stops_mid_fit_and_writes_no_twin() {
    let d = tempfile::tempdir().unwrap();
    files(d.path());
    for (method, stage, later) in [
        (
            Method::Mst,
            "measuring tree-edge marginals",
            "fitting the graphical model",
        ),
        (Method::Mst, "fitting the graphical model", "sampling rows"),
        (Method::Aim, "AIM rounds", "final fit"),
    ] {
        let sink = CancelOn::new(stage);
        let ws = workspace(d.path(), Some(sink.clone()));
        let e = ws
            .synthesize(&synth_request(d.path(), method, "synth.csv"))
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::Cancelled, "{stage}: {}", e.message);
        assert!(sink.began(stage), "{stage}");
        // The fit stopped where it was told to, not at the next stage.
        assert!(!sink.began(later), "{stage}: {later} began");
        assert!(written(d.path()).is_empty(), "{:?}", written(d.path()));
    }
}

#[test]
fn a_cancelled_generalization_writes_no_twin() {
    let d = tempfile::tempdir().unwrap();
    files(d.path());
    let sink = CancelOn::new("searching the generalization lattice");
    let ws = workspace(d.path(), Some(sink.clone()));
    let e = ws
        .generalize(&generalize_request(d.path(), "gen.csv"))
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Cancelled, "{}", e.message);
    assert!(written(d.path()).is_empty(), "{:?}", written(d.path()));
}

/// FNV-1a of a text: a short stable fingerprint of every figure of a result.
fn fingerprint(text: &str) -> String {
    let h = text.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{h:016x}")
}

/// Every figure of each use case above, run to the end on a sink that never cancels.
fn figures(dir: &Path) -> Vec<String> {
    let ws = workspace(dir, Some(CancelOn::new("never")));
    let mut out = Vec::new();
    for kind in [singling_out(), linkability(), inference()] {
        let r = ws.attack(&attack(dir, kind)).unwrap().result;
        out.push(fingerprint(&serde_json::to_string(&r).unwrap()));
    }
    let a = ws.assess(&assess_request(dir)).unwrap().assessment;
    out.push(fingerprint(
        &serde_json::to_string(&(&a.checks, &a.attacks, &a.margins)).unwrap(),
    ));
    for (method, name) in [(Method::Mst, "mst.csv"), (Method::Aim, "aim.csv")] {
        ws.synthesize(&synth_request(dir, method, name)).unwrap();
        out.push(datavisa_table::file_sha256(&dir.join(name)).unwrap());
    }
    ws.generalize(&generalize_request(dir, "gen.csv")).unwrap();
    out.push(datavisa_table::file_sha256(&dir.join("gen.csv")).unwrap());
    out
}

/// Recorded on the code before cancellation was checked inside the work (commit e00f579).
const BEFORE: &[&str] = &[
    "e2f8bb9e1da0017e",
    "3f26f98819ad6600",
    "8ec334bbad963ed1",
    "5dbfd7dfa171ab9d",
    "a54319cb2fc16e2446d605d0099a126e980074c1c43f19cab7d2a90c19f0eb5a",
    "5df7f144a59c454135cfed7de5a43e6d1c66fabd5b5f8e2d668ba269f33f3cdb",
    "78793bf77631a1c181a4c87bcd6c40b905240fbb5998862bc7ff1ae980bdd3a2",
];

#[test]
fn a_sink_that_never_cancels_changes_no_figure() {
    let d = tempfile::tempdir().unwrap();
    files(d.path());
    assert_eq!(figures(d.path()), BEFORE);
}
