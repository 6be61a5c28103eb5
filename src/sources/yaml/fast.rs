//! A fast reader for the block YAML that manifests are nearly always written in.
//!
//! saphyr's scanner reads a character at a time through a look-ahead buffer and was
//! about half of a full check's CPU time. Manifests (`helm template`, `kubectl get -o
//! yaml`, hand-written files) use a small part of YAML: block mappings and sequences,
//! one-line plain and quoted scalars, plain scalars folded over lines (CRD descriptions),
//! one-line flow collections of scalars (`[a, "b"]`, `{k: v}`), `|` and `|-` literals,
//! comments and document markers. This reader handles exactly that part, line by line on
//! bytes, and produces the same events with the same positions as saphyr. On anything
//! else (anchors, aliases, tags, nested or multi-line flows, `>` and `|+` scalars,
//! escapes, tabs, non-ASCII text, every syntax error) it stops with [`Unsupported`] and
//! the caller reads the file with saphyr, so errors and rare constructs get saphyr's
//! exact behaviour.
//!
//! The events of every document completed before stopping are saphyr's, event for event
//! and position for position (the tests compare both readers on every fixture, on corner
//! cases and on mutated copies), so those documents are kept and saphyr skips them; what
//! was read of the document it stopped in is dropped.

use std::borrow::Cow;

use saphyr_parser::{Event, Marker, ScalarStyle, Span};

/// The text needs saphyr; `documents` documents were completed before this reader stopped.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Unsupported {
    pub documents: usize,
}

/// Longest plain key handled here; YAML limits implicit keys to 1024 characters and
/// saphyr's error for longer ones is left to saphyr.
const MAX_KEY: usize = 1000;

/// Deepest nesting read here, far beyond any manifest's.
const MAX_DEPTH: usize = 64;

/// Read `src`, handing each event to `on` as it is produced.
pub(super) fn events<'a>(src: &'a str, on: impl FnMut(Event<'a>, Span)) -> Result<(), Unsupported> {
    let mut s = Scanner {
        src,
        b: src.as_bytes(),
        on,
        at: 0,
        no: 1,
        ascii: src.is_ascii(),
        chars: 0,
        counted: std::cell::Cell::new((usize::MAX, 0, 0)),
        stack: Vec::new(),
        pending: Pending::None,
        in_doc: false,
        root_started: false,
        documents: 0,
    };
    match s.run() {
        Ok(()) => Ok(()),
        Err(Stop) => Err(Unsupported {
            documents: s.documents,
        }),
    }
}

struct Stop;
type R = Result<(), Stop>;

#[derive(Clone, Copy)]
struct Line {
    start: usize,
    end: usize,
    no: usize,
    /// Characters before the line (saphyr's positions count characters, not bytes).
    chars: usize,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Map,
    Seq { indentless: bool },
}

struct Block {
    indent: usize,
    kind: Kind,
}

/// A node announced by `key:` or `-` with nothing after it on its line: the next
/// line decides whether it is a nested block or an empty scalar (written at `at`).
#[derive(Clone, Copy)]
enum Pending {
    None,
    Value { indent: usize, at: Span },
    Item { dash: usize, at: Span },
}

struct Scanner<'a, F> {
    src: &'a str,
    b: &'a [u8],
    on: F,
    /// Start of the next unread line, its number (1-based), and the characters before it.
    at: usize,
    no: usize,
    chars: usize,
    /// The whole text is ASCII: characters are bytes.
    ascii: bool,
    /// Outside ASCII: the line start, byte column and character column last counted.
    counted: std::cell::Cell<(usize, usize, usize)>,
    stack: Vec<Block>,
    pending: Pending,
    in_doc: bool,
    root_started: bool,
    documents: usize,
}

/// Text this reader never handles: tabs, carriage returns and other control characters,
/// DEL, and outside ASCII the characters YAML treats specially (C1 controls and NEL, the
/// byte order mark, line and paragraph separators, non-characters): saphyr has its own
/// rules for those.
fn readable(src: &str, ascii: bool) -> bool {
    let mut bad = false;
    for chunk in src.as_bytes().chunks(64) {
        for &c in chunk {
            bad |= c == 0x7f || (c < 0x20 && c != b'\n');
        }
        if bad {
            return false;
        }
    }
    ascii
        || !src.chars().any(|c| {
            matches!(
                c,
                '\u{80}'
                    ..='\u{9f}' | '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}'
            )
        })
}

impl<'a, F: FnMut(Event<'a>, Span)> Scanner<'a, F> {
    fn run(&mut self) -> R {
        if !readable(self.src, self.ascii) {
            return Err(Stop);
        }
        let origin = mark(0, 1, 0);
        (self.on)(Event::StreamStart, origin);
        while let Some(line) = self.take_line() {
            self.line(line)?;
        }
        // saphyr puts the end of the text on the line after the last one, even when the
        // text does not end with a line break: the number of the next line to read.
        let eof = mark(self.chars, self.no, 0);
        if self.in_doc {
            self.end_document(eof);
        }
        (self.on)(Event::StreamEnd, eof);
        Ok(())
    }

    fn peek_line(&self) -> Option<Line> {
        if self.at >= self.b.len() {
            return None;
        }
        let end = memchr::memchr(b'\n', &self.b[self.at..]).map_or(self.b.len(), |e| self.at + e);
        Some(Line {
            start: self.at,
            end,
            no: self.no,
            chars: self.chars,
        })
    }

    fn take_line(&mut self) -> Option<Line> {
        let line = self.peek_line()?;
        self.at = line.end + 1;
        self.no += 1;
        // The line's characters and its line break (the last line may have none).
        let in_line = if self.ascii {
            line.end - line.start
        } else {
            self.src[line.start..line.end].chars().count()
        };
        self.chars = line.chars + in_line + usize::from(line.end < self.b.len());
        Some(line)
    }

    fn text(&self, line: Line) -> &'a [u8] {
        &self.b[line.start..line.end]
    }

    fn str(&self, line: Line, from: usize, to: usize) -> &'a str {
        &self.src[line.start + from..line.start + to]
    }

    /// Where column `col` (in bytes) of `line` is, as saphyr counts: in characters.
    fn at(&self, line: Line, col: usize) -> Span {
        if self.ascii {
            return mark(line.start + col, line.no, col);
        }
        // Counted on from the last column asked for on the same line (marks come left
        // to right), so a long line of many scalars is not counted over and over.
        let (start, from, counted) = match self.counted.get() {
            (s, b, c) if s == line.start && b <= col => (s, b, c),
            _ => (line.start, 0, 0),
        };
        let c = counted + self.src[start + from..start + col].chars().count();
        self.counted.set((line.start, col, c));
        mark(line.chars + c, line.no, c)
    }

    fn emit(&mut self, ev: Event<'a>, span: Span) {
        (self.on)(ev, span);
    }

    /// The next line with content is indented more than the open block: it continues
    /// a plain scalar ending this line (or is an error saphyr reports).
    fn continues(&self) -> bool {
        let parent = self.stack.last().map_or(0, |b| b.indent);
        let mut i = self.at;
        let mut ind = 0;
        while i < self.b.len() {
            match self.b[i] {
                b' ' => ind += 1,
                b'\n' => ind = 0,
                _ => return ind > parent,
            }
            i += 1;
        }
        false
    }

    fn line(&mut self, line: Line) -> R {
        let t = self.text(line);
        let ind = skip_spaces(t, 0);
        if ind == t.len() || t[ind] == b'#' {
            return Ok(());
        }
        if ind == 0 {
            if marker(t, b'-') {
                return self.document_marker(line, true);
            }
            if marker(t, b'.') {
                return self.document_marker(line, false);
            }
            if t[0] == b'%' {
                return Err(Stop);
            }
        }
        self.content(line, ind)
    }

    /// `---` (start) or `...` (end) at the start of `line`.
    fn document_marker(&mut self, line: Line, start: bool) -> R {
        if !rest_is_blank(self.text(line), 3) {
            return Err(Stop);
        }
        let m = self.at(line, 0);
        if self.in_doc {
            self.end_document(m);
        } else if !start {
            return Err(Stop);
        }
        if start {
            self.emit(Event::DocumentStart(true), m);
            self.in_doc = true;
            self.root_started = false;
        }
        Ok(())
    }

    /// Close everything open at `m` and end the document there.
    fn end_document(&mut self, m: Span) {
        self.settle_pending();
        while let Some(b) = self.stack.pop() {
            self.emit(end_of(b.kind), m);
        }
        if !self.root_started {
            self.emit(empty(), m);
        }
        self.emit(Event::DocumentEnd, m);
        self.in_doc = false;
        self.root_started = false;
        self.documents += 1;
    }

    /// A pending node that no nested block followed is an empty scalar.
    fn settle_pending(&mut self) {
        match std::mem::replace(&mut self.pending, Pending::None) {
            Pending::None => {}
            Pending::Value { at, .. } | Pending::Item { at, .. } => self.emit(empty(), at),
        }
    }

    /// A line with content starting at column `ind`.
    fn content(&mut self, line: Line, ind: usize) -> R {
        let t = self.text(line);
        match self.pending {
            Pending::Value { indent, .. } if ind > indent => {
                self.pending = Pending::None;
                return self.open_node(line, ind);
            }
            Pending::Value { indent, .. } if ind == indent && is_entry(t, ind) => {
                self.pending = Pending::None;
                let (entry, value) = entry_at(t, ind);
                let m = self.at(line, entry);
                self.push(ind, Kind::Seq { indentless: true })?;
                self.emit(Event::SequenceStart(0, None), m);
                return self.entry(line, ind, m, value);
            }
            Pending::Item { dash, .. } if ind > dash => {
                self.pending = Pending::None;
                return self.open_node(line, ind);
            }
            _ => self.settle_pending(),
        }
        let m = self.at(line, ind);
        while let Some(top) = self.stack.last() {
            if top.indent <= ind {
                break;
            }
            let kind = top.kind;
            self.stack.pop();
            self.emit(end_of(kind), m);
        }
        let Some(top) = self.stack.last() else {
            if self.root_started {
                return Err(Stop);
            }
            if !self.in_doc {
                self.emit(Event::DocumentStart(false), m);
                self.in_doc = true;
            }
            self.root_started = true;
            return self.open_node(line, ind);
        };
        if top.indent != ind {
            // More indented than the open block with nothing announced: a scalar
            // continued on the next line, or an error.
            return Err(Stop);
        }
        match top.kind {
            Kind::Seq { indentless } => {
                if is_entry(t, ind) {
                    let (entry, value) = entry_at(t, ind);
                    let em = self.at(line, entry);
                    return self.entry(line, ind, em, value);
                }
                if !indentless {
                    return Err(Stop);
                }
                self.stack.pop();
                self.emit(Event::SequenceEnd, m);
                match self.stack.last() {
                    Some(Block {
                        indent,
                        kind: Kind::Map,
                    }) if *indent == ind => self.key_line(line, ind),
                    _ => Err(Stop),
                }
            }
            Kind::Map => {
                if is_entry(t, ind) {
                    return Err(Stop);
                }
                self.key_line(line, ind)
            }
        }
    }

    /// A block collection starts at column `col` of `line`.
    fn open_node(&mut self, line: Line, col: usize) -> R {
        if is_entry(self.text(line), col) {
            return self.open_seq(line, col);
        }
        match self.key(line, col)? {
            Some(key) => self.open_map(line, col, key),
            None => Err(Stop),
        }
    }

    fn open_seq(&mut self, line: Line, col: usize) -> R {
        self.push(col, Kind::Seq { indentless: false })?;
        self.emit(Event::SequenceStart(0, None), self.at(line, col));
        let (entry, value) = entry_at(self.text(line), col);
        let em = self.at(line, entry);
        self.entry(line, col, em, value)
    }

    fn open_map(&mut self, line: Line, col: usize, key: Key<'a>) -> R {
        self.push(col, Kind::Map)?;
        self.emit(Event::MappingStart(0, None), self.at(line, col));
        self.key_rest(line, col, key)
    }

    fn push(&mut self, indent: usize, kind: Kind) -> R {
        if self.stack.len() >= MAX_DEPTH {
            // Entries nest by recursion (`- - - x`); deep nesting is saphyr's, and the
            // document builder's depth limit then reports it.
            return Err(Stop);
        }
        self.stack.push(Block { indent, kind });
        Ok(())
    }

    /// The rest of a `-` entry whose dash is at `dash`; `value` is where its node starts
    /// on this line, if it does.
    fn entry(&mut self, line: Line, dash: usize, at: Span, value: Option<usize>) -> R {
        let Some(v) = value else {
            self.pending = Pending::Item { dash, at };
            return Ok(());
        };
        if is_entry(self.text(line), v) {
            return self.open_seq(line, v);
        }
        match self.key(line, v)? {
            Some(key) => self.open_map(line, v, key),
            None => self.value(line, v),
        }
    }

    fn key_line(&mut self, line: Line, col: usize) -> R {
        let Some(key) = self.key(line, col)? else {
            return Err(Stop);
        };
        self.key_rest(line, col, key)
    }

    fn key_rest(&mut self, line: Line, col: usize, key: Key<'a>) -> R {
        let m = self.at(line, col);
        self.emit(Event::Scalar(key.text, key.style, 0, None), m);
        let t = self.text(line);
        let v = skip_spaces(t, key.colon + 1);
        if v == t.len() || t[v] == b'#' {
            self.pending = Pending::Value {
                indent: col,
                at: self.at(line, key.colon),
            };
            return Ok(());
        }
        self.value(line, v)
    }

    /// A mapping key at `col`, or None when the line holds no `key:` there.
    fn key(&self, line: Line, col: usize) -> Result<Option<Key<'a>>, Stop> {
        let t = self.text(line);
        let (text, style, after) = match t[col] {
            b'"' | b'\'' => {
                let (text, style, after) = self.quoted(line, col)?;
                if after < t.len() && t[after] == b':' && colon_ends(t, after) {
                    (text, style, after)
                } else if rest_is_blank(t, after) {
                    return Ok(None);
                } else {
                    return Err(Stop);
                }
            }
            c if !plain_first(t, col, c) => return Ok(None),
            _ => {
                let Some(colon) = find_colon(t, col) else {
                    return Ok(None);
                };
                let end = trim_end(t, col, colon);
                if end - col > MAX_KEY {
                    return Err(Stop);
                }
                (
                    Cow::Borrowed(self.str(line, col, end)),
                    ScalarStyle::Plain,
                    colon,
                )
            }
        };
        Ok(Some(Key {
            text,
            style,
            colon: after,
        }))
    }

    /// A value starting at `v` on `line` (after `key: ` or `- `).
    fn value(&mut self, line: Line, v: usize) -> R {
        let t = self.text(line);
        let m = self.at(line, v);
        let rest = match t[v] {
            b'"' | b'\'' => {
                let (text, style, after) = self.quoted(line, v)?;
                self.emit(Event::Scalar(text, style, 0, None), m);
                after
            }
            b'{' | b'[' => self.flow(line, v)?,
            b'|' => return self.literal(line, v),
            c if plain_first(t, v, c) => {
                let end = plain_end(t, v)?;
                // Nothing after it on the line, and the next line goes on with it.
                let folds = !t[end..].contains(&b'#') && self.continues();
                let text = if folds {
                    self.folded(self.str(line, v, end))?
                } else {
                    Cow::Borrowed(self.str(line, v, end))
                };
                self.emit(Event::Scalar(text, ScalarStyle::Plain, 0, None), m);
                end
            }
            _ => return Err(Stop),
        };
        if rest_is_blank(t, rest) {
            Ok(())
        } else {
            Err(Stop)
        }
    }

    /// A plain scalar that goes on in the lines below its first (`first`, trimmed):
    /// YAML folds them, a line break into a space and each empty line between into a
    /// line break (CRD descriptions are written so). A continuation line with a comment
    /// or a `: ` is saphyr's.
    fn folded(&mut self, first: &'a str) -> Result<Cow<'a, str>, Stop> {
        let parent = self.stack.last().map_or(0, |b| b.indent);
        let mut s = String::from(first);
        let mut breaks = 0usize;
        while let Some(l) = self.peek_line() {
            let lt = self.text(l);
            let ind = skip_spaces(lt, 0);
            if ind == lt.len() {
                breaks += 1;
            } else if ind <= parent {
                break;
            } else {
                let end = plain_end(lt, ind)?;
                if lt[ind] == b'#' || end < lt.len() && lt[end..].contains(&b'#') {
                    return Err(Stop);
                }
                if breaks == 0 {
                    s.push(' ');
                }
                for _ in 0..breaks {
                    s.push('\n');
                }
                breaks = 0;
                s.push_str(self.str(l, ind, end));
            }
            self.take_line();
        }
        Ok(Cow::Owned(s))
    }

    /// A one-line flow collection of scalars (`[a, "b"]`, `{k: v}`, `{}`) opening at
    /// `v`; the column after it. Nested, multi-line and empty-entry flows are saphyr's.
    fn flow(&mut self, line: Line, v: usize) -> Result<usize, Stop> {
        let t = self.text(line);
        let map = t[v] == b'{';
        let close = if map { b'}' } else { b']' };
        self.emit(
            if map {
                Event::MappingStart(0, None)
            } else {
                Event::SequenceStart(0, None)
            },
            self.at(line, v),
        );
        let mut p = skip_spaces(t, v + 1);
        if t.get(p) != Some(&close) {
            loop {
                p = self.flow_scalar(line, p, map)?;
                if map {
                    if t.get(p) != Some(&b':') || t.get(p + 1) != Some(&b' ') {
                        return Err(Stop);
                    }
                    p = self.flow_scalar(line, skip_spaces(t, p + 1), false)?;
                }
                match t.get(p) {
                    Some(&b',') => p = skip_spaces(t, p + 1),
                    Some(&c) if c == close => break,
                    _ => return Err(Stop),
                }
            }
        }
        let end = if map {
            Event::MappingEnd
        } else {
            Event::SequenceEnd
        };
        self.emit(end, self.at(line, p));
        Ok(p + 1)
    }

    /// One scalar inside a flow collection at `p`; the column after it and the spaces
    /// that follow. A key (`key`) ends at `: `; every other scalar at `,` or the close.
    fn flow_scalar(&mut self, line: Line, p: usize, key: bool) -> Result<usize, Stop> {
        let t = self.text(line);
        let m = self.at(line, p);
        let (text, style, after) = match t.get(p) {
            Some(b'"' | b'\'') => self.quoted(line, p)?,
            Some(&c)
                if plain_first(t, p, c)
                    && !(c == b'-'
                        && matches!(t.get(p + 1), Some(b',' | b'[' | b']' | b'{' | b'}'))) =>
            {
                let stop = t[p..]
                    .iter()
                    .position(|&c| matches!(c, b',' | b'[' | b']' | b'{' | b'}' | b'#' | b':'))
                    .map_or(t.len(), |n| p + n);
                match t.get(stop) {
                    Some(b',' | b']' | b'}') => {}
                    Some(b':') if key && t.get(stop + 1) == Some(&b' ') => {}
                    _ => return Err(Stop),
                }
                let end = trim_end(t, p, stop);
                if end == p {
                    return Err(Stop);
                }
                (
                    Cow::Borrowed(self.str(line, p, end)),
                    ScalarStyle::Plain,
                    end,
                )
            }
            _ => return Err(Stop),
        };
        self.emit(Event::Scalar(text, style, 0, None), m);
        Ok(skip_spaces(t, after))
    }

    /// A one-line quoted scalar opening at `col`: its text, style, and the column after
    /// its closing quote.
    fn quoted(&self, line: Line, col: usize) -> Result<(Cow<'a, str>, ScalarStyle, usize), Stop> {
        let t = self.text(line);
        let q = t[col];
        if q == b'"' {
            let Some(len) = memchr::memchr2(b'"', b'\\', &t[col + 1..]) else {
                return Err(Stop);
            };
            let close = col + 1 + len;
            if t[close] == b'\\' {
                return Err(Stop);
            }
            return Ok((
                Cow::Borrowed(self.str(line, col + 1, close)),
                ScalarStyle::DoubleQuoted,
                close + 1,
            ));
        }
        let mut owned: Option<String> = None;
        let mut from = col + 1;
        loop {
            let Some(len) = memchr::memchr(b'\'', &t[from..]) else {
                return Err(Stop);
            };
            let q = from + len;
            if t.get(q + 1) == Some(&b'\'') {
                owned
                    .get_or_insert_with(String::new)
                    .push_str(self.str(line, from, q + 1));
                from = q + 2;
                continue;
            }
            let text = match owned {
                Some(mut s) => {
                    s.push_str(self.str(line, from, q));
                    Cow::Owned(s)
                }
                None => Cow::Borrowed(self.str(line, from, q)),
            };
            return Ok((text, ScalarStyle::SingleQuoted, q + 1));
        }
    }

    /// A `|` or `|-` literal whose indicator is at `v`; reads the lines below it.
    fn literal(&mut self, line: Line, v: usize) -> R {
        let t = self.text(line);
        let mut k = v + 1;
        let strip = t.get(k) == Some(&b'-');
        if strip {
            k += 1;
        }
        if k < t.len() && t[k] != b' ' || !rest_is_blank(t, k) {
            return Err(Stop);
        }
        let parent = self.stack.last().map_or(0, |b| b.indent);
        let first = self.peek_line().ok_or(Stop)?;
        let ft = self.text(first);
        let n = skip_spaces(ft, 0);
        if n == ft.len() || n <= parent {
            // Leading empty lines or an empty literal: saphyr's rules for those.
            return Err(Stop);
        }
        let m = self.at(first, n);
        let mut value = String::new();
        let mut blank_run = 0usize;
        let mut last_end = 0usize;
        while let Some(l) = self.peek_line() {
            let lt = self.text(l);
            let s = skip_spaces(lt, 0);
            if s == lt.len() {
                if s > n {
                    return Err(Stop);
                }
                blank_run += 1;
            } else if s >= n {
                for _ in 0..blank_run {
                    value.push('\n');
                }
                blank_run = 0;
                if !value.is_empty() {
                    value.push('\n');
                }
                value.push_str(self.str(l, n, lt.len()));
                last_end = l.end;
            } else {
                break;
            }
            self.take_line();
        }
        if last_end >= self.b.len() {
            // The literal's last line has no line break: chomping differs there.
            return Err(Stop);
        }
        if !strip {
            value.push('\n');
        }
        self.emit(
            Event::Scalar(Cow::Owned(value), ScalarStyle::Literal, 0, None),
            m,
        );
        Ok(())
    }
}

struct Key<'a> {
    text: Cow<'a, str>,
    style: ScalarStyle,
    /// Column of the `:` after the key.
    colon: usize,
}

fn mark(index: usize, line: usize, col: usize) -> Span {
    let m = Marker::new(index, line, col);
    Span::new(m, m)
}

fn empty<'a>() -> Event<'a> {
    Event::Scalar(Cow::Borrowed(""), ScalarStyle::Plain, 0, None)
}

fn end_of<'a>(kind: Kind) -> Event<'a> {
    match kind {
        Kind::Map => Event::MappingEnd,
        Kind::Seq { .. } => Event::SequenceEnd,
    }
}

/// `---` or `...` (by `c`) at the start of `t`, alone or followed by a space.
fn marker(t: &[u8], c: u8) -> bool {
    t.len() >= 3 && t[..3] == [c, c, c] && (t.len() == 3 || t[3] == b' ')
}

/// A `-` entry indicator at `col`.
fn is_entry(t: &[u8], col: usize) -> bool {
    t[col] == b'-' && (col + 1 == t.len() || t[col + 1] == b' ')
}

/// For an entry whose dash is at `col`: where saphyr marks the entry (its content, or
/// the end of the line when there is none), and the content's column if any.
fn entry_at(t: &[u8], col: usize) -> (usize, Option<usize>) {
    let v = skip_spaces(t, col + 1);
    if v == t.len() || t[v] == b'#' {
        (t.len(), None)
    } else {
        (v, Some(v))
    }
}

fn skip_spaces(t: &[u8], from: usize) -> usize {
    from + t[from.min(t.len())..]
        .iter()
        .take_while(|&&c| c == b' ')
        .count()
}

/// Nothing but spaces from `from`, or spaces and then a comment.
fn rest_is_blank(t: &[u8], from: usize) -> bool {
    let p = skip_spaces(t, from);
    p >= t.len() || (t[p] == b'#' && p > from)
}

/// A `:` at `at` that ends a key: followed by a space or the end of the line.
fn colon_ends(t: &[u8], at: usize) -> bool {
    at + 1 == t.len() || t[at + 1] == b' '
}

/// `c` at `col` can start a plain scalar here (indicators cannot, except `-` before
/// a non-space; `?` and `:` starts are left to saphyr).
fn plain_first(t: &[u8], col: usize, c: u8) -> bool {
    match c {
        b'-' => t.get(col + 1).is_some_and(|&n| n != b' '),
        b'?' | b':' | b',' | b'[' | b']' | b'{' | b'}' | b'#' | b'&' | b'*' | b'!' | b'|'
        | b'>' | b'\'' | b'"' | b'%' | b'@' | b'`' => false,
        _ => true,
    }
}

/// The `:` ending a plain key that starts at `col`, unless a comment comes first.
fn find_colon(t: &[u8], col: usize) -> Option<usize> {
    let mut from = col;
    while let Some(len) = memchr::memchr2(b':', b'#', &t[from..]) {
        let p = from + len;
        if t[p] == b'#' {
            if t[p - 1] == b' ' {
                return None;
            }
        } else if colon_ends(t, p) {
            return Some(p);
        }
        from = p + 1;
    }
    None
}

/// End of a plain value starting at `v` (before a comment and trailing spaces). A
/// `: ` inside it is an error saphyr reports, so it is left to saphyr.
fn plain_end(t: &[u8], v: usize) -> Result<usize, Stop> {
    let mut from = v;
    let mut end = t.len();
    while let Some(len) = memchr::memchr2(b':', b'#', &t[from..]) {
        let p = from + len;
        if t[p] == b'#' {
            if t[p - 1] == b' ' {
                end = p;
                break;
            }
        } else if colon_ends(t, p) {
            return Err(Stop);
        }
        from = p + 1;
    }
    Ok(trim_end(t, v, end))
}

fn trim_end(t: &[u8], from: usize, mut end: usize) -> usize {
    while end > from && t[end - 1] == b' ' {
        end -= 1;
    }
    end
}

#[cfg(test)]
mod tests {
    //! The fast reader must agree with saphyr event for event, position for position,
    //! on everything it hands out: on every fixture, on hand-written corner cases, and on
    //! mutated copies of the fixtures (where it usually has to stop early).

    use super::super::fixture_files;
    use super::*;
    use saphyr_parser::Parser;

    type Ev = (String, usize, usize, usize);

    fn ev(e: &Event<'_>, s: &Span) -> Ev {
        (
            format!("{e:?}"),
            s.start.index(),
            s.start.line(),
            s.start.col(),
        )
    }

    fn saphyr(src: &str) -> Vec<Ev> {
        let mut out = Vec::new();
        let mut p = Parser::new_from_str(src);
        while let Some(Ok((e, s))) = p.next_event() {
            out.push(ev(&e, &s));
            if matches!(e, Event::StreamEnd) {
                break;
            }
        }
        out
    }

    /// Checks the agreement; true when the fast reader read the whole text.
    fn agrees(src: &str) -> bool {
        let mut got = Vec::new();
        let r = events(src, |e, s| got.push(ev(&e, &s)));
        let want = saphyr(src);
        let first_difference = || {
            let i = got.iter().zip(&want).take_while(|(a, b)| a == b).count();
            format!(
                "on {src:?}\nfirst difference at event {i}: fast {:?}, saphyr {:?}",
                got.get(i),
                want.get(i)
            )
        };
        match r {
            Ok(()) => {
                assert!(got == want, "whole read differs {}", first_difference());
                true
            }
            Err(Unsupported { documents }) => {
                // What it read of the document it stopped in is dropped; the documents
                // it completed are kept, so those must be saphyr's, and saphyr must
                // complete them too (not stop with an error first).
                let kept = got
                    .iter()
                    .rposition(|e| e.0 == "DocumentEnd")
                    .map_or(0, |i| i + 1);
                assert!(
                    kept <= want.len() && got[..kept] == want[..kept],
                    "completed documents differ {}",
                    first_difference()
                );
                let ends = got[..kept].iter().filter(|e| e.0 == "DocumentEnd").count();
                assert_eq!(documents, ends, "documents completed before stopping");
                false
            }
        }
    }

    #[test]
    fn reads_manifest_yaml_as_saphyr_does() {
        let cases = [
            "a: 1\n",
            "a: 1",
            "",
            "\n\n",
            "# only a comment",
            "# only a comment\n",
            "---\n",
            "---",
            "--- # c\na: 1\n",
            "a: 1\n---\nb: 2\n...\n",
            "a: 1\n...\n---\nb: 2\n",
            "a: 1\n...\nb: 2\n",
            "---\n---\n...\n",
            "a:\n",
            "a:",
            "a:\nb:\n",
            "a:\n  b:\nc: 1\n",
            "a:\n- x\n- y\nb: 2\n",
            "a:\n- x\n-\n- # c\nb: 2\n",
            "a:\n  - x\n  - - y\n    - z\n  -   # x\n  - b",
            "- a: 1\n  b: 2\n- c: 3\n",
            "- - - x\n",
            "-\n  a: 1\n- \n",
            "-\n",
            "a:\n  -\n    b: 1\n",
            "k: {}\nl: []\nm: { }\n",
            "a: [x, 'y', \"z\"]\n",
            "a: [ x ,y ]\n",
            "a: [x,]\n",
            "a: [x y, z]\n",
            "a: {k: v, 'q': \"w\"}\n",
            "a: {k: v}: b\n",
            "- [a, b]\n- {a: b}\n",
            "a: [-]\n",
            "a: [-1, -x]\n",
            "a: [a:b]\n",
            "a: {k:v}\n",
            "a: {k: }\n",
            "a: [[a]]\n",
            "a: [a, b] # c\n",
            "a: [a, b]# c\n",
            "a: [a\n  , b]\n",
            "a: {k: [x]}\n",
            "- {}\n- []\n",
            "\"q k\": v\n'x''y': 'it''s'\n",
            "a: \"x\" # c\nb: 'y'   \nc: z  # c\n",
            "a: x#y\nb: http://h:80/p\nc: -1\nd: --flag=v\n",
            "a: b: c\n",
            "a: b:\n",
            "a: 'x\n  y'\n",
            "a: \"x\\ny\"\n",
            "a: x\n  y\n",
            "a: x\n  y\n\n  z\nb: 1\n",
            "a: x\n\n  y\n",
            "- x\n  y\n- z\n",
            "a:\n  b: x\n    y\n  c: 1\n",
            "a:\n- x\n  y\n- z\n",
            "a: x\n  - y\n",
            "a: x\n  y: z\n",
            "a: x\n  y:\n",
            "a: x\n  # c\n",
            "a: x\n  y # c\n",
            "a: x   \n    y  z  \n",
            "a: x\n\n\nb: 1\n",
            "a: x\n  y\n\n",
            "a: x\n  y",
            "a: x\n  y\n---\nb: 1\n",
            "a: x\n  'y'\n",
            "a: x\n  y#z\n",
            "a: x\n  -y\n",
            "a: x # c\n  y\n",
            "a: x\n# c\n  y\n",
            "a: x\n  # c\nb: y\n",
            "a: |\n  line1\n\n  line2\nb: |-\n    x\n     y\nc: |+\n  k\n\nd: 1\n",
            "a: |\n  x\n",
            "a: |\n  x",
            "a: |\n\n  x\n",
            "a: |\nb: 1\n",
            "a: |2\n   x\n",
            "a: >\n  x\n",
            "a: |\n  x\n  \n\n  y\n\n\nb: 1\n",
            "a: |\n  x\n     \nb: 1\n",
            "a: |\n  x\n # c\nb: 1\n",
            "- |\n  x\n- y\n",
            "a:\n- |\n  x\n- y\n",
            "a: &x 1\nb: *x\n",
            "a: !!str 1\n",
            "%YAML 1.2\n---\na: 1\n",
            "  a: 1\n  b: 2\n",
            "  a: 1\nb: 2\n",
            "a:\n    b: 1\n  c: 2\n",
            "a: 1\n - b\n",
            "- a\nb: 1\n",
            "a: 1\nb\n",
            "plain scalar\n",
            "a: [1, 2]\n",
            "a:\tb\n",
            "a: caf\u{e9}\n",
            "a: 1\r\nb: 2\r\n",
            "? a\n: b\n",
            "a : 1\n",
            "-a: 1\n",
            "a: -\n",
            "a: - b\n",
            "a:b: 1\n",
            "a: 1 # c: d\n",
            "key with spaces: v\n",
            "a:\n  b: 1\n\n\n  c: 2\n",
            "----\n",
            "--- a\n",
            "... # c\n",
            "a: \"x\":\n",
            "a: caf\u{e9}\nb: 1\n",
            "\u{e9}t\u{e9}: x\n",
            "a: '\u{fc}' # \u{e7}\nb: c\n",
            "- \u{4e2d}\u{6587}\n- x\n",
            "a: |\n  \u{fc}\n  x\nb: \u{fc}\n",
            "a: x\n  \u{e9}t\u{e9}\nb: y\n",
            "a: [\u{e9}, \u{fc}, x]\nb: {\u{e9}: \u{fc}}\n",
            "# \u{1f600}\na: \u{1f600}\n",
            "a: \u{1f600}",
            "a: x\u{85}y\n",
            "\u{feff}a: 1\n",
            "a: x\u{2028}y\n",
            "a: \u{a0}x\n",
            "a: 'x' y\n",
        ];
        let mut read = 0;
        for c in cases {
            let r = agrees(c);
            eprintln!("{} {c:?}", if r { "fast " } else { "saphyr" });
            read += usize::from(r);
        }
        // Most of these are the everyday part the fast reader exists for.
        assert!(
            read >= 40,
            "fast reader read only {read} of {} cases",
            cases.len()
        );
    }

    #[test]
    fn a_long_line_outside_ascii_is_counted_once_not_per_item() {
        // Columns are counted in characters; counting each item's from the start of the
        // line would take 10^10 steps here.
        let text = format!("a: [{}x]\n", "\u{e9}, ".repeat(200_000));
        let mut last = None;
        assert!(events(&text, |e, s| {
            if matches!(e, Event::SequenceEnd) {
                last = Some((s.start.index(), s.start.col()));
            }
        })
        .is_ok());
        let col = 4 + 3 * 200_000 + 1;
        assert_eq!(last, Some((col, col)));
    }

    #[test]
    fn deep_nesting_is_left_to_saphyr_without_exhausting_the_stack() {
        let one_line = format!("{}x\n", "- ".repeat(200_000));
        let by_lines: String = (0..2_000)
            .map(|i| format!("{}a:\n", " ".repeat(i)))
            .collect();
        for text in [one_line, by_lines] {
            let mut n = 0usize;
            let r = events(&text, |_, _| n += 1);
            assert_eq!(r, Err(Unsupported { documents: 0 }));
            assert!(n <= 2 * MAX_DEPTH + 4, "{n} events");
        }
    }

    #[test]
    fn agrees_with_saphyr_on_every_fixture() {
        let files = fixture_files();
        let read = files.iter().filter(|(_, t)| agrees(t)).count();
        eprintln!(
            "fast reader read {read} of {} fixture files whole",
            files.len()
        );
        // The official install manifests and Helm output are the everyday input.
        assert!(read * 2 > files.len(), "{read} of {}", files.len());
    }

    #[test]
    fn agrees_with_saphyr_on_mutated_fixtures() {
        // Deterministic mutations: each file gets a few edits at pseudo-random places
        // (a character removed, an indicator or space inserted, a line re-indented).
        let files = fixture_files();
        let inserts = [
            "\u{e9}",
            "\u{4e2d}",
            "\u{1f600}",
            " ",
            "  ",
            "-",
            ":",
            "#",
            "'",
            "\"",
            "|",
            "{",
            "}",
            "[",
            "]",
            "\n",
            "- ",
            ": ",
            "&a",
            "*a",
            "!",
            "---\n",
            "...\n",
            "\\",
            "?",
        ];
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut tried = 0;
        for (_, text) in files.iter().filter(|(_, t)| t.len() < 20_000) {
            for _ in 0..6 {
                let mut t = text.clone();
                for _ in 0..1 + next() % 3 {
                    if t.is_empty() {
                        break;
                    }
                    let mut at = (next() as usize) % t.len();
                    while !t.is_char_boundary(at) {
                        at -= 1;
                    }
                    match next() % 3 {
                        0 => {
                            if let Some(c) = t[at..].chars().next() {
                                t.replace_range(at..at + c.len_utf8(), "");
                            }
                        }
                        _ => t.insert_str(at, inserts[(next() as usize) % inserts.len()]),
                    }
                }
                agrees(&t);
                tried += 1;
            }
        }
        assert!(tried > 1000, "{tried}");
    }
}
