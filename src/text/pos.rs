//! Where things are in a text: 1-based positions, and the index from a JSON pointer to
//! the position of that field. The YAML reader (`sources::yaml`) fills it; the inventory,
//! rules and reports read it.

use std::sync::atomic::{AtomicU64, Ordering};

/// Index entries looked at by every lookup, re-rooting and split so far, in this process:
/// a work count that tests compare with the input's size (loading must stay linear in
/// it; a `kind: List` once re-scanned the whole index for each item). Counted per call,
/// not per entry, so it costs nothing measurable.
static ENTRIES_VISITED: AtomicU64 = AtomicU64::new(0);

/// See [`ENTRIES_VISITED`].
pub fn entries_visited() -> u64 {
    ENTRIES_VISITED.load(Ordering::Relaxed)
}

fn visited(n: usize) {
    ENTRIES_VISITED.fetch_add(n as u64, Ordering::Relaxed);
}

/// A 1-based line and column (SARIF and editors count from 1; the YAML reader adds one
/// to saphyr's 0-based columns, once).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Pos {
    pub line: u32,
    pub column: u32,
}

/// Positions of the fields of one document, keyed by JSON pointer. Pointers live in
/// one string arena so recording a field costs no allocation of its own; lookups
/// happen only when a finding is reported, so a linear scan is fine.
#[derive(Debug, Default, Clone)]
pub struct SpanIndex {
    arena: String,
    entries: Vec<(u32, u32, Pos)>,
}

impl SpanIndex {
    /// Record where `pointer` sits (the YAML reader calls this once per field).
    pub fn record(&mut self, pointer: &str, pos: Pos) {
        let start = self.arena.len() as u32;
        self.arena.push_str(pointer);
        self.entries.push((start, pointer.len() as u32, pos));
    }

    /// The position of `pointer`, or of its nearest ancestor that has one (a field that
    /// is missing is reported at the object that should hold it).
    pub fn resolve(&self, pointer: &str) -> Option<Pos> {
        let mut p = pointer;
        loop {
            if let Some(pos) = self.exact(p) {
                return Some(pos);
            }
            match p.rfind('/') {
                Some(i) => p = &p[..i],
                None => return None,
            }
        }
    }

    pub fn exact(&self, pointer: &str) -> Option<Pos> {
        let at = self.entries.iter().position(|(s, l, _)| {
            let (s, l) = (*s as usize, *l as usize);
            &self.arena[s..s + l] == pointer
        });
        visited(at.map_or(self.entries.len(), |i| i + 1));
        at.map(|i| self.entries[i].2)
    }

    /// One index per item of the sequence at `prefix` (`/items`), each re-rooted at its
    /// item (`/items/3/metadata/name` becomes `/metadata/name` in the fourth), with the
    /// item's own position under `""`; at most `count` items. One pass over the index,
    /// so a List of N objects costs N, not N² as re-scanning it per item did.
    pub fn split_items(&self, prefix: &str, count: usize) -> Vec<SpanIndex> {
        visited(self.entries.len());
        let mut out: Vec<SpanIndex> = Vec::new();
        out.resize_with(count, SpanIndex::default);
        for (s, l, pos) in &self.entries {
            let p = &self.arena[*s as usize..(*s + *l) as usize];
            let Some(rest) = p.strip_prefix(prefix).and_then(|r| r.strip_prefix('/')) else {
                continue;
            };
            let (index, below) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
            // Canonical indices only: `/items/01` is not item 1.
            if index.len() > 1 && index.starts_with('0') {
                continue;
            }
            if let Some(item) = index.parse::<usize>().ok().and_then(|i| out.get_mut(i)) {
                item.record(below, *pos);
            }
        }
        out
    }

    /// The same index with every position passed through `f`: a manifest embedded in a
    /// ConfigMap's block scalar is parsed on its own, then moved to where it sits in the
    /// file (`sources::helm`).
    pub fn map_positions(&self, f: impl Fn(Pos) -> Pos) -> SpanIndex {
        SpanIndex {
            arena: self.arena.clone(),
            entries: self
                .entries
                .iter()
                .map(|(s, l, p)| (*s, *l, f(*p)))
                .collect(),
        }
    }

    /// Every recorded (pointer, position), in document order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, Pos)> + '_ {
        self.entries
            .iter()
            .map(|(s, l, pos)| (&self.arena[*s as usize..(*s + *l) as usize], *pos))
    }

    /// Bytes of pointer text held: what the reader bounds so a huge key repeated in
    /// every pointer below it cannot grow the index without limit.
    pub fn pointer_bytes(&self) -> usize {
        self.arena.len()
    }

    /// Move every position after `end` to `end` (positions past the end of a text).
    pub fn clamp_to(&mut self, end: Pos) {
        for (_, _, pos) in self.entries.iter_mut() {
            if *pos > end {
                *pos = end;
            }
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Append `key` to `out` as one JSON-pointer segment (`~` -> `~0`, `/` -> `~1`).
pub fn push_escaped(out: &mut String, key: &str) {
    for c in key.chars() {
        match c {
            '~' => out.push_str("~0"),
            '/' => out.push_str("~1"),
            c => out.push(c),
        }
    }
}

/// Escape one JSON-pointer segment.
pub fn escape_segment(key: &str) -> String {
    let mut s = String::with_capacity(key.len());
    push_escaped(&mut s, key);
    s
}
