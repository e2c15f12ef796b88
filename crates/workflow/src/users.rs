//! The team's users, their roles and their API tokens: `user add|list|disable`,
//! `token create|list|revoke`, and the server's `authenticate`. The records sit behind
//! [`TeamStore`] (SQLite in the store directory today, PostgreSQL later); every change is
//! appended to the vault's hash-chained audit log with the acting user.

use crate::error::{Error, Result};
use crate::workspace::Workspace;
use base64::Engine as _;
use datavisa_vault::crypto::{random_secret, sha256_hex};
use datavisa_vault::store::{rfc3339, unix_now};
use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;
use serde_json::json;
use std::path::{Path, PathBuf};

/// The file of the team store inside a store directory.
pub const TEAM_FILE: &str = "team.db";

/// Migrations of the team store, in order (`PRAGMA user_version` counts those applied).
const MIGRATIONS: [&str; 2] = [
    include_str!("../migrations/team/0001_users_tokens.sql"),
    include_str!("../migrations/team/0002_jobs.sql"),
];

/// Characters of a token shown in listings and audit entries (`dv_` and 8 more).
pub const PREFIX_LEN: usize = 11;

/// What a user may do; a user holds one or more.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Uploads, scans, twins, attacks, assessments, relink requests, transfers, plans.
    Steward,
    /// Approves or denies relinks.
    Approver,
    /// Recipients, policy, visas.
    Dpo,
    /// Reads everything, verifies the audit log, exports evidence; changes nothing.
    Auditor,
    /// Users and tokens only, no data.
    Admin,
}

impl Role {
    /// Every role, in the order the README lists them.
    pub const ALL: [Role; 5] = [
        Role::Steward,
        Role::Approver,
        Role::Dpo,
        Role::Auditor,
        Role::Admin,
    ];

    /// The role's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Steward => "steward",
            Role::Approver => "approver",
            Role::Dpo => "dpo",
            Role::Auditor => "auditor",
            Role::Admin => "admin",
        }
    }

    /// The role named `s` (case-insensitive), else a bad-input error naming the known ones.
    pub fn parse(s: &str) -> Result<Role> {
        let t = s.trim().to_ascii_lowercase();
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == t)
            .ok_or_else(|| {
                Error::bad_input(format!(
                    "unknown role {s:?}: use steward, approver, dpo, auditor or admin"
                ))
            })
    }

    /// Roles from flag values that may each be a comma list; sorted, each once, at least one.
    pub fn parse_list<S: AsRef<str>>(values: &[S]) -> Result<Vec<Role>> {
        let mut roles = Vec::new();
        for part in values.iter().flat_map(|v| v.as_ref().split(',')) {
            if !part.trim().is_empty() {
                roles.push(Role::parse(part)?);
            }
        }
        roles.sort();
        roles.dedup();
        if roles.is_empty() {
            return Err(Error::bad_input(
                "give at least one role: steward, approver, dpo, auditor or admin",
            ));
        }
        Ok(roles)
    }
}

/// A user as listed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct User {
    /// The user's name (what the audit log records as actor).
    pub name: String,
    /// What the user may do.
    pub roles: Vec<Role>,
    /// A disabled user's tokens are refused.
    pub disabled: bool,
    /// When the user was added (RFC 3339 UTC).
    pub created_at: String,
    /// Who added the user.
    pub created_by: String,
}

/// A token as listed: never its value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TokenInfo {
    /// The token's first characters.
    pub prefix: String,
    /// Whose token it is.
    pub user: String,
    /// When it was made (RFC 3339 UTC).
    pub created_at: String,
    /// When it stops working (RFC 3339 UTC); never when absent.
    pub expires_at: Option<String>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<String>,
}

/// A token just made: the only time its value is available.
#[derive(Clone, Debug, Serialize)]
pub struct NewToken {
    /// The token itself (`dv_` and 43 base64url characters); shown once, stored only hashed.
    pub token: String,
    /// What the listing will show.
    #[serde(flatten)]
    pub info: TokenInfo,
}

/// Who a valid token belongs to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Caller {
    /// The user.
    pub user: String,
    /// The user's roles.
    pub roles: Vec<Role>,
    /// The token's prefix (for the audit log).
    pub token_prefix: String,
}

/// Why a token was refused (every case is a 401 to a client; the kind is for the log).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// No token matches.
    Unknown,
    /// The token has expired.
    Expired,
    /// The token was revoked.
    Revoked,
    /// The token's user is disabled.
    Disabled,
}

/// Where users and tokens are kept: one small interface so that a PostgreSQL store can stand
/// beside the SQLite one.
pub trait TeamStore {
    /// Adds a user; refuses a name already taken.
    fn add_user(&mut self, user: &User, now: i64) -> Result<()>;
    /// Every user, by name.
    fn users(&self) -> Result<Vec<User>>;
    /// Marks a user disabled; refuses an unknown or already disabled user.
    fn disable_user(&mut self, name: &str) -> Result<()>;
    /// Stores a token's prefix and hash.
    fn add_token(
        &mut self,
        prefix: &str,
        sha256: &str,
        user: &str,
        now: i64,
        expires: Option<i64>,
    ) -> Result<()>;
    /// Every token, oldest first.
    fn tokens(&self) -> Result<Vec<TokenRow>>;
    /// The token with hash `sha256` and its user's state.
    fn token_by_hash(&self, sha256: &str) -> Result<Option<(TokenRow, User)>>;
    /// Marks a token revoked; refuses an unknown or already revoked prefix.
    fn revoke_token(&mut self, prefix: &str, now: i64) -> Result<TokenRow>;
}

/// A token as stored (times as Unix seconds).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenRow {
    /// The token's first characters.
    pub prefix: String,
    /// Whose token.
    pub user: String,
    /// Made at.
    pub created_at: i64,
    /// Expires at.
    pub expires_at: Option<i64>,
    /// Revoked at.
    pub revoked_at: Option<i64>,
}

impl TokenRow {
    /// The row as listed.
    pub fn info(&self) -> TokenInfo {
        TokenInfo {
            prefix: self.prefix.clone(),
            user: self.user.clone(),
            created_at: rfc3339(self.created_at),
            expires_at: self.expires_at.map(rfc3339),
            revoked_at: self.revoked_at.map(rfc3339),
        }
    }
}

/// The team store as an SQLite file in the store directory (owner-only).
pub struct SqliteTeam {
    pub(crate) conn: Connection,
    pub(crate) path: PathBuf,
}

pub(crate) fn sql(path: &Path) -> impl Fn(rusqlite::Error) -> Error + '_ {
    move |e| Error::internal(format!("{}: {e}", path.display()))
}

impl SqliteTeam {
    /// Opens (creating when missing, migrating when older) the team store of `store`.
    pub fn open(store: &Path) -> Result<SqliteTeam> {
        datavisa_vault::store::create_store_dir(store)?;
        let path = store.join(TEAM_FILE);
        datavisa_vault::store::ensure_private_file(&path)?;
        let mut conn = Connection::open(&path).map_err(sql(&path))?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(sql(&path))?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(sql(&path))?;
        match datavisa_vault::store::migrate(&mut conn, &MIGRATIONS).map_err(sql(&path))? {
            Ok(()) => Ok(SqliteTeam { conn, path }),
            Err(found) => Err(Error::bad_input(format!(
                "{}: made by a newer datavisa (schema {found}, this one knows {})",
                path.display(),
                MIGRATIONS.len()
            ))),
        }
    }
}

impl SqliteTeam {
    /// Opens an existing, current team store read-only (no lock taken: every request's token
    /// check reads it); an older one is migrated first.
    pub fn open_read(store: &Path) -> Result<SqliteTeam> {
        let path = store.join(TEAM_FILE);
        let conn = Connection::open_with_flags(&path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(sql(&path))?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(sql(&path))?;
        let version: u32 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(sql(&path))?;
        if version as usize == MIGRATIONS.len() {
            Ok(SqliteTeam { conn, path })
        } else {
            SqliteTeam::open(store)
        }
    }
}

fn user_of(r: &rusqlite::Row) -> rusqlite::Result<User> {
    let roles: String = r.get(1)?;
    Ok(User {
        name: r.get(0)?,
        // Stored by this module only, from parsed roles: an unknown name cannot be there.
        roles: roles
            .split(',')
            .filter_map(|s| Role::parse(s).ok())
            .collect(),
        disabled: r.get::<_, i64>(2)? != 0,
        created_at: rfc3339(r.get(3)?),
        created_by: r.get(4)?,
    })
}

fn token_of(r: &rusqlite::Row) -> rusqlite::Result<TokenRow> {
    Ok(TokenRow {
        prefix: r.get(0)?,
        user: r.get(1)?,
        created_at: r.get(2)?,
        expires_at: r.get(3)?,
        revoked_at: r.get(4)?,
    })
}

const TOKEN_COLUMNS: &str = "prefix, user_name, created_at, expires_at, revoked_at";

impl TeamStore for SqliteTeam {
    fn add_user(&mut self, user: &User, now: i64) -> Result<()> {
        let roles: Vec<&str> = user.roles.iter().map(|r| r.as_str()).collect();
        let n = self
            .conn
            .execute(
                "INSERT INTO users (name, roles, disabled, created_at, created_by)
                 VALUES (?1, ?2, 0, ?3, ?4) ON CONFLICT (name) DO NOTHING",
                rusqlite::params![user.name, roles.join(","), now, user.created_by],
            )
            .map_err(sql(&self.path))?;
        if n == 0 {
            return Err(Error::bad_input(format!(
                "user {:?} exists already",
                user.name
            )));
        }
        Ok(())
    }

    fn users(&self) -> Result<Vec<User>> {
        let mut st = self
            .conn
            .prepare(
                "SELECT name, roles, disabled, created_at, created_by FROM users ORDER BY name",
            )
            .map_err(sql(&self.path))?;
        let rows = st.query_map([], user_of).map_err(sql(&self.path))?;
        rows.collect::<rusqlite::Result<_>>()
            .map_err(sql(&self.path))
    }

    fn disable_user(&mut self, name: &str) -> Result<()> {
        let found = self.users()?.into_iter().find(|u| u.name == name);
        match found {
            None => Err(unknown_user(name)),
            Some(u) if u.disabled => Err(Error::bad_input(format!(
                "user {name:?} is disabled already"
            ))),
            Some(_) => {
                self.conn
                    .execute("UPDATE users SET disabled = 1 WHERE name = ?1", [name])
                    .map_err(sql(&self.path))?;
                Ok(())
            }
        }
    }

    fn add_token(
        &mut self,
        prefix: &str,
        sha256: &str,
        user: &str,
        now: i64,
        expires: Option<i64>,
    ) -> Result<()> {
        self.conn
            .execute(
                "INSERT INTO tokens (prefix, sha256, user_name, created_at, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                rusqlite::params![prefix, sha256, user, now, expires],
            )
            .map_err(sql(&self.path))?;
        Ok(())
    }

    fn tokens(&self) -> Result<Vec<TokenRow>> {
        let mut st = self
            .conn
            .prepare(&format!(
                "SELECT {TOKEN_COLUMNS} FROM tokens ORDER BY created_at, prefix"
            ))
            .map_err(sql(&self.path))?;
        let rows = st.query_map([], token_of).map_err(sql(&self.path))?;
        rows.collect::<rusqlite::Result<_>>()
            .map_err(sql(&self.path))
    }

    fn token_by_hash(&self, sha256: &str) -> Result<Option<(TokenRow, User)>> {
        let row = self
            .conn
            .query_row(
                &format!("SELECT {TOKEN_COLUMNS} FROM tokens WHERE sha256 = ?1"),
                [sha256],
                token_of,
            )
            .optional()
            .map_err(sql(&self.path))?;
        let Some(row) = row else { return Ok(None) };
        let user = self
            .conn
            .query_row(
                "SELECT name, roles, disabled, created_at, created_by FROM users WHERE name = ?1",
                [&row.user],
                user_of,
            )
            .map_err(sql(&self.path))?;
        Ok(Some((row, user)))
    }

    fn revoke_token(&mut self, prefix: &str, now: i64) -> Result<TokenRow> {
        let row = self
            .tokens()?
            .into_iter()
            .find(|t| t.prefix == prefix)
            .ok_or_else(|| Error::bad_input(format!("no token has the prefix {prefix:?}")))?;
        if row.revoked_at.is_some() {
            return Err(Error::bad_input(format!(
                "token {prefix} is revoked already"
            )));
        }
        self.conn
            .execute(
                "UPDATE tokens SET revoked_at = ?1 WHERE prefix = ?2",
                rusqlite::params![now, prefix],
            )
            .map_err(sql(&self.path))?;
        Ok(TokenRow {
            revoked_at: Some(now),
            ..row
        })
    }
}

fn unknown_user(name: &str) -> Error {
    Error::bad_input(format!("no user is named {name:?}"))
}

/// A user name: 1 to 64 letters, digits, `.`, `_`, `-` or `@`.
pub fn check_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-@".contains(c));
    if ok {
        Ok(())
    } else {
        Err(Error::bad_input(format!(
            "user name {name:?}: use 1 to 64 letters, digits, '.', '_', '-' or '@'"
        )))
    }
}

/// Seconds in a lifetime like `90d`, `12h`, `30m`, `2w`; `never` is none.
pub fn parse_expires(s: &str) -> Result<Option<i64>> {
    let t = s.trim();
    if t.eq_ignore_ascii_case("never") {
        return Ok(None);
    }
    let bad = || {
        Error::bad_input(format!(
            "--expires {s:?}: give a positive number with a unit (m, h, d or w), e.g. 90d, or never"
        ))
    };
    let split = t.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let (num, unit) = t.split_at(split);
    let n: i64 = num.parse().map_err(|_| bad())?;
    let mult = match unit {
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        "w" => 604_800,
        _ => return Err(bad()),
    };
    match n.checked_mul(mult) {
        Some(secs) if n > 0 && secs <= 100 * 365 * 86_400 => Ok(Some(secs)),
        _ => Err(bad()),
    }
}

/// A short random label (8 base64url characters), e.g. to tell one server run's request ids
/// from another's.
pub fn random_label() -> Result<String> {
    let bytes = random_secret::<6>()?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&bytes[..]))
}

/// The SHA-256 a token is stored as.
fn token_hash(token: &str) -> String {
    sha256_hex(token.as_bytes())
}

/// A new token: `dv_` and 32 random bytes in base64url.
fn new_token_text() -> Result<String> {
    let bytes = random_secret::<32>()?;
    Ok(format!(
        "dv_{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&bytes[..])
    ))
}

impl Workspace {
    fn team(&self) -> Result<SqliteTeam> {
        SqliteTeam::open(self.store())
    }

    /// Appends `action` to the audit log as the acting user, with the request's origin (token
    /// prefix, request id) when the workspace has one.
    pub fn audit_event(&self, action: &str, detail: serde_json::Value) -> Result<()> {
        let detail = self.with_origin_detail(detail);
        self.open_vault_as(self.actor())?.log(action, detail)?;
        Ok(())
    }

    /// Adds a user with `roles`, audited.
    pub fn add_user(&self, name: &str, roles: &[Role]) -> Result<User> {
        check_name(name)?;
        if roles.is_empty() {
            return Err(Role::parse_list::<&str>(&[]).unwrap_err());
        }
        // The vault is opened first: no user is added that the audit log could not record.
        let mut vault = self.open_vault_as(self.actor())?;
        let now = unix_now();
        let user = User {
            name: name.to_owned(),
            roles: roles.to_vec(),
            disabled: false,
            created_at: rfc3339(now),
            created_by: self.actor().to_owned(),
        };
        self.team()?.add_user(&user, now)?;
        vault.log(
            "user.added",
            self.with_origin_detail(json!({"user": name, "roles": roles})),
        )?;
        Ok(user)
    }

    /// Every user.
    pub fn users(&self) -> Result<Vec<User>> {
        // Listing makes no store.
        if !self.store().join(TEAM_FILE).is_file() {
            return Ok(Vec::new());
        }
        self.team()?.users()
    }

    /// Disables a user (their tokens stop working), audited.
    pub fn disable_user(&self, name: &str) -> Result<User> {
        let mut vault = self.open_vault_as(self.actor())?;
        let mut team = self.team()?;
        team.disable_user(name)?;
        vault.log(
            "user.disabled",
            self.with_origin_detail(json!({"user": name})),
        )?;
        team.users()?
            .into_iter()
            .find(|u| u.name == name)
            .ok_or_else(|| unknown_user(name))
    }

    /// Makes a token for `user` lasting `expires` (e.g. `90d`, `never`); its value is returned
    /// once and stored only as a hash. Audited with its prefix.
    pub fn create_token(&self, user: &str, expires: &str) -> Result<NewToken> {
        let lifetime = parse_expires(expires)?;
        let mut vault = self.open_vault_as(self.actor())?;
        let mut team = self.team()?;
        match team.users()?.into_iter().find(|u| u.name == user) {
            None => return Err(unknown_user(user)),
            Some(u) if u.disabled => {
                return Err(Error::bad_input(format!(
                    "user {user:?} is disabled: no token can be made for them"
                )))
            }
            Some(_) => {}
        }
        let token = new_token_text()?;
        let prefix = token[..PREFIX_LEN].to_owned();
        let now = unix_now();
        let expires_at = lifetime.map(|s| now + s);
        team.add_token(&prefix, &token_hash(&token), user, now, expires_at)?;
        let row = TokenRow {
            prefix: prefix.clone(),
            user: user.to_owned(),
            created_at: now,
            expires_at,
            revoked_at: None,
        };
        vault.log(
            "token.created",
            self.with_origin_detail(
                json!({"user": user, "prefix": prefix, "expires_at": row.info().expires_at}),
            ),
        )?;
        Ok(NewToken {
            token,
            info: row.info(),
        })
    }

    /// Every token, without its value.
    pub fn tokens(&self) -> Result<Vec<TokenInfo>> {
        if !self.store().join(TEAM_FILE).is_file() {
            return Ok(Vec::new());
        }
        Ok(self.team()?.tokens()?.iter().map(TokenRow::info).collect())
    }

    /// Revokes the token with `prefix`, audited.
    pub fn revoke_token(&self, prefix: &str) -> Result<TokenInfo> {
        let mut vault = self.open_vault_as(self.actor())?;
        let row = self.team()?.revoke_token(prefix.trim(), unix_now())?;
        vault.log(
            "token.revoked",
            self.with_origin_detail(json!({"user": row.user, "prefix": row.prefix})),
        )?;
        Ok(row.info())
    }

    /// Who `token` belongs to, or why it is refused. Reads only; needs no master key.
    pub fn authenticate(&self, token: &str) -> Result<std::result::Result<Caller, Refusal>> {
        if !self.store().join(TEAM_FILE).is_file() {
            return Ok(Err(Refusal::Unknown));
        }
        let team = SqliteTeam::open_read(self.store())?;
        let Some((row, user)) = team.token_by_hash(&token_hash(token))? else {
            return Ok(Err(Refusal::Unknown));
        };
        let now = unix_now();
        Ok(if row.revoked_at.is_some() {
            Err(Refusal::Revoked)
        } else if row.expires_at.is_some_and(|e| e <= now) {
            Err(Refusal::Expired)
        } else if user.disabled {
            Err(Refusal::Disabled)
        } else {
            Ok(Caller {
                user: user.name,
                roles: user.roles,
                token_prefix: row.prefix,
            })
        })
    }

    /// `detail` with the request's origin added when there is one.
    fn with_origin_detail(&self, mut detail: serde_json::Value) -> serde_json::Value {
        if let (Some(origin), Some(map)) = (self.origin(), detail.as_object_mut()) {
            map.insert("token_prefix".into(), json!(origin.token_prefix));
            map.insert("request_id".into(), json!(origin.request_id));
        }
        detail
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_parse_from_repeated_and_comma_lists() {
        let r = Role::parse_list(&["dpo,steward", "Auditor", "dpo"]).unwrap();
        assert_eq!(r, vec![Role::Steward, Role::Dpo, Role::Auditor]);
        let e = Role::parse_list(&["steward,boss"]).unwrap_err();
        assert!(e.message.contains("\"boss\""), "{}", e.message);
        assert!(Role::parse_list(&[",", ""]).is_err());
    }

    #[test]
    fn lifetimes_are_counted_in_seconds() {
        assert_eq!(parse_expires("90d").unwrap(), Some(90 * 86_400));
        assert_eq!(parse_expires("12h").unwrap(), Some(43_200));
        assert_eq!(parse_expires("30m").unwrap(), Some(1_800));
        assert_eq!(parse_expires("2w").unwrap(), Some(1_209_600));
        assert_eq!(parse_expires("never").unwrap(), None);
        for bad in [
            "",
            "90",
            "0d",
            "-1d",
            "d",
            "3y",
            "99999999999999999999d",
            "1.5d",
        ] {
            assert!(parse_expires(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn tokens_are_random_base64url_with_a_fixed_prefix() {
        let a = new_token_text().unwrap();
        let b = new_token_text().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), 3 + 43);
        assert!(a.starts_with("dv_"));
        assert!(a[3..]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        // The stored hash is SHA-256 of the text: 64 hex digits, not the text.
        let h = token_hash(&a);
        assert_eq!(h.len(), 64);
        assert!(!h.contains(&a[3..]));
    }

    #[test]
    fn names_are_checked() {
        assert!(check_name("alice.w@corp-1").is_ok());
        for bad in ["", "a b", "名字", &"x".repeat(65)] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_sqlite_store_refuses_duplicates_and_unknowns() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = SqliteTeam::open(dir.path()).unwrap();
        let u = User {
            name: "ann".into(),
            roles: vec![Role::Steward, Role::Dpo],
            disabled: false,
            created_at: rfc3339(100),
            created_by: "root".into(),
        };
        s.add_user(&u, 100).unwrap();
        assert!(s.add_user(&u, 100).unwrap_err().message.contains("exists"));
        assert_eq!(s.users().unwrap(), vec![u.clone()]);
        s.add_token("dv_abcdefgh", "ff", "ann", 100, Some(200))
            .unwrap();
        let (row, user) = s.token_by_hash("ff").unwrap().unwrap();
        assert_eq!((row.expires_at, user.roles), (Some(200), u.roles.clone()));
        assert!(s.token_by_hash("00").unwrap().is_none());
        assert!(s.revoke_token("dv_nothere", 150).is_err());
        assert_eq!(
            s.revoke_token("dv_abcdefgh", 150).unwrap().revoked_at,
            Some(150)
        );
        assert!(s.revoke_token("dv_abcdefgh", 160).is_err());
        assert!(s.disable_user("bob").is_err());
        s.disable_user("ann").unwrap();
        assert!(s.users().unwrap()[0].disabled);
        assert!(s.disable_user("ann").is_err());
        // Reopening applies no migration twice.
        drop(s);
        assert_eq!(
            SqliteTeam::open(dir.path()).unwrap().users().unwrap().len(),
            1
        );
        // Token checks read without a lock, and cannot write.
        let mut r = SqliteTeam::open_read(dir.path()).unwrap();
        assert!(r.token_by_hash("ff").unwrap().is_some());
        let zoe = User {
            name: "zoe".into(),
            ..u
        };
        let e = r.add_user(&zoe, 1).unwrap_err();
        assert!(e.message.contains("readonly"), "{}", e.message);
    }
}
