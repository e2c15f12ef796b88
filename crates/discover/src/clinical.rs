//! Health data a diagnosis vocabulary does not catch: clinical severity, mortality risk,
//! diagnosis and procedure codes (ICD-10, ICD-9-CM, CCS, DRG), admission types, length of stay,
//! medication and wards, from English and Chinese headers, with the values' agreement where they
//! can give it. Words that also name ordinary business columns ("Department", "Ward") count only
//! when the values are clinical too.

use crate::detect::{thousands, Distinct};
use crate::hint;
use crate::vocab::{ADMISSION_TYPES, CLINICAL_DEPARTMENTS, SEVERITY_GRADES};

/// A value test and what matching values are called in the evidence.
type ValueTest = (fn(&str) -> bool, &'static str);

/// One family of health columns.
struct Clinical {
    /// What the column holds, for the evidence.
    what: &'static str,
    headers: &'static [&'static str],
    /// A value test and what matching values are.
    values: Option<ValueTest>,
    /// The header alone is not enough: the values must agree.
    needs_values: bool,
}

const FAMILIES: &[Clinical] = &[
    Clinical {
        what: "clinical severity",
        headers: &["severity_of_illness", "illness_severity", "病情", "危重"],
        values: Some((is_severity_grade, "severity grades")),
        needs_values: false,
    },
    Clinical {
        what: "mortality risk",
        headers: &["risk_of_mortality", "mortality", "死亡风险", "死亡率"],
        values: Some((is_severity_grade, "risk grades")),
        needs_values: false,
    },
    Clinical {
        what: "a diagnosis",
        headers: &[
            "diagnos",
            "ccs_diagnosis",
            "icd",
            "drg",
            "mdc",
            "诊断",
            "疾病编码",
            "病种",
        ],
        values: Some((crate::validate::is_icd10, "ICD-10 codes")),
        needs_values: false,
    },
    Clinical {
        what: "a procedure",
        headers: &[
            "procedure_code",
            "procedure_description",
            "ccs_procedure",
            "icd9",
            "icd_9",
            "手术",
            "操作编码",
            "操作名称",
        ],
        values: Some((is_icd9_procedure, "ICD-9-CM procedure codes")),
        needs_values: false,
    },
    Clinical {
        what: "the type of admission",
        headers: &[
            "type_of_admission",
            "admission_type",
            "入院方式",
            "入院类型",
            "入院途径",
        ],
        values: Some((is_admission_type, "admission types")),
        needs_values: false,
    },
    Clinical {
        what: "a length of stay",
        headers: &["length_of_stay", "住院天数", "住院日数", "住院时长"],
        values: None,
        needs_values: false,
    },
    Clinical {
        what: "medication",
        headers: &["medication", "drug", "药品", "用药", "药物", "处方"],
        values: None,
        needs_values: false,
    },
    Clinical {
        what: "a ward or clinical department",
        headers: &["ward", "department", "dept", "科室", "病区", "病房"],
        values: Some((is_clinical_department, "clinical departments")),
        needs_values: true,
    },
];

/// Confidence of a header alone; values that agree raise it up to 0.9.
const HEADER_CONFIDENCE: f64 = 0.6;

/// A health finding: confidence and the evidence sentence.
pub struct ClinicalHit {
    pub confidence: f64,
    pub sentence: String,
}

/// The health family a column's header (and values) belong to, if any.
pub fn clinical(header: &str, values: &Distinct<'_>) -> Option<ClinicalHit> {
    let all: Vec<usize> = (0..values.len()).collect();
    FAMILIES.iter().find_map(|f| {
        let word = hint::matches(header, f.headers)?;
        let agree = f.values.map(|(test, noun)| {
            let (m, n) = values.weighted(&all, test);
            (m, n, noun)
        });
        let share = agree.map_or(
            0.0,
            |(m, n, _)| if n == 0 { 0.0 } else { m as f64 / n as f64 },
        );
        if f.needs_values && share < 0.5 {
            return None;
        }
        let mut sentence = format!("header {header:?} names {} ({word})", f.what);
        if let Some((m, n, noun)) = agree.filter(|_| share >= 0.5) {
            sentence.push_str(&format!(
                "; {} of {} values are {noun}",
                thousands(m),
                thousands(n)
            ));
        }
        Some(ClinicalHit {
            confidence: if share >= 0.5 {
                HEADER_CONFIDENCE + 0.3 * share
            } else {
                HEADER_CONFIDENCE
            },
            sentence,
        })
    })
}

/// The value with a leading grade number taken off ("3 - Major" → "major"), lower case.
fn grade_word(s: &str) -> String {
    let t = s.trim();
    let t = t
        .split_once(" - ")
        .filter(|(n, _)| n.trim().bytes().all(|b| b.is_ascii_digit()))
        .map_or(t, |(_, w)| w);
    t.trim().to_lowercase()
}

/// True for a severity or risk grade ("Minor", "3 - Major", "重度").
pub fn is_severity_grade(s: &str) -> bool {
    SEVERITY_GRADES.contains(&grade_word(s).as_str())
}

/// True for a type of admission ("Emergency", "Elective", "急诊").
pub fn is_admission_type(s: &str) -> bool {
    ADMISSION_TYPES.contains(&grade_word(s).as_str())
}

/// True for a clinical department or ward ("心内科一病区", "Cardiology").
pub fn is_clinical_department(s: &str) -> bool {
    let lower = s.to_lowercase();
    CLINICAL_DEPARTMENTS.iter().any(|d| lower.contains(d))
}

/// True for an ICD-9-CM procedure code: two digits, optionally a point and one or two more.
pub fn is_icd9_procedure(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |r: &[u8]| r.iter().all(u8::is_ascii_digit);
    match b.len() {
        4 | 5 => b[2] == b'.' && digits(&b[..2]) && digits(&b[3..]),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_tests() {
        assert!(is_severity_grade("Minor") && is_severity_grade("3 - Major"));
        assert!(is_severity_grade("重度") && !is_severity_grade("Manager"));
        assert!(is_admission_type("Emergency") && is_admission_type("急诊"));
        assert!(!is_admission_type("Online"));
        assert!(is_clinical_department("心内科一病区") && is_clinical_department("Cardiology"));
        assert!(!is_clinical_department("Sales") && !is_clinical_department("财务部"));
        assert!(is_icd9_procedure("45.13") && is_icd9_procedure("99.0"));
        assert!(!is_icd9_procedure("4513") && !is_icd9_procedure("12.50.1"));
    }
}
