//! `datavisa twin pseudonymize` and the twin side of a relink request: reading, planning,
//! fetching the recipient's keys, writing the twin and its manifest, registering it in the vault.

use crate::commands::{input_evidence, tool, write_json, UsageError};
use crate::generalize::manifest_path;
use crate::output::{print_json, spinner, table};
use crate::vault::{open, os_user, vault_err};
use crate::{Format, ReadArgs, VaultArgs};
use anyhow::{Context, Result};
use datavisa_discover::{scan, ScanOptions};
use datavisa_table::{file_sha256, read_table, ReadOptions, Spec, Table};
use datavisa_twin::pseudonymize::plan::{plan, ColumnPlan};
use datavisa_twin::pseudonymize::{domains_needed, pseudonymize, Applied, LEGAL_STATUS};
use datavisa_vault::store::{rfc3339, unix_now};
use datavisa_vault::{DomainKeys, TwinColumn, TwinRecord, Vault};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn twin_err(e: datavisa_twin::TwinError) -> anyhow::Error {
    match e {
        datavisa_twin::TwinError::Table(t) => t.into(),
        other => UsageError(other.to_string()).into(),
    }
}

/// Kinds `scan` finds for the columns the spec does not describe (so a column the spec forgot
/// is still recognised); those columns are typed in memory first, as `datavisa scan` would see them.
fn scanned_kinds(t: &Table, spec: Option<&Spec>, input: &Path) -> Result<BTreeMap<String, String>> {
    let described = |name: &str| {
        spec.is_some_and(|s| {
            s.columns
                .iter()
                .any(|c| c.name.get_ref() == name && c.kind.is_some())
                || s.rest
                    .get("pseudonymize")
                    .and_then(|p| p.as_table())
                    .is_some_and(|p| p.contains_key(name))
        })
    };
    let rest: Vec<String> = t
        .column_names()
        .into_iter()
        .filter(|n| !described(n))
        .collect();
    if rest.is_empty() {
        return Ok(BTreeMap::new());
    }
    let typed = datavisa_table::csv_read::infer_text_columns(t, &rest)?;
    let report = scan(
        &typed,
        &input.display().to_string(),
        &ScanOptions::default(),
    );
    Ok(report
        .columns
        .into_iter()
        .filter_map(|c| c.kind.map(|k| (c.name, k.as_str().to_owned())))
        .collect())
}

fn temp_twin_path(output: &Path) -> Result<PathBuf> {
    let dir = match output.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let ext = output.extension().and_then(|e| e.to_str()).unwrap_or("csv");
    let id = datavisa_vault::crypto::random_id(".datavisa-tmp").map_err(vault_err)?;
    Ok(dir.join(format!("{id}.{ext}")))
}

/// `datavisa twin pseudonymize`.
pub fn pseudonymize_cmd(
    input: &Path,
    output: &Path,
    recipient: &str,
    vault: &VaultArgs,
    read: &ReadArgs,
    format: Format,
    quiet: bool,
) -> Result<()> {
    if std::fs::canonicalize(input).ok() == std::fs::canonicalize(output).ok() && output.exists() {
        return Err(UsageError("the output would overwrite the input".into()).into());
    }
    let mut clock = Clock::default();
    clock.lap("start");
    let spec = read.spec.as_deref().map(Spec::load).transpose()?;
    let t = load_text(input, read, spec.as_ref(), quiet)?;
    clock.lap("read");
    let kinds = scanned_kinds(&t, spec.as_ref(), input)?;
    let plans = plan(&t, spec.as_ref(), &kinds).map_err(twin_err)?;
    clock.lap("plan");
    let mut v = open(vault, &os_user())?;
    clock.lap("unlock");
    let job = TwinJob {
        input,
        table: &t,
        output,
        recipient,
        plans: &plans,
    };
    let manifest = make_twin(&mut v, &job, quiet, &mut clock)?;
    if format == Format::Json {
        return print_json(&manifest);
    }
    print_summary(&manifest);
    Ok(())
}

/// Wall-clock seconds of each step, recorded in the manifest.
#[derive(Default)]
pub struct Clock {
    last: Option<std::time::Instant>,
    laps: Vec<(&'static str, f64)>,
}

impl Clock {
    /// Records the time since the previous lap (or since the clock was made) under `step`.
    pub fn lap(&mut self, step: &'static str) {
        let now = std::time::Instant::now();
        let since = self.last.map_or(0.0, |l| (now - l).as_secs_f64());
        if self.last.is_some() {
            self.laps.push((step, since));
        }
        self.last = Some(now);
    }

    fn json(&self) -> Value {
        Value::Object(
            self.laps
                .iter()
                .map(|(k, v)| ((*k).to_owned(), json!((v * 1000.0).round() / 1000.0)))
                .collect(),
        )
    }
}

/// The input with every column as text, so kept values are copied exactly.
fn load_text(input: &Path, read: &ReadArgs, spec: Option<&Spec>, quiet: bool) -> Result<Table> {
    let mut opts: ReadOptions = crate::commands::read_options(read, spec)?;
    opts.all_text = true;
    opts.types.clear();
    let pb = spinner(quiet, &format!("reading {}", input.display()));
    let t = read_table(input, &opts)?;
    pb.finish_and_clear();
    if let Some(s) = spec {
        s.check_columns(&t)?;
    }
    Ok(t)
}

/// One pseudonymized twin to make: from where, to where, for whom, how.
pub struct TwinJob<'a> {
    pub input: &'a Path,
    pub table: &'a Table,
    pub output: &'a Path,
    pub recipient: &'a str,
    pub plans: &'a [ColumnPlan],
}

/// Pseudonymizes the job's table, writes the twin and its manifest, registers it; returns the
/// manifest.
pub fn make_twin(v: &mut Vault, job: &TwinJob, quiet: bool, clock: &mut Clock) -> Result<Value> {
    let mut keys = hashbrown::HashMap::new();
    for d in domains_needed(job.plans) {
        let k = v.domain_keys(job.recipient, &d).map_err(vault_err)?;
        keys.insert(d, k);
    }
    let pb = spinner(quiet, "pseudonymizing");
    clock.lap("keys");
    let applied: Applied = pseudonymize(job.table, job.plans, &keys).map_err(twin_err)?;
    pb.finish_and_clear();
    clock.lap("transform");
    // Written under a temporary name, registered in the vault, then renamed: a crash leaves
    // neither a partial twin nor a twin the vault cannot relink.
    let tmp = temp_twin_path(job.output)?;
    datavisa_table::write_table(&applied.table, &tmp)?;
    clock.lap("write");
    let keys: Vec<&DomainKeys> = keys.values().collect();
    let result = register_and_place(v, job, &tmp, &keys, &applied, clock);
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn register_and_place(
    v: &mut Vault,
    job: &TwinJob,
    tmp: &Path,
    keys: &[&DomainKeys],
    applied: &Applied,
    clock: &mut Clock,
) -> Result<Value> {
    let (input, t, output, recipient) = (job.input, job.table, job.output, job.recipient);
    let source = input_evidence(input, t)?;
    let output_sha = file_sha256(tmp)?;
    let twin_id = datavisa_vault::crypto::random_id("tw").map_err(vault_err)?;
    let created_at = rfc3339(unix_now());
    let columns: Vec<TwinColumn> = applied
        .columns
        .iter()
        .map(|c| TwinColumn {
            column: c.plan.column.clone(),
            method: c.plan.method.name().to_owned(),
            key: c.key.clone(),
            params: serde_json::to_value(&c.plan).unwrap_or(Value::Null),
        })
        .collect();
    let record = TwinRecord {
        id: twin_id.clone(),
        recipient: recipient.to_owned(),
        created_at: created_at.clone(),
        output: output.display().to_string(),
        output_sha256: output_sha.clone(),
        source_sha256: source["sha256"].as_str().unwrap_or_default().to_owned(),
        rows: applied.table.n_rows as u64,
        columns,
    };
    clock.lap("hash");
    v.register_twin(&record, keys, &applied.index)
        .map_err(vault_err)?;
    clock.lap("register");
    std::fs::rename(tmp, output)
        .with_context(|| format!("cannot move the twin to {}", output.display()))?;
    let manifest = json!({
        "kind": "pseudonymized_twin",
        "twin_id": twin_id,
        "legal_status": "de_identified",
        "statement": LEGAL_STATUS,
        "recipient": recipient,
        "vault": {"id": v.id(), "path": v.path().display().to_string()},
        "source": source,
        "output": {"path": output.display().to_string(),
                   "file": output.file_name().map(|f| f.to_string_lossy().into_owned()),
                   "sha256": output_sha, "rows": applied.table.n_rows,
                   "columns": applied.table.column_names()},
        "columns": applied.columns,
        "token_index_entries": applied.index.len(),
        "keys_note": "key ids and versions only; the keys stay in the vault",
        "tool": tool(),
        "created_at": created_at,
        "timings_secs": clock.json(),
    });
    let mpath = manifest_path(output);
    write_json(&mpath, &manifest)?;
    let mut shown = manifest;
    shown["manifest"] = json!(mpath.display().to_string());
    Ok(shown)
}

fn print_summary(m: &Value) {
    let rows: Vec<Vec<String>> = m["columns"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| {
            let s = |k: &str| c[k].as_str().unwrap_or("").to_owned();
            let key = if c["key"].is_null() {
                String::new()
            } else {
                format!(
                    "{} v{}",
                    c["key"]["domain"].as_str().unwrap_or(""),
                    c["key"]["version"]
                )
            };
            vec![
                s("column"),
                s("method"),
                key,
                s("decided_by"),
                c["suppressed"].to_string(),
            ]
        })
        .collect();
    print!(
        "{}",
        table(
            &[
                "column",
                "method",
                "key (domain, version)",
                "decided by",
                "suppressed"
            ],
            &rows,
            40
        )
    );
    println!(
        "twin {} for {}: {} rows -> {}\nmanifest: {}\nstatus: de-identified personal information (PIPL Art. 73(3)); the keys stay in the vault",
        m["twin_id"].as_str().unwrap_or(""),
        m["recipient"].as_str().unwrap_or(""),
        m["output"]["rows"],
        m["output"]["path"].as_str().unwrap_or(""),
        m["manifest"].as_str().unwrap_or("")
    );
}

/// The twin id, column and pseudonyms of a relink request: from a values file or the whole
/// column of the twin named by its manifest.
pub fn request_values(
    v: &Vault,
    manifest: &Path,
    values: Option<&Path>,
    column: Option<&str>,
) -> Result<(String, String, Vec<String>)> {
    let text = std::fs::read_to_string(manifest)
        .with_context(|| format!("cannot read {}", manifest.display()))?;
    let m: Value = serde_json::from_str(&text)
        .map_err(|e| UsageError(format!("{}: not a twin manifest: {e}", manifest.display())))?;
    let twin_id = m["twin_id"]
        .as_str()
        .ok_or_else(|| {
            UsageError(format!(
                "{}: not a pseudonymized twin's manifest (no twin_id)",
                manifest.display()
            ))
        })?
        .to_owned();
    let twin = v.twin(&twin_id).map_err(vault_err)?;
    let keyed: Vec<&str> = twin
        .record
        .columns
        .iter()
        .filter(|c| c.key.is_some() && matches!(c.method.as_str(), "token" | "encrypt" | "fpe"))
        .map(|c| c.column.as_str())
        .collect();
    let column = match (column, keyed.as_slice()) {
        (Some(c), _) => c.to_owned(),
        (None, [one]) => (*one).to_owned(),
        (None, _) => {
            return Err(UsageError(format!(
                "name the column with --column (relinkable columns: {})",
                keyed.join(", ")
            ))
            .into())
        }
    };
    let mut pseudonyms: Vec<String> = match values {
        Some(f) => std::fs::read_to_string(f)
            .with_context(|| format!("cannot read {}", f.display()))?
            .lines()
            .map(|l| l.trim().to_owned())
            .filter(|l| !l.is_empty() && *l != column && *l != "pseudonym")
            .collect(),
        None => twin_column(manifest, &m, &column)?,
    };
    let mut seen = std::collections::HashSet::new();
    pseudonyms.retain(|p| seen.insert(p.clone()));
    Ok((twin_id, column, pseudonyms))
}

/// Every distinct value of `column` in the twin file next to its manifest.
fn twin_column(manifest: &Path, m: &Value, column: &str) -> Result<Vec<String>> {
    let file = m["output"]["file"].as_str().unwrap_or_default();
    let path = manifest.parent().unwrap_or(Path::new(".")).join(file);
    let opts = ReadOptions {
        all_text: true,
        ..Default::default()
    };
    let t = read_table(&path, &opts)?;
    let c = t.column(column)?;
    Ok(c.value_counts().into_iter().map(|(v, _)| v).collect())
}

/// Demo step: a pseudonymized twin for one recipient in a new demo vault in `out/demo-store`
/// (master key from DATAVISA_MASTER_KEY, else a new owner-only key file), two approvers, and
/// one approved relink of three resident IDs; the audit log verified at the end.
pub fn demo_pseudonymize(out: &Path, csv: &Path, quiet: bool) -> Result<(Vec<PathBuf>, Value)> {
    use datavisa_vault::crypto::{hex, random_secret};
    use datavisa_vault::{KdfParams, NewRequest, Passphrase};
    // The store was made afresh by the demo before its assess step; the visas issued there stay.
    let store = out.join("demo-store");
    let key_file = out.join("demo-master.key");
    let pass = match std::env::var_os("DATAVISA_MASTER_KEY") {
        Some(k) => Passphrase::new(k.into_encoded_bytes()).map_err(vault_err)?,
        None => {
            let _ = std::fs::remove_file(&key_file);
            crate::vault::new_key_file(&key_file)?
        }
    };
    let mut v = Vault::init(&store, &pass, KdfParams::default(), "demo").map_err(vault_err)?;
    let text = load_text(csv, &ReadArgs::default(), None, quiet)?;
    let t = &text;
    let kinds = scanned_kinds(t, None, csv)?;
    let plans = plan(t, None, &kinds).map_err(twin_err)?;
    let twin = out.join("customers-pseudonymized.csv");
    let mut clock = Clock::default();
    clock.lap("start");
    let job = TwinJob {
        input: csv,
        table: t,
        output: &twin,
        recipient: "partner-sg",
        plans: &plans,
    };
    let manifest = make_twin(&mut v, &job, quiet, &mut clock)?;

    // Two approvers whose credentials exist only in this process.
    let mut creds = Vec::new();
    for name in ["approver-wang", "approver-li"] {
        let c = random_secret::<16>().map_err(vault_err)?;
        let p = Passphrase::new(hex(&c[..]).into_bytes()).map_err(vault_err)?;
        v.add_approver(name, &p).map_err(vault_err)?;
        creds.push((name, p));
    }
    let column = plans
        .iter()
        .find(|p| p.kind.as_deref() == Some("cn_resident_id") && p.method.is_keyed())
        .or_else(|| plans.iter().find(|p| p.method.is_keyed()))
        .map(|p| p.column.clone())
        .ok_or_else(|| UsageError("the demo table has no identifier to pseudonymize".into()))?;
    let values = twin_column(&manifest_path(&twin), &manifest, &column)?;
    let req = v
        .request_relink(NewRequest {
            twin_id: manifest["twin_id"].as_str().unwrap_or_default().to_owned(),
            column: column.clone(),
            pseudonyms: values.into_iter().take(3).collect(),
            purpose: "demo: a customer complaint needs the three customers' identities".into(),
            legal_basis: "demo: PIPL Art. 13(2), performance of the customer contract".into(),
            requested_by: "analyst-zhao".into(),
            ttl_secs: 3600,
        })
        .map_err(vault_err)?;
    for (name, p) in &creds {
        v.approve(&req.id, name, p).map_err(vault_err)?;
    }
    let relinked = out.join("relinked.csv");
    let n = crate::vault::execute(&mut v, &req.id, &relinked)?;
    let audit = v.verify_audit().map_err(vault_err)?;
    let mut files = vec![twin.clone(), manifest_path(&twin), relinked.clone()];
    if key_file.exists() {
        files.push(key_file);
    }
    Ok((
        files,
        json!({"step": "pseudonymize", "file": twin.display().to_string(), "recipient": "partner-sg",
               "twin_id": manifest["twin_id"], "legal_status": "de_identified",
               "methods": manifest["columns"].as_array().map(|c| c.iter().map(|x| json!({"column": x["column"], "method": x["method"]})).collect::<Vec<_>>()),
               "vault": store.display().to_string(),
               "relink": {"request": req.id, "column": column, "approvers": creds.iter().map(|c| c.0).collect::<Vec<_>>(),
                          "values": n, "file": relinked.display().to_string()},
               "audit": {"entries": audit.entries, "intact": audit.intact}}),
    ))
}
