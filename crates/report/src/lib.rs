//! Report renderers: a report is sections of facts (filled in by datavisa) and questions (left
//! for the assessor), rendered as self-contained HTML or Markdown in Chinese or English.

use serde::Serialize;

pub use datavisa_i18n::{Lang, Msg, Note, Text};

/// A fact datavisa knows: a label and a value, both in both languages (data such as names,
/// hashes and numbers is the same in both).
#[derive(Clone, Debug, Serialize)]
pub struct Fact {
    pub label: Text,
    pub value: Text,
    /// The value is code (a command line), set in a code font and never translated.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub code: bool,
}

impl Fact {
    /// A fact labelled in Chinese and English.
    pub fn new(zh: &str, en: &str, value: impl Into<Text>) -> Fact {
        Fact {
            label: Text::new(zh, en),
            value: value.into(),
            code: false,
        }
    }

    /// A fact whose value is code (a command line).
    pub fn code(zh: &str, en: &str, value: impl Into<String>) -> Fact {
        Fact {
            code: true,
            ..Fact::new(zh, en, value.into())
        }
    }
}

/// One section of a report.
#[derive(Clone, Debug, Serialize)]
pub struct Section {
    pub title: Text,
    pub facts: Vec<Fact>,
    /// Judgements datavisa cannot make, for the assessor.
    pub questions: Vec<Text>,
    /// Paragraphs shown after the facts.
    pub notes: Vec<Text>,
    pub charts: Vec<Chart>,
}

impl Section {
    /// A section of facts and questions only.
    pub fn new(title: Text, facts: Vec<Fact>, questions: Vec<Text>) -> Section {
        Section {
            title,
            facts,
            questions,
            notes: Vec::new(),
            charts: Vec::new(),
        }
    }
}

/// One measured figure with its interval and the threshold it is held to.
#[derive(Clone, Debug, Serialize)]
pub struct Interval {
    pub label: Text,
    pub value: f64,
    pub low: f64,
    pub high: f64,
    pub threshold: Option<f64>,
}

/// A chart drawn as inline SVG (no script, no network).
#[derive(Clone, Debug, Serialize)]
pub enum Chart {
    /// Figures in [0, 1], each with its interval and threshold mark.
    Intervals { title: Text, rows: Vec<Interval> },
    /// Labelled non-negative bars (counts or scores), scaled to the largest or to `max`.
    Bars {
        title: Text,
        rows: Vec<(Text, f64)>,
        max: Option<f64>,
    },
}

/// How the headline reads: good news, a warning, or bad news.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Tone {
    Pass,
    Warn,
    Fail,
}

impl Tone {
    /// The CSS class the headline gets.
    fn class(self) -> &'static str {
        match self {
            Tone::Pass => "pass",
            Tone::Warn => "warn",
            Tone::Fail => "fail",
        }
    }
}

/// A report.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub title: Text,
    pub subtitle: Text,
    pub generated_at: String,
    pub tool_version: String,
    /// One sentence at the top (a verdict), with its tone.
    pub headline: Option<(Text, Tone)>,
    pub sections: Vec<Section>,
}

mod svg;

fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// The mark of a question for the assessor, with its colon.
fn question_mark(lang: Lang) -> &'static str {
    match lang {
        Lang::Zh => "待评估人判断：",
        Lang::En => "For the assessor:",
    }
}

/// Self-contained, print-friendly HTML.
pub fn html(r: &Report, lang: Lang) -> String {
    let mut o = String::new();
    let code = lang.html_code();
    o.push_str(&format!(
        "<!DOCTYPE html>\n<html lang=\"{code}\"><head><meta charset=\"utf-8\"><title>{}</title>\n<style>\
body{{font-family:system-ui,'Noto Sans CJK SC','PingFang SC','WenQuanYi Zen Hei',sans-serif;max-width:60em;margin:2em auto;line-height:1.5;color:#111}}\
h1{{font-size:1.5em}}h2{{font-size:1.15em;border-bottom:1px solid #999;margin-top:1.6em}}\
table{{border-collapse:collapse;width:100%}}td{{border:1px solid #ccc;padding:.3em .5em;vertical-align:top}}\
td.k{{width:32%;background:#f4f4f4}}.q{{background:#fff6d6;border-left:4px solid #d9a400;padding:.3em .6em;margin:.3em 0}}\
.verdict{{font-size:1.15em;font-weight:600;padding:.6em .8em;border-radius:4px;margin:1em 0}}\
.pass{{background:#e3f4e3;border-left:6px solid #2e7d32}}.warn{{background:#fff3d6;border-left:6px solid #c77700}}\
.fail{{background:#fde3e3;border-left:6px solid #b71c1c}}figure{{margin:1em 0;break-inside:avoid}}\
figcaption{{font-weight:600;margin-bottom:.3em}}svg text{{font-family:inherit}}pre{{white-space:pre-wrap;word-break:break-all;background:#f4f4f4;padding:.5em}}\
@page{{size:A4;margin:15mm}}\
@media print{{body{{max-width:none;margin:0}}.q,.verdict{{-webkit-print-color-adjust:exact;print-color-adjust:exact}}h2{{break-after:avoid}}tr{{break-inside:avoid}}}}</style></head><body>\n",
        esc(r.title.get(lang))
    ));
    o.push_str(&format!(
        "<h1>{}</h1>\n<p>{}</p>\n",
        esc(r.title.get(lang)),
        esc(r.subtitle.get(lang))
    ));
    if let Some((text, tone)) = &r.headline {
        let class = tone.class();
        o.push_str(&format!(
            "<p class=\"verdict {class}\" id=\"verdict\">{}</p>\n",
            esc(text.get(lang))
        ));
    }
    for (i, s) in r.sections.iter().enumerate() {
        o.push_str(&format!("<h2>{}. {}</h2>\n", i + 1, esc(s.title.get(lang))));
        if !s.facts.is_empty() {
            o.push_str("<table>\n");
            for f in &s.facts {
                let value = esc(f.value.get(lang));
                let value = if f.code {
                    format!("<code>{value}</code>")
                } else {
                    value
                };
                o.push_str(&format!(
                    "<tr><td class=\"k\">{}</td><td>{value}</td></tr>\n",
                    esc(f.label.get(lang)),
                ));
            }
            o.push_str("</table>\n");
        }
        for n in &s.notes {
            o.push_str(&format!("<p>{}</p>\n", esc(n.get(lang))));
        }
        for c in &s.charts {
            o.push_str(&svg::chart(c, lang));
        }
        for q in &s.questions {
            o.push_str(&format!(
                "<div class=\"q\"><b>{}</b> {}</div>\n",
                question_mark(lang),
                esc(q.get(lang))
            ));
        }
    }
    o.push_str(&format!(
        "<p><small>datavisa {} · {}</small></p>\n</body></html>\n",
        esc(&r.tool_version),
        esc(&r.generated_at)
    ));
    o
}

/// One page with both languages side by side (a contract annex: the visa certificate). Both
/// texts of every label and value are shown, Chinese first; the page prints on one A4 sheet.
pub fn bilingual_html(r: &Report) -> String {
    let both = |t: &Text| {
        if t.zh == t.en {
            esc(&t.zh)
        } else {
            format!("{}<br><span class=\"en\">{}</span>", esc(&t.zh), esc(&t.en))
        }
    };
    let mut o = format!(
        "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>{} / {}</title>\n<style>\
body{{font-family:system-ui,'Noto Sans CJK SC','PingFang SC','WenQuanYi Zen Hei',sans-serif;max-width:56em;margin:1em auto;line-height:1.28;color:#111;font-size:8.6pt}}\
h1{{font-size:1.3em;margin:.1em 0}}h2{{font-size:1.05em;border-bottom:1px solid #999;margin:.6em 0 .2em}}\
table{{border-collapse:collapse;width:100%}}td{{border:1px solid #ccc;padding:.12em .4em;vertical-align:top;word-break:break-all}}\
td.k{{width:30%;background:#f4f4f4;word-break:normal}}.en{{color:#444}}ol{{margin:.2em 0;padding-left:1.6em}}ol li{{margin:.12em 0}}.sign td{{height:2.4em;width:50%}}\
.verdict{{font-weight:600;padding:.5em .7em;border-radius:4px;margin:.8em 0}}.pass{{background:#e3f4e3;border-left:6px solid #2e7d32}}\
.warn{{background:#fff3d6;border-left:6px solid #c77700}}.fail{{background:#fde3e3;border-left:6px solid #b71c1c}}\
@page{{size:A4;margin:10mm}}@media print{{body{{max-width:none;margin:0}}.verdict{{-webkit-print-color-adjust:exact;print-color-adjust:exact}}}}</style></head><body>\n",
        esc(&r.title.zh),
        esc(&r.title.en)
    );
    o.push_str(&format!(
        "<h1>{}</h1>\n<p>{}</p>\n",
        both(&r.title),
        both(&r.subtitle)
    ));
    if let Some((text, tone)) = &r.headline {
        let class = tone.class();
        o.push_str(&format!(
            "<p class=\"verdict {class}\" id=\"verdict\">{}</p>\n",
            both(text)
        ));
    }
    for s in &r.sections {
        o.push_str(&format!("<h2>{}</h2>\n", both(&s.title)));
        if !s.facts.is_empty() {
            o.push_str("<table>\n");
            for f in &s.facts {
                // Labels are short: both languages on one line keeps the page to one sheet.
                let label = if f.label.zh == f.label.en {
                    esc(&f.label.zh)
                } else {
                    format!(
                        "{} <span class=\"en\">{}</span>",
                        esc(&f.label.zh),
                        esc(&f.label.en)
                    )
                };
                o.push_str(&format!(
                    "<tr><td class=\"k\">{label}</td><td>{}</td></tr>\n",
                    both(&f.value)
                ));
            }
            o.push_str("</table>\n");
        }
        if !s.notes.is_empty() {
            o.push_str("<ol>\n");
            for n in &s.notes {
                o.push_str(&format!("<li>{}</li>\n", both(n)));
            }
            o.push_str("</ol>\n");
        }
        for q in &s.questions {
            o.push_str(&format!(
                "<table class=\"sign\"><tr><td>{}</td><td></td></tr></table>\n",
                both(q)
            ));
        }
    }
    o.push_str(&format!(
        "<p><small>datavisa {} · {}</small></p>\n</body></html>\n",
        esc(&r.tool_version),
        esc(&r.generated_at)
    ));
    o
}

/// Markdown.
pub fn markdown(r: &Report, lang: Lang) -> String {
    let cell = |s: &str| s.replace('|', "\\|").replace('\n', " ");
    let mut o = format!("# {}\n\n{}\n", r.title.get(lang), r.subtitle.get(lang));
    if let Some((text, _)) = &r.headline {
        o.push_str(&format!("\n**{}**\n", text.get(lang)));
    }
    for (i, s) in r.sections.iter().enumerate() {
        o.push_str(&format!("\n## {}. {}\n\n", i + 1, s.title.get(lang)));
        if !s.facts.is_empty() {
            o.push_str("| | |\n| --- | --- |\n");
            for f in &s.facts {
                o.push_str(&format!(
                    "| {} | {} |\n",
                    cell(f.label.get(lang)),
                    cell(f.value.get(lang))
                ));
            }
            o.push('\n');
        }
        for n in &s.notes {
            o.push_str(&format!("{}\n\n", n.get(lang)));
        }
        for q in &s.questions {
            o.push_str(&format!(
                "> **{}** {}\n>\n",
                question_mark(lang),
                q.get(lang)
            ));
        }
    }
    o.push_str(&format!(
        "\n_datavisa {} · {}_\n",
        r.tool_version, r.generated_at
    ));
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> Report {
        Report {
            title: Text::new("个人信息保护影响评估", "PIPIA"),
            subtitle: Text::new("草稿", "Draft"),
            generated_at: "2026-11-22T00:00:00Z".into(),
            tool_version: "0.1.0".into(),
            headline: None,
            sections: vec![Section::new(
                Text::new("范围", "Scope"),
                vec![Fact::new("处理者", "Exporter", "<Acme & Co>")],
                vec![Text::new("目的是否必要？", "Is the purpose necessary?")],
            )],
        }
    }

    #[test]
    fn html_escapes_values_and_marks_questions() {
        let h = html(&report(), Lang::Zh);
        assert!(h.contains("&lt;Acme &amp; Co&gt;") && !h.contains("<Acme"));
        assert!(
            h.contains("lang=\"zh-CN\"")
                && h.contains("待评估人判断")
                && h.contains("目的是否必要")
        );
        let e = html(&report(), Lang::En);
        assert!(e.contains("For the assessor") && e.contains("Scope"));
    }

    #[test]
    fn markdown_has_every_section() {
        let m = markdown(&report(), Lang::En);
        assert!(
            m.contains("## 1. Scope")
                && m.contains("| Exporter | <Acme & Co> |")
                && m.contains("Is the purpose necessary?")
        );
    }
}
