//! The in-country key vault: master key, per-(recipient, domain) keys, pseudonymization
//! primitives, the token index, relink requests with dual approval, and the hash-chained
//! audit log. Keys never leave it.

pub mod anchor;
pub mod audit;
pub mod crypto;
pub mod error;
pub mod evidence;
pub mod ff1;
pub mod keys;
pub mod relink;
pub mod store;
pub mod twins;

pub use crypto::{DomainKeys, IndexEntry, KdfParams, KeyRef, Passphrase, Sealer};
pub use error::{Result, VaultError};
pub use relink::{Authorized, NewRequest, Request};
pub use store::Vault;
pub use twins::{KeyStatus, TwinColumn, TwinPeople, TwinRecord, TwinStatus};

impl Vault {
    /// The audit log, oldest first.
    pub fn audit_entries(&self) -> Result<Vec<audit::Entry>> {
        audit::entries(&self.conn)
    }

    /// Checks the audit log's chain, MACs and head, and every relink row (requests, approvals,
    /// approvers) against what the chain recorded.
    pub fn verify_audit(&self) -> Result<audit::Verification> {
        let entries = audit::entries(&self.conn)?;
        let mut v = audit::verify_entries(&self.conn, &self.audit_key, &entries)?;
        v.problems.extend(self.relink_row_problems(&entries)?);
        v.intact = v.problems.is_empty();
        Ok(v)
    }
}
