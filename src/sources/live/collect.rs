//! The collection run: every target cluster read concurrently (bounded by one
//! semaphore over all requests), each listing exactly the kinds the active rules read,
//! once per (cluster, resource), with pagination. Failures become gaps on the scopes
//! they affect; the run only fails as a whole when no cluster could be read.

use std::collections::{BTreeMap, BTreeSet};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::task::JoinSet;

use super::connect::{self, ConnectOptions, Target};
use super::counted::Counted;
use super::discovery::{self, ApiResource, NotServed};
use super::errors::ReqError;
use super::in_cluster;
use super::plan::Plan;
use super::redact::redact;
use super::request::{Getter, Limiter, Pages, StatsSnapshot};
use crate::inventory::{
    Gap, GapCause, InputSummary, Inventory, LiveRead, Object, ObjectRef, Origin, Scope,
};

/// Page size for lists: big enough that most lists are one request, small enough that
/// a huge namespace does not become one giant response.
pub const PAGE_SIZE: usize = 500;
/// A list whose continue token keeps expiring (410) is restarted this many times.
const MAX_LIST_RESTARTS: usize = 3;
/// When a cluster-wide list of a namespaced kind is forbidden, the Karmada namespace is
/// tried alone: a Role there is the common least-privilege setup.
pub const KARMADA_NAMESPACE: &str = "karmada-system";
/// Default of `--timeout`: a fleet of thousands of members reads in well under this.
pub const DEFAULT_RUN_TIMEOUT: Duration = Duration::from_secs(300);
/// Annotation on a Cluster whose status.kubernetesVersion was filled in from the member.
pub const VERSION_NOTE: &str = "preflight.karmada.io/kubernetes-version-source";

#[derive(Debug, Clone)]
pub struct LiveOptions {
    pub connect: ConnectOptions,
    pub concurrency: usize,
    pub request_timeout: Duration,
    /// The whole run's time limit (`--timeout`): reads still going then end as gaps
    /// naming what was not read.
    pub run_timeout: Duration,
    /// Show a progress bar (still only when stderr is a terminal).
    pub progress: bool,
}

impl Default for LiveOptions {
    fn default() -> Self {
        LiveOptions {
            connect: ConnectOptions::default(),
            concurrency: 16,
            request_timeout: Duration::from_secs(10),
            run_timeout: DEFAULT_RUN_TIMEOUT,
            progress: false,
        }
    }
}

/// What one cluster gave.
#[derive(Debug, Clone)]
pub struct ClusterReport {
    pub label: String,
    pub scopes: Vec<Scope>,
    pub server: String,
    pub git_version: Option<String>,
    /// Set when nothing could be read from it.
    pub error: Option<String>,
    pub objects: usize,
    /// Requests sent to it (retries not counted) and the time from first to last.
    pub requests: usize,
    pub elapsed: Duration,
    /// Failed reads (each a gap on every scope the cluster serves).
    pub gaps: usize,
    /// Kinds its discovery does not list, with the reason as discovery said it.
    pub not_served: Vec<NotServed>,
}

/// A resource listed in a scope (for the bundle's file names and manifest).
#[derive(Debug, Clone)]
pub struct Listed {
    pub scope: Scope,
    pub resource: ApiResource,
    pub count: usize,
    /// Listed cluster-wide: an empty result means "none". False when narrowed to
    /// [`KARMADA_NAMESPACE`] after a forbidden cluster-wide list.
    pub complete: bool,
}

pub struct Collection {
    pub inv: Inventory,
    pub clusters: Vec<ClusterReport>,
    pub listed: Vec<Listed>,
    pub stats: StatsSnapshot,
    pub elapsed: Duration,
}

impl Collection {
    /// At least one cluster answered.
    pub fn read_any(&self) -> bool {
        self.clusters.iter().any(|c| c.error.is_none())
    }

    /// Why this collection holds nothing to check, when it does not: no list of any
    /// cluster succeeded (every read forbidden, not served, failing, throttled, cut off
    /// or garbage). A cluster answering `/version` alone is no evidence about anything;
    /// an empty list that succeeded is (it says "none"). `check` and `collect` exit 2 on
    /// this, as the offline check does on input with nothing readable.
    pub fn nothing_read(&self) -> Option<String> {
        let asked = !self.inv.gaps.is_empty() || self.clusters.iter().any(|c| c.error.is_some());
        if !self.listed.is_empty() || !asked {
            return None;
        }
        let mut why: Vec<String> = Vec::new();
        let mut seen = BTreeSet::new();
        let errors = self.clusters.iter().filter_map(|c| c.error.clone());
        let gaps = self
            .inv
            .gaps
            .iter()
            .filter(|g| {
                !self
                    .clusters
                    .iter()
                    .any(|c| c.label == g.cluster && c.error.is_some())
            })
            .map(|g| format!("{}: {}", g.cluster, g.reason));
        for w in errors.chain(gaps) {
            if why.len() == 5 {
                why.push("...".into());
                break;
            }
            if seen.insert(w.clone()) {
                why.push(w);
            }
        }
        Some(format!(
            "no cluster could be read (not one list of any cluster succeeded): {}",
            why.join("; ")
        ))
    }
}

struct ListResult {
    resource: ApiResource,
    items: Vec<Value>,
    /// Namespace the list was narrowed to after a forbidden cluster-wide list.
    narrowed: Option<String>,
}

struct GapNote {
    kind: String,
    verb: String,
    resource: String,
    namespace: Option<String>,
    cause: GapCause,
    reason: String,
}

struct TargetResult {
    target: Target,
    git_version: Option<String>,
    error: Option<String>,
    lists: Vec<ListResult>,
    gaps: Vec<GapNote>,
    not_served: Vec<NotServed>,
    requests: usize,
    elapsed: Duration,
}

/// Percent-encode a query value (continue tokens are base64: `+`, `/`, `=`).
fn encode(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for b in v.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// All pages of one list. A 410 on a continue token means the snapshot expired: the
/// list restarts from the beginning (never `resourceVersion=0`, which with a limit
/// would read a cache that ignores pagination).
async fn list_all(get: &Counted, path: &str) -> Result<Vec<Value>, ReqError> {
    let mut items = Vec::new();
    let mut cont: Option<String> = None;
    let mut restarts = 0;
    // Page, byte and repeated-token bounds: a server can hand out tokens forever.
    let mut pages = Pages::default();
    loop {
        let mut url = format!("{path}?limit={PAGE_SIZE}");
        if let Some(c) = &cont {
            url.push_str("&continue=");
            url.push_str(&encode(c));
        }
        match get.get_sized(&url).await {
            Ok((mut page, bytes)) => {
                // A 200 without `items` is not a list: not evidence that there are none.
                let Some(Value::Array(v)) = page.get_mut("items").map(Value::take) else {
                    return Err(ReqError::Body(
                        "a 200 answer without `items`: not a list".into(),
                    ));
                };
                items.extend(v);
                cont = page
                    .pointer("/metadata/continue")
                    .and_then(Value::as_str)
                    .filter(|c| !c.is_empty())
                    .map(str::to_string);
                pages.next(bytes, cont.as_deref())?;
                if cont.is_none() {
                    return Ok(items);
                }
            }
            Err(e) if e.code() == Some(410) && cont.is_some() && restarts < MAX_LIST_RESTARTS => {
                restarts += 1;
                items.clear();
                cont = None;
                pages.restart();
            }
            Err(e) => return Err(e),
        }
    }
}

async fn list_resource(get: Counted, res: ApiResource) -> Result<ListResult, GapNote> {
    let gap = |e: &ReqError, ns: Option<&str>| GapNote {
        kind: res.kind.clone(),
        verb: "list".into(),
        resource: res.qualified(),
        namespace: ns.map(str::to_string),
        cause: e.cause(),
        reason: e.describe("list", &res.qualified(), ns),
    };
    match list_all(&get, &res.list_path(None)).await {
        Ok(items) => Ok(ListResult {
            resource: res.clone(),
            items,
            narrowed: None,
        }),
        Err(e) if e.code() == Some(403) && res.namespaced => {
            match list_all(&get, &res.list_path(Some(KARMADA_NAMESPACE))).await {
                Ok(items) => Ok(ListResult {
                    resource: res.clone(),
                    items,
                    narrowed: Some(KARMADA_NAMESPACE.into()),
                }),
                Err(e2) => Err(gap(&e2, Some(KARMADA_NAMESPACE))),
            }
        }
        Err(e) => Err(gap(&e, None)),
    }
}

/// Whether an error on a proxied `/version` comes from karmada-apiserver's cluster proxy
/// rather than from the member: RBAC on `clusters/proxy`, a Cluster that no longer
/// exists, or a member the aggregated apiserver cannot reach (5xx, after retries).
fn proxy_failure(e: &ReqError) -> Option<GapCause> {
    match e {
        ReqError::Status {
            code: 403, message, ..
        } if message.contains("clusters/proxy") => Some(GapCause::Forbidden),
        ReqError::Status {
            code: 404, message, ..
        } if message.contains("clusters.cluster.karmada.io") => Some(GapCause::Unreachable),
        ReqError::Status { code, .. } if *code >= 500 => Some(GapCause::Unreachable),
        _ => None,
    }
}

async fn read_target(target: Target, kinds: BTreeSet<String>, limiter: Limiter) -> TargetResult {
    let started = Instant::now();
    let requests = Arc::new(AtomicUsize::new(0));
    let mut out = read_target_counted(target, kinds, limiter, requests.clone()).await;
    out.requests = requests.load(Ordering::Relaxed);
    out.elapsed = started.elapsed();
    out
}

async fn read_target_counted(
    target: Target,
    kinds: BTreeSet<String>,
    limiter: Limiter,
    requests: Arc<AtomicUsize>,
) -> TargetResult {
    let mut out = TargetResult {
        target,
        git_version: None,
        error: None,
        lists: Vec::new(),
        gaps: Vec::new(),
        not_served: Vec::new(),
        requests: 0,
        elapsed: Duration::ZERO,
    };
    let unreadable = |out: &mut TargetResult, e: &ReqError, cause: GapCause| {
        let msg = format!(
            "cluster {} ({}) cannot be read: {e}",
            out.target.label, out.target.config.cluster_url
        );
        out.error = Some(msg.clone());
        for k in &kinds {
            out.gaps.push(GapNote {
                kind: k.clone(),
                verb: "list".into(),
                resource: String::new(),
                namespace: None,
                cause,
                reason: msg.clone(),
            });
        }
    };
    let client = match kube::Client::try_from(out.target.config.clone()) {
        Ok(c) => c,
        Err(e) => {
            let e = ReqError::Transport(super::errors::chain(&e));
            unreadable(&mut out, &e, GapCause::Unreachable);
            return out;
        }
    };
    let get = Counted::new(Getter::new(client, limiter), requests);
    // /version first: cheap, allowed to every authenticated user, and it tells an
    // unreachable cluster from a forbidden resource before any list is tried.
    match get.get("/version").await {
        Ok(v) => {
            out.git_version = v
                .get("gitVersion")
                .and_then(Value::as_str)
                .map(str::to_string)
        }
        Err(e) if e.is_unreachable() => {
            unreadable(&mut out, &e, GapCause::Unreachable);
            return out;
        }
        Err(e @ ReqError::Status { code: 401, .. }) => {
            unreadable(&mut out, &e, GapCause::Forbidden);
            return out;
        }
        // Through the cluster proxy, /version failing says the proxy refused or could not
        // reach the member: without this every rule over the member would see its API
        // "not served" or "failing" (and fail) instead of the member being unreadable.
        Err(e) if out.target.via_proxy => {
            if let Some(cause) = proxy_failure(&e) {
                unreadable(&mut out, &e, cause);
                return out;
            }
        }
        // Some proxies do not pass /version through; discovery will tell.
        Err(_) => {}
    }
    if kinds.is_empty() {
        return out;
    }
    let resolved = discovery::resolve(&get, &kinds).await;
    for u in resolved.unresolved {
        out.gaps.push(GapNote {
            kind: u.kind,
            verb: "discover".into(),
            resource: u.resource,
            namespace: None,
            cause: u.cause,
            reason: u.reason,
        });
    }
    out.not_served = resolved.not_served;
    let mut set = JoinSet::new();
    for res in resolved.resources.into_values() {
        set.spawn(list_resource(get.clone(), res));
    }
    while let Some(joined) = set.join_next().await {
        match joined {
            Ok(Ok(l)) => out.lists.push(l),
            Ok(Err(g)) => out.gaps.push(g),
            // A panicking task is a bug, but it must not take the run down with it.
            Err(e) => out.error = Some(format!("internal error while listing: {e}")),
        }
    }
    // Deterministic order whatever finished first.
    out.lists
        .sort_by(|a, b| a.resource.kind.cmp(&b.resource.kind));
    out.gaps.sort_by(|a, b| a.kind.cmp(&b.kind));
    out
}

fn to_object(mut v: Value, res: &ApiResource, scope: &Scope, cluster: &Arc<str>) -> Option<Object> {
    // List items usually come without kind/apiVersion; the list's resource says them.
    let obj = v.as_object_mut()?;
    obj.entry("apiVersion")
        .or_insert_with(|| Value::String(res.api_version()));
    obj.entry("kind")
        .or_insert_with(|| Value::String(res.kind.clone()));
    redact(&mut v);
    let text = |p: &str| v.pointer(p).and_then(Value::as_str);
    let name = text("/metadata/name")?;
    let r = ObjectRef::new(
        scope.clone(),
        text("/apiVersion").unwrap_or_default(),
        text("/kind").unwrap_or_default(),
        text("/metadata/namespace"),
        name,
    );
    Some(Object::new(
        r,
        &v,
        Origin::Live {
            cluster: crate::text::Name::shared(cluster),
        },
    ))
}

fn progress_bar(enabled: bool, len: usize) -> Option<indicatif::ProgressBar> {
    if !enabled || !std::io::stderr().is_terminal() {
        return None;
    }
    let pb = indicatif::ProgressBar::with_draw_target(
        Some(len as u64),
        indicatif::ProgressDrawTarget::stderr(),
    );
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{spinner} reading clusters [{bar:30}] {pos}/{len} {msg}",
    ) {
        pb.set_style(style.progress_chars("=> "));
    }
    pb.enable_steady_tick(Duration::from_millis(120));
    Some(pb)
}

/// Run targets concurrently; each finished one ticks the progress bar.
async fn run_targets(
    targets: Vec<(Target, BTreeSet<String>)>,
    limiter: &Limiter,
    pb: Option<&indicatif::ProgressBar>,
) -> Vec<TargetResult> {
    let mut set = JoinSet::new();
    let n = targets.len();
    for (i, (t, kinds)) in targets.into_iter().enumerate() {
        let l = limiter.clone();
        set.spawn(async move { (i, read_target(t, kinds, l).await) });
    }
    let mut results: Vec<Option<TargetResult>> = (0..n).map(|_| None).collect();
    while let Some(joined) = set.join_next().await {
        if let Ok((i, r)) = joined {
            if let Some(pb) = pb {
                pb.inc(1);
                pb.set_message(r.target.label.clone());
            }
            results[i] = Some(r);
        }
    }
    results.into_iter().flatten().collect()
}

/// Read every scope the plan needs. Errors only for what the user must fix first (an
/// unreadable kubeconfig, an unknown context); cluster failures are in the result.
pub async fn collect(plan: &Plan, opts: &LiveOptions) -> anyhow::Result<Collection> {
    let started = Instant::now();
    let kc = connect::kubeconfig_for(&opts.connect)?;
    let (chosen, missing) = connect::choose(&kc, &opts.connect)?;
    let mut plan = plan.clone();
    if opts.connect.members_via_proxy {
        // Member names come from the Cluster list.
        plan.karmada.insert("Cluster".into());
    }
    // One target per distinct context, so a context serving two scopes is read once.
    let mut by_context: BTreeMap<String, Vec<Scope>> = BTreeMap::new();
    let mut order = Vec::new();
    for (scope, ctx) in &chosen {
        if !by_context.contains_key(ctx) {
            order.push(ctx.clone());
        }
        by_context
            .entry(ctx.clone())
            .or_default()
            .push(scope.clone());
    }
    let mut targets = Vec::new();
    if let Some(which) = opts.connect.in_cluster {
        let scope = which.scope();
        targets.push((
            Target {
                label: in_cluster::LABEL.to_string(),
                scopes: vec![scope.clone()],
                config: in_cluster::config(opts.request_timeout)?,
                via_proxy: false,
            },
            plan.kinds_for(&scope).clone(),
        ));
    }
    for ctx in order {
        let scopes = by_context.remove(&ctx).unwrap_or_default();
        let config = connect::config_for(
            &kc,
            &ctx,
            opts.connect.insecure_skip_tls_verify,
            opts.request_timeout,
        )
        .await?;
        let mut kinds = BTreeSet::new();
        for s in &scopes {
            kinds.extend(plan.kinds_for(s).iter().cloned());
        }
        targets.push((
            Target {
                label: ctx,
                scopes,
                config,
                via_proxy: false,
            },
            kinds,
        ));
    }
    let limiter =
        Limiter::new(opts.concurrency, opts.request_timeout).with_deadline(opts.run_timeout);
    let karmada_target = targets
        .iter()
        .find(|(t, _)| t.scopes.contains(&Scope::Karmada))
        .map(|(t, _)| (t.config.clone(), t.label.clone()));
    let pb = progress_bar(opts.progress, targets.len());
    let results = if opts.connect.members_via_proxy {
        // Members are known only once karmada-apiserver answered.
        let (first, rest): (Vec<_>, Vec<_>) = targets
            .into_iter()
            .partition(|(t, _)| t.scopes.contains(&Scope::Karmada));
        let mut r = run_targets(first, &limiter, pb.as_ref()).await;
        let mut members = Vec::new();
        if let Some((cfg, karmada_label)) = &karmada_target {
            let explicit: BTreeSet<String> = opts
                .connect
                .members
                .iter()
                .map(|(n, _)| n.clone())
                .collect();
            for name in cluster_names(&r) {
                if explicit.contains(&name) {
                    continue;
                }
                match connect::via_proxy(cfg, &name) {
                    Ok(c) => members.push((
                        Target {
                            label: format!("{karmada_label}/proxy/{name}"),
                            scopes: vec![Scope::Member(name.as_str().into())],
                            config: c,
                            via_proxy: true,
                        },
                        plan.member.clone(),
                    )),
                    Err(e) => eprintln!("karmada-preflight: warning: member {name} skipped: {e:#}"),
                }
            }
        }
        if let Some(pb) = &pb {
            pb.inc_length((rest.len() + members.len()) as u64);
        }
        let mut all = rest;
        all.extend(members);
        r.extend(run_targets(all, &limiter, pb.as_ref()).await);
        r
    } else {
        run_targets(targets, &limiter, pb.as_ref()).await
    };
    if let Some(pb) = pb {
        pb.finish_and_clear();
    }
    // Cluster objects listed only to find proxy members are kept: rules that do not
    // read them ignore them, and the bundle then shows which members were found.
    let mut col = assemble(results, &plan, missing);
    fill_member_versions(&mut col);
    col.stats = limiter.stats.snapshot();
    col.elapsed = started.elapsed();
    Ok(col)
}

fn cluster_names(results: &[TargetResult]) -> Vec<String> {
    results
        .iter()
        .filter(|r| r.target.scopes.contains(&Scope::Karmada))
        .flat_map(|r| r.lists.iter().filter(|l| l.resource.kind == "Cluster"))
        .flat_map(|l| l.items.iter())
        .filter_map(|o| {
            o.pointer("/metadata/name")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .collect()
}

fn assemble(results: Vec<TargetResult>, plan: &Plan, missing: Vec<connect::Missing>) -> Collection {
    let mut inv = Inventory::new();
    let mut clusters = Vec::new();
    let mut listed = Vec::new();
    for m in missing {
        for k in plan.kinds_for(&m.scope) {
            inv.gaps.push(Gap {
                scope: m.scope.clone(),
                kind: k.clone(),
                verb: "list".into(),
                resource: String::new(),
                namespace: None,
                cluster: "-".into(),
                cause: GapCause::Unreachable,
                reason: m.reason.clone(),
            });
        }
    }
    for r in results {
        let label: Arc<str> = Arc::from(r.target.label.as_str());
        let mut count = 0;
        for scope in &r.target.scopes {
            let mut in_scope = 0;
            for l in &r.lists {
                let mut n = 0;
                for item in &l.items {
                    if let Some(o) = to_object(item.clone(), &l.resource, scope, &label) {
                        inv.push(o);
                        n += 1;
                    }
                }
                in_scope += n;
                // A list narrowed to one namespace is not "all of them".
                if l.narrowed.is_none() {
                    inv.mark_listed(scope.clone(), &l.resource.kind);
                }
                listed.push(Listed {
                    scope: scope.clone(),
                    resource: l.resource.clone(),
                    count: n,
                    complete: l.narrowed.is_none(),
                });
            }
            // Absence is evidence: discovery answered without the kind, so there are
            // none of it in this cluster (said once, in this input's summary).
            for ns in &r.not_served {
                inv.mark_not_served(scope.clone(), &ns.kind);
            }
            inv.inputs.push(InputSummary {
                source: format!("cluster {}", r.target.label),
                scope: scope.clone(),
                documents: 0,
                objects: in_scope,
                bytes: 0,
                live: Some(LiveRead {
                    cluster: r.target.label.clone(),
                    kubernetes_version: r.git_version.clone(),
                    requests: r.requests,
                    millis: u64::try_from(r.elapsed.as_millis()).unwrap_or(u64::MAX),
                    gaps: r.gaps.len(),
                    not_served: r.not_served.iter().map(|n| n.kind.clone()).collect(),
                }),
            });
            count += in_scope;
            for g in &r.gaps {
                inv.gaps.push(Gap {
                    scope: scope.clone(),
                    kind: g.kind.clone(),
                    verb: g.verb.clone(),
                    resource: g.resource.clone(),
                    namespace: g.namespace.clone(),
                    cluster: r.target.label.clone(),
                    cause: g.cause,
                    reason: g.reason.clone(),
                });
            }
        }
        clusters.push(ClusterReport {
            label: r.target.label.clone(),
            scopes: r.target.scopes.clone(),
            server: r.target.config.cluster_url.to_string(),
            git_version: r.git_version,
            error: r.error,
            objects: count,
            requests: r.requests,
            elapsed: r.elapsed,
            gaps: r.gaps.len(),
            not_served: r.not_served,
        });
    }
    Collection {
        inv,
        clusters,
        listed,
        stats: StatsSnapshot::default(),
        elapsed: Duration::ZERO,
    }
}

/// A Cluster without status.kubernetesVersion (never synced, or a Pull cluster whose
/// agent is down) gets the version its member's /version reported, with a note saying
/// so, when that member was read.
fn fill_member_versions(col: &mut Collection) {
    let versions: BTreeMap<String, String> = col
        .clusters
        .iter()
        .filter_map(|c| {
            let v = c.git_version.clone()?;
            c.scopes.iter().find_map(|s| match s {
                Scope::Member(n) => Some((n.to_string(), v.clone())),
                _ => None,
            })
        })
        .collect();
    if versions.is_empty() {
        return;
    }
    col.inv.patch_objects("Cluster", |o| {
        if *o.r.scope() != Scope::Karmada {
            return;
        }
        let has = o
            .str_at("/status/kubernetesVersion")
            .is_some_and(|s| !s.is_empty());
        let Some(v) = versions.get(o.r.name.as_str()) else {
            return;
        };
        if has {
            return;
        }
        o.edit(|value| {
            let Some(obj) = value.as_object_mut() else {
                return;
            };
            let status = obj
                .entry("status")
                .or_insert_with(|| Value::Object(Default::default()));
            if let Some(s) = status.as_object_mut() {
                s.insert("kubernetesVersion".into(), Value::String(v.clone()));
            }
            let meta = obj
                .entry("metadata")
                .or_insert_with(|| Value::Object(Default::default()));
            if let Some(m) = meta.as_object_mut() {
                let ann = m
                    .entry("annotations")
                    .or_insert_with(|| Value::Object(Default::default()));
                if let Some(a) = ann.as_object_mut() {
                    a.insert(
                        VERSION_NOTE.into(),
                        Value::String(
                            "member /version (status.kubernetesVersion was empty)".into(),
                        ),
                    );
                }
            }
        });
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_failures_are_told_from_member_answers() {
        let st = |code: u16, message: &str| ReqError::Status {
            code,
            reason: String::new(),
            message: message.into(),
        };
        let forbidden = st(403, "clusters.cluster.karmada.io \"m\" is forbidden: User \"u\" cannot get resource \"clusters/proxy\"");
        assert_eq!(proxy_failure(&forbidden), Some(GapCause::Forbidden));
        let gone = st(404, "clusters.cluster.karmada.io \"m\" not found");
        assert_eq!(proxy_failure(&gone), Some(GapCause::Unreachable));
        assert_eq!(
            proxy_failure(&st(500, "error trying to reach")),
            Some(GapCause::Unreachable)
        );
        // The member's own answers: left to discovery to judge.
        assert_eq!(
            proxy_failure(&st(
                403,
                "forbidden: User \"u\" cannot get path \"/version\""
            )),
            None
        );
        assert_eq!(
            proxy_failure(&st(404, "the server could not find the requested resource")),
            None
        );
    }

    #[test]
    fn encodes_continue_tokens() {
        assert_eq!(encode("eyJ2Ijoi+/="), "eyJ2Ijoi%2B%2F%3D");
    }
}
