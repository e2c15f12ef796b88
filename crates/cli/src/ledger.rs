//! `datavisa ledger ...` and `datavisa plan`: flags → request → workspace → print.

use crate::front::{workspace, CliSecrets};
use crate::output::{code_cell, heads, print_items, print_json, table, tell, tr};
use crate::{
    ExporterCommand, FilingCommand, Format, HolidayCommand, LedgerCommand, PlanFacts,
    RecipientCommand, StoreArgs, TransferArgs,
};
use anyhow::Result;
use datavisa_workflow::i18n::{Arg, Msg};
use datavisa_workflow::ledger::NewFiling;
use datavisa_workflow::ledger::{CalendarDay, PlanFactsRequest, RecordRequest, TransferRequest};
use datavisa_workflow::people::PeopleFrom;
use datavisa_workflow::words::{code_msg, mechanism_msg, rule_msg};
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
fn people_line(from: PeopleFrom) -> Option<Msg> {
    match from {
        // Under a visa the reason it is not counted is printed instead.
        PeopleFrom::File | PeopleFrom::Visa => None,
        PeopleFrom::TwinInVault => Some(Msg::new("cli.people_twin_in_vault")),
        PeopleFrom::TwinSource => Some(Msg::new("cli.people_twin_source")),
        PeopleFrom::Nobody => Some(Msg::new("cli.people_nobody")),
    }
}

/// Prints a message in the run's language.
fn say(m: Msg) {
    println!("{}", m.render(crate::front::lang()));
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
    let alternatives = if p.alternatives.is_empty() {
        Arg::Text(String::new())
    } else {
        Msg::new("cli.plan_alternatives")
            .arg(
                "alternatives",
                p.alternatives
                    .iter()
                    .map(|m| mechanism_msg(m))
                    .collect::<Vec<_>>(),
            )
            .into()
    };
    say(Msg::new("cli.plan_head")
        .arg("exporter", &p.exporter)
        .arg("recipient", &p.recipient)
        .arg("year", p.year.to_string())
        .arg("mechanism", mechanism_msg(&p.mechanism))
        .arg("alternatives", alternatives));
    let c = &p.counts;
    say(Msg::new("cli.plan_people")
        .arg("ob", c.ordinary.before.to_string())
        .arg("oa", c.ordinary.after.to_string())
        .arg("sb", c.sensitive.before.to_string())
        .arg("sa", c.sensitive.after.to_string())
        .arg("file", p.people_in_file.to_string())
        .arg("missing", p.missing_person_ids.to_string()));
    if let Some(line) = people_line(planned.people_from) {
        say(line);
    }
    say(Msg::new("cli.plan_rules").arg("rules", p.rules.join(", ")));
    let rule = |id: &str, summary: &str, source: &str| {
        Msg::new("cli.plan_rule")
            .arg("id", id)
            .arg("summary", rule_msg(id, summary))
            .arg("source", source)
    };
    for r in &p.applied {
        say(rule(&r.id, &r.summary, &r.source));
    }
    if !p.exemptions_to_consider.is_empty() {
        say(Msg::new("cli.plan_exemptions"));
        for e in &p.exemptions_to_consider {
            say(Msg::new("cli.plan_exemption")
                .arg("id", &e.id)
                .arg("flag", &e.flag)
                .arg("summary", rule_msg(&e.id, &e.summary))
                .arg("source", &e.source));
        }
    }
    say(Msg::new("cli.plan_duties"));
    for d in &p.duties {
        say(rule(&d.id, &d.summary, &d.source));
    }
    for w in &p.warning_codes {
        say(Msg::new("cli.warning").arg("warning", w.clone()));
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
                let ciio: Arg = if e.ciio {
                    Msg::new("cli.ledger.ciio_mark").into()
                } else {
                    "".into()
                };
                say(Msg::new("cli.ledger.exporter_added")
                    .arg("name", format!("{:?}", e.name))
                    .arg("ciio", ciio));
            }
            ExporterCommand::List { store, format } => {
                let list = ws(&store, None, quiet)?.exporters()?;
                let o = |x: &Option<String>| x.clone().unwrap_or_default();
                print_items(
                    &list,
                    format,
                    &heads(&["exporter", "ciio", "group", "ftz"]),
                    40,
                    |e| {
                        let ciio = e.ciio.to_string();
                        vec![
                            e.name.clone(),
                            code_cell(&ciio, Msg::new(&format!("bool.{ciio}"))),
                            o(&e.group),
                            o(&e.ftz),
                        ]
                    },
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
                    Some(l) => say(Msg::new("cli.ledger.recipient_added_legal")
                        .arg("name", format!("{:?}", r.name))
                        .arg("legal", l)
                        .arg("jurisdiction", &r.jurisdiction)),
                    None => say(Msg::new("cli.ledger.recipient_added")
                        .arg("name", format!("{:?}", r.name))
                        .arg("jurisdiction", &r.jurisdiction)),
                }
            }
            RecipientCommand::List { store, format } => {
                let list = ws(&store, None, quiet)?.recipients()?;
                print_items(
                    &list,
                    format,
                    &heads(&["recipient", "jurisdiction", "legal_name"]),
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
                let why = datavisa_workflow::i18n::recognised("not_counted.", why);
                say(Msg::new("cli.record_not_counted")
                    .arg("id", &r.transfer_id)
                    .arg("rows", r.rows.to_string())
                    .arg("why", why));
            } else if r.already_recorded {
                say(Msg::new("cli.record_already").arg("id", &r.transfer_id));
            } else {
                say(Msg::new("cli.record_counted")
                    .arg("id", &r.transfer_id)
                    .arg("persons", r.persons.to_string())
                    .arg("sensitive", r.sensitive_persons.to_string())
                    .arg("new", r.new_ordinary.to_string())
                    .arg("new_sensitive", r.new_sensitive.to_string()));
            }
            if let Some(line) = people_line(done.people_from) {
                say(line);
            }
            if r.missing > 0 {
                say(Msg::new("cli.record_missing")
                    .arg("n", r.missing.to_string())
                    .arg(
                        "column",
                        format!("{:?}", a.person_column.as_deref().unwrap_or_default()),
                    ));
            }
            say(Msg::new("cli.record_totals")
                .arg("exporter", &r.exporter)
                .arg("year", r.year.to_string())
                .arg("ordinary", r.totals.ordinary.to_string())
                .arg("sensitive", r.totals.sensitive.to_string()));
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
                let expires: Arg = f.expires.as_ref().map_or("".into(), |e| {
                    Msg::new("cli.ledger.filing_expires").arg("date", e).into()
                });
                say(Msg::new("cli.ledger.filing")
                    .arg("id", f.id.to_string())
                    .arg("kind", &f.kind)
                    .arg("exporter", &f.exporter)
                    .arg("expires", expires));
            }
            FilingCommand::List { store, format } => {
                let list = ws(&store, None, quiet)?.filings()?;
                let o = |x: &Option<String>| x.clone().unwrap_or_default();
                let header = heads(&[
                    "id",
                    "exporter",
                    "kind",
                    "recipient",
                    "effective",
                    "filed",
                    "issued",
                    "expires",
                ]);
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
                let kind = if working {
                    "makeup_day"
                } else {
                    "public_holiday"
                };
                say(Msg::new("cli.ledger.holiday")
                    .arg("date", &date)
                    .arg("kind", Msg::new(&format!("cli.ledger.{kind}"))));
            }
            HolidayCommand::Import { file, store } => {
                let n = ws(&store, None, quiet)?.import_holidays(&file)?;
                say(Msg::new("cli.ledger.holidays_loaded").arg("n", n.to_string()));
            }
            HolidayCommand::List { store } => {
                let rows: Vec<Vec<String>> = ws(&store, None, quiet)?
                    .calendar()?
                    .into_iter()
                    .map(|d| {
                        let kind = if d.working { "working" } else { "holiday" };
                        vec![
                            d.date,
                            tr(Msg::new(&format!("cli.ledger.kind_{kind}"))),
                            d.name,
                        ]
                    })
                    .collect();
                print!("{}", table(&heads(&["date", "kind", "name"]), &rows, 40));
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
                    let what = datavisa_workflow::i18n::recognised("due.", &d.what);
                    vec![
                        d.date.clone(),
                        code_cell(&d.status, code_msg("due_status", &d.status)),
                        d.exporter.clone(),
                        code_cell(&d.kind, code_msg("filing", &d.kind)),
                        what.render(crate::front::lang()),
                        d.rule.clone(),
                    ]
                })
                .collect();
            print!(
                "{}",
                table(
                    &heads(&["date", "status", "exporter", "kind", "what", "rule"]),
                    &rows,
                    70
                )
            );
            if d.calendar_days == 0 {
                tell(
                    Msg::new("cli.ledger.no_holidays")
                        .arg("command", "`datavisa ledger holiday import`"),
                );
            }
        }
        LedgerCommand::Export { output, store } => {
            ws(&store, None, quiet)?.export_ledger(&output)?;
            say(Msg::new("cli.ledger.exported").arg("path", output.display().to_string()));
        }
        LedgerCommand::Import { file, store } => {
            let n = ws(&store, None, quiet)?.import_ledger(&file)?;
            say(Msg::new("cli.ledger.imported").arg("n", n.to_string()));
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
                        code_cell(&e.mechanism, mechanism_msg(&e.mechanism)),
                        e.rules
                            .iter()
                            .filter(|r| r.starts_with('M') || r.starts_with('E'))
                            .cloned()
                            .collect::<Vec<_>>()
                            .join(" "),
                    ]
                })
                .collect();
            say(Msg::new("cli.ledger.year").arg("year", rep.year.to_string()));
            print!(
                "{}",
                table(
                    &heads(&[
                        "exporter",
                        "ordinary",
                        "sensitive",
                        "transfers",
                        "recipients",
                        "mechanism",
                        "rules"
                    ]),
                    &rows,
                    40
                )
            );
        }
    }
    Ok(())
}
