//! Turning one request into one reply for one simulated cluster. Kept free of sockets so
//! the routing rules can be read (and tested) on their own.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};

use crate::discovery::{version_doc, ResourceInfo};
use crate::faults::{Action, FaultSet, Target};
use crate::status;
use crate::store::{ListError, ListParams, Store};
use crate::table::{self, IncludeObject};

/// Everything about a cluster the request handler needs, shared by its connections.
pub struct ClusterState {
    pub name: String,
    pub git_version: String,
    pub store: Store,
    pub faults: FaultSet,
    pub default_latency: Option<Duration>,
    pub bearer_token: Option<String>,
    pub server_address: String,
    /// How many requests are in their latency wait right now, and the most ever; shared by
    /// every cluster of a server, so a test can show that waits overlap without timing them.
    pub waits: Arc<Overlap>,
}

struct OverlapGuard<'a>(&'a Overlap);

impl Drop for OverlapGuard<'_> {
    fn drop(&mut self) {
        self.0.now.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

/// A gauge of requests waiting out their latency at once.
#[derive(Debug, Default)]
pub struct Overlap {
    now: std::sync::atomic::AtomicUsize,
    peak: std::sync::atomic::AtomicUsize,
}

impl Overlap {
    /// Counts one wait until the guard drops (also when a client hangs up mid-wait and
    /// the request's future is dropped).
    fn enter(&self) -> OverlapGuard<'_> {
        use std::sync::atomic::Ordering::SeqCst;
        let n = self.now.fetch_add(1, SeqCst) + 1;
        self.peak.fetch_max(n, SeqCst);
        OverlapGuard(self)
    }
    /// The most requests that were waiting at the same moment.
    pub fn peak(&self) -> usize {
        self.peak.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// The clusters of one server by name, so karmada-apiserver's cluster proxy can reach
/// its members the way karmada-aggregated-apiserver does (in process, no second hop).
pub type Peers = HashMap<String, Arc<ClusterState>>;

pub struct Request<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: &'a str,
    pub accept: &'a str,
    pub authorization: Option<&'a str>,
    /// CN of a verified client certificate, if one was presented.
    pub cert_user: Option<String>,
}

pub enum Reply {
    Json {
        status: u16,
        body: Value,
        retry_after: Option<u64>,
    },
    Text {
        status: u16,
        body: &'static str,
    },
    /// Headers for the full body, then only part of it, then the connection drops.
    CloseMidBody {
        status: u16,
        body: Value,
    },
    Hang,
}

impl Reply {
    fn json(status: u16, body: Value) -> Reply {
        Reply::Json {
            status,
            body,
            retry_after: None,
        }
    }

    pub fn status(&self) -> u16 {
        match self {
            Reply::Json { status, .. }
            | Reply::Text { status, .. }
            | Reply::CloseMidBody { status, .. } => *status,
            Reply::Hang => 0,
        }
    }
}

/// Who is asking: the cert CN, or the token user; `None` means reject with 401.
pub fn authenticate(state: &ClusterState, req: &Request<'_>) -> Option<String> {
    if let Some(u) = &req.cert_user {
        return Some(u.clone());
    }
    let want = state.bearer_token.as_deref()?;
    let got = req.authorization?.strip_prefix("Bearer ")?.trim();
    (got == want).then(|| "fakeapi-token-user".to_string())
}

enum Route<'a> {
    Version,
    Health,
    Api,
    Groups,
    Group(&'a str),
    Resources(&'a str, &'a str),
    Object {
        group: &'a str,
        version: &'a str,
        plural: &'a str,
        ns: Option<&'a str>,
        name: Option<&'a str>,
    },
    Unknown,
}

fn route(path: &str) -> Route<'_> {
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let (group, version, rest) = match segs.as_slice() {
        ["version"] => return Route::Version,
        ["healthz" | "livez" | "readyz", ..] => return Route::Health,
        ["api"] => return Route::Api,
        ["apis"] => return Route::Groups,
        ["apis", g] => return Route::Group(g),
        ["api", "v1"] => return Route::Resources("", "v1"),
        ["apis", g, v] => return Route::Resources(g, v),
        ["api", "v1", rest @ ..] => ("", "v1", rest),
        ["apis", g, v, rest @ ..] => (*g, *v, rest),
        _ => return Route::Unknown,
    };
    let obj = |plural, ns, name| Route::Object {
        group,
        version,
        plural,
        ns,
        name,
    };
    match rest {
        [plural] => obj(plural, None, None),
        [plural, name] => obj(plural, None, Some(name)),
        ["namespaces", ns, plural] => obj(plural, Some(ns), None),
        ["namespaces", ns, plural, name] => obj(plural, Some(ns), Some(name)),
        _ => Route::Unknown,
    }
}

pub struct Query(Vec<(String, String)>);

impl Query {
    /// First value of `key`, as Go's `url.Values.Get` does.
    fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Decoded query parameters (`+` and `%XX` handled; bad escapes are kept verbatim).
pub fn parse_query(q: &str) -> Vec<(String, String)> {
    fn decode(s: &str) -> String {
        let bytes = s.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'+' => out.push(b' '),
                b'%' if i + 2 < bytes.len() => {
                    match std::str::from_utf8(&bytes[i + 1..i + 3])
                        .ok()
                        .and_then(|h| u8::from_str_radix(h, 16).ok())
                    {
                        Some(b) => {
                            out.push(b);
                            i += 2;
                        }
                        None => out.push(b'%'),
                    }
                }
                b => out.push(b),
            }
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    }
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (decode(k), decode(v)),
            None => (decode(p), String::new()),
        })
        .collect()
}

pub async fn handle(
    state: &ClusterState,
    peers: Option<&Peers>,
    req: &Request<'_>,
    user: &str,
) -> Reply {
    if req.method != "GET" {
        return Reply::json(405, status::method_not_allowed(req.method));
    }
    if let (Some(peers), Some((name, rest))) = (peers, proxy_target(req.path)) {
        return proxy(state, peers, name, rest, req, user).await;
    }
    handle_local(state, req, user).await
}

/// `(cluster, path below proxy)` for `/apis/cluster.karmada.io/v1alpha1/clusters/NAME/proxy[/REST]`;
/// a bare `.../proxy` is the member's `/`, as on the real aggregated apiserver.
fn proxy_target(path: &str) -> Option<(&str, &str)> {
    let tail = path.strip_prefix("/apis/cluster.karmada.io/v1alpha1/clusters/")?;
    let (name, after) = tail.split_once('/')?;
    let rest = after.strip_prefix("proxy")?;
    if name.is_empty() || !(rest.is_empty() || rest.starts_with('/')) {
        return None;
    }
    Some((name, if rest.is_empty() { "/" } else { rest }))
}

/// karmada-aggregated-apiserver's `clusters/proxy`: authorize `get clusters/proxy` (the
/// karmada cluster's faults stand in for RBAC), require the Cluster object, then answer
/// from the member as the same user (impersonation), with the member's own faults.
async fn proxy(
    state: &ClusterState,
    peers: &Peers,
    name: &str,
    rest: &str,
    req: &Request<'_>,
    user: &str,
) -> Reply {
    let target = Target {
        resource: Some("clusters/proxy"),
        namespace: None,
        verb: "get",
        name: Some(name),
        has_continue: false,
    };
    let close_mid_body =
        match apply_faults(state, &target, || status::forbidden_proxy(user, name)).await {
            Ok(c) => c,
            Err(reply) => return reply,
        };
    let Some(res) = state
        .store
        .catalog()
        .by_plural("cluster.karmada.io", "v1alpha1", "clusters")
    else {
        return Reply::json(404, status::no_such_resource());
    };
    if state.store.get(res, None, name).is_none() {
        return Reply::json(404, status::not_found(res, name));
    }
    // A registered Cluster this server does not run (or runs unreachable): the
    // aggregated apiserver cannot dial it and answers 500 InternalError.
    let Some(member) = peers.get(name) else {
        return Reply::json(
            500,
            status::status(
                500,
                "InternalError",
                &format!(
                    "Internal error occurred: error trying to reach cluster {name}: dial tcp: connect: connection refused"
                ),
                None,
            ),
        );
    };
    let inner = Request {
        method: req.method,
        path: rest,
        query: req.query,
        accept: req.accept,
        authorization: None,
        cert_user: None,
    };
    match handle_local(member, &inner, user).await {
        Reply::Json { status, body, .. } if close_mid_body => Reply::CloseMidBody { status, body },
        other => other,
    }
}

/// Waits for the latency the faults (and the default) ask for; `Ok(close_mid_body)` to go
/// on serving, `Err(reply)` when a fault answers instead.
async fn apply_faults(
    state: &ClusterState,
    target: &Target<'_>,
    forbidden: impl FnOnce() -> Value,
) -> Result<bool, Reply> {
    let decision = state.faults.evaluate(target);
    let latency = state.default_latency.unwrap_or_default() + decision.latency;
    if !latency.is_zero() {
        let _waiting = state.waits.enter();
        tokio::time::sleep(latency).await;
    }
    match decision.action {
        None => Ok(false),
        Some(Action::CloseMidBody) => Ok(true),
        Some(Action::Hang) => Err(Reply::Hang),
        Some(Action::Gone) => Err(Reply::json(410, status::expired())),
        Some(Action::TooManyRequests(secs)) => Err(Reply::Json {
            status: 429,
            body: status::too_many_requests(secs),
            retry_after: Some(secs),
        }),
        Some(Action::Status(403)) => Err(Reply::json(403, forbidden())),
        Some(Action::Status(code)) => Err(Reply::json(code, status::generic(code))),
    }
}

/// One request answered by `state` itself (a proxy path here is just an unknown path).
async fn handle_local(state: &ClusterState, req: &Request<'_>, user: &str) -> Reply {
    let query = Query(parse_query(req.query));
    let param = |k: &str| query.get(k);
    let r = route(req.path);

    let resource = match &r {
        Route::Object {
            group,
            version,
            plural,
            ..
        } => state.store.catalog().by_plural(group, version, plural),
        _ => None,
    };
    let (plural, ns, name) = match &r {
        Route::Object {
            plural, ns, name, ..
        } => (Some(*plural), *ns, *name),
        _ => (None, None, None),
    };
    let verb = if name.is_some() { "get" } else { "list" };
    let target = Target {
        resource: plural,
        namespace: ns,
        verb,
        name,
        has_continue: param("continue").is_some_and(|c| !c.is_empty()),
    };
    let close_mid_body = match apply_faults(state, &target, || {
        status::forbidden(user, verb, resource, ns, name, req.path)
    })
    .await
    {
        Ok(c) => c,
        Err(reply) => return reply,
    };

    let reply = serve(state, r, resource, req, &query);
    match reply {
        Reply::Json { status, body, .. } if close_mid_body => Reply::CloseMidBody { status, body },
        other => other,
    }
}

fn serve(
    state: &ClusterState,
    r: Route<'_>,
    resource: Option<&ResourceInfo>,
    req: &Request<'_>,
    query: &Query,
) -> Reply {
    let param = |k: &str| query.get(k);
    let catalog = state.store.catalog();
    let found = |v: Option<Value>| match v {
        Some(v) => Reply::json(200, v),
        None => Reply::json(404, status::no_such_resource()),
    };
    match r {
        Route::Version => Reply::json(200, version_doc(&state.git_version)),
        Route::Health => Reply::Text {
            status: 200,
            body: "ok",
        },
        Route::Api => Reply::json(200, catalog.api_versions(&state.server_address)),
        Route::Groups => Reply::json(200, catalog.group_list()),
        Route::Group(g) => found(catalog.group(g)),
        Route::Resources(g, v) => found(catalog.resource_list(g, v)),
        Route::Unknown => Reply::json(404, status::no_such_resource()),
        Route::Object { ns, name, .. } => {
            let Some(res) = resource else {
                return Reply::json(404, status::no_such_resource());
            };
            // Namespace-scoped paths for cluster-scoped kinds (and the reverse for
            // single objects) do not exist on a real apiserver either.
            if (ns.is_some() && !res.namespaced)
                || (name.is_some() && ns.is_none() && res.namespaced)
            {
                return Reply::json(404, status::no_such_resource());
            }
            let table = table::wants_table(req.accept);
            let include = IncludeObject::parse(param("includeObject"));
            match name {
                Some(name) => match state.store.get(res, ns, name) {
                    Some(obj) if table => {
                        Reply::json(200, table::table(&[obj], json!({}), include))
                    }
                    Some(obj) => Reply::json(200, obj.clone()),
                    None => Reply::json(404, status::not_found(res, name)),
                },
                None => list(state, res, ns, table, include, query),
            }
        }
    }
}

fn list(
    state: &ClusterState,
    res: &ResourceInfo,
    ns: Option<&str>,
    as_table: bool,
    include: IncludeObject,
    query: &Query,
) -> Reply {
    let param = |k: &str| query.get(k);
    if matches!(param("watch"), Some("true" | "1")) {
        return Reply::json(
            405,
            status::status(
                405,
                "MethodNotAllowed",
                "watch is not supported by the fake apiserver",
                None,
            ),
        );
    }
    let limit = match param("limit").filter(|l| !l.is_empty()) {
        None => None,
        Some(l) => match l.parse::<usize>() {
            Ok(n) => Some(n),
            Err(_) => {
                return Reply::json(
                    400,
                    status::status(400, "BadRequest", &format!("invalid limit {l:?}"), None),
                )
            }
        },
    };
    let params = ListParams {
        limit,
        continue_token: param("continue").map(String::from),
        label_selector: param("labelSelector")
            .filter(|s| !s.is_empty())
            .map(String::from),
        field_selector: param("fieldSelector")
            .filter(|s| !s.is_empty())
            .map(String::from),
    };
    let page = match state.store.list_page(res, ns, &params) {
        Ok(p) => p,
        Err(ListError::BadRequest(msg)) => {
            return Reply::json(400, status::status(400, "BadRequest", &msg, None))
        }
    };
    let mut meta = json!({"resourceVersion": state.store.list_resource_version().to_string()});
    if let Some(c) = &page.continue_token {
        meta["continue"] = json!(c);
    }
    if let Some(n) = page.remaining {
        meta["remainingItemCount"] = json!(n);
    }
    if as_table {
        return Reply::json(200, table::table(&page.items, meta, include));
    }
    Reply::json(
        200,
        json!({
            "kind": format!("{}List", res.kind),
            "apiVersion": res.group_version(),
            "metadata": meta,
            "items": page.items,
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_decoding() {
        let q = parse_query("labelSelector=app%3Dweb%2Ctier&limit=2&x&bad=%zz&end=%4");
        assert_eq!(q[0], ("labelSelector".into(), "app=web,tier".into()));
        assert_eq!(q[1], ("limit".into(), "2".into()));
        assert_eq!(q[2], ("x".into(), "".into()));
        assert_eq!(q[3], ("bad".into(), "%zz".into()));
        assert_eq!(q[4], ("end".into(), "%4".into()));
    }

    #[test]
    fn proxy_paths() {
        let p = "/apis/cluster.karmada.io/v1alpha1/clusters";
        assert_eq!(
            proxy_target(&format!("{p}/m1/proxy/api/v1/secrets")),
            Some(("m1", "/api/v1/secrets"))
        );
        assert_eq!(proxy_target(&format!("{p}/m1/proxy")), Some(("m1", "/")));
        assert_eq!(proxy_target(&format!("{p}/m1/proxy/")), Some(("m1", "/")));
        assert_eq!(proxy_target(&format!("{p}/m1/proxyx/version")), None);
        assert_eq!(proxy_target(&format!("{p}/m1")), None);
        assert_eq!(proxy_target(&format!("{p}/m1/status")), None);
        assert_eq!(
            proxy_target("/apis/cluster.karmada.io/v1alpha2/clusters/m1/proxy"),
            None
        );
    }
}
