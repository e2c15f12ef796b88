//! Errors of the verdict crate.

use std::path::PathBuf;

/// What can go wrong with recipients, the policy, an assessment or the register.
#[derive(Debug, thiserror::Error)]
pub enum VerdictError {
    #[error("{}:{line}: {message}", path.display())]
    Spec {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{}: the register is locked by another process; try again", path.display())]
    Locked { path: PathBuf },
    #[error("{}: register schema {found} is newer than this datavisa supports ({supported})", path.display())]
    NewerSchema {
        path: PathBuf,
        found: u32,
        supported: u32,
    },
    #[error("register database error: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("{}: the register is corrupt or not a datavisa register ({detail}); restore it from a backup", path.display())]
    Corrupt { path: PathBuf, detail: String },
    #[error(transparent)]
    Table(#[from] datavisa_table::TableError),
    #[error(transparent)]
    Risk(#[from] datavisa_risk::RiskError),
    #[error(transparent)]
    Twin(#[from] datavisa_twin::TwinError),
    /// The caller asked the assessment to stop (a cancelled job); nothing was decided.
    #[error("the assessment was cancelled")]
    Cancelled,
}

impl VerdictError {
    /// Whether the work was stopped on request, here or in the risk or twin crates.
    pub fn is_cancelled(&self) -> bool {
        matches!(
            self,
            VerdictError::Cancelled
                | VerdictError::Risk(datavisa_risk::RiskError::Cancelled)
                | VerdictError::Twin(datavisa_twin::TwinError::Cancelled)
        )
    }
}

/// Result alias of this crate.
pub type Result<T> = std::result::Result<T, VerdictError>;

/// Shorthand for an invalid-input error.
pub fn invalid(msg: impl Into<String>) -> VerdictError {
    VerdictError::Invalid(msg.into())
}
