//! Is there anything of Karmada in what was read? Empty input, only empty documents, a
//! text file or a cluster that is not Karmada's must not come out as a report full of
//! `unknown` and `action` rows with exit 0: `helm template … | karmada-preflight check -`
//! would then pass when helm printed nothing. The CLI asks this once, for offline input
//! and live clusters alike, and stops with exit 2 naming what it read.

use super::object::Object;
use super::store::Inventory;
use super::workload::{ContainerRef, WORKLOAD_KINDS};

/// Does this object show that the input is about Karmada? Any object of a `*.karmada.io`
/// API, a CRD or APIService of such a group, anything in `karmada-system` or named
/// `karmada-…`, and any workload running a Karmada image or binary.
pub fn is_karmada_object(o: &Object) -> bool {
    let karmada_group = |g: &str| g == "karmada.io" || g.ends_with(".karmada.io");
    let group = o.r.api_version().split_once('/').map(|(g, _)| g);
    if group.is_some_and(karmada_group) {
        return true;
    }
    if matches!(o.kind(), "CustomResourceDefinition" | "APIService")
        && o.str_at("/spec/group").is_some_and(karmada_group)
    {
        return true;
    }
    // CRDs and APIServices are named after their group: clusters.cluster.karmada.io.
    if o.name().starts_with("karmada")
        || o.name().ends_with(".karmada.io")
        || o.namespace() == Some("karmada-system")
    {
        return true;
    }
    // Karmada's webhook configurations are named freely (`validating-config`), but their
    // webhooks are `*.karmada.io` and call karmada-webhook in karmada-system.
    if matches!(
        o.kind(),
        "ValidatingWebhookConfiguration" | "MutatingWebhookConfiguration"
    ) {
        let hooks = o.at("/webhooks").and_then(|w| w.as_array());
        if hooks.is_some_and(|hs| {
            hs.iter().any(|h| {
                h.get("name")
                    .and_then(|n| n.as_str())
                    .is_some_and(|n| n.ends_with("karmada.io"))
                    || h.pointer("/clientConfig/service/namespace")
                        .and_then(|n| n.as_str())
                        == Some("karmada-system")
            })
        }) {
            return true;
        }
    }
    WORKLOAD_KINDS.contains(&o.kind())
        && ContainerRef::containers(o).iter().any(|c| {
            c.image_name().starts_with("karmada")
                || c.executable()
                    .is_some_and(|e| e.rsplit('/').next().unwrap_or("").starts_with("karmada"))
        })
}

/// Why the inventory holds nothing to check, or None when some Karmada object was read.
/// The reason names what was read: inputs, documents, objects, and the first problems.
pub fn nothing_to_check(inv: &Inventory) -> Option<String> {
    if inv.all().any(is_karmada_object) {
        return None;
    }
    let documents: usize = inv.inputs.iter().map(|i| i.documents).sum();
    let objects = inv.len() + inv.skipped_objects;
    let sources: Vec<&str> = inv.inputs.iter().map(|i| i.source.as_str()).collect();
    let shown = sources
        .iter()
        .take(3)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    let more = if sources.len() > 3 {
        format!(" and {} more", sources.len() - 3)
    } else {
        String::new()
    };
    let what = if objects == 0 && documents == 0 && !inv.problems.is_empty() {
        format!(
            "nothing usable, {} input problem(s) (listed above)",
            inv.problems.len()
        )
    } else if objects == 0 && documents == 0 {
        "no document at all (empty input, or only empty documents)".to_string()
    } else if objects == 0 {
        format!("{documents} document(s), none of them a Kubernetes object")
    } else {
        let mut kinds: Vec<String> = inv
            .all()
            .map(|o| o.kind().to_string())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        kinds.truncate(6);
        let kinds = if kinds.is_empty() {
            String::new()
        } else {
            format!(" ({})", kinds.join(", "))
        };
        format!(
            "{objects} Kubernetes object(s){kinds}, none of them Karmada's (no *.karmada.io \
             object, CRD or APIService, nothing in karmada-system, no Karmada component)"
        )
    };
    Some(format!(
        "no Karmada object found: read {} input(s) ({shown}{more}): {what}",
        inv.inputs.len()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::{ObjectRef, Origin, Scope};
    use serde_json::json;

    fn obj(
        api: &str,
        kind: &str,
        ns: Option<&str>,
        name: &str,
        value: serde_json::Value,
    ) -> Object {
        Object::new(
            ObjectRef::new(Scope::Pool, api, kind, ns, name),
            &value,
            Origin::Live {
                cluster: "t".into(),
            },
        )
    }

    #[test]
    fn karmada_objects_are_recognised_by_group_namespace_name_or_image() {
        assert!(is_karmada_object(&obj(
            "cluster.karmada.io/v1alpha1",
            "Cluster",
            None,
            "member1",
            json!({})
        )));
        assert!(is_karmada_object(&obj(
            "apiextensions.k8s.io/v1",
            "CustomResourceDefinition",
            None,
            "works.work.karmada.io",
            json!({"spec": {"group": "work.karmada.io"}})
        )));
        assert!(is_karmada_object(&obj(
            "apps/v1",
            "Deployment",
            Some("kube-system"),
            "agent",
            json!({"spec": {"template": {"spec": {"containers": [
                {"name": "a", "image": "docker.io/karmada/karmada-agent:v1.0.0"}]}}}})
        )));
        assert!(is_karmada_object(&obj(
            "v1",
            "Secret",
            Some("karmada-system"),
            "front-proxy",
            json!({})
        )));
        assert!(is_karmada_object(&obj(
            "admissionregistration.k8s.io/v1",
            "ValidatingWebhookConfiguration",
            None,
            "validating-config",
            json!({"webhooks": [{"name": "cluster.karmada.io"}]})
        )));
        assert!(!is_karmada_object(&obj(
            "apps/v1",
            "Deployment",
            Some("default"),
            "nginx",
            json!({"spec": {"template": {"spec": {"containers": [
                {"name": "a", "image": "nginx:1.25"}]}}}})
        )));
    }

    #[test]
    fn an_empty_inventory_says_it_read_nothing() {
        let inv = Inventory::new();
        let why = nothing_to_check(&inv).unwrap();
        assert!(why.contains("no document at all"), "{why}");
    }
}
