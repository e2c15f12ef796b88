//! Errors of the ledger.

use std::path::PathBuf;

/// What can go wrong with the ledger, its rules or its calendar.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("unknown {what} {name:?}; register it with `datavisa ledger {what} add`")]
    Unknown { what: &'static str, name: String },
    #[error("{0}")]
    Invalid(String),
    #[error("{}: the ledger is locked by another process; try again", path.display())]
    Locked { path: PathBuf },
    #[error("{}: ledger schema {found} is newer than this datavisa supports ({supported})", path.display())]
    NewerSchema {
        path: PathBuf,
        found: u32,
        supported: u32,
    },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("ledger database error: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("{}: the ledger is corrupt or not a datavisa ledger ({detail}); restore it from a backup", path.display())]
    Corrupt { path: PathBuf, detail: String },
    #[error("rules: {0}")]
    Rules(String),
}

/// Result alias of this crate.
pub type Result<T> = std::result::Result<T, LedgerError>;

/// Shorthand for an invalid-input error.
pub fn invalid(msg: impl Into<String>) -> LedgerError {
    LedgerError::Invalid(msg.into())
}
