//! Inputs Kubernetes would reject, or that are not RBAC at all: skipped with notes, never a
//! panic, and they grant nothing.

use proptest::prelude::*;
use serde_json::{json, Value};

use super::helpers::*;
use crate::rbac::{RbacIndex, RbacObject, RbacSubject, ResourceAttributes, ServiceAccountRef};

#[test]
fn garbage_objects_are_skipped_with_notes() {
    let objs = vec![
        json!({ "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": { "name": "a" }, "rules": "string" }),
        json!({ "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": { "name": "b" }, "rules": [{ "apiGroups": ["*"], "resources": ["*"], "verbs": 5 }] }),
        json!({ "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": { "name": "c" }, "roleRef": "a", "subjects": agent_subjects() }),
        json!({ "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": { "name": "d" }, "roleRef": { "kind": "ClusterRole", "name": "a" }, "subjects": { "kind": "ServiceAccount" } }),
        json!({ "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": "x" }),
        json!({ "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": { "name": 3 } }),
        json!({ "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": { "name": "e", "labels": { "a": 1 } } }),
        json!({ "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": { "name": "f" }, "aggregationRule": { "clusterRoleSelectors": "all" } }),
        json!({ "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {} }),
        json!({ "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": { "name": "no-namespace" } }),
        json!({ "kind": "ClusterRole", "metadata": { "name": "no-api-version" } }),
        json!(null),
        json!(42),
        json!("ClusterRole"),
        json!([1, 2]),
        json!({ "kind": 7 }),
        json!({ "apiVersion": "v1", "kind": "ServiceAccount", "metadata": { "name": "x" } }),
        // A CRD that happens to call its kind "Role": not RBAC.
        json!({ "apiVersion": "example.com/v1", "kind": "Role", "metadata": { "name": "x" } }),
    ];
    let idx = index(&objs);
    let noted: Vec<usize> = idx.notes().iter().map(|n| n.origin).collect();
    assert_eq!(noted, (0..=10).collect::<Vec<_>>(), "{:#?}", idx.notes());
    assert!(idx.notes()[0]
        .message
        .contains("ClusterRole \"a\" is malformed"));
    assert!(idx.notes()[9].message.contains("no metadata.namespace"));
    assert!(idx.notes()[10].message.contains("no apiVersion"));
    let verdict = idx.can_impersonate(&agent_sa());
    assert!(!verdict.allowed());
    assert!(idx
        .roles_bound_to(&RbacSubject::ServiceAccount(agent_sa()))
        .is_empty());
}

#[test]
fn unrelated_metadata_garbage_does_not_hide_a_valid_role() {
    let mut role = cluster_role("karmada-agent", v1_0_agent_rules());
    role["metadata"]["creationTimestamp"] = json!("not a time");
    role["metadata"]["annotations"] = json!({ "n": 1 });
    role["metadata"]["managedFields"] = json!("??");
    let idx = index(&[
        role,
        crb("karmada-agent", "karmada-agent", agent_subjects()),
    ]);
    assert!(idx.notes().is_empty(), "{:?}", idx.notes());
    assert!(idx.can_impersonate(&agent_sa()).allowed());
}

#[test]
fn v1beta1_objects_are_evaluated_with_a_note() {
    let mut role = cluster_role("karmada-agent", v1_0_agent_rules());
    role["apiVersion"] = json!("rbac.authorization.k8s.io/v1beta1");
    let idx = index(&[
        role,
        crb("karmada-agent", "karmada-agent", agent_subjects()),
    ]);
    assert_eq!(idx.notes().len(), 1);
    assert_eq!(idx.notes()[0].origin, 0);
    assert!(idx.notes()[0].message.contains("v1beta1"));
    assert!(idx.can_impersonate(&agent_sa()).allowed());
}

#[test]
fn later_duplicate_wins_with_a_note() {
    let idx = index(&[
        cluster_role("karmada-agent", v1_0_agent_rules()),
        cluster_role("karmada-agent", v0_10_agent_rules()),
        crb("karmada-agent", "karmada-agent", agent_subjects()),
    ]);
    assert_eq!(idx.notes().len(), 1);
    assert_eq!(idx.notes()[0].origin, 1);
    assert!(!idx.can_impersonate(&agent_sa()).allowed());
}

#[test]
fn null_lists_are_empty_lists() {
    let idx = index(&[
        cluster_role(
            "karmada-agent",
            json!([{ "apiGroups": [""], "resources": ["users"], "resourceNames": null, "verbs": ["impersonate"] }]),
        ),
        crb("karmada-agent", "karmada-agent", agent_subjects()),
    ]);
    assert!(idx.notes().is_empty());
    assert!(
        idx.authorize(
            &RbacSubject::ServiceAccount(agent_sa()),
            &impersonate("users")
        )
        .allowed
    );
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        prop_oneof![
            Just("*"),
            Just(""),
            Just("users"),
            Just("impersonate"),
            Just("ServiceAccount"),
            Just("ClusterRole"),
            Just("Role"),
            Just("Group"),
            Just("User"),
            Just("karmada-system"),
            Just("karmada-agent-sa"),
            Just("In"),
            Just("Exists"),
            Just("k"),
            Just("v"),
            Just("system:serviceaccounts"),
        ]
        .prop_map(|s| Value::String(s.to_string())),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("name"),
                    Just("namespace"),
                    Just("kind"),
                    Just("labels"),
                    Just("verbs"),
                    Just("apiGroups"),
                    Just("resources"),
                    Just("resourceNames"),
                    Just("matchLabels"),
                    Just("matchExpressions"),
                    Just("key"),
                    Just("operator"),
                    Just("values"),
                    Just("clusterRoleSelectors"),
                    Just("k"),
                ]
                .prop_map(str::to_string),
                inner,
                0..5,
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn arb_rbac_object() -> impl Strategy<Value = Value> {
    (
        prop_oneof![
            Just("ClusterRole"),
            Just("Role"),
            Just("ClusterRoleBinding"),
            Just("RoleBinding")
        ],
        prop_oneof![Just("a"), Just("b"), Just("karmada-agent")],
        prop_oneof![Just(None), Just(Some("karmada-system"))],
        arb_json(),
        arb_json(),
        arb_json(),
        arb_json(),
        arb_json(),
    )
        .prop_map(|(kind, name, ns, labels, rules, agg, role_ref, subjects)| {
            json!({
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": kind,
                "metadata": { "name": name, "namespace": ns, "labels": labels },
                "rules": rules,
                "aggregationRule": agg,
                "roleRef": role_ref,
                "subjects": subjects,
            })
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn never_panics(objs in prop::collection::vec(prop_oneof![arb_rbac_object(), arb_json()], 0..8)) {
        let idx = RbacIndex::from_objects(objs.iter().enumerate().map(|(i, v)| RbacObject::new(v, i)));
        let sa = ServiceAccountRef::new("karmada-system", "karmada-agent-sa");
        let verdict = idx.can_impersonate(&sa);
        for c in &verdict.checks {
            prop_assert_eq!(c.decision.allowed, !c.decision.grants.is_empty());
            for g in &c.decision.grants {
                let rules = idx.effective_rules(&g.role).expect("granting role exists");
                prop_assert_eq!(&rules[g.rule_index].rule, &g.rule);
            }
        }
        for subject in [
            RbacSubject::ServiceAccount(sa.clone()),
            RbacSubject::User("alice".into()),
            RbacSubject::Group("system:serviceaccounts".into()),
        ] {
            let _ = idx.roles_bound_to(&subject);
            let _ = idx.authorize(
                &subject,
                &ResourceAttributes::cluster("get", "", "users").in_namespace("karmada-system").named("k"),
            );
        }
    }

    /// Well-formed aggregation graphs of any shape (cycles, self-selection, diamonds)
    /// terminate, and no effective rule list repeats a rule the role does not repeat itself.
    #[test]
    fn aggregation_graphs_terminate_without_duplicates(
        edges in prop::collection::vec((0usize..6, 0usize..6), 0..12),
        ruled in prop::collection::vec(any::<bool>(), 6),
    ) {
        let mut objs = Vec::new();
        for (i, &has_rule) in ruled.iter().enumerate() {
            let selects: Vec<Value> = edges.iter().filter(|(from, _)| *from == i)
                .map(|(_, to)| json!({ "matchLabels": { format!("to-{to}"): "true" } }))
                .collect();
            let mut labels = serde_json::Map::new();
            labels.insert(format!("to-{i}"), json!("true"));
            let rules = if has_rule { impersonate_rule(&["users"]) } else { json!([]) };
            let mut cr = labelled_cluster_role(&format!("r{i}"), Value::Object(labels), rules);
            if !selects.is_empty() {
                cr["aggregationRule"] = json!({ "clusterRoleSelectors": selects });
            }
            objs.push(cr);
        }
        let idx = index(&objs);
        for i in 0..6 {
            let role = crate::rbac::RoleRef::<usize> {
                kind: crate::rbac::RoleKind::ClusterRole,
                name: format!("r{i}"),
                namespace: None,
                origin: None,
            };
            let rules = idx.effective_rules(&role).unwrap();
            prop_assert!(rules.len() <= 1, "r{}: {:?}", i, rules);
        }
    }
}
