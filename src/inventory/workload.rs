//! Views over workloads: their containers, command-line flags and mounted Secrets, and
//! which Karmada component a workload is. Components are recognised by image, command,
//! name and labels together, because Helm names them after the release
//! (`<release>-apiserver`) and other installers use their own names.

use serde_json::Value;

use super::object::Object;
use super::store::{Inventory, ScopeSel};
use crate::text::Node;

/// Pointer to the pod spec inside a workload of `kind`.
pub fn pod_spec_pointer(kind: &str) -> Option<&'static str> {
    match kind {
        "Deployment"
        | "StatefulSet"
        | "DaemonSet"
        | "ReplicaSet"
        | "Job"
        | "ReplicationController" => Some("/spec/template/spec"),
        "Pod" => Some("/spec"),
        "CronJob" => Some("/spec/jobTemplate/spec/template/spec"),
        _ => None,
    }
}

/// A workload's pod spec and its pointer: its containers are then reached by key, with
/// no pointer formatted per call (component identification and the container rules ask
/// on every workload).
fn pod_spec(object: &Object) -> Option<(&'static str, Node<'_>)> {
    let ps = pod_spec_pointer(object.kind())?;
    Some((ps, object.node(ps)?))
}

pub const WORKLOAD_KINDS: &[&str] = &["Deployment", "StatefulSet", "DaemonSet", "Pod"];

/// One container of a workload.
#[derive(Debug, Clone, Copy)]
pub struct ContainerRef<'a> {
    pub object: &'a Object,
    pub index: usize,
    pub value: Node<'a>,
    pod_spec: &'static str,
}

/// A command-line flag as written in the manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flag {
    /// With its dashes: `--etcd-servers`.
    pub name: String,
    pub value: Option<String>,
    /// Pointer to the token that holds the value (`--f=v`, or the `v` of `--f v`).
    pub pointer: String,
    /// Pointer to the token that holds the flag name.
    pub flag_pointer: String,
    /// True for `--f v` (two tokens), false for `--f=v`.
    pub separate_value: bool,
}

/// A command or args list, or one of its items, of the wrong type.
struct BadToken {
    field: &'static str,
    /// None: the list itself.
    item: Option<usize>,
    type_name: &'static str,
}

/// A field that the rules read has the wrong type (e.g. `command: "kube-apiserver ..."`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeProblem {
    pub pointer: String,
    pub message: String,
}

impl<'a> ContainerRef<'a> {
    pub fn containers(object: &'a Object) -> Vec<ContainerRef<'a>> {
        let Some((ps, list)) =
            pod_spec(object).and_then(|(ps, spec)| Some((ps, spec.get("containers")?.items()?)))
        else {
            return Vec::new();
        };
        list.enumerate()
            .filter(|(_, c)| c.is_object())
            .map(|(index, value)| ContainerRef {
                object,
                index,
                value,
                pod_spec: ps,
            })
            .collect()
    }

    /// Container `index` of the workload (as [`ContainerRef::containers`] lists it).
    pub fn nth(object: &'a Object, index: usize) -> Option<ContainerRef<'a>> {
        let (ps, spec) = pod_spec(object)?;
        let value = spec
            .get("containers")?
            .index(index)
            .filter(|c| c.is_object())?;
        Some(ContainerRef {
            object,
            index,
            value,
            pod_spec: ps,
        })
    }

    pub fn pointer(&self) -> String {
        format!("{}/containers/{}", self.pod_spec, self.index)
    }

    pub fn pod_spec_ptr(&self) -> &'static str {
        self.pod_spec
    }

    pub fn pod_spec(&self) -> Option<Node<'a>> {
        self.object.node(self.pod_spec)
    }

    pub fn name(&self) -> &'a str {
        self.value
            .get("name")
            .and_then(|n| n.as_str())
            .unwrap_or("")
    }

    pub fn image(&self) -> &'a str {
        self.value
            .get("image")
            .and_then(|n| n.as_str())
            .unwrap_or("")
    }

    /// The last path segment of the image repository, without tag or digest:
    /// `k8s.gcr.io/kube-apiserver:v1.21.7` → `kube-apiserver`.
    pub fn image_name(&self) -> &'a str {
        image_base_name(self.image())
    }

    /// Each command and args token, in the order the container runtime joins them, with
    /// the field and item it came from; stops at the first item (or list) of the wrong
    /// type. Pointers are not written here: most callers want only the first token.
    fn each_token(&self, mut f: impl FnMut(&str, &'static str, usize)) -> Result<(), BadToken> {
        let mut number = String::new();
        for field in ["command", "args"] {
            let Some(list) = self.value.get(field).filter(|n| !n.is_null()) else {
                continue;
            };
            let Some(items) = list.items() else {
                return Err(BadToken {
                    field,
                    item: None,
                    type_name: list.type_name(),
                });
            };
            for (i, item) in items.enumerate() {
                if let Some(s) = item.as_str() {
                    // `sh -c "kube-apiserver --a=b ..."`: split the script so its
                    // flags are seen too; they all point at that one token.
                    if s.contains(char::is_whitespace) && s.contains("--") {
                        s.split_whitespace().for_each(|t| f(t, field, i));
                    } else {
                        f(s, field, i);
                    }
                } else if item.is_number() || item.is_boolean() {
                    number.clear();
                    number.push_str(&item.to_value().to_string());
                    f(&number, field, i);
                } else {
                    return Err(BadToken {
                        field,
                        item: Some(i),
                        type_name: item.type_name(),
                    });
                }
            }
        }
        Ok(())
    }

    /// All command and args tokens with the pointer of the item each came from.
    fn tokens(&self) -> Result<Vec<(String, String)>, TypeProblem> {
        let mut out: Vec<(String, String)> = Vec::new();
        let base = self.pointer();
        // Tokens split from one item share its pointer, written once.
        let mut last: Option<(&'static str, usize, String)> = None;
        let walked = self.each_token(|t, field, i| {
            let p = match &last {
                Some((f, n, p)) if *f == field && *n == i => p.clone(),
                _ => {
                    let p = format!("{base}/{field}/{i}");
                    last = Some((field, i, p.clone()));
                    p
                }
            };
            out.push((t.to_string(), p));
        });
        match walked {
            Ok(()) => Ok(out),
            Err(BadToken {
                field,
                item: None,
                type_name,
            }) => Err(TypeProblem {
                pointer: format!("{base}/{field}"),
                message: format!("{field} is {type_name}, expected a list of strings"),
            }),
            Err(BadToken {
                field,
                item: Some(i),
                type_name,
            }) => Err(TypeProblem {
                pointer: format!("{base}/{field}/{i}"),
                message: format!("{field}[{i}] is {type_name}, expected a string"),
            }),
        }
    }

    /// The executable: the first token (of command, or of args when there is no command).
    /// None when there is none, or when command or args has an item of the wrong type.
    pub fn executable(&self) -> Option<String> {
        let mut first = None;
        self.each_token(|t, _, _| {
            if first.is_none() {
                first = Some(t.to_string());
            }
        })
        .ok()?;
        first
    }

    /// Every `--flag` with its value. Both `--f=v` and `--f v` are understood; for the
    /// latter the next token is the value unless it is itself a flag (kube-apiserver and
    /// Karmada's binaries take no positional arguments, so this is unambiguous there).
    pub fn flags(&self) -> Result<Vec<Flag>, TypeProblem> {
        let tokens = self.tokens()?;
        let mut flags = Vec::new();
        let mut i = 0;
        while i < tokens.len() {
            let (tok, ptr) = &tokens[i];
            if tok.starts_with('-') && tok.len() > 1 {
                let name_part = tok.trim_start_matches('-');
                let dashes = &tok[..tok.len() - name_part.len()];
                if let Some((n, v)) = name_part.split_once('=') {
                    flags.push(Flag {
                        name: format!("{dashes}{n}"),
                        value: Some(v.to_string()),
                        pointer: ptr.clone(),
                        flag_pointer: ptr.clone(),
                        separate_value: false,
                    });
                } else if let Some((v, vptr)) =
                    tokens.get(i + 1).filter(|(t, _)| !t.starts_with('-'))
                {
                    flags.push(Flag {
                        name: tok.clone(),
                        value: Some(v.clone()),
                        pointer: vptr.clone(),
                        flag_pointer: ptr.clone(),
                        separate_value: true,
                    });
                    i += 1;
                } else {
                    flags.push(Flag {
                        name: tok.clone(),
                        value: None,
                        pointer: ptr.clone(),
                        flag_pointer: ptr.clone(),
                        separate_value: false,
                    });
                }
            }
            i += 1;
        }
        Ok(flags)
    }

    /// The effective value of a flag: the last occurrence wins, as with Go's pflag.
    pub fn flag(&self, name: &str) -> Result<Option<Flag>, TypeProblem> {
        Ok(self.flags()?.into_iter().rev().find(|f| f.name == name))
    }

    /// Pointer of the list new flags should be appended to (`command` when the flags
    /// live there, else `args`).
    pub fn flag_list_pointer(&self) -> String {
        let has_args = self
            .value
            .get("args")
            .and_then(|a| a.items())
            .is_some_and(|a| a.len() > 0);
        let cmd_has_flags = self
            .value
            .get("command")
            .and_then(|c| c.items())
            .is_some_and(|mut a| a.any(|t| t.as_str().is_some_and(|s| s.starts_with("--"))));
        let field = if cmd_has_flags || !has_args {
            "command"
        } else {
            "args"
        };
        format!("{}/{field}", self.pointer())
    }

    /// The Secret (name, key) a file path inside this container comes from, following
    /// volumeMounts to `volumes[].secret` (and `projected` Secret sources) — never by a
    /// fixed Secret name, because each installer names it differently.
    pub fn secret_for_path(&self, path: &str) -> Option<SecretFile> {
        let mounts = self.value.get("volumeMounts")?.items()?;
        let mut best: Option<(Node<'a>, &str)> = None;
        for m in mounts {
            let Some(mp) = m.get("mountPath").and_then(|n| n.as_str()) else {
                continue;
            };
            let mp_trim = mp.trim_end_matches('/');
            let under = path == mp_trim || path.starts_with(&format!("{mp_trim}/"));
            if under && best.is_none_or(|(_, b)| mp_trim.len() > b.len()) {
                best = Some((m, mp_trim));
            }
        }
        let (mount, mp) = best?;
        let vol_name = mount.get("name")?.as_str()?;
        let rel = path.strip_prefix(mp).unwrap_or("").trim_start_matches('/');
        let sub_path = mount.get("subPath").and_then(|n| n.as_str());
        let file_in_volume = match sub_path {
            // With subPath the mount *is* that file (or a directory inside the volume).
            Some(sp) if rel.is_empty() => sp.to_string(),
            Some(sp) => format!("{}/{rel}", sp.trim_end_matches('/')),
            None => rel.to_string(),
        };
        let volumes = self.pod_spec()?.get("volumes")?.items()?;
        let (vi, vol) = volumes
            .enumerate()
            .find(|(_, v)| v.get("name").and_then(|n| n.as_str()) == Some(vol_name))?;
        let vptr = format!("{}/volumes/{vi}", self.pod_spec);
        let mut sources: Vec<(Node<'a>, String)> = Vec::new();
        if let Some(s) = vol.get("secret") {
            sources.push((s, format!("{vptr}/secret")));
        }
        if let Some(ps) = vol.lookup("/projected/sources").and_then(|n| n.items()) {
            for (i, s) in ps.enumerate() {
                if let Some(sec) = s.get("secret") {
                    sources.push((sec, format!("{vptr}/projected/sources/{i}/secret")));
                }
            }
        }
        for (sec, sptr) in sources {
            let name = sec
                .get("secretName")
                .or_else(|| sec.get("name"))
                .and_then(|n| n.as_str())?;
            // `items` maps keys to other file names; without items each key is a file.
            let key = match sec.get("items").and_then(|n| n.items()) {
                Some(mut items) => items.find_map(|it| {
                    (it.get("path").and_then(|n| n.as_str()) == Some(file_in_volume.as_str()))
                        .then(|| it.get("key").and_then(|n| n.as_str()).map(str::to_string))
                        .flatten()
                }),
                None => Some(file_in_volume.clone()),
            };
            if let Some(key) = key.filter(|k| !k.is_empty() && !k.contains('/')) {
                return Some(SecretFile {
                    secret_name: name.to_string(),
                    key,
                    volume_pointer: sptr,
                });
            }
        }
        None
    }
}

/// A file inside a container that comes from a Secret key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretFile {
    pub secret_name: String,
    pub key: String,
    /// Pointer (in the workload) to the volume's secret source.
    pub volume_pointer: String,
}

pub fn image_base_name(image: &str) -> &str {
    let no_digest = image.split('@').next().unwrap_or(image);
    let last = no_digest.rsplit('/').next().unwrap_or(no_digest);
    last.split(':').next().unwrap_or(last)
}

pub fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

/// The Karmada components the rules need to find.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Component {
    KarmadaApiserver,
    AggregatedApiserver,
    KarmadaAgent,
    ControllerManager,
    Scheduler,
    Webhook,
    KarmadaSearch,
    Descheduler,
    SchedulerEstimator,
    /// The stock kube-controller-manager the Karmada control plane runs (namespace,
    /// garbage collector, token and CSR controllers); its flags follow Kubernetes releases.
    KubeControllerManager,
    MetricsAdapter,
    /// karmada-operator itself (its version is the installation's, for operator installs).
    Operator,
}

impl Component {
    pub const ALL: &'static [Component] = &[
        Component::KarmadaApiserver,
        Component::AggregatedApiserver,
        Component::KarmadaAgent,
        Component::ControllerManager,
        Component::Scheduler,
        Component::Webhook,
        Component::KarmadaSearch,
        Component::Descheduler,
        Component::SchedulerEstimator,
        Component::KubeControllerManager,
        Component::MetricsAdapter,
        Component::Operator,
    ];

    pub fn display(&self) -> &'static str {
        match self {
            Component::KarmadaApiserver => "karmada-apiserver",
            Component::AggregatedApiserver => "karmada-aggregated-apiserver",
            Component::KarmadaAgent => "karmada-agent",
            Component::ControllerManager => "karmada-controller-manager",
            Component::Scheduler => "karmada-scheduler",
            Component::Webhook => "karmada-webhook",
            Component::KarmadaSearch => "karmada-search",
            Component::Descheduler => "karmada-descheduler",
            Component::SchedulerEstimator => "karmada-scheduler-estimator",
            Component::KubeControllerManager => "kube-controller-manager",
            Component::MetricsAdapter => "karmada-metrics-adapter",
            Component::Operator => "karmada-operator",
        }
    }

    /// Every component the container belongs to (usually none or one), in [`Component::ALL`]
    /// order. The command line is tokenised once here, not once per component asked about.
    pub(crate) fn identify(c: &ContainerRef<'_>) -> Vec<Component> {
        let exe = c.executable().unwrap_or_default();
        let exe_base = exe.rsplit('/').next().unwrap_or("");
        let image = c.image_name();
        Component::ALL
            .iter()
            .copied()
            .filter(|k| k.matches_named(c, exe_base, image))
            .collect()
    }

    fn matches_named(&self, c: &ContainerRef<'_>, exe_base: &str, image: &str) -> bool {
        match self {
            // karmada-apiserver is a stock kube-apiserver: recognise the binary, then
            // tell it from the host's own apiserver by Karmada naming (name, labels,
            // namespace) — the host's runs as a static pod in kube-system.
            Component::KarmadaApiserver => {
                let is_kube_apiserver = image == "kube-apiserver" || exe_base == "kube-apiserver";
                is_kube_apiserver && mentions_karmada(c.object)
            }
            // Same reasoning: a stock binary, told from the host's own by Karmada naming.
            Component::KubeControllerManager => {
                let is_kcm =
                    image == "kube-controller-manager" || exe_base == "kube-controller-manager";
                is_kcm && mentions_karmada(c.object)
            }
            other => {
                let want = other.display();
                image == want || exe_base == want
            }
        }
    }
}

fn mentions_karmada(o: &Object) -> bool {
    let name = o.name();
    let in_labels = o.labels().is_some_and(|l| {
        l.entries()
            .into_iter()
            .flatten()
            .any(|(_, v)| v.as_str().is_some_and(|s| s.contains("karmada")))
    });
    name.contains("karmada") || in_labels || o.namespace().is_some_and(|ns| ns != "kube-system")
}

/// A workload container that belongs to a Karmada component: object index in the
/// inventory, container index in its pod spec.
#[derive(Debug, Clone, Copy)]
pub struct ComponentContainer {
    pub component: Component,
    pub object: usize,
    pub container: usize,
}

/// Every container of every workload that belongs to a component, in [`WORKLOAD_KINDS`]
/// order, then load order, then container order. Computed once per inventory
/// ([`Inventory::component_containers`]): identifying a component tokenises the command
/// line, and a fleet's bundle holds tens of thousands of workloads that are not Karmada's.
pub fn component_containers(inv: &Inventory) -> Vec<ComponentContainer> {
    static ALL: ScopeSel = ScopeSel::All;
    let mut out = Vec::new();
    for kind in WORKLOAD_KINDS {
        for (object, o) in inv.indexed_of_kind(kind, &ALL) {
            for c in ContainerRef::containers(o) {
                for component in Component::identify(&c) {
                    out.push(ComponentContainer {
                        component,
                        object,
                        container: c.index,
                    });
                }
            }
        }
    }
    out
}

/// Every container of `component` in the selected scopes.
pub fn find_component<'a>(
    inv: &'a Inventory,
    component: Component,
    sel: &ScopeSel,
) -> Vec<ContainerRef<'a>> {
    inv.component_containers()
        .iter()
        .filter(|cc| cc.component == component)
        .map(|cc| (inv.object(cc.object), cc.container))
        .filter(|(o, _)| sel.matches(o.r.scope()))
        .filter_map(|(o, i)| ContainerRef::nth(o, i))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::{Object, ObjectRef, Origin, Scope};
    use serde_json::json;

    fn deploy(containers: Value, volumes: Value) -> Object {
        Object::new(
            ObjectRef::new(
                Scope::Pool,
                "apps/v1",
                "Deployment",
                Some("karmada-system"),
                "x",
            ),
            &json!({"spec": {"template": {"spec": {"containers": containers, "volumes": volumes}}}}),
            Origin::Live {
                cluster: "t".into(),
            },
        )
    }

    #[test]
    fn flags_in_both_forms_and_last_wins() {
        let o = deploy(
            json!([{"name": "a", "command": ["kube-apiserver", "--a=1", "--b", "2", "--c"], "args": ["--a=3"]}]),
            json!([]),
        );
        let c = ContainerRef::containers(&o)[0];
        let flags = c.flags().unwrap();
        assert_eq!(flags.len(), 4);
        assert_eq!(flags[1].value.as_deref(), Some("2"));
        assert_eq!(
            flags[1].pointer,
            "/spec/template/spec/containers/0/command/3"
        );
        assert_eq!(c.flag("--a").unwrap().unwrap().value.as_deref(), Some("3"));
        assert_eq!(c.flag("--c").unwrap().unwrap().value, None);
    }

    #[test]
    fn wrong_type_command_is_a_type_problem() {
        let o = deploy(
            json!([{"name": "a", "command": "kube-apiserver --a=1"}]),
            json!([]),
        );
        let c = ContainerRef::containers(&o)[0];
        let e = c.flags().unwrap_err();
        assert_eq!(e.pointer, "/spec/template/spec/containers/0/command");
        assert!(e.message.contains("a string"));
    }

    #[test]
    fn secret_follows_mounts() {
        let o = deploy(
            json!([{"name": "a", "volumeMounts": [{"name": "certs", "mountPath": "/etc/kubernetes/pki"}]}]),
            json!([{"name": "certs", "secret": {"secretName": "karmada-cert"}}]),
        );
        let c = ContainerRef::containers(&o)[0];
        let f = c
            .secret_for_path("/etc/kubernetes/pki/front-proxy-ca.crt")
            .unwrap();
        assert_eq!(f.secret_name, "karmada-cert");
        assert_eq!(f.key, "front-proxy-ca.crt");
        assert!(c.secret_for_path("/etc/other/x").is_none());
    }

    #[test]
    fn image_names() {
        assert_eq!(
            image_base_name("k8s.gcr.io/kube-apiserver:v1.21.7"),
            "kube-apiserver"
        );
        assert_eq!(
            image_base_name("localhost:5000/karmada/karmada-agent@sha256:ab"),
            "karmada-agent"
        );
        assert_eq!(image_base_name("kube-apiserver"), "kube-apiserver");
    }
}
