//! The manifests in deploy/ as an operator applies them: every file parses, the
//! ClusterRoles are exactly what `karmada-preflight rbac` prints, the bindings name those
//! roles and the service account, and the CronJob's command line is one the CLI accepts.
//! Then the CronJob's own arguments run in a pod's environment against the loopback
//! server (host by service-account token, the rest by the mounted kubeconfig) and write
//! the markdown and JSON reports to stdout and to the reports volume.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use clap::Parser;
use karmada_preflight::cli::live_args::LiveArgs;
use karmada_preflight::cli::output::Format;
use karmada_preflight::cli::{Cli, Command};
use karmada_preflight::sources::live::in_cluster::InClusterScope;
use karmada_preflight::sources::yaml::parse_documents;
use karmada_preflight::sources::Limits;
use serde_json::Value;

mod common;

use common::pod::{mounted_kubeconfig, serve_with_token_host, Pod, TOKEN};

fn deploy_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy")
}

/// Every document of every file in deploy/, by file name; a file that is not clean
/// YAML, or a document without apiVersion, kind and metadata.name, fails the test.
fn manifests() -> BTreeMap<String, Vec<Value>> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(deploy_dir()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut docs = Vec::new();
        let outcome = parse_documents(&text, &Limits::default(), |d| docs.push(d.value()));
        assert!(
            outcome.problems.is_empty(),
            "deploy/{name}: {:?}",
            outcome.problems
        );
        assert!(!docs.is_empty(), "deploy/{name} holds no document");
        for d in &docs {
            for field in ["/apiVersion", "/kind", "/metadata/name"] {
                assert!(
                    d.pointer(field).and_then(Value::as_str).is_some(),
                    "deploy/{name}: a document without {field}: {d}"
                );
            }
        }
        out.insert(name, docs);
    }
    out
}

fn of_kind<'a>(all: &'a BTreeMap<String, Vec<Value>>, kind: &str) -> Vec<&'a Value> {
    all.values()
        .flatten()
        .filter(|d| d["kind"] == kind)
        .collect()
}

fn cronjob(all: &BTreeMap<String, Vec<Value>>) -> &Value {
    let jobs = of_kind(all, "CronJob");
    assert_eq!(jobs.len(), 1, "{jobs:#?}");
    jobs[0]
}

fn container(job: &Value) -> &Value {
    let c = &job["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"];
    assert_eq!(c.as_array().map(Vec::len), Some(1), "{c}");
    &c[0]
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("not a list: {v}"))
        .iter()
        .map(|s| s.as_str().expect("a string").to_string())
        .collect()
}

#[test]
fn every_file_in_deploy_parses_and_says_what_it_is() {
    let all = manifests();
    let kinds: Vec<String> = all
        .values()
        .flatten()
        .map(|d| d["kind"].as_str().unwrap().to_string())
        .collect();
    for want in [
        "Namespace",
        "ServiceAccount",
        "ClusterRole",
        "ClusterRoleBinding",
        "CronJob",
    ] {
        assert!(kinds.iter().any(|k| k == want), "no {want} in {kinds:?}");
    }
}

#[test]
fn the_cluster_roles_are_exactly_what_rbac_prints() {
    let (code, printed, stderr) = common::preflight(&["rbac"]);
    assert_eq!(code, 0, "{stderr}");
    let shipped = std::fs::read_to_string(deploy_dir().join("clusterroles.yaml")).unwrap();
    assert!(
        shipped == printed,
        "deploy/clusterroles.yaml is not what `karmada-preflight rbac` prints; regenerate it: \
         cargo run -q -- rbac > deploy/clusterroles.yaml"
    );
    // Read-only, every rule.
    let all = manifests();
    for role in of_kind(&all, "ClusterRole") {
        for rule in role["rules"].as_array().unwrap() {
            for verb in strings(&rule["verbs"]) {
                assert!(["get", "list"].contains(&verb.as_str()), "{role}");
            }
        }
    }
}

#[test]
fn the_bindings_give_each_scope_its_role_and_the_host_role_to_the_cronjob_account() {
    let all = manifests();
    let roles: Vec<&str> = of_kind(&all, "ClusterRole")
        .iter()
        .map(|r| r["metadata"]["name"].as_str().unwrap())
        .collect();
    let bindings = of_kind(&all, "ClusterRoleBinding");
    assert_eq!(bindings.len(), roles.len(), "one binding per role");
    for b in &bindings {
        let role = b["roleRef"]["name"].as_str().unwrap();
        assert!(roles.contains(&role), "{b}");
        assert_eq!(b["roleRef"]["kind"], "ClusterRole", "{b}");
    }
    let sa = of_kind(&all, "ServiceAccount")[0];
    let ns = of_kind(&all, "Namespace")[0];
    assert_eq!(sa["metadata"]["namespace"], ns["metadata"]["name"]);
    let host = bindings
        .iter()
        .find(|b| b["roleRef"]["name"] == "karmada-preflight-reader-host")
        .expect("a binding of the host role");
    assert_eq!(
        host["subjects"][0],
        serde_json::json!({"kind": "ServiceAccount", "name": sa["metadata"]["name"],
                           "namespace": sa["metadata"]["namespace"]})
    );
    let job = cronjob(&all);
    let pod = &job["spec"]["jobTemplate"]["spec"]["template"]["spec"];
    assert_eq!(pod["serviceAccountName"], sa["metadata"]["name"]);
    assert_eq!(job["metadata"]["namespace"], ns["metadata"]["name"]);
}

#[test]
fn the_cronjob_runs_check_in_cluster_with_arguments_the_cli_accepts() {
    let all = manifests();
    let job = cronjob(&all);
    let c = container(job);
    let command = strings(&c["command"]);
    assert_eq!(command.len(), 1);
    assert!(command[0].ends_with("/karmada-preflight"), "{command:?}");
    let mut argv = vec!["karmada-preflight".to_string()];
    argv.extend(strings(&c["args"]));
    let cli = Cli::try_parse_from(&argv).unwrap_or_else(|e| panic!("{argv:?}: {e}"));
    let Command::Check(check) = cli.command else {
        panic!("not `check`: {argv:?}");
    };
    let live: &LiveArgs = &check.live;
    assert_eq!(live.in_cluster, Some(InClusterScope::Host));
    assert!(check.paths.is_empty(), "a live run reads no files");
    // Markdown on stdout, JSON after it (/dev/stdout), both again on the reports volume.
    let outs: Vec<(Format, Option<String>)> = check
        .output
        .iter()
        .map(|o| (o.format, o.path.as_ref().map(|p| p.display().to_string())))
        .collect();
    assert_eq!(outs[0], (Format::Markdown, None), "{outs:?}");
    assert!(outs.contains(&(Format::Json, Some("/dev/stdout".into()))));
    let mounts: Vec<String> = c["volumeMounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["mountPath"].as_str().unwrap().to_string())
        .collect();
    for (format, path) in &outs {
        if let Some(p) = path.as_deref().filter(|p| *p != "/dev/stdout") {
            assert!(
                mounts.iter().any(|m| p.starts_with(&format!("{m}/"))),
                "{format:?} written to {p}, outside every mounted volume {mounts:?}"
            );
        }
    }
    for format in [Format::Markdown, Format::Json] {
        assert!(
            outs.iter()
                .any(|(f, p)| *f == format
                    && p.as_deref().is_some_and(|p| p.starts_with("/reports/"))),
            "{format:?} not written to /reports: {outs:?}"
        );
    }
    let kubeconfig = live.kubeconfig.as_ref().expect("--kubeconfig");
    assert!(
        mounts
            .iter()
            .any(|m| kubeconfig.starts_with(m) && kubeconfig != Path::new(m)),
        "{kubeconfig:?} not in a mounted volume {mounts:?}"
    );
}

#[test]
fn the_cronjob_pod_is_non_root_read_only_and_cannot_escalate() {
    let all = manifests();
    let job = cronjob(&all);
    let pod = &job["spec"]["jobTemplate"]["spec"]["template"]["spec"];
    assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
    assert!(pod["securityContext"]["runAsUser"].as_u64().unwrap() > 0);
    assert_eq!(pod["restartPolicy"], "Never");
    let sc = &container(job)["securityContext"];
    assert_eq!(sc["readOnlyRootFilesystem"], true, "{sc}");
    assert_eq!(sc["allowPrivilegeEscalation"], false, "{sc}");
    assert_eq!(sc["privileged"], false, "{sc}");
    assert_eq!(
        sc["capabilities"]["drop"],
        serde_json::json!(["ALL"]),
        "{sc}"
    );
    assert_eq!(job["spec"]["concurrencyPolicy"], "Forbid");
    // The kubeconfig Secret is mounted read-only.
    let kc = container(job)["volumeMounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "kubeconfig")
        .expect("kubeconfig mount");
    assert_eq!(kc["readOnly"], true);
}

/// The CronJob's arguments, with each mounted path moved to a temp dir, run in a pod's
/// environment: the host with the service-account token, karmada-apiserver and members
/// from the kubeconfig. Exit 1: the MCS blocker on member edge is an error-level finding.
#[test]
fn the_cronjob_arguments_write_markdown_and_json_to_stdout_and_the_reports_volume() {
    let all = manifests();
    let c = container(cronjob(&all));
    let served = serve_with_token_host();
    let pod = Pod::new(&served, TOKEN);
    let secret = tempfile::tempdir().unwrap();
    std::fs::copy(
        mounted_kubeconfig(&served),
        secret.path().join("kubeconfig"),
    )
    .unwrap();
    let reports = tempfile::tempdir().unwrap();
    let moved = |a: String| {
        a.replace(
            "/etc/karmada-preflight/",
            &format!("{}/", secret.path().display()),
        )
        .replace("/reports/", &format!("{}/", reports.path().display()))
    };
    let args: Vec<String> = strings(&c["args"]).into_iter().map(moved).collect();
    let run = pod.run(&args);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(!run.stdout.contains(TOKEN) && !run.stderr.contains(TOKEN));

    let md = std::fs::read_to_string(reports.path().join("karmada-preflight.md")).unwrap();
    let json: Value = serde_json::from_str(
        &std::fs::read_to_string(reports.path().join("karmada-preflight.json")).unwrap(),
    )
    .unwrap();
    // stdout: the markdown report, then the JSON one.
    assert!(run.stdout.starts_with(&md), "{}", run.stdout);
    let on_stdout: Value = serde_json::from_str(&run.stdout[md.len()..]).unwrap();
    assert_eq!(
        common::finding_keys(&on_stdout, &[]),
        common::finding_keys(&json, &[])
    );
    let edge: Vec<&Value> = common::findings(&json, "mcs-member-version")
        .into_iter()
        .filter(|f| f["object"]["name"] == "edge")
        .collect();
    assert_eq!(edge.len(), 1, "{edge:#?}");
    assert_eq!(edge[0]["status"], "blocker");
    assert!(md.contains("mcs-member-version"), "{md}");
    let host = json["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["scope"] == "host")
        .unwrap();
    assert_eq!(host["live"]["cluster"], "in-cluster", "{host}");
}
