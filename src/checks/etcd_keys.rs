//! Template `etcd-keys`: what etcd itself says about the Cluster CRD removal, from the
//! key names the etcd source read (never values).
//!
//! - `check: crd-key`: the Cluster CRD key is gone (before the upgrade: the step to do,
//!   with the exact etcdctl command for the endpoints and certificates that reached etcd).
//! - `check: cluster-keys-kept`: every Cluster key of the baseline (`--baseline`, a report
//!   or bundle from before the upgrade) is still in etcd; each lost one is named.
//! - `check: clusters-served`: every Cluster key in etcd is served by karmada-apiserver
//!   (through the aggregated apiserver after v1.0).

use serde::Deserialize;

use super::crd_removed::{etcd_delete_remediation, EtcdRunner};
use super::support::apiserver::{karmada_apiservers, EtcdAccess};
use super::support::clusters::karmada_clusters;
use super::{params, read, Check, CompileError, Ctx, Outcome, Read, ReadScope};
use crate::findings::{Evidence, EvidenceList};
use crate::inventory::{Location, ObjectRef, Scope, ScopeSel};
use crate::sources::etcd::{EtcdFacts, EtcdKeys, EtcdRead, CLUSTERS_DIR, CRD_KEY};
use crate::upgrade::Phase;

const CRD: &str = "clusters.cluster.karmada.io";

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum What {
    CrdKey,
    ClusterKeysKept,
    ClustersServed,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    check: What,
}

struct EtcdKeysCheck {
    what: What,
}

pub fn compile(params: &serde_json::Value) -> Result<Box<dyn Check>, CompileError> {
    let p: Params = params::decode(params)?;
    Ok(Box::new(EtcdKeysCheck { what: p.check }))
}

fn cluster_ref(name: &str) -> ObjectRef {
    ObjectRef::new(
        Scope::Karmada,
        "cluster.karmada.io/v1alpha1",
        "Cluster",
        None,
        name,
    )
}

/// Where a finding about a key points: the endpoint that answered, and the key.
fn key_location(keys: &EtcdKeys, key: &str) -> Location {
    Location {
        file: None,
        line: None,
        column: None,
        cluster: Some(format!("etcd {}", keys.endpoint).into()),
        pointer: key.into(),
    }
}

fn names(list: &[String]) -> String {
    const SHOWN: usize = 20;
    let mut s = list
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if list.len() > SHOWN {
        s.push_str(&format!(" and {} more", list.len() - SHOWN));
    }
    if s.is_empty() {
        s.push_str("none");
    }
    s
}

impl EtcdKeysCheck {
    fn crd_key(&self, ctx: &Ctx<'_>, facts: &EtcdFacts, keys: &EtcdKeys) -> Vec<Outcome> {
        let key = format!("{}{CRD_KEY}", keys.prefix);
        let recorded = format!(
            "{} Cluster key(s) under {}{CLUSTERS_DIR}: {}",
            keys.clusters.len(),
            keys.prefix,
            names(&keys.clusters)
        );
        let crd = ObjectRef::new(
            Scope::Karmada,
            "apiextensions.k8s.io/v1",
            "CustomResourceDefinition",
            None,
            CRD,
        );
        if !keys.cluster_crd_key && keys.cluster_count == 0 {
            // Nothing of Karmada's under this prefix is what a wrong --etcd-prefix looks
            // like: "the CRD key is absent" would then be a false all-clear.
            return vec![Outcome::unknown(format!(
                "etcd has neither key {key} nor any key under {}{CLUSTERS_DIR}: no Karmada Cluster data under \
                 the prefix {}; if karmada-apiserver runs with another --etcd-prefix, give it with --etcd-prefix",
                keys.prefix, keys.prefix
            ))
            .about(crd)];
        }
        if !keys.cluster_crd_key {
            return vec![Outcome::pass(format!(
                "etcd key {key} is absent: the Cluster CRD is no longer stored; {recorded}"
            ))
            .about(crd)];
        }
        let a = &facts.access;
        // Certificates not known to the read (a bundle records none) are the apiserver's,
        // for TLS endpoints.
        let api = karmada_apiservers(ctx.inv)
            .first()
            .map(EtcdAccess::from_apiserver)
            .filter(|_| {
                !a.endpoints
                    .split(',')
                    .all(|e| e.trim().starts_with("http://"))
            });
        let or_api = |mine: &Option<String>, f: fn(&EtcdAccess) -> &Option<String>| {
            mine.clone()
                .or_else(|| api.as_ref().and_then(|x| f(x).clone()))
        };
        let mut access = EtcdAccess {
            servers: Some(a.endpoints.clone()),
            cafile: or_api(&a.cacert, |x| &x.cafile),
            certfile: or_api(&a.cert, |x| &x.certfile),
            keyfile: or_api(&a.key, |x| &x.keyfile),
            prefix: keys.prefix.clone(),
            secret_note: None,
            source: Some(a.origin.clone()),
        };
        // Paths in the apiserver's container: say which Secret keys they are, so the
        // operator knows what to extract before running etcdctl elsewhere.
        if let Some(x) = api.as_ref().filter(|x| {
            x.secret_note.is_some()
                && [
                    (&access.cafile, &x.cafile),
                    (&access.certfile, &x.certfile),
                    (&access.keyfile, &x.keyfile),
                ]
                .iter()
                .any(|(mine, theirs)| mine.is_some() && mine == theirs)
        }) {
            access.secret_note = x.secret_note.clone();
        }
        let after = match ctx.phase {
            Phase::Pre => {
                "keep this report: after the upgrade, `check --baseline` compares these keys"
            }
            Phase::Post => "the upgrade step that deletes it was not done",
        };
        let mut o = Outcome::violation(format!(
            "etcd key {key} exists: the Cluster CRD is still stored; {recorded} ({after})"
        ))
        .about(crd)
        // etcdctl as the operator read etcd for this run: the same machine and files.
        .with_remediation(etcd_delete_remediation(
            ctx.inv,
            CRD,
            &access,
            &EtcdRunner::Machine {
                access: access.clone(),
                prepare: Vec::new(),
            },
            Some(keys.cluster_count as usize),
        ));
        o.location = Some(key_location(keys, &key));
        vec![o]
    }

    fn kept(&self, ctx: &Ctx<'_>, facts: &EtcdFacts, keys: &EtcdKeys) -> Vec<Outcome> {
        let dir = format!("{}{CLUSTERS_DIR}", keys.prefix);
        let Some(base) = &facts.baseline else {
            if ctx.phase == Phase::Pre && keys.complete() {
                return vec![Outcome::pass(format!(
                    "{} Cluster key(s) in etcd under {dir}: {}; give this report (-o json) as --baseline after \
                     the upgrade to check every one survived",
                    keys.clusters.len(),
                    names(&keys.clusters)
                ))];
            }
            return vec![Outcome::unknown(format!(
                "no pre-upgrade baseline to compare the {} Cluster key(s) in etcd with: give --baseline with a \
                 `check -o json` report or `collect` bundle made before the upgrade",
                keys.clusters.len()
            ))];
        };
        if !keys.complete() {
            return vec![Outcome::unknown(format!(
                "etcd counts {} Cluster keys under {dir}, more than the {} this tool lists: not compared",
                keys.cluster_count,
                keys.clusters.len()
            ))];
        }
        let what = if base.from_etcd {
            "etcd keys"
        } else {
            "Clusters the API served"
        };
        let source = base.source.display().to_string();
        // One list shared by every Cluster's outcome (see EvidenceList).
        let evidence: EvidenceList = vec![Evidence {
            status: None,
            message: format!(
                "baseline {source} ({what}): {} Cluster(s): {}",
                base.clusters.len(),
                names(&base.clusters)
            ),
            location: None,
        }]
        .into();
        let mut out: Vec<Outcome> = base
            .clusters
            .iter()
            .map(|name| {
                let key = format!("{dir}{name}");
                let mut o = if keys.clusters.binary_search(name).is_ok() {
                    Outcome::pass(format!("Cluster {name}: etcd key {key} is present, as in the baseline"))
                } else {
                    Outcome::violation(format!(
                        "Cluster {name} is lost: it was in the baseline {source} ({what}) but etcd has no key {key}"
                    ))
                };
                o = o.about(cluster_ref(name)).with_evidence(evidence.clone());
                o.location = Some(key_location(keys, &key));
                o
            })
            .collect();
        if out.is_empty() {
            out.push(Outcome::pass(format!(
                "the baseline {source} holds no Cluster; etcd has {}",
                keys.clusters.len()
            )));
        }
        out
    }

    fn served(&self, ctx: &Ctx<'_>, keys: &EtcdKeys) -> Vec<Outcome> {
        let dir = format!("{}{CLUSTERS_DIR}", keys.prefix);
        if !ctx.inv.saw_kind("Cluster", &ScopeSel::Karmada) {
            return vec![Outcome::unknown(format!(
                "{} Cluster key(s) in etcd, but the input holds no Clusters from karmada-apiserver to compare: \
                 run live (--kubeconfig) or give a bundle or `kubectl get clusters -o yaml`",
                keys.clusters.len()
            ))];
        }
        let served = karmada_clusters(ctx.inv);
        keys.clusters
            .iter()
            .map(|name| {
                let key = format!("{dir}{name}");
                let mut o = if served.iter().any(|c| c.name() == name) {
                    Outcome::pass(format!("Cluster {name} is stored in etcd and served by karmada-apiserver"))
                } else {
                    Outcome::violation(format!(
                        "Cluster {name} is stored in etcd (key {key}) but karmada-apiserver does not serve it: \
                         check the APIService v1alpha1.cluster.karmada.io and karmada-aggregated-apiserver"
                    ))
                };
                o = o.about(cluster_ref(name));
                o.location = Some(key_location(keys, &key));
                o
            })
            .collect()
    }
}

impl Check for EtcdKeysCheck {
    fn reads(&self) -> Vec<Read> {
        match self.what {
            What::CrdKey => vec![read("Deployment", ReadScope::Host)],
            What::ClusterKeysKept => vec![],
            What::ClustersServed => vec![read("Cluster", ReadScope::Karmada)],
        }
    }

    fn run(&self, ctx: &Ctx<'_>) -> Vec<Outcome> {
        let Some(facts) = &ctx.inv.etcd else {
            return vec![Outcome::skip(
                "etcd was not read: give --etcd-endpoints (or --etcd to use karmada-apiserver's --etcd-* flags) \
                 to verify the Cluster CRD removal in etcd itself",
            )];
        };
        let keys = match &facts.read {
            EtcdRead::Read(keys) => keys,
            EtcdRead::Failed(reason) => return vec![Outcome::unknown(reason.clone())],
        };
        match self.what {
            What::CrdKey => self.crd_key(ctx, facts, keys),
            What::ClusterKeysKept => self.kept(ctx, facts, keys),
            What::ClustersServed => self.served(ctx, keys),
        }
    }
}
