//! The recipient's own assessment: the exporter's kit, the recipient's signed attestation made
//! with holdings the exporter never sees, and its verified import into the register.

use crate::error::{Error, Result};
use crate::evidence::{tool, write_text};
use crate::workspace::Workspace;
use datavisa_table::{file_sha256, read_table, ReadOptions};
use datavisa_verdict::attest::{
    decide_join, join_figures, method_versions, public_hex, sign, verify, AttestationBody, Kit,
    SignedAttestation, ATTESTATION_FORMAT, KIT_FORMAT,
};
use datavisa_verdict::register::{AssessmentFilter, AttestationRecord, Register};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// The kit's file inside its directory.
pub const KIT_FILE: &str = "kit.json";

/// A kit to export for one twin and recipient.
#[derive(Clone, Debug)]
pub struct ExportKitRequest {
    pub twin: PathBuf,
    pub recipient: String,
    /// The directory to write `kit.json` into (created when missing).
    pub output: PathBuf,
}

/// The kit written.
#[derive(Clone, Debug, Serialize)]
pub struct KitExported {
    pub file: String,
    pub kit_sha256: String,
    pub assessment: String,
    pub kit: Kit,
}

/// The recipient's side: the kit, the twin it received and what it holds.
#[derive(Clone, Debug)]
pub struct AttestRequest {
    /// The kit directory (or its kit.json).
    pub kit: PathBuf,
    pub twin: PathBuf,
    pub holds: Vec<PathBuf>,
    /// The recipient's Ed25519 key (hex seed); made, readable only by its owner, when missing.
    pub signing_key: PathBuf,
    /// Where to write the signed attestation.
    pub output: PathBuf,
}

/// The attestation signed.
#[derive(Clone, Debug, Serialize)]
pub struct Attested {
    pub file: String,
    /// Whether the signing key was made now.
    pub new_key: bool,
    pub body: AttestationBody,
}

impl Workspace {
    /// Writes a kit from the latest assessment of (twin, recipient) and records it.
    pub fn export_kit(&self, req: &ExportKitRequest) -> Result<KitExported> {
        self.guard(&req.output, &[&req.twin])?;
        let twin_sha = file_sha256(&req.twin)?;
        if !Register::exists_in(self.store()) {
            return Err(Error::bad_input(format!(
                "{} holds no register: assess {} for {} first",
                self.store().display(),
                req.twin.display(),
                req.recipient
            )));
        }
        let mut reg = Register::open(self.store())?;
        let latest = reg
            .assessments(&AssessmentFilter {
                twin_sha256: Some(twin_sha.clone()),
                recipient: Some(req.recipient.clone()),
                ..Default::default()
            })?
            .pop()
            .ok_or_else(|| {
                Error::bad_input(format!(
                    "no assessment of {} for recipient {} in the register: assess it first",
                    req.twin.display(),
                    req.recipient
                ))
            })?;
        let a = reg.assessment(&latest.id)?.typed()?;
        let kit = Kit {
            format: KIT_FORMAT.into(),
            twin_sha256: twin_sha,
            twin_rows: a.twin.rows,
            twin_columns: a.twin.columns.clone(),
            recipient: a.recipient.clone(),
            policy: a.policy.clone(),
            known: a.known_columns.clone(),
            derived: derived_of(&a.known_columns),
            protected: protected_of(&a),
            method_versions: method_versions(),
            assessment: latest.id.clone(),
            verdict: a.verdict,
            tool_version: tool().version,
        };
        let text = serde_json::to_string_pretty(&kit)?;
        let sha = datavisa_vault::crypto::sha256_hex(text.as_bytes());
        std::fs::create_dir_all(&req.output).map_err(|e| {
            Error::bad_input(format!("cannot create {}: {e}", req.output.display()))
        })?;
        let file = req.output.join(KIT_FILE);
        write_text(&file, &text)?;
        reg.record_kit(&sha, &kit, &text)?;
        Ok(KitExported {
            file: file.display().to_string(),
            kit_sha256: sha,
            assessment: latest.id,
            kit,
        })
    }

    /// The recipient's assessment: joins the twin with its holdings, decides against the kit's
    /// policy, and signs the figures and the verdict (no row or value of the holdings).
    pub fn attest(&self, req: &AttestRequest) -> Result<Attested> {
        let kit_file = if req.kit.is_dir() {
            req.kit.join(KIT_FILE)
        } else {
            req.kit.clone()
        };
        let text = std::fs::read_to_string(&kit_file)
            .map_err(|e| Error::bad_input(format!("{}: {e}", kit_file.display())))?;
        let kit: Kit = serde_json::from_str(&text).map_err(|e| {
            Error::bad_input(format!("{}: not a datavisa kit: {e}", kit_file.display()))
        })?;
        if kit.format != KIT_FORMAT {
            return Err(Error::bad_input(format!(
                "{}: kit format {:?}, this datavisa reads {KIT_FORMAT}",
                kit_file.display(),
                kit.format
            )));
        }
        let twin_sha = file_sha256(&req.twin)?;
        if twin_sha != kit.twin_sha256 {
            return Err(Error::bad_input(format!(
                "{} hashes to {twin_sha}, but the kit is for the twin {}: this is not the twin the kit was made for",
                req.twin.display(),
                kit.twin_sha256
            )));
        }
        if req.holds.is_empty() {
            return Err(Error::bad_input(
                "give the holdings to join with the twin (--holds FILE, repeatable)",
            ));
        }
        let inputs: Vec<&Path> = [req.twin.as_path(), kit_file.as_path()]
            .into_iter()
            .chain(req.holds.iter().map(PathBuf::as_path))
            .collect();
        self.guard(&req.output, &inputs)?;
        let twin = read_table(&req.twin, &ReadOptions::default())?;
        let mut holdings = Vec::new();
        for h in &req.holds {
            holdings.push((file_sha256(h)?, read_table(h, &ReadOptions::default())?));
        }
        let figures = join_figures(&kit, &twin, &holdings)?;
        let (verdict, reasons) = decide_join(&kit, &figures);
        let (key, new_key) = crate::vault::ed25519_key_file(&req.signing_key)?;
        let body = AttestationBody {
            format: ATTESTATION_FORMAT.into(),
            kit_sha256: datavisa_vault::crypto::sha256_hex(text.as_bytes()),
            twin_sha256: twin_sha,
            recipient: kit.recipient.id.clone(),
            created_at: datavisa_vault::store::rfc3339(datavisa_vault::store::unix_now()),
            holdings: figures,
            verdict,
            reasons,
            method_versions: method_versions(),
            tool_version: tool().version,
            public_key: public_hex(&key),
        };
        let signed = sign(&body, &key)?;
        write_text(&req.output, &serde_json::to_string_pretty(&signed)?)?;
        Ok(Attested {
            file: req.output.display().to_string(),
            new_key,
            body,
        })
    }

    /// Verifies a recipient's attestation (signature, kit, twin, recipient) and records it.
    pub fn import_attestation(&self, file: &Path) -> Result<AttestationRecord> {
        let text = std::fs::read_to_string(file)
            .map_err(|e| Error::bad_input(format!("{}: {e}", file.display())))?;
        let signed: SignedAttestation = serde_json::from_str(&text).map_err(|e| {
            Error::bad_input(format!("{}: not a signed attestation: {e}", file.display()))
        })?;
        let body =
            verify(&signed).map_err(|e| Error::bad_input(format!("{}: {e}", file.display())))?;
        let refuse = |why: String| Err(Error::bad_input(format!("{}: {why}", file.display())));
        if body.format != ATTESTATION_FORMAT {
            return refuse(format!(
                "attestation format {:?} is not {ATTESTATION_FORMAT}",
                body.format
            ));
        }
        let mut reg = Register::open(self.store())?;
        let Some(kit) = reg.kit(&body.kit_sha256)? else {
            return refuse(format!(
                "it answers kit {}, which this store never exported",
                body.kit_sha256
            ));
        };
        if body.twin_sha256 != kit.twin_sha256 {
            return refuse(format!(
                "it attests twin {}, but its kit is for twin {}",
                body.twin_sha256, kit.twin_sha256
            ));
        }
        if body.recipient != kit.recipient.id {
            return refuse(format!(
                "it is signed as recipient {:?}, but its kit is for {:?}",
                body.recipient, kit.recipient.id
            ));
        }
        let record = AttestationRecord {
            id: datavisa_vault::crypto::random_id("att")?,
            imported_at: datavisa_vault::store::rfc3339(datavisa_vault::store::unix_now()),
            recipient: body.recipient.clone(),
            twin_sha256: body.twin_sha256.clone(),
            verdict: body.verdict,
            public_key: body.public_key.clone(),
            body_sha256: datavisa_vault::crypto::sha256_hex(signed.body.as_bytes()),
            body: signed.body,
        };
        reg.record_attestation(&record)?;
        Ok(record)
    }
}

/// The derivations among known column names.
fn derived_of(known: &[String]) -> Vec<datavisa_verdict::derive::Derived> {
    known
        .iter()
        .filter_map(|k| datavisa_verdict::derive::Derived::from_name(k))
        .collect()
}

/// Known columns the exporter's assessment found carried as tokens or ciphertext.
fn protected_of(a: &datavisa_verdict::Assessment) -> Vec<String> {
    a.known_columns
        .iter()
        .filter(|k| a.twin.columns.contains(k) && !a.known_in_twin.contains(k))
        .cloned()
        .collect()
}
