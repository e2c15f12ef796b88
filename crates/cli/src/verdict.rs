//! `datavisa assess` and `datavisa visa ...`: flags → request → workspace → print.

use crate::front::{workspace, CliSecrets};
use crate::output::{code_cell, code_or, heads, print_items, print_json, say};
use crate::{AssessArgs, AssessCommand, Format, ReviewArgs, VaultArgs, VisaCommand};
use anyhow::Result;
use datavisa_workflow::assess::{
    AssessRequest, Assessed, IssueRequest, ListRequest, ReviewRequest, VisaView,
};
use datavisa_workflow::attest::{AttestRequest, ExportKitRequest};
use datavisa_workflow::i18n::Msg;
use datavisa_workflow::{day_of, FixedClock, Workspace};
use std::path::Path;

/// A workspace on `store` whose "today" is `as_of` when given.
fn ws_on(store: &Path, secrets: CliSecrets, as_of: Option<&str>, quiet: bool) -> Result<Workspace> {
    let ws = workspace(store, secrets, quiet)?;
    let today = day_of(&ws, as_of, "--as-of")?;
    Ok(ws.with_clock(FixedClock(today)))
}

fn secrets_of(v: &VaultArgs) -> CliSecrets {
    CliSecrets {
        master_key_file: v.master_key_file.clone(),
        ..Default::default()
    }
}

/// A flag `datavisa assess` needs.
fn required<'a, T>(v: &'a Option<T>, flag: &str) -> Result<&'a T> {
    v.as_ref()
        .ok_or_else(|| anyhow::anyhow!("{flag} is required to assess a twin"))
}

/// `datavisa assess --kit`: the recipient's own assessment, signed.
fn attest_cmd(a: &AssessArgs, kit: &Path, quiet: bool) -> Result<()> {
    let req = AttestRequest {
        kit: kit.to_path_buf(),
        twin: required(&a.twin, "--twin")?.clone(),
        holds: a.holds.clone(),
        signing_key: required(&a.signing_key, "--signing-key")?.clone(),
        output: required(&a.output, "-o")?.clone(),
    };
    let ws = workspace(&a.vault.store, CliSecrets::default(), quiet)?;
    let done = ws.attest(&req)?;
    if done.new_key {
        eprintln!(
            "made a new signing key in {} (keep it; its public key {} identifies you)",
            req.signing_key.display(),
            done.body.public_key
        );
    }
    match a.format {
        Format::Json => print_json(&done),
        Format::Human => {
            println!(
                "attestation {} signed: {} in your environment ({})",
                done.file,
                done.body.verdict.as_str(),
                done.body.reasons.join("; ")
            );
            Ok(())
        }
    }
}

/// `datavisa assess`.
pub fn assess_cmd(a: &AssessArgs, quiet: bool) -> Result<()> {
    if let Some(kit) = &a.kit {
        return attest_cmd(a, kit, quiet);
    }
    let read: datavisa_workflow::ReadRequest = (&a.read).into();
    let req = AssessRequest {
        spec: read.required_spec()?,
        twin: required(&a.twin, "--twin")?.clone(),
        source: required(&a.source, "--source")?.clone(),
        recipient: required(&a.recipient, "--recipient")?.clone(),
        control: a.control.clone(),
        kind: a.kind.clone(),
        params: datavisa_workflow::verdict::AssessParams {
            n_attacks: a.n_attacks,
            max_attacks: a.max_attacks,
            max_attempts: a.max_attempts,
            seed: a.seed,
            ..Default::default()
        },
        read,
        twin_read: datavisa_workflow::ReadRequest {
            delimiter: a.twin_delimiter.clone(),
            encoding: a.twin_encoding.clone(),
            no_header: a.twin_no_header,
            ..Default::default()
        },
    };
    let assessed = workspace(&a.vault.store, secrets_of(&a.vault), quiet)?.assess(&req)?;
    if let Some(o) = &a.output {
        datavisa_workflow::write_json(o, &assessed)?;
    }
    match a.format {
        Format::Json => print_json(&assessed),
        Format::Human => {
            print_assessment(&assessed)?;
            Ok(())
        }
    }
}

/// `datavisa assess list|show`.
pub fn assess_action(c: AssessCommand, quiet: bool) -> Result<()> {
    match c {
        AssessCommand::List {
            twin,
            recipient,
            store,
            format,
        } => {
            let ws = workspace(&store.store, CliSecrets::default(), quiet)?;
            let list = ws.assessments(&ListRequest { twin, recipient })?;
            print_items(
                &list,
                format,
                &heads(&[
                    "assessment",
                    "created",
                    "recipient",
                    "verdict",
                    "twin",
                    "sha256",
                ]),
                40,
                |x| {
                    vec![
                        x.id.clone(),
                        x.created_at.clone(),
                        x.recipient.clone(),
                        code_cell(x.verdict.as_str(), x.verdict.msg()),
                        x.twin_path.clone(),
                        x.twin_sha256[..12.min(x.twin_sha256.len())].into(),
                    ]
                },
            )
        }
        AssessCommand::Export {
            twin,
            recipient,
            output,
            store,
            format,
        } => {
            let ws = workspace(&store.store, CliSecrets::default(), quiet)?;
            let k = ws.export_kit(&ExportKitRequest {
                twin,
                recipient,
                output,
            })?;
            match format {
                Format::Json => print_json(&k),
                Format::Human => {
                    say(Msg::new("cli.assess.kit")
                        .arg("file", k.file.to_string())
                        .arg("sha", k.kit_sha256.to_string())
                        .arg("assessment", k.assessment.to_string())
                        .arg("recipient", k.kit.recipient.id.to_string()));
                    Ok(())
                }
            }
        }
        AssessCommand::Import {
            file,
            store,
            format,
        } => {
            let ws = workspace(&store.store, CliSecrets::default(), quiet)?;
            let r = ws.import_attestation(&file)?;
            match format {
                Format::Json => print_json(&r),
                Format::Human => {
                    say(Msg::new("cli.assess.attestation")
                        .arg("id", r.id.to_string())
                        .arg("recipient", r.recipient.to_string())
                        .arg("verdict", code_or(r.verdict.as_str(), r.verdict.msg()))
                        .arg("key", r.public_key.to_string()));
                    Ok(())
                }
            }
        }
        AssessCommand::Show { id, store, format } => {
            let ws = workspace(&store.store, CliSecrets::default(), quiet)?;
            let a = ws.assessment(&id)?;
            match format {
                Format::Json => print_json(&a),
                Format::Human => print_assessment(&a),
            }
        }
    }
}

fn print_assessment(a: &Assessed) -> Result<()> {
    use datavisa_workflow::i18n::Note;
    use datavisa_workflow::report::{check_msg, evidence_text, headline, plan_msg};
    let lang = crate::front::lang();
    let say = |m: Msg| println!("{}", m.render(lang));
    println!("{}", headline(a).0.get(lang));
    let x = &a.assessment;
    let why = match &x.context.why {
        Note::Said { msg, .. } => msg.render(lang),
        Note::Plain(t) => t.clone(),
    };
    say(Msg::new("cli.assessment")
        .arg("id", &a.id)
        .arg("context", x.context.context.msg())
        .arg("why", why));
    say(Msg::new("cli.checks"));
    for c in x.all_checks() {
        say(Msg::new("cli.check")
            .arg("scope", Msg::new(&format!("scope.{}", c.scope)))
            .arg("line", check_msg(c)));
    }
    say(Msg::new("cli.evidence"));
    for r in &x.attacks {
        say(Msg::new("cli.evidence_line")
            .arg("figure", datavisa_workflow::verdict::figure_msg(&r.label))
            .arg("scope", Msg::new(&format!("scope.{}", r.scope)))
            .arg("evidence", evidence_text(r).get(lang)));
    }
    if let Some(p) = &x.plan {
        say(Msg::new("cli.plan").arg("plan", plan_msg(p)));
    }
    print_utility(x);
    for o in &a.on_record.others {
        say(Msg::new("cli.other_assessment")
            .arg("recipient", &x.recipient.id)
            .arg("id", &o.id)
            .arg("verdict", o.verdict.msg())
            .arg("date", &o.created_at));
    }
    for v in &a.on_record.visas {
        let over = match &v.override_reason {
            Some(r) => Msg::new("report.visa_override").arg("reason", r).into(),
            None => datavisa_workflow::i18n::Arg::Text(String::new()),
        };
        say(Msg::new("cli.visa_on_record")
            .arg("id", &v.id)
            .arg("verdict", v.verdict.msg())
            .arg("state", Msg::new(&format!("visa_state.{}", v.state)))
            .arg("override", over));
    }
    for r in &x.reasons {
        let text = r
            .msg
            .as_ref()
            .map_or_else(|| r.text.clone(), |m| m.render(lang));
        println!("- {text}");
    }
    for n in &x.notes {
        say(Msg::new("cli.note").arg("note", n.get(lang)));
    }
    Ok(())
}

/// The utility lines: a generalized twin's against the original values, with the
/// same-generalization comparison labelled as secondary.
fn print_utility(x: &datavisa_workflow::verdict::Assessment) {
    let lang = crate::front::lang();
    let f4 = |v: f64| format!("{v:.4}");
    let say = |m: Msg| println!("{}", m.render(lang));
    if let Some(g) = &x.generalized_utility {
        let o = &g.against_original;
        say(Msg::new("cli.utility_original")
            .arg("score", f4(o.score))
            .arg("information", f4(o.information))
            .arg("queries", f4(o.queries.score))
            .arg("n", o.queries.n_queries.to_string())
            .arg("suppressed", o.suppressed_records.to_string())
            .arg("rows", o.rows.to_string()));
        for c in &o.columns {
            say(Msg::new("cli.utility_column")
                .arg("column", &c.column)
                .arg("information", f4(c.information))
                .arg("loss", f4(c.loss))
                .arg("entropy", f4(c.entropy_loss))
                .arg("suppressed", f4(c.suppressed_share))
                .arg("error", c.query_error.map_or("—".into(), f4)));
        }
        if let Some(s) = &g.same_generalization {
            say(Msg::new("cli.utility_secondary").arg("score", f4(s.score)));
        }
    } else if let Some(u) = x.utility_figures() {
        say(Msg::new("cli.utility")
            .arg("score", f4(u.score))
            .arg("columns", f4(u.column_score))
            .arg("pairs", f4(u.pair_score))
            .arg("queries", f4(u.workload_score)));
    }
}

fn print_visas(vs: &[VisaView], format: Format) -> Result<()> {
    print_items(
        vs,
        format,
        &heads(&[
            "visa",
            "recipient",
            "verdict",
            "status",
            "issued",
            "review",
            "twin",
            "review_flags",
        ]),
        40,
        |v| {
            vec![
                v.visa.id.clone(),
                v.visa.recipient.clone(),
                code_cell(v.visa.verdict.as_str(), v.visa.verdict.msg()),
                code_cell(&v.status, Msg::new(&format!("status.{}", v.status))),
                v.visa.issued_on.clone(),
                v.visa.review_on.clone(),
                v.visa.twin_path.clone(),
                v.visa.review_flags.len().to_string(),
            ]
        },
    )
}

/// `datavisa visa ...`.
pub fn visa_cmd(c: VisaCommand, quiet: bool) -> Result<()> {
    let none = CliSecrets::default;
    match c {
        VisaCommand::Issue {
            assessment,
            review_months,
            conditions,
            override_reason,
            as_of,
            store,
            format,
        } => {
            let ws = ws_on(&store.store, none(), as_of.as_deref(), quiet)?;
            let v = ws.issue_visa(&IssueRequest {
                assessment,
                review_months,
                conditions,
                override_reason,
            })?;
            match format {
                Format::Json => print_json(&v),
                Format::Human => {
                    let x = &v.visa;
                    let conditions = if x.conditions.is_empty() {
                        Msg::new("value.none").into()
                    } else {
                        datavisa_workflow::i18n::Arg::from(
                            x.conditions
                                .iter()
                                .map(|c| datavisa_workflow::certificate::condition_msg(c))
                                .collect::<Vec<_>>(),
                        )
                    };
                    let m = Msg::new("cli.visa_issued")
                        .arg("id", &x.id)
                        .arg("verdict", x.verdict.msg())
                        .arg("recipient", &x.recipient)
                        .arg("review", &x.review_on)
                        .arg("status", Msg::new(&format!("status.{}", v.status)))
                        .arg("conditions", conditions);
                    println!("{}", m.render(crate::front::lang()));
                    Ok(())
                }
            }
        }
        VisaCommand::List {
            as_of,
            spec,
            store,
            format,
        } => {
            let ws = ws_on(&store.store, none(), as_of.as_deref(), quiet)?;
            print_visas(&ws.visas(spec.as_deref())?, format)
        }
        VisaCommand::Show {
            id,
            as_of,
            store,
            format,
        } => {
            let ws = ws_on(&store.store, none(), as_of.as_deref(), quiet)?;
            let d = ws.visa(&id)?;
            match format {
                Format::Json => print_json(&d),
                Format::Human => {
                    let j = serde_json::to_value(&d)?;
                    for (k, val) in j.as_object().into_iter().flatten() {
                        let text = val.as_str().map_or_else(|| val.to_string(), str::to_owned);
                        let id = format!("cli.visa.field.{k}");
                        let label = if datavisa_workflow::i18n::has(&id) {
                            crate::output::tr(Msg::new(&id))
                        } else {
                            k.clone()
                        };
                        say(Msg::new("cli.visa.field_line")
                            .arg("label", label)
                            .arg("value", text));
                    }
                    Ok(())
                }
            }
        }
        VisaCommand::Revoke {
            id,
            reason,
            as_of,
            store,
            format,
        } => {
            let ws = ws_on(&store.store, none(), as_of.as_deref(), quiet)?;
            let v = ws.revoke_visa(&id, &reason)?;
            match format {
                Format::Json => print_json(&v),
                Format::Human => {
                    say(Msg::new("cli.visa.revoked")
                        .arg("id", &id)
                        .arg("reason", &reason));
                    Ok(())
                }
            }
        }
        VisaCommand::Void {
            id,
            reason,
            as_of,
            store,
            format,
        } => {
            let ws = ws_on(&store.store, none(), as_of.as_deref(), quiet)?;
            let v = ws.void_visa(&id, &reason)?;
            match format {
                Format::Json => print_json(&v),
                Format::Human => {
                    say(Msg::new("cli.visa.void")
                        .arg("id", &id)
                        .arg("reason", &reason));
                    Ok(())
                }
            }
        }
        VisaCommand::Sent {
            id,
            as_of,
            store,
            format,
        } => {
            let ws = ws_on(&store.store, none(), as_of.as_deref(), quiet)?;
            let v = ws.mark_visa_sent(&id)?;
            match format {
                Format::Json => print_json(&v),
                Format::Human => {
                    say(Msg::new("cli.visa.sent")
                        .arg("id", &id)
                        .arg("twin", &v.visa.twin_path)
                        .arg("recipient", &v.visa.recipient)
                        .arg("date", v.visa.sent_on.as_deref().unwrap_or("?")));
                    Ok(())
                }
            }
        }
        VisaCommand::Review(a) => review_cmd(&a, quiet),
    }
}

/// `datavisa visa review`: re-assess visas with today's profile, policy and register.
fn review_cmd(a: &ReviewArgs, quiet: bool) -> Result<()> {
    let read: datavisa_workflow::ReadRequest = (&a.read).into();
    let ws = ws_on(
        &a.vault.store,
        secrets_of(&a.vault),
        a.as_of.as_deref(),
        quiet,
    )?;
    let req = ReviewRequest {
        spec: read.required_spec()?,
        ids: a.ids.clone(),
        all: a.all,
        read,
    };
    let r = ws.review_visas(&req)?;
    match a.format {
        Format::Json => print_json(&r),
        Format::Human => {
            if r.reviewed.is_empty() {
                say(Msg::new("cli.visa.none_due").arg("date", r.as_of.to_string()));
            }
            for x in &r.reviewed {
                say(x.summary_code.clone());
            }
            Ok(())
        }
    }
}
