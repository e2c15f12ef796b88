//! String dictionaries: one arena of bytes, codes in first-appearance order, hash lookup without
//! allocating on the hot path.

use foldhash::fast::FixedState;
use hashbrown::HashTable;
use std::hash::BuildHasher;

/// The code that marks a missing value in a categorical column.
pub const MISSING: u32 = u32::MAX;

/// Distinct strings of one column; a code is an index into it.
#[derive(Clone, Default)]
pub struct Dictionary {
    arena: String,
    ends: Vec<usize>,
    index: HashTable<u32>,
}

// Fixed seeds keep hashing (and so everything built on it) reproducible across runs.
fn hasher() -> FixedState {
    FixedState::with_seed(0x6461_7461_7669_7361)
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

    /// True when no value was added.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The value behind a code.
    pub fn get(&self, code: u32) -> &str {
        let i = code as usize;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.arena[start..self.ends[i]]
    }

    /// The code of a value, if present.
    pub fn code_of(&self, value: &str) -> Option<u32> {
        let h = hasher().hash_one(value.as_bytes());
        self.index
            .find(h, |&c| self.get(c).as_bytes() == value.as_bytes())
            .copied()
    }

    /// Adds a value if new and returns its code.
    pub fn intern(&mut self, value: &str) -> u32 {
        self.intern_bytes_checked(value.as_bytes(), || value.to_owned())
    }

    /// Looks up raw bytes, converting to a string only when the value is new. The caller
    /// guarantees the bytes are UTF-8 (they come from validated text).
    pub(crate) fn intern_utf8_bytes(&mut self, value: &[u8]) -> u32 {
        self.intern_bytes_checked(value, || String::from_utf8_lossy(value).into_owned())
    }

    fn intern_bytes_checked(&mut self, value: &[u8], owned: impl FnOnce() -> String) -> u32 {
        let h = hasher().hash_one(value);
        if let Some(&c) = self.index.find(h, |&c| self.get(c).as_bytes() == value) {
            return c;
        }
        let code = self.ends.len() as u32;
        self.arena.push_str(&owned());
        self.ends.push(self.arena.len());
        let (arena, ends) = (&self.arena, &self.ends);
        self.index.insert_unique(h, code, |&c| {
            let i = c as usize;
            let start = if i == 0 { 0 } else { ends[i - 1] };
            hasher().hash_one(&arena.as_bytes()[start..ends[i]])
        });
        code
    }

    /// Iterates values in code order.
    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        (0..self.len() as u32).map(move |c| self.get(c))
    }
}
