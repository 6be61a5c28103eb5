//! Template `replicaschedulingpolicy-removed`: the ReplicaSchedulingPolicy API
//! (`policy.karmada.io`, deprecated in v0.9) is gone in v1.0 (#1161). Its objects stop
//! taking effect and the CRD is no longer served, so each policy must first be folded into
//! the PropagationPolicy that propagates the same resources
//! (`spec.placement.replicaScheduling`).

use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::support::naming::fix_file;
use super::{params, read, Check, CompileError, Ctx, Outcome, Read, ReadScope};
use crate::findings::Consequence;
use crate::findings::{Manifest, ManifestKind, Remediation};
use crate::inventory::{Object, ObjectRef, Scope, ScopeSel};
use crate::upgrade::Phase;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Params {
    /// e.g. `replicaschedulingpolicies.policy.karmada.io`.
    crd: String,
    /// e.g. `ReplicaSchedulingPolicy`.
    kind: String,
    /// e.g. `policy.karmada.io`.
    group: String,
}

struct RspRemoved {
    p: Params,
}

pub fn compile(params: &Value) -> Result<Box<dyn Check>, CompileError> {
    Ok(Box::new(RspRemoved {
        p: params::decode(params)?,
    }))
}

/// Same resource: equal apiVersion and kind, and names that do not exclude each other.
fn selectors_overlap(a: &Value, b: &Value) -> bool {
    let s = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let (na, nb) = (s(a, "name"), s(b, "name"));
    s(a, "apiVersion") == s(b, "apiVersion")
        && s(a, "kind") == s(b, "kind")
        && (na.is_empty() || nb.is_empty() || na == nb)
}

/// `spec.placement.replicaScheduling` equivalent to the RSP's preferences: static weights
/// become a Divided/Weighted replica scheduling with the same weight list.
fn replica_scheduling(rsp: &Object) -> Value {
    match rsp
        .at("/spec/preferences/staticWeightList")
        .and_then(Value::as_array)
    {
        Some(list) if !list.is_empty() => json!({
            "replicaSchedulingType": "Divided",
            "replicaDivisionPreference": "Weighted",
            "weightPreference": {"staticWeightList": list},
        }),
        _ => json!({
            "replicaSchedulingType": "Divided",
            "replicaDivisionPreference": "Aggregated",
        }),
    }
}

impl RspRemoved {
    fn migrate(&self, ctx: &Ctx<'_>, rsp: &Object) -> Remediation {
        static KARMADA: ScopeSel = ScopeSel::Karmada;
        let ns = rsp.namespace().unwrap_or("default");
        let selectors: Vec<Value> = rsp
            .at("/spec/resourceSelectors")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let scheduling = replica_scheduling(rsp);
        // A resource is propagated by one PropagationPolicy: the replica scheduling goes
        // into that one when the input holds it.
        let existing = ctx
            .inv
            .of_kind("PropagationPolicy", &KARMADA)
            .filter(|pp| pp.namespace().unwrap_or("default") == ns)
            .find(|pp| {
                pp.at("/spec/resourceSelectors")
                    .and_then(Value::as_array)
                    .is_some_and(|l| {
                        l.iter()
                            .any(|a| selectors.iter().any(|b| selectors_overlap(a, b)))
                    })
            });
        let total = rsp.at("/spec/totalReplicas").and_then(Value::as_i64);
        let mut summary = String::new();
        let manifest = match existing {
            Some(pp) => {
                summary.push_str(&format!(
                    "Add spec.placement.replicaScheduling to PropagationPolicy {ns}/{}, which propagates the \
                     resources ReplicaSchedulingPolicy {ns}/{} selects.",
                    pp.name(),
                    rsp.name()
                ));
                Manifest {
                    file_name: fix_file(&pp.r, "merge-patch.json"),
                    kind: ManifestKind::MergePatch,
                    apply_to: "karmada".into(),
                    target: Some(pp.r.clone()),
                    content: json!({"spec": {"placement": {"replicaScheduling": scheduling}}}),
                }
            }
            None => {
                let clusters: Vec<Value> = rsp
                    .at("/spec/preferences/staticWeightList")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|w| {
                        w.pointer("/targetCluster/clusterNames")?
                            .as_array()
                            .cloned()
                    })
                    .flatten()
                    .collect();
                let mut placement = Map::new();
                if !clusters.is_empty() {
                    placement.insert("clusterAffinity".into(), json!({"clusterNames": clusters}));
                }
                placement.insert("replicaScheduling".into(), scheduling);
                let r = ObjectRef::new(
                    Scope::Karmada,
                    "policy.karmada.io/v1alpha1",
                    "PropagationPolicy",
                    Some(ns),
                    rsp.name(),
                );
                summary.push_str(&format!(
                    "No PropagationPolicy in the input propagates what ReplicaSchedulingPolicy {ns}/{} selects; \
                     the skeleton below carries its selectors and weights. If another PropagationPolicy already \
                     propagates these resources, move spec.placement.replicaScheduling there instead (a \
                     resource matches one policy).",
                    rsp.name()
                ));
                Manifest {
                    file_name: fix_file(&r, "yaml"),
                    kind: ManifestKind::Apply,
                    apply_to: "karmada".into(),
                    target: Some(r),
                    content: json!({
                        "apiVersion": "policy.karmada.io/v1alpha1",
                        "kind": "PropagationPolicy",
                        "metadata": {"name": rsp.name(), "namespace": ns},
                        "spec": {"resourceSelectors": selectors, "placement": placement},
                    }),
                }
            }
        };
        if let Some(t) = total {
            summary.push_str(&format!(
                " The policy set totalReplicas {t}; PropagationPolicy has no such field, so set the workloads' \
                 spec.replicas to {t} in karmada-apiserver."
            ));
        }
        Remediation {
            summary,
            commands: vec![format!(
                "kubectl --context karmada-apiserver -n {ns} delete {}.{} {}   # after the PropagationPolicy carries the scheduling",
                self.p.kind.to_lowercase(),
                self.p.group,
                rsp.name()
            )],
            manifests: vec![manifest],
            steps: Vec::new(),
            diff: None,
        }
    }
}

impl Check for RspRemoved {
    fn reads(&self) -> Vec<Read> {
        vec![
            read("CustomResourceDefinition", ReadScope::Karmada),
            read("ReplicaSchedulingPolicy", ReadScope::Karmada),
            read("PropagationPolicy", ReadScope::Karmada),
        ]
    }

    fn run(&self, ctx: &Ctx<'_>) -> Vec<Outcome> {
        static KARMADA: ScopeSel = ScopeSel::Karmada;
        let mut out: Vec<Outcome> = ctx
            .inv
            .of_kind(&self.p.kind, &KARMADA)
            .filter(|o| o.r.api_version().split('/').next() == Some(self.p.group.as_str()))
            .map(|rsp| {
                Outcome::violation(format!(
                    "{} {}/{} still exists; the API is removed in v1.0 and the policy stops taking effect",
                    self.p.kind,
                    rsp.namespace().unwrap_or("default"),
                    rsp.name()
                ))
                .at(rsp, "/spec")
                .with_remediation(self.migrate(ctx, rsp))
            })
            .collect();
        let crds: Vec<&Object> = ctx
            .inv
            .of_kind("CustomResourceDefinition", &KARMADA)
            .filter(|o| o.name() == self.p.crd)
            .collect();
        // The CRD alone (every v0.10 install has it) is a step of the upgrade; only objects
        // that still use the API block it.
        let objects_in_use = !out.is_empty();
        let crd_only = match ctx.phase {
            Phase::Pre => Consequence::Action,
            Phase::Post => Consequence::Warning,
        };
        for crd in &crds {
            let o = Outcome::violation(format!(
                "CRD {} is still installed; v1.0 removed the {} API in favor of PropagationPolicy \
                 spec.placement.replicaScheduling{}",
                self.p.crd,
                self.p.kind,
                if objects_in_use {
                    ""
                } else {
                    "; no objects of it are in the input: confirm none exist, then delete the CRD"
                }
            ))
            .at(crd, "/metadata/name");
            let o = if objects_in_use {
                o
            } else {
                o.with_consequence(crd_only)
            };
            out.push(
                o
                .with_remediation(Remediation {
                    summary: format!(
                        "Migrate every {} to its PropagationPolicy's spec.placement.replicaScheduling (the \
                         findings per policy carry the manifests), then delete the CRD; deleting it through the \
                         API also deletes the remaining {} objects.",
                        self.p.kind, self.p.kind
                    ),
                    commands: vec![
                        format!("kubectl --context karmada-apiserver get {} -A -o yaml > rsp-backup.yaml", self.p.crd),
                        format!("kubectl --context karmada-apiserver delete crd {}", self.p.crd),
                    ],
                    ..Default::default()
                }),
            );
        }
        if out.is_empty() {
            if ctx.inv.saw_kind("CustomResourceDefinition", &KARMADA) {
                out.push(
                    Outcome::pass(format!(
                        "neither CRD {} nor {} objects are present",
                        self.p.crd, self.p.kind
                    ))
                    .about(ObjectRef::new(
                        Scope::Karmada,
                        "apiextensions.k8s.io/v1",
                        "CustomResourceDefinition",
                        None,
                        &self.p.crd,
                    )),
                );
            } else {
                out.push(Outcome::unknown(format!(
                    "the input holds no CustomResourceDefinitions from karmada-apiserver, so it cannot show whether \
                     {} is still installed",
                    self.p.crd
                )));
            }
        }
        out
    }
}
