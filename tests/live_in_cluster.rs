//! `check --in-cluster` as the deploy/ CronJob runs it: a pod in the host cluster, with
//! the environment the kubelet gives every pod (`KUBERNETES_SERVICE_HOST`,
//! `KUBERNETES_SERVICE_PORT`, a service-account directory holding `token`, `ca.crt`,
//! `namespace`), and karmada-apiserver and the members in a mounted kubeconfig. The host
//! is the loopback fake API server over TLS, accepting only the service account's bearer
//! token. The service-account directory is a temp dir named by
//! `KARMADA_PREFLIGHT_SERVICE_ACCOUNT_DIR` (docs/live.md), everything else as in a pod.

use std::path::{Path, PathBuf};
use std::time::Duration;

mod common;

use common::pod::{mounted_kubeconfig, serve_with_token_host, serve_with_token_on, Pod, TOKEN};
use common::served::{HOST, KARMADA};
use common::Run;
use serde_json::Value;

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(rel)
}

fn check_args(extra: &[String]) -> Vec<String> {
    let mut a = common::check_json_args("pre");
    a.insert(1, "--in-cluster".into());
    a.extend_from_slice(extra);
    a
}

fn finding<'a>(report: &'a Value, rule: &str, name: &str) -> &'a Value {
    let f: Vec<&Value> = common::findings(report, rule)
        .into_iter()
        .filter(|f| f["object"]["name"] == name)
        .collect();
    assert_eq!(f.len(), 1, "{rule} about {name}: {f:#?}");
    f[0]
}

/// The report's input for `scope` (one cluster per scope here).
fn input<'a>(report: &'a Value, scope: &str) -> &'a Value {
    report["inputs"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|i| i["scope"] == scope)
        .unwrap_or_else(|| panic!("no {scope} input in {}", report["inputs"]))
}

/// The token never leaves the pod: not in the report, not on stderr.
fn assert_token_not_shown(run: &Run) {
    assert!(
        !run.stderr.contains(TOKEN),
        "token on stderr: {}",
        run.stderr
    );
    assert!(
        !run.report.to_string().contains(TOKEN),
        "token in the report"
    );
}

#[test]
fn the_cronjob_pod_reads_the_host_with_its_service_account_and_finds_what_offline_finds() {
    let served = serve_with_token_host();
    let pod = Pod::new(&served, TOKEN);
    let kubeconfig = mounted_kubeconfig(&served);
    let run = pod.run(&check_args(&served.live_flags_with(&kubeconfig)));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_token_not_shown(&run);

    // Host rules judged from the in-cluster read, as offline from the same files.
    let flags = finding(
        &run.report,
        "apiserver-front-proxy-flags",
        "karmada-apiserver",
    );
    assert_eq!(flags["status"], "action", "{flags}");
    assert_eq!(flags["object"]["scope"], "host", "{flags}");
    let edge = finding(&run.report, "mcs-member-version", "edge");
    assert_eq!(edge["status"], "blocker", "{edge}");

    let mut offline_args = common::check_json_args("pre");
    offline_args.push(fixture("live-mcs").display().to_string());
    let offline = common::run_bounded(&offline_args, Duration::from_secs(90));
    let skip = common::LIVE_ONLY;
    assert_eq!(
        common::finding_keys(&run.report, skip),
        common::finding_keys(&offline.report, skip)
    );

    // The host input is the in-cluster server, read with the token (the fake server
    // accepts nothing else there), and only with GETs.
    let host_input = input(&run.report, "host");
    assert_eq!(host_input["live"]["cluster"], "in-cluster", "{host_input}");
    assert_eq!(host_input["live"]["gaps"], 0, "{host_input}");
    let host_requests: Vec<_> = served
        .server
        .request_log()
        .into_iter()
        .filter(|r| r.cluster == HOST)
        .collect();
    assert!(!host_requests.is_empty());
    for r in &host_requests {
        assert_eq!(r.method, "GET", "{r:?}");
        assert_eq!(r.user.as_deref(), Some("fakeapi-token-user"), "{r:?}");
    }
}

#[test]
fn in_cluster_alone_judges_the_host_and_says_why_karmada_apiserver_is_unknown() {
    let served = serve_with_token_host();
    let pod = Pod::new(&served, TOKEN);
    let run = pod.run(&check_args(&[]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let flags = finding(
        &run.report,
        "apiserver-front-proxy-flags",
        "karmada-apiserver",
    );
    assert_eq!(flags["status"], "action", "{flags}");
    let crd = common::only(&run.report, "cluster-crd-removed");
    assert_eq!(crd["status"], "unknown", "{crd}");
    assert!(
        crd["message"]
            .as_str()
            .unwrap()
            .contains("--in-cluster reads the host"),
        "{crd}"
    );
    // No kubeconfig was read: only the in-cluster server was asked anything.
    let clusters: std::collections::BTreeSet<String> = served
        .server
        .request_log()
        .into_iter()
        .map(|r| r.cluster)
        .collect();
    assert_eq!(clusters, [HOST.to_string()].into_iter().collect());
}

#[test]
fn a_wrong_token_makes_the_host_rules_unknown_naming_the_in_cluster_server() {
    let served = serve_with_token_host();
    let pod = Pod::new(&served, "not-the-service-account-token");
    let kubeconfig = mounted_kubeconfig(&served);
    let run = pod.run(&check_args(&served.live_flags_with(&kubeconfig)));
    assert_eq!(run.code, 0, "karmada-apiserver was read: {}", run.stderr);
    let flags = common::only(&run.report, "apiserver-front-proxy-flags");
    assert_eq!(flags["status"], "unknown", "{flags}");
    let msg = flags["message"].as_str().unwrap();
    assert!(msg.contains("in-cluster") && msg.contains("401"), "{flags}");
    assert!(!run
        .report
        .to_string()
        .contains("not-the-service-account-token"));
    // The karmada side still judged.
    let edge = finding(&run.report, "mcs-member-version", "edge");
    assert_eq!(edge["status"], "blocker", "{edge}");
}

#[test]
fn a_wrong_token_with_nothing_else_to_read_exits_2_naming_the_cluster() {
    let served = serve_with_token_host();
    let pod = Pod::new(&served, "not-the-service-account-token");
    let run = pod.run(&check_args(&[]));
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("no cluster could be read") && run.stderr.contains("in-cluster"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("not-the-service-account-token"));
}

#[test]
fn outside_a_pod_in_cluster_says_what_is_missing() {
    let served = serve_with_token_host();
    let mut pod = Pod::new(&served, TOKEN);
    pod.host = String::new();
    let run = pod.run(&check_args(&[]));
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("--in-cluster: KUBERNETES_SERVICE_HOST is not set"),
        "{}",
        run.stderr
    );
    let pod = Pod::new(&served, TOKEN);
    std::fs::remove_file(pod.sa_dir.path().join("token")).unwrap();
    let run = pod.run(&check_args(&[]));
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("--in-cluster: service-account token") && run.stderr.contains("token"),
        "{}",
        run.stderr
    );
}

#[test]
fn in_cluster_karmada_reads_karmada_apiserver_with_the_token_and_the_rest_from_the_kubeconfig() {
    let served = serve_with_token_on(KARMADA);
    let pod = Pod::in_cluster(&served, KARMADA, TOKEN);
    // The kubeconfig holds the host and the members, not karmada-apiserver.
    let mut names = vec![HOST];
    names.extend(served.members.iter().map(String::as_str));
    let kubeconfig = served.dir.path().join("host-and-members.kubeconfig");
    std::fs::write(&kubeconfig, served.server.kubeconfig_yaml_only(&names)).unwrap();
    let mut args = check_args(&served.live_flags_with(&kubeconfig));
    args[1] = "--in-cluster=karmada".into();
    let run = pod.run(&args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_token_not_shown(&run);
    let edge = finding(&run.report, "mcs-member-version", "edge");
    assert_eq!(edge["status"], "blocker", "{edge}");
    let flags = finding(
        &run.report,
        "apiserver-front-proxy-flags",
        "karmada-apiserver",
    );
    assert_eq!(flags["status"], "action", "{flags}");
    let karmada_input = input(&run.report, "karmada");
    assert_eq!(
        karmada_input["live"]["cluster"], "in-cluster",
        "{karmada_input}"
    );
    for r in served
        .server
        .request_log()
        .iter()
        .filter(|r| r.cluster == KARMADA)
    {
        assert_eq!(r.user.as_deref(), Some("fakeapi-token-user"), "{r:?}");
    }

    // The same scope twice is refused before anything is read.
    let mut both = args.clone();
    both.extend([
        "--karmada-context".to_string(),
        "karmada-apiserver".to_string(),
    ]);
    let run = pod.run(&both);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("--in-cluster=karmada and --karmada-context"),
        "{}",
        run.stderr
    );
}
