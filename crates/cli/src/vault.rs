//! `datavisa vault`, `relink` and `audit`: unlocking the vault and printing what it holds; the
//! rules live in the `vault` crate.

use crate::commands::{Refused, UsageError};
use crate::output::{print_items, print_json, table};
use crate::{ApproverCommand, AuditCommand, Format, RelinkCommand, VaultArgs, VaultCommand};
use anyhow::{Context, Result};
use datavisa_table::write_atomic;
use datavisa_vault::{KdfParams, NewRequest, Passphrase, Vault, VaultError};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// Who is acting, for the audit log: the OS user.
pub fn os_user() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "unknown".into())
}

/// A secret from a file, else from an environment variable.
pub fn secret(file: Option<&Path>, var: &str, what: &str, flag: &str) -> Result<Passphrase> {
    let bytes = match file {
        Some(f) => {
            warn_if_readable_by_others(f);
            std::fs::read(f)
                .with_context(|| format!("cannot read the {what} file {}", f.display()))?
        }
        None => match std::env::var_os(var) {
            Some(v) => v.into_encoded_bytes(),
            None => {
                return Err(UsageError(format!("no {what}: set {var} or pass {flag} FILE")).into())
            }
        },
    };
    Passphrase::new(bytes).map_err(|e| UsageError(format!("{what}: {e}")).into())
}

fn warn_if_readable_by_others(f: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(m) = std::fs::metadata(f) {
            if m.permissions().mode() & 0o077 != 0 {
                eprintln!(
                    "warning: {} can be read by other users; `chmod 600` it",
                    f.display()
                );
            }
        }
    }
}

/// Maps vault errors to exit codes: refusals 3, bad input or state 2, the rest 1.
pub fn vault_err(e: VaultError) -> anyhow::Error {
    match e {
        VaultError::Refused(m) => Refused(format!("relink refused: {m}")).into(),
        VaultError::Sql(_) | VaultError::Io { .. } | VaultError::Crypto(_) => e.into(),
        other => UsageError(other.to_string()).into(),
    }
}

/// The master key of `a`: its key file, else DATAVISA_MASTER_KEY.
fn master_key(a: &VaultArgs) -> Result<Passphrase> {
    secret(
        a.master_key_file.as_deref(),
        "DATAVISA_MASTER_KEY",
        "master key",
        "--master-key-file",
    )
}

/// Opens the vault of `a` as `actor`.
pub fn open(a: &VaultArgs, actor: &str) -> Result<Vault> {
    Vault::open(&a.store, &master_key(a)?, actor).map_err(vault_err)
}

fn credential(file: Option<&Path>) -> Result<Passphrase> {
    secret(
        file,
        "DATAVISA_APPROVER_CREDENTIAL",
        "approver credential",
        "--credential-file",
    )
}

/// Writes 32 random bytes as hex to a new owner-only file and returns them as a master key.
pub fn new_key_file(out: &Path) -> Result<Passphrase> {
    let key = datavisa_vault::crypto::random_secret::<32>().map_err(vault_err)?;
    let mut f = datavisa_vault::store::create_private_file(out).map_err(vault_err)?;
    let text = zeroize::Zeroizing::new(datavisa_vault::crypto::hex(&key[..]) + "\n");
    use std::io::Write;
    f.write_all(text.as_bytes())
        .and_then(|_| f.sync_all())
        .with_context(|| format!("cannot write {}", out.display()))?;
    Passphrase::new(text.as_bytes().to_vec()).map_err(vault_err)
}

/// `datavisa vault keygen`.
fn keygen(out: &Path) -> Result<()> {
    drop(new_key_file(out)?);
    eprintln!("wrote a new master key to {} (owner-only); keep it in China and back it up: without it the vault cannot be opened", out.display());
    Ok(())
}

/// `datavisa vault ...`.
pub fn vault_cmd(c: VaultCommand) -> Result<()> {
    let me = os_user();
    match c {
        VaultCommand::Init {
            vault,
            kdf_memory_mib,
            kdf_passes,
        } => {
            let pass = master_key(&vault)?;
            let kdf = KdfParams {
                m_kib: kdf_memory_mib.max(1) * 1024,
                t: kdf_passes.max(1),
                p: 1,
            };
            let v = Vault::init(&vault.store, &pass, kdf, &me).map_err(vault_err)?;
            println!("created vault {} at {}", v.id(), v.path().display());
            Ok(())
        }
        VaultCommand::Keygen { output } => keygen(&output),
        VaultCommand::Status { vault, format } => status(&open(&vault, &me)?, format),
        VaultCommand::Rotate {
            vault,
            recipient,
            domain,
        } => {
            let mut v = open(&vault, &me)?;
            for k in v
                .rotate(recipient.as_deref(), domain.as_deref())
                .map_err(vault_err)?
            {
                println!(
                    "recipient {} domain {}: now version {}",
                    k.recipient, k.domain, k.version
                );
            }
            Ok(())
        }
        VaultCommand::Rekey {
            vault,
            new_master_key_file,
        } => {
            let mut v = open(&vault, &me)?;
            let new = secret(
                new_master_key_file.as_deref(),
                "DATAVISA_NEW_MASTER_KEY",
                "new master key",
                "--new-master-key-file",
            )?;
            v.rekey(&new, KdfParams::default()).map_err(vault_err)?;
            println!("master key changed; every stored key was re-wrapped");
            Ok(())
        }
        VaultCommand::Approver { approver } => approver_cmd(approver, &me),
        VaultCommand::Destroy {
            vault,
            recipient,
            domain,
            yes,
        } => {
            if !yes {
                return Err(UsageError(format!(
                    "destroying the keys of {recipient:?} cannot be undone: twins made with them can never be relinked; add --yes"
                ))
                .into());
            }
            let mut v = open(&vault, &me)?;
            let s = v
                .destroy(&recipient, domain.as_deref())
                .map_err(vault_err)?;
            println!(
                "destroyed {} key(s) and {} token index entries; twins that can no longer be relinked: {}",
                s.keys.len(),
                s.token_index_entries,
                if s.twins.is_empty() { "none".into() } else { s.twins.join(", ") }
            );
            Ok(())
        }
    }
}

fn approver_cmd(c: ApproverCommand, me: &str) -> Result<()> {
    match c {
        ApproverCommand::Add {
            name,
            credential_file,
            vault,
        } => {
            let cred = credential(credential_file.as_deref())?;
            open(&vault, me)?
                .add_approver(&name, &cred)
                .map_err(vault_err)?;
            println!("approver {name:?} registered");
        }
        ApproverCommand::Remove { name, vault } => {
            open(&vault, me)?
                .remove_approver(&name)
                .map_err(vault_err)?;
            println!("approver {name:?} removed");
        }
        ApproverCommand::List { vault, format } => {
            let list = open(&vault, me)?.approvers().map_err(vault_err)?;
            print_items(&list, format, &["approver", "added", "removed"], 40, |a| {
                vec![
                    a.name.clone(),
                    a.added_at.clone(),
                    a.removed_at.clone().unwrap_or_default(),
                ]
            })?;
        }
    }
    Ok(())
}

fn status(v: &Vault, format: Format) -> Result<()> {
    let keys = v.keys().map_err(vault_err)?;
    let twins = v.twins().map_err(vault_err)?;
    let approvers = v.approvers().map_err(vault_err)?;
    if format == Format::Json {
        return print_json(&json!({
            "vault": {"id": v.id(), "path": v.path().display().to_string()},
            "keys": keys, "twins": twins, "approvers": approvers,
        }));
    }
    println!("vault {} at {}", v.id(), v.path().display());
    let rows: Vec<Vec<String>> = keys
        .iter()
        .map(|k| {
            vec![
                k.key_ref.recipient.clone(),
                k.key_ref.domain.clone(),
                k.key_ref.version.to_string(),
                k.status.clone(),
                k.created_at.clone(),
            ]
        })
        .collect();
    print!(
        "{}",
        table(
            &["recipient", "domain", "version", "status", "created"],
            &rows,
            40
        )
    );
    let rows: Vec<Vec<String>> = twins
        .iter()
        .map(|t| {
            vec![
                t.record.id.clone(),
                t.record.recipient.clone(),
                t.record.rows.to_string(),
                t.status.to_owned(),
                t.record.output.clone(),
            ]
        })
        .collect();
    print!(
        "{}",
        table(
            &["twin", "recipient", "rows", "status", "output"],
            &rows,
            50
        )
    );
    println!(
        "approvers: {}",
        approvers
            .iter()
            .filter(|a| a.removed_at.is_none())
            .map(|a| a.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(())
}

/// Seconds in a duration like `72h`, `30m`, `7d`, `90s`.
pub fn parse_ttl(s: &str) -> Result<i64> {
    let s = s.trim();
    let (num, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: i64 = num
        .parse()
        .map_err(|_| UsageError(format!("--ttl {s:?}: expected e.g. 72h, 30m, 7d")))?;
    let mult = match unit {
        "s" => 1,
        "m" => 60,
        "h" | "" => 3600,
        "d" => 86_400,
        _ => return Err(UsageError(format!("--ttl {s:?}: unit is s, m, h or d")).into()),
    };
    if n <= 0 {
        return Err(UsageError("--ttl must be positive".into()).into());
    }
    Ok(n * mult)
}

fn request_json(r: &datavisa_vault::Request) -> Value {
    serde_json::to_value(r).unwrap_or(Value::Null)
}

fn print_request(r: &datavisa_vault::Request, format: Format) -> Result<()> {
    if format == Format::Json {
        return print_json(&request_json(r));
    }
    println!(
        "{}: {} ({} value(s) of column {:?} in twin {}), requested by {} on {}, expires {}",
        r.id, r.status, r.n_values, r.column, r.twin_id, r.requested_by, r.created_at, r.expires_at
    );
    println!("  purpose: {}\n  legal basis: {}", r.purpose, r.legal_basis);
    for a in &r.approvals {
        println!("  approved by {} at {}", a.approver, a.at);
    }
    if let Some(by) = &r.closed_by {
        println!(
            "  closed by {by} at {}{}",
            r.closed_at.clone().unwrap_or_default(),
            r.reason
                .as_ref()
                .filter(|x| !x.is_empty())
                .map_or(String::new(), |x| format!(": {x}"))
        );
    }
    Ok(())
}

/// `datavisa relink ...`.
pub fn relink_cmd(c: RelinkCommand) -> Result<()> {
    let me = os_user();
    match c {
        RelinkCommand::Request {
            vault,
            twin,
            values,
            column,
            purpose,
            legal_basis,
            requested_by,
            ttl,
            format,
        } => {
            let ttl_secs = parse_ttl(&ttl)?;
            let mut v = open(&vault, &requested_by)?;
            let (twin_id, column, pseudonyms) = crate::pseudonymize::request_values(
                &v,
                &twin,
                values.as_deref(),
                column.as_deref(),
            )?;
            let r = v
                .request_relink(NewRequest {
                    twin_id,
                    column,
                    pseudonyms,
                    purpose,
                    legal_basis,
                    requested_by,
                    ttl_secs,
                })
                .map_err(vault_err)?;
            if format == Format::Json {
                return print_json(&request_json(&r));
            }
            println!("{}", r.id);
            eprintln!("request {} filed: needs approval by two registered approvers other than {} before {}", r.id, r.requested_by, r.expires_at);
            Ok(())
        }
        RelinkCommand::Approve {
            id,
            approver,
            credential_file,
            vault,
        } => {
            let cred = credential(credential_file.as_deref())?;
            let r = open(&vault, &approver)?
                .approve(&id, &approver, &cred)
                .map_err(vault_err)?;
            println!(
                "{id}: approved by {approver} ({} of {} approvals)",
                r.approvals.len(),
                datavisa_vault::relink::APPROVALS_NEEDED
            );
            Ok(())
        }
        RelinkCommand::Deny {
            id,
            approver,
            reason,
            credential_file,
            vault,
        } => {
            let cred = credential(credential_file.as_deref())?;
            open(&vault, &approver)?
                .deny(&id, &approver, &cred, &reason)
                .map_err(vault_err)?;
            println!("{id}: denied by {approver}");
            Ok(())
        }
        RelinkCommand::Withdraw { id, by, vault } => {
            open(&vault, &by)?.withdraw(&id, &by).map_err(vault_err)?;
            println!("{id}: withdrawn by {by}");
            Ok(())
        }
        RelinkCommand::Execute {
            id,
            output,
            by,
            vault,
        } => {
            let by = by.unwrap_or(me);
            let mut v = open(&vault, &by)?;
            let n = execute(&mut v, &id, &output)?;
            eprintln!(
                "{id}: {n} value(s) relinked into {} (owner-only; it holds personal information)",
                output.display()
            );
            Ok(())
        }
        RelinkCommand::List { vault, format } => {
            let list = open(&vault, &me)?.requests().map_err(vault_err)?;
            let header = [
                "request",
                "status",
                "twin",
                "column",
                "values",
                "requested by",
                "approvals",
                "expires",
            ];
            print_items(&list, format, &header, 30, |r| {
                vec![
                    r.id.clone(),
                    r.status.clone(),
                    r.twin_id.clone(),
                    r.column.clone(),
                    r.n_values.to_string(),
                    r.requested_by.clone(),
                    r.approvals.len().to_string(),
                    r.expires_at.clone(),
                ]
            })
        }
        RelinkCommand::Show { id, vault, format } => {
            let r = open(&vault, &me)?.request(&id).map_err(vault_err)?;
            print_request(&r, format)
        }
    }
}

/// Executes a request, writing `pseudonym,value` rows to `output` (owner-only, atomically).
pub fn execute(v: &mut Vault, id: &str, output: &Path) -> Result<usize> {
    let out: PathBuf = output.to_path_buf();
    v.execute_relink(id, |auth| {
        let pairs = datavisa_twin::pseudonymize::reverse(auth)
            .map_err(|e| VaultError::Invalid(e.to_string()))?;
        if let Some((p, _)) = pairs.iter().find(|(_, v)| v.is_none()) {
            return Err(VaultError::Invalid(format!("pseudonym {p:?} does not decode under the twin's key")));
        }
        let sha = write_pairs(&out, &pairs).map_err(|e| VaultError::Io { path: out.clone(), source: std::io::Error::other(e.to_string()) })?;
        Ok((pairs.len(), json!({"values": pairs.len(), "output": out.display().to_string(), "output_sha256": sha})))
    })
    .map_err(vault_err)
}

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

/// `datavisa audit ...`.
pub fn audit_cmd(c: AuditCommand) -> Result<()> {
    let me = os_user();
    match c {
        AuditCommand::Log {
            vault,
            last,
            format,
        } => {
            let mut list = open(&vault, &me)?.audit_entries().map_err(vault_err)?;
            if let Some(n) = last {
                list.drain(..list.len().saturating_sub(n));
            }
            print_items(
                &list,
                format,
                &["seq", "at", "actor", "action", "detail"],
                90,
                |e| {
                    vec![
                        e.seq.to_string(),
                        e.at.clone(),
                        e.actor.clone(),
                        e.action.clone(),
                        e.detail.to_string(),
                    ]
                },
            )
        }
        AuditCommand::Verify { vault, format } => {
            let r = open(&vault, &me)?.verify_audit().map_err(vault_err)?;
            if format == Format::Json {
                print_json(&serde_json::to_value(&r)?)?;
            } else if r.intact {
                println!(
                    "audit log intact: {} entries, chain, MACs and head verified",
                    r.entries
                );
            }
            if !r.intact {
                let lines: Vec<String> = r
                    .problems
                    .iter()
                    .map(|p| format!("  entry {}: {}: {}", p.seq, p.kind, p.message))
                    .collect();
                return Err(Refused(format!(
                    "the audit log was tampered with:\n{}",
                    lines.join("\n")
                ))
                .into());
            }
            Ok(())
        }
    }
}
