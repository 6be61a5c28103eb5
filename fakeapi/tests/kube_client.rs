//! The CLI's own client stack (kube-rs with rustls/ring) against the fake apiserver.

mod common;

use fakeapi::{load_objects_from_dir, ClusterSpec, Fault, FaultKind, RunningServer, ServerConfig};
use k8s_openapi::api::apps::v1::Deployment;
use kube::api::{Api, ListParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config, Discovery};

async fn client(path: &std::path::Path, context: &str) -> Client {
    let kc = Kubeconfig::read_from(path).unwrap();
    let opts = KubeConfigOptions {
        context: Some(context.into()),
        ..Default::default()
    };
    let cfg = Config::from_custom_kubeconfig(kc, &opts).await.unwrap();
    Client::try_from(cfg).unwrap()
}

#[tokio::test]
async fn kube_rs_lists_pages_and_discovers() {
    let dir = tempfile::tempdir().unwrap();
    common::write_fixture(dir.path());
    let mut karmada = ClusterSpec::new(
        "karmada",
        load_objects_from_dir(&dir.path().join("karmada")).unwrap(),
    );
    karmada.context = "karmada-apiserver".into();
    let member = ClusterSpec::new(
        "member1",
        load_objects_from_dir(&dir.path().join("member1")).unwrap(),
    );
    let faults = vec![Fault::new("member1", FaultKind::Status(403)).resource("deployments")];
    let server = RunningServer::start(ServerConfig {
        clusters: vec![karmada, member],
        faults,
        default_latency: None,
        proxy_members: false,
    })
    .await
    .unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    server.write_kubeconfig(&kubeconfig).unwrap();

    let work = async {
        let c = client(&kubeconfig, "karmada-apiserver").await;
        assert_eq!(c.apiserver_version().await.unwrap().git_version, "v1.21.3");

        let deploys: Api<Deployment> = Api::namespaced(c.clone(), "karmada-system");
        let mut names = Vec::new();
        let mut lp = ListParams::default().limit(2);
        loop {
            let page = deploys.list(&lp).await.unwrap();
            names.extend(page.items.iter().filter_map(|d| d.metadata.name.clone()));
            match page.metadata.continue_.filter(|c| !c.is_empty()) {
                Some(token) => lp = lp.continue_token(&token),
                None => break,
            }
        }
        assert_eq!(
            names,
            [
                "karmada-controller-manager",
                "karmada-scheduler",
                "karmada-webhook"
            ]
        );

        let err = deploys.get("nope").await.unwrap_err();
        assert!(
            matches!(&err, kube::Error::Api(s) if s.code == 404),
            "{err:?}"
        );

        let discovery = Discovery::new(c).run().await.unwrap();
        assert!(discovery.has_group("cluster.karmada.io"));

        let m = client(&kubeconfig, "member1").await;
        let forbidden = Api::<Deployment>::all(m)
            .list(&ListParams::default())
            .await
            .unwrap_err();
        assert!(
            matches!(&forbidden, kube::Error::Api(s) if s.code == 403 && s.reason == "Forbidden"),
            "{forbidden:?}"
        );
    };
    tokio::time::timeout(std::time::Duration::from_secs(20), work)
        .await
        .expect("kube-rs test timed out");
    assert!(server.request_log().iter().all(|r| r.method == "GET"));
    server.shutdown().await;
}
