//! Free-text redaction: the identifiers `discover` finds inside a text (its spans) are replaced
//! each by a typed placeholder (`[手机号]`, or `[phone]`), or by the pseudonym the recipe gives
//! a column of that kind, so a phone in a remark still joins the phone column. Every other
//! character stays as it was.

use datavisa_discover::spans::find_spans;
use datavisa_discover::Kind;
use serde::Serialize;
use std::collections::BTreeMap;

/// The language of the placeholders.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Placeholders {
    /// `[手机号]`, `[身份证号]`...
    Zh,
    /// `[phone]`, `[id_number]`...
    En,
}

impl Placeholders {
    /// The style a recipe names (`zh` or `en`).
    pub fn parse(name: &str) -> Option<Placeholders> {
        match name {
            "zh" => Some(Placeholders::Zh),
            "en" => Some(Placeholders::En),
            _ => None,
        }
    }
}

/// What replaces an identifier found in the text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SpanMethod {
    /// Its typed placeholder.
    Placeholder,
    /// The method of the recipe's column of the same kind (its placeholder when there is none).
    Same,
}

impl SpanMethod {
    /// The method a recipe names (`placeholder` or `same`).
    pub fn parse(name: &str) -> Option<SpanMethod> {
        match name {
            "placeholder" => Some(SpanMethod::Placeholder),
            "same" => Some(SpanMethod::Same),
            _ => None,
        }
    }
}

/// The placeholder of a kind, brackets included.
pub fn placeholder(kind: Kind, style: Placeholders) -> &'static str {
    let (zh, en) = match kind {
        Kind::CnMobile => ("[手机号]", "[phone]"),
        Kind::CnLandline => ("[电话]", "[landline]"),
        Kind::CnResidentId => ("[身份证号]", "[id_number]"),
        Kind::Email => ("[邮箱]", "[email]"),
        Kind::BankCard => ("[银行卡号]", "[bank_card]"),
        Kind::PersonName => ("[姓名]", "[name]"),
        Kind::Passport => ("[护照号]", "[passport]"),
        Kind::TravelPermit => ("[通行证号]", "[permit]"),
        Kind::LicensePlate => ("[车牌号]", "[plate]"),
        Kind::Address => ("[地址]", "[address]"),
        Kind::IpAddress => ("[IP]", "[ip]"),
        _ => ("[个人信息]", "[redacted]"),
    };
    match style {
        Placeholders::Zh => zh,
        Placeholders::En => en,
    }
}

/// A text with its identifiers replaced, and the kinds replaced, in order.
pub fn redact_text(
    text: &str,
    style: Placeholders,
    mut same: impl FnMut(Kind, &str) -> Option<String>,
) -> (String, Vec<Kind>) {
    let spans = find_spans(text);
    if spans.is_empty() {
        return (text.to_owned(), Vec::new());
    }
    let mut out = String::with_capacity(text.len());
    let mut kinds = Vec::with_capacity(spans.len());
    let mut at = 0;
    for s in spans {
        out.push_str(&text[at..s.start]);
        match same(s.kind, &text[s.start..s.end]) {
            Some(p) => out.push_str(&p),
            None => out.push_str(placeholder(s.kind, style)),
        }
        kinds.push(s.kind);
        at = s.end;
    }
    out.push_str(&text[at..]);
    (out, kinds)
}

/// Identifiers replaced in one column, by kind (rows count once per identifier they held).
pub type RedactCounts = BTreeMap<String, u64>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_replace_spans_and_nothing_else() {
        let s = "请联系 13800138000 或 li@example.com，联系人：张伟。";
        let (out, kinds) = redact_text(s, Placeholders::Zh, |_, _| None);
        assert_eq!(out, "请联系 [手机号] 或 [邮箱]，联系人：[姓名]。");
        assert_eq!(kinds, [Kind::CnMobile, Kind::Email, Kind::PersonName]);
        let (out, _) = redact_text(s, Placeholders::En, |_, _| None);
        assert_eq!(out, "请联系 [phone] 或 [email]，联系人：[name]。");
    }

    #[test]
    fn same_method_replaces_with_its_pseudonym() {
        let s = "卡 4111 1111 1111 1111，电话13800138000";
        let (out, kinds) = redact_text(s, Placeholders::Zh, |k, v| {
            (k == Kind::CnMobile).then(|| format!("<{}>", v.len()))
        });
        assert_eq!(out, "卡 [银行卡号]，电话<11>");
        assert_eq!(kinds, [Kind::BankCard, Kind::CnMobile]);
    }

    #[test]
    fn text_without_identifiers_is_unchanged() {
        for s in [
            "",
            "客户要求周末送货上门，请提前电话联系",
            "no id here 12345",
        ] {
            assert_eq!(
                redact_text(s, Placeholders::Zh, |_, _| None),
                (s.to_owned(), vec![])
            );
        }
    }

    #[test]
    fn names_parse() {
        assert_eq!(Placeholders::parse("en"), Some(Placeholders::En));
        assert_eq!(Placeholders::parse("fr"), None);
        assert_eq!(SpanMethod::parse("same"), Some(SpanMethod::Same));
        assert_eq!(SpanMethod::parse("token"), None);
    }
}
