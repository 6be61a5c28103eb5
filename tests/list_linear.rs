//! A `kind: List` (how `collect` writes every bundle file, and what `kubectl get -o yaml`
//! prints) must load in time linear in its items. Each item once looked its position up
//! in the whole document's index and then copied its part out of it, so 100k ConfigMaps
//! took 35 s where a `---` stream of the same took one. Items are now written into trees
//! of their own in one walk each, with no position index at all.
//!
//! Not timed: the loader counts the position-index entries it looks at
//! (`text::pos::entries_visited`: documents taken apart as a `Value`, such as manifests
//! embedded in ConfigMaps), and that count must stay within a small multiple of the
//! entries the file has. This file holds one test so that no other test in the same
//! process moves the counter.

use karmada_preflight::inventory::Scope;
use karmada_preflight::sources::{load_inputs, yaml::parse_documents, Limits};
use karmada_preflight::text::pos::entries_visited;
use karmada_preflight::text::to_yaml;
use serde_json::{json, Value};

fn configmap(i: usize) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": format!("cm-{i}"), "namespace": "karmada-system", "labels": {"app": "x"}},
        "data": {"a": "1", "b": "2"},
    })
}

fn deployment(i: usize) -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": format!("deploy-{i}"), "namespace": "karmada-system"},
        "spec": {"template": {"spec": {"containers": [{"name": "c", "image": "busybox"}]}}},
    })
}

/// A bundle file exactly as `collect` writes one (`sources::live::snapshot::write`).
fn list(items: Vec<Value>) -> String {
    to_yaml(&json!({"apiVersion": "v1", "kind": "List", "metadata": {}, "items": items}))
}

/// Index entries of one file's documents.
fn entries(text: &str) -> u64 {
    let mut n = 0;
    parse_documents(text, &Limits::default(), |d| n += d.spans().len() as u64);
    n
}

#[test]
fn a_100k_item_list_bundle_loads_with_work_proportional_to_its_items() {
    const N: usize = 100_000;
    let tmp = tempfile::tempdir().unwrap();
    let bundle = tmp.path().join("bundle");
    for d in ["karmada", "host"] {
        std::fs::create_dir_all(bundle.join(d)).unwrap();
    }
    let configmaps = list((0..N).map(configmap).collect());
    let deployments = list((0..N / 10).map(deployment).collect());
    std::fs::write(bundle.join("karmada/configmaps.yaml"), &configmaps).unwrap();
    std::fs::write(bundle.join("host/deployments.apps.yaml"), &deployments).unwrap();
    // The entries the files have, from a List of one item and one of two: the per-item
    // count times N (parsing the big files here would double the test's run time).
    let per_file = |make: fn(usize) -> Value, n: usize| -> u64 {
        let one = entries(&list(vec![make(0)]));
        let two = entries(&list(vec![make(0), make(1)]));
        one + (two - one) * (n as u64 - 1)
    };
    let total = per_file(configmap, N) + per_file(deployment, N / 10);

    let before = entries_visited();
    let inv = load_inputs(&[bundle.display().to_string()], &Limits::default(), &None);
    let visited = entries_visited() - before;

    // Every object is there, in its bundle folder's scope, at its own line.
    assert!(
        inv.problems.is_empty(),
        "{:?}",
        &inv.problems[..3.min(inv.problems.len())]
    );
    assert_eq!(inv.len(), N + N / 10);
    let in_scope = |kind: &str, scope: &Scope| {
        inv.all()
            .filter(|o| o.r.kind() == kind && o.r.scope() == scope)
            .count()
    };
    assert_eq!(in_scope("ConfigMap", &Scope::Karmada), N);
    assert_eq!(in_scope("Deployment", &Scope::Host), N / 10);
    let last = inv
        .all()
        .find(|o| o.name() == format!("cm-{}", N - 1))
        .expect("the last ConfigMap");
    let line = configmaps
        .lines()
        .position(|l| l.ends_with(&format!("name: cm-{}", N - 1)))
        .unwrap() as u32
        + 1;
    assert_eq!(last.locate("/metadata/name").line, Some(line));

    // Linear: each entry looked at a few times at most (an item's positions come from the
    // List's own, node by node; only what is taken apart as a `Value` uses an index). Re-scanning the index
    // per item looked at about N * total / 2 of them (5 * 10^10 here).
    assert!(
        visited <= 4 * total,
        "loading looked at {visited} index entries for {total} entries in the files \
         ({} per entry): not linear in the List's items",
        visited / total.max(1)
    );
}
