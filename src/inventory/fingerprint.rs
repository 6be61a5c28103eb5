//! Structural fingerprints: what tells Karmada releases apart when image tags say
//! `latest` (the official `artifacts/deploy` manifests always do). A fingerprint is a
//! fact an installation shows: a component is deployed, a component takes a flag, a
//! webhook, APIService or CRD exists. Which releases ship each fact is derived from the
//! tagged release artifacts (`fixtures/releases/*/artifacts/deploy`, `fixtures/karmada-v1.0.0`)
//! into [`TABLE`]; `tests/installs.rs` rebuilds the table from them and fails when it is
//! out of step (`KP_WRITE_FINGERPRINTS=1` rewrites it).
//!
//! Only presence counts: an input may be partial (one file, one component), so a fact
//! missing from it says nothing. The releases that show the most of the facts present
//! are the candidates, reported as a range.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use serde_json::Value;

use super::components::Shape;
use super::store::{Inventory, ScopeSel};
use super::workload::Component;

/// The derived table: a `releases` line naming every release in order, then one line
/// per fact: `fact<TAB>release,release,...` (facts every release shows are left out).
pub const TABLE: &str = include_str!("fingerprints.txt");

/// The facts an inventory shows.
pub fn features(inv: &Inventory) -> BTreeSet<String> {
    static ALL: ScopeSel = ScopeSel::All;
    let mut out = BTreeSet::new();
    for c in &inv.components().components {
        // karmada-apiserver is kube-apiserver, the operator has releases of its own, and
        // flags a user set in a CR or init config are not the release's.
        if c.shape != Shape::Workload
            || matches!(
                c.component,
                Component::KarmadaApiserver
                    | Component::KubeControllerManager
                    | Component::Operator
            )
        {
            continue;
        }
        let name = c.component.display();
        out.insert(format!("component {name}"));
        for f in c.flags.iter().flatten() {
            out.insert(format!("flag {name} {}", f.name));
        }
    }
    for (kind, label) in [
        ("MutatingWebhookConfiguration", "mutating"),
        ("ValidatingWebhookConfiguration", "validating"),
    ] {
        for o in inv.of_kind(kind, &ALL) {
            for w in o
                .at("/webhooks")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(n) = w.get("name").and_then(Value::as_str) {
                    out.insert(format!("webhook {label} {n}"));
                }
            }
        }
    }
    for o in inv.of_kind("APIService", &ALL) {
        out.insert(format!("apiservice {}", o.name()));
    }
    for o in inv.of_kind("CustomResourceDefinition", &ALL) {
        out.insert(format!("crd {}", o.name()));
    }
    out
}

/// The table text for facts per release (releases in order, `v1.16` style labels).
pub fn table_text(per_release: &[(String, BTreeSet<String>)]) -> String {
    let mut by_fact: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (rel, facts) in per_release {
        for f in facts {
            by_fact.entry(f).or_default().push(rel);
        }
    }
    let mut out = String::from(
        "# Karmada release fingerprints, derived from the tagged release artifacts by\n\
         # tests/installs.rs (KP_WRITE_FINGERPRINTS=1 cargo test --test installs); do not edit.\n",
    );
    out.push_str("releases");
    for (rel, _) in per_release {
        out.push(' ');
        out.push_str(rel);
    }
    out.push('\n');
    for (fact, rels) in by_fact {
        if rels.len() == per_release.len() {
            continue;
        }
        out.push_str(&format!("{fact}\t{}\n", rels.join(",")));
    }
    out
}

/// The parsed table: releases in order and, per fact, the indexes of releases showing it.
struct Table {
    releases: Vec<String>,
    facts: BTreeMap<String, Vec<usize>>,
}

fn table() -> &'static Table {
    static T: OnceLock<Table> = OnceLock::new();
    T.get_or_init(|| {
        let mut releases = Vec::new();
        let mut facts = BTreeMap::new();
        for line in TABLE.lines().filter(|l| !l.starts_with('#')) {
            if let Some(rest) = line.strip_prefix("releases ") {
                releases = rest.split(' ').map(str::to_string).collect();
            } else if let Some((fact, rels)) = line.split_once('\t') {
                let idx = rels
                    .split(',')
                    .filter_map(|r| releases.iter().position(|x| x == r))
                    .collect();
                facts.insert(fact.to_string(), idx);
            }
        }
        Table { releases, facts }
    })
}

/// The releases an inventory looks like, from its structure alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FingerprintMatch {
    /// Oldest and newest candidate release (`v1.11`, `v1.13`).
    pub low: String,
    pub high: String,
    /// The facts that decided, e.g. `flag karmada-controller-manager --metrics-bind-address`.
    pub facts: Vec<String>,
    /// Facts present that no candidate release ships (user additions, or a mix).
    pub unmatched: Vec<String>,
}

/// The candidate releases, or None when the input shows no distinguishing fact.
pub fn match_releases(inv: &Inventory) -> Option<FingerprintMatch> {
    let t = table();
    let present: Vec<(&String, &Vec<usize>)> = features(inv)
        .into_iter()
        .filter_map(|f| t.facts.get_key_value(&f))
        .collect();
    if present.is_empty() {
        return None;
    }
    let mut score = vec![0usize; t.releases.len()];
    for (_, rels) in &present {
        for r in rels.iter() {
            score[*r] += 1;
        }
    }
    let best = *score.iter().max()?;
    let candidates: Vec<usize> = (0..score.len()).filter(|i| score[*i] == best).collect();
    let (lo, hi) = (*candidates.first()?, *candidates.last()?);
    // The facts that narrowed it, most telling (fewest releases) first.
    let mut telling: Vec<(usize, &String)> = present
        .iter()
        .filter(|(_, rels)| candidates.iter().all(|c| rels.contains(c)))
        .map(|(f, rels)| (rels.len(), *f))
        .collect();
    telling.sort();
    let facts = telling.into_iter().map(|(_, f)| f.clone()).collect();
    let unmatched = present
        .iter()
        .filter(|(_, rels)| !candidates.iter().any(|c| rels.contains(c)))
        .map(|(f, _)| f.to_string())
        .collect();
    Some(FingerprintMatch {
        low: t.releases[lo].clone(),
        high: t.releases[hi].clone(),
        facts,
        unmatched,
    })
}
