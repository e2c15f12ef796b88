//! Searching the full-domain generalization lattice for the transformation with the best quality
//! that satisfies the privacy models.
//!
//! * **Optimal** (Flash-style). Phase 1 finds, for the monotone part of the models, which nodes
//!   are anonymous: paths are built upward through untagged nodes in a stable order and
//!   binary-searched; an anonymous node tags everything above it, a failing node everything below
//!   (predictive tagging), so most nodes are never checked. Phase 2 visits the anonymous nodes in
//!   ascending order of the metric's lower bound (its value with nothing suppressed), checks the
//!   full models and the true score, in parallel batches, and stops once the lower bound exceeds
//!   the best score. With no suppression and a metric whose lower bound is exact, phase 2 needs
//!   no checks at all. Classes of a node are rolled up from the cached checked node below it
//!   with the fewest classes (or from the distinct leaf tuples).
//! * **Heuristic** (Lightning-style): best-first by lower bound from the bottom, with a greedy
//!   climb every `height` expansions to find an incumbent early, pruning by the incumbent, until a
//!   node or time budget runs out.
//!
//! Ties: equal scores (to 1e-12 relative) are broken by the smaller height (Σ levels), then the
//! lexicographically smaller level vector. ARX keeps the lower height, then the first found.

use crate::engine::{check, Check, ClassTable, Models, Problem};
use crate::error::{invalid, Result};
use crate::quality::Quality;
use rayon::prelude::*;
use serde::Serialize;
use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Which search to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    Optimal,
    Heuristic,
    /// Optimal when the lattice has at most `max_optimal_nodes` nodes.
    Auto,
}

/// Search settings.
#[derive(Clone, Debug, Serialize)]
pub struct SearchParams {
    pub strategy: Strategy,
    pub max_optimal_nodes: u64,
    /// Heuristic budget: nodes checked.
    pub max_checks: usize,
    /// Heuristic budget: wall time.
    pub time_limit: Duration,
}

impl Default for SearchParams {
    fn default() -> Self {
        SearchParams {
            strategy: Strategy::Auto,
            max_optimal_nodes: 100_000,
            max_checks: 2_000,
            time_limit: Duration::from_secs(60),
        }
    }
}

/// One evaluated node.
#[derive(Clone, Debug, Serialize)]
pub struct NodeResult {
    pub levels: Vec<u8>,
    pub score: f64,
    pub suppressed: u64,
    pub classes: usize,
    /// All models hold within the suppression limit.
    pub anonymous: bool,
}

/// What the search found and how.
#[derive(Debug)]
pub struct SearchOutcome {
    /// The best anonymous node with its check (None when no node satisfies the models).
    pub best: Option<(NodeResult, Check)>,
    pub algorithm: &'static str,
    pub lattice_size: u64,
    pub checked: usize,
    pub seconds: f64,
    /// True when the heuristic stopped on its budget (the result may not be optimal).
    pub budget_exhausted: bool,
}

/// The lattice: node index ↔ level vector (mixed radix, radix height + 1).
pub struct Lattice {
    pub heights: Vec<u8>,
    strides: Vec<u64>,
    pub size: u64,
}

impl Lattice {
    /// The lattice of the given heights (None when it has more than 2^63 nodes).
    pub fn new(heights: &[u8]) -> Option<Lattice> {
        let mut strides = vec![0u64; heights.len()];
        let mut size: u64 = 1;
        for a in (0..heights.len()).rev() {
            strides[a] = size;
            size = size.checked_mul(heights[a] as u64 + 1)?;
        }
        (size < 1 << 63).then_some(Lattice {
            heights: heights.to_vec(),
            strides,
            size,
        })
    }

    /// Index of a level vector.
    pub fn index(&self, levels: &[u8]) -> u64 {
        levels
            .iter()
            .zip(&self.strides)
            .map(|(&l, &s)| l as u64 * s)
            .sum()
    }

    /// Level vector of an index.
    pub fn levels(&self, mut i: u64) -> Vec<u8> {
        self.strides
            .iter()
            .map(|&s| {
                let l = (i / s) as u8;
                i %= s;
                l
            })
            .collect()
    }

    /// Direct successors (one attribute one level up).
    pub fn successors(&self, levels: &[u8]) -> Vec<Vec<u8>> {
        successors(levels, &self.heights)
    }

    /// Calls `f` on every node in the box `lo ≤ x ≤ hi`.
    fn for_box(&self, lo: &[u8], hi: &[u8], f: &mut dyn FnMut(u64)) {
        let mut x = lo.to_vec();
        loop {
            f(self.index(&x));
            let mut a = x.len();
            loop {
                if a == 0 {
                    return;
                }
                a -= 1;
                if x[a] < hi[a] {
                    x[a] += 1;
                    break;
                }
                x[a] = lo[a];
            }
        }
    }
}

fn stable_key(levels: &[u8], heights: &[u8]) -> (u32, u64, Vec<u8>) {
    let height: u32 = levels.iter().map(|&l| l as u32).sum();
    let rel: f64 = levels
        .iter()
        .zip(heights)
        .map(|(&l, &h)| if h == 0 { 0.0 } else { l as f64 / h as f64 })
        .sum();
    (height, (rel * 1e9) as u64, levels.to_vec())
}

/// Compares (score, height, levels) for the tie-break rule.
pub fn better(a: &NodeResult, b: &NodeResult) -> bool {
    let tol = 1e-12 * a.score.abs().max(b.score.abs()).max(1.0);
    if (a.score - b.score).abs() > tol {
        return a.score < b.score;
    }
    let ha: u32 = a.levels.iter().map(|&l| l as u32).sum();
    let hb: u32 = b.levels.iter().map(|&l| l as u32).sum();
    (ha, &a.levels) < (hb, &b.levels)
}

/// Checks nodes, rolling classes up from cached finer nodes.
struct Checker<'a> {
    p: &'a Problem,
    m: &'a Models,
    q: &'a Quality,
    /// Whether the caller wants the search to stop, asked between batches of nodes.
    stop: &'a (dyn Fn() -> bool + Sync),
    base: Arc<ClassTable>,
    cache: Vec<(Vec<u8>, Arc<ClassTable>)>,
    /// Distinct nodes checked: a node checked again (the answer re-checked for its classes)
    /// is one node, so the count never exceeds the lattice.
    checked: std::collections::HashSet<Vec<u8>>,
}

/// Class tables kept for roll-up: at most this many, and at most this many bytes in all.
const CACHE: usize = 256;
const CACHE_BYTES: usize = 1 << 29;

fn table_bytes(t: &ClassTable) -> usize {
    t.tuples.len() * 4
        + t.counts.len() * 8
        + t.base_to_class.len() * 4
        + t.hists
            .iter()
            .map(|h| h.entries.len() * 16 + h.offsets.len() * 4)
            .sum::<usize>()
}

impl<'a> Checker<'a> {
    fn new(p: &'a Problem, m: &'a Models, q: &'a Quality) -> Checker<'a> {
        Checker::watched(p, m, q, &|| false)
    }

    fn watched(
        p: &'a Problem,
        m: &'a Models,
        q: &'a Quality,
        stop: &'a (dyn Fn() -> bool + Sync),
    ) -> Checker<'a> {
        Checker {
            p,
            m,
            q,
            stop,
            base: Arc::clone(&p.base),
            cache: Vec::new(),
            checked: std::collections::HashSet::new(),
        }
    }

    /// Whether the caller asked the search to stop.
    fn stopped(&self) -> bool {
        (self.stop)()
    }

    /// The cached table below `levels` with the fewest classes.
    fn source_for(&self, levels: &[u8]) -> Arc<ClassTable> {
        self.cache
            .iter()
            .filter(|(l, _)| l.iter().zip(levels).all(|(a, b)| a <= b))
            .min_by_key(|(_, t)| t.len())
            .map_or_else(|| Arc::clone(&self.base), |(_, t)| Arc::clone(t))
    }

    fn eval_from(&self, src: &ClassTable, levels: &[u8]) -> (NodeResult, Check) {
        let classes = if src.levels == levels {
            Arc::new(src.clone())
        } else {
            Arc::new(self.p.roll_up(src, levels))
        };
        let c = check(self.p, self.m, classes);
        let score = self.q.score(self.p, &c);
        (
            NodeResult {
                levels: levels.to_vec(),
                score,
                suppressed: c.suppressed,
                classes: c.classes.len(),
                anonymous: c.anonymous,
            },
            c,
        )
    }

    fn remember(&mut self, c: &Check) {
        let bytes = table_bytes(&c.classes);
        if bytes > CACHE_BYTES / 4 {
            return;
        }
        let mut total: usize = self
            .cache
            .iter()
            .map(|(_, t)| table_bytes(t))
            .sum::<usize>()
            + bytes;
        while !self.cache.is_empty() && (self.cache.len() >= CACHE || total > CACHE_BYTES) {
            total -= table_bytes(&self.cache[0].1);
            self.cache.remove(0);
        }
        self.cache.push((c.levels.clone(), Arc::clone(&c.classes)));
    }

    fn eval(&mut self, levels: &[u8]) -> (NodeResult, Check) {
        let src = self.source_for(levels);
        let out = self.eval_from(&src, levels);
        self.checked.insert(levels.to_vec());
        self.remember(&out.1);
        out
    }

    /// Evaluates several nodes in parallel, one per thread at a time so that memory stays
    /// bounded on large tables (deterministic: results in input order).
    fn eval_many(&mut self, nodes: &[Vec<u8>]) -> Vec<(NodeResult, Check)> {
        let mut out = Vec::with_capacity(nodes.len());
        // Large tables: one node per thread at a time, so memory stays bounded.
        let per_round = if self.base.len() > 1_000_000 {
            rayon::current_num_threads().max(1)
        } else {
            nodes.len().max(1)
        };
        for chunk in nodes.chunks(per_round) {
            let srcs: Vec<Arc<ClassTable>> = chunk.iter().map(|l| self.source_for(l)).collect();
            let this = &*self;
            let part: Vec<(NodeResult, Check)> = chunk
                .par_iter()
                .zip(srcs.par_iter())
                .map(|(l, s)| this.eval_from(s, l))
                .collect();
            self.checked.extend(chunk.iter().cloned());
            for (_, c) in &part {
                self.remember(c);
            }
            out.extend(part);
        }
        out
    }
}

/// Runs the chosen search.
pub fn search(p: &Problem, m: &Models, q: &Quality, sp: &SearchParams) -> Result<SearchOutcome> {
    search_watched(p, m, q, sp, &|| false)
}

/// [`search`], asking `stop` between batches of nodes; when it says stop the search ends
/// with [`TwinError::Cancelled`](crate::TwinError::Cancelled).
pub fn search_watched(
    p: &Problem,
    m: &Models,
    q: &Quality,
    sp: &SearchParams,
    stop: &(dyn Fn() -> bool + Sync),
) -> Result<SearchOutcome> {
    m.validate(p)?;
    let t0 = Instant::now();
    let heights = p.heights();
    let lattice = Lattice::new(&heights);
    let size = lattice.as_ref().map_or(u64::MAX, |l| l.size);
    let optimal = match sp.strategy {
        Strategy::Optimal => {
            if size > sp.max_optimal_nodes.max(10_000_000) {
                return Err(invalid(format!(
                    "the lattice has {size} nodes, too many for the optimal search; use --search heuristic"
                )));
            }
            true
        }
        Strategy::Heuristic => false,
        Strategy::Auto => size <= sp.max_optimal_nodes,
    };
    let mut checker = Checker::watched(p, m, q, stop);
    let (best, exhausted) = if optimal {
        (
            optimal_search(&mut checker, lattice.as_ref().expect("small lattice")),
            false,
        )
    } else {
        heuristic_search(&mut checker, &heights, sp, t0)
    };
    if checker.stopped() {
        return Err(crate::error::TwinError::Cancelled);
    }
    Ok(SearchOutcome {
        best,
        algorithm: if optimal {
            "optimal (flash-style)"
        } else {
            "heuristic (lightning-style)"
        },
        lattice_size: size,
        checked: checker.checked.len(),
        seconds: t0.elapsed().as_secs_f64(),
        budget_exhausted: exhausted,
    })
}

const NOT: u8 = 2;
const ANON: u8 = 1;

fn optimal_search(ck: &mut Checker<'_>, lat: &Lattice) -> Option<(NodeResult, Check)> {
    let p = ck.p;
    let heights = &lat.heights;
    let n = lat.size as usize;
    let mut order: Vec<u64> = (0..lat.size).collect();
    order.sort_by_cached_key(|&i| stable_key(&lat.levels(i), heights));
    let mut rank = vec![0u32; n];
    for (r, &i) in order.iter().enumerate() {
        rank[i as usize] = r as u32;
    }
    let mut tag = vec![0u8; n];
    let mut results: HashMap<u64, NodeResult> = HashMap::new();
    // Checks of anonymous nodes, kept only while they may still be the answer.
    let mut kept: HashMap<u64, Check> = HashMap::new();
    let top: Vec<u8> = heights.clone();
    let bottom = vec![0u8; heights.len()];
    // Several paths are binary-searched in lockstep so their checks run in parallel. The number
    // of paths is fixed, so the nodes checked do not depend on the number of threads.
    const PATHS: usize = 8;
    struct PathSearch {
        path: Vec<u64>,
        lo: usize,
        hi: usize,
    }
    let mut active: Vec<PathSearch> = Vec::new();
    let mut next_start = 0usize;
    loop {
        if ck.stopped() {
            return None;
        }
        while active.len() < PATHS {
            while next_start < order.len()
                && (tag[order[next_start] as usize] != 0
                    || active.iter().any(|a| a.path[0] == order[next_start]))
            {
                next_start += 1;
            }
            let Some(&start) = order.get(next_start) else {
                break;
            };
            next_start += 1;
            // A path upward through untagged nodes, first successor in the stable order.
            let mut path = vec![start];
            let mut cur = lat.levels(start);
            while let Some(i) = lat
                .successors(&cur)
                .into_iter()
                .map(|s| lat.index(&s))
                .filter(|&i| tag[i as usize] == 0)
                .min_by_key(|&i| rank[i as usize])
            {
                path.push(i);
                cur = lat.levels(i);
            }
            let hi = path.len();
            active.push(PathSearch { path, lo: 0, hi });
        }
        if active.is_empty() {
            break;
        }
        // Resolve midpoints whose tag is already known; collect the ones to check.
        let mut todo: Vec<u64> = Vec::new();
        for a in active.iter_mut() {
            while a.lo < a.hi {
                let mid = (a.lo + a.hi) / 2;
                let node = a.path[mid];
                match tag[node as usize] {
                    ANON => a.hi = mid,
                    NOT => a.lo = mid + 1,
                    _ => {
                        if !todo.contains(&node) {
                            todo.push(node);
                        }
                        break;
                    }
                }
            }
        }
        let levels: Vec<Vec<u8>> = todo.iter().map(|&i| lat.levels(i)).collect();
        for (r, c) in ck.eval_many(&levels) {
            let i = lat.index(&r.levels);
            let l = r.levels.clone();
            results.insert(i, r);
            if c.anonymous_monotone {
                lat.for_box(&l, &top, &mut |j| {
                    if tag[j as usize] == 0 {
                        tag[j as usize] = ANON
                    }
                });
            } else {
                lat.for_box(&bottom, &l, &mut |j| {
                    if tag[j as usize] == 0 {
                        tag[j as usize] = NOT
                    }
                });
            }
        }
        active.retain(|a| a.lo < a.hi);
    }
    // Phase 2: anonymous nodes by lower bound.
    let mut cands: Vec<(f64, u64)> = (0..lat.size)
        .filter(|&i| tag[i as usize] == ANON)
        .map(|i| {
            (
                ck.q.lower_bound(p, &lat.levels(i))
                    .unwrap_or(f64::NEG_INFINITY),
                i,
            )
        })
        .collect();
    cands.sort_by(|a, b| {
        a.0.total_cmp(&b.0).then_with(|| {
            stable_key(&lat.levels(a.1), heights).cmp(&stable_key(&lat.levels(b.1), heights))
        })
    });
    let exact_bound =
        ck.m.fully_monotone() && ck.m.suppression == 0.0 && ck.q.lower_bound(p, &bottom).is_some();
    let mut best: Option<NodeResult> = None;
    let mut best_check: Option<Check> = None;
    if exact_bound {
        // Nothing can be suppressed, so every anonymous node scores its lower bound.
        for &(lb, i) in &cands {
            let r = NodeResult {
                levels: lat.levels(i),
                score: lb,
                suppressed: 0,
                classes: 0,
                anonymous: true,
            };
            if best.as_ref().is_none_or(|b| better(&r, b)) {
                best = Some(r);
            }
            if best.as_ref().is_some_and(|b| lb > b.score + 1e-12) {
                break;
            }
        }
        let b = best?;
        let (r, c) = ck.eval(&b.levels);
        return Some((r, c));
    }
    const BATCH: usize = 8;
    let mut pos = 0;
    while pos < cands.len() {
        if ck.stopped() {
            return None;
        }
        if let Some(b) = &best {
            if cands[pos].0 > b.score + 1e-12 * b.score.abs().max(1.0) {
                break;
            }
        }
        let batch: Vec<u64> = cands[pos..(pos + BATCH).min(cands.len())]
            .iter()
            .map(|c| c.1)
            .collect();
        pos += batch.len();
        let todo: Vec<Vec<u8>> = batch
            .iter()
            .filter(|i| !results.contains_key(i))
            .map(|&i| lat.levels(i))
            .collect();
        for (r, c) in ck.eval_many(&todo) {
            let i = lat.index(&r.levels);
            if c.anonymous {
                kept.insert(i, c);
            }
            results.insert(i, r);
        }
        for i in batch {
            if let Some(r) = results.get(&i).filter(|r| r.anonymous) {
                if best.as_ref().is_none_or(|b| better(r, b)) {
                    best = Some(r.clone());
                    best_check = kept.remove(&i);
                }
            }
        }
        // Keep memory bounded: only the best node's classes are needed in the end.
        kept.retain(|i, _| best.as_ref().is_some_and(|b| lat.index(&b.levels) == *i));
    }
    let b = best?;
    let c = match best_check {
        Some(c) => c,
        None => ck.eval(&b.levels).1,
    };
    Some((b, c))
}

#[derive(PartialEq)]
struct Queued(f64, (u32, u64, Vec<u8>));

impl Eq for Queued {}

impl PartialOrd for Queued {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}

impl Ord for Queued {
    fn cmp(&self, o: &Self) -> Ordering {
        // Min-heap on (bound, stable key).
        o.0.total_cmp(&self.0).then_with(|| o.1.cmp(&self.1))
    }
}

fn heuristic_search(
    ck: &mut Checker<'_>,
    heights: &[u8],
    sp: &SearchParams,
    t0: Instant,
) -> (Option<(NodeResult, Check)>, bool) {
    let p = ck.p;
    let bound = |l: &[u8]| ck.q.lower_bound(p, l).unwrap_or(f64::NEG_INFINITY);
    // A stop request ends the search like its budget; the caller then reports it cancelled.
    let out_of_budget = |ck: &Checker<'_>| {
        ck.checked.len() >= sp.max_checks || t0.elapsed() >= sp.time_limit || ck.stopped()
    };
    let consider = |best: &mut Option<(NodeResult, Check)>, r: NodeResult, c: Check| {
        if c.anonymous && best.as_ref().is_none_or(|b| better(&r, &b.0)) {
            *best = Some((r, c));
        }
    };
    let bottom = vec![0u8; heights.len()];
    let mut best: Option<(NodeResult, Check)> = None;
    let mut exhausted = false;
    // Greedy climb: from `start`, always to the best-scoring successor, until an anonymous node.
    // Each step rolls up from the node before it, so steps get cheaper as classes merge.
    let climb =
        |ck: &mut Checker<'_>, best: &mut Option<(NodeResult, Check)>, start: &[u8]| -> bool {
            let mut cur = start.to_vec();
            loop {
                if out_of_budget(ck) {
                    return true;
                }
                let succ = successors(&cur, heights);
                if succ.is_empty() {
                    return false;
                }
                let mut pick: Option<(NodeResult, Check)> = None;
                for (r, c) in ck.eval_many(&succ) {
                    if pick.as_ref().is_none_or(|p| better(&r, &p.0)) {
                        pick = Some((r, c));
                    }
                }
                let (r, c) = pick.expect("non-empty");
                cur = r.levels.clone();
                let done = c.anonymous;
                consider(best, r, c);
                if done {
                    return false;
                }
            }
        };
    // An incumbent first, so pruning starts early and a budget stop still has an answer:
    // binary search on the diagonal (every attribute raised together), whose nodes are also
    // cheap roll-up sources for everything above them.
    let max_h = heights.iter().copied().max().unwrap_or(0) as usize;
    let diag =
        |j: usize| -> Vec<u8> { heights.iter().map(|&h| (h as usize).min(j) as u8).collect() };
    let (mut lo, mut hi) = (0usize, max_h);
    while lo < hi && !out_of_budget(ck) {
        let mid = (lo + hi) / 2;
        let (r, c) = ck.eval(&diag(mid));
        let anon = c.anonymous;
        consider(&mut best, r, c);
        if anon {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    if best.is_none() && !out_of_budget(ck) {
        let (r, c) = ck.eval(&diag(max_h));
        consider(&mut best, r, c);
    }
    // Descent: from the incumbent, move to the best anonymous predecessor while one exists.
    // Predecessors of a diagonal node sit above the diagonal node below it, so they roll up
    // from a small table.
    if lo > 0 {
        let _ = ck.eval(&diag(lo - 1));
    }
    while let Some((cur, _)) = best.as_ref().map(|b| (b.0.levels.clone(), ())) {
        if out_of_budget(ck) {
            exhausted = true;
            break;
        }
        let preds: Vec<Vec<u8>> = (0..cur.len())
            .filter(|&a| cur[a] > 0)
            .map(|a| {
                let mut l = cur.clone();
                l[a] -= 1;
                l
            })
            .collect();
        if preds.is_empty() {
            break;
        }
        let mut improved = false;
        for (r, c) in ck.eval_many(&preds) {
            if c.anonymous && best.as_ref().is_some_and(|b| better(&r, &b.0)) {
                best = Some((r, c));
                improved = true;
            }
        }
        if !improved {
            break;
        }
    }
    let lattice_height: usize = heights.iter().map(|&h| h as usize).sum::<usize>().max(1);
    let mut seen: std::collections::HashSet<Vec<u8>> = std::collections::HashSet::new();
    let mut heap = BinaryHeap::new();
    for s in successors(&bottom, heights) {
        seen.insert(s.clone());
        heap.push(Queued(bound(&s), stable_key(&s, heights)));
    }
    seen.insert(bottom);
    let mut expansions = 0usize;
    while let Some(Queued(lb, key)) = heap.pop() {
        if exhausted || out_of_budget(ck) {
            exhausted = true;
            break;
        }
        if best.as_ref().is_some_and(|b| lb > b.0.score) {
            continue;
        }
        let levels = key.2;
        let (r, c) = ck.eval(&levels);
        let anon = c.anonymous;
        consider(&mut best, r, c);
        expansions += 1;
        for s in successors(&levels, heights) {
            if seen.insert(s.clone()) {
                heap.push(Queued(bound(&s), stable_key(&s, heights)));
            }
        }
        if expansions.is_multiple_of(lattice_height) && !anon {
            exhausted |= climb(ck, &mut best, &levels);
        }
    }
    if best.is_none() && !ck.stopped() {
        // Whatever else happened, the most general node is the fallback answer.
        let (r, c) = ck.eval(heights);
        consider(&mut best, r, c);
    }
    (best, exhausted)
}

/// Direct successors of a node given the hierarchy heights (no lattice needed).
fn successors(levels: &[u8], heights: &[u8]) -> Vec<Vec<u8>> {
    (0..levels.len())
        .filter(|&a| levels[a] < heights[a])
        .map(|a| {
            let mut s = levels.to_vec();
            s[a] += 1;
            s
        })
        .collect()
}

/// Evaluates every node (for tests and tiny lattices) and returns the best by the tie rule.
pub fn brute_force(p: &Problem, m: &Models, q: &Quality) -> Option<NodeResult> {
    let lat = Lattice::new(&p.heights())?;
    let ck = Checker::new(p, m, q);
    let mut best: Option<NodeResult> = None;
    for i in 0..lat.size {
        let levels = lat.levels(i);
        let (r, c) = ck.eval_from(&ck.base, &levels);
        if c.anonymous && best.as_ref().is_none_or(|b| better(&r, b)) {
            best = Some(r);
        }
    }
    best
}
