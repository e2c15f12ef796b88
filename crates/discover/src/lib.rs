//! The `discover` room: recognises personal information column by column (with check digits
//! where they exist), PIPL Art. 28 sensitive categories, and proposes each column's role. Also
//! generates realistic fake people (`fake`) for the demo and for tests.

pub mod clinical;
pub mod detect;
pub mod fake;
pub mod hint;
pub mod kinds;
pub mod scan;
pub mod spans;
pub mod text;
pub mod validate;
pub mod vocab;

pub use detect::ScanOptions;
pub use kinds::{Kind, Protection, SensitiveCategory};
pub use scan::{scan, spec_draft, ColumnFinding, ScanReport};
