//! The one error type of every use case: a message for a person and a kind that front ends map
//! to exit codes (CLI) or HTTP statuses (server).

use datavisa_ledger::LedgerError;
use datavisa_risk::RiskError;
use datavisa_table::TableError;
use datavisa_twin::TwinError;
use datavisa_vault::VaultError;
use datavisa_verdict::VerdictError;

/// What kind of failure: the caller's input, a rule that refuses, or something else.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// A file, a spec, a flag value, a wrong master key, a locked store: the caller can fix it.
    BadInput,
    /// A rule said no: a relink step not allowed, a tampered audit log, a contrary assessment.
    Refused,
    /// Anything else (a database or disk failure).
    Internal,
    /// The work was cancelled (a server job): at a progress point between stages, or inside an
    /// attack, assessment or fit between its batches; nothing was written.
    Cancelled,
    /// Nothing by that id: an assessment, a visa, a relink request or a key the store does not
    /// hold. The caller can fix it, as bad input; a server answers 404.
    NotFound,
}

impl ErrorKind {
    /// The exit code a command line gives for it: bad input and not found 2, refused 3, else 1.
    pub fn exit_code(self) -> u8 {
        match self {
            ErrorKind::BadInput | ErrorKind::NotFound => 2,
            ErrorKind::Refused => 3,
            ErrorKind::Internal | ErrorKind::Cancelled => 1,
        }
    }
}

/// A use case failed; `message` names the file, line and column where there is one.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Error {
    /// How a front end should treat it.
    pub kind: ErrorKind,
    /// The whole explanation, causes included.
    pub message: String,
}

/// Result alias of the workflow crate.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// Bad input: the caller can fix it.
    pub fn bad_input(message: impl Into<String>) -> Error {
        Error {
            kind: ErrorKind::BadInput,
            message: message.into(),
        }
    }

    /// A refusal by a rule.
    pub fn refused(message: impl Into<String>) -> Error {
        Error {
            kind: ErrorKind::Refused,
            message: message.into(),
        }
    }

    /// Nothing by that id in the store.
    pub fn not_found(message: impl Into<String>) -> Error {
        Error {
            kind: ErrorKind::NotFound,
            message: message.into(),
        }
    }

    /// The work was cancelled at a progress point.
    pub fn cancelled() -> Error {
        Error {
            kind: ErrorKind::Cancelled,
            message: "the work was cancelled".into(),
        }
    }

    /// Anything else went wrong.
    pub fn internal(message: impl Into<String>) -> Error {
        Error {
            kind: ErrorKind::Internal,
            message: message.into(),
        }
    }

    /// The same error with `context` put before its message ("context: message").
    pub fn context(self, context: impl std::fmt::Display) -> Error {
        Error {
            kind: self.kind,
            message: format!("{context}: {}", self.message),
        }
    }
}

/// Adds context to any error that converts into [`Error`], like anyhow's `Context`.
pub trait Context<T> {
    /// Puts `f()` before the error's message.
    fn with_context<C: std::fmt::Display>(self, f: impl FnOnce() -> C) -> Result<T>;
}

impl<T, E: Into<Error>> Context<T> for std::result::Result<T, E> {
    fn with_context<C: std::fmt::Display>(self, f: impl FnOnce() -> C) -> Result<T> {
        self.map_err(|e| e.into().context(f()))
    }
}

impl From<TableError> for Error {
    fn from(e: TableError) -> Error {
        Error::bad_input(e.to_string())
    }
}

impl From<RiskError> for Error {
    fn from(e: RiskError) -> Error {
        match e {
            RiskError::Cancelled => Error::cancelled(),
            other => Error::bad_input(other.to_string()),
        }
    }
}

impl From<TwinError> for Error {
    fn from(e: TwinError) -> Error {
        match e {
            TwinError::Cancelled => Error::cancelled(),
            other => Error::bad_input(other.to_string()),
        }
    }
}

impl From<VerdictError> for Error {
    fn from(e: VerdictError) -> Error {
        if e.is_cancelled() {
            return Error::cancelled();
        }
        match e {
            VerdictError::Sql(_) | VerdictError::Corrupt { .. } => Error::internal(e.to_string()),
            VerdictError::NotFound(m) => Error::not_found(m),
            other => Error::bad_input(other.to_string()),
        }
    }
}

impl From<VaultError> for Error {
    fn from(e: VaultError) -> Error {
        match e {
            VaultError::Refused(m) => Error::refused(format!("relink refused: {m}")),
            VaultError::NotFound(m) => Error::not_found(m),
            VaultError::Sql(_) | VaultError::Io { .. } | VaultError::Crypto(_) => {
                Error::internal(e.to_string())
            }
            other => Error::bad_input(other.to_string()),
        }
    }
}

impl From<LedgerError> for Error {
    fn from(e: LedgerError) -> Error {
        match e {
            LedgerError::Sql(_) | LedgerError::Io { .. } | LedgerError::Corrupt { .. } => {
                Error::internal(e.to_string())
            }
            other => Error::bad_input(other.to_string()),
        }
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Error {
        Error::internal(e.to_string())
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Error {
        Error::internal(e.to_string())
    }
}
