//! Figure labels as messages. The English label of a figure ("singling out (3 known columns)")
//! is its stable key in the stored assessment; [`figure_msg`] turns it back into a catalogue
//! message, so a report can name the figure in Chinese. The labels are the closed set written
//! by `attacks` and `assess`; the test below holds the two together.

use datavisa_i18n::Msg;

/// The message naming a figure, from its stored English label; a label of no known shape
/// (a figure from a newer version) is shown as written.
pub fn figure_msg(label: &str) -> Msg {
    let fixed = [
        (
            "singling out (univariate)",
            "figure.singling_out_univariate",
        ),
        (
            "linkability: what it knows ↔ the twin's other columns",
            "figure.linkability_known_rest",
        ),
        (
            "exact copies of source rows beyond those of holdout rows",
            "figure.exact_copies_beyond_holdout",
        ),
        ("exact copies of source rows", "figure.exact_copies"),
        (
            "twin rows closer to the source than to the holdout",
            "figure.closer_to_source",
        ),
        ("records unique on known columns", "figure.unique_on_known"),
    ];
    if let Some((_, id)) = fixed.iter().find(|(l, _)| *l == label) {
        return Msg::new(id);
    }
    if let Some(n) = between(label, "singling out (", " known columns)") {
        return Msg::new("figure.singling_out_multivariate").arg("n", n);
    }
    if let Some(rest) = label.strip_prefix("linkability: what it knows ↔ ") {
        return Msg::new("figure.linkability_known_holding").arg("path", rest);
    }
    if let Some(rest) = label.strip_prefix("linkability: ") {
        if let Some((path, sides)) = rest.split_once(" split (") {
            if let Some((a, b)) = sides.strip_suffix(')').and_then(|s| s.split_once(" ↔ ")) {
                return Msg::new("figure.linkability_split")
                    .arg("path", path)
                    .arg("a", a)
                    .arg("b", b);
            }
        }
    }
    if let Some(c) = label.strip_prefix("inference of ") {
        return Msg::new("figure.inference").arg("column", c);
    }
    for (what, id) in [
        ("highest", "figure.prosecutor_highest"),
        ("average", "figure.prosecutor_average"),
    ] {
        if let Some(n) = between(
            label,
            &format!("{what} prosecutor risk on "),
            " known columns",
        ) {
            return Msg::new(id).arg("n", n);
        }
    }
    if let Some(c) = between(label, "identifier ", " in clear") {
        return Msg::new("figure.identifier_in_clear").arg("column", c);
    }
    Msg::as_written(label)
}

/// The message of a policy source: datavisa's shipped defaults by their text, a context's
/// threshold as "context X: SOURCE", anything else (a policy file's own words) as written.
pub fn source_msg(source: &str) -> Msg {
    use crate::policy::{context_default, Policy};
    use crate::profile::Context;
    if let Some((ctx, rest)) = source
        .strip_prefix("context ")
        .and_then(|r| r.split_once(": "))
    {
        if let Some(c) = Context::ALL.iter().find(|c| c.as_str() == ctx) {
            return Msg::new("source.context")
                .arg("context", c.msg())
                .arg("source", source_msg(rest));
        }
    }
    for c in Context::ALL {
        if context_default(c).source == source {
            return Msg::new(&format!("source.default_{}", c.as_str()));
        }
    }
    let p = Policy::default();
    let fixed = [
        (p.confidence.source.as_str(), "source.default_confidence"),
        (
            p.personal_above.source.as_str(),
            "source.default_personal_above",
        ),
    ];
    if let Some((_, id)) = fixed.iter().find(|(s, _)| *s == source) {
        return Msg::new(id);
    }
    for (criterion, id) in [
        (
            crate::policy::Criterion::ExactCopies,
            "source.default_exact_copies",
        ),
        (
            crate::policy::Criterion::CloserToSource,
            "source.default_closer_to_source",
        ),
    ] {
        if p.threshold(criterion, Context::Public).source == source {
            return Msg::new(id);
        }
    }
    Msg::as_written(source)
}

fn between<'a>(s: &'a str, start: &str, end: &str) -> Option<&'a str> {
    s.strip_prefix(start)?.strip_suffix(end)
}

#[cfg(test)]
mod tests {
    use super::*;
    use datavisa_i18n::Lang;

    #[test]
    fn every_default_source_has_its_message() {
        use crate::policy::{Criterion, Policy};
        use crate::profile::Context;
        let p = Policy::default();
        for c in Context::ALL {
            for criterion in [
                Criterion::SinglingOut,
                Criterion::ExactCopies,
                Criterion::CloserToSource,
            ] {
                let s = p.threshold(criterion, c).source;
                let m = source_msg(&s);
                assert_ne!(m.id, "figure.as_written", "{s}");
                assert_eq!(m.render(Lang::En), s);
            }
        }
        for s in [&p.confidence.source, &p.personal_above.source] {
            assert_eq!(source_msg(s).render(Lang::En), *s);
            assert_ne!(source_msg(s).id, "figure.as_written");
        }
        assert_eq!(source_msg("DPO memo 7").render(Lang::Zh), "DPO memo 7");
    }

    #[test]
    fn every_label_shape_round_trips_through_its_message() {
        for label in [
            "singling out (univariate)",
            "singling out (3 known columns)",
            "linkability: what it knows ↔ holdings/crm.csv",
            "linkability: what it knows ↔ the twin's other columns",
            "linkability: crm.csv split (age, sex ↔ zip)",
            "inference of diagnosis",
            "highest prosecutor risk on 4 known columns",
            "average prosecutor risk on 4 known columns",
            "exact copies of source rows beyond those of holdout rows",
            "exact copies of source rows",
            "twin rows closer to the source than to the holdout",
            "identifier phone in clear",
            "records unique on known columns",
        ] {
            let m = figure_msg(label);
            assert_ne!(m.id, "figure.as_written", "{label}");
            assert_eq!(m.render(Lang::En), label);
            assert_ne!(m.render(Lang::Zh), label);
        }
    }
}
