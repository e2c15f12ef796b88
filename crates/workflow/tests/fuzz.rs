//! A bounded mutation fuzzer on the stable toolchain, run by every `cargo test`: the CSV and
//! Parquet readers, spec TOML (recipients, policy, pseudonymization and synthesis plans), and
//! ARX hierarchy files get seeded byte mutations of valid inputs; none may panic (a decoder
//! panic turned into an error by the boundary counts as a crash too). The inputs under
//! `tests/fuzz-regressions/<target>/` are replayed first. `DATAVISA_FUZZ_SECS` sets the budget
//! per target (12 s here; `bench/fuzz.sh 1h` runs longer), `DATAVISA_FUZZ_SEED` the seed.

mod fuzz_harness;

use fuzz_harness::{budget, fuzz};
use std::path::{Path, PathBuf};

/// CI's share per target: four here and the server's API bodies make about 60 s in all.
const CI_SECS: f64 = 12.0;

fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("fuzz");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(format!("{}-{name}", std::process::id()))
}

const CSV: &[u8] = "id,姓名,出生日期,邮编,金额,备注\n1,张三,1985-07-14,518057,12.50,\"a, b\"\n2,李四,1990/01/02,100000,,\"多行\n文本\"\n3,王五,19991231,200000,3e2,x\n".as_bytes();

#[test]
fn fuzz_the_readers() {
    let csv_path = scratch("in.csv");
    let read = |p: &Path| {
        datavisa_table::read_table(p, &Default::default())
            .map(drop)
            .map_err(|e| e.to_string())
    };
    let check_csv = |b: &[u8]| {
        std::fs::write(&csv_path, b).unwrap();
        read(&csv_path)
    };
    let n = fuzz(
        "csv",
        budget(CI_SECS),
        &[CSV.to_vec(), b"a;b\n1;2\n".to_vec()],
        &check_csv,
    );
    assert!(n > 0);
    // Parquet: a valid file written by datavisa, then mutated.
    std::fs::write(&csv_path, CSV).unwrap();
    let pq = scratch("seed.parquet");
    datavisa_table::write_table(
        &datavisa_table::read_table(&csv_path, &Default::default()).unwrap(),
        &pq,
    )
    .unwrap();
    let pq_seed = std::fs::read(&pq).unwrap();
    let pq_path = scratch("in.parquet");
    let check_pq = |b: &[u8]| {
        std::fs::write(&pq_path, b).unwrap();
        read(&pq_path)
    };
    assert!(fuzz("parquet", budget(CI_SECS), &[pq_seed], &check_pq) > 0);
}

const SPEC: &str = r#"
[[columns]]
name = "出生日期"
role = "quasi"
hierarchy = { kind = "date", levels = ["month", "year"] }
[[columns]]
name = "邮编"
role = "quasi"
domain = { values = ["518057", "100000"] }
[[columns]]
name = "金额"
role = "other"
domain = { min = 0, max = 1000, bins = 10 }
[[columns]]
name = "姓名"
role = "identifier"

[pseudonymize.姓名]
method = "token"

[[recipients]]
id = "r"
knows = ["出生日期", { column = "邮编", derive = "prefix3" }]
context = "public"
[recipients.controls]
no_reidentification = true

[policy]
review_months = 6
confidence = { value = 0.95, source = "s" }
[policy.thresholds]
linkability = { value = 0.1, source = "s" }
"#;

#[test]
fn fuzz_specs_and_hierarchies() {
    let csv = scratch("spec-in.csv");
    std::fs::write(&csv, CSV).unwrap();
    let table = datavisa_table::read_table(&csv, &Default::default()).unwrap();
    let check_spec = |b: &[u8]| {
        let Ok(text) = std::str::from_utf8(b) else {
            return Ok(());
        };
        let spec = datavisa_table::Spec::parse(Path::new("fuzz.toml"), text.to_owned())
            .map_err(|e| e.to_string())?;
        let _ = datavisa_verdict::recipients(&spec);
        let _ = datavisa_verdict::policy(&spec);
        if let Ok(rs) = datavisa_verdict::recipients(&spec) {
            for r in &rs {
                let _ = datavisa_verdict::profile::known_columns(&spec, r, &table, &[]);
            }
        }
        let _ = datavisa_twin::pseudonymize::plan::plan(&table, Some(&spec), &Default::default());
        let _ = datavisa_twin::synth::domain::plan(&spec, &table, &[], true);
        Ok(())
    };
    assert!(
        fuzz(
            "spec",
            budget(CI_SECS),
            &[SPEC.as_bytes().to_vec()],
            &check_spec
        ) > 0
    );
    let h = scratch("h.csv");
    let check_h = |b: &[u8]| {
        std::fs::write(&h, b).unwrap();
        datavisa_twin::hierarchy::Hierarchy::load_arx(&h, "age")
            .map(drop)
            .map_err(|e| e.to_string())
    };
    let arx = b"17;[15, 20[;[10, 30[;*\n18;[15, 20[;[10, 30[;*\n25;[25, 30[;[10, 30[;*\n4.0;[1, 987[;*;*\n".to_vec();
    assert!(fuzz("hierarchy", budget(CI_SECS), &[arx], &check_h) > 0);
}
