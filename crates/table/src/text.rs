//! Text fields as the CSV reader cut them: per chunk, one column's trimmed, unescaped bytes laid
//! end to end. The reader encodes most columns from these buffers at once; near-unique text
//! (identifiers, phone numbers, e-mails) is kept in them until a consumer asks for codes.

use crate::encode::Fields;

/// Marks a missing field in [`FieldBuf::ends`].
pub(crate) const MISSING_BIT: u32 = 1 << 31;

/// One column's fields from one chunk: `ends[i]` is where field `i` ends in `bytes`, with the
/// high bit set for a missing value. Chunks are capped at 1 GiB so offsets fit in 31 bits.
#[derive(Clone, Default)]
pub(crate) struct FieldBuf {
    pub(crate) bytes: Vec<u8>,
    pub(crate) ends: Vec<u32>,
}

impl FieldBuf {
    fn field(&self, i: usize) -> Option<&[u8]> {
        let e = self.ends[i];
        if e & MISSING_BIT != 0 {
            return None;
        }
        let start = if i == 0 {
            0
        } else {
            self.ends[i - 1] & !MISSING_BIT
        };
        Some(&self.bytes[start as usize..e as usize])
    }
}

/// One column's buffers from every chunk, read as one sequence of rows. The bytes are valid
/// UTF-8 (they were cut from validated text at ASCII delimiters).
#[derive(Clone)]
pub struct RawText {
    bufs: Vec<FieldBuf>,
    /// First row of each buffer.
    first_rows: Vec<usize>,
    n_rows: usize,
}

impl RawText {
    pub(crate) fn new(bufs: Vec<FieldBuf>, n_rows: usize) -> RawText {
        let mut first_rows = Vec::with_capacity(bufs.len());
        let mut r = 0;
        for b in &bufs {
            first_rows.push(r);
            r += b.ends.len();
        }
        RawText {
            bufs,
            first_rows,
            n_rows,
        }
    }
}

impl Fields for RawText {
    fn len(&self) -> usize {
        self.n_rows
    }

    fn get(&self, r: usize) -> Option<&[u8]> {
        let b = self.first_rows.partition_point(|&f| f <= r) - 1;
        self.bufs[b].field(r - self.first_rows[b])
    }

    fn for_each<'s>(&'s self, mut f: impl FnMut(usize, Option<&'s [u8]>)) {
        let mut r = 0;
        for buf in &self.bufs {
            let mut start = 0usize;
            for &e in &buf.ends {
                if e & MISSING_BIT != 0 {
                    f(r, None);
                } else {
                    f(r, Some(&buf.bytes[start..e as usize]));
                    start = e as usize;
                }
                r += 1;
            }
        }
    }
}
