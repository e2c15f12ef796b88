//! A bounded mutation fuzzer on the stable toolchain, run by every `cargo test`: the CSV and
//! Parquet readers, spec TOML (recipients, policy, pseudonymization and synthesis plans), and
//! ARX hierarchy files get seeded byte mutations of valid inputs; none may panic (a decoder
//! panic turned into an error by the boundary counts as a crash too). The inputs under
//! `tests/fuzz-regressions/<target>/` are replayed first. `DATAVISA_FUZZ_SECS` sets the budget
//! per target (12 s here; `bench/fuzz.sh 1h` runs longer), `DATAVISA_FUZZ_SEED` the seed.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Seeded xorshift: reproducible mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Bytes that matter to these formats.
const TOKENS: &[&[u8]] = &[
    b",",
    b";",
    b"\"",
    b"\n",
    b"\r\n",
    b"=",
    b"[",
    b"]",
    b"{",
    b"}",
    b"#",
    b"\0",
    b"\xef\xbb\xbf",
    b"\xe4\xb8\xad",
    b"\xff",
    b"-1",
    b"1e309",
    b"NaN",
    b"inf",
    b"99999999999999999999",
    b"[[columns]]",
    b"role = ",
    b"name = ",
    b"\"quasi\"",
    b"knows = [",
    b"derive = ",
    b"[policy]",
    b"[[recipients]]",
    b"PAR1",
    b"*",
];

fn mutate(seed: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut v = seed.to_vec();
    for _ in 0..1 + rng.below(6) {
        let at = rng.below(v.len() + 1);
        match rng.below(7) {
            0 if !v.is_empty() => {
                let i = rng.below(v.len());
                v[i] ^= 1 << rng.below(8);
            }
            1 if !v.is_empty() => {
                let i = rng.below(v.len());
                v[i] = rng.next() as u8;
            }
            2 => {
                let t = TOKENS[rng.below(TOKENS.len())];
                v.splice(at..at, t.iter().copied());
            }
            3 if !v.is_empty() => {
                let n = rng.below(16).min(v.len() - at.min(v.len()));
                v.drain(at.min(v.len())..at.min(v.len()) + n);
            }
            4 if !v.is_empty() => {
                let from = rng.below(v.len());
                let n = rng.below(32).min(v.len() - from);
                let chunk: Vec<u8> = v[from..from + n].to_vec();
                v.splice(at..at, chunk);
            }
            5 => v.truncate(at),
            _ => {
                let t = TOKENS[rng.below(TOKENS.len())];
                let end = (at + t.len()).min(v.len());
                v.splice(at..end, t.iter().copied());
            }
        }
    }
    v
}

/// What one input did.
enum Seen {
    Fine,
    /// A panic inside a third-party decoder, caught by the boundary and reported as an error
    /// naming the file (what the user sees); kept to report upstream.
    Upstream(String),
}

/// Runs `check` on `bytes`; a panic that escapes, or one inside datavisa's own code reported by
/// the boundary, is a crash.
fn survives(check: &dyn Fn(&[u8]) -> Result<(), String>, bytes: &[u8]) -> Result<Seen, String> {
    match catch_unwind(AssertUnwindSafe(|| check(bytes))) {
        Err(_) => Err("panicked".into()),
        Ok(Err(e)) if e.contains("decoder failed") && e.contains("/.cargo/registry/") => {
            let at = e.rsplit(" at ").next().unwrap_or_default();
            Ok(Seen::Upstream(
                at.split(')').next().unwrap_or_default().to_owned(),
            ))
        }
        Ok(Err(e)) if e.contains("decoder failed") => Err(e),
        Ok(_) => Ok(Seen::Fine),
    }
}

fn budget() -> Duration {
    let secs: f64 = std::env::var("DATAVISA_FUZZ_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(12.0);
    Duration::from_secs_f64(secs)
}

fn seed() -> u64 {
    std::env::var("DATAVISA_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5EED_DA7A_5A5A_0017)
        | 1
}

/// Replays the regressions of `target`, then fuzzes `seeds` for the budget; fails naming the
/// saved input of the first crash.
fn fuzz(target: &str, seeds: &[Vec<u8>], check: &dyn Fn(&[u8]) -> Result<(), String>) -> u64 {
    let regressions = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz-regressions")
        .join(target);
    if let Ok(dir) = std::fs::read_dir(&regressions) {
        for e in dir.flatten() {
            let bytes = std::fs::read(e.path()).unwrap();
            if let Err(why) = survives(check, &bytes) {
                panic!(
                    "{target}: regression {} crashes again: {why}",
                    e.path().display()
                );
            }
        }
    }
    let mut rng = Rng(seed() ^ (target.len() as u64 * 0x9E37_79B9));
    let (start, limit) = (Instant::now(), budget());
    let mut runs = 0u64;
    let mut upstream: Vec<String> = Vec::new();
    while start.elapsed() < limit {
        let input = mutate(&seeds[rng.below(seeds.len())], &mut rng);
        let seen = survives(check, &input);
        if let Ok(Seen::Upstream(at)) = &seen {
            if !upstream.contains(at) {
                eprintln!("fuzz {target}: a third-party decoder panicked at {at} (caught, reported as an error naming the file)");
                upstream.push(at.clone());
            }
        }
        if let Err(why) = seen {
            let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("fuzz-crashes");
            std::fs::create_dir_all(&dir).unwrap();
            let saved = dir.join(format!("{target}-{runs}.bin"));
            std::fs::write(&saved, &input).unwrap();
            panic!(
                "{target}: input {} ({} bytes) crashes: {why}; copy it into {} to keep it as a regression",
                saved.display(),
                input.len(),
                regressions.display()
            );
        }
        runs += 1;
    }
    eprintln!(
        "fuzz {target}: {runs} inputs in {:.1} s, no crash",
        start.elapsed().as_secs_f64()
    );
    runs
}

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
    let n = fuzz("csv", &[CSV.to_vec(), b"a;b\n1;2\n".to_vec()], &check_csv);
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
    assert!(fuzz("parquet", &[pq_seed], &check_pq) > 0);
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
    assert!(fuzz("spec", &[SPEC.as_bytes().to_vec()], &check_spec) > 0);
    let h = scratch("h.csv");
    let check_h = |b: &[u8]| {
        std::fs::write(&h, b).unwrap();
        datavisa_twin::hierarchy::Hierarchy::load_arx(&h, "age")
            .map(drop)
            .map_err(|e| e.to_string())
    };
    let arx = b"17;[15, 20[;[10, 30[;*\n18;[15, 20[;[10, 30[;*\n25;[25, 30[;[10, 30[;*\n4.0;[1, 987[;*;*\n".to_vec();
    assert!(fuzz("hierarchy", &[arx], &check_h) > 0);
}
