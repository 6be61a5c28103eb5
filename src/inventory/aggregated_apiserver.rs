//! The karmada-aggregated-apiserver an installation needs, computed from what the input
//! holds: when the check finds none, its fix deploys this. Read off the real
//! karmada-apiserver (namespace, etcd endpoints and cert paths, cert Secrets), the
//! kubeconfig Secret other components use, and the registry of the other Karmada images,
//! so it fits hack/artifacts, Helm and karmadactl-init layouts alike.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::workload::{find_component, Component, ContainerRef};
use super::{Inventory, ScopeSel};
use crate::k8s::ImageRef;

const DEFAULT_REGISTRY: &str = "swr.ap-southeast-1.myhuaweicloud.com/karmada";
const DEFAULT_NS: &str = "karmada-system";

/// What the computed manifests are built from, read off the real installation.
pub struct AggregatedApiserverModel {
    pub namespace: String,
    pub name: String,
    /// `(--flag, value)` in command-line order.
    pub flags: Vec<(String, String)>,
    volumes: Vec<Value>,
    mounts: Vec<Value>,
    /// `<registry>/<namespace>` the image is published under.
    registry: String,
    /// Where each value came from, for the summary; empty when no karmada-apiserver was
    /// in the input and the artifacts' defaults are used.
    pub notes: Vec<String>,
}

fn dir_of(path: &str) -> &str {
    path.rsplit_once('/')
        .map(|(d, _)| d)
        .filter(|d| !d.is_empty())
        .unwrap_or("/")
}

fn base_of(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

impl AggregatedApiserverModel {
    /// Read off `inv`: the karmada-apiserver's namespace, name prefix, etcd and TLS flags
    /// and the Secrets they come from, the kubeconfig Secret of the controller-manager,
    /// and the registry of the other Karmada images.
    pub fn read(inv: &Inventory) -> AggregatedApiserverModel {
        let apiservers = find_component(inv, Component::KarmadaApiserver, &ScopeSel::Host);
        let api = apiservers.first();
        let mut notes = Vec::new();
        let namespace = api
            .and_then(|c| c.object.namespace())
            .unwrap_or(DEFAULT_NS)
            .to_string();
        // Helm names components `<release>-apiserver`; keep that prefix.
        let name = api
            .and_then(|c| c.object.name().strip_suffix("-apiserver"))
            .map(|p| format!("{p}-aggregated-apiserver"))
            .unwrap_or_else(|| "karmada-aggregated-apiserver".into());
        let flag = |n: &str, d: &str| {
            api.and_then(|c| c.flag(n).ok().flatten())
                .and_then(|f| f.value)
                .unwrap_or_else(|| d.to_string())
        };
        let pki = "/etc/kubernetes/pki";
        let files = [
            (
                "--etcd-cafile",
                flag("--etcd-cafile", &format!("{pki}/server-ca.crt")),
            ),
            (
                "--etcd-certfile",
                flag("--etcd-certfile", &format!("{pki}/karmada.crt")),
            ),
            (
                "--etcd-keyfile",
                flag("--etcd-keyfile", &format!("{pki}/karmada.key")),
            ),
            (
                "--tls-cert-file",
                flag("--tls-cert-file", &format!("{pki}/karmada.crt")),
            ),
            (
                "--tls-private-key-file",
                flag("--tls-private-key-file", &format!("{pki}/karmada.key")),
            ),
        ];
        let servers = flag(
            "--etcd-servers",
            &format!("https://etcd-client.{namespace}.svc.cluster.local:2379"),
        );
        if let Some(c) = api {
            notes.push(format!(
                "etcd and TLS flags and cert Secret from {}",
                c.object.r
            ));
        }
        // Mount each certificate directory from the Secret karmada-apiserver uses for it.
        let mut dirs: BTreeMap<String, (String, Vec<(String, String)>)> = BTreeMap::new();
        for (_, path) in &files {
            let src = api.and_then(|c| c.secret_for_path(path));
            let (secret, key) = match src {
                Some(s) => (s.secret_name, s.key),
                None => ("karmada-cert-secret".to_string(), base_of(path).to_string()),
            };
            let entry = dirs
                .entry(dir_of(path).to_string())
                .or_insert_with(|| (secret, Vec::new()));
            entry.1.push((key, base_of(path).to_string()));
        }
        let mut volumes = Vec::new();
        let mut mounts = Vec::new();
        for (i, (dir, (secret, items))) in dirs.iter().enumerate() {
            let vname = if i == 0 {
                "k8s-certs".to_string()
            } else {
                format!("k8s-certs-{}", i + 1)
            };
            let mut sec = json!({"secretName": secret});
            if items.iter().any(|(k, f)| k != f) {
                let mut seen = Vec::new();
                for (k, f) in items {
                    if !seen.iter().any(|(a, _): &(String, String)| a == k) {
                        seen.push((k.clone(), f.clone()));
                    }
                }
                sec["items"] = seen
                    .iter()
                    .map(|(k, f)| json!({"key": k, "path": f}))
                    .collect();
            }
            volumes.push(json!({"name": vname, "secret": sec}));
            mounts.push(json!({"name": vname, "mountPath": dir, "readOnly": true}));
        }
        // The kubeconfig for karmada-apiserver: the Secret the controller-manager mounts
        // for its --kubeconfig (Helm: `<release>-kubeconfig`).
        let (kc_secret, kc_key) =
            find_component(inv, Component::ControllerManager, &ScopeSel::Host)
                .iter()
                .find_map(|c| {
                    let path = c.flag("--kubeconfig").ok().flatten()?.value?;
                    let sf = c.secret_for_path(&path)?;
                    notes.push(format!(
                        "kubeconfig Secret {} from {}",
                        sf.secret_name, c.object.r
                    ));
                    Some((sf.secret_name, sf.key))
                })
                .unwrap_or_else(|| ("kubeconfig".into(), "kubeconfig".into()));
        volumes.push(json!({"name": "kubeconfig", "secret": {"secretName": kc_secret}}));
        mounts
            .push(json!({"name": "kubeconfig", "subPath": kc_key, "mountPath": "/etc/kubeconfig"}));
        let registry = registry(inv, &mut notes);
        let mut flags: Vec<(String, String)> = [
            "--kubeconfig",
            "--authentication-kubeconfig",
            "--authorization-kubeconfig",
            "--karmada-config",
        ]
        .iter()
        .map(|f| (f.to_string(), "/etc/kubeconfig".to_string()))
        .collect();
        flags.push(("--etcd-servers".into(), servers));
        flags.extend(files.iter().map(|(f, v)| (f.to_string(), v.clone())));
        AggregatedApiserverModel {
            namespace,
            name,
            flags,
            volumes,
            mounts,
            registry,
            notes,
        }
    }

    /// The Deployment running `tag` of the image and its Service on `port`, modelled on
    /// the v1.0.0 artifacts.
    pub fn manifests(&self, tag: &str, port: i64) -> (Value, Value) {
        let m = self;
        let image = format!("{}/karmada-aggregated-apiserver:{tag}", m.registry);
        let labels = json!({"app": m.name, "apiserver": "true"});
        let mut command = vec![json!("/bin/karmada-aggregated-apiserver")];
        command.extend(m.flags.iter().map(|(f, v)| json!(format!("{f}={v}"))));
        for extra in [
            "--audit-log-path=-",
            "--feature-gates=APIPriorityAndFairness=false",
            "--audit-log-maxage=0",
            "--audit-log-maxbackup=0",
        ] {
            command.push(json!(extra));
        }
        let deploy = json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": m.name, "namespace": m.namespace, "labels": labels},
            "spec": {
                "selector": {"matchLabels": labels},
                "replicas": 1,
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {
                        "automountServiceAccountToken": false,
                        "containers": [{
                            "name": "karmada-aggregated-apiserver",
                            "image": image,
                            "imagePullPolicy": "IfNotPresent",
                            "volumeMounts": m.mounts,
                            "command": command,
                            "resources": {"requests": {"cpu": "100m"}},
                        }],
                        "volumes": m.volumes,
                    }
                }
            }
        });
        let svc = json!({
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": m.name, "namespace": m.namespace, "labels": labels},
            "spec": {
                "ports": [{"port": port, "protocol": "TCP", "targetPort": port}],
                "selector": {"app": m.name},
            }
        });
        (deploy, svc)
    }
}

/// `<registry>/<namespace>` of the other Karmada images (the aggregated apiserver is
/// published next to them).
fn registry(inv: &Inventory, notes: &mut Vec<String>) -> String {
    for comp in [
        Component::ControllerManager,
        Component::Scheduler,
        Component::Webhook,
    ] {
        for c in find_component(inv, comp, &ScopeSel::Host) {
            if let Ok(img) = ImageRef::parse(c.image()) {
                let repo_dir = img.repository().rsplit_once('/').map(|(d, _)| d);
                let base = match (img.registry(), repo_dir) {
                    (Some(r), Some(d)) => format!("{r}/{d}"),
                    (Some(r), None) => r.to_string(),
                    (None, Some(d)) => d.to_string(),
                    (None, None) => continue,
                };
                notes.push(format!("image registry from {}", c.object.r));
                return base;
            }
        }
    }
    DEFAULT_REGISTRY.into()
}

/// A Secret a container's pod mounts, as a `secret` volume or a projected source.
pub struct MountedSecret {
    pub name: String,
    /// The field naming it.
    pub pointer: String,
}

/// The Secrets the pod of `c` mounts, in volume order.
pub fn mounted_secrets(c: &ContainerRef<'_>) -> Vec<MountedSecret> {
    let ps = c.pod_spec_ptr();
    let mut out = Vec::new();
    let Some(vols) = c
        .pod_spec()
        .and_then(|s| s.get("volumes"))
        .and_then(|v| v.items())
    else {
        return out;
    };
    for (i, v) in vols.enumerate() {
        if let Some(n) = v.lookup("/secret/secretName").and_then(|n| n.as_str()) {
            out.push(MountedSecret {
                name: n.to_string(),
                pointer: format!("{ps}/volumes/{i}/secret/secretName"),
            });
        }
        if let Some(srcs) = v.lookup("/projected/sources").and_then(|n| n.items()) {
            for (j, s) in srcs.enumerate() {
                if let Some(n) = s.lookup("/secret/name").and_then(|n| n.as_str()) {
                    out.push(MountedSecret {
                        name: n.to_string(),
                        pointer: format!("{ps}/volumes/{i}/projected/sources/{j}/secret/name"),
                    });
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::{Object, ObjectRef, Origin, Scope};

    fn deployment(name: &str, container: Value, volumes: Value) -> Object {
        Object::new(
            ObjectRef::new(
                Scope::Host,
                "apps/v1",
                "Deployment",
                Some("fleet-system"),
                name,
            ),
            &json!({"kind": "Deployment", "metadata": {"name": name, "namespace": "fleet-system"},
                "spec": {"template": {"spec": {"containers": [container], "volumes": volumes}}}}),
            Origin::Live {
                cluster: "host".into(),
            },
        )
    }

    #[test]
    fn a_helm_release_gives_its_name_namespace_etcd_flags_cert_secret_and_registry() {
        let mut inv = Inventory::new();
        inv.push(deployment(
            "fleet-apiserver",
            json!({"name": "apiserver", "image": "registry.k8s.io/kube-apiserver:v1.25.4",
                "command": ["kube-apiserver", "--etcd-servers=https://etcd.fleet-system.svc:2379",
                    "--etcd-cafile=/etc/etcd/pki/ca.crt", "--etcd-certfile=/etc/etcd/pki/client.crt",
                    "--etcd-keyfile=/etc/etcd/pki/client.key", "--tls-cert-file=/etc/kubernetes/pki/server.crt",
                    "--tls-private-key-file=/etc/kubernetes/pki/server.key"],
                "volumeMounts": [{"name": "etcd", "mountPath": "/etc/etcd/pki"}, {"name": "certs", "mountPath": "/etc/kubernetes/pki"}]}),
            json!([{"name": "etcd", "secret": {"secretName": "fleet-etcd-cert"}},
                {"name": "certs", "secret": {"secretName": "fleet-cert"}}]),
        ));
        inv.push(deployment(
            "fleet-controller-manager",
            json!({"name": "cm", "image": "docker.io/karmada/karmada-controller-manager:v1.16.0",
                "command": ["/bin/karmada-controller-manager", "--kubeconfig=/etc/kubeconfig/config"],
                "volumeMounts": [{"name": "kc", "mountPath": "/etc/kubeconfig"}]}),
            json!([{"name": "kc", "secret": {"secretName": "fleet-kubeconfig"}}]),
        ));
        let m = AggregatedApiserverModel::read(&inv);
        assert_eq!(m.namespace, "fleet-system");
        assert_eq!(m.name, "fleet-aggregated-apiserver");
        let flag = |n: &str| {
            m.flags
                .iter()
                .find(|(f, _)| f == n)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(
            flag("--etcd-servers"),
            Some("https://etcd.fleet-system.svc:2379")
        );
        assert_eq!(flag("--etcd-certfile"), Some("/etc/etcd/pki/client.crt"));
        assert_eq!(
            flag("--tls-cert-file"),
            Some("/etc/kubernetes/pki/server.crt")
        );
        let (deploy, svc) = m.manifests("v1.16.0", 443);
        let pod = &deploy["spec"]["template"]["spec"];
        assert_eq!(
            pod["containers"][0]["image"],
            "docker.io/karmada/karmada-aggregated-apiserver:v1.16.0"
        );
        let secrets: Vec<&str> = pod["volumes"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|v| v["secret"]["secretName"].as_str())
            .collect();
        assert_eq!(
            secrets,
            ["fleet-etcd-cert", "fleet-cert", "fleet-kubeconfig"]
        );
        assert_eq!(svc["spec"]["ports"][0]["port"], 443);
        assert_eq!(svc["spec"]["selector"]["app"], "fleet-aggregated-apiserver");
    }

    #[test]
    fn with_no_karmada_apiserver_the_artifacts_defaults_are_used_and_no_note_claims_a_source() {
        let m = AggregatedApiserverModel::read(&Inventory::new());
        assert_eq!(m.namespace, "karmada-system");
        assert_eq!(m.name, "karmada-aggregated-apiserver");
        assert!(m.notes.is_empty());
        let (deploy, _) = m.manifests("v1.0.0", 443);
        assert_eq!(
            deploy["spec"]["template"]["spec"]["containers"][0]["image"],
            format!("{DEFAULT_REGISTRY}/karmada-aggregated-apiserver:v1.0.0")
        );
    }

    #[test]
    fn mounted_secrets_name_secret_volumes_and_projected_sources_at_their_fields() {
        let o = deployment(
            "x",
            json!({"name": "c", "image": "i"}),
            json!([{"name": "a", "secret": {"secretName": "one"}},
                {"name": "b", "projected": {"sources": [{"configMap": {"name": "cm"}}, {"secret": {"name": "two"}}]}}]),
        );
        let c = ContainerRef::containers(&o)[0];
        let got: Vec<(String, String)> = mounted_secrets(&c)
            .into_iter()
            .map(|s| (s.name, s.pointer))
            .collect();
        assert_eq!(
            got,
            [
                (
                    "one".to_string(),
                    "/spec/template/spec/volumes/0/secret/secretName".to_string()
                ),
                (
                    "two".to_string(),
                    "/spec/template/spec/volumes/1/projected/sources/1/secret/name".to_string()
                ),
            ]
        );
    }
}
