//! Twins: protected versions of a table for one recipient. This crate makes generalized twins
//! (full-domain generalization with hierarchies, record suppression, an optimal lattice search and
//! a heuristic one), pseudonymized twins (with the vault's keys) and differentially private
//! synthetic twins (MST, AIM).

pub mod apply;
pub mod builders;
pub mod engine;
pub mod error;
pub mod fidelity;
pub mod hierarchy;
pub mod manifest;
pub mod pseudonymize;
pub mod quality;
pub mod recipe;
pub mod search;
pub mod synth;

pub use error::{Result, TwinError};
pub use hierarchy::Hierarchy;

/// `TWIN.manifest.json`, the manifest written next to every twin.
pub fn manifest_path(twin: &std::path::Path) -> std::path::PathBuf {
    let mut s = twin.as_os_str().to_owned();
    s.push(".manifest.json");
    std::path::PathBuf::from(s)
}
