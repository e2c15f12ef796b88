//! The audit log: append-only, hash-chained (each entry commits to the previous entry's hash)
//! and keyed (each hash carries an HMAC under a vault secret, so someone with the file but not
//! the master key cannot rebuild the chain). A head record catches deleted last entries.

use crate::crypto::{ct_eq, hex, hmac_sha256, sha256_hex};
use crate::error::Result;
use crate::store::{rfc3339, set_meta, unix_now};
use rusqlite::{Connection, OptionalExtension, Transaction};
use serde::Serialize;
use std::collections::HashMap;

const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One audit entry as stored.
#[derive(Clone, Debug, Serialize)]
pub struct Entry {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub detail: serde_json::Value,
    pub prev: String,
    pub hash: String,
    #[serde(skip)]
    pub mac: String,
    #[serde(skip)]
    detail_text: String,
}

fn entry_hash(seq: i64, at: &str, actor: &str, action: &str, detail: &str, prev: &str) -> String {
    let canonical = serde_json::json!([seq, at, actor, action, detail, prev]).to_string();
    sha256_hex(canonical.as_bytes())
}

fn mac_of(key: &[u8], hash: &str) -> String {
    hex(&hmac_sha256(key, hash.as_bytes()))
}

fn head_mac(key: &[u8], seq: i64, hash: &str) -> String {
    hex(&hmac_sha256(key, format!("head:{seq}:{hash}").as_bytes()))
}

/// Appends an entry inside `tx` and moves the head to it.
pub(crate) fn append(
    tx: &Transaction,
    key: &[u8],
    actor: &str,
    action: &str,
    detail: serde_json::Value,
) -> Result<()> {
    let last: Option<(i64, String)> = tx
        .query_row(
            "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let (seq, prev) = last.map_or((1, GENESIS.to_owned()), |(s, h)| (s + 1, h));
    let at = rfc3339(unix_now());
    let detail = detail.to_string();
    let hash = entry_hash(seq, &at, actor, action, &detail, &prev);
    tx.execute(
        "INSERT INTO audit (seq, at, actor, action, detail, prev, hash, mac)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        rusqlite::params![
            seq,
            at,
            actor,
            action,
            detail,
            prev,
            hash,
            mac_of(key, &hash)
        ],
    )?;
    set_meta(
        tx,
        "audit_head",
        &format!("{seq}:{hash}:{}", head_mac(key, seq, &hash)),
    )?;
    Ok(())
}

/// Every entry in order of sequence number.
pub fn entries(conn: &Connection) -> Result<Vec<Entry>> {
    let mut st = conn.prepare(
        "SELECT seq, at, actor, action, detail, prev, hash, mac FROM audit ORDER BY seq",
    )?;
    let rows = st.query_map([], |r| {
        let detail_text: String = r.get(4)?;
        Ok(Entry {
            seq: r.get(0)?,
            at: r.get(1)?,
            actor: r.get(2)?,
            action: r.get(3)?,
            detail: serde_json::from_str(&detail_text).unwrap_or(serde_json::Value::Null),
            prev: r.get(5)?,
            hash: r.get(6)?,
            mac: r.get(7)?,
            detail_text,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// One thing wrong with the log.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Problem {
    /// Where it was found (sequence number as stored).
    pub seq: i64,
    /// `edited`, `deleted`, `reordered`, `inserted` or `forged`.
    pub kind: &'static str,
    pub message: String,
}

/// The result of checking the log.
#[derive(Clone, Debug, Serialize)]
pub struct Verification {
    pub entries: usize,
    pub intact: bool,
    pub problems: Vec<Problem>,
}

fn problem(seq: i64, kind: &'static str, message: String) -> Problem {
    Problem { seq, kind, message }
}

/// Checks the chain, every MAC and the head; names each entry that was edited, deleted,
/// reordered, inserted or forged.
pub fn verify(conn: &Connection, key: &[u8]) -> Result<Verification> {
    verify_entries(conn, key, &entries(conn)?)
}

/// [`verify`] on entries already read (callers that go on to read the chain use them once).
pub fn verify_entries(conn: &Connection, key: &[u8], list: &[Entry]) -> Result<Verification> {
    let by_hash: HashMap<&str, i64> = list.iter().map(|e| (e.hash.as_str(), e.seq)).collect();
    let mut problems = Vec::new();
    let mut expected_prev = GENESIS.to_owned();
    let mut expected_seq = 1i64;
    for e in list {
        let content_ok =
            entry_hash(e.seq, &e.at, &e.actor, &e.action, &e.detail_text, &e.prev) == e.hash;
        let mac_ok = ct_eq(mac_of(key, &e.hash).as_bytes(), e.mac.as_bytes());
        if e.seq > expected_seq {
            problems.push(problem(
                e.seq,
                "deleted",
                format!(
                    "entries {expected_seq}..{} are missing (deleted)",
                    e.seq - 1
                ),
            ));
        }
        // Where this entry was written, judged by the entry its chain link points to.
        let written_at = if e.prev == GENESIS {
            Some(1)
        } else {
            by_hash.get(e.prev.as_str()).map(|s| s + 1)
        };
        let moved = written_at.is_some_and(|w| {
            w != e.seq
                && entry_hash(w, &e.at, &e.actor, &e.action, &e.detail_text, &e.prev) == e.hash
        });
        if moved {
            problems.push(problem(
                e.seq,
                "reordered",
                format!(
                    "entry {} was written as entry {} (moved)",
                    e.seq,
                    written_at.unwrap_or_default()
                ),
            ));
        } else if !content_ok {
            problems.push(problem(
                e.seq,
                "edited",
                format!(
                    "entry {} ({}) was changed after it was written",
                    e.seq, e.action
                ),
            ));
        } else if !mac_ok {
            problems.push(problem(
                e.seq,
                "forged",
                format!(
                    "entry {} ({}) was not written by this vault (its MAC is wrong): inserted or rebuilt",
                    e.seq, e.action
                ),
            ));
        } else if e.prev != expected_prev && e.seq == expected_seq {
            problems.push(problem(
                e.seq,
                "inserted",
                format!("entry {} does not follow entry {}", e.seq, e.seq - 1),
            ));
        }
        expected_prev = e.hash.clone();
        expected_seq = e.seq + 1;
    }
    check_head(conn, key, list, &mut problems)?;
    Ok(Verification {
        entries: list.len(),
        intact: problems.is_empty(),
        problems,
    })
}

/// The head names the last entry written; entries after it were inserted, a head beyond the
/// last entry means the last entries were deleted.
fn check_head(conn: &Connection, key: &[u8], list: &[Entry], out: &mut Vec<Problem>) -> Result<()> {
    let head: Option<String> = conn
        .query_row(
            "SELECT value FROM meta WHERE name = 'audit_head'",
            [],
            |r| r.get(0),
        )
        .optional()?;
    let Some(head) = head else {
        out.push(problem(
            0,
            "deleted",
            "the log's head record is missing".into(),
        ));
        return Ok(());
    };
    let mut parts = head.splitn(3, ':');
    let seq: i64 = parts.next().and_then(|s| s.parse().ok()).unwrap_or(-1);
    let hash = parts.next().unwrap_or_default();
    let mac = parts.next().unwrap_or_default();
    if !ct_eq(head_mac(key, seq, hash).as_bytes(), mac.as_bytes()) {
        out.push(problem(
            seq,
            "forged",
            "the log's head record was rewritten".into(),
        ));
        return Ok(());
    }
    let last = list.last().map_or(0, |e| e.seq);
    if seq > last {
        out.push(problem(
            last + 1,
            "deleted",
            format!(
                "entries {}..{seq} at the end of the log were deleted",
                last + 1
            ),
        ));
    } else if seq < last {
        out.push(problem(
            seq + 1,
            "inserted",
            format!("entries after {seq} were added outside the vault"),
        ));
    } else if list.last().is_some_and(|e| e.hash != hash) {
        out.push(problem(
            seq,
            "edited",
            format!("entry {seq} is not the one the head records"),
        ));
    }
    Ok(())
}
