//! Template `endpointslice-v1beta1`: EndpointSlices written as `discovery.k8s.io/v1beta1`
//! (manifests, or policies selecting that version). Karmada v1.0's MCS controllers only
//! read and write `discovery.k8s.io/v1`, and Kubernetes 1.25 stops serving v1beta1.
//!
//! The fix is the same object as v1, converted the way kube-apiserver converts it
//! (`pkg/apis/discovery/v1beta1/conversion.go`): `topology` becomes `deprecatedTopology`,
//! its `topology.kubernetes.io/zone` moves to `zone`, and its `kubernetes.io/hostname` is
//! dropped when it equals `nodeName`.

use serde::Deserialize;
use serde_json::{Map, Value};

use super::support::naming::{apply_to, fix_file};
use super::{params, read, Check, CompileError, Ctx, Outcome, Read, ReadScope};
use crate::findings::{Manifest, ManifestKind, Remediation};
use crate::inventory::{Object, ScopeSel};

const OLD: &str = "discovery.k8s.io/v1beta1";
const NEW: &str = "discovery.k8s.io/v1";
const ZONE: &str = "topology.kubernetes.io/zone";
const HOSTNAME: &str = "kubernetes.io/hostname";

/// Kinds whose `spec.resourceSelectors` may name the old version.
const POLICY_KINDS: [&str; 4] = [
    "PropagationPolicy",
    "ClusterPropagationPolicy",
    "OverridePolicy",
    "ClusterOverridePolicy",
];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {}

struct EndpointSliceV1beta1;

pub fn compile(params: &Value) -> Result<Box<dyn Check>, CompileError> {
    let _: Params = params::decode(params)?;
    Ok(Box::new(EndpointSliceV1beta1))
}

/// The v1 form of a v1beta1 EndpointSlice, without server-owned metadata. Also returns
/// notes on what changed, for the summary.
pub fn to_v1(obj: &Value) -> (Value, Vec<String>) {
    let mut notes = Vec::new();
    let mut out = obj.clone();
    out["apiVersion"] = Value::String(NEW.into());
    if let Some(meta) = out.get_mut("metadata").and_then(Value::as_object_mut) {
        for k in [
            "resourceVersion",
            "uid",
            "creationTimestamp",
            "generation",
            "managedFields",
            "selfLink",
        ] {
            meta.remove(k);
        }
        if let Some(a) = meta.get_mut("annotations").and_then(Value::as_object_mut) {
            a.remove("kubectl.kubernetes.io/last-applied-configuration");
            if a.is_empty() {
                meta.remove("annotations");
            }
        }
    }
    if let Some(eps) = out.get_mut("endpoints").and_then(Value::as_array_mut) {
        for (i, ep) in eps.iter_mut().enumerate() {
            let Some(ep) = ep.as_object_mut() else {
                continue;
            };
            let Some(Value::Object(topology)) = ep.remove("topology") else {
                continue;
            };
            let mut deprecated: Map<String, Value> = topology.clone();
            if let Some(zone) = deprecated.remove(ZONE) {
                ep.insert("zone".into(), zone);
                notes.push(format!(
                    "endpoints[{i}].topology[{ZONE}] -> endpoints[{i}].zone"
                ));
            }
            let node = ep
                .get("nodeName")
                .and_then(Value::as_str)
                .map(str::to_string);
            match (node, deprecated.get(HOSTNAME).and_then(Value::as_str)) {
                (Some(n), Some(h)) if n == h => {
                    deprecated.remove(HOSTNAME);
                }
                (None, Some(h)) => notes.push(format!(
                    "endpoints[{i}] has topology[{HOSTNAME}]={h} but no nodeName; set nodeName if that is the node's name"
                )),
                _ => {}
            }
            if !deprecated.is_empty() {
                notes.push(format!(
                    "endpoints[{i}].topology -> endpoints[{i}].deprecatedTopology"
                ));
                ep.insert("deprecatedTopology".into(), Value::Object(deprecated));
            }
        }
    }
    (out, notes)
}

impl EndpointSliceV1beta1 {
    fn slice(&self, o: &Object) -> Outcome {
        let (v1, notes) = to_v1(o.value());
        let mut summary = format!(
            "Write EndpointSlice {} as {NEW}; the apply-able manifest keeps every field, converted as kube-apiserver \
             converts it.",
            o.r
        );
        if !notes.is_empty() {
            summary.push_str(&format!(" Changes: {}.", notes.join("; ")));
        }
        Outcome::violation(format!(
            "EndpointSlice {} uses {OLD}: Karmada v1.0's multi-cluster services read and write {NEW} only, \
             and Kubernetes 1.25 no longer serves {OLD}",
            o.r
        ))
        .at(o, "/apiVersion")
        .with_remediation(Remediation {
            summary,
            manifests: vec![Manifest {
                file_name: fix_file(&o.r, "v1.yaml"),
                kind: ManifestKind::Apply,
                apply_to: apply_to(o.r.scope()),
                target: Some(o.r.clone()),
                content: v1,
            }],
            ..Default::default()
        })
    }
}

impl Check for EndpointSliceV1beta1 {
    fn reads(&self) -> Vec<Read> {
        let mut r = vec![
            read("EndpointSlice", ReadScope::Karmada),
            read("EndpointSlice", ReadScope::Host),
            read("EndpointSlice", ReadScope::Member),
        ];
        r.extend(POLICY_KINDS.iter().map(|k| read(k, ReadScope::Karmada)));
        r
    }

    fn run(&self, ctx: &Ctx<'_>) -> Vec<Outcome> {
        static ALL: ScopeSel = ScopeSel::All;
        let mut out: Vec<Outcome> = ctx
            .inv
            .of_kind("EndpointSlice", &ALL)
            .filter(|o| o.r.api_version() == OLD)
            .map(|o| self.slice(o))
            .collect();
        for kind in POLICY_KINDS {
            for p in ctx.inv.of_kind(kind, &ALL) {
                let Some(sels) = p.node("/spec/resourceSelectors").and_then(|n| n.items()) else {
                    continue;
                };
                for (i, s) in sels.enumerate() {
                    if s.get("apiVersion").and_then(|n| n.as_str()) == Some(OLD)
                        && s.get("kind").and_then(|n| n.as_str()) == Some("EndpointSlice")
                    {
                        let ptr = format!("/spec/resourceSelectors/{i}/apiVersion");
                        out.push(
                            Outcome::violation(format!(
                                "{} selects EndpointSlices as {OLD}; select {NEW} instead",
                                p.r
                            ))
                            .at(p, &ptr)
                            .with_remediation(Remediation {
                                summary: format!("Change {ptr} of {} to {NEW}.", p.r),
                                commands: vec![format!(
                                    "kubectl --context karmada-apiserver{} patch {} {} --type=json -p \
                                     '[{{\"op\":\"test\",\"path\":\"{ptr}\",\"value\":\"{OLD}\"}},{{\"op\":\"replace\",\"path\":\"{ptr}\",\"value\":\"{NEW}\"}}]'",
                                    p.namespace().map(|n| format!(" -n {n}")).unwrap_or_default(),
                                    kind.to_lowercase(),
                                    p.name()
                                )],
                                ..Default::default()
                            }),
                        );
                    }
                }
            }
        }
        if out.is_empty() {
            out.push(Outcome::pass(format!(
                "no EndpointSlice in the input uses {OLD}"
            )));
        }
        out
    }
}
