//! Builds one document from saphyr's events: its tree, the position of every field,
//! and the limits (depth, size, aliases, key length) checked as it grows. The tree is
//! written directly (`text::tree_writer`), with no `serde_json::Value` in between; what
//! YAML means by a key written twice, a `<<` merge or an alias is decided here.

use saphyr_parser::{Event, ScalarStyle, Span};
use std::collections::{HashMap, HashSet};

use super::placeholders::{placeholder_of_only_key, restore_placeholders};
use super::positions::pos_of;
use super::scalars::resolve_plain;
use super::SyntaxProblem;
use crate::sources::limits::Limits;
use crate::text::tree_writer::{fnv1a, Item, Key, Mark, TreeWriter, NODE_BYTES};
use crate::text::Pos;

enum Frame {
    Seq {
        mark: Mark,
        anchor: usize,
        start: Pos,
    },
    Map {
        mark: Mark,
        /// The key whose value comes next, and where it was written.
        key: Option<(Key, Pos)>,
        /// Keys merged in with `<<` and not yet written explicitly (an explicit key then
        /// overrides them without a duplicate-key warning).
        merged: Vec<String>,
        /// Place of each key once the mapping is large (see [`MAP_INDEX_AFTER`]).
        index: Option<HashMap<String, usize>>,
        anchor: usize,
        start: Pos,
    },
    /// A node inside a document whose kind nobody reads: nothing is built, only what the
    /// limits and the duplicate-key warning need (node counts, key hashes).
    Light {
        map: bool,
        /// In a mapping: the next child is a key.
        key_turn: bool,
        keys: KeySet,
        nodes: usize,
        anchor: usize,
    },
}

/// Mappings up to this many keys find a key by scanning their entries (key numbers,
/// compared as integers); larger ones keep an index so a 100k-key mapping stays linear.
const MAP_INDEX_AFTER: usize = 32;

/// Hashes of the scalar keys of a light mapping, to warn about duplicate keys without
/// keeping the keys. Small mappings scan a vector (no hashing structure to allocate);
/// large ones switch to a set so a 100k-key mapping stays linear.
#[derive(Default)]
struct KeySet {
    small: Vec<u64>,
    big: Option<HashSet<u64>>,
}

impl KeySet {
    /// Insert; false when the key was already there.
    fn insert(&mut self, key: &str) -> bool {
        // FNV-1a: keys are short and SipHash was a visible part of reading skipped
        // documents; a collision could only add a duplicate-key warning, never hide one.
        let h = fnv1a(key.as_bytes());
        if let Some(big) = &mut self.big {
            return big.insert(h);
        }
        if self.small.contains(&h) {
            return false;
        }
        self.small.push(h);
        if self.small.len() > 32 {
            self.big = Some(self.small.drain(..).collect());
        }
        true
    }
}

/// Where the next node goes.
enum Slot {
    Root,
    Item,
    Key,
    Value,
}

/// Decides from a document's `apiVersion` (when it came before `kind`) and `kind` whether
/// the document is worth building.
pub type KeepKind<'a> = &'a dyn Fn(Option<&str>, &str) -> bool;

pub(super) struct DocBuilder<'l> {
    limits: &'l Limits,
    keep: Option<KeepKind<'l>>,
    /// The root mapping's `kind` was refused by `keep`: new nodes below the root are light.
    pub(super) skipping: bool,
    stack: Vec<Frame>,
    /// The tree being written; handed from document to document to keep its buffers.
    pub(super) w: TreeWriter,
    /// Anchored values: what an alias copies (a tree is read-only, so a copy shares the
    /// anchored nodes) and what the copy counts for in the limits.
    anchors: HashMap<usize, Item>,
    alias_nodes: usize,
    /// Bytes that alias expansion added, and bytes held by anchors (each anchor stood for
    /// a copy of its value: 200 nested anchors copy the innermost value 200 times). Both
    /// are bounded by --max-document-bytes: memory follows bytes, not node counts, and a
    /// report or fix patch expands what the tree shares.
    alias_bytes: usize,
    anchor_bytes: usize,
    /// >0 while building a complex (mapping or sequence) key: such keys have no pointer.
    in_key: usize,
    /// The finished root and its position.
    pub(super) root: Option<(Item, Pos)>,
    pub(super) start: Option<Pos>,
    start_index: usize,
    pub(super) aborted: Option<SyntaxProblem>,
    pub(super) warnings: Vec<SyntaxProblem>,
    /// The source had `{{placeholders}}` protected by [`protect_placeholders`].
    pub(super) templated: bool,
}

/// What one document's builder hands to the next: buffers that every document needs
/// and that would otherwise grow from empty for each of them.
#[derive(Default)]
pub(super) struct Buffers {
    w: TreeWriter,
    stack: Vec<Frame>,
}

impl Buffers {
    /// Bytes held (capacity).
    pub(super) fn bytes(&self) -> usize {
        self.w.buffer_bytes() + self.stack.capacity() * std::mem::size_of::<Frame>()
    }
}

impl<'l> DocBuilder<'l> {
    pub(super) fn new(
        limits: &'l Limits,
        keep: Option<KeepKind<'l>>,
        start_index: usize,
        buffers: Buffers,
    ) -> Self {
        let Buffers { mut w, mut stack } = buffers;
        w.begin();
        stack.clear();
        DocBuilder {
            limits,
            keep,
            skipping: false,
            stack,
            w,
            anchors: HashMap::new(),
            alias_nodes: 0,
            alias_bytes: 0,
            anchor_bytes: 0,
            in_key: 0,
            root: None,
            start: None,
            start_index,
            aborted: None,
            warnings: Vec::new(),
            templated: false,
        }
    }

    /// The buffers, for the next document.
    pub(super) fn into_buffers(self) -> Buffers {
        Buffers {
            w: self.w,
            stack: self.stack,
        }
    }

    fn abort(&mut self, pos: Pos, message: String) {
        if self.aborted.is_none() {
            self.aborted = Some(SyntaxProblem {
                pos,
                message,
                fatal: false,
                warning: false,
            });
            // Free what was built: an aborted document may be huge.
            self.stack.clear();
            self.anchors.clear();
            self.root = None;
            self.w.begin();
        }
    }

    fn slot(&self) -> Slot {
        match self.stack.last() {
            None => Slot::Root,
            Some(Frame::Seq { .. }) => Slot::Item,
            Some(Frame::Map { key: None, .. }) => Slot::Key,
            Some(Frame::Map { key: Some(_), .. }) => Slot::Value,
            // Callers handle light parents before asking for a slot.
            Some(Frame::Light { .. }) => Slot::Key,
        }
    }

    fn light_parent(&self) -> bool {
        matches!(self.stack.last(), Some(Frame::Light { .. }))
    }

    /// A finished light node (`nodes` nodes, scalar key text when it is one) reaches
    /// its parent.
    fn complete_light(&mut self, nodes: usize, key: Option<&str>, pos: Pos) {
        match self.stack.last_mut() {
            Some(Frame::Light {
                map,
                key_turn,
                keys,
                nodes: n,
                ..
            }) => {
                *n = n.saturating_add(nodes);
                if *map {
                    if *key_turn {
                        if let Some(k) = key.filter(|k| *k != "<<") {
                            if !keys.insert(k) {
                                self.warnings.push(duplicate_key(k, pos));
                            }
                        }
                    }
                    *key_turn = !*key_turn;
                }
            }
            // A light node directly under the (real) root mapping stands as null.
            _ => self.complete(Item::null_sized(nodes, NODE_BYTES), 0, pos),
        }
    }

    pub(super) fn event(&mut self, ev: Event<'_>, span: Span) {
        let pos = pos_of(&span);
        if self.aborted.is_some() {
            return;
        }
        if span.start.index().saturating_sub(self.start_index) > self.limits.max_document_bytes {
            self.abort(
                pos,
                format!(
                    "document exceeds the {} byte limit (--max-document-bytes); it was skipped",
                    self.limits.max_document_bytes
                ),
            );
            return;
        }
        if self.start.is_none() {
            self.start = Some(pos);
        }
        match ev {
            Event::Scalar(text, _, anchor, _) if self.light_parent() => {
                if anchor != 0 {
                    self.anchors
                        .insert(anchor, Item::null_sized(1, NODE_BYTES + text.len()));
                }
                self.complete_light(1, Some(&text), pos);
            }
            Event::Scalar(text, style, anchor, tag) => {
                let text = if self.templated {
                    restore_placeholders(text)
                } else {
                    text
                };
                let slot = self.slot();
                if matches!(slot, Slot::Key) && anchor == 0 {
                    // A plain key: straight to the key table, no string node.
                    self.set_key(&text, pos);
                    return;
                }
                let force_str = tag.as_ref().is_some_and(|t| t.suffix == "str");
                let item = if matches!(slot, Slot::Key) || style != ScalarStyle::Plain || force_str
                {
                    self.w.string(&text)
                } else {
                    resolve_plain(&text, &mut self.w)
                };
                self.complete(item, anchor, pos);
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                if self.stack.len() >= self.limits.max_depth {
                    self.abort(
                        pos,
                        format!(
                            "nesting deeper than {} levels (--max-depth); document skipped",
                            self.limits.max_depth
                        ),
                    );
                    return;
                }
                if self.skipping && !self.stack.is_empty() {
                    self.stack.push(Frame::Light {
                        map: matches!(ev, Event::MappingStart(..)),
                        key_turn: true,
                        keys: KeySet::default(),
                        nodes: 1,
                        anchor,
                    });
                    return;
                }
                if matches!(self.slot(), Slot::Key) {
                    self.in_key += 1;
                }
                let mark = self.w.mark();
                let frame = if matches!(ev, Event::SequenceStart(..)) {
                    Frame::Seq {
                        mark,
                        anchor,
                        start: pos,
                    }
                } else {
                    Frame::Map {
                        mark,
                        key: None,
                        merged: Vec::new(),
                        index: None,
                        anchor,
                        start: pos,
                    }
                };
                self.stack.push(frame);
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(frame) = self.stack.pop() else {
                    return;
                };
                let (item, anchor, start) = match frame {
                    Frame::Light { nodes, anchor, .. } => {
                        if anchor != 0 {
                            self.anchors.insert(
                                anchor,
                                Item::null_sized(nodes, nodes.saturating_mul(NODE_BYTES)),
                            );
                        }
                        self.complete_light(nodes, None, pos);
                        return;
                    }
                    Frame::Seq {
                        mark,
                        anchor,
                        start,
                    } => (self.w.close(mark, false), anchor, start),
                    Frame::Map {
                        mark,
                        anchor,
                        start,
                        ..
                    } => (self.close_map(mark), anchor, start),
                };
                if matches!(self.slot(), Slot::Key) && self.in_key > 0 {
                    self.in_key -= 1;
                }
                // An anchored value is measured where it is stored (`complete`).
                self.complete(item, anchor, start);
            }
            Event::Alias(id) => {
                let light = self.light_parent();
                let Some(item) = self.anchors.get(&id).copied() else {
                    self.abort(pos, "alias refers to an unknown anchor".to_string());
                    return;
                };
                self.alias_bytes = self.alias_bytes.saturating_add(item.bytes);
                self.alias_nodes = self.alias_nodes.saturating_add(item.nodes);
                let over = if self.alias_bytes > self.limits.max_document_bytes {
                    Some((
                        self.limits.max_document_bytes,
                        "bytes (--max-document-bytes)",
                    ))
                } else if self.alias_nodes > self.limits.max_alias_nodes {
                    Some((self.limits.max_alias_nodes, "nodes (--max-alias-nodes)"))
                } else {
                    None
                };
                if let Some((limit, what)) = over {
                    self.abort(
                        pos,
                        format!(
                            "alias expansion exceeds {limit} {what}: possible billion-laughs \
                             document; skipped"
                        ),
                    );
                    return;
                }
                if light {
                    self.complete_light(item.nodes, None, pos);
                    return;
                }
                let copy = self.w.copy(item);
                self.complete(copy, 0, pos);
            }
            _ => {}
        }
    }

    /// A mapping ends. `{{placeholder}}` read as a mapping becomes the string it was.
    fn close_map(&mut self, mark: Mark) -> Item {
        if self.w.count(mark) == 1 && self.w.item_at_place(mark, 0).is_some_and(|v| v.is_null()) {
            let text = self
                .w
                .key_at_place(mark, 0)
                .and_then(|k| placeholder_of_only_key(self.w.key_text(k)));
            if let Some(text) = text {
                self.w.discard(mark);
                return self.w.string(&text);
            }
        }
        self.w.close(mark, true)
    }

    /// The open mapping's next key is `k`, written at `pos`.
    fn set_key(&mut self, k: &str, pos: Pos) {
        if k.len() > MAX_KEY_BYTES {
            let n = k.len();
            self.abort(
                pos,
                format!(
                    "a mapping key of {n} bytes (more than {MAX_KEY_BYTES}); no Kubernetes \
                     object has one; document skipped"
                ),
            );
            return;
        }
        let key = self.w.key(k);
        if let Some(Frame::Map { key: slot, .. }) = self.stack.last_mut() {
            *slot = Some((key, pos));
        }
    }

    fn complete(&mut self, item: Item, anchor: usize, pos: Pos) {
        if anchor != 0 {
            self.anchor_bytes = self.anchor_bytes.saturating_add(item.bytes);
            if self.anchor_bytes > self.limits.max_document_bytes {
                self.abort(
                    pos,
                    format!(
                        "anchors hold more than {} bytes (--max-document-bytes); document skipped",
                        self.limits.max_document_bytes
                    ),
                );
                return;
            }
            let mut stored = item;
            stored.nodes = stored.nodes.max(1);
            self.anchors.insert(anchor, stored);
        }
        if self.stack.len() == 1 {
            self.watch_kind(item);
        }
        // Nodes inside a complex key have no pointer, so no position either.
        let at = (self.in_key == 0).then_some(pos);
        match self.stack.last_mut() {
            None => self.root = Some((item, pos)),
            Some(Frame::Seq { .. }) => self.w.push(None, item, at),
            Some(Frame::Light { .. }) => {}
            Some(Frame::Map { key: None, .. }) => {
                let k = key_string(&self.w, item);
                self.set_key(&k, pos);
            }
            Some(Frame::Map {
                key: key @ Some(_),
                mark,
                merged,
                index,
                ..
            }) => {
                let Some((k, key_pos)) = key.take() else {
                    return;
                };
                let mark = *mark;
                let at = at.map(|_| key_pos);
                let w = &mut self.w;
                if w.key_text(k) == "<<" {
                    merge_into(w, mark, merged, index, item);
                    return;
                }
                // A key merged in with `<<` may be overridden; written twice, it is a
                // duplicate.
                let was_merged = !merged.is_empty() && {
                    let text = w.key_text(k);
                    let before = merged.len();
                    merged.retain(|m| m != text);
                    merged.len() != before
                };
                match find(w, mark, index, k) {
                    Some(place) => {
                        if !was_merged {
                            self.warnings.push(duplicate_key(w.key_text(k), key_pos));
                        }
                        w.replace(mark, place, item, at);
                    }
                    None => push_entry(w, mark, index, k, item, at),
                }
            }
        }
    }

    /// Called for each value completed directly in the root frame: when it is the root
    /// mapping's `kind` and the caller does not want that kind, build no more of the
    /// document than its top-level scalars. Kinds ending in `List` hold other objects in
    /// `items` and are always built.
    fn watch_kind(&mut self, item: Item) {
        let Some(keep) = self.keep else {
            return;
        };
        let Some(Frame::Map {
            key: Some((k, key_pos)),
            mark,
            ..
        }) = self.stack.last()
        else {
            return;
        };
        let (w, key_pos, mark) = (&self.w, *key_pos, *mark);
        let Some(kind) = w.as_str(item) else {
            return;
        };
        if w.key_text(*k) != "kind" {
            return;
        }
        let api_version = w
            .find_text(mark, "apiVersion")
            .and_then(|place| w.item_at_place(mark, place))
            .and_then(|v| w.as_str(v));
        let wanted = kind.ends_with("List") || keep(api_version, kind);
        if !self.skipping && !wanted {
            self.skipping = true;
        } else if self.skipping && wanted {
            // A second `kind` names a kind that is read, but everything between the two
            // was not built: the document cannot be checked as written.
            let message = format!(
                "document has two `kind` keys (the last is {kind:?}); kubectl rejects duplicate \
                 keys; document skipped"
            );
            self.abort(key_pos, message);
        }
    }
}

/// The place of `k` in the open mapping at `mark`.
fn find(
    w: &TreeWriter,
    mark: Mark,
    index: &Option<HashMap<String, usize>>,
    k: Key,
) -> Option<usize> {
    match index {
        Some(ix) => ix.get(w.key_text(k)).copied(),
        None => w.find(mark, k),
    }
}

/// Append `k: item` to the open mapping at `mark`, indexing it once the mapping is large.
fn push_entry(
    w: &mut TreeWriter,
    mark: Mark,
    index: &mut Option<HashMap<String, usize>>,
    k: Key,
    item: Item,
    pos: Option<Pos>,
) {
    w.push(Some(k), item, pos);
    let n = w.count(mark);
    match index {
        Some(ix) => {
            ix.insert(w.key_text(k).to_string(), n - 1);
        }
        None if n > MAP_INDEX_AFTER => {
            *index = Some(
                (0..n)
                    .filter_map(|place| w.key_at_place(mark, place).map(|k| (place, k)))
                    .map(|(place, k)| (w.key_text(k).to_string(), place))
                    .collect(),
            );
        }
        None => {}
    }
}

/// `<<: value`: the entries of `value` (a mapping, or a list of mappings) that the open
/// mapping does not have yet are added, without positions of their own.
fn merge_into(
    w: &mut TreeWriter,
    mark: Mark,
    merged: &mut Vec<String>,
    index: &mut Option<HashMap<String, usize>>,
    value: Item,
) {
    let sources = if value.is_map() {
        vec![value]
    } else if value.is_seq() {
        w.items(value).into_iter().filter(Item::is_map).collect()
    } else {
        return;
    };
    for src in sources {
        for (k, v) in w.entries(src) {
            if find(w, mark, index, k).is_none() {
                merged.push(w.key_text(k).to_string());
                let v = w.copy(v);
                push_entry(w, mark, index, k, v, None);
            }
        }
    }
}

fn duplicate_key(k: &str, pos: Pos) -> SyntaxProblem {
    SyntaxProblem {
        pos,
        message: format!(
            "duplicate key {k:?}: kubectl rejects this document; the last value is used"
        ),
        fatal: false,
        warning: true,
    }
}

/// The text of a key that is not a plain scalar: an anchored string as itself, `{k}` for
/// the mapping `{k: null}` (how YAML reads a `{{k}}` placeholder), anything else as JSON.
fn key_string(w: &TreeWriter, item: Item) -> String {
    if let Some(s) = w.as_str(item) {
        return s.to_string();
    }
    if item.is_map() {
        let entries = w.entries(item);
        if let [(k, v)] = entries.as_slice() {
            if v.is_null() {
                return format!("{{{}}}", w.key_text(*k));
            }
        }
    }
    w.value(item).to_string()
}

/// Longest mapping key accepted: Kubernetes keys (labels, annotations, data) are at most
/// 253 + 63 bytes, and longer ones are kept in each tree instead of the key table.
const MAX_KEY_BYTES: usize = 64 * 1024;
