//! Listeners, TLS handshakes and connection lifetimes; one listener per cluster.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use anyhow::{bail, Context};
use bytes::Bytes;
use http::{header, HeaderValue, Response};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

use crate::body::ReplyBody;
use crate::config::ServerConfig;
use crate::faults::FaultSet;
use crate::kubeconfig;
use crate::log::{RequestLog, RequestRecord};
use crate::router::{self, ClusterState, Peers, Reply, Request};
use crate::status;
use crate::store::Store;
use crate::tls::{ClientIdentity, Pki};

/// A slow or silent client must not pin a task forever; generous, because a test fleet of
/// 2,000 clusters on a loaded machine can take seconds to get to a handshake, and a
/// connection this server drops looks like a broken member to the client.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(60);
/// Longest wait for the next request on a kept-alive connection.
const IDLE_TIMEOUT: Duration = Duration::from_secs(600);

struct ClusterHandle {
    name: String,
    context: String,
    addr: SocketAddr,
    identity: usize,
    token: Option<String>,
    unreachable: bool,
    objects: usize,
}

/// A started fake apiserver. Dropping it also stops the listeners (their tasks see the
/// shutdown channel close), but `shutdown` additionally waits for the accept loops.
pub struct RunningServer {
    clusters: Vec<ClusterHandle>,
    pki: Pki,
    log: RequestLog,
    waits: Arc<crate::router::Overlap>,
    shutdown_tx: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

/// Cert DER -> CN: we minted every certificate the verifier will accept, so a lookup
/// table is all it takes to know the user, with no X.509 parsing on the request path.
type Users = Arc<HashMap<Vec<u8>, String>>;

impl RunningServer {
    /// Binds one 127.0.0.1 listener per cluster (ephemeral ports) and starts serving on
    /// the current tokio runtime.
    pub async fn start(cfg: ServerConfig) -> anyhow::Result<RunningServer> {
        let mut seen = std::collections::HashSet::new();
        for c in &cfg.clusters {
            if c.name.is_empty() {
                bail!("cluster with an empty name");
            }
            if !seen.insert(c.name.clone())
                || (c.context_name() != c.name && !seen.insert(c.context_name().to_string()))
            {
                bail!("duplicate cluster name or context {:?}", c.name);
            }
        }
        for f in &cfg.faults {
            if !cfg
                .clusters
                .iter()
                .any(|c| c.name == f.cluster || c.context_name() == f.cluster)
            {
                bail!("fault refers to unknown cluster {:?}", f.cluster);
            }
        }

        let users: Vec<String> = cfg
            .clusters
            .iter()
            .map(|c| format!("kubernetes-admin@{}", c.name))
            .collect();
        let pki = Pki::generate(&users)?;
        let user_map: Users = Arc::new(
            pki.clients
                .iter()
                .map(|c| (c.cert_der.clone(), c.user.clone()))
                .collect(),
        );
        let log = RequestLog::default();
        let (shutdown_tx, _) = watch::channel(false);

        let mut clusters = Vec::new();
        // Every cluster's state exists before any listener serves, so the cluster proxy
        // can find the members of the same server from the first request on.
        let mut serving = Vec::new();
        let waits = Arc::new(router::Overlap::default());
        for (i, mut spec) in cfg.clusters.into_iter().enumerate() {
            let listener = TcpListener::bind(("127.0.0.1", 0))
                .await
                .context("binding 127.0.0.1:0")?;
            let addr = listener.local_addr()?;
            let store = Store::serving(
                &spec.name,
                std::mem::take(&mut spec.objects),
                &spec.unserved_groups,
            );
            clusters.push(ClusterHandle {
                name: spec.name.clone(),
                context: spec.context_name().to_string(),
                addr,
                identity: i,
                token: spec.bearer_token.clone(),
                unreachable: spec.unreachable,
                objects: store.object_count(),
            });
            if spec.unreachable {
                // The port was ours a moment ago; closing it leaves a refused connection.
                drop(listener);
                continue;
            }
            let tls = TlsAcceptor::from(pki.server_config(spec.bearer_token.is_some())?);
            let state = Arc::new(ClusterState {
                faults: FaultSet::for_cluster(&[&spec.name, spec.context_name()], &cfg.faults),
                store,
                name: spec.name,
                // A `Default`-built spec should still look like a real server.
                git_version: if spec.git_version.is_empty() {
                    "v1.21.3".to_string()
                } else {
                    spec.git_version
                },
                default_latency: cfg.default_latency,
                bearer_token: spec.bearer_token,
                server_address: addr.to_string(),
                waits: waits.clone(),
            });
            serving.push((listener, tls, state));
        }
        let peers: Option<Arc<Peers>> = cfg.proxy_members.then(|| {
            Arc::new(
                serving
                    .iter()
                    .map(|(_, _, s)| (s.name.clone(), s.clone()))
                    .collect(),
            )
        });
        let mut tasks = Vec::new();
        for (listener, tls, state) in serving {
            tasks.push(tokio::spawn(accept_loop(
                listener,
                tls,
                state,
                peers.clone(),
                user_map.clone(),
                log.clone(),
                shutdown_tx.subscribe(),
            )));
        }
        Ok(RunningServer {
            clusters,
            pki,
            log,
            waits,
            shutdown_tx,
            tasks,
        })
    }

    fn find(&self, cluster: &str) -> Option<&ClusterHandle> {
        self.clusters
            .iter()
            .find(|c| c.name == cluster)
            .or_else(|| self.clusters.iter().find(|c| c.context == cluster))
    }

    /// The listener address (by cluster name or context). For an unreachable cluster this
    /// is the closed port its kubeconfig entry points at.
    pub fn endpoint(&self, cluster: &str) -> Option<SocketAddr> {
        self.find(cluster).map(|c| c.addr)
    }

    pub fn cluster_names(&self) -> Vec<String> {
        self.clusters.iter().map(|c| c.name.clone()).collect()
    }

    pub fn context_name(&self, cluster: &str) -> Option<String> {
        self.find(cluster).map(|c| c.context.clone())
    }

    /// Objects served (after flattening, defaulting and implied namespaces).
    pub fn object_count(&self, cluster: &str) -> Option<usize> {
        self.find(cluster).map(|c| c.objects)
    }

    pub fn is_unreachable(&self, cluster: &str) -> bool {
        self.find(cluster).is_some_and(|c| c.unreachable)
    }

    pub fn ca_pem(&self) -> &str {
        &self.pki.ca_pem
    }

    /// The client certificate the kubeconfig uses for `cluster`.
    pub fn client_identity(&self, cluster: &str) -> Option<&ClientIdentity> {
        self.find(cluster)
            .and_then(|c| self.pki.clients.get(c.identity))
    }

    pub fn kubeconfig_yaml(&self) -> String {
        self.kubeconfig_yaml_of(|_| true)
    }

    /// A kubeconfig with only these clusters (by name or context), e.g. karmada and host
    /// alone, so members can be reached only through karmada-apiserver's cluster proxy.
    pub fn kubeconfig_yaml_only(&self, clusters: &[&str]) -> String {
        self.kubeconfig_yaml_of(|c| {
            clusters
                .iter()
                .any(|want| *want == c.name || *want == c.context)
        })
    }

    fn kubeconfig_yaml_of(&self, keep: impl Fn(&ClusterHandle) -> bool) -> String {
        let entries: Vec<kubeconfig::Entry<'_>> = self
            .clusters
            .iter()
            .filter(|c| keep(c))
            .filter_map(|c| {
                Some(kubeconfig::Entry {
                    context: &c.context,
                    server: format!("https://{}", c.addr),
                    identity: self.pki.clients.get(c.identity)?,
                    token: c.token.as_deref(),
                })
            })
            .collect();
        kubeconfig::render(&self.pki.ca_pem, &entries)
    }

    /// One context per cluster, current context = the first cluster.
    pub fn write_kubeconfig(&self, path: &Path) -> anyhow::Result<()> {
        std::fs::write(path, self.kubeconfig_yaml())
            .with_context(|| format!("writing kubeconfig {}", path.display()))
    }

    pub fn request_log(&self) -> Vec<RequestRecord> {
        self.log.snapshot()
    }

    /// The most requests that waited out their latency at the same moment (see
    /// `ServerConfig::default_latency`): above 1 when the server serves concurrently.
    pub fn peak_concurrent_waits(&self) -> usize {
        self.waits.peak()
    }

    pub fn clear_request_log(&self) {
        self.log.clear();
    }

    /// Stops accepting, drops every open connection (hung ones included), and waits
    /// for the accept loops to finish.
    pub async fn shutdown(self) {
        let _ = self.shutdown_tx.send(true);
        for t in self.tasks {
            let _ = t.await;
        }
    }
}

async fn accept_loop(
    listener: TcpListener,
    tls: TlsAcceptor,
    state: Arc<ClusterState>,
    peers: Option<Arc<Peers>>,
    users: Users,
    log: RequestLog,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        let (tcp, _) = tokio::select! {
            _ = shutdown.changed() => return,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // EMFILE and friends: back off instead of spinning.
                    eprintln!("fakeapi: {}: accept failed: {e}", state.name);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let _ = tcp.set_nodelay(true);
        let (tls, state, users, log) = (tls.clone(), state.clone(), users.clone(), log.clone());
        let peers = peers.clone();
        let mut shutdown = shutdown.clone();
        tokio::spawn(async move {
            tokio::select! {
                _ = shutdown.changed() => {}
                _ = serve_connection(tcp, tls, state, peers, users, log) => {}
            }
        });
    }
}

async fn serve_connection(
    tcp: tokio::net::TcpStream,
    tls: TlsAcceptor,
    state: Arc<ClusterState>,
    peers: Option<Arc<Peers>>,
    users: Users,
    log: RequestLog,
) {
    // A handshake failure is how unauthenticated clients are rejected: nothing to log
    // at the HTTP level, the client sees a TLS alert.
    let Ok(Ok(stream)) = tokio::time::timeout(HANDSHAKE_TIMEOUT, tls.accept(tcp)).await else {
        return;
    };
    let cert_user = stream
        .get_ref()
        .1
        .peer_certificates()
        .and_then(|certs| certs.first())
        .map(|c| {
            users
                .get(c.as_ref())
                .cloned()
                .unwrap_or_else(|| "unknown-user".to_string())
        });
    let svc = service_fn(move |req: http::Request<Incoming>| {
        let (state, log, cert_user) = (state.clone(), log.clone(), cert_user.clone());
        let peers = peers.clone();
        async move { Ok::<_, Infallible>(respond(&state, peers.as_deref(), &log, req, cert_user).await) }
    });
    // hyper closes a kept-alive connection that sends no request within 30 s by default;
    // a client reading 2,000 clusters through one concurrency bound can leave a member's
    // connection idle longer, then reuse it as it closes ("peer closed connection"). A
    // real apiserver keeps idle connections far longer.
    let _ = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(IDLE_TIMEOUT)
        .keep_alive(true)
        .serve_connection(TokioIo::new(stream), svc)
        .await;
}

async fn respond(
    state: &ClusterState,
    peers: Option<&Peers>,
    log: &RequestLog,
    req: http::Request<Incoming>,
    cert_user: Option<String>,
) -> Response<ReplyBody> {
    // Only the head matters (read-only server); dropping the body keeps the future Send.
    let (req, _body) = req.into_parts();
    let header_str = |name: header::HeaderName| req.headers.get(name).and_then(|v| v.to_str().ok());
    let request = Request {
        method: req.method.as_str(),
        path: req.uri.path(),
        query: req.uri.query().unwrap_or(""),
        accept: header_str(header::ACCEPT).unwrap_or(""),
        authorization: header_str(header::AUTHORIZATION),
        cert_user,
    };
    let user = router::authenticate(state, &request);
    let mut record = RequestRecord {
        cluster: state.name.clone(),
        method: request.method.to_string(),
        path: request.path.to_string(),
        query: request.query.to_string(),
        status: 0,
        user: user.clone(),
        at: SystemTime::now(),
    };
    let reply = match &user {
        None => Reply::Json {
            status: 401,
            body: status::generic(401),
            retry_after: None,
        },
        Some(u) => router::handle(state, peers, &request, u).await,
    };
    record.status = reply.status();
    log.push(record);
    match reply {
        Reply::Hang => std::future::pending::<Response<ReplyBody>>().await,
        Reply::Text { status, body } => build(
            status,
            "text/plain; charset=utf-8",
            None,
            ReplyBody::full(body),
            None,
        ),
        Reply::Json {
            status,
            body,
            retry_after,
        } => {
            let bytes = Bytes::from(serde_json::to_vec(&body).unwrap_or_default());
            build(
                status,
                "application/json",
                retry_after,
                ReplyBody::full(bytes),
                None,
            )
        }
        Reply::CloseMidBody { status, body } => {
            let bytes = Bytes::from(serde_json::to_vec(&body).unwrap_or_default());
            let full_len = bytes.len();
            let partial = bytes.slice(..full_len / 2);
            build(
                status,
                "application/json",
                None,
                ReplyBody::truncated(partial),
                Some(full_len),
            )
        }
    }
}

fn build(
    status: u16,
    content_type: &'static str,
    retry_after: Option<u64>,
    body: ReplyBody,
    content_length: Option<usize>,
) -> Response<ReplyBody> {
    let mut resp = Response::new(body);
    *resp.status_mut() =
        http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(
        "audit-id",
        HeaderValue::from_static("00000000-0000-0000-0000-000000000000"),
    );
    if let Some(s) = retry_after {
        h.insert(header::RETRY_AFTER, HeaderValue::from(s));
    }
    if let Some(n) = content_length {
        h.insert(header::CONTENT_LENGTH, HeaderValue::from(n));
    }
    resp
}
