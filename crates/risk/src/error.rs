//! Errors of the risk crate.

use crate::rates::RateError;
use datavisa_table::TableError;

/// What can go wrong while measuring risk or utility.
#[derive(Debug, thiserror::Error)]
pub enum RiskError {
    #[error(transparent)]
    Table(#[from] TableError),
    #[error(transparent)]
    Rate(#[from] RateError),
    #[error("{0}")]
    Invalid(String),
    /// The caller asked the work to stop (a cancelled job); nothing was measured.
    #[error("the measurement was cancelled")]
    Cancelled,
}

/// Result alias of this crate.
pub type Result<T> = std::result::Result<T, RiskError>;

/// Shorthand for an invalid-parameter error.
pub fn invalid(msg: impl Into<String>) -> RiskError {
    RiskError::Invalid(msg.into())
}
