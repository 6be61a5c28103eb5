//! One Secret of the host cluster read for its key material, which stays in memory.
//!
//! The collector redacts every private key it lists (`redact`), so the inventory never
//! holds one. When the etcd rules need the client key karmada-apiserver mounts, this one
//! GET fetches that Secret again, and only the keys asked for leave this module — as
//! bytes for the caller to use, never written, printed or put into the inventory.

use std::collections::BTreeMap;

use base64::Engine as _;
use serde_json::Value;

use super::collect::LiveOptions;
use super::connect;
use super::request::{Getter, Limiter};
use crate::inventory::Scope;

/// The keys asked for that the Secret has, decoded. Keys it lacks are absent.
pub struct SecretKeys {
    /// `Secret NS/NAME (context CTX)`, for messages.
    pub described: String,
    pub keys: BTreeMap<String, Vec<u8>>,
}

impl std::fmt::Debug for SecretKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&String> = self.keys.keys().collect();
        write!(
            f,
            "SecretKeys({}, keys {names:?}, values redacted)",
            self.described
        )
    }
}

/// GET `namespace/name` from the host cluster's context and decode `wanted` of its
/// `data` (or `stringData`). Errors name the Secret, context and cause, never a value.
/// Blocking: runs its own small runtime.
pub fn read_host_secret(
    opts: &LiveOptions,
    namespace: &str,
    name: &str,
    wanted: &[&str],
) -> Result<SecretKeys, String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the client runtime: {e}"))?;
    rt.block_on(read(opts, namespace, name, wanted))
}

async fn read(
    opts: &LiveOptions,
    namespace: &str,
    name: &str,
    wanted: &[&str],
) -> Result<SecretKeys, String> {
    let what = format!("Secret {namespace}/{name}");
    // Both come from a workload's spec (input): only object names go into the URL path.
    if !connect::valid_cluster_name(namespace) || !connect::valid_cluster_name(name) {
        return Err(format!("{what}: not a valid object name, not read"));
    }
    let kc = connect::load_kubeconfig(opts.connect.kubeconfig.as_ref())
        .map_err(|e| format!("{what}: {e:#}"))?;
    let (chosen, _) = connect::choose(&kc, &opts.connect).map_err(|e| format!("{what}: {e:#}"))?;
    let Some((_, ctx)) = chosen.iter().find(|(s, _)| *s == Scope::Host) else {
        return Err(format!(
            "{what} is in the host cluster, and no host context is known: pass --host-context"
        ));
    };
    let described = format!("{what} (context {ctx})");
    let config = connect::config_for(
        &kc,
        ctx,
        opts.connect.insecure_skip_tls_verify,
        opts.request_timeout,
    )
    .await
    .map_err(|e| format!("{described}: {e:#}"))?;
    let client =
        kube::Client::try_from(config).map_err(|e| format!("{described}: no client: {e}"))?;
    let get = Getter::new(client, Limiter::new(1, opts.request_timeout));
    let path = format!("/api/v1/namespaces/{namespace}/secrets/{name}");
    let secret = get.get(&path).await.map_err(|e| {
        format!(
            "{described}: {}",
            e.describe("get", "secrets", Some(namespace))
        )
    })?;
    Ok(SecretKeys {
        keys: decode(&secret, wanted),
        described,
    })
}

/// The wanted keys of a Secret object, decoded; `stringData` wins as the API server
/// merges it. Values that are not strings or not base64 are left out.
fn decode(secret: &Value, wanted: &[&str]) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for key in wanted {
        let plain = secret
            .pointer("/stringData")
            .and_then(|m| m.get(*key))
            .and_then(Value::as_str)
            .map(|s| s.as_bytes().to_vec());
        let decoded = || {
            let s = secret.get("data")?.get(*key)?.as_str()?;
            let compact: String = s.chars().filter(|c| !c.is_whitespace()).collect();
            base64::engine::general_purpose::STANDARD
                .decode(compact.as_bytes())
                .ok()
        };
        if let Some(b) = plain.or_else(decoded).filter(|b| !b.is_empty()) {
            out.insert((*key).to_string(), b);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_only_the_keys_asked_for() {
        let s = serde_json::json!({
            "data": {"a.crt": "Q0VSVA==", "a.key": "S0VZ", "other": "eA==", "bad": "%%"},
            "stringData": {"b.key": "PLAIN"}
        });
        let k = decode(&s, &["a.crt", "a.key", "b.key", "bad", "missing"]);
        assert_eq!(k.keys().collect::<Vec<_>>(), ["a.crt", "a.key", "b.key"]);
        assert_eq!(k["a.crt"], b"CERT");
        assert_eq!(k["b.key"], b"PLAIN");
        let dbg = format!(
            "{:?}",
            SecretKeys {
                described: "Secret x/y".into(),
                keys: k
            }
        );
        assert!(!dbg.contains("KEY") && !dbg.contains("PLAIN"), "{dbg}");
    }
}
