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

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{check, findings, only};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use serde_json::Value;

const CRD_KEY: &str =
    "/registry/apiextensions.k8s.io/customresourcedefinitions/clusters.cluster.karmada.io";
const CLUSTERS: &str = "/registry/cluster.karmada.io/clusters/";
/// Stored in every value; must never show up in anything the tool prints.
const VALUE_MARKER: &str = "value-never-read-7f3a";

fn installed(bin: &str) -> bool {
    std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(bin).is_file()))
        .unwrap_or(false)
}

/// The tests need etcd and etcdctl; `.ci/run` installs them. Skip loudly only when they
/// are genuinely missing on a developer machine.
fn etcd_available() -> bool {
    if installed("etcd") && installed("etcdctl") {
        return true;
    }
    eprintln!(
        "\n\n!!!!!!!! SKIPPED: etcd/etcdctl are not installed (apt-get install etcd-server etcd-client); \
         the etcd tests did not run !!!!!!!!\n\n"
    );
    false
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A CA and what it signs, written as PEM files into `dir`.
struct Pki {
    dir: PathBuf,
}

impl Pki {
    fn ca(name: &str) -> (CertificateParams, KeyPair, String) {
        let key = KeyPair::generate().unwrap();
        let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
        p.distinguished_name.push(DnType::CommonName, name);
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        p.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let pem = p.self_signed(&key).unwrap().pem();
        (p, key, pem)
    }

    /// etcd's CA, server certificate (127.0.0.1), client certificates for `root` and
    /// `karmada-preflight`, and an unrelated CA.
    fn new(dir: &Path) -> Pki {
        let (ca_params, ca_key, ca_pem) = Pki::ca("etcd-ca");
        let issuer = Issuer::new(ca_params, &ca_key);
        let write = |name: &str, text: &str| std::fs::write(dir.join(name), text).unwrap();
        write("ca.crt", &ca_pem);
        let leaf = |cn: &str, sans: Vec<String>, eku: Vec<ExtendedKeyUsagePurpose>, file: &str| {
            let key = KeyPair::generate().unwrap();
            let mut p = CertificateParams::new(sans).unwrap();
            p.distinguished_name.push(DnType::CommonName, cn);
            p.extended_key_usages = eku;
            p.key_usages = vec![
                KeyUsagePurpose::DigitalSignature,
                KeyUsagePurpose::KeyEncipherment,
            ];
            let cert = p.signed_by(&key, &issuer).unwrap();
            write(&format!("{file}.crt"), &cert.pem());
            write(&format!("{file}.key"), &key.serialize_pem());
        };
        leaf(
            "etcd-server",
            vec!["127.0.0.1".into(), "localhost".into()],
            vec![ExtendedKeyUsagePurpose::ServerAuth],
            "server",
        );
        for user in ["root", "karmada-preflight", "nobody"] {
            leaf(
                user,
                vec![],
                vec![ExtendedKeyUsagePurpose::ClientAuth],
                user,
            );
        }
        let (_, _, other_pem) = Pki::ca("some-other-ca");
        write("other-ca.crt", &other_pem);
        Pki {
            dir: dir.to_path_buf(),
        }
    }

    fn path(&self, name: &str) -> String {
        self.dir.join(name).display().to_string()
    }
}

/// A real etcd on loopback ports with client-certificate TLS; killed on drop.
struct Etcd {
    child: Child,
    endpoint: String,
    metrics: String,
    pki: Pki,
    _dir: tempfile::TempDir,
}

impl Drop for Etcd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Etcd {
    fn start() -> Etcd {
        let dir = tempfile::tempdir().unwrap();
        let pki = Pki::new(dir.path());
        let (client, peer, metrics) = (free_port(), free_port(), free_port());
        let endpoint = format!("https://127.0.0.1:{client}");
        let peer_url = format!("http://127.0.0.1:{peer}");
        let metrics = format!("127.0.0.1:{metrics}");
        let log = std::fs::File::create(dir.path().join("etcd.log")).unwrap();
        let child = Command::new("etcd")
            .args(["--name", "preflight-test"])
            .arg(format!("--data-dir={}", dir.path().join("data").display()))
            .arg(format!("--listen-client-urls={endpoint}"))
            .arg(format!("--advertise-client-urls={endpoint}"))
            .arg(format!("--listen-peer-urls={peer_url}"))
            .arg(format!("--initial-advertise-peer-urls={peer_url}"))
            .arg(format!("--initial-cluster=preflight-test={peer_url}"))
            .arg(format!("--listen-metrics-urls=http://{metrics}"))
            .arg(format!("--cert-file={}", pki.path("server.crt")))
            .arg(format!("--key-file={}", pki.path("server.key")))
            .arg(format!("--trusted-ca-file={}", pki.path("ca.crt")))
            .arg("--client-cert-auth")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("etcd starts");
        let etcd = Etcd {
            child,
            endpoint,
            metrics,
            pki,
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while !etcd.http_get("/health").contains("\"health\":\"true\"") {
            assert!(
                Instant::now() < deadline,
                "etcd did not become healthy in 60 s: {}",
                std::fs::read_to_string(etcd._dir.path().join("etcd.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        etcd
    }

    /// A plain HTTP GET on the metrics listener (loopback, no TLS).
    fn http_get(&self, path: &str) -> String {
        let Ok(mut s) = TcpStream::connect(&self.metrics) else {
            return String::new();
        };
        let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
        let req = format!("GET {path} HTTP/1.0\r\nHost: {}\r\n\r\n", self.metrics);
        if s.write_all(req.as_bytes()).is_err() {
            return String::new();
        }
        let mut out = String::new();
        let _ = s.read_to_string(&mut out);
        out
    }

    /// etcdctl as `user` (whose client certificate it presents).
    fn etcdctl_as(&self, user: &str, args: &[&str]) -> String {
        let out = Command::new("etcdctl")
            .env("ETCDCTL_API", "3")
            .arg(format!("--endpoints={}", self.endpoint))
            .arg(format!("--cacert={}", self.pki.path("ca.crt")))
            .arg(format!("--cert={}", self.pki.path(&format!("{user}.crt"))))
            .arg(format!("--key={}", self.pki.path(&format!("{user}.key"))))
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "etcdctl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn etcdctl(&self, args: &[&str]) -> String {
        self.etcdctl_as("root", args)
    }

    /// The v0.10 layout: the Cluster CRD and Clusters member1..3, stored as JSON the
    /// way kube-apiserver stores custom resources.
    fn write_v0_10_keys(&self) {
        self.etcdctl(&[
            "put",
            CRD_KEY,
            &format!(r#"{{"kind":"CustomResourceDefinition","note":"{VALUE_MARKER}"}}"#),
        ]);
        for m in ["member1", "member2", "member3"] {
            self.etcdctl(&[
                "put",
                &format!("{CLUSTERS}{m}"),
                &format!(r#"{{"apiVersion":"cluster.karmada.io/v1alpha1","kind":"Cluster","metadata":{{"name":"{m}"}},"note":"{VALUE_MARKER}"}}"#),
            ]);
        }
    }

    /// Counters of requests that change etcd, summed: mvcc puts, deletes and write
    /// transactions, and gRPC calls of every mutating method.
    fn writes(&self) -> WriteCounters {
        let text = self.http_get("/metrics");
        assert!(
            text.contains("grpc_server_started_total"),
            "no metrics: {text}"
        );
        let mut w = WriteCounters::default();
        for line in text.lines() {
            let Some((name, value)) = line.rsplit_once(' ') else {
                continue;
            };
            let Ok(v) = value.parse::<f64>() else {
                continue;
            };
            let v = v as u64;
            if name == "etcd_debugging_mvcc_put_total" {
                w.mvcc_put += v;
            } else if name == "etcd_debugging_mvcc_delete_total" {
                w.mvcc_delete += v;
            } else if name == "etcd_debugging_mvcc_txn_total" {
                w.mvcc_txn += v;
            } else if name.starts_with("grpc_server_started_total{") {
                let method = name
                    .split("grpc_method=\"")
                    .nth(1)
                    .and_then(|r| r.split('"').next())
                    .unwrap_or("");
                match method {
                    "Range" => w.ranges += v,
                    "Put"
                    | "DeleteRange"
                    | "Txn"
                    | "Compact"
                    | "LeaseGrant"
                    | "LeaseRevoke"
                    | "LeaseKeepAlive"
                    | "Watch"
                    | "MemberAdd"
                    | "MemberRemove"
                    | "AuthEnable"
                    | "UserAdd"
                    | "RoleAdd"
                    | "RoleGrantPermission"
                    | "UserGrantRole" => w.grpc_writes.push((method.to_string(), v)),
                    _ => {}
                }
            }
        }
        w.grpc_writes.sort();
        w
    }
}

#[derive(Debug, Default, PartialEq, Eq)]
struct WriteCounters {
    mvcc_put: u64,
    mvcc_delete: u64,
    mvcc_txn: u64,
    grpc_writes: Vec<(String, u64)>,
    /// Not a write: shows the tool did talk to etcd between two snapshots.
    ranges: u64,
}

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
    assert_eq!(
        WriteCounters { ranges: 0, ..after },
        WriteCounters {
            ranges: 0,
            ..before
        },
        "etcd's metrics counted a write request during the check"
    );
    let text = report.to_string();
    assert!(
        !text.contains(VALUE_MARKER),
        "a stored value reached the report"
    );
    (code, report)
}

/// A started etcd holding the v0.10 keys; `None` (after a loud message) when etcd is
/// not installed.
fn etcd_with_v0_10_keys() -> Option<Etcd> {
    if !etcd_available() {
        return None;
    }
    let etcd = Etcd::start();
    etcd.write_v0_10_keys();
    Some(etcd)
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
    // The README's commands, run as root with auth still off, then auth enabled.
    etcd.etcdctl(&[
        "user",
        "add",
        "root",
        "--new-user-password=root-pw-for-test",
    ]);
    etcd.etcdctl(&["role", "add", "karmada-preflight-read"]);
    for prefix in [CRD_KEY, CLUSTERS] {
        etcd.etcdctl(&[
            "role",
            "grant-permission",
            "karmada-preflight-read",
            "--prefix=true",
            "read",
            prefix,
        ]);
    }
    etcd.etcdctl(&["user", "add", "karmada-preflight", "--no-password"]);
    etcd.etcdctl(&[
        "user",
        "grant-role",
        "karmada-preflight",
        "karmada-preflight-read",
    ]);
    etcd.etcdctl(&["user", "add", "nobody", "--no-password"]);
    etcd.etcdctl(&["auth", "enable"]);

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
}

/// `collect` with etcd flags records etcd's key names (never values, never key material)
/// beside the live objects, and `check` of that bundle judges etcd the same offline.
#[test]
fn collect_records_key_names_and_the_bundle_checks_offline() {
    let Some(etcd) = etcd_with_v0_10_keys() else {
        return;
    };
    let v0_10 = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/karmada-v0.10.1");
    let objects = fakeapi::load_objects_from_dir(&v0_10).unwrap();
    let mut karmada = fakeapi::ClusterSpec::new("karmada", objects.clone());
    karmada.context = "karmada-apiserver".into();
    let mut host = fakeapi::ClusterSpec::new("host", objects);
    host.context = "karmada-host".into();
    let server = fakeapi::RunningServer::start_blocking(fakeapi::ServerConfig {
        clusters: vec![karmada, host],
        ..Default::default()
    })
    .expect("fake apiserver");
    let dir = tempfile::tempdir().unwrap();
    let kc = dir.path().join("kubeconfig");
    server.write_kubeconfig(&kc).unwrap();
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
