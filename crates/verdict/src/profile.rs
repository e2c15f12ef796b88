//! Recipient profiles (`[[recipients]]` in the spec): what a recipient knows and holds, whether it
//! could obtain keys, how capable it is, and the controls it accepted.

use crate::derive::{Derivation, Derived, DERIVATIONS};
use crate::error::{Result, VerdictError};
use datavisa_i18n::{Msg, Note};
use datavisa_table::{Role, Spec, Table};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// How much effort and skill the recipient is assumed to bring.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Capability {
    /// A reasonably competent person with public resources (ICO's motivated intruder).
    #[default]
    MotivatedIntruder,
    /// A skilled analyst who tries every query shape and every column it knows.
    Expert,
}

/// The release context, which sets the default thresholds (LEGAL-RULES §3.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Context {
    /// Open release or unknown recipient.
    Public,
    /// Public release of clinical documents (EMA Policy 0070 style).
    PublicClinical,
    /// A named recipient bound by contract, with audited security.
    NamedRecipient,
    /// Internal use in a controlled environment.
    Internal,
}

impl Context {
    /// Every context, in the order of §3.3.
    pub const ALL: [Context; 4] = [
        Context::Public,
        Context::PublicClinical,
        Context::NamedRecipient,
        Context::Internal,
    ];

    /// The context's name as a message.
    pub fn msg(self) -> Msg {
        Msg::new(&format!("context.{}", self.as_str()))
    }

    /// The snake_case name used in specs and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Context::Public => "public",
            Context::PublicClinical => "public_clinical",
            Context::NamedRecipient => "named_recipient",
            Context::Internal => "internal",
        }
    }
}

/// Contractual and organisational controls the recipient accepted.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Controls {
    #[serde(default)]
    pub no_reidentification: bool,
    #[serde(default)]
    pub no_relinking: bool,
    #[serde(default)]
    pub onward_transfer_ban: bool,
    #[serde(default)]
    pub audited_security: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deletion_date: Option<String>,
}

impl Controls {
    /// The clauses relied on, as short names (the conditions of a visa).
    pub fn clauses(&self) -> Vec<String> {
        let mut v = Vec::new();
        let mut add = |on: bool, name: &str| {
            if on {
                v.push(name.to_owned());
            }
        };
        add(self.no_reidentification, "no_reidentification");
        add(self.no_relinking, "no_relinking");
        add(self.onward_transfer_ban, "onward_transfer_ban");
        add(self.audited_security, "audited_security");
        if let Some(d) = &self.deletion_date {
            v.push(format!("deletion_by {d}"));
        }
        v
    }
}

/// One entry of `knows`: a column of the table, or a part of one (`{ column = "住址",
/// derive = "city" }`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Known {
    Column(String),
    Derived { column: String, derive: String },
}

impl Known {
    /// The column name the attacks use: the column, or `住址:city`.
    pub fn name(&self) -> String {
        match self {
            Known::Column(c) => c.clone(),
            Known::Derived { column, derive } => format!("{column}:{derive}"),
        }
    }
}

/// A recipient as the spec describes it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recipient {
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub jurisdiction: String,
    /// Declared release context; derived from the controls when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<Context>,
    /// Columns of this table the recipient holds or could obtain about the same people, or parts
    /// of them; `"*"` stands for every quasi-identifier (a public release).
    #[serde(default)]
    pub knows: Vec<Known>,
    /// Other datasets it holds, as files (relative to the spec), for linkage.
    #[serde(default)]
    pub holds: Vec<String>,
    #[serde(default)]
    pub can_obtain_keys: bool,
    #[serde(default)]
    pub capability: Capability,
    #[serde(default)]
    pub controls: Controls,
}

/// The context a recipient is judged in, and why.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EffectiveContext {
    pub context: Context,
    pub why: Note,
}

impl Recipient {
    /// The context whose thresholds apply: a controlled context needs the controls that justify
    /// it (a no-re-identification clause and audited security); without them the recipient is
    /// judged as the public.
    pub fn effective_context(&self) -> EffectiveContext {
        let c = &self.controls;
        let controlled = c.no_reidentification && c.audited_security;
        let missing = || {
            let mut m = Vec::new();
            if !c.no_reidentification {
                m.push(Msg::new("control.no_reidentification"));
            }
            if !c.audited_security {
                m.push(Msg::new("control.audited_security"));
            }
            m
        };
        match self.context {
            Some(Context::Public) | Some(Context::PublicClinical) => EffectiveContext {
                context: self.context.unwrap_or(Context::Public),
                why: Msg::new("context_why.declared").into(),
            },
            Some(declared) if controlled => EffectiveContext {
                context: declared,
                why: Msg::new("context_why.declared_controlled").into(),
            },
            Some(declared) => EffectiveContext {
                context: Context::Public,
                why: Msg::new("context_why.declared_uncontrolled")
                    .arg("declared", declared.msg())
                    .arg("missing", missing())
                    .into(),
            },
            None if controlled => EffectiveContext {
                context: Context::NamedRecipient,
                why: Msg::new("context_why.undeclared_controlled").into(),
            },
            None => EffectiveContext {
                context: Context::Public,
                why: Msg::new("context_why.undeclared_uncontrolled")
                    .arg("missing", missing())
                    .into(),
            },
        }
    }

    /// The holds files, resolved against the spec's directory.
    pub fn holds_paths(&self, spec: &Spec) -> Vec<PathBuf> {
        let dir = spec
            .path
            .parent()
            .unwrap_or_else(|| std::path::Path::new("."));
        self.holds.iter().map(|h| dir.join(h)).collect()
    }
}

/// Reads every `[[recipients]]` entry of the spec (none is fine: the section is optional).
pub fn recipients(spec: &Spec) -> Result<Vec<Recipient>> {
    let Some(v) = spec.rest.get("recipients") else {
        return Ok(Vec::new());
    };
    let line = spec.line_of("[[recipients]]").unwrap_or(1);
    let list: Vec<Recipient> = v.clone().try_into().map_err(|e: toml::de::Error| {
        let m = e.message();
        let m = if m.contains("untagged enum Known") {
            "an entry of knows is a column name or { column = \"…\", derive = \"…\" }".to_owned()
        } else {
            m.to_owned()
        };
        spec_err(spec, line, format!("[[recipients]]: {m}"))
    })?;
    let mut seen = std::collections::HashSet::new();
    for r in &list {
        if r.id.trim().is_empty() {
            return Err(spec_err(spec, line, "a recipient has an empty id".into()));
        }
        if !seen.insert(r.id.as_str()) {
            return Err(spec_err(
                spec,
                recipient_line(spec, &r.id),
                format!("recipient {:?} is listed twice", r.id),
            ));
        }
    }
    Ok(list)
}

/// The recipient `id`, or an error listing the ones the spec has.
pub fn recipient(spec: &Spec, id: &str) -> Result<Recipient> {
    let all = recipients(spec)?;
    let names: Vec<String> = all.iter().map(|r| r.id.clone()).collect();
    all.into_iter().find(|r| r.id == id).ok_or_else(|| {
        VerdictError::NotFound(format!(
            "{}: no recipient {id:?} in [[recipients]] (it has: {})",
            spec.path.display(),
            if names.is_empty() {
                "none".into()
            } else {
                names.join(", ")
            }
        ))
    })
}

/// Where recipient `id` is declared, for messages.
pub fn recipient_line(spec: &Spec, id: &str) -> usize {
    spec.line_of(&format!("id = \"{id}\""))
        .or_else(|| spec.line_of(id))
        .or_else(|| spec.line_of("[[recipients]]"))
        .unwrap_or(1)
}

fn spec_err(spec: &Spec, line: usize, message: String) -> VerdictError {
    VerdictError::Spec {
        path: spec.path.clone(),
        line,
        message,
    }
}

/// What a recipient knows, as columns of the attacks: source columns and derived ones.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Knowledge {
    /// Every known column name, derived ones as `住址:city`.
    pub known: Vec<String>,
    /// The derivations among them.
    pub derived: Vec<Derived>,
    /// Those it knows itself (`knows`), not through a holding.
    pub own: Vec<String>,
}

impl Knowledge {
    fn push(&mut self, name: String, d: Option<Derived>) {
        if !self.known.contains(&name) {
            self.known.push(name);
        }
        if let Some(d) = d.filter(|d| !self.derived.contains(d)) {
            self.derived.push(d);
        }
    }
}

/// The spec line of `needle` within recipient `id`'s entry (the entry's line when not found).
fn entry_line(spec: &Spec, id: &str, needle: &str) -> usize {
    let start = recipient_line(spec, id);
    spec.line_of_from(start, needle).unwrap_or(start)
}

/// A derived column name (`住址:city`) checked against the source: its derivation, or why not.
fn derived_of(name: &str, source: &Table) -> Option<std::result::Result<Derived, String>> {
    let (column, how) = name.rsplit_once(':')?;
    if source.index_of(column).is_err() {
        return None;
    }
    Some(Derivation::parse(how).map_or_else(
        || {
            Err(format!(
                "unknown derivation {how:?} of column {column:?} (use one of: {DERIVATIONS})"
            ))
        },
        |derive| {
            Ok(Derived {
                column: column.to_owned(),
                derive,
            })
        },
    ))
}

/// The columns of `source` the recipient knows: `knows` (with `"*"` expanded to the spec's
/// quasi-identifiers, derived entries checked) plus the columns of every dataset it holds
/// (source columns, or derived names such as `住址:city`). Any entry that cannot be used is an
/// error naming its spec line.
pub fn known_columns(
    spec: &Spec,
    r: &Recipient,
    source: &Table,
    holds: &[(PathBuf, &Table)],
) -> Result<Knowledge> {
    let mut k = Knowledge::default();
    let has = |c: &str| source.index_of(c).is_ok();
    let columns = || source.column_names().join(", ");
    for entry in &r.knows {
        match entry {
            Known::Column(c) if c == "*" => spec
                .columns
                .iter()
                .filter(|c| c.role == Some(Role::Quasi))
                .for_each(|c| k.push(c.name.get_ref().clone(), None)),
            Known::Column(c) if has(c) => k.push(c.clone(), None),
            Known::Column(c) => match derived_of(c, source) {
                Some(Ok(d)) => k.push(d.name(), Some(d)),
                Some(Err(why)) => {
                    return Err(spec_err(spec, entry_line(spec, &r.id, c), format!("recipient {:?} knows {c:?}: {why}", r.id)))
                }
                None => {
                    return Err(spec_err(
                        spec,
                        entry_line(spec, &r.id, &format!("\"{c}\"")),
                        format!(
                            "recipient {:?} knows column {c:?}, which the source does not have (it has: {}); to say it knows part of a column, write {{ column = \"…\", derive = \"…\" }}",
                            r.id,
                            columns()
                        ),
                    ))
                }
            },
            Known::Derived { column, derive } => {
                let line = entry_line(spec, &r.id, &format!("\"{derive}\""));
                if !has(column) {
                    return Err(spec_err(spec, line, format!(
                        "recipient {:?} knows a part of column {column:?}, which the source does not have (it has: {})",
                        r.id,
                        columns()
                    )));
                }
                let Some(how) = Derivation::parse(derive) else {
                    return Err(spec_err(spec, line, format!(
                        "recipient {:?}: unknown derivation {derive:?} of column {column:?} (use one of: {DERIVATIONS})",
                        r.id
                    )));
                };
                let d = Derived {
                    column: column.clone(),
                    derive: how,
                };
                k.push(d.name(), Some(d));
            }
        }
    }
    k.own = k.known.clone();
    for (path, h) in holds {
        let line = entry_line(spec, &r.id, "holds");
        for c in h.column_names() {
            if has(&c) {
                k.push(c, None);
                continue;
            }
            match derived_of(&c, source) {
                Some(Ok(d)) => k.push(d.name(), Some(d)),
                Some(Err(why)) => {
                    return Err(spec_err(spec, line, format!(
                        "recipient {:?} holds {}, whose column {c:?} cannot be used: {why}",
                        r.id,
                        path.display()
                    )))
                }
                None => {
                    return Err(spec_err(spec, line, format!(
                        "recipient {:?} holds {}, whose column {c:?} is not a column of the source; a holds file describes the same people with the source's column names, or parts of them named like 住址:city",
                        r.id,
                        path.display()
                    )))
                }
            }
        }
    }
    Ok(k)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(text: &str) -> Spec {
        Spec::parse(std::path::Path::new("s.toml"), text.into()).unwrap()
    }

    #[test]
    fn reads_recipients_and_derives_contexts() {
        let s = spec(
            r#"
[[recipients]]
id = "hr"
knows = ["age"]
[recipients.controls]
no_reidentification = true
audited_security = true

[[recipients]]
id = "web"
context = "named_recipient"
"#,
        );
        let rs = recipients(&s).unwrap();
        assert_eq!(rs.len(), 2);
        assert_eq!(rs[0].effective_context().context, Context::NamedRecipient);
        let web = rs[1].effective_context();
        assert_eq!(web.context, Context::Public);
        let why = web.why.en();
        assert!(
            why.contains("no_reidentification") && why.contains("audited_security"),
            "{why}"
        );
        assert_eq!(
            rs[0].controls.clauses(),
            ["no_reidentification", "audited_security"]
        );
    }

    #[test]
    fn unknown_fields_and_duplicates_are_errors_with_lines() {
        let e = recipients(&spec("x = 1\n[[recipients]]\nid = \"a\"\nknowz = []\n")).unwrap_err();
        assert!(e.to_string().starts_with("s.toml:2:"), "{e}");
        let e = recipients(&spec(
            "[[recipients]]\nid = \"a\"\n[[recipients]]\nid = \"a\"\n",
        ))
        .unwrap_err();
        assert!(e.to_string().contains("listed twice"), "{e}");
        let e = recipient(&spec("[[recipients]]\nid = \"a\"\n"), "b").unwrap_err();
        assert!(e.to_string().contains("it has: a"), "{e}");
    }
}
