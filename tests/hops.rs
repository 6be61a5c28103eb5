//! Upgrade hops v1.12 -> v1.19 and the ground rules of every path: a release the rules do
//! not know is refused with the list of known ones, a hop without a pack is `unknown`
//! naming it, and `rules -o json` says per hop how many rules it has and where they came from.

mod common;

use common::preflight;
use karmada_preflight::inventory::Inventory;
use karmada_preflight::rules::{run_rules_on_path, Catalog, Phase, RunOptions, UpgradePlan};
use serde_json::Value;

#[test]
fn a_release_that_does_not_exist_is_a_usage_error_listing_the_known_ones() {
    for args in [
        ["--from", "v1.23", "--to", "v1.24"],
        ["--from", "v1.18", "--to", "v1.99"],
        ["--from", "v1.18", "--to", "v1.20"],
    ] {
        let mut all = vec!["check", "fixtures/releases/v1.18.0/artifacts/deploy"];
        all.extend(args);
        let (code, out, err) = preflight(&all);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(out.is_empty(), "no report on a usage error: {out}");
        assert!(
            err.contains("is not a Karmada release the rules know"),
            "{err}"
        );
        assert!(err.contains("known releases: v0.9, v0.10, v1.0"), "{err}");
        assert!(err.contains("v1.18, v1.19"), "{err}");
    }
}

#[test]
fn a_hop_without_a_pack_is_unknown_naming_the_hop() {
    // Take the v1.0 -> v1.1 pack away, as if nobody had written it.
    let mut catalog = Catalog::embedded().expect("bundled rules load");
    catalog
        .rules
        .retain(|r| r.spec.hop.as_deref() != Some("v1.0->v1.1"));
    let plan = UpgradePlan::between("v0.10", "v1.2")
        .unwrap()
        .with_catalog(&catalog);
    assert_eq!(plan.uncovered(), ["v1.0->v1.1"]);
    let opts = RunOptions {
        phase: Phase::Pre,
        now: time::OffsetDateTime::now_utc(),
        only: vec!["hop-pack-known".into()],
    };
    let findings = run_rules_on_path(&catalog, &Inventory::new(), &opts, &plan);
    let got: Vec<(String, String)> = findings
        .iter()
        .map(|f| (f.status.to_string(), f.message.clone()))
        .collect();
    assert_eq!(got.len(), 3, "{got:#?}");
    assert_eq!(got[0].0, "pass");
    assert!(got[0].1.starts_with("v0.10->v1.0: "), "{}", got[0].1);
    assert_eq!(got[1].0, "unknown");
    assert!(
        got[1].1.starts_with("no rule pack for the hop v1.0->v1.1"),
        "{}",
        got[1].1
    );
    assert_eq!(got[2].0, "pass");
}

#[test]
fn rules_json_shows_each_hop_with_its_rule_count_and_release_notes() {
    let (code, out, err) = preflight(&["rules", "-o", "json"]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).expect("json");
    let hops = v["hops"].as_array().expect("hops");
    let hop = |label: &str| {
        hops.iter()
            .find(|h| h["hop"] == label)
            .unwrap_or_else(|| panic!("no {label} in {hops:#?}"))
    };
    let h = hop("v1.11->v1.12");
    assert_eq!(h["packs"][0], "karmada-v1.11-to-v1.12");
    assert!(h["rules"].as_u64().unwrap() >= 1);
    assert!(h["releaseNotes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s == "https://karmada.io/docs/administrator/upgrading/v1.11-v1.12"));
    // Every hop between known releases is listed, covered or not.
    assert!(hops.len() >= 21, "{}", hops.len());
    assert_eq!(v["knownReleases"][0], "v0.9");
    assert_eq!(
        v["knownReleases"].as_array().unwrap().last().unwrap(),
        "v1.19"
    );
}
