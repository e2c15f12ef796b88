//! Data frames handed over in memory (by the Python package, through the Arrow C stream
//! interface) instead of files. A [`Frame`] is read once, typed as a Parquet file is, and
//! hashed over its content; a workspace that holds it ([`Workspace::with_frames`]) reads it
//! wherever a request names its [`Frame::path`], so every use case runs on frames through the
//! very code the CLI runs on files, and its evidence names the frame and its content hash.

use crate::{Result, Workspace};
use arrow_array::RecordBatch;
use arrow_schema::{ArrowError, Schema};
/// datavisa's columnar table, which a frame holds and a twin made in memory is.
pub use datavisa_table::Table;
use datavisa_table::{ColumnData, MISSING};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A table that came as a data frame: its name, its content and its content's hash.
#[derive(Clone, Debug)]
pub struct Frame {
    name: String,
    table: Arc<Table>,
    sha256: String,
}

impl Frame {
    /// Reads Arrow record batches into a frame named `name` (as errors and evidence show it).
    pub fn from_batches(
        name: &str,
        schema: &Schema,
        batches: impl IntoIterator<Item = std::result::Result<RecordBatch, ArrowError>>,
    ) -> Result<Frame> {
        let missing: Vec<String> = Vec::new();
        let t = datavisa_table::parquet_io::from_batches(
            Path::new(name),
            schema,
            batches,
            &missing,
            &HashMap::new(),
        )?;
        Ok(Frame::of_table(name, t))
    }

    /// A frame of a table already built; its numbers are made shared, so each read of the
    /// frame clones the table without copying them.
    pub fn of_table(name: &str, mut table: Table) -> Frame {
        table.share_numbers();
        let sha256 = content_sha256(&table);
        Frame {
            name: name.to_owned(),
            table: Arc::new(table),
            sha256,
        }
    }

    /// Its name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// SHA-256 of its column names, types and values.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    /// Rows.
    pub fn rows(&self) -> usize {
        self.table.n_rows
    }

    /// Column names, in order.
    pub fn column_names(&self) -> Vec<String> {
        self.table.columns.iter().map(|c| c.name.clone()).collect()
    }

    /// The table.
    pub fn table(&self) -> &Table {
        &self.table
    }

    /// The path requests name it by: `<name>`, which no file of a request is expected to be.
    pub fn path(&self) -> PathBuf {
        PathBuf::from(format!("<{}>", self.name))
    }
}

/// A table as one Arrow record batch, typed as a Parquet twin is written (to hand a twin back
/// through the Arrow C stream interface).
pub fn record_batch(t: &Table) -> Result<RecordBatch> {
    Ok(datavisa_table::parquet_io::to_record_batch(
        t,
        Path::new(crate::twins::TWIN_IN_MEMORY),
    )?)
}

/// The hash of a table's content: the SHA-256 of each column's name, type and digest, in
/// order. A column's digest covers every value: numbers as their IEEE bits; text as each
/// row's rank among the distinct values in order of first appearance (missing as a marker),
/// then those values with their lengths, so it does not depend on how the dictionary was
/// built. Equal frames hash equal; the columns are digested in parallel.
pub(crate) fn content_sha256(t: &Table) -> String {
    use rayon::prelude::*;
    let digests: Vec<[u8; 32]> = t.columns.par_iter().map(column_digest).collect();
    let mut h = Sha256::new();
    for (c, d) in t.columns.iter().zip(&digests) {
        h.update(c.name.as_bytes());
        h.update([0]);
        h.update(c.value_type.as_str().as_bytes());
        h.update([0]);
        h.update(d);
    }
    datavisa_table::hex(&h.finalize())
}

/// The digest of one column's values (see [`content_sha256`]).
fn column_digest(c: &datavisa_table::Column) -> [u8; 32] {
    let mut h = Sha256::new();
    match &c.data {
        ColumnData::Numeric(v) => {
            h.update(b"numbers");
            hash_numbers(&mut h, v);
        }
        ColumnData::Categorical(cat) => {
            let dict = cat.dict();
            // Each code's rank by first appearance; MISSING stays MISSING.
            let mut rank = vec![MISSING; dict.len()];
            let mut order: Vec<u32> = Vec::new();
            h.update(b"text");
            let ranks = cat.codes().iter().map(|&code| {
                if code == MISSING {
                    return MISSING;
                }
                let r = &mut rank[code as usize];
                if *r == MISSING {
                    *r = order.len() as u32;
                    order.push(code);
                }
                *r
            });
            hash_in_blocks(&mut h, ranks.map(u32::to_le_bytes));
            h.update((order.len() as u64).to_le_bytes());
            for &code in &order {
                let value = dict.get(code).as_bytes();
                h.update((value.len() as u64).to_le_bytes());
                h.update(value);
            }
        }
    }
    h.finalize().into()
}

/// Feeds the IEEE bits of `v` (little-endian) to `h` a block at a time: the same bytes as one
/// update per value, without a call per value and without copying the column.
fn hash_numbers(h: &mut Sha256, v: &[f64]) {
    hash_in_blocks(h, v.iter().map(|x| x.to_bits().to_le_bytes()));
}

/// Feeds `words` to `h` through one stack block, so each update is a block, not a word.
fn hash_in_blocks<const W: usize>(h: &mut Sha256, words: impl Iterator<Item = [u8; W]>) {
    let mut buf = [0u8; 8192];
    let mut n = 0;
    for w in words {
        if n + W > buf.len() {
            h.update(&buf[..n]);
            n = 0;
        }
        buf[n..n + W].copy_from_slice(&w);
        n += W;
    }
    h.update(&buf[..n]);
}

/// The frames a workspace holds, by the path requests name them by.
#[derive(Clone, Debug, Default)]
pub(crate) struct Frames(Arc<HashMap<PathBuf, Frame>>);

impl Frames {
    pub(crate) fn get(&self, path: &Path) -> Option<&Frame> {
        self.0.get(path)
    }
}

impl Workspace {
    /// The same workspace holding `frames`, read wherever a request names their paths.
    pub fn with_frames(&self, frames: &[&Frame]) -> Workspace {
        let mut all: HashMap<PathBuf, Frame> = (*self.frames().0).clone();
        for f in frames {
            all.insert(f.path(), (*f).clone());
        }
        self.clone().set_frames(Frames(Arc::new(all)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datavisa_table::Column;

    fn table(values: &[&str]) -> Table {
        Table::new(vec![Column::from_texts("a", values.iter().copied())]).unwrap()
    }

    #[test]
    fn equal_content_hashes_equal_and_any_change_shows() {
        let a = Frame::of_table("x", table(&["p", "q"]));
        let b = Frame::of_table("y", table(&["p", "q"]));
        let c = Frame::of_table("x", table(&["p", "r"]));
        let d = Frame::of_table("x", table(&["pq", ""]));
        assert_eq!(a.sha256(), b.sha256());
        assert_ne!(a.sha256(), c.sha256());
        assert_ne!(a.sha256(), d.sha256());
        assert_eq!(a.path(), PathBuf::from("<x>"));
    }

    #[test]
    fn numbers_hash_as_their_bits_one_value_after_another() {
        let v: Vec<f64> = (0..2500).map(|i| i as f64 * 0.5 - 7.0).collect();
        let mut blocks = Sha256::new();
        hash_numbers(&mut blocks, &v);
        let mut one_by_one = Sha256::new();
        for x in &v {
            one_by_one.update(x.to_bits().to_le_bytes());
        }
        assert_eq!(blocks.finalize(), one_by_one.finalize());
    }

    #[test]
    fn reading_a_frame_copies_none_of_its_numbers() {
        let values: Vec<f64> = vec![1.0, 2.5, f64::NAN];
        let t = Table::new(vec![
            Column::from_numbers("n", datavisa_table::ValueType::Float, values),
            Column::from_texts("a", ["p", "q", "p"]),
        ])
        .unwrap();
        let f = Frame::of_table("x", t);
        let ptr = |t: &Table| match &t.columns[0].data {
            ColumnData::Numeric(v) => v.as_ptr(),
            ColumnData::Categorical(_) => unreachable!("column 0 is numeric"),
        };
        let ws = Workspace::open("d", "me").unwrap().with_frames(&[&f]);
        let (read, _) = crate::read::load(&ws, &f.path(), &Default::default()).unwrap();
        assert_eq!(ptr(&read), ptr(f.table()));
        assert_eq!(read.columns[1].display(1).as_deref(), Some("q"));
    }
}
