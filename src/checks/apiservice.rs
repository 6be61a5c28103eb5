//! Template `apiservice`: an APIService registered with karmada-apiserver and backed by
//! a Service (the aggregated apiserver), not the automanaged "Local" APIService that a
//! CRD of the same group produces.

use serde::Deserialize;
use serde_json::{json, Value};

use super::support::apiserver::cluster_domain;
use super::support::naming::fix_file;
use super::{params, read, Check, CompileError, Ctx, Outcome, Read, ReadScope};
use crate::findings::{Evidence, Manifest, ManifestKind, Remediation};
use crate::inventory::workload::{find_component, Component};
use crate::inventory::{Object, ObjectRef, Scope, ScopeSel};

const AUTOMANAGED: &str = "kube-aggregator.kubernetes.io/automanaged";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ServiceRef {
    name: String,
    namespace: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Params {
    name: String,
    group: String,
    version: String,
    service: ServiceRef,
    group_priority_minimum: i64,
    version_priority: i64,
    #[serde(default)]
    labels: serde_json::Map<String, Value>,
}

struct ApiService {
    p: Params,
}

pub fn compile(params: &Value) -> Result<Box<dyn Check>, CompileError> {
    Ok(Box::new(ApiService {
        p: params::decode(params)?,
    }))
}

impl ApiService {
    /// Service names that count as the aggregated apiserver: the configured one, and
    /// (for Helm, which names it `<release>-aggregated-apiserver`) the name of any
    /// aggregated apiserver workload found.
    fn acceptable_services(&self, ctx: &Ctx<'_>) -> Vec<String> {
        let mut names = vec![self.p.service.name.clone()];
        static ALL: ScopeSel = ScopeSel::All;
        for c in find_component(ctx.inv, Component::AggregatedApiserver, &ALL) {
            names.push(c.object.name().to_string());
        }
        names
    }

    fn remediation(&self, ctx: &Ctx<'_>, service_name: &str) -> Remediation {
        let p = &self.p;
        let domain = cluster_domain(ctx.inv);
        let apiservice = json!({
            "apiVersion": "apiregistration.k8s.io/v1",
            "kind": "APIService",
            "metadata": {"name": p.name, "labels": p.labels},
            "spec": {
                "insecureSkipTLSVerify": true,
                "group": p.group,
                "groupPriorityMinimum": p.group_priority_minimum,
                "service": {"name": service_name, "namespace": p.service.namespace},
                "version": p.version,
                "versionPriority": p.version_priority,
            }
        });
        let external = format!("{service_name}.{}.svc.{domain}", p.service.namespace);
        let service = json!({
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": service_name, "namespace": p.service.namespace},
            "spec": {"type": "ExternalName", "externalName": external}
        });
        let aref = ObjectRef::new(
            Scope::Karmada,
            "apiregistration.k8s.io/v1",
            "APIService",
            None,
            &p.name,
        );
        let sref = ObjectRef::new(
            Scope::Karmada,
            "v1",
            "Service",
            Some(&p.service.namespace),
            service_name,
        );
        Remediation {
            summary: format!(
                "Register {} with karmada-apiserver, backed by Service {}/{service_name}; inside \
                 karmada-apiserver that Service is an ExternalName pointing at the host cluster's \
                 Service {external}.",
                p.name, p.service.namespace
            ),
            commands: vec![
                format!("kubectl --context karmada-apiserver apply -f {}", fix_file(&sref, "yaml")),
                format!("kubectl --context karmada-apiserver apply -f {}", fix_file(&aref, "yaml")),
                format!("kubectl --context karmada-apiserver wait --for=condition=Available apiservice/{}", p.name),
            ],
            manifests: vec![
                Manifest {
                    file_name: fix_file(&sref, "yaml"),
                    kind: ManifestKind::Apply,
                    apply_to: "karmada".into(),
                    target: Some(sref),
                    content: service,
                },
                Manifest {
                    file_name: fix_file(&aref, "yaml"),
                    kind: ManifestKind::Apply,
                    apply_to: "karmada".into(),
                    target: Some(aref),
                    content: apiservice,
                },
            ],
            steps: Vec::new(),
            diff: None,
        }
    }

    fn mismatches(&self, o: &Object, services: &[String]) -> Vec<(String, String)> {
        let p = &self.p;
        let mut out = Vec::new();
        let mut want_str = |ptr: &str, want: &str| {
            let have = o.at(ptr);
            if have.and_then(Value::as_str) != Some(want) {
                out.push((
                    ptr.to_string(),
                    format!("{ptr} is {}, expected {want:?}", show(have)),
                ));
            }
        };
        want_str("/spec/group", &p.group);
        want_str("/spec/version", &p.version);
        want_str("/spec/service/namespace", &p.service.namespace);
        let svc = o.str_at("/spec/service/name");
        if !svc.is_some_and(|s| services.iter().any(|n| n == s)) {
            out.push((
                "/spec/service/name".into(),
                format!(
                    "/spec/service/name is {}, expected {:?}",
                    show(o.at("/spec/service/name")),
                    p.service.name
                ),
            ));
        }
        for (ptr, want) in [
            ("/spec/groupPriorityMinimum", p.group_priority_minimum),
            ("/spec/versionPriority", p.version_priority),
        ] {
            let have = o.at(ptr);
            if have.and_then(Value::as_i64) != Some(want) {
                out.push((
                    ptr.into(),
                    format!("{ptr} is {}, expected {want}", show(have)),
                ));
            }
        }
        out
    }
}

fn show(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => "missing".into(),
        Some(v) => v.to_string(),
    }
}

impl Check for ApiService {
    fn reads(&self) -> Vec<Read> {
        vec![
            read("APIService", ReadScope::Karmada),
            read("Deployment", ReadScope::Host),
            read("Deployment", ReadScope::Karmada),
        ]
    }

    fn run(&self, ctx: &Ctx<'_>) -> Vec<Outcome> {
        let p = &self.p;
        let services = self.acceptable_services(ctx);
        let svc_name = services
            .last()
            .cloned()
            .unwrap_or_else(|| p.service.name.clone());
        let sel = ScopeSel::Karmada;
        let found: Vec<&Object> = ctx
            .inv
            .of_kind("APIService", &sel)
            .filter(|o| o.name() == p.name)
            .collect();
        if found.is_empty() {
            if let Some(o) = super::support::components::made_by_installer(
                ctx.inv,
                Component::AggregatedApiserver,
                "its APIService",
            ) {
                return vec![o];
            }
            return vec![Outcome::violation(format!(
                "APIService {} is not registered; the Cluster API must be served by {}/{} through API aggregation",
                p.name, p.service.namespace, p.service.name
            ))
            .about(ObjectRef::new(Scope::Karmada, "apiregistration.k8s.io/v1", "APIService", None, &p.name))
            .with_remediation(self.remediation(ctx, &svc_name))];
        }
        found
            .into_iter()
            .map(|o| {
                let automanaged = o.labels().and_then(|l| l.get(AUTOMANAGED)).map(|v| v.to_value().to_string());
                let no_service = o.at("/spec/service").is_none_or(Value::is_null);
                if automanaged.is_some() || no_service {
                    let why = match &automanaged {
                        Some(v) => format!("it carries {AUTOMANAGED}={v}"),
                        None => "it has no spec.service".into(),
                    };
                    let ptr = if automanaged.is_some() { "/metadata/labels" } else { "/spec" };
                    return Outcome::violation(format!(
                        "APIService {} is the automanaged one that the Cluster CRD produces ({why}): the Cluster \
                         API is still served by the CRD, not by the aggregated apiserver",
                        p.name
                    ))
                    .at(o, ptr)
                    .with_remediation(self.remediation(ctx, &svc_name));
                }
                let bad = self.mismatches(o, &services);
                if !bad.is_empty() {
                    let evidence: Vec<_> = bad
                        .iter()
                        .map(|(ptr, msg)| Evidence {
                status: None,
                            message: msg.clone(),
                            location: Some(o.locate(ptr)),
                        })
                        .collect();
                    let msg = bad.iter().map(|(_, m)| m.as_str()).collect::<Vec<_>>().join("; ");
                    return Outcome::violation(format!("APIService {}: {msg}", p.name))
                        .at(o, &bad[0].0)
                        .with_evidence(evidence)
                        .with_remediation(self.remediation(ctx, &svc_name));
                }
                // Only live objects carry status; when they do, Available must be True.
                if let Some(conds) = o.at("/status/conditions").and_then(Value::as_array) {
                    let avail = conds
                        .iter()
                        .enumerate()
                        .find(|(_, c)| c.get("type").and_then(Value::as_str) == Some("Available"));
                    match avail {
                        Some((i, c)) if c.get("status").and_then(Value::as_str) != Some("True") => {
                            let reason = c.get("reason").and_then(Value::as_str).unwrap_or("");
                            let message = c.get("message").and_then(Value::as_str).unwrap_or("");
                            return Outcome::violation(format!(
                                "APIService {} is registered but not Available: {reason} {message}",
                                p.name
                            ))
                            .at(o, &format!("/status/conditions/{i}"));
                        }
                        None => {
                            return Outcome::unknown(format!(
                                "APIService {} has status but no Available condition yet",
                                p.name
                            ))
                            .at(o, "/status")
                        }
                        _ => {}
                    }
                }
                Outcome::pass(format!(
                    "APIService {} is served by {}/{}",
                    p.name,
                    p.service.namespace,
                    o.str_at("/spec/service/name").unwrap_or("")
                ))
                .at(o, "/spec/service")
            })
            .collect()
    }
}
