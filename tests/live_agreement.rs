//! Live, offline and bundle agree: a fixture install laid out as `karmada/`, `host/` and
//! `members/NAME/` is served through the loopback fake API server (one cluster per
//! folder), checked live, checked offline from the same folders, and collected into a
//! bundle that is checked again. The three runs must give the same findings, rule by
//! rule and status by status.
//!
//! The story behind it (issue 14): a v0.10 install whose members do not serve the newer
//! MultiClusterService kind read live as "unknown" where the same files offline gave the
//! blocker that mattered. A kind a cluster's discovery does not list is evidence that no
//! such object exists there, not a failed read.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

mod common;

use common::Run;

use fakeapi::{load_objects_from_dir, ClusterSpec, RunningServer, ServerConfig};
use serde_json::Value;

const RUN_TIMEOUT: Duration = Duration::from_secs(90);

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(rel)
}

/// Rules whose subject is the input itself, or that only a live run (or a bundle's
/// manifest) can judge: plain files cannot say whether an API answers.
const LIVE_ONLY: &[&str] = &[
    "input-valid",
    "cluster-api-served",
    "aggregated-apiserver-ready",
];

/// A served fixture tree: the server, its kubeconfig, and the member names.
struct Served {
    _server: fakeapi::BlockingServer,
    _dir: tempfile::TempDir,
    kubeconfig: PathBuf,
    members: Vec<String>,
}

fn member_names(tree: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(tree.join("members"))
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .filter(|e| e.path().is_dir())
                .filter_map(|e| e.file_name().to_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// The Kubernetes version karmada-apiserver reports for member `name`
/// (`status.kubernetesVersion` of its Cluster), so the member's `/version` agrees.
fn reported_version(karmada: &[Value], name: &str) -> Option<String> {
    karmada
        .iter()
        .find(|o| o["kind"] == "Cluster" && o["metadata"]["name"] == name)
        .and_then(|o| o["status"]["kubernetesVersion"].as_str())
        .map(str::to_string)
}

/// Serve `tree`: `karmada/` as context `karmada-apiserver`, `host/` as `karmada-host`,
/// each `members/NAME/` as context NAME.
fn serve(tree: &Path) -> Served {
    let load = |p: &Path| {
        if p.is_dir() {
            load_objects_from_dir(p).expect("fixture objects")
        } else {
            Vec::new()
        }
    };
    let karmada_objects = load(&tree.join("karmada"));
    let members = member_names(tree);
    let mut clusters = Vec::new();
    for name in &members {
        let mut m = ClusterSpec::new(name.clone(), load(&tree.join("members").join(name)));
        if let Some(v) = reported_version(&karmada_objects, name) {
            m.git_version = v;
        }
        clusters.push(m);
    }
    let mut karmada = ClusterSpec::new("karmada", karmada_objects);
    karmada.context = "karmada-apiserver".into();
    let mut host = ClusterSpec::new("host", load(&tree.join("host")));
    host.context = "karmada-host".into();
    clusters.splice(0..0, [karmada, host]);
    serve_clusters(clusters, members)
}

fn serve_clusters(clusters: Vec<ClusterSpec>, members: Vec<String>) -> Served {
    let server = RunningServer::start_blocking(ServerConfig {
        clusters,
        ..Default::default()
    })
    .expect("fake apiserver");
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    server.write_kubeconfig(&kubeconfig).unwrap();
    Served {
        _server: server,
        _dir: dir,
        kubeconfig,
        members,
    }
}

fn cli(args: &[String]) -> Run {
    common::run_bounded(args, RUN_TIMEOUT)
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// The live flags for a served tree.
fn live_flags(s: &Served) -> Vec<String> {
    let mut a = strings(&["--kubeconfig", s.kubeconfig.to_str().unwrap()]);
    for m in &s.members {
        a.push("--member".into());
        a.push(format!("{m}={m}"));
    }
    a
}

fn check(input: Vec<String>, phase: &str) -> Run {
    let mut args = strings(&[
        "check",
        "-o",
        "json",
        "--fail-on",
        "never",
        "--phase",
        phase,
    ]);
    args.extend(input);
    let run = cli(&args);
    assert_eq!(run.code, 0, "{:?}: {}", args, run.stderr);
    run
}

fn keys(report: &Value) -> BTreeSet<String> {
    common::finding_keys(report, LIVE_ONLY)
}

/// Check `tree` live, offline and from a collected bundle in `phase`; assert the three
/// agree and return the live report.
fn agree(tree: &Path, phase: &str) -> Value {
    let served = serve(tree);
    let live = check(live_flags(&served), phase);
    let offline = check(vec![tree.display().to_string()], phase);
    let bundle = served._dir.path().join("bundle");
    let mut collect = strings(&["collect", "--out", bundle.to_str().unwrap()]);
    collect.extend(live_flags(&served));
    let c = cli(&collect);
    assert_eq!(c.code, 0, "collect: {}", c.stderr);
    let from_bundle = check(vec![bundle.display().to_string()], phase);
    let (l, o, b) = (
        keys(&live.report),
        keys(&offline.report),
        keys(&from_bundle.report),
    );
    assert!(!l.is_empty(), "{}: no findings live", tree.display());
    assert_eq!(
        l,
        o,
        "{} phase {phase}: live (left) vs offline (right)",
        tree.display()
    );
    assert_eq!(
        l,
        b,
        "{} phase {phase}: live (left) vs bundle (right)",
        tree.display()
    );
    live.report
}

fn about<'a>(report: &'a Value, rule: &str, name: &str) -> Vec<&'a Value> {
    report["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| f["rule"] == rule && f["object"]["name"] == name)
        .collect()
}

#[test]
fn an_unserved_kind_is_read_as_none_so_the_mcs_blocker_on_edge_shows_live_as_offline() {
    let tree = fixture("live-mcs");
    let report = agree(&tree, "pre");
    let edge = about(&report, "mcs-member-version", "edge");
    assert_eq!(edge.len(), 1, "{edge:#?}");
    assert_eq!(edge[0]["status"], "blocker", "{}", edge[0]);
    assert_eq!(edge[0]["id"], "KP1011");
    assert!(
        edge[0]["message"]
            .as_str()
            .unwrap()
            .contains("v1.20.4-eks-6b7464"),
        "{}",
        edge[0]
    );
    let k3s = about(&report, "mcs-member-version", "k3s");
    assert_eq!(k3s[0]["status"], "pass", "{}", k3s[0]);
    // The absence is said once per cluster, in the report's inputs, not as a gap.
    let inputs = report["inputs"].as_array().unwrap();
    let edge_input = inputs
        .iter()
        .find(|i| i["scope"] == "member/edge")
        .expect("an input for member/edge");
    let not_served = edge_input["live"]["notServed"].as_array().unwrap();
    assert!(
        not_served.iter().any(|k| k == "MultiClusterService"),
        "{edge_input}"
    );
    assert_eq!(edge_input["live"]["gaps"], 0, "{edge_input}");
}

#[test]
fn the_api_served_rule_still_fails_when_discovery_does_not_list_clusters() {
    // karmada-apiserver without the cluster.karmada.io API (the aggregated API never set
    // up): absence is evidence for other rules, and exactly what this one fails on.
    // Karmada's own CRDs are there (a cluster with nothing of Karmada is refused, exit 2).
    let crd = serde_json::json!({
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "propagationpolicies.policy.karmada.io"},
        "spec": {"group": "policy.karmada.io"}
    });
    let mut karmada = ClusterSpec::new("karmada", vec![crd]);
    karmada.context = "karmada-apiserver".into();
    karmada.unserved_groups = vec!["cluster.karmada.io".into()];
    let served = serve_clusters(vec![karmada], Vec::new());
    let live = check(live_flags(&served), "post");
    let f: Vec<&Value> = live.report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "cluster-api-served")
        .collect();
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0]["id"], "KP1901");
    assert_eq!(f[0]["status"], "fail", "{}", f[0]);
    assert_eq!(f[0]["object"]["scope"], "karmada", "{}", f[0]);
    assert!(
        f[0]["message"]
            .as_str()
            .unwrap()
            .contains("kind Cluster (cluster.karmada.io/v1alpha1) is not served in karmada"),
        "{}",
        f[0]
    );
}
