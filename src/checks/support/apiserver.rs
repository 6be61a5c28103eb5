//! Facts read off the karmada-apiserver workload that several rules and remediations
//! reuse: its etcd connection and where its certificates come from.

use crate::inventory::workload::{find_component, Component, ContainerRef};
use crate::inventory::{Inventory, ScopeSel};

/// The karmada-apiserver containers (host scope or the pool).
pub fn karmada_apiservers(inv: &Inventory) -> Vec<ContainerRef<'_>> {
    static HOST: ScopeSel = ScopeSel::Host;
    find_component(inv, Component::KarmadaApiserver, &HOST)
}

/// etcd connection flags as found on karmada-apiserver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EtcdAccess {
    pub servers: Option<String>,
    pub cafile: Option<String>,
    pub certfile: Option<String>,
    pub keyfile: Option<String>,
    /// `--etcd-prefix`, `/registry` unless overridden.
    pub prefix: String,
    /// Where the cert files come from, e.g. `Secret karmada-system/karmada-cert-secret`.
    pub secret_note: Option<String>,
    /// The object the flags were read from, for the report.
    pub source: Option<String>,
}

impl EtcdAccess {
    pub fn from_apiserver(c: &ContainerRef<'_>) -> EtcdAccess {
        let flag = |n: &str| c.flag(n).ok().flatten().and_then(|f| f.value);
        let cafile = flag("--etcd-cafile");
        let certfile = flag("--etcd-certfile");
        let keyfile = flag("--etcd-keyfile");
        let mut secrets: Vec<String> = Vec::new();
        for p in [&cafile, &certfile, &keyfile].into_iter().flatten() {
            if let Some(sf) = c.secret_for_path(p) {
                let ns = c.object.namespace().unwrap_or("default");
                let s = format!("{}:{} (Secret {ns}/{})", p, sf.key, sf.secret_name);
                secrets.push(s);
            }
        }
        EtcdAccess {
            servers: flag("--etcd-servers"),
            cafile,
            certfile,
            keyfile,
            prefix: flag("--etcd-prefix").unwrap_or_else(|| "/registry".into()),
            secret_note: (!secrets.is_empty()).then(|| secrets.join(", ")),
            source: Some(c.object.r.to_string()),
        }
    }

    /// The etcdctl invocation with the endpoints and certificates karmada-apiserver
    /// itself uses, for `args` (e.g. `del <key>`).
    pub fn etcdctl(&self, args: &str) -> String {
        let or = |v: &Option<String>, ph: &str| v.clone().unwrap_or_else(|| ph.to_string());
        if self.plain_http() {
            return format!(
                "ETCDCTL_API=3 etcdctl --endpoints={} {args}",
                or(&self.servers, "<etcd-endpoints>")
            );
        }
        format!(
            "ETCDCTL_API=3 etcdctl --endpoints={} --cacert={} --cert={} --key={} {args}",
            or(&self.servers, "<etcd-endpoints>"),
            or(&self.cafile, "<etcd-ca-file>"),
            or(&self.certfile, "<etcd-cert-file>"),
            or(&self.keyfile, "<etcd-key-file>"),
        )
    }

    /// Only `http://` endpoints and no certificate: etcd without TLS, where certificate
    /// flags would be wrong, not missing.
    fn plain_http(&self) -> bool {
        let Some(servers) = &self.servers else {
            return false;
        };
        servers.split(',').all(|s| s.trim().starts_with("http://"))
            && self.cafile.is_none()
            && self.certfile.is_none()
            && self.keyfile.is_none()
    }

    pub fn is_complete(&self) -> bool {
        self.plain_http()
            || (self.servers.is_some()
                && self.cafile.is_some()
                && self.certfile.is_some()
                && self.keyfile.is_some())
    }
}

/// The cluster DNS domain, read off a `*.svc.<domain>` host in the apiserver's flags
/// (etcd servers, service-account issuer); `cluster.local` if none says otherwise.
pub fn cluster_domain(inv: &Inventory) -> String {
    for c in karmada_apiservers(inv) {
        for name in ["--etcd-servers", "--service-account-issuer"] {
            if let Some(v) = c.flag(name).ok().flatten().and_then(|f| f.value) {
                for url in v.split(',') {
                    let host = url.split("://").nth(1).unwrap_or(url);
                    let host = host.split(['/', ':']).next().unwrap_or("");
                    if let Some((_, domain)) = host.split_once(".svc.") {
                        if !domain.is_empty() {
                            return domain.to_string();
                        }
                    }
                }
            }
        }
    }
    "cluster.local".into()
}

/// The etcd workload of the host cluster, as seen in the input: the pod to `kubectl exec`
/// into for etcdctl, with the certificate paths *of that pod* (karmada-apiserver's paths
/// are where its own volumes mount, and the plan has scaled it to 0 by then).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EtcdPod {
    /// `--context karmada-host`.
    pub kubectl_flags: String,
    pub namespace: String,
    /// What `kubectl exec` targets: `etcd-0` for a StatefulSet, `deployment/etcd`, a Pod name.
    pub exec_target: String,
    pub container: String,
    /// The client URL on loopback inside the pod, from `--listen-client-urls`.
    pub endpoint: String,
    pub cacert: Option<String>,
    pub cert: Option<String>,
    pub key: Option<String>,
    /// `--data-dir`: a snapshot saved there lands on the etcd data volume, which outlives
    /// the pod.
    pub data_dir: String,
    /// `--name` and `--initial-cluster`, for `snapshot restore`.
    pub member_name: Option<String>,
    pub initial_cluster: Option<String>,
    /// The workload read, for the report.
    pub source: String,
}

/// The etcd server containers (executable or image `etcd`) of the host cluster.
pub fn etcd_pod(inv: &Inventory) -> Option<EtcdPod> {
    use super::naming::context_flag;
    use crate::inventory::workload::WORKLOAD_KINDS;
    let host = ScopeSel::Host;
    for kind in WORKLOAD_KINDS {
        for obj in inv.of_kind(kind, &host) {
            for c in ContainerRef::containers(obj) {
                let exe = c.executable().unwrap_or_default();
                let is_etcd = exe.rsplit('/').next() == Some("etcd")
                    || (exe.is_empty() && c.image_name() == "etcd");
                if !is_etcd {
                    continue;
                }
                let flag = |n: &str| c.flag(n).ok().flatten().and_then(|f| f.value);
                let listen =
                    flag("--listen-client-urls").unwrap_or_else(|| "http://127.0.0.1:2379".into());
                let first = listen.split(',').next().unwrap_or("").trim().to_string();
                let (scheme, rest) = first.split_once("://").unwrap_or(("http", first.as_str()));
                let port = rest
                    .rsplit_once(':')
                    .map(|(_, p)| p.trim_end_matches('/'))
                    .unwrap_or("2379");
                let exec_target = match *kind {
                    "StatefulSet" => format!("{}-0", obj.name()),
                    "Pod" => obj.name().to_string(),
                    k => format!("{}/{}", k.to_lowercase(), obj.name()),
                };
                return Some(EtcdPod {
                    kubectl_flags: context_flag(obj.r.scope()),
                    namespace: obj.namespace().unwrap_or("default").to_string(),
                    exec_target,
                    container: c.name().to_string(),
                    endpoint: format!("{scheme}://127.0.0.1:{port}"),
                    cacert: flag("--trusted-ca-file"),
                    cert: flag("--cert-file"),
                    key: flag("--key-file"),
                    data_dir: flag("--data-dir").unwrap_or_else(|| "/var/lib/etcd".into()),
                    member_name: flag("--name"),
                    initial_cluster: flag("--initial-cluster"),
                    source: obj.r.to_string(),
                });
            }
        }
    }
    None
}

impl EtcdPod {
    /// `kubectl exec` into the pod running etcdctl with the pod's own endpoint and files.
    pub fn etcdctl(&self, args: &str) -> String {
        let tls = if self.endpoint.starts_with("https://") {
            let or = |v: &Option<String>, ph: &str| v.clone().unwrap_or_else(|| ph.to_string());
            format!(
                " --cacert={} --cert={} --key={}",
                or(&self.cacert, "<etcd-trusted-ca-file>"),
                or(&self.cert, "<etcd-cert-file>"),
                or(&self.key, "<etcd-key-file>")
            )
        } else {
            String::new()
        };
        format!(
            "kubectl {} -n {} exec {} -c {} -- etcdctl --endpoints={}{tls} {args}",
            self.kubectl_flags, self.namespace, self.exec_target, self.container, self.endpoint
        )
    }
}

impl EtcdAccess {
    /// How to get the certificate files karmada-apiserver uses onto a machine that runs
    /// etcdctl: one `kubectl get secret … | base64 -d` per file, created 0600 (umask), the
    /// file named as the apiserver mounts it. Returns the commands and the access with
    /// its paths rewritten to those local files (`etcd-certs/<name>`).
    pub fn copied_to_machine(&self, c: &ContainerRef<'_>) -> (Vec<String>, EtcdAccess) {
        let mut commands = vec!["umask 077 && mkdir -p etcd-certs".to_string()];
        let mut local = self.clone();
        let ns = c.object.namespace().unwrap_or("default");
        let ctx = super::naming::context_flag(c.object.r.scope());
        for path in [&mut local.cafile, &mut local.certfile, &mut local.keyfile] {
            let Some(p) = path.clone() else { continue };
            let Some(sf) = c.secret_for_path(&p) else {
                continue;
            };
            let file = p.rsplit('/').next().unwrap_or(&sf.key).to_string();
            commands.push(format!(
                "kubectl {ctx} -n {ns} get secret {} -o jsonpath='{{.data.{}}}' | base64 -d > etcd-certs/{file}",
                sf.secret_name,
                sf.key.replace('.', "\\.")
            ));
            *path = Some(format!("etcd-certs/{file}"));
        }
        (commands, local)
    }
}
