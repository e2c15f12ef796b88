//! The ledger file (`<store>/ledger.db`) and its secret (`<store>/ledger.key`, owner-only) that
//! keys the person hashes; migrations from `migrations/`, in order.

use crate::error::{invalid, LedgerError, Result};
use rusqlite::{Connection, ErrorCode, OptionalExtension, Transaction, TransactionBehavior};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Duration;
use zeroize::Zeroizing;

/// The ledger's 32-byte secret that keys the person hashes; wiped when dropped.
pub(crate) type Key = Zeroizing<[u8; 32]>;

/// The migrations, in order; `PRAGMA user_version` is the number applied.
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/0001_init.sql"),
    include_str!("../migrations/0002_filing_scope.sql"),
    include_str!("../migrations/0003_visa.sql"),
    include_str!("../migrations/0004_key_check.sql"),
    include_str!("../migrations/0005_recipient_legal_name.sql"),
];

/// What the key check value is an HMAC of.
const KEY_CHECK_LABEL: &[u8] = b"datavisa ledger key check v1";

/// The schema version this build writes.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// How long a writer waits for another process before giving up (record is short; a second
/// recorder waits rather than losing its update).
const BUSY_WAIT: Duration = Duration::from_secs(30);

/// An exporter (a legal entity that sends PI abroad).
#[derive(Clone, Debug, Serialize)]
pub struct Exporter {
    pub id: i64,
    pub name: String,
    pub ciio: bool,
    pub group: Option<String>,
    pub ftz: Option<String>,
}

/// A recipient abroad.
#[derive(Clone, Debug, Serialize)]
pub struct Recipient {
    pub id: i64,
    /// The recipient's id, the same as the spec's recipient id and the register's.
    pub name: String,
    pub jurisdiction: String,
    /// Its legal name, as the contract names it.
    pub legal_name: Option<String>,
}

/// An open ledger.
pub struct Ledger {
    pub(crate) conn: Connection,
    pub(crate) path: PathBuf,
    pub(crate) key: Key,
}

/// Today's date, `YYYY-MM-DD` (UTC).
pub fn today() -> String {
    datavisa_table::date::format_date(datavisa_table::date::today())
}

/// Now, RFC 3339 UTC.
pub fn now() -> String {
    datavisa_vault::store::rfc3339(datavisa_vault::store::unix_now())
}

pub(crate) fn sql_err(path: &Path, e: rusqlite::Error) -> LedgerError {
    match e.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
            LedgerError::Locked { path: path.into() }
        }
        Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => LedgerError::Corrupt {
            path: path.into(),
            detail: e.to_string(),
        },
        _ => LedgerError::Sql(e),
    }
}

fn read_or_create_key(path: &Path) -> Result<Key> {
    let io = |e| LedgerError::Io {
        path: path.into(),
        source: e,
    };
    if !path.exists() {
        let k =
            datavisa_vault::crypto::random_secret::<32>().map_err(|e| invalid(e.to_string()))?;
        let mut f = match datavisa_vault::store::create_private_file(path) {
            Ok(f) => f,
            // Another process created it first: use theirs.
            Err(_) if path.exists() => return read_or_create_key(path),
            Err(e) => return Err(invalid(e.to_string())),
        };
        std::io::Write::write_all(&mut f, &k[..]).map_err(io)?;
        f.sync_all().map_err(io)?;
    }
    let bytes = std::fs::read(path).map_err(io)?;
    let arr: [u8; 32] = bytes.as_slice().try_into().map_err(|_| {
        invalid(format!(
            "{}: the ledger key must be 32 bytes",
            path.display()
        ))
    })?;
    Ok(Zeroizing::new(arr))
}

impl Ledger {
    /// Opens (creating if needed) the ledger in `store`, applying pending migrations.
    pub fn open(store: &Path) -> Result<Ledger> {
        datavisa_vault::store::create_store_dir(store).map_err(|e| invalid(e.to_string()))?;
        let path = store.join("ledger.db");
        let key_path = store.join("ledger.key");
        datavisa_vault::store::ensure_private_file(&path).map_err(|e| invalid(e.to_string()))?;
        let conn = Connection::open(&path).map_err(|e| sql_err(&path, e))?;
        conn.busy_timeout(BUSY_WAIT)
            .map_err(|e| sql_err(&path, e))?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        let mut l = Ledger {
            conn,
            path,
            key: Zeroizing::new([0u8; 32]),
        };
        l.migrate()?;
        if !key_path.exists() && l.has_people()? {
            return Err(invalid(format!(
                "{}: the ledger key is missing, and {} already holds people hashed with it; restore the key from a backup (a new key would count every one of them again)",
                key_path.display(),
                l.path.display()
            )));
        }
        l.key = read_or_create_key(&key_path)?;
        l.check_key(&key_path)?;
        Ok(l)
    }

    /// Whether any person or transfer is recorded (their hashes depend on the key).
    fn has_people(&self) -> Result<bool> {
        let n: i64 = self.conn.query_row(
            "SELECT (SELECT COUNT(*) FROM persons) + (SELECT COUNT(*) FROM transfers)",
            [],
            |r| r.get(0),
        )?;
        Ok(n > 0)
    }

    /// Compares the key with the check value stored in the ledger (storing it on first use).
    fn check_key(&self, key_path: &Path) -> Result<()> {
        let check = self.key_check();
        let stored: Option<String> = self
            .conn
            .query_row(
                "SELECT value FROM ledger_meta WHERE name = 'key_check'",
                [],
                |r| r.get(0),
            )
            .optional()?;
        match stored {
            Some(s) if datavisa_vault::crypto::ct_eq(s.as_bytes(), check.as_bytes()) => Ok(()),
            Some(_) => Err(invalid(format!(
                "{}: this is not the key of {} (its check value differs); restore the ledger's own key",
                key_path.display(),
                self.path.display()
            ))),
            None => {
                self.conn.execute(
                    "INSERT OR IGNORE INTO ledger_meta (name, value) VALUES ('key_check', ?1)",
                    [check],
                )?;
                Ok(())
            }
        }
    }

    /// The key's check value (an HMAC of a fixed label): names the key without revealing it,
    /// so hashes made elsewhere with this key can be told from hashes of another key.
    pub fn key_check(&self) -> String {
        datavisa_table::hex(&datavisa_vault::crypto::hmac_sha256(
            &self.key[..],
            KEY_CHECK_LABEL,
        ))
    }

    fn migrate(&mut self) -> Result<()> {
        let path = self.path.clone();
        match datavisa_vault::store::migrate(&mut self.conn, MIGRATIONS)
            .map_err(|e| sql_err(&path, e))?
        {
            Ok(()) => Ok(()),
            Err(found) => Err(LedgerError::NewerSchema {
                path,
                found,
                supported: SCHEMA_VERSION,
            }),
        }
    }

    /// The ledger file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `f` in a write transaction that waits for other writers.
    pub(crate) fn write<T>(&mut self, f: impl FnOnce(&Transaction) -> Result<T>) -> Result<T> {
        let path = self.path.clone();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| sql_err(&path, e))?;
        let out = f(&tx)?;
        tx.commit().map_err(|e| sql_err(&path, e))?;
        Ok(out)
    }

    /// Registers an exporter.
    pub fn add_exporter(
        &mut self,
        name: &str,
        ciio: bool,
        group: Option<&str>,
        ftz: Option<&str>,
    ) -> Result<Exporter> {
        check_name("exporter", name)?;
        self.insert_named(
            "exporter",
            name,
            "INSERT INTO exporters (name, ciio, grp, ftz, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            rusqlite::params![name.trim(), ciio, group, ftz, now()],
        )?;
        self.exporter(name)
    }

    /// Registers a recipient.
    pub fn add_recipient(&mut self, name: &str, jurisdiction: &str) -> Result<Recipient> {
        self.add_recipient_named(name, jurisdiction, None)
    }

    /// Registers a recipient by its id (the spec's recipient id) with its legal name.
    pub fn add_recipient_named(
        &mut self,
        name: &str,
        jurisdiction: &str,
        legal_name: Option<&str>,
    ) -> Result<Recipient> {
        let legal_name = legal_name.map(str::trim).filter(|n| !n.is_empty());
        check_name("recipient", name)?;
        let j = jurisdiction.trim().to_ascii_uppercase();
        if j.len() != 2 || !j.chars().all(|c| c.is_ascii_alphabetic()) {
            return Err(invalid(format!(
                "jurisdiction {jurisdiction:?}: give a two-letter country code (e.g. SG, DE, US)"
            )));
        }
        self.insert_named(
            "recipient",
            name,
            "INSERT INTO recipients (name, jurisdiction, created_at, legal_name) VALUES (?1, ?2, ?3, ?4)",
            rusqlite::params![name.trim(), j, now(), legal_name],
        )?;
        self.recipient(name)
    }

    /// Inserts a named entity; a second one of the same name is refused by name.
    fn insert_named(
        &mut self,
        what: &str,
        name: &str,
        sql: &str,
        params: impl rusqlite::Params,
    ) -> Result<()> {
        self.write(|tx| {
            tx.execute(sql, params)
                .map_err(|e| match e.sqlite_error_code() {
                    Some(ErrorCode::ConstraintViolation) => {
                        invalid(format!("{what} {name:?} is already registered"))
                    }
                    _ => e.into(),
                })?;
            Ok(())
        })
    }

    /// An exporter by name.
    pub fn exporter(&self, name: &str) -> Result<Exporter> {
        self.conn
            .query_row(
                &format!("{EXPORTERS} WHERE name = ?1"),
                [name.trim()],
                Exporter::from_row,
            )
            .optional()?
            .ok_or_else(|| LedgerError::Unknown {
                what: "exporter",
                name: name.into(),
            })
    }

    /// A recipient by name.
    pub fn recipient(&self, name: &str) -> Result<Recipient> {
        self.conn
            .query_row(
                &format!("{RECIPIENTS} WHERE name = ?1"),
                [name.trim()],
                Recipient::from_row,
            )
            .optional()?
            .ok_or_else(|| LedgerError::Unknown {
                what: "recipient",
                name: name.into(),
            })
    }

    /// Every exporter.
    pub fn exporters(&self) -> Result<Vec<Exporter>> {
        let mut st = self.conn.prepare(&format!("{EXPORTERS} ORDER BY name"))?;
        let rows = st.query_map([], Exporter::from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Every recipient.
    pub fn recipients(&self) -> Result<Vec<Recipient>> {
        let mut st = self.conn.prepare(&format!("{RECIPIENTS} ORDER BY name"))?;
        let rows = st.query_map([], Recipient::from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

const EXPORTERS: &str = "SELECT id, name, ciio, grp, ftz FROM exporters";
const RECIPIENTS: &str = "SELECT id, name, jurisdiction, legal_name FROM recipients";

impl Exporter {
    fn from_row(r: &rusqlite::Row) -> rusqlite::Result<Exporter> {
        Ok(Exporter {
            id: r.get(0)?,
            name: r.get(1)?,
            ciio: r.get(2)?,
            group: r.get(3)?,
            ftz: r.get(4)?,
        })
    }
}

impl Recipient {
    fn from_row(r: &rusqlite::Row) -> rusqlite::Result<Recipient> {
        Ok(Recipient {
            id: r.get(0)?,
            name: r.get(1)?,
            jurisdiction: r.get(2)?,
            legal_name: r.get(3)?,
        })
    }
}

fn check_name(what: &str, s: &str) -> Result<()> {
    if s.trim().is_empty() || s.chars().any(char::is_control) {
        return Err(invalid(format!(
            "{what} name {s:?} must be printable and not empty"
        )));
    }
    Ok(())
}
