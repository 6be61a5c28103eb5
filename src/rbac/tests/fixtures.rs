//! The official Karmada agent manifests under `fixtures/`: the v0.10.1 agent cannot
//! impersonate, the v1.0.0 agent can, with the ServiceAccount taken from the Deployment
//! exactly as the upgrade rule will do it.

use std::path::Path;

use serde_json::Value;

use crate::rbac::{
    service_account_of_workload, RbacIndex, RbacObject, RbacSubject, ServiceAccountRef,
};
use crate::sources::{limits::Limits, yaml::parse_documents};

/// All documents of `fixtures/<version>/artifacts/agent/*.yaml`, with their file names as
/// origins.
fn agent_manifests(version: &str) -> Vec<(String, Value)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(version)
        .join("artifacts/agent");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        let outcome = parse_documents(&text, &Limits::default(), |doc| {
            out.push((name.clone(), doc.value()));
        });
        assert!(
            outcome.problems.is_empty(),
            "{name}: {:?}",
            outcome.problems
        );
    }
    out
}

fn agent_service_account(objs: &[(String, Value)]) -> ServiceAccountRef {
    let deployment = objs
        .iter()
        .map(|(_, v)| v)
        .find(|v| v["kind"] == "Deployment" && v["metadata"]["name"] == "karmada-agent")
        .expect("agent Deployment in fixtures");
    service_account_of_workload(deployment, "default").expect("pod template")
}

fn index_of(objs: &[(String, Value)]) -> RbacIndex<&str> {
    RbacIndex::from_objects(
        objs.iter()
            .map(|(file, v)| RbacObject::new(v, file.as_str())),
    )
}

#[test]
fn v0_10_1_agent_manifests_cannot_impersonate() {
    let objs = agent_manifests("karmada-v0.10.1");
    let sa = agent_service_account(&objs);
    assert_eq!(
        sa,
        ServiceAccountRef::new("karmada-system", "karmada-agent-sa")
    );
    let idx = index_of(&objs);
    assert!(idx.notes().is_empty(), "{:?}", idx.notes());
    let verdict = idx.can_impersonate(&sa);
    assert_eq!(
        verdict.denied_resources(),
        vec!["users", "groups", "serviceaccounts"]
    );
    let roles = idx.roles_bound_to(&RbacSubject::ServiceAccount(sa));
    assert_eq!(roles.len(), 1);
    assert_eq!(roles[0].name, "karmada-agent");
    assert_eq!(roles[0].origin, Some("clusterrole.yaml"));
}

#[test]
fn v1_0_0_agent_manifests_can_impersonate() {
    let objs = agent_manifests("karmada-v1.0.0");
    let sa = agent_service_account(&objs);
    let idx = index_of(&objs);
    assert!(idx.notes().is_empty(), "{:?}", idx.notes());
    let verdict = idx.can_impersonate(&sa);
    assert!(verdict.allowed());
    for c in &verdict.checks {
        let g = &c.decision.grants[0];
        assert_eq!(g.binding.origin, "clusterrolebinding.yaml");
        assert_eq!(g.role.origin, Some("clusterrole.yaml"));
        assert_eq!(g.rule_index, 0);
    }
}

#[test]
fn recommended_role_matches_the_shipped_v1_0_0_role() {
    let objs = agent_manifests("karmada-v1.0.0");
    let shipped = objs
        .iter()
        .map(|(_, v)| v)
        .find(|v| v["kind"] == "ClusterRole")
        .unwrap();
    assert_eq!(
        &crate::rbac::recommended_agent_clusterrole("karmada-agent"),
        shipped
    );
}
