//! Writing a twin in its source's text format: the same delimiter, quoting, line ending,
//! byte-order mark and encoding (GBK in, GBK out) unless the caller chooses otherwise, and every
//! kept cell copied from the source file byte for byte instead of being formatted again.

use crate::column::ColumnData;
use crate::dictionary::MISSING;
use crate::error::{Result, TableError};
use crate::spans::{raw_fields, record_spans, unquote, RecordSpans};
use crate::table::{FileFormat, Origin, Table};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::io::Write;
use std::ops::Range;
use std::path::Path;

/// The text encodings a twin can be written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TextEncoding {
    #[serde(rename = "utf-8")]
    Utf8,
    /// GBK proper: a character outside it is an error, never a silent substitute.
    #[serde(rename = "gbk")]
    Gbk,
    /// GB18030 (what a GBK source is read as): every Unicode character has a code.
    #[serde(rename = "gb18030")]
    Gb18030,
}

impl TextEncoding {
    /// The name used in flags and manifests.
    pub fn as_str(self) -> &'static str {
        match self {
            TextEncoding::Utf8 => "utf-8",
            TextEncoding::Gbk => "gbk",
            TextEncoding::Gb18030 => "gb18030",
        }
    }

    fn codec(self) -> &'static encoding_rs::Encoding {
        match self {
            TextEncoding::Utf8 => encoding_rs::UTF_8,
            TextEncoding::Gbk => encoding_rs::GBK,
            TextEncoding::Gb18030 => encoding_rs::GB18030,
        }
    }

    /// The bytes of `text` in this encoding, or the first character it cannot represent.
    pub fn encode<'a>(self, text: &'a str) -> std::result::Result<Cow<'a, [u8]>, char> {
        if self == TextEncoding::Utf8 || text.is_ascii() {
            return Ok(Cow::Borrowed(text.as_bytes()));
        }
        let mut enc = self.codec().new_encoder();
        let mut out = vec![0u8; text.len() * 2 + 8];
        let mut written = 0;
        let mut rest = text;
        loop {
            let (res, read, w) =
                enc.encode_from_utf8_without_replacement(rest, &mut out[written..], true);
            written += w;
            rest = &rest[read..];
            match res {
                encoding_rs::EncoderResult::InputEmpty => break,
                encoding_rs::EncoderResult::OutputFull => out.resize(out.len() * 2, 0),
                encoding_rs::EncoderResult::Unmappable(c) => return Err(c),
            }
        }
        out.truncate(written);
        Ok(Cow::Owned(out))
    }
}

impl std::str::FromStr for TextEncoding {
    type Err = TableError;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().replace('_', "-").as_str() {
            "utf-8" | "utf8" => Ok(TextEncoding::Utf8),
            "gbk" | "cp936" | "gb2312" => Ok(TextEncoding::Gbk),
            "gb18030" => Ok(TextEncoding::Gb18030),
            _ => Err(TableError::Invalid(format!(
                "--output-encoding {s:?}: use utf-8, gbk or gb18030"
            ))),
        }
    }
}

/// When fields are put in double quotes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Quoting {
    /// Only fields holding the delimiter, a quote or a line break.
    Necessary,
    /// Every field.
    All,
}

/// The text format of a delimited file, recorded in twin manifests.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextFormat {
    /// The field delimiter.
    pub delimiter: char,
    /// The text encoding.
    pub encoding: TextEncoding,
    /// When fields are quoted.
    pub quoting: Quoting,
    /// The line ending (`\n` or `\r\n`).
    pub newline: String,
    /// A UTF-8 byte-order mark starts the file.
    pub bom: bool,
}

impl Default for TextFormat {
    fn default() -> Self {
        TextFormat {
            delimiter: ',',
            encoding: TextEncoding::Utf8,
            quoting: Quoting::Necessary,
            newline: "\n".into(),
            bom: false,
        }
    }
}

/// What the caller chose instead of the source's format.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FormatChoice {
    /// `--output-delimiter`.
    pub delimiter: Option<u8>,
    /// `--output-encoding`.
    pub encoding: Option<TextEncoding>,
}

impl FormatChoice {
    /// Checks a delimiter given by a person: one ASCII character that is not a quote, a line
    /// break, a letter, a digit or a space (`tab` names the tab).
    pub fn parse_delimiter(s: &str) -> Result<u8> {
        let b = match s {
            "tab" | "\\t" | "\t" => b'\t',
            s if s.len() == 1 && s.is_ascii() => s.as_bytes()[0],
            _ => 0,
        };
        if b == b'\t' || (b.is_ascii_punctuation() && b != b'"') {
            Ok(b)
        } else {
            Err(TableError::Invalid(format!(
                "--output-delimiter {s:?}: give one character such as , ; | or tab (not a quote, letter, digit or space)"
            )))
        }
    }
}

/// A source file as the twin writer reuses it: its bytes cut into records, and its format.
pub struct SourceText {
    bytes: memmap2::Mmap,
    spans: RecordSpans,
    /// The source's format.
    pub format: TextFormat,
    names: Vec<String>,
    /// Whether fields can be cut on the raw bytes (the delimiter never occurs inside a
    /// character of the encoding).
    raw_safe: bool,
}

impl SourceText {
    /// Reads the CSV file a table came from again and cuts it into records; None when the
    /// table came from Parquet or memory.
    pub fn of(origin: &Origin, names: Vec<String>) -> Result<Option<SourceText>> {
        let (Some(path), FileFormat::Csv, Some(delim)) =
            (&origin.path, origin.format, origin.delimiter)
        else {
            return Ok(None);
        };
        let file = std::fs::File::open(path).map_err(|e| TableError::io(path, e))?;
        // SAFETY: read-only, as in `read_table`; a file truncated by another process while the
        // twin is written can fault, the accepted risk of mapping.
        let bytes = unsafe { memmap2::Mmap::map(&file) }.map_err(|e| TableError::io(path, e))?;
        let delimiter = delim as u8;
        let spans = record_spans(path, &bytes, delimiter, origin.has_header)?;
        let encoding = match origin.encoding.as_deref() {
            Some("gb18030") => TextEncoding::Gb18030,
            _ => TextEncoding::Utf8,
        };
        // GBK's second bytes run from 0x40: a delimiter below that never occurs inside one.
        let raw_safe = encoding == TextEncoding::Utf8 || delimiter < 0x40;
        let bom = bytes.starts_with(&[0xEF, 0xBB, 0xBF]);
        let all_quoted = spans
            .header
            .iter()
            .chain(spans.records.iter())
            .take(100)
            .all(|r| {
                let rec = &bytes[r.clone()];
                let rec = if bom && r.start == 0 { &rec[3..] } else { rec };
                raw_fields(rec, delimiter)
                    .iter()
                    .all(|f| rec.get(f.start) == Some(&b'"'))
            });
        let format = TextFormat {
            delimiter: delim,
            encoding,
            quoting: if all_quoted && raw_safe {
                Quoting::All
            } else {
                Quoting::Necessary
            },
            newline: String::from_utf8_lossy(spans.newline).into_owned(),
            bom,
        };
        Ok(Some(SourceText {
            bytes,
            spans,
            format,
            names,
            raw_safe,
        }))
    }

    /// The raw bytes of record `r` (header: None) without its line ending, and its fields.
    fn record(&self, r: Option<usize>) -> Option<(&[u8], Vec<Range<usize>>)> {
        let range = match r {
            None => self.spans.header.clone()?,
            Some(r) => self.spans.records.get(r)?.clone(),
        };
        let mut rec = &self.bytes[range.clone()];
        if r.is_none() && self.format.bom {
            rec = &rec[3..];
        }
        let fields = raw_fields(rec, self.format.delimiter as u8);
        (fields.len() == self.names.len()).then_some((rec, fields))
    }
}

/// The format a twin is written in: the caller's choice, else the tab of a `.tsv` name, else
/// the source's format, else RFC 4180 CSV in UTF-8.
pub fn output_format(
    path: &Path,
    source: Option<&TextFormat>,
    choice: &FormatChoice,
) -> TextFormat {
    let tsv = matches!(
        path.extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref(),
        Some("tsv" | "tab")
    );
    let mut f = source.cloned().unwrap_or_default();
    if tsv {
        f.delimiter = '\t';
    }
    if let Some(d) = choice.delimiter {
        f.delimiter = d as char;
    }
    if let Some(e) = choice.encoding {
        f.encoding = e;
    }
    if f.encoding != TextEncoding::Utf8 {
        f.bom = false;
    }
    f
}

/// Writes `table` as delimited text in `fmt`. A column named in `kept` whose rows are the
/// source's rows in order is copied from `source` byte for byte when the format is the
/// source's, else its fields as written are re-encoded and re-quoted.
pub fn write_delimited<W: Write>(
    table: &Table,
    out: W,
    fmt: &TextFormat,
    kept: &[String],
    source: Option<&SourceText>,
    path: &Path,
) -> Result<()> {
    let mut w = std::io::BufWriter::new(out);
    let io = |e: std::io::Error| TableError::write(path, e);
    let source = source.filter(|s| s.spans.records.len() == table.n_rows);
    let same = source.is_some_and(|s| {
        s.raw_safe
            && s.format.delimiter == fmt.delimiter
            && s.format.encoding == fmt.encoding
            && s.format.quoting == fmt.quoting
    });
    // Each twin column's field in the source, for the columns copied from it.
    let from_source: Vec<Option<usize>> = table
        .columns
        .iter()
        .map(|c| {
            let s = source?;
            if !kept.contains(&c.name) || !s.raw_safe {
                return None;
            }
            s.names.iter().position(|n| *n == c.name)
        })
        .collect();
    let header_from: Vec<Option<usize>> = table
        .columns
        .iter()
        .map(|c| source?.names.iter().position(|n| *n == c.name))
        .collect();
    if fmt.bom {
        w.write_all(&[0xEF, 0xBB, 0xBF]).map_err(io)?;
    }
    let cells = Cells {
        fmt,
        same,
        source_encoding: source.map_or(TextEncoding::Utf8, |s| s.format.encoding),
        path,
    };
    let header = source.filter(|s| s.raw_safe).and_then(|s| s.record(None));
    let mut line: Vec<u8> = Vec::new();
    for (j, c) in table.columns.iter().enumerate() {
        let raw = header
            .as_ref()
            .zip(header_from[j])
            .map(|((rec, f), i)| &rec[f[i].clone()]);
        cells.push(&mut line, j, raw, Some(&c.name), &c.name, 0)?;
    }
    line.extend_from_slice(fmt.newline.as_bytes());
    w.write_all(&line).map_err(io)?;
    for r in 0..table.n_rows {
        line.clear();
        let rec = source.and_then(|s| s.record(Some(r)));
        for (j, c) in table.columns.iter().enumerate() {
            let raw = rec
                .as_ref()
                .zip(from_source[j])
                .map(|((rec, f), i)| &rec[f[i].clone()]);
            let value = if raw.is_some() {
                None
            } else {
                cell(table, j, r)
            };
            cells.push(&mut line, j, raw, value.as_deref(), &c.name, r + 1)?;
        }
        line.extend_from_slice(fmt.newline.as_bytes());
        w.write_all(&line).map_err(io)?;
    }
    w.flush().map_err(io)
}

/// Row `r` of column `j` as the table holds it: text as it is, numbers as written.
fn cell(t: &Table, j: usize, r: usize) -> Option<Cow<'_, str>> {
    match &t.columns[j].data {
        ColumnData::Categorical(cat) => {
            let code = cat.codes()[r];
            (code != MISSING).then(|| Cow::Borrowed(cat.dict().get(code)))
        }
        ColumnData::Numeric(_) => t.as_written(j, r).map(Cow::Owned),
    }
}

/// Writes cells of one format.
struct Cells<'a> {
    fmt: &'a TextFormat,
    /// The output format is the source's: raw fields go out unchanged.
    same: bool,
    /// The source's encoding, to decode its raw fields.
    source_encoding: TextEncoding,
    path: &'a Path,
}

impl Cells<'_> {
    /// Appends a field (after a delimiter unless first): the source's raw bytes when given,
    /// else the text (None: missing, an empty field).
    fn push(
        &self,
        line: &mut Vec<u8>,
        j: usize,
        raw: Option<&[u8]>,
        text: Option<&str>,
        name: &str,
        row: usize,
    ) -> Result<()> {
        if j > 0 {
            line.push(self.fmt.delimiter as u8);
        }
        if let (Some(raw), true) = (raw, self.same) {
            line.extend_from_slice(raw);
            return Ok(());
        }
        let decoded;
        let text = match raw {
            // The source's field as written, unquoted and decoded, to go out in another format.
            Some(raw) => {
                let bytes = unquote(raw);
                // The source was read in this encoding, so its fields decode without loss.
                decoded = self
                    .source_encoding
                    .codec()
                    .decode_without_bom_handling(&bytes)
                    .0
                    .into_owned();
                Cow::Borrowed(decoded.as_str())
            }
            None => Cow::Borrowed(text.unwrap_or("")),
        };
        let bytes = self
            .fmt
            .encoding
            .encode(&text)
            .map_err(|ch| TableError::Unencodable {
                path: self.path.to_path_buf(),
                name: name.to_owned(),
                row,
                ch,
                encoding: self.fmt.encoding.as_str().to_owned(),
            })?;
        let d = self.fmt.delimiter as u8;
        let quote = self.fmt.quoting == Quoting::All
            || bytes
                .iter()
                .any(|&b| b == d || b == b'"' || b == b'\n' || b == b'\r');
        if !quote {
            line.extend_from_slice(&bytes);
            return Ok(());
        }
        line.push(b'"');
        for &b in bytes.iter() {
            if b == b'"' {
                line.push(b'"');
            }
            line.push(b);
        }
        line.push(b'"');
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::column::Column;
    use crate::{read_table, ReadOptions};

    /// Reads `bytes` as a file, replaces column `changed` by `new` values, writes the twin.
    fn twin_of(
        bytes: &[u8],
        changed: &str,
        new: &[&str],
        choice: &FormatChoice,
    ) -> Result<Vec<u8>> {
        let d = tempfile::tempdir().unwrap();
        let src = d.path().join("s.csv");
        std::fs::write(&src, bytes).unwrap();
        let t = read_table(&src, &ReadOptions::default()).unwrap();
        let mut twin = t.clone();
        let j = t.index_of(changed).unwrap();
        twin.columns[j] = Column::from_texts(changed, new.iter().copied());
        let source = SourceText::of(&t.origin, t.column_names())?.unwrap();
        let kept: Vec<String> = t
            .column_names()
            .into_iter()
            .filter(|n| n != changed)
            .collect();
        let out = d.path().join("t.csv");
        let fmt = output_format(&out, Some(&source.format), choice);
        let mut buf = Vec::new();
        write_delimited(&twin, &mut buf, &fmt, &kept, Some(&source), &out)?;
        Ok(buf)
    }

    #[test]
    fn a_source_that_quotes_every_field_gets_a_twin_that_does() {
        let src = b"\"a\",\"b\"\r\n\"2119.0\",\"x\"\r\n\"007\",\"y\"\r\n";
        let out = twin_of(src, "b", &["p", "q;r"], &FormatChoice::default()).unwrap();
        assert_eq!(
            out,
            b"\"a\",\"b\"\r\n\"2119.0\",\"p\"\r\n\"007\",\"q;r\"\r\n"
        );
    }

    #[test]
    fn a_bom_and_untrimmed_kept_fields_come_back_as_they_were() {
        let src = "\u{feff}id;v\n 007 ;1\n2119.0;2\n".as_bytes();
        let out = twin_of(src, "v", &["*", "*"], &FormatChoice::default()).unwrap();
        assert_eq!(out, "\u{feff}id;v\n 007 ;*\n2119.0;*\n".as_bytes());
        // Another delimiter re-quotes what needs it; the BOM goes with UTF-8 only.
        let choice = FormatChoice {
            delimiter: Some(b'\t'),
            encoding: Some(TextEncoding::Gb18030),
        };
        let out = twin_of(src, "v", &["a\tb", "c"], &choice).unwrap();
        assert_eq!(out, b"id\tv\n 007 \t\"a\tb\"\n2119.0\tc\n");
    }

    #[test]
    fn a_gbk_source_cut_by_a_pipe_is_written_from_its_values() {
        // `|` is 0x7C, a possible second byte of a GBK character: no raw cutting then.
        let (src, _, _) = encoding_rs::GBK.encode("名|值\n张三|1\n李四|2\n");
        let out = twin_of(&src, "值", &["*", "*"], &FormatChoice::default()).unwrap();
        let (want, _, _) = encoding_rs::GBK.encode("名|值\n张三|*\n李四|*\n");
        assert_eq!(out, want.as_ref());
    }

    #[test]
    fn what_the_output_encoding_lacks_is_named_with_column_and_row() {
        let src = "名,值\n张三,1\n\u{20000},2\n".as_bytes();
        let choice = FormatChoice {
            delimiter: None,
            encoding: Some(TextEncoding::Gbk),
        };
        match twin_of(src, "值", &["a", "b"], &choice) {
            Err(TableError::Unencodable { name, row, ch, .. }) => {
                assert_eq!((name.as_str(), row, ch), ("名", 2, '\u{20000}'))
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(TextEncoding::Gbk.encode("€").unwrap().as_ref(), [0x80]);
        assert_eq!(TextEncoding::Gb18030.encode("\u{20000}").unwrap().len(), 4);
    }

    #[test]
    fn formats_and_flags() {
        let src = TextFormat {
            delimiter: ';',
            encoding: TextEncoding::Gb18030,
            ..TextFormat::default()
        };
        let none = FormatChoice::default();
        assert_eq!(output_format(Path::new("t.csv"), Some(&src), &none), src);
        assert_eq!(
            output_format(Path::new("t.tsv"), Some(&src), &none).delimiter,
            '\t'
        );
        assert_eq!(
            output_format(Path::new("t.csv"), None, &none),
            TextFormat::default()
        );
        for ok in [",", ";", "|", "tab", "\t", ":"] {
            assert!(FormatChoice::parse_delimiter(ok).is_ok(), "{ok}");
        }
        for bad in ["", "ab", "\"", "x", "7", " ", "\n", "；"] {
            assert!(FormatChoice::parse_delimiter(bad).is_err(), "{bad:?}");
        }
        assert_eq!("GBK".parse::<TextEncoding>().unwrap(), TextEncoding::Gbk);
        assert!("latin1".parse::<TextEncoding>().is_err());
    }
}
