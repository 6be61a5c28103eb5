//! Turning untyped JSON objects into typed RBAC records without ever panicking.
//!
//! Objects come from live clusters and from hand-written or Helm-rendered manifests, so
//! anything can be wrong with them. A malformed RBAC object is skipped with a note (the API
//! server would have rejected it, so it grants nothing); non-RBAC objects are ignored.

use std::collections::BTreeMap;

use k8s_openapi::api::rbac::v1::{
    ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding, RoleRef, Subject,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use serde_json::{Map, Value};

const RBAC_GROUP_PREFIX: &str = "rbac.authorization.k8s.io/";
const RBAC_V1: &str = "rbac.authorization.k8s.io/v1";

#[derive(Debug, Clone)]
pub(crate) struct ParsedClusterRole {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub rules: Vec<PolicyRule>,
    /// `Some` whenever `aggregationRule` is present, even with no selectors: the aggregation
    /// controller acts on any non-nil aggregationRule.
    pub aggregation: Option<Vec<LabelSelector>>,
}

#[derive(Debug, Clone)]
pub(crate) struct ParsedRole {
    pub namespace: String,
    pub name: String,
    pub rules: Vec<PolicyRule>,
}

#[derive(Debug, Clone)]
pub(crate) struct ParsedBinding {
    pub name: String,
    /// `Some` for RoleBindings.
    pub namespace: Option<String>,
    pub role_ref: RoleRef,
    pub subjects: Vec<Subject>,
}

#[derive(Debug, Clone)]
pub(crate) enum Parsed {
    ClusterRole(ParsedClusterRole),
    Role(ParsedRole),
    ClusterRoleBinding(ParsedBinding),
    RoleBinding(ParsedBinding),
}

#[derive(Debug, Default)]
pub(crate) struct ParseOutcome {
    pub parsed: Option<Parsed>,
    pub notes: Vec<String>,
}

impl ParseOutcome {
    fn skipped(note: String) -> Self {
        ParseOutcome {
            parsed: None,
            notes: vec![note],
        }
    }
}

const KINDS: [&str; 4] = ["ClusterRole", "Role", "ClusterRoleBinding", "RoleBinding"];

pub(crate) fn parse_object(value: &Value) -> ParseOutcome {
    let Some(obj) = value.as_object() else {
        return ParseOutcome::default();
    };
    let Some(kind) = obj.get("kind").and_then(Value::as_str) else {
        return ParseOutcome::default();
    };
    if !KINDS.contains(&kind) {
        return ParseOutcome::default();
    }
    let api_version = obj.get("apiVersion").and_then(Value::as_str);
    let what = describe(kind, obj);
    let mut notes = Vec::new();
    match api_version {
        Some(RBAC_V1) => {}
        // v1alpha1/v1beta1 have the same shape for everything the authorizer reads, and the
        // API server stores them as v1; they were removed in Kubernetes 1.22.
        Some(v) if v.starts_with(RBAC_GROUP_PREFIX) => notes.push(format!(
            "{what} uses apiVersion {v}, which Kubernetes 1.22+ no longer serves; evaluated as {RBAC_V1}"
        )),
        // Same kind name in another API group (a CRD): not RBAC, not ours.
        Some(_) => return ParseOutcome::default(),
        None => {
            return ParseOutcome::skipped(format!(
                "{what} has no apiVersion; skipped because it cannot be identified as RBAC"
            ))
        }
    }

    let reduced = reduce(kind, obj);
    let parsed = match kind {
        "ClusterRole" => serde_json::from_value::<ClusterRole>(reduced).map(|cr| {
            Parsed::ClusterRole(ParsedClusterRole {
                name: cr.metadata.name.unwrap_or_default(),
                labels: cr.metadata.labels.unwrap_or_default(),
                rules: normalize_rules(cr.rules),
                aggregation: cr
                    .aggregation_rule
                    .map(|a| a.cluster_role_selectors.unwrap_or_default()),
            })
        }),
        "Role" => serde_json::from_value::<Role>(reduced).map(|r| {
            Parsed::Role(ParsedRole {
                namespace: r.metadata.namespace.unwrap_or_default(),
                name: r.metadata.name.unwrap_or_default(),
                rules: normalize_rules(r.rules),
            })
        }),
        "ClusterRoleBinding" => serde_json::from_value::<ClusterRoleBinding>(reduced).map(|b| {
            Parsed::ClusterRoleBinding(ParsedBinding {
                name: b.metadata.name.unwrap_or_default(),
                namespace: None,
                role_ref: b.role_ref,
                subjects: b.subjects.unwrap_or_default(),
            })
        }),
        _ => serde_json::from_value::<RoleBinding>(reduced).map(|b| {
            Parsed::RoleBinding(ParsedBinding {
                name: b.metadata.name.unwrap_or_default(),
                namespace: Some(b.metadata.namespace.unwrap_or_default()),
                role_ref: b.role_ref,
                subjects: b.subjects.unwrap_or_default(),
            })
        }),
    };
    let parsed = match parsed {
        Ok(p) => p,
        Err(e) => {
            notes.push(format!("{what} is malformed and was skipped: {e}"));
            return ParseOutcome {
                parsed: None,
                notes,
            };
        }
    };

    let (name, namespace) = match &parsed {
        Parsed::ClusterRole(cr) => (&cr.name, None),
        Parsed::Role(r) => (&r.name, Some(&r.namespace)),
        Parsed::ClusterRoleBinding(b) => (&b.name, None),
        Parsed::RoleBinding(b) => (&b.name, b.namespace.as_ref()),
    };
    if name.is_empty() {
        notes.push(format!("{what} has no metadata.name and was skipped"));
        return ParseOutcome {
            parsed: None,
            notes,
        };
    }
    if namespace.is_some_and(|ns| ns.is_empty()) {
        // The namespace would be chosen at apply time (`kubectl apply -n`); guessing it
        // could grant or deny in the wrong place.
        notes.push(format!(
            "{what} has no metadata.namespace and was skipped; the namespace it would be applied to is unknown"
        ));
        return ParseOutcome {
            parsed: None,
            notes,
        };
    }
    ParseOutcome {
        parsed: Some(parsed),
        notes,
    }
}

/// Keeps only what the authorizer reads, so that garbage in unrelated fields (timestamps,
/// annotations, managedFields) cannot make an otherwise valid RBAC object unreadable.
fn reduce(kind: &str, obj: &Map<String, Value>) -> Value {
    let mut out = Map::new();
    out.insert("apiVersion".into(), Value::String(RBAC_V1.into()));
    out.insert("kind".into(), Value::String(kind.into()));
    if let Some(meta) = obj.get("metadata") {
        let reduced_meta = match meta.as_object() {
            Some(meta) => Value::Object(
                ["name", "namespace", "labels"]
                    .into_iter()
                    .filter_map(|k| meta.get(k).map(|v| (k.to_string(), v.clone())))
                    .collect(),
            ),
            // Keep a wrongly typed metadata as is, so deserialization reports it.
            None => meta.clone(),
        };
        out.insert("metadata".into(), reduced_meta);
    }
    for key in ["rules", "aggregationRule", "roleRef", "subjects"] {
        if let Some(v) = obj.get(key) {
            out.insert(key.into(), v.clone());
        }
    }
    Value::Object(out)
}

fn describe(kind: &str, obj: &Map<String, Value>) -> String {
    let meta = obj.get("metadata").and_then(Value::as_object);
    let name = meta.and_then(|m| m.get("name")).and_then(Value::as_str);
    let ns = meta
        .and_then(|m| m.get("namespace"))
        .and_then(Value::as_str);
    match (name, ns, kind) {
        (Some(n), Some(ns), "Role" | "RoleBinding") => format!("{kind} {:?}", format!("{ns}/{n}")),
        (Some(n), _, _) => format!("{kind} {n:?}"),
        (None, _, _) => format!("{kind} (unnamed)"),
    }
}

/// `equality.Semantic.DeepEqual`, which the aggregation controller uses to de-duplicate
/// rules, treats nil and empty lists alike; normalizing lets `==` do the same.
fn normalize_rules(rules: Option<Vec<PolicyRule>>) -> Vec<PolicyRule> {
    rules
        .unwrap_or_default()
        .into_iter()
        .map(|mut r| {
            for field in [
                &mut r.api_groups,
                &mut r.resources,
                &mut r.resource_names,
                &mut r.non_resource_urls,
            ] {
                if field.as_ref().is_some_and(Vec::is_empty) {
                    *field = None;
                }
            }
            r
        })
        .collect()
}
