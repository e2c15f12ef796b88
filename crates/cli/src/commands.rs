//! The parsed command line to its verb's front end; and the demo.

use crate::attack::{attack_cmd, risk, utility_cmd};
use crate::output::{code_or, pct, print_json, say, tell};
use crate::{Cli, Command, Format, TwinCommand};
use anyhow::Result;
use datavisa_workflow::i18n::Msg;
use datavisa_workflow::risk::ClassicParams;
use datavisa_workflow::ScanOptions;
use std::path::Path;

/// Runs the parsed command line.
pub fn run(cli: Cli) -> Result<()> {
    let quiet = cli.quiet;
    match cli.command {
        Command::Inspect {
            file,
            read,
            top,
            format,
        } => crate::inspect::inspect_cmd(&file, &read, top, format, quiet),
        Command::Scan {
            file,
            read,
            write_spec,
            sample,
            seed,
            as_of,
            format,
        } => {
            let req = datavisa_workflow::inspect::ScanRequest {
                file,
                read: (&read).into(),
                write_spec,
                options: ScanOptions {
                    sample_size: sample.max(1),
                    seed,
                    reference_date: as_of_date(as_of.as_deref())?,
                    ..Default::default()
                },
            };
            crate::inspect::scan_cmd(&req, format, quiet)
        }
        Command::Attack { attack: a } => attack_cmd(a, quiet),
        Command::Twin { twin } => match twin {
            TwinCommand::Generalize { args, read, format } => {
                crate::generalize::generalize_cmd(&args, &read, format, quiet)
            }
            TwinCommand::Synthesize { args, read, format } => {
                crate::synthesize::synthesize_cmd(&args, &read, format, quiet)
            }
            TwinCommand::Apply {
                recipe,
                input,
                output,
                read,
                text,
                format,
            } => crate::generalize::apply_cmd(
                &recipe,
                (&input, &output),
                (&read, &text),
                format,
                quiet,
            ),
            TwinCommand::Pseudonymize {
                input,
                output,
                recipient,
                vault,
                read,
                text,
                format,
            } => crate::pseudonymize::pseudonymize_cmd(
                (&input, &output),
                &recipient,
                &vault,
                (&read, &text),
                format,
                quiet,
            ),
        },
        Command::Vault { vault } => crate::vault::vault_cmd(vault),
        Command::Relink { relink } => crate::vault::relink_cmd(relink),
        Command::Audit { audit } => crate::vault::audit_cmd(audit),
        Command::User { user } => crate::team::user_cmd(user),
        Command::Token { token } => crate::team::token_cmd(token),
        Command::Serve { args } => crate::team::serve_cmd(&args),
        Command::Ledger { ledger } => crate::ledger::ledger_cmd(ledger, quiet),
        Command::Report { report } => match report {
            crate::ReportCommand::Pipia(a) => crate::pipia::pipia_cmd(&a, quiet),
            crate::ReportCommand::Assessment { id, output, store } => {
                let ws = crate::front::workspace(
                    &store.store,
                    crate::front::CliSecrets::default(),
                    quiet,
                )?;
                ws.assessment_report(
                    &id,
                    &output,
                    crate::front::lang_or(datavisa_workflow::i18n::Lang::En),
                )?;
                tell(Msg::new("cli.wrote").arg("path", output.display().to_string()));
                Ok(())
            }
            crate::ReportCommand::Visa { id, output, store } => {
                let ws = crate::front::workspace(
                    &store.store,
                    crate::front::CliSecrets::default(),
                    quiet,
                )?;
                ws.visa_certificate(&id, &output)?;
                tell(Msg::new("cli.wrote").arg("path", output.display().to_string()));
                Ok(())
            }
        },
        Command::Assess {
            action: Some(a), ..
        } => crate::verdict::assess_action(a, quiet),
        Command::Assess { action: None, args } => crate::verdict::assess_cmd(&args, quiet),
        Command::Visa { visa } => crate::verdict::visa_cmd(visa, quiet),
        Command::Plan {
            transfer,
            facts,
            rules,
            format,
        } => crate::ledger::plan_cmd(&transfer, &facts, rules.as_deref(), format, quiet),
        Command::Check {
            file,
            quasi,
            sensitive,
            models,
            read,
            format,
        } => crate::generalize::check_cmd(&file, &quasi, &sensitive, &models, &read, format, quiet),
        Command::Risk {
            file,
            quasi,
            sensitive,
            k,
            threshold,
            population,
            population_size,
            l,
            c,
            t,
            source,
            holdout,
            samples,
            seed,
            read,
            format,
        } => risk(
            &datavisa_workflow::attack::RiskRequest {
                file,
                params: ClassicParams {
                    quasi,
                    sensitive,
                    k,
                    threshold,
                    population_size,
                    l,
                    c,
                    t,
                },
                population,
                source,
                holdout,
                samples,
                seed,
                read: (&read).into(),
            },
            format,
            quiet,
        ),
        Command::Utility {
            source,
            twin,
            queries,
            seed,
            read,
            format,
        } => utility_cmd(&source, &twin, queries, seed, &read, format, quiet),
        Command::Hierarchy { cmd } => crate::hierarchy::hierarchy_cmd(cmd, quiet),
        Command::Spec { cmd } => crate::import::spec_cmd(cmd, quiet),
        Command::Split {
            input,
            release_output,
            control_output,
            share,
            seed,
            by,
            read,
            format,
        } => {
            let ws = crate::front::local(quiet)?;
            let r = ws.split(&datavisa_workflow::split::SplitRequest {
                input,
                release: release_output,
                control: control_output,
                share,
                seed,
                by,
                read: (&read).into(),
            })?;
            match format {
                Format::Json => crate::output::print_json(&r),
                Format::Human => {
                    crate::output::say(
                        Msg::new("cli.split.done")
                            .arg("release", &r.release.path)
                            .arg("release_rows", r.release.rows.to_string())
                            .arg("release_people", r.people[0].to_string())
                            .arg("control", &r.control.path)
                            .arg("control_rows", r.control.rows.to_string())
                            .arg("control_people", r.people[1].to_string())
                            .arg("seed", r.seed.to_string()),
                    );
                    Ok(())
                }
            }
        }
        Command::Demo {
            out,
            rows,
            seed,
            as_of,
            format,
        } => demo(
            &out,
            rows,
            seed,
            as_of_date(as_of.as_deref())?,
            format,
            quiet,
        ),
    }
}

/// `--as-of` as a day, today by default.
fn as_of_date(s: Option<&str>) -> Result<i64> {
    let ws = crate::front::local(true)?;
    Ok(datavisa_workflow::day_of(&ws, s, "--as-of")?)
}

fn demo(out: &Path, rows: usize, seed: u64, as_of: i64, format: Format, quiet: bool) -> Result<()> {
    // The demo's vault takes DATAVISA_MASTER_KEY when it is set, else makes its own key file.
    let ws = crate::front::local(quiet)?;
    let summary = ws.demo(&datavisa_workflow::demo::DemoRequest {
        out: out.to_path_buf(),
        rows,
        seed,
        as_of,
    })?;
    if format == Format::Json {
        return print_json(&summary);
    }
    print_demo_human(&summary);
    Ok(())
}

/// The demo's story for a person: each step by its name.
fn print_demo_human(summary: &datavisa_workflow::demo::DemoSummary) {
    let st = &summary.steps;
    say(Msg::new("cli.demo.head")
        .arg("rows", summary.rows.to_string())
        .arg("seed", summary.seed.to_string())
        .arg("out", summary.out.to_string()));
    crate::inspect::print_scan_human(&summary.scan_report);
    let r = &st.attack.risk;
    say(Msg::new("cli.demo.raw")
        .arg("risk", pct(r.value))
        .arg("low", pct(r.ci[0]))
        .arg("high", pct(r.ci[1])));
    for a in &st.assess.assessments {
        say(Msg::new("cli.demo.generalized")
            .arg("recipient", a.recipient.to_string())
            .arg("verdict", code_or(a.verdict.as_str(), a.verdict.msg()))
            .arg("report", a.report.to_string()));
    }
    let sy = &st.synthesize;
    say(Msg::new("cli.demo.synthetic")
        .arg("eps", serde_json::Value::from(sy.epsilon).to_string())
        .arg("rows", sy.rows.to_string())
        .arg("score", format!("{:.3}", sy.utility.score))
        .arg("columns", format!("{:.3}", sy.utility.columns))
        .arg("pairs", format!("{:.3}", sy.utility.pairs))
        .arg("seconds", format!("{:.1}", sy.seconds)));
    let ps = &st.pseudonymize;
    let intact = ps.audit.intact;
    say(Msg::new("cli.demo.pseudonymized")
        .arg("recipient", ps.recipient.to_string())
        .arg("request", ps.relink.request.to_string())
        .arg("values", ps.relink.values.to_string())
        .arg(
            "intact",
            code_or(&intact.to_string(), Msg::new(&format!("bool.{intact}"))),
        ));
    let lg = &st.ledger;
    let warning: datavisa_workflow::i18n::Arg = lg
        .plan
        .warning_codes
        .first()
        .map_or_else(|| "".into(), |m| m.clone().into());
    say(Msg::new("cli.demo.ledger")
        .arg("recipient", lg.recipient.to_string())
        .arg("total", lg.ordinary_total.to_string())
        .arg(
            "mechanism",
            code_or(
                &lg.plan.mechanism,
                datavisa_workflow::words::mechanism_msg(&lg.plan.mechanism),
            ),
        )
        .arg("warning", warning));
    say(Msg::new("cli.demo.written"));
    for f in &summary.files {
        println!("  {f}");
    }
}
