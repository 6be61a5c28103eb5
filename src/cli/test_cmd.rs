//! `karmada-preflight test RULES_DIR`: run rules against example objects and compare
//! with expected outcomes, like `kyverno test` or `conftest verify`, so house rules are
//! tested in CI the same way they are used.
//!
//! Test files are YAML documents with `kind: RuleTest` anywhere under RULES_DIR (the
//! rule catalog skips them). Each names one rule (from RULES_DIR or the bundled packs),
//! its inputs (file paths relative to the test file, or inline objects), the phase, and
//! the expected status per object. Exit 0 when every test passes, 1 when one fails, 2
//! when a test or rule file is invalid.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;
use clap::Args;
use serde::Deserialize;
use serde_json::Value;

use super::check::load_catalog;
use super::{EXIT_ERROR, EXIT_FINDINGS, EXIT_OK};
use crate::findings::{Finding, Status};
use crate::inventory::{Object, ObjectRef, Origin, Scope};
use crate::rules::catalog::collect;
use crate::rules::path::parse_hop;
use crate::rules::{run_rules_on_path, Catalog, Phase, RunOptions, UpgradePlan};
use crate::sources::yaml::{parse_documents, ParsedDoc};
use crate::sources::{load_inputs, Limits};

#[derive(Debug, Args)]
pub struct TestArgs {
    /// Directory holding rule files and their `kind: RuleTest` test files.
    pub rules_dir: PathBuf,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ObjectSel {
    kind: String,
    name: String,
    #[serde(default)]
    namespace: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Expect {
    object: ObjectSel,
    status: Status,
    /// The finding's message must contain this text.
    #[serde(default)]
    message_contains: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RuleTest {
    #[serde(default)]
    api_version: Option<String>,
    #[allow(dead_code)]
    kind: String,
    /// Shown in the output; defaults to the rule and the document's line.
    #[serde(default)]
    name: Option<String>,
    /// Rule name or id.
    rule: String,
    #[serde(default = "default_phase")]
    phase: String,
    inputs: Vec<Value>,
    expect: Vec<Expect>,
}

fn default_phase() -> String {
    "pre".into()
}

/// A test file problem: `file:line: message`.
struct Bad(String);

fn bad(file: &Path, line: u32, msg: impl std::fmt::Display) -> Bad {
    Bad(format!("{}:{line}: {msg}", file.display()))
}

pub fn run(args: TestArgs) -> anyhow::Result<i32> {
    if !args.rules_dir.is_dir() {
        anyhow::bail!("{}: not a directory", args.rules_dir.display());
    }
    let catalog = load_catalog(std::slice::from_ref(&args.rules_dir))?;
    let mut files = Vec::new();
    collect(&args.rules_dir, &mut files);
    let (mut passed, mut failed, mut broken) = (0usize, 0usize, 0usize);
    for file in &files {
        let text =
            std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
        let mut docs = Vec::new();
        let out = parse_documents(&text, &Limits::default(), |d| docs.push(d));
        let is_test =
            |d: &ParsedDoc| d.value.get("kind").and_then(Value::as_str) == Some("RuleTest");
        if !docs.iter().any(is_test) {
            continue;
        }
        for p in out.problems.iter().filter(|p| !p.warning) {
            eprintln!("{}", bad(file, p.pos.line, &p.message).0);
            broken += 1;
        }
        for doc in docs.iter().filter(|d| is_test(d)) {
            match run_one(&catalog, file, doc) {
                Ok((label, problems)) if problems.is_empty() => {
                    println!("PASS {label}");
                    passed += 1;
                }
                Ok((label, problems)) => {
                    println!("FAIL {label}");
                    for p in problems {
                        println!("     {p}");
                    }
                    failed += 1;
                }
                Err(Bad(msg)) => {
                    eprintln!("karmada-preflight: invalid test: {msg}");
                    broken += 1;
                }
            }
        }
    }
    println!("{passed} passed, {failed} failed, {broken} invalid");
    if passed + failed + broken == 0 {
        eprintln!(
            "karmada-preflight: no `kind: RuleTest` documents under {}",
            args.rules_dir.display()
        );
        return Ok(EXIT_ERROR);
    }
    Ok(if broken > 0 {
        EXIT_ERROR
    } else if failed > 0 {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    })
}

/// Run one test; `Ok((label, mismatches))`, or `Err` when the test itself is invalid.
fn run_one(catalog: &Catalog, file: &Path, doc: &ParsedDoc) -> Result<(String, Vec<String>), Bad> {
    let t: RuleTest = serde_json::from_value(doc.value.clone()).map_err(|e| {
        let msg = e.to_string();
        let field = msg.split('`').nth(1).unwrap_or("");
        let pos = doc.spans.exact(&format!("/{field}")).unwrap_or(doc.start);
        bad(file, pos.line, format!("invalid RuleTest: {msg}"))
    })?;
    let at = |ptr: &str| doc.spans.resolve(ptr).unwrap_or(doc.start).line;
    if let Some(v) = &t.api_version {
        if v != "preflight.karmada.io/v1alpha1" {
            return Err(bad(
                file,
                at("/apiVersion"),
                "apiVersion must be preflight.karmada.io/v1alpha1",
            ));
        }
    }
    let label = format!(
        "{}:{} {}",
        file.display(),
        doc.start.line,
        t.name.clone().unwrap_or_else(|| t.rule.clone())
    );
    let rule = catalog
        .find(&t.rule)
        .ok_or_else(|| bad(file, at("/rule"), format!("unknown rule {:?}", t.rule)))?;
    let phase = match t.phase.as_str() {
        "pre" => Phase::Pre,
        "post" => Phase::Post,
        other => {
            return Err(bad(
                file,
                at("/phase"),
                format!("phase {other:?} is not pre or post"),
            ))
        }
    };
    let base = file.parent().unwrap_or(Path::new("."));
    let mut paths = Vec::new();
    let mut inline = Vec::new();
    for (i, input) in t.inputs.iter().enumerate() {
        let ptr = format!("/inputs/{i}");
        match input {
            Value::String(rel) => {
                let p = base.join(rel);
                if !p.exists() {
                    return Err(bad(
                        file,
                        at(&ptr),
                        format!("input {} does not exist", p.display()),
                    ));
                }
                paths.push(p.display().to_string());
            }
            Value::Object(_) => inline.push((i, input)),
            _ => {
                return Err(bad(
                    file,
                    at(&ptr),
                    "an input is a file path or an inline object",
                ));
            }
        }
    }
    let mut inv = if paths.is_empty() {
        crate::inventory::Inventory::new()
    } else {
        load_inputs(&paths, &Limits::default(), &None)
    };
    if let Some(p) = inv.problems.iter().find(|p| !p.warning) {
        return Err(bad(
            file,
            at("/inputs"),
            format!("input {}: {}", p.location, p.message),
        ));
    }
    let path: Arc<Path> = Arc::from(file);
    for (i, v) in inline {
        let ptr = format!("/inputs/{i}");
        let s = |p: &str| v.pointer(p).and_then(Value::as_str);
        let (Some(api), Some(kind)) = (s("/apiVersion"), s("/kind")) else {
            return Err(bad(
                file,
                at(&ptr),
                "an inline input needs apiVersion and kind",
            ));
        };
        inv.push(Object {
            r: ObjectRef::new(
                Scope::Pool,
                api,
                kind,
                s("/metadata/namespace"),
                s("/metadata/name").unwrap_or("<unnamed>"),
            ),
            value: v.clone(),
            origin: Origin::File {
                path: path.clone(),
                spans: Arc::new(doc.spans.subtree(&ptr)),
                start: doc.spans.resolve(&ptr).unwrap_or(doc.start),
            },
        });
    }
    // Put the rule's own hop on the path so pack rules run regardless of the default.
    let plan = match rule.spec.hop.as_deref().and_then(parse_hop) {
        Some(h) => UpgradePlan {
            hops: vec![h],
            ..UpgradePlan::default()
        },
        None => UpgradePlan::default(),
    }
    .with_catalog(catalog);
    let opts = RunOptions {
        phase,
        now: time::OffsetDateTime::now_utc(),
        only: vec![rule.spec.name.clone()],
    };
    let findings = run_rules_on_path(catalog, &inv, &opts, &plan);
    let mut problems = Vec::new();
    for e in &t.expect {
        let about = |f: &&Finding| {
            f.object.as_ref().is_some_and(|o| {
                o.kind == e.object.kind
                    && o.name == e.object.name
                    && (e.object.namespace.is_none() || o.namespace == e.object.namespace)
            })
        };
        let mine: Vec<&Finding> = findings.iter().filter(about).collect();
        let who = format!(
            "{}/{}{}",
            e.object.kind,
            e.object
                .namespace
                .as_deref()
                .map(|n| format!("{n}/"))
                .unwrap_or_default(),
            e.object.name
        );
        if mine.is_empty() {
            let seen: Vec<String> = findings
                .iter()
                .map(|f| format!("{} {}", f.status, f.message))
                .collect();
            problems.push(format!(
                "{who}: expected {}, but the rule reported nothing about it (it reported: {})",
                e.status,
                seen.join("; ")
            ));
            continue;
        }
        for f in mine {
            if f.status != e.status {
                problems.push(format!(
                    "{who}: expected {}, got {}: {}",
                    e.status, f.status, f.message
                ));
            } else if let Some(m) = &e.message_contains {
                if !f.message.contains(m.as_str()) {
                    problems.push(format!(
                        "{who}: message {:?} does not contain {m:?}",
                        f.message
                    ));
                }
            }
        }
    }
    Ok((label, problems))
}
