//! The etcd rules against a real etcd (Debian's etcd-server, etcd 3.4, installed by
//! `.ci/run`): started on loopback ports with client TLS minted here, keys written with the
//! real layout by the test setup (etcdctl), and etcd's own metrics proving the tool never
//! sent a write.
//!
//! The story: before the upgrade the Cluster CRD key and three Cluster keys are in etcd,
//! and the tool says which etcdctl command removes the CRD; the operator runs exactly that
//! command; after the upgrade the tool compares the Cluster keys with the pre-upgrade
//! report and names a lost Cluster.

mod common;
mod etcd_support;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::{check, findings, only};
use etcd_support::{
    etcd_with_v0_10_keys, fake_clusters, free_port, Etcd, CLUSTERS, CRD_KEY, VALUE_MARKER,
};
use serde_json::Value;

/// Run `check` with the etcd flags for `user`, asserting etcd saw reads and no write.
fn check_etcd(etcd: &Etcd, user: &str, extra: &[&str]) -> (i32, Value) {
    let before = etcd.writes();
    let (cacert, cert, key) = (
        etcd.pki.path("ca.crt"),
        etcd.pki.path(&format!("{user}.crt")),
        etcd.pki.path(&format!("{user}.key")),
    );
    let mut args = vec![
        "--etcd-endpoints",
        &etcd.endpoint,
        "--etcd-cacert",
        &cacert,
        "--etcd-cert",
        &cert,
        "--etcd-key",
        &key,
    ];
    args.extend_from_slice(extra);
    let (code, report) = check(&args);
    let after = etcd.writes();
    assert!(
        after.ranges > before.ranges,
        "the tool sent no range request: {after:?}"
    );
    before.assert_no_write_since(&after);
    let text = report.to_string();
    assert!(
        !text.contains(VALUE_MARKER),
        "a stored value reached the report"
    );
    (code, report)
}

const ETCD_RULES: [&str; 6] = [
    "--rule",
    "etcd-cluster-crd-key",
    "--rule",
    "etcd-cluster-keys-kept",
    "--rule",
    "etcd-clusters-served",
];

fn clusters_yaml(dir: &Path, names: &[&str]) -> String {
    let text: String = names
        .iter()
        .map(|n| format!("---\napiVersion: cluster.karmada.io/v1alpha1\nkind: Cluster\nmetadata:\n  name: {n}\nspec:\n  syncMode: Push\n"))
        .collect();
    let f = dir.join("clusters.yaml");
    std::fs::write(&f, text).unwrap();
    f.display().to_string()
}

#[test]
fn cluster_crd_removal_verified_in_etcd_before_and_after_the_upgrade() {
    let Some(etcd) = etcd_with_v0_10_keys() else {
        return;
    };
    let work = tempfile::tempdir().unwrap();

    // Before the upgrade: the CRD key is a step to do, with the exact etcdctl command.
    let mut pre_args = vec!["fixtures/karmada-v0.10.1", "--phase", "pre"];
    pre_args.extend_from_slice(&ETCD_RULES);
    let (code, pre) = check_etcd(&etcd, "root", &pre_args);
    assert_eq!(code, 0, "actions do not fail the default gate: {pre:#}");
    let crd = only(&pre, "etcd-cluster-crd-key");
    assert_eq!(crd["id"], "KP1020");
    assert_eq!(crd["status"], "action", "{crd:#}");
    assert_eq!(
        crd["location"]["cluster"],
        format!("etcd {}", etcd.endpoint)
    );
    assert_eq!(crd["location"]["pointer"], CRD_KEY);
    let msg = crd["message"].as_str().unwrap();
    assert!(
        msg.contains("3 Cluster key(s)") && msg.contains("member1, member2, member3"),
        "{msg}"
    );
    let del = format!(
        "ETCDCTL_API=3 etcdctl --endpoints={} --cacert={} --cert={} --key={} del {CRD_KEY}",
        etcd.endpoint,
        etcd.pki.path("ca.crt"),
        etcd.pki.path("root.crt"),
        etcd.pki.path("root.key"),
    );
    let commands: Vec<&str> = crd["remediation"]["commands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert!(commands.contains(&del.as_str()), "{commands:#?}");
    assert!(
        commands
            .iter()
            .any(|c| c.contains("scale deployment karmada-apiserver --replicas=0")),
        "{commands:#?}"
    );
    let kept = only(&pre, "etcd-cluster-keys-kept");
    assert_eq!(kept["status"], "pass", "{kept:#}");
    assert_eq!(only(&pre, "etcd-clusters-served")["status"], "skip");
    // Key names only, recorded for the comparison after the upgrade.
    assert_eq!(pre["etcd"]["clusterCrdKey"], true);
    assert_eq!(
        pre["etcd"]["clusters"],
        serde_json::json!(["member1", "member2", "member3"])
    );
    let baseline = work.path().join("pre-upgrade.json");
    std::fs::write(&baseline, pre.to_string()).unwrap();
    let baseline = baseline.display().to_string();

    // The operator runs the command exactly as printed.
    let out = Command::new("sh").arg("-c").arg(&del).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "1",
        "one key deleted"
    );

    // After the upgrade: CRD key gone, the same three Clusters stored and served.
    let served = clusters_yaml(work.path(), &["member1", "member2", "member3"]);
    let mut post_args = vec![served.as_str(), "--phase", "post", "--baseline", &baseline];
    post_args.extend_from_slice(&ETCD_RULES);
    let (code, post) = check_etcd(&etcd, "root", &post_args);
    assert_eq!(code, 0, "{post:#}");
    assert_eq!(only(&post, "etcd-cluster-crd-key")["status"], "pass");
    let kept = findings(&post, "etcd-cluster-keys-kept");
    assert_eq!(kept.len(), 3, "one finding per baseline Cluster: {kept:#?}");
    assert!(kept.iter().all(|f| f["status"] == "pass"), "{kept:#?}");
    let served_f = findings(&post, "etcd-clusters-served");
    assert_eq!(served_f.len(), 3);
    assert!(
        served_f.iter().all(|f| f["status"] == "pass"),
        "{served_f:#?}"
    );

    // A Cluster lost in the upgrade: a fail naming it, exit 1.
    etcd.etcdctl(&["del", &format!("{CLUSTERS}member2")]);
    let (code, lost) = check_etcd(&etcd, "root", &post_args);
    assert_eq!(code, 1);
    let kept = findings(&lost, "etcd-cluster-keys-kept");
    let failed: Vec<_> = kept.iter().filter(|f| f["status"] == "fail").collect();
    assert_eq!(failed.len(), 1, "{kept:#?}");
    assert_eq!(failed[0]["id"], "KP1021");
    assert_eq!(failed[0]["severity"], "error");
    assert_eq!(failed[0]["object"]["kind"], "Cluster");
    assert_eq!(failed[0]["object"]["name"], "member2");
    assert_eq!(
        failed[0]["location"]["pointer"],
        format!("{CLUSTERS}member2")
    );
    let msg = failed[0]["message"].as_str().unwrap();
    assert!(msg.starts_with("Cluster member2 is lost"), "{msg}");
    assert_eq!(kept.iter().filter(|f| f["status"] == "pass").count(), 2);
}

/// KP1020 is unknown, its message naming `endpoint` and `cause` first; returns it.
fn unknown_because(report: &Value, endpoint: &str, cause: &str) -> String {
    let f = only(report, "etcd-cluster-crd-key");
    assert_eq!(f["status"], "unknown", "{f:#}");
    let msg = f["message"].as_str().unwrap();
    assert!(
        msg.starts_with(&format!("etcd {endpoint}: {cause}")),
        "{msg}"
    );
    msg.to_string()
}

#[test]
fn unreachable_etcd_and_a_wrong_ca_are_unknown_naming_the_endpoint() {
    let Some(etcd) = etcd_with_v0_10_keys() else {
        return;
    };
    let (cert, key) = (etcd.pki.path("root.crt"), etcd.pki.path("root.key"));
    let run = |endpoint: &str, cacert: &str| {
        check(&[
            "fixtures/karmada-v0.10.1",
            "--phase",
            "pre",
            "--etcd-timeout",
            "10",
            "--etcd-endpoints",
            endpoint,
            "--etcd-cacert",
            cacert,
            "--etcd-cert",
            &cert,
            "--etcd-key",
            &key,
            "--rule",
            "etcd-cluster-crd-key",
        ])
    };

    // Nothing listens on this port.
    let closed = format!("https://127.0.0.1:{}", free_port());
    let (code, report) = run(&closed, &etcd.pki.path("ca.crt"));
    assert_eq!(code, 0, "unknown does not fail the default gate");
    unknown_because(&report, &closed, "unreachable");

    // The real etcd, but its server certificate is checked against another CA.
    let before = etcd.writes();
    let (_, report) = run(&etcd.endpoint, &etcd.pki.path("other-ca.crt"));
    let msg = unknown_because(&report, &etcd.endpoint, "TLS refused");
    assert!(msg.to_lowercase().contains("certificate"), "{msg}");
    assert_eq!(etcd.writes(), before);

    // Two endpoints: the dead one is named, the live one answers.
    let both = format!("{closed},{}", etcd.endpoint);
    let (_, report) = run(&both, &etcd.pki.path("ca.crt"));
    assert_eq!(only(&report, "etcd-cluster-crd-key")["status"], "action");
}

/// The README's least-privilege role: read-only on the two prefixes, for a user named by
/// the client certificate's CN.
#[test]
fn least_privilege_role_from_the_readme_is_enough_and_no_role_is_permission_denied() {
    let Some(etcd) = etcd_with_v0_10_keys() else {
        return;
    };
    etcd.readme_role(None);

    let args = [
        "fixtures/karmada-v0.10.1",
        "--phase",
        "pre",
        "--rule",
        "etcd-cluster-crd-key",
    ];
    let (_, report) = check_etcd(&etcd, "karmada-preflight", &args);
    let f = only(&report, "etcd-cluster-crd-key");
    assert_eq!(f["status"], "action", "{f:#}");
    assert_eq!(report["etcd"]["clusters"].as_array().unwrap().len(), 3);

    let (_, report) = check_etcd(&etcd, "nobody", &args);
    unknown_because(&report, &etcd.endpoint, "permission denied");

    // A password alone where etcd requires a client certificate: the TLS session is
    // refused, and the message says which flags are missing.
    let cacert = etcd.pki.path("ca.crt");
    let ran = etcd_support::preflight(
        &[
            "check",
            "fixtures/karmada-v0.10.1",
            "--phase",
            "pre",
            "--rule",
            "etcd-cluster-crd-key",
            "--etcd-endpoints",
            &etcd.endpoint,
            "--etcd-cacert",
            &cacert,
            "--etcd-user",
            "karmada-preflight",
            "-o",
            "json",
        ],
        &[("ETCD_PASSWORD", "unused-pw")],
    );
    let msg = unknown_because(&etcd_support::report(&ran), &etcd.endpoint, "TLS refused");
    assert!(
        msg.contains(
            "requires a client certificate and none was sent (give --etcd-cert and --etcd-key)"
        ),
        "{msg}"
    );

    // Read-only indeed: the same user's writes are denied by etcd.
    let cert = format!("--cert={}", etcd.pki.path("karmada-preflight.crt"));
    let key = format!("--key={}", etcd.pki.path("karmada-preflight.key"));
    for write in [
        vec!["put", "/registry/cluster.karmada.io/clusters/intruder", "x"],
        vec!["del", CRD_KEY],
    ] {
        let out = etcd.etcdctl_output(&[&[cert.as_str(), key.as_str()], write.as_slice()].concat());
        assert!(!out.status.success(), "{write:?} was allowed");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("permission denied"), "{write:?}: {err}");
    }
}

/// `collect` with etcd flags records etcd's key names (never values, never key material)
/// beside the live objects, and `check` of that bundle judges etcd the same offline.
#[test]
fn collect_records_key_names_and_the_bundle_checks_offline() {
    let Some(etcd) = etcd_with_v0_10_keys() else {
        return;
    };
    let v0_10 = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/karmada-v0.10.1");
    let dir = tempfile::tempdir().unwrap();
    let kc = dir.path().join("kubeconfig");
    let _server = fake_clusters(fakeapi::load_objects_from_dir(&v0_10).unwrap(), &kc);
    let out = dir.path().join("bundle");

    let before = etcd.writes();
    let run = assert_cmd::Command::cargo_bin("karmada-preflight")
        .unwrap()
        .env_remove("KUBECONFIG")
        .args(["collect", "--out", out.to_str().unwrap(), "--kubeconfig"])
        .arg(&kc)
        .args(["--etcd-endpoints", &etcd.endpoint])
        .args(["--etcd-cacert", &etcd.pki.path("ca.crt")])
        .args(["--etcd-cert", &etcd.pki.path("root.crt")])
        .args(["--etcd-key", &etcd.pki.path("root.key")])
        .timeout(Duration::from_secs(90))
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert_eq!(
        etcd.writes().grpc_writes,
        before.grpc_writes,
        "collect sent a write to etcd"
    );

    let recorded = std::fs::read_to_string(out.join("etcd-keys.json")).unwrap();
    let keys: Value = serde_json::from_str(&recorded).unwrap();
    assert_eq!(keys["clusterCrdKey"], true);
    assert_eq!(
        keys["clusters"],
        serde_json::json!(["member1", "member2", "member3"])
    );
    assert_eq!(keys["endpoint"], etcd.endpoint.as_str());
    assert!(!recorded.contains(VALUE_MARKER) && !recorded.contains("PRIVATE KEY"));

    // Offline, from the bundle alone: the same action, the etcd endpoint it was read from.
    let (_, report) = check(&[
        out.to_str().unwrap(),
        "--phase",
        "pre",
        "--rule",
        "etcd-cluster-crd-key",
    ]);
    let f = only(&report, "etcd-cluster-crd-key");
    assert_eq!(f["status"], "action", "{f:#}");
    assert_eq!(f["location"]["cluster"], format!("etcd {}", etcd.endpoint));
    assert!(f["message"]
        .as_str()
        .unwrap()
        .contains("member1, member2, member3"));
}

/// karmada-apiserver storing under a non-default `--etcd-prefix`: the checker follows its
/// flag; reading under a prefix that holds nothing of Karmada's (the default here) is
/// `unknown` saying so, never the pass "the CRD key is absent".
#[test]
fn a_non_default_etcd_prefix_is_followed_and_a_wrong_one_is_not_a_pass() {
    if !etcd_support::etcd_available() {
        return;
    }
    let etcd = Etcd::start();
    etcd.write_v0_10_keys_under("/karmada");
    let mut objects = etcd_support::v0_10_with_etcd_secret(&etcd);
    let apiserver = objects
        .iter_mut()
        .find(|o| o["kind"] == "Deployment" && o["metadata"]["name"] == "karmada-apiserver")
        .unwrap();
    let command = apiserver["spec"]["template"]["spec"]["containers"][0]["command"]
        .as_array_mut()
        .unwrap();
    assert!(command
        .iter()
        .any(|t| t.as_str().is_some_and(|t| t.starts_with("--etcd-servers="))));
    command.push("--etcd-prefix=/karmada".into());
    let dir = tempfile::tempdir().unwrap();
    let file = etcd_support::write_manifests(&objects, dir.path());
    let run = |extra: &[&str]| {
        let before = etcd.writes();
        let ran = etcd_support::check_crd_key(&etcd, &[file.to_str().unwrap()], extra);
        before.assert_no_write_since(&etcd.writes());
        (ran.code, etcd_support::report(&ran))
    };

    let (_, report) = run(&[]);
    let f = only(&report, "etcd-cluster-crd-key");
    assert_eq!(f["status"], "action", "{f:#}");
    let key = "/karmada/apiextensions.k8s.io/customresourcedefinitions/clusters.cluster.karmada.io";
    assert_eq!(f["location"]["pointer"], key);
    assert!(
        f["remediation"]["commands"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c.as_str().unwrap().ends_with(&format!(" del {key}"))),
        "{f:#}"
    );
    assert_eq!(
        report["etcd"]["clusters"],
        serde_json::json!(["member1", "member2", "member3"])
    );

    // Told the wrong prefix: nothing of Karmada's there, so no verdict.
    let (_, report) = run(&["--etcd-prefix", "/registry"]);
    let f = only(&report, "etcd-cluster-crd-key");
    assert_eq!(f["status"], "unknown", "{f:#}");
    let msg = f["message"].as_str().unwrap();
    assert!(
        msg.contains("no Karmada Cluster data under the prefix /registry")
            && msg.ends_with("give it with --etcd-prefix"),
        "{msg}"
    );
}

/// An endpoint that accepts connections and never answers: `unknown` naming it, within
/// the bound for the whole read (`--etcd-timeout`), whatever the endpoint does.
#[test]
fn an_etcd_that_never_answers_is_unknown_within_the_bound() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("https://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        // Hold every connection open, silent.
        let mut held = Vec::new();
        for s in listener.incoming() {
            held.push(s);
        }
    });
    let pki_dir = tempfile::tempdir().unwrap();
    let pki = etcd_support::Pki::new(pki_dir.path());
    let out = assert_cmd::Command::cargo_bin("karmada-preflight")
        .unwrap()
        .args(["check", "fixtures/karmada-v0.10.1", "--phase", "pre"])
        .args([
            "--etcd-endpoints",
            &endpoint,
            "--etcd-cacert",
            &pki.path("ca.crt"),
        ])
        .args([
            "--etcd-cert",
            &pki.path("root.crt"),
            "--etcd-key",
            &pki.path("root.key"),
        ])
        .args(["--etcd-timeout", "2", "--rule", "etcd-cluster-crd-key"])
        .args(["-o", "json"])
        // A hang would be killed here and fail the parse below.
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("{e}: {}", String::from_utf8_lossy(&out.stderr));
    });
    let f = only(&report, "etcd-cluster-crd-key");
    assert_eq!(f["status"], "unknown", "{f:#}");
    let msg = f["message"].as_str().unwrap();
    assert!(msg.starts_with(&format!("etcd {endpoint}: ")), "{msg}");
    assert!(msg.contains("2s"), "{msg}");
}
