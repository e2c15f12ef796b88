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
    fn a_bom_stays_with_the_header_and_gbk_bytes_pass_through() {
        let mut file = vec![0xEF, 0xBB, 0xBF];
        file.extend_from_slice(b"n,v\n");
        file.extend_from_slice(&[0xD5, 0xC5, b',', b'1', b'\n']);
        let s = record_spans(Path::new("t.csv"), &file, b',', true).unwrap();
        let out = s.select(&file, &[true]);
        assert_eq!(out, file);
    }
}
