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
use crate::sources::safe_name::{self, UnsafeName};
use crate::text::to_yaml;

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

/// The bundle folder of a scope; a member's name is checked by [`safe_name::component`]
/// (it came from a kubeconfig or a cluster's Cluster list).
fn scope_dir(scope: &Scope) -> Result<PathBuf, UnsafeName> {
    Ok(match scope {
        Scope::Karmada => PathBuf::from("karmada"),
        Scope::Host => PathBuf::from("host"),
        Scope::Member(n) => Path::new("members").join(safe_name::component("member", n)?),
        Scope::Pool => PathBuf::from("pool"),
    })
}

/// `host/deployments.apps.yaml`: the resource and group come from the server's
/// discovery, so each is checked on its own (a group `x/../../tmp` must not climb out).
fn list_file(l: &super::collect::Listed) -> Result<PathBuf, UnsafeName> {
    let plural = safe_name::component("resource", &l.resource.plural)?;
    let name = if l.resource.group.is_empty() {
        plural.to_string()
    } else {
        format!(
            "{plural}.{}",
            safe_name::component("API group", &l.resource.group)?
        )
    };
    Ok(scope_dir(&l.scope)?.join(format!("{name}.yaml")))
}

/// `--out` must be new or empty: files of an earlier bundle (a `members/<x>/` no longer
/// collected) would be read back as if collected now.
pub fn check_out_dir(dir: &Path) -> anyhow::Result<()> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                anyhow::bail!(
                    "--out {}: the folder is not empty; give a new or empty folder (files of an \
                     earlier bundle would be read as part of this one)",
                    dir.display()
                );
            }
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e).with_context(|| format!("reading {}", dir.display())),
    }
}

/// Write the bundle; returns the files written (relative to `dir`).
pub fn write(
    col: &Collection,
    dir: &Path,
    now: time::OffsetDateTime,
) -> anyhow::Result<Vec<PathBuf>> {
    check_out_dir(dir)?;
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut written = Vec::new();
    let mut listed = Vec::new();
    // Objects grouped per (scope, kind), in collection order.
    let mut groups: BTreeMap<(Scope, String), Vec<Value>> = BTreeMap::new();
    for o in col.inv.all() {
        groups
            .entry((o.r.scope().clone(), o.r.kind().to_string()))
            .or_default()
            .push(o.value().clone());
    }
    for l in &col.listed {
        let rel = match list_file(l) {
            Ok(rel) => rel,
            Err(e) => {
                eprintln!("karmada-preflight: warning: {e}; not written");
                continue;
            }
        };
        let items = groups
            .remove(&(l.scope.clone(), l.resource.kind.clone()))
            .unwrap_or_default();
        let doc = json!({"apiVersion": "v1", "kind": "List", "metadata": {}, "items": items});
        let path = dir.join(&rel);
        let parent = path.parent().unwrap_or(dir);
        safe_name::create_dir(parent).with_context(|| format!("creating {}", parent.display()))?;
        let file = path
            .file_name()
            .and_then(|f| f.to_str())
            .unwrap_or_default();
        safe_name::write_file(parent, file, to_yaml(&doc).as_bytes(), false)
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
    safe_name::write_file(dir, MANIFEST_FILE, to_yaml(&v).as_bytes(), false)
        .context("writing collected.yaml")?;
    written.push(PathBuf::from(MANIFEST_FILE));
    Ok(written)
}

/// Apply a bundle's manifest to an inventory loaded from it: listed kinds and gaps. It is
/// read within the run's limits like any input file.
pub fn apply_manifest(
    path: &Path,
    limits: &crate::sources::Limits,
    inv: &mut Inventory,
) -> Result<(), String> {
    let text = crate::sources::bounded::read_text(path, limits.max_file_bytes)?;
    let mut docs = Vec::new();
    let out = crate::sources::yaml::parse_documents(&text, limits, |d| docs.push(d));
    if let Some(p) = out.problems.iter().find(|p| !p.warning) {
        return Err(format!("line {}: {}", p.pos.line, p.message));
    }
    let Some(doc) = docs.into_iter().next() else {
        return Err("empty manifest".into());
    };
    let m: Manifest =
        serde_json::from_value(doc.value()).map_err(|e| format!("not a collect manifest: {e}"))?;
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
