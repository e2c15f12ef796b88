//! Errors of the twin crate.

use datavisa_table::TableError;
use std::path::PathBuf;

/// What can go wrong while making a twin.
#[derive(Debug, thiserror::Error)]
pub enum TwinError {
    #[error(transparent)]
    Table(#[from] TableError),
    #[error("{}:{line}: hierarchy for {column:?}: {message}", path.display())]
    Hierarchy {
        path: PathBuf,
        line: usize,
        column: String,
        message: String,
    },
    #[error("{0}")]
    Invalid(String),
    /// The caller asked the work to stop (a cancelled job); nothing was made.
    #[error("making the twin was cancelled")]
    Cancelled,
}

/// Result alias of this crate.
pub type Result<T> = std::result::Result<T, TwinError>;

/// Shorthand for an invalid-parameter error.
pub fn invalid(msg: impl Into<String>) -> TwinError {
    TwinError::Invalid(msg.into())
}
