//! `datavisa vault`, `relink` and `audit`: flags → request → workspace → print. The rules live
//! in the `vault` crate, the use cases in the workflow; keys and credentials come from files or
//! environment variables through the CLI's secrets.

use crate::front::{workspace, CliSecrets};
use crate::output::{print_items, print_json, table};
use crate::{ApproverCommand, AuditCommand, Format, RelinkCommand, VaultArgs, VaultCommand};
use anyhow::Result;
use datavisa_workflow::vault::{new_key_file, require_intact, RelinkRequest, VaultStatus};
use datavisa_workflow::{KdfParams, Workspace};
use std::path::{Path, PathBuf};

/// A workspace on the vault's store, its master key from `--master-key-file` or the environment.
fn ws(a: &VaultArgs, credential_file: Option<PathBuf>) -> Result<Workspace> {
    let secrets = CliSecrets {
        master_key_file: a.master_key_file.clone(),
        credential_file,
        new_master_key_file: None,
    };
    Ok(workspace(&a.store, secrets, true)?)
}

/// `datavisa vault keygen`.
fn keygen(out: &Path) -> Result<()> {
    drop(new_key_file(out)?);
    eprintln!("wrote a new master key to {} (owner-only); keep it in China and back it up: without it the vault cannot be opened", out.display());
    Ok(())
}

/// `datavisa vault ...`.
pub fn vault_cmd(c: VaultCommand) -> Result<()> {
    match c {
        VaultCommand::Init {
            vault,
            kdf_memory_mib,
            kdf_passes,
        } => {
            let kdf = KdfParams {
                m_kib: kdf_memory_mib.max(1) * 1024,
                t: kdf_passes.max(1),
                p: 1,
            };
            let v = ws(&vault, None)?.vault_init(kdf)?;
            println!("created vault {} at {}", v.id, v.path);
            Ok(())
        }
        VaultCommand::Keygen { output } => keygen(&output),
        VaultCommand::Status { vault, format } => {
            status(&ws(&vault, None)?.vault_status()?, format)
        }
        VaultCommand::Rotate {
            vault,
            recipient,
            domain,
        } => {
            for k in ws(&vault, None)?.rotate_keys(recipient.as_deref(), domain.as_deref())? {
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
            let secrets = CliSecrets {
                master_key_file: vault.master_key_file.clone(),
                credential_file: None,
                new_master_key_file,
            };
            workspace(&vault.store, secrets, true)?.rekey()?;
            println!("master key changed; every stored key was re-wrapped");
            Ok(())
        }
        VaultCommand::Approver { approver } => approver_cmd(approver),
        VaultCommand::Destroy {
            vault,
            recipient,
            domain,
            yes,
        } => {
            let s = ws(&vault, None)?.destroy_keys(&recipient, domain.as_deref(), yes)?;
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

fn approver_cmd(c: ApproverCommand) -> Result<()> {
    match c {
        ApproverCommand::Add {
            name,
            credential_file,
            vault,
        } => {
            ws(&vault, credential_file)?.add_approver(&name)?;
            println!("approver {name:?} registered");
        }
        ApproverCommand::Remove { name, vault } => {
            ws(&vault, None)?.remove_approver(&name)?;
            println!("approver {name:?} removed");
        }
        ApproverCommand::List { vault, format } => {
            let list = ws(&vault, None)?.approvers()?;
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

fn status(st: &VaultStatus, format: Format) -> Result<()> {
    if format == Format::Json {
        return print_json(st);
    }
    let (keys, twins, approvers) = (&st.keys, &st.twins, &st.approvers);
    println!("vault {} at {}", st.vault.id, st.vault.path);
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
                t.status.to_string(),
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

fn print_request(r: &datavisa_workflow::vault::Request, format: Format) -> Result<()> {
    if format == Format::Json {
        return print_json(r);
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
            let req = RelinkRequest {
                twin,
                values,
                column,
                purpose,
                legal_basis,
                requested_by,
                ttl,
            };
            let r = ws(&vault, None)?.request_relink(&req)?;
            if format == Format::Json {
                return print_json(&r);
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
            let r = ws(&vault, credential_file)?.approve_relink(&id, &approver)?;
            println!(
                "{id}: approved by {approver} ({} of {} approvals)",
                r.approvals.len(),
                datavisa_workflow::vault::APPROVALS_NEEDED
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
            ws(&vault, credential_file)?.deny_relink(&id, &approver, &reason)?;
            println!("{id}: denied by {approver}");
            Ok(())
        }
        RelinkCommand::Withdraw { id, by, vault } => {
            ws(&vault, None)?.withdraw_relink(&id, &by)?;
            println!("{id}: withdrawn by {by}");
            Ok(())
        }
        RelinkCommand::Execute {
            id,
            output,
            by,
            vault,
        } => {
            let w = ws(&vault, None)?;
            let by = by.unwrap_or_else(|| w.actor().to_owned());
            let n = w.execute_relink(&id, &by, &output)?;
            eprintln!(
                "{id}: {n} value(s) relinked into {} (owner-only; it holds personal information)",
                output.display()
            );
            Ok(())
        }
        RelinkCommand::List { vault, format } => {
            let list = ws(&vault, None)?.relink_requests()?;
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
            print_request(&ws(&vault, None)?.relink_request(&id)?, format)
        }
    }
}

/// `datavisa audit ...`.
pub fn audit_cmd(c: AuditCommand) -> Result<()> {
    match c {
        AuditCommand::Log {
            vault,
            last,
            format,
        } => {
            let list = ws(&vault, None)?.audit_log(last)?;
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
        AuditCommand::Anchor {
            vault,
            output,
            anchor_key,
            format,
        } => {
            let w = ws(&vault, None)?;
            let key = anchor_key.unwrap_or_else(|| w.anchor_place().1);
            let a = w.anchor_audit(&output, &key)?;
            match format {
                Format::Json => print_json(&a),
                Format::Human => {
                    println!(
                        "anchor {}: entry {} ({}), signed by {}; keep it outside the store",
                        output.display(),
                        a.seq,
                        a.hash,
                        a.public_key
                    );
                    Ok(())
                }
            }
        }
        AuditCommand::Verify {
            vault,
            anchor,
            anchor_public_key,
            format,
        } => {
            let w = ws(&vault, None)?;
            let r = match &anchor {
                Some(a) => w.verify_audit_anchored(a, anchor_public_key.as_deref())?,
                None => w.verify_audit()?,
            };
            if format == Format::Json {
                print_json(&r)?;
            } else if r.intact {
                println!(
                    "audit log intact: {} entries, chain, MACs, head and relink rows verified{}",
                    r.entries,
                    if anchor.is_some() {
                        ", and everything up to the anchor is still there"
                    } else {
                        ""
                    }
                );
            }
            Ok(require_intact(&r)?)
        }
    }
}
