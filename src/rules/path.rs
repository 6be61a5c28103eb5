//! The upgrade path seen from the catalog: how many rules each hop has, what `rules -o json`
//! says about each hop, and where a rule sits on a path.

use std::collections::BTreeMap;

use super::catalog::Catalog;
use super::spec::RuleSpec;
use crate::k8s::MinorHop;
use crate::upgrade::path::{hop_label, UpgradePlan, KNOWN_RELEASES};

/// What the catalog adds to an upgrade path.
pub trait CatalogPlan {
    /// Record how many rules the catalog holds for each hop, so hops without a pack are
    /// reported rather than silently passed.
    fn with_catalog(self, catalog: &Catalog) -> UpgradePlan;
    /// Position of the rule's hop on the path (see [`UpgradePlan::position`]).
    fn position_of(&self, spec: &RuleSpec) -> Option<usize>;
}

impl CatalogPlan for UpgradePlan {
    fn with_catalog(self, catalog: &Catalog) -> UpgradePlan {
        self.with_rules_per_hop(rules_per_hop(catalog))
    }

    fn position_of(&self, spec: &RuleSpec) -> Option<usize> {
        self.position(&spec.name, spec.hop.as_ref())
    }
}

/// Hop label -> number of rules in the catalog for it.
pub fn rules_per_hop(catalog: &Catalog) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for r in &catalog.rules {
        if let Some(h) = &r.spec.hop {
            *m.entry(h.label()).or_insert(0) += 1;
        }
    }
    m
}

/// What the rules know about one hop, for `rules -o json`.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HopSummary {
    pub hop: String,
    pub packs: Vec<String>,
    /// Rules of the hop (its `release-notes` rule included).
    pub rules: usize,
    /// Notes the hop's `release-notes` rule reports as info (what state cannot show).
    pub notes: usize,
    /// The release notes and upgrade guides the hop's rules were written from: every
    /// `docs` link of its rules and the `sources` of its `release-notes` rule.
    pub release_notes: Vec<String>,
}

/// One summary per hop between consecutive known releases (a hop without rules shows 0),
/// then any other hop user rules name.
pub fn hop_summaries(catalog: &Catalog) -> Vec<HopSummary> {
    let mut labels: Vec<String> = KNOWN_RELEASES
        .windows(2)
        .map(|w| {
            hop_label(&MinorHop {
                from: w[0],
                to: w[1],
            })
        })
        .collect();
    for h in rules_per_hop(catalog).into_keys() {
        if !labels.contains(&h) {
            labels.push(h);
        }
    }
    labels
        .into_iter()
        .map(|hop| {
            let rules: Vec<_> = catalog
                .rules
                .iter()
                .filter(|r| r.spec.hop.map(|h| h.label()).as_ref() == Some(&hop))
                .collect();
            let mut packs: Vec<String> = rules.iter().map(|r| r.spec.pack.clone()).collect();
            packs.sort();
            packs.dedup();
            let mut release_notes: Vec<String> = Vec::new();
            let mut notes = 0;
            for r in &rules {
                if r.spec.template == "release-notes" {
                    notes += r.spec.params["notes"].as_array().map_or(0, Vec::len);
                    for s in r.spec.params["sources"].as_array().into_iter().flatten() {
                        if let Some(s) = s.as_str() {
                            release_notes.push(s.to_string());
                        }
                    }
                }
                if let Some(d) = &r.spec.docs {
                    release_notes.push(d.clone());
                }
            }
            release_notes.sort();
            release_notes.dedup();
            HopSummary {
                hop,
                packs,
                rules: rules.len(),
                notes,
                release_notes,
            }
        })
        .collect()
}
