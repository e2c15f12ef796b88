//! Filings and certificates, the working-day calendar, and the deadlines `ledger due` lists
//! (T-1, T-2, T-3, T-6).

use crate::error::{invalid, Result};
use crate::store::{now, Ledger};
pub use datavisa_table::date::add_years;
use datavisa_table::date::{add_months, format_date, parse_date};
use serde::Serialize;

/// The kinds of mechanism paperwork.
pub const KINDS: &[&str] = &["standard_contract", "certification", "security_assessment"];

/// A filing or certificate on record.
#[derive(Clone, Debug, Serialize)]
pub struct Filing {
    pub id: i64,
    #[serde(flatten)]
    pub terms: NewFiling,
}

impl std::ops::Deref for Filing {
    type Target = NewFiling;

    fn deref(&self) -> &NewFiling {
        &self.terms
    }
}

/// What a filing says (a new one has no id yet).
#[derive(Clone, Debug, Default, Serialize)]
pub struct NewFiling {
    pub exporter: String,
    pub recipient: Option<String>,
    pub kind: String,
    pub effective: Option<String>,
    pub filed: Option<String>,
    pub issued: Option<String>,
    pub expires: Option<String>,
    pub purpose: Option<String>,
    pub scope: Option<String>,
    /// Data types (columns or kinds) the filing covers.
    pub data_types: Vec<String>,
    pub storage_location: Option<String>,
}

/// One deadline.
#[derive(Clone, Debug, Serialize)]
pub struct Due {
    pub filing: i64,
    pub exporter: String,
    pub kind: String,
    pub what: String,
    pub date: String,
    /// `overdue`, `due_soon` (within 30 days), `upcoming` or `done`.
    pub status: String,
    pub rule: String,
}

fn day(s: &str) -> Result<i64> {
    parse_date(s).ok_or_else(|| invalid(format!("date {s:?}: expected YYYY-MM-DD")))
}

impl Ledger {
    /// Marks a day as a public holiday (`working = false`) or a make-up working day.
    pub fn set_calendar_day(&mut self, date: &str, working: bool, name: &str) -> Result<()> {
        let d = format_date(day(date)?);
        self.write(|tx| {
            tx.execute(
                "INSERT INTO calendar (date, working, name) VALUES (?1, ?2, ?3)
                 ON CONFLICT (date) DO UPDATE SET working = excluded.working, name = excluded.name",
                rusqlite::params![d, working, name],
            )?;
            Ok(())
        })
    }

    /// Calendar entries, by date.
    pub fn calendar(&self) -> Result<Vec<(String, bool, String)>> {
        let mut st = self
            .conn
            .prepare("SELECT date, working, name FROM calendar ORDER BY date")?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// True for a working day: Monday to Friday unless a holiday, or a make-up working day.
    pub fn is_working_day(&self, date: i64) -> Result<bool> {
        let entry: Option<bool> = rusqlite::OptionalExtension::optional(self.conn.query_row(
            "SELECT working FROM calendar WHERE date = ?1",
            [format_date(date)],
            |r| r.get(0),
        ))?;
        // 1970-01-01 was a Thursday: day 0 -> weekday 3 (Monday = 0).
        let weekday = (date + 3).rem_euclid(7);
        Ok(entry.unwrap_or(weekday < 5))
    }

    /// The date `n` working days after (n > 0) or before (n < 0) `date`.
    pub fn working_days_from(&self, date: i64, n: i64) -> Result<i64> {
        let step = n.signum();
        let (mut d, mut left) = (date, n.abs());
        while left > 0 {
            d += step;
            if self.is_working_day(d)? {
                left -= 1;
            }
        }
        Ok(d)
    }

    /// Records a filing or certificate; a certificate or assessment without `expires` gets the
    /// 3-year validity (T-1, T-6).
    pub fn add_filing(&mut self, f: &NewFiling) -> Result<Filing> {
        if !KINDS.contains(&f.kind.as_str()) {
            return Err(invalid(format!(
                "filing kind {:?}: one of {}",
                f.kind,
                KINDS.join(", ")
            )));
        }
        let exporter = self.exporter(&f.exporter)?;
        let recipient = f
            .recipient
            .as_deref()
            .map(|r| self.recipient(r))
            .transpose()?;
        let norm = |s: &Option<String>| -> Result<Option<String>> {
            s.as_deref().map(|x| Ok(format_date(day(x)?))).transpose()
        };
        let (effective, filed, issued, mut expires) = (
            norm(&f.effective)?,
            norm(&f.filed)?,
            norm(&f.issued)?,
            norm(&f.expires)?,
        );
        match f.kind.as_str() {
            "standard_contract" if effective.is_none() => return Err(invalid(
                "a standard contract filing needs --effective (the date the contract takes effect)",
            )),
            "certification" | "security_assessment" => {
                let issued = issued
                    .as_deref()
                    .ok_or_else(|| invalid(format!("a {} needs --issued", f.kind)))?;
                if expires.is_none() {
                    expires = Some(format_date(add_years(day(issued)?, 3)));
                }
            }
            _ => {}
        }
        let id = self.write(|tx| {
            tx.execute(
                "INSERT INTO filings (exporter_id, recipient_id, kind, effective, filed, issued, expires, purpose, scope, created_at, data_types, storage_location)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                rusqlite::params![exporter.id, recipient.as_ref().map(|r| r.id), f.kind, effective, filed, issued, expires, f.purpose, f.scope, now(),
                    (!f.data_types.is_empty()).then(|| serde_json::to_string(&f.data_types).expect("strings")), f.storage_location],
            )?;
            Ok(tx.last_insert_rowid())
        })?;
        Ok(self
            .filings(Some(&exporter.name))?
            .into_iter()
            .find(|x| x.id == id)
            .expect("just inserted"))
    }

    /// Filings, of one exporter or all.
    pub fn filings(&self, exporter: Option<&str>) -> Result<Vec<Filing>> {
        let mut st = self.conn.prepare(
            "SELECT f.id, e.name, r.name, f.kind, f.effective, f.filed, f.issued, f.expires, f.purpose, f.scope,
                    f.data_types, f.storage_location
             FROM filings f JOIN exporters e ON e.id = f.exporter_id LEFT JOIN recipients r ON r.id = f.recipient_id
             WHERE ?1 IS NULL OR e.name = ?1 ORDER BY f.id",
        )?;
        let rows = st.query_map([exporter], |r| {
            Ok(Filing {
                id: r.get(0)?,
                terms: NewFiling {
                    exporter: r.get(1)?,
                    recipient: r.get(2)?,
                    kind: r.get(3)?,
                    effective: r.get(4)?,
                    filed: r.get(5)?,
                    issued: r.get(6)?,
                    expires: r.get(7)?,
                    purpose: r.get(8)?,
                    scope: r.get(9)?,
                    data_types: r
                        .get::<_, Option<String>>(10)?
                        .and_then(|t| serde_json::from_str(&t).ok())
                        .unwrap_or_default(),
                    storage_location: r.get(11)?,
                },
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Every deadline as of `as_of`, soonest first.
    pub fn due(&self, as_of: &str) -> Result<Vec<Due>> {
        let today = day(as_of)?;
        let mut out = Vec::new();
        for f in self.filings(None)? {
            let mut push = |what: String, date: i64, done: bool, rule: &str| {
                let status = if done {
                    "done"
                } else if date < today {
                    "overdue"
                } else if date - today <= 30 {
                    "due_soon"
                } else {
                    "upcoming"
                };
                out.push(Due {
                    filing: f.id,
                    exporter: f.exporter.clone(),
                    kind: f.kind.clone(),
                    what,
                    date: format_date(date),
                    status: status.into(),
                    rule: rule.into(),
                });
            };
            match f.kind.as_str() {
                "standard_contract" => {
                    let eff = day(f.effective.as_deref().unwrap_or_default())?;
                    let by = self.working_days_from(eff, 10)?;
                    let what = match &f.filed {
                        Some(x) => format!("file the standard contract with the provincial CAC (filed {x})"),
                        None => "file the standard contract with the provincial CAC, with the PIPIA report".into(),
                    };
                    push(what, by, f.filed.is_some(), "T-3");
                }
                "certification" => {
                    let exp = day(f.expires.as_deref().unwrap_or_default())?;
                    push(
                        "apply to renew the certification (6 months before expiry)".into(),
                        add_months(exp, -6),
                        false,
                        "T-6",
                    );
                    push("certification expires".into(), exp, false, "T-6");
                }
                _ => {
                    let exp = day(f.expires.as_deref().unwrap_or_default())?;
                    let opens = self.working_days_from(exp, -60)?;
                    push(
                        "extension window opens (60 working days before expiry)".into(),
                        opens,
                        false,
                        "T-2",
                    );
                    push(
                        "security assessment result expires".into(),
                        exp,
                        false,
                        "T-1",
                    );
                }
            }
        }
        out.sort_by(|a, b| a.date.cmp(&b.date).then(a.filing.cmp(&b.filing)));
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ledger() -> (tempfile::TempDir, Ledger) {
        let d = tempfile::tempdir().unwrap();
        let mut l = Ledger::open(d.path()).unwrap();
        l.add_exporter("Acme (Shanghai)", false, None, None)
            .unwrap();
        (d, l)
    }

    #[test]
    fn standard_contract_deadline_skips_weekends_and_holidays() {
        let (_d, mut l) = ledger();
        // Effective Monday 2026-09-28. Ten working days, no holidays: Monday 2026-10-12.
        let f = NewFiling {
            exporter: "Acme (Shanghai)".into(),
            kind: "standard_contract".into(),
            effective: Some("2026-09-28".into()),
            ..Default::default()
        };
        l.add_filing(&f).unwrap();
        assert_eq!(l.due("2026-09-28").unwrap()[0].date, "2026-10-12");
        // With the National Day holiday 1-7 October and a make-up working day on Saturday 10 October.
        for d in 1..=7 {
            l.set_calendar_day(&format!("2026-10-{d:02}"), false, "National Day")
                .unwrap();
        }
        l.set_calendar_day("2026-10-10", true, "make-up working day")
            .unwrap();
        // Working days after 28 Sep: 29, 30 Sep, 8, 9, 10 (Sat, make-up), 12, 13, 14, 15, 16 Oct.
        let due = l.due("2026-10-14").unwrap();
        assert_eq!(
            (
                due[0].date.as_str(),
                due[0].status.as_str(),
                due[0].rule.as_str()
            ),
            ("2026-10-16", "due_soon", "T-3")
        );
        assert_eq!(l.due("2026-10-19").unwrap()[0].status, "overdue");
    }

    #[test]
    fn certificates_and_assessments_get_their_windows() {
        let (_d, mut l) = ledger();
        l.add_filing(&NewFiling {
            exporter: "Acme (Shanghai)".into(),
            kind: "certification".into(),
            issued: Some("2026-03-31".into()),
            ..Default::default()
        })
        .unwrap();
        l.add_filing(&NewFiling {
            exporter: "Acme (Shanghai)".into(),
            kind: "security_assessment".into(),
            issued: Some("2026-01-05".into()),
            ..Default::default()
        })
        .unwrap();
        let due = l.due("2026-06-01").unwrap();
        let find = |what: &str| {
            due.iter()
                .find(|d| d.what.starts_with(what))
                .unwrap()
                .date
                .clone()
        };
        assert_eq!(find("apply to renew"), "2028-09-30");
        assert_eq!(find("certification expires"), "2029-03-31");
        assert_eq!(find("security assessment result"), "2029-01-05");
        // 60 working days (Mon-Fri, no holidays) before Friday 2029-01-05: 12 weeks earlier, Friday 2028-10-13.
        assert_eq!(find("extension window"), "2028-10-13");
        assert!(l
            .add_filing(&NewFiling {
                exporter: "Acme (Shanghai)".into(),
                kind: "certification".into(),
                ..Default::default()
            })
            .is_err());
        assert!(l
            .add_filing(&NewFiling {
                exporter: "Nobody".into(),
                kind: "certification".into(),
                issued: Some("2026-01-01".into()),
                ..Default::default()
            })
            .is_err());
    }

    #[test]
    fn month_and_year_arithmetic_clamps() {
        assert_eq!(
            format_date(add_months(day("2026-08-31").unwrap(), -6)),
            "2026-02-28"
        );
        assert_eq!(
            format_date(add_years(day("2028-02-29").unwrap(), 3)),
            "2031-02-28"
        );
    }
}
