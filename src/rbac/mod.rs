//! Offline Kubernetes RBAC evaluation for one cluster's RBAC objects.
//!
//! The semantics follow the kube-apiserver RBAC authorizer
//! (`plugin/pkg/auth/authorizer/rbac`, `pkg/registry/rbac/validation/rule.go`,
//! `pkg/apis/rbac/v1/evaluation_helpers.go`) and the
//! `clusterrole-aggregation-controller`, so a decision here is the decision the member
//! cluster's API server would make. Karmada v1.0's pull-mode agent needs this because it
//! applies a `karmada-impersonator` ClusterRole, and RBAC escalation prevention only lets it
//! do so if the agent already holds `impersonate` itself. Helm installs name the agent's
//! ServiceAccount, ClusterRole and binding after the release, so nothing here looks objects
//! up by a fixed name: callers resolve the agent's ServiceAccount from its Deployment
//! ([`service_account_of_pod_spec`]) and evaluate what is actually bound to it.
//!
//! Entry point: [`RbacIndex::from_objects`], then [`RbacIndex::authorize`] or
//! [`RbacIndex::can_impersonate`].

mod agent;
mod aggregation;
mod index;
mod matching;
mod parse;
mod selector;
mod subject;
mod types;

#[cfg(test)]
mod tests;

pub use agent::{
    recommended_agent_clusterrole, service_account_of_pod_spec, service_account_of_workload,
    ImpersonateCheck, ImpersonateVerdict, IMPERSONATE_RESOURCES,
};
pub use index::{IndexNote, RbacIndex};
pub use matching::rule_allows;
pub use types::{
    BindingKind, BindingRef, Decision, EffectiveRule, Grant, RbacObject, RbacSubject,
    ResourceAttributes, RoleKind, RoleRef, ServiceAccountRef,
};
