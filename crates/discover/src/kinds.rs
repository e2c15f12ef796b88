//! The kinds of personal information and the PIPL sensitive categories `scan` reports.

use serde::{Deserialize, Serialize};

/// What kind of personal information a column holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    CnResidentId,
    CnMobile,
    CnLandline,
    Email,
    BankCard,
    IpAddress,
    Imei,
    Passport,
    TravelPermit,
    CnUscc,
    LicensePlate,
    PersonName,
    Address,
    DateOfBirth,
    Postcode,
    Gender,
    Ethnicity,
    Age,
    FreeText,
    InternalId,
}

/// How a pseudonymized twin protects a column of a kind when nobody said otherwise. The `twin`
/// crate turns each into its method; every detector names one, so a new kind cannot go
/// unprotected by omission.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "method")]
pub enum Protection {
    /// Format-preserving encryption in the named format (keeps the shape, reversible).
    Fpe {
        /// `cn_resident_id`, `cn_mobile`, `bank_card`, `imei` or `digits`.
        format: &'static str,
    },
    /// A keyed pseudonym (relinkable through the vault's token index).
    Token,
    /// Deterministic authenticated encryption (reversible with the key).
    Encrypt,
    /// Everything but the first `keep_prefix` and last `keep_suffix` characters masked.
    Mask {
        /// Characters kept at the start.
        keep_prefix: usize,
        /// Characters kept at the end.
        keep_suffix: usize,
    },
    /// Dates coarsened to the year.
    GeneralizeDateToYear,
    /// Left out of the twin (free text can hide anything).
    Drop,
    /// No default of its own: a quasi-identifier or sensitive value, kept unless the spec's
    /// role says identifier (then tokenized).
    ByRole,
}

impl Kind {
    /// Every kind.
    pub const ALL: [Kind; 20] = [
        Kind::CnResidentId,
        Kind::CnMobile,
        Kind::CnLandline,
        Kind::Email,
        Kind::BankCard,
        Kind::IpAddress,
        Kind::Imei,
        Kind::Passport,
        Kind::TravelPermit,
        Kind::CnUscc,
        Kind::LicensePlate,
        Kind::PersonName,
        Kind::Address,
        Kind::DateOfBirth,
        Kind::Postcode,
        Kind::Gender,
        Kind::Ethnicity,
        Kind::Age,
        Kind::FreeText,
        Kind::InternalId,
    ];

    /// The kind a snake_case name names.
    pub fn parse(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// The snake_case name used in JSON and specs.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::CnResidentId => "cn_resident_id",
            Kind::CnMobile => "cn_mobile",
            Kind::CnLandline => "cn_landline",
            Kind::Email => "email",
            Kind::BankCard => "bank_card",
            Kind::IpAddress => "ip_address",
            Kind::Imei => "imei",
            Kind::Passport => "passport",
            Kind::TravelPermit => "travel_permit",
            Kind::CnUscc => "cn_uscc",
            Kind::LicensePlate => "license_plate",
            Kind::PersonName => "person_name",
            Kind::Address => "address",
            Kind::DateOfBirth => "date_of_birth",
            Kind::Postcode => "postcode",
            Kind::Gender => "gender",
            Kind::Ethnicity => "ethnicity",
            Kind::Age => "age",
            Kind::FreeText => "free_text",
            Kind::InternalId => "internal_id",
        }
    }

    /// True for kinds that name a person on their own.
    pub fn is_direct_identifier(self) -> bool {
        !matches!(
            self,
            Kind::DateOfBirth
                | Kind::Postcode
                | Kind::Gender
                | Kind::Ethnicity
                | Kind::Age
                | Kind::FreeText
        )
    }
}

/// PIPL Art. 28 sensitive personal information categories.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum SensitiveCategory {
    FinancialAccount,
    MedicalHealth,
    Biometric,
    ReligiousBelief,
    SpecificIdentity,
    Whereabouts,
    MinorsUnder14,
}

impl SensitiveCategory {
    /// The snake_case name used in JSON and specs.
    pub fn as_str(self) -> &'static str {
        match self {
            SensitiveCategory::FinancialAccount => "financial_account",
            SensitiveCategory::MedicalHealth => "medical_health",
            SensitiveCategory::Biometric => "biometric",
            SensitiveCategory::ReligiousBelief => "religious_belief",
            SensitiveCategory::SpecificIdentity => "specific_identity",
            SensitiveCategory::Whereabouts => "whereabouts",
            SensitiveCategory::MinorsUnder14 => "minors_under_14",
        }
    }
}
