//! Live mode at fleet scale: 2,000 member clusters served by the loopback fake API
//! server, one of them refusing every read. Every other member keeps its findings, the
//! forbidden one is `unknown` naming it, and stderr stays a handful of lines (one per kind
//! of problem, not one per member). The per-cluster figures are in the report's inputs.

use std::time::Duration;

use assert_cmd::Command;
use fakeapi::{generate_fleet, Fault, FaultKind, RunningServer, ServerConfig};
use serde_json::Value;

/// A process timeout, not a speed assertion: 2,000 clusters on a shared 2-core machine.
const FLEET_RUN_TIMEOUT: Duration = Duration::from_secs(600);
const MEMBERS: usize = 2000;
const FORBIDDEN: &str = "member-0042";
/// A version rule judging each member by its Cluster, reading members' workloads.
const VERSION_RULE: &str = "member-k8s-1.24-needs-patch";

#[test]
fn one_forbidden_member_of_2000_is_unknown_and_the_others_keep_their_findings() {
    let server = RunningServer::start_blocking(ServerConfig {
        clusters: generate_fleet(MEMBERS, 200, 7),
        faults: vec![Fault::new(FORBIDDEN, FaultKind::Status(403))],
        ..Default::default()
    })
    .expect("fake apiserver");
    let dir = tempfile::tempdir().unwrap();
    let kc = dir.path().join("kubeconfig");
    server.write_kubeconfig(&kc).unwrap();
    let markdown = dir.path().join("report.md");

    let out = Command::cargo_bin("karmada-preflight")
        .unwrap()
        .args(["check", "--kubeconfig", kc.to_str().unwrap()])
        // The fake server shares this machine: a long request timeout keeps a slow answer
        // under load from turning into a gap the test did not inject.
        .args(["--members-from-kubeconfig", "--request-timeout", "60s"])
        .args([
            "--rule",
            VERSION_RULE,
            "--phase",
            "pre",
            "--fail-on",
            "never",
        ])
        .args(["-o", "json"])
        .arg(format!("-o=markdown={}", markdown.display()))
        .env_remove("KUBECONFIG")
        .timeout(FLEET_RUN_TIMEOUT)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let report: Value = serde_json::from_slice(&out.stdout).expect("a JSON report");

    let findings: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == VERSION_RULE)
        .collect();
    assert_eq!(findings.len(), MEMBERS, "one finding per member's Cluster");
    let forbidden: Vec<&&Value> = findings
        .iter()
        .filter(|f| f["object"]["name"] == FORBIDDEN)
        .collect();
    assert_eq!(forbidden.len(), 1);
    let f = forbidden[0];
    assert_eq!(f["status"], "unknown", "{f}");
    let msg = f["message"].as_str().unwrap();
    assert!(
        msg.contains(&format!("(member/{FORBIDDEN})")) && msg.contains("forbidden"),
        "{msg}"
    );
    // Every other member is judged: the generated fleet runs Kubernetes 1.19 to 1.22,
    // which this rule passes.
    let others: Vec<&&Value> = findings
        .iter()
        .filter(|f| f["object"]["name"] != FORBIDDEN)
        .collect();
    assert_eq!(others.len(), MEMBERS - 1);
    for f in &others {
        assert_eq!(f["status"], "pass", "{f}");
    }

    // stderr: a few lines whatever the fleet size, the forbidden member named.
    let lines: Vec<&str> = stderr.lines().collect();
    assert!(lines.len() < 20, "{} lines:\n{stderr}", lines.len());
    let problem = lines
        .iter()
        .find(|l| l.contains(FORBIDDEN))
        .unwrap_or_else(|| panic!("no line names {FORBIDDEN}:\n{stderr}"));
    assert!(
        problem.contains(&format!("1 of {MEMBERS} members")),
        "{problem}"
    );

    // The per-cluster read summary is in the report: one input per cluster read.
    let inputs = report["inputs"].as_array().unwrap();
    assert_eq!(inputs.len(), MEMBERS + 2, "karmada, host and every member");
    let of = |name: &str| {
        inputs
            .iter()
            .find(|i| i["live"]["cluster"] == name)
            .unwrap_or_else(|| panic!("no input for {name}"))
    };
    let bad = &of(FORBIDDEN)["live"];
    assert!(bad["gaps"].as_u64().unwrap() > 0, "{bad}");
    assert!(bad["requests"].as_u64().unwrap() > 0, "{bad}");
    let good = &of("member-0001")["live"];
    assert_eq!(good["gaps"], 0, "{good}");
    assert!(good["requests"].as_u64().unwrap() >= 3, "{good}");

    // The markdown report has the same read, per cluster, and names the member whose
    // reads failed before its 2,002 rows.
    let md = std::fs::read_to_string(&markdown).unwrap();
    assert!(
        md.contains(&format!(
            "Clusters read live: {}; 1 with failed reads (their rules are unknown for them): `{FORBIDDEN}`.",
            MEMBERS + 2
        )),
        "{}",
        &md[..md.len().min(3000)]
    );
    let row = |name: &str| -> Vec<String> {
        let prefix = format!("| `{name}` | member/{name} |");
        let line = md
            .lines()
            .find(|l| l.starts_with(&prefix))
            .unwrap_or_else(|| panic!("no markdown row for {name}"));
        line.split('|').map(|c| c.trim().to_string()).collect()
    };
    // | cluster | scope | Kubernetes | objects | requests | time | gaps | not served |
    let (bad_row, good_row) = (row(FORBIDDEN), row("member-0001"));
    assert_eq!(bad_row[7], bad["gaps"].to_string(), "{bad_row:?}");
    assert_eq!(good_row[5], good["requests"].to_string(), "{good_row:?}");
    assert_eq!(good_row[7], "0", "{good_row:?}");
    let rows = md.lines().filter(|l| l.starts_with("| `member-")).count();
    assert_eq!(rows, MEMBERS);
    drop(server);
}
