//! Datasets uploaded to a store: kept by content hash (`datasets/<sha256>.csv` with a small
//! record beside it), received through a partial file that only a checked, complete upload
//! turns into a dataset, so an interrupted upload leaves nothing stored.

use crate::error::{Error, Result};
use crate::read::{load, ReadRequest};
use crate::workspace::Workspace;
use datavisa_table::file_sha256;
use datavisa_vault::store::{rfc3339, unix_now};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::path::{Path, PathBuf};

/// The directory of datasets inside a store.
pub const DATASETS_DIR: &str = "datasets";

/// Names of files being received start with this, in the datasets directory.
const PARTIAL_PREFIX: &str = ".upload-";

/// A stored dataset, as listed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dataset {
    /// SHA-256 of the file's bytes (its id).
    pub sha256: String,
    /// The name it was uploaded under (first upload).
    pub name: String,
    /// Its size in bytes.
    pub bytes: u64,
    /// Rows read.
    pub rows: u64,
    /// Columns read.
    pub columns: u64,
    /// When it was first stored (RFC 3339 UTC).
    pub uploaded_at: String,
    /// Who stored it first.
    pub uploaded_by: String,
}

/// A file being received; removed when dropped unless it became a dataset.
#[derive(Debug)]
pub struct Upload {
    path: PathBuf,
}

impl Upload {
    /// Where to write the bytes.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for Upload {
    fn drop(&mut self) {
        // Gone already when it was renamed into place.
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Whether `s` is a SHA-256 in lower-case hex (so it can name a file safely).
pub fn is_sha256(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A dataset name as given by a client: its last path component, printable, at most 200 bytes.
fn clean_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = base.chars().filter(|c| !c.is_control()).take(200).collect();
    if cleaned.trim().is_empty() {
        "upload.csv".into()
    } else {
        cleaned
    }
}

/// Line and column (both 1-based) of the first field that breaks a CSV file's shape: the first
/// field past the header's count, the first one missing, or the one whose quote never closes.
fn locate_bad_field(path: &Path) -> Option<(u64, usize)> {
    let head = std::fs::read(path).ok()?;
    let first = head.split(|b| *b == b'\n').next()?;
    // The delimiter that splits the header into the most fields, as the reader's sniffing would.
    let delimiter = [b',', b';', b'\t', b'|']
        .into_iter()
        .max_by_key(|d| first.iter().filter(|b| *b == d).count())?;
    let mut r = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(false)
        .from_reader(head.as_slice());
    let mut expected = None;
    let mut record = csv::ByteRecord::new();
    loop {
        match r.read_byte_record(&mut record) {
            Ok(false) => return None,
            Ok(true) => {}
            Err(_) => return None,
        }
        let line = record.position().map_or(0, |p| p.line());
        let n = record.len();
        let want = *expected.get_or_insert(n);
        // A quote that never closes swallows the rest of the file into one field of the last
        // record (the reader has dropped the quote itself).
        let swallowing = record.iter().position(|f| f.contains(&b'\n'));
        if let Some(i) = swallowing {
            let mut next = csv::ByteRecord::new();
            if matches!(r.read_byte_record(&mut next), Ok(false)) {
                return Some((line, i + 1));
            }
        }
        if n != want {
            return Some((line, n.min(want) + 1));
        }
    }
}

impl Workspace {
    fn datasets_dir(&self) -> PathBuf {
        self.store().join(DATASETS_DIR)
    }

    /// A new partial file to receive an upload into (owner-only, in the store).
    pub fn new_upload(&self) -> Result<Upload> {
        let dir = self.datasets_dir();
        datavisa_vault::store::create_store_dir(&dir)?;
        let id = datavisa_vault::crypto::random_id("u")?;
        let path = dir.join(format!("{PARTIAL_PREFIX}{id}"));
        drop(datavisa_vault::store::create_private_file(&path)?);
        Ok(Upload { path })
    }

    /// Removes the partial files of uploads a stopped server left behind; returns how many.
    pub fn clean_uploads(&self) -> usize {
        let Ok(dir) = std::fs::read_dir(self.datasets_dir()) else {
            return 0;
        };
        dir.flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with(PARTIAL_PREFIX))
            .filter(|e| std::fs::remove_file(e.path()).is_ok())
            .count()
    }

    /// Checks a complete upload as a CSV table (an error names line and column), then stores
    /// it by its hash; the same bytes stored again are the same dataset. Audited.
    pub fn commit_upload(&self, upload: Upload, name: &str) -> Result<Dataset> {
        let name = clean_name(name);
        let (table, _) = load(self, upload.path(), &ReadRequest::default()).map_err(|e| {
            let shown = upload.path().display().to_string();
            let place = locate_bad_field(upload.path())
                .map(|(line, column)| format!(" (line {line}, column {column})"))
                .unwrap_or_default();
            Error {
                kind: e.kind,
                message: format!("{}{place}", e.message.replace(&shown, &name)),
            }
        })?;
        let sha256 = file_sha256(upload.path())?;
        let bytes = std::fs::metadata(upload.path())?.len();
        let file = self.datasets_dir().join(format!("{sha256}.csv"));
        let record = self.datasets_dir().join(format!("{sha256}.json"));
        let existing = self.dataset(&sha256)?;
        let new = existing.is_none();
        let dataset = match existing {
            Some(d) => d,
            None => {
                let d = Dataset {
                    sha256: sha256.clone(),
                    name,
                    bytes,
                    rows: table.n_rows as u64,
                    columns: table.columns.len() as u64,
                    uploaded_at: rfc3339(unix_now()),
                    uploaded_by: self.actor().to_owned(),
                };
                std::fs::rename(upload.path(), &file)?;
                crate::evidence::write_json(&record, &d)?;
                d
            }
        };
        self.audit_event(
            "dataset.uploaded",
            json!({"sha256": sha256, "bytes": bytes, "rows": dataset.rows,
                   "columns": dataset.columns, "new": new}),
        )?;
        Ok(dataset)
    }

    /// Every stored dataset, by hash.
    pub fn datasets(&self) -> Result<Vec<Dataset>> {
        let Ok(dir) = std::fs::read_dir(self.datasets_dir()) else {
            return Ok(Vec::new());
        };
        let mut hashes: Vec<String> = dir
            .flatten()
            .filter_map(|e| {
                let n = e.file_name().to_string_lossy().into_owned();
                n.strip_suffix(".json")
                    .filter(|h| is_sha256(h))
                    .map(str::to_owned)
            })
            .collect();
        hashes.sort();
        let mut out = Vec::new();
        for h in hashes {
            out.extend(self.dataset(&h)?);
        }
        Ok(out)
    }

    /// The dataset with hash `sha256`, if stored (both its file and its record).
    pub fn dataset(&self, sha256: &str) -> Result<Option<Dataset>> {
        if !is_sha256(sha256) {
            return Ok(None);
        }
        let record = self.datasets_dir().join(format!("{sha256}.json"));
        if !record.is_file() || !self.dataset_file(sha256).is_file() {
            return Ok(None);
        }
        let text = std::fs::read_to_string(&record)?;
        let d: Dataset = serde_json::from_str(&text).map_err(|e| {
            Error::internal(format!(
                "{}: unreadable dataset record: {e}",
                record.display()
            ))
        })?;
        Ok(Some(d))
    }

    /// The file of a stored dataset (whether or not it exists).
    pub fn dataset_file(&self, sha256: &str) -> PathBuf {
        self.datasets_dir().join(format!("{sha256}.csv"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_keep_their_last_component_only() {
        assert_eq!(clean_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_name("a\\b\\c.csv"), "c.csv");
        assert_eq!(clean_name(""), "upload.csv");
        assert_eq!(clean_name("x\ny.csv"), "xy.csv");
    }

    #[test]
    fn only_lower_hex_hashes_name_files() {
        assert!(is_sha256(&"a".repeat(64)));
        assert!(!is_sha256(&"A".repeat(64)));
        assert!(!is_sha256("../x"));
        assert!(!is_sha256(&"a".repeat(63)));
    }

    #[test]
    fn a_dropped_upload_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let ws = Workspace::open(dir.path(), "me").unwrap();
        let up = ws.new_upload().unwrap();
        std::fs::write(up.path(), "a,b\n1,2\n").unwrap();
        let p = up.path().to_path_buf();
        drop(up);
        assert!(!p.exists());
        assert!(ws.datasets().unwrap().is_empty());
        // A partial a killed process left is cleaned.
        let up = ws.new_upload().unwrap();
        std::mem::forget(up);
        assert_eq!(ws.clean_uploads(), 1);
    }

    #[test]
    fn a_bad_csv_is_refused_under_its_upload_name() {
        let dir = tempfile::tempdir().unwrap();
        let ws = Workspace::open(dir.path(), "me").unwrap();
        let up = ws.new_upload().unwrap();
        std::fs::write(up.path(), "a,b\n1,2\n3,4,5\n").unwrap();
        let e = ws.commit_upload(up, "people.csv").unwrap_err();
        assert_eq!(e.kind, crate::ErrorKind::BadInput);
        assert!(e.message.contains("people.csv"), "{}", e.message);
        assert!(!e.message.contains(".upload-"), "{}", e.message);
        assert!(e.message.contains("line 3"), "{}", e.message);
        // The third field of line 3 is one more than the header's two.
        assert!(e.message.contains("(line 3, column 3)"), "{}", e.message);
        assert!(ws.datasets().unwrap().is_empty());
    }

    #[test]
    fn bad_fields_are_located() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("x.csv");
        let cases: [(&str, Option<(u64, usize)>); 5] = [
            ("a,b,c\n1,2,3\n4,5\n", Some((3, 3))),
            ("a;b\n1;2\n3;4;5\n", Some((3, 3))),
            ("a,b\n1,2\n3,4\n", None),
            ("a,b,c\n1,\"x,2\n3,4,5\n", Some((2, 2))),
            ("a,b\n1,2\n3,4,5,6\n7,8\n", Some((3, 3))),
        ];
        for (text, want) in cases {
            std::fs::write(&f, text).unwrap();
            assert_eq!(locate_bad_field(&f), want, "{text:?}");
        }
    }
}
