//! Classic re-identification risk over quasi-identifiers (ARX's prosecutor, journalist and
//! marketer models, sample and population uniqueness) and attribute disclosure of sensitive
//! columns (l-diversity, t-closeness).

use crate::error::{invalid, Result};
use crate::population::{estimate, Histogram, PopulationUniques};
use crate::prepare::column_indices;
use crate::watch::Watch;
use datavisa_table::{
    encode_shared, numeric_ranks, Column, ColumnData, EquivalenceClasses, Table, MISSING,
};
use serde::Serialize;

/// What to measure.
#[derive(Clone, Debug, Serialize)]
pub struct ClassicParams {
    pub quasi: Vec<String>,
    pub sensitive: Vec<String>,
    /// Report records in classes smaller than this k.
    pub k: Option<u64>,
    /// Prosecutor record-risk threshold for "records at risk" (default 0.2, i.e. classes < 5).
    pub threshold: f64,
    /// Population size for population-uniqueness estimates (or taken from a population table).
    pub population_size: Option<f64>,
    /// l for distinct/entropy/recursive l-diversity checks.
    pub l: Option<f64>,
    /// c for recursive (c,l)-diversity.
    pub c: Option<f64>,
    /// t for t-closeness checks.
    pub t: Option<f64>,
}

impl Default for ClassicParams {
    fn default() -> Self {
        ClassicParams {
            quasi: Vec::new(),
            sensitive: Vec::new(),
            k: None,
            threshold: 0.2,
            population_size: None,
            l: None,
            c: None,
            t: None,
        }
    }
}

/// Prosecutor risk (the attacker knows the target is in the data).
#[derive(Clone, Debug, Serialize)]
pub struct Prosecutor {
    pub highest: f64,
    pub average: f64,
    pub lowest: f64,
    /// Share of records whose risk 1/|E| exceeds the threshold.
    pub records_at_risk: f64,
    pub threshold: f64,
}

/// Journalist risk (the target is drawn from a larger population).
#[derive(Clone, Debug, Serialize)]
pub struct Journalist {
    pub highest: f64,
    pub average: f64,
    pub based_on: &'static str,
}

/// Attribute disclosure for one sensitive column.
#[derive(Clone, Debug, Serialize)]
pub struct Diversity {
    pub column: String,
    /// Smallest number of distinct values in a class.
    pub distinct_l: u64,
    /// exp(smallest class entropy): the largest l for which entropy l-diversity holds.
    pub entropy_l: f64,
    /// Largest equal-distance (total variation) distance of a class to the whole table.
    pub t_equal: f64,
    /// Largest ordered distance (numeric columns only).
    pub t_ordered: Option<f64>,
    /// Records in classes failing the requested distinct / entropy / recursive (c,l) / t checks.
    pub violations: serde_json::Value,
}

/// The full report of `datavisa risk`.
#[derive(Clone, Debug, Serialize)]
pub struct ClassicReport {
    pub n_records: u64,
    pub n_classes: u64,
    pub k: u64,
    pub largest_class: u64,
    pub class_size_histogram: Vec<(u64, u64)>,
    pub records_below_k: Option<u64>,
    pub prosecutor: Prosecutor,
    pub journalist: Journalist,
    pub marketer: f64,
    pub sample_uniqueness: f64,
    pub population: Option<PopulationUniques>,
    pub sensitive: Vec<Diversity>,
    pub params: ClassicParams,
    pub warnings: Vec<String>,
}

/// Refuses model parameters no model has: NaN, infinities, t outside [0, 1], l or k below 1.
fn check_models(p: &ClassicParams) -> Result<()> {
    let bad = |what: &str, v: f64, range: &str| {
        Err(invalid(format!("{what} = {v} is not a number in {range}")))
    };
    if p.k == Some(0) {
        return Err(invalid("k = 0: k-anonymity needs k of at least 1"));
    }
    if let Some(l) = p.l.filter(|l| !(l.is_finite() && *l >= 1.0)) {
        return bad("l", l, "[1, ∞)");
    }
    if let Some(c) = p.c.filter(|c| !(c.is_finite() && *c > 0.0)) {
        return bad("c", c, "(0, ∞)");
    }
    if let Some(t) = p.t.filter(|t| !(t.is_finite() && (0.0..=1.0).contains(t))) {
        return bad("t", t, "[0, 1]");
    }
    if let Some(n) = p.population_size.filter(|n| !(n.is_finite() && *n >= 1.0)) {
        return bad("the population size", n, "[1, ∞)");
    }
    Ok(())
}

/// Measures `table` (and, for journalist/marketer risk, its `population` table if given).
pub fn classic_risk(
    table: &Table,
    population: Option<&Table>,
    p: &ClassicParams,
) -> Result<ClassicReport> {
    classic_risk_watched(table, population, p, &|_| {})
}

/// [`classic_risk`], stopping between its phases (classes, population, diversity) when
/// `watch` says so.
pub fn classic_risk_watched(
    table: &Table,
    population: Option<&Table>,
    p: &ClassicParams,
    watch: &dyn Watch,
) -> Result<ClassicReport> {
    if p.quasi.is_empty() {
        return Err(invalid("name at least one quasi-identifier"));
    }
    if table.n_rows == 0 {
        return Err(invalid("the table has no rows"));
    }
    if !(p.threshold > 0.0 && p.threshold <= 1.0) {
        return Err(invalid("the risk threshold must be in (0, 1]"));
    }
    check_models(p)?;
    let qi = column_indices(table, &p.quasi)?;
    let classes = EquivalenceClasses::of(table, &qi);
    crate::watch::check(watch)?;
    let sizes = &classes.sizes;
    let n = table.n_rows as f64;
    let u = sizes.len() as f64;
    let k = *sizes.iter().min().unwrap_or(&0);
    let largest = *sizes.iter().max().unwrap_or(&0);
    let hist = Histogram::from_sizes(sizes);
    let at_risk: u64 = sizes
        .iter()
        .filter(|&&s| 1.0 / s as f64 > p.threshold)
        .sum();
    let prosecutor = Prosecutor {
        highest: 1.0 / k as f64,
        average: u / n,
        lowest: 1.0 / largest as f64,
        records_at_risk: at_risk as f64 / n,
        threshold: p.threshold,
    };
    let mut warnings = Vec::new();
    let (journalist, marketer, pop_size) = match population {
        Some(pop) => {
            let (j, m) = journalist_marketer(table, pop, &p.quasi, &classes, &mut warnings)?;
            (j, m, Some(p.population_size.unwrap_or(pop.n_rows as f64)))
        }
        None => (
            Journalist {
                highest: prosecutor.highest,
                average: prosecutor.average,
                based_on: "sample classes (no population table given)",
            },
            u / n,
            p.population_size,
        ),
    };
    let population = match pop_size {
        Some(big_n) if big_n >= n => Some(estimate(&hist, big_n)),
        Some(big_n) => {
            warnings.push(format!(
                "population size {big_n} is smaller than the {n} records; population uniqueness skipped"
            ));
            None
        }
        None => None,
    };
    crate::watch::check(watch)?;
    let sensitive = p
        .sensitive
        .iter()
        .map(|s| diversity(table, s, &classes, p))
        .collect::<Result<Vec<_>>>()?;
    Ok(ClassicReport {
        n_records: table.n_rows as u64,
        n_classes: sizes.len() as u64,
        k,
        largest_class: largest,
        class_size_histogram: hist.0.clone(),
        records_below_k: p.k.map(|kk| sizes.iter().filter(|&&s| s < kk).sum()),
        prosecutor,
        journalist,
        marketer,
        sample_uniqueness: hist.classes_of_size(1) / n,
        population,
        sensitive,
        params: p.clone(),
        warnings,
    })
}

/// Journalist and marketer risk with population class sizes F_E.
fn journalist_marketer(
    table: &Table,
    pop: &Table,
    quasi: &[String],
    classes: &EquivalenceClasses,
    warnings: &mut Vec<String>,
) -> Result<(Journalist, f64)> {
    let a = crate::prepare::project(table, quasi)?;
    let b = crate::prepare::project(pop, quasi)?;
    let shared = encode_shared(&[&a, &b])?;
    // One grouping over sample rows followed by population rows, so keys are comparable.
    let both: Vec<Vec<u32>> = (0..quasi.len())
        .map(|c| joined_codes(&shared[0].columns[c], &shared[1].columns[c]))
        .collect();
    let slices: Vec<&[u32]> = both.iter().map(|v| v.as_slice()).collect();
    let all = EquivalenceClasses::of_codes(&slices, a.n_rows + b.n_rows);
    let mut pop_size = vec![0u64; all.len()];
    for &c in &all.class_of_row[a.n_rows..] {
        pop_size[c as usize] += 1;
    }
    // F_E for each sample class.
    let mut f_big = vec![0u64; classes.len()];
    for r in 0..a.n_rows {
        f_big[classes.class_of_row[r] as usize] = pop_size[all.class_of_row[r] as usize];
    }
    let mut short = 0;
    for (fb, &fs) in f_big.iter_mut().zip(&classes.sizes) {
        if *fb < fs {
            short += 1;
            *fb = fs;
        }
    }
    if short > 0 {
        warnings.push(format!(
            "{short} sample classes are larger in the sample than in the population table; \
             the population is not a superset of the sample (treated as F = f)"
        ));
    }
    let n = a.n_rows as f64;
    let u = classes.len() as f64;
    let sum_f_big: f64 = f_big.iter().map(|&x| x as f64).sum();
    let marketer: f64 = classes
        .sizes
        .iter()
        .zip(&f_big)
        .map(|(&f, &fb)| f as f64 / fb as f64)
        .sum::<f64>()
        / n;
    let min_f_big = *f_big.iter().min().unwrap_or(&1);
    Ok((
        Journalist {
            highest: 1.0 / min_f_big as f64,
            average: (u / sum_f_big).max(marketer),
            based_on: "population table",
        },
        marketer,
    ))
}

/// Codes of one column over sample rows then population rows, meaning the same value in both:
/// shared dictionary codes, or (numbers) ranks over the joined values, since `codes()` ranks
/// within one table.
fn joined_codes(a: &Column, b: &Column) -> Vec<u32> {
    if let (ColumnData::Numeric(x), ColumnData::Numeric(y)) = (&a.data, &b.data) {
        let mut all = x.to_vec();
        all.extend_from_slice(y);
        return numeric_ranks(&all);
    }
    let mut v = a.codes().into_owned();
    v.extend_from_slice(&b.codes());
    v
}

/// l-diversity and t-closeness of one sensitive column over the classes.
fn diversity(
    t: &Table,
    name: &str,
    classes: &EquivalenceClasses,
    p: &ClassicParams,
) -> Result<Diversity> {
    let col = t.column(name)?;
    let codes = col.codes();
    let numeric = matches!(col.data, ColumnData::Numeric(_));
    // Dense value ids, missing as its own value (last).
    let n_values = codes
        .iter()
        .filter(|&&c| c != MISSING)
        .max()
        .map_or(0, |&m| m as usize + 1)
        + 1;
    let value = |c: u32| {
        if c == MISSING {
            n_values - 1
        } else {
            c as usize
        }
    };
    let n = t.n_rows as f64;
    let mut overall = vec![0f64; n_values];
    for &c in codes.iter() {
        overall[value(c)] += 1.0;
    }
    let q: Vec<f64> = overall.iter().map(|x| x / n).collect();
    // Rows grouped by class (counting sort).
    let u = classes.len();
    let mut start = vec![0usize; u + 1];
    for &c in &classes.class_of_row {
        start[c as usize + 1] += 1;
    }
    for i in 0..u {
        start[i + 1] += start[i];
    }
    let mut fill = start.clone();
    let mut rows = vec![0u32; t.n_rows];
    for (r, &c) in classes.class_of_row.iter().enumerate() {
        rows[fill[c as usize]] = r as u32;
        fill[c as usize] += 1;
    }
    let mut counts = vec![0f64; n_values];
    let mut touched: Vec<usize> = Vec::new();
    let ordered = OrderedDistance::new(&q[..n_values - 1]);
    let (mut min_distinct, mut min_entropy, mut t_eq, mut t_ord) =
        (u64::MAX, f64::INFINITY, 0f64, 0f64);
    let (mut v_distinct, mut v_entropy, mut v_recursive, mut v_t) = (0u64, 0u64, 0u64, 0u64);
    for class in 0..u {
        let members = &rows[start[class]..start[class + 1]];
        for &r in members {
            let v = value(codes[r as usize]);
            if counts[v] == 0.0 {
                touched.push(v);
            }
            counts[v] += 1.0;
        }
        let size = members.len() as f64;
        let distinct = touched.len() as u64;
        let entropy = entropy_of(touched.iter().map(|&v| counts[v] / size));
        let teq = equal_distance(touched.iter().map(|&v| (v, counts[v] / size)), &q);
        let tord = if numeric && n_values > 2 {
            touched.sort_unstable();
            ordered.distance(
                touched
                    .iter()
                    .filter(|&&v| v < n_values - 1)
                    .map(|&v| (v, counts[v] / size)),
            )
        } else {
            0.0
        };
        min_distinct = min_distinct.min(distinct);
        min_entropy = min_entropy.min(entropy);
        t_eq = t_eq.max(teq);
        t_ord = t_ord.max(tord);
        let members_n = members.len() as u64;
        if let Some(l) = p.l {
            if (distinct as f64) < l {
                v_distinct += members_n;
            }
            if entropy < l.ln() - 1e-12 {
                v_entropy += members_n;
            }
            if let Some(c) = p.c {
                let mut r: Vec<f64> = touched.iter().map(|&v| counts[v]).collect();
                r.sort_unstable_by(|a, b| b.total_cmp(a));
                let li = l.ceil() as usize;
                let ok = r.len() >= li && r[0] < c * r[li - 1..].iter().sum::<f64>();
                if !ok {
                    v_recursive += members_n;
                }
            }
        }
        if let Some(tt) = p.t {
            let d = if numeric { tord } else { teq };
            if d > tt + 1e-12 {
                v_t += members_n;
            }
        }
        for &v in &touched {
            counts[v] = 0.0;
        }
        touched.clear();
    }
    let violations = serde_json::json!({
        "distinct_l": p.l.map(|_| v_distinct),
        "entropy_l": p.l.map(|_| v_entropy),
        "recursive_cl": p.l.and(p.c).map(|_| v_recursive),
        "t_closeness": p.t.map(|_| v_t),
        "t_distance": if numeric { "ordered" } else { "equal" },
    });
    Ok(Diversity {
        column: name.to_owned(),
        distinct_l: min_distinct,
        entropy_l: min_entropy.exp(),
        t_equal: t_eq,
        t_ordered: numeric.then_some(t_ord),
        violations,
    })
}

/// Shannon entropy (natural log) of a class's value shares.
pub fn entropy_of(shares: impl Iterator<Item = f64>) -> f64 {
    shares.map(|p| -p * p.ln()).sum()
}

/// Equal-distance t-closeness (total variation) of a class, from its present values' shares:
/// ½ Σ|p − q| = ½ (Σ_{v present} (|p − q| − q) + 1).
pub fn equal_distance(present: impl Iterator<Item = (usize, f64)>, q: &[f64]) -> f64 {
    0.5 * (present.map(|(v, p)| (p - q[v]).abs() - q[v]).sum::<f64>() + 1.0)
}

/// Ordered (EMD) distance of class distributions to the table's, computed from the class's
/// present values only: between two of them the class's cumulative share is constant, and the
/// table's cumulative share is monotone, so each stretch is summed in O(log m) with prefix sums.
#[derive(Clone, Debug)]
pub struct OrderedDistance {
    /// Cumulative table share up to and including rank i.
    cum: Vec<f64>,
    /// prefix[i] = Σ_{k<i} cum[k].
    prefix: Vec<f64>,
}

impl OrderedDistance {
    /// Prepares the prefix sums of the table distribution `q` (values in rank order).
    pub fn new(q: &[f64]) -> OrderedDistance {
        let mut cum = Vec::with_capacity(q.len());
        let mut acc = 0.0;
        for &x in q {
            acc += x;
            cum.push(acc);
        }
        let mut prefix = vec![0.0; q.len() + 1];
        for i in 0..q.len() {
            prefix[i + 1] = prefix[i] + cum[i];
        }
        OrderedDistance { cum, prefix }
    }

    /// Σ_{i∈[a,b)} |c − cum[i]|.
    fn stretch(&self, a: usize, b: usize, c: f64) -> f64 {
        if a >= b {
            return 0.0;
        }
        let s = a + self.cum[a..b].partition_point(|&x| x <= c);
        let below = c * (s - a) as f64 - (self.prefix[s] - self.prefix[a]);
        let above = (self.prefix[b] - self.prefix[s]) - c * (b - s) as f64;
        below + above
    }

    /// Distance for a class given its (rank, share) pairs in ascending rank order.
    pub fn distance(&self, present: impl Iterator<Item = (usize, f64)>) -> f64 {
        let m = self.cum.len();
        if m < 2 {
            return 0.0;
        }
        let (mut start, mut level, mut total) = (0usize, 0.0f64, 0.0f64);
        for (v, share) in present {
            total += self.stretch(start, v, level);
            level += share;
            start = v;
        }
        total += self.stretch(start, m, level);
        total / (m - 1) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datavisa_table::ValueType;

    fn cat(name: &str, values: &[&str]) -> Column {
        Column::from_texts(name, values)
    }

    fn num(name: &str, values: &[f64]) -> Column {
        Column::from_numbers(name, ValueType::Integer, values.to_vec())
    }

    /// 10 records: classes (a,1)×4, (a,2)×3, (b,1)×2, (b,2)×1.
    fn sample() -> Table {
        Table::new(vec![
            cat("g", &["a", "a", "a", "a", "a", "a", "a", "b", "b", "b"]),
            num("z", &[1., 1., 1., 1., 2., 2., 2., 1., 1., 2.]),
            cat("s", &["x", "x", "y", "z", "x", "x", "x", "y", "y", "x"]),
            num("w", &[10., 20., 30., 40., 10., 10., 20., 30., 40., 10.]),
        ])
        .unwrap()
    }

    #[test]
    fn hand_computed_classic_metrics() {
        let p = ClassicParams {
            quasi: vec!["g".into(), "z".into()],
            sensitive: vec!["s".into(), "w".into()],
            k: Some(3),
            l: Some(2.0),
            c: Some(2.0),
            t: Some(0.5),
            ..Default::default()
        };
        let r = classic_risk(&sample(), None, &p).unwrap();
        assert_eq!(r.n_classes, 4);
        assert_eq!(r.k, 1);
        assert_eq!(r.largest_class, 4);
        assert_eq!(r.class_size_histogram, vec![(1, 1), (2, 1), (3, 1), (4, 1)]);
        assert_eq!(r.records_below_k, Some(3));
        assert_eq!(r.prosecutor.highest, 1.0);
        assert!((r.prosecutor.average - 0.4).abs() < 1e-12);
        assert_eq!(r.prosecutor.lowest, 0.25);
        // 1/|E| > 0.2 for every class (all are smaller than 5).
        assert!((r.prosecutor.records_at_risk - 1.0).abs() < 1e-12);
        assert!((r.marketer - 0.4).abs() < 1e-12);
        assert!((r.sample_uniqueness - 0.1).abs() < 1e-12);
        let s = &r.sensitive[0];
        // Classes: {x,x,y,z}, {x,x,x}, {y,y}, {x}: distinct 3,1,1,1.
        assert_eq!(s.distinct_l, 1);
        assert!((s.entropy_l - 1.0).abs() < 1e-12);
        // Overall q = x .6, y .3, z .1. Class {y,y}: ½(|0−.6| + |1−.3| + |0−.1|) = 0.7.
        assert!((s.t_equal - 0.7).abs() < 1e-12);
        // Distinct-2 fails for the three single-valued classes: 3+2+1 records.
        assert_eq!(s.violations["distinct_l"], 6);
        // Recursive (2,2): {x,x,y,z}: r1=2 < 2·(1+1)=4 passes; the others fail.
        assert_eq!(s.violations["recursive_cl"], 6);
        // Class distances: {x,x,y,z} .15, {x,x,x} .4, {y,y} .7, {x} .4 → only {y,y} above 0.5.
        assert_eq!(s.violations["t_closeness"], 2);
        // Ordered distance of w (values 10,20,30,40; q = .4,.2,.2,.2). Class {30,40}:
        // p − q = −.4,−.2,.3,.3; cumulative −.4,−.6,−.3,0 → 1.3/3, the largest of the four.
        let w = &r.sensitive[1];
        assert!((w.t_ordered.unwrap() - 1.3 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn journalist_with_a_population_table() {
        let s = sample();
        // Population: the sample plus one more (b,2) and two more (a,1)… as rows.
        let pop = Table::new(vec![
            cat(
                "g",
                &[
                    "a", "a", "a", "a", "a", "a", "a", "b", "b", "b", "b", "a", "a",
                ],
            ),
            num("z", &[1., 1., 1., 1., 2., 2., 2., 1., 1., 2., 2., 1., 1.]),
        ])
        .unwrap();
        let p = ClassicParams {
            quasi: vec!["g".into(), "z".into()],
            ..Default::default()
        };
        let r = classic_risk(&s, Some(&pop), &p).unwrap();
        // F: (a,1) 6, (a,2) 3, (b,1) 2, (b,2) 2 → highest 1/2; marketer = (4/6+3/3+2/2+1/2)/10.
        assert!((r.journalist.highest - 0.5).abs() < 1e-12);
        let m = (4.0 / 6.0 + 1.0 + 1.0 + 0.5) / 10.0;
        assert!((r.marketer - m).abs() < 1e-12);
        assert!((r.journalist.average - (4.0f64 / 13.0).max(m)).abs() < 1e-12);
        let pu = r.population.unwrap();
        assert_eq!(pu.population_size, 13.0);
    }

    proptest::proptest! {
        #[test]
        fn ordered_distance_equals_the_direct_sum(
            q in proptest::collection::vec(0.0f64..1.0, 2..30),
            p in proptest::collection::vec(0.0f64..1.0, 2..30),
        ) {
            let m = q.len().min(p.len());
            let (qs, ps): (f64, f64) = (q[..m].iter().sum(), p[..m].iter().sum());
            let q: Vec<f64> = q[..m].iter().map(|x| x / qs).collect();
            let p: Vec<f64> = p[..m].iter().map(|x| x / ps).collect();
            let (mut cum, mut direct) = (0.0, 0.0);
            for i in 0..m {
                cum += p[i] - q[i];
                direct += f64::abs(cum);
            }
            direct /= (m - 1) as f64;
            let fast = OrderedDistance::new(&q)
                .distance(p.iter().copied().enumerate().filter(|(_, x)| *x > 0.0));
            proptest::prop_assert!((fast - direct).abs() < 1e-9, "{} vs {}", fast, direct);
        }
    }

    #[test]
    fn bad_parameters_are_errors() {
        let s = sample();
        assert!(classic_risk(&s, None, &ClassicParams::default()).is_err());
        let p = ClassicParams {
            quasi: vec!["nope".into()],
            ..Default::default()
        };
        assert!(classic_risk(&s, None, &p).is_err());
    }
}
