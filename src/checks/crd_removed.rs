//! Template `crd-removed`: a CRD that the target version serves another way must be
//! gone. For the Cluster CRD the upgrade deletes it straight from etcd, because deleting
//! it through the API runs the `customresourcecleanup` finalizer, which deletes every
//! Cluster object with it.

use serde::Deserialize;

use super::support::apiserver::{karmada_apiservers, EtcdAccess};
use super::support::naming::context_flag;
use super::{params, read, Check, CompileError, Ctx, Outcome, Read, ReadScope};
use crate::findings::{FixStep, Remediation};
use crate::inventory::{Inventory, ObjectRef, Scope, ScopeSel};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Params {
    /// CRD name, e.g. `clusters.cluster.karmada.io`.
    crd: String,
    /// Remove it from etcd (keeping its objects) rather than through the API.
    #[serde(default = "yes")]
    delete_from_etcd: bool,
}

fn yes() -> bool {
    true
}

struct CrdRemoved {
    p: Params,
}

pub fn compile(params: &serde_json::Value) -> Result<Box<dyn Check>, CompileError> {
    Ok(Box::new(CrdRemoved {
        p: params::decode(params)?,
    }))
}

impl CrdRemoved {
    fn remediation(&self, ctx: &Ctx<'_>) -> Remediation {
        let crd = &self.p.crd;
        if !self.p.delete_from_etcd {
            return Remediation {
                summary: format!("Delete CRD {crd}."),
                commands: vec![format!(
                    "kubectl --context karmada-apiserver delete crd {crd}"
                )],
                ..Default::default()
            };
        }
        let access = karmada_apiservers(ctx.inv)
            .first()
            .map(EtcdAccess::from_apiserver)
            .unwrap_or_else(|| EtcdAccess {
                servers: None,
                cafile: None,
                certfile: None,
                keyfile: None,
                prefix: "/registry".into(),
                secret_note: None,
                source: None,
            });
        etcd_delete_remediation(ctx.inv, crd, &access)
    }
}

/// Delete `crd` from etcd with karmada-apiserver scaled to 0, with the etcdctl command
/// built from `access` (the apiserver's own flags, or the ones the etcd rules read etcd
/// with): scale down, delete the one key, verify the objects are still stored, scale up.
pub fn etcd_delete_remediation(inv: &Inventory, crd: &str, access: &EtcdAccess) -> Remediation {
    let apiservers = karmada_apiservers(inv);
    let deploy = apiservers.first().map(|c| c.object);
    let group = crd.split_once('.').map(|(_, g)| g).unwrap_or("");
    let plural = crd.split('.').next().unwrap_or(crd);
    let key = format!(
        "{}/apiextensions.k8s.io/customresourcedefinitions/{crd}",
        access.prefix
    );
    let objects_prefix = format!("{}/{group}/{plural}/", access.prefix);
    // The workload to stop: the real karmada-apiserver when the input has it.
    let (kubectl_flags, namespace, kind, name, replicas) = match deploy {
        Some(d) => (
            context_flag(&d.r.scope),
            d.namespace().unwrap_or("karmada-system").to_string(),
            d.kind().to_lowercase(),
            d.name().to_string(),
            d.at("/spec/replicas").and_then(|v| v.as_u64()).unwrap_or(1),
        ),
        None => (
            "--context karmada-host".to_string(),
            "karmada-system".to_string(),
            "deployment".to_string(),
            "karmada-apiserver".to_string(),
            1,
        ),
    };
    let mut steps = vec![
        FixStep::Note(
            "1. stop karmada-apiserver so nothing reads or rewrites the CRD meanwhile".into(),
        ),
        FixStep::ScaleDown {
            kubectl_flags: kubectl_flags.clone(),
            namespace: namespace.clone(),
            kind: kind.clone(),
            name: name.clone(),
        },
        FixStep::Note(format!(
            "2. delete only the CRD definition; the {plural} objects under {objects_prefix} stay"
        )),
    ];
    if let Some(note) = &access.secret_note {
        steps.push(FixStep::Note(format!(
            "   certificate files as mounted in karmada-apiserver: {note}"
        )));
    }
    steps.push(FixStep::Etcdctl(access.etcdctl(&format!("del {key}"))));
    steps.push(FixStep::Note(format!(
        "   verify the {plural} objects are still stored:"
    )));
    steps.push(FixStep::Etcdctl(
        access.etcdctl(&format!("get {objects_prefix} --prefix --keys-only")),
    ));
    steps.push(FixStep::Note(
        "3. after the certificates and flags are updated, start it again".into(),
    ));
    steps.push(FixStep::ScaleUp {
        kubectl_flags,
        namespace,
        kind,
        name,
        replicas,
    });
    let mut summary = format!(
            "Remove CRD {crd} from etcd (key {key}) while karmada-apiserver is scaled to 0. Do not run \
             `kubectl delete crd`: the API deletes every {plural} object with the CRD."
        );
    match &access.source {
            Some(src) if access.is_complete() => summary.push_str(&format!(" etcd flags read from {src}.")),
            Some(src) => summary.push_str(&format!(
                " Some --etcd-* flags were not found on {src}; fill in the placeholders."
            )),
            None => summary.push_str(
                " No karmada-apiserver workload was in the input, so the etcd endpoints and certificate \
                 paths are placeholders.",
            ),
        }
    Remediation::from_steps(summary, steps)
}

impl Check for CrdRemoved {
    fn reads(&self) -> Vec<Read> {
        vec![
            read("CustomResourceDefinition", ReadScope::Karmada),
            read("Deployment", ReadScope::Host),
        ]
    }

    fn run(&self, ctx: &Ctx<'_>) -> Vec<Outcome> {
        let sel = ScopeSel::Karmada;
        let crd = &self.p.crd;
        let found: Vec<_> = ctx
            .inv
            .of_kind("CustomResourceDefinition", &sel)
            .filter(|o| o.name() == crd)
            .collect();
        if found.is_empty() {
            if ctx.inv.saw_kind("CustomResourceDefinition", &sel) {
                return vec![Outcome::pass(format!("CRD {crd} is not installed")).about(
                    ObjectRef::new(
                        Scope::Karmada,
                        "apiextensions.k8s.io/v1",
                        "CustomResourceDefinition",
                        None,
                        crd,
                    ),
                )];
            }
            return vec![Outcome::unknown(format!(
                "the input holds no CustomResourceDefinitions from karmada-apiserver, so it cannot show \
                 whether {crd} was removed"
            ))];
        }
        found
            .into_iter()
            .map(|o| {
                Outcome::violation(format!(
                    "CRD {crd} is still installed; it must be deleted from etcd (not through the API) while \
                     karmada-apiserver is stopped"
                ))
                .at(o, "/metadata/name")
                .with_remediation(self.remediation(ctx))
            })
            .collect()
    }
}
