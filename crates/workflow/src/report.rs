//! The assessment report: a stored assessment as a self-contained page (verdict first, charts,
//! profile, policy with sources, reproduction, terminology) or as JSON. The `report` crate
//! renders the [`Report`] built here.

use crate::assess::Assessed;
use crate::error::{Error, Result};
use crate::evidence::{write_json, write_text};
use crate::workspace::Workspace;
use datavisa_report::{Chart, Fact, Interval, Lang, Msg, Note, Report, Section, Text, Tone};
use datavisa_verdict::figures::{figure_msg, source_msg};
use datavisa_verdict::release::FileFacts;
use datavisa_verdict::{Criterion, Verdict};
use serde_json::Value;
use std::path::Path;

impl Workspace {
    /// Writes the report of a stored assessment (by its id or a visa's) as .html, .md or .json.
    pub fn assessment_report(&self, id: &str, output: &Path, lang: Lang) -> Result<()> {
        self.guard(output, &[])?;
        let stored = self.stored_assessment(id)?;
        let context = self.on_record(&stored)?;
        write_report(stored, &context, output, lang)
    }

    /// A stored assessment with what the register holds around it: the visas issued on it and
    /// every other assessment of the same twin for the same recipient.
    pub fn on_record(&self, stored: &datavisa_verdict::register::Stored) -> Result<OnRecord> {
        use datavisa_verdict::register::{AssessmentFilter, Register};
        if !Register::exists_in(self.store()) {
            return Ok(OnRecord::default());
        }
        let a = stored.typed()?;
        let reg = Register::open(self.store())?;
        Ok(OnRecord {
            visas: reg
                .visas()?
                .into_iter()
                .filter(|v| v.assessment_id == stored.id)
                .collect(),
            others: reg
                .assessments(&AssessmentFilter {
                    twin_sha256: Some(a.twin.sha256.clone()),
                    recipient: Some(a.recipient.id.clone()),
                    ..Default::default()
                })?
                .into_iter()
                .filter(|x| x.id != stored.id)
                .collect(),
        })
    }
}

impl OnRecord {
    /// Nothing on record.
    pub fn is_empty(&self) -> bool {
        self.visas.is_empty() && self.others.is_empty()
    }
}

/// What the register holds around one assessment.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct OnRecord {
    /// Visas issued on it.
    pub visas: Vec<datavisa_verdict::register::Visa>,
    /// Every other assessment of the same twin for the same recipient, oldest first.
    pub others: Vec<datavisa_verdict::register::AssessmentSummary>,
}

fn fact(zh: &str, en: &str, value: impl Into<Text>) -> Fact {
    Fact::new(zh, en, value)
}

/// Any stored value as JSON writes it (numbers, arrays of names), for data shown as written.
fn s_of<T: serde::Serialize + ?Sized>(x: &T) -> String {
    match serde_json::to_value(x).unwrap_or(Value::Null) {
        Value::String(s) => s,
        Value::Null => "—".into(),
        Value::Array(a) if a.is_empty() => "—".into(),
        Value::Array(a) => a
            .iter()
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    }
}

fn f4(x: f64) -> String {
    format!("{x:.4}")
}

fn f4_opt(x: Option<f64>) -> String {
    x.map_or("—".into(), f4)
}

/// Yes or no in both languages.
fn yes_no(b: bool) -> Text {
    Msg::new(if b { "bool.true" } else { "bool.false" }).text()
}

/// An optional name, or "not set".
fn or_not_set(x: &Option<String>) -> Text {
    x.as_ref()
        .map_or_else(|| Msg::new("value.not_set").text(), Text::same)
}

/// Writes a stored assessment as .html, .md or .json (atomically).
pub fn write_report(
    stored: datavisa_verdict::register::Stored,
    record: &OnRecord,
    output: &Path,
    lang: Lang,
) -> Result<()> {
    let mut a = stored.assessment.clone();
    a["body_sha256"] = Value::String(stored.body_sha256.clone());
    if !record.visas.is_empty() || !record.others.is_empty() {
        a["on_record"] = serde_json::to_value(record).unwrap_or(Value::Null);
    }
    let ext = output
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("html");
    match ext {
        "json" => write_json(output, &a)?,
        "html" | "htm" => {
            let mut typed = Assessed::of(&stored)?;
            typed.on_record = record.clone();
            write_text(output, &datavisa_report::html(&build(&typed), lang))?
        }
        "md" => {
            let mut typed = Assessed::of(&stored)?;
            typed.on_record = record.clone();
            write_text(output, &datavisa_report::markdown(&build(&typed), lang))?
        }
        other => {
            return Err(Error::bad_input(format!(
                "-o {}: write .html, .md or .json, not .{other}",
                output.display()
            )))
        }
    }
    Ok(())
}

/// The verdict in one sentence, in both languages, with its tone.
pub fn headline(a: &Assessed) -> (Text, Tone) {
    let (msg, tone) = verdict_line(a);
    match a.assessment.margin_msg() {
        Some(m) => (
            Msg::new("headline.with_margin")
                .arg("verdict", msg)
                .arg("margin", m)
                .text(),
            tone,
        ),
        None => (msg.text(), tone),
    }
}

/// The verdict alone in one sentence.
fn verdict_line(a: &Assessed) -> (Msg, Tone) {
    let tone = match a.assessment.verdict {
        Verdict::Anonymized => Tone::Pass,
        Verdict::DeIdentified => Tone::Warn,
        Verdict::Personal => Tone::Fail,
    };
    let msg = Msg::new(&format!("headline.{}", a.assessment.verdict.as_str()))
        .arg("twin", &a.assessment.twin.path)
        .arg("recipient", &a.assessment.recipient.id);
    (msg, tone)
}

fn threshold_of(a: &Assessed, criterion: Criterion) -> Option<f64> {
    a.assessment
        .thresholds
        .iter()
        .find(|t| t.0 == criterion)
        .map(|t| t.1.value)
}

/// A reason in both languages: from its message, or (older assessments) its English text.
fn reason_text(r: &datavisa_verdict::assess::Reason) -> Text {
    r.msg
        .as_ref()
        .map_or_else(|| Text::same(r.text.clone()), Msg::text)
}

fn verdict_section(a: &Assessed) -> Section {
    let x = &a.assessment;
    let mut facts = Vec::new();
    if let Some(m) = x.margin_msg() {
        facts.push(fact(
            "临界（再知道一列）",
            "Margin (one more known column)",
            m,
        ));
    }
    for m in x.margins.iter().flatten() {
        facts.push(fact(
            &format!("若再知道 {}", m.column),
            &format!("If it also learns {}", m.column),
            Msg::new("report.margin_row")
                .arg("verdict", m.verdict.msg())
                .arg("figure", m.figure_msg()),
        ));
    }
    facts.extend([
        fact("结论", "Verdict", x.verdict.msg()),
        fact(
            "接收方",
            "Recipient",
            format!("{} ({})", x.recipient.id, s_of(&x.recipient.name)),
        ),
        fact(
            "发布情境",
            "Release context",
            Msg::new("report.context")
                .arg("context", x.context.context.msg())
                .arg("why", note_arg(&x.context.why)),
        ),
    ]);
    for o in &a.on_record.others {
        facts.push(fact(
            &format!("同一对的其他评估 {}", o.id),
            &format!("Other assessment of this pair {}", o.id),
            Msg::new("report.other_assessment")
                .arg("verdict", o.verdict.msg())
                .arg("date", &o.created_at),
        ));
    }
    for v in &a.on_record.visas {
        let mut m = Msg::new("report.visa_on_record")
            .arg("verdict", v.verdict.msg())
            .arg("date", &v.issued_on)
            .arg("state", Msg::new(&format!("visa_state.{}", v.state)));
        m = match &v.override_reason {
            Some(r) => m.arg(
                "override",
                Msg::new("report.visa_override").arg("reason", r),
            ),
            None => m.arg("override", ""),
        };
        facts.push(fact(
            &format!("签证 {}", v.id),
            &format!("Visa {}", v.id),
            m,
        ));
    }
    for (i, r) in x.reasons.iter().enumerate() {
        facts.push(fact(
            &format!("理由 {}", i + 1),
            &format!("Reason {}", i + 1),
            reason_text(r),
        ));
    }
    let mut sec = Section::new(
        Text::new("结论与理由", "Verdict and reasons"),
        facts,
        Vec::new(),
    );
    sec.notes = x.notes.iter().map(Note::text).collect();
    sec
}

/// A stored note as a message argument (older notes are English text).
fn note_arg(n: &Note) -> datavisa_i18n::Arg {
    match n {
        Note::Said { msg, .. } => msg.clone().into(),
        Note::Plain(t) => t.clone().into(),
    }
}

/// What an attack figure rests on, as messages: rates with counts, queries found against
/// requested, looks and attacks, and its warnings.
fn evidence_parts(x: &datavisa_verdict::assess::AttackRecord) -> Vec<Msg> {
    let Some(e) = x.evidence() else {
        return vec![Msg::new("evidence.none")];
    };
    let rate = |id: &str, r: &datavisa_verdict::assess::StoredRate, k: f64, n: f64| {
        Msg::new(id)
            .arg("value", f4(r.value))
            .arg("error", f4(r.error))
            .arg("k", format!("{k:.0}"))
            .arg("n", format!("{n:.0}"))
    };
    let mut parts = vec![
        rate(
            "evidence.attack",
            &e.attack_rate,
            e.n_success,
            e.attempts.main,
        ),
        rate(
            "evidence.baseline",
            &e.baseline_rate,
            e.n_baseline,
            e.attempts.baseline,
        ),
    ];
    if let (Some(c), Some(k), Some(n)) = (&e.control_rate, e.n_control, e.attempts.control) {
        parts.push(rate("evidence.control", c, k, n));
    } else {
        parts.push(Msg::new("evidence.no_control"));
    }
    if let Some(q) = e.queries_found {
        parts.push(
            Msg::new("evidence.queries")
                .arg("found", q.to_string())
                .arg("n", e.n_attacks.to_string()),
        );
    }
    parts.push(
        Msg::new("evidence.looks")
            .arg("n", e.n_attacks.to_string())
            .arg("looks", e.looks.len().max(1).to_string()),
    );
    if x.risk.ci[0] == x.risk.ci[1] {
        parts.push(Msg::new("evidence.exact").arg("value", f4(x.risk.value)));
    } else if e.baseline_rate.value >= e.attack_rate.value {
        parts.push(Msg::new("evidence.sanity"));
    }
    for w in &e.warnings {
        parts.push(Msg::new("evidence.warning").arg("warning", warning_msg(w)));
    }
    parts
}

/// An engine's warning as a message (a warning of no known shape is shown as written).
pub fn warning_msg(w: &str) -> Msg {
    datavisa_i18n::recognised("warning.", w)
}

/// One line on what an attack figure rests on (the report and the console print it).
pub fn evidence_line(x: &datavisa_verdict::assess::AttackRecord) -> String {
    evidence_text(x).en
}

/// The evidence line in both languages.
pub fn evidence_text(x: &datavisa_verdict::assess::AttackRecord) -> Text {
    datavisa_i18n::sentences(&evidence_parts(x))
}

/// A figure's label with its scope, as a message.
fn figure_with_scope(figure: &str, scope: &str) -> Msg {
    Msg::new("report.figure_scope")
        .arg("figure", figure_msg(figure))
        .arg("scope", Msg::new(&format!("scope.{scope}")))
}

fn attacks_section(a: &Assessed) -> Section {
    let rows: Vec<Interval> = a
        .assessment
        .attacks
        .iter()
        .map(|x| {
            let outcome = a
                .assessment
                .all_checks()
                .find(|c| c.figure == x.label && c.scope == x.scope)
                .map(|c| c.outcome().msg());
            let mut label = figure_msg(&x.label);
            if x.scope == "combined" {
                label = figure_with_scope(&x.label, &x.scope);
            }
            let label = match outcome {
                Some(o) => Msg::new("report.chart_row")
                    .arg("figure", label)
                    .arg("outcome", o),
                None => label,
            };
            Interval {
                label: label.text(),
                value: x.risk.value,
                low: x.risk.ci[0],
                high: x.risk.ci[1],
                threshold: threshold_of(a, x.criterion()),
            }
        })
        .collect();
    let mut facts: Vec<Fact> = a
        .assessment
        .all_checks()
        .map(|c| Fact {
            label: Msg::new("report.criterion_scope")
                .arg("criterion", c.criterion.msg())
                .arg("scope", Msg::new(&format!("scope.{}", c.scope)))
                .text(),
            value: check_msg(c).text(),
            code: false,
        })
        .collect();
    for x in &a.assessment.attacks {
        facts.push(Fact {
            label: figure_with_scope(&x.label, &x.scope).text(),
            value: evidence_text(x),
            code: false,
        });
    }
    if let Some(p) = &a.assessment.plan {
        facts.push(fact("序贯检验", "Sequential procedure", plan_msg(p)));
    }
    let mut sec = Section::new(
        Text::new("攻击与阈值", "Attacks against thresholds"),
        facts,
        Vec::new(),
    );
    if !rows.is_empty() {
        sec.charts.push(Chart::Intervals {
            title: Text::new(
                "各项攻击的残余风险（置信区间）与阈值",
                "Residual risk of each attack, with its interval and threshold",
            ),
            rows,
        });
    }
    sec
}

/// The sequential plan in one sentence.
pub fn plan_msg(p: &datavisa_verdict::sequential::Plan) -> Msg {
    let looks: Vec<String> = p
        .looks
        .iter()
        .zip(&p.look_confidence)
        .map(|(n, c)| format!("{n} ({:.2}%)", 100.0 * c))
        .collect();
    Msg::new("report.plan")
        .arg("procedure", Msg::new("procedure.sequential"))
        .arg("n", p.looks.len().to_string())
        .arg("looks", looks)
        .arg("confidence", format!("{:.0}", 100.0 * p.confidence))
        .arg("alpha", format!("{:.1}", 100.0 * p.alpha_pass()))
}

/// One check as a message: figure, interval, threshold, outcome, and why it is inconclusive
/// or exact.
pub fn check_msg(c: &datavisa_verdict::Check) -> Msg {
    let interval = match c.lower {
        Some(l) if (c.upper - l).abs() > f64::EPSILON => Msg::new("check.interval")
            .arg("lower", f4(l))
            .arg("upper", f4(c.upper)),
        _ => Msg::new("check.exact").arg("value", f4(c.upper)),
    };
    let looks = if c.looks.is_empty() {
        datavisa_i18n::Arg::Text(String::new())
    } else {
        Msg::new("check.looks")
            .arg("looks", c.looks.len().to_string())
            .arg("n", c.n_attacks().to_string())
            .into()
    };
    let why = match &c.why {
        Some(w) => Msg::new("check.why").arg("why", note_arg(w)).into(),
        None => datavisa_i18n::Arg::Text(String::new()),
    };
    Msg::new("check.line")
        .arg("figure", figure_msg(&c.figure))
        .arg("value", f4(c.value))
        .arg("interval", interval)
        .arg("threshold", s_of(&c.threshold))
        .arg("outcome", c.outcome().msg())
        .arg("looks", looks)
        .arg("why", why)
}

/// One check as the console states it, in English.
pub fn check_line(c: &datavisa_verdict::Check) -> String {
    check_msg(c).en()
}

/// Class sizes grouped into the bands people read k-anonymity in.
fn class_bands(hist: &[(u64, u64)]) -> Vec<(Text, f64)> {
    let bands: [(u64, u64, &str); 6] = [
        (1, 1, "1"),
        (2, 2, "2"),
        (3, 4, "3–4"),
        (5, 9, "5–9"),
        (10, 19, "10–19"),
        (20, u64::MAX, "≥ 20"),
    ];
    bands
        .iter()
        .map(|&(lo, hi, name)| {
            let n: u64 = hist
                .iter()
                .filter(|(size, _)| (lo..=hi).contains(size))
                .map(|(size, classes)| size * classes)
                .sum();
            (Text::same(name), n as f64)
        })
        .collect()
}

fn classic_section(a: &Assessed) -> Option<Section> {
    let c = a.assessment.class_figures()?;
    let facts = vec![
        fact(
            "已知列",
            "Known columns matched on",
            s_of(&a.assessment.known_in_twin),
        ),
        fact(
            "等价类数 / 最小类 k",
            "Classes / smallest class k",
            format!("{} / {}", c.n_classes, c.k),
        ),
        fact(
            "最高重识别风险",
            "Highest re-identification risk",
            f4(c.prosecutor.highest),
        ),
        fact(
            "平均重识别风险",
            "Average re-identification risk",
            f4(c.prosecutor.average),
        ),
        fact(
            "唯一记录占比",
            "Records unique on known columns",
            f4(c.sample_uniqueness),
        ),
    ];
    let mut sec = Section::new(
        Text::new(
            "等价类风险",
            "Equivalence-class risk on what the recipient knows",
        ),
        facts,
        Vec::new(),
    );
    sec.charts.push(Chart::Bars {
        title: Text::new(
            "按等价类大小统计的记录数",
            "Records by equivalence-class size",
        ),
        rows: class_bands(&c.class_size_histogram),
        max: None,
    });
    Some(sec)
}

fn distance_section(a: &Assessed) -> Option<Section> {
    let d = a.assessment.distance_figures()?;
    Some(Section::new(
        Text::new("距离检验（合成数据）", "Distance checks (synthetic twin)"),
        vec![
            fact(
                "与源数据最近距离中位数",
                "Median distance to closest source record",
                f4(d.dcr_source.median),
            ),
            fact(
                "精确复制占比",
                "Exact copies of source rows",
                f4(d.exact_copies),
            ),
            fact(
                "精确复制（留出集）",
                "Exact copies of holdout rows",
                f4_opt(d.exact_copies_of_holdout),
            ),
            fact(
                "更接近源数据的占比",
                "Closer to source than to holdout",
                f4_opt(d.closer_to_source),
            ),
        ],
        Vec::new(),
    ))
}

fn cumulative_section(a: &Assessed) -> Option<Section> {
    let c = a.assessment.cumulative.as_ref()?;
    let mut facts: Vec<Fact> = c
        .with
        .iter()
        .map(|p| {
            fact(
                "此前发布",
                "Earlier release",
                Msg::new("report.earlier_release")
                    .arg("path", &p.twin.path)
                    .arg("visa", &p.visa)
                    .arg("sha256", &p.twin.sha256),
            )
        })
        .collect();
    facts.push(fact(
        "关联方式",
        "Rows linked by",
        c.linked_by
            .as_ref()
            .map_or_else(|| Text::same("—"), Note::text),
    ));
    facts.push(fact(
        "合并后已知列",
        "Known columns in the combination",
        s_of(&c.known_columns),
    ));
    let mut sec = Section::new(
        Text::new("累积发布", "Cumulative releases to this recipient"),
        facts,
        Vec::new(),
    );
    sec.notes = c.notes.iter().map(Note::text).collect();
    Some(sec)
}

fn utility_section(a: &Assessed) -> Option<Section> {
    // A generalized twin is measured against the source's original values; comparing it with
    // the source generalized the same way would score every column 1, so that comparison is
    // shown only as a labelled secondary figure.
    if let Some(g) = &a.assessment.generalized_utility {
        let o = &g.against_original;
        let mut facts = vec![
            fact(
                "总体得分（对照原始值）",
                "Overall score (against the original values)",
                f4(o.score),
            ),
            fact(
                "信息保留（各列平均）",
                "Information kept (mean over columns)",
                f4(o.information),
            ),
            fact(
                "二维、三维计数查询：得分 / 平均相对误差 / 查询数",
                "2- and 3-way count queries: score / mean relative error / queries",
                format!(
                    "{} / {} / {}",
                    f4(o.queries.score),
                    f4(o.queries.mean_relative_error),
                    o.queries.n_queries
                ),
            ),
            fact(
                "被抑制的记录",
                "Suppressed records",
                format!("{} / {}", o.suppressed_records, o.rows),
            ),
        ];
        for c in &o.columns {
            facts.push(Fact {
                label: Text::new(
                    format!(
                        "{}：信息保留 / 损失 / 熵损失 / 抑制占比 / 查询误差",
                        c.column
                    ),
                    format!(
                        "{}: information / loss / entropy loss / suppressed share / query error",
                        c.column
                    ),
                ),
                value: Text::same(format!(
                    "{} / {} / {} / {} / {}",
                    f4(c.information),
                    f4(c.loss),
                    f4(c.entropy_loss),
                    f4(c.suppressed_share),
                    f4_opt(c.query_error)
                )),
                code: false,
            });
        }
        if let Some(same) = &g.same_generalization {
            facts.push(fact(
                "次要指标：与同样泛化后的源数据比较的得分",
                "Secondary figure: score against the source generalized the same way",
                f4(same.score),
            ));
        }
        let mut sec = Section::new(Text::new("可用性", "Utility"), facts, Vec::new());
        sec.notes.push(Text::new(
            "各列均对照源数据的原始值计算：损失为 ARX 的 Loss（泛化后取值覆盖的层级行数占比，被抑制的单元格计为 1），熵损失为非均匀熵与全部抑制时之比，抑制占比为不再携带任何信息的单元格（记录被抑制或泛化到根节点）所占比例；查询由泛化后的孪生数据回答，每个泛化单元格的计数均匀分摊到其覆盖的源数据取值上。完全抑制的列得 0，未改动的列得 1。次要指标仅反映抑制删去的内容：未发生抑制时，无论泛化损失多大，它都为 1。",
            "Every column is measured against the source's original values: loss is ARX's Loss (the share of hierarchy rows each released value covers, a suppressed cell counting 1), entropy loss the non-uniform entropy over its value with every cell suppressed, and the suppressed share the cells that carry nothing (the record suppressed or the value generalized to the root); queries are answered from the twin with each generalized cell's count spread uniformly over the source values it covers. A fully suppressed column scores 0, an untouched one 1. The secondary figure shows only what suppression removed: without suppression it is 1 whatever the generalization cost.",
        ));
        sec.charts.push(Chart::Bars {
            title: Text::new(
                "各列信息保留（对照原始值，1 为未改动）",
                "Information kept per column against the original values (1 = untouched)",
            ),
            rows: o
                .columns
                .iter()
                .map(|c| (Text::same(c.column.clone()), c.information))
                .collect(),
            max: Some(1.0),
        });
        return Some(sec);
    }
    let u = a.assessment.utility_figures()?;
    let rows: Vec<(Text, f64)> = u
        .columns
        .iter()
        .map(|c| (Text::same(c.column.clone()), c.score))
        .collect();
    let mut sec = Section::new(
        Text::new("可用性", "Utility"),
        vec![
            fact("总体得分", "Overall score", f4(u.score)),
            fact(
                "单列 / 列对 / 查询",
                "Columns / pairs / queries",
                format!(
                    "{} / {} / {}",
                    f4(u.column_score),
                    f4(u.pair_score),
                    f4(u.workload_score)
                ),
            ),
        ],
        Vec::new(),
    );
    sec.charts.push(Chart::Bars {
        title: Text::new(
            "各列分布相似度（1 为相同）",
            "Per-column similarity to the source (1 = identical)",
        ),
        rows,
        max: Some(1.0),
    });
    Some(sec)
}

fn profile_section(a: &Assessed) -> Section {
    let x = &a.assessment;
    let (r, c) = (&x.recipient, &x.recipient.controls);
    let holds = if x.holds.is_empty() {
        Msg::new("value.none").text()
    } else {
        Text::same(
            x.holds
                .iter()
                .map(|h| format!("{} (sha256 {})", h.path, h.sha256))
                .collect::<Vec<_>>()
                .join("; "),
        )
    };
    Section::new(
        Text::new("接收方画像", "Recipient profile"),
        vec![
            fact(
                "标识 / 名称",
                "Id / name",
                format!("{} / {}", r.id, s_of(&r.name)),
            ),
            fact("所在法域", "Jurisdiction", s_of(&r.jurisdiction)),
            fact(
                "已知列",
                "Knows",
                r.knows
                    .iter()
                    .map(|k| k.name())
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            fact("持有数据集", "Holds", holds),
            fact(
                "能否获取密钥",
                "Could obtain keys",
                yes_no(r.can_obtain_keys),
            ),
            fact(
                "能力假设",
                "Capability",
                Msg::new(&format!("capability.{}", s_of(&r.capability))),
            ),
            fact(
                "禁止重识别条款",
                "No-re-identification clause",
                yes_no(c.no_reidentification),
            ),
            fact(
                "禁止重新关联条款",
                "No-relinking clause",
                yes_no(c.no_relinking),
            ),
            fact(
                "禁止再转移",
                "Onward-transfer ban",
                yes_no(c.onward_transfer_ban),
            ),
            fact(
                "经审计的安全措施",
                "Audited security",
                yes_no(c.audited_security),
            ),
            fact("删除日期", "Deletion date", or_not_set(&c.deletion_date)),
            fact(
                "密钥状态",
                "Pseudonymization keys",
                Msg::new(&format!("keys.{}", s_of(&x.keys))),
            ),
        ],
        Vec::new(),
    )
}

fn policy_section(a: &Assessed) -> Section {
    let p = &a.assessment.policy;
    let with_source = |value: String, source: &str| {
        Msg::new("report.value_source")
            .arg("value", value)
            .arg("source", source_msg(source))
    };
    let mut facts = vec![
        fact(
            "置信水平",
            "Confidence level",
            with_source(s_of(&p.confidence.value), &p.confidence.source),
        ),
        fact(
            "比较规则",
            "Comparison rule",
            Msg::new("report.compare_upper_ci"),
        ),
        fact(
            "复评周期（月）",
            "Review period (months)",
            p.review_months.to_string(),
        ),
        fact(
            "个人信息界限",
            "Personal-information bar",
            with_source(s_of(&p.personal_above.value), &p.personal_above.source),
        ),
    ];
    for (c, t) in &a.assessment.thresholds {
        facts.push(Fact {
            label: c.msg().text(),
            value: Msg::new("report.threshold_source")
                .arg("value", s_of(&t.value))
                .arg("source", source_msg(&t.source))
                .text(),
            code: false,
        });
    }
    Section::new(
        Text::new("政策与阈值来源", "Policy and the source of every threshold"),
        facts,
        Vec::new(),
    )
}

fn file_msg(x: &FileFacts) -> Msg {
    Msg::new("report.file")
        .arg("path", &x.path)
        .arg("sha256", &x.sha256)
        .arg("rows", x.rows.to_string())
}

fn reproduction_section(a: &Assessed) -> Section {
    let x = &a.assessment;
    let mut facts = vec![
        Fact::code("复现命令", "Reproduce with", a.command.clone()),
        fact("评估编号", "Assessment id", a.id.clone()),
        fact(
            "评估内容哈希",
            "Assessment JSON sha256",
            a.body_sha256.clone(),
        ),
        fact("源数据", "Source", file_msg(&x.source)),
        fact(
            "孪生数据",
            "Twin",
            Msg::new("report.twin_file")
                .arg("file", file_msg(&x.twin))
                .arg("kind", x.twin_kind.msg()),
        ),
        fact(
            "随机种子 / 攻击次数",
            "Seed / attacks",
            format!("{} / {}", x.params.seed, x.params.n_attacks),
        ),
        fact("时间", "Created", a.created_at.clone()),
        fact(
            "工具版本",
            "Tool version",
            format!("datavisa {}", env!("CARGO_PKG_VERSION")),
        ),
    ];
    if let Some(c) = &x.control {
        facts.push(fact("对照集", "Control set", file_msg(c)));
    }
    if let Some(m) = &x.manifest {
        facts.push(fact("清单", "Manifest", m.path.clone()));
    }
    Section::new(Text::new("复现信息", "Reproduction"), facts, Vec::new())
}

/// The legal terms the report uses, each with its statutory source.
pub fn terminology_section() -> Section {
    let mut sec = Section::new(Text::new("术语", "Terminology"), Vec::new(), Vec::new());
    sec.notes = ["term_def.de_identified", "term_def.anonymized"]
        .iter()
        .map(|id| Msg::new(id).text())
        .collect();
    sec
}

/// The report structure of a stored assessment.
pub fn build(a: &Assessed) -> Report {
    let mut sections = vec![verdict_section(a), attacks_section(a)];
    sections.extend(classic_section(a));
    sections.extend(distance_section(a));
    sections.extend(cumulative_section(a));
    sections.extend(utility_section(a));
    sections.push(profile_section(a));
    sections.push(policy_section(a));
    sections.push(reproduction_section(a));
    sections.push(terminology_section());
    let (twin, recipient) = (&a.assessment.twin.path, &a.assessment.recipient.id);
    Report {
        title: Text::new("重识别风险评估报告", "Re-identification risk assessment"),
        subtitle: Text::new(
            format!("{twin} → {recipient}，评估 {}", a.id),
            format!("{twin} → {recipient}, assessment {}", a.id),
        ),
        generated_at: a.created_at.clone(),
        tool_version: env!("CARGO_PKG_VERSION").into(),
        headline: Some(headline(a)),
        sections,
    }
}
