//! One cluster's objects, indexed for get and paginated list.
//!
//! The store is immutable once built, so a continue token only needs an offset: the
//! list resourceVersion in it is checked merely to catch tokens from another cluster.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use base64::Engine;
use serde_json::{json, Map, Value};

use crate::discovery::{split_api_version, Catalog, ResourceInfo};
use crate::fixtures::flatten_into;
use crate::selectors::{FieldSelector, LabelSelector};

/// Fixed so that served objects (and so test expectations) do not depend on the clock.
const CREATION_TIMESTAMP: &str = "2022-01-01T00:00:00Z";
/// Namespaces every real apiserver has, served even when no fixture declares them.
const SYSTEM_NAMESPACES: &[&str] = &["default", "kube-node-lease", "kube-public", "kube-system"];

type ResourceKey = (String, String, String);

#[derive(Debug, Default)]
pub struct Store {
    catalog: Catalog,
    objects: HashMap<ResourceKey, Vec<Value>>,
    list_rv: u64,
}

#[derive(Debug, Default, Clone)]
pub struct ListParams {
    pub limit: Option<usize>,
    pub continue_token: Option<String>,
    pub label_selector: Option<String>,
    pub field_selector: Option<String>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum ListError {
    BadRequest(String),
}

impl Store {
    /// Builds the store for `cluster`, serving every API group but those in `unserved`
    /// (not in discovery, their objects dropped); objects lacking kind/apiVersion/name
    /// are skipped.
    pub fn serving(cluster: &str, raw: Vec<Value>, unserved: &[String]) -> Store {
        let mut objects = Vec::new();
        for v in raw {
            flatten_into(v, &mut objects);
        }
        objects.retain(|o| {
            let ok = o.get("kind").and_then(Value::as_str).is_some()
                && o.get("apiVersion").and_then(Value::as_str).is_some()
                && o.pointer("/metadata/name").and_then(Value::as_str).is_some_and(|n| !n.is_empty());
            if !ok {
                eprintln!("fakeapi: warning: {cluster}: skipping object without kind/apiVersion/metadata.name");
            }
            ok
        });

        let mut catalog = Catalog::build(&objects);
        catalog.drop_groups(unserved);
        add_implied_namespaces(&catalog, &mut objects);

        let mut index: BTreeMap<ResourceKey, BTreeMap<(String, String), Value>> = BTreeMap::new();
        let mut rv: u64 = 1000;
        for mut obj in objects {
            let (g, v) = split_api_version(obj["apiVersion"].as_str().unwrap_or_default());
            let kind = obj["kind"].as_str().unwrap_or_default().to_string();
            let Some(res) = catalog.by_kind(&g, &v, &kind) else {
                continue;
            };
            rv += 1;
            let key = (res.group.clone(), res.version.clone(), res.plural.clone());
            let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) else {
                continue;
            };
            normalise_metadata(meta, res, cluster, rv);
            let ns = meta
                .get("namespace")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            let name = meta
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            // Later documents win, like `kubectl apply` of the whole folder would.
            index.entry(key).or_default().insert((ns, name), obj);
        }
        Store {
            catalog,
            objects: index
                .into_iter()
                .map(|(k, m)| (k, m.into_values().collect()))
                .collect(),
            list_rv: rv,
        }
    }

    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    pub fn list_resource_version(&self) -> u64 {
        self.list_rv
    }

    /// All objects of a resource, in (namespace, name) order.
    pub fn all(&self, res: &ResourceInfo) -> &[Value] {
        self.objects
            .get(&(res.group.clone(), res.version.clone(), res.plural.clone()))
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    pub fn object_count(&self) -> usize {
        self.objects.values().map(Vec::len).sum()
    }

    pub fn get(&self, res: &ResourceInfo, ns: Option<&str>, name: &str) -> Option<&Value> {
        self.all(res).iter().find(|o| {
            o.pointer("/metadata/name").and_then(Value::as_str) == Some(name)
                && (!res.namespaced
                    || o.pointer("/metadata/namespace").and_then(Value::as_str) == ns)
        })
    }

    /// The objects a list would return (namespace and selectors applied), plus the
    /// continue token and remaining count for the next page.
    pub fn list_page<'a>(
        &'a self,
        res: &ResourceInfo,
        ns: Option<&str>,
        params: &ListParams,
    ) -> Result<Page<'a>, ListError> {
        let labels = match params.label_selector.as_deref() {
            Some(s) => LabelSelector::parse(s).map_err(ListError::BadRequest)?,
            None => LabelSelector::default(),
        };
        let fields = match params.field_selector.as_deref() {
            Some(s) => Some(FieldSelector::parse(s).map_err(ListError::BadRequest)?),
            None => None,
        };
        let start = match params.continue_token.as_deref().filter(|t| !t.is_empty()) {
            Some(t) => decode_continue(t).map_err(ListError::BadRequest)?.1,
            None => 0,
        };
        let matching: Vec<&Value> = self
            .all(res)
            .iter()
            .filter(|o| match ns {
                Some(ns) if res.namespaced => {
                    o.pointer("/metadata/namespace").and_then(Value::as_str) == Some(ns)
                }
                _ => true,
            })
            .filter(|o| labels.matches(o))
            .filter(|o| fields.as_ref().is_none_or(|f| f.matches(o)))
            .collect();
        let start = start.min(matching.len());
        let end = match params.limit.filter(|l| *l > 0) {
            Some(l) => start.saturating_add(l).min(matching.len()),
            None => matching.len(),
        };
        let remaining = matching.len() - end;
        let continue_token = (remaining > 0).then(|| encode_continue(self.list_rv, end));
        Ok(Page {
            items: matching[start..end].to_vec(),
            continue_token,
            // The real apiserver omits the count when a selector makes it unknowable.
            remaining: (remaining > 0 && labels.is_empty() && fields.is_none())
                .then_some(remaining),
        })
    }
}

pub struct Page<'a> {
    pub items: Vec<&'a Value>,
    pub continue_token: Option<String>,
    pub remaining: Option<usize>,
}

pub fn encode_continue(rv: u64, offset: usize) -> String {
    let raw = json!({"v": "fakeapi/v1", "rv": rv, "start": offset}).to_string();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
}

pub fn decode_continue(token: &str) -> Result<(u64, usize), String> {
    let bad = |why: &str| format!("continue key is not valid: {why}");
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token.trim_end_matches('='))
        .map_err(|_| bad("not base64"))?;
    let v: Value = serde_json::from_slice(&raw).map_err(|_| bad("not JSON"))?;
    if v["v"] != "fakeapi/v1" {
        return Err(bad(
            "incorrect encoded start resourceVersion (version meta.k8s.io/v1)",
        ));
    }
    let rv = v["rv"].as_u64().ok_or_else(|| bad("missing rv"))?;
    let start = v["start"]
        .as_u64()
        .and_then(|s| usize::try_from(s).ok())
        .ok_or_else(|| bad("missing start"))?;
    Ok((rv, start))
}

fn add_implied_namespaces(catalog: &Catalog, objects: &mut Vec<Value>) {
    let mut declared = BTreeSet::new();
    let mut wanted: BTreeSet<String> = SYSTEM_NAMESPACES.iter().map(|s| s.to_string()).collect();
    for o in objects.iter() {
        if o["kind"] == "Namespace" && o["apiVersion"] == "v1" {
            if let Some(n) = o.pointer("/metadata/name").and_then(Value::as_str) {
                declared.insert(n.to_string());
            }
            continue;
        }
        let (g, v) = split_api_version(o["apiVersion"].as_str().unwrap_or_default());
        let namespaced = o["kind"]
            .as_str()
            .and_then(|k| catalog.by_kind(&g, &v, k))
            .is_some_and(|r| r.namespaced);
        if namespaced {
            let ns = o
                .pointer("/metadata/namespace")
                .and_then(Value::as_str)
                .unwrap_or("default");
            wanted.insert(ns.to_string());
        }
    }
    for ns in wanted.difference(&declared) {
        objects.push(json!({
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": ns},
            "spec": {"finalizers": ["kubernetes"]},
            "status": {"phase": "Active"},
        }));
    }
}

fn normalise_metadata(meta: &mut Map<String, Value>, res: &ResourceInfo, cluster: &str, rv: u64) {
    if res.namespaced {
        let missing = meta
            .get("namespace")
            .and_then(Value::as_str)
            .is_none_or(str::is_empty);
        if missing {
            meta.insert("namespace".into(), json!("default"));
        }
    } else {
        meta.remove("namespace");
    }
    if !meta.get("resourceVersion").is_some_and(Value::is_string) {
        meta.insert("resourceVersion".into(), json!(rv.to_string()));
    }
    if !meta.get("uid").is_some_and(Value::is_string) {
        let ns = meta
            .get("namespace")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let name = meta.get("name").and_then(Value::as_str).unwrap_or_default();
        let seed = format!("{cluster}/{}/{}/{ns}/{name}", res.group, res.plural);
        meta.insert("uid".into(), json!(stable_uuid(&seed)));
    }
    if !meta.get("creationTimestamp").is_some_and(Value::is_string) {
        meta.insert("creationTimestamp".into(), json!(CREATION_TIMESTAMP));
    }
}

/// A UUID-shaped id derived from `seed`, so the same fixture always gets the same uids.
fn stable_uuid(seed: &str) -> String {
    fn fnv(seed: &str, basis: u64) -> u64 {
        seed.bytes().fold(basis, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
        })
    }
    let a = fnv(seed, 0xcbf2_9ce4_8422_2325);
    let b = fnv(seed, 0x8422_2325_cbf2_9ce4);
    let hex = format!("{a:016x}{b:016x}");
    format!(
        "{}-{}-4{}-a{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[13..16],
        &hex[17..20],
        &hex[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cm(ns: &str, name: &str) -> Value {
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": ns, "labels": {"n": name}}})
    }

    #[test]
    fn pages_cover_everything_once() {
        let store = Store::serving(
            "c",
            vec![
                cm("b", "z"),
                cm("a", "y"),
                cm("a", "x"),
                cm("b", "a"),
                cm("c", "q"),
            ],
            &[],
        );
        let res = store
            .catalog()
            .by_plural("", "v1", "configmaps")
            .cloned()
            .unwrap_or_else(|| unreachable!());
        let mut seen = Vec::new();
        let mut params = ListParams {
            limit: Some(2),
            ..Default::default()
        };
        loop {
            let page = store
                .list_page(&res, None, &params)
                .unwrap_or_else(|_| unreachable!());
            seen.extend(
                page.items
                    .iter()
                    .map(|o| o["metadata"]["name"].as_str().unwrap_or("").to_string()),
            );
            match page.continue_token {
                Some(t) => params.continue_token = Some(t),
                None => break,
            }
        }
        assert_eq!(seen, ["x", "y", "a", "z", "q"]);
        assert!(store
            .get(&res, Some("a"), "x")
            .is_some_and(|o| o["metadata"]["uid"].is_string()));
        let ns = store
            .catalog()
            .by_plural("", "v1", "namespaces")
            .cloned()
            .unwrap_or_else(|| unreachable!());
        assert!(store.get(&ns, None, "b").is_some());
        assert!(store.get(&ns, None, "kube-system").is_some());
    }

    #[test]
    fn bad_continue_is_bad_request() {
        assert!(decode_continue("!!!").is_err());
        assert_eq!(decode_continue(&encode_continue(7, 3)), Ok((7, 3)));
    }
}
