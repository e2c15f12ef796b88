//! Drawing synthetic rows from a fitted model along its junction tree by randomised rounding:
//! each group of rows that agree on the conditioning attributes receives the attribute's values
//! in proportion to the model's conditional, floors first and the remaining units at random by
//! fractional part — and the values are shuffled inside the group, so no value depends on a
//! row's position (the `mbi` 1.1.0 bug the spec measured).

use super::factor::{sum_by_map, Scope};
use super::model::Model;
use crate::error::{Result, TwinError};
use rand::seq::SliceRandom;
use rand::Rng;

/// `rows` synthetic rows of codes (one vector per attribute), in random order. `stopped` is
/// asked before each attribute is drawn; when it says stop the draw ends cancelled.
pub fn sample<R: Rng>(
    model: &Model,
    rows: usize,
    rng: &mut R,
    stopped: &dyn Fn() -> bool,
) -> Result<Vec<Vec<u32>>> {
    let d = model.sizes.len();
    let mut out: Vec<Option<Vec<u32>>> = vec![None; d];
    let jt = &model.jt;
    for &i in &jt.order {
        let clique = &jt.cliques[i];
        let probs = model.clique_probabilities(i);
        for &a in &clique.attrs {
            if out[a].is_some() {
                continue;
            }
            if stopped() {
                return Err(TwinError::Cancelled);
            }
            let cond: Vec<usize> = clique
                .attrs
                .iter()
                .copied()
                .filter(|&b| out[b].is_some())
                .collect();
            let mut attrs = cond.clone();
            attrs.push(a);
            let scope = Scope::new(&attrs, &model.sizes);
            let joint = sum_by_map(probs, &clique.index_map(&scope), scope.clone()).values;
            let values = draw(model, &cond, a, &scope, &joint, &out, rows, rng);
            out[a] = Some(values);
        }
    }
    let mut cols: Vec<Vec<u32>> = out
        .into_iter()
        .map(|c| c.expect("every attribute sampled"))
        .collect();
    let mut perm: Vec<usize> = (0..rows).collect();
    perm.shuffle(rng);
    for c in cols.iter_mut() {
        *c = perm.iter().map(|&r| c[r]).collect();
    }
    Ok(cols)
}

/// Values of attribute `a` for every row, given the already drawn attributes `cond`.
#[allow(clippy::too_many_arguments)]
fn draw<R: Rng>(
    model: &Model,
    cond: &[usize],
    a: usize,
    scope: &Scope,
    joint: &[f64],
    drawn: &[Option<Vec<u32>>],
    rows: usize,
    rng: &mut R,
) -> Vec<u32> {
    let k = model.sizes[a];
    // Group index of each row: its cell over the conditioning attributes (row-major, sorted).
    let cond_scope = Scope::new(cond, &model.sizes);
    let mut group = vec![0u32; rows];
    let mut stride = 1usize;
    for (attr, size) in cond_scope.attrs.iter().zip(&cond_scope.sizes).rev() {
        let codes = drawn[*attr].as_ref().expect("drawn");
        for (g, &c) in group.iter_mut().zip(codes) {
            *g += (c as usize * stride) as u32;
        }
        stride *= size;
    }
    let n_groups = cond_scope.cells();
    // Rows of each group (counting sort keeps it linear).
    let mut starts = vec![0usize; n_groups + 1];
    for &g in &group {
        starts[g as usize + 1] += 1;
    }
    for i in 0..n_groups {
        starts[i + 1] += starts[i];
    }
    let mut pos = starts.clone();
    let mut members = vec![0usize; rows];
    for (r, &g) in group.iter().enumerate() {
        members[pos[g as usize]] = r;
        pos[g as usize] += 1;
    }
    // The conditional of `a` in group g: joint cells over (cond ∪ a) in sorted order.
    let map = scope.index_map(&cond_scope);
    let a_pos = scope
        .attrs
        .iter()
        .position(|&x| x == a)
        .expect("a in scope");
    let a_stride: usize = scope.sizes[a_pos + 1..].iter().product();
    let mut conditional = vec![vec![0.0; k]; n_groups];
    for (cell, &p) in joint.iter().enumerate() {
        let v = (cell / a_stride) % k;
        conditional[map[cell] as usize][v] += p;
    }
    let mut out = vec![0u32; rows];
    for g in 0..n_groups {
        let rows_g = &members[starts[g]..starts[g + 1]];
        if rows_g.is_empty() {
            continue;
        }
        let mut values = round(&conditional[g], rows_g.len(), rng);
        values.shuffle(rng);
        for (&r, v) in rows_g.iter().zip(values) {
            out[r] = v;
        }
    }
    out
}

/// n values distributed as `p` by randomised rounding: floor(n p) of each, the rest drawn
/// without replacement with weight equal to the fractional parts.
pub fn round<R: Rng>(p: &[f64], n: usize, rng: &mut R) -> Vec<u32> {
    let total: f64 = p.iter().sum();
    let uniform = !(total > 0.0 && total.is_finite());
    let expected: Vec<f64> = p
        .iter()
        .map(|&x| {
            if uniform {
                n as f64 / p.len() as f64
            } else {
                n as f64 * x / total
            }
        })
        .collect();
    let mut counts: Vec<usize> = expected.iter().map(|e| e.floor() as usize).collect();
    let assigned: usize = counts.iter().sum();
    let mut frac: Vec<f64> = expected
        .iter()
        .zip(&counts)
        .map(|(e, c)| e - *c as f64)
        .collect();
    for _ in assigned..n {
        let sum: f64 = frac.iter().sum();
        let pick = if sum > 0.0 {
            let mut u = rng.random::<f64>() * sum;
            let mut j = frac.len() - 1;
            for (i, f) in frac.iter().enumerate() {
                if u < *f {
                    j = i;
                    break;
                }
                u -= f;
            }
            j
        } else {
            rng.random_range(0..p.len())
        };
        counts[pick] += 1;
        frac[pick] = 0.0;
    }
    let mut values = Vec::with_capacity(n);
    for (v, &c) in counts.iter().enumerate() {
        values.extend(std::iter::repeat_n(v as u32, c));
    }
    values
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn rounding_keeps_counts_within_one_of_expectation() {
        let mut r = rand_chacha::ChaCha20Rng::seed_from_u64(3);
        let p = [0.5, 0.3, 0.2, 0.0];
        for n in [0, 1, 7, 1000] {
            let v = round(&p, n, &mut r);
            assert_eq!(v.len(), n);
            for (k, &pk) in p.iter().enumerate() {
                let c = v.iter().filter(|&&x| x == k as u32).count() as f64;
                assert!((c - pk * n as f64).abs() < 1.0 + 1e-9, "{n} {k}: {c}");
            }
        }
        assert_eq!(round(&[0.0, 0.0], 4, &mut r).len(), 4);
    }

    /// The mbi 1.1.0 bug: values handed out in row order make unrelated columns correlated.
    /// Here a and c are independent given nothing; their sampled joint must be near-product.
    #[test]
    fn sampled_columns_carry_no_row_order_correlation() {
        let sizes = [4, 3, 5];
        let mut m = Model::new(&sizes, &[vec![0, 1]], 20_000.0);
        // Uniform model: every pair is independent.
        let mut r = rand_chacha::ChaCha20Rng::seed_from_u64(5);
        let cols = sample(&m, 20_000, &mut r, &|| false).unwrap();
        let mut joint = [0.0f64; 20];
        for i in 0..20_000 {
            joint[cols[0][i] as usize * 5 + cols[2][i] as usize] += 1.0;
        }
        let tvd: f64 = joint
            .iter()
            .map(|c| (c / 20_000.0 - 1.0 / 20.0).abs())
            .sum::<f64>()
            / 2.0;
        assert!(tvd < 0.03, "{tvd}");
        // The first rows are not all the first category.
        assert!(cols[0][..50].iter().any(|&x| x != 0));
        m.total = 10.0;
    }
}
