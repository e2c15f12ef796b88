//! What the audit chain proves about relinking, independently of the rows anyone with write
//! access to the file could edit. Each approver has an Ed25519 key derived from their
//! credential (the store keeps only the public key, written into the chain when the approver is
//! added); each approval is a signature over the request's content hash (pseudonyms, purpose,
//! legal basis, expiry, requester), which the chain records when the request is filed. An
//! execution counts only chain approvals whose signatures verify under the chain's keys, and
//! the rows must still hash to what the chain recorded.

use crate::audit::Entry;
use crate::crypto::{argon2id, hex, sha256_hex, KdfParams, Passphrase};
use crate::error::Result;
use ed25519_dalek::{Signer, SigningKey};
use std::collections::HashMap;

/// The content hash of a request: everything an approval is for.
#[allow(clippy::too_many_arguments)]
pub fn request_content(
    id: &str,
    twin_id: &str,
    column: &str,
    pseudonyms_json: &str,
    purpose: &str,
    legal_basis: &str,
    requested_by: &str,
    expires_unix: i64,
) -> String {
    let canonical = serde_json::json!([
        "datavisa relink request v1",
        id,
        twin_id,
        column,
        sha256_hex(pseudonyms_json.as_bytes()),
        purpose,
        legal_basis,
        requested_by,
        expires_unix
    ])
    .to_string();
    sha256_hex(canonical.as_bytes())
}

/// The approver's signing key, derived from their credential: only they can make it.
pub fn approver_key(
    credential: &Passphrase,
    sig_salt: &[u8],
    kdf: KdfParams,
) -> Result<SigningKey> {
    let seed = argon2id(credential, sig_salt, kdf)?;
    Ok(SigningKey::from_bytes(&seed))
}

/// The message an approval signs.
fn approval_message(request: &str, content: &str, approver: &str) -> Vec<u8> {
    format!("datavisa relink approval v1\n{request}\n{content}\n{approver}").into_bytes()
}

/// Signs an approval; the signature, hex.
pub fn sign_approval(key: &SigningKey, request: &str, content: &str, approver: &str) -> String {
    hex(&key
        .sign(&approval_message(request, content, approver))
        .to_bytes())
}

/// The public key of a signing key, hex.
pub fn public_hex(key: &SigningKey) -> String {
    hex(&key.verifying_key().to_bytes())
}

/// Whether `signature` is `approver`'s approval of (request, content) under `public_key`.
pub fn approval_verifies(
    public_key: &str,
    signature: &str,
    request: &str,
    content: &str,
    approver: &str,
) -> bool {
    crate::crypto::ed25519_verifies(
        public_key,
        signature,
        &approval_message(request, content, approver),
    )
}

/// A name as approvals compare it.
pub fn person(name: &str) -> String {
    name.trim().to_lowercase()
}

/// What the chain says about one request.
#[derive(Clone, Debug, Default)]
pub struct ChainRequest {
    /// The content hash recorded when it was filed (None for requests filed before approvals
    /// were signed).
    pub content: Option<String>,
    pub requested_by: String,
    pub expires_unix: Option<i64>,
    /// Closed in the chain: executed, denied or withdrawn.
    pub closed: Option<String>,
    /// (approver, signature) in chain order.
    pub approvals: Vec<(String, String)>,
}

/// What the chain says: approvers' public keys (current ones only) and each request.
#[derive(Clone, Debug, Default)]
pub struct Chain {
    pub approvers: HashMap<String, String>,
    pub requests: HashMap<String, ChainRequest>,
}

impl Chain {
    /// Reads the chain's entries in order.
    pub fn of(entries: &[Entry]) -> Chain {
        let mut c = Chain::default();
        let s = |e: &Entry, k: &str| e.detail[k].as_str().unwrap_or_default().to_owned();
        for e in entries {
            match e.action.as_str() {
                "approver.added" => {
                    let key = s(e, "public_key");
                    let name = person(&s(e, "approver"));
                    if key.is_empty() {
                        c.approvers.remove(&name);
                    } else {
                        c.approvers.insert(name, key);
                    }
                }
                "approver.removed" => {
                    c.approvers.remove(&person(&s(e, "approver")));
                }
                "relink.requested" => {
                    let r = c.requests.entry(s(e, "request")).or_default();
                    r.content = e.detail["content_sha256"].as_str().map(str::to_owned);
                    r.requested_by = s(e, "requested_by");
                    r.expires_unix = e.detail["expires_unix"].as_i64();
                }
                "relink.approved" => {
                    c.requests
                        .entry(s(e, "request"))
                        .or_default()
                        .approvals
                        .push((s(e, "approver"), s(e, "signature")));
                }
                "relink.executed" | "relink.denied" | "relink.withdrawn" => {
                    let r = c.requests.entry(s(e, "request")).or_default();
                    r.closed.get_or_insert_with(|| e.action.clone());
                }
                _ => {}
            }
        }
        c
    }

    /// The distinct approvers whose chain approvals of `request` verify under the chain's
    /// current keys, the requester excluded.
    pub fn valid_approvers(&self, request: &str) -> Vec<String> {
        let Some(r) = self.requests.get(request) else {
            return Vec::new();
        };
        let Some(content) = &r.content else {
            return Vec::new();
        };
        let mut out: Vec<String> = Vec::new();
        for (approver, sig) in &r.approvals {
            let p = person(approver);
            if p == person(&r.requested_by) || out.contains(&p) {
                continue;
            }
            let Some(key) = self.approvers.get(&p) else {
                continue;
            };
            if approval_verifies(key, sig, request, content, approver.trim()) {
                out.push(p);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn approvals_verify_only_for_their_content_and_signer() {
        let kdf = KdfParams {
            m_kib: 256,
            t: 1,
            p: 1,
        };
        let k = approver_key(
            &Passphrase::new(b"bob-secret".to_vec()).unwrap(),
            b"salt-salt-salt-1",
            kdf,
        )
        .unwrap();
        let other = approver_key(
            &Passphrase::new(b"eve".to_vec()).unwrap(),
            b"salt-salt-salt-1",
            kdf,
        )
        .unwrap();
        let content = request_content("rl-1", "tw", "id", "[\"a\"]", "p", "b", "dave", 10);
        let sig = sign_approval(&k, "rl-1", &content, "bob");
        assert!(approval_verifies(
            &public_hex(&k),
            &sig,
            "rl-1",
            &content,
            "bob"
        ));
        let wider = request_content("rl-1", "tw", "id", "[\"a\",\"b\"]", "p", "b", "dave", 10);
        assert!(!approval_verifies(
            &public_hex(&k),
            &sig,
            "rl-1",
            &wider,
            "bob"
        ));
        assert!(!approval_verifies(
            &public_hex(&other),
            &sig,
            "rl-1",
            &content,
            "bob"
        ));
        assert!(!approval_verifies(
            &public_hex(&k),
            &sig,
            "rl-1",
            &content,
            "carol"
        ));
    }
}
