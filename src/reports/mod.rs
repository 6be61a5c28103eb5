//! Reports: the run's findings rendered for people (table, markdown) and machines
//! (json, yaml, sarif, junit), and remediation written to a folder.

pub mod fixdir;
pub mod json;
pub mod table;
pub mod yaml;

use serde::Serialize;

use crate::findings::{Finding, Status, Summary};
use crate::inventory::InputSummary;
use crate::rules::{Phase, PhaseDecision};

#[derive(Debug, Clone, Serialize)]
pub struct ToolInfo {
    pub name: String,
    pub version: String,
    #[serde(rename = "rulesVersion")]
    pub rules_version: String,
}

impl ToolInfo {
    pub fn current() -> ToolInfo {
        ToolInfo {
            name: env!("CARGO_PKG_NAME").into(),
            version: env!("CARGO_PKG_VERSION").into(),
            rules_version: crate::rules::catalog::RULES_VERSION.into(),
        }
    }
}

/// Everything a run produced; every output format renders this.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub tool: ToolInfo,
    pub phase: Phase,
    pub phase_reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub karmada_version: Option<String>,
    pub generated_at: String,
    pub inputs: Vec<InputSummary>,
    pub summary: Summary,
    pub findings: Vec<Finding>,
}

impl Report {
    pub fn new(
        decision: &PhaseDecision,
        inputs: Vec<InputSummary>,
        findings: Vec<Finding>,
        now: time::OffsetDateTime,
    ) -> Report {
        Report {
            tool: ToolInfo::current(),
            phase: decision.phase,
            phase_reason: decision.reason.clone(),
            karmada_version: decision.karmada_version.clone(),
            generated_at: now
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
            inputs,
            summary: summarize(&findings),
            findings,
        }
    }

    /// Highest `--fail-on` rank among the findings (see `Finding::gate_rank`).
    pub fn worst_rank(&self) -> u8 {
        self.findings
            .iter()
            .map(Finding::gate_rank)
            .max()
            .unwrap_or(0)
    }
}

pub fn summarize(findings: &[Finding]) -> Summary {
    let mut s: Summary = Status::ALL.iter().map(|st| (*st, 0)).collect();
    for f in findings {
        *s.entry(f.status).or_default() += 1;
    }
    s
}
