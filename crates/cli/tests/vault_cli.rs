//! End to end through the CLI: the vault, pseudonymized twins, relinking, the audit log, and
//! what happens with bad input, wrong keys and interrupted writes.

mod common;

use common::{column_methods, fails_with};
use datavisa_discover::validate::{is_bank_card, is_mobile, is_resident_id, resident_id_check};
use proptest::prelude::*;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const MASTER: &str = "correct horse battery staple";

/// Runs `datavisa` in `dir` with the test master key and any extra environment.
fn dv(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_datavisa"));
    c.args(args)
        .current_dir(dir)
        .env("DATAVISA_MASTER_KEY", MASTER)
        .env_remove("DATAVISA_APPROVER_CREDENTIAL");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("binary runs")
}

fn ok(o: Output) -> String {
    assert!(
        o.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

/// A vault with cheap KDF settings (tests only) and approvers alice, bob and carol.
fn vault_dir() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    ok(dv(
        d.path(),
        &[],
        &[
            "vault",
            "init",
            "--kdf-memory-mib",
            "7",
            "--kdf-passes",
            "5",
        ],
    ));
    for n in ["alice", "bob", "carol"] {
        let cred = format!("{n}-credential");
        ok(dv(
            d.path(),
            &[("DATAVISA_APPROVER_CREDENTIAL", &cred)],
            &["vault", "approver", "add", n],
        ));
    }
    d
}

fn approve(dir: &Path, id: &str, who: &str) -> Output {
    let cred = format!("{who}-credential");
    dv(
        dir,
        &[("DATAVISA_APPROVER_CREDENTIAL", &cred)],
        &["relink", "approve", id, "--as", who],
    )
}

/// `n` people: resident ID, mobile, e-mail, bank card, name, birth date, visit date, amount.
fn people_csv(path: &Path, n: usize, seed: u64) {
    let mut s = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut next = move || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        s >> 33
    };
    let mut out = String::from("id_number,mobile,email,card,name,birth_date,visit_date,amount\n");
    for i in 0..n {
        let (y, m, d) = (1940 + next() % 60, 1 + next() % 12, 1 + next() % 28);
        let body = format!("110105{y:04}{m:02}{d:02}{:03}", i % 1000);
        let check = resident_id_check(body.as_bytes()).unwrap() as char;
        let mobile = format!("13{:09}", (next() * 7919 + i as u64) % 1_000_000_000);
        let card_body = format!(
            "622202{:012}",
            (next() * 104729 + i as u64) % 1_000_000_000_000
        );
        let card_check =
            datavisa_discover::validate::luhn_check_digit(card_body.as_bytes()) as char;
        out.push_str(&format!(
            "{body}{check},{mobile},user{i}@example.com,{card_body}{card_check},张{},{y:04}-{m:02}-{d:02},2025-{:02}-{:02},{}.{:02}\n",
            ["伟", "芳", "娜", "敏"][i % 4],
            1 + next() % 12,
            1 + next() % 28,
            next() % 5000,
            next() % 100
        ));
    }
    std::fs::write(path, out).unwrap();
}

const SPEC: &str = r#"
[pseudonymize.id_number]
method = "fpe"
format = "cn_resident_id"
domain = "person"

[pseudonymize.mobile]
method = "fpe"
format = "cn_mobile"

[pseudonymize.email]
method = "token"

[pseudonymize.card]
method = "encrypt"

[pseudonymize.name]
method = "mask"
keep_prefix = 1

[pseudonymize.birth_date]
method = "generalize-date"
to = "month"

[pseudonymize.visit_date]
method = "date-shift"
person = "id_number"
max_days = 30
"#;

fn csv_rows(path: &Path) -> Vec<HashMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let h: Vec<String> = r.headers().unwrap().iter().map(str::to_owned).collect();
    r.records()
        .map(|rec| {
            h.iter()
                .cloned()
                .zip(rec.unwrap().iter().map(str::to_owned))
                .collect()
        })
        .collect()
}

fn pseudonymize(
    dir: &Path,
    input: &str,
    out: &str,
    recipient: &str,
    spec: bool,
) -> serde_json::Value {
    let mut args = vec![
        "twin",
        "pseudonymize",
        input,
        "-o",
        out,
        "--recipient",
        recipient,
        "--format",
        "json",
        "--quiet",
    ];
    if spec {
        args.extend(["--spec", "spec.toml"]);
    }
    serde_json::from_str(&ok(dv(dir, &[], &args))).unwrap()
}

/// `twin pseudonymize INPUT -o OUT --recipient acme --spec spec.toml` in `dir`, as it ran.
fn pseudonymize_with_spec(dir: &Path, input: &str, out: &str) -> Output {
    dv(
        dir,
        &[],
        &[
            "twin",
            "pseudonymize",
            input,
            "-o",
            out,
            "--recipient",
            "acme",
            "--spec",
            "spec.toml",
        ],
    )
}

#[test]
fn pseudonyms_are_stable_per_recipient_different_across_recipients_and_keep_formats() {
    let d = vault_dir();
    let p = d.path();
    people_csv(&p.join("a.csv"), 300, 1);
    std::fs::write(p.join("spec.toml"), SPEC).unwrap();
    let m = pseudonymize(p, "a.csv", "acme1.csv", "acme", true);
    pseudonymize(p, "a.csv", "acme2.csv", "acme", true);
    pseudonymize(p, "a.csv", "globex.csv", "globex", true);
    assert_eq!(m["legal_status"], "de_identified");
    assert!(m["statement"].as_str().unwrap().contains("Art. 73(3)"));
    let src = csv_rows(&p.join("a.csv"));
    let a1 = csv_rows(&p.join("acme1.csv"));
    let a2 = csv_rows(&p.join("acme2.csv"));
    let g = csv_rows(&p.join("globex.csv"));
    assert_eq!(a1, a2, "same recipient, same pseudonyms across runs");
    let mut offsets: HashMap<String, i64> = HashMap::new();
    for ((s, a), g) in src.iter().zip(&a1).zip(&g) {
        for c in ["id_number", "mobile", "email", "card"] {
            assert_ne!(a[c], s[c], "{c} changed");
            assert_ne!(a[c], g[c], "{c} differs between recipients");
        }
        assert!(is_resident_id(&a["id_number"]) || a["id_number"].len() == 18);
        assert_eq!(
            resident_id_check(&a["id_number"].as_bytes()[..17]),
            Some(a["id_number"].as_bytes()[17])
        );
        assert!(is_mobile(&a["mobile"]), "{}", a["mobile"]);
        assert_eq!(a["email"].len(), 32);
        assert_eq!(a["name"].chars().count(), s["name"].chars().count());
        assert!(a["name"].starts_with('张') && a["name"].ends_with('*'));
        assert_eq!(a["birth_date"], s["birth_date"][..7]);
        assert_eq!(a["amount"], s["amount"], "kept columns are copied exactly");
        let day = |x: &str| datavisa_table::date::parse_date(x).unwrap();
        let shift = day(&a["visit_date"]) - day(&s["visit_date"]);
        assert!(shift != 0 && shift.abs() <= 30);
        let prev = offsets.insert(s["id_number"].clone(), shift);
        assert!(prev.is_none_or(|p| p == shift), "one offset per person");
    }
    // The same person in another file gets the same pseudonym for this recipient.
    let mut lines: Vec<String> = std::fs::read_to_string(p.join("a.csv"))
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    lines[1..].reverse();
    std::fs::write(p.join("b.csv"), lines.join("\n")).unwrap();
    pseudonymize(p, "b.csv", "acme-b.csv", "acme", true);
    let b = csv_rows(&p.join("acme-b.csv"));
    assert_eq!(b.last().unwrap()["id_number"], a1[0]["id_number"]);
    assert_eq!(b.last().unwrap()["email"], a1[0]["email"]);
    // Without a spec the scan's kinds choose the methods.
    let m = pseudonymize(p, "a.csv", "scanned.csv", "acme", false);
    let methods: HashMap<String, String> = column_methods(&m).into_iter().collect();
    assert_eq!(methods["id_number"], "fpe");
    assert_eq!(methods["mobile"], "fpe");
    assert_eq!(methods["email"], "token");
    assert_eq!(methods["card"], "fpe");
    assert_eq!(methods["amount"], "keep");
    let s = csv_rows(&p.join("scanned.csv"));
    assert!(is_bank_card(&s[0]["card"]) || s[0]["card"].len() == src[0]["card"].len());
}

fn request(dir: &Path, column: &str, values: Option<&str>, by: &str, ttl: &str) -> Output {
    let mut args = vec![
        "relink",
        "request",
        "--twin",
        "twin.csv.manifest.json",
        "--column",
        column,
        "--purpose",
        "court order (2026) Jing 01 No. 17",
        "--legal-basis",
        "PIPL Art. 13(3)",
        "--requested-by",
        by,
        "--ttl",
        ttl,
    ];
    if let Some(v) = values {
        args.extend(["--values", v]);
    }
    dv(dir, &[], &args)
}

fn request_id(o: Output) -> String {
    ok(o).trim().to_owned()
}

/// Round trip on 100,000 rows: every pseudonym of three keyed columns back to its value.
#[test]
fn relink_round_trips_a_100k_row_twin() {
    let d = vault_dir();
    let p = d.path();
    people_csv(&p.join("src.csv"), 100_000, 7);
    std::fs::write(p.join("spec.toml"), SPEC).unwrap();
    pseudonymize(p, "src.csv", "twin.csv", "acme", true);
    let src = csv_rows(&p.join("src.csv"));
    let twin = csv_rows(&p.join("twin.csv"));
    for column in ["id_number", "email", "card"] {
        let id = request_id(request(p, column, None, "dave", "1h"));
        ok(approve(p, &id, "alice"));
        ok(approve(p, &id, "bob"));
        let out = format!("relinked-{column}.csv");
        ok(dv(p, &[], &["relink", "execute", &id, "-o", &out]));
        let map: HashMap<String, String> = csv_rows(&p.join(&out))
            .into_iter()
            .map(|r| (r["pseudonym"].clone(), r["value"].clone()))
            .collect();
        let distinct: std::collections::HashSet<&String> = src.iter().map(|r| &r[column]).collect();
        assert_eq!(map.len(), distinct.len(), "{column}");
        for (s, t) in src.iter().zip(&twin) {
            assert_eq!(map[&t[column]], s[column], "{column}");
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(p.join(&out))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o077, 0, "relinked identities are owner-only");
        }
    }
    ok(dv(p, &[], &["audit", "verify"]));
}

#[test]
fn relink_is_refused_without_two_approvers_after_expiry_and_after_shredding() {
    let d = vault_dir();
    let p = d.path();
    people_csv(&p.join("src.csv"), 50, 3);
    std::fs::write(p.join("spec.toml"), SPEC).unwrap();
    pseudonymize(p, "src.csv", "twin.csv", "acme", true);
    let tokens: Vec<String> = csv_rows(&p.join("twin.csv"))
        .iter()
        .take(3)
        .map(|r| r["email"].clone())
        .collect();
    std::fs::write(p.join("tokens.txt"), tokens.join("\n")).unwrap();

    let id = request_id(request(p, "email", Some("tokens.txt"), "alice", "1h"));
    fails_with(
        &dv(p, &[], &["relink", "execute", &id, "-o", "x.csv"]),
        3,
        &["0 valid approval"],
    );
    fails_with(&approve(p, &id, "alice"), 3, &["cannot approve"]);
    ok(approve(p, &id, "bob"));
    fails_with(
        &dv(p, &[], &["relink", "execute", &id, "-o", "x.csv"]),
        3,
        &["1 valid approval"],
    );
    fails_with(
        &dv(
            p,
            &[("DATAVISA_APPROVER_CREDENTIAL", "guess")],
            &["relink", "approve", &id, "--as", "carol"],
        ),
        3,
        &["wrong credential"],
    );
    assert!(!p.join("x.csv").exists());

    let short = request_id(request(p, "email", Some("tokens.txt"), "dave", "1s"));
    ok(approve(p, &short, "alice"));
    std::thread::sleep(std::time::Duration::from_millis(2100));
    fails_with(&approve(p, &short, "bob"), 3, &["expired"]);
    fails_with(
        &dv(p, &[], &["relink", "execute", &short, "-o", "x.csv"]),
        3,
        &["expired"],
    );

    // A token that is not in the twin's index.
    std::fs::write(p.join("bogus.txt"), "0123456789abcdef0123456789abcdef\n").unwrap();
    fails_with(
        &request(p, "email", Some("bogus.txt"), "dave", "1h"),
        3,
        &["not pseudonyms"],
    );

    let late = request_id(request(p, "email", Some("tokens.txt"), "dave", "1h"));
    ok(approve(p, &late, "alice"));
    ok(approve(p, &late, "bob"));
    fails_with(
        &dv(p, &[], &["vault", "destroy", "--recipient", "acme"]),
        2,
        &["--yes"],
    );
    ok(dv(
        p,
        &[],
        &["vault", "destroy", "--recipient", "acme", "--yes"],
    ));
    fails_with(
        &dv(p, &[], &["relink", "execute", &late, "-o", "x.csv"]),
        3,
        &["destroyed"],
    );
    fails_with(
        &request(p, "email", Some("tokens.txt"), "dave", "1h"),
        3,
        &["destroyed"],
    );
    let status: serde_json::Value =
        serde_json::from_str(&ok(dv(p, &[], &["vault", "status", "--format", "json"]))).unwrap();
    assert_eq!(status["twins"][0]["status"], "shredded");
    assert!(!p.join("x.csv").exists());

    let log: serde_json::Value =
        serde_json::from_str(&ok(dv(p, &[], &["audit", "log", "--format", "json"]))).unwrap();
    let actions: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(
        actions.iter().filter(|a| **a == "relink.refused").count() >= 8,
        "{actions:?}"
    );
    assert!(actions.contains(&"vault.destroyed"));
    ok(dv(p, &[], &["audit", "verify"]));
}

#[test]
fn audit_verify_reports_tampering_and_exits_3() {
    let d = vault_dir();
    let p = d.path();
    ok(dv(p, &[], &["audit", "verify"]));
    let db = p.join(".datavisa/vault.db");
    let c = rusqlite::Connection::open(&db).unwrap();
    c.execute("UPDATE audit SET actor = 'nobody' WHERE seq = 2", [])
        .unwrap();
    c.execute("DELETE FROM audit WHERE seq = 3", []).unwrap();
    drop(c);
    let o = dv(p, &[], &["audit", "verify"]);
    fails_with(&o, 3, &["entry 2: edited", "deleted"]);
}

#[test]
fn bad_keys_bad_input_and_locks_change_nothing() {
    let d = vault_dir();
    let p = d.path();
    people_csv(&p.join("src.csv"), 20, 5);
    let db = p.join(".datavisa/vault.db");
    let before = std::fs::read(&db).unwrap();
    let wrong = dv(
        p,
        &[("DATAVISA_MASTER_KEY", "wrong")],
        &[
            "twin",
            "pseudonymize",
            "src.csv",
            "-o",
            "t.csv",
            "--recipient",
            "acme",
        ],
    );
    fails_with(&wrong, 2, &["wrong master key"]);
    let mut c = Command::new(env!("CARGO_BIN_EXE_datavisa"));
    let none = c
        .args(["vault", "status"])
        .current_dir(p)
        .env_remove("DATAVISA_MASTER_KEY")
        .output()
        .unwrap();
    fails_with(&none, 2, &["DATAVISA_MASTER_KEY", "--master-key-file"]);
    assert_eq!(std::fs::read(&db).unwrap(), before);
    assert!(!p.join("t.csv").exists());

    // A spec naming a column the input lacks: file and line.
    std::fs::write(
        p.join("spec.toml"),
        "\n\n[pseudonymize.phone]\nmethod = \"token\"\n",
    )
    .unwrap();
    let o = pseudonymize_with_spec(p, "src.csv", "t.csv");
    fails_with(&o, 2, &["spec.toml:3", "\"phone\" is not in the table"]);
    std::fs::write(
        p.join("spec.toml"),
        "[pseudonymize.email]\nmethod = \"rot13\"\n",
    )
    .unwrap();
    let o = pseudonymize_with_spec(p, "src.csv", "t.csv");
    fails_with(&o, 2, &["unknown method \"rot13\""]);

    // A value that does not fit the fpe format: the rows are named, nothing leaves in clear.
    let mut text = std::fs::read_to_string(p.join("src.csv")).unwrap();
    text = text.replacen(
        "\n",
        "\nNOT-AN-ID,13800000000,x@y.cn,6222020000000000000,李四,1990-01-01,2025-01-01,1\n",
        1,
    );
    std::fs::write(p.join("bad.csv"), &text).unwrap();
    std::fs::write(p.join("spec.toml"), SPEC).unwrap();
    let o = pseudonymize_with_spec(p, "bad.csv", "t.csv");
    fails_with(&o, 2, &["bad.csv", "id_number", "line 2", "on_invalid"]);
    assert!(!p.join("t.csv").exists());
    let leftovers: Vec<PathBuf> = std::fs::read_dir(p)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|f| {
            f.file_name()
                .unwrap()
                .to_string_lossy()
                .contains("datavisa-partial")
        })
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    let suppress = SPEC.replace(
        "domain = \"person\"",
        "domain = \"person\"\non_invalid = \"suppress\"",
    );
    std::fs::write(p.join("spec.toml"), suppress).unwrap();
    let m = pseudonymize(p, "bad.csv", "t.csv", "acme", true);
    assert_eq!(m["columns"][0]["suppressed"], 1);
    assert_eq!(csv_rows(&p.join("t.csv"))[0]["id_number"], "");

    // Another process holding the vault.
    let c = rusqlite::Connection::open(&db).unwrap();
    c.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let o = dv(p, &[], &["vault", "rotate", "--recipient", "acme"]);
    fails_with(&o, 2, &["locked by another process"]);
    c.execute_batch("ROLLBACK").unwrap();
    ok(dv(p, &[], &["vault", "rotate", "--recipient", "acme"]));

    // A newer vault, a corrupted one.
    let c = rusqlite::Connection::open(&db).unwrap();
    c.execute(
        "UPDATE meta SET value = '99' WHERE name = 'format_version'",
        [],
    )
    .unwrap();
    drop(c);
    fails_with(
        &dv(p, &[], &["vault", "status"]),
        2,
        &["newer than this datavisa"],
    );
    std::fs::write(
        &db,
        b"not a database at all, just text that is long enough to look like a header",
    )
    .unwrap();
    fails_with(&dv(p, &[], &["vault", "status"]), 2, &["corrupted"]);
}

/// kill -9 at any moment of a pseudonymization: no output under the final name unless complete,
/// the vault still opens and its chain still verifies.
#[test]
fn a_killed_pseudonymization_leaves_no_partial_twin() {
    let d = vault_dir();
    let p = d.path();
    people_csv(&p.join("src.csv"), 60_000, 9);
    std::fs::write(p.join("spec.toml"), SPEC).unwrap();
    for delay_ms in [50u64, 200, 400, 700] {
        let _ = std::fs::remove_file(p.join("t.csv"));
        let mut child = Command::new(env!("CARGO_BIN_EXE_datavisa"))
            .args([
                "twin",
                "pseudonymize",
                "src.csv",
                "-o",
                "t.csv",
                "--recipient",
                "acme",
                "--spec",
                "spec.toml",
                "--quiet",
            ])
            .current_dir(p)
            .env("DATAVISA_MASTER_KEY", MASTER)
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = child.kill();
        let _ = child.wait();
        if p.join("t.csv").exists() {
            assert_eq!(
                csv_rows(&p.join("t.csv")).len(),
                60_000,
                "a twin under its name is complete"
            );
        }
        ok(dv(p, &[], &["audit", "verify"]));
    }
    // The next run completes and removes what the killed runs left, named after their output.
    let _ = std::fs::remove_file(p.join("t.csv"));
    let o = Command::new(env!("CARGO_BIN_EXE_datavisa"))
        .args([
            "twin",
            "pseudonymize",
            "src.csv",
            "-o",
            "t.csv",
            "--recipient",
            "acme",
        ])
        .args(["--spec", "spec.toml", "--quiet"])
        .current_dir(p)
        .env("DATAVISA_MASTER_KEY", MASTER)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let partials: Vec<String> = std::fs::read_dir(p)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("datavisa-partial") || n.starts_with(".datavisa-tmp"))
        .collect();
    assert!(partials.is_empty(), "left behind: {partials:?}");
}

/// The root keys as stored (unwrapped with the master key, as only the vault does).
fn root_keys(dir: &Path) -> Vec<Vec<u8>> {
    use datavisa_vault::crypto::{unhex, MasterKeys};
    let c = rusqlite::Connection::open(dir.join(".datavisa/vault.db")).unwrap();
    let meta = |n: &str| -> String {
        c.query_row("SELECT value FROM meta WHERE name = ?1", [n], |r| r.get(0))
            .unwrap()
    };
    let kdf: datavisa_vault::KdfParams = serde_json::from_str(&meta("kdf")).unwrap();
    let m = MasterKeys::derive(
        &datavisa_vault::Passphrase::new(MASTER.as_bytes().to_vec()).unwrap(),
        &unhex(&meta("salt")).unwrap(),
        kdf,
    )
    .unwrap();
    let vault_id = meta("vault_id");
    let mut st = c
        .prepare(
            "SELECT recipient, domain, version, wrapped FROM domain_keys WHERE wrapped IS NOT NULL",
        )
        .unwrap();
    let rows: Vec<(String, String, u32, Vec<u8>)> = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let mut keys: Vec<Vec<u8>> = rows
        .into_iter()
        .map(|(r, d, v, w)| {
            m.unwrap(&format!("domain-key/{vault_id}/{r}/{d}/{v}"), &w)
                .unwrap()
                .to_vec()
        })
        .collect();
    keys.push(
        m.unwrap(
            &format!("audit-key/{vault_id}"),
            &unhex(&meta("audit_key")).unwrap(),
        )
        .unwrap()
        .to_vec(),
    );
    keys
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, ..ProptestConfig::default() })]

    /// No key (raw, hex, or base64) and not the master key appears in any file or output.
    #[test]
    fn no_key_material_in_any_output(seed in 0u64..1_000_000, rows in 5usize..60, relink in any::<bool>()) {
        use base64::Engine;
        let d = vault_dir();
        let p = d.path();
        people_csv(&p.join("src.csv"), rows, seed);
        std::fs::write(p.join("spec.toml"), SPEC).unwrap();
        let mut printed = Vec::new();
        let o = pseudonymize_with_spec(p, "src.csv", "twin.csv");
        printed.extend(o.stdout.clone());
        printed.extend(o.stderr.clone());
        ok(o);
        if relink {
            let id = request_id(request(p, "id_number", None, "dave", "1h"));
            ok(approve(p, &id, "alice"));
            ok(approve(p, &id, "bob"));
            let o = dv(p, &[], &["relink", "execute", &id, "-o", "back.csv"]);
            printed.extend(o.stderr.clone());
            ok(o);
        }
        for args in [&["audit", "log", "--format", "json"][..], &["vault", "status", "--format", "json"], &["relink", "list", "--format", "json"]] {
            printed.extend(dv(p, &[], args).stdout);
        }
        let mut files: Vec<Vec<u8>> = vec![printed];
        for e in std::fs::read_dir(p).unwrap() {
            let f = e.unwrap().path();
            if f.is_file() {
                files.push(std::fs::read(f).unwrap());
            }
        }
        let vault_file = std::fs::read(p.join(".datavisa/vault.db")).unwrap();
        for k in root_keys(p) {
            let forms = [k.clone(), datavisa_vault::crypto::hex(&k).into_bytes(),
                         base64::engine::general_purpose::STANDARD.encode(&k).into_bytes(),
                         base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&k).into_bytes()];
            for f in &files {
                for form in &forms {
                    prop_assert!(!contains(f, form), "key material in an output");
                }
            }
            prop_assert!(!contains(&vault_file, &k), "the vault stores keys only wrapped");
        }
        for f in files.iter().chain([&vault_file]) {
            prop_assert!(!contains(f, MASTER.as_bytes()), "master key written somewhere");
        }
    }
}

/// A vault rolled back to an older copy still verifies on its own; against an anchor kept
/// outside the store it does not. Anchors are written by themselves at key destruction.
#[test]
fn an_anchor_catches_a_rolled_back_vault() {
    let d = vault_dir();
    let p = d.path();
    let elsewhere = tempfile::tempdir().unwrap();
    let db = p.join(".datavisa/vault.db");
    let old = std::fs::read(&db).unwrap();
    ok(dv(
        p,
        &[("DATAVISA_APPROVER_CREDENTIAL", "dave-secret")],
        &["vault", "approver", "add", "dave"],
    ));
    let anchor = elsewhere.path().join("anchor.json");
    let key = elsewhere.path().join("auditor.key");
    ok(dv(
        p,
        &[],
        &[
            "audit",
            "anchor",
            "-o",
            anchor.to_str().unwrap(),
            "--anchor-key",
            key.to_str().unwrap(),
        ],
    ));
    ok(dv(
        p,
        &[],
        &["audit", "verify", "--anchor", anchor.to_str().unwrap()],
    ));
    // The older copy put back: intact by itself, caught by the anchor.
    std::fs::write(&db, &old).unwrap();
    ok(dv(p, &[], &["audit", "verify"]));
    let o = dv(
        p,
        &[],
        &["audit", "verify", "--anchor", anchor.to_str().unwrap()],
    );
    fails_with(&o, 3, &["rolled back"]);
    // An edited anchor does not verify.
    let text = std::fs::read_to_string(&anchor).unwrap();
    let edited = elsewhere.path().join("edited.json");
    std::fs::write(&edited, text.replace("\"seq\": ", "\"seq\": 1")).unwrap();
    let o = dv(
        p,
        &[],
        &["audit", "verify", "--anchor", edited.to_str().unwrap()],
    );
    fails_with(&o, 3, &["does not verify"]);
    // Destroying keys writes an anchor by itself, beside the store.
    people_csv(&p.join("src.csv"), 20, 5);
    ok(dv(
        p,
        &[],
        &[
            "twin",
            "pseudonymize",
            "src.csv",
            "-o",
            "t.csv",
            "--recipient",
            "acme",
        ],
    ));
    ok(dv(
        p,
        &[],
        &["vault", "destroy", "--recipient", "acme", "--yes"],
    ));
    let auto: Vec<_> = std::fs::read_dir(p.join(".datavisa.anchors"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("anchor-"))
        .collect();
    assert_eq!(auto.len(), 1, "{auto:?}");
    let auto = p.join(".datavisa.anchors").join(&auto[0]);
    ok(dv(
        p,
        &[],
        &["audit", "verify", "--anchor", auto.to_str().unwrap()],
    ));
}

/// Delays (ms) at which the kill -9 harness stops each verb; `DATAVISA_KILL_TRIALS` runs more.
fn kill_delays() -> Vec<u64> {
    let n: usize = std::env::var("DATAVISA_KILL_TRIALS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            5 + x % 400
        })
        .collect()
}

/// Runs `datavisa args` in `dir` with `key` as master key and kills it (SIGKILL) after `ms`.
fn kill_after(dir: &Path, key: &str, env: &[(&str, &str)], args: &[&str], ms: u64) {
    let mut c = Command::new(env!("CARGO_BIN_EXE_datavisa"));
    c.args(args)
        .current_dir(dir)
        .env("DATAVISA_MASTER_KEY", key)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    for (k, v) in env {
        c.env(k, v);
    }
    let mut child = c.spawn().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(ms));
    let _ = child.kill();
    let _ = child.wait();
}

/// After a kill: every store database passes integrity_check and the audit log verifies.
fn stores_sound(dir: &Path, key: &str, what: &str) {
    for db in ["vault.db", "ledger.db", "register.db"] {
        let path = dir.join(".datavisa").join(db);
        if path.exists() {
            let c = rusqlite::Connection::open(&path).unwrap();
            let check: String = c
                .query_row("PRAGMA integrity_check", [], |r| r.get(0))
                .unwrap();
            assert_eq!(check, "ok", "{what}: {db}");
        }
    }
    let o = Command::new(env!("CARGO_BIN_EXE_datavisa"))
        .args(["audit", "verify"])
        .current_dir(dir)
        .env("DATAVISA_MASTER_KEY", key)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{what}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// No partial file is left once a later run of the same verb has completed.
fn no_partials(dir: &Path, what: &str) {
    let left: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("datavisa-partial"))
        .collect();
    assert!(left.is_empty(), "{what}: left behind {left:?}");
}

/// kill -9 at random points of every writing verb: the stores stay sound, the audit log
/// verifies, no partial file sits at a final path, and the next run succeeds and cleans up.
/// (Slow: a few dozen processes; kept in CI with few trials, `DATAVISA_KILL_TRIALS` for more.)
#[test]
fn kill_9_at_random_points_loses_nothing() {
    let d = vault_dir();
    let p = d.path();
    people_csv(&p.join("src.csv"), 20_000, 11);
    std::fs::write(p.join("spec.toml"), SPEC).unwrap();
    pseudonymize(p, "src.csv", "twin.csv", "acme", true);
    let rows = csv_rows(&p.join("src.csv")).len();
    ok(dv(p, &[], &["ledger", "exporter", "add", "Acme"]));
    ok(dv(
        p,
        &[],
        &["ledger", "recipient", "add", "acme", "--jurisdiction", "SG"],
    ));
    // An assessment to issue visas on.
    std::fs::write(
        p.join("aspec.toml"),
        "[[columns]]\nname = \"birth_date\"\nrole = \"quasi\"\n\n[[recipients]]\nid = \"acme\"\nknows = [\"birth_date\"]\n",
    )
    .unwrap();
    let text = std::fs::read_to_string(p.join("src.csv")).unwrap();
    let small: String = text.lines().take(1500).map(|l| format!("{l}\n")).collect();
    std::fs::write(p.join("small.csv"), &small).unwrap();
    let a: serde_json::Value = serde_json::from_str(&ok(dv(
        p,
        &[],
        &[
            "assess",
            "--spec",
            "aspec.toml",
            "--twin",
            "small.csv",
            "--source",
            "small.csv",
            "--recipient",
            "acme",
            "--kind",
            "unknown",
            "--max-attacks",
            "500",
            "--format",
            "json",
        ],
    )))
    .unwrap();
    let assessment = a["id"].as_str().unwrap().to_owned();
    for (i, ms) in kill_delays().into_iter().enumerate() {
        // ledger record
        let record = [
            "ledger",
            "record",
            "--exporter",
            "Acme",
            "--recipient",
            "acme",
            "--file",
            "src.csv",
            "--person-column",
            "id_number",
            "--date",
            "2026-03-01",
        ];
        kill_after(p, MASTER, &[], &record, ms);
        stores_sound(p, MASTER, "ledger record");
        ok(dv(p, &[], &record));
        // twin pseudonymize
        let _ = std::fs::remove_file(p.join("k.csv"));
        let twin = [
            "twin",
            "pseudonymize",
            "src.csv",
            "-o",
            "k.csv",
            "--recipient",
            "acme",
            "--spec",
            "spec.toml",
            "--quiet",
        ];
        kill_after(p, MASTER, &[], &twin, ms);
        stores_sound(p, MASTER, "twin pseudonymize");
        if p.join("k.csv").exists() {
            assert_eq!(
                csv_rows(&p.join("k.csv")).len(),
                rows,
                "a twin under its name is whole"
            );
            std::fs::remove_file(p.join("k.csv")).unwrap();
        }
        ok(dv(p, &[], &twin));
        no_partials(p, "twin pseudonymize");
        // vault rotate
        kill_after(
            p,
            MASTER,
            &[],
            &["vault", "rotate", "--recipient", "acme"],
            ms,
        );
        stores_sound(p, MASTER, "vault rotate");
        ok(dv(p, &[], &["vault", "rotate", "--recipient", "acme"]));
        // vault destroy, of a recipient made for it
        let who = format!("shred{i}");
        pseudonymize(p, "small.csv", &format!("s{i}.csv"), &who, true);
        kill_after(
            p,
            MASTER,
            &[],
            &["vault", "destroy", "--recipient", &who, "--yes"],
            ms,
        );
        stores_sound(p, MASTER, "vault destroy");
        let again = dv(p, &[], &["vault", "destroy", "--recipient", &who, "--yes"]);
        let err = String::from_utf8_lossy(&again.stderr);
        assert!(
            again.status.success() || err.contains("no keys to destroy"),
            "{err}"
        );
        // visa issue
        let issue = ["visa", "issue", "--assessment", assessment.as_str()];
        kill_after(p, MASTER, &[], &issue, ms.min(150));
        stores_sound(p, MASTER, "visa issue");
        ok(dv(p, &[], &issue));
        // relink execute
        let id = request_id(request(p, "email", None, "dave", "1h"));
        ok(approve(p, &id, "alice"));
        ok(approve(p, &id, "bob"));
        let out = format!("ids-{i}.csv");
        kill_after(p, MASTER, &[], &["relink", "execute", &id, "-o", &out], ms);
        stores_sound(p, MASTER, "relink execute");
        if p.join(&out).exists() {
            assert_eq!(
                csv_rows(&p.join(&out)).len(),
                rows,
                "identities under their name are whole"
            );
        } else {
            // Not executed yet: the next run does it; executed (killed after the commit): refused.
            let o = dv(p, &[], &["relink", "execute", &id, "-o", &out]);
            let err = String::from_utf8_lossy(&o.stderr);
            assert!(o.status.success() || err.contains("executed"), "{err}");
        }
        no_partials(p, "relink execute");
    }
    // vault rekey, back and forth between two master keys.
    let keys = [MASTER, "another long master passphrase"];
    let mut current = 0;
    for ms in kill_delays() {
        let next = 1 - current;
        kill_after(
            p,
            keys[current],
            &[("DATAVISA_NEW_MASTER_KEY", keys[next])],
            &["vault", "rekey"],
            ms,
        );
        // Exactly one of the two keys opens it, and the store is sound under that key.
        let opens = |k: &str| {
            Command::new(env!("CARGO_BIN_EXE_datavisa"))
                .args(["vault", "status"])
                .current_dir(p)
                .env("DATAVISA_MASTER_KEY", k)
                .output()
                .unwrap()
                .status
                .success()
        };
        let (a, b) = (opens(keys[current]), opens(keys[next]));
        assert!(
            a != b,
            "exactly one master key opens the vault after a killed rekey"
        );
        if b {
            current = next;
        }
        stores_sound(p, keys[current], "vault rekey");
    }
}

/// Every audit entry the CLI's vault and relink flows write names a real actor, with no user
/// in the environment: approvers added, a request filed, approved, executed and another
/// withdrawn, a key rotated and destroyed.
#[test]
fn every_audit_entry_of_the_cli_flows_names_its_actor() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    let run = |env: &[(&str, &str)], args: &[&str]| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_datavisa"));
        c.args(args)
            .current_dir(p)
            .env("DATAVISA_MASTER_KEY", MASTER)
            .env_remove("DATAVISA_APPROVER_CREDENTIAL")
            .env_remove("USER")
            .env_remove("LOGNAME")
            .env_remove("USERNAME");
        for (k, v) in env {
            c.env(k, v);
        }
        ok(c.output().expect("binary runs"))
    };
    run(
        &[],
        &[
            "vault",
            "init",
            "--kdf-memory-mib",
            "7",
            "--kdf-passes",
            "5",
        ],
    );
    for n in ["alice", "bob"] {
        let cred = format!("{n}-credential");
        run(
            &[("DATAVISA_APPROVER_CREDENTIAL", &cred)],
            &["vault", "approver", "add", n],
        );
    }
    people_csv(&p.join("src.csv"), 50, 3);
    std::fs::write(p.join("spec.toml"), SPEC).unwrap();
    run(
        &[],
        &[
            "twin",
            "pseudonymize",
            "src.csv",
            "-o",
            "twin.csv",
            "--recipient",
            "acme",
            "--spec",
            "spec.toml",
            "--quiet",
        ],
    );
    let file = |by: &str| {
        run(
            &[],
            &[
                "relink",
                "request",
                "--twin",
                "twin.csv.manifest.json",
                "--column",
                "email",
                "--purpose",
                "court order",
                "--legal-basis",
                "PIPL Art. 13(3)",
                "--requested-by",
                by,
                "--ttl",
                "1h",
            ],
        )
        .trim()
        .to_owned()
    };
    let id = file("dave");
    for who in ["alice", "bob"] {
        let cred = format!("{who}-credential");
        run(
            &[("DATAVISA_APPROVER_CREDENTIAL", &cred)],
            &["relink", "approve", &id, "--as", who],
        );
    }
    run(&[], &["relink", "execute", &id, "-o", "relinked.csv"]);
    let other = file("erin");
    run(&[], &["relink", "withdraw", &other, "--as", "erin"]);
    run(&[], &["vault", "rotate", "--recipient", "acme"]);
    run(&[], &["vault", "destroy", "--recipient", "acme", "--yes"]);
    run(&[], &["vault", "approver", "remove", "bob"]);
    let c = rusqlite::Connection::open(p.join(".datavisa/vault.db")).unwrap();
    let entries: Vec<(String, String)> = c
        .prepare("SELECT action, actor FROM audit ORDER BY seq")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for action in [
        "approver.added",
        "relink.requested",
        "relink.approved",
        "relink.executed",
        "relink.withdrawn",
        "approver.removed",
    ] {
        assert!(
            entries.iter().any(|e| e.0 == action),
            "{action}: {entries:?}"
        );
    }
    assert!(
        entries
            .iter()
            .all(|(_, actor)| !actor.trim().is_empty() && actor != "unknown"),
        "{entries:?}"
    );
    // The one who ran the command, unless the flow names its actor (`--as`, `--requested-by`).
    let account = &entries[0].1;
    let actor_of = |action: &str| -> Vec<&str> {
        entries
            .iter()
            .filter(|e| e.0 == action)
            .map(|e| e.1.as_str())
            .collect()
    };
    assert_eq!(actor_of("approver.added"), [account, account]);
    assert_eq!(actor_of("relink.executed"), [account]);
    assert_eq!(actor_of("relink.approved"), ["alice", "bob"]);
    assert_eq!(actor_of("relink.withdrawn"), ["erin"]);
}

/// Remarks with identifiers planted by hand, and each remark as its redacted twin must read.
const REMARKS: &[(&str, &str, &str, &str)] = &[
    // (name, mobile, remark, remark redacted with Chinese placeholders)
    (
        "张伟",
        "13800138000",
        "请联系 13912345678 确认",
        "请联系 [手机号] 确认",
    ),
    (
        "李娜",
        "13700137000",
        "联系人：王芳，邮箱 wf@example.com。",
        "联系人：[姓名]，邮箱 [邮箱]。",
    ),
    (
        "王强",
        "13600136000",
        "客户要求周末送货",
        "客户要求周末送货",
    ),
    (
        "赵敏",
        "13500135000",
        "身份证 11010519491231002X，卡 4111 1111 1111 1111",
        "身份证 [身份证号]，卡 [银行卡号]",
    ),
    (
        "孙丽",
        "13400134000",
        "回电 13400134000 即可",
        "回电 [手机号] 即可",
    ),
];

fn remarks_csv(path: &Path) {
    let mut s = "id,name,mobile,remark\n".to_owned();
    for (i, (name, mobile, remark, _)) in REMARKS.iter().enumerate() {
        s.push_str(&format!("{},{name},{mobile},{remark}\n", i + 1));
    }
    std::fs::write(path, s).unwrap();
}

#[test]
fn redact_replaces_identifiers_inside_remarks_and_counts_them() {
    let d = vault_dir();
    let p = d.path();
    remarks_csv(&p.join("r.csv"));
    std::fs::write(
        p.join("spec.toml"),
        "[pseudonymize.remark]\nmethod = \"redact\"\n",
    )
    .unwrap();
    let o = dv(
        p,
        &[],
        &[
            "twin",
            "pseudonymize",
            "r.csv",
            "-o",
            "t.csv",
            "--recipient",
            "acme",
            "--spec",
            "spec.toml",
            "--lang",
            "en",
        ],
    );
    let out = ok(o);
    let twin = csv_rows(&p.join("t.csv"));
    for (row, (_, _, _, want)) in twin.iter().zip(REMARKS) {
        assert_eq!(row["remark"], *want);
    }
    // The console and the manifest say counts per kind, never an identifier.
    assert!(
        out.contains("column remark: 6 identifier(s) inside the text replaced (bank_card 1, cn_mobile 2, cn_resident_id 1, email 1, person_name 1)"),
        "{out}"
    );
    let manifest = std::fs::read_to_string(p.join("t.csv.manifest.json")).unwrap();
    let m: serde_json::Value = serde_json::from_str(&manifest).unwrap();
    let want = serde_json::json!({"bank_card": 1, "cn_mobile": 2, "cn_resident_id": 1, "email": 1, "person_name": 1});
    assert_eq!(m["redacted"], want);
    let col = m["columns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["column"] == "remark")
        .unwrap();
    assert_eq!(col["redacted"], want);
    assert_eq!(
        (col["method"].as_str(), col["placeholder"].as_str()),
        (Some("redact"), Some("zh"))
    );
    for secret in [
        "13912345678",
        "王芳",
        "wf@example.com",
        "11010519491231002X",
        "4111 1111 1111 1111",
    ] {
        assert!(
            !manifest.contains(secret) && !out.contains(secret),
            "{secret}"
        );
    }
    // In Chinese, through the catalogue.
    let o = dv(
        p,
        &[],
        &[
            "twin",
            "pseudonymize",
            "r.csv",
            "-o",
            "t-zh.csv",
            "--recipient",
            "acme",
            "--spec",
            "spec.toml",
            "--lang",
            "zh",
        ],
    );
    let out = ok(o);
    assert!(out.contains("列 remark：文本中的 6 处标识符已替换（bank_card 1, cn_mobile 2, cn_resident_id 1, email 1, person_name 1），其余文字原样保留"), "{out}");
    // spans = "same": the phone in a remark gets the mobile column's pseudonym, so row 5's
    // remark still names its own (pseudonymized) number; English placeholders for the rest.
    std::fs::write(
        p.join("spec.toml"),
        "[pseudonymize.remark]\nmethod = \"redact\"\nspans = \"same\"\nplaceholder = \"en\"\n",
    )
    .unwrap();
    pseudonymize(p, "r.csv", "same.csv", "acme", true);
    let same = csv_rows(&p.join("same.csv"));
    assert_eq!(
        same[4]["remark"],
        format!("回电 {} 即可", same[4]["mobile"])
    );
    assert_ne!(same[4]["mobile"], "13400134000");
    assert_eq!(same[3]["remark"], "身份证 [id_number]，卡 [bank_card]");
    assert_eq!(same[2]["remark"], "客户要求周末送货");
}

#[test]
fn redact_refuses_numbers_and_unknown_styles() {
    let d = vault_dir();
    let p = d.path();
    remarks_csv(&p.join("r.csv"));
    std::fs::write(
        p.join("spec.toml"),
        "[pseudonymize.id]\nmethod = \"redact\"\n",
    )
    .unwrap();
    fails_with(
        &pseudonymize_with_spec(p, "r.csv", "t.csv"),
        2,
        &[
            "spec.toml:1",
            "column \"id\" holds only numbers",
            "use token, mask or generalize-date",
        ],
    );
    std::fs::write(
        p.join("spec.toml"),
        "[pseudonymize.remark]\nmethod = \"redact\"\nplaceholder = \"fr\"\n",
    )
    .unwrap();
    fails_with(
        &pseudonymize_with_spec(p, "r.csv", "t.csv"),
        2,
        &["unknown placeholder style \"fr\" for redact (zh, en)"],
    );
    assert!(!p.join("t.csv").exists());
}

#[test]
fn redact_on_the_demo_customers_replaces_every_planted_identifier() {
    use datavisa_discover::fake::{customer_with_plants, write_customers};
    let d = vault_dir();
    let p = d.path();
    let today = datavisa_table::date::days_from_civil(2026, 11, 22);
    write_customers(&p.join("c.csv"), 400, 5, today).unwrap();
    // The generator's own account of what it planted, replayed from the same seed.
    let mut rng = datavisa_table::sample::rng(5);
    let plants: Vec<_> = (0..400)
        .map(|i| customer_with_plants(&mut rng, i, today))
        .collect();
    std::fs::write(
        p.join("spec.toml"),
        "[pseudonymize.\"备注\"]\nmethod = \"redact\"\n",
    )
    .unwrap();
    let m = pseudonymize(p, "c.csv", "t.csv", "acme", true);
    let twin = csv_rows(&p.join("t.csv"));
    let mut want: std::collections::BTreeMap<String, u64> = Default::default();
    for ((row, planted), t) in plants.iter().zip(&twin) {
        let remark = &row[20];
        let mut expected = String::new();
        let mut at = 0;
        for x in planted {
            expected.push_str(&remark[at..x.start]);
            expected.push_str(datavisa_twin_placeholder(x.kind));
            at = x.end;
            *want.entry(x.kind.as_str().to_owned()).or_default() += 1;
        }
        expected.push_str(&remark[at..]);
        assert_eq!(t["备注"], expected, "{remark}");
    }
    assert_eq!(want.len(), 4, "{want:?}");
    let counts: std::collections::BTreeMap<String, u64> =
        serde_json::from_value(m["redacted"].clone()).unwrap();
    assert_eq!(counts, want);
}

/// The Chinese placeholders, as the README lists them.
fn datavisa_twin_placeholder(k: datavisa_discover::Kind) -> &'static str {
    use datavisa_discover::Kind;
    match k {
        Kind::CnMobile => "[手机号]",
        Kind::CnResidentId => "[身份证号]",
        Kind::Email => "[邮箱]",
        Kind::PersonName => "[姓名]",
        Kind::BankCard => "[银行卡号]",
        other => panic!("not planted: {other:?}"),
    }
}
