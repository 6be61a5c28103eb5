//! The operator's pre-upgrade audit writes a fix folder; doing what it says to the v0.10.1
//! manifests must give manifests that pass the post-upgrade check. This test plays the
//! operator offline: it applies the JSON and merge patches to the objects they target,
//! adds the new manifests, and carries out the two deletions the plan runs as commands.

mod common;

use std::collections::HashMap;
use std::path::Path;

use karmada_preflight::sources::yaml::parse_documents;
use karmada_preflight::sources::Limits;
use karmada_preflight::text::to_yaml;
use serde_json::Value;

/// RFC 6902, the operations the fixes use.
fn json_patch(doc: &mut Value, ops: &Value) {
    for op in ops.as_array().expect("a JSON patch is a list") {
        let path = op["path"].as_str().unwrap();
        let (parent, last) = path.rsplit_once('/').unwrap();
        let last = last.replace("~1", "/").replace("~0", "~");
        match op["op"].as_str().unwrap() {
            "test" => assert_eq!(
                doc.pointer(path),
                Some(&op["value"]),
                "patch test failed at {path}"
            ),
            "replace" => {
                *doc.pointer_mut(path).unwrap_or_else(|| panic!("no {path}")) = op["value"].clone()
            }
            "add" => match doc
                .pointer_mut(parent)
                .unwrap_or_else(|| panic!("no {parent}"))
            {
                Value::Array(a) if last == "-" => a.push(op["value"].clone()),
                Value::Array(a) => a.insert(last.parse().unwrap(), op["value"].clone()),
                Value::Object(m) => {
                    m.insert(last, op["value"].clone());
                }
                other => panic!("cannot add into {other}"),
            },
            "remove" => match doc.pointer_mut(parent).unwrap() {
                Value::Array(a) => {
                    a.remove(last.parse().unwrap());
                }
                Value::Object(m) => {
                    m.remove(&last);
                }
                other => panic!("cannot remove from {other}"),
            },
            other => panic!("unexpected op {other}"),
        }
    }
}

/// RFC 7386.
fn merge_patch(doc: &mut Value, patch: &Value) {
    match patch {
        Value::Object(p) => {
            if !doc.is_object() {
                *doc = Value::Object(Default::default());
            }
            let m = doc.as_object_mut().unwrap();
            for (k, v) in p {
                if v.is_null() {
                    m.remove(k);
                } else {
                    merge_patch(m.entry(k.clone()).or_insert(Value::Null), v);
                }
            }
        }
        other => *doc = other.clone(),
    }
}

fn key(v: &Value) -> (String, String, String) {
    let s = |p: &str| {
        v.pointer(p)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    (s("/kind"), s("/metadata/namespace"), s("/metadata/name"))
}

fn load_dir(dir: &Path, out: &mut Vec<(std::path::PathBuf, Vec<Value>)>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            load_dir(&p, out);
        } else if p.extension().is_some_and(|e| e == "yaml") {
            let text = std::fs::read_to_string(&p).unwrap();
            let mut docs = Vec::new();
            parse_documents(&text, &Limits::default(), |d| docs.push(d.value()));
            out.push((p, docs));
        }
    }
}

#[test]
fn applying_the_fix_folder_to_the_v0_10_manifests_passes_the_post_upgrade_check() {
    let tmp = tempfile::tempdir().unwrap();
    let manifests = tmp.path().join("manifests");
    let fixes = tmp.path().join("fixes");
    common::copy_dir(Path::new("fixtures/karmada-v0.10.1"), &manifests);

    let (_, pre) = common::check(&[
        manifests.to_str().unwrap(),
        "--phase",
        "pre",
        "--fix-dir",
        fixes.to_str().unwrap(),
        "--generate-front-proxy-certs",
    ]);
    assert!(fixes.join("PLAN.md").exists());

    let mut files = Vec::new();
    load_dir(&manifests, &mut files);

    // Which object each fix file targets, from the report.
    let mut targets: HashMap<String, (String, Value)> = HashMap::new();
    let mut commands = Vec::new();
    for f in pre["findings"].as_array().unwrap() {
        if !matches!(f["status"].as_str(), Some("action" | "blocker" | "fail")) {
            continue;
        }
        for c in f["remediation"]["commands"]
            .as_array()
            .into_iter()
            .flatten()
        {
            commands.push(c.as_str().unwrap().to_string());
        }
        for m in f["remediation"]["manifests"]
            .as_array()
            .into_iter()
            .flatten()
        {
            targets.insert(
                m["fileName"].as_str().unwrap().to_string(),
                (m["kind"].as_str().unwrap().to_string(), m["target"].clone()),
            );
        }
    }
    assert!(!targets.is_empty());
    let mut names: Vec<_> = targets.keys().cloned().collect();
    names.sort();
    let mut added = Vec::new();
    for name in names {
        let (kind, target) = &targets[&name];
        // The generated certificates replace the placeholders of the plain Secret patch.
        let generated =
            fixes.join(name.replace(".merge-patch.json", ".generated.merge-patch.json"));
        let path = if generated.exists() {
            generated
        } else {
            fixes.join(&name)
        };
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let want = (
            target["kind"].as_str().unwrap_or("").to_string(),
            target["namespace"].as_str().unwrap_or("").to_string(),
            target["name"].as_str().unwrap_or("").to_string(),
        );
        match kind.as_str() {
            "apply" => {
                let mut docs = Vec::new();
                parse_documents(&text, &Limits::default(), |d| docs.push(d.value()));
                for doc in docs {
                    let existing = files
                        .iter_mut()
                        .flat_map(|(_, d)| d.iter_mut())
                        .find(|d| key(d) == key(&doc));
                    match existing {
                        Some(e) => *e = doc,
                        None => added.push(doc),
                    }
                }
            }
            "json-patch" | "merge-patch" => {
                let patch: Value = serde_json::from_str(&text).unwrap();
                let obj = files
                    .iter_mut()
                    .flat_map(|(_, d)| d.iter_mut())
                    .find(|d| key(d) == want)
                    .unwrap_or_else(|| panic!("{name}: target {want:?} not in the manifests"));
                if kind == "json-patch" {
                    json_patch(obj, &patch);
                } else {
                    merge_patch(obj, &patch);
                }
            }
            other => panic!("unexpected manifest kind {other}"),
        }
    }

    // The two deletions the plan performs with etcdctl / kubectl.
    let deleted = [
        "clusters.cluster.karmada.io",
        "replicaschedulingpolicies.policy.karmada.io",
    ];
    assert!(commands.iter().any(|c| {
        c.contains(
        "exec etcd-0 -c etcd -- etcdctl --endpoints=https://127.0.0.1:2379"
    ) && c.contains(
        "del /registry/apiextensions.k8s.io/customresourcedefinitions/clusters.cluster.karmada.io"
    )
    }));
    assert!(commands
        .iter()
        .any(|c| c.contains("delete crd replicaschedulingpolicies.policy.karmada.io")));
    for (_, docs) in files.iter_mut() {
        docs.retain(|d| {
            !(d["kind"] == "CustomResourceDefinition" && deleted.contains(&key(d).2.as_str()))
        });
    }

    for (path, docs) in &files {
        let text: Vec<String> = docs.iter().map(to_yaml).collect();
        std::fs::write(path, text.join("---\n")).unwrap();
    }
    let text: Vec<String> = added.iter().map(to_yaml).collect();
    std::fs::write(manifests.join("applied-fixes.yaml"), text.join("---\n")).unwrap();

    let (_, post) = common::check(&[manifests.to_str().unwrap(), "--phase", "post"]);
    let bad: Vec<_> = post["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| matches!(f["status"].as_str(), Some("fail" | "blocker" | "action")))
        .collect();
    assert!(bad.is_empty(), "after applying the fixes: {bad:#?}");
    // The steps the guide performs are now verified, not merely absent: every lasting
    // rule (`lasting: true`, what later releases keep) passes, but the two that only a
    // live cluster can show (the API answering, the Deployment ready).
    let catalog = karmada_preflight::rules::Catalog::embedded().expect("bundled rules load");
    let live_only = ["cluster-api-served", "aggregated-apiserver-ready"];
    let lasting: Vec<String> = catalog
        .lasting()
        .into_iter()
        .filter(|r| !live_only.contains(&r.as_str()))
        .collect();
    assert_eq!(lasting.len(), 9, "{lasting:?}");
    for rule in &lasting {
        let found = common::findings(&post, rule);
        assert!(!found.is_empty(), "{rule} reported nothing");
        for f in found {
            assert_eq!(f["status"], "pass", "{rule}: {f:#}");
        }
    }
}
