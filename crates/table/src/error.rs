//! Typed errors of the table crate; every one names the file and, where it can, the line and column.

use std::path::PathBuf;

/// Everything that can go wrong reading, typing or writing a table.
#[derive(Debug, thiserror::Error)]
pub enum TableError {
    // The IO error is part of the message, not a `source`, so it is printed once.
    #[error("{}: cannot read: {err}", path.display())]
    Io { path: PathBuf, err: std::io::Error },
    #[error("{}: cannot write: {err}", path.display())]
    Write { path: PathBuf, err: std::io::Error },
    #[error("{}: is a directory, not a table file", path.display())]
    IsDirectory { path: PathBuf },
    #[error("{}: the file is empty", path.display())]
    Empty { path: PathBuf },
    #[error("{}: the file has a header row but no data rows", path.display())]
    HeaderOnly { path: PathBuf },
    #[error("{}: looks like a binary file (NUL byte at byte offset {offset}); datavisa reads CSV/TSV text and Parquet", path.display())]
    Binary { path: PathBuf, offset: u64 },
    #[error("{}: the file is UTF-16 encoded; save it as UTF-8 or GB18030 and try again", path.display())]
    Utf16 { path: PathBuf },
    #[error("{}: line {line}: the bytes are neither UTF-8 nor GB18030/GBK (byte offset {offset}); pass --encoding if you know the encoding", path.display())]
    Encoding {
        path: PathBuf,
        line: u64,
        offset: u64,
    },
    #[error("{}: line {line}: the bytes are not valid {encoding} (byte offset {offset})", path.display())]
    NotInEncoding {
        path: PathBuf,
        encoding: String,
        line: u64,
        offset: u64,
    },
    #[error("unknown encoding '{name}': use utf-8, gb18030 or gbk")]
    UnknownEncoding { name: String },
    #[error("{}: line {line}: expected {expected} fields as in the header, found {found} (delimiter {delimiter:?}); fix the row or pass --delimiter", path.display())]
    Ragged {
        path: PathBuf,
        line: u64,
        expected: usize,
        found: usize,
        delimiter: char,
    },
    #[error("{}: line {line}: a quoted field opened here never closes", path.display())]
    UnclosedQuote { path: PathBuf, line: u64 },
    #[error("{}: line {line}, column {column} ({name:?}): a field of {size} bytes exceeds the limit of {limit} bytes (raise it with --max-field-bytes)", path.display())]
    FieldTooLarge {
        path: PathBuf,
        line: u64,
        column: usize,
        name: String,
        size: usize,
        limit: usize,
    },
    #[error("{}: duplicate column name {name:?} (columns {first} and {second}); rename one of them", path.display())]
    DuplicateColumn {
        path: PathBuf,
        name: String,
        first: usize,
        second: usize,
    },
    #[error("{}: line {line}, column {column} ({name:?}): value {value:?} is not a valid {expected}", path.display())]
    BadValue {
        path: PathBuf,
        line: u64,
        column: usize,
        name: String,
        value: String,
        expected: String,
    },
    #[error("{}: {message}", path.display())]
    Parquet { path: PathBuf, message: String },
    #[error("{}: line {line}, column {column}: {message}", path.display())]
    Spec {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("column {name:?} not found; the table has: {available}")]
    NoSuchColumn { name: String, available: String },
    #[error("{}: column {name:?}, row {row}: the character {ch:?} (U+{:04X}) cannot be written in {encoding}; write the twin with --output-encoding utf-8 or gb18030", path.display(), *ch as u32)]
    Unencodable {
        path: PathBuf,
        name: String,
        row: usize,
        ch: char,
        encoding: String,
    },
    #[error("{0}")]
    Invalid(String),
}

impl TableError {
    /// Wraps an IO error of a write with the path it happened on.
    pub fn write(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        TableError::Write {
            path: path.into(),
            err: source,
        }
    }

    /// Wraps an IO error with the path it happened on.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        TableError::Io {
            path: path.into(),
            err: source,
        }
    }
}

/// Result alias of this crate.
pub type Result<T> = std::result::Result<T, TableError>;
