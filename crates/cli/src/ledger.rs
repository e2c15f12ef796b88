//! `datavisa ledger ...` and `datavisa plan`: flags → request → workspace → print.

use crate::commands::{load, write_json};
use crate::front::{workspace, CliSecrets};
use crate::output::{print_items, print_json, table};
use crate::{
    ExporterCommand, FilingCommand, Format, HolidayCommand, LedgerCommand, PlanFacts,
    RecipientCommand, StoreArgs, TransferArgs,
};
use anyhow::Result;
use datavisa_ledger::filings::NewFiling;
use datavisa_ledger::plan::PlanRequest;
use datavisa_ledger::{Facts, Ledger, LedgerError, People, Rules, TransferFacts};
use datavisa_table::{file_sha256, Table};
use datavisa_workflow::ledger::{CalendarDay, PlanFactsRequest, RecordRequest, TransferRequest};
use datavisa_workflow::Workspace;
use serde_json::json;
use std::path::{Path, PathBuf};

fn ledger_err(e: LedgerError) -> anyhow::Error {
    datavisa_workflow::Error::from(e).into()
}

fn ws(s: &StoreArgs, rules: Option<PathBuf>, quiet: bool) -> Result<Workspace> {
    Ok(workspace(&s.store, CliSecrets::default(), quiet)?.with_rules(rules))
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

/// `datavisa plan`.
pub fn plan_cmd(
    a: &TransferArgs,
    f: &PlanFacts,
    rules: Option<&Path>,
    format: Format,
    quiet: bool,
) -> Result<()> {
    let planned = ws(&a.store, rules.map(Path::to_path_buf), quiet)?.plan(&a.into(), &f.into())?;
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
                store,
            } => {
                let r = ws(&store, None, quiet)?.add_recipient(&name, &jurisdiction)?;
                println!("recipient {:?} ({}) registered", r.name, r.jurisdiction);
            }
            RecipientCommand::List { store, format } => {
                let list = ws(&store, None, quiet)?.recipients()?;
                print_items(&list, format, &["recipient", "jurisdiction"], 40, |r| {
                    vec![r.name.clone(), r.jurisdiction.clone()]
                })?;
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
            let done = ws(&a.store, None, quiet)?.record_transfer(&req)?;
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

/// Demo step: three transfers of customers (no sensitive columns) from one exporter to one
/// recipient that together cross the 100,000-person band, with the plan made before the third.
pub fn demo_ledger(
    out: &Path,
    seed: u64,
    as_of: i64,
    quiet: bool,
) -> Result<(Vec<std::path::PathBuf>, serde_json::Value)> {
    let store = out.join("demo-store");
    for f in ["ledger.db", "ledger.key"] {
        let _ = std::fs::remove_file(store.join(f));
    }
    let day = datavisa_table::date::format_date(as_of.min(datavisa_table::date::today()));
    let all = out.join("transfers-people.csv");
    let pb = crate::output::spinner(quiet, "generating 115,000 customers for the ledger demo");
    datavisa_discover::fake::write_customers(&all, 115_000, seed.wrapping_add(1), as_of)?;
    let (t, _) = load(&all, &crate::ReadArgs::default(), true)?;
    pb.finish_and_clear();
    let _ = std::fs::remove_file(&all);
    let keep = [
        "customer_id",
        "身份证号",
        "性别",
        "省份",
        "城市",
        "购买类别",
    ];
    let columns: Vec<datavisa_table::Column> = t
        .columns
        .iter()
        .filter(|c| keep.contains(&c.name.as_str()))
        .cloned()
        .collect();
    let slim = Table::new(columns)?;
    // The third batch repeats 5,000 people of the second: they count once.
    let batches = [(0usize, 45_000usize), (45_000, 85_000), (80_000, 115_000)];
    let mut l = Ledger::open(&store).map_err(ledger_err)?;
    let exporter = "Demo Retail (Shanghai) Co., Ltd.";
    l.add_exporter(exporter, false, Some("Demo Retail Group"), None)
        .map_err(ledger_err)?;
    l.add_recipient("partner-sg", "SG").map_err(ledger_err)?;
    // Each batch is written once and hashed from memory, not read back.
    let mut files = Vec::new();
    let mut hashed = Vec::new();
    for (i, (a, b)) in batches.iter().enumerate() {
        let path = out.join(format!("transfer-{}.csv", i + 1));
        let part = slim.take(&(*a..*b).collect::<Vec<usize>>());
        datavisa_table::write_table(&part, &path)?;
        let ids = datavisa_workflow::ledger::person_ids(&part, "身份证号")?;
        let people = People {
            ids: ids.iter().map(|v| v.as_deref()).collect(),
            sensitive: vec![false; part.n_rows],
        };
        hashed.push((l.hash_people(&people), file_sha256(&path)?));
        files.push(path);
    }
    let record = |l: &mut Ledger, i: usize| -> Result<datavisa_ledger::Recorded> {
        let facts = TransferFacts {
            exporter: exporter.into(),
            recipient: "partner-sg".into(),
            date: day.clone(),
            file: files[i].display().to_string(),
            file_sha256: hashed[i].1.clone(),
            person_column: "身份证号".into(),
            sensitive_columns: vec![],
            purpose: Some("demo: membership analytics".into()),
            legal_basis: Some("demo: separate consent".into()),
            mechanism: None,
            visa: None,
        };
        l.record(&facts, &hashed[i].0).map_err(ledger_err)
    };
    let r1 = record(&mut l, 0)?;
    let r2 = record(&mut l, 1)?;
    let req = PlanRequest {
        exporter,
        recipient: "partner-sg",
        date: &day,
        purpose: None,
        data_types: vec![],
        storage_location: None,
        facts: Facts::default(),
    };
    let plan = l
        .plan(&Rules::builtin(), req, &hashed[2].0)
        .map_err(ledger_err)?;
    let r3 = record(&mut l, 2)?;
    let plan_path = out.join("plan-transfer-3.json");
    write_json(&plan_path, &serde_json::to_value(&plan)?)?;
    files.push(plan_path.clone());
    Ok((
        files,
        json!({"step": "ledger", "store": store.display().to_string(), "exporter": exporter, "recipient": "partner-sg",
               "transfers": [r1.new_ordinary, r2.new_ordinary, r3.new_ordinary],
               "ordinary_total": r3.totals.ordinary,
               "plan": {"file": plan_path.display().to_string(), "mechanism": plan.mechanism,
                        "rules": plan.rules, "counts": plan.counts, "warnings": plan.warnings}}),
    ))
}
