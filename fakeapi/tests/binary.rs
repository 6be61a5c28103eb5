//! The documented `fake-apiserver` command: starts, writes a kubeconfig, serves, and
//! writes its request log on SIGTERM.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn binary_serves_until_sigterm_and_writes_log() {
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    let log = dir.path().join("requests.jsonl");
    let mut child = Command::new(env!("CARGO_BIN_EXE_fake-apiserver"))
        .args([
            "--fleet",
            "2",
            "--objects",
            "10",
            "--seed",
            "3",
            "--latency-ms",
            "1",
        ])
        .args([
            "--fault",
            "member-0002:*:unreachable",
            "--fault",
            "karmada-host:secrets:403",
        ])
        .arg("--kubeconfig-out")
        .arg(&kubeconfig)
        .arg("--log")
        .arg(&log)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();

    let deadline = Instant::now() + Duration::from_secs(15);
    while !kubeconfig.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let text = std::fs::read_to_string(&kubeconfig).unwrap_or_default();
    for ctx in [
        "karmada-apiserver",
        "karmada-host",
        "member-0001",
        "member-0002",
    ] {
        assert!(
            text.contains(&format!("- name: \"{ctx}\"")),
            "context {ctx} missing:\n{text}"
        );
    }
    assert!(text.contains("current-context: \"karmada-apiserver\""));

    let kubectl_ran = Command::new("kubectl")
        .arg("--kubeconfig")
        .arg(&kubeconfig)
        .args([
            "--context",
            "karmada-host",
            "--request-timeout=10s",
            "get",
            "--raw",
            "/version",
        ])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);

    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break Some(s);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(
        status.is_some_and(|s| s.success()),
        "fake-apiserver did not exit cleanly on SIGTERM"
    );
    let lines = std::fs::read_to_string(&log).unwrap();
    if kubectl_ran {
        assert!(lines.contains("\"path\":\"/version\""), "{lines}");
    } else {
        println!("kubectl not available: only checked the empty log was written");
    }
}
