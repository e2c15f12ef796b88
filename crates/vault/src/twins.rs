//! The pseudonymized twins the vault made keys for, their token index, and their status:
//! relinkable while their keys exist, shredded once destroyed.

use crate::crypto::{token_bytes_of, DomainKeys, IndexEntry, KeyRef};
use crate::error::{Result, VaultError};
use crate::store::Vault;
use rayon::prelude::*;
use rusqlite::{Connection, OptionalExtension, Transaction};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
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

/// The people of one column of a twin: each row's keyed person hash, packed by the ledger
/// (`datavisa_ledger::record::pack_rows`), and the check value of the ledger key that made them.
/// The vault stores them as given and never reads inside them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TwinPeople {
    pub column: String,
    pub key_check: String,
    pub hashes: Vec<u8>,
}

/// Whether a twin can still be relinked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyStatus {
    /// Every key it was made with exists.
    Relinkable,
    /// Some of its keys were destroyed.
    PartlyShredded,
    /// Every key it was made with was destroyed.
    Shredded,
    /// Nothing in it is reversible.
    NoKeys,
}

impl KeyStatus {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyStatus::Relinkable => "relinkable",
            KeyStatus::PartlyShredded => "partly_shredded",
            KeyStatus::Shredded => "shredded",
            KeyStatus::NoKeys => "no_keys",
        }
    }

    /// Whether no key that could restore it is left.
    pub fn irreversible(self) -> bool {
        matches!(self, KeyStatus::Shredded | KeyStatus::NoKeys)
    }
}

impl std::fmt::Display for KeyStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<&str> for KeyStatus {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// A twin with whether it can still be relinked.
#[derive(Clone, Debug, Serialize)]
pub struct TwinStatus {
    #[serde(flatten)]
    pub record: TwinRecord,
    /// Whether it can still be relinked.
    pub status: KeyStatus,
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
        (0, _) => KeyStatus::NoKeys,
        (_, 0) => KeyStatus::Shredded,
        (n, a) if a < n => KeyStatus::PartlyShredded,
        _ => KeyStatus::Relinkable,
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

/// Entries per token index chunk: one AES-SIV seal and one row per this many tokens.
const CHUNK: usize = 4096;

/// Where a chunk belongs, bound into its encryption so chunks cannot be moved between keys,
/// twins or positions.
fn chunk_ad(key_id: i64, twin_id: &str, chunk: i64) -> String {
    format!("token-index/{key_id}/{twin_id}/{chunk}")
}

fn encode_chunk(entries: &[&IndexEntry]) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(Vec::with_capacity(entries.len() * 40));
    for e in entries {
        out.extend_from_slice(&e.token);
        out.extend_from_slice(&(e.value.len() as u32).to_le_bytes());
        out.extend_from_slice(e.value.as_bytes());
    }
    out
}

/// A chunk in the directory: row id, twin, position, first and last token.
type ChunkRow = (i64, String, i64, Vec<u8>, Vec<u8>);

/// Token and value pairs of a decrypted chunk, in token order.
type Decoded = Vec<([u8; 16], Zeroizing<String>)>;

fn decode_chunk(mut b: &[u8]) -> Option<Decoded> {
    let mut out = Vec::new();
    while !b.is_empty() {
        let token: [u8; 16] = b.get(..16)?.try_into().ok()?;
        let len = u32::from_le_bytes(b.get(16..20)?.try_into().ok()?) as usize;
        let value = std::str::from_utf8(b.get(20..20 + len)?).ok()?;
        out.push((token, Zeroizing::new(value.to_owned())));
        b = &b[20 + len..];
    }
    Some(out)
}

/// Writes the token index of one twin: per key, entries sorted by token, deduplicated, sealed
/// in chunks (in parallel; the inserts are then a few hundred rows).
fn insert_index(
    tx: &Transaction,
    keys: &[&DomainKeys],
    twin_id: &str,
    index: &[(i64, IndexEntry)],
) -> Result<()> {
    let mut st = tx.prepare_cached(
        "INSERT INTO token_index (key_id, twin_id, chunk, first, last, entries, sealed)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for k in keys {
        let key_id = k.key_ref.key_id;
        let mut mine: Vec<&IndexEntry> = index
            .iter()
            .filter(|(id, _)| *id == key_id)
            .map(|(_, e)| e)
            .collect();
        mine.par_sort_unstable_by(|a, b| a.token.cmp(&b.token));
        mine.dedup_by(|a, b| a.token == b.token);
        let sealed: Vec<Vec<u8>> = mine
            .par_chunks(CHUNK)
            .enumerate()
            .map(|(n, chunk)| {
                k.seal_chunk(&chunk_ad(key_id, twin_id, n as i64), &encode_chunk(chunk))
            })
            .collect::<Result<_>>()?;
        for (n, (chunk, sealed)) in mine.chunks(CHUNK).zip(sealed).enumerate() {
            let (first, last) = (&chunk[0].token, &chunk[chunk.len() - 1].token);
            st.execute(rusqlite::params![
                key_id,
                twin_id,
                n as i64,
                &first[..],
                &last[..],
                chunk.len() as i64,
                sealed
            ])?;
        }
    }
    Ok(())
}

/// Looks tokens up in the index of `keys`: the chunk directory is read once, each chunk that
/// may hold a token is decrypted once.
pub(crate) fn lookup_many(
    conn: &Connection,
    keys: &DomainKeys,
    tokens: &[String],
) -> Result<Vec<Option<Zeroizing<String>>>> {
    let key_id = keys.key_ref.key_id;
    let mut st = conn.prepare_cached(
        "SELECT id, twin_id, chunk, first, last FROM token_index WHERE key_id = ?1 ORDER BY first",
    )?;
    let dir: Vec<ChunkRow> = st
        .query_map([key_id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut opened: HashMap<i64, Decoded> = HashMap::new();
    let mut out = Vec::with_capacity(tokens.len());
    for t in tokens {
        let Some(tb) = token_bytes_of(t) else {
            out.push(None);
            continue;
        };
        let mut found = None;
        // Chunks are sorted by first token; those starting after the token cannot hold it.
        let upto = dir.partition_point(|c| c.3.as_slice() <= &tb[..]);
        for (id, twin, chunk, _, last) in dir[..upto].iter().rev() {
            if last.as_slice() < &tb[..] {
                continue;
            }
            if !opened.contains_key(id) {
                let sealed: Vec<u8> =
                    conn.query_row("SELECT sealed FROM token_index WHERE id = ?1", [id], |r| {
                        r.get(0)
                    })?;
                let plain = keys.open_chunk(&chunk_ad(key_id, twin, *chunk), &sealed)?;
                let decoded = decode_chunk(&plain)
                    .ok_or_else(|| VaultError::Crypto("token index chunk is malformed".into()))?;
                opened.insert(*id, decoded);
            }
            let entries = &opened[id];
            if let Ok(i) = entries.binary_search_by(|(k, _)| k.cmp(&tb)) {
                found = Some(entries[i].1.clone());
                break;
            }
        }
        out.push(found);
    }
    Ok(out)
}

fn insert_people(tx: &Transaction, twin_id: &str, people: &[TwinPeople]) -> Result<()> {
    let mut st = tx.prepare_cached(
        "INSERT INTO twin_people (twin_id, column_name, key_check, hashes) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for p in people {
        st.execute(rusqlite::params![twin_id, p.column, p.key_check, p.hashes])?;
    }
    Ok(())
}

impl Vault {
    /// Records a twin and its token index (rows of `(key id, entry)`, sealed with `keys`) in
    /// one transaction.
    pub fn register_twin(
        &mut self,
        record: &TwinRecord,
        keys: &[&DomainKeys],
        index: &[(i64, IndexEntry)],
    ) -> Result<()> {
        self.register_twin_with_people(record, keys, index, &[])
    }

    /// Records a twin, its token index and its people (per identifying column) in one
    /// transaction: a twin is registered with its people or not at all.
    pub fn register_twin_with_people(
        &mut self,
        record: &TwinRecord,
        keys: &[&DomainKeys],
        index: &[(i64, IndexEntry)],
        people: &[TwinPeople],
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
            insert_index(tx, keys, &record.id, index)?;
            insert_people(tx, &record.id, people)?;
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
                    "people_columns": people.iter().map(|p| &p.column).collect::<Vec<_>>(),
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

    /// The twin whose content hashes to `sha256`, if this vault made it (the latest, should
    /// one content have been registered twice).
    pub fn twin_by_output(&self, sha256: &str) -> Result<Option<TwinStatus>> {
        let json: Option<String> = self
            .conn
            .query_row(
                "SELECT columns FROM twins WHERE output_sha256 = ?1 ORDER BY created_at DESC, id DESC LIMIT 1",
                [sha256],
                |r| r.get(0),
            )
            .optional()?;
        json.map(|j| status_of(&self.conn, parse_record(j)?))
            .transpose()
    }

    /// The people recorded for a twin, per column (none for a twin made before format 3).
    pub fn twin_people(&self, twin_id: &str) -> Result<Vec<TwinPeople>> {
        let mut st = self.conn.prepare(
            "SELECT column_name, key_check, hashes FROM twin_people WHERE twin_id = ?1 ORDER BY column_name",
        )?;
        let rows = st
            .query_map([twin_id], |r| {
                Ok(TwinPeople {
                    column: r.get(0)?,
                    key_check: r.get(1)?,
                    hashes: r.get(2)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// The tokens among `tokens` that the index of `keys` does not hold.
    pub fn unknown_tokens<'a>(
        &self,
        keys: &DomainKeys,
        tokens: &'a [String],
    ) -> Result<Vec<&'a str>> {
        let found = lookup_many(&self.conn, keys, tokens)?;
        Ok(tokens
            .iter()
            .zip(found)
            .filter(|(_, f)| f.is_none())
            .map(|(t, _)| t.as_str())
            .collect())
    }
}
