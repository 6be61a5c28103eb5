//! Before or after the upgrade: chosen by `--phase`, or detected from the installed
//! version (image tags first, then structural fingerprints).

use serde::{Deserialize, Serialize};
use std::fmt;

use crate::inventory::components::Shape;
use crate::inventory::fingerprint;
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
    /// The detected Karmada version as shown: an exact tag (`v1.0.0`), a minor whose
    /// patch is unknown (`v1.16`, `v1.10-like` from structure), or a range (`v1.11-v1.13`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub karmada_version: Option<String>,
    /// The same, typed, with what it rests on (for the default upgrade path).
    #[serde(skip)]
    pub version: Option<DetectedVersion>,
}

/// What a detected version rests on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum VersionBasis {
    /// Tags of Karmada component images (workloads, a Karmada CR's `imageTag`, a
    /// KarmadaInitConfig's `tag`).
    ImageTags,
    /// `data.karmadaVersion` of the `karmada-version` ConfigMap the Helm chart keeps in
    /// karmada-apiserver.
    VersionConfigMap,
    /// A published chart's `helm.sh/chart: karmada-vX.Y.Z` label.
    ChartLabel,
    /// The karmada-operator image (it installs its own version unless the CR says otherwise).
    OperatorImage,
    /// Components, flags, webhooks, APIServices and CRDs that appear or vanish per release.
    Fingerprints,
    /// The v0.10 / v1.0 structure: a Cluster CRD, or an aggregated apiserver.
    ClusterApiShape,
}

/// The installed Karmada version: one release, or every minor from `low` to `high` when
/// the evidence cannot tell; never a single version the evidence does not support.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DetectedVersion {
    /// Oldest and newest minor the evidence allows (equal when the minor is known).
    pub low: (u32, u32),
    pub high: (u32, u32),
    /// The exact release, when a tag or record states one and all agree.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exact: Option<String>,
    pub basis: VersionBasis,
    /// What was seen, in words.
    pub evidence: String,
}

impl DetectedVersion {
    fn exact(v: KarmadaVersion, basis: VersionBasis, evidence: String) -> Self {
        let m = (v.major(), v.minor());
        DetectedVersion {
            low: m,
            high: m,
            exact: Some(v.to_string()),
            basis,
            evidence,
        }
    }

    pub fn is_range(&self) -> bool {
        self.low != self.high
    }

    /// As shown to the user and in reports (see [`PhaseDecision::karmada_version`]).
    pub fn label(&self) -> String {
        let m = |(a, b): (u32, u32)| format!("v{a}.{b}");
        if let Some(e) = &self.exact {
            return e.clone();
        }
        if self.is_range() {
            return format!("{}-{}", m(self.low), m(self.high));
        }
        match self.basis {
            VersionBasis::Fingerprints | VersionBasis::ClusterApiShape => {
                format!("{}-like", m(self.low))
            }
            _ => m(self.low),
        }
    }

    fn phase(&self) -> Phase {
        if self.low >= (1, 0) {
            Phase::Post
        } else {
            Phase::Pre
        }
    }

    fn decision(self, reason: String) -> PhaseDecision {
        PhaseDecision {
            phase: self.phase(),
            reason,
            detected: true,
            karmada_version: Some(self.label()),
            version: Some(self),
        }
    }
}

/// The version an image tag states (`v1.0.5`), if it states one (not `latest`, not a digest).
fn tag_version(image: &str) -> Option<KarmadaVersion> {
    ImageRef::parse(image)
        .ok()?
        .version_tag()
        .map(KarmadaVersion::from)
}

/// Every Karmada component with a version tag, in every install shape: (version,
/// component, where it was read).
pub fn tagged_components(inv: &Inventory) -> Vec<(KarmadaVersion, Component, String)> {
    inv.components()
        .versioned(inv)
        .into_iter()
        .map(|(v, c)| {
            let o = inv.object(c.object);
            let img = c
                .image
                .as_ref()
                .map(|i| (i.image.as_str(), i.pointer.as_str()));
            let (image, pointer) = img.unwrap_or_default();
            let what = match c.shape {
                Shape::Workload => format!("image {image} of {}", o.r),
                _ => format!("{} {pointer} of {} ({image})", c.component.display(), o.r),
            };
            (v, c.component, what)
        })
        .collect()
}

/// The first tagged Karmada component: (version, where).
pub fn karmada_image_version(inv: &Inventory) -> Option<(KarmadaVersion, String)> {
    tagged_components(inv)
        .into_iter()
        .next()
        .map(|(v, _, w)| (v, w))
}

fn from_image_tags(inv: &Inventory) -> Option<DetectedVersion> {
    let tagged = tagged_components(inv);
    let (first, _, first_where) = tagged.first()?;
    let minor = |v: &KarmadaVersion| (v.major(), v.minor());
    let low = tagged.iter().map(|(v, ..)| minor(v)).min()?;
    let high = tagged.iter().map(|(v, ..)| minor(v)).max()?;
    if tagged.iter().all(|(v, ..)| v == first) {
        return Some(DetectedVersion::exact(
            *first,
            VersionBasis::ImageTags,
            first_where.clone(),
        ));
    }
    // Components disagree: never pick one of them as "the" version.
    let mut seen: Vec<String> = tagged
        .iter()
        .map(|(v, c, _)| format!("{} {v}", c.display()))
        .collect();
    seen.dedup();
    Some(DetectedVersion {
        low,
        high,
        exact: None,
        basis: VersionBasis::ImageTags,
        evidence: format!("image tags that disagree: {}", seen.join(", ")),
    })
}

fn from_version_configmap(inv: &Inventory) -> Option<DetectedVersion> {
    static ALL: ScopeSel = ScopeSel::All;
    inv.of_kind("ConfigMap", &ALL)
        .filter(|o| o.name() == "karmada-version")
        .find_map(|o| {
            let s = o.str_at("/data/karmadaVersion")?;
            let v = KarmadaVersion::parse(s).ok()?;
            Some(DetectedVersion::exact(
                v,
                VersionBasis::VersionConfigMap,
                format!("data.karmadaVersion={s} of ConfigMap {}", o.r),
            ))
        })
}

/// `helm.sh/chart: karmada-v1.16.0` of a published chart. The chart in the repository
/// says `karmada-0.0.0` and `app.kubernetes.io/version: v1.1.0` at every release, so
/// neither 0.x chart versions nor `app.kubernetes.io/version` are taken as evidence.
fn from_chart_label(inv: &Inventory) -> Option<DetectedVersion> {
    inv.all().find_map(|o| {
        let chart = o.labels()?.get("helm.sh/chart")?.as_str()?;
        let v = KarmadaVersion::parse(chart.strip_prefix("karmada-")?).ok()?;
        v.at_least(1, 0, 0).then(|| {
            DetectedVersion::exact(
                v,
                VersionBasis::ChartLabel,
                format!("label helm.sh/chart={chart} of {}", o.r),
            )
        })
    })
}

fn from_operator(inv: &Inventory) -> Option<DetectedVersion> {
    inv.components()
        .components
        .iter()
        .filter(|c| c.component == Component::Operator)
        .find_map(|c| {
            let img = c.image.as_ref()?;
            let v = tag_version(&img.image)?;
            Some(DetectedVersion::exact(
                v,
                VersionBasis::OperatorImage,
                format!(
                    "karmada-operator image {} of {} (it installs its own version when the Karmada CR \
                     sets no imageTag)",
                    img.image,
                    inv.object(c.object).r
                ),
            ))
        })
}

fn parse_minor(label: &str) -> Option<(u32, u32)> {
    KarmadaVersion::parse(label)
        .ok()
        .map(|v| (v.major(), v.minor()))
}

/// `legacy`: the v0.10 / v1.0 shape, which bounds the range (a Cluster CRD without an
/// aggregated apiserver is before v1.0; an aggregated apiserver is v1.0 or later).
fn from_fingerprints(inv: &Inventory, legacy: Option<&PhaseDecision>) -> Option<DetectedVersion> {
    let m = fingerprint::match_releases(inv)?;
    let (mut low, mut high) = (parse_minor(&m.low)?, parse_minor(&m.high)?);
    match legacy.and_then(|l| l.version.as_ref()).map(|v| v.low) {
        Some(shape) if shape < (1, 0) && low <= shape => high = high.min(shape),
        Some(shape) if shape >= (1, 0) && high >= shape => low = low.max(shape),
        _ => {}
    }
    let mut facts = m.facts.clone();
    let more = facts.len().saturating_sub(4);
    facts.truncate(4);
    let mut evidence = format!("structure matching {}", facts.join(", "));
    if more > 0 {
        evidence.push_str(&format!(" and {more} more"));
    }
    if !m.unmatched.is_empty() {
        evidence.push_str(&format!(
            "; not in those releases: {}",
            m.unmatched
                .iter()
                .take(3)
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    Some(DetectedVersion {
        low,
        high,
        exact: None,
        basis: VersionBasis::Fingerprints,
        evidence,
    })
}

/// Decide the phase from what the input holds: image tags (every install shape), the
/// chart's `karmada-version` record, a published chart label, the operator's image,
/// then structural fingerprints (a range when they cannot tell releases apart).
pub fn detect(inv: &Inventory) -> PhaseDecision {
    let stated = from_image_tags(inv)
        .or_else(|| from_version_configmap(inv))
        .or_else(|| from_chart_label(inv))
        .or_else(|| from_operator(inv));
    if let Some(d) = stated {
        let reason = match (d.basis, d.is_range()) {
            (VersionBasis::ImageTags, true) => format!(
                "Karmada {} (components on different minors: an upgrade half done?) from {}",
                d.label(),
                d.evidence
            ),
            _ => format!("Karmada {} detected from the {}", d.label(), d.evidence),
        };
        return d.decision(reason);
    }
    let legacy = cluster_api_shape(inv);
    if let Some(d) = from_fingerprints(inv, legacy.as_ref()) {
        let reason = match &legacy {
            // The Cluster API shape decided alone: say so first, as before fingerprints.
            Some(l) if l.karmada_version.as_deref() == Some(d.label().as_str()) => {
                format!("{}; release fingerprints agree: {}", l.reason, d.evidence)
            }
            Some(l) => format!(
                "{}: no Karmada image carries a version tag; {}; {}",
                d.label(),
                d.evidence,
                l.reason
            ),
            None => format!(
                "{}: no Karmada image carries a version tag; {}",
                d.label(),
                d.evidence
            ),
        };
        return d.decision(reason);
    }
    legacy.unwrap_or(PhaseDecision {
        phase: Phase::Pre,
        reason: "no version fingerprint found (no tagged Karmada image, no Cluster CRD, no aggregated apiserver); \
                 assuming pre — pass --phase to choose"
            .into(),
        detected: true,
        karmada_version: None,
        version: None,
    })
}

/// Whether the input has the shape of v0.10 (the Cluster CRD) or v1.0 and later (the
/// aggregated apiserver): what the v0.10 -> v1.0 step is about.
pub fn cluster_api_shape(inv: &Inventory) -> Option<PhaseDecision> {
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
    let shape = |minor: (u32, u32), evidence: String| DetectedVersion {
        low: minor,
        high: minor,
        exact: None,
        basis: VersionBasis::ClusterApiShape,
        evidence,
    };
    if let Some(c) = aa.first() {
        let why = format!(
            "v1.0-like: karmada-aggregated-apiserver found ({}); Karmada images carry no version tag",
            c.object.r
        );
        return Some(shape((1, 0), why.clone()).decision(why));
    }
    if let Some(a) = service_apiservice {
        let why = format!("v1.0-like: APIService {} is backed by a Service", a.name());
        return Some(shape((1, 0), why.clone()).decision(why));
    }
    crd.map(|c| {
        let why = format!(
            "v0.10-like: CRD {} present and no karmada-aggregated-apiserver; Karmada images carry no version tag",
            c.name()
        );
        shape((0, 10), why.clone()).decision(why)
    })
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
