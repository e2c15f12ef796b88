//! Dense factors over small sets of attributes: values in row-major order over the attributes'
//! codes (the last attribute varies fastest), with projection and broadcasting by index maps.

/// Attributes (sorted, distinct) and their domain sizes.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Scope {
    pub attrs: Vec<usize>,
    pub sizes: Vec<usize>,
}

impl Scope {
    /// The scope of `attrs` (any order) under the domain `sizes` of all attributes.
    pub fn new(attrs: &[usize], all_sizes: &[usize]) -> Scope {
        let mut a = attrs.to_vec();
        a.sort_unstable();
        a.dedup();
        let sizes = a.iter().map(|&i| all_sizes[i]).collect();
        Scope { attrs: a, sizes }
    }

    /// Number of cells (1 for the empty scope).
    pub fn cells(&self) -> usize {
        self.sizes.iter().product()
    }

    /// True when every attribute of `other` is in this scope.
    pub fn contains(&self, other: &[usize]) -> bool {
        other.iter().all(|a| self.attrs.binary_search(a).is_ok())
    }

    /// For each cell of this scope, the cell of `sub` (whose attributes are a subset) it falls in.
    pub fn index_map(&self, sub: &Scope) -> Vec<u32> {
        // Stride in `sub` of each of our attributes (0 when `sub` lacks it).
        let mut sub_stride = vec![0usize; self.attrs.len()];
        let mut stride = 1;
        for (j, a) in sub.attrs.iter().enumerate().rev() {
            let i = self.attrs.binary_search(a).expect("sub-scope");
            sub_stride[i] = stride;
            stride *= sub.sizes[j];
        }
        let cells = self.cells();
        let mut out = Vec::with_capacity(cells);
        let mut digit = vec![0usize; self.attrs.len()];
        let mut idx = 0usize;
        for _ in 0..cells {
            out.push(idx as u32);
            // Odometer increment from the last attribute.
            for i in (0..digit.len()).rev() {
                digit[i] += 1;
                idx += sub_stride[i];
                if digit[i] < self.sizes[i] {
                    break;
                }
                idx -= sub_stride[i] * digit[i];
                digit[i] = 0;
            }
        }
        out
    }

    /// The union of two scopes.
    pub fn union(&self, other: &Scope) -> Scope {
        let mut attrs = self.attrs.clone();
        let mut sizes = self.sizes.clone();
        for (a, s) in other.attrs.iter().zip(&other.sizes) {
            if let Err(p) = attrs.binary_search(a) {
                attrs.insert(p, *a);
                sizes.insert(p, *s);
            }
        }
        Scope { attrs, sizes }
    }

    /// The attributes of this scope that are in `keep`.
    pub fn restrict(&self, keep: &[usize]) -> Scope {
        let (attrs, sizes) = self
            .attrs
            .iter()
            .zip(&self.sizes)
            .filter(|(a, _)| keep.contains(a))
            .map(|(a, s)| (*a, *s))
            .unzip();
        Scope { attrs, sizes }
    }
}

/// A factor: a scope and one value per cell.
#[derive(Clone, Debug)]
pub struct Factor {
    pub scope: Scope,
    pub values: Vec<f64>,
}

impl Factor {
    /// A factor filled with `v`.
    pub fn filled(scope: Scope, v: f64) -> Factor {
        let values = vec![v; scope.cells()];
        Factor { scope, values }
    }

    /// Sum over the attributes not in `to`.
    pub fn sum_to(&self, to: &Scope) -> Factor {
        sum_by_map(&self.values, &self.scope.index_map(to), to.clone())
    }

    /// log-sum-exp over the attributes not in `to` (values are logs).
    pub fn logsumexp_to(&self, to: &Scope) -> Factor {
        let mut out = vec![0.0; to.cells()];
        logsumexp_by_map(&self.values, &self.scope.index_map(to), &mut out);
        Factor {
            scope: to.clone(),
            values: out,
        }
    }

    /// This factor broadcast over a larger scope.
    pub fn expand_to(&self, to: &Scope) -> Factor {
        let map = to.index_map(&self.scope);
        Factor {
            scope: to.clone(),
            values: map.iter().map(|&j| self.values[j as usize]).collect(),
        }
    }

    /// The sum of two log factors (a product in probability space) over the union scope.
    pub fn add(&self, other: &Factor) -> Factor {
        let scope = self.scope.union(&other.scope);
        let mut a = self.expand_to(&scope);
        let b_map = scope.index_map(&other.scope);
        for (v, &j) in a.values.iter_mut().zip(&b_map) {
            *v += other.values[j as usize];
        }
        a
    }
}

/// Sums `values` into the cells named by `map`.
pub fn sum_by_map(values: &[f64], map: &[u32], to: Scope) -> Factor {
    let mut out = vec![0.0; to.cells()];
    for (v, &j) in values.iter().zip(map) {
        out[j as usize] += v;
    }
    Factor {
        scope: to,
        values: out,
    }
}

/// log-sum-exp of `values` into the cells named by `map` (written into `out`).
pub fn logsumexp_by_map(values: &[f64], map: &[u32], out: &mut [f64]) {
    let mut max = vec![f64::NEG_INFINITY; out.len()];
    for (v, &j) in values.iter().zip(map) {
        let m = &mut max[j as usize];
        if *v > *m {
            *m = *v;
        }
    }
    out.iter_mut().for_each(|o| *o = 0.0);
    for (v, &j) in values.iter().zip(map) {
        let m = max[j as usize];
        if m > f64::NEG_INFINITY {
            out[j as usize] += (v - m).exp();
        }
    }
    for (o, m) in out.iter_mut().zip(&max) {
        *o = if *m == f64::NEG_INFINITY {
            f64::NEG_INFINITY
        } else {
            m + o.ln()
        };
    }
}

/// log-sum-exp of a whole slice.
pub fn logsumexp(values: &[f64]) -> f64 {
    let m = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if m == f64::NEG_INFINITY {
        return m;
    }
    m + values.iter().map(|v| (v - m).exp()).sum::<f64>().ln()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_maps_project_row_major_cells() {
        let sizes = [2, 3, 4];
        let abc = Scope::new(&[0, 1, 2], &sizes);
        let ac = Scope::new(&[2, 0], &sizes);
        let map = abc.index_map(&ac);
        for a in 0..2 {
            for b in 0..3 {
                for c in 0..4 {
                    assert_eq!(map[a * 12 + b * 4 + c] as usize, a * 4 + c);
                }
            }
        }
        let empty = Scope::new(&[], &sizes);
        assert!(abc.index_map(&empty).iter().all(|&j| j == 0));
        assert_eq!(empty.cells(), 1);
    }

    #[test]
    fn projection_broadcast_and_logsumexp_agree() {
        let sizes = [2, 3];
        let ab = Scope::new(&[0, 1], &sizes);
        let f = Factor {
            scope: ab.clone(),
            values: vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
        };
        let b = Scope::new(&[1], &sizes);
        assert_eq!(f.sum_to(&b).values, vec![5.0, 7.0, 9.0]);
        let logs = Factor {
            scope: ab.clone(),
            values: f.values.iter().map(|v: &f64| v.ln()).collect(),
        };
        let l = logs.logsumexp_to(&b);
        for (x, y) in l.values.iter().zip([5.0f64, 7.0, 9.0]) {
            assert!((x - y.ln()).abs() < 1e-12);
        }
        let a = Factor {
            scope: Scope::new(&[0], &sizes),
            values: vec![10.0, 20.0],
        };
        let sum = a.add(&Factor {
            scope: b,
            values: vec![1.0, 2.0, 3.0],
        });
        assert_eq!(sum.values, vec![11.0, 12.0, 13.0, 21.0, 22.0, 23.0]);
        assert!((logsumexp(&[0.0, 0.0]) - 2f64.ln()).abs() < 1e-12);
    }
}
