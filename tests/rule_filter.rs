//! An operator narrows a run with `--rule`, typing ids and names the way they come to
//! mind: `kp1003` runs KP1003, and a name that matches nothing stops the run instead of
//! silently checking nothing.

mod common;

use common::preflight;

#[test]
fn a_lowercase_id_runs_that_rule_and_only_it() {
    let (code, out, err) = preflight(&[
        "check",
        "fixtures/karmada-v0.10.1",
        "--phase",
        "pre",
        "--rule",
        "kp1003",
        "-o",
        "json",
    ]);
    // An action is not a failure under the default --fail-on error.
    assert_eq!(code, 0, "{err}");
    let r: serde_json::Value = serde_json::from_str(&out).unwrap();
    let findings = r["findings"].as_array().unwrap();
    assert!(!findings.is_empty());
    for f in findings {
        assert_eq!(f["id"], "KP1003", "{f}");
    }
    assert_eq!(findings[0]["status"], "action");
    assert_eq!(
        findings[0]["location"]["file"],
        "fixtures/karmada-v0.10.1/artifacts/deploy/karmada-apiserver.yaml"
    );
    assert_eq!(findings[0]["location"]["line"], 57);
}

#[test]
fn a_name_in_another_case_selects_the_rule() {
    let (code, out, err) = preflight(&[
        "check",
        "fixtures/karmada-v1.0.0",
        "--phase",
        "post",
        "--rule",
        "Cluster-CRD-Removed",
        "-o",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    let r: serde_json::Value = serde_json::from_str(&out).unwrap();
    let rules: Vec<&str> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert_eq!(rules, vec!["cluster-crd-removed"]);
}

#[test]
fn a_rule_that_does_not_exist_stops_the_run() {
    let (code, _, err) = preflight(&["check", "fixtures/karmada-v1.0.0", "--rule", "kp9999"]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown rule \"kp9999\""), "{err}");
}
