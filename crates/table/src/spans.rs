//! The bytes of each CSV record as they are in the file, so a verb that only selects rows
//! (`split`) writes them back byte for byte: the delimiter, quoting, encoding and line endings of
//! the source are kept without being parsed into values and written again.

use crate::error::{Result, TableError};
use std::ops::Range;
use std::path::Path;

/// A CSV file cut into its header and its records, each a byte range of the file.
#[derive(Clone, Debug)]
pub struct RecordSpans {
    /// The header line (None when the file has none).
    pub header: Option<Range<usize>>,
    /// Every data record, with its line ending.
    pub records: Vec<Range<usize>>,
    /// The file's line ending, for a last record written without one.
    pub newline: &'static [u8],
}

/// Cuts `bytes` (the file at `path`) into records on `delimiter`. The delimiter and the quote
/// must be ASCII bytes that the file's encoding never uses inside a character (true of `,` `;`
/// tab and `"` in UTF-8 and GB18030).
pub fn record_spans(
    path: &Path,
    bytes: &[u8],
    delimiter: u8,
    has_header: bool,
) -> Result<RecordSpans> {
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut rec = csv::ByteRecord::new();
    let mut starts = Vec::new();
    loop {
        let start = rdr.position().byte() as usize;
        match rdr.read_byte_record(&mut rec) {
            Ok(true) => starts.push(start),
            Ok(false) => break,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                return Err(TableError::Invalid(format!(
                    "{}:{line}: cannot cut the file into records: {e}",
                    path.display()
                )));
            }
        }
    }
    // The reader stops inside a record's line ending; a record starts at its first byte that
    // is not a line ending, and runs to the next one's start: its line ending and any blank
    // lines after it belong to it, so a kept record comes out exactly as it went in.
    for s in starts.iter_mut().skip(1) {
        while matches!(bytes.get(*s), Some(b'\r' | b'\n')) {
            *s += 1;
        }
    }
    let mut ranges: Vec<Range<usize>> = starts.windows(2).map(|w| w[0]..w[1]).collect();
    if let Some(&last) = starts.last() {
        ranges.push(last..bytes.len());
    }
    let newline: &'static [u8] = if bytes.windows(2).any(|w| w == b"\r\n") {
        b"\r\n"
    } else {
        b"\n"
    };
    let header = if has_header && !ranges.is_empty() {
        Some(ranges.remove(0))
    } else {
        None
    };
    // A byte-order mark before the header stays with it.
    let header = header.map(|h| 0..h.end);
    Ok(RecordSpans {
        header,
        records: ranges,
        newline,
    })
}

impl RecordSpans {
    /// The header, then the records whose `keep` is true, as bytes of `file` (a record that
    /// ended the file without a line ending gets the file's own).
    pub fn select(&self, file: &[u8], keep: &[bool]) -> Vec<u8> {
        let mut out = Vec::with_capacity(file.len() / 2 + 64);
        if let Some(h) = &self.header {
            out.extend_from_slice(&file[h.clone()]);
            ends_line(&mut out, self.newline);
        }
        for (r, &k) in self.records.iter().zip(keep) {
            if k {
                out.extend_from_slice(&file[r.clone()]);
                ends_line(&mut out, self.newline);
            }
        }
        out
    }
}

/// The fields of one record's raw bytes, each with its quotes, as ranges into `record`; the
/// record's line ending (and blank lines after it) belong to no field.
pub fn raw_fields(record: &[u8], delimiter: u8) -> Vec<Range<usize>> {
    let mut end = record.len();
    while end > 0 && matches!(record[end - 1], b'\r' | b'\n') {
        end -= 1;
    }
    let mut fields = Vec::new();
    let (mut start, mut quoted) = (0, false);
    for (i, &b) in record[..end].iter().enumerate() {
        if b == b'"' {
            quoted = !quoted;
        } else if b == delimiter && !quoted {
            fields.push(start..i);
            start = i + 1;
        }
    }
    fields.push(start..end);
    fields
}

/// A raw field's value: the text inside its quotes with doubled quotes made single, or the
/// field itself when it is not quoted.
pub fn unquote(raw: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    let t = raw.trim_ascii();
    match t.strip_prefix(b"\"").and_then(|x| x.strip_suffix(b"\"")) {
        Some(inner) if !inner.contains(&b'"') => std::borrow::Cow::Borrowed(inner),
        Some(inner) => {
            let mut out = Vec::with_capacity(inner.len());
            let mut prev_quote = false;
            for &b in inner {
                if b == b'"' && prev_quote {
                    prev_quote = false;
                    continue;
                }
                prev_quote = b == b'"';
                out.push(b);
            }
            std::borrow::Cow::Owned(out)
        }
        None => std::borrow::Cow::Borrowed(raw),
    }
}

fn ends_line(out: &mut Vec<u8>, newline: &[u8]) {
    if !out.ends_with(b"\n") && !out.ends_with(b"\r") {
        out.extend_from_slice(newline);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_come_back_byte_for_byte() {
        let file = "a;b\r\n1;\"x;\r\ny\"\r\n2;2119.0\r\n3;z".as_bytes();
        let s = record_spans(Path::new("t.csv"), file, b';', true).unwrap();
        assert_eq!(s.records.len(), 3);
        assert_eq!(&file[s.header.clone().unwrap()], b"a;b\r\n");
        let kept = s.select(file, &[true, false, true]);
        assert_eq!(kept, b"a;b\r\n1;\"x;\r\ny\"\r\n3;z\r\n");
        let all = s.select(file, &[true, true, true]);
        assert_eq!(&all[..file.len()], file);
    }

    #[test]
    fn raw_fields_keep_their_quotes_and_unquote_to_their_value() {
        let rec = b"1;\"a;\"\"b\"\"\";;2119.0\r\n\n";
        let f = raw_fields(rec, b';');
        let raw: Vec<&[u8]> = f.iter().map(|r| &rec[r.clone()]).collect();
        assert_eq!(raw, [&b"1"[..], b"\"a;\"\"b\"\"\"", b"", b"2119.0"]);
        assert_eq!(&*unquote(raw[1]), b"a;\"b\"");
        assert_eq!(&*unquote(raw[3]), b"2119.0");
        assert_eq!(&*unquote(b"\"x\""), b"x");
    }

    #[test]
    fn a_bom_stays_with_the_header_and_gbk_bytes_pass_through() {
        let mut file = vec![0xEF, 0xBB, 0xBF];
        file.extend_from_slice(b"n,v\n");
        file.extend_from_slice(&[0xD5, 0xC5, b',', b'1', b'\n']);
        let s = record_spans(Path::new("t.csv"), &file, b',', true).unwrap();
        let out = s.select(&file, &[true]);
        assert_eq!(out, file);
    }
}
