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
