//! `datavisa report pipia`: the PIPIA draft of LEGAL-RULES §5 with every fact datavisa holds
//! (ledger counts and transfers, mechanism and deadlines, twins and key custody, scan findings)
//! filled in, and every judgement left as a marked question. The `report` crate renders it.

use crate::commands::{load, tool, UsageError};
use crate::{PipiaArgs, ReadArgs};
use anyhow::Result;
use datavisa_ledger::{Facts, Ledger, Rules};
use datavisa_report::{Fact, Lang, Report, Section, Text};
use serde_json::Value;

fn fact(zh: &str, en: &str, value: impl Into<String>) -> Fact {
    Fact {
        label: Text::new(zh, en),
        value: value.into(),
    }
}

fn q(zh: &str, en: &str) -> Text {
    Text::new(zh, en)
}

fn section(zh: &str, en: &str, facts: Vec<Fact>, questions: Vec<Text>) -> Section {
    Section::new(Text::new(zh, en), facts, questions)
}

/// Twins and keys of the recipient, when the vault can be opened (master key available).
fn custody(a: &PipiaArgs) -> Vec<Fact> {
    if std::env::var_os("DATAVISA_MASTER_KEY").is_none() && a.master_key_file.is_none() {
        return vec![fact(
            "密钥保管",
            "Key custody",
            "vault not opened (no master key given): describe key custody by hand",
        )];
    }
    let vargs = crate::VaultArgs {
        store: a.store.clone(),
        master_key_file: a.master_key_file.clone(),
    };
    let Ok(v) = crate::vault::open(&vargs, &crate::vault::os_user()) else {
        return vec![fact(
            "密钥保管",
            "Key custody",
            "the vault could not be opened",
        )];
    };
    let mut out = vec![fact(
        "密钥库",
        "Vault",
        format!(
            "{} at {} (in China, owner-only)",
            v.id(),
            v.path().display()
        ),
    )];
    for k in v
        .keys()
        .unwrap_or_default()
        .iter()
        .filter(|k| k.key_ref.recipient == a.recipient)
    {
        out.push(fact(
            "接收方密钥",
            "Recipient key",
            format!(
                "domain {} v{}: {} (created {})",
                k.key_ref.domain, k.key_ref.version, k.status, k.created_at
            ),
        ));
    }
    for t in v
        .twins()
        .unwrap_or_default()
        .iter()
        .filter(|t| t.record.recipient == a.recipient)
    {
        let methods: Vec<String> = t
            .record
            .columns
            .iter()
            .filter(|c| c.method != "keep")
            .map(|c| format!("{}: {}", c.column, c.method))
            .collect();
        out.push(fact(
            "去标识化副本",
            "Pseudonymized twin",
            format!(
                "{} ({} rows, {}, sha256 {}): {}",
                t.record.id,
                t.record.rows,
                t.status,
                &t.record.output_sha256[..12.min(t.record.output_sha256.len())],
                methods.join("; ")
            ),
        ));
    }
    out
}

/// The recipient's visas from the register: each twin's verdict, status and worst figure.
fn verdicts(a: &PipiaArgs, today: i64) -> Vec<Fact> {
    let Ok(reg) = datavisa_verdict::register::Register::open(&a.store) else {
        return Vec::new();
    };
    let visas = reg.visas().unwrap_or_default();
    let mut out = Vec::new();
    for v in visas.iter().filter(|v| v.recipient == a.recipient) {
        let worst = reg
            .assessment(&v.assessment_id)
            .ok()
            .and_then(|st| {
                crate::verdict::checks_of(&st.assessment)
                    .max_by(|x, y| {
                        let r = |c: &Value| {
                            c["upper"].as_f64().unwrap_or(0.0)
                                / c["threshold"].as_f64().unwrap_or(1.0).max(1e-9)
                        };
                        r(x).total_cmp(&r(y))
                    })
                    .map(|c| {
                        format!(
                            "{} {:.4} vs threshold {}",
                            c["figure"].as_str().unwrap_or(""),
                            c["upper"].as_f64().unwrap_or(f64::NAN),
                            c["threshold"]
                        )
                    })
            })
            .unwrap_or_default();
        out.push(fact(
            "副本结论（签证）",
            "Twin verdict (visa)",
            format!(
                "{} {}: {} — {}, review {}; closest figure to its threshold: {worst}",
                v.id,
                v.twin_path,
                v.verdict.as_str(),
                v.status(today).as_str(),
                v.review_on
            ),
        ));
    }
    out
}

/// Builds the PIPIA draft for an exporter and a recipient.
pub fn pipia(a: &PipiaArgs, quiet: bool) -> Result<Report> {
    let l = Ledger::open(&a.store).map_err(|e| UsageError(e.to_string()))?;
    let e = l
        .exporter(&a.exporter)
        .map_err(|e| UsageError(e.to_string()))?;
    let r = l
        .recipient(&a.recipient)
        .map_err(|e| UsageError(e.to_string()))?;
    let today_days = datavisa_table::date::today();
    let today = datavisa_table::date::format_date(today_days);
    let year = a
        .year
        .unwrap_or_else(|| datavisa_table::date::civil_from_days(today_days).0);
    let counts = l
        .counts(e.id, year)
        .map_err(|e| UsageError(e.to_string()))?;
    let transfers = l
        .transfers(&e.name, Some(&r.name), year)
        .map_err(|e| UsageError(e.to_string()))?;
    let decision = Rules::builtin().decide(
        &Facts {
            ciio: e.ciio,
            ftz: e.ftz.clone(),
            ..Default::default()
        },
        counts,
    );
    let filings = l
        .filings(Some(&e.name))
        .map_err(|e| UsageError(e.to_string()))?;
    let due = l.due(&today).map_err(|e| UsageError(e.to_string()))?;
    let list = |v: Vec<String>| {
        if v.is_empty() {
            "—".to_owned()
        } else {
            v.join("; ")
        }
    };

    let mut scope = vec![
        fact(
            "个人信息处理者（境内）",
            "Exporter (in China)",
            format!(
                "{}{}{}",
                e.name,
                if e.ciio {
                    "，关键信息基础设施运营者 / CIIO"
                } else {
                    ""
                },
                e.group
                    .as_ref()
                    .map_or(String::new(), |g| format!(" (group: {g})"))
            ),
        ),
        fact(
            "境外接收方",
            "Overseas recipient",
            format!("{} ({})", r.name, r.jurisdiction),
        ),
        fact("评估日期", "Assessment date", today.clone()),
        fact(
            "本年度向该接收方的出境传输",
            "Transfers to this recipient this year",
            transfers.len().to_string(),
        ),
    ];
    for t in &transfers {
        scope.push(fact(
            "传输",
            "Transfer",
            format!(
                "{} {} ({} people, {} with sensitive PI, sha256 {})",
                t.date,
                t.file,
                t.persons,
                t.sensitive_persons,
                &t.file_sha256[..12.min(t.file_sha256.len())]
            ),
        ));
    }
    let purposes = list(transfers.iter().filter_map(|t| t.purpose.clone()).collect());
    let bases = list(
        transfers
            .iter()
            .filter_map(|t| t.legal_basis.clone())
            .collect(),
    );
    let mut scale = vec![
        fact(
            &format!("{year}年累计出境人数（一般个人信息）"),
            &format!("People sent abroad in {year} (ordinary PI)"),
            counts.ordinary.to_string(),
        ),
        fact(
            &format!("{year}年累计出境人数（敏感个人信息）"),
            &format!("People sent abroad in {year} (sensitive PI)"),
            counts.sensitive.to_string(),
        ),
        fact(
            "敏感个人信息字段",
            "Sensitive columns sent",
            list(
                transfers
                    .iter()
                    .flat_map(|t| t.sensitive_columns.clone())
                    .collect(),
            ),
        ),
    ];
    if let Some(f) = &a.file {
        let (t, _) = load(f, &ReadArgs::default(), quiet)?;
        let s = datavisa_discover::scan(&t, &f.display().to_string(), &Default::default());
        let cats: Vec<String> = s
            .sensitive_categories
            .iter()
            .map(|c| format!("{:?}: {}", c.category, c.columns.join(", ")))
            .collect();
        scale.push(fact(
            "扫描发现的敏感类别（PIPL第28条）",
            "Sensitive categories found by scan (PIPL Art. 28)",
            list(cats),
        ));
        scale.push(fact(
            "不满十四周岁未成年人",
            "Minors under 14",
            s.minors_under_14.to_string(),
        ));
    }
    let mut mechanism = vec![
        fact(
            "适用的出境机制",
            "Mechanism",
            format!(
                "{}{}",
                decision.mechanism,
                if decision.alternatives.is_empty() {
                    String::new()
                } else {
                    format!(" / {}", decision.alternatives.join(", "))
                }
            ),
        ),
        fact("适用规则", "Rules applied", decision.rules.join(", ")),
    ];
    for ap in &decision.applied {
        mechanism.push(fact(
            "依据",
            "Basis",
            format!("{}: {} [{}]", ap.id, ap.summary, ap.source),
        ));
    }
    for f in &filings {
        mechanism.push(fact(
            "备案/认证",
            "Filing or certificate",
            format!(
                "#{} {} {}",
                f.id,
                f.kind,
                [
                    f.effective.as_deref(),
                    f.issued.as_deref(),
                    f.expires.as_deref()
                ]
                .iter()
                .flatten()
                .cloned()
                .collect::<Vec<_>>()
                .join(" → ")
            ),
        ));
    }
    for d in due.iter().filter(|d| d.exporter == e.name) {
        mechanism.push(fact(
            "期限",
            "Deadline",
            format!("{} {} ({}, {})", d.date, d.what, d.status, d.rule),
        ));
    }
    let keep_until =
        datavisa_table::date::format_date(datavisa_ledger::filings::add_years(today_days, 3));

    let sections = vec![
        section("封面与范围", "Cover and scope", scope, vec![
            q("评估人（内部或第三方）是谁？下次复评日期？", "Who is the assessor (internal or third party)? When is the next review?"),
            q("描述传输场景、系统与数据流。", "Describe the transfer scenario, the systems and the data flows."),
        ]),
        section("目的、范围和方式的合法性、正当性、必要性", "Lawfulness, legitimacy and necessity", vec![
            fact("记录的目的", "Purposes recorded", purposes),
            fact("记录的法律依据", "Legal bases recorded", bases),
        ], vec![
            q("处理者和境外接收方的处理目的、范围、方式是否合法、正当、必要？", "Are the purpose, scope and method lawful, legitimate and necessary, for the exporter and for the recipient?"),
            q("是否已按第三十九条告知并取得单独同意？附证据。", "Were individuals told (Art. 39) and did they give separate consent? Attach the evidence."),
        ]),
        section("出境个人信息的规模、范围、种类、敏感程度及风险", "Scale, scope, type and sensitivity; risks", scale, vec![
            q("对国家安全、公共利益、个人信息权益的风险？", "Risks to national security, the public interest and individuals' rights?"),
        ]),
        section("境外接收方的承诺与能力", "Recipient's commitments and capability", vec![
            fact("针对该接收方的匿名化评估", "Recipient-relative anonymization assessment", "none on record in this ledger"),
        ], vec![
            q("接收方承担哪些义务？其管理和技术措施能否保障数据安全？合同是否含不得重新识别条款？", "What obligations does the recipient accept, can its measures secure the data, and does the contract forbid re-identification?"),
        ]),
        section("出境后的风险", "Post-transfer risks", vec![], vec![
            q("篡改、破坏、泄露、丢失、非法利用的风险；个人行使权利的渠道是否通畅？", "Risks of tampering, destruction, leakage, loss, unlawful use; are channels for individuals' rights adequate?"),
        ]),
        section("接收方所在国家或地区的法律环境", "Destination-country law", vec![fact("司法辖区", "Jurisdiction", r.jurisdiction.clone())], vec![
            q("该法域的个人信息保护政策法规（含政府调取）对安全和个人权益的影响？", "How do the destination's PI laws, including government access, affect security and individuals' rights?"),
        ]),
        section("其他可能影响出境安全的事项", "Other matters", vec![], vec![
            q("再转移、保存期限、历史安全事件？", "Onward transfers, retention period, incident history?"),
        ]),
        section("对个人权益的影响及安全风险等级", "Impact on individuals and risk rating", vec![], vec![
            q("影响与风险等级（高/中/低）及理由。", "Impact and risk rating (high / medium / low), with reasons."),
        ]),
        section("保护措施及其与风险的相称性", "Protective measures and proportionality", [custody(a), verdicts(a, today_days)].concat(), vec![
            q("措施是否合法、有效并与风险程度相适应？", "Are the measures lawful, effective and proportionate to the risk?"),
        ]),
        section("出境机制的确定", "Mechanism determination", mechanism, vec![]),
        section("结论与签署", "Conclusion and sign-off", vec![], vec![
            q("结论、接受的剩余风险、签署人。", "Conclusion, residual risks accepted, signatures."),
        ]),
        section("记录保存", "Record-keeping", vec![
            fact("保存期限（PIPL第五十六条：至少三年）", "Keep until (PIPL Art. 56: at least 3 years)", keep_until),
            fact("台账传输编号", "Ledger transfer ids", list(transfers.iter().map(|t| t.id.clone()).collect())),
        ], vec![
            q("目的、范围、接收方、存储地点或数量级别变化时需重新评估。", "Re-assess when purpose, scope, recipient, storage location or volume band change."),
        ]),
    ];
    let v: Value = tool();
    Ok(Report {
        title: Text::new(
            "个人信息出境保护影响评估报告（草稿）",
            "Personal information protection impact assessment for an outbound transfer (draft)",
        ),
        subtitle: Text::new(
            format!(
                "{} → {}，依据《个人信息保护法》第五十五、五十六条；黄色标记处需评估人判断。",
                e.name, r.name
            ),
            format!(
                "{} → {}, under PIPL Arts. 55-56; highlighted items need the assessor's judgement.",
                e.name, r.name
            ),
        ),
        generated_at: datavisa_ledger::store::now(),
        tool_version: v["version"].as_str().unwrap_or_default().to_owned(),
        headline: None,
        sections,
    })
}

/// `datavisa report pipia`.
pub fn pipia_cmd(a: &PipiaArgs, quiet: bool) -> Result<()> {
    let r = pipia(a, quiet)?;
    let lang = match a.lang.as_str() {
        "zh" => Lang::Zh,
        "en" => Lang::En,
        o => return Err(UsageError(format!("--lang {o:?}: zh or en")).into()),
    };
    let ext = a
        .output
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("html")
        .to_ascii_lowercase();
    let text = match ext.as_str() {
        "md" | "markdown" => datavisa_report::markdown(&r, lang),
        "json" => serde_json::to_string_pretty(&r)?,
        _ => datavisa_report::html(&r, lang),
    };
    datavisa_table::write_atomic(&a.output, |w| {
        std::io::Write::write_all(w, text.as_bytes())
            .map_err(|e| datavisa_table::TableError::io(&a.output, e))
    })?;
    println!("PIPIA draft written to {}", a.output.display());
    Ok(())
}
