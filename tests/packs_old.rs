//! The hop packs v1.2->v1.3 … v1.11->v1.12 beyond their rules' own examples (which hold each
//! rule's pass and fail cases with file:line, run by tests/rule_examples.rs): the fixes a
//! user gets (JSON patches computed from the real Deployment), messages that name what is
//! wrong, no secret echoed, and a long path running every pack with its hop label. The
//! catalogue behind the rules is docs/hops-v0.9-v1.12.md.

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
fn kube_v1_24_flag_fix_removes_exactly_the_token() {
    let r = run("post", "v1.2", "v1.3", &[&deploy("v1.2.0")]);
    let f = one(&r, "kube-controller-manager-port-removed", "fail");
    assert_eq!(f["id"], "KP1302");
    let ops = patch(f);
    // Tested first, so a patch against a changed Deployment fails instead of removing
    // whatever sits at that index now.
    assert_eq!(ops[0]["op"], "test");
    assert_eq!(ops[0]["value"], "--port=0");
    assert_eq!(ops[1]["op"], "remove");
    assert_eq!(ops[1]["path"], ops[0]["path"]);
    let kcm = release("v1.2.0", "kube-controller-manager.yaml");
    assert_eq!(
        f["location"]["line"].as_u64(),
        Some(line_of(&kcm, "- --port=0"))
    );
}

#[test]
fn failover_pins_keep_the_behaviour_the_user_had() {
    // Before v1.4 Failover was off unless set: the fix pins it off, inside the existing list.
    let cm2 = release("v1.2.0", "karmada-controller-manager.yaml");
    let r = run("pre", "v1.3", "v1.4", &[&cm2]);
    let f = one(&r, "failover-default-on", "fail");
    assert_eq!(f["severity"], "warning");
    assert_eq!(
        patch(f)[1]["value"],
        "--feature-gates=PropagateDeps=true,Failover=false"
    );
    // No --feature-gates at all: the fix adds the flag.
    let cm4 = release("v1.4.0", "karmada-controller-manager.yaml");
    let r = run("pre", "v1.3", "v1.4", &[&cm4]);
    let f = one(&r, "failover-default-on", "fail");
    assert_eq!(patch(f)[0]["op"], "add");
    assert_eq!(patch(f)[0]["value"], "--feature-gates=Failover=false");
    // From v1.9.10 on the default is off: the fix pins it on, as it was.
    let cm8 = release("v1.8.0", "karmada-controller-manager.yaml");
    let r = run("pre", "v1.8", "v1.9", &[&cm8]);
    let f = one(&r, "failover-default-off-v1-9-10", "fail");
    assert_eq!(
        patch(f)[1]["value"],
        "--feature-gates=PropagationPolicyPreemption=true,MultiClusterService=true,Failover=true"
    );
}

#[test]
fn controller_list_fixes_keep_the_default_controllers() {
    let hpa = format!("{PACKS}/v1.7-to-v1.8/hpa");
    // The removed hpa controller is dropped from the list, the rest stays.
    let cm = format!("{PACKS}/v1.6-to-v1.7/fail/karmada-controller-manager.yaml");
    let r = run("post", "v1.6", "v1.7", &[&cm]);
    let f = one(&r, "hpa-controller-removed", "fail");
    assert_eq!(f["severity"], "warning");
    assert_eq!(patch(f)[1]["value"], "--controllers=*");
    // Appended to kube-controller-manager's explicit list.
    let r = run("post", "v1.6", "v1.7", &[&deploy("v1.6.0")]);
    let f = one(&r, "clusterrole-aggregation-controller", "fail");
    assert!(patch(f)[1]["value"]
        .as_str()
        .unwrap()
        .ends_with(",csrsigning,clusterrole-aggregation"));
    // No --controllers yet: `*` first, or every default controller would stop.
    let cm7 = release("v1.7.0", "karmada-controller-manager.yaml");
    let r = run("pre", "v1.7", "v1.8", &[&cm7, &hpa]);
    let f = one(&r, "hpa-replicas-syncer-enabled", "action");
    assert_eq!(patch(f)[0]["value"], "--controllers=*,hpaReplicasSyncer");
    // Two missing controllers go into the one token (a second token would win alone).
    let cm9 = release("v1.9.0", "karmada-controller-manager.yaml");
    let r = run("post", "v1.9", "v1.10", &[&cm9, &hpa]);
    let f = one(&r, "replicas-syncer-controllers-enabled", "fail");
    assert_eq!(
        patch(f)[1]["value"],
        "--controllers=*,hpaReplicasSyncer,hpaScaleTargetMarker,deploymentReplicasSyncer"
    );
    let f = one(&r, "hpa-replicas-syncer-renamed", "fail");
    assert_eq!(patch(f)[1]["value"], "--controllers=*");
}

#[test]
fn messages_name_what_is_wrong() {
    let r = run("post", "v1.4", "v1.5", &[&deploy("v1.4.0")]);
    let api = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| {
            f["rule"] == "k8s-gcr-io-images"
                && f["status"] == "fail"
                && f["object"]["name"] == "karmada-apiserver"
        })
        .expect("karmada-apiserver flagged");
    assert!(
        api["message"]
            .as_str()
            .unwrap()
            .contains("pulls k8s.gcr.io/kube-apiserver:v1.25.2 from the frozen"),
        "{api:#}"
    );

    let r = run(
        "post",
        "v1.5",
        "v1.6",
        &[&format!("{PACKS}/v1.5-to-v1.6/fail")],
    );
    let f = one(&r, "affinity-name-length", "fail");
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("named primary-clusters-in-the-eu-west-region,"),
        "only the long name is listed: {f:#}"
    );

    let ric = format!("{PACKS}/v1.8-to-v1.9/fail/interpreter.yaml");
    let r = run("pre", "v1.8", "v1.9", &[&ric]);
    let msgs: Vec<&str> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "lua-unsafe-functions")
        .filter_map(|f| f["message"].as_str())
        .collect();
    assert!(
        msgs.iter().any(|m| m.contains("(replicaResource)")),
        "the script calling rawget is named, not its clean neighbour: {msgs:?}"
    );
    assert!(msgs.iter().any(|m| m.contains("(retention)")), "{msgs:?}");
}

#[test]
fn operator_cr_key_data_is_never_echoed() {
    let cr = format!("{PACKS}/v1.11-to-v1.12/operator-fail/karmada.yaml");
    for phase in ["pre", "post"] {
        let r = run(phase, "v1.11", "v1.12", &[&cr]);
        let text = serde_json::to_string(&r).unwrap();
        for data in ["S0VZIHBsYWNlaG9sZGVy", "Q0VSVCBwbGFjZWhvbGRlcg=="] {
            assert!(!text.contains(data), "{phase}: inline etcd data leaked");
        }
    }
    let r = run("pre", "v1.11", "v1.12", &[&cr]);
    assert_eq!(
        one(&r, "operator-external-etcd-inline-certs", "fail")["location"]["line"].as_u64(),
        Some(line_of(&cr, "external:"))
    );
}

#[test]
fn a_v1_2_install_going_to_v1_12_meets_every_pack_with_its_hop() {
    let r = run("pre", "v1.2", "v1.12", &[&deploy("v1.2.0")]);
    let mut hops: Vec<&str> = Vec::new();
    for f in r["findings"].as_array().unwrap() {
        if let Some(h) = f["hop"].as_str() {
            if !hops.contains(&h) {
                hops.push(h);
            }
        }
    }
    for want in [
        "v1.2->v1.3",
        "v1.3->v1.4",
        "v1.4->v1.5",
        "v1.5->v1.6",
        "v1.6->v1.7",
        "v1.7->v1.8",
        "v1.8->v1.9",
        "v1.9->v1.10",
        "v1.10->v1.11",
        "v1.11->v1.12",
    ] {
        assert!(hops.contains(&want), "{want} missing from {hops:?}");
    }
    // The v1.2 manifests' own problems on the way: insecure port, the Failover default,
    // k8s.gcr.io images, the FederatedHPA webhooks.
    for (rule, hop) in [
        ("apiserver-insecure-port-removed", "v1.2->v1.3"),
        ("failover-default-on", "v1.3->v1.4"),
        ("k8s-gcr-io-images", "v1.4->v1.5"),
        ("federatedhpa-mutating-webhook", "v1.5->v1.6"),
    ] {
        assert!(
            r["findings"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["rule"] == rule
                    && f["hop"] == hop
                    && (f["status"] == "action" || f["status"] == "fail")),
            "{rule} on {hop}"
        );
    }
}

/// What no input can show (karmadactl flags, metric labels, changed defaults) is listed for
/// each old hop as `info`, with its changelog line, in the report and in PLAN.md under its hop.
#[test]
fn every_old_hop_lists_its_release_notes_as_info_in_the_report_and_the_plan() {
    let plan_dir = tempfile::tempdir().unwrap();
    let fix_dir = plan_dir.path().join("fix");
    let (_, r) = check(&[
        &deploy("v0.9.0"),
        "--from",
        "v0.9",
        "--to",
        "v1.12",
        "--phase",
        "pre",
        "--fix-dir",
        fix_dir.to_str().unwrap(),
    ]);
    let plan = std::fs::read_to_string(fix_dir.join("PLAN.md")).unwrap();
    // (hop, rule, id, how many notes, a note that must be among them, its changelog)
    #[rustfmt::skip]
    let hops = [
        ("v0.9->v0.10", "release-notes-v0.10", "KP0999", 2, "they are annotations now", "CHANGELOG-0.10.md"),
        ("v0.10->v1.0", "release-notes-v1.0", "KP1099", 2, "ReplicaSchedulingPolicy API is removed", "CHANGELOG-1.0.md"),
        ("v1.0->v1.1", "release-notes-v1.1", "KP1199", 2, "ApplyPolicySucceed event is now of type Normal", "CHANGELOG-1.1.md"),
        ("v1.1->v1.2", "release-notes-v1.2", "KP1299", 3, "clusters/proxy permission", "CHANGELOG-1.2.md"),
        ("v1.2->v1.3", "release-notes-v1.3", "KP1399", 5, "promote takes the member cluster as -C", "CHANGELOG-1.3.md"),
        ("v1.3->v1.4", "release-notes-v1.4", "KP1499", 5, "TaintManagerEviction event is renamed", "CHANGELOG-1.4.md"),
        ("v1.4->v1.5", "release-notes-v1.5", "KP1599", 3, "--cluster-context", "CHANGELOG-1.5.md"),
        ("v1.5->v1.6", "release-notes-v1.6", "KP1699", 3, "defaults to kube-*", "CHANGELOG-1.6.md"),
        ("v1.6->v1.7", "release-notes-v1.7", "KP1799", 5, "resource_match_policy_duration_seconds", "CHANGELOG-1.7.md"),
        ("v1.7->v1.8", "release-notes-v1.8", "KP1899", 5, "VersionTLS13", "CHANGELOG-1.8.md"),
        ("v1.8->v1.9", "release-notes-v1.9", "KP1999", 2, "unjoin --force", "CHANGELOG-1.9.md"),
        ("v1.9->v1.10", "release-notes-v1.10", "KP2099", 4, "no longer takes --cluster-zone", "CHANGELOG-1.10.md"),
        ("v1.10->v1.11", "release-notes-v1.11", "KP2199", 4, "--host-as-* are renamed --karmada-as-*", "CHANGELOG-1.11.md"),
        ("v1.11->v1.12", "release-notes-v1.12", "KP2299", 6, "unique controller names", "CHANGELOG-1.12.md"),
    ];
    let mut order = Vec::new();
    for f in r["findings"].as_array().unwrap() {
        let rule = f["rule"].as_str().unwrap_or("");
        if rule.starts_with("release-notes-") && !order.contains(&rule) {
            order.push(rule);
        }
    }
    assert_eq!(order, hops.map(|h| h.1), "notes in hop order");
    for (hop, rule, id, count, needle, changelog) in hops {
        let notes = common::findings(&r, rule);
        assert_eq!(notes.len(), count, "{rule}: {notes:#?}");
        for n in &notes {
            assert_eq!(n["id"], id);
            assert_eq!(n["hop"], hop);
            assert_eq!(n["status"], "fail");
            assert_eq!(n["severity"], "info");
            let source = n["evidence"][0]["message"].as_str().unwrap();
            assert!(
                source.starts_with("release note: ") && source.contains(changelog)
                    || source.contains("upgrading/"),
                "{rule}: {source}"
            );
            // PLAN.md lists the note under its hop, as a step to read before it.
            let entry = format!(
                "#### [ ] {rule} ({id}, {hop}) — fail\n\n{}\n",
                n["message"].as_str().unwrap()
            );
            assert!(plan.contains(&entry), "PLAN.md lacks {entry}");
        }
        assert!(
            notes
                .iter()
                .any(|n| n["message"].as_str().unwrap().contains(needle)),
            "{rule} has no note about {needle}: {notes:#?}"
        );
    }
}
