//! Real kubectl against the fake apiserver (skipped when kubectl is not installed).

mod common;

use std::process::Command;

use fakeapi::{load_objects_from_dir, ClusterSpec, RunningServer, ServerConfig};

fn kubectl() -> Option<String> {
    let out = Command::new("which").arg("kubectl").output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

#[test]
fn kubectl_reads_the_fake_clusters() {
    let Some(kubectl) = kubectl() else {
        println!("skipping: kubectl not found on PATH");
        return;
    };
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
    let server = RunningServer::start_blocking(ServerConfig {
        clusters: vec![karmada, member],
        ..Default::default()
    })
    .unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    server.write_kubeconfig(&kubeconfig).unwrap();

    let run = |args: &[&str]| -> String {
        // kubectl's own timeout bounds the test; a separate cache dir keeps runs independent.
        let out = Command::new(&kubectl)
            .arg("--kubeconfig")
            .arg(&kubeconfig)
            .arg("--cache-dir")
            .arg(dir.path().join("cache"))
            .arg("--request-timeout=10s")
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "kubectl {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };

    let names = run(&[
        "--context",
        "karmada-apiserver",
        "get",
        "deployments",
        "-n",
        "karmada-system",
        "-o",
        "name",
    ]);
    assert_eq!(
        names.lines().collect::<Vec<_>>(),
        [
            "deployment.apps/karmada-controller-manager",
            "deployment.apps/karmada-scheduler",
            "deployment.apps/karmada-webhook"
        ]
    );
    let version = run(&["--context", "member1", "get", "--raw", "/version"]);
    assert!(version.contains("\"gitVersion\":\"v1.21.3\""), "{version}");
    let json = run(&[
        "--context",
        "karmada-apiserver",
        "get",
        "clusters.cluster.karmada.io",
        "-o",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["items"].as_array().map(Vec::len), Some(2));
    // Plain output goes through the as=Table path.
    let table = run(&["--context", "member1", "get", "deploy", "-A"]);
    assert!(
        table.contains("NAMESPACE") && table.contains("web"),
        "{table}"
    );
    // Chunked listing walks continue tokens.
    let chunked = run(&[
        "--context",
        "karmada-apiserver",
        "get",
        "cm",
        "-A",
        "--chunk-size=2",
        "-o",
        "name",
    ]);
    assert_eq!(chunked.lines().count(), 5);

    let log = server.request_log();
    assert!(
        log.iter().all(|r| r.method == "GET"),
        "kubectl get must only GET"
    );
    assert!(log.iter().any(|r| r.query.contains("continue=")));
    server.shutdown();
}
