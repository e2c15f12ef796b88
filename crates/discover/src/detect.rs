//! Column detection: which kind of personal information a column holds, how sure we are, and
//! why. Detectors run on distinct values weighted by their row counts: first a seeded sample of
//! distinct values for speed, then a full pass over all of them to confirm the candidates.

use crate::hint;
use crate::kinds::{Kind, Protection, SensitiveCategory};
use crate::text::*;
use crate::validate::*;
use crate::vocab::hints;
use datavisa_table::date::parse_date;
use datavisa_table::{Column, ColumnData, Dictionary, ValueType};
use rayon::prelude::*;

/// Settings of a scan.
#[derive(Clone, Debug)]
pub struct ScanOptions {
    /// Distinct values tried by every detector before the confirming full pass.
    pub sample_size: usize,
    pub seed: u64,
    /// Day (since epoch) at which ages, birth dates and minors are judged.
    pub reference_date: i64,
    /// Lowest confidence at which a kind or category is reported.
    pub min_confidence: f64,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            sample_size: 1000,
            seed: 0,
            reference_date: datavisa_table::date::today(),
            min_confidence: 0.5,
        }
    }
}

/// A column's distinct non-missing values with their row counts.
pub enum Distinct<'a> {
    Dict(&'a Dictionary, Vec<u64>),
    Owned(Vec<(String, u64)>),
}

impl<'a> Distinct<'a> {
    /// The distinct values of a column (categorical: its dictionary; numeric: formatted).
    pub fn of(col: &'a Column) -> Distinct<'a> {
        match &col.data {
            ColumnData::Categorical(c) => Distinct::Dict(c.dict(), c.counts()),
            ColumnData::Numeric(_) => Distinct::Owned(col.value_counts()),
        }
    }

    /// Number of distinct values (including dictionary entries with no rows).
    pub fn len(&self) -> usize {
        match self {
            Distinct::Dict(d, _) => d.len(),
            Distinct::Owned(v) => v.len(),
        }
    }

    /// True when there are no values.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Value `i` and its row count.
    pub fn get(&self, i: usize) -> (&str, u64) {
        match self {
            Distinct::Dict(d, c) => (d.get(i as u32), c[i]),
            Distinct::Owned(v) => (v[i].0.as_str(), v[i].1),
        }
    }

    /// Rows whose value passes `test`, and rows looked at, over the given value indices.
    pub fn weighted(&self, idx: &[usize], test: impl Fn(&str) -> bool + Sync) -> (u64, u64) {
        idx.par_iter()
            .with_min_len(256)
            .map(|&i| {
                let (v, n) = self.get(i);
                (if n > 0 && test(v) { n } else { 0 }, n)
            })
            .reduce(|| (0, 0), |a, b| (a.0 + b.0, a.1 + b.1))
    }
}

/// What a detector recognises.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Target {
    Kind(Kind),
    Category(SensitiveCategory),
}

/// A value test with what it proves and the headers that hint at it.
pub struct Detector {
    pub target: Target,
    /// How a pseudonymized twin protects a column of this kind by default.
    pub protect: Protection,
    /// How much a full match of the values alone proves the kind (0-1).
    pub specificity: f64,
    /// What matching values are, for the evidence sentence.
    pub noun: &'static str,
    pub hints: &'static [&'static str],
    /// None for header-only categories (biometric), which no value test can recognise.
    pub test: Option<fn(&str) -> bool>,
}

fn is_age(s: &str) -> bool {
    s.parse::<u32>().is_ok_and(|a| a <= 120)
}

fn is_birth_date(s: &str) -> bool {
    // Judged against today: a birth date cannot be in the future or before 1900.
    parse_date(s).is_some_and(|d| (-25_567..=datavisa_table::date::today()).contains(&d))
}

use SensitiveCategory as C;
use Target::{Category as Cat, Kind as K};

/// Kinds `scan` recognises by rules rather than a detector (free text by its values' shape, an
/// internal id by uniqueness), with their default protection.
pub const RULE_KINDS: &[(Kind, Protection)] = &[
    // Free text can hide anything (a phone number in a remark): it does not travel.
    (Kind::FreeText, Protection::Drop),
    (Kind::InternalId, Protection::Token),
];

/// The default protection of a kind: its detector's, or its scan rule's.
pub fn protection_of(kind: Kind) -> Protection {
    DETECTORS
        .iter()
        .find(|d| d.target == Target::Kind(kind))
        .map(|d| d.protect)
        .or_else(|| RULE_KINDS.iter().find(|r| r.0 == kind).map(|r| r.1))
        // Unreachable while the test below holds; tokenizing is the cautious reading.
        .unwrap_or(Protection::Token)
}

/// Every detector, in tie-break order (earlier wins on equal confidence).
pub const DETECTORS: &[Detector] = &[
    Detector {
        target: K(Kind::CnResidentId),
        protect: Protection::Fpe {
            format: "cn_resident_id",
        },
        specificity: 0.98,
        noun: "valid resident ID numbers",
        hints: hints::RESIDENT_ID,
        test: Some(is_resident_id),
    },
    Detector {
        target: K(Kind::CnUscc),
        protect: Protection::Encrypt,
        specificity: 0.95,
        noun: "valid unified social credit codes",
        hints: hints::USCC,
        test: Some(is_uscc),
    },
    Detector {
        target: K(Kind::Email),
        protect: Protection::Token,
        specificity: 0.97,
        noun: "e-mail addresses",
        hints: hints::EMAIL,
        test: Some(is_email),
    },
    Detector {
        target: K(Kind::CnMobile),
        protect: Protection::Fpe {
            format: "cn_mobile",
        },
        specificity: 0.92,
        noun: "mainland mobile numbers",
        hints: hints::MOBILE,
        test: Some(is_mobile),
    },
    Detector {
        target: K(Kind::LicensePlate),
        protect: Protection::Encrypt,
        specificity: 0.95,
        noun: "licence plates",
        hints: hints::PLATE,
        test: Some(is_license_plate),
    },
    Detector {
        target: K(Kind::BankCard),
        protect: Protection::Fpe {
            format: "bank_card",
        },
        specificity: 0.85,
        noun: "Luhn-valid bank card numbers",
        hints: hints::BANK_CARD,
        test: Some(is_bank_card),
    },
    Detector {
        target: K(Kind::Imei),
        protect: Protection::Fpe { format: "imei" },
        specificity: 0.8,
        noun: "Luhn-valid IMEI numbers",
        hints: hints::IMEI,
        test: Some(is_imei),
    },
    Detector {
        target: K(Kind::IpAddress),
        protect: Protection::Token,
        specificity: 0.9,
        noun: "IP addresses",
        hints: hints::IP,
        test: Some(is_ip),
    },
    Detector {
        target: K(Kind::CnLandline),
        protect: Protection::Fpe { format: "digits" },
        specificity: 0.75,
        noun: "landline numbers",
        hints: hints::LANDLINE,
        test: Some(is_landline),
    },
    Detector {
        target: K(Kind::Passport),
        protect: Protection::Encrypt,
        specificity: 0.75,
        noun: "PRC passport numbers",
        hints: hints::PASSPORT,
        test: Some(is_passport),
    },
    Detector {
        target: K(Kind::TravelPermit),
        protect: Protection::Encrypt,
        specificity: 0.7,
        noun: "HK/Macao/Taiwan permit numbers",
        hints: hints::TRAVEL_PERMIT,
        test: Some(is_travel_permit),
    },
    Detector {
        target: K(Kind::Address),
        protect: Protection::Mask {
            keep_prefix: 3,
            keep_suffix: 0,
        },
        specificity: 0.85,
        noun: "postal addresses",
        hints: hints::ADDRESS,
        test: Some(is_address),
    },
    Detector {
        target: K(Kind::PersonName),
        protect: Protection::Token,
        specificity: 0.75,
        noun: "person names",
        hints: hints::NAME,
        test: Some(is_person_name),
    },
    Detector {
        target: K(Kind::Ethnicity),
        protect: Protection::ByRole,
        specificity: 0.9,
        noun: "ethnic groups",
        hints: hints::ETHNICITY,
        test: Some(is_ethnicity),
    },
    Detector {
        target: K(Kind::Gender),
        protect: Protection::ByRole,
        specificity: 0.85,
        noun: "gender values",
        hints: hints::GENDER,
        test: Some(is_gender),
    },
    Detector {
        target: K(Kind::DateOfBirth),
        protect: Protection::GeneralizeDateToYear,
        specificity: 0.35,
        noun: "plausible birth dates",
        hints: hints::BIRTH,
        test: Some(is_birth_date),
    },
    Detector {
        target: K(Kind::Postcode),
        protect: Protection::ByRole,
        specificity: 0.4,
        noun: "6-digit postcodes",
        hints: hints::POSTCODE,
        test: Some(is_postcode),
    },
    Detector {
        target: K(Kind::Age),
        protect: Protection::ByRole,
        specificity: 0.3,
        noun: "whole numbers from 0 to 120",
        hints: hints::AGE,
        test: Some(is_age),
    },
    Detector {
        target: Cat(C::MedicalHealth),
        protect: Protection::ByRole,
        specificity: 0.8,
        noun: "diagnoses, health terms or ICD-10 codes",
        hints: hints::HEALTH,
        test: Some(is_health),
    },
    Detector {
        target: Cat(C::ReligiousBelief),
        protect: Protection::ByRole,
        specificity: 0.85,
        noun: "religious beliefs",
        hints: hints::RELIGION,
        test: Some(is_religion),
    },
    Detector {
        target: Cat(C::SpecificIdentity),
        protect: Protection::ByRole,
        specificity: 0.8,
        noun: "specific identities (disability, criminal record)",
        hints: hints::IDENTITY,
        test: Some(is_specific_identity),
    },
    Detector {
        target: Cat(C::Whereabouts),
        protect: Protection::ByRole,
        specificity: 0.9,
        noun: "latitude/longitude pairs",
        hints: hints::LOCATION,
        test: Some(is_lat_lng_pair),
    },
    Detector {
        target: Cat(C::Biometric),
        protect: Protection::ByRole,
        specificity: 0.0,
        noun: "",
        hints: hints::BIOMETRIC,
        test: None,
    },
];

/// The confidence a header hint gives on its own, where no value test exists.
pub const HINT_ONLY_CONFIDENCE: f64 = 0.6;

/// One detector's result on one column.
#[derive(Clone, Debug)]
pub struct Hit {
    pub target: Target,
    pub matched: u64,
    pub of: u64,
    pub confidence: f64,
    pub hint: Option<&'static str>,
    pub sentence: String,
}

/// Thousands separators for counts in evidence sentences.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn combine(share: f64, specificity: f64, hinted: bool) -> f64 {
    let v = share * specificity;
    if hinted && share >= 0.5 {
        v + (1.0 - v) * 0.5
    } else {
        v
    }
}

fn applies(d: &Detector, ty: ValueType) -> bool {
    match d.target {
        K(Kind::Age) => ty == ValueType::Integer,
        K(Kind::DateOfBirth) => matches!(ty, ValueType::Date | ValueType::Categorical),
        _ => !matches!(ty, ValueType::Float | ValueType::Datetime) || d.test.is_none(),
    }
}

/// Runs every detector on a column and returns the hits worth reporting, best first.
pub fn detect(col: &Column, values: &Distinct<'_>, opts: &ScanOptions) -> Vec<Hit> {
    detect_with(DETECTORS, col, values, opts)
}

/// Runs the given detectors (the built-in ones, or others) on one column's distinct values.
pub fn detect_with(
    detectors: &[Detector],
    col: &Column,
    values: &Distinct<'_>,
    opts: &ScanOptions,
) -> Vec<Hit> {
    let all: Vec<usize> = (0..values.len()).collect();
    let sample: Vec<usize> = if values.len() <= opts.sample_size {
        all.clone()
    } else {
        let mut s = datavisa_table::sample_indices(values.len(), opts.sample_size, opts.seed);
        s.sort_unstable();
        s
    };
    let distinct_rows = values.len() as u64;
    let mut hits = Vec::new();
    for d in detectors.iter().filter(|d| applies(d, col.value_type)) {
        let hint = hint::matches(&col.name, d.hints);
        let Some(test) = d.test else {
            if let Some(h) = hint {
                hits.push(Hit {
                    target: d.target,
                    matched: 0,
                    of: 0,
                    confidence: HINT_ONLY_CONFIDENCE,
                    hint,
                    sentence: format!(
                        "header {:?} names {} data ({h})",
                        col.name,
                        target_name(d.target)
                    ),
                });
            }
            continue;
        };
        let (m, n) = values.weighted(&sample, test);
        let sample_share = if n == 0 { 0.0 } else { m as f64 / n as f64 };
        if sample_share < 0.2 && hint.is_none() {
            continue;
        }
        let (matched, of) = if sample.len() == all.len() {
            (m, n)
        } else {
            values.weighted(&all, test)
        };
        if of == 0 {
            continue;
        }
        let share = matched as f64 / of as f64;
        let mut specificity = d.specificity;
        // A few names repeated many times are more likely places or brands than people.
        if d.target == K(Kind::PersonName)
            && distinct_rows < 20
            && (distinct_rows as f64) < 0.5 * of as f64
        {
            specificity *= 0.4;
        }
        if d.target == K(Kind::Gender) && distinct_rows > 4 {
            specificity *= 0.5;
        }
        let confidence = combine(share, specificity, hint.is_some());
        let mut sentence = format!(
            "{} of {} values are {}",
            thousands(matched),
            thousands(of),
            d.noun
        );
        match hint {
            Some(_) if share >= 0.5 => sentence.push_str(&format!("; header {:?}", col.name)),
            Some(_) => sentence.push_str(&format!(
                "; header {:?} suggests {} but the values do not agree",
                col.name,
                target_name(d.target)
            )),
            None => {}
        }
        hits.push(Hit {
            target: d.target,
            matched,
            of,
            confidence,
            hint,
            sentence,
        });
    }
    hits.sort_by(|a, b| b.confidence.total_cmp(&a.confidence));
    hits
}

/// The name of a detection target.
pub fn target_name(t: Target) -> &'static str {
    match t {
        K(k) => k.as_str(),
        Cat(c) => c.as_str(),
    }
}

/// Rows of people under 14 on the reference date, judged from resident IDs or birth dates.
pub fn minors(values: &Distinct<'_>, kind: Kind, reference: i64) -> u64 {
    let (ry, rm, rd) = datavisa_table::date::civil_from_days(reference);
    let under14 = |birth: i64| {
        let (y, m, d) = datavisa_table::date::civil_from_days(birth);
        birth <= reference && (y + 14, m, d) > (ry, rm, rd)
    };
    let all: Vec<usize> = (0..values.len()).collect();
    values
        .weighted(&all, |v| {
            let birth = match kind {
                Kind::CnResidentId => resident_id_birth(v),
                _ => parse_date(v),
            };
            birth.is_some_and(under14)
        })
        .0
}

/// Rows per kind and per category found inside free text.
pub type InsideCounts = (Vec<(Kind, u64)>, Vec<(SensitiveCategory, u64)>);

/// Rows of free text holding each kind or category, over all distinct values.
pub fn inside_counts(values: &Distinct<'_>) -> InsideCounts {
    let found: Vec<(Inside, u64)> = (0..values.len())
        .into_par_iter()
        .with_min_len(64)
        .filter_map(|i| {
            let (v, n) = values.get(i);
            let f = find_inside(v);
            (n > 0 && (!f.kinds.is_empty() || !f.categories.is_empty())).then_some((f, n))
        })
        .collect();
    let mut kinds: Vec<(Kind, u64)> = Vec::new();
    let mut cats: Vec<(SensitiveCategory, u64)> = Vec::new();
    for (f, n) in found {
        for k in f.kinds {
            match kinds.iter_mut().find(|x| x.0 == k) {
                Some(x) => x.1 += n,
                None => kinds.push((k, n)),
            }
        }
        for c in f.categories {
            match cats.iter_mut().find(|x| x.0 == c) {
                Some(x) => x.1 += n,
                None => cats.push((c, n)),
            }
        }
    }
    kinds.sort();
    cats.sort();
    (kinds, cats)
}

#[cfg(test)]
mod protection_tests {
    use super::*;

    /// Every kind gets its default protection from exactly one place: a detector or a scan rule.
    #[test]
    fn every_kind_has_one_default_protection() {
        for k in Kind::ALL {
            let detectors = DETECTORS
                .iter()
                .filter(|d| d.target == Target::Kind(k))
                .count();
            let rules = RULE_KINDS.iter().filter(|r| r.0 == k).count();
            assert_eq!(detectors + rules, 1, "{k:?}");
            assert_eq!(Kind::parse(k.as_str()), Some(k));
        }
    }
}
