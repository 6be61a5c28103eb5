//! Layers only look down: a module of `src/` may use its own layer and the layers below
//! it, never one above. The table is the one docs/architecture.md shows; a new top-level
//! module must be given a row here before this test passes.

use std::fs;
use std::path::{Path, PathBuf};

/// Lowest first. Modules in one row may use each other.
const LAYERS: &[&[&str]] = &[
    // Plain text helpers: positions in a file, JSON-pointer escaping, the YAML writer;
    // work shared over the cores with results in order; the allocator's settings.
    &["text", "par", "alloc"],
    // Domain helpers with no model of their own: Kubernetes/Karmada versions and images,
    // front-proxy certificates.
    &["k8s", "certs"],
    // The model the sources fill: objects, scopes, components, etcd facts, gaps.
    &["inventory"],
    // Reading input: files, bundles, Helm renders, live clusters, etcd.
    &["sources"],
    // What a rule concludes: Finding, Status, Severity, Consequence, Remediation.
    &["findings"],
    // The upgrade: known releases, hops, paths, phase detection.
    &["upgrade"],
    // Check templates and the RBAC evaluation some of them use.
    &["rbac", "checks"],
    // Rule files, catalog, filter, the rule runner, examples.
    &["rules"],
    // Report and its renderings (table, JSON, YAML, SARIF, JUnit, markdown, fix dir).
    &["reports"],
    // config -> report: catalog, inputs, phase, rules, suppressions.
    &["engine"],
    // Argument parsing and printing.
    &["cli"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|row| row.contains(&module))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in fs::read_dir(dir).expect("src/ is readable") {
        let p = e.expect("directory entry").path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The top-level modules a line names through `crate::`: `crate::a::b`, and each first
/// segment of `crate::{a::x, b}`.
fn crate_modules(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(i) = rest.find("crate::") {
        let before = rest[..i].chars().next_back();
        rest = &rest[i + "crate::".len()..];
        // `karmada_preflight_crate::` or similar is not this crate.
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            let (mut depth, mut item, mut first_segment) = (0usize, String::new(), true);
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        out.push(std::mem::take(&mut item));
                        first_segment = true;
                        continue;
                    }
                    ':' if depth == 0 => first_segment = false,
                    c if depth == 0 && first_segment && !c.is_whitespace() => item.push(c),
                    _ => {}
                }
            }
            out.push(item);
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            // `crate::rules_version!()` is a macro exported at the crate root, not a module.
            if !rest[name.len()..].starts_with('!') {
                out.push(name);
            }
        }
    }
    out.retain(|m| !m.is_empty() && m != "self");
    out
}

/// Every import from a lower layer to a higher one, as `file:line: from -> to`.
fn upward_imports(src: &Path) -> (Vec<String>, Vec<String>) {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    files.sort();
    let (mut upward, mut unplaced) = (Vec::new(), Vec::new());
    for f in files {
        let rel = f.strip_prefix(src).expect("under src");
        let top = rel
            .components()
            .next()
            .and_then(|c| c.as_os_str().to_str())
            .unwrap_or("")
            .trim_end_matches(".rs")
            .to_string();
        if top == "lib" || top == "main" {
            continue;
        }
        let Some(from) = layer_of(&top) else {
            unplaced.push(format!("src/{top}"));
            continue;
        };
        let text = fs::read_to_string(&f).expect("source is UTF-8");
        for (n, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("//") {
                continue;
            }
            for m in crate_modules(line) {
                match layer_of(&m) {
                    Some(to) if to > from => upward.push(format!(
                        "src/{}:{}: {top} (layer {from}) -> {m} (layer {to})",
                        rel.display(),
                        n + 1
                    )),
                    Some(_) => {}
                    None => unplaced.push(format!("crate::{m} (src/{}:{})", rel.display(), n + 1)),
                }
            }
        }
    }
    unplaced.sort();
    unplaced.dedup();
    (upward, unplaced)
}

#[test]
fn no_module_imports_from_a_layer_above_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let (upward, unplaced) = upward_imports(&src);
    assert!(
        unplaced.is_empty(),
        "modules missing from LAYERS in tests/layers.rs:\n{}",
        unplaced.join("\n")
    );
    assert!(
        upward.is_empty(),
        "imports from a lower layer to a higher one:\n{}",
        upward.join("\n")
    );
}

#[test]
fn the_scanner_sees_every_form_of_crate_import() {
    assert_eq!(crate_modules("use crate::sources::yaml::Pos;"), ["sources"]);
    assert_eq!(
        crate_modules("use crate::{inventory::Scope, rules::{Catalog, RuleSpec}, text};"),
        ["inventory", "rules", "text"]
    );
    assert_eq!(
        crate_modules("    let p = crate::reports::yaml::render(&r) + crate::text::to_yaml(v);"),
        ["reports", "text"]
    );
    assert!(
        crate_modules("use super::Pos; use karmada_crate::x; crate::rules_version!()").is_empty()
    );
}

#[test]
fn an_upward_import_is_reported_with_file_and_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let src = dir.path();
    fs::create_dir_all(src.join("inventory")).unwrap();
    fs::write(
        src.join("inventory/object.rs"),
        "//! uses crate::reports in a comment only\nuse crate::text::Pos;\nuse crate::reports::yaml::to_yaml;\n",
    )
    .unwrap();
    let (upward, unplaced) = upward_imports(src);
    assert!(unplaced.is_empty(), "{unplaced:?}");
    assert_eq!(
        upward,
        ["src/inventory/object.rs:3: inventory (layer 2) -> reports (layer 8)"]
    );
}
