//! The message catalogue: every sentence datavisa writes into a document (reasons, notes,
//! warnings, rule texts, category and verdict names, labels) is a message id with arguments,
//! rendered in Chinese or English from one table (`catalogue.toml`). Stored evidence keeps the id,
//! the arguments and the English text side by side, so JSON readers get stable codes and a
//! report can be rendered in either language later.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::OnceLock;

/// A document language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    /// Both languages, Chinese first.
    pub const ALL: [Lang; 2] = [Lang::Zh, Lang::En];

    /// `zh` or `en` (also `zh-CN`, `zh_CN.UTF-8`, `en_US` and the like).
    pub fn parse(s: &str) -> Option<Lang> {
        let s = s.trim().to_ascii_lowercase();
        if s == "zh" || s.starts_with("zh-") || s.starts_with("zh_") {
            Some(Lang::Zh)
        } else if s == "en" || s.starts_with("en-") || s.starts_with("en_") {
            Some(Lang::En)
        } else {
            None
        }
    }

    /// The code written in `<html lang>`.
    pub fn html_code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }
}

/// Text in both languages.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Text {
    pub zh: String,
    pub en: String,
}

impl Text {
    /// A bilingual text.
    pub fn new(zh: impl Into<String>, en: impl Into<String>) -> Text {
        Text {
            zh: zh.into(),
            en: en.into(),
        }
    }

    /// The same text in both languages (data: a name, a hash, a number).
    pub fn same(s: impl Into<String>) -> Text {
        let s = s.into();
        Text {
            zh: s.clone(),
            en: s,
        }
    }

    /// The text in `lang`.
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Zh => &self.zh,
            Lang::En => &self.en,
        }
    }
}

impl From<String> for Text {
    fn from(s: String) -> Text {
        Text::same(s)
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Text {
        Text::same(s)
    }
}

impl From<&String> for Text {
    fn from(s: &String) -> Text {
        Text::same(s.clone())
    }
}

impl From<Msg> for Text {
    fn from(m: Msg) -> Text {
        m.text()
    }
}

impl From<&Msg> for Text {
    fn from(m: &Msg) -> Text {
        m.text()
    }
}

/// One argument of a message: data shown as written, a nested message, or a list of either.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Arg {
    Msg(Msg),
    List(Vec<Arg>),
    /// Whole sentences, joined with each language's semicolon.
    Sentences {
        sentences: Vec<Arg>,
    },
    Text(String),
}

impl From<String> for Arg {
    fn from(s: String) -> Arg {
        Arg::Text(s)
    }
}

impl From<&str> for Arg {
    fn from(s: &str) -> Arg {
        Arg::Text(s.to_owned())
    }
}

impl From<&String> for Arg {
    fn from(s: &String) -> Arg {
        Arg::Text(s.clone())
    }
}

impl From<Msg> for Arg {
    fn from(m: Msg) -> Arg {
        Arg::Msg(m)
    }
}

impl<T: Into<Arg>> From<Vec<T>> for Arg {
    fn from(v: Vec<T>) -> Arg {
        Arg::List(v.into_iter().map(Into::into).collect())
    }
}

impl Arg {
    /// Sentences joined with "；" in Chinese and "; " in English.
    pub fn sentences<T: Into<Arg>>(items: Vec<T>) -> Arg {
        Arg::Sentences {
            sentences: items.into_iter().map(Into::into).collect(),
        }
    }

    fn render(&self, lang: Lang) -> String {
        match self {
            Arg::Sentences { sentences } => join(sentences, lang, ["；", "; "]),
            Arg::Text(s) => s.clone(),
            Arg::Msg(m) => m.render(lang),
            Arg::List(items) if items.is_empty() => "—".to_owned(),
            Arg::List(items) => join(items, lang, ["、", ", "]),
        }
    }
}

/// Arguments rendered and joined with the Chinese or the English separator.
fn join(items: &[Arg], lang: Lang, [zh, en]: [&str; 2]) -> String {
    let sep = match lang {
        Lang::Zh => zh,
        Lang::En => en,
    };
    items
        .iter()
        .map(|a| a.render(lang))
        .collect::<Vec<_>>()
        .join(sep)
}

/// Messages joined as sentences, in both languages ("；" and "; ").
pub fn sentences(parts: &[Msg]) -> Text {
    let items: Vec<Arg> = parts.iter().cloned().map(Arg::Msg).collect();
    Text::new(
        join(&items, Lang::Zh, ["；", "; "]),
        join(&items, Lang::En, ["；", "; "]),
    )
}

/// A message: a catalogue id and its named arguments.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Msg {
    pub id: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub args: BTreeMap<String, Arg>,
}

impl Msg {
    /// The message `id` without arguments.
    pub fn new(id: &str) -> Msg {
        Msg {
            id: id.to_owned(),
            args: BTreeMap::new(),
        }
    }

    /// Text shown as written in both languages (data, or a sentence of no known shape).
    pub fn as_written(text: impl Into<Arg>) -> Msg {
        Msg::new("figure.as_written").arg("label", text)
    }

    /// A code (`standard_contract`) named under `prefix` when the catalogue has it, else shown
    /// as written.
    pub fn code(prefix: &str, code: &str) -> Msg {
        let id = format!("{prefix}.{code}");
        if has(&id) {
            Msg::new(&id)
        } else {
            Msg::as_written(code)
        }
    }

    /// The message with one more argument.
    pub fn arg(mut self, name: &str, value: impl Into<Arg>) -> Msg {
        self.args.insert(name.to_owned(), value.into());
        self
    }

    /// The message in `lang`. An id missing from the catalogue renders as itself with its
    /// arguments, so the catalogue tests (and any reader) see it at once.
    pub fn render(&self, lang: Lang) -> String {
        let Some(e) = catalogue().entries.get(&self.id) else {
            let args: Vec<String> = self
                .args
                .iter()
                .map(|(k, v)| format!("{k}={}", v.render(lang)))
                .collect();
            return format!("{}[{}]", self.id, args.join("; "));
        };
        fill(e.get(lang), |name| {
            self.args.get(name).map(|a| a.render(lang))
        })
    }

    /// The message in English.
    pub fn en(&self) -> String {
        self.render(Lang::En)
    }

    /// The message in both languages.
    pub fn text(&self) -> Text {
        Text::new(self.render(Lang::Zh), self.render(Lang::En))
    }

    /// The source in both languages, if the catalogue gives one.
    pub fn source_text(&self) -> Option<Text> {
        let e = catalogue().entries.get(&self.id)?;
        let en = e.source.clone()?;
        Some(Text::new(
            e.source_zh.clone().unwrap_or_else(|| en.clone()),
            en,
        ))
    }

    /// The statutory or standard source the catalogue gives for this message, if any.
    pub fn source(&self) -> Option<&'static str> {
        catalogue()
            .entries
            .get(&self.id)
            .and_then(|e| e.source.as_deref())
    }
}

/// Replaces every `{name}` in `template` by its argument (unknown names stay as written).
fn fill(template: &str, arg: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) if is_name(&after[..close]) => {
                let name = &after[..close];
                match arg(name) {
                    Some(v) => out.push_str(&v),
                    None => {
                        out.push('{');
                        out.push_str(name);
                        out.push('}');
                    }
                }
                rest = &after[close + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn is_name(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The placeholders a template uses.
pub fn placeholders(template: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) if is_name(&after[..close]) => {
                out.insert(after[..close].to_owned());
                rest = &after[close + 1..];
            }
            _ => rest = after,
        }
    }
    out
}

/// A sentence stored in evidence: its message with the English text beside it, or (in
/// evidence written before the catalogue) the English text alone.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Note {
    Said {
        #[serde(flatten)]
        msg: Msg,
        text: String,
    },
    Plain(String),
}

impl Note {
    /// The sentence in `lang` (older evidence holds English only).
    pub fn get(&self, lang: Lang) -> String {
        match self {
            Note::Said { msg, .. } => msg.render(lang),
            Note::Plain(s) => s.clone(),
        }
    }

    /// The English text, as stored.
    pub fn en(&self) -> &str {
        match self {
            Note::Said { text, .. } | Note::Plain(text) => text,
        }
    }

    /// The sentence in both languages.
    pub fn text(&self) -> Text {
        Text::new(self.get(Lang::Zh), self.get(Lang::En))
    }

    /// The message id, when the note has one.
    pub fn id(&self) -> Option<&str> {
        match self {
            Note::Said { msg, .. } => Some(&msg.id),
            Note::Plain(_) => None,
        }
    }
}

impl From<Msg> for Note {
    fn from(msg: Msg) -> Note {
        Note::Said {
            text: msg.en(),
            msg,
        }
    }
}

impl std::fmt::Display for Note {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.en())
    }
}

/// One catalogue entry: the message in both languages and, for legal terms and clauses, its
/// source.
#[derive(Clone, Debug, Deserialize)]
pub struct Entry {
    pub zh: String,
    pub en: String,
    #[serde(default)]
    pub source: Option<String>,
    /// The source as cited in Chinese.
    #[serde(default)]
    pub source_zh: Option<String>,
}

impl Entry {
    /// The template in `lang`.
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Zh => &self.zh,
            Lang::En => &self.en,
        }
    }
}

/// The whole catalogue, by message id.
pub struct Catalogue {
    pub entries: HashMap<String, Entry>,
}

/// The catalogue's files: the documents' messages, and the command line's human output.
const FILES: &[(&str, &str)] = &[
    ("catalogue.toml", include_str!("../catalogue.toml")),
    ("catalogue-cli.toml", include_str!("../catalogue-cli.toml")),
];

/// The catalogue, parsed once. Its tables nest by id: `[verdict.anonymized]` holds `zh`, `en`
/// and optionally `source`.
pub fn catalogue() -> &'static Catalogue {
    static C: OnceLock<Catalogue> = OnceLock::new();
    C.get_or_init(|| builtin().expect("the built-in catalogue parses (tested)"))
}

/// Every file of the built-in catalogue, merged; an id defined twice is an error.
fn builtin() -> Result<Catalogue, String> {
    let mut entries = HashMap::new();
    for (file, text) in FILES {
        for (id, e) in parse(text).map_err(|e| format!("{file}: {e}"))?.entries {
            if entries.insert(id.clone(), e).is_some() {
                return Err(format!("{file}: {id} is defined twice"));
            }
        }
    }
    Ok(Catalogue { entries })
}

/// Parses a catalogue text; errors name the entry.
pub fn parse(text: &str) -> Result<Catalogue, String> {
    let root: toml::Table = text.parse().map_err(|e| format!("catalogue: {e}"))?;
    let mut entries = HashMap::new();
    walk(&root, "", &mut entries)?;
    Ok(Catalogue { entries })
}

fn walk(t: &toml::Table, prefix: &str, out: &mut HashMap<String, Entry>) -> Result<(), String> {
    let is_leaf = t.contains_key("en") || t.contains_key("zh");
    if is_leaf {
        let e: Entry = toml::Value::Table(t.clone())
            .try_into()
            .map_err(|e| format!("catalogue entry {prefix}: {e}"))?;
        out.insert(prefix.to_owned(), e);
        return Ok(());
    }
    for (k, v) in t {
        let id = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            toml::Value::Table(sub) => walk(sub, &id, out)?,
            _ => return Err(format!("catalogue: {id} is not an entry (give zh and en)")),
        }
    }
    Ok(())
}

/// The message under `prefix` whose English template produced `text` (an engine's English
/// warning, say), with its arguments read back; the template with the most literal text wins.
pub fn recognise(prefix: &str, text: &str) -> Option<Msg> {
    let mut best: Option<(usize, Msg)> = None;
    for (id, e) in &catalogue().entries {
        if !id.starts_with(prefix) {
            continue;
        }
        if let Some((literal, args)) = match_template(&e.en, text) {
            if best.as_ref().is_none_or(|(l, _)| literal > *l) {
                let mut m = Msg::new(id);
                for (k, v) in args {
                    m = m.arg(&k, v);
                }
                best = Some((literal, m));
            }
        }
    }
    best.map(|(_, m)| m)
}

/// Matches `text` against a template: the literal parts in order, each placeholder taking the
/// shortest non-empty run before the next literal. Returns the literal length and arguments.
fn match_template(template: &str, text: &str) -> Option<(usize, Vec<(String, String)>)> {
    let mut parts: Vec<(&str, Option<&str>)> = Vec::new(); // (literal, then placeholder)
    let mut rest = template;
    loop {
        match rest.find('{') {
            Some(open) => {
                let after = &rest[open + 1..];
                let close = after.find('}')?;
                parts.push((&rest[..open], Some(&after[..close])));
                rest = &after[close + 1..];
            }
            None => {
                parts.push((rest, None));
                break;
            }
        }
    }
    let literal = parts.iter().map(|(l, _)| l.len()).sum();
    let mut args = Vec::new();
    let mut pos = 0;
    for (i, (lit, name)) in parts.iter().enumerate() {
        if !text[pos..].starts_with(lit) {
            return None;
        }
        pos += lit.len();
        let Some(name) = name else {
            return (pos == text.len()).then_some((literal, args));
        };
        let next = parts[i + 1].0;
        let end = if next.is_empty() {
            if i + 2 == parts.len() {
                text.len()
            } else {
                return None;
            }
        } else {
            pos + 1 + text.get(pos + 1..)?.find(next)?
        };
        args.push(((*name).to_owned(), text[pos..end].to_owned()));
        pos = end;
    }
    None
}

/// [`recognise`], or the text as written when no template under `prefix` produced it.
pub fn recognised(prefix: &str, text: &str) -> Msg {
    recognise(prefix, text).unwrap_or_else(|| Msg::as_written(text))
}

/// Whether `id` is in the catalogue.
pub fn has(id: &str) -> bool {
    catalogue().entries.contains_key(id)
}

/// Shorthand: the message `id` in both languages, without arguments.
pub fn t(id: &str) -> Text {
    Msg::new(id).text()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_entry_has_both_languages_and_the_same_placeholders() {
        let c = builtin().unwrap();
        assert!(
            c.entries.len() > 50,
            "catalogue has {} entries",
            c.entries.len()
        );
        for (id, e) in &c.entries {
            assert!(!e.zh.trim().is_empty(), "{id}: no Chinese");
            assert!(!e.en.trim().is_empty(), "{id}: no English");
            assert_eq!(
                placeholders(&e.zh),
                placeholders(&e.en),
                "{id}: the languages use different arguments"
            );
            assert_eq!(
                e.source.is_some(),
                e.source_zh.is_some(),
                "{id}: a source is cited in both languages"
            );
        }
    }

    #[test]
    fn chinese_templates_are_chinese() {
        // Latin runs in a Chinese template are codes, units and terms the catalogue allows
        // (statute abbreviations, k, sha256); anything else is an untranslated word.
        let allowed = [
            "PIPL",
            "GB",
            "T",
            "CIIO",
            "CAC",
            "TC260",
            "k",
            "l",
            "t",
            "sha256",
            "SHA",
            "ARX",
            "Loss",
            "DP",
            "ISO",
            "IEC",
            "HMAC",
            "AES",
            "FF3",
            "Argon2id",
            "Ed25519",
            "ICO",
            "EDPB",
            "NIST",
            "SP",
            "JSON",
            "CSV",
            "Parquet",
            "ID",
            "v",
            "Anonymeter",
            "O'Brien",
            "Fleming",
            "Pocock",
            "IQR",
            "epsilon",
            "delta",
            "Clopper",
            "Pearson",
            "Wilson",
            "datavisa",
            "M",
            "Art",
            "EU",
            "GDPR",
            "FTZ",
            "TV",
            "TVD",
            "NUE",
            "DCR",
            "Bonferroni",
            "LEGAL",
            "RULES",
            "El",
            "Emam",
            "PDPC",
            "PRCI",
            "EMA",
            "f",
            "sha",
        ];
        for (id, e) in &builtin().unwrap().entries {
            let stripped = strip_placeholders(&e.zh);
            for word in latin_runs(&stripped) {
                // A lone capital is a rule id's prefix (P-12, T-6).
                let rule_prefix = word.len() == 1 && word.chars().all(|c| c.is_ascii_uppercase());
                assert!(
                    rule_prefix || allowed.contains(&word.as_str()),
                    "{id}: Latin word {word:?} in the Chinese text {:?}",
                    e.zh
                );
            }
        }
    }

    /// A template without its placeholders and command-line options (`--max-attacks`).
    fn strip_placeholders(s: &str) -> String {
        let mut out = without_options(s);
        for p in placeholders(s) {
            out = out.replace(&format!("{{{p}}}"), " ");
        }
        out
    }

    fn without_options(s: &str) -> String {
        let mut out = String::new();
        let mut rest = s;
        while let Some(i) = rest.find("--") {
            out.push_str(&rest[..i]);
            let after = &rest[i + 2..];
            let end = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
                .unwrap_or(after.len());
            out.push(' ');
            rest = &after[end..];
        }
        out.push_str(rest);
        out
    }

    fn latin_runs(s: &str) -> Vec<String> {
        s.split(|c: char| !(c.is_ascii_alphabetic() || c == '\''))
            .filter(|w| !w.is_empty())
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn messages_fill_arguments_and_nest() {
        let m = Msg::new("test.nested")
            .arg("inner", Msg::new("test.plain"))
            .arg("items", vec!["a", "b"]);
        let c = parse("[test.nested]\nzh = \"甲{inner}乙{items}\"\nen = \"A {inner} B {items}\"\n")
            .unwrap();
        let e = &c.entries["test.nested"];
        let zh = fill(&e.zh, |n| m.args.get(n).map(|a| a.render(Lang::Zh)));
        assert!(zh.starts_with('甲'), "{zh}");
        assert!(zh.ends_with("a、b"), "{zh}");
        let en = fill(&e.en, |n| m.args.get(n).map(|a| a.render(Lang::En)));
        assert!(en.ends_with("a, b"), "{en}");
    }

    #[test]
    fn engine_warnings_are_recognised_with_their_arguments() {
        let w = "only 12 of the 500 requested singling-out queries could be found in the twin";
        let m = recognise("warning.", w).unwrap();
        assert_eq!(m.id, "warning.queries_partial");
        assert_eq!(m.en(), w);
        assert!(m.render(Lang::Zh).contains("500") && m.render(Lang::Zh).contains("12"));
        let w = "n_attacks lowered to the 80 rows of the twin";
        assert_eq!(
            recognise("warning.", w).unwrap().id,
            "warning.n_attacks_lowered_twin"
        );
        assert!(recognise("warning.", "something new").is_none());
    }

    #[test]
    fn a_missing_id_renders_visibly() {
        let m = Msg::new("no.such.id").arg("x", "1");
        assert_eq!(m.render(Lang::Zh), "no.such.id[x=1]");
    }

    #[test]
    fn notes_read_old_plain_strings_and_new_messages() {
        let old: Note = serde_json::from_str("\"an old note\"").unwrap();
        assert_eq!(old.get(Lang::Zh), "an old note");
        let new: Note = Msg::new("verdict.anonymized").into();
        let json = serde_json::to_string(&new).unwrap();
        assert!(json.contains("\"id\":\"verdict.anonymized\""), "{json}");
        assert!(json.contains("\"text\":"), "{json}");
        let back: Note = serde_json::from_str(&json).unwrap();
        assert_eq!(back, new);
        assert_ne!(back.get(Lang::Zh), back.get(Lang::En));
    }

    #[test]
    fn braces_that_are_not_placeholders_stay() {
        assert_eq!(fill("{ a } {b}", |_| Some("x".into())), "{ a } x");
    }
}
