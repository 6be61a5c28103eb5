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

/// Positions of the fields of one document, keyed by JSON pointer: for the documents
/// that are taken apart as a `serde_json::Value` (List items, manifests embedded in
/// ConfigMaps, rule and waiver files); the reader itself keeps one position per tree
/// node ([`super::NodePositions`]).
///
/// Stored as a tree in document (pre-)order: each entry names its parent entry and its own
/// pointer segment, so a field costs its key once instead of its whole pointer (a
/// Deployment's fields sit five to nine segments deep; whole pointers made this index
/// larger than the value it describes). Lookups walk down from the root and happen only
/// when a finding or problem is reported.
#[derive(Debug, Default, Clone)]
pub struct SpanIndex {
    /// Escaped segments, one after another.
    segs: String,
    entries: Vec<Entry>,
    /// More than one entry has no parent (only the first is looked at otherwise).
    multi_root: bool,
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    /// `NO_PARENT` for the root (pointer "").
    parent: u32,
    /// Where the segment text starts in `segs`; it ends where the next entry's starts
    /// (entries append their segments in order), which keeps an entry at 16 bytes. The
    /// reader writes one segment per entry, "" for the document's root; lookups also
    /// accept several (`a/b`) in one entry.
    seg_start: u32,
    pos: Pos,
}

const NO_PARENT: u32 = u32::MAX;

impl SpanIndex {
    /// Record where a field sits: `seg` (an escaped pointer segment; "" for the root)
    /// below entry `parent` (None for the root). Returns the field's entry, for its
    /// children. Called once per field, parents before children (pre-order).
    pub fn record_child(&mut self, parent: Option<u32>, seg: &str, pos: Pos) -> u32 {
        let idx = self.entries.len() as u32;
        self.multi_root |= parent.is_none() && idx > 0;
        let seg_start = self.segs.len() as u32;
        self.segs.push_str(seg);
        self.entries.push(Entry {
            parent: parent.unwrap_or(NO_PARENT),
            seg_start,
            pos,
        });
        idx
    }

    /// The segment text of entry `i`.
    fn seg(&self, i: usize) -> &str {
        let start = self.entries[i].seg_start as usize;
        let end = self
            .entries
            .get(i + 1)
            .map_or(self.segs.len(), |n| n.seg_start as usize);
        self.segs.get(start..end).unwrap_or("")
    }

    /// Call `f` with the id and position of every node of `root`'s tree that has an
    /// entry here (the index and the tree describe the same document; the index's first
    /// entry is the tree's root). A field whose key appears twice gets the position of
    /// the occurrence whose value the tree holds (the last one). Linear in the index:
    /// children usually match in order; a container where they do not (keys merged in
    /// with `<<`, duplicate keys) is matched by segment.
    pub fn for_each_node_position(&self, root: super::Node<'_>, mut f: impl FnMut(usize, Pos)) {
        let n = self.entries.len();
        if n == 0 || self.entries[0].parent != NO_PARENT || !self.seg(0).is_empty() {
            return;
        }
        visited(n);
        // Entries are in pre-order: an entry's first child is the entry after it, the
        // others follow through `next_sibling`.
        let mut next_sibling = vec![NO_PARENT; n];
        let mut last_child = vec![NO_PARENT; n];
        for (i, e) in self.entries.iter().enumerate() {
            if let Some(lc) = last_child.get_mut(e.parent as usize) {
                if let Some(prev) = next_sibling.get_mut(*lc as usize) {
                    *prev = i as u32;
                }
                *lc = i as u32;
            }
        }
        drop(last_child);
        let mut kids: Vec<usize> = Vec::new();
        let mut todo: Vec<(super::Node<'_>, usize)> = vec![(root, 0)];
        while let Some((node, e)) = todo.pop() {
            f(node.id(), self.entries[e].pos);
            if node.is_empty() {
                continue;
            }
            kids.clear();
            let mut c =
                Some(e + 1).filter(|&c| self.entries.get(c).is_some_and(|x| x.parent == e as u32));
            while let Some(i) = c {
                kids.push(i);
                c = next_sibling
                    .get(i)
                    .filter(|&&s| s != NO_PARENT)
                    .map(|&s| s as usize);
            }
            // Does child `i` of the tree (key `key` of a mapping, item `i` of a sequence)
            // have segment `s`?
            let same = |s: &str, i: usize, key: Option<&str>| match key {
                Some(k) if needs_escape(k) => s == escape_segment(k),
                Some(k) => s == k,
                None => array_index(s) == Some(i),
            };
            if let Some(entries) = node.entries() {
                let in_order = entries.len() == kids.len()
                    && entries
                        .clone()
                        .zip(&kids)
                        .enumerate()
                        .all(|(i, ((key, _), &k))| same(self.seg(k), i, Some(key)));
                if in_order {
                    todo.extend(entries.zip(&kids).map(|((_, v), &k)| (v, k)));
                    continue;
                }
                // Keys merged in, or a key written twice: match by segment, the last
                // occurrence winning (that is the value the tree holds).
                let by_seg: std::collections::HashMap<&str, usize> =
                    kids.iter().map(|&k| (self.seg(k), k)).collect();
                for (key, v) in entries {
                    let key = escape_segment_cow(key);
                    if let Some(&k) = by_seg.get(key.as_ref()) {
                        todo.push((v, k));
                    }
                }
            } else if let Some(items) = node.items() {
                // Items are recorded in order, one each, unless the position budget ran out.
                for (i, v) in items.enumerate() {
                    let hit = kids.get(i).filter(|&&k| same(self.seg(k), i, None));
                    if let Some(&k) = hit {
                        todo.push((v, k));
                    }
                }
            }
        }
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
        let (found, looked) = self.find(pointer);
        visited(looked);
        found.map(|i| self.entries[i].pos)
    }

    /// The entry of `pointer`, walking down from the roots; and how many entries were
    /// looked at.
    fn find(&self, pointer: &str) -> (Option<usize>, usize) {
        let mut looked = 0;
        // (entry, rest of the pointer below it) still to explore: a segment that stands
        // for several (`a/b`) may share a prefix with a sibling.
        let mut todo: Vec<(usize, &str)> = Vec::new();
        // Entries without a parent: the root (segment ""), or a field whose ancestors
        // were not recorded (its segment then starts below the root).
        let roots = if self.multi_root {
            self.entries.len()
        } else {
            self.entries.len().min(1)
        };
        for (i, e) in self.entries[..roots].iter().enumerate() {
            looked += 1;
            if e.parent != NO_PARENT {
                continue;
            }
            let rest = match self.seg(i) {
                "" => Some(pointer),
                seg => pointer
                    .strip_prefix('/')
                    .and_then(|p| p.strip_prefix(seg))
                    .filter(|b| b.is_empty() || b.starts_with('/')),
            };
            if let Some(rest) = rest {
                todo.push((i, rest));
            }
        }
        todo.reverse();
        while let Some((at, rest)) = todo.pop() {
            if rest.is_empty() {
                return (Some(at), looked);
            }
            let Some(rest) = rest.strip_prefix('/') else {
                continue;
            };
            // Children follow their parent in document order; they are explored in that
            // order, so a key written twice resolves to its first occurrence.
            let first_child = todo.len();
            for (j, e) in self.entries.iter().enumerate().skip(at + 1) {
                looked += 1;
                if e.parent != at as u32 {
                    if (e.parent as usize) < at || e.parent == NO_PARENT {
                        break;
                    }
                    continue;
                }
                let seg = self.seg(j);
                if let Some(below) = rest.strip_prefix(seg) {
                    if below.is_empty() || below.starts_with('/') {
                        todo.push((j, below));
                    }
                }
            }
            todo[first_child..].reverse();
        }
        (None, looked)
    }

    /// The same index with every position passed through `f`: a manifest embedded in a
    /// ConfigMap's block scalar is parsed on its own, then moved to where it sits in the
    /// file (`sources::helm`).
    pub fn map_positions(&self, f: impl Fn(Pos) -> Pos) -> SpanIndex {
        let mut out = self.clone();
        for e in out.entries.iter_mut() {
            e.pos = f(e.pos);
        }
        out
    }

    /// Every recorded (pointer, position), in document order.
    pub fn iter(&self) -> impl Iterator<Item = (String, Pos)> + '_ {
        let mut paths: Vec<String> = Vec::with_capacity(self.entries.len());
        self.entries.iter().enumerate().map(move |(i, e)| {
            let mut p = match e.parent {
                NO_PARENT => String::new(),
                parent => paths[parent as usize].clone(),
            };
            let seg = self.seg(i);
            if e.parent != NO_PARENT || !seg.is_empty() {
                p.push('/');
                p.push_str(seg);
            }
            paths.push(p.clone());
            (p, e.pos)
        })
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
    // Almost every key needs no escape: copy it whole (this runs once per field read).
    if !needs_escape(key) {
        out.push_str(key);
        return;
    }
    for c in key.chars() {
        match c {
            '~' => out.push_str("~0"),
            '/' => out.push_str("~1"),
            c => out.push(c),
        }
    }
}

/// The value at JSON pointer `pointer` (RFC 6901), as `Value::pointer`, without allocating:
/// `Value::pointer` builds two new strings per segment to unescape it, and rules look up
/// fields of every object they scan.
pub fn lookup<'v>(value: &'v serde_json::Value, pointer: &str) -> Option<&'v serde_json::Value> {
    use serde_json::Value;
    let mut at = value;
    for key in pointer_keys(pointer)? {
        at = match at {
            Value::Object(m) => m.get(key.as_ref())?,
            Value::Array(a) => a.get(array_index(&key)?)?,
            _ => return None,
        };
    }
    Some(at)
}

/// The unescaped keys of a JSON pointer (none for `""`); None when it is not a pointer.
pub(crate) fn pointer_keys(
    pointer: &str,
) -> Option<impl Iterator<Item = std::borrow::Cow<'_, str>>> {
    let rest = match pointer {
        "" => None,
        p => Some(p.strip_prefix('/')?),
    };
    Some(rest.into_iter().flat_map(|r| r.split('/')).map(|seg| {
        if seg.contains('~') {
            seg.replace("~1", "/").replace("~0", "~").into()
        } else {
            seg.into()
        }
    }))
}

/// A pointer key as a sequence index: as RFC 6901 and `Value::pointer`, decimal digits,
/// no leading zero or sign.
pub(crate) fn array_index(key: &str) -> Option<usize> {
    if key.is_empty()
        || !key.bytes().all(|b| b.is_ascii_digit())
        || (key.len() > 1 && key.starts_with('0'))
    {
        return None;
    }
    key.parse().ok()
}

/// Whether `key` changes when escaped as a JSON-pointer segment.
fn needs_escape(key: &str) -> bool {
    key.bytes().any(|b| b == b'~' || b == b'/')
}

/// `key` as a pointer segment, borrowed when it needs no escaping (almost every key).
fn escape_segment_cow(key: &str) -> std::borrow::Cow<'_, str> {
    if needs_escape(key) {
        escape_segment(key).into()
    } else {
        key.into()
    }
}

/// Escape one JSON-pointer segment.
pub fn escape_segment(key: &str) -> String {
    let mut s = String::with_capacity(key.len());
    push_escaped(&mut s, key);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_agrees_with_serde_json_pointer() {
        let v = serde_json::json!({
            "metadata": {"labels": {"helm.sh/chart": "karmada-v1.16.0", "a~b": 1}},
            "spec": {"containers": [{"args": ["--x"]}, {"name": "b"}]},
            "": {"": 2}
        });
        for p in [
            "",
            "/metadata/labels/helm.sh~1chart",
            "/metadata/labels/a~0b",
            "/metadata/labels/missing",
            "/spec/containers/0/args/0",
            "/spec/containers/1/name",
            "/spec/containers/01/name",
            "/spec/containers/+1",
            "/spec/containers/-",
            "/spec/containers/9",
            "/spec/containers/x",
            "//",
            "/",
            "metadata",
            "/metadata/labels/helm.sh~1chart/deeper",
        ] {
            assert_eq!(lookup(&v, p), v.pointer(p), "{p:?}");
        }
    }

    fn at(line: u32) -> Pos {
        Pos { line, column: 1 }
    }

    /// The pointers a Deployment's reader records, in document order.
    /// An index as the reader records one: each pointer below the last one recorded
    /// with its parent's pointer (parents come first, in document order).
    fn index(pointers: &[(&str, u32)]) -> SpanIndex {
        let mut s = SpanIndex::default();
        let mut entries: std::collections::HashMap<&str, u32> = Default::default();
        for (p, line) in pointers {
            let (parent, seg) = match p.rfind('/') {
                Some(i) => (entries.get(&p[..i]).copied(), &p[i + 1..]),
                None => (None, *p),
            };
            entries.insert(p, s.record_child(parent, seg, at(*line)));
        }
        s
    }

    #[test]
    fn fields_are_found_by_pointer_and_missing_ones_at_their_nearest_ancestor() {
        let s = index(&[
            ("", 1),
            ("/metadata", 2),
            ("/metadata/name", 3),
            ("/spec", 4),
            ("/spec/containers", 5),
            ("/spec/containers/0", 6),
            ("/spec/containers/0/args", 7),
            ("/spec/containers/0/args/0", 8),
            ("/spec/containers/1", 9),
            ("/spec/containers/10", 10),
            ("/spec/a~1b", 11),
        ]);
        assert_eq!(s.exact(""), Some(at(1)));
        assert_eq!(s.exact("/metadata/name"), Some(at(3)));
        assert_eq!(s.exact("/spec/containers/1"), Some(at(9)));
        assert_eq!(s.exact("/spec/containers/10"), Some(at(10)));
        assert_eq!(s.exact("/spec/a~1b"), Some(at(11)));
        assert_eq!(s.exact("/spec/containers/0/args/1"), None);
        assert_eq!(s.resolve("/spec/containers/0/args/1"), Some(at(7)));
        assert_eq!(s.resolve("/status/x"), Some(at(1)));
        // A sibling whose name starts like another's is not its child.
        assert_eq!(s.exact("/spec/containers/1/args"), None);
        assert_eq!(s.resolve("/spec/containers/1/args"), Some(at(9)));
        let all: Vec<(String, Pos)> = s.iter().collect();
        assert_eq!(all.len(), 11);
        assert_eq!(all[7], ("/spec/containers/0/args/0".to_string(), at(8)));
        assert_eq!(all[10], ("/spec/a~1b".to_string(), at(11)));
    }

    #[test]
    fn a_key_written_twice_is_found_at_its_first_occurrence() {
        let s = index(&[("", 1), ("/a", 2), ("/a/x", 3), ("/a", 4), ("/a/y", 5)]);
        assert_eq!(s.exact("/a"), Some(at(2)));
        assert_eq!(s.exact("/a/x"), Some(at(3)));
        assert_eq!(s.exact("/a/y"), Some(at(5)));
    }

    #[test]
    fn a_missing_field_resolves_to_its_nearest_recorded_ancestor() {
        // Inside a complex key the reader records nothing: such fields fall back to the
        // mapping that holds the key.
        let s = index(&[("", 1), ("/d", 4)]);
        assert_eq!(s.exact("/a"), None);
        assert_eq!(s.resolve("/a/zz"), Some(at(1)));
        assert_eq!(s.exact("/d"), Some(at(4)));
        // An index whose root is itself a field (what splitting a List makes).
        let s = index(&[("/x", 7), ("/x/y", 8)]);
        assert_eq!(s.exact("/x/y"), Some(at(8)));
        assert_eq!(s.iter().next(), Some(("/x".to_string(), at(7))));
    }
}
