//! Generated fleets: deterministic, and servable.

mod common;

use common::*;
use fakeapi::{generate_fleet, RunningServer, ServerConfig};

#[test]
fn same_seed_same_fleet() {
    let a = generate_fleet(4, 300, 42);
    let b = generate_fleet(4, 300, 42);
    let c = generate_fleet(4, 300, 43);
    let dump =
        |f: &[fakeapi::ClusterSpec]| -> Vec<(String, String, String, Vec<serde_json::Value>)> {
            f.iter()
                .map(|c| {
                    (
                        c.name.clone(),
                        c.context.clone(),
                        c.git_version.clone(),
                        c.objects.clone(),
                    )
                })
                .collect()
        };
    assert_eq!(dump(&a), dump(&b));
    assert_ne!(dump(&a), dump(&c));
    let names: Vec<&str> = a.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "karmada",
            "host",
            "member-0001",
            "member-0002",
            "member-0003",
            "member-0004"
        ]
    );
}

#[tokio::test]
async fn fleet_is_served() {
    let server = RunningServer::start(ServerConfig {
        clusters: generate_fleet(3, 60, 1),
        ..Default::default()
    })
    .await
    .unwrap();
    let clusters = get(
        &server,
        "karmada-apiserver",
        "/apis/cluster.karmada.io/v1alpha1/clusters",
    )
    .await
    .json();
    assert_eq!(
        item_names(&clusters),
        ["member-0001", "member-0002", "member-0003"]
    );
    let deploys = get(
        &server,
        "karmada-host",
        "/apis/apps/v1/namespaces/karmada-system/deployments",
    )
    .await
    .json();
    assert!(item_names(&deploys).contains(&"karmada-controller-manager".to_string()));
    let v = get(&server, "member-0002", "/version").await.json();
    assert!(v["gitVersion"].as_str().unwrap().starts_with("v1."));
    server.shutdown().await;
}
