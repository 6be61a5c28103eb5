//! #15: the loader keeps each object as a compact tree, and a `serde_json::Value` is built
//! only for an object some code asks whole (CEL, fix manifests, the handful of install
//! objects). A rule that reads every Deployment, Cluster, ClusterRole or EndpointSlice
//! through `Object::value`/`Object::at` instead of `Object::node` would bring back the
//! gigabyte that 100k such objects cost: this test runs every bundled rule, both phases,
//! over a generated fleet repository and names any rule input that was rebuilt.

#[allow(dead_code)]
#[path = "../benches/offline/corpus.rs"]
mod corpus;

use karmada_preflight::rules::path::CatalogPlan;
use karmada_preflight::rules::{run_rules_on_path, Catalog, RunOptions};
use karmada_preflight::sources::{load_inputs, Limits};
use karmada_preflight::upgrade::path::{newest_known, KNOWN_RELEASES};
use karmada_preflight::upgrade::{Phase, UpgradePlan};

#[test]
fn every_rule_reads_a_fleets_workloads_clusters_and_rbac_without_rebuilding_them() {
    let dir = tempfile::tempdir().expect("temp dir");
    corpus::generate(dir.path(), 2_000, corpus::Mix::Relevant, 7).expect("corpus written");
    let catalog = Catalog::embedded().expect("bundled rules load");
    // Every object kept, so no rule is spared an object by the kind filter.
    let inv = load_inputs(
        &[dir.path().display().to_string()],
        &Limits::default(),
        &None,
    );
    let (first, last) = (KNOWN_RELEASES[0], newest_known());
    let plan = UpgradePlan::between(
        &format!("v{}.{}", first.0, first.1),
        &format!("v{}.{}", last.0, last.1),
    )
    .expect("the whole known path")
    .with_catalog(&catalog);
    for phase in [Phase::Pre, Phase::Post] {
        let opts = RunOptions {
            phase,
            now: time::OffsetDateTime::now_utc(),
            only: Vec::new(),
        };
        let findings = run_rules_on_path(&catalog, &inv, &opts, &plan);
        assert!(findings.len() > 100, "{phase:?}: the rules ran");
    }

    // The fleet's own objects, not the Karmada install copied next to them (install
    // checks read those few whole, by design).
    let hot = ["Deployment", "Cluster", "ClusterRole", "EndpointSlice"];
    let fleet: Vec<_> = inv
        .all()
        .filter(|o| hot.contains(&o.kind()))
        .filter(|o| !o.locate("").to_string().contains("karmada-install"))
        .collect();
    assert!(fleet.len() > 1_000, "{} fleet objects", fleet.len());
    let rebuilt: Vec<String> = fleet
        .iter()
        .filter(|o| o.value_built())
        .map(|o| o.r.to_string())
        .collect();
    assert!(
        rebuilt.is_empty(),
        "{} of {} fleet objects were rebuilt as serde_json::Value by some rule, e.g. {:?}",
        rebuilt.len(),
        fleet.len(),
        &rebuilt[..rebuilt.len().min(5)]
    );
}
