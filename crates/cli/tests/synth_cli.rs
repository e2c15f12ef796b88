//! End to end: `datavisa twin synthesize` on ARX's Adult with its public domain
//! (examples/adult-public-domain.toml): accounting in the manifest, determinism, fidelity at a
//! huge epsilon, real noise at a tiny one, the public domain as the only source of categories,
//! the row count estimated rather than read, and bad input refused before anything is written.

mod common;
use common::{datavisa, fails_with, json_of, shared};
use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;

fn spec() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/adult-public-domain.toml")
        .display()
        .to_string()
}

/// Rows of a CSV with a header, as maps of column → value.
fn rows(path: &Path, delim: u8) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::ReaderBuilder::new()
        .delimiter(delim)
        .from_path(path)
        .unwrap();
    let h: Vec<String> = r.headers().unwrap().iter().map(str::to_owned).collect();
    let rows = r
        .records()
        .map(|x| x.unwrap().iter().map(str::to_owned).collect())
        .collect();
    (h, rows)
}

/// Writes a semicolon-separated CSV with a header.
fn write_rows(path: &Path, header: &[String], rows: &[Vec<String>]) {
    let mut w = csv::WriterBuilder::new()
        .delimiter(b';')
        .from_path(path)
        .unwrap();
    w.write_record(header).unwrap();
    for r in rows {
        w.write_record(r).unwrap();
    }
    w.flush().unwrap();
}

/// Total variation distance between the source's and the twin's marginal on `cols`.
fn tvd(
    src: &(Vec<String>, Vec<Vec<String>>),
    twin: &(Vec<String>, Vec<Vec<String>>),
    cols: &[&str],
) -> f64 {
    let dist = |t: &(Vec<String>, Vec<Vec<String>>)| {
        let idx: Vec<usize> = cols
            .iter()
            .map(|c| t.0.iter().position(|h| h == c).unwrap())
            .collect();
        let mut m: HashMap<Vec<String>, f64> = HashMap::new();
        for r in &t.1 {
            *m.entry(idx.iter().map(|&i| r[i].clone()).collect())
                .or_default() += 1.0 / t.1.len() as f64;
        }
        m
    };
    let (a, b) = (dist(src), dist(twin));
    let keys: std::collections::HashSet<&Vec<String>> = a.keys().chain(b.keys()).collect();
    keys.iter()
        .map(|k| (a.get(*k).unwrap_or(&0.0) - b.get(*k).unwrap_or(&0.0)).abs())
        .sum::<f64>()
        / 2.0
}

/// `twin synthesize --spec SPEC INPUT -o OUT EXTRA...` (quiet).
fn run(spec: &Path, input: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    let (spec, input, out) = (
        spec.to_str().unwrap(),
        input.to_str().unwrap(),
        out.to_str().unwrap(),
    );
    let mut args = vec![
        "--quiet",
        "twin",
        "synthesize",
        "--spec",
        spec,
        input,
        "-o",
        out,
    ];
    args.extend_from_slice(extra);
    datavisa(&args)
}

/// Adult with its public domain, as JSON.
fn synthesize(out: &Path, extra: &[&str]) -> Value {
    let mut extra = extra.to_vec();
    extra.extend(["--format", "json"]);
    json_of(&run(
        Path::new(&spec()),
        Path::new(&shared("arx/adult.csv")),
        out,
        &extra,
    ))
}

const COLUMNS: [&str; 9] = [
    "sex",
    "age",
    "race",
    "marital-status",
    "education",
    "native-country",
    "workclass",
    "occupation",
    "salary-class",
];

#[test]
fn mst_at_a_huge_epsilon_reproduces_what_it_measured() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("twin.csv");
    let m = synthesize(&out, &["--epsilon", "100000", "--seed", "1"]);
    assert_eq!(m["kind"], "synthetic_twin");
    assert_eq!(m["method"], "mst");
    let src = rows(Path::new(&shared("arx/adult.csv")), b';');
    // The twin is written as its source is: `;` between fields.
    let twin = rows(&out, b';');
    for c in COLUMNS {
        let d = tvd(&src, &twin, &[c]);
        assert!(d < 0.02, "1-way {c}: {d}");
    }
    let cliques = m["model"]["cliques"].as_array().unwrap();
    assert_eq!(cliques.len(), 8, "a spanning tree of 9 columns");
    for c in cliques {
        let pair: Vec<&str> = c
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_str().unwrap())
            .collect();
        let d = tvd(&src, &twin, &pair);
        assert!(d < 0.02, "2-way {pair:?}: {d}");
    }
    // The estimated size is within a row or two of the truth when the noise is negligible.
    assert!(
        (twin.1.len() as f64 - 30_162.0).abs() < 5.0,
        "{}",
        twin.1.len()
    );
}

#[test]
fn aim_at_a_huge_epsilon_matches_every_pair() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("twin.csv");
    let m = synthesize(
        &out,
        &[
            "--epsilon",
            "100000",
            "--seed",
            "2",
            "--method",
            "aim",
            "--drop",
            "native-country,age,education",
            "--rounds",
            "24",
        ],
    );
    assert_eq!(m["method"], "aim");
    let src = rows(Path::new(&shared("arx/adult.csv")), b';');
    let twin = rows(&out, b';');
    let kept = [
        "sex",
        "race",
        "marital-status",
        "workclass",
        "occupation",
        "salary-class",
    ];
    for (i, a) in kept.iter().enumerate() {
        for b in &kept[i + 1..] {
            let d = tvd(&src, &twin, &[a, b]);
            assert!(d < 0.02, "2-way {a} x {b}: {d}");
        }
    }
    assert_eq!(m["dropped"].as_array().unwrap().len(), 3);
}

#[test]
fn a_tiny_epsilon_really_adds_noise() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("twin.csv");
    synthesize(&out, &["--epsilon", "0.01", "--seed", "3"]);
    let src = rows(Path::new(&shared("arx/adult.csv")), b';');
    let twin = rows(&out, b';');
    let mean2: f64 = {
        let mut v = Vec::new();
        for (i, a) in COLUMNS.iter().enumerate() {
            for b in &COLUMNS[i + 1..] {
                v.push(tvd(&src, &twin, &[a, b]));
            }
        }
        v.iter().sum::<f64>() / v.len() as f64
    };
    // At eps 1 the mean 2-way TVD is ~0.05 (BENCHMARKS.md); at 0.01 the noise dominates.
    assert!(mean2 > 0.1, "{mean2}");
}

#[test]
fn the_same_seed_gives_the_same_twin_and_the_manifest_accounts_for_every_rho() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b, c) = (
        dir.path().join("a.csv"),
        dir.path().join("b.csv"),
        dir.path().join("c.csv"),
    );
    let ma = synthesize(&a, &["--epsilon", "1", "--seed", "7"]);
    synthesize(&b, &["--epsilon", "1", "--seed", "7"]);
    synthesize(&c, &["--epsilon", "1", "--seed", "8"]);
    let (ba, bb, bc) = (
        std::fs::read(&a).unwrap(),
        std::fs::read(&b).unwrap(),
        std::fs::read(&c).unwrap(),
    );
    assert_eq!(ba, bb);
    assert_ne!(ba, bc);
    let p = &ma["privacy"];
    let rho = p["rho"].as_f64().unwrap();
    assert!((rho - 0.01497).abs() < 5e-6, "{rho}");
    let spent: f64 = p["ledger"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["rho"].as_f64().unwrap())
        .sum();
    assert!(
        (spent - rho).abs() < 1e-9 * rho.max(1.0),
        "{spent} vs {rho}"
    );
    assert_eq!(p["ledger"].as_array().unwrap().len(), 3);
    assert_eq!(ma["seed"], 7);
    assert!(ma["randomness"].as_str().unwrap().contains("in-country"));
    // The manifest names the source by hash and the twin by its own hash.
    let on_disk: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("a.csv.manifest.json")).unwrap())
            .unwrap();
    assert_eq!(on_disk["output_sha256"], ma["output_sha256"]);
    assert_eq!(on_disk["source"]["sha256"].as_str().unwrap().len(), 64);
    assert!(on_disk["columns"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["source"] == "spec"));
    // No seed: fresh entropy, nothing recorded.
    let d = dir.path().join("d.csv");
    let md = synthesize(&d, &["--epsilon", "1"]);
    assert!(md["seed"].is_null());
}

#[test]
fn categories_outside_the_public_domain_never_appear_and_are_not_counted_in_the_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(spec()).unwrap().replace(
        r#"categories = ["Amer-Indian-Eskimo", "Asian-Pac-Islander", "Black", "Other", "White"]"#,
        r#"categories = ["Asian-Pac-Islander", "Black", "White"]"#,
    );
    let narrow = dir.path().join("narrow.toml");
    std::fs::write(&narrow, text).unwrap();
    let out = dir.path().join("twin.csv");
    let adult = shared("arx/adult.csv");
    let o = run(
        &narrow,
        Path::new(&adult),
        &out,
        &["--epsilon", "1000", "--seed", "4", "--format", "json"],
    );
    let m = json_of(&o);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("outside its declared domain") && err.contains("\"race\""),
        "{err}"
    );
    let twin = rows(&out, b';');
    let race = twin.0.iter().position(|h| h == "race").unwrap();
    for r in &twin.1 {
        assert!(
            ["Asian-Pac-Islander", "Black", "White", ""].contains(&r[race].as_str()),
            "{}",
            r[race]
        );
    }
    assert!(!m.to_string().contains("Amer-Indian-Eskimo"));
    assert!(!m.to_string().contains("outside"));
}

#[test]
fn the_row_count_is_estimated_from_noisy_measurements_never_read() {
    let dir = tempfile::tempdir().unwrap();
    // A table whose size (2,345 rows) the mechanism must not learn exactly.
    let src = rows(Path::new(&shared("arx/adult.csv")), b';');
    let small = dir.path().join("small.csv");
    write_rows(&small, &src.0, &src.1[..2345]);
    let spec = spec();
    let mut sizes = Vec::new();
    for seed in ["1", "2", "3"] {
        let out = dir.path().join(format!("t{seed}.csv"));
        let m = json_of(&run(
            Path::new(&spec),
            &small,
            &out,
            &["--epsilon", "0.1", "--seed", seed, "--format", "json"],
        ));
        let n = rows(&out, b',').1.len();
        assert_eq!(n as u64, m["rows"].as_u64().unwrap());
        assert_eq!(
            n,
            m["model"]["estimated_rows"].as_f64().unwrap().round() as usize
        );
        sizes.push(n);
    }
    assert!(sizes.iter().all(|&n| n != 2345), "{sizes:?}");
    // ... but close to it: the 1-way totals are noisy counts of the same rows.
    assert!(
        sizes.iter().all(|&n| (n as f64 - 2345.0).abs() < 1000.0),
        "{sizes:?}"
    );
    // --rows asks for an exact size.
    let out = dir.path().join("fixed.csv");
    synthesize(&out, &["--epsilon", "1", "--seed", "1", "--rows", "500"]);
    assert_eq!(rows(&out, b',').1.len(), 500);
}

#[test]
fn undeclared_domains_are_refused_or_paid_for() {
    let dir = tempfile::tempdir().unwrap();
    let adult = shared("arx/adult.csv");
    let bare = dir.path().join("bare.toml");
    let text = std::fs::read_to_string(spec()).unwrap();
    // Remove the domains of age and occupation.
    let text = text
        .replace("domain = { min = 17, max = 90 }\n", "")
        .lines()
        .filter(|l| !l.contains("\"Adm-clerical\""))
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(&bare, text).unwrap();
    let out = dir.path().join("twin.csv");
    let o = run(&bare, Path::new(&adult), &out, &["--epsilon", "1"]);
    fails_with(
        &o,
        2,
        &[
            "no public domain for",
            "age (spec line",
            "occupation (spec line",
            "--dp-domain",
        ],
    );
    assert!(!out.exists());
    let m = json_of(&run(
        &bare,
        Path::new(&adult),
        &out,
        &[
            "--epsilon",
            "1",
            "--seed",
            "5",
            "--dp-domain",
            "--format",
            "json",
        ],
    ));
    let p = &m["privacy"];
    let ledger = p["ledger"].as_array().unwrap();
    let steps: Vec<&str> = ledger.iter().map(|c| c["step"].as_str().unwrap()).collect();
    assert!(
        steps.contains(&"bounds of age") && steps.contains(&"categories of occupation"),
        "{steps:?}"
    );
    // Category release by threshold spends delta outside zCDP: half of it is set aside.
    assert!((p["delta_threshold"].as_f64().unwrap() - 5e-10).abs() < 1e-15);
    let domain_rho: f64 = ledger[..2].iter().map(|c| c["rho"].as_f64().unwrap()).sum();
    assert!((domain_rho / p["rho"].as_f64().unwrap() - 0.1).abs() < 1e-9);
    let cols = m["columns"].as_array().unwrap();
    let occ = cols.iter().find(|c| c["column"] == "occupation").unwrap();
    assert_eq!(
        occ["source"]["differential_privacy"]["method"],
        "thresholded noisy counts"
    );
    assert!(occ["values"].as_array().unwrap().len() >= 10);
    // Covering all but 9 of 30,162 occupations, that domain is not called a loss.
    assert!(
        m.get("domain_coverage").is_none(),
        "{}",
        m["domain_coverage"]
    );
    // On a tenth of a budget of 0.5 the estimated domain leaves out a quarter of the
    // occupations: said at the end of the run and in the manifest, with the exact share.
    let thin = dir.path().join("thin.csv");
    let o = run(
        &bare,
        Path::new(&adult),
        &thin,
        &[
            "--epsilon",
            "0.05",
            "--seed",
            "5",
            "--dp-domain",
            "--format",
            "json",
        ],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    let last = err.lines().last().unwrap_or_default();
    assert!(
        last.contains("column \"occupation\"") && last.contains("GB/T 6565"),
        "{err}"
    );
    let m = json_of(&o);
    let loss = &m["domain_coverage"]["losses"][0];
    assert_eq!(loss["column"], "occupation");
    let (header, data) = rows(Path::new(&adult), b';');
    let j = header.iter().position(|h| h == "occupation").unwrap();
    let present = data
        .iter()
        .filter(|r| !r[j].is_empty() && r[j] != "?")
        .count() as f64;
    let lost = loss["values_lost"].as_f64().unwrap();
    assert!((loss["share_lost"].as_f64().unwrap() - lost / present).abs() < 1e-12);
    assert!(loss["share_lost"].as_f64().unwrap() > 0.1);
    // The utility of that twin names the loss beside its scores.
    let u = json_of(&datavisa(&[
        "utility",
        "--source",
        &adult,
        "--twin",
        thin.to_str().unwrap(),
        "--format",
        "json",
    ]));
    assert_eq!(u["domain_losses"][0]["column"], "occupation", "{u}");
    let o = run(
        &bare,
        Path::new(&adult),
        &thin,
        &[
            "--epsilon",
            "1",
            "--dp-domain",
            "--min-domain-coverage",
            "1.5",
        ],
    );
    fails_with(&o, 2, &["--min-domain-coverage 1.5"]);
}

#[test]
fn bad_parameters_and_domains_fail_cleanly_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let adult = shared("arx/adult.csv");
    let out = dir.path().join("twin.csv");
    let o = out.to_str().unwrap();
    let spec = spec();
    let run = |extra: &[&str]| {
        let mut a = vec!["--quiet", "twin", "synthesize", &adult, "-o", o];
        a.extend_from_slice(extra);
        datavisa(&a)
    };
    fails_with(&run(&["--epsilon", "1"]), 2, &["--spec is required"]);
    fails_with(
        &run(&["--spec", &spec, "--epsilon", "0"]),
        2,
        &["epsilon must be positive"],
    );
    fails_with(
        &run(&["--spec", &spec, "--epsilon", "1", "--delta", "0.5"]),
        2,
        &["--delta"],
    );
    fails_with(
        &run(&["--spec", &spec, "--epsilon", "1", "--drop", "nope"]),
        2,
        &["nope"],
    );
    fails_with(
        &run(&[
            "--spec",
            &spec,
            "--epsilon",
            "1",
            "--method",
            "aim",
            "--degree",
            "4",
        ]),
        2,
        &["--degree"],
    );
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        std::fs::read_to_string(&spec)
            .unwrap()
            .replace("min = 17, max = 90", "min = 90, max = 17"),
    )
    .unwrap();
    fails_with(
        &run(&["--spec", bad.to_str().unwrap(), "--epsilon", "1"]),
        2,
        &["bad.toml: line 18", "\"age\"", "below max"],
    );
    std::fs::write(
        &bad,
        std::fs::read_to_string(&spec)
            .unwrap()
            .replace("min = 17, max = 90", "min = 17, colour = 3"),
    )
    .unwrap();
    fails_with(
        &run(&["--spec", bad.to_str().unwrap(), "--epsilon", "1"]),
        2,
        &["bad.toml", "colour"],
    );
    assert!(!out.exists());
}

#[test]
fn identifiers_are_never_synthesized_and_utility_reads_the_twin() {
    let dir = tempfile::tempdir().unwrap();
    let src = rows(Path::new(&shared("arx/adult.csv")), b';');
    let with_id = dir.path().join("ids.csv");
    let mut h = vec!["customer_id".to_owned()];
    h.extend(src.0.iter().cloned());
    let with_ids: Vec<Vec<String>> = src.1[..5000]
        .iter()
        .enumerate()
        .map(|(i, r)| {
            std::iter::once(format!("C{i:06}"))
                .chain(r.iter().cloned())
                .collect()
        })
        .collect();
    write_rows(&with_id, &h, &with_ids);
    let public = std::fs::read_to_string(spec()).unwrap();
    let spec = dir.path().join("spec.toml");
    std::fs::write(
        &spec,
        format!("[[columns]]\nname = \"customer_id\"\nrole = \"identifier\"\n\n{public}"),
    )
    .unwrap();
    let out = dir.path().join("twin.csv");
    let m = json_of(&run(
        &spec,
        &with_id,
        &out,
        &["--epsilon", "2", "--seed", "1", "--format", "json"],
    ));
    assert_eq!(m["dropped"][0]["column"], "customer_id");
    let twin = rows(&out, b',');
    assert!(!twin.0.contains(&"customer_id".to_owned()));
    let u = json_of(&datavisa(&[
        "--quiet",
        "utility",
        "--source",
        with_id.to_str().unwrap(),
        "--twin",
        out.to_str().unwrap(),
        "--format",
        "json",
    ]));
    assert!(u["score"].as_f64().unwrap() > 0.5, "{u}");
}

#[test]
fn synthesized_amounts_keep_the_precision_the_spec_declares() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    let mut t = String::from("amount,kind\n");
    for i in 0..400 {
        t.push_str(&format!(
            "{}.{:02},{}\n",
            10 + i % 97,
            i % 100,
            ["a", "b"][i % 2]
        ));
    }
    std::fs::write(p.join("t.csv"), t).unwrap();
    let spec = |decimals: u32| {
        format!(
            "[[columns]]\nname = \"amount\"\ntype = \"float\"\ndomain = {{ min = 0, max = 200, bins = 20, decimals = {decimals} }}\n[[columns]]\nname = \"kind\"\ndomain = {{ categories = [\"a\", \"b\"] }}\n"
        )
    };
    std::fs::write(p.join("spec.toml"), spec(2)).unwrap();
    let out = p.join("syn.csv");
    let o = run(
        &p.join("spec.toml"),
        &p.join("t.csv"),
        &out,
        &["--epsilon", "1", "--seed", "1"],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (header, data) = rows(&out, b',');
    let j = header.iter().position(|h| h == "amount").unwrap();
    assert!(!data.is_empty());
    for r in &data {
        let decimals = r[j].split_once('.').map_or(0, |(_, d)| d.len());
        assert!(decimals <= 2, "{} has more than 2 decimals", r[j]);
    }
    std::fs::write(p.join("spec.toml"), spec(13)).unwrap();
    let o = run(
        &p.join("spec.toml"),
        &p.join("t.csv"),
        &out,
        &["--epsilon", "1"],
    );
    fails_with(&o, 2, &["decimals = 13"]);
}
