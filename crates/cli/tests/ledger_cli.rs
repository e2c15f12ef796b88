//! The ledger and planner through the CLI.

mod common;

use common::{datavisa_in as dv, fails_with, json_of};
use std::path::Path;

fn people_file(path: &Path, from: usize, to: usize, missing_every: usize) {
    let mut s = String::from("person_id,city,diagnosis\n");
    for i in from..to {
        let id = if missing_every > 0 && i % missing_every == 0 {
            String::new()
        } else {
            format!("P{i:07}")
        };
        let diag = if i % 4 == 0 { "J45" } else { "" };
        s.push_str(&format!("{id},Shanghai,{diag}\n"));
    }
    std::fs::write(path, s).unwrap();
}

/// `VERB --exporter "Acme (Shanghai)" --recipient "Acme SG" --file FILE --person-column PERSON EXTRA...`
fn transfer_args<'a>(
    verb: &[&'a str],
    file: &'a str,
    person: &'a str,
    extra: &[&'a str],
) -> Vec<&'a str> {
    let mut v = verb.to_vec();
    v.extend([
        "--exporter",
        "Acme (Shanghai)",
        "--recipient",
        "Acme SG",
        "--file",
        file,
        "--person-column",
        person,
    ]);
    v.extend_from_slice(extra);
    v
}

fn setup(p: &Path) {
    json_of(&dv(&["ledger", "exporter", "list", "--format", "json"], p));
    assert!(dv(
        &[
            "ledger",
            "exporter",
            "add",
            "Acme (Shanghai)",
            "--group",
            "Acme"
        ],
        p
    )
    .status
    .success());
    assert!(dv(
        &[
            "ledger",
            "recipient",
            "add",
            "Acme SG",
            "--jurisdiction",
            "SG"
        ],
        p
    )
    .status
    .success());
}

fn record(p: &Path, file: &str, date: &str) -> serde_json::Value {
    json_of(&dv(
        &transfer_args(
            &["ledger", "record"],
            file,
            "person_id",
            &[
                "--sensitive-columns",
                "diagnosis",
                "--date",
                date,
                "--format",
                "json",
            ],
        ),
        p,
    ))
}

#[test]
fn record_counts_people_once_and_plan_explains_the_band() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    setup(p);
    people_file(&p.join("a.csv"), 0, 60_000, 1000);
    people_file(&p.join("b.csv"), 50_000, 105_000, 0);
    let r = record(p, "a.csv", "2025-03-01");
    assert_eq!(
        (r["persons"].as_u64(), r["missing"].as_u64()),
        (Some(59_940), Some(60))
    );
    assert_eq!(
        r["new_sensitive"],
        15_000 - 60,
        "rows without an id are not counted"
    );
    let again = record(p, "a.csv", "2025-03-01");
    assert_eq!(again["already_recorded"], true);
    assert_eq!(again["totals"]["ordinary"], 59_940);
    let plan = json_of(&dv(
        &transfer_args(
            &["plan"],
            "b.csv",
            "person_id",
            &[
                "--sensitive-columns",
                "diagnosis",
                "--date",
                "2025-04-01",
                "--format",
                "json",
            ],
        ),
        p,
    ));
    assert_eq!(plan["counts"]["ordinary"]["before"], 59_940);
    assert_eq!(plan["counts"]["ordinary"]["after"], 59_940 + 45_000 + 10);
    assert_eq!(
        plan["mechanism"], "security_assessment",
        "sensitive count crosses 10,000: {plan}"
    );
    for key in ["rules", "exemptions", "duties", "warnings", "counts"] {
        assert!(plan.get(key).is_some(), "{key}");
    }
    assert!(plan["rules"].as_array().unwrap().iter().any(|r| r == "M-4"));
    // Nothing was recorded by planning.
    let rep = json_of(&dv(
        &["ledger", "report", "--year", "2025", "--format", "json"],
        p,
    ));
    assert_eq!(rep["exporters"][0]["counts"]["ordinary"], 59_940);
    let exempt = json_of(&dv(
        &transfer_args(
            &["plan"],
            "b.csv",
            "person_id",
            &[
                "--date",
                "2025-04-01",
                "--contract-necessity",
                "--format",
                "json",
            ],
        ),
        p,
    ));
    assert_eq!(exempt["mechanism"], "exempt");
    // `--fact NAME` is the general spelling; the one-flag-per-exemption form is its alias.
    let plan_with = |extra: &[&str]| {
        let mut args = vec!["--date", "2025-04-01", "--format", "json"];
        args.extend_from_slice(extra);
        dv(&transfer_args(&["plan"], "b.csv", "person_id", &args), p)
    };
    let by_fact = json_of(&plan_with(&["--fact", "contract-necessity"]));
    assert_eq!(by_fact["mechanism"], "exempt");
    assert_eq!(by_fact["rules"], exempt["rules"]);
    fails_with(
        &plan_with(&["--fact", "moon-landing"]),
        2,
        &["\"moon-landing\"", "no such fact", "contract-necessity"],
    );
    // Bad input.
    fails_with(
        &dv(
            &[
                "ledger",
                "record",
                "--exporter",
                "Nobody",
                "--recipient",
                "Acme SG",
                "--file",
                "a.csv",
                "--person-column",
                "person_id",
            ],
            p,
        ),
        2,
        &["unknown exporter", "ledger exporter add"],
    );
    fails_with(
        &dv(
            &transfer_args(&["ledger", "record"], "a.csv", "nope", &[]),
            p,
        ),
        2,
        &["\"nope\" is not in the file"],
    );
    fails_with(
        &dv(
            &transfer_args(
                &["ledger", "record"],
                "a.csv",
                "person_id",
                &["--date", "2025-02-30"],
            ),
            p,
        ),
        2,
        &["date"],
    );
}

#[test]
fn due_dates_follow_the_holiday_calendar_and_export_round_trips() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    setup(p);
    std::fs::write(p.join("cal.csv"), "date,working,name\n2026-10-01,0,National Day\n2026-10-02,0,National Day\n2026-10-05,0,National Day\n2026-10-06,0,National Day\n2026-10-07,0,National Day\n2026-10-10,1,make-up\n").unwrap();
    assert!(dv(&["ledger", "holiday", "import", "cal.csv"], p)
        .status
        .success());
    assert!(dv(
        &[
            "ledger",
            "filing",
            "add",
            "--exporter",
            "Acme (Shanghai)",
            "--kind",
            "standard_contract",
            "--effective",
            "2026-09-28"
        ],
        p
    )
    .status
    .success());
    let due = json_of(&dv(
        &["ledger", "due", "--as-of", "2026-10-01", "--format", "json"],
        p,
    ));
    assert_eq!(due["due"][0]["date"], "2026-10-16");
    fails_with(
        &dv(
            &[
                "ledger",
                "filing",
                "add",
                "--exporter",
                "Acme (Shanghai)",
                "--kind",
                "visa",
            ],
            p,
        ),
        2,
        &["filing kind"],
    );
    std::fs::write(p.join("bad.csv"), "date,working\n2026-10-01,maybe\n").unwrap();
    fails_with(
        &dv(&["ledger", "holiday", "import", "bad.csv"], p),
        2,
        &["bad.csv:2"],
    );

    people_file(&p.join("a.csv"), 0, 100, 0);
    record(p, "a.csv", "2025-03-01");
    assert!(dv(&["ledger", "export", "-o", "ledger.json"], p)
        .status
        .success());
    let text = std::fs::read_to_string(p.join("ledger.json")).unwrap();
    assert!(!text.contains("P0000001"), "no identifiers in the export");
    let other = tempfile::tempdir().unwrap();
    let store = other.path().join(".datavisa");
    std::fs::create_dir_all(&store).unwrap();
    std::fs::copy(p.join(".datavisa/ledger.key"), store.join("ledger.key")).unwrap();
    let json = p.join("ledger.json").display().to_string();
    assert!(dv(&["ledger", "import", &json], other.path())
        .status
        .success());
    let rep = json_of(&dv(
        &["ledger", "report", "--year", "2025", "--format", "json"],
        other.path(),
    ));
    assert_eq!(rep["exporters"][0]["counts"]["ordinary"], 100);
}

/// Two processes recording at once lose nothing; a killed recorder counts all or nothing.
#[test]
fn concurrent_and_killed_recorders() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    setup(p);
    people_file(&p.join("x.csv"), 0, 40_000, 0);
    people_file(&p.join("y.csv"), 40_000, 80_000, 0);
    let spawn = |file: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_datavisa"))
            .args(transfer_args(
                &["ledger", "record"],
                file,
                "person_id",
                &[
                    "--sensitive-columns",
                    "diagnosis",
                    "--date",
                    "2025-05-05",
                    "--quiet",
                ],
            ))
            .current_dir(p)
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap()
    };
    let (mut a, mut b) = (spawn("x.csv"), spawn("y.csv"));
    assert!(a.wait().unwrap().success() && b.wait().unwrap().success());
    let rep = json_of(&dv(
        &["ledger", "report", "--year", "2025", "--format", "json"],
        p,
    ));
    assert_eq!(rep["exporters"][0]["counts"]["ordinary"], 80_000);

    people_file(&p.join("z.csv"), 80_000, 200_000, 0);
    for delay in [30u64, 150, 400] {
        let mut c = spawn("z.csv");
        std::thread::sleep(std::time::Duration::from_millis(delay));
        let _ = c.kill();
        let _ = c.wait();
        let n = json_of(&dv(
            &["ledger", "report", "--year", "2025", "--format", "json"],
            p,
        ))["exporters"][0]["counts"]["ordinary"]
            .as_u64()
            .unwrap();
        assert!(n == 80_000 || n == 200_000, "all or nothing, got {n}");
    }
}

#[test]
fn pipia_draft_fills_the_facts_and_marks_the_questions() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    setup(p);
    people_file(&p.join("a.csv"), 0, 120_000, 0);
    let r = json_of(&dv(
        &transfer_args(
            &["ledger", "record"],
            "a.csv",
            "person_id",
            &[
                "--sensitive-columns",
                "",
                "--date",
                "2025-03-01",
                "--purpose",
                "CRM analytics",
                "--format",
                "json",
            ],
        ),
        p,
    ));
    assert_eq!(r["totals"]["ordinary"], 120_000);
    let o = dv(
        &[
            "report",
            "pipia",
            "--exporter",
            "Acme (Shanghai)",
            "--recipient",
            "Acme SG",
            "--year",
            "2025",
            "-o",
            "pipia.html",
        ],
        p,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let html = std::fs::read_to_string(p.join("pipia.html")).unwrap();
    for needle in [
        "lang=\"zh-CN\"",
        "个人信息出境保护影响评估报告",
        "出境机制的确定",
        "标准合同备案",
        "M-5",
        "120000",
        "CRM analytics",
        "待评估人判断",
        "记录保存",
    ] {
        assert!(html.contains(needle), "{needle}");
    }
    assert!(dv(
        &[
            "report",
            "pipia",
            "--exporter",
            "Acme (Shanghai)",
            "--recipient",
            "Acme SG",
            "--year",
            "2025",
            "--lang",
            "en",
            "-o",
            "pipia.md"
        ],
        p
    )
    .status
    .success());
    let md = std::fs::read_to_string(p.join("pipia.md")).unwrap();
    assert!(md.contains("## 10. Mechanism determination") && md.contains("For the assessor"));
    assert_eq!(
        md.matches("\n## ").count(),
        13,
        "the twelve sections of LEGAL-RULES §5, then the terms with their sources"
    );
    assert!(md.contains("## 13. Terminology") && md.contains("PIPL Art. 73(4)"));
    fails_with(
        &dv(
            &[
                "report",
                "pipia",
                "--exporter",
                "Nobody",
                "--recipient",
                "Acme SG",
                "-o",
                "x.html",
            ],
            p,
        ),
        2,
        &["unknown exporter"],
    );
    assert!(!p.join("x.html").exists());
    // No visa for the recipient in this store: the draft says so.
    assert!(md.contains("none on record in this store"), "{md}");
    // The rules come from --rules as for `plan`; a rules file that does not parse is bad input.
    let pipia_with = |extra: &[&str], out: &str| {
        let mut args = vec![
            "report",
            "pipia",
            "--exporter",
            "Acme (Shanghai)",
            "--recipient",
            "Acme SG",
            "--year",
            "2025",
            "--lang",
            "en",
            "-o",
        ];
        args.push(out);
        args.extend_from_slice(extra);
        dv(&args, p)
    };
    std::fs::write(p.join("bad-rules.toml"), "[[band]]\nid = 1\n").unwrap();
    fails_with(
        &pipia_with(&["--rules", "bad-rules.toml"], "r.md"),
        2,
        &["bad-rules.toml"],
    );
    assert!(!p.join("r.md").exists());
    // A broken ledger file is not the user's input: exit 1, not 2.
    std::fs::create_dir_all(p.join("broken")).unwrap();
    std::fs::write(
        p.join("broken/ledger.db"),
        "not a database at all, just text",
    )
    .unwrap();
    std::fs::copy(p.join(".datavisa/ledger.key"), p.join("broken/ledger.key")).unwrap();
    let o = pipia_with(&["--store", "broken"], "b.md");
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(!p.join("b.md").exists());
}

/// Runs `datavisa` in `dir` with the test's master key in the environment.
fn dv_keyed(args: &[&str], dir: &Path) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_datavisa"))
        .args(args)
        .current_dir(dir)
        .env("DATAVISA_MASTER_KEY", "a master key for the ledger test")
        .output()
        .expect("binary runs")
}

#[test]
fn pseudonymized_twins_for_two_recipients_count_their_people_once() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    setup(p);
    people_file(&p.join("people.csv"), 0, 1000, 0);
    let init = [
        "vault",
        "init",
        "--kdf-memory-mib",
        "7",
        "--kdf-passes",
        "5",
    ];
    assert!(dv_keyed(&init, p).status.success());
    for (to, out) in [("sg-a", "a.csv"), ("sg-b", "b.csv")] {
        let args = [
            "twin",
            "pseudonymize",
            "people.csv",
            "-o",
            out,
            "--recipient",
            to,
        ];
        let o = dv_keyed(&args, p);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    assert_ne!(
        std::fs::read_to_string(p.join("a.csv")).unwrap(),
        std::fs::read_to_string(p.join("b.csv")).unwrap()
    );
    // 1,000 people, every fourth with a diagnosis (250 sensitive): new once, then never again.
    for (file, new, new_sensitive) in [("a.csv", 1000, 250), ("b.csv", 0, 0), ("people.csv", 0, 0)]
    {
        let args = transfer_args(
            &["ledger", "record"],
            file,
            "person_id",
            &["--format", "json"],
        );
        let r = json_of(&dv_keyed(&args, p));
        assert_eq!(r["persons"], 1000, "{file}: {r}");
        assert_eq!(r["sensitive_persons"], 250, "{file}: {r}");
        assert_eq!(r["new_ordinary"], new, "{file}: {r}");
        assert_eq!(r["new_sensitive"], new_sensitive, "{file}: {r}");
        assert_eq!(
            r["sensitive_columns"],
            serde_json::json!(["diagnosis"]),
            "{file}"
        );
        let from = if file == "people.csv" {
            "file"
        } else {
            "twin_in_vault"
        };
        assert_eq!(r["people_from"], from, "{file}");
    }
    // Without the master key a twin's people cannot be read, and the message says so.
    let args = transfer_args(&["plan"], "a.csv", "person_id", &[]);
    fails_with(&dv(&args, p), 2, &["pseudonymized twin", "master key"]);
}
