//! The register (`<store>/register.db`): assessments as run, visas issued on them, and each
//! visa's history. A visa's status follows from its state and dates on the day asked.

use crate::assess::{Assessment, Verdict};
use crate::error::{invalid, Result, VerdictError};
use crate::policy::Policy;
use crate::profile::Recipient;
use datavisa_table::date::{add_months, format_date, parse_date};
use rusqlite::{params, Connection, ErrorCode, OptionalExtension, Row, Transaction};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/0001_register.sql"),
    include_str!("../migrations/0002_void_sent_attestations.sql"),
];

/// Days before the review date from which a visa is `expiring`.
pub const EXPIRING_DAYS: i64 = 30;

/// A visa's status on a given day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Valid,
    Expiring,
    Expired,
    Revoked,
    Superseded,
    /// Issued in error: kept for the record, takes no further part.
    Void,
    /// Issued on a `de_identified` or `personal` verdict: a record of the decision, never
    /// valid, and it covers no transfer.
    Recorded,
}

impl Status {
    /// The status's name as a message.
    pub fn msg(self) -> datavisa_i18n::Msg {
        datavisa_i18n::Msg::new(&format!("status.{}", self.as_str()))
    }

    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Valid => "valid",
            Status::Expiring => "expiring",
            Status::Expired => "expired",
            Status::Revoked => "revoked",
            Status::Superseded => "superseded",
            Status::Void => "void",
            Status::Recorded => "recorded",
        }
    }

    /// Whether the visa still covers transfers.
    pub fn in_force(self) -> bool {
        matches!(self, Status::Valid | Status::Expiring)
    }
}

/// A visa: a verdict issued for (twin content hash, recipient).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Visa {
    pub id: String,
    pub assessment_id: String,
    pub recipient: String,
    pub twin_sha256: String,
    pub twin_path: String,
    pub source_sha256: String,
    pub verdict: Verdict,
    pub issued_on: String,
    pub review_on: String,
    pub conditions: Vec<String>,
    pub assessment_sha256: String,
    pub profile_sha256: String,
    pub policy_sha256: String,
    pub state: String,
    pub state_on: Option<String>,
    pub state_reason: Option<String>,
    pub superseded_by: Option<String>,
    /// Why the visa must be re-assessed before its review date (profile, policy, new release).
    pub review_flags: Vec<String>,
    /// When the twin it covers was sent to the recipient (a candidate until then).
    pub sent_on: Option<String>,
    /// Why it was issued although a later or contrary assessment of the same pair exists.
    pub override_reason: Option<String>,
}

impl Visa {
    /// The status on `today` (days since 1970-01-01). Only an `anonymized` visa can be valid:
    /// one on any other verdict is `recorded` until it is revoked, superseded or voided.
    pub fn status(&self, today: i64) -> Status {
        match self.state.as_str() {
            "revoked" => return Status::Revoked,
            "superseded" => return Status::Superseded,
            "void" => return Status::Void,
            _ => {}
        }
        if self.verdict != Verdict::Anonymized {
            return Status::Recorded;
        }
        self.dated_status(today)
    }

    /// Whether the review date is near or past (for the default set of `visa review`), whatever
    /// the verdict.
    pub fn review_due(&self, today: i64) -> bool {
        self.dated_status(today) != Status::Valid
    }

    /// Valid, expiring or expired by the review date alone.
    fn dated_status(&self, today: i64) -> Status {
        let review = parse_date(&self.review_on).unwrap_or(i64::MIN);
        if today > review {
            Status::Expired
        } else if today >= review - EXPIRING_DAYS {
            Status::Expiring
        } else {
            Status::Valid
        }
    }
}

/// An assessment as stored.
#[derive(Clone, Debug, Serialize)]
pub struct Stored {
    pub id: String,
    pub created_at: String,
    pub spec_path: String,
    pub command: String,
    pub body_sha256: String,
    pub assessment: serde_json::Value,
}

impl Stored {
    /// The stored assessment as its type.
    pub fn typed(&self) -> Result<crate::Assessment> {
        serde_json::from_value(self.assessment.clone()).map_err(|e| {
            invalid(format!(
                "assessment {} does not read back as an assessment: {e}",
                self.id
            ))
        })
    }
}

/// One entry of a visa's history.
#[derive(Clone, Debug, Serialize)]
pub struct Event {
    pub at: String,
    pub event: String,
    pub detail: serde_json::Value,
}

/// What a review did to a visa.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum Review {
    /// Same verdict: the review date moves on.
    Renewed { review_on: String },
    /// Worse verdict: the visa is revoked; the data is personal information for the recipient.
    Reverted {
        verdict: Verdict,
        reasons: Vec<String>,
    },
    /// Better verdict: the visa stands; a new visa would record the better verdict.
    Improved { verdict: Verdict },
}

/// What a visa is issued on.
#[derive(Clone, Debug)]
pub struct Issue {
    /// The assessment it rests on.
    pub assessment: String,
    /// The issue date (days since 1970-01-01).
    pub issued_on: i64,
    pub review_months: u32,
    pub conditions: Vec<String>,
    /// Why it stands although a later or contrary assessment of the same pair exists.
    pub override_reason: Option<String>,
}

/// Which stored assessments to list.
#[derive(Clone, Debug, Default)]
pub struct AssessmentFilter {
    /// The twin, by content hash or by path as assessed.
    pub twin_sha256: Option<String>,
    pub recipient: Option<String>,
    pub source_sha256: Option<String>,
}

/// One stored assessment, in a list.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AssessmentSummary {
    pub id: String,
    pub created_at: String,
    pub recipient: String,
    pub twin_sha256: String,
    pub twin_path: String,
    pub source_sha256: String,
    pub source_path: String,
    pub verdict: Verdict,
}

/// Another assessment of the same pair that a visa would have to override.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Rival {
    pub id: String,
    pub created_at: String,
    pub verdict: Verdict,
    pub later: bool,
    pub contrary: bool,
}

impl Rival {
    /// "as-… (later, de_identified)".
    fn describe(&self) -> String {
        let mut why = Vec::new();
        if self.later {
            why.push("later");
        }
        if self.contrary {
            why.push("contrary");
        }
        format!(
            "{} of {} ({}: {})",
            self.id,
            self.created_at,
            why.join(", "),
            self.verdict.as_str()
        )
    }
}

/// A recipient's attestation as recorded: verified on import, its signed body kept verbatim.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AttestationRecord {
    pub id: String,
    pub imported_at: String,
    pub recipient: String,
    pub twin_sha256: String,
    pub verdict: Verdict,
    /// The recipient's Ed25519 public key, hex.
    pub public_key: String,
    /// The signed body (JSON text).
    pub body: String,
    pub body_sha256: String,
}

/// A twin the recipient received, to combine with the one assessed.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SentRelease {
    /// The visa or ledger transfer that records it.
    pub label: String,
    pub twin_sha256: String,
    pub twin_path: String,
}

/// The open register.
pub struct Register {
    conn: Connection,
    path: PathBuf,
}

fn sql_err(path: &Path, e: rusqlite::Error) -> VerdictError {
    match e.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
            VerdictError::Locked { path: path.into() }
        }
        Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => VerdictError::Corrupt {
            path: path.into(),
            detail: e.to_string(),
        },
        _ => VerdictError::Sql(e),
    }
}

/// SHA-256 of a value's canonical JSON (profiles and policies, to notice changes). Going
/// through `serde_json::Value` sorts the keys, so a struct and its stored JSON hash alike.
pub fn content_sha256<T: Serialize>(v: &T) -> String {
    let text = serde_json::to_value(v)
        .map(|v| v.to_string())
        .unwrap_or_default();
    datavisa_vault::crypto::sha256_hex(text.as_bytes())
}

/// The hash a visa keeps of the recipient profile it relied on.
pub fn profile_sha256(r: &Recipient) -> String {
    content_sha256(r)
}

/// The hash a visa keeps of the policy it was decided under.
pub fn policy_sha256(p: &Policy) -> String {
    content_sha256(p)
}

const VISA_COLUMNS: &str =
    "id, assessment_id, recipient, twin_sha256, twin_path, source_sha256, verdict, \
     issued_on, review_on, conditions, assessment_sha256, profile_sha256, policy_sha256, state, \
     state_on, state_reason, superseded_by, review_flags, sent_on, override_reason";

fn verdict_of(s: &str) -> Verdict {
    match s {
        "anonymized" => Verdict::Anonymized,
        "de_identified" => Verdict::DeIdentified,
        _ => Verdict::Personal,
    }
}

fn visa_of(r: &Row) -> rusqlite::Result<Visa> {
    let list = |s: String| serde_json::from_str::<Vec<String>>(&s).unwrap_or_default();
    Ok(Visa {
        id: r.get(0)?,
        assessment_id: r.get(1)?,
        recipient: r.get(2)?,
        twin_sha256: r.get(3)?,
        twin_path: r.get(4)?,
        source_sha256: r.get(5)?,
        verdict: verdict_of(&r.get::<_, String>(6)?),
        issued_on: r.get(7)?,
        review_on: r.get(8)?,
        conditions: list(r.get(9)?),
        assessment_sha256: r.get(10)?,
        profile_sha256: r.get(11)?,
        policy_sha256: r.get(12)?,
        state: r.get(13)?,
        state_on: r.get(14)?,
        state_reason: r.get(15)?,
        superseded_by: r.get(16)?,
        review_flags: list(r.get(17)?),
        sent_on: r.get(18)?,
        override_reason: r.get(19)?,
    })
}

fn log(tx: &Transaction, visa: &str, event: &str, detail: serde_json::Value) -> Result<()> {
    tx.execute(
        "INSERT INTO visa_events (visa_id, at, event, detail) VALUES (?1, ?2, ?3, ?4)",
        params![
            visa,
            datavisa_vault::store::rfc3339(datavisa_vault::store::unix_now()),
            event,
            detail.to_string()
        ],
    )?;
    Ok(())
}

impl Register {
    /// Whether `store` holds a register (reading one must not make it).
    pub fn exists_in(store: &Path) -> bool {
        store.join("register.db").is_file()
    }

    /// Opens (creating if needed) the register in `store`.
    pub fn open(store: &Path) -> Result<Register> {
        datavisa_vault::store::create_store_dir(store).map_err(|e| invalid(e.to_string()))?;
        let path = store.join("register.db");
        datavisa_vault::store::ensure_private_file(&path).map_err(|e| invalid(e.to_string()))?;
        let mut conn = Connection::open(&path).map_err(|e| sql_err(&path, e))?;
        conn.busy_timeout(Duration::from_secs(30))
            .map_err(|e| sql_err(&path, e))?;
        // Migrations run before foreign keys are enforced: rebuilding a table keeps every
        // reference to it.
        if let Err(found) =
            datavisa_vault::store::migrate(&mut conn, MIGRATIONS).map_err(|e| sql_err(&path, e))?
        {
            return Err(VerdictError::NewerSchema {
                path,
                found,
                supported: MIGRATIONS.len() as u32,
            });
        }
        conn.pragma_update(None, "foreign_keys", "ON")?;
        Ok(Register { conn, path })
    }

    /// The register file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn write<T>(&mut self, f: impl FnOnce(&Transaction) -> Result<T>) -> Result<T> {
        let path = self.path.clone();
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(|e| sql_err(&path, e))?;
        let out = f(&tx)?;
        tx.commit().map_err(|e| sql_err(&path, e))?;
        Ok(out)
    }

    /// Stores an assessment; returns its id and the hash of its JSON.
    pub fn record_assessment(
        &mut self,
        a: &Assessment,
        spec_path: &str,
        command: &str,
    ) -> Result<Stored> {
        let id = datavisa_vault::crypto::random_id("as").map_err(|e| invalid(e.to_string()))?;
        let created_at = datavisa_vault::store::rfc3339(datavisa_vault::store::unix_now());
        let mut body = serde_json::to_value(a).map_err(|e| invalid(e.to_string()))?;
        body["id"] = serde_json::json!(id);
        body["created_at"] = serde_json::json!(created_at);
        body["command"] = serde_json::json!(command);
        let text = body.to_string();
        let sha = datavisa_vault::crypto::sha256_hex(text.as_bytes());
        self.write(|tx| {
            tx.execute(
                "INSERT INTO assessments (id, created_at, recipient, twin_sha256, twin_path, source_sha256,
                   source_path, spec_path, verdict, profile_sha256, policy_sha256, command, body, body_sha256)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
                params![
                    id, created_at, a.recipient.id, a.twin.sha256, a.twin.path, a.source.sha256,
                    a.source.path, spec_path, a.verdict.as_str(), profile_sha256(&a.recipient),
                    policy_sha256(&a.policy), command, text, sha
                ],
            )?;
            Ok(())
        })?;
        Ok(Stored {
            id,
            created_at,
            spec_path: spec_path.into(),
            command: command.into(),
            body_sha256: sha,
            assessment: body,
        })
    }

    /// A stored assessment.
    pub fn assessment(&self, id: &str) -> Result<Stored> {
        self.conn
            .query_row(
                "SELECT id, created_at, spec_path, command, body_sha256, body FROM assessments WHERE id = ?1",
                [id],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, String>(5)?,
                    ))
                },
            )
            .optional()?
            .map(|(id, created_at, spec_path, command, body_sha256, body)| {
                let assessment = serde_json::from_str(&body)
                    .map_err(|e| invalid(format!("assessment {id} is unreadable: {e}")))?;
                Ok(Stored {
                    id,
                    created_at,
                    spec_path,
                    command,
                    body_sha256,
                    assessment,
                })
            })
            .unwrap_or_else(|| {
                Err(VerdictError::NotFound(format!(
                    "no assessment {id} in {}",
                    self.path.display()
                )))
            })
    }

    /// Issues a visa on a stored assessment, superseding the visa of the same twin and recipient.
    /// Refused when a later or contrary assessment of the same (twin content, recipient) exists,
    /// unless `override_reason` says why (it is kept in the visa and its history), and when the
    /// policy requires the recipient's attestation and none is recorded.
    pub fn issue(&mut self, req: &Issue) -> Result<Visa> {
        let a = self.assessment(&req.assessment)?;
        let typed = a.typed()?;
        let recipient = typed.recipient.id.clone();
        let twin_sha = typed.twin.sha256.clone();
        let source_sha = typed.source.sha256.clone();
        let rivals = self.rivals(&a.id, &twin_sha, &recipient, typed.verdict)?;
        let override_reason = req
            .override_reason
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(str::to_owned);
        if !rivals.is_empty() && override_reason.is_none() {
            return Err(invalid(format!(
                "assessment {} is not the only word on {} for {recipient}: {}; issue on the latest assessment, or pass --override-reason to say why this one stands (the reason is kept in the visa, its history and the report)",
                a.id,
                typed.twin.path,
                rivals
                    .iter()
                    .map(Rival::describe)
                    .collect::<Vec<_>>()
                    .join("; ")
            )));
        }
        let attestations = self.attestations(Some(&twin_sha), Some(&recipient))?;
        if typed.policy.require_recipient_attestation {
            if attestations.is_empty() {
                return Err(invalid(format!(
                    "the policy requires the recipient's attestation (require_recipient_attestation = true) and none is recorded for {} and {recipient}: export a kit with `datavisa assess export`, and import the recipient's attestation with `datavisa assess import`",
                    typed.twin.path
                )));
            }
            if let Some(worse) = attestations.iter().find(|x| x.verdict > typed.verdict) {
                if override_reason.is_none() {
                    return Err(invalid(format!(
                        "the recipient's attestation {} judges the twin {} in its own environment, worse than this assessment's {}; pass --override-reason to issue anyway",
                        worse.id,
                        worse.verdict.as_str(),
                        typed.verdict.as_str()
                    )));
                }
            }
        }
        let id = datavisa_vault::crypto::random_id("visa").map_err(|e| invalid(e.to_string()))?;
        let visa = Visa {
            id: id.clone(),
            assessment_id: a.id.clone(),
            recipient: recipient.clone(),
            twin_sha256: twin_sha.clone(),
            twin_path: typed.twin.path.clone(),
            source_sha256: source_sha.clone(),
            verdict: typed.verdict,
            issued_on: format_date(req.issued_on),
            review_on: format_date(add_months(req.issued_on, req.review_months as i64)),
            conditions: req.conditions.clone(),
            assessment_sha256: a.body_sha256.clone(),
            profile_sha256: profile_sha256(&typed.recipient),
            policy_sha256: policy_sha256(&typed.policy),
            state: "active".into(),
            state_on: None,
            state_reason: None,
            superseded_by: None,
            review_flags: Vec::new(),
            sent_on: None,
            override_reason: override_reason.clone(),
        };
        let previous = self.select(
            "recipient = ?1 AND twin_sha256 = ?2 AND state = 'active'",
            params![recipient, twin_sha],
        )?;
        self.write(|tx| {
            tx.execute(
                &format!("INSERT INTO visas ({VISA_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)"),
                params![
                    visa.id, visa.assessment_id, visa.recipient, visa.twin_sha256, visa.twin_path,
                    visa.source_sha256, visa.verdict.as_str(), visa.issued_on, visa.review_on,
                    serde_json::to_string(&visa.conditions).unwrap_or_default(), visa.assessment_sha256,
                    visa.profile_sha256, visa.policy_sha256, visa.state, None::<String>, None::<String>,
                    None::<String>, "[]", None::<String>, visa.override_reason
                ],
            )?;
            log(tx, &id, "issued", serde_json::json!({
                "assessment": a.id, "verdict": visa.verdict, "review_on": visa.review_on,
                "override_reason": override_reason,
                "overrides": rivals.iter().map(|r| &r.id).collect::<Vec<_>>(),
                "attestations": attestations.iter().map(|x| &x.id).collect::<Vec<_>>(),
            }))?;
            for p in &previous {
                let sent = p.sent_on.clone();
                tx.execute(
                    "UPDATE visas SET state = 'superseded', state_on = ?2, state_reason = ?3, superseded_by = ?4 WHERE id = ?1",
                    params![p.id, visa.issued_on, format!("superseded by {id}"), id],
                )?;
                if let Some(on) = sent {
                    // The twin was sent under the old visa; the new one covers the same content.
                    tx.execute("UPDATE visas SET sent_on = ?2 WHERE id = ?1", params![id, on])?;
                }
                log(tx, &p.id, "superseded", serde_json::json!({"by": id}))?;
            }
            Ok(())
        })?;
        self.visa(&id)
    }

    /// Other assessments of the same (twin content, recipient) that speak against issuing on
    /// `id`: any later one, and any with another verdict.
    fn rivals(
        &self,
        id: &str,
        twin_sha: &str,
        recipient: &str,
        verdict: Verdict,
    ) -> Result<Vec<Rival>> {
        let all = self.assessments(&AssessmentFilter {
            twin_sha256: Some(twin_sha.into()),
            recipient: Some(recipient.into()),
            ..Default::default()
        })?;
        // Listed oldest first (ties in time by insertion), so "later" is "after this one".
        let mine = all.iter().position(|x| x.id == id).unwrap_or(0);
        Ok(all
            .into_iter()
            .enumerate()
            .filter(|(i, _)| *i != mine)
            .filter_map(|(i, x)| {
                let later = i > mine;
                let contrary = x.verdict != verdict;
                (later || contrary).then_some(Rival {
                    later,
                    contrary,
                    id: x.id,
                    verdict: x.verdict,
                    created_at: x.created_at,
                })
            })
            .collect())
    }

    /// Records a kit exported for a recipient (its hash is how an attestation names it).
    pub fn record_kit(&mut self, sha256: &str, kit: &crate::attest::Kit, body: &str) -> Result<()> {
        let at = datavisa_vault::store::rfc3339(datavisa_vault::store::unix_now());
        self.write(|tx| {
            tx.execute(
                "INSERT OR IGNORE INTO kits (sha256, exported_at, recipient, twin_sha256, assessment, body)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![sha256, at, kit.recipient.id, kit.twin_sha256, kit.assessment, body],
            )?;
            Ok(())
        })
    }

    /// A kit this register exported, by its hash.
    pub fn kit(&self, sha256: &str) -> Result<Option<crate::attest::Kit>> {
        let body: Option<String> = self
            .conn
            .query_row("SELECT body FROM kits WHERE sha256 = ?1", [sha256], |r| {
                r.get(0)
            })
            .optional()?;
        body.map(|b| {
            serde_json::from_str(&b)
                .map_err(|e| invalid(format!("kit {sha256} is unreadable: {e}")))
        })
        .transpose()
    }

    /// Records a recipient's verified attestation.
    pub fn record_attestation(&mut self, a: &AttestationRecord) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO attestations (id, imported_at, recipient, twin_sha256, verdict, public_key, body, body_sha256)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![a.id, a.imported_at, a.recipient, a.twin_sha256, a.verdict.as_str(),
                         a.public_key, a.body, a.body_sha256],
            )?;
            Ok(())
        })
    }

    /// Recorded attestations, oldest first, for a twin and recipient when given.
    pub fn attestations(
        &self,
        twin_sha: Option<&str>,
        recipient: Option<&str>,
    ) -> Result<Vec<AttestationRecord>> {
        let mut st = self.conn.prepare(
            "SELECT id, imported_at, recipient, twin_sha256, verdict, public_key, body, body_sha256
             FROM attestations WHERE (?1 IS NULL OR twin_sha256 = ?1) AND (?2 IS NULL OR recipient = ?2)
             ORDER BY imported_at, rowid",
        )?;
        let rows = st
            .query_map(params![twin_sha, recipient], |r| {
                Ok(AttestationRecord {
                    id: r.get(0)?,
                    imported_at: r.get(1)?,
                    recipient: r.get(2)?,
                    twin_sha256: r.get(3)?,
                    verdict: verdict_of(&r.get::<_, String>(4)?),
                    public_key: r.get(5)?,
                    body: r.get(6)?,
                    body_sha256: r.get(7)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// Stored assessments, oldest first, narrowed by the filter.
    pub fn assessments(&self, f: &AssessmentFilter) -> Result<Vec<AssessmentSummary>> {
        let mut st = self.conn.prepare(
            "SELECT id, created_at, recipient, twin_sha256, twin_path, source_sha256, source_path, verdict
             FROM assessments
             WHERE (?1 IS NULL OR twin_sha256 = ?1 OR twin_path = ?1) AND (?2 IS NULL OR recipient = ?2)
               AND (?3 IS NULL OR source_sha256 = ?3)
             ORDER BY created_at, rowid",
        )?;
        let rows = st
            .query_map(params![f.twin_sha256, f.recipient, f.source_sha256], |r| {
                Ok(AssessmentSummary {
                    id: r.get(0)?,
                    created_at: r.get(1)?,
                    recipient: r.get(2)?,
                    twin_sha256: r.get(3)?,
                    twin_path: r.get(4)?,
                    source_sha256: r.get(5)?,
                    source_path: r.get(6)?,
                    verdict: verdict_of(&r.get::<_, String>(7)?),
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// Voids a visa issued in error: it stays on record and takes no further part.
    pub fn void(&mut self, id: &str, on: i64, reason: &str) -> Result<Visa> {
        let v = self.visa(id)?;
        if v.state == "void" {
            return Err(invalid(format!("visa {id} is already void")));
        }
        if reason.trim().is_empty() {
            return Err(invalid("say why the visa was issued in error (--reason)"));
        }
        self.write(|tx| {
            tx.execute(
                "UPDATE visas SET state = 'void', state_on = ?2, state_reason = ?3 WHERE id = ?1",
                params![id, format_date(on), format!("issued in error: {reason}")],
            )?;
            log(tx, id, "voided", serde_json::json!({"reason": reason}))
        })?;
        self.visa(id)
    }

    /// Marks the twin a visa covers as sent to its recipient on `on`; the recipient's other
    /// visas on the same source are flagged for re-assessment of the combination.
    pub fn mark_sent(&mut self, id: &str, on: i64) -> Result<Visa> {
        let v = self.visa(id)?;
        if v.state == "void" {
            return Err(invalid(format!("visa {id} is void: it covers nothing")));
        }
        if let Some(d) = &v.sent_on {
            return Err(invalid(format!("visa {id} is already marked sent on {d}")));
        }
        self.write(|tx| {
            tx.execute(
                "UPDATE visas SET sent_on = ?2 WHERE id = ?1",
                params![id, format_date(on)],
            )?;
            log(tx, id, "sent", serde_json::json!({"on": format_date(on)}))
        })?;
        self.flag_new_release(&v.recipient, &v.twin_sha256, &format!("visa {id}"))?;
        self.visa(id)
    }

    /// Flags the recipient's active visas on the same source as `twin_sha` (other twins) for
    /// re-assessment: what the recipient holds has grown.
    pub fn flag_new_release(&mut self, recipient: &str, twin_sha: &str, what: &str) -> Result<()> {
        let sources: Vec<String> = self
            .assessments(&AssessmentFilter {
                twin_sha256: Some(twin_sha.into()),
                ..Default::default()
            })?
            .into_iter()
            .map(|a| a.source_sha256)
            .collect();
        let mut affected = Vec::new();
        for s in sources {
            for v in self.select(
                "recipient = ?1 AND source_sha256 = ?2 AND state = 'active' AND twin_sha256 <> ?3",
                params![recipient, s, twin_sha],
            )? {
                if !affected.iter().any(|a: &Visa| a.id == v.id) {
                    affected.push(v);
                }
            }
        }
        self.write(|tx| {
            for v in &affected {
                add_flag(tx, v, &format!(
                    "new release to the same recipient ({what}): the combination must be re-assessed"
                ))?;
            }
            Ok(())
        })
    }

    fn select(&self, filter: &str, p: impl rusqlite::Params) -> Result<Vec<Visa>> {
        let mut st = self.conn.prepare(&format!(
            "SELECT {VISA_COLUMNS} FROM visas WHERE {filter} ORDER BY issued_on, rowid"
        ))?;
        let rows = st.query_map(p, visa_of)?.collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// One visa.
    pub fn visa(&self, id: &str) -> Result<Visa> {
        self.select("id = ?1", [id])?.pop().ok_or_else(|| {
            VerdictError::NotFound(format!("no visa {id} in {}", self.path.display()))
        })
    }

    /// Every visa, oldest first.
    pub fn visas(&self) -> Result<Vec<Visa>> {
        self.select("1 = 1", [])
    }

    /// A visa's history, oldest first.
    pub fn events(&self, id: &str) -> Result<Vec<Event>> {
        let mut st = self
            .conn
            .prepare("SELECT at, event, detail FROM visa_events WHERE visa_id = ?1 ORDER BY seq")?;
        let rows = st
            .query_map([id], |r| {
                Ok(Event {
                    at: r.get(0)?,
                    event: r.get(1)?,
                    detail: serde_json::from_str(&r.get::<_, String>(2)?).unwrap_or_default(),
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// Revokes a visa (it no longer covers transfers); revoking twice is an error.
    pub fn revoke(&mut self, id: &str, on: i64, reason: &str) -> Result<Visa> {
        let v = self.visa(id)?;
        if v.state != "active" {
            return Err(invalid(format!("visa {id} is already {}", v.state)));
        }
        if reason.trim().is_empty() {
            return Err(invalid("say why the visa is revoked (--reason)"));
        }
        self.write(|tx| {
            tx.execute(
                "UPDATE visas SET state = 'revoked', state_on = ?2, state_reason = ?3 WHERE id = ?1",
                params![id, format_date(on), reason],
            )?;
            log(tx, id, "revoked", serde_json::json!({"reason": reason}))
        })?;
        self.visa(id)
    }

    /// What the recipient actually received from this source, other than `twin_sha`: twins
    /// whose visa is marked sent (void ones excluded), and `transfers` (ledger rows: label, file,
    /// content hash) of twins assessed from this source. One entry per content, latest first.
    pub fn sent_releases(
        &self,
        recipient: &str,
        source_sha: &str,
        twin_sha: &str,
        transfers: &[(String, String, String)],
    ) -> Result<Vec<SentRelease>> {
        let mut seen = std::collections::HashSet::new();
        seen.insert(twin_sha.to_owned());
        let mut out = Vec::new();
        for v in self
            .select(
                "recipient = ?1 AND source_sha256 = ?2 AND sent_on IS NOT NULL AND state <> 'void'",
                params![recipient, source_sha],
            )?
            .into_iter()
            .rev()
        {
            if seen.insert(v.twin_sha256.clone()) {
                out.push(SentRelease {
                    label: v.id,
                    twin_sha256: v.twin_sha256,
                    twin_path: v.twin_path,
                });
            }
        }
        for (label, file, sha) in transfers.iter().rev() {
            let of_source = !self
                .assessments(&AssessmentFilter {
                    twin_sha256: Some(sha.clone()),
                    source_sha256: Some(source_sha.into()),
                    ..Default::default()
                })?
                .is_empty();
            if of_source && seen.insert(sha.clone()) {
                out.push(SentRelease {
                    label: label.clone(),
                    twin_sha256: sha.clone(),
                    twin_path: file.clone(),
                });
            }
        }
        Ok(out)
    }

    /// Flags the recipient's active visas whose profile or policy differs from the current one;
    /// returns the flags added, by visa.
    pub fn flag_changes(
        &mut self,
        recipient: &str,
        profile_sha: &str,
        policy_sha: &str,
    ) -> Result<Vec<(String, String)>> {
        let active = self.select("recipient = ?1 AND state = 'active'", [recipient])?;
        let mut added = Vec::new();
        self.write(|tx| {
            for v in &active {
                if v.profile_sha256 != profile_sha {
                    let f = "the recipient's profile changed since the visa was issued".to_owned();
                    if add_flag(tx, v, &f)? {
                        added.push((v.id.clone(), f));
                    }
                }
                if v.policy_sha256 != policy_sha {
                    let f = "the policy changed since the visa was issued".to_owned();
                    if add_flag(tx, v, &f)? {
                        added.push((v.id.clone(), f));
                    }
                }
            }
            Ok(())
        })?;
        Ok(added)
    }

    /// Applies a re-assessment to a visa: renewed, reverted (revoked) or improved.
    pub fn record_review(
        &mut self,
        id: &str,
        new: &Stored,
        on: i64,
        review_months: u32,
    ) -> Result<Review> {
        let v = self.visa(id)?;
        let body = &new.assessment;
        let verdict = verdict_of(body["verdict"].as_str().unwrap_or_default());
        let outcome = if verdict == v.verdict {
            Review::Renewed {
                review_on: format_date(add_months(on, review_months as i64)),
            }
        } else if verdict > v.verdict {
            let reasons = body["reasons"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|r| r["caps"].as_str() != Some("anonymized"))
                .filter_map(|r| r["text"].as_str().map(str::to_owned))
                .collect();
            Review::Reverted { verdict, reasons }
        } else {
            Review::Improved { verdict }
        };
        let profile = content_sha256(&body["recipient"]);
        let policy = content_sha256(&body["policy"]);
        self.write(|tx| {
            match &outcome {
                Review::Renewed { review_on } => {
                    tx.execute(
                        "UPDATE visas SET review_on = ?2, assessment_id = ?3, assessment_sha256 = ?4,
                           profile_sha256 = ?5, policy_sha256 = ?6, review_flags = '[]' WHERE id = ?1",
                        params![id, review_on, new.id, new.body_sha256, profile, policy],
                    )?;
                }
                Review::Reverted { verdict, reasons } => {
                    let why = format!(
                        "re-assessment {} on {} gives {}: {}",
                        new.id,
                        format_date(on),
                        verdict.as_str(),
                        reasons.join("; ")
                    );
                    tx.execute(
                        "UPDATE visas SET state = 'revoked', state_on = ?2, state_reason = ?3 WHERE id = ?1",
                        params![id, format_date(on), why],
                    )?;
                }
                Review::Improved { .. } => {}
            }
            log(tx, id, "reviewed", serde_json::json!({"assessment": new.id, "outcome": outcome}))
        })?;
        Ok(outcome)
    }

    /// The visa that lets a transfer of `file_sha` to `recipient` on `on` go uncounted: it must
    /// be in force, `anonymized`, for this recipient and exactly this content.
    pub fn covering_visa(
        &self,
        id: &str,
        file_sha: &str,
        recipient: &str,
        on: i64,
    ) -> Result<Visa> {
        let v = self.visa(id)?;
        let status = v.status(on);
        let fail = |why: String| {
            Err(invalid(format!(
                "visa {id} does not cover this transfer: {why}"
            )))
        };
        if v.verdict != Verdict::Anonymized {
            return fail(format!(
                "its verdict is {}, not anonymized",
                v.verdict.as_str()
            ));
        }
        if !status.in_force() {
            return fail(format!("it is {} on {}", status.as_str(), format_date(on)));
        }
        if v.recipient != recipient {
            return fail(format!(
                "it was issued for recipient {:?}, not {recipient:?}",
                v.recipient
            ));
        }
        if v.twin_sha256 != file_sha {
            return fail(format!(
                "it covers content sha256 {}, and the file sent hashes to {file_sha}",
                v.twin_sha256
            ));
        }
        Ok(v)
    }
}

/// Adds a review flag unless the visa already has it; true when added.
fn add_flag(tx: &Transaction, v: &Visa, flag: &str) -> Result<bool> {
    let mut current: Vec<String> = tx
        .query_row(
            "SELECT review_flags FROM visas WHERE id = ?1",
            [&v.id],
            |r| r.get::<_, String>(0),
        )
        .map(|s| serde_json::from_str(&s).unwrap_or_default())?;
    if current.iter().any(|f| f == flag) {
        return Ok(false);
    }
    current.push(flag.to_owned());
    tx.execute(
        "UPDATE visas SET review_flags = ?2 WHERE id = ?1",
        params![v.id, serde_json::to_string(&current).unwrap_or_default()],
    )?;
    log(tx, &v.id, "flagged", serde_json::json!({"flag": flag}))?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn visa(review_on: &str, state: &str) -> Visa {
        Visa {
            id: "visa-1".into(),
            assessment_id: "as-1".into(),
            recipient: "r".into(),
            twin_sha256: "t".into(),
            twin_path: "t.csv".into(),
            source_sha256: "s".into(),
            verdict: Verdict::Anonymized,
            issued_on: "2026-01-01".into(),
            review_on: review_on.into(),
            conditions: Vec::new(),
            assessment_sha256: String::new(),
            profile_sha256: String::new(),
            policy_sha256: String::new(),
            state: state.into(),
            state_on: None,
            state_reason: None,
            superseded_by: None,
            review_flags: Vec::new(),
            sent_on: None,
            override_reason: None,
        }
    }

    #[test]
    fn status_follows_the_review_date_and_the_state() {
        let d = |s: &str| parse_date(s).unwrap();
        let v = visa("2027-01-01", "active");
        assert_eq!(v.status(d("2026-12-01")), Status::Valid);
        assert_eq!(v.status(d("2026-12-02")), Status::Expiring);
        assert_eq!(v.status(d("2027-01-01")), Status::Expiring);
        assert_eq!(v.status(d("2027-01-02")), Status::Expired);
        assert_eq!(
            visa("2027-01-01", "revoked").status(d("2026-06-01")),
            Status::Revoked
        );
        assert_eq!(
            visa("2027-01-01", "superseded").status(d("2026-06-01")),
            Status::Superseded
        );
        assert!(Status::Expiring.in_force() && !Status::Expired.in_force());
    }

    #[test]
    fn a_visa_on_a_verdict_other_than_anonymized_is_recorded_never_valid() {
        let d = |s: &str| parse_date(s).unwrap();
        for verdict in [Verdict::DeIdentified, Verdict::Personal] {
            let v = Visa {
                verdict,
                ..visa("2027-01-01", "active")
            };
            for day in ["2026-06-01", "2026-12-15", "2027-06-01"] {
                assert_eq!(v.status(d(day)), Status::Recorded, "{verdict:?} on {day}");
            }
            assert!(!Status::Recorded.in_force());
            // The review date still brings it up for review.
            assert!(!v.review_due(d("2026-06-01")) && v.review_due(d("2026-12-15")));
            // Revoked, superseded and void still say so.
            let revoked = Visa {
                verdict,
                ..visa("2027-01-01", "revoked")
            };
            assert_eq!(revoked.status(d("2026-06-01")), Status::Revoked);
        }
    }

    #[test]
    fn profile_hashes_match_whether_from_the_struct_or_its_stored_json() {
        let r: Recipient = toml::from_str("id = \"r\"\nknows = [\"a\"]\n").unwrap();
        let stored: serde_json::Value =
            serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
        assert_eq!(profile_sha256(&r), content_sha256(&stored));
        let p = Policy::default();
        let stored: serde_json::Value = serde_json::to_value(&p).unwrap();
        assert_eq!(policy_sha256(&p), content_sha256(&stored));
    }
}
