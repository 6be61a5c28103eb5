//! Reports: the run's findings rendered for people (table, markdown) and machines
//! (json, yaml, sarif, junit), and remediation written to a folder.

pub mod fixdir;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod plan;
pub mod sarif;
pub mod table;
pub mod text;
pub mod yaml;

use crate::sources::safe_text::{is_safe, make_safe, safe_text};
use serde::{Deserialize, Serialize};

use crate::findings::Consequence;
use crate::findings::{Finding, Status, Summary};
use crate::inventory::{InputSummary, Inventory};
use crate::rules::{Catalog, GuideStep};
use crate::text::Name;
use crate::upgrade::{Phase, PhaseDecision};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolInfo {
    pub name: String,
    // Defaults: a report trimmed by hand or written by another tool still compares.
    #[serde(default)]
    pub version: String,
    #[serde(rename = "rulesVersion", default)]
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
/// Deserialize reads back what `-o json` and `-o yaml` wrote (`compare` does); `rules`
/// is not written, so it reads back empty.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub tool: ToolInfo,
    pub phase: Phase,
    // Only what `compare` needs is required (tool, phase, findings): reports trimmed by
    // hand or written by older versions still read.
    #[serde(default)]
    pub phase_reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub karmada_version: Option<String>,
    #[serde(default)]
    pub generated_at: String,
    #[serde(default)]
    pub inputs: Vec<InputSummary>,
    #[serde(default)]
    pub summary: Summary,
    pub findings: Vec<Finding>,
    /// Objects whose presence matters across an upgrade (see `compare`). Optional so
    /// reports written before it existed still read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub objects: Option<ObjectsSeen>,
    /// What etcd held, as key names only (the Cluster CRD key, the Cluster keys), when
    /// etcd was read: after the upgrade, `check --baseline` compares against it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub etcd: Option<crate::inventory::etcd::EtcdKeys>,
    /// Metadata of the rules that ran, for formats that describe rules (SARIF, markdown).
    /// Not part of the JSON schema: `karmada-preflight rules -o json` has it.
    #[serde(skip)]
    pub rules: Vec<RuleInfo>,
}

/// The inventory section of the JSON report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectsSeen {
    /// Names of the `cluster.karmada.io` Cluster objects read (sorted, distinct). The
    /// upgrade deletes the Cluster CRD from etcd precisely so these survive; `compare`
    /// checks that every one present before is present after.
    pub clusters: Vec<String>,
}

impl ObjectsSeen {
    pub fn from_inventory(inv: &Inventory) -> ObjectsSeen {
        let mut clusters: Vec<String> = inv
            .all()
            .filter(|o| {
                o.kind() == "Cluster" && o.r.api_version().starts_with("cluster.karmada.io/")
            })
            .map(|o| o.name().to_string())
            .collect();
        clusters.sort();
        clusters.dedup();
        ObjectsSeen { clusters }
    }
}

/// What reports say about a rule, taken from its spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleInfo {
    pub id: String,
    pub name: String,
    pub pack: String,
    pub title: String,
    pub checks: String,
    pub why: String,
    pub fix: String,
    pub docs: Option<String>,
    /// What a violation means after the upgrade (the rule's default level).
    pub post: Option<Consequence>,
    pub pre: Option<Consequence>,
    /// Where the rule's fix sits in the upgrade guide (PLAN.md).
    pub guide: Option<GuideStep>,
}

impl RuleInfo {
    pub fn from_catalog(catalog: &Catalog) -> Vec<RuleInfo> {
        catalog
            .rules
            .iter()
            .map(|r| RuleInfo {
                id: r.spec.id.clone(),
                name: r.spec.name.clone(),
                pack: r.spec.pack.clone(),
                title: r.spec.title.clone(),
                checks: r.spec.checks.trim().to_string(),
                why: r.spec.why.trim().to_string(),
                fix: r.spec.fix.trim().to_string(),
                docs: r.spec.docs.clone(),
                post: r.spec.phases.post,
                pre: r.spec.phases.pre,
                guide: r.spec.guide.clone(),
            })
            .collect()
    }
}

impl Report {
    pub fn new(
        decision: &PhaseDecision,
        inputs: Vec<InputSummary>,
        findings: Vec<Finding>,
        now: time::OffsetDateTime,
    ) -> Report {
        // Server and file text is shown in terminals and markdown: made safe once here.
        let mut findings = findings;
        findings.iter_mut().for_each(make_finding_safe);
        let mut inputs = inputs;
        for i in &mut inputs {
            make_safe(&mut i.source);
            // A server chooses its own gitVersion; the markdown shows it.
            if let Some(live) = &mut i.live {
                make_safe(&mut live.cluster);
                live.kubernetes_version.iter_mut().for_each(make_safe);
                live.not_served.iter_mut().for_each(make_safe);
            }
        }
        Report {
            tool: ToolInfo::current(),
            phase: decision.phase,
            phase_reason: safe_text(&decision.reason).into_owned(),
            karmada_version: decision.karmada_version.clone(),
            generated_at: now
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
            inputs,
            summary: summarize(&findings),
            findings,
            objects: None,
            etcd: None,
            rules: Vec::new(),
        }
    }

    /// Attach rule metadata (SARIF and markdown describe each rule).
    pub fn with_rules(mut self, catalog: &Catalog) -> Report {
        self.rules = RuleInfo::from_catalog(catalog);
        self
    }

    /// Attach the inventory section (Cluster names) that `compare` reads.
    pub fn with_objects(mut self, inv: &Inventory) -> Report {
        self.objects = Some(ObjectsSeen::from_inventory(inv));
        self.etcd = match inv.etcd.as_ref().map(|e| &e.read) {
            Some(crate::inventory::etcd::EtcdRead::Read(keys)) => Some(keys.clone()),
            _ => None,
        };
        self
    }

    pub fn rule(&self, name: &str) -> Option<&RuleInfo> {
        self.rules.iter().find(|r| r.name == name)
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

/// [`make_safe`] for shared text: replaced (not changed in place) only when unsafe.
fn make_name_safe(n: &mut Name) {
    if !is_safe(n) {
        *n = Name::from(crate::sources::safe_text::safe_text(n).into_owned());
    }
}

/// Every string of a finding that can carry text from a server or a file.
fn make_finding_safe(f: &mut Finding) {
    make_safe(&mut f.message);
    if let Some(o) = &mut f.object {
        o.edit_texts(make_name_safe);
    }
    f.location.iter_mut().for_each(make_location_safe);
    // Evidence shared by many findings is copied only if something in it is unsafe.
    f.evidence.edit(
        |e| !is_safe(&e.message) || e.location.as_ref().is_some_and(|l| !location_is_safe(l)),
        |e| {
            make_safe(&mut e.message);
            e.location.iter_mut().for_each(make_location_safe);
        },
    );
}

/// Whether [`make_location_safe`] would leave `l` as it is.
fn location_is_safe(l: &crate::inventory::Location) -> bool {
    l.file.iter().all(|f| is_safe(f)) && l.cluster.iter().all(|s| is_safe(s)) && is_safe(&l.pointer)
}

/// Make every string of a location that can carry text from a server or a file safe.
fn make_location_safe(l: &mut crate::inventory::Location) {
    l.file.iter_mut().for_each(make_name_safe);
    l.cluster.iter_mut().for_each(make_name_safe);
    make_name_safe(&mut l.pointer);
}
