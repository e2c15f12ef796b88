//! The PIPIA draft of LEGAL-RULES §5: every fact datavisa holds (ledger counts and transfers,
//! mechanism and deadlines, twins and key custody, the recipient's visas, scan findings) gathered
//! as typed [`PipiaFacts`], then laid out as a bilingual [`Report`] whose judgements are marked
//! questions. The `report` crate renders it.

use crate::error::{Error, Result};
use crate::evidence::tool;
use crate::read::ReadRequest;
use crate::sensitivity::SensitivityFrom;
use crate::workspace::Workspace;
use datavisa_discover::scan::CategoryColumns;
use datavisa_ledger::filings::{Due, Filing};
use datavisa_ledger::plan::strictness;
use datavisa_ledger::record::TransferRow;
use datavisa_ledger::words::{code_msg, mechanism_msg, rule_msg};
use datavisa_ledger::{Counts, Decision, Exporter, Facts, Ledger, Recipient};
use datavisa_report::{Fact, Lang, Msg, Report, Section, Text};
use datavisa_verdict::register::Register;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// What a PIPIA draft is about and where it goes.
#[derive(Clone, Debug)]
pub struct PipiaRequest {
    /// The exporter's name in the ledger.
    pub exporter: String,
    /// The recipient's name in the ledger.
    pub recipient: String,
    /// Calendar year of the counts; this year by default.
    pub year: Option<i64>,
    /// A file of the transfer to scan for sensitive categories and minors.
    pub file: Option<PathBuf>,
    /// How to read that file.
    pub read: ReadRequest,
    /// Language of the draft.
    pub lang: Lang,
    /// Output: .html (default), .md or .json.
    pub output: PathBuf,
}

/// What the scan of the transfer's file found (a twin's from its manifest, never from its
/// tokens: see [`Workspace::sensitivity`]).
#[derive(Clone, Debug, Serialize)]
pub struct ScanFindings {
    /// Sensitive categories (PIPL Art. 28), each as "category: columns".
    pub sensitive_categories: Vec<String>,
    /// The same categories, typed, each with its columns.
    pub categories: Vec<CategoryColumns>,
    /// Records of children under 14.
    pub minors_under_14: u64,
    /// Whether they came from a scan of the file or a twin's manifest.
    pub from: SensitivityFrom,
}

/// A key of the recipient's in the vault.
#[derive(Clone, Debug, Serialize)]
pub struct KeyFact {
    /// Pseudonym domain.
    pub domain: String,
    /// Key version.
    pub version: u32,
    /// `active`, `retired` or `destroyed`.
    pub status: String,
    /// When it was made.
    pub created_at: String,
}

/// A pseudonymized twin made for the recipient.
#[derive(Clone, Debug, Serialize)]
pub struct TwinFact {
    /// The twin's id.
    pub id: String,
    /// Rows written.
    pub rows: u64,
    /// Its keys' state.
    pub status: String,
    /// SHA-256 of the twin file.
    pub sha256: String,
    /// "column: method" for every protected column.
    pub methods: Vec<String>,
}

/// Key custody as the vault shows it, when it could be opened.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Custody {
    /// No master key was given: the assessor describes custody by hand.
    NoMasterKey,
    /// A master key was given but the vault did not open.
    Unopened,
    /// The vault's keys and twins for the recipient.
    Vault {
        /// The vault's id.
        id: String,
        /// Where its file is.
        path: String,
        /// The recipient's keys.
        keys: Vec<KeyFact>,
        /// The recipient's pseudonymized twins.
        twins: Vec<TwinFact>,
    },
}

/// The figure of an assessment closest to its threshold.
#[derive(Clone, Debug, Serialize)]
pub struct ClosestFigure {
    /// What was measured.
    pub figure: String,
    /// The upper end compared.
    pub upper: f64,
    /// Its threshold.
    pub threshold: f64,
}

/// A visa issued to the recipient, with what its assessment found.
#[derive(Clone, Debug, Serialize)]
pub struct VisaFact {
    /// The visa's id.
    pub id: String,
    /// The twin it covers.
    pub twin_path: String,
    /// The verdict it rests on.
    pub verdict: String,
    /// Its status today.
    pub status: String,
    /// Its review date.
    pub review_on: String,
    /// The figure nearest its threshold, when the assessment could be read.
    pub closest: Option<ClosestFigure>,
}

/// Every fact of a PIPIA draft.
#[derive(Clone, Debug, Serialize)]
pub struct PipiaFacts {
    /// The exporter.
    pub exporter: Exporter,
    /// The recipient.
    pub recipient: Recipient,
    /// The assessment date.
    pub today: String,
    /// The year counted.
    pub year: i64,
    /// Transfers to the recipient in the year.
    pub transfers: Vec<TransferRow>,
    /// People sent abroad by the exporter in the year.
    pub counts: Counts,
    /// The mechanism those counts need.
    pub decision: Decision,
    /// The exporter's filings and certificates.
    pub filings: Vec<Filing>,
    /// The exporter's deadlines.
    pub due: Vec<Due>,
    /// What the scan of the transfer's file found.
    pub scan: Option<ScanFindings>,
    /// Key custody.
    pub custody: Custody,
    /// The recipient's visas (its recipient-relative anonymization assessments).
    pub visas: Vec<VisaFact>,
    /// Records kept until (PIPL Art. 56: at least three years).
    pub keep_until: String,
}

/// Where a written PIPIA draft went.
#[derive(Clone, Debug, Serialize)]
pub struct PipiaWritten {
    /// The file written.
    pub output: String,
}

impl Workspace {
    /// Gathers the facts of a PIPIA draft from the ledger, the vault, the register and a scan.
    pub fn pipia_facts(&self, req: &PipiaRequest) -> Result<PipiaFacts> {
        let l = Ledger::open(self.store())?;
        let exporter = l.exporter(&req.exporter)?;
        let recipient = l.recipient(&req.recipient)?;
        let today_days = self.today();
        let today = datavisa_table::date::format_date(today_days);
        let year = req
            .year
            .unwrap_or_else(|| datavisa_table::date::civil_from_days(today_days).0);
        let counts = l.counts(exporter.id, year)?;
        let transfers = l.transfers(&exporter.name, Some(&recipient.name), year)?;
        let decision = crate::legal::rules(self)?.decide(
            &Facts {
                ciio: exporter.ciio,
                ftz: exporter.ftz.clone(),
                ..Default::default()
            },
            counts,
        );
        let filings = l.filings(Some(&exporter.name))?;
        let due = l
            .due(&today)?
            .into_iter()
            .filter(|d| d.exporter == exporter.name)
            .collect();
        let scan = req
            .file
            .as_ref()
            .map(|f| self.scan_findings(f, &req.read))
            .transpose()?;
        let keep_until =
            datavisa_table::date::format_date(datavisa_ledger::filings::add_years(today_days, 3));
        Ok(PipiaFacts {
            custody: self.custody(&recipient.name),
            visas: self.visa_facts(&recipient.name, today_days)?,
            exporter,
            recipient,
            today,
            year,
            transfers,
            counts,
            decision,
            filings,
            due,
            scan,
            keep_until,
        })
    }

    /// Writes the PIPIA draft as HTML, Markdown or JSON (by the output's extension).
    pub fn pipia(&self, req: &PipiaRequest) -> Result<PipiaWritten> {
        let inputs: Vec<&Path> = req.file.as_deref().into_iter().collect();
        self.guard(&req.output, &inputs)?;
        let facts = self.pipia_facts(req)?;
        let r = pipia_report(&facts);
        let ext = req
            .output
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("html")
            .to_ascii_lowercase();
        let text = match ext.as_str() {
            "md" | "markdown" => datavisa_report::markdown(&r, req.lang),
            "json" => serde_json::to_string_pretty(&r)?,
            "html" | "htm" => datavisa_report::html(&r, req.lang),
            other => {
                return Err(Error::bad_input(format!(
                    "-o {}: write .html, .md or .json, not .{other}",
                    req.output.display()
                )))
            }
        };
        crate::evidence::write_text(&req.output, &text)?;
        Ok(PipiaWritten {
            output: req.output.display().to_string(),
        })
    }

    fn scan_findings(&self, file: &std::path::Path, read: &ReadRequest) -> Result<ScanFindings> {
        let s = self.sensitivity(file, read)?;
        let categories = s.categories();
        Ok(ScanFindings {
            sensitive_categories: categories
                .iter()
                .map(|c| format!("{}: {}", c.category.as_str(), c.columns.join(", ")))
                .collect(),
            categories,
            minors_under_14: s.minors_under_14,
            from: s.from,
        })
    }

    /// The recipient's keys and twins, when the vault opens with the workspace's master key.
    fn custody(&self, recipient: &str) -> Custody {
        if !self.secrets().has_master_key() {
            return Custody::NoMasterKey;
        }
        let Ok(v) = self.open_vault_as(self.actor()) else {
            return Custody::Unopened;
        };
        let keys = v
            .keys()
            .unwrap_or_default()
            .into_iter()
            .filter(|k| k.key_ref.recipient == recipient)
            .map(|k| KeyFact {
                domain: k.key_ref.domain,
                version: k.key_ref.version,
                status: k.status,
                created_at: k.created_at,
            })
            .collect();
        let twins = v
            .twins()
            .unwrap_or_default()
            .into_iter()
            .filter(|t| t.record.recipient == recipient)
            .map(|t| TwinFact {
                methods: t
                    .record
                    .columns
                    .iter()
                    .filter(|c| c.method != "keep")
                    .map(|c| format!("{}: {}", c.column, c.method))
                    .collect(),
                id: t.record.id,
                rows: t.record.rows,
                status: t.status.to_string(),
                sha256: t.record.output_sha256,
            })
            .collect();
        Custody::Vault {
            id: v.id().to_owned(),
            path: v.path().display().to_string(),
            keys,
            twins,
        }
    }

    /// The recipient's visas, each with the figure of its assessment nearest the threshold.
    fn visa_facts(&self, recipient: &str, today: i64) -> Result<Vec<VisaFact>> {
        if !Register::exists_in(self.store()) {
            return Ok(Vec::new());
        }
        let reg = Register::open(self.store())?;
        let mut out = Vec::new();
        for v in reg
            .visas()?
            .into_iter()
            .filter(|v| v.recipient == recipient)
        {
            let closest = reg
                .assessment(&v.assessment_id)
                .and_then(|st| st.typed())
                .ok()
                .and_then(|a| closest_figure(&a));
            out.push(VisaFact {
                status: v.status(today).as_str().to_owned(),
                verdict: v.verdict.as_str().to_owned(),
                id: v.id,
                twin_path: v.twin_path,
                review_on: v.review_on,
                closest,
            });
        }
        Ok(out)
    }
}

/// The check whose upper end is nearest (or furthest over) its threshold.
fn closest_figure(a: &datavisa_verdict::Assessment) -> Option<ClosestFigure> {
    let ratio = |c: &datavisa_verdict::Check| c.upper / c.threshold.max(1e-9);
    a.all_checks()
        .max_by(|x, y| ratio(x).total_cmp(&ratio(y)))
        .map(|c| ClosestFigure {
            figure: c.figure.clone(),
            upper: c.upper,
            threshold: c.threshold,
        })
}

fn fact(zh: &str, en: &str, value: impl Into<Text>) -> Fact {
    Fact::new(zh, en, value)
}

fn q(zh: &str, en: &str) -> Text {
    Text::new(zh, en)
}

fn section(zh: &str, en: &str, facts: Vec<Fact>, questions: Vec<Text>) -> Section {
    Section::new(Text::new(zh, en), facts, questions)
}

fn list(v: Vec<String>) -> String {
    if v.is_empty() {
        "—".to_owned()
    } else {
        v.join("; ")
    }
}

/// Each value once, in the order first seen (a purpose recorded with every transfer is one
/// purpose).
fn distinct(values: impl Iterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for v in values {
        if !out.contains(&v) {
            out.push(v);
        }
    }
    out
}

fn short(sha: &str) -> &str {
    &sha[..12.min(sha.len())]
}

fn custody_facts(c: &Custody) -> Vec<Fact> {
    let (id, path, keys, twins) = match c {
        Custody::NoMasterKey => {
            return vec![fact(
                "密钥保管",
                "Key custody",
                Msg::new("pipia.custody_no_master_key"),
            )]
        }
        Custody::Unopened => {
            return vec![fact(
                "密钥保管",
                "Key custody",
                Msg::new("pipia.custody_unopened"),
            )]
        }
        Custody::Vault {
            id,
            path,
            keys,
            twins,
        } => (id, path, keys, twins),
    };
    let mut out = vec![fact(
        "密钥库",
        "Vault",
        Msg::new("pipia.vault").arg("id", id).arg("path", path),
    )];
    for k in keys {
        out.push(fact(
            "接收方密钥",
            "Recipient key",
            Msg::new("pipia.key")
                .arg("domain", &k.domain)
                .arg("version", k.version.to_string())
                .arg("status", code_msg("key_status", &k.status))
                .arg("created", &k.created_at),
        ));
    }
    for t in twins {
        out.push(fact(
            "去标识化副本",
            "Pseudonymized twin",
            Msg::new("pipia.twin")
                .arg("id", &t.id)
                .arg("rows", t.rows.to_string())
                .arg("status", code_msg("key_status", &t.status))
                .arg("sha256", short(&t.sha256))
                .arg("methods", t.methods.join("; ")),
        ));
    }
    out
}

/// One visa as every section that mentions it states it: the same message everywhere.
fn visa_msg(v: &VisaFact) -> Msg {
    let closest = match &v.closest {
        Some(c) => Msg::new("pipia.closest")
            .arg("figure", datavisa_verdict::figures::figure_msg(&c.figure))
            .arg("upper", format!("{:.4}", c.upper))
            .arg(
                "threshold",
                serde_json::Value::from(c.threshold).to_string(),
            )
            .into(),
        None => datavisa_i18n::Arg::Text(String::new()),
    };
    Msg::new("pipia.visa")
        .arg("id", &v.id)
        .arg("twin", &v.twin_path)
        .arg("verdict", code_msg("verdict", &v.verdict))
        .arg("status", code_msg("status", &v.status))
        .arg("review", &v.review_on)
        .arg("closest", closest)
}

fn visa_facts(visas: &[VisaFact]) -> Vec<Fact> {
    visas
        .iter()
        .map(|v| fact("副本结论（签证）", "Twin verdict (visa)", visa_msg(v)))
        .collect()
}

/// The recipient-relative anonymization assessments, for the recipient's section: each visa
/// in the words of §9, or that there is none.
fn assessed_for_recipient(visas: &[VisaFact]) -> Vec<Fact> {
    let label = (
        "针对该接收方的匿名化评估",
        "Recipient-relative anonymization assessment",
    );
    if visas.is_empty() {
        return vec![fact(label.0, label.1, Msg::new("pipia.no_visa"))];
    }
    visas
        .iter()
        .map(|v| fact(label.0, label.1, visa_msg(v)))
        .collect()
}

/// What the recorded mechanism of one transfer is against the one the ledger's counts need.
fn transfer_mechanism(t: &TransferRow, required: &str) -> Msg {
    if t.visa.is_some() && !t.counted {
        return Msg::new("mechanism.not_personal");
    }
    let recorded = t.mechanism.as_deref();
    let base = Msg::new("pipia.mechanism_against")
        .arg(
            "recorded",
            recorded.map_or_else(|| Msg::new("mechanism.unrecorded"), mechanism_msg),
        )
        .arg("required", mechanism_msg(required));
    match recorded {
        Some(r) if strictness(r) >= strictness(required) => base.arg("warning", ""),
        _ if required == "exempt" => base.arg("warning", ""),
        _ => base.arg(
            "warning",
            Msg::new("pipia.mechanism_short").arg("required", mechanism_msg(required)),
        ),
    }
}

fn scope_facts(f: &PipiaFacts) -> Vec<Fact> {
    let e = &f.exporter;
    let exporter = {
        let ciio = if e.ciio {
            Msg::new("pipia.ciio").into()
        } else {
            datavisa_i18n::Arg::Text(String::new())
        };
        let group = match &e.group {
            Some(g) => Msg::new("pipia.group").arg("group", g).into(),
            None => datavisa_i18n::Arg::Text(String::new()),
        };
        Msg::new("pipia.exporter")
            .arg("name", &e.name)
            .arg("ciio", ciio)
            .arg("group", group)
    };
    let mut scope = vec![
        fact("个人信息处理者（境内）", "Exporter (in China)", exporter),
        fact(
            "境外接收方",
            "Overseas recipient",
            recipient_msg(&f.recipient),
        ),
        fact("评估日期", "Assessment date", f.today.clone()),
        fact(
            "本年度向该接收方的出境传输",
            "Transfers to this recipient this year",
            f.transfers.len().to_string(),
        ),
    ];
    for t in &f.transfers {
        scope.push(fact(
            "传输",
            "Transfer",
            transfer_msg(t, &f.decision.mechanism),
        ));
    }
    scope
}

/// The recipient as the ledger records it: its legal name and jurisdiction, with the id the
/// spec and the register know it by.
fn recipient_msg(r: &Recipient) -> Msg {
    match &r.legal_name {
        Some(legal) => Msg::new("pipia.recipient")
            .arg("legal", legal)
            .arg("jurisdiction", &r.jurisdiction)
            .arg("id", &r.name),
        None => Msg::new("pipia.recipient_unnamed")
            .arg("jurisdiction", &r.jurisdiction)
            .arg("id", &r.name),
    }
}

/// One transfer as every section states it.
fn transfer_msg(t: &TransferRow, required: &str) -> Msg {
    Msg::new("pipia.transfer")
        .arg("id", &t.id)
        .arg("date", &t.date)
        .arg("file", &t.file)
        .arg("persons", t.persons.to_string())
        .arg("sensitive", t.sensitive_persons.to_string())
        .arg("sha256", short(&t.file_sha256))
        .arg("mechanism", transfer_mechanism(t, required))
}

fn scale_facts(f: &PipiaFacts) -> Vec<Fact> {
    let year = f.year;
    let mut scale = vec![
        fact(
            &format!("{year}年累计出境人数（一般个人信息）"),
            &format!("People sent abroad in {year} (ordinary PI)"),
            f.counts.ordinary.to_string(),
        ),
        fact(
            &format!("{year}年累计出境人数（敏感个人信息）"),
            &format!("People sent abroad in {year} (sensitive PI)"),
            f.counts.sensitive.to_string(),
        ),
        fact(
            "敏感个人信息字段",
            "Sensitive columns sent",
            list(
                f.transfers
                    .iter()
                    .flat_map(|t| t.sensitive_columns.clone())
                    .collect(),
            ),
        ),
    ];
    if let Some(s) = &f.scan {
        scale.push(fact(
            "敏感类别（PIPL第28条）",
            "Sensitive categories (PIPL Art. 28)",
            joined_msgs(&s.categories.iter().map(category_msg).collect::<Vec<_>>()),
        ));
        scale.push(fact(
            "不满十四周岁未成年人",
            "Minors under 14",
            s.minors_under_14.to_string(),
        ));
    }
    scale
}

/// A sensitive category with its columns, the category translated.
fn category_msg(c: &datavisa_discover::scan::CategoryColumns) -> Msg {
    Msg::new("pipia.category")
        .arg("category", code_msg("category", c.category.as_str()))
        .arg("columns", c.columns.clone())
}

/// Messages joined with each language's separator, or "none".
fn joined_msgs(parts: &[Msg]) -> Text {
    if parts.is_empty() {
        return Msg::new("value.none").text();
    }
    datavisa_i18n::sentences(parts)
}

fn mechanism_facts(f: &PipiaFacts) -> Vec<Fact> {
    let d = &f.decision;
    let alternatives: Vec<Msg> = d.alternatives.iter().map(|a| mechanism_msg(a)).collect();
    let mut mechanism = vec![
        fact(
            "适用的出境机制",
            "Mechanism",
            if alternatives.is_empty() {
                mechanism_msg(&d.mechanism)
            } else {
                Msg::new("pipia.mechanism_or")
                    .arg("mechanism", mechanism_msg(&d.mechanism))
                    .arg("alternatives", alternatives)
            },
        ),
        fact("适用规则", "Rules applied", d.rules.join(", ")),
    ];
    for ap in &d.applied {
        mechanism.push(fact(
            "依据",
            "Basis",
            Msg::new("pipia.basis")
                .arg("id", &ap.id)
                .arg("summary", rule_msg(&ap.id, &ap.summary))
                .arg("source", &ap.source),
        ));
    }
    for t in &f.transfers {
        mechanism.push(fact(
            &format!("传输 {} 的出境机制", t.id),
            &format!("Mechanism of transfer {}", t.id),
            transfer_mechanism(t, &d.mechanism),
        ));
    }
    for fl in &f.filings {
        let dates: Vec<&str> = [&fl.effective, &fl.issued, &fl.expires]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect();
        mechanism.push(fact(
            "备案/认证",
            "Filing or certificate",
            Msg::new("pipia.filing")
                .arg("id", fl.id.to_string())
                .arg("kind", code_msg("filing", &fl.kind))
                .arg("dates", dates.join(" → ")),
        ));
    }
    for d in &f.due {
        let what = datavisa_i18n::recognised("due.", &d.what);
        mechanism.push(fact(
            "期限",
            "Deadline",
            Msg::new("pipia.deadline")
                .arg("date", &d.date)
                .arg("what", what)
                .arg("status", code_msg("due_status", &d.status))
                .arg("rule", &d.rule),
        ));
    }
    mechanism
}

/// The legal terms the draft uses, each with its statutory source, in both languages.
pub fn terms() -> Vec<Fact> {
    [
        "term.personal_information",
        "term.sensitive_personal_information",
        "term.de_identified",
        "term.anonymized",
        "term.pipia",
        "term.standard_contract",
        "term.certification",
        "term.security_assessment",
    ]
    .iter()
    .map(|id| {
        let m = Msg::new(id);
        Fact {
            label: m.text(),
            value: m.source_text().unwrap_or_else(|| Text::same("—")),
            code: false,
        }
    })
    .collect()
}

/// Lays the facts out as the sections of the draft; computes nothing.
pub fn pipia_report(f: &PipiaFacts) -> Report {
    let purposes = list(distinct(
        f.transfers.iter().filter_map(|t| t.purpose.clone()),
    ));
    let bases = list(distinct(
        f.transfers.iter().filter_map(|t| t.legal_basis.clone()),
    ));
    let sections = vec![
        section("封面与范围", "Cover and scope", scope_facts(f), vec![
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
        section("出境个人信息的规模、范围、种类、敏感程度及风险", "Scale, scope, type and sensitivity; risks", scale_facts(f), vec![
            q("对国家安全、公共利益、个人信息权益的风险？", "Risks to national security, the public interest and individuals' rights?"),
        ]),
        section("境外接收方的承诺与能力", "Recipient's commitments and capability", assessed_for_recipient(&f.visas), vec![
            q("接收方承担哪些义务？其管理和技术措施能否保障数据安全？合同是否含不得重新识别条款？", "What obligations does the recipient accept, can its measures secure the data, and does the contract forbid re-identification?"),
        ]),
        section("出境后的风险", "Post-transfer risks", vec![], vec![
            q("篡改、破坏、泄露、丢失、非法利用的风险；个人行使权利的渠道是否通畅？", "Risks of tampering, destruction, leakage, loss, unlawful use; are channels for individuals' rights adequate?"),
        ]),
        section("接收方所在国家或地区的法律环境", "Destination-country law", vec![fact("司法辖区", "Jurisdiction", f.recipient.jurisdiction.clone())], vec![
            q("该法域的个人信息保护政策法规（含政府调取）对安全和个人权益的影响？", "How do the destination's PI laws, including government access, affect security and individuals' rights?"),
        ]),
        section("其他可能影响出境安全的事项", "Other matters", vec![], vec![
            q("再转移、保存期限、历史安全事件？", "Onward transfers, retention period, incident history?"),
        ]),
        section("对个人权益的影响及安全风险等级", "Impact on individuals and risk rating", vec![], vec![
            q("影响与风险等级（高/中/低）及理由。", "Impact and risk rating (high / medium / low), with reasons."),
        ]),
        section("保护措施及其与风险的相称性", "Protective measures and proportionality", [custody_facts(&f.custody), visa_facts(&f.visas)].concat(), vec![
            q("措施是否合法、有效并与风险程度相适应？", "Are the measures lawful, effective and proportionate to the risk?"),
        ]),
        section("出境机制的确定", "Mechanism determination", mechanism_facts(f), vec![]),
        section("结论与签署", "Conclusion and sign-off", vec![], vec![
            q("结论、接受的剩余风险、签署人。", "Conclusion, residual risks accepted, signatures."),
        ]),
        section("记录保存", "Record-keeping", vec![
            fact("保存期限（PIPL第五十六条：至少三年）", "Keep until (PIPL Art. 56: at least 3 years)", f.keep_until.clone()),
            fact("台账传输编号", "Ledger transfer ids", list(f.transfers.iter().map(|t| t.id.clone()).collect())),
        ], vec![
            q("目的、范围、接收方、存储地点或数量级别变化时需重新评估。", "Re-assess when purpose, scope, recipient, storage location or volume band change."),
        ]),
        section("术语", "Terminology", terms(), vec![]),
    ];
    let (e, r) = (&f.exporter.name, &f.recipient.name);
    Report {
        title: Text::new(
            "个人信息出境保护影响评估报告（草稿）",
            "Personal information protection impact assessment for an outbound transfer (draft)",
        ),
        subtitle: Text::new(
            format!("{e} → {r}，依据《个人信息保护法》第五十五、五十六条；黄色标记处需评估人判断。"),
            format!("{e} → {r}, under PIPL Arts. 55-56; highlighted items need the assessor's judgement."),
        ),
        generated_at: datavisa_ledger::store::now(),
        tool_version: tool().version,
        headline: None,
        sections,
    }
}
