//! Anchors: the audit chain's head signed outside the vault. A vault rolled back to an older
//! copy, or a log truncated with an old head replayed, still verifies on its own; an anchor kept
//! elsewhere proves the log once held more. The anchor is signed with an Ed25519 key that is not
//! in the store, so the vault's own secrets cannot make one.

use crate::audit::{entries, Problem};
use crate::crypto::hex;
use crate::error::{invalid, Result};
use crate::store::{rfc3339, unix_now, Vault};
use ed25519_dalek::Signer;
/// The anchoring key.
pub use ed25519_dalek::SigningKey;
use serde::{Deserialize, Serialize};

/// The anchor format.
pub const ANCHOR_FORMAT: &str = "datavisa-audit-anchor/1";

/// A signed checkpoint of the audit chain.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Anchor {
    pub format: String,
    pub vault_id: String,
    /// The last entry's sequence number and hash when anchored.
    pub seq: i64,
    pub hash: String,
    pub at: String,
    /// Why it was written (`audit anchor`, `relink.executed`, `keys.destroyed`).
    pub reason: String,
    /// The anchoring key's public half, hex.
    pub public_key: String,
    /// Ed25519 signature of the fields above, hex.
    pub signature: String,
}

fn message(vault_id: &str, seq: i64, hash: &str, at: &str, reason: &str) -> Vec<u8> {
    format!("{ANCHOR_FORMAT}\n{vault_id}\n{seq}\n{hash}\n{at}\n{reason}").into_bytes()
}

impl Vault {
    /// Signs the chain's current head with `key`.
    pub fn anchor(&self, key: &SigningKey, reason: &str) -> Result<Anchor> {
        let last = entries(&self.conn)?
            .pop()
            .ok_or_else(|| invalid("the audit log is empty"))?;
        let at = rfc3339(unix_now());
        let sig = key.sign(&message(&self.vault_id, last.seq, &last.hash, &at, reason));
        Ok(Anchor {
            format: ANCHOR_FORMAT.into(),
            vault_id: self.vault_id.clone(),
            seq: last.seq,
            hash: last.hash,
            at,
            reason: reason.into(),
            public_key: hex(&key.verifying_key().to_bytes()),
            signature: hex(&sig.to_bytes()),
        })
    }

    /// What is wrong with the log measured against an anchor: a bad signature, another vault,
    /// another key than `expected_key`, or a log that no longer holds the anchored entry.
    pub fn check_anchor(&self, a: &Anchor, expected_key: Option<&str>) -> Result<Vec<Problem>> {
        let p = |kind: &'static str, message: String| Problem {
            seq: a.seq,
            kind,
            message,
        };
        let signed = crate::crypto::ed25519_verifies(
            &a.public_key,
            &a.signature,
            &message(&a.vault_id, a.seq, &a.hash, &a.at, &a.reason),
        );
        if a.format != ANCHOR_FORMAT || !signed {
            return Ok(vec![p(
                "anchor_invalid",
                "the anchor's signature does not verify: it was altered, or is not an anchor"
                    .into(),
            )]);
        }
        if let Some(k) = expected_key.filter(|k| !k.eq_ignore_ascii_case(&a.public_key)) {
            return Ok(vec![p(
                "anchor_invalid",
                format!(
                    "the anchor is signed by {}, not by the expected key {k}",
                    a.public_key
                ),
            )]);
        }
        if a.vault_id != self.vault_id {
            return Ok(vec![p(
                "anchor_invalid",
                format!(
                    "the anchor is of vault {}, not of {}",
                    a.vault_id, self.vault_id
                ),
            )]);
        }
        let list = entries(&self.conn)?;
        Ok(match list.iter().find(|e| e.seq == a.seq) {
            Some(e) if e.hash == a.hash => Vec::new(),
            Some(_) => vec![p(
                "rolled_back",
                format!(
                    "entry {} is not the one anchored on {}: the log was rewritten from there",
                    a.seq, a.at
                ),
            )],
            None => vec![p(
                "rolled_back",
                format!(
                    "the log ends at entry {} but held entry {} when anchored on {}: it was truncated or the vault was rolled back to an older copy",
                    list.last().map_or(0, |e| e.seq),
                    a.seq,
                    a.at
                ),
            )],
        })
    }
}
