//! The operator's first runs: point the checker at the official manifests and at
//! broken variants, and read the findings it reports.

mod common;
use common::{at, check, findings, line_of, only};

const V010: &str = "fixtures/karmada-v0.10.1";
const V100: &str = "fixtures/karmada-v1.0.0";
const V010_APISERVER: &str = "fixtures/karmada-v0.10.1/artifacts/deploy/karmada-apiserver.yaml";

#[test]
fn v0_10_manifests_are_audited_as_pre_upgrade_with_three_steps_to_do() {
    let (code, r) = check(&[V010]);
    assert_eq!(r["phase"], "pre", "auto-detected phase");
    assert!(r["phaseReason"]
        .as_str()
        .unwrap()
        .contains("clusters.cluster.karmada.io"));
    assert_eq!(r["tool"]["name"], "karmada-preflight");

    let crd = only(&r, "cluster-crd-removed");
    assert_eq!(crd["status"], "action");
    assert_eq!(crd["id"], "KP1001");
    assert_eq!(crd["object"]["kind"], "CustomResourceDefinition");
    let (file, line) = at(crd);
    assert!(file.ends_with("crds/cluster.karmada.io_clusters.yaml"));
    assert_eq!(
        line,
        line_of(
            "fixtures/karmada-v0.10.1/crds/cluster.karmada.io_clusters.yaml",
            "name: clusters.cluster.karmada.io"
        )
    );
    let cmds = crd["remediation"]["commands"].as_array().unwrap();
    let etcdctl = cmds
        .iter()
        .filter_map(|c| c.as_str())
        .find(|c| c.contains(" del "))
        .unwrap();
    // Run in the etcd pod the manifests show, with that pod's own endpoint and certificate
    // paths: karmada-apiserver, whose paths these are not, is scaled to 0 by then.
    assert_eq!(
        etcdctl,
        "kubectl --context karmada-host -n karmada-system exec etcd-0 -c etcd -- etcdctl \
         --endpoints=https://127.0.0.1:2379 --cacert=/etc/kubernetes/pki/etcd/server-ca.crt \
         --cert=/etc/kubernetes/pki/etcd/karmada.crt --key=/etc/kubernetes/pki/etcd/karmada.key \
         del /registry/apiextensions.k8s.io/customresourcedefinitions/clusters.cluster.karmada.io"
    );
    assert!(crd["remediation"]["summary"]
        .as_str()
        .unwrap()
        .contains("Do not run `kubectl delete crd`"));

    let apisvc = only(&r, "cluster-apiservice");
    assert_eq!(apisvc["status"], "action");
    let manifests = apisvc["remediation"]["manifests"].as_array().unwrap();
    assert_eq!(
        manifests.len(),
        2,
        "APIService and its ExternalName Service"
    );
    let svc = manifests
        .iter()
        .find(|m| m["content"]["kind"] == "Service")
        .unwrap();
    assert_eq!(
        svc["content"]["spec"]["externalName"],
        "karmada-aggregated-apiserver.karmada-system.svc.cluster.local"
    );
    let api = manifests
        .iter()
        .find(|m| m["content"]["kind"] == "APIService")
        .unwrap();
    assert_eq!(api["content"]["spec"]["groupPriorityMinimum"], 2000);
    assert_eq!(api["content"]["spec"]["versionPriority"], 10);

    let flags = only(&r, "apiserver-front-proxy-flags");
    assert_eq!(flags["status"], "action");
    let (file, line) = at(flags);
    assert!(
        file.ends_with("artifacts/deploy/karmada-apiserver.yaml"),
        "{file}"
    );
    assert_eq!(line, line_of(V010_APISERVER, "--proxy-client-cert-file"));
    assert_eq!(
        flags["location"]["pointer"],
        "/spec/template/spec/containers/0/command/22"
    );
    assert_eq!(
        flags["evidence"].as_array().unwrap().len(),
        3,
        "cert, key and requestheader CA flags"
    );
    // Pre-upgrade actions are not errors: the default --fail-on error exits 0.
    assert_eq!(code, 0);
}

#[test]
fn the_flag_fix_is_a_json_patch_of_exactly_the_offending_tokens() {
    let (_, r) = check(&[V010]);
    let flags = only(&r, "apiserver-front-proxy-flags");
    let patch = &flags["remediation"]["manifests"][0];
    assert_eq!(patch["kind"], "json-patch");
    let ops = patch["content"].as_array().unwrap();
    let replaced: Vec<(&str, &str)> = ops
        .iter()
        .filter(|o| o["op"] == "replace")
        .map(|o| (o["path"].as_str().unwrap(), o["value"].as_str().unwrap()))
        .collect();
    assert_eq!(
        replaced,
        vec![
            (
                "/spec/template/spec/containers/0/command/22",
                "--proxy-client-cert-file=/etc/kubernetes/pki/front-proxy-client.crt"
            ),
            (
                "/spec/template/spec/containers/0/command/23",
                "--proxy-client-key-file=/etc/kubernetes/pki/front-proxy-client.key"
            ),
            (
                "/spec/template/spec/containers/0/command/25",
                "--requestheader-client-ca-file=/etc/kubernetes/pki/front-proxy-ca.crt"
            ),
        ]
    );
    // Each replace is guarded by a test of the value that was seen.
    assert_eq!(ops.iter().filter(|o| o["op"] == "test").count(), 3);
}

#[test]
fn v1_0_manifests_are_detected_as_post_upgrade() {
    let (_, r) = check(&[V100]);
    assert_eq!(r["phase"], "post");
    assert!(r["phaseReason"]
        .as_str()
        .unwrap()
        .contains("aggregated-apiserver"));
}

#[test]
fn template_placeholders_load_and_make_dependent_rules_unknown() {
    // The official manifests hold {{service_type}}, {{ca_crt}} ...: they must load.
    let (_, r) = check(&[V010]);
    assert_eq!(only(&r, "input-valid")["status"], "pass");
    let (_, r) = check(&[
        "fixtures/broken/apiserver-placeholder-flag",
        "--phase",
        "post",
    ]);
    let f = only(&r, "apiserver-front-proxy-flags");
    assert_eq!(f["status"], "unknown");
    // Named by its flag, never quoted: `{{` can sit inside a real secret value.
    let message = f["message"].as_str().unwrap();
    assert!(
        message.contains("--proxy-client-cert-file") && message.contains("placeholder"),
        "{message}"
    );
    assert!(!message.contains("proxy_client_cert}}"), "{message}");
    assert_eq!(
        at(f).1,
        line_of(
            "fixtures/broken/apiserver-placeholder-flag/karmada-apiserver.yaml",
            "{{proxy_client_cert}}"
        )
    );
}

#[test]
fn a_malformed_file_is_reported_with_its_line_and_the_good_files_are_still_checked() {
    let dir = "fixtures/broken/malformed-among-good";
    let (code, r) = check(&[dir, "--phase", "post"]);
    let bad = findings(&r, "input-valid");
    assert_eq!(bad.len(), 1);
    assert_eq!(bad[0]["status"], "fail");
    assert_eq!(bad[0]["severity"], "error");
    let (file, line) = at(bad[0]);
    assert!(file.ends_with("malformed-among-good/broken.yaml"));
    assert_eq!(line, line_of(&format!("{dir}/broken.yaml"), "b: 2"));
    // The good files were still checked.
    assert_eq!(only(&r, "apiserver-front-proxy-flags")["status"], "pass");
    assert_eq!(only(&r, "cluster-apiservice")["status"], "pass");
    // A skipped document is an error finding: exit 1 under the default --fail-on error.
    assert_eq!(code, 1);
}

#[test]
fn flags_in_args_as_separate_tokens_are_read_and_pointed_at() {
    let path = "fixtures/broken/apiserver-args-separate-form/karmada-apiserver.yaml";
    let (_, r) = check(&[path, "--phase", "post"]);
    let f = only(&r, "apiserver-front-proxy-flags");
    assert_eq!(f["status"], "fail");
    assert_eq!(f["severity"], "error");
    // The value token, on the line after the flag name.
    assert_eq!(at(f).1, line_of(path, "--proxy-client-cert-file") + 1);
    assert_eq!(
        f["location"]["pointer"],
        "/spec/template/spec/containers/0/args/6"
    );
    let ops = f["remediation"]["manifests"][0]["content"]
        .as_array()
        .unwrap();
    let replace = ops.iter().find(|o| o["op"] == "replace").unwrap();
    assert_eq!(
        replace["value"],
        "/etc/kubernetes/pki/front-proxy-client.crt"
    );
}

#[test]
fn a_missing_requestheader_flag_points_at_the_command_list() {
    let path = "fixtures/broken/apiserver-missing-requestheader/karmada-apiserver.yaml";
    let (code, r) = check(&[path, "--phase", "post"]);
    let f = only(&r, "apiserver-front-proxy-flags");
    assert_eq!(f["status"], "fail");
    assert!(f["message"]
        .as_str()
        .unwrap()
        .contains("--requestheader-allowed-names does not include front-proxy-client"));
    assert_eq!(at(f).1, line_of(path, "command:"));
    let add = &f["remediation"]["manifests"][0]["content"][0];
    assert_eq!(add["op"], "add");
    assert_eq!(add["path"], "/spec/template/spec/containers/0/command/-");
    assert_eq!(
        add["value"],
        "--requestheader-allowed-names=front-proxy-client"
    );
    assert_eq!(code, 1);
}

#[test]
fn fail_on_action_turns_pending_upgrade_steps_into_exit_1() {
    let (code, _) = check(&[V010, "--fail-on", "action"]);
    assert_eq!(code, 1);
    let (code, _) = check(&[V010, "--fail-on", "error"]);
    assert_eq!(code, 0);
}

#[test]
fn unreadable_input_exits_2() {
    let out = assert_cmd::Command::cargo_bin("karmada-preflight")
        .unwrap()
        .args(["check", "does/not/exist"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("does/not/exist"));
    assert!(out.stdout.is_empty(), "stdout carries only a report");
}

#[test]
fn kubectl_list_dumps_and_stdin_are_read() {
    let dump = r#"apiVersion: v1
kind: List
items:
- apiVersion: apiextensions.k8s.io/v1
  kind: CustomResourceDefinition
  metadata:
    name: clusters.cluster.karmada.io
"#;
    let out = assert_cmd::Command::cargo_bin("karmada-preflight")
        .unwrap()
        .args(["check", "-", "--phase", "post", "-o", "json"])
        .write_stdin(dump)
        .output()
        .unwrap();
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let f = only(&r, "cluster-crd-removed");
    assert_eq!(f["status"], "fail");
    assert_eq!(f["location"]["file"], "<stdin>");
    assert_eq!(f["location"]["line"], 7);
}

#[test]
fn json_files_are_read_with_positions() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("apiservice.json");
    std::fs::write(
        &p,
        "{\n  \"apiVersion\": \"apiregistration.k8s.io/v1\",\n  \"kind\": \"APIService\",\n  \"metadata\": {\"name\": \"v1alpha1.cluster.karmada.io\"},\n  \"spec\": {\n    \"group\": \"cluster.karmada.io\",\n    \"version\": \"v1alpha1\",\n    \"groupPriorityMinimum\": 2000,\n    \"versionPriority\": 1,\n    \"service\": {\"name\": \"karmada-aggregated-apiserver\", \"namespace\": \"karmada-system\"}\n  }\n}\n",
    )
    .unwrap();
    let (_, r) = check(&[p.to_str().unwrap(), "--phase", "post"]);
    let f = only(&r, "cluster-apiservice");
    assert_eq!(f["status"], "fail");
    assert_eq!(f["location"]["pointer"], "/spec/versionPriority");
    assert_eq!(at(f).1, 9);
}
