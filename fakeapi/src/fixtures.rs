//! Reading a folder of manifests into objects to serve.
//!
//! Real manifest folders are messy (Helm-ish `{{placeholders}}`, README files, empty
//! documents), so anything that does not parse is skipped with a warning rather than
//! failing the whole load: a test fixture should not need to be pristine.

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde_json::Value;

/// Loads every `.yaml`/`.yml`/`.json` file under `path` (recursively, in path order),
/// splitting multi-document YAML and flattening `kind: List` / `*List` documents.
pub fn load_objects_from_dir(path: &Path) -> anyhow::Result<Vec<Value>> {
    let mut files = Vec::new();
    collect_files(path, &mut files)
        .with_context(|| format!("reading fixture folder {}", path.display()))?;
    files.sort();
    let mut out = Vec::new();
    for file in files {
        let text = match std::fs::read_to_string(&file) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("fakeapi: warning: skipping {}: {e}", file.display());
                continue;
            }
        };
        for doc in parse_documents(&text, &file.display().to_string()) {
            flatten_into(doc, &mut out);
        }
    }
    Ok(out)
}

fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    if dir.is_file() {
        out.push(dir.to_path_buf());
        return Ok(());
    }
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let p = entry.path();
        let ft = entry.file_type()?;
        if ft.is_dir() {
            collect_files(&p, out)?;
        } else if is_manifest(&p) {
            out.push(p);
        }
    }
    Ok(())
}

fn is_manifest(p: &Path) -> bool {
    matches!(
        p.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml" | "json")
    )
}

/// Parses one file's text into its documents, skipping (with a warning) those that fail.
/// Documents are split by hand so one bad document does not take its siblings down.
pub fn parse_documents(text: &str, origin: &str) -> Vec<Value> {
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        if let Ok(v) = serde_json::from_str::<Value>(text) {
            return match v {
                Value::Array(items) => items,
                other => vec![other],
            };
        }
    }
    let mut out = Vec::new();
    for (idx, doc) in split_yaml_documents(text).into_iter().enumerate() {
        if doc.lines().all(|l| {
            let l = l.trim();
            l.is_empty() || l.starts_with('#')
        }) {
            continue;
        }
        let doc = quote_placeholders(&doc);
        match serde_saphyr::from_str::<Value>(&doc) {
            Ok(Value::Null) => {}
            Ok(v) => out.push(v),
            Err(e) => {
                let first = e.to_string();
                let first = first.lines().next().unwrap_or_default();
                eprintln!("fakeapi: warning: skipping document {idx} of {origin}: {first}");
            }
        }
    }
    out
}

/// The official Karmada manifests are templates: `imagePullPolicy: {{image_pull_policy}}`
/// is not valid YAML (or, for `type: {{service_type}}`, reads as a nested mapping).
/// Quote a value that starts with `{{` so such documents are served with the placeholder
/// as a string, as the checker's own loader reads them, instead of being dropped.
fn quote_placeholders(doc: &str) -> std::borrow::Cow<'_, str> {
    if !doc.contains("{{") {
        return std::borrow::Cow::Borrowed(doc);
    }
    let mut out = String::with_capacity(doc.len() + 16);
    for line in doc.lines() {
        let value_at = line.find(": {{").map(|i| i + 2).or_else(|| {
            let t = line.trim_start();
            t.starts_with("- {{").then(|| line.len() - t.len() + 2)
        });
        match value_at {
            Some(i) => {
                let (head, value) = line.split_at(i);
                let escaped = value.trim_end().replace('\\', "\\\\").replace('"', "\\\"");
                out.push_str(head);
                out.push('"');
                out.push_str(&escaped);
                out.push('"');
            }
            None => out.push_str(line),
        }
        out.push('\n');
    }
    std::borrow::Cow::Owned(out)
}

fn split_yaml_documents(text: &str) -> Vec<String> {
    let mut docs = Vec::new();
    let mut cur = String::new();
    for line in text.lines() {
        let is_start = line == "---" || line.starts_with("--- ") || line.starts_with("---\t");
        let is_end = line == "...";
        if is_start || is_end {
            docs.push(std::mem::take(&mut cur));
            if is_start {
                // `--- key: value` is legal YAML: keep the content after the marker.
                let rest = line[3..].trim();
                if !rest.is_empty() {
                    cur.push_str(rest);
                    cur.push('\n');
                }
            }
            continue;
        }
        cur.push_str(line);
        cur.push('\n');
    }
    docs.push(cur);
    docs
}

/// Flattens `kind: List` (and `DeploymentList` etc.) into their items; drops non-objects.
pub fn flatten_into(v: Value, out: &mut Vec<Value>) {
    let Value::Object(mut map) = v else {
        return;
    };
    let is_list = map
        .get("kind")
        .and_then(Value::as_str)
        .is_some_and(|k| k.ends_with("List"));
    if is_list {
        if let Some(Value::Array(items)) = map.remove("items") {
            for item in items {
                flatten_into(item, out);
            }
        }
        return;
    }
    out.push(Value::Object(map));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_and_skips_bad_documents() {
        let text = "a: 1\n---\nb: [\n---\n# only a comment\n---\nkind: List\napiVersion: v1\nitems:\n- kind: ConfigMap\n  apiVersion: v1\n  metadata: {name: x}\n";
        let mut out = Vec::new();
        for d in parse_documents(text, "t") {
            flatten_into(d, &mut out);
        }
        assert_eq!(out.len(), 2);
        assert_eq!(out[1]["kind"], "ConfigMap");
    }
}

#[cfg(test)]
mod placeholder_tests {
    use super::parse_documents;

    #[test]
    fn templated_official_manifests_are_served_with_placeholders_as_strings() {
        let doc = "kind: Deployment\nspec:\n  imagePullPolicy: {{image_pull_policy}}\n  subPath: {{name}}-kubeconfig\n  type: {{service_type}}\n  args:\n    - --cluster-name={{member_cluster_name}}\n";
        let v = parse_documents(doc, "t");
        assert_eq!(v.len(), 1);
        assert_eq!(v[0]["spec"]["imagePullPolicy"], "{{image_pull_policy}}");
        assert_eq!(v[0]["spec"]["subPath"], "{{name}}-kubeconfig");
        assert_eq!(v[0]["spec"]["type"], "{{service_type}}");
        assert_eq!(
            v[0]["spec"]["args"][0],
            "--cluster-name={{member_cluster_name}}"
        );
    }
}
