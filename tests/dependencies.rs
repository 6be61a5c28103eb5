//! Every crate Cargo.toml declares is used: a dependency nobody imports still costs build
//! time on every CI run and widens what a reviewer has to trust.

use std::path::Path;

/// `name = ...` keys of one `[section]` of Cargo.toml (the key is the name code uses,
/// also when `package = "..."` renames it).
fn declared(manifest: &str, section: &str) -> Vec<String> {
    let Some((_, rest)) = manifest.split_once(&format!("\n[{section}]\n")) else {
        return Vec::new();
    };
    let body = rest.split("\n[").next().unwrap_or_default();
    body.lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with(' '))
        .filter_map(|l| l.split_once('=').map(|(k, _)| k.trim().to_string()))
        .filter(|k| !k.is_empty())
        .collect()
}

fn rust_sources(dir: &Path, out: &mut String) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_sources(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push_str(&std::fs::read_to_string(&p).unwrap());
            out.push('\n');
        }
    }
}

/// `crate::` paths or `use crate` of `name` (dashes become underscores in code).
fn is_used(code: &str, name: &str) -> bool {
    let ident = name.replace('-', "_");
    let at_word_start = |i: usize| {
        code[..i]
            .chars()
            .next_back()
            .is_none_or(|c| !(c.is_alphanumeric() || c == '_'))
    };
    [format!("{ident}::"), format!("use {ident}")]
        .iter()
        .any(|needle| {
            code.match_indices(needle.as_str())
                .any(|(i, _)| at_word_start(i))
        })
}

#[test]
fn every_declared_dependency_is_used() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    let mut library = std::fs::read_to_string(root.join("build.rs")).unwrap();
    rust_sources(&root.join("src"), &mut library);
    let mut everything = library.clone();
    for dir in ["tests", "benches", "examples"] {
        rust_sources(&root.join(dir), &mut everything);
    }
    let deps = declared(&manifest, "dependencies");
    assert!(deps.contains(&"serde_json".to_string()), "{deps:?}");
    let unused: Vec<&String> = deps.iter().filter(|d| !is_used(&library, d)).collect();
    assert!(unused.is_empty(), "[dependencies] nobody uses: {unused:?}");
    let dev = declared(&manifest, "dev-dependencies");
    assert!(dev.contains(&"tempfile".to_string()), "{dev:?}");
    let unused: Vec<&String> = dev.iter().filter(|d| !is_used(&everything, d)).collect();
    assert!(
        unused.is_empty(),
        "[dev-dependencies] nobody uses: {unused:?}"
    );
}

#[test]
fn a_crate_named_only_inside_another_name_is_not_used() {
    assert!(is_used("use serde_json::Value;", "serde_json"));
    assert!(is_used("let x = kube_cel::cel::Program;", "kube-cel"));
    assert!(!is_used("use my_serde_json::Value;", "serde_json"));
    assert!(!is_used("// predicates are nice", "predicates"));
}
