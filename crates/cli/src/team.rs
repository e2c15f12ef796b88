//! `datavisa user`, `datavisa token` and `datavisa serve`: flags → request → workspace (or the
//! server's `run`) → print.

use crate::front::{workspace, CliSecrets};
use crate::output::{heads, print_items, print_json, say, tell, tr};
use crate::{Format, ServeArgs, TokenCommand, UserCommand, VaultArgs};
use anyhow::Result;
use datavisa_server::state::{Limits, StoreLocation};
use datavisa_workflow::i18n::Msg;
use datavisa_workflow::users::{Role, TokenInfo, User};
use datavisa_workflow::Workspace;

/// The store's workspace with the master key from `--master-key-file` or the environment.
fn ws(a: &VaultArgs) -> Result<Workspace> {
    let secrets = CliSecrets {
        master_key_file: a.master_key_file.clone(),
        ..Default::default()
    };
    Ok(workspace(&a.store, secrets, true)?)
}

fn roles_text(roles: &[Role]) -> String {
    roles
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

fn print_users(list: &[User], format: Format) -> Result<()> {
    print_items(
        list,
        format,
        &heads(&["name", "roles", "status", "created", "created_by"]),
        40,
        |u| {
            let status = if u.disabled {
                "cli.user.disabled_status"
            } else {
                "cli.user.active_status"
            };
            vec![
                u.name.clone(),
                roles_text(&u.roles),
                tr(Msg::new(status)),
                u.created_at.clone(),
                u.created_by.clone(),
            ]
        },
    )
}

fn print_tokens(list: &[TokenInfo], format: Format) -> Result<()> {
    let never = tr(Msg::new("cli.token.never"));
    print_items(
        list,
        format,
        &heads(&["prefix", "user", "created", "expires", "revoked"]),
        40,
        |t| {
            vec![
                t.prefix.clone(),
                t.user.clone(),
                t.created_at.clone(),
                t.expires_at.clone().unwrap_or_else(|| never.clone()),
                t.revoked_at.clone().unwrap_or_else(|| "-".into()),
            ]
        },
    )
}

/// `datavisa user ...`.
pub fn user_cmd(c: UserCommand) -> Result<()> {
    match c {
        UserCommand::Add {
            name,
            roles,
            vault,
            format,
        } => {
            let roles = Role::parse_list(&roles)?;
            let u = ws(&vault)?.add_user(&name, &roles)?;
            if format == Format::Json {
                return print_json(&u);
            }
            say(Msg::new("cli.user.added")
                .arg("name", u.name.to_string())
                .arg("roles", roles_text(&u.roles)));
            Ok(())
        }
        UserCommand::List { vault, format } => print_users(&ws(&vault)?.users()?, format),
        UserCommand::Disable {
            name,
            vault,
            format,
        } => {
            let u = ws(&vault)?.disable_user(&name)?;
            if format == Format::Json {
                return print_json(&u);
            }
            say(Msg::new("cli.user.disabled").arg("name", u.name.to_string()));
            Ok(())
        }
    }
}

/// `datavisa token ...`.
pub fn token_cmd(c: TokenCommand) -> Result<()> {
    match c {
        TokenCommand::Create {
            user,
            expires,
            vault,
            format,
        } => {
            let t = ws(&vault)?.create_token(&user, &expires)?;
            if format == Format::Json {
                return print_json(&t);
            }
            // The token alone on stdout, so that it can be captured; the note on stderr.
            println!("{}", t.token);
            tell(
                Msg::new("cli.token.created")
                    .arg("prefix", t.info.prefix.to_string())
                    .arg("user", t.info.user.to_string())
                    .arg(
                        "expires",
                        t.info
                            .expires_at
                            .clone()
                            .unwrap_or_else(|| tr(Msg::new("cli.token.never"))),
                    ),
            );
            Ok(())
        }
        TokenCommand::List { vault, format } => print_tokens(&ws(&vault)?.tokens()?, format),
        TokenCommand::Revoke {
            prefix,
            vault,
            format,
        } => {
            let t = ws(&vault)?.revoke_token(&prefix)?;
            if format == Format::Json {
                return print_json(&t);
            }
            say(Msg::new("cli.token.revoked")
                .arg("prefix", t.prefix.to_string())
                .arg("user", t.user.to_string()));
            Ok(())
        }
    }
}

/// `datavisa serve`.
pub fn serve_cmd(a: &ServeArgs) -> Result<()> {
    let config = datavisa_server::Config {
        listen: a.listen,
        store: StoreLocation::Dir(a.vault.store.clone()),
        master_key_file: a.vault.master_key_file.clone(),
        limits: Limits {
            upload_bytes: a.max_upload_mib.max(1).saturating_mul(1024 * 1024),
            json_bytes: a.max_json_kib.max(1).saturating_mul(1024),
            timeout: std::time::Duration::from_secs(a.timeout_secs.max(1)),
            concurrency: a.max_concurrent.max(1),
            sync_scan_rows: a.sync_scan_rows,
        },
        pool: datavisa_server::jobs::PoolSize {
            workers: a.workers.max(1),
            queue: a.queue,
            hold: false,
        },
    };
    datavisa_server::run(config, |addr| {
        tell(
            Msg::new("cli.serve.listening")
                .arg("address", addr.to_string())
                .arg("keys", "Ctrl-C")
                .arg("signal", "SIGTERM"),
        );
    })
    .map_err(|e| match e {
        datavisa_server::ServerError::Store(e) => anyhow::Error::new(e),
        other => anyhow::anyhow!("{other}"),
    })
}
