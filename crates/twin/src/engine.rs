//! The generalization engine: quasi-identifiers encoded as hierarchy leaves, the base classes
//! (distinct leaf tuples with counts and sensitive-value histograms), roll-up of a class table to
//! a more general node, and the check of a node against the privacy models with suppression.

use crate::error::{invalid, Result};
use crate::hierarchy::Hierarchy;
use datavisa_risk::classic::{entropy_of, equal_distance, OrderedDistance};
use datavisa_table::{EquivalenceClasses, Table, MISSING};
use hashbrown::HashMap;
use serde::{Deserialize, Serialize};

/// A quasi-identifier with its hierarchy.
pub struct Qi {
    pub name: String,
    pub hierarchy: Hierarchy,
    /// `up[from][to - from]`: node at level `from` → node at level `to`.
    up: Vec<Vec<Vec<u32>>>,
    /// Rows per leaf.
    pub leaf_rows: Vec<u64>,
}

impl Qi {
    /// Maps a node from one level to a higher one.
    #[inline]
    pub fn lift(&self, from: usize, to: usize, node: u32) -> u32 {
        self.up[from][to - from][node as usize]
    }

    /// Nodes at a level.
    pub fn width(&self, level: usize) -> usize {
        self.hierarchy.labels[level].len()
    }
}

/// A sensitive column: values as dense ids (missing is the last id), kept verbatim in the twin.
pub struct Sensitive {
    pub name: String,
    pub values: Vec<u32>,
    pub n_values: usize,
    /// Numeric columns have ids in value order (ordered t-closeness).
    pub numeric: bool,
    /// Share of each value in the whole table.
    pub overall: Vec<f64>,
    /// Prefix sums of `overall` for ordered t-closeness.
    pub ordered: OrderedDistance,
    /// For hierarchical t-closeness.
    pub hierarchy: Option<Hierarchy>,
    /// Leaf of each value id in `hierarchy`.
    pub value_leaf: Vec<u32>,
}

/// Value histograms of one sensitive column, per class: `entries[offsets[c]..offsets[c+1]]`.
#[derive(Clone, Debug, Default)]
pub struct Hist {
    pub offsets: Vec<u32>,
    pub entries: Vec<(u32, u64)>,
}

impl Hist {
    /// The (value, count) pairs of class `c`, value ascending.
    pub fn of(&self, c: usize) -> &[(u32, u64)] {
        &self.entries[self.offsets[c] as usize..self.offsets[c + 1] as usize]
    }
}

/// Equivalence classes of one node.
#[derive(Clone, Debug)]
pub struct ClassTable {
    pub levels: Vec<u8>,
    /// Class i's generalized nodes: `tuples[i*m .. (i+1)*m]`.
    pub tuples: Vec<u32>,
    pub counts: Vec<u64>,
    pub hists: Vec<Hist>,
    /// Class (here) of each base class.
    pub base_to_class: Vec<u32>,
}

impl ClassTable {
    /// Number of classes.
    pub fn len(&self) -> usize {
        self.counts.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }
}

/// Everything the search needs about one table.
pub struct Problem {
    pub n: u64,
    pub qis: Vec<Qi>,
    pub sensitive: Vec<Sensitive>,
    pub base: std::sync::Arc<ClassTable>,
    /// Base class of each row.
    pub row_base: Vec<u32>,
}

fn lifts(h: &Hierarchy) -> Vec<Vec<Vec<u32>>> {
    let levels = h.map.len();
    (0..levels)
        .map(|from| {
            (from..levels)
                .map(|to| {
                    let mut m = vec![0u32; h.labels[from].len()];
                    for leaf in 0..h.domain() {
                        m[h.map[from][leaf] as usize] = h.map[to][leaf];
                    }
                    m
                })
                .collect()
        })
        .collect()
}

impl Problem {
    /// Encodes the quasi-identifiers (each with its hierarchy) and sensitive columns of `t`.
    /// A data value missing from its hierarchy is an error naming the value and its line.
    pub fn new(
        t: &Table,
        qis: Vec<(String, Hierarchy)>,
        sensitive: Vec<(String, Option<Hierarchy>)>,
    ) -> Result<Problem> {
        if qis.is_empty() {
            return Err(invalid("name at least one quasi-identifier"));
        }
        if t.n_rows == 0 {
            return Err(invalid("the table has no rows"));
        }
        let mut leaves: Vec<Vec<u32>> = Vec::new();
        let mut qi_out = Vec::new();
        for (name, h) in qis {
            let c = t.index_of(&name)?;
            let col = &t.columns[c];
            // One lookup per distinct code, not per row.
            let codes = col.codes();
            let mut by_code: HashMap<u32, u32> = HashMap::new();
            let mut leaf = Vec::with_capacity(t.n_rows);
            for (r, &code) in codes.iter().enumerate() {
                let l = match by_code.get(&code) {
                    Some(&l) => l,
                    None => {
                        // Matched by its text as written, whatever type the column was read as.
                        let text = t.as_written(c, r);
                        let found = match &text {
                            Some(s) => h.leaf_of(s),
                            None => h.leaf_of("").or_else(|| h.leaf_of("NULL")),
                        };
                        let l = found.ok_or_else(|| {
                            invalid(format!(
                                "{}: line {}: value {:?} of column {name:?} is not in its hierarchy ({})",
                                t.origin.path.as_ref().map_or("table".into(), |p| p.display().to_string()),
                                t.origin.row_lines.line_of(r),
                                text.unwrap_or_else(|| "(missing)".into()),
                                h.source.detail
                            ))
                        })?;
                        by_code.insert(code, l);
                        l
                    }
                };
                leaf.push(l);
            }
            let mut leaf_rows = vec![0u64; h.domain()];
            for &l in &leaf {
                leaf_rows[l as usize] += 1;
            }
            qi_out.push(Qi {
                name,
                up: lifts(&h),
                hierarchy: h,
                leaf_rows,
            });
            leaves.push(leaf);
        }
        let mut sens_out = Vec::new();
        for (name, h) in sensitive {
            let c = t.index_of(&name)?;
            if qi_out.iter().any(|q| q.name == name) {
                return Err(invalid(format!(
                    "{name:?} cannot be both a quasi-identifier and sensitive"
                )));
            }
            let codes = t.columns[c].codes();
            let n_values = codes
                .iter()
                .filter(|&&x| x != MISSING)
                .max()
                .map_or(0, |&m| m as usize + 1)
                + 1;
            let values: Vec<u32> = codes
                .iter()
                .map(|&x| {
                    if x == MISSING {
                        (n_values - 1) as u32
                    } else {
                        x
                    }
                })
                .collect();
            let mut overall = vec![0f64; n_values];
            for &v in &values {
                overall[v as usize] += 1.0;
            }
            overall.iter_mut().for_each(|x| *x /= t.n_rows as f64);
            let mut value_leaf = vec![0u32; n_values];
            if let Some(h) = &h {
                // One lookup per value, through its first row.
                for r in t.columns[c].first_rows() {
                    let s = t.as_written(c, r).unwrap_or_default();
                    value_leaf[values[r] as usize] = h.leaf_of(&s).ok_or_else(|| {
                        invalid(format!(
                            "value {s:?} of sensitive column {name:?} is not in its hierarchy"
                        ))
                    })?;
                }
            }
            sens_out.push(Sensitive {
                ordered: OrderedDistance::new(&overall),
                name,
                numeric: t.columns[c].value_type.is_numeric(),
                values,
                n_values,
                overall,
                hierarchy: h,
                value_leaf,
            });
        }
        let slices: Vec<&[u32]> = leaves.iter().map(|v| v.as_slice()).collect();
        let ec = EquivalenceClasses::of_codes(&slices, t.n_rows);
        let m = leaves.len();
        let mut tuples = vec![0u32; ec.len() * m];
        let mut seen = vec![false; ec.len()];
        for (r, &c) in ec.class_of_row.iter().enumerate() {
            let c = c as usize;
            if !std::mem::replace(&mut seen[c], true) {
                for (slot, leaf) in tuples[c * m..(c + 1) * m].iter_mut().zip(&leaves) {
                    *slot = leaf[r];
                }
            }
        }
        let hists = sens_out
            .iter()
            .map(|s| base_hist(&ec.class_of_row, ec.len(), &s.values))
            .collect();
        let n_base = ec.len();
        Ok(Problem {
            n: t.n_rows as u64,
            base: std::sync::Arc::new(ClassTable {
                levels: vec![0; m],
                tuples,
                counts: ec.sizes.clone(),
                hists,
                base_to_class: (0..n_base as u32).collect(),
            }),
            row_base: ec.class_of_row,
            qis: qi_out,
            sensitive: sens_out,
        })
    }

    /// Number of quasi-identifiers.
    pub fn m(&self) -> usize {
        self.qis.len()
    }

    /// Heights of the hierarchies.
    pub fn heights(&self) -> Vec<u8> {
        self.qis
            .iter()
            .map(|q| q.hierarchy.height() as u8)
            .collect()
    }

    /// The classes of node `levels`, rolled up from `from` (which must be at most as general).
    pub fn roll_up(&self, from: &ClassTable, levels: &[u8]) -> ClassTable {
        let m = self.m();
        let radices: Vec<u64> = levels
            .iter()
            .zip(&self.qis)
            .map(|(&l, q)| q.width(l as usize) as u64)
            .collect();
        // The level pair is fixed for the whole call: resolve each attribute's map once.
        let maps: Vec<&[u32]> = (0..m)
            .map(|a| {
                let (f, t) = (from.levels[a] as usize, levels[a] as usize);
                self.qis[a].up[f][t - f].as_slice()
            })
            .collect();
        let narrow = radices.iter().try_fold(1u64, |acc, &r| acc.checked_mul(r));
        let Grouped {
            new_of_old,
            tuples,
            counts,
        } = match narrow {
            Some(space) => group_narrow(from, &maps, &radices, space),
            None => group_wide(from, &maps, &radices),
        };
        let hists = from
            .hists
            .iter()
            .map(|h| merge_hists(h, &new_of_old, counts.len()))
            .collect();
        ClassTable {
            levels: levels.to_vec(),
            tuples,
            counts,
            hists,
            base_to_class: from
                .base_to_class
                .iter()
                .map(|&c| new_of_old[c as usize])
                .collect(),
        }
    }
}

/// Classes of a roll-up: the new class of each old one, and each new class's tuple and count.
struct Grouped {
    new_of_old: Vec<u32>,
    tuples: Vec<u32>,
    counts: Vec<u64>,
}

impl Grouped {
    fn with_capacity(n_from: usize) -> Grouped {
        Grouped {
            new_of_old: vec![0; n_from],
            tuples: Vec::new(),
            counts: Vec::new(),
        }
    }

    /// Adds old class `i` (tuple `lifted`, `count` records) to class `id`, opening it if new.
    #[inline]
    fn add(&mut self, i: usize, id: u32, lifted: impl Iterator<Item = u32>, count: u64) {
        if id as usize == self.counts.len() {
            self.tuples.extend(lifted);
            self.counts.push(0);
        }
        self.counts[id as usize] += count;
        self.new_of_old[i] = id;
    }
}

/// Keys that fit in 64 bits: built column by column (a tight gather loop per attribute), then
/// grouped through a reusable direct-indexed array when the key space is small, else hashed.
fn group_narrow(from: &ClassTable, maps: &[&[u32]], radices: &[u64], space: u64) -> Grouped {
    let m = maps.len();
    let n_from = from.len();
    let mut keys = vec![0u64; n_from];
    for (a, (map, &r)) in maps.iter().zip(radices).enumerate() {
        for (k, old) in keys.iter_mut().zip(from.tuples.chunks_exact(m)) {
            *k = *k * r + map[old[a] as usize] as u64;
        }
    }
    let mut g = Grouped::with_capacity(n_from);
    let lift = |i: usize| {
        let old = &from.tuples[i * m..(i + 1) * m];
        (0..m).map(move |a| maps[a][old[a] as usize])
    };
    if space <= DENSE_KEYS as u64 {
        let mut scratch = take_scratch();
        let mut used = Vec::new();
        for (i, &key) in keys.iter().enumerate() {
            let slot = &mut scratch[key as usize];
            if *slot == u32::MAX {
                *slot = g.counts.len() as u32;
                used.push(key);
            }
            let id = *slot;
            g.add(i, id, lift(i), from.counts[i]);
        }
        for key in used {
            scratch[key as usize] = u32::MAX;
        }
        give_scratch(scratch);
    } else {
        let mut ids: HashMap<u64, u32, foldhash::fast::FixedState> =
            HashMap::with_capacity_and_hasher(
                n_from.min(1 << 16),
                foldhash::fast::FixedState::with_seed(1),
            );
        for (i, &key) in keys.iter().enumerate() {
            let next = g.counts.len() as u32;
            let id = *ids.entry(key).or_insert(next);
            g.add(i, id, lift(i), from.counts[i]);
        }
    }
    g
}

/// Keys wider than 64 bits: packed into 128 bits when they fit, else the tuple itself.
fn group_wide(from: &ClassTable, maps: &[&[u32]], radices: &[u64]) -> Grouped {
    let m = maps.len();
    let fits = radices
        .iter()
        .try_fold(1u128, |acc, &r| acc.checked_mul(r as u128))
        .is_some();
    let mut by_key: HashMap<u128, u32, foldhash::fast::FixedState> =
        HashMap::with_hasher(foldhash::fast::FixedState::with_seed(1));
    let mut by_tuple: HashMap<Vec<u32>, u32> = HashMap::new();
    let mut g = Grouped::with_capacity(from.len());
    let mut lifted = vec![0u32; m];
    for (i, old) in from.tuples.chunks_exact(m).enumerate() {
        let mut key = 0u128;
        for a in 0..m {
            lifted[a] = maps[a][old[a] as usize];
            key = key
                .wrapping_mul(radices[a] as u128)
                .wrapping_add(lifted[a] as u128);
        }
        let next = g.counts.len() as u32;
        let id = if fits {
            *by_key.entry(key).or_insert(next)
        } else {
            *by_tuple.entry(lifted.clone()).or_insert(next)
        };
        g.add(i, id, lifted.iter().copied(), from.counts[i]);
    }
    g
}

/// Key spaces up to this size are grouped through a direct-indexed array.
const DENSE_KEYS: usize = 1 << 20;

thread_local! {
    static SCRATCH: std::cell::RefCell<Vec<u32>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// A thread's all-`u32::MAX` scratch array of `DENSE_KEYS` slots.
fn take_scratch() -> Vec<u32> {
    let v = SCRATCH.with(|s| std::mem::take(&mut *s.borrow_mut()));
    if v.len() == DENSE_KEYS {
        v
    } else {
        vec![u32::MAX; DENSE_KEYS]
    }
}

fn give_scratch(v: Vec<u32>) {
    SCRATCH.with(|s| *s.borrow_mut() = v);
}

fn base_hist(class_of_row: &[u32], n_classes: usize, values: &[u32]) -> Hist {
    let mut pairs: Vec<(u32, u32)> = class_of_row
        .iter()
        .copied()
        .zip(values.iter().copied())
        .collect();
    pairs.sort_unstable();
    let mut offsets = vec![0u32; n_classes + 1];
    let mut entries: Vec<(u32, u64)> = Vec::new();
    let mut last: Option<(u32, u32)> = None;
    for (c, v) in pairs {
        if last == Some((c, v)) {
            entries.last_mut().expect("pushed").1 += 1;
        } else {
            entries.push((v, 1));
            offsets[c as usize + 1] += 1;
            last = Some((c, v));
        }
    }
    for i in 0..n_classes {
        offsets[i + 1] += offsets[i];
    }
    Hist { offsets, entries }
}

/// Histograms of merged classes: members gathered per new class (counting sort), their entries
/// concatenated, sorted by value and summed.
fn merge_hists(h: &Hist, new_of_old: &[u32], n_new: usize) -> Hist {
    let mut start = vec![0u32; n_new + 1];
    for &new in new_of_old {
        start[new as usize + 1] += 1;
    }
    for i in 0..n_new {
        start[i + 1] += start[i];
    }
    let mut fill = start.clone();
    let mut members = vec![0u32; new_of_old.len()];
    for (old, &new) in new_of_old.iter().enumerate() {
        members[fill[new as usize] as usize] = old as u32;
        fill[new as usize] += 1;
    }
    let mut offsets = Vec::with_capacity(n_new + 1);
    offsets.push(0u32);
    let mut entries = Vec::with_capacity(h.entries.len());
    let mut scratch: Vec<(u32, u64)> = Vec::new();
    for c in 0..n_new {
        let ms = &members[start[c] as usize..start[c + 1] as usize];
        if ms.len() == 1 {
            entries.extend_from_slice(h.of(ms[0] as usize));
        } else {
            scratch.clear();
            for &o in ms {
                scratch.extend_from_slice(h.of(o as usize));
            }
            scratch.sort_unstable_by_key(|e| e.0);
            let first = entries.len();
            for &(v, n) in &scratch {
                let len = entries.len();
                match entries.last_mut() {
                    Some((lv, ln)) if len > first && *lv == v => *ln += n,
                    _ => entries.push((v, n)),
                }
            }
        }
        offsets.push(entries.len() as u32);
    }
    Hist { offsets, entries }
}

/// Which l-diversity.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LVariant {
    Distinct,
    Entropy,
    Recursive,
}

/// Which t-closeness ground distance.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TDistance {
    Equal,
    Ordered,
    Hierarchical,
}

/// The privacy models of one run, with the suppression limit.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Models {
    pub k: Option<u64>,
    pub l: Option<f64>,
    pub l_variant: LVariant,
    pub c: f64,
    pub t: Option<f64>,
    pub t_distance: TDistance,
    pub avg_risk: Option<f64>,
    /// Share of records that may be suppressed.
    pub suppression: f64,
}

impl Models {
    /// Checks the parameters against the problem.
    pub fn validate(&self, p: &Problem) -> Result<()> {
        if self.k.is_none() && self.l.is_none() && self.t.is_none() && self.avg_risk.is_none() {
            return Err(invalid(
                "name at least one privacy model (--k, --l, --t or --avg-risk)",
            ));
        }
        if !(0.0..=1.0).contains(&self.suppression) {
            return Err(invalid(format!(
                "the suppression limit {} is not in [0, 1]",
                self.suppression
            )));
        }
        if let Some(k) = self.k {
            if k == 0 || k > p.n {
                return Err(invalid(format!(
                    "k = {k} must be between 1 and the table's {} records",
                    p.n
                )));
            }
        }
        if (self.l.is_some() || self.t.is_some()) && p.sensitive.is_empty() {
            return Err(invalid(
                "l-diversity and t-closeness need a sensitive column (--sensitive)",
            ));
        }
        if let Some(l) = self.l {
            if l < 1.0 {
                return Err(invalid("l must be at least 1"));
            }
            if self.l_variant == LVariant::Recursive && self.c <= 0.0 {
                return Err(invalid("recursive (c,l)-diversity needs c > 0"));
            }
        }
        if let Some(t) = self.t {
            if !(0.0..=1.0).contains(&t) {
                return Err(invalid("t must be in [0, 1]"));
            }
            if self.t_distance == TDistance::Hierarchical
                && p.sensitive.iter().any(|s| s.hierarchy.is_none())
            {
                return Err(invalid(
                    "hierarchical t-closeness needs a hierarchy for each sensitive column",
                ));
            }
        }
        if let Some(r) = self.avg_risk {
            if !(r > 0.0 && r <= 1.0) {
                return Err(invalid("the average risk threshold must be in (0, 1]"));
            }
        }
        Ok(())
    }

    /// True when every model is monotone under generalization at this suppression limit. With
    /// suppression, a class that passes can merge with one that fails into one that fails, so
    /// t-closeness, entropy and recursive l-diversity are not (k and distinct-l are: the merged
    /// class is at least as large and as varied as the passing one).
    pub fn fully_monotone(&self) -> bool {
        self.suppression == 0.0 || (self.t.is_none() && !self.l_is_non_monotone())
    }

    fn l_is_non_monotone(&self) -> bool {
        self.l.is_some() && self.l_variant != LVariant::Distinct
    }

    /// Records that may be suppressed.
    pub fn budget(&self, n: u64) -> u64 {
        (self.suppression * n as f64 + 1e-9).floor() as u64
    }
}

/// Per-class diversity measures of one sensitive column.
fn l_ok(m: &Models, h: &[(u32, u64)], size: u64) -> bool {
    let Some(l) = m.l else { return true };
    match m.l_variant {
        LVariant::Distinct => h.len() as f64 >= l,
        LVariant::Entropy => entropy(h, size) >= l.ln() - 1e-12,
        LVariant::Recursive => {
            let mut r: Vec<u64> = h.iter().map(|e| e.1).collect();
            r.sort_unstable_by(|a, b| b.cmp(a));
            let li = l.ceil() as usize;
            r.len() >= li && (r[0] as f64) < m.c * r[li - 1..].iter().sum::<u64>() as f64
        }
    }
}

/// Shannon entropy (natural log) of a class histogram.
pub fn entropy(h: &[(u32, u64)], size: u64) -> f64 {
    entropy_of(h.iter().map(|&(_, c)| c as f64 / size as f64))
}

fn shares(h: &[(u32, u64)], n: f64) -> impl Iterator<Item = (usize, f64)> + '_ {
    h.iter().map(move |&(v, c)| (v as usize, c as f64 / n))
}

/// t-closeness distance of a class histogram to the table's distribution.
pub fn t_distance(s: &Sensitive, d: TDistance, h: &[(u32, u64)], size: u64) -> f64 {
    let n = size as f64;
    match d {
        TDistance::Equal => equal_distance(shares(h, n), &s.overall),
        // Histogram entries are in value (rank) order, as the prefix sums need.
        TDistance::Ordered => s.ordered.distance(shares(h, n)),
        TDistance::Hierarchical => hierarchical_emd(s, h, n),
    }
}

/// EMD over the sensitive column's hierarchy (Li et al. 2007): surpluses cancel bottom-up, and
/// the mass that moves up one level costs level / height.
fn hierarchical_emd(s: &Sensitive, h: &[(u32, u64)], n: f64) -> f64 {
    let hier = s.hierarchy.as_ref().expect("validated");
    let height = hier.height().max(1) as f64;
    let mut extra = vec![0f64; hier.domain()];
    for v in 0..s.n_values {
        extra[s.value_leaf[v] as usize] -= s.overall[v];
    }
    for &(v, c) in h {
        extra[s.value_leaf[v as usize] as usize] += c as f64 / n;
    }
    let mut cost = 0.0;
    let mut level_extra = extra;
    for l in 1..hier.map.len() {
        let mut parent = vec![0u32; hier.labels[l - 1].len()];
        for leaf in 0..hier.domain() {
            parent[hier.map[l - 1][leaf] as usize] = hier.map[l][leaf];
        }
        let mut pos = vec![0f64; hier.labels[l].len()];
        let mut neg = vec![0f64; hier.labels[l].len()];
        for (child, &x) in level_extra.iter().enumerate() {
            let parent = parent[child] as usize;
            if x > 0.0 {
                pos[parent] += x;
            } else {
                neg[parent] -= x;
            }
        }
        let mut next = vec![0f64; hier.labels[l].len()];
        for node in 0..next.len() {
            cost += l as f64 / height * pos[node].min(neg[node]);
            next[node] = pos[node] - neg[node];
        }
        level_extra = next;
    }
    cost
}

/// The outcome of checking one node.
#[derive(Clone, Debug)]
pub struct Check {
    pub levels: Vec<u8>,
    pub classes: std::sync::Arc<ClassTable>,
    /// Per class: suppressed.
    pub suppressed_class: Vec<bool>,
    pub suppressed: u64,
    /// All models hold within the suppression limit.
    pub anonymous: bool,
    /// The monotone part (everything but t-closeness with suppression) holds.
    pub anonymous_monotone: bool,
}

/// Checks the classes of a node against the models and the suppression limit.
pub fn check(p: &Problem, m: &Models, classes: impl Into<std::sync::Arc<ClassTable>>) -> Check {
    let classes: std::sync::Arc<ClassTable> = classes.into();
    let budget = m.budget(p.n);
    let n_classes = classes.len();
    let mut mono_fail = vec![false; n_classes];
    let mut t_fail = vec![false; n_classes];
    for c in 0..n_classes {
        let size = classes.counts[c];
        let mut fail = m.k.is_some_and(|k| size < k);
        let mut tf = false;
        for (s, h) in p.sensitive.iter().zip(&classes.hists) {
            let hc = h.of(c);
            let l_fails = !l_ok(m, hc, size);
            if m.l_is_non_monotone() {
                tf |= l_fails;
            } else {
                fail |= l_fails;
            }
            if let Some(t) = m.t {
                tf |= t_distance(s, m.t_distance, hc, size) > t + 1e-12;
            }
        }
        if m.fully_monotone() {
            fail |= tf;
            tf = false;
        }
        mono_fail[c] = fail;
        t_fail[c] = tf;
    }
    let with_risk = |fail: &[bool]| -> (Vec<bool>, u64) {
        let mut out = fail.to_vec();
        let mut sup: u64 = (0..n_classes)
            .filter(|&c| out[c])
            .map(|c| classes.counts[c])
            .sum();
        if let Some(r) = m.avg_risk {
            // Suppress whole classes, smallest first, until classes/records ≤ r.
            let mut order: Vec<usize> = (0..n_classes).filter(|&c| !out[c]).collect();
            order.sort_by_key(|&c| (classes.counts[c], c));
            let mut kept_classes = order.len() as f64;
            let mut kept_records = (p.n - sup) as f64;
            for c in order {
                if kept_records == 0.0 || kept_classes / kept_records <= r + 1e-12 || sup > budget {
                    break;
                }
                out[c] = true;
                sup += classes.counts[c];
                kept_classes -= 1.0;
                kept_records -= classes.counts[c] as f64;
            }
        }
        (out, sup)
    };
    let (mono_out, mono_sup) = with_risk(&mono_fail);
    let anonymous_monotone = mono_sup <= budget;
    let all_fail: Vec<bool> = mono_fail
        .iter()
        .zip(&t_fail)
        .map(|(a, b)| *a || *b)
        .collect();
    let (out, sup) = if t_fail.iter().any(|&x| x) {
        with_risk(&all_fail)
    } else {
        (mono_out, mono_sup)
    };
    Check {
        levels: classes.levels.clone(),
        suppressed_class: out,
        suppressed: sup,
        anonymous: sup <= budget,
        anonymous_monotone,
        classes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hierarchy::HierarchySource;
    use std::path::Path;

    #[test]
    fn wide_and_narrow_grouping_agree() {
        // Three attributes; leaves 0..4 map to nodes leaf / 2.
        let map: Vec<u32> = vec![0, 0, 1, 1];
        let maps: Vec<&[u32]> = vec![&map, &map, &map];
        let tuples: Vec<u32> = vec![0, 1, 2, 1, 0, 3, 3, 3, 3, 2, 2, 2, 0, 0, 0];
        let from = ClassTable {
            levels: vec![0; 3],
            tuples,
            counts: vec![1, 2, 3, 4, 5],
            hists: vec![],
            base_to_class: (0..5).collect(),
        };
        let radices = [2u64, 2, 2];
        let a = group_narrow(&from, &maps, &radices, 8);
        let b = group_wide(&from, &maps, &radices);
        assert_eq!(a.new_of_old, b.new_of_old);
        assert_eq!(a.tuples, b.tuples);
        assert_eq!(a.counts, b.counts);
        // Lifted: (0,0,1) (0,0,1) (1,1,1) (1,1,1) (0,0,0).
        assert_eq!(a.new_of_old, vec![0, 0, 1, 1, 2]);
        assert_eq!(a.counts, vec![3, 7, 5]);
    }

    #[test]
    fn hierarchical_emd_hand_computed() {
        // Leaves a, b under X; c under Y; root *. Table q = (.25, .25, .5); class all "a".
        let rows: Vec<Vec<String>> = [["a", "X", "*"], ["b", "X", "*"], ["c", "Y", "*"]]
            .iter()
            .map(|r| r.iter().map(|s| s.to_string()).collect())
            .collect();
        let src = HierarchySource {
            kind: "test".into(),
            detail: String::new(),
            def: None,
        };
        let h = Hierarchy::from_rows("s", &rows, Path::new("t"), &|i| i + 1, src).unwrap();
        let s = Sensitive {
            name: "s".into(),
            values: vec![],
            n_values: 3,
            numeric: false,
            overall: vec![0.25, 0.25, 0.5],
            ordered: OrderedDistance::new(&[0.25, 0.25, 0.5]),
            hierarchy: Some(h),
            value_leaf: vec![0, 1, 2],
        };
        // Move .25 a→b at cost 1/2 and .5 a→c at cost 1: 0.625.
        let d = t_distance(&s, TDistance::Hierarchical, &[(0, 4)], 4);
        assert!((d - 0.625).abs() < 1e-12, "{d}");
        // Equal distance of the same class: ½(.75 + .25 + .5) = .75.
        assert!((t_distance(&s, TDistance::Equal, &[(0, 4)], 4) - 0.75).abs() < 1e-12);
        // Ordered: cumulative .75, .5, 0 → 1.25 / 2.
        assert!((t_distance(&s, TDistance::Ordered, &[(0, 4)], 4) - 0.625).abs() < 1e-12);
    }
}
