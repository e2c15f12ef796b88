//! The `table` room: one columnar table for every other crate. Categorical columns are `u32`
//! codes over a dictionary (shared across tables that are compared), numeric columns are `f64`
//! with NaN for missing. Reads CSV (any of `, ; TAB |`, UTF-8 or GB18030) and Parquet, infers
//! types with evidence, samples and splits rows deterministically.

pub mod boundary;
pub mod column;
pub mod csv_read;
pub mod csv_write;
pub mod date;
pub mod dictionary;
pub mod encode;
pub mod error;
pub mod group;
pub mod infer;
pub mod io;
pub mod numbers;
pub mod parquet_io;
pub mod sample;
pub mod spans;
pub mod spec;
pub mod table;
pub mod text;
pub mod written;

pub use column::{
    format_number, numeric_ranks, CatData, Column, ColumnData, TypeEvidence, ValueType,
};
pub use csv_read::{Encoding, ReadOptions, DEFAULT_MISSING};
pub use csv_write::{FormatChoice, Quoting, SourceText, TextEncoding, TextFormat};
pub use dictionary::{Dictionary, MISSING};
pub use error::{Result, TableError};
pub use group::EquivalenceClasses;
pub use io::{file_sha256, hex, read_table, write_atomic, write_table};
pub use numbers::Numbers;
pub use sample::{sample_indices, split_indices, Split};
pub use spec::{ColumnSpec, DomainSpec, Role, SourceSpec, Spec};
pub use table::{encode_shared, FileFormat, Origin, RowLines, Table};
