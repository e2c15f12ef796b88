//! The assessment report: a stored assessment as a self-contained page (verdict first, charts,
//! profile, policy with sources, reproduction, terminology) or as JSON. The `report` crate
//! renders the [`Report`] built here.

use crate::assess::Assessed;
use crate::error::{Error, Result};
use crate::evidence::{write_json, write_text};
use crate::workspace::Workspace;
use datavisa_report::{Chart, Fact, Interval, Lang, Report, Section, Text, Tone};
use datavisa_verdict::release::FileFacts;
use datavisa_verdict::{Criterion, Verdict};
use serde_json::Value;
use std::path::Path;

/// `en` or `zh` as a report language.
pub fn report_lang(lang: &str) -> Result<Lang> {
    match lang {
        "en" => Ok(Lang::En),
        "zh" => Ok(Lang::Zh),
        other => Err(Error::bad_input(format!("--lang {other:?}: use en or zh"))),
    }
}

impl Workspace {
    /// Writes the report of a stored assessment (by its id or a visa's) as .html or .json.
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

fn fact(zh: &str, en: &str, value: impl Into<String>) -> Fact {
    Fact::new(zh, en, value)
}

fn s(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "—".into(),
        Value::Array(a) if a.is_empty() => "—".into(),
        Value::Array(a) => a.iter().map(s).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

/// Any stored value as the report shows it (enums by name, numbers as JSON writes them).
fn s_of<T: serde::Serialize + ?Sized>(x: &T) -> String {
    s(&serde_json::to_value(x).unwrap_or(Value::Null))
}

fn f4(x: f64) -> String {
    format!("{x:.4}")
}

fn f4_opt(x: Option<f64>) -> String {
    x.map_or("—".into(), f4)
}

/// Writes a stored assessment as .html or .json (atomically).
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
        other => {
            return Err(Error::bad_input(format!(
                "-o {}: write .html or .json, not .{other}",
                output.display()
            )))
        }
    }
    Ok(())
}

/// The verdict in one sentence, in both languages, with its tone.
pub fn headline(a: &Assessed) -> (Text, Tone) {
    let (text, tone) = verdict_line(a);
    match a.assessment.margin_sentence() {
        Some(m) => (
            Text::new(
                format!("{} 临界：{m}", text.zh),
                format!("{} Margin: {m}.", text.en),
            ),
            tone,
        ),
        None => (text, tone),
    }
}

/// The verdict alone in one sentence.
fn verdict_line(a: &Assessed) -> (Text, Tone) {
    let r = &a.assessment.recipient.id;
    let twin = &a.assessment.twin.path;
    match a.assessment.verdict {
        Verdict::Anonymized => (
            Text::new(
                format!("结论：{twin} 对接收方 {r} 而言属于匿名化信息（仅对该接收方成立，须按期复评）。"),
                format!("Verdict: {twin} is anonymized as to recipient {r}, and only as to it, until its review."),
            ),
            Tone::Pass,
        ),
        Verdict::DeIdentified => (
            Text::new(
                format!("结论：{twin} 对接收方 {r} 而言仅为去标识化信息，不是匿名化信息，仍属个人信息。"),
                format!("Verdict: {twin} is de-identified, not anonymized, for recipient {r}: it remains personal information."),
            ),
            Tone::Warn,
        ),
        Verdict::Personal => (
            Text::new(
                format!("结论：{twin} 对接收方 {r} 而言属于个人信息（可识别）。"),
                format!("Verdict: {twin} is personal information for recipient {r}: it can identify people."),
            ),
            Tone::Fail,
        ),
    }
}

fn threshold_of(a: &Assessed, criterion: Criterion) -> Option<f64> {
    a.assessment
        .thresholds
        .iter()
        .find(|t| t.0 == criterion)
        .map(|t| t.1.value)
}

fn verdict_section(a: &Assessed) -> Section {
    let x = &a.assessment;
    let mut facts = Vec::new();
    if let Some(m) = x.margin_sentence() {
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
            format!("{}: {}", m.verdict.as_str(), m.text),
        ));
    }
    facts.extend([
        fact("结论", "Verdict", x.verdict.as_str()),
        fact(
            "接收方",
            "Recipient",
            format!("{} ({})", x.recipient.id, s_of(&x.recipient.name)),
        ),
        fact(
            "发布情境",
            "Release context",
            format!("{}: {}", x.context.context.as_str(), x.context.why),
        ),
    ]);
    for o in &a.on_record.others {
        facts.push(fact(
            &format!("同一对的其他评估 {}", o.id),
            &format!("Other assessment of this pair {}", o.id),
            format!("{} on {}", o.verdict.as_str(), o.created_at),
        ));
    }
    for v in &a.on_record.visas {
        facts.push(fact(
            &format!("签证 {}", v.id),
            &format!("Visa {}", v.id),
            format!(
                "{} on {}, {}{}",
                v.verdict.as_str(),
                v.issued_on,
                v.state,
                v.override_reason
                    .as_ref()
                    .map(|r| format!("; issued over a later or contrary assessment: {r}"))
                    .unwrap_or_default()
            ),
        ));
    }
    for (i, r) in x.reasons.iter().enumerate() {
        facts.push(fact(
            &format!("理由 {}", i + 1),
            &format!("Reason {}", i + 1),
            r.text.clone(),
        ));
    }
    let mut sec = Section::new(
        Text::new("结论与理由", "Verdict and reasons"),
        facts,
        Vec::new(),
    );
    for n in &x.notes {
        sec.notes.push(Text::new(n.clone(), n.clone()));
    }
    sec
}

/// One line on what an attack figure rests on: rates with counts, queries found against
/// requested, looks and attacks, and its warnings (the report and the console print it).
pub fn evidence_line(x: &datavisa_verdict::assess::AttackRecord) -> String {
    let Some(e) = x.evidence() else {
        return "no rates stored with this figure".into();
    };
    let rate = |r: &datavisa_verdict::assess::StoredRate, k: f64, n: f64| {
        format!("{:.4} ± {:.4} ({k:.0} of {n:.0})", r.value, r.error)
    };
    let mut parts = vec![
        format!(
            "attack {}",
            rate(&e.attack_rate, e.n_success, e.attempts.main)
        ),
        format!(
            "baseline {}",
            rate(&e.baseline_rate, e.n_baseline, e.attempts.baseline)
        ),
    ];
    if let (Some(c), Some(k), Some(n)) = (&e.control_rate, e.n_control, e.attempts.control) {
        parts.push(format!("control {}", rate(c, k, n)));
    } else {
        parts.push("no control".into());
    }
    if let Some(q) = e.queries_found {
        parts.push(format!("{q} of {} requested queries found", e.n_attacks));
    }
    let looks = e.looks.len().max(1);
    parts.push(format!(
        "{} attacks at the last of {looks} look{}",
        e.n_attacks,
        if looks == 1 { "" } else { "s" }
    ));
    let exact = x.risk.ci[0] == x.risk.ci[1];
    if exact {
        parts.push(format!("exact figure {}", f4(x.risk.value)));
    } else if e.baseline_rate.value >= e.attack_rate.value {
        parts.push("SANITY: the baseline does as well as the attack".into());
    }
    let mut line = parts.join("; ");
    for w in &e.warnings {
        line.push_str(&format!("; warning: {w}"));
    }
    line
}

fn attacks_section(a: &Assessed) -> Section {
    let rows: Vec<Interval> = a
        .assessment
        .attacks
        .iter()
        .map(|x| {
            let scope = if x.scope == "combined" {
                " (combined)"
            } else {
                ""
            };
            let outcome = a
                .assessment
                .all_checks()
                .find(|c| c.figure == x.label && c.scope == x.scope)
                .map(|c| format!(" — {}", c.outcome().as_str()))
                .unwrap_or_default();
            Interval {
                label: format!("{}{scope}{outcome}", x.label),
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
        .map(|c| {
            let label = format!("{} · {}", c.criterion.as_str(), c.scope);
            Fact {
                label: Text::new(label.clone(), label),
                value: check_line(c),
            }
        })
        .collect();
    for x in &a.assessment.attacks {
        let label = format!("{} · {}", x.label, x.scope);
        facts.push(Fact {
            label: Text::new(label.clone(), label),
            value: evidence_line(x),
        });
    }
    if let Some(p) = &a.assessment.plan {
        facts.push(fact("序贯检验", "Sequential procedure", p.describe()));
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

/// One check as the report and the console state it: figure, interval, threshold, outcome,
/// and why it is inconclusive or exact.
pub fn check_line(c: &datavisa_verdict::Check) -> String {
    use datavisa_verdict::sequential::Outcome;
    let outcome = match c.outcome() {
        Outcome::Pass => "pass",
        Outcome::Fail => "FAIL",
        Outcome::Inconclusive => "INCONCLUSIVE (not a pass)",
    };
    let interval = match c.lower {
        Some(l) if (c.upper - l).abs() > f64::EPSILON => format!("[{}, {}]", f4(l), f4(c.upper)),
        _ => format!("exact {}", f4(c.upper)),
    };
    let mut line = format!(
        "{}: {} {interval} vs threshold {} — {outcome}",
        c.figure,
        f4(c.value),
        s_of(&c.threshold)
    );
    if !c.looks.is_empty() {
        line.push_str(&format!(
            " after {} look(s), {} attacks",
            c.looks.len(),
            c.n_attacks()
        ));
    }
    if let Some(w) = &c.why {
        line.push_str(&format!(" ({w})"));
    }
    line
}

/// Class sizes grouped into the bands people read k-anonymity in.
fn class_bands(hist: &[(u64, u64)]) -> Vec<(String, f64)> {
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
            (name.to_owned(), n as f64)
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
                format!(
                    "{} (visa {}, sha256 {})",
                    p.twin.path, p.visa, p.twin.sha256
                ),
            )
        })
        .collect();
    facts.push(fact("关联方式", "Rows linked by", s_of(&c.linked_by)));
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
    for n in &c.notes {
        sec.notes.push(Text::new(n.clone(), n.clone()));
    }
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
                value: format!(
                    "{} / {} / {} / {} / {}",
                    f4(c.information),
                    f4(c.loss),
                    f4(c.entropy_loss),
                    f4(c.suppressed_share),
                    f4_opt(c.query_error)
                ),
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
                .map(|c| (c.column.clone(), c.information))
                .collect(),
            max: Some(1.0),
        });
        return Some(sec);
    }
    let u = a.assessment.utility_figures()?;
    let rows: Vec<(String, f64)> = u
        .columns
        .iter()
        .map(|c| (c.column.clone(), c.score))
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
        "—".into()
    } else {
        x.holds
            .iter()
            .map(|h| format!("{} (sha256 {})", h.path, h.sha256))
            .collect::<Vec<_>>()
            .join("; ")
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
                s_of(&r.can_obtain_keys),
            ),
            fact("能力假设", "Capability", s_of(&r.capability)),
            fact(
                "禁止重识别条款",
                "No-re-identification clause",
                s_of(&c.no_reidentification),
            ),
            fact(
                "禁止重新关联条款",
                "No-relinking clause",
                s_of(&c.no_relinking),
            ),
            fact(
                "禁止再转移",
                "Onward-transfer ban",
                s_of(&c.onward_transfer_ban),
            ),
            fact(
                "经审计的安全措施",
                "Audited security",
                s_of(&c.audited_security),
            ),
            fact("删除日期", "Deletion date", s_of(&c.deletion_date)),
            fact("密钥状态", "Pseudonymization keys", s_of(&x.keys)),
        ],
        Vec::new(),
    )
}

fn policy_section(a: &Assessed) -> Section {
    let p = &a.assessment.policy;
    let mut facts = vec![
        fact("置信水平", "Confidence level", format!("{} ({})", s_of(&p.confidence.value), p.confidence.source)),
        fact("比较规则", "Comparison rule", "the upper end of each confidence interval must be at or below its threshold (upper_ci)"),
        fact("复评周期（月）", "Review period (months)", p.review_months.to_string()),
        fact("个人信息界限", "Personal-information bar", format!("{} ({})", s_of(&p.personal_above.value), p.personal_above.source)),
    ];
    for (c, t) in &a.assessment.thresholds {
        facts.push(Fact {
            label: Text::new(c.as_str(), c.as_str()),
            value: format!("{} — {}", s_of(&t.value), t.source),
        });
    }
    Section::new(
        Text::new("政策与阈值来源", "Policy and the source of every threshold"),
        facts,
        Vec::new(),
    )
}

fn file_line(x: &FileFacts) -> String {
    format!("{} (sha256 {}, {} rows)", x.path, x.sha256, x.rows)
}

fn reproduction_section(a: &Assessed) -> Section {
    let x = &a.assessment;
    let mut facts = vec![
        fact("复现命令", "Reproduce with", a.command.clone()),
        fact("评估编号", "Assessment id", a.id.clone()),
        fact(
            "评估内容哈希",
            "Assessment JSON sha256",
            a.body_sha256.clone(),
        ),
        fact("源数据", "Source", file_line(&x.source)),
        fact(
            "孪生数据",
            "Twin",
            format!("{} — {}", file_line(&x.twin), x.twin_kind.as_str()),
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
        facts.push(fact("对照集", "Control set", file_line(c)));
    }
    if let Some(m) = &x.manifest {
        facts.push(fact("清单", "Manifest", m.path.clone()));
    }
    Section::new(Text::new("复现信息", "Reproduction"), facts, Vec::new())
}

fn terminology_section() -> Section {
    let mut sec = Section::new(Text::new("术语", "Terminology"), Vec::new(), Vec::new());
    sec.notes = vec![
        Text::new(
            "去标识化（《个人信息保护法》第七十三条第三项）：个人信息经处理，在不借助额外信息的情况下无法识别特定自然人。去标识化信息（包括假名化信息）仍是个人信息，出境须同意、影响评估和出境机制。",
            "De-identification (PIPL Art. 73(3)): personal information processed so that, without additional information, it cannot identify a specific natural person. De-identified (including pseudonymized) information is still personal information; its export needs consent, an impact assessment and a transfer mechanism.",
        ),
        Text::new(
            "匿名化（第七十三条第四项、第四条）：个人信息经处理，无法识别特定自然人且不能复原。匿名化信息不属于个人信息。本报告的匿名化结论仅针对上述接收方、在复评日期前有效，并以所列合同条款为前提。",
            "Anonymization (PIPL Art. 73(4), Art. 4): personal information processed so that it cannot identify a specific natural person and cannot be restored. Anonymized information is not personal information. An anonymized verdict here holds only as to the recipient named, only until its review date, and only with the contract clauses listed.",
        ),
    ];
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
