//! Builds one document from saphyr's events: the value, the position of every field,
//! and the limits (depth, size, aliases, key length) checked as it grows.

use saphyr_parser::{Event, ScalarStyle, Span};
use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet};

use super::placeholders::{placeholder_or_map, restore_placeholders};
use super::positions::pos_of;
use super::scalars::resolve_plain;
use super::SyntaxProblem;
use crate::sources::limits::Limits;
use crate::text::{push_escaped, Pos, SpanIndex};

enum Frame {
    Seq {
        items: Vec<Value>,
        anchor: usize,
        /// This node's entry in the positions index (None inside a complex key).
        entry: Option<u32>,
        start: Pos,
    },
    Map {
        map: Map<String, Value>,
        key: Option<(String, Pos)>,
        merged: Vec<String>,
        anchor: usize,
        entry: Option<u32>,
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
        let h = key.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        });
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

/// Where the next node goes (a mapping value's key is read from the frame, not copied).
enum Slot {
    Root,
    Item(usize),
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
    /// A segment being written (a mapping key escaped, an item's index).
    seg: String,
    pub(super) spans: SpanIndex,
    /// Anchored values with their node count and size in bytes (see [`measure`]).
    anchors: HashMap<usize, (Value, usize, usize)>,
    alias_nodes: usize,
    /// Bytes that alias expansion added, and bytes held by anchors (each anchor keeps a
    /// copy of its value: 200 nested anchors copy the innermost value 200 times). Both
    /// are bounded by --max-document-bytes: memory follows bytes, not node counts.
    alias_bytes: usize,
    anchor_bytes: usize,
    /// >0 while building a complex (mapping or sequence) key: such keys have no pointer.
    in_key: usize,
    pub(super) root: Option<Value>,
    pub(super) start: Option<Pos>,
    start_index: usize,
    pub(super) aborted: Option<SyntaxProblem>,
    pub(super) warnings: Vec<SyntaxProblem>,
    /// The source had `{{placeholders}}` protected by [`protect_placeholders`].
    pub(super) templated: bool,
}

impl<'l> DocBuilder<'l> {
    pub(super) fn new(limits: &'l Limits, keep: Option<KeepKind<'l>>, start_index: usize) -> Self {
        DocBuilder {
            limits,
            keep,
            skipping: false,
            stack: Vec::new(),
            seg: String::new(),
            spans: SpanIndex::default(),
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
            self.spans = SpanIndex::default();
        }
    }

    fn slot(&self) -> Slot {
        match self.stack.last() {
            None => Slot::Root,
            Some(Frame::Seq { items, .. }) => Slot::Item(items.len()),
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
            // A light node directly under the (real) root mapping.
            _ => self.complete(Value::Null, 0, pos, nodes),
        }
    }

    /// Record the position of a node in `slot`, under its parent's entry; returns the
    /// node's entry (None inside a complex key, which has no pointer, and for a key).
    fn enter(&mut self, slot: &Slot, pos: Pos) -> Option<u32> {
        if self.in_key > 0 {
            return None;
        }
        let parent = match self.stack.last() {
            Some(Frame::Seq { entry, .. }) | Some(Frame::Map { entry, .. }) => *entry,
            _ => None,
        };
        self.seg.clear();
        match slot {
            Slot::Root => self.record_span(None, pos),
            Slot::Value => {
                let Some(Frame::Map {
                    key: Some((k, key_pos)),
                    ..
                }) = self.stack.last()
                else {
                    return None;
                };
                push_escaped(&mut self.seg, k);
                // A mapping value is reported on its key's line: that is the line a
                // person looks for (`service:`), and block mappings start below it.
                let key_pos = *key_pos;
                self.record_span(Some(parent?), key_pos)
            }
            Slot::Item(i) => {
                use std::fmt::Write;
                let _ = write!(self.seg, "{i}");
                self.record_span(Some(parent?), pos)
            }
            Slot::Key => None,
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
                        .insert(anchor, (Value::Null, 1, 8 + text.len()));
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
                let force_str = tag.as_ref().is_some_and(|t| t.suffix == "str");
                let value = if matches!(slot, Slot::Key) || style != ScalarStyle::Plain || force_str
                {
                    Value::String(text.into_owned())
                } else {
                    resolve_plain(&text)
                };
                self.enter(&slot, pos);
                self.complete(value, anchor, pos, 1);
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
                let slot = self.slot();
                if matches!(slot, Slot::Key) {
                    self.in_key += 1;
                }
                let entry = self.enter(&slot, pos);
                let frame = if matches!(ev, Event::SequenceStart(..)) {
                    Frame::Seq {
                        items: Vec::new(),
                        anchor,
                        entry,
                        start: pos,
                    }
                } else {
                    Frame::Map {
                        map: Map::new(),
                        key: None,
                        merged: Vec::new(),
                        anchor,
                        entry,
                        start: pos,
                    }
                };
                self.stack.push(frame);
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(frame) = self.stack.pop() else {
                    return;
                };
                let (value, anchor, start) = match frame {
                    Frame::Light { nodes, anchor, .. } => {
                        if anchor != 0 {
                            self.anchors
                                .insert(anchor, (Value::Null, nodes, nodes.saturating_mul(8)));
                        }
                        self.complete_light(nodes, None, pos);
                        return;
                    }
                    Frame::Seq {
                        items,
                        anchor,
                        start,
                        ..
                    } => (Value::Array(items), anchor, start),
                    Frame::Map {
                        map, anchor, start, ..
                    } => (placeholder_or_map(map), anchor, start),
                };
                if matches!(self.slot(), Slot::Key) && self.in_key > 0 {
                    self.in_key -= 1;
                }
                // An anchored value is measured where it is stored (`complete`).
                self.complete(value, anchor, start, 1);
            }
            Event::Alias(id) => {
                let light = self.light_parent();
                let found = self
                    .anchors
                    .get(&id)
                    .map(|(v, n, b)| (if light { Value::Null } else { v.clone() }, *n, *b));
                let Some((value, nodes, bytes)) = found else {
                    self.abort(pos, "alias refers to an unknown anchor".to_string());
                    return;
                };
                self.alias_bytes = self.alias_bytes.saturating_add(bytes);
                self.alias_nodes = self.alias_nodes.saturating_add(nodes);
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
                    self.complete_light(nodes, None, pos);
                    return;
                }
                let slot = self.slot();
                self.enter(&slot, pos);
                self.complete(value, 0, pos, nodes);
            }
            _ => {}
        }
    }

    /// Record the position of the node whose segment is `self.seg`, below `parent` (None
    /// for the root), unless the positions already hold more segment text than the
    /// document could need: then fields further down are reported at their nearest
    /// recorded ancestor.
    fn record_span(&mut self, parent: Option<u32>, pos: Pos) -> Option<u32> {
        let budget = self.limits.max_document_bytes.saturating_mul(4);
        if self.spans.pointer_bytes().saturating_add(self.seg.len()) > budget {
            return None;
        }
        Some(self.spans.record_child(parent, &self.seg, pos))
    }

    fn complete(&mut self, value: Value, anchor: usize, pos: Pos, nodes: usize) {
        if anchor != 0 {
            let (n, bytes) = measure(&value);
            self.anchor_bytes = self.anchor_bytes.saturating_add(bytes);
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
            self.anchors
                .insert(anchor, (value.clone(), n.max(nodes).max(1), bytes));
        }
        if self.stack.len() == 1 {
            self.watch_kind(&value);
        }
        match self.stack.last_mut() {
            None => self.root = Some(value),
            Some(Frame::Seq { items, .. }) => items.push(value),
            Some(Frame::Light { .. }) => {}
            Some(Frame::Map {
                key, map, merged, ..
            }) => match key.take() {
                None => {
                    let k = into_key_string(value);
                    if k.len() > MAX_KEY_BYTES {
                        let n = k.len();
                        self.abort(
                            pos,
                            format!(
                                "a mapping key of {n} bytes (more than {MAX_KEY_BYTES}); no \
                                 Kubernetes object has one; document skipped"
                            ),
                        );
                        return;
                    }
                    *key = Some((k, pos))
                }
                Some((k, key_pos)) => {
                    if k == "<<" {
                        merge_into(map, merged, value);
                    } else {
                        // A key merged in with `<<` may be overridden; written twice, it
                        // is a duplicate. One lookup: this runs for every field.
                        let was_merged = !merged.is_empty() && merged.contains(&k);
                        if was_merged {
                            merged.retain(|m| m != &k);
                        }
                        match map.entry(k) {
                            serde_json::map::Entry::Occupied(mut o) => {
                                if !was_merged {
                                    self.warnings.push(duplicate_key(o.key(), key_pos));
                                }
                                *o.get_mut() = value;
                            }
                            serde_json::map::Entry::Vacant(v) => {
                                v.insert(value);
                            }
                        }
                    }
                }
            },
        }
    }

    /// Called for each value completed directly in the root frame: when it is the root
    /// mapping's `kind` and the caller does not want that kind, build no more of the
    /// document than its top-level scalars. Kinds ending in `List` hold other objects in
    /// `items` and are always built.
    fn watch_kind(&mut self, value: &Value) {
        let (Some(keep), Value::String(kind)) = (self.keep, value) else {
            return;
        };
        let Some(Frame::Map {
            key: Some((k, key_pos)),
            map,
            ..
        }) = self.stack.last()
        else {
            return;
        };
        if k != "kind" {
            return;
        }
        let key_pos = *key_pos;
        let api_version = map.get("apiVersion").and_then(Value::as_str);
        let wanted = kind.ends_with("List") || keep(api_version, kind);
        if !self.skipping && !wanted {
            self.skipping = true;
        } else if self.skipping && wanted {
            // A second `kind` names a kind that is read, but everything between the two
            // was not built: the document cannot be checked as written.
            self.abort(
                key_pos,
                format!(
                    "document has two `kind` keys (the last is {kind:?}); kubectl rejects duplicate \
                     keys; document skipped"
                ),
            );
        }
    }
}

fn merge_into(map: &mut Map<String, Value>, merged: &mut Vec<String>, value: Value) {
    let sources = match value {
        Value::Object(m) => vec![m],
        Value::Array(items) => items
            .into_iter()
            .filter_map(|v| match v {
                Value::Object(m) => Some(m),
                _ => None,
            })
            .collect(),
        _ => return,
    };
    for src in sources {
        for (k, v) in src {
            if !map.contains_key(&k) {
                merged.push(k.clone());
                map.insert(k, v);
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

fn into_key_string(v: Value) -> String {
    match v {
        Value::String(s) => s,
        other => key_string(&other),
    }
}

fn key_string(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Object(m) if m.len() == 1 && m.values().all(Value::is_null) => {
            format!("{{{}}}", m.keys().next().map(String::as_str).unwrap_or(""))
        }
        other => other.to_string(),
    }
}

/// Longest mapping key accepted: Kubernetes keys (labels, annotations, data) are at most
/// 253 + 63 bytes; a key is copied into the pointer of every field below it.
const MAX_KEY_BYTES: usize = 64 * 1024;

/// Nodes and approximate bytes of a value: the text of its scalars and keys plus a
/// fixed cost per node (what a copy of it costs in memory, roughly).
fn measure(v: &Value) -> (usize, usize) {
    const NODE: usize = 8;
    match v {
        Value::Array(a) => a.iter().map(measure).fold((1, NODE), |(n, b), (n2, b2)| {
            (n.saturating_add(n2), b.saturating_add(b2))
        }),
        Value::Object(m) => m.iter().map(|(k, v)| (k.len(), measure(v))).fold(
            (1, NODE),
            |(n, b), (kl, (n2, b2))| {
                (
                    n.saturating_add(n2),
                    b.saturating_add(b2).saturating_add(kl),
                )
            },
        ),
        Value::String(s) => (1, NODE + s.len()),
        _ => (1, NODE),
    }
}
