//! Every hop's pack on the source release's own official manifests (`artifacts/deploy` at
//! the `.0` tag), before the hop: exactly what that release still carries and the target
//! release no longer accepts, each with its status and `file:line`, and nothing else from
//! the pack. (Hand-made state for object rules is in each rule's `examples:`; the other
//! side, each target release checked after its hop, is tests/packs_false_alarm.rs.)

mod common;

use common::check;
use serde_json::Value;
use std::collections::BTreeSet;

/// (rule, status, file under the input, a needle on the line (`^` = at its start), which
/// occurrence (1-based)); file "" = a finding about something missing, without a location.
type Want = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    usize,
);

fn nth_line(path: &str, needle: &str, n: usize) -> u64 {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    text.lines()
        .enumerate()
        .filter(|(_, l)| match needle.strip_prefix('^') {
            Some(start) => l.starts_with(start),
            None => l.contains(needle),
        })
        .nth(n - 1)
        .map(|(i, _)| i as u64 + 1)
        .unwrap_or_else(|| panic!("{needle:?} #{n} not in {path}"))
}

/// The hop's findings that are neither pass nor skip, release notes aside (they are info
/// whatever the input): (rule, status, file, line).
fn attention(r: &Value, hop: &str) -> BTreeSet<(String, String, String, u64)> {
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        // The hop's pack; the core rule that rolls the component images names every hop.
        .filter(|f| f["hop"] == hop && f["pack"] != "core")
        .filter(|f| !matches!(f["status"].as_str(), Some("pass" | "skip")))
        .filter(|f| !f["rule"].as_str().unwrap().starts_with("release-notes-"))
        .map(|f| {
            let (file, line) = common::at(f);
            (
                f["rule"].as_str().unwrap().to_string(),
                f["status"].as_str().unwrap().to_string(),
                file,
                line,
            )
        })
        .collect()
}

fn expect(dir: &str, want: &[Want]) -> BTreeSet<(String, String, String, u64)> {
    want.iter()
        .map(|(rule, status, file, needle, n)| {
            let (path, line) = if file.is_empty() {
                (String::new(), 0)
            } else {
                let p = format!("{dir}/{file}");
                let l = nth_line(&p, needle, *n);
                (p, l)
            };
            (rule.to_string(), status.to_string(), path, line)
        })
        .collect()
}

const CM: &str = "karmada-controller-manager.yaml";
const GATES: &str = "--feature-gates=";

#[rustfmt::skip]
fn hops() -> Vec<(&'static str, &'static str, &'static str, Vec<Want>)> {
    vec![
        ("v0.9", "v0.10", "fixtures/releases/v0.9.0/artifacts/deploy", vec![
            ("scheduler-failover-flag-removed", "action", "karmada-scheduler.yaml", "--failover=true", 1),
        ]),
        ("v0.10", "v1.0", "fixtures/releases/v0.10.0/artifacts/deploy", vec![
            ("cluster-crd-removed", "unknown", "", "", 0),
            ("cluster-apiservice", "action", "", "", 0),
            ("apiserver-front-proxy-flags", "action", "karmada-apiserver.yaml", "--proxy-client-cert-file=", 1),
            ("front-proxy-cert-secret", "action", "karmada-cert-secret.yaml", "^data:", 1),
            ("front-proxy-certs-valid", "unknown", "karmada-cert-secret.yaml", "^data:", 1),
            ("karmada-apiserver-version", "action", "karmada-apiserver.yaml", "image: k8s.gcr.io/kube-apiserver:v1.20.11", 1),
            ("aggregated-apiserver-deployed", "action", "", "", 0),
            ("karmada-version-path", "unknown", "", "", 0),
            ("replicaschedulingpolicy-removed", "unknown", "", "", 0),
            ("member-k8s-1.24-needs-patch", "unknown", "", "", 0),
        ]),
        // v1.0.0 is not under fixtures/releases; fixtures/karmada-v1.0.0 is its deploy folder.
        ("v1.0", "v1.1", "fixtures/karmada-v1.0.0/artifacts/deploy", vec![
            ("cluster-webhook-removed", "action", "webhook-configuration.yaml", "- name: cluster.karmada.io", 1),
            ("aggregated-apiserver-kubeconfig-flags-deprecated", "fail", "karmada-aggregated-apiserver.yaml", "--karmada-config=", 1),
        ]),
        ("v1.1", "v1.2", "fixtures/releases/v1.1.0/artifacts/deploy", vec![
            ("aggregated-apiserver-kubeconfig-flags-removed", "fail", "karmada-aggregated-apiserver.yaml", "--karmada-config=", 1),
            ("cluster-proxy-admin-clusterrole", "action", "", "", 0),
            ("cluster-proxy-admin-clusterrolebinding", "action", "", "", 0),
        ]),
        ("v1.2", "v1.3", "fixtures/releases/v1.2.0/artifacts/deploy", vec![
            ("apiserver-insecure-port-removed", "action", "karmada-apiserver.yaml", "--insecure-port=0", 1),
            ("kube-controller-manager-port-removed", "action", "kube-controller-manager.yaml", "--port=0", 1),
        ]),
        // v1.3.0's controller-manager pins Failover already: nothing to do for v1.4.
        ("v1.3", "v1.4", "fixtures/releases/v1.3.0/artifacts/deploy", vec![]),
        ("v1.4", "v1.5", "fixtures/releases/v1.4.0/artifacts/deploy", vec![
            ("k8s-gcr-io-images", "action", "karmada-apiserver.yaml", "containers:", 1),
            ("k8s-gcr-io-images", "action", "kube-controller-manager.yaml", "containers:", 1),
            ("k8s-gcr-io-etcd-image", "action", "karmada-etcd.yaml", "containers:", 1),
        ]),
        ("v1.5", "v1.6", "fixtures/releases/v1.5.0/artifacts/deploy", vec![
            ("federatedhpa-mutating-webhook", "action", "webhook-configuration.yaml", "webhooks:", 1),
            ("federatedhpa-validating-webhook", "action", "webhook-configuration.yaml", "webhooks:", 2),
        ]),
        ("v1.6", "v1.7", "fixtures/releases/v1.6.0/artifacts/deploy", vec![
            ("clusterrole-aggregation-controller", "fail", "kube-controller-manager.yaml", "--controllers=", 1),
        ]),
        ("v1.7", "v1.8", "fixtures/releases/v1.7.0/artifacts/deploy", vec![
            ("deletion-protection-webhook", "action", "webhook-configuration.yaml", "webhooks:", 2),
        ]),
        ("v1.8", "v1.9", "fixtures/releases/v1.8.0/artifacts/deploy", vec![
            ("failover-default-off-v1-9-10", "fail", CM, GATES, 1),
        ]),
        ("v1.9", "v1.10", "fixtures/releases/v1.9.0/artifacts/deploy", vec![
            ("apf-feature-gate-removed", "action", "karmada-aggregated-apiserver.yaml", "APIPriorityAndFairness=false", 1),
            ("apf-feature-gate-removed", "action", "karmada-search.yaml", "APIPriorityAndFairness=false", 1),
            ("binding-mutating-webhooks", "action", "webhook-configuration.yaml", "webhooks:", 1),
            ("hpa-replicas-syncer-renamed", "action", CM, "--controllers=*,hpaReplicasSyncer", 1),
            ("failover-default-off-v1-10-8", "fail", CM, GATES, 1),
        ]),
        ("v1.10", "v1.11", "fixtures/releases/v1.10.0/artifacts/deploy", vec![
            ("bind-address-flags-deprecated", "fail", CM, "--bind-address=", 1),
            ("bind-address-flags-deprecated", "fail", "karmada-scheduler.yaml", "--bind-address=", 1),
            ("bind-address-flags-deprecated", "fail", "karmada-descheduler.yaml", "--bind-address=", 1),
            ("failover-default-off-v1-11-4", "fail", CM, GATES, 1),
        ]),
        ("v1.11", "v1.12", "fixtures/releases/v1.11.0/artifacts/deploy", vec![
            ("bind-address-flags-removed", "action", CM, "--bind-address=", 1),
            ("bind-address-flags-removed", "action", "karmada-scheduler.yaml", "--bind-address=", 1),
            ("failover-default-off", "fail", CM, GATES, 1),
        ]),
        // The v1.13 pack is about Lua scripts (objects): the manifests carry nothing of it.
        ("v1.12", "v1.13", "fixtures/releases/v1.12.0/artifacts/deploy", vec![]),
        ("v1.13", "v1.14", "fixtures/releases/v1.13.0/artifacts/deploy", vec![
            ("webhook-default-toleration-flags-deprecated", "fail", "karmada-webhook.yaml", "--default-not-ready-toleration-seconds=", 1),
            ("failover-eviction-timeout-deprecated", "fail", CM, "--failover-eviction-timeout=", 1),
        ]),
        ("v1.14", "v1.15", "fixtures/releases/v1.14.0/artifacts/deploy", vec![
            ("webhook-default-toleration-flags-removed", "action", "karmada-webhook.yaml", "--default-not-ready-toleration-seconds=", 1),
            ("failover-eviction-timeout-removed", "action", CM, "--failover-eviction-timeout=", 1),
        ]),
        // v1.16 .. v1.18 change objects, the operator and the chart, not these manifests.
        ("v1.15", "v1.16", "fixtures/releases/v1.15.0/artifacts/deploy", vec![]),
        ("v1.16", "v1.17", "fixtures/releases/v1.16.0/artifacts/deploy", vec![]),
        ("v1.17", "v1.18", "fixtures/releases/v1.17.0/artifacts/deploy", vec![]),
        // Official manifests use :latest: the scheduler/estimator versions cannot be compared.
        ("v1.18", "v1.19", "fixtures/releases/v1.18.0/artifacts/deploy", vec![
            ("scheduler-estimator-same-minor", "unknown", "karmada-scheduler.yaml", "image:", 1),
            ("scheduler-estimator-same-minor", "unknown", "karmada-descheduler.yaml", "image:", 1),
            ("scheduler-estimator-same-minor", "unknown", "karmada-scheduler-estimator.yaml", "image:", 1),
        ]),
    ]
}

#[test]
fn each_hop_on_the_source_release_s_own_manifests_reports_exactly_what_it_must_change() {
    let mut failures = Vec::new();
    for (from, to, dir, want) in hops() {
        let hop = format!("{from}->{to}");
        let (_, r) = check(&[dir, "--from", from, "--to", to, "--phase", "pre"]);
        let got = attention(&r, &hop);
        let want = expect(dir, &want);
        if got != want {
            failures.push(format!(
                "{hop} on {dir}:\n  reported, not expected: {:?}\n  expected, not reported: {:?}",
                got.difference(&want).collect::<Vec<_>>(),
                want.difference(&got).collect::<Vec<_>>()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_v0_9_install_going_to_v1_19_meets_all_21_packs_in_order_with_their_hop_labels() {
    let (_, r) = check(&[
        "fixtures/releases/v0.9.0/artifacts/deploy",
        "--from",
        "v0.9",
        "--to",
        "v1.19",
        "--phase",
        "pre",
    ]);
    let mut order: Vec<String> = Vec::new();
    for f in r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["pack"] != "core")
    {
        if let Some(h) = f["hop"].as_str() {
            if order.last().map(String::as_str) != Some(h) {
                order.push(h.to_string());
            }
        }
    }
    let want: Vec<String> = hops()
        .iter()
        .map(|(a, b, _, _)| format!("{a}->{b}"))
        .collect();
    assert_eq!(order, want, "each pack once, in hop order");
    // Every hop has its pack: none is unknown ground.
    let known = common::findings(&r, "hop-pack-known");
    assert_eq!(known.len(), 21);
    assert!(known.iter().all(|f| f["status"] == "pass"), "{known:#?}");
}
