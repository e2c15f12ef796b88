//! The `Workspace`: where a use case's stores are, where its secrets come from, who acts, what day
//! it is, where progress goes and which rules file applies. Front ends build one and call it.

use crate::error::{Error, Result};
use datavisa_vault::Passphrase;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where secrets come from: the CLI reads files and environment variables, a server its own
/// secret store. Secrets are handed over as zeroized `Passphrase`s and never kept here.
pub trait Secrets: Send + Sync {
    /// The vault's master key.
    fn master_key(&self) -> Result<Passphrase>;
    /// Whether a master key can be had without asking (decides whether the vault is consulted).
    fn has_master_key(&self) -> bool;
    /// The acting approver's credential.
    fn approver_credential(&self) -> Result<Passphrase>;
    /// The new master key of a re-key.
    fn new_master_key(&self) -> Result<Passphrase>;
}

/// No secrets at all: every request for one is refused as bad input.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoSecrets;

impl Secrets for NoSecrets {
    fn master_key(&self) -> Result<Passphrase> {
        Err(Error::bad_input("no master key was given"))
    }
    fn has_master_key(&self) -> bool {
        false
    }
    fn approver_credential(&self) -> Result<Passphrase> {
        Err(Error::bad_input("no approver credential was given"))
    }
    fn new_master_key(&self) -> Result<Passphrase> {
        Err(Error::bad_input("no new master key was given"))
    }
}

/// Another workspace's secrets with one approver credential in place of theirs.
struct WithApprover {
    inner: Arc<dyn Secrets>,
    credential: zeroize::Zeroizing<Vec<u8>>,
}

impl Secrets for WithApprover {
    fn master_key(&self) -> Result<Passphrase> {
        self.inner.master_key()
    }
    fn has_master_key(&self) -> bool {
        self.inner.has_master_key()
    }
    fn approver_credential(&self) -> Result<Passphrase> {
        Passphrase::new(self.credential.to_vec())
            .map_err(|_| Error::bad_input("the approver credential is empty"))
    }
    fn new_master_key(&self) -> Result<Passphrase> {
        self.inner.new_master_key()
    }
}

/// One piece of long work being shown to a person (a spinner, a bar, a job's progress row).
pub trait Task: Send + Sync {
    /// `n` more steps done (bars only).
    fn advance(&self, _n: u64) {}
    /// The work is over; the task disappears.
    fn finish(&self) {}
}

/// Where progress goes: spinners on a terminal, a job table on a server, nowhere in tests.
pub trait Progress: Send + Sync {
    /// Work of unknown length has started.
    fn spinner(&self, message: &str) -> Box<dyn Task>;
    /// Work of `len` steps has started.
    fn bar(&self, len: u64, message: &str) -> Box<dyn Task>;
    /// A note for the operator that belongs to no result (a permission warning, a skipped row).
    fn note(&self, _message: &str) {}
    /// Whether the work should stop (a cancelled server job): asked at each checkpoint and by
    /// the engines between their batches of work, so it must be cheap (an atomic load).
    fn cancelled(&self) -> bool {
        false
    }
}

struct Silent;

impl Task for Silent {}

/// Shows nothing.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn spinner(&self, _message: &str) -> Box<dyn Task> {
        Box::new(Silent)
    }
    fn bar(&self, _len: u64, _message: &str) -> Box<dyn Task> {
        Box::new(Silent)
    }
}

/// What day it is (days since 1970-01-01), so that tests and re-assessment can fix the date.
pub trait Clock: Send + Sync {
    /// Today.
    fn today(&self) -> i64;
}

/// The machine's clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn today(&self) -> i64 {
        datavisa_table::date::today()
    }
}

/// A clock stopped on one day.
#[derive(Clone, Copy, Debug)]
pub struct FixedClock(pub i64);

impl Clock for FixedClock {
    fn today(&self) -> i64 {
        self.0
    }
}

/// The stores, secrets, actor, clock, progress sink and rules that every use case runs in.
#[derive(Clone)]
pub struct Workspace {
    store: PathBuf,
    secrets: Arc<dyn Secrets>,
    actor: String,
    clock: Arc<dyn Clock>,
    progress: Arc<dyn Progress>,
    rules: Option<PathBuf>,
    attacks: Arc<Vec<&'static dyn datavisa_verdict::attacks::Attack>>,
    anchors: Option<(PathBuf, PathBuf)>,
    origin: Option<Origin>,
    frames: crate::frames::Frames,
}

/// Where a request came from when a server acts for a user: recorded in the audit entries of
/// the changes it makes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    /// The prefix of the API token used (never the token).
    pub token_prefix: String,
    /// The server's id of the request.
    pub request_id: String,
}

impl std::fmt::Debug for Workspace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Secrets are never shown, not even whether they are set.
        f.debug_struct("Workspace")
            .field("store", &self.store)
            .field("actor", &self.actor)
            .field("rules", &self.rules)
            .finish_non_exhaustive()
    }
}

impl Workspace {
    /// A workspace on the store directory `store`, with no secrets, no progress, the system
    /// clock and the built-in rules. A `scheme://` store is refused until a server store exists.
    pub fn open(store: impl Into<PathBuf>, actor: impl Into<String>) -> Result<Workspace> {
        let store = store.into();
        check_store(&store)?;
        Ok(Workspace {
            store,
            secrets: Arc::new(NoSecrets),
            actor: actor.into(),
            clock: Arc::new(SystemClock),
            progress: Arc::new(NoProgress),
            rules: None,
            attacks: Arc::new(datavisa_verdict::attacks::builtin().to_vec()),
            anchors: None,
            origin: None,
            frames: Default::default(),
        })
    }

    /// The data frames this workspace holds (see [`crate::frames`]).
    pub(crate) fn frames(&self) -> &crate::frames::Frames {
        &self.frames
    }

    pub(crate) fn set_frames(mut self, frames: crate::frames::Frames) -> Workspace {
        self.frames = frames;
        self
    }

    /// The same workspace taking its secrets from `secrets`.
    pub fn with_secrets(mut self, secrets: impl Secrets + 'static) -> Workspace {
        self.secrets = Arc::new(secrets);
        self
    }

    /// The same workspace (same master key) with `credential` as the acting approver's: a
    /// server takes it from one request's body, and it is wiped when the workspace drops.
    pub fn with_approver_credential(&self, credential: zeroize::Zeroizing<Vec<u8>>) -> Workspace {
        Workspace {
            secrets: Arc::new(WithApprover {
                inner: self.secrets.clone(),
                credential,
            }),
            ..self.clone()
        }
    }

    /// The same workspace showing progress through `progress`.
    pub fn with_progress(mut self, progress: Arc<dyn Progress>) -> Workspace {
        self.progress = progress;
        self
    }

    /// The same workspace on a fixed or other clock.
    pub fn with_clock(mut self, clock: impl Clock + 'static) -> Workspace {
        self.clock = Arc::new(clock);
        self
    }

    /// The same workspace using the rules file `rules` instead of the built-in rules.
    pub fn with_rules(mut self, rules: Option<PathBuf>) -> Workspace {
        self.rules = rules;
        self
    }

    /// The same workspace writing its automatic audit anchors into `dir`, signed with the key
    /// in `key` (both outside the store; made when missing).
    pub fn with_anchors(mut self, dir: PathBuf, key: PathBuf) -> Workspace {
        self.anchors = Some((dir, key));
        self
    }

    /// Where automatic anchors go and the key that signs them: as set, else a directory beside
    /// the store (`.datavisa.anchors/`, key `anchor.key` inside it).
    pub fn anchor_place(&self) -> (PathBuf, PathBuf) {
        self.anchors.clone().unwrap_or_else(|| {
            let mut name = self.store.components().as_path().as_os_str().to_owned();
            name.push(".anchors");
            let dir = PathBuf::from(name);
            let key = dir.join("anchor.key");
            (dir, key)
        })
    }

    /// The same workspace writing its automatic anchors where `DATAVISA_ANCHOR_DIR` and
    /// `DATAVISA_ANCHOR_KEY` say (ideally a place the auditor, not the operator, controls),
    /// else where [`Workspace::anchor_place`] puts them: every front end reads the same names.
    pub fn with_anchors_from_env(self) -> Workspace {
        let (dir, key) = self.anchor_place();
        let env =
            |name: &str, default: PathBuf| std::env::var_os(name).map_or(default, PathBuf::from);
        let (dir, key) = (
            env("DATAVISA_ANCHOR_DIR", dir),
            env("DATAVISA_ANCHOR_KEY", key),
        );
        self.with_anchors(dir, key)
    }

    /// The same workspace with `attack` run by every assessment after the built-in ones.
    pub fn with_attack(
        mut self,
        attack: &'static dyn datavisa_verdict::attacks::Attack,
    ) -> Workspace {
        let mut list = self.attacks.as_ref().clone();
        list.push(attack);
        self.attacks = Arc::new(list);
        self
    }

    /// The same workspace acting for `actor` on a request from `origin` (the server's view of
    /// one call).
    pub fn acting(&self, actor: impl Into<String>, origin: Option<Origin>) -> Workspace {
        Workspace {
            actor: actor.into(),
            origin,
            ..self.clone()
        }
    }

    /// The request the workspace acts on, when a server made it for one.
    pub fn origin(&self) -> Option<&Origin> {
        self.origin.as_ref()
    }

    /// The attacks every assessment runs, in order.
    pub fn attacks(&self) -> &[&'static dyn datavisa_verdict::attacks::Attack] {
        &self.attacks
    }

    /// The same workspace on another store directory (same secrets, actor, clock and progress).
    pub fn on_store(&self, store: impl Into<PathBuf>) -> Result<Workspace> {
        let store = store.into();
        check_store(&store)?;
        Ok(Workspace {
            store,
            ..self.clone()
        })
    }

    /// The store directory (vault, ledger and register live inside it).
    pub fn store(&self) -> &Path {
        &self.store
    }

    /// Where secrets come from.
    pub fn secrets(&self) -> &dyn Secrets {
        self.secrets.as_ref()
    }

    /// Who is acting (for the audit log).
    pub fn actor(&self) -> &str {
        &self.actor
    }

    /// Today, by the workspace's clock.
    pub fn today(&self) -> i64 {
        self.clock.today()
    }

    /// Where progress goes.
    pub fn progress(&self) -> &dyn Progress {
        self.progress.as_ref()
    }

    /// A rules file given instead of the built-in one.
    pub fn rules(&self) -> Option<&Path> {
        self.rules.as_deref()
    }

    /// A progress point: a cancelled error when the progress sink says the work should stop.
    /// Called before each stage of a long use case, so that a cancelled job writes nothing.
    pub fn checkpoint(&self) -> Result<()> {
        if self.progress.cancelled() {
            return Err(Error::cancelled());
        }
        Ok(())
    }

    /// A spinner for `message`, finished when the returned guard drops.
    pub fn spinner(&self, message: &str) -> TaskGuard {
        TaskGuard(self.progress.spinner(message))
    }

    /// A bar of `len` steps for `message`, finished when the returned guard drops.
    pub fn bar(&self, len: u64, message: &str) -> TaskGuard {
        TaskGuard(self.progress.bar(len, message))
    }
}

/// A running task that finishes when dropped (so an early return never leaves a spinner).
pub struct TaskGuard(Box<dyn Task>);

impl TaskGuard {
    /// `n` more steps done.
    pub fn advance(&self, n: u64) {
        self.0.advance(n);
    }
}

impl Drop for TaskGuard {
    fn drop(&mut self) {
        self.0.finish();
    }
}

/// Refuses a store given as a URL (`postgres://…`): only directories are stores today.
pub fn check_store(store: &Path) -> Result<()> {
    let text = store.to_string_lossy();
    if let Some((scheme, _)) = text.split_once("://") {
        if !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        {
            return Err(Error::bad_input(format!(
                "--store {scheme}://…: stores on a server are not supported yet; give a directory (the vault, ledger and register are files inside it)"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_stores_are_refused_without_echoing_credentials() {
        let e = Workspace::open("postgres://alice:s3cret@db/prod", "me").unwrap_err();
        assert_eq!(e.kind, crate::ErrorKind::BadInput);
        assert!(e.message.contains("postgres://"), "{}", e.message);
        assert!(!e.message.contains("s3cret"), "{}", e.message);
        assert!(Workspace::open("some/dir", "me").is_ok());
        assert!(Workspace::open("weird:name", "me").is_ok());
    }

    struct Stop;
    impl Progress for Stop {
        fn spinner(&self, _: &str) -> Box<dyn Task> {
            Box::new(Silent)
        }
        fn bar(&self, _: u64, _: &str) -> Box<dyn Task> {
            Box::new(Silent)
        }
        fn cancelled(&self) -> bool {
            true
        }
    }

    #[test]
    fn a_cancelled_sink_stops_work_at_the_next_checkpoint() {
        let w = Workspace::open("d", "me").unwrap();
        assert!(w.checkpoint().is_ok());
        let e = w.with_progress(Arc::new(Stop)).checkpoint().unwrap_err();
        assert_eq!(e.kind, crate::ErrorKind::Cancelled);
    }

    #[test]
    fn debug_never_shows_secrets() {
        let w = Workspace::open("d", "me").unwrap();
        assert!(!format!("{w:?}").contains("secrets"));
    }
}
