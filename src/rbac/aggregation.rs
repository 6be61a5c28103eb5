//! Effective rules of ClusterRoles with an `aggregationRule`, computed the way the
//! `clusterrole-aggregation-controller` (kube-controller-manager) converges.
//!
//! The controller sets an aggregated role's `rules` to the de-duplicated union of the
//! stored `rules` of every other ClusterRole matching any selector (selectors in order,
//! matches sorted by name). Because it re-syncs every aggregated role whenever any
//! ClusterRole changes, a selected role that is itself aggregated contributes its own
//! aggregated rules: the bootstrap `admin` role gets `view`'s rules through `edit` this way.
//! So aggregation is followed transitively here; each role is visited once, which bounds
//! cycles and diamonds.
//!
//! Offline manifests do not carry the controller's output, so it is recomputed. A live
//! dump carries it already in `rules`; those rules are kept first (so rule indices match the
//! stored object) and identical recomputed rules are not repeated.

use std::collections::BTreeMap;

use k8s_openapi::api::rbac::v1::PolicyRule;

use super::selector::Selector;
use super::types::EffectiveRule;

pub(crate) struct AggregationNode<'a> {
    pub name: &'a str,
    pub labels: &'a BTreeMap<String, String>,
    pub rules: &'a [PolicyRule],
    /// `None`: no aggregationRule. `Some(Err)`: an invalid selector.
    pub selectors: Option<&'a Result<Vec<Selector>, String>>,
}

impl AggregationNode<'_> {
    fn valid_selectors(&self) -> &[Selector] {
        match self.selectors {
            Some(Ok(sels)) => sels,
            _ => &[],
        }
    }
}

#[derive(Debug, Default)]
pub(crate) struct Aggregated {
    pub rules: Vec<EffectiveRule>,
    pub notes: Vec<String>,
}

/// Effective rules of `nodes[root]`. `nodes` must be sorted by name, the order in which
/// the controller appends matched roles.
pub(crate) fn effective_rules(nodes: &[AggregationNode<'_>], root: usize) -> Aggregated {
    let Some(node) = nodes.get(root) else {
        return Aggregated::default();
    };
    let own = |src: Option<(&str, usize)>, i: usize, rule: &PolicyRule| EffectiveRule {
        rule: rule.clone(),
        aggregated_from: src.map(|(n, _)| n.to_string()),
        source_rule_index: src.map_or(i, |(_, k)| k),
    };
    let mut out = Aggregated::default();
    // Without a usable aggregationRule only the role's stored rules count.
    let selectors = match node.selectors {
        None => None,
        Some(Err(e)) => {
            out.notes.push(format!(
                "ClusterRole {:?} has an invalid aggregationRule ({e}); the aggregation controller fails to sync it, so only its stored rules count",
                node.name
            ));
            None
        }
        Some(Ok(sels)) => Some(sels),
    };
    let Some(sels) = selectors else {
        out.rules = node
            .rules
            .iter()
            .enumerate()
            .map(|(i, r)| own(None, i, r))
            .collect();
        return out;
    };
    if sels.iter().any(Selector::selects_everything) {
        out.notes.push(format!(
            "ClusterRole {:?} has an empty clusterRoleSelector, which selects every ClusterRole in the cluster",
            node.name
        ));
    }

    let reachable = reachable_from(nodes, root);
    // Roles without an aggregationRule own their rules; aggregated ones in a live dump hold
    // copies. Attributing to the owner tells a fix which object to edit, since edits to an
    // aggregated role are reverted by the controller.
    let (leaves, aggregated): (Vec<usize>, Vec<usize>) = reachable
        .into_iter()
        .partition(|&j| nodes[j].selectors.is_none());
    let mut pool: Vec<EffectiveRule> = Vec::new();
    for j in leaves.into_iter().chain(aggregated) {
        for (k, rule) in nodes[j].rules.iter().enumerate() {
            if !pool.iter().any(|e| e.rule == *rule) {
                pool.push(own(Some((nodes[j].name, k)), k, rule));
            }
        }
    }

    let mut stale = Vec::new();
    for (i, rule) in node.rules.iter().enumerate() {
        match pool.iter().find(|e| e.rule == *rule) {
            Some(e) => out.rules.push(EffectiveRule {
                rule: rule.clone(),
                aggregated_from: e.aggregated_from.clone(),
                source_rule_index: e.source_rule_index,
            }),
            None => {
                stale.push(format!("#{i}"));
                out.rules.push(own(None, i, rule));
            }
        }
    }
    if !stale.is_empty() {
        out.notes.push(format!(
            "ClusterRole {:?} has an aggregationRule, but its rules {} come from none of the ClusterRoles it selects; the clusterrole-aggregation-controller overwrites them, so they only hold until it next syncs",
            node.name,
            stale.join(", ")
        ));
    }
    for e in pool {
        if !node.rules.contains(&e.rule) {
            out.rules.push(e);
        }
    }
    out
}

/// Every ClusterRole reachable from `root` through aggregation selectors, in controller
/// order (depth-first, selectors in order, candidates by name), excluding `root`.
/// Iterative so that a long aggregation chain cannot overflow the stack.
fn reachable_from(nodes: &[AggregationNode<'_>], root: usize) -> Vec<usize> {
    let mut visited = vec![false; nodes.len()];
    visited[root] = true;
    let mut order = Vec::new();
    // (node, selector index, next candidate index)
    let mut stack = vec![(root, 0usize, 0usize)];
    while let Some(frame) = stack.last_mut() {
        let (m, si, ci) = *frame;
        let sels = nodes[m].valid_selectors();
        if si >= sels.len() {
            stack.pop();
            continue;
        }
        if ci >= nodes.len() {
            frame.1 += 1;
            frame.2 = 0;
            continue;
        }
        frame.2 += 1;
        if visited[ci] || !sels[si].matches(nodes[ci].labels) {
            continue;
        }
        visited[ci] = true;
        order.push(ci);
        if !nodes[ci].valid_selectors().is_empty() {
            stack.push((ci, 0, 0));
        }
    }
    order
}
