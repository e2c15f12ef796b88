//! The demo's own steps: fake customers from a seed, classic risk over the proposed
//! quasi-identifiers, singling out against a raw export, and the release/control split that the
//! twins and assessments work on. Each step returns a typed record of what it wrote.

use crate::error::{Context, Result};
use crate::evidence::write_json;
use crate::workspace::Workspace;
use datavisa_risk::classic::{classic_risk, ClassicParams};
use datavisa_risk::singling_out::{singling_out, SinglingOutParams};
use datavisa_table::{file_sha256, split_indices, write_table, Table};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Population the demo's customers are imagined to be drawn from (mainland China, 2024).
const DEMO_POPULATION: f64 = 1_408_280_000.0;

/// Exact home coordinates locate a household: the release drops them with the identifiers.
pub const COORDINATES: [&str; 2] = ["纬度", "经度"];

/// The demo's fake customer table, as written.
#[derive(Clone, Debug, Serialize)]
pub struct GenerateStep {
    /// The CSV written.
    pub file: String,
    /// Seconds generating took.
    pub seconds: f64,
    /// SHA-256 of the CSV.
    pub sha256: String,
}

/// Writes `rows` fake customers made from `seed` as of day `as_of` to `csv`.
pub fn generate(
    ws: &Workspace,
    csv: &Path,
    rows: usize,
    seed: u64,
    as_of: i64,
) -> Result<GenerateStep> {
    let task = ws.spinner(&format!("generating {rows} customers"));
    let t0 = Instant::now();
    datavisa_discover::fake::write_customers(csv, rows, seed, as_of)?;
    let seconds = t0.elapsed().as_secs_f64();
    drop(task);
    Ok(GenerateStep {
        file: csv.display().to_string(),
        seconds,
        sha256: file_sha256(csv)?,
    })
}

/// Classic risk of the raw table over the quasi-identifiers the scan proposed.
#[derive(Clone, Debug, Serialize)]
#[serde(untagged)]
pub enum RiskStep {
    /// The risk was measured and written to `file`.
    Measured {
        /// The risk JSON written.
        file: String,
        /// The quasi-identifiers measured over.
        quasi: Vec<String>,
        /// The smallest class.
        k: u64,
        /// Share of records unique on the quasi-identifiers.
        sample_uniqueness: f64,
        /// Highest prosecutor risk.
        prosecutor_highest: f64,
        /// Records in classes smaller than 5.
        records_below_k5: Option<u64>,
        /// Estimated share of the population unique on the quasi-identifiers.
        population_uniqueness: Option<f64>,
    },
    /// Nothing to measure.
    Skipped {
        /// Why.
        skipped: String,
    },
}

/// Measures classic risk (k = 5, the demo population) and writes it to `out/risk.json`.
pub fn risk(out: &Path, t: &Table, quasi: &[String], sensitive: &[String]) -> Result<RiskStep> {
    if quasi.is_empty() {
        return Ok(RiskStep::Skipped {
            skipped: "the scan proposed no quasi-identifiers".into(),
        });
    }
    let path = out.join("risk.json");
    let params = ClassicParams {
        quasi: quasi.to_vec(),
        sensitive: sensitive.to_vec(),
        k: Some(5),
        population_size: Some(DEMO_POPULATION),
        ..Default::default()
    };
    let r = classic_risk(t, None, &params).with_context(|| "demo risk step")?;
    write_json(&path, &r)?;
    Ok(RiskStep::Measured {
        file: path.display().to_string(),
        quasi: quasi.to_vec(),
        k: r.k,
        sample_uniqueness: r.sample_uniqueness,
        prosecutor_highest: r.prosecutor.highest,
        records_below_k5: r.records_below_k,
        population_uniqueness: r.population.as_ref().map(|p| p.population_uniqueness),
    })
}

/// Singling out against a raw export, written to `file`.
#[derive(Clone, Debug, Serialize)]
pub struct AttackStep {
    /// The attack JSON written.
    pub file: String,
    /// The attack's name.
    pub attack: String,
    /// What was attacked.
    pub twin: String,
    /// The risk measured, with its confidence interval.
    pub risk: datavisa_risk::Risk,
}

/// What a recipient of the raw table could do: half the customers are "exported" as they are
/// (the twin is a copy), the other half is the control; singling out is attacked.
pub fn raw_export_attack(ws: &Workspace, out: &Path, t: &Table, seed: u64) -> Result<AttackStep> {
    let path = out.join("attack-raw-export.json");
    let split = split_indices(t.n_rows, t.n_rows / 2, seed);
    let (src, ctl) = (t.take(&split.train), t.take(&split.control));
    let data =
        datavisa_risk::prepare(&src, &src, Some(&ctl)).with_context(|| "demo attack step")?;
    let task = ws.spinner("attacking the raw export (singling out)");
    let params = SinglingOutParams {
        n_attacks: 500,
        seed,
        ..Default::default()
    };
    let r = singling_out(&data, &params).with_context(|| "demo attack step")?;
    drop(task);
    write_json(&path, &r)?;
    Ok(AttackStep {
        file: path.display().to_string(),
        attack: r.attack.clone(),
        twin: "raw copy of half the customers".into(),
        risk: r.risk,
    })
}

/// The release (a random half of the customers) and the control (the other half, kept home as
/// the set the assessment's attacks are measured against), as written.
pub struct Release {
    /// The release's rows.
    pub table: Table,
    /// Where the release was written.
    pub csv: PathBuf,
    /// Where the control was written.
    pub control_csv: PathBuf,
}

/// Splits `t` by `seed` into the release and the control and writes both into `out`.
pub fn split_release(out: &Path, t: &Table, seed: u64) -> Result<Release> {
    let split = split_indices(t.n_rows, t.n_rows / 2, seed);
    let csv = out.join("customers-release.csv");
    let control_csv = out.join("customers-control.csv");
    let table = t.take(&split.train);
    write_table(&table, &csv)?;
    write_table(&t.take(&split.control), &control_csv)?;
    Ok(Release {
        table,
        csv,
        control_csv,
    })
}

/// The demo's table as inspected.
#[derive(Clone, Debug, Serialize)]
pub struct InspectStep {
    /// The inspection JSON written.
    pub file: String,
    /// Rows of the table.
    pub rows: usize,
    /// Columns of the table.
    pub columns: usize,
    /// Share of rows unique on all columns.
    pub unique_row_share: f64,
}

/// What the demo's scan found, by role.
#[derive(Clone, Debug, Serialize)]
pub struct ScanStep {
    /// The scan JSON written.
    pub file: String,
    /// The spec draft written.
    pub spec: String,
    /// Direct identifiers.
    pub identifier: Vec<String>,
    /// Quasi-identifiers.
    pub quasi: Vec<String>,
    /// Sensitive columns.
    pub sensitive: Vec<String>,
    /// Everything else.
    pub other: Vec<String>,
    /// Sensitive categories (PIPL Art. 28) and their columns.
    pub sensitive_categories: Vec<datavisa_discover::scan::CategoryColumns>,
    /// Records of children under 14.
    pub minors_under_14: u64,
}

/// Every step of the demo, by name; serialized as the ordered list of steps, each tagged
/// with its `step` name.
#[derive(Clone, Debug)]
pub struct DemoSteps {
    /// Fake customers written.
    pub generate: GenerateStep,
    /// Their profile.
    pub inspect: InspectStep,
    /// Their personal information.
    pub scan: ScanStep,
    /// Classic risk of the raw table.
    pub risk: RiskStep,
    /// Singling out against a raw export.
    pub attack: AttackStep,
    /// The generalized twin.
    pub twin: TwinStep,
    /// Its assessments and visas.
    pub assess: AssessStep,
    /// The DP synthetic twin.
    pub synthesize: SynthesizeStep,
    /// The pseudonymized twin and a relink.
    pub pseudonymize: PseudonymizeStep,
    /// Three transfers and a plan.
    pub ledger: LedgerStep,
}

impl DemoSteps {
    /// Each step as JSON with its name, in the order the demo runs them.
    fn tagged(&self) -> serde_json::Result<Vec<serde_json::Value>> {
        let steps: [(&str, serde_json::Value); 10] = [
            ("generate", serde_json::to_value(&self.generate)?),
            ("inspect", serde_json::to_value(&self.inspect)?),
            ("scan", serde_json::to_value(&self.scan)?),
            ("risk", serde_json::to_value(&self.risk)?),
            ("attack", serde_json::to_value(&self.attack)?),
            ("twin", serde_json::to_value(&self.twin)?),
            ("assess", serde_json::to_value(&self.assess)?),
            ("synthesize", serde_json::to_value(&self.synthesize)?),
            ("pseudonymize", serde_json::to_value(&self.pseudonymize)?),
            ("ledger", serde_json::to_value(&self.ledger)?),
        ];
        Ok(steps
            .into_iter()
            .map(|(name, mut v)| {
                if let Some(o) = v.as_object_mut() {
                    o.insert("step".into(), name.into());
                }
                v
            })
            .collect())
    }
}

impl Serialize for DemoSteps {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        self.tagged()
            .map_err(serde::ser::Error::custom)?
            .serialize(s)
    }
}

/// What the demo did and wrote.
#[derive(Clone, Debug, Serialize)]
pub struct DemoSummary {
    /// The output directory.
    pub out: String,
    /// The seed every step used.
    pub seed: u64,
    /// Customers generated.
    pub rows: usize,
    /// The demo's "today".
    pub as_of: String,
    /// datavisa's version.
    pub tool_version: String,
    /// Each step's result.
    pub steps: DemoSteps,
    /// Every file written.
    pub files: Vec<String>,
    /// The scan's full report, for a front end to show.
    #[serde(skip)]
    pub scan_report: datavisa_discover::ScanReport,
}

/// A protected column and its method.
#[derive(Clone, Debug, Serialize)]
pub struct ColumnMethod {
    /// The column.
    pub column: String,
    /// Its method.
    pub method: String,
}

/// The demo's one relink: three values approved by two and executed.
#[derive(Clone, Debug, Serialize)]
pub struct RelinkStep {
    /// The request's id.
    pub request: String,
    /// The column relinked.
    pub column: String,
    /// Who approved.
    pub approvers: Vec<String>,
    /// Values relinked.
    pub values: usize,
    /// Where the pairs were written.
    pub file: String,
}

/// The audit log at the end of the demo.
#[derive(Clone, Debug, Serialize)]
pub struct AuditStep {
    /// Entries in the log.
    pub entries: usize,
    /// Whether chain, MACs and head verify.
    pub intact: bool,
}

/// A pseudonymized twin for one recipient, and one approved relink.
#[derive(Clone, Debug, Serialize)]
pub struct PseudonymizeStep {
    /// The twin written.
    pub file: String,
    /// Its recipient.
    pub recipient: String,
    /// Its id in the vault.
    pub twin_id: Option<String>,
    /// Always `de_identified`: keys exist.
    pub legal_status: String,
    /// Each column's method.
    pub methods: Vec<ColumnMethod>,
    /// The store holding the vault.
    pub vault: String,
    /// The relink.
    pub relink: RelinkStep,
    /// The audit log.
    pub audit: AuditStep,
    /// Files written.
    #[serde(skip)]
    pub files: Vec<PathBuf>,
}

/// A pseudonymized twin for one recipient in a new vault in `out/demo-store` (the workspace's
/// master key, else a new owner-only key file), two approvers whose credentials live only in
/// this process, one approved relink of three resident IDs, and the audit log verified.
pub fn pseudonymize_step(ws: &Workspace, out: &Path, csv: &Path) -> Result<PseudonymizeStep> {
    use crate::vault::{execute, new_key_file};
    use datavisa_vault::crypto::{hex, random_secret};
    use datavisa_vault::{KdfParams, NewRequest, Passphrase, Vault};
    // The store was made afresh by the demo before its assess step; the visas issued there stay.
    let store = out.join("demo-store");
    let key_file = out.join("demo-master.key");
    let pass = if ws.secrets().has_master_key() {
        ws.secrets().master_key()?
    } else {
        let _ = std::fs::remove_file(&key_file);
        new_key_file(&key_file)?
    };
    let mut v = Vault::init(&store, &pass, KdfParams::default(), "demo")?;
    let t = crate::twins::load_text(ws, csv, &Default::default(), None)?;
    let (kinds, scanned) = crate::twins::scanned_kinds(ws, &t, None, csv)?;
    let plans = datavisa_twin::pseudonymize::plan::plan(&t, None, &kinds)?;
    let twin = out.join("customers-pseudonymized.csv");
    let recipient = "partner-sg";
    let job = crate::twins::TwinJob {
        input: csv,
        table: &t,
        output: &twin,
        recipient,
        plans: &plans,
        source_scan: &scanned,
        format: Default::default(),
    };
    let written = ws.pseudonymize_planned(&mut v, &job)?;
    let mut creds = Vec::new();
    for name in ["approver-wang", "approver-li"] {
        let c = random_secret::<16>()?;
        let p = Passphrase::new(hex(&c[..]).into_bytes())?;
        v.add_approver(name, &p)?;
        creds.push((name, p));
    }
    let column = plans
        .iter()
        .find(|p| p.kind.as_deref() == Some("cn_resident_id") && p.method.is_keyed())
        .or_else(|| plans.iter().find(|p| p.method.is_keyed()))
        .map(|p| p.column.clone())
        .ok_or_else(|| {
            crate::Error::internal("the demo table has no identifier to pseudonymize")
        })?;
    let (twin_id, column, values) =
        crate::vault::request_values(&v, Path::new(&written.manifest_path), None, Some(&column))?;
    let req = v.request_relink(NewRequest {
        twin_id,
        column: column.clone(),
        pseudonyms: values.into_iter().take(3).collect(),
        purpose: "demo: a customer complaint needs the three customers' identities".into(),
        legal_basis: "demo: PIPL Art. 13(2), performance of the customer contract".into(),
        requested_by: "analyst-zhao".into(),
        ttl_secs: 3600,
    })?;
    for (name, p) in &creds {
        v.approve(&req.id, name, p)?;
    }
    let relinked = out.join("relinked.csv");
    let n = execute(&mut v, &req.id, &relinked)?;
    let audit = v.verify_audit()?;
    let mut files = vec![
        twin.clone(),
        PathBuf::from(&written.manifest_path),
        relinked.clone(),
    ];
    if key_file.exists() {
        files.push(key_file);
    }
    Ok(PseudonymizeStep {
        file: twin.display().to_string(),
        recipient: recipient.into(),
        twin_id: written.manifest.twin_id.clone(),
        legal_status: "de_identified".into(),
        methods: plans
            .iter()
            .map(|p| ColumnMethod {
                column: p.column.clone(),
                method: p.method.name().into(),
            })
            .collect(),
        vault: store.display().to_string(),
        relink: RelinkStep {
            request: req.id,
            column,
            approvers: creds.iter().map(|c| c.0.to_owned()).collect(),
            values: n,
            file: relinked.display().to_string(),
        },
        audit: AuditStep {
            entries: audit.entries,
            intact: audit.intact,
        },
        files,
    })
}

/// The generalized twin of the release.
#[derive(Clone, Debug, Serialize)]
pub struct TwinStep {
    /// The twin written.
    pub file: String,
    /// Always `generalized`.
    pub kind: String,
    /// The level of each quasi-identifier.
    pub levels: std::collections::BTreeMap<String, serde_json::Value>,
    /// Records suppressed.
    pub suppressed: u64,
    /// Classes kept.
    pub classes: u64,
    /// Information loss.
    pub quality: Option<datavisa_twin::manifest::QualityFigure>,
    /// Columns left out (identifiers, coordinates).
    pub dropped: Vec<String>,
    /// The manifest written.
    #[serde(skip)]
    pub manifest: PathBuf,
}

/// A generalized twin (k = 5, up to 5% suppressed) over the scan's quasi-identifiers,
/// hierarchies chosen from each column's type, `dropped` left out.
pub fn generalize_step(
    ws: &Workspace,
    out: &Path,
    (csv, t): (&Path, &Table),
    (quasi, sensitive): (&[String], &[String]),
    dropped: &[String],
) -> Result<TwinStep> {
    use datavisa_twin::engine::{LVariant, Models, TDistance};
    let path = out.join("customers-generalized.csv");
    let recipe = datavisa_twin::recipe::Recipe {
        quasi: quasi.to_vec(),
        sensitive: sensitive.to_vec(),
        drop: dropped.to_vec(),
        hierarchies: Default::default(),
        models: Models {
            k: Some(5),
            l: None,
            l_variant: LVariant::Distinct,
            c: 3.0,
            t: None,
            t_distance: TDistance::Equal,
            avg_risk: None,
            suppression: 0.05,
        },
        metric: datavisa_twin::quality::Metric::Loss,
        search: Default::default(),
    };
    let task = ws.spinner("generalizing (k = 5, 5% suppression)");
    let g = datavisa_twin::recipe::generalize(t, &recipe).with_context(|| "demo twin step");
    drop(task);
    let w = crate::twins::write_generalized(ws, (csv, t), &path, &g?, &Default::default())?;
    let view = w.manifest.generalized().ok_or_else(|| {
        crate::Error::internal("the generalized twin's manifest does not read back")
    })?;
    Ok(TwinStep {
        file: path.display().to_string(),
        kind: "generalized".into(),
        levels: view.levels,
        suppressed: view.suppressed,
        classes: view.classes,
        quality: w.manifest.quality.clone(),
        dropped: dropped.to_vec(),
        manifest: PathBuf::from(&w.manifest_path),
    })
}

/// One recipient's verdict on the demo's generalized twin, its visa and its reports.
#[derive(Clone, Debug, Serialize)]
pub struct AssessedFor {
    /// The recipient.
    pub recipient: String,
    /// Its verdict.
    pub verdict: datavisa_verdict::Verdict,
    /// The assessment's id.
    pub assessment: String,
    /// The visa issued on it.
    pub visa: String,
    /// The visa's review date.
    pub review_on: String,
    /// Criteria that failed.
    pub failing: Vec<String>,
    /// The HTML report.
    pub report: String,
    /// The JSON report.
    pub report_json: String,
}

/// The generalized twin assessed for two recipients.
#[derive(Clone, Debug, Serialize)]
pub struct AssessStep {
    /// The twin.
    pub twin: String,
    /// The spec with the recipients.
    pub spec: String,
    /// Each recipient's verdict.
    pub assessments: Vec<AssessedFor>,
    /// Files written.
    #[serde(skip)]
    pub files: Vec<PathBuf>,
}

/// The generalized twin assessed for two recipients (the spec gains their profiles), a visa
/// issued on each verdict and both reports written. `ws` is on the demo's store, its clock on
/// the demo's day.
pub fn assess_step(
    ws: &Workspace,
    out: &Path,
    spec: &Path,
    (twin, source, control): (&Path, &Path, &Path),
    seed: u64,
) -> Result<AssessStep> {
    let as_of = ws.today();
    let mut text = std::fs::read_to_string(spec)
        .map_err(|e| crate::Error::internal(format!("cannot read {}: {e}", spec.display())))?;
    text.push_str(&demo_recipients(&datavisa_table::date::format_date(
        datavisa_table::date::add_years(as_of, 2),
    )));
    crate::evidence::write_text(spec, &text)?;
    let mut files = Vec::new();
    let mut assessments = Vec::new();
    for recipient in ["hr-analytics", "data-broker"] {
        let req = crate::assess::AssessRequest {
            spec: spec.to_path_buf(),
            twin: twin.to_path_buf(),
            source: source.to_path_buf(),
            recipient: recipient.into(),
            control: Some(control.to_path_buf()),
            kind: None,
            params: datavisa_verdict::AssessParams {
                seed,
                ..Default::default()
            },
            read: Default::default(),
            twin_read: Default::default(),
        };
        let stored = ws.run_assessment(&req)?;
        let a = stored.typed()?;
        let visa = ws.issue_visa(&crate::assess::IssueRequest {
            assessment: stored.id.clone(),
            review_months: Some(12),
            conditions: None,
            override_reason: None,
        })?;
        let report = out.join(format!("assessment-{recipient}.html"));
        let report_json = out.join(format!("assessment-{recipient}.json"));
        let lang = datavisa_report::Lang::En;
        let record = ws.on_record(&stored)?;
        crate::report::write_report(stored.clone(), &record, &report_json, lang)?;
        crate::report::write_report(stored.clone(), &record, &report, lang)?;
        assessments.push(AssessedFor {
            recipient: recipient.into(),
            verdict: a.verdict,
            assessment: stored.id.clone(),
            visa: visa.visa.id.clone(),
            review_on: visa.visa.review_on.clone(),
            failing: a
                .all_checks()
                .filter(|c| !c.passed)
                .map(|c| c.criterion.as_str().to_owned())
                .collect(),
            report: report.display().to_string(),
            report_json: report_json.display().to_string(),
        });
        files.push(report);
        files.push(report_json);
    }
    Ok(AssessStep {
        twin: twin.display().to_string(),
        spec: spec.display().to_string(),
        assessments,
        files,
    })
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

/// The plan the demo made before its third transfer.
#[derive(Clone, Debug, Serialize)]
pub struct PlanStep {
    /// The plan JSON written.
    pub file: String,
    /// The mechanism it needs.
    pub mechanism: String,
    /// The rules applied.
    pub rules: Vec<String>,
    /// The year's counts before and after.
    pub counts: datavisa_ledger::plan::PlanCounts,
    /// What the exporter must know.
    pub warnings: Vec<String>,
    /// The same warnings as messages.
    pub warning_codes: Vec<datavisa_i18n::Msg>,
}

/// Three transfers recorded in the ledger and the plan before the third.
#[derive(Clone, Debug, Serialize)]
pub struct LedgerStep {
    /// The store holding the ledger.
    pub store: String,
    /// The exporter.
    pub exporter: String,
    /// The recipient.
    pub recipient: String,
    /// People each transfer added to the year's count.
    pub transfers: Vec<u64>,
    /// The year's count after the three.
    pub ordinary_total: u64,
    /// The plan before the third.
    pub plan: PlanStep,
    /// Files written.
    #[serde(skip)]
    pub files: Vec<PathBuf>,
}

/// Demo step: three transfers of customers (no sensitive columns) from one exporter to one
/// recipient that together cross the 100,000-person band, with the plan made before the third.
pub fn ledger_step(ws: &Workspace, out: &Path, seed: u64, as_of: i64) -> Result<LedgerStep> {
    use datavisa_ledger::plan::PlanRequest;
    use datavisa_ledger::{Facts, Ledger, People, Rules, TransferFacts};
    let store = out.join("demo-store");
    for f in ["ledger.db", "ledger.key"] {
        let _ = std::fs::remove_file(store.join(f));
    }
    let day = datavisa_table::date::format_date(as_of.min(datavisa_table::date::today()));
    let all = out.join("transfers-people.csv");
    let task = ws.spinner("generating 115,000 customers for the ledger demo");
    datavisa_discover::fake::write_customers(&all, 115_000, seed.wrapping_add(1), as_of)?;
    // Read silently: the generation spinner above stands for this step.
    let silent = ws
        .clone()
        .with_progress(std::sync::Arc::new(crate::NoProgress));
    let (t, _) = crate::read::load(&silent, &all, &Default::default())?;
    drop(task);
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
    let mut l = Ledger::open(&store)?;
    let exporter = "Demo Retail (Shanghai) Co., Ltd.";
    l.add_exporter(exporter, false, Some("Demo Retail Group"), None)?;
    l.add_recipient_named(
        "partner-sg",
        "SG",
        Some("Demo Partner Analytics (Singapore) Pte. Ltd."),
    )?;
    // Each batch is written once and hashed from memory, not read back.
    let mut files = Vec::new();
    let mut hashed = Vec::new();
    for (i, (a, b)) in batches.iter().enumerate() {
        let path = out.join(format!("transfer-{}.csv", i + 1));
        let part = slim.take(&(*a..*b).collect::<Vec<usize>>());
        datavisa_table::write_table(&part, &path)?;
        let ids = crate::ledger::person_ids(&part, "身份证号")?;
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
        Ok(l.record(&facts, &hashed[i].0)?)
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
    let plan = l.plan(&Rules::builtin(), req, &hashed[2].0)?;
    let r3 = record(&mut l, 2)?;
    let plan_path = out.join("plan-transfer-3.json");
    crate::evidence::write_json(&plan_path, &plan)?;
    files.push(plan_path.clone());
    Ok(LedgerStep {
        store: store.display().to_string(),
        exporter: exporter.into(),
        recipient: "partner-sg".into(),
        transfers: vec![r1.new_ordinary, r2.new_ordinary, r3.new_ordinary],
        ordinary_total: r3.totals.ordinary,
        plan: PlanStep {
            file: plan_path.display().to_string(),
            mechanism: plan.mechanism,
            rules: plan.rules,
            counts: plan.counts,
            warnings: plan.warnings,
            warning_codes: plan.warning_codes,
        },
        files,
    })
}

/// Utility of the synthetic twin against the release.
#[derive(Clone, Debug, Serialize)]
pub struct UtilityStep {
    /// Overall score.
    pub score: f64,
    /// Per-column score.
    pub columns: f64,
    /// Pair score.
    pub pairs: f64,
    /// Workload score.
    pub workload: f64,
    /// The utility JSON written.
    pub file: String,
}

/// The DP synthetic twin of the release.
#[derive(Clone, Debug, Serialize)]
pub struct SynthesizeStep {
    /// Always `mst`.
    pub method: String,
    /// Privacy budget epsilon.
    pub epsilon: f64,
    /// Privacy budget delta.
    pub delta: f64,
    /// The twin written.
    pub file: String,
    /// Its manifest.
    pub manifest: String,
    /// Rows generated.
    pub rows: u64,
    /// Columns synthesized.
    pub columns: usize,
    /// zCDP budget spent.
    pub rho_spent: f64,
    /// Seconds synthesis took.
    pub seconds: f64,
    /// Its utility.
    pub utility: UtilityStep,
    /// Files written.
    #[serde(skip)]
    pub files: Vec<PathBuf>,
}

/// An MST twin (epsilon 1) of the release over the generator's public domain, and its utility
/// against the release.
pub fn synthesize_step(
    ws: &Workspace,
    out: &Path,
    spec_path: &Path,
    (release_csv, release): (&Path, &Table),
    seed: u64,
    as_of: i64,
) -> Result<SynthesizeStep> {
    use datavisa_table::Spec;
    let mut spec = Spec::load(spec_path)?;
    let domain = datavisa_discover::fake::public_domain(as_of);
    let mut dropped = Vec::new();
    for c in spec.columns.iter_mut() {
        match domain.iter().find(|(n, _)| *n == c.name.get_ref()) {
            Some((_, d)) => c.domain = Some(toml::Spanned::new(0..0, d.clone())),
            None if c.role != Some(datavisa_table::Role::Identifier) => {
                dropped.push(c.name.get_ref().clone())
            }
            None => {}
        }
    }
    let synth_spec = out.join("synthesis-spec.toml");
    crate::evidence::write_text(&synth_spec, &spec.to_toml()?)?;
    let spec = Spec::load(&synth_spec)?;
    let params = datavisa_twin::synth::SynthParams {
        epsilon: 1.0,
        delta: 1e-9,
        seed: Some(seed),
        drop: dropped,
        ..Default::default()
    };
    let twin_path = out.join("customers-synthetic.csv");
    let made = ws
        .synthesize_table(
            (release_csv, release),
            (&spec, &synth_spec),
            &twin_path,
            &params,
            &Default::default(),
        )
        .with_context(|| "demo synthesize step")?;
    let view = made.written.manifest.synthetic().ok_or_else(|| {
        crate::Error::internal("the synthetic twin's manifest does not read back")
    })?;
    let twin = datavisa_table::read_table(&twin_path, &Default::default())?;
    let prepared = datavisa_risk::prepare::prepare(release, &twin, None)
        .with_context(|| "demo synthesize step")?;
    let u = datavisa_risk::utility::utility(&prepared, 500, seed)
        .with_context(|| "demo synthesize step")?;
    let utility_path = out.join("utility-synthetic.json");
    write_json(&utility_path, &u)?;
    Ok(SynthesizeStep {
        method: "mst".into(),
        epsilon: 1.0,
        delta: 1e-9,
        file: twin_path.display().to_string(),
        manifest: made.written.manifest_path.clone(),
        rows: view.rows,
        columns: view.columns.len(),
        rho_spent: view.privacy.rho_spent,
        seconds: view.timings_seconds.total,
        utility: UtilityStep {
            score: u.score,
            columns: u.column_score,
            pairs: u.pair_score,
            workload: u.workload_score,
            file: utility_path.display().to_string(),
        },
        files: vec![
            synth_spec,
            twin_path.clone(),
            PathBuf::from(&made.written.manifest_path),
            utility_path,
        ],
    })
}

/// What the demo is asked to do.
#[derive(Clone, Debug)]
pub struct DemoRequest {
    /// Directory for everything it writes.
    pub out: PathBuf,
    /// Fake customers to generate.
    pub rows: usize,
    /// Seed of every step.
    pub seed: u64,
    /// The day the data is generated and judged at.
    pub as_of: i64,
}

impl Workspace {
    /// Runs every step on fake customers made from a seed: generate, inspect, scan, risk, a raw
    /// export attacked, a generalized twin assessed for two recipients with visas, a DP
    /// synthetic twin, a pseudonymized twin with one approved relink, and three transfers in
    /// the ledger with a plan. The demo's store is `out/demo-store`, made afresh.
    pub fn demo(&self, req: &DemoRequest) -> Result<DemoSummary> {
        let (out, rows, seed, as_of) = (req.out.as_path(), req.rows, req.seed, req.as_of);
        if rows == 0 {
            return Err(crate::Error::bad_input("--rows must be at least 1"));
        }
        let ws = self;
        let demo_ws = self.on_store(out.join("demo-store"))?;
        std::fs::create_dir_all(out)
            .map_err(|e| crate::Error::internal(format!("cannot create {}: {e}", out.display())))?;
        let csv = out.join("customers.csv");
        let generate = generate(ws, &csv, rows, seed, as_of)?;

        let (inspection, t) = ws.inspect(&crate::inspect::InspectRequest {
            file: csv.clone(),
            read: Default::default(),
            top: 3,
        })?;
        let parquet = out.join("customers.parquet");
        write_table(&t, &parquet)?;
        let inspect_path = out.join("inspect.json");
        write_json(&inspect_path, &inspection)?;

        let spec_path = out.join("spec.toml");
        let scan_req = crate::inspect::ScanRequest {
            file: csv.clone(),
            read: Default::default(),
            write_spec: Some(spec_path.clone()),
            options: datavisa_discover::ScanOptions {
                seed,
                reference_date: as_of,
                ..Default::default()
            },
        };
        let scanned = ws.scan_table(&csv, &t, inspection.read_seconds, &scan_req)?;
        let report = &scanned.report;
        let scan_path = out.join("scan.json");
        write_json(&scan_path, report)?;
        let by_role = |role: &str| scanned.by_role(role);

        let risk = risk(out, &t, &by_role("quasi"), &by_role("sensitive"))?;
        let attack = raw_export_attack(ws, out, &t, seed)?;
        let release = split_release(out, &t, seed)?;
        let (train_csv, control_csv, train) = (&release.csv, &release.control_csv, &release.table);
        let sensitive: Vec<String> = by_role("sensitive")
            .into_iter()
            .filter(|c| !COORDINATES.contains(&c.as_str()))
            .collect();
        let mut dropped = by_role("identifier");
        dropped.extend(
            COORDINATES
                .iter()
                .filter(|c| t.index_of(c).is_ok())
                .map(|c| c.to_string()),
        );
        let twin_step = generalize_step(
            ws,
            out,
            (train_csv, train),
            (&by_role("quasi"), &sensitive),
            &dropped,
        )?;
        let twin_path = PathBuf::from(&twin_step.file);
        // One store for the whole demo, made afresh here: the assess step's register and visas, the
        // pseudonymize step's vault and the ledger all live in it and must survive each other.
        let store = out.join("demo-store");
        if store.exists() {
            std::fs::remove_dir_all(&store).map_err(|e| {
                crate::Error::internal(format!("cannot reset {}: {e}", store.display()))
            })?;
        }
        let assess_step = assess_step(
            &demo_ws.clone().with_clock(crate::FixedClock(as_of)),
            out,
            &spec_path,
            (&twin_path, train_csv, control_csv),
            seed,
        )?;
        let assess_files = assess_step.files.clone();
        let synth_step = synthesize_step(ws, out, &spec_path, (train_csv, train), seed, as_of)?;
        let synth_files = synth_step.files.clone();
        let pseudo_step = pseudonymize_step(&demo_ws, out, &csv)?;
        let pseudo_files = pseudo_step.files.clone();
        let ledger_step = ledger_step(ws, out, seed, as_of)?;
        let ledger_files = ledger_step.files.clone();
        let mut files: Vec<PathBuf> = vec![
            csv.clone(),
            parquet,
            inspect_path.clone(),
            scan_path.clone(),
            spec_path.clone(),
        ];
        if let RiskStep::Measured { file, .. } = &risk {
            files.push(PathBuf::from(file));
        }
        files.extend([
            PathBuf::from(&attack.file),
            train_csv.clone(),
            control_csv.clone(),
            twin_path.clone(),
            twin_step.manifest.clone(),
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
            tool_version: crate::tool().version,
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
            scan_report: scanned.report.clone(),
        };
        Ok(summary)
    }
}
