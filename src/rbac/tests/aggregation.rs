//! ClusterRole aggregation as the clusterrole-aggregation-controller converges it.

use serde_json::{json, Value};

use super::helpers::*;
use crate::rbac::{RbacSubject, RoleKind, RoleRef};

const AGG_LABEL: &str = "karmada.io/aggregate-to-agent";

fn agent_bound_to(role: &str) -> Value {
    crb("karmada-agent", role, agent_subjects())
}

fn cr_ref(name: &str) -> RoleRef<usize> {
    RoleRef {
        kind: RoleKind::ClusterRole,
        name: name.into(),
        namespace: None,
        origin: None,
    }
}

#[test]
fn aggregated_role_picks_up_labelled_impersonate_rule() {
    let idx = index(&[
        aggregated_cluster_role(
            "karmada-agent",
            json!([{ "matchLabels": { AGG_LABEL: "true" } }]),
        ),
        labelled_cluster_role(
            "agent-impersonate",
            json!({ AGG_LABEL: "true" }),
            impersonate_rule(&["users", "groups", "serviceaccounts"]),
        ),
        labelled_cluster_role(
            "unrelated",
            json!({ AGG_LABEL: "false" }),
            json!([{ "apiGroups": ["*"], "resources": ["*"], "verbs": ["*"] }]),
        ),
        agent_bound_to("karmada-agent"),
    ]);
    let verdict = idx.can_impersonate(&agent_sa());
    assert!(verdict.allowed());
    for c in &verdict.checks {
        assert_eq!(c.decision.grants.len(), 1);
        let g = &c.decision.grants[0];
        assert_eq!(g.role.name, "karmada-agent");
        assert_eq!(g.via_aggregation_from.as_deref(), Some("agent-impersonate"));
        assert_eq!(g.rule_index, 0);
        assert!(c.decision.notes.is_empty(), "{:?}", c.decision.notes);
    }
    assert_eq!(
        verdict.checks[0].decision.grants[0].to_string(),
        r#"ClusterRoleBinding "karmada-agent" of ClusterRole "karmada-agent" rule #0 (aggregated from ClusterRole "agent-impersonate")"#
    );
    assert!(idx.is_aggregated("karmada-agent"));
    let rules = idx.effective_rules(&cr_ref("karmada-agent")).unwrap();
    assert_eq!(rules.len(), 1, "the unrelated role is not selected");
    assert_eq!(rules[0].source_rule_index, 0);
}

#[test]
fn match_expressions() {
    let labelled = labelled_cluster_role(
        "agent-impersonate",
        json!({ "tier": "agent", "team": "karmada" }),
        impersonate_rule(&["users", "groups", "serviceaccounts"]),
    );
    let cases = [
        (
            json!([{ "key": "tier", "operator": "In", "values": ["agent", "other"] }]),
            true,
        ),
        (
            json!([{ "key": "tier", "operator": "In", "values": ["other"] }]),
            false,
        ),
        (
            json!([{ "key": "tier", "operator": "NotIn", "values": ["agent"] }]),
            false,
        ),
        (
            json!([{ "key": "tier", "operator": "NotIn", "values": ["other"] }]),
            true,
        ),
        (json!([{ "key": "team", "operator": "Exists" }]), true),
        (json!([{ "key": "nope", "operator": "Exists" }]), false),
        (
            json!([{ "key": "team", "operator": "DoesNotExist" }]),
            false,
        ),
        (json!([{ "key": "nope", "operator": "DoesNotExist" }]), true),
        (
            json!([
                { "key": "team", "operator": "Exists" },
                { "key": "tier", "operator": "In", "values": ["other"] }
            ]),
            false,
        ),
    ];
    for (exprs, expected) in cases {
        let idx = index(&[
            aggregated_cluster_role(
                "karmada-agent",
                json!([{ "matchExpressions": exprs.clone() }]),
            ),
            labelled.clone(),
            agent_bound_to("karmada-agent"),
        ]);
        let verdict = idx.can_impersonate(&agent_sa());
        assert_eq!(verdict.allowed(), expected, "{exprs}");
        if expected {
            assert_eq!(
                verdict.checks[0].decision.grants[0]
                    .via_aggregation_from
                    .as_deref(),
                Some("agent-impersonate")
            );
        }
    }
}

#[test]
fn selectors_are_ored_and_labels_within_a_selector_anded() {
    let idx = |selectors: Value| {
        index(&[
            aggregated_cluster_role("karmada-agent", selectors),
            labelled_cluster_role("a", json!({ "x": "1" }), impersonate_rule(&["users"])),
            labelled_cluster_role("b", json!({ "y": "1" }), impersonate_rule(&["groups"])),
            agent_bound_to("karmada-agent"),
        ])
    };
    let both = idx(json!([{ "matchLabels": { "x": "1" } }, { "matchLabels": { "y": "1" } }]));
    assert_eq!(
        both.can_impersonate(&agent_sa()).denied_resources(),
        vec!["serviceaccounts"]
    );
    let anded = idx(json!([{ "matchLabels": { "x": "1", "y": "1" } }]));
    assert_eq!(
        anded.can_impersonate(&agent_sa()).denied_resources().len(),
        3
    );
}

#[test]
fn aggregation_is_transitive_like_admin_edit_view() {
    // admin selects edit's label; edit aggregates view's; view holds the rule. The
    // controller fills edit first, then admin copies edit's filled rules.
    let idx = index(&[
        aggregated_cluster_role("admin", json!([{ "matchLabels": { "to-admin": "true" } }])),
        {
            let mut edit =
                aggregated_cluster_role("edit", json!([{ "matchLabels": { "to-edit": "true" } }]));
            edit["metadata"]["labels"] = json!({ "to-admin": "true" });
            edit
        },
        labelled_cluster_role(
            "view",
            json!({ "to-edit": "true" }),
            impersonate_rule(&["users"]),
        ),
        agent_bound_to("admin"),
    ]);
    let d = idx.authorize(
        &RbacSubject::ServiceAccount(agent_sa()),
        &impersonate("users"),
    );
    assert!(d.allowed);
    assert_eq!(d.grants[0].role.name, "admin");
    assert_eq!(d.grants[0].via_aggregation_from.as_deref(), Some("view"));
}

#[test]
fn cycles_and_repeated_matches_are_counted_once() {
    let idx = index(&[
        {
            let mut a = aggregated_cluster_role(
                "a",
                json!([
                    { "matchLabels": { "group": "g" } },
                    { "matchExpressions": [{ "key": "group", "operator": "Exists" }] }
                ]),
            );
            a["metadata"]["labels"] = json!({ "group": "g" });
            a
        },
        {
            let mut b = aggregated_cluster_role("b", json!([{ "matchLabels": { "group": "g" } }]));
            b["metadata"]["labels"] = json!({ "group": "g" });
            b
        },
        labelled_cluster_role("c", json!({ "group": "g" }), impersonate_rule(&["users"])),
        // Same rule again from another role: the controller de-duplicates equal rules.
        labelled_cluster_role("d", json!({ "group": "g" }), impersonate_rule(&["users"])),
        agent_bound_to("a"),
    ]);
    for name in ["a", "b"] {
        let rules = idx.effective_rules(&cr_ref(name)).unwrap();
        assert_eq!(rules.len(), 1, "{name}: {rules:?}");
        assert_eq!(rules[0].aggregated_from.as_deref(), Some("c"));
    }
    let d = idx.authorize(
        &RbacSubject::ServiceAccount(agent_sa()),
        &impersonate("users"),
    );
    assert_eq!(d.grants.len(), 1);
}

#[test]
fn a_role_that_selects_itself_does_not_duplicate_its_rules() {
    let mut me = aggregated_cluster_role("me", json!([{ "matchLabels": { "k": "v" } }]));
    me["metadata"]["labels"] = json!({ "k": "v" });
    let idx = index(&[
        me,
        labelled_cluster_role("leaf", json!({ "k": "v" }), impersonate_rule(&["users"])),
    ]);
    assert_eq!(idx.effective_rules(&cr_ref("me")).unwrap().len(), 1);
}

#[test]
fn live_dump_with_controller_filled_rules_keeps_indices_and_attributes_source() {
    // On a live cluster the aggregated role's `rules` already hold the copies.
    let mut agent = aggregated_cluster_role(
        "karmada-agent",
        json!([{ "matchLabels": { AGG_LABEL: "true" } }]),
    );
    agent["rules"] = impersonate_rule(&["users", "groups", "serviceaccounts"]);
    let idx = index(&[
        agent,
        labelled_cluster_role(
            "agent-impersonate",
            json!({ AGG_LABEL: "true" }),
            impersonate_rule(&["users", "groups", "serviceaccounts"]),
        ),
        agent_bound_to("karmada-agent"),
    ]);
    let rules = idx.effective_rules(&cr_ref("karmada-agent")).unwrap();
    assert_eq!(rules.len(), 1);
    let d = idx.authorize(
        &RbacSubject::ServiceAccount(agent_sa()),
        &impersonate("groups"),
    );
    assert_eq!(d.grants.len(), 1);
    assert_eq!(
        d.grants[0].via_aggregation_from.as_deref(),
        Some("agent-impersonate")
    );
    assert!(d.notes.is_empty(), "{:?}", d.notes);
}

#[test]
fn own_rules_of_an_aggregated_role_that_no_source_provides_are_flagged() {
    // The controller will overwrite these; until then the API server honours them.
    let mut agent = aggregated_cluster_role(
        "karmada-agent",
        json!([{ "matchLabels": { AGG_LABEL: "true" } }]),
    );
    agent["rules"] = v1_0_agent_rules();
    let idx = index(&[agent, agent_bound_to("karmada-agent")]);
    let d = idx.authorize(
        &RbacSubject::ServiceAccount(agent_sa()),
        &impersonate("users"),
    );
    assert!(d.allowed);
    assert_eq!(d.grants[0].via_aggregation_from, None);
    assert_eq!(d.notes.len(), 1);
    assert!(d.notes[0].contains("overwrites them"), "{:?}", d.notes);
    assert!(d.notes[0].contains("#0, #1"), "{:?}", d.notes);
}

#[test]
fn invalid_selector_disables_aggregation_with_a_note() {
    let idx = index(&[
        aggregated_cluster_role(
            "karmada-agent",
            json!([
                { "matchLabels": { AGG_LABEL: "true" } },
                { "matchExpressions": [{ "key": "x", "operator": "In", "values": [] }] }
            ]),
        ),
        labelled_cluster_role(
            "agent-impersonate",
            json!({ AGG_LABEL: "true" }),
            impersonate_rule(&["users"]),
        ),
        agent_bound_to("karmada-agent"),
    ]);
    let d = idx.authorize(
        &RbacSubject::ServiceAccount(agent_sa()),
        &impersonate("users"),
    );
    assert!(!d.allowed);
    assert!(
        d.notes[0].contains("invalid aggregationRule"),
        "{:?}",
        d.notes
    );
}

#[test]
fn empty_selector_selects_every_clusterrole() {
    let idx = index(&[
        aggregated_cluster_role("karmada-agent", json!([{}])),
        cluster_role("anything", impersonate_rule(&["users"])),
        agent_bound_to("karmada-agent"),
    ]);
    let d = idx.authorize(
        &RbacSubject::ServiceAccount(agent_sa()),
        &impersonate("users"),
    );
    assert!(d.allowed);
    assert!(
        d.notes[0].contains("selects every ClusterRole"),
        "{:?}",
        d.notes
    );
}

#[test]
fn aggregation_rule_without_selectors_aggregates_nothing() {
    let idx = index(&[
        aggregated_cluster_role("karmada-agent", json!([])),
        cluster_role("anything", impersonate_rule(&["users"])),
        agent_bound_to("karmada-agent"),
    ]);
    assert!(idx.is_aggregated("karmada-agent"));
    assert!(idx
        .effective_rules(&cr_ref("karmada-agent"))
        .unwrap()
        .is_empty());
    assert!(!idx.can_impersonate(&agent_sa()).allowed());
}
