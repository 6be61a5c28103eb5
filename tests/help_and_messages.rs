//! Help an operator can act on and messages that say one thing once: every subcommand
//! shows examples, the help speaks of every hop (not only v0.10 -> v1.0), ignore
//! annotations are checked like waivers, JSON uses one naming style, YAML reads back
//! with the same types, and one condition is reported by one rule.

mod common;

use assert_cmd::Command;
use serde_json::Value;

const APISERVER: &str = "fixtures/karmada-v0.10.1/artifacts/deploy/karmada-apiserver.yaml";

fn help(args: &[&str]) -> String {
    let out = Command::cargo_bin("karmada-preflight")
        .unwrap()
        .args(args)
        .arg("--help")
        .env("COLUMNS", "80")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn every_subcommand_has_examples_that_are_not_wrapped() {
    for sub in [
        "check",
        "collect",
        "rbac",
        "rules",
        "explain",
        "compare",
        "completions",
        "test",
    ] {
        let text = help(&[sub]);
        let examples = text
            .split_once("Examples:\n")
            .unwrap_or_else(|| panic!("`{sub} --help` has no examples:\n{text}"))
            .1;
        let commands: Vec<&str> = examples.lines().take_while(|l| !l.is_empty()).collect();
        assert!(
            commands
                .iter()
                .any(|l| l.starts_with(&format!("  karmada-preflight {sub}"))),
            "`{sub}` examples do not run `{sub}`:\n{examples}"
        );
        for l in commands {
            // A wrapped example would leave a continuation that is not a command.
            assert!(
                [
                    "  karmada-preflight ",
                    "  kubectl ",
                    "  helm ",
                    "  source ",
                    "      --"
                ]
                .iter()
                .any(|p| l.starts_with(p)),
                "`{sub}` example line is not a whole command (wrapped at 80 columns?): {l:?}"
            );
        }
    }
    assert!(help(&[]).contains("Examples:\n  karmada-preflight check"));
}

#[test]
fn help_speaks_of_every_hop() {
    let top = help(&[]);
    assert!(
        top.contains("v0.9 to v1.19") && top.contains("v1.18->v1.19"),
        "{top}"
    );
    let check = help(&["check"]);
    assert!(
        check.contains("Applies to every hop on the path"),
        "{check}"
    );
    assert!(check.contains("--from v1.8 --to v1.12"), "{check}");
    assert!(check.contains("past the newest known release"), "{check}");
}

/// An annotation that silences a rule it misspells (`KP1O01`, letter O) or gives no
/// reason is an input-valid error at the annotation's line, and suppresses nothing.
#[test]
fn ignore_annotations_are_validated_like_waivers() {
    let text = std::fs::read_to_string(APISERVER).unwrap();
    let d = tempfile::tempdir().unwrap();
    for (file, annotation) in [
        ("typo.yaml", "KP1O01 we delete the CRD by hand"),
        ("no-reason.yaml", "apiserver-front-proxy-flags"),
    ] {
        let annotated = text.replacen(
            "  namespace: karmada-system\n",
            &format!(
                "  namespace: karmada-system\n  annotations:\n    preflight.karmada.io/ignore: \"{annotation}\"\n"
            ),
            1,
        );
        let renamed = annotated.replacen(
            "  name: karmada-apiserver\n",
            &format!(
                "  name: karmada-apiserver-{}\n",
                file.trim_end_matches(".yaml")
            ),
            1,
        );
        std::fs::write(d.path().join(file), renamed).unwrap();
    }
    let (code, report) = common::check(&[d.path().to_str().unwrap(), "--phase", "pre"]);
    assert_eq!(code, 1, "input-valid errors fail the run");
    let problems = common::findings(&report, "input-valid");
    let at = |file: &str, needle: &str| -> &Value {
        problems
            .iter()
            .copied()
            .find(|f| {
                f["location"]["file"].as_str().unwrap_or("").ends_with(file)
                    && f["message"].as_str().unwrap_or("").contains(needle)
            })
            .unwrap_or_else(|| {
                panic!("no input-valid finding in {file} with {needle:?}: {problems:#?}")
            })
    };
    let typo = at("typo.yaml", "names unknown rule(s) KP1O01");
    assert_eq!(typo["status"], "fail");
    assert_eq!(typo["severity"], "error");
    assert_eq!(common::at(typo).1, 7, "the annotation's line");
    let bare = at("no-reason.yaml", "has no reason");
    assert_eq!(common::at(bare).1, 7);
    // Without a reason the annotation silences nothing.
    let flags = common::findings(&report, "apiserver-front-proxy-flags");
    assert!(
        flags.iter().all(|f| f["status"] != "suppressed"),
        "{flags:#?}"
    );
}

#[test]
fn json_keys_are_camel_case_and_yaml_keeps_timestamps_strings() {
    let (_, report) = common::check(&["fixtures/karmada-v0.10.1", "--phase", "pre"]);
    fn walk(v: &Value, path: &str) {
        match v {
            Value::Object(m) => {
                for (k, v) in m {
                    // Keys inside remediation manifests and patches are Kubernetes'.
                    if k == "content" || k == "patch" {
                        continue;
                    }
                    assert!(!k.contains('_'), "snake_case key {path}/{k}");
                    walk(v, &format!("{path}/{k}"));
                }
            }
            Value::Array(a) => a.iter().for_each(|v| walk(v, path)),
            _ => {}
        }
    }
    walk(&report, "");
    let out = Command::cargo_bin("karmada-preflight")
        .unwrap()
        .args(["check", "fixtures/karmada-v0.10.1", "-o", "yaml"])
        .output()
        .unwrap();
    let yaml = String::from_utf8(out.stdout).unwrap();
    let line = yaml
        .lines()
        .find(|l| l.starts_with("generatedAt: "))
        .unwrap();
    assert!(
        line.starts_with("generatedAt: \"") && line.ends_with('"'),
        "a YAML 1.1 reader would take an unquoted timestamp for a date: {line}"
    );
}

/// No APIService after the upgrade is cluster-apiservice's failure; the Service-link
/// rule skips instead of failing a second time on the same condition.
#[test]
fn a_missing_apiservice_is_reported_by_cluster_apiservice_only() {
    let (_, report) = common::check(&["fixtures/karmada-v0.10.1", "--phase", "post"]);
    assert_eq!(
        common::only(&report, "cluster-apiservice")["status"],
        "fail"
    );
    let link = common::only(&report, "aggregated-apiserver-service-link");
    assert_eq!(link["status"], "skip", "{link:#}");
    assert!(link["message"]
        .as_str()
        .unwrap()
        .contains("cluster-apiservice reports it"));
}

#[test]
fn the_phase_line_names_the_image_the_version_was_read_from_once() {
    let out = Command::cargo_bin("karmada-preflight")
        .unwrap()
        .args(["check", "fixtures/releases/v1.16.0/helm-template.yaml"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let phase = text.lines().next().unwrap_or_default();
    assert!(
        phase.contains("Karmada v1.16.0 detected from the image docker.io/karmada/karmada-"),
        "{phase}"
    );
    assert!(!phase.contains("the the"), "{phase}");
}
