//! Trees refer to mapping keys held once per process (`text::keys`). A file of made-up
//! keys must not make that table grow without bound, and trees built after it is full
//! must read the same as before. One test in its own process: it fills the table.

use karmada_preflight::text::keys::{self, MAX_KEYS};
use karmada_preflight::text::Tree;
use serde_json::json;

#[test]
fn a_full_key_table_stops_growing_and_trees_still_read_every_key() {
    let early = json!({"apiVersion": "v1", "metadata": {"name": "a"}});
    let early_tree = Tree::from_value(&early);
    let held = keys::number("apiVersion").expect("held before the table fills");

    // Every made-up key is one more entry until the table is full.
    let mut taken = 0;
    for i in 0..MAX_KEYS + 10 {
        if keys::number(&format!("made-up-{i}")).is_some() {
            taken += 1;
        }
    }
    assert!(
        taken < MAX_KEYS,
        "the table took {taken} new keys: it is bounded"
    );
    assert_eq!(keys::number(&format!("made-up-{}", MAX_KEYS + 5)), None);
    // Keys held before stay held, with the same number, on any thread.
    assert_eq!(keys::number("apiVersion"), Some(held));
    let other = std::thread::spawn(|| keys::number("apiVersion"))
        .join()
        .unwrap();
    assert_eq!(other, Some(held));

    // A tree with new keys keeps them in its own text; old and new trees read the same
    // as the values they were built from.
    let late = json!({
        "apiVersion": "v1",
        "never-seen-before": {"also-new": ["x", {"name": "y"}]},
        "metadata": {"name": "b"}
    });
    let late_tree = Tree::from_value(&late);
    assert_eq!(late_tree.root().to_value(), late);
    assert_eq!(
        late_tree
            .root()
            .lookup("/never-seen-before/also-new/1/name")
            .and_then(|n| n.as_str()),
        Some("y")
    );
    let keys_read: Vec<&str> = late_tree
        .root()
        .entries()
        .unwrap()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(keys_read, ["apiVersion", "never-seen-before", "metadata"]);
    assert_eq!(early_tree.root().to_value(), early);
}
