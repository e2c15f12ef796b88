//! Opening any supported table file, writing tables atomically, and content hashes.

use crate::column::{format_number, ColumnData};
use crate::csv_read::{read_csv_bytes, ReadOptions};
use crate::dictionary::MISSING;
use crate::error::{Result, TableError};
use crate::parquet_io::{read_parquet, write_parquet};
use crate::table::Table;
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::Path;

const PARQUET_MAGIC: &[u8] = b"PAR1";

/// Reads a CSV/TSV or Parquet file (Parquet recognised by its magic bytes).
pub fn read_table(path: &Path, opts: &ReadOptions) -> Result<Table> {
    let meta = std::fs::metadata(path).map_err(|e| TableError::io(path, e))?;
    if meta.is_dir() {
        return Err(TableError::IsDirectory { path: path.into() });
    }
    if meta.len() == 0 {
        return Err(TableError::Empty { path: path.into() });
    }
    let file = std::fs::File::open(path).map_err(|e| TableError::io(path, e))?;
    // SAFETY: the map is read-only and dropped before returning; a file truncated by another
    // process while we read it can fault, which is the accepted risk of mapping (as in polars).
    let map =
        unsafe { memmap2::MmapOptions::new().map(&file) }.map_err(|e| TableError::io(path, e))?;
    if map.starts_with(PARQUET_MAGIC) && map.ends_with(PARQUET_MAGIC) {
        drop(map);
        return read_parquet(path, &opts.missing_tokens, &opts.types);
    }
    crate::boundary::decode(path, "CSV", || read_csv_bytes(path, map, opts))
}

/// Hex SHA-256 of a file's bytes.
pub fn file_sha256(path: &Path) -> Result<String> {
    let mut f = std::fs::File::open(path).map_err(|e| TableError::io(path, e))?;
    let mut h = Sha256::new();
    std::io::copy(&mut f, &mut h).map_err(|e| TableError::io(path, e))?;
    Ok(hex(&h.finalize()))
}

/// Lower-case hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    const D: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(D[(b >> 4) as usize] as char);
        s.push(D[(b & 15) as usize] as char);
    }
    s
}

/// The marker in the name of a file being written: `twin.datavisa-partial-<pid>-<random>.csv`.
pub const PARTIAL_MARKER: &str = ".datavisa-partial-";

/// The start of the names of `path`'s partial files: its stem, the marker and this process id.
pub fn partial_prefix(path: &Path) -> String {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output".into());
    format!("{stem}{PARTIAL_MARKER}{}-", std::process::id())
}

/// Whether process `pid` is alive (on Linux; elsewhere every process is taken to be alive).
fn alive(pid: u32) -> bool {
    if cfg!(target_os = "linux") {
        Path::new("/proc").join(pid.to_string()).exists()
    } else {
        true
    }
}

/// Removes the partial files of `path` left by processes that are gone (a crash or kill -9
/// mid-write); returns how many were removed.
pub fn clean_partials(path: &Path) -> usize {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let Some(stem) = path.file_stem().map(|s| s.to_string_lossy().into_owned()) else {
        return 0;
    };
    let lead = format!("{stem}{PARTIAL_MARKER}");
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut removed = 0;
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix(&lead) else {
            continue;
        };
        let pid: Option<u32> = rest.split('-').next().and_then(|p| p.parse().ok());
        if pid.is_some_and(|p| p != std::process::id() && !alive(p))
            && std::fs::remove_file(e.path()).is_ok()
        {
            removed += 1;
        }
    }
    removed
}

/// Writes `contents` through a temp file in the same directory, renamed into place at the end,
/// so a crash never leaves a half-written file under the final name. The temp file is named
/// after its output (`twin.datavisa-partial-<pid>-….csv`), and partials that a killed process
/// left for the same output are removed first.
pub fn write_atomic(
    path: &Path,
    contents: impl FnOnce(&mut std::io::BufWriter<&mut std::fs::File>) -> Result<()>,
) -> Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    clean_partials(path);
    let suffix = path
        .extension()
        .map(|e| format!(".{}", e.to_string_lossy()))
        .unwrap_or_default();
    let mut tmp = tempfile::Builder::new()
        .prefix(&partial_prefix(path))
        .suffix(&suffix)
        .tempfile_in(dir)
        .map_err(|e| TableError::write(dir, e))?;
    {
        let mut w = std::io::BufWriter::new(tmp.as_file_mut());
        contents(&mut w)?;
        w.flush().map_err(|e| TableError::write(path, e))?;
    }
    tmp.as_file()
        .sync_all()
        .map_err(|e| TableError::write(path, e))?;
    tmp.persist(path)
        .map_err(|e| TableError::write(path, e.error))?;
    Ok(())
}

/// Writes a table as Parquet (`.parquet`, `.pq`) or delimited text (tab for `.tsv`, else comma).
pub fn write_table(table: &Table, path: &Path) -> Result<()> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    match ext.as_str() {
        "parquet" | "pq" => write_atomic(path, |w| write_parquet(table, w, path)),
        "tsv" | "tab" => write_atomic(path, |w| write_csv(table, w, b'\t', path)),
        _ => write_atomic(path, |w| write_csv(table, w, b',', path)),
    }
}

/// Writes a twin: Parquet by its name, else delimited text in the source's format (or the
/// caller's choice), kept columns copied from `source` as written. Returns the text format used
/// (None for Parquet).
pub fn write_twin(
    twin: &Table,
    path: &Path,
    source: Option<&crate::csv_write::SourceText>,
    kept: &[String],
    choice: &crate::csv_write::FormatChoice,
) -> Result<Option<crate::csv_write::TextFormat>> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    if matches!(ext.as_str(), "parquet" | "pq") {
        if *choice != crate::csv_write::FormatChoice::default() {
            return Err(TableError::Invalid(format!(
                "{}: --output-encoding and --output-delimiter apply to a delimited twin, not to Parquet",
                path.display()
            )));
        }
        write_atomic(path, |w| write_parquet(twin, w, path))?;
        return Ok(None);
    }
    let fmt = crate::csv_write::output_format(path, source.map(|s| &s.format), choice);
    write_atomic(path, |w| {
        crate::csv_write::write_delimited(twin, w, &fmt, kept, source, path)
    })?;
    Ok(Some(fmt))
}

/// Writes a table as RFC 4180 CSV with a header row; missing values are empty fields.
pub fn write_csv<W: Write>(table: &Table, out: W, delimiter: u8, path: &Path) -> Result<()> {
    let mut w = csv::WriterBuilder::new()
        .delimiter(delimiter)
        .from_writer(out);
    let err = |e: csv::Error| TableError::Invalid(format!("{}: {e}", path.display()));
    w.write_record(table.columns.iter().map(|c| c.name.as_str()))
        .map_err(err)?;
    let mut buf: Vec<String> = vec![String::new(); table.columns.len()];
    for r in 0..table.n_rows {
        for (slot, c) in buf.iter_mut().zip(&table.columns) {
            slot.clear();
            match &c.data {
                ColumnData::Categorical(cat) => {
                    if cat.codes()[r] != MISSING {
                        slot.push_str(cat.dict().get(cat.codes()[r]));
                    }
                }
                ColumnData::Numeric(v) => {
                    if let Some(s) = format_number(v[r], c.value_type) {
                        slot.push_str(&s);
                    }
                }
            }
        }
        w.write_record(&buf).map_err(err)?;
    }
    w.flush().map_err(|e| TableError::write(path, e))?;
    Ok(())
}
