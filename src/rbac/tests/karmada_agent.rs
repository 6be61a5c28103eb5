//! The questions the karmada-agent upgrade rule asks: does the agent's ServiceAccount hold
//! `impersonate`, through which binding and role, and which role would a fix edit.

use serde_json::json;

use super::helpers::*;
use crate::rbac::{
    recommended_agent_clusterrole, service_account_of_pod_spec, service_account_of_workload,
    BindingKind, RbacSubject, RoleKind, ServiceAccountRef, IMPERSONATE_RESOURCES,
};

#[test]
fn v0_10_agent_role_cannot_impersonate() {
    let idx = index(&[
        cluster_role("karmada-agent", v0_10_agent_rules()),
        crb("karmada-agent", "karmada-agent", agent_subjects()),
    ]);
    let verdict = idx.can_impersonate(&agent_sa());
    assert!(!verdict.allowed());
    assert_eq!(
        verdict.denied_resources(),
        vec!["users", "groups", "serviceaccounts"]
    );
    for check in &verdict.checks {
        assert!(check.decision.grants.is_empty(), "{}", check.resource);
        // The binding is found even though it does not grant impersonate: the report can
        // say which role lacks the verb.
        assert_eq!(check.decision.bindings_for_subject.len(), 1);
        assert_eq!(check.decision.bindings_for_subject[0].name, "karmada-agent");
        assert_eq!(check.decision.bindings_for_subject[0].origin, 1);
    }
    // The same role does grant what v0.10 needed.
    let get = idx.authorize(
        &RbacSubject::ServiceAccount(agent_sa()),
        &crate::rbac::ResourceAttributes::cluster("get", "apps", "deployments"),
    );
    assert!(get.allowed);
}

#[test]
fn v1_0_agent_role_can_impersonate() {
    let idx = index(&[
        cluster_role("karmada-agent", v1_0_agent_rules()),
        crb("karmada-agent", "karmada-agent", agent_subjects()),
    ]);
    let verdict = idx.can_impersonate(&agent_sa());
    assert!(verdict.allowed());
    assert!(verdict.denied_resources().is_empty());
    assert_eq!(verdict.checks.len(), IMPERSONATE_RESOURCES.len());
    for check in &verdict.checks {
        let d = &check.decision;
        assert!(d.allowed);
        assert_eq!(d.grants.len(), 1, "{}", check.resource);
        let g = &d.grants[0];
        assert_eq!(g.binding.kind, BindingKind::ClusterRoleBinding);
        assert_eq!(g.binding.name, "karmada-agent");
        assert_eq!(g.binding.origin, 1);
        assert_eq!(g.role.kind, RoleKind::ClusterRole);
        assert_eq!(g.role.name, "karmada-agent");
        assert_eq!(g.role.origin, Some(0));
        assert_eq!(g.rule_index, 0);
        assert_eq!(g.via_aggregation_from, None);
        assert_eq!(g.rule.verbs, vec!["*".to_string()]);
        assert!(d.notes.is_empty(), "{:?}", d.notes);
    }
    assert_eq!(
        verdict.checks[0].decision.grants[0].to_string(),
        r#"ClusterRoleBinding "karmada-agent" of ClusterRole "karmada-agent" rule #0"#
    );
}

#[test]
fn explicit_impersonate_rule_on_all_three_resources() {
    let idx = index(&[
        cluster_role("karmada-agent", v0_10_agent_rules()),
        crb("karmada-agent", "karmada-agent", agent_subjects()),
        cluster_role(
            "agent-impersonate",
            impersonate_rule(&["users", "groups", "serviceaccounts"]),
        ),
        crb("agent-impersonate", "agent-impersonate", agent_subjects()),
    ]);
    let verdict = idx.can_impersonate(&agent_sa());
    assert!(verdict.allowed());
    for check in &verdict.checks {
        let grants = &check.decision.grants;
        assert_eq!(grants.len(), 1);
        assert_eq!(grants[0].role.name, "agent-impersonate");
        assert_eq!(grants[0].binding.name, "agent-impersonate");
        assert_eq!(check.decision.bindings_for_subject.len(), 2);
    }
}

#[test]
fn impersonate_on_users_only_denies_groups_and_serviceaccounts() {
    let idx = index(&[
        cluster_role("agent-impersonate", impersonate_rule(&["users"])),
        crb("agent-impersonate", "agent-impersonate", agent_subjects()),
    ]);
    let verdict = idx.can_impersonate(&agent_sa());
    assert!(!verdict.allowed());
    assert_eq!(
        verdict.denied_resources(),
        vec!["groups", "serviceaccounts"]
    );
    let users = verdict.decision("users").unwrap();
    assert!(users.allowed);
    assert_eq!(users.grants[0].role.name, "agent-impersonate");
    assert!(verdict.decision("groups").unwrap().grants.is_empty());
    assert!(verdict.decision("nodes").is_none());
}

#[test]
fn every_grant_is_listed() {
    // Kubernetes stops at the first allowing rule; the report wants all of them.
    let idx = index(&[
        cluster_role("karmada-agent", v1_0_agent_rules()),
        crb("karmada-agent", "karmada-agent", agent_subjects()),
        cluster_role(
            "agent-impersonate",
            impersonate_rule(&["users", "groups", "serviceaccounts"]),
        ),
        crb("agent-impersonate", "agent-impersonate", agent_subjects()),
    ]);
    let d = idx.authorize(
        &RbacSubject::ServiceAccount(agent_sa()),
        &impersonate("users"),
    );
    let mut roles: Vec<_> = d.grants.iter().map(|g| g.role.name.as_str()).collect();
    roles.sort();
    assert_eq!(roles, vec!["agent-impersonate", "karmada-agent"]);
}

#[test]
fn helm_release_named_role_is_the_one_bound() {
    // A Helm release "my" names everything "my-karmada-agent"; a stock "karmada-agent"
    // ClusterRole that is bound to someone else must not be picked.
    let sa = ServiceAccountRef::new(AGENT_NS, "my-karmada-agent");
    let idx = index(&[
        cluster_role("karmada-agent", v1_0_agent_rules()),
        crb(
            "karmada-agent",
            "karmada-agent",
            json!([sa_subject(AGENT_NS, AGENT_SA)]),
        ),
        cluster_role("my-karmada-agent", v0_10_agent_rules()),
        crb(
            "my-karmada-agent",
            "my-karmada-agent",
            json!([sa_subject(AGENT_NS, "my-karmada-agent")]),
        ),
    ]);
    let subject = RbacSubject::ServiceAccount(sa.clone());
    let roles = idx.roles_bound_to(&subject);
    assert_eq!(roles.len(), 1);
    assert_eq!(roles[0].kind, RoleKind::ClusterRole);
    assert_eq!(roles[0].name, "my-karmada-agent");
    assert_eq!(roles[0].namespace, None);
    assert_eq!(roles[0].origin, Some(2));
    assert!(!idx.is_aggregated("my-karmada-agent"));
    assert!(!idx.can_impersonate(&sa).allowed());
    let bindings = idx.bindings_for(&subject);
    assert_eq!(bindings.len(), 1);
    assert_eq!(bindings[0].name, "my-karmada-agent");
}

#[test]
fn roles_bound_to_lists_each_role_once_including_missing_ones() {
    let idx = index(&[
        cluster_role("a", v0_10_agent_rules()),
        crb("a-1", "a", agent_subjects()),
        crb("a-2", "a", agent_subjects()),
        rb(AGENT_NS, "a-3", "ClusterRole", "a", agent_subjects()),
        role(AGENT_NS, "local", impersonate_rule(&["users"])),
        rb(AGENT_NS, "local", "Role", "local", agent_subjects()),
        crb("gone", "does-not-exist", agent_subjects()),
    ]);
    let roles = idx.roles_bound_to(&RbacSubject::ServiceAccount(agent_sa()));
    let summary: Vec<_> = roles.iter().map(|r| (r.to_string(), r.exists())).collect();
    // ClusterRoleBindings come first (by name), then RoleBindings (by namespace, name).
    assert_eq!(
        summary,
        vec![
            (r#"ClusterRole "a""#.to_string(), true),
            (r#"ClusterRole "does-not-exist""#.to_string(), false),
            (r#"Role "karmada-system/local""#.to_string(), true),
        ]
    );
}

#[test]
fn recommended_role_is_the_v1_0_role_and_grants_impersonate() {
    let role = recommended_agent_clusterrole("my-karmada-agent");
    assert_eq!(
        role,
        json!({
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": { "name": "my-karmada-agent" },
            "rules": [
                { "apiGroups": ["*"], "resources": ["*"], "verbs": ["*"] },
                { "nonResourceURLs": ["*"], "verbs": ["get"] }
            ]
        })
    );
    let sa = ServiceAccountRef::new(AGENT_NS, "my-karmada-agent");
    let idx = index(&[
        role,
        crb(
            "my-karmada-agent",
            "my-karmada-agent",
            json!([sa_subject(AGENT_NS, "my-karmada-agent")]),
        ),
    ]);
    assert!(idx.notes().is_empty());
    assert!(idx.can_impersonate(&sa).allowed());
}

#[test]
fn service_account_of_pod_spec_precedence() {
    let sa = |spec| service_account_of_pod_spec(&spec, "ns");
    assert_eq!(
        sa(json!({ "serviceAccountName": "new", "serviceAccount": "old" })),
        ServiceAccountRef::new("ns", "new")
    );
    assert_eq!(
        sa(json!({ "serviceAccount": "old" })),
        ServiceAccountRef::new("ns", "old")
    );
    assert_eq!(
        sa(json!({ "serviceAccountName": "", "serviceAccount": "old" })),
        ServiceAccountRef::new("ns", "old")
    );
    assert_eq!(sa(json!({})), ServiceAccountRef::new("ns", "default"));
    assert_eq!(
        sa(json!({ "serviceAccountName": 7 })),
        ServiceAccountRef::new("ns", "default")
    );
    assert_eq!(
        sa(json!("not a spec")),
        ServiceAccountRef::new("ns", "default")
    );
}

#[test]
fn service_account_of_workload_kinds() {
    let deployment = json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": { "name": "karmada-agent", "namespace": "karmada-system" },
        "spec": { "template": { "spec": { "serviceAccountName": "karmada-agent-sa" } } }
    });
    assert_eq!(
        service_account_of_workload(&deployment, "default"),
        Some(agent_sa())
    );
    let pod = json!({ "kind": "Pod", "spec": { "containers": [] } });
    assert_eq!(
        service_account_of_workload(&pod, "fallback"),
        Some(ServiceAccountRef::new("fallback", "default"))
    );
    let cronjob = json!({
        "kind": "CronJob", "metadata": { "namespace": "x" },
        "spec": { "jobTemplate": { "spec": { "template": { "spec": { "serviceAccount": "cj" } } } } }
    });
    assert_eq!(
        service_account_of_workload(&cronjob, "default"),
        Some(ServiceAccountRef::new("x", "cj"))
    );
    assert_eq!(
        service_account_of_workload(&json!({ "kind": "Service", "spec": {} }), "d"),
        None
    );
}
