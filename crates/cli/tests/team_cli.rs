//! End to end through the CLI: `datavisa user` and `datavisa token`, their bad inputs, and the
//! audit entries every change leaves.

mod common;

use common::fails_with;
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

const MASTER: &str = "correct horse battery staple";

/// Runs the CLI in `dir` as OS user `tester`, with the test master key.
fn dv(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_datavisa"))
        .args(args)
        .current_dir(dir)
        .env("DATAVISA_MASTER_KEY", MASTER)
        .env("USER", "tester")
        .env("DATAVISA_LANG", "en")
        .output()
        .expect("binary runs")
}

fn json(o: Output) -> Value {
    common::json_of(&o)
}

/// A store with a vault (cheap KDF settings, tests only).
fn store() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    let o = dv(
        d.path(),
        &[
            "vault",
            "init",
            "--kdf-memory-mib",
            "8",
            "--kdf-passes",
            "5",
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    d
}

#[test]
fn users_take_combined_roles_and_refuse_bad_input() {
    let d = store();
    let p = d.path();
    let u = json(dv(
        p,
        &[
            "user",
            "add",
            "ann",
            "--role",
            "dpo,steward",
            "--role",
            "auditor",
            "--role",
            "dpo",
            "--format",
            "json",
        ],
    ));
    // Each role once, in the matrix's order.
    assert_eq!(u["roles"], serde_json::json!(["steward", "dpo", "auditor"]));
    assert_eq!(u["disabled"], false);
    assert_eq!(u["created_by"], "tester");
    let o = dv(p, &["user", "add", "bob", "--role", "approver"]);
    assert!(o.status.success());
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).trim(),
        "added user bob with roles approver"
    );

    fails_with(
        &dv(p, &["user", "add", "cat", "--role", "boss"]),
        2,
        &["unknown role \"boss\"", "steward"],
    );
    fails_with(
        &dv(p, &["user", "add", "cat", "--role", ","]),
        2,
        &["at least one role"],
    );
    fails_with(
        &dv(p, &["user", "add", "ann", "--role", "admin"]),
        2,
        &["\"ann\" exists already"],
    );
    fails_with(
        &dv(p, &["user", "add", "a b", "--role", "admin"]),
        2,
        &["user name \"a b\""],
    );
    fails_with(
        &dv(p, &["user", "disable", "zed"]),
        2,
        &["no user is named \"zed\""],
    );

    let o = dv(p, &["user", "disable", "bob", "--format", "json"]);
    assert_eq!(json(o)["disabled"], true);
    fails_with(
        &dv(p, &["user", "disable", "bob"]),
        2,
        &["disabled already"],
    );
    let list = json(dv(p, &["user", "list", "--format", "json"]));
    let names: Vec<(&str, bool)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["name"].as_str().unwrap(),
                u["disabled"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(names, vec![("ann", false), ("bob", true)]);
    fails_with(
        &dv(p, &["token", "create", "--user", "bob"]),
        2,
        &["disabled"],
    );

    // Every change is in the audit log, by the OS user; the refusals left nothing.
    let log = json(dv(p, &["audit", "log", "--format", "json"]));
    let actions: Vec<(&str, &str)> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["action"].as_str().unwrap(), e["actor"].as_str().unwrap()))
        .collect();
    assert_eq!(
        actions,
        vec![
            ("vault.init", "tester"),
            ("user.added", "tester"),
            ("user.added", "tester"),
            ("user.disabled", "tester"),
        ]
    );
}

#[test]
fn a_token_is_printed_once_listed_by_prefix_and_revocable() {
    let d = store();
    let p = d.path();
    assert!(dv(p, &["user", "add", "ann", "--role", "steward"])
        .status
        .success());
    let o = dv(p, &["token", "create", "--user", "ann", "--expires", "12h"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // Only the token on stdout; the note, with its prefix, on stderr.
    let token = String::from_utf8(o.stdout).unwrap().trim().to_owned();
    assert!(token.starts_with("dv_") && token.len() == 46, "{token}");
    let prefix = &token[..11];
    let note = String::from_utf8_lossy(&o.stderr);
    assert!(note.contains(prefix) && !note.contains(&token), "{note}");

    let list = dv(p, &["token", "list"]);
    let text = String::from_utf8_lossy(&list.stdout).into_owned();
    assert!(
        text.contains(prefix) && !text.contains(&token[11..]),
        "{text}"
    );
    let list = json(dv(p, &["token", "list", "--format", "json"]));
    let t = &list[0];
    assert_eq!(t["prefix"], prefix);
    assert!(t.get("token").is_none());
    // 12 hours after it was made: compare the times as seconds of the day, across midnight.
    let secs = |s: &str| -> i64 {
        let h: i64 = s[11..13].parse().unwrap();
        let m: i64 = s[14..16].parse().unwrap();
        let x: i64 = s[17..19].parse().unwrap();
        h * 3600 + m * 60 + x
    };
    let made = secs(t["created_at"].as_str().unwrap());
    let ends = secs(t["expires_at"].as_str().unwrap());
    assert_eq!((ends - made).rem_euclid(86_400), 12 * 3600);

    let never = json(dv(
        p,
        &[
            "token",
            "create",
            "--user",
            "ann",
            "--expires",
            "never",
            "--format",
            "json",
        ],
    ));
    assert!(never["expires_at"].is_null());
    assert!(never["token"].as_str().unwrap().starts_with("dv_"));

    for bad in ["5y", "0d", "abc", "90", "1.5d"] {
        fails_with(
            &dv(p, &["token", "create", "--user", "ann", "--expires", bad]),
            2,
            &["--expires"],
        );
    }
    fails_with(
        &dv(p, &["token", "create", "--user", "zed"]),
        2,
        &["no user is named \"zed\""],
    );

    let r = json(dv(p, &["token", "revoke", prefix, "--format", "json"]));
    assert!(r["revoked_at"].is_string());
    fails_with(
        &dv(p, &["token", "revoke", prefix]),
        2,
        &["revoked already"],
    );
    fails_with(
        &dv(p, &["token", "revoke", "dv_nothing1"]),
        2,
        &["no token has the prefix"],
    );

    // The store keeps no token text, only prefixes and hashes.
    let db = std::fs::read(p.join(".datavisa/team.db")).unwrap();
    let db = String::from_utf8_lossy(&db);
    assert!(db.contains(prefix));
    assert!(!db.contains(&token[11..]));

    let log = json(dv(p, &["audit", "log", "--format", "json"]));
    let tokens: Vec<&Value> = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"].as_str().unwrap().starts_with("token."))
        .collect();
    assert_eq!(tokens.len(), 3);
    assert_eq!(tokens[0]["detail"]["prefix"], prefix);
    assert_eq!(tokens[0]["detail"]["user"], "ann");
    assert_eq!(tokens[2]["action"], "token.revoked");
    assert!(!serde_json::to_string(&log).unwrap().contains(&token[11..]));
}

#[test]
fn without_a_vault_nothing_is_recorded() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    fails_with(
        &dv(p, &["user", "add", "ann", "--role", "admin"]),
        2,
        &["vault"],
    );
    assert!(!p.join(".datavisa/team.db").exists());
    let d = store();
    let o = Command::new(env!("CARGO_BIN_EXE_datavisa"))
        .args(["user", "add", "ann", "--role", "admin"])
        .current_dir(d.path())
        .env("DATAVISA_MASTER_KEY", "the wrong key")
        .output()
        .unwrap();
    fails_with(&o, 2, &["master key"]);
    assert!(!d.path().join(".datavisa/team.db").exists());
}

#[test]
fn user_messages_are_chinese_with_lang_zh() {
    let d = store();
    let o = Command::new(env!("CARGO_BIN_EXE_datavisa"))
        .args(["user", "add", "ann", "--role", "dpo"])
        .current_dir(d.path())
        .env("DATAVISA_MASTER_KEY", MASTER)
        .env("DATAVISA_LANG", "zh")
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(out.trim(), "已添加用户 ann，角色：dpo");
}
