//! Live mode against the loopback fake API server (fakeapi): the same findings as the
//! offline check of the same files, permissions and unreachable clusters as unknowns,
//! GET only, and `collect` bundles that check the same and hold no private key.
//! Every CLI run has a process timeout, so a client bug fails a test instead of hanging.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

mod common;

use assert_cmd::Command;
use fakeapi::{load_objects_from_dir, ClusterSpec, Fault, FaultKind, RunningServer, ServerConfig};
use serde_json::{json, Value};

const RUN_TIMEOUT: Duration = Duration::from_secs(90);
/// Runs with injected faults must end well within this (a process timeout, not a speed
/// assertion: the retries and timeouts they go through add up to a few seconds).
const FAULT_RUN_TIMEOUT: Duration = Duration::from_secs(60);

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(rel)
}

fn objects(rel: &str) -> Vec<Value> {
    load_objects_from_dir(&fixture(rel)).expect("fixture objects")
}

/// karmada-apiserver and the host both get the whole v0.10.1 install (as the offline
/// bundle below does), two members the agent manifests.
fn v0_10_fleet(extra_host: Vec<Value>) -> Vec<ClusterSpec> {
    let mut karmada = ClusterSpec::new("karmada", objects("karmada-v0.10.1"));
    karmada.context = "karmada-apiserver".into();
    let mut host_objects = objects("karmada-v0.10.1");
    host_objects.extend(extra_host);
    let mut host = ClusterSpec::new("host", host_objects);
    host.context = "karmada-host".into();
    let m1 = ClusterSpec::new("member1", objects("karmada-v0.10.1/artifacts/agent"));
    let m2 = ClusterSpec::new("member2", objects("karmada-v0.10.1/artifacts/agent"));
    vec![karmada, host, m1, m2]
}

fn start(
    clusters: Vec<ClusterSpec>,
    faults: Vec<Fault>,
) -> (fakeapi::BlockingServer, tempfile::TempDir, PathBuf) {
    let server = RunningServer::start_blocking(ServerConfig {
        clusters,
        faults,
        ..Default::default()
    })
    .expect("fake apiserver");
    let dir = tempfile::tempdir().unwrap();
    let kc = dir.path().join("kubeconfig");
    server.write_kubeconfig(&kc).unwrap();
    (server, dir, kc)
}

struct Run {
    code: i32,
    report: Value,
    stderr: String,
}

fn cli(args: &[&str]) -> Run {
    cli_within(args, RUN_TIMEOUT)
}

fn cli_within(args: &[&str], timeout: Duration) -> Run {
    let out = Command::cargo_bin("karmada-preflight")
        .unwrap()
        .args(args)
        // Live defaults must come from the flags, not from the machine running the tests.
        .env_remove("KUBECONFIG")
        .timeout(timeout)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let report = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    Run {
        code: out.status.code().unwrap_or(-1),
        report,
        stderr,
    }
}

fn live_check(kc: &Path, extra: &[&str]) -> Run {
    live_check_within(kc, extra, RUN_TIMEOUT)
}

fn live_check_within(kc: &Path, extra: &[&str], timeout: Duration) -> Run {
    let mut args = vec![
        "check",
        "--kubeconfig",
        kc.to_str().unwrap(),
        "--member",
        "member1=member1",
        "--member",
        "member2=member2",
        "-o",
        "json",
    ];
    args.extend_from_slice(extra);
    cli_within(&args, timeout)
}

fn keys(report: &Value, skip_rules: &[&str]) -> BTreeSet<String> {
    common::finding_keys(report, skip_rules)
}

/// Rules over karmada and host objects that a member-only or read-only fault leaves alone.
fn karmada_and_host_rules_still_report(report: &Value) {
    for rule in ["apiserver-front-proxy-flags", "cluster-apiservice"] {
        assert_eq!(finding(report, rule)[0]["status"], "action", "{rule}");
    }
}

fn finding<'a>(report: &'a Value, rule: &str) -> Vec<&'a Value> {
    report["findings"]
        .as_array()
        .map(|a| a.iter().filter(|f| f["rule"] == rule).collect())
        .unwrap_or_default()
}

/// `collect --out DIR`, which must succeed.
fn collect_to(kc: &Path, out: &Path, extra: &[&str]) {
    let mut args = vec![
        "collect",
        "--out",
        out.to_str().unwrap(),
        "--kubeconfig",
        kc.to_str().unwrap(),
    ];
    args.extend(extra);
    let run = cli(&args);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

/// The same check, live and on an offline folder, in one phase, never failing on findings.
fn live_and_offline(kc: &Path, dir: &Path, phase: &str, extra: &[&str]) -> (Run, Run) {
    let common = ["--phase", phase, "--fail-on", "never"];
    let live_args: Vec<&str> = common.iter().chain(extra).copied().collect();
    let live = live_check(kc, &live_args);
    assert_eq!(live.code, 0, "{}", live.stderr);
    let mut args = vec!["check", dir.to_str().unwrap(), "-o", "json"];
    args.extend(common);
    args.extend(extra);
    let offline = cli(&args);
    assert_eq!(offline.code, 0, "{}", offline.stderr);
    (live, offline)
}

/// Rules whose subject is the input itself, or that use what only a live run knows
/// (a list was complete, so an absent Deployment is absent): plain files cannot say.
const NOT_COMPARABLE: &[&str] = &[
    "input-valid",
    "cluster-api-served",
    "aggregated-apiserver-ready",
];

#[test]
fn live_check_reports_what_the_offline_check_of_the_same_files_reports() {
    let (server, dir, kc) = start(v0_10_fleet(vec![]), vec![]);
    // The same files as an offline bundle with the same scopes.
    let bundle = dir.path().join("offline");
    common::copy_dir(&fixture("karmada-v0.10.1"), &bundle.join("karmada"));
    common::copy_dir(&fixture("karmada-v0.10.1"), &bundle.join("host"));
    for m in ["member1", "member2"] {
        common::copy_dir(
            &fixture("karmada-v0.10.1/artifacts/agent"),
            &bundle.join("members").join(m),
        );
    }
    for phase in ["pre", "post"] {
        let (live, offline) = live_and_offline(&kc, &bundle, phase, &[]);
        let (l, o) = (
            keys(&live.report, NOT_COMPARABLE),
            keys(&offline.report, NOT_COMPARABLE),
        );
        assert!(l.len() >= 3, "{l:?}");
        assert_eq!(l, o, "phase {phase}: live vs offline");
        // Live findings point at clusters, not files.
        let f = &finding(&live.report, "apiserver-front-proxy-flags")[0];
        assert_eq!(f["location"]["cluster"], "karmada-host", "{f}");
    }
    // cluster-api-served is live-only: pass live, skipped offline.
    let live = live_check(&kc, &[]);
    assert_eq!(
        finding(&live.report, "cluster-api-served")[0]["status"],
        "pass"
    );
    drop(server);
}

/// A rule over Secrets in the host cluster, through a user rule folder (no bundled rule
/// reads Secrets yet).
fn secret_rule_dir(dir: &Path) -> PathBuf {
    let rules = dir.join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    std::fs::write(
        rules.join("host-secrets.yaml"),
        r#"id: KPT001
name: host-secrets-readable
pack: test
title: Secrets can be listed in the host cluster
template: api-served
params: {kind: Secret, apiVersion: v1, scope: host, command: kubectl get secrets -A}
phases: {pre: error, post: error}
checks: listing secrets works
why: test
fix: test
"#,
    )
    .unwrap();
    rules
}

#[test]
fn forbidden_reads_make_only_the_rules_that_need_them_unknown() {
    let faults = vec![
        Fault::new("host", FaultKind::Status(403)).resource("secrets"),
        Fault::new("karmada", FaultKind::Status(403)).resource("customresourcedefinitions"),
    ];
    let (server, dir, kc) = start(v0_10_fleet(vec![]), faults);
    let rules = secret_rule_dir(dir.path());
    let run = live_check(&kc, &["--rules", rules.to_str().unwrap(), "--phase", "pre"]);
    assert_eq!(
        run.code, 0,
        "unknowns do not fail the default --fail-on error: {}",
        run.stderr
    );
    let s = &finding(&run.report, "host-secrets-readable")[0];
    assert_eq!(s["status"], "unknown", "{s}");
    let msg = s["message"].as_str().unwrap();
    assert!(
        msg.contains("cannot list secrets in karmada-system: forbidden"),
        "{msg}"
    );
    // The engine: cluster-crd-removed reads CRDs, which were forbidden.
    let c = &finding(&run.report, "cluster-crd-removed")[0];
    assert_eq!(c["status"], "unknown", "{c}");
    assert!(
        c["message"].as_str().unwrap().contains(
            "cannot list customresourcedefinitions.apiextensions.k8s.io cluster-wide: forbidden"
        ),
        "{c}"
    );
    // The other rules still ran.
    karmada_and_host_rules_still_report(&run.report);
    assert!(run.stderr.contains("forbidden"), "{}", run.stderr);
    drop(server);
}

/// A rule with one finding per member (`api-served` judges gaps itself, so an unreadable
/// member is `unknown` for that member alone).
fn members_rule_dir(dir: &Path) -> PathBuf {
    let rules = dir.join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    std::fs::write(
        rules.join("members.yaml"),
        r#"id: KPT002
name: members-serve-deployments
pack: test
title: Deployments can be listed in every member
template: api-served
params: {kind: Deployment, apiVersion: apps/v1, scope: member, command: kubectl get deployments -A}
phases: {pre: error, post: error}
checks: listing works
why: test
fix: test
"#,
    )
    .unwrap();
    rules
}

#[test]
fn an_unreachable_member_makes_its_rules_unknown_and_no_cluster_at_all_exits_2() {
    let mut fleet = v0_10_fleet(vec![]);
    fleet[3].unreachable = true; // member2
    let (server, dir, kc) = start(fleet, vec![]);
    let rules = members_rule_dir(dir.path());
    let run = live_check(&kc, &["--rules", rules.to_str().unwrap(), "--phase", "pre"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let m = finding(&run.report, "members-serve-deployments");
    let by_member = |name: &str| {
        m.iter()
            .find(|f| f["object"]["scope"] == format!("member/{name}"))
            .unwrap_or_else(|| panic!("no finding for {name}: {m:?}"))
    };
    assert_eq!(by_member("member1")["status"], "pass");
    let m2 = by_member("member2");
    assert_eq!(m2["status"], "unknown");
    assert!(
        m2["message"].as_str().unwrap().contains("cluster member2"),
        "{m2}"
    );
    assert!(run.stderr.contains("member2"), "{}", run.stderr);
    // The rest is reported as usual.
    assert_eq!(
        finding(&run.report, "apiserver-front-proxy-flags")[0]["status"],
        "action"
    );
    drop(server);

    // Nothing reachable at all: exit 2.
    let mut fleet = v0_10_fleet(vec![]);
    for c in &mut fleet {
        c.unreachable = true;
    }
    let (server, _dir, kc) = start(fleet, vec![]);
    let run = live_check(&kc, &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("no cluster could be read"),
        "{}",
        run.stderr
    );
    drop(server);
}

fn private_key_secret() -> (Value, String) {
    let key = rcgen::KeyPair::generate().unwrap();
    let pem = key.serialize_pem();
    let params = rcgen::CertificateParams::new(vec!["front-proxy-client".to_string()]).unwrap();
    let cert = params.self_signed(&key).unwrap().pem();
    use base64::Engine;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let secret = json!({
        "apiVersion": "v1", "kind": "Secret", "type": "Opaque",
        "metadata": {"name": "front-proxy", "namespace": "karmada-system",
            "annotations": {"kubectl.kubernetes.io/last-applied-configuration": format!("{{\"data\":{{\"k\":\"{}\"}}}}", b64(&pem))}},
        "data": {"front-proxy-client.crt": b64(&cert), "front-proxy-client.key": b64(&pem)},
        "stringData": {"token": pem.clone()}
    });
    (secret, pem)
}

#[test]
fn collect_then_check_equals_live_and_the_bundle_holds_no_private_key() {
    let (secret, pem) = private_key_secret();
    let (server, dir, kc) = start(v0_10_fleet(vec![secret]), vec![]);
    let rules = secret_rule_dir(dir.path());
    let rules_arg = rules.to_str().unwrap();
    let out = dir.path().join("bundle");
    let members = ["--member", "member1=member1", "--member", "member2=member2"];
    collect_to(&kc, &out, &[&members[..], &["--rules", rules_arg]].concat());
    assert!(out.join("host/deployments.apps.yaml").is_file());
    assert!(out.join("host/secrets.yaml").is_file());
    assert!(out
        .join("karmada/apiservices.apiregistration.k8s.io.yaml")
        .is_file());
    assert!(out.join("collected.yaml").is_file());

    for phase in ["pre", "post"] {
        let (live, offline) = live_and_offline(&kc, &out, phase, &["--rules", rules_arg]);
        assert_eq!(
            keys(&live.report, &[]),
            keys(&offline.report, &[]),
            "phase {phase}"
        );
    }
    // An empty list in the bundle still reads as "listed": cluster-api-served passes
    // from the manifest, as it did live.
    let offline = cli(&["check", out.to_str().unwrap(), "-o", "json"]);
    assert_eq!(
        finding(&offline.report, "cluster-api-served")[0]["status"],
        "pass"
    );

    // No key material anywhere: PEM, its base64, or the base64 body lines.
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(&pem);
    let body: Vec<&str> = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let mut files = Vec::new();
    walk(&out, &mut files);
    assert!(files.len() >= 4);
    let mut saw_marker = false;
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        assert!(!text.contains("PRIVATE KEY"), "{}", f.display());
        assert!(!text.contains(&b64[..40]), "{}", f.display());
        for l in &body {
            assert!(!text.contains(l), "{} holds key bytes", f.display());
        }
        saw_marker |= text.contains("REDACTED sha256:");
    }
    assert!(saw_marker, "redacted values are marked");
    drop(server);
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            walk(&p, out);
        } else {
            out.push(p);
        }
    }
}

#[test]
fn live_mode_sends_only_get_and_lists_each_resource_once() {
    let (server, dir, kc) = start(v0_10_fleet(vec![]), vec![]);
    let run = live_check(&kc, &[]);
    assert!(run.code == 0 || run.code == 1, "{}", run.stderr);
    let out = dir.path().join("b");
    collect_to(&kc, &out, &["--member", "m1=member1"]);
    let log = server.request_log();
    assert!(log.len() > 10);
    for r in &log {
        assert_eq!(r.method, "GET", "{r:?}");
        assert!(!r.query.contains("resourceVersion=0"), "{r:?}");
    }
    // Per CLI run, no (cluster, list path) is listed twice: count the first page of each
    // list (no continue token) over both runs, at most 2.
    let mut seen = std::collections::BTreeMap::new();
    for r in log
        .iter()
        .filter(|r| r.query.contains("limit=") && !r.query.contains("continue="))
    {
        *seen.entry((r.cluster.clone(), r.path.clone())).or_insert(0) += 1;
    }
    for (k, n) in seen {
        assert!(n <= 2, "{k:?} listed {n} times in two runs");
    }
    drop(server);
}

#[test]
fn pagination_survives_410_and_429() {
    // 1200 Deployments in the host: three pages of 500 and an expired continue token
    // once; StatefulSets always answer 429 with Retry-After: 1.
    let mut host_objects = objects("karmada-v0.10.1");
    for i in 0..1200 {
        host_objects.push(json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": format!("filler-{i:04}"), "namespace": "apps"},
            "spec": {"template": {"spec": {"containers": [{"name": "c", "image": "nginx"}]}}}}));
    }
    let mut host = ClusterSpec::new("host", host_objects);
    host.context = "karmada-host".into();
    let mut karmada = ClusterSpec::new("karmada", objects("karmada-v0.10.1"));
    karmada.context = "karmada-apiserver".into();
    let faults = vec![
        Fault::new("host", FaultKind::GoneOnContinue { times: 1 }).resource("deployments"),
        Fault::new(
            "host",
            FaultKind::TooManyRequests {
                retry_after_secs: 1,
            },
        )
        .resource("statefulsets"),
    ];
    let (server, dir, kc) = start(vec![karmada, host], faults);
    let out = dir.path().join("b");
    collect_to(&kc, &out, &[]);
    let text = std::fs::read_to_string(out.join("host/deployments.apps.yaml")).unwrap();
    let n = text.matches("filler-").count();
    assert_eq!(n, 1200, "every filler Deployment exactly once");
    let log = server.request_log();
    let gone = log.iter().filter(|r| r.status == 410).count();
    assert_eq!(gone, 1, "one expired continue token");
    // Bounded retries that wait as told, then a gap naming the error.
    let sts: Vec<_> = log
        .iter()
        .filter(|r| r.path.ends_with("statefulsets"))
        .collect();
    assert_eq!(sts.len(), 4, "{sts:?}");
    assert!(sts.iter().all(|r| r.status == 429));
    for w in sts.windows(2) {
        let gap = w[1].at.duration_since(w[0].at).unwrap_or_default();
        assert!(
            gap >= Duration::from_millis(900),
            "Retry-After not honoured: {gap:?}"
        );
    }
    let manifest = std::fs::read_to_string(out.join("collected.yaml")).unwrap();
    assert!(
        manifest.contains("cannot list statefulsets.apps cluster-wide: 429"),
        "{manifest}"
    );
    drop(server);
}

#[test]
fn kubectl_reads_the_same_fake_server() {
    let kubectl = Path::new("/usr/bin/kubectl");
    if !kubectl.exists() {
        println!("skipping: /usr/bin/kubectl not installed");
        return;
    }
    let (server, dir, kc) = start(v0_10_fleet(vec![]), vec![]);
    let out = std::process::Command::new(kubectl)
        .arg("--kubeconfig")
        .arg(&kc)
        .arg("--context")
        .arg("karmada-host")
        .arg("--cache-dir")
        .arg(dir.path().join("cache"))
        .args([
            "--request-timeout=10s",
            "get",
            "deployments",
            "-A",
            "-o",
            "name",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let names = String::from_utf8_lossy(&out.stdout);
    assert!(
        names.contains("deployment.apps/karmada-apiserver"),
        "{names}"
    );
    drop(server);
}

#[test]
fn rbac_prints_read_only_cluster_roles_per_scope() {
    let out = Command::cargo_bin("karmada-preflight")
        .unwrap()
        .arg("rbac")
        .timeout(RUN_TIMEOUT)
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("name: karmada-preflight-reader-karmada"),
        "{text}"
    );
    assert!(
        text.contains("name: karmada-preflight-reader-host"),
        "{text}"
    );
    assert!(text.contains("- apiservices"), "{text}");
    assert!(text.contains("- deployments"), "{text}");
    for verb in ["create", "update", "patch", "delete", "watch", "\"*\""] {
        assert!(!text.contains(verb), "{verb} in {text}");
    }
    // Without the flag the proxy permission is only mentioned, with it granted (get).
    assert!(text.contains("# with check --members-via-proxy"), "{text}");
    assert!(!text.contains("- clusters/proxy"), "{text}");
    let out = Command::cargo_bin("karmada-preflight")
        .unwrap()
        .args(["rbac", "--members-via-proxy"])
        .timeout(RUN_TIMEOUT)
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let karmada = text
        .split("---")
        .find(|d| d.contains("name: karmada-preflight-reader-karmada"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(karmada.contains("- clusters/proxy"), "{karmada}");
    assert!(karmada.contains("- clusters\n"), "{karmada}");
    for verb in ["create", "update", "patch", "delete", "watch", "\"*\""] {
        assert!(!text.contains(verb), "{verb} in {text}");
    }
}

#[test]
fn a_hanging_list_times_out_and_only_its_rules_become_unknown() {
    let faults = vec![Fault::new("karmada", FaultKind::Hang).resource("apiservices")];
    let (server, _dir, kc) = start(v0_10_fleet(vec![]), faults);
    // A bounded run, not a speed claim: the process is killed if it outlives the budget
    // (a hang), which fails the exit-code assertion.
    let run = live_check_within(
        &kc,
        &["--request-timeout", "1s", "--phase", "pre"],
        Duration::from_secs(60),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let a = &finding(&run.report, "cluster-apiservice")[0];
    assert_eq!(a["status"], "unknown", "{a}");
    assert!(
        a["message"]
            .as_str()
            .unwrap()
            .contains("no answer within 1s"),
        "{a}"
    );
    assert_eq!(
        finding(&run.report, "cluster-crd-removed")[0]["status"],
        "action"
    );
    drop(server);
}

/// A v1.0.0 install: karmada-apiserver registers `registered` as Clusters, the host runs
/// the control plane, member1 and member2 the agent. The proxy kubeconfig has only the
/// karmada-apiserver and karmada-host contexts, so members are reachable only through
/// the cluster proxy; the full one has every context, for the direct comparison.
fn start_proxied(
    registered: &[&str],
    faults: Vec<Fault>,
) -> (fakeapi::BlockingServer, tempfile::TempDir, PathBuf, PathBuf) {
    let mut karmada_objects = objects("karmada-v1.0.0");
    karmada_objects.extend(registered.iter().map(|n| {
        json!({"apiVersion": "cluster.karmada.io/v1alpha1", "kind": "Cluster",
               "metadata": {"name": n}, "spec": {"syncMode": "Push"}})
    }));
    let mut karmada = ClusterSpec::new("karmada", karmada_objects);
    karmada.context = "karmada-apiserver".into();
    let mut host = ClusterSpec::new("host", objects("karmada-v1.0.0"));
    host.context = "karmada-host".into();
    let mut members: Vec<ClusterSpec> = ["member1", "member2"]
        .iter()
        .map(|m| ClusterSpec::new(*m, objects("karmada-v1.0.0/artifacts/agent")))
        .collect();
    // Distinct from karmada's, so a member /version read through the proxy shows.
    members[0].git_version = "v1.23.4".into();
    let mut clusters = vec![karmada, host];
    clusters.extend(members);
    let server = RunningServer::start_blocking(ServerConfig {
        clusters,
        faults,
        proxy_members: true,
        ..Default::default()
    })
    .expect("fake apiserver");
    let dir = tempfile::tempdir().unwrap();
    let full = dir.path().join("kubeconfig");
    server.write_kubeconfig(&full).unwrap();
    let proxied = dir.path().join("kubeconfig-proxy");
    std::fs::write(
        &proxied,
        server.kubeconfig_yaml_only(&["karmada-apiserver", "karmada-host"]),
    )
    .unwrap();
    (server, dir, full, proxied)
}

fn proxy_check(kc: &Path, extra: &[&str]) -> Run {
    let mut args = vec![
        "check",
        "--kubeconfig",
        kc.to_str().unwrap(),
        "--members-via-proxy",
        "-o",
        "json",
        "--phase",
        "pre",
        "--fail-on",
        "never",
    ];
    args.extend_from_slice(extra);
    cli(&args)
}

const PROXY_PREFIX: &str = "/apis/cluster.karmada.io/v1alpha1/clusters/";

#[test]
fn members_via_proxy_report_what_direct_member_contexts_report() {
    let (server, _dir, full, proxied) = start_proxied(&["member1", "member2"], vec![]);
    let direct = live_check(&full, &["--phase", "pre", "--fail-on", "never"]);
    assert_eq!(direct.code, 0, "{}", direct.stderr);
    server.clear_request_log();
    let via = proxy_check(&proxied, &[]);
    assert_eq!(via.code, 0, "{}", via.stderr);
    assert_eq!(keys(&via.report, &[]), keys(&direct.report, &[]));
    for m in ["member1", "member2"] {
        let scope = format!("member/{m}");
        assert!(
            finding(&via.report, "agent-impersonate-rbac")
                .iter()
                .any(|f| f["object"]["scope"] == scope.as_str() && f["status"] != "unknown"),
            "no agent-impersonate-rbac finding for {scope}: {}",
            via.report
        );
    }

    // Only GETs, members never contacted directly, and each member read through karmada.
    let log = server.request_log();
    for r in &log {
        assert_eq!(r.method, "GET", "{r:?}");
        assert!(r.cluster == "karmada" || r.cluster == "host", "{r:?}");
    }
    for m in ["member1", "member2"] {
        let prefix = format!("{PROXY_PREFIX}{m}/proxy/");
        let n = log
            .iter()
            .filter(|r| r.cluster == "karmada" && r.path.starts_with(&prefix))
            .count();
        assert!(n > 0, "no proxied read of {m}: {log:?}");
    }
    drop(server);
}

#[test]
fn a_forbidden_or_unreachable_proxy_member_makes_only_its_rules_unknown() {
    // member2: get clusters/proxy forbidden; member3: registered, but no such cluster runs.
    let faults = vec![Fault::new("karmada", FaultKind::Status(403))
        .resource("clusters/proxy")
        .name("member2")];
    let (server, dir, _full, proxied) = start_proxied(&["member1", "member2", "member3"], faults);
    let rules = members_rule_dir(dir.path());
    let via = proxy_check(&proxied, &["--rules", rules.to_str().unwrap()]);
    assert_eq!(via.code, 0, "{}", via.stderr);
    let served = finding(&via.report, "members-serve-deployments");
    let of = |m: &str| {
        served
            .iter()
            .find(|f| f["object"]["scope"] == format!("member/{m}"))
            .unwrap_or_else(|| panic!("no finding for {m}: {served:?}"))
    };
    assert_eq!(of("member1")["status"], "pass", "{}", of("member1"));
    for (m, why) in [
        ("member2", "cannot get resource \"clusters/proxy\""),
        ("member3", "error trying to reach cluster member3"),
    ] {
        let f = of(m);
        assert_eq!(f["status"], "unknown", "{f}");
        let msg = f["message"].as_str().unwrap_or("");
        assert!(msg.contains(m) && msg.contains(why), "{m}: {msg}");
    }
    // A rule over every member's objects keeps what it says about member1; only the
    // unread members' part is unknown, each naming its member. Rules that read no member
    // are unaffected.
    let rbac = finding(&via.report, "agent-impersonate-rbac");
    let rbac_of = |m: &str| {
        rbac.iter()
            .find(|f| f["object"]["scope"] == format!("member/{m}"))
            .unwrap_or_else(|| panic!("no agent-impersonate-rbac finding for {m}: {rbac:?}"))
    };
    assert_eq!(
        rbac_of("member1")["status"],
        "pass",
        "{}",
        rbac_of("member1")
    );
    for m in ["member2", "member3"] {
        let f = rbac_of(m);
        assert_eq!(f["status"], "unknown", "{f}");
        let msg = f["message"].as_str().unwrap_or("");
        assert!(msg.contains(&format!("(member/{m})")), "{msg}");
    }
    assert_eq!(rbac.len(), 3, "{rbac:?}");
    assert!(finding(&via.report, "apiserver-front-proxy-flags")
        .iter()
        .all(|f| f["status"] != "unknown"));
    assert!(via.stderr.contains("member2"), "{}", via.stderr);
    assert!(server.request_log().iter().all(|r| r.method == "GET"));
    drop(server);
}

/// One fault on member2's Deployments (which hold `fillers` extra Deployments, so lists
/// have several pages), read by a CEL rule over member Deployments (which, unlike the
/// `api-served` template, leaves gaps to the engine): the run ends (FAULT_RUN_TIMEOUT is a
/// process timeout), exits 0, the rule is unknown with a reason naming the resource and
/// member2, and the karmada/host rules still report. Returns the rule's message.
fn member2_deployments_fault(fault: FaultKind, fillers: usize, extra: &[&str]) -> String {
    let mut fleet = v0_10_fleet(vec![]);
    for i in 0..fillers {
        fleet[3]
            .objects
            .push(json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": format!("filler-{i:04}"), "namespace": "apps"},
            "spec": {"template": {"spec": {"containers": [{"name": "c", "image": "nginx"}]}}}}));
    }
    let faults = vec![Fault::new("member2", fault).resource("deployments")];
    let (server, dir, kc) = start(fleet, faults);
    let rules = dir.path().join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    std::fs::write(
        rules.join("containers.yaml"),
        r#"id: KPT003
name: member-deployments-have-containers
pack: test
title: Member Deployments have containers
template: cel
params:
  match: {apiVersion: apps/v1, kind: Deployment, scope: member}
  expression: size(object.spec.template.spec.containers) > 0
phases: {pre: error, post: error}
why: test
fix: test
"#,
    )
    .unwrap();
    let mut args = vec!["--rules", rules.to_str().unwrap(), "--phase", "pre"];
    args.extend_from_slice(extra);
    let run = live_check_within(&kc, &args, FAULT_RUN_TIMEOUT);
    assert_eq!(
        run.code, 0,
        "unknowns do not fail --fail-on error: {}",
        run.stderr
    );
    let f = &finding(&run.report, "member-deployments-have-containers");
    assert!(!f.is_empty(), "{}", run.report);
    let u = f
        .iter()
        .find(|f| f["status"] == "unknown")
        .unwrap_or_else(|| panic!("no unknown: {f:?}"));
    let msg = u["message"].as_str().unwrap().to_string();
    assert!(
        msg.contains("cannot list deployments.apps cluster-wide") && msg.contains("member2"),
        "{msg}"
    );
    assert!(
        u["evidence"].to_string().contains("in cluster member2"),
        "{u}"
    );
    karmada_and_host_rules_still_report(&run.report);
    for r in server.request_log() {
        assert_eq!(r.method, "GET", "{r:?}");
    }
    drop(server);
    msg
}

#[test]
fn a_connection_closed_mid_list_makes_only_that_members_rule_unknown() {
    let msg = member2_deployments_fault(FaultKind::CloseMidBody, 0, &[]);
    assert!(msg.contains("bad response"), "{msg}");
}

#[test]
fn a_list_slower_than_the_request_timeout_makes_its_rule_unknown() {
    let msg = member2_deployments_fault(
        FaultKind::Latency(Duration::from_secs(5)),
        0,
        &["--request-timeout", "1s"],
    );
    assert!(msg.contains("no answer within 1s"), "{msg}");
}

#[test]
fn a_continue_token_that_always_expires_makes_its_rule_unknown() {
    // 1200 Deployments: every list has a second page, whose token always gets 410.
    let msg = member2_deployments_fault(FaultKind::GoneOnContinue { times: 1000 }, 1200, &[]);
    assert!(msg.contains("410"), "{msg}");
}

#[test]
fn endless_429_makes_its_rule_unknown_after_bounded_retries() {
    let msg = member2_deployments_fault(
        FaultKind::TooManyRequests {
            retry_after_secs: 1,
        },
        0,
        &[],
    );
    assert!(msg.contains("429"), "{msg}");
}

#[test]
fn every_cluster_hanging_exits_2_within_the_budget() {
    let faults = ["karmada", "host", "member1", "member2"]
        .iter()
        .map(|c| Fault::new(*c, FaultKind::Hang))
        .collect();
    let (server, _dir, kc) = start(v0_10_fleet(vec![]), faults);
    let run = live_check_within(&kc, &["--request-timeout", "1s"], FAULT_RUN_TIMEOUT);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("no cluster could be read"),
        "{}",
        run.stderr
    );
    drop(server);
}

#[test]
fn a_torn_list_does_not_fail_an_api_served_rule_it_makes_it_unknown() {
    // A connection cut mid-list says nothing about whether the API is served: failing the
    // rule at error level would blame the installation for a flaky network.
    let faults = vec![Fault::new("member2", FaultKind::CloseMidBody).resource("deployments")];
    let (server, dir, kc) = start(v0_10_fleet(vec![]), faults);
    let rules = members_rule_dir(dir.path());
    let run = live_check(&kc, &["--rules", rules.to_str().unwrap(), "--phase", "pre"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let m = finding(&run.report, "members-serve-deployments");
    let m2 = m
        .iter()
        .find(|f| f["object"]["scope"] == "member/member2")
        .unwrap_or_else(|| panic!("no finding for member2: {m:?}"));
    assert_eq!(m2["status"], "unknown", "{m2}");
    let m1 = m
        .iter()
        .find(|f| f["object"]["scope"] == "member/member1")
        .unwrap();
    assert_eq!(m1["status"], "pass");
    drop(server);
}
