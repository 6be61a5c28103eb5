//! YAML/JSON documents to `serde_json::Value` plus a JSON-pointer → position index.
//!
//! We drive saphyr's event parser ourselves instead of using a ready-made tree so that
//! one pass gives the value, the position of every field, and hard limits on depth,
//! document size and alias expansion (a billion-laughs document must fail fast, not
//! after it has been expanded).

use saphyr_parser::{Event, Parser, ScalarStyle, ScanError, Span};
use serde_json::{Map, Number, Value};
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};

use super::limits::Limits;

/// A 1-based line and column (SARIF and editors count from 1; saphyr's columns are
/// 0-based, so we add one here, once).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Pos {
    pub line: u32,
    pub column: u32,
}

impl Pos {
    fn from_span(span: &Span) -> Pos {
        Pos {
            line: span.start.line().min(u32::MAX as usize) as u32,
            column: (span.start.col() + 1).min(u32::MAX as usize) as u32,
        }
    }
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
    fn record(&mut self, pointer: &str, pos: Pos) {
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
        self.entries.iter().find_map(|(s, l, pos)| {
            let (s, l) = (*s as usize, *l as usize);
            (&self.arena[s..s + l] == pointer).then_some(*pos)
        })
    }

    /// Re-root the index at `prefix` (a `kind: List` item keeps its pointers relative
    /// to itself).
    pub fn subtree(&self, prefix: &str) -> SpanIndex {
        let mut out = SpanIndex::default();
        for (s, l, pos) in &self.entries {
            let p = &self.arena[*s as usize..(*s + *l) as usize];
            if let Some(rest) = p.strip_prefix(prefix) {
                if rest.is_empty() || rest.starts_with('/') {
                    out.record(rest, *pos);
                }
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

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// One parsed document.
#[derive(Debug, Clone)]
pub struct ParsedDoc {
    pub value: Value,
    pub spans: SpanIndex,
    /// Position of the document's first node.
    pub start: Pos,
    /// 0-based index among the documents of the file.
    pub index: usize,
    /// The document's `kind` was refused by the caller's filter, so only its top-level
    /// scalars (`apiVersion`, `kind`, ...) were built; `value` is not the whole object.
    pub kind_skipped: bool,
}

/// Something wrong with the text itself, at a position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxProblem {
    pub pos: Pos,
    pub message: String,
    /// True when the rest of the file could not be read (a scanner error is fatal in
    /// YAML: nothing after it can be trusted).
    pub fatal: bool,
    /// Duplicate keys are accepted by lenient YAML readers but rejected by kubectl; the
    /// document is still usable, so this is a warning rather than an error.
    pub warning: bool,
}

enum Frame {
    Seq {
        items: Vec<Value>,
        anchor: usize,
        ptr_len: usize,
        start: Pos,
    },
    Map {
        map: Map<String, Value>,
        key: Option<(String, Pos)>,
        merged: Vec<String>,
        anchor: usize,
        ptr_len: usize,
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
        let mut h = std::collections::hash_map::DefaultHasher::new();
        key.hash(&mut h);
        let h = h.finish();
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

/// Decides from a document's `kind` whether the document is worth building.
pub type KeepKind<'a> = &'a dyn Fn(&str) -> bool;

struct DocBuilder<'l> {
    limits: &'l Limits,
    keep: Option<KeepKind<'l>>,
    /// The root mapping's `kind` was refused by `keep`: new nodes below the root are light.
    skipping: bool,
    stack: Vec<Frame>,
    ptr: String,
    spans: SpanIndex,
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
    root: Option<Value>,
    start: Option<Pos>,
    start_index: usize,
    aborted: Option<SyntaxProblem>,
    warnings: Vec<SyntaxProblem>,
    /// The source had `{{placeholders}}` protected by [`protect_placeholders`].
    templated: bool,
}

impl<'l> DocBuilder<'l> {
    fn new(limits: &'l Limits, keep: Option<KeepKind<'l>>, start_index: usize) -> Self {
        DocBuilder {
            limits,
            keep,
            skipping: false,
            stack: Vec::new(),
            ptr: String::new(),
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

    /// Extend the pointer for a node in `slot` and record its position; returns the
    /// pointer length to truncate back to.
    fn enter(&mut self, slot: &Slot, pos: Pos) -> usize {
        let before = self.ptr.len();
        if self.in_key > 0 {
            return before;
        }
        match slot {
            Slot::Root => self.record_span(pos),
            Slot::Value => {
                if let Some(Frame::Map {
                    key: Some((k, key_pos)),
                    ..
                }) = self.stack.last()
                {
                    self.ptr.push('/');
                    push_escaped(&mut self.ptr, k);
                    // A mapping value is reported on its key's line: that is the line a
                    // person looks for (`service:`), and block mappings start below it.
                    let key_pos = *key_pos;
                    self.record_span(key_pos);
                }
            }
            Slot::Item(i) => {
                use std::fmt::Write;
                let _ = write!(self.ptr, "/{i}");
                self.record_span(pos);
            }
            Slot::Key => {}
        }
        before
    }

    fn event(&mut self, ev: Event<'_>, span: Span) {
        let pos = Pos::from_span(&span);
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
                let before = self.enter(&slot, pos);
                self.ptr.truncate(before);
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
                let ptr_len = self.enter(&slot, pos);
                let frame = if matches!(ev, Event::SequenceStart(..)) {
                    Frame::Seq {
                        items: Vec::new(),
                        anchor,
                        ptr_len,
                        start: pos,
                    }
                } else {
                    Frame::Map {
                        map: Map::new(),
                        key: None,
                        merged: Vec::new(),
                        anchor,
                        ptr_len,
                        start: pos,
                    }
                };
                self.stack.push(frame);
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(frame) = self.stack.pop() else {
                    return;
                };
                let (value, anchor, ptr_len, start) = match frame {
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
                        ptr_len,
                        start,
                    } => (Value::Array(items), anchor, ptr_len, start),
                    Frame::Map {
                        map,
                        anchor,
                        ptr_len,
                        start,
                        ..
                    } => (placeholder_or_map(map), anchor, ptr_len, start),
                };
                self.ptr.truncate(ptr_len);
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
                let before = self.enter(&slot, pos);
                self.ptr.truncate(before);
                self.complete(value, 0, pos, nodes);
            }
            _ => {}
        }
    }

    /// Record the current pointer's position, unless the positions already hold more
    /// than the document could need (a huge key repeated in every pointer below it):
    /// then fields further down are reported at their nearest recorded ancestor.
    fn record_span(&mut self, pos: Pos) {
        let budget = self.limits.max_document_bytes.saturating_mul(4);
        if self.spans.arena.len().saturating_add(self.ptr.len()) <= budget {
            self.spans.record(&self.ptr, pos);
        }
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
                        if map.contains_key(&k) && !merged.contains(&k) {
                            self.warnings.push(duplicate_key(&k, key_pos));
                        }
                        merged.retain(|m| m != &k);
                        map.insert(k, value);
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
            ..
        }) = self.stack.last()
        else {
            return;
        };
        if k != "kind" {
            return;
        }
        let key_pos = *key_pos;
        let wanted = kind.ends_with("List") || keep(kind);
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

/// `type: {{service_type}}` is a template placeholder, but YAML reads it as a mapping
/// whose only key is the mapping `{service_type: null}`. Turn that shape back into the
/// string the author wrote, so rules can recognise and report placeholders.
fn placeholder_or_map(map: Map<String, Value>) -> Value {
    if map.len() == 1 {
        if let Some((k, Value::Null)) = map.iter().next() {
            if let Some(inner) = k.strip_prefix('{').and_then(|k| k.strip_suffix('}')) {
                if !inner.contains(['{', '}', ':']) {
                    return Value::String(format!("{{{{{inner}}}}}"));
                }
            }
        }
    }
    Value::Object(map)
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

fn push_escaped(out: &mut String, key: &str) {
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

/// Resolve a plain scalar the way Kubernetes' YAML reader (go-yaml, YAML 1.1 rules)
/// does for the values that matter here: null, booleans (including yes/no/on/off),
/// integers and floats. Everything else stays a string.
fn resolve_plain(s: &str) -> Value {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" => {
            return Value::Bool(true)
        }
        "false" | "False" | "FALSE" | "no" | "No" | "NO" | "off" | "Off" | "OFF" => {
            return Value::Bool(false)
        }
        _ => {}
    }
    let first = s.as_bytes()[0];
    if !(first.is_ascii_digit() || first == b'-' || first == b'+' || first == b'.') {
        return Value::String(s.to_string());
    }
    if let Ok(i) = s.parse::<i64>() {
        return Value::Number(i.into());
    }
    if let Some(hex) = s.strip_prefix("0x") {
        if let Ok(i) = i64::from_str_radix(hex, 16) {
            return Value::Number(i.into());
        }
    }
    if s.contains(['.', 'e', 'E']) && s.chars().all(|c| c.is_ascii_digit() || "+-.eE".contains(c)) {
        if let Ok(f) = s.parse::<f64>() {
            if let Some(n) = Number::from_f64(f) {
                return Value::Number(n);
            }
        }
    }
    Value::String(s.to_string())
}

// Placeholders are swapped for same-length markers so positions stay exact.
const OPEN: &str = "$<";
const CLOSE: &str = ">$";

/// Official manifests are templates: `{{member_cluster_name}}-kubeconfig` is not valid
/// YAML (a plain scalar cannot start with `{`), and `type: {{service_type}}` reads as a
/// nested flow mapping. Replace the braces of simple `{{ name }}` placeholders with
/// same-length markers so such files parse, keep every position, and give back the
/// placeholder text as a string that rules recognise.
fn protect_placeholders(src: &str) -> std::borrow::Cow<'_, str> {
    if !src.contains("{{") {
        return std::borrow::Cow::Borrowed(src);
    }
    let bytes = src.as_bytes();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    let mut last = 0;
    while i + 1 < bytes.len() {
        if bytes[i] == b'{' && bytes[i + 1] == b'{' {
            let body_start = i + 2;
            let mut j = body_start;
            while j < bytes.len()
                && j - body_start <= 120
                && (bytes[j].is_ascii_alphanumeric() || b"_ .-$".contains(&bytes[j]))
            {
                j += 1;
            }
            if j + 1 < bytes.len() && bytes[j] == b'}' && bytes[j + 1] == b'}' && j > body_start {
                out.push_str(&src[last..i]);
                out.push_str(OPEN);
                out.push_str(&src[body_start..j]);
                out.push_str(CLOSE);
                i = j + 2;
                last = i;
                continue;
            }
        }
        i += 1;
    }
    if last == 0 {
        return std::borrow::Cow::Borrowed(src);
    }
    out.push_str(&src[last..]);
    std::borrow::Cow::Owned(out)
}

fn restore_placeholders(text: std::borrow::Cow<'_, str>) -> std::borrow::Cow<'_, str> {
    if text.contains(OPEN) {
        std::borrow::Cow::Owned(text.replace(OPEN, "{{").replace(CLOSE, "}}"))
    } else {
        text
    }
}

/// saphyr can report an error past the text: one line after the last when the text has
/// no final line break, or a column past the end of its line (seen on directives full
/// of control characters). Findings must point inside the file, so such positions are
/// moved to the end of the line (or of the last line). Lines break at `\n`, `\r\n` and
/// `\r`, as in YAML. Only problems go through here, so the extra pass is rare.
fn clamp_to_text(src: &str, pos: Pos) -> Pos {
    let (mut line, mut len, mut target_len) = (1u32, 0u32, None);
    let mut chars = src.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' && chars.peek() == Some(&'\n') {
            continue;
        }
        if c == '\n' || c == '\r' {
            if line == pos.line {
                target_len = Some(len);
            }
            line = line.saturating_add(1);
            len = 0;
        } else {
            len = len.saturating_add(1);
        }
    }
    // Not found before the last line: it is the last line, or past it (the text's end).
    let (line, len) = target_len.map_or((line, len), |l| (pos.line, l));
    Pos {
        line,
        column: pos.column.clamp(1, len.saturating_add(1)),
    }
}

/// The last position inside `src`: its last line (YAML breaks lines at `\n`, `\r\n` and
/// `\r`) and the column just after that line's last character.
fn text_end(src: &str) -> Pos {
    let bytes = src.as_bytes();
    let mut line = 1u32;
    let mut last_break_end = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\r' if bytes.get(i + 1) == Some(&b'\n') => {
                line = line.saturating_add(1);
                i += 2;
                last_break_end = i;
                continue;
            }
            b'\n' | b'\r' => {
                line = line.saturating_add(1);
                last_break_end = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    let len = src[last_break_end..]
        .chars()
        .count()
        .min(u32::MAX as usize - 1) as u32;
    Pos {
        line,
        column: len + 1,
    }
}

/// saphyr acts as if the text ended with a line break: events at the end of a text
/// without one (the empty key of a trailing `?`, a closing mapping) sit on a line after
/// the last. Only positions of the document that ends the text can be there; move them
/// to the text's end so every recorded position points inside the file.
fn clamp_doc_to_end(src: &str, end: &mut Option<Pos>, spans: &mut SpanIndex, start: &mut Pos) {
    let end = *end.get_or_insert_with(|| text_end(src));
    let past = |p: &Pos| *p > end;
    if past(start) {
        *start = end;
    }
    for (_, _, pos) in spans.entries.iter_mut() {
        if past(pos) {
            *pos = end;
        }
    }
}

/// Outcome of parsing one file's text.
#[derive(Debug, Default)]
pub struct ParseOutcome {
    pub problems: Vec<SyntaxProblem>,
    pub documents: usize,
}

/// Parse every document in `src`, handing each non-empty one to `on_doc` as soon as it
/// is complete (so callers can drop documents they do not need and keep memory flat).
pub fn parse_documents(src: &str, limits: &Limits, on_doc: impl FnMut(ParsedDoc)) -> ParseOutcome {
    parse_documents_keeping(src, limits, None, on_doc)
}

/// [`parse_documents`], but a document whose root mapping has a `kind` that `keep`
/// refuses is not built: once its `kind` is seen, nested values and positions are no
/// longer recorded (`ParsedDoc::kind_skipped`). The limits (size, depth, aliases) and the
/// duplicate-key warnings still apply to it, so problems are reported the same way.
/// Most input in a big repository is of kinds no rule reads; this is what keeps the
/// loader close to the bare parser's speed on it.
pub fn parse_documents_keeping(
    src: &str,
    limits: &Limits,
    keep: Option<KeepKind<'_>>,
    mut on_doc: impl FnMut(ParsedDoc),
) -> ParseOutcome {
    let mut out = ParseOutcome::default();
    let protected = protect_placeholders(src);
    let templated = matches!(protected, std::borrow::Cow::Owned(_));
    let mut parser = Parser::new_from_str(&protected);
    let mut doc: Option<DocBuilder> = None;
    let mut index = 0usize;
    // Computed once, and only for a file whose last document reaches its end.
    let mut end: Option<Pos> = None;
    loop {
        let next: Option<Result<(Event, Span), ScanError>> = parser.next_event();
        match next {
            None => break,
            Some(Err(e)) => {
                let m = e.marker();
                out.problems.push(SyntaxProblem {
                    pos: Pos {
                        line: m.line().max(1) as u32,
                        column: (m.col() + 1) as u32,
                    },
                    message: format!("YAML syntax error: {}", e.info()),
                    fatal: true,
                    warning: false,
                });
                break;
            }
            Some(Ok((ev, span))) => match ev {
                Event::StreamEnd => break,
                Event::StreamStart | Event::Nothing => {}
                Event::DocumentStart(_) => {
                    doc = Some(DocBuilder::new(limits, keep, span.start.index()))
                }
                Event::DocumentEnd => {
                    if let Some(b) = doc.take() {
                        out.problems.extend(b.warnings);
                        if let Some(p) = b.aborted {
                            out.problems.push(p);
                        } else if let Some(value) = b.root {
                            if !value.is_null() {
                                out.documents += 1;
                                let mut spans = b.spans;
                                let mut start = b.start.unwrap_or(Pos { line: 1, column: 1 });
                                // A document ending before the last quarter of the text
                                // (in characters, at most its bytes) is not at its end.
                                if span.start.index() >= src.len() / 4 {
                                    clamp_doc_to_end(src, &mut end, &mut spans, &mut start);
                                }
                                on_doc(ParsedDoc {
                                    value,
                                    spans,
                                    start,
                                    index,
                                    kind_skipped: b.skipping,
                                });
                            }
                        }
                    }
                    index += 1;
                }
                other => {
                    let b = doc
                        .get_or_insert_with(|| DocBuilder::new(limits, keep, span.start.index()));
                    b.templated = templated;
                    b.event(other, span);
                }
            },
        }
    }
    for p in &mut out.problems {
        p.pos = clamp_to_text(src, p.pos);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(src: &str) -> (Vec<ParsedDoc>, ParseOutcome) {
        let mut docs = Vec::new();
        let out = parse_documents(src, &Limits::default(), |d| docs.push(d));
        (docs, out)
    }

    #[test]
    fn records_positions_by_pointer() {
        let (docs, out) = parse("a: 1\nb:\n  c:\n    - x\n    - --flag=y\n");
        assert!(out.problems.is_empty());
        let d = &docs[0];
        assert_eq!(d.value["b"]["c"][1], "--flag=y");
        assert_eq!(d.spans.exact("/b/c/1"), Some(Pos { line: 5, column: 7 }));
        assert_eq!(d.spans.exact("/b"), Some(Pos { line: 2, column: 1 }));
        assert_eq!(
            d.spans.resolve("/b/c/9/zz"),
            Some(Pos { line: 3, column: 3 })
        );
    }

    #[test]
    fn placeholders_become_strings() {
        let (docs, _) = parse("spec:\n  type: {{service_type}}\n  caBundle: {{caBundle}}\n");
        assert_eq!(docs[0].value["spec"]["type"], "{{service_type}}");
        assert_eq!(docs[0].value["spec"]["caBundle"], "{{caBundle}}");
    }

    #[test]
    fn placeholders_inside_scalars_keep_the_file_parseable() {
        let (docs, out) = parse("a:\n  subPath: {{member_cluster_name}}-kubeconfig\n  b: x\n");
        assert!(out.problems.is_empty(), "{:?}", out.problems);
        assert_eq!(
            docs[0].value["a"]["subPath"],
            "{{member_cluster_name}}-kubeconfig"
        );
        assert_eq!(
            docs[0].spans.exact("/a/b"),
            Some(Pos { line: 3, column: 3 })
        );
    }

    #[test]
    fn multi_document_skips_empty_ones() {
        let (docs, _) = parse("---\na: 1\n---\n---\n# only a comment\n---\nb: 2\n");
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[1].value["b"], 2);
        assert_eq!(docs[1].start.line, 7);
    }

    #[test]
    fn scalars_resolve_like_kubernetes() {
        let (docs, _) = parse("a: yes\nb: '10'\nc: 10\nd: 1.5\ne: ~\nf: v1.21\ng: 0x1F\n");
        let v = &docs[0].value;
        assert_eq!(v["a"], true);
        assert_eq!(v["b"], "10");
        assert_eq!(v["c"], 10);
        assert_eq!(v["d"], 1.5);
        assert!(v["e"].is_null());
        assert_eq!(v["f"], "v1.21");
        assert_eq!(v["g"], 31);
    }

    #[test]
    fn merge_keys_and_aliases() {
        let (docs, _) = parse("base: &b {x: 1, y: 2}\nother:\n  <<: *b\n  y: 3\n");
        assert_eq!(docs[0].value["other"]["x"], 1);
        assert_eq!(docs[0].value["other"]["y"], 3);
    }

    #[test]
    fn duplicate_keys_warn() {
        let (docs, out) = parse("a: 1\nb: 2\na: 3\n");
        assert_eq!(docs[0].value["a"], 3);
        assert_eq!(out.problems.len(), 1);
        assert!(out.problems[0].warning);
        assert_eq!(out.problems[0].pos.line, 3);
    }

    #[test]
    fn alias_bomb_is_cut_short() {
        let mut src = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let p = i - 1;
            src.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        let (docs, out) = parse(&src);
        assert!(docs.is_empty());
        assert!(
            out.problems[0].message.contains("alias expansion"),
            "{:?}",
            out.problems
        );
    }

    fn only_problem(src: &str) -> String {
        let (docs, out) = parse(src);
        assert!(docs.is_empty(), "built a document");
        assert_eq!(out.problems.len(), 1, "{:?}", out.problems);
        out.problems[0].message.clone()
    }

    #[test]
    fn alias_expansion_is_bounded_by_bytes_not_nodes() {
        // 1,000 aliases of one 64 KiB string: few nodes, 64 MB once expanded.
        let mut src = format!("a: &big \"{}\"\nb:\n", "x".repeat(64 * 1024));
        for _ in 0..1000 {
            src.push_str("- *big\n");
        }
        assert!(only_problem(&src).contains("alias expansion exceeds 33554432 bytes"));
    }

    #[test]
    fn nested_anchors_without_aliases_are_bounded() {
        // Each anchor keeps a copy of its value: 200 nested anchors, 200 copies of 256 KiB.
        let mut src = String::from("a: ");
        for i in 0..200 {
            src.push_str(&format!("&a{i} {{k: "));
        }
        src.push_str(&format!("\"{}\"", "x".repeat(256 * 1024)));
        src.push_str(&"}".repeat(200));
        src.push('\n');
        assert!(only_problem(&src).contains("anchors hold more than"));
    }

    #[test]
    fn a_huge_key_is_refused_before_it_is_copied_into_every_pointer() {
        let src = format!("? \"{}\"\n: [1, 2, 3]\n", "k".repeat(100 * 1024));
        assert!(only_problem(&src).contains("a mapping key of 102400 bytes"));
        // Keys as long as Kubernetes allows are fine.
        let (docs, out) = parse(&format!("{}: [1]\n", "k".repeat(316)));
        assert!(out.problems.is_empty() && docs.len() == 1);
    }

    #[test]
    fn deep_nesting_is_refused() {
        let src = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
        let (docs, out) = parse(&src);
        assert!(docs.is_empty());
        assert!(!out.problems.is_empty());
    }

    #[test]
    fn syntax_error_has_position() {
        let (docs, out) = parse("a: 1\n---\nb: [1, 2\nc: 3\n");
        assert_eq!(docs.len(), 1);
        assert!(out.problems[0].fatal);
        assert!(out.problems[0].pos.line >= 3);
    }

    fn parse_keeping(src: &str, keep: &dyn Fn(&str) -> bool) -> (Vec<ParsedDoc>, ParseOutcome) {
        let mut docs = Vec::new();
        let out = parse_documents_keeping(src, &Limits::default(), Some(keep), |d| docs.push(d));
        (docs, out)
    }

    #[test]
    fn unwanted_kinds_keep_only_top_level_scalars() {
        let src = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata:\n  a: b\n---\n\
                   apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\n";
        let (docs, out) = parse_keeping(src, &|k| k == "Deployment");
        assert!(out.problems.is_empty(), "{:?}", out.problems);
        assert!(docs[0].kind_skipped);
        assert_eq!(docs[0].value["apiVersion"], "v1");
        assert!(docs[0].value["data"].is_null());
        assert!(!docs[1].kind_skipped);
        assert_eq!(docs[1].value["metadata"]["name"], "d");
        assert_eq!(
            docs[1].spans.exact("/metadata/name"),
            Some(Pos {
                line: 10,
                column: 3
            })
        );
    }

    #[test]
    fn unwanted_kinds_still_get_limits_and_duplicate_key_warnings() {
        let (_, out) = parse_keeping(
            "kind: Secret\ndata:\n  a: 1\n  b: [x, {c: 1, c: 2}]\n  a: 3\n",
            &|_| false,
        );
        let lines: Vec<u32> = out
            .problems
            .iter()
            .filter(|p| p.warning)
            .map(|p| p.pos.line)
            .collect();
        assert_eq!(lines, vec![4, 5], "{:?}", out.problems);
        let mut bomb = String::from("kind: Secret\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..8 {
            let p = i - 1;
            bomb.push_str(&format!("a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"));
        }
        let (docs, out) = parse_keeping(&bomb, &|_| false);
        assert!(docs.is_empty());
        assert!(
            out.problems[0].message.contains("alias expansion"),
            "{:?}",
            out.problems
        );
        let limits = Limits {
            max_depth: 3,
            ..Limits::default()
        };
        let out = parse_documents_keeping(
            "kind: Secret\nx: [[[[[1]]]]]\n",
            &limits,
            Some(&|_| false),
            |_| {},
        );
        assert!(
            out.problems[0].message.contains("nesting deeper"),
            "{:?}",
            out.problems
        );
    }

    #[test]
    fn a_second_kind_that_is_wanted_fails_the_document() {
        let (docs, out) = parse_keeping("kind: Secret\nspec: {a: 1}\nkind: Deployment\n", &|k| {
            k == "Deployment"
        });
        assert!(docs.is_empty());
        assert_eq!(out.problems[0].pos.line, 3);
        assert!(out.problems[0].message.contains("two `kind` keys"));
    }

    #[test]
    fn lists_are_always_built() {
        let (docs, _) = parse_keeping("kind: List\nitems:\n- kind: Secret\n", &|_| false);
        assert!(!docs[0].kind_skipped);
        assert_eq!(docs[0].value["items"][0]["kind"], "Secret");
    }

    #[test]
    fn positions_at_the_end_of_a_text_without_final_break_stay_inside() {
        // saphyr puts the empty key of the trailing `?` on line 5, after the text.
        let (docs, _) = parse("\n\n?\n  ");
        let end = Pos { line: 4, column: 3 };
        assert_eq!(docs[0].spans.exact("/"), Some(end));
        assert!(docs[0].spans.iter().all(|(_, p)| p <= end));
        let (docs, _) = parse("a:\r\n  b: \r\n");
        assert!(docs[0].spans.iter().all(|(_, p)| p.line <= 3));
    }

    #[test]
    fn subtree_rebases_list_items() {
        let (docs, _) = parse("kind: List\nitems:\n- kind: A\n  metadata:\n    name: x\n");
        let sub = docs[0].spans.subtree("/items/0");
        assert_eq!(
            sub.exact("/metadata/name"),
            Some(Pos { line: 5, column: 5 })
        );
    }
}
