//! What to read where: the kinds the active rules read, per scope, and the group and
//! resource each kind is usually served as (so discovery asks only the groups needed,
//! and `rbac` can print a ClusterRole without a cluster).

use std::collections::BTreeSet;

use crate::inventory::Scope;

/// Where a kind is usually served. Discovery confirms the version (and finds kinds not
/// listed here by asking every group).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KindHint {
    pub kind: &'static str,
    /// Empty for the core group.
    pub group: &'static str,
    pub plural: &'static str,
    pub namespaced: bool,
}

const fn hint(
    kind: &'static str,
    group: &'static str,
    plural: &'static str,
    namespaced: bool,
) -> KindHint {
    KindHint {
        kind,
        group,
        plural,
        namespaced,
    }
}

pub const KNOWN_KINDS: &[KindHint] = &[
    hint("Namespace", "", "namespaces", false),
    hint("Pod", "", "pods", true),
    hint("Secret", "", "secrets", true),
    hint("ConfigMap", "", "configmaps", true),
    hint("Service", "", "services", true),
    hint("ServiceAccount", "", "serviceaccounts", true),
    hint("Endpoints", "", "endpoints", true),
    hint("Node", "", "nodes", false),
    hint("Deployment", "apps", "deployments", true),
    hint("StatefulSet", "apps", "statefulsets", true),
    hint("DaemonSet", "apps", "daemonsets", true),
    hint(
        "ClusterRole",
        "rbac.authorization.k8s.io",
        "clusterroles",
        false,
    ),
    hint(
        "ClusterRoleBinding",
        "rbac.authorization.k8s.io",
        "clusterrolebindings",
        false,
    ),
    hint("Role", "rbac.authorization.k8s.io", "roles", true),
    hint(
        "RoleBinding",
        "rbac.authorization.k8s.io",
        "rolebindings",
        true,
    ),
    hint(
        "CustomResourceDefinition",
        "apiextensions.k8s.io",
        "customresourcedefinitions",
        false,
    ),
    hint("APIService", "apiregistration.k8s.io", "apiservices", false),
    hint(
        "ValidatingWebhookConfiguration",
        "admissionregistration.k8s.io",
        "validatingwebhookconfigurations",
        false,
    ),
    hint(
        "MutatingWebhookConfiguration",
        "admissionregistration.k8s.io",
        "mutatingwebhookconfigurations",
        false,
    ),
    hint("EndpointSlice", "discovery.k8s.io", "endpointslices", true),
    hint("Cluster", "cluster.karmada.io", "clusters", false),
    hint(
        "PropagationPolicy",
        "policy.karmada.io",
        "propagationpolicies",
        true,
    ),
    hint(
        "ClusterPropagationPolicy",
        "policy.karmada.io",
        "clusterpropagationpolicies",
        false,
    ),
    hint(
        "OverridePolicy",
        "policy.karmada.io",
        "overridepolicies",
        true,
    ),
    hint(
        "ClusterOverridePolicy",
        "policy.karmada.io",
        "clusteroverridepolicies",
        false,
    ),
    hint("Work", "work.karmada.io", "works", true),
    hint(
        "ResourceBinding",
        "work.karmada.io",
        "resourcebindings",
        true,
    ),
    hint(
        "ClusterResourceBinding",
        "work.karmada.io",
        "clusterresourcebindings",
        false,
    ),
    hint(
        "ServiceExport",
        "multicluster.x-k8s.io",
        "serviceexports",
        true,
    ),
    hint(
        "ServiceImport",
        "multicluster.x-k8s.io",
        "serviceimports",
        true,
    ),
];

pub fn known(kind: &str) -> Option<&'static KindHint> {
    KNOWN_KINDS.iter().find(|h| h.kind == kind)
}

/// The kinds to list in each kind of scope.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    pub karmada: BTreeSet<String>,
    pub host: BTreeSet<String>,
    pub member: BTreeSet<String>,
}

/// Filled by `rules::RuleFilter::live_plan` with exactly what the selected rules read.
impl Plan {
    pub fn kinds_for(&self, scope: &Scope) -> &BTreeSet<String> {
        match scope {
            Scope::Karmada => &self.karmada,
            Scope::Host => &self.host,
            Scope::Member(_) | Scope::Pool => &self.member,
        }
    }
}
