//! Per-(recipient, identifier domain) keys: created from the OS's secure random generator on
//! first use, stored only wrapped under the master key, versioned, rotated, destroyed.

use crate::crypto::{random_secret, DomainKeys, KeyRef};
use crate::error::{invalid, Result, VaultError};
use crate::store::{rfc3339, unix_now, Ctx, Vault};
use rusqlite::{OptionalExtension, Transaction};
use serde::Serialize;
use serde_json::json;

/// What the master key wraps a domain key to: binding it to its row so keys cannot be swapped.
pub(crate) fn key_label(vault_id: &str, recipient: &str, domain: &str, version: u32) -> String {
    format!("domain-key/{vault_id}/{recipient}/{domain}/{version}")
}

/// A key row: recipient, domain, version, wrapped root key (None once destroyed), destroyed at.
type StoredKey = (String, String, u32, Option<Vec<u8>>, Option<String>);

/// A key as listed: its identity and state, never its bytes.
#[derive(Clone, Debug, Serialize)]
pub struct KeyInfo {
    #[serde(flatten)]
    pub key_ref: KeyRef,
    pub created_at: String,
    /// `active` (used for new twins), `retired` (kept to relink older twins), `destroyed`.
    pub status: String,
    pub destroyed_at: Option<String>,
}

/// What `destroy` removed.
#[derive(Clone, Debug, Serialize)]
pub struct Shredded {
    pub keys: Vec<KeyRef>,
    pub token_index_entries: u64,
    pub twins: Vec<String>,
}

fn check_name(what: &str, s: &str) -> Result<()> {
    if s.trim().is_empty() || s.len() > 200 || s.chars().any(char::is_control) {
        return Err(invalid(format!(
            "{what} {s:?} must be 1-200 printable characters"
        )));
    }
    Ok(())
}

fn new_key(
    tx: &Transaction,
    ctx: &Ctx,
    recipient: &str,
    domain: &str,
    version: u32,
) -> Result<KeyRef> {
    let root = random_secret::<32>()?;
    let wrapped = ctx.master.wrap(
        &key_label(ctx.vault_id, recipient, domain, version),
        &root[..],
    )?;
    tx.execute(
        "INSERT INTO domain_keys (recipient, domain, version, created_at, status, wrapped)
         VALUES (?1, ?2, ?3, ?4, 'active', ?5)",
        rusqlite::params![recipient, domain, version, rfc3339(unix_now()), wrapped],
    )?;
    Ok(KeyRef {
        key_id: tx.last_insert_rowid(),
        recipient: recipient.into(),
        domain: domain.into(),
        version,
    })
}

fn active(tx: &Transaction, recipient: &str, domain: &str) -> rusqlite::Result<Option<(i64, u32)>> {
    tx.query_row(
        "SELECT id, version FROM domain_keys
         WHERE recipient = ?1 AND domain = ?2 AND status = 'active'",
        [recipient, domain],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .optional()
}

fn last_version(tx: &Transaction, recipient: &str, domain: &str) -> rusqlite::Result<u32> {
    tx.query_row(
        "SELECT COALESCE(MAX(version), 0) FROM domain_keys WHERE recipient = ?1 AND domain = ?2",
        [recipient, domain],
        |r| r.get(0),
    )
}

impl Vault {
    /// The active keys of (recipient, domain); created (and logged) on first use.
    pub fn domain_keys(&mut self, recipient: &str, domain: &str) -> Result<DomainKeys> {
        check_name("recipient", recipient)?;
        check_name("domain", domain)?;
        let key_id = self.write(|tx, ctx| {
            if let Some((id, _)) = active(tx, recipient, domain)? {
                return Ok(id);
            }
            let version = last_version(tx, recipient, domain)? + 1;
            let k = new_key(tx, ctx, recipient, domain, version)?;
            ctx.log(
                tx,
                "key.created",
                json!({"key": k, "reason": "first use for this recipient and domain"}),
            )?;
            Ok(k.key_id)
        })?;
        self.keys_by_id(key_id)
    }

    /// The keys of one stored version (to relink older twins); an error once destroyed.
    pub fn keys_by_id(&self, key_id: i64) -> Result<DomainKeys> {
        let row: Option<StoredKey> = self
            .conn
            .query_row(
                "SELECT recipient, domain, version, wrapped, destroyed_at FROM domain_keys
                 WHERE id = ?1",
                [key_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .optional()?;
        let (recipient, domain, version, wrapped, destroyed_at) =
            row.ok_or_else(|| VaultError::NotFound(format!("no key {key_id} in the vault")))?;
        let Some(wrapped) = wrapped else {
            return Err(VaultError::Shredded {
                recipient,
                domain,
                at: destroyed_at.unwrap_or_default(),
                what: format!("key version {version} no longer exists"),
            });
        };
        let root = self
            .master
            .unwrap(
                &key_label(&self.vault_id, &recipient, &domain, version),
                &wrapped,
            )
            .map_err(|e| VaultError::Corrupted {
                path: self.path.clone(),
                detail: e.to_string(),
            })?;
        let key_ref = KeyRef {
            key_id,
            recipient,
            domain,
            version,
        };
        Ok(DomainKeys::from_root(key_ref, &root))
    }

    /// Every key's identity and state.
    pub fn keys(&self) -> Result<Vec<KeyInfo>> {
        let mut st = self.conn.prepare(
            "SELECT id, recipient, domain, version, created_at, status, destroyed_at
             FROM domain_keys ORDER BY recipient, domain, version",
        )?;
        let rows = st.query_map([], |r| {
            Ok(KeyInfo {
                key_ref: KeyRef {
                    key_id: r.get(0)?,
                    recipient: r.get(1)?,
                    domain: r.get(2)?,
                    version: r.get(3)?,
                },
                created_at: r.get(4)?,
                status: r.get(5)?,
                destroyed_at: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Rotates the active keys of a recipient (one domain or all; every recipient when None):
    /// new versions become active, old ones are retired but kept for relinking older twins.
    pub fn rotate(&mut self, recipient: Option<&str>, domain: Option<&str>) -> Result<Vec<KeyRef>> {
        self.write(|tx, ctx| {
            let targets: Vec<(i64, String, String, u32)> = tx
                .prepare(
                    "SELECT id, recipient, domain, version FROM domain_keys
                     WHERE status = 'active' AND (?1 IS NULL OR recipient = ?1)
                       AND (?2 IS NULL OR domain = ?2)",
                )?
                .query_map(rusqlite::params![recipient, domain], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                })?
                .collect::<rusqlite::Result<_>>()?;
            if targets.is_empty() {
                return Err(VaultError::NotFound(format!(
                    "no active keys to rotate{}{}",
                    recipient.map_or(String::new(), |r| format!(" for recipient {r:?}")),
                    domain.map_or(String::new(), |d| format!(" in domain {d:?}")),
                )));
            }
            let mut out = Vec::new();
            for (id, r, d, v) in targets {
                tx.execute(
                    "UPDATE domain_keys SET status = 'retired' WHERE id = ?1",
                    [id],
                )?;
                let k = new_key(tx, ctx, &r, &d, v + 1)?;
                ctx.log(tx, "key.rotated", json!({"retired_key_id": id, "key": k}))?;
                out.push(k);
            }
            Ok(out)
        })
    }

    /// Crypto-shredding: destroys a recipient's keys (one domain or all) and their token index,
    /// so the twins made with them can never be relinked.
    pub fn destroy(&mut self, recipient: &str, domain: Option<&str>) -> Result<Shredded> {
        let out = self.write(|tx, ctx| {
            let keys: Vec<KeyRef> = tx
                .prepare(
                    "SELECT id, recipient, domain, version FROM domain_keys
                     WHERE recipient = ?1 AND (?2 IS NULL OR domain = ?2) AND wrapped IS NOT NULL",
                )?
                .query_map(rusqlite::params![recipient, domain], |r| {
                    Ok(KeyRef {
                        key_id: r.get(0)?,
                        recipient: r.get(1)?,
                        domain: r.get(2)?,
                        version: r.get(3)?,
                    })
                })?
                .collect::<rusqlite::Result<_>>()?;
            if keys.is_empty() {
                return Err(VaultError::NotFound(format!(
                    "recipient {recipient:?} has no keys{} to destroy",
                    domain.map_or(String::new(), |d| format!(" in domain {d:?}"))
                )));
            }
            let now = rfc3339(unix_now());
            let mut rows = 0u64;
            for k in &keys {
                rows += tx.query_row(
                    "SELECT COALESCE(SUM(entries), 0) FROM token_index WHERE key_id = ?1",
                    [k.key_id],
                    |r| r.get::<_, i64>(0),
                )? as u64;
                tx.execute("DELETE FROM token_index WHERE key_id = ?1", [k.key_id])?;
                tx.execute(
                    "UPDATE domain_keys SET wrapped = NULL, status = 'destroyed', destroyed_at = ?1
                     WHERE id = ?2",
                    rusqlite::params![now, k.key_id],
                )?;
            }
            let twins = crate::twins::twins_using(tx, &keys)?;
            let shredded = Shredded {
                keys,
                token_index_entries: rows,
                twins,
            };
            ctx.log(
                tx,
                "vault.destroyed",
                serde_json::to_value(&shredded).expect("plain"),
            )?;
            Ok(shredded)
        })?;
        // Free pages were zeroed by secure_delete; VACUUM also drops them from the file.
        self.conn.execute_batch("VACUUM")?;
        Ok(out)
    }
}
