//! Singling-out queries: conjunctions of per-column predicates, evaluated on encoded columns
//! through per-column indexes (posting lists for codes, sorted values for numbers), starting from
//! the most selective predicate and stopping as soon as a second match is found.

use datavisa_table::{ColumnData, Table, MISSING};
use serde::Serialize;

/// A comparison operator on numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Gt,
    Le,
    Ge,
}

impl Op {
    /// All six operators, in a fixed order (the baseline draws from it).
    pub const ALL: [Op; 6] = [Op::Eq, Op::Ne, Op::Gt, Op::Lt, Op::Ge, Op::Le];

    fn symbol(self) -> &'static str {
        match self {
            Op::Eq => "==",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Gt => ">",
            Op::Le => "<=",
            Op::Ge => ">=",
        }
    }

    fn holds(self, x: f64, v: f64) -> bool {
        match self {
            Op::Eq => x == v,
            Op::Ne => x != v,
            Op::Lt => x < v,
            Op::Gt => x > v,
            Op::Le => x <= v,
            Op::Ge => x >= v,
        }
    }
}

/// One predicate on one column. A comparison with a missing value is false, as in SQL.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Predicate {
    IsNull(u32),
    NotNull(u32),
    Code { col: u32, eq: bool, code: u32 },
    Num { col: u32, op: Op, value: f64 },
}

impl Predicate {
    /// The column the predicate reads.
    pub fn column(&self) -> u32 {
        match *self {
            Predicate::IsNull(c) | Predicate::NotNull(c) => c,
            Predicate::Code { col, .. } | Predicate::Num { col, .. } => col,
        }
    }

    fn key(&self) -> (u32, u8, u64) {
        match *self {
            Predicate::IsNull(c) => (c, 0, 0),
            Predicate::NotNull(c) => (c, 1, 0),
            Predicate::Code { col, eq, code } => (col, 2 + eq as u8, code as u64),
            Predicate::Num { col, op, value } => (col, 4 + op as u8, value.to_bits()),
        }
    }

    /// True when row `r` of `cols` satisfies the predicate.
    #[inline]
    pub fn matches(&self, cols: &[ColumnView<'_>], r: usize) -> bool {
        match *self {
            Predicate::IsNull(c) => cols[c as usize].is_missing(r),
            Predicate::NotNull(c) => !cols[c as usize].is_missing(r),
            Predicate::Code { col, eq, code } => match cols[col as usize] {
                ColumnView::Codes(v) => v[r] != MISSING && (v[r] == code) == eq,
                ColumnView::Numbers(_) => false,
            },
            Predicate::Num { col, op, value } => match cols[col as usize] {
                ColumnView::Numbers(v) => !v[r].is_nan() && op.holds(v[r], value),
                ColumnView::Codes(_) => false,
            },
        }
    }

    /// The predicate as `[column, operator, value]` (value a string, a number, or null for
    /// `is null` / `is not null`), for a front end to rebuild it as its own expression.
    pub fn term(&self, t: &Table) -> serde_json::Value {
        let name = |c: u32| t.columns[c as usize].name.clone();
        match *self {
            Predicate::IsNull(c) => serde_json::json!([name(c), "is_null", null]),
            Predicate::NotNull(c) => serde_json::json!([name(c), "is_not_null", null]),
            Predicate::Code { col, eq, code } => {
                let value = match &t.columns[col as usize].data {
                    ColumnData::Categorical(cat) => serde_json::json!(cat.dict().get(code)),
                    ColumnData::Numeric(_) => serde_json::json!(code),
                };
                serde_json::json!([name(col), if eq { "==" } else { "!=" }, value])
            }
            Predicate::Num { col, op, value } => {
                serde_json::json!([name(col), op.symbol(), value])
            }
        }
    }

    /// Human-readable form, e.g. `age >= 67` or `sex == "Female"`.
    pub fn describe(&self, t: &Table) -> String {
        let name = |c: u32| t.columns[c as usize].name.as_str();
        match *self {
            Predicate::IsNull(c) => format!("{} is null", name(c)),
            Predicate::NotNull(c) => format!("{} is not null", name(c)),
            Predicate::Code { col, eq, code } => {
                let text = match &t.columns[col as usize].data {
                    ColumnData::Categorical(cat) => cat.dict().get(code).to_owned(),
                    ColumnData::Numeric(_) => code.to_string(),
                };
                format!("{} {} {:?}", name(col), if eq { "==" } else { "!=" }, text)
            }
            Predicate::Num { col, op, value } => {
                format!("{} {} {}", name(col), op.symbol(), value)
            }
        }
    }
}

/// A conjunction of predicates, kept sorted by column so equal sets compare equal.
#[derive(Clone, Debug, PartialEq)]
pub struct Query(pub Vec<Predicate>);

impl Query {
    /// A query from predicates in any order.
    pub fn new(mut preds: Vec<Predicate>) -> Query {
        preds.sort_by_key(|p| p.key());
        Query(preds)
    }

    /// A hashable identity (two queries with the same predicates have the same key).
    pub fn key(&self) -> Vec<(u32, u8, u64)> {
        self.0.iter().map(Predicate::key).collect()
    }

    /// The predicates' terms ([`Predicate::term`]), all of which a row must satisfy.
    pub fn terms(&self, t: &Table) -> serde_json::Value {
        serde_json::Value::Array(self.0.iter().map(|p| p.term(t)).collect())
    }

    /// Human-readable form joined with `and`.
    pub fn describe(&self, t: &Table) -> String {
        self.0
            .iter()
            .map(|p| p.describe(t))
            .collect::<Vec<_>>()
            .join(" and ")
    }
}

/// A borrowed view of one column.
#[derive(Clone, Copy, Debug)]
pub enum ColumnView<'a> {
    Codes(&'a [u32]),
    Numbers(&'a [f64]),
}

impl ColumnView<'_> {
    #[inline]
    fn is_missing(&self, r: usize) -> bool {
        match self {
            ColumnView::Codes(v) => v[r] == MISSING,
            ColumnView::Numbers(v) => v[r].is_nan(),
        }
    }
}

/// Views of every column of a table.
pub fn views(t: &Table) -> Vec<ColumnView<'_>> {
    t.columns
        .iter()
        .map(|c| match &c.data {
            ColumnData::Categorical(cat) => ColumnView::Codes(cat.codes()),
            ColumnData::Numeric(v) => ColumnView::Numbers(v),
        })
        .collect()
}

enum ColumnIndex {
    /// Rows grouped by code: `rows[offsets[c]..offsets[c+1]]` hold code `c`.
    Postings { offsets: Vec<u32>, rows: Vec<u32> },
    /// Non-missing rows sorted by value, and their values.
    Sorted { values: Vec<f64>, rows: Vec<u32> },
}

/// A table indexed for fast query counting.
pub struct QueryIndex<'a> {
    cols: Vec<ColumnView<'a>>,
    index: Vec<ColumnIndex>,
    missing: Vec<Vec<u32>>,
    n_rows: usize,
}

/// Where the matches of a predicate can be enumerated from.
enum Source<'s> {
    Empty,
    Slice(&'s [u32]),
    Two(&'s [u32], &'s [u32]),
    Scan,
}

impl<'a> QueryIndex<'a> {
    /// Indexes every column of `t`.
    pub fn new(t: &'a Table) -> QueryIndex<'a> {
        let cols = views(t);
        let built: Vec<(ColumnIndex, Vec<u32>)> = {
            use rayon::prelude::*;
            cols.par_iter().map(|c| build_index(*c)).collect()
        };
        let (index, missing) = built.into_iter().unzip();
        QueryIndex {
            cols,
            index,
            missing,
            n_rows: t.n_rows,
        }
    }

    /// A numeric column's non-missing values in ascending order (`f64::total_cmp`); None for
    /// a column of codes.
    pub fn sorted_values(&self, c: usize) -> Option<&[f64]> {
        match &self.index[c] {
            ColumnIndex::Sorted { values, .. } => Some(values),
            ColumnIndex::Postings { .. } => None,
        }
    }

    /// Rows of the indexed table.
    pub fn n_rows(&self) -> usize {
        self.n_rows
    }

    /// How many rows satisfy `p`, and where to enumerate them.
    fn selectivity(&self, p: &Predicate) -> (usize, Source<'_>) {
        let c = p.column() as usize;
        let n_missing = self.missing[c].len();
        let present = self.n_rows - n_missing;
        match (*p, &self.index[c]) {
            (Predicate::IsNull(_), _) => (n_missing, Source::Slice(&self.missing[c])),
            (Predicate::NotNull(_), _) => (present, Source::Scan),
            (Predicate::Code { eq, code, .. }, ColumnIndex::Postings { offsets, rows }) => {
                let (lo, hi) = match offsets.get(code as usize + 1) {
                    Some(&hi) => (offsets[code as usize] as usize, hi as usize),
                    None => (0, 0),
                };
                if eq {
                    (hi - lo, Source::Slice(&rows[lo..hi]))
                } else {
                    (present - (hi - lo), Source::Two(&rows[..lo], &rows[hi..]))
                }
            }
            (Predicate::Num { op, value, .. }, ColumnIndex::Sorted { values, rows }) => {
                if value.is_nan() {
                    return (0, Source::Empty);
                }
                let lt = values.partition_point(|&x| x < value);
                let le = values.partition_point(|&x| x <= value);
                let (a, b): (&[u32], &[u32]) = match op {
                    Op::Eq => (&rows[lt..le], &[]),
                    Op::Ne => (&rows[..lt], &rows[le..]),
                    Op::Lt => (&rows[..lt], &[]),
                    Op::Le => (&rows[..le], &[]),
                    Op::Gt => (&rows[le..], &[]),
                    Op::Ge => (&rows[lt..], &[]),
                };
                (a.len() + b.len(), Source::Two(a, b))
            }
            _ => (0, Source::Empty),
        }
    }

    /// Number of rows matching `q`, counted up to `cap` (enough to know "exactly one").
    pub fn count_capped(&self, q: &Query, cap: usize) -> usize {
        if self.n_rows == 0 {
            return 0;
        }
        if q.0.is_empty() {
            return self.n_rows.min(cap);
        }
        let mut best: Option<(usize, usize, Source<'_>)> = None;
        for (i, p) in q.0.iter().enumerate() {
            let (n, src) = self.selectivity(p);
            if n == 0 {
                return 0;
            }
            if best.as_ref().is_none_or(|b| n < b.0) {
                best = Some((n, i, src));
            }
        }
        let (_, lead, src) = best.expect("non-empty query");
        let others: Vec<&Predicate> =
            q.0.iter()
                .enumerate()
                .filter(|&(i, _)| i != lead)
                .map(|(_, p)| p)
                .collect();
        let ok = |r: usize| others.iter().all(|p| p.matches(&self.cols, r));
        let mut count = 0;
        let mut visit = |rows: &mut dyn Iterator<Item = usize>| {
            for r in rows {
                if ok(r) {
                    count += 1;
                    if count >= cap {
                        return true;
                    }
                }
            }
            false
        };
        match src {
            Source::Empty => {}
            Source::Slice(s) => {
                visit(&mut s.iter().map(|&r| r as usize));
            }
            Source::Two(a, b) => {
                if !visit(&mut a.iter().map(|&r| r as usize)) {
                    visit(&mut b.iter().map(|&r| r as usize));
                }
            }
            Source::Scan => {
                let lead_p = q.0[lead];
                visit(&mut (0..self.n_rows).filter(|&r| lead_p.matches(&self.cols, r)));
            }
        }
        count
    }

    /// True when `q` matches exactly one row.
    pub fn singles_out(&self, q: &Query) -> bool {
        self.count_capped(q, 2) == 1
    }
}

fn build_index(c: ColumnView<'_>) -> (ColumnIndex, Vec<u32>) {
    match c {
        ColumnView::Codes(codes) => {
            let max = codes
                .iter()
                .filter(|&&x| x != MISSING)
                .max()
                .map_or(0, |&m| m as usize + 1);
            let mut offsets = vec![0u32; max + 1];
            let mut missing = Vec::new();
            for (r, &x) in codes.iter().enumerate() {
                if x == MISSING {
                    missing.push(r as u32);
                } else {
                    offsets[x as usize + 1] += 1;
                }
            }
            for i in 1..offsets.len() {
                offsets[i] += offsets[i - 1];
            }
            let mut fill = offsets.clone();
            let mut rows = vec![0u32; codes.len() - missing.len()];
            for (r, &x) in codes.iter().enumerate() {
                if x != MISSING {
                    rows[fill[x as usize] as usize] = r as u32;
                    fill[x as usize] += 1;
                }
            }
            (ColumnIndex::Postings { offsets, rows }, missing)
        }
        ColumnView::Numbers(v) => {
            let missing: Vec<u32> = (0..v.len() as u32)
                .filter(|&r| v[r as usize].is_nan())
                .collect();
            let (values, rows) = sorted_by_few_values(v).unwrap_or_else(|| sorted_by_comparison(v));
            (ColumnIndex::Sorted { values, rows }, missing)
        }
    }
}

/// A column's non-missing values ascending (`f64::total_cmp`) with their rows, ties by row.
type SortedColumn = (Vec<f64>, Vec<u32>);

/// [`SortedColumn`] by sorting every (value, row) pair, as one integer each: the value's bits
/// mapped so that unsigned order is `f64::total_cmp`'s, then the row.
fn sorted_by_comparison(v: &[f64]) -> SortedColumn {
    let mut keys: Vec<u128> = v
        .iter()
        .enumerate()
        .filter(|(_, x)| !x.is_nan())
        .map(|(r, &x)| (u128::from(total_order_key(x)) << 32) | r as u128)
        .collect();
    keys.sort_unstable();
    keys.iter()
        .map(|&k| (from_total_order_key((k >> 32) as u64), k as u32))
        .unzip()
}

/// `x`'s bits mapped so that unsigned comparison orders as `f64::total_cmp` does.
fn total_order_key(x: f64) -> u64 {
    let b = x.to_bits();
    if b >> 63 == 1 {
        !b
    } else {
        b | (1 << 63)
    }
}

/// The value whose [`total_order_key`] is `k`.
fn from_total_order_key(k: u64) -> f64 {
    f64::from_bits(if k >> 63 == 1 { k & !(1 << 63) } else { !k })
}

/// [`SortedColumn`] by sorting only the distinct values (by their exact bits, so the order is
/// the comparison sort's) and placing the rows by counting, in row order; None when there are
/// too many distinct values for that to pay.
fn sorted_by_few_values(v: &[f64]) -> Option<SortedColumn> {
    let limit = v.len() / 8;
    let mut slot: hashbrown::HashMap<u64, u32, foldhash::fast::FixedState> =
        hashbrown::HashMap::default();
    let mut distinct: Vec<f64> = Vec::new();
    let mut slot_of_row: Vec<u32> = Vec::with_capacity(v.len());
    for &x in v {
        if x.is_nan() {
            slot_of_row.push(u32::MAX);
            continue;
        }
        let next = distinct.len() as u32;
        let s = *slot.entry(x.to_bits()).or_insert_with(|| {
            distinct.push(x);
            next
        });
        if distinct.len() > limit.max(1) {
            return None;
        }
        slot_of_row.push(s);
    }
    let mut order: Vec<u32> = (0..distinct.len() as u32).collect();
    order.sort_unstable_by(|&a, &b| distinct[a as usize].total_cmp(&distinct[b as usize]));
    let mut rank = vec![0u32; distinct.len()];
    for (r, &s) in order.iter().enumerate() {
        rank[s as usize] = r as u32;
    }
    let mut start = vec![0u32; distinct.len() + 1];
    for &s in slot_of_row.iter().filter(|&&s| s != u32::MAX) {
        start[rank[s as usize] as usize + 1] += 1;
    }
    for i in 1..start.len() {
        start[i] += start[i - 1];
    }
    let n = start[distinct.len()] as usize;
    let (mut values, mut rows) = (vec![0.0; n], vec![0u32; n]);
    for (r, &s) in slot_of_row.iter().enumerate() {
        if s != u32::MAX {
            let k = rank[s as usize] as usize;
            let at = start[k] as usize;
            values[at] = distinct[s as usize];
            rows[at] = r as u32;
            start[k] += 1;
        }
    }
    Some((values, rows))
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The integer key orders as `f64::total_cmp` and gives the value back, bit for bit.
        #[test]
        fn total_order_keys_order_as_total_cmp(a in proptest::num::f64::ANY, b in proptest::num::f64::ANY) {
            proptest::prop_assert_eq!(total_order_key(a).cmp(&total_order_key(b)), a.total_cmp(&b));
            proptest::prop_assert_eq!(from_total_order_key(total_order_key(a)).to_bits(), a.to_bits());
        }

        /// Sorting every pair gives (value by `total_cmp`, then row), -0 before 0.
        #[test]
        fn comparison_sort_orders_by_value_then_row(v in proptest::collection::vec(proptest::num::f64::ANY, 0..100)) {
            let (values, rows) = sorted_by_comparison(&v);
            let mut want: Vec<(f64, u32)> = v.iter().enumerate().filter(|(_, x)| !x.is_nan()).map(|(r, &x)| (x, r as u32)).collect();
            want.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            proptest::prop_assert_eq!(rows, want.iter().map(|p| p.1).collect::<Vec<_>>());
            proptest::prop_assert_eq!(
                values.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
                want.iter().map(|p| p.0.to_bits()).collect::<Vec<_>>()
            );
        }

        /// Sorting by few distinct values gives exactly the comparison sort, NaN, -0 and ties
        /// included.
        #[test]
        fn counting_the_few_values_sorts_as_comparing(
            picks in proptest::collection::vec(0usize..6, 0..200)
        ) {
            let pool = [0.0, -0.0, f64::NAN, 1.5, -2.0, f64::INFINITY];
            let v: Vec<f64> = picks.iter().map(|&i| pool[i]).collect();
            let want = sorted_by_comparison(&v);
            if let Some(got) = sorted_by_few_values(&v) {
                proptest::prop_assert_eq!(&got.1, &want.1);
                let bits = |x: &[f64]| x.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
                proptest::prop_assert_eq!(bits(&got.0), bits(&want.0));
            } else {
                proptest::prop_assert!(v.len() < 48);
            }
        }
    }
    use datavisa_table::{CatData, Column, Dictionary, TypeEvidence, ValueType};
    use proptest::prelude::*;
    use std::sync::Arc;

    fn table(cats: Vec<u32>, nums: Vec<f64>) -> Table {
        let mut d = Dictionary::new();
        for v in ["a", "b", "c", "d"] {
            d.intern(v);
        }
        Table::new(vec![
            Column {
                name: "c".into(),
                value_type: ValueType::Categorical,
                data: ColumnData::Categorical(CatData::new(cats, Arc::new(d))),
                evidence: TypeEvidence::default(),
            },
            Column {
                name: "x".into(),
                value_type: ValueType::Float,
                data: ColumnData::Numeric(nums.into()),
                evidence: TypeEvidence::default(),
            },
        ])
        .unwrap()
    }

    fn brute(t: &Table, q: &Query) -> usize {
        let v = views(t);
        (0..t.n_rows)
            .filter(|&r| q.0.iter().all(|p| p.matches(&v, r)))
            .count()
    }

    #[test]
    fn hand_computed_counts() {
        let t = table(
            vec![0, 0, 1, MISSING, 2],
            vec![1.0, 2.0, 2.0, f64::NAN, 5.0],
        );
        let ix = QueryIndex::new(&t);
        let q = |p: Vec<Predicate>| Query::new(p);
        let code = |eq, code| Predicate::Code { col: 0, eq, code };
        let num = |op, value| Predicate::Num { col: 1, op, value };
        assert!(ix.singles_out(&q(vec![Predicate::IsNull(0)])));
        assert!(ix.singles_out(&q(vec![code(true, 2)])));
        assert_eq!(ix.count_capped(&q(vec![code(false, 0)]), 10), 2); // missing is not "!= a"
        assert_eq!(ix.count_capped(&q(vec![num(Op::Ge, 2.0)]), 10), 3);
        assert!(ix.singles_out(&q(vec![code(true, 0), num(Op::Le, 1.0)])));
        assert_eq!(ix.count_capped(&q(vec![num(Op::Ne, 2.0)]), 10), 2);
        assert_eq!(ix.count_capped(&q(vec![code(true, 3)]), 10), 0);
        assert_eq!(ix.count_capped(&q(vec![Predicate::NotNull(1)]), 10), 4);
    }

    fn pred() -> impl Strategy<Value = Predicate> {
        prop_oneof![
            (0u32..2).prop_map(Predicate::IsNull),
            (0u32..2).prop_map(Predicate::NotNull),
            (any::<bool>(), 0u32..5).prop_map(|(eq, code)| Predicate::Code { col: 0, eq, code }),
            (0usize..6, 0i32..6).prop_map(|(o, v)| Predicate::Num {
                col: 1,
                op: Op::ALL[o],
                value: v as f64
            }),
        ]
    }

    proptest! {
        #[test]
        fn index_counts_equal_brute_force(
            rows in proptest::collection::vec((0u32..5, 0i32..7), 0..60),
            preds in proptest::collection::vec(pred(), 1..4),
        ) {
            let cats = rows.iter().map(|r| if r.0 == 4 { MISSING } else { r.0 }).collect();
            let nums = rows.iter().map(|r| if r.1 == 6 { f64::NAN } else { r.1 as f64 }).collect();
            let t = table(cats, nums);
            let ix = QueryIndex::new(&t);
            let q = Query::new(preds);
            let b = brute(&t, &q);
            prop_assert_eq!(ix.count_capped(&q, usize::MAX), b);
            prop_assert_eq!(ix.singles_out(&q), b == 1);
        }
    }
}
