//! The public domain of each synthesized column and the codes the mechanisms work on: categories
//! and numeric bounds come from the spec (public), or — with `--dp-domain` — are estimated with
//! differential privacy and paid for from the budget. Numeric columns become one cell per value
//! for small integer ranges, equal-width or given bins otherwise; missing is a cell of its own.

use super::noise::DiscreteGaussian;
use super::privacy::{gaussian_rho, Budget, Charge};
use crate::error::{invalid, Result};
use datavisa_table::column::CatData;
use datavisa_table::column::ValueType;
use datavisa_table::{Column, ColumnData, Dictionary, DomainSpec, Role, Spec, Table, MISSING};
use rand::Rng;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Arc;

/// Integer ranges up to this many values get one cell per value.
pub const MAX_VALUE_CELLS: usize = 100;
/// Largest number of cells a column may have (pairs of such columns are measured).
pub const MAX_CELLS: usize = 1000;

/// The cells of one column (the missing cell comes last, after these).
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "cells", rename_all = "snake_case")]
pub enum Cells {
    Categories { values: Vec<String> },
    Integers { min: i64, max: i64 },
    Bins { edges: Vec<f64> },
}

impl Cells {
    /// Cells other than missing.
    pub fn len(&self) -> usize {
        match self {
            Cells::Categories { values } => values.len(),
            Cells::Integers { min, max } => (max - min + 1) as usize,
            Cells::Bins { edges } => edges.len() - 1,
        }
    }

    /// True when there is no cell but missing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Where a column's domain came from.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DomainSource {
    /// Declared in the spec: public, free.
    Spec,
    /// Estimated from the data with differential privacy, at this cost.
    DifferentialPrivacy { rho: f64, method: &'static str },
}

/// One synthesized column: its cells and where they came from.
#[derive(Clone, Debug, Serialize)]
pub struct Attribute {
    pub column: String,
    pub value_type: ValueType,
    #[serde(flatten)]
    pub cells: Cells,
    pub source: DomainSource,
    /// Decimal places of the output (from the spec's domain), for numbers drawn inside a bin.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decimals: Option<u32>,
}

impl Attribute {
    /// Cells including the missing cell.
    pub fn size(&self) -> usize {
        self.cells.len() + 1
    }

    /// The code of every row; out-of-domain values go to the missing cell (their number returned).
    pub fn encode(&self, col: &Column) -> Result<(Vec<u32>, usize)> {
        let missing = self.cells.len() as u32;
        let mut outside = 0usize;
        let codes: Vec<u32> = match (&self.cells, &col.data) {
            (Cells::Categories { values }, _) => {
                let index: HashMap<&str, u32> = values
                    .iter()
                    .enumerate()
                    .map(|(i, v)| (v.as_str(), i as u32))
                    .collect();
                (0..col.len())
                    .map(|i| match col.display(i) {
                        None => missing,
                        Some(v) => index.get(v.as_str()).copied().unwrap_or_else(|| {
                            outside += 1;
                            missing
                        }),
                    })
                    .collect()
            }
            (Cells::Integers { min, max }, ColumnData::Numeric(v)) => v
                .iter()
                .map(|x| {
                    if x.is_nan() {
                        missing
                    } else {
                        (x.round().clamp(*min as f64, *max as f64) as i64 - min) as u32
                    }
                })
                .collect(),
            (Cells::Bins { edges }, ColumnData::Numeric(v)) => {
                v.iter().map(|&x| if x.is_nan() { missing } else { bin_of(edges, x) }).collect()
            }
            _ => {
                return Err(invalid(format!(
                    "column {:?} holds text, but its domain gives numeric bounds; declare categories, or type = \"integer\"/\"float\" in the spec",
                    self.column
                )))
            }
        };
        Ok((codes, outside))
    }

    /// The column for synthetic codes (a bin becomes a value drawn uniformly inside it).
    pub fn decode<R: Rng>(&self, codes: &[u32], rng: &mut R) -> Column {
        let missing = self.cells.len() as u32;
        match &self.cells {
            Cells::Categories { values } => {
                let dict = Dictionary::from_distinct(values.iter());
                let codes = codes
                    .iter()
                    .map(|&c| {
                        if c == missing {
                            MISSING
                        } else {
                            dict.code_of(&values[c as usize]).expect("own category")
                        }
                    })
                    .collect();
                Column {
                    name: self.column.clone(),
                    value_type: ValueType::Categorical,
                    data: ColumnData::Categorical(CatData::new(codes, Arc::new(dict))),
                    evidence: Default::default(),
                }
            }
            Cells::Integers { min, .. } => {
                let v = codes
                    .iter()
                    .map(|&c| {
                        if c == missing {
                            f64::NAN
                        } else {
                            (min + c as i64) as f64
                        }
                    })
                    .collect();
                Column::from_numbers(&self.column, self.value_type, v)
            }
            Cells::Bins { edges } => {
                let integral = matches!(self.value_type, ValueType::Integer | ValueType::Date);
                let last = edges.len() - 2;
                let v = codes
                    .iter()
                    .map(|&c| {
                        if c == missing {
                            return f64::NAN;
                        }
                        let (lo, hi) = (edges[c as usize], edges[c as usize + 1]);
                        if integral {
                            // Integers in [lo, hi), and hi too in the last bin.
                            let a = lo.ceil();
                            let b = if c as usize == last {
                                hi.floor()
                            } else {
                                hi.ceil() - 1.0
                            };
                            if b < a {
                                lo.round()
                            } else {
                                rng.random_range(a as i64..=b as i64) as f64
                            }
                        } else {
                            let x = lo + (hi - lo) * rng.random::<f64>();
                            // Written with the source's precision (the spec's `decimals`),
                            // kept inside its bin.
                            self.decimals.map_or(x, |d| round_in(x, d, lo, hi))
                        }
                    })
                    .collect();
                Column::from_numbers(&self.column, self.value_type, v)
            }
        }
    }
}

/// `x` rounded to `d` decimals, staying within [lo, hi] (a bin narrower than the precision
/// gives its rounded lower edge).
fn round_in(x: f64, d: u32, lo: f64, hi: f64) -> f64 {
    let f = 10f64.powi(d as i32);
    let r = (x * f).round() / f;
    if r < lo || r > hi {
        let up = (lo * f).ceil() / f;
        if up <= hi {
            up
        } else {
            (lo * f).round() / f
        }
    } else {
        r
    }
}

/// The bin of `x` (clipped into the edges; the last bin includes its upper edge).
fn bin_of(edges: &[f64], x: f64) -> u32 {
    let last = edges.len() - 2;
    if x <= edges[0] {
        return 0;
    }
    // Index of the first edge greater than x, minus one.
    let i = edges.partition_point(|&e| e <= x);
    (i.saturating_sub(1)).min(last) as u32
}

/// What the spec says about one column and what is still to be estimated.
#[derive(Clone, Debug)]
pub struct Planned {
    pub index: usize,
    pub name: String,
    pub value_type: ValueType,
    pub declared: Option<Cells>,
    /// Bins wanted when bounds are estimated.
    pub bins: Option<usize>,
    /// Decimal places of the output, when the spec says.
    pub decimals: Option<u32>,
}

/// Columns left out of the twin and why.
#[derive(Clone, Debug, Serialize)]
pub struct Dropped {
    pub column: String,
    pub reason: String,
}

/// The synthesized columns with their declared domains, and the columns left out.
pub fn plan(
    spec: &Spec,
    table: &Table,
    drop: &[String],
    dp_domain: bool,
) -> Result<(Vec<Planned>, Vec<Dropped>)> {
    for d in drop {
        table.index_of(d)?;
    }
    let mut planned = Vec::new();
    let mut dropped = Vec::new();
    let mut undeclared = Vec::new();
    for (index, col) in table.columns.iter().enumerate() {
        let cs = spec.columns.iter().find(|c| c.name.get_ref() == &col.name);
        let reason = if drop.contains(&col.name) {
            Some("--drop".to_owned())
        } else if cs.and_then(|c| c.role) == Some(Role::Identifier) {
            Some("direct identifier (role = \"identifier\"): never synthesized".to_owned())
        } else if col.value_type == ValueType::FreeText {
            Some("free text: not synthesized".to_owned())
        } else {
            None
        };
        if let Some(reason) = reason {
            dropped.push(Dropped {
                column: col.name.clone(),
                reason,
            });
            continue;
        }
        let value_type = cs.and_then(|c| c.value_type).unwrap_or(col.value_type);
        let (declared, bins) = match cs.and_then(|c| c.domain.as_ref()) {
            Some(d) => {
                let (line, column) = spec.position(d.span().start);
                let at = |m: String| {
                    invalid(format!(
                        "{}: line {line}, column {column}: domain of {:?}: {m}",
                        spec.path.display(),
                        col.name
                    ))
                };
                declared_cells(d.get_ref(), value_type).map_err(|e| at(e.to_string()))?
            }
            None => (None, None),
        };
        if declared.is_none() && !dp_domain {
            undeclared.push(match spec.locate(&col.name) {
                Some((line, _)) => format!("{} (spec line {line})", col.name),
                None => format!("{} (not in the spec)", col.name),
            });
        }
        let decimals = cs
            .and_then(|c| c.domain.as_ref())
            .and_then(|d| d.get_ref().decimals);
        if decimals.is_some_and(|d| d > 12) {
            return Err(invalid(format!(
                "{}: domain of {:?}: decimals = {} is more than a number holds (at most 12)",
                spec.path.display(),
                col.name,
                decimals.unwrap_or_default()
            )));
        }
        planned.push(Planned {
            index,
            name: col.name.clone(),
            value_type,
            declared,
            bins,
            decimals,
        });
    }
    if !undeclared.is_empty() {
        return Err(invalid(format!(
            "no public domain for: {}. Declare each column's domain in the spec (domain = {{ categories = [...] }} or {{ min = .., max = .., bins = .. }}), drop it with --drop, or let datavisa estimate it with differential privacy (--dp-domain, paid from the budget). Reading categories or bounds from the data would leak rare values.",
            undeclared.join(", ")
        )));
    }
    if planned.is_empty() {
        return Err(invalid("no column left to synthesize"));
    }
    Ok((planned, dropped))
}

/// Parses a number or, for dates, a date string.
fn bound(v: &toml::Value, ty: ValueType) -> Result<f64> {
    match v {
        toml::Value::Integer(i) => Ok(*i as f64),
        toml::Value::Float(f) if f.is_finite() => Ok(*f),
        toml::Value::String(s) if ty == ValueType::Date => datavisa_table::date::parse_date(s)
            .map(|d| d as f64)
            .ok_or_else(|| invalid(format!("{s:?} is not a date"))),
        toml::Value::String(s) if ty == ValueType::Datetime => {
            datavisa_table::date::parse_datetime(s)
                .ok_or_else(|| invalid(format!("{s:?} is not a date and time")))
        }
        toml::Value::Datetime(d) => bound(&toml::Value::String(d.to_string()), ty),
        other => Err(invalid(format!("bound {other} is not a number"))),
    }
}

/// The cells a spec domain declares (None when it only asks for bins of estimated bounds).
fn declared_cells(d: &DomainSpec, ty: ValueType) -> Result<(Option<Cells>, Option<usize>)> {
    if let Some(values) = &d.categories {
        if d.min.is_some() || d.max.is_some() || d.edges.is_some() || d.bins.is_some() {
            return Err(invalid(
                "give either categories or numeric bounds, not both",
            ));
        }
        if values.is_empty() {
            return Err(invalid("categories is empty"));
        }
        let mut seen = std::collections::HashSet::new();
        if let Some(dup) = values.iter().find(|v| !seen.insert(v.as_str())) {
            return Err(invalid(format!("category {dup:?} is listed twice")));
        }
        if values.len() > MAX_CELLS {
            return Err(invalid(format!(
                "{} categories; at most {MAX_CELLS} (group rare ones)",
                values.len()
            )));
        }
        return Ok((
            Some(Cells::Categories {
                values: values.clone(),
            }),
            None,
        ));
    }
    if !ty.is_numeric() {
        return Err(invalid(format!(
            "the column is {}: declare categories = [...] (or its numeric type)",
            ty.as_str()
        )));
    }
    if let Some(edges) = &d.edges {
        if d.min.is_some() || d.max.is_some() || d.bins.is_some() {
            return Err(invalid("give either edges or min/max/bins, not both"));
        }
        if edges.len() < 2
            || edges.windows(2).any(|w| w[0] >= w[1])
            || edges.iter().any(|e| !e.is_finite())
        {
            return Err(invalid(
                "edges must be at least two increasing finite numbers",
            ));
        }
        if edges.len() - 1 > MAX_CELLS {
            return Err(invalid(format!(
                "{} bins; at most {MAX_CELLS}",
                edges.len() - 1
            )));
        }
        return Ok((
            Some(Cells::Bins {
                edges: edges.clone(),
            }),
            None,
        ));
    }
    if let Some(0) = d.bins {
        return Err(invalid("bins must be at least 1"));
    }
    if d.bins.is_some_and(|b| b > MAX_CELLS) {
        return Err(invalid(format!("bins must be at most {MAX_CELLS}")));
    }
    match (&d.min, &d.max) {
        (Some(lo), Some(hi)) => {
            let (lo, hi) = (bound(lo, ty)?, bound(hi, ty)?);
            if lo >= hi {
                return Err(invalid(format!("min {lo} must be below max {hi}")));
            }
            Ok((Some(numeric_cells(lo, hi, ty, d.bins)), None))
        }
        (None, None) => Ok((None, d.bins)),
        _ => Err(invalid("give both min and max")),
    }
}

/// One cell per value for a small integer range, else equal-width bins (10 unless given).
fn numeric_cells(lo: f64, hi: f64, ty: ValueType, bins: Option<usize>) -> Cells {
    let integral = matches!(ty, ValueType::Integer | ValueType::Date);
    let (ilo, ihi) = (lo.ceil() as i64, hi.floor() as i64);
    if integral && bins.is_none() && ihi >= ilo && hi.floor() - lo.ceil() < MAX_VALUE_CELLS as f64 {
        return Cells::Integers { min: ilo, max: ihi };
    }
    let b = bins.unwrap_or(10);
    let edges = (0..=b)
        .map(|i| lo + (hi - lo) * i as f64 / b as f64)
        .collect();
    Cells::Bins { edges }
}

/// Columns that need a DP domain and how much delta their threshold needs.
pub fn needs_estimate(planned: &[Planned]) -> (usize, usize) {
    let undeclared: Vec<&Planned> = planned.iter().filter(|p| p.declared.is_none()).collect();
    let categorical = undeclared
        .iter()
        .filter(|p| !p.value_type.is_numeric())
        .count();
    (undeclared.len(), categorical)
}

/// Completes the domains: estimates the undeclared ones with DP, spending `rho_share` of the
/// budget in all (split evenly) and the budget's threshold delta for category sets.
pub fn complete<R: Rng>(
    planned: Vec<Planned>,
    table: &Table,
    budget: &mut Budget,
    rho_share: f64,
    rng: &mut R,
) -> Result<Vec<Attribute>> {
    let (n_est, n_cat) = needs_estimate(&planned);
    let rho_each = if n_est > 0 {
        rho_share * budget.rho / n_est as f64
    } else {
        0.0
    };
    // Every estimated domain gets the same share, hence the same noise.
    let sigma = (1.0 / (2.0 * rho_each)).sqrt();
    let mut out = Vec::with_capacity(planned.len());
    for p in planned {
        let col = &table.columns[p.index];
        let (cells, source) = match p.declared {
            Some(c) => (c, DomainSource::Spec),
            None if p.value_type.is_numeric() => {
                let (lo, hi) = dp_bounds(col, sigma, rng)?;
                let cost = gaussian_rho(sigma);
                budget.charge(Charge {
                    step: format!("bounds of {}", p.name),
                    mechanism: "gaussian",
                    rho: cost,
                    delta: 0.0,
                    detail: format!(
                        "noisy counts of {POW2_BINS} signed power-of-two bins, sigma {sigma:.2}"
                    ),
                })?;
                let cells = numeric_cells(lo, hi, p.value_type, p.bins);
                (
                    cells,
                    DomainSource::DifferentialPrivacy {
                        rho: cost,
                        method: "noisy power-of-two histogram",
                    },
                )
            }
            None => {
                let delta_each = budget.delta_threshold / n_cat as f64;
                let values = dp_categories(col, sigma, delta_each, rng)?;
                let cost = gaussian_rho(sigma);
                budget.charge(Charge {
                    step: format!("categories of {}", p.name),
                    mechanism: "gaussian+threshold",
                    rho: cost,
                    delta: delta_each,
                    detail: format!(
                        "noisy counts, kept above {:.1} (sigma {sigma:.2})",
                        threshold(sigma, delta_each)
                    ),
                })?;
                if values.is_empty() {
                    return Err(invalid(format!(
                        "no category of {:?} is frequent enough to survive the noise; declare its categories in the spec",
                        p.name
                    )));
                }
                (
                    Cells::Categories { values },
                    DomainSource::DifferentialPrivacy {
                        rho: cost,
                        method: "thresholded noisy counts",
                    },
                )
            }
        };
        out.push(Attribute {
            column: p.name,
            value_type: p.value_type,
            cells,
            source,
            decimals: p.decimals,
        });
    }
    Ok(out)
}

/// Largest |bin index| of the power-of-two histogram, and its number of bins.
const POW2_MAX: i32 = 65;
const POW2_BINS: usize = 2 * POW2_MAX as usize + 1;

/// The signed power-of-two bin of x: 0 = [0, 1), k > 0 = [2^(k-1), 2^k), −1 = (−1, 0),
/// −k = (−2^(k−1), −2^(k−2)]; magnitudes beyond 2^63 share the outermost bins.
fn pow2_bin(x: f64) -> i32 {
    if x >= 0.0 {
        if x < 1.0 {
            0
        } else {
            (x.log2().floor() as i32 + 1).min(POW2_MAX)
        }
    } else if x > -1.0 {
        -1
    } else {
        (-((-x).log2().floor() as i32) - 2).max(-POW2_MAX)
    }
}

fn pow2_edges(k: i32) -> (f64, f64) {
    let (lo, hi) = match k {
        0 => (0.0, 1.0),
        -1 => (-1.0, 0.0),
        k if k > 0 => (2f64.powi(k - 1), 2f64.powi(k)),
        k => (-(2f64.powi(-k - 1)), -(2f64.powi(-k - 2))),
    };
    (lo.max(-f64::MAX), hi.min(f64::MAX))
}

/// Bounds from a noisy histogram over data-independent bins: the outermost bins whose noisy
/// count clears a threshold that an empty bin crosses with probability 1% over all bins.
fn dp_bounds<R: Rng>(col: &Column, sigma: f64, rng: &mut R) -> Result<(f64, f64)> {
    let ColumnData::Numeric(v) = &col.data else {
        return Err(invalid(format!("column {:?} is not numeric", col.name)));
    };
    let mut counts = vec![0i64; POW2_BINS];
    for x in v.iter().filter(|x| !x.is_nan()) {
        counts[(pow2_bin(*x) + POW2_MAX) as usize] += 1;
    }
    let g = DiscreteGaussian::new(sigma)?;
    let tau = sigma * normal_quantile_upper(0.01 / POW2_BINS as f64);
    let kept: Vec<i32> = (0..POW2_BINS)
        .filter(|&i| (counts[i] + g.sample(rng)) as f64 > tau)
        .map(|i| i as i32 - POW2_MAX)
        .collect();
    match (kept.first(), kept.last()) {
        (Some(&a), Some(&b)) => {
            let lo = pow2_edges(a).0;
            let hi = pow2_edges(b).1;
            Ok((lo, hi))
        }
        _ => Err(invalid(format!(
            "the bounds of {:?} cannot be estimated at this budget (no bin clears the noise); declare min and max in the spec",
            col.name
        ))),
    }
}

/// The threshold above which a noisy count of 1 appears with probability at most delta.
fn threshold(sigma: f64, delta: f64) -> f64 {
    1.0 + sigma * normal_quantile_upper(delta)
}

/// z with P(N(0,1) > z) = p, by bisection on erfc.
fn normal_quantile_upper(p: f64) -> f64 {
    let (mut lo, mut hi) = (0.0f64, 40.0f64);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if 0.5 * libm::erfc(mid / std::f64::consts::SQRT_2) > p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    hi
}

/// Categories whose noisy count clears the threshold (a value one person adds appears with
/// probability at most delta_each), sorted by name so their order tells nothing.
fn dp_categories<R: Rng>(
    col: &Column,
    sigma: f64,
    delta_each: f64,
    rng: &mut R,
) -> Result<Vec<String>> {
    let g = DiscreteGaussian::new(sigma)?;
    let tau = threshold(sigma, delta_each);
    let mut kept: Vec<String> = col
        .value_counts()
        .into_iter()
        .filter(|(_, n)| (*n as i64 + g.sample(rng)) as f64 > tau)
        .map(|(v, _)| v)
        .collect();
    kept.sort();
    if kept.len() > MAX_CELLS {
        return Err(invalid(format!(
            "{:?} has {} frequent categories; at most {MAX_CELLS}: group them or declare a domain",
            col.name,
            kept.len()
        )));
    }
    Ok(kept)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_clip_and_include_the_top_edge() {
        let e = [0.0, 10.0, 20.0, 30.0];
        assert_eq!(bin_of(&e, -5.0), 0);
        assert_eq!(bin_of(&e, 0.0), 0);
        assert_eq!(bin_of(&e, 9.99), 0);
        assert_eq!(bin_of(&e, 10.0), 1);
        assert_eq!(bin_of(&e, 30.0), 2);
        assert_eq!(bin_of(&e, 99.0), 2);
    }

    #[test]
    fn power_of_two_bins_hold_their_values() {
        for x in [
            0.0, 0.5, 1.0, 1.5, 2.0, 1000.0, -0.5, -1.0, -3.0, -1000.0, 1e18, -1e18,
        ] {
            let (lo, hi) = pow2_edges(pow2_bin(x));
            assert!(
                lo <= x && (x < hi || x < 0.0 && x <= hi),
                "{x}: [{lo}, {hi})"
            );
        }
    }

    #[test]
    fn small_integer_ranges_get_one_cell_per_value() {
        assert!(matches!(
            numeric_cells(17.0, 90.0, ValueType::Integer, None),
            Cells::Integers { min: 17, max: 90 }
        ));
        match numeric_cells(0.0, 1000.0, ValueType::Integer, None) {
            Cells::Bins { edges } => assert_eq!(edges.len(), 11),
            c => panic!("{c:?}"),
        }
        match numeric_cells(0.0, 1.0, ValueType::Float, Some(4)) {
            Cells::Bins { edges } => assert_eq!(edges, vec![0.0, 0.25, 0.5, 0.75, 1.0]),
            c => panic!("{c:?}"),
        }
    }

    #[test]
    fn threshold_keeps_a_single_row_below_delta() {
        let z = normal_quantile_upper(1e-9);
        assert!((z - 5.998).abs() < 0.01, "{z}");
        assert!((threshold(2.0, 0.5) - 1.0).abs() < 1e-6);
    }

    #[test]
    fn decimals_round_drawn_numbers_inside_their_bin() {
        use rand::SeedableRng;
        let mut r = rand_chacha::ChaCha20Rng::seed_from_u64(3);
        let a = Attribute {
            column: "amount".into(),
            value_type: ValueType::Float,
            cells: Cells::Bins {
                edges: vec![0.0, 10.0, 10.004, 20.0],
            },
            source: DomainSource::Spec,
            decimals: Some(2),
        };
        let codes: Vec<u32> = (0..300).map(|i| i % 3).collect();
        let col = a.decode(&codes, &mut r);
        let ColumnData::Numeric(v) = &col.data else {
            panic!()
        };
        for (x, &c) in v.iter().zip(&codes) {
            let cents = x * 100.0;
            assert!(
                (cents - cents.round()).abs() < 1e-6,
                "{x} has more than 2 decimals"
            );
            let (lo, hi) = [(0.0, 10.0), (10.0, 10.004), (10.004, 20.0)][c as usize];
            assert!(
                *x >= lo - 1e-9 && *x <= hi + 1e-9,
                "{x} outside [{lo}, {hi}]"
            );
        }
        assert_eq!(round_in(4.56789, 2, 0.0, 10.0), 4.57);
        assert_eq!(round_in(10.001, 2, 10.0, 10.004), 10.0);
        // A bin narrower than the precision holds no 2-decimal number: its lower edge, rounded.
        let x = round_in(9.996, 2, 9.995, 9.999);
        assert!(
            (x - 9.995).abs() <= 0.005 + 1e-9 && ((x * 100.0).round() - x * 100.0).abs() < 1e-6
        );
    }

    #[test]
    fn decoded_values_stay_inside_their_cells() {
        use rand::SeedableRng;
        let mut r = rand_chacha::ChaCha20Rng::seed_from_u64(1);
        let a = Attribute {
            column: "x".into(),
            value_type: ValueType::Integer,
            cells: Cells::Bins {
                edges: vec![0.0, 2.5, 5.0],
            },
            source: DomainSource::Spec,
            decimals: None,
        };
        let col = a.decode(&[0, 1, 2, 0, 1], &mut r);
        let ColumnData::Numeric(v) = &col.data else {
            panic!()
        };
        assert!(v[0] >= 0.0 && v[0] <= 2.0 && v[0].fract() == 0.0);
        assert!(v[1] >= 3.0 && v[1] <= 5.0);
        assert!(v[2].is_nan());
        let (codes, outside) = a.encode(&col).unwrap();
        assert_eq!(outside, 0);
        assert_eq!(codes[2], 2);
    }
}
