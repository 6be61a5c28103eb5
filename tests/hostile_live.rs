//! A hostile API server: pagination that never ends, bodies that never end, answers
//! that are all errors or garbage, API group names that climb out of the bundle folder,
//! Secrets that wrap private keys every way they can be wrapped. Each run must end
//! within its bounds, name what it could not read, exit 2 when it read nothing, and
//! never write outside `--out` or write a byte of key material.
//!
//! The server below is a test double of our own (plain HTTP on loopback, one request
//! per connection, a thread each) so that each test can answer however it likes.
//! Every CLI run has a process timeout: a client bug fails a test instead of hanging.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use assert_cmd::Command;
use serde_json::{json, Value};

mod common;

use common::Run;

/// A process timeout (a hang guard), not a speed assertion.
const RUN_TIMEOUT: Duration = Duration::from_secs(60);

/// What the evil server answers to one GET.
enum Reply {
    Json(u16, Value),
    /// Status, extra headers, raw body.
    Raw(u16, Vec<(&'static str, String)>, Vec<u8>),
    /// 200 with a chunked body that never ends (until the client hangs up).
    Endless,
    /// Say nothing for this long, then close.
    Hang(Duration),
}

type Handler = Arc<dyn Fn(&str) -> Option<Reply> + Send + Sync>;

struct EvilServer {
    port: u16,
    stop: Arc<AtomicBool>,
    requests: Arc<AtomicUsize>,
}

impl Drop for EvilServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

impl EvilServer {
    /// `handler` answers first; what it leaves (`None`) gets a small, well-behaved
    /// cluster's answer: `/version`, discovery of core/v1 and apps/v1, empty lists.
    fn start(handler: impl Fn(&str) -> Option<Reply> + Send + Sync + 'static) -> EvilServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let requests = Arc::new(AtomicUsize::new(0));
        let handler: Handler = Arc::new(handler);
        let (s, r) = (stop.clone(), requests.clone());
        std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((conn, _)) => {
                        let (h, s, r) = (handler.clone(), s.clone(), r.clone());
                        std::thread::spawn(move || serve(conn, &h, &s, &r));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(2)),
                }
            }
        });
        EvilServer {
            port,
            stop,
            requests,
        }
    }

    fn requests(&self) -> usize {
        self.requests.load(Ordering::Relaxed)
    }

    /// A kubeconfig whose karmada-apiserver and karmada-host contexts both point here.
    fn kubeconfig(&self, dir: &Path) -> PathBuf {
        let path = dir.join("kubeconfig");
        let text = format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: karmada-apiserver\n\
             clusters:\n- name: evil\n  cluster:\n    server: http://127.0.0.1:{}\n\
             users:\n- name: u\n  user:\n    token: not-a-secret\n\
             contexts:\n- name: karmada-apiserver\n  context: {{cluster: evil, user: u}}\n\
             - name: karmada-host\n  context: {{cluster: evil, user: u}}\n",
            self.port
        );
        std::fs::write(&path, text).unwrap();
        path
    }
}

fn serve(conn: TcpStream, handler: &Handler, stop: &AtomicBool, requests: &AtomicUsize) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(10)));
    let mut reader = BufReader::new(conn.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    // Drain the headers (bounded: a request head is small).
    for _ in 0..100 {
        let mut h = String::new();
        if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
            break;
        }
    }
    requests.fetch_add(1, Ordering::Relaxed);
    let target = line.split_whitespace().nth(1).unwrap_or("/").to_string();
    let reply = handler(&target).unwrap_or_else(|| normal(&target));
    let mut conn = conn;
    let head = |status: u16, extra: &[(&str, String)], len: Option<usize>| {
        let mut h = format!(
            "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nConnection: close\r\n"
        );
        for (k, v) in extra {
            h.push_str(&format!("{k}: {v}\r\n"));
        }
        match len {
            Some(n) => h.push_str(&format!("Content-Length: {n}\r\n\r\n")),
            None => h.push_str("Transfer-Encoding: chunked\r\n\r\n"),
        }
        h
    };
    match reply {
        Reply::Json(status, v) => {
            let body = v.to_string().into_bytes();
            let _ = conn.write_all(head(status, &[], Some(body.len())).as_bytes());
            let _ = conn.write_all(&body);
        }
        Reply::Raw(status, headers, body) => {
            let _ = conn.write_all(head(status, &headers, Some(body.len())).as_bytes());
            let _ = conn.write_all(&body);
        }
        Reply::Endless => {
            let _ = conn.write_all(head(200, &[], None).as_bytes());
            let chunk = format!("{:x}\r\n{}\r\n", 1 << 16, "[".repeat(1 << 16));
            // Bounded even if the client never hangs up: 16 GiB.
            for _ in 0..(1 << 18) {
                if stop.load(Ordering::Relaxed) || conn.write_all(chunk.as_bytes()).is_err() {
                    break;
                }
            }
        }
        Reply::Hang(d) => {
            let step = Duration::from_millis(50);
            let mut waited = Duration::ZERO;
            while waited < d && !stop.load(Ordering::Relaxed) {
                std::thread::sleep(step);
                waited += step;
            }
        }
    }
    let _ = conn.flush();
    let mut rest = Vec::new();
    let _ = conn.shutdown(std::net::Shutdown::Write);
    let _ = reader.read_to_end(&mut rest);
}

fn resource(name: &str, kind: &str, namespaced: bool) -> Value {
    json!({"name": name, "kind": kind, "namespaced": namespaced, "verbs": ["get", "list"]})
}

/// A small cluster that serves every list empty but its ConfigMaps.
fn normal(target: &str) -> Reply {
    let path = target.split('?').next().unwrap_or("");
    let v = match path {
        "/version" => json!({"major": "1", "minor": "25", "gitVersion": "v1.25.3"}),
        "/api" => json!({"kind": "APIVersions", "versions": ["v1"]}),
        "/api/v1" => json!({"kind": "APIResourceList", "groupVersion": "v1", "resources": [
            resource("secrets", "Secret", true), resource("configmaps", "ConfigMap", true),
            resource("services", "Service", true), resource("namespaces", "Namespace", false)]}),
        "/apis" => json!({"kind": "APIGroupList", "groups": [
            {"name": "apps", "versions": [{"groupVersion": "apps/v1", "version": "v1"}],
             "preferredVersion": {"groupVersion": "apps/v1", "version": "v1"}}]}),
        "/apis/apps/v1" => {
            json!({"kind": "APIResourceList", "groupVersion": "apps/v1", "resources": [
            resource("deployments", "Deployment", true)]})
        }
        // One Karmada object, so what was read is about Karmada.
        "/api/v1/configmaps" => json!({"kind": "ConfigMapList", "apiVersion": "v1", "metadata": {},
            "items": [{"metadata": {"name": "karmada-config", "namespace": "karmada-system"}}]}),
        p if p.starts_with("/api/") || p.starts_with("/apis/") => {
            json!({"kind": "List", "apiVersion": "v1", "metadata": {}, "items": []})
        }
        _ => {
            return Reply::Json(
                404,
                json!({"kind": "Status", "code": 404, "reason": "NotFound"}),
            )
        }
    };
    Reply::Json(200, v)
}

fn is_list(target: &str, plural: &str) -> bool {
    let path = target.split('?').next().unwrap_or("");
    path.ends_with(&format!("/{plural}"))
        && (path.starts_with("/api/v1/") || path.starts_with("/apis/"))
}

/// Two rules, so each run is small: `host-probe` reads host `kind`, `host-configmaps`
/// host ConfigMaps (which the well-behaved part of the server lists, empty: so the run
/// read something, and a failing probe read makes only the probe unknown).
fn rules_dir(dir: &Path, kind: &str, api_version: &str) -> PathBuf {
    let rules = dir.join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    let rule = |id: &str, name: &str, api_version: &str, kind: &str| {
        format!(
            "id: {id}\nname: {name}\npack: test\ntitle: probe\ntemplate: cel\nparams:\n  \
             match: {{apiVersion: {api_version}, kind: {kind}, scope: host}}\n  expression: 'true'\n\
             phases: {{pre: error, post: error}}\nwhy: test\nfix: test\n"
        )
    };
    std::fs::write(
        rules.join("host-probe.yaml"),
        rule("KPT901", "host-probe", api_version, kind),
    )
    .unwrap();
    std::fs::write(
        rules.join("host-configmaps.yaml"),
        rule("KPT902", "host-configmaps", "v1", "ConfigMap"),
    )
    .unwrap();
    rules
}

fn run(args: &[&str]) -> Run {
    common::run_bounded(args, RUN_TIMEOUT)
}

/// `command` (check, collect) against the evil server with only the two rules of
/// [`rules_dir`], then `extra`.
fn run_probe(command: &str, kc: &Path, rules: &Path, extra: &[&str]) -> Run {
    let mut args = vec![
        command,
        "--kubeconfig",
        kc.to_str().unwrap(),
        "--rules",
        rules.to_str().unwrap(),
        "--rule",
        "host-probe",
        "--rule",
        "host-configmaps",
    ];
    args.extend_from_slice(extra);
    run(&args)
}

/// `check` against the evil server with only the probe rule over host `kind` (and the
/// ConfigMaps one).
fn check_probe(server: &EvilServer, kind: &str, api_version: &str, extra: &[&str]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let kc = server.kubeconfig(dir.path());
    let rules = rules_dir(dir.path(), kind, api_version);
    let args = [&["--phase", "pre", "-o", "json"], extra].concat();
    run_probe("check", &kc, &rules, &args)
}

/// The probe rule's unknown message.
fn probe_unknown(r: &Run) -> String {
    let f = r.report["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|f| f["rule"] == "host-probe" && f["status"] == "unknown")
        .unwrap_or_else(|| panic!("no unknown probe finding: {}\n{}", r.report, r.stderr));
    f["message"].as_str().unwrap().to_string()
}

fn deployment(name: &str) -> Value {
    json!({"metadata": {"name": name, "namespace": "default"},
           "spec": {"template": {"spec": {"containers": [{"name": "c", "image": "x"}]}}}})
}

#[test]
fn a_server_handing_out_new_continue_tokens_forever_is_stopped_at_the_page_cap() {
    let n = Arc::new(AtomicUsize::new(0));
    let n2 = n.clone();
    let server = EvilServer::start(move |t| {
        is_list(t, "deployments").then(|| {
            let i = n2.fetch_add(1, Ordering::Relaxed);
            Reply::Json(
                200,
                json!({"kind": "DeploymentList", "metadata": {"continue": format!("token-{i}")},
                                    "items": [deployment(&format!("d{i}"))]}),
            )
        })
    });
    let r = check_probe(&server, "Deployment", "apps/v1", &[]);
    let msg = probe_unknown(&r);
    assert!(
        msg.contains("past 2000 pages") && msg.contains("deployments.apps"),
        "{msg}"
    );
    assert!(
        n.load(Ordering::Relaxed) <= 2000,
        "{}",
        n.load(Ordering::Relaxed)
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
}

#[test]
fn a_server_repeating_a_continue_token_is_stopped_at_once() {
    let server = EvilServer::start(|t| {
        is_list(t, "deployments").then(|| {
            Reply::Json(
                200,
                json!({"kind": "DeploymentList", "metadata": {"continue": "same"},
                                    "items": [deployment("d")]}),
            )
        })
    });
    let r = check_probe(&server, "Deployment", "apps/v1", &[]);
    let msg = probe_unknown(&r);
    assert!(
        msg.contains("continue token it had already returned"),
        "{msg}"
    );
    assert!(server.requests() < 40, "{} requests", server.requests());
}

#[test]
fn an_endless_body_is_cut_off_at_the_byte_cap() {
    let server = EvilServer::start(|t| is_list(t, "deployments").then_some(Reply::Endless));
    let r = check_probe(&server, "Deployment", "apps/v1", &[]);
    let msg = probe_unknown(&r);
    assert!(
        msg.contains("larger than") && msg.contains("cut off"),
        "{msg}"
    );
}

#[test]
fn the_whole_run_ends_at_its_timeout_naming_what_was_not_read() {
    let server = EvilServer::start(|t| {
        is_list(t, "deployments").then_some(Reply::Hang(Duration::from_secs(50)))
    });
    let started = std::time::Instant::now();
    let r = check_probe(
        &server,
        "Deployment",
        "apps/v1",
        &["--timeout", "2s", "--request-timeout", "40s"],
    );
    let msg = probe_unknown(&r);
    assert!(
        msg.contains("--timeout") && msg.contains("deployments.apps"),
        "{msg}"
    );
    // A hang guard with room for a loaded machine: the request timeout was 40 s.
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn retry_after_an_hour_does_not_hold_the_run_an_hour() {
    let server = EvilServer::start(|t| {
        (t != "/version")
            .then(|| Reply::Raw(429, vec![("Retry-After", "3600".into())], b"{}".to_vec()))
    });
    let started = std::time::Instant::now();
    let r = check_probe(
        &server,
        "Deployment",
        "apps/v1",
        &["--request-timeout", "1s"],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    // Each request: 4 attempts, waits capped at the 1 s request timeout.
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
}

/// Whatever goes wrong on every read, nothing was read: exit 2, never a report with
/// every rule unknown and exit 0 that a CI gate would pass.
#[test]
fn nothing_readable_on_any_cluster_exits_2() {
    type Fault = fn(&str) -> Option<Reply>;
    let faults: Vec<(&str, Fault)> = vec![
        ("403", |_| {
            Some(Reply::Json(
                403,
                json!({"kind": "Status", "code": 403, "reason": "Forbidden", "message": "forbidden"}),
            ))
        }),
        ("404", |_| {
            Some(Reply::Json(
                404,
                json!({"kind": "Status", "code": 404, "reason": "NotFound"}),
            ))
        }),
        ("500", |_| Some(Reply::Raw(500, vec![], b"oops".to_vec()))),
        ("garbage", |_| {
            Some(Reply::Raw(200, vec![], b"\x00\xffnot json at all".to_vec()))
        }),
        ("closed", |_| Some(Reply::Hang(Duration::ZERO))),
        // Discovery answers, every list is forbidden.
        ("lists 403", |t| {
            (t.contains("limit=")).then(|| {
                Reply::Json(
                    403,
                    json!({"kind": "Status", "code": 403, "message": "nope"}),
                )
            })
        }),
        // Lists answer 200 with something that is not a list.
        ("lists not lists", |t| {
            (t.contains("limit=")).then(|| Reply::Json(200, json!({"kind": "Status"})))
        }),
    ];
    for (name, f) in faults {
        let server = EvilServer::start(f);
        let r = check_probe(
            &server,
            "Deployment",
            "apps/v1",
            &["--request-timeout", "2s"],
        );
        assert_eq!(r.code, 2, "{name}: {}", r.stderr);
        assert!(
            r.stderr.contains("no cluster could be read"),
            "{name}: {}",
            r.stderr
        );
    }
}

#[test]
fn an_empty_list_that_succeeded_is_evidence_not_a_failure() {
    let server = EvilServer::start(|_| None);
    let r = check_probe(&server, "Deployment", "apps/v1", &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
}

/// Every file under `root`, links included (not followed).
fn walk(root: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(root).into_iter().flatten().flatten() {
        let p = e.path();
        if e.file_type().is_ok_and(|t| t.is_dir()) {
            walk(&p, out);
        } else {
            out.push(p);
        }
    }
}

#[test]
fn collect_never_writes_outside_out_whatever_the_server_calls_its_api_groups() {
    let evil_group = "x/../../../PWNED";
    let server = EvilServer::start(move |t| {
        let path = t.split('?').next().unwrap_or("");
        match path {
            "/apis" => Some(Reply::Json(
                200,
                json!({"kind": "APIGroupList", "groups": [
                {"name": evil_group, "versions": [{"groupVersion": format!("{evil_group}/v1"), "version": "v1"}],
                 "preferredVersion": {"groupVersion": format!("{evil_group}/v1"), "version": "v1"}}]}),
            )),
            p if p == format!("/apis/{evil_group}/v1") => Some(Reply::Json(
                200,
                json!({
                "kind": "APIResourceList", "resources": [resource("widgets", "Widget", true)]}),
            )),
            _ => None,
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let kc = server.kubeconfig(dir.path());
    let rules = rules_dir(dir.path(), "Widget", "example.io/v1");
    let out = dir.path().join("a/b/c/out");
    let collect = || run_probe("collect", &kc, &rules, &["--out", out.to_str().unwrap()]);
    let r = collect();
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("API group \"x/../../../PWNED\" cannot be a file or folder name"),
        "{}",
        r.stderr
    );
    let mut files = Vec::new();
    walk(dir.path(), &mut files);
    for f in &files {
        let inside = f.starts_with(&out) || f.starts_with(&rules) || f.ends_with("kubeconfig");
        assert!(inside, "written outside --out: {}", f.display());
        assert!(!f.to_string_lossy().contains("PWNED"), "{}", f.display());
    }
    assert!(out.join("host/configmaps.yaml").is_file());
    // Into a folder that is not empty (a stale members/<x>/ would be read as a member):
    // refused before any read.
    let before = server.requests();
    let r = collect();
    assert_eq!(server.requests(), before);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("not empty"), "{}", r.stderr);
}

#[test]
fn collect_keeps_no_private_key_however_a_secret_wraps_it() {
    use base64::Engine as _;
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let key = rcgen::KeyPair::generate().unwrap();
    let (pem, der) = (key.serialize_pem(), key.serialize_der());
    let kubeconfig_json = format!(
        "{{\"users\":[{{\"name\":\"u\",\"user\":{{\"client-key-data\":\"{}\"}}}}]}}",
        b64(pem.as_bytes())
    );
    // Each value as the server stores it.
    let wrapped = [
        ("tls.crt", b64(format!("\n{pem}").as_bytes())),
        ("ca.crt", b64(format!(" {pem}").as_bytes())),
        (
            "bundle.pem",
            b64(format!(
                "Bag Attributes\n    localKeyID: 01\nKey Attributes: <No Attributes>\n{pem}"
            )
            .as_bytes()),
        ),
        ("caBundle", b64(&der)),
    ];
    let data: serde_json::Map<String, Value> = wrapped
        .iter()
        .map(|(k, v)| (k.to_string(), Value::String(v.clone())))
        .collect();
    let secret = json!({"metadata": {"name": "karmada-cert", "namespace": "karmada-system",
        "annotations": {"note": kubeconfig_json}}, "data": data});
    let deploy = json!({"metadata": {"name": "karmada-x", "namespace": "karmada-system"},
        "spec": {"template": {"spec": {"containers": [{"name": "c", "image": "karmada/x",
            "args": [format!("--kubeconfig-json={kubeconfig_json}")],
            "env": [{"name": "KEY_DER", "value": b64(&der)}]}]}}}});
    let server = EvilServer::start(move |t| {
        if is_list(t, "secrets") {
            return Some(Reply::Json(
                200,
                json!({"kind": "SecretList", "metadata": {}, "items": [secret]}),
            ));
        }
        is_list(t, "deployments").then(|| {
            Reply::Json(
                200,
                json!({"kind": "DeploymentList", "metadata": {}, "items": [deploy]}),
            )
        })
    });
    let dir = tempfile::tempdir().unwrap();
    let kc = server.kubeconfig(dir.path());
    let out = dir.path().join("out");
    for (kind, api) in [("Secret", "v1"), ("Deployment", "apps/v1")] {
        let rules = rules_dir(&dir.path().join(kind), kind, api);
        let out = out.join(kind);
        let r = run_probe("collect", &kc, &rules, &["--out", out.to_str().unwrap()]);
        assert_eq!(r.code, 0, "{}", r.stderr);
    }
    let mut files = Vec::new();
    walk(&out, &mut files);
    assert!(files.len() >= 4, "{files:?}");
    // The key's own base64 (the PEM body) and every stored wrapping of it.
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let mut needles: Vec<String> = wrapped.iter().map(|(_, v)| v[..60].to_string()).collect();
    needles.extend([
        body[..40].to_string(),
        b64(&der)[..40].to_string(),
        b64(pem.as_bytes())[..40].to_string(),
    ]);
    needles.push("PRIVATE KEY".into());
    needles.push("client-key-data".into());
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        for n in &needles {
            assert!(
                !text.contains(n.as_str()),
                "{} holds {n:?}:\n{text}",
                f.display()
            );
        }
    }
}

/// Key material wrapped the ways Secrets wrap it, with arbitrary bytes around it.
fn wrap_key(pem: &str, der: &[u8], how: usize) -> String {
    use base64::Engine as _;
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    match how % 6 {
        0 => pem.to_string(),
        1 => format!("\n  {pem}"),
        2 => format!("Bag Attributes\n    localKeyID: 01\nKey Attributes: <No Attributes>\n{pem}"),
        3 => b64(der),
        4 => b64(pem.as_bytes()),
        _ => format!(
            "{{\"users\":[{{\"user\":{{\"client-key-data\":\"{}\"}}}}]}}",
            b64(pem.as_bytes())
        ),
    }
}

/// Every byte the tool wrote for `dir` (files, followed by nothing: links are listed,
/// not read) must be inside `dir`, and no file may hold any of `needles`.
fn assert_confined_and_clean(dir: &Path, needles: &[String], what: &str) {
    let mut files = Vec::new();
    walk(dir, &mut files);
    let root = dir.canonicalize().unwrap();
    for f in &files {
        let meta = std::fs::symlink_metadata(f).unwrap();
        assert!(
            !meta.file_type().is_symlink(),
            "{what}: link {}",
            f.display()
        );
        let real = f.canonicalize().unwrap();
        assert!(
            real.starts_with(&root),
            "{what}: {} outside {}",
            real.display(),
            root.display()
        );
        let bytes = std::fs::read(f).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        for n in needles {
            assert!(
                !text.contains(n.as_str()),
                "{what}: {} holds {n:?}",
                f.display()
            );
        }
    }
}

mod secrets_prop {
    use super::*;
    use proptest::prelude::*;

    fn outputs(dir: &Path) -> Vec<String> {
        ["json", "yaml", "sarif", "junit", "markdown", "table"]
            .iter()
            .map(|f| format!("-o{f}={}", dir.join(format!("report.{f}")).display()))
            .collect()
    }

    /// `check PATH` with every output format to files, the table on stdout and
    /// --fix-dir: returns stdout and stderr (files land in `out`).
    fn check_all(path: &Path, out: &Path) -> String {
        std::fs::create_dir_all(out).unwrap();
        let fix = out.join("fix");
        let mut args = vec![
            "check".to_string(),
            path.display().to_string(),
            "--fail-on".into(),
            "never".into(),
            "--fix-dir".into(),
            fix.display().to_string(),
        ];
        args.extend(outputs(out));
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let r = run(&refs);
        assert!(r.code == 0 || r.code == 2, "exit {}: {}", r.code, r.stderr);
        r.stderr
    }

    proptest! {
        // Each case runs the CLI three times against a server: few cases.
        #![proptest_config(ProptestConfig { cases: 6, ..ProptestConfig::default() })]

        #[test]
        fn no_input_key_material_in_any_byte_written_and_every_path_inside_its_folder(
            name in "\\PC{1,60}",
            key_name in "\\PC{1,60}",
            prefix in prop::collection::vec(any::<u8>(), 0..24),
            suffix in prop::collection::vec(any::<u8>(), 0..24),
            how in 0usize..6,
        ) {
            use base64::Engine as _;
            let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
            let key = rcgen::KeyPair::generate().unwrap();
            let (pem, der) = (key.serialize_pem(), key.serialize_der());
            let mut value = prefix.clone();
            value.extend_from_slice(wrap_key(&pem, &der, how).as_bytes());
            value.extend_from_slice(&suffix);
            let secret = json!({"apiVersion": "v1", "kind": "Secret",
                "metadata": {"name": name, "namespace": "karmada-system"},
                "data": {key_name.clone(): b64(&value), "tls.crt": b64(&value)}});
            let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
            let needles = vec![
                body[..40].to_string(),
                b64(&der)[..40].to_string(),
                b64(pem.as_bytes())[..40].to_string(),
                "PRIVATE KEY".to_string(),
            ];
            let dir = tempfile::tempdir().unwrap();

            // Offline: the Secret as a file, next to an official install.
            let input = dir.path().join("input");
            common::copy_dir(
                &Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/karmada-v0.10.1"),
                &input,
            );
            std::fs::write(input.join("secret.json"), secret.to_string()).unwrap();
            let offline = dir.path().join("offline");
            let stderr = check_all(&input, &offline);
            prop_assert!(offline.join("fix/PLAN.md").is_file(), "{stderr}");
            for n in &needles {
                prop_assert!(!stderr.contains(n.as_str()), "stderr holds {n:?}");
            }
            assert_confined_and_clean(&offline, &needles, "offline check");

            // Live: the same Secret served by a cluster, collected, then checked.
            let served = secret.clone();
            let server = EvilServer::start(move |t| {
                is_list(t, "secrets").then(|| Reply::Json(200, json!({"kind": "SecretList",
                    "metadata": {}, "items": [served]})))
            });
            let kc = server.kubeconfig(dir.path());
            let bundle = dir.path().join("bundle");
            let r = run(&["collect", "--out", bundle.to_str().unwrap(), "--kubeconfig", kc.to_str().unwrap()]);
            prop_assert_eq!(r.code, 0, "{}", r.stderr);
            for n in &needles {
                prop_assert!(!r.stderr.contains(n.as_str()), "collect stderr holds {n:?}");
            }
            assert_confined_and_clean(&bundle, &needles, "collect");
            let checked = dir.path().join("checked");
            let stderr = check_all(&bundle, &checked);
            for n in &needles {
                prop_assert!(!stderr.contains(n.as_str()), "stderr holds {n:?}");
            }
            assert_confined_and_clean(&checked, &needles, "check of the bundle");
        }
    }
}

/// Terminal escapes from a server (a 403 message, `gitVersion`) or a file (its name)
/// never reach the terminal raw: no ESC, BEL or carriage return on stderr, in the table
/// or in markdown.
#[test]
fn escapes_from_servers_and_file_names_reach_no_output_raw() {
    let raw = |s: &str| s.contains(['\u{1b}', '\u{7}', '\r']);
    let evil = "\u{1b}[2J\u{1b}]0;pwned\u{7}\r\nall checks passed";
    let server = EvilServer::start(move |t| {
        if t == "/version" {
            return Some(Reply::Json(
                200,
                json!({"gitVersion": format!("v1.25.0{evil}")}),
            ));
        }
        is_list(t, "deployments").then(|| {
            Reply::Json(
                403,
                json!({"kind": "Status", "code": 403, "reason": "Forbidden",
                "message": format!("nope{evil}{}", "x".repeat(100_000))}),
            )
        })
    });
    let r = check_probe(&server, "Deployment", "apps/v1", &[]);
    assert!(!raw(&r.stderr), "{:?}", r.stderr);
    assert!(r.stderr.contains("\\u{1b}[2J"), "{}", r.stderr);
    assert!(
        r.stderr.len() < 20_000,
        "{} bytes of stderr",
        r.stderr.len()
    );
    assert!(!raw(&r.report.to_string()));

    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    common::copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/karmada-v0.10.1"),
        &input,
    );
    std::fs::write(input.join(format!("bad{evil}.yaml")), "a: [\n").unwrap();
    for format in ["table", "markdown"] {
        let out = Command::cargo_bin("karmada-preflight")
            .unwrap()
            .args([
                "check",
                input.to_str().unwrap(),
                "-o",
                format,
                "--fail-on",
                "never",
            ])
            .timeout(RUN_TIMEOUT)
            .output()
            .unwrap();
        let (stdout, stderr) = (
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
        );
        assert!(stdout.contains("bad"), "{format}: {stdout}");
        assert!(
            !raw(&stdout) && !raw(&stderr),
            "{format}: {stdout:?} {stderr:?}"
        );
    }
}
