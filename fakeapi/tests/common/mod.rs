//! A minimal mTLS HTTP client for the integration tests, built from the same
//! tokio-rustls + hyper stack as the server so tests add no dependencies.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use fakeapi::{ClientIdentity, RunningServer};
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioIo;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use serde_json::{json, Value};

/// Every test request is bounded so a server bug fails a test instead of hanging it.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "non-JSON body ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }
}

pub fn client_config(ca_pem: &str, identity: Option<&ClientIdentity>) -> Arc<rustls::ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    let ca = CertificateDer::from_pem_slice(ca_pem.as_bytes()).expect("CA PEM");
    roots.add(ca).expect("add CA");
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_root_certificates(roots);
    let cfg = match identity {
        Some(id) => {
            let cert = CertificateDer::from_pem_slice(id.cert_pem.as_bytes()).expect("cert PEM");
            let key = PrivateKeyDer::from_pem_slice(id.key_pem.as_bytes()).expect("key PEM");
            builder
                .with_client_auth_cert(vec![cert], key)
                .expect("client auth")
        }
        None => builder.with_no_client_auth(),
    };
    Arc::new(cfg)
}

pub async fn send(
    tls: Arc<rustls::ClientConfig>,
    addr: SocketAddr,
    method: &str,
    path_and_query: &str,
    headers: &[(&str, &str)],
) -> anyhow::Result<Resp> {
    let tcp = tokio::net::TcpStream::connect(addr)
        .await
        .context("connect")?;
    let connector = tokio_rustls::TlsConnector::from(tls);
    let server_name = ServerName::IpAddress(addr.ip().into());
    let stream = connector
        .connect(server_name, tcp)
        .await
        .context("TLS handshake")?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    let driver = tokio::spawn(conn);
    let mut req = http::Request::builder()
        .method(method)
        .uri(path_and_query)
        .header("host", addr.to_string());
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = sender
        .send_request(req.body(Empty::<bytes::Bytes>::new())?)
        .await
        .context("request")?;
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp
        .into_body()
        .collect()
        .await
        .context("reading body")?
        .to_bytes()
        .to_vec();
    driver.abort();
    Ok(Resp {
        status,
        headers,
        body,
    })
}

/// GET as the cluster's own kubeconfig user.
pub async fn get(server: &RunningServer, cluster: &str, path: &str) -> Resp {
    let tls = client_config(server.ca_pem(), server.client_identity(cluster));
    let addr = server.endpoint(cluster).expect("cluster endpoint");
    tokio::time::timeout(REQUEST_TIMEOUT, send(tls, addr, "GET", path, &[]))
        .await
        .expect("request timed out")
        .expect("request failed")
}

pub fn item_names(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|o| o["metadata"]["name"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

/// A small two-cluster fixture written to a temp folder, the way a user would lay one out.
pub fn write_fixture(dir: &std::path::Path) {
    let karmada = dir.join("karmada");
    std::fs::create_dir_all(karmada.join("nested")).unwrap();
    std::fs::write(
        karmada.join("deploy.yaml"),
        r#"apiVersion: v1
kind: Namespace
metadata:
  name: karmada-system
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: karmada-scheduler
  namespace: karmada-system
  labels: {app: karmada-scheduler, tier: control-plane}
spec:
  replicas: 1
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: karmada-controller-manager
  namespace: karmada-system
  labels: {app: karmada-controller-manager, tier: control-plane}
spec:
  replicas: 1
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: karmada-webhook
  namespace: karmada-system
  labels: {app: karmada-webhook}
---
# a malformed doc: must be skipped, not fatal
apiVersion: v1
kind: Service
metadata:
  name: karmada-apiserver
  namespace: karmada-system
spec:
  type: [unclosed, flow
"#,
    )
    .unwrap();
    std::fs::write(
        karmada.join("nested/clusters.yml"),
        r#"apiVersion: v1
kind: List
items:
- apiVersion: cluster.karmada.io/v1alpha1
  kind: Cluster
  metadata: {name: member1}
  spec: {syncMode: Push}
- apiVersion: cluster.karmada.io/v1alpha1
  kind: Cluster
  metadata: {name: member2}
  spec: {syncMode: Pull}
"#,
    )
    .unwrap();
    let cms: Vec<Value> = (0..5)
        .map(|i| json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": format!("cm-{i}"), "namespace": if i % 2 == 0 { "karmada-system" } else { "default" }}}))
        .collect();
    std::fs::write(
        karmada.join("cms.json"),
        serde_json::to_string(&json!({"kind": "ConfigMapList", "apiVersion": "v1", "items": cms}))
            .unwrap(),
    )
    .unwrap();
    std::fs::write(karmada.join("README.md"), "not a manifest").unwrap();
    std::fs::write(
        karmada.join("secrets.yaml"),
        "apiVersion: v1\nkind: Secret\nmetadata: {name: karmada-cert, namespace: karmada-system}\ndata: {ca.crt: Zm9v}\n",
    )
    .unwrap();

    let member = dir.join("member1");
    std::fs::create_dir_all(&member).unwrap();
    std::fs::write(
        member.join("app.yaml"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: apps}\n---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: karmada-agent, namespace: karmada-system}\n",
    )
    .unwrap();
}
