//! `-o table`: findings grouped by status for a person at a terminal, then the
//! remediation of everything that is not a pass.

use comfy_table::{presets::UTF8_FULL_CONDENSED, Cell, Color, ContentArrangement, Table};

use super::Report;
use crate::findings::{Finding, Status};

fn status_color(s: Status) -> Color {
    match s {
        Status::Pass => Color::Green,
        Status::Fail | Status::Blocker => Color::Red,
        Status::Action => Color::Yellow,
        Status::Unknown => Color::Magenta,
        Status::Skip | Status::Suppressed => Color::DarkGrey,
    }
}

fn label(f: &Finding) -> String {
    match f.severity {
        Some(sev) if f.status == Status::Fail => format!("fail ({sev})"),
        _ => f.status.to_string(),
    }
}

pub fn render(report: &Report, color: bool, width: Option<u16>) -> String {
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(vec!["STATUS", "RULE", "OBJECT", "LOCATION", "MESSAGE"]);
    if let Some(w) = width {
        t.set_width(w);
    }
    if !color {
        t.force_no_tty();
    }
    for status in Status::ALL {
        for f in report.findings.iter().filter(|f| f.status == status) {
            let mut c = Cell::new(label(f));
            if color {
                c = c.fg(status_color(f.status));
            }
            t.add_row(vec![
                c,
                Cell::new(format!("{}\n{}", f.rule, f.id)),
                Cell::new(f.object.as_ref().map(|o| o.to_string()).unwrap_or_default()),
                Cell::new(
                    f.location
                        .as_ref()
                        .map(|l| l.to_string())
                        .unwrap_or_default(),
                ),
                Cell::new(&f.message),
            ]);
        }
    }
    let mut out = format!(
        "karmada-preflight {} — phase {} ({})\n",
        report.tool.version, report.phase, report.phase_reason
    );
    out.push_str(&t.to_string());
    out.push('\n');
    let needing: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| !matches!(f.status, Status::Pass | Status::Skip | Status::Suppressed))
        .filter(|f| f.remediation.is_some() || !f.evidence.is_empty())
        .collect();
    if !needing.is_empty() {
        out.push_str("\nRemediation\n===========\n");
    }
    for f in needing {
        out.push_str(&format!(
            "\n[{}] {} {}\n",
            label(f),
            f.rule,
            f.object.as_ref().map(|o| o.to_string()).unwrap_or_default()
        ));
        for e in &f.evidence {
            match &e.location {
                Some(l) => out.push_str(&format!("  - {} ({l})\n", e.message)),
                None => out.push_str(&format!("  - {}\n", e.message)),
            }
        }
        if let Some(r) = &f.remediation {
            out.push_str(&format!("  {}\n", r.summary));
            if let Some(d) = &r.diff {
                for line in d.lines() {
                    out.push_str(&format!("    {line}\n"));
                }
            }
            for c in &r.commands {
                out.push_str(&format!("    {c}\n"));
            }
            for m in &r.manifests {
                out.push_str(&format!(
                    "    (with --fix-dir: {} → {})\n",
                    m.file_name, m.apply_to
                ));
            }
        }
    }
    let counts: Vec<String> = report
        .summary
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(s, n)| format!("{n} {s}"))
        .collect();
    out.push_str(&format!("\nSummary: {}\n", counts.join(", ")));
    out
}
