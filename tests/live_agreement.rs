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

use common::served::{serve, serve_clusters, Served};
use common::{Run, LIVE_ONLY};

use fakeapi::ClusterSpec;
use serde_json::Value;

const RUN_TIMEOUT: Duration = Duration::from_secs(90);

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(rel)
}

fn cli(args: &[String]) -> Run {
    common::run_bounded(args, RUN_TIMEOUT)
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn live_flags(s: &Served) -> Vec<String> {
    s.live_flags()
}

fn check(input: Vec<String>, phase: &str) -> Run {
    let mut args = common::check_json_args(phase);
    args.extend(input);
    let run = cli(&args);
    assert_eq!(run.code, 0, "{:?}: {}", args, run.stderr);
    run
}

/// Rules a file dump cannot judge for want of a kind, where live did: offline they are
/// `unknown` because "the input holds no CustomResourceDefinitions from
/// karmada-apiserver" (files that hold none of a kind do not show it is absent), while a
/// live list, and the bundle made from it, is evidence of absence. Only for these rules
/// may offline differ from live.
fn blind_offline(offline: &Value, live: &Value) -> BTreeSet<String> {
    let of = |r: &Value, rule: &str| -> BTreeSet<String> {
        common::finding_keys(r, &[])
            .into_iter()
            .filter(|k| k.split(' ').next() == Some(rule))
            .collect()
    };
    offline["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| {
            f["status"] == "unknown"
                && f["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("the input holds no"))
        })
        .filter_map(|f| f["rule"].as_str())
        .filter(|rule| of(offline, rule) != of(live, rule))
        .map(str::to_string)
        .collect()
}

fn keys_without(report: &Value, also_skip: &BTreeSet<String>) -> BTreeSet<String> {
    let mut skip: Vec<&str> = LIVE_ONLY.to_vec();
    skip.extend(also_skip.iter().map(String::as_str));
    common::finding_keys(report, &skip)
}

/// Fail with what only one side has, naming the fixture, phase and the two sides.
fn assert_same(left: &BTreeSet<String>, right: &BTreeSet<String>, what: &str) {
    let only_left: Vec<&String> = left.difference(right).collect();
    let only_right: Vec<&String> = right.difference(left).collect();
    assert!(
        only_left.is_empty() && only_right.is_empty(),
        "{what} disagree\n  only left:  {only_left:#?}\n  only right: {only_right:#?}"
    );
}

/// Check `tree` live, offline and from a collected bundle in each phase; assert the
/// three agree rule by rule, status by status (offline: except [`blind_offline`] rules,
/// which live must then judge), and return the live reports.
fn agree_in(tree: &Path, phases: &[&str]) -> Vec<Value> {
    let served = serve(tree);
    let bundle = served.dir.path().join("bundle");
    let mut collect = strings(&["collect", "--out", bundle.to_str().unwrap()]);
    collect.extend(live_flags(&served));
    let c = cli(&collect);
    assert_eq!(c.code, 0, "collect {}: {}", tree.display(), c.stderr);
    let name = tree.display();
    let mut reports = Vec::new();
    for phase in phases {
        let live = check(live_flags(&served), phase);
        let offline = check(vec![tree.display().to_string()], phase);
        let from_bundle = check(vec![bundle.display().to_string()], phase);
        let none = BTreeSet::new();
        let l = keys_without(&live.report, &none);
        assert!(!l.is_empty(), "{name}: no findings live");
        assert_same(
            &l,
            &keys_without(&from_bundle.report, &none),
            &format!("{name} phase {phase}: live (left) and bundle (right)"),
        );
        let blind = blind_offline(&offline.report, &live.report);
        assert_same(
            &keys_without(&live.report, &blind),
            &keys_without(&offline.report, &blind),
            &format!("{name} phase {phase}: live (left) and offline (right)"),
        );
        for rule in &blind {
            let judged = common::findings(&live.report, rule);
            assert!(
                !judged.is_empty() && judged.iter().all(|f| f["status"] != "unknown"),
                "{name} phase {phase}: {rule} is unknown offline for want of a kind; live \
                 listed it and must judge: {judged:#?}"
            );
        }
        reports.push(live.report);
    }
    reports
}

fn agree(tree: &Path, phase: &str) -> Value {
    agree_in(tree, &[phase]).remove(0)
}

/// Every fixture laid out by scope (a `karmada/`, `host/` or `members/` folder, as
/// `check DIR` reads it), except `collect` bundles: their `collected.yaml` records gaps
/// and kinds not served that a plain served copy of their files would not reproduce.
/// A Helm chart named `karmada` is not a scope folder.
fn scoped_fixtures() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let scope_dirs: Vec<PathBuf> = ["karmada", "host", "members"]
            .iter()
            .map(|s| dir.join(s))
            .filter(|p| p.is_dir())
            .collect();
        if !scope_dirs.is_empty() && scope_dirs.iter().all(|d| !d.join("Chart.yaml").exists()) {
            if !dir.join("collected.yaml").exists() {
                out.push(dir.to_path_buf());
            }
            return;
        }
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        let mut subdirs: Vec<PathBuf> = rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_dir())
            .collect();
        subdirs.sort();
        for d in subdirs {
            walk(&d, out);
        }
    }
    let mut out = Vec::new();
    walk(&fixture(""), &mut out);
    out
}

#[test]
fn every_fixture_laid_out_by_scope_reads_the_same_live_offline_and_from_a_bundle() {
    let root = fixture("");
    let trees = scoped_fixtures();
    let names: Vec<String> = trees
        .iter()
        .map(|t| t.strip_prefix(&root).unwrap().display().to_string())
        .collect();
    // The walk must find the fleet with members of every mode, the MCS install, the
    // broken host and the compare pair; a walk that found nothing would prove nothing.
    for must in [
        "fleet-bundle",
        "live-mcs",
        "broken/service-link-host-service-missing",
        "compare/before",
        "compare/after",
    ] {
        assert!(names.iter().any(|n| n == must), "{must} not in {names:?}");
    }
    for tree in &trees {
        agree_in(tree, &["pre", "post"]);
    }
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
