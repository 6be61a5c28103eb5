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
        .find(|f| f.rule.id() == "KP1001")
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
            .map(|f| (f.rule.id().to_string(), f.status, f.fingerprint.hex()))
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
    let out = parse_documents(&text, &Limits::default(), |d| docs.push(d.value()));
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
        report.findings.iter().all(|f| f.rule.id() == "KP1003"),
        "{:?}",
        report
            .findings
            .iter()
            .map(|f| f.rule.id())
            .collect::<Vec<_>>()
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

/// A waiver file accepting KP1002 (the APIService) until 2999.
fn waiver_file(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("waivers.yaml");
    std::fs::write(
        &path,
        "waivers:\n  - rule: KP1002\n    reason: the APIService lands in CHG-1\n    expires: 2999-12-31\n",
    )
    .expect("write");
    path
}

/// The engine prints nothing itself: what a person watching the run needs (the phase and
/// why, waivers read, an etcd that could not be read) is told to the `progress` observer,
/// which the CLI prints on stderr.
#[test]
fn progress_is_told_to_the_observer_in_order() {
    use karmada_preflight::engine::etcd::EtcdOptions;
    use karmada_preflight::engine::Progress;
    use std::cell::RefCell;

    let dir = tempfile::tempdir().expect("tempdir");
    let waivers = waiver_file(dir.path());
    let told = RefCell::new(Vec::new());
    let observer = |p: Progress<'_>| {
        told.borrow_mut().push(match p {
            Progress::Phase(d) => format!("phase {}: {}", d.phase, d.reason),
            Progress::Waivers { count, path } => {
                format!("{count} waiver(s) from {}", path.display())
            }
            Progress::EtcdNotRead(why) => format!("etcd not read: {why}"),
            other => format!("unexpected {other:?}"),
        })
    };
    // An APIService alone: no karmada-apiserver says where etcd is, and no endpoint is
    // given, so etcd is not read (and nothing is dialled).
    let config = Config {
        phase: Some(Phase::Post),
        waivers: Some(waivers.clone()),
        etcd: Some(EtcdOptions {
            endpoints: Vec::new(),
            cacert: None,
            cert: None,
            key: None,
            user: None,
            prefix: None,
            timeout: std::time::Duration::from_secs(1),
        }),
        progress: Some(&observer),
        ..Config::paths(vec!["fixtures/broken/apiservice-wrong-priority".to_string()])
    };
    engine::run(&config).expect("the APIService is checked");
    assert_eq!(
        told.into_inner(),
        [
            "etcd not read: no etcd endpoint: give --etcd-endpoints (the input has no \
             karmada-apiserver with --etcd-servers)"
                .to_string(),
            "phase post: chosen with --phase".to_string(),
            format!("1 waiver(s) from {}", waivers.display()),
        ]
    );
}

/// The CLI's observer prints the lines `check` always printed on stderr; with a table on
/// stdout (which starts with the phase) the phase line is not repeated there.
#[test]
fn the_cli_prints_the_progress_on_stderr() {
    let dir = tempfile::tempdir().expect("tempdir");
    let waivers = waiver_file(dir.path());
    let stderr = |format: &str| {
        let out = assert_cmd::Command::cargo_bin("karmada-preflight")
            .unwrap()
            .args([
                "check",
                "fixtures/broken/apiservice-wrong-priority",
                "--phase",
                "post",
                "--etcd",
                "-o",
                format,
                "--waivers",
            ])
            .arg(&waivers)
            .output()
            .unwrap();
        String::from_utf8(out.stderr).expect("utf-8")
    };
    let etcd =
        "karmada-preflight: warning: etcd not read: no etcd endpoint: give --etcd-endpoints \
                (the input has no karmada-apiserver with --etcd-servers)\n";
    let waived = format!(
        "karmada-preflight: 1 waiver(s) from {}\n",
        waivers.display()
    );
    assert_eq!(
        stderr("json"),
        format!("{etcd}karmada-preflight: phase post: chosen with --phase\n{waived}")
    );
    assert_eq!(stderr("table"), format!("{etcd}{waived}"));
}
