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

pub use crate::inventory::etcd::{
    Baseline, EtcdFacts, EtcdKeys, EtcdRead, EtcdctlAccess, CLUSTERS_DIR, CRD_KEY,
};
pub use baseline::{load_baseline, BaselineError};
pub use client::read;

/// Cluster names read at most; past it the read is incomplete and says so.
pub const MAX_CLUSTER_KEYS: usize = 100_000;
/// The default bound for the whole etcd read.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15);

/// Client TLS material: a file named on the command line, or a Secret key's bytes held in
/// memory only (read from the live host cluster, or from input that still has them).
#[derive(Clone)]
pub enum Pem {
    File(PathBuf),
    Secret {
        /// `key KEY of Secret NS/NAME`: what errors name, never the bytes.
        origin: String,
        bytes: Vec<u8>,
    },
}

impl Pem {
    /// How errors name it.
    pub fn describe(&self) -> String {
        match self {
            Pem::File(p) => p.display().to_string(),
            Pem::Secret { origin, .. } => origin.clone(),
        }
    }
}

impl std::fmt::Debug for Pem {
    // Never print key material, even in a debug dump.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Pem::File(p) => write!(f, "File({})", p.display()),
            Pem::Secret { origin, bytes } => {
                write!(f, "Secret({origin}, <{} bytes redacted>)", bytes.len())
            }
        }
    }
}

/// etcd user/password authentication (`--etcd-user`, password from a file or
/// `ETCD_PASSWORD`). The password is never printed.
#[derive(Clone)]
pub struct EtcdUser {
    pub name: String,
    pub password: String,
}

impl std::fmt::Debug for EtcdUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "EtcdUser({}, <password redacted>)", self.name)
    }
}

/// Where and how to reach etcd.
#[derive(Debug, Clone)]
pub struct EtcdTarget {
    pub endpoints: Vec<String>,
    pub cacert: Option<Pem>,
    pub cert: Option<Pem>,
    pub key: Option<Pem>,
    pub user: Option<EtcdUser>,
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

/// The facts a bundle's `etcd-keys.json` records: what etcd held when it was collected.
/// Certificate paths are not recorded; rules take them from karmada-apiserver's flags.
pub fn bundle_facts(file: &std::path::Path, max_bytes: u64) -> Result<EtcdFacts, BaselineError> {
    let keys = baseline::read_keys_file(file, max_bytes)?;
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
