//! Upgrade hops v1.12 -> v1.19 and the ground rules of every path: a release the rules do
//! not know is refused with the list of known ones, a hop without a pack is `unknown`
//! naming it, and `rules -o json` says per hop how many rules it has and where they came from.

mod common;

use common::preflight;
use karmada_preflight::inventory::Inventory;
use karmada_preflight::rules::path::CatalogPlan;
use karmada_preflight::rules::{run_rules_on_path, Catalog, RunOptions};
use karmada_preflight::upgrade::{Phase, UpgradePlan};
use serde_json::Value;

#[test]
fn a_release_that_does_not_exist_is_a_usage_error_listing_the_known_ones() {
    for args in [
        ["--from", "v1.23", "--to", "v1.24"],
        ["--from", "v1.18", "--to", "v1.99"],
        ["--from", "v1.18", "--to", "v1.20"],
    ] {
        let mut all = vec!["check", "fixtures/releases/v1.18.0/artifacts/deploy"];
        all.extend(args);
        let (code, out, err) = preflight(&all);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(out.is_empty(), "no report on a usage error: {out}");
        assert!(
            err.contains("is not a Karmada release the rules know"),
            "{err}"
        );
        assert!(err.contains("known releases: v0.9, v0.10, v1.0"), "{err}");
        assert!(err.contains("v1.18, v1.19"), "{err}");
    }
}

#[test]
fn a_hop_without_a_pack_is_unknown_naming_the_hop() {
    // Take the v1.0 -> v1.1 pack away, as if nobody had written it.
    let mut catalog = Catalog::embedded().expect("bundled rules load");
    catalog
        .rules
        .retain(|r| r.spec.hop.map(|h| h.label()).as_deref() != Some("v1.0->v1.1"));
    let plan = UpgradePlan::between("v0.10", "v1.2")
        .unwrap()
        .with_catalog(&catalog);
    assert_eq!(plan.uncovered(), ["v1.0->v1.1"]);
    let opts = RunOptions {
        phase: Phase::Pre,
        now: time::OffsetDateTime::now_utc(),
        only: vec!["hop-pack-known".into()],
    };
    let findings = run_rules_on_path(&catalog, &Inventory::new(), &opts, &plan);
    let got: Vec<(String, String)> = findings
        .iter()
        .map(|f| (f.status.to_string(), f.message.clone()))
        .collect();
    assert_eq!(got.len(), 3, "{got:#?}");
    assert_eq!(got[0].0, "pass");
    assert!(got[0].1.starts_with("v0.10->v1.0: "), "{}", got[0].1);
    assert_eq!(got[1].0, "unknown");
    assert!(
        got[1].1.starts_with("no rule pack for the hop v1.0->v1.1"),
        "{}",
        got[1].1
    );
    assert_eq!(got[2].0, "pass");
}

#[test]
fn rules_json_shows_each_hop_with_its_rule_count_and_release_notes() {
    let (code, out, err) = preflight(&["rules", "-o", "json"]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).expect("json");
    let hops = v["hops"].as_array().expect("hops");
    let hop = |label: &str| {
        hops.iter()
            .find(|h| h["hop"] == label)
            .unwrap_or_else(|| panic!("no {label} in {hops:#?}"))
    };
    let h = hop("v1.11->v1.12");
    assert_eq!(h["packs"][0], "karmada-v1.11-to-v1.12");
    assert!(h["rules"].as_u64().unwrap() >= 1);
    assert!(h["releaseNotes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s == "https://karmada.io/docs/administrator/upgrading/v1.11-v1.12"));
    // Every hop between known releases is listed, and every one has a pack now.
    assert!(hops.len() >= 21, "{}", hops.len());
    for h in hops.iter().take(21) {
        assert!(h["rules"].as_u64().unwrap() >= 1, "no rules for {h:#}");
    }
    let notes = hop("v1.17->v1.18");
    assert!(notes["notes"].as_u64().unwrap() >= 3, "{notes:#}");
    assert!(notes["releaseNotes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s.as_str().unwrap().starts_with("CHANGELOG-1.18.md")));
    assert_eq!(v["knownReleases"][0], "v0.9");
    assert_eq!(
        v["knownReleases"].as_array().unwrap().last().unwrap(),
        "v1.19"
    );
}

// ---------------------------------------------------------------------------------------
// The packs v1.12 -> v1.19, hop by hop: each fails on the state its release notes forbid
// (the source release's official manifests where they carry it, hand-made objects
// otherwise) at the offending line, and passes on the fixed state.

use common::{at, check, findings, line_of};

/// `check PATHS --from F --to T --phase PHASE`: the report.
fn run(paths: &[&str], from: &str, to: &str, phase: &str) -> Value {
    let mut args: Vec<&str> = paths.to_vec();
    args.extend(["--from", from, "--to", to, "--phase", phase]);
    check(&args).1
}

/// (status, file, line) of every finding of `rule`, sorted by line.
fn got(r: &Value, rule: &str) -> Vec<(String, String, u64)> {
    let mut v: Vec<_> = findings(r, rule)
        .into_iter()
        .map(|f| {
            let (file, line) = at(f);
            (f["status"].as_str().unwrap_or("").to_string(), file, line)
        })
        .collect();
    v.sort_by_key(|(_, f, l)| (f.clone(), *l));
    v
}

fn want(status: &str, file: &str, needle: &str) -> (String, String, u64) {
    (status.into(), file.into(), line_of(file, needle))
}

/// Every finding of `rule` passes (and there is at least one).
fn all_pass(r: &Value, rule: &str) {
    let f = findings(r, rule);
    assert!(!f.is_empty(), "no finding for {rule}");
    for x in f {
        assert_eq!(x["status"], "pass", "{rule}: {x:#}");
    }
}

const PACKS: &str = "fixtures/packs";

#[test]
fn v1_12_to_v1_13_lua_string_rep_and_gsub() {
    let file = "fixtures/packs/v1.12-to-v1.13/fail/interpreter.yaml";
    let r = run(
        &[&format!("{PACKS}/v1.12-to-v1.13/fail")],
        "v1.12",
        "v1.13",
        "pre",
    );
    assert_eq!(
        got(&r, "lua-string-rep-gsub"),
        // At the script of statusAggregation, the line after its key.
        [(
            "blocker".to_string(),
            file.to_string(),
            line_of(file, "statusAggregation:") + 1
        )]
    );
    let f = &findings(&r, "lua-string-rep-gsub")[0];
    assert!(f["message"]
        .as_str()
        .unwrap()
        .contains("statusAggregation/luaScript"));
    let r = run(
        &[&format!("{PACKS}/v1.12-to-v1.13/pass")],
        "v1.12",
        "v1.13",
        "post",
    );
    all_pass(&r, "lua-string-rep-gsub");
}

#[test]
fn v1_13_to_v1_14_deprecations_warn_on_the_official_v1_13_manifests() {
    let deploy = "fixtures/releases/v1.13.0/artifacts/deploy";
    let wh = "fixtures/releases/v1.13.0/artifacts/deploy/karmada-webhook.yaml";
    let cm = "fixtures/releases/v1.13.0/artifacts/deploy/karmada-controller-manager.yaml";
    let work = "fixtures/packs/v1.13-to-v1.14/fail/work.yaml";
    let r = run(
        &[deploy, &format!("{PACKS}/v1.13-to-v1.14/fail")],
        "v1.13",
        "v1.14",
        "pre",
    );
    assert_eq!(
        got(&r, "webhook-default-toleration-flags-deprecated"),
        [want("fail", wh, "--default-not-ready-toleration-seconds")]
    );
    assert_eq!(
        only_severity(&r, "webhook-default-toleration-flags-deprecated"),
        "warning"
    );
    assert_eq!(
        got(&r, "failover-eviction-timeout-deprecated"),
        [want("fail", cm, "--failover-eviction-timeout")]
    );
    assert_eq!(
        got(&r, "work-instruction-label-deprecated"),
        [want("fail", work, "propagation.karmada.io/instruction")]
    );
    // The fix swaps the label for the field on the real Work.
    let fix = &findings(&r, "work-instruction-label-deprecated")[0]["remediation"]["manifests"][0];
    assert_eq!(
        fix["content"],
        serde_json::json!([
            {"op": "remove", "path": "/metadata/labels/propagation.karmada.io~1instruction"},
            {"op": "add", "path": "/spec/suspendDispatching", "value": true}
        ])
    );
    let r = run(
        &[
            "fixtures/releases/v1.15.0/artifacts/deploy",
            &format!("{PACKS}/v1.13-to-v1.14/pass"),
        ],
        "v1.13",
        "v1.14",
        "pre",
    );
    for rule in [
        "webhook-default-toleration-flags-deprecated",
        "failover-eviction-timeout-deprecated",
        "work-instruction-label-deprecated",
    ] {
        all_pass(&r, rule);
    }
}

fn only_severity(r: &Value, rule: &str) -> String {
    findings(r, rule)[0]["severity"]
        .as_str()
        .unwrap_or("")
        .to_string()
}

#[test]
fn v1_14_to_v1_15_removals_on_the_official_v1_14_manifests() {
    let deploy = "fixtures/releases/v1.14.0/artifacts/deploy";
    let wh = "fixtures/releases/v1.14.0/artifacts/deploy/karmada-webhook.yaml";
    let cm = "fixtures/releases/v1.14.0/artifacts/deploy/karmada-controller-manager.yaml";
    let work = "fixtures/packs/v1.14-to-v1.15/fail/work.yaml";
    let pp = "fixtures/packs/v1.14-to-v1.15/fail/policies.yaml";
    let r = run(
        &[deploy, &format!("{PACKS}/v1.14-to-v1.15/fail")],
        "v1.14",
        "v1.15",
        "pre",
    );
    assert_eq!(
        got(&r, "webhook-default-toleration-flags-removed"),
        [want("action", wh, "--default-not-ready-toleration-seconds")]
    );
    assert_eq!(
        got(&r, "failover-eviction-timeout-removed"),
        [want("action", cm, "--failover-eviction-timeout")]
    );
    assert_eq!(
        got(&r, "work-instruction-label-removed"),
        [want("blocker", work, "propagation.karmada.io/instruction")]
    );
    assert_eq!(
        got(&r, "purge-mode-deprecated-values"),
        [
            want("fail", pp, "purgeMode: Graciously"),
            want("fail", pp, "purgeMode: Immediately")
        ]
    );
    let fix = &findings(&r, "purge-mode-deprecated-values")[0]["remediation"]["manifests"][0];
    assert_eq!(
        fix["content"],
        serde_json::json!([
            {"op": "test", "path": "/spec/failover/application/purgeMode", "value": "Graciously"},
            {"op": "replace", "path": "/spec/failover/application/purgeMode", "value": "Gracefully"}
        ])
    );
    // After the hop the same manifests are errors.
    let r = run(&[deploy], "v1.14", "v1.15", "post");
    assert_eq!(
        got(&r, "failover-eviction-timeout-removed"),
        [want("fail", cm, "--failover-eviction-timeout")]
    );
    assert_eq!(
        only_severity(&r, "failover-eviction-timeout-removed"),
        "error"
    );
    let r = run(
        &[
            "fixtures/releases/v1.15.0/artifacts/deploy",
            &format!("{PACKS}/v1.14-to-v1.15/pass"),
        ],
        "v1.14",
        "v1.15",
        "pre",
    );
    for rule in [
        "webhook-default-toleration-flags-removed",
        "failover-eviction-timeout-removed",
        "work-instruction-label-removed",
        "purge-mode-deprecated-values",
    ] {
        all_pass(&r, rule);
    }
}

#[test]
fn v1_15_to_v1_16_operator_inline_etcd_certs_never_echoed() {
    let file = "fixtures/packs/v1.15-to-v1.16/fail/karmada.yaml";
    let r = run(
        &[&format!("{PACKS}/v1.15-to-v1.16/fail")],
        "v1.15",
        "v1.16",
        "pre",
    );
    assert_eq!(
        got(&r, "operator-external-etcd-inline-certs-removed"),
        [
            want("blocker", file, "caData:"),
            want("blocker", file, "certData:"),
            want("blocker", file, "keyData:")
        ]
    );
    let text = serde_json::to_string(&r).unwrap();
    assert!(
        !text.contains("bm90LWEtcmVhbC1rZXktZG8tbm90LXByaW50"),
        "the key material leaked into the report"
    );
    let r = run(
        &[&format!("{PACKS}/v1.15-to-v1.16/pass")],
        "v1.15",
        "v1.16",
        "post",
    );
    all_pass(&r, "operator-external-etcd-inline-certs-removed");
}

#[test]
fn v1_16_to_v1_17_lease_flags_and_init_config_deprecated() {
    let cm = "fixtures/packs/v1.16-to-v1.17/fail/karmada-controller-manager.yaml";
    let init = "fixtures/packs/v1.16-to-v1.17/fail/init-config.yaml";
    let r = run(
        &[&format!("{PACKS}/v1.16-to-v1.17/fail")],
        "v1.16",
        "v1.17",
        "pre",
    );
    assert_eq!(
        got(&r, "cluster-lease-flags-deprecated"),
        [want("fail", cm, "--cluster-lease-duration")]
    );
    assert_eq!(
        only_severity(&r, "cluster-lease-flags-deprecated"),
        "warning"
    );
    assert_eq!(
        got(&r, "init-config-etcd-initimage-deprecated"),
        [want("fail", init, "initImage:")]
    );
    let r = run(
        &[&format!("{PACKS}/v1.16-to-v1.17/pass")],
        "v1.16",
        "v1.17",
        "pre",
    );
    all_pass(&r, "cluster-lease-flags-deprecated");
    all_pass(&r, "init-config-etcd-initimage-deprecated");
}

#[test]
fn v1_17_to_v1_18_removals_tolerations_and_operator_chart() {
    let dir = "fixtures/packs/v1.17-to-v1.18/fail";
    let cm = "fixtures/packs/v1.17-to-v1.18/fail/karmada-controller-manager.yaml";
    let init = "fixtures/packs/v1.17-to-v1.18/fail/init-config.yaml";
    let pp = "fixtures/packs/v1.17-to-v1.18/fail/policies.yaml";
    let op = "fixtures/packs/v1.17-to-v1.18/fail/karmada-operator.yaml";
    let r = run(&[dir], "v1.17", "v1.18", "pre");
    assert_eq!(
        got(&r, "cluster-lease-flags-removed"),
        [want("action", cm, "--cluster-lease-duration")]
    );
    assert_eq!(
        got(&r, "init-config-etcd-initimage-removed"),
        [want("action", init, "initImage:")]
    );
    assert_eq!(
        got(&r, "cluster-tolerations-lt-gt-rejected"),
        [want("blocker", pp, "operator: Gt")]
    );
    let fix = &findings(&r, "cluster-tolerations-lt-gt-rejected")[0]["remediation"]["manifests"][0];
    assert_eq!(
        fix["content"][1],
        serde_json::json!({"op": "remove", "path": "/spec/placement/clusterTolerations/1"})
    );
    let op_findings: Vec<_> = got(&r, "operator-chart-from-v1.17.3")
        .into_iter()
        .filter(|(_, f, _)| f == op)
        .collect();
    assert_eq!(op_findings, [want("blocker", op, "containers:")]);
    let r = run(
        &["fixtures/packs/v1.17-to-v1.18/pass"],
        "v1.17",
        "v1.18",
        "pre",
    );
    for rule in [
        "cluster-lease-flags-removed",
        "init-config-etcd-initimage-removed",
        "cluster-tolerations-lt-gt-rejected",
        "operator-chart-from-v1.17.3",
    ] {
        all_pass(&r, rule);
    }
}

#[test]
fn v1_18_to_v1_19_purge_modes_removed_and_estimator_on_the_scheduler_release() {
    let objs = "fixtures/packs/v1.18-to-v1.19/fail/objects.yaml";
    let sch = "fixtures/packs/v1.18-to-v1.19/fail/schedulers.yaml";
    let r = run(
        &[&format!("{PACKS}/v1.18-to-v1.19/fail")],
        "v1.18",
        "v1.19",
        "post",
    );
    assert_eq!(
        got(&r, "purge-mode-values-removed"),
        [
            want("fail", objs, "purgeMode: Graciously"),
            want("fail", objs, "purgeMode: Immediately"),
            want("fail", objs, "Immediately # eviction task"),
        ]
    );
    let est: Vec<_> = got(&r, "scheduler-estimator-same-minor")
        .into_iter()
        .filter(|(s, _, _)| s != "pass")
        .collect();
    assert_eq!(
        est,
        [want("fail", sch, "karmada-scheduler-estimator:v1.17.4")]
    );
    let fix = &findings(&r, "scheduler-estimator-same-minor")
        .into_iter()
        .find(|f| f["status"] == "fail")
        .unwrap()["remediation"]["manifests"][0];
    assert_eq!(
        fix["content"][1]["value"],
        "docker.io/karmada/karmada-scheduler-estimator:v1.18.2"
    );
    let r = run(
        &[&format!("{PACKS}/v1.18-to-v1.19/pass")],
        "v1.18",
        "v1.19",
        "post",
    );
    all_pass(&r, "purge-mode-values-removed");
    all_pass(&r, "scheduler-estimator-same-minor");
    // The official manifests use :latest: the versions cannot be compared, never a pass.
    let r = run(
        &["fixtures/releases/v1.18.0/artifacts/deploy"],
        "v1.18",
        "v1.19",
        "post",
    );
    assert!(findings(&r, "scheduler-estimator-same-minor")
        .iter()
        .all(|f| f["status"] == "unknown"));
}

#[test]
fn v1_12_to_v1_19_runs_each_pack_in_order_with_hop_labels_and_notes() {
    let r = run(
        &["fixtures/releases/v1.12.0/artifacts/deploy"],
        "v1.12",
        "v1.19",
        "pre",
    );
    // The hop packs, in path order (core rules that speak of every hop, such as the
    // component images, come with the core pack).
    let hops: Vec<&str> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["pack"] != "core")
        .filter_map(|f| f["hop"].as_str())
        .collect();
    let mut order: Vec<&str> = hops.clone();
    order.dedup();
    assert_eq!(
        order,
        [
            "v1.12->v1.13",
            "v1.13->v1.14",
            "v1.14->v1.15",
            "v1.15->v1.16",
            "v1.16->v1.17",
            "v1.17->v1.18",
            "v1.18->v1.19"
        ]
    );
    // Every hop is covered, and the jump itself is reported.
    for f in findings(&r, "hop-pack-known") {
        assert_eq!(f["status"], "pass", "{f:#}");
    }
    assert_eq!(findings(&r, "hop-pack-known").len(), 7);
    assert_eq!(findings(&r, "upgrade-path")[0]["status"], "fail");
    // The v1.12 manifests still carry what v1.14 deprecates and v1.15 removes.
    let cm = "fixtures/releases/v1.12.0/artifacts/deploy/karmada-controller-manager.yaml";
    assert_eq!(
        got(&r, "failover-eviction-timeout-removed"),
        [want("action", cm, "--failover-eviction-timeout")]
    );
    // What state cannot show is listed as info, per hop, with its changelog line.
    let notes = findings(&r, "release-notes-v1.18");
    assert!(notes.len() >= 3);
    for n in &notes {
        assert_eq!(n["status"], "fail");
        assert_eq!(n["severity"], "info");
        assert_eq!(n["hop"], "v1.17->v1.18");
    }
    assert!(notes.iter().any(
        |n| n["message"].as_str().unwrap().contains("member_cluster")
            && n["evidence"][0]["message"]
                .as_str()
                .unwrap()
                .contains("CHANGELOG-1.18.md")
    ));
}

#[test]
fn kubernetes_versions_outside_the_target_window_are_warnings_naming_the_cluster() {
    let dir = "fixtures/packs/k8s-compat";
    let clusters = "fixtures/packs/k8s-compat/clusters.yaml";
    let api = "fixtures/packs/k8s-compat/karmada-apiserver.yaml";
    let r = run(&[dir], "v1.17", "v1.18", "pre");
    let f = findings(&r, "kubernetes-compatibility");
    let by = |needle: &str| {
        *f.iter()
            .find(|x| x["message"].as_str().unwrap().contains(needle))
            .unwrap_or_else(|| panic!("no finding about {needle}: {f:#?}"))
    };
    let old = by("member-old");
    assert_eq!(old["status"], "fail");
    assert_eq!(old["severity"], "warning");
    assert!(old["message"]
        .as_str()
        .unwrap()
        .contains("v1.22.17, outside the v1.26-v1.35 window Karmada v1.18"));
    assert_eq!(at(old), (clusters.into(), line_of(clusters, "v1.22.17")));
    assert_eq!(by("member-current")["status"], "pass");
    let a = by("karmada-apiserver");
    assert_eq!(a["status"], "pass");
    assert_eq!(at(a), (api.into(), line_of(api, "kube-apiserver:v1.31.3")));
    // Towards v1.13 (client v1.31) the v1.33 member is newer than anything tested.
    let r = run(&[dir], "v1.12", "v1.13", "pre");
    let f = findings(&r, "kubernetes-compatibility");
    assert!(f.iter().any(|x| x["status"] == "fail"
        && x["message"].as_str().unwrap().contains("member-current")
        && x["message"].as_str().unwrap().contains("newer than")));
}

// ---------------------------------------------------------------------------------------
// Without --to: an install detected as v1.X is verified as v1.X (the hop into it, post, and
// the lasting invariants such as the Cluster APIService) and v1.X -> v1.(X+1) is shown.

/// `check ARGS -o json`: (exit code, report, first stderr line).
fn check_stderr(args: &[&str]) -> (i32, Value, String) {
    let mut all = vec!["check"];
    all.extend(args);
    all.extend(["-o", "json"]);
    let (code, out, err) = preflight(&all);
    let report: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {err}"));
    (code, report, err.lines().next().unwrap_or("").to_string())
}

#[test]
fn a_detected_v1_16_helm_install_is_verified_as_v1_16_and_shows_v1_17() {
    let file = "fixtures/releases/v1.16.0/helm-template.yaml";
    let (code, r, first) = check_stderr(&[file]);
    assert_eq!(code, 0, "{r:#}");
    assert!(
        first.starts_with("karmada-preflight: phase post: Karmada v1.16.0 detected from"),
        "{first}"
    );
    assert!(
        first.contains("verifying it as v1.16 (post checks of v1.15->v1.16"),
        "{first}"
    );
    assert!(first.contains("what v1.16 -> v1.17 needs"), "{first}");
    assert_eq!(r["phase"], "post");
    assert!(r["phaseReason"]
        .as_str()
        .unwrap()
        .contains("verifying it as v1.16"));
    let hops: std::collections::BTreeSet<&str> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["hop"].as_str())
        .collect();
    assert_eq!(
        hops.into_iter().collect::<Vec<_>>(),
        ["v0.10->v1.0", "v1.15->v1.16", "v1.16->v1.17"]
    );
    // The lasting invariant passes from the APIService the chart embeds in a ConfigMap.
    let api = &findings(&r, "cluster-apiservice")[0];
    assert_eq!(api["status"], "pass");
    assert_eq!(api["location"]["file"], file);
    // Only the lasting rules of older packs run, not their whole packs.
    assert!(findings(&r, "karmada-version-path").is_empty());
    assert!(findings(&r, "member-k8s-1.24-needs-patch").is_empty());
    assert!(findings(&r, "bind-address-flags-removed").is_empty());
    // The next hop is judged as still ahead: its needs are actions of the next upgrade
    // (its notes too); the notes of the finished hop into v1.16 are not repeated.
    assert_eq!(
        findings(&r, "cluster-lease-flags-deprecated")[0]["status"],
        "pass"
    );
    let notes = findings(&r, "release-notes-v1.17");
    assert!(notes.len() >= 3);
    for n in notes {
        assert_eq!(n["hop"], "v1.16->v1.17");
        assert_eq!(n["status"], "action");
    }
    // Notes are for reading before a hop: the finished hop's are skipped after it.
    for n in findings(&r, "release-notes-v1.16") {
        assert_eq!(n["status"], "skip");
    }
    // v1.0's Cluster API is verified on every later release.
    assert_eq!(only_status(&r, "aggregated-apiserver-deployed"), "pass");
    for f in r["findings"].as_array().unwrap() {
        assert!(
            !matches!(f["status"].as_str(), Some("fail" | "blocker")),
            "{f:#}"
        );
    }
    // --phase post: the verification alone; --phase pre: the next hop alone.
    let (_, r, first) = check_stderr(&[file, "--phase", "post"]);
    assert!(first.contains("verifying it as v1.16"), "{first}");
    assert!(findings(&r, "release-notes-v1.17").is_empty());
    assert_eq!(findings(&r, "release-notes-v1.16")[0]["status"], "skip");
    let (_, r, first) = check_stderr(&[file, "--phase", "pre"]);
    assert!(first.contains("auditing v1.16->v1.17"), "{first}");
    assert!(findings(&r, "release-notes-v1.16").is_empty());
    assert!(!findings(&r, "release-notes-v1.17").is_empty());
}

fn only_status(r: &Value, rule: &str) -> String {
    let f = findings(r, rule);
    assert_eq!(f.len(), 1, "{rule}: {f:#?}");
    f[0]["status"].as_str().unwrap_or("").to_string()
}

#[test]
fn an_install_newer_than_the_rules_is_unknown_not_a_pass() {
    let (code, r, first) = check_stderr(&["fixtures/packs/beyond"]);
    // Nothing of its upgrade was checked: not exit 0 (tests/no_false_all_clear.rs).
    assert_eq!(code, 2);
    assert!(first.contains("newer than v1.19"), "{first}");
    let f = &findings(&r, "hop-pack-known")[0];
    assert_eq!(f["status"], "unknown");
    assert!(f["message"].as_str().unwrap().contains("Karmada v1.20.1"));
    assert!(r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["hop"].is_null()));
}

#[test]
fn a_fingerprint_without_a_version_keeps_the_v0_10_to_v1_0_default() {
    let (_, r, _) = check_stderr(&["fixtures/karmada-v1.0.0"]);
    assert_eq!(r["karmadaVersion"], "v1.0-like");
    assert!(!findings(&r, "apiserver-front-proxy-flags").is_empty());
    assert!(findings(&r, "release-notes-v1.13").is_empty());
}
