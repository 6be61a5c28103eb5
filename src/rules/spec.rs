//! The rule file format (see docs/architecture.md, "Adding a rule").

use serde::{Deserialize, Serialize};

use crate::findings::Consequence;
use crate::k8s::MinorHop;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Phases {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pre: Option<Consequence>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post: Option<Consequence>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    /// Stable and never reused, e.g. `KP1001`.
    pub id: String,
    /// Stable name used in reports and suppressions, e.g. `cluster-crd-removed`.
    pub name: String,
    pub pack: String,
    pub title: String,
    /// The check template in `src/checks/` this rule instantiates.
    pub template: String,
    #[serde(default)]
    pub params: serde_json::Value,
    pub phases: Phases,
    /// What it checks / why it matters / how to fix (shown by `explain`).
    #[serde(default)]
    pub checks: String,
    pub why: String,
    pub fix: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub docs: Option<String>,
    /// Upgrade hop, e.g. `v0.10->v1.0` (defaults from the pack).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hop: Option<MinorHop>,
    /// Where the rule's fix sits in the upgrade guide (PLAN.md of `--fix-dir`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guide: Option<GuideStep>,
    /// The rule's `post` state holds in every later release (v1.0's Cluster API served by
    /// karmada-aggregated-apiserver, the Cluster CRD gone): it also runs when an install
    /// detected as v1.X is verified without `--to`. Needs a hop and a `post` phase.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub lasting: bool,
    /// Inputs with the findings this rule must report for them (`rules::examples`).
    #[serde(default, skip_serializing)]
    pub examples: Vec<super::examples::Example>,
}

/// A step of an upgrade guide: PLAN.md lists steps by number, each with the rules that
/// check it. Rules of one pack that share a step share its title.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuideStep {
    pub step: u32,
    pub title: String,
    /// A later step that undoes a temporary part of this fix (scale back up what the fix
    /// scaled down): the fix's `ScaleUp` steps are listed there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restore: Option<Box<GuideStep>>,
}
