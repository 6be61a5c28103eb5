//! `-o markdown`: a verification report a person pastes into a change ticket. It says
//! what was checked (tool, rules, inputs, phase and why), the counts, then one section
//! per rule: status per object, evidence with file:line, and the remediation (commands
//! and diffs in code blocks). Nothing read from the input beyond the findings is
//! printed, so no Secret value can reach the ticket.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::{Report, RuleInfo};
use crate::findings::{Finding, Status};

/// Escape what would break a table cell or start markup in inline text.
fn inline(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// A code fence longer than any backtick run inside `text`.
fn fence(text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    "`".repeat((longest + 1).max(3))
}

fn status_label(f: &Finding) -> String {
    match (f.status, f.severity) {
        (Status::Fail, Some(sev)) => format!("fail ({sev})"),
        (s, _) => s.to_string(),
    }
}

fn icon(s: Status) -> &'static str {
    match s {
        Status::Pass => "✅",
        Status::Fail | Status::Blocker => "❌",
        Status::Action => "🔧",
        Status::Unknown => "❓",
        Status::Skip => "⏭️",
        Status::Suppressed => "🔕",
    }
}

/// The worst status among a rule's findings, for its heading.
fn rule_status(findings: &[&Finding]) -> Status {
    Status::ALL
        .iter()
        .copied()
        .find(|s| findings.iter().any(|f| f.status == *s))
        .unwrap_or(Status::Skip)
}

pub fn render(report: &Report) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "# Karmada upgrade verification report\n");
    let _ = writeln!(o, "| | |\n|---|---|");
    let _ = writeln!(o, "| Generated | {} |", report.generated_at);
    let _ = writeln!(
        o,
        "| Tool | {} {} (rules {}) |",
        report.tool.name, report.tool.version, report.tool.rules_version
    );
    let _ = writeln!(
        o,
        "| Karmada version | {} |",
        inline(report.karmada_version.as_deref().unwrap_or("not detected"))
    );
    let _ = writeln!(
        o,
        "| Phase | {} — {} |",
        report.phase,
        inline(&report.phase_reason)
    );
    let objects: usize = report.inputs.iter().map(|i| i.objects).sum();
    let documents: usize = report.inputs.iter().map(|i| i.documents).sum();
    let _ = writeln!(
        o,
        "| Inputs | {} source(s), {documents} document(s), {objects} object(s) checked |",
        report.inputs.len()
    );
    if let Some(c) = &report.objects {
        let names = if c.clusters.is_empty() {
            "none".to_string()
        } else {
            c.clusters
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let _ = writeln!(o, "| Clusters seen | {names} |");
    }

    let _ = writeln!(o, "\n## Summary\n");
    let _ = writeln!(o, "| Status | Count |\n|---|---|");
    for (s, n) in &report.summary {
        let _ = writeln!(o, "| {} {s} | {n} |", icon(*s));
    }

    let _ = writeln!(o, "\n## Inputs\n");
    let _ = writeln!(
        o,
        "| Source | Scope | Documents | Objects |\n|---|---|---|---|"
    );
    for i in &report.inputs {
        let _ = writeln!(
            o,
            "| `{}` | {} | {} | {} |",
            inline(&i.source),
            i.scope,
            i.documents,
            i.objects
        );
    }

    // Rules in catalog order (the order `rules` lists them), then any finding whose rule
    // the report has no metadata for.
    let mut by_rule: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in &report.findings {
        by_rule.entry(f.rule.as_str()).or_default().push(f);
    }
    let _ = writeln!(o, "\n## Rules");
    for r in &report.rules {
        if let Some(fs) = by_rule.remove(r.name.as_str()) {
            rule_section(&mut o, Some(r), &r.name, &fs);
        }
    }
    for (name, fs) in by_rule {
        rule_section(&mut o, None, name, &fs);
    }
    o
}

fn rule_section(o: &mut String, info: Option<&RuleInfo>, name: &str, findings: &[&Finding]) {
    let status = rule_status(findings);
    let id = findings.first().map(|f| f.id.as_str()).unwrap_or("");
    let _ = writeln!(o, "\n### {} {name} ({id}) — {status}\n", icon(status));
    if let Some(r) = info {
        let _ = writeln!(o, "{}\n", inline(&r.title));
    }
    for f in findings {
        let obj = f
            .object
            .as_ref()
            .map(|x| format!(" `{x}`"))
            .unwrap_or_default();
        let loc = f
            .location
            .as_ref()
            .map(|l| format!(" at `{l}`"))
            .unwrap_or_default();
        let _ = writeln!(
            o,
            "- **{}**{obj}{loc}: {}",
            status_label(f),
            inline(&f.message)
        );
        if let Some(by) = &f.suppressed_by {
            let _ = writeln!(o, "  - suppressed by {}", inline(by));
        }
        for e in &f.evidence {
            match &e.location {
                Some(l) => {
                    let _ = writeln!(o, "  - {} (`{l}`)", inline(&e.message));
                }
                None => {
                    let _ = writeln!(o, "  - {}", inline(&e.message));
                }
            }
        }
        if matches!(f.status, Status::Pass | Status::Skip | Status::Suppressed) {
            continue;
        }
        let Some(rem) = &f.remediation else { continue };
        let _ = writeln!(o, "\n  **Remediation:** {}", inline(&rem.summary));
        if let Some(d) = &rem.diff {
            let fc = fence(d);
            let _ = writeln!(o, "\n  {fc}diff");
            for line in d.lines() {
                let _ = writeln!(o, "  {line}");
            }
            let _ = writeln!(o, "  {fc}");
        }
        if !rem.commands.is_empty() {
            let all = rem.commands.join("\n");
            let fc = fence(&all);
            let _ = writeln!(o, "\n  {fc}sh");
            for c in &rem.commands {
                let _ = writeln!(o, "  {c}");
            }
            let _ = writeln!(o, "  {fc}");
        }
        for m in &rem.manifests {
            let _ = writeln!(
                o,
                "  - with `--fix-dir`: `{}` (apply to {})",
                m.file_name, m.apply_to
            );
        }
        o.push('\n');
    }
    if let Some(r) = info {
        if !matches!(status, Status::Pass | Status::Skip) {
            let _ = writeln!(
                o,
                "\n<details><summary>Why it matters and how to fix</summary>\n"
            );
            let _ = writeln!(o, "{}\n\n{}", r.why, r.fix);
            if let Some(d) = &r.docs {
                let _ = writeln!(o, "\nDocs: {d}");
            }
            let _ = writeln!(o, "\n</details>");
        }
    }
}
