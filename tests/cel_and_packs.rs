//! CEL rules, `karmada-preflight test`, upgrade paths across the per-hop rule packs (each
//! pack rule's own pass and fail cases are its `examples:`, run by tests/rule_examples.rs).

mod common;

use common::{at, check, findings, line_of, only, preflight};
use serde_json::Value;

#[test]
fn example_cel_rules_pass_their_examples() {
    let (code, out, err) = preflight(&["test", "examples/cel-rules"]);
    assert_eq!(code, 0, "stdout:\n{out}\nstderr:\n{err}");
    assert!(out.contains("4 passed, 0 failed, 0 invalid"), "{out}");
}

#[test]
fn a_wrong_expectation_fails_the_test_run() {
    let (code, out, _) = preflight(&["test", "tests/data/cel-failing"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAIL"), "{out}");
    assert!(
        out.contains("expected pass about \"Deployment/single\", not reported"),
        "{out}"
    );
    assert!(
        out.contains("unexpected fail at \"example:1\" about pool/Deployment/single"),
        "{out}"
    );
    // The non-numeric replicas is an evaluation error: unknown, as the example expects.
    assert!(!out.contains("unexpected unknown"), "{out}");
}

#[test]
fn a_bad_cel_expression_names_file_line_and_error() {
    let line = line_of("tests/data/cel-bad/rule.yaml", "expression:");
    for args in [
        vec!["test", "tests/data/cel-bad"],
        vec![
            "check",
            "fixtures/karmada-v1.0.0",
            "--rules",
            "tests/data/cel-bad",
        ],
    ] {
        let (code, _, err) = preflight(&args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(
            err.contains(&format!("tests/data/cel-bad/rule.yaml:{line}:")),
            "{args:?}: {err}"
        );
        assert!(err.contains("CEL syntax error"), "{err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn cel_rules_run_in_check_with_locations() {
    let (code, r) = check(&[
        "examples/cel-rules/tests/inputs",
        "--rules",
        "examples/cel-rules",
        "--rule",
        "allowed-image-registry",
    ]);
    assert_eq!(code, 1);
    let f = findings(&r, "allowed-image-registry");
    let bad: Vec<&&Value> = f.iter().filter(|f| f["status"] == "fail").collect();
    assert_eq!(bad.len(), 1, "{f:#?}");
    let file = "examples/cel-rules/tests/inputs/deployments.yaml";
    let (_, line) = at(bad[0]);
    assert!(line > line_of(file, "name: from-dockerhub"));
    assert!(bad[0]["message"]
        .as_str()
        .unwrap()
        .contains("quay.io/someone/sidecar:1.0"));
}

#[test]
fn v0_10_to_v1_2_reports_every_hop() {
    let (_, r) = check(&["fixtures/karmada-v0.10.1", "--to", "v1.2"]);
    let hop_of = |rule: &str| {
        let f = findings(&r, rule);
        assert!(!f.is_empty(), "no finding for {rule}");
        f[0]["hop"].as_str().unwrap_or("").to_string()
    };
    assert_eq!(hop_of("cluster-crd-removed"), "v0.10->v1.0");
    assert_eq!(hop_of("apiserver-front-proxy-flags"), "v0.10->v1.0");
    assert_eq!(hop_of("cluster-webhook-removed"), "v1.0->v1.1");
    assert_eq!(hop_of("cluster-proxy-admin-clusterrole"), "v1.1->v1.2");
    let wh = only(&r, "cluster-webhook-removed");
    assert_eq!(wh["status"], "action");
    let file = "fixtures/karmada-v0.10.1/artifacts/deploy/webhook-configuration.yaml";
    assert_eq!(
        at(wh),
        (file.into(), line_of(file, "name: cluster.karmada.io"))
    );
    assert_eq!(
        only(&r, "cluster-proxy-admin-clusterrole")["status"],
        "action"
    );
    // The jump itself is reported with its hops, and nothing from packs off the path.
    let path = only(&r, "upgrade-path");
    assert_eq!(path["status"], "fail");
    assert!(path["message"]
        .as_str()
        .unwrap()
        .contains("v0.10->v1.0, v1.0->v1.1, v1.1->v1.2"));
    assert!(findings(&r, "apf-feature-gate-removed").is_empty());
    assert!(findings(&r, "scheduler-failover-flag-removed").is_empty());
}

#[test]
fn without_to_only_the_v0_10_pack_runs() {
    let (_, r) = check(&["fixtures/karmada-v0.10.1"]);
    assert!(!findings(&r, "cluster-crd-removed").is_empty());
    assert!(findings(&r, "cluster-webhook-removed").is_empty());
    assert_eq!(only(&r, "upgrade-path")["status"], "skip");
}

#[test]
fn bad_paths_are_errors() {
    let (code, _, err) = preflight(&[
        "check",
        "fixtures/karmada-v1.0.0",
        "--from",
        "v1.2",
        "--to",
        "v1.1",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("downgrade"), "{err}");
    let (code, _, err) = preflight(&[
        "check",
        "fixtures/karmada-v1.0.0",
        "--from",
        "v0.11",
        "--to",
        "v1.1",
    ]);
    assert_eq!(code, 2, "{err}");
}

// ---------------------------------------------------------------------------------------
// `cel` rules with `fix_patch`: the fix is a JSON patch of the object that failed.

/// `check INPUT --from FROM --to TO --phase pre`: the report before the hop.
fn before(input: &str, from: &str, to: &str) -> Value {
    check(&[input, "--from", from, "--to", to, "--phase", "pre"]).1
}

/// The patch of one field: `test` its current value, then `replace` it.
fn test_then_replace(ptr: &str, old: &str, new: &str) -> Value {
    serde_json::json!([
        {"op": "test", "path": ptr, "value": old},
        {"op": "replace", "path": ptr, "value": new}
    ])
}

/// The remediation of the one finding of `rule` with `status`: (summary, commands, the
/// patch file name and its operations).
fn cel_fix(r: &Value, rule: &str, status: &str) -> (String, Vec<String>, String, Value) {
    let f: Vec<&Value> = findings(r, rule)
        .into_iter()
        .filter(|f| f["status"] == status)
        .collect();
    assert_eq!(f.len(), 1, "{rule}: {f:#?}");
    let rem = &f[0]["remediation"];
    let commands = rem["commands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    let m = &rem["manifests"][0];
    (
        rem["summary"].as_str().unwrap().to_string(),
        commands,
        m["fileName"].as_str().unwrap().to_string(),
        m["content"].clone(),
    )
}

#[test]
fn an_affinity_name_v1_6_rejects_is_renamed_by_a_patch_at_its_exact_pointer() {
    let r = before("fixtures/packs/v1.5-to-v1.6/fail", "v1.5", "v1.6");
    // Too long: cut at 32 characters, back to the last letter (no trailing dash).
    let (summary, commands, file, ops) = cel_fix(&r, "affinity-name-length", "action");
    let ptr = "/spec/placement/clusterAffinities/0/affinityName";
    assert_eq!(
        ops,
        test_then_replace(
            ptr,
            "primary-clusters-in-the-eu-west-region",
            "primary-clusters-in-the-eu-west"
        )
    );
    assert!(summary.contains("PropagationPolicy/nginx"), "{summary}");
    assert_eq!(
        commands,
        [format!(
            "kubectl --context karmada-host -n default patch propagationpolicy nginx --type=json --patch-file {file}"
        )]
    );
    // Not a qualified name: the space becomes a dash.
    let (_, _, _, ops) = cel_fix(&r, "cluster-affinity-name-length", "action");
    assert_eq!(
        ops,
        test_then_replace(ptr, "backup clusters", "backup-clusters")
    );
}

#[test]
fn a_service_type_the_input_cannot_correct_gets_a_skeleton_patch_to_edit() {
    let r = before(
        "fixtures/packs/v1.11-to-v1.12/operator-fail",
        "v1.11",
        "v1.12",
    );
    let (_, commands, file, ops) = cel_fix(&r, "operator-apiserver-service-type", "blocker");
    let ptr = "/spec/components/karmadaAPIServer/serviceType";
    // ExternalName has no obvious replacement: the patch keeps it, for the user to choose.
    assert_eq!(ops, test_then_replace(ptr, "ExternalName", "ExternalName"));
    assert_eq!(commands.len(), 2, "{commands:?}");
    assert!(
        commands[0].starts_with(&format!("# {file} holds the current value"))
            && commands[0].contains("edit the `value`"),
        "{commands:?}"
    );
    assert!(commands[1].contains("patch karmada karmada-demo --type=json"));
}

#[test]
fn k8s_gcr_io_images_are_patched_to_the_same_image_on_registry_k8s_io() {
    let r = before("fixtures/releases/v1.4.0/artifacts/deploy", "v1.4", "v1.5");
    let (_, _, _, ops) = cel_fix(&r, "k8s-gcr-io-etcd-image", "action");
    let ptr = "/spec/template/spec/containers/0/image";
    assert_eq!(
        ops,
        test_then_replace(
            ptr,
            "k8s.gcr.io/etcd:3.5.3-0",
            "registry.k8s.io/etcd:3.5.3-0"
        )
    );
}

#[test]
fn the_operator_chart_rule_reports_the_operator_deployment_only() {
    // The failing fixture also holds karmada-controller-manager: no pass about it.
    let dir = "fixtures/packs/v1.17-to-v1.18/fail";
    let r = before(dir, "v1.17", "v1.18");
    let f = findings(&r, "operator-chart-from-v1.17.3");
    let op = format!("{dir}/karmada-operator.yaml");
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0]["status"], "blocker");
    assert_eq!(at(f[0]), (op.clone(), line_of(&op, "containers:")));
    // An install without karmada-operator: one skip, not a pass per Deployment.
    let r = before(
        "fixtures/releases/v1.17.0/artifacts/deploy",
        "v1.17",
        "v1.18",
    );
    let f = findings(&r, "operator-chart-from-v1.17.3");
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0]["status"], "skip");
}
