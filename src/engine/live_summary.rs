//! What a live read tells the person watching, at fleet scale: one line for the whole
//! read, then one line per kind of problem with how many clusters it hit and the first
//! few of them ("kind MultiClusterService not served: 200 of 200 members (edge, k3s,
//! ...)"), never one line per cluster. The per-cluster figures (objects, requests, time,
//! gaps) are in the report's inputs.

use std::collections::BTreeMap;

use crate::inventory::{GapCause, Scope};
use crate::sources::live::Collection;

/// Clusters named in one line before "and N more".
const NAMED: usize = 3;

/// Which part of the installation a cluster stands for, as the lines count it.
fn role(scopes: &[Scope]) -> &'static str {
    if scopes.iter().any(|s| matches!(s, Scope::Member(_))) {
        "members"
    } else {
        "control-plane clusters"
    }
}

fn cause_words(c: GapCause) -> &'static str {
    match c {
        GapCause::Forbidden => "forbidden",
        GapCause::Unreachable => "unreachable",
        GapCause::NotServed => "not found",
        GapCause::Failed => "server error",
        GapCause::Interrupted => "cut short",
    }
}

/// One kind of problem and the clusters it hit, in read order.
struct Group {
    /// What the problem is, without any cluster in it.
    what: String,
    role: &'static str,
    clusters: Vec<String>,
    /// The first full message, as the server or client said it.
    example: Option<String>,
}

fn names(g: &Group) -> String {
    let mut s = g
        .clusters
        .iter()
        .take(NAMED)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if g.clusters.len() > NAMED {
        s.push_str(&format!(", and {} more", g.clusters.len() - NAMED));
    }
    s
}

/// The lines to print on stderr after a live read (without the `karmada-preflight: `
/// prefix): as many as there are kinds of problem, however many clusters.
pub fn lines(col: &Collection) -> Vec<String> {
    let mut totals: BTreeMap<&str, usize> = BTreeMap::new();
    for c in &col.clusters {
        *totals.entry(role(&c.scopes)).or_default() += 1;
    }
    let read = col.clusters.iter().filter(|c| c.error.is_none()).count();
    let objects: usize = col.clusters.iter().map(|c| c.objects).sum();
    let mut out = vec![format!(
        "read {read} of {} cluster(s): {objects} object(s), {} request(s) in {:.1?}",
        col.clusters.len(),
        col.stats.requests,
        col.elapsed
    )];
    // Group keys keep first-seen order, so the lines follow the read order.
    let mut groups: Vec<Group> = Vec::new();
    let mut add = |what: String, role: &'static str, cluster: &str, example: Option<&str>| {
        let i = match groups.iter().position(|g| g.what == what && g.role == role) {
            Some(i) => i,
            None => {
                groups.push(Group {
                    what,
                    role,
                    clusters: Vec::new(),
                    example: example.map(str::to_string),
                });
                groups.len() - 1
            }
        };
        let g = &mut groups[i];
        if !g.clusters.iter().any(|c| c == cluster) {
            g.clusters.push(cluster.to_string());
        }
    };
    let unreadable: Vec<&str> = col
        .clusters
        .iter()
        .filter(|c| c.error.is_some())
        .map(|c| c.label.as_str())
        .collect();
    for c in &col.clusters {
        if let Some(e) = &c.error {
            let cause = col
                .inv
                .gaps
                .iter()
                .find(|g| g.cluster == c.label)
                .map(|g| cause_words(g.cause))
                .unwrap_or("failed");
            add(
                format!("cluster cannot be read ({cause})"),
                role(&c.scopes),
                &c.label,
                Some(e),
            );
        }
    }
    for g in &col.inv.gaps {
        if unreadable.contains(&g.cluster.as_str()) {
            continue;
        }
        let role = col
            .clusters
            .iter()
            .find(|c| c.label == g.cluster)
            .map(|c| role(&c.scopes))
            .unwrap_or(match g.scope {
                Scope::Member(_) => "members",
                _ => "control-plane clusters",
            });
        let what = if g.resource.is_empty() {
            // No context at all for a scope: the reason says which flag to pass.
            format!("{}: {}", g.scope, g.reason)
        } else {
            let place = match &g.namespace {
                Some(ns) => format!("in {ns}"),
                None => "cluster-wide".into(),
            };
            format!(
                "cannot {} {} {place} ({})",
                g.verb,
                g.resource,
                cause_words(g.cause)
            )
        };
        add(what, role, &g.cluster, Some(&g.reason));
    }
    for c in &col.clusters {
        for n in &c.not_served {
            add(
                format!("kind {} not served", n.kind),
                role(&c.scopes),
                &c.label,
                None,
            );
        }
    }
    for g in &groups {
        let total = totals.get(g.role).copied().unwrap_or(g.clusters.len());
        // Failed reads are warnings; a kind not served is a fact about the cluster.
        let mut line = format!(
            "{}{}: {} of {total} {} ({})",
            if g.example.is_some() { "warning: " } else { "" },
            g.what,
            g.clusters.len(),
            g.role,
            names(g)
        );
        if let Some(e) = &g.example {
            if !g.what.contains(e.as_str()) {
                line.push_str(&format!("; first: {e}"));
            }
        }
        out.push(line);
    }
    out
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::inventory::{Gap, Inventory};
    use crate::sources::live::discovery::NotServed;
    use crate::sources::live::request::StatsSnapshot;
    use crate::sources::live::ClusterReport;

    fn member(name: &str) -> ClusterReport {
        ClusterReport {
            label: name.into(),
            scopes: vec![Scope::Member(name.into())],
            server: format!("https://{name}"),
            git_version: Some("v1.20.4".into()),
            error: None,
            objects: 1,
            requests: 5,
            elapsed: Duration::from_millis(3),
            gaps: 0,
            not_served: vec![NotServed {
                kind: "MultiClusterService".into(),
                reason: "kind MultiClusterService is not served by this API server".into(),
            }],
        }
    }

    #[test]
    fn one_line_per_kind_of_problem_however_many_members() {
        let clusters: Vec<ClusterReport> = (1..=200).map(|i| member(&format!("m{i:03}"))).collect();
        let mut inv = Inventory::new();
        for m in ["m007", "m100"] {
            inv.gaps.push(Gap {
                scope: Scope::Member(m.into()),
                kind: "Secret".into(),
                verb: "list".into(),
                resource: "secrets".into(),
                namespace: None,
                cluster: m.into(),
                cause: GapCause::Forbidden,
                reason: format!("cannot list secrets cluster-wide: forbidden (user {m})"),
            });
        }
        let col = Collection {
            inv,
            clusters,
            listed: Vec::new(),
            stats: StatsSnapshot::default(),
            elapsed: Duration::from_secs(1),
        };
        let l = lines(&col);
        assert_eq!(l.len(), 3, "{l:#?}");
        assert!(
            l[0].starts_with("read 200 of 200 cluster(s): 200 object(s)"),
            "{}",
            l[0]
        );
        assert_eq!(
            l[1],
            "warning: cannot list secrets cluster-wide (forbidden): 2 of 200 members (m007, m100); \
             first: cannot list secrets cluster-wide: forbidden (user m007)"
        );
        assert_eq!(
            l[2],
            "kind MultiClusterService not served: 200 of 200 members (m001, m002, m003, and 197 more)"
        );
    }
}
