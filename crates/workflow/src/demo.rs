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
    pub twin: serde_json::Value,
    /// Its assessments and visas.
    pub assess: serde_json::Value,
    /// The DP synthetic twin.
    pub synthesize: serde_json::Value,
    /// The pseudonymized twin and a relink.
    pub pseudonymize: serde_json::Value,
    /// Three transfers and a plan.
    pub ledger: serde_json::Value,
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
            ("twin", self.twin.clone()),
            ("assess", self.assess.clone()),
            ("synthesize", self.synthesize.clone()),
            ("pseudonymize", self.pseudonymize.clone()),
            ("ledger", self.ledger.clone()),
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
}
