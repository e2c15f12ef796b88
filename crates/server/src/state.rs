//! What the server holds for its whole life: where the store is, the workspace opened on it
//! (with the master key, zeroized) and the limits.

use crate::problem::ApiError;
use datavisa_workflow::{Error, Passphrase, Result, Secrets, Workspace};
use std::path::PathBuf;
use std::sync::Arc;
use zeroize::Zeroizing;

/// Where the stores are. A directory today; a database URL (PostgreSQL) is the next variant,
/// and only [`StoreLocation::open`] will need to learn it.
#[derive(Clone, Debug)]
pub enum StoreLocation {
    /// A store directory (vault, register, ledger, team store and datasets inside it).
    Dir(PathBuf),
}

impl StoreLocation {
    /// The one place a server opens its workspace.
    pub fn open(&self, secrets: ServerSecrets) -> Result<Workspace> {
        match self {
            StoreLocation::Dir(dir) => {
                // Anchors are signed with the key the environment names, as the CLI's are.
                Ok(Workspace::open(dir.clone(), "datavisa-server")?
                    .with_secrets(secrets)
                    .with_anchors_from_env())
            }
        }
    }
}

/// The master key the server was started with, held zeroized. Approver credentials are not
/// held: each comes in one approve or deny body and lives in that request's workspace only.
#[derive(Clone)]
pub struct ServerSecrets {
    master: Arc<Zeroizing<Vec<u8>>>,
}

impl std::fmt::Debug for ServerSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ServerSecrets(..)")
    }
}

impl ServerSecrets {
    /// Holds `key` (its bytes are wiped when the last copy drops).
    pub fn new(key: Zeroizing<Vec<u8>>) -> ServerSecrets {
        ServerSecrets {
            master: Arc::new(key),
        }
    }
}

impl Secrets for ServerSecrets {
    fn master_key(&self) -> Result<Passphrase> {
        Passphrase::new(self.master.to_vec()).map_err(|e| Error::bad_input(e.to_string()))
    }
    fn has_master_key(&self) -> bool {
        true
    }
    fn approver_credential(&self) -> Result<Passphrase> {
        Err(Error::bad_input(
            "an approver credential is taken only in an approve or deny request's body",
        ))
    }
    fn new_master_key(&self) -> Result<Passphrase> {
        Err(Error::bad_input("the server does not re-key the vault"))
    }
}

/// Sizes and times a request may take.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Largest dataset upload, in bytes.
    pub upload_bytes: u64,
    /// Largest JSON request body, in bytes.
    pub json_bytes: usize,
    /// Longest a request may run.
    pub timeout: std::time::Duration,
    /// Requests served at once (others wait).
    pub concurrency: usize,
    /// Datasets of more rows are scanned as a job (202) instead of in the request.
    pub sync_scan_rows: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            upload_bytes: 256 * 1024 * 1024,
            json_bytes: 64 * 1024,
            timeout: std::time::Duration::from_secs(300),
            concurrency: 64,
            sync_scan_rows: 100_000,
        }
    }
}

/// The state every handler gets.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    workspace: Workspace,
    limits: Limits,
    vault_unlocked: bool,
    pool: Arc<crate::jobs::Pool>,
    table_places: Arc<tokio::sync::Semaphore>,
}

/// Requests that may read a whole table at once (scans and inspections answered in the
/// request): one per core. They are CPU-bound, so more at once finish no sooner; each holds its
/// table in memory, so 32 concurrent scans of a 100,000-row upload peaked at 1.8 GB of RSS
/// (issue 21's benchmark), two at a time at 0.3 GB.
fn table_places() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

impl AppState {
    /// State over an opened workspace.
    pub fn new(workspace: Workspace, limits: Limits, vault_unlocked: bool) -> AppState {
        AppState {
            inner: Arc::new(Inner {
                workspace,
                limits,
                vault_unlocked,
                pool: Arc::new(crate::jobs::Pool::new(Default::default())),
                table_places: Arc::new(tokio::sync::Semaphore::new(table_places())),
            }),
        }
    }

    /// The same state with a job pool of `size` (before any worker starts).
    pub fn with_pool(self, size: crate::jobs::PoolSize) -> AppState {
        let inner = Inner {
            workspace: self.inner.workspace.clone(),
            limits: self.inner.limits,
            vault_unlocked: self.inner.vault_unlocked,
            pool: Arc::new(crate::jobs::Pool::new(size)),
            table_places: self.inner.table_places.clone(),
        };
        AppState {
            inner: Arc::new(inner),
        }
    }

    /// The job pool.
    pub fn pool(&self) -> &crate::jobs::Pool {
        &self.inner.pool
    }

    /// The server's workspace (acting as the server; handlers use the caller's).
    pub fn workspace(&self) -> &Workspace {
        &self.inner.workspace
    }

    /// The limits.
    pub fn limits(&self) -> Limits {
        self.inner.limits
    }

    /// Waits for a place to read a whole table in this request (one per core); the place is
    /// free again when it drops, so move it into the blocking work.
    pub async fn table_place(&self) -> std::result::Result<TablePlace, ApiError> {
        self.inner
            .table_places
            .clone()
            .acquire_owned()
            .await
            .map(|p| TablePlace { _permit: p })
            .map_err(|e| ApiError::from(Error::internal(e.to_string())))
    }

    /// Whether the master key opened the vault at start.
    pub fn vault_unlocked(&self) -> bool {
        self.inner.vault_unlocked
    }
}

/// A place to read a whole table in a request, held until it drops.
pub struct TablePlace {
    _permit: tokio::sync::OwnedSemaphorePermit,
}

/// Runs blocking workflow code (SQLite, key derivation, table reading) off the async threads.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T> + Send + 'static,
) -> std::result::Result<T, ApiError> {
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => r.map_err(ApiError::from),
        Err(e) => Err(ApiError::from(Error::internal(format!(
            "a worker failed: {e}"
        )))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn table_places_are_one_per_core_shared_and_freed_when_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let ws = Workspace::open(dir.path().to_path_buf(), "test").unwrap();
        let st = AppState::new(ws, Limits::default(), false).with_pool(Default::default());
        let free = |st: &AppState| st.inner.table_places.available_permits();
        let n = table_places();
        assert!(n >= 1);
        let mut held = Vec::new();
        for _ in 0..n {
            held.push(st.clone().table_place().await.unwrap());
        }
        assert_eq!(free(&st), 0, "every place is taken");
        held.pop();
        assert_eq!(free(&st), 1, "a dropped place is free again");
        drop(held);
        assert_eq!(free(&st), n);
    }
}
