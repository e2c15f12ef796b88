//! String dictionaries: one arena of bytes, codes in first-appearance order, hash lookup without
//! allocating on the hot path.

use foldhash::fast::FixedState;
use hashbrown::HashTable;
use std::hash::BuildHasher;
use std::sync::OnceLock;

/// The code that marks a missing value in a categorical column.
pub const MISSING: u32 = u32::MAX;

/// Distinct strings of one column; a code is an index into it.
#[derive(Clone, Default)]
pub struct Dictionary {
    arena: String,
    ends: Vec<usize>,
    // (upper 32 bits of the hash, code): 8-byte entries keep the table small and cache friendly;
    // a probe touches the arena only when the tags agree. Built on first lookup: a table read
    // from a file and only analysed never pays for it.
    index: OnceLock<HashTable<(u32, u32)>>,
}

// Fixed seeds keep hashing (and so everything built on it) reproducible across runs.
/// The hash datavisa uses for dictionary values.
pub fn hash_bytes(b: &[u8]) -> u64 {
    FixedState::with_seed(0x6461_7461_7669_7361).hash_one(b)
}

/// The part of a hash kept in an index entry.
pub fn tag(h: u64) -> u32 {
    (h >> 32) as u32
}

impl std::fmt::Debug for Dictionary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl Dictionary {
    /// An empty dictionary.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of distinct values.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Total bytes of all values.
    pub fn byte_len(&self) -> usize {
        self.arena.len()
    }

    /// True when no value was added.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The value behind a code.
    pub fn get(&self, code: u32) -> &str {
        slice(&self.arena, &self.ends, code)
    }

    fn index(&self) -> &HashTable<(u32, u32)> {
        self.index.get_or_init(|| {
            let mut t = HashTable::with_capacity(self.len());
            for c in 0..self.len() as u32 {
                let h = hash_bytes(self.get(c).as_bytes());
                t.insert_unique(h, (tag(h), c), |&(_, c)| {
                    hash_bytes(slice(&self.arena, &self.ends, c).as_bytes())
                });
            }
            t
        })
    }

    /// The code of a value, if present.
    pub fn code_of(&self, value: &str) -> Option<u32> {
        let h = hash_bytes(value.as_bytes());
        let t = tag(h);
        self.index()
            .find(h, |&(et, c)| {
                et == t && self.get(c).as_bytes() == value.as_bytes()
            })
            .map(|&(_, c)| c)
    }

    /// Adds a value if new and returns its code.
    pub fn intern(&mut self, value: &str) -> u32 {
        self.intern_bytes(value.as_bytes())
    }

    /// Looks up raw bytes (UTF-8 from validated text), copying them only when the value is new.
    pub(crate) fn intern_bytes(&mut self, value: &[u8]) -> u32 {
        self.index();
        let h = hash_bytes(value);
        let t = tag(h);
        let (arena, ends) = (&self.arena, &self.ends);
        let index = self.index.get_mut().expect("built above");
        // One probe finds the value or the slot it goes in.
        let entry = index.entry(
            h,
            |&(et, c)| et == t && slice(arena, ends, c).as_bytes() == value,
            |&(_, c)| hash_bytes(slice(arena, ends, c).as_bytes()),
        );
        match entry {
            hashbrown::hash_table::Entry::Occupied(o) => o.get().1,
            hashbrown::hash_table::Entry::Vacant(v) => {
                let code = self.ends.len() as u32;
                v.insert((t, code));
                push_text(&mut self.arena, value);
                self.ends.push(self.arena.len());
                code
            }
        }
    }

    /// A dictionary from distinct values already laid end to end (`ends[i]` is where value `i`
    /// ends). The arena is validated as UTF-8 once, as a whole; invalid bytes become U+FFFD.
    pub(crate) fn from_parts(arena: Vec<u8>, ends: Vec<usize>) -> Dictionary {
        // SIMD validation: std's check runs at a fraction of the speed on Chinese text, and an
        // identifier column's arena is tens of megabytes.
        if simdutf8::basic::from_utf8(&arena).is_ok() {
            // SAFETY: the bytes were validated as UTF-8 just above.
            let arena = unsafe { String::from_utf8_unchecked(arena) };
            return Dictionary {
                arena,
                ends,
                index: OnceLock::new(),
            };
        }
        let mut d = Dictionary::new();
        let mut start = 0;
        for &end in &ends {
            d.intern_bytes(&arena[start..end]);
            start = end;
        }
        d
    }

    /// A dictionary of values known to be distinct (e.g. the images of distinct values under an
    /// injective function), laid end to end without hashing; the lookup index is built only if
    /// a lookup is ever made.
    pub fn from_distinct<S: AsRef<str>>(values: impl IntoIterator<Item = S>) -> Dictionary {
        let mut arena = String::new();
        let mut ends = Vec::new();
        for v in values {
            arena.push_str(v.as_ref());
            ends.push(arena.len());
        }
        Dictionary {
            arena,
            ends,
            index: OnceLock::new(),
        }
    }

    /// Interns every value of `other`, returning the code each of its codes maps to.
    pub fn absorb(&mut self, other: &Dictionary) -> Vec<u32> {
        other.iter().map(|v| self.intern(v)).collect()
    }

    /// Iterates values in code order.
    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        (0..self.len() as u32).map(move |c| self.get(c))
    }
}

// Values come from validated text, so the strict check passes and the lossy path never runs;
// it is there so that a caller's mistake shows as U+FFFD rather than undefined behaviour.
fn push_text(arena: &mut String, value: &[u8]) {
    match std::str::from_utf8(value) {
        Ok(s) => arena.push_str(s),
        Err(_) => arena.push_str(&String::from_utf8_lossy(value)),
    }
}

fn slice<'a>(arena: &'a str, ends: &[usize], code: u32) -> &'a str {
    let i = code as usize;
    let start = if i == 0 { 0 } else { ends[i - 1] };
    &arena[start..ends[i]]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_distinct_keeps_order_and_finds_values() {
        let d = Dictionary::from_distinct(["b", "a", "ccc"]);
        assert_eq!(d.iter().collect::<Vec<_>>(), ["b", "a", "ccc"]);
        assert_eq!(d.code_of("ccc"), Some(2));
        assert_eq!(d.code_of("z"), None);
    }

    #[test]
    fn codes_are_first_seen_order_and_absorb_maps_codes() {
        let mut a = Dictionary::new();
        assert_eq!((a.intern("x"), a.intern("y"), a.intern("x")), (0, 1, 0));
        let mut b = Dictionary::new();
        b.intern("z");
        b.intern("x");
        assert_eq!(a.absorb(&b), vec![2, 0]);
        assert_eq!(a.get(2), "z");
        assert_eq!(a.code_of("y"), Some(1));
        assert_eq!(a.code_of("w"), None);
    }
}
