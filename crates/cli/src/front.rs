//! The CLI's side of the workspace: secrets from files and environment variables, progress as
//! terminal spinners, and the clap read flags as a workflow read request.

use crate::output::{progress_bar, spinner};
use crate::{OutputArgs, ReadArgs};
use datavisa_workflow::secrets::{FileOrEnv, Spelling};
use datavisa_workflow::{Progress, ReadRequest, Result, Task, Workspace};
use indicatif::ProgressBar;
use std::path::{Path, PathBuf};
use std::sync::Arc;

impl From<&ReadArgs> for ReadRequest {
    fn from(a: &ReadArgs) -> ReadRequest {
        ReadRequest {
            delimiter: a.delimiter.clone(),
            no_header: a.no_header,
            encoding: a.encoding.clone(),
            na: a.na.clone(),
            max_field_bytes: a.max_field_bytes,
            spec: a.spec.clone(),
            strict: a.strict,
        }
    }
}

impl From<&OutputArgs> for datavisa_workflow::twins::OutputRequest {
    fn from(a: &OutputArgs) -> Self {
        datavisa_workflow::twins::OutputRequest {
            delimiter: a.output_delimiter.clone(),
            encoding: a.output_encoding.clone(),
        }
    }
}

/// Who is acting, for the audit log: the OS user (from the environment, else the account of
/// the process's user id in /etc/passwd, else `uid:N`), never "unknown": every audit entry
/// names a real actor.
pub fn os_user() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .or_else(|_| std::env::var("USERNAME"))
        .ok()
        .filter(|u| !u.trim().is_empty())
        .or_else(account_of_uid)
        .unwrap_or_else(|| format!("pid:{}", std::process::id()))
}

/// The account name of this process's user id from /etc/passwd, else `uid:N`.
fn account_of_uid() -> Option<String> {
    let uid = uid()?;
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    passwd
        .lines()
        .find_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            (f.len() > 2 && f[2] == uid).then(|| f[0].to_owned())
        })
        .or(Some(format!("uid:{uid}")))
}

/// This process's real user id: from /proc, else the owner of a file it creates.
fn uid() -> Option<String> {
    let from_proc = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            Some(
                status
                    .lines()
                    .find_map(|l| l.strip_prefix("Uid:"))?
                    .split_whitespace()
                    .next()?
                    .to_owned(),
            )
        });
    from_proc.or_else(uid_of_new_file)
}

#[cfg(unix)]
fn uid_of_new_file() -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let path = std::env::temp_dir().join(format!(".datavisa-uid-{}", std::process::id()));
    let made = std::fs::File::create_new(&path).ok()?;
    let uid = made.metadata().ok().map(|m| m.uid().to_string());
    let _ = std::fs::remove_file(&path);
    uid
}

#[cfg(not(unix))]
fn uid_of_new_file() -> Option<String> {
    None
}

/// Secrets as the CLI takes them: a file named by a flag, else an environment variable (the
/// workflow's reader, shared with the Python package; the flags are the CLI's spelling).
pub use datavisa_workflow::secrets::SecretFiles as CliSecrets;

/// Spinners and bars on stderr, hidden when stderr is not a terminal or with `--quiet`.
#[derive(Clone, Copy, Debug)]
pub struct Terminal {
    /// `--quiet`.
    pub quiet: bool,
}

struct Bar(ProgressBar);

impl Task for Bar {
    fn advance(&self, n: u64) {
        self.0.inc(n);
    }
    fn finish(&self) {
        self.0.finish_and_clear();
    }
}

impl Progress for Terminal {
    fn spinner(&self, message: &str) -> Box<dyn Task> {
        Box::new(Bar(spinner(self.quiet, message)))
    }
    fn bar(&self, len: u64, message: &str) -> Box<dyn Task> {
        Box::new(Bar(progress_bar(self.quiet, len, message)))
    }
    fn note(&self, message: &str) {
        if !self.quiet {
            eprintln!("{message}");
        }
    }
}

static LANG: std::sync::OnceLock<Option<datavisa_workflow::i18n::Lang>> =
    std::sync::OnceLock::new();

/// Fixes the language of this run from `--lang`, else `DATAVISA_LANG`; a value that names
/// neither language is refused.
pub fn set_lang(flag: Option<&str>) -> anyhow::Result<()> {
    let (value, from) = match flag {
        Some(v) => (Some(v.to_owned()), "--lang"),
        None => (std::env::var("DATAVISA_LANG").ok(), "DATAVISA_LANG"),
    };
    let lang = match value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        None => None,
        Some(v) => Some(
            datavisa_workflow::i18n::Lang::parse(v)
                .ok_or_else(|| anyhow::anyhow!("{from} {v:?}: use en or zh"))?,
        ),
    };
    let _ = LANG.set(lang);
    Ok(())
}

/// The run's language, or `default` when none was named.
pub fn lang_or(default: datavisa_workflow::i18n::Lang) -> datavisa_workflow::i18n::Lang {
    LANG.get().copied().flatten().unwrap_or(default)
}

/// The language of human output (English unless one was named).
pub fn lang() -> datavisa_workflow::i18n::Lang {
    lang_or(datavisa_workflow::i18n::Lang::En)
}

/// The workspace of one command: its store, the CLI's secrets, the OS user, terminal progress.
pub fn workspace(store: &Path, secrets: CliSecrets, quiet: bool) -> Result<Workspace> {
    // Automatic audit anchors go where the environment says, else beside the store.
    Ok(Workspace::open(store, os_user())?
        .with_secrets(FileOrEnv::new(secrets, Spelling::CLI))
        .with_progress(Arc::new(Terminal { quiet }))
        .with_anchors_from_env())
}

/// A workspace for verbs that touch no store (inspect, scan, attacks, twins without a vault).
pub fn local(quiet: bool) -> Result<Workspace> {
    workspace(Path::new(".datavisa"), CliSecrets::default(), quiet)
}

/// Arguments whose value is a path the command writes.
pub const OUTPUT_ARGS: [&str; 7] = [
    "output",
    "write_spec",
    "signing_key",
    "out",
    "anchor_key",
    "release_output",
    "control_output",
];

/// The one output guard, before any work: every output argument of the chosen subcommand is
/// checked against every other path argument that names an existing file, and against the
/// store (`--store`, or any directory holding a store).
pub fn guard_outputs(m: &clap::ArgMatches) -> std::result::Result<(), datavisa_workflow::Error> {
    let mut leaf = m;
    while let Some((_, sub)) = leaf.subcommand() {
        leaf = sub;
    }
    let raw = |id: &str| -> Vec<PathBuf> {
        match leaf.try_get_raw(id) {
            Ok(Some(values)) => values.map(PathBuf::from).collect(),
            _ => Vec::new(),
        }
    };
    let ids: Vec<String> = leaf.ids().map(|i| i.as_str().to_owned()).collect();
    let outputs: Vec<PathBuf> = OUTPUT_ARGS.iter().flat_map(|id| raw(id)).collect();
    let store = raw("store").into_iter().next();
    let inputs: Vec<PathBuf> = ids
        .iter()
        .filter(|id| !OUTPUT_ARGS.contains(&id.as_str()) && id.as_str() != "store")
        .flat_map(|id| raw(id))
        .filter(|p| p.is_file())
        .collect();
    for o in &outputs {
        datavisa_workflow::guard::check_output(o, &inputs, store.as_deref())?;
    }
    Ok(())
}
