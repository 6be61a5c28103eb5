//! Karmada's cluster proxy on the fake karmada-apiserver: what the member answers, only
//! for registered Clusters, with the karmada cluster's "RBAC" (faults on
//! `clusters/proxy`) and the member's own faults, logged under karmada with the full path.

mod common;

use common::*;
use fakeapi::{ClusterSpec, Fault, FaultKind, RunningServer, ServerConfig};
use serde_json::{json, Value};

const PROXY: &str = "/apis/cluster.karmada.io/v1alpha1/clusters";

fn cluster(name: &str) -> Value {
    json!({"apiVersion": "cluster.karmada.io/v1alpha1", "kind": "Cluster", "metadata": {"name": name}})
}

/// karmada registers member1 (served here) and member2 (not served); member1 holds five
/// ConfigMaps and a Secret, karmada none of them.
async fn start(faults: Vec<Fault>, proxy_members: bool) -> RunningServer {
    let mut karmada = ClusterSpec::new("karmada", vec![cluster("member1"), cluster("member2")]);
    karmada.context = "karmada-apiserver".into();
    karmada.git_version = "v1.21.7".into();
    let mut objs: Vec<Value> = (0..5)
        .map(|i| json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": format!("cm-{i}"), "namespace": "karmada-system"}}))
        .collect();
    objs.push(json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "karmada-system"}}));
    let mut member = ClusterSpec::new("member1", objs);
    member.git_version = "v1.25.2".into();
    RunningServer::start(ServerConfig {
        clusters: vec![karmada, member],
        faults,
        default_latency: None,
        proxy_members,
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn proxy_serves_the_member_and_logs_under_karmada() {
    let server = start(vec![], true).await;
    let v = get(
        &server,
        "karmada",
        &format!("{PROXY}/member1/proxy/version"),
    )
    .await;
    assert_eq!(v.status, 200);
    assert_eq!(v.json()["gitVersion"], "v1.25.2");
    // Discovery comes from the member too.
    let api = get(&server, "karmada", &format!("{PROXY}/member1/proxy/api/v1")).await;
    assert_eq!(api.status, 200);
    let api = api.json();
    let kinds: Vec<&str> = api["resources"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["kind"].as_str())
        .collect();
    assert!(kinds.contains(&"ConfigMap"), "{kinds:?}");
    // Paginated list: the continue token round-trips through the proxy.
    let base = format!("{PROXY}/member1/proxy/api/v1/namespaces/karmada-system/configmaps");
    let mut names = Vec::new();
    let mut cont = String::new();
    for _ in 0..10 {
        let uri = if cont.is_empty() {
            format!("{base}?limit=2")
        } else {
            format!("{base}?limit=2&continue={cont}")
        };
        let page = get(&server, "karmada", &uri).await.json();
        names.extend(item_names(&page));
        cont = page["metadata"]["continue"]
            .as_str()
            .unwrap_or("")
            .to_string();
        if cont.is_empty() {
            break;
        }
    }
    assert_eq!(names, ["cm-0", "cm-1", "cm-2", "cm-3", "cm-4"]);
    // A single get.
    let one = get(&server, "karmada", &format!("{base}/cm-3")).await;
    assert_eq!(one.json()["metadata"]["name"], "cm-3");
    // karmada itself has no ConfigMaps: the answers above were the member's.
    let own = get(&server, "karmada", "/api/v1/configmaps").await.json();
    assert!(item_names(&own).is_empty());

    let log = server.request_log();
    assert!(log.iter().all(|r| r.cluster == "karmada"), "{log:?}");
    assert!(log
        .iter()
        .any(|r| r.path == format!("{PROXY}/member1/proxy/version") && r.status == 200));
    assert!(log
        .iter()
        .any(|r| r.path == base && r.query.contains("continue=")));
    server.shutdown().await;
}

#[tokio::test]
async fn unregistered_or_unserved_members_and_rbac() {
    // The member's own RBAC: no secrets for the impersonated user.
    let faults = vec![Fault::new("member1", FaultKind::Status(403)).resource("secrets")];
    let server = start(faults, true).await;
    let nf = get(&server, "karmada", &format!("{PROXY}/nope/proxy/version")).await;
    assert_eq!(nf.status, 404);
    let body = nf.json();
    assert_eq!(
        body["message"],
        "clusters.cluster.karmada.io \"nope\" not found"
    );
    assert_eq!(body["reason"], "NotFound");
    // Registered but not run by this server: the aggregated apiserver cannot dial it.
    let down = get(
        &server,
        "karmada",
        &format!("{PROXY}/member2/proxy/version"),
    )
    .await;
    assert_eq!(down.status, 500, "{}", String::from_utf8_lossy(&down.body));
    assert!(down.json()["message"].as_str().unwrap().contains("member2"));
    // The member's faults apply behind the proxy, in the member's words.
    let s = get(
        &server,
        "karmada",
        &format!("{PROXY}/member1/proxy/api/v1/secrets"),
    )
    .await;
    assert_eq!(s.status, 403);
    assert!(s.json()["message"]
        .as_str()
        .unwrap()
        .contains("cannot list resource \"secrets\""));
    server.shutdown().await;

    // get clusters/proxy forbidden for member1 only.
    let faults = vec![Fault::new("karmada", FaultKind::Status(403))
        .resource("clusters/proxy")
        .name("member1")];
    let server = start(faults, true).await;
    let denied = get(
        &server,
        "karmada",
        &format!("{PROXY}/member1/proxy/version"),
    )
    .await;
    assert_eq!(denied.status, 403);
    let body = denied.json();
    let msg = body["message"].as_str().unwrap();
    assert!(
        msg.starts_with("clusters.cluster.karmada.io \"member1\" is forbidden: User \"kubernetes-admin@karmada\" cannot get resource \"clusters/proxy\" in API group \"cluster.karmada.io\""),
        "{msg}"
    );
    assert_eq!(body["details"]["name"], "member1");
    // Other reads on karmada are unaffected.
    assert_eq!(get(&server, "karmada", "/version").await.status, 200);
    server.shutdown().await;
}

#[tokio::test]
async fn proxy_is_opt_in() {
    let server = start(vec![], false).await;
    let r = get(
        &server,
        "karmada",
        &format!("{PROXY}/member1/proxy/version"),
    )
    .await;
    assert_eq!(r.status, 404);
    server.shutdown().await;
}
