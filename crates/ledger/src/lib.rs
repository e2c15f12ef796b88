//! The transfer ledger: exporters, recipients, transfers and the distinct people in them
//! (keyed hashes only), the outbound-mechanism rules as data, the planner, filings and their
//! working-day deadlines.

pub mod error;
pub mod export;
pub mod filings;
pub mod plan;
pub mod record;
pub mod store;
pub mod words;

pub use error::{LedgerError, Result};
pub use plan::{Decision, Facts, Plan, PlanRequest, Rules};
pub use record::{Counts, Hashed, People, PersonHash, Recorded, TransferFacts};
pub use store::{Exporter, Ledger, Recipient};
