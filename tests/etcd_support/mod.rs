//! A real etcd for the tests (Debian's etcd-server, etcd 3.4, installed by `.ci/run`):
//! started on loopback ports with client TLS minted here, the v0.10 keys written with the
//! real layout by etcdctl, and etcd's own metrics to prove the tool sent no write.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::Value;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};

pub const CRD_KEY: &str =
    "/registry/apiextensions.k8s.io/customresourcedefinitions/clusters.cluster.karmada.io";
pub const CLUSTERS: &str = "/registry/cluster.karmada.io/clusters/";
/// Stored in every value; must never show up in anything the tool prints.
pub const VALUE_MARKER: &str = "value-never-read-7f3a";

pub fn installed(bin: &str) -> bool {
    std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(bin).is_file()))
        .unwrap_or(false)
}

/// The tests need etcd and etcdctl; `.ci/run` installs them. Skip loudly only when they
/// are genuinely missing on a developer machine.
pub fn etcd_available() -> bool {
    if installed("etcd") && installed("etcdctl") {
        return true;
    }
    eprintln!(
        "\n\n!!!!!!!! SKIPPED: etcd/etcdctl are not installed (apt-get install etcd-server etcd-client); \
         the etcd tests did not run !!!!!!!!\n\n"
    );
    false
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A plain HTTP GET on `addr` (loopback, no TLS); empty when nothing answers.
fn http_get(addr: &str, path: &str) -> String {
    let Ok(mut s) = TcpStream::connect(addr) else {
        return String::new();
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    let req = format!("GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n");
    if s.write_all(req.as_bytes()).is_err() {
        return String::new();
    }
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out
}

/// The loopback ports one etcd listens on.
#[derive(Clone, Copy, Debug)]
pub struct Ports {
    pub client: u16,
    pub peer: u16,
    pub metrics: u16,
}

/// Starts etcd (`args` built for the ports; they must listen for metrics on
/// `ports.metrics`) and waits until its `/health` says so. A port probed free
/// has to be released before etcd can bind it, so a test running in parallel can take it
/// in between; etcd then exits with "address already in use" and is started again on new
/// ports (and an empty `data_dir`: the first attempt may have recorded its peer URL there),
/// instead of the test waiting out its deadline for an etcd that is gone.
pub fn spawn_etcd(
    data_dir: &Path,
    log: &Path,
    args: impl Fn(Ports) -> Vec<String>,
) -> (Child, Ports) {
    let healthy = |p: Ports| {
        http_get(&format!("127.0.0.1:{}", p.metrics), "/health").contains("\"health\":\"true\"")
    };
    let read_log = || std::fs::read_to_string(log).unwrap_or_default();
    for _attempt in 0..5 {
        let ports = Ports {
            client: free_port(),
            peer: free_port(),
            metrics: free_port(),
        };
        let _ = std::fs::remove_dir_all(data_dir);
        let mut child = Command::new("etcd")
            .args(args(ports))
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(log).unwrap())
            .spawn()
            .expect("etcd starts (apt-get install etcd-server)");
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if healthy(ports) {
                return (child, ports);
            }
            if let Some(status) = child.try_wait().unwrap() {
                let text = read_log();
                assert!(
                    text.contains("address already in use"),
                    "etcd exited ({status}) before it became healthy: {text}"
                );
                break;
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("etcd did not become healthy in 60 s: {}", read_log());
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
    panic!(
        "etcd lost its ports to other processes 5 times: {}",
        read_log()
    );
}

/// A CA and what it signs, written as PEM files into `dir`.
pub struct Pki {
    pub dir: PathBuf,
}

impl Pki {
    pub fn ca(name: &str) -> (CertificateParams, KeyPair, String) {
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
    pub fn new(dir: &Path) -> Pki {
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

    pub fn path(&self, name: &str) -> String {
        self.dir.join(name).display().to_string()
    }
}

/// A real etcd on loopback ports with TLS (and client-certificate auth unless started with
/// [`Etcd::start_with`]`(false)`); killed on drop.
pub struct Etcd {
    child: Child,
    pub endpoint: String,
    metrics: String,
    pub pki: Pki,
    _dir: tempfile::TempDir,
}

impl Drop for Etcd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Etcd {
    pub fn start() -> Etcd {
        Etcd::start_with(true)
    }

    /// `client_cert_auth: false`: server TLS only, as where etcd users log in with a
    /// password rather than a certificate.
    pub fn start_with(client_cert_auth: bool) -> Etcd {
        let dir = tempfile::tempdir().unwrap();
        let pki = Pki::new(dir.path());
        let log = dir.path().join("etcd.log");
        let args = |p: Ports| {
            let endpoint = format!("https://127.0.0.1:{}", p.client);
            let peer_url = format!("http://127.0.0.1:{}", p.peer);
            let mut a = vec![
                "--name=preflight-test".to_string(),
                format!("--data-dir={}", dir.path().join("data").display()),
                format!("--listen-client-urls={endpoint}"),
                format!("--advertise-client-urls={endpoint}"),
                format!("--listen-peer-urls={peer_url}"),
                format!("--initial-advertise-peer-urls={peer_url}"),
                format!("--initial-cluster=preflight-test={peer_url}"),
                format!("--listen-metrics-urls=http://127.0.0.1:{}", p.metrics),
                format!("--cert-file={}", pki.path("server.crt")),
                format!("--key-file={}", pki.path("server.key")),
            ];
            // etcd 3.4 asks every client for a certificate once it has a trusted CA.
            if client_cert_auth {
                a.push(format!("--trusted-ca-file={}", pki.path("ca.crt")));
                a.push("--client-cert-auth".to_string());
            }
            a
        };
        let (child, ports) = spawn_etcd(&dir.path().join("data"), &log, args);
        Etcd {
            child,
            endpoint: format!("https://127.0.0.1:{}", ports.client),
            metrics: format!("127.0.0.1:{}", ports.metrics),
            pki,
            _dir: dir,
        }
    }

    /// A plain HTTP GET on the metrics listener (loopback, no TLS).
    pub fn http_get(&self, path: &str) -> String {
        http_get(&self.metrics, path)
    }

    /// etcdctl with the CA and `args` (which may hold `--user NAME:PASSWORD`), whatever
    /// its outcome.
    pub fn etcdctl_output(&self, args: &[&str]) -> std::process::Output {
        Command::new("etcdctl")
            .env("ETCDCTL_API", "3")
            .arg(format!("--endpoints={}", self.endpoint))
            .arg(format!("--cacert={}", self.pki.path("ca.crt")))
            .args(args)
            .output()
            .unwrap()
    }

    /// etcdctl as `user` (whose client certificate it presents).
    pub fn etcdctl_as(&self, user: &str, args: &[&str]) -> String {
        let cert = format!("--cert={}", self.pki.path(&format!("{user}.crt")));
        let key = format!("--key={}", self.pki.path(&format!("{user}.key")));
        let out = self.etcdctl_output(&[&[cert.as_str(), key.as_str()], args].concat());
        assert!(
            out.status.success(),
            "etcdctl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn etcdctl(&self, args: &[&str]) -> String {
        self.etcdctl_as("root", args)
    }

    /// The v0.10 layout: the Cluster CRD and Clusters member1..3, stored as JSON the
    /// way kube-apiserver stores custom resources.
    pub fn write_v0_10_keys(&self) {
        self.write_v0_10_keys_under("/registry");
    }

    /// The same keys under karmada-apiserver's `--etcd-prefix` `prefix`.
    pub fn write_v0_10_keys_under(&self, prefix: &str) {
        let crd = CRD_KEY.replacen("/registry", prefix, 1);
        self.etcdctl(&[
            "put",
            &crd,
            &format!(r#"{{"kind":"CustomResourceDefinition","note":"{VALUE_MARKER}"}}"#),
        ]);
        let clusters = CLUSTERS.replacen("/registry", prefix, 1);
        for m in ["member1", "member2", "member3"] {
            self.etcdctl(&[
                "put",
                &format!("{clusters}{m}"),
                &format!(r#"{{"apiVersion":"cluster.karmada.io/v1alpha1","kind":"Cluster","metadata":{{"name":"{m}"}},"note":"{VALUE_MARKER}"}}"#),
            ]);
        }
    }

    /// The README's least-privilege setup as an etcd admin runs it, then auth enabled:
    /// root (etcd wants it before auth), the read-only role on the two prefixes, user
    /// `karmada-preflight` with that role and `nobody` without it. `password`: theirs
    /// (`nobody`'s is `nobody-pw-1`); `None`: certificate users (`--no-password`, etcd
    /// takes the user from the certificate's CN).
    pub fn readme_role(&self, password: Option<&str>) {
        self.etcdctl(&[
            "user",
            "add",
            "root",
            "--new-user-password=root-pw-for-test",
        ]);
        self.etcdctl(&["role", "add", "karmada-preflight-read"]);
        for prefix in [CRD_KEY, CLUSTERS] {
            self.etcdctl(&[
                "role",
                "grant-permission",
                "karmada-preflight-read",
                "--prefix=true",
                "read",
                prefix,
            ]);
        }
        for (user, pw) in [
            ("karmada-preflight", password),
            ("nobody", password.map(|_| "nobody-pw-1")),
        ] {
            let pw = pw.map_or("--no-password".to_string(), |p| {
                format!("--new-user-password={p}")
            });
            self.etcdctl(&["user", "add", user, &pw]);
        }
        self.etcdctl(&[
            "user",
            "grant-role",
            "karmada-preflight",
            "karmada-preflight-read",
        ]);
        self.etcdctl(&["auth", "enable"]);
    }

    /// Counters of requests that change etcd, summed: mvcc puts, deletes and write
    /// transactions, and gRPC calls of every mutating method.
    pub fn writes(&self) -> WriteCounters {
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
pub struct WriteCounters {
    pub mvcc_put: u64,
    pub mvcc_delete: u64,
    pub mvcc_txn: u64,
    pub grpc_writes: Vec<(String, u64)>,
    /// Not a write: shows the tool did talk to etcd between two snapshots.
    pub ranges: u64,
}

/// A started etcd holding the v0.10 keys; `None` (after a loud message) when etcd is
/// not installed.
pub fn etcd_with_v0_10_keys() -> Option<Etcd> {
    if !etcd_available() {
        return None;
    }
    let etcd = Etcd::start();
    etcd.write_v0_10_keys();
    Some(etcd)
}

impl WriteCounters {
    /// Panics when `after` counted any write that `self` (taken before) did not.
    pub fn assert_no_write_since(&self, after: &WriteCounters) {
        assert_eq!(
            WriteCounters {
                ranges: 0,
                grpc_writes: after.grpc_writes.clone(),
                ..*after
            },
            WriteCounters {
                ranges: 0,
                grpc_writes: self.grpc_writes.clone(),
                ..*self
            },
            "etcd's metrics counted a write request"
        );
    }
}

/// A fake karmada-apiserver and host cluster on loopback serving `host` in the host.
pub fn fake_clusters(host: Vec<Value>, kubeconfig: &Path) -> fakeapi::BlockingServer {
    let v0_10 = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/karmada-v0.10.1");
    let mut karmada =
        fakeapi::ClusterSpec::new("karmada", fakeapi::load_objects_from_dir(&v0_10).unwrap());
    karmada.context = "karmada-apiserver".into();
    let mut host = fakeapi::ClusterSpec::new("host", host);
    host.context = "karmada-host".into();
    let server = fakeapi::RunningServer::start_blocking(fakeapi::ServerConfig {
        clusters: vec![karmada, host],
        ..Default::default()
    })
    .expect("fake apiserver");
    server.write_kubeconfig(kubeconfig).unwrap();
    server
}

/// karmada v0.10.1's manifests, with the test's etcd PKI in the Secret the apiserver
/// mounts its etcd certificates from (`--etcd-cafile=/etc/kubernetes/pki/server-ca.crt`,
/// `--etcd-certfile=.../karmada.crt`, `--etcd-keyfile=.../karmada.key`, volume
/// `k8s-certs` = Secret `karmada-cert-secret`): the client certificate of etcd user root.
pub fn v0_10_with_etcd_secret(etcd: &Etcd) -> Vec<Value> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/karmada-v0.10.1");
    let mut objects = fakeapi::load_objects_from_dir(&dir).unwrap();
    let pem = |f: &str| {
        base64::engine::general_purpose::STANDARD
            .encode(std::fs::read(etcd.pki.dir.join(f)).unwrap())
    };
    let secret = objects
        .iter_mut()
        .find(|o| o["kind"] == "Secret" && o["metadata"]["name"] == "karmada-cert-secret")
        .expect("the fixture has the Secret");
    secret["data"]["server-ca.crt"] = pem("ca.crt").into();
    secret["data"]["karmada.crt"] = pem("root.crt").into();
    secret["data"]["karmada.key"] = pem("root.key").into();
    objects
}

/// What the tool wrote: exit code, stdout, stderr.
pub struct Ran {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn preflight(args: &[&str], env: &[(&str, &str)]) -> Ran {
    let mut cmd = assert_cmd::Command::cargo_bin("karmada-preflight").unwrap();
    cmd.env_remove("KUBECONFIG").env_remove("ETCD_PASSWORD");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd
        .args(args)
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    Ran {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

pub fn report(r: &Ran) -> Value {
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| {
        panic!(
            "not a JSON report ({e}); exit {}\nstdout: {}\nstderr: {}",
            r.code, r.stdout, r.stderr
        )
    })
}

/// `check SOURCE.. --phase pre --etcd-endpoints <etcd> --rule etcd-cluster-crd-key -o json`
/// plus `extra`; SOURCE is an input path or live flags.
pub fn check_crd_key(etcd: &Etcd, source: &[&str], extra: &[&str]) -> Ran {
    let mut args = vec!["check"];
    args.extend_from_slice(source);
    args.extend_from_slice(&[
        "--phase",
        "pre",
        "--etcd-endpoints",
        &etcd.endpoint,
        "--rule",
        "etcd-cluster-crd-key",
        "-o",
        "json",
    ]);
    args.extend_from_slice(extra);
    preflight(&args, &[])
}

/// `objects` as one multi-document YAML file in `dir` (JSON is YAML), as an operator's
/// `kubectl get -o yaml` export would be given.
pub fn write_manifests(objects: &[Value], dir: &Path) -> PathBuf {
    let docs: String = objects
        .iter()
        .map(|o| format!("---\n{}\n", serde_json::to_string(o).unwrap()))
        .collect();
    let file = dir.join("karmada.yaml");
    std::fs::write(&file, docs).unwrap();
    file
}
