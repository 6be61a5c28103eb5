//! The engine as a library: `engine::run(&Config)` gives the report `check` prints, a
//! report written as JSON or YAML reads back as the same `Report`, and a run that cannot
//! produce a report says why with a typed error.

use karmada_preflight::engine::{self, Config, Error};
use karmada_preflight::findings::Status;
use karmada_preflight::reports::{json, yaml, Report};
use karmada_preflight::sources::yaml::parse_documents;
use karmada_preflight::sources::Limits;
use karmada_preflight::upgrade::Phase;

const V010: &str = "fixtures/karmada-v0.10.1";

fn v010_pre() -> Report {
    let config = Config {
        phase: Some(Phase::Pre),
        ..Config::paths(vec![V010.to_string()])
    };
    engine::run(&config).expect("the v0.10.1 manifests are checked")
}

#[test]
fn the_library_checks_the_official_v0_10_manifests_like_the_cli() {
    let report = v010_pre();
    assert_eq!(report.phase, Phase::Pre);
    // The Cluster CRD is still installed: removing it is a step of the upgrade, located
    // at the CRD's file.
    let crd = report
        .findings
        .iter()
        .find(|f| f.id == "KP1001")
        .expect("KP1001 ran");
    assert_eq!(crd.status, Status::Action);
    assert_eq!(
        crd.location.as_ref().and_then(|l| l.file.as_deref()),
        Some("fixtures/karmada-v0.10.1/crds/cluster.karmada.io_clusters.yaml")
    );
    // The same run through the binary gives the same findings.
    let out = assert_cmd::Command::cargo_bin("karmada-preflight")
        .unwrap()
        .args(["check", V010, "--phase", "pre", "-o", "json"])
        .output()
        .unwrap();
    let cli: Report = serde_json::from_slice(&out.stdout).expect("check -o json is a Report");
    let ids = |r: &Report| {
        let mut v: Vec<(String, Status, String)> = r
            .findings
            .iter()
            .map(|f| (f.id.clone(), f.status, f.fingerprint.clone()))
            .collect();
        v.sort();
        v
    };
    assert_eq!(ids(&cli), ids(&report));
}

#[test]
fn a_json_report_reads_back_as_the_same_report() {
    let report = v010_pre();
    assert!(
        report.findings.iter().any(|f| f
            .remediation
            .as_ref()
            .is_some_and(|r| !r.manifests.is_empty())),
        "the round trip must cover remediation manifests"
    );
    assert!(report.findings.iter().any(|f| !f.evidence.is_empty()));
    let first = json::render(&report);
    let back: Report = serde_json::from_str(&first).expect("JSON report deserializes");
    assert_eq!(json::render(&back), first);
}

#[test]
fn a_yaml_report_reads_back_as_the_same_report() {
    let report = v010_pre();
    let text = yaml::render(&report);
    let mut docs = Vec::new();
    let out = parse_documents(&text, &Limits::default(), |d| docs.push(d.value));
    assert!(out.problems.is_empty(), "{:?}", out.problems);
    let back: Report = serde_json::from_value(docs.remove(0)).expect("YAML report deserializes");
    assert_eq!(json::render(&back), json::render(&report));
}

#[test]
fn an_unknown_rule_is_an_error_not_an_empty_run() {
    let config = Config {
        only: vec!["KP9999".into()],
        ..Config::paths(vec![V010.to_string()])
    };
    match engine::run(&config) {
        Err(Error::UnknownRule(r)) => assert_eq!(r, "KP9999"),
        other => panic!(
            "expected UnknownRule, got {:?}",
            other.map(|r| r.findings.len())
        ),
    }
}

#[test]
fn a_rule_given_in_lower_case_runs_that_rule_only() {
    let config = Config {
        phase: Some(Phase::Pre),
        only: vec!["kp1003".into()],
        ..Config::paths(vec![V010.to_string()])
    };
    let report = engine::run(&config).expect("runs");
    assert!(!report.findings.is_empty());
    assert!(
        report.findings.iter().all(|f| f.id == "KP1003"),
        "{:?}",
        report.findings.iter().map(|f| &f.id).collect::<Vec<_>>()
    );
}

#[test]
fn nothing_to_check_is_a_typed_error_with_the_input_problems() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("notes.yaml");
    std::fs::write(&f, "a: [\n").unwrap();
    let config = Config::paths(vec![f.display().to_string()]);
    match engine::run(&config) {
        Err(Error::NothingToCheck { why, problems }) => {
            assert!(why.contains("Karmada"), "{why}");
            assert_eq!(problems.len(), 1, "{problems:?}");
            assert_eq!(problems[0].location.line, Some(2));
        }
        other => panic!(
            "expected NothingToCheck, got {:?}",
            other.map(|r| r.findings.len())
        ),
    }
}

#[test]
fn a_path_past_the_known_releases_is_a_usage_error() {
    let config = Config {
        to: Some("v1.99".into()),
        from: Some("v1.0".into()),
        ..Config::paths(vec![V010.to_string()])
    };
    match engine::run(&config) {
        Err(Error::Usage(m)) => assert!(m.contains("--to v1.99"), "{m}"),
        other => panic!("expected Usage, got {:?}", other.map(|r| r.findings.len())),
    }
}
