//! Helpers shared by the integration tests: run the real binary and read its JSON report.
#![allow(dead_code)]

pub mod pod;
pub mod served;

use std::collections::BTreeSet;
use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

/// Run `karmada-preflight check <args> -o json`; returns (exit code, report).
pub fn check(args: &[&str]) -> (i32, Value) {
    let out = Command::cargo_bin("karmada-preflight")
        .expect("binary builds")
        .arg("check")
        .args(args)
        .args(["-o", "json"])
        .output()
        .expect("binary runs");
    let code = out.status.code().unwrap_or(-1);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not a JSON report ({e}); exit {code}\nstdout: {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (code, report)
}

/// Run `karmada-preflight <args>`; returns (exit code, stdout, stderr).
pub fn preflight(args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("karmada-preflight")
        .expect("binary builds")
        .args(args)
        .output()
        .expect("binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// All findings of `rule`.
pub fn findings<'a>(report: &'a Value, rule: &str) -> Vec<&'a Value> {
    report["findings"]
        .as_array()
        .map(|a| a.iter().filter(|f| f["rule"] == rule).collect())
        .unwrap_or_default()
}

/// The single finding of `rule`; fails the test if there is not exactly one.
pub fn only<'a>(report: &'a Value, rule: &str) -> &'a Value {
    let f = findings(report, rule);
    assert_eq!(
        f.len(),
        1,
        "expected one finding for {rule}, got {}: {f:#?}",
        f.len()
    );
    f[0]
}

/// `(file suffix, line)` of a finding's location.
pub fn at(f: &Value) -> (String, u64) {
    let file = f["location"]["file"].as_str().unwrap_or("").to_string();
    (file, f["location"]["line"].as_u64().unwrap_or(0))
}

/// Line (1-based) of the first line in `path` containing `needle`: tests name the
/// line by its content so they stay right when a fixture is edited.
pub fn line_of(path: &str, needle: &str) -> u64 {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    text.lines()
        .position(|l| l.contains(needle))
        .map(|i| i as u64 + 1)
        .unwrap_or_else(|| panic!("{needle:?} not in {path}"))
}

/// Copy a fixture tree so a test can add to it or break it.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let dest = to.join(p.file_name().unwrap());
        if p.is_dir() {
            copy_dir(&p, &dest);
        } else {
            std::fs::copy(&p, &dest).unwrap();
        }
    }
}

/// `rule status scope/kind/namespace/name` for each finding (rules in `skip` left out):
/// what must agree between two runs over the same clusters.
pub fn finding_keys(report: &Value, skip: &[&str]) -> BTreeSet<String> {
    report["findings"]
        .as_array()
        .unwrap_or_else(|| panic!("no findings in {report}"))
        .iter()
        .filter(|f| !skip.contains(&f["rule"].as_str().unwrap_or("")))
        .map(|f| {
            let o = &f["object"];
            format!(
                "{} {} {}/{}/{}/{}",
                f["rule"].as_str().unwrap_or(""),
                f["status"].as_str().unwrap_or(""),
                o["scope"].as_str().unwrap_or(""),
                o["kind"].as_str().unwrap_or(""),
                o["namespace"].as_str().unwrap_or(""),
                o["name"].as_str().unwrap_or("")
            )
        })
        .collect()
}

/// `check -o json --fail-on never --phase PHASE`: a run whose report is compared, not
/// gated.
pub fn check_json_args(phase: &str) -> Vec<String> {
    [
        "check",
        "-o",
        "json",
        "--fail-on",
        "never",
        "--phase",
        phase,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// Rules whose subject is the input itself, or that only a live run (or a bundle's
/// manifest) can judge: plain files cannot say whether an API answers. Left out when
/// live and offline findings are compared.
pub const LIVE_ONLY: &[&str] = &[
    "input-valid",
    "cluster-api-served",
    "aggregated-apiserver-ready",
];

/// One run of the binary, its exit code, JSON report (`Null` when stdout is not one) and
/// stderr. `KUBECONFIG` is removed so a developer's own clusters are never read; `timeout`
/// ends a hung run (live tests against misbehaving servers fail, never hang CI).
pub struct Run {
    pub code: i32,
    pub report: Value,
    pub stdout: String,
    pub stderr: String,
}

pub fn run_bounded<S: AsRef<std::ffi::OsStr>>(args: &[S], timeout: std::time::Duration) -> Run {
    run_bounded_env(args, &[], timeout)
}

/// [`run_bounded`] with extra environment variables (a pod's, for `--in-cluster`).
pub fn run_bounded_env<S: AsRef<std::ffi::OsStr>>(
    args: &[S],
    env: &[(&str, &std::ffi::OsStr)],
    timeout: std::time::Duration,
) -> Run {
    let out = Command::cargo_bin("karmada-preflight")
        .unwrap()
        .args(args)
        .env_remove("KUBECONFIG")
        .envs(env.iter().copied())
        .timeout(timeout)
        .output()
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        report: serde_json::from_slice(&out.stdout).unwrap_or(Value::Null),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}
