//! Template `image-version`: a component's image tag is at least a minimum version. Used
//! for karmada-apiserver's kube-apiserver image: the v1.0 control plane writes
//! `discovery.k8s.io/v1` EndpointSlices, which kube-apiserver serves from v1.21. The fix is
//! a JSON patch of the image field that keeps the registry and repository.

use serde::Deserialize;
use serde_json::{json, Value};

use super::support::components;
use super::support::patch::patch_fix;
use super::{params, Check, CompileError, Ctx, Outcome, Read};
use crate::findings::{ManifestKind, Remediation};
use crate::inventory::workload::{Component, ContainerRef};
use crate::k8s::{ImageRef, KubeVersion};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Params {
    component: Component,
    /// Lowest acceptable tag, e.g. `v1.21.0`.
    minimum: String,
    /// Tag the fix sets, e.g. `v1.21.7` (what the target release ships).
    fix_tag: String,
}

struct ImageVersion {
    p: Params,
    minimum: KubeVersion,
}

pub fn compile(p: &Value) -> Result<Box<dyn Check>, CompileError> {
    let p: Params = params::decode(p)?;
    let minimum = KubeVersion::parse(&p.minimum).map_err(|e| CompileError {
        pointer: "/minimum".into(),
        message: e.to_string(),
    })?;
    Ok(Box::new(ImageVersion { p, minimum }))
}

impl ImageVersion {
    fn check_container(&self, c: &ContainerRef<'_>) -> Outcome {
        let obj = c.object;
        let comp = self.p.component.display();
        let ptr = format!("{}/image", c.pointer());
        // Absent and null alike: no image.
        let raw = match c.value.get("image").filter(|n| !n.is_null()) {
            None => {
                return Outcome::unknown(format!("{comp} container in {} has no image", obj.r))
                    .at(obj, &c.pointer())
            }
            Some(n) => match n.as_str() {
                Some(s) => s,
                None => return Outcome::unknown(format!("{ptr} is not a string")).at(obj, &ptr),
            },
        };
        let image = match ImageRef::parse(raw) {
            Ok(i) => i,
            Err(e) => return Outcome::unknown(format!("{comp} image: {e}")).at(obj, &ptr),
        };
        let Some(version) = image.version_tag() else {
            return Outcome::unknown(format!(
                "{comp} image {raw} has no version tag ({}); its Kubernetes version cannot be told from the manifest",
                match (image.tag(), image.digest()) {
                    (Some(t), _) => format!("tag {t:?}"),
                    (None, Some(_)) => "pinned by digest".into(),
                    (None, None) => "no tag, i.e. latest".into(),
                }
            ))
            .at(obj, &ptr);
        };
        if version >= self.minimum {
            return Outcome::pass(format!(
                "{comp} image {raw} is {version} (≥ {})",
                self.minimum
            ))
            .at(obj, &ptr);
        }
        let new_image = format!(
            "{}{}:{}",
            image
                .registry()
                .map(|r| format!("{r}/"))
                .unwrap_or_default(),
            image.repository(),
            self.p.fix_tag
        );
        let (command, manifest) = patch_fix(
            &obj.r,
            ManifestKind::JsonPatch,
            "patch.json",
            json!([
                {"op": "test", "path": ptr, "value": raw},
                {"op": "replace", "path": ptr, "value": new_image},
            ]),
        );
        Outcome::violation(format!(
            "{comp} image {raw} is {version}; it must be at least {} (the target release ships {})",
            self.minimum, self.p.fix_tag
        ))
        .at(obj, &ptr)
        .with_remediation(Remediation {
            summary: format!(
                "Set the {comp} image of {} to {new_image} (same registry).",
                obj.r
            ),
            commands: vec![command],
            manifests: vec![manifest],
            steps: Vec::new(),
            diff: Some(format!(
                "{}\n-  image: {raw}\n+  image: {new_image}\n",
                obj.locate(&ptr)
            )),
        })
    }
}

impl Check for ImageVersion {
    fn reads(&self) -> Vec<Read> {
        components::workload_reads(self.p.component)
    }

    fn run(&self, ctx: &Ctx<'_>) -> Vec<Outcome> {
        match components::containers(ctx.inv, self.p.component) {
            Ok(cs) => cs.iter().map(|c| self.check_container(c)).collect(),
            Err(unknown) => vec![*unknown],
        }
    }
}
