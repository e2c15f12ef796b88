//! Test data shared by the workflow's test files.

use std::path::Path;

/// `rows` people: pid, a (4 values), b (10), c (10), s (3); deterministic.
pub fn people(dir: &Path, name: &str, rows: usize, seed: u64, first: usize) {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = |n: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % n
    };
    let mut s = String::from("pid,a,b,c,s\n");
    for i in 0..rows {
        s.push_str(&format!(
            "P{:06},a{},b{},c{},{}\n",
            first + i,
            next(4),
            next(10),
            next(10),
            ["flu", "asthma", "none"][next(3) as usize]
        ));
    }
    std::fs::write(dir.join(name), s).unwrap();
}
