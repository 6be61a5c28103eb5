//! Live input: read what the active rules need from karmada-apiserver, the host cluster
//! and member clusters, with GET requests only.
//!
//! One concept per file: `kubeconfig` (loading, with errors that never quote the file),
//! `connect` (contexts, proxy URLs), `in_cluster` (the pod's service account), `plan`
//! (which kinds per scope), `discovery` (kind -> resource), `request` (one GET with
//! timeout, retries and the concurrency bound), `collect` (the run), `errors`, `redact`
//! (secret values never kept), `secret` (the one Secret whose key stays in memory for
//! etcd), `snapshot` (the `collect --out` bundle).

pub mod collect;
pub mod connect;
pub mod counted;
pub mod discovery;
pub mod errors;
pub mod in_cluster;
pub mod kubeconfig;
pub mod plan;
pub mod redact;
pub mod request;
pub mod secret;
pub mod snapshot;

pub use collect::{collect, ClusterReport, Collection, LiveOptions};
pub use connect::ConnectOptions;
pub use plan::Plan;
