//! Karmada as people install it: the official Helm chart (objects of karmada-apiserver
//! embedded in hook ConfigMaps), karmada-operator's `Karmada` CR, `karmadactl init`'s
//! `KarmadaInitConfig`, and the version each of them is at. Inputs are the official
//! release material in `fixtures/releases/` and renders of it in `fixtures/installs/`.

mod common;

use assert_cmd::Command;
use common::{check, findings, only};
use serde_json::Value;

const HELM_TAGS: &[&str] = &["v1.5.0", "v1.9.0", "v1.12.0", "v1.16.0"];

fn helm_template(tag: &str) -> String {
    format!("fixtures/releases/{tag}/helm-template.yaml")
}

fn line_text(path: &str, line: u64) -> String {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .nth(line as usize - 1)
        .unwrap_or_default()
        .to_string()
}

/// The top-level document (kind, name) holding `line` of a multi-document file.
fn enclosing_document(path: &str, line: u64) -> (String, String) {
    let text = std::fs::read_to_string(path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let mut start = line as usize - 1;
    while start > 0 && lines[start] != "---" {
        start -= 1;
    }
    let doc = &lines[start..];
    let field = |prefix: &str| {
        doc.iter()
            .find_map(|l| l.strip_prefix(prefix))
            .unwrap_or_default()
            .trim()
            .to_string()
    };
    (field("kind: "), field("  name: "))
}

/// The findings of `rule` that are upgrade steps still to do.
fn actions<'a>(report: &'a Value, rule: &str) -> Vec<&'a Value> {
    findings(report, rule)
        .into_iter()
        .filter(|f| f["status"] == "action")
        .collect()
}

fn statuses(report: &Value) -> Vec<(String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn each_official_helm_render_passes_with_its_version_detected_from_the_chart() {
    for tag in HELM_TAGS {
        let path = helm_template(tag);
        let (code, r) = check(&[&path]);
        assert_eq!(code, 0, "{tag}: {:#?}", statuses(&r));
        let bad: Vec<_> = statuses(&r)
            .into_iter()
            .filter(|(_, s)| s == "fail" || s == "blocker")
            .collect();
        assert!(bad.is_empty(), "{tag}: {bad:?}");
        assert_eq!(r["karmadaVersion"], *tag, "{tag}: {}", r["phaseReason"]);

        // The APIService lives in a hook ConfigMap the chart applies to karmada-apiserver.
        let f = only(&r, "cluster-apiservice");
        assert_eq!(f["status"], "pass", "{tag}: {f:#}");
        assert_eq!(f["object"]["scope"], "karmada");
        assert_eq!(f["location"]["file"], path.as_str());
        assert_eq!(f["location"]["pointer"], "/spec/service");
        let line = f["location"]["line"].as_u64().unwrap();
        // The exact field, inside the block scalar (so more indented than the ConfigMap's keys).
        assert_eq!(line_text(&path, line).trim(), "service:", "{tag}:{line}");
        assert_eq!(
            f["location"]["column"].as_u64().unwrap() as usize,
            line_text(&path, line).find("service:").unwrap() + 1
        );
        let (kind, name) = enclosing_document(&path, line);
        assert_eq!(kind, "ConfigMap", "{tag}:{line}");
        assert!(
            name == "karmada-static-resources" || name == "karmada-config",
            "{tag}:{line} is in {name}"
        );
        let link = only(&r, "aggregated-apiserver-service-link");
        assert_eq!(link["status"], "pass", "{tag}: {link:#}");
        // Every CRD came from the chart's CRD ConfigMaps, so the old Cluster CRD is
        // known to be gone rather than unknown.
        assert_eq!(only(&r, "cluster-crd-removed")["status"], "pass", "{tag}");
    }
}

#[test]
fn helm_template_piped_on_stdin_reads_the_same() {
    let path = helm_template("v1.16.0");
    let out = Command::cargo_bin("karmada-preflight")
        .unwrap()
        .args(["check", "-", "-o", "json"])
        .write_stdin(std::fs::read(&path).unwrap())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let f = only(&r, "cluster-apiservice");
    assert_eq!(f["status"], "pass");
    assert_eq!(f["location"]["file"], "<stdin>");
    assert_eq!(f["location"]["line"], 13833);
}

/// `helm get manifest` leaves out hooks, and the chart's ConfigMaps are hooks:
/// `helm get hooks` output is read alongside it.
#[test]
fn helm_get_manifest_plus_helm_get_hooks_reads_as_the_render() {
    let text = std::fs::read_to_string(helm_template("v1.12.0")).unwrap();
    let (mut manifest, mut hooks) = (String::new(), String::new());
    for doc in text.split("\n---\n") {
        let out = if doc.contains("\"helm.sh/hook\":") {
            &mut hooks
        } else {
            &mut manifest
        };
        out.push_str("---\n");
        out.push_str(doc);
        out.push('\n');
    }
    let dir = tempfile::tempdir().unwrap();
    let m = dir.path().join("manifest.yaml");
    let h = dir.path().join("hooks.yaml");
    std::fs::write(&m, manifest).unwrap();
    std::fs::write(&h, hooks).unwrap();
    let (code, r) = check(&[m.to_str().unwrap(), h.to_str().unwrap()]);
    assert_eq!(code, 0, "{:#?}", statuses(&r));
    let f = only(&r, "cluster-apiservice");
    assert_eq!(f["status"], "pass");
    assert_eq!(f["location"]["file"], h.to_str().unwrap());
    assert_eq!(r["karmadaVersion"], "v1.12.0");

    // The manifest alone lacks the hook ConfigMaps, so the APIService is not there.
    let (_, alone) = check(&[m.to_str().unwrap()]);
    assert_eq!(only(&alone, "cluster-apiservice")["status"], "fail");
}

/// Release `fleet` of the v1.16.0 chart with `controllerManager.extraCommandArgs`
/// (`fixtures/installs/helm-v1.16-fleet-values.yaml`), rendered offline with Helm v3.8.1.
const FLEET: &str = "fixtures/installs/helm-v1.16-fleet-extra-args.yaml";

#[test]
fn components_are_found_under_the_release_name() {
    let (code, r) = check(&[FLEET]);
    assert_eq!(code, 0, "{:#?}", statuses(&r));
    let deployed = only(&r, "aggregated-apiserver-deployed");
    assert_eq!(deployed["status"], "pass");
    assert_eq!(deployed["object"]["name"], "fleet-aggregated-apiserver");
    let link = only(&r, "aggregated-apiserver-service-link");
    assert_eq!(link["status"], "pass", "{link:#}");
    assert!(link["message"]
        .as_str()
        .unwrap()
        .contains("fleet-aggregated-apiserver"));
    let flags = only(&r, "apiserver-front-proxy-flags");
    assert_eq!(flags["object"]["name"], "fleet-apiserver");
    assert_eq!(flags["status"], "pass");
}

#[test]
fn a_removed_flag_from_extra_command_args_is_reported_at_its_rendered_line() {
    let (code, r) = check(&[FLEET, "--from", "v1.11", "--to", "v1.12"]);
    assert_eq!(code, 0, "actions only: {:#?}", statuses(&r));
    let hits = actions(&r, "bind-address-flags-removed");
    assert_eq!(hits.len(), 1, "{hits:#?}");
    let f = hits[0];
    assert_eq!(f["object"]["name"], "fleet-controller-manager");
    let text = std::fs::read_to_string(FLEET).unwrap();
    let cm_start = text
        .lines()
        .position(|l| l.trim() == "- name: fleet-controller-manager")
        .unwrap();
    let flag_line = text
        .lines()
        .enumerate()
        .skip(cm_start)
        .find(|(_, l)| l.trim() == "- --bind-address=0.0.0.0")
        .map(|(i, _)| i as u64 + 1)
        .unwrap();
    assert_eq!(f["location"]["line"].as_u64(), Some(flag_line));
}

#[test]
fn a_broken_document_inside_a_chart_configmap_is_reported_at_its_line_and_the_rest_loads() {
    let text = std::fs::read_to_string(helm_template("v1.16.0")).unwrap();
    // Break the namespace manifest of the static resources: an unclosed flow sequence.
    let needle = "      system-namespace.yaml:  |-\n";
    let at = text.find(needle).expect("system-namespace entry") + needle.len();
    let broken_line = text[..at].lines().count() as u64 + 1;
    let mut broken = text.clone();
    broken.insert_str(at, "        metadata: [unclosed\n");
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("helm-template.yaml");
    std::fs::write(&p, broken).unwrap();
    let (code, r) = check(&[p.to_str().unwrap()]);
    assert_eq!(code, 1, "input-valid is an error");
    let bad: Vec<_> = findings(&r, "input-valid")
        .into_iter()
        .filter(|f| f["status"] == "fail")
        .collect();
    assert_eq!(bad.len(), 1, "{bad:#?}");
    let line = bad[0]["location"]["line"].as_u64().unwrap();
    assert!(
        (broken_line..=broken_line + 3).contains(&line),
        "reported at {line}, broken at {broken_line}: {:#}",
        bad[0]
    );
    assert!(bad[0]["message"]
        .as_str()
        .unwrap()
        .contains("karmada-static-resources, system-namespace.yaml"));
    // The other entries of the same ConfigMap still load.
    assert_eq!(only(&r, "cluster-apiservice")["status"], "pass");
}

/// The Karmada component tag a `Karmada` sample states (its controller-manager's `imageTag`).
fn sample_image_tag(path: &str) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text
        .lines()
        .skip_while(|l| !l.contains("karmada/karmada-controller-manager"));
    lines.next();
    let tag = lines.next().unwrap().trim();
    tag.strip_prefix("imageTag: ").unwrap().to_string()
}

fn operator_samples() -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir("fixtures/releases").unwrap() {
        let dir = e.unwrap().path().join("operator/config/samples");
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        for f in rd {
            out.push(f.unwrap().path().display().to_string());
        }
    }
    out.sort();
    assert!(out.len() >= 20, "{out:?}");
    out
}

#[test]
fn operator_samples_are_read_as_installations_detected_by_their_image_tag() {
    for path in operator_samples() {
        let (code, r) = check(&[&path]);
        let tag = sample_image_tag(&path);
        // A sample stating no version leaves the upgrade unchecked: exit 2, not all clear.
        let expected = if tag.starts_with('v') { 0 } else { 2 };
        assert_eq!(code, expected, "{path}: {:#?}", statuses(&r));
        if tag.starts_with('v') {
            assert_eq!(
                r["karmadaVersion"],
                tag.as_str(),
                "{path}: {}",
                r["phaseReason"]
            );
            assert!(
                r["phaseReason"].as_str().unwrap().contains("imageTag"),
                "{path}: {}",
                r["phaseReason"]
            );
        } else {
            // `latest` and `{{image_tag}}` state no version: never a made-up one, and no
            // hop's pack is run on a guess (it once audited these as v0.10 -> v1.0 and
            // told them to set every image to v1.0.0).
            assert!(
                r["karmadaVersion"].is_null(),
                "{path}: {}",
                r["karmadaVersion"]
            );
            let f = only(&r, "hop-pack-known");
            assert_eq!(f["status"], "unknown", "{path}: {f:#}");
            let msg = f["message"].as_str().unwrap();
            assert!(msg.contains("/Karmada/"), "{msg}");
            assert!(msg.contains("no upgrade hop was checked"), "{msg}");
            assert!(msg.contains("--from vA.B --to vA.C"), "{msg}");
            let packs: Vec<&Value> = r["findings"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|f| f["pack"] != "core")
                .collect();
            assert!(packs.is_empty(), "{path}: {packs:#?}");
            continue;
        }
        // The operator makes the aggregated apiserver and its APIService: not in the CR
        // by design, so never a failure.
        for rule in ["cluster-apiservice", "aggregated-apiserver-deployed"] {
            let f = only(&r, rule);
            assert_eq!(f["status"], "unknown", "{path}: {f:#}");
            assert!(f["message"].as_str().unwrap().contains("karmada-operator"));
        }
    }
}

const OPERATOR: &str = "fixtures/installs/operator-karmada-v1.11.yaml";
const INIT_CONFIG: &str = "fixtures/installs/karmadactl-init-config-v1.11.yaml";

#[test]
fn a_removed_flag_in_karmada_cr_extra_args_is_reported_at_the_cr_field() {
    // The version comes from the CR's imageTag, so --to alone gives the path.
    let (code, r) = check(&[OPERATOR, "--to", "v1.12"]);
    assert_eq!(code, 0, "{:#?}", statuses(&r));
    assert_eq!(r["karmadaVersion"], "v1.11.1");
    let hits = actions(&r, "bind-address-flags-removed");
    assert_eq!(hits.len(), 1, "{hits:#?}");
    let f = hits[0];
    assert_eq!(f["object"]["kind"], "Karmada");
    assert_eq!(
        f["location"]["pointer"],
        "/spec/components/karmadaControllerManager/extraArgs/bind-address"
    );
    assert_eq!(
        f["location"]["line"].as_u64(),
        Some(common::line_of(OPERATOR, "bind-address: \"0.0.0.0\""))
    );
    // The fix patches the CR (the operator rolls the component out), testing the value first.
    let m = &f["remediation"]["manifests"][0];
    assert_eq!(m["target"]["kind"], "Karmada");
    assert_eq!(
        m["content"],
        serde_json::json!([
            {"op": "test", "path": "/spec/components/karmadaControllerManager/extraArgs/bind-address", "value": "0.0.0.0"},
            {"op": "remove", "path": "/spec/components/karmadaControllerManager/extraArgs/bind-address"}
        ])
    );
}

#[test]
fn a_removed_flag_in_a_karmada_init_config_is_reported_at_its_entry() {
    let (code, r) = check(&[INIT_CONFIG, "--to", "v1.12"]);
    assert_eq!(code, 0, "{:#?}", statuses(&r));
    assert_eq!(r["karmadaVersion"], "v1.11.0");
    let hits = actions(&r, "bind-address-flags-removed");
    assert_eq!(hits.len(), 1, "{hits:#?}");
    assert_eq!(hits[0]["object"]["kind"], "KarmadaInitConfig");
    assert_eq!(
        hits[0]["location"]["line"].as_u64(),
        Some(common::line_of(INIT_CONFIG, "- name: secure-port"))
    );
    assert!(hits[0]["message"]
        .as_str()
        .unwrap()
        .contains("--secure-port"));
}

#[test]
fn every_install_shape_becomes_the_same_component_model() {
    use karmada_preflight::inventory::components::{EtcdMode, Shape};
    use karmada_preflight::inventory::workload::Component;
    use karmada_preflight::sources::{load_inputs, Limits};
    let load = |p: &str| load_inputs(&[p.to_string()], &Limits::default(), &None);

    let inv = load(OPERATOR);
    let idx = inv.components();
    let cm = idx
        .components
        .iter()
        .find(|c| c.component == Component::ControllerManager)
        .unwrap();
    assert_eq!(cm.shape, Shape::OperatorCr);
    assert_eq!(cm.replicas, Some(1));
    assert_eq!(cm.image.as_ref().unwrap().tag.as_deref(), Some("v1.11.1"));
    let flags = cm.flags.as_ref().unwrap();
    let names: Vec<_> = flags.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "--bind-address",
            "--concurrent-work-syncs",
            "--feature-gates"
        ]
    );
    assert_eq!(cm.feature_gates[0].name, "PropagateDeps");
    assert!(cm.feature_gates[0].enabled);
    let api = idx
        .components
        .iter()
        .find(|c| c.component == Component::KarmadaApiserver)
        .unwrap();
    assert_eq!(api.service_type.as_deref(), Some("NodePort"));
    // The operator's own Deployment is a component too (its version counts).
    assert!(idx
        .components
        .iter()
        .any(|c| c.component == Component::Operator
            && c.shape == Shape::Workload
            && c.image.as_ref().unwrap().tag.as_deref() == Some("v1.11.1")));
    // External etcd given with the inline certificate fields v1.16 removed.
    assert_eq!(idx.etcd.len(), 1);
    match &idx.etcd[0].mode {
        EtcdMode::External {
            endpoints,
            inline_cert_fields,
        } => {
            assert_eq!(endpoints, &["https://etcd-0.etcd.example:2379"]);
            assert_eq!(inline_cert_fields.len(), 3);
        }
        other => panic!("{other:?}"),
    }

    let inv = load(INIT_CONFIG);
    let idx = inv.components();
    let sched = idx
        .components
        .iter()
        .find(|c| c.component == Component::Scheduler)
        .unwrap();
    assert_eq!(sched.shape, Shape::InitConfig);
    let flags = sched.flags.as_ref().unwrap();
    assert_eq!(flags[1].name, "--secure-port");
    assert_eq!(flags[1].value.as_deref(), Some("10351"));
    assert_eq!(idx.etcd[0].mode, EtcdMode::Local);

    // A Helm render: workloads under the release name, same model.
    let inv = load(FLEET);
    let agg = inv
        .components()
        .components
        .iter()
        .find(|c| c.component == Component::AggregatedApiserver)
        .unwrap();
    assert_eq!(agg.shape, Shape::Workload);
    assert_eq!(agg.object(&inv).name(), "fleet-aggregated-apiserver");
    assert_eq!(agg.image.as_ref().unwrap().tag.as_deref(), Some("v1.16.0"));
}

/// Each release's tagged artifacts, as the fingerprint table is derived from them:
/// (`v1.16` label, path). v1.0.0 lives in `fixtures/karmada-v1.0.0`.
fn release_artifacts() -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = std::fs::read_dir("fixtures/releases")
        .unwrap()
        .filter_map(|e| {
            let tag = e.unwrap().file_name().to_string_lossy().to_string();
            let v = karmada_preflight::k8s::KarmadaVersion::parse(&tag).ok()?;
            Some((
                format!("v{}.{}", v.major(), v.minor()),
                format!("fixtures/releases/{tag}/artifacts/deploy"),
            ))
        })
        .collect();
    out.push((
        "v1.0".into(),
        "fixtures/karmada-v1.0.0/artifacts/deploy".into(),
    ));
    let key = |l: &str| {
        let v = karmada_preflight::k8s::KarmadaVersion::parse(l).unwrap();
        (v.major(), v.minor())
    };
    out.sort_by_key(|(l, _)| key(l));
    assert_eq!(out.len(), 22, "v0.9, v0.10, v1.0 .. v1.19: {out:?}");
    out
}

#[test]
fn the_fingerprint_table_is_derived_from_the_tagged_release_artifacts() {
    use karmada_preflight::inventory::fingerprint;
    use karmada_preflight::sources::{load_inputs, Limits};
    let per_release: Vec<_> = release_artifacts()
        .into_iter()
        .map(|(label, path)| {
            let inv = load_inputs(&[path], &Limits::default(), &None);
            (label, fingerprint::features(&inv))
        })
        .collect();
    let text = fingerprint::table_text(&per_release);
    if std::env::var_os("KP_WRITE_FINGERPRINTS").is_some() {
        std::fs::write("src/inventory/fingerprints.txt", &text).unwrap();
    }
    assert!(
        text == fingerprint::TABLE,
        "src/inventory/fingerprints.txt is out of step with the release artifacts; \
         rerun with KP_WRITE_FINGERPRINTS=1"
    );
}

#[test]
fn each_release_s_artifacts_are_detected_as_a_range_holding_that_release() {
    for (label, path) in release_artifacts() {
        let (_, r) = check(&[&path]);
        let detected = r["karmadaVersion"]
            .as_str()
            .unwrap_or_else(|| panic!("{label}: nothing detected: {}", r["phaseReason"]));
        let reason = r["phaseReason"].as_str().unwrap();
        let minor = |s: &str| {
            let v = karmada_preflight::k8s::KarmadaVersion::parse(s).unwrap();
            (v.major(), v.minor())
        };
        let (lo, hi) = match detected.split_once("-v") {
            Some((a, b)) => (minor(a), minor(&format!("v{b}"))),
            None => {
                let m = minor(detected.trim_end_matches("-like"));
                (m, m)
            }
        };
        let want = minor(&label);
        assert!(
            lo <= want && want <= hi,
            "{label}: detected {detected} ({reason})"
        );
        // It says what it rests on, and never claims an exact release from `latest` tags.
        assert!(reason.contains("structure matching"), "{label}: {reason}");
        assert!(
            detected.ends_with("-like") || detected.contains("-v"),
            "{label}: {detected}"
        );
    }
}

#[test]
fn a_karmada_version_configmap_states_the_version() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("karmada-version.yaml");
    std::fs::write(
        &p,
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: karmada-version\n  namespace: karmada-system\ndata:\n  karmadaVersion: v1.13.2\n",
    )
    .unwrap();
    let deploy = "fixtures/releases/v1.13.0/artifacts/deploy";
    let (_, r) = check(&[deploy, p.to_str().unwrap()]);
    assert_eq!(r["karmadaVersion"], "v1.13.2", "{}", r["phaseReason"]);
    assert!(r["phaseReason"]
        .as_str()
        .unwrap()
        .contains("karmadaVersion"));
}

#[test]
fn components_on_different_minors_are_a_range_and_a_finding_naming_each() {
    let text = std::fs::read_to_string(helm_template("v1.16.0")).unwrap();
    // A half-done upgrade: the scheduler still runs v1.15.1.
    let half = text.replacen(
        "docker.io/karmada/karmada-scheduler:v1.16.0",
        "docker.io/karmada/karmada-scheduler:v1.15.1",
        1,
    );
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("half-done.yaml");
    std::fs::write(&p, half).unwrap();
    let (code, r) = check(&[p.to_str().unwrap()]);
    assert_eq!(r["karmadaVersion"], "v1.15-v1.16", "{}", r["phaseReason"]);
    let f = only(&r, "component-versions-agree");
    assert_eq!(f["status"], "fail", "{f:#}");
    assert_eq!(f["severity"], "error");
    // The run could not check the upgrade: that (2) outranks the finding (1).
    assert_eq!(code, 2);
    let msg = f["message"].as_str().unwrap();
    // Which hop is half done is not guessed: no pack ran, and the run says so.
    let hop = only(&r, "hop-pack-known");
    assert_eq!(hop["status"], "unknown", "{hop:#}");
    assert!(
        hop["message"]
            .as_str()
            .unwrap()
            .contains("somewhere in v1.15-v1.16"),
        "{hop:#}"
    );
    assert!(msg.contains("karmada-scheduler v1.15.1"), "{msg}");
    assert!(msg.contains("karmada-controller-manager v1.16.0"), "{msg}");
    assert_eq!(
        f["location"]["line"].as_u64(),
        Some(common::line_of(
            p.to_str().unwrap(),
            "karmada-scheduler:v1.15.1"
        ))
    );
    // The official render agrees with itself.
    let (_, ok) = check(&[&helm_template("v1.16.0")]);
    assert_eq!(only(&ok, "component-versions-agree")["status"], "pass");
}
