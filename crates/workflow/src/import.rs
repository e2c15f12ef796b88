//! `spec import-arx` and `spec import-sdv`: a datavisa spec from another tool's description of a
//! table. From ARX: an unpacked project (its data definition XML: each attribute's type, data
//! type and hierarchy file, beside the data and the hierarchies) or a directory as ARX's examples
//! ship it (`adult.csv` with `adult_hierarchy_<attribute>.csv`, roles from the hierarchies and
//! flags). From SDV: single- or multi-table metadata JSON (sdtypes to types and roles).

use crate::error::{Error, Result};
use crate::workspace::Workspace;
use datavisa_i18n::{Msg, Note};
use datavisa_table::column::ValueType;
use datavisa_table::spec::column_spec;
pub use datavisa_table::Role;
use datavisa_table::{file_sha256, write_atomic, ColumnSpec, ReadOptions, SourceSpec, Spec};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Component, Path, PathBuf};

/// An ARX project or example directory to turn into a spec.
#[derive(Clone, Debug, Default)]
pub struct ArxImportRequest {
    /// The directory: an unpacked ARX project, or a data file beside its hierarchy files.
    pub dir: PathBuf,
    /// Where the spec goes.
    pub output: PathBuf,
    /// The data file, when the directory holds several candidates.
    pub data: Option<PathBuf>,
    /// Columns stated as identifying (direct identifiers), over the project's or inferred role.
    pub identifying: Vec<String>,
    /// Columns stated as quasi-identifying.
    pub quasi: Vec<String>,
    /// Columns stated as sensitive.
    pub sensitive: Vec<String>,
    /// Columns stated as insensitive.
    pub insensitive: Vec<String>,
}

/// SDV metadata to turn into a spec.
#[derive(Clone, Debug, Default)]
pub struct SdvImportRequest {
    /// The metadata JSON file.
    pub metadata: PathBuf,
    /// Where the spec goes.
    pub output: PathBuf,
    /// The table of multi-table metadata.
    pub table: Option<String>,
}

/// One column of the imported spec, with what the other tool said of it.
#[derive(Clone, Debug, Serialize)]
pub struct ImportedColumn {
    /// The column's name.
    pub name: String,
    /// Its role in the spec (none: left to the user or `scan`).
    pub role: Option<Role>,
    /// Its declared type (none: inferred when read).
    #[serde(rename = "type")]
    pub value_type: Option<ValueType>,
    /// Its hierarchy file, as written in the spec (relative to the spec's directory).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hierarchy: Option<String>,
    /// What the source said: ARX's attribute and data type, or SDV's sdtype.
    pub from: String,
}

/// A spec written from another tool's description.
#[derive(Clone, Debug, Serialize)]
pub struct Imported {
    /// The spec written.
    pub spec: PathBuf,
    /// `arx-project`, `arx-files` or `sdv`.
    pub source_kind: String,
    /// The data file the spec describes, when the source names one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<PathBuf>,
    /// The columns, in the data's order.
    pub columns: Vec<ImportedColumn>,
    /// What was inferred or could not be carried over, one sentence each.
    pub notes: Vec<Note>,
}

impl Imported {
    /// Columns with role `r`.
    pub fn count(&self, r: Role) -> usize {
        self.columns.iter().filter(|c| c.role == Some(r)).count()
    }
}

impl Workspace {
    /// Reads an ARX project (or ARX-style example files) and writes the spec it describes.
    pub fn import_arx(&self, req: &ArxImportRequest) -> Result<Imported> {
        if !req.dir.is_dir() {
            return Err(missing_dir(&req.dir));
        }
        let mut found = match definition_file(&req.dir) {
            Some(def) => arx_project(&req.dir, &def, req.data.as_deref())?,
            None => arx_files(&req.dir, req.data.as_deref())?,
        };
        apply_role_flags(&mut found, req)?;
        let mut inputs: Vec<&Path> = vec![found.data.as_path()];
        inputs.extend(found.hierarchy_files.iter().map(PathBuf::as_path));
        inputs.extend(found.definition.as_deref());
        self.guard(&req.output, &inputs)?;
        write_spec(&req.output, &found)
    }

    /// Reads SDV metadata (single- or multi-table) and writes the spec it describes.
    pub fn import_sdv(&self, req: &SdvImportRequest) -> Result<Imported> {
        let found = sdv_metadata(&req.metadata, req.table.as_deref())?;
        self.guard(&req.output, &[req.metadata.as_path()])?;
        write_spec(&req.output, &found)
    }
}

/// What an import found before writing: the columns with absolute hierarchy paths.
struct Found {
    kind: &'static str,
    data: PathBuf,
    definition: Option<PathBuf>,
    delimiter: Option<char>,
    encoding: Option<String>,
    columns: Vec<Col>,
    hierarchy_files: Vec<PathBuf>,
    notes: Vec<Note>,
}

/// A column being imported.
struct Col {
    name: String,
    role: Option<Role>,
    value_type: Option<ValueType>,
    hierarchy: Option<PathBuf>,
    from: String,
    /// How its role was decided, when it was inferred or stated by a flag.
    note: Option<Note>,
}

fn missing_dir(dir: &Path) -> Error {
    if dir.is_file() && dir.extension().is_some_and(|e| e == "deid") {
        return Error::bad_input(format!(
            "{}: an ARX .deid project is a zip archive; unpack it (unzip {} -d DIR) and give the directory",
            dir.display(),
            dir.display()
        ));
    }
    Error::bad_input(format!("{}: no such directory", dir.display()))
}

/// The project's data definition: `input/definition.xml` as ARX saves it, or one at the top.
fn definition_file(dir: &Path) -> Option<PathBuf> {
    ["input/definition.xml", "definition.xml"]
        .iter()
        .map(|p| dir.join(p))
        .find(|p| p.is_file())
}

/// The CSV files directly in `dir`, sorted.
fn csv_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let rd =
        std::fs::read_dir(dir).map_err(|e| Error::bad_input(format!("{}: {e}", dir.display())))?;
    let mut out: Vec<PathBuf> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv")))
        .collect();
    out.sort();
    Ok(out)
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
}

/// The one data file among `candidates`, or an error naming them and asking for `--data`.
fn one_data_file(dir: &Path, candidates: Vec<PathBuf>) -> Result<PathBuf> {
    match candidates.len() {
        1 => Ok(candidates.into_iter().next().expect("one")),
        0 => Err(Error::bad_input(format!(
            "{}: no data file (a CSV that is not a hierarchy); give it with --data FILE",
            dir.display()
        ))),
        _ => Err(Error::bad_input(format!(
            "{}: several data files ({}); say which with --data FILE",
            dir.display(),
            candidates
                .iter()
                .map(|p| file_name(p))
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// The header of a data file (names, delimiter, encoding), read from its first 64 KiB.
fn data_header(path: &Path) -> Result<(Vec<String>, Option<char>, Option<String>)> {
    use std::io::Read;
    let f = std::fs::File::open(path)
        .map_err(|e| Error::bad_input(format!("{}: {e}", path.display())))?;
    let mut head = Vec::new();
    f.take(64 * 1024)
        .read_to_end(&mut head)
        .map_err(|e| Error::bad_input(format!("{}: {e}", path.display())))?;
    if head.len() == 64 * 1024 {
        // Cut at the last whole line: a record or a character may straddle the limit.
        if let Some(cut) = head.iter().rposition(|&b| b == b'\n') {
            head.truncate(cut + 1);
        }
    }
    let opts = ReadOptions {
        all_text: true,
        ..Default::default()
    };
    let t = datavisa_table::csv_read::read_csv_bytes(path, head, &opts)?;
    Ok((
        t.column_names().iter().map(|s| s.to_string()).collect(),
        t.origin.delimiter,
        t.origin.encoding.clone(),
    ))
}

/// A data directory as ARX's examples ship it: `NAME.csv` and `NAME_hierarchy_<column>.csv`.
/// Columns with a hierarchy are quasi-identifiers, the others insensitive (ARX's default with
/// no definition); the role flags change that.
fn arx_files(dir: &Path, data: Option<&Path>) -> Result<Found> {
    let csvs = csv_files(dir)?;
    let (hier, rest): (Vec<PathBuf>, Vec<PathBuf>) = csvs
        .into_iter()
        .partition(|p| file_name(p).contains("_hierarchy_"));
    let data = match data {
        Some(d) => d.to_path_buf(),
        None => one_data_file(dir, rest)?,
    };
    let (names, delimiter, encoding) = data_header(&data)?;
    let stem = data
        .file_stem()
        .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
    let prefix = format!("{stem}_hierarchy_");
    let mut notes = Vec::new();
    let mut hierarchies: Vec<(String, PathBuf)> = Vec::new();
    for h in hier {
        let name = file_name(&h);
        let Some(col) = name
            .strip_prefix(&prefix)
            .and_then(|s| s.strip_suffix(".csv"))
        else {
            notes.push(
                Msg::new("cli.import.ignored")
                    .arg("file", name)
                    .arg("data", file_name(&data))
                    .into(),
            );
            continue;
        };
        if !names.iter().any(|n| n == col) {
            return Err(Error::bad_input(format!(
                "{}: a hierarchy for column {col:?}, which {} does not have (it has: {})",
                h.display(),
                data.display(),
                names.join(", ")
            )));
        }
        hierarchies.push((col.to_owned(), h));
    }
    let mut columns = Vec::new();
    for n in &names {
        let h = hierarchies
            .iter()
            .find(|(c, _)| c == n)
            .map(|(_, p)| p.clone());
        let (role, msg) = match &h {
            Some(p) => (
                Role::Quasi,
                Msg::new("cli.import.inferred_quasi")
                    .arg("column", n.clone())
                    .arg("file", file_name(p)),
            ),
            None => (
                Role::Other,
                Msg::new("cli.import.inferred_other").arg("column", n.clone()),
            ),
        };
        columns.push(Col {
            name: n.clone(),
            role: Some(role),
            value_type: None,
            hierarchy: h,
            from: "ARX files (no definition)".into(),
            note: Some(msg.into()),
        });
    }
    Ok(Found {
        kind: "arx-files",
        hierarchy_files: hierarchies.into_iter().map(|(_, p)| p).collect(),
        data,
        definition: None,
        delimiter,
        encoding,
        columns,
        notes,
    })
}

/// An unpacked ARX project: `input/definition.xml` (or `definition.xml`), `data/input.csv`
/// and the hierarchies its assignments name.
fn arx_project(dir: &Path, def: &Path, data: Option<&Path>) -> Result<Found> {
    let data = match data {
        Some(d) => d.to_path_buf(),
        None => project_data(dir)?,
    };
    let (names, sniffed, encoding) = data_header(&data)?;
    let delimiter = project_separator(dir)?.or(sniffed);
    let text = std::fs::read_to_string(def)
        .map_err(|e| Error::bad_input(format!("{}: {e}", def.display())))?;
    let assignments = parse_definition(def, &text)?;
    let base = def.parent().unwrap_or(dir);
    let mut notes = Vec::new();
    let mut columns: Vec<Col> = names
        .iter()
        .map(|n| Col {
            name: n.clone(),
            role: None,
            value_type: None,
            hierarchy: None,
            from: "not in the ARX definition".into(),
            note: None,
        })
        .collect();
    let mut hierarchy_files = Vec::new();
    for a in assignments {
        let at = || format!("{}:{}:{}", def.display(), a.line, a.column);
        let Some(col) = columns.iter_mut().find(|c| c.name == a.name) else {
            return Err(Error::bad_input(format!(
                "{}: attribute {:?} is not a column of {} (it has: {})",
                at(),
                a.name,
                data.display(),
                names.join(", ")
            )));
        };
        col.role = Some(arx_role(&a.attribute_type).ok_or_else(|| {
            Error::bad_input(format!(
                "{}: attribute {:?} has the unknown type {:?} (ARX's are identifying, quasi-identifying, sensitive and insensitive)",
                at(),
                a.name,
                a.attribute_type
            ))
        })?);
        col.value_type = arx_type(&a, &mut notes);
        col.from = format!(
            "ARX: {}, {}{}",
            a.attribute_type,
            a.data_type,
            a.format
                .as_ref()
                .map_or(String::new(), |f| format!(" ({f})"))
        );
        if let Some(r) = &a.hierarchy {
            let p = [base.join(r), dir.join(r)]
                .into_iter()
                .find(|p| p.is_file())
                .ok_or_else(|| {
                    Error::bad_input(format!(
                        "{}: the hierarchy {r:?} of {:?} is not in {} or {}",
                        at(),
                        a.name,
                        base.display(),
                        dir.display()
                    ))
                })?;
            hierarchy_files.push(p.clone());
            col.hierarchy = Some(p);
        }
    }
    for c in columns.iter_mut().filter(|c| c.role.is_none()) {
        c.note = Some(
            Msg::new("cli.import.undefined")
                .arg("column", c.name.clone())
                .into(),
        );
    }
    Ok(Found {
        kind: "arx-project",
        data,
        definition: Some(def.to_path_buf()),
        delimiter,
        encoding,
        columns,
        hierarchy_files,
        notes,
    })
}

/// The project's input data: `data/input.csv` as ARX saves it, else the one CSV in `data/`.
fn project_data(dir: &Path) -> Result<PathBuf> {
    let saved = dir.join("data/input.csv");
    if saved.is_file() {
        return Ok(saved);
    }
    let sub = dir.join("data");
    let candidates = if sub.is_dir() {
        csv_files(&sub)?
    } else {
        csv_files(dir)?
            .into_iter()
            .filter(|p| !file_name(p).contains("_hierarchy_"))
            .collect()
    };
    one_data_file(dir, candidates)
}

/// The CSV separator from the project's `project.xml`, when there is one.
fn project_separator(dir: &Path) -> Result<Option<char>> {
    let p = dir.join("project.xml");
    let Ok(text) = std::fs::read_to_string(&p) else {
        return Ok(None);
    };
    let doc = roxmltree::Document::parse(&text).map_err(|e| xml_error(&p, &e))?;
    Ok(doc
        .descendants()
        .find(|n| n.has_tag_name("separator"))
        .and_then(|n| n.text())
        .and_then(|t| t.chars().next()))
}

fn xml_error(path: &Path, e: &roxmltree::Error) -> Error {
    let pos = e.pos();
    Error::bad_input(format!(
        "{}:{}:{}: malformed XML: {e}",
        path.display(),
        pos.row,
        pos.col
    ))
}

/// One `<assigment>` of ARX's data definition (ARX spells the element so).
#[derive(Clone, Debug, PartialEq)]
struct Assignment {
    name: String,
    attribute_type: String,
    data_type: String,
    format: Option<String>,
    hierarchy: Option<String>,
    line: u32,
    column: u32,
}

/// The assignments of a definition XML, each with its position for messages.
fn parse_definition(path: &Path, text: &str) -> Result<Vec<Assignment>> {
    let doc = roxmltree::Document::parse(text).map_err(|e| xml_error(path, &e))?;
    let root = doc.root_element();
    if !root.has_tag_name("definition") {
        let pos = doc.text_pos_at(root.range().start);
        return Err(Error::bad_input(format!(
            "{}:{}:{}: not an ARX data definition (the root is <{}>, not <definition>)",
            path.display(),
            pos.row,
            pos.col,
            root.tag_name().name()
        )));
    }
    let child = |n: roxmltree::Node, tag: &str| {
        n.children()
            .find(|c| c.has_tag_name(tag))
            .map(|c| c.text().unwrap_or("").trim().to_owned())
    };
    let mut out = Vec::new();
    for a in root.children().filter(|n| n.is_element()) {
        let pos = doc.text_pos_at(a.range().start);
        let name = child(a, "name").ok_or_else(|| {
            Error::bad_input(format!(
                "{}:{}:{}: <{}> has no <name>",
                path.display(),
                pos.row,
                pos.col,
                a.tag_name().name()
            ))
        })?;
        out.push(Assignment {
            name,
            attribute_type: child(a, "type").unwrap_or_default(),
            data_type: child(a, "datatype").unwrap_or_else(|| "String".into()),
            format: child(a, "format").filter(|f| !f.is_empty()),
            hierarchy: child(a, "ref").filter(|r| !r.is_empty()),
            line: pos.row,
            column: pos.col,
        });
    }
    Ok(out)
}

/// ARX's attribute type as a role: ARX writes `QUASI_IDENTIFYING_ATTRIBUTE`, its GUI says
/// "Quasi-identifying attribute"; both are read.
fn arx_role(t: &str) -> Option<Role> {
    let norm: String = t
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphabetic() { c } else { ' ' })
        .collect();
    let words: Vec<&str> = norm
        .split_whitespace()
        .filter(|w| *w != "attribute")
        .collect();
    match words.join(" ").as_str() {
        "identifying" => Some(Role::Identifier),
        "quasi identifying" => Some(Role::Quasi),
        "sensitive" => Some(Role::Sensitive),
        "insensitive" => Some(Role::Other),
        _ => None,
    }
}

/// ARX's data type as a datavisa type. A date whose format datavisa does not read (it reads
/// year-first dates) is declared categorical, so its values are matched as written.
fn arx_type(a: &Assignment, notes: &mut Vec<Note>) -> Option<ValueType> {
    match a.data_type.to_ascii_lowercase().as_str() {
        "string" | "ordinal" | "orderedstring" => Some(ValueType::Categorical),
        "integer" => Some(ValueType::Integer),
        "decimal" => Some(ValueType::Float),
        "date/time" | "date" | "datetime" => {
            let f = a.format.clone().unwrap_or_default();
            let t = date_type(&f, &["yyyy", "MM", "dd", "HH", "mm"]);
            if t.is_none() {
                notes.push(date_note(&a.name, &f));
                return Some(ValueType::Categorical);
            }
            t
        }
        _ => {
            notes.push(
                Msg::new("cli.import.unknown_type")
                    .arg("column", a.name.clone())
                    .arg("type", a.data_type.clone())
                    .into(),
            );
            None
        }
    }
}

fn date_note(column: &str, format: &str) -> Note {
    Msg::new("cli.import.date_format")
        .arg("column", column.to_owned())
        .arg("format", format.to_owned())
        .into()
}

/// `date` or `datetime` for a year-first format (year, month, day tokens `t[0..3]`, hour and
/// minute `t[3..5]`), as datavisa reads them; `None` for any other format.
fn date_type(format: &str, t: &[&str; 5]) -> Option<ValueType> {
    let (y, mo, d, h, mi) = (t[0], t[1], t[2], t[3], t[4]);
    for sep in ["-", "/", "."] {
        let day = format!("{y}{sep}{mo}{sep}{d}");
        let Some(rest) = format.strip_prefix(&day) else {
            continue;
        };
        if rest.is_empty() {
            return Some(ValueType::Date);
        }
        let time = rest.strip_prefix(' ').or_else(|| rest.strip_prefix('T'))?;
        if time.starts_with(&format!("{h}:{mi}")) {
            return Some(ValueType::Datetime);
        }
    }
    None
}

/// The role flags, as ARX's GUI sets attribute types: each names a column of the data, once.
fn apply_role_flags(found: &mut Found, req: &ArxImportRequest) -> Result<()> {
    let flags = [
        ("identifying", Role::Identifier, &req.identifying),
        ("quasi", Role::Quasi, &req.quasi),
        ("sensitive", Role::Sensitive, &req.sensitive),
        ("insensitive", Role::Other, &req.insensitive),
    ];
    let mut seen: Vec<(&str, &str)> = Vec::new();
    for (flag, role, cols) in flags {
        for c in cols {
            if let Some((other, _)) = seen.iter().find(|(_, s)| *s == c.as_str()) {
                return Err(Error::bad_input(format!(
                    "column {c:?} is given both --{other} and --{flag}"
                )));
            }
            seen.push((flag, c));
            let names: Vec<String> = found.columns.iter().map(|c| c.name.clone()).collect();
            let col = found
                .columns
                .iter_mut()
                .find(|x| &x.name == c)
                .ok_or_else(|| {
                    Error::bad_input(format!(
                        "--{flag} {c:?}: not a column of {} (it has: {})",
                        found.data.display(),
                        names.join(", ")
                    ))
                })?;
            col.role = Some(role);
            col.note = Some(
                Msg::new("cli.import.flag_role")
                    .arg("column", c.clone())
                    .arg("flag", format!("--{flag}"))
                    .into(),
            );
        }
    }
    Ok(())
}

/// `to` relative to directory `from` (both made absolute), with `/` separators, so the spec
/// reads the same on any machine where the files keep their places relative to each other.
fn relative(from: &Path, to: &Path) -> String {
    let abs = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let (from, to) = (abs(from), abs(to));
    let f: Vec<Component> = from.components().collect();
    let t: Vec<Component> = to.components().collect();
    let common = f.iter().zip(&t).take_while(|(a, b)| a == b).count();
    if common == 0 {
        return to.display().to_string();
    }
    let mut parts: Vec<String> = vec!["..".into(); f.len() - common];
    parts.extend(
        t[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    parts.join("/")
}

/// The spec's directory (where its relative paths start).
fn spec_dir(output: &Path) -> PathBuf {
    match output.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Writes the spec through a temporary file and returns what was written.
fn write_spec(output: &Path, found: &Found) -> Result<Imported> {
    let dir = spec_dir(output);
    if !dir.is_dir() {
        return Err(Error::bad_input(format!(
            "{}: the directory {} does not exist",
            output.display(),
            dir.display()
        )));
    }
    let columns: Vec<ImportedColumn> = found
        .columns
        .iter()
        .map(|c| ImportedColumn {
            name: c.name.clone(),
            role: c.role,
            value_type: c.value_type,
            hierarchy: c.hierarchy.as_deref().map(|h| relative(&dir, h)),
            from: c.from.clone(),
        })
        .collect();
    let source = (found.kind != "sdv")
        .then(|| -> Result<SourceSpec> {
            Ok(SourceSpec {
                file: Some(relative(&dir, &found.data)),
                sha256: Some(file_sha256(&found.data)?),
                format: Some("csv".into()),
                delimiter: found.delimiter.map(String::from),
                encoding: found.encoding.clone(),
                header: Some(true),
                ..Default::default()
            })
        })
        .transpose()?;
    let specs: Vec<ColumnSpec> = columns.iter().map(column_of).collect();
    let text = Spec::new(source, specs).to_toml()?;
    write_atomic(output, |w| {
        w.write_all(text.as_bytes())
            .map_err(|e| datavisa_table::TableError::write(output, e))
    })?;
    Ok(Imported {
        spec: output.to_path_buf(),
        source_kind: found.kind.into(),
        data: (found.kind != "sdv").then(|| found.data.clone()),
        columns,
        notes: found
            .columns
            .iter()
            .filter_map(|c| c.note.clone())
            .chain(found.notes.iter().cloned())
            .collect(),
    })
}

fn column_of(c: &ImportedColumn) -> ColumnSpec {
    let mut s = column_spec(&c.name);
    s.role = c.role;
    s.value_type = c.value_type;
    s.hierarchy = c.hierarchy.clone();
    s.evidence = Some(c.from.clone());
    s
}

// ---- SDV ----

/// SDV metadata: single-table (`columns` at the top) or multi-table (`tables`).
#[derive(Debug, Deserialize)]
struct SdvMetadata {
    #[serde(rename = "METADATA_SPEC_VERSION", default)]
    version: Option<String>,
    #[serde(default)]
    tables: Option<Ordered<SdvTable>>,
    // A single table's fields at the top (not flattened: serde_json then keeps the positions).
    #[serde(default)]
    columns: Option<Ordered<SdvColumn>>,
    #[serde(default)]
    primary_key: Option<serde_json::Value>,
    #[serde(default)]
    alternate_keys: Vec<serde_json::Value>,
}

/// One table of SDV metadata.
#[derive(Debug, Default, Deserialize)]
struct SdvTable {
    #[serde(default)]
    columns: Option<Ordered<SdvColumn>>,
    #[serde(default)]
    primary_key: Option<serde_json::Value>,
    #[serde(default)]
    alternate_keys: Vec<serde_json::Value>,
}

/// One column of SDV metadata.
#[derive(Debug, Default, Deserialize)]
struct SdvColumn {
    #[serde(default)]
    sdtype: Option<String>,
    #[serde(default)]
    computer_representation: Option<String>,
    #[serde(default)]
    datetime_format: Option<String>,
    #[serde(default)]
    pii: Option<bool>,
}

/// A JSON object read in its written order (the columns' order is the table's).
#[derive(Debug)]
struct Ordered<T>(Vec<(String, T)>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Ordered<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for V<T> {
            type Value = Ordered<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut m: A,
            ) -> std::result::Result<Ordered<T>, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = m.next_entry::<String, T>()? {
                    out.push((k, v));
                }
                Ok(Ordered(out))
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}

/// sdtypes SDV anonymizes as personal information (its Faker-backed types), read here as
/// direct identifiers.
const SDV_PII: &[&str] = &[
    "email",
    "phone_number",
    "ssn",
    "name",
    "first_name",
    "last_name",
    "address",
    "street_address",
    "secondary_address",
    "postcode",
    "credit_card_number",
    "iban",
    "swift11",
    "swift8",
    "ipv4_address",
    "ipv6_address",
    "mac_address",
    "license_plate",
    "vin",
    "user_name",
    "passport_number",
    "bban",
];

/// Reads SDV metadata and picks the table.
fn sdv_metadata(path: &Path, table: Option<&str>) -> Result<Found> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::bad_input(format!("{}: {e}", path.display())))?;
    let meta: SdvMetadata = serde_json::from_str(&text).map_err(|e| {
        Error::bad_input(format!(
            "{}:{}:{}: {}",
            path.display(),
            e.line(),
            e.column(),
            strip_position(&e.to_string())
        ))
    })?;
    let mut notes = Vec::new();
    let (name, t) = pick_table(path, meta, table, &mut notes)?;
    let Some(cols) = t.columns else {
        return Err(Error::bad_input(format!(
            "{}: the table{} has no \"columns\"",
            path.display(),
            name.map_or(String::new(), |n| format!(" {n:?}"))
        )));
    };
    let keys = sdv_keys(path, &t.primary_key, &t.alternate_keys, &cols.0)?;
    let columns = cols
        .0
        .iter()
        .map(|(n, c)| sdv_column(n, c, keys.contains(n), &mut notes))
        .collect();
    notes.push(Msg::new("cli.import.sdv_roles").into());
    Ok(Found {
        kind: "sdv",
        data: PathBuf::new(),
        definition: None,
        delimiter: None,
        encoding: None,
        columns,
        hierarchy_files: Vec::new(),
        notes,
    })
}

/// serde_json's message without its " at line L column C" tail (the position leads instead).
fn strip_position(m: &str) -> &str {
    m.rfind(" at line ").map_or(m, |i| &m[..i])
}

/// The single table, or the one `--table` names of multi-table metadata.
fn pick_table(
    path: &Path,
    meta: SdvMetadata,
    table: Option<&str>,
    notes: &mut Vec<Note>,
) -> Result<(Option<String>, SdvTable)> {
    let version = meta.version.clone().unwrap_or_default();
    let multi = match version.as_str() {
        "SINGLE_TABLE_V1" => false,
        "MULTI_TABLE_V1" | "V1" => true,
        "" => meta.tables.is_some(),
        v => {
            return Err(Error::bad_input(format!(
                "{}: METADATA_SPEC_VERSION {v:?} is not one datavisa reads (SINGLE_TABLE_V1, MULTI_TABLE_V1 or V1)",
                path.display()
            )))
        }
    };
    if !multi {
        if table.is_some() {
            notes.push(Msg::new("cli.import.single_table").into());
        }
        let t = SdvTable {
            columns: meta.columns,
            primary_key: meta.primary_key,
            alternate_keys: meta.alternate_keys,
        };
        return Ok((None, t));
    }
    let tables = meta.tables.map(|t| t.0).unwrap_or_default();
    let names: Vec<String> = tables.iter().map(|(n, _)| n.clone()).collect();
    let pick = match table {
        Some(want) => tables.into_iter().find(|(n, _)| n == want).ok_or_else(|| {
            Error::bad_input(format!(
                "{}: no table {want:?} (it has: {})",
                path.display(),
                names.join(", ")
            ))
        })?,
        None if names.len() == 1 => tables.into_iter().next().expect("one"),
        None => {
            return Err(Error::bad_input(format!(
                "{}: multi-table metadata with tables {}; say which with --table NAME",
                path.display(),
                names.join(", ")
            )))
        }
    };
    Ok((Some(pick.0), pick.1))
}

/// The primary and alternate keys' columns, each checked to be a column of the table.
fn sdv_keys(
    path: &Path,
    primary: &Option<serde_json::Value>,
    alternate: &[serde_json::Value],
    cols: &[(String, SdvColumn)],
) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let mut add = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(a) => {
            out.extend(a.iter().filter_map(|x| x.as_str().map(str::to_owned)))
        }
        _ => {}
    };
    if let Some(p) = primary {
        add(p);
    }
    alternate.iter().for_each(&mut add);
    if let Some(k) = out.iter().find(|k| !cols.iter().any(|(n, _)| n == *k)) {
        return Err(Error::bad_input(format!(
            "{}: the key {k:?} is not one of the columns",
            path.display()
        )));
    }
    Ok(out)
}

/// One SDV column as a spec column: ids, keys and personal sdtypes are direct identifiers.
fn sdv_column(name: &str, c: &SdvColumn, key: bool, notes: &mut Vec<Note>) -> Col {
    let sdtype = c.sdtype.clone().unwrap_or_default();
    let pii = SDV_PII.contains(&sdtype.as_str());
    let mut value_type = None;
    match sdtype.as_str() {
        "numerical" => {
            let r = c.computer_representation.as_deref().unwrap_or("");
            if r.starts_with("Int") || r.starts_with("UInt") {
                value_type = Some(ValueType::Integer);
            } else if r == "Float" {
                value_type = Some(ValueType::Float);
            }
        }
        "datetime" => {
            if let Some(f) = &c.datetime_format {
                value_type = date_type(f, &["%Y", "%m", "%d", "%H", "%M"]);
                if value_type.is_none() {
                    notes.push(date_note(name, f));
                    value_type = Some(ValueType::Categorical);
                }
            }
        }
        "categorical" | "boolean" => value_type = Some(ValueType::Categorical),
        "id" => {}
        _ if pii => {}
        other => notes.push(
            Msg::new("cli.import.unknown_sdtype")
                .arg("column", name.to_owned())
                .arg("sdtype", other.to_owned())
                .into(),
        ),
    }
    let identifier = key || sdtype == "id" || pii || c.pii == Some(true);
    let mut from = format!("SDV: sdtype {sdtype}");
    if let Some(r) = &c.computer_representation {
        from.push_str(&format!(", {r}"));
    }
    if let Some(f) = &c.datetime_format {
        from.push_str(&format!(", format {f}"));
    }
    if c.pii == Some(true) {
        from.push_str(", pii");
    }
    if key {
        from.push_str(", key");
    }
    Col {
        name: name.to_owned(),
        role: identifier.then_some(Role::Identifier),
        value_type,
        hierarchy: None,
        from,
        note: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arx_attribute_types_in_both_spellings() {
        assert_eq!(arx_role("QUASI_IDENTIFYING_ATTRIBUTE"), Some(Role::Quasi));
        assert_eq!(arx_role("Quasi-identifying attribute"), Some(Role::Quasi));
        assert_eq!(arx_role("IDENTIFYING_ATTRIBUTE"), Some(Role::Identifier));
        assert_eq!(arx_role("Sensitive attribute"), Some(Role::Sensitive));
        assert_eq!(arx_role("INSENSITIVE_ATTRIBUTE"), Some(Role::Other));
        assert_eq!(arx_role("Secret attribute"), None);
        assert_eq!(arx_role(""), None);
    }

    #[test]
    fn year_first_formats_are_dates_others_are_not() {
        let arx = ["yyyy", "MM", "dd", "HH", "mm"];
        assert_eq!(date_type("yyyy-MM-dd", &arx), Some(ValueType::Date));
        assert_eq!(
            date_type("yyyy/MM/dd HH:mm:ss", &arx),
            Some(ValueType::Datetime)
        );
        assert_eq!(date_type("dd.MM.yyyy", &arx), None);
        assert_eq!(date_type("yyyy-MM", &arx), None);
        let sdv = ["%Y", "%m", "%d", "%H", "%M"];
        assert_eq!(date_type("%Y-%m-%d", &sdv), Some(ValueType::Date));
        assert_eq!(
            date_type("%Y-%m-%dT%H:%M:%S", &sdv),
            Some(ValueType::Datetime)
        );
        assert_eq!(date_type("%d %b %Y", &sdv), None);
    }

    #[test]
    fn relative_paths_climb_and_descend() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("a/b")).unwrap();
        std::fs::create_dir_all(d.path().join("c")).unwrap();
        std::fs::write(d.path().join("c/h.csv"), "x").unwrap();
        assert_eq!(
            relative(&d.path().join("a/b"), &d.path().join("c/h.csv")),
            "../../c/h.csv"
        );
        assert_eq!(
            relative(&d.path().join("c"), &d.path().join("c/h.csv")),
            "h.csv"
        );
    }

    #[test]
    fn definition_positions_and_malformed_xml() {
        let text = "<definition>\n  <assigment>\n    <name>age</name>\n    <type>QUASI_IDENTIFYING_ATTRIBUTE</type>\n    <datatype>Integer</datatype>\n    <ref>hierarchies/age.csv</ref>\n  </assigment>\n</definition>\n";
        let a = parse_definition(Path::new("d.xml"), text).unwrap();
        assert_eq!(a.len(), 1);
        assert_eq!((a[0].line, a[0].column), (2, 3));
        assert_eq!(a[0].hierarchy.as_deref(), Some("hierarchies/age.csv"));
        let e = parse_definition(
            Path::new("d.xml"),
            "<definition>\n<assigment>\n</definition>",
        )
        .unwrap_err();
        assert!(e.message.starts_with("d.xml:3:"), "{}", e.message);
    }
}
