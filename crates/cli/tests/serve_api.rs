//! The HTTP API against a real `datavisa serve` on a loopback port the tests start: the role
//! matrix from the router's own table, tokens (401 for every bad one, shown once, stored
//! hashed), uploads (413, 400 with line and column, stored by hash, scanned as the CLI scans),
//! problem+json everywhere, the audit log with actor, token prefix and request id, and a
//! graceful stop.

mod common;

use common::serve::{
    add_user, call, dv, get, init_store, ok, post_json, upload, Reply, Server, MASTER,
};
use datavisa_server::routes::{table, Access};
use datavisa_workflow::users::Role;
use serde_json::Value;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::Command;

/// A two-column CSV of 42 bytes (10 + 17 + 15 per line) and its SHA-256 (from sha256sum).
const GOOD_CSV: &str = "name,city\nWang Wei,Beijing\nLi Na,Shanghai\n";
const GOOD_SHA: &str = "090867a92c4e42d4695e0426290e49fc6a9623b3cb9b9819cdf6eaee2706f39c";

/// A store with a vault (cheap KDF, tests only) and one user per role, each with a token;
/// `root` is the admin.
struct Team {
    dir: tempfile::TempDir,
    tokens: Vec<(Role, String)>,
}

impl Team {
    fn new() -> Team {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        init_store(d);
        let mut tokens = Vec::new();
        for role in Role::ALL {
            let name = format!("{}-user", role.as_str());
            tokens.push((role, add_user(d, &name, role.as_str())));
        }
        Team { dir, tokens }
    }

    fn token(&self, role: Role) -> &str {
        &self.tokens.iter().find(|(r, _)| *r == role).unwrap().1
    }

    fn store(&self) -> PathBuf {
        self.dir.path().join("st")
    }
}

/// The team's server, with uploads limited to 1 MiB.
fn serve(team: &Team) -> Server {
    Server::start(
        team.dir.path(),
        &["--store", "st", "--max-upload-mib", "1"],
        &[],
    )
}

/// A path of the table with its parameters filled by values that name nothing.
fn concrete(path: &str) -> String {
    path.replace("{name}", "nobody")
        .replace("{prefix}", "dv_nothing1")
        .replace("{sha256}", &"0".repeat(64))
        .replace("{id}", "none")
}

#[test]
fn every_route_times_every_role_follows_the_table() {
    let team = Team::new();
    let s = serve(&team);
    let rules = table();
    assert!(rules.len() >= 22);
    for rule in &rules {
        let path = concrete(rule.path);
        let request = |token: Option<&str>| -> Reply {
            if rule.method == "GET" {
                get(&s, &path, token)
            } else if rule.method == "DELETE" {
                call(&s, "DELETE", &path, token, None)
            } else if rule.path == "/api/v1/datasets" {
                upload(&s, token.unwrap_or(""), "m.csv", GOOD_CSV.as_bytes())
            } else {
                post_json(&s, &path, token, "{}")
            }
        };
        match rule.access {
            Access::Public => {
                let r = request(None);
                assert_eq!(r.status, 200, "{} {}: {}", rule.method, rule.path, r.body);
            }
            Access::Roles(allowed) => {
                // No token at all is 401 on every route that has a rule.
                request(None).problem(401);
                for role in Role::ALL {
                    let r = request(Some(team.token(role)));
                    if allowed.contains(&role) {
                        // Allowed: the handler ran (no 401/403) and did not fail (no 5xx).
                        assert!(
                            r.status != 401 && r.status != 403 && r.status < 500,
                            "{} {} as {role:?}: {} {}",
                            rule.method,
                            rule.path,
                            r.status,
                            r.body
                        );
                    } else {
                        let p = r.problem(403);
                        assert!(
                            p["detail"]
                                .as_str()
                                .unwrap()
                                .contains(&format!("{}-user", role.as_str())),
                            "{p}"
                        );
                    }
                }
            }
        }
    }
    // Admins hold users and tokens only: no data route allows them, and they allow no one else.
    for rule in &rules {
        if let Access::Roles(allowed) = rule.access {
            let admin_route =
                rule.path.starts_with("/api/v1/users") || rule.path.starts_with("/api/v1/tokens");
            assert_eq!(allowed == [Role::Admin], admin_route, "{}", rule.path);
            assert!(
                admin_route || !allowed.contains(&Role::Admin),
                "{}",
                rule.path
            );
            // The auditor changes nothing: every route it may call reads or verifies.
            if allowed.contains(&Role::Auditor) && rule.method == "POST" {
                assert!(
                    rule.path.ends_with("/inspect")
                        || rule.path.ends_with("/scan")
                        || rule.path.ends_with("/verify"),
                    "{}",
                    rule.path
                );
            }
        }
    }
}

#[test]
fn bad_tokens_are_401_with_problem_json() {
    let team = Team::new();
    let d = team.dir.path();
    // A token made to expire: its expiry moved into the past in the store.
    ok(dv(
        d,
        &["user", "add", "late", "--role", "auditor", "--store", "st"],
    ));
    let expired = ok(dv(
        d,
        &["token", "create", "--user", "late", "--store", "st"],
    ));
    let expired = expired.trim().to_owned();
    let conn = rusqlite::Connection::open(team.store().join("team.db")).unwrap();
    let n = conn
        .execute(
            "UPDATE tokens SET expires_at = 1000 WHERE prefix = ?1",
            [&expired[..11]],
        )
        .unwrap();
    assert_eq!(n, 1);
    drop(conn);
    let s = serve(&team);
    let admin = team.token(Role::Admin);
    let auditor = team.token(Role::Auditor).to_owned();

    let r = get(&s, "/api/v1/audit", None);
    let p = r.problem(401);
    assert_eq!(r.header("www-authenticate"), Some("Bearer"));
    assert!(p["detail"].as_str().unwrap().contains("Bearer"), "{p}");
    assert_eq!(p["instance"], "/api/v1/audit");

    let unknown = format!("dv_{}", "A".repeat(43));
    let p = get(&s, "/api/v1/audit", Some(&unknown)).problem(401);
    assert!(p["detail"].as_str().unwrap().contains("not known"), "{p}");
    let p = get(&s, "/api/v1/audit", Some(&expired)).problem(401);
    assert!(p["detail"].as_str().unwrap().contains("expired"), "{p}");

    // The auditor's token works, then is revoked through the API and stops working.
    assert_eq!(get(&s, "/api/v1/audit", Some(&auditor)).status, 200);
    let prefix = &auditor[..11];
    let r = post_json(
        &s,
        &format!("/api/v1/tokens/{prefix}/revoke"),
        Some(admin),
        "{}",
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.json()["revoked_at"].is_string());
    let p = get(&s, "/api/v1/audit", Some(&auditor)).problem(401);
    assert!(p["detail"].as_str().unwrap().contains("revoked"), "{p}");
    // Revoking twice is refused, naming the prefix.
    let p = post_json(
        &s,
        &format!("/api/v1/tokens/{prefix}/revoke"),
        Some(admin),
        "{}",
    )
    .problem(400);
    assert!(p["detail"].as_str().unwrap().contains(prefix), "{p}");

    // A disabled user's token stops working too.
    let steward = team.token(Role::Steward);
    assert_eq!(get(&s, "/api/v1/datasets", Some(steward)).status, 200);
    let r = post_json(&s, "/api/v1/users/steward-user/disable", Some(admin), "{}");
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["disabled"], true);
    let p = get(&s, "/api/v1/datasets", Some(steward)).problem(401);
    assert!(p["detail"].as_str().unwrap().contains("disabled"), "{p}");

    // No token value ever reaches the log.
    let log = s.log.lock().unwrap().clone();
    for (_, t) in &team.tokens {
        assert!(!log.contains(&t[11..]), "a token in the log");
    }
    assert!(!log.contains(&expired[11..]));
    assert!(!log.contains(MASTER));
}

#[test]
fn a_token_is_shown_once_stored_hashed_and_audited() {
    let team = Team::new();
    let s = serve(&team);
    let admin = team.token(Role::Admin);
    let r = post_json(
        &s,
        "/api/v1/users",
        Some(admin),
        r#"{"name":"dora","roles":["dpo","auditor"]}"#,
    );
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.json()["roles"], serde_json::json!(["dpo", "auditor"]));
    assert_eq!(r.json()["created_by"], "admin-user");
    let user_request = r.header("x-request-id").unwrap().to_owned();
    post_json(
        &s,
        "/api/v1/users",
        Some(admin),
        r#"{"name":"dora","roles":["dpo"]}"#,
    )
    .problem(400);
    let p = post_json(
        &s,
        "/api/v1/users",
        Some(admin),
        r#"{"name":"eve","roles":["boss"]}"#,
    )
    .problem(400);
    assert!(p["detail"].as_str().unwrap().contains("boss"), "{p}");

    let r = post_json(
        &s,
        "/api/v1/tokens",
        Some(admin),
        r#"{"user":"dora","expires":"30d"}"#,
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let made = r.json();
    let token = made["token"].as_str().unwrap().to_owned();
    let prefix = made["prefix"].as_str().unwrap().to_owned();
    let token_request = r.header("x-request-id").unwrap().to_owned();
    assert!(token.starts_with(&prefix) && token.len() == 46, "{token}");
    // 30 days after it was made.
    let created = &made["created_at"].as_str().unwrap()[..10];
    let expires = &made["expires_at"].as_str().unwrap()[..10];
    assert_ne!(created, expires);
    post_json(&s, "/api/v1/tokens", Some(admin), r#"{"user":"nobody"}"#).problem(400);
    post_json(
        &s,
        "/api/v1/tokens",
        Some(admin),
        r#"{"user":"dora","expires":"soon"}"#,
    )
    .problem(400);

    // The listing never shows a value; the new token works with dora's roles.
    let list = get(&s, "/api/v1/tokens", Some(admin));
    assert_eq!(list.status, 200);
    assert!(!list.body.contains(&token));
    assert!(list
        .json()
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["prefix"] == prefix.as_str()));
    assert_eq!(get(&s, "/api/v1/visas", Some(&token)).status, 200);
    get(&s, "/api/v1/users", Some(&token)).problem(403);

    // No file of the store holds the token's text: only its prefix and hash are kept.
    for entry in std::fs::read_dir(team.store()).unwrap().flatten() {
        if entry.path().is_file() {
            let bytes = std::fs::read(entry.path()).unwrap();
            let text = String::from_utf8_lossy(&bytes);
            assert!(!text.contains(&token[11..]), "{}", entry.path().display());
            for (_, t) in &team.tokens {
                assert!(!text.contains(&t[11..]), "{}", entry.path().display());
            }
        }
    }
    let team_db =
        String::from_utf8_lossy(&std::fs::read(team.store().join("team.db")).unwrap()).into_owned();
    assert!(team_db.contains(&prefix));

    // Both changes are in the audit log with the admin, its token's prefix and the request id.
    let auditor = team.token(Role::Auditor);
    let r = get(&s, "/api/v1/audit?actor=admin-user", Some(auditor));
    assert_eq!(r.status, 200, "{}", r.body);
    let entries = r.json();
    let entries = entries.as_array().unwrap();
    let admin_prefix = &admin[..11];
    let added = entries
        .iter()
        .find(|e| e["action"] == "user.added")
        .unwrap();
    assert_eq!(added["detail"]["user"], "dora");
    assert_eq!(
        added["detail"]["roles"],
        serde_json::json!(["dpo", "auditor"])
    );
    assert_eq!(added["detail"]["token_prefix"], admin_prefix);
    assert_eq!(added["detail"]["request_id"], user_request.as_str());
    let created = entries
        .iter()
        .find(|e| e["action"] == "token.created")
        .unwrap();
    assert_eq!(created["detail"]["prefix"], prefix.as_str());
    assert_eq!(created["detail"]["token_prefix"], admin_prefix);
    assert_eq!(created["detail"]["request_id"], token_request.as_str());
    assert!(!r.body.contains(&token[11..]));
    // The refused attempts changed nothing and left no entry.
    assert_eq!(entries.len(), 2, "{entries:?}");
    // The CLI's own changes are there too, under the OS user.
    let r = get(&s, "/api/v1/audit?kind=token", Some(auditor));
    assert_eq!(r.json().as_array().unwrap().len(), 5 + 1);
    // Since a day: today's entries are all there, a later day's none; `last` keeps the newest.
    let all = get(&s, "/api/v1/audit", Some(auditor)).json();
    let today = &all[0]["at"].as_str().unwrap()[..10];
    let r = get(&s, &format!("/api/v1/audit?since={today}"), Some(auditor));
    assert_eq!(r.json(), all);
    let r = get(&s, "/api/v1/audit?since=2999-01-01", Some(auditor));
    assert_eq!(r.json(), serde_json::json!([]));
    let r = get(&s, "/api/v1/audit?kind=user.added&last=1", Some(auditor)).json();
    assert_eq!(r.as_array().unwrap().len(), 1);
    assert_eq!(r[0]["detail"]["user"], "dora");
    let r = post_json(&s, "/api/v1/audit/verify", Some(auditor), "{}");
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["intact"], true);
}

/// The audit endpoint serves signed anchors in the CLI's format: a saved response is a file
/// `audit verify --anchor` takes, later changes keep it valid, a vault rolled back to a copy
/// from before it (its log's tail cut, the old head replayed) fails against it through the API
/// with the reason, and an anchor that is not one is a 400 problem.
#[test]
fn the_audit_anchor_is_served_kept_and_catches_a_rolled_back_log() {
    let team = Team::new();
    let s = serve(&team);
    let (admin, auditor) = (team.token(Role::Admin), team.token(Role::Auditor));
    let d = team.dir.path();
    let db = team.store().join("vault.db");
    // The copy an attacker will put back: it lacks the next entry (erin's) and all after it.
    let old = std::fs::read(&db).unwrap();
    let log = get(&s, "/api/v1/audit", Some(auditor)).json();
    let before = log.as_array().unwrap().len();
    let r = post_json(
        &s,
        "/api/v1/users",
        Some(admin),
        r#"{"name":"erin","roles":["dpo"]}"#,
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let log = get(&s, "/api/v1/audit", Some(auditor)).json();
    let head = log.as_array().unwrap().last().unwrap().clone();
    assert_eq!(log.as_array().unwrap().len(), before + 1);

    // The anchor signs the head: erin's entry, sequence and hash as the log lists them.
    let r = get(&s, "/api/v1/audit/anchor", Some(auditor));
    assert_eq!(r.status, 200, "{}", r.body);
    let anchor = r.json();
    assert_eq!(anchor["format"], "datavisa-audit-anchor/1");
    assert_eq!(anchor["seq"], head["seq"]);
    assert_eq!(anchor["hash"], head["hash"]);
    assert_eq!(anchor["reason"], "audit anchor");
    assert_eq!(anchor["public_key"].as_str().unwrap().len(), 64);
    assert_eq!(anchor["signature"].as_str().unwrap().len(), 128);
    // Serving it wrote no audit entry (the head it signs is still the head).
    let after = get(&s, "/api/v1/audit", Some(auditor)).json();
    assert_eq!(after.as_array().unwrap().len(), before + 1);
    // The CLI's `audit anchor` signs with the same key (beside the store) and the same fields.
    let kept = tempfile::tempdir().unwrap();
    let cli_anchor = kept.path().join("cli.json");
    ok(dv(
        d,
        &[
            "audit",
            "anchor",
            "--store",
            "st",
            "-o",
            cli_anchor.to_str().unwrap(),
        ],
    ));
    let cli: Value = serde_json::from_str(&std::fs::read_to_string(&cli_anchor).unwrap()).unwrap();
    assert_eq!(cli["public_key"], anchor["public_key"]);
    let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&cli), keys(&anchor));
    assert!(d.join("st.anchors/anchor.key").is_file());

    // The saved body is an anchor file for the CLI.
    let saved = kept.path().join("anchor.json");
    std::fs::write(&saved, &r.body).unwrap();
    let verify_cli = || {
        dv(
            d,
            &[
                "audit",
                "verify",
                "--store",
                "st",
                "--anchor",
                saved.to_str().unwrap(),
            ],
        )
    };
    ok(verify_cli());
    // More audited changes: the old anchor still verifies, through the CLI and the API.
    let r = post_json(
        &s,
        "/api/v1/users",
        Some(admin),
        r#"{"name":"fay","roles":["steward"]}"#,
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let r = post_json(&s, "/api/v1/tokens", Some(admin), r#"{"user":"fay"}"#);
    assert_eq!(r.status, 201, "{}", r.body);
    ok(verify_cli());
    let with_anchor = format!(r#"{{"anchor":{}}}"#, anchor);
    let r = post_json(&s, "/api/v1/audit/verify", Some(auditor), &with_anchor);
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert_eq!(v["intact"], true, "{v}");
    assert_eq!(v["entries"], before + 3);
    // Pinned to its own key it verifies; to another key it is refused as a bad anchor.
    let pinned = format!(
        r#"{{"anchor":{},"anchor_public_key":"{}"}}"#,
        anchor,
        anchor["public_key"].as_str().unwrap().to_uppercase()
    );
    let r = post_json(&s, "/api/v1/audit/verify", Some(auditor), &pinned);
    assert_eq!(r.json()["intact"], true, "{}", r.body);
    let other = format!(
        r#"{{"anchor":{},"anchor_public_key":"{}"}}"#,
        anchor,
        "ab".repeat(32)
    );
    let p = post_json(&s, "/api/v1/audit/verify", Some(auditor), &other).problem(400);
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("not by the expected key"),
        "{p}"
    );

    // The older copy put back: its log ends one entry before the anchored one. Alone it is
    // intact; against the anchor it fails, naming both sequence numbers.
    std::fs::write(&db, &old).unwrap();
    let r = post_json(&s, "/api/v1/audit/verify", Some(auditor), "{}");
    assert_eq!(r.json()["intact"], true, "{}", r.body);
    let r = post_json(&s, "/api/v1/audit/verify", Some(auditor), &with_anchor);
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert_eq!(v["intact"], false, "{v}");
    assert_eq!(v["problems"][0]["kind"], "rolled_back");
    let why = v["problems"][0]["message"].as_str().unwrap();
    let last_old = head["seq"].as_i64().unwrap() - 1;
    assert!(
        why.contains(&format!(
            "ends at entry {last_old} but held entry {}",
            head["seq"]
        )) && why.contains("truncated or the vault was rolled back"),
        "{why}"
    );
    common::fails_with(&verify_cli(), 3, &["rolled back"]);

    // Not an anchor: garbage is 400, the wrong shape or an unknown field 422, an altered
    // anchor (its signature no longer verifies) 400; all problem+json.
    let p = post_json(&s, "/api/v1/audit/verify", Some(auditor), "anchor: yes").problem(400);
    assert_eq!(p["instance"], "/api/v1/audit/verify");
    post_json(
        &s,
        "/api/v1/audit/verify",
        Some(auditor),
        r#"{"anchor":{"seq":"x"}}"#,
    )
    .problem(422);
    post_json(&s, "/api/v1/audit/verify", Some(auditor), r#"{"anchr":{}}"#).problem(422);
    let mut altered = anchor.clone();
    altered["seq"] = serde_json::json!(1);
    let body = format!(r#"{{"anchor":{altered}}}"#);
    let p = post_json(&s, "/api/v1/audit/verify", Some(auditor), &body).problem(400);
    assert_eq!(p["type"], "/problems/bad-anchor");
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("signature does not verify"),
        "{p}"
    );

    // Only the auditor reads the anchor: the steward and the admin are refused.
    for role in [Role::Steward, Role::Admin, Role::Dpo, Role::Approver] {
        get(&s, "/api/v1/audit/anchor", Some(team.token(role))).problem(403);
    }
}

#[test]
fn uploads_are_limited_checked_stored_by_hash_and_scanned_like_the_cli() {
    let team = Team::new();
    let s = serve(&team);
    let steward = team.token(Role::Steward);

    // Over the 1 MiB limit: 413, nothing stored.
    let big = vec![b'a'; 1024 * 1024 + 1];
    upload(&s, steward, "big.csv", &big).problem(413);
    // A row with a third field under a two-column header: 400 naming the line and column.
    let p = upload(&s, steward, "bad.csv", b"a,b\n1,2\n3,4,5\n").problem(400);
    let detail = p["detail"].as_str().unwrap();
    assert!(
        detail.contains("bad.csv") && detail.contains("(line 3, column 3)"),
        "{detail}"
    );
    assert!(!detail.contains(".upload-"), "{detail}");
    let r = get(&s, "/api/v1/datasets", Some(steward));
    assert_eq!(r.json(), serde_json::json!([]));
    let names: Vec<String> = std::fs::read_dir(team.store().join("datasets"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.is_empty(), "{names:?}");

    // A good file is stored under its SHA-256, with 2 rows and 2 columns.
    let r = upload(&s, steward, "people.csv", GOOD_CSV.as_bytes());
    assert_eq!(r.status, 201, "{}", r.body);
    let d = r.json();
    assert_eq!(d["sha256"], GOOD_SHA);
    assert_eq!(
        (
            d["rows"].as_u64(),
            d["columns"].as_u64(),
            d["bytes"].as_u64()
        ),
        (Some(2), Some(2), Some(42))
    );
    assert_eq!(d["name"], "people.csv");
    assert_eq!(d["uploaded_by"], "steward-user");
    let stored = team
        .store()
        .join("datasets")
        .join(format!("{GOOD_SHA}.csv"));
    assert_eq!(std::fs::read_to_string(&stored).unwrap(), GOOD_CSV);
    // Uploads are not held to the JSON limit (64 KiB): 20,001 lines of 11 bytes and a header.
    let mut wide = String::from("id,code\n");
    for i in 0..20_001 {
        wide.push_str(&format!("{i:06},abcd\n"));
    }
    let r = upload(&s, steward, "wide.csv", wide.as_bytes());
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(
        (r.json()["rows"].as_u64(), r.json()["bytes"].as_u64()),
        (Some(20_001), Some(8 + 20_001 * 12))
    );
    // The same bytes again are the same dataset.
    let again = upload(&s, steward, "copy.csv", GOOD_CSV.as_bytes());
    assert_eq!(again.status, 201);
    assert_eq!(again.json()["name"], "people.csv");
    let list = get(&s, "/api/v1/datasets", Some(team.token(Role::Auditor))).json();
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert_eq!(
        get(&s, &format!("/api/v1/datasets/{GOOD_SHA}"), Some(steward)).json(),
        d
    );
    get(
        &s,
        &format!("/api/v1/datasets/{}", "1".repeat(64)),
        Some(steward),
    )
    .problem(404);
    post_json(
        &s,
        &format!("/api/v1/datasets/{}/scan", "1".repeat(64)),
        Some(steward),
        "{}",
    )
    .problem(404);

    // Scan and inspect give the CLI's JSON on the stored file, timings aside.
    let strip = |mut v: Value| {
        for k in ["read_seconds", "scan_seconds"] {
            v.as_object_mut().unwrap().remove(k);
        }
        v
    };
    let api = post_json(
        &s,
        &format!("/api/v1/datasets/{GOOD_SHA}/scan"),
        Some(steward),
        r#"{"seed":7,"as_of":"2026-01-01"}"#,
    );
    assert_eq!(api.status, 200, "{}", api.body);
    let stored_arg = format!("st/datasets/{GOOD_SHA}.csv");
    let cli: Value = serde_json::from_str(&ok(dv(
        team.dir.path(),
        &[
            "scan",
            &stored_arg,
            "--seed",
            "7",
            "--as-of",
            "2026-01-01",
            "--format",
            "json",
        ],
    )))
    .unwrap();
    assert_eq!(strip(api.json()), strip(cli.clone()));
    assert_eq!(cli["columns"][0]["kind"], "person_name");
    let api = post_json(
        &s,
        &format!("/api/v1/datasets/{GOOD_SHA}/inspect"),
        Some(steward),
        r#"{"top":2}"#,
    );
    assert_eq!(api.status, 200, "{}", api.body);
    let cli: Value = serde_json::from_str(&ok(dv(
        team.dir.path(),
        &["inspect", &stored_arg, "--top", "2", "--format", "json"],
    )))
    .unwrap();
    assert_eq!(strip(api.json()), strip(cli));
    // A scan option of the wrong type is 422, a bad date 400.
    post_json(
        &s,
        &format!("/api/v1/datasets/{GOOD_SHA}/scan"),
        Some(steward),
        r#"{"seed":"x"}"#,
    )
    .problem(422);
    post_json(
        &s,
        &format!("/api/v1/datasets/{GOOD_SHA}/scan"),
        Some(steward),
        r#"{"as_of":"soon"}"#,
    )
    .problem(400);

    // Each upload is audited with the steward and its token's prefix; the refused ones are not.
    let r = get(
        &s,
        "/api/v1/audit?kind=dataset.uploaded",
        Some(team.token(Role::Auditor)),
    );
    let e = r.json();
    let e = e.as_array().unwrap();
    assert_eq!(e.len(), 3, "{e:?}");
    assert_eq!(e[0]["actor"], "steward-user");
    assert_eq!(e[0]["detail"]["token_prefix"], &steward[..11]);
    assert_eq!(e[0]["detail"]["sha256"], GOOD_SHA);
    assert_eq!(
        (
            e[0]["detail"]["new"].as_bool(),
            e[2]["detail"]["new"].as_bool()
        ),
        (Some(true), Some(false))
    );
    // No cell value reached the log.
    let log = s.log.lock().unwrap().clone();
    assert!(
        !log.contains("Wang Wei") && !log.contains("Shanghai"),
        "{log}"
    );
}

#[test]
fn an_interrupted_upload_leaves_nothing_stored() {
    let team = Team::new();
    let s = serve(&team);
    let steward = team.token(Role::Steward).to_owned();
    let mut c = std::net::TcpStream::connect(s.addr()).unwrap();
    let half = "a,b\n".repeat(5_000);
    write!(
        c,
        "POST /api/v1/datasets?name=half.csv HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {steward}\r\nContent-Type: text/csv\r\nContent-Length: 100000\r\n\r\n{half}"
    )
    .unwrap();
    c.flush().unwrap();
    // The partial file exists while the body is coming.
    let dir = team.store().join("datasets");
    let partials = || -> usize {
        std::fs::read_dir(&dir).map_or(0, |d| {
            d.flatten()
                .filter(|e| e.file_name().to_string_lossy().starts_with(".upload-"))
                .count()
        })
    };
    let mut seen = false;
    for _ in 0..200 {
        if partials() == 1 {
            seen = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
    assert!(seen, "the upload never started");
    drop(c);
    let mut gone = false;
    for _ in 0..400 {
        if partials() == 0 {
            gone = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
    assert!(gone, "the partial upload was left behind");
    let r = get(&s, "/api/v1/datasets", Some(&steward));
    assert_eq!(r.json(), serde_json::json!([]));
    let names: Vec<_> = std::fs::read_dir(&dir).unwrap().flatten().collect();
    assert!(names.is_empty());
}

#[test]
fn errors_are_problem_json_and_headers_are_strict() {
    let team = Team::new();
    let s = serve(&team);
    let admin = team.token(Role::Admin);
    let p = get(&s, "/api/v1/nothing", Some(admin)).problem(404);
    assert_eq!(p["instance"], "/api/v1/nothing");
    call(&s, "DELETE", "/api/v1/health", None, None).problem(405);
    // JSON routes: no JSON type is 415, malformed JSON 400, a missing field 422, an unknown 422.
    call(
        &s,
        "POST",
        "/api/v1/users",
        Some(admin),
        Some(("text/plain", b"{}")),
    )
    .problem(415);
    post_json(&s, "/api/v1/users", Some(admin), "{\"name\":").problem(400);
    let p = post_json(&s, "/api/v1/users", Some(admin), r#"{"name":"x"}"#).problem(422);
    assert!(p["detail"].as_str().unwrap().contains("roles"), "{p}");
    post_json(
        &s,
        "/api/v1/users",
        Some(admin),
        r#"{"name":"x","roles":["dpo"],"boss":1}"#,
    )
    .problem(422);
    // JSON that is not an object is 422 too, though serde would read an array as the fields.
    let p = post_json(&s, "/api/v1/users", Some(admin), r#"["x", ["dpo"]]"#).problem(422);
    assert!(p["detail"].as_str().unwrap().contains("object"), "{p}");
    assert_eq!(
        get(&s, "/api/v1/users", Some(admin))
            .json()
            .as_array()
            .unwrap()
            .len(),
        5
    );
    // A JSON body over the JSON limit (64 KiB) is 413.
    let huge = format!(r#"{{"name":"{}","roles":["dpo"]}}"#, "x".repeat(100 * 1024));
    post_json(&s, "/api/v1/users", Some(admin), &huge).problem(413);
    // A bad filter is 400.
    let p = get(
        &s,
        "/api/v1/audit?since=yesterday",
        Some(team.token(Role::Auditor)),
    )
    .problem(400);
    assert!(p["detail"].as_str().unwrap().contains("yesterday"), "{p}");
    // Every answer carries the security headers and a request id, errors included.
    for r in [
        get(&s, "/api/v1/health", None),
        get(&s, "/api/v1/users", None),
    ] {
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(r.header("x-frame-options"), Some("DENY"));
        assert_eq!(r.header("referrer-policy"), Some("no-referrer"));
        assert_eq!(
            r.header("content-security-policy"),
            Some("default-src 'none'; frame-ancestors 'none'")
        );
        assert!(r.header("x-request-id").is_some_and(|v| !v.is_empty()));
    }
}

#[test]
fn health_and_the_document_need_no_token_and_sigterm_stops_cleanly() {
    let team = Team::new();
    let mut s = serve(&team);
    let r = get(&s, "/api/v1/health", None);
    assert_eq!(r.status, 200);
    let h = r.json();
    assert_eq!(h["status"], "ok");
    assert_eq!(h["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(h["store"]["vault_unlocked"], true);
    assert_eq!(h["store"]["team"], true);
    assert_eq!(h["store"]["datasets"], 0);
    let doc = get(&s, "/api/v1/openapi.json", None).json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for rule in table() {
        assert!(
            doc["paths"][rule.path][rule.method.as_str().to_ascii_lowercase()].is_object(),
            "{} {}",
            rule.method,
            rule.path
        );
    }
    // SIGTERM (sent to this server's pid only) ends it with success.
    let pid = s.child.id().to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(killed.success());
    let status = s.child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    let log = s.log.lock().unwrap().clone();
    assert!(log.contains("shutting down"), "{log}");
}

#[test]
fn the_server_refuses_to_start_without_the_right_key() {
    let team = Team::new();
    let o = Command::new(env!("CARGO_BIN_EXE_datavisa"))
        .args(["serve", "--store", "st", "--listen", "127.0.0.1:0"])
        .current_dir(team.dir.path())
        .env("DATAVISA_MASTER_KEY", "not the key at all")
        .output()
        .unwrap();
    common::fails_with(&o, 2, &["master key"]);
    let o = Command::new(env!("CARGO_BIN_EXE_datavisa"))
        .args(["serve", "--store", "st", "--listen", "127.0.0.1:0"])
        .current_dir(team.dir.path())
        .env_remove("DATAVISA_MASTER_KEY")
        .output()
        .unwrap();
    common::fails_with(&o, 2, &["DATAVISA_MASTER_KEY"]);
    let mut buf = String::new();
    let _ = std::io::Cursor::new(o.stderr).read_to_string(&mut buf);
    assert!(!buf.contains(MASTER));
}

#[test]
fn serve_help_says_how_to_put_it_behind_tls() {
    let o = common::datavisa(&["serve", "--help"]);
    let help = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success());
    for needle in [
        "TLS reverse proxy",
        "127.0.0.1:8470",
        "--master-key-file",
        "SIGTERM",
    ] {
        assert!(help.contains(needle), "{needle} not in {help}");
    }
}
