//! The operator's story of #17: `check --phase pre --fix-dir DIR` on the v0.10.1 install,
//! then PLAN.md followed from the first line to the last, mechanically, and the result
//! checked in the post phase.
//!
//! Every command block of PLAN.md says where it runs (` ```sh run=host `). The replay
//! dispatches on that marker and on the command itself, never on what the test knows
//! about the fixture:
//! - kubectl against the host, karmada-apiserver or a member: `apply -f` runs as
//!   `kubectl apply --dry-run=client` against the loopback fake API server (the project's
//!   fakeapi crate, one context per cluster) and the object kubectl prints is the new
//!   state; `patch` runs as `kubectl patch --local` on the object as it stands; `delete`
//!   is checked against the server (the object must exist there) and removes the object;
//!   `scale` sets the replicas; a `get … > file` runs for real.
//! - `run=etcd-pod`: the etcdctl part of `kubectl exec … -- etcdctl …` runs against a real
//!   etcd on loopback, with the pod's paths (certificates, data dir) and endpoint
//!   rebased onto the test's own; the CRD key delete also drops the CRD from the state.
//! - `verify=…` blocks are checked: etcdctl ones against etcd, kubectl ones against the
//!   replayed state (the fake server is read-only, so it cannot show a change).
//! - `rollback=…` (the snapshot restore) runs into a scratch data dir, proving the snapshot
//!   taken before the delete restores.
//!
//! The objects are then written to a folder, one per file, and `check --phase post` on it
//! must report no fail, blocker or action.

mod common;
mod etcd_support;

use etcd_support::{spawn_etcd, Ports};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};

use fakeapi::{load_objects_from_dir, ClusterSpec, RunningServer, ServerConfig};
use karmada_preflight::sources::yaml::parse_documents;
use karmada_preflight::sources::Limits;
use karmada_preflight::text::to_yaml;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use serde_json::{json, Value};

const FIXTURE: &str = "fixtures/karmada-v0.10.1";
const CRD_KEY: &str =
    "/registry/apiextensions.k8s.io/customresourcedefinitions/clusters.cluster.karmada.io";
const CLUSTERS: &str = "/registry/cluster.karmada.io/clusters/";
/// etcdctl as the etcd pod's own liveness probe runs it (its endpoint and files).
const POD_ETCDCTL: &str = "etcdctl --endpoints=https://127.0.0.1:2379 \
     --cacert=/etc/kubernetes/pki/etcd/server-ca.crt --cert=/etc/kubernetes/pki/etcd/karmada.crt \
     --key=/etc/kubernetes/pki/etcd/karmada.key";
/// The member the operator substitutes for the plan's `<member>`.
const MEMBER: &str = "member1";

/// One fenced command block of PLAN.md.
#[derive(Debug)]
struct Block {
    /// `run`, `verify` or `rollback`.
    mode: String,
    /// `host`, `karmada`, `member:<name>`, `etcd-pod`, ...
    on: String,
    commands: Vec<String>,
    /// The `#### [ ] rule (ID)` heading the block is under.
    fix: String,
}

fn blocks(plan: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut fix = String::new();
    let mut lines = plan.lines();
    while let Some(l) = lines.next() {
        if l.starts_with("#") && !l.starts_with("```") {
            fix = l.to_string();
        }
        let Some(info) = l.strip_prefix("```sh ") else {
            assert!(l != "```sh", "a command block without a place: {l}");
            continue;
        };
        let (mode, on) = info
            .split_once('=')
            .unwrap_or_else(|| panic!("block marker without `=`: {l}"));
        let commands: Vec<String> = lines
            .by_ref()
            .take_while(|l| *l != "```")
            .map(String::from)
            .collect();
        out.push(Block {
            mode: mode.into(),
            on: on.into(),
            commands,
            fix: fix.clone(),
        });
    }
    out
}

/// Every block that changes something is followed by a block that checks it, under the
/// same heading.
fn every_change_is_verified(blocks: &[Block]) {
    for (i, b) in blocks.iter().enumerate() {
        if b.mode == "run" {
            assert!(
                blocks[i + 1..]
                    .iter()
                    .take_while(|n| n.fix == b.fix)
                    .any(|n| n.mode == "verify"),
                "no verification after {:?} under {}",
                b.commands,
                b.fix
            );
        }
    }
}

/// etcd as the v0.10 StatefulSet runs it: one certificate (`karmada.crt`, server and
/// client use) signed by `server-ca.crt`, client certificates required. The files get
/// the pod's names in `pki`, so the plan's paths rebase by directory alone.
struct Etcd {
    child: Child,
    port: u16,
    pki: PathBuf,
    data: PathBuf,
}

impl Drop for Etcd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Etcd {
    fn start(dir: &Path) -> Etcd {
        let pki = dir.join("pki");
        let data = dir.join("var-lib-etcd");
        std::fs::create_dir_all(&pki).unwrap();
        std::fs::create_dir_all(&data).unwrap();
        let ca_key = KeyPair::generate().unwrap();
        let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.distinguished_name.push(DnType::CommonName, "karmada");
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        std::fs::write(
            pki.join("server-ca.crt"),
            ca.self_signed(&ca_key).unwrap().pem(),
        )
        .unwrap();
        let issuer = Issuer::new(ca, &ca_key);
        let key = KeyPair::generate().unwrap();
        let mut leaf = CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap();
        leaf.distinguished_name
            .push(DnType::CommonName, "system:admin");
        leaf.extended_key_usages = vec![
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ];
        std::fs::write(
            pki.join("karmada.crt"),
            leaf.signed_by(&key, &issuer).unwrap().pem(),
        )
        .unwrap();
        std::fs::write(pki.join("karmada.key"), key.serialize_pem()).unwrap();
        let data_dir = data.join("member-data");
        let args = |p: Ports| {
            let url = format!("https://127.0.0.1:{}", p.client);
            let peer_url = format!("http://127.0.0.1:{}", p.peer);
            let f = |f: &str| pki.join(f).display().to_string();
            vec![
                "--name=etcd0".to_string(),
                format!("--data-dir={}", data_dir.display()),
                format!("--listen-client-urls={url}"),
                format!("--advertise-client-urls={url}"),
                format!("--listen-peer-urls={peer_url}"),
                format!("--initial-advertise-peer-urls={peer_url}"),
                format!("--initial-cluster=etcd0={peer_url}"),
                format!("--listen-metrics-urls=http://127.0.0.1:{}", p.metrics),
                format!("--cert-file={}", f("karmada.crt")),
                format!("--key-file={}", f("karmada.key")),
                format!("--trusted-ca-file={}", f("server-ca.crt")),
                "--client-cert-auth".to_string(),
            ]
        };
        let (child, ports) = spawn_etcd(&data_dir, &dir.join("etcd.log"), args);
        Etcd {
            child,
            port: ports.client,
            pki,
            data,
        }
    }

    /// An etcdctl command line as the pod would run it, rebased onto this etcd: the
    /// pod's loopback endpoint, certificate folder and data dir, and cluster DNS names
    /// (which resolve only inside the cluster) on loopback.
    fn rebase(&self, cmd: &str) -> Vec<String> {
        cmd.split_whitespace()
            .map(|w| {
                let w = w
                    .replace(
                        "https://127.0.0.1:2379",
                        &format!("https://127.0.0.1:{}", self.port),
                    )
                    .replace("/etc/kubernetes/pki/etcd", &self.pki.display().to_string())
                    .replace("/var/lib/etcd", &self.data.display().to_string());
                match w.split_once("://") {
                    Some((head, rest)) => match rest.split_once(".svc.cluster.local") {
                        Some((_, tail)) => format!("{head}://127.0.0.1{tail}"),
                        None => w,
                    },
                    None => w,
                }
            })
            .collect()
    }

    /// (success, stdout) of an etcdctl command line.
    fn run(&self, cmd: &str) -> (bool, String) {
        let words = self.rebase(cmd);
        assert_eq!(words[0], "etcdctl", "{cmd}");
        let out = Command::new("etcdctl")
            .env("ETCDCTL_API", "3")
            .args(&words[1..])
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr),
        )
    }

    fn must(&self, cmd: &str) -> String {
        let (ok, out) = self.run(cmd);
        assert!(ok, "{cmd}: {out}");
        out
    }
}

/// The part of `kubectl … exec POD -c C -- etcdctl …` that runs in the pod.
fn in_pod(cmd: &str) -> &str {
    assert!(
        cmd.starts_with("kubectl --context karmada-host -n karmada-system exec etcd-0 -c etcd -- "),
        "{cmd}"
    );
    cmd.split_once(" -- ").unwrap().1
}

/// The objects, each with the context it was applied in ("" for the fixture's, which is
/// one pool of every cluster's objects and matches any context).
#[derive(Default)]
struct State {
    objects: Vec<(String, Value)>,
}

fn key_of(v: &Value) -> (String, String, String) {
    let s = |p: &str| {
        v.pointer(p)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    (
        s("/kind").to_lowercase(),
        s("/metadata/namespace"),
        s("/metadata/name"),
    )
}

impl State {
    fn load(dir: &Path) -> State {
        let mut state = State::default();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(&d)
                .unwrap()
                .map(|e| e.unwrap().path())
                .collect();
            entries.sort();
            for p in entries {
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|e| e == "yaml") {
                    let text = std::fs::read_to_string(&p).unwrap();
                    parse_documents(&text, &Limits::default(), |d| {
                        if d.value().get("kind").is_some() {
                            state.objects.push((String::new(), d.value()))
                        }
                    });
                }
            }
        }
        state
    }

    fn find(&self, ctx: &str, kind: &str, ns: &str, name: &str) -> Option<usize> {
        let kind = kind.split('.').next().unwrap_or(kind).to_lowercase();
        let kind = match kind.as_str() {
            "crd" => "customresourcedefinition".to_string(),
            k => k.to_string(),
        };
        self.objects.iter().position(|(c, o)| {
            let (k, n, m) = key_of(o);
            k == kind && m == name && (n == ns || ns.is_empty()) && (c.is_empty() || c == ctx)
        })
    }

    fn get(&self, ctx: &str, kind: &str, ns: &str, name: &str) -> &Value {
        let i = self
            .find(ctx, kind, ns, name)
            .unwrap_or_else(|| panic!("{kind} {ns}/{name} is not in the replayed state of {ctx}"));
        &self.objects[i].1
    }

    fn upsert(&mut self, ctx: &str, v: Value) {
        let (kind, ns, name) = key_of(&v);
        match self.find(ctx, &kind, &ns, &name) {
            Some(i) => self.objects[i].1 = v,
            None => self.objects.push((ctx.to_string(), v)),
        }
    }

    fn write(&self, dir: &Path) {
        std::fs::create_dir_all(dir).unwrap();
        for (i, (_, o)) in self.objects.iter().enumerate() {
            let (k, n, m) = key_of(o);
            std::fs::write(dir.join(format!("{i:03}-{k}-{n}-{m}.yaml")), to_yaml(o)).unwrap();
        }
    }
}

/// What a kubectl command line says: its context, namespace, verb, the words after the
/// verb, and its flags.
struct Kubectl {
    context: String,
    namespace: String,
    verb: String,
    args: Vec<String>,
    flags: BTreeMap<String, String>,
}

fn parse_kubectl(cmd: &str) -> Kubectl {
    let words: Vec<&str> = cmd.split_whitespace().collect();
    assert_eq!(words[0], "kubectl", "{cmd}");
    let mut k = Kubectl {
        context: String::new(),
        namespace: String::new(),
        verb: String::new(),
        args: Vec::new(),
        flags: BTreeMap::new(),
    };
    let mut i = 1;
    while i < words.len() {
        let w = words[i];
        if let Some(f) = w.strip_prefix("--").or_else(|| w.strip_prefix('-')) {
            let (name, value) = match f.split_once('=') {
                Some((n, v)) => (n.to_string(), v.to_string()),
                None if [
                    "context",
                    "n",
                    "f",
                    "type",
                    "patch-file",
                    "o",
                    "c",
                    "timeout",
                ]
                .contains(&f) =>
                {
                    i += 1;
                    (
                        f.to_string(),
                        words.get(i).copied().unwrap_or("").to_string(),
                    )
                }
                None => (f.to_string(), String::new()),
            };
            match name.as_str() {
                "context" => k.context = value,
                "n" => k.namespace = value,
                _ => {
                    k.flags.insert(name, value);
                }
            }
        } else if k.verb.is_empty() {
            k.verb = w.to_string();
        } else {
            k.args.push(w.to_string());
        }
        i += 1;
    }
    k
}

struct Replay {
    fixes: PathBuf,
    kubeconfig: PathBuf,
    scratch: PathBuf,
    state: State,
    etcd: Etcd,
    /// Replica counts karmada-apiserver was scaled to, in order.
    scaled: Vec<String>,
    ran: Vec<String>,
}

impl Replay {
    fn kubectl(&self, context: &str, args: &[&str]) -> std::process::Output {
        Command::new("kubectl")
            .arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .args(["--context", context, "--request-timeout=20s"])
            .arg("--cache-dir")
            .arg(self.scratch.join("kube-cache"))
            .args(args)
            .current_dir(&self.fixes)
            .output()
            .unwrap()
    }

    fn ok(out: std::process::Output, what: &str) -> String {
        assert!(
            out.status.success(),
            "{what}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn run_kubectl(&mut self, cmd: &str) {
        let k = parse_kubectl(cmd);
        match k.verb.as_str() {
            "apply" => {
                let file = &k.flags["f"];
                // The server takes it (kinds mapped by its discovery, the live object read).
                let out = self.kubectl(
                    &k.context,
                    &[
                        "apply",
                        "--dry-run=client",
                        "--validate=false",
                        "-o",
                        "name",
                        "-f",
                        file,
                    ],
                );
                Self::ok(out, cmd);
                // A client-side dry run prints the live object for one that exists, not
                // the result: the fields the file sets are what apply makes them.
                let text = std::fs::read_to_string(self.fixes.join(file)).unwrap();
                let mut docs = Vec::new();
                parse_documents(&text, &Limits::default(), |d| docs.push(d.value()));
                for doc in docs {
                    let (kind, ns, name) = key_of(&doc);
                    let mut merged = match self.state.find(&k.context, &kind, &ns, &name) {
                        Some(i) => self.state.objects[i].1.clone(),
                        None => json!({}),
                    };
                    for (field, v) in doc.as_object().unwrap() {
                        match (field.as_str(), merged.get_mut("metadata")) {
                            ("metadata", Some(Value::Object(m))) => {
                                m.extend(v.as_object().unwrap().clone())
                            }
                            _ => merged[field] = v.clone(),
                        }
                    }
                    self.state.upsert(&k.context, merged);
                }
            }
            "patch" => {
                let (kind, name) = (&k.args[0], &k.args[1]);
                let obj = self.state.get(&k.context, kind, &k.namespace, name).clone();
                let tmp = self.scratch.join("object.json");
                std::fs::write(&tmp, obj.to_string()).unwrap();
                let out = Command::new("kubectl")
                    .args(["patch", "--local", "-o", "json", "-f"])
                    .arg(&tmp)
                    .args([
                        "--type",
                        &k.flags["type"],
                        "--patch-file",
                        &k.flags["patch-file"],
                    ])
                    .current_dir(&self.fixes)
                    .env("KUBECONFIG", "/dev/null")
                    .output()
                    .unwrap();
                let v: Value = serde_json::from_str(&Self::ok(out, cmd)).unwrap();
                self.state.upsert(&k.context, v);
            }
            "set" => {
                // `set image kind/name container=image`, on the object as it stands.
                assert_eq!(k.args[0], "image", "{cmd}");
                let (kind, name) = k.args[1].split_once('/').unwrap();
                let obj = self.state.get(&k.context, kind, &k.namespace, name).clone();
                let tmp = self.scratch.join("object.json");
                std::fs::write(&tmp, obj.to_string()).unwrap();
                let out = Command::new("kubectl")
                    .args(["set", "image", "--local", "-o", "json", "-f"])
                    .arg(&tmp)
                    .args(&k.args[2..])
                    .env("KUBECONFIG", "/dev/null")
                    .output()
                    .unwrap();
                let v: Value = serde_json::from_str(&Self::ok(out, cmd)).unwrap();
                self.state.upsert(&k.context, v);
            }
            "scale" => {
                let (kind, name) = (&k.args[0], &k.args[1]);
                let replicas: u64 = k.flags["replicas"].parse().unwrap();
                let i = self
                    .state
                    .find(&k.context, kind, &k.namespace, name)
                    .unwrap();
                self.state.objects[i].1["spec"]["replicas"] = json!(replicas);
                self.scaled.push(format!("{name}={replicas}"));
            }
            "delete" => {
                let (kind, name) = (&k.args[0], &k.args[1]);
                // It is there to delete: the server has it.
                Self::ok(
                    self.kubectl(&k.context, &["get", kind, name, "-o", "name"]),
                    cmd,
                );
                let i = self
                    .state
                    .find(&k.context, kind, &k.namespace, name)
                    .unwrap();
                self.state.objects.remove(i);
            }
            "get" => {
                let (head, file) = cmd.split_once(" > ").expect("a get in a run block saves");
                let mut k = parse_kubectl(head);
                let mut args: Vec<String> = vec!["get".into()];
                args.append(&mut k.args);
                for (f, v) in &k.flags {
                    args.push(format!("-{}{f}", if f.len() > 1 { "-" } else { "" }));
                    if !v.is_empty() {
                        args.push(v.clone());
                    }
                }
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                let out = Self::ok(self.kubectl(&k.context, &args), cmd);
                std::fs::write(self.fixes.join(file.trim()), out).unwrap();
            }
            other => panic!("the replay does not know `kubectl {other}`: {cmd}"),
        }
        self.ran.push(cmd.to_string());
    }

    /// A kubectl verification, checked against the replayed state.
    fn verify_kubectl(&self, cmd: &str) {
        let k = parse_kubectl(cmd);
        let (c, ns) = (k.context.as_str(), k.namespace.as_str());
        match (k.verb.as_str(), k.args.first().map(String::as_str)) {
            ("rollout", Some("status")) => {
                let (kind, name) = k.args[1].split_once('/').unwrap();
                let o = self.state.get(c, kind, ns, name);
                assert_ne!(o["spec"]["replicas"], json!(0), "{cmd}: scaled to 0");
            }
            ("wait", _) => {
                let (kind, name) = k.args[0].split_once('/').unwrap();
                self.state.get(c, kind, ns, name);
            }
            ("auth", Some("can-i")) => {
                // The ClusterRole bound to the agent grants the verb on the resource.
                let (verb, resource) = (&k.args[1], &k.args[2]);
                let role = self.state.get(c, "ClusterRole", "", "karmada-agent");
                let has = |r: &Value, f: &str, want: &str| {
                    r[f].as_array()
                        .is_some_and(|l| l.iter().any(|x| x == "*" || x == want))
                };
                assert!(
                    role["rules"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|r| has(r, "verbs", verb) && has(r, "resources", resource)),
                    "{cmd}: {role:#}"
                );
            }
            ("get", Some(kind)) => {
                let name = &k.args[1];
                if k.flags.contains_key("ignore-not-found") {
                    assert!(
                        self.state.find(c, kind, ns, name).is_none(),
                        "{cmd}: still there"
                    );
                } else if cmd.contains("{.status.replicas}") {
                    assert_eq!(
                        self.state.get(c, kind, ns, name)["spec"]["replicas"],
                        json!(0),
                        "{cmd}"
                    );
                } else if let Some((_, path)) = cmd.split_once("-o jsonpath='") {
                    // Each field the patch set is there now.
                    let o = self.state.get(c, kind, ns, name);
                    for field in path
                        .trim_end_matches('\'')
                        .split('}')
                        .filter(|f| f.starts_with("{."))
                    {
                        let pointer = field[1..]
                            .replace('[', ".")
                            .replace(']', "")
                            .replace("\\.", "\u{0}")
                            .replace('.', "/")
                            .replace('\u{0}', ".");
                        let v = o.pointer(&pointer);
                        assert!(
                            v.is_some_and(|v| !v.is_null()),
                            "{cmd}: {pointer} is not set"
                        );
                    }
                } else if cmd.contains("go-template=") {
                    let data = self.state.get(c, kind, ns, name)["data"].clone();
                    for key in [
                        "front-proxy-ca.crt",
                        "front-proxy-client.crt",
                        "front-proxy-client.key",
                    ] {
                        assert!(data.get(key).is_some(), "{cmd}: no {key}");
                    }
                } else {
                    self.state.get(c, kind, ns, name);
                }
            }
            _ => panic!("the replay does not know how to verify `{cmd}`"),
        }
    }

    fn etcd_run(&mut self, cmd: &str) {
        let inner = in_pod(cmd);
        self.etcd.must(inner);
        if inner.ends_with(&format!(" del {CRD_KEY}")) {
            let i = self
                .state
                .find(
                    "karmada-apiserver",
                    "CustomResourceDefinition",
                    "",
                    "clusters.cluster.karmada.io",
                )
                .unwrap();
            self.state.objects.remove(i);
        }
        self.ran.push(cmd.to_string());
    }

    fn etcd_verify(&self, cmd: &str) {
        let inner = in_pod(cmd);
        if let Some((get, count)) = inner.split_once(" | grep -c ") {
            let prefix = count.trim_matches('\'').trim_start_matches('^');
            let out = self.etcd.must(get);
            let n = out.lines().filter(|l| l.starts_with(prefix)).count();
            assert_eq!(n, 3, "{cmd}: every Cluster key is still stored:\n{out}");
        } else if inner.contains(&format!("get {CRD_KEY}")) {
            assert_eq!(
                self.etcd.must(inner).trim(),
                "",
                "{cmd}: the CRD key is still there"
            );
        } else {
            self.etcd.must(inner);
        }
    }
}

fn fake_server(dir: &Path) -> (fakeapi::BlockingServer, PathBuf) {
    let objects = |rel: &str| load_objects_from_dir(Path::new(rel)).expect("fixture objects");
    let mut karmada = ClusterSpec::new("karmada", objects(FIXTURE));
    karmada.context = "karmada-apiserver".into();
    let mut host = ClusterSpec::new("host", objects(FIXTURE));
    host.context = "karmada-host".into();
    let member = ClusterSpec::new(MEMBER, objects(&format!("{FIXTURE}/artifacts/agent")));
    let server = RunningServer::start_blocking(ServerConfig {
        clusters: vec![karmada, host, member],
        ..Default::default()
    })
    .expect("fake apiserver");
    let kc = dir.join("kubeconfig");
    server.write_kubeconfig(&kc).unwrap();
    (server, kc)
}

/// With `--generate-front-proxy-certs` the plan patches the Secret with the generated
/// certificates (the file karmada-preflight wrote, mode 0600).
#[test]
fn following_plan_md_to_the_last_line_gives_an_install_that_passes_the_post_check() {
    replay_plan(true);
}

/// Without it, the plan makes them with openssl on the workstation and fills the patch;
/// the replay runs those commands as written.
#[test]
fn the_plan_without_generated_certificates_makes_them_with_openssl() {
    replay_plan(false);
}

fn replay_plan(generate: bool) {
    for tool in ["kubectl", "etcd", "etcdctl", "openssl"] {
        assert!(
            Command::new("which")
                .arg(tool)
                .output()
                .unwrap()
                .status
                .success(),
            "{tool} is needed (.ci/run installs it)"
        );
    }
    let tmp = tempfile::tempdir().unwrap();
    let fixes = tmp.path().join("fixes");
    let scratch = tmp.path().join("scratch");
    std::fs::create_dir_all(&scratch).unwrap();
    let mut args = vec![
        FIXTURE,
        "--phase",
        "pre",
        "--fix-dir",
        fixes.to_str().unwrap(),
    ];
    if generate {
        args.push("--generate-front-proxy-certs");
    }
    let (code, pre) = common::check(&args);
    assert_eq!(code, 0, "pre-phase actions are not failures");
    assert!(pre["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["status"] == "action"));
    let plan = std::fs::read_to_string(fixes.join("PLAN.md")).unwrap();
    assert!(!plan.contains("PRIVATE KEY"), "{plan}");
    assert_eq!(plan.contains("```sh run=workstation"), !generate, "{plan}");
    assert!(!generate || !plan.contains("<base64 of"), "{plan}");

    let etcd = Etcd::start(tmp.path());
    // The v0.10 layout: the Cluster CRD and three Clusters, as kube-apiserver stores them.
    let put = |k: &str| format!("{POD_ETCDCTL} put {k} {{}}");
    etcd.must(&put(CRD_KEY));
    for m in ["member1", "member2", "member3"] {
        etcd.must(&put(&format!("{CLUSTERS}{m}")));
    }
    let (server, kubeconfig) = fake_server(tmp.path());
    let mut replay = Replay {
        fixes: fixes.clone(),
        kubeconfig,
        scratch,
        state: State::load(Path::new(FIXTURE)),
        etcd,
        scaled: Vec::new(),
        ran: Vec::new(),
    };

    let blocks = blocks(&plan);
    let mut snapshot_taken = false;
    let mut restored = false;
    for b in &blocks {
        for cmd in &b.commands {
            let cmd = cmd.replace("<member>", MEMBER);
            let on = b.on.replace("<member>", MEMBER);
            match (b.mode.as_str(), on.as_str()) {
                ("run", o) if o == "host" || o == "karmada" || o.starts_with("member:") => {
                    // The command names the cluster its block says.
                    let want = match on.as_str() {
                        "host" => "karmada-host".to_string(),
                        "karmada" => "karmada-apiserver".to_string(),
                        m => m.trim_start_matches("member:").to_string(),
                    };
                    assert_eq!(parse_kubectl(&cmd).context, want, "{cmd}");
                    replay.run_kubectl(&cmd);
                }
                ("verify", "host" | "karmada") => replay.verify_kubectl(&cmd),
                ("verify", m) if m.starts_with("member:") => replay.verify_kubectl(&cmd),
                ("run", "etcd-pod") => {
                    if cmd.contains(" del ") {
                        assert!(
                            snapshot_taken && restored,
                            "a snapshot (and its restore command) before any raw etcd write"
                        );
                    }
                    if cmd.contains(" snapshot save ") {
                        snapshot_taken = true;
                    }
                    replay.etcd_run(&cmd);
                }
                ("verify", "etcd-pod") => replay.etcd_verify(&cmd),
                ("rollback", "etcd-pod") => {
                    // The restore next to the snapshot works on that snapshot.
                    let inner = in_pod(&cmd).to_string();
                    assert!(inner.starts_with("etcdctl snapshot restore "), "{cmd}");
                    replay.etcd.must(&inner);
                    assert!(replay.etcd.data.join("restored/member").is_dir());
                    restored = true;
                }
                ("run", "workstation") => {
                    let out = Command::new("sh")
                        .args(["-ec", &cmd])
                        .current_dir(&fixes)
                        .output()
                        .unwrap();
                    assert!(
                        out.status.success(),
                        "{cmd}: {}",
                        String::from_utf8_lossy(&out.stderr)
                    );
                }
                (mode, on) => panic!("unexpected block {mode}={on} in {}: {cmd}", b.fix),
            }
        }
    }
    drop(server);

    every_change_is_verified(&blocks);
    // karmada-apiserver was stopped for the etcd delete and started again with its replicas.
    assert_eq!(
        replay.scaled,
        ["karmada-apiserver=0", "karmada-apiserver=1"]
    );
    // One step per change: nothing ran twice.
    let mut seen = std::collections::HashSet::new();
    for c in &replay.ran {
        assert!(seen.insert(c), "ran twice: {c}");
    }

    let after = tmp.path().join("after");
    replay.state.write(&after);

    let (_, post) = common::check(&[after.to_str().unwrap(), "--phase", "post"]);
    let bad: Vec<&Value> = post["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| matches!(f["status"].as_str(), Some("fail" | "blocker" | "action")))
        .collect();
    assert!(bad.is_empty(), "after replaying PLAN.md: {bad:#?}\n{plan}");
    for rule in [
        "cluster-crd-removed",
        "cluster-apiservice",
        "apiserver-front-proxy-flags",
        "front-proxy-cert-secret",
        "front-proxy-certs-valid",
        "karmada-apiserver-version",
        "aggregated-apiserver-deployed",
        "agent-impersonate-rbac",
        "replicaschedulingpolicy-removed",
        "component-images-target",
    ] {
        let found = common::findings(&post, rule);
        assert!(!found.is_empty(), "{rule} did not run");
        for f in found {
            assert_eq!(f["status"], "pass", "{rule}: {f:#}");
        }
    }
}

/// `--from v1.12 --to v1.15`: each hop under its own heading in path order, each step
/// and release note under the hop it belongs to, no catch-all bucket for later hops,
/// and every change still followed by its check.
#[test]
fn a_multi_hop_plan_is_grouped_by_hop_in_path_order() {
    let tmp = tempfile::tempdir().unwrap();
    let fixes = tmp.path().join("fixes");
    common::check(&[
        "fixtures/releases/v1.12.0/artifacts/deploy",
        "--from",
        "v1.12",
        "--to",
        "v1.15",
        "--phase",
        "pre",
        "--fix-dir",
        fixes.to_str().unwrap(),
    ]);
    let plan = std::fs::read_to_string(fixes.join("PLAN.md")).unwrap();
    let hops: Vec<&str> = plan.lines().filter(|l| l.starts_with("## ")).collect();
    assert_eq!(
        hops,
        [
            "## Across the whole upgrade path",
            "## Hop v1.12 → v1.13",
            "## Hop v1.13 → v1.14",
            "## Hop v1.14 → v1.15"
        ],
        "{plan}"
    );
    assert!(!plan.contains("Other checks"), "{plan}");
    let mut under = "";
    let mut fixes_seen = 0;
    for l in plan.lines() {
        if l.starts_with("## ") {
            under = l;
        }
        let Some(rest) = l.strip_prefix("#### [ ] ") else {
            continue;
        };
        fixes_seen += 1;
        // `rule (ID, v1.13->v1.14) — status` sits under `## Hop v1.13 → v1.14`.
        match rest.split_once(", v") {
            Some((_, hop)) => {
                let hop = format!("v{}", hop.split(')').next().unwrap());
                assert_eq!(under, format!("## Hop {}", hop.replace("->", " → ")), "{l}");
            }
            None => assert_eq!(under, "## Across the whole upgrade path", "{l}"),
        }
    }
    assert!(fixes_seen >= 10, "{plan}");
    every_change_is_verified(&blocks(&plan));
}

/// A Deployment `kubectl get` from a Helm release (Helm's release annotations on it):
/// `kubectl set image` would be undone by the next `helm upgrade`, so the plan upgrades
/// the release, once per hop however many components it holds, and still checks each
/// rollout. A component not installed by Helm keeps its `kubectl set image`.
#[test]
fn a_helm_installed_component_is_upgraded_through_its_release_once_per_hop() {
    let tmp = tempfile::tempdir().unwrap();
    let deployment = |name: &str, helm: bool| {
        let annotations = if helm {
            "  annotations:\n    meta.helm.sh/release-name: karmada\n    \
             meta.helm.sh/release-namespace: karmada-system\n"
        } else {
            ""
        };
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  \
             namespace: karmada-system\n{annotations}spec:\n  replicas: 1\n  selector:\n    \
             matchLabels: {{app: {name}}}\n  template:\n    metadata:\n      labels: {{app: {name}}}\n    \
             spec:\n      containers:\n        - name: {name}\n          \
             image: docker.io/karmada/{name}:v1.12.0\n"
        )
    };
    let input = tmp.path().join("installed.yaml");
    std::fs::write(
        &input,
        [
            deployment("karmada-controller-manager", true),
            deployment("karmada-scheduler", true),
            deployment("karmada-webhook", false),
        ]
        .join("---\n"),
    )
    .unwrap();
    let fixes = tmp.path().join("fixes");
    common::check(&[
        input.to_str().unwrap(),
        "--to",
        "v1.13",
        "--phase",
        "pre",
        "--fix-dir",
        fixes.to_str().unwrap(),
    ]);
    let plan = std::fs::read_to_string(fixes.join("PLAN.md")).unwrap();
    let blocks = blocks(&plan);
    let runs: Vec<&String> = blocks
        .iter()
        .filter(|b| b.mode == "run")
        .flat_map(|b| &b.commands)
        .collect();
    let helm = "helm --kube-context karmada-host upgrade karmada karmada-charts/karmada \
                -n karmada-system --version v1.13.0 --reuse-values";
    assert_eq!(
        runs.iter().filter(|c| c.as_str() == helm).count(),
        1,
        "{plan}"
    );
    let helm_block = blocks
        .iter()
        .find(|b| b.commands.iter().any(|c| c == helm))
        .unwrap();
    assert_eq!(helm_block.on, "host");
    assert!(
        !runs.iter().any(
            |c| c.contains("set image deployment/karmada-controller-manager")
                || c.contains("set image deployment/karmada-scheduler")
        ),
        "{plan}"
    );
    assert!(
        runs.iter().any(|c| c.as_str()
            == "kubectl --context karmada-host -n karmada-system set image \
                deployment/karmada-webhook karmada-webhook=docker.io/karmada/karmada-webhook:v1.13.0"),
        "{plan}"
    );
    for name in ["karmada-controller-manager", "karmada-scheduler"] {
        let verify = format!(
            "kubectl --context karmada-host -n karmada-system rollout status \
             deployment/{name} --timeout=5m"
        );
        assert!(
            blocks
                .iter()
                .any(|b| b.mode == "verify" && b.commands.contains(&verify)),
            "{name} rollout not checked:\n{plan}"
        );
    }
    every_change_is_verified(&blocks);
}
