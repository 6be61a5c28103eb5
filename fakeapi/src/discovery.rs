//! Which resources a simulated cluster claims to serve, and the discovery documents.
//!
//! Only the legacy (pre-1.26) discovery endpoints exist: a client asking for aggregated
//! discovery gets plain lists back, which is exactly what forces its fallback path.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceInfo {
    pub group: String,
    pub version: String,
    pub kind: String,
    pub plural: String,
    pub namespaced: bool,
    pub short_names: Vec<String>,
}

impl ResourceInfo {
    pub fn group_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// `deployments.apps`, or plain `secrets` for the core group, as apiserver messages say.
    pub fn qualified_plural(&self) -> String {
        if self.group.is_empty() {
            self.plural.clone()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }
}

type Builtin = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    bool,
    &'static [&'static str],
);

/// (group, version, kind, plural, namespaced, shortNames)
const BUILTIN: &[Builtin] = &[
    ("", "v1", "Namespace", "namespaces", false, &["ns"]),
    ("", "v1", "Service", "services", true, &["svc"]),
    ("", "v1", "Secret", "secrets", true, &[]),
    ("", "v1", "ConfigMap", "configmaps", true, &["cm"]),
    ("", "v1", "ServiceAccount", "serviceaccounts", true, &["sa"]),
    ("", "v1", "Endpoints", "endpoints", true, &["ep"]),
    ("", "v1", "Pod", "pods", true, &["po"]),
    ("apps", "v1", "Deployment", "deployments", true, &["deploy"]),
    ("apps", "v1", "StatefulSet", "statefulsets", true, &["sts"]),
    ("apps", "v1", "DaemonSet", "daemonsets", true, &["ds"]),
    (
        "rbac.authorization.k8s.io",
        "v1",
        "ClusterRole",
        "clusterroles",
        false,
        &[],
    ),
    (
        "rbac.authorization.k8s.io",
        "v1",
        "ClusterRoleBinding",
        "clusterrolebindings",
        false,
        &[],
    ),
    (
        "rbac.authorization.k8s.io",
        "v1",
        "Role",
        "roles",
        true,
        &[],
    ),
    (
        "rbac.authorization.k8s.io",
        "v1",
        "RoleBinding",
        "rolebindings",
        true,
        &[],
    ),
    (
        "apiextensions.k8s.io",
        "v1",
        "CustomResourceDefinition",
        "customresourcedefinitions",
        false,
        &["crd", "crds"],
    ),
    (
        "apiregistration.k8s.io",
        "v1",
        "APIService",
        "apiservices",
        false,
        &[],
    ),
    (
        "admissionregistration.k8s.io",
        "v1",
        "ValidatingWebhookConfiguration",
        "validatingwebhookconfigurations",
        false,
        &[],
    ),
    (
        "admissionregistration.k8s.io",
        "v1",
        "MutatingWebhookConfiguration",
        "mutatingwebhookconfigurations",
        false,
        &[],
    ),
    (
        "discovery.k8s.io",
        "v1",
        "EndpointSlice",
        "endpointslices",
        true,
        &[],
    ),
    (
        "discovery.k8s.io",
        "v1beta1",
        "EndpointSlice",
        "endpointslices",
        true,
        &[],
    ),
    (
        "cluster.karmada.io",
        "v1alpha1",
        "Cluster",
        "clusters",
        false,
        &[],
    ),
    (
        "policy.karmada.io",
        "v1alpha1",
        "PropagationPolicy",
        "propagationpolicies",
        true,
        &["pp"],
    ),
    (
        "policy.karmada.io",
        "v1alpha1",
        "ClusterPropagationPolicy",
        "clusterpropagationpolicies",
        false,
        &["cpp"],
    ),
    (
        "policy.karmada.io",
        "v1alpha1",
        "OverridePolicy",
        "overridepolicies",
        true,
        &["op"],
    ),
    (
        "policy.karmada.io",
        "v1alpha1",
        "ClusterOverridePolicy",
        "clusteroverridepolicies",
        false,
        &["cop"],
    ),
    (
        "policy.karmada.io",
        "v1alpha1",
        "ReplicaSchedulingPolicy",
        "replicaschedulingpolicies",
        true,
        &["rsp"],
    ),
    ("work.karmada.io", "v1alpha1", "Work", "works", true, &[]),
    (
        "work.karmada.io",
        "v1alpha1",
        "ResourceBinding",
        "resourcebindings",
        true,
        &["rb"],
    ),
    (
        "work.karmada.io",
        "v1alpha1",
        "ClusterResourceBinding",
        "clusterresourcebindings",
        false,
        &["crb"],
    ),
    (
        "work.karmada.io",
        "v1alpha2",
        "ResourceBinding",
        "resourcebindings",
        true,
        &["rb"],
    ),
    (
        "work.karmada.io",
        "v1alpha2",
        "ClusterResourceBinding",
        "clusterresourcebindings",
        false,
        &["crb"],
    ),
    (
        "multicluster.x-k8s.io",
        "v1alpha1",
        "ServiceExport",
        "serviceexports",
        true,
        &[],
    ),
    (
        "multicluster.x-k8s.io",
        "v1alpha1",
        "ServiceImport",
        "serviceimports",
        true,
        &[],
    ),
];

/// Lowercase plural of a kind, the way Kubernetes' default RESTMapper guesses it.
pub fn pluralize(kind: &str) -> String {
    let lower = kind.to_ascii_lowercase();
    match lower.as_str() {
        "endpoints" => return lower,
        "ingress" => return "ingresses".into(),
        _ => {}
    }
    if lower.ends_with("ss")
        || lower.ends_with('x')
        || lower.ends_with("ch")
        || lower.ends_with("sh")
    {
        return format!("{lower}es");
    }
    if lower.ends_with('s') {
        return lower;
    }
    if let Some(stem) = lower.strip_suffix('y') {
        if !stem.ends_with(['a', 'e', 'i', 'o', 'u']) {
            return format!("{stem}ies");
        }
    }
    format!("{lower}s")
}

/// Splits `apps/v1` into (`apps`, `v1`) and `v1` into (``, `v1`).
pub fn split_api_version(api_version: &str) -> (String, String) {
    match api_version.rsplit_once('/') {
        Some((g, v)) => (g.to_string(), v.to_string()),
        None => (String::new(), api_version.to_string()),
    }
}

/// Kubernetes version priority: GA > beta > alpha, higher numbers first, others last.
pub fn compare_versions(a: &str, b: &str) -> Ordering {
    fn key(v: &str) -> (u8, u64, u64, String) {
        let parse = || -> Option<(u8, u64, u64)> {
            let rest = v.strip_prefix('v')?;
            let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
            let major: u64 = digits.parse().ok()?;
            let tail = &rest[digits.len()..];
            if tail.is_empty() {
                return Some((3, major, 0));
            }
            let (level, num) = if let Some(n) = tail.strip_prefix("beta") {
                (2, n)
            } else if let Some(n) = tail.strip_prefix("alpha") {
                (1, n)
            } else {
                return None;
            };
            Some((level, major, num.parse().ok()?))
        };
        match parse() {
            Some((l, m, n)) => (l, m, n, String::new()),
            None => (0, 0, 0, v.to_string()),
        }
    }
    let (ka, kb) = (key(a), key(b));
    // Descending priority; unknown formats sort alphabetically at the end.
    (kb.0, kb.1, kb.2)
        .cmp(&(ka.0, ka.1, ka.2))
        .then_with(|| ka.3.cmp(&kb.3))
}

#[derive(Debug, Clone, Default)]
pub struct Catalog {
    resources: Vec<ResourceInfo>,
}

impl Catalog {
    /// Builtin kinds, plus CRD-defined resources, plus any kind seen in `objects`.
    pub fn build(objects: &[Value]) -> Catalog {
        let mut resources: Vec<ResourceInfo> = BUILTIN
            .iter()
            .map(|(g, v, k, p, ns, short)| ResourceInfo {
                group: g.to_string(),
                version: v.to_string(),
                kind: k.to_string(),
                plural: p.to_string(),
                namespaced: *ns,
                short_names: short.iter().map(|s| s.to_string()).collect(),
            })
            .collect();

        for obj in objects {
            if obj.get("kind").and_then(Value::as_str) == Some("CustomResourceDefinition") {
                for info in crd_resources(obj) {
                    push_unique(&mut resources, info);
                }
            }
        }

        // Unknown kinds: namespaced if any of their objects carries a namespace.
        let mut seen: BTreeMap<(String, String, String), bool> = BTreeMap::new();
        for obj in objects {
            let (Some(av), Some(kind)) = (
                obj.get("apiVersion").and_then(Value::as_str),
                obj.get("kind").and_then(Value::as_str),
            ) else {
                continue;
            };
            let (g, v) = split_api_version(av);
            let has_ns = obj
                .pointer("/metadata/namespace")
                .and_then(Value::as_str)
                .is_some_and(|s| !s.is_empty());
            *seen.entry((g, v, kind.to_string())).or_default() |= has_ns;
        }
        for ((g, v, kind), namespaced) in seen {
            if resources
                .iter()
                .any(|r| r.group == g && r.version == v && r.kind == kind)
            {
                continue;
            }
            push_unique(
                &mut resources,
                ResourceInfo {
                    plural: pluralize(&kind),
                    group: g,
                    version: v,
                    kind,
                    namespaced,
                    short_names: Vec::new(),
                },
            );
        }
        Catalog { resources }
    }

    /// Stop serving these API groups.
    pub fn drop_groups(&mut self, groups: &[String]) {
        self.resources.retain(|r| !groups.contains(&r.group));
    }

    pub fn resources(&self) -> &[ResourceInfo] {
        &self.resources
    }

    pub fn by_plural(&self, group: &str, version: &str, plural: &str) -> Option<&ResourceInfo> {
        self.resources
            .iter()
            .find(|r| r.group == group && r.version == version && r.plural == plural)
    }

    pub fn by_kind(&self, group: &str, version: &str, kind: &str) -> Option<&ResourceInfo> {
        self.resources
            .iter()
            .find(|r| r.group == group && r.version == version && r.kind == kind)
    }

    /// Groups (core excluded) with their versions in priority order, builtin groups first.
    fn groups(&self) -> Vec<(String, Vec<String>)> {
        let mut order: Vec<String> = Vec::new();
        let mut versions: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for r in &self.resources {
            if r.group.is_empty() {
                continue;
            }
            if !order.contains(&r.group) {
                order.push(r.group.clone());
            }
            versions
                .entry(r.group.clone())
                .or_default()
                .insert(r.version.clone());
        }
        order
            .into_iter()
            .map(|g| {
                let mut vs: Vec<String> = versions
                    .remove(&g)
                    .unwrap_or_default()
                    .into_iter()
                    .collect();
                vs.sort_by(|a, b| compare_versions(a, b));
                (g, vs)
            })
            .collect()
    }

    pub fn api_versions(&self, server_address: &str) -> Value {
        json!({
            "kind": "APIVersions",
            "versions": ["v1"],
            "serverAddressByClientCIDRs": [
                {"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}
            ]
        })
    }

    pub fn group_list(&self) -> Value {
        let groups: Vec<Value> = self
            .groups()
            .iter()
            .map(|(g, vs)| group_doc(g, vs))
            .collect();
        json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
    }

    pub fn group(&self, name: &str) -> Option<Value> {
        self.groups()
            .iter()
            .find(|(g, _)| g == name)
            .map(|(g, vs)| {
                let mut doc = group_doc(g, vs);
                doc["kind"] = json!("APIGroup");
                doc["apiVersion"] = json!("v1");
                doc
            })
    }

    /// The APIResourceList for one group/version, or `None` if nothing is served there.
    pub fn resource_list(&self, group: &str, version: &str) -> Option<Value> {
        let resources: Vec<Value> = self
            .resources
            .iter()
            .filter(|r| r.group == group && r.version == version)
            .map(|r| {
                let mut doc = json!({
                    "name": r.plural,
                    "singularName": r.kind.to_ascii_lowercase(),
                    "namespaced": r.namespaced,
                    "kind": r.kind,
                    // Read-only on purpose: a client must never need more than get/list.
                    "verbs": ["get", "list"],
                });
                if !r.short_names.is_empty() {
                    doc["shortNames"] = json!(r.short_names);
                }
                doc
            })
            .collect();
        if resources.is_empty() {
            return None;
        }
        let gv = if group.is_empty() {
            version.to_string()
        } else {
            format!("{group}/{version}")
        };
        Some(json!({
            "kind": "APIResourceList",
            "apiVersion": "v1",
            "groupVersion": gv,
            "resources": resources,
        }))
    }
}

fn group_doc(group: &str, versions: &[String]) -> Value {
    let vs: Vec<Value> = versions
        .iter()
        .map(|v| json!({"groupVersion": format!("{group}/{v}"), "version": v}))
        .collect();
    let preferred = vs.first().cloned().unwrap_or(Value::Null);
    json!({"name": group, "versions": vs, "preferredVersion": preferred})
}

fn push_unique(resources: &mut Vec<ResourceInfo>, info: ResourceInfo) {
    let dup = resources
        .iter()
        .any(|r| r.group == info.group && r.version == info.version && r.plural == info.plural);
    if !dup {
        resources.push(info);
    }
}

/// Resources a served CRD defines, as the real apiserver would start serving them.
fn crd_resources(crd: &Value) -> Vec<ResourceInfo> {
    let spec = &crd["spec"];
    let (Some(group), Some(kind), Some(plural)) = (
        spec["group"].as_str(),
        spec.pointer("/names/kind").and_then(Value::as_str),
        spec.pointer("/names/plural").and_then(Value::as_str),
    ) else {
        return Vec::new();
    };
    let namespaced = spec["scope"].as_str() != Some("Cluster");
    let short_names: Vec<String> = spec
        .pointer("/names/shortNames")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect()
        })
        .unwrap_or_default();
    let mut versions: Vec<String> = spec["versions"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|v| v["served"].as_bool() != Some(false))
                .filter_map(|v| v["name"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    // apiextensions v1beta1 CRDs may only have the singular `version` field.
    if let Some(v) = spec["version"].as_str() {
        if !versions.iter().any(|x| x == v) {
            versions.push(v.to_string());
        }
    }
    versions
        .into_iter()
        .map(|version| ResourceInfo {
            group: group.to_string(),
            version,
            kind: kind.to_string(),
            plural: plural.to_string(),
            namespaced,
            short_names: short_names.clone(),
        })
        .collect()
}

pub fn version_doc(git_version: &str) -> Value {
    let trimmed = git_version.trim_start_matches('v');
    let mut parts = trimmed.split(['.', '-', '+']);
    let major = parts.next().unwrap_or("").to_string();
    let minor = parts.next().unwrap_or("").to_string();
    json!({
        "major": major,
        "minor": minor,
        "gitVersion": git_version,
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "2021-07-15T20:59:07Z",
        "goVersion": "go1.16.6",
        "compiler": "gc",
        "platform": "linux/amd64",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plurals() {
        assert_eq!(pluralize("Deployment"), "deployments");
        assert_eq!(pluralize("PropagationPolicy"), "propagationpolicies");
        assert_eq!(pluralize("IngressClass"), "ingressclasses");
        assert_eq!(pluralize("Endpoints"), "endpoints");
        assert_eq!(pluralize("Gateway"), "gateways");
    }

    #[test]
    fn version_order() {
        let mut v = vec!["v1alpha1", "v1", "v1beta1", "v1alpha2", "v2"];
        v.sort_by(|a, b| compare_versions(a, b));
        assert_eq!(v, ["v2", "v1", "v1beta1", "v1alpha2", "v1alpha1"]);
    }

    #[test]
    fn unknown_kinds_and_crds_are_discovered() {
        let objs = vec![
            json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w", "namespace": "a"}}),
            json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
                   "metadata": {"name": "gadgets.example.com"},
                   "spec": {"group": "example.com", "scope": "Cluster",
                            "names": {"kind": "Gadget", "plural": "gadgets"},
                            "versions": [{"name": "v1", "served": true}]}}),
        ];
        let c = Catalog::build(&objs);
        assert!(c
            .by_plural("example.com", "v1", "widgets")
            .is_some_and(|r| r.namespaced));
        assert!(c
            .by_plural("example.com", "v1", "gadgets")
            .is_some_and(|r| !r.namespaced));
        let list = c.resource_list("example.com", "v1").unwrap_or_default();
        assert_eq!(list["resources"].as_array().map(Vec::len), Some(2));
        let wk = c.group("work.karmada.io").unwrap_or_default();
        assert_eq!(wk["preferredVersion"]["version"], "v1alpha2");
    }
}
