//! Kind -> group/version/resource, through the legacy discovery endpoints (`/api`,
//! `/apis`, `/apis/<group>/<version>`), which every server version serves; aggregated
//! discovery needs Kubernetes 1.26 and an upgrade checker meets older clusters. Only the
//! groups holding the needed kinds are fetched.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::counted::Counted;
use super::errors::ReqError;
use super::plan::known;
use crate::inventory::GapCause;

/// A listable resource as the server serves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiResource {
    pub kind: String,
    pub group: String,
    pub version: String,
    pub plural: String,
    pub namespaced: bool,
}

impl ApiResource {
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// `deployments.apps`, or `secrets` for the core group, as kubectl and RBAC errors say.
    pub fn qualified(&self) -> String {
        if self.group.is_empty() {
            self.plural.clone()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }

    /// The list URL, cluster-wide or in one namespace.
    pub fn list_path(&self, namespace: Option<&str>) -> String {
        let base = if self.group.is_empty() {
            format!("/api/{}", self.version)
        } else {
            format!("/apis/{}/{}", self.group, self.version)
        };
        match namespace {
            Some(ns) if self.namespaced => format!("{base}/namespaces/{ns}/{}", self.plural),
            _ => format!("{base}/{}", self.plural),
        }
    }
}

/// Why a kind could not be mapped.
#[derive(Debug, Clone)]
pub struct Unresolved {
    pub kind: String,
    /// What the server would call it, when known (`clusters.cluster.karmada.io`).
    pub resource: String,
    pub cause: GapCause,
    pub reason: String,
}

/// A kind the server's discovery answered for and does not list: evidence that no
/// object of it exists there, not a failed read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotServed {
    pub kind: String,
    /// `kind MultiClusterService is not served by this API server`.
    pub reason: String,
}

#[derive(Debug, Default)]
pub struct Resolved {
    pub resources: BTreeMap<String, ApiResource>,
    /// Discovery failed (403, timeout, 5xx): whether the kind exists is not known.
    pub unresolved: Vec<Unresolved>,
    /// Discovery answered and the kind is not in it.
    pub not_served: Vec<NotServed>,
}

fn hint_resource(kind: &str) -> String {
    match known(kind) {
        Some(h) if h.group.is_empty() => h.plural.to_string(),
        Some(h) => format!("{}.{}", h.plural, h.group),
        None => kind.to_string(),
    }
}

/// Listable resources in one discovery document, by kind.
fn resources_in(doc: &Value, group: &str, version: &str) -> Vec<ApiResource> {
    doc.get("resources")
        .and_then(Value::as_array)
        .map(|rs| {
            rs.iter()
                .filter_map(|r| {
                    let plural = r.get("name")?.as_str()?;
                    // Subresources (`deployments/status`) are not separate lists.
                    if plural.contains('/') {
                        return None;
                    }
                    let lists = r
                        .get("verbs")
                        .and_then(Value::as_array)
                        .is_none_or(|v| v.iter().any(|x| x == "list"));
                    if !lists {
                        return None;
                    }
                    Some(ApiResource {
                        kind: r.get("kind")?.as_str()?.to_string(),
                        group: group.to_string(),
                        version: version.to_string(),
                        plural: plural.to_string(),
                        namespaced: r
                            .get("namespaced")
                            .and_then(Value::as_bool)
                            .unwrap_or(false),
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Map each kind to the resource the server lists it as, preferring each group's
/// preferred version. A failure on one group leaves only that group's kinds unresolved.
pub async fn resolve(get: &Counted, kinds: &BTreeSet<String>) -> Resolved {
    let mut out = Resolved::default();
    let mut wanted: BTreeSet<String> = kinds.clone();
    let fail = |out: &mut Resolved, kind: &str, cause: GapCause, reason: String| {
        out.unresolved.push(Unresolved {
            kind: kind.to_string(),
            resource: hint_resource(kind),
            cause,
            reason,
        });
    };

    let core: Vec<String> = wanted
        .iter()
        .filter(|k| known(k).is_some_and(|h| h.group.is_empty()))
        .cloned()
        .collect();
    if !core.is_empty() {
        match get.get("/api/v1").await {
            Ok(doc) => {
                for r in resources_in(&doc, "", "v1") {
                    if core.contains(&r.kind) && wanted.remove(&r.kind) {
                        out.resources.insert(r.kind.clone(), r);
                    }
                }
                for k in core.iter().filter(|k| wanted.contains(*k)) {
                    out.not_served.push(NotServed {
                        kind: k.clone(),
                        reason: format!("kind {k} is not served by this API server (/api/v1)"),
                    });
                }
                wanted.retain(|k| !core.contains(k));
            }
            Err(e) => {
                for k in &core {
                    wanted.remove(k);
                    fail(
                        &mut out,
                        k,
                        e.cause(),
                        format!("discovery of /api/v1 failed: {e}"),
                    );
                }
            }
        }
    }
    if wanted.is_empty() {
        return out;
    }

    let groups = match get.get("/apis").await {
        Ok(doc) => doc,
        Err(e) => {
            for k in std::mem::take(&mut wanted) {
                fail(
                    &mut out,
                    &k,
                    e.cause(),
                    format!("discovery of /apis failed: {e}"),
                );
            }
            return out;
        }
    };
    // (group, versions with the preferred one first)
    let mut served: Vec<(String, Vec<String>)> = Vec::new();
    for g in groups
        .get("groups")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(name) = g.get("name").and_then(Value::as_str) else {
            continue;
        };
        let preferred = g
            .pointer("/preferredVersion/version")
            .and_then(Value::as_str);
        let mut versions: Vec<String> = g
            .get("versions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|v| v.get("version").and_then(Value::as_str).map(str::to_string))
            .collect();
        if let Some(p) = preferred {
            versions.retain(|v| v != p);
            versions.insert(0, p.to_string());
        }
        served.push((name.to_string(), versions));
    }
    // Kinds without a hint could be in any group: then every group is asked.
    let unknown_kinds = wanted.iter().any(|k| known(k).is_none());
    // A group whose discovery failed may hold any kind without a hint.
    let mut group_failed: Option<String> = None;
    for (group, versions) in &served {
        let here: Vec<String> = wanted
            .iter()
            .filter(|k| match known(k) {
                Some(h) => h.group == group,
                None => true,
            })
            .cloned()
            .collect();
        if here.is_empty() {
            continue;
        }
        for version in versions {
            if !here.iter().any(|k| wanted.contains(k)) {
                break;
            }
            match get.get(&format!("/apis/{group}/{version}")).await {
                Ok(doc) => {
                    for r in resources_in(&doc, group, version) {
                        if here.contains(&r.kind) && wanted.remove(&r.kind) {
                            out.resources.insert(r.kind.clone(), r);
                        }
                    }
                }
                // The aggregated-API failure mode: the group is listed but its
                // discovery document answers 503. Only the hinted kinds are lost.
                Err(e) => {
                    group_failed.get_or_insert_with(|| {
                        format!("discovery of {group}/{version} failed: {e}")
                    });
                    for k in here.iter().filter(|k| known(k).is_some()) {
                        if wanted.remove(k) {
                            fail(
                                &mut out,
                                k,
                                failed_cause(&e),
                                format!("discovery of {group}/{version} failed: {e}"),
                            );
                        }
                    }
                }
            }
        }
        if !unknown_kinds && wanted.is_empty() {
            break;
        }
    }
    for k in wanted {
        if let (None, Some(why)) = (known(&k), &group_failed) {
            fail(&mut out, &k, GapCause::Failed, why.clone());
            continue;
        }
        let reason = match known(&k) {
            Some(h) if !served.iter().any(|(g, _)| g == h.group) => {
                format!(
                    "kind {k}: API group {} is not served by this API server",
                    h.group
                )
            }
            _ => format!("kind {k} is not served by this API server"),
        };
        out.not_served.push(NotServed { kind: k, reason });
    }
    out
}

/// A discovery 404 for a group that /apis listed is a broken server, not an absent API.
fn failed_cause(e: &ReqError) -> GapCause {
    match e.cause() {
        GapCause::NotServed => GapCause::Failed,
        c => c,
    }
}
