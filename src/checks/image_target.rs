//! Template `image-target`: every Karmada component runs the image of the release the
//! upgrade path leads to. Before the upgrade it lists, for each hop of the path and in the
//! order the rule gives (the guide's: the control plane's servers first, the agents in the
//! members last), the change that sets the component's image tag for the install shape
//! seen (`kubectl set image` for a workload, the `imageTag` field of a karmada-operator
//! `Karmada` CR, the `tag` of a `karmadactl init` config), each followed by the check that
//! shows it took; after the upgrade it verifies the tags reached the target.

use serde::Deserialize;
use serde_json::json;

use super::support::components::workload_reads;
use super::support::naming::context_flag;
use super::{params, Check, CompileError, Ctx, Outcome, Read};
use crate::findings::{FixStep, Remediation};
use crate::inventory::components::{Installed, Shape};
use crate::inventory::workload::Component;
use crate::inventory::ScopeSel;
use crate::k8s::{ImageRef, MinorHop};
use crate::upgrade::{path::hop_label, Phase};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    /// The components, in the order the upgrade rolls them.
    order: Vec<Component>,
}

struct ImageTarget {
    p: Params,
}

pub fn compile(p: &serde_json::Value) -> Result<Box<dyn Check>, CompileError> {
    Ok(Box::new(ImageTarget {
        p: params::decode(p)?,
    }))
}

/// The tag a hop's components move to: `--to` when it names a patch release of the
/// hop's target minor, else its `.0` release.
fn target_tag(hop: &MinorHop, to: Option<&str>) -> String {
    let minor = format!("v{}.{}", hop.to.0, hop.to.1);
    match to.map(|t| t.trim()) {
        Some(t) if t.starts_with(&format!("{minor}.")) => t.to_string(),
        _ => format!("{minor}.0"),
    }
}

/// A release minor, `(1, 15)`.
type Minor = (u32, u32);

/// The image (repository and tag) the component runs now, its tag's minor, and the
/// pointer of the field that states it.
fn current(c: &Installed) -> Option<(String, Option<Minor>, String)> {
    let image = c.image.as_ref()?;
    let minor = ImageRef::parse(&image.image)
        .ok()
        .and_then(|i| i.version_tag())
        .map(|v| (v.major, v.minor));
    Some((image.image.clone(), minor, image.pointer.clone()))
}

/// The Helm release (name, namespace) an installed object belongs to: Helm writes both
/// annotations on every object of a release it installs (`helm template` output has none).
fn helm_release(obj: &crate::inventory::Object) -> Option<(String, String)> {
    let ann = obj.value().pointer("/metadata/annotations")?;
    let release = ann.get("meta.helm.sh/release-name")?.as_str()?;
    let ns = ann.get("meta.helm.sh/release-namespace")?.as_str()?;
    // Names go into a shell command: only DNS names, never arbitrary text from a file.
    let ok = crate::sources::live::connect::valid_cluster_name;
    (ok(release) && ok(ns)).then(|| (release.to_string(), ns.to_string()))
}

impl ImageTarget {
    /// The steps that set `c` to `tag`, for its install shape.
    /// `upgraded`: the Helm releases this hop already upgrades (one `helm upgrade` per
    /// release, not one per component it holds).
    fn steps(
        &self,
        ctx: &Ctx<'_>,
        c: &Installed,
        tag: &str,
        upgraded: &mut std::collections::BTreeSet<(String, String)>,
    ) -> Option<Vec<FixStep>> {
        let inv = ctx.inv;
        let obj = c.object(inv);
        // The agent runs in the members: an unscoped one is for each member's context.
        let ctxf = match (c.component, obj.r.scope()) {
            (Component::KarmadaAgent, crate::inventory::Scope::Pool) => "--context <member>".into(),
            (_, scope) => context_flag(scope),
        };
        let ns = obj
            .namespace()
            .map(|n| format!(" -n {n}"))
            .unwrap_or_default();
        let kind = obj.kind().to_lowercase();
        let name = obj.name();
        match c.shape {
            // Installed by Helm (kubectl get of a release's object): `kubectl set image`
            // would be undone by the next `helm upgrade`, so the release is upgraded.
            Shape::Workload if helm_release(obj).is_some() => {
                let (release, release_ns) = helm_release(obj)?;
                let verify = FixStep::Verify(format!(
                    "kubectl {ctxf}{ns} rollout status {kind}/{name} --timeout=5m"
                ));
                if !upgraded.insert((release.clone(), release_ns.clone())) {
                    return Some(vec![
                        FixStep::Note(format!(
                            "{kind}/{name} is upgraded by the helm upgrade of release {release} \
                             above"
                        )),
                        verify,
                    ]);
                }
                Some(vec![
                    FixStep::Note(format!(
                        "{kind}/{name} belongs to Helm release {release} (namespace {release_ns}): \
                         upgrade the release to chart version {tag}, not the image alone (the next \
                         helm upgrade would undo kubectl set image)"
                    )),
                    FixStep::Run(format!(
                        "helm {ctxf_helm} upgrade {release} karmada-charts/karmada -n {release_ns} \
                         --version {tag} --reuse-values",
                        ctxf_helm = ctxf.replace("--context", "--kube-context")
                    )),
                    verify,
                ])
            }
            Shape::Workload => {
                let container = c.container(inv)?;
                let image = ImageRef::parse(container.image()).ok()?;
                let new = format!(
                    "{}{}:{tag}",
                    image
                        .registry()
                        .map(|r| format!("{r}/"))
                        .unwrap_or_default(),
                    image.repository()
                );
                Some(vec![
                    FixStep::Run(format!(
                        "kubectl {ctxf}{ns} set image {kind}/{name} {}={new}",
                        container.name()
                    )),
                    FixStep::Verify(format!(
                        "kubectl {ctxf}{ns} rollout status {kind}/{name} --timeout=5m"
                    )),
                ])
            }
            Shape::OperatorCr => {
                let field = format!("{}/imageTag", c.pointer);
                let patch = json!([{ "op": "add", "path": field, "value": tag }]);
                let jsonpath: String = c
                    .pointer
                    .split('/')
                    .skip(1)
                    .map(|p| format!(".{p}"))
                    .collect();
                Some(vec![
                    FixStep::Run(format!(
                        "kubectl {ctxf}{ns} patch {kind} {name} --type=json -p '{patch}'"
                    )),
                    FixStep::Verify(format!(
                        "kubectl {ctxf}{ns} get {kind} {name} -o jsonpath='{{{jsonpath}.imageTag}}'"
                    )),
                ])
            }
            Shape::InitConfig => Some(vec![FixStep::Note(format!(
                "set `{}/tag` of {} to {tag} in the karmadactl init config file and apply it with the \
                 karmadactl of that release",
                c.pointer, obj.r
            ))]),
        }
    }
}

impl Check for ImageTarget {
    fn reads(&self) -> Vec<Read> {
        self.p
            .order
            .iter()
            .flat_map(|c| workload_reads(*c))
            .collect()
    }

    fn run(&self, ctx: &Ctx<'_>) -> Vec<Outcome> {
        let inv = ctx.inv;
        let all = ScopeSel::All;
        let found: Vec<&Installed> = self
            .p
            .order
            .iter()
            .flat_map(|comp| inv.components().of(*comp, &all, inv))
            .filter(|c| c.image.is_some())
            .collect();
        if found.is_empty() {
            return vec![Outcome::skip(
                "no Karmada component image in the input to upgrade",
            )];
        }
        let Some(last) = ctx.plan.hops.last() else {
            return vec![Outcome::skip("no upgrade hop in this run")];
        };
        let mut out = Vec::new();
        match ctx.phase {
            Phase::Post => {
                let want = last.to;
                for c in found {
                    let Some((image, minor, ptr)) = current(c) else {
                        continue;
                    };
                    let obj = c.object(inv);
                    let o = match minor {
                        Some(m) if m >= want => Outcome::pass(format!(
                            "{} runs {image} (v{}.{} or later)",
                            c.component.display(),
                            want.0,
                            want.1
                        )),
                        Some(_) => Outcome::violation(format!(
                            "{} runs {image}, not v{}.{}",
                            c.component.display(),
                            want.0,
                            want.1
                        )),
                        None => Outcome::unknown(format!(
                            "{} image {image} states no release (a `latest` tag or a digest)",
                            c.component.display()
                        )),
                    };
                    out.push(o.at(obj, &ptr));
                }
            }
            Phase::Pre => {
                let to = ctx.plan.to.as_deref();
                for (i, hop) in ctx.plan.hops.iter().enumerate() {
                    let tag = target_tag(hop, to);
                    let mut upgraded = std::collections::BTreeSet::new();
                    for c in &found {
                        let Some((image, minor, ptr)) = current(c) else {
                            continue;
                        };
                        let obj = c.object(inv);
                        // The first hop starts from the images seen; later hops from the
                        // previous hop's target.
                        if i == 0 && minor.is_some_and(|m| m >= hop.to) {
                            out.push(
                                Outcome::pass(format!(
                                    "{} already runs {image}",
                                    c.component.display()
                                ))
                                .at(obj, &ptr)
                                .for_hop(*hop),
                            );
                            continue;
                        }
                        let Some(steps) = self.steps(ctx, c, &tag, &mut upgraded) else {
                            continue;
                        };
                        out.push(
                            Outcome::violation(format!(
                                "{} runs {}; hop {} sets it to {tag}",
                                c.component.display(),
                                if i == 0 {
                                    image
                                } else {
                                    "the previous hop's release".into()
                                },
                                hop_label(hop)
                            ))
                            .at(obj, &ptr)
                            .for_hop(*hop)
                            .with_remediation(
                                Remediation::from_steps(
                                    format!(
                                    "Set {} to {tag} (hop {}), after the steps of the hop above.",
                                    c.component.display(),
                                    hop_label(hop)
                                ),
                                    steps,
                                ),
                            ),
                        );
                    }
                }
            }
        }
        out
    }
}
