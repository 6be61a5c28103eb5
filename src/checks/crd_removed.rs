//! Template `crd-removed`: a CRD that the target version serves another way must be
//! gone. For the Cluster CRD the upgrade deletes it straight from etcd, because deleting
//! it through the API runs the `customresourcecleanup` finalizer, which deletes every
//! Cluster object with it.

use serde::Deserialize;

use super::support::apiserver::{etcd_pod, karmada_apiservers, EtcdAccess, EtcdPod};
use super::support::clusters::karmada_clusters;
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
        let apiservers = karmada_apiservers(ctx.inv);
        let access = apiservers
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
        // Inside the etcd pod when the input shows it (karmada-apiserver is scaled to 0 by
        // then, so its pod is gone); else a machine with etcd access and the apiserver's
        // certificates copied there from the Secret it mounts.
        let runner = match etcd_pod(ctx.inv) {
            Some(pod) => EtcdRunner::Pod(pod),
            None => match apiservers.first() {
                Some(c) => {
                    let (prepare, local) = access.copied_to_machine(c);
                    EtcdRunner::Machine {
                        access: local,
                        prepare,
                    }
                }
                None => EtcdRunner::Machine {
                    access: access.clone(),
                    prepare: Vec::new(),
                },
            },
        };
        let seen = ctx
            .inv
            .saw_kind("Cluster", &ScopeSel::Karmada)
            .then(|| karmada_clusters(ctx.inv).len());
        etcd_delete_remediation(ctx.inv, crd, &access, &runner, seen)
    }
}

/// Where the plan runs etcdctl.
pub enum EtcdRunner {
    /// `kubectl exec` into the etcd pod the input shows.
    Pod(EtcdPod),
    /// A machine that reaches etcd, with `access` as its paths there and the commands that
    /// put the certificate files there first.
    Machine {
        access: EtcdAccess,
        prepare: Vec<String>,
    },
}

impl EtcdRunner {
    fn etcdctl(&self, args: &str) -> String {
        match self {
            EtcdRunner::Pod(p) => p.etcdctl(args),
            EtcdRunner::Machine { access, .. } => access.etcdctl(args),
        }
    }
}

/// The snapshot file: on the etcd data volume in the pod (it outlives the pod), in the
/// working directory on a machine.
const SNAPSHOT: &str = "karmada-preflight-before-crd-delete.db";

/// Delete `crd` from etcd with karmada-apiserver scaled to 0: scale down, snapshot etcd
/// (with the restore command beside it), delete the one key, verify the key is gone and
/// the objects are still stored (`expected`: how many the input or etcd showed), scale
/// up. `access` is where the values came from (the summary says so); `runner` where
/// etcdctl runs.
pub fn etcd_delete_remediation(
    inv: &Inventory,
    crd: &str,
    access: &EtcdAccess,
    runner: &EtcdRunner,
    expected: Option<usize>,
) -> Remediation {
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
            context_flag(d.r.scope()),
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
        FixStep::Note("no karmada-apiserver pod is left (prints nothing):".into()),
        FixStep::Verify(format!(
            "kubectl {kubectl_flags} -n {namespace} get {kind} {name} -o jsonpath='{{.status.replicas}}'"
        )),
    ];
    let snapshot = match runner {
        EtcdRunner::Pod(pod) => format!("{}/{SNAPSHOT}", pod.data_dir.trim_end_matches('/')),
        EtcdRunner::Machine { .. } => SNAPSHOT.to_string(),
    };
    match runner {
        EtcdRunner::Pod(pod) => steps.push(FixStep::Note(format!(
            "2. etcdctl runs inside the etcd pod ({}), with that pod's endpoint and certificate files",
            pod.source
        ))),
        EtcdRunner::Machine { prepare, .. } => {
            steps.push(FixStep::Note(format!(
                "2. on a machine that reaches etcd ({}); the certificates are karmada-apiserver's, copied \
                 from the Secret it mounts into files only you can read",
                access.servers.as_deref().unwrap_or("<etcd-endpoints>")
            )));
            steps.extend(prepare.iter().cloned().map(FixStep::Etcdctl));
        }
    }
    steps.push(FixStep::Note(
        "take a snapshot before the raw delete; keep it until the upgrade is verified".into(),
    ));
    steps.push(FixStep::Etcdctl(
        runner.etcdctl(&format!("snapshot save {snapshot}")),
    ));
    steps.push(FixStep::Verify(
        runner.etcdctl(&format!("snapshot status {snapshot} -w table")),
    ));
    let restore = match runner {
        EtcdRunner::Pod(pod) => {
            let mut r = format!(
                "kubectl {} -n {} exec {} -c {} -- etcdctl snapshot restore {snapshot} --data-dir={}/restored",
                pod.kubectl_flags,
                pod.namespace,
                pod.exec_target,
                pod.container,
                pod.data_dir.trim_end_matches('/')
            );
            if let Some(n) = &pod.member_name {
                r.push_str(&format!(" --name={n}"));
            }
            if let Some(c) = &pod.initial_cluster {
                r.push_str(&format!(" --initial-cluster={c}"));
                // restore checks its own peer URL against the cluster list (default
                // http://localhost:2380, which is not in it).
                let own = pod.member_name.as_ref().and_then(|n| {
                    c.split(',')
                        .find_map(|m| m.trim().strip_prefix(&format!("{n}=")))
                });
                if let Some(url) = own {
                    r.push_str(&format!(" --initial-advertise-peer-urls={url}"));
                }
            }
            r
        }
        EtcdRunner::Machine { .. } => {
            format!(
                "etcdctl snapshot restore {snapshot} --data-dir=<new data dir on each etcd member>"
            )
        }
    };
    steps.push(FixStep::Note(
        "if the delete goes wrong, restore the snapshot into a new data dir, point etcd's --data-dir at it \
         and restart etcd:"
            .into(),
    ));
    steps.push(FixStep::Rollback(restore));
    steps.push(FixStep::Note(format!(
        "3. delete only the CRD definition; the {plural} objects under {objects_prefix} stay"
    )));
    // Where the certificate files come from, unless the plan already copies them.
    if let (EtcdRunner::Machine { prepare, .. }, Some(note)) = (runner, &access.secret_note) {
        if prepare.is_empty() {
            steps.push(FixStep::Note(format!(
                "   certificate files as mounted in karmada-apiserver: {note}"
            )));
        }
    }
    steps.push(FixStep::Etcdctl(runner.etcdctl(&format!("del {key}"))));
    steps.push(FixStep::Note(
        "the CRD key is gone (prints nothing):".into(),
    ));
    steps.push(FixStep::Verify(
        runner.etcdctl(&format!("get {key} --keys-only")),
    ));
    steps.push(FixStep::Note(match expected {
        Some(n) => {
            format!("the {plural} objects are still stored: the count is {n}, as before the delete")
        }
        None => format!(
            "the {plural} objects are still stored: the count is the number of {plural} you had"
        ),
    }));
    steps.push(FixStep::Verify(format!(
        "{} | grep -c '^{objects_prefix}'",
        runner.etcdctl(&format!("get {objects_prefix} --prefix --keys-only"))
    )));
    steps.push(FixStep::Note(
        "4. after the certificates and flags are updated, start it again".into(),
    ));
    steps.push(FixStep::ScaleUp {
        kubectl_flags: kubectl_flags.clone(),
        namespace: namespace.clone(),
        kind: kind.clone(),
        name: name.clone(),
        replicas,
    });
    steps.push(FixStep::Verify(format!(
        "kubectl {kubectl_flags} -n {namespace} rollout status {kind}/{name} --timeout=5m"
    )));
    let mut summary = format!(
            "Remove CRD {crd} from etcd (key {key}) while karmada-apiserver is scaled to 0, after an etcd \
             snapshot. Do not run `kubectl delete crd`: the API deletes every {plural} object with the CRD."
        );
    if let EtcdRunner::Pod(pod) = runner {
        summary.push_str(&format!(" etcdctl runs in the etcd pod of {}.", pod.source));
    }
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
