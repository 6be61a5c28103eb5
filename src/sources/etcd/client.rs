//! The etcd v3 requests: range only (keys-only or count-only), one endpoint at a time.

use std::time::{Duration, Instant};

use tonic::Code;

use etcd_client::{Certificate, Client, ConnectOptions, GetOptions, Identity, TlsOptions};

use super::{cluster_name, EtcdKeys, EtcdRead, EtcdTarget, Pem, MAX_CLUSTER_KEYS};

/// Larger than any certificate chain or key: a wrong file or Secret key is refused.
const MAX_PEM_BYTES: usize = 1 << 20;
/// Keys asked for per range request while listing Clusters.
const PAGE: i64 = 500;

/// Read the Cluster CRD key and the Cluster keys, trying each endpoint in turn, within
/// `target.timeout` for everything. Blocking: runs its own small runtime.
pub fn read(target: &EtcdTarget) -> EtcdRead {
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return EtcdRead::Failed(format!("cannot start the etcd client runtime: {e}")),
    };
    rt.block_on(read_all(target))
}

async fn read_all(t: &EtcdTarget) -> EtcdRead {
    if t.endpoints.is_empty() {
        return EtcdRead::Failed("no etcd endpoint given".into());
    }
    let tls = match tls_options(t) {
        Ok(tls) => tls,
        Err(e) => return EtcdRead::Failed(e),
    };
    let deadline = Instant::now() + t.timeout;
    let mut causes = Vec::new();
    for ep in &t.endpoints {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            causes.push(format!(
                "etcd {ep}: not tried, the {}s bound for the whole etcd read (--etcd-timeout) ran out",
                t.timeout.as_secs()
            ));
            continue;
        }
        match tokio::time::timeout(left, read_one(ep, tls.clone(), t, left)).await {
            Ok(Ok(keys)) => return EtcdRead::Read(keys),
            Ok(Err(cause)) => causes.push(format!("etcd {ep}: {}", certificate_hint(ep, t, cause))),
            Err(_) => causes.push(format!(
                "etcd {ep}: no answer within the {}s bound for the whole etcd read (--etcd-timeout)",
                t.timeout.as_secs()
            )),
        }
    }
    EtcdRead::Failed(causes.join("; "))
}

/// The client TLS material, read into memory only. Files and Secrets are named in errors;
/// contents never are.
fn tls_options(t: &EtcdTarget) -> Result<Option<TlsOptions>, String> {
    let https = t.endpoints.iter().any(|e| e.starts_with("https://"));
    if !https && t.cacert.is_none() && t.cert.is_none() {
        return Ok(None);
    }
    let read = |pem: &Pem, what: &str| -> Result<Vec<u8>, String> {
        match pem {
            Pem::Secret { bytes, origin } if bytes.len() > MAX_PEM_BYTES => Err(format!(
                "{what}: {origin} is larger than 1 MiB: not a PEM certificate or key"
            )),
            Pem::Secret { bytes, .. } => Ok(bytes.clone()),
            Pem::File(p) => {
                // Certificates and keys are small; a bound keeps a wrong path (a device, a
                // huge file) from being read whole.
                let meta = std::fs::metadata(p)
                    .map_err(|e| format!("cannot read {what} {}: {e}", p.display()))?;
                // A FIFO or device reports length 0 and would be read forever.
                crate::sources::bounded::check_readable_kind(p, &meta)
                    .map_err(|e| format!("{what} {}: {e}", p.display()))?;
                if meta.len() > MAX_PEM_BYTES as u64 {
                    return Err(format!(
                        "{what} {} is larger than 1 MiB: not a PEM file",
                        p.display()
                    ));
                }
                std::fs::read(p).map_err(|e| format!("cannot read {what} {}: {e}", p.display()))
            }
        }
    };
    let mut tls = TlsOptions::new();
    if let Some(ca) = &t.cacert {
        tls = tls.ca_certificate(Certificate::from_pem(read(ca, "--etcd-cacert")?));
    }
    match (&t.cert, &t.key) {
        (Some(c), Some(k)) => {
            tls = tls.identity(Identity::from_pem(
                read(c, "--etcd-cert")?,
                read(k, "--etcd-key")?,
            ))
        }
        (None, None) => {}
        _ => return Err("--etcd-cert and --etcd-key go together: give both or neither".into()),
    }
    Ok(Some(tls))
}

async fn read_one(
    ep: &str,
    tls: Option<TlsOptions>,
    t: &EtcdTarget,
    left: Duration,
) -> Result<EtcdKeys, String> {
    let mut opts = ConnectOptions::new()
        .with_connect_timeout(left)
        .with_timeout(left);
    if let Some(tls) = tls {
        opts = opts.with_tls(tls);
    }
    if let Some(u) = &t.user {
        // etcd-client authenticates at connect and sends the token with every request.
        opts = opts.with_user(u.name.clone(), u.password.clone());
    }
    let mut client = Client::connect([ep], Some(opts))
        .await
        .map_err(|e| cause(&e))?;

    // The CRD key: keys-only, so the CRD's body never travels.
    let crd = client
        .get(t.crd_key(), Some(GetOptions::new().with_keys_only()))
        .await
        .map_err(|e| cause(&e))?;
    let revision = crd.header().map(|h| h.revision()).unwrap_or(0);
    let cluster_crd_key = !crd.kvs().is_empty();

    // Cluster keys: count first, then pages of keys at the same revision.
    let dir = t.clusters_dir();
    let count = client
        .get(
            dir.as_str(),
            Some(
                GetOptions::new()
                    .with_prefix()
                    .with_count_only()
                    .with_revision(revision),
            ),
        )
        .await
        .map_err(|e| cause(&e))?
        .count();
    let count = u64::try_from(count).unwrap_or(0);
    let end = prefix_end(dir.as_bytes());
    let mut clusters = Vec::new();
    let mut from = dir.as_bytes().to_vec();
    loop {
        let page = client
            .get(
                from.clone(),
                Some(
                    GetOptions::new()
                        .with_range(end.clone())
                        .with_keys_only()
                        .with_limit(PAGE)
                        .with_revision(revision),
                ),
            )
            .await
            .map_err(|e| cause(&e))?;
        let Some(last) = page.kvs().last() else { break };
        from = [last.key(), b"\0"].concat();
        for kv in page.kvs() {
            clusters.push(cluster_name(kv.key(), dir.as_bytes()));
        }
        if !page.more() || clusters.len() >= MAX_CLUSTER_KEYS {
            break;
        }
    }
    clusters.truncate(MAX_CLUSTER_KEYS);
    clusters.sort();
    clusters.dedup();
    Ok(EtcdKeys {
        endpoint: ep.to_string(),
        prefix: t.prefix.clone(),
        revision,
        cluster_crd_key,
        clusters,
        cluster_count: count,
    })
}

/// etcd's range end for "every key with this prefix": the prefix with its last byte + 1.
fn prefix_end(prefix: &[u8]) -> Vec<u8> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return end;
        }
    }
    vec![0]
}

/// A cause a person can act on: what kind of failure, then the innermost detail.
fn cause(e: &etcd_client::Error) -> String {
    use std::error::Error as _;
    let mut chain = vec![e.to_string()];
    let mut src = e.source();
    while let Some(s) = src {
        let m = s.to_string();
        if !chain.iter().any(|c| c.contains(&m)) {
            chain.push(m);
        }
        src = s.source();
    }
    let detail = chain.join(": ");
    let lower = detail.to_lowercase();
    let kind = match e {
        etcd_client::Error::GRpcStatus(s) => match s.code() {
            Code::PermissionDenied => "permission denied",
            Code::Unauthenticated => "authentication refused",
            // etcd answers a wrong user or password with InvalidArgument.
            _ if lower.contains("authentication failed") => "authentication refused",
            Code::DeadlineExceeded => "timed out",
            _ if tls_failure(&lower) => "TLS refused",
            Code::Unavailable => "unreachable",
            _ => "request failed",
        },
        _ if tls_failure(&lower) => "TLS refused",
        _ => "unreachable",
    };
    format!("{kind}: {detail}")
}

/// With TLS 1.3 a server that requires a client certificate and got none rejects it after
/// the client's side of the handshake is done: the client sees an alert or just a closed
/// connection. Say what it most likely is when no certificate was sent.
fn certificate_hint(ep: &str, t: &EtcdTarget, cause: String) -> String {
    let lower = cause.to_lowercase();
    // Which of these arrives depends on timing: the alert, or the closed connection.
    let closed = [
        "broken pipe",
        "connection reset",
        "connection closed",
        "badcertificate",
        "certificaterequired",
    ]
    .iter()
    .any(|w| lower.contains(w));
    if !(ep.starts_with("https://") && t.cert.is_none() && closed) {
        return cause;
    }
    let detail = cause.split_once(": ").map_or(cause.as_str(), |(_, d)| d);
    format!(
        "TLS refused: etcd closed the connection, as it does when it requires a client certificate and none \
         was sent (give --etcd-cert and --etcd-key): {detail}"
    )
}

fn tls_failure(lower: &str) -> bool {
    ["certificate", "tls", "handshake", "alert", "unknownissuer"]
        .iter()
        .any(|w| lower.contains(w))
}

#[cfg(test)]
mod tests {
    use super::prefix_end;

    #[test]
    fn range_end_of_a_prefix() {
        assert_eq!(prefix_end(b"/a/"), b"/a0".to_vec());
        assert_eq!(prefix_end(b"a\xff"), b"b".to_vec());
        assert_eq!(prefix_end(b"\xff"), vec![0]);
    }
}
