//! No false all-clear. A run that read nothing of Karmada, a report `compare` cannot
//! read, or a rule part that could not run must never come out as exit 0 with a to-do
//! list: `helm template … | karmada-preflight check -` must fail when helm printed
//! nothing. Each case below is what an operator actually typed.

mod common;

use std::path::Path;
use std::time::Duration;

use assert_cmd::Command;
use serde_json::{json, Value};

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run_with_stdin(args: &[&str], stdin: &str) -> Out {
    let out = Command::cargo_bin("karmada-preflight")
        .unwrap()
        .args(args)
        .env_remove("KUBECONFIG")
        .write_stdin(stdin.to_string())
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn run(args: &[&str]) -> Out {
    run_with_stdin(args, "")
}

#[track_caller]
fn refused(o: &Out, says: &str) {
    assert_eq!(o.code, 2, "stdout:\n{}\nstderr:\n{}", o.stdout, o.stderr);
    assert!(o.stdout.is_empty(), "no report on stdout: {}", o.stdout);
    assert!(
        o.stderr.contains(says),
        "stderr lacks {says:?}:\n{}",
        o.stderr
    );
}

#[test]
fn empty_stdin_is_exit_2_not_a_to_do_list() {
    // `helm template … | karmada-preflight check -` when helm printed nothing.
    let o = run(&["check", "-"]);
    refused(
        &o,
        "no Karmada object found: read 1 input(s) (<stdin>): no document at all",
    );
}

#[test]
fn only_empty_documents_is_exit_2() {
    let o = run_with_stdin(&["check", "-"], "---\n---\n");
    refused(&o, "no Karmada object found: read 1 input(s) (<stdin>)");
}

#[test]
fn a_plain_text_file_is_exit_2_naming_the_file_and_what_it_held() {
    let d = tempfile::tempdir().unwrap();
    let notes = d.path().join("notes.txt");
    std::fs::write(&notes, "remember to upgrade karmada on friday\n").unwrap();
    let path = notes.to_str().unwrap();
    let o = run(&["check", path]);
    refused(&o, "1 document(s), none of them a Kubernetes object");
    assert!(o.stderr.contains(path), "{}", o.stderr);
    assert!(
        o.stderr
            .contains(&format!("{path}:1: document 1 is a string")),
        "the input problem is shown with its line: {}",
        o.stderr
    );
}

#[test]
fn manifests_of_another_application_are_exit_2() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(
        d.path().join("nginx.yaml"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: nginx\n  namespace: default\n\
         spec:\n  template:\n    spec:\n      containers:\n        - name: nginx\n          image: nginx:1.25\n",
    )
    .unwrap();
    let o = run(&["check", d.path().to_str().unwrap(), "-o", "json"]);
    refused(
        &o,
        "1 Kubernetes object(s) (Deployment), none of them Karmada's",
    );
}

#[test]
fn a_missing_path_is_one_clean_error_without_a_line_number() {
    let o = run(&["check", "fixtures/does-not-exist"]);
    refused(&o, "no readable input");
    assert!(
        o.stderr
            .contains("fixtures/does-not-exist: cannot read input: no such file or directory"),
        "{}",
        o.stderr
    );
    assert!(!o.stderr.contains("does-not-exist:1"), "{}", o.stderr);
    assert!(!o.stderr.contains("os error"), "{}", o.stderr);
}

#[test]
fn a_missing_kubeconfig_is_one_clean_error_naming_flag_and_path() {
    let o = run(&["check", "--kubeconfig", "t/nope.config"]);
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert_eq!(
        o.stderr.trim(),
        "karmada-preflight: error: --kubeconfig t/nope.config: no such file or directory"
    );
}

#[test]
fn a_cluster_that_is_not_karmada_is_exit_2() {
    use fakeapi::{ClusterSpec, RunningServer, ServerConfig};
    let nginx = json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "nginx", "namespace": "default"},
        "spec": {"template": {"spec": {"containers": [{"name": "nginx", "image": "nginx:1.25"}]}}}
    });
    let mut karmada = ClusterSpec::new("plain", vec![nginx.clone()]);
    karmada.context = "karmada-apiserver".into();
    let mut host = ClusterSpec::new("plain-host", vec![nginx]);
    host.context = "karmada-host".into();
    let server = RunningServer::start_blocking(ServerConfig {
        clusters: vec![karmada, host],
        ..Default::default()
    })
    .expect("fake apiserver");
    let d = tempfile::tempdir().unwrap();
    let kc = d.path().join("kubeconfig");
    server.write_kubeconfig(&kc).unwrap();
    let o = run(&["check", "--kubeconfig", kc.to_str().unwrap(), "-o", "json"]);
    refused(&o, "no Karmada object found");
    assert!(o.stderr.contains("none of them Karmada's"), "{}", o.stderr);
}

/// `compare` reads the YAML report exactly as the JSON one: member2 is missing, exit 1.
/// (It used to read the YAML report as manifests: no Cluster before, none after, exit 0.)
#[test]
fn compare_reads_yaml_reports_and_finds_the_missing_cluster() {
    let d = tempfile::tempdir().unwrap();
    for (side, dir) in [
        ("before", "fixtures/compare/before"),
        ("after", "fixtures/compare/after"),
    ] {
        let o = run(&["check", dir, "--phase", "post", "-o", "yaml"]);
        assert!(o.code <= 1, "{}", o.stderr);
        std::fs::write(d.path().join(format!("{side}.yaml")), &o.stdout).unwrap();
    }
    let b = d.path().join("before.yaml");
    let a = d.path().join("after.yaml");
    let o = run(&[
        "compare",
        b.to_str().unwrap(),
        a.to_str().unwrap(),
        "-o",
        "json",
    ]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    let v: Value = serde_json::from_str(&o.stdout).unwrap();
    assert_eq!(v["clusters"]["missing"], json!(["member2"]));
    assert_eq!(v["before"]["phase"], "post");
    assert!(
        v["summary"]["unchanged"].as_u64().unwrap_or(0) > 0,
        "findings were read from the YAML reports: {v:#}"
    );
}

/// Formats compare cannot read are refused by name, not read as empty manifests.
#[test]
fn compare_refuses_report_formats_it_cannot_read() {
    let d = tempfile::tempdir().unwrap();
    for (format, name) in [
        ("sarif", "a SARIF report"),
        ("junit", "a JUnit report"),
        ("markdown", "a markdown report"),
    ] {
        let file = d.path().join(format!("report.{format}"));
        let spec = format!("{format}={}", file.display());
        let o = run(&[
            "check",
            "fixtures/compare/before",
            "--phase",
            "post",
            "-o",
            &spec,
        ]);
        assert!(o.code <= 1, "{}", o.stderr);
        let o = run(&["compare", file.to_str().unwrap(), "fixtures/compare/after"]);
        assert_eq!(o.code, 2, "{format}: {}", o.stdout);
        assert!(o.stderr.contains(name), "{format}: {}", o.stderr);
        assert!(o.stdout.is_empty(), "{format}: {}", o.stdout);
    }
    // So is the table someone saved with `> before.txt`.
    let o = run(&["check", "fixtures/compare/before", "--phase", "post"]);
    let txt = d.path().join("before.txt");
    std::fs::write(&txt, &o.stdout).unwrap();
    let o = run(&["compare", txt.to_str().unwrap(), "fixtures/compare/after"]);
    assert_eq!(o.code, 2, "{}", o.stdout);
    assert!(o.stderr.contains("a table report"), "{}", o.stderr);
}

/// The CA-reuse part of front-proxy-certs-valid needs the `--client-ca-file` certificate;
/// when it cannot be traced the finding says so with `unknown` evidence at the flag,
/// instead of passing over it in silence.
#[test]
fn front_proxy_ca_reuse_not_checked_is_unknown_evidence() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/front-proxy-openssl");
    let b64 = |f: &str| {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(std::fs::read(data.join(f)).unwrap())
    };
    let d = tempfile::tempdir().unwrap();
    std::fs::copy(
        "fixtures/front-proxy-client-ca-not-mounted/karmada-apiserver.yaml",
        d.path().join("apiserver.yaml"),
    )
    .unwrap();
    std::fs::write(
        d.path().join("secret.yaml"),
        format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: karmada-cert\n  namespace: karmada-system\n\
             data:\n  front-proxy-ca.crt: {}\n  front-proxy-client.crt: {}\n  front-proxy-client.key: {}\n",
            b64("ca.crt"),
            b64("client-rsa.crt"),
            b64("client-rsa-pkcs1.key")
        ),
    )
    .unwrap();
    let (code, report) = common::check(&[
        d.path().to_str().unwrap(),
        "--phase",
        "post",
        "--rule",
        "front-proxy-certs-valid",
    ]);
    assert_eq!(code, 0);
    let f = common::only(&report, "front-proxy-certs-valid");
    assert_eq!(f["status"], "pass", "{f:#}");
    let unknown: Vec<&Value> = f["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["status"] == "unknown")
        .collect();
    assert_eq!(unknown.len(), 1, "{f:#}");
    assert_eq!(
        unknown[0]["message"],
        "not checked whether the front-proxy CA is also the --client-ca-file CA: \
         /etc/karmada/ca/ca.crt is not mounted from a Secret"
    );
    let (file, line) = common::at(unknown[0]);
    assert!(file.ends_with("apiserver.yaml"), "{file}");
    assert_eq!(line, 16, "at the --client-ca-file flag");
}

#[test]
fn an_upgrade_it_could_not_check_is_exit_2_with_the_report() {
    // The official v1.17 manifests, no --to: their structure matches v1.17-v1.19, so no
    // single hop can be chosen. A CI gate must not read that run as all clear.
    let dir = "fixtures/releases/v1.17.0/artifacts";
    let o = run(&["check", dir, "-o", "json"]);
    assert_eq!(o.code, 2, "stderr:\n{}", o.stderr);
    assert!(
        o.stderr.contains(
            "exit 2: the upgrade was not checked (KP0010 hop-pack-known is unknown, see the report"
        ),
        "{}",
        o.stderr
    );
    // The report is still there, and says which hop and why.
    let report: Value = serde_json::from_str(&o.stdout).expect("a JSON report on stdout");
    let f = common::only(&report, "hop-pack-known");
    assert_eq!(f["status"], "unknown", "{f:#}");
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .starts_with("the installed Karmada version is somewhere in v1.17-v1.19"),
        "{f:#}"
    );

    // Named, the hop is checked and the exit is the findings' again.
    let o = run(&[
        "check", dir, "--from", "v1.17", "--to", "v1.18", "-o", "json",
    ]);
    assert_ne!(o.code, 2, "stderr:\n{}", o.stderr);
    assert!(
        !o.stderr.contains("the upgrade was not checked"),
        "{}",
        o.stderr
    );
    // `--fail-on never` accepts it knowingly.
    let o = run(&["check", dir, "--fail-on", "never", "-o", "json"]);
    assert_eq!(o.code, 0, "stderr:\n{}", o.stderr);
}
