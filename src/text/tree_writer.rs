//! Writes a [`Tree`] and the position of each of its nodes straight from a stream of
//! parser events, with no `serde_json::Value` in between.
//!
//! Building a `Value` (a heap string per key and per string, an `IndexMap` per mapping)
//! only to copy it into a tree, and recording positions by JSON pointer only to match
//! them back to the tree's nodes, was close to a third of the loader's time. Here a
//! container's children wait on one stack until the container ends; then they are
//! written as one block of nodes (the tree keeps a container's children together) and
//! the container becomes one waiting child of its parent. Node 0 is kept for the root.
//!
//! The writer knows trees, not YAML: the reader (`sources::yaml`) decides what a key
//! written twice or a `<<` merge means and uses [`TreeWriter::find`],
//! [`TreeWriter::replace`] and [`TreeWriter::entries`] to do it.

use serde_json::Value;

use super::tree::{assemble, idx, value_of, Nodes, Raw, Tag, LONG_KEY, UNKEYED};
use super::{Node, NodePositions, Pos, Tree};

/// A finished value, not yet placed in its parent: what it is, and what a copy of it
/// would cost once expanded (nodes, and bytes as the reader's limits count them), which
/// the limits on aliases and anchors need.
#[derive(Clone, Copy, Debug)]
pub struct Item {
    raw: Raw,
    pub nodes: usize,
    pub bytes: usize,
}

/// Fixed cost per node in [`Item::bytes`] (a null counts this much).
pub const NODE_BYTES: usize = 8;

impl Item {
    fn scalar(raw: Raw, text_len: usize) -> Item {
        Item {
            raw,
            nodes: 1,
            bytes: NODE_BYTES + text_len,
        }
    }
    pub fn null() -> Item {
        Item::scalar(Raw::number(Tag::Null, 0), 0)
    }
    pub fn bool(b: bool) -> Item {
        Item::scalar(Raw::number(if b { Tag::True } else { Tag::False }, 0), 0)
    }
    pub fn uint(u: u64) -> Item {
        Item::scalar(Raw::number(Tag::PosInt, u), 0)
    }
    /// An integer: non-negative ones are stored as `uint`, as `serde_json` does.
    pub fn int(i: i64) -> Item {
        match u64::try_from(i) {
            Ok(u) => Item::uint(u),
            Err(_) => Item::scalar(Raw::number(Tag::NegInt, i as u64), 0),
        }
    }
    /// A finite float (the caller keeps others as strings, as `serde_json` has no NaN).
    pub fn float(f: f64) -> Item {
        Item::scalar(Raw::number(Tag::Float, f.to_bits()), 0)
    }
    /// An item counted as `nodes` nodes and `bytes` bytes (a part of the document that was
    /// not built, standing as null).
    pub fn null_sized(nodes: usize, bytes: usize) -> Item {
        Item {
            raw: Raw::number(Tag::Null, 0),
            nodes,
            bytes,
        }
    }
    pub fn is_null(&self) -> bool {
        self.raw.tag == Tag::Null
    }
    pub fn is_map(&self) -> bool {
        self.raw.tag == Tag::Map
    }
    pub fn is_seq(&self) -> bool {
        self.raw.tag == Tag::Seq
    }
}

/// A mapping key: a number in the process's key table, or text kept in the tree.
#[derive(Clone, Copy, Debug)]
pub struct Key {
    entry: u16,
    /// Offset and length in the text, for a key the table does not hold.
    long: (u32, u32),
}

impl Key {
    /// Key number `n` of the key table.
    fn held(n: u16) -> Key {
        Key {
            entry: n,
            long: (0, 0),
        }
    }
}

/// A child waiting for its container to end.
#[derive(Clone, Copy)]
struct Pending {
    key: Option<Key>,
    item: Item,
    /// Line 0: none.
    pos: Pos,
}

/// Where a container's children start on the waiting stack.
#[derive(Clone, Copy, Debug)]
pub struct Mark(usize);

const NO_POS: Pos = Pos { line: 0, column: 0 };

/// One writer per thread, reused for every document (see [`TreeWriter::begin`]).
#[derive(Default)]
pub struct TreeWriter {
    slots: Vec<[u32; 2]>,
    tags: Vec<u8>,
    keys: Vec<u16>,
    long_keys: Vec<[u32; 3]>,
    /// Each written node's long key (offset, length in `text`), beside `keys`, so a key
    /// is found without searching `long_keys` (copies of aliased values read them all).
    long_of: Vec<(u32, u32)>,
    text: Vec<u8>,
    positions: Vec<Pos>,
    /// Expanded nodes and bytes of each written node, for merges that copy entries.
    sizes: Vec<(usize, usize)>,
    pending: Vec<Pending>,
    /// This document's strings by hash, open addressing: `(offset, length)` in `text`,
    /// length 0 for a free slot (only strings of 4 bytes or more are entered).
    seen: Vec<(u32, u32)>,
    seen_count: usize,
    /// Documents begun, telling [`super::values`] a value met again in another one.
    documents: u32,
    /// Keys met lately with their numbers, by [`key_slot`] (kept across documents: the
    /// table's numbers never change).
    recent_keys: Vec<(&'static str, u16)>,
}

/// Entries of [`TreeWriter::recent_keys`] (a power of two).
const RECENT_KEYS: usize = 256;

/// A key's place in [`TreeWriter::recent_keys`]: its length and a few of its bytes.
fn key_slot(s: &str) -> usize {
    let b = s.as_bytes();
    let (first, last) = (b.first().copied(), b.last().copied());
    let mix = b.len().wrapping_mul(31)
        ^ usize::from(first.unwrap_or(0)).wrapping_mul(7)
        ^ usize::from(last.unwrap_or(0)).wrapping_mul(131)
        ^ usize::from(b.get(b.len() / 2).copied().unwrap_or(0));
    mix & (RECENT_KEYS - 1)
}

/// FNV-1a over a short string's bytes, for small hash tables of text where a collision
/// costs only a comparison (here, and the reader's duplicate-key check of skipped
/// documents).
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

impl TreeWriter {
    /// Start a new document, keeping the buffers.
    pub fn begin(&mut self) {
        self.slots.clear();
        self.tags.clear();
        self.keys.clear();
        self.long_keys.clear();
        self.long_of.clear();
        self.text.clear();
        self.positions.clear();
        self.sizes.clear();
        self.pending.clear();
        if self.seen.len() > 1024 {
            // Grown for a big document: start small again rather than clear it each time.
            self.seen = Vec::new();
        } else if self.seen_count > 0 {
            self.seen.fill((0, 0));
        }
        self.seen_count = 0;
        self.documents = self.documents.wrapping_add(1);
        // Node 0 is the root, filled in by `finish`.
        self.slots.push([0, 0]);
        self.tags.push(Tag::Null.byte());
        self.keys.push(UNKEYED);
        self.long_of.push((0, 0));
        self.positions.push(NO_POS);
        self.sizes.push((1, NODE_BYTES));
    }

    /// Bytes the writer's buffers hold on to (their capacity).
    pub fn buffer_bytes(&self) -> usize {
        use std::mem::size_of;
        self.slots.capacity() * size_of::<[u32; 2]>()
            + self.tags.capacity()
            + self.keys.capacity() * size_of::<u16>()
            + self.long_keys.capacity() * size_of::<[u32; 3]>()
            + self.long_of.capacity() * size_of::<(u32, u32)>()
            + self.text.capacity()
            + self.positions.capacity() * size_of::<Pos>()
            + self.sizes.capacity() * size_of::<(usize, usize)>()
            + self.pending.capacity() * size_of::<Pending>()
            + self.seen.capacity() * size_of::<(u32, u32)>()
            + self.recent_keys.capacity() * size_of::<(&str, u16)>()
    }

    pub fn string(&mut self, s: &str) -> Item {
        // Only short strings are looked up (here and by `text_of`).
        let hash = if s.len() <= 256 {
            fnv1a(s.as_bytes())
        } else {
            0
        };
        // A value other documents have too is kept once for the process (text::values).
        if let Some(n) = super::values::number(s, hash, self.documents) {
            return Item::scalar(
                Raw {
                    tag: Tag::Shared,
                    a: n,
                    b: 0,
                },
                s.len(),
            );
        }
        let a = self.text_of(s, hash);
        Item::scalar(
            Raw {
                tag: Tag::Str,
                a,
                b: idx(s.len()),
            },
            s.len(),
        )
    }

    /// Where `s` (whose [`fnv1a`] is `hash`) is in the text: where the document already
    /// has it, else appended. Kubernetes objects repeat their strings (a name in labels,
    /// selectors, the pod template, the container and its ServiceAccount); each is kept
    /// once a document.
    fn text_of(&mut self, s: &str, hash: u64) -> u32 {
        let append = |text: &mut Vec<u8>| {
            let a = idx(text.len());
            text.extend_from_slice(s.as_bytes());
            a
        };
        // Short strings cost less than finding them; long ones are rarely repeated.
        if !(4..=256).contains(&s.len()) {
            return append(&mut self.text);
        }
        if self.seen_count * 2 >= self.seen.len() {
            self.grow_seen();
        }
        let mask = self.seen.len() - 1;
        let mut at = (hash as usize) & mask;
        loop {
            match self.seen[at] {
                (_, 0) => {
                    let a = append(&mut self.text);
                    self.seen[at] = (a, idx(s.len()));
                    self.seen_count += 1;
                    return a;
                }
                (o, l) if l as usize == s.len() && self.text_at(o, l) == s => return o,
                _ => at = (at + 1) & mask,
            }
        }
    }

    /// Double the table of strings seen (or start it), placing each again.
    fn grow_seen(&mut self) {
        let size = (self.seen.len() * 2).max(64);
        let old = std::mem::replace(&mut self.seen, vec![(0, 0); size]);
        let mask = size - 1;
        for (o, l) in old.into_iter().filter(|&(_, l)| l > 0) {
            let bytes = self.text_at(o, l).as_bytes();
            let mut at = (fnv1a(bytes) as usize) & mask;
            while self.seen[at].1 != 0 {
                at = (at + 1) & mask;
            }
            self.seen[at] = (o, l);
        }
    }

    /// The key `s`: its number in the key table, or its text kept here.
    pub fn key(&mut self, s: &str) -> Key {
        // Objects of a file use the same few dozen keys over and over: a small
        // direct-mapped cache of (key, number) answers most of them without the key
        // table's per-thread map (a lookup per key was a visible share of loading).
        let slot = key_slot(s);
        if let Some(&(held, n)) = self.recent_keys.get(slot) {
            if held == s {
                return Key::held(n);
            }
        }
        match super::keys::number(s).and_then(|n| u16::try_from(n).ok()) {
            Some(n) if n < UNKEYED => {
                if self.recent_keys.is_empty() {
                    self.recent_keys = vec![("", UNKEYED); RECENT_KEYS];
                }
                if let Some(entry) = self.recent_keys.get_mut(slot) {
                    *entry = (super::keys::key(u32::from(n)), n);
                }
                Key::held(n)
            }
            _ => {
                let a = idx(self.text.len());
                self.text.extend_from_slice(s.as_bytes());
                Key {
                    entry: LONG_KEY,
                    long: (a, idx(s.len())),
                }
            }
        }
    }

    pub fn key_text(&self, k: Key) -> &str {
        if k.entry == LONG_KEY {
            self.text_at(k.long.0, k.long.1)
        } else {
            super::keys::key(u32::from(k.entry))
        }
    }

    fn same_key(&self, a: Key, b: Key) -> bool {
        if a.entry != LONG_KEY || b.entry != LONG_KEY {
            // A key the table holds is always numbered, so a numbered key never equals a
            // kept one.
            return a.entry == b.entry;
        }
        self.key_text(a) == self.key_text(b)
    }

    fn text_at(&self, offset: u32, len: u32) -> &str {
        let a = offset as usize;
        self.text
            .get(a..a.saturating_add(len as usize))
            .and_then(|b| std::str::from_utf8(b).ok())
            .unwrap_or("")
    }

    /// The text of a string item.
    pub fn as_str(&self, item: Item) -> Option<&str> {
        item.raw.tag.is_str().then(|| self.str_of(item.raw))
    }

    /// Children pushed from now on belong to a container that starts here.
    pub fn mark(&self) -> Mark {
        Mark(self.pending.len())
    }

    /// How many children the container started at `m` has so far.
    pub fn count(&self, m: Mark) -> usize {
        self.pending.len().saturating_sub(m.0)
    }

    /// A child of the open container: `key` for a mapping's value, `pos` where a report
    /// should point for it (None: its nearest ancestor's).
    pub fn push(&mut self, key: Option<Key>, item: Item, pos: Option<Pos>) {
        self.pending.push(Pending {
            key,
            item,
            pos: pos.unwrap_or(NO_POS),
        });
    }

    /// The place (counted from `m`) of the open mapping's value for `key`.
    pub fn find(&self, m: Mark, key: Key) -> Option<usize> {
        self.pending
            .get(m.0..)?
            .iter()
            .position(|p| p.key.is_some_and(|k| self.same_key(k, key)))
    }

    /// The place (counted from `m`) of the open mapping's value whose key reads `text`.
    pub fn find_text(&self, m: Mark, text: &str) -> Option<usize> {
        self.pending
            .get(m.0..)?
            .iter()
            .position(|p| p.key.is_some_and(|k| self.key_text(k) == text))
    }

    /// Drop the children of the container started at `m` (it is not written).
    pub fn discard(&mut self, m: Mark) {
        self.pending.truncate(m.0);
    }

    /// The key of the child at place `at` (counted from `m`).
    pub fn key_at_place(&self, m: Mark, at: usize) -> Option<Key> {
        self.pending.get(m.0.saturating_add(at)).and_then(|p| p.key)
    }

    /// The item of the child at place `at` (counted from `m`).
    pub fn item_at_place(&self, m: Mark, at: usize) -> Option<Item> {
        self.pending.get(m.0.saturating_add(at)).map(|p| p.item)
    }

    /// Give the child at place `at` (counted from `m`) a new value and position, keeping
    /// its place among its siblings.
    pub fn replace(&mut self, m: Mark, at: usize, item: Item, pos: Option<Pos>) {
        if let Some(p) = self.pending.get_mut(m.0.saturating_add(at)) {
            p.item = item;
            p.pos = pos.unwrap_or(NO_POS);
        }
    }

    /// Close the container started at `m`: its children are written as one block.
    pub fn close(&mut self, m: Mark, map: bool) -> Item {
        let first = self.slots.len();
        let start = m.0.min(self.pending.len());
        let (mut nodes, mut bytes) = (1usize, NODE_BYTES);
        for p in self.pending.drain(start..) {
            let at = idx(self.slots.len());
            self.slots.push([p.item.raw.a, p.item.raw.b]);
            self.tags.push(p.item.raw.tag.byte());
            let entry = match p.key {
                Some(k) if k.entry == LONG_KEY => {
                    self.long_keys.push([at, k.long.0, k.long.1]);
                    bytes = bytes.saturating_add(k.long.1 as usize);
                    LONG_KEY
                }
                Some(k) => {
                    bytes = bytes.saturating_add(super::keys::key(u32::from(k.entry)).len());
                    k.entry
                }
                None => UNKEYED,
            };
            self.keys.push(entry);
            self.long_of.push(p.key.map_or((0, 0), |k| k.long));
            self.positions.push(p.pos);
            self.sizes.push((p.item.nodes, p.item.bytes));
            nodes = nodes.saturating_add(p.item.nodes);
            bytes = bytes.saturating_add(p.item.bytes);
        }
        Item {
            raw: Raw {
                tag: if map { Tag::Map } else { Tag::Seq },
                a: idx(first),
                b: idx(self.slots.len() - first),
            },
            nodes,
            bytes,
        }
    }

    /// The entries of a written mapping (keys, items); the items are the mapping's own
    /// nodes (callers that place them elsewhere [`TreeWriter::copy`] them).
    pub fn entries(&self, map: Item) -> Vec<(Key, Item)> {
        if map.raw.tag != Tag::Map {
            return Vec::new();
        }
        self.children(map)
            .filter_map(|i| Some((self.key_of_node(i)?, self.item_of(i))))
            .collect()
    }

    /// A copy of a written value whose nodes have no positions of their own (an alias,
    /// or a value merged in with `<<`: reported at the nearest field written where it is
    /// used, not where its anchor is). Strings share their text.
    pub fn copy(&mut self, item: Item) -> Item {
        let map = match item.raw.tag {
            Tag::Map => true,
            Tag::Seq => false,
            _ => return item,
        };
        let m = self.mark();
        for i in self.children(item) {
            let key = self.key_of_node(i);
            let child = self.copy(self.item_of(i));
            self.push(key, child, None);
        }
        self.close(m, map)
    }

    /// `node` (a List's item) as a tree of its own, with the positions `positions` holds
    /// for its nodes: one walk, no `Value` or pointer index in between.
    pub fn subtree(&mut self, node: Node<'_>, positions: &NodePositions) -> (Tree, NodePositions) {
        self.begin();
        let root = self.write_node(node, positions);
        let (tree, each) = self.finish(root, positions.of(node.id()).unwrap_or(NO_POS));
        (tree, NodePositions::from_positions(each))
    }

    fn write_node(&mut self, node: Node<'_>, positions: &NodePositions) -> Item {
        if let Some(items) = node.items() {
            let m = self.mark();
            for child in items {
                let item = self.write_node(child, positions);
                self.push(None, item, positions.of(child.id()));
            }
            return self.close(m, false);
        }
        if let Some(entries) = node.entries() {
            let m = self.mark();
            for (k, child) in entries {
                let key = self.key(k);
                let item = self.write_node(child, positions);
                self.push(Some(key), item, positions.of(child.id()));
            }
            return self.close(m, true);
        }
        if let Some(s) = node.as_str() {
            return self.string(s);
        }
        if let Some(b) = node.as_bool() {
            return Item::bool(b);
        }
        match (node.as_u64(), node.as_i64(), node.as_f64()) {
            (Some(u), _, _) => Item::uint(u),
            (None, Some(i), _) => Item::int(i),
            (None, None, Some(f)) => Item::float(f),
            _ => Item::null(),
        }
    }

    /// The key of written node `i`, when it is a mapping's value.
    fn key_of_node(&self, i: usize) -> Option<Key> {
        match self.keys.get(i).copied()? {
            UNKEYED => None,
            LONG_KEY => Some(Key {
                entry: LONG_KEY,
                long: self.long_of.get(i).copied().unwrap_or((0, 0)),
            }),
            entry => Some(Key::held(entry)),
        }
    }

    /// The items of a written sequence.
    pub fn items(&self, seq: Item) -> Vec<Item> {
        if seq.raw.tag != Tag::Seq {
            return Vec::new();
        }
        self.children(seq).map(|i| self.item_of(i)).collect()
    }

    fn children(&self, c: Item) -> std::ops::Range<usize> {
        let first = (c.raw.a as usize).min(self.slots.len());
        first..(first.saturating_add(c.raw.b as usize)).min(self.slots.len())
    }

    fn item_of(&self, i: usize) -> Item {
        let (nodes, bytes) = self.sizes.get(i).copied().unwrap_or((1, NODE_BYTES));
        Item {
            raw: self.raw_at(i),
            nodes,
            bytes,
        }
    }

    /// A written item as a `Value` (for the rare key that is itself a mapping).
    pub fn value(&self, item: Item) -> Value {
        value_of(self, item.raw)
    }

    /// The finished tree with `root` at node 0, and each node's position (line 0 where
    /// none was recorded), `root_pos` the root's. The buffers stay for the next document.
    pub fn finish(&mut self, root: Item, root_pos: Pos) -> (Tree, &mut [Pos]) {
        self.slots[0] = [root.raw.a, root.raw.b];
        self.tags[0] = root.raw.tag.byte();
        self.positions[0] = root_pos;
        let tree = assemble(
            &self.slots,
            &self.tags,
            &self.keys,
            &mut self.long_keys,
            &self.text,
        );
        (tree, &mut self.positions)
    }
}

impl Nodes for TreeWriter {
    fn raw_at(&self, i: usize) -> Raw {
        match (self.slots.get(i), self.tags.get(i)) {
            (Some(&[a, b]), Some(&t)) => Raw {
                tag: Tag::of(t),
                a,
                b,
            },
            _ => Raw::number(Tag::Null, 0),
        }
    }
    fn key_at(&self, i: usize) -> &str {
        self.key_of_node(i).map_or("", |k| self.key_text(k))
    }
    fn text_at(&self, offset: u32, len: u32) -> &str {
        TreeWriter::text_at(self, offset, len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn writes_what_it_was_given_in_order_with_positions() {
        let at = |line| Some(Pos { line, column: 1 });
        let mut w = TreeWriter::default();
        w.begin();
        let root = w.mark();
        let k = w.key("kind");
        let s = w.string("Deployment");
        w.push(Some(k), s, at(1));
        let spec = w.key("spec");
        let m = w.mark();
        let items = w.key("items");
        let seq = w.mark();
        w.push(None, Item::int(-3), at(4));
        w.push(None, Item::float(0.5), at(5));
        let list = w.close(seq, false);
        w.push(Some(items), list, at(3));
        let long = "x".repeat(super::super::keys::MAX_KEY_BYTES + 1);
        let lk = w.key(&long);
        w.push(Some(lk), Item::bool(true), at(6));
        let inner = w.close(m, true);
        assert_eq!(inner.nodes, 5);
        w.push(Some(spec), inner, at(2));
        assert_eq!(w.find(root, k), Some(0));
        assert_eq!(w.find(root, spec), Some(1));
        let map = w.close(root, true);
        let (tree, positions) = w.finish(map, Pos { line: 1, column: 1 });
        let positions = positions.to_vec();
        let want = json!({"kind": "Deployment", "spec": {"items": [-3, 0.5], long.clone(): true}});
        assert_eq!(tree.root().to_value(), want);
        let lines: Vec<u32> = (0..tree.len()).map(|i| positions[i].line).collect();
        let line_of = |p: &str| lines[tree.root().lookup(p).unwrap().id()];
        assert_eq!(line_of("/spec/items/1"), 5);
        assert_eq!(line_of("/spec"), 2);
        assert_eq!(line_of(&format!("/spec/{long}")), 6);
    }

    #[test]
    fn a_document_keeps_a_repeated_string_once() {
        let mut w = TreeWriter::default();
        w.begin();
        let root = w.mark();
        let names: Vec<String> = (0..200).map(|i| format!("name-{i}")).collect();
        for (i, n) in names.iter().chain(names.iter()).enumerate() {
            let item = w.string(n);
            w.push(
                None,
                item,
                Some(Pos {
                    line: i as u32 + 1,
                    column: 1,
                }),
            );
        }
        let seq = w.close(root, false);
        let text_len = w.text.len();
        let (tree, _) = w.finish(seq, Pos { line: 1, column: 1 });
        let want: usize = names.iter().map(String::len).sum();
        assert_eq!(text_len, want, "each name once");
        let back = tree.root().to_value();
        assert_eq!(back[200], "name-0");
        assert_eq!(back[399], "name-199");
        // The next document starts with nothing seen of its own (a string the last one had
        // may now be held for the process instead: see the next test).
        w.begin();
        let b = w.string("only-in-the-second");
        assert_eq!(w.as_str(b), Some("only-in-the-second"));
        assert_eq!(w.text.len(), "only-in-the-second".len());
    }

    #[test]
    fn a_value_other_documents_have_is_shared_and_reads_back_as_a_string() {
        let mut w = TreeWriter::default();
        let mut trees = Vec::new();
        for _ in 0..3 {
            w.begin();
            let root = w.mark();
            let k = w.key("imagePullPolicy");
            let s = w.string("SharedWriterTestPolicy");
            w.push(Some(k), s, None);
            let map = w.close(root, true);
            trees.push((w.text.len(), w.finish(map, Pos { line: 1, column: 1 }).0));
        }
        let text: Vec<usize> = trees.iter().map(|(t, _)| *t).collect();
        assert_eq!(text, [22, 0, 0], "copied by the first document only");
        for (_, tree) in &trees {
            let v = tree.root().get("imagePullPolicy").unwrap();
            assert!(v.is_string());
            assert_eq!(v.type_name(), "a string");
            assert_eq!(v.as_str(), Some("SharedWriterTestPolicy"));
            assert_eq!(
                tree.root().to_value(),
                json!({"imagePullPolicy": "SharedWriterTestPolicy"})
            );
        }
    }

    #[test]
    fn keys_that_share_a_cache_slot_keep_their_own_numbers() {
        let mut w = TreeWriter::default();
        w.begin();
        // Same length, first, middle and last byte: the same slot of the recent keys.
        let (a, b) = ("aXbXc", "aYbYc");
        assert_eq!(key_slot(a), key_slot(b));
        for _ in 0..3 {
            for k in [a, b, a, a, b] {
                let key = w.key(k);
                assert_eq!(w.key_text(key), k);
            }
        }
    }

    #[test]
    fn a_replaced_value_keeps_its_place_and_merged_entries_share_nodes() {
        let mut w = TreeWriter::default();
        w.begin();
        let root = w.mark();
        let (a, b) = (w.key("a"), w.key("b"));
        let base = w.mark();
        w.push(Some(a), Item::int(1), None);
        w.push(Some(b), Item::int(2), None);
        let base = w.close(base, true);
        let m = w.mark();
        for (k, item) in w.entries(base) {
            w.push(Some(k), item, None);
        }
        let at = w.find(m, b).unwrap();
        w.replace(m, at, Item::int(3), None);
        let other = w.close(m, true);
        let (x, y) = (w.key("base"), w.key("other"));
        w.push(Some(x), base, None);
        w.push(Some(y), other, None);
        let map = w.close(root, true);
        assert_eq!(
            w.value(map),
            json!({"base": {"a": 1, "b": 2}, "other": {"a": 1, "b": 3}})
        );
        let (tree, _) = w.finish(map, Pos { line: 1, column: 1 });
        assert_eq!(
            tree.root().to_value(),
            json!({"base": {"a": 1, "b": 2}, "other": {"a": 1, "b": 3}})
        );
    }
}
