//! Template `cluster-impersonator-secret`: after the upgrade every Cluster has
//! `spec.impersonatorSecretRef` and the Secret it names holds a non-empty `token`. The
//! aggregated apiserver proxies `clusters/proxy` requests with that token; without it
//! every proxied request fails with "the impersonatorSecretRef of cluster X is nil".
//!
//! Secret values are never copied into findings: only whether `token` is present.

use serde::Deserialize;
use serde_json::Value;

use super::support::clusters::karmada_clusters;
use super::{params, read, Check, CompileError, Ctx, Outcome, Read, ReadScope};
use crate::findings::Remediation;
use crate::inventory::workload::json_type;
use crate::inventory::{Object, ObjectRef, Scope, ScopeSel};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Params {
    /// Secret key holding the token.
    #[serde(default = "token")]
    key: String,
}

fn token() -> String {
    "token".into()
}

struct ImpersonatorSecret {
    p: Params,
}

pub fn compile(params: &Value) -> Result<Box<dyn Check>, CompileError> {
    Ok(Box::new(ImpersonatorSecret {
        p: params::decode(params)?,
    }))
}

fn remediation(c: &Object) -> Remediation {
    let name = c.name();
    let mode = c.str_at("/spec/syncMode").unwrap_or("");
    let member_ns = c
        .str_at("/spec/secretRef/namespace")
        .unwrap_or("karmada-cluster");
    let mut commands = Vec::new();
    let summary = if mode == "Pull" {
        commands.push(format!(
            "kubectl --context {name} -n karmada-system rollout restart deployment karmada-agent"
        ));
        format!(
            "Cluster {name} is in Pull mode: the v1.0 karmada-agent creates ServiceAccount karmada-impersonator \
             in the member, Secret karmada-cluster/{name}-impersonator in karmada-apiserver and sets \
             spec.impersonatorSecretRef when it registers, i.e. when it restarts. Make sure the agent image is v1.0 \
             and its RBAC allows impersonate (agent-impersonate-rbac)."
        )
    } else {
        commands.push("# the v1.0 controller-manager (unifiedAuth controller) creates, for this Push cluster:".into());
        commands.push(format!(
            "kubectl --context {name} -n {member_ns} get serviceaccount karmada-impersonator   # 1. in the member"
        ));
        commands.push(format!(
            "kubectl --context karmada-apiserver -n karmada-cluster get secret {name}-impersonator   # 2. token copied from that ServiceAccount"
        ));
        commands.push(format!(
            "kubectl --context karmada-apiserver get cluster {name} -o jsonpath='{{.spec.impersonatorSecretRef}}'   # 3. set if it was nil"
        ));
        commands.push("# if they are missing, check it runs v1.0 with the unifiedAuth controller enabled, then restart it:".into());
        commands.push(
            "kubectl --context karmada-host -n karmada-system rollout restart deployment karmada-controller-manager".into(),
        );
        format!(
            "Cluster {name} is in Push mode: at start the v1.0 karmada-controller-manager creates ServiceAccount \
             {member_ns}/karmada-impersonator in the member, waits for its token Secret, creates Secret \
             karmada-cluster/{name}-impersonator in karmada-apiserver and sets spec.impersonatorSecretRef. On \
             Kubernetes >= 1.24 members this needs Karmada >= v1.0.5 (member-k8s-1.24-needs-patch)."
        )
    };
    Remediation {
        summary,
        commands,
        ..Default::default()
    }
}

impl ImpersonatorSecret {
    fn check(&self, ctx: &Ctx<'_>, c: &Object) -> Outcome {
        const REF: &str = "/spec/impersonatorSecretRef";
        // Absent and null are the same to the API server: no reference.
        let r = match c.node(REF).filter(|n| !n.is_null()) {
            None => {
                return Outcome::violation(format!(
                    "Cluster {} has no spec.impersonatorSecretRef, so clusters/proxy requests to it fail",
                    c.name()
                ))
                .at(c, REF)
                .with_remediation(remediation(c))
            }
            Some(m) if m.is_object() => m,
            Some(other) => {
                return Outcome::unknown(format!("{REF} is {}, expected a mapping", other.type_name()))
                    .at(c, REF)
            }
        };
        let (Some(ns), Some(name)) = (
            r.get("namespace").and_then(|n| n.as_str()),
            r.get("name").and_then(|n| n.as_str()),
        ) else {
            return Outcome::violation(format!(
                "{REF} of Cluster {} lacks a string namespace and name",
                c.name()
            ))
            .at(c, REF)
            .with_remediation(remediation(c));
        };
        static KARMADA: ScopeSel = ScopeSel::Karmada;
        let Some(secret) = ctx.inv.get("Secret", &KARMADA, Some(ns), name) else {
            let expected = ObjectRef::new(Scope::Karmada, "v1", "Secret", Some(ns), name);
            // A live listing that came back empty proves absence; offline input rarely
            // carries Secrets, so their absence there says nothing.
            if ctx.inv.saw_kind("Secret", &KARMADA)
                && ctx.inv.of_kind("Secret", &KARMADA).next().is_none()
            {
                return Outcome::violation(format!(
                    "Secret {ns}/{name} named by Cluster {} does not exist",
                    c.name()
                ))
                .about(expected)
                .with_remediation(remediation(c));
            }
            return Outcome::unknown(format!(
                "Secret {ns}/{name} named by Cluster {} is not in the input; cannot tell whether it holds a {}",
                c.name(),
                self.p.key
            ))
            .about(expected);
        };
        let key = &self.p.key;
        for field in ["data", "stringData"] {
            let ptr = format!("/{field}/{key}");
            match secret.at(&ptr) {
                None | Some(Value::Null) => {}
                Some(Value::String(s)) if !s.trim().is_empty() => {
                    return Outcome::pass(format!(
                        "Cluster {} -> Secret {ns}/{name} has a non-empty {key}",
                        c.name()
                    ))
                    .at(secret, &ptr)
                }
                Some(Value::String(_)) => {}
                Some(other) => {
                    return Outcome::unknown(format!(
                        "{ptr} is {}, expected a string",
                        json_type(other)
                    ))
                    .at(secret, &ptr)
                }
            }
        }
        Outcome::violation(format!(
            "Secret {ns}/{name} named by Cluster {} has no non-empty {key}",
            c.name()
        ))
        .at(secret, "/data")
        .with_remediation(remediation(c))
    }
}

impl Check for ImpersonatorSecret {
    fn reads(&self) -> Vec<Read> {
        vec![
            read("Cluster", ReadScope::Karmada),
            read("Secret", ReadScope::Karmada),
        ]
    }

    fn run(&self, ctx: &Ctx<'_>) -> Vec<Outcome> {
        let clusters = karmada_clusters(ctx.inv);
        if clusters.is_empty() {
            return vec![Outcome::unknown(
                "the input holds no cluster.karmada.io Cluster objects, so impersonator secrets cannot be checked",
            )];
        }
        clusters.into_iter().map(|c| self.check(ctx, c)).collect()
    }
}
