//! CSV reading: encoding detection, delimiter sniffing, quote-aware chunking and parallel
//! dictionary encoding, then type inference over the distinct values.

use crate::column::{CatData, Column, ColumnData, TypeEvidence, ValueType};
use crate::dictionary::{Dictionary, MISSING};
use crate::error::{Result, TableError};
use crate::infer::{infer, numeric_under, Parsed};
use crate::table::{FileFormat, Origin, RowLines, Table};
use crate::text::{FieldBuf, RawText, MISSING_BIT};
use crate::written::WrittenForms;
use rayon::prelude::*;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Missing-value tokens recognised by default.
pub const DEFAULT_MISSING: &[&str] = &["", "NA", "N/A", "NULL", "null", "?", "-", "\\N"];

/// Delimiters the sniffer chooses among, in tie-break order.
pub const CANDIDATE_DELIMITERS: &[u8] = b",;\t|";

/// Default limit on one field's size; larger fields are almost always a broken quote.
pub const DEFAULT_MAX_FIELD_BYTES: usize = 1 << 20;

/// Text encodings datavisa reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Encoding {
    /// UTF-8 (with or without BOM), else GB18030 (a superset of GBK).
    #[default]
    Auto,
    Utf8,
    Gb18030,
}

impl std::str::FromStr for Encoding {
    type Err = TableError;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().replace('_', "-").as_str() {
            "auto" => Ok(Encoding::Auto),
            "utf-8" | "utf8" | "utf-8-sig" => Ok(Encoding::Utf8),
            "gb18030" | "gbk" | "gb2312" | "cp936" => Ok(Encoding::Gb18030),
            _ => Err(TableError::UnknownEncoding { name: s.to_owned() }),
        }
    }
}

/// How to read a delimited text file.
#[derive(Clone, Debug)]
pub struct ReadOptions {
    pub delimiter: Option<u8>,
    pub has_header: bool,
    pub encoding: Encoding,
    pub missing_tokens: Vec<String>,
    pub max_field_bytes: usize,
    /// Declared types by column name; they replace inference and must fit every value.
    pub types: HashMap<String, ValueType>,
    /// Bytes per parallel parse chunk; 0 picks one from the file size and thread count.
    pub chunk_bytes: usize,
    /// Read every column as text, exactly as written (for twins that must copy values as
    /// they are: `007` stays `007`, an 18-digit ID never passes through a float).
    pub all_text: bool,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            delimiter: None,
            has_header: true,
            encoding: Encoding::Auto,
            missing_tokens: DEFAULT_MISSING.iter().map(|s| s.to_string()).collect(),
            max_field_bytes: DEFAULT_MAX_FIELD_BYTES,
            types: HashMap::new(),
            chunk_bytes: 0,
            all_text: false,
        }
    }
}

/// Reads a CSV/TSV file into a typed table. Takes the bytes (a memory map) by value: they are
/// released as soon as every field has been copied into its column's buffer, before encoding.
pub fn read_csv_bytes<B: AsRef<[u8]>>(path: &Path, bytes: B, opts: &ReadOptions) -> Result<Table> {
    let n_bytes = bytes.as_ref().len() as u64;
    let (fields, row_lines, names, delimiter, encoding, unnamed) = {
        let (text, encoding) = decode(path, bytes.as_ref(), opts.encoding)?;
        if text.trim().is_empty() {
            return Err(TableError::Empty { path: path.into() });
        }
        let delimiter = opts.delimiter.unwrap_or_else(|| sniff_delimiter(&text));
        let (names, data_start, first_data_line, unnamed) =
            read_header(path, &text, delimiter, opts)?;
        let data = &text.as_bytes()[data_start..];
        let (fields, row_lines) =
            parse_parallel(path, data, first_data_line, delimiter, &names, opts)?;
        (fields, row_lines, names, delimiter, encoding, unnamed)
    };
    drop(bytes);
    let n_rows = fields
        .first()
        .map_or(0, |c| c.iter().map(|b| b.ends.len()).sum());
    if fields
        .iter()
        .any(|c| c.iter().map(|b| b.ends.len()).sum::<usize>() != n_rows)
    {
        return Err(TableError::Invalid(format!(
            "{}: internal error: columns read with different row counts; please report this file",
            path.display()
        )));
    }
    if n_rows == 0 {
        return Err(if opts.has_header {
            TableError::HeaderOnly { path: path.into() }
        } else {
            TableError::Empty { path: path.into() }
        });
    }
    let text_types: HashMap<String, ValueType>;
    let types = if opts.all_text {
        text_types = names
            .iter()
            .map(|n| (n.clone(), ValueType::Categorical))
            .collect();
        &text_types
    } else {
        &opts.types
    };
    // Each column is encoded and typed in one task, so the cores stay busy to the end.
    let columns = names
        .into_par_iter()
        .zip(fields)
        .enumerate()
        .map(|(j, (name, bufs))| {
            read_column(path, j, name, RawText::new(bufs, n_rows), &row_lines, types)
        })
        .collect::<Result<Vec<(Column, WrittenForms)>>>()?;
    let (written, columns) = split_written(columns);
    let origin = Origin {
        path: Some(path.to_path_buf()),
        format: FileFormat::Csv,
        delimiter: Some(delimiter as char),
        encoding: Some(encoding.to_owned()),
        has_header: opts.has_header,
        row_lines: row_lines.clone(),
        bytes: n_bytes,
        unnamed_columns: unnamed,
        written,
    };
    Ok(Table {
        n_rows,
        columns,
        origin,
    })
}

/// The columns, and the written forms of those that have any, by column name.
fn split_written(
    columns: Vec<(Column, WrittenForms)>,
) -> (BTreeMap<String, Arc<WrittenForms>>, Vec<Column>) {
    let mut written = BTreeMap::new();
    let columns = columns
        .into_iter()
        .map(|(c, w)| {
            if !w.is_empty() {
                written.insert(c.name.clone(), Arc::new(w));
            }
            c
        })
        .collect();
    (written, columns)
}

fn line_at(bytes: &[u8], offset: usize) -> u64 {
    memchr::memchr_iter(b'\n', &bytes[..offset.min(bytes.len())]).count() as u64 + 1
}

/// Decodes the bytes to UTF-8 text, naming the encoding used.
fn decode<'a>(path: &Path, bytes: &'a [u8], enc: Encoding) -> Result<(Cow<'a, str>, &'static str)> {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(TableError::Utf16 { path: path.into() });
    }
    let body = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    let (has_nul, valid) = check_bytes(body);
    if has_nul {
        let offset = memchr::memchr(0, bytes).unwrap_or_default();
        return Err(TableError::Binary {
            path: path.into(),
            offset: offset as u64,
        });
    }
    // The std check runs only when the fast one failed: it gives the offset for the message.
    let utf8 = match valid {
        Some(s) => Ok(s),
        None => std::str::from_utf8(body),
    };
    match (enc, utf8) {
        (Encoding::Auto | Encoding::Utf8, Ok(s)) => Ok((Cow::Borrowed(s), "utf-8")),
        (Encoding::Utf8, Err(e)) => Err(TableError::NotInEncoding {
            path: path.into(),
            encoding: "UTF-8".into(),
            line: line_at(body, e.valid_up_to()),
            offset: e.valid_up_to() as u64,
        }),
        (Encoding::Auto | Encoding::Gb18030, utf8) => {
            match encoding_rs::GB18030.decode_without_bom_handling_and_without_replacement(body) {
                Some(s) => Ok((Cow::Owned(s.into_owned()), "gb18030")),
                None => {
                    let offset = first_gb18030_error(body);
                    let line = line_at(body, offset);
                    Err(match (enc, utf8) {
                        (Encoding::Auto, _) => TableError::Encoding {
                            path: path.into(),
                            line,
                            offset: offset as u64,
                        },
                        _ => TableError::NotInEncoding {
                            path: path.into(),
                            encoding: "GB18030/GBK".into(),
                            line,
                            offset: offset as u64,
                        },
                    })
                }
            }
        }
    }
}

/// Pieces of about `target` bytes that end just after a newline (the last one at the end).
fn newline_pieces(data: &[u8], target: usize) -> Vec<std::ops::Range<usize>> {
    let mut pieces = Vec::new();
    let mut start = 0;
    while start < data.len() {
        let mut end = (start + target).min(data.len());
        if end < data.len() {
            end = memchr::memchr(b'\n', &data[end..]).map_or(data.len(), |nl| end + nl + 1);
        }
        pieces.push(start..end);
        start = end;
    }
    pieces
}

/// Bytes per piece of work split across threads: several per thread balance the cores.
fn piece_bytes(len: usize) -> usize {
    (len / (rayon::current_num_threads() * 4)).max(1 << 20)
}

/// Whether the bytes hold a NUL, and the text when they are valid UTF-8, checked in parallel
/// pieces cut at newlines.
fn check_bytes(body: &[u8]) -> (bool, Option<&str>) {
    let pieces = newline_pieces(body, piece_bytes(body.len()));
    let (nul, valid) = pieces
        .par_iter()
        .map(|r| {
            let p = &body[r.clone()];
            (
                memchr::memchr(0, p).is_some(),
                simdutf8::basic::from_utf8(p).is_ok(),
            )
        })
        .reduce(|| (false, true), |a, b| (a.0 || b.0, a.1 && b.1));
    if !valid {
        return (nul, None);
    }
    // SAFETY: the pieces tile the body and each is valid UTF-8; each ends at a newline, an
    // ASCII byte that never falls inside a multi-byte character, so the whole is valid too.
    (nul, Some(unsafe { std::str::from_utf8_unchecked(body) }))
}

fn first_gb18030_error(body: &[u8]) -> usize {
    let mut decoder = encoding_rs::GB18030.new_decoder_without_bom_handling();
    let mut out = String::with_capacity(body.len() * 3 + 16);
    let (result, read) = decoder.decode_to_string_without_replacement(body, &mut out, true);
    match result {
        encoding_rs::DecoderResult::Malformed(bad, _) => read.saturating_sub(bad as usize),
        _ => read,
    }
}

/// Picks the delimiter that splits the first lines into the same number (> 1) of fields.
pub fn sniff_delimiter(text: &str) -> u8 {
    // Bytes, not str: a 64 KiB cut can fall inside a multi-byte character.
    let bytes = text.as_bytes();
    let mut sample = &bytes[..bytes.len().min(64 * 1024)];
    if sample.len() < bytes.len() {
        if let Some(cut) = memchr::memrchr(b'\n', sample) {
            sample = &sample[..cut];
        }
    }
    let mut best = (false, 0usize, b',');
    for &d in CANDIDATE_DELIMITERS {
        let mut rdr = csv::ReaderBuilder::new()
            .delimiter(d)
            .has_headers(false)
            .flexible(true)
            .from_reader(sample);
        let mut counts: Vec<usize> = Vec::new();
        let mut rec = csv::ByteRecord::new();
        while counts.len() < 200 && rdr.read_byte_record(&mut rec).unwrap_or(false) {
            counts.push(rec.len());
        }
        let Some(&first) = counts.first() else {
            continue;
        };
        let agree = counts.iter().filter(|&&c| c == first).count();
        let consistent = agree as f64 >= 0.9 * counts.len() as f64;
        let key = (
            consistent && first > 1,
            if first > 1 { first } else { 0 },
            d,
        );
        if (key.0, key.1) > (best.0, best.1) {
            best = key;
        }
    }
    best.2
}

fn trim_bytes(b: &[u8]) -> &[u8] {
    b.trim_ascii()
}

fn read_header(
    path: &Path,
    text: &str,
    delimiter: u8,
    opts: &ReadOptions,
) -> Result<(Vec<String>, usize, u64, Vec<usize>)> {
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rec = csv::StringRecord::new();
    if !rdr.read_record(&mut rec).unwrap_or(false) {
        return Err(TableError::Empty { path: path.into() });
    }
    let fields: Vec<String> = rec.iter().map(|s| s.trim().to_owned()).collect();
    if !opts.has_header {
        let names = (1..=fields.len()).map(|i| format!("col_{i}")).collect();
        return Ok((names, 0, 1, Vec::new()));
    }
    // The reader stops before the header's final newline; the data starts after it.
    let mut end = rdr.position().byte() as usize;
    if text.as_bytes().get(end) == Some(&b'\n') {
        end += 1;
    }
    // An empty header field (a pandas index column, say) is read as `col_N`, and said: the
    // position is kept so readers can warn, and `--strict` can refuse.
    let unnamed: Vec<usize> = fields
        .iter()
        .enumerate()
        .filter(|(_, f)| f.is_empty())
        .map(|(i, _)| i + 1)
        .collect();
    let names: Vec<String> = fields
        .into_iter()
        .enumerate()
        .map(|(i, f)| {
            if f.is_empty() {
                format!("col_{}", i + 1)
            } else {
                f
            }
        })
        .collect();
    check_duplicate_names(path, &names)?;
    let first_data_line = line_at(text.as_bytes(), end);
    Ok((names, end, first_data_line, unnamed))
}

/// Fails on two columns with the same name.
pub fn check_duplicate_names(path: &Path, names: &[String]) -> Result<()> {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (i, n) in names.iter().enumerate() {
        if let Some(&first) = seen.get(n.as_str()) {
            return Err(TableError::DuplicateColumn {
                path: path.into(),
                name: n.clone(),
                first: first + 1,
                second: i + 1,
            });
        }
        seen.insert(n, i);
    }
    Ok(())
}

const MAX_CHUNK: usize = 1 << 30;

struct Chunk {
    cols: Vec<FieldBuf>,
    rows: usize,
    /// (row within chunk, physical line) wherever lines stop following rows one to one.
    line_marks: Vec<(usize, u64)>,
}

/// A slice of the data that starts at a record boundary, with its first line number.
struct Span {
    start: usize,
    end: usize,
    first_line: u64,
}

/// Per column, its field buffers in chunk order; and the row-to-line map.
type Fields = (Vec<Vec<FieldBuf>>, RowLines);

fn parse_parallel(
    path: &Path,
    data: &[u8],
    first_line: u64,
    delimiter: u8,
    names: &[String],
    opts: &ReadOptions,
) -> Result<Fields> {
    let target = match opts.chunk_bytes {
        // Chunks share nothing, so more of them cost nothing.
        0 => piece_bytes(data.len()) + 1,
        n => n,
    }
    .min(MAX_CHUNK);
    let (spans, plain) = split_records(path, data, first_line, delimiter, target)?;
    let parse = if plain {
        parse_plain_chunk
    } else {
        parse_chunk
    };
    let results: Vec<Result<Chunk>> = spans
        .par_iter()
        .map(|s| {
            parse(
                path,
                &data[s.start..s.end],
                s.first_line,
                delimiter,
                names,
                opts,
            )
        })
        .collect();
    let chunks = match results.into_iter().collect::<Result<Vec<_>>>() {
        Ok(c) => c,
        // A split can land wrongly on odd quoting; the sequential parse gives the true first error.
        Err(_) if spans.len() > 1 => {
            vec![parse_chunk(path, data, first_line, delimiter, names, opts)?]
        }
        Err(e) => return Err(e),
    };
    Ok(transpose(chunks, names.len(), first_line))
}

/// In one pass over a piece: whether it holds a quote, whether it is plain (every field can be
/// cut at delimiters and newlines alone: no quotes and no carriage return except before a
/// newline), and its newlines.
fn scan_piece(p: &[u8]) -> (bool, bool, u64) {
    let (mut quoted, mut stray_cr, mut lines) = (false, false, 0u64);
    for i in memchr::memchr3_iter(b'"', b'\r', b'\n', p) {
        match p[i] {
            b'\n' => lines += 1,
            b'"' => quoted = true,
            _ => stray_cr |= p.get(i + 1) != Some(&b'\n'),
        }
    }
    (quoted, !quoted && !stray_cr, lines)
}

/// Cuts the data into spans of about `target` bytes at record boundaries, respecting quotes;
/// says whether the data is plain (see [`scan_piece`]).
fn split_records(
    path: &Path,
    data: &[u8],
    first_line: u64,
    delimiter: u8,
    target: usize,
) -> Result<(Vec<Span>, bool)> {
    let mut cuts = vec![(0usize, first_line)];
    // Each piece is checked in parallel: quotes, stray carriage returns, newlines.
    let pieces = newline_pieces(data, target);
    let checks: Vec<(bool, bool, u64)> = pieces
        .par_iter()
        .map(|r| scan_piece(&data[r.clone()]))
        .collect();
    let plain = checks.iter().all(|c| c.1);
    if checks.iter().all(|c| !c.0) {
        let mut line = first_line;
        for (r, c) in pieces
            .iter()
            .zip(&checks)
            .take(pieces.len().saturating_sub(1))
        {
            line += c.2;
            cuts.push((r.end, line));
        }
    } else {
        quoted_cuts(path, data, first_line, delimiter, target, &mut cuts)?;
    }
    let mut spans = Vec::with_capacity(cuts.len());
    for (i, &(start, line)) in cuts.iter().enumerate() {
        let end = cuts.get(i + 1).map_or(data.len(), |c| c.0);
        if end > start {
            spans.push(Span {
                start,
                end,
                first_line: line,
            });
        }
    }
    Ok((spans, plain))
}

// Quotes open a field only at its start, as the csv crate reads them; a doubled quote inside a
// quoted field is an escaped quote. Cuts go on newlines outside quotes.
fn quoted_cuts(
    path: &Path,
    data: &[u8],
    first_line: u64,
    delimiter: u8,
    target: usize,
    cuts: &mut Vec<(usize, u64)>,
) -> Result<()> {
    let mut i = 0usize;
    let mut line = first_line;
    let mut next_target = target;
    let n = data.len();
    while i < n {
        // At a field start.
        if data[i] == b'"' {
            let open_line = line;
            i += 1;
            loop {
                let Some(q) = memchr::memchr(b'"', &data[i..]) else {
                    return Err(TableError::UnclosedQuote {
                        path: path.into(),
                        line: open_line,
                    });
                };
                line += memchr::memchr_iter(b'\n', &data[i..i + q]).count() as u64;
                i += q + 1;
                if data.get(i) == Some(&b'"') {
                    i += 1;
                } else {
                    break;
                }
            }
        }
        match memchr::memchr2(delimiter, b'\n', &data[i..]) {
            None => break,
            Some(p) => {
                i += p;
                if data[i] == b'\n' {
                    line += 1;
                    i += 1;
                    if i >= next_target && i < n {
                        cuts.push((i, line));
                        next_target = i + target;
                    }
                } else {
                    i += 1;
                }
            }
        }
    }
    Ok(())
}

fn new_bufs(data: &[u8], ncols: usize) -> Vec<FieldBuf> {
    let est_rows = data.len() / (ncols * 8).max(1) + 1;
    (0..ncols)
        .map(|_| FieldBuf {
            bytes: Vec::with_capacity(data.len() / ncols.max(1) + 16),
            ends: Vec::with_capacity(est_rows),
        })
        .collect()
}

/// Checks and records fields, shared by both chunk parsers.
struct Sink<'a> {
    path: &'a Path,
    names: &'a [String],
    missing: Vec<&'a [u8]>,
    longest_missing: usize,
    /// Bytes that open some missing token: any other first byte rules a field out at once.
    opens_missing: [bool; 256],
    empty_is_missing: bool,
    max_field: usize,
}

impl<'a> Sink<'a> {
    fn new(path: &'a Path, names: &'a [String], opts: &'a ReadOptions) -> Self {
        let missing: Vec<&[u8]> = opts.missing_tokens.iter().map(|t| t.as_bytes()).collect();
        let longest_missing = missing.iter().map(|m| m.len()).max().unwrap_or(0);
        let mut opens_missing = [false; 256];
        for m in &missing {
            if let Some(&b) = m.first() {
                opens_missing[usize::from(b)] = true;
            }
        }
        Sink {
            path,
            names,
            empty_is_missing: missing.iter().any(|m| m.is_empty()),
            missing,
            longest_missing,
            opens_missing,
            max_field: opts.max_field_bytes,
        }
    }

    fn check(&self, f: &[u8], j: usize, line: u64) -> Result<bool> {
        if f.len() > self.max_field {
            return Err(TableError::FieldTooLarge {
                path: self.path.into(),
                line,
                column: j + 1,
                name: self.names[j].clone(),
                size: f.len(),
                limit: self.max_field,
            });
        }
        Ok(match f.first() {
            None => self.empty_is_missing,
            Some(&b) => {
                self.opens_missing[usize::from(b)]
                    && f.len() <= self.longest_missing
                    && self.missing.contains(&f)
            }
        })
    }

    /// Copies an unescaped field into the column's own buffer.
    fn push_copy(&self, col: &mut FieldBuf, j: usize, field: &[u8], line: u64) -> Result<()> {
        let f = trim_bytes(field);
        let missing = self.check(f, j, line)?;
        let buf = &mut col.bytes;
        if !missing {
            buf.extend_from_slice(f);
        }
        col.ends
            .push(buf.len() as u32 | if missing { MISSING_BIT } else { 0 });
        Ok(())
    }
}

/// Column buffers sized from the first records, so copying fields never regrows them: each
/// column's contiguous buffer is what makes the encoding pass cache friendly.
fn sized_bufs(data: &[u8], ncols: usize, delimiter: u8) -> Vec<FieldBuf> {
    let sample = &data[..data.len().min(256 * 1024)];
    let sample = match memchr::memrchr(b'\n', sample) {
        Some(i) if sample.len() < data.len() => &sample[..=i],
        _ => sample,
    };
    let mut widths = vec![0usize; ncols];
    let mut records = 0usize;
    for rec in sample.split(|&b| b == b'\n').filter(|r| !r.is_empty()) {
        records += 1;
        for (j, f) in rec.split(|&b| b == delimiter).take(ncols).enumerate() {
            widths[j] += f.len();
        }
    }
    let scale = if records == 0 {
        0.0
    } else {
        data.len() as f64 / sample.len().max(1) as f64
    };
    let est_rows = (records as f64 * scale * 1.05) as usize + 16;
    widths
        .iter()
        .map(|&w| FieldBuf {
            bytes: Vec::with_capacity((w as f64 * scale * 1.1) as usize + 64),
            ends: Vec::with_capacity(est_rows),
        })
        .collect()
}

/// Parses a chunk with no quotes: fields are cut at delimiters and newlines in one memchr pass,
/// several times faster than a general CSV state machine, and copied into per-column buffers.
/// Blank lines are skipped, as the csv crate does.
fn parse_plain_chunk(
    path: &Path,
    data: &[u8],
    first_line: u64,
    delimiter: u8,
    names: &[String],
    opts: &ReadOptions,
) -> Result<Chunk> {
    let ncols = names.len();
    let sink = Sink::new(path, names, opts);
    let mut cols = sized_bufs(data, ncols, delimiter);
    let (mut rows, mut line) = (0usize, first_line);
    let mut prev_line = first_line.wrapping_sub(1);
    let mut line_marks = Vec::new();
    // One streaming pass finds delimiters and newlines together.
    let (mut field_start, mut j) = (0usize, 0usize);
    let end_record =
        |cols: &mut Vec<FieldBuf>, start: usize, end: usize, j: usize, line: u64| -> Result<bool> {
            let end = if end > start && data[end - 1] == b'\r' {
                end - 1
            } else {
                end
            };
            if j == 0 && end == start {
                return Ok(false); // a blank line, skipped as the csv crate does
            }
            if j + 1 != ncols {
                return Err(TableError::Ragged {
                    path: path.into(),
                    line,
                    expected: ncols,
                    found: j + 1,
                    delimiter: delimiter as char,
                });
            }
            sink.push_copy(&mut cols[j], j, &data[start..end], line)?;
            Ok(true)
        };
    for p in Structural::new(data, delimiter) {
        if data[p] == delimiter {
            if j + 1 < ncols {
                sink.push_copy(&mut cols[j], j, &data[field_start..p], line)?;
            }
            j += 1;
            field_start = p + 1;
            continue;
        }
        if end_record(&mut cols, field_start, p, j, line)? {
            if line != prev_line.wrapping_add(1) || rows == 0 {
                line_marks.push((rows, line));
            }
            prev_line = line;
            rows += 1;
        }
        line += 1;
        j = 0;
        field_start = p + 1;
    }
    // A last record without a newline still counts when it has a delimiter, even if its last
    // field is empty ("a,").
    let pending = j > 0 || field_start < data.len();
    if pending && end_record(&mut cols, field_start, data.len(), j, line)? {
        if line != prev_line.wrapping_add(1) || rows == 0 {
            line_marks.push((rows, line));
        }
        rows += 1;
    }
    Ok(Chunk {
        cols,
        rows,
        line_marks,
    })
}

/// Positions of delimiters and newlines in order, found eight bytes at a time: fields in real
/// tables are short, and a word-at-a-time scan has no per-match start-up cost.
struct Structural<'a> {
    words: std::slice::ChunksExact<'a, u8>,
    tail: &'a [u8],
    /// Offset of the next word to load.
    next: usize,
    /// Offset of the word behind `mask`.
    base: usize,
    mask: u64,
    delimiter: u64,
}

const LOW7: u64 = 0x7F7F_7F7F_7F7F_7F7F;
const ONES: u64 = 0x0101_0101_0101_0101;

impl<'a> Structural<'a> {
    fn new(data: &'a [u8], delimiter: u8) -> Self {
        let words = data.chunks_exact(8);
        let tail = words.remainder();
        Structural {
            words,
            tail,
            next: 0,
            base: 0,
            mask: 0,
            delimiter: ONES * u64::from(delimiter),
        }
    }

    /// The high bit of each byte of `w` that equals the byte repeated in `splat` (exact: no
    /// carries cross bytes).
    fn equal_bytes(w: u64, splat: u64) -> u64 {
        let v = w ^ splat;
        !(((v & LOW7) + LOW7) | v | LOW7)
    }

    fn load(&mut self) -> bool {
        let (word, valid) = if let Some(w) = self.words.next() {
            (
                u64::from_le_bytes(w.try_into().expect("chunks of eight")),
                u64::MAX,
            )
        } else if !self.tail.is_empty() {
            let mut pad = [0u8; 8];
            pad[..self.tail.len()].copy_from_slice(self.tail);
            let valid = (1u64 << (8 * self.tail.len())) - 1;
            self.tail = &[];
            (u64::from_le_bytes(pad), valid)
        } else {
            return false;
        };
        self.base = self.next;
        self.next += 8;
        let hits = Self::equal_bytes(word, self.delimiter) | Self::equal_bytes(word, ONES * 10);
        self.mask = hits & valid;
        true
    }
}

impl Iterator for Structural<'_> {
    type Item = usize;
    #[inline]
    fn next(&mut self) -> Option<usize> {
        while self.mask == 0 {
            if !self.load() {
                return None;
            }
        }
        let p = self.base + (self.mask.trailing_zeros() / 8) as usize;
        self.mask &= self.mask - 1;
        Some(p)
    }
}

fn parse_chunk(
    path: &Path,
    data: &[u8],
    first_line: u64,
    delimiter: u8,
    names: &[String],
    opts: &ReadOptions,
) -> Result<Chunk> {
    let ncols = names.len();
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(data);
    let sink = Sink::new(path, names, opts);
    let mut cols = new_bufs(data, ncols);
    let mut rec = csv::ByteRecord::new();
    let mut rows = 0usize;
    let mut prev_line = first_line.wrapping_sub(1);
    let mut line = first_line;
    let mut counted_to = 0usize;
    let mut line_marks = Vec::new();
    loop {
        match rdr.read_byte_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let at = e.position().map_or(0, |p| p.byte() as usize);
                let line = first_line
                    + memchr::memchr_iter(b'\n', &data[..at.min(data.len())]).count() as u64;
                return Err(TableError::Invalid(format!(
                    "{}: line {line}: {e}",
                    path.display()
                )));
            }
        }
        // The csv crate counts records, not physical lines; count newlines up to this record.
        let mut start = rec.position().map_or(counted_to, |p| p.byte() as usize);
        // A record's position is the previous record's newline; the record starts after it.
        if data.get(start) == Some(&b'\n') {
            start += 1;
        }
        line += memchr::memchr_iter(b'\n', &data[counted_to..start.max(counted_to)]).count() as u64;
        counted_to = start.max(counted_to);
        if line != prev_line.wrapping_add(1) || rows == 0 {
            line_marks.push((rows, line));
        }
        prev_line = line;
        if rec.len() != ncols {
            return Err(TableError::Ragged {
                path: path.into(),
                line,
                expected: ncols,
                found: rec.len(),
                delimiter: delimiter as char,
            });
        }
        for (j, (field, col)) in rec.iter().zip(cols.iter_mut()).enumerate() {
            sink.push_copy(col, j, field, line)?;
        }
        rows += 1;
    }
    Ok(Chunk {
        cols,
        rows,
        line_marks,
    })
}

fn transpose(chunks: Vec<Chunk>, ncols: usize, first_line: u64) -> Fields {
    let mut marks = Vec::new();
    let mut offset = 0usize;
    for c in &chunks {
        for &(r, line) in &c.line_marks {
            let row = offset + r;
            // A bare CR ends a record without starting a line, so rows can outrun lines.
            let extra = line.saturating_sub(first_line).saturating_sub(row as u64);
            if marks.last().map(|&(_, e)| e) != Some(extra) {
                marks.push((row as u64, extra));
            }
        }
        offset += c.rows;
    }
    let mut per_col: Vec<Vec<FieldBuf>> = (0..ncols).map(|_| Vec::new()).collect();
    for c in chunks {
        for (j, buf) in c.cols.into_iter().enumerate() {
            per_col[j].push(buf);
        }
    }
    (
        per_col,
        RowLines {
            first: first_line,
            marks,
        },
    )
}

/// The columns `names` of a table read as text (`all_text`), typed as a normal read would type
/// them: lets a caller that must copy values exactly still see numbers and dates for what they
/// are, without reading the file twice. Columns already typed (from Parquet) are kept.
pub fn infer_text_columns(t: &Table, names: &[String]) -> Result<Table> {
    let path = t.origin.path.clone().unwrap_or_default();
    let mut columns = Vec::with_capacity(names.len());
    let mut written = t.origin.written.clone();
    for n in names {
        let c = t.column(n)?;
        match &c.data {
            ColumnData::Categorical(cat) => {
                let (typed, forms) = type_column_written(
                    &path,
                    t.index_of(n)?,
                    n.clone(),
                    (**cat.dict()).clone(),
                    cat.codes().to_vec(),
                    &t.origin.row_lines,
                    &HashMap::new(),
                )?;
                if !forms.is_empty() {
                    written.insert(n.clone(), Arc::new(forms));
                }
                columns.push(typed);
            }
            ColumnData::Numeric(_) => columns.push(c.clone()),
        }
    }
    let mut out = Table::new(columns)?;
    out.origin = Origin {
        written,
        ..t.origin.clone()
    };
    Ok(out)
}

/// Infers (or applies declared) types and converts numeric columns to f64.
pub(crate) fn type_columns(
    path: &Path,
    names: Vec<String>,
    raw: Vec<(Dictionary, Vec<u32>)>,
    row_lines: &RowLines,
    declared: &HashMap<String, ValueType>,
) -> Result<Vec<Column>> {
    names
        .into_par_iter()
        .zip(raw)
        .enumerate()
        .map(|(j, (name, (dict, codes)))| {
            type_column(path, j, name, dict, codes, row_lines, declared)
        })
        .collect()
}

/// Types and encodes one column's fields: numbers and dates straight to f64, near-unique text
/// kept as read, everything else through a dictionary.
fn read_column(
    path: &Path,
    j: usize,
    name: String,
    fields: RawText,
    row_lines: &RowLines,
    types: &HashMap<String, ValueType>,
) -> Result<(Column, WrittenForms)> {
    let declared = types.get(&name).copied();
    if let Some((value_type, evidence, values)) = crate::infer::infer_direct(&fields, declared) {
        let forms = crate::written::of_rows(&fields, &values, value_type);
        let col = Column {
            name,
            value_type,
            data: ColumnData::Numeric(values.into()),
            evidence,
        };
        return Ok((col, forms));
    }
    let (dict, codes) = match crate::encode::encode_unless_near_unique(&fields) {
        crate::encode::Probe::Encoded(dict, codes) => (dict, codes),
        crate::encode::Probe::NearUnique => match crate::infer::infer_text(&fields, declared) {
            Some(inf) => {
                let col = text_column(name, inf, fields, row_lines);
                return Ok((col, WrittenForms::new()));
            }
            None => crate::encode::encode_partitioned(&fields),
        },
    };
    type_column_written(path, j, name, dict, codes, row_lines, types)
}

/// A near-unique text column: kept as read until its codes are needed, unless its type needs
/// the distinct count, which only encoding gives.
fn text_column(
    name: String,
    inf: crate::infer::TextInference,
    fields: RawText,
    row_lines: &RowLines,
) -> Column {
    let first_text = inf.first_text_row.map(|row| {
        let v = crate::encode::Fields::get(&fields, row).unwrap_or_default();
        (
            String::from_utf8_lossy(v).into_owned(),
            row_lines.line_of(row),
        )
    });
    let (value_type, data) = match inf.value_type {
        Some(t) => (t, CatData::lazy(fields)),
        None => {
            let (dict, codes) = crate::encode::encode_partitioned(&fields);
            let t = inf.with_distinct(dict.len() as u64);
            (t, CatData::new(codes, Arc::new(dict)))
        }
    };
    Column {
        name,
        value_type,
        data: ColumnData::Categorical(data),
        evidence: TypeEvidence {
            first_text,
            ..inf.evidence
        },
    }
}

fn type_column(
    path: &Path,
    j: usize,
    name: String,
    dict: Dictionary,
    codes: Vec<u32>,
    row_lines: &RowLines,
    declared: &HashMap<String, ValueType>,
) -> Result<Column> {
    type_column_written(path, j, name, dict, codes, row_lines, declared).map(|(c, _)| c)
}

/// [`type_column`], with the written forms of the values of a numeric column.
fn type_column_written(
    path: &Path,
    j: usize,
    name: String,
    dict: Dictionary,
    codes: Vec<u32>,
    row_lines: &RowLines,
    declared: &HashMap<String, ValueType>,
) -> Result<(Column, WrittenForms)> {
    let counts = crate::column::code_counts(&codes, dict.len());
    let missing = codes.len() as u64 - counts.iter().sum::<u64>();
    let mut inf = infer(&dict, &counts, missing);
    let first_row_where =
        |pred: &dyn Fn(u32) -> bool| codes.iter().position(|&c| c != MISSING && pred(c));
    if inf.evidence.is_mixed() {
        // The first text that is not a digit code: the value that makes the column mixed.
        let real_text = |c: u32| {
            inf.parsed[c as usize] == Parsed::Text
                && !crate::infer::is_digit_code(dict.get(c).as_bytes())
        };
        if let Some(row) = first_row_where(&real_text) {
            let v = dict.get(codes[row]).to_owned();
            inf.evidence.first_text = Some((v, row_lines.line_of(row)));
        }
    }
    let value_type = match declared.get(&name) {
        Some(&t) => {
            inf.evidence.declared = true;
            t
        }
        None => inf.value_type,
    };
    if !value_type.is_numeric() {
        let col = Column {
            name,
            value_type,
            data: ColumnData::Categorical(CatData::new(codes, Arc::new(dict))),
            evidence: inf.evidence,
        };
        return Ok((col, WrittenForms::new()));
    }
    let lut: Vec<Option<f64>> = inf
        .parsed
        .iter()
        .map(|&p| numeric_under(p, value_type))
        .collect();
    if let Some(row) = first_row_where(&|c| lut[c as usize].is_none()) {
        return Err(TableError::BadValue {
            path: PathBuf::from(path),
            line: row_lines.line_of(row),
            column: j + 1,
            name,
            value: dict.get(codes[row]).to_owned(),
            expected: value_type.as_str().to_owned(),
        });
    }
    let values: Vec<f64> = codes
        .iter()
        .map(|&c| {
            if c == MISSING {
                f64::NAN
            } else {
                lut[c as usize].unwrap_or(f64::NAN)
            }
        })
        .collect();
    let forms = crate::written::of_dictionary(&dict, &lut, value_type);
    let col = Column {
        name,
        value_type,
        data: ColumnData::Numeric(values.into()),
        evidence: inf.evidence,
    };
    Ok((col, forms))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A table whose text columns are near-unique: short IDs, phones with some text mixed
    /// in, mid-length addresses (whose type needs the distinct count), a declared column.
    fn near_unique_csv(rows: usize, repeat_every: usize) -> String {
        let mut s = String::from("id,phone,addr,note,small\n");
        for i in 0..rows {
            let k = if repeat_every > 0 && i % repeat_every == 0 {
                7
            } else {
                i
            };
            let phone = if i % 10 == 3 {
                format!("+86 138 {k:08}")
            } else {
                format!("138{k:08}")
            };
            let note = if i % 97 == 0 {
                String::new()
            } else {
                format!("n{k}")
            };
            s += &format!(
                "C{k:09},{phone},湖南省长沙市芙蓉区滨江大道{k}号11栋,{note},{}\n",
                i % 5
            );
        }
        s
    }

    fn read_str(csv: &str, opts: &ReadOptions) -> Table {
        read_csv_bytes(Path::new("t.csv"), csv.as_bytes(), opts).expect("reads")
    }

    #[test]
    fn near_unique_text_is_typed_as_the_dictionary_path_types_it() {
        for repeat_every in [0, 20] {
            let csv = near_unique_csv(70_000, repeat_every);
            let mut opts = ReadOptions::default();
            opts.types.insert("note".into(), ValueType::FreeText);
            let t = read_str(&csv, &opts);
            let lazy: Vec<&str> = t
                .columns
                .iter()
                .filter(|c| matches!(&c.data, ColumnData::Categorical(cat) if !cat.is_encoded()))
                .map(|c| c.name.as_str())
                .collect();
            // The address's type needs its distinct count, so it is encoded at once.
            assert_eq!(lazy, ["id", "phone", "note"], "repeat every {repeat_every}");
            for (j, c) in t.columns.iter().enumerate() {
                let ColumnData::Categorical(cat) = &c.data else {
                    continue;
                };
                let want = type_column(
                    Path::new("t.csv"),
                    j,
                    c.name.clone(),
                    (**cat.dict()).clone(),
                    cat.codes().to_vec(),
                    &t.origin.row_lines,
                    &opts.types,
                )
                .expect("types");
                assert_eq!(
                    (c.value_type, &c.evidence),
                    (want.value_type, &want.evidence)
                );
                assert_eq!(c.display(3), want.display(3));
            }
            let phone = t.column("phone").unwrap();
            assert_eq!(
                phone.evidence.first_text,
                Some(("+86 138 00000003".into(), 5))
            );
            assert_eq!(t.column("note").unwrap().missing_count(), 722);
        }
    }

    #[test]
    fn checks_in_parallel_pieces_find_the_first_bad_byte_in_any_piece() {
        let mut csv = String::from("a,b\n");
        for i in 0..200_000 {
            csv += &format!("{i},值{i}\n");
        }
        assert!(csv.len() > 3 << 20, "several pieces");
        // The first digit of row 199,990, on line 199,992 (the header is line 1).
        let (line, at) = (199_992, csv.rfind("\n199990,").unwrap() + 1);
        let mut bad = csv.clone().into_bytes();
        bad[at] = 0xFF;
        match read_csv_bytes(
            Path::new("t.csv"),
            &bad,
            &ReadOptions {
                encoding: Encoding::Utf8,
                ..ReadOptions::default()
            },
        ) {
            Err(TableError::NotInEncoding {
                line: l, offset, ..
            }) => {
                assert_eq!((l, offset), (line, at as u64));
            }
            other => panic!("{other:?}"),
        }
        bad[at] = 0;
        match read_csv_bytes(Path::new("t.csv"), &bad, &ReadOptions::default()) {
            Err(TableError::Binary { offset, .. }) => assert_eq!(offset, at as u64),
            other => panic!("{other:?}"),
        }
        let t = read_str(&csv, &ReadOptions::default());
        assert_eq!(
            (t.n_rows, t.origin.encoding.as_deref()),
            (200_000, Some("utf-8"))
        );
    }

    #[test]
    fn a_lazy_column_clones_and_encodes_once_from_any_thread() {
        let t = read_str(&near_unique_csv(70_000, 0), &ReadOptions::default());
        let id = t.column("id").unwrap();
        let copy = id.clone();
        let firsts: Vec<u32> = (0..4)
            .into_par_iter()
            .map(|_| copy.codes()[69_999])
            .collect();
        assert_eq!(firsts, [69_999; 4]);
        assert_eq!(id.display(69_999), Some("C000069999".into()));
        assert_eq!(id.distinct_count(), 70_000);
    }

    proptest! {
        // The word-at-a-time scan finds exactly what memchr2 finds, at every length and offset.
        #![proptest_config(ProptestConfig::with_cases(512))]
        #[test]
        fn structural_equals_memchr2(data in proptest::collection::vec(prop_oneof![Just(b','), Just(b'\n'), Just(b';'), Just(0u8), Just(0x80u8), Just(b'a'), any::<u8>()], 0..100), d in prop_oneof![Just(b','), Just(b';'), Just(b'\t'), Just(0u8)]) {
            let ours: Vec<usize> = Structural::new(&data, d).collect();
            let want: Vec<usize> = memchr::memchr2_iter(d, b'\n', &data).collect();
            prop_assert_eq!(ours, want);
        }
    }
}
