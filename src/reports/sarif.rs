//! `-o sarif`: SARIF 2.1.0 for code-scanning tools (GitHub code scanning and others).
//!
//! Built as plain JSON rather than with `serde-sarif`'s generated types: we use a small,
//! fixed subset, and the test suite validates the output against the official schema
//! (`tests/schemas/sarif-schema-2.1.0.json`), which is what actually matters.
//!
//! Choices (documented in README.md, `## CI`):
//! - Only findings someone must look at become results: `fail`, `blocker`, `action`,
//!   `unknown`, and `suppressed` (with a SARIF `suppressions` entry, so viewers show it as
//!   dismissed instead of dropping it silently). `pass` and `skip` are omitted: a code
//!   scanner would show every result as an alert.
//! - `kind`/`level`: fail → `fail` + the severity (error/warning/note); blocker → `fail` +
//!   `error`; action (an upgrade step still to do) → `fail` + `warning`; unknown (could not
//!   be evaluated) → `review` + `none`, since SARIF requires level `none` for any kind
//!   other than `fail`.
//! - Files become `physicalLocation` with a relative URI under `%SRCROOT%` and a 1-based
//!   region at the finding's location (the offending field, or the object's own line when
//!   the field is missing). Live objects (no file) and absent objects become
//!   `logicalLocations` named after the object.

use serde_json::{json, Map, Value};

use super::{Report, RuleInfo};
use crate::findings::Consequence;
use crate::findings::{Finding, Severity, Status};
use crate::inventory::Location;

const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";
/// The tool has no home page of its own yet; the upgrade guide it implements is the most
/// useful place to send a reader.
const INFORMATION_URI: &str = "https://karmada.io/docs/administrator/upgrading/";
const SRCROOT: &str = "%SRCROOT%";

pub fn render(report: &Report) -> String {
    let mut s = serde_json::to_string_pretty(&to_value(report))
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}

pub fn to_value(report: &Report) -> Value {
    let rules: Vec<Value> = report.rules.iter().map(rule_descriptor).collect();
    let results: Vec<Value> = report
        .findings
        .iter()
        .filter(|f| !matches!(f.status, Status::Pass | Status::Skip))
        .map(|f| result(report, f))
        .collect();
    json!({
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": report.tool.name,
                    "version": report.tool.version,
                    "semanticVersion": report.tool.version,
                    "informationUri": INFORMATION_URI,
                    "rules": rules,
                    "properties": { "rulesVersion": report.tool.rules_version },
                }
            },
            "invocations": [{
                "executionSuccessful": true,
                "endTimeUtc": report.generated_at,
            }],
            "columnKind": "unicodeCodePoints",
            "results": results,
            "properties": {
                "phase": report.phase,
                "phaseReason": report.phase_reason,
                "karmadaVersion": report.karmada_version,
            },
        }]
    })
}

fn consequence_level(c: Consequence) -> &'static str {
    match c {
        Consequence::Error | Consequence::Blocker => "error",
        Consequence::Warning | Consequence::Action => "warning",
        Consequence::Info => "note",
    }
}

/// A rule's default level is what a violation means after the upgrade; rules that only
/// run before it fall back to their pre-phase consequence.
fn default_level(r: &RuleInfo) -> &'static str {
    r.post.or(r.pre).map(consequence_level).unwrap_or("warning")
}

fn rule_descriptor(r: &RuleInfo) -> Value {
    let level = default_level(r);
    let full = if r.checks.is_empty() {
        r.why.clone()
    } else {
        format!("{}\n\n{}", r.checks, r.why)
    };
    let mut markdown = format!("**How to fix**\n\n{}", r.fix);
    if let Some(d) = &r.docs {
        markdown.push_str(&format!("\n\nSee [the upgrade guide]({d})."));
    }
    let mut v = json!({
        "id": r.id,
        "name": r.name,
        "shortDescription": { "text": r.title },
        "fullDescription": { "text": full },
        "help": { "text": r.fix, "markdown": markdown },
        "defaultConfiguration": { "level": level },
        "properties": { "pack": r.pack, "tags": [r.pack] },
    });
    if let (Some(d), Some(m)) = (&r.docs, v.as_object_mut()) {
        m.insert("helpUri".into(), json!(d));
    }
    v
}

/// SARIF `kind` and `level` for a finding (see the module comment).
fn kind_level(f: &Finding, rule: Option<&RuleInfo>) -> (&'static str, &'static str) {
    match f.status {
        Status::Fail => (
            "fail",
            match f.severity {
                Some(Severity::Warning) => "warning",
                Some(Severity::Info) => "note",
                _ => "error",
            },
        ),
        Status::Blocker => ("fail", "error"),
        Status::Action => ("fail", "warning"),
        Status::Unknown => ("review", "none"),
        // Suppressed findings keep what they would have been; the engine does not keep
        // the original status, so the rule's default level stands in for it.
        Status::Suppressed => ("fail", rule.map(default_level).unwrap_or("warning")),
        Status::Pass => ("pass", "none"),
        Status::Skip => ("notApplicable", "none"),
    }
}

/// A relative path as a URI reference: forward slashes, and everything outside the
/// RFC 3986 unreserved set (plus `/`) percent-encoded.
pub fn path_to_uri(path: &str) -> String {
    let path = path.replace('\\', "/");
    let path = path.strip_prefix("./").unwrap_or(&path);
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// An artifact location: relative paths under `%SRCROOT%`; absolute ones as `file://`
/// URIs (relative to the current directory when they lie under it).
fn artifact_location(file: &str) -> Value {
    let p = std::path::Path::new(file);
    if p.is_absolute() {
        if let Some(rel) = std::env::current_dir()
            .ok()
            .and_then(|cwd| p.strip_prefix(cwd).ok().map(|r| r.to_path_buf()))
        {
            return json!({ "uri": path_to_uri(&rel.display().to_string()), "uriBaseId": SRCROOT });
        }
        return json!({ "uri": format!("file://{}", path_to_uri(file)) });
    }
    json!({ "uri": path_to_uri(file), "uriBaseId": SRCROOT })
}

fn physical_location(l: &Location) -> Option<Value> {
    let file = l.file.as_deref()?;
    let mut pl = Map::new();
    pl.insert("artifactLocation".into(), artifact_location(file));
    if let Some(line) = l.line.filter(|n| *n >= 1) {
        let mut region = json!({ "startLine": line });
        if let Some(col) = l.column.filter(|c| *c >= 1) {
            region["startColumn"] = json!(col);
        }
        pl.insert("region".into(), region);
    }
    Some(Value::Object(pl))
}

fn result(report: &Report, f: &Finding) -> Value {
    let index = report.rules.iter().position(|ri| f.rule.name() == ri.name);
    let (kind, level) = kind_level(f, index.map(|i| &report.rules[i]));
    let mut r = Map::new();
    r.insert("ruleId".into(), json!(f.rule.id()));
    if let Some(i) = index {
        r.insert("ruleIndex".into(), json!(i));
    }
    r.insert("kind".into(), json!(kind));
    r.insert("level".into(), json!(level));
    r.insert("message".into(), json!({ "text": f.message }));

    let mut loc = Map::new();
    if let Some(pl) = f.location.as_ref().and_then(physical_location) {
        loc.insert("physicalLocation".into(), pl);
    }
    if let Some(o) = &f.object {
        // Always name the object too: for live findings and for objects that should
        // exist but do not, it is the only location there is.
        loc.insert(
            "logicalLocations".into(),
            json!([{ "name": o.name, "fullyQualifiedName": o.to_string(), "kind": "resource" }]),
        );
    } else if loc.is_empty() {
        if let Some(c) = f.location.as_ref().and_then(|l| l.cluster.as_ref()) {
            loc.insert(
                "logicalLocations".into(),
                json!([{ "name": c, "kind": "resource" }]),
            );
        }
    }
    if !loc.is_empty() {
        r.insert("locations".into(), json!([Value::Object(loc)]));
    }

    let related: Vec<Value> = f
        .evidence
        .iter()
        .filter_map(|e| {
            let pl = e.location.as_ref().and_then(physical_location)?;
            Some((pl, &e.message))
        })
        .enumerate()
        .map(
            |(i, (pl, msg))| json!({ "id": i, "physicalLocation": pl, "message": { "text": msg } }),
        )
        .collect();
    if !related.is_empty() {
        r.insert("relatedLocations".into(), json!(related));
    }
    r.insert(
        "partialFingerprints".into(),
        json!({ "karmadaPreflight/v1": f.fingerprint }),
    );
    if let Some(by) = &f.suppressed_by {
        let source = if by.starts_with("annotation") {
            "inSource"
        } else {
            "external"
        };
        r.insert(
            "suppressions".into(),
            json!([{ "kind": source, "status": "accepted", "justification": by }]),
        );
    }
    let mut props = json!({
        "status": f.status,
        "pack": f.rule.pack(),
        "rule": f.rule.name(),
    });
    if let Some(s) = f.severity {
        props["severity"] = json!(s);
    }
    if let Some(o) = &f.object {
        props["scope"] = json!(o.scope().to_string());
        props["object"] = json!(o.to_string());
    }
    if let Some(h) = &f.hop {
        props["hop"] = json!(h);
    }
    if let Some(p) = f
        .location
        .as_ref()
        .map(|l| &l.pointer)
        .filter(|p| !p.is_empty())
    {
        props["pointer"] = json!(p);
    }
    r.insert("properties".into(), props);
    Value::Object(r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::{ObjectRef, Scope};
    use crate::upgrade::{Phase, PhaseDecision};

    #[test]
    fn live_findings_have_logical_locations_only() {
        let obj = ObjectRef::new(
            Scope::Host,
            "apps/v1",
            "Deployment",
            Some("karmada-system"),
            "karmada-apiserver",
        );
        let f = Finding {
            rule: crate::findings::RuleRef::new("apiserver-front-proxy-flags", "KP1003", "p"),
            status: Status::Fail,
            severity: Some(Severity::Warning),
            message: "m".into(),
            object: Some(obj.clone()),
            location: Some(Location {
                file: None,
                line: None,
                column: None,
                cluster: Some("karmada-host".into()),
                pointer: "/spec".into(),
            }),
            evidence: Default::default(),
            remediation: None,
            hop: None,
            suppressed_by: None,
            fingerprint: Finding::compute_fingerprint(
                "apiserver-front-proxy-flags",
                Some(&obj),
                Some("/spec"),
            ),
        };
        let decision = PhaseDecision {
            phase: Phase::Post,
            reason: "test".into(),
            detected: false,
            karmada_version: None,
            version: None,
        };
        let report = Report::new(
            &decision,
            Vec::new(),
            vec![f],
            time::OffsetDateTime::UNIX_EPOCH,
        );
        let v = to_value(&report);
        let r = &v["runs"][0]["results"][0];
        assert_eq!(r["level"], "warning");
        let loc = &r["locations"][0];
        assert!(loc.get("physicalLocation").is_none());
        assert_eq!(
            loc["logicalLocations"][0]["fullyQualifiedName"],
            "host/karmada-system/Deployment/karmada-apiserver"
        );
        assert_eq!(r["properties"]["scope"], "host");
    }

    #[test]
    fn uris_are_relative_and_encoded() {
        assert_eq!(path_to_uri("./a b/c.yaml"), "a%20b/c.yaml");
        assert_eq!(path_to_uri("dir\\x#y.yaml"), "dir/x%23y.yaml");
    }
}
