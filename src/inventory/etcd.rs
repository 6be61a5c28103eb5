//! What the etcd rules see of etcd: key names only, never values. `sources::etcd` reads
//! them (or a bundle's `etcd-keys.json`, or a `--baseline`); the inventory carries them.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// The group/resource path of the Cluster CRD under the apiserver's `--etcd-prefix`.
pub const CRD_KEY: &str =
    "/apiextensions.k8s.io/customresourcedefinitions/clusters.cluster.karmada.io";
/// Where Cluster objects live under the prefix (cluster-scoped: `<prefix><this><name>`).
pub const CLUSTERS_DIR: &str = "/cluster.karmada.io/clusters/";
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
    /// when the listing stopped at `sources::etcd::MAX_CLUSTER_KEYS`.
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

/// Cluster names from before the upgrade (`--baseline`), to compare with what etcd holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Baseline {
    /// The file the names were read from.
    pub source: PathBuf,
    /// What the names are: etcd keys, or Clusters the API served (a report without an
    /// etcd section).
    pub from_etcd: bool,
    pub clusters: Vec<String>,
    pub cluster_crd_key: Option<bool>,
}
