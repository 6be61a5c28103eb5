//! #15's promise to the CI gate: making the loader fast must not change one finding.
//!
//! The loader builds and keeps only the objects some rule reads (kinds, and whole
//! apiVersions for rules that match by apiVersion alone), and facts such as which
//! containers are Karmada components are derived once per inventory. Each input below is
//! checked twice through the library, once the way `check` runs and once keeping every
//! object it read, and the two `-o json` reports must be byte-identical apart from the
//! time they were generated. `.ci/run` runs this file.
//!
//! The inputs: every official install bundled under `fixtures/` (manifests, Helm renders,
//! operator samples, init configs of every release) and a generated corpus of both
//! benchmark mixes (`benches/offline/corpus.rs`: user Deployments, Clusters, RBAC,
//! EndpointSlices, ConfigMaps, Services, Secrets, Karmada policies and one install).
//! The generated corpus is also compared with the report the build before the
//! performance work wrote for it (`tests/golden/corpus-relevant-1000.json`), so a change
//! that speeds up both paths alike cannot slip a finding through either.

#[allow(dead_code)]
#[path = "../benches/offline/corpus.rs"]
mod corpus;

use std::path::{Path, PathBuf};

use karmada_preflight::engine::{self, Config};
use karmada_preflight::reports::json;
use karmada_preflight::upgrade::Phase;

/// The JSON report of `paths`, without its generation time.
fn report_json(paths: &[String], phase: Option<Phase>, keep_every_object: bool) -> String {
    let config = Config {
        phase,
        keep_every_object,
        ..Config::paths(paths.to_vec())
    };
    let report = engine::run(&config).unwrap_or_else(|e| panic!("{paths:?}: {e}"));
    let mut v: serde_json::Value =
        serde_json::from_str(&json::render(&report)).expect("the JSON report parses");
    v.as_object_mut()
        .expect("a report is a mapping")
        .shift_remove("generatedAt");
    serde_json::to_string_pretty(&v).expect("re-serialises")
}

/// The first line where two reports differ, to say what changed rather than dump both.
fn first_difference(a: &str, b: &str) -> String {
    a.lines()
        .zip(b.lines())
        .enumerate()
        .find(|(_, (x, y))| x != y)
        .map(|(i, (x, y))| format!("line {}: {x:?} != {y:?}", i + 1))
        .unwrap_or_else(|| format!("lengths {} and {}", a.len(), b.len()))
}

fn assert_filter_changes_nothing(paths: &[String], phase: Option<Phase>) {
    let filtered = report_json(paths, phase, false);
    let everything = report_json(paths, phase, true);
    assert!(
        filtered == everything,
        "{paths:?} ({phase:?}): the kind filter changed the report: {}",
        first_difference(&filtered, &everything)
    );
}

/// Every install bundled as a fixture: one folder per release's manifests, Helm render,
/// operator sample; the v0.10/v1.0 installs; the install-shape files.
fn fixture_installs() -> Vec<String> {
    let mut out: Vec<String> = [
        "fixtures/karmada-v0.10.1",
        "fixtures/karmada-v1.0.0",
        "fixtures/helm-v1.0",
        "fixtures/karmadactl-init-v1.0",
        "fixtures/installs",
        "fixtures/fleet-bundle",
        "fixtures/fleet-mcs",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let mut releases: Vec<PathBuf> = std::fs::read_dir("fixtures/releases")
        .expect("fixtures/releases")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_dir()
                && p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with('v'))
        })
        .collect();
    releases.sort();
    for r in releases {
        out.push(r.display().to_string());
    }
    out
}

#[test]
fn every_bundled_install_gets_the_same_findings_with_and_without_the_kind_filter() {
    let installs = fixture_installs();
    assert!(installs.len() >= 25, "{installs:?}");
    for input in &installs {
        for phase in [None, Some(Phase::Pre), Some(Phase::Post)] {
            assert_filter_changes_nothing(std::slice::from_ref(input), phase);
        }
    }
}

/// A corpus of `n` objects of `mix`, generated once per test run.
fn corpus(dir: &Path, n: usize, mix: corpus::Mix) -> String {
    let d = dir.join(mix.name());
    corpus::generate(&d, n, mix, 42).expect("corpus written");
    d.display().to_string()
}

#[test]
fn a_generated_repository_gets_the_same_findings_with_and_without_the_kind_filter() {
    let tmp = tempfile::tempdir().unwrap();
    for mix in [corpus::Mix::Relevant, corpus::Mix::Irrelevant] {
        let dir = corpus(tmp.path(), 3000, mix);
        assert_filter_changes_nothing(&[dir], None);
    }
}

#[test]
fn a_generated_repository_gets_the_findings_of_the_build_before_the_performance_work() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = corpus(tmp.path(), 1000, corpus::Mix::Relevant);
    // Locations name the corpus folder; the golden names it `CORPUS`.
    let now = report_json(std::slice::from_ref(&dir), None, false).replace(&dir, "CORPUS");
    let golden = Path::new("tests/golden/corpus-relevant-1000.json");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(golden, &now).unwrap();
    }
    let before = std::fs::read_to_string(golden).expect("tests/golden/corpus-relevant-1000.json");
    // Written by the earlier build's `check -o json`: compared in one layout.
    let before: serde_json::Value = serde_json::from_str(&before).expect("golden parses");
    let before = serde_json::to_string_pretty(&before).unwrap();
    assert!(
        now == before,
        "the generated corpus's report changed: {} (if a rule changed on purpose, \
         UPDATE_GOLDEN=1 cargo test --test same_findings and review the diff)",
        first_difference(&before, &now)
    );
}

/// The benchmark's irrelevant mix measures what objects no rule reads cost; once a rule
/// reads one of its kinds the mix measures something else. Every filler kind must stay
/// unread by the bundled rules, and the loader must keep none of them.
#[test]
fn the_benchmarks_irrelevant_mix_holds_only_kinds_no_rule_reads() {
    use karmada_preflight::rules::Catalog;
    use karmada_preflight::sources::{load_inputs, Limits};
    let catalog = Catalog::embedded().expect("bundled rules load");
    let filter = catalog.kind_filter().expect("the rules read named kinds");
    for (api_version, kind) in corpus::IRRELEVANT_KINDS {
        assert!(
            !filter.keeps(Some(api_version), kind),
            "a rule reads {api_version} {kind}: the irrelevant mix needs another kind"
        );
    }
    // Loaded, the corpus keeps only its fixed relevant part (the install, 50
    // Deployments, 5 CRDs), whatever its size.
    let tmp = tempfile::tempdir().unwrap();
    let kept = |n: usize| {
        let dir = tmp.path().join(n.to_string());
        corpus::generate(&dir, n, corpus::Mix::Irrelevant, 42).unwrap();
        let inv = load_inputs(
            &[dir.display().to_string()],
            &Limits::default(),
            &Some(filter.clone()),
        );
        assert!(
            inv.skipped_objects >= n - 60,
            "{} of {n} skipped",
            inv.skipped_objects
        );
        inv.len()
    };
    assert_eq!(kept(6000), kept(12000));
}
