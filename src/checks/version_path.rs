//! Template `version-path`: which Karmada version is installed (image tags first, then
//! structural fingerprints — the same order as phase detection, `upgrade::phase`) and whether the
//! hop `from -> to` is one supported step. Karmada upgrades one minor at a time, so v0.9
//! or older must go through v0.10 first.

use serde::Deserialize;
use serde_json::Value;

use super::{params, read, Check, CompileError, Ctx, Outcome, Read, ReadScope};
use crate::findings::{Evidence, Remediation};
use crate::inventory::workload::{find_component, Component};
use crate::inventory::{Object, ScopeSel};
use crate::k8s::{ImageRef, KarmadaVersion};
use crate::upgrade::{phase, Phase};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    /// The minor this pack upgrades from, e.g. `v0.10`.
    from: String,
    /// The minor it upgrades to, e.g. `v1.0`.
    to: String,
}

struct VersionPath {
    from: KarmadaVersion,
    to: KarmadaVersion,
}

pub fn compile(p: &Value) -> Result<Box<dyn Check>, CompileError> {
    let p: Params = params::decode(p)?;
    let parse = |s: &str, ptr: &str| {
        KarmadaVersion::parse(s).map_err(|e| CompileError {
            pointer: ptr.into(),
            message: e.to_string(),
        })
    };
    Ok(Box::new(VersionPath {
        from: parse(&p.from, "/from")?,
        to: parse(&p.to, "/to")?,
    }))
}

fn minor(v: &KarmadaVersion) -> (u32, u32) {
    (v.major(), v.minor())
}

impl VersionPath {
    fn show(v: &KarmadaVersion) -> String {
        format!("v{}.{}", v.major(), v.minor())
    }

    fn judge(&self, ctx: &Ctx<'_>, v: &KarmadaVersion, label: &str) -> Outcome {
        let (from, to) = (Self::show(&self.from), Self::show(&self.to));
        let m = minor(v);
        if m < minor(&self.from) {
            let steps = KarmadaVersion::minor_steps_between(*v, self.to)
                .map(|h| {
                    h.iter()
                        .map(|x| x.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default();
            return Outcome::violation(format!(
                "Karmada {label} is older than {from}: upgrade to the latest {from}.x first, one minor at a time \
                 ({steps}); {from} -> {to} is the only step this pack checks"
            ))
            .with_remediation(Remediation {
                summary: format!(
                    "Follow the upgrade guides for each step ({steps}) up to {from}, then re-run this check."
                ),
                ..Default::default()
            });
        }
        if m == minor(&self.from) {
            return match ctx.phase {
                Phase::Pre => Outcome::pass(format!(
                    "Karmada {label}: {from} -> {to} is a supported single step"
                )),
                Phase::Post => Outcome::violation(format!(
                    "Karmada {label} is still {from}; the upgrade to {to} has not happened"
                )),
            };
        }
        if m == minor(&self.to) {
            let tail = if ctx.phase == Phase::Pre {
                "; run with --phase post to verify it"
            } else {
                ""
            };
            return Outcome::pass(format!("Karmada {label} is already {to}{tail}"));
        }
        if m > minor(&self.to) {
            return Outcome::skip(format!(
                "Karmada {label} is past {to}; this pack covers {from} -> {to}"
            ));
        }
        Outcome::unknown(format!(
            "Karmada {label} is between {from} and {to}, which was never released"
        ))
    }
}

impl Check for VersionPath {
    fn reads(&self) -> Vec<Read> {
        vec![
            read("Deployment", ReadScope::Host),
            read("Deployment", ReadScope::Member),
            read("CustomResourceDefinition", ReadScope::Karmada),
            read("APIService", ReadScope::Karmada),
        ]
    }

    fn run(&self, ctx: &Ctx<'_>) -> Vec<Outcome> {
        // Every tagged Karmada image of every install shape (workloads, Karmada CR
        // `imageTag`, KarmadaInitConfig `tag`), as evidence; the first decides (as in phase
        // detection).
        let mut tagged: Vec<(KarmadaVersion, &Object, String, String)> = Vec::new();
        // The components whose tag is the release, in the order phase detection uses.
        for &comp in crate::inventory::components::VERSIONED {
            for c in ctx
                .inv
                .components()
                .components
                .iter()
                .filter(|c| c.component == comp)
            {
                let Some(img) = &c.image else { continue };
                let v = ImageRef::parse(&img.image)
                    .ok()
                    .and_then(|i| i.tag().and_then(|t| KarmadaVersion::parse(t).ok()));
                if let Some(v) = v {
                    tagged.push((v, c.object(ctx.inv), img.pointer.clone(), img.image.clone()));
                }
            }
        }
        if let Some((v, obj, ptr, image)) = tagged.first() {
            let evidence: Vec<_> = tagged
                .iter()
                .map(|(_, o, p, i)| Evidence {
                    status: None,
                    message: format!("{} runs {i}", o.r),
                    location: Some(o.locate(p)),
                })
                .collect();
            let mut o = self.judge(
                ctx,
                v,
                &format!("{} (image {image} of {})", show_full(v), obj.r),
            );
            if let Some((w, wo, wp, wi)) = tagged.iter().find(|(w, ..)| minor(w) != minor(v)) {
                // Components on different minors: an upgrade half done (or a mix-up).
                o = Outcome::violation(format!(
                    "Karmada components run different minors: {image} on {} but {wi} on {} ({} vs {})",
                    obj.r,
                    wo.r,
                    show_full(v),
                    show_full(w)
                ))
                .at(wo, wp);
                return vec![o.with_evidence(evidence)];
            }
            return vec![o.at(obj, ptr).with_evidence(evidence)];
        }
        // No tag: the chart's record, a chart label or the operator image state a release;
        // failing those, this step is about the v0.10 / v1.0 shape (Cluster CRD or
        // aggregated apiserver), which decides it even when release fingerprints give a range.
        let d = phase::detect(ctx.inv);
        let d = match &d.version {
            Some(v) if v.is_range() || v.basis == phase::VersionBasis::Fingerprints => {
                phase::cluster_api_shape(ctx.inv).unwrap_or(d)
            }
            _ => d,
        };
        match &d.version {
            Some(v) if !v.is_range() => {
                let label = v.label();
                let version = v
                    .exact
                    .as_deref()
                    .and_then(|e| KarmadaVersion::parse(e).ok())
                    .unwrap_or(KarmadaVersion::new(v.low.0, v.low.1, None));
                let o = self.judge(ctx, &version, &format!("{label} ({})", d.reason));
                vec![locate_fingerprint(ctx, o, &format!("v{}.{}", v.low.0, v.low.1))]
            }
            Some(v) => vec![Outcome::unknown(format!(
                "the installed Karmada version is somewhere in {} ({}); pass --from to say which",
                v.label(),
                d.reason
            ))],
            None => vec![Outcome::unknown(
                "no Karmada version in the input: no Karmada image carries a version tag, and no fingerprint \
                 (Cluster CRD, karmada-aggregated-apiserver, service-backed APIService) was found",
            )],
        }
    }
}

fn show_full(v: &KarmadaVersion) -> String {
    match v.patch() {
        Some(p) => format!("v{}.{}.{p}", v.major(), v.minor()),
        None => format!("v{}.{}", v.major(), v.minor()),
    }
}

/// Point the outcome at the object the fingerprint rests on.
fn locate_fingerprint(ctx: &Ctx<'_>, o: Outcome, version: &str) -> Outcome {
    static KARMADA: ScopeSel = ScopeSel::Karmada;
    static ALL: ScopeSel = ScopeSel::All;
    if version.starts_with("v0.") {
        if let Some(crd) = ctx.inv.get(
            "CustomResourceDefinition",
            &KARMADA,
            None,
            "clusters.cluster.karmada.io",
        ) {
            return o.at(crd, "/metadata/name");
        }
        return o;
    }
    if let Some(c) = find_component(ctx.inv, Component::AggregatedApiserver, &ALL).first() {
        return o.at(c.object, &format!("{}/image", c.pointer()));
    }
    match ctx
        .inv
        .get("APIService", &KARMADA, None, "v1alpha1.cluster.karmada.io")
    {
        Some(a) => o.at(a, "/spec/service"),
        None => o,
    }
}
