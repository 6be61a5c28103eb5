//! Builders for RBAC objects as they appear in manifests, so tests read like YAML.

use serde_json::{json, Value};

use crate::rbac::{RbacIndex, RbacObject, ResourceAttributes, ServiceAccountRef};

pub const AGENT_NS: &str = "karmada-system";
pub const AGENT_SA: &str = "karmada-agent-sa";

pub fn agent_sa() -> ServiceAccountRef {
    ServiceAccountRef::new(AGENT_NS, AGENT_SA)
}

/// Origins are the objects' positions in `objs`.
pub fn index(objs: &[Value]) -> RbacIndex<usize> {
    RbacIndex::from_objects(objs.iter().enumerate().map(|(i, v)| RbacObject::new(v, i)))
}

pub fn cluster_role(name: &str, rules: Value) -> Value {
    json!({
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": { "name": name },
        "rules": rules,
    })
}

pub fn labelled_cluster_role(name: &str, labels: Value, rules: Value) -> Value {
    let mut cr = cluster_role(name, rules);
    cr["metadata"]["labels"] = labels;
    cr
}

pub fn aggregated_cluster_role(name: &str, selectors: Value) -> Value {
    json!({
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": { "name": name },
        "aggregationRule": { "clusterRoleSelectors": selectors },
        "rules": [],
    })
}

pub fn role(ns: &str, name: &str, rules: Value) -> Value {
    json!({
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": { "name": name, "namespace": ns },
        "rules": rules,
    })
}

pub fn crb(name: &str, cluster_role: &str, subjects: Value) -> Value {
    json!({
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRoleBinding",
        "metadata": { "name": name },
        "roleRef": { "apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": cluster_role },
        "subjects": subjects,
    })
}

pub fn rb(ns: &str, name: &str, role_kind: &str, role: &str, subjects: Value) -> Value {
    json!({
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": { "name": name, "namespace": ns },
        "roleRef": { "apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": role },
        "subjects": subjects,
    })
}

pub fn sa_subject(ns: &str, name: &str) -> Value {
    json!({ "kind": "ServiceAccount", "name": name, "namespace": ns })
}

pub fn agent_subjects() -> Value {
    json!([sa_subject(AGENT_NS, AGENT_SA)])
}

/// The v0.10.1 agent ClusterRole: every resource, six explicit verbs, no impersonate.
pub fn v0_10_agent_rules() -> Value {
    json!([
        { "apiGroups": ["*"], "resources": ["*"], "verbs": ["get", "watch", "list", "create", "update", "delete"] },
        { "nonResourceURLs": ["*"], "verbs": ["get"] }
    ])
}

/// The v1.0.0 agent ClusterRole: all verbs.
pub fn v1_0_agent_rules() -> Value {
    json!([
        { "apiGroups": ["*"], "resources": ["*"], "verbs": ["*"] },
        { "nonResourceURLs": ["*"], "verbs": ["get"] }
    ])
}

pub fn impersonate_rule(resources: &[&str]) -> Value {
    json!([{ "apiGroups": [""], "resources": resources, "verbs": ["impersonate"] }])
}

/// Cluster-wide, nameless `impersonate` on a core resource: the check the agent must pass.
pub fn impersonate(resource: &str) -> ResourceAttributes {
    ResourceAttributes::cluster("impersonate", "", resource)
}
