//! Whose people a transfer's file concerns, as the ledger's keyed person hashes. A plain file's
//! people are hashed from its `--person-column`. A twin is counted by the persons it concerns,
//! never by its tokens (which differ per recipient):
//!
//! - a pseudonymized twin: each row's hash of the source identifier, made with the ledger key
//!   when the twin was made and kept in the vault (in-country; never in the manifest, which may
//!   travel with the twin, since hashes shared across twins would link them), found by the
//!   twin's content hash;
//! - a generalized twin: its source's rows (the twin keeps every source row, in order; a
//!   suppressed row still carries its other columns), read again from the source the manifest
//!   records and checked against its hash;
//! - a synthetic twin: no one.

use crate::error::{Error, Result};
use crate::ledger::person_ids;
use crate::sensitivity::read_source;
use crate::workspace::Workspace;
use datavisa_ledger::record::{pack_rows, unpack_rows};
use datavisa_ledger::{Ledger, PersonHash};
use datavisa_table::Table;
use datavisa_twin::manifest::{Manifest, ManifestKind};
use datavisa_twin::pseudonymize::plan::Method;
use datavisa_twin::pseudonymize::AppliedColumn;
use datavisa_vault::{TwinPeople, TwinStatus, Vault};
use serde::Serialize;
use std::path::Path;

/// Where a transfer's people came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PeopleFrom {
    /// The file's own person column.
    File,
    /// A pseudonymized twin's rows, as the vault recorded them from its source.
    TwinInVault,
    /// A generalized twin's source rows.
    TwinSource,
    /// A synthetic twin: its rows are no one.
    Nobody,
    /// Sent under an anonymized visa: not personal information for the recipient, not read.
    Visa,
}

/// Each row's person hash, or no person at all.
pub(crate) enum PersonRows {
    /// One hash per row (None: the row has no identifier).
    Rows(Vec<Option<PersonHash>>),
    /// The file concerns no one (a synthetic twin).
    Nobody,
}

/// The people of a pseudonymized twin, to keep in the vault: for every column the twin carries
/// tokenized or encrypted, each row's hash of the source's value under the ledger key. The
/// ledger is opened (made on first use) by its own rules: a missing key of a ledger that holds
/// people is an error, never a new key.
pub(crate) fn twin_people(
    ws: &Workspace,
    source: &Table,
    columns: &[AppliedColumn],
) -> Result<Vec<TwinPeople>> {
    let l = Ledger::open(ws.store())?;
    let key_check = l.key_check();
    let mut out = Vec::new();
    for c in columns.iter().filter(|c| c.plan.method.is_keyed()) {
        let ids = person_ids(source, &c.plan.column)?;
        let rows = l.hash_rows(&ids.iter().map(|v| v.as_deref()).collect::<Vec<_>>());
        out.push(TwinPeople {
            column: c.plan.column.clone(),
            key_check: key_check.clone(),
            hashes: pack_rows(&rows),
        });
    }
    Ok(out)
}

impl Workspace {
    /// Each row's person hash of a transfer's file `t` (`twin`: its manifest, if it is one).
    pub(crate) fn person_rows(
        &self,
        l: &Ledger,
        (file, t, sha256): (&Path, &Table, &str),
        twin: Option<&Manifest>,
        person: Option<&str>,
    ) -> Result<(PersonRows, PeopleFrom)> {
        if twin.is_some_and(|m| m.kind == ManifestKind::SyntheticTwin) {
            return Ok((PersonRows::Nobody, PeopleFrom::Nobody));
        }
        let person = person.ok_or_else(|| {
            Error::bad_input(
                "--person-column is required: it names the column that identifies a person",
            )
        })?;
        let hash = |t: &Table| -> Result<Vec<Option<PersonHash>>> {
            let ids = person_ids(t, person)?;
            Ok(l.hash_rows(&ids.iter().map(|v| v.as_deref()).collect::<Vec<_>>()))
        };
        match twin.map(|m| m.kind) {
            Some(ManifestKind::PseudonymizedTwin) => {
                let v = self.vault_for_people(file)?;
                let rows = self.pseudonymized_rows(&v, l, (file, t, sha256), person, &hash)?;
                Ok((PersonRows::Rows(rows), PeopleFrom::TwinInVault))
            }
            Some(ManifestKind::GeneralizedTwin) => {
                let m = twin.expect("a twin");
                let why = "a generalized twin is counted by its source's people";
                let (path, source) = read_source(self, m, file, why)?;
                if source.n_rows != t.n_rows {
                    return Err(Error::bad_input(format!(
                        "{}: {why}, but its source {} has {} rows and the twin {}; the manifest belongs to another twin",
                        file.display(),
                        path.display(),
                        source.n_rows,
                        t.n_rows
                    )));
                }
                let rows = hash(&source).map_err(|e| {
                    Error::bad_input(format!(
                        "{}: {why}: in its source {}: {e}",
                        file.display(),
                        path.display()
                    ))
                })?;
                Ok((PersonRows::Rows(rows), PeopleFrom::TwinSource))
            }
            _ => match self.vault_that_made(sha256)? {
                // Its manifest was not beside it, but the vault made it: its tokens are not
                // people, so it is counted as the twin it is.
                Some(v) => {
                    let rows = self.pseudonymized_rows(&v, l, (file, t, sha256), person, &hash)?;
                    Ok((PersonRows::Rows(rows), PeopleFrom::TwinInVault))
                }
                None => Ok((PersonRows::Rows(hash(t)?), PeopleFrom::File)),
            },
        }
    }

    /// The store's vault, when it exists, the master key opens it and it made a pseudonymized
    /// twin with this content.
    fn vault_that_made(&self, sha256: &str) -> Result<Option<Vault>> {
        if !self.store().join("vault.db").is_file() || !self.secrets().has_master_key() {
            return Ok(None);
        }
        let v = self.open_vault_as(self.actor())?;
        Ok(v.twin_by_output(sha256)?.is_some().then_some(v))
    }

    /// A pseudonymized twin's rows as the vault recorded them for `person`; a column the twin
    /// carries as written is hashed from the twin itself (its values are the source's).
    fn pseudonymized_rows(
        &self,
        v: &Vault,
        l: &Ledger,
        (file, t, sha256): (&Path, &Table, &str),
        person: &str,
        hash: &dyn Fn(&Table) -> Result<Vec<Option<PersonHash>>>,
    ) -> Result<Vec<Option<PersonHash>>> {
        let twin = v.twin_by_output(sha256)?.ok_or_else(|| {
            Error::bad_input(format!(
                "{}: its manifest says it is a pseudonymized twin, but the vault {} holds no twin with its content (sha256 {sha256}); record it with the store that made it",
                file.display(),
                v.path().display()
            ))
        })?;
        let people = v.twin_people(&twin.record.id)?;
        if let Some(p) = people.iter().find(|p| p.column == person) {
            return stored_rows(l, file, t, &twin, p);
        }
        let method = twin.record.columns.iter().find(|c| c.column == person);
        if method.is_some_and(|c| c.method == Method::Keep.name()) {
            return hash(t);
        }
        Err(missing_people(file, person, &twin, &people))
    }

    /// The vault, opened to read a twin's people; without a master key, says why it is needed.
    fn vault_for_people(&self, file: &Path) -> Result<Vault> {
        if !self.secrets().has_master_key() {
            return Err(Error::bad_input(format!(
                "{} is a pseudonymized twin: its people are read from the vault, which needs the master key (DATAVISA_MASTER_KEY or a key file)",
                file.display()
            )));
        }
        self.open_vault_as(self.actor())
    }
}

/// The stored rows of one column, checked against the ledger's key and the twin's row count.
fn stored_rows(
    l: &Ledger,
    file: &Path,
    t: &Table,
    twin: &TwinStatus,
    p: &TwinPeople,
) -> Result<Vec<Option<PersonHash>>> {
    if !datavisa_vault::crypto::ct_eq(p.key_check.as_bytes(), l.key_check().as_bytes()) {
        return Err(Error::bad_input(format!(
            "{}: twin {} recorded its people with another ledger key than {}'s; make the twin again with this store's ledger, or record its source file instead",
            file.display(),
            twin.record.id,
            l.path().display()
        )));
    }
    match unpack_rows(&p.hashes) {
        Some(rows) if rows.len() == t.n_rows => Ok(rows),
        _ => Err(Error::internal(format!(
            "the vault's people of twin {} (column {:?}) do not match its {} rows",
            twin.record.id, p.column, t.n_rows
        ))),
    }
}

/// The error for a twin whose people for `person` are not in the vault.
fn missing_people(file: &Path, person: &str, twin: &TwinStatus, people: &[TwinPeople]) -> Error {
    if people.is_empty() {
        return Error::bad_input(format!(
            "{}: twin {} was made before datavisa recorded the people of a twin's rows, so its tokens cannot be counted as people; make the twin again with `datavisa twin pseudonymize` (the same keys give the same tokens), or record the source file it was made from",
            file.display(),
            twin.record.id
        ));
    }
    let known: Vec<&str> = people.iter().map(|p| p.column.as_str()).collect();
    Error::bad_input(format!(
        "{}: --person-column {person:?} is not a column of twin {} whose people were recorded (those are: {}; a column kept as written counts too)",
        file.display(),
        twin.record.id,
        known.join(", ")
    ))
}
