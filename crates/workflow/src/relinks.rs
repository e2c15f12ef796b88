//! Relinks for a server: a request names the twin by its vault id and carries the pseudonyms
//! itself (no files on the server's disk), and an execution hands the identities back in
//! memory, once, instead of writing a file. The rules (two approvers other than the requester,
//! MACs over the request's content, one execution) are the vault's, as for the CLI.

use crate::error::{Error, Result};
use crate::vault::relink_column;
use crate::workspace::Workspace;
use datavisa_vault::{NewRequest, Request, VaultError};
use serde::Serialize;
use serde_json::json;
use zeroize::Zeroizing;

/// A relink request as a server takes it.
#[derive(Clone, Debug)]
pub struct RelinkOrder {
    /// The pseudonymized twin's vault id (`twin_id` in its manifest).
    pub twin_id: String,
    /// The column; needed when the twin has several relinkable columns.
    pub column: Option<String>,
    /// The pseudonyms to turn back into values (blank lines and repeats are dropped).
    pub pseudonyms: Vec<String>,
    /// Why the identities are needed.
    pub purpose: String,
    /// The legal basis.
    pub legal_basis: String,
    /// How long approval stays open: `72h`, `30m`, `7d`, `90s`.
    pub ttl: String,
}

/// One pseudonym and the value it stands for.
#[derive(Serialize)]
pub struct Identity {
    /// The pseudonym, as in the twin.
    pub pseudonym: String,
    /// The original value (wiped from memory when dropped).
    #[serde(serialize_with = "plain")]
    pub value: Zeroizing<String>,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Values are identities: never in a debug print or a log.
        f.debug_struct("Identity")
            .field("pseudonym", &self.pseudonym)
            .finish_non_exhaustive()
    }
}

fn plain<S: serde::Serializer>(
    v: &Zeroizing<String>,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(v)
}

/// An executed request and its identities: the only time they are handed out.
#[derive(Debug, Serialize)]
pub struct Relinked {
    /// The request, now `executed`.
    pub request: Request,
    /// SHA-256 of the identities as `pseudonym,value` CSV lines (recorded in the audit log).
    pub identities_sha256: String,
    /// Every pseudonym with its value.
    pub identities: Vec<Identity>,
}

/// SHA-256 of `pseudonym,value\n` lines, so the audit entry pins what was handed out.
fn digest(pairs: &[(String, Option<String>)]) -> String {
    let mut text = Zeroizing::new(String::new());
    for (p, v) in pairs {
        text.push_str(p);
        text.push(',');
        text.push_str(v.as_deref().unwrap_or(""));
        text.push('\n');
    }
    datavisa_vault::crypto::sha256_hex(text.as_bytes())
}

impl Workspace {
    /// Files a relink request as the acting user, naming the twin by id and carrying the
    /// pseudonyms.
    pub fn request_relink_of(&self, o: &RelinkOrder) -> Result<Request> {
        let ttl_secs = crate::vault::parse_ttl(&o.ttl)?;
        let mut v = self.open_vault_as(self.actor())?;
        let column = relink_column(&v, &o.twin_id, o.column.as_deref())?;
        let mut seen = std::collections::HashSet::new();
        let pseudonyms: Vec<String> = o
            .pseudonyms
            .iter()
            .map(|p| p.trim().to_owned())
            .filter(|p| !p.is_empty() && seen.insert(p.clone()))
            .collect();
        Ok(v.request_relink(NewRequest {
            twin_id: o.twin_id.clone(),
            column,
            pseudonyms,
            purpose: o.purpose.clone(),
            legal_basis: o.legal_basis.clone(),
            requested_by: self.actor().to_owned(),
            ttl_secs,
        })?)
    }

    /// Executes an approved request once, as its requester, handing the identities back in
    /// memory. The execution and the digest of what was handed out are in the audit log
    /// before anything is returned; anyone but the requester is refused (and logged).
    pub fn execute_relink_in_memory(&self, id: &str) -> Result<Relinked> {
        let mut v = self.open_vault_as(self.actor())?;
        let req = v.request(id)?;
        if req.requested_by.trim().to_lowercase() != self.actor().trim().to_lowercase() {
            let reason = format!(
                "only the requester ({}) can execute request {id}",
                req.requested_by
            );
            v.log(
                "relink.refused",
                json!({"request": id, "step": "execute", "reason": reason}),
            )?;
            return Err(Error::refused(format!("relink refused: {reason}")));
        }
        let pairs = v.execute_relink(id, |auth| {
            let pairs = datavisa_twin::pseudonymize::reverse(auth)
                .map_err(|e| VaultError::Invalid(e.to_string()))?;
            if let Some((p, _)) = pairs.iter().find(|(_, v)| v.is_none()) {
                return Err(VaultError::Invalid(format!(
                    "pseudonym {p:?} does not decode under the twin's key"
                )));
            }
            let sha = digest(&pairs);
            Ok((
                (pairs, sha.clone()),
                json!({"values": auth.pseudonyms.len(), "output": "the API response", "output_sha256": sha}),
            ))
        })?;
        self.auto_anchor(&v, "relink.executed")?;
        let (pairs, sha) = pairs;
        Ok(Relinked {
            request: v.request(id)?,
            identities_sha256: sha,
            identities: pairs
                .into_iter()
                .map(|(pseudonym, value)| Identity {
                    pseudonym,
                    value: Zeroizing::new(value.unwrap_or_default()),
                })
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The digest is over `p,v\n` lines: sha256("a,1\nb,\n") computed by sha256sum.
    #[test]
    fn the_digest_is_of_the_csv_lines() {
        let pairs = vec![
            ("a".to_owned(), Some("1".to_owned())),
            ("b".to_owned(), None),
        ];
        assert_eq!(
            digest(&pairs),
            "965e9544dd143b5a416f0eb71e47a052bdff7b51ea85dd29d2aed65a1cfa9952"
        );
    }

    #[test]
    fn a_debug_print_never_shows_a_value() {
        let i = Identity {
            pseudonym: "tok_1".into(),
            value: Zeroizing::new("110105194001010011".into()),
        };
        assert!(!format!("{i:?}").contains("110105"));
    }
}
