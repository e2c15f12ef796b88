//! Reading a table as the caller and the spec say: the shared read options of every use case.

use crate::error::{Error, Result};
use crate::workspace::Workspace;
use datavisa_table::{read_table, Encoding, ReadOptions, Spec, Table, TableError};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// How to read a table; unset fields fall back to the spec's `[source]`, then to the defaults.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadRequest {
    /// Field delimiter: one of , ; | tab (or any single ASCII character); sniffed when absent.
    pub delimiter: Option<String>,
    /// The first row is data, not column names.
    pub no_header: bool,
    /// Text encoding: auto, utf-8, gb18030 (gbk).
    pub encoding: Option<String>,
    /// Missing-value tokens (replaces the default list).
    pub na: Option<Vec<String>>,
    /// Largest field accepted, in bytes.
    pub max_field_bytes: usize,
    /// Spec file: declared column types and how the source is read.
    pub spec: Option<PathBuf>,
    /// A column mixing numbers and text is an error instead of a warning.
    pub strict: bool,
}

impl Default for ReadRequest {
    fn default() -> Self {
        ReadRequest {
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

impl ReadRequest {
    /// The same request with `spec` as its spec file.
    pub fn with_spec(&self, spec: &Path) -> ReadRequest {
        ReadRequest {
            spec: Some(spec.to_path_buf()),
            ..self.clone()
        }
    }

    /// The spec file, required: an error naming what it is needed for otherwise.
    pub fn required_spec(&self) -> Result<PathBuf> {
        self.spec.clone().ok_or_else(|| {
            Error::bad_input(
                "--spec is required: it holds the [[recipients]], the [policy] and the columns' roles",
            )
        })
    }
}

fn parse_delimiter(s: &str) -> Result<u8> {
    match s {
        "tab" | "\\t" | "\t" => Ok(b'\t'),
        s if s.len() == 1 && s.is_ascii() => Ok(s.as_bytes()[0]),
        _ => Err(Error::bad_input(format!(
            "--delimiter {s:?} must be one ASCII character (or 'tab')"
        ))),
    }
}

/// Builds read options from the request, falling back to the spec's `[source]`.
pub fn read_options(args: &ReadRequest, spec: Option<&Spec>) -> Result<ReadOptions> {
    let source = spec.and_then(|s| s.source.as_ref());
    let mut o = ReadOptions::default();
    let delimiter = args
        .delimiter
        .clone()
        .or_else(|| source.and_then(|s| s.delimiter.clone()));
    if let Some(d) = delimiter {
        o.delimiter = Some(parse_delimiter(&d)?);
    }
    let encoding = args
        .encoding
        .clone()
        .or_else(|| source.and_then(|s| s.encoding.clone()));
    if let Some(e) = encoding {
        o.encoding = e.parse::<Encoding>()?;
    }
    o.has_header = !args.no_header && source.and_then(|s| s.header).unwrap_or(true);
    if let Some(na) = args
        .na
        .clone()
        .or_else(|| source.and_then(|s| s.missing.clone()))
    {
        o.missing_tokens = na;
    }
    o.max_field_bytes = args.max_field_bytes;
    if let Some(s) = spec {
        o.types = s.declared_types();
    }
    Ok(o)
}

/// A table read as the request says, with the seconds the read took.
pub fn load(ws: &Workspace, file: &Path, args: &ReadRequest) -> Result<(Table, f64)> {
    let spec = args.spec.as_deref().map(Spec::load).transpose()?;
    ws.checkpoint()?;
    if let Some(f) = ws.frames().get(file) {
        // A data frame handed over in memory: already read and typed.
        let t = f.table().clone();
        if let Some(s) = &spec {
            s.check_columns(&t)?;
        }
        return Ok((t, 0.0));
    }
    let opts = read_options(args, spec.as_ref())?;
    let pb = ws.spinner(&format!("reading {}", file.display()));
    let t0 = Instant::now();
    let t = read_table(file, &opts)?;
    let secs = t0.elapsed().as_secs_f64();
    drop(pb);
    if let Some(s) = &spec {
        s.check_columns(&t)?;
    }
    if args.strict {
        check_named(file, &t)?;
        check_not_mixed(file, &t)?;
    }
    Ok((t, secs))
}

/// Under `--strict`, a header field that names no column is refused with its place (without,
/// it is read as `col_N` and inspect and scan say so).
fn check_named(file: &Path, t: &Table) -> Result<()> {
    match t.origin.unnamed_columns.first() {
        Some(n) => Err(Error::bad_input(format!(
            "{}:1:{n}: the header names no column {n} (it would be read as col_{n}); name it in the file, or read without --strict",
            file.display()
        ))),
        None => Ok(()),
    }
}

/// Fails on the first column that mixes numbers and text, naming where its first text value is.
fn check_not_mixed(file: &Path, t: &Table) -> Result<()> {
    for (j, c) in t.columns.iter().enumerate() {
        if let (true, Some((value, line))) = (c.evidence.is_mixed(), &c.evidence.first_text) {
            return Err(TableError::BadValue {
                path: file.to_path_buf(),
                line: *line,
                column: j + 1,
                name: c.name.clone(),
                value: value.clone(),
                expected: format!(
                    "number ({} of {} values in this column are numbers; --strict refuses mixed columns)",
                    c.evidence.integer + c.evidence.float,
                    c.evidence.integer + c.evidence.float + c.evidence.text
                ),
            }
            .into());
        }
    }
    Ok(())
}

/// A day given as YYYY-MM-DD by the flag `flag`, or today by the workspace's clock.
pub fn day_of(ws: &Workspace, date: Option<&str>, flag: &str) -> Result<i64> {
    match date {
        None => Ok(ws.today()),
        Some(s) => datavisa_table::date::parse_date(s).ok_or_else(|| {
            Error::bad_input(format!("{flag} {s:?} is not a date (use YYYY-MM-DD)"))
        }),
    }
}

/// The largest field read by default, in bytes.
pub use datavisa_table::csv_read::DEFAULT_MAX_FIELD_BYTES;
