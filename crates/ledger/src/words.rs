//! The ledger's codes and rule texts as catalogue messages, so plans, PIPIA drafts and the
//! console name mechanisms and rules in either language.

use datavisa_i18n::Msg;

/// A code (`standard_contract`) translated under `prefix` when the catalogue has it, else
/// shown as written.
pub fn code_msg(prefix: &str, code: &str) -> Msg {
    Msg::code(prefix, code)
}

/// A mechanism's name as a message.
pub fn mechanism_msg(mechanism: &str) -> Msg {
    code_msg("mechanism", mechanism)
}

/// A rule's summary: the catalogue's translation when it is the shipped rule's text, else the
/// rules file's own words (a rules file of one's own may say something else under the same id).
pub fn rule_msg(id: &str, summary: &str) -> Msg {
    let key = format!("rule.{id}");
    let shipped = datavisa_i18n::catalogue()
        .entries
        .get(&key)
        .is_some_and(|e| e.en == summary);
    if shipped {
        Msg::new(&key)
    } else {
        Msg::as_written(summary)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Rules;
    use datavisa_i18n::Lang;

    #[test]
    fn every_shipped_rule_is_in_the_catalogue_word_for_word() {
        let r = Rules::builtin();
        let texts = r
            .exemption
            .iter()
            .map(|e| (&e.id, &e.summary))
            .chain(r.band.iter().map(|b| (&b.id, &b.summary)))
            .chain(r.always.iter().map(|a| (&a.id, &a.summary)))
            .chain(r.duty.iter().map(|d| (&d.id, &d.summary)));
        for (id, summary) in texts {
            let m = rule_msg(id, summary);
            assert_eq!(m.id, format!("rule.{id}"), "{id}: {summary}");
            assert_ne!(m.render(Lang::Zh), *summary);
        }
        assert_eq!(
            rule_msg("M-5", "our own words").render(Lang::Zh),
            "our own words"
        );
    }
}
