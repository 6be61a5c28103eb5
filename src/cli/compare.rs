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

use anyhow::bail;
use clap::{Args, Parser};
use serde_json::{json, Value};

use super::check::{build_report, CheckArgs};
use super::{EXIT_FINDINGS, EXIT_OK};
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

/// Lets `compare` build `check`'s arguments through clap, so it picks up every default
/// (and any flag added to `check` later) exactly as the command line would.
#[derive(Debug, Parser)]
struct CheckCmd {
    #[command(flatten)]
    args: CheckArgs,
}

/// One side, as the JSON report schema.
struct Side {
    label: String,
    report: Value,
}

fn phase_name(p: Phase) -> &'static str {
    match p {
        Phase::Pre => "pre",
        Phase::Post => "post",
    }
}

/// Is this value a report written by `check -o json` / `-o yaml`?
fn is_report(v: &Value) -> bool {
    v.get("findings").is_some_and(Value::is_array)
        && v.get("tool").is_some_and(|t| t.get("name").is_some())
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
    }
    Ok(())
}

/// A report if `path` is a file holding one (JSON or YAML, whatever its extension);
/// None means "check it" (manifests, a snapshot bundle). A report format compare cannot
/// read is refused, and so is a file over --max-file-bytes.
fn read_report(path: &str, max_file_bytes: u64) -> anyhow::Result<Option<Value>> {
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
        return Ok(json);
    }
    if let Some(format) = unreadable_report_format(&text, json.as_ref()) {
        bail!(
            "{path} is {format}; compare reads JSON or YAML reports (check -o json, -o yaml), \
             snapshot bundles (collect --out) and manifests"
        );
    }
    if json.is_none() {
        let mut docs = Vec::new();
        crate::sources::yaml::parse_documents(&text, &limits, |d| docs.push(d.value));
        if let [v] = docs.as_slice() {
            if is_report(v) {
                check_findings(path, v)?;
                return Ok(Some(v.clone()));
            }
        }
    }
    // A manifest (JSON or YAML): check it like any other input.
    Ok(None)
}

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
    let mut argv: Vec<String> = vec![
        "check".into(),
        path.into(),
        "--max-file-bytes".into(),
        args.max_file_bytes.to_string(),
    ];
    if let Some(p) = phase {
        argv.extend(["--phase".into(), phase_name(p).into()]);
    }
    for d in &args.rules_dirs {
        argv.extend(["--rules".into(), d.display().to_string()]);
    }
    let cmd = CheckCmd::try_parse_from(&argv).map_err(|e| anyhow::anyhow!("{e}"))?;
    let report = match build_report(&cmd.args)? {
        Ok(r) => r,
        Err(code) => return Ok(Err(code)),
    };
    Ok(Ok(Side {
        label: path.to_string(),
        report: serde_json::to_value(&report)?,
    }))
}

fn needs_attention(f: &Value) -> bool {
    matches!(
        f["status"].as_str(),
        Some("fail" | "blocker" | "action" | "unknown")
    )
}

fn is_error(f: &Value) -> bool {
    match f["status"].as_str() {
        Some("blocker") => true,
        Some("fail") => matches!(f["severity"].as_str(), Some("error") | None),
        _ => false,
    }
}

fn object_label(o: &Value) -> String {
    if !o.is_object() {
        return String::new();
    }
    let s = |k: &str| o[k].as_str().unwrap_or("");
    match o["namespace"].as_str() {
        Some(ns) => format!("{}/{ns}/{}/{}", s("scope"), s("kind"), s("name")),
        None => format!("{}/{}/{}", s("scope"), s("kind"), s("name")),
    }
}

fn location_label(l: &Value) -> String {
    match (l["file"].as_str(), l["line"].as_u64()) {
        (Some(f), Some(n)) => format!("{f}:{n}"),
        (Some(f), None) => f.to_string(),
        _ => l["cluster"].as_str().unwrap_or("").to_string(),
    }
}

fn entry(f: &Value) -> Value {
    json!({
        "fingerprint": f["fingerprint"],
        "rule": f["rule"],
        "id": f["id"],
        "status": f["status"],
        "severity": f.get("severity").cloned().unwrap_or(Value::Null),
        "object": object_label(&f["object"]),
        "location": location_label(&f["location"]),
        "message": f["message"],
    })
}

fn open_findings(r: &Value) -> BTreeMap<String, &Value> {
    r["findings"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|f| needs_attention(f))
                .filter_map(|f| Some((f["fingerprint"].as_str()?.to_string(), f)))
                .collect()
        })
        .unwrap_or_default()
}

fn clusters(r: &Value) -> Option<BTreeSet<String>> {
    r.get("objects")?["clusters"].as_array().map(|a| {
        a.iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect()
    })
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
    let phase = args
        .phase
        .or_else(|| match before.report["phase"].as_str() {
            Some("pre") => Some(Phase::Pre),
            Some("post") => Some(Phase::Post),
            _ => None,
        });
    let after = match load_side(&args.after, phase, &args)? {
        Ok(s) => s,
        Err(code) => return Ok(code),
    };
    if before.report["phase"] != after.report["phase"] {
        eprintln!(
            "karmada-preflight: warning: BEFORE was judged in phase {} and AFTER in phase {}; statuses may differ for that reason alone",
            before.report["phase"], after.report["phase"]
        );
    }

    let b = open_findings(&before.report);
    let a = open_findings(&after.report);
    let new: Vec<&Value> = a
        .iter()
        .filter(|(k, _)| !b.contains_key(*k))
        .map(|(_, f)| *f)
        .collect();
    let gone_before: Vec<&Value> = b
        .iter()
        .filter(|(k, _)| !a.contains_key(*k))
        .map(|(_, f)| *f)
        .collect();
    let unchanged: Vec<&Value> = a
        .iter()
        .filter(|(k, _)| b.contains_key(*k))
        .map(|(_, f)| *f)
        .collect();

    let (cb, ca) = (clusters(&before.report), clusters(&after.report));
    let cluster_section = match (&cb, &ca) {
        (Some(cb), Some(ca)) => json!({
            "checked": true,
            "before": cb,
            "after": ca,
            "missing": cb.difference(ca).collect::<Vec<_>>(),
            "added": ca.difference(cb).collect::<Vec<_>>(),
        }),
        _ => {
            let which = if cb.is_none() {
                &before.label
            } else {
                &after.label
            };
            eprintln!(
                "karmada-preflight: warning: cannot compare Cluster objects: {which} has no `objects` inventory (a report from an older version?)"
            );
            json!({ "checked": false, "reason": format!("{which} has no objects inventory") })
        }
    };
    let missing: Vec<String> = cluster_section["missing"]
        .as_array()
        .map(|m| {
            m.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let new_errors = new.iter().filter(|f| is_error(f)).count();
    // A finding about a Cluster that disappeared did not get resolved: its subject is
    // gone. Listing it as resolved would make the worst outcome look like progress.
    let (object_gone, resolved): (Vec<&Value>, Vec<&Value>) =
        gone_before.into_iter().partition(|f| {
            f["object"]["kind"] == "Cluster"
                && f["object"]["name"]
                    .as_str()
                    .is_some_and(|n| missing.iter().any(|m| m == n))
        });

    let result = json!({
        "before": { "source": before.label, "phase": before.report["phase"], "karmadaVersion": before.report["karmadaVersion"] },
        "after": { "source": after.label, "phase": after.report["phase"], "karmadaVersion": after.report["karmadaVersion"] },
        "summary": {
            "new": new.len(), "resolved": resolved.len(), "unchanged": unchanged.len(),
            "objectGone": object_gone.len(),
            "newErrors": new_errors, "missingClusters": missing.len(),
        },
        "clusters": cluster_section,
        "new": new.iter().map(|f| entry(f)).collect::<Vec<_>>(),
        "resolved": resolved.iter().map(|f| entry(f)).collect::<Vec<_>>(),
        "objectGone": object_gone.iter().map(|f| entry(f)).collect::<Vec<_>>(),
        "unchanged": unchanged.iter().map(|f| entry(f)).collect::<Vec<_>>(),
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
