//! Template `same-minor`: components that talk to each other over an API that changes
//! between releases run images of one Karmada minor. v1.18 moved the scheduler-estimator
//! gRPC messages to new fields and v1.19 removed the old ones, so a scheduler or
//! descheduler of one minor and an estimator of another stop understanding each other.
//!
//! Components whose images carry no version tag (`latest`, digests) cannot be compared
//! and make the rule `unknown` for them; a component that is not installed is left out.

use serde::Deserialize;
use serde_json::{json, Value};

use super::support::components;
use super::support::patch::patch_fix;
use super::{params, Check, CompileError, Ctx, Outcome, Read};
use crate::findings::{FixStep, ManifestKind, Remediation};
use crate::inventory::workload::{find_component, Component, ContainerRef};
use crate::k8s::{ImageRef, KubeVersion};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    components: Vec<Component>,
    /// Why they must agree, in the message.
    reason: String,
}

struct SameMinor {
    p: Params,
}

pub fn compile(params: &Value) -> Result<Box<dyn Check>, CompileError> {
    let p: Params = params::decode(params)?;
    if p.components.len() < 2 {
        return Err(CompileError {
            pointer: "/components".into(),
            message: "list at least two components".into(),
        });
    }
    Ok(Box::new(SameMinor { p }))
}

struct Seen<'a> {
    c: ContainerRef<'a>,
    comp: Component,
    image: ImageRef,
    raw: String,
    version: KubeVersion,
}

impl Check for SameMinor {
    fn reads(&self) -> Vec<Read> {
        self.p
            .components
            .iter()
            .flat_map(|c| components::workload_reads(*c))
            .collect()
    }

    fn run(&self, ctx: &Ctx<'_>) -> Vec<Outcome> {
        let mut out = Vec::new();
        let mut seen: Vec<Seen<'_>> = Vec::new();
        for &comp in &self.p.components {
            let (sel, _) = components::home(comp);
            for c in find_component(ctx.inv, comp, &sel) {
                let raw = c.image().to_string();
                let ptr = format!("{}/image", c.pointer());
                match ImageRef::parse(&raw) {
                    Ok(image) => match image.version_tag() {
                        Some(version) => seen.push(Seen {
                            c,
                            comp,
                            image,
                            raw,
                            version,
                        }),
                        None => out.push(
                            Outcome::unknown(format!(
                                "{} image {raw} carries no version tag; its release cannot be compared",
                                comp.display()
                            ))
                            .at(c.object, &ptr),
                        ),
                    },
                    Err(e) => out.push(
                        Outcome::unknown(format!("{} image: {e}", comp.display()))
                            .at(c.object, &ptr),
                    ),
                }
            }
        }
        let Some(newest) = seen.iter().map(|s| s.version).max() else {
            return out;
        };
        let target = seen
            .iter()
            .find(|s| s.version == newest)
            .and_then(|s| s.image.tag().map(str::to_string))
            .unwrap_or_default();
        let all: Vec<String> = seen
            .iter()
            .map(|s| format!("{} {}", s.comp.display(), s.version))
            .collect();
        for s in &seen {
            let obj = s.c.object;
            let ptr = format!("{}/image", s.c.pointer());
            if (s.version.major, s.version.minor) == (newest.major, newest.minor) {
                out.push(
                    Outcome::pass(format!(
                        "{} runs {} like the others ({})",
                        s.comp.display(),
                        s.version,
                        all.join(", ")
                    ))
                    .at(obj, &ptr),
                );
                continue;
            }
            let new_image = format!(
                "{}{}:{target}",
                s.image
                    .registry()
                    .map(|r| format!("{r}/"))
                    .unwrap_or_default(),
                s.image.repository()
            );
            let (command, manifest) = patch_fix(
                &obj.r,
                ManifestKind::JsonPatch,
                "image.patch.json",
                json!([
                    {"op": "test", "path": ptr, "value": s.raw},
                    {"op": "replace", "path": ptr, "value": new_image},
                ]),
            );
            out.push(
                Outcome::violation(format!(
                    "{} runs {} but {} is at {}: {}",
                    s.comp.display(),
                    s.version,
                    all.join(", "),
                    newest,
                    self.p.reason
                ))
                .at(obj, &ptr)
                .with_remediation(Remediation {
                    manifests: vec![manifest],
                    diff: Some(format!(
                        "{}\n-  image: {}\n+  image: {new_image}\n",
                        obj.locate(&ptr),
                        s.raw
                    )),
                    ..Remediation::from_steps(
                        format!(
                            "Upgrade {} in {} to {new_image} together with the others.",
                            s.comp.display(),
                            obj.r
                        ),
                        vec![FixStep::Run(command)],
                    )
                }),
            );
        }
        out
    }
}
