//! Deterministic, seeded sampling and train/control splits (the same seed gives the same rows on
//! any machine and any number of threads).

use rand::seq::index;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

/// The random generator every seeded step of datavisa uses.
pub fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

/// `k` distinct row indices out of `n`, in random order (all of them, shuffled, if `k >= n`).
pub fn sample_indices(n: usize, k: usize, seed: u64) -> Vec<usize> {
    let mut r = rng(seed);
    index::sample(&mut r, n, k.min(n)).into_vec()
}

/// A partition of rows into a training part (given to the twin maker) and a control part (kept
/// back as the attack baseline).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Split {
    pub train: Vec<usize>,
    pub control: Vec<usize>,
}

/// Splits `n` rows into `n_control` control rows and the rest, both sorted ascending.
pub fn split_indices(n: usize, n_control: usize, seed: u64) -> Split {
    let mut is_control = vec![false; n];
    for i in sample_indices(n, n_control, seed) {
        is_control[i] = true;
    }
    let (control, train): (Vec<usize>, Vec<usize>) = (0..n).partition(|&i| is_control[i]);
    Split { train, control }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn same_seed_same_sample() {
        assert_eq!(sample_indices(1000, 10, 7), sample_indices(1000, 10, 7));
        assert_ne!(sample_indices(1000, 10, 7), sample_indices(1000, 10, 8));
        assert_eq!(sample_indices(5, 10, 1).len(), 5);
    }

    proptest! {
        #[test]
        fn split_is_a_partition(n in 0usize..500, frac in 0.0f64..1.0, seed: u64) {
            let k = (n as f64 * frac) as usize;
            let s = split_indices(n, k, seed);
            prop_assert_eq!(s.control.len(), k);
            prop_assert_eq!(s.train.len() + s.control.len(), n);
            let mut all: Vec<usize> = s.train.iter().chain(&s.control).copied().collect();
            all.sort();
            prop_assert_eq!(all, (0..n).collect::<Vec<_>>());
        }
    }
}
