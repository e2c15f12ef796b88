//! `datavisa vault`, `relink` and `audit`: flags → request → workspace → print. The rules live
//! in the `vault` crate, the use cases in the workflow; keys and credentials come from files or
//! environment variables through the CLI's secrets.

use crate::front::{workspace, CliSecrets};
use crate::output::{code_cell, heads, list_arg, print_items, print_json, say, table, tell};
use crate::{ApproverCommand, AuditCommand, Format, RelinkCommand, VaultArgs, VaultCommand};
use anyhow::Result;
use datavisa_workflow::i18n::{Arg, Msg};
use datavisa_workflow::vault::{new_key_file, require_intact, RelinkRequest, VaultStatus};
use datavisa_workflow::words::code_msg;
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
    tell(Msg::new("cli.vault.keygen").arg("path", out.display().to_string()));
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
            say(Msg::new("cli.vault.created")
                .arg("id", v.id.to_string())
                .arg("path", v.path.to_string()));
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
                say(Msg::new("cli.vault.rotated")
                    .arg("recipient", k.recipient.to_string())
                    .arg("domain", k.domain.to_string())
                    .arg("version", k.version.to_string()));
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
            say(Msg::new("cli.vault.rekeyed"));
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
            let twins = if s.twins.is_empty() {
                Msg::new("value.none").into()
            } else {
                list_arg(&s.twins)
            };
            say(Msg::new("cli.vault.destroyed")
                .arg("keys", s.keys.len().to_string())
                .arg("entries", s.token_index_entries.to_string())
                .arg("twins", twins));
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
            say(Msg::new("cli.vault.approver_added").arg("name", format!("{name:?}")));
        }
        ApproverCommand::Remove { name, vault } => {
            ws(&vault, None)?.remove_approver(&name)?;
            say(Msg::new("cli.vault.approver_removed").arg("name", format!("{name:?}")));
        }
        ApproverCommand::List { vault, format } => {
            let list = ws(&vault, None)?.approvers()?;
            print_items(
                &list,
                format,
                &heads(&["approver", "added", "removed"]),
                40,
                |a| {
                    vec![
                        a.name.clone(),
                        a.added_at.clone(),
                        a.removed_at.clone().unwrap_or_default(),
                    ]
                },
            )?;
        }
    }
    Ok(())
}

fn status(st: &VaultStatus, format: Format) -> Result<()> {
    if format == Format::Json {
        return print_json(st);
    }
    let (keys, twins, approvers) = (&st.keys, &st.twins, &st.approvers);
    say(Msg::new("cli.vault.status")
        .arg("id", st.vault.id.to_string())
        .arg("path", st.vault.path.to_string()));
    let rows: Vec<Vec<String>> = keys
        .iter()
        .map(|k| {
            vec![
                k.key_ref.recipient.clone(),
                k.key_ref.domain.clone(),
                k.key_ref.version.to_string(),
                code_cell(&k.status, code_msg("key_status", &k.status)),
                k.created_at.clone(),
            ]
        })
        .collect();
    print!(
        "{}",
        table(
            &heads(&["recipient", "domain", "version", "status", "created"]),
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
                code_cell(
                    &t.status.to_string(),
                    code_msg("cli.vault.twin_status", t.status.as_str()),
                ),
                t.record.output.clone(),
            ]
        })
        .collect();
    print!(
        "{}",
        table(
            &heads(&["twin", "recipient", "rows", "status", "output"]),
            &rows,
            50
        )
    );
    let names: Vec<&str> = approvers
        .iter()
        .filter(|a| a.removed_at.is_none())
        .map(|a| a.name.as_str())
        .collect();
    say(Msg::new("cli.vault.approvers").arg("names", list_arg(&names)));
    Ok(())
}

fn print_request(r: &datavisa_workflow::vault::Request, format: Format) -> Result<()> {
    if format == Format::Json {
        return print_json(r);
    }
    say(Msg::new("cli.relink.request")
        .arg("id", &r.id)
        .arg("status", &r.status)
        .arg("n", r.n_values.to_string())
        .arg("column", format!("{:?}", r.column))
        .arg("twin", &r.twin_id)
        .arg("by", &r.requested_by)
        .arg("created", &r.created_at)
        .arg("expires", &r.expires_at));
    say(Msg::new("cli.relink.purpose")
        .arg("purpose", &r.purpose)
        .arg("basis", &r.legal_basis));
    for a in &r.approvals {
        say(Msg::new("cli.relink.approved_by")
            .arg("approver", &a.approver)
            .arg("at", &a.at));
    }
    if let Some(by) = &r.closed_by {
        let reason: Arg = r
            .reason
            .as_ref()
            .filter(|x| !x.is_empty())
            .map_or("".into(), |x| {
                Msg::new("cli.relink.closed_reason").arg("reason", x).into()
            });
        say(Msg::new("cli.relink.closed")
            .arg("by", by)
            .arg("at", r.closed_at.clone().unwrap_or_default())
            .arg("reason", reason));
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
            tell(
                Msg::new("cli.relink.filed")
                    .arg("id", &r.id)
                    .arg("by", &r.requested_by)
                    .arg("expires", &r.expires_at),
            );
            Ok(())
        }
        RelinkCommand::Approve {
            id,
            approver,
            credential_file,
            vault,
        } => {
            let r = ws(&vault, credential_file)?.approve_relink(&id, &approver)?;
            say(Msg::new("cli.relink.approved")
                .arg("id", &id)
                .arg("approver", &approver)
                .arg("n", r.approvals.len().to_string())
                .arg(
                    "needed",
                    datavisa_workflow::vault::APPROVALS_NEEDED.to_string(),
                ));
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
            say(Msg::new("cli.relink.denied")
                .arg("id", &id)
                .arg("approver", &approver));
            Ok(())
        }
        RelinkCommand::Withdraw { id, by, vault } => {
            ws(&vault, None)?.withdraw_relink(&id, &by)?;
            say(Msg::new("cli.relink.withdrawn")
                .arg("id", &id)
                .arg("by", &by));
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
            tell(
                Msg::new("cli.relink.executed")
                    .arg("id", &id)
                    .arg("n", n.to_string())
                    .arg("path", output.display().to_string()),
            );
            Ok(())
        }
        RelinkCommand::List { vault, format } => {
            let list = ws(&vault, None)?.relink_requests()?;
            let header = heads(&[
                "request",
                "status",
                "twin",
                "column",
                "values",
                "requested_by",
                "approvals",
                "expires",
            ]);
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
                &heads(&["seq", "at", "actor", "action", "detail"]),
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
                    say(Msg::new("cli.audit.anchor")
                        .arg("path", output.display().to_string())
                        .arg("seq", a.seq.to_string())
                        .arg("hash", a.hash.to_string())
                        .arg("key", a.public_key.to_string()));
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
                let anchored: Arg = if anchor.is_some() {
                    Msg::new("cli.audit.anchored").into()
                } else {
                    "".into()
                };
                say(Msg::new("cli.audit.intact")
                    .arg("entries", r.entries.to_string())
                    .arg("anchored", anchored));
            }
            Ok(require_intact(&r)?)
        }
    }
}
