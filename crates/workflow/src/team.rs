//! What a team server asks of a store besides the use cases: which of its stores exist (for a
//! health check) and the audit log filtered by actor, kind and time.

use crate::error::{Error, Result};
use crate::workspace::Workspace;
use datavisa_vault::audit::Entry;
use serde::Serialize;

/// Which stores a store directory holds.
#[derive(Clone, Debug, Serialize)]
pub struct StoreStatus {
    /// The vault (keys and the audit log).
    pub vault: bool,
    /// The assessment and visa register.
    pub register: bool,
    /// Users and tokens.
    pub team: bool,
    /// Datasets stored.
    pub datasets: usize,
}

/// Which audit entries to list.
#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    /// Only this actor's entries.
    pub actor: Option<String>,
    /// Only this action (`token.created`) or family (`token`).
    pub kind: Option<String>,
    /// Only entries at or after this day (YYYY-MM-DD) or instant (RFC 3339 UTC, `Z`).
    pub since: Option<String>,
    /// Only the last N entries that pass the filter.
    pub last: Option<usize>,
}

/// Whether `s` is YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ (the forms the log's times compare with).
fn check_since(s: &str) -> Result<()> {
    let b = s.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| r.clone().all(|i| b.get(i).is_some_and(u8::is_ascii_digit));
    let date = b.len() >= 10
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10);
    let ok = date
        && (b.len() == 10
            || (b.len() == 20
                && b[10] == b'T'
                && digits(11..13)
                && b[13] == b':'
                && digits(14..16)
                && b[16] == b':'
                && digits(17..19)
                && b[19] == b'Z'));
    if ok {
        Ok(())
    } else {
        Err(Error::bad_input(format!(
            "since {s:?}: give a day (2026-01-31) or a UTC time (2026-01-31T08:00:00Z)"
        )))
    }
}

impl AuditFilter {
    /// Whether entry `e` passes.
    pub fn keeps(&self, e: &Entry) -> bool {
        let kind_ok = self
            .kind
            .as_deref()
            .is_none_or(|k| e.action == k || e.action.split('.').next() == Some(k));
        self.actor.as_deref().is_none_or(|a| e.actor == a)
            && kind_ok
            && self.since.as_deref().is_none_or(|s| e.at.as_str() >= s)
    }
}

impl Workspace {
    /// Which stores exist in the store directory.
    pub fn store_status(&self) -> Result<StoreStatus> {
        Ok(StoreStatus {
            vault: datavisa_vault::Vault::file_in(self.store()).is_file(),
            register: datavisa_verdict::register::Register::exists_in(self.store()),
            team: self.store().join(crate::users::TEAM_FILE).is_file(),
            datasets: self.datasets()?.len(),
        })
    }

    /// Audit entries passing `f`, oldest first.
    pub fn audit_filtered(&self, f: &AuditFilter) -> Result<Vec<Entry>> {
        if let Some(s) = &f.since {
            check_since(s)?;
        }
        let mut list: Vec<Entry> = self
            .audit_log(None)?
            .into_iter()
            .filter(|e| f.keeps(e))
            .collect();
        if let Some(n) = f.last {
            list.drain(..list.len().saturating_sub(n));
        }
        Ok(list)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_takes_a_day_or_a_utc_time() {
        for ok in ["2026-01-31", "2026-01-31T08:00:00Z"] {
            assert!(check_since(ok).is_ok(), "{ok}");
        }
        for bad in [
            "2026-1-31",
            "yesterday",
            "2026-01-31T08:00:00+08:00",
            "2026-01-31 08:00:00Z",
            "",
        ] {
            assert!(check_since(bad).is_err(), "{bad}");
        }
    }
}
