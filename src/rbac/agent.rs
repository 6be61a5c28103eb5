//! Karmada-specific questions asked of the RBAC index: which ServiceAccount the agent runs
//! as, whether it may impersonate, and what the v1.0 agent ClusterRole looks like.

use serde_json::{json, Value};

use super::index::RbacIndex;
use super::types::{Decision, RbacSubject, ResourceAttributes, ServiceAccountRef};
use crate::inventory::workload::pod_spec_pointer;

/// The resources Karmada v1.0's `karmada-impersonator` ClusterRole grants `impersonate` on
/// (core API group). The agent applies that role in its member cluster, and RBAC escalation
/// prevention only allows that if the agent already holds the same permissions.
pub const IMPERSONATE_RESOURCES: [&str; 3] = ["users", "groups", "serviceaccounts"];

#[derive(Debug, Clone, PartialEq)]
pub struct ImpersonateCheck<O> {
    pub resource: &'static str,
    pub decision: Decision<O>,
}

/// Per-resource outcome of [`RbacIndex::can_impersonate`], in [`IMPERSONATE_RESOURCES`]
/// order.
#[derive(Debug, Clone, PartialEq)]
pub struct ImpersonateVerdict<O> {
    pub service_account: ServiceAccountRef,
    pub checks: Vec<ImpersonateCheck<O>>,
}

impl<O> ImpersonateVerdict<O> {
    /// True only if every resource is allowed.
    pub fn allowed(&self) -> bool {
        self.checks.iter().all(|c| c.decision.allowed)
    }

    pub fn denied_resources(&self) -> Vec<&'static str> {
        self.checks
            .iter()
            .filter(|c| !c.decision.allowed)
            .map(|c| c.resource)
            .collect()
    }

    pub fn decision(&self, resource: &str) -> Option<&Decision<O>> {
        self.checks
            .iter()
            .find(|c| c.resource == resource)
            .map(|c| &c.decision)
    }
}

impl<O: Clone> RbacIndex<O> {
    /// Can `sa` impersonate users, groups and serviceaccounts cluster-wide, for any name?
    /// That is what creating the unrestricted `karmada-impersonator` ClusterRole requires:
    /// a role holding `impersonate` only for some `resourceNames`, or only through a
    /// RoleBinding, does not cover it.
    pub fn can_impersonate(&self, sa: &ServiceAccountRef) -> ImpersonateVerdict<O> {
        let subject = RbacSubject::ServiceAccount(sa.clone());
        let checks = IMPERSONATE_RESOURCES
            .iter()
            .map(|&resource| ImpersonateCheck {
                resource,
                decision: self.authorize(
                    &subject,
                    &ResourceAttributes::cluster("impersonate", "", resource),
                ),
            })
            .collect();
        ImpersonateVerdict {
            service_account: sa.clone(),
            checks,
        }
    }
}

/// The karmada-agent ClusterRole as Karmada v1.0 ships it
/// (`artifacts/agent/clusterrole.yaml`), named `name` so a fix can target the role that is
/// actually bound (Helm names it after the release).
pub fn recommended_agent_clusterrole(name: &str) -> Value {
    json!({
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": { "name": name },
        "rules": [
            { "apiGroups": ["*"], "resources": ["*"], "verbs": ["*"] },
            { "nonResourceURLs": ["*"], "verbs": ["get"] }
        ]
    })
}

/// The ServiceAccount a pod with this spec runs as. `serviceAccountName` wins; the
/// deprecated `serviceAccount` alias is used when it is empty (as the v1 API conversion
/// does); otherwise the ServiceAccount admission plugin assigns `default`.
pub fn service_account_of_pod_spec(pod_spec: &Value, namespace: &str) -> ServiceAccountRef {
    let field = |key: &str| {
        pod_spec
            .get(key)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    let name = field("serviceAccountName")
        .or_else(|| field("serviceAccount"))
        .unwrap_or("default");
    ServiceAccountRef::new(namespace, name)
}

/// The ServiceAccount of a Pod or of a workload with a pod template (the kinds
/// [`pod_spec_pointer`] knows). The namespace is the object's, else `default_namespace`
/// (the one it would be applied to). `None` if the object has no pod spec.
pub fn service_account_of_workload(
    obj: &Value,
    default_namespace: &str,
) -> Option<ServiceAccountRef> {
    let namespace = obj
        .pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .unwrap_or(default_namespace);
    let pointer = pod_spec_pointer(obj.get("kind").and_then(Value::as_str)?)?;
    let spec = obj.pointer(pointer).filter(|s| s.is_object())?;
    Some(service_account_of_pod_spec(spec, namespace))
}
