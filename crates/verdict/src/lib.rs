//! Verdicts: recipient profiles and the policy from the spec, the assessment of a twin from one
//! recipient's position, the decision (`anonymized` as to that recipient, `de_identified`,
//! `personal`) with its reasons, and the visa register with its lifecycle.

pub mod assess;
pub mod attacks;
pub mod attest;
pub mod derive;
pub mod error;
pub mod figures;
pub mod policy;
pub mod profile;
pub mod register;
pub mod release;
pub mod sequential;

pub use assess::{
    assess, assess_with, decide, AssessInput, AssessParams, Assessment, Check, KeyState, Verdict,
};
pub use error::{Result, VerdictError};
pub use policy::{policy, Criterion, Policy, Threshold};
pub use profile::{recipient, recipients, Capability, Context, Recipient};
pub use release::{load_release, Release, TwinKind};
