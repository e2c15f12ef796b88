//! One output guard for every verb that writes: an output may not be an input of the same
//! command (after symlinks, or a hard link to it), a file of a datavisa store, or a twin's
//! manifest that is an input. Front ends call [`check_output`] before any work; the workflow
//! calls it again where it writes, so the server and Python are guarded too.

use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// The files a datavisa store holds.
pub const STORE_FILES: [&str; 4] = ["vault.db", "ledger.db", "ledger.key", "register.db"];

/// The suffix of a twin's manifest, next to the twin.
const MANIFEST_SUFFIX: &str = ".manifest.json";

/// `p` with symlinks resolved; for a path that does not exist yet, its parent resolved.
fn resolved(p: &Path) -> PathBuf {
    if let Ok(c) = std::fs::canonicalize(p) {
        return c;
    }
    let parent = p.parent().filter(|d| !d.as_os_str().is_empty());
    let dir = parent.map_or_else(
        || std::env::current_dir().unwrap_or_default(),
        |d| std::fs::canonicalize(d).unwrap_or_else(|_| d.to_path_buf()),
    );
    match p.file_name() {
        Some(name) => dir.join(name),
        None => dir,
    }
}

/// Whether two paths are one file: the same path after symlinks, or the same inode.
fn same_file(a: &Path, b: &Path) -> bool {
    if resolved(a) == resolved(b) {
        return true;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if let (Ok(x), Ok(y)) = (std::fs::metadata(a), std::fs::metadata(b)) {
            return x.dev() == y.dev() && x.ino() == y.ino();
        }
    }
    false
}

/// Whether `dir` holds a datavisa store (any of its databases or the ledger key).
fn is_store(dir: &Path) -> bool {
    STORE_FILES.iter().any(|f| dir.join(f).is_file())
}

/// The store directory `output` would write into, if any: the given store, or any directory
/// holding a store's files; a SQLite side file (`-wal`, `-shm`, `-journal`) counts too.
fn store_of(output: &Path, store: Option<&Path>) -> Option<PathBuf> {
    let out = resolved(output);
    let dir = out.parent()?.to_path_buf();
    if let Some(s) = store.map(resolved) {
        if out == s || out.starts_with(&s) {
            return Some(s);
        }
    }
    if is_store(&dir) || is_store(&out) {
        return Some(if is_store(&out) { out } else { dir });
    }
    None
}

/// Refuses `output` when it is one of `inputs`, a file of a datavisa store (`store`, or any
/// directory that holds one), a twin manifest of an input, or a file whose manifest would land
/// on an input. Nothing is touched: the check runs before any work.
pub fn check_output(output: &Path, inputs: &[PathBuf], store: Option<&Path>) -> Result<()> {
    if let Some(s) = store_of(output, store) {
        return Err(Error::bad_input(format!(
            "{}: refusing to write into the datavisa store {} (its keys, ledger and register would be lost); write the output elsewhere",
            output.display(),
            s.display()
        )));
    }
    let manifest_of = |p: &Path| {
        let mut s = p.as_os_str().to_owned();
        s.push(MANIFEST_SUFFIX);
        PathBuf::from(s)
    };
    for input in inputs.iter().filter(|i| i.exists()) {
        if same_file(output, input) {
            return Err(Error::bad_input(format!(
                "{}: refusing to overwrite the input {} of this command",
                output.display(),
                input.display()
            )));
        }
        if same_file(&manifest_of(output), input) {
            return Err(Error::bad_input(format!(
                "{}: its manifest {} would overwrite the input {}",
                output.display(),
                manifest_of(output).display(),
                input.display()
            )));
        }
        if manifest_of(input).exists() && same_file(output, &manifest_of(input)) {
            return Err(Error::bad_input(format!(
                "{}: refusing to overwrite the manifest of the input {}",
                output.display(),
                input.display()
            )));
        }
    }
    Ok(())
}

impl crate::workspace::Workspace {
    /// [`check_output`] against this workspace's store and the given inputs.
    pub fn guard(&self, output: &Path, inputs: &[&Path]) -> Result<()> {
        let inputs: Vec<PathBuf> = inputs.iter().map(|p| p.to_path_buf()).collect();
        check_output(output, &inputs, Some(self.store()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_links_stores_and_manifests_are_refused() {
        let d = tempfile::tempdir().unwrap();
        let p = |n: &str| d.path().join(n);
        std::fs::write(p("in.csv"), "a\n1\n").unwrap();
        std::fs::create_dir(p("st")).unwrap();
        std::fs::write(p("st/vault.db"), "x").unwrap();
        let inputs = vec![p("in.csv")];
        let refused = |out: &Path| check_output(out, &inputs, Some(&p("st"))).is_err();
        assert!(refused(&p("in.csv")));
        assert!(refused(&p("st/vault.db")));
        assert!(refused(&p("st/new.csv")), "anything inside the store");
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(p("in.csv"), p("sym.csv")).unwrap();
            std::fs::hard_link(p("in.csv"), p("hard.csv")).unwrap();
            assert!(refused(&p("sym.csv")));
            assert!(refused(&p("hard.csv")));
        }
        // A store somewhere else is a store too.
        std::fs::create_dir(p("other")).unwrap();
        std::fs::write(p("other/ledger.key"), "k").unwrap();
        assert!(refused(&p("other/export.json")));
        // The twin whose manifest is the input; the input's own manifest.
        std::fs::write(p("t.csv.manifest.json"), "{}").unwrap();
        let m = vec![p("t.csv.manifest.json")];
        assert!(check_output(&p("t.csv"), &m, None).is_err());
        std::fs::write(p("in.csv.manifest.json"), "{}").unwrap();
        assert!(refused(&p("in.csv.manifest.json")));
        // An ordinary new file is fine.
        assert!(check_output(&p("out.csv"), &inputs, Some(&p("st"))).is_ok());
    }
}
