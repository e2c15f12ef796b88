//! Recording a transfer: the distinct natural persons in it, counted per exporter and calendar
//! year (ordinary and sensitive apart), through keyed hashes only; idempotent per transfer.

use crate::error::{invalid, Result};
use crate::store::{now, Ledger};
use datavisa_vault::crypto::{hmac_sha256, sha256_hex};
use rayon::prelude::*;
use rusqlite::OptionalExtension;
use serde::Serialize;

/// A person's keyed hash (128 bits).
pub type PersonHash = [u8; 16];

/// The people of one file: per row, the person identifier (None when missing) and whether the
/// row carries sensitive PI.
pub struct People<'a> {
    pub ids: Vec<Option<&'a str>>,
    pub sensitive: Vec<bool>,
}

/// The distinct people of a file, hashed.
pub struct Hashed {
    pub ordinary: Vec<PersonHash>,
    pub sensitive: Vec<PersonHash>,
    pub missing: u64,
    pub rows: u64,
}

/// Counters of one exporter and year.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub ordinary: u64,
    pub sensitive: u64,
}

/// What a transfer is.
#[derive(Clone, Debug)]
pub struct TransferFacts {
    pub exporter: String,
    pub recipient: String,
    pub date: String,
    pub file: String,
    pub file_sha256: String,
    pub person_column: String,
    pub sensitive_columns: Vec<String>,
    pub purpose: Option<String>,
    pub legal_basis: Option<String>,
    pub mechanism: Option<String>,
    /// An in-force `anonymized` visa covering exactly this content for this recipient (checked
    /// by the caller against the register): the transfer is recorded but its people not counted.
    pub visa: Option<String>,
}

/// The outcome of `record`.
#[derive(Clone, Debug, Serialize)]
pub struct Recorded {
    pub transfer_id: String,
    /// True when this transfer (same exporter, recipient, file content, date) was recorded before:
    /// nothing was counted again.
    pub already_recorded: bool,
    pub exporter: String,
    pub recipient: String,
    pub date: String,
    pub year: i64,
    pub rows: u64,
    pub persons: u64,
    pub sensitive_persons: u64,
    /// Rows without a person identifier: not counted (they cannot be deduplicated).
    pub missing: u64,
    pub new_ordinary: u64,
    pub new_sensitive: u64,
    /// The exporter's counters for the year after this transfer.
    pub totals: Counts,
    /// False for a transfer covered by an anonymized visa.
    pub counted: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub visa: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_counted_reason: Option<String>,
}

/// The calendar year of a `YYYY-MM-DD` date, checked.
pub fn year_of(date: &str) -> Result<i64> {
    let days = datavisa_table::date::parse_date(date)
        .ok_or_else(|| invalid(format!("date {date:?}: expected YYYY-MM-DD")))?;
    Ok(datavisa_table::date::civil_from_days(days).0)
}

/// Bytes per row of a packed list of row hashes: a presence byte, then the hash.
const PACKED_ROW: usize = 17;

/// Packs per-row person hashes (None: the row has no identifier) for storage elsewhere in the
/// store, such as the vault's record of a twin's people.
pub fn pack_rows(rows: &[Option<PersonHash>]) -> Vec<u8> {
    let mut out = Vec::with_capacity(rows.len() * PACKED_ROW);
    for r in rows {
        match r {
            Some(h) => {
                out.push(1);
                out.extend_from_slice(h);
            }
            None => out.extend_from_slice(&[0; PACKED_ROW]),
        }
    }
    out
}

/// Unpacks what [`pack_rows`] wrote; None when the bytes are not such a list.
pub fn unpack_rows(bytes: &[u8]) -> Option<Vec<Option<PersonHash>>> {
    if !bytes.len().is_multiple_of(PACKED_ROW) {
        return None;
    }
    bytes
        .chunks(PACKED_ROW)
        .map(|c| match c[0] {
            1 => Some(Some(c[1..].try_into().ok()?)),
            0 => Some(None),
            _ => None,
        })
        .collect()
}

impl Hashed {
    /// The distinct people of per-row hashes, ordinary (everyone) and sensitive (rows with
    /// sensitive PI); `sensitive` has one flag per row.
    pub fn from_rows(rows: &[Option<PersonHash>], sensitive: &[bool]) -> Hashed {
        let missing = rows.iter().filter(|h| h.is_none()).count() as u64;
        let mut ordinary: Vec<PersonHash> = rows.iter().filter_map(|h| *h).collect();
        let mut sensitive: Vec<PersonHash> = rows
            .iter()
            .zip(sensitive)
            .filter(|(_, s)| **s)
            .filter_map(|(h, _)| *h)
            .collect();
        for v in [&mut ordinary, &mut sensitive] {
            v.par_sort_unstable();
            v.dedup();
        }
        Hashed {
            ordinary,
            sensitive,
            missing,
            rows: rows.len() as u64,
        }
    }

    /// A file that concerns no one (a synthetic twin): its rows, and no person.
    pub fn nobody(rows: u64) -> Hashed {
        Hashed {
            ordinary: Vec::new(),
            sensitive: Vec::new(),
            missing: 0,
            rows,
        }
    }
}

/// HMAC-SHA-256 of the trimmed, upper-cased identifier under `key`, 128 bits.
fn keyed_hash(key: &[u8], id: &str) -> Option<PersonHash> {
    let norm = id.trim().to_ascii_uppercase();
    if norm.is_empty() {
        return None;
    }
    Some(
        hmac_sha256(key, norm.as_bytes())[..16]
            .try_into()
            .expect("32 bytes"),
    )
}

impl Ledger {
    /// The keyed hash of one person identifier (trimmed, upper-cased); None when it is empty.
    pub fn person_hash(&self, id: &str) -> Option<PersonHash> {
        keyed_hash(&self.key[..], id)
    }

    /// Each row's keyed person hash (None when the identifier is missing), in parallel.
    pub fn hash_rows(&self, ids: &[Option<&str>]) -> Vec<Option<PersonHash>> {
        let key = &self.key[..];
        ids.par_iter()
            .map(|id| id.and_then(|v| keyed_hash(key, v)))
            .collect()
    }

    /// Keyed hashes of the distinct persons, ordinary (everyone) and sensitive (rows with
    /// sensitive PI), computed in parallel.
    pub fn hash_people(&self, people: &People) -> Hashed {
        Hashed::from_rows(&self.hash_rows(&people.ids), &people.sensitive)
    }

    /// The exporter's counters for a year.
    pub fn counts(&self, exporter_id: i64, year: i64) -> Result<Counts> {
        let n = |counter: &str| -> Result<u64> {
            Ok(self.conn.query_row(
                "SELECT COUNT(*) FROM persons WHERE exporter_id = ?1 AND year = ?2 AND counter = ?3",
                rusqlite::params![exporter_id, year, counter],
                |r| r.get::<_, i64>(0),
            )? as u64)
        };
        Ok(Counts {
            ordinary: n("ordinary")?,
            sensitive: n("sensitive")?,
        })
    }

    /// How many of `hashed` the exporter's counters for `year` do not hold yet: one ordered
    /// pass over the stored hashes merged with the (sorted) new ones.
    pub fn new_people(&self, exporter_id: i64, year: i64, hashed: &Hashed) -> Result<Counts> {
        let mut st = self.conn.prepare_cached(
            "SELECT hash FROM persons WHERE exporter_id = ?1 AND year = ?2 AND counter = ?3 ORDER BY hash",
        )?;
        let mut new = |counter: &str, list: &[PersonHash]| -> Result<u64> {
            let mut rows = st.query(rusqlite::params![exporter_id, year, counter])?;
            let mut known = 0u64;
            let mut i = 0;
            while let Some(r) = rows.next()? {
                let h = r.get_ref(0)?.as_blob().unwrap_or_default();
                while i < list.len() && &list[i][..] < h {
                    i += 1;
                }
                if i == list.len() {
                    break;
                }
                if &list[i][..] == h {
                    known += 1;
                    i += 1;
                }
            }
            Ok(list.len() as u64 - known)
        };
        Ok(Counts {
            ordinary: new("ordinary", &hashed.ordinary)?,
            sensitive: new("sensitive", &hashed.sensitive)?,
        })
    }

    /// Records a transfer and counts its new people, in one transaction; recording the same
    /// transfer again changes nothing and says so.
    pub fn record(&mut self, facts: &TransferFacts, hashed: &Hashed) -> Result<Recorded> {
        let year = year_of(&facts.date)?;
        if let Some(m) = &facts.mechanism {
            if ![
                "exempt",
                "standard_contract",
                "certification",
                "security_assessment",
            ]
            .contains(&m.as_str())
            {
                return Err(invalid(format!(
                    "mechanism {m:?}: one of exempt, standard_contract, certification, security_assessment"
                )));
            }
        }
        if facts.date.as_str() > crate::store::today().as_str() {
            return Err(invalid(format!("date {} is in the future: record transfers when they happen (use `datavisa plan` before)", facts.date)));
        }
        let exporter = self.exporter(&facts.exporter)?;
        let recipient = self.recipient(&facts.recipient)?;
        let id = sha256_hex(
            format!(
                "{}|{}|{}|{}|{}",
                exporter.id, recipient.id, facts.file_sha256, facts.date, facts.person_column
            )
            .as_bytes(),
        )[..20]
            .to_owned();
        let not_counted = facts.visa.as_ref().map(|v| {
            format!("anonymized as to {} under visa {v}: not personal information for this recipient (PIPL Art. 4)", facts.recipient)
        });
        let (already, new) = self.write(|tx| {
            let prior: Option<i64> = tx
                .query_row("SELECT 1 FROM transfers WHERE id = ?1", [&id], |r| r.get(0))
                .optional()?;
            if prior.is_some() {
                return Ok((true, Counts::default()));
            }
            let new = if facts.visa.is_some() {
                Counts::default()
            } else {
                let mut ins = tx.prepare_cached(
                    "INSERT OR IGNORE INTO persons (exporter_id, year, counter, hash) VALUES (?1, ?2, ?3, ?4)",
                )?;
                let mut add = |counter: &str, list: &[PersonHash]| -> Result<u64> {
                    let mut n = 0u64;
                    for h in list {
                        n += ins.execute(rusqlite::params![exporter.id, year, counter, &h[..]])? as u64;
                    }
                    Ok(n)
                };
                Counts { ordinary: add("ordinary", &hashed.ordinary)?, sensitive: add("sensitive", &hashed.sensitive)? }
            };
            tx.execute(
                "INSERT INTO transfers (id, exporter_id, recipient_id, date, year, file, file_sha256, person_column,
                   sensitive_columns, purpose, legal_basis, mechanism, counted, rows, persons, sensitive_persons,
                   missing, new_ordinary, new_sensitive, recorded_at, visa_id, not_counted_reason)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22)",
                rusqlite::params![
                    id, exporter.id, recipient.id, facts.date, year, facts.file, facts.file_sha256, facts.person_column,
                    serde_json::to_string(&facts.sensitive_columns).expect("strings"), facts.purpose, facts.legal_basis,
                    facts.mechanism, facts.visa.is_none(), hashed.rows as i64, hashed.ordinary.len() as i64,
                    hashed.sensitive.len() as i64, hashed.missing as i64, new.ordinary as i64, new.sensitive as i64,
                    now(), facts.visa, not_counted
                ],
            )?;
            Ok((false, new))
        })?;
        Ok(Recorded {
            transfer_id: id,
            already_recorded: already,
            exporter: exporter.name.clone(),
            recipient: recipient.name,
            date: facts.date.clone(),
            year,
            rows: hashed.rows,
            persons: hashed.ordinary.len() as u64,
            sensitive_persons: hashed.sensitive.len() as u64,
            missing: hashed.missing,
            new_ordinary: new.ordinary,
            new_sensitive: new.sensitive,
            totals: self.counts(exporter.id, year)?,
            counted: facts.visa.is_none(),
            visa: facts.visa.clone(),
            not_counted_reason: not_counted,
        })
    }
}

/// A recorded transfer, as listed.
#[derive(Clone, Debug, Serialize)]
pub struct TransferRow {
    pub id: String,
    pub exporter: String,
    pub recipient: String,
    pub date: String,
    pub file: String,
    pub file_sha256: String,
    pub purpose: Option<String>,
    pub legal_basis: Option<String>,
    pub mechanism: Option<String>,
    pub persons: u64,
    pub sensitive_persons: u64,
    pub sensitive_columns: Vec<String>,
    pub counted: bool,
    pub visa: Option<String>,
}

impl Ledger {
    /// Every file sent to a recipient, by any exporter in any year, oldest first: (transfer
    /// id, file as recorded, content hash).
    pub fn sent_to(&self, recipient: &str) -> Result<Vec<(String, String, String)>> {
        let mut st = self.conn.prepare(
            "SELECT t.id, t.file, t.file_sha256 FROM transfers t JOIN recipients r ON r.id = t.recipient_id
             WHERE r.name = ?1 ORDER BY t.date, t.id",
        )?;
        let rows = st
            .query_map([recipient], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// Transfers of an exporter in a year (to one recipient, or all).
    pub fn transfers(
        &self,
        exporter: &str,
        recipient: Option<&str>,
        year: i64,
    ) -> Result<Vec<TransferRow>> {
        let mut st = self.conn.prepare(
            "SELECT t.id, e.name, r.name, t.date, t.file, t.file_sha256, t.purpose, t.legal_basis, t.mechanism,
                    t.persons, t.sensitive_persons, t.sensitive_columns, t.counted, t.visa_id
             FROM transfers t JOIN exporters e ON e.id = t.exporter_id JOIN recipients r ON r.id = t.recipient_id
             WHERE e.name = ?1 AND (?2 IS NULL OR r.name = ?2) AND t.year = ?3 ORDER BY t.date, t.id",
        )?;
        let rows = st.query_map(rusqlite::params![exporter, recipient, year], |r| {
            let cols: String = r.get(11)?;
            Ok(TransferRow {
                id: r.get(0)?,
                exporter: r.get(1)?,
                recipient: r.get(2)?,
                date: r.get(3)?,
                file: r.get(4)?,
                file_sha256: r.get(5)?,
                purpose: r.get(6)?,
                legal_basis: r.get(7)?,
                mechanism: r.get(8)?,
                persons: r.get::<_, i64>(9)? as u64,
                sensitive_persons: r.get::<_, i64>(10)? as u64,
                sensitive_columns: serde_json::from_str(&cols).unwrap_or_default(),
                counted: r.get(12)?,
                visa: r.get(13)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_rows_read_back_and_count_distinct_people() {
        let (a, b) = ([1u8; 16], [2u8; 16]);
        let rows = vec![Some(a), None, Some(b), Some(a)];
        let packed = pack_rows(&rows);
        assert_eq!(unpack_rows(&packed), Some(rows.clone()));
        // A length or presence byte that is not of a packed list is refused, not misread.
        assert_eq!(unpack_rows(&packed[1..]), None);
        let mut bad = packed.clone();
        bad[0] = 7;
        assert_eq!(unpack_rows(&bad), None);
        // Two rows of person a, one of b, one without an identifier; only b is sensitive.
        let h = Hashed::from_rows(&rows, &[false, true, true, false]);
        assert_eq!((h.ordinary.len(), h.sensitive.len()), (2, 1));
        assert_eq!((h.missing, h.rows), (1, 4));
        assert_eq!(h.sensitive, [b]);
    }
}
