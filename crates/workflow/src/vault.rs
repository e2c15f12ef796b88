//! The vault's use cases: make it, its keys (rotate, rekey, crypto-shred), its approvers, the
//! relink requests (filed, approved by two, executed once, every step logged) and the audit
//! log's verification. Keys and credentials come from the workspace's secrets, never from a
//! request.

use crate::error::{Error, Result};
use crate::workspace::Workspace;
use datavisa_table::{read_table, write_atomic, ReadOptions};
use datavisa_twin::manifest::{Manifest, ManifestKind};
use datavisa_vault::audit::{Entry, Verification};
use datavisa_vault::keys::{KeyInfo, Shredded};
use datavisa_vault::relink::Approver;
use datavisa_vault::{KdfParams, KeyRef, NewRequest, Passphrase, TwinStatus, Vault, VaultError};
use serde::Serialize;
use serde_json::json;
use std::path::{Path, PathBuf};

/// A vault as named in results: its id and file.
#[derive(Clone, Debug, Serialize)]
pub struct VaultId {
    /// The vault's random id.
    pub id: String,
    /// Its file.
    pub path: String,
}

/// Everything a vault holds, without a secret.
#[derive(Clone, Debug, Serialize)]
pub struct VaultStatus {
    /// Which vault.
    pub vault: VaultId,
    /// Every key (ids, versions, states).
    pub keys: Vec<KeyInfo>,
    /// Every registered twin and whether it can be relinked.
    pub twins: Vec<TwinStatus>,
    /// Every approver, past and present.
    pub approvers: Vec<Approver>,
}

/// A relink request to file.
#[derive(Clone, Debug)]
pub struct RelinkRequest {
    /// The pseudonymized twin's manifest.
    pub twin: PathBuf,
    /// A file of pseudonyms, one per line; the whole column when absent.
    pub values: Option<PathBuf>,
    /// The column; needed when the twin has several relinkable columns.
    pub column: Option<String>,
    /// Why the identities are needed.
    pub purpose: String,
    /// The legal basis.
    pub legal_basis: String,
    /// Who asks.
    pub requested_by: String,
    /// How long approval stays open: `72h`, `30m`, `7d`, `90s`.
    pub ttl: String,
}

/// Keys, twins and approvers of an open vault.
fn status_of(v: &Vault) -> Result<VaultStatus> {
    Ok(VaultStatus {
        vault: VaultId {
            id: v.id().to_owned(),
            path: v.path().display().to_string(),
        },
        keys: v.keys()?,
        twins: v.twins()?,
        approvers: v.approvers()?,
    })
}

/// Seconds in a duration like `72h`, `30m`, `7d`, `90s` (hours when no unit).
pub fn parse_ttl(s: &str) -> Result<i64> {
    let s = s.trim();
    let (num, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: i64 = num
        .parse()
        .map_err(|_| Error::bad_input(format!("--ttl {s:?}: expected e.g. 72h, 30m, 7d")))?;
    let mult = match unit {
        "s" => 1,
        "m" => 60,
        "h" | "" => 3600,
        "d" => 86_400,
        _ => {
            return Err(Error::bad_input(format!(
                "--ttl {s:?}: unit is s, m, h or d"
            )))
        }
    };
    if n <= 0 {
        return Err(Error::bad_input("--ttl must be positive"));
    }
    Ok(n * mult)
}

/// Writes 32 random bytes as hex to a new owner-only file and returns them as a master key.
pub fn new_key_file(out: &Path) -> Result<Passphrase> {
    let key = datavisa_vault::crypto::random_secret::<32>()?;
    let text = write_secret_file(out, &key[..])?;
    Ok(Passphrase::new(text.as_bytes().to_vec())?)
}

/// The twin id, column and pseudonyms of a relink request: from a values file or the whole
/// column of the twin its manifest names.
pub fn request_values(
    v: &Vault,
    manifest_path: &Path,
    values: Option<&Path>,
    column: Option<&str>,
) -> Result<(String, String, Vec<String>)> {
    let m = Manifest::read(manifest_path)?;
    let twin_id = match (m.kind, &m.twin_id) {
        (ManifestKind::PseudonymizedTwin, Some(id)) => id.clone(),
        _ => {
            return Err(Error::bad_input(format!(
                "{}: not a pseudonymized twin's manifest (no twin_id)",
                manifest_path.display()
            )))
        }
    };
    let column = relink_column(v, &twin_id, column)?;
    let mut pseudonyms: Vec<String> = match values {
        Some(f) => std::fs::read_to_string(f)
            .map_err(|e| Error::bad_input(format!("cannot read {}: {e}", f.display())))?
            .lines()
            .map(|l| l.trim().to_owned())
            .filter(|l| !l.is_empty() && *l != column && *l != "pseudonym")
            .collect(),
        None => twin_column(&m.twin_file(manifest_path), &column)?,
    };
    let mut seen = std::collections::HashSet::new();
    pseudonyms.retain(|p| seen.insert(p.clone()));
    Ok((twin_id, column, pseudonyms))
}

/// The relinkable column of a registered twin: `column` when named, else its only one.
pub(crate) fn relink_column(v: &Vault, twin_id: &str, column: Option<&str>) -> Result<String> {
    let twin = v.twin(twin_id)?;
    let keyed: Vec<&str> = twin
        .record
        .columns
        .iter()
        .filter(|c| c.key.is_some() && matches!(c.method.as_str(), "token" | "encrypt" | "fpe"))
        .map(|c| c.column.as_str())
        .collect();
    match (column, keyed.as_slice()) {
        (Some(c), _) => Ok(c.to_owned()),
        (None, [one]) => Ok((*one).to_owned()),
        (None, _) => Err(Error::bad_input(format!(
            "name the column with --column (relinkable columns: {})",
            keyed.join(", ")
        ))),
    }
}

/// Every distinct value of `column` in the twin file.
fn twin_column(path: &Path, column: &str) -> Result<Vec<String>> {
    let opts = ReadOptions {
        all_text: true,
        ..Default::default()
    };
    let t = read_table(path, &opts)?;
    let c = t.column(column)?;
    Ok(c.value_counts().into_iter().map(|(v, _)| v).collect())
}

/// Writes `pseudonym,value` rows to `out` (owner-only, atomically); returns the file's SHA-256.
fn write_pairs(out: &Path, pairs: &[(String, Option<String>)]) -> Result<String> {
    // tempfile creates the file owner-only; the rename keeps that.
    write_atomic(out, |w| {
        let mut c = csv::Writer::from_writer(w);
        let err =
            |e: csv::Error| datavisa_table::TableError::Invalid(format!("{}: {e}", out.display()));
        c.write_record(["pseudonym", "value"]).map_err(err)?;
        for (p, v) in pairs {
            c.write_record([p.as_str(), v.as_deref().unwrap_or("")])
                .map_err(err)?;
        }
        c.flush()
            .map_err(|e| datavisa_table::TableError::io(out, e))
    })?;
    Ok(datavisa_table::file_sha256(out)?)
}

/// Executes an approved request on an open vault, writing the pairs to `output`. The pairs go
/// to a partial file first and reach `output` only once the execution is committed: a process
/// whose execution is refused (a concurrent one won) leaves no identities behind.
pub fn execute(v: &mut Vault, id: &str, output: &Path) -> Result<usize> {
    // Identities a killed execution left in a partial file of this output are removed first,
    // whatever this execution's fate.
    datavisa_table::io::clean_partials(output);
    let dir = match output.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let partial = dir.join(format!(
        "{}relink-{id}.csv",
        datavisa_table::io::partial_prefix(output)
    ));
    let done = execute_into(v, id, &partial, output);
    match done {
        Ok(n) => {
            std::fs::rename(&partial, output).map_err(|e| {
                Error::internal(format!(
                    "the relink was executed and logged, but {} could not be moved to {}: {e}",
                    partial.display(),
                    output.display()
                ))
            })?;
            Ok(n)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            Err(e)
        }
    }
}

/// Executes the request, writing the pairs to `partial`; the log names `output`.
fn execute_into(v: &mut Vault, id: &str, partial: &Path, output: &Path) -> Result<usize> {
    let out: PathBuf = output.to_path_buf();
    Ok(v.execute_relink(id, |auth| {
        let pairs = datavisa_twin::pseudonymize::reverse(auth)
            .map_err(|e| VaultError::Invalid(e.to_string()))?;
        if let Some((p, _)) = pairs.iter().find(|(_, v)| v.is_none()) {
            return Err(VaultError::Invalid(format!(
                "pseudonym {p:?} does not decode under the twin's key"
            )));
        }
        let sha = write_pairs(partial, &pairs).map_err(|e| VaultError::Io {
            path: out.clone(),
            source: std::io::Error::other(e.message),
        })?;
        Ok((
            pairs.len(),
            json!({"values": pairs.len(), "output": out.display().to_string(), "output_sha256": sha}),
        ))
    })?)
}

/// An Ed25519 key (anchors, attestations) from its hex-seed file, or a new one written there,
/// owner-only, its directory made; true when new.
pub fn ed25519_key_file(path: &Path) -> Result<(datavisa_vault::anchor::SigningKey, bool)> {
    if path.exists() {
        let text = zeroize::Zeroizing::new(
            std::fs::read_to_string(path)
                .map_err(|e| Error::bad_input(format!("{}: {e}", path.display())))?,
        );
        let key = datavisa_verdict::attest::signing_key_of(&text)
            .map_err(|e| Error::bad_input(format!("{}: {e}", path.display())))?;
        return Ok((key, false));
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::internal(format!("cannot create {}: {e}", dir.display())))?;
    }
    let seed = datavisa_vault::crypto::random_secret::<32>()?;
    write_secret_file(path, &seed[..])?;
    Ok((datavisa_vault::anchor::SigningKey::from_bytes(&seed), true))
}

/// Writes secret bytes as hex (and a newline) to a new owner-only file; never overwrites.
fn write_secret_file(path: &Path, secret: &[u8]) -> Result<zeroize::Zeroizing<String>> {
    let mut f = datavisa_vault::store::create_private_file(path)?;
    let text = zeroize::Zeroizing::new(datavisa_vault::crypto::hex(secret) + "\n");
    use std::io::Write;
    f.write_all(text.as_bytes())
        .and_then(|_| f.sync_all())
        .map_err(|e| Error::internal(format!("cannot write {}: {e}", path.display())))?;
    Ok(text)
}

/// A tampered audit log is a refusal; the verification is returned for the front end to show.
pub fn require_intact(r: &Verification) -> Result<()> {
    if r.intact {
        return Ok(());
    }
    let lines: Vec<String> = r
        .problems
        .iter()
        .map(|p| format!("  entry {}: {}: {}", p.seq, p.kind, p.message))
        .collect();
    Err(Error::refused(format!(
        "the audit log was tampered with:\n{}",
        lines.join("\n")
    )))
}

impl Workspace {
    fn vault(&self) -> Result<Vault> {
        self.open_vault_as(self.actor())
    }

    /// Makes a new vault in the store with the workspace's master key.
    pub fn vault_init(&self, kdf: KdfParams) -> Result<VaultId> {
        let pass = self.secrets().master_key()?;
        let v = Vault::init(self.store(), &pass, kdf, self.actor())?;
        Ok(VaultId {
            id: v.id().to_owned(),
            path: v.path().display().to_string(),
        })
    }

    /// Keys, twins and approvers of the vault.
    pub fn vault_status(&self) -> Result<VaultStatus> {
        status_of(&self.vault()?)
    }

    /// New key versions for a recipient and domain (all when unnamed).
    pub fn rotate_keys(
        &self,
        recipient: Option<&str>,
        domain: Option<&str>,
    ) -> Result<Vec<KeyRef>> {
        Ok(self.vault()?.rotate(recipient, domain)?)
    }

    /// Re-wraps every key under the workspace's new master key.
    pub fn rekey(&self) -> Result<()> {
        let new = self.secrets().new_master_key()?;
        Ok(self.vault()?.rekey(&new, KdfParams::default())?)
    }

    /// Crypto-shreds a recipient's keys; `confirmed` must be true (it cannot be undone).
    pub fn destroy_keys(
        &self,
        recipient: &str,
        domain: Option<&str>,
        confirmed: bool,
    ) -> Result<Shredded> {
        if !confirmed {
            return Err(Error::bad_input(format!(
                "destroying the keys of {recipient:?} cannot be undone: twins made with them can never be relinked; add --yes"
            )));
        }
        let mut v = self.vault()?;
        let shredded = v.destroy(recipient, domain)?;
        self.auto_anchor(&v, "keys.destroyed")?;
        Ok(shredded)
    }

    /// Registers an approver with the workspace's approver credential.
    pub fn add_approver(&self, name: &str) -> Result<()> {
        let cred = self.secrets().approver_credential()?;
        Ok(self.vault()?.add_approver(name, &cred)?)
    }

    /// Removes an approver.
    pub fn remove_approver(&self, name: &str) -> Result<()> {
        Ok(self.vault()?.remove_approver(name)?)
    }

    /// Every approver.
    pub fn approvers(&self) -> Result<Vec<Approver>> {
        Ok(self.vault()?.approvers()?)
    }

    /// Files a relink request (it needs two approvers other than the requester).
    pub fn request_relink(&self, r: &RelinkRequest) -> Result<Request> {
        let ttl_secs = parse_ttl(&r.ttl)?;
        let mut v = self.open_vault_as(&r.requested_by)?;
        let (twin_id, column, pseudonyms) =
            request_values(&v, &r.twin, r.values.as_deref(), r.column.as_deref())?;
        Ok(v.request_relink(NewRequest {
            twin_id,
            column,
            pseudonyms,
            purpose: r.purpose.clone(),
            legal_basis: r.legal_basis.clone(),
            requested_by: r.requested_by.clone(),
            ttl_secs,
        })?)
    }

    /// Approves a request as `approver`, with the workspace's approver credential.
    pub fn approve_relink(&self, id: &str, approver: &str) -> Result<Request> {
        let cred = self.secrets().approver_credential()?;
        Ok(self.open_vault_as(approver)?.approve(id, approver, &cred)?)
    }

    /// Denies a request as `approver`, with the workspace's approver credential.
    pub fn deny_relink(&self, id: &str, approver: &str, reason: &str) -> Result<()> {
        let cred = self.secrets().approver_credential()?;
        self.open_vault_as(approver)?
            .deny(id, approver, &cred, reason)?;
        Ok(())
    }

    /// Withdraws a request as the one who filed it.
    pub fn withdraw_relink(&self, id: &str, by: &str) -> Result<()> {
        self.open_vault_as(by)?.withdraw(id, by)?;
        Ok(())
    }

    /// Executes an approved request once, as `by`, writing the pairs to `output`.
    pub fn execute_relink(&self, id: &str, by: &str, output: &Path) -> Result<usize> {
        self.guard(output, &[])?;
        let mut v = self.open_vault_as(by)?;
        let n = execute(&mut v, id, output)?;
        self.auto_anchor(&v, "relink.executed")?;
        Ok(n)
    }

    /// Every relink request.
    pub fn relink_requests(&self) -> Result<Vec<Request>> {
        Ok(self.vault()?.requests()?)
    }

    /// One relink request.
    pub fn relink_request(&self, id: &str) -> Result<Request> {
        Ok(self.vault()?.request(id)?)
    }

    /// The audit log, oldest first; the `last` entries only when given.
    pub fn audit_log(&self, last: Option<usize>) -> Result<Vec<Entry>> {
        let mut list = self.vault()?.audit_entries()?;
        if let Some(n) = last {
            list.drain(..list.len().saturating_sub(n));
        }
        Ok(list)
    }

    /// Verifies the audit log's chain, MACs and head (see [`require_intact`]).
    pub fn verify_audit(&self) -> Result<Verification> {
        Ok(self.vault()?.verify_audit()?)
    }

    /// Verifies the log and that it still holds everything up to the anchor in `anchor`
    /// (signed by `expected_key` when given).
    pub fn verify_audit_anchored(
        &self,
        anchor: &Path,
        expected_key: Option<&str>,
    ) -> Result<Verification> {
        let text = std::fs::read_to_string(anchor)
            .map_err(|e| Error::bad_input(format!("{}: {e}", anchor.display())))?;
        let a: Anchor = serde_json::from_str(&text).map_err(|e| {
            Error::bad_input(format!("{}: not an audit anchor: {e}", anchor.display()))
        })?;
        self.verify_audit_against(&a, expected_key)
    }

    /// Verifies the log and that it still holds everything up to `anchor` (signed by
    /// `expected_key` when given); a bad anchor is a problem of kind `anchor_invalid`.
    pub fn verify_audit_against(
        &self,
        anchor: &Anchor,
        expected_key: Option<&str>,
    ) -> Result<Verification> {
        let v = self.vault()?;
        let mut r = v.verify_audit()?;
        r.problems.extend(v.check_anchor(anchor, expected_key)?);
        r.intact = r.problems.is_empty();
        Ok(r)
    }

    /// The audit chain's head signed now with the workspace's anchor key (made, owner-only,
    /// when missing), written nowhere: like `audit anchor`, it reads the log and changes nothing
    /// in the store, so it is no audit entry (one would move the head it signs).
    pub fn sign_audit_head(&self) -> Result<Anchor> {
        let (_, key) = self.anchor_place();
        let (key, _) = ed25519_key_file(&key)?;
        Ok(self.vault()?.anchor(&key, "audit anchor")?)
    }

    /// Signs the audit chain's head with the anchor key and writes the anchor to `output`.
    pub fn anchor_audit(&self, output: &Path, key: &Path) -> Result<Anchor> {
        self.guard(output, &[])?;
        self.guard(key, &[])?;
        let a = self
            .vault()?
            .anchor(&ed25519_key_file(key)?.0, "audit anchor")?;
        crate::evidence::write_json(output, &a)?;
        Ok(a)
    }

    /// Writes an anchor into the anchor directory after a step that must never be rolled back
    /// (a relink execution, a key destruction); returns where.
    pub(crate) fn auto_anchor(&self, v: &Vault, reason: &str) -> Result<PathBuf> {
        let (dir, key) = self.anchor_place();
        std::fs::create_dir_all(&dir)
            .map_err(|e| Error::internal(format!("cannot create {}: {e}", dir.display())))?;
        let a = v.anchor(&ed25519_key_file(&key)?.0, reason)?;
        let path = dir.join(format!("anchor-{:08}.json", a.seq));
        crate::evidence::write_json(&path, &a)?;
        Ok(path)
    }
}

/// A signed checkpoint of the audit chain, as `audit anchor` writes it.
pub use datavisa_vault::anchor::{Anchor, ANCHOR_FORMAT};
/// A relink request as stored, and the approvals each one needs.
pub use datavisa_vault::relink::APPROVALS_NEEDED;
pub use datavisa_vault::Request;
