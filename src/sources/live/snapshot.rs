//! `collect --out DIR`: the collected objects as a bundle that `check DIR` reads with
//! the same scopes: `karmada/`, `host/`, `members/<name>/`, one `kind: List` file per
//! resource (`host/deployments.apps.yaml`), plus `collected.yaml`, the manifest saying
//! which kinds were listed completely (so an empty list reads as "none") and which
//! reads failed (so the same rules are unknown offline as they were live).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::collect::Collection;
use crate::inventory::{Gap, Inventory, Scope};
use crate::reports::yaml::to_yaml;

pub const MANIFEST_FILE: &str = "collected.yaml";
pub const MANIFEST_KIND: &str = "CollectManifest";
pub const MANIFEST_API_VERSION: &str = "preflight.karmada.io/v1alpha1";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ListedEntry {
    pub scope: String,
    pub kind: String,
    pub api_version: String,
    pub resource: String,
    pub count: usize,
    /// False: only the karmada-system namespace could be listed.
    pub complete: bool,
    pub file: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ClusterEntry {
    pub cluster: String,
    pub scopes: Vec<String>,
    pub server: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub git_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    pub api_version: String,
    pub kind: String,
    pub collected_at: String,
    #[serde(default)]
    pub clusters: Vec<ClusterEntry>,
    #[serde(default)]
    pub listed: Vec<ListedEntry>,
    #[serde(default)]
    pub gaps: Vec<Gap>,
    /// Kinds a cluster's discovery does not list: read as zero objects, not as gaps.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_served: Vec<NotServedEntry>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct NotServedEntry {
    pub scope: String,
    pub kind: String,
}

fn scope_dir(scope: &Scope) -> PathBuf {
    match scope {
        Scope::Karmada => PathBuf::from("karmada"),
        Scope::Host => PathBuf::from("host"),
        Scope::Member(n) => Path::new("members").join(n),
        Scope::Pool => PathBuf::from("pool"),
    }
}

/// Member names become folder names: refuse anything that could leave the bundle.
fn safe_member(scope: &Scope) -> bool {
    match scope {
        Scope::Member(n) => super::connect::valid_cluster_name(n) && n != "." && n != "..",
        _ => true,
    }
}

/// Write the bundle; returns the files written (relative to `dir`).
pub fn write(
    col: &Collection,
    dir: &Path,
    now: time::OffsetDateTime,
) -> anyhow::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut written = Vec::new();
    let mut listed = Vec::new();
    // Objects grouped per (scope, kind), in collection order.
    let mut groups: BTreeMap<(Scope, String), Vec<Value>> = BTreeMap::new();
    for o in col.inv.all() {
        groups
            .entry((o.r.scope.clone(), o.r.kind.clone()))
            .or_default()
            .push(o.value.clone());
    }
    for l in &col.listed {
        if !safe_member(&l.scope) {
            eprintln!(
                "karmada-preflight: warning: member {} not written: unsafe folder name",
                l.scope
            );
            continue;
        }
        let rel = scope_dir(&l.scope).join(format!("{}.yaml", l.resource.qualified()));
        let items = groups
            .remove(&(l.scope.clone(), l.resource.kind.clone()))
            .unwrap_or_default();
        let doc = json!({"apiVersion": "v1", "kind": "List", "metadata": {}, "items": items});
        let path = dir.join(&rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::write(&path, to_yaml(&doc))
            .with_context(|| format!("writing {}", path.display()))?;
        listed.push(ListedEntry {
            scope: l.scope.to_string(),
            kind: l.resource.kind.clone(),
            api_version: l.resource.api_version(),
            resource: l.resource.qualified(),
            count: l.count,
            complete: l.complete,
            file: rel.display().to_string(),
        });
        written.push(rel);
    }
    let manifest = Manifest {
        api_version: MANIFEST_API_VERSION.into(),
        kind: MANIFEST_KIND.into(),
        collected_at: now
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
        clusters: col
            .clusters
            .iter()
            .map(|c| ClusterEntry {
                cluster: c.label.clone(),
                scopes: c.scopes.iter().map(|s| s.to_string()).collect(),
                server: c.server.clone(),
                git_version: c.git_version.clone(),
                error: c.error.clone(),
            })
            .collect(),
        listed,
        gaps: col.inv.gaps.clone(),
        not_served: col
            .inv
            .not_served()
            .map(|(s, k)| NotServedEntry {
                scope: s.to_string(),
                kind: k.clone(),
            })
            .collect(),
    };
    let v = serde_json::to_value(&manifest).context("encoding the manifest")?;
    std::fs::write(dir.join(MANIFEST_FILE), to_yaml(&v)).context("writing collected.yaml")?;
    written.push(PathBuf::from(MANIFEST_FILE));
    Ok(written)
}

/// Apply a bundle's manifest to an inventory loaded from it: listed kinds and gaps.
pub fn apply_manifest(path: &Path, inv: &mut Inventory) -> Result<(), String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read: {e}"))?;
    let mut docs = Vec::new();
    let out =
        crate::sources::yaml::parse_documents(&text, &crate::sources::Limits::default(), |d| {
            docs.push(d)
        });
    if let Some(p) = out.problems.iter().find(|p| !p.warning) {
        return Err(format!("line {}: {}", p.pos.line, p.message));
    }
    let Some(doc) = docs.into_iter().next() else {
        return Err("empty manifest".into());
    };
    let m: Manifest =
        serde_json::from_value(doc.value).map_err(|e| format!("not a collect manifest: {e}"))?;
    if m.kind != MANIFEST_KIND {
        return Err(format!("kind is {:?}, expected {MANIFEST_KIND}", m.kind));
    }
    for l in m.listed.iter().filter(|l| l.complete) {
        match Scope::parse(&l.scope) {
            Some(s) => inv.mark_listed(s, &l.kind),
            None => return Err(format!("unknown scope {:?}", l.scope)),
        }
    }
    for n in &m.not_served {
        match Scope::parse(&n.scope) {
            Some(s) => inv.mark_not_served(s, &n.kind),
            None => return Err(format!("unknown scope {:?}", n.scope)),
        }
    }
    inv.gaps.extend(m.gaps);
    Ok(())
}
