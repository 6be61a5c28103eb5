//! Template `aggregated-apiserver`: karmada-aggregated-apiserver runs in the host cluster
//! with the flags it needs, a Karmada image of the target line, a Service on its port
//! that really selects its pods, and every Secret it mounts. When it is missing, the fix
//! deploys the Deployment + Service of [`AggregatedApiserverModel`], computed from the
//! real installation; a missing flag is added with the model's value.

use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::support::naming::fix_file;
use super::support::patch::patch_fix;
use super::{params, read, Check, CompileError, Ctx, Outcome, Read, ReadScope};
use crate::findings::{Evidence, Manifest, ManifestKind, Remediation};
use crate::inventory::aggregated_apiserver::{
    mounted_secrets, AggregatedApiserverModel, MountedSecret,
};
use crate::inventory::workload::{find_component, json_type, Component, ContainerRef};
use crate::inventory::{Object, ObjectRef, Scope, ScopeSel};
use crate::k8s::{ImageRef, KubeVersion};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Params {
    required_flags: Vec<String>,
    /// Lowest Karmada image tag accepted when the tag is a version (`latest` is fine).
    minimum_version: String,
    /// Tag the computed Deployment uses.
    image_tag: String,
    #[serde(default = "port_443")]
    service_port: i64,
}

fn port_443() -> i64 {
    443
}

struct AggregatedApiserver {
    p: Params,
    minimum: KubeVersion,
}

pub fn compile(p: &Value) -> Result<Box<dyn Check>, CompileError> {
    let p: Params = params::decode(p)?;
    let minimum = KubeVersion::parse(&p.minimum_version).map_err(|e| CompileError {
        pointer: "/minimumVersion".into(),
        message: e.to_string(),
    })?;
    Ok(Box::new(AggregatedApiserver { p, minimum }))
}

impl AggregatedApiserver {
    fn missing(&self, ctx: &Ctx<'_>) -> Outcome {
        let m = AggregatedApiserverModel::read(ctx.inv);
        let (deploy, svc) = m.manifests(&self.p.image_tag, self.p.service_port);
        let dref = ObjectRef::new(
            Scope::Host,
            "apps/v1",
            "Deployment",
            Some(&m.namespace),
            &m.name,
        );
        let sref = ObjectRef::new(Scope::Host, "v1", "Service", Some(&m.namespace), &m.name);
        let files = [fix_file(&dref, "yaml"), fix_file(&sref, "yaml")];
        let mut summary = format!(
            "Deploy {} and its Service {} in the host cluster (manifests modelled on the v1.0.0 \
             artifacts).",
            dref, sref
        );
        if m.notes.is_empty() {
            summary.push_str(" No karmada-apiserver was in the input: etcd and certificate values are the artifacts' defaults.");
        } else {
            summary.push_str(&format!(" Values: {}.", m.notes.join("; ")));
        }
        Outcome::violation(format!(
            "no karmada-aggregated-apiserver workload in the host cluster; v1.0 serves the Cluster API from it \
             (expected Deployment {}/{})",
            m.namespace, m.name
        ))
        .about(dref.clone())
        .with_remediation(Remediation {
            summary,
            commands: files
                .iter()
                .map(|f| format!("kubectl --context karmada-host apply -f {f}"))
                .chain([format!(
                    "kubectl --context karmada-host -n {} rollout status deployment/{}",
                    m.namespace, m.name
                )])
                .collect(),
            manifests: vec![
                Manifest {
                    file_name: files[0].clone(),
                    kind: ManifestKind::Apply,
                    apply_to: "host".into(),
                    target: Some(dref),
                    content: deploy,
                },
                Manifest {
                    file_name: files[1].clone(),
                    kind: ManifestKind::Apply,
                    apply_to: "host".into(),
                    target: Some(sref),
                    content: svc,
                },
            ],
            steps: Vec::new(),
            diff: None,
        })
    }

    fn check_container(&self, ctx: &Ctx<'_>, c: &ContainerRef<'_>) -> Outcome {
        let obj = c.object;
        let mut problems: Vec<(&Object, String, String)> = Vec::new();
        let mut unknowns: Vec<(&Object, String, String)> = Vec::new();
        let mut manifests = Vec::new();
        let mut commands = Vec::new();
        // 1. Flags.
        match c.flags() {
            Err(tp) => unknowns.push((
                obj,
                tp.pointer,
                format!("cannot read the command line: {}", tp.message),
            )),
            Ok(flags) => {
                let list = c.flag_list_pointer();
                let model = AggregatedApiserverModel::read(ctx.inv);
                let mut ops = Vec::new();
                for want in &self.p.required_flags {
                    let ok = flags.iter().any(|f| {
                        &f.name == want && f.value.as_deref().is_some_and(|v| !v.is_empty())
                    });
                    if !ok {
                        problems.push((obj, list.clone(), format!("{want} is missing")));
                        if let Some((f, v)) = model.flags.iter().find(|(f, _)| f == want) {
                            ops.push(json!({"op": "add", "path": format!("{list}/-"), "value": format!("{f}={v}")}));
                        }
                    }
                }
                if !ops.is_empty() {
                    let (cmd, m) = patch_fix(
                        &obj.r,
                        ManifestKind::JsonPatch,
                        "patch.json",
                        Value::Array(ops),
                    );
                    commands.push(cmd);
                    manifests.push(m);
                }
            }
        }
        // 2. Image: a version tag must be of the target line; `latest` says nothing.
        let img_ptr = format!("{}/image", c.pointer());
        match ImageRef::parse(c.image()) {
            Ok(img) => {
                if let Some(v) = img.version_tag().filter(|v| *v < self.minimum) {
                    problems.push((
                        obj,
                        img_ptr,
                        format!("image {} is {v}, older than {}", c.image(), self.minimum),
                    ));
                }
            }
            Err(e) => unknowns.push((obj, img_ptr, format!("image: {e}"))),
        }
        // 3. A Service on the port that selects the pod template.
        self.check_service(
            ctx,
            c,
            &mut problems,
            &mut unknowns,
            &mut manifests,
            &mut commands,
        );
        // 4. Secret volumes.
        for MountedSecret { name, pointer: ptr } in mounted_secrets(c) {
            if !ctx.inv.saw_kind("Secret", &ScopeSel::Host) {
                unknowns.push((
                    obj,
                    ptr,
                    format!("the input holds no Secrets, so Secret {name} cannot be checked"),
                ));
            } else if ctx
                .inv
                .get("Secret", &ScopeSel::Host, obj.namespace(), &name)
                .is_some()
            {
                // Present: nothing to say.
            } else if let Some(t) = ctx
                .inv
                .of_kind("Secret", &ScopeSel::Host)
                .find(|s| s.name().contains("${"))
            {
                // The official artifacts/deploy (v1.x) ship Secret templates such as
                // `${component}-config` that hack/deploy-karmada.sh instantiates per
                // component: absence from such input is no evidence of absence.
                unknowns.push((
                    obj,
                    ptr,
                    format!(
                        "Secret {}/{name} it mounts is not in the input, which holds the \
                         installer's Secret template {} instead; cannot tell whether it exists",
                        obj.namespace().unwrap_or("default"),
                        t.name()
                    ),
                ));
            } else {
                problems.push((
                    obj,
                    ptr,
                    format!(
                        "Secret {}/{name} it mounts is not in the input",
                        obj.namespace().unwrap_or("default")
                    ),
                ));
            }
        }
        let evidence = |v: &[(&Object, String, String)]| -> Vec<Evidence> {
            v.iter()
                .map(|(o, p, m)| Evidence {
                    status: None,
                    message: m.clone(),
                    location: Some(o.locate(p)),
                })
                .collect()
        };
        if let Some((o, ptr, _)) = problems.first() {
            let msg = problems
                .iter()
                .map(|(_, _, m)| m.as_str())
                .collect::<Vec<_>>()
                .join("; ");
            return Outcome::violation(format!("karmada-aggregated-apiserver {}: {msg}", obj.r))
                .at(o, ptr)
                .with_evidence(evidence(&problems))
                .with_remediation(Remediation {
                    summary: format!(
                        "Fix {}: {msg}. Flag values are taken from karmada-apiserver; Service selectors must \
                         match the pod template labels.",
                        obj.r
                    ),
                    commands,
                    manifests,
                    steps: Vec::new(),
                    diff: None,
                });
        }
        if let Some((o, ptr, _)) = unknowns.first() {
            let msg = unknowns
                .iter()
                .map(|(_, _, m)| m.as_str())
                .collect::<Vec<_>>()
                .join("; ");
            return Outcome::unknown(format!("karmada-aggregated-apiserver {}: {msg}", obj.r))
                .at(o, ptr)
                .with_evidence(evidence(&unknowns));
        }
        Outcome::pass(format!(
            "karmada-aggregated-apiserver {} has its flags, image, Service and Secrets",
            obj.r
        ))
        .at(obj, &c.pointer())
    }

    fn check_service<'a>(
        &self,
        ctx: &'a Ctx<'_>,
        c: &ContainerRef<'a>,
        problems: &mut Vec<(&'a Object, String, String)>,
        unknowns: &mut Vec<(&'a Object, String, String)>,
        manifests: &mut Vec<Manifest>,
        commands: &mut Vec<String>,
    ) {
        let obj = c.object;
        // The pod template's metadata sits beside its spec (`/spec/template`, or the
        // Pod itself).
        let label_ptr = format!(
            "{}/metadata/labels",
            c.pod_spec_ptr().strip_suffix("/spec").unwrap_or("")
        );
        let empty = Map::new();
        if let Some(v) = obj
            .at(&label_ptr)
            .filter(|v| !v.is_object() && !v.is_null())
        {
            unknowns.push((
                obj,
                label_ptr.clone(),
                format!("{label_ptr} is {}, expected a mapping", json_type(v)),
            ));
            return;
        }
        let labels = obj
            .at(&label_ptr)
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        static HOST: ScopeSel = ScopeSel::Host;
        // ExternalName Services are the karmada-apiserver side of the link (in pool mode
        // they sit beside the host Service of the same name); they select nothing.
        let services: Vec<&Object> = ctx
            .inv
            .of_kind("Service", &HOST)
            .filter(|s| {
                s.namespace() == obj.namespace() && s.str_at("/spec/type") != Some("ExternalName")
            })
            .collect();
        if services.is_empty() {
            if ctx.inv.saw_kind("Service", &HOST) {
                problems.push((
                    obj,
                    label_ptr,
                    format!(
                        "no Service in namespace {} selects its pods",
                        obj.namespace().unwrap_or("default")
                    ),
                ));
            } else {
                unknowns.push((obj, label_ptr, "the input holds no Services".into()));
            }
            return;
        }
        for s in &services {
            if let Some(v) = s
                .at("/spec/selector")
                .filter(|v| !v.is_object() && !v.is_null())
            {
                unknowns.push((
                    s,
                    "/spec/selector".into(),
                    format!(
                        "Service {} /spec/selector is {}, expected a mapping",
                        s.r,
                        json_type(v)
                    ),
                ));
            }
        }
        let selects = |s: &Object| {
            s.at("/spec/selector")
                .and_then(Value::as_object)
                .is_some_and(|sel| {
                    !sel.is_empty() && sel.iter().all(|(k, v)| labels.get(k) == Some(v))
                })
        };
        let port_ok = |s: &Object| {
            s.at("/spec/ports")
                .and_then(Value::as_array)
                .is_some_and(|ps| {
                    ps.iter()
                        .any(|p| p.get("port").and_then(Value::as_i64) == Some(self.p.service_port))
                })
        };
        if services.iter().any(|s| selects(s) && port_ok(s)) {
            return;
        }
        if let Some(s) = services.iter().find(|s| selects(s)) {
            problems.push((
                s,
                "/spec/ports".into(),
                format!(
                    "Service {} selects its pods but has no port {}",
                    s.r, self.p.service_port
                ),
            ));
            return;
        }
        // The Service meant for it: same name, else one on the port named like it.
        let meant = services
            .iter()
            .find(|s| s.name() == obj.name())
            .or_else(|| {
                services
                    .iter()
                    .find(|s| port_ok(s) && s.name().contains("aggregated-apiserver"))
            });
        match meant {
            Some(s) => {
                let sel = s
                    .at("/spec/selector")
                    .map(|v| v.to_string())
                    .unwrap_or_else(|| "none".into());
                problems.push((
                    s,
                    "/spec/selector".into(),
                    format!(
                        "Service {} selector {sel} does not select the pod labels {} of {}",
                        s.r,
                        Value::Object(labels.clone()),
                        obj.r
                    ),
                ));
                // `null` first drops keys that do not match, then the pod labels are set.
                let mut sel_patch = Map::new();
                if let Some(old) = s.at("/spec/selector").and_then(Value::as_object) {
                    for k in old.keys() {
                        sel_patch.insert(k.clone(), Value::Null);
                    }
                }
                for (k, v) in labels {
                    sel_patch.insert(k.clone(), v.clone());
                }
                let (cmd, m) = patch_fix(
                    &s.r,
                    ManifestKind::MergePatch,
                    "merge-patch.json",
                    json!({"spec": {"selector": sel_patch}}),
                );
                commands.push(cmd);
                manifests.push(m);
            }
            None => problems.push((
                obj,
                label_ptr,
                format!(
                    "no Service on port {} selects its pods",
                    self.p.service_port
                ),
            )),
        }
    }
}

impl Check for AggregatedApiserver {
    fn reads(&self) -> Vec<Read> {
        [
            "Deployment",
            "StatefulSet",
            "DaemonSet",
            "Pod",
            "Service",
            "Secret",
        ]
        .into_iter()
        .map(|k| read(k, ReadScope::Host))
        .collect()
    }

    fn run(&self, ctx: &Ctx<'_>) -> Vec<Outcome> {
        static HOST: ScopeSel = ScopeSel::Host;
        let cs = find_component(ctx.inv, Component::AggregatedApiserver, &HOST);
        if cs.is_empty() {
            if let Some(o) = super::support::components::made_by_installer(
                ctx.inv,
                Component::AggregatedApiserver,
                "its Deployment and Service",
            ) {
                return vec![o];
            }
            return vec![self.missing(ctx)];
        }
        cs.iter().map(|c| self.check_container(ctx, c)).collect()
    }
}
