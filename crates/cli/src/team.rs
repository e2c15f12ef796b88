//! `datavisa user`, `datavisa token` and `datavisa serve`: flags → request → workspace → print,
//! and for `serve` the hand-over to the server's own program.

use crate::front::{workspace, CliSecrets};
use crate::output::{heads, print_items, print_json, say, tell, tr};
use crate::{Format, TokenCommand, UserCommand, VaultArgs};
use anyhow::Result;
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

/// `datavisa serve`: becomes `datavisa-server` (installed beside this program) with the same
/// flags and the run's language, by exec on Unix so that signals reach the server itself.
pub fn serve_cmd(args: &[std::ffi::OsString]) -> Result<()> {
    let exe = std::env::current_exe()?;
    let server = exe.with_file_name(format!("datavisa-server{}", std::env::consts::EXE_SUFFIX));
    if !server.is_file() {
        anyhow::bail!(
            "{} is missing: the HTTP API is its own program (cargo install --locked --path crates/server)",
            server.display()
        );
    }
    let lang = match crate::front::lang() {
        datavisa_workflow::i18n::Lang::Zh => "zh",
        datavisa_workflow::i18n::Lang::En => "en",
    };
    let mut cmd = std::process::Command::new(&server);
    cmd.args(args).env("DATAVISA_LANG", lang);
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        let e = cmd.exec();
        Err(anyhow::anyhow!("{}: {e}", server.display()))
    }
    #[cfg(not(unix))]
    {
        let status = cmd.status()?;
        std::process::exit(status.code().unwrap_or(1));
    }
}
