//! `datavisa assess` and `datavisa visa`: read the spec's recipient and policy, the source, the
//! twin and what the recipient holds; run the `verdict` crate's assessment; keep it, and the
//! visas issued on it, in the register.

use crate::commands::{load, tool, write_json, UsageError};
use crate::output::{print_items, print_json, spinner, table};
use crate::{Format, ReadArgs, VaultArgs, VisaCommand};
use anyhow::Result;
use datavisa_table::date::{format_date, parse_date};
use datavisa_table::{file_sha256, read_table, ReadOptions, Spec, Table};
use datavisa_verdict::register::{policy_sha256, profile_sha256, Register, Review, Stored, Visa};
use datavisa_verdict::release::FileFacts;
use datavisa_verdict::{
    assess, load_release, AssessInput, AssessParams, KeyState, Release, TwinKind, VerdictError,
};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// Library errors: bad input is exit 2.
pub fn verdict_err(e: VerdictError) -> anyhow::Error {
    match e {
        VerdictError::Table(t) => t.into(),
        VerdictError::Sql(_) => e.into(),
        other => UsageError(other.to_string()).into(),
    }
}

/// What `assess` is asked to do.
pub struct AssessJob<'a> {
    pub spec: &'a Path,
    pub twin: &'a Path,
    pub source: &'a Path,
    pub recipient: &'a str,
    pub control: Option<&'a Path>,
    pub kind: Option<TwinKind>,
    pub params: AssessParams,
    pub vault: &'a VaultArgs,
    pub read: &'a ReadArgs,
}

/// The `--spec` an assessment needs (recipients and policy live there).
pub fn required_spec(read: &ReadArgs) -> Result<PathBuf> {
    read.spec.clone().ok_or_else(|| {
        UsageError(
            "--spec is required: it holds the [[recipients]], the [policy] and the columns' roles"
                .into(),
        )
        .into()
    })
}

/// `date` (YYYY-MM-DD) or today.
pub fn day_of(date: Option<&str>, flag: &str) -> Result<i64> {
    match date {
        None => Ok(datavisa_table::date::today()),
        Some(s) => parse_date(s).ok_or_else(|| {
            UsageError(format!("{flag} {s:?} is not a date (use YYYY-MM-DD)")).into()
        }),
    }
}

/// Runs one assessment and stores it; nothing is stored when any input is bad.
pub fn run_assessment(job: &AssessJob, quiet: bool) -> Result<Stored> {
    let spec = Spec::load(job.spec)?;
    let recipient = datavisa_verdict::recipient(&spec, job.recipient).map_err(verdict_err)?;
    let policy = datavisa_verdict::policy(&spec).map_err(verdict_err)?;
    let read = ReadArgs {
        spec: Some(job.spec.to_path_buf()),
        ..job.read.clone()
    };
    let (source, _) = load(job.source, &read, quiet)?;
    let source_facts = FileFacts::of(job.source, &source).map_err(verdict_err)?;
    let twin_opts = ReadOptions::default();
    let mut holds = Vec::new();
    for p in recipient.holds_paths(&spec) {
        let t = read_table(&p, &twin_opts)?;
        holds.push((p, t));
    }
    let holds_refs: Vec<(PathBuf, &Table)> = holds.iter().map(|(p, t)| (p.clone(), t)).collect();
    let known = datavisa_verdict::profile::known_columns(&spec, &recipient, &source, &holds_refs)
        .map_err(verdict_err)?;
    let control = job
        .control
        .map(|c| load(c, &read, quiet))
        .transpose()?
        .map(|x| x.0);
    let release = load_release(
        job.twin,
        (&source, &source_facts.sha256),
        control.as_ref(),
        job.kind,
        &twin_opts,
    )
    .map_err(verdict_err)?;
    let mut register = Register::open(&job.vault.store).map_err(verdict_err)?;
    let prior = prior_releases(&register, &recipient.id, &source, &source_facts, &release)?;
    let keys = key_state(&release, job.vault);
    let roles = |role| -> Vec<String> {
        spec.columns
            .iter()
            .filter(|c| c.role == Some(role))
            .map(|c| c.name.get_ref().clone())
            .collect()
    };
    let input = AssessInput {
        recipient: &recipient,
        policy: &policy,
        source: &source_facts,
        release: &release,
        prior: &prior.0,
        holds: holds
            .iter()
            .map(|(p, t)| FileFacts::of(p, t))
            .collect::<datavisa_verdict::Result<_>>()
            .map_err(verdict_err)?,
        control: job
            .control
            .zip(control.as_ref())
            .map(|(p, t)| FileFacts::of(p, t))
            .transpose()
            .map_err(verdict_err)?,
        known,
        sensitive: roles(datavisa_table::Role::Sensitive),
        identifiers: roles(datavisa_table::Role::Identifier),
        keys,
        params: job.params,
    };
    let pb = spinner(
        quiet,
        &format!("assessing {} for {}", job.twin.display(), recipient.id),
    );
    let mut a = assess(&input).map_err(verdict_err)?;
    pb.finish_and_clear();
    if let Some(c) = a.cumulative.as_mut() {
        c.notes.extend(prior.1);
    }
    register
        .flag_changes(
            &recipient.id,
            &profile_sha256(&recipient),
            &policy_sha256(&policy),
        )
        .map_err(verdict_err)?;
    register
        .record_assessment(&a, &job.spec.display().to_string(), &reproduce(job))
        .map_err(verdict_err)
}

/// The command that re-runs an assessment.
fn reproduce(job: &AssessJob) -> String {
    let q = |p: &Path| shell_quote(&p.display().to_string());
    let mut c = format!(
        "datavisa assess --spec {} --twin {} --source {} --recipient {} --seed {} --n-attacks {} --store {}",
        q(job.spec),
        q(job.twin),
        q(job.source),
        shell_quote(job.recipient),
        job.params.seed,
        job.params.n_attacks,
        q(&job.vault.store)
    );
    if let Some(ctl) = job.control {
        c.push_str(&format!(" --control {}", q(ctl)));
    }
    if let Some(k) = job.kind {
        c.push_str(&format!(" --kind {}", k.as_str()));
    }
    c
}

fn shell_quote(s: &str) -> String {
    if s.chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_./=:@".contains(c))
    {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// Earlier releases, each with the visa that covers it.
type Priors = Vec<(String, Release)>;

/// Earlier twins of this source the recipient received, read and checked; those that cannot be
/// read are named in notes rather than silently left out.
fn prior_releases(
    register: &Register,
    recipient: &str,
    source: &Table,
    facts: &FileFacts,
    this: &Release,
) -> Result<(Priors, Vec<String>)> {
    let visas = register
        .prior_releases(recipient, &facts.sha256, &this.facts.sha256)
        .map_err(verdict_err)?;
    let mut out = Vec::new();
    let mut notes = Vec::new();
    for v in visas {
        let path = Path::new(&v.twin_path);
        let loaded = load_release(
            path,
            (source, &facts.sha256),
            None,
            None,
            &ReadOptions::default(),
        );
        match loaded {
            Ok(r) if r.facts.sha256 == v.twin_sha256 => out.push((v.id.clone(), r)),
            Ok(r) => notes.push(format!(
                "earlier release {} (visa {}) has changed since (sha256 {} now, {} then); the combination was attacked without it",
                v.twin_path, v.id, r.facts.sha256, v.twin_sha256
            )),
            Err(e) => notes.push(format!(
                "earlier release {} (visa {}) could not be read ({e}); the combination was attacked without it",
                v.twin_path, v.id
            )),
        }
    }
    Ok((out, notes))
}

/// Whether a pseudonymized twin's keys still exist, asking the vault when it can be opened.
fn key_state(r: &Release, vault: &VaultArgs) -> KeyState {
    if r.kind != TwinKind::Pseudonymized {
        return KeyState::NoKeys;
    }
    let has_key =
        vault.master_key_file.is_some() || std::env::var_os("DATAVISA_MASTER_KEY").is_some();
    let twin_id = r.manifest.as_ref().and_then(|m| m.twin_id.clone());
    let (true, Some(id)) = (has_key, twin_id) else {
        return KeyState::Unknown;
    };
    let store = r
        .manifest
        .as_ref()
        .and_then(|m| m.vault.as_deref())
        .and_then(|p| Path::new(p).parent())
        .map_or_else(|| vault.store.clone(), Path::to_path_buf);
    let args = VaultArgs {
        store,
        master_key_file: vault.master_key_file.clone(),
    };
    match crate::vault::open(&args, &crate::vault::os_user())
        .and_then(|v| v.twin(&id).map_err(crate::vault::vault_err))
    {
        Ok(t) if t.status == "shredded" || t.status == "no_keys" => KeyState::Destroyed,
        Ok(_) => KeyState::Exist,
        Err(_) => KeyState::Unknown,
    }
}

/// `datavisa assess`.
pub fn assess_cmd(
    job: &AssessJob,
    output: Option<&Path>,
    format: Format,
    quiet: bool,
) -> Result<()> {
    let stored = run_assessment(job, quiet)?;
    let mut v = stored.assessment.clone();
    v["tool"] = tool();
    v["body_sha256"] = json!(stored.body_sha256);
    if let Some(o) = output {
        write_json(o, &v)?;
    }
    match format {
        Format::Json => print_json(&v),
        Format::Human => {
            print_assessment(&v);
            Ok(())
        }
    }
}

fn print_assessment(a: &Value) {
    println!("{}", crate::assessment_report::headline(a).0.en);
    println!(
        "assessment {} ({} context: {})",
        a["id"].as_str().unwrap_or("?"),
        a["context"]["context"].as_str().unwrap_or("?"),
        a["context"]["why"].as_str().unwrap_or("")
    );
    let rows: Vec<Vec<String>> = checks_of(a)
        .map(|c| {
            vec![
                c["scope"].as_str().unwrap_or("").into(),
                c["criterion"].as_str().unwrap_or("").into(),
                c["figure"].as_str().unwrap_or("").into(),
                format!("{:.4}", c["upper"].as_f64().unwrap_or(f64::NAN)),
                format!("{}", c["threshold"].as_f64().unwrap_or(f64::NAN)),
                if c["passed"].as_bool() == Some(true) {
                    "pass"
                } else {
                    "FAIL"
                }
                .into(),
            ]
        })
        .collect();
    print!(
        "{}",
        table(
            &["scope", "criterion", "figure", "upper", "threshold", ""],
            &rows,
            48
        )
    );
    for r in a["reasons"].as_array().into_iter().flatten() {
        println!("- {}", r["text"].as_str().unwrap_or(""));
    }
    for n in a["notes"].as_array().into_iter().flatten() {
        println!("note: {}", n.as_str().unwrap_or(""));
    }
}

/// Every check of an assessment, the release's then the combination's.
pub fn checks_of(a: &Value) -> impl Iterator<Item = &Value> {
    a["checks"]
        .as_array()
        .into_iter()
        .flatten()
        .chain(a["cumulative"]["checks"].as_array().into_iter().flatten())
}

fn visa_json(v: &Visa, today: i64) -> Value {
    let mut j = serde_json::to_value(v).unwrap_or(Value::Null);
    j["status"] = json!(v.status(today).as_str());
    j["as_of"] = json!(format_date(today));
    j
}

fn print_visas(vs: &[Visa], today: i64, format: Format) -> Result<()> {
    let items: Vec<Value> = vs.iter().map(|v| visa_json(v, today)).collect();
    print_items(
        &items,
        format,
        &[
            "visa",
            "recipient",
            "verdict",
            "status",
            "issued",
            "review",
            "twin",
            "review flags",
        ],
        40,
        |v| {
            let s = |k: &str| v[k].as_str().unwrap_or("").to_owned();
            vec![
                s("id"),
                s("recipient"),
                s("verdict"),
                s("status"),
                s("issued_on"),
                s("review_on"),
                s("twin_path"),
                v["review_flags"].as_array().map_or(0, Vec::len).to_string(),
            ]
        },
    )
}

/// `datavisa visa ...`.
pub fn visa_cmd(c: VisaCommand, quiet: bool) -> Result<()> {
    match c {
        VisaCommand::Issue {
            assessment,
            review_months,
            conditions,
            as_of,
            store,
            format,
        } => {
            let today = day_of(as_of.as_deref(), "--as-of")?;
            let mut reg = Register::open(&store.store).map_err(verdict_err)?;
            let a = reg.assessment(&assessment).map_err(verdict_err)?;
            let months = review_months
                .or_else(|| {
                    a.assessment["policy"]["review_months"]
                        .as_u64()
                        .map(|m| m as u32)
                })
                .unwrap_or(12);
            let conditions = conditions.unwrap_or_else(|| {
                serde_json::from_value::<datavisa_verdict::profile::Controls>(
                    a.assessment["recipient"]["controls"].clone(),
                )
                .unwrap_or_default()
                .clauses()
            });
            let v = reg
                .issue(&assessment, today, months, conditions)
                .map_err(verdict_err)?;
            match format {
                Format::Json => print_json(&visa_json(&v, today)),
                Format::Human => {
                    println!(
                        "visa {} issued: {} as to {} until review on {} (conditions: {})",
                        v.id,
                        v.verdict.as_str(),
                        v.recipient,
                        v.review_on,
                        if v.conditions.is_empty() {
                            "none".into()
                        } else {
                            v.conditions.join(", ")
                        }
                    );
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
            let today = day_of(as_of.as_deref(), "--as-of")?;
            let mut reg = Register::open(&store.store).map_err(verdict_err)?;
            if let Some(spec) = spec {
                flag_spec_changes(&mut reg, &spec)?;
            }
            print_visas(&reg.visas().map_err(verdict_err)?, today, format)
        }
        VisaCommand::Show {
            id,
            as_of,
            store,
            format,
        } => {
            let today = day_of(as_of.as_deref(), "--as-of")?;
            let reg = Register::open(&store.store).map_err(verdict_err)?;
            let v = reg.visa(&id).map_err(verdict_err)?;
            let mut j = visa_json(&v, today);
            j["history"] = serde_json::to_value(reg.events(&id).map_err(verdict_err)?)?;
            match format {
                Format::Json => print_json(&j),
                Format::Human => {
                    for (k, val) in j.as_object().into_iter().flatten() {
                        println!(
                            "{k}: {}",
                            if let Some(s) = val.as_str() {
                                s.to_owned()
                            } else {
                                val.to_string()
                            }
                        );
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
            let today = day_of(as_of.as_deref(), "--as-of")?;
            let mut reg = Register::open(&store.store).map_err(verdict_err)?;
            let v = reg.revoke(&id, today, &reason).map_err(verdict_err)?;
            match format {
                Format::Json => print_json(&visa_json(&v, today)),
                Format::Human => {
                    println!("visa {id} revoked: {reason}");
                    Ok(())
                }
            }
        }
        VisaCommand::Review(a) => review_cmd(&a, quiet),
    }
}

/// Flags every recipient's visas whose profile or policy in `spec` differs from the one relied on.
fn flag_spec_changes(reg: &mut Register, spec: &Path) -> Result<Vec<(String, String)>> {
    let spec = Spec::load(spec)?;
    let policy = datavisa_verdict::policy(&spec).map_err(verdict_err)?;
    let mut added = Vec::new();
    for r in datavisa_verdict::recipients(&spec).map_err(verdict_err)? {
        added.extend(
            reg.flag_changes(&r.id, &profile_sha256(&r), &policy_sha256(&policy))
                .map_err(verdict_err)?,
        );
    }
    Ok(added)
}

/// `datavisa visa review`: re-assess visas with today's profile, policy and register.
fn review_cmd(a: &crate::ReviewArgs, quiet: bool) -> Result<()> {
    let today = day_of(a.as_of.as_deref(), "--as-of")?;
    let spec = required_spec(&a.read)?;
    let mut reg = Register::open(&a.vault.store).map_err(verdict_err)?;
    flag_spec_changes(&mut reg, &spec)?;
    let chosen: Vec<Visa> = reg
        .visas()
        .map_err(verdict_err)?
        .into_iter()
        .filter(|v| v.state == "active")
        .filter(|v| {
            if !a.ids.is_empty() {
                a.ids.contains(&v.id)
            } else {
                a.all
                    || !v.review_flags.is_empty()
                    || v.status(today) != datavisa_verdict::register::Status::Valid
            }
        })
        .collect();
    if let Some(missing) = a.ids.iter().find(|id| !chosen.iter().any(|v| &v.id == *id)) {
        return Err(UsageError(format!(
            "visa {missing} is not an active visa in the register"
        ))
        .into());
    }
    drop(reg);
    let mut results = Vec::new();
    for v in &chosen {
        results.push(review_one(v, a, &spec, today, quiet)?);
    }
    match a.format {
        Format::Json => print_json(&json!({"as_of": format_date(today), "reviewed": results})),
        Format::Human => {
            if results.is_empty() {
                println!(
                    "no visa is due for review on {} (use --all to review every active visa)",
                    format_date(today)
                );
            }
            for r in &results {
                println!("{}", r["summary"].as_str().unwrap_or(""));
            }
            Ok(())
        }
    }
}

fn review_one(
    v: &Visa,
    a: &crate::ReviewArgs,
    spec: &Path,
    today: i64,
    quiet: bool,
) -> Result<Value> {
    let reg = Register::open(&a.vault.store).map_err(verdict_err)?;
    let old = reg.assessment(&v.assessment_id).map_err(verdict_err)?;
    drop(reg);
    let o = &old.assessment;
    let path = |k: &Value| k["path"].as_str().map(PathBuf::from);
    let (Some(source), Some(twin)) = (path(&o["source"]), path(&o["twin"])) else {
        return Err(UsageError(format!("assessment {} lacks its file paths", old.id)).into());
    };
    let control = path(&o["control"]);
    let params: AssessParams = serde_json::from_value(o["params"].clone()).unwrap_or_default();
    let kind = if o["manifest"].is_null() {
        o["twin_kind"]
            .as_str()
            .and_then(|k| TwinKind::parse(k).ok())
    } else {
        None
    };
    if file_sha256(&twin).ok().as_deref() != Some(v.twin_sha256.as_str()) {
        return Err(UsageError(format!(
            "visa {}: the twin {} is missing or no longer the content the visa covers; revoke the visa or restore the file",
            v.id,
            twin.display()
        ))
        .into());
    }
    let job = AssessJob {
        spec,
        twin: &twin,
        source: &source,
        recipient: &v.recipient,
        control: control.as_deref(),
        kind,
        params,
        vault: &a.vault,
        read: &a.read,
    };
    let stored = run_assessment(&job, quiet)?;
    let months = stored.assessment["policy"]["review_months"]
        .as_u64()
        .unwrap_or(12) as u32;
    let mut reg = Register::open(&a.vault.store).map_err(verdict_err)?;
    let outcome = reg
        .record_review(&v.id, &stored, today, months)
        .map_err(verdict_err)?;
    let summary = match &outcome {
        Review::Renewed { review_on } => format!(
            "visa {} ({}, {}): still {}; renewed until {review_on} (assessment {})",
            v.id, v.recipient, v.twin_path, v.verdict.as_str(), stored.id
        ),
        Review::Reverted { verdict, reasons } => format!(
            "visa {} ({}, {}): REVERTED to personal information ({}), visa revoked: {}",
            v.id,
            v.recipient,
            v.twin_path,
            verdict.as_str(),
            reasons.join("; ")
        ),
        Review::Improved { verdict } => format!(
            "visa {} ({}, {}): the re-assessment now gives {}; the visa stands as {} (issue a new visa on assessment {} to record it)",
            v.id, v.recipient, v.twin_path, verdict.as_str(), v.verdict.as_str(), stored.id
        ),
    };
    Ok(
        json!({"visa": v.id, "recipient": v.recipient, "assessment": stored.id,
              "outcome": outcome, "summary": summary}),
    )
}

/// The demo's two recipients: an HR analytics team under contract that knows little, and a
/// data broker with no controls that knows birth dates and postcodes.
fn demo_recipients(deletion: &str) -> String {
    format!(
        r#"
# Recipients and policy, added by `datavisa demo`. The thresholds not written here are the
# documented defaults of LEGAL-RULES §3.3 (public 0.05, named recipient 0.2, internal 0.33).
[[recipients]]
id = "hr-analytics"
name = "Group HR analytics (Munich)"
jurisdiction = "DE"
knows = ["性别", "省份"]
capability = "motivated_intruder"
[recipients.controls]
no_reidentification = true
no_relinking = true
onward_transfer_ban = true
audited_security = true
deletion_date = "{deletion}"

[[recipients]]
id = "data-broker"
name = "Marketing data broker"
jurisdiction = "US"
knows = ["性别", "出生日期", "省份", "城市", "邮编"]
capability = "expert"

[policy]
review_months = 12
"#
    )
}

/// Demo step: the generalized twin assessed for two recipients, a visa issued on each verdict
/// and both reports written.
pub fn demo_assess(
    out: &Path,
    spec: &Path,
    (twin, source, control): (&Path, &Path, &Path),
    seed: u64,
    as_of: i64,
    quiet: bool,
) -> Result<(Vec<PathBuf>, Value)> {
    let mut text = std::fs::read_to_string(spec)?;
    text.push_str(&demo_recipients(&format_date(
        datavisa_table::date::add_years(as_of, 2),
    )));
    datavisa_table::write_atomic(spec, |w| {
        std::io::Write::write_all(w, text.as_bytes())
            .map_err(|e| datavisa_table::TableError::io(spec, e))
    })?;
    let vault = VaultArgs {
        store: out.join("demo-store"),
        master_key_file: None,
    };
    let mut files = Vec::new();
    let mut assessments = Vec::new();
    for recipient in ["hr-analytics", "data-broker"] {
        let job = AssessJob {
            spec,
            twin,
            source,
            recipient,
            control: Some(control),
            kind: None,
            params: AssessParams {
                seed,
                ..Default::default()
            },
            vault: &vault,
            read: &ReadArgs::default(),
        };
        let stored = run_assessment(&job, quiet)?;
        let mut reg = Register::open(&vault.store).map_err(verdict_err)?;
        let conditions = serde_json::from_value::<datavisa_verdict::profile::Controls>(
            stored.assessment["recipient"]["controls"].clone(),
        )
        .unwrap_or_default()
        .clauses();
        let visa = reg
            .issue(&stored.id, as_of, 12, conditions)
            .map_err(verdict_err)?;
        let report = out.join(format!("assessment-{recipient}.html"));
        let report_json = out.join(format!("assessment-{recipient}.json"));
        let verdict = stored.assessment["verdict"].clone();
        let failing: Vec<String> = checks_of(&stored.assessment)
            .filter(|c| c["passed"] == false)
            .filter_map(|c| c["criterion"].as_str().map(str::to_owned))
            .collect();
        crate::assessment_report::write_report(
            stored.clone(),
            &report_json,
            datavisa_report::Lang::En,
        )?;
        crate::assessment_report::write_report(stored.clone(), &report, datavisa_report::Lang::En)?;
        assessments.push(json!({
            "recipient": recipient, "verdict": verdict, "assessment": stored.id,
            "visa": visa.id, "review_on": visa.review_on, "failing": failing,
            "report": report.display().to_string(), "report_json": report_json.display().to_string(),
        }));
        files.push(report);
        files.push(report_json);
    }
    Ok((
        files,
        json!({"step": "assess", "twin": twin.display().to_string(), "spec": spec.display().to_string(),
               "assessments": assessments}),
    ))
}
