//! Rule matching seen through a whole index: wildcards, subresources, resourceNames.

use serde_json::json;

use super::helpers::*;
use crate::rbac::{RbacSubject, ResourceAttributes};

fn agent_with_rules(rules: serde_json::Value) -> crate::rbac::RbacIndex<usize> {
    index(&[
        cluster_role("agent", rules),
        crb("agent", "agent", agent_subjects()),
    ])
}

fn allowed(idx: &crate::rbac::RbacIndex<usize>, attrs: &ResourceAttributes) -> bool {
    idx.authorize(&RbacSubject::ServiceAccount(agent_sa()), attrs)
        .allowed
}

#[test]
fn api_group_wildcard_covers_core_group() {
    let idx = agent_with_rules(json!([
        { "apiGroups": ["*"], "resources": ["users", "groups", "serviceaccounts"], "verbs": ["impersonate"] }
    ]));
    assert!(idx.can_impersonate(&agent_sa()).allowed());
}

#[test]
fn wrong_api_group_does_not_grant() {
    // `users` in a non-core group is a different resource.
    let idx = agent_with_rules(json!([
        { "apiGroups": ["authentication.k8s.io"], "resources": ["users", "groups", "serviceaccounts"], "verbs": ["impersonate"] }
    ]));
    assert!(!idx.can_impersonate(&agent_sa()).allowed());
    assert!(allowed(
        &idx,
        &ResourceAttributes::cluster("impersonate", "authentication.k8s.io", "users")
    ));
}

#[test]
fn resource_wildcard_covers_every_resource() {
    let idx = agent_with_rules(json!([
        { "apiGroups": [""], "resources": ["*"], "verbs": ["impersonate"] }
    ]));
    let verdict = idx.can_impersonate(&agent_sa());
    assert!(verdict.allowed());
    assert_eq!(verdict.checks[2].decision.grants[0].rule_index, 0);
    // `*` also covers subresources.
    assert!(allowed(
        &idx,
        &ResourceAttributes::cluster("impersonate", "", "pods").with_subresource("log")
    ));
}

#[test]
fn resource_slash_star_is_not_a_wildcard() {
    // Kubernetes compares `users/*` literally; it grants neither `users` nor a subresource.
    let idx = agent_with_rules(json!([
        { "apiGroups": [""], "resources": ["users/*", "groups/*", "serviceaccounts/*"], "verbs": ["impersonate"] }
    ]));
    let verdict = idx.can_impersonate(&agent_sa());
    assert_eq!(
        verdict.denied_resources(),
        vec!["users", "groups", "serviceaccounts"]
    );
    assert!(!allowed(
        &idx,
        &ResourceAttributes::cluster("impersonate", "", "serviceaccounts")
            .with_subresource("token")
    ));
}

#[test]
fn subresource_wildcard_and_exact_subresource() {
    let idx = agent_with_rules(json!([
        { "apiGroups": [""], "resources": ["*/status"], "verbs": ["get"] },
        { "apiGroups": [""], "resources": ["pods/log"], "verbs": ["get"] }
    ]));
    let pods = ResourceAttributes::cluster("get", "", "pods");
    assert!(allowed(&idx, &pods.clone().with_subresource("status")));
    assert!(allowed(&idx, &pods.clone().with_subresource("log")));
    assert!(!allowed(&idx, &pods.clone().with_subresource("exec")));
    assert!(!allowed(&idx, &pods));
    let d = idx.authorize(
        &RbacSubject::ServiceAccount(agent_sa()),
        &pods.with_subresource("log"),
    );
    assert_eq!(d.grants.len(), 1);
    assert_eq!(d.grants[0].rule_index, 1);
}

#[test]
fn resource_names_restrict_to_named_requests() {
    let idx = agent_with_rules(json!([
        { "apiGroups": [""], "resources": ["users", "groups", "serviceaccounts"], "resourceNames": ["alice"], "verbs": ["impersonate"] }
    ]));
    // The impersonator role is unrestricted, so a name-restricted rule does not cover it.
    let verdict = idx.can_impersonate(&agent_sa());
    assert!(!verdict.allowed());
    assert_eq!(verdict.denied_resources().len(), 3);
    assert!(allowed(&idx, &impersonate("users").named("alice")));
    assert!(!allowed(&idx, &impersonate("users").named("bob")));
}

#[test]
fn empty_resource_names_list_is_unrestricted() {
    let idx = agent_with_rules(json!([
        { "apiGroups": [""], "resources": ["users", "groups", "serviceaccounts"], "resourceNames": [], "verbs": ["impersonate"] }
    ]));
    assert!(idx.can_impersonate(&agent_sa()).allowed());
}

#[test]
fn non_resource_rules_never_grant_resources() {
    let idx = agent_with_rules(json!([
        { "nonResourceURLs": ["*"], "verbs": ["*"] }
    ]));
    assert!(!idx.can_impersonate(&agent_sa()).allowed());
}

#[test]
fn verbs_must_include_impersonate_or_star() {
    let idx = agent_with_rules(json!([
        { "apiGroups": ["*"], "resources": ["*"], "verbs": ["get", "list", "escalate", "bind"] }
    ]));
    assert!(!idx.can_impersonate(&agent_sa()).allowed());
}
