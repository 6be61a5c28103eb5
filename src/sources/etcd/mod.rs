//! etcd, read-only: the keys that show whether the Cluster CRD removal of the
//! v0.10 -> v1.0 upgrade happened the way it must (CRD key gone, every Cluster key kept).
//!
//! Only range requests are sent, keys-only or count-only: no value is ever read, so no
//! stored object (Secrets included) passes through this tool. Never put, delete, txn,
//! lease or watch. The whole read is bounded by one timeout; each endpoint is tried in
//! turn so a failure names the endpoint and its cause.

pub mod baseline;
mod client;

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use baseline::{load_baseline, Baseline, BaselineError};
pub use client::read;

/// The group/resource path of the Cluster CRD under the apiserver's `--etcd-prefix`.
pub const CRD_KEY: &str =
    "/apiextensions.k8s.io/customresourcedefinitions/clusters.cluster.karmada.io";
/// Where Cluster objects live under the prefix (cluster-scoped: `<prefix><this><name>`).
pub const CLUSTERS_DIR: &str = "/cluster.karmada.io/clusters/";
/// Cluster names read at most; past it the read is incomplete and says so.
pub const MAX_CLUSTER_KEYS: usize = 100_000;
/// The default bound for the whole etcd read.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15);

/// Where and how to reach etcd.
#[derive(Debug, Clone)]
pub struct EtcdTarget {
    pub endpoints: Vec<String>,
    pub cacert: Option<PathBuf>,
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
    /// The apiserver's `--etcd-prefix` (`/registry` by default), without a trailing `/`.
    pub prefix: String,
    /// Bound for the whole read, every endpoint included.
    pub timeout: Duration,
}

impl EtcdTarget {
    pub fn crd_key(&self) -> String {
        format!("{}{CRD_KEY}", self.prefix)
    }
    pub fn clusters_dir(&self) -> String {
        format!("{}{CLUSTERS_DIR}", self.prefix)
    }
}

/// Normalise a user's `--etcd-prefix`: one leading `/`, no trailing one.
pub fn normalize_prefix(p: &str) -> String {
    let t = p.trim().trim_end_matches('/');
    if t.starts_with('/') {
        t.to_string()
    } else {
        format!("/{t}")
    }
}

/// What etcd held, as key names only. This is what reports and bundles record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EtcdKeys {
    /// The endpoint that answered.
    pub endpoint: String,
    pub prefix: String,
    /// The etcd revision every range was read at (one consistent view).
    pub revision: i64,
    /// Whether `<prefix>/apiextensions.k8s.io/customresourcedefinitions/clusters.cluster.karmada.io` exists.
    pub cluster_crd_key: bool,
    /// Names of the keys under `<prefix>/cluster.karmada.io/clusters/`, sorted. A name
    /// that is not a plain object name (a `/`, control characters, not UTF-8) is kept
    /// escaped so it can be reported but never mistaken for a real Cluster.
    pub clusters: Vec<String>,
    /// How many keys etcd counted under the Cluster prefix; more than `clusters.len()`
    /// when the listing stopped at [`MAX_CLUSTER_KEYS`].
    pub cluster_count: u64,
}

impl EtcdKeys {
    pub fn complete(&self) -> bool {
        self.cluster_count as usize <= self.clusters.len()
    }
}

/// Paths and endpoints as the user would type them into `etcdctl`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EtcdctlAccess {
    pub endpoints: String,
    pub cacert: Option<String>,
    pub cert: Option<String>,
    pub key: Option<String>,
    pub prefix: String,
    /// Where they came from (`--etcd-* flags`, the karmada-apiserver Deployment, ...).
    pub origin: String,
}

/// The outcome of trying to read etcd.
#[derive(Debug, Clone)]
pub enum EtcdRead {
    Read(EtcdKeys),
    /// Nothing could be read; the reason names each endpoint tried and its cause.
    Failed(String),
}

/// Everything the etcd rules see.
#[derive(Debug, Clone)]
pub struct EtcdFacts {
    pub access: EtcdctlAccess,
    pub read: EtcdRead,
    /// The pre-upgrade keys to compare with (`--baseline`).
    pub baseline: Option<Baseline>,
}

/// The facts a bundle's `etcd-keys.json` records: what etcd held when it was collected.
/// Certificate paths are not recorded; rules take them from karmada-apiserver's flags.
pub fn bundle_facts(file: &std::path::Path) -> Result<EtcdFacts, BaselineError> {
    let keys = baseline::read_keys_file(file)?;
    Ok(EtcdFacts {
        access: EtcdctlAccess {
            endpoints: keys.endpoint.clone(),
            cacert: None,
            cert: None,
            key: None,
            prefix: keys.prefix.clone(),
            origin: format!("the etcd endpoint recorded in {}", file.display()),
        },
        read: EtcdRead::Read(keys),
        baseline: None,
    })
}

/// Whether a key's last segment is a plain object name (DNS-1123 subdomain rules,
/// loosely: what a Cluster name can be).
fn plain_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
}

/// The name of a Cluster key below `dir`, escaped when it is not a plain name (a key
/// from etcd is input: it can hold anything).
pub fn cluster_name(key: &[u8], dir: &[u8]) -> String {
    let rest = key.strip_prefix(dir).unwrap_or(key);
    match std::str::from_utf8(rest) {
        Ok(s) if plain_name(s) => s.to_string(),
        _ => rest.escape_ascii().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odd_key_names_are_escaped_not_trusted() {
        let dir = b"/registry/cluster.karmada.io/clusters/";
        let key = |s: &[u8]| [dir.as_slice(), s].concat();
        assert_eq!(cluster_name(&key(b"member1"), dir), "member1");
        assert_eq!(cluster_name(&key(b"a/b"), dir), "a/b");
        assert_eq!(cluster_name(&key(b"x\x1b[31m"), dir), "x\\x1b[31m");
        assert_eq!(cluster_name(&key(b"\xff"), dir), "\\xff");
        assert_eq!(normalize_prefix("registry/"), "/registry");
        assert_eq!(normalize_prefix("/karmada"), "/karmada");
    }
}
