//! Check templates: parameterised Rust logic that rule files instantiate. Each template
//! lives in its own file and registers one line in [`TEMPLATES`].

pub mod agent_rbac;
pub mod aggregated_apiserver;
pub mod api_served;
pub mod apiservice;
pub mod cel;
pub mod component_flags;
pub mod component_versions;
pub mod crd_removed;
pub mod endpointslice_v1beta1;
pub mod etcd_keys;
pub mod field_values;
pub mod front_proxy_certs;
pub mod front_proxy_secret;
pub mod hop_coverage;
pub mod image_target;
pub mod image_version;
pub mod impersonator_secret;
pub mod input_valid;
pub mod k8s_compat;
pub mod mcs_member_version;
pub mod member_k8s_patch;
pub mod object_exists;
pub mod outcome;
pub mod params;
pub mod release_notes;
pub mod rsp_removed;
pub mod same_minor;
pub mod service_link;
pub mod support;
pub mod upgrade_path;
pub mod version_path;
pub mod waiver_expired;
pub mod webhook;
pub mod workload_ready;

pub use outcome::{Outcome, Verdict};

use crate::inventory::Inventory;
use crate::upgrade::Phase;

/// Where a check reads a kind from; used to filter offline input and to plan live
/// collection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReadScope {
    Karmada,
    Host,
    Member,
}

/// One kind a check reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Read {
    /// `*`: every kind (of `api_version`, when set).
    pub kind: &'static str,
    pub scope: ReadScope,
    /// For `*`: the one apiVersion read (a `cel` rule matching by apiVersion alone).
    pub api_version: Option<&'static str>,
}

pub const fn read(kind: &'static str, scope: ReadScope) -> Read {
    Read {
        kind,
        scope,
        api_version: None,
    }
}

/// What a check can see while it runs.
pub struct Ctx<'a> {
    pub inv: &'a Inventory,
    pub phase: Phase,
    pub now: time::OffsetDateTime,
    /// The upgrade path of this run (read by the `upgrade-path` rule).
    pub plan: &'a crate::upgrade::UpgradePlan,
}

pub trait Check: Send + Sync {
    /// The kinds this check reads.
    fn reads(&self) -> Vec<Read>;
    /// Evaluate; every subject examined yields one outcome.
    fn run(&self, ctx: &Ctx<'_>) -> Vec<Outcome>;
    /// Whether the check reads `Inventory::gaps` itself. By default the engine makes a
    /// rule unknown when one of its reads could not be made, so a check never judges
    /// data it did not get; a check about the reads themselves (is the API served?)
    /// opts out.
    fn handles_gaps(&self) -> bool {
        false
    }
}

impl ReadScope {
    /// Whether a read in this scope covers objects of `scope`.
    pub fn covers(self, scope: &crate::inventory::Scope) -> bool {
        use crate::inventory::Scope;
        matches!(
            (self, scope),
            (ReadScope::Karmada, Scope::Karmada)
                | (ReadScope::Host, Scope::Host)
                | (ReadScope::Member, Scope::Member(_))
        )
    }
}

/// A template's parameters were wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompileError {
    /// JSON pointer inside `params` (empty: the template itself).
    pub pointer: String,
    pub message: String,
}

pub type Compile = fn(&serde_json::Value) -> Result<Box<dyn Check>, CompileError>;

/// Every template, by the name rule files use.
pub const TEMPLATES: &[(&str, Compile)] = &[
    ("input-valid", input_valid::compile),
    ("crd-removed", crd_removed::compile),
    ("apiservice", apiservice::compile),
    ("agent-impersonate-rbac", agent_rbac::compile),
    ("mcs-member-version", mcs_member_version::compile),
    ("endpointslice-v1beta1", endpointslice_v1beta1::compile),
    ("replicaschedulingpolicy-removed", rsp_removed::compile),
    ("member-k8s-needs-patch", member_k8s_patch::compile),
    ("cluster-impersonator-secret", impersonator_secret::compile),
    ("front-proxy-secret", front_proxy_secret::compile),
    ("front-proxy-certs", front_proxy_certs::compile),
    ("image-target", image_target::compile),
    ("image-version", image_version::compile),
    ("aggregated-apiserver", aggregated_apiserver::compile),
    ("apiservice-service-link", service_link::compile),
    ("version-path", version_path::compile),
    ("hop-coverage", hop_coverage::compile),
    ("field-values", field_values::compile),
    ("same-minor", same_minor::compile),
    ("k8s-compat", k8s_compat::compile),
    ("release-notes", release_notes::compile),
    ("waiver-expired", waiver_expired::compile),
    ("cel", cel::compile),
    ("component-flags", component_flags::compile),
    ("component-versions", component_versions::compile),
    ("webhook", webhook::compile),
    ("object-exists", object_exists::compile),
    ("upgrade-path", upgrade_path::compile),
    ("api-served", api_served::compile),
    ("workload-ready", workload_ready::compile),
    ("etcd-keys", etcd_keys::compile),
];

pub fn compile(template: &str, params: &serde_json::Value) -> Result<Box<dyn Check>, CompileError> {
    match TEMPLATES.iter().find(|(n, _)| *n == template) {
        Some((_, f)) => f(params),
        None => Err(CompileError {
            pointer: String::new(),
            message: format!(
                "unknown template {template:?}; known: {}",
                TEMPLATES
                    .iter()
                    .map(|(n, _)| *n)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }),
    }
}
