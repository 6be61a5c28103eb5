//! Mapping keys shared by every [`super::Tree`] of the process.
//!
//! Kubernetes objects repeat a small vocabulary of keys (`apiVersion`, `metadata`,
//! `containers`, `name`, ...): in a fleet of Deployments, EndpointSlices and Clusters more
//! than half of a tree's text is keys, fewer than a hundred distinct ones. A tree refers
//! to a key held here by its number instead of copying it.
//!
//! Bounded: only short keys, and at most [`MAX_KEYS`] of them, are ever held (a file of
//! made-up keys fills the table once; later keys are stored in their tree as before).
//! Numbers depend on which thread met a key first; nothing outside a tree sees them.

use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{Mutex, OnceLock};

/// Most keys the table holds (a few hundred are usual).
pub const MAX_KEYS: usize = 1 << 14;
/// Longest key held (Kubernetes field names are short; label keys go up to 316 bytes).
pub const MAX_KEY_BYTES: usize = 64;

struct Table {
    /// Key `i` at `slots[i]`, set once, read without a lock.
    slots: Box<[OnceLock<&'static str>]>,
    numbers: Mutex<Interned>,
}

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| Table {
        slots: (0..MAX_KEYS).map(|_| OnceLock::new()).collect(),
        numbers: Mutex::default(),
    })
}

thread_local! {
    /// This thread's copy of the numbers it has used: the loader's threads meet the same
    /// keys in every document, and a lock per key would make them wait on each other.
    static SEEN: RefCell<HashMap<&'static str, u32, Fx>> = RefCell::new(HashMap::default());
}

/// The number of `key` in the table, adding it if there is room; None for a key the
/// table does not take (too long, or the table is full).
pub fn number(key: &str) -> Option<u32> {
    with_numbering(|n| n.number(key))
}

/// Run `f` with this thread's numbering: a tree asks for every key it has, and looking
/// the thread's copy up once per tree instead of once per key is a visible saving.
pub fn with_numbering<R>(f: impl FnOnce(&mut Numbering<'_>) -> R) -> R {
    SEEN.with(|s| match s.try_borrow_mut() {
        Ok(mut seen) => f(&mut Numbering {
            seen: Some(&mut seen),
        }),
        // Only if `f` re-enters (it does not): go to the table for every key.
        Err(_) => f(&mut Numbering { seen: None }),
    })
}

/// Key numbers as one thread sees them (see [`with_numbering`]).
pub struct Numbering<'s> {
    seen: Option<&'s mut HashMap<&'static str, u32, Fx>>,
}

impl Numbering<'_> {
    /// As [`number`].
    pub fn number(&mut self, key: &str) -> Option<u32> {
        if key.len() > MAX_KEY_BYTES {
            return None;
        }
        if let Some(n) = self.seen.as_ref().and_then(|s| s.get(key).copied()) {
            return Some(n);
        }
        let n = from_table(key)?;
        let held = self::key(n);
        if let Some(seen) = self.seen.as_mut() {
            seen.insert(held, n);
        }
        Some(n)
    }
}

fn from_table(key: &str) -> Option<u32> {
    let t = table();
    intern(&t.numbers, key, MAX_KEYS, |n, held| {
        t.slots.get(n)?.set(held).ok()
    })
}

/// A table's numbers by text, and where its texts are kept.
#[derive(Default)]
pub(super) struct Interned {
    numbers: HashMap<&'static str, u32, Fx>,
    /// The unused end of the block texts are copied into. Texts live as long as the
    /// process: one by one they were small leaked allocations spread over whichever
    /// thread's pages met them first, and each pinned its page after the loader's
    /// threads were gone (the first table of values cost 7-13 MiB of RSS so).
    tail: &'static mut [u8],
}

/// Bytes of each block [`Interned`] copies texts into.
const BLOCK: usize = 64 * 1024;

impl Interned {
    /// `s` copied into the current block (a new one when it does not fit).
    fn hold(&mut self, s: &str) -> Option<&'static str> {
        if self.tail.len() < s.len() {
            self.tail = Box::leak(vec![0u8; BLOCK.max(s.len())].into_boxed_slice());
        }
        let (held, rest) = std::mem::take(&mut self.tail).split_at_mut(s.len());
        self.tail = rest;
        held.copy_from_slice(s.as_bytes());
        std::str::from_utf8(held).ok()
    }
}

/// The number of `s` in a table of at most `max` texts numbered from 0 (`table`),
/// adding it with `place(number, text)` if there is room and `place` takes it. Texts are
/// held for the life of the process, bounded by `max` times the table's longest text.
pub(super) fn intern(
    table: &Mutex<Interned>,
    s: &str,
    max: usize,
    place: impl FnOnce(usize, &'static str) -> Option<()>,
) -> Option<u32> {
    let mut table = table.lock().ok()?;
    if let Some(&n) = table.numbers.get(s) {
        return Some(n);
    }
    // Full: only texts already held are found.
    let n = table.numbers.len();
    if n >= max {
        return None;
    }
    let held = table.hold(s)?;
    place(n, held)?;
    table.numbers.insert(held, n as u32);
    Some(n as u32)
}

/// Key number `n` ("" for a number never given out).
pub fn key(n: u32) -> &'static str {
    table()
        .slots
        .get(n as usize)
        .and_then(OnceLock::get)
        .copied()
        .unwrap_or("")
}

/// A small fast hash for short keys (SipHash was a visible cost at a lookup per key).
/// Collisions only cost a comparison.
#[derive(Default)]
pub struct FxHasher(u64);

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut b = [0u8; 8];
            b[..chunk.len()].copy_from_slice(chunk);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(b))
                .wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.write(&[i]);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

pub type Fx = BuildHasherDefault<FxHasher>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_gets_one_number_on_every_thread() {
        let n = number("spec").expect("short keys are held");
        assert_eq!(key(n), "spec");
        let other = std::thread::spawn(|| number("spec")).join().unwrap();
        assert_eq!(other, Some(n));
        assert_ne!(number("metadata"), Some(n));
    }

    #[test]
    fn long_keys_are_not_held() {
        assert_eq!(number(&"k".repeat(MAX_KEY_BYTES + 1)), None);
        assert!(number(&"k".repeat(MAX_KEY_BYTES)).is_some());
    }

    #[test]
    fn held_texts_fill_blocks_and_read_back_across_them() {
        let mut t = Interned::default();
        // 60 bytes each: three blocks' worth.
        let texts: Vec<String> = (0..3000).map(|i| format!("{i:0>60}")).collect();
        let held: Vec<&'static str> = texts.iter().map(|s| t.hold(s).unwrap()).collect();
        assert!(texts.iter().zip(&held).all(|(a, b)| a == b));
        let big = "x".repeat(BLOCK + 1);
        assert_eq!(t.hold(&big), Some(big.as_str()));
        assert_eq!(t.hold("é"), Some("é"));
    }
}
