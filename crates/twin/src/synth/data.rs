//! The source as the mechanisms see it: columns of codes over the public domain. Its only window
//! on the data is a marginal (true counts, to be noised or scored by a mechanism); it has no row
//! count to hand out, so no estimate can read the true size of the table.

use super::model::Measurement;
use super::noise::DiscreteGaussian;
use crate::error::Result;
use rand::Rng;
use rayon::prelude::*;

/// Codes of the synthesized columns (secret: only marginals leave, through mechanisms).
pub struct SecretData {
    columns: Vec<Vec<u32>>,
    /// Cells per attribute.
    pub sizes: Vec<usize>,
}

impl SecretData {
    /// Data over `sizes` cells per attribute.
    pub fn new(columns: Vec<Vec<u32>>, sizes: Vec<usize>) -> SecretData {
        SecretData { columns, sizes }
    }

    /// True counts of the marginal on `clique` (sorted attributes), row-major.
    pub fn marginal(&self, clique: &[usize]) -> Vec<f64> {
        let mut strides = vec![0usize; clique.len()];
        let mut s = 1;
        for (i, &a) in clique.iter().enumerate().rev() {
            strides[i] = s;
            s *= self.sizes[a];
        }
        let cells = s;
        let n = self.columns.first().map_or(0, Vec::len);
        let chunk = 1 << 16;
        let partial = (0..n.div_ceil(chunk))
            .into_par_iter()
            .map(|c| {
                let (lo, hi) = (c * chunk, ((c + 1) * chunk).min(n));
                let mut counts = vec![0u32; cells];
                let mut idx = vec![0usize; hi - lo];
                for (&a, &st) in clique.iter().zip(&strides) {
                    for (x, &code) in idx.iter_mut().zip(&self.columns[a][lo..hi]) {
                        *x += code as usize * st;
                    }
                }
                for i in idx {
                    counts[i] += 1;
                }
                counts
            })
            .reduce(
                || vec![0u32; cells],
                |mut a, b| {
                    a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
                    a
                },
            );
        partial.into_iter().map(f64::from).collect()
    }

    /// Re-codes attribute `a` through `map` (old code → new code) into `size` cells.
    pub fn recode(&mut self, a: usize, map: &[u32], size: usize) {
        self.columns[a]
            .iter_mut()
            .for_each(|c| *c = map[*c as usize]);
        self.sizes[a] = size;
    }

    /// A Gaussian measurement of the marginal on `clique` with noise `sigma` per cell.
    pub fn measure<R: Rng>(
        &self,
        clique: &[usize],
        sigma: f64,
        rng: &mut R,
    ) -> Result<Measurement> {
        let g = DiscreteGaussian::new(sigma)?;
        let y = self
            .marginal(clique)
            .into_iter()
            .map(|c| c + g.sample(rng) as f64)
            .collect();
        Ok(Measurement {
            clique: clique.to_vec(),
            y,
            q: None,
            sigma: g.sigma,
        })
    }
}
