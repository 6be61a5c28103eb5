//! Short string values that many documents repeat, held once for the process.
//!
//! A fleet's objects repeat their values as much as their keys: `IfNotPresent`, `TCP`,
//! `apps/v1`, a namespace, a registry's image, a label every team sets. In the relevant
//! benchmark mix, about 120 of the 190 bytes of string text a document holds are values
//! another document already has. A tree refers to a value held here by its number
//! instead of copying it (`super::tree`'s shared strings).
//!
//! Only values seen in two documents are taken: a name that only its own document
//! repeats (in labels, selectors and the pod template) stays in that document, where the
//! writer keeps it once anyway, instead of filling the table with one-offs. Bounded: only
//! short values, and at most [`MAX_VALUES`] of them; later values stay in their tree.
//! Numbers depend on which thread met a value first; nothing outside a tree sees them.

use std::cell::RefCell;
use std::sync::{Mutex, OnceLock};

use super::keys::Interned;

/// Most values the table holds (a few thousand are usual: 5,273 for 100k objects).
pub const MAX_VALUES: usize = 1 << 18;
/// Longest value held (longer ones are rarely repeated whole).
pub const MAX_VALUE_BYTES: usize = 64;

/// Values are numbered in chunks, each allocated when the first of its numbers is given.
const CHUNK_BITS: u32 = 12;
const CHUNK: usize = 1 << CHUNK_BITS;
const CHUNKS: usize = MAX_VALUES / CHUNK;

/// [`CHUNK`] values, each set once.
type Chunk = Box<[OnceLock<&'static str>]>;

struct Table {
    /// Value `n` at `chunks[n / CHUNK][n % CHUNK]`, set once, read without a lock.
    chunks: Box<[OnceLock<Chunk>]>,
    numbers: Mutex<Interned>,
}

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| Table {
        chunks: (0..CHUNKS).map(|_| OnceLock::new()).collect(),
        numbers: Mutex::default(),
    })
}

/// Entries of a thread's cache of numbers and of its record of values seen once, at
/// first and from the writer's [`BUSY`]th document on. Most threads that read YAML read
/// a few files (rules, waivers); tables of the full size for each of them cost several
/// MiB of peak RSS for nothing.
const CACHE: (usize, usize) = (1 << 8, 1 << 14);
const SEEN_ONCE: (usize, usize) = (1 << 10, 1 << 16);
const BUSY: u32 = 1024;

/// What one thread remembers: looking every value up in the shared table would make the
/// loader's threads wait on each other's lock.
struct Local {
    /// Direct-mapped by hash: `(hash, number + 1)`, 0 for an empty entry.
    cache: Vec<(u64, u32)>,
    /// Direct-mapped by hash: `(hash, document + 1)` of a value not held yet.
    seen_once: Vec<(u64, u32)>,
}

thread_local! {
    static LOCAL: RefCell<Local> = const {
        RefCell::new(Local { cache: Vec::new(), seen_once: Vec::new() })
    };
}

/// The number of `s` in the table, when it is held or this is the second document
/// (`document`, the writer's count of documents begun) this thread meets it in and
/// there is room.
/// `hash` is any hash of `s` that is the same for the same text (the writer's).
pub fn number(s: &str, hash: u64, document: u32) -> Option<u32> {
    if s.is_empty() || s.len() > MAX_VALUE_BYTES {
        return None;
    }
    LOCAL.with(|cell| {
        // Only if this re-entered itself (it does not): keep the value in its tree.
        let mut local = cell.try_borrow_mut().ok()?;
        let (cache, seen_once) = match document >= BUSY {
            false => (CACHE.0, SEEN_ONCE.0),
            true => (CACHE.1, SEEN_ONCE.1),
        };
        if local.cache.len() != cache {
            // What a small table remembered is dropped: it is only a cache.
            local.cache = vec![(0, 0); cache];
            local.seen_once = vec![(0, 0); seen_once];
        }
        let slot = (hash as usize) & (cache - 1);
        if let Some(&(h, n)) = local.cache.get(slot) {
            if h == hash && n > 0 && value(n - 1) == s {
                return Some(n - 1);
            }
        }
        let once = ((hash >> 32) as usize) & (seen_once - 1);
        let first = local.seen_once.get(once).copied().unwrap_or_default();
        if first.0 != hash || first.1 == document.wrapping_add(1) || first.1 == 0 {
            // First sighting here, or again in the same document: not shared (yet).
            if first.0 != hash || first.1 == 0 {
                if let Some(entry) = local.seen_once.get_mut(once) {
                    *entry = (hash, document.wrapping_add(1));
                }
            }
            return None;
        }
        let n = from_table(s)?;
        if let Some(entry) = local.cache.get_mut(slot) {
            *entry = (hash, n + 1);
        }
        Some(n)
    })
}

fn from_table(s: &str) -> Option<u32> {
    let t = table();
    super::keys::intern(&t.numbers, s, MAX_VALUES, |n, held| {
        let chunk = t.chunks.get(n >> CHUNK_BITS)?;
        let slots = chunk.get_or_init(|| (0..CHUNK).map(|_| OnceLock::new()).collect());
        slots.get(n & (CHUNK - 1))?.set(held).ok()
    })
}

/// Value number `n` ("" for a number never given out).
pub fn value(n: u32) -> &'static str {
    let n = n as usize;
    table()
        .chunks
        .get(n >> CHUNK_BITS)
        .and_then(OnceLock::get)
        .and_then(|slots| slots.get(n & (CHUNK - 1)))
        .and_then(OnceLock::get)
        .copied()
        .unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::tree_writer::fnv1a;

    fn num(s: &str, document: u32) -> Option<u32> {
        number(s, fnv1a(s.as_bytes()), document)
    }

    #[test]
    fn a_value_is_held_once_a_second_document_has_it() {
        let s = "values-test-image:v1.2.3";
        assert_eq!(num(s, 1), None, "first document: stays in its tree");
        assert_eq!(num(s, 1), None, "its own document again: still not shared");
        let n = num(s, 2).expect("a second document shares it");
        assert_eq!(value(n), s);
        assert_eq!(num(s, 3), Some(n));
        // Another thread gets the same number without meeting it twice.
        let other = std::thread::spawn(move || num(s, 1)).join().unwrap();
        assert_eq!(other, None, "that thread has not seen it twice");
        let other = std::thread::spawn(move || {
            num(s, 1);
            num(s, 2)
        })
        .join()
        .unwrap();
        assert_eq!(other, Some(n));
    }

    #[test]
    fn empty_and_long_values_are_not_held() {
        let long = "v".repeat(MAX_VALUE_BYTES + 1);
        for d in 1..4 {
            assert_eq!(num(&long, d), None);
            assert_eq!(num("", d), None);
        }
        let edge = "w".repeat(MAX_VALUE_BYTES);
        num(&edge, 1);
        assert!(num(&edge, 2).is_some());
    }

    #[test]
    fn an_unknown_number_reads_as_empty() {
        assert_eq!(value(u32::MAX), "");
        assert_eq!(value((MAX_VALUES - 1) as u32), "");
    }
}
