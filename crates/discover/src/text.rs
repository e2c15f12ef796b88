//! Value-level recognisers that need word lists: names, addresses, vocabularies, and personal
//! information inside free text.

use crate::kinds::{Kind, SensitiveCategory};
use crate::validate::*;
use crate::vocab::*;

fn is_han(c: char) -> bool {
    ('\u{4E00}'..='\u{9FFF}').contains(&c) || ('\u{3400}'..='\u{4DBF}').contains(&c)
}

/// True for a Chinese name (2-4 Han characters opening with a known surname) or a Latin name
/// of 2-3 capitalised words with a pinyin surname first or last.
pub fn is_person_name(s: &str) -> bool {
    let n = s.chars().count();
    if (2..=4).contains(&n) && s.chars().all(|c| is_han(c) || c == '·') {
        let first = s.chars().next().unwrap_or(' ');
        return SURNAMES.contains(first) || COMPOUND_SURNAMES.iter().any(|c| s.starts_with(c));
    }
    let words: Vec<&str> = s.split_whitespace().collect();
    if !(2..=3).contains(&words.len()) {
        return false;
    }
    let word_ok = |w: &&str| {
        w.chars().next().is_some_and(|c| c.is_ascii_uppercase())
            && w.chars()
                .all(|c| c.is_ascii_alphabetic() || c == '\'' || c == '-')
    };
    if !words.iter().all(word_ok) {
        return false;
    }
    let sur = |w: &str| PINYIN_SURNAMES.contains(&w.to_ascii_lowercase().as_str());
    sur(words[0]) || sur(words[words.len() - 1])
}

/// True for a postal address (Chinese divisions plus a street part, or an English street line).
pub fn is_address(s: &str) -> bool {
    if s.chars().any(is_han) {
        let admin =
            PROVINCES.iter().any(|p| s.contains(p)) || ADMIN_MARKERS.iter().any(|m| s.contains(m));
        let street = STREET_MARKERS.iter().any(|m| s.contains(m));
        return admin && street && s.chars().count() >= 6;
    }
    let lower = s.to_ascii_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    words.len() >= 3
        && words.iter().any(|w| w.bytes().all(|b| b.is_ascii_digit()))
        && words.iter().any(|w| STREET_WORDS.contains(w))
}

/// True for one of the 56 ethnic groups, with or without 族.
pub fn is_ethnicity(s: &str) -> bool {
    let base = s.strip_suffix('族').unwrap_or(s);
    ETHNIC_GROUPS.contains(&base) && (s.ends_with('族') || base.chars().count() >= 2 || s == "汉")
}

/// True for a gender value.
pub fn is_gender(s: &str) -> bool {
    GENDER_VALUES.contains(&s.to_lowercase().as_str())
}

fn contains_any(s: &str, terms: &[&str]) -> bool {
    let lower = s.to_lowercase();
    terms.iter().any(|t| lower.contains(t))
}

/// True for a diagnosis or other health term, or an ICD-10 code.
pub fn is_health(s: &str) -> bool {
    is_icd10(s) || contains_any(s, HEALTH_TERMS)
}

/// True for a religious belief.
pub fn is_religion(s: &str) -> bool {
    contains_any(s, RELIGION_TERMS)
}

/// True for a specific identity (disability, criminal record...).
pub fn is_specific_identity(s: &str) -> bool {
    contains_any(s, IDENTITY_TERMS)
}

/// Personal information found inside a longer text.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Inside {
    pub kinds: Vec<Kind>,
    pub categories: Vec<SensitiveCategory>,
}

fn push<T: PartialEq>(v: &mut Vec<T>, x: T) {
    if !v.contains(&x) {
        v.push(x);
    }
}

/// Finds identifiers (the kinds of [`crate::spans::find_spans`]) and sensitive terms inside
/// free text.
pub fn find_inside(s: &str) -> Inside {
    let mut found = Inside::default();
    for span in crate::spans::find_spans(s) {
        push(&mut found.kinds, span.kind);
        if span.kind == Kind::BankCard {
            push(&mut found.categories, SensitiveCategory::FinancialAccount);
        }
    }
    if contains_any(s, HEALTH_TERMS) {
        push(&mut found.categories, SensitiveCategory::MedicalHealth);
    }
    if is_religion(s) {
        push(&mut found.categories, SensitiveCategory::ReligiousBelief);
    }
    if is_specific_identity(s) {
        push(&mut found.categories, SensitiveCategory::SpecificIdentity);
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn recognisers_never_panic(s in "\\PC{0,60}") {
            let _ = (is_person_name(&s), is_address(&s), is_ethnicity(&s), is_gender(&s));
            let _ = (is_health(&s), is_religion(&s), is_specific_identity(&s), find_inside(&s));
        }

        #[test]
        fn digit_runs_never_panic(s in "[0-9Xx @a-z.\\- 电话]{0,80}") {
            let _ = find_inside(&s);
        }
    }

    #[test]
    fn names_addresses_vocab() {
        assert!(
            is_person_name("张伟") && is_person_name("欧阳娜娜") && is_person_name("Wang Fang")
        );
        assert!(
            !is_person_name("北京") && !is_person_name("United States") && !is_person_name("张")
        );
        assert!(is_address("广东省深圳市南山区科技园路18号"));
        assert!(is_address("12 Baker Street, London"));
        assert!(!is_address("北京市") && !is_address("Married-civ-spouse"));
        assert!(is_ethnicity("汉族") && is_ethnicity("维吾尔") && !is_ethnicity("水"));
        assert!(is_gender("男") && is_gender("Female") && !is_gender("X"));
        assert!(is_health("2型糖尿病") && is_health("I10") && !is_health("Sales"));
    }

    #[test]
    fn inside_free_text() {
        let f = find_inside(
            "客户来电 138-0013-8000，要求退款到卡 4111111111111111，邮箱 li@example.com",
        );
        assert!(f.kinds.contains(&Kind::CnMobile), "{f:?}");
        assert!(f.kinds.contains(&Kind::BankCard));
        assert!(f.kinds.contains(&Kind::Email));
        let f = find_inside("patient has diabetes; id 11010519491231002X");
        assert!(f.kinds.contains(&Kind::CnResidentId));
        assert!(f.categories.contains(&SensitiveCategory::MedicalHealth));
        assert_eq!(
            find_inside("delivered on time, thank you"),
            Inside::default()
        );
    }
}
