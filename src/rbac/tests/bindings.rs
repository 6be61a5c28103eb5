//! Binding scope: ClusterRoleBindings grant everywhere, RoleBindings only in their
//! namespace, and dangling role references grant nothing.

use serde_json::json;

use super::helpers::*;
use crate::rbac::{BindingKind, RbacSubject, RoleKind};

fn subject() -> RbacSubject {
    RbacSubject::ServiceAccount(agent_sa())
}

#[test]
fn rolebinding_of_clusterrole_grants_only_in_its_namespace() {
    let idx = index(&[
        cluster_role(
            "impersonator",
            impersonate_rule(&["users", "groups", "serviceaccounts"]),
        ),
        rb(
            AGENT_NS,
            "agent-impersonate",
            "ClusterRole",
            "impersonator",
            agent_subjects(),
        ),
    ]);

    let here = idx.authorize(&subject(), &impersonate("users").in_namespace(AGENT_NS));
    assert!(here.allowed);
    assert_eq!(here.grants.len(), 1);
    assert_eq!(here.grants[0].binding.kind, BindingKind::RoleBinding);
    assert_eq!(here.grants[0].binding.namespace.as_deref(), Some(AGENT_NS));
    assert_eq!(here.grants[0].role.kind, RoleKind::ClusterRole);
    assert_eq!(here.grants[0].role.namespace, None);

    let elsewhere = idx.authorize(&subject(), &impersonate("users").in_namespace("default"));
    assert!(!elsewhere.allowed);
    assert!(elsewhere.grants.is_empty());
    assert!(elsewhere
        .notes
        .iter()
        .any(|n| n.contains("only in namespace \"karmada-system\"")));

    let cluster_wide = idx.authorize(&subject(), &impersonate("users"));
    assert!(!cluster_wide.allowed);
    assert!(cluster_wide.grants.is_empty());
    assert_eq!(cluster_wide.bindings_for_subject.len(), 1);
    assert!(
        cluster_wide
            .notes
            .iter()
            .any(|n| n.contains("needs a ClusterRoleBinding")),
        "{:?}",
        cluster_wide.notes
    );
    assert!(!idx.can_impersonate(&agent_sa()).allowed());
}

#[test]
fn empty_namespace_is_cluster_wide() {
    let idx = index(&[
        cluster_role("impersonator", impersonate_rule(&["users"])),
        rb(
            AGENT_NS,
            "x",
            "ClusterRole",
            "impersonator",
            agent_subjects(),
        ),
    ]);
    assert!(
        !idx.authorize(&subject(), &impersonate("users").in_namespace(""))
            .allowed
    );
}

#[test]
fn clusterrolebinding_grants_in_every_namespace() {
    let idx = index(&[
        cluster_role("impersonator", impersonate_rule(&["users"])),
        crb("agent-impersonate", "impersonator", agent_subjects()),
    ]);
    for ns in [None, Some("default"), Some(AGENT_NS)] {
        let mut attrs = impersonate("users");
        attrs.namespace = ns.map(str::to_string);
        assert!(idx.authorize(&subject(), &attrs).allowed, "{ns:?}");
    }
}

#[test]
fn rolebinding_of_role_uses_the_role_in_its_own_namespace() {
    let idx = index(&[
        role(AGENT_NS, "impersonator", impersonate_rule(&["users"])),
        // Same name in another namespace, granting more; must not be used.
        role(
            "other",
            "impersonator",
            impersonate_rule(&["users", "groups"]),
        ),
        rb(AGENT_NS, "bind", "Role", "impersonator", agent_subjects()),
    ]);
    let users = idx.authorize(&subject(), &impersonate("users").in_namespace(AGENT_NS));
    assert!(users.allowed);
    assert_eq!(users.grants[0].role.kind, RoleKind::Role);
    assert_eq!(users.grants[0].role.namespace.as_deref(), Some(AGENT_NS));
    assert_eq!(users.grants[0].role.origin, Some(0));
    let groups = idx.authorize(&subject(), &impersonate("groups").in_namespace(AGENT_NS));
    assert!(!groups.allowed);
}

#[test]
fn missing_clusterrole_is_denied_with_a_note() {
    let idx = index(&[crb("karmada-agent", "karmada-agent", agent_subjects())]);
    let d = idx.authorize(&subject(), &impersonate("users"));
    assert!(!d.allowed);
    assert!(d.grants.is_empty());
    assert_eq!(d.bindings_for_subject.len(), 1);
    assert_eq!(
        d.notes,
        vec![
            r#"ClusterRoleBinding "karmada-agent" references missing ClusterRole "karmada-agent""#
                .to_string()
        ]
    );
    let verdict = idx.can_impersonate(&agent_sa());
    assert!(!verdict.allowed());
    assert!(verdict.checks.iter().all(|c| c.decision.notes.len() == 1));
}

#[test]
fn missing_role_is_denied_with_a_note() {
    let idx = index(&[rb(AGENT_NS, "b", "Role", "nope", agent_subjects())]);
    let d = idx.authorize(&subject(), &impersonate("users").in_namespace(AGENT_NS));
    assert!(!d.allowed);
    assert_eq!(
        d.notes,
        vec![
            r#"RoleBinding "karmada-system/b" references missing Role "karmada-system/nope""#
                .to_string()
        ]
    );
}

#[test]
fn clusterrolebinding_to_a_role_grants_nothing() {
    let mut binding = crb("b", "impersonator", agent_subjects());
    binding["roleRef"]["kind"] = json!("Role");
    let idx = index(&[
        role(AGENT_NS, "impersonator", impersonate_rule(&["users"])),
        binding,
    ]);
    let d = idx.authorize(&subject(), &impersonate("users").in_namespace(AGENT_NS));
    assert!(!d.allowed);
    assert!(
        d.notes[0].contains("can only grant a ClusterRole"),
        "{:?}",
        d.notes
    );
    assert!(idx.roles_bound_to(&subject()).is_empty());
}

#[test]
fn unknown_roleref_kind_grants_nothing() {
    let mut binding = crb("b", "impersonator", agent_subjects());
    binding["roleRef"]["kind"] = json!("clusterrole");
    let idx = index(&[
        cluster_role("impersonator", impersonate_rule(&["users"])),
        binding,
    ]);
    let d = idx.authorize(&subject(), &impersonate("users"));
    assert!(!d.allowed);
    assert!(
        d.notes[0].contains("unsupported roleRef kind"),
        "{:?}",
        d.notes
    );
}

#[test]
fn roleref_api_group_is_not_consulted() {
    // The authorizer resolves by kind and name only.
    let mut binding = crb("b", "impersonator", agent_subjects());
    binding["roleRef"]["apiGroup"] = json!("");
    let idx = index(&[
        cluster_role("impersonator", impersonate_rule(&["users"])),
        binding,
    ]);
    assert!(idx.authorize(&subject(), &impersonate("users")).allowed);
}

#[test]
fn grant_points_at_the_objects_it_came_from() {
    let idx = index(&[
        json!({ "kind": "Namespace", "apiVersion": "v1", "metadata": { "name": AGENT_NS } }),
        cluster_role("impersonator", impersonate_rule(&["users"])),
        rb(
            AGENT_NS,
            "b",
            "ClusterRole",
            "impersonator",
            agent_subjects(),
        ),
    ]);
    let d = idx.authorize(&subject(), &impersonate("users").in_namespace(AGENT_NS));
    assert_eq!(d.grants[0].binding.origin, 2);
    assert_eq!(d.grants[0].role.origin, Some(1));
    assert_eq!(
        d.grants[0].to_string(),
        r#"RoleBinding "karmada-system/b" of ClusterRole "impersonator" rule #0"#
    );
}
