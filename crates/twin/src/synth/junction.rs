//! Junction trees: triangulate the graph of measured cliques by greedy elimination (smallest new
//! clique first, then least fill-in), keep the maximal elimination cliques, and join them by a
//! maximum-weight spanning tree on shared attributes (which has the running-intersection property).

use super::factor::Scope;

/// A junction tree over attributes `0..sizes.len()`.
#[derive(Clone, Debug)]
pub struct JunctionTree {
    /// Maximal cliques.
    pub cliques: Vec<Scope>,
    /// Parent of each clique (None for the root, clique 0).
    pub parent: Vec<Option<usize>>,
    /// Cliques in breadth-first order from the root.
    pub order: Vec<usize>,
    /// Separator with the parent (empty for the root).
    pub separator: Vec<Scope>,
    /// Attribute elimination order (reverse is a valid sampling order).
    pub elimination: Vec<usize>,
}

impl JunctionTree {
    /// The junction tree covering `cliques` (attribute sets) over domain `sizes`; every attribute
    /// appears in some clique even when no measured clique names it.
    pub fn build(cliques: &[Vec<usize>], sizes: &[usize]) -> JunctionTree {
        let d = sizes.len();
        let mut adj = vec![vec![false; d]; d];
        for c in cliques {
            for &a in c {
                for &b in c {
                    if a != b {
                        adj[a][b] = true;
                    }
                }
            }
        }
        let (elimination, elim_cliques) = eliminate(adj, sizes);
        let mut maximal: Vec<Vec<usize>> = Vec::new();
        // Later elimination cliques cannot contain earlier ones' eliminated vertex, but earlier ones
        // may be contained in later ones: keep the ones no other clique contains.
        for (i, c) in elim_cliques.iter().enumerate() {
            let contained = elim_cliques
                .iter()
                .enumerate()
                .any(|(j, o)| j != i && is_subset(c, o) && (c.len() < o.len() || j < i));
            if !contained {
                maximal.push(c.clone());
            }
        }
        let scopes: Vec<Scope> = maximal.iter().map(|c| Scope::new(c, sizes)).collect();
        tree(scopes, elimination)
    }

    /// Total cells of the cliques (the model's size).
    pub fn cells(&self) -> usize {
        self.cliques.iter().map(Scope::cells).sum()
    }

    /// The first clique containing every attribute of `attrs`.
    pub fn containing(&self, attrs: &[usize]) -> Option<usize> {
        self.cliques.iter().position(|c| c.contains(attrs))
    }

    /// The smallest clique containing every attribute of `attrs`.
    pub fn smallest_containing(&self, attrs: &[usize]) -> Option<usize> {
        (0..self.cliques.len())
            .filter(|&i| self.cliques[i].contains(attrs))
            .min_by_key(|&i| self.cliques[i].cells())
    }

    /// Children of each clique.
    pub fn children(&self) -> Vec<Vec<usize>> {
        let mut ch = vec![Vec::new(); self.cliques.len()];
        for (i, p) in self.parent.iter().enumerate() {
            if let Some(p) = p {
                ch[*p].push(i);
            }
        }
        ch
    }
}

/// Cells of a junction tree over `cliques`, in bytes at 8 per cell (AIM's size filter).
pub fn model_bytes(cliques: &[Vec<usize>], sizes: &[usize]) -> f64 {
    JunctionTree::build(cliques, sizes).cells() as f64 * 8.0
}

fn is_subset(a: &[usize], b: &[usize]) -> bool {
    a.iter().all(|x| b.contains(x))
}

/// Greedy elimination: returns the order and the clique each elimination creates.
fn eliminate(mut adj: Vec<Vec<bool>>, sizes: &[usize]) -> (Vec<usize>, Vec<Vec<usize>>) {
    let d = sizes.len();
    let mut alive = vec![true; d];
    let mut order = Vec::with_capacity(d);
    let mut cliques = Vec::with_capacity(d);
    for _ in 0..d {
        let mut best: Option<(f64, usize, usize)> = None;
        for v in (0..d).filter(|&v| alive[v]) {
            let nb: Vec<usize> = (0..d).filter(|&u| alive[u] && adj[v][u]).collect();
            let cells: f64 = nb.iter().map(|&u| sizes[u] as f64).product::<f64>() * sizes[v] as f64;
            let mut fill = 0;
            for (i, &a) in nb.iter().enumerate() {
                for &b in &nb[i + 1..] {
                    if !adj[a][b] {
                        fill += 1;
                    }
                }
            }
            let key = (cells, fill, v);
            if best.is_none_or(|b| (key.0, key.1, key.2) < b) {
                best = Some(key);
            }
        }
        let (_, _, v) = best.expect("an alive vertex");
        let nb: Vec<usize> = (0..d).filter(|&u| alive[u] && adj[v][u]).collect();
        for &a in &nb {
            for &b in &nb {
                if a != b {
                    adj[a][b] = true;
                }
            }
        }
        let mut c = nb;
        c.push(v);
        c.sort_unstable();
        cliques.push(c);
        alive[v] = false;
        order.push(v);
    }
    (order, cliques)
}

/// Maximum spanning tree on separator size (Kruskal), rooted at clique 0.
fn tree(cliques: Vec<Scope>, elimination: Vec<usize>) -> JunctionTree {
    let n = cliques.len();
    let mut edges = Vec::new();
    for i in 0..n {
        for j in i + 1..n {
            let shared = cliques[i]
                .attrs
                .iter()
                .filter(|a| cliques[j].attrs.binary_search(a).is_ok())
                .count();
            edges.push((shared, i, j));
        }
    }
    edges.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    let mut comp: Vec<usize> = (0..n).collect();
    fn find(c: &mut [usize], x: usize) -> usize {
        let mut r = x;
        while c[r] != r {
            r = c[r];
        }
        c[x] = r;
        r
    }
    let mut nbrs = vec![Vec::new(); n];
    for (_, i, j) in edges {
        let (ri, rj) = (find(&mut comp, i), find(&mut comp, j));
        if ri != rj {
            comp[ri] = rj;
            nbrs[i].push(j);
            nbrs[j].push(i);
        }
    }
    let mut parent = vec![None; n];
    let mut seen = vec![false; n];
    let mut order = vec![0];
    seen[0] = true;
    let mut k = 0;
    while k < order.len() {
        let i = order[k];
        for &j in &nbrs[i] {
            if !seen[j] {
                seen[j] = true;
                parent[j] = Some(i);
                order.push(j);
            }
        }
        k += 1;
    }
    let separator = (0..n)
        .map(|i| match parent[i] {
            Some(p) => cliques[i].restrict(&cliques[p].attrs),
            None => Scope {
                attrs: vec![],
                sizes: vec![],
            },
        })
        .collect();
    JunctionTree {
        cliques,
        parent,
        order,
        separator,
        elimination,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every pair of cliques sharing an attribute is joined through cliques that all hold it.
    fn running_intersection(jt: &JunctionTree) -> bool {
        let n = jt.cliques.len();
        let d = jt
            .cliques
            .iter()
            .flat_map(|c| c.attrs.clone())
            .max()
            .unwrap_or(0)
            + 1;
        for a in 0..d {
            let holders: Vec<usize> = (0..n).filter(|&i| jt.cliques[i].contains(&[a])).collect();
            // The holders must form a connected subtree: exactly one of them has no holder parent.
            let roots = holders
                .iter()
                .filter(|&&i| jt.parent[i].is_none_or(|p| !jt.cliques[p].contains(&[a])))
                .count();
            if !holders.is_empty() && roots != 1 {
                return false;
            }
        }
        true
    }

    #[test]
    fn a_cycle_is_triangulated_and_every_measured_clique_is_covered() {
        let sizes = [3, 4, 5, 6, 2];
        let cliques = vec![vec![0, 1], vec![1, 2], vec![2, 3], vec![3, 0], vec![4]];
        let jt = JunctionTree::build(&cliques, &sizes);
        for c in &cliques {
            assert!(jt.containing(c).is_some(), "{c:?}");
        }
        assert!(running_intersection(&jt));
        // A 4-cycle needs a chord: two triangles.
        assert!(jt.cliques.iter().any(|c| c.attrs.len() == 3));
        assert_eq!(jt.order.len(), jt.cliques.len());
    }

    #[test]
    fn a_tree_of_pairs_stays_a_tree_of_pairs() {
        let sizes = [2, 3, 4, 5];
        let jt = JunctionTree::build(&[vec![0, 1], vec![1, 2], vec![1, 3]], &sizes);
        assert_eq!(jt.cliques.len(), 3);
        assert!(jt.cliques.iter().all(|c| c.attrs.len() == 2));
        assert_eq!(jt.cells(), 6 + 12 + 15);
        assert!(running_intersection(&jt));
    }

    #[test]
    fn random_graphs_keep_the_running_intersection_property() {
        use rand::{Rng, SeedableRng};
        let mut r = rand_chacha::ChaCha20Rng::seed_from_u64(11);
        for _ in 0..200 {
            let d = r.random_range(1..9);
            let sizes: Vec<usize> = (0..d).map(|_| r.random_range(2..6)).collect();
            let mut cliques: Vec<Vec<usize>> = (0..d).map(|a| vec![a]).collect();
            for _ in 0..r.random_range(0..10) {
                let a = r.random_range(0..d);
                let b = r.random_range(0..d);
                if a != b {
                    cliques.push(vec![a, b]);
                }
            }
            let jt = JunctionTree::build(&cliques, &sizes);
            assert!(running_intersection(&jt), "{cliques:?}");
            for c in &cliques {
                assert!(jt.containing(c).is_some());
            }
        }
    }
}
