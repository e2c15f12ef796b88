//! The mutation fuzzer shared by the fuzz targets (crates/workflow/tests/fuzz.rs and the
//! server's API bodies): seeded byte mutations, regressions replayed first, a time budget, and
//! the crashing input saved for keeping.

#![allow(dead_code)]

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Seeded xorshift: reproducible mutations.
pub struct Rng(u64);

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
pub const TOKENS: &[&[u8]] = &[
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
    // JSON, for the API's bodies.
    b":",
    b"null",
    b"true",
    b"\\u0000",
    b"\\ud800",
    b"[[[[[[[[[[[[[[[[",
    b"{\"a\":",
    b"\"dv_",
    b"-9223372036854775809",
];

pub fn mutate(seed: &[u8], rng: &mut Rng) -> Vec<u8> {
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
pub enum Seen {
    /// Nothing went wrong (an error the program reports is fine).
    Fine,
    /// A panic inside a third-party decoder, caught by the boundary and reported as an error
    /// naming the file (what the user sees); kept to report upstream.
    Upstream(String),
}

/// Runs `check` on `bytes`; a panic that escapes, one inside datavisa's own code reported by
/// the boundary, or an error `check` marks `crash: …` (a 5xx of the API) is a crash.
pub fn survives(check: &dyn Fn(&[u8]) -> Result<(), String>, bytes: &[u8]) -> Result<Seen, String> {
    match catch_unwind(AssertUnwindSafe(|| check(bytes))) {
        Err(_) => Err("panicked".into()),
        Ok(Err(e)) if e.contains("decoder failed") && e.contains("/.cargo/registry/") => {
            let at = e.rsplit(" at ").next().unwrap_or_default();
            Ok(Seen::Upstream(
                at.split(')').next().unwrap_or_default().to_owned(),
            ))
        }
        Ok(Err(e)) if e.contains("decoder failed") || e.starts_with("crash: ") => Err(e),
        Ok(_) => Ok(Seen::Fine),
    }
}

/// The time budget of one target: `DATAVISA_FUZZ_SECS`, else `default_secs`.
pub fn budget(default_secs: f64) -> Duration {
    let secs: f64 = std::env::var("DATAVISA_FUZZ_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default_secs);
    Duration::from_secs_f64(secs)
}

/// The run's seed: `DATAVISA_FUZZ_SEED`, else a fixed one (CI runs the same inputs each time).
pub fn seed() -> u64 {
    std::env::var("DATAVISA_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5EED_DA7A_5A5A_0017)
        | 1
}

/// Replays the regressions of `target`, then fuzzes `seeds` for the budget; fails naming the
/// saved input of the first crash.
pub fn fuzz(
    target: &str,
    limit: Duration,
    seeds: &[Vec<u8>],
    check: &dyn Fn(&[u8]) -> Result<(), String>,
) -> u64 {
    // One place for every crate's regressions (this file is shared by the server's target).
    let regressions = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../workflow/tests/fuzz-regressions"
    ))
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
    let start = Instant::now();
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
