//! `datavisa ledger ...` and `datavisa plan`: reading the transfer's file, hashing its people
//! through the ledger, printing what the ledger and the rules say.

use crate::commands::{load, write_json, UsageError};
use crate::output::{print_items, print_json, table};
use crate::{
    ExporterCommand, FilingCommand, Format, HolidayCommand, LedgerCommand, PlanFacts,
    RecipientCommand, StoreArgs, TransferArgs,
};
use anyhow::{Context, Result};
use datavisa_discover::{scan, ScanOptions};
use datavisa_ledger::filings::NewFiling;
use datavisa_ledger::plan::PlanRequest;
use datavisa_ledger::{Facts, Hashed, Ledger, LedgerError, People, Rules, TransferFacts};
use datavisa_table::{file_sha256, ColumnData, Table, MISSING};
use serde_json::json;
use std::path::Path;

/// Maps ledger errors: bad input exits 2, the rest 1.
fn ledger_err(e: LedgerError) -> anyhow::Error {
    match e {
        LedgerError::Sql(_) | LedgerError::Io { .. } => e.into(),
        other => UsageError(other.to_string()).into(),
    }
}

fn open(s: &StoreArgs) -> Result<Ledger> {
    Ledger::open(&s.store).map_err(ledger_err)
}

/// Each row's person identifier (None when missing) as text.
fn person_ids(t: &Table, column: &str) -> Result<Vec<Option<String>>> {
    let c = t.column(column).map_err(|_| {
        UsageError(format!(
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
        let c = t
            .column(name)
            .map_err(|_| UsageError(format!("sensitive column {name:?} is not in the file")))?;
        for (r, slot) in out.iter_mut().enumerate() {
            *slot |= match &c.data {
                ColumnData::Categorical(cat) => cat.codes()[r] != MISSING,
                ColumnData::Numeric(v) => !v[r].is_nan(),
            };
        }
    }
    Ok(out)
}

/// What `record` and `plan` read from a transfer's file.
struct Read {
    hashed: Hashed,
    columns: Vec<String>,
    sensitive_columns: Vec<String>,
    sha256: String,
}

fn read_transfer(l: &Ledger, a: &TransferArgs, quiet: bool) -> Result<Read> {
    l.exporter(&a.exporter).map_err(ledger_err)?;
    l.recipient(&a.recipient).map_err(ledger_err)?;
    let (t, _) = load(&a.file, &a.read, quiet)?;
    let sensitive_columns: Vec<String> = match &a.sensitive_columns {
        // `--sensitive-columns ''` says: none.
        Some(c) => c.iter().filter(|x| !x.trim().is_empty()).cloned().collect(),
        None => scan(&t, &a.file.display().to_string(), &ScanOptions::default())
            .columns
            .into_iter()
            .filter(|c| c.sensitive_category.is_some())
            .map(|c| c.name)
            .collect(),
    };
    let person = a.person_column.as_deref().ok_or_else(|| {
        UsageError(
            "--person-column is required: it names the column that identifies a person".into(),
        )
    })?;
    let ids = person_ids(&t, person)?;
    let people = People {
        ids: ids.iter().map(|v| v.as_deref()).collect(),
        sensitive: sensitive_rows(&t, &sensitive_columns, a.sensitive)?,
    };
    Ok(Read {
        hashed: l.hash_people(&people),
        columns: t.column_names(),
        sensitive_columns,
        sha256: file_sha256(&a.file)?,
    })
}

/// A twin sent under a visa: the register must show an in-force `anonymized` visa for this
/// recipient and exactly this content; nothing about people is read or hashed.
fn read_visa_transfer(l: &Ledger, a: &TransferArgs, visa: &str, quiet: bool) -> Result<Read> {
    l.exporter(&a.exporter).map_err(ledger_err)?;
    l.recipient(&a.recipient).map_err(ledger_err)?;
    let (t, _) = load(&a.file, &a.read, quiet)?;
    let sha256 = file_sha256(&a.file)?;
    let date = date_of(a);
    let day = datavisa_table::date::parse_date(&date)
        .ok_or_else(|| UsageError(format!("--date {date:?} is not a date (use YYYY-MM-DD)")))?;
    datavisa_verdict::register::Register::open(&a.store.store)
        .and_then(|reg| reg.covering_visa(visa, &sha256, &a.recipient, day))
        .map_err(crate::verdict::verdict_err)?;
    Ok(Read {
        hashed: Hashed {
            ordinary: Vec::new(),
            sensitive: Vec::new(),
            missing: 0,
            rows: t.n_rows as u64,
        },
        columns: t.column_names(),
        sensitive_columns: Vec::new(),
        sha256,
    })
}

fn date_of(a: &TransferArgs) -> String {
    a.date.clone().unwrap_or_else(datavisa_ledger::store::today)
}

/// `datavisa plan`.
pub fn plan_cmd(
    a: &TransferArgs,
    f: &PlanFacts,
    rules: Option<&Path>,
    format: Format,
    quiet: bool,
) -> Result<()> {
    let rules = match rules {
        Some(p) => Rules::parse(
            &std::fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display()))?,
        )
        .map_err(ledger_err)?,
        None => Rules::builtin(),
    };
    let l = open(&a.store)?;
    let read = read_transfer(&l, a, quiet)?;
    let mut facts = Facts {
        important_data: f.important_data,
        ..Default::default()
    };
    for (on, flag) in [
        (f.no_personal_information, "no-personal-information"),
        (f.collected_abroad, "collected-abroad"),
        (f.contract_necessity, "contract-necessity"),
        (f.hr_management, "hr-management"),
        (f.emergency, "emergency"),
        (f.ftz_off_list, "ftz-off-list"),
    ] {
        if on {
            facts.flags.insert(flag.to_owned());
        }
    }
    let date = date_of(a);
    let req = PlanRequest {
        exporter: &a.exporter,
        recipient: &a.recipient,
        date: &date,
        purpose: a.purpose.as_deref(),
        data_types: read.columns.clone(),
        storage_location: f.storage_location.as_deref(),
        facts,
    };
    let p = l.plan(&rules, req, &read.hashed).map_err(ledger_err)?;
    if format == Format::Json {
        let mut v = serde_json::to_value(&p)?;
        v["file"] = json!({"path": a.file.display().to_string(), "sha256": read.sha256});
        v["sensitive_columns"] = json!(read.sensitive_columns);
        return print_json(&v);
    }
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
        println!("exemptions to consider (pass the flag if the fact holds):");
        for e in &p.exemptions_to_consider {
            println!("  {} --{}: {} [{}]", e.id, e.flag, e.summary, e.source);
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
                let e = open(&store)?
                    .add_exporter(&name, ciio, group.as_deref(), ftz.as_deref())
                    .map_err(ledger_err)?;
                println!(
                    "exporter {:?} registered{}",
                    e.name,
                    if e.ciio { " (CIIO)" } else { "" }
                );
            }
            ExporterCommand::List { store, format } => {
                let list = open(&store)?.exporters().map_err(ledger_err)?;
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
                let r = open(&store)?
                    .add_recipient(&name, &jurisdiction)
                    .map_err(ledger_err)?;
                println!("recipient {:?} ({}) registered", r.name, r.jurisdiction);
            }
            RecipientCommand::List { store, format } => {
                let list = open(&store)?.recipients().map_err(ledger_err)?;
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
            let mut l = open(&a.store)?;
            let read = match &visa {
                Some(v) => read_visa_transfer(&l, &a, v, quiet)?,
                None => read_transfer(&l, &a, quiet)?,
            };
            let facts = TransferFacts {
                exporter: a.exporter.clone(),
                recipient: a.recipient.clone(),
                date: date_of(&a),
                file: a.file.display().to_string(),
                file_sha256: read.sha256.clone(),
                person_column: a.person_column.clone().unwrap_or_default(),
                sensitive_columns: read.sensitive_columns.clone(),
                purpose: a.purpose.clone(),
                legal_basis,
                mechanism,
                visa,
            };
            let r = l.record(&facts, &read.hashed).map_err(ledger_err)?;
            if format == Format::Json {
                let mut v = serde_json::to_value(&r)?;
                v["sensitive_columns"] = json!(read.sensitive_columns);
                return print_json(&v);
            }
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
                let f = open(&a.store)?
                    .add_filing(&NewFiling {
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
                    })
                    .map_err(ledger_err)?;
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
                let list = open(&store)?.filings(None).map_err(ledger_err)?;
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
                open(&store)?
                    .set_calendar_day(&date, working, &name)
                    .map_err(ledger_err)?;
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
                let mut l = open(&store)?;
                let text = std::fs::read_to_string(&file)
                    .with_context(|| format!("cannot read {}", file.display()))?;
                let mut n = 0;
                for (i, line) in text.lines().enumerate() {
                    let f: Vec<&str> = line.splitn(3, ',').map(str::trim).collect();
                    if line.trim().is_empty() || (i == 0 && f[0].eq_ignore_ascii_case("date")) {
                        continue;
                    }
                    let working = match f.get(1).copied() {
                        Some("1" | "true" | "working") => true,
                        Some("0" | "false" | "holiday") | None => false,
                        Some(o) => {
                            return Err(UsageError(format!(
                                "{}:{}: working must be 0 or 1, not {o:?}",
                                file.display(),
                                i + 1
                            ))
                            .into())
                        }
                    };
                    l.set_calendar_day(f[0], working, f.get(2).copied().unwrap_or(""))
                        .map_err(|e| UsageError(format!("{}:{}: {e}", file.display(), i + 1)))?;
                    n += 1;
                }
                println!("{n} calendar day(s) loaded");
            }
            HolidayCommand::List { store } => {
                let rows: Vec<Vec<String>> = open(&store)?
                    .calendar()
                    .map_err(ledger_err)?
                    .into_iter()
                    .map(|(d, w, n)| {
                        vec![
                            d,
                            if w {
                                "working".into()
                            } else {
                                "holiday".into()
                            },
                            n,
                        ]
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
            let as_of = as_of.unwrap_or_else(datavisa_ledger::store::today);
            let l = open(&store)?;
            let list = l.due(&as_of).map_err(ledger_err)?;
            let calendar_days = l.calendar().map_err(ledger_err)?.len();
            if format == Format::Json {
                return print_json(
                    &json!({"as_of": as_of, "calendar_days": calendar_days, "due": list}),
                );
            }
            let rows: Vec<Vec<String>> = list
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
            if calendar_days == 0 {
                eprintln!("note: no public holidays loaded (`datavisa ledger holiday import`); working days count Monday to Friday only");
            }
        }
        LedgerCommand::Export { output, store } => {
            let doc = open(&store)?.export().map_err(ledger_err)?;
            write_json(&output, &doc)?;
            println!("ledger written to {}", output.display());
        }
        LedgerCommand::Import { file, store } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let doc: serde_json::Value = serde_json::from_str(&text)
                .map_err(|e| UsageError(format!("{}: {e}", file.display())))?;
            let n = open(&store)?.import(&doc).map_err(ledger_err)?;
            println!("{n} rows restored");
        }
        LedgerCommand::Report {
            year,
            store,
            format,
        } => {
            let year = year.unwrap_or_else(|| {
                datavisa_table::date::civil_from_days(datavisa_table::date::today()).0
            });
            let rep = open(&store)?
                .year_report(&Rules::builtin(), year)
                .map_err(ledger_err)?;
            if format == Format::Json {
                return print_json(&json!({"year": year, "exporters": rep}));
            }
            let rows: Vec<Vec<String>> = rep
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
            println!("year {year}");
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
        let ids = person_ids(&part, "身份证号")?;
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
