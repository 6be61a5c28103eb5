//! Template `apiservice-service-link`: the Service an APIService points at exists in
//! karmada-apiserver and, when it is an ExternalName (karmada-apiserver has no pods or
//! kube-proxy of its own, so that is how it reaches the host cluster), its externalName is
//! `<svc>.<ns>.svc.<cluster domain>` of a Service that exists in the host cluster.
//! In pool mode (input without scopes) both Services may carry the same name: the
//! ExternalName one is taken as karmada-apiserver's, the other as the host's.

use serde::Deserialize;
use serde_json::{json, Value};

use super::support::apiserver::cluster_domain;
use super::support::naming::fix_file;
use super::{params, read, Check, CompileError, Ctx, Outcome, Read, ReadScope};
use crate::findings::{Evidence, Manifest, ManifestKind, Remediation};
use crate::inventory::workload::{find_component, json_type, Component};
use crate::inventory::{Object, ObjectRef, Scope, ScopeSel};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    apiservice: String,
}

struct ServiceLink {
    p: Params,
}

pub fn compile(p: &Value) -> Result<Box<dyn Check>, CompileError> {
    Ok(Box::new(ServiceLink {
        p: params::decode(p)?,
    }))
}

fn is_external(s: &Object) -> bool {
    s.str_at("/spec/type") == Some("ExternalName")
}

impl ServiceLink {
    /// The ExternalName Service karmada-apiserver needs, pointing at the host Service of
    /// the aggregated apiserver (its real name when it is in the input).
    fn remediation(&self, ctx: &Ctx<'_>, name: &str, ns: &str) -> Remediation {
        static HOST: ScopeSel = ScopeSel::Host;
        let domain = cluster_domain(ctx.inv);
        let host = find_component(ctx.inv, Component::AggregatedApiserver, &HOST)
            .first()
            .and_then(|c| {
                ctx.inv.of_kind("Service", &HOST).find(|s| {
                    !is_external(s)
                        && s.namespace() == c.object.namespace()
                        && s.name() == c.object.name()
                })
            })
            .map(|s| {
                (
                    s.name().to_string(),
                    s.namespace().unwrap_or("default").to_string(),
                )
            })
            .unwrap_or_else(|| (name.to_string(), ns.to_string()));
        let external = format!("{}.{}.svc.{domain}", host.0, host.1);
        let sref = ObjectRef::new(Scope::Karmada, "v1", "Service", Some(ns), name);
        let file = fix_file(&sref, "yaml");
        Remediation {
            summary: format!(
                "Create (or replace) Service {ns}/{name} in karmada-apiserver as an ExternalName pointing at \
                 the host cluster's Service {external}."
            ),
            commands: vec![format!("kubectl --context karmada-apiserver apply -f {file}")],
            manifests: vec![Manifest {
                file_name: file,
                kind: ManifestKind::Apply,
                apply_to: "karmada".into(),
                target: Some(sref),
                content: json!({
                    "apiVersion": "v1",
                    "kind": "Service",
                    "metadata": {"name": name, "namespace": ns},
                    "spec": {"type": "ExternalName", "externalName": external},
                }),
            }],
            steps: Vec::new(),
            diff: None,
        }
    }

    fn check(&self, ctx: &Ctx<'_>, a: &Object) -> Outcome {
        let (name, ns) = match (a.at("/spec/service/name"), a.at("/spec/service/namespace")) {
            (Some(Value::String(n)), Some(Value::String(s))) => (n.as_str(), s.as_str()),
            (n, s) => {
                let (ptr, v) = match n {
                    Some(Value::String(_)) => ("/spec/service/namespace", s),
                    _ => ("/spec/service/name", n),
                };
                return Outcome::unknown(format!(
                    "APIService {}: {ptr} is {}, expected a string",
                    a.name(),
                    v.map(json_type).unwrap_or("missing")
                ))
                .at(a, ptr);
            }
        };
        static KARMADA: ScopeSel = ScopeSel::Karmada;
        static HOST: ScopeSel = ScopeSel::Host;
        let candidates: Vec<&Object> = ctx
            .inv
            .of_kind("Service", &KARMADA)
            .filter(|s| s.name() == name && s.namespace() == Some(ns))
            .collect();
        let svc = candidates
            .iter()
            .find(|s| is_external(s))
            .or_else(|| candidates.iter().find(|s| *s.r.scope() == Scope::Karmada));
        let Some(svc) = svc else {
            if !ctx.inv.saw_kind("Service", &KARMADA) {
                return Outcome::unknown(format!(
                    "the input holds no Services from karmada-apiserver, so Service {ns}/{name} of APIService {} \
                     cannot be checked",
                    a.name()
                ))
                .at(a, "/spec/service");
            }
            let note = if candidates.is_empty() {
                String::new()
            } else {
                " (a non-ExternalName Service of that name is in the input; without scopes it is taken as the \
                 host cluster's)"
                    .to_string()
            };
            return Outcome::violation(format!(
                "APIService {} points at Service {ns}/{name}, which karmada-apiserver does not have{note}",
                a.name()
            ))
            .at(a, "/spec/service")
            .with_remediation(self.remediation(ctx, name, ns));
        };
        if !is_external(svc) {
            // A ClusterIP inside karmada-apiserver has no endpoints and no route.
            return Outcome::violation(format!(
                "Service {} behind APIService {} is type {}, not ExternalName; karmada-apiserver cannot reach \
                 the aggregated apiserver through it",
                svc.r,
                a.name(),
                svc.str_at("/spec/type").unwrap_or("ClusterIP")
            ))
            .at(svc, "/spec")
            .with_remediation(self.remediation(ctx, name, ns));
        }
        let ext = match svc.at("/spec/externalName") {
            Some(Value::String(s)) => s.trim_end_matches('.'),
            other => {
                return Outcome::unknown(format!(
                    "Service {}: /spec/externalName is {}, expected a string",
                    svc.r,
                    other.map(json_type).unwrap_or("missing")
                ))
                .at(svc, "/spec/externalName")
            }
        };
        let domain = cluster_domain(ctx.inv);
        let suffix = format!(".svc.{domain}");
        let parsed = ext
            .strip_suffix(&suffix)
            .and_then(|h| h.split_once('.'))
            .filter(|(n, s)| !n.is_empty() && !s.is_empty() && !s.contains('.'));
        let Some((host_name, host_ns)) = parsed else {
            return Outcome::violation(format!(
                "Service {} externalName {ext:?} is not <service>.<namespace>{suffix} (cluster domain {domain} \
                 from karmada-apiserver's flags)",
                svc.r
            ))
            .at(svc, "/spec/externalName")
            .with_remediation(self.remediation(ctx, name, ns));
        };
        let host_svc = ctx
            .inv
            .of_kind("Service", &HOST)
            .find(|s| !is_external(s) && s.name() == host_name && s.namespace() == Some(host_ns));
        match host_svc {
            Some(h) => Outcome::pass(format!(
                "APIService {} → Service {} (ExternalName {ext}) → host Service {}",
                a.name(),
                svc.r,
                h.r
            ))
            .at(svc, "/spec/externalName")
            .with_evidence(vec![Evidence {
                status: None,
                message: format!("host Service {}", h.r),
                location: Some(h.locate("/metadata/name")),
            }]),
            None if !ctx.inv.saw_kind("Service", &HOST) || ctx.inv.of_kind("Service", &HOST).all(is_external) => {
                Outcome::unknown(format!(
                    "Service {} points at {ext}, but the input holds no host-cluster Services to confirm it exists",
                    svc.r
                ))
                .at(svc, "/spec/externalName")
            }
            None => Outcome::violation(format!(
                "Service {} points at {ext}, but the host cluster has no Service {host_ns}/{host_name}",
                svc.r
            ))
            .at(svc, "/spec/externalName")
            .with_remediation(self.remediation(ctx, name, ns)),
        }
    }
}

impl Check for ServiceLink {
    fn reads(&self) -> Vec<Read> {
        vec![
            read("APIService", ReadScope::Karmada),
            read("Service", ReadScope::Karmada),
            read("Service", ReadScope::Host),
            read("Deployment", ReadScope::Host),
        ]
    }

    fn run(&self, ctx: &Ctx<'_>) -> Vec<Outcome> {
        static KARMADA: ScopeSel = ScopeSel::Karmada;
        let found: Vec<&Object> = ctx
            .inv
            .of_kind("APIService", &KARMADA)
            .filter(|a| a.name() == self.p.apiservice)
            .collect();
        let with_service: Vec<&Object> = found
            .iter()
            .copied()
            .filter(|a| a.at("/spec/service").is_some_and(|s| !s.is_null()))
            .collect();
        if with_service.is_empty() {
            if found.is_empty() {
                if let Some(o) = super::support::components::made_by_installer(
                    ctx.inv,
                    Component::AggregatedApiserver,
                    "its APIService and Service",
                ) {
                    return vec![o];
                }
            }
            let what = if found.is_empty() {
                "is not in the input"
            } else {
                "has no spec.service (automanaged)"
            };
            let msg = format!(
                "APIService {} {what}; cluster-apiservice reports it",
                self.p.apiservice
            );
            // One condition, one finding: the missing (or automanaged) APIService is
            // cluster-apiservice's to report, in either phase.
            let o = Outcome::skip(msg);
            return vec![match found.first() {
                Some(a) => o.at(a, "/spec"),
                None => o.about(ObjectRef::new(
                    Scope::Karmada,
                    "apiregistration.k8s.io/v1",
                    "APIService",
                    None,
                    &self.p.apiservice,
                )),
            }];
        }
        with_service
            .into_iter()
            .map(|a| self.check(ctx, a))
            .collect()
    }
}
