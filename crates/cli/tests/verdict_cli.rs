//! End-to-end tests of `assess`, `visa` and `report assessment`: recipient-relative verdicts,
//! cumulative releases, the visa lifecycle, review, bad input, and the report in Chromium.

mod common;

use common::{datavisa_in, fails_with, json_of};
use serde_json::Value;
use std::fmt::Write as _;
use std::path::Path;

/// A small deterministic generator (the tests need no statistics from it, only spread).
struct Gen(u64);

impl Gen {
    fn next(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// `rows` people: pid, a (4 values), b (10), c (10), s (3, independent of the rest).
fn people(rows: usize, seed: u64, first_id: usize) -> Vec<[String; 5]> {
    let mut g = Gen(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    (0..rows)
        .map(|i| {
            [
                format!("P{:06}", first_id + i),
                format!("a{}", g.next(4)),
                format!("b{}", g.next(10)),
                format!("c{}", g.next(10)),
                ["flu", "asthma", "none"][g.next(3) as usize].to_owned(),
            ]
        })
        .collect()
}

/// Writes the columns `cols` (indices into pid,a,b,c,s) of `rows`, pid optionally replaced.
fn write(dir: &Path, name: &str, rows: &[[String; 5]], cols: &[usize], token: bool) {
    let names = ["pid", "a", "b", "c", "s"];
    let mut out = cols.iter().map(|&c| names[c]).collect::<Vec<_>>().join(",") + "\n";
    for r in rows {
        let cells: Vec<String> = cols
            .iter()
            .map(|&c| {
                if c == 0 && token {
                    format!("T{}", r[0].chars().rev().collect::<String>())
                } else {
                    r[c].clone()
                }
            })
            .collect();
        writeln!(out, "{}", cells.join(",")).unwrap();
    }
    std::fs::write(dir.join(name), out).unwrap();
}

const COLUMNS: &str = r#"
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
"#;

const CONTROLS: &str = "[recipients.controls]\nno_reidentification = true\nno_relinking = true\naudited_security = true\n";

/// A spec with the columns and the given recipients/policy text.
fn spec(dir: &Path, name: &str, rest: &str) {
    std::fs::write(dir.join(name), format!("{COLUMNS}\n{rest}")).unwrap();
}

/// A spec with one recipient `r` under contract, its other fields given as TOML lines.
fn recipient_r(dir: &Path, fields: &str) {
    spec(
        dir,
        "spec.toml",
        &format!("[[recipients]]\nid = \"r\"\n{fields}{CONTROLS}"),
    );
}

/// Source (2,000 people) and control (2,000 others) in `dir`.
fn population(dir: &Path) -> Vec<[String; 5]> {
    let src = people(2000, 1, 0);
    write(dir, "source.csv", &src, &[0, 1, 2, 3, 4], false);
    write(
        dir,
        "control.csv",
        &people(2000, 2, 5000),
        &[0, 1, 2, 3, 4],
        false,
    );
    src
}

fn assess(dir: &Path, spec: &str, twin: &str, recipient: &str, extra: &[&str]) -> Value {
    let mut args = vec![
        "assess",
        "--spec",
        spec,
        "--twin",
        twin,
        "--source",
        "source.csv",
        "--recipient",
        recipient,
        "--control",
        "control.csv",
        "--n-attacks",
        "300",
        "--store",
        "st",
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    json_of(&datavisa_in(&args, dir))
}

fn failing(a: &Value, scope: &str) -> Vec<String> {
    a["checks"]
        .as_array()
        .into_iter()
        .flatten()
        .chain(a["cumulative"]["checks"].as_array().into_iter().flatten())
        .filter(|c| c["scope"] == scope && c["passed"] == false)
        .map(|c| c["criterion"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn same_twin_two_recipients_two_verdicts_for_the_stated_reasons() {
    let d = tempfile::tempdir().unwrap();
    let src = population(d.path());
    write(d.path(), "twin.csv", &src, &[1, 2, 3, 4], false);
    spec(
        d.path(),
        "spec.toml",
        &format!(
            "[[recipients]]\nid = \"narrow\"\nknows = [\"a\"]\ncontext = \"internal\"\n{CONTROLS}\n\
             [[recipients]]\nid = \"wide\"\nknows = [\"a\", \"b\", \"c\"]\ncontext = \"internal\"\n{CONTROLS}"
        ),
    );
    let narrow = assess(
        d.path(),
        "spec.toml",
        "twin.csv",
        "narrow",
        &["--kind", "unknown"],
    );
    assert_eq!(narrow["verdict"], "anonymized", "{}", narrow["reasons"]);
    assert!(failing(&narrow, "release").is_empty());
    let wide = assess(d.path(), "spec.toml", "twin.csv", "wide", &[]);
    assert_eq!(wide["verdict"], "de_identified", "{}", wide["reasons"]);
    // 400 combinations of a, b, c over 2,000 people leave classes of one or two: the highest
    // risk is 1/|smallest class| and the reason names it with its threshold.
    let f = failing(&wide, "release");
    assert!(f.contains(&"max_risk".to_owned()), "{f:?}");
    let max = wide["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["criterion"] == "max_risk")
        .unwrap();
    assert!(max["value"].as_f64().unwrap() >= 0.5 && max["threshold"] == 0.33);
    assert!(wide["reasons"].as_array().unwrap().iter().any(|r| r["text"]
        .as_str()
        .unwrap()
        .contains("max_risk")
        && r["threshold"] == 0.33));
}

#[test]
fn a_twin_identical_to_its_source_is_personal() {
    let d = tempfile::tempdir().unwrap();
    population(d.path());
    std::fs::copy(d.path().join("source.csv"), d.path().join("copy.csv")).unwrap();
    recipient_r(d.path(), "knows = [\"a\", \"b\", \"c\"]\n");
    let a = assess(d.path(), "spec.toml", "copy.csv", "r", &[]);
    assert_eq!(a["verdict"], "personal");
    assert_eq!(a["identifiers"][0]["share_in_clear"], 1.0);
    assert!(a["reasons"][0]["text"]
        .as_str()
        .unwrap()
        .contains("\"pid\" is in the twin in clear"));
}

/// `rows` people with a fifth quasi-identifier d (50 values), as CSV text with or without pid.
fn people_with_d(rows: usize, seed: u64, with_pid: bool) -> String {
    let mut g = Gen(seed.wrapping_mul(0x2545_F491_4F6C_DD1D) | 1);
    let mut out = String::from(if with_pid {
        "pid,a,b,c,d,s\n"
    } else {
        "a,b,c,d,s\n"
    });
    for p in people(rows, seed, 0) {
        let pid = if with_pid {
            format!("{},", p[0])
        } else {
            String::new()
        };
        writeln!(
            out,
            "{pid}{},{},{},d{},{}",
            p[1],
            p[2],
            p[3],
            g.next(50),
            p[4]
        )
        .unwrap();
    }
    out
}

#[test]
fn independent_synthetic_data_is_anonymized_under_a_0_2_policy() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("source.csv"), people_with_d(2000, 1, true)).unwrap();
    std::fs::write(d.path().join("control.csv"), people_with_d(2000, 2, true)).unwrap();
    std::fs::write(
        d.path().join("synthetic.csv"),
        people_with_d(2000, 99, false),
    )
    .unwrap();
    spec(
        d.path(),
        "spec.toml",
        &format!(
            "[[recipients]]\nid = \"r\"\nknows = [\"a\", \"b\", \"c\", \"d\"]\ncontext = \"named_recipient\"\n{CONTROLS}"
        ),
    );
    let a = assess(
        d.path(),
        "spec.toml",
        "synthetic.csv",
        "r",
        &["--kind", "synthetic"],
    );
    assert_eq!(a["verdict"], "anonymized", "{}", a["reasons"]);
    let checks = a["checks"].as_array().unwrap();
    for c in checks {
        if ["singling_out", "inference"].contains(&c["criterion"].as_str().unwrap()) {
            assert!(c["value"].as_f64().unwrap() < 0.1, "{c}");
            assert_eq!(c["threshold"], 0.2);
        }
    }
    assert_eq!(
        checks.len(),
        4,
        "singling out, inference, exact copies, closer to source"
    );
    // Random rows copy a source row by chance about as often as they copy a holdout row.
    let dist = &a["distance"];
    let (src, hold) = (
        dist["exact_copies"].as_f64().unwrap(),
        dist["exact_copies_of_holdout"].as_f64().unwrap(),
    );
    assert!(src > 0.01 && (src - hold).abs() < 0.03, "{dist}");
    assert!(
        a["classic"].is_null(),
        "synthetic rows are not people: no class risk"
    );
}

#[test]
fn two_releases_that_pass_alone_fail_together() {
    let d = tempfile::tempdir().unwrap();
    let src = population(d.path());
    // Both releases carry the recipient's token for each person, so it can join them.
    write(d.path(), "r1.csv", &src, &[0, 1, 4], true);
    write(d.path(), "r2.csv", &src, &[0, 2, 3, 4], true);
    recipient_r(
        d.path(),
        "knows = [\"a\", \"b\", \"c\"]\ncontext = \"internal\"\n",
    );
    let first = assess(d.path(), "spec.toml", "r1.csv", "r", &[]);
    assert_eq!(first["verdict"], "anonymized", "{}", first["reasons"]);
    let v1 = visa(
        d.path(),
        &["issue", "--assessment", first["id"].as_str().unwrap()],
    );
    assert_eq!(v1["status"], "valid");
    // A visa issued but never sent is a candidate, not a release: nothing to combine with.
    let alone = assess(d.path(), "spec.toml", "r2.csv", "r", &[]);
    assert!(alone["cumulative"].is_null(), "{}", alone["cumulative"]);
    assert_eq!(alone["verdict"], "anonymized", "{}", alone["reasons"]);
    visa(d.path(), &["sent", v1["id"].as_str().unwrap()]);
    let second = assess(d.path(), "spec.toml", "r2.csv", "r", &[]);
    assert!(
        failing(&second, "release").is_empty(),
        "alone it passes: {}",
        second["checks"]
    );
    assert_eq!(second["verdict"], "de_identified");
    let c = &second["cumulative"];
    assert_eq!(c["with"][0]["visa"], v1["id"]);
    assert!(
        c["linked_by"]["text"].as_str().unwrap().contains("\"pid\""),
        "{}",
        c["linked_by"]
    );
    assert!(failing(&second, "combined").contains(&"max_risk".to_owned()));
    // The earlier anonymized assessment of r2 is contrary: no visa without a recorded reason.
    let refused = datavisa_in(
        &[
            "visa",
            "issue",
            "--assessment",
            second["id"].as_str().unwrap(),
            "--store",
            "st",
        ],
        d.path(),
    );
    assert_eq!(refused.status.code(), Some(2));
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(
        err.contains(alone["id"].as_str().unwrap()) && err.contains("--override-reason"),
        "{err}"
    );
    let v2 = visa(
        d.path(),
        &[
            "issue",
            "--assessment",
            second["id"].as_str().unwrap(),
            "--override-reason",
            "the earlier assessment predates the first release",
        ],
    );
    assert_eq!(
        v2["override_reason"],
        "the earlier assessment predates the first release"
    );
    // A visa on a de-identified verdict records the decision: never valid, in no listing or
    // transfer.
    assert_eq!(v2["status"], "recorded");
    let id2 = v2["id"].as_str().unwrap();
    assert_eq!(visa(d.path(), &["show", id2])["status"], "recorded");
    let all = visa(d.path(), &["list"]);
    let listed2 = all.as_array().unwrap().iter().find(|v| v["id"] == id2);
    assert_eq!(listed2.unwrap()["status"], "recorded", "{all}");
    for args in [
        &["ledger", "exporter", "add", "Acme", "--store", "st"][..],
        &[
            "ledger",
            "recipient",
            "add",
            "r",
            "--jurisdiction",
            "DE",
            "--store",
            "st",
        ][..],
    ] {
        assert!(datavisa_in(args, d.path()).status.success());
    }
    let sent = datavisa_in(
        &[
            "ledger",
            "record",
            "--exporter",
            "Acme",
            "--recipient",
            "r",
            "--file",
            "r2.csv",
            "--visa",
            id2,
            "--date",
            "2026-03-01",
            "--store",
            "st",
        ],
        d.path(),
    );
    fails_with(&sent, 2, &["does not cover", "not anonymized"]);
    // Sending the second flags the first for review: the recipient now holds both.
    visa(d.path(), &["sent", v2["id"].as_str().unwrap()]);
    let shown = visa(d.path(), &["show", v1["id"].as_str().unwrap()]);
    assert!(
        shown["review_flags"][0]
            .as_str()
            .unwrap()
            .contains(v2["id"].as_str().unwrap()),
        "{}",
        shown["review_flags"]
    );
    let issued = shown["history"].as_array().unwrap();
    assert!(issued.iter().any(|e| e["event"] == "sent"), "{shown}");
    // A visa voided as issued in error takes no further part.
    visa(
        d.path(),
        &["void", v1["id"].as_str().unwrap(), "--reason", "wrong twin"],
    );
    let after = assess(d.path(), "spec.toml", "r2.csv", "r", &[]);
    assert!(after["cumulative"].is_null(), "{}", after["cumulative"]);
    let listed = json_of(&datavisa_in(
        &[
            "assess", "list", "--twin", "r2.csv", "--format", "json", "--store", "st",
        ],
        d.path(),
    ));
    assert_eq!(
        listed.as_array().unwrap().len(),
        3,
        "every assessment of the pair is listed"
    );
    let void = visa(d.path(), &["show", v1["id"].as_str().unwrap()]);
    assert_eq!(void["status"], "void");
}

/// The recipient's own assessment through the CLI: kit out, attestation signed on the
/// recipient's side with a holding the exporter never sees, verified and recorded back.
#[test]
fn attestation_through_the_cli() {
    let d = tempfile::tempdir().unwrap();
    let src = population(d.path());
    write(d.path(), "twin.csv", &src, &[1, 4], false);
    recipient_r(d.path(), "knows = [\"a\"]\n");
    let a = assess(d.path(), "spec.toml", "twin.csv", "r", &[]);
    let out = datavisa_in(
        &[
            "assess",
            "export",
            "--twin",
            "twin.csv",
            "--recipient",
            "r",
            "-o",
            "kit",
            "--store",
            "st",
        ],
        d.path(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let side = tempfile::tempdir().unwrap();
    std::fs::copy(d.path().join("twin.csv"), side.path().join("twin.csv")).unwrap();
    write(side.path(), "mine.csv", &src[..300], &[1], false);
    let kit = d.path().join("kit");
    let out = datavisa_in(
        &[
            "assess",
            "--kit",
            kit.to_str().unwrap(),
            "--twin",
            "twin.csv",
            "--holds",
            "mine.csv",
            "--signing-key",
            "me.key",
            "-o",
            "att.json",
            "--format",
            "json",
        ],
        side.path(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("made a new signing key"));
    let signed = json_of(&out);
    assert_eq!(signed["body"]["holdings"][0]["shared"][0], "a");
    let att = side.path().join("att.json");
    let out = datavisa_in(
        &[
            "assess",
            "import",
            att.to_str().unwrap(),
            "--store",
            "st",
            "--format",
            "json",
        ],
        d.path(),
    );
    let rec = json_of(&out);
    assert_eq!(rec["recipient"], "r");
    // Edited: refused, exit 2.
    let text = std::fs::read_to_string(&att).unwrap();
    std::fs::write(
        d.path().join("bad.json"),
        text.replace("\\\"rows\\\":300", "\\\"rows\\\":3"),
    )
    .unwrap();
    assert_ne!(
        std::fs::read_to_string(d.path().join("bad.json")).unwrap(),
        text
    );
    let out = datavisa_in(&["assess", "import", "bad.json", "--store", "st"], d.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not verify"));
    let listed = json_of(&datavisa_in(
        &[
            "assess",
            "list",
            "--recipient",
            "r",
            "--format",
            "json",
            "--store",
            "st",
        ],
        d.path(),
    ));
    assert_eq!(listed[0]["id"], a["id"]);
}

fn visa_status(dir: &Path, id: &str, on: &str) -> String {
    let v = visa(dir, &["show", id, "--as-of", on]);
    v["status"].as_str().unwrap().to_owned()
}

#[test]
fn visa_lifecycle_on_a_fake_clock() {
    let d = tempfile::tempdir().unwrap();
    let src = population(d.path());
    write(d.path(), "twin.csv", &src, &[1, 4], false);
    recipient_r(d.path(), "knows = [\"a\"]\n");
    let a = assess(d.path(), "spec.toml", "twin.csv", "r", &[]);
    let issue = |on: &str| {
        visa(
            d.path(),
            &[
                "issue",
                "--assessment",
                a["id"].as_str().unwrap(),
                "--as-of",
                on,
                "--review-months",
                "12",
            ],
        )
    };
    let v = issue("2026-01-15");
    let id = v["id"].as_str().unwrap();
    assert_eq!(v["review_on"], "2027-01-15");
    assert_eq!(v["conditions"][0], "no_reidentification");
    assert_eq!(visa_status(d.path(), id, "2026-06-01"), "valid");
    assert_eq!(visa_status(d.path(), id, "2026-12-16"), "expiring");
    assert_eq!(visa_status(d.path(), id, "2027-01-15"), "expiring");
    assert_eq!(visa_status(d.path(), id, "2027-01-16"), "expired");
    // A new visa for the same twin and recipient supersedes it.
    let v2 = issue("2026-03-01");
    assert_eq!(visa_status(d.path(), id, "2026-06-01"), "superseded");
    let id2 = v2["id"].as_str().unwrap();
    let o = datavisa_in(
        &[
            "visa",
            "revoke",
            id2,
            "--reason",
            "contract ended",
            "--as-of",
            "2026-04-01",
            "--store",
            "st",
        ],
        d.path(),
    );
    assert!(o.status.success());
    assert_eq!(visa_status(d.path(), id2, "2026-06-01"), "revoked");
    fails_with(
        &datavisa_in(
            &["visa", "revoke", id2, "--reason", "again", "--store", "st"],
            d.path(),
        ),
        2,
        &["already revoked"],
    );
    let list = visa(d.path(), &["list", "--as-of", "2026-06-01"]);
    assert_eq!(list.as_array().unwrap().len(), 2);
}

#[test]
fn review_reverts_a_visa_when_the_recipient_gains_a_linkable_dataset() {
    let d = tempfile::tempdir().unwrap();
    let src = population(d.path());
    write(d.path(), "twin.csv", &src, &[1, 2, 3, 4], false);
    let partner =
        "[[recipients]]\nid = \"partner\"\nknows = [\"a\"]\ncontext = \"internal\"\n".to_owned();
    spec(d.path(), "spec.toml", &format!("{partner}{CONTROLS}"));
    let a = assess(d.path(), "spec.toml", "twin.csv", "partner", &[]);
    assert_eq!(a["verdict"], "anonymized", "{}", a["reasons"]);
    let v = visa(
        d.path(),
        &["issue", "--assessment", a["id"].as_str().unwrap()],
    );
    // Nothing is due yet.
    let none = visa(d.path(), &["review", "--spec", "spec.toml"]);
    assert_eq!(none["reviewed"].as_array().unwrap().len(), 0);
    // The partner buys a CRM extract with b and c about the same people.
    write(d.path(), "crm.csv", &src[..1500], &[1, 2, 3], false);
    spec(
        d.path(),
        "spec.toml",
        &format!("{partner}holds = [\"crm.csv\"]\n{CONTROLS}"),
    );
    let r = visa(d.path(), &["review", "--spec", "spec.toml"]);
    let done = &r["reviewed"][0];
    assert_eq!(done["visa"], v["id"]);
    assert!(done["outcome"]["Reverted"].is_object(), "{done}");
    assert!(done["summary"]
        .as_str()
        .unwrap()
        .contains("REVERTED to personal information"));
    assert!(
        done["summary"].as_str().unwrap().contains("max_risk"),
        "{done}"
    );
    let shown = visa(d.path(), &["show", v["id"].as_str().unwrap()]);
    assert_eq!(shown["status"], "revoked");
    assert!(shown["history"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["event"] == "flagged"));
}

/// Runs `datavisa visa ARGS --store st --format json` and returns its JSON.
fn visa(dir: &Path, args: &[&str]) -> Value {
    let mut all = vec!["visa"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--store", "st", "--format", "json"]);
    json_of(&datavisa_in(&all, dir))
}

/// The register's assessments count (0 when the register was never created).
fn assessments_in(dir: &Path) -> i64 {
    let p = dir.join("st/register.db");
    if !p.exists() {
        return 0;
    }
    let c = rusqlite::Connection::open(p).unwrap();
    c.query_row("SELECT COUNT(*) FROM assessments", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn bad_input_is_named_and_nothing_is_registered() {
    let d = tempfile::tempdir().unwrap();
    let src = population(d.path());
    write(d.path(), "twin.csv", &src, &[1, 2, 4], false);
    let run = |spec_text: &str, twin: &str, extra: &[&str]| {
        spec(d.path(), "bad.toml", spec_text);
        let mut args = vec![
            "assess",
            "--spec",
            "bad.toml",
            "--twin",
            twin,
            "--source",
            "source.csv",
            "--recipient",
            "r",
            "--store",
            "st",
        ];
        args.extend_from_slice(extra);
        datavisa_in(&args, d.path())
    };
    fails_with(
        &run(
            "[[recipients]]\nid = \"r\"\nknows = [\"zip\"]\n",
            "twin.csv",
            &[],
        ),
        2,
        &[
            "bad.toml:",
            "knows column \"zip\"",
            "it has: pid, a, b, c, s",
        ],
    );
    write(d.path(), "other.csv", &src, &[1, 2], false);
    std::fs::write(d.path().join("other.csv"), "a,salary\na1,100\n").unwrap();
    fails_with(
        &run(
            "[[recipients]]\nid = \"r\"\nknows = [\"a\"]\nholds = [\"other.csv\"]\n",
            "twin.csv",
            &[],
        ),
        2,
        &["holds", "other.csv", "salary"],
    );
    fails_with(
        &run(
            "[[recipients]]\nid = \"r\"\nknows = [\"a\"]\n[policy.thresholds]\nsingling_out = { value = 1.2, source = \"x\" }\n",
            "twin.csv",
            &[],
        ),
        2,
        &["bad.toml:", "singling_out = 1.2 is outside [0, 1]"],
    );
    let ok_spec = "[[recipients]]\nid = \"r\"\nknows = [\"a\"]\n";
    std::fs::write(
        d.path().join("twin.csv.manifest.json"),
        r#"{"kind": "generalized_twin", "output": "twin.csv", "output_sha256": "00ff",
            "source": {"path": "s.csv", "sha256": "x", "rows": 1, "columns": 1},
            "tool": {"name": "datavisa", "version": "0.0.0"}}"#,
    )
    .unwrap();
    fails_with(
        &run(ok_spec, "twin.csv", &[]),
        2,
        &["content hash 00ff", "twin.csv hashes to"],
    );
    let sha = datavisa_table::file_sha256(&d.path().join("twin.csv")).unwrap();
    std::fs::write(
        d.path().join("twin.csv.manifest.json"),
        // The shape earlier releases wrote (`output` a path, `output_sha256` beside it).
        format!(
            r#"{{"kind": "generalized_twin", "output": "twin.csv", "output_sha256": "{sha}",
                "source": {{"path": "s.csv", "sha256": "beef", "rows": 1, "columns": 1}},
                "tool": {{"name": "datavisa", "version": "0.0.0"}}}}"#
        ),
    )
    .unwrap();
    fails_with(
        &run(ok_spec, "twin.csv", &[]),
        2,
        &["twin of another source", "beef"],
    );
    fails_with(
        &run(ok_spec, "twin.csv", &["--kind", "hologram"]),
        2,
        &["unknown twin kind"],
    );
    fails_with(
        &run("[[recipients]]\nid = \"q\"\n", "twin.csv", &[]),
        2,
        &["no recipient \"r\"", "it has: q"],
    );
    assert_eq!(assessments_in(d.path()), 0);
}

#[test]
fn the_report_renders_in_headless_chromium() {
    let Some(chromium) = common::chromium() else {
        return;
    };
    let d = tempfile::tempdir().unwrap();
    let src = population(d.path());
    write(d.path(), "twin.csv", &src, &[1, 2, 3, 4], false);
    recipient_r(d.path(), "knows = [\"a\", \"b\"]\n");
    let a = assess(d.path(), "spec.toml", "twin.csv", "r", &[]);
    let id = a["id"].as_str().unwrap();
    for (lang, file) in [("en", "report.html"), ("zh", "report-zh.html")] {
        let o = datavisa_in(
            &[
                "report",
                "assessment",
                id,
                "-o",
                file,
                "--lang",
                lang,
                "--store",
                "st",
            ],
            d.path(),
        );
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let json = datavisa_in(
        &[
            "report",
            "assessment",
            id,
            "-o",
            "report.json",
            "--store",
            "st",
        ],
        d.path(),
    );
    assert!(json.status.success());
    let j: Value =
        serde_json::from_slice(&std::fs::read(d.path().join("report.json")).unwrap()).unwrap();
    assert_eq!(j["id"], a["id"]);
    let page = d.path().join("report.html");
    let profile = d.path().join("chromium-profile");
    // Headless Chromium as the machine notes say it runs here (no network, a fresh profile).
    let run = |extra: &[String]| {
        common::headless(&chromium, &profile)
            .arg("--disable-quic")
            .args(extra)
            .arg(format!("file://{}", page.display()))
            .output()
            .expect("chromium runs")
    };
    let pdf = d.path().join("report.pdf");
    let out = run(&[
        "--enable-logging=stderr".into(),
        "--v=0".into(),
        format!("--print-to-pdf={}", pdf.display()),
    ]);
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(pdf.metadata().unwrap().len() > 10_000, "{log}");
    assert!(
        !log.contains("Uncaught") && !log.contains(":CONSOLE"),
        "console: {log}"
    );
    let dom = run(&["--dump-dom".into()]);
    let dom = String::from_utf8_lossy(&dom.stdout);
    let sentence = match a["verdict"].as_str().unwrap() {
        "anonymized" => "is anonymized as to recipient r",
        "de_identified" => "is de-identified, not anonymized",
        _ => "is personal information",
    };
    assert!(
        dom.contains("id=\"verdict\"") && dom.contains(sentence),
        "{dom}"
    );
    assert!(
        dom.matches("<svg").count() >= 3,
        "attack, class-size and utility charts"
    );
    assert!(dom.contains("De-identification (PIPL Art. 73(3))"));
    assert!(
        !dom.contains("http://")
            || dom.matches("http://").count() == dom.matches("http://www.w3.org/2000/svg").count()
    );
    for file in ["report.html", "report-zh.html"] {
        let overlaps = chart_text_overlaps(&chromium, &profile, &d.path().join(file));
        assert!(
            overlaps.is_empty(),
            "{file}: chart text overlaps or is cut: {overlaps:?}"
        );
    }
    // The check itself finds an overlap and a label that leaves its drawing.
    let texts: String = (0..12)
        .map(|i| format!("<text x=\"{}\" y=\"20\">label {i}</text>", 10 + i * 50))
        .collect();
    let bad = format!(
        "<html><body><svg width=\"640\" height=\"60\">{texts}<text x=\"12\" y=\"22\">on top</text><text x=\"600\" y=\"50\">runs off the edge</text></svg></body></html>"
    );
    std::fs::write(d.path().join("bad.html"), bad).unwrap();
    let found = chart_text_overlaps(&chromium, &profile, &d.path().join("bad.html"));
    assert!(found.iter().any(|f| f.contains("overlaps")), "{found:?}");
    assert!(
        found.iter().any(|f| f.contains("leaves the drawing")),
        "{found:?}"
    );
}

/// Lays a report out in headless Chromium and returns every pair of SVG text elements whose
/// boxes overlap, and every text that leaves its drawing, as read from the DOM. The check
/// runs in a copy of the page with a script added; the report itself carries no script.
fn chart_text_overlaps(chromium: &str, profile: &Path, page: &Path) -> Vec<String> {
    const CHECK: &str = r#"<script>
addEventListener('load', () => {
  const out = [];
  document.querySelectorAll('svg').forEach((svg, s) => {
    const frame = svg.getBoundingClientRect();
    const boxes = [...svg.querySelectorAll('text')].map(t => [t.textContent, t.getBoundingClientRect()]);
    boxes.forEach(([t, r]) => {
      if (r.left < frame.left - 1 || r.right > frame.right + 1 || r.top < frame.top - 1 || r.bottom > frame.bottom + 1)
        out.push(`svg ${s}: "${t}" leaves the drawing`);
    });
    for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
      const [a, p] = boxes[i], [b, q] = boxes[j];
      const w = Math.min(p.right, q.right) - Math.max(p.left, q.left);
      const h = Math.min(p.bottom, q.bottom) - Math.max(p.top, q.top);
      if (w > 1 && h > 1) out.push(`svg ${s}: "${a}" overlaps "${b}"`);
    }
  });
  const pre = document.createElement('pre');
  pre.id = 'bbox';
  pre.textContent = 'BBOX[' + out.join(' | ') + ']BBOX texts=' + document.querySelectorAll('svg text').length;
  document.body.appendChild(pre);
});
</script></body>"#;
    let html = std::fs::read_to_string(page)
        .unwrap()
        .replace("</body>", CHECK);
    let probe = page.with_extension("probe.html");
    std::fs::write(&probe, html).unwrap();
    let out = common::headless(chromium, profile)
        .args([
            "--window-size=1280,2000",
            "--virtual-time-budget=3000",
            "--dump-dom",
        ])
        .arg(format!("file://{}", probe.display()))
        .output()
        .expect("chromium runs");
    let dom = String::from_utf8_lossy(&out.stdout);
    let marker = "<pre id=\"bbox\">BBOX[";
    let start = dom.find(marker).expect("the layout check ran") + marker.len();
    let end = dom[start..].find("]BBOX").unwrap() + start;
    let texts: usize = dom[end..]
        .trim_start_matches("]BBOX texts=")
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(texts > 10, "the charts have text to check ({texts})");
    dom[start..end]
        .split(" | ")
        .filter(|s| !s.is_empty())
        .map(|s| s.replace("&quot;", "\""))
        .collect()
}

#[test]
fn a_pseudonymized_twin_with_live_keys_is_de_identified_at_best() {
    let d = tempfile::tempdir().unwrap();
    let src = population(d.path());
    write(d.path(), "pseudo.csv", &src, &[0, 1, 4], true);
    let sha = |f: &str| datavisa_table::file_sha256(&d.path().join(f)).unwrap();
    std::fs::write(
        d.path().join("pseudo.csv.manifest.json"),
        format!(
            r#"{{"kind": "pseudonymized_twin", "twin_id": "tw-1",
                "output": {{"path": "pseudo.csv", "file": "pseudo.csv", "sha256": "{}"}},
                "source": {{"path": "source.csv", "sha256": "{}", "rows": 2000, "columns": 5}},
                "tool": {{"name": "datavisa", "version": "0.0.0"}}}}"#,
            sha("pseudo.csv"),
            sha("source.csv")
        ),
    )
    .unwrap();
    spec(
        d.path(),
        "spec.toml",
        &format!(
            "[[recipients]]\nid = \"r\"\nknows = [\"a\"]\n{CONTROLS}\n[[recipients]]\nid = \"keyholder\"\nknows = [\"a\"]\ncan_obtain_keys = true\n{CONTROLS}"
        ),
    );
    let a = assess(d.path(), "spec.toml", "pseudo.csv", "r", &[]);
    assert!(failing(&a, "release").is_empty(), "{}", a["checks"]);
    assert_eq!(a["twin_kind"], "pseudonymized");
    assert_eq!(a["keys"], "unknown");
    assert_eq!(a["verdict"], "de_identified");
    assert!(a["reasons"][0]["text"]
        .as_str()
        .unwrap()
        .contains("keys still exist"));
    let k = assess(d.path(), "spec.toml", "pseudo.csv", "keyholder", &[]);
    assert_eq!(k["verdict"], "personal");
    assert!(k["reasons"][0]["text"]
        .as_str()
        .unwrap()
        .contains("could obtain the pseudonymization keys"));
}

#[test]
fn a_twin_sent_under_an_anonymized_visa_is_recorded_but_not_counted() {
    let d = tempfile::tempdir().unwrap();
    let src = population(d.path());
    write(d.path(), "twin.csv", &src, &[1, 4], false);
    recipient_r(d.path(), "knows = [\"a\"]\n");
    let a = assess(d.path(), "spec.toml", "twin.csv", "r", &[]);
    assert_eq!(a["verdict"], "anonymized", "{}", a["reasons"]);
    let v = visa(
        d.path(),
        &[
            "issue",
            "--assessment",
            a["id"].as_str().unwrap(),
            "--as-of",
            "2026-02-01",
        ],
    );
    let visa_id = v["id"].as_str().unwrap();
    let ok = |args: &[&str]| assert!(datavisa_in(args, d.path()).status.success());
    ok(&["ledger", "exporter", "add", "Acme", "--store", "st"]);
    ok(&[
        "ledger",
        "recipient",
        "add",
        "r",
        "--jurisdiction",
        "DE",
        "--store",
        "st",
    ]);
    let record = |file: &str, date: &str| {
        datavisa_in(
            &[
                "ledger",
                "record",
                "--exporter",
                "Acme",
                "--recipient",
                "r",
                "--file",
                file,
                "--visa",
                visa_id,
                "--date",
                date,
                "--store",
                "st",
                "--format",
                "json",
            ],
            d.path(),
        )
    };
    let r = json_of(&record("twin.csv", "2026-03-01"));
    assert_eq!(r["counted"], false);
    assert_eq!(r["visa"], visa_id);
    assert_eq!(r["rows"], 2000);
    assert_eq!(r["totals"]["ordinary"], 0);
    // The transfer under the visa is a release: the visa is marked sent on its date.
    assert_eq!(visa(d.path(), &["show", visa_id])["sent_on"], "2026-03-01");
    // Another file, or a date after the visa's review, is not covered.
    fails_with(
        &record("source.csv", "2026-03-01"),
        2,
        &["does not cover", "hashes to"],
    );
    fails_with(
        &record("twin.csv", "2027-03-01"),
        2,
        &["does not cover", "expired"],
    );
    // The PIPIA draft lists the twin's verdict under the protective measures.
    let o = datavisa_in(
        &[
            "report",
            "pipia",
            "--exporter",
            "Acme",
            "--recipient",
            "r",
            "-o",
            "pipia.md",
            "--lang",
            "en",
            "--store",
            "st",
        ],
        d.path(),
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let pipia = std::fs::read_to_string(d.path().join("pipia.md")).unwrap();
    assert!(
        pipia.contains(&format!("visa {visa_id} for twin.csv: anonymized")),
        "{pipia}"
    );
    // ... and under the recipient's section, the recipient-relative assessment is that visa.
    let line = pipia
        .lines()
        .find(|l| l.contains("Recipient-relative anonymization assessment"))
        .unwrap_or_else(|| panic!("{pipia}"));
    assert!(
        line.contains(&visa_id.to_string()) && line.contains("anonymized"),
        "{line}"
    );
    assert!(!pipia.contains("none on record"), "{pipia}");
    // Without a visa the people must be counted, which needs the person column.
    fails_with(
        &datavisa_in(
            &[
                "ledger",
                "record",
                "--exporter",
                "Acme",
                "--recipient",
                "r",
                "--file",
                "source.csv",
                "--date",
                "2026-03-01",
                "--store",
                "st",
            ],
            d.path(),
        ),
        2,
        &["--person-column is required"],
    );
}

#[test]
fn a_generalized_twin_is_attacked_in_its_own_terms_and_checked_against_its_manifest() {
    let d = tempfile::tempdir().unwrap();
    population(d.path());
    let o = datavisa_in(
        &[
            "twin",
            "generalize",
            "source.csv",
            "-o",
            "gen.csv",
            "--quasi",
            "a,b,c",
            "--k",
            "5",
            "--suppression",
            "0.1",
            "--sensitive",
            "s",
        ],
        d.path(),
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    recipient_r(
        d.path(),
        "knows = [\"a\", \"b\", \"c\"]\ncontext = \"named_recipient\"\n",
    );
    let a = assess(d.path(), "spec.toml", "gen.csv", "r", &[]);
    assert_eq!(a["twin_kind"], "generalized");
    // k = 5 on what the recipient knows: the highest class risk is at most 0.2.
    let max = a["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["criterion"] == "max_risk")
        .unwrap();
    assert!(max["value"].as_f64().unwrap() <= 0.2 + 1e-9, "{max}");
    // Suppressed records stay in the twin as '*' rows, so the twin still has one row per source row.
    assert_eq!(a["twin"]["rows"], 2000);
    let mut text = std::fs::read_to_string(d.path().join("gen.csv")).unwrap();
    let last = text.lines().last().unwrap().to_owned();
    text.push_str(&last);
    text.push('\n');
    std::fs::write(d.path().join("gen.csv"), text).unwrap();
    fails_with(
        &datavisa_in(
            &[
                "assess",
                "--spec",
                "spec.toml",
                "--twin",
                "gen.csv",
                "--source",
                "source.csv",
                "--recipient",
                "r",
                "--store",
                "st",
            ],
            d.path(),
        ),
        2,
        &["gen.csv.manifest.json records the twin's content hash"],
    );
}

#[test]
fn the_twin_is_read_with_its_own_flags_not_the_sources() {
    let d = tempfile::tempdir().unwrap();
    let src = population(d.path());
    recipient_r(d.path(), "knows = [\"a\", \"b\"]\n");
    write(d.path(), "twin.csv", &src, &[1, 2, 4], false);
    let semi = std::fs::read_to_string(d.path().join("twin.csv"))
        .unwrap()
        .replace(',', ";");
    std::fs::write(d.path().join("twin-semi.csv"), semi).unwrap();
    let plain = assess(d.path(), "spec.toml", "twin.csv", "r", &[]);
    let semi = assess(
        d.path(),
        "spec.toml",
        "twin-semi.csv",
        "r",
        &["--twin-delimiter", ";"],
    );
    assert_eq!(plain["verdict"], semi["verdict"]);
    assert_eq!(plain["known_in_twin"], semi["known_in_twin"]);
    for (x, y) in plain["checks"]
        .as_array()
        .unwrap()
        .iter()
        .zip(semi["checks"].as_array().unwrap())
    {
        assert_eq!(x["value"], y["value"], "{x} / {y}");
    }
    assert!(semi["command"]
        .as_str()
        .unwrap()
        .contains("--twin-delimiter ';'"));
    assert_eq!(semi["twin_reading"]["delimiter"], ";");
    // A re-assessment reads the twin as the assessment did.
    let visa = json_of(&datavisa_in(
        &[
            "visa",
            "issue",
            "--assessment",
            semi["id"].as_str().unwrap(),
            "--store",
            "st",
            "--format",
            "json",
        ],
        d.path(),
    ));
    let review = json_of(&datavisa_in(
        &[
            "visa",
            "review",
            visa["id"].as_str().unwrap(),
            "--spec",
            "spec.toml",
            "--store",
            "st",
            "--format",
            "json",
        ],
        d.path(),
    ));
    let again = review["reviewed"][0]["assessment"].as_str().unwrap();
    let shown = json_of(&datavisa_in(
        &["assess", "show", again, "--store", "st", "--format", "json"],
        d.path(),
    ));
    assert_eq!(shown["twin_reading"]["delimiter"], ";", "{shown}");
    // The flag is the twin's own: read as commas, the twin is one column the source lacks.
    let wrong = datavisa_in(
        &[
            "assess",
            "--spec",
            "spec.toml",
            "--twin",
            "twin-semi.csv",
            "--source",
            "source.csv",
            "--recipient",
            "r",
            "--store",
            "st",
            "--twin-delimiter",
            ",",
        ],
        d.path(),
    );
    assert_eq!(wrong.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("a;b;s"));
}

/// `datavisa split`, run in `dir` with `args`.
fn split(dir: &Path, args: &[&str]) -> std::process::Output {
    datavisa_in(&[&["split"], args].concat(), dir)
}

#[test]
fn split_is_seeded_keeps_people_together_and_copies_rows_byte_for_byte() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    // 300 people with two visits each, GBK, `;`, CRLF, amounts written `2119.0`.
    let mut src = b"pid;name;amount\r\n".to_vec();
    for i in 0..600 {
        src.extend_from_slice(format!("P{:04};", i / 2).as_bytes());
        src.extend_from_slice(&[0xD5, 0xC5, 0xC8, 0xFD]);
        src.extend_from_slice(format!(";2119.{}\r\n", i % 2).as_bytes());
    }
    std::fs::write(p.join("src.csv"), &src).unwrap();
    let run = |r: &str, c: &str, seed: &str| {
        json_of(&split(
            p,
            &[
                "src.csv",
                "--release",
                r,
                "--control",
                c,
                "--by",
                "pid",
                "--seed",
                seed,
                "--format",
                "json",
            ],
        ))
    };
    let v = run("r.csv", "c.csv", "7");
    assert_eq!(v["people"], serde_json::json!([150, 150]));
    assert_eq!(
        v["release"]["rows"].as_u64().unwrap() + v["control"]["rows"].as_u64().unwrap(),
        600
    );
    let lines = |f: &str| -> Vec<Vec<u8>> {
        std::fs::read(p.join(f))
            .unwrap()
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .map(<[u8]>::to_vec)
            .collect()
    };
    let (all, r, c) = (lines("src.csv"), lines("r.csv"), lines("c.csv"));
    assert_eq!(
        (r[0].clone(), c[0].clone()),
        (all[0].clone(), all[0].clone())
    );
    let mut both: Vec<Vec<u8>> = r[1..].iter().chain(&c[1..]).cloned().collect();
    let mut expected = all[1..].to_vec();
    both.sort();
    expected.sort();
    assert_eq!(both, expected, "every row once, byte for byte");
    let pid = |l: &Vec<u8>| l[..5].to_vec();
    let in_r: std::collections::HashSet<Vec<u8>> = r[1..].iter().map(pid).collect();
    assert!(
        c[1..].iter().all(|l| !in_r.contains(&pid(l))),
        "a person's rows stay on one side"
    );
    // Seeded: the same seed gives the same halves, another seed others.
    run("r2.csv", "c2.csv", "7");
    assert_eq!(
        std::fs::read(p.join("r.csv")).unwrap(),
        std::fs::read(p.join("r2.csv")).unwrap()
    );
    run("r3.csv", "c3.csv", "8");
    assert_ne!(
        std::fs::read(p.join("r.csv")).unwrap(),
        std::fs::read(p.join("r3.csv")).unwrap()
    );
    let record: Value =
        serde_json::from_slice(&std::fs::read(p.join("r.csv.split.json")).unwrap()).unwrap();
    assert_eq!(record["role"], "release");
    assert_eq!(record["source"]["sha256"], v["source"]["sha256"]);
    // Bad input: named, exit 2, nothing written.
    for (args, needle) in [
        (
            vec![
                "src.csv",
                "--release",
                "x.csv",
                "--control",
                "y.csv",
                "--share",
                "1",
            ],
            "--share",
        ),
        (
            vec!["src.csv", "--release", "x.csv", "--control", "x.csv"],
            "same file",
        ),
        (
            vec![
                "src.csv",
                "--release",
                "x.csv",
                "--control",
                "y.csv",
                "--by",
                "nope",
            ],
            "--by \"nope\"",
        ),
        (
            vec!["src.csv", "--release", "src.csv", "--control", "y.csv"],
            "src.csv",
        ),
    ] {
        let o = split(p, &args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(
            String::from_utf8_lossy(&o.stderr).contains(needle),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(!p.join("x.csv").exists() && !p.join("y.csv").exists());
    }
    assert_eq!(std::fs::read(p.join("src.csv")).unwrap(), src);
}

#[test]
fn assess_takes_release_and_control_of_one_split_only() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    write(p, "pop.csv", &people(3000, 1, 0), &[0, 1, 2, 3, 4], false);
    recipient_r(p, "knows = [\"a\", \"b\"]\n");
    for (r, c, seed) in [("rel.csv", "ctl.csv", "1"), ("rel2.csv", "ctl2.csv", "2")] {
        let o = split(
            p,
            &["pop.csv", "--release", r, "--control", c, "--seed", seed],
        );
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    // The twin: the release without its identifier.
    let rel = std::fs::read_to_string(p.join("rel.csv")).unwrap();
    let twin: String = rel
        .lines()
        .map(|l| l.split_once(',').unwrap().1.to_owned() + "\n")
        .collect();
    std::fs::write(p.join("twin.csv"), twin).unwrap();
    let assess_with = |source: &str, control: &str| {
        datavisa_in(
            &[
                "assess",
                "--spec",
                "spec.toml",
                "--twin",
                "twin.csv",
                "--source",
                source,
                "--control",
                control,
                "--recipient",
                "r",
                "--n-attacks",
                "200",
                "--store",
                "st",
                "--format",
                "json",
            ],
            p,
        )
    };
    let ok = assess_with("rel.csv", "ctl.csv");
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    for (source, control, needle) in [
        ("rel.csv", "ctl2.csv", "different splits"),
        ("ctl.csv", "rel.csv", "the source must be the release"),
        ("rel.csv", "pop.csv", "is not its other half"),
    ] {
        let o = assess_with(source, control);
        assert_eq!(o.status.code(), Some(2), "{source} {control}");
        assert!(
            String::from_utf8_lossy(&o.stderr).contains(needle),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    let mut ctl = std::fs::read_to_string(p.join("ctl.csv")).unwrap();
    ctl.push_str("P999999,a1,b1,c1,flu\n");
    std::fs::write(p.join("ctl.csv"), ctl).unwrap();
    let o = assess_with("rel.csv", "ctl.csv");
    assert!(String::from_utf8_lossy(&o.stderr).contains("changed since it was split"));
}
