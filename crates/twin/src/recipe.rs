//! A generalization recipe (what to protect, how, with which hierarchies) and running it: the
//! twin table plus a manifest that records everything needed to explain and re-apply it.

use crate::apply::generalized_table;
use crate::engine::{entropy, t_distance, Check, LVariant, Models, Problem};
use crate::error::{invalid, Result};
use crate::hierarchy::Hierarchy;
use crate::quality::{Metric, Quality};
use crate::search::{search_watched, SearchParams};
use datavisa_discover::detect::{detect, Distinct, Target};
use datavisa_discover::{Kind, ScanOptions};
use datavisa_table::{ColumnData, Table, ValueType};
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Where a column's hierarchy comes from.
#[derive(Clone, Debug)]
pub enum HierarchySpec {
    /// An ARX-format CSV file.
    File(PathBuf),
    /// A builder definition (`[hierarchies.<column>]`), with the file it was read from.
    Builder(toml::Table, PathBuf),
    /// A table laid out as an ARX file (a data frame handed over in memory): its rows, the
    /// name it is shown by and its content's SHA-256.
    Table {
        table: Table,
        name: String,
        sha256: String,
    },
    /// Chosen from the column's type (dates by month/year/decade, numbers by intervals,
    /// fixed-length digit codes by masking, small categories value-or-`*`).
    Auto,
}

/// Everything that defines a generalized twin.
#[derive(Clone, Debug)]
pub struct Recipe {
    pub quasi: Vec<String>,
    pub sensitive: Vec<String>,
    /// Identifier columns, left out of the twin.
    pub drop: Vec<String>,
    pub hierarchies: BTreeMap<String, HierarchySpec>,
    pub models: Models,
    pub metric: Metric,
    pub search: SearchParams,
}

/// Distinct categories up to which a quasi-identifier with no known kind whose frequencies
/// group nothing stays value-or-`*` without a warning; above it, or whenever rare values can be
/// grouped (`(other)`), it is grouped by frequency and the run warns that a real grouping keeps
/// more.
pub const MAX_FLAT_VALUES: usize = 50;

/// Distinct values of a column as (text as written, number) pairs: the text is what a
/// hierarchy's leaf must say (`39.0` stays `39.0`), the number what interval and date builders
/// cut.
pub fn distinct_values(t: &Table, c: usize) -> Vec<(String, Option<f64>)> {
    let col = &t.columns[c];
    col.first_rows()
        .into_iter()
        .map(|r| {
            let num = match &col.data {
                ColumnData::Numeric(v) if !v[r].is_nan() => Some(v[r]),
                _ => None,
            };
            (t.as_written(c, r).unwrap_or_default(), num)
        })
        .collect()
}

/// The rows holding each of `values` (as [`distinct_values`] lists them) in column `c`.
pub fn distinct_counts(t: &Table, c: usize, values: &[(String, Option<f64>)]) -> Vec<u64> {
    let counts: std::collections::HashMap<String, u64> =
        t.columns[c].value_counts().into_iter().collect();
    values
        .iter()
        .map(|(v, _)| counts.get(v).copied().unwrap_or(0))
        .collect()
}

/// The kind of personal information discover's detectors see in a column (values first,
/// the header only as a hint), if any is sure enough.
fn detected_kind(col: &datavisa_table::Column) -> Option<Kind> {
    let opts = ScanOptions::default();
    detect(col, &Distinct::of(col), &opts)
        .into_iter()
        .find_map(|h| match h.target {
            Target::Kind(k) if h.confidence >= opts.min_confidence => Some(k),
            _ => None,
        })
}

/// The builder definition a column gets when none is given, from what it holds: postcodes
/// masked by region, addresses by division, resident IDs by division code, dates by month,
/// year, 5 years and decade, ages by 5/10/20-year bands, other numbers by intervals,
/// fixed-length digit codes by masking, categories by frequency (value-or-`*` when that groups
/// nothing).
fn auto_definition(t: &Table, c: usize, values: &[(String, Option<f64>)]) -> Option<String> {
    let col = &t.columns[c];
    // A column of Chinese postcodes, whatever type it was read as, is masked by region
    // (6 → 4 → 3 → 2 → 1 digits → *), never cut into numeric intervals.
    let postcodes = !values.is_empty()
        && values
            .iter()
            .all(|(s, _)| datavisa_discover::validate::is_postcode(s));
    if postcodes {
        return Some("type = \"mask\"\nkeep = [4, 3, 2, 1]".into());
    }
    let kind = detected_kind(col);
    Some(match (kind, col.value_type) {
        (Some(Kind::CnResidentId), _) => "type = \"resident_id\"\nkeep = [6, 4, 2]".into(),
        (Some(Kind::Address), _) => {
            "type = \"address\"\nlevels = [\"district\", \"city\", \"province\"]".into()
        }
        (Some(Kind::Age), ValueType::Integer) => "type = \"age\"\nwidths = [5, 10, 20]".into(),
        (_, ValueType::Date | ValueType::Datetime) => {
            "type = \"date\"\nlevels = [\"month\", \"year\", \"5years\", \"decade\"]".into()
        }
        (_, ValueType::Integer | ValueType::Float) => {
            let xs: Vec<f64> = values.iter().filter_map(|v| v.1).collect();
            let (lo, hi) = xs
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| {
                    (a.min(x), b.max(x))
                });
            let range = (hi - lo).max(1.0);
            // A round width giving at most about 16 intervals at the first level.
            let w = 10f64.powf((range / 16.0).log10().ceil());
            let w = if col.value_type == ValueType::Integer {
                w.max(1.0)
            } else {
                w
            };
            format!(
                "type = \"interval\"\nwidths = [{w}, {}, {}, {}]",
                2.0 * w,
                4.0 * w,
                8.0 * w
            )
        }
        _ => {
            let len = values.first().map_or(0, |v| v.0.chars().count());
            let codes = len >= 3
                && values.iter().all(|(s, _)| {
                    s.chars().count() == len && s.chars().all(|ch| ch.is_ascii_digit())
                });
            if codes {
                format!("type = \"mask\"\nlevels = {len}")
            } else {
                let shares = crate::builders::FREQUENCY_SHARES
                    .map(|s| s.to_string())
                    .join(", ");
                format!("type = \"frequency\"\nmin_share = [{shares}]")
            }
        }
    })
}

/// The hierarchy a column gets when none is given (see [`auto_definition`]).
pub fn auto_hierarchy(t: &Table, column: &str) -> Result<Hierarchy> {
    let c = t.index_of(column)?;
    let values = distinct_values(t, c);
    let Some(def) = auto_definition(t, c, &values) else {
        return Hierarchy::flat(column, values.into_iter().map(|v| v.0), "flat");
    };
    let def: toml::Table = toml::from_str(&def).map_err(|e| invalid(e.to_string()))?;
    let counts = distinct_counts(t, c, &values);
    let h = Hierarchy::build_counted(column, &def, &values, Some(&counts), Path::new("(auto)"))?;
    // Few categories whose frequencies group nothing (every level left out) stay value-or-`*`,
    // with no warning: there was nothing a grouping by meaning could have kept.
    if h.source.kind == "frequency" && h.height() == 1 && values.len() <= MAX_FLAT_VALUES {
        return Hierarchy::flat(column, values.into_iter().map(|v| v.0), "flat");
    }
    Ok(h)
}

/// Builds a hierarchy from a definition for column `q` of `t`, with the rows of each value.
fn build_for(t: &Table, q: &str, def: &toml::Table, from: &Path) -> Result<Hierarchy> {
    let c = t.index_of(q)?;
    let values = distinct_values(t, c);
    let counts = distinct_counts(t, c, &values);
    Hierarchy::build_counted(q, def, &values, Some(&counts), from)
}

/// Advice recorded for each quasi-identifier whose hierarchy datavisa chose by frequency: a
/// semantic grouping would lose less, and how to give one.
fn hierarchy_warnings(
    given: &BTreeMap<String, HierarchySpec>,
    hs: &[(String, Hierarchy)],
) -> Vec<Value> {
    hs.iter()
        .filter(|(q, h)| {
            h.source.kind == "frequency"
                && matches!(given.get(q), None | Some(HierarchySpec::Auto))
        })
        .map(|(q, h)| {
            json!({
                "column": q,
                "hierarchy": "frequency",
                "distinct_values": h.domain(),
                "advice": format!("no semantic hierarchy is known for {q:?}, so rare values were grouped by frequency into \"(other)\"; a real grouping (e.g. occupations by GB/T 6565 class) keeps more: give one with --hierarchy {q}=FILE (an ARX file, see datavisa hierarchy build) or [hierarchies.\"{q}\"] type = \"groups\" in the spec"),
            })
        })
        .collect()
}

/// Loads or builds each quasi-identifier's hierarchy.
pub fn resolve_hierarchies(t: &Table, r: &Recipe) -> Result<Vec<(String, Hierarchy)>> {
    r.quasi
        .iter()
        .map(|q| {
            let h = match r.hierarchies.get(q).unwrap_or(&HierarchySpec::Auto) {
                HierarchySpec::Auto => auto_hierarchy(t, q)?,
                given => given_hierarchy(t, q, given)?,
            };
            Ok((q.clone(), h))
        })
        .collect()
}

/// The hierarchy of column `c` as given: read from its file or table, or built by its
/// definition (`Auto` is chosen from the column by the caller).
fn given_hierarchy(t: &Table, c: &str, given: &HierarchySpec) -> Result<Hierarchy> {
    match given {
        HierarchySpec::File(p) => Hierarchy::load_arx(p, c),
        HierarchySpec::Builder(def, from) => build_for(t, c, def, from),
        HierarchySpec::Table {
            table,
            name,
            sha256,
        } => Hierarchy::from_table(c, table, name, sha256),
        HierarchySpec::Auto => auto_hierarchy(t, c),
    }
}

/// Sensitive columns, each with its hierarchy when one is given (hierarchical t-closeness).
fn sensitive_with_hierarchies(t: &Table, r: &Recipe) -> Result<Vec<(String, Option<Hierarchy>)>> {
    r.sensitive
        .iter()
        .map(|s| {
            let h = match r.hierarchies.get(s) {
                None | Some(HierarchySpec::Auto) => None,
                Some(given) => Some(given_hierarchy(t, s, given)?),
            };
            Ok((s.clone(), h))
        })
        .collect()
}

/// A made twin with its report.
pub struct Generalized {
    pub twin: Table,
    /// The manifest body (recipe, result, search); the caller adds file paths and hashes.
    pub report: Value,
}

/// Runs a recipe on a table.
pub fn generalize(t: &Table, r: &Recipe) -> Result<Generalized> {
    generalize_watched(t, r, &|| false)
}

/// [`generalize`], asking `stop` between batches of lattice nodes; when it says stop the run
/// ends with [`TwinError::Cancelled`](crate::TwinError::Cancelled) and makes nothing.
pub fn generalize_watched(
    t: &Table,
    r: &Recipe,
    stop: &(dyn Fn() -> bool + Sync),
) -> Result<Generalized> {
    let hs = resolve_hierarchies(t, r)?;
    let warnings = hierarchy_warnings(&r.hierarchies, &hs);
    let sources: Vec<Value> = hs
        .iter()
        .map(|(q, h)| json!({"column": q, "height": h.height(), "source": h.source}))
        .collect();
    // Sensitive values only matter to l-diversity and t-closeness; without them the classes
    // carry no histograms (they are kept verbatim in the twin either way).
    let needs_values = r.models.l.is_some() || r.models.t.is_some();
    let sens = if needs_values {
        sensitive_with_hierarchies(t, r)?
    } else {
        Vec::new()
    };
    let p = Problem::new(t, hs, sens)?;
    let q = Quality::new(&p, r.metric);
    let out = search_watched(&p, &r.models, &q, &r.search, stop)?;
    let recipe = json!({
        "quasi": r.quasi, "sensitive": r.sensitive, "dropped": r.drop, "hierarchies": sources,
        "models": r.models, "metric": r.metric.as_str(), "search": r.search,
    });
    let search_json = json!({"algorithm": out.algorithm, "nodes_checked": out.checked,
        "lattice_size": out.lattice_size, "seconds": out.seconds, "budget_exhausted": out.budget_exhausted});
    let Some((best, c)) = out.best else {
        // Say how far the most general node gets.
        let top: Vec<u8> = p.heights();
        let tc = crate::engine::check(&p, &r.models, p.roll_up(&p.base, &top));
        return Err(invalid(format!(
            "no transformation satisfies the models within the suppression limit; even full generalization \
             needs {} of {} records suppressed ({:.1}%, limit {:.1}%), achieving {}",
            tc.suppressed,
            p.n,
            100.0 * tc.suppressed as f64 / p.n as f64,
            100.0 * r.models.suppression,
            achieved(&p, &r.models, &tc)
        )));
    };
    let twin = generalized_table(t, &p, &c, &r.drop)?;
    let levels: serde_json::Map<String, Value> = p
        .qis
        .iter()
        .zip(&best.levels)
        .map(|(q, &l)| (q.name.clone(), json!(l)))
        .collect();
    let kept_classes = (0..c.classes.len())
        .filter(|&i| !c.suppressed_class[i])
        .count();
    let mut report = json!({
        "kind": "generalized_twin",
        "rows": p.n,
        "levels": levels,
        "quality": {"metric": r.metric.as_str(), "value": best.score},
        "suppressed": c.suppressed,
        "classes": kept_classes,
        "models": achieved(&p, &r.models, &c),
        "search": search_json,
        "recipe": recipe,
        "statement": "generalized and suppressed as recorded here; whether this twin is anonymized for a given recipient is decided by the verdict, not by this step",
    });
    if !warnings.is_empty() {
        report["hierarchy_warnings"] = Value::Array(warnings);
    }
    Ok(Generalized { twin, report })
}

/// What each model achieves on the records that are kept.
pub fn achieved(p: &Problem, m: &Models, c: &Check) -> Value {
    let t = &c.classes;
    let kept: Vec<usize> = (0..t.len()).filter(|&i| !c.suppressed_class[i]).collect();
    let kept_records: u64 = kept.iter().map(|&i| t.counts[i]).sum();
    let mut out = Vec::new();
    if let Some(k) = m.k {
        let min = kept.iter().map(|&i| t.counts[i]).min().unwrap_or(0);
        out.push(json!({"model": "k-anonymity", "k": k, "achieved": min, "holds": min >= k || kept.is_empty()}));
    }
    for (s, h) in p.sensitive.iter().zip(&t.hists) {
        if let Some(l) = m.l {
            let value = match m.l_variant {
                LVariant::Distinct => kept
                    .iter()
                    .map(|&i| h.of(i).len() as f64)
                    .fold(f64::INFINITY, f64::min),
                LVariant::Entropy => kept
                    .iter()
                    .map(|&i| entropy(h.of(i), t.counts[i]).exp())
                    .fold(f64::INFINITY, f64::min),
                LVariant::Recursive => f64::NAN,
            };
            out.push(json!({"model": format!("{:?}-l-diversity", m.l_variant).to_lowercase(), "column": s.name,
                            "l": l, "c": (m.l_variant == LVariant::Recursive).then_some(m.c),
                            "achieved": value.is_finite().then_some(value), "holds": c.anonymous}));
        }
        if let Some(tt) = m.t {
            let worst = kept
                .iter()
                .map(|&i| t_distance(s, m.t_distance, h.of(i), t.counts[i]))
                .fold(0.0, f64::max);
            out.push(
                json!({"model": "t-closeness", "distance": m.t_distance, "column": s.name, "t": tt,
                            "achieved": worst, "holds": worst <= tt + 1e-12}),
            );
        }
    }
    if let Some(r) = m.avg_risk {
        let avg = if kept_records == 0 {
            0.0
        } else {
            kept.len() as f64 / kept_records as f64
        };
        out.push(json!({"model": "average-risk", "threshold": r, "achieved": avg, "holds": avg <= r + 1e-12}));
    }
    out.push(
        json!({"model": "suppression-limit", "limit": m.suppression, "budget": m.budget(p.n),
                    "achieved": c.suppressed, "holds": c.suppressed <= m.budget(p.n)}),
    );
    Value::Array(out)
}

/// A class that fails the models: its quasi-identifier values and size.
#[derive(Clone, Debug, Serialize)]
pub struct FailingClass {
    /// Each quasi-identifier's value.
    pub values: serde_json::Map<String, Value>,
    /// Records in the class.
    pub records: u64,
}

/// A table checked as it is against privacy models.
#[derive(Clone, Debug, Serialize)]
pub struct TableCheck {
    /// Whether every class satisfies the models.
    pub satisfied: bool,
    /// Records checked.
    pub records: u64,
    /// Classes found.
    pub classes: usize,
    /// Classes that fail.
    pub failing_classes: usize,
    /// Records in failing classes.
    pub failing_records: u64,
    /// What each model achieves.
    pub models: Value,
    /// The smallest failing classes, at most the number asked for.
    pub failing: Vec<FailingClass>,
}

/// Checks a table as it is (no generalization) and lists the classes that fail.
pub fn check_table(
    t: &Table,
    quasi: &[String],
    sensitive: &[String],
    m: &Models,
    max_listed: usize,
) -> Result<TableCheck> {
    let hs = quasi
        .iter()
        .map(|q| {
            let values = distinct_values(t, t.index_of(q)?).into_iter().map(|v| v.0);
            Ok((q.clone(), Hierarchy::flat(q, values, "identity")?))
        })
        .collect::<Result<Vec<_>>>()?;
    let p = Problem::new(t, hs, sensitive.iter().map(|s| (s.clone(), None)).collect())?;
    m.validate(&p)?;
    let c = crate::engine::check(&p, m, std::sync::Arc::clone(&p.base));
    let mm = p.m();
    let mut failing: Vec<usize> = (0..c.classes.len())
        .filter(|&i| c.suppressed_class[i])
        .collect();
    failing.sort_by_key(|&i| (c.classes.counts[i], i));
    let listed: Vec<FailingClass> = failing
        .iter()
        .take(max_listed)
        .map(|&i| {
            let values: serde_json::Map<String, Value> = p
                .qis
                .iter()
                .enumerate()
                .map(|(a, q)| {
                    (
                        q.name.clone(),
                        json!(q.hierarchy.labels[0][c.classes.tuples[i * mm + a] as usize]),
                    )
                })
                .collect();
            FailingClass {
                values,
                records: c.classes.counts[i],
            }
        })
        .collect();
    let all_kept = crate::engine::Check {
        suppressed_class: vec![false; c.classes.len()],
        ..c.clone()
    };
    Ok(TableCheck {
        satisfied: c.anonymous,
        records: p.n,
        classes: c.classes.len(),
        failing_classes: failing.len(),
        failing_records: c.suppressed,
        models: achieved(&p, m, &all_kept),
        failing: listed,
    })
}

/// A manifest's transformation applied to a table: the recipe, its problem and the checked
/// node at the recorded levels.
pub struct Recorded {
    pub recipe: Recipe,
    pub problem: Problem,
    pub check: Check,
}

/// Re-applies the transformation recorded in a manifest to new data: same hierarchies and
/// levels; classes that now fail the models are suppressed, and the report says whether that
/// stays within the recorded suppression limit.
pub fn reapply(t: &Table, manifest: &crate::manifest::Manifest) -> Result<Generalized> {
    let Recorded {
        recipe: r,
        problem: p,
        check: c,
    } = recorded(t, manifest)?;
    let body = &manifest.body;
    let score = Quality::new(&p, r.metric).score(&p, &c);
    let twin = generalized_table(t, &p, &c, &r.drop)?;
    let kept_classes = (0..c.classes.len())
        .filter(|&i| !c.suppressed_class[i])
        .count();
    let report = json!({
        "kind": "generalized_twin",
        "reapplied_from": manifest.output,
        "rows": p.n,
        "levels": body.get("levels"),
        "quality": {"metric": r.metric.as_str(), "value": score},
        "suppressed": c.suppressed,
        "classes": kept_classes,
        "within_suppression_limit": c.anonymous,
        "models": achieved(&p, &r.models, &c),
        "recipe": body.get("recipe"),
    });
    Ok(Generalized { twin, report })
}

/// The recipe and levels a generalized twin's manifest records, applied to `t`.
pub fn recorded(t: &Table, manifest: &crate::manifest::Manifest) -> Result<Recorded> {
    if manifest.kind != crate::manifest::ManifestKind::GeneralizedTwin {
        return Err(invalid(format!(
            "the manifest describes a {:?} twin; only a generalized twin's recipe can be re-applied",
            manifest.kind
        )));
    }
    let body = &manifest.body;
    let bad = |what: &str| {
        invalid(format!(
            "the manifest has no valid {what}; is it a generalized twin's manifest?"
        ))
    };
    let recipe = body.get("recipe").unwrap_or(&Value::Null);
    let strings = |v: &Value| -> Option<Vec<String>> {
        v.as_array()?
            .iter()
            .map(|x| x.as_str().map(str::to_owned))
            .collect()
    };
    let quasi = strings(&recipe["quasi"]).ok_or_else(|| bad("recipe.quasi"))?;
    let sensitive = strings(&recipe["sensitive"]).unwrap_or_default();
    let drop = strings(&recipe["dropped"]).unwrap_or_default();
    let models: Models =
        serde_json::from_value(recipe["models"].clone()).map_err(|_| bad("recipe.models"))?;
    let metric: Metric =
        serde_json::from_value(recipe["metric"].clone()).map_err(|_| bad("recipe.metric"))?;
    let mut hierarchies = BTreeMap::new();
    for h in recipe["hierarchies"]
        .as_array()
        .ok_or_else(|| bad("recipe.hierarchies"))?
    {
        let col = h["column"]
            .as_str()
            .ok_or_else(|| bad("hierarchy column"))?
            .to_owned();
        let src = &h["source"];
        let spec = match src["kind"].as_str() {
            Some("file") => {
                HierarchySpec::File(PathBuf::from(src["detail"].as_str().unwrap_or_default()))
            }
            Some("flat") => HierarchySpec::Auto,
            Some("table") => {
                return Err(invalid(format!(
                    "the hierarchy of {col:?} was a table handed over in memory ({}), which the manifest does not hold; make the twin again with it",
                    src["detail"].as_str().unwrap_or_default()
                )))
            }
            Some(_) => {
                let def: toml::Table = serde_json::from_value(src["def"].clone())
                    .map_err(|_| bad("hierarchy definition"))?;
                HierarchySpec::Builder(def, PathBuf::from("(manifest)"))
            }
            None => return Err(bad("hierarchy source")),
        };
        hierarchies.insert(col, spec);
    }
    let levels: Vec<u8> = quasi
        .iter()
        .map(|q| {
            body.get("levels")
                .and_then(|l| l[q].as_u64())
                .map(|l| l as u8)
                .ok_or_else(|| bad("levels"))
        })
        .collect::<Result<_>>()?;
    let r = Recipe {
        quasi,
        sensitive,
        drop,
        hierarchies,
        models,
        metric,
        search: SearchParams::default(),
    };
    let hs = resolve_hierarchies(t, &r)?;
    for ((q, h), &l) in hs.iter().zip(&levels) {
        if l as usize > h.height() {
            return Err(invalid(format!(
                "level {l} of {q:?} is above its hierarchy's height {}",
                h.height()
            )));
        }
    }
    let p = Problem::new(
        t,
        hs,
        r.sensitive.iter().map(|s| (s.clone(), None)).collect(),
    )?;
    let c = crate::engine::check(&p, &r.models, p.roll_up(&p.base, &levels));
    Ok(Recorded {
        recipe: r,
        problem: p,
        check: c,
    })
}

#[cfg(test)]
mod postcode_tests {
    use super::*;
    use datavisa_table::Column;

    #[test]
    fn a_postcode_column_is_masked_by_region_whatever_its_type() {
        let codes = ["100020", "100021", "200030", "518000"];
        let as_numbers = Column::from_numbers(
            "zip",
            ValueType::Integer,
            codes.iter().map(|c| c.parse().unwrap()).collect(),
        );
        let as_text = Column::from_texts("zip", codes);
        for col in [as_numbers, as_text] {
            let t = Table::new(vec![col]).unwrap();
            let h = auto_hierarchy(&t, "zip").unwrap();
            let leaf = h.leaf_of("100020").expect("the value is in its hierarchy") as usize;
            let row: Vec<&str> = (0..=h.height())
                .map(|l| h.labels[l][h.map[l][leaf] as usize].as_str())
                .collect();
            assert_eq!(row, ["100020", "1000**", "100***", "10****", "1*****", "*"]);
        }
    }

    fn path(h: &Hierarchy, value: &str) -> Vec<String> {
        let leaf = h.leaf_of(value).expect("the value is in its hierarchy") as usize;
        (0..=h.height())
            .map(|l| h.labels[l][h.map[l][leaf] as usize].clone())
            .collect()
    }

    #[test]
    fn auto_hierarchies_follow_the_detected_kind() {
        let n = 120;
        let addresses: Vec<String> = (0..n)
            .map(|i| format!("广东省深圳市南山区科技园路{}号", i + 1))
            .collect();
        let ids: Vec<String> = (0..n)
            .map(|i| {
                let body = format!(
                    "4403051990{:02}{:02}{:03}",
                    1 + i % 12,
                    1 + i % 28,
                    i % 1000
                );
                let check =
                    datavisa_discover::validate::resident_id_check(body.as_bytes()).unwrap();
                format!("{body}{}", check as char)
            })
            .collect();
        let days: Vec<f64> = (0..n)
            .map(|i| datavisa_table::date::days_from_civil(1990 + (i % 9) as i64, 3, 15) as f64)
            .collect();
        let ages: Vec<f64> = (0..n).map(|i| (18 + i % 60) as f64).collect();
        // 60 distinct jobs, the first 3 frequent: too many for value-or-*.
        let jobs: Vec<String> = (0..n)
            .map(|i| {
                if i < 60 {
                    format!("工种{}", i % 3)
                } else {
                    format!("工种{i}")
                }
            })
            .collect();
        let t = Table::new(vec![
            Column::from_texts("地址", &addresses),
            Column::from_texts("身份证号", &ids),
            Column::from_numbers("出生日期", ValueType::Date, days),
            Column::from_numbers("年龄", ValueType::Integer, ages),
            Column::from_texts("职业", &jobs),
        ])
        .unwrap();
        let h = auto_hierarchy(&t, "地址").unwrap();
        assert_eq!(h.source.kind, "address");
        assert_eq!(
            path(&h, &addresses[0]),
            [
                addresses[0].as_str(),
                "广东省深圳市南山区",
                "广东省深圳市",
                "广东省",
                "*"
            ]
        );
        let h = auto_hierarchy(&t, "身份证号").unwrap();
        assert_eq!(h.source.kind, "resident_id");
        assert_eq!(path(&h, &ids[0])[1..], ["440305", "4403", "44", "*"]);
        let h = auto_hierarchy(&t, "出生日期").unwrap();
        assert_eq!(h.source.kind, "date");
        assert_eq!(
            path(&h, "1997-03-15")[1..],
            ["1997-03", "1997", "1995-1999", "1990s", "*"]
        );
        let h = auto_hierarchy(&t, "年龄").unwrap();
        assert_eq!(h.source.kind, "age");
        assert_eq!(
            path(&h, "23")[1..],
            ["[20, 25)", "[20, 30)", "[20, 40)", "*"]
        );
        // The same numbers under a header that says nothing are plain intervals.
        let plain = Table::new(vec![Column::from_numbers(
            "score",
            ValueType::Integer,
            (0..n).map(|i| (18 + i % 60) as f64).collect(),
        )])
        .unwrap();
        assert_eq!(
            auto_hierarchy(&plain, "score").unwrap().source.kind,
            "interval"
        );
        // 工种0-2 hold 20 of 120 rows each (16.7%), the other 60 values one each (0.8%): kept
        // at 1%; 5% keeps the same three, which generalizes nothing more, and 20% nothing:
        // both levels are left out.
        let h = auto_hierarchy(&t, "职业").unwrap();
        assert_eq!(h.source.kind, "frequency");
        assert_eq!(path(&h, "工种0")[1..], ["工种0", "*"]);
        assert_eq!(path(&h, "工种99")[1..], ["(other)", "*"]);
        let w = hierarchy_warnings(&BTreeMap::new(), &[("职业".into(), h.clone())]);
        assert_eq!(w.len(), 1);
        assert_eq!(w[0]["distinct_values"], 63);
        let given = BTreeMap::from([("职业".to_string(), HierarchySpec::File("h.csv".into()))]);
        assert!(hierarchy_warnings(&given, &[("职业".into(), h)]).is_empty());
    }

    #[test]
    fn few_categories_are_grouped_by_frequency_only_where_that_groups_something() {
        // 100 rows of 12 occupations: 8 hold 11 or 12 rows, 4 hold 1 or 2 (under 5%). They go
        // to (other) at 5% (the 1% level keeps all 12 and is left out); at 20% nothing is kept.
        let mut jobs: Vec<String> = Vec::new();
        for (j, n) in [12, 12, 12, 12, 11, 11, 11, 11, 2, 2, 2, 2]
            .iter()
            .enumerate()
        {
            jobs.extend(std::iter::repeat_n(format!("job{j}"), *n));
        }
        let sexes: Vec<&str> = (0..jobs.len())
            .map(|i| if i % 2 == 0 { "F" } else { "M" })
            .collect();
        let t = Table::new(vec![
            Column::from_texts("occupation", &jobs),
            Column::from_texts("sex", &sexes),
        ])
        .unwrap();
        let h = auto_hierarchy(&t, "occupation").unwrap();
        assert_eq!(h.source.kind, "frequency");
        assert_eq!(path(&h, "job0")[1..], ["job0", "*"]);
        assert_eq!(path(&h, "job11")[1..], ["(other)", "*"]);
        assert_eq!(
            hierarchy_warnings(&BTreeMap::new(), &[("occupation".into(), h)]).len(),
            1
        );
        // Two values of half the rows each: frequency groups nothing, so value-or-* and no
        // warning.
        let h = auto_hierarchy(&t, "sex").unwrap();
        assert_eq!(h.source.kind, "flat");
        assert_eq!(path(&h, "F")[1..], ["*"]);
        assert!(hierarchy_warnings(&BTreeMap::new(), &[("sex".into(), h)]).is_empty());
    }

    #[test]
    fn mask_keep_lists_must_decrease_below_the_length() {
        let values: Vec<(String, Option<f64>)> = vec![("100020".into(), None)];
        for bad in ["[3, 4]", "[6]", "[]", "[-1]", "[\"a\"]"] {
            let def: toml::Table =
                toml::from_str(&format!("type = \"mask\"\nkeep = {bad}")).unwrap();
            let e = Hierarchy::build("zip", &def, &values, Path::new("spec.toml"));
            assert!(e.is_err(), "keep = {bad} accepted");
            assert!(e.unwrap_err().to_string().contains("keep"), "{bad}");
        }
        let def: toml::Table = toml::from_str("type = \"mask\"\nkeep = [2]").unwrap();
        let h = Hierarchy::build("zip", &def, &values, Path::new("spec.toml")).unwrap();
        assert_eq!(h.labels[1], ["10****"]);
    }
}
