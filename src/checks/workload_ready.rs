//! Template `workload-ready`: a Karmada component's Deployment has all its replicas
//! ready (status.readyReplicas = spec.replicas). Only live objects (or a collected
//! bundle) carry status; manifests without it are skipped, not judged.

use serde::Deserialize;
use serde_json::Value;

use super::{params, read, Check, CompileError, Ctx, Outcome, Read, ReadScope};
use crate::inventory::workload::{find_component, Component};
use crate::inventory::{ObjectRef, Scope, ScopeSel};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Params {
    component: Component,
}

struct WorkloadReady {
    p: Params,
}

pub fn compile(params: &Value) -> Result<Box<dyn Check>, CompileError> {
    Ok(Box::new(WorkloadReady {
        p: params::decode(params)?,
    }))
}

impl Check for WorkloadReady {
    fn reads(&self) -> Vec<Read> {
        vec![
            read("Deployment", ReadScope::Host),
            read("StatefulSet", ReadScope::Host),
        ]
    }

    fn run(&self, ctx: &Ctx<'_>) -> Vec<Outcome> {
        let name = self.p.component.display();
        let sel = ScopeSel::Host;
        let mut objects: Vec<_> = find_component(ctx.inv, self.p.component, &sel)
            .into_iter()
            .map(|c| c.object)
            .filter(|o| matches!(o.kind(), "Deployment" | "StatefulSet"))
            .collect();
        objects.dedup_by(|a, b| a.r == b.r);
        if objects.is_empty() {
            if ctx.inv.was_listed("Deployment", &sel) {
                return vec![Outcome::violation(format!(
                    "no {name} Deployment in the host cluster (looked for its image or command)"
                ))
                .about(ObjectRef::new(
                    Scope::Host,
                    "apps/v1",
                    "Deployment",
                    Some("karmada-system"),
                    name,
                ))];
            }
            return vec![Outcome::unknown(format!("no {name} workload in the input"))];
        }
        objects
            .into_iter()
            .map(|o| {
                let Some(status) = o.at("/status").filter(|s| s.is_object()) else {
                    return Outcome::skip(format!(
                        "{} {} has no status (a manifest, not a live object): readiness is checked live",
                        o.kind(),
                        o.name()
                    ))
                    .at(o, "");
                };
                // The API server defaults spec.replicas to 1; readyReplicas is omitted when 0.
                let want = o.at("/spec/replicas").and_then(Value::as_i64).unwrap_or(1);
                let ready = status.get("readyReplicas").and_then(Value::as_i64).unwrap_or(0);
                if ready >= want {
                    Outcome::pass(format!("{} {}: {ready}/{want} replicas ready", o.kind(), o.name()))
                        .at(o, "/status/readyReplicas")
                } else {
                    Outcome::violation(format!(
                        "{} {}: only {ready}/{want} replicas ready; `kubectl get clusters` and cluster proxying \
                         fail while it is down",
                        o.kind(),
                        o.name()
                    ))
                    .at(o, "/status")
                }
            })
            .collect()
    }
}
