//! The recipient's own assessment. The exporter exports a kit (the twin's hash, the recipient
//! profile, the policy, the method versions); the recipient joins the twin with its own
//! holdings in its environment and signs what it found with an Ed25519 key it generated; the
//! exporter verifies the signature and the hashes and records the attestation. No row or value
//! of the holdings leaves the recipient: only counts, shares and column names.
//!
//! Without the source the recipient cannot tell a right match from a wrong one, so it measures
//! the join's prosecutor risk: for each of its records, the chance of picking its own twin row
//! among the twin rows that agree with it on every shared column (1 / matches), taking each held
//! person to be in the twin, the cautious reading.

use crate::assess::Verdict;
use crate::derive::{with_derived, Derived};
use crate::error::{invalid, Result};
use crate::policy::{Criterion, Policy};
use crate::profile::Recipient;
use datavisa_table::Table;
use ed25519_dalek::Signer;
/// The recipient's Ed25519 signing key.
pub use ed25519_dalek::SigningKey;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// The kit format written by `assess export`.
pub const KIT_FORMAT: &str = "datavisa-kit/1";
/// The attestation format written on the recipient's side.
pub const ATTESTATION_FORMAT: &str = "datavisa-attestation/1";

/// The version of each attack and risk method, bumped whenever the code would give different
/// figures for the same inputs (kits and attestations carry them; re-assessment watches them).
pub const METHOD_VERSIONS: [(&str, u32); 6] = [
    ("singling_out", 2),
    ("linkability", 2),
    ("inference", 2),
    ("classic", 1),
    ("sequential", 1),
    ("recipient_join", 1),
];

/// The method versions as a map.
pub fn method_versions() -> BTreeMap<String, u32> {
    METHOD_VERSIONS
        .iter()
        .map(|(k, v)| (k.to_string(), *v))
        .collect()
}

/// What the exporter gives the recipient to assess the twin on its side.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Kit {
    pub format: String,
    pub twin_sha256: String,
    pub twin_rows: u64,
    pub twin_columns: Vec<String>,
    pub recipient: Recipient,
    pub policy: Policy,
    /// Columns the exporter's assessment took the recipient to know (derived ones included).
    pub known: Vec<String>,
    pub derived: Vec<Derived>,
    /// Twin columns that carry tokens or ciphertext (never matched on).
    pub protected: Vec<String>,
    pub method_versions: BTreeMap<String, u32>,
    /// The exporter's assessment and verdict the kit was made from.
    pub assessment: String,
    pub verdict: Verdict,
    pub tool_version: String,
}

/// One holding joined with the twin, as figures only.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HoldingFigures {
    /// SHA-256 of the holding file (so the same holding can be recognised; no value).
    pub sha256: String,
    pub rows: u64,
    /// Columns the holding and the twin share, after derivation.
    pub shared: Vec<String>,
    /// Share of held records that match exactly one twin row on the shared columns.
    pub unique_matches: f64,
    /// Mean over held records of 1 / matching twin rows (0 without a match).
    pub expected_reidentification: f64,
    /// The largest such chance for one record.
    pub highest_risk: f64,
}

/// What the recipient signs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AttestationBody {
    pub format: String,
    pub kit_sha256: String,
    pub twin_sha256: String,
    pub recipient: String,
    pub created_at: String,
    pub holdings: Vec<HoldingFigures>,
    pub verdict: Verdict,
    pub reasons: Vec<String>,
    pub method_versions: BTreeMap<String, u32>,
    pub tool_version: String,
    /// The recipient's Ed25519 public key, hex.
    pub public_key: String,
}

/// A signed attestation as a file: the exact signed text, and the signature over it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SignedAttestation {
    /// The body as signed (JSON text, byte for byte).
    pub body: String,
    /// Ed25519 signature of `body`, hex.
    pub signature: String,
}

/// Joins each holding with the twin on the columns they share (after derivation, tokens and
/// ciphertext left out) and measures the join's prosecutor risk.
pub fn join_figures(
    kit: &Kit,
    twin: &Table,
    holdings: &[(String, Table)],
) -> Result<Vec<HoldingFigures>> {
    let mut out = Vec::new();
    for (sha256, h) in holdings {
        let derived: Vec<Derived> = h
            .column_names()
            .iter()
            .filter_map(|c| Derived::from_name(c))
            .chain(kit.derived.iter().cloned())
            .collect();
        let t = with_derived(twin, &derived)?;
        let h = with_derived(h, &derived)?;
        let shared: Vec<String> = h
            .column_names()
            .into_iter()
            .filter(|c| t.index_of(c).is_ok() && !kit.protected.contains(c))
            .collect();
        let key = |tab: &Table, i: usize| -> Result<Vec<Option<String>>> {
            shared
                .iter()
                .map(|c| {
                    Ok(tab
                        .column(c)
                        .map_err(|e| invalid(e.to_string()))?
                        .display(i))
                })
                .collect()
        };
        let mut counts: HashMap<Vec<Option<String>>, u64> = HashMap::new();
        for i in 0..t.n_rows {
            *counts.entry(key(&t, i)?).or_default() += 1;
        }
        let (mut unique, mut sum, mut highest) = (0u64, 0.0f64, 0.0f64);
        for i in 0..h.n_rows {
            let m = counts.get(&key(&h, i)?).copied().unwrap_or(0);
            if m == 1 {
                unique += 1;
            }
            if m > 0 {
                let r = 1.0 / m as f64;
                sum += r;
                highest = highest.max(r);
            }
        }
        let n = h.n_rows.max(1) as f64;
        out.push(HoldingFigures {
            sha256: sha256.clone(),
            rows: h.n_rows as u64,
            shared,
            unique_matches: unique as f64 / n,
            expected_reidentification: sum / n,
            highest_risk: highest,
        });
    }
    Ok(out)
}

/// The recipient's verdict from its join figures, against the kit's policy for its context.
pub fn decide_join(kit: &Kit, figures: &[HoldingFigures]) -> (Verdict, Vec<String>) {
    let context = kit.recipient.effective_context().context;
    let link = kit.policy.threshold(Criterion::Linkability, context).value;
    let max = kit.policy.threshold(Criterion::MaxRisk, context).value;
    let personal = kit.policy.personal_above.value;
    let mut verdict = Verdict::Anonymized;
    let mut reasons = Vec::new();
    for f in figures {
        if f.unique_matches > personal {
            verdict = Verdict::Personal;
            reasons.push(format!(
                "{:.1}% of the held records match exactly one twin row on {}, above {:.0}%",
                100.0 * f.unique_matches,
                f.shared.join(", "),
                100.0 * personal
            ));
        }
        if f.expected_reidentification > link {
            verdict = verdict.max(Verdict::DeIdentified);
            reasons.push(format!(
                "joining the holding on {} re-identifies {:.4} of its records on average, above the linkability threshold {link}",
                f.shared.join(", "),
                f.expected_reidentification
            ));
        }
        if f.highest_risk > max {
            verdict = verdict.max(Verdict::DeIdentified);
            reasons.push(format!(
                "one held record has a {:.4} chance of being re-identified, above the max_risk threshold {max}",
                f.highest_risk
            ));
        }
    }
    if verdict == Verdict::Anonymized {
        reasons.push(format!(
            "every holding's join with the twin stays at or below the thresholds ({} holding(s))",
            figures.len()
        ));
    }
    (verdict, reasons)
}

/// A signing key from its 32-byte seed, hex.
pub fn signing_key_of(hex: &str) -> Result<SigningKey> {
    let bytes = zeroize::Zeroizing::new(
        datavisa_vault::crypto::unhex(hex.trim())
            .ok_or_else(|| invalid("the signing key file does not hold a hex key"))?,
    );
    let seed: [u8; 32] = bytes
        .as_slice()
        .try_into()
        .map_err(|_| invalid("the signing key file does not hold a 32-byte Ed25519 seed"))?;
    Ok(SigningKey::from_bytes(&seed))
}

/// The public key of a signing key, hex.
pub fn public_hex(k: &SigningKey) -> String {
    datavisa_table::hex(&k.verifying_key().to_bytes())
}

/// Signs a body: the exact JSON text and its signature.
pub fn sign(body: &AttestationBody, key: &SigningKey) -> Result<SignedAttestation> {
    let text = serde_json::to_string(body).map_err(|e| invalid(e.to_string()))?;
    let sig = key.sign(text.as_bytes());
    Ok(SignedAttestation {
        signature: datavisa_table::hex(&sig.to_bytes()),
        body: text,
    })
}

/// Verifies a signed attestation against the public key it names; returns its body.
pub fn verify(s: &SignedAttestation) -> Result<AttestationBody> {
    let body: AttestationBody = serde_json::from_str(&s.body)
        .map_err(|e| invalid(format!("the attestation body does not read: {e}")))?;
    if !datavisa_vault::crypto::ed25519_verifies(&body.public_key, &s.signature, s.body.as_bytes())
    {
        return Err(invalid(
            "the attestation's signature does not verify: it was altered after signing, or signed with another key",
        ));
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(key: &SigningKey) -> AttestationBody {
        AttestationBody {
            format: ATTESTATION_FORMAT.into(),
            kit_sha256: "k".into(),
            twin_sha256: "t".into(),
            recipient: "r".into(),
            created_at: "2026-12-03T00:00:00Z".into(),
            holdings: Vec::new(),
            verdict: Verdict::Anonymized,
            reasons: Vec::new(),
            method_versions: method_versions(),
            tool_version: "0".into(),
            public_key: public_hex(key),
        }
    }

    #[test]
    fn a_signature_verifies_and_an_edit_does_not() {
        let key = signing_key_of(&"07".repeat(32)).unwrap();
        let signed = sign(&body(&key), &key).unwrap();
        assert_eq!(verify(&signed).unwrap().twin_sha256, "t");
        let edited = SignedAttestation {
            body: signed.body.replace("anonymized", "personal"),
            ..signed.clone()
        };
        assert!(verify(&edited)
            .unwrap_err()
            .to_string()
            .contains("does not verify"));
        // Re-signed with another key but naming the first: refused too.
        let other = signing_key_of(&"08".repeat(32)).unwrap();
        let forged = SignedAttestation {
            signature: sign(&body(&key), &other).unwrap().signature,
            ..signed
        };
        assert!(verify(&forged).is_err());
    }
}
