//! A platform team adds its own rule files with `--rules DIR`; mistakes in them are
//! reported with file and line, and the run stops with exit 2 instead of guessing.

use assert_cmd::Command;

fn run(dir: &std::path::Path) -> (i32, String) {
    let out = Command::cargo_bin("karmada-preflight")
        .unwrap()
        .args(["check", "fixtures/karmada-v1.0.0", "--rules"])
        .arg(dir)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn rule_dir(text: &str) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("house.yaml"), text).unwrap();
    d
}

const GOOD: &str = "id: HOUSE001
name: house-apiserver-flags
pack: house
title: karmada-apiserver keeps the group header
template: component-flags
params:
  components: [karmada-apiserver]
  require:
    - { flag: --requestheader-group-headers, equals: X-Remote-Group }
phases: { post: error }
why: our proxies rely on it
fix: set it
";

#[test]
fn a_valid_house_rule_runs_beside_the_bundled_ones() {
    let d = rule_dir(GOOD);
    let out = Command::cargo_bin("karmada-preflight")
        .unwrap()
        .args([
            "check",
            "fixtures/karmada-v1.0.0",
            "--phase",
            "post",
            "-o",
            "json",
            "--rules",
        ])
        .arg(d.path())
        .output()
        .unwrap();
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let f: Vec<_> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "house-apiserver-flags")
        .collect();
    assert_eq!(f.len(), 1);
    assert_eq!(f[0]["status"], "pass");
    assert_eq!(f[0]["id"], "HOUSE001");
}

#[test]
fn an_unknown_template_names_the_file_and_line() {
    let d = rule_dir(&GOOD.replace("template: component-flags", "template: no-such-template"));
    let (code, err) = run(d.path());
    assert_eq!(code, 2);
    assert!(err.contains("house.yaml:5:"), "{err}");
    assert!(
        err.contains("unknown template \"no-such-template\""),
        "{err}"
    );
}

#[test]
fn a_misspelled_field_names_its_line() {
    let d = rule_dir(&GOOD.replace("why: our", "wyh: our"));
    let (code, err) = run(d.path());
    assert_eq!(code, 2);
    assert!(err.contains("house.yaml:11:"), "{err}");
    assert!(err.contains("wyh"), "{err}");
}

#[test]
fn bad_template_params_point_into_params() {
    let d = rule_dir(&GOOD.replace("equals: X-Remote-Group", "endsWith: a, equals: b"));
    let (code, err) = run(d.path());
    assert_eq!(code, 2);
    assert!(err.contains("house.yaml:9:"), "{err}");
    assert!(err.contains("names exactly one of"), "{err}");
}

#[test]
fn a_rule_id_cannot_be_reused() {
    let d = rule_dir(&GOOD.replace("id: HOUSE001", "id: KP1001"));
    let (code, err) = run(d.path());
    assert_eq!(code, 2);
    assert!(
        err.contains("already defined in rules/karmada-v0.10-to-v1.0/cluster-crd-removed.yaml"),
        "{err}"
    );
}

#[test]
fn broken_yaml_in_a_rule_file_names_the_line() {
    let d = rule_dir("id: X\nname: [unclosed\ntitle: t\n");
    let (code, err) = run(d.path());
    assert_eq!(code, 2);
    assert!(err.contains("house.yaml:3:"), "{err}");
}
