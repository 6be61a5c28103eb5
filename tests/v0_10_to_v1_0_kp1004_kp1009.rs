//! The v0.10 -> v1.0 rules KP1004-KP1009 (issue 3, part A), told as the operator's story:
//! official manifests, the three install layouts, one broken variant per failure mode, and
//! front-proxy certificate chains made with rcgen at test time.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use base64::Engine as _;
use karmada_preflight::findings::{Finding, Severity, Status};
use karmada_preflight::rules::{run_rules, Catalog, RunOptions};
use karmada_preflight::sources::{load_inputs, Limits};
use karmada_preflight::upgrade::Phase;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const MY_RULES: &[&str] = &[
    "front-proxy-cert-secret",
    "front-proxy-certs-valid",
    "karmada-apiserver-version",
    "aggregated-apiserver-deployed",
    "aggregated-apiserver-service-link",
    "karmada-version-path",
];

/// Inside the validity of the committed fixture certificates (2026-01-01 .. 2035-12-30).
const FIXTURE_NOW: OffsetDateTime = datetime!(2027-03-01 12:00 UTC);

fn fixture(rel: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(rel)
        .display()
        .to_string()
}

fn run_at(paths: &[String], phase: Phase, now: OffsetDateTime) -> Vec<Finding> {
    let catalog = Catalog::embedded().expect("bundled rules compile");
    let inv = load_inputs(paths, &Limits::default(), &catalog.kind_filter());
    let opts = RunOptions {
        phase,
        now,
        only: MY_RULES.iter().map(|s| s.to_string()).collect(),
    };
    run_rules(&catalog, &inv, &opts)
}

fn run(path: &str, phase: Phase) -> Vec<Finding> {
    run_at(&[fixture(path)], phase, FIXTURE_NOW)
}

fn one<'a>(findings: &'a [Finding], rule: &str) -> &'a Finding {
    let mine: Vec<&Finding> = findings.iter().filter(|f| f.rule.name() == rule).collect();
    assert_eq!(mine.len(), 1, "expected one {rule} finding, got {mine:#?}");
    mine[0]
}

/// Assert rule, status and location (file suffix + line); returns the finding.
#[track_caller]
fn expect<'a>(
    findings: &'a [Finding],
    rule: &str,
    status: Status,
    file: &str,
    line: u32,
) -> &'a Finding {
    let f = one(findings, rule);
    assert_eq!(f.status, status, "{rule}: {}", f.message);
    let loc = f
        .location
        .as_ref()
        .unwrap_or_else(|| panic!("{rule} has no location: {}", f.message));
    let got = loc.file.as_deref().unwrap_or("");
    assert!(
        got.ends_with(file),
        "{rule}: file {got} does not end with {file}"
    );
    assert_eq!(loc.line, Some(line), "{rule}: {}", f.message);
    f
}

#[track_caller]
fn expect_unlocated<'a>(findings: &'a [Finding], rule: &str, status: Status) -> &'a Finding {
    let f = one(findings, rule);
    assert_eq!(f.status, status, "{rule}: {}", f.message);
    f
}

// ---------------------------------------------------------------------------------------
// Official manifests
// ---------------------------------------------------------------------------------------

#[test]
fn official_v0_10_manifests_need_the_front_proxy_secret_keys() {
    let f = run("karmada-v0.10.1", Phase::Pre);
    let s = expect(
        &f,
        "front-proxy-cert-secret",
        Status::Action,
        "karmada-v0.10.1/artifacts/deploy/karmada-cert-secret.yaml",
        7,
    );
    assert!(
        s.message
            .contains("front-proxy-ca.crt, front-proxy-client.crt, front-proxy-client.key"),
        "{}",
        s.message
    );
    let r = s.remediation.as_ref().unwrap();
    let m = &r.manifests[0];
    assert_eq!(
        m.file_name,
        "pool.karmada-system.secret.karmada-cert-secret.front-proxy.merge-patch.json"
    );
    assert_eq!(
        m.content["data"]["front-proxy-client.key"],
        "<base64 of front-proxy-client.key>"
    );
    assert!(
        r.commands[0].contains("patch secret karmada-cert-secret --type=merge"),
        "{:?}",
        r.commands
    );
    // Nothing to analyse yet: unknown, pointing at the same Secret.
    expect(
        &f,
        "front-proxy-certs-valid",
        Status::Unknown,
        "karmada-cert-secret.yaml",
        7,
    );
    let v = expect(
        &f,
        "karmada-apiserver-version",
        Status::Action,
        "karmada-v0.10.1/artifacts/deploy/karmada-apiserver.yaml",
        67,
    );
    let patch = &v.remediation.as_ref().unwrap().manifests[0].content;
    assert_eq!(patch[1]["value"], "k8s.gcr.io/kube-apiserver:v1.21.7");
    assert_eq!(patch[0]["op"], "test");
    let a = expect_unlocated(&f, "aggregated-apiserver-deployed", Status::Action);
    let ms = &a.remediation.as_ref().unwrap().manifests;
    assert_eq!(ms.len(), 2);
    let cmd: Vec<&str> = ms[0].content["spec"]["template"]["spec"]["containers"][0]["command"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(
        cmd.contains(&"--etcd-servers=https://etcd-client.karmada-system.svc.cluster.local:2379")
    );
    assert!(cmd.contains(&"--etcd-certfile=/etc/kubernetes/pki/karmada.crt"));
    assert_eq!(
        ms[0].content["spec"]["template"]["spec"]["volumes"][0]["secret"]["secretName"],
        "karmada-cert-secret"
    );
    // The kubeconfig Secret the controller-manager mounts, the registry of its image.
    assert_eq!(
        ms[0].content["spec"]["template"]["spec"]["volumes"][1]["secret"]["secretName"],
        "kubeconfig"
    );
    assert_eq!(
        ms[0].content["spec"]["template"]["spec"]["containers"][0]["image"],
        "swr.ap-southeast-1.myhuaweicloud.com/karmada/karmada-aggregated-apiserver:v1.0.0"
    );
    assert_eq!(ms[1].content["spec"]["ports"][0]["port"], 443);
    let l = expect_unlocated(&f, "aggregated-apiserver-service-link", Status::Skip);
    assert!(l.message.contains("cluster-apiservice reports it"));
    let p = expect(
        &f,
        "karmada-version-path",
        Status::Pass,
        "karmada-v0.10.1/crds/cluster.karmada.io_clusters.yaml",
        9,
    );
    assert!(
        p.message.contains("v0.10-like") && p.message.contains("CRD clusters.cluster.karmada.io"),
        "{}",
        p.message
    );
}

#[test]
fn official_v1_0_manifests_after_the_upgrade_only_leave_placeholder_unknowns() {
    let f = run("karmada-v1.0.0", Phase::Post);
    for x in f.iter().filter(|x| x.status != Status::Pass) {
        assert_eq!(
            x.status,
            Status::Unknown,
            "{}: {}",
            x.rule.name(),
            x.message
        );
        // The key is named; the value is not quoted, as a real secret can hold `{{`.
        assert!(
            x.message
                .contains("front-proxy-ca.crt holds an unrendered template placeholder")
                && !x.message.contains("front_proxy_ca_crt"),
            "{}: {}",
            x.rule.name(),
            x.message
        );
    }
    expect(
        &f,
        "front-proxy-cert-secret",
        Status::Unknown,
        "karmada-v1.0.0/artifacts/deploy/karmada-cert-secret.yaml",
        14,
    );
    expect(
        &f,
        "front-proxy-certs-valid",
        Status::Unknown,
        "karmada-cert-secret.yaml",
        14,
    );
    expect(
        &f,
        "karmada-apiserver-version",
        Status::Pass,
        "karmada-v1.0.0/artifacts/deploy/karmada-apiserver.yaml",
        67,
    );
    expect(
        &f,
        "aggregated-apiserver-deployed",
        Status::Pass,
        "karmada-aggregated-apiserver.yaml",
        24,
    );
    expect(
        &f,
        "aggregated-apiserver-service-link",
        Status::Pass,
        "karmada-v1.0.0/artifacts/deploy/apiservice.yaml",
        25,
    );
    expect(
        &f,
        "karmada-version-path",
        Status::Pass,
        "karmada-aggregated-apiserver.yaml",
        25,
    );
}

#[test]
fn the_cli_reports_the_v0_10_actions_and_prints_no_secret_material() {
    let out = Command::cargo_bin("karmada-preflight")
        .unwrap()
        .args([
            "check",
            &fixture("karmadactl-init-v1.0"),
            "--phase",
            "post",
            "-o",
            "json",
            "--fail-on",
            "error",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("PRIVATE KEY") && !text.contains("BEGIN CERTIFICATE"));
    // No base64 chunk of any fixture Secret value appears in the report.
    let secret = std::fs::read_to_string(fixture("karmadactl-init-v1.0/secrets.yaml")).unwrap();
    for line in secret.lines().filter(|l| l.len() > 200) {
        let value = line.split_once(": ").map(|(_, v)| v).unwrap_or(line);
        assert!(
            !text.contains(&value[..40]),
            "secret value leaked into the report"
        );
    }
    let out = Command::cargo_bin("karmada-preflight")
        .unwrap()
        .args([
            "check",
            &fixture("karmada-v0.10.1"),
            "--phase",
            "pre",
            "--fail-on",
            "action",
        ])
        .args(MY_RULES.iter().flat_map(|r| ["--rule", r]))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("front-proxy-cert-secret"), "{table}");
}

#[test]
fn generate_front_proxy_certs_writes_a_fresh_pair_and_filled_patch_privately() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::cargo_bin("karmada-preflight")
        .unwrap()
        .args([
            "check",
            &fixture("karmada-v0.10.1"),
            "--phase",
            "pre",
            "-o",
            "json",
            "--fail-on",
            "never",
        ])
        .arg("--fix-dir")
        .arg(dir.path())
        .arg("--generate-front-proxy-certs")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains("PRIVATE KEY") && !stdout.contains("BEGIN CERTIFICATE"));
    let patch_name =
        "pool.karmada-system.secret.karmada-cert-secret.front-proxy.generated.merge-patch.json";
    for name in [
        "front-proxy/front-proxy-ca.crt",
        "front-proxy/front-proxy-ca.key",
        "front-proxy/front-proxy-client.crt",
        "front-proxy/front-proxy-client.key",
        patch_name,
    ] {
        let p = dir.path().join(name);
        assert!(p.exists(), "{name} not written");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            assert_eq!(
                std::fs::metadata(&p).unwrap().permissions().mode() & 0o777,
                0o600,
                "{name}"
            );
        }
        if name.ends_with(".crt") || name.ends_with(".key") {
            let body = std::fs::read_to_string(&p)
                .unwrap()
                .lines()
                .nth(1)
                .unwrap()
                .to_string();
            assert!(!stdout.contains(&body), "{name} leaked to stdout");
        }
    }
    // The placeholder patch from the rule stays, the filled one decodes to the written PEMs.
    let plain = std::fs::read_to_string(
        dir.path()
            .join("pool.karmada-system.secret.karmada-cert-secret.front-proxy.merge-patch.json"),
    )
    .unwrap();
    assert!(plain.contains("<base64 of front-proxy-ca.crt>"));
    let filled: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join(patch_name)).unwrap())
            .unwrap();
    let ca = base64::engine::general_purpose::STANDARD
        .decode(filled["data"]["front-proxy-ca.crt"].as_str().unwrap())
        .unwrap();
    assert_eq!(
        ca,
        std::fs::read(dir.path().join("front-proxy/front-proxy-ca.crt")).unwrap()
    );
    // The flag only makes sense with a place to write to.
    Command::cargo_bin("karmada-preflight")
        .unwrap()
        .args([
            "check",
            &fixture("karmada-v0.10.1"),
            "--generate-front-proxy-certs",
        ])
        .assert()
        .code(2);
}

// ---------------------------------------------------------------------------------------
// Install layouts that must pass
// ---------------------------------------------------------------------------------------

#[test]
fn karmadactl_init_layout_passes_with_its_own_secret_and_file_names() {
    let f = run("karmadactl-init-v1.0", Phase::Post);
    let s = expect(
        &f,
        "front-proxy-cert-secret",
        Status::Pass,
        "karmadactl-init-v1.0/secrets.yaml",
        15,
    );
    assert!(s.message.contains("karmada-cert"), "{}", s.message);
    let c = expect(
        &f,
        "front-proxy-certs-valid",
        Status::Pass,
        "karmadactl-init-v1.0/secrets.yaml",
        16,
    );
    assert!(
        c.message.contains("client CN \"front-proxy-client\""),
        "{}",
        c.message
    );
    expect(
        &f,
        "karmada-apiserver-version",
        Status::Pass,
        "karmadactl-init-v1.0/karmada-apiserver.yaml",
        21,
    );
    // No --karmada-config, as karmadactl init writes it: still a pass.
    expect(
        &f,
        "aggregated-apiserver-deployed",
        Status::Pass,
        "karmadactl-init-v1.0/karmada-aggregated-apiserver.yaml",
        23,
    );
    // Pool: ExternalName (karmada side) and ClusterIP (host side) share the name.
    let l = expect(
        &f,
        "aggregated-apiserver-service-link",
        Status::Pass,
        "karmadactl-init-v1.0/apiservice.yaml",
        26,
    );
    assert!(l.message.contains("host Service"), "{}", l.message);
    let v = expect(
        &f,
        "karmada-version-path",
        Status::Pass,
        "karmadactl-init-v1.0/karmada-aggregated-apiserver.yaml",
        24,
    );
    assert!(v.message.contains("v1.0-like"), "{}", v.message);
}

#[test]
fn helm_layout_passes_with_release_named_components() {
    let f = run("helm-v1.0", Phase::Post);
    let s = expect(
        &f,
        "front-proxy-cert-secret",
        Status::Pass,
        "helm-v1.0/secrets.yaml",
        9,
    );
    assert!(s.message.contains("prod-cert"), "{}", s.message);
    expect(
        &f,
        "front-proxy-certs-valid",
        Status::Pass,
        "helm-v1.0/secrets.yaml",
        20,
    );
    expect(
        &f,
        "karmada-apiserver-version",
        Status::Pass,
        "helm-v1.0/apiserver.yaml",
        20,
    );
    expect(
        &f,
        "aggregated-apiserver-deployed",
        Status::Pass,
        "helm-v1.0/aggregated-apiserver.yaml",
        23,
    );
    expect(
        &f,
        "aggregated-apiserver-service-link",
        Status::Pass,
        "helm-v1.0/apiservice.yaml",
        26,
    );
    let v = expect(
        &f,
        "karmada-version-path",
        Status::Pass,
        "helm-v1.0/controller-manager.yaml",
        20,
    );
    assert!(v.message.contains("v1.0.0"), "{}", v.message);
}

// ---------------------------------------------------------------------------------------
// One broken variant per failure mode
// ---------------------------------------------------------------------------------------

#[test]
fn a_cert_secret_without_front_proxy_keys_fails_after_the_upgrade() {
    let f = run("broken/front-proxy-secret-missing-keys", Phase::Post);
    let s = expect(
        &f,
        "front-proxy-cert-secret",
        Status::Fail,
        "front-proxy-secret-missing-keys/secret.yaml",
        10,
    );
    assert_eq!(s.severity, Some(Severity::Error));
    // Only the missing keys are in the patch; the present (empty) one too.
    let data = &s.remediation.as_ref().unwrap().manifests[0].content["data"];
    assert_eq!(data.as_object().unwrap().len(), 3, "{data}");
    assert_eq!(s.evidence.len(), 3);
}

#[test]
fn an_aggregated_apiserver_service_that_selects_nothing_fails() {
    let f = run("broken/aggregated-apiserver-selector-mismatch", Phase::Post);
    let a = expect(
        &f,
        "aggregated-apiserver-deployed",
        Status::Fail,
        "aggregated-apiserver-selector-mismatch/aggregated-apiserver.yaml",
        65,
    );
    assert!(
        a.message.contains("does not select the pod labels"),
        "{}",
        a.message
    );
    let m = &a.remediation.as_ref().unwrap().manifests[0];
    assert_eq!(
        m.content["spec"]["selector"]["app"],
        "karmada-aggregated-apiserver"
    );
    assert!(m.content["spec"]["selector"]
        .get("component")
        .is_some_and(|v| v.is_null()));
}

#[test]
fn an_aggregated_apiserver_without_etcd_flags_and_an_old_image_fails() {
    let f = run("broken/aggregated-apiserver-missing-flags", Phase::Post);
    let a = expect(
        &f,
        "aggregated-apiserver-deployed",
        Status::Fail,
        "aggregated-apiserver-missing-flags/aggregated-apiserver.yaml",
        15,
    );
    assert!(
        a.message.contains("--etcd-servers is missing"),
        "{}",
        a.message
    );
    assert!(a.message.contains("older than v1.0.0"), "{}", a.message);
    assert!(
        a.message.contains("Secret karmada-system/kubeconfig"),
        "{}",
        a.message
    );
    // The flags to add are taken from karmada-apiserver.
    let ops = &a.remediation.as_ref().unwrap().manifests[0].content;
    assert!(
        ops.to_string()
            .contains("--etcd-servers=https://etcd-client.karmada-system.svc.cluster.local:2379"),
        "{ops}"
    );
}

#[test]
fn an_old_kube_apiserver_image_fails_and_the_patch_keeps_the_registry() {
    let f = run("broken/apiserver-old-image", Phase::Post);
    let v = expect(
        &f,
        "karmada-apiserver-version",
        Status::Fail,
        "apiserver-old-image/apiserver.yaml",
        13,
    );
    let patch = &v.remediation.as_ref().unwrap().manifests[0].content;
    assert_eq!(
        patch[1]["value"],
        "registry.example.com:5000/mirror/kube-apiserver:v1.21.7"
    );
}

#[test]
fn an_external_name_with_the_wrong_cluster_domain_fails() {
    let f = run("broken/service-link-wrong-domain", Phase::Post);
    let l = expect(
        &f,
        "aggregated-apiserver-service-link",
        Status::Fail,
        "service-link-wrong-domain/apiservice.yaml",
        22,
    );
    assert!(l.message.contains("corp.example"), "{}", l.message);
    let m = &l.remediation.as_ref().unwrap().manifests[0];
    assert_eq!(
        m.content["spec"]["externalName"],
        "karmada-aggregated-apiserver.karmada-system.svc.corp.example"
    );
}

// ---------------------------------------------------------------------------------------
// Front-proxy certificate chains, end to end through the rule
// ---------------------------------------------------------------------------------------

const NOW: OffsetDateTime = datetime!(2026-06-01 12:00 UTC);

struct Ca {
    params: CertificateParams,
    key: KeyPair,
    pem: String,
}

struct Pair {
    cert: String,
    key: String,
}

fn dn(cn: &str) -> DistinguishedName {
    let mut d = DistinguishedName::new();
    d.push(DnType::CommonName, cn);
    d
}

fn ca(cn: &str, not_before: OffsetDateTime, not_after: OffsetDateTime) -> Ca {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::default();
    params.distinguished_name = dn(cn);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params.not_before = not_before;
    params.not_after = not_after;
    let pem = params.self_signed(&key).unwrap().pem();
    Ca { params, key, pem }
}

fn leaf(
    issuer: &Ca,
    cn: &str,
    eku: ExtendedKeyUsagePurpose,
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
) -> Pair {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::default();
    params.distinguished_name = dn(cn);
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    params.extended_key_usages = vec![eku];
    params.not_before = not_before;
    params.not_after = not_after;
    let cert = params
        .signed_by(&key, &Issuer::from_params(&issuer.params, &issuer.key))
        .unwrap();
    Pair {
        cert: cert.pem(),
        key: key.serialize_pem(),
    }
}

/// A clientAuth certificate valid from `from` to `to` days around NOW.
fn client_cert(issuer: &Ca, cn: &str, from: i64, to: i64) -> Pair {
    leaf(
        issuer,
        cn,
        ExtendedKeyUsagePurpose::ClientAuth,
        NOW + Duration::days(from),
        NOW + Duration::days(to),
    )
}

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

const CASE_APISERVER: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: karmada-apiserver
  namespace: karmada-system
spec:
  template:
    spec:
      containers:
        - name: karmada-apiserver
          image: k8s.gcr.io/kube-apiserver:v1.21.7
          command:
            - kube-apiserver
            - --client-ca-file=/etc/kubernetes/pki/ca.crt
            - --proxy-client-cert-file=/etc/kubernetes/pki/front-proxy-client.crt
            - --proxy-client-key-file=/etc/kubernetes/pki/front-proxy-client.key
            - --requestheader-allowed-names=front-proxy-client
            - --requestheader-client-ca-file=/etc/kubernetes/pki/front-proxy-ca.crt
            - --tls-cert-file=/etc/kubernetes/pki/karmada.crt
          volumeMounts:
            - name: certs
              mountPath: /etc/kubernetes/pki
      volumes:
        - name: certs
          secret:
            secretName: karmada-cert
";

/// Lines of the case Secret: ca.crt 7, front-proxy-ca.crt 8, front-proxy-client.crt 9,
/// front-proxy-client.key 10.
fn run_cert_case(client_ca: &str, fp_ca: &str, client: &Pair) -> (Finding, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("apiserver.yaml"), CASE_APISERVER).unwrap();
    let secret = format!(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: karmada-cert\n  namespace: karmada-system\ndata:\n  ca.crt: {}\n  front-proxy-ca.crt: {}\n  front-proxy-client.crt: {}\n  front-proxy-client.key: {}\n",
        b64(client_ca),
        b64(fp_ca),
        b64(&client.cert),
        b64(&client.key)
    );
    std::fs::write(dir.path().join("secret.yaml"), secret).unwrap();
    let f = run_at(&[dir.path().display().to_string()], Phase::Post, NOW);
    let found = one(&f, "front-proxy-certs-valid").clone();
    // Never any key or certificate text in what the rule says.
    let all = serde_json::to_string(&found).unwrap();
    assert!(!all.contains("PRIVATE KEY") && !all.contains(&b64(&client.key)[..40]));
    (found, dir)
}

#[track_caller]
fn at_line(f: &Finding, status: Status, line: u32) {
    assert_eq!(f.status, status, "{}", f.message);
    let loc = f.location.as_ref().unwrap();
    assert!(
        loc.file.as_deref().unwrap().ends_with("secret.yaml"),
        "{loc:?}"
    );
    assert_eq!(loc.line, Some(line), "{}", f.message);
}

fn chain() -> (Ca, Ca, Pair) {
    let client_ca = ca("ca", NOW - Duration::days(10), NOW + Duration::days(3650));
    let fp_ca = ca(
        "front-proxy-ca",
        NOW - Duration::days(10),
        NOW + Duration::days(3650),
    );
    let client = client_cert(&fp_ca, "front-proxy-client", -1, 365);
    (client_ca, fp_ca, client)
}

#[test]
fn a_proper_front_proxy_chain_passes_and_names_cn_dates_and_fingerprints() {
    let (client_ca, fp_ca, client) = chain();
    let (f, _d) = run_cert_case(&client_ca.pem, &fp_ca.pem, &client);
    at_line(&f, Status::Pass, 9);
    assert!(
        f.message.contains("front-proxy-client") && f.message.contains("SHA-256"),
        "{}",
        f.message
    );
}

#[test]
fn a_client_certificate_from_another_ca_fails() {
    let (client_ca, fp_ca, _) = chain();
    let other = ca(
        "other-ca",
        NOW - Duration::days(10),
        NOW + Duration::days(3650),
    );
    let client = client_cert(&other, "front-proxy-client", -1, 365);
    let (f, _d) = run_cert_case(&client_ca.pem, &fp_ca.pem, &client);
    at_line(&f, Status::Fail, 9);
    assert!(
        f.message.contains("not signed by the front-proxy CA"),
        "{}",
        f.message
    );
}

#[test]
fn an_expired_client_certificate_fails_and_one_expiring_soon_warns() {
    let (client_ca, fp_ca, _) = chain();
    let expired = client_cert(&fp_ca, "front-proxy-client", -400, -1);
    let (f, _d) = run_cert_case(&client_ca.pem, &fp_ca.pem, &expired);
    at_line(&f, Status::Fail, 9);
    assert_eq!(f.severity, Some(Severity::Error));
    assert!(f.message.contains("expired"), "{}", f.message);
    let soon = client_cert(&fp_ca, "front-proxy-client", -300, 10);
    let (f, _d) = run_cert_case(&client_ca.pem, &fp_ca.pem, &soon);
    at_line(&f, Status::Fail, 9);
    assert_eq!(f.severity, Some(Severity::Warning), "{}", f.message);
}

#[test]
fn reusing_the_client_ca_as_front_proxy_ca_is_reported_at_the_ca_key() {
    let (_, fp_ca, client) = chain();
    let (f, _d) = run_cert_case(&fp_ca.pem, &fp_ca.pem, &client);
    // --requestheader-allowed-names limits the damage: a warning, not an error.
    at_line(&f, Status::Fail, 8);
    assert_eq!(f.severity, Some(Severity::Warning), "{}", f.message);
}

#[test]
fn a_key_from_another_pair_fails_at_the_key() {
    let (client_ca, fp_ca, client) = chain();
    let other = client_cert(&fp_ca, "front-proxy-client", -1, 365);
    let mixed = Pair {
        cert: client.cert,
        key: other.key,
    };
    let (f, _d) = run_cert_case(&client_ca.pem, &fp_ca.pem, &mixed);
    at_line(&f, Status::Fail, 10);
}

#[test]
fn a_cn_outside_the_allowed_names_fails() {
    let (client_ca, fp_ca, _) = chain();
    let admin = client_cert(&fp_ca, "system:admin", -1, 365);
    let (f, _d) = run_cert_case(&client_ca.pem, &fp_ca.pem, &admin);
    at_line(&f, Status::Fail, 9);
    assert!(f.message.contains("system:admin"), "{}", f.message);
}

// ---------------------------------------------------------------------------------------
// Fixture material
// ---------------------------------------------------------------------------------------

/// Regenerates the THROWAWAY test certificates of the install-layout fixtures:
/// `cargo test --test v0_10_to_v1_0_kp1004_kp1009 -- --ignored regenerate_fixture_certs`.
#[test]
#[ignore]
fn regenerate_fixture_certs() {
    let from = datetime!(2026-01-01 00:00 UTC);
    let to = from + Duration::days(3650);
    let root = ca("ca", from, to);
    let karmada = leaf(
        &root,
        "system:admin",
        ExtendedKeyUsagePurpose::ClientAuth,
        from,
        to,
    );
    let etcd = leaf(
        &root,
        "karmada-etcd-client",
        ExtendedKeyUsagePurpose::ClientAuth,
        from,
        to,
    );
    let fp_ca = ca("front-proxy-ca", from, to);
    let fp = leaf(
        &fp_ca,
        "front-proxy-client",
        ExtendedKeyUsagePurpose::ClientAuth,
        from,
        to,
    );
    let header = "# THROWAWAY TEST KEYS for karmada-preflight's tests; they protect nothing.\n\
                  # Regenerate: cargo test --test v0_10_to_v1_0_kp1004_kp1009 -- --ignored regenerate_fixture_certs\n";
    let kubeconfig =
        "apiVersion: v1\n    kind: Config\n    clusters: []\n    users: []\n    contexts: []\n";

    // karmadactl init: Secret karmada-cert, base64 `data`.
    let init = format!(
        "{header}apiVersion: v1\nkind: Secret\nmetadata:\n  name: karmada-cert\n  namespace: karmada-system\n\
         type: Opaque\ndata:\n  ca.crt: {}\n  karmada.crt: {}\n  karmada.key: {}\n  etcd-client.crt: {}\n  etcd-client.key: {}\n\
         \x20 front-proxy-ca.crt: {}\n  front-proxy-client.crt: {}\n  front-proxy-client.key: {}\n---\n\
         apiVersion: v1\nkind: Secret\nmetadata:\n  name: kubeconfig\n  namespace: karmada-system\nstringData:\n  kubeconfig: |\n    {kubeconfig}",
        b64(&root.pem),
        b64(&karmada.cert),
        b64(&karmada.key),
        b64(&etcd.cert),
        b64(&etcd.key),
        b64(&fp_ca.pem),
        b64(&fp.cert),
        b64(&fp.key),
    );
    std::fs::write(
        PathBuf::from(fixture("karmadactl-init-v1.0/secrets.yaml")),
        init,
    )
    .unwrap();

    // Helm: Secret <release>-cert with PEM text in `stringData`.
    let block = |pem: &str| {
        pem.trim_end()
            .lines()
            .map(|l| format!("    {l}\n"))
            .collect::<String>()
    };
    let helm = format!(
        "{header}apiVersion: v1\nkind: Secret\nmetadata:\n  name: prod-cert\n  namespace: karmada-system\nstringData:\n\
         \x20 front-proxy-ca.crt: |\n{}  front-proxy-client.crt: |\n{}  front-proxy-client.key: |\n{}\
         \x20 server-ca.crt: |\n{}  karmada.crt: |\n{}  karmada.key: |\n{}---\n\
         apiVersion: v1\nkind: Secret\nmetadata:\n  name: prod-kubeconfig\n  namespace: karmada-system\nstringData:\n  kubeconfig: |\n    {kubeconfig}",
        block(&fp_ca.pem),
        block(&fp.cert),
        block(&fp.key),
        block(&root.pem),
        block(&karmada.cert),
        block(&karmada.key),
    );
    std::fs::write(PathBuf::from(fixture("helm-v1.0/secrets.yaml")), helm).unwrap();
}

#[test]
fn wrong_types_are_unknown_naming_the_pointer_never_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();
    write("apiserver.yaml", CASE_APISERVER);
    write(
        "secret.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: karmada-cert\n  namespace: karmada-system\n\
         data:\n  front-proxy-ca.crt: [1, 2]\n  front-proxy-client.crt: 7\n  front-proxy-client.key: '!!!'\n",
    );
    write(
        "aa.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: karmada-aggregated-apiserver\n  namespace: \
         karmada-system\nspec:\n  template:\n    metadata:\n      labels: [a]\n    spec:\n      volumes: {x: 1}\n      \
         containers:\n        - name: a\n          image: karmada-aggregated-apiserver:v1.0.0\n          command: \
         \"/bin/karmada-aggregated-apiserver --kubeconfig=x\"\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: x\n  \
         namespace: karmada-system\nspec:\n  selector: [1]\n  ports: 443\n",
    );
    write(
        "apiservice.yaml",
        "apiVersion: apiregistration.k8s.io/v1\nkind: APIService\nmetadata:\n  name: v1alpha1.cluster.karmada.io\n\
         spec:\n  service:\n    name: 5\n    namespace: karmada-system\n",
    );
    let f = run_at(&[dir.path().display().to_string()], Phase::Post, NOW);
    let s = one(&f, "front-proxy-cert-secret");
    assert_eq!(s.status, Status::Unknown, "{}", s.message);
    assert!(
        s.message.contains("/data/front-proxy-ca.crt is a list"),
        "{}",
        s.message
    );
    let a = one(&f, "aggregated-apiserver-deployed");
    assert_eq!(a.status, Status::Unknown, "{}", a.message);
    assert!(a.message.contains("command is a string"), "{}", a.message);
    let l = one(&f, "aggregated-apiserver-service-link");
    assert_eq!(l.status, Status::Unknown, "{}", l.message);
    assert!(
        l.message.contains("/spec/service/name is a number"),
        "{}",
        l.message
    );
}
