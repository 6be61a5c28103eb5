//! A read-only document tree that costs a fraction of `serde_json::Value`.
//!
//! Rules read kept objects until the report is written, and a `Value` tree spends about
//! 160 bytes per mapping entry (an 80-byte `Value`, an `IndexMap` bucket and hash slot, a
//! heap string per key): 100k Deployments held 1 GB. A [`Tree`] is one array of words
//! (4 bytes a node, 2 a key) and one byte buffer (a tag byte per node, then the text) per
//! document, well under a sixth of that. Mapping keys are not nodes: close to half of a Kubernetes object's
//! fields are keys, so a mapping's children are its values only, and each value carries
//! its key as a 2-byte number in the process's key table (`text::keys`), with the rare
//! key the table does not hold kept in the text. It keeps everything a `Value` says, in
//! the same order, so [`Node::to_value`] gives back the very `Value` it was made from
//! (reports and fix patches are built from that; a test holds it).

use serde_json::{Map, Number, Value};
use std::fmt;

/// One document, immutable once built.
///
/// Two allocations, whatever its shape: every object of a fleet holds one, so each
/// handle and allocation counts. `words` is laid out as
/// - `n`, the number of nodes, and `e`, the number of escaped nodes;
/// - node `i`'s slot at `2 + i` (its [`Tag`] is byte `i` of `text`): its `(a, b)` packed
///   in one word (see [`pack`]), or 0 with [`ESCAPED`] set in its tag byte when they do
///   not fit. Node 0 is the root. A container's children sit next to each other (a
///   mapping's values in order), so reading a field is a short scan;
/// - the nodes' keys, two 16-bit entries a word: node `i`'s key when it is a mapping's
///   value, its number in the key table or [`LONG_KEY`]; unused for other nodes;
/// - the escaped nodes' `node, a, b`, sorted by node (a float, a string past the first
///   MiB of text or longer than 4 KiB, a container of more than 4,095 items or whose
///   items start past node 2^20: rare in a Kubernetes object, so searched);
/// - keys the table does not hold (too long, or the table was full) as `node, offset,
///   length` in `text`, sorted by node. Rare, so searched rather than indexed.
#[derive(Clone, Default)]
pub struct Tree {
    words: Box<[u32]>,
    /// One tag byte per node (each an ASCII byte, so this stays a `str`), then every
    /// string and key of the document, one after another; string offsets count from the
    /// end of the tags.
    text: Box<str>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Tag {
    Null,
    False,
    True,
    /// `a | b << 32` is the number's bits: u64, i64 (negative) or f64, as serde_json keeps it.
    PosInt,
    NegInt,
    Float,
    /// `a` is the offset in `text`, `b` the length.
    Str,
    /// `a` is the index of the first child, `b` the number of items or entries.
    Seq,
    Map,
    /// A string held in the process's table of repeated values (`text::values`): `a` is
    /// its number there.
    Shared,
}

impl Tag {
    const ALL: [Tag; 10] = [
        Tag::Null,
        Tag::False,
        Tag::True,
        Tag::PosInt,
        Tag::NegInt,
        Tag::Float,
        Tag::Str,
        Tag::Seq,
        Tag::Map,
        Tag::Shared,
    ];
    /// A string, held in the tree or shared.
    pub(super) fn is_str(self) -> bool {
        matches!(self, Tag::Str | Tag::Shared)
    }
    /// Its place in [`Tag::ALL`] (the declaration order).
    pub(super) fn byte(self) -> u8 {
        self as u8
    }
    pub(super) fn of(byte: u8) -> Tag {
        Tag::ALL
            .get(usize::from(byte & !ESCAPED))
            .copied()
            .unwrap_or(Tag::Null)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Raw {
    pub(super) tag: Tag,
    pub(super) a: u32,
    pub(super) b: u32,
}

impl Raw {
    pub(super) fn bits(self) -> u64 {
        u64::from(self.a) | (u64::from(self.b) << 32)
    }
    pub(super) fn number(tag: Tag, bits: u64) -> Raw {
        Raw {
            tag,
            a: bits as u32,
            b: (bits >> 32) as u32,
        }
    }
}

/// Set in a node's tag byte when its `(a, b)` are kept among the escaped nodes (the tag
/// byte stays ASCII).
const ESCAPED: u8 = 0x10;
const _: () = assert!(Tag::ALL.len() <= ESCAPED as usize);

/// Bits of a packed string offset or first child; the rest of the word is the length.
const LOW_BITS: u32 = 20;
const LOW_MASK: u32 = (1 << LOW_BITS) - 1;
const HIGH_MAX: u32 = (1 << (32 - LOW_BITS)) - 1;

/// `(a, b)` of a node in one word, when they fit: a string's offset and length, a
/// container's first child and count (each below 2^20 and 2^12), an integer that fits
/// in 32 bits. Nulls and booleans have nothing to keep.
fn pack(r: Raw) -> Option<u32> {
    match r.tag {
        Tag::Null | Tag::False | Tag::True => Some(0),
        Tag::Str | Tag::Seq | Tag::Map => {
            (r.a <= LOW_MASK && r.b <= HIGH_MAX).then_some(r.a | (r.b << LOW_BITS))
        }
        Tag::PosInt => (r.b == 0).then_some(r.a),
        Tag::Shared => Some(r.a),
        Tag::NegInt => (r.b == u32::MAX).then_some(r.a),
        Tag::Float => None,
    }
}

/// The `(a, b)` [`pack`] put in `word`.
#[inline]
fn unpack(tag: Tag, word: u32) -> (u32, u32) {
    match tag {
        Tag::Str | Tag::Seq | Tag::Map => (word & LOW_MASK, word >> LOW_BITS),
        Tag::PosInt | Tag::Shared => (word, 0),
        Tag::NegInt => (word, u32::MAX),
        Tag::Null | Tag::False | Tag::True | Tag::Float => (0, 0),
    }
}

/// Key entry of a value whose key is kept in the text (see [`Tree`]'s long keys).
pub(super) const LONG_KEY: u16 = u16::MAX;
/// Key entry of a node that is not a mapping's value (never read).
pub(super) const UNKEYED: u16 = u16::MAX - 1;
// Every number the key table gives out fits below both markers.
const _: () = assert!(super::keys::MAX_KEYS <= UNKEYED as usize);

/// Tree sizes are bounded by --max-document-bytes long before u32 runs out; a larger
/// value (only possible from a caller building a tree by hand) saturates, and reads of
/// it then find nothing instead of something wrong.
pub(super) fn idx(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl Tree {
    /// The tree of `value`, in `value`'s order.
    pub fn from_value(value: &Value) -> Tree {
        thread_local! {
            /// Buffers reused by every tree built on this thread: a tree is written once,
            /// into these, and copied out at its exact size (growing per-tree buffers
            /// through every size left freed blocks between the kept ones, and peak RSS
            /// follows the holes; sizing first took a second walk of the value).
            static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::default();
        }
        SCRATCH.with(|cell| match cell.try_borrow_mut() {
            Ok(mut scratch) => build(value, &mut scratch),
            // Only if building re-entered itself (it does not): fresh buffers.
            Err(_) => build(value, &mut Scratch::default()),
        })
    }

    pub fn root(&self) -> Node<'_> {
        Node { tree: self, i: 0 }
    }

    /// How many nodes the tree has; [`Node::id`] is below it.
    pub fn len(&self) -> usize {
        self.words.first().map_or(0, |&n| n as usize)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many nodes are escaped (see [`Tree`]).
    fn escaped(&self) -> usize {
        self.words.get(1).map_or(0, |&e| e as usize)
    }

    /// Where the keys start in `words`.
    fn keys_at(&self) -> usize {
        2 + self.len()
    }

    /// Where the escaped nodes start in `words`.
    fn escapes_at(&self) -> usize {
        self.keys_at() + self.len().div_ceil(2)
    }

    /// Where the long keys start in `words`.
    fn long_keys_at(&self) -> usize {
        self.escapes_at() + 3 * self.escaped()
    }

    /// Node `i`'s tag and `(a, b)`; a null for a node the tree does not have.
    #[inline]
    fn raw_of(&self, i: usize) -> Raw {
        let (Some(&word), Some(&tag)) = (
            (i < self.len()).then(|| self.words.get(2 + i)).flatten(),
            self.text.as_bytes().get(i),
        ) else {
            return Raw::number(Tag::Null, 0);
        };
        let t = Tag::of(tag);
        let (a, b) = if tag & ESCAPED == 0 {
            unpack(t, word)
        } else {
            let escapes = self
                .words
                .get(self.escapes_at()..self.long_keys_at())
                .unwrap_or(&[]);
            let (records, _) = escapes.as_chunks::<3>();
            records
                .binary_search_by_key(&idx(i), |r| r[0])
                .ok()
                .and_then(|at| records.get(at))
                .map_or((0, 0), |&[_, a, b]| (a, b))
        };
        Raw { tag: t, a, b }
    }

    /// Text at `offset` (counted from the end of the tags), `len` bytes.
    fn text_at(&self, offset: u32, len: u32) -> &str {
        let a = (offset as usize).saturating_add(self.len());
        self.text
            .get(a..a.saturating_add(len as usize))
            .unwrap_or("")
    }

    /// The key of node `i` when it is a mapping's value ("" otherwise).
    fn key_of(&self, i: usize) -> &str {
        if i >= self.len() {
            return "";
        }
        let Some(&word) = self.words.get(self.keys_at() + i / 2) else {
            return "";
        };
        let entry = (word >> (16 * (i % 2))) as u16;
        if entry != LONG_KEY {
            return super::keys::key(u32::from(entry));
        }
        let long = self.words.get(self.long_keys_at()..).unwrap_or(&[]);
        let (records, _) = long.as_chunks::<3>();
        records
            .binary_search_by_key(&idx(i), |r| r[0])
            .ok()
            .and_then(|at| records.get(at))
            .map_or("", |&[_, offset, len]| self.text_at(offset, len))
    }
}

#[derive(Default)]
struct Scratch {
    slots: Vec<[u32; 2]>,
    tags: Vec<u8>,
    keys: Vec<u16>,
    long_keys: Vec<[u32; 3]>,
    text: Vec<u8>,
}

fn build(value: &Value, scratch: &mut Scratch) -> Tree {
    scratch.slots.clear();
    scratch.tags.clear();
    scratch.keys.clear();
    scratch.long_keys.clear();
    scratch.text.clear();
    super::keys::with_numbering(|numbering| {
        let mut b = Builder {
            slots: &mut scratch.slots,
            tags: &mut scratch.tags,
            keys: &mut scratch.keys,
            long_keys: &mut scratch.long_keys,
            text: &mut scratch.text,
            numbering,
        };
        b.reserve(1);
        b.fill(0, value);
    });
    assemble(
        &scratch.slots,
        &scratch.tags,
        &scratch.keys,
        &mut scratch.long_keys,
        &scratch.text,
    )
}

/// A tree from its parts: node `i`'s slot, tag and key at `i`, the long keys as `node,
/// offset, length` (any order), and the text the string offsets count in.
pub(super) fn assemble(
    slots: &[[u32; 2]],
    tags: &[u8],
    keys: &[u16],
    long: &mut [[u32; 3]],
    text: &[u8],
) -> Tree {
    // Slots packed into one word each where they fit, the others escaped.
    let mut packed = Vec::with_capacity(slots.len());
    let mut escapes: Vec<[u32; 3]> = Vec::new();
    let mut tag_bytes = Vec::with_capacity(tags.len() + text.len());
    for (i, (&[a, b], &tag)) in slots.iter().zip(tags).enumerate() {
        let raw = Raw {
            tag: Tag::of(tag),
            a,
            b,
        };
        match pack(raw) {
            Some(word) => {
                packed.push(word);
                tag_bytes.push(raw.tag.byte());
            }
            None => {
                packed.push(0);
                tag_bytes.push(raw.tag.byte() | ESCAPED);
                escapes.push([idx(i), a, b]);
            }
        }
    }
    // The tag bytes first, then the text (string offsets count from the end of the tags).
    let mut bytes = tag_bytes;
    bytes.extend_from_slice(text);
    // Tags are ASCII and the text came from `str`s: this is valid UTF-8, checked once
    // here instead of trusted.
    let text = String::from_utf8(bytes)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
    // Recorded as the walk met them, which is not node order across nesting levels.
    long.sort_unstable_by_key(|k| k[0]);
    let mut words = Vec::with_capacity(
        2 + packed.len() + keys.len().div_ceil(2) + 3 * (escapes.len() + long.len()),
    );
    words.push(idx(slots.len()));
    words.push(idx(escapes.len()));
    words.extend(packed);
    words.extend(
        keys.chunks(2)
            .map(|pair| u32::from(pair[0]) | (u32::from(pair.get(1).copied().unwrap_or(0)) << 16)),
    );
    words.extend(escapes.iter().flatten());
    words.extend(long.iter().flatten());
    Tree {
        words: words.into_boxed_slice(),
        text: text.into_boxed_str(),
    }
}

struct Builder<'s, 'n> {
    slots: &'s mut Vec<[u32; 2]>,
    /// One tag byte per node, beside `slots`.
    tags: &'s mut Vec<u8>,
    keys: &'s mut Vec<u16>,
    long_keys: &'s mut Vec<[u32; 3]>,
    text: &'s mut Vec<u8>,
    numbering: &'s mut super::keys::Numbering<'n>,
}

impl Builder<'_, '_> {
    /// Room for `n` more nodes, appended (a container's children sit together).
    fn reserve(&mut self, n: usize) -> usize {
        let first = self.slots.len();
        self.slots.resize(first + n, [0, 0]);
        self.tags.resize(first + n, Tag::Null.byte());
        self.keys.resize(first + n, UNKEYED);
        first
    }

    fn string(&mut self, s: &str) -> Raw {
        let a = idx(self.text.len());
        self.text.extend_from_slice(s.as_bytes());
        Raw {
            tag: Tag::Str,
            a,
            b: idx(s.len()),
        }
    }

    /// Write `value` into the already reserved slot `at`; its children are appended.
    fn fill(&mut self, at: usize, value: &Value) {
        let raw = match value {
            Value::Null => Raw::number(Tag::Null, 0),
            Value::Bool(false) => Raw::number(Tag::False, 0),
            Value::Bool(true) => Raw::number(Tag::True, 0),
            Value::Number(n) => {
                if let Some(u) = n.as_u64() {
                    Raw::number(Tag::PosInt, u)
                } else if let Some(i) = n.as_i64() {
                    Raw::number(Tag::NegInt, i as u64)
                } else {
                    Raw::number(Tag::Float, n.as_f64().unwrap_or(0.0).to_bits())
                }
            }
            Value::String(s) => self.string(s),
            Value::Array(items) => {
                let first = self.reserve(items.len());
                for (k, item) in items.iter().enumerate() {
                    self.fill(first + k, item);
                }
                Raw {
                    tag: Tag::Seq,
                    a: idx(first),
                    b: idx(items.len()),
                }
            }
            Value::Object(map) => {
                let first = self.reserve(map.len());
                for (k, (key, v)) in map.iter().enumerate() {
                    let at = first + k;
                    let held = self
                        .numbering
                        .number(key)
                        .and_then(|n| u16::try_from(n).ok());
                    let entry = match held {
                        Some(n) if n < UNKEYED => n,
                        _ => {
                            let r = self.string(key);
                            self.long_keys.push([idx(at), r.a, r.b]);
                            LONG_KEY
                        }
                    };
                    if let Some(slot) = self.keys.get_mut(at) {
                        *slot = entry;
                    }
                    self.fill(at, v);
                }
                Raw {
                    tag: Tag::Map,
                    a: idx(first),
                    b: idx(map.len()),
                }
            }
        };
        self.set(at, raw);
    }

    fn set(&mut self, at: usize, raw: Raw) {
        if let (Some(slot), Some(tag)) = (self.slots.get_mut(at), self.tags.get_mut(at)) {
            *slot = [raw.a, raw.b];
            *tag = raw.tag.byte();
        }
    }
}

/// A field of a [`Tree`]: a cheap handle with `Value`'s reading methods.
#[derive(Clone, Copy)]
pub struct Node<'t> {
    tree: &'t Tree,
    i: u32,
}

impl<'t> Node<'t> {
    #[inline]
    fn raw(&self) -> Raw {
        self.tree.raw_of(self.i as usize)
    }

    fn str_of(&self, r: Raw) -> &'t str {
        self.tree.str_of(r)
    }

    /// The node's index in its tree (0 for the root), for data kept beside the tree
    /// (positions: `text::NodePositions`).
    pub fn id(&self) -> usize {
        self.i as usize
    }

    fn child(&self, k: usize) -> Node<'t> {
        Node {
            tree: self.tree,
            i: idx((self.raw().a as usize).saturating_add(k)),
        }
    }

    pub fn is_null(&self) -> bool {
        self.raw().tag == Tag::Null
    }
    pub fn is_string(&self) -> bool {
        self.raw().tag.is_str()
    }
    pub fn is_array(&self) -> bool {
        self.raw().tag == Tag::Seq
    }
    pub fn is_object(&self) -> bool {
        self.raw().tag == Tag::Map
    }
    pub fn is_number(&self) -> bool {
        matches!(self.raw().tag, Tag::PosInt | Tag::NegInt | Tag::Float)
    }
    pub fn is_boolean(&self) -> bool {
        matches!(self.raw().tag, Tag::True | Tag::False)
    }

    pub fn as_str(&self) -> Option<&'t str> {
        let r = self.raw();
        r.tag.is_str().then(|| self.str_of(r))
    }
    pub fn as_bool(&self) -> Option<bool> {
        match self.raw().tag {
            Tag::True => Some(true),
            Tag::False => Some(false),
            _ => None,
        }
    }
    /// As `Value::as_i64`: integers that fit, not floats.
    pub fn as_i64(&self) -> Option<i64> {
        let r = self.raw();
        match r.tag {
            Tag::PosInt => i64::try_from(r.bits()).ok(),
            Tag::NegInt => Some(r.bits() as i64),
            _ => None,
        }
    }
    pub fn as_u64(&self) -> Option<u64> {
        let r = self.raw();
        (r.tag == Tag::PosInt).then(|| r.bits())
    }
    pub fn as_f64(&self) -> Option<f64> {
        let r = self.raw();
        match r.tag {
            Tag::PosInt => Some(r.bits() as f64),
            Tag::NegInt => Some(r.bits() as i64 as f64),
            Tag::Float => Some(f64::from_bits(r.bits())),
            _ => None,
        }
    }

    /// What kind of value this is, for messages ("a list", as `workload::json_type`).
    pub fn type_name(&self) -> &'static str {
        match self.raw().tag {
            Tag::Null => "null",
            Tag::False | Tag::True => "a boolean",
            Tag::PosInt | Tag::NegInt | Tag::Float => "a number",
            Tag::Str | Tag::Shared => "a string",
            Tag::Seq => "a list",
            Tag::Map => "a mapping",
        }
    }

    /// Items of a sequence, entries of a mapping; 0 for a scalar.
    pub fn len(&self) -> usize {
        let r = self.raw();
        match r.tag {
            Tag::Seq | Tag::Map => r.b as usize,
            _ => 0,
        }
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A mapping's value for `key` (the last one, as a `Value` built from YAML keeps).
    pub fn get(&self, key: &str) -> Option<Node<'t>> {
        let r = self.raw();
        if r.tag != Tag::Map {
            return None;
        }
        let first = r.a as usize;
        (0..r.b as usize)
            .find(|&k| self.tree.key_of(first.saturating_add(k)) == key)
            .map(|k| self.child(k))
    }

    /// A sequence's item `i`.
    pub fn index(&self, i: usize) -> Option<Node<'t>> {
        let r = self.raw();
        (r.tag == Tag::Seq && i < r.b as usize).then(|| self.child(i))
    }

    /// A sequence's items (None for anything else).
    pub fn items(&self) -> Option<impl ExactSizeIterator<Item = Node<'t>> + Clone + 't> {
        let r = self.raw();
        let this = *self;
        (r.tag == Tag::Seq).then(move || (0..r.b as usize).map(move |k| this.child(k)))
    }

    /// A mapping's entries in document order (None for anything else).
    pub fn entries(
        &self,
    ) -> Option<impl ExactSizeIterator<Item = (&'t str, Node<'t>)> + Clone + 't> {
        let r = self.raw();
        let this = *self;
        let first = r.a as usize;
        (r.tag == Tag::Map).then(move || {
            (0..r.b as usize)
                .map(move |k| (this.tree.key_of(first.saturating_add(k)), this.child(k)))
        })
    }

    /// The field at JSON pointer `pointer` (RFC 6901), as [`super::lookup`] on a `Value`.
    pub fn lookup(&self, pointer: &str) -> Option<Node<'t>> {
        let mut at = *self;
        for key in super::pos::pointer_keys(pointer)? {
            at = match at.raw().tag {
                Tag::Map => at.get(&key)?,
                Tag::Seq => at.index(super::pos::array_index(&key)?)?,
                _ => return None,
            };
        }
        Some(at)
    }

    /// The same field as an owned `Value`.
    pub fn to_value(&self) -> Value {
        value_of(self.tree, self.raw())
    }
}

/// Nodes read by index: a finished [`Tree`], or one still being written
/// (`super::tree_writer`), which needs a `Value` of a part now and then.
pub(super) trait Nodes {
    fn raw_at(&self, i: usize) -> Raw;
    /// The key of node `i` when it is a mapping's value.
    fn key_at(&self, i: usize) -> &str;
    /// `len` bytes of the nodes' own text from `offset`.
    fn text_at(&self, offset: u32, len: u32) -> &str;
    /// The text of a string node, its own or shared.
    fn str_of(&self, r: Raw) -> &str {
        match r.tag {
            Tag::Shared => super::values::value(r.a),
            _ => self.text_at(r.a, r.b),
        }
    }
}

impl Nodes for Tree {
    fn raw_at(&self, i: usize) -> Raw {
        self.raw_of(i)
    }
    fn key_at(&self, i: usize) -> &str {
        self.key_of(i)
    }
    fn text_at(&self, offset: u32, len: u32) -> &str {
        Tree::text_at(self, offset, len)
    }
}

/// The `Value` of node `r` of `nodes`.
pub(super) fn value_of<N: Nodes + ?Sized>(nodes: &N, r: Raw) -> Value {
    let child = |k: usize| nodes.raw_at((r.a as usize).saturating_add(k));
    match r.tag {
        Tag::Null => Value::Null,
        Tag::False => Value::Bool(false),
        Tag::True => Value::Bool(true),
        Tag::PosInt => Value::Number(Number::from(r.bits())),
        Tag::NegInt => Value::Number(Number::from(r.bits() as i64)),
        Tag::Float => Number::from_f64(f64::from_bits(r.bits()))
            .map(Value::Number)
            .unwrap_or(Value::Null),
        Tag::Str | Tag::Shared => Value::String(nodes.str_of(r).to_string()),
        Tag::Seq => Value::Array(
            (0..r.b as usize)
                .map(|k| value_of(nodes, child(k)))
                .collect(),
        ),
        Tag::Map => {
            let mut m = Map::with_capacity(r.b as usize);
            let first = r.a as usize;
            for k in 0..r.b as usize {
                let key = nodes.key_at(first.saturating_add(k));
                m.insert(key.to_string(), value_of(nodes, child(k)));
            }
            Value::Object(m)
        }
    }
}

impl fmt::Debug for Node<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_value())
    }
}

impl fmt::Debug for Tree {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.root().to_value())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample() -> Value {
        json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "karmada-apiserver", "labels": {"app": "a", "a/b": "c~d"}},
            "spec": {
                "replicas": 2,
                "template": {"spec": {"containers": [
                    {"name": "x", "image": "img:v1", "args": ["--a=b", "--c", "d"]},
                    {"name": "y", "command": null, "ok": true, "no": false}
                ]}},
                "neg": -3,
                "big": u64::MAX,
                "float": 1.5,
                "empty": {},
                "none": []
            }
        })
    }

    #[test]
    fn gives_back_the_value_it_was_made_from_in_the_same_order() {
        let v = sample();
        let t = Tree::from_value(&v);
        let back = t.root().to_value();
        assert_eq!(back, v);
        // Same order, so serialised reports do not change.
        assert_eq!(
            serde_json::to_string(&back).unwrap(),
            serde_json::to_string(&v).unwrap()
        );
        for scalar in [json!(null), json!("s"), json!(7), json!(-7), json!(0.25)] {
            assert_eq!(Tree::from_value(&scalar).root().to_value(), scalar);
        }
    }

    #[test]
    fn keys_too_long_for_the_key_table_read_back_at_every_level() {
        let long = |c: &str| c.repeat(super::super::keys::MAX_KEY_BYTES + 1);
        let (a, b, c) = (long("a"), long("b"), long("c"));
        // Long keys met out of node order: the outer map's second key after the inner ones.
        let v = json!({ &a: { &b: 1, "short": [ { &c: "x" } ] }, "kind": "K", &c: null });
        let t = Tree::from_value(&v);
        assert_eq!(t.root().to_value(), v);
        let keys: Vec<&str> = t.root().entries().unwrap().map(|(k, _)| k).collect();
        assert_eq!(keys, [a.as_str(), "kind", c.as_str()]);
        let inner = t.root().get(&a).unwrap();
        assert_eq!(inner.get(&b).and_then(|n| n.as_i64()), Some(1));
        let deep = format!("/{a}/short/0/{c}");
        assert_eq!(t.root().lookup(&deep).and_then(|n| n.as_str()), Some("x"));
        assert!(t.root().get(&c).unwrap().is_null());
        assert!(t.root().get(&b).is_none());
    }

    #[test]
    fn values_too_large_for_a_packed_slot_read_back_the_same() {
        // Past each packed field's range: a 5,000-byte string, a string after more than
        // a MiB of text, 5,000 items, children after node 2^20, 64-bit and negative
        // numbers, floats.
        let mut big_text: Vec<Value> = (0..300)
            .map(|i| json!(format!("{i:04}{}", "t".repeat(4000))))
            .collect();
        big_text.push(json!("after a MiB"));
        let many: Vec<Value> = (0..5_000).map(|i| json!(i)).collect();
        let nulls = vec![Value::Null; (1 << 20) + 5];
        let v = json!({
            "long": "s".repeat(5_000),
            "texts": big_text,
            "many": many,
            "nulls": nulls,
            "late": {"a": [1, -1, i64::MIN, u64::MAX, 4_294_967_296u64, 0.5, -2.5e300]},
        });
        let t = Tree::from_value(&v);
        assert_eq!(t.root().to_value(), v);
        assert!(t.escaped() > 0);
        let at = |p: &str| t.root().lookup(p).map(|n| n.to_value());
        assert_eq!(at("/texts/300"), Some(json!("after a MiB")));
        assert_eq!(at("/many/4999"), Some(json!(4999)));
        assert_eq!(at("/late/a/2"), Some(json!(i64::MIN)));
        assert_eq!(at("/late/a/1"), Some(json!(-1)));
        assert_eq!(
            t.root()
                .get("late")
                .and_then(|l| l.get("a"))
                .map(|a| a.len()),
            Some(7)
        );
        // A small object escapes nothing: one word a node.
        assert_eq!(
            Tree::from_value(&sample()).escaped(),
            2,
            "the float and u64::MAX"
        );
    }

    #[test]
    fn tags_survive_their_byte() {
        for t in Tag::ALL {
            assert_eq!(Tag::of(t.byte()), t);
            assert!(t.byte().is_ascii());
        }
    }

    #[test]
    fn reads_fields_as_the_value_reader_does() {
        let v = sample();
        let t = Tree::from_value(&v);
        for p in [
            "",
            "/kind",
            "/metadata/labels/a~1b",
            "/spec/replicas",
            "/spec/template/spec/containers/0/args/2",
            "/spec/template/spec/containers/1",
            "/spec/template/spec/containers/01",
            "/spec/template/spec/containers/2",
            "/spec/neg",
            "/spec/big",
            "/spec/float",
            "/spec/missing",
            "/kind/x",
            "nope",
        ] {
            let want = crate::text::lookup(&v, p).cloned();
            let got = t.root().lookup(p).map(|n| n.to_value());
            assert_eq!(got, want, "{p}");
        }
        let spec = t.root().get("spec").unwrap();
        assert_eq!(spec.get("replicas").and_then(|n| n.as_i64()), Some(2));
        assert_eq!(spec.get("neg").and_then(|n| n.as_i64()), Some(-3));
        assert_eq!(spec.get("big").and_then(|n| n.as_i64()), None);
        assert_eq!(spec.get("big").and_then(|n| n.as_u64()), Some(u64::MAX));
        assert_eq!(spec.get("float").and_then(|n| n.as_f64()), Some(1.5));
        assert!(spec.get("empty").unwrap().is_object());
        assert!(spec.get("none").unwrap().items().unwrap().next().is_none());
        let c = t
            .root()
            .lookup("/spec/template/spec/containers")
            .and_then(|n| n.items())
            .unwrap();
        assert_eq!(c.len(), 2);
        let keys: Vec<&str> = t.root().entries().unwrap().map(|(k, _)| k).collect();
        assert_eq!(keys, ["apiVersion", "kind", "metadata", "spec"]);
        assert_eq!(t.root().get("kind").unwrap().as_str(), Some("Deployment"));
        assert!(t.root().index(0).is_none());
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        fn any_value() -> impl Strategy<Value = Value> {
            let leaf = prop_oneof![
                Just(Value::Null),
                any::<bool>().prop_map(Value::Bool),
                any::<i64>().prop_map(|i| json!(i)),
                any::<u64>().prop_map(|u| json!(u)),
                (-1e9f64..1e9).prop_map(|f| json!(f)),
                "[a-z~/0-9 ]{0,6}".prop_map(Value::String),
            ];
            leaf.prop_recursive(4, 48, 6, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                    // Short keys go to the key table, long ones stay in the tree's text.
                    prop::collection::vec(
                        (
                            prop_oneof![4 => "[a-z~/0-9]{0,4}", 1 => "[a-z]{65,67}"],
                            inner
                        ),
                        0..6
                    )
                    .prop_map(|kv| Value::Object(kv.into_iter().collect())),
                ]
            })
        }

        /// Every pointer into `v`, escaped as RFC 6901 says, plus one missing child each.
        fn pointers(v: &Value, at: String, out: &mut Vec<String>) {
            out.push(at.clone());
            out.push(format!("{at}/missing"));
            match v {
                Value::Array(a) => {
                    for (i, item) in a.iter().enumerate() {
                        pointers(item, format!("{at}/{i}"), out);
                    }
                }
                Value::Object(m) => {
                    for (k, item) in m {
                        pointers(
                            item,
                            format!("{at}/{}", crate::text::escape_segment(k)),
                            out,
                        );
                    }
                }
                _ => {}
            }
        }

        proptest! {
            #[test]
            fn any_value_comes_back_whole_and_every_field_reads_the_same(v in any_value()) {
                let t = Tree::from_value(&v);
                let back = t.root().to_value();
                prop_assert_eq!(
                    serde_json::to_string(&back).unwrap(),
                    serde_json::to_string(&v).unwrap()
                );
                let mut ptrs = Vec::new();
                pointers(&v, String::new(), &mut ptrs);
                for p in ptrs {
                    let want = crate::text::lookup(&v, &p).cloned();
                    let got = t.root().lookup(&p).map(|n| n.to_value());
                    prop_assert_eq!(got, want, "{}", p);
                }
            }
        }
    }
}
