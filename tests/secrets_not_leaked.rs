//! Reports and `--fix-dir` must never carry secret material read from the input: a
//! private key (raw PEM or base64 in a Secret's `data`), or a token value.
//!
//! Every output format the CLI knows (`Format::NAMES`, so formats added later are covered
//! without touching this test) is written in one run, with `--fix-dir`, over copies of
//! the official fixtures whose certificate placeholders are replaced by real material.

use std::path::{Path, PathBuf};

mod common;

use assert_cmd::Command;
use base64::Engine;
use common::copy_dir;
use karmada_preflight::cli::output::Format;

const TOKEN: &str = "kp-test-token-4f9c2e7a1b8d6053e2f1a9c4b7d0e8f3";

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            files_under(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// Put real key material where the fixtures have `{{placeholders}}`, and add Secrets and
/// an env var holding the key and a token.
fn plant_secrets(fixture: &Path, key_pem: &str, cert_pem: &str) {
    let certs = fixture.join("artifacts/deploy/karmada-cert-secret.yaml");
    let text = std::fs::read_to_string(&certs).unwrap();
    let mut out = String::new();
    for line in text.lines() {
        let trimmed = line.trim();
        let material = if trimmed.starts_with("{{") && trimmed.contains("key") {
            Some(b64(key_pem))
        } else if trimmed.starts_with("{{") {
            Some(b64(cert_pem))
        } else {
            None
        };
        match material {
            Some(m) => out.push_str(&format!("    {m}\n")),
            None => out.push_str(&format!("{line}\n")),
        }
    }
    std::fs::write(&certs, out).unwrap();
    let key_block: String = key_pem.lines().map(|l| format!("    {l}\n")).collect();
    std::fs::write(
        fixture.join("leaked-secrets.yaml"),
        format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: front-proxy-client\n  namespace: karmada-system\n\
             type: kubernetes.io/tls\ndata:\n  tls.key: {}\n  tls.crt: {}\n  token: {}\n---\n\
             apiVersion: v1\nkind: Secret\nmetadata:\n  name: plain\n  namespace: karmada-system\nstringData:\n  \
             token: {TOKEN}\n  key.pem: |\n{key_block}---\n\
             apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: karmada-webhook-extra\n  namespace: karmada-system\n\
             spec:\n  template:\n    spec:\n      containers:\n      - name: karmada-webhook\n        image: karmada/karmada-webhook:v1.0.0\n        \
             command: [/bin/karmada-webhook, --kubeconfig=/etc/kubeconfig]\n        env:\n        - name: TOKEN\n          value: {TOKEN}\n",
            b64(key_pem),
            b64(cert_pem),
            b64(TOKEN),
        ),
    )
    .unwrap();
}

fn forbidden(key_pem: &str) -> Vec<(String, String)> {
    let mut v = vec![
        ("token".to_string(), TOKEN.to_string()),
        ("base64 token".to_string(), b64(TOKEN)),
        // Any 40-character prefix of the base64'd PEM is enough to call it a leak.
        ("base64 PEM".to_string(), b64(key_pem)[..40].to_string()),
    ];
    for (i, l) in key_pem
        .lines()
        .filter(|l| !l.starts_with("-----") && l.len() >= 16)
        .enumerate()
    {
        v.push((format!("PEM body line {i}"), l.to_string()));
    }
    v
}

#[test]
fn no_output_format_or_fix_file_contains_secret_material() {
    let rcgen::CertifiedKey { cert, signing_key } =
        rcgen::generate_simple_self_signed(vec!["karmada-apiserver".to_string()]).unwrap();
    let (key_pem, cert_pem) = (signing_key.serialize_pem(), cert.pem());
    let bad = forbidden(&key_pem);
    assert!(bad.len() > 3, "the generated key has a PEM body");

    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for fixture in ["karmada-v0.10.1", "karmada-v1.0.0"] {
        let tmp = tempfile::tempdir().unwrap();
        let input = tmp.path().join("input");
        copy_dir(&root.join("fixtures").join(fixture), &input);
        plant_secrets(&input, &key_pem, &cert_pem);
        let reports = tmp.path().join("reports");
        let fixes = tmp.path().join("fixes");
        std::fs::create_dir_all(&reports).unwrap();

        let mut cmd = Command::cargo_bin("karmada-preflight").unwrap();
        cmd.arg("check")
            .arg(&input)
            .arg("--fail-on")
            .arg("never")
            .arg("--fix-dir")
            .arg(&fixes);
        for name in Format::NAMES {
            cmd.arg("-o").arg(format!(
                "{name}={}",
                reports.join(format!("report.{name}")).display()
            ));
        }
        let out = cmd
            .timeout(std::time::Duration::from_secs(300))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        assert!(
            out.status.success(),
            "{fixture}: {:?}\n{stderr}",
            out.status
        );

        let mut written = Vec::new();
        files_under(&reports, &mut written);
        files_under(&fixes, &mut written);
        assert!(
            written.len() >= Format::NAMES.len(),
            "{fixture}: reports not written: {written:?}"
        );
        let mut texts: Vec<(String, String)> = written
            .iter()
            .map(|p| {
                (
                    p.display().to_string(),
                    String::from_utf8_lossy(&std::fs::read(p).unwrap()).to_string(),
                )
            })
            .collect();
        texts.push((
            "stdout".into(),
            String::from_utf8_lossy(&out.stdout).to_string(),
        ));
        texts.push(("stderr".into(), stderr));
        // The run did look at the Secret file (so the test is not vacuous).
        let json = texts
            .iter()
            .find(|(n, _)| n.ends_with("report.json"))
            .expect("json report");
        assert!(
            json.1.contains("leaked-secrets.yaml"),
            "{fixture}: input not read"
        );
        for (name, text) in &texts {
            for (what, needle) in &bad {
                assert!(
                    !text.contains(needle.as_str()),
                    "{fixture}: {what} leaked into {name}"
                );
            }
        }
    }
}

/// A value with `{{`…`}}` in it is called a template placeholder, but it can be a real
/// password that happens to contain braces: the message names the Secret key or the flag,
/// never the value.
#[test]
fn a_placeholder_message_names_the_field_not_its_value() {
    const IN_SECRET: &str = "Pa55w0rd-in-secret";
    const IN_FLAG: &str = "Hunter2-in-flag";
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("input");
    copy_dir(&root.join("fixtures/karmada-v1.0.0"), &input);
    let deploy = input.join("artifacts/deploy");
    let edit = |file: &str, from: &str, to: &str| {
        let path = deploy.join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(from), "{file} has no {from:?}");
        std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
    };
    edit(
        "karmada-cert-secret.yaml",
        "{{front_proxy_ca_crt}}",
        &format!("{IN_SECRET}{{{{front_proxy_ca_crt}}}}"),
    );
    edit(
        "karmada-apiserver.yaml",
        "--requestheader-allowed-names=front-proxy-client",
        &format!("--requestheader-allowed-names=front-proxy-client,{IN_FLAG}{{{{name}}}}"),
    );

    let out = Command::cargo_bin("karmada-preflight")
        .unwrap()
        .args([
            "check",
            "--phase",
            "post",
            "--fail-on",
            "never",
            "-o",
            "json",
        ])
        .arg(&input)
        .timeout(std::time::Duration::from_secs(300))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let message = |id: &str| -> String {
        let f = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["id"] == id && f["status"] == "unknown")
            .unwrap_or_else(|| panic!("no unknown {id} finding: {stdout}"));
        f["message"].as_str().unwrap().to_string()
    };
    let secret = message("KP1004");
    assert!(
        secret.contains("front-proxy-ca.crt") && secret.contains("placeholder"),
        "{secret}"
    );
    let flag = message("KP1003");
    assert!(
        flag.contains("--requestheader-allowed-names") && flag.contains("placeholder"),
        "{flag}"
    );
    for value in [IN_SECRET, IN_FLAG] {
        assert!(!stdout.contains(value), "{value} in the report: {stdout}");
        assert!(!stderr.contains(value), "{value} on stderr: {stderr}");
    }
}

/// A kubeconfig with one broken credential field, the secret it holds, and the key path
/// the error must name instead (with the line that holds the secret).
struct BrokenKubeconfig {
    what: &'static str,
    user: &'static str,
    secret: &'static str,
    key_path: &'static str,
}

const BROKEN_KUBECONFIGS: &[BrokenKubeconfig] = &[
    BrokenKubeconfig {
        what: "a token written as a list",
        user: "    token: [kp-bearer-7d1e9a3c5b2f4e6a8c0d]\n",
        secret: "kp-bearer-7d1e9a3c5b2f4e6a8c0d",
        key_path: "users[0].user.token",
    },
    BrokenKubeconfig {
        what: "client-key-data with its closing quote lost",
        user: "    client-key-data: \"LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0tCk1JSUV2Z0lCQURBTkJna3Foa2lH\n    token: \"x\n",
        secret: "LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0tCk1JSUV2",
        key_path: "users[0].user.client-key-data",
    },
    BrokenKubeconfig {
        what: "a password given as a mapping",
        user: "    username: admin\n    password: {kp-pass-93b1f0c2e8: x}\n",
        secret: "kp-pass-93b1f0c2e8",
        key_path: "users[0].user.password",
    },
];

/// The kubeconfig file and the line of the secret in it.
fn broken_kubeconfig(dir: &Path, case: &BrokenKubeconfig) -> (PathBuf, usize) {
    let path = dir.join("kubeconfig");
    std::fs::write(
        &path,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {{server: \"https://127.0.0.1:1\"}}\n\
             users:\n- name: u\n  user:\n{}contexts:\n- name: karmada-apiserver\n  context: {{cluster: c, user: u}}\n",
            case.user
        ),
    )
    .unwrap();
    let line = common::line_of(path.to_str().unwrap(), case.secret) as usize;
    (path, line)
}

/// kube's parse error prints the lines around the problem; a malformed kubeconfig must
/// be named by file, line and key path, never by any part of a token, key or password.
#[test]
fn a_malformed_kubeconfig_is_named_by_file_line_and_key_never_by_its_value() {
    for case in BROKEN_KUBECONFIGS {
        let tmp = tempfile::tempdir().unwrap();
        let (kc, line) = broken_kubeconfig(tmp.path(), case);
        let out_dir = tmp.path().join("bundle");
        let kc_arg = kc.display().to_string();
        let out_arg = out_dir.display().to_string();
        let runs: [(&str, Vec<&str>, Option<&str>); 3] = [
            (
                "check --kubeconfig",
                vec!["check", "--kubeconfig", &kc_arg],
                None,
            ),
            (
                "collect --kubeconfig",
                vec!["collect", "--kubeconfig", &kc_arg, "--out", &out_arg],
                None,
            ),
            (
                "check with KUBECONFIG",
                vec!["check", "--live"],
                Some(&kc_arg),
            ),
        ];
        for (how, args, env) in runs {
            let mut cmd = Command::cargo_bin("karmada-preflight").unwrap();
            cmd.args(&args).env_remove("KUBECONFIG");
            if let Some(e) = env {
                cmd.env("KUBECONFIG", e);
            }
            let out = cmd
                .timeout(std::time::Duration::from_secs(60))
                .output()
                .unwrap();
            let stdout = String::from_utf8_lossy(&out.stdout);
            let stderr = String::from_utf8_lossy(&out.stderr);
            let ctx = format!("{} ({how})", case.what);
            assert_eq!(out.status.code(), Some(2), "{ctx}: {stderr}");
            let place = format!("{}:{line}:", kc.display());
            assert!(
                stderr.contains(&place) && stderr.contains(case.key_path),
                "{ctx}: want {place} and {}: {stderr}",
                case.key_path
            );
            // Any 12 characters of the secret are a leak.
            for i in 0..=case.secret.len() - 12 {
                let part = &case.secret[i..i + 12];
                assert!(
                    !stderr.contains(part) && !stdout.contains(part),
                    "{ctx}: {part:?} printed: {stderr}"
                );
            }
        }
    }
}
