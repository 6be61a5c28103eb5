//! Before or after the upgrade: chosen by `--phase`, or detected from the installed
//! version (image tags first, then structural fingerprints; facts §7).

use serde::{Deserialize, Serialize};
use std::fmt;

use crate::inventory::components::Shape;
use crate::inventory::workload::{find_component, Component};
use crate::inventory::{Inventory, ScopeSel};
use crate::k8s::{ImageRef, KarmadaVersion};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    /// Audit a v0.10 installation before the upgrade.
    Pre,
    /// Verify a v1.0 installation after it (also: manifests gated in CI).
    Post,
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Phase::Pre => "pre",
            Phase::Post => "post",
        })
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct PhaseDecision {
    pub phase: Phase,
    /// How it was chosen, in words.
    pub reason: String,
    pub detected: bool,
    /// The detected Karmada version: an exact tag (`v1.0.0`) or a fingerprint
    /// (`v0.10-like`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub karmada_version: Option<String>,
}

/// The version an image tag states (`v1.0.5`), if it states one (not `latest`, not a digest).
fn tag_version(image: &str) -> Option<KarmadaVersion> {
    ImageRef::parse(image)
        .ok()?
        .version_tag()
        .map(KarmadaVersion::from)
}

pub fn karmada_image_version(inv: &Inventory) -> Option<(KarmadaVersion, String)> {
    // Every install shape through the component model: workload images, a Karmada CR's
    // `imageTag`, a KarmadaInitConfig's `tag`. karmada-apiserver is a kube-apiserver
    // image, and karmada-operator has versions of its own: neither says it.
    let comps = inv.components();
    for comp in [
        Component::ControllerManager,
        Component::Scheduler,
        Component::Webhook,
        Component::AggregatedApiserver,
        Component::KarmadaAgent,
    ] {
        for c in comps.components.iter().filter(|c| c.component == comp) {
            let Some(img) = &c.image else { continue };
            let Some(v) = tag_version(&img.image) else {
                continue;
            };
            let o = inv.object(c.object);
            let what = match c.shape {
                Shape::Workload => format!("image {} of {}", img.image, o.r),
                _ => format!(
                    "{} {} of {} ({})",
                    comp.display(),
                    img.pointer,
                    o.r,
                    img.image
                ),
            };
            return Some((v, what));
        }
    }
    None
}

/// Decide the phase from what the input holds.
pub fn detect(inv: &Inventory) -> PhaseDecision {
    if let Some((version, why)) = karmada_image_version(inv) {
        let phase = if version.at_least(1, 0, 0) {
            Phase::Post
        } else {
            Phase::Pre
        };
        return PhaseDecision {
            phase,
            reason: format!("Karmada {version} detected from the {why}"),
            detected: true,
            karmada_version: Some(version.to_string()),
        };
    }
    let all = ScopeSel::All;
    let aa = find_component(inv, Component::AggregatedApiserver, &all);
    let crd = inv.get(
        "CustomResourceDefinition",
        &ScopeSel::Karmada,
        None,
        "clusters.cluster.karmada.io",
    );
    let service_apiservice = inv
        .get(
            "APIService",
            &ScopeSel::Karmada,
            None,
            "v1alpha1.cluster.karmada.io",
        )
        .filter(|a| a.at("/spec/service").is_some_and(|s| !s.is_null()));
    if let Some(c) = aa.first() {
        return PhaseDecision {
            phase: Phase::Post,
            reason: format!(
                "v1.0-like: karmada-aggregated-apiserver found ({}); Karmada images carry no version tag",
                c.object.r
            ),
            detected: true,
            karmada_version: Some("v1.0-like".into()),
        };
    }
    if let Some(a) = service_apiservice {
        return PhaseDecision {
            phase: Phase::Post,
            reason: format!("v1.0-like: APIService {} is backed by a Service", a.name()),
            detected: true,
            karmada_version: Some("v1.0-like".into()),
        };
    }
    if let Some(c) = crd {
        return PhaseDecision {
            phase: Phase::Pre,
            reason: format!(
                "v0.10-like: CRD {} present and no karmada-aggregated-apiserver; Karmada images carry no version tag",
                c.name()
            ),
            detected: true,
            karmada_version: Some("v0.10-like".into()),
        };
    }
    PhaseDecision {
        phase: Phase::Pre,
        reason: "no version fingerprint found (no tagged Karmada image, no Cluster CRD, no aggregated apiserver); \
                 assuming pre — pass --phase to choose"
            .into(),
        detected: true,
        karmada_version: None,
    }
}

#[cfg(test)]
mod tests {
    use super::tag_version;

    #[test]
    fn tags() {
        assert_eq!(
            tag_version("a/b/karmada-agent:v1.0.5").map(|v| v.to_string()),
            Some("v1.0.5".into())
        );
        assert_eq!(tag_version("localhost:5000/karmada-agent:latest"), None);
        assert_eq!(tag_version("karmada-agent@sha256:abc"), None);
    }
}
