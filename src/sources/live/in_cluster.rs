//! `--in-cluster`: the cluster a pod runs in, reached as every in-cluster client reaches
//! it: `KUBERNETES_SERVICE_HOST` and `KUBERNETES_SERVICE_PORT`, the service account's
//! token, CA bundle and namespace in `/var/run/secrets/kubernetes.io/serviceaccount`.
//!
//! The token is handed to kube as a file path (it re-reads a rotated projected token);
//! this module only checks that the file is there and not empty, and never puts its
//! content in a message.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::bail;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;

use crate::inventory::Scope;

/// Where the kubelet mounts a pod's service-account credentials.
pub const SERVICE_ACCOUNT_DIR: &str = "/var/run/secrets/kubernetes.io/serviceaccount";
/// Overrides [`SERVICE_ACCOUNT_DIR`]: for tests, and for a pod that mounts its projected
/// token elsewhere. Not needed in a normal pod.
pub const SERVICE_ACCOUNT_DIR_ENV: &str = "KARMADA_PREFLIGHT_SERVICE_ACCOUNT_DIR";
/// How reports name the in-cluster API server.
pub const LABEL: &str = "in-cluster";

/// Which scope the pod's own cluster stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum InClusterScope {
    /// The host cluster running karmada-system (the usual place for a CronJob).
    Host,
    /// karmada-apiserver itself.
    Karmada,
}

impl InClusterScope {
    pub fn scope(self) -> Scope {
        match self {
            InClusterScope::Host => Scope::Host,
            InClusterScope::Karmada => Scope::Karmada,
        }
    }
}

/// The service-account directory in effect.
pub fn service_account_dir() -> PathBuf {
    std::env::var_os(SERVICE_ACCOUNT_DIR_ENV)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(SERVICE_ACCOUNT_DIR))
}

/// `https://HOST:PORT` from the two variables, bracketing an IPv6 address.
fn server_url(host: &str, port: &str) -> anyhow::Result<http::Uri> {
    let port: u16 = port.trim().parse().map_err(|_| {
        anyhow::anyhow!("--in-cluster: KUBERNETES_SERVICE_PORT {port:?} is not a port number")
    })?;
    let host = host.trim();
    let url = match host.parse::<std::net::IpAddr>() {
        Ok(ip) => format!("https://{}", std::net::SocketAddr::new(ip, port)),
        Err(_) => format!("https://{host}:{port}"),
    };
    url.parse()
        .map_err(|e| anyhow::anyhow!("--in-cluster: KUBERNETES_SERVICE_HOST {host:?}: {e}"))
}

fn env(name: &str) -> anyhow::Result<String> {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => Ok(v),
        _ => bail!(
            "--in-cluster: {name} is not set (it is set in every pod; outside a cluster use \
             --kubeconfig)"
        ),
    }
}

fn read_file(path: &Path, what: &str) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| {
        anyhow::anyhow!(
            "--in-cluster: service-account {what} {}: {}",
            path.display(),
            crate::sources::files::io_reason(&e)
        )
    })
}

/// The client config for the pod's own cluster, with the same settings as a kubeconfig
/// context gets (no kube retries, the request timeout as connect timeout).
pub fn config(timeout: Duration) -> anyhow::Result<kube::Config> {
    let url = server_url(
        &env("KUBERNETES_SERVICE_HOST")?,
        &env("KUBERNETES_SERVICE_PORT")?,
    )?;
    let dir = service_account_dir();
    let token_path = dir.join("token");
    // Read only to refuse an empty or missing token up front; the bytes are dropped here.
    if read_file(&token_path, "token")?
        .iter()
        .all(u8::is_ascii_whitespace)
    {
        bail!(
            "--in-cluster: service-account token {} is empty",
            token_path.display()
        );
    }
    let ca_path = dir.join("ca.crt");
    let roots: Vec<Vec<u8>> = CertificateDer::pem_slice_iter(&read_file(&ca_path, "CA")?)
        .filter_map(Result::ok)
        .map(|c| c.as_ref().to_vec())
        .collect();
    if roots.is_empty() {
        bail!(
            "--in-cluster: service-account CA {} holds no PEM certificate",
            ca_path.display()
        );
    }
    let mut cfg = kube::Config::new(url);
    cfg.root_cert = Some(roots);
    // kube re-reads both files, so a rotated CA or projected token keeps working.
    cfg.root_cert_file = Some(ca_path);
    cfg.auth_info.token_file = Some(token_path.to_string_lossy().into_owned());
    if let Ok(ns) = std::fs::read_to_string(dir.join("namespace")) {
        if !ns.trim().is_empty() {
            cfg.default_namespace = ns.trim().to_string();
        }
    }
    cfg.default_retry = false;
    cfg.connect_timeout = Some(timeout);
    Ok(cfg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_as_client_go_builds_them() {
        assert_eq!(
            server_url("10.96.0.1", "443").unwrap().to_string(),
            "https://10.96.0.1:443/"
        );
        assert_eq!(
            server_url("fd00::1", "6443").unwrap().to_string(),
            "https://[fd00::1]:6443/"
        );
        assert_eq!(
            server_url("kubernetes.default.svc", "443")
                .unwrap()
                .to_string(),
            "https://kubernetes.default.svc:443/"
        );
        let err = server_url("10.96.0.1", "https").unwrap_err().to_string();
        assert!(err.contains("KUBERNETES_SERVICE_PORT \"https\""), "{err}");
    }
}
