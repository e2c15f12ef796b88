//! The mechanism rules, read from `rules/outbound.toml` (or a file counsel maintains), and the
//! planner: counters before and after a transfer, exemptions, mechanism, duties, warnings.

use crate::error::{LedgerError, Result};
use crate::record::Counts;
use crate::words::{code_msg, mechanism_msg, rule_msg};
use datavisa_i18n::Msg;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// The rules shipped with datavisa.
pub const BUILTIN_RULES: &str = include_str!("../rules/outbound.toml");

#[derive(Clone, Debug, Deserialize)]
struct Counting {
    rules: Vec<String>,
}

/// An exemption, applying when its fact is asserted.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct Exemption {
    pub id: String,
    pub flag: String,
    pub summary: String,
    pub source: String,
    #[serde(default)]
    pub needs_ftz: bool,
}

#[derive(Clone, Debug, Deserialize)]
pub(crate) struct Always {
    pub(crate) id: String,
    fact: String,
    mechanism: String,
    pub(crate) summary: String,
    source: String,
}

/// A volume band of one counter.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct Band {
    pub id: String,
    pub counter: String,
    pub from: u64,
    #[serde(default)]
    pub below: Option<u64>,
    pub mechanism: String,
    #[serde(default)]
    pub alternative: Option<String>,
    #[serde(default)]
    pub also: Option<String>,
    pub summary: String,
    pub source: String,
}

/// A duty that stays, and when.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct Duty {
    pub id: String,
    pub when: String,
    pub summary: String,
    pub source: String,
}

/// The rules file.
#[derive(Clone, Debug, Deserialize)]
pub struct Rules {
    counting: Counting,
    pub(crate) exemption: Vec<Exemption>,
    pub(crate) always: Vec<Always>,
    pub(crate) band: Vec<Band>,
    pub(crate) duty: Vec<Duty>,
}

/// Facts about a transfer the ledger cannot know by itself.
#[derive(Clone, Debug, Default)]
pub struct Facts {
    pub ciio: bool,
    pub important_data: bool,
    /// Exemption flags asserted (e.g. `contract-necessity`).
    pub flags: BTreeSet<String>,
    pub ftz: Option<String>,
}

/// One rule applied, with its source.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Applied {
    pub id: String,
    pub summary: String,
    pub source: String,
}

/// The mechanism a transfer needs and why.
#[derive(Clone, Debug, Serialize)]
pub struct Decision {
    /// `exempt`, `standard_contract`, `certification` or `security_assessment`.
    pub mechanism: String,
    /// Equivalent choices (standard contract or certification).
    pub alternatives: Vec<String>,
    /// Ids of every rule applied, in order.
    pub rules: Vec<String>,
    pub applied: Vec<Applied>,
    pub exemptions: Vec<Exemption>,
    pub duties: Vec<Duty>,
}

/// Strictness order of mechanisms (M-8).
pub fn strictness(mechanism: &str) -> u8 {
    match mechanism {
        "security_assessment" => 3,
        "standard_contract" | "certification" => 2,
        _ => 1,
    }
}

impl Rules {
    /// The rules shipped with datavisa.
    pub fn builtin() -> Rules {
        Rules::parse(BUILTIN_RULES).expect("the shipped rules parse")
    }

    /// Rules from TOML text.
    pub fn parse(text: &str) -> Result<Rules> {
        let r: Rules = toml::from_str(text).map_err(|e| LedgerError::Rules(e.to_string()))?;
        for b in &r.band {
            if !["ordinary", "sensitive"].contains(&b.counter.as_str()) {
                return Err(LedgerError::Rules(format!(
                    "band {}: counter must be ordinary or sensitive",
                    b.id
                )));
            }
        }
        Ok(r)
    }

    /// Every exemption flag the planner accepts.
    pub fn exemption_flags(&self) -> Vec<&str> {
        self.exemption.iter().map(|e| e.flag.as_str()).collect()
    }

    /// The band a counter value falls in (None for a sensitive count of 0).
    pub fn band(&self, counter: &str, n: u64) -> Option<&Band> {
        self.band
            .iter()
            .filter(|b| b.counter == counter && b.from <= n && b.below.is_none_or(|x| n < x))
            .max_by_key(|b| b.from)
    }

    /// The next band above `n` for a counter.
    pub fn next_band(&self, counter: &str, n: u64) -> Option<&Band> {
        self.band
            .iter()
            .filter(|b| b.counter == counter && b.from > n)
            .min_by_key(|b| b.from)
    }

    fn duties_for(&self, mechanism: &str, sensitive: bool, exempt: bool) -> Vec<Duty> {
        self.duty
            .iter()
            .filter(|d| match d.when.as_str() {
                "always" => true,
                "sensitive" => sensitive,
                "exempt" => exempt,
                m => m == mechanism,
            })
            .cloned()
            .collect()
    }

    /// Decides the mechanism for counters `after` a transfer (§2.1: exemptions, then CIIO and
    /// important data, then the strictest band of the two counters).
    pub fn decide(&self, facts: &Facts, after: Counts) -> Decision {
        let mut rules: Vec<String> = self.counting.rules.clone();
        let mut applied = Vec::new();
        let exemptions: Vec<Exemption> = self
            .exemption
            .iter()
            .filter(|e| facts.flags.contains(&e.flag) && (!e.needs_ftz || facts.ftz.is_some()))
            .cloned()
            .collect();
        if !exemptions.is_empty() {
            for e in &exemptions {
                rules.push(e.id.clone());
                applied.push(Applied {
                    id: e.id.clone(),
                    summary: e.summary.clone(),
                    source: e.source.clone(),
                });
            }
            rules.push("E-9".into());
            return Decision {
                mechanism: "exempt".into(),
                alternatives: vec![],
                duties: self.duties_for("exempt", after.sensitive > 0, true),
                rules,
                applied,
                exemptions,
            };
        }
        let pick = |m: &str, alt: Option<&str>, best: &mut Option<(String, Option<String>)>| {
            if best
                .as_ref()
                .is_none_or(|(b, _)| strictness(m) > strictness(b))
            {
                *best = Some((m.to_owned(), alt.map(str::to_owned)));
            }
        };
        let mut chosen: Option<(String, Option<String>)> = None;
        for a in &self.always {
            let holds = match a.fact.as_str() {
                "ciio" => facts.ciio,
                "important-data" => facts.important_data,
                _ => false,
            };
            if holds {
                rules.push(a.id.clone());
                applied.push(Applied {
                    id: a.id.clone(),
                    summary: a.summary.clone(),
                    source: a.source.clone(),
                });
                pick(&a.mechanism, None, &mut chosen);
            }
        }
        if chosen.is_none() {
            for (counter, n) in [("ordinary", after.ordinary), ("sensitive", after.sensitive)] {
                if let Some(b) = self.band(counter, n) {
                    // M-7 (exempt) needs no sensitive PI at all.
                    if b.mechanism == "exempt" && after.sensitive > 0 {
                        continue;
                    }
                    rules.push(b.id.clone());
                    applied.push(Applied {
                        id: b.id.clone(),
                        summary: b.summary.clone(),
                        source: b.source.clone(),
                    });
                    if let Some(also) = &b.also {
                        rules.push(also.clone());
                    }
                    pick(&b.mechanism, b.alternative.as_deref(), &mut chosen);
                }
            }
            rules.push("M-8".into());
        }
        let (mechanism, alt) = chosen.unwrap_or(("exempt".into(), None));
        Decision {
            duties: self.duties_for(&mechanism, after.sensitive > 0, mechanism == "exempt"),
            alternatives: alt.into_iter().collect(),
            mechanism,
            rules,
            applied,
            exemptions,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decide(ordinary: u64, sensitive: u64, f: impl FnOnce(&mut Facts)) -> Decision {
        let mut facts = Facts::default();
        f(&mut facts);
        Rules::builtin().decide(
            &facts,
            Counts {
                ordinary,
                sensitive,
            },
        )
    }

    /// Every row of LEGAL-RULES §2.3 at and around its boundaries, and §2.2's exemptions.
    #[test]
    fn table_of_every_band_and_boundary() {
        let cases: &[(u64, u64, &str, &str)] = &[
            (0, 0, "exempt", "M-7"),
            (1, 0, "exempt", "M-7"),
            (99_999, 0, "exempt", "M-7"),
            (100_000, 0, "standard_contract", "M-5"),
            (100_001, 0, "standard_contract", "M-5"),
            (999_999, 0, "standard_contract", "M-5"),
            (1_000_000, 0, "security_assessment", "M-3"),
            (5_000_000, 0, "security_assessment", "M-3"),
            (10, 1, "standard_contract", "M-6"),
            (10, 9_999, "standard_contract", "M-6"),
            (10, 10_000, "security_assessment", "M-4"),
            (99_999, 1, "standard_contract", "M-6"),
            (150_000, 9_999, "standard_contract", "M-5"),
            (150_000, 10_000, "security_assessment", "M-4"),
            (1_000_000, 5, "security_assessment", "M-3"),
        ];
        for &(o, s, mech, rule) in cases {
            let d = decide(o, s, |_| {});
            assert_eq!(d.mechanism, mech, "ordinary {o}, sensitive {s}");
            assert!(d.rules.contains(&rule.to_owned()), "{o}/{s}: {:?}", d.rules);
            assert!(d.rules.contains(&"M-8".to_owned()));
            if mech == "standard_contract" {
                assert_eq!(d.alternatives, ["certification"]);
                assert!(d.duties.iter().any(|x| x.id == "T-3"));
            }
            if rule == "M-7" {
                assert!(d.rules.contains(&"E-6".to_owned()));
                assert!(!d.rules.contains(&"M-6".to_owned()));
            }
            assert!(
                d.duties.iter().any(|x| x.id == "P-8") && d.duties.iter().any(|x| x.id == "P-10")
            );
            assert_eq!(d.duties.iter().any(|x| x.id == "P-4"), s > 0);
        }
    }

    #[test]
    fn ciio_and_important_data_need_an_assessment_at_any_volume() {
        let d = decide(1, 0, |f| f.ciio = true);
        assert_eq!(
            (d.mechanism.as_str(), d.rules.contains(&"M-1".into())),
            ("security_assessment", true)
        );
        let d = decide(0, 0, |f| f.important_data = true);
        assert_eq!(
            (d.mechanism.as_str(), d.rules.contains(&"M-2".into())),
            ("security_assessment", true)
        );
    }

    #[test]
    fn each_exemption_takes_precedence_and_keeps_the_duties() {
        for (flag, id) in [
            ("no-personal-information", "E-1"),
            ("collected-abroad", "E-2"),
            ("contract-necessity", "E-3"),
            ("hr-management", "E-4"),
            ("emergency", "E-5"),
        ] {
            let d = decide(2_000_000, 50_000, |f| {
                f.ciio = true;
                f.flags.insert(flag.into());
            });
            assert_eq!(d.mechanism, "exempt", "{flag}");
            assert!(d.rules.contains(&id.to_owned()) && d.rules.contains(&"E-9".to_owned()));
            assert!(d.duties.iter().any(|x| x.id == "E-10"));
        }
        // E-7 needs the exporter to be in a free trade zone.
        let d = decide(200_000, 0, |f| {
            f.flags.insert("ftz-off-list".into());
        });
        assert_eq!(d.mechanism, "standard_contract");
        let d = decide(200_000, 0, |f| {
            f.flags.insert("ftz-off-list".into());
            f.ftz = Some("Shanghai (Lingang)".into());
        });
        assert_eq!(
            (d.mechanism.as_str(), d.rules.contains(&"E-7".into())),
            ("exempt", true)
        );
    }

    #[test]
    fn bands_and_next_bands() {
        let r = Rules::builtin();
        assert_eq!(r.band("ordinary", 99_999).unwrap().id, "M-7");
        assert_eq!(r.next_band("ordinary", 99_999).unwrap().id, "M-5");
        assert!(r.band("sensitive", 0).is_none());
        assert_eq!(r.next_band("sensitive", 0).unwrap().id, "M-6");
        assert!(Rules::parse("nonsense = [").is_err());
    }
}

/// A counter before and after the transfer.
#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
pub struct BeforeAfter {
    pub before: u64,
    pub after: u64,
}

/// Both counters before and after.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct PlanCounts {
    pub ordinary: BeforeAfter,
    pub sensitive: BeforeAfter,
}

/// The planner's answer.
#[derive(Clone, Debug, Serialize)]
pub struct Plan {
    pub exporter: String,
    pub recipient: String,
    pub year: i64,
    pub mechanism: String,
    pub alternatives: Vec<String>,
    pub rules: Vec<String>,
    pub applied: Vec<Applied>,
    pub counts: PlanCounts,
    pub exemptions: Vec<Exemption>,
    /// Exemption facts the planner cannot know and did not get (ask before relying on a band).
    pub exemptions_to_consider: Vec<Exemption>,
    pub duties: Vec<Duty>,
    pub warnings: Vec<String>,
    /// The same warnings as messages (ids and arguments), to render in either language.
    pub warning_codes: Vec<Msg>,
    pub filings_in_place: Vec<crate::filings::Filing>,
    pub people_in_file: u64,
    pub missing_person_ids: u64,
}

/// What the planner is asked about.
pub struct PlanRequest<'a> {
    pub exporter: &'a str,
    pub recipient: &'a str,
    pub date: &'a str,
    pub purpose: Option<&'a str>,
    /// The data types (columns) the transfer carries, checked against a filing's scope.
    pub data_types: Vec<String>,
    /// Where the recipient will store the data, checked against a filing's.
    pub storage_location: Option<&'a str>,
    pub facts: Facts,
}

impl crate::store::Ledger {
    /// Plans a transfer of `hashed` people before it happens.
    pub fn plan(
        &self,
        rules: &Rules,
        req: PlanRequest,
        hashed: &crate::record::Hashed,
    ) -> Result<Plan> {
        let exporter = self.exporter(req.exporter)?;
        let recipient = self.recipient(req.recipient)?;
        let year = crate::record::year_of(req.date)?;
        let before = self.counts(exporter.id, year)?;
        let new = self.new_people(exporter.id, year, hashed)?;
        let after = Counts {
            ordinary: before.ordinary + new.ordinary,
            sensitive: before.sensitive + new.sensitive,
        };
        let mut facts = req.facts.clone();
        facts.ciio |= exporter.ciio;
        if facts.ftz.is_none() {
            facts.ftz = exporter.ftz.clone();
        }
        let d = rules.decide(&facts, after);
        let filings: Vec<crate::filings::Filing> = self
            .filings(Some(&exporter.name))?
            .into_iter()
            .filter(|f| f.recipient.as_deref().is_none_or(|r| r == recipient.name))
            .collect();
        let mut warnings = band_warnings(rules, before, after);
        warnings.extend(self.splitting_warnings(
            rules,
            &exporter,
            recipient.id,
            year,
            after,
            &d.mechanism,
        )?);
        warnings.extend(filing_warnings(
            &d.mechanism,
            &filings,
            &recipient.name,
            &req,
        ));
        let exemptions_to_consider = if d.mechanism == "exempt" {
            vec![]
        } else {
            rules
                .exemption
                .iter()
                .filter(|e| !facts.flags.contains(&e.flag))
                .cloned()
                .collect()
        };
        Ok(Plan {
            exporter: exporter.name,
            recipient: recipient.name,
            year,
            mechanism: d.mechanism,
            alternatives: d.alternatives,
            rules: d.rules,
            applied: d.applied,
            counts: PlanCounts {
                ordinary: BeforeAfter {
                    before: before.ordinary,
                    after: after.ordinary,
                },
                sensitive: BeforeAfter {
                    before: before.sensitive,
                    after: after.sensitive,
                },
            },
            exemptions: d.exemptions,
            exemptions_to_consider,
            duties: d.duties,
            warnings: warnings.iter().map(Msg::en).collect(),
            warning_codes: warnings,
            filings_in_place: filings,
            people_in_file: hashed.ordinary.len() as u64,
            missing_person_ids: hashed.missing,
        })
    }

    /// C-5: volumes split across a group's entities, or across many transfers to one recipient.
    fn splitting_warnings(
        &self,
        rules: &Rules,
        exporter: &crate::store::Exporter,
        recipient_id: i64,
        year: i64,
        after: Counts,
        mechanism: &str,
    ) -> Result<Vec<Msg>> {
        let mut out = Vec::new();
        if let Some(g) = &exporter.group {
            let n = |counter: &str| -> Result<u64> {
                Ok(self.conn.query_row(
                    "SELECT COUNT(DISTINCT p.hash) FROM persons p JOIN exporters e ON e.id = p.exporter_id
                     WHERE e.grp = ?1 AND p.year = ?2 AND p.counter = ?3",
                    rusqlite::params![g, year, counter],
                    |r| r.get::<_, i64>(0),
                )? as u64)
            };
            let group = Counts {
                ordinary: n("ordinary")?.max(after.ordinary),
                sensitive: n("sensitive")?.max(after.sensitive),
            };
            let gd = rules.decide(&Facts::default(), group);
            if strictness(&gd.mechanism) > strictness(mechanism) {
                out.push(
                    Msg::new("plan_warning.group_split")
                        .arg("group", format!("{g:?}"))
                        .arg("ordinary", group.ordinary.to_string())
                        .arg("sensitive", group.sensitive.to_string())
                        .arg("mechanism", mechanism_msg(&gd.mechanism)),
                );
            }
        }
        let transfers: i64 = self.conn.query_row(
            "SELECT COUNT(*) FROM transfers WHERE exporter_id = ?1 AND recipient_id = ?2 AND year = ?3",
            rusqlite::params![exporter.id, recipient_id, year],
            |r| r.get(0),
        )?;
        if transfers >= 5 {
            out.push(Msg::new("plan_warning.time_split").arg("n", (transfers + 1).to_string()));
        }
        Ok(out)
    }
}

/// Crossing into a band, or within 10% of the next one.
fn band_warnings(rules: &Rules, before: Counts, after: Counts) -> Vec<Msg> {
    let mut out = Vec::new();
    for (counter, b, a) in [
        ("ordinary", before.ordinary, after.ordinary),
        ("sensitive", before.sensitive, after.sensitive),
    ] {
        let (bb, ab) = (
            rules.band(counter, b).map(|x| x.id.clone()),
            rules.band(counter, a).map(|x| x.id.clone()),
        );
        if bb != ab {
            if let Some(band) = rules.band(counter, a) {
                out.push(
                    Msg::new("plan_warning.into_band")
                        .arg("counter", Msg::new(&format!("counter.{counter}")))
                        .arg("before", b.to_string())
                        .arg("after", a.to_string())
                        .arg("band", &band.id)
                        .arg("summary", rule_msg(&band.id, &band.summary))
                        .arg("mechanism", mechanism_msg(&band.mechanism)),
                );
            }
        }
        if let Some(next) = rules.next_band(counter, a) {
            if next.from > 1 && a * 10 >= next.from * 9 {
                out.push(
                    Msg::new("plan_warning.near_band")
                        .arg("counter", Msg::new(&format!("counter.{counter}")))
                        .arg("count", a.to_string())
                        .arg("band", &next.id)
                        .arg("from", next.from.to_string())
                        .arg("summary", rule_msg(&next.id, &next.summary))
                        .arg("mechanism", mechanism_msg(&next.mechanism)),
                );
            }
        }
    }
    out
}

/// A mechanism that is needed but not in place, or in place but not enough, or filed for
/// another purpose (T-5: re-file).
fn filing_warnings(
    mechanism: &str,
    filings: &[crate::filings::Filing],
    recipient: &str,
    req: &PlanRequest,
) -> Vec<Msg> {
    let purpose = req.purpose;
    let mut out = Vec::new();
    if mechanism == "exempt" {
        return out;
    }
    let covering: Vec<&crate::filings::Filing> = filings
        .iter()
        .filter(|f| strictness(&f.kind) >= strictness(mechanism))
        .collect();
    if covering.is_empty() {
        match filings.iter().max_by_key(|f| strictness(&f.kind)) {
            Some(f) => out.push(
                Msg::new("plan_warning.filing_short")
                    .arg("kind", code_msg("filing", &f.kind))
                    .arg("id", f.id.to_string())
                    .arg("mechanism", mechanism_msg(mechanism)),
            ),
            None => out.push(
                Msg::new("plan_warning.no_filing")
                    .arg("mechanism", mechanism_msg(mechanism))
                    .arg("recipient", recipient)
                    .arg(
                        "todo",
                        Msg::new(match mechanism {
                            "standard_contract" => "plan_warning.todo_standard_contract",
                            _ => "plan_warning.todo_security_assessment",
                        }),
                    ),
            ),
        }
    }
    for f in &covering {
        let new_types: Vec<&str> = req
            .data_types
            .iter()
            .filter(|t| !f.data_types.is_empty() && !f.data_types.contains(t))
            .map(String::as_str)
            .collect();
        if !new_types.is_empty() {
            out.push(
                Msg::new("plan_warning.new_data_types")
                    .arg("id", f.id.to_string())
                    .arg("types", new_types.join(", ")),
            );
        }
        if let (Some(loc), Some(filed)) = (req.storage_location, f.storage_location.as_deref()) {
            if !loc.eq_ignore_ascii_case(filed) {
                out.push(
                    Msg::new("plan_warning.new_location")
                        .arg("id", f.id.to_string())
                        .arg("filed", format!("{filed:?}"))
                        .arg("location", format!("{loc:?}")),
                );
            }
        }
    }
    if let Some(p) = purpose {
        for f in covering {
            if f.purpose
                .as_deref()
                .is_some_and(|fp| !fp.eq_ignore_ascii_case(p))
            {
                out.push(
                    Msg::new("plan_warning.new_purpose")
                        .arg("id", f.id.to_string())
                        .arg(
                            "filed",
                            format!("{:?}", f.purpose.as_deref().unwrap_or_default()),
                        )
                        .arg("purpose", format!("{p:?}")),
                );
            }
        }
    }
    out
}
