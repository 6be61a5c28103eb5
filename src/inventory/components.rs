//! One component model over every install shape.
//!
//! A Karmada installation is described four ways: workloads (the official
//! `artifacts/deploy` manifests, a Helm render, `kubectl get` of a live host), a
//! karmada-operator `Karmada` CR (`operator.karmada.io/v1alpha1`: components with
//! `imageRepository`/`imageTag`, `extraArgs`, `featureGates`), or a `karmadactl init`
//! `KarmadaInitConfig` file (`config.karmada.io/v1alpha1`: `repository`/`tag`, `extraArgs` as
//! a name/value list). Each is normalised here into [`Installed`] components with their
//! image, replicas, flags (each located at the field that sets it: a command-line token,
//! or `spec.components.karmadaControllerManager.extraArgs.x`), feature gates and service
//! type, plus how etcd is run. The index is computed once per inventory
//! ([`crate::inventory::Inventory::components`]) and queried by the checks, so every flag,
//! image and version rule applies to every install shape.

use serde_json::Value;

use super::object::Object;
use super::store::ScopeSel;
use super::workload::{Component, ContainerRef, Flag, TypeProblem, WORKLOAD_KINDS};
use crate::k8s::KarmadaVersion;
use crate::text::escape_segment;

/// Components whose image tag is the Karmada release.
pub const VERSIONED: &[Component] = &[
    Component::ControllerManager,
    Component::Scheduler,
    Component::Webhook,
    Component::AggregatedApiserver,
    Component::KarmadaAgent,
    Component::KarmadaSearch,
    Component::Descheduler,
    Component::SchedulerEstimator,
    Component::MetricsAdapter,
];

/// Which description a component was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// A container of a Deployment, StatefulSet, DaemonSet or Pod.
    Workload,
    /// A component of a karmada-operator `Karmada` CR.
    OperatorCr,
    /// A component of a `karmadactl init --config` file.
    InitConfig,
}

pub const OPERATOR_KIND: &str = "Karmada";
pub const OPERATOR_GROUP: &str = "operator.karmada.io/";
pub const INIT_CONFIG_KIND: &str = "KarmadaInitConfig";
pub const INIT_CONFIG_GROUP: &str = "config.karmada.io/";

/// The kinds the model reads besides workloads; loaders keep them whatever rules read.
pub const DECLARATION_KINDS: &[&str] = &[OPERATOR_KIND, INIT_CONFIG_KIND];

/// An image reference and the field that sets it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageAt {
    /// `repository:tag` (or as written for workloads).
    pub image: String,
    /// The tag alone, when one is set.
    pub tag: Option<String>,
    /// Pointer of the field stating the tag (the image string for workloads).
    pub pointer: String,
}

/// One feature gate and where it is set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeatureGate {
    pub name: String,
    pub enabled: bool,
    pub pointer: String,
}

/// One installed Karmada component.
#[derive(Debug, Clone)]
pub struct Installed {
    pub component: Component,
    pub shape: Shape,
    /// Index of the object that declares it (workload, CR or init config) in the inventory.
    pub object: usize,
    /// For workloads: the container's index in `spec.containers`.
    pub container: Option<usize>,
    /// Where the component is declared inside its object.
    pub pointer: String,
    pub image: Option<ImageAt>,
    pub replicas: Option<i64>,
    /// Command-line flags, each located at the token or field that sets it; an error when
    /// the command line has the wrong type.
    pub flags: Result<Vec<Flag>, TypeProblem>,
    pub feature_gates: Vec<FeatureGate>,
    /// The Service type, where the description states one (operator `serviceType`).
    pub service_type: Option<String>,
}

impl Installed {
    /// The object (workload, CR, init config) that declares the component.
    pub fn object<'a>(&self, inv: &'a super::Inventory) -> &'a Object {
        inv.object(self.object)
    }

    /// The container, for workload components.
    pub fn container<'a>(&self, inv: &'a super::Inventory) -> Option<ContainerRef<'a>> {
        ContainerRef::nth(self.object(inv), self.container?)
    }
}

/// How etcd is run, as an install states it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EtcdMode {
    /// Run by the installer (operator `etcd.local`, init config `etcd.local`, a workload).
    Local,
    /// External endpoints.
    External {
        endpoints: Vec<String>,
        /// Pointers of inline `caData`/`certData`/`keyData` (operator, deprecated in v1.15 and
        /// removed in v1.16 in favour of `secretRef`).
        inline_cert_fields: Vec<String>,
    },
}

/// etcd as one install declares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EtcdAt {
    pub object: usize,
    pub pointer: String,
    pub mode: EtcdMode,
}

/// Every component and etcd declaration of an inventory.
#[derive(Debug, Default)]
pub struct ComponentIndex {
    pub components: Vec<Installed>,
    pub etcd: Vec<EtcdAt>,
}

impl ComponentIndex {
    /// Build from every object: workloads by image and command (so release-name prefixes
    /// do not matter), CRs and init configs by their fields.
    /// `containers`: the workload containers already identified as components
    /// ([`super::Inventory::component_containers`]); they are not identified again here.
    pub fn build<'a>(
        objects: impl Iterator<Item = (usize, &'a Object)>,
        containers: &[super::workload::ComponentContainer],
    ) -> ComponentIndex {
        // Per object, its component containers, each with the first component it was
        // identified as: `containers` lists an object's containers in order, and each
        // container's components one after another.
        let mut by_object: std::collections::HashMap<usize, Vec<(usize, Component)>> =
            std::collections::HashMap::new();
        for cc in containers {
            let list = by_object.entry(cc.object).or_default();
            if list.last().map(|(c, _)| *c) != Some(cc.container) {
                list.push((cc.container, cc.component));
            }
        }
        let mut idx = ComponentIndex::default();
        for (i, o) in objects {
            let group_is = |g: &str| o.r.api_version().starts_with(g);
            if WORKLOAD_KINDS.contains(&o.kind()) {
                if let Some(found) = by_object.get(&i) {
                    idx.add_workload(i, o, found);
                }
            } else if o.kind() == OPERATOR_KIND && group_is(OPERATOR_GROUP) {
                idx.add_declared(i, o, Shape::OperatorCr);
            } else if o.kind() == INIT_CONFIG_KIND && group_is(INIT_CONFIG_GROUP) {
                idx.add_declared(i, o, Shape::InitConfig);
            }
        }
        idx
    }

    /// Components of `c` whose object is in the selected scopes.
    pub fn of<'a>(
        &'a self,
        c: Component,
        sel: &'a ScopeSel,
        inv: &'a super::Inventory,
    ) -> impl Iterator<Item = &'a Installed> + 'a {
        self.components
            .iter()
            .filter(move |x| x.component == c && sel.matches(inv.object(x.object).r.scope()))
    }

    /// Karmada components whose image tag states a release, with that release: ordered by
    /// [`VERSIONED`], then as read. karmada-apiserver and kube-controller-manager run
    /// Kubernetes images, and karmada-operator has versions of its own.
    pub fn versioned(&self, _inv: &super::Inventory) -> Vec<(KarmadaVersion, &Installed)> {
        let mut out = Vec::new();
        for comp in VERSIONED {
            for c in self.components.iter().filter(|c| c.component == *comp) {
                let tag = c.image.as_ref().and_then(|i| {
                    crate::k8s::ImageRef::parse(&i.image)
                        .ok()?
                        .version_tag()
                        .map(KarmadaVersion::from)
                });
                if let Some(v) = tag {
                    out.push((v, c));
                }
            }
        }
        out
    }

    fn add_workload(&mut self, i: usize, o: &Object, found: &[(usize, Component)]) {
        let replicas = o.node("/spec/replicas").and_then(|n| n.as_i64());
        for &(container, component) in found {
            let Some(c) = ContainerRef::nth(o, container) else {
                continue;
            };
            let flags = c.flags();
            let feature_gates = flags
                .as_ref()
                .map(|f| gates_from_flags(f))
                .unwrap_or_default();
            let image = c.image();
            self.components.push(Installed {
                component,
                shape: Shape::Workload,
                object: i,
                container: Some(c.index),
                pointer: c.pointer(),
                image: (!image.is_empty()).then(|| ImageAt {
                    image: image.to_string(),
                    tag: image_tag(image),
                    pointer: format!("{}/image", c.pointer()),
                }),
                replicas: if o.kind() == "Pod" { Some(1) } else { replicas },
                flags,
                feature_gates,
                service_type: None,
            });
        }
    }

    fn add_declared(&mut self, i: usize, o: &Object, shape: Shape) {
        // The init config states etcd beside the components, the operator among them.
        if let Some(e) = o.at("/spec/etcd").and_then(|e| etcd_of(i, "/spec/etcd", e)) {
            self.etcd.push(e);
        }
        let Some(comps) = o.at("/spec/components").and_then(Value::as_object) else {
            return;
        };
        for (key, spec) in comps {
            let pointer = format!("/spec/components/{}", escape_segment(key));
            if key == "etcd" {
                if let Some(e) = etcd_of(i, &pointer, spec) {
                    self.etcd.push(e);
                }
                continue;
            }
            let Some(component) = declared_component(key) else {
                continue;
            };
            let Some(spec) = spec.as_object() else {
                continue;
            };
            let (repo_key, tag_key) = match shape {
                Shape::InitConfig => ("repository", "tag"),
                _ => ("imageRepository", "imageTag"),
            };
            let repo = spec.get(repo_key).and_then(Value::as_str);
            let tag = spec
                .get(tag_key)
                .and_then(Value::as_str)
                .map(str::to_string);
            let image = match (repo, &tag) {
                (None, None) => None,
                (r, t) => Some(ImageAt {
                    image: match t {
                        Some(t) => format!("{}:{t}", r.unwrap_or(component.display())),
                        None => r.unwrap_or(component.display()).to_string(),
                    },
                    tag: t.clone(),
                    pointer: format!("{pointer}/{}", if t.is_some() { tag_key } else { repo_key }),
                }),
            };
            let mut flags = extra_args(&pointer, spec.get("extraArgs"));
            let mut feature_gates = Vec::new();
            if let Some(g) = spec.get("featureGates").and_then(Value::as_object) {
                for (name, v) in g {
                    let Some(enabled) = v.as_bool() else { continue };
                    let p = format!("{pointer}/featureGates/{}", escape_segment(name));
                    feature_gates.push(FeatureGate {
                        name: name.clone(),
                        enabled,
                        pointer: p.clone(),
                    });
                    // Rules about gates read `--feature-gates`; each gate is its own
                    // flag so a finding points at that gate's line.
                    flags.push(Flag {
                        name: "--feature-gates".into(),
                        value: Some(format!("{name}={enabled}")),
                        pointer: p.clone(),
                        flag_pointer: p,
                        separate_value: false,
                    });
                }
            }
            feature_gates.extend(gates_from_flags(
                &flags
                    .iter()
                    .filter(|f| !f.pointer.contains("/featureGates/"))
                    .cloned()
                    .collect::<Vec<_>>(),
            ));
            self.components.push(Installed {
                component,
                shape,
                object: i,
                container: None,
                pointer: pointer.clone(),
                image,
                replicas: spec.get("replicas").and_then(Value::as_i64),
                flags: Ok(flags),
                feature_gates,
                service_type: spec
                    .get("serviceType")
                    .or_else(|| spec.get("networking").and_then(|n| n.get("serviceType")))
                    .and_then(Value::as_str)
                    .map(str::to_string),
            });
        }
    }
}

/// The tag of an image reference (`repo:tag`, not a registry port, not a digest).
fn image_tag(image: &str) -> Option<String> {
    let no_digest = image.split('@').next().unwrap_or(image);
    let last = no_digest.rsplit('/').next().unwrap_or(no_digest);
    last.split_once(':').map(|(_, t)| t.to_string())
}

/// CR and init-config component keys (the same names in both).
fn declared_component(key: &str) -> Option<Component> {
    Some(match key {
        "karmadaAPIServer" => Component::KarmadaApiserver,
        "karmadaAggregatedAPIServer" => Component::AggregatedApiserver,
        "karmadaControllerManager" => Component::ControllerManager,
        "karmadaScheduler" => Component::Scheduler,
        "karmadaWebhook" => Component::Webhook,
        "karmadaSearch" => Component::KarmadaSearch,
        "karmadaDescheduler" => Component::Descheduler,
        "karmadaMetricsAdapter" => Component::MetricsAdapter,
        "kubeControllerManager" => Component::KubeControllerManager,
        _ => return None,
    })
}

/// `extraArgs` as flags: a map (`{name: value}`, operator) or a list of `{name, value}`
/// (init config). Names are written without dashes; a value-less flag has an empty value.
fn extra_args(component_ptr: &str, v: Option<&Value>) -> Vec<Flag> {
    let flag = |name: &str, value: Option<&Value>, ptr: String, flag_ptr: String| {
        let name = format!("--{}", name.trim_start_matches('-'));
        let value = value.and_then(|v| match v {
            Value::String(s) => Some(s.clone()),
            Value::Null => None,
            other => Some(other.to_string()),
        });
        Flag {
            name,
            value,
            pointer: ptr,
            flag_pointer: flag_ptr,
            separate_value: false,
        }
    };
    let base = format!("{component_ptr}/extraArgs");
    match v {
        Some(Value::Object(m)) => m
            .iter()
            .map(|(k, v)| {
                let p = format!("{base}/{}", escape_segment(k));
                flag(k, Some(v), p.clone(), p)
            })
            .collect(),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .filter_map(|(i, it)| {
                let name = it.get("name")?.as_str()?;
                let item = format!("{base}/{i}");
                Some(flag(
                    name,
                    it.get("value"),
                    format!("{item}/value"),
                    format!("{item}/name"),
                ))
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn gates_from_flags(flags: &[Flag]) -> Vec<FeatureGate> {
    let mut out = Vec::new();
    for f in flags.iter().filter(|f| f.name == "--feature-gates") {
        for item in f.value.as_deref().unwrap_or("").split(',') {
            let Some((name, v)) = item.trim().split_once('=') else {
                continue;
            };
            if let Ok(enabled) = v.trim().parse::<bool>() {
                out.push(FeatureGate {
                    name: name.trim().to_string(),
                    enabled,
                    pointer: f.pointer.clone(),
                });
            }
        }
    }
    out
}

fn etcd_of(object: usize, pointer: &str, spec: &Value) -> Option<EtcdAt> {
    if spec.get("external").is_some_and(|e| !e.is_null()) {
        let ext = &spec["external"];
        let endpoints = ext
            .get("endpoints")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        let inline_cert_fields = ["caData", "certData", "keyData"]
            .iter()
            .filter(|k| ext.get(**k).is_some_and(|v| !v.is_null()))
            .map(|k| format!("{pointer}/external/{k}"))
            .collect();
        return Some(EtcdAt {
            object,
            pointer: format!("{pointer}/external"),
            mode: EtcdMode::External {
                endpoints,
                inline_cert_fields,
            },
        });
    }
    spec.get("local").filter(|l| !l.is_null()).map(|_| EtcdAt {
        object,
        pointer: format!("{pointer}/local"),
        mode: EtcdMode::Local,
    })
}
