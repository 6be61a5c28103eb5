//! What the caller asks the fake apiserver to simulate.

use std::time::Duration;

/// One simulated cluster: its own HTTPS listener, its own objects.
#[derive(Debug, Clone, Default)]
pub struct ClusterSpec {
    /// Internal name, used in faults, the request log and `RunningServer::endpoint`.
    pub name: String,
    /// Kubeconfig context name (also used for the kubeconfig cluster and user entries).
    /// Empty means "same as `name`".
    pub context: String,
    /// Reported by `/version`, e.g. `v1.21.3`.
    pub git_version: String,
    /// Served objects; `kind: List` / `*List` documents are flattened.
    pub objects: Vec<serde_json::Value>,
    /// Reserve a port but never listen on it, so connections are refused.
    pub unreachable: bool,
    /// When set, a request carrying `Authorization: Bearer <token>` is accepted even
    /// without a client certificate (the TLS layer then makes the certificate optional,
    /// but still rejects certificates not signed by our CA).
    pub bearer_token: Option<String>,
    /// API groups this cluster does not serve at all (absent from discovery, objects of
    /// them dropped), as a cluster without that API installed: `cluster.karmada.io` on
    /// a karmada-apiserver whose aggregated API was never set up.
    pub unserved_groups: Vec<String>,
}

impl ClusterSpec {
    pub fn new(name: impl Into<String>, objects: Vec<serde_json::Value>) -> Self {
        let name = name.into();
        ClusterSpec {
            context: name.clone(),
            name,
            git_version: "v1.21.3".to_string(),
            objects,
            unreachable: false,
            bearer_token: None,
            unserved_groups: Vec::new(),
        }
    }

    pub fn context_name(&self) -> &str {
        if self.context.is_empty() {
            &self.name
        } else {
            &self.context
        }
    }
}

/// What goes wrong when a fault matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultKind {
    /// Answer with a `Status` of this code (403 gets the apiserver's RBAC wording).
    Status(u16),
    /// 429 with a `Retry-After` header.
    TooManyRequests { retry_after_secs: u64 },
    /// 410 Expired for the first `times` requests that carry a `continue` token.
    GoneOnContinue { times: usize },
    /// Extra delay before answering; adds up with other latencies.
    Latency(Duration),
    /// Send headers and part of the body, then drop the connection.
    CloseMidBody,
    /// Never answer (the connection stays open until the client gives up).
    Hang,
}

/// A fault injected into one cluster, optionally narrowed to a resource, namespace, verb.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    pub cluster: String,
    /// Resource plural (`secrets`); `None` matches every request, discovery included.
    pub resource: Option<String>,
    pub namespace: Option<String>,
    pub kind: FaultKind,
    /// `get` or `list`; `None` matches both.
    pub verb: Option<String>,
    /// Object name (for `clusters/proxy`: the member cluster); `None` matches every
    /// request, lists included.
    pub name: Option<String>,
}

impl Fault {
    pub fn new(cluster: impl Into<String>, kind: FaultKind) -> Self {
        Fault {
            cluster: cluster.into(),
            resource: None,
            namespace: None,
            kind,
            verb: None,
            name: None,
        }
    }

    pub fn resource(mut self, plural: impl Into<String>) -> Self {
        self.resource = Some(plural.into());
        self
    }

    pub fn namespace(mut self, ns: impl Into<String>) -> Self {
        self.namespace = Some(ns.into());
        self
    }

    pub fn verb(mut self, verb: impl Into<String>) -> Self {
        self.verb = Some(verb.into());
        self
    }

    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }
}

#[derive(Debug, Clone, Default)]
pub struct ServerConfig {
    pub clusters: Vec<ClusterSpec>,
    pub faults: Vec<Fault>,
    /// Applied to every request of every cluster, before any fault.
    pub default_latency: Option<Duration>,
    /// Serve Karmada's cluster proxy on every cluster that holds `cluster.karmada.io`
    /// Cluster objects: `GET /apis/cluster.karmada.io/v1alpha1/clusters/NAME/proxy/REST`
    /// answers `REST` from the cluster of this server named NAME, as karmada-aggregated-
    /// apiserver would. Off by default so the path stays a plain 404 elsewhere.
    pub proxy_members: bool,
}
