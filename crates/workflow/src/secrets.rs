//! Secrets as a person's front end takes them: a file the person names, else an environment
//! variable (`DATAVISA_MASTER_KEY`, `DATAVISA_APPROVER_CREDENTIAL`, `DATAVISA_NEW_MASTER_KEY`).
//! The CLI and the Python package share this one reader, so a key is found, refused and
//! warned about the same way in both; only the spelling of the option in messages differs.

use crate::error::{Error, Result};
use crate::workspace::Secrets;
use datavisa_vault::Passphrase;
use std::path::{Path, PathBuf};

/// The files a person named for each secret (unset: the environment variable is read).
#[derive(Clone, Debug, Default)]
pub struct SecretFiles {
    /// The master key's file (`--master-key-file`).
    pub master_key_file: Option<PathBuf>,
    /// The approver credential's file (`--credential-file`).
    pub credential_file: Option<PathBuf>,
    /// The new master key's file of a re-key (`--new-master-key-file`).
    pub new_master_key_file: Option<PathBuf>,
}

/// How a front end spells the options naming those files, for its messages: the CLI's
/// `--master-key-file FILE`, Python's `master_key_file=FILE`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Spelling {
    /// The master key file's option.
    pub master_key: &'static str,
    /// The approver credential file's option.
    pub credential: &'static str,
    /// The new master key file's option.
    pub new_master_key: &'static str,
    /// What stands between an option and its value.
    pub separator: &'static str,
}

impl Spelling {
    /// The CLI's flags.
    pub const CLI: Spelling = Spelling {
        master_key: "--master-key-file",
        credential: "--credential-file",
        new_master_key: "--new-master-key-file",
        separator: " ",
    };
    /// The Python package's keyword arguments.
    pub const PYTHON: Spelling = Spelling {
        master_key: "master_key_file",
        credential: "credential_file",
        new_master_key: "new_master_key_file",
        separator: "=",
    };
}

/// Secrets from the named files, else from the environment, with the front end's spelling in
/// messages; a key file other users can read is warned about on stderr (never in a result,
/// so the warning cannot end up in an output).
#[derive(Clone, Debug)]
pub struct FileOrEnv {
    /// The files named.
    pub files: SecretFiles,
    /// How the options are spelt in messages.
    pub spelling: Spelling,
}

/// One secret: its file option, the variable read without it, and what it is called.
struct Source<'a> {
    file: Option<&'a Path>,
    var: &'static str,
    what: &'static str,
    option: &'static str,
}

impl FileOrEnv {
    /// Secrets from `files`, spelt as `spelling` says, warnings printed on stderr.
    pub fn new(files: SecretFiles, spelling: Spelling) -> FileOrEnv {
        FileOrEnv { files, spelling }
    }

    /// Reads one secret: the file when named (a missing or unreadable one is bad input named
    /// with its option), else the environment variable; an empty secret is refused.
    fn read(&self, s: Source<'_>) -> Result<Passphrase> {
        let sep = self.spelling.separator;
        let bytes = match s.file {
            Some(f) => {
                if let Some(warning) = readable_by_others(f) {
                    eprintln!("warning: {warning}");
                }
                std::fs::read(f).map_err(|e| {
                    Error::bad_input(format!(
                        "{}{sep}{}: cannot read the {} file: {e}",
                        s.option,
                        f.display(),
                        s.what
                    ))
                })?
            }
            None => match std::env::var_os(s.var) {
                Some(v) => v.into_encoded_bytes(),
                None => {
                    return Err(Error::bad_input(format!(
                        "no {}: set {} or pass {}{sep}FILE",
                        s.what, s.var, s.option
                    )))
                }
            },
        };
        Passphrase::new(bytes).map_err(|_| {
            Error::bad_input(format!(
                "the {} is empty (from {})",
                s.what,
                s.file
                    .map_or_else(|| s.var.to_owned(), |f| f.display().to_string())
            ))
        })
    }
}

impl Secrets for FileOrEnv {
    fn master_key(&self) -> Result<Passphrase> {
        self.read(Source {
            file: self.files.master_key_file.as_deref(),
            var: "DATAVISA_MASTER_KEY",
            what: "master key",
            option: self.spelling.master_key,
        })
    }
    fn has_master_key(&self) -> bool {
        self.files.master_key_file.is_some() || std::env::var_os("DATAVISA_MASTER_KEY").is_some()
    }
    fn approver_credential(&self) -> Result<Passphrase> {
        self.read(Source {
            file: self.files.credential_file.as_deref(),
            var: "DATAVISA_APPROVER_CREDENTIAL",
            what: "approver credential",
            option: self.spelling.credential,
        })
    }
    fn new_master_key(&self) -> Result<Passphrase> {
        self.read(Source {
            file: self.files.new_master_key_file.as_deref(),
            var: "DATAVISA_NEW_MASTER_KEY",
            what: "new master key",
            option: self.spelling.new_master_key,
        })
    }
}

/// The warning for a key file that users other than its owner can read, if it is one.
fn readable_by_others(f: &Path) -> Option<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(f).ok()?.permissions().mode();
        (mode & 0o077 != 0)
            .then(|| format!("{} can be read by other users; `chmod 600` it", f.display()))
    }
    #[cfg(not(unix))]
    {
        let _ = f;
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn python(master_key_file: Option<PathBuf>) -> FileOrEnv {
        FileOrEnv::new(
            SecretFiles {
                master_key_file,
                ..Default::default()
            },
            Spelling::PYTHON,
        )
    }

    #[test]
    fn a_missing_file_and_an_empty_one_are_named_with_the_front_ends_spelling() {
        let d = tempfile::tempdir().unwrap();
        let missing = d.path().join("nope.key");
        let e = python(Some(missing.clone())).master_key().unwrap_err();
        assert_eq!(e.kind, crate::ErrorKind::BadInput);
        assert!(
            e.message.starts_with(&format!(
                "master_key_file={}: cannot read the master key file: ",
                missing.display()
            )),
            "{}",
            e.message
        );
        let cli = FileOrEnv::new(
            SecretFiles {
                credential_file: Some(missing.clone()),
                ..Default::default()
            },
            Spelling::CLI,
        );
        let e = cli.approver_credential().unwrap_err();
        assert!(
            e.message.starts_with(&format!(
                "--credential-file {}: cannot read the approver credential file: ",
                missing.display()
            )),
            "{}",
            e.message
        );
        let empty = d.path().join("empty.key");
        std::fs::write(&empty, "").unwrap();
        let e = python(Some(empty.clone())).master_key().unwrap_err();
        assert_eq!(
            e.message,
            format!("the master key is empty (from {})", empty.display())
        );
    }

    #[test]
    fn a_named_file_is_read_and_a_secret_without_file_or_variable_is_asked_for() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("k");
        std::fs::write(&f, "key bytes\n").unwrap();
        let s = python(Some(f));
        assert!(s.has_master_key());
        assert!(s.master_key().is_ok());
        // No credential file and (in this test process) no credential variable.
        if std::env::var_os("DATAVISA_APPROVER_CREDENTIAL").is_none() {
            let e = s.approver_credential().unwrap_err();
            assert_eq!(
                e.message,
                "no approver credential: set DATAVISA_APPROVER_CREDENTIAL or pass credential_file=FILE"
            );
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_key_file_others_can_read_is_warned_about_and_an_owner_only_one_is_not() {
        use std::os::unix::fs::PermissionsExt;
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("k");
        std::fs::write(&f, "k").unwrap();
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert_eq!(
            readable_by_others(&f),
            Some(format!(
                "{} can be read by other users; `chmod 600` it",
                f.display()
            ))
        );
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(readable_by_others(&f), None);
    }
}
