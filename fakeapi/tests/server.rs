//! End-to-end tests of the fake apiserver over real mTLS loopback connections.

mod common;

use std::time::{Duration, Instant};

use common::*;
use fakeapi::{load_objects_from_dir, ClusterSpec, Fault, FaultKind, RunningServer, ServerConfig};
use serde_json::Value;

fn two_clusters(dir: &std::path::Path) -> Vec<ClusterSpec> {
    write_fixture(dir);
    let mut karmada = ClusterSpec::new(
        "karmada",
        load_objects_from_dir(&dir.join("karmada")).unwrap(),
    );
    karmada.context = "karmada-apiserver".into();
    karmada.git_version = "v1.21.7".into();
    let member = ClusterSpec::new(
        "member1",
        load_objects_from_dir(&dir.join("member1")).unwrap(),
    );
    vec![karmada, member]
}

async fn start(faults: Vec<Fault>) -> (tempfile::TempDir, RunningServer) {
    let dir = tempfile::tempdir().unwrap();
    let cfg = ServerConfig {
        clusters: two_clusters(dir.path()),
        faults,
        default_latency: None,
        proxy_members: false,
    };
    let server = RunningServer::start(cfg).await.unwrap();
    (dir, server)
}

#[test]
fn fixture_loading_skips_bad_docs_and_flattens_lists() {
    let dir = tempfile::tempdir().unwrap();
    write_fixture(dir.path());
    let objs = load_objects_from_dir(&dir.path().join("karmada")).unwrap();
    let kinds: Vec<&str> = objs.iter().filter_map(|o| o["kind"].as_str()).collect();
    // 1 namespace + 3 deployments (the malformed Service skipped) + 2 clusters + 5 configmaps + 1 secret
    assert_eq!(objs.len(), 12, "{kinds:?}");
    assert_eq!(kinds.iter().filter(|k| **k == "Cluster").count(), 2);
    assert!(!kinds.contains(&"Service"));
    assert!(load_objects_from_dir(&dir.path().join("missing")).is_err());
}

#[tokio::test]
async fn version_and_discovery() {
    let (_dir, server) = start(vec![]).await;
    let v = get(&server, "karmada", "/version").await.json();
    assert_eq!(v["gitVersion"], "v1.21.7");
    assert_eq!(v["major"], "1");
    assert_eq!(v["minor"], "21");
    assert_eq!(v["platform"], "linux/amd64");
    // Context names work as lookup keys too.
    assert_eq!(
        get(&server, "member1", "/version").await.json()["gitVersion"],
        "v1.21.3"
    );

    let api = get(&server, "karmada", "/api").await.json();
    assert_eq!(api["kind"], "APIVersions");
    assert_eq!(api["versions"][0], "v1");

    let core = get(&server, "karmada", "/api/v1").await.json();
    assert_eq!(core["kind"], "APIResourceList");
    let ns = core["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "namespaces")
        .unwrap();
    assert_eq!(ns["namespaced"], false);
    assert_eq!(ns["verbs"], serde_json::json!(["get", "list"]));

    // Aggregated discovery is deliberately unsupported: the plain list comes back.
    let tls = client_config(server.ca_pem(), server.client_identity("karmada"));
    let accept =
        "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json";
    let apis = send(
        tls,
        server.endpoint("karmada").unwrap(),
        "GET",
        "/apis",
        &[("accept", accept)],
    )
    .await
    .unwrap();
    assert_eq!(apis.headers["content-type"], "application/json");
    let apis = apis.json();
    assert_eq!(apis["kind"], "APIGroupList");
    let groups: Vec<&str> = apis["groups"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|g| g["name"].as_str())
        .collect();
    for g in [
        "apps",
        "cluster.karmada.io",
        "policy.karmada.io",
        "work.karmada.io",
        "multicluster.x-k8s.io",
    ] {
        assert!(groups.contains(&g), "{g} missing from {groups:?}");
    }
    let work = apis["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == "work.karmada.io")
        .unwrap();
    assert_eq!(
        work["preferredVersion"]["groupVersion"],
        "work.karmada.io/v1alpha2"
    );

    let apps = get(&server, "karmada", "/apis/apps/v1").await.json();
    assert_eq!(apps["groupVersion"], "apps/v1");
    let d = apps["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "deployments")
        .unwrap();
    assert_eq!(
        (d["kind"].as_str(), d["namespaced"].as_bool()),
        (Some("Deployment"), Some(true))
    );
    assert_eq!(
        get(&server, "karmada", "/apis/nope.io/v1").await.status,
        404
    );
    server.shutdown().await;
}

#[tokio::test]
async fn get_list_and_pagination() {
    let (_dir, server) = start(vec![]).await;
    let all = get(&server, "karmada", "/api/v1/configmaps").await.json();
    assert_eq!(all["kind"], "ConfigMapList");
    assert_eq!(all["apiVersion"], "v1");
    assert_eq!(
        item_names(&all),
        ["cm-1", "cm-3", "cm-0", "cm-2", "cm-4"],
        "ordered by (namespace, name)"
    );

    // Walk with limit=2: three pages, every object exactly once, same order.
    let mut names = Vec::new();
    let mut path = "/api/v1/configmaps?limit=2".to_string();
    let mut pages = 0;
    loop {
        let page = get(&server, "karmada", &path).await.json();
        pages += 1;
        assert!(page["items"].as_array().unwrap().len() <= 2);
        names.extend(item_names(&page));
        match page["metadata"]["continue"].as_str() {
            Some(c) => {
                assert!(page["metadata"]["remainingItemCount"].as_u64().unwrap() > 0);
                path = format!("/api/v1/configmaps?limit=2&continue={c}");
            }
            None => break,
        }
        assert!(pages < 10);
    }
    assert_eq!(pages, 3);
    assert_eq!(names, item_names(&all));
    assert_eq!(
        get(
            &server,
            "karmada",
            "/api/v1/configmaps?limit=2&continue=garbage"
        )
        .await
        .status,
        400
    );

    let ns = get(
        &server,
        "karmada",
        "/api/v1/namespaces/karmada-system/configmaps",
    )
    .await
    .json();
    assert_eq!(item_names(&ns), ["cm-0", "cm-2", "cm-4"]);
    let one = get(
        &server,
        "karmada",
        "/apis/apps/v1/namespaces/karmada-system/deployments/karmada-webhook",
    )
    .await;
    assert_eq!(one.status, 200);
    let one = one.json();
    assert_eq!(one["kind"], "Deployment");
    for f in ["uid", "resourceVersion", "creationTimestamp"] {
        assert!(one["metadata"][f].is_string(), "metadata.{f} missing");
    }
    let ns_obj = get(&server, "karmada", "/api/v1/namespaces/karmada-system")
        .await
        .json();
    assert_eq!(ns_obj["kind"], "Namespace");

    let sel = get(
        &server,
        "karmada",
        "/apis/apps/v1/deployments?labelSelector=tier%3Dcontrol-plane",
    )
    .await
    .json();
    assert_eq!(
        item_names(&sel),
        ["karmada-controller-manager", "karmada-scheduler"]
    );
    let sel = get(
        &server,
        "karmada",
        "/apis/apps/v1/deployments?labelSelector=app,tier!=control-plane",
    )
    .await
    .json();
    assert_eq!(item_names(&sel), ["karmada-webhook"]);
    let sel = get(
        &server,
        "karmada",
        "/apis/apps/v1/deployments?labelSelector=tier",
    )
    .await
    .json();
    assert_eq!(item_names(&sel).len(), 2);
    let f = get(
        &server,
        "karmada",
        "/api/v1/configmaps?fieldSelector=metadata.name%3Dcm-3",
    )
    .await
    .json();
    assert_eq!(item_names(&f), ["cm-3"]);
    let f = get(
        &server,
        "karmada",
        "/api/v1/configmaps?fieldSelector=metadata.namespace%3Ddefault",
    )
    .await
    .json();
    assert_eq!(item_names(&f), ["cm-1", "cm-3"]);

    let clusters = get(
        &server,
        "karmada",
        "/apis/cluster.karmada.io/v1alpha1/clusters",
    )
    .await
    .json();
    assert_eq!(clusters["kind"], "ClusterList");
    assert_eq!(item_names(&clusters), ["member1", "member2"]);
    server.shutdown().await;
}

#[tokio::test]
async fn not_found_is_a_status() {
    let (_dir, server) = start(vec![]).await;
    let r = get(
        &server,
        "karmada",
        "/apis/apps/v1/namespaces/karmada-system/deployments/nope",
    )
    .await;
    assert_eq!(r.status, 404);
    let s = r.json();
    assert_eq!(s["kind"], "Status");
    assert_eq!(s["reason"], "NotFound");
    assert_eq!(s["code"], 404);
    assert_eq!(s["message"], "deployments.apps \"nope\" not found");
    let core = get(
        &server,
        "karmada",
        "/api/v1/namespaces/karmada-system/secrets/nope",
    )
    .await
    .json();
    assert_eq!(core["message"], "secrets \"nope\" not found");
    let unknown = get(&server, "karmada", "/apis/apps/v1/widgets").await;
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.json()["reason"], "NotFound");
    server.shutdown().await;
}

#[tokio::test]
async fn status_faults() {
    let faults = vec![
        Fault::new("karmada", FaultKind::Status(403))
            .resource("secrets")
            .namespace("karmada-system"),
        Fault::new("karmada", FaultKind::Status(500))
            .resource("configmaps")
            .verb("get"),
        Fault::new(
            "karmada",
            FaultKind::TooManyRequests {
                retry_after_secs: 3,
            },
        )
        .resource("clusters"),
        Fault::new("member1", FaultKind::Latency(Duration::from_millis(150))),
    ];
    let (_dir, server) = start(faults).await;
    let r = get(
        &server,
        "karmada",
        "/api/v1/namespaces/karmada-system/secrets",
    )
    .await;
    assert_eq!(r.status, 403);
    let s = r.json();
    assert_eq!(s["reason"], "Forbidden");
    assert_eq!(
        s["message"],
        "secrets is forbidden: User \"kubernetes-admin@karmada\" cannot list resource \"secrets\" in API group \"\" in the namespace \"karmada-system\""
    );
    // The fault is namespace-scoped: the all-namespaces list is unaffected.
    assert_eq!(get(&server, "karmada", "/api/v1/secrets").await.status, 200);

    assert_eq!(
        get(
            &server,
            "karmada",
            "/api/v1/namespaces/default/configmaps/cm-1"
        )
        .await
        .status,
        500
    );
    assert_eq!(
        get(&server, "karmada", "/api/v1/configmaps").await.status,
        200,
        "verb filter: list is fine"
    );

    let r = get(
        &server,
        "karmada",
        "/apis/cluster.karmada.io/v1alpha1/clusters",
    )
    .await;
    assert_eq!(r.status, 429);
    assert_eq!(r.headers["retry-after"], "3");
    assert_eq!(r.json()["reason"], "TooManyRequests");

    let t = Instant::now();
    assert_eq!(get(&server, "member1", "/version").await.status, 200);
    assert!(t.elapsed() >= Duration::from_millis(150));
    server.shutdown().await;
}

#[tokio::test]
async fn gone_on_continue_then_restart_succeeds() {
    let faults =
        vec![Fault::new("karmada", FaultKind::GoneOnContinue { times: 1 }).resource("configmaps")];
    let (_dir, server) = start(faults).await;
    let first = get(&server, "karmada", "/api/v1/configmaps?limit=2")
        .await
        .json();
    let token = first["metadata"]["continue"].as_str().unwrap().to_string();
    let gone = get(
        &server,
        "karmada",
        &format!("/api/v1/configmaps?limit=2&continue={token}"),
    )
    .await;
    assert_eq!(gone.status, 410);
    assert_eq!(gone.json()["reason"], "Expired");

    // A client that restarts the list from scratch now gets through every page.
    let mut names = item_names(
        &get(&server, "karmada", "/api/v1/configmaps?limit=2")
            .await
            .json(),
    );
    let mut next = Some(token);
    while let Some(c) = next {
        let page = get(
            &server,
            "karmada",
            &format!("/api/v1/configmaps?limit=2&continue={c}"),
        )
        .await;
        assert_eq!(page.status, 200);
        let page = page.json();
        names.extend(item_names(&page));
        next = page["metadata"]["continue"].as_str().map(String::from);
    }
    assert_eq!(names.len(), 5);
    let codes: Vec<u16> = server.request_log().iter().map(|r| r.status).collect();
    assert_eq!(codes, [200, 410, 200, 200, 200]);
    server.shutdown().await;
}

#[tokio::test]
async fn close_mid_body_and_hang() {
    let faults = vec![
        Fault::new("karmada", FaultKind::CloseMidBody).resource("configmaps"),
        Fault::new("karmada", FaultKind::Hang).resource("secrets"),
    ];
    let (_dir, server) = start(faults).await;
    let tls = client_config(server.ca_pem(), server.client_identity("karmada"));
    let addr = server.endpoint("karmada").unwrap();
    let torn = tokio::time::timeout(
        REQUEST_TIMEOUT,
        send(tls.clone(), addr, "GET", "/api/v1/configmaps", &[]),
    )
    .await
    .unwrap();
    let err = torn.expect_err("a torn body must be an error for the client");
    // Headers arrived (the request itself succeeded); only the body was torn.
    assert!(format!("{err:#}").starts_with("reading body"), "{err:#}");

    let hung = tokio::time::timeout(
        Duration::from_millis(300),
        send(tls, addr, "GET", "/api/v1/secrets", &[]),
    )
    .await;
    assert!(hung.is_err(), "hang fault must not answer");
    let log = server.request_log();
    assert!(log
        .iter()
        .any(|r| r.path == "/api/v1/secrets" && r.status == 0));
    // Shutdown must not wait for the hung connection.
    tokio::time::timeout(Duration::from_secs(3), server.shutdown())
        .await
        .expect("shutdown hung");
}

#[tokio::test]
async fn non_get_is_405_and_logged() {
    let (_dir, server) = start(vec![]).await;
    let tls = client_config(server.ca_pem(), server.client_identity("karmada"));
    let addr = server.endpoint("karmada").unwrap();
    let r = send(
        tls,
        addr,
        "POST",
        "/api/v1/namespaces/default/configmaps?dryRun=All",
        &[],
    )
    .await
    .unwrap();
    assert_eq!(r.status, 405);
    assert_eq!(r.json()["reason"], "MethodNotAllowed");
    let _ = get(&server, "karmada", "/version").await;
    let log = server.request_log();
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].method, "POST");
    assert_eq!(log[0].path, "/api/v1/namespaces/default/configmaps");
    assert_eq!(log[0].query, "dryRun=All");
    assert_eq!(log[0].status, 405);
    assert_eq!(log[0].cluster, "karmada");
    assert_eq!(log[0].user.as_deref(), Some("kubernetes-admin@karmada"));
    let line: Value = serde_json::from_str(&log[0].to_json_line()).unwrap();
    assert_eq!(line["method"], "POST");
    server.shutdown().await;
}

#[tokio::test]
async fn clients_without_a_valid_cert_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let mut clusters = two_clusters(dir.path());
    clusters[1].bearer_token = Some("s3cret".into());
    let server = RunningServer::start(ServerConfig {
        clusters,
        ..Default::default()
    })
    .await
    .unwrap();
    let karmada = server.endpoint("karmada").unwrap();

    let no_cert = client_config(server.ca_pem(), None);
    let r = tokio::time::timeout(
        REQUEST_TIMEOUT,
        send(no_cert.clone(), karmada, "GET", "/version", &[]),
    )
    .await
    .unwrap();
    assert!(
        r.is_err(),
        "no client cert must fail at the TLS level, got {r:?}"
    );

    let foreign = fakeapi::tls::foreign_identity("mallory").unwrap();
    let stranger = client_config(server.ca_pem(), Some(&foreign));
    let r = tokio::time::timeout(
        REQUEST_TIMEOUT,
        send(stranger.clone(), karmada, "GET", "/version", &[]),
    )
    .await
    .unwrap();
    assert!(
        r.is_err(),
        "a cert from another CA must be rejected, got {r:?}"
    );
    assert!(
        server.request_log().is_empty(),
        "rejected handshakes never reach HTTP"
    );

    // Token-enabled cluster: certificate optional, token required, foreign certs still refused.
    let member = server.endpoint("member1").unwrap();
    let r = send(no_cert.clone(), member, "GET", "/version", &[])
        .await
        .unwrap();
    assert_eq!(r.status, 401);
    let r = send(
        no_cert,
        member,
        "GET",
        "/version",
        &[("authorization", "Bearer s3cret")],
    )
    .await
    .unwrap();
    assert_eq!(r.status, 200);
    assert!(send(
        stranger,
        member,
        "GET",
        "/version",
        &[("authorization", "Bearer s3cret")]
    )
    .await
    .is_err());
    server.shutdown().await;
}

#[tokio::test]
async fn unreachable_cluster_refuses_connections() {
    let dir = tempfile::tempdir().unwrap();
    let mut clusters = two_clusters(dir.path());
    clusters[1].unreachable = true;
    let server = RunningServer::start(ServerConfig {
        clusters,
        ..Default::default()
    })
    .await
    .unwrap();
    let addr = server.endpoint("member1").unwrap();
    let r = tokio::time::timeout(REQUEST_TIMEOUT, tokio::net::TcpStream::connect(addr))
        .await
        .unwrap();
    assert!(r.is_err(), "port of an unreachable cluster must be closed");
    let cfg = server.kubeconfig_yaml();
    assert!(
        cfg.contains(&format!("https://{addr}")),
        "unreachable cluster still has a kubeconfig entry"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn many_concurrent_requests_with_latency() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = ServerConfig {
        clusters: two_clusters(dir.path()),
        faults: vec![],
        default_latency: Some(Duration::from_millis(20)),
        proxy_members: false,
    };
    let server = RunningServer::start(cfg).await.unwrap();
    let tls = client_config(server.ca_pem(), server.client_identity("karmada"));
    let addr = server.endpoint("karmada").unwrap();
    let tasks: Vec<_> = (0..200)
        .map(|_| {
            let tls = tls.clone();
            tokio::spawn(async move {
                send(tls, addr, "GET", "/api/v1/configmaps?limit=1", &[])
                    .await
                    .map(|r| r.status)
            })
        })
        .collect();
    for t in tasks {
        let status = tokio::time::timeout(Duration::from_secs(20), t)
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        assert_eq!(status, 200);
    }
    // Sleeps overlap: requests wait out their latency side by side, not one after
    // another (a gauge in the server, not a stopwatch: this must hold on a loaded machine).
    assert!(
        server.peak_concurrent_waits() > 1,
        "requests were served one at a time (peak {})",
        server.peak_concurrent_waits()
    );
    assert_eq!(server.request_log().len(), 200);
    server.shutdown().await;
}

#[tokio::test]
async fn unknown_fault_cluster_is_a_config_error() {
    let cfg = ServerConfig {
        clusters: vec![ClusterSpec::new("a", vec![])],
        faults: vec![Fault::new("b", FaultKind::Hang)],
        default_latency: None,
        proxy_members: false,
    };
    assert!(RunningServer::start(cfg).await.is_err());
}
