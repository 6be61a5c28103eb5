//! Rules KP1010-KP1015 (issue 3, part B), told as the operator's story: what the checker
//! says about the official v0.10.1 and v1.0.0 manifests, a fleet of Clusters with vendor
//! Kubernetes versions, and a snapshot bundle with one directory per member cluster.

use karmada_preflight::findings::{Finding, Severity, Status};
use karmada_preflight::rules::{run_rules, Catalog, RunOptions};
use karmada_preflight::sources::{load_inputs, Limits};
use karmada_preflight::upgrade::Phase;

const OURS: [&str; 6] = [
    "agent-impersonate-rbac",
    "mcs-member-version",
    "endpointslice-v1beta1-usage",
    "replicaschedulingpolicy-removed",
    "member-k8s-1.24-needs-patch",
    "cluster-impersonator-secret",
];

fn check(paths: &[&str], phase: Phase) -> Vec<Finding> {
    let cat = Catalog::embedded().expect("bundled rules compile");
    let paths: Vec<String> = paths.iter().map(|p| p.to_string()).collect();
    let inv = load_inputs(&paths, &Limits::default(), &cat.kind_filter());
    let opts = RunOptions {
        phase,
        now: time::OffsetDateTime::now_utc(),
        only: OURS.iter().map(|s| s.to_string()).collect(),
    };
    run_rules(&cat, &inv, &opts)
}

fn of<'a>(findings: &'a [Finding], rule: &str) -> Vec<&'a Finding> {
    findings.iter().filter(|f| f.rule.name() == rule).collect()
}

/// The single finding of `rule` about the object named `name`.
fn about<'a>(findings: &'a [Finding], rule: &str, name: &str) -> &'a Finding {
    let hits: Vec<_> = of(findings, rule)
        .into_iter()
        .filter(|f| f.object.as_ref().is_some_and(|o| o.name == name))
        .collect();
    assert_eq!(hits.len(), 1, "{rule} about {name}: {hits:#?}");
    hits[0]
}

fn assert_at(f: &Finding, status: Status, file_suffix: &str, line: u32) {
    assert_eq!(f.status, status, "{f:#?}");
    let loc = f.location.as_ref().expect("a location");
    let file = loc.file.as_deref().unwrap_or("");
    assert!(
        file.ends_with(file_suffix),
        "{file} should end with {file_suffix}"
    );
    assert_eq!(loc.line, Some(line), "{f:#?}");
}

#[test]
fn ids_are_kp1010_to_kp1015_in_order() {
    let cat = Catalog::embedded().unwrap();
    for (i, name) in OURS.iter().enumerate() {
        let rule = cat.rules.iter().find(|r| r.spec.name == *name).unwrap();
        assert_eq!(rule.spec.id, format!("KP10{}", 10 + i));
    }
}

#[test]
fn v0_10_1_before_the_upgrade_the_agent_role_lacks_impersonate_and_the_rsp_crd_is_a_step() {
    let f = check(&["fixtures/karmada-v0.10.1"], Phase::Pre);
    let agent = of(&f, "agent-impersonate-rbac");
    assert_eq!(agent.len(), 1);
    assert_at(
        agent[0],
        Status::Action,
        "fixtures/karmada-v0.10.1/artifacts/agent/clusterrole.yaml",
        5,
    );
    assert_eq!(agent[0].location.as_ref().unwrap().pointer, "/rules");
    let fix = agent[0].remediation.as_ref().unwrap();
    assert_eq!(fix.manifests.len(), 1);
    assert_eq!(
        fix.manifests[0].content["metadata"]["name"],
        "karmada-agent"
    );
    assert_eq!(fix.manifests[0].content["rules"][0]["verbs"][0], "*");

    let rsp = about(
        &f,
        "replicaschedulingpolicy-removed",
        "replicaschedulingpolicies.policy.karmada.io",
    );
    // Every v0.10 install has the CRD; with no ReplicaSchedulingPolicy objects in sight
    // deleting it is a step of the upgrade, not a blocker.
    assert_at(
        rsp,
        Status::Action,
        "crds/policy.karmada.io_replicaschedulingpolicies.yaml",
        9,
    );

    // The official manifests carry no Cluster objects: nothing to say about members.
    for rule in ["mcs-member-version", "member-k8s-1.24-needs-patch"] {
        assert!(
            of(&f, rule).iter().all(|x| x.status == Status::Unknown),
            "{rule}"
        );
    }
    assert_eq!(
        of(&f, "cluster-impersonator-secret")[0].status,
        Status::Skip
    );
}

#[test]
fn v1_0_0_after_the_upgrade_none_of_these_rules_fails() {
    let f = check(&["fixtures/karmada-v1.0.0"], Phase::Post);
    for x in &f {
        assert!(
            matches!(x.status, Status::Pass | Status::Unknown | Status::Skip),
            "{} {}: {}",
            x.rule.name(),
            x.status,
            x.message
        );
    }
    let agent = of(&f, "agent-impersonate-rbac");
    assert_at(
        agent[0],
        Status::Pass,
        "fixtures/karmada-v1.0.0/artifacts/agent/clusterrole.yaml",
        6,
    );
    assert_eq!(
        of(&f, "replicaschedulingpolicy-removed")[0].status,
        Status::Pass
    );
}

#[test]
fn a_wrongly_typed_version_is_unknown_naming_the_field_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("c.yaml");
    std::fs::write(
        &p,
        "apiVersion: cluster.karmada.io/v1alpha1\nkind: Cluster\nmetadata: {name: bad}\nstatus:\n  kubernetesVersion: [1, 24]\n",
    )
    .unwrap();
    let f = check(&[p.to_str().unwrap()], Phase::Pre);
    let bad = about(&f, "member-k8s-1.24-needs-patch", "bad");
    assert_eq!(bad.status, Status::Unknown);
    assert!(
        bad.message.contains("/status/kubernetesVersion"),
        "{}",
        bad.message
    );
}

#[test]
fn a_v1beta1_endpointslice_warns_and_the_fix_is_the_same_slice_as_v1() {
    let f = check(&["fixtures/fleet-mcs"], Phase::Pre);
    let es = about(&f, "endpointslice-v1beta1-usage", "serve-manual");
    assert_at(
        es,
        Status::Fail,
        "fixtures/fleet-mcs/endpointslice-v1beta1.yaml",
        2,
    );
    assert_eq!(es.severity, Some(Severity::Warning));
    let m = &es.remediation.as_ref().unwrap().manifests[0];
    assert_eq!(m.content["apiVersion"], "discovery.k8s.io/v1");
    let ep = &m.content["endpoints"][0];
    assert_eq!(ep["zone"], "eu-west-1a");
    assert_eq!(ep["nodeName"], "node-a");
    assert!(ep.get("topology").is_none());
    // hostname equal to nodeName is dropped; other keys stay as deprecatedTopology
    assert_eq!(
        ep["deprecatedTopology"],
        serde_json::json!({"example.com/rack": "r12"})
    );
}

#[test]
fn each_replicaschedulingpolicy_blocks_and_its_weights_move_into_the_propagationpolicy() {
    let f = check(&["fixtures/fleet-mcs"], Phase::Pre);
    let file = "fixtures/fleet-mcs/replicaschedulingpolicy.yaml";
    let nginx = about(&f, "replicaschedulingpolicy-removed", "nginx-weights");
    assert_at(nginx, Status::Blocker, file, 6);
    let fix = nginx.remediation.as_ref().unwrap();
    // The existing PropagationPolicy for the same Deployment gets a merge patch.
    let m = &fix.manifests[0];
    assert_eq!(m.target.as_ref().unwrap().name, "nginx-propagation");
    let rs = &m.content["spec"]["placement"]["replicaScheduling"];
    assert_eq!(rs["replicaDivisionPreference"], "Weighted");
    assert_eq!(rs["weightPreference"]["staticWeightList"][1]["weight"], 2);
    assert!(fix.summary.contains("totalReplicas 6"));

    let orphan = about(&f, "replicaschedulingpolicy-removed", "orphan-weights");
    assert_at(orphan, Status::Blocker, file, 26);
    let pp = &orphan.remediation.as_ref().unwrap().manifests[0].content;
    assert_eq!(pp["kind"], "PropagationPolicy");
    assert_eq!(pp["spec"]["resourceSelectors"][0]["name"], "api");
    assert_eq!(
        pp["spec"]["placement"]["clusterAffinity"]["clusterNames"][0],
        "member-gke"
    );
}

#[test]
fn a_1_24_member_blocks_while_the_rollout_image_is_v1_0_3() {
    let f = check(&["fixtures/fleet-mcs"], Phase::Pre);
    let file = "fixtures/fleet-mcs/clusters.yaml";
    let m = about(&f, "member-k8s-1.24-needs-patch", "member-124");
    assert_at(m, Status::Blocker, file, 54);
    assert!(
        m.message.contains("v1.0.5") && m.message.contains("v1.0.3"),
        "{}",
        m.message
    );
    assert!(m.evidence[0]
        .location
        .as_ref()
        .unwrap()
        .file
        .as_deref()
        .unwrap()
        .ends_with("controller-manager.yaml"));
    assert_at(
        about(&f, "member-k8s-1.24-needs-patch", "member-eks"),
        Status::Pass,
        file,
        16,
    );
    assert_eq!(
        about(&f, "member-k8s-1.24-needs-patch", "member-new").status,
        Status::Unknown
    );
}

#[test]
fn a_1_24_member_with_no_tagged_target_only_warns_to_pick_v1_0_5() {
    let f = check(&["fixtures/fleet-mcs/clusters.yaml"], Phase::Pre);
    let m = about(&f, "member-k8s-1.24-needs-patch", "member-124");
    assert_at(m, Status::Fail, "fixtures/fleet-mcs/clusters.yaml", 54);
    assert_eq!(m.severity, Some(Severity::Warning));
    assert!(m.message.contains("at least v1.0.5"));
}

#[test]
fn a_1_24_member_passes_once_the_control_plane_runs_v1_0_5() {
    let f = check(&["fixtures/fleet-bundle"], Phase::Post);
    let m = about(&f, "member-k8s-1.24-needs-patch", "member-helm");
    assert_at(
        m,
        Status::Pass,
        "fixtures/fleet-bundle/karmada/clusters.yaml",
        18,
    );
}

#[test]
fn after_the_upgrade_every_cluster_needs_an_impersonator_token_and_tokens_are_never_printed() {
    let f = check(&["fixtures/fleet-mcs"], Phase::Post);
    let secrets = "fixtures/fleet-mcs/impersonator-secrets.yaml";
    let clusters = "fixtures/fleet-mcs/clusters.yaml";
    assert_at(
        about(&f, "cluster-impersonator-secret", "member-eks-impersonator"),
        Status::Pass,
        secrets,
        10,
    );
    assert_at(
        about(&f, "cluster-impersonator-secret", "member-k3s-impersonator"),
        Status::Fail,
        secrets,
        18,
    );
    let gke = about(&f, "cluster-impersonator-secret", "member-gke");
    assert_at(gke, Status::Fail, clusters, 30);
    assert!(gke
        .remediation
        .as_ref()
        .unwrap()
        .commands
        .iter()
        .any(|c| c.contains("member-gke-impersonator")));
    let missing = about(&f, "cluster-impersonator-secret", "member-124-impersonator");
    assert_eq!(missing.status, Status::Unknown);
    assert!(missing.location.is_none());

    let everything = serde_json::to_string(&f).unwrap();
    assert!(!everything.contains("ZmFrZS1pbXBlcnNvbmF0b3ItdG9rZW4tZWtz"));
    assert!(!everything.contains("fake-impersonator-token"));
}

#[test]
fn the_impersonator_rule_only_runs_after_the_upgrade() {
    let f = check(&["fixtures/fleet-mcs"], Phase::Pre);
    let r = of(&f, "cluster-impersonator-secret");
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].status, Status::Skip);
}

#[test]
fn in_a_bundle_each_member_is_judged_on_its_own_rbac() {
    let f = check(&["fixtures/fleet-bundle"], Phase::Pre);
    let agent = of(&f, "agent-impersonate-rbac");
    let by_scope = |scope: &str| -> &Finding {
        let hits: Vec<_> = agent
            .iter()
            .filter(|x| {
                x.object
                    .as_ref()
                    .is_some_and(|o| o.scope().to_string() == scope)
            })
            .collect();
        assert_eq!(hits.len(), 1, "{scope}: {hits:#?}");
        hits[0]
    };
    let members = "fixtures/fleet-bundle/members";
    // v0.10 agent: the six-verb ClusterRole.
    assert_at(
        by_scope("member/member-pull"),
        Status::Action,
        &format!("{members}/member-pull/clusterrole.yaml"),
        5,
    );
    // v1.0 agent: verbs ['*'] grants impersonate.
    assert_at(
        by_scope("member/member-v1"),
        Status::Pass,
        &format!("{members}/member-v1/clusterrole.yaml"),
        6,
    );
    // Helm release "edge": the fix rewrites ClusterRole edge, not karmada-agent.
    let helm = by_scope("member/member-helm");
    assert_at(
        helm,
        Status::Action,
        &format!("{members}/member-helm/agent.yaml"),
        16,
    );
    let m = &helm.remediation.as_ref().unwrap().manifests;
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].content["metadata"]["name"], "edge");
    assert_eq!(m[0].apply_to, "member/member-helm");
    // The binding names karmada-agent-sa in namespace default: point at that subject and
    // bind the real ServiceAccount, keeping the existing subject.
    let wrong = by_scope("member/member-wrongsa");
    assert_at(
        wrong,
        Status::Action,
        &format!("{members}/member-wrongsa/agent.yaml"),
        23,
    );
    assert_eq!(wrong.location.as_ref().unwrap().pointer, "/subjects/0");
    let m = &wrong.remediation.as_ref().unwrap().manifests;
    let crb = m
        .iter()
        .find(|x| x.content["kind"] == "ClusterRoleBinding")
        .unwrap();
    assert_eq!(crb.content["subjects"][1]["namespace"], "karmada-system");
    assert_eq!(crb.content["subjects"][1]["name"], "karmada-agent-sa");
    // No agent: push mode, skipped.
    assert!(agent
        .iter()
        .any(|x| x.status == Status::Skip && x.message.contains("member/member-push")));
}

#[test]
fn after_the_upgrade_a_missing_impersonate_grant_is_an_error() {
    let f = check(&["fixtures/fleet-bundle/members/member-pull"], Phase::Post);
    let a = of(&f, "agent-impersonate-rbac");
    assert_eq!(a.len(), 1);
    assert_eq!(
        (a[0].status, a[0].severity),
        (Status::Fail, Some(Severity::Error))
    );
}

#[test]
fn the_fix_dir_plan_follows_the_guide_and_marks_what_is_done() {
    let dir = tempfile::tempdir().unwrap();
    let out = assert_cmd::Command::cargo_bin("karmada-preflight")
        .unwrap()
        .args([
            "check",
            "fixtures/karmada-v0.10.1",
            "fixtures/fleet-mcs",
            "--phase",
            "post",
        ])
        .arg("--fix-dir")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&out.stdout).contains("ZmFrZS1pbXBlcnNvbmF0b3ItdG9rZW4tZWtz"));
    let plan = std::fs::read_to_string(dir.path().join("PLAN.md")).unwrap();
    let pos = |needle: &str| {
        plan.find(needle)
            .unwrap_or_else(|| panic!("{needle} not in PLAN.md:\n{plan}"))
    };
    // The guide's order: stop and delete the CRD, flags, start again, APIService, agent
    // RBAC, verify.
    let order = [
        "Scale karmada-apiserver to 0",
        "```sh run=etcd-pod\nkubectl --context karmada-host -n karmada-system exec etcd-0 -c etcd -- etcdctl",
        "apiserver-front-proxy-flags (KP1003, v0.10->v1.0)",
        "Scale karmada-apiserver back up",
        "--replicas=1",
        "cluster-apiservice (KP1002, v0.10->v1.0)",
        "agent-impersonate-rbac (KP1010, v0.10->v1.0)",
        ". Verify",
        "cluster-impersonator-secret (KP1015, v0.10->v1.0)",
    ];
    for w in order.windows(2) {
        assert!(
            pos(w[0]) < pos(w[1]),
            "{} should come before {}",
            w[0],
            w[1]
        );
    }
    assert!(plan.contains("- [x] mcs-member-version: Cluster member-k3s"));
    assert!(plan.contains("- [?] mcs-member-version: Cluster member-new"));
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        assert!(!text.contains("ZmFrZS1pbXBlcnNvbmF0b3ItdG9rZW4tZWtz"));
        assert!(!text.contains("PRIVATE KEY"));
    }
}

/// A member whose agent is bound to an aggregated ClusterRole, among a fleet's worth of
/// ClusterRoles nobody binds (the index only parses what a binding can reach).
fn aggregated_member(dir: &std::path::Path, source_labelled: bool) {
    let v1 = "fixtures/fleet-bundle/members/member-v1";
    for f in [
        "karmada-agent.yaml",
        "serviceaccount.yaml",
        "clusterrolebinding.yaml",
    ] {
        std::fs::copy(format!("{v1}/{f}"), dir.join(f)).unwrap();
    }
    let label = if source_labelled {
        "  labels:\n    rbac.example.com/aggregate-to-agent: \"true\"\n"
    } else {
        ""
    };
    let mut roles = format!(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: karmada-agent\n\
         aggregationRule:\n  clusterRoleSelectors:\n  - matchLabels:\n      rbac.example.com/aggregate-to-agent: \"true\"\n\
         rules: []\n---\n\
         apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: impersonation-bits\n{label}\
         rules:\n- apiGroups: ['']\n  resources: ['users', 'groups', 'serviceaccounts']\n  verbs: ['impersonate']\n"
    );
    for i in 0..200 {
        roles.push_str(&format!(
            "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: team-{i}\n\
             rules:\n- apiGroups: ['']\n  resources: ['pods']\n  verbs: ['get']\n"
        ));
    }
    // Unbound and malformed: noted by the index if parsed, never part of an answer.
    roles.push_str("---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: broken\nrules: 7\n");
    std::fs::write(dir.join("clusterroles.yaml"), roles).unwrap();
}

/// The agent rule's one finding about [`aggregated_member`].
fn aggregated_member_finding(source_labelled: bool) -> Finding {
    let dir = tempfile::tempdir().unwrap();
    aggregated_member(dir.path(), source_labelled);
    let f = check(&[dir.path().to_str().unwrap()], Phase::Pre);
    let a = of(&f, "agent-impersonate-rbac");
    assert_eq!(a.len(), 1, "{a:#?}");
    a[0].clone()
}

#[test]
fn an_agent_bound_to_an_aggregated_role_is_judged_on_the_roles_it_selects() {
    // Allowed by the selected role's rule, reported where that rule is.
    let pass = aggregated_member_finding(true);
    assert_at(&pass, Status::Pass, "clusterroles.yaml", 18);
    assert_eq!(pass.location.as_ref().unwrap().pointer, "/rules/0");
    // The selected role loses its label: the aggregated role grants nothing.
    let action = aggregated_member_finding(false);
    assert_at(&action, Status::Action, "clusterroles.yaml", 5);
    assert_eq!(
        action.location.as_ref().unwrap().pointer,
        "/aggregationRule"
    );
    assert!(
        action
            .message
            .contains("ClusterRole karmada-agent aggregates no such rule"),
        "{}",
        action.message
    );
}
