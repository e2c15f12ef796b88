//! The `datavisa` binary: argument parsing, output formatting and exit codes; the work is done
//! by the library crates.

mod commands;
mod output;

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

/// datavisa: prove, per recipient, that what leaves the country is anonymized, and keep the evidence.
#[derive(Parser)]
#[command(name = "datavisa", version, about)]
pub struct Cli {
    /// Hide progress bars and notes on stderr.
    #[arg(long, global = true)]
    pub quiet: bool,
    #[command(subcommand)]
    pub command: Command,
}

/// Output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    #[default]
    Human,
    Json,
}

/// How to read a table (flags override the spec's `[source]`).
#[derive(Args, Clone, Debug)]
pub struct ReadArgs {
    /// Field delimiter: one of , ; | tab (or any single character); sniffed when absent.
    #[arg(long)]
    pub delimiter: Option<String>,
    /// The first row is data, not column names.
    #[arg(long)]
    pub no_header: bool,
    /// Text encoding: auto, utf-8, gb18030 (gbk).
    #[arg(long)]
    pub encoding: Option<String>,
    /// Missing-value tokens, comma-separated (replaces the default: empty NA N/A NULL null ? - \N).
    #[arg(long, value_delimiter = ',')]
    pub na: Option<Vec<String>>,
    /// Largest field accepted, in bytes.
    #[arg(long, default_value_t = datavisa_table::csv_read::DEFAULT_MAX_FIELD_BYTES)]
    pub max_field_bytes: usize,
    /// Spec file: declared column types and how the source is read.
    #[arg(long)]
    pub spec: Option<PathBuf>,
    /// Treat a column mixing numbers and text as an error (exit 2) instead of a warning.
    #[arg(long)]
    pub strict: bool,
}

impl Default for ReadArgs {
    fn default() -> Self {
        ReadArgs {
            delimiter: None,
            no_header: false,
            encoding: None,
            na: None,
            max_field_bytes: datavisa_table::csv_read::DEFAULT_MAX_FIELD_BYTES,
            spec: None,
            strict: false,
        }
    }
}

#[derive(Subcommand)]
pub enum Command {
    /// Rows, columns, inferred types, missing shares, distinct counts, top values, uniqueness.
    Inspect {
        file: PathBuf,
        #[command(flatten)]
        read: ReadArgs,
        /// Top values shown per column.
        #[arg(long, default_value_t = 3)]
        top: usize,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Find personal information, PIPL sensitive categories and each column's role.
    Scan {
        file: PathBuf,
        #[command(flatten)]
        read: ReadArgs,
        /// Write a spec draft (TOML) with every column's role and type.
        #[arg(long)]
        write_spec: Option<PathBuf>,
        /// Distinct values each detector tries before the confirming full pass.
        #[arg(long, default_value_t = 1000)]
        sample: usize,
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Date (YYYY-MM-DD) at which ages and minors are judged; today by default.
        #[arg(long)]
        as_of: Option<String>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Generate a realistic Chinese customer table from a seed and run every step on it.
    Demo {
        /// Directory for everything the demo writes.
        #[arg(long, default_value = "datavisa-demo")]
        out: PathBuf,
        #[arg(long, default_value_t = 100_000)]
        rows: usize,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Date (YYYY-MM-DD) the demo data is generated and judged at; today by default.
        #[arg(long)]
        as_of: Option<String>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            // Bad input (a file, a spec, a value) exits 2; anything else 1.
            if e.downcast_ref::<datavisa_table::TableError>().is_some()
                || e.is::<commands::UsageError>()
            {
                ExitCode::from(2)
            } else {
                ExitCode::from(1)
            }
        }
    }
}
