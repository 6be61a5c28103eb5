//! Template `k8s-compat`: the Kubernetes versions of karmada-apiserver (its kube-apiserver
//! image) and of every member cluster lie in the window the target Karmada release is
//! tested with. Karmada's compatibility guide: each release builds on the latest
//! Kubernetes client libraries and is tested against the latest 10 Kubernetes minors
//! (v1.14 uses client v1.32 and is validated against v1.23 to v1.32).
//!
//! The target is the last release of the run's upgrade path (`--to`), else the installed
//! release. A release missing from `clients` has no recorded window: the rule skips.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use super::support::clusters::{karmada_clusters, member_version, MemberVersion, VERSION_PTR};
use super::support::components;
use super::{params, read, Check, CompileError, Ctx, Outcome, Read, ReadScope};
use crate::inventory::workload::{find_component, Component};
use crate::k8s::{ImageRef, KubeVersion};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    /// Karmada minor (`v1.14`) -> the Kubernetes client minor it is built with (`v1.32`).
    clients: BTreeMap<String, String>,
    /// How many Kubernetes minors, ending at the client's, are tested (10).
    window: u32,
}

struct K8sCompat {
    /// (karmada major, minor) -> kubernetes (major, minor) of the client
    clients: Vec<((u32, u32), (u32, u32))>,
    window: u32,
}

fn minor_of(s: &str) -> Option<(u32, u32)> {
    KubeVersion::parse(s).ok().map(|v| (v.major, v.minor))
}

pub fn compile(params: &Value) -> Result<Box<dyn Check>, CompileError> {
    let p: Params = params::decode(params)?;
    let mut clients = Vec::new();
    for (k, v) in &p.clients {
        let (Some(kv), Some(cv)) = (minor_of(k), minor_of(v)) else {
            return Err(CompileError {
                pointer: format!("/clients/{k}"),
                message: format!("expected versions like v1.14: v1.32, got {k}: {v}"),
            });
        };
        clients.push((kv, cv));
    }
    if p.window == 0 {
        return Err(CompileError {
            pointer: "/window".into(),
            message: "window must be at least 1".into(),
        });
    }
    Ok(Box::new(K8sCompat {
        clients,
        window: p.window,
    }))
}

impl K8sCompat {
    /// The Karmada release this run is about and where that came from.
    fn target(ctx: &Ctx<'_>) -> Option<((u32, u32), String)> {
        if let Some(h) = ctx.plan.hops.last() {
            if ctx.plan.explicit || ctx.plan.from.is_some() {
                return Some((
                    h.to,
                    format!("the target of the path, v{}.{}", h.to.0, h.to.1),
                ));
            }
        }
        None
    }

    fn judge(
        &self,
        what: &str,
        v: KubeVersion,
        release: (u32, u32),
        client: (u32, u32),
    ) -> Outcome {
        let low = client.1.saturating_sub(self.window - 1);
        let (k, r) = (
            format!("v{}.{}-v{}.{}", client.0, low, client.0, client.1),
            format!("v{}.{}", release.0, release.1),
        );
        if v.major == client.0 && v.minor >= low && v.minor <= client.1 {
            Outcome::pass(format!(
                "{what} runs Kubernetes {v}, inside the {k} window Karmada {r} is tested with"
            ))
        } else {
            let side = if (v.major, v.minor) > client {
                "newer than the Kubernetes client it is built with"
            } else {
                "older than the oldest Kubernetes it is tested with"
            };
            Outcome::violation(format!(
                "{what} runs Kubernetes {v}, outside the {k} window Karmada {r} is tested with ({side})"
            ))
        }
    }
}

impl Check for K8sCompat {
    fn reads(&self) -> Vec<Read> {
        let mut r = components::workload_reads(Component::KarmadaApiserver);
        r.push(read("Cluster", ReadScope::Karmada));
        r
    }

    fn run(&self, ctx: &Ctx<'_>) -> Vec<Outcome> {
        let Some((release, _)) = Self::target(ctx) else {
            return vec![Outcome::skip(
                "no target Karmada release for this run (pass --to, or an install whose version is detected)",
            )];
        };
        let Some(&(_, client)) = self.clients.iter().find(|(k, _)| *k == release) else {
            return vec![Outcome::skip(format!(
                "no Kubernetes compatibility window recorded for Karmada v{}.{}",
                release.0, release.1
            ))];
        };
        let mut out = Vec::new();
        let (sel, _) = components::home(Component::KarmadaApiserver);
        for c in find_component(ctx.inv, Component::KarmadaApiserver, &sel) {
            let ptr = format!("{}/image", c.pointer());
            let raw = c.image();
            let o = match ImageRef::parse(raw).ok().and_then(|i| i.version_tag()) {
                Some(v) => self.judge(&format!("karmada-apiserver ({raw})"), v, release, client),
                None => Outcome::unknown(format!(
                    "karmada-apiserver image {raw} carries no version tag; its Kubernetes version is unknown"
                )),
            };
            out.push(o.at(c.object, &ptr));
        }
        for cl in karmada_clusters(ctx.inv) {
            let o = match member_version(cl) {
                MemberVersion::Known(v, _) => {
                    self.judge(&format!("member cluster {}", cl.name()), v, release, client)
                }
                MemberVersion::Missing(why) | MemberVersion::Invalid(why) => Outcome::unknown(why),
            };
            out.push(o.at(cl, VERSION_PTR));
        }
        out
    }
}
