//! One function per verb: read inputs, call the library, print or write the result.

use crate::attack::{attack_cmd, risk, utility_cmd, RiskArgs};
use crate::output::{pct, print_json, spinner};
use crate::{Cli, Command, Format, ReadArgs, TwinCommand};
use anyhow::{Context, Result};
use datavisa_discover::{ScanOptions, ScanReport};
use datavisa_risk::classic::ClassicParams;
use datavisa_table::{
    date::parse_date, file_sha256, read_table, write_atomic, write_table, Encoding, ReadOptions,
    Spec, Table, TableError,
};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// A flag with a value the command cannot use.
#[derive(Debug)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// A refusal: a relink step the rules do not allow, or an audit log that fails verification.
#[derive(Debug)]
pub struct Refused(pub String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refused {}

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
                format,
            } => crate::generalize::apply_cmd(&recipe, &input, &output, &read, format, quiet),
            TwinCommand::Pseudonymize {
                input,
                output,
                recipient,
                vault,
                read,
                format,
            } => crate::pseudonymize::pseudonymize_cmd(
                &input, &output, &recipient, &vault, &read, format, quiet,
            ),
        },
        Command::Vault { vault } => crate::vault::vault_cmd(vault),
        Command::Relink { relink } => crate::vault::relink_cmd(relink),
        Command::Audit { audit } => crate::vault::audit_cmd(audit),
        Command::Ledger { ledger } => crate::ledger::ledger_cmd(ledger, quiet),
        Command::Report { report } => match report {
            crate::ReportCommand::Pipia(a) => crate::pipia::pipia_cmd(&a, quiet),
            crate::ReportCommand::Assessment {
                id,
                output,
                lang,
                store,
            } => crate::assessment_report::report_cmd(&id, &output, &lang, &store.store),
        },
        Command::Assess { args } => {
            let a = *args;
            let kind = a
                .kind
                .as_deref()
                .map(datavisa_verdict::TwinKind::parse)
                .transpose()
                .map_err(crate::verdict::verdict_err)?;
            let spec = crate::verdict::required_spec(&a.read)?;
            let job = crate::verdict::AssessJob {
                spec: &spec,
                twin: &a.twin,
                source: &a.source,
                recipient: &a.recipient,
                control: a.control.as_deref(),
                kind,
                params: datavisa_verdict::AssessParams {
                    n_attacks: a.n_attacks,
                    seed: a.seed,
                    ..Default::default()
                },
                vault: &a.vault,
                read: &a.read,
            };
            crate::verdict::assess_cmd(&job, a.output.as_deref(), a.format, quiet)
        }
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
            RiskArgs {
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
            },
            &read,
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

fn as_of_date(s: Option<&str>) -> Result<i64> {
    match s {
        None => Ok(datavisa_table::date::today()),
        Some(s) => parse_date(s).ok_or_else(|| {
            UsageError(format!("--as-of {s:?} is not a date (use YYYY-MM-DD)")).into()
        }),
    }
}

fn parse_delimiter(s: &str) -> Result<u8> {
    match s {
        "tab" | "\\t" | "\t" => Ok(b'\t'),
        s if s.len() == 1 && s.is_ascii() => Ok(s.as_bytes()[0]),
        _ => Err(UsageError(format!(
            "--delimiter {s:?} must be one ASCII character (or 'tab')"
        ))
        .into()),
    }
}

/// Builds read options from flags, falling back to the spec's `[source]`.
pub fn read_options(args: &ReadArgs, spec: Option<&Spec>) -> Result<ReadOptions> {
    let source = spec.and_then(|s| s.source.as_ref());
    let mut o = ReadOptions::default();
    let delimiter = args
        .delimiter
        .clone()
        .or_else(|| source.and_then(|s| s.delimiter.clone()));
    if let Some(d) = delimiter {
        o.delimiter = Some(parse_delimiter(&d)?);
    }
    let encoding = args
        .encoding
        .clone()
        .or_else(|| source.and_then(|s| s.encoding.clone()));
    if let Some(e) = encoding {
        o.encoding = e.parse::<Encoding>()?;
    }
    o.has_header = !args.no_header && source.and_then(|s| s.header).unwrap_or(true);
    if let Some(na) = args
        .na
        .clone()
        .or_else(|| source.and_then(|s| s.missing.clone()))
    {
        o.missing_tokens = na;
    }
    o.max_field_bytes = args.max_field_bytes;
    if let Some(s) = spec {
        o.types = s.declared_types();
    }
    Ok(o)
}

/// Reads a table as the flags and spec say, checking the spec's columns against it.
pub fn load(file: &Path, args: &ReadArgs, quiet: bool) -> Result<(Table, f64)> {
    let spec = args.spec.as_deref().map(Spec::load).transpose()?;
    let opts = read_options(args, spec.as_ref())?;
    let pb = spinner(quiet, &format!("reading {}", file.display()));
    let t0 = Instant::now();
    let t = read_table(file, &opts)?;
    let secs = t0.elapsed().as_secs_f64();
    pb.finish_and_clear();
    if let Some(s) = &spec {
        s.check_columns(&t)?;
    }
    if args.strict {
        check_not_mixed(file, &t)?;
    }
    Ok((t, secs))
}

/// The tool's name and version, recorded with every result.
pub fn tool() -> Value {
    json!({"name": "datavisa", "version": env!("CARGO_PKG_VERSION")})
}

/// What every result records about one input file.
pub fn input_evidence(path: &Path, t: &Table) -> Result<Value> {
    Ok(
        json!({"path": path.display().to_string(), "sha256": file_sha256(path)?,
              "rows": t.n_rows, "columns": t.columns.len()}),
    )
}

/// Fails on the first column that mixes numbers and text, naming where its first text value is.
fn check_not_mixed(file: &Path, t: &Table) -> Result<()> {
    for (j, c) in t.columns.iter().enumerate() {
        if let (true, Some((value, line))) = (c.evidence.is_mixed(), &c.evidence.first_text) {
            return Err(TableError::BadValue {
                path: file.to_path_buf(),
                line: *line,
                column: j + 1,
                name: c.name.clone(),
                value: value.clone(),
                expected: format!(
                    "number ({} of {} values in this column are numbers; --strict refuses mixed columns)",
                    c.evidence.integer + c.evidence.float,
                    c.evidence.integer + c.evidence.float + c.evidence.text
                ),
            }
            .into());
        }
    }
    Ok(())
}

/// Writes a JSON value atomically.
pub fn write_json(path: &Path, v: &Value) -> Result<()> {
    let text = serde_json::to_string_pretty(v)?;
    write_atomic(path, |w| {
        use std::io::Write;
        w.write_all(text.as_bytes())
            .map_err(|e| TableError::io(path, e))
    })?;
    Ok(())
}

/// Demo step: a generalized twin (k = 5, up to 5% suppressed) over the scan's quasi-identifiers,
/// hierarchies chosen from each column's type, identifiers left out.
fn demo_generalize(
    out: &Path,
    csv: &Path,
    t: &Table,
    quasi: &[String],
    sensitive: &[String],
    identifiers: &[String],
    quiet: bool,
) -> Result<(PathBuf, Value)> {
    let path = out.join("customers-generalized.csv");
    let recipe = datavisa_twin::recipe::Recipe {
        quasi: quasi.to_vec(),
        sensitive: sensitive.to_vec(),
        drop: identifiers.to_vec(),
        hierarchies: Default::default(),
        models: datavisa_twin::engine::Models {
            k: Some(5),
            l: None,
            l_variant: datavisa_twin::engine::LVariant::Distinct,
            c: 3.0,
            t: None,
            t_distance: datavisa_twin::engine::TDistance::Equal,
            avg_risk: None,
            suppression: 0.05,
        },
        metric: datavisa_twin::quality::Metric::Loss,
        search: Default::default(),
    };
    let pb = spinner(quiet, "generalizing (k = 5, 5% suppression)");
    let g = datavisa_twin::recipe::generalize(t, &recipe)
        .map_err(|e| anyhow::anyhow!("demo twin step: {e}"));
    pb.finish_and_clear();
    let m = crate::generalize::write_twin(csv, t, &path, g?)?;
    Ok((
        path.clone(),
        json!({"step": "twin", "kind": "generalized", "file": path.display().to_string(),
               "levels": m["levels"], "suppressed": m["suppressed"], "classes": m["classes"],
               "quality": m["quality"], "dropped": identifiers}),
    ))
}

fn demo(out: &Path, rows: usize, seed: u64, as_of: i64, format: Format, quiet: bool) -> Result<()> {
    use datavisa_workflow::demo::{self as steps, DemoSteps, DemoSummary, InspectStep, ScanStep};
    if rows == 0 {
        return Err(UsageError("--rows must be at least 1".into()).into());
    }
    let ws = crate::front::local(quiet)?;
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let csv = out.join("customers.csv");
    let generate = steps::generate(&ws, &csv, rows, seed, as_of)?;

    let (inspection, t) = ws.inspect(&datavisa_workflow::inspect::InspectRequest {
        file: csv.clone(),
        read: Default::default(),
        top: 3,
    })?;
    let parquet = out.join("customers.parquet");
    write_table(&t, &parquet)?;
    let inspect_path = out.join("inspect.json");
    write_json(&inspect_path, &serde_json::to_value(&inspection)?)?;

    let spec_path = out.join("spec.toml");
    let scan_req = datavisa_workflow::inspect::ScanRequest {
        file: csv.clone(),
        read: Default::default(),
        write_spec: Some(spec_path.clone()),
        options: ScanOptions {
            seed,
            reference_date: as_of,
            ..Default::default()
        },
    };
    let scanned = ws.scan_table(&csv, &t, inspection.read_seconds, &scan_req)?;
    let report = &scanned.report;
    let scan_path = out.join("scan.json");
    write_json(&scan_path, &serde_json::to_value(report)?)?;
    let by_role = |role: &str| scanned.by_role(role);

    let risk = steps::risk(out, &t, &by_role("quasi"), &by_role("sensitive"))?;
    let attack = steps::raw_export_attack(&ws, out, &t, seed)?;
    let release = steps::split_release(out, &t, seed)?;
    let (train_csv, control_csv, train) = (&release.csv, &release.control_csv, &release.table);
    let sensitive: Vec<String> = by_role("sensitive")
        .into_iter()
        .filter(|c| !steps::COORDINATES.contains(&c.as_str()))
        .collect();
    let mut dropped = by_role("identifier");
    dropped.extend(
        steps::COORDINATES
            .iter()
            .filter(|c| t.index_of(c).is_ok())
            .map(|c| c.to_string()),
    );
    let (twin_path, twin_step) = demo_generalize(
        out,
        train_csv,
        train,
        &by_role("quasi"),
        &sensitive,
        &dropped,
        quiet,
    )?;
    // One store for the whole demo, made afresh here: the assess step's register and visas, the
    // pseudonymize step's vault and the ledger all live in it and must survive each other.
    let store = out.join("demo-store");
    if store.exists() {
        std::fs::remove_dir_all(&store)
            .with_context(|| format!("cannot reset {}", store.display()))?;
    }
    let (assess_files, assess_step) = crate::verdict::demo_assess(
        out,
        &spec_path,
        (&twin_path, train_csv, control_csv),
        seed,
        as_of,
        quiet,
    )?;
    let (synth_files, synth_step) = crate::synthesize::demo_synthesize(
        out,
        &spec_path,
        (train_csv, train),
        seed,
        as_of,
        quiet,
    )?;
    let (pseudo_files, pseudo_step) = crate::pseudonymize::demo_pseudonymize(out, &csv, quiet)?;
    let (ledger_files, ledger_step) = crate::ledger::demo_ledger(out, seed, as_of, quiet)?;
    let mut files: Vec<PathBuf> = vec![
        csv.clone(),
        parquet,
        inspect_path.clone(),
        scan_path.clone(),
        spec_path.clone(),
    ];
    if let steps::RiskStep::Measured { file, .. } = &risk {
        files.push(PathBuf::from(file));
    }
    files.extend([
        PathBuf::from(&attack.file),
        train_csv.clone(),
        control_csv.clone(),
        twin_path.clone(),
        crate::generalize::manifest_path(&twin_path),
    ]);
    files.extend(assess_files);
    files.extend(synth_files);
    files.extend(pseudo_files);
    files.extend(ledger_files);
    let summary = DemoSummary {
        out: out.display().to_string(),
        seed,
        rows,
        as_of: datavisa_table::date::format_date(as_of),
        tool_version: datavisa_workflow::tool().version,
        steps: DemoSteps {
            generate,
            inspect: InspectStep {
                file: inspect_path.display().to_string(),
                rows: t.n_rows,
                columns: t.columns.len(),
                unique_row_share: inspection.unique_row_share,
            },
            scan: ScanStep {
                file: scan_path.display().to_string(),
                spec: spec_path.display().to_string(),
                identifier: by_role("identifier"),
                quasi: by_role("quasi"),
                sensitive: by_role("sensitive"),
                other: by_role("other"),
                sensitive_categories: report.sensitive_categories.clone(),
                minors_under_14: report.minors_under_14,
            },
            risk,
            attack,
            twin: twin_step,
            assess: assess_step,
            synthesize: synth_step,
            pseudonymize: pseudo_step,
            ledger: ledger_step,
        },
        files: files.iter().map(|f| f.display().to_string()).collect(),
    };
    if format == Format::Json {
        return print_json(&summary);
    }
    print_demo_human(&summary, report);
    Ok(())
}

/// The demo's story for a person: each step by its name.
fn print_demo_human(summary: &datavisa_workflow::demo::DemoSummary, report: &ScanReport) {
    let st = &summary.steps;
    println!(
        "datavisa demo: {} fake customers from seed {} in {}\n",
        summary.rows, summary.seed, summary.out
    );
    crate::inspect::print_scan_human(report);
    let r = &st.attack.risk;
    println!(
        "\nexporting the raw table: singling-out risk {} (CI {} – {}); the data is personal information",
        pct(r.value),
        pct(r.ci[0]),
        pct(r.ci[1]),
    );
    for a in st.assess["assessments"].as_array().into_iter().flatten() {
        println!(
            "generalized twin for {}: {} ({})",
            a["recipient"].as_str().unwrap_or(""),
            a["verdict"].as_str().unwrap_or(""),
            a["report"].as_str().unwrap_or("")
        );
    }
    let sy = &st.synthesize;
    println!(
        "DP synthetic twin (MST, eps {}): {} rows, utility {:.3} (columns {:.3}, pairs {:.3}) in {:.1} s",
        sy["epsilon"],
        sy["rows"],
        sy["utility"]["score"].as_f64().unwrap_or(0.0),
        sy["utility"]["columns"].as_f64().unwrap_or(0.0),
        sy["utility"]["pairs"].as_f64().unwrap_or(0.0),
        sy["seconds"].as_f64().unwrap_or(0.0)
    );
    let ps = &st.pseudonymize;
    println!(
        "pseudonymized twin for {}: de-identified, still personal information; relink {} of {} value(s) approved by two and logged (audit log intact: {})",
        ps["recipient"].as_str().unwrap_or(""),
        ps["relink"]["request"].as_str().unwrap_or(""),
        ps["relink"]["values"],
        ps["audit"]["intact"]
    );
    let lg = &st.ledger;
    println!(
        "ledger: three transfers to {} took the year's count to {} people; the plan before the third said {} ({})",
        lg["recipient"].as_str().unwrap_or(""),
        lg["ordinary_total"],
        lg["plan"]["mechanism"].as_str().unwrap_or(""),
        lg["plan"]["warnings"][0].as_str().unwrap_or("")
    );
    println!("\nwritten:");
    for f in &summary.files {
        println!("  {f}");
    }
}
