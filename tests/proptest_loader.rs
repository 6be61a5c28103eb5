//! Property tests for the YAML loader: whatever the text, parsing never panics and every
//! position it records lies inside the file; well-formed documents round-trip.

use karmada_preflight::inventory::Origin;
use karmada_preflight::sources::yaml::parse_documents;
use karmada_preflight::sources::{load_inputs, Limits};
use karmada_preflight::text::{NodePositions, Pos, Tree};
use proptest::prelude::*;
use serde_json::{Map, Value};

/// A position is inside `text` when its line exists and its column is at most one past
/// the line's last character (an editor's cursor positions; saphyr counts characters).
fn inside(text: &str, pos: Pos) -> bool {
    // YAML breaks lines at \n, \r\n and a lone \r (so do most editors).
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let lines: Vec<&str> = text.split('\n').collect();
    let Some(line) = (pos.line as usize)
        .checked_sub(1)
        .and_then(|i| lines.get(i))
    else {
        return false;
    };
    pos.line >= 1 && pos.column >= 1 && pos.column as usize <= line.chars().count() + 1
}

fn check_positions(text: &str) -> Result<(), TestCaseError> {
    let mut docs = Vec::new();
    let out = parse_documents(text, &Limits::default(), |d| docs.push(d));
    for p in &out.problems {
        prop_assert!(inside(text, p.pos), "problem {:?} outside {:?}", p, text);
    }
    for d in &docs {
        prop_assert!(inside(text, d.start), "doc start {:?} outside", d.start);
        for (ptr, pos) in d.spans().iter() {
            prop_assert!(inside(text, pos), "span {ptr:?} {pos:?} outside {text:?}");
        }
    }
    Ok(())
}

/// The reader writes each document's tree with one position per node; the documents
/// that are taken apart as a `Value` (List items, manifests embedded in ConfigMaps) get
/// their positions back through a pointer index. Both must agree: every pointer the
/// index knows, every field of the value and fields below them that do not exist
/// resolve to the same position both ways. (Not with a key written twice: there the
/// index finds the first occurrence and the tree the one whose value it holds;
/// `a_duplicate_key_is_reported_where_the_value_used_is` pins that.)
fn check_node_positions(text: &str) -> Result<(), TestCaseError> {
    let mut docs = Vec::new();
    let out = parse_documents(text, &Limits::default(), |d| docs.push(d));
    if out
        .problems
        .iter()
        .any(|p| p.message.contains("duplicate key"))
    {
        return Ok(());
    }
    for d in &docs {
        let tree = Tree::from_value(&d.value());
        let np = NodePositions::new(&tree, &d.spans());
        let mut ptrs: Vec<String> = d.spans().iter().map(|(p, _)| p).collect();
        pointers(&d.value(), String::new(), &mut ptrs);
        let missing: Vec<String> = ptrs.iter().map(|p| format!("{p}/zz~1y")).collect();
        ptrs.extend(missing);
        for p in &ptrs {
            prop_assert_eq!(np.resolve(&tree, p), d.resolve(p), "{:?} in {:?}", p, text);
        }
    }
    Ok(())
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        (-1e9f64..1e9).prop_map(Value::from),
        // Characters YAML treats specially, placeholders included; all printable, so
        // they can stand in a double-quoted scalar.
        "[a-z0-9 :#&*!|>'\"%@`{}\\[\\],.$<>~/-]{0,12}".prop_map(Value::String),
        "[a-zé中]{0,6}".prop_map(Value::String),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec(("[a-z/~.]{1,8}", inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<String, Value>>())),
        ]
    })
}

/// JSON's string escapes are valid YAML double-quoted escapes, so JSON scalars can be
/// pasted into block YAML as they are.
fn render_block(v: &Value, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (k, val) in m {
                out.push_str(&pad);
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                render_nested(val, indent, out);
            }
        }
        Value::Array(a) if !a.is_empty() => {
            for val in a {
                out.push_str(&pad);
                out.push('-');
                render_nested(val, indent, out);
            }
        }
        other => {
            out.push_str(&pad);
            out.push_str(&other.to_string());
            out.push('\n');
        }
    }
}

fn render_nested(v: &Value, indent: usize, out: &mut String) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            out.push('\n');
            render_block(v, indent + 2, out);
        }
        Value::Array(a) if !a.is_empty() => {
            out.push('\n');
            render_block(v, indent + 2, out);
        }
        other => {
            out.push(' ');
            out.push_str(&other.to_string());
            out.push('\n');
        }
    }
}

/// Every pointer of a value, for checking that each one got a position.
fn pointers(v: &Value, at: String, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, val) in m {
                pointers(
                    val,
                    format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")),
                    out,
                );
            }
        }
        Value::Array(a) => {
            for (i, val) in a.iter().enumerate() {
                pointers(val, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
    out.push(at);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn byte_soup_never_panics_and_positions_stay_inside(bytes in prop::collection::vec(any::<u8>(), 0..800)) {
        let text = String::from_utf8_lossy(&bytes);
        check_positions(&text)?;
    }

    #[test]
    fn yamlish_soup_never_panics_and_positions_stay_inside(
        text in "([-:{}\\[\\],&*!|>'\"#%@?. a-z0-9\t]|\n|\n---\n|\n  |\n- |\\{\\{x\\}\\}){0,120}"
    ) {
        check_positions(&text)?;
        check_node_positions(&text)?;
    }

    #[test]
    fn anchors_merges_and_duplicate_keys_resolve_the_same_per_node(
        text in "(a|b|c|<<|&x |\\*x|: |\n|\n  |\n- |\\{|\\}|\\[|\\]|, |1){0,80}"
    ) {
        check_node_positions(&text)?;
    }

    #[test]
    fn block_yaml_round_trips_with_a_position_for_every_field(docs in prop::collection::vec(value(), 1..4)) {
        let mut text = String::new();
        for v in &docs {
            text.push_str("---\n");
            render_block(v, 0, &mut text);
        }
        check_positions(&text)?;
        check_node_positions(&text)?;
        let mut parsed = Vec::new();
        let out = parse_documents(&text, &Limits::default(), |d| parsed.push(d));
        prop_assert!(out.problems.iter().all(|p| p.warning), "{:?}\n{text}", out.problems);
        let want: Vec<&Value> = docs.iter().filter(|v| !v.is_null()).collect();
        prop_assert_eq!(parsed.len(), want.len(), "{}", text);
        for (d, v) in parsed.iter().zip(want) {
            prop_assert_eq!(&d.value(), v, "{}", text);
            let mut ptrs = Vec::new();
            pointers(v, String::new(), &mut ptrs);
            for p in ptrs {
                prop_assert!(d.exact(&p).is_some(), "no position for {p:?} in {text}");
            }
        }
    }

    #[test]
    fn json_round_trips(v in value()) {
        let text = serde_json::to_string_pretty(&v).unwrap();
        check_positions(&text)?;
        let mut parsed = Vec::new();
        parse_documents(&text, &Limits::default(), |d| parsed.push(d));
        if !v.is_null() {
            prop_assert_eq!(parsed.len(), 1);
            prop_assert_eq!(&parsed[0].value(), &v, "{}", text);
        }
    }
}

proptest! {
    // Whole-loader cases write a file and spawn the loader's threads: fewer of them.
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn loader_never_panics_and_reports_inside_the_file(
        bytes in prop::collection::vec(any::<u8>(), 0..600),
        prefix in prop::sample::select(vec!["", "apiVersion: apps/v1\nkind: Deployment\n", "kind: List\nitems:\n- "]),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("soup.yaml");
        let mut content = prefix.as_bytes().to_vec();
        content.extend_from_slice(&bytes);
        std::fs::write(&path, &content).unwrap();
        let inv = load_inputs(&[path.display().to_string()], &Limits::default(), &None);
        let text = String::from_utf8_lossy(&content);
        for p in &inv.problems {
            let (Some(line), Some(column)) = (p.location.line, p.location.column) else {
                return Err(TestCaseError::fail(format!("problem without a position: {p:?}")));
            };
            // Invalid UTF-8 is reported at a byte offset's line; lossy decoding keeps lines.
            prop_assert!(inside(&text, Pos { line, column }) || p.message.contains("UTF-8") || p.message.contains("NUL"),
                "{p:?} outside {text:?}");
        }
        for o in inv.all() {
            if let Origin::File { positions, start, .. } = &o.origin {
                prop_assert!(inside(&text, *start));
                for pos in positions.iter() {
                    prop_assert!(inside(&text, pos), "{pos:?} outside {text:?}");
                }
            }
        }
    }
}

#[test]
fn a_duplicate_key_is_reported_where_the_value_used_is() {
    let text = "a:\n  b: 1\na:\n  c: 1\nx: &x\n  p: 1\n  q: 2\ny:\n  <<: *x\n  q: 3\n";
    let mut docs = Vec::new();
    parse_documents(text, &Limits::default(), |d| docs.push(d));
    let tree = Tree::from_value(&docs[0].value());
    let np = NodePositions::new(&tree, &docs[0].spans());
    let line = |p: &str| np.resolve(&tree, p).map(|p| p.line);
    // `a`'s value is the second mapping: it and its field are on lines 3 and 4.
    assert_eq!(line("/a"), Some(3));
    assert_eq!(line("/a/c"), Some(4));
    // Merged `p` has no line of its own in `y`: reported at `y`; `q` is `y`'s own.
    assert_eq!(line("/y/p"), Some(8));
    assert_eq!(line("/y/q"), Some(10));
    assert_eq!(line("/x/p"), Some(6));
}

fn positions_of(text: &str) -> (Tree, NodePositions) {
    let mut docs = Vec::new();
    parse_documents(text, &Limits::default(), |d| docs.push(d));
    let d = docs.pop().expect("one document");
    let tree = Tree::from_value(&d.value());
    let np = NodePositions::new(&tree, &d.spans());
    (tree, np)
}

/// Kept objects store their positions in 2 bytes a node when the object is short and
/// narrow, 4 otherwise; both read back the same positions.
#[test]
fn near_positions_take_two_bytes_and_far_ones_four() {
    let (tree, np) = positions_of("a:\n  b: 1\n  c:\n  - x\n");
    assert!(matches!(np, NodePositions::Near { .. }), "{np:?}");
    assert_eq!(np.resolve(&tree, "/a/c/0"), Some(pos_at(4, 5)));
    assert_eq!(np.resolve(&tree, "/a/b"), Some(pos_at(2, 3)));

    // 2,000 lines long: past what the near form holds.
    let long: String = (0..2000).map(|i| format!("f{i}: 1\n")).collect::<String>() + "z:\n  y: 1\n";
    let (tree, np) = positions_of(&long);
    assert!(matches!(np, NodePositions::Far(_)), "{np:?}");
    assert_eq!(np.resolve(&tree, "/z/y"), Some(pos_at(2002, 3)));
    assert_eq!(np.resolve(&tree, "/f0"), Some(pos_at(1, 1)));

    // A field past column 63 (one-line JSON).
    let key = "w".repeat(70);
    let (tree, np) = positions_of(&format!("{{\"{key}\": {{\"q\": 1}}}}"));
    assert!(matches!(np, NodePositions::Far(_)), "{np:?}");
    let q = np
        .resolve(&tree, &format!("/{key}/q"))
        .expect("q has a position");
    assert_eq!(q.line, 1);
    assert!(q.column > 70, "{q:?}");
}

fn pos_at(line: u32, column: u32) -> Pos {
    Pos { line, column }
}
