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

    /// A frame of a table already built.
    pub fn of_table(name: &str, table: Table) -> Frame {
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

/// The hash of a table's content: per column its name, type and every value (numbers as
/// their IEEE bits, text as UTF-8, missing as a marker), so equal frames hash equal.
pub(crate) fn content_sha256(t: &Table) -> String {
    let mut h = Sha256::new();
    for c in &t.columns {
        h.update(c.name.as_bytes());
        h.update([0]);
        h.update(c.value_type.as_str().as_bytes());
        h.update([0]);
        match &c.data {
            ColumnData::Numeric(v) => {
                for x in v {
                    h.update(x.to_bits().to_le_bytes());
                }
            }
            ColumnData::Categorical(cat) => {
                let dict = cat.dict();
                for &code in cat.codes() {
                    if code == MISSING {
                        h.update([0xff, 0]);
                    } else {
                        h.update(dict.get(code).as_bytes());
                        h.update([0]);
                    }
                }
            }
        }
    }
    datavisa_table::hex(&h.finalize())
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
}
