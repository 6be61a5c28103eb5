//! How the checker gets into etcd when the operator gives no certificate files, and with
//! etcd's user/password auth — against a real etcd (see `etcd_support`).
//!
//! The stories: (1) on a live host cluster, the client certificate and key come from the
//! Secret karmada-apiserver mounts, read at run time and held in memory only; a `collect`
//! bundle keeps that Secret's certificates but never its key, so checking a bundle says
//! which Secret key to give as `--etcd-key`. (2) An etcd with auth enabled and the README's
//! read-only role: the checker logs in as that user with a password from a file or
//! `ETCD_PASSWORD`, never a flag, and a wrong password or a user without the role is
//! `unknown` naming the endpoint and cause. No key byte or password reaches any output.

mod common;
mod etcd_support;

use std::path::{Path, PathBuf};

use base64::Engine;
use common::only;
use etcd_support::{
    check_crd_key, etcd_available, fake_clusters, preflight, report, v0_10_with_etcd_secret,
    write_manifests, Etcd, CLUSTERS, CRD_KEY,
};
use serde_json::Value;

const SECRET_PATH: &str = "/api/v1/namespaces/karmada-system/secrets/karmada-cert-secret";

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Pieces of a private key that must never appear in what the tool writes: every line
/// of its base64 body, and its whole PEM in base64 (as a Secret holds it).
struct KeyBytes(Vec<String>);

impl KeyBytes {
    fn of(pem: &str) -> KeyBytes {
        let mut pieces: Vec<String> = pem
            .lines()
            .filter(|l| !l.starts_with("-----") && l.len() >= 16)
            .map(str::to_string)
            .collect();
        assert!(!pieces.is_empty());
        pieces.push(b64(pem.as_bytes()));
        pieces.push("PRIVATE KEY".into());
        KeyBytes(pieces)
    }

    fn assert_absent(&self, what: &str, text: &str) {
        for p in &self.0 {
            assert!(!text.contains(p.as_str()), "key material in {what}: {p}");
        }
    }

    fn assert_absent_under(&self, dir: &Path) {
        for f in files_under(dir) {
            let text = String::from_utf8_lossy(&std::fs::read(&f).unwrap()).into_owned();
            self.assert_absent(&f.display().to_string(), &text);
        }
    }
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn certificates_come_from_the_mounted_secret_live_and_the_key_never_from_a_bundle() {
    if !etcd_available() {
        return;
    }
    let etcd = Etcd::start();
    etcd.write_v0_10_keys();
    let key = KeyBytes::of(&std::fs::read_to_string(etcd.pki.dir.join("root.key")).unwrap());
    let work = tempfile::tempdir().unwrap();
    let kc = work.path().join("kubeconfig");
    let server = fake_clusters(v0_10_with_etcd_secret(&etcd), &kc);
    let kc = kc.display().to_string();
    let outputs = work.path().join("outputs");
    std::fs::create_dir(&outputs).unwrap();

    // Live: only the endpoint is given (a port-forward to etcd); karmada-apiserver's
    // --etcd-* paths are traced to its Secret on the host, read at run time.
    let before = etcd.writes();
    let md = format!("markdown={}", outputs.join("live.md").display());
    let sarif = format!("sarif={}", outputs.join("live.sarif").display());
    let live = check_crd_key(&etcd, &["--kubeconfig", &kc], &["-o", &md, "-o", &sarif]);
    let after = etcd.writes();
    before.assert_no_write_since(&after);
    assert!(after.ranges > before.ranges, "etcd was not read");
    let rep = report(&live);
    assert_eq!(live.code, 0, "{}", live.stderr);
    let crd = only(&rep, "etcd-cluster-crd-key");
    assert_eq!(crd["status"], "action", "{crd:#}");
    assert_eq!(crd["location"]["pointer"], CRD_KEY);
    assert!(crd["message"]
        .as_str()
        .unwrap()
        .contains("member1, member2, member3"));
    assert_eq!(rep["etcd"]["clusters"].as_array().unwrap().len(), 3);
    // The etcdctl step names the Secret keys behind the container paths it uses.
    let remediation = crd["remediation"].to_string();
    assert!(
        remediation.contains("/etc/kubernetes/pki/karmada.key:karmada.key (Secret karmada-system/karmada-cert-secret)"),
        "{remediation}"
    );
    // One GET of that one Secret, from the host cluster; nothing but GETs at all.
    let log = server.request_log();
    let secret_reads: Vec<_> = log.iter().filter(|r| r.path == SECRET_PATH).collect();
    assert_eq!(secret_reads.len(), 1, "{secret_reads:#?}");
    assert_eq!(secret_reads[0].cluster, "host");
    assert!(log.iter().all(|r| r.method == "GET"), "{log:#?}");
    key.assert_absent("stdout", &live.stdout);
    key.assert_absent("stderr", &live.stderr);
    key.assert_absent_under(&outputs);

    // `collect` live reads etcd the same way; the bundle holds key names, and the
    // Secret with its certificates but a fingerprint instead of the key.
    let bundle = work.path().join("bundle");
    let collected = preflight(
        &[
            "collect",
            "--out",
            bundle.to_str().unwrap(),
            "--kubeconfig",
            &kc,
            "--etcd-endpoints",
            &etcd.endpoint,
        ],
        &[],
    );
    assert_eq!(collected.code, 0, "{}", collected.stderr);
    let keys: Value =
        serde_json::from_str(&std::fs::read_to_string(bundle.join("etcd-keys.json")).unwrap())
            .unwrap();
    assert_eq!(
        keys["clusters"],
        serde_json::json!(["member1", "member2", "member3"])
    );
    key.assert_absent("collect's stderr", &collected.stderr);
    key.assert_absent_under(&bundle);

    // Checking the bundle later: the certificate and CA can come from it, the key cannot.
    let bundle_s = bundle.to_str().unwrap();
    let before = etcd.writes();
    let offline = check_crd_key(&etcd, &[bundle_s], &[]);
    assert_eq!(
        etcd.writes().ranges,
        before.ranges,
        "nothing is sent without the key"
    );
    let f = only(&report(&offline), "etcd-cluster-crd-key").clone();
    assert_eq!(f["status"], "unknown", "{f:#}");
    let msg = f["message"].as_str().unwrap();
    for part in [
        "karmada-apiserver's --etcd-keyfile is /etc/kubernetes/pki/karmada.key (key karmada.key of Secret \
         karmada-system/karmada-cert-secret)",
        "a `collect` bundle never holds private keys",
        "give --etcd-key FILE (kubectl -n karmada-system get secret karmada-cert-secret -o \
         jsonpath='{.data.karmada\\.key}' | base64 -d > FILE)",
    ] {
        assert!(msg.contains(part), "{part:?} not in {msg}");
    }

    // With the key given as a file, the bundle's CA and certificate complete the login.
    let with_key = check_crd_key(
        &etcd,
        &[bundle_s],
        &["--etcd-key", &etcd.pki.path("root.key")],
    );
    let rep = report(&with_key);
    let f = only(&rep, "etcd-cluster-crd-key");
    assert_eq!(f["status"], "action", "{f:#}\n{}", with_key.stderr);
    key.assert_absent("stdout", &with_key.stdout);
    key.assert_absent("stderr", &with_key.stderr);
    assert!(with_key.stderr.contains("read etcd"), "{}", with_key.stderr);
}

const PASSWORD: &str = "s3cret-Preflight-pw";

#[test]
fn password_user_with_the_readme_role_reads_etcd_and_cannot_write() {
    if !etcd_available() {
        return;
    }
    // Server TLS only: these users log in with a password, not a certificate.
    let etcd = Etcd::start_with(false);
    etcd.write_v0_10_keys();
    etcd.readme_role(Some(PASSWORD));
    let work = tempfile::tempdir().unwrap();
    let pw_file = work.path().join("etcd-password");
    std::fs::write(&pw_file, format!("{PASSWORD}\n")).unwrap();
    let pw_file = pw_file.display().to_string();
    let cacert = etcd.pki.path("ca.crt");
    let check_as = |user: &str, extra: &[&str], env: &[(&str, &str)]| {
        let mut args = vec![
            "check",
            "fixtures/karmada-v0.10.1",
            "--phase",
            "pre",
            "--etcd-endpoints",
            &etcd.endpoint,
            "--etcd-cacert",
            &cacert,
            "--etcd-user",
            user,
            "--etcd-timeout",
            "10",
            "--rule",
            "etcd-cluster-crd-key",
            "-o",
            "json",
        ];
        args.extend_from_slice(extra);
        let before = etcd.writes();
        let ran = preflight(&args, env);
        before.assert_no_write_since(&etcd.writes());
        for (what, text) in [("stdout", &ran.stdout), ("stderr", &ran.stderr)] {
            assert!(!text.contains(PASSWORD), "the password is in {what}");
        }
        ran
    };

    // The password from a file, then from ETCD_PASSWORD: the role is enough.
    for (extra, env) in [
        (vec!["--etcd-password-file", pw_file.as_str()], vec![]),
        (vec![], vec![("ETCD_PASSWORD", PASSWORD)]),
    ] {
        let ran = check_as("karmada-preflight", &extra, &env);
        let rep = report(&ran);
        let f = only(&rep, "etcd-cluster-crd-key");
        assert_eq!(f["status"], "action", "{f:#}\n{}", ran.stderr);
        assert_eq!(
            rep["etcd"]["clusters"],
            serde_json::json!(["member1", "member2", "member3"])
        );
    }

    // A wrong password, and a user without the role: unknown, naming endpoint and cause.
    let ran = check_as("karmada-preflight", &[], &[("ETCD_PASSWORD", "wrong-pw")]);
    let f = only(&report(&ran), "etcd-cluster-crd-key").clone();
    assert_eq!(f["status"], "unknown", "{f:#}");
    let msg = f["message"].as_str().unwrap();
    assert!(
        msg.starts_with(&format!("etcd {}: authentication refused", etcd.endpoint)),
        "{msg}"
    );
    let ran = check_as("nobody", &[], &[("ETCD_PASSWORD", "nobody-pw-1")]);
    let f = only(&report(&ran), "etcd-cluster-crd-key").clone();
    assert_eq!(f["status"], "unknown", "{f:#}");
    let msg = f["message"].as_str().unwrap();
    assert!(
        msg.starts_with(&format!("etcd {}: permission denied", etcd.endpoint)),
        "{msg}"
    );

    // No password at all: a usage error saying where it may come from, nothing sent.
    let ran = check_as("karmada-preflight", &[], &[]);
    assert_eq!(ran.code, 2, "{}", ran.stdout);
    assert!(
        ran.stderr
            .contains("--etcd-user karmada-preflight needs its password")
            && ran.stderr.contains("--etcd-password-file FILE")
            && ran.stderr.contains("ETCD_PASSWORD"),
        "{}",
        ran.stderr
    );

    // The role is read-only: the same user's writes are denied by etcd.
    let user = format!("--user=karmada-preflight:{PASSWORD}");
    for write in [
        vec!["put", "/registry/cluster.karmada.io/clusters/intruder", "x"],
        vec!["del", CRD_KEY],
    ] {
        let out = etcd.etcdctl_output(&[&[user.as_str()], write.as_slice()].concat());
        assert!(!out.status.success(), "{write:?} was allowed");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("permission denied"), "{write:?}: {err}");
    }
    let read = etcd.etcdctl_output(&[user.as_str(), "get", CLUSTERS, "--prefix", "--keys-only"]);
    assert!(read.status.success());
    assert_eq!(
        String::from_utf8_lossy(&read.stdout)
            .lines()
            .filter(|l| !l.is_empty())
            .count(),
        3,
        "the three Clusters are still there, and only they"
    );
}

/// Manifests given as files: the Secret in them is used when it holds the material, and
/// the official templates' `{{placeholders}}` are `unknown` naming flag, Secret and key.
#[test]
fn manifests_on_disk_lend_their_secret_or_say_which_file_to_give() {
    if !etcd_available() {
        return;
    }
    let etcd = Etcd::start();
    etcd.write_v0_10_keys();
    let key = KeyBytes::of(&std::fs::read_to_string(etcd.pki.dir.join("root.key")).unwrap());
    let check_pre = |input: &str| check_crd_key(&etcd, &[input], &[]);

    // The release's own templates: nothing to read the CA from, so nothing is sent.
    let before = etcd.writes();
    let ran = check_pre("fixtures/karmada-v0.10.1");
    assert_eq!(etcd.writes().ranges, before.ranges);
    let f = only(&report(&ran), "etcd-cluster-crd-key").clone();
    assert_eq!(f["status"], "unknown", "{f:#}");
    let msg = f["message"].as_str().unwrap();
    assert!(
        msg.starts_with(
            "karmada-apiserver's --etcd-cafile is /etc/kubernetes/pki/server-ca.crt (key server-ca.crt of \
             Secret karmada-system/karmada-cert-secret), not a file on this machine; the key is an \
             unrendered template placeholder in fixtures/karmada-v0.10.1/artifacts/deploy/karmada-cert-secret.yaml; \
             give --etcd-cacert FILE"
        ),
        "{msg}"
    );

    // The same manifests with the Secret rendered (as `kubectl get secret -o yaml` gives it).
    let dir = tempfile::tempdir().unwrap();
    let file = write_manifests(&v0_10_with_etcd_secret(&etcd), dir.path());
    let before = etcd.writes();
    let ran = check_pre(file.to_str().unwrap());
    before.assert_no_write_since(&etcd.writes());
    let f = only(&report(&ran), "etcd-cluster-crd-key").clone();
    assert_eq!(f["status"], "action", "{f:#}\n{}", ran.stderr);
    key.assert_absent("stdout", &ran.stdout);
    key.assert_absent("stderr", &ran.stderr);
}

/// `rbac` for the etcd rules alone says the host role must also get that Secret.
#[test]
fn rbac_for_the_etcd_rules_mentions_the_certificate_secret() {
    let ran = preflight(&["rbac", "--rule", "etcd-cluster-crd-key"], &[]);
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let host = ran
        .stdout
        .split("---")
        .find(|d| d.contains("name: karmada-preflight-reader-host"))
        .unwrap_or_else(|| panic!("{}", ran.stdout));
    assert!(
        host.contains("also get the Secret karmada-apiserver mounts its etcd certificates from"),
        "{host}"
    );
}
