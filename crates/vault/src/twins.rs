//! The pseudonymized twins the vault made keys for, their token index, and their status:
//! relinkable while their keys exist, shredded once destroyed.

use crate::crypto::{token_bytes_of, DomainKeys, IndexEntry, KeyRef};
use crate::error::{Result, VaultError};
use crate::store::Vault;
use rusqlite::{Connection, OptionalExtension, Transaction};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

/// One column of a pseudonymized twin: how it was transformed and with which key.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TwinColumn {
    pub column: String,
    pub method: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<KeyRef>,
    /// Method parameters (format, kept digits, ...), as the manifest records them.
    #[serde(default)]
    pub params: serde_json::Value,
}

/// A pseudonymized twin as the vault knows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TwinRecord {
    pub id: String,
    pub recipient: String,
    pub created_at: String,
    pub output: String,
    pub output_sha256: String,
    pub source_sha256: String,
    pub rows: u64,
    pub columns: Vec<TwinColumn>,
}

/// A twin with whether it can still be relinked.
#[derive(Clone, Debug, Serialize)]
pub struct TwinStatus {
    #[serde(flatten)]
    pub record: TwinRecord,
    /// `relinkable`, `partly_shredded`, `shredded`, or `no_keys` (nothing reversible in it).
    pub status: &'static str,
    pub destroyed_keys: Vec<KeyRef>,
}

impl TwinRecord {
    /// The keyed column named `column`.
    pub fn column(&self, column: &str) -> Result<&TwinColumn> {
        self.columns
            .iter()
            .find(|c| c.column == column)
            .ok_or_else(|| {
                VaultError::NotFound(format!(
                    "twin {} has no column {column:?} (it has: {})",
                    self.id,
                    self.columns
                        .iter()
                        .map(|c| c.column.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })
    }
}

fn destroyed(conn: &Connection, key: &KeyRef) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT wrapped IS NULL FROM domain_keys WHERE id = ?1",
        [key.key_id],
        |r| r.get(0),
    )
    .optional()
    .map(|d| d.unwrap_or(true))
}

fn status_of(conn: &Connection, record: TwinRecord) -> Result<TwinStatus> {
    let keyed: Vec<&KeyRef> = record
        .columns
        .iter()
        .filter_map(|c| c.key.as_ref())
        .collect();
    let mut gone = Vec::new();
    for k in &keyed {
        if destroyed(conn, k)? && !gone.contains(*k) {
            gone.push((*k).clone());
        }
    }
    let alive = keyed.iter().filter(|k| !gone.contains(k)).count();
    let status = match (keyed.len(), alive) {
        (0, _) => "no_keys",
        (_, 0) => "shredded",
        (n, a) if a < n => "partly_shredded",
        _ => "relinkable",
    };
    Ok(TwinStatus {
        record,
        status,
        destroyed_keys: gone,
    })
}

fn parse_record(json: String) -> rusqlite::Result<TwinRecord> {
    serde_json::from_str(&json).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })
}

/// Twins with a column made with one of `keys`.
pub(crate) fn twins_using(tx: &Transaction, keys: &[KeyRef]) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let mut st = tx.prepare("SELECT columns FROM twins ORDER BY created_at, id")?;
    for json in st.query_map([], |r| r.get::<_, String>(0))? {
        let rec = parse_record(json?)?;
        if rec.columns.iter().any(|c| {
            c.key
                .as_ref()
                .is_some_and(|k| keys.iter().any(|x| x.key_id == k.key_id))
        }) {
            out.push(rec.id);
        }
    }
    Ok(out)
}

/// The value behind a token, if the index has it.
pub(crate) fn lookup(
    conn: &Connection,
    keys: &DomainKeys,
    token: &str,
) -> Result<Option<Zeroizing<String>>> {
    let Some(t) = token_bytes_of(token) else {
        return Ok(None);
    };
    let sealed: Option<Vec<u8>> = conn
        .prepare_cached("SELECT value FROM token_index WHERE key_id = ?1 AND token = ?2")?
        .query_row(rusqlite::params![keys.key_ref.key_id, &t[..]], |r| r.get(0))
        .optional()?;
    let Some(sealed) = sealed else {
        return Ok(None);
    };
    let v = keys.index_open(&sealed)?;
    String::from_utf8(v.to_vec())
        .map(|s| Some(Zeroizing::new(s)))
        .map_err(|_| VaultError::Crypto("token index value is not UTF-8".into()))
}

impl Vault {
    /// Records a twin and its token index (rows of `(key id, entry)`) in one transaction.
    pub fn register_twin(
        &mut self,
        record: &TwinRecord,
        index: &[(i64, IndexEntry)],
    ) -> Result<()> {
        self.write(|tx, ctx| {
            tx.execute(
                "INSERT INTO twins (id, recipient, created_at, output, output_sha256, source_sha256, rows, columns)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                rusqlite::params![
                    record.id,
                    record.recipient,
                    record.created_at,
                    record.output,
                    record.output_sha256,
                    record.source_sha256,
                    record.rows as i64,
                    serde_json::to_string(record).expect("plain struct"),
                ],
            )?;
            let mut st = tx.prepare_cached(
                "INSERT OR IGNORE INTO token_index (key_id, token, value) VALUES (?1, ?2, ?3)",
            )?;
            for (key_id, e) in index {
                st.execute(rusqlite::params![key_id, &e.token[..], e.sealed])?;
            }
            let columns: Vec<_> = record
                .columns
                .iter()
                .map(|c| serde_json::json!({"column": c.column, "method": c.method, "key": c.key}))
                .collect();
            ctx.log(
                tx,
                "twin.pseudonymized",
                serde_json::json!({
                    "twin": record.id, "recipient": record.recipient, "rows": record.rows,
                    "source_sha256": record.source_sha256, "output_sha256": record.output_sha256,
                    "columns": columns, "token_index_entries": index.len(),
                }),
            )
        })
    }

    /// One twin and its status.
    pub fn twin(&self, id: &str) -> Result<TwinStatus> {
        let json: Option<String> = self
            .conn
            .query_row("SELECT columns FROM twins WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .optional()?;
        let json = json.ok_or_else(|| {
            VaultError::NotFound(format!("twin {id} is not registered in this vault"))
        })?;
        status_of(&self.conn, parse_record(json)?)
    }

    /// Every twin and its status, oldest first.
    pub fn twins(&self) -> Result<Vec<TwinStatus>> {
        let mut st = self
            .conn
            .prepare("SELECT columns FROM twins ORDER BY created_at, id")?;
        let records: Vec<TwinRecord> = st
            .query_map([], |r| parse_record(r.get(0)?))?
            .collect::<rusqlite::Result<_>>()?;
        records
            .into_iter()
            .map(|r| status_of(&self.conn, r))
            .collect()
    }

    /// The tokens among `tokens` that the index of `key_id` does not hold.
    pub fn unknown_tokens<'a>(&self, key_id: i64, tokens: &'a [String]) -> Result<Vec<&'a str>> {
        let mut st = self
            .conn
            .prepare_cached("SELECT 1 FROM token_index WHERE key_id = ?1 AND token = ?2")?;
        let mut out = Vec::new();
        for t in tokens {
            let known = match token_bytes_of(t) {
                Some(b) => st.exists(rusqlite::params![key_id, &b[..]])?,
                None => false,
            };
            if !known {
                out.push(t.as_str());
            }
        }
        Ok(out)
    }
}
