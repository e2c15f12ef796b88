//! Risk: the attacks a recipient could run on a twin (singling out, linkability, inference, the
//! Anonymeter method with its bugs fixed), classic equivalence-class risk, population uniqueness
//! estimates, and utility measures.

pub mod classic;
pub mod distance;
pub mod error;
pub mod inference;
pub mod knn;
pub mod linkability;
pub mod population;
pub mod prepare;
pub mod query;
pub mod rates;
pub mod singling_out;
pub mod special;
pub mod utility;
pub mod watch;

pub use error::{Result, RiskError};
pub use prepare::{prepare, Prepared};
pub use rates::{AttackResult, Risk, SuccessRate};
pub use watch::{stop_when, Watch, Watcher};

use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

/// A seed for one named random step, derived from the run's master seed.
pub fn stream_seed(seed: u64, stream: u64) -> u64 {
    knn::mix(seed ^ knn::mix(stream.wrapping_add(0x6461_7461_7669_7361)))
}

/// The generator of one random step of a run (independent of every other step).
pub fn rng_stream(seed: u64, stream: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(stream_seed(seed, stream))
}
