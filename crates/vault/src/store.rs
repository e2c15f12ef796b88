//! The vault file: a SQLite database under the store directory, created owner-only, opened only
//! after its format, integrity and master key are checked, written only in transactions.

use crate::audit;
use crate::crypto::{random_id, random_secret, KdfParams, MasterKeys, Passphrase};
use crate::error::{Result, VaultError};
use rusqlite::{
    Connection, ErrorCode, OpenFlags, OptionalExtension, Transaction, TransactionBehavior,
};
use std::path::{Path, PathBuf};
use std::time::Duration;
use zeroize::Zeroizing;

/// The vault format this build reads and writes (1: before signed approvals; 2: before the
/// people of twins; older formats are opened and upgraded in place).
pub const FORMAT_VERSION: u32 = 3;

/// Format 2: approvers' signing-key salts and public keys, request content hashes and
/// approval signatures.
const UPGRADE_V2: &str = "
ALTER TABLE approvers ADD COLUMN sig_salt TEXT;
ALTER TABLE approvers ADD COLUMN public_key TEXT;
ALTER TABLE relink_requests ADD COLUMN content_sha256 TEXT;
ALTER TABLE approvals ADD COLUMN signature TEXT;
";

/// Format 3: each pseudonymized twin's rows as the ledger's keyed person hashes, per column
/// that identifies a person, so a transfer of the twin counts people rather than tokens.
const UPGRADE_V3: &str = "
CREATE TABLE twin_people (
    twin_id TEXT NOT NULL,
    column_name TEXT NOT NULL,
    key_check TEXT NOT NULL,
    hashes BLOB NOT NULL,
    PRIMARY KEY (twin_id, column_name)
);
";

/// File name of the vault inside the store directory.
pub const VAULT_FILE: &str = "vault.db";

/// How long a command waits for another process holding the vault before giving up.
const BUSY_WAIT: Duration = Duration::from_secs(3);

const SCHEMA_V1: &str = "
CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE domain_keys (
    id INTEGER PRIMARY KEY,
    recipient TEXT NOT NULL,
    domain TEXT NOT NULL,
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    status TEXT NOT NULL,
    wrapped BLOB,
    destroyed_at TEXT,
    UNIQUE (recipient, domain, version)
);
CREATE TABLE token_index (
    id INTEGER PRIMARY KEY,
    key_id INTEGER NOT NULL,
    twin_id TEXT NOT NULL,
    chunk INTEGER NOT NULL,
    first BLOB NOT NULL,
    last BLOB NOT NULL,
    entries INTEGER NOT NULL,
    sealed BLOB NOT NULL
);
CREATE INDEX token_index_key ON token_index (key_id, first);
CREATE TABLE twins (
    id TEXT PRIMARY KEY,
    recipient TEXT NOT NULL,
    created_at TEXT NOT NULL,
    output TEXT NOT NULL,
    output_sha256 TEXT NOT NULL,
    source_sha256 TEXT NOT NULL,
    rows INTEGER NOT NULL,
    columns TEXT NOT NULL
);
CREATE TABLE approvers (
    name TEXT PRIMARY KEY,
    salt TEXT NOT NULL,
    credential TEXT NOT NULL,
    added_at TEXT NOT NULL,
    removed_at TEXT
);
CREATE TABLE relink_requests (
    id TEXT PRIMARY KEY,
    twin_id TEXT NOT NULL,
    column_name TEXT NOT NULL,
    pseudonyms TEXT NOT NULL,
    n_values INTEGER NOT NULL,
    purpose TEXT NOT NULL,
    legal_basis TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    expires_unix INTEGER NOT NULL,
    status TEXT NOT NULL,
    closed_at TEXT,
    closed_by TEXT,
    reason TEXT
);
CREATE TABLE approvals (
    request_id TEXT NOT NULL,
    approver TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (request_id, approver)
);
CREATE TABLE audit (
    seq INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL,
    prev TEXT NOT NULL,
    hash TEXT NOT NULL,
    mac TEXT NOT NULL
);
";

/// An open, unlocked vault.
pub struct Vault {
    pub(crate) conn: Connection,
    pub(crate) path: PathBuf,
    pub(crate) master: MasterKeys,
    pub(crate) audit_key: Zeroizing<Vec<u8>>,
    pub(crate) vault_id: String,
    /// Who is acting (recorded in the audit log).
    pub actor: String,
    /// Fields added to every audit entry this handle writes (a server's token prefix and
    /// request id), so each step names the request that made it.
    pub(crate) context: serde_json::Map<String, serde_json::Value>,
}

/// Seconds since the Unix epoch, now.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// RFC 3339 UTC time of Unix seconds.
pub fn rfc3339(secs: i64) -> String {
    datavisa_table::date::format_datetime(secs as f64).replace(' ', "T") + "Z"
}

/// Maps SQLite failures to what they mean for a vault at `path`.
pub(crate) fn sql_err(path: &Path, e: rusqlite::Error) -> VaultError {
    match e.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
            VaultError::Locked { path: path.into() }
        }
        Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => VaultError::Corrupted {
            path: path.into(),
            detail: e.to_string(),
        },
        _ => VaultError::Sql(e),
    }
}

/// Creates the store directory owner-only if it does not exist.
pub fn create_store_dir(dir: &Path) -> Result<()> {
    if dir.is_dir() {
        // A store made (or copied) with loose permissions is tightened: its files hold keys,
        // person hashes and assessments.
        tighten(dir, 0o700);
        return Ok(());
    }
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    b.create(dir).map_err(|e| VaultError::Io {
        path: dir.into(),
        source: e,
    })
}

/// Creates an empty file readable and writable by its owner only; fails if it exists.
pub fn create_private_file(path: &Path) -> Result<std::fs::File> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    o.open(path).map_err(|e| VaultError::Io {
        path: path.into(),
        source: e,
    })
}

/// Removes group and other access from `path` if it has any (best effort; unix only).
fn tighten(path: &Path, mode: u32) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(m) = std::fs::metadata(path) {
            if m.permissions().mode() & 0o077 != 0 {
                let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode));
            }
        }
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
}

/// Creates an empty owner-only file unless the file exists (or another process just made it);
/// an existing one readable by others is tightened to owner-only.
pub fn ensure_private_file(path: &Path) -> Result<()> {
    match create_private_file(path) {
        Err(VaultError::Io { source, .. })
            if source.kind() == std::io::ErrorKind::AlreadyExists =>
        {
            tighten(path, 0o600);
            Ok(())
        }
        other => other.map(drop),
    }
}

/// Applies, in one immediate transaction, the migrations a database has not had yet (`PRAGMA
/// user_version` counts those applied). `Ok(Err(found))` means the file is newer than `migrations`.
pub fn migrate(
    conn: &mut Connection,
    migrations: &[&str],
) -> rusqlite::Result<std::result::Result<(), u32>> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let version: u32 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version as usize > migrations.len() {
        return Ok(Err(version));
    }
    for m in &migrations[version as usize..] {
        tx.execute_batch(m)?;
    }
    tx.pragma_update(None, "user_version", migrations.len() as u32)?;
    tx.commit()?;
    Ok(Ok(()))
}

fn configure(conn: &Connection, path: &Path) -> Result<()> {
    conn.busy_timeout(BUSY_WAIT).map_err(|e| sql_err(path, e))?;
    // Deleted rows (destroyed keys, token indexes) are overwritten, not left in free pages.
    conn.pragma_update(None, "secure_delete", "ON")
        .map_err(|e| sql_err(path, e))?;
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(|e| sql_err(path, e))?;
    Ok(())
}

fn get_meta(conn: &Connection, name: &str) -> rusqlite::Result<Option<String>> {
    conn.query_row("SELECT value FROM meta WHERE name = ?1", [name], |r| {
        r.get(0)
    })
    .optional()
}

pub(crate) fn set_meta(tx: &Transaction, name: &str, value: &str) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO meta (name, value) VALUES (?1, ?2)
         ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        [name, value],
    )
    .map(|_| ())
}

impl Vault {
    /// The vault file of a store directory.
    pub fn file_in(store: &Path) -> PathBuf {
        store.join(VAULT_FILE)
    }

    /// Creates a new vault in `store`, protected by `pass`.
    pub fn init(store: &Path, pass: &Passphrase, kdf: KdfParams, actor: &str) -> Result<Vault> {
        kdf.check()?;
        let path = Self::file_in(store);
        if path.exists() {
            return Err(VaultError::Exists { path });
        }
        create_store_dir(store)?;
        drop(create_private_file(&path)?);
        let made = Self::create(&path, pass, kdf, actor);
        if made.is_err() {
            let _ = std::fs::remove_file(&path);
        }
        made
    }

    fn create(path: &Path, pass: &Passphrase, kdf: KdfParams, actor: &str) -> Result<Vault> {
        let mut conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE)
            .map_err(|e| sql_err(path, e))?;
        configure(&conn, path)?;
        let salt = random_secret::<16>()?;
        let master = MasterKeys::derive(pass, &salt[..], kdf)?;
        let vault_id = random_id("vault")?;
        let audit_key = random_secret::<32>()?;
        let wrapped_audit = master.wrap(&audit_label(&vault_id), &audit_key[..])?;
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| sql_err(path, e))?;
        tx.execute_batch(SCHEMA_V1)?;
        tx.execute_batch(UPGRADE_V2)?;
        tx.execute_batch(UPGRADE_V3)?;
        let now = rfc3339(unix_now());
        for (k, v) in [
            ("format_version", FORMAT_VERSION.to_string()),
            ("vault_id", vault_id.clone()),
            ("created_at", now),
            ("kdf", serde_json::to_string(&kdf).expect("plain struct")),
            ("salt", crate::crypto::hex(&salt[..])),
            ("verifier", master.verifier(&vault_id)),
            ("audit_key", crate::crypto::hex(&wrapped_audit)),
        ] {
            set_meta(&tx, k, &v)?;
        }
        tx.pragma_update(None, "user_version", FORMAT_VERSION)?;
        let audit_key = Zeroizing::new(audit_key.to_vec());
        audit::append(
            &tx,
            &audit_key,
            actor,
            "vault.init",
            serde_json::json!({"vault_id": vault_id, "kdf": kdf}),
        )?;
        tx.commit().map_err(|e| sql_err(path, e))?;
        Ok(Vault {
            conn,
            path: path.into(),
            master,
            audit_key,
            vault_id,
            actor: actor.into(),
            context: serde_json::Map::new(),
        })
    }

    /// Opens the vault in `store`: checks format, integrity and master key before anything else.
    pub fn open(store: &Path, pass: &Passphrase, actor: &str) -> Result<Vault> {
        let path = Self::file_in(store);
        if !path.is_file() {
            return Err(VaultError::NoVault { path });
        }
        let conn = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| sql_err(&path, e))?;
        configure(&conn, &path)?;
        let corrupted = |detail: String| VaultError::Corrupted {
            path: path.clone(),
            detail,
        };
        let meta = |name: &str| -> Result<String> {
            match get_meta(&conn, name) {
                Ok(Some(v)) => Ok(v),
                Ok(None) => Err(corrupted(format!("no {name} recorded"))),
                Err(e) => match sql_err(&path, e) {
                    VaultError::Sql(e) => Err(corrupted(e.to_string())),
                    other => Err(other),
                },
            }
        };
        let found: u32 = meta("format_version")?
            .parse()
            .map_err(|_| corrupted("unreadable format version".into()))?;
        if found > FORMAT_VERSION {
            return Err(VaultError::NewerFormat {
                path,
                found,
                supported: FORMAT_VERSION,
            });
        }
        check_size(&path).map_err(corrupted)?;
        if std::fs::metadata(&path).map_or(0, |m| m.len()) <= QUICK_CHECK_BYTES {
            let check: String = conn
                .query_row("PRAGMA quick_check", [], |r| r.get(0))
                .map_err(|e| corrupted(e.to_string()))?;
            if check != "ok" {
                return Err(corrupted(check));
            }
        }
        let vault_id = meta("vault_id")?;
        let kdf: KdfParams = serde_json::from_str(&meta("kdf")?)
            .map_err(|e| corrupted(format!("KDF parameters: {e}")))?;
        let salt = crate::crypto::unhex(&meta("salt")?).ok_or_else(|| corrupted("salt".into()))?;
        let verifier = meta("verifier")?;
        let accepted = |m: &MasterKeys| {
            crate::crypto::ct_eq(m.verifier(&vault_id).as_bytes(), verifier.as_bytes())
        };
        let Some(master) = MasterKeys::derive_accepted(pass, &salt, kdf, accepted)? else {
            return Err(VaultError::WrongMasterKey { path });
        };
        let wrapped = crate::crypto::unhex(&meta("audit_key")?)
            .ok_or_else(|| corrupted("audit key".into()))?;
        let audit_key = master
            .unwrap(&audit_label(&vault_id), &wrapped)
            .map_err(|e| corrupted(e.to_string()))?;
        let mut v = Vault {
            conn,
            path,
            master,
            audit_key,
            vault_id,
            actor: actor.into(),
            context: serde_json::Map::new(),
        };
        if found < FORMAT_VERSION {
            v.write(|tx, ctx| {
                if found < 2 {
                    tx.execute_batch(UPGRADE_V2)?;
                }
                tx.execute_batch(UPGRADE_V3)?;
                set_meta(tx, "format_version", &FORMAT_VERSION.to_string())?;
                tx.pragma_update(None, "user_version", FORMAT_VERSION)?;
                ctx.log(
                    tx,
                    "vault.upgraded",
                    serde_json::json!({"from": found, "to": FORMAT_VERSION}),
                )
            })?;
        }
        Ok(v)
    }

    /// The vault file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The vault's random identifier.
    pub fn id(&self) -> &str {
        &self.vault_id
    }

    /// Runs `f` in a write transaction (waiting briefly for other processes), with the audit
    /// key at hand; nothing is kept unless `f` succeeds.
    pub(crate) fn write<T>(
        &mut self,
        f: impl FnOnce(&Transaction, &Ctx) -> Result<T>,
    ) -> Result<T> {
        let path = self.path.clone();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| sql_err(&path, e))?;
        let ctx = Ctx {
            audit_key: &self.audit_key,
            actor: &self.actor,
            master: &self.master,
            vault_id: &self.vault_id,
            context: &self.context,
        };
        let out = f(&tx, &ctx)?;
        tx.commit().map_err(|e| sql_err(&path, e))?;
        Ok(out)
    }

    /// The same handle adding `fields` to every audit entry it writes.
    pub fn with_audit_context(
        mut self,
        fields: serde_json::Map<String, serde_json::Value>,
    ) -> Vault {
        self.context = fields;
        self
    }

    /// Records one event in the audit log, in its own transaction.
    pub fn log(&mut self, action: &str, detail: serde_json::Value) -> Result<()> {
        self.write(|tx, ctx| ctx.log(tx, action, detail))
    }

    /// Changes the master key: every stored secret is re-wrapped in one transaction.
    pub fn rekey(&mut self, new_pass: &Passphrase, kdf: KdfParams) -> Result<()> {
        kdf.check()?;
        let salt = random_secret::<16>()?;
        let new_master = MasterKeys::derive(new_pass, &salt[..], kdf)?;
        let vault_id = self.vault_id.clone();
        self.write(|tx, ctx| {
            let rows: Vec<(i64, String, String, u32, Vec<u8>)> = tx
                .prepare(
                    "SELECT id, recipient, domain, version, wrapped FROM domain_keys
                     WHERE wrapped IS NOT NULL",
                )?
                .query_map([], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
                })?
                .collect::<rusqlite::Result<_>>()?;
            for (id, recipient, domain, version, wrapped) in rows {
                let label = crate::keys::key_label(&vault_id, &recipient, &domain, version);
                let root = ctx.master.unwrap(&label, &wrapped)?;
                let rewrapped = new_master.wrap(&label, &root)?;
                tx.execute(
                    "UPDATE domain_keys SET wrapped = ?1 WHERE id = ?2",
                    rusqlite::params![rewrapped, id],
                )?;
            }
            let audit = new_master.wrap(&audit_label(&vault_id), ctx.audit_key)?;
            set_meta(tx, "audit_key", &crate::crypto::hex(&audit))?;
            set_meta(tx, "salt", &crate::crypto::hex(&salt[..]))?;
            set_meta(
                tx,
                "kdf",
                &serde_json::to_string(&kdf).expect("plain struct"),
            )?;
            set_meta(tx, "verifier", &new_master.verifier(&vault_id))?;
            ctx.log(tx, "vault.rekey", serde_json::json!({"kdf": kdf}))
        })?;
        self.master = new_master;
        Ok(())
    }
}

/// Vaults up to this size get SQLite's full structural check at every open; larger ones (big
/// token indexes) only the header check, which still catches truncation.
const QUICK_CHECK_BYTES: u64 = 16 << 20;

/// The file is at least as long as its SQLite header says (a truncated copy is not).
fn check_size(path: &Path) -> std::result::Result<(), String> {
    use std::io::Read;
    let mut head = [0u8; 100];
    let mut f = std::fs::File::open(path).map_err(|e| e.to_string())?;
    f.read_exact(&mut head)
        .map_err(|_| "shorter than a database header".to_owned())?;
    if &head[..16] != b"SQLite format 3\0" {
        return Err("not an SQLite database".into());
    }
    let page = match u16::from_be_bytes([head[16], head[17]]) {
        1 => 65_536u64,
        p => p as u64,
    };
    let pages = u32::from_be_bytes([head[28], head[29], head[30], head[31]]) as u64;
    let len = f.metadata().map_err(|e| e.to_string())?.len();
    if pages * page > len {
        return Err(format!(
            "truncated: {len} bytes where the header says {}",
            pages * page
        ));
    }
    Ok(())
}

fn audit_label(vault_id: &str) -> String {
    format!("audit-key/{vault_id}")
}

/// What a write transaction needs besides the transaction itself.
pub(crate) struct Ctx<'a> {
    pub audit_key: &'a [u8],
    pub actor: &'a str,
    pub master: &'a MasterKeys,
    pub vault_id: &'a str,
    pub context: &'a serde_json::Map<String, serde_json::Value>,
}

impl Ctx<'_> {
    /// Appends an audit entry inside the current transaction, with the handle's context
    /// fields added (an entry's own fields win).
    pub fn log(&self, tx: &Transaction, action: &str, detail: serde_json::Value) -> Result<()> {
        let mut detail = detail;
        if let Some(map) = detail.as_object_mut() {
            for (k, v) in self.context {
                map.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
        audit::append(tx, self.audit_key, self.actor, action, detail)
    }
}
