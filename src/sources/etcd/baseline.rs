//! `--baseline`: the Cluster names recorded before the upgrade, from a `check -o json`
//! report (its `etcd` section, else its `objects.clusters`), a `collect` bundle (its
//! `etcd-keys.json`), or such an `etcd-keys.json` itself.

use std::path::Path;

use serde_json::Value;

use super::{Baseline, EtcdKeys};
use crate::sources::bounded;

/// The file `collect` writes at the top of a bundle when it read etcd: key names only.
pub const BUNDLE_FILE: &str = "etcd-keys.json";

#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct BaselineError {
    pub path: String,
    pub message: String,
}

/// Read a baseline (at most `max_bytes`, `--max-file-bytes`); errors name the file and
/// what is wrong with it.
pub fn load_baseline(path: &Path, max_bytes: u64) -> Result<Baseline, BaselineError> {
    let err = |m: String| BaselineError {
        path: format!("--baseline {}", path.display()),
        message: m,
    };
    let file = if path.is_dir() {
        let f = path.join(BUNDLE_FILE);
        if !f.is_file() {
            return Err(err(format!(
                "the bundle has no {BUNDLE_FILE}: collect it with --etcd-endpoints (or --etcd) so etcd's keys are recorded"
            )));
        }
        f
    } else {
        path.to_path_buf()
    };
    let text = bounded::read_text(&file, max_bytes).map_err(err)?;
    let v: Value = serde_json::from_str(&text).map_err(|e| {
        err(format!(
            "not JSON ({e}); give a `check -o json` report, a collect bundle or its {BUNDLE_FILE}"
        ))
    })?;
    let keys_of = |v: &Value| -> Result<EtcdKeys, BaselineError> {
        serde_json::from_value(v.clone()).map_err(|e| err(format!("etcd keys: {e}")))
    };
    let from_keys = |k: EtcdKeys| Baseline {
        source: file.clone(),
        from_etcd: true,
        clusters: k.clusters,
        cluster_crd_key: Some(k.cluster_crd_key),
    };
    if v.get("clusterCrdKey").is_some() {
        return Ok(from_keys(keys_of(&v)?));
    }
    if let Some(e) = v.get("etcd") {
        return Ok(from_keys(keys_of(e)?));
    }
    if let Some(list) = v.pointer("/objects/clusters").and_then(Value::as_array) {
        let clusters = list
            .iter()
            .map(|c| {
                c.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| err("objects.clusters holds a non-string".into()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        return Ok(Baseline {
            source: file.clone(),
            from_etcd: false,
            clusters,
            cluster_crd_key: None,
        });
    }
    Err(err(
        "neither an etcd section nor objects.clusters: give a `check -o json` report written before the upgrade"
            .into(),
    ))
}

/// A bundle's `etcd-keys.json`, at most `max_bytes`.
pub fn read_keys_file(file: &Path, max_bytes: u64) -> Result<EtcdKeys, BaselineError> {
    let err = |m: String| BaselineError {
        path: file.display().to_string(),
        message: m,
    };
    let text = bounded::read_text(file, max_bytes).map_err(err)?;
    serde_json::from_str(&text).map_err(|e| err(format!("not the etcd keys `collect` writes: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMIT: u64 = 1 << 20;

    #[test]
    fn reads_the_report_section_then_the_api_clusters() {
        let dir = tempfile::tempdir().unwrap();
        let with_etcd = dir.path().join("pre.json");
        std::fs::write(
            &with_etcd,
            r#"{"etcd":{"endpoint":"https://e:2379","prefix":"/registry","revision":9,
                "clusterCrdKey":true,"clusters":["m1","m2"],"clusterCount":2},
                "objects":{"clusters":["other"]}}"#,
        )
        .unwrap();
        let b = load_baseline(&with_etcd, LIMIT).unwrap();
        assert!(b.from_etcd);
        assert_eq!(b.clusters, ["m1", "m2"]);

        let api_only = dir.path().join("api.json");
        std::fs::write(&api_only, r#"{"objects":{"clusters":["m3"]}}"#).unwrap();
        let b = load_baseline(&api_only, LIMIT).unwrap();
        assert!(!b.from_etcd);
        assert_eq!(b.clusters, ["m3"]);

        let e = load_baseline(dir.path(), LIMIT).unwrap_err().to_string();
        assert!(e.contains("has no etcd-keys.json"), "{e}");
        std::fs::write(dir.path().join("bad.json"), "{}").unwrap();
        let e = load_baseline(&dir.path().join("bad.json"), LIMIT)
            .unwrap_err()
            .to_string();
        assert!(e.contains("neither an etcd section"), "{e}");
    }
}
