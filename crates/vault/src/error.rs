//! Errors of the vault.

use std::path::PathBuf;

/// What can go wrong with the vault, its keys, the relink workflow or the audit log.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error("no vault at {}: create one with `datavisa vault init`", path.display())]
    NoVault { path: PathBuf },
    #[error("a vault already exists at {}", path.display())]
    Exists { path: PathBuf },
    #[error("wrong master key for the vault at {} (nothing was changed)", path.display())]
    WrongMasterKey { path: PathBuf },
    #[error("{}: the vault is corrupted or not a datavisa vault ({detail}); nothing was changed", path.display())]
    Corrupted { path: PathBuf, detail: String },
    #[error("{}: vault format {found} is newer than this datavisa supports ({supported}); upgrade datavisa", path.display())]
    NewerFormat {
        path: PathBuf,
        found: u32,
        supported: u32,
    },
    #[error("{}: the vault is locked by another process; try again when it has finished", path.display())]
    Locked { path: PathBuf },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("vault database error: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error(
        "the keys of recipient {recipient:?}, domain {domain:?} were destroyed on {at}: {what}"
    )]
    Shredded {
        recipient: String,
        domain: String,
        at: String,
        what: String,
    },
    #[error("relink refused: {0}")]
    Refused(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Invalid(String),
    #[error("cryptographic failure: {0}")]
    Crypto(String),
}

/// Result alias of this crate.
pub type Result<T> = std::result::Result<T, VaultError>;

/// Shorthand for an invalid-argument error.
pub fn invalid(msg: impl Into<String>) -> VaultError {
    VaultError::Invalid(msg.into())
}
