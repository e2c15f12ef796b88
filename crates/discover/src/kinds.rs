//! The kinds of personal information and the PIPL sensitive categories `scan` reports.

use serde::Serialize;

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

impl Kind {
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
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
