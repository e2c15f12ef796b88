//! The visa as a contract annex: one bilingual page with the twin's hash, the recipient, the
//! verdict and its margin, the review date and the visa's conditions written as contract
//! clauses (their texts and sources live in the catalogue), ready to attach to the
//! data-transfer agreement.

use crate::error::{Error, Result};
use crate::evidence::write_text;
use crate::workspace::Workspace;
use datavisa_report::{Fact, Msg, Report, Section, Text, Tone};
use datavisa_verdict::register::{Register, Visa};
use datavisa_verdict::{Assessment, Verdict};
use std::path::Path;

impl Workspace {
    /// Writes the certificate of visa `id` as one bilingual page (.html) or its structure (.json).
    pub fn visa_certificate(&self, id: &str, output: &Path) -> Result<()> {
        self.guard(output, &[])?;
        if !Register::exists_in(self.store()) {
            return Err(Error::bad_input(format!(
                "{}: no register here (no visa was ever issued in this store); check --store",
                self.store().display()
            )));
        }
        let reg = Register::open(self.store())?;
        let visa = reg.visa(id)?;
        let a = reg.assessment(&visa.assessment_id)?.typed()?;
        let status = visa.status(self.today());
        let r = certificate(&visa, &a, status);
        let ext = output
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("html")
            .to_ascii_lowercase();
        let text = match ext.as_str() {
            "html" | "htm" => datavisa_report::bilingual_html(&r),
            "json" => serde_json::to_string_pretty(&r)?,
            other => {
                return Err(Error::bad_input(format!(
                    "-o {}: write .html or .json, not .{other}",
                    output.display()
                )))
            }
        };
        write_text(output, &text)
    }
}

/// A condition's short name: datavisa's codes translated, anything else as written.
pub fn condition_msg(condition: &str) -> Msg {
    if let Some(date) = condition.strip_prefix("deletion_by ") {
        return Msg::new("control.deletion_by").arg("date", date);
    }
    Msg::code("control", condition)
}

/// One condition of a visa as a contract clause: the catalogue's clause for datavisa's own
/// condition codes (with its source), or the condition as the issuer wrote it.
pub fn clause(condition: &str) -> Text {
    let msg = if let Some(date) = condition.strip_prefix("deletion_by ") {
        Msg::new("clause.deletion_by").arg("date", date)
    } else if datavisa_i18n::has(&format!("clause.{condition}")) {
        Msg::new(&format!("clause.{condition}"))
    } else {
        return Text::same(condition);
    };
    match msg.source_text() {
        Some(src) => {
            let with = Msg::new("certificate.clause_with_source").arg("clause", msg);
            Text::new(
                with.clone()
                    .arg("source", src.zh)
                    .render(datavisa_i18n::Lang::Zh),
                with.arg("source", src.en).render(datavisa_i18n::Lang::En),
            )
        }
        None => msg.text(),
    }
}

/// The certificate's structure.
pub fn certificate(v: &Visa, a: &Assessment, status: datavisa_verdict::register::Status) -> Report {
    let anonymized = v.verdict == Verdict::Anonymized;
    let tone = match v.verdict {
        Verdict::Anonymized => Tone::Pass,
        Verdict::DeIdentified => Tone::Warn,
        Verdict::Personal => Tone::Fail,
    };
    let headline = Msg::new(if anonymized {
        "certificate.headline_anonymized"
    } else {
        "certificate.headline_not_anonymized"
    })
    .arg("twin", &v.twin_path)
    .arg("recipient", &v.recipient)
    .arg("verdict", v.verdict.msg())
    .arg("review", &v.review_on);
    let recipient = format!(
        "{} — {} ({})",
        v.recipient, a.recipient.name, a.recipient.jurisdiction
    );
    let mut facts = vec![
        Fact::new("签证编号", "Visa", v.id.clone()),
        Fact::new("接收方", "Recipient", recipient),
        Fact::new("结论", "Verdict", v.verdict.msg()),
        Fact::new("状态", "Status", status.msg()),
        Fact::new("签发日期", "Issued on", v.issued_on.clone()),
        Fact::new(
            "复评日期（届时失效）",
            "Review date (it lapses then)",
            v.review_on.clone(),
        ),
        Fact::new(
            "副本",
            "Twin",
            format!("{} — sha256 {}", v.twin_path, v.twin_sha256),
        ),
        Fact::new("源数据 sha256", "Source sha256", v.source_sha256.clone()),
        Fact::new(
            "评估",
            "Assessment",
            format!("{} — sha256 {}", v.assessment_id, v.assessment_sha256),
        ),
    ];
    if let Some(m) = a.margin_msg() {
        facts.push(Fact::new("临界", "Margin", m));
    }
    let mut terms = Section::new(
        Text::new(
            "接收方承诺的合同条款",
            "Contract clauses the recipient accepts",
        ),
        Vec::new(),
        Vec::new(),
    );
    terms.notes = v.conditions.iter().map(|c| clause(c)).collect();
    terms.notes.push(Msg::new("clause.reassessment").text());
    if !anonymized {
        terms.notes.push(Msg::new("clause.still_personal").text());
    }
    let mut sign = Section::new(
        Text::new("签署", "Signatures"),
        Vec::new(),
        vec![
            Text::new(
                "个人信息处理者（境内）签字、日期",
                "Exporter (in China): signature, date",
            ),
            Text::new(
                "境外接收方签字、日期",
                "Overseas recipient: signature, date",
            ),
        ],
    );
    sign.notes = vec![Msg::new("certificate.annex").text()];
    Report {
        title: Text::new(
            "匿名化签证（数据出境合同附件）",
            "Anonymization visa (annex to the data-transfer agreement)",
        ),
        subtitle: Text::new(
            format!("{} → {}，签证 {}", v.twin_path, v.recipient, v.id),
            format!("{} → {}, visa {}", v.twin_path, v.recipient, v.id),
        ),
        generated_at: datavisa_ledger::store::now(),
        tool_version: env!("CARGO_PKG_VERSION").into(),
        headline: Some((headline.text(), tone)),
        sections: vec![
            Section::new(
                Text::new("签证事项", "What the visa covers"),
                facts,
                Vec::new(),
            ),
            terms,
            sign,
        ],
    }
}
