//! The hop packs v1.2->v1.3 … v1.11->v1.12, as a user meets them: the official manifests of
//! the release a hop starts from fail where that release's state breaks the next one, the
//! official manifests of the release it lands on (or a fixed copy) pass, and hand-made
//! state covers the rules about user objects (policies, interpreter scripts, operator CRs).
//! Every assertion names rule id, status and file:line. The catalogue behind the rules is
//! docs/hops-v0.9-v1.12.md.

mod common;

use common::{check, line_of};
use serde_json::Value;

const REL: &str = "fixtures/releases";
const PACKS: &str = "fixtures/packs";

fn release(tag: &str, file: &str) -> String {
    format!("{REL}/{tag}/artifacts/deploy/{file}")
}

fn deploy(tag: &str) -> String {
    format!("{REL}/{tag}/artifacts/deploy")
}

/// `check INPUTS --from FROM --to TO --phase PHASE -o json`.
fn run(phase: &str, from: &str, to: &str, inputs: &[&str]) -> Value {
    let mut args: Vec<&str> = inputs.to_vec();
    args.extend(["--from", from, "--to", to, "--phase", phase]);
    check(&args).1
}

type Seen = (String, String, String, u64);

/// Every finding of `rule` that is not a skip: (id, status, file, line), sorted.
fn got(r: &Value, rule: &str) -> Vec<Seen> {
    let mut v: Vec<Seen> = r["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| f["rule"] == rule && f["status"] != "skip")
        .map(|f| {
            (
                f["id"].as_str().unwrap_or("").to_string(),
                f["status"].as_str().unwrap_or("").to_string(),
                f["location"]["file"].as_str().unwrap_or("").to_string(),
                f["location"]["line"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    v.sort();
    v
}

/// Expected findings: (id, status, file, text of the line the finding points at).
fn want(list: &[(&str, &str, &str, &str)]) -> Vec<Seen> {
    let mut v: Vec<Seen> = list
        .iter()
        .map(|(id, st, file, needle)| {
            (
                id.to_string(),
                st.to_string(),
                file.to_string(),
                line_of(file, needle),
            )
        })
        .collect();
    v.sort();
    v
}

/// Lines (1-based) of every line of `file` containing `needle`, for fixtures where the same
/// key appears once per object.
fn lines_of(file: &str, needle: &str) -> Vec<u64> {
    std::fs::read_to_string(file)
        .unwrap_or_else(|e| panic!("{file}: {e}"))
        .lines()
        .enumerate()
        .filter(|(_, l)| l.contains(needle))
        .map(|(i, _)| i as u64 + 1)
        .collect()
}

/// The one finding of `rule` with `status`, for checking its message and fix.
fn one<'a>(r: &'a Value, rule: &str, status: &str) -> &'a Value {
    let f: Vec<&Value> = r["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| f["rule"] == rule && f["status"] == status)
        .collect();
    assert_eq!(f.len(), 1, "{rule} {status}: {f:#?}");
    f[0]
}

/// The JSON patch operations a finding's remediation carries.
fn patch(f: &Value) -> &Vec<Value> {
    f["remediation"]["manifests"][0]["content"]
        .as_array()
        .unwrap_or_else(|| panic!("no JSON patch in {f:#}"))
}

#[test]
fn v1_2_to_v1_3_kube_v1_24_flags() {
    let api = release("v1.2.0", "karmada-apiserver.yaml");
    let kcm = release("v1.2.0", "kube-controller-manager.yaml");
    let r = run("post", "v1.2", "v1.3", &[&deploy("v1.2.0")]);
    assert_eq!(
        got(&r, "apiserver-insecure-port-removed"),
        want(&[("KP1301", "fail", &api, "--insecure-port=0")])
    );
    assert_eq!(
        got(&r, "kube-controller-manager-port-removed"),
        want(&[("KP1302", "fail", &kcm, "- --port=0")])
    );
    // The fix removes exactly the token, after testing it is still there.
    let f = one(&r, "kube-controller-manager-port-removed", "fail");
    assert_eq!(patch(f)[0]["value"], "--port=0");
    assert_eq!(patch(f)[1]["op"], "remove");

    let r = run("pre", "v1.2", "v1.3", &[&deploy("v1.2.0")]);
    assert_eq!(
        got(&r, "apiserver-insecure-port-removed"),
        want(&[("KP1301", "action", &api, "--insecure-port=0")])
    );
    let r = run("post", "v1.2", "v1.3", &[&deploy("v1.3.0")]);
    let api = release("v1.3.0", "karmada-apiserver.yaml");
    let kcm = release("v1.3.0", "kube-controller-manager.yaml");
    assert_eq!(
        got(&r, "apiserver-insecure-port-removed"),
        want(&[("KP1301", "pass", &api, "command:")])
    );
    assert_eq!(
        got(&r, "kube-controller-manager-port-removed"),
        want(&[("KP1302", "pass", &kcm, "command:")])
    );
}

#[test]
fn v1_3_to_v1_4_failover_default_on() {
    // v1.2's manifest sets feature gates but not Failover; v1.4's sets none at all.
    let cm2 = release("v1.2.0", "karmada-controller-manager.yaml");
    let r = run("pre", "v1.3", "v1.4", &[&cm2]);
    assert_eq!(
        got(&r, "failover-default-on"),
        want(&[("KP1401", "fail", &cm2, "--feature-gates=PropagateDeps=true")])
    );
    let f = one(&r, "failover-default-on", "fail");
    assert_eq!(f["severity"], "warning");
    assert_eq!(
        patch(f)[1]["value"],
        "--feature-gates=PropagateDeps=true,Failover=false"
    );
    let cm4 = release("v1.4.0", "karmada-controller-manager.yaml");
    let r = run("pre", "v1.3", "v1.4", &[&cm4]);
    let f = one(&r, "failover-default-on", "fail");
    assert_eq!(patch(f)[0]["op"], "add");
    assert_eq!(patch(f)[0]["value"], "--feature-gates=Failover=false");
    // v1.3's manifest pins Failover=true: nothing to do.
    let cm3 = release("v1.3.0", "karmada-controller-manager.yaml");
    let r = run("pre", "v1.3", "v1.4", &[&cm3]);
    assert_eq!(
        got(&r, "failover-default-on"),
        want(&[("KP1401", "pass", &cm3, "command:")])
    );
    // After the upgrade the default is the user's choice: the rule has no post phase.
    let r = run("post", "v1.3", "v1.4", &[&cm4]);
    assert!(got(&r, "failover-default-on").is_empty());
}

#[test]
fn v1_4_to_v1_5_k8s_gcr_io() {
    let api = release("v1.4.0", "karmada-apiserver.yaml");
    let kcm = release("v1.4.0", "kube-controller-manager.yaml");
    let etcd = release("v1.4.0", "karmada-etcd.yaml");
    let r = run("post", "v1.4", "v1.5", &[&deploy("v1.4.0")]);
    let fails: Vec<Seen> = got(&r, "k8s-gcr-io-images")
        .into_iter()
        .filter(|s| s.1 == "fail")
        .collect();
    assert_eq!(
        fails,
        want(&[
            ("KP1501", "fail", &api, "containers:"),
            ("KP1501", "fail", &kcm, "containers:"),
        ])
    );
    assert_eq!(
        got(&r, "k8s-gcr-io-etcd-image"),
        want(&[("KP1502", "fail", &etcd, "containers:")])
    );
    let msgs: Vec<&str> = r["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| f["rule"] == "k8s-gcr-io-images" && f["status"] == "fail")
        .filter_map(|f| f["message"].as_str())
        .collect();
    assert!(
        msgs.iter()
            .any(|m| m.contains("k8s.gcr.io/kube-apiserver:v1.25.2")),
        "{msgs:?}"
    );
    let r = run("post", "v1.4", "v1.5", &[&deploy("v1.5.0")]);
    for rule in ["k8s-gcr-io-images", "k8s-gcr-io-etcd-image"] {
        let seen = got(&r, rule);
        assert!(
            !seen.is_empty() && seen.iter().all(|s| s.1 == "pass"),
            "{rule}: {seen:?}"
        );
    }
}

#[test]
fn v1_5_to_v1_6_affinity_names_and_federatedhpa_webhooks() {
    let fail = format!("{PACKS}/v1.5-to-v1.6/fail/policies.yaml");
    let r = run("post", "v1.5", "v1.6", &[&fail]);
    assert_eq!(
        got(&r, "affinity-name-length"),
        want(&[("KP1601", "fail", &fail, "clusterAffinities:")])
    );
    // Both rules point at the offending list; the CPP's is the second one in the file.
    let cpp_line = lines_of(&fail, "clusterAffinities:")[1];
    assert_eq!(
        got(&r, "cluster-affinity-name-length"),
        vec![("KP1602".into(), "fail".into(), fail.clone(), cpp_line)]
    );
    let f = one(&r, "affinity-name-length", "fail");
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("named primary-clusters-in-the-eu-west-region,"),
        "{f:#}"
    );
    let pass = format!("{PACKS}/v1.5-to-v1.6/pass/policies.yaml");
    let r = run("pre", "v1.5", "v1.6", &[&pass]);
    let seen = got(&r, "affinity-name-length");
    assert_eq!(seen.len(), 2);
    assert!(seen.iter().all(|s| s.1 == "pass"), "{seen:?}");
    assert_eq!(got(&r, "cluster-affinity-name-length")[0].1, "pass");

    let wh5 = release("v1.5.0", "webhook-configuration.yaml");
    let r = run("pre", "v1.5", "v1.6", &[&deploy("v1.5.0")]);
    // Each finding points at the `webhooks:` list of its configuration (mutating first).
    let lists = lines_of(&wh5, "webhooks:");
    assert_eq!(
        got(&r, "federatedhpa-mutating-webhook"),
        vec![("KP1603".into(), "action".into(), wh5.clone(), lists[0])]
    );
    assert_eq!(
        got(&r, "federatedhpa-validating-webhook"),
        vec![("KP1604".into(), "action".into(), wh5.clone(), lists[1])]
    );
    let r = run("post", "v1.5", "v1.6", &[&deploy("v1.6.0")]);
    assert_eq!(got(&r, "federatedhpa-mutating-webhook")[0].1, "pass");
    assert_eq!(got(&r, "federatedhpa-validating-webhook")[0].1, "pass");
}

#[test]
fn v1_6_to_v1_7_hpa_controller_gone_and_clusterrole_aggregation() {
    let cm = format!("{PACKS}/v1.6-to-v1.7/fail/karmada-controller-manager.yaml");
    let kcm6 = release("v1.6.0", "kube-controller-manager.yaml");
    let r = run("post", "v1.6", "v1.7", &[&cm, &kcm6]);
    assert_eq!(
        got(&r, "hpa-controller-removed"),
        want(&[("KP1701", "fail", &cm, "--controllers=*,hpa")])
    );
    let f = one(&r, "hpa-controller-removed", "fail");
    assert_eq!(f["severity"], "warning");
    assert_eq!(patch(f)[1]["value"], "--controllers=*");
    assert_eq!(
        got(&r, "clusterrole-aggregation-controller"),
        want(&[("KP1702", "fail", &kcm6, "--controllers=namespace")])
    );
    let f = one(&r, "clusterrole-aggregation-controller", "fail");
    assert!(patch(f)[1]["value"]
        .as_str()
        .unwrap()
        .ends_with(",csrsigning,clusterrole-aggregation"));

    let r = run("post", "v1.6", "v1.7", &[&deploy("v1.7.0")]);
    assert_eq!(got(&r, "hpa-controller-removed")[0].1, "pass");
    assert_eq!(got(&r, "clusterrole-aggregation-controller")[0].1, "pass");
}

#[test]
fn v1_7_to_v1_8_replica_syncing_labels_and_deletion_protection() {
    let hpa = format!("{PACKS}/v1.7-to-v1.8/hpa");
    let cm7 = release("v1.7.0", "karmada-controller-manager.yaml");
    let r = run("pre", "v1.7", "v1.8", &[&cm7, &hpa]);
    assert_eq!(
        got(&r, "hpa-replicas-syncer-enabled"),
        want(&[("KP1801", "action", &cm7, "command:")])
    );
    // No --controllers yet: the fix keeps the default-on controllers (`*`).
    let f = one(&r, "hpa-replicas-syncer-enabled", "action");
    assert_eq!(patch(f)[0]["value"], "--controllers=*,hpaReplicasSyncer");
    // Without HPAs the controller does not matter.
    let r = run("pre", "v1.7", "v1.8", &[&cm7]);
    assert!(got(&r, "hpa-replicas-syncer-enabled").is_empty());
    let cm8 = release("v1.8.0", "karmada-controller-manager.yaml");
    let r = run("post", "v1.7", "v1.8", &[&cm8, &hpa]);
    assert_eq!(got(&r, "hpa-replicas-syncer-enabled")[0].1, "pass");

    let pol = format!("{PACKS}/v1.7-to-v1.8/fail/policies.yaml");
    let r = run("pre", "v1.7", "v1.8", &[&pol]);
    assert_eq!(
        got(&r, "deprecated-policy-labels-in-selectors"),
        want_policies(&pol, "KP1802", "fail")
    );
    let ok = format!("{PACKS}/v1.7-to-v1.8/pass/policies.yaml");
    let r = run("pre", "v1.7", "v1.8", &[&ok]);
    assert!(got(&r, "deprecated-policy-labels-in-selectors")
        .iter()
        .all(|s| s.1 == "pass"));

    let wh7 = release("v1.7.0", "webhook-configuration.yaml");
    let r = run("post", "v1.7", "v1.8", &[&deploy("v1.7.0")]);
    assert_eq!(
        got(&r, "deletion-protection-webhook"),
        vec![(
            "KP1803".into(),
            "fail".into(),
            wh7.clone(),
            lines_of(&wh7, "webhooks:")[1]
        )]
    );
    let r = run("post", "v1.7", "v1.8", &[&deploy("v1.8.0")]);
    assert_eq!(got(&r, "deletion-protection-webhook")[0].1, "pass");
}

/// The three policies of a selector fixture: the OverridePolicy and ClusterOverridePolicy
/// with `status`, the PropagationPolicy selecting on its own label passing; each finding
/// points at its `resourceSelectors`.
fn want_policies(file: &str, id: &str, status: &str) -> Vec<Seen> {
    let lines = lines_of(file, "resourceSelectors:");
    assert_eq!(lines.len(), 3, "{file}");
    let mut v: Vec<Seen> = vec![
        (id.into(), status.into(), file.into(), lines[0]),
        (id.into(), status.into(), file.into(), lines[1]),
        (id.into(), "pass".into(), file.into(), lines[2]),
    ];
    v.sort();
    v
}

#[test]
fn v1_8_to_v1_9_lua_sandbox_and_failover_backport() {
    let ric = format!("{PACKS}/v1.8-to-v1.9/fail/interpreter.yaml");
    let r = run("pre", "v1.8", "v1.9", &[&ric]);
    let customizations = lines_of(&ric, "customizations:");
    assert_eq!(
        got(&r, "lua-unsafe-functions"),
        customizations
            .iter()
            .map(|l| ("KP1950".to_string(), "blocker".to_string(), ric.clone(), *l))
            .collect::<Vec<_>>()
    );
    let f = &r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "lua-unsafe-functions")
        .unwrap()["message"];
    assert!(
        f.as_str().unwrap().contains("(replicaResource)"),
        "only the script that calls rawget is named: {f}"
    );
    let ok = format!("{PACKS}/v1.8-to-v1.9/pass/interpreter.yaml");
    let r = run("post", "v1.8", "v1.9", &[&ok]);
    let seen = got(&r, "lua-unsafe-functions");
    assert_eq!(seen.len(), 2);
    assert!(seen.iter().all(|s| s.1 == "pass"), "{seen:?}");

    // The v1.8 manifest leaves Failover to its default, which v1.9.10 turns off.
    let cm8 = release("v1.8.0", "karmada-controller-manager.yaml");
    let r = run("pre", "v1.8", "v1.9", &[&cm8]);
    assert_eq!(
        got(&r, "failover-default-off-v1-9-10"),
        want(&[("KP1951", "fail", &cm8, "--feature-gates=")])
    );
    let f = one(&r, "failover-default-off-v1-9-10", "fail");
    assert_eq!(
        patch(f)[1]["value"],
        "--feature-gates=PropagationPolicyPreemption=true,MultiClusterService=true,Failover=true"
    );
    let cm12 = release("v1.12.0", "karmada-controller-manager.yaml");
    let r = run("pre", "v1.8", "v1.9", &[&cm12]);
    assert_eq!(got(&r, "failover-default-off-v1-9-10")[0].1, "pass");
}

#[test]
fn v1_9_to_v1_10_replica_syncers_labels_and_failover() {
    let cm9 = release("v1.9.0", "karmada-controller-manager.yaml");
    let hpa = format!("{PACKS}/v1.7-to-v1.8/hpa");
    let r = run("post", "v1.9", "v1.10", &[&cm9, &hpa]);
    assert_eq!(
        got(&r, "hpa-replicas-syncer-renamed"),
        want(&[("KP2003", "fail", &cm9, "--controllers=*,hpaReplicasSyncer")])
    );
    assert_eq!(
        got(&r, "replicas-syncer-controllers-enabled"),
        want(&[("KP2004", "fail", &cm9, "--controllers=*,hpaReplicasSyncer")])
    );
    // Both missing controllers go into the one --controllers token.
    let f = one(&r, "replicas-syncer-controllers-enabled", "fail");
    assert_eq!(
        patch(f)[1]["value"],
        "--controllers=*,hpaReplicasSyncer,hpaScaleTargetMarker,deploymentReplicasSyncer"
    );
    let cm10 = release("v1.10.0", "karmada-controller-manager.yaml");
    let r = run("post", "v1.9", "v1.10", &[&cm10, &hpa]);
    assert_eq!(got(&r, "hpa-replicas-syncer-renamed")[0].1, "pass");
    assert_eq!(got(&r, "replicas-syncer-controllers-enabled")[0].1, "pass");

    let pol = format!("{PACKS}/v1.9-to-v1.10/policies-fail/policies.yaml");
    let r = run("pre", "v1.9", "v1.10", &[&pol]);
    assert_eq!(
        got(&r, "removed-labels-in-selectors"),
        want_policies(&pol, "KP2006", "blocker")
    );
    // propagationpolicy.karmada.io/name survives until v1.11: fine on this hop.
    let ok = format!("{PACKS}/v1.9-to-v1.10/policies-pass/policies.yaml");
    let r = run("post", "v1.9", "v1.10", &[&ok]);
    assert!(got(&r, "removed-labels-in-selectors")
        .iter()
        .all(|s| s.1 == "pass"));

    let r = run("pre", "v1.9", "v1.10", &[&cm9]);
    assert_eq!(
        got(&r, "failover-default-off-v1-10-8"),
        want(&[("KP2005", "fail", &cm9, "--feature-gates=")])
    );
}

#[test]
fn v1_10_to_v1_11_removed_policy_labels_and_failover() {
    let pol = format!("{PACKS}/v1.10-to-v1.11/fail/policies.yaml");
    let r = run("post", "v1.10", "v1.11", &[&pol]);
    assert_eq!(
        got(&r, "removed-policy-labels-in-selectors"),
        want_policies(&pol, "KP2102", "fail")
    );
    let ok = format!("{PACKS}/v1.10-to-v1.11/pass/policies.yaml");
    let r = run("post", "v1.10", "v1.11", &[&ok]);
    assert!(got(&r, "removed-policy-labels-in-selectors")
        .iter()
        .all(|s| s.1 == "pass"));
    let cm10 = release("v1.10.0", "karmada-controller-manager.yaml");
    let r = run("pre", "v1.10", "v1.11", &[&cm10]);
    assert_eq!(
        got(&r, "failover-default-off-v1-11-4"),
        want(&[("KP2103", "fail", &cm10, "--feature-gates=")])
    );
}

#[test]
fn v1_11_to_v1_12_failover_off_and_operator_cr() {
    let cm11 = release("v1.11.0", "karmada-controller-manager.yaml");
    let r = run("pre", "v1.11", "v1.12", &[&cm11]);
    assert_eq!(
        got(&r, "failover-default-off"),
        want(&[("KP2202", "fail", &cm11, "--feature-gates=")])
    );
    let cm12 = release("v1.12.0", "karmada-controller-manager.yaml");
    let r = run("pre", "v1.11", "v1.12", &[&cm12]);
    assert_eq!(
        got(&r, "failover-default-off"),
        want(&[("KP2202", "pass", &cm12, "command:")])
    );

    let cr = format!("{PACKS}/v1.11-to-v1.12/operator-fail/karmada.yaml");
    let r = run("pre", "v1.11", "v1.12", &[&cr]);
    assert_eq!(
        got(&r, "operator-external-etcd-inline-certs"),
        want(&[("KP2203", "fail", &cr, "external:")])
    );
    assert_eq!(
        got(&r, "operator-apiserver-service-type"),
        want(&[("KP2204", "blocker", &cr, "serviceType: ExternalName")])
    );
    // The inline key material is never echoed.
    let text = serde_json::to_string(&r).unwrap();
    assert!(!text.contains("S0VZIHBsYWNlaG9sZGVy"), "key data leaked");
    let ok = format!("{PACKS}/v1.11-to-v1.12/operator-pass/karmada.yaml");
    let r = run("post", "v1.11", "v1.12", &[&ok]);
    assert_eq!(got(&r, "operator-apiserver-service-type")[0].1, "pass");
    // Deprecations are pre-phase only.
    assert!(got(&r, "operator-external-etcd-inline-certs").is_empty());
}
