//! Matching column headers against hint fragments, in Chinese and English.

/// Lower-case ASCII tokens of a header: split on non-alphanumerics and camelCase.
fn tokens(header: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in header.chars() {
        if c.is_ascii_alphanumeric() {
            if c.is_ascii_uppercase() && prev_lower && !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
            cur.push(c.to_ascii_lowercase());
        } else {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// The first fragment that the header matches, if any. Chinese fragments match anywhere; short
/// English ones only as whole tokens ("age" does not match "wage"), long ones anywhere.
pub fn matches(header: &str, fragments: &[&'static str]) -> Option<&'static str> {
    let lower = header.to_lowercase();
    let toks = tokens(header);
    let joined = toks.join("_");
    fragments.iter().copied().find(|f| {
        if !f.is_ascii() {
            lower.contains(f)
        } else if f.contains('_') || f.contains('-') {
            joined.contains(&f.replace('-', "_"))
        } else if f.len() >= 5 {
            lower.contains(f)
        } else {
            toks.iter().any(|t| t == f)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_rules() {
        assert_eq!(matches("age", &["age"]), Some("age"));
        assert_eq!(matches("wage", &["age"]), None);
        assert_eq!(matches("customerAge", &["age"]), Some("age"));
        assert_eq!(matches("身份证号", &["身份证"]), Some("身份证"));
        assert_eq!(matches("marital-status", &["marital"]), Some("marital"));
        assert_eq!(matches("ID_Card", &["id_card"]), Some("id_card"));
        assert_eq!(matches("zip", &["ip"]), None);
    }
}
