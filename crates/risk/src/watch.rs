//! What a long measurement tells its caller and asks of it: how far it got, and whether it
//! should stop (a cancelled server job). Stops are checked between chunks of work, never per
//! row, so watching costs nothing measurable and changes no figure.

use crate::error::{Result, RiskError};

/// Progress and stop requests of one measurement.
pub trait Watch: Sync {
    /// `n` more targets done.
    fn advance(&self, _n: usize) {}
    /// Whether the caller wants the work to stop at the next chunk boundary.
    fn stopped(&self) -> bool {
        false
    }
}

/// A progress callback is a watch that never stops (what callers passed before watches).
impl<F: Fn(usize) + Sync> Watch for F {
    fn advance(&self, n: usize) {
        self(n)
    }
}

/// A watch from two closures: one told of progress, one asked whether to stop.
pub struct Watcher<A, S> {
    /// Told how many more targets are done.
    pub advance: A,
    /// Asked whether to stop.
    pub stop: S,
}

impl<A: Fn(usize) + Sync, S: Fn() -> bool + Sync> Watch for Watcher<A, S> {
    fn advance(&self, n: usize) {
        (self.advance)(n)
    }
    fn stopped(&self) -> bool {
        (self.stop)()
    }
}

/// A watch that shows nothing and stops when `stop` says so.
pub fn stop_when<S: Fn() -> bool + Sync>(stop: S) -> Watcher<fn(usize), S> {
    Watcher {
        advance: |_| {},
        stop,
    }
}

/// A cancelled error when the watch says stop: the check made at chunk and phase boundaries.
pub fn check(w: &dyn Watch) -> Result<()> {
    if w.stopped() {
        return Err(RiskError::Cancelled);
    }
    Ok(())
}
