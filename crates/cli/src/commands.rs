//! One function per verb: read inputs, call the library, print or write the result.

use crate::attack::{attack, read_inputs, risk, utility_cmd, AttackKind, Common, RiskArgs};
use crate::output::{pct, spinner, table};
use crate::{
    AttackArgs, AttackCommand, Cli, Command, DenominatorArg, Format, ModeArg, ReadArgs,
    SecretKindArg, TwinCommand,
};
use anyhow::{Context, Result};
use datavisa_discover::{scan, spec_draft, ScanOptions, ScanReport};
use datavisa_risk::classic::ClassicParams;
use datavisa_risk::inference::SecretKind;
use datavisa_risk::singling_out::{Denominator, Mode};
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
        } => inspect(&file, &read, top, format, quiet),
        Command::Scan {
            file,
            read,
            write_spec,
            sample,
            seed,
            as_of,
            format,
        } => {
            let opts = ScanOptions {
                sample_size: sample.max(1),
                seed,
                reference_date: as_of_date(as_of.as_deref())?,
                ..Default::default()
            };
            scan_cmd(&file, &read, write_spec.as_deref(), &opts, format, quiet)
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

fn attack_cmd(a: AttackCommand, quiet: bool) -> Result<()> {
    let common = |c: &AttackArgs| Common {
        n_attacks: c.n_attacks,
        confidence: c.confidence,
        seed: c.seed,
        format: c.format,
        quiet,
    };
    let (args, kind) = match a {
        AttackCommand::SinglingOut {
            common: c,
            mode,
            n_cols,
            max_attempts,
            denominator,
        } => (
            c,
            AttackKind::SinglingOut {
                mode: match mode {
                    ModeArg::Univariate => Mode::Univariate,
                    ModeArg::Multivariate => Mode::Multivariate,
                },
                n_cols,
                max_attempts,
                denominator: match denominator {
                    DenominatorArg::Generated => Denominator::Generated,
                    DenominatorArg::Requested => Denominator::Requested,
                },
            },
        ),
        AttackCommand::Linkability {
            common: c,
            mut aux_a,
            mut aux_b,
            aux_cols,
            n_neighbors,
        } => {
            if !aux_cols.is_empty() {
                let half = aux_cols.len().div_ceil(2);
                aux_a = aux_cols[..half].to_vec();
                aux_b = aux_cols[half..].to_vec();
            }
            (
                c,
                AttackKind::Linkability {
                    aux_a,
                    aux_b,
                    n_neighbors,
                },
            )
        }
        AttackCommand::Inference {
            common: c,
            secret,
            aux_cols,
            secret_kind,
            tolerance,
        } => (
            c,
            AttackKind::Inference {
                secret,
                aux: aux_cols,
                kind: match secret_kind {
                    SecretKindArg::Auto => SecretKind::Auto,
                    SecretKindArg::Categorical => SecretKind::Categorical,
                    SecretKindArg::Numeric => SecretKind::Numeric,
                },
                tolerance,
            },
        ),
    };
    let inputs = read_inputs(
        &args.source,
        &args.twin,
        args.control.as_deref(),
        &args.read,
        quiet,
    )?;
    attack(inputs, kind, &common(&args))
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

pub fn print_json(v: &Value) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}

/// Prints a list as one JSON array, or as a table with one `row` per item under `header`.
pub fn print_items<T: serde::Serialize>(
    items: &[T],
    format: Format,
    header: &[&str],
    max_cell: usize,
    row: impl Fn(&T) -> Vec<String>,
) -> Result<()> {
    if format == Format::Json {
        return print_json(&serde_json::to_value(items)?);
    }
    let rows: Vec<Vec<String>> = items.iter().map(row).collect();
    print!("{}", crate::output::table(header, &rows, max_cell));
    Ok(())
}

fn inspect_json(file: &Path, t: &Table, top: usize, secs: f64) -> Value {
    t.encode_all();
    let cols: Vec<Value> = t
        .columns
        .iter()
        .map(|c| {
            let distinct = c.distinct_count();
            let tops: Vec<Value> = c
                .top_values(top)
                .iter()
                .map(|(v, n)| json!({"value": v, "count": n}))
                .collect();
            json!({
                "name": c.name,
                "type": c.value_type.as_str(),
                "missing_share": c.missing_count() as f64 / t.n_rows.max(1) as f64,
                "distinct": distinct,
                "top_values": tops,
                "evidence": c.evidence.sentence(c.value_type),
                "mixed": c.evidence.is_mixed(),
            })
        })
        .collect();
    json!({
        "file": file.display().to_string(),
        "format": t.origin.format.as_str(),
        "delimiter": t.origin.delimiter.map(|d| d.to_string()),
        "encoding": t.origin.encoding,
        "bytes": t.origin.bytes,
        "rows": t.n_rows,
        "n_columns": t.columns.len(),
        "unique_row_share": t.unique_row_share(),
        "read_seconds": secs,
        "tool_version": env!("CARGO_PKG_VERSION"),
        "columns": cols,
    })
}

fn inspect(file: &Path, args: &ReadArgs, top: usize, format: Format, quiet: bool) -> Result<()> {
    let (t, secs) = load(file, args, quiet)?;
    let v = inspect_json(file, &t, top, secs);
    if format == Format::Json {
        return print_json(&v);
    }
    print_inspect_human(&v);
    for c in t.columns.iter().filter(|c| c.evidence.is_mixed()) {
        eprintln!(
            "warning: column {:?}: {}",
            c.name,
            c.evidence.sentence(c.value_type)
        );
    }
    Ok(())
}

fn print_inspect_human(v: &Value) {
    println!(
        "{}: {} rows × {} columns ({}, delimiter {}, encoding {}); {} of rows are unique on all columns",
        v["file"].as_str().unwrap_or(""),
        v["rows"],
        v["n_columns"],
        v["format"].as_str().unwrap_or(""),
        v["delimiter"].as_str().map_or("-".into(), |d| format!("{d:?}")),
        v["encoding"].as_str().unwrap_or("-"),
        pct(v["unique_row_share"].as_f64().unwrap_or(0.0)),
    );
    let rows: Vec<Vec<String>> = v["columns"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| {
            let tops: Vec<String> = c["top_values"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|t| format!("{} ({})", t["value"].as_str().unwrap_or(""), t["count"]))
                .collect();
            vec![
                c["name"].as_str().unwrap_or("").to_owned(),
                c["type"].as_str().unwrap_or("").to_owned(),
                pct(c["missing_share"].as_f64().unwrap_or(0.0)),
                c["distinct"].to_string(),
                tops.join(", "),
            ]
        })
        .collect();
    print!(
        "{}",
        table(
            &["column", "type", "missing", "distinct", "top values"],
            &rows,
            60
        )
    );
}

fn scan_cmd(
    file: &Path,
    args: &ReadArgs,
    write_spec: Option<&Path>,
    opts: &ScanOptions,
    format: Format,
    quiet: bool,
) -> Result<()> {
    let (t, read_secs) = load(file, args, quiet)?;
    let pb = spinner(quiet, "scanning");
    let t0 = Instant::now();
    let report = scan(&t, &file.display().to_string(), opts);
    let scan_secs = t0.elapsed().as_secs_f64();
    pb.finish_and_clear();
    if let Some(path) = write_spec {
        write_spec_file(&report, &t, file, path)?;
    }
    let mut v = serde_json::to_value(&report)?;
    v["read_seconds"] = json!(read_secs);
    v["scan_seconds"] = json!(scan_secs);
    if let Some(p) = write_spec {
        v["spec"] = json!(p.display().to_string());
    }
    if format == Format::Json {
        return print_json(&v);
    }
    print_scan_human(&report);
    if let Some(p) = write_spec {
        println!("spec draft written to {}", p.display());
    }
    Ok(())
}

fn write_spec_file(report: &ScanReport, t: &Table, file: &Path, path: &Path) -> Result<()> {
    let sha = if file.is_file() {
        Some(file_sha256(file)?)
    } else {
        None
    };
    let spec = spec_draft(report, t, sha);
    let text = format!(
        "# datavisa spec, drafted by `datavisa scan` {} from {}.\n# Review every role before relying on it.\n\n{}",
        env!("CARGO_PKG_VERSION"),
        file.display(),
        spec.to_toml()?
    );
    write_atomic(path, |w| {
        use std::io::Write;
        w.write_all(text.as_bytes())
            .map_err(|e| TableError::io(path, e))
    })?;
    Ok(())
}

fn print_scan_human(r: &ScanReport) {
    println!("{}: {} rows, {} columns", r.file, r.rows, r.columns.len());
    let rows: Vec<Vec<String>> = r
        .columns
        .iter()
        .map(|c| {
            vec![
                c.name.clone(),
                c.kind.map_or("-".into(), |k| k.as_str().to_owned()),
                c.role.as_str().to_owned(),
                c.sensitive_category
                    .map_or("-".into(), |s| s.as_str().to_owned()),
                format!("{:.2}", c.confidence),
                c.evidence.clone(),
            ]
        })
        .collect();
    print!(
        "{}",
        table(
            &["column", "kind", "role", "sensitive", "conf", "evidence"],
            &rows,
            90
        )
    );
    if r.sensitive_categories.is_empty() {
        println!("no PIPL sensitive personal information recognised");
    } else {
        for c in &r.sensitive_categories {
            println!(
                "sensitive ({}): {}",
                c.category.as_str(),
                c.columns.join(", ")
            );
        }
    }
    if r.minors_under_14 > 0 {
        println!(
            "{} rows concern minors under 14 on {}: all their personal information is sensitive (PIPL Art. 28)",
            r.minors_under_14, r.reference_date
        );
    }
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

/// Population the demo's customers are imagined to be drawn from (mainland China, 2024).
const DEMO_POPULATION: f64 = 1_408_280_000.0;

/// Demo step: classic risk over the quasi-identifiers the scan proposed.
fn demo_risk(
    out: &Path,
    t: &Table,
    quasi: &[String],
    sensitive: &[String],
) -> Result<(PathBuf, Value)> {
    let path = out.join("risk.json");
    if quasi.is_empty() {
        return Ok((
            path,
            json!({"step": "risk", "skipped": "the scan proposed no quasi-identifiers"}),
        ));
    }
    let params = ClassicParams {
        quasi: quasi.to_vec(),
        sensitive: sensitive.to_vec(),
        k: Some(5),
        population_size: Some(DEMO_POPULATION),
        ..Default::default()
    };
    let r = datavisa_risk::classic::classic_risk(t, None, &params)
        .map_err(|e| anyhow::anyhow!("demo risk step: {e}"))?;
    write_json(&path, &serde_json::to_value(&r)?)?;
    Ok((
        path.clone(),
        json!({"step": "risk", "file": path.display().to_string(), "quasi": quasi, "k": r.k,
               "sample_uniqueness": r.sample_uniqueness,
               "prosecutor_highest": r.prosecutor.highest, "records_below_k5": r.records_below_k,
               "population_uniqueness": r.population.as_ref().map(|p| p.population_uniqueness)}),
    ))
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

/// Demo step: what a recipient of the raw table could do. Half the customers are "exported"
/// as they are (the twin is a copy), the other half is the control; singling out is attacked.
fn demo_attack(out: &Path, t: &Table, seed: u64, quiet: bool) -> Result<(PathBuf, Value)> {
    let path = out.join("attack-raw-export.json");
    let split = datavisa_table::split_indices(t.n_rows, t.n_rows / 2, seed);
    let (src, ctl) = (t.take(&split.train), t.take(&split.control));
    let data = datavisa_risk::prepare(&src, &src, Some(&ctl))
        .map_err(|e| anyhow::anyhow!("demo attack step: {e}"))?;
    let pb = spinner(quiet, "attacking the raw export (singling out)");
    let params = datavisa_risk::singling_out::SinglingOutParams {
        n_attacks: 500,
        seed,
        ..Default::default()
    };
    let r = datavisa_risk::singling_out::singling_out(&data, &params)
        .map_err(|e| anyhow::anyhow!("demo attack step: {e}"))?;
    pb.finish_and_clear();
    write_json(&path, &serde_json::to_value(&r)?)?;
    Ok((
        path.clone(),
        json!({"step": "attack", "file": path.display().to_string(), "attack": r.attack,
               "twin": "raw copy of half the customers", "risk": r.risk}),
    ))
}

fn demo(out: &Path, rows: usize, seed: u64, as_of: i64, format: Format, quiet: bool) -> Result<()> {
    if rows == 0 {
        return Err(UsageError("--rows must be at least 1".into()).into());
    }
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let csv = out.join("customers.csv");
    let pb = spinner(quiet, &format!("generating {rows} customers"));
    let t0 = Instant::now();
    datavisa_discover::fake::write_customers(&csv, rows, seed, as_of)?;
    let gen_secs = t0.elapsed().as_secs_f64();
    pb.finish_and_clear();

    let (t, read_secs) = load(&csv, &ReadArgs::default(), quiet)?;
    let parquet = out.join("customers.parquet");
    write_table(&t, &parquet)?;
    let inspect_path = out.join("inspect.json");
    write_json(&inspect_path, &inspect_json(&csv, &t, 3, read_secs))?;

    let pb = spinner(quiet, "scanning");
    let opts = ScanOptions {
        seed,
        reference_date: as_of,
        ..Default::default()
    };
    let report = scan(&t, &csv.display().to_string(), &opts);
    pb.finish_and_clear();
    let scan_path = out.join("scan.json");
    write_json(&scan_path, &serde_json::to_value(&report)?)?;
    let spec_path = out.join("spec.toml");
    write_spec_file(&report, &t, &csv, &spec_path)?;

    let by_role = |role: &str| -> Vec<String> {
        report
            .columns
            .iter()
            .filter(|c| c.role.as_str() == role)
            .map(|c| c.name.clone())
            .collect()
    };
    let (risk_path, risk_step) = demo_risk(out, &t, &by_role("quasi"), &by_role("sensitive"))?;
    let (attack_path, attack_step) = demo_attack(out, &t, seed, quiet)?;
    // The release is a random half of the customers; the other half stays home as the control
    // set the assessment's attacks are measured against.
    let split = datavisa_table::split_indices(t.n_rows, t.n_rows / 2, seed);
    let (train_csv, control_csv) = (
        out.join("customers-release.csv"),
        out.join("customers-control.csv"),
    );
    let train = t.take(&split.train);
    write_table(&train, &train_csv)?;
    write_table(&t.take(&split.control), &control_csv)?;
    // Exact home coordinates locate a household: the release drops them with the identifiers.
    let coordinates = ["纬度", "经度"];
    let sensitive: Vec<String> = by_role("sensitive")
        .into_iter()
        .filter(|c| !coordinates.contains(&c.as_str()))
        .collect();
    let mut dropped = by_role("identifier");
    dropped.extend(
        coordinates
            .iter()
            .filter(|c| t.index_of(c).is_ok())
            .map(|c| c.to_string()),
    );
    let (twin_path, twin_step) = demo_generalize(
        out,
        &train_csv,
        &train,
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
        (&twin_path, &train_csv, &control_csv),
        seed,
        as_of,
        quiet,
    )?;
    let (synth_files, synth_step) = crate::synthesize::demo_synthesize(
        out,
        &spec_path,
        (&train_csv, &train),
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
        risk_path,
        attack_path,
        train_csv.clone(),
        control_csv.clone(),
        twin_path.clone(),
        crate::generalize::manifest_path(&twin_path),
    ];
    files.extend(assess_files);
    files.extend(synth_files);
    files.extend(pseudo_files);
    files.extend(ledger_files);
    let summary = json!({
        "out": out.display().to_string(),
        "seed": seed,
        "rows": rows,
        "as_of": datavisa_table::date::format_date(as_of),
        "tool_version": env!("CARGO_PKG_VERSION"),
        "steps": [
            {"step": "generate", "file": csv.display().to_string(), "seconds": gen_secs,
             "sha256": file_sha256(&csv)?},
            {"step": "inspect", "file": inspect_path.display().to_string(), "rows": t.n_rows,
             "columns": t.columns.len(), "unique_row_share": t.unique_row_share()},
            {"step": "scan", "file": scan_path.display().to_string(), "spec": spec_path.display().to_string(),
             "identifier": by_role("identifier"), "quasi": by_role("quasi"),
             "sensitive": by_role("sensitive"), "other": by_role("other"),
             "sensitive_categories": report.sensitive_categories,
             "minors_under_14": report.minors_under_14},
            risk_step,
            attack_step,
            twin_step,
            assess_step,
            synth_step,
            pseudo_step,
            ledger_step,
        ],
        "files": files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>(),
    });
    if format == Format::Json {
        return print_json(&summary);
    }
    println!(
        "datavisa demo: {rows} fake customers from seed {seed} in {}\n",
        out.display()
    );
    print_scan_human(&report);
    println!(
        "\nexporting the raw table: singling-out risk {} (CI {} – {}); the data is personal information",
        pct(summary["steps"][4]["risk"]["value"].as_f64().unwrap_or(0.0)),
        pct(summary["steps"][4]["risk"]["ci"][0].as_f64().unwrap_or(0.0)),
        pct(summary["steps"][4]["risk"]["ci"][1].as_f64().unwrap_or(0.0)),
    );
    for a in summary["steps"][6]["assessments"]
        .as_array()
        .into_iter()
        .flatten()
    {
        println!(
            "generalized twin for {}: {} ({})",
            a["recipient"].as_str().unwrap_or(""),
            a["verdict"].as_str().unwrap_or(""),
            a["report"].as_str().unwrap_or("")
        );
    }
    let sy = &summary["steps"][7];
    println!(
        "DP synthetic twin (MST, eps {}): {} rows, utility {:.3} (columns {:.3}, pairs {:.3}) in {:.1} s",
        sy["epsilon"],
        sy["rows"],
        sy["utility"]["score"].as_f64().unwrap_or(0.0),
        sy["utility"]["columns"].as_f64().unwrap_or(0.0),
        sy["utility"]["pairs"].as_f64().unwrap_or(0.0),
        sy["seconds"].as_f64().unwrap_or(0.0)
    );
    let ps = &summary["steps"][8];
    println!(
        "pseudonymized twin for {}: de-identified, still personal information; relink {} of {} value(s) approved by two and logged (audit log intact: {})",
        ps["recipient"].as_str().unwrap_or(""),
        ps["relink"]["request"].as_str().unwrap_or(""),
        ps["relink"]["values"],
        ps["audit"]["intact"]
    );
    let lg = &summary["steps"][9];
    println!(
        "ledger: three transfers to {} took the year's count to {} people; the plan before the third said {} ({})",
        lg["recipient"].as_str().unwrap_or(""),
        lg["ordinary_total"],
        lg["plan"]["mechanism"].as_str().unwrap_or(""),
        lg["plan"]["warnings"][0].as_str().unwrap_or("")
    );
    println!("\nwritten:");
    for f in &files {
        println!("  {}", f.display());
    }
    Ok(())
}
