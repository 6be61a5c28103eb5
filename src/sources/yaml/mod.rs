//! YAML/JSON documents to a compact [`Tree`] plus the position of each of its nodes.
//!
//! We drive saphyr's event parser ourselves instead of using a ready-made tree so that
//! one pass gives the tree, the position of every field, and hard limits on depth,
//! document size and alias expansion (a billion-laughs document must fail fast, not
//! after it has been expanded). `builder` turns events into one document, `scalars` types
//! plain scalars, `placeholders` keeps `{{ name }}` templates parseable, `positions` keeps
//! positions inside the text.

mod builder;
mod fast;
mod placeholders;
mod positions;
mod scalars;

use saphyr_parser::{Event, Parser, ScanError, Span};
use serde_json::Value;

use super::limits::Limits;
use crate::text::{NodePositions, Pos, SpanIndex, Tree};
pub use builder::KeepKind;
use builder::{Buffers, DocBuilder};
use placeholders::protect_placeholders;
use positions::{clamp_doc_to_end, clamp_to_text};

/// One parsed document.
#[derive(Debug, Clone)]
pub struct ParsedDoc {
    pub tree: Tree,
    /// Where each node of `tree` was written.
    pub positions: NodePositions,
    /// Position of the document's first node.
    pub start: Pos,
    /// 0-based index among the documents of the file.
    pub index: usize,
    /// The document's `kind` was refused by the caller's filter, so only its top-level
    /// scalars (`apiVersion`, `kind`, ...) were built; `tree` is not the whole object.
    pub kind_skipped: bool,
}

impl ParsedDoc {
    /// The document as a `Value` (built on each call: for readers of a few small
    /// documents, such as rule files and waivers).
    pub fn value(&self) -> Value {
        self.tree.root().to_value()
    }

    /// Where the field at `pointer` was written; None when not recorded for it (a
    /// mapping key, a field merged in with `<<`).
    pub fn exact(&self, pointer: &str) -> Option<Pos> {
        let node = self.tree.root().lookup(pointer)?;
        self.positions.of(node.id())
    }

    /// Where the field at `pointer` was written, else its nearest ancestor that was.
    pub fn resolve(&self, pointer: &str) -> Option<Pos> {
        self.positions.resolve(&self.tree, pointer)
    }

    /// The positions by JSON pointer, for readers that take a `Value` apart.
    pub fn spans(&self) -> SpanIndex {
        self.positions.to_span_index(&self.tree)
    }
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
    on_doc: impl FnMut(ParsedDoc),
) -> ParseOutcome {
    read(src, limits, keep, on_doc, true)
}

/// [`parse_documents_keeping`], with the fast reader or (`fast` false, for the tests that
/// hold both to the same documents) saphyr alone.
fn read(
    src: &str,
    limits: &Limits,
    keep: Option<KeepKind<'_>>,
    on_doc: impl FnMut(ParsedDoc),
    fast: bool,
) -> ParseOutcome {
    let protected = protect_placeholders(src);
    let mut r = Reader {
        src,
        limits,
        keep,
        templated: matches!(protected, std::borrow::Cow::Owned(_)),
        doc: None,
        // One set of buffers for every document this thread reads (growing fresh ones
        // for each of thousands of files showed in profiles).
        spare: SPARE.with(|b| b.take()).unwrap_or_default(),
        index: 0,
        end: None,
        out: ParseOutcome::default(),
        on_doc,
    };
    // Nearly every manifest is in the part of YAML the fast reader handles; for the rest
    // saphyr reads the file again, and the documents the fast reader completed are
    // skipped, not read twice.
    if !fast {
        r.saphyr(&protected, 0);
    } else if let Err(fast::Unsupported { documents }) = fast::events(&protected, |ev, span| {
        r.event(ev, span);
    }) {
        r.drop_open_document();
        r.saphyr(&protected, documents);
    }
    let Reader {
        mut out,
        doc,
        spare,
        ..
    } = r;
    for p in &mut out.problems {
        p.pos = clamp_to_text(src, p.pos);
    }
    let spare = doc.map_or(spare, DocBuilder::into_buffers);
    // Buffers that grew for a huge document are let go rather than kept for the life of
    // the thread.
    if spare.bytes() <= KEEP_BUFFER_BYTES {
        SPARE.with(|b| b.set(Some(spare)));
    }
    out
}

/// How many events the loader's readers produce for `src` (placeholders protected, the
/// fast reader, then saphyr where it stops), building nothing: the offline benchmark's
/// own-reader baseline.
#[doc(hidden)]
pub fn count_events(src: &str) -> usize {
    let src = protect_placeholders(src);
    let mut n = 0usize;
    if fast::events(&src, |_, _| n += 1).is_err() {
        let mut parser = Parser::new_from_str(&src);
        while let Some(Ok(_)) = parser.next_event() {
            n += 1;
        }
    }
    n
}

/// Turns one file's events (from either reader) into documents.
struct Reader<'s, 'l, F> {
    src: &'s str,
    limits: &'l Limits,
    keep: Option<KeepKind<'l>>,
    /// `{{ }}` placeholders were protected, so scalars are restored as they are built.
    templated: bool,
    doc: Option<DocBuilder<'l>>,
    spare: Buffers,
    index: usize,
    /// Computed once, and only for a file whose last document reaches its end.
    end: Option<Pos>,
    out: ParseOutcome,
    on_doc: F,
}

impl<F: FnMut(ParsedDoc)> Reader<'_, '_, F> {
    fn event(&mut self, ev: Event<'_>, span: Span) {
        match ev {
            Event::StreamStart | Event::StreamEnd | Event::Nothing => {}
            Event::DocumentStart(_) => {
                let buffers = self
                    .doc
                    .take()
                    .map(DocBuilder::into_buffers)
                    .unwrap_or_else(|| std::mem::take(&mut self.spare));
                self.doc = Some(DocBuilder::new(
                    self.limits,
                    self.keep,
                    span.start.index(),
                    buffers,
                ));
            }
            Event::DocumentEnd => {
                if let Some(mut b) = self.doc.take() {
                    self.out.problems.extend(std::mem::take(&mut b.warnings));
                    if let Some(p) = b.aborted.take() {
                        self.out.problems.push(p);
                    } else if let Some((root, root_pos)) = b.root.filter(|(r, _)| !r.is_null()) {
                        self.out.documents += 1;
                        let mut start = b.start.unwrap_or(Pos { line: 1, column: 1 });
                        let (tree, positions) = b.w.finish(root, root_pos);
                        // A document ending before the last quarter of the text (in
                        // characters, at most its bytes) is not at its end.
                        if span.start.index() >= self.src.len() / 4 {
                            clamp_doc_to_end(self.src, &mut self.end, positions, &mut start);
                        }
                        let positions = NodePositions::from_positions(positions);
                        (self.on_doc)(ParsedDoc {
                            tree,
                            positions,
                            start,
                            index: self.index,
                            kind_skipped: b.skipping,
                        });
                    }
                    self.spare = b.into_buffers();
                }
                self.index += 1;
            }
            other => {
                let (limits, keep, spare) = (self.limits, self.keep, &mut self.spare);
                let b = self.doc.get_or_insert_with(|| {
                    DocBuilder::new(limits, keep, span.start.index(), std::mem::take(spare))
                });
                b.templated = self.templated;
                b.event(other, span);
            }
        }
    }

    /// The fast reader stopped inside a document: what it built of it is dropped.
    fn drop_open_document(&mut self) {
        if let Some(b) = self.doc.take() {
            self.spare = b.into_buffers();
        }
    }

    /// Read `text` with saphyr, skipping the first `skip` documents (already read).
    fn saphyr(&mut self, text: &str, mut skip: usize) {
        let mut parser = Parser::new_from_str(text);
        loop {
            let next: Option<Result<(Event, Span), ScanError>> = parser.next_event();
            match next {
                None | Some(Ok((Event::StreamEnd, _))) => break,
                Some(Err(e)) => {
                    let m = e.marker();
                    self.out.problems.push(SyntaxProblem {
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
                Some(Ok((ev, span))) => {
                    if skip > 0 {
                        if matches!(ev, Event::DocumentEnd) {
                            skip -= 1;
                        }
                        continue;
                    }
                    self.event(ev, span);
                }
            }
        }
    }
}

/// Every YAML fixture's path and text (for the tests that hold the fast reader to saphyr).
#[cfg(test)]
fn fixture_files() -> Vec<(std::path::PathBuf, String)> {
    let mut out = Vec::new();
    let mut dirs = vec![std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).expect("fixtures dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "yaml" || x == "yml") {
                if let Ok(text) = std::fs::read_to_string(&p) {
                    out.push((p, text));
                }
            }
        }
    }
    out.sort();
    out
}

thread_local! {
    static SPARE: std::cell::Cell<Option<Buffers>> = const { std::cell::Cell::new(None) };
}

/// Most buffer bytes kept between files (a few thousand-line documents' worth).
const KEEP_BUFFER_BYTES: usize = 4 << 20;

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(src: &str) -> (Vec<ParsedDoc>, ParseOutcome) {
        let mut docs = Vec::new();
        let out = parse_documents(src, &Limits::default(), |d| docs.push(d));
        (docs, out)
    }

    /// Everything a reader of `src` gets: each document's value, positions, start, index
    /// and whether its kind was skipped, and the problems.
    fn outcome(src: &str, fast: bool) -> (Vec<String>, ParseOutcome) {
        let mut docs = Vec::new();
        let keep = |_: Option<&str>, kind: &str| kind != "ConfigMap";
        let out = read(
            src,
            &Limits::default(),
            Some(&keep),
            |d| {
                docs.push(format!(
                    "{} {:?} {:?} {} {}",
                    d.value(),
                    d.spans(),
                    d.start,
                    d.index,
                    d.kind_skipped
                ))
            },
            fast,
        );
        (docs, out)
    }

    fn same_as_saphyr_alone(src: &str) {
        let (fast_docs, fast_out) = outcome(src, true);
        let (docs, out) = outcome(src, false);
        assert_eq!(fast_docs, docs, "documents differ on {src:?}");
        assert_eq!(
            fast_out.problems, out.problems,
            "problems differ on {src:?}"
        );
        assert_eq!(fast_out.documents, out.documents);
    }

    #[test]
    fn a_file_the_fast_reader_stops_in_gives_the_documents_saphyr_gives() {
        for src in [
            // Stops in the second document (an anchor): the first is kept, not read twice.
            "a: 1\n---\nb: &x 2\nc: *x\n---\nd: 3\n",
            // A syntax error after two good documents: saphyr's message and position.
            "a: 1\n---\nb: [1, 2\n---\nc: 3\n",
            "a: 1\n---\nb: 2\n---\nc: d: e\n",
            // Duplicate keys in a document read fast, then one saphyr reads.
            "a: 1\na: 2\n---\nb: >\n  folded\n",
            // A kind the caller skips, read fast and by saphyr.
            "kind: ConfigMap\ndata:\n  a: |\n    x\n---\nkind: Secret\nx: !!binary aGk=\n",
            "",
            "---\n---\n",
        ] {
            same_as_saphyr_alone(src);
        }
    }

    #[test]
    fn every_fixture_gives_the_documents_saphyr_alone_gives() {
        let files = fixture_files();
        for (_, text) in &files {
            same_as_saphyr_alone(text);
        }
        assert!(files.len() > 700, "{} fixture files", files.len());
    }

    #[test]
    fn records_positions_by_pointer() {
        let (docs, out) = parse("a: 1\nb:\n  c:\n    - x\n    - --flag=y\n");
        assert!(out.problems.is_empty());
        let d = &docs[0];
        assert_eq!(d.value()["b"]["c"][1], "--flag=y");
        assert_eq!(d.exact("/b/c/1"), Some(Pos { line: 5, column: 7 }));
        assert_eq!(d.exact("/b"), Some(Pos { line: 2, column: 1 }));
        assert_eq!(d.resolve("/b/c/9/zz"), Some(Pos { line: 3, column: 3 }));
    }

    #[test]
    fn placeholders_become_strings() {
        let (docs, _) = parse("spec:\n  type: {{service_type}}\n  caBundle: {{caBundle}}\n");
        assert_eq!(docs[0].value()["spec"]["type"], "{{service_type}}");
        assert_eq!(docs[0].value()["spec"]["caBundle"], "{{caBundle}}");
    }

    #[test]
    fn placeholders_inside_scalars_keep_the_file_parseable() {
        let (docs, out) = parse("a:\n  subPath: {{member_cluster_name}}-kubeconfig\n  b: x\n");
        assert!(out.problems.is_empty(), "{:?}", out.problems);
        assert_eq!(
            docs[0].value()["a"]["subPath"],
            "{{member_cluster_name}}-kubeconfig"
        );
        assert_eq!(docs[0].exact("/a/b"), Some(Pos { line: 3, column: 3 }));
    }

    #[test]
    fn multi_document_skips_empty_ones() {
        let (docs, _) = parse("---\na: 1\n---\n---\n# only a comment\n---\nb: 2\n");
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[1].value()["b"], 2);
        assert_eq!(docs[1].start.line, 7);
    }

    #[test]
    fn scalars_resolve_like_kubernetes() {
        let (docs, _) = parse("a: yes\nb: '10'\nc: 10\nd: 1.5\ne: ~\nf: v1.21\ng: 0x1F\n");
        let v = &docs[0].value();
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
        assert_eq!(docs[0].value()["other"]["x"], 1);
        assert_eq!(docs[0].value()["other"]["y"], 3);
    }

    #[test]
    fn duplicate_keys_warn() {
        let (docs, out) = parse("a: 1\nb: 2\na: 3\n");
        assert_eq!(docs[0].value()["a"], 3);
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
        let keep = |_: Option<&str>, kind: &str| keep(kind);
        let out = parse_documents_keeping(src, &Limits::default(), Some(&keep), |d| docs.push(d));
        (docs, out)
    }

    #[test]
    fn unwanted_kinds_keep_only_top_level_scalars() {
        let src = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata:\n  a: b\n---\n\
                   apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\n";
        let (docs, out) = parse_keeping(src, &|k| k == "Deployment");
        assert!(out.problems.is_empty(), "{:?}", out.problems);
        assert!(docs[0].kind_skipped);
        assert_eq!(docs[0].value()["apiVersion"], "v1");
        assert!(docs[0].value()["data"].is_null());
        assert!(!docs[1].kind_skipped);
        assert_eq!(docs[1].value()["metadata"]["name"], "d");
        assert_eq!(
            docs[1].exact("/metadata/name"),
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
            Some(&|_, _| false),
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
        assert_eq!(docs[0].value()["items"][0]["kind"], "Secret");
    }

    #[test]
    fn positions_at_the_end_of_a_text_without_final_break_stay_inside() {
        // saphyr puts the empty key of the trailing `?` on line 5, after the text.
        let (docs, _) = parse("\n\n?\n  ");
        let end = Pos { line: 4, column: 3 };
        assert_eq!(docs[0].exact("/"), Some(end));
        assert!(docs[0].spans().iter().all(|(_, p)| p <= end));
        let (docs, _) = parse("a:\r\n  b: \r\n");
        assert!(docs[0].spans().iter().all(|(_, p)| p.line <= 3));
    }

    #[test]
    fn each_list_item_becomes_a_tree_with_its_own_positions() {
        let (docs, _) = parse(
            "kind: List\nitems:\n- kind: A\n  metadata:\n    name: x\n- kind: B\n  metadata: {name: y}\n",
        );
        let d = &docs[0];
        let mut w = crate::text::tree_writer::TreeWriter::default();
        let items: Vec<_> = d
            .tree
            .root()
            .get("items")
            .and_then(|i| i.items())
            .unwrap()
            .map(|item| w.subtree(item, &d.positions))
            .collect();
        assert_eq!(items.len(), 2);
        let exact = |(tree, positions): &(Tree, NodePositions), p: &str| {
            tree.root().lookup(p).and_then(|n| positions.of(n.id()))
        };
        assert_eq!(exact(&items[0], ""), Some(Pos { line: 3, column: 3 }));
        assert_eq!(
            exact(&items[0], "/metadata/name"),
            Some(Pos { line: 5, column: 5 })
        );
        assert_eq!(exact(&items[1], "/kind"), Some(Pos { line: 6, column: 3 }));
        assert_eq!(
            exact(&items[1], "/metadata/name"),
            Some(Pos {
                line: 7,
                column: 14
            })
        );
        // Nothing of the List itself or of the other item leaks into an item.
        assert_eq!(exact(&items[0], "/items"), None);
        assert_eq!(items[1].1.iter().count(), 4, "{:?}", items[1].1);
        assert_eq!(items[0].0.root().to_value()["metadata"]["name"], "x");
    }
}
