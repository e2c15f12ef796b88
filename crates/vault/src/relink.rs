//! Approvers and relink requests: a documented purpose and legal basis, two distinct approvers
//! (neither the requester), an expiry, one execution; every step and refusal in the audit log.

use crate::crypto::{
    argon2id, ct_eq, hex, random_id, random_secret, sha256_hex, DomainKeys, KdfParams, Passphrase,
};
use crate::error::{invalid, Result, VaultError};
use crate::evidence;
use crate::store::{rfc3339, unix_now, Vault};
use crate::twins::{lookup_many, TwinColumn};
use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;
use serde_json::json;
use zeroize::Zeroizing;

/// Approvals an execution needs.
pub const APPROVALS_NEEDED: usize = 2;

/// A new relink request.
#[derive(Clone, Debug)]
pub struct NewRequest {
    pub twin_id: String,
    pub column: String,
    pub pseudonyms: Vec<String>,
    pub purpose: String,
    pub legal_basis: String,
    pub requested_by: String,
    /// Seconds until the request expires.
    pub ttl_secs: i64,
}

/// One approval.
#[derive(Clone, Debug, Serialize)]
pub struct Approval {
    pub approver: String,
    pub at: String,
}

/// A relink request as stored (the pseudonyms are counted, not listed).
#[derive(Clone, Debug, Serialize)]
pub struct Request {
    pub id: String,
    pub twin_id: String,
    pub column: String,
    pub n_values: u64,
    pub purpose: String,
    pub legal_basis: String,
    pub requested_by: String,
    pub created_at: String,
    pub expires_at: String,
    /// `pending`, `executed`, `denied`, `withdrawn` or `expired`.
    pub status: String,
    pub approvals: Vec<Approval>,
    pub closed_at: Option<String>,
    pub closed_by: Option<String>,
    pub reason: Option<String>,
    #[serde(skip)]
    expires_unix: i64,
}

/// A registered approver (the credential stays in the vault).
#[derive(Clone, Debug, Serialize)]
pub struct Approver {
    pub name: String,
    pub added_at: String,
    pub removed_at: Option<String>,
}

/// Names compare without case or surrounding blanks, so "Li Wei" cannot approve "li wei"'s request.
fn same_person(a: &str, b: &str) -> bool {
    a.trim().to_lowercase() == b.trim().to_lowercase()
}

/// What an authorized execution may use: the request, the column's keys and its pseudonyms.
pub struct Authorized<'a> {
    pub request: Request,
    pub column: TwinColumn,
    pub keys: DomainKeys,
    pub pseudonyms: Vec<String>,
    conn: &'a Connection,
}

impl Authorized<'_> {
    /// The values behind tokens of this column, from the vault's token index.
    pub fn token_values(&self, tokens: &[String]) -> Result<Vec<Option<Zeroizing<String>>>> {
        lookup_many(self.conn, &self.keys, tokens)
    }
}

fn read_request(conn: &Connection, id: &str) -> Result<Request> {
    let row = conn
        .query_row(
            "SELECT id, twin_id, column_name, n_values, purpose, legal_basis, requested_by,
                    created_at, expires_at, status, closed_at, closed_by, reason, expires_unix
             FROM relink_requests WHERE id = ?1",
            [id],
            |r| {
                Ok(Request {
                    id: r.get(0)?,
                    twin_id: r.get(1)?,
                    column: r.get(2)?,
                    n_values: r.get::<_, i64>(3)? as u64,
                    purpose: r.get(4)?,
                    legal_basis: r.get(5)?,
                    requested_by: r.get(6)?,
                    created_at: r.get(7)?,
                    expires_at: r.get(8)?,
                    status: r.get(9)?,
                    approvals: Vec::new(),
                    closed_at: r.get(10)?,
                    closed_by: r.get(11)?,
                    reason: r.get(12)?,
                    expires_unix: r.get(13)?,
                })
            },
        )
        .optional()?;
    let mut req = row.ok_or_else(|| VaultError::NotFound(format!("no relink request {id:?}")))?;
    let mut st = conn.prepare_cached(
        "SELECT approver, at FROM approvals WHERE request_id = ?1 ORDER BY at, approver",
    )?;
    req.approvals = st
        .query_map([id], |r| {
            Ok(Approval {
                approver: r.get(0)?,
                at: r.get(1)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(req)
}

impl Vault {
    fn kdf(&self) -> Result<KdfParams> {
        let s: String =
            self.conn
                .query_row("SELECT value FROM meta WHERE name = 'kdf'", [], |r| {
                    r.get(0)
                })?;
        serde_json::from_str(&s).map_err(|e| VaultError::Corrupted {
            path: self.path.clone(),
            detail: format!("KDF parameters: {e}"),
        })
    }

    /// Registers an approver with a credential only they know (checked at every approval).
    pub fn add_approver(&mut self, name: &str, credential: &Passphrase) -> Result<()> {
        if name.trim().is_empty() {
            return Err(invalid("an approver needs a name"));
        }
        let salt = random_secret::<16>()?;
        let hash = argon2id(credential, &salt[..], self.kdf()?)?;
        // A second key from the credential signs this approver's approvals; the store keeps
        // only its public half, and the chain records it.
        let sig_salt = random_secret::<16>()?;
        let public_key = evidence::public_hex(&evidence::approver_key(
            credential,
            &sig_salt[..],
            self.kdf()?,
        )?);
        self.write(|tx, ctx| {
            let taken: bool = tx
                .prepare("SELECT 1 FROM approvers WHERE lower(trim(name)) = lower(trim(?1)) AND removed_at IS NULL")?
                .exists([name])?;
            if taken {
                return Err(invalid(format!("approver {name:?} is already registered")));
            }
            tx.execute(
                "INSERT INTO approvers (name, salt, credential, added_at, sig_salt, public_key)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (name) DO UPDATE SET salt = excluded.salt,
                   credential = excluded.credential, added_at = excluded.added_at, removed_at = NULL,
                   sig_salt = excluded.sig_salt, public_key = excluded.public_key",
                rusqlite::params![
                    name.trim(), hex(&salt[..]), hex(&hash[..]), rfc3339(unix_now()),
                    hex(&sig_salt[..]), public_key
                ],
            )?;
            ctx.log(
                tx,
                "approver.added",
                json!({"approver": name.trim(), "public_key": public_key}),
            )
        })
    }

    /// Removes an approver; their past approvals stay in the log but no longer count.
    pub fn remove_approver(&mut self, name: &str) -> Result<()> {
        self.write(|tx, ctx| {
            let n = tx.execute(
                "UPDATE approvers SET removed_at = ?1 WHERE name = ?2 AND removed_at IS NULL",
                rusqlite::params![rfc3339(unix_now()), name.trim()],
            )?;
            if n == 0 {
                return Err(VaultError::NotFound(format!("no approver {name:?}")));
            }
            ctx.log(tx, "approver.removed", json!({"approver": name.trim()}))
        })
    }

    /// Registered approvers.
    pub fn approvers(&self) -> Result<Vec<Approver>> {
        let mut st = self
            .conn
            .prepare("SELECT name, added_at, removed_at FROM approvers ORDER BY name")?;
        let rows = st.query_map([], |r| {
            Ok(Approver {
                name: r.get(0)?,
                added_at: r.get(1)?,
                removed_at: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Why `name` with `credential` may not approve, if so.
    fn check_approver(&self, name: &str, credential: &Passphrase) -> Result<Option<String>> {
        let row: Option<(String, String)> = self
            .conn
            .query_row(
                "SELECT salt, credential FROM approvers WHERE name = ?1 AND removed_at IS NULL",
                [name.trim()],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let Some((salt, stored)) = row else {
            return Ok(Some(format!("{name:?} is not a registered approver")));
        };
        let salt = crate::crypto::unhex(&salt).unwrap_or_default();
        let hash = argon2id(credential, &salt, self.kdf()?)?;
        Ok((!ct_eq(hex(&hash[..]).as_bytes(), stored.as_bytes()))
            .then(|| format!("wrong credential for approver {name:?}")))
    }

    /// Logs a refused step and returns the refusal; an expired request is marked so.
    fn refuse(&mut self, step: &str, id: &str, reason: String) -> VaultError {
        let logged = self.write(|tx, ctx| {
            tx.execute(
                "UPDATE relink_requests SET status = 'expired'
                 WHERE id = ?1 AND status = 'pending' AND expires_unix < ?2",
                rusqlite::params![id, unix_now()],
            )?;
            ctx.log(
                tx,
                "relink.refused",
                json!({"request": id, "step": step, "reason": reason}),
            )
        });
        match logged {
            Ok(()) => VaultError::Refused(reason),
            Err(e) => e,
        }
    }

    /// Files a relink request; refused (and logged) without purpose, legal basis, a live key
    /// or with pseudonyms the twin's index does not hold.
    pub fn request_relink(&mut self, req: NewRequest) -> Result<Request> {
        if let Some(reason) = self.request_problem(&req)? {
            return Err(self.refuse("request", "-", reason));
        }
        let id = random_id("rl")?;
        let now = unix_now();
        let expires = now + req.ttl_secs;
        let values_json = serde_json::to_string(&req.pseudonyms).expect("strings");
        let content = evidence::request_content(
            &id,
            &req.twin_id,
            &req.column,
            &values_json,
            req.purpose.trim(),
            req.legal_basis.trim(),
            req.requested_by.trim(),
            expires,
        );
        self.write(|tx, ctx| {
            tx.execute(
                "INSERT INTO relink_requests (id, twin_id, column_name, pseudonyms, n_values, purpose,
                   legal_basis, requested_by, created_at, expires_at, expires_unix, status, content_sha256)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 'pending', ?12)",
                rusqlite::params![
                    id, req.twin_id, req.column, values_json, req.pseudonyms.len() as i64,
                    req.purpose.trim(), req.legal_basis.trim(), req.requested_by.trim(),
                    rfc3339(now), rfc3339(expires), expires, content
                ],
            )?;
            ctx.log(
                tx,
                "relink.requested",
                json!({
                    "request": id, "twin": req.twin_id, "column": req.column,
                    "n_values": req.pseudonyms.len(), "pseudonyms_sha256": sha256_hex(values_json.as_bytes()),
                    "purpose": req.purpose.trim(), "legal_basis": req.legal_basis.trim(),
                    "requested_by": req.requested_by.trim(), "expires_at": rfc3339(expires),
                    "expires_unix": expires, "content_sha256": content,
                }),
            )
        })?;
        read_request(&self.conn, &id)
    }

    fn request_problem(&self, req: &NewRequest) -> Result<Option<String>> {
        if req.purpose.trim().is_empty() {
            return Ok(Some("a relink request needs a purpose".into()));
        }
        if req.legal_basis.trim().is_empty() {
            return Ok(Some("a relink request needs a legal basis".into()));
        }
        if req.requested_by.trim().is_empty() {
            return Ok(Some("a relink request needs the requester's name".into()));
        }
        if req.ttl_secs <= 0 {
            return Ok(Some("the request's time to live must be positive".into()));
        }
        if req.pseudonyms.is_empty() {
            return Ok(Some("no pseudonyms to relink".into()));
        }
        let twin = self.twin(&req.twin_id)?;
        let col = twin.record.column(&req.column)?;
        let Some(key) = &col.key else {
            return Ok(Some(format!(
                "column {:?} was transformed with {:?}, which cannot be relinked",
                req.column, col.method
            )));
        };
        let keys = match self.keys_by_id(key.key_id) {
            Ok(k) => k,
            Err(e @ VaultError::Shredded { .. }) => return Ok(Some(e.to_string())),
            Err(e) => return Err(e),
        };
        let unknown: Vec<&str> = match col.method.as_str() {
            "token" => self.unknown_tokens(&keys, &req.pseudonyms)?,
            "encrypt" => {
                let mut s = keys.sealer();
                req.pseudonyms
                    .iter()
                    .filter(|p| s.open(p).is_err())
                    .map(String::as_str)
                    .collect()
            }
            _ => Vec::new(),
        };
        if !unknown.is_empty() {
            let shown: Vec<&str> = unknown.iter().take(5).copied().collect();
            return Ok(Some(format!(
                "{} of {} values are not pseudonyms of column {:?} in twin {} (first: {})",
                unknown.len(),
                req.pseudonyms.len(),
                req.column,
                req.twin_id,
                shown.join(", ")
            )));
        }
        Ok(None)
    }

    /// One request.
    pub fn request(&self, id: &str) -> Result<Request> {
        read_request(&self.conn, id)
    }

    /// Every request, newest first.
    pub fn requests(&self) -> Result<Vec<Request>> {
        let ids: Vec<String> = self
            .conn
            .prepare("SELECT id FROM relink_requests ORDER BY created_at DESC, id")?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        ids.iter().map(|id| read_request(&self.conn, id)).collect()
    }

    /// Why a pending request cannot move on now, if so.
    fn pending_problem(&self, req: &Request) -> Option<String> {
        if req.status != "pending" {
            return Some(format!("request {} is {}", req.id, req.status));
        }
        if unix_now() > req.expires_unix {
            return Some(format!("request {} expired at {}", req.id, req.expires_at));
        }
        None
    }

    /// Records an approval by a registered approver who is not the requester.
    pub fn approve(
        &mut self,
        id: &str,
        approver: &str,
        credential: &Passphrase,
    ) -> Result<Request> {
        let req = read_request(&self.conn, id)?;
        let problem = match self.pending_problem(&req) {
            Some(p) => Some(p),
            None if same_person(approver, &req.requested_by) => Some(format!(
                "{approver:?} filed request {id} and cannot approve it"
            )),
            None if req
                .approvals
                .iter()
                .any(|a| same_person(&a.approver, approver)) =>
            {
                Some(format!("{approver:?} has already approved request {id}"))
            }
            None => self.check_approver(approver, credential)?,
        };
        if let Some(reason) = problem {
            return Err(self.refuse("approve", id, reason));
        }
        let signature = self.sign_approval(id, approver, credential)?;
        self.write(|tx, ctx| {
            tx.execute(
                "INSERT INTO approvals (request_id, approver, at, signature) VALUES (?1, ?2, ?3, ?4)",
                rusqlite::params![id, approver.trim(), rfc3339(unix_now()), signature],
            )?;
            ctx.log(
                tx,
                "relink.approved",
                json!({"request": id, "approver": approver.trim(), "signature": signature}),
            )
        })?;
        read_request(&self.conn, id)
    }

    /// Denies a request (an approver's decision; final).
    pub fn deny(
        &mut self,
        id: &str,
        approver: &str,
        credential: &Passphrase,
        reason: &str,
    ) -> Result<Request> {
        let req = read_request(&self.conn, id)?;
        let problem = match self.pending_problem(&req) {
            Some(p) => Some(p),
            None => self.check_approver(approver, credential)?,
        };
        if let Some(r) = problem {
            return Err(self.refuse("deny", id, r));
        }
        self.close(id, "denied", approver, reason, "relink.denied")
    }

    /// Withdraws a request (only its requester can).
    pub fn withdraw(&mut self, id: &str, by: &str) -> Result<Request> {
        let req = read_request(&self.conn, id)?;
        let problem = match self.pending_problem(&req) {
            Some(p) => Some(p),
            None if !same_person(by, &req.requested_by) => Some(format!(
                "only the requester ({}) can withdraw request {id}",
                req.requested_by
            )),
            None => None,
        };
        if let Some(r) = problem {
            return Err(self.refuse("withdraw", id, r));
        }
        self.close(id, "withdrawn", by, "", "relink.withdrawn")
    }

    fn close(
        &mut self,
        id: &str,
        status: &str,
        by: &str,
        reason: &str,
        action: &str,
    ) -> Result<Request> {
        self.write(|tx, ctx| {
            tx.execute(
                "UPDATE relink_requests SET status = ?1, closed_at = ?2, closed_by = ?3, reason = ?4
                 WHERE id = ?5",
                rusqlite::params![status, rfc3339(unix_now()), by.trim(), reason, id],
            )?;
            ctx.log(
                tx,
                action,
                json!({"request": id, "by": by.trim(), "reason": reason}),
            )
        })?;
        read_request(&self.conn, id)
    }

    /// The approval signature of `approver` (checked already) over the request's content as
    /// the chain recorded it.
    fn sign_approval(&self, id: &str, approver: &str, credential: &Passphrase) -> Result<String> {
        let chain = evidence::Chain::of(&crate::audit::entries(&self.conn)?);
        let content = chain
            .requests
            .get(id)
            .and_then(|r| r.content.clone())
            .ok_or_else(|| {
                VaultError::Refused(format!(
                    "request {id} has no content hash in the audit log (filed before approvals were signed): file it again"
                ))
            })?;
        let salt: Option<String> = self
            .conn
            .query_row(
                "SELECT sig_salt FROM approvers WHERE name = ?1 AND removed_at IS NULL",
                [approver.trim()],
                |r| r.get(0),
            )
            .optional()?
            .flatten();
        let salt = salt.and_then(|s| crate::crypto::unhex(&s)).ok_or_else(|| {
            VaultError::Refused(format!(
                "approver {approver:?} was added before approvals were signed: add them again (`approver add`)"
            ))
        })?;
        let key = evidence::approver_key(credential, &salt, self.kdf()?)?;
        Ok(evidence::sign_approval(&key, id, &content, approver.trim()))
    }

    /// Why the audit chain does not support executing `req`, if so: the log must be intact,
    /// the request filed in it with the content its row still hashes to, not closed there, not
    /// expired by the chain's expiry, and approved by two signatures that verify under the
    /// chain's approver keys.
    fn chain_problem(&self, req: &Request) -> Result<Option<String>> {
        let entries = crate::audit::entries(&self.conn)?;
        let verified = crate::audit::verify_entries(&self.conn, &self.audit_key, &entries)?;
        if !verified.intact {
            return Ok(Some(format!(
                "the audit log is not intact ({} problem(s)); run `datavisa audit verify`",
                verified.problems.len()
            )));
        }
        let chain = evidence::Chain::of(&entries);
        let Some(c) = chain.requests.get(&req.id) else {
            return Ok(Some(format!(
                "request {} is not in the audit log: it was not filed through datavisa",
                req.id
            )));
        };
        let Some(content) = &c.content else {
            return Ok(Some(format!(
                "request {} was filed before approvals were signed: file it again",
                req.id
            )));
        };
        if self.row_content(&req.id)?.as_deref() != Some(content.as_str()) {
            return Ok(Some(format!(
                "request {}'s stored pseudonyms, purpose, legal basis, requester or expiry differ from what was filed and approved",
                req.id
            )));
        }
        if let Some(closed) = &c.closed {
            return Ok(Some(format!(
                "request {} is closed in the audit log ({closed})",
                req.id
            )));
        }
        if c.expires_unix.is_none_or(|e| unix_now() > e) {
            return Ok(Some(format!(
                "request {} expired (by the audit log)",
                req.id
            )));
        }
        let valid = chain.valid_approvers(&req.id).len();
        if valid < APPROVALS_NEEDED {
            return Ok(Some(format!(
                "request {} has {valid} valid approval(s) (signed, in the audit log, verifying under the approvers' recorded keys); {APPROVALS_NEEDED} distinct approvers other than the requester are needed",
                req.id
            )));
        }
        Ok(None)
    }

    /// The content hash a request's row hashes to now.
    fn row_content(&self, id: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row(
                "SELECT twin_id, column_name, pseudonyms, purpose, legal_basis, requested_by, expires_unix
                 FROM relink_requests WHERE id = ?1",
                [id],
                |r| {
                    Ok(evidence::request_content(
                        id,
                        &r.get::<_, String>(0)?,
                        &r.get::<_, String>(1)?,
                        &r.get::<_, String>(2)?,
                        &r.get::<_, String>(3)?,
                        &r.get::<_, String>(4)?,
                        &r.get::<_, String>(5)?,
                        r.get(6)?,
                    ))
                },
            )
            .optional()?)
    }

    /// Relink rows that disagree with the chain: for `audit verify`.
    pub(crate) fn relink_row_problems(
        &self,
        entries: &[crate::audit::Entry],
    ) -> Result<Vec<crate::audit::Problem>> {
        let chain = evidence::Chain::of(entries);
        let mut out = Vec::new();
        let mut row = |message: String| {
            out.push(crate::audit::Problem {
                seq: 0,
                kind: "row_changed",
                message,
            })
        };
        let ids: Vec<(String, String)> = self
            .conn
            .prepare("SELECT id, status FROM relink_requests ORDER BY id")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        for (id, status) in &ids {
            match chain.requests.get(id) {
                None => row(format!(
                    "relink request {id} is in the table but was never filed in the audit log"
                )),
                Some(c) => {
                    if c.content.is_some() && self.row_content(id)? != c.content {
                        row(format!(
                            "relink request {id}: its row no longer hashes to the content the log recorded"
                        ));
                    }
                    let executed = c.closed.as_deref() == Some("relink.executed");
                    if executed != (status == "executed") {
                        row(format!(
                            "relink request {id}: status {status:?} disagrees with the audit log"
                        ));
                    }
                }
            }
        }
        let approvals: Vec<(String, String, Option<String>)> = self
            .conn
            .prepare(
                "SELECT request_id, approver, signature FROM approvals ORDER BY request_id, approver",
            )?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<_>>()?;
        for (id, approver, sig) in &approvals {
            let logged = chain.requests.get(id).is_some_and(|c| {
                c.approvals
                    .iter()
                    .any(|(a, s)| a == approver && sig.as_ref().is_none_or(|x| x == s))
            });
            if !logged {
                row(format!(
                    "approval of {id} by {approver} is not the one the audit log recorded"
                ));
            }
        }
        let keys: Vec<(String, Option<String>)> = self
            .conn
            .prepare(
                "SELECT name, public_key FROM approvers WHERE removed_at IS NULL ORDER BY name",
            )?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        for (name, key) in &keys {
            let logged = chain.approvers.get(&evidence::person(name));
            if key.is_some() && logged != key.as_ref() {
                row(format!(
                    "approver {name}'s key differs from the one the audit log recorded when they were added"
                ));
            }
        }
        Ok(out)
    }

    /// Why an execution must be refused, if so.
    fn execution_problem(&self, req: &Request) -> Result<Option<String>> {
        if let Some(p) = self.pending_problem(req) {
            return Ok(Some(p));
        }
        if let Some(p) = self.chain_problem(req)? {
            return Ok(Some(p));
        }
        let current: Vec<String> = self
            .approvers()?
            .into_iter()
            .filter(|a| a.removed_at.is_none())
            .map(|a| a.name)
            .collect();
        let valid = req
            .approvals
            .iter()
            .filter(|a| !same_person(&a.approver, &req.requested_by))
            .filter(|a| current.iter().any(|c| same_person(c, &a.approver)))
            .count();
        if valid < APPROVALS_NEEDED {
            return Ok(Some(format!(
                "request {} has {valid} valid approval(s); {APPROVALS_NEEDED} distinct approvers other than the requester are needed",
                req.id
            )));
        }
        let twin = self.twin(&req.twin_id)?;
        let key = twin.record.column(&req.column)?.key.clone();
        if let Some(k) = key {
            if let Err(e @ VaultError::Shredded { .. }) = self.keys_by_id(k.key_id) {
                return Ok(Some(e.to_string()));
            }
        }
        Ok(None)
    }

    /// Executes an approved request once: `f` turns the pseudonyms back into values (and writes
    /// them out), returning what to log; on failure nothing is marked and the failure is logged.
    pub fn execute_relink<T>(
        &mut self,
        id: &str,
        f: impl FnOnce(&Authorized) -> Result<(T, serde_json::Value)>,
    ) -> Result<T> {
        let req = read_request(&self.conn, id)?;
        if let Some(reason) = self.execution_problem(&req)? {
            return Err(self.refuse("execute", id, reason));
        }
        let twin = self.twin(&req.twin_id)?;
        let column = twin.record.column(&req.column)?.clone();
        let key_id = column.key.as_ref().map(|k| k.key_id).unwrap_or_default();
        let keys = self.keys_by_id(key_id)?;
        let pseudonyms: Vec<String> = {
            let json: String = self.conn.query_row(
                "SELECT pseudonyms FROM relink_requests WHERE id = ?1",
                [id],
                |r| r.get(0),
            )?;
            serde_json::from_str(&json).map_err(|e| VaultError::Corrupted {
                path: self.path.clone(),
                detail: format!("request {id}: {e}"),
            })?
        };
        let outcome = {
            let auth = Authorized {
                request: req,
                column,
                keys,
                pseudonyms,
                conn: &self.conn,
            };
            f(&auth)
        };
        match outcome {
            Ok((value, detail)) => {
                self.write(|tx, ctx| {
                    let n = tx.execute(
                        "UPDATE relink_requests SET status = 'executed', closed_at = ?1, closed_by = ?2
                         WHERE id = ?3 AND status = 'pending'",
                        rusqlite::params![rfc3339(unix_now()), ctx.actor, id],
                    )?;
                    if n == 0 {
                        return Err(VaultError::Refused(format!(
                            "request {id} changed while it was being executed"
                        )));
                    }
                    ctx.log(tx, "relink.executed", json!({"request": id, "result": detail}))
                })?;
                Ok(value)
            }
            Err(e) => {
                self.log(
                    "relink.failed",
                    json!({"request": id, "error": e.to_string()}),
                )?;
                Err(e)
            }
        }
    }
}
