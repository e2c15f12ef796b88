//! The legal rules a use case applies: the rules file the workspace names, else the shipped rules;
//! and the facts a person asserts, checked against the exemption flags those rules declare.

use crate::error::{Error, Result};
use crate::workspace::Workspace;
use datavisa_ledger::Rules;
use std::collections::BTreeSet;

/// The workspace's rules file, parsed, or the rules shipped with datavisa.
pub fn rules(ws: &Workspace) -> Result<Rules> {
    let Some(path) = ws.rules() else {
        return Ok(Rules::builtin());
    };
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::bad_input(format!("cannot read {}: {e}", path.display())))?;
    Rules::parse(&text).map_err(|e| Error::bad_input(format!("{}: {e}", path.display())))
}

/// The asserted facts as exemption flags, each one checked against the flags `rules` declares.
pub fn fact_flags(rules: &Rules, facts: &[String]) -> Result<BTreeSet<String>> {
    let known = rules.exemption_flags();
    let mut out = BTreeSet::new();
    for f in facts {
        if !known.contains(&f.as_str()) {
            return Err(Error::bad_input(format!(
                "--fact {f:?}: the rules declare no such fact; known facts: {}",
                known.join(", ")
            )));
        }
        out.insert(f.clone());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facts_are_checked_against_the_rules_flags() {
        let r = Rules::builtin();
        let ok = fact_flags(&r, &["emergency".into(), "hr-management".into()]).unwrap();
        assert_eq!(ok.len(), 2);
        let e = fact_flags(&r, &["moon-landing".into()]).unwrap_err();
        assert_eq!(e.kind, crate::ErrorKind::BadInput);
        assert!(e.message.contains("emergency"), "{}", e.message);
    }
}
