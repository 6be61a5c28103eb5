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
