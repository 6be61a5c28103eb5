//! Which binding subjects name a ServiceAccount: its SA subject, its user name, and the
//! groups every ServiceAccount token carries. Near misses must grant nothing.

use serde_json::{json, Value};

use super::helpers::*;
use crate::rbac::{RbacSubject, ServiceAccountRef};

fn bound_to(subjects: Value) -> crate::rbac::RbacIndex<usize> {
    index(&[
        cluster_role("karmada-agent", v1_0_agent_rules()),
        crb("karmada-agent", "karmada-agent", subjects),
    ])
}

#[test]
fn wrong_service_account_name_is_denied() {
    let idx = bound_to(json!([sa_subject(AGENT_NS, "karmada-agent")]));
    let verdict = idx.can_impersonate(&agent_sa());
    assert!(!verdict.allowed());
    for c in &verdict.checks {
        assert!(c.decision.grants.is_empty());
        assert!(c.decision.bindings_for_subject.is_empty());
    }
    assert!(idx
        .roles_bound_to(&RbacSubject::ServiceAccount(agent_sa()))
        .is_empty());
}

#[test]
fn right_name_wrong_namespace_is_denied_with_a_note() {
    let idx = bound_to(json!([sa_subject("default", AGENT_SA)]));
    let verdict = idx.can_impersonate(&agent_sa());
    assert!(!verdict.allowed());
    let d = verdict.decision("users").unwrap();
    assert!(d.grants.is_empty());
    assert!(d.bindings_for_subject.is_empty());
    assert_eq!(
        d.notes,
        vec![r#"ClusterRoleBinding "karmada-agent" binds ServiceAccount default/karmada-agent-sa, not karmada-system/karmada-agent-sa"#.to_string()]
    );
    // And the SA that is named does get it.
    assert!(idx
        .can_impersonate(&ServiceAccountRef::new("default", AGENT_SA))
        .allowed());
}

#[test]
fn service_account_subject_without_namespace_in_clusterrolebinding_matches_no_one() {
    let idx = bound_to(json!([{ "kind": "ServiceAccount", "name": AGENT_SA }]));
    let d = idx
        .can_impersonate(&agent_sa())
        .decision("users")
        .cloned()
        .unwrap();
    assert!(!d.allowed);
    assert!(d.notes[0].contains("without a namespace"), "{:?}", d.notes);
}

#[test]
fn service_account_subject_without_namespace_defaults_to_rolebinding_namespace() {
    let idx = index(&[
        cluster_role("impersonator", impersonate_rule(&["users"])),
        rb(
            AGENT_NS,
            "b",
            "ClusterRole",
            "impersonator",
            json!([{ "kind": "ServiceAccount", "name": AGENT_SA }]),
        ),
    ]);
    let subject = RbacSubject::ServiceAccount(agent_sa());
    assert!(
        idx.authorize(&subject, &impersonate("users").in_namespace(AGENT_NS))
            .allowed
    );
    let other = RbacSubject::ServiceAccount(ServiceAccountRef::new("other", AGENT_SA));
    assert!(
        !idx.authorize(&other, &impersonate("users").in_namespace(AGENT_NS))
            .allowed
    );
}

#[test]
fn service_account_user_name_subject_matches() {
    let idx = bound_to(json!([{
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "User",
        "name": "system:serviceaccount:karmada-system:karmada-agent-sa"
    }]));
    let verdict = idx.can_impersonate(&agent_sa());
    assert!(verdict.allowed());
    assert_eq!(
        verdict.checks[0].decision.grants[0].binding.name,
        "karmada-agent"
    );
    // The same user asked about as a User gets the same answer.
    let as_user = RbacSubject::User("system:serviceaccount:karmada-system:karmada-agent-sa".into());
    assert!(idx.authorize(&as_user, &impersonate("users")).allowed);
}

#[test]
fn bare_service_account_name_as_user_does_not_match() {
    let idx = bound_to(json!([{ "kind": "User", "name": AGENT_SA }]));
    let d = idx.authorize(
        &RbacSubject::ServiceAccount(agent_sa()),
        &impersonate("users"),
    );
    assert!(!d.allowed);
    assert!(d.notes[0].contains("authenticates as"), "{:?}", d.notes);
}

#[test]
fn service_account_groups_match() {
    for group in [
        "system:serviceaccounts:karmada-system",
        "system:serviceaccounts",
        "system:authenticated",
    ] {
        let idx = bound_to(
            json!([{ "apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": group }]),
        );
        let verdict = idx.can_impersonate(&agent_sa());
        assert!(verdict.allowed(), "{group}");
        assert_eq!(verdict.checks[1].decision.grants.len(), 1);
        assert_eq!(
            verdict.checks[1].decision.bindings_for_subject[0].name,
            "karmada-agent"
        );
    }
}

#[test]
fn other_namespace_group_does_not_match() {
    for group in [
        "system:serviceaccounts:default",
        "system:unauthenticated",
        "system:masters",
    ] {
        let idx = bound_to(json!([{ "kind": "Group", "name": group }]));
        assert!(!idx.can_impersonate(&agent_sa()).allowed(), "{group}");
    }
}

#[test]
fn subject_kinds_are_case_sensitive() {
    let idx =
        bound_to(json!([{ "kind": "serviceaccount", "name": AGENT_SA, "namespace": AGENT_NS }]));
    let d = idx.authorize(
        &RbacSubject::ServiceAccount(agent_sa()),
        &impersonate("users"),
    );
    assert!(!d.allowed);
    assert!(d.notes[0].contains("case-sensitive"), "{:?}", d.notes);
}

#[test]
fn service_account_subject_api_group_is_ignored() {
    let idx = bound_to(
        json!([{ "apiGroup": "whatever", "kind": "ServiceAccount", "name": AGENT_SA, "namespace": AGENT_NS }]),
    );
    assert!(idx.can_impersonate(&agent_sa()).allowed());
}

#[test]
fn user_and_group_subjects_of_the_api() {
    let idx = bound_to(json!([
        { "kind": "User", "name": "alice" },
        { "kind": "Group", "name": "admins" }
    ]));
    let attrs = impersonate("users");
    assert!(
        idx.authorize(&RbacSubject::User("alice".into()), &attrs)
            .allowed
    );
    assert!(
        !idx.authorize(&RbacSubject::User("bob".into()), &attrs)
            .allowed
    );
    assert!(
        idx.authorize(&RbacSubject::Group("admins".into()), &attrs)
            .allowed
    );
    assert!(
        !idx.authorize(&RbacSubject::Group("alice".into()), &attrs)
            .allowed
    );
    // Every authenticated user is in system:authenticated.
    let everyone = bound_to(json!([{ "kind": "Group", "name": "system:authenticated" }]));
    assert!(
        everyone
            .authorize(&RbacSubject::User("bob".into()), &attrs)
            .allowed
    );
}

#[test]
fn binding_with_several_subjects_matches_any() {
    let idx = bound_to(json!([
        sa_subject("default", "someone"),
        sa_subject(AGENT_NS, AGENT_SA)
    ]));
    assert!(idx.can_impersonate(&agent_sa()).allowed());
}

#[test]
fn binding_without_subjects_matches_no_one() {
    let mut b = crb("karmada-agent", "karmada-agent", json!(null));
    b.as_object_mut().unwrap().remove("subjects");
    let idx = index(&[cluster_role("karmada-agent", v1_0_agent_rules()), b]);
    assert!(idx.notes().is_empty());
    assert!(!idx.can_impersonate(&agent_sa()).allowed());
}
