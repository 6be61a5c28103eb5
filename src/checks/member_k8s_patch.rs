//! Template `member-k8s-needs-patch`: members at a new Kubernetes minor need a minimum
//! Karmada patch release. Kubernetes 1.24 stopped creating ServiceAccount token Secrets;
//! Karmada up to v1.0.4 waits for one when joining, registering an agent and migrating to
//! impersonator secrets, and times out (karmada-io/karmada#1961, fixed in v1.0.5, v1.1.4,
//! v1.2.2 and v1.3.0).

use serde::Deserialize;
use serde_json::Value;

use super::support::clusters::{
    karmada_clusters, karmada_tagged_images, member_version, MemberVersion, TaggedImage,
    VERSION_PTR,
};
use super::{params, read, Check, CompileError, Ctx, Outcome, Read, ReadScope};
use std::sync::Arc;

use crate::findings::{Evidence, EvidenceList, Remediation, Severity};
use crate::inventory::workload::WORKLOAD_KINDS;
use crate::k8s::{KarmadaVersion, KubeVersion};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Params {
    /// Members at or above this Kubernetes version are concerned, e.g. `v1.24`.
    member_at_least: String,
    /// Lowest good Karmada release per minor line, e.g. `[v1.0.5, v1.1.4, v1.2.2, v1.3.0]`;
    /// the last entry covers every later minor.
    karmada_minimums: Vec<String>,
}

struct MemberK8sPatch {
    member_min: KubeVersion,
    minimums: Vec<KarmadaVersion>,
}

pub fn compile(params: &Value) -> Result<Box<dyn Check>, CompileError> {
    let p: Params = params::decode(params)?;
    let member_min = KubeVersion::parse(&p.member_at_least).map_err(|e| CompileError {
        pointer: "/memberAtLeast".into(),
        message: e.to_string(),
    })?;
    let mut minimums = Vec::new();
    for (i, m) in p.karmada_minimums.iter().enumerate() {
        minimums.push(KarmadaVersion::parse(m).map_err(|e| CompileError {
            pointer: format!("/karmadaMinimums/{i}"),
            message: e.to_string(),
        })?);
    }
    minimums.sort();
    if minimums.is_empty() {
        return Err(CompileError {
            pointer: "/karmadaMinimums".into(),
            message: "at least one minimum version is needed".into(),
        });
    }
    Ok(Box::new(MemberK8sPatch {
        member_min,
        minimums,
    }))
}

impl MemberK8sPatch {
    /// The lowest good release on `v`'s minor line; releases past the last listed line
    /// are fine from its version on.
    fn minimum_for(&self, v: KarmadaVersion) -> KarmadaVersion {
        self.minimums
            .iter()
            .copied()
            .find(|m| (m.major(), m.minor()) == (v.major(), v.minor()))
            .unwrap_or_else(|| {
                let last = self.minimums[self.minimums.len() - 1];
                if (v.major(), v.minor()) > (last.major(), last.minor()) {
                    last
                } else {
                    // An older line than any listed (v0.x): the first good release.
                    KarmadaVersion::new(u32::MAX, 0, None)
                }
            })
    }

    fn list(&self) -> String {
        self.minimums
            .iter()
            .map(|m| m.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl Check for MemberK8sPatch {
    fn reads(&self) -> Vec<Read> {
        let mut r = vec![read("Cluster", ReadScope::Karmada)];
        for k in WORKLOAD_KINDS {
            r.extend([read(k, ReadScope::Host), read(k, ReadScope::Member)]);
        }
        r
    }

    fn run(&self, ctx: &Ctx<'_>) -> Vec<Outcome> {
        let clusters = karmada_clusters(ctx.inv);
        if clusters.is_empty() {
            return vec![Outcome::unknown(
                "the input holds no cluster.karmada.io Cluster objects, so member Kubernetes versions are unknown",
            )];
        }
        // Tags of v1.0 or later say which release runs (post) or is being rolled out;
        // v0.x tags are the release being left and say nothing about the target.
        let images: Vec<TaggedImage<'_>> = karmada_tagged_images(ctx.inv)
            .into_iter()
            .filter(|t| t.version.major() >= 1)
            .collect();
        let too_old: Vec<&TaggedImage<'_>> = images
            .iter()
            .filter(|t| t.version < self.minimum_for(t.version))
            .collect();
        let image_evidence = |set: &[&TaggedImage<'_>]| -> EvidenceList {
            set.iter()
                .map(|t| Evidence {
                    status: None,
                    message: format!(
                        "{} runs image {}",
                        t.container.object.r,
                        t.container.image()
                    ),
                    location: Some(
                        t.container
                            .object
                            .locate(&format!("{}/image", t.container.pointer())),
                    ),
                })
                .collect()
        };
        // The same for every Cluster: made once and shared by their findings, as are the
        // image evidence lists below.
        let fix = Arc::new(Remediation {
            summary: format!(
                "Use a Karmada release of at least {} on its minor line ({}): older releases wait \
                 for a ServiceAccount token Secret that Kubernetes >= {} no longer creates, so \
                 joining, agent registration and the impersonator-secret migration time out \
                 (karmada-io/karmada#1961). Upgrade to v1.0.5 or later on the 1.0 line.",
                self.minimums[0],
                self.list(),
                self.member_min
            ),
            ..Default::default()
        });
        let too_old_evidence = image_evidence(&too_old);
        let lowest_evidence = image_evidence(&images.iter().take(1).collect::<Vec<_>>());
        clusters
            .into_iter()
            .map(|c| {
                let (v, raw) = match member_version(c) {
                    MemberVersion::Known(v, raw) => (v, raw),
                    MemberVersion::Missing(why) | MemberVersion::Invalid(why) => {
                        return Outcome::unknown(format!(
                            "{why}; cannot tell whether it is Kubernetes >= {}",
                            self.member_min
                        ))
                        .at(c, VERSION_PTR)
                    }
                };
                if v < self.member_min {
                    return Outcome::pass(format!(
                        "Cluster {} runs Kubernetes {raw} (< {}), not affected",
                        c.name(),
                        self.member_min
                    ))
                    .at(c, VERSION_PTR);
                }
                if !too_old.is_empty() {
                    let worst = too_old[0];
                    return Outcome::violation(format!(
                        "Cluster {} runs Kubernetes {raw}, which needs Karmada >= {}, but {} runs {}",
                        c.name(),
                        self.minimum_for(worst.version),
                        worst.container.object.r,
                        worst.version
                    ))
                    .at(c, VERSION_PTR)
                    .with_evidence(too_old_evidence.clone())
                    .with_remediation(fix.clone());
                }
                if images.is_empty() {
                    // Nothing says which release is targeted: warn rather than block.
                    return Outcome::violation(format!(
                        "Cluster {} runs Kubernetes {raw}; no Karmada image carries a v1.x release tag, \
                         so make sure the target is at least {} ({})",
                        c.name(),
                        self.minimums[0],
                        self.list()
                    ))
                    .at(c, VERSION_PTR)
                    .with_remediation(fix.clone())
                    .capped(Severity::Warning);
                }
                Outcome::pass(format!(
                    "Cluster {} runs Kubernetes {raw}; every tagged Karmada image is at a fixed release \
                     (lowest {})",
                    c.name(),
                    images[0].version
                ))
                .at(c, VERSION_PTR)
                .with_evidence(lowest_evidence.clone())
            })
            .collect()
    }
}
