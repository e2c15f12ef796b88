//! The vault end to end at the library level: opening, keys, twins, relink rules, audit log.

use datavisa_vault::crypto::hex;
use datavisa_vault::{
    KdfParams, NewRequest, Passphrase, TwinColumn, TwinRecord, Vault, VaultError,
};
use std::path::Path;

/// OWASP's cheapest minimum (7 MiB × 5 passes): tests stay fast and real.
const KDF: KdfParams = KdfParams {
    m_kib: 7 * 1024,
    t: 5,
    p: 1,
};

fn pass(s: &str) -> Passphrase {
    Passphrase::new(s.as_bytes().to_vec()).unwrap()
}

fn new_vault(dir: &Path) -> Vault {
    Vault::init(dir, &pass("correct horse"), KDF, "tester").unwrap()
}

fn open(dir: &Path) -> Vault {
    Vault::open(dir, &pass("correct horse"), "tester").unwrap()
}

/// A registered twin with one token column holding `values`; returns (twin id, tokens).
fn token_twin(v: &mut Vault, recipient: &str, values: &[&str]) -> (String, Vec<String>) {
    let keys = v.domain_keys(recipient, "person").unwrap();
    let tokens: Vec<String> = values.iter().map(|x| keys.token(x)).collect();
    let index: Vec<_> = values
        .iter()
        .map(|x| (keys.key_ref.key_id, keys.index_entry(x)))
        .collect();
    let id = datavisa_vault::crypto::random_id("tw").unwrap();
    let rec = TwinRecord {
        id: id.clone(),
        recipient: recipient.into(),
        created_at: "2026-11-22T00:00:00Z".into(),
        output: "out.csv".into(),
        output_sha256: "00".into(),
        source_sha256: "11".into(),
        rows: values.len() as u64,
        columns: vec![TwinColumn {
            column: "id".into(),
            method: "token".into(),
            key: Some(keys.key_ref.clone()),
            params: serde_json::Value::Null,
        }],
    };
    v.register_twin(&rec, &[&keys], &index).unwrap();
    (id, tokens)
}

fn request(
    v: &mut Vault,
    twin: &str,
    tokens: &[String],
    by: &str,
    ttl: i64,
) -> Result<String, VaultError> {
    v.request_relink(NewRequest {
        twin_id: twin.into(),
        column: "id".into(),
        pseudonyms: tokens.to_vec(),
        purpose: "court order 2026-17".into(),
        legal_basis: "PIPL Art. 13(3)".into(),
        requested_by: by.into(),
        ttl_secs: ttl,
    })
    .map(|r| r.id)
}

fn approvers(v: &mut Vault) {
    for n in ["alice", "bob", "carol"] {
        v.add_approver(n, &pass(&format!("{n}-secret"))).unwrap();
    }
}

fn execute(v: &mut Vault, id: &str) -> Result<Vec<String>, VaultError> {
    v.execute_relink(id, |a| {
        let out: Vec<String> = a
            .token_values(&a.pseudonyms)
            .unwrap()
            .into_iter()
            .map(|v| v.unwrap().to_string())
            .collect();
        Ok((out, serde_json::json!({"n": a.pseudonyms.len()})))
    })
}

#[test]
fn opens_only_with_the_right_key_and_a_sound_file() {
    let d = tempfile::tempdir().unwrap();
    let store = d.path().join(".datavisa");
    drop(new_vault(&store));
    let file = Vault::file_in(&store);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(
            std::fs::metadata(&store).unwrap().permissions().mode() & 0o777,
            0o700
        );
    }
    assert!(matches!(
        Vault::init(&store, &pass("x"), KDF, "t"),
        Err(VaultError::Exists { .. })
    ));
    let before = std::fs::read(&file).unwrap();
    assert!(matches!(
        Vault::open(&store, &pass("wrong"), "t"),
        Err(VaultError::WrongMasterKey { .. })
    ));
    assert_eq!(
        std::fs::read(&file).unwrap(),
        before,
        "a wrong key changes nothing"
    );
    assert!(matches!(
        Vault::open(&d.path().join("none"), &pass("x"), "t"),
        Err(VaultError::NoVault { .. })
    ));

    // A vault from a newer datavisa.
    let newer = d.path().join("newer");
    drop(new_vault(&newer));
    let c = rusqlite::Connection::open(Vault::file_in(&newer)).unwrap();
    c.execute(
        "UPDATE meta SET value = '9' WHERE name = 'format_version'",
        [],
    )
    .unwrap();
    drop(c);
    let e = Vault::open(&newer, &pass("correct horse"), "t")
        .err()
        .unwrap();
    assert!(matches!(e, VaultError::NewerFormat { found: 9, .. }), "{e}");

    // Truncated and overwritten files.
    for (name, damage) in [("trunc", 0usize), ("garbage", 1)] {
        let s = d.path().join(name);
        drop(new_vault(&s));
        let f = Vault::file_in(&s);
        let bytes = std::fs::read(&f).unwrap();
        let damaged = if damage == 0 {
            bytes[..bytes.len() / 3].to_vec()
        } else {
            vec![0x5a; bytes.len()]
        };
        std::fs::write(&f, &damaged).unwrap();
        let e = Vault::open(&s, &pass("correct horse"), "t").err().unwrap();
        assert!(matches!(e, VaultError::Corrupted { .. }), "{name}: {e}");
        assert_eq!(
            std::fs::read(&f).unwrap(),
            damaged,
            "{name}: nothing changed"
        );
    }
}

#[test]
fn a_second_writer_is_told_the_vault_is_locked() {
    let d = tempfile::tempdir().unwrap();
    let mut v = new_vault(d.path());
    let blocker = rusqlite::Connection::open(Vault::file_in(d.path())).unwrap();
    blocker.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let e = v.domain_keys("r", "person").err().unwrap();
    assert!(matches!(e, VaultError::Locked { .. }), "{e}");
    blocker.execute_batch("ROLLBACK").unwrap();
    assert!(v.domain_keys("r", "person").is_ok());
}

#[test]
fn keys_differ_per_recipient_persist_rotate_and_rekey() {
    let d = tempfile::tempdir().unwrap();
    let mut v = new_vault(d.path());
    let a = v
        .domain_keys("acme", "person")
        .unwrap()
        .token("110105194912310025");
    let b = v
        .domain_keys("globex", "person")
        .unwrap()
        .token("110105194912310025");
    let other_domain = v
        .domain_keys("acme", "phone")
        .unwrap()
        .token("110105194912310025");
    assert_ne!(a, b);
    assert_ne!(a, other_domain);
    drop(v);
    let mut v = open(d.path());
    assert_eq!(
        v.domain_keys("acme", "person")
            .unwrap()
            .token("110105194912310025"),
        a
    );
    let rotated = v.rotate(Some("acme"), Some("person")).unwrap();
    assert_eq!(rotated[0].version, 2);
    let k2 = v.domain_keys("acme", "person").unwrap();
    assert_eq!(k2.key_ref.version, 2);
    assert_ne!(k2.token("110105194912310025"), a);
    // The retired version still works for older twins.
    let old = v
        .keys()
        .unwrap()
        .into_iter()
        .find(|k| {
            k.key_ref.version == 1 && k.key_ref.domain == "person" && k.key_ref.recipient == "acme"
        })
        .unwrap();
    assert_eq!(old.status, "retired");
    assert_eq!(
        v.keys_by_id(old.key_ref.key_id)
            .unwrap()
            .token("110105194912310025"),
        a
    );
    v.rekey(&pass("new passphrase"), KDF).unwrap();
    drop(v);
    assert!(matches!(
        Vault::open(d.path(), &pass("correct horse"), "t"),
        Err(VaultError::WrongMasterKey { .. })
    ));
    let v = Vault::open(d.path(), &pass("new passphrase"), "t").unwrap();
    assert_eq!(
        v.keys_by_id(old.key_ref.key_id)
            .unwrap()
            .token("110105194912310025"),
        a
    );
    assert!(v.verify_audit().unwrap().intact);
    let actions: Vec<String> = v
        .audit_entries()
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert!(
        actions.iter().filter(|a| *a == "key.created").count() == 3,
        "{actions:?}"
    );
    assert!(actions.contains(&"key.rotated".into()) && actions.contains(&"vault.rekey".into()));
}

#[test]
fn relink_needs_two_approvers_other_than_the_requester() {
    let d = tempfile::tempdir().unwrap();
    let mut v = new_vault(d.path());
    approvers(&mut v);
    let values = ["110105194912310025", "440524188001010014"];
    let (twin, tokens) = token_twin(&mut v, "acme", &values);

    let id = request(&mut v, &twin, &tokens, "alice", 3600).unwrap();
    assert!(
        matches!(execute(&mut v, &id), Err(VaultError::Refused(_))),
        "0 approvals"
    );
    let e = v
        .approve(&id, "alice", &pass("alice-secret"))
        .err()
        .unwrap();
    assert!(e.to_string().contains("cannot approve"), "{e}");
    let e = v.approve(&id, "bob", &pass("wrong")).err().unwrap();
    assert!(e.to_string().contains("wrong credential"), "{e}");
    let e = v.approve(&id, "mallory", &pass("x")).err().unwrap();
    assert!(e.to_string().contains("not a registered approver"), "{e}");
    v.approve(&id, "bob", &pass("bob-secret")).unwrap();
    let e = v.approve(&id, "BOB ", &pass("bob-secret")).err().unwrap();
    assert!(e.to_string().contains("already approved"), "{e}");
    assert!(
        matches!(execute(&mut v, &id), Err(VaultError::Refused(_))),
        "1 approval"
    );
    v.approve(&id, "carol", &pass("carol-secret")).unwrap();
    assert_eq!(execute(&mut v, &id).unwrap(), values);
    let e = execute(&mut v, &id).err().unwrap();
    assert!(e.to_string().contains("executed"), "single use: {e}");

    // Unknown tokens, missing purpose, denial and withdrawal.
    let e = request(&mut v, &twin, &["00".repeat(16)], "dave", 60)
        .err()
        .unwrap();
    assert!(e.to_string().contains("not pseudonyms"), "{e}");
    let id2 = request(&mut v, &twin, &tokens, "dave", 60).unwrap();
    v.deny(
        &id2,
        "alice",
        &pass("alice-secret"),
        "no court order attached",
    )
    .unwrap();
    assert!(v.approve(&id2, "bob", &pass("bob-secret")).is_err());
    let id3 = request(&mut v, &twin, &tokens, "dave", 60).unwrap();
    assert!(v.withdraw(&id3, "erin").is_err());
    assert_eq!(v.withdraw(&id3, "dave").unwrap().status, "withdrawn");

    let log = v.audit_entries().unwrap();
    let refused = log.iter().filter(|e| e.action == "relink.refused").count();
    assert!(refused >= 8, "every refusal is logged ({refused})");
    assert!(v.verify_audit().unwrap().intact);
    let text = serde_json::to_string(&log).unwrap();
    for x in values {
        assert!(!text.contains(x), "identities never enter the log");
    }
}

#[test]
fn expired_and_shredded_requests_are_refused() {
    let d = tempfile::tempdir().unwrap();
    let mut v = new_vault(d.path());
    approvers(&mut v);
    let (twin, tokens) = token_twin(&mut v, "acme", &["a1", "a2"]);
    let id = request(&mut v, &twin, &tokens, "dave", 1).unwrap();
    v.approve(&id, "alice", &pass("alice-secret")).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let e = v.approve(&id, "bob", &pass("bob-secret")).err().unwrap();
    assert!(e.to_string().contains("expired"), "{e}");
    assert_eq!(v.request(&id).unwrap().status, "expired");

    let id = request(&mut v, &twin, &tokens, "dave", 3600).unwrap();
    v.approve(&id, "alice", &pass("alice-secret")).unwrap();
    v.approve(&id, "bob", &pass("bob-secret")).unwrap();
    let shredded = v.destroy("acme", None).unwrap();
    assert_eq!(shredded.twins, vec![twin.clone()]);
    assert_eq!(shredded.token_index_entries, 2);
    let e = execute(&mut v, &id).err().unwrap();
    assert!(e.to_string().contains("destroyed"), "{e}");
    assert_eq!(v.twin(&twin).unwrap().status, "shredded");
    let e = request(&mut v, &twin, &tokens, "dave", 60).err().unwrap();
    assert!(e.to_string().contains("destroyed"), "{e}");
    // A new twin for the recipient gets a fresh key (version 2), logged as first use.
    assert_eq!(v.domain_keys("acme", "person").unwrap().key_ref.version, 2);
    assert!(v.verify_audit().unwrap().intact);
}

fn tamper(sql: &str) -> Vec<&'static str> {
    let d = tempfile::tempdir().unwrap();
    let mut v = new_vault(d.path());
    for i in 0..5 {
        v.log("test.event", serde_json::json!({ "i": i })).unwrap();
    }
    assert!(v.verify_audit().unwrap().intact);
    let c = rusqlite::Connection::open(Vault::file_in(d.path())).unwrap();
    c.execute_batch(sql).unwrap();
    drop(c);
    let r = v.verify_audit().unwrap();
    assert!(!r.intact, "{sql}");
    r.problems.iter().map(|p| p.kind).collect()
}

#[test]
fn audit_verify_names_each_kind_of_tampering() {
    assert_eq!(
        tamper("UPDATE audit SET detail = '{\"i\":9}' WHERE seq = 3"),
        vec!["edited"]
    );
    assert_eq!(tamper("DELETE FROM audit WHERE seq = 3"), vec!["deleted"]);
    assert!(tamper("DELETE FROM audit WHERE seq = 6").contains(&"deleted"));
    let swapped = tamper(
        "UPDATE audit SET seq = 100 WHERE seq = 3; UPDATE audit SET seq = 3 WHERE seq = 4;
         UPDATE audit SET seq = 4 WHERE seq = 100;",
    );
    assert!(swapped.contains(&"reordered"), "{swapped:?}");
    // An entry appended with a correct chain link but without the vault's key.
    let forged = {
        let d = tempfile::tempdir().unwrap();
        let mut v = new_vault(d.path());
        v.log("test.event", serde_json::json!({})).unwrap();
        let last = v.audit_entries().unwrap().pop().unwrap();
        let at = "2026-01-01T00:00:00Z";
        let detail = "{}";
        let canonical =
            serde_json::json!([last.seq + 1, at, "x", "relink.approved", detail, last.hash])
                .to_string();
        let hash = datavisa_vault::crypto::sha256_hex(canonical.as_bytes());
        let c = rusqlite::Connection::open(Vault::file_in(d.path())).unwrap();
        c.execute(
            "INSERT INTO audit VALUES (?1, ?2, 'x', 'relink.approved', ?3, ?4, ?5, ?6)",
            rusqlite::params![last.seq + 1, at, detail, last.hash, hash, hex(&[0u8; 32])],
        )
        .unwrap();
        v.verify_audit()
            .unwrap()
            .problems
            .iter()
            .map(|p| p.kind)
            .collect::<Vec<_>>()
    };
    assert!(
        forged.contains(&"forged") && forged.contains(&"inserted"),
        "{forged:?}"
    );
}

/// Someone with write access to vault.db (and the master key) edits the relink rows directly.
/// Every edit of the hardening run is refused at execution, and `audit verify` names it.
#[test]
fn relink_rows_edited_in_the_database_are_refused_and_named() {
    type Edit = fn(&rusqlite::Connection, &str, &[String]);
    let t = |n: &str| n.to_owned();
    let cases: Vec<(&str, bool, Edit)> = vec![
        ("approvals inserted by hand", false, |c, id, _| {
            c.execute_batch(&format!(
                "INSERT INTO approvals (request_id, approver, at) VALUES ('{id}', 'alice', 'x'), ('{id}', 'bob', 'x')"
            ))
            .unwrap();
        }),
        ("expiry extended", true, |c, id, _| {
            c.execute(
                "UPDATE relink_requests SET expires_unix = expires_unix + 86400 WHERE id = ?1",
                [id],
            )
            .unwrap();
        }),
        ("requested_by changed", true, |c, id, _| {
            c.execute(
                "UPDATE relink_requests SET requested_by = 'zoe' WHERE id = ?1",
                [id],
            )
            .unwrap();
        }),
        ("pseudonyms widened after approval", true, |c, id, all| {
            let json = serde_json::to_string(all).unwrap();
            c.execute(
                "UPDATE relink_requests SET pseudonyms = ?1, n_values = ?2 WHERE id = ?3",
                rusqlite::params![json, all.len() as i64, id],
            )
            .unwrap();
        }),
        ("status reset for a second execution", true, |c, id, _| {
            // Executed first (below, for this case), then reopened.
            c.execute(
                "UPDATE relink_requests SET status = 'pending', closed_at = NULL WHERE id = ?1",
                [id],
            )
            .unwrap();
        }),
        ("an entirely forged request", false, |c, _, all| {
            let twin: String = c
                .query_row("SELECT twin_id FROM relink_requests LIMIT 1", [], |r| {
                    r.get(0)
                })
                .unwrap();
            let json = serde_json::to_string(all).unwrap();
            c.execute(
                "INSERT INTO relink_requests (id, twin_id, column_name, pseudonyms, n_values, purpose,
                   legal_basis, requested_by, created_at, expires_at, expires_unix, status)
                 VALUES ('rl-forged', ?1, 'id', ?2, ?3, 'p', 'b', 'dave', 'x', 'x', 99999999999, 'pending')",
                rusqlite::params![twin, json, all.len() as i64],
            )
            .unwrap();
            c.execute_batch(
                "INSERT INTO approvals (request_id, approver, at) VALUES ('rl-forged', 'alice', 'x'), ('rl-forged', 'bob', 'x')",
            )
            .unwrap();
        }),
    ];
    for (name, approved, edit) in cases {
        let d = tempfile::tempdir().unwrap();
        let mut v = new_vault(d.path());
        approvers(&mut v);
        let values = ["110105194912310025", "440524188001010014"];
        let (twin, tokens) = token_twin(&mut v, "acme", &values);
        let id = request(&mut v, &twin, &tokens[..1], "dave", 3600).unwrap();
        if approved {
            v.approve(&id, "alice", &pass("alice-secret")).unwrap();
            v.approve(&id, "bob", &pass("bob-secret")).unwrap();
        }
        if name.starts_with("status reset") {
            execute(&mut v, &id).unwrap();
        }
        let c = rusqlite::Connection::open(Vault::file_in(d.path())).unwrap();
        edit(&c, &id, &tokens);
        drop(c);
        let target = if name.starts_with("an entirely") {
            t("rl-forged")
        } else {
            id.clone()
        };
        let e = execute(&mut v, &target).err();
        assert!(
            matches!(e, Some(VaultError::Refused(_))),
            "{name}: executed ({e:?})"
        );
        let r = v.verify_audit().unwrap();
        assert!(!r.intact, "{name}: audit verify says intact");
        assert!(
            r.problems.iter().any(|p| p.kind == "row_changed"),
            "{name}: {:?}",
            r.problems
        );
    }
}

/// An approver row copied under a new name, or a credential hash swapped for the insider's:
/// approvals made through them do not verify under the keys the chain recorded.
#[test]
fn copied_or_swapped_approver_credentials_do_not_count() {
    let d = tempfile::tempdir().unwrap();
    let mut v = new_vault(d.path());
    approvers(&mut v);
    let (twin, tokens) = token_twin(&mut v, "acme", &["a1", "a2"]);
    let id = request(&mut v, &twin, &tokens, "dave", 3600).unwrap();
    v.approve(&id, "alice", &pass("alice-secret")).unwrap();
    let c = rusqlite::Connection::open(Vault::file_in(d.path())).unwrap();
    // alice's row copied as alice2: one credential would count twice.
    c.execute_batch(
        "INSERT INTO approvers (name, salt, credential, added_at, sig_salt, public_key)
         SELECT 'alice2', salt, credential, added_at, sig_salt, public_key FROM approvers WHERE name = 'alice'",
    )
    .unwrap();
    // bob's credential hash swapped for the insider's own.
    let salt = [9u8; 16];
    let hash = datavisa_vault::crypto::argon2id(&pass("eve"), &salt, KDF).unwrap();
    c.execute(
        "UPDATE approvers SET salt = ?1, credential = ?2 WHERE name = 'bob'",
        rusqlite::params![hex(&salt), hex(&hash[..])],
    )
    .unwrap();
    drop(c);
    v.approve(&id, "alice2", &pass("alice-secret")).unwrap();
    v.approve(&id, "bob", &pass("eve")).unwrap();
    let e = execute(&mut v, &id).err();
    assert!(
        matches!(&e, Some(VaultError::Refused(m)) if m.contains("1 valid approval")),
        "{e:?}"
    );
    let r = v.verify_audit().unwrap();
    assert!(!r.intact);
    assert!(
        r.problems.iter().any(|p| p.message.contains("alice2")),
        "{:?}",
        r.problems
    );
}

/// A handle with an audit context adds its fields to every entry it writes, an entry's own
/// fields win, and the chain still verifies.
#[test]
fn an_audit_context_is_added_to_every_entry() {
    let d = tempfile::tempdir().unwrap();
    drop(new_vault(d.path()));
    let mut ctx = serde_json::Map::new();
    ctx.insert("token_prefix".into(), "dv_abcdefgh".into());
    ctx.insert("request".into(), "from-context".into());
    let mut v = Vault::open(d.path(), &pass("correct horse"), "ann")
        .unwrap()
        .with_audit_context(ctx);
    v.log("test.one", serde_json::json!({"request": "own"}))
        .unwrap();
    v.log("test.two", serde_json::json!({})).unwrap();
    let entries = v.audit_entries().unwrap();
    let one = entries.iter().find(|e| e.action == "test.one").unwrap();
    assert_eq!(one.detail["token_prefix"], "dv_abcdefgh");
    assert_eq!(one.detail["request"], "own");
    let two = entries.iter().find(|e| e.action == "test.two").unwrap();
    assert_eq!(two.detail["request"], "from-context");
    assert_eq!(two.actor, "ann");
    // Entries written before, by a plain handle, have no context.
    assert!(entries[0].detail.get("token_prefix").is_none());
    assert!(v.verify_audit().unwrap().intact);
}
