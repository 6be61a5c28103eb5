//! `karmada-preflight compare BEFORE AFTER`: what the upgrade changed.
//!
//! Each side is a JSON report (`check -o json`) or something `check` reads (a snapshot
//! bundle, manifest directory or file), which is then checked with the same phase as the
//! other side (`--phase`, else the phase detected on BEFORE), so a finding's status means
//! the same on both sides. Findings needing attention (fail, blocker, action, unknown) are
//! matched by their stable fingerprint: new, resolved, unchanged (and, apart from
//! resolved, those whose Cluster disappeared).
//!
//! Karmada-specific: the v0.10 -> v1.0 guide deletes the Cluster CRD from etcd (not through
//! the API) precisely so the `cluster.karmada.io` Cluster objects survive. Every Cluster
//! present before must be present after; a missing one is reported and makes the exit
//! code 1, as does a new finding at error level (fail/error or blocker).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use anyhow::{bail, Context};
use clap::Args;
use serde::Serialize;
use serde_json::{json, Value};

use super::check::report_error;
use super::{EXIT_FINDINGS, EXIT_OK};
use crate::engine::{self, Config};
use crate::findings::{Finding, Fingerprint, Severity, Status};
use crate::inventory::{Location, ObjectRef};
use crate::reports::Report;
use crate::upgrade::Phase;

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The state before: a report from `check -o json` or `-o yaml`, a snapshot bundle
    /// (`collect --out`), or manifest files/directories to check.
    pub before: String,
    /// The state after, likewise.
    pub after: String,
    /// Phase to check directories in (default: the phase detected on BEFORE).
    #[arg(long, value_enum)]
    pub phase: Option<Phase>,
    /// table or json.
    #[arg(short = 'o', long = "output", default_value = "table")]
    pub output: String,
    /// Also load rule files from DIR (repeatable), when checking directories.
    #[arg(long = "rules", value_name = "DIR")]
    pub rules_dirs: Vec<std::path::PathBuf>,
    /// Largest file read, bytes: a report, or each file of a side that is checked.
    #[arg(long, default_value_t = crate::sources::Limits::default().max_file_bytes)]
    pub max_file_bytes: u64,
}

/// One side: a report read back, or the report of checking it.
struct Side {
    label: String,
    report: Report,
}

/// Is this value a report written by `check -o json` / `-o yaml`?
fn is_report(v: &Value) -> bool {
    v.get("findings").is_some_and(Value::is_array)
        && v.get("tool").is_some_and(|t| t.get("name").is_some())
}

/// The report a value holds; one that looks like a report but does not read is refused
/// (comparing it as manifests would find nothing and call that a clean upgrade).
fn as_report(path: &str, v: Value) -> anyhow::Result<Report> {
    serde_json::from_value(v).with_context(|| format!("{path}: not a report this version reads"))
}

/// What a file is, when it is something `compare` can name but not read: the other
/// report formats the tool writes. Reading those as manifests would find no Cluster and
/// no finding, and call that a clean upgrade.
fn unreadable_report_format(text: &str, json: Option<&Value>) -> Option<&'static str> {
    if let Some(v) = json {
        if v.get("runs").is_some() && v.get("version").is_some() {
            return Some("a SARIF report (-o sarif)");
        }
        return None;
    }
    let head = text.trim_start();
    if head.starts_with("<?xml") || head.starts_with("<testsuites") {
        return Some("a JUnit report (-o junit)");
    }
    if head.starts_with("# Karmada upgrade verification report") {
        return Some("a markdown report (-o markdown)");
    }
    if head.starts_with("karmada-preflight ") {
        return Some("a table report (-o table)");
    }
    None
}

/// A report's findings must be finding objects: `[1, "x", null]` would have no open
/// finding, and compare would call everything before resolved.
fn check_findings(path: &str, report: &Value) -> anyhow::Result<()> {
    let findings = report["findings"].as_array().into_iter().flatten();
    for (i, f) in findings.enumerate() {
        let fields_ok = ["rule", "status", "fingerprint"]
            .iter()
            .all(|k| f.get(k).is_some_and(Value::is_string));
        if !fields_ok {
            bail!(
                "{path}: findings[{i}] is {}, not a finding (an object with rule, status and \
                 fingerprint strings): not a report `check` wrote",
                crate::inventory::workload::json_type(f)
            );
        }
        // Findings are matched on it: one `check` did not write would match nothing.
        let fingerprint = f["fingerprint"].as_str().unwrap_or_default();
        if Fingerprint::parse(fingerprint).is_none() {
            bail!(
                "{path}: findings[{i}].fingerprint is {:?}, not the 24 lowercase hex digits \
                 `check` writes: not a report `check` wrote",
                crate::sources::safe_text::safe_text(
                    &fingerprint.chars().take(40).collect::<String>()
                )
            );
        }
    }
    Ok(())
}

/// A report if `path` is a file holding one (JSON or YAML, whatever its extension);
/// None means "check it" (manifests, a snapshot bundle). A report format compare cannot
/// read is refused, and so is a file over --max-file-bytes.
fn read_report(path: &str, max_file_bytes: u64) -> anyhow::Result<Option<Report>> {
    let p = Path::new(path);
    if !p.is_file() {
        return Ok(None);
    }
    let limits = crate::sources::Limits {
        max_file_bytes,
        ..Default::default()
    };
    let text = crate::sources::bounded::read_text(p, max_file_bytes)
        .map_err(|e| anyhow::anyhow!("{path}: {e}"))?;
    let json = serde_json::from_str::<Value>(&text).ok();
    if let Some(v) = json.as_ref().filter(|v| is_report(v)) {
        check_findings(path, v)?;
        return as_report(path, v.clone()).map(Some);
    }
    if let Some(format) = unreadable_report_format(&text, json.as_ref()) {
        bail!(
            "{path} is {format}; compare reads JSON or YAML reports (check -o json, -o yaml), \
             snapshot bundles (collect --out) and manifests"
        );
    }
    if json.is_none() {
        let mut docs = Vec::new();
        crate::sources::yaml::parse_documents(&text, &limits, |d| docs.push(d.value()));
        if let [v] = docs.as_slice() {
            if is_report(v) {
                check_findings(path, v)?;
                return as_report(path, v.clone()).map(Some);
            }
        }
    }
    // A manifest (JSON or YAML): check it like any other input.
    Ok(None)
}

/// A report read back, or `path` checked by the engine as `check PATH --phase PHASE`
/// would. `Err(code)`: the check ended without a report (why is on stderr).
fn load_side(
    path: &str,
    phase: Option<Phase>,
    args: &CompareArgs,
) -> anyhow::Result<Result<Side, i32>> {
    if let Some(report) = read_report(path, args.max_file_bytes)? {
        return Ok(Ok(Side {
            label: path.to_string(),
            report,
        }));
    }
    // As `check -o json` would: waivers and live problems on stderr, not the phase.
    let progress = |p: engine::Progress<'_>| super::check::print_progress(p, false);
    let config = Config {
        phase,
        rules_dirs: args.rules_dirs.clone(),
        progress: Some(&progress),
        limits: crate::sources::Limits {
            max_file_bytes: args.max_file_bytes,
            ..Default::default()
        },
        ..Config::paths(vec![path.to_string()])
    };
    Ok(match engine::run(&config) {
        Ok(report) => Ok(Side {
            label: path.to_string(),
            report,
        }),
        Err(e) => Err(report_error(e)),
    })
}

fn needs_attention(f: &Finding) -> bool {
    matches!(
        f.status,
        Status::Fail | Status::Blocker | Status::Action | Status::Unknown
    )
}

fn is_error(f: &Finding) -> bool {
    match f.status {
        Status::Blocker => true,
        Status::Fail => matches!(f.severity, Some(Severity::Error) | None),
        _ => false,
    }
}

fn location_label(l: Option<&Location>) -> String {
    match l {
        Some(Location {
            file: Some(f),
            line: Some(n),
            ..
        }) => format!("{f}:{n}"),
        Some(Location {
            file: Some(f),
            line: None,
            ..
        }) => f.to_string(),
        Some(l) => l.cluster.as_deref().unwrap_or_default().to_string(),
        None => String::new(),
    }
}

/// One finding in the comparison.
#[derive(Serialize)]
struct Entry<'a> {
    fingerprint: Fingerprint,
    rule: &'a str,
    id: &'a str,
    status: Status,
    severity: Option<Severity>,
    /// `scope/namespace/Kind/name`.
    object: String,
    /// `file:line`, or the cluster.
    location: String,
    message: &'a str,
}

fn entry(f: &Finding) -> Entry<'_> {
    Entry {
        fingerprint: f.fingerprint,
        rule: f.rule.name(),
        id: f.rule.id(),
        status: f.status,
        severity: f.severity,
        object: f
            .object
            .as_ref()
            .map(ObjectRef::to_string)
            .unwrap_or_default(),
        location: location_label(f.location.as_ref()),
        message: &f.message,
    }
}

fn entries<'a>(fs: &[&'a Finding]) -> Vec<Entry<'a>> {
    fs.iter().map(|f| entry(f)).collect()
}

fn open_findings(r: &Report) -> BTreeMap<Fingerprint, &Finding> {
    r.findings
        .iter()
        .filter(|f| needs_attention(f))
        .map(|f| (f.fingerprint, f))
        .collect()
}

fn clusters(r: &Report) -> Option<BTreeSet<String>> {
    r.objects
        .as_ref()
        .map(|o| o.clusters.iter().cloned().collect())
}

pub fn run(args: CompareArgs) -> anyhow::Result<i32> {
    if !matches!(args.output.as_str(), "table" | "json") {
        bail!("unknown format {:?} (table or json)", args.output);
    }
    let before = match load_side(&args.before, args.phase, &args)? {
        Ok(s) => s,
        Err(code) => return Ok(code),
    };
    // Same phase on both sides: what the user chose, else what BEFORE was judged in.
    let phase = args.phase.unwrap_or(before.report.phase);
    let after = match load_side(&args.after, Some(phase), &args)? {
        Ok(s) => s,
        Err(code) => return Ok(code),
    };
    if before.report.phase != after.report.phase {
        eprintln!(
            "karmada-preflight: warning: BEFORE was judged in phase \"{}\" and AFTER in phase \"{}\"; statuses may differ for that reason alone",
            before.report.phase, after.report.phase
        );
    }

    let b = open_findings(&before.report);
    let a = open_findings(&after.report);
    let new: Vec<&Finding> = a
        .iter()
        .filter(|(k, _)| !b.contains_key(*k))
        .map(|(_, f)| *f)
        .collect();
    let gone_before: Vec<&Finding> = b
        .iter()
        .filter(|(k, _)| !a.contains_key(*k))
        .map(|(_, f)| *f)
        .collect();
    let unchanged: Vec<&Finding> = a
        .iter()
        .filter(|(k, _)| b.contains_key(*k))
        .map(|(_, f)| *f)
        .collect();

    let (cb, ca) = (clusters(&before.report), clusters(&after.report));
    let (cluster_section, missing) = match (&cb, &ca) {
        (Some(cb), Some(ca)) => {
            let missing: Vec<String> = cb.difference(ca).cloned().collect();
            (
                json!({
                    "checked": true,
                    "before": cb,
                    "after": ca,
                    "missing": missing,
                    "added": ca.difference(cb).collect::<Vec<_>>(),
                }),
                missing,
            )
        }
        _ => {
            let which = if cb.is_none() {
                &before.label
            } else {
                &after.label
            };
            eprintln!(
                "karmada-preflight: warning: cannot compare Cluster objects: {which} has no `objects` inventory (a report from an older version?)"
            );
            (
                json!({ "checked": false, "reason": format!("{which} has no objects inventory") }),
                Vec::new(),
            )
        }
    };
    let new_errors = new.iter().filter(|f| is_error(f)).count();
    // A finding about a Cluster that disappeared did not get resolved: its subject is
    // gone. Listing it as resolved would make the worst outcome look like progress.
    let (object_gone, resolved): (Vec<&Finding>, Vec<&Finding>) =
        gone_before.into_iter().partition(|f| {
            f.object
                .as_ref()
                .is_some_and(|o| o.kind() == "Cluster" && missing.iter().any(|m| o.name == *m))
        });

    let side = |s: &Side| json!({ "source": s.label, "phase": s.report.phase, "karmadaVersion": s.report.karmada_version });
    let result = json!({
        "before": side(&before),
        "after": side(&after),
        "summary": {
            "new": new.len(), "resolved": resolved.len(), "unchanged": unchanged.len(),
            "objectGone": object_gone.len(),
            "newErrors": new_errors, "missingClusters": missing.len(),
        },
        "clusters": cluster_section,
        "new": entries(&new),
        "resolved": entries(&resolved),
        "objectGone": entries(&object_gone),
        "unchanged": entries(&unchanged),
    });
    let text = if args.output == "json" {
        serde_json::to_string_pretty(&result)? + "\n"
    } else {
        render_table(&result)
    };
    super::output::write_stdout(&text)?;
    for m in &missing {
        eprintln!("karmada-preflight: Cluster {m} was present before and is missing after");
    }
    Ok(if !missing.is_empty() || new_errors > 0 {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    })
}

fn render_table(r: &Value) -> String {
    let mut o = format!(
        "compare {} ({}) -> {} ({})\n",
        r["before"]["source"].as_str().unwrap_or(""),
        r["before"]["phase"].as_str().unwrap_or("?"),
        r["after"]["source"].as_str().unwrap_or(""),
        r["after"]["phase"].as_str().unwrap_or("?"),
    );
    for (title, key) in [
        ("New", "new"),
        ("Resolved", "resolved"),
        (
            "Gone with their missing Cluster (not resolved)",
            "objectGone",
        ),
        ("Unchanged", "unchanged"),
    ] {
        let items = r[key].as_array().map(Vec::as_slice).unwrap_or(&[]);
        o.push_str(&format!("\n{title} ({})\n", items.len()));
        for f in items {
            let loc = f["location"]
                .as_str()
                .filter(|s| !s.is_empty())
                .map(|s| format!(" [{s}]"))
                .unwrap_or_default();
            o.push_str(&format!(
                "  {:<8} {} {}{loc}: {}\n",
                f["status"].as_str().unwrap_or(""),
                f["rule"].as_str().unwrap_or(""),
                f["object"].as_str().unwrap_or(""),
                f["message"].as_str().unwrap_or("")
            ));
        }
    }
    let c = &r["clusters"];
    if c["checked"] == true {
        let list = |k: &str| -> Vec<String> {
            c[k].as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default()
        };
        let (before, missing, added) = (list("before"), list("missing"), list("added"));
        o.push_str(&format!(
            "\nClusters (cluster.karmada.io): {} before, {} after\n",
            before.len(),
            list("after").len()
        ));
        for m in &missing {
            o.push_str(&format!(
                "  MISSING  {m}: present before the upgrade, gone after\n"
            ));
        }
        for m in &added {
            o.push_str(&format!("  added    {m}\n"));
        }
        if missing.is_empty() {
            o.push_str("  every Cluster present before is still present\n");
        }
    } else {
        o.push_str(&format!(
            "\nClusters: not compared ({})\n",
            c["reason"].as_str().unwrap_or("")
        ));
    }
    o
}
