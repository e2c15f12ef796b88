//! Making twins: generalized (a privacy model over hierarchies), re-applied to new data,
//! differentially private synthetic, and pseudonymized with the recipient's keys from the vault.
//! Every kind is written by one protocol: the input is never overwritten, the twin is written,
//! hashed and described by its [`Manifest`] next to it.

use crate::error::{Context, Error, Result};
use crate::evidence::{input_evidence, tool, write_json, InputEvidence, Tool};
use crate::read::{load, read_options, ReadRequest};
use crate::sensitivity::source_scan;
use crate::workspace::Workspace;
use datavisa_discover::scan;
use datavisa_table::io::write_twin;
use datavisa_table::{
    file_sha256, read_table, FormatChoice, Role, SourceText, Spec, Table, TextEncoding, TextFormat,
};
use datavisa_twin::engine::{LVariant, Models, TDistance};
use datavisa_twin::manifest::{
    Manifest, ManifestKind, OutputFile, QualityFigure, SourceFile, SourceScan, ToolStamp, VaultRef,
};
use datavisa_twin::pseudonymize::plan::{self, plan, ColumnPlan};
use datavisa_twin::pseudonymize::{domains_needed, pseudonymize, Applied, LEGAL_STATUS};
use datavisa_twin::quality::Metric;
use datavisa_twin::recipe::{
    check_table, generalize_watched, reapply, Generalized, HierarchySpec, Recipe, TableCheck,
};
use datavisa_twin::search::{SearchParams, Strategy};
use datavisa_twin::synth;
use datavisa_vault::{DomainKeys, TwinColumn, TwinPeople, TwinRecord, Vault};
use serde::Serialize;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

/// How a twin file quotes its fields, as its manifest records it.
pub use datavisa_table::Quoting;
pub use datavisa_twin::manifest::ChargeView;
pub use datavisa_twin::manifest_path;

/// A twin written with its manifest.
#[derive(Clone, Debug, Serialize)]
pub struct TwinWritten {
    /// The manifest as written.
    #[serde(flatten)]
    pub manifest: Manifest,
    /// Where the manifest was written.
    #[serde(rename = "manifest")]
    pub manifest_path: String,
}

/// How a twin's text is written instead of as its source is (`--output-delimiter`,
/// `--output-encoding`); unset, the source's delimiter, quoting and encoding are kept.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OutputRequest {
    /// The field delimiter: one of , ; | tab or another punctuation character.
    pub delimiter: Option<String>,
    /// utf-8, gbk or gb18030.
    pub encoding: Option<String>,
}

impl OutputRequest {
    /// The choice, bad values refused before any work is done.
    pub fn choice(&self) -> Result<FormatChoice> {
        Ok(FormatChoice {
            delimiter: self
                .delimiter
                .as_deref()
                .map(FormatChoice::parse_delimiter)
                .transpose()?,
            encoding: self
                .encoding
                .as_deref()
                .map(str::parse::<TextEncoding>)
                .transpose()?,
        })
    }
}

/// The text formats of a twin's source and of the twin as written (None: Parquet).
struct Formats {
    source: Option<TextFormat>,
    output: Option<TextFormat>,
}

/// Writes `twin`, made from `t`, to `path`: Parquet by its name, else delimited text in the
/// source's format unless `choice` says otherwise, the columns in `kept` copied from the source
/// file as written (their rows are the source's rows, in order).
fn write_twin_file(
    t: &Table,
    twin: &Table,
    path: &Path,
    kept: &[String],
    choice: &FormatChoice,
) -> Result<Formats> {
    let source = SourceText::of(&t.origin, t.column_names())?;
    let kept: &[String] = if twin.n_rows == t.n_rows { kept } else { &[] };
    let output = write_twin(twin, path, source.as_ref(), kept, choice)?;
    Ok(Formats {
        source: source.map(|s| s.format),
        output,
    })
}

/// The twin's columns that are not in `changed`: kept from the source as they are.
fn kept_columns(twin: &Table, changed: &[String]) -> Vec<String> {
    twin.column_names()
        .into_iter()
        .filter(|n| !changed.contains(n))
        .collect()
}

/// The privacy models, as a person names them (by default the CLI's: none chosen, distinct
/// l-diversity with c = 3, equal t-closeness distance, no suppression).
#[derive(Clone, Debug)]
pub struct ModelChoice {
    /// k-anonymity.
    pub k: Option<u64>,
    /// l-diversity of each sensitive column.
    pub l: Option<f64>,
    /// distinct, entropy or recursive.
    pub l_variant: String,
    /// c of recursive (c,l)-diversity.
    pub c: f64,
    /// t-closeness of each sensitive column.
    pub t: Option<f64>,
    /// equal, ordered or hierarchical.
    pub t_distance: String,
    /// Average re-identification risk at most this.
    pub avg_risk: Option<f64>,
    /// Share of records that may be suppressed.
    pub suppression: f64,
}

impl Default for ModelChoice {
    fn default() -> Self {
        ModelChoice {
            k: None,
            l: None,
            l_variant: "distinct".into(),
            c: 3.0,
            t: None,
            t_distance: "equal".into(),
            avg_risk: None,
            suppression: 0.0,
        }
    }
}

impl ModelChoice {
    /// The models, with the variant and distance names checked (`t_distances` allowed).
    fn models(&self, t_distances: &[&str]) -> Result<Models> {
        check_choice(
            &self.l_variant,
            &["distinct", "entropy", "recursive"],
            "--l-variant",
        )?;
        check_choice(&self.t_distance, t_distances, "--t-distance")?;
        let range = |flag: &str, v: Option<f64>, ok: &dyn Fn(f64) -> bool, range: &str| match v {
            Some(x) if !(x.is_finite() && ok(x)) => Err(Error::bad_input(format!(
                "{flag} {x} is not a number in {range}"
            ))),
            _ => Ok(()),
        };
        if self.k == Some(0) {
            return Err(Error::bad_input("--k 0: k-anonymity needs k of at least 1"));
        }
        range("--l", self.l, &|x| x >= 1.0, "[1, ∞)")?;
        range("--c", Some(self.c), &|x| x > 0.0, "(0, ∞)")?;
        range("--t", self.t, &|x| (0.0..=1.0).contains(&x), "[0, 1]")?;
        range(
            "--avg-risk",
            self.avg_risk,
            &|x| x > 0.0 && x <= 1.0,
            "(0, 1]",
        )?;

        Ok(Models {
            k: self.k,
            l: self.l,
            l_variant: match self.l_variant.as_str() {
                "entropy" => LVariant::Entropy,
                "recursive" => LVariant::Recursive,
                _ => LVariant::Distinct,
            },
            c: self.c,
            t: self.t,
            t_distance: match self.t_distance.as_str() {
                "ordered" => TDistance::Ordered,
                "hierarchical" => TDistance::Hierarchical,
                _ => TDistance::Equal,
            },
            avg_risk: self.avg_risk,
            suppression: self.suppression,
        })
    }
}

/// A generalized twin to make.
#[derive(Clone, Debug)]
pub struct GeneralizeRequest {
    /// The source.
    pub input: PathBuf,
    /// The twin to write.
    pub output: PathBuf,
    /// How to read the source (its spec holds roles and hierarchies).
    pub read: ReadRequest,
    /// Quasi-identifiers (default: the spec's).
    pub quasi: Vec<String>,
    /// Sensitive columns (default: the spec's).
    pub sensitive: Vec<String>,
    /// COLUMN=FILE hierarchies.
    pub hierarchy: Vec<String>,
    /// The privacy models.
    pub models: ModelChoice,
    /// loss, precision, height, discernibility, aecs or entropy.
    pub metric: String,
    /// optimal, heuristic or auto.
    pub search: String,
    /// Heuristic search: nodes checked at most.
    pub max_checks: usize,
    /// Heuristic search: seconds at most.
    pub time_limit: f64,
    /// How the twin's text is written.
    pub output_format: OutputRequest,
}

/// A table checked as it is against privacy models.
#[derive(Clone, Debug)]
pub struct CheckRequest {
    /// The table.
    pub file: PathBuf,
    /// Quasi-identifiers (default: the spec's).
    pub quasi: Vec<String>,
    /// Sensitive columns (default: the spec's).
    pub sensitive: Vec<String>,
    /// The privacy models.
    pub models: ModelChoice,
    /// How to read it.
    pub read: ReadRequest,
}

/// A check's result with its evidence.
#[derive(Clone, Debug, Serialize)]
pub struct Checked {
    /// Whether the models hold, and the failing classes.
    #[serde(flatten)]
    pub check: TableCheck,
    /// The table checked.
    pub file: InputEvidence,
    /// The tool.
    pub tool: Tool,
}

/// A differentially private synthetic twin to make.
#[derive(Clone, Debug)]
pub struct SynthesizeRequest {
    /// The source.
    pub input: PathBuf,
    /// The twin to write.
    pub output: PathBuf,
    /// How to read the source; its spec (required) declares the domains.
    pub read: ReadRequest,
    /// Mechanism, budget, seed, rows.
    pub params: SynthParams,
    /// `COLUMN=FILE`: the column's domain is the file's values, one a line (a public list).
    pub domain_from: Vec<String>,
    /// How the twin's text is written.
    pub output_format: OutputRequest,
}

/// A column's public domain as a spec declares it (`domain = { … }`).
pub use datavisa_table::DomainSpec;

/// Where a synthetic twin's public domains come from, for front ends that name no spec flag.
#[derive(Clone, Debug)]
pub enum Domains {
    /// A spec file: its columns' domains, types and roles.
    Spec(PathBuf),
    /// Each column's domain, as a spec's `domain = { … }` would declare it.
    Columns(Vec<(String, DomainSpec)>),
}

/// The name a spec made of given domains is shown by in errors and the manifest.
pub const DOMAINS_GIVEN: &str = "<domain>";

impl Domains {
    /// The spec holding the domains, and the path its manifest names.
    pub fn spec(&self) -> Result<(Spec, PathBuf)> {
        match self {
            Domains::Spec(p) => Ok((Spec::load(p)?, p.clone())),
            Domains::Columns(columns) => {
                let columns = columns
                    .iter()
                    .map(|(name, d)| {
                        let mut c = datavisa_table::spec::column_spec(name);
                        c.domain = Some(toml::Spanned::new(0..0, d.clone()));
                        c
                    })
                    .collect();
                let mut spec = Spec::new(None, columns);
                spec.path = PathBuf::from(DOMAINS_GIVEN);
                Ok((spec, PathBuf::from(DOMAINS_GIVEN)))
            }
        }
    }
}

/// Reads each `COLUMN=FILE` list: one value a line, blank lines and `#` comments skipped, no
/// value twice.
fn domain_lists(flags: &[String]) -> Result<Vec<datavisa_twin::synth::DomainList>> {
    let mut out: Vec<datavisa_twin::synth::DomainList> = Vec::new();
    for f in flags {
        let (column, file) = f
            .split_once('=')
            .filter(|(c, p)| !c.is_empty() && !p.is_empty())
            .ok_or_else(|| Error::bad_input(format!("--domain-from {f:?}: write COLUMN=FILE")))?;
        if out.iter().any(|l| l.column == column) {
            return Err(Error::bad_input(format!(
                "--domain-from names {column:?} twice"
            )));
        }
        let text = std::fs::read(file)
            .map_err(|e| Error::bad_input(format!("--domain-from {file}: {e}")))?;
        let text = String::from_utf8(text)
            .map_err(|_| Error::bad_input(format!("{file}: not UTF-8 text")))?;
        let mut values: Vec<String> = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let v = line.trim().trim_start_matches('\u{feff}');
            if v.is_empty() || v.starts_with('#') {
                continue;
            }
            if values.iter().any(|x| x == v) {
                return Err(Error::bad_input(format!(
                    "{file}:{}: {v:?} is listed twice",
                    i + 1
                )));
            }
            values.push(v.to_owned());
        }
        if values.is_empty() {
            return Err(Error::bad_input(format!(
                "{file}: no value (write one value a line)"
            )));
        }
        out.push(datavisa_twin::synth::DomainList {
            column: column.to_owned(),
            file: file.to_owned(),
            values,
        });
    }
    Ok(out)
}

/// A synthetic twin written (or, as [`SynthesizedInMemory`], made in memory), and the warnings
/// about the real data for the operator only.
#[derive(Clone, Debug, Serialize)]
pub struct Synthesized<W = TwinWritten> {
    /// The twin and its manifest.
    #[serde(flatten)]
    pub written: W,
    /// About the real data: shown to the operator, never written to the manifest.
    #[serde(skip)]
    pub operator_warnings: Vec<String>,
    /// Columns whose DP-estimated domain left out more of their values than allowed (also in
    /// the manifest's `domain_coverage`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub domain_losses: Vec<datavisa_twin::synth::DomainLoss>,
}

/// A synthetic twin made in memory, with the warnings and domain losses of a written one.
pub type SynthesizedInMemory = Synthesized<TwinMade>;

/// A pseudonymized twin to make for one recipient.
#[derive(Clone, Debug)]
pub struct PseudonymizeRequest {
    /// The source.
    pub input: PathBuf,
    /// The twin to write.
    pub output: PathBuf,
    /// The recipient whose keys are used.
    pub recipient: String,
    /// How to read the source (its spec can name methods per column).
    pub read: ReadRequest,
    /// How the twin's text is written.
    pub output_format: OutputRequest,
}

fn check_choice(value: &str, allowed: &[&str], flag: &str) -> Result<()> {
    if allowed.contains(&value) {
        Ok(())
    } else {
        Err(Error::bad_input(format!(
            "{flag} must be one of {}, not {value:?}",
            allowed.join(", ")
        )))
    }
}

fn metric(s: &str) -> Result<Metric> {
    Ok(match s {
        "loss" => Metric::Loss,
        "precision" => Metric::Precision,
        "height" => Metric::Height,
        "discernibility" => Metric::Discernibility,
        "aecs" => Metric::Aecs,
        "entropy" => Metric::Entropy,
        _ => {
            return Err(Error::bad_input(format!(
            "--metric must be loss, precision, height, discernibility, aecs or entropy, not {s:?}"
        )))
        }
    })
}

/// Roles from the spec, overridden by the request: (quasi, sensitive, identifiers).
fn roles(
    spec: Option<&Spec>,
    quasi: &[String],
    sensitive: &[String],
) -> (Vec<String>, Vec<String>, Vec<String>) {
    let by_role = |r: Role| -> Vec<String> {
        spec.map(|s| {
            s.columns
                .iter()
                .filter(|c| c.role == Some(r))
                .map(|c| c.name.get_ref().clone())
                .collect()
        })
        .unwrap_or_default()
    };
    let pick = |given: &[String], r| {
        if given.is_empty() {
            by_role(r)
        } else {
            given.to_vec()
        }
    };
    (
        pick(quasi, Role::Quasi),
        pick(sensitive, Role::Sensitive),
        by_role(Role::Identifier),
    )
}

fn require_quasi(quasi: &[String]) -> Result<()> {
    if quasi.is_empty() {
        return Err(Error::bad_input(
            "no quasi-identifiers: give --quasi a,b,c or a spec with role = \"quasi\" columns",
        ));
    }
    Ok(())
}

/// Hierarchies from the spec (`hierarchy = "file.csv"` on a column, or `[hierarchies.<col>]`),
/// then `COL=FILE` flags, where FILE may name a data frame the workspace holds.
fn hierarchies(
    ws: &Workspace,
    spec: Option<&Spec>,
    flags: &[String],
) -> Result<BTreeMap<String, HierarchySpec>> {
    let mut out = BTreeMap::new();
    if let Some(s) = spec {
        for c in &s.columns {
            if let Some(f) = &c.hierarchy {
                out.insert(
                    c.name.get_ref().clone(),
                    HierarchySpec::File(datavisa_twin::hierarchy::resolve(&s.path, f)),
                );
            }
        }
        if let Some(t) = s.rest.get("hierarchies").and_then(|v| v.as_table()) {
            for (col, def) in t {
                let def = def.as_table().ok_or_else(|| {
                    Error::bad_input(format!(
                        "{}: [hierarchies.{col}] must be a table",
                        s.path.display()
                    ))
                })?;
                out.insert(
                    col.clone(),
                    HierarchySpec::Builder(def.clone(), s.path.clone()),
                );
            }
        }
    }
    for f in flags {
        let (col, file) = f
            .split_once('=')
            .ok_or_else(|| Error::bad_input(format!("--hierarchy takes COLUMN=FILE, got {f:?}")))?;
        let given = match ws.frames().get(Path::new(file)) {
            Some(f) => HierarchySpec::Table {
                table: f.table().clone(),
                name: f.name().to_owned(),
                sha256: f.sha256().to_owned(),
            },
            None => HierarchySpec::File(PathBuf::from(file)),
        };
        out.insert(col.to_owned(), given);
    }
    Ok(out)
}

/// Refuses an output path that is the input file (or a link to it), its manifest, a file whose
/// manifest is the input, or a file of a datavisa store.
pub fn refuse_overwrite(input: &Path, output: &Path) -> Result<()> {
    crate::guard::check_output(output, &[input.to_path_buf()], None)
}

/// The manifest's record of the source from its evidence and its text format.
fn source_file(e: InputEvidence, format: Option<TextFormat>) -> SourceFile {
    SourceFile {
        path: e.path,
        sha256: e.sha256,
        rows: e.rows as u64,
        columns: e.columns as u64,
        format,
    }
}

fn stamp() -> ToolStamp {
    let t = tool();
    ToolStamp {
        name: t.name,
        version: t.version,
    }
}

/// Takes a field the twin crate put in a report body out of it, typed.
fn take<T: serde::de::DeserializeOwned>(body: &mut Map<String, Value>, key: &str) -> Result<T> {
    let v = body.remove(key).unwrap_or(Value::Null);
    serde_json::from_value(v)
        .map_err(|e| Error::internal(format!("the twin's report has no valid {key}: {e}")))
}

/// Writes the manifest next to the twin and returns both.
fn write_manifest(output: &Path, manifest: Manifest) -> Result<TwinWritten> {
    let mpath = manifest_path(output);
    write_json(&mpath, &manifest)?;
    Ok(TwinWritten {
        manifest,
        manifest_path: mpath.display().to_string(),
    })
}

/// What a generalized or synthetic twin's manifest says whether or not the twin is written:
/// its kind, quality and the engine's report, and the source's scan.
struct Described {
    kind: ManifestKind,
    quality: Option<QualityFigure>,
    body: Map<String, Value>,
    scanned: SourceScan,
}

impl Described {
    /// Reads the engine's report of a twin made from `t` (read from `input`) and scans `t`.
    fn of(ws: &Workspace, (input, t): (&Path, &Table), report: Value) -> Result<Described> {
        let scanned = source_scan(&scan(t, &input.display().to_string(), &ws.scan_options()));
        let Value::Object(mut body) = report else {
            return Err(Error::internal("the twin's report is not an object"));
        };
        let kind: ManifestKind = take(&mut body, "kind")?;
        let quality: Option<QualityFigure> = take(&mut body, "quality")?;
        body.insert(
            "created_at_unix".into(),
            json!(std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs())),
        );
        Ok(Described {
            kind,
            quality,
            body,
            scanned,
        })
    }

    /// The manifest of the twin, from the source's and the output's records.
    fn manifest(self, source: SourceFile, output: OutputFile) -> Manifest {
        Manifest {
            kind: self.kind,
            source,
            output,
            tool: stamp(),
            twin_id: None,
            vault: None,
            quality: self.quality,
            source_scan: Some(self.scanned),
            body: self.body,
        }
    }
}

/// The one protocol of generalized and synthetic twins: refuse to overwrite the input, write
/// the twin (the `kept` columns as the source wrote them, in the source's format unless
/// `choice` says otherwise), hash it, write its manifest stamped with the source's evidence
/// (a data frame's name and content hash when the input is one), both formats and the tool.
pub fn place_twin(
    ws: &Workspace,
    (input, t): (&Path, &Table),
    (output, twin): (&Path, &Table),
    report: Value,
    (kept, choice): (&[String], &FormatChoice),
) -> Result<TwinWritten> {
    refuse_overwrite(input, output)?;
    let described = Described::of(ws, (input, t), report)?;
    let formats = write_twin_file(t, twin, output, kept, choice)?;
    let source = source_file(ws.evidence_of(input, t)?, formats.source);
    let sha = file_sha256(output)?;
    let file = OutputFile {
        format: formats.output,
        ..OutputFile::written(output, sha, twin.n_rows, twin.column_names())
    };
    write_manifest(output, described.manifest(source, file))
}

/// A generalized or synthetic twin made in memory, with the manifest it would be written with.
#[derive(Clone, Debug, Serialize)]
pub struct TwinMade {
    /// The twin.
    #[serde(skip)]
    pub table: Table,
    /// Its manifest: the output is named `<twin>` and hashed over its content as a frame is.
    #[serde(flatten)]
    pub manifest: Manifest,
}

/// The name an in-memory twin's manifest gives its output.
pub const TWIN_IN_MEMORY: &str = "<twin>";

/// Describes a twin made from `t` (read from `input`) without writing it: the manifest
/// `place_twin` would write, but for the file's path, format and hash.
pub fn twin_in_memory(
    ws: &Workspace,
    (input, t): (&Path, &Table),
    twin: Table,
    report: Value,
) -> Result<TwinMade> {
    let described = Described::of(ws, (input, t), report)?;
    let source = source_file(ws.evidence_of(input, t)?, None);
    let output = OutputFile {
        path: TWIN_IN_MEMORY.to_owned(),
        file: None,
        sha256: Some(crate::frames::content_sha256(&twin)),
        rows: Some(twin.n_rows as u64),
        columns: Some(twin.column_names()),
        format: None,
    };
    Ok(TwinMade {
        manifest: described.manifest(source, output),
        table: twin,
    })
}

/// Writes a generalized twin of `t` (read from `input`) to `output`: every column but the
/// quasi-identifiers kept as the source wrote it.
pub fn write_generalized(
    ws: &Workspace,
    (input, t): (&Path, &Table),
    output: &Path,
    g: &Generalized,
    choice: &FormatChoice,
) -> Result<TwinWritten> {
    let quasi: Vec<String> = g.report["recipe"]["quasi"]
        .as_array()
        .map(|q| {
            q.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let kept = kept_columns(&g.twin, &quasi);
    let report = g.report.clone();
    place_twin(ws, (input, t), (output, &g.twin), report, (&kept, choice))
}

/// Progress of a synthesis, one bar per phase, on the workspace's progress sink.
struct Phases<'a> {
    ws: &'a Workspace,
    bar: Mutex<Option<crate::workspace::TaskGuard>>,
}

impl synth::Progress for Phases<'_> {
    fn phase(&self, name: &str, len: u64) {
        let mut b = self.bar.lock().unwrap_or_else(|e| e.into_inner());
        *b = None;
        *b = Some(self.ws.bar(len, name));
    }
    fn advance(&self, n: u64) {
        if let Some(b) = self.bar.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
            b.advance(n);
        }
    }
    fn stopped(&self) -> bool {
        self.ws.progress().cancelled()
    }
}

/// Wall-clock seconds of each step of making a pseudonymized twin, recorded in its manifest.
#[derive(Default)]
struct Laps {
    last: Option<std::time::Instant>,
    laps: Vec<(&'static str, f64)>,
}

impl Laps {
    fn lap(&mut self, step: &'static str) {
        let now = std::time::Instant::now();
        if let Some(l) = self.last {
            self.laps.push((step, (now - l).as_secs_f64()));
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
pub(crate) fn load_text(
    ws: &Workspace,
    input: &Path,
    read: &ReadRequest,
    spec: Option<&Spec>,
) -> Result<Table> {
    if read.strict {
        // The values are read as text to be pseudonymized as written; --strict still refuses
        // a mixed column, which only a typed read can tell.
        crate::read::load(ws, input, read)?;
    }
    let mut opts = read_options(read, spec)?;
    opts.all_text = true;
    opts.types.clear();
    let task = ws.spinner(&format!("reading {}", input.display()));
    let t = read_table(input, &opts)?;
    drop(task);
    if let Some(s) = spec {
        s.check_columns(&t)?;
    }
    Ok(t)
}

/// The scan of a source read as text (its columns typed in memory first, as `datavisa scan`
/// sees them): the kinds it finds for the columns the spec does not describe (so a column the
/// spec forgot is still recognised), and the source's categories for the twin's manifest.
pub(crate) fn scanned_kinds(
    ws: &Workspace,
    t: &Table,
    spec: Option<&Spec>,
    input: &Path,
) -> Result<(BTreeMap<String, String>, SourceScan)> {
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
    let typed = datavisa_table::csv_read::infer_text_columns(t, &t.column_names())?;
    let report = scan(&typed, &input.display().to_string(), &ws.scan_options());
    let scanned = source_scan(&report);
    let kinds = report
        .columns
        .into_iter()
        .filter(|c| !described(&c.name))
        .filter_map(|c| c.kind.map(|k| (c.name, k.as_str().to_owned())))
        .collect();
    Ok((kinds, scanned))
}

fn temp_twin_path(output: &Path) -> Result<PathBuf> {
    let dir = match output.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let ext = output.extension().and_then(|e| e.to_str()).unwrap_or("csv");
    datavisa_table::io::clean_partials(output);
    let id = datavisa_vault::crypto::random_id("tw")?;
    Ok(dir.join(format!(
        "{}{id}.{ext}",
        datavisa_table::io::partial_prefix(output)
    )))
}

/// One pseudonymized twin to make: from where, to where, for whom, how.
pub struct TwinJob<'a> {
    /// The source file.
    pub input: &'a Path,
    /// Its table, every column as text.
    pub table: &'a Table,
    /// The twin to write.
    pub output: &'a Path,
    /// The recipient whose keys are used.
    pub recipient: &'a str,
    /// What to do with each column.
    pub plans: &'a [ColumnPlan],
    /// The source's scan, recorded in the manifest (the twin's categories come from it).
    pub source_scan: &'a SourceScan,
    /// How the twin's text is written instead of as the source's.
    pub format: FormatChoice,
}

impl Workspace {
    /// Makes a generalized twin: the best transformation satisfying the models.
    pub fn generalize(&self, req: &GeneralizeRequest) -> Result<TwinWritten> {
        Ok(self.generalize_keeping(req)?.0)
    }

    /// [`Workspace::generalize`], handing back the twin's table too (for a front end on frames).
    pub fn generalize_keeping(&self, req: &GeneralizeRequest) -> Result<(TwinWritten, Table)> {
        let choice = req.output_format.choice()?;
        let (t, g) = self.generalized(req)?;
        let written = write_generalized(self, (&req.input, &t), &req.output, &g, &choice)?;
        Ok((written, g.twin))
    }

    /// Makes a generalized twin in memory (`req.output` and `req.output_format` are not used).
    pub fn generalize_in_memory(&self, req: &GeneralizeRequest) -> Result<TwinMade> {
        let (t, g) = self.generalized(req)?;
        twin_in_memory(self, (&req.input, &t), g.twin, g.report)
    }

    /// The source as read and its generalized twin, searched for as the request says.
    fn generalized(&self, req: &GeneralizeRequest) -> Result<(Table, Generalized)> {
        let models = req.models.models(&["equal", "ordered", "hierarchical"])?;
        check_choice(&req.search, &["optimal", "heuristic", "auto"], "--search")?;
        let spec = req.read.spec.as_deref().map(Spec::load).transpose()?;
        let (t, _) = load(self, &req.input, &req.read)?;
        let (quasi, sensitive, dropped) = roles(spec.as_ref(), &req.quasi, &req.sensitive);
        require_quasi(&quasi)?;
        let recipe = Recipe {
            quasi,
            sensitive,
            drop: dropped,
            hierarchies: hierarchies(self, spec.as_ref(), &req.hierarchy)?,
            models,
            metric: metric(&req.metric)?,
            search: SearchParams {
                strategy: match req.search.as_str() {
                    "optimal" => Strategy::Optimal,
                    "heuristic" => Strategy::Heuristic,
                    _ => Strategy::Auto,
                },
                max_checks: req.max_checks,
                time_limit: Duration::from_secs_f64(req.time_limit.max(0.0)),
                ..Default::default()
            },
        };
        self.checkpoint()?;
        let task = self.spinner("searching the generalization lattice");
        let g = generalize_watched(&t, &recipe, &|| self.progress().cancelled());
        drop(task);
        self.checkpoint()?;
        Ok((t, g?))
    }

    /// Re-applies the transformation a generalized twin's manifest records to new data.
    pub fn apply_recipe(
        &self,
        recipe: &Path,
        (input, output): (&Path, &Path),
        read: &ReadRequest,
        format: &OutputRequest,
    ) -> Result<TwinWritten> {
        let choice = format.choice()?;
        let manifest = Manifest::read(recipe)?;
        let (t, _) = load(self, input, read)?;
        let g = reapply(&t, &manifest)?;
        write_generalized(self, (input, &t), output, &g, &choice)
    }

    /// Checks a table as it is against privacy models.
    pub fn check(&self, req: &CheckRequest) -> Result<Checked> {
        let models = req.models.models(&["equal", "ordered"])?;
        let spec = req.read.spec.as_deref().map(Spec::load).transpose()?;
        let (t, _) = load(self, &req.file, &req.read)?;
        let (quasi, sensitive, _) = roles(spec.as_ref(), &req.quasi, &req.sensitive);
        require_quasi(&quasi)?;
        let check = check_table(&t, &quasi, &sensitive, &models, 20)?;
        Ok(Checked {
            check,
            file: self.evidence_of(&req.file, &t)?,
            tool: tool(),
        })
    }

    /// Makes a differentially private synthetic twin over the spec's domains.
    pub fn synthesize(&self, req: &SynthesizeRequest) -> Result<Synthesized> {
        let spec_path = req.read.required_spec()?;
        let choice = req.output_format.choice()?;
        let spec = Spec::load(&spec_path)?;
        refuse_overwrite(&req.input, &req.output)?;
        let mut params = req.params.clone();
        params.domain_lists = domain_lists(&req.domain_from)?;
        for l in &params.domain_lists {
            refuse_overwrite(Path::new(&l.file), &req.output)?;
        }
        let (t, _) = load(self, &req.input, &req.read)?;
        spec.check_columns(&t)?;
        self.synthesize_table(
            (&req.input, &t),
            (&spec, &spec_path),
            &req.output,
            &params,
            &choice,
        )
    }

    /// Synthesizes a table already read, naming `spec_path` (its domains) in the manifest.
    pub fn synthesize_table(
        &self,
        (input, t): (&Path, &Table),
        (spec, spec_path): (&Spec, &Path),
        output: &Path,
        params: &SynthParams,
        choice: &FormatChoice,
    ) -> Result<Synthesized> {
        let to = (output, choice);
        Ok(self
            .synthesize_keeping((input, t), (spec, spec_path), to, params)?
            .0)
    }

    /// [`Workspace::synthesize_table`], handing back the twin's table too.
    fn synthesize_keeping(
        &self,
        (input, t): (&Path, &Table),
        (spec, spec_path): (&Spec, &Path),
        (output, choice): (&Path, &FormatChoice),
        params: &SynthParams,
    ) -> Result<(Synthesized, Table)> {
        let made = self.synthesized(t, (spec, spec_path), params)?;
        let synthesized = Synthesized {
            // No cell of a synthetic twin is the source's; only its format is kept.
            written: place_twin(
                self,
                (input, t),
                (output, &made.twin),
                made.report,
                (&[], choice),
            )?,
            operator_warnings: made.operator_warnings,
            domain_losses: made.domain_losses,
        };
        Ok((synthesized, made.twin))
    }

    /// Synthesizes the table at `input` (a frame the workspace holds, or a file) over `domains`,
    /// in memory.
    pub fn synthesize_in_memory(
        &self,
        input: &Path,
        domains: &Domains,
        params: &SynthParams,
    ) -> Result<SynthesizedInMemory> {
        let (t, spec, spec_path) = self.synthesis_source(input, domains)?;
        self.synthesize_table_in_memory((input, &t), (&spec, &spec_path), params)
    }

    /// Synthesizes the table at `input` over `domains`, written to `output` with its manifest as
    /// `datavisa twin synthesize` writes it; the twin's table is handed back too.
    pub fn synthesize_to(
        &self,
        input: &Path,
        domains: &Domains,
        params: &SynthParams,
        output: &Path,
    ) -> Result<(Synthesized, Table)> {
        refuse_overwrite(input, output)?;
        let (t, spec, spec_path) = self.synthesis_source(input, domains)?;
        let to = (output, &FormatChoice::default());
        self.synthesize_keeping((input, &t), (&spec, &spec_path), to, params)
    }

    /// The source read (as its spec says, when the domains are a spec file) and the spec.
    fn synthesis_source(&self, input: &Path, domains: &Domains) -> Result<(Table, Spec, PathBuf)> {
        let (spec, spec_path) = domains.spec()?;
        let read = match domains {
            Domains::Spec(p) => ReadRequest::default().with_spec(p),
            Domains::Columns(_) => ReadRequest::default(),
        };
        let (t, _) = load(self, input, &read)?;
        spec.check_columns(&t)?;
        Ok((t, spec, spec_path))
    }

    /// Synthesizes a table already read, in memory, naming `spec_path` in the manifest.
    pub fn synthesize_table_in_memory(
        &self,
        (input, t): (&Path, &Table),
        (spec, spec_path): (&Spec, &Path),
        params: &SynthParams,
    ) -> Result<SynthesizedInMemory> {
        let made = self.synthesized(t, (spec, spec_path), params)?;
        Ok(SynthesizedInMemory {
            written: twin_in_memory(self, (input, t), made.twin, made.report)?,
            operator_warnings: made.operator_warnings,
            domain_losses: made.domain_losses,
        })
    }

    /// The engine's synthetic twin of `t`, its report naming `spec_path`.
    fn synthesized(
        &self,
        t: &Table,
        (spec, spec_path): (&Spec, &Path),
        params: &SynthParams,
    ) -> Result<synth::Synthesized> {
        let phases = Phases {
            ws: self,
            bar: Mutex::new(None),
        };
        let made = synth::synthesize(t, spec, params, &phases);
        drop(phases);
        let mut made = made?;
        self.checkpoint()?;
        made.report["spec"] = json!(spec_path.display().to_string());
        Ok(made)
    }

    /// Opens the vault with the workspace's master key, as `actor`.
    pub fn open_vault_as(&self, actor: &str) -> Result<Vault> {
        let key = self.secrets().master_key()?;
        let v = Vault::open(self.store(), &key, actor)?;
        // A server's request: every entry this handle writes names the token and request.
        Ok(match self.origin() {
            Some(o) => {
                let mut fields = serde_json::Map::new();
                fields.insert("token_prefix".into(), o.token_prefix.clone().into());
                fields.insert("request_id".into(), o.request_id.clone().into());
                v.with_audit_context(fields)
            }
            None => v,
        })
    }

    /// Makes a pseudonymized twin with the recipient's keys, registered in the vault.
    pub fn pseudonymize(&self, req: &PseudonymizeRequest) -> Result<TwinWritten> {
        refuse_overwrite(&req.input, &req.output)?;
        let format = req.output_format.choice()?;
        let mut laps = Laps::default();
        laps.lap("start");
        let spec = req.read.spec.as_deref().map(Spec::load).transpose()?;
        let t = load_text(self, &req.input, &req.read, spec.as_ref())?;
        laps.lap("read");
        let (kinds, scanned) = scanned_kinds(self, &t, spec.as_ref(), &req.input)?;
        let plans = plan(&t, spec.as_ref(), &kinds)?;
        laps.lap("plan");
        let mut v = self.open_vault_as(self.actor())?;
        laps.lap("unlock");
        let job = TwinJob {
            input: &req.input,
            table: &t,
            output: &req.output,
            recipient: &req.recipient,
            plans: &plans,
            source_scan: &scanned,
            format,
        };
        self.make_pseudonymized(&mut v, &job, &mut laps)
    }

    /// Pseudonymizes a planned table into a vault (the demo plans its own).
    pub fn pseudonymize_planned(&self, v: &mut Vault, job: &TwinJob) -> Result<TwinWritten> {
        let mut laps = Laps::default();
        laps.lap("start");
        self.make_pseudonymized(v, job, &mut laps)
    }

    fn make_pseudonymized(
        &self,
        v: &mut Vault,
        job: &TwinJob,
        laps: &mut Laps,
    ) -> Result<TwinWritten> {
        let mut keys = hashbrown::HashMap::new();
        for d in domains_needed(job.plans) {
            let k = v.domain_keys(job.recipient, &d)?;
            keys.insert(d, k);
        }
        self.checkpoint()?;
        let task = self.spinner("pseudonymizing");
        laps.lap("keys");
        let applied = pseudonymize(job.table, job.plans, &keys);
        drop(task);
        let applied = applied?;
        laps.lap("transform");
        let people = crate::people::twin_people(self, job.table, &applied.columns)?;
        laps.lap("people");
        // Written under a temporary name, registered in the vault, then renamed: a crash leaves
        // neither a partial twin nor a twin the vault cannot relink.
        let tmp = temp_twin_path(job.output)?;
        let changed: Vec<String> = applied
            .columns
            .iter()
            .filter(|c| !matches!(c.plan.method, plan::Method::Keep))
            .map(|c| c.plan.column.clone())
            .collect();
        let kept = kept_columns(&applied.table, &changed);
        let formats = write_twin_file(job.table, &applied.table, &tmp, &kept, &job.format);
        let formats = match formats {
            Ok(f) => f,
            Err(e) => {
                let _ = std::fs::remove_file(&tmp);
                return Err(e);
            }
        };
        laps.lap("write");
        let keys: Vec<&DomainKeys> = keys.values().collect();
        let result = register_and_place(v, job, &tmp, (&keys, &people), (&applied, formats), laps);
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        result
    }
}

/// Identifiers replaced inside free text over all redacted columns, by kind (counts only).
fn redacted_totals(
    columns: &[datavisa_twin::pseudonymize::AppliedColumn],
) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for (kind, n) in columns.iter().filter_map(|c| c.redacted.as_ref()).flatten() {
        *out.entry(kind.clone()).or_insert(0) += n;
    }
    out
}

/// Registers the twin in the vault, moves it to its name and writes its manifest.
fn register_and_place(
    v: &mut Vault,
    job: &TwinJob,
    tmp: &Path,
    (keys, people): (&[&DomainKeys], &[TwinPeople]),
    (applied, formats): (&Applied, Formats),
    laps: &mut Laps,
) -> Result<TwinWritten> {
    let (output, recipient) = (job.output, job.recipient);
    let source = source_file(input_evidence(job.input, job.table)?, formats.source);
    let output_sha = file_sha256(tmp)?;
    let twin_id = datavisa_vault::crypto::random_id("tw")?;
    let created_at = datavisa_vault::store::rfc3339(datavisa_vault::store::unix_now());
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
        source_sha256: source.sha256.clone(),
        rows: applied.table.n_rows as u64,
        columns,
    };
    laps.lap("hash");
    v.register_twin_with_people(&record, keys, &applied.index, people)?;
    laps.lap("register");
    std::fs::rename(tmp, output)
        .with_context(|| format!("cannot move the twin to {}", output.display()))?;
    let body = match json!({
        "legal_status": "de_identified",
        "statement": LEGAL_STATUS,
        "recipient": recipient,
        "columns": applied.columns,
        "redacted": redacted_totals(&applied.columns),
        "token_index_entries": applied.index.len(),
        "keys_note": "key ids and versions only; the keys stay in the vault",
        "created_at": created_at,
        "timings_secs": laps.json(),
    }) {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    let manifest = Manifest {
        kind: ManifestKind::PseudonymizedTwin,
        source,
        output: OutputFile {
            format: formats.output,
            ..OutputFile::written(
                output,
                output_sha,
                applied.table.n_rows,
                applied.table.column_names(),
            )
        },
        tool: stamp(),
        twin_id: Some(twin_id),
        vault: Some(VaultRef {
            id: v.id().to_owned(),
            path: v.path().display().to_string(),
        }),
        quality: None,
        source_scan: Some(job.source_scan.clone()),
        body,
    };
    write_manifest(output, manifest)
}

/// The synthesis mechanisms and parameters, for front ends that build requests.
pub use datavisa_twin::synth::{Method, SynthParams};
