//! The ledger's use cases: exporters, recipients, transfers (people hashed, counted once a year),
//! plans under the workspace's rules and the asserted facts, filings, deadlines, the holiday
//! calendar, export, import and the year's report.

use crate::error::{Error, Result};
use crate::legal::{fact_flags, rules};
use crate::people::{PeopleFrom, PersonRows};
use crate::read::{load, ReadRequest};
use crate::sensitivity::twin_manifest;
use crate::workspace::Workspace;
use datavisa_ledger::export::ExporterYear;
use datavisa_ledger::filings::{Due, Filing};
use datavisa_ledger::plan::{Plan, PlanRequest};
use datavisa_ledger::{Exporter, Facts, Hashed, Ledger, Recipient, Recorded, TransferFacts};
use datavisa_table::{file_sha256, ColumnData, Table, MISSING};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// A transfer: who sends which file to whom, and whose people are in it.
#[derive(Clone, Debug, Default)]
pub struct TransferRequest {
    /// The exporter's name in the ledger.
    pub exporter: String,
    /// The recipient's name in the ledger.
    pub recipient: String,
    /// The file sent.
    pub file: PathBuf,
    /// The column that identifies a natural person.
    pub person_column: Option<String>,
    /// Columns holding sensitive PI (empty names ignored); the scan's findings when absent.
    pub sensitive_columns: Option<Vec<String>>,
    /// Every person in the file has sensitive PI sent.
    pub all_sensitive: bool,
    /// Transfer date, YYYY-MM-DD; today by default.
    pub date: Option<String>,
    /// Why it is sent.
    pub purpose: Option<String>,
    /// How to read the file.
    pub read: ReadRequest,
}

/// What a person asserts for the planner; each exemption is asked for, never assumed.
#[derive(Clone, Debug, Default)]
pub struct PlanFactsRequest {
    /// The data is important data.
    pub important_data: bool,
    /// Exemption facts by the name the rules file declares (`contract-necessity`, …).
    pub facts: Vec<String>,
    /// Where the recipient will store the data (checked against the filings).
    pub storage_location: Option<String>,
}

/// The file a plan was made for.
#[derive(Clone, Debug, Serialize)]
pub struct FileRef {
    /// Its path.
    pub path: String,
    /// Its SHA-256.
    pub sha256: String,
}

/// A plan, with the file and sensitive columns it was made for.
#[derive(Clone, Debug, Serialize)]
pub struct Planned {
    /// Mechanism, counts, rules, exemptions to consider, duties, warnings.
    #[serde(flatten)]
    pub plan: Plan,
    /// The transfer's file.
    pub file: FileRef,
    /// The columns counted as sensitive.
    pub sensitive_columns: Vec<String>,
    /// Where its people came from (a twin is counted by the persons it concerns).
    pub people_from: PeopleFrom,
}

/// What recording a transfer did.
#[derive(Clone, Debug, Serialize)]
pub struct RecordedTransfer {
    /// Counts, totals and whether it was counted.
    #[serde(flatten)]
    pub recorded: Recorded,
    /// The columns counted as sensitive.
    pub sensitive_columns: Vec<String>,
    /// Where its people came from (none under a visa: they are not counted).
    pub people_from: PeopleFrom,
}

/// How a transfer is recorded, beyond the transfer itself.
#[derive(Clone, Debug, Default)]
pub struct RecordRequest {
    /// The transfer.
    pub transfer: TransferRequest,
    /// Its legal basis.
    pub legal_basis: Option<String>,
    /// The mechanism it goes under.
    pub mechanism: Option<String>,
    /// An anonymized visa covering the file: recorded, not counted.
    pub visa: Option<String>,
}

/// Deadlines as of a day.
#[derive(Clone, Debug, Serialize)]
pub struct DueList {
    /// The day.
    pub as_of: String,
    /// Holidays and make-up days loaded (0: weekdays only).
    pub calendar_days: usize,
    /// Every deadline.
    pub due: Vec<Due>,
}

/// A day of the holiday calendar.
#[derive(Clone, Debug, Serialize)]
pub struct CalendarDay {
    /// YYYY-MM-DD.
    pub date: String,
    /// A make-up working day (else a public holiday).
    pub working: bool,
    /// The holiday's name.
    pub name: String,
}

/// The year's counts and mechanisms, per exporter.
#[derive(Clone, Debug, Serialize)]
pub struct YearReport {
    /// The year.
    pub year: i64,
    /// Each exporter's year.
    pub exporters: Vec<ExporterYear>,
}

/// What a transfer's file gave the ledger.
struct Read {
    hashed: Hashed,
    columns: Vec<String>,
    sensitive_columns: Vec<String>,
    sha256: String,
    people_from: PeopleFrom,
}

/// Each row's person identifier (None when missing) as text.
pub fn person_ids(t: &Table, column: &str) -> Result<Vec<Option<String>>> {
    let c = t.column(column).map_err(|_| {
        Error::bad_input(format!(
            "--person-column {column:?} is not in the file (it has: {})",
            t.column_names().join(", ")
        ))
    })?;
    Ok((0..t.n_rows).map(|r| c.display(r)).collect())
}

/// Rows that carry a value in any of the sensitive columns.
fn sensitive_rows(t: &Table, columns: &[String], all: bool) -> Result<Vec<bool>> {
    if all {
        return Ok(vec![true; t.n_rows]);
    }
    let mut out = vec![false; t.n_rows];
    for name in columns {
        let c = t.column(name).map_err(|_| {
            Error::bad_input(format!("sensitive column {name:?} is not in the file"))
        })?;
        for (r, slot) in out.iter_mut().enumerate() {
            *slot |= match &c.data {
                ColumnData::Categorical(cat) => cat.codes()[r] != MISSING,
                ColumnData::Numeric(v) => !v[r].is_nan(),
            };
        }
    }
    Ok(out)
}

/// Parses a holiday CSV (`date,working,name`; header optional) into calendar days.
pub fn parse_holidays(file: &Path, text: &str) -> Result<Vec<CalendarDay>> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let f: Vec<&str> = line.splitn(3, ',').map(str::trim).collect();
        if line.trim().is_empty() || (i == 0 && f[0].eq_ignore_ascii_case("date")) {
            continue;
        }
        let working = match f.get(1).copied() {
            Some("1" | "true" | "working") => true,
            Some("0" | "false" | "holiday") | None => false,
            Some(o) => {
                return Err(Error::bad_input(format!(
                    "{}:{}: working must be 0 or 1, not {o:?}",
                    file.display(),
                    i + 1
                )))
            }
        };
        // Every line is checked before any is loaded, so a bad file loads nothing.
        let day = datavisa_table::date::parse_date(f[0]).ok_or_else(|| {
            Error::bad_input(format!(
                "{}:{}: date {:?}: expected YYYY-MM-DD",
                file.display(),
                i + 1,
                f[0]
            ))
        })?;
        out.push(CalendarDay {
            date: datavisa_table::date::format_date(day),
            working,
            name: f.get(2).copied().unwrap_or("").to_owned(),
        });
    }
    Ok(out)
}

impl Workspace {
    fn ledger(&self) -> Result<Ledger> {
        Ok(Ledger::open(self.store())?)
    }

    fn date_of(&self, t: &TransferRequest) -> String {
        t.date
            .clone()
            .unwrap_or_else(|| datavisa_table::date::format_date(self.today()))
    }

    /// Reads a transfer's file: its people hashed with the ledger's key (a twin's from what it
    /// was made from, see `people.rs`), sensitive rows marked by the columns of
    /// [`Workspace::sensitivity`] unless the request names them.
    fn read_transfer(&self, l: &Ledger, a: &TransferRequest) -> Result<Read> {
        l.exporter(&a.exporter)?;
        l.recipient(&a.recipient)?;
        let (t, _) = load(self, &a.file, &a.read)?;
        let sha256 = file_sha256(&a.file)?;
        let twin = twin_manifest(&a.file, &sha256)?;
        let sensitive_columns: Vec<String> = match &a.sensitive_columns {
            // `--sensitive-columns ''` says: none.
            Some(c) => c.iter().filter(|x| !x.trim().is_empty()).cloned().collect(),
            None => self
                .sensitivity_of(&a.file, &t, twin.as_ref())?
                .column_names(),
        };
        let (rows, people_from) = self.person_rows(
            l,
            (&a.file, &t, &sha256),
            twin.as_ref(),
            a.person_column.as_deref(),
        )?;
        let hashed = match rows {
            PersonRows::Nobody => Hashed::nobody(t.n_rows as u64),
            PersonRows::Rows(r) => Hashed::from_rows(
                &r,
                &sensitive_rows(&t, &sensitive_columns, a.all_sensitive)?,
            ),
        };
        Ok(Read {
            hashed,
            columns: t.column_names(),
            sensitive_columns,
            sha256,
            people_from,
        })
    }

    /// A twin sent under a visa: the register must show an in-force `anonymized` visa for this
    /// recipient and exactly this content; nothing about people is read or hashed.
    fn read_visa_transfer(&self, l: &Ledger, a: &TransferRequest, visa: &str) -> Result<Read> {
        l.exporter(&a.exporter)?;
        l.recipient(&a.recipient)?;
        let (t, _) = load(self, &a.file, &a.read)?;
        let sha256 = file_sha256(&a.file)?;
        let date = self.date_of(a);
        let day = datavisa_table::date::parse_date(&date).ok_or_else(|| {
            Error::bad_input(format!("--date {date:?} is not a date (use YYYY-MM-DD)"))
        })?;
        datavisa_verdict::register::Register::open(self.store())
            .and_then(|reg| reg.covering_visa(visa, &sha256, &a.recipient, day))?;
        Ok(Read {
            hashed: Hashed::nobody(t.n_rows as u64),
            columns: t.column_names(),
            sensitive_columns: Vec::new(),
            sha256,
            people_from: PeopleFrom::Visa,
        })
    }

    /// The mechanism a transfer needs under the workspace's rules and the asserted facts.
    pub fn plan(&self, a: &TransferRequest, f: &PlanFactsRequest) -> Result<Planned> {
        let rules = rules(self)?;
        let facts = Facts {
            important_data: f.important_data,
            flags: fact_flags(&rules, &f.facts)?,
            ..Default::default()
        };
        let l = self.ledger()?;
        let read = self.read_transfer(&l, a)?;
        let date = self.date_of(a);
        let req = PlanRequest {
            exporter: &a.exporter,
            recipient: &a.recipient,
            date: &date,
            purpose: a.purpose.as_deref(),
            data_types: read.columns.clone(),
            storage_location: f.storage_location.as_deref(),
            facts,
        };
        let plan = l.plan(&rules, req, &read.hashed)?;
        Ok(Planned {
            plan,
            file: FileRef {
                path: a.file.display().to_string(),
                sha256: read.sha256,
            },
            sensitive_columns: read.sensitive_columns,
            people_from: read.people_from,
        })
    }

    /// Records a transfer: its people counted once a year, or not counted under a visa.
    pub fn record_transfer(&self, r: &RecordRequest) -> Result<RecordedTransfer> {
        let a = &r.transfer;
        let mut l = self.ledger()?;
        let read = match &r.visa {
            Some(v) => self.read_visa_transfer(&l, a, v)?,
            None => self.read_transfer(&l, a)?,
        };
        let facts = TransferFacts {
            exporter: a.exporter.clone(),
            recipient: a.recipient.clone(),
            date: self.date_of(a),
            file: a.file.display().to_string(),
            file_sha256: read.sha256.clone(),
            person_column: a.person_column.clone().unwrap_or_default(),
            sensitive_columns: read.sensitive_columns.clone(),
            purpose: a.purpose.clone(),
            legal_basis: r.legal_basis.clone(),
            mechanism: r.mechanism.clone(),
            visa: r.visa.clone(),
        };
        let recorded = l.record(&facts, &read.hashed)?;
        self.note_release(&recorded, &facts)?;
        Ok(RecordedTransfer {
            recorded,
            sensitive_columns: read.sensitive_columns,
            people_from: read.people_from,
        })
    }

    /// A transfer is a release: the visa it went under is marked sent, and the recipient's
    /// other visas on the same source are flagged for re-assessment of the combination.
    fn note_release(&self, recorded: &Recorded, facts: &TransferFacts) -> Result<()> {
        use datavisa_verdict::register::Register;
        if recorded.already_recorded || !Register::exists_in(self.store()) {
            return Ok(());
        }
        let mut reg = Register::open(self.store())?;
        if let Some(v) = &facts.visa {
            if reg.visa(v)?.sent_on.is_none() {
                let day = datavisa_table::date::parse_date(&facts.date).unwrap_or(self.today());
                reg.mark_sent(v, day)?;
            }
        }
        reg.flag_new_release(
            &facts.recipient,
            &facts.file_sha256,
            &format!("transfer {}", recorded.transfer_id),
        )?;
        Ok(())
    }

    /// Registers an exporter.
    pub fn add_exporter(
        &self,
        name: &str,
        ciio: bool,
        group: Option<&str>,
        ftz: Option<&str>,
    ) -> Result<Exporter> {
        Ok(self.ledger()?.add_exporter(name, ciio, group, ftz)?)
    }

    /// Every exporter.
    pub fn exporters(&self) -> Result<Vec<Exporter>> {
        Ok(self.ledger()?.exporters()?)
    }

    /// Registers a recipient.
    pub fn add_recipient(&self, name: &str, jurisdiction: &str) -> Result<Recipient> {
        Ok(self.ledger()?.add_recipient(name, jurisdiction)?)
    }

    /// Registers a recipient by its id (the spec's recipient id), with its legal name.
    pub fn add_recipient_named(
        &self,
        name: &str,
        jurisdiction: &str,
        legal_name: Option<&str>,
    ) -> Result<Recipient> {
        Ok(self
            .ledger()?
            .add_recipient_named(name, jurisdiction, legal_name)?)
    }

    /// Every recipient.
    pub fn recipients(&self) -> Result<Vec<Recipient>> {
        Ok(self.ledger()?.recipients()?)
    }

    /// Records a filing or certificate.
    pub fn add_filing(&self, f: &NewFiling) -> Result<Filing> {
        Ok(self.ledger()?.add_filing(f)?)
    }

    /// Every filing.
    pub fn filings(&self) -> Result<Vec<Filing>> {
        Ok(self.ledger()?.filings(None)?)
    }

    /// Marks a day as a public holiday or a make-up working day.
    pub fn set_calendar_day(&self, day: &CalendarDay) -> Result<()> {
        Ok(self
            .ledger()?
            .set_calendar_day(&day.date, day.working, &day.name)?)
    }

    /// Loads a holiday CSV; a file with a bad line loads nothing.
    pub fn import_holidays(&self, file: &Path) -> Result<usize> {
        let text = std::fs::read_to_string(file)
            .map_err(|e| Error::bad_input(format!("cannot read {}: {e}", file.display())))?;
        let days = parse_holidays(file, &text)?;
        let mut l = self.ledger()?;
        for (i, d) in days.iter().enumerate() {
            l.set_calendar_day(&d.date, d.working, &d.name)
                .map_err(|e| Error::bad_input(format!("{}: day {}: {e}", file.display(), i + 1)))?;
        }
        Ok(days.len())
    }

    /// The holiday calendar.
    pub fn calendar(&self) -> Result<Vec<CalendarDay>> {
        Ok(self
            .ledger()?
            .calendar()?
            .into_iter()
            .map(|(date, working, name)| CalendarDay {
                date,
                working,
                name,
            })
            .collect())
    }

    /// Every deadline as of a day (today by default).
    pub fn due(&self, as_of: Option<&str>) -> Result<DueList> {
        let as_of = as_of
            .map(str::to_owned)
            .unwrap_or_else(|| datavisa_table::date::format_date(self.today()));
        let l = self.ledger()?;
        Ok(DueList {
            due: l.due(&as_of)?,
            calendar_days: l.calendar()?.len(),
            as_of,
        })
    }

    /// The whole ledger as one document, written to `output`.
    pub fn export_ledger(&self, output: &Path) -> Result<()> {
        self.guard(output, &[])?;
        let doc = self.ledger()?.export()?;
        crate::evidence::write_json(output, &doc)
    }

    /// Restores a ledger document; returns the rows restored.
    pub fn import_ledger(&self, file: &Path) -> Result<u64> {
        let text = std::fs::read_to_string(file)
            .map_err(|e| Error::bad_input(format!("cannot read {}: {e}", file.display())))?;
        let doc: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| Error::bad_input(format!("{}: {e}", file.display())))?;
        Ok(self.ledger()?.import(&doc)?)
    }

    /// The year's counts and mechanisms under the workspace's rules (this year by default).
    pub fn year_report(&self, year: Option<i64>) -> Result<YearReport> {
        let year = year.unwrap_or_else(|| datavisa_table::date::civil_from_days(self.today()).0);
        let rules = rules(self)?;
        Ok(YearReport {
            year,
            exporters: self.ledger()?.year_report(&rules, year)?,
        })
    }
}

/// A filing or certificate as a front end records it.
pub use datavisa_ledger::filings::NewFiling;
