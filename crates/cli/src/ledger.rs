//! `datavisa ledger ...` and `datavisa plan`: flags → request → workspace → print.

use crate::front::{workspace, CliSecrets};
use crate::output::{print_items, print_json, table};
use crate::{
    ExporterCommand, FilingCommand, Format, HolidayCommand, LedgerCommand, PlanFacts,
    RecipientCommand, StoreArgs, TransferArgs,
};
use anyhow::Result;
use datavisa_workflow::ledger::NewFiling;
use datavisa_workflow::ledger::{CalendarDay, PlanFactsRequest, RecordRequest, TransferRequest};
use datavisa_workflow::people::PeopleFrom;
use datavisa_workflow::Workspace;
use std::path::{Path, PathBuf};

fn ws(s: &StoreArgs, rules: Option<PathBuf>, quiet: bool) -> Result<Workspace> {
    Ok(workspace(&s.store, CliSecrets::default(), quiet)?.with_rules(rules))
}

/// The workspace of a transfer: its store, and the master key a twin's people are read with.
fn transfer_ws(a: &TransferArgs, rules: Option<PathBuf>, quiet: bool) -> Result<Workspace> {
    let secrets = CliSecrets {
        master_key_file: a.master_key_file.clone(),
        ..CliSecrets::default()
    };
    Ok(workspace(&a.store.store, secrets, quiet)?.with_rules(rules))
}

impl From<&TransferArgs> for TransferRequest {
    fn from(a: &TransferArgs) -> TransferRequest {
        TransferRequest {
            exporter: a.exporter.clone(),
            recipient: a.recipient.clone(),
            file: a.file.clone(),
            person_column: a.person_column.clone(),
            sensitive_columns: a.sensitive_columns.clone(),
            all_sensitive: a.sensitive,
            date: a.date.clone(),
            purpose: a.purpose.clone(),
            read: (&a.read).into(),
        }
    }
}

impl From<&PlanFacts> for PlanFactsRequest {
    fn from(f: &PlanFacts) -> PlanFactsRequest {
        let mut facts = f.facts.clone();
        // The one-flag-per-exemption spellings of earlier releases, kept as aliases.
        for (on, name) in [
            (f.no_personal_information, "no-personal-information"),
            (f.collected_abroad, "collected-abroad"),
            (f.contract_necessity, "contract-necessity"),
            (f.hr_management, "hr-management"),
            (f.emergency, "emergency"),
            (f.ftz_off_list, "ftz-off-list"),
        ] {
            if on {
                facts.push(name.to_owned());
            }
        }
        PlanFactsRequest {
            important_data: f.important_data,
            facts,
            storage_location: f.storage_location.clone(),
        }
    }
}

/// What the console says of a twin's people (nothing for a plain file).
fn people_line(from: PeopleFrom) -> Option<&'static str> {
    match from {
        // Under a visa the reason it is not counted is printed instead.
        PeopleFrom::File | PeopleFrom::Visa => None,
        PeopleFrom::TwinInVault => {
            Some("a pseudonymized twin: its people are its source's, as the vault recorded them")
        }
        PeopleFrom::TwinSource => Some("a generalized twin: its people are its source's rows"),
        PeopleFrom::Nobody => Some("a synthetic twin: its rows are no one"),
    }
}

/// `datavisa plan`.
pub fn plan_cmd(
    a: &TransferArgs,
    f: &PlanFacts,
    rules: Option<&Path>,
    format: Format,
    quiet: bool,
) -> Result<()> {
    let planned =
        transfer_ws(a, rules.map(Path::to_path_buf), quiet)?.plan(&a.into(), &f.into())?;
    if format == Format::Json {
        return print_json(&planned);
    }
    let p = &planned.plan;
    println!(
        "{} -> {} ({}): {}{}",
        p.exporter,
        p.recipient,
        p.year,
        p.mechanism,
        if p.alternatives.is_empty() {
            String::new()
        } else {
            format!(" (or {})", p.alternatives.join(", "))
        }
    );
    println!(
        "people this year: ordinary {} -> {}, sensitive {} -> {} (file: {} people, {} without an id)",
        p.counts.ordinary.before, p.counts.ordinary.after, p.counts.sensitive.before, p.counts.sensitive.after,
        p.people_in_file, p.missing_person_ids
    );
    if let Some(line) = people_line(planned.people_from) {
        println!("{line}");
    }
    println!("rules: {}", p.rules.join(", "));
    for r in &p.applied {
        println!("  {}: {} [{}]", r.id, r.summary, r.source);
    }
    if !p.exemptions_to_consider.is_empty() {
        println!("exemptions to consider (pass --fact NAME if the fact holds):");
        for e in &p.exemptions_to_consider {
            println!("  {} --fact {}: {} [{}]", e.id, e.flag, e.summary, e.source);
        }
    }
    println!("duties that stay:");
    for d in &p.duties {
        println!("  {}: {} [{}]", d.id, d.summary, d.source);
    }
    for w in &p.warnings {
        println!("warning: {w}");
    }
    Ok(())
}

/// `datavisa ledger ...`.
pub fn ledger_cmd(c: LedgerCommand, quiet: bool) -> Result<()> {
    match c {
        LedgerCommand::Exporter { cmd } => match cmd {
            ExporterCommand::Add {
                name,
                ciio,
                group,
                ftz,
                store,
            } => {
                let e = ws(&store, None, quiet)?.add_exporter(
                    &name,
                    ciio,
                    group.as_deref(),
                    ftz.as_deref(),
                )?;
                println!(
                    "exporter {:?} registered{}",
                    e.name,
                    if e.ciio { " (CIIO)" } else { "" }
                );
            }
            ExporterCommand::List { store, format } => {
                let list = ws(&store, None, quiet)?.exporters()?;
                let o = |x: &Option<String>| x.clone().unwrap_or_default();
                print_items(
                    &list,
                    format,
                    &["exporter", "ciio", "group", "ftz"],
                    40,
                    |e| vec![e.name.clone(), e.ciio.to_string(), o(&e.group), o(&e.ftz)],
                )?;
            }
        },
        LedgerCommand::Recipient { cmd } => match cmd {
            RecipientCommand::Add {
                name,
                jurisdiction,
                legal_name,
                store,
            } => {
                let r = ws(&store, None, quiet)?.add_recipient_named(
                    &name,
                    &jurisdiction,
                    legal_name.as_deref(),
                )?;
                match &r.legal_name {
                    Some(l) => println!(
                        "recipient {:?} ({l}, {}) registered",
                        r.name, r.jurisdiction
                    ),
                    None => println!("recipient {:?} ({}) registered", r.name, r.jurisdiction),
                }
            }
            RecipientCommand::List { store, format } => {
                let list = ws(&store, None, quiet)?.recipients()?;
                print_items(
                    &list,
                    format,
                    &["recipient", "jurisdiction", "legal name"],
                    40,
                    |r| {
                        vec![
                            r.name.clone(),
                            r.jurisdiction.clone(),
                            r.legal_name.clone().unwrap_or_default(),
                        ]
                    },
                )?;
            }
        },
        LedgerCommand::Record {
            transfer: a,
            legal_basis,
            mechanism,
            visa,
            format,
        } => {
            let req = RecordRequest {
                transfer: (&*a).into(),
                legal_basis,
                mechanism,
                visa,
            };
            let done = transfer_ws(&a, None, quiet)?.record_transfer(&req)?;
            if format == Format::Json {
                return print_json(&done);
            }
            let r = &done.recorded;
            if let Some(why) = &r.not_counted_reason {
                println!(
                    "recorded transfer {} of {} rows, not counted: {why}",
                    r.transfer_id, r.rows
                );
            } else if r.already_recorded {
                println!(
                    "transfer {} was already recorded: nothing counted again",
                    r.transfer_id
                );
            } else {
                println!(
                    "recorded transfer {}: {} people ({} with sensitive PI), {} new to this year's count ({} sensitive)",
                    r.transfer_id, r.persons, r.sensitive_persons, r.new_ordinary, r.new_sensitive
                );
            }
            if let Some(line) = people_line(done.people_from) {
                println!("{line}");
            }
            if r.missing > 0 {
                println!(
                    "{} row(s) have no {:?}: not counted (they cannot be told apart)",
                    r.missing,
                    a.person_column.as_deref().unwrap_or_default()
                );
            }
            println!(
                "{} in {}: ordinary {}, sensitive {}",
                r.exporter, r.year, r.totals.ordinary, r.totals.sensitive
            );
        }
        LedgerCommand::Filing { cmd } => match cmd {
            FilingCommand::Add(a) => {
                let a = *a;
                let f = ws(&a.store, None, quiet)?.add_filing(&NewFiling {
                    exporter: a.exporter,
                    kind: a.kind,
                    recipient: a.recipient,
                    effective: a.effective,
                    filed: a.filed,
                    issued: a.issued,
                    expires: a.expires,
                    purpose: a.purpose,
                    scope: a.scope,
                    data_types: a.data_types.unwrap_or_default(),
                    storage_location: a.storage_location,
                })?;
                println!(
                    "filing {} recorded: {} for {}{}",
                    f.id,
                    f.kind,
                    f.exporter,
                    f.expires
                        .as_ref()
                        .map_or(String::new(), |e| format!(", expires {e}"))
                );
            }
            FilingCommand::List { store, format } => {
                let list = ws(&store, None, quiet)?.filings()?;
                let o = |x: &Option<String>| x.clone().unwrap_or_default();
                let header = [
                    "id",
                    "exporter",
                    "kind",
                    "recipient",
                    "effective",
                    "filed",
                    "issued",
                    "expires",
                ];
                print_items(&list, format, &header, 30, |f| {
                    vec![
                        f.id.to_string(),
                        f.exporter.clone(),
                        f.kind.clone(),
                        o(&f.recipient),
                        o(&f.effective),
                        o(&f.filed),
                        o(&f.issued),
                        o(&f.expires),
                    ]
                })?;
            }
        },
        LedgerCommand::Holiday { cmd } => match cmd {
            HolidayCommand::Add {
                date,
                working,
                name,
                store,
            } => {
                ws(&store, None, quiet)?.set_calendar_day(&CalendarDay {
                    date: date.clone(),
                    working,
                    name,
                })?;
                println!(
                    "{date}: {}",
                    if working {
                        "make-up working day"
                    } else {
                        "public holiday"
                    }
                );
            }
            HolidayCommand::Import { file, store } => {
                let n = ws(&store, None, quiet)?.import_holidays(&file)?;
                println!("{n} calendar day(s) loaded");
            }
            HolidayCommand::List { store } => {
                let rows: Vec<Vec<String>> = ws(&store, None, quiet)?
                    .calendar()?
                    .into_iter()
                    .map(|d| {
                        let kind = if d.working { "working" } else { "holiday" };
                        vec![d.date, kind.into(), d.name]
                    })
                    .collect();
                print!("{}", table(&["date", "kind", "name"], &rows, 40));
            }
        },
        LedgerCommand::Due {
            as_of,
            store,
            format,
        } => {
            let d = ws(&store, None, quiet)?.due(as_of.as_deref())?;
            if format == Format::Json {
                return print_json(&d);
            }
            let rows: Vec<Vec<String>> = d
                .due
                .iter()
                .map(|d| {
                    vec![
                        d.date.clone(),
                        d.status.clone(),
                        d.exporter.clone(),
                        d.kind.clone(),
                        d.what.clone(),
                        d.rule.clone(),
                    ]
                })
                .collect();
            print!(
                "{}",
                table(
                    &["date", "status", "exporter", "kind", "what", "rule"],
                    &rows,
                    70
                )
            );
            if d.calendar_days == 0 {
                eprintln!("note: no public holidays loaded (`datavisa ledger holiday import`); working days count Monday to Friday only");
            }
        }
        LedgerCommand::Export { output, store } => {
            ws(&store, None, quiet)?.export_ledger(&output)?;
            println!("ledger written to {}", output.display());
        }
        LedgerCommand::Import { file, store } => {
            let n = ws(&store, None, quiet)?.import_ledger(&file)?;
            println!("{n} rows restored");
        }
        LedgerCommand::Report {
            year,
            rules,
            store,
            format,
        } => {
            let rep = ws(&store, rules, quiet)?.year_report(year)?;
            if format == Format::Json {
                return print_json(&rep);
            }
            let rows: Vec<Vec<String>> = rep
                .exporters
                .iter()
                .map(|e| {
                    vec![
                        e.exporter.clone(),
                        e.counts.ordinary.to_string(),
                        e.counts.sensitive.to_string(),
                        e.transfers.to_string(),
                        e.recipients.join(", "),
                        e.mechanism.clone(),
                        e.rules
                            .iter()
                            .filter(|r| r.starts_with('M') || r.starts_with('E'))
                            .cloned()
                            .collect::<Vec<_>>()
                            .join(" "),
                    ]
                })
                .collect();
            println!("year {}", rep.year);
            print!(
                "{}",
                table(
                    &[
                        "exporter",
                        "ordinary",
                        "sensitive",
                        "transfers",
                        "recipients",
                        "mechanism",
                        "rules"
                    ],
                    &rows,
                    40
                )
            );
        }
    }
    Ok(())
}
