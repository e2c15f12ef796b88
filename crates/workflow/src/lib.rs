//! datavisa's use cases behind one [`Workspace`]: inspect and scan, twins, attacks, assessments,
//! visas, relinking, the ledger and plans, reports and the demo. The CLI, the HTTP service and
//! the Python package are thin front ends over these functions, so all three give the same
//! numbers and the same refusals.

pub mod assess;
pub mod attack;
pub mod attest;
pub mod certificate;
pub mod datasets;
pub mod demo;
pub mod error;
pub mod evidence;
pub mod frames;
pub mod guard;
pub mod hierarchy;
pub mod import;
pub mod inspect;
pub mod jobs;
pub mod ledger;
pub mod legal;
pub mod people;
pub mod pipia;
pub mod read;
pub mod relinks;
pub mod report;
pub mod secrets;
pub mod sensitivity;
pub mod split;
pub mod team;
pub mod twins;
pub mod users;
pub mod vault;
pub mod workspace;

/// What a scan reports, and how it is tuned.
pub use datavisa_discover::{ScanOptions, ScanReport};
/// The message catalogue and languages, for front ends that print in either language.
pub use datavisa_i18n as i18n;
/// Secrets are handed to the workspace as zeroized passphrases.
pub use datavisa_vault::{KdfParams, Passphrase};
pub use error::{Context, Error, ErrorKind, Result};
pub use evidence::{input_evidence, tool, write_json, InputEvidence, Tool};
pub use read::{day_of, load, read_options, ReadRequest};
pub use workspace::{
    check_store, Clock, FixedClock, NoProgress, NoSecrets, Origin, Progress, Secrets, SystemClock,
    Task, TaskGuard, Workspace,
};

/// The risk crate's parameter and result types, for front ends that build requests.
pub mod risk {
    pub use datavisa_risk::classic::{ClassicParams, ClassicReport};
    pub use datavisa_risk::inference::SecretKind;
    pub use datavisa_risk::singling_out::{Denominator, Mode};
    pub use datavisa_risk::{AttackResult, Risk, SuccessRate};
}

/// Mechanism, rule and status names as catalogue messages, for front ends.
pub mod words {
    pub use datavisa_ledger::words::{code_msg, mechanism_msg, rule_msg};
}

/// The verdict crate's parameter types, for front ends that build requests.
pub mod verdict {
    pub use datavisa_verdict::figures::{figure_msg, source_msg};
    pub use datavisa_verdict::{AssessParams, Assessment, Verdict};
}
