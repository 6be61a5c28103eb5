//! `-o markdown`: a verification report a person pastes into a change ticket. It says
//! what was checked (tool, rules, inputs, phase and why), the counts, then one section
//! per rule: status per object, evidence with file:line, and the remediation (commands
//! and diffs in code blocks). Nothing read from the input beyond the findings is
//! printed, so no Secret value can reach the ticket.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::{Report, RuleInfo};
use crate::findings::{Finding, Status};
use crate::inventory::InputSummary;

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
    let (live, files): (Vec<&InputSummary>, Vec<&InputSummary>) =
        report.inputs.iter().partition(|i| i.live.is_some());
    if !files.is_empty() || live.is_empty() {
        let _ = writeln!(
            o,
            "| Source | Scope | Documents | Objects |\n|---|---|---|---|"
        );
        for i in &files {
            let _ = writeln!(
                o,
                "| `{}` | {} | {} | {} |",
                inline(&i.source),
                i.scope,
                i.documents,
                i.objects
            );
        }
    }
    if !live.is_empty() {
        live_reads(&mut o, &live, !files.is_empty());
    }

    // Rules in catalog order (the order `rules` lists them), then any finding whose rule
    // the report has no metadata for.
    let mut by_rule: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in &report.findings {
        by_rule.entry(f.rule.name()).or_default().push(f);
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

/// The per-cluster read of a live run: one row per cluster and scope it served, after a
/// line naming the clusters with failed reads (at fleet scale the table is long).
fn live_reads(o: &mut String, live: &[&InputSummary], after_files: bool) {
    if after_files {
        o.push('\n');
    }
    let with_gaps: Vec<&str> = live
        .iter()
        .filter_map(|i| i.live.as_ref())
        .filter(|l| l.gaps > 0)
        .map(|l| l.cluster.as_str())
        .collect();
    let _ = write!(o, "Clusters read live: {}; ", live.len());
    if with_gaps.is_empty() {
        let _ = writeln!(o, "every read succeeded.\n");
    } else {
        let shown: Vec<String> = with_gaps
            .iter()
            .take(10)
            .map(|c| format!("`{}`", inline(c)))
            .collect();
        let more = with_gaps.len().saturating_sub(shown.len());
        let _ = writeln!(
            o,
            "{} with failed reads (their rules are unknown for them): {}{}.\n",
            with_gaps.len(),
            shown.join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        );
    }
    let _ = writeln!(
        o,
        "| Cluster | Scope | Kubernetes | Objects | Requests | Time | Gaps | Not served (read as none) |\n|---|---|---|---|---|---|---|---|"
    );
    for i in live {
        let Some(l) = &i.live else { continue };
        let _ = writeln!(
            o,
            "| `{}` | {} | {} | {} | {} | {} | {} | {} |",
            inline(&l.cluster),
            i.scope,
            inline(l.kubernetes_version.as_deref().unwrap_or("-")),
            i.objects,
            l.requests,
            duration(l.millis),
            l.gaps,
            if l.not_served.is_empty() {
                "-".to_string()
            } else {
                inline(&l.not_served.join(", "))
            }
        );
    }
}

/// `850 ms`, `2.4 s`, `3 min 5 s`.
fn duration(millis: u64) -> String {
    match millis {
        0..=999 => format!("{millis} ms"),
        1000..=59_999 => format!("{:.1} s", millis as f64 / 1000.0),
        _ => format!("{} min {} s", millis / 60_000, (millis % 60_000) / 1000),
    }
}

fn rule_section(o: &mut String, info: Option<&RuleInfo>, name: &str, findings: &[&Finding]) {
    let status = rule_status(findings);
    let id = findings.first().map(|f| f.rule.id()).unwrap_or("");
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

#[cfg(test)]
mod tests {
    use super::duration;

    #[test]
    fn read_times_in_units_a_person_reads() {
        assert_eq!(duration(850), "850 ms");
        assert_eq!(duration(2_449), "2.4 s");
        assert_eq!(duration(185_000), "3 min 5 s");
    }
}
