//! Manifests the Karmada Helm chart embeds in ConfigMaps.
//!
//! The chart cannot create objects in karmada-apiserver itself (Helm talks to the host
//! cluster), so it renders them as text into ConfigMaps that its hook Jobs apply:
//! `<release>-static-resources` (webhook configurations, the Cluster APIService, RBAC),
//! `<release>-crds-<group>-bases` / `<release>-crds-bases` / `<release>-crds` (every CRD),
//! `<release>-crds-patches` (kustomize patches of those CRDs) and, in `certs.mode: auto`,
//! `<release>-config`, whose entries (certificate Secrets, and the ConfigMaps above as
//! nested documents in the v1.0 chart layout) the pre-install Job applies to the host.
//! Those objects are what an installation is made of, so they are loaded as objects of
//! the cluster they are applied to, each located inside the block scalar of the rendered
//! file (`file:line:column` of the embedded field itself).

use serde_json::Value;

use super::limits::Limits;
use super::yaml::parse_documents;
use crate::text::{escape_segment, Pos, SpanIndex};

/// Deepest nesting followed: `<release>-config` holds `<release>-static-resources`, which
/// holds the APIService (v1.0 chart layout). Nothing deeper exists in any chart version.
const MAX_DEPTH: u8 = 2;

/// Where the chart's hook Jobs apply the documents of a ConfigMap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// `kubectl apply` against karmada-apiserver (static resources, CRDs).
    KarmadaApiserver,
    /// The pre-install Job's own cluster: the host (`<release>-config`).
    Host,
}

/// What a ConfigMap is to the chart, from its name and annotations; None for every
/// ConfigMap that is not one of the chart's carriers (user ConfigMaps holding YAML text
/// stay plain ConfigMaps).
pub fn carrier(cm: &Value, nested: bool) -> Option<Target> {
    let name = cm.pointer("/metadata/name").and_then(Value::as_str)?;
    let karmada = name.ends_with("-static-resources")
        || name.ends_with("-crds")
        || name.ends_with("-crds-bases")
        || name.ends_with("-crds-patches")
        || name.ends_with("-crds-kustomization")
        || (name.contains("-crds-") && name.ends_with("-bases"));
    if karmada {
        return Some(Target::KarmadaApiserver);
    }
    // `-config` is a common name, so only the chart's own: a Helm hook (top level) whose
    // entries are manifests.
    let hook = cm
        .pointer("/metadata/annotations/helm.sh~1hook")
        .and_then(Value::as_str)
        .is_some();
    (name.ends_with("-config") && (hook || nested) && has_manifest_entry(cm))
        .then_some(Target::Host)
}

fn has_manifest_entry(cm: &Value) -> bool {
    cm.get("data").and_then(Value::as_object).is_some_and(|d| {
        d.keys()
            .any(|k| k.ends_with(".yaml") || k.ends_with(".yml"))
    })
}

/// Whether a file's text may hold the chart's carriers: `helm template`, `helm get
/// manifest` and `helm get hooks` print `# Source:` lines; `kubectl get` of the installed
/// ConfigMaps keeps their `helm.sh/hook` annotation. Other files skip the ConfigMaps
/// cheaply (most ConfigMaps in a large repository are irrelevant).
pub fn may_embed(text: &str) -> bool {
    text.contains("# Source: ") || text.contains("helm.sh/hook")
}

/// One embedded document, with positions in the outer file.
#[derive(Debug, Clone)]
pub struct EmbeddedDoc {
    pub value: Value,
    pub spans: SpanIndex,
    pub start: Pos,
    pub target: Target,
    /// 1 for a document of a top-level ConfigMap, 2 inside a nested one.
    pub depth: u8,
}

/// A problem inside an embedded document, at its position in the outer file.
#[derive(Debug, Clone)]
pub struct EmbeddedProblem {
    pub pos: Pos,
    pub message: String,
    pub warning: bool,
}

#[derive(Debug, Default)]
pub struct Embedded {
    pub docs: Vec<EmbeddedDoc>,
    pub problems: Vec<EmbeddedProblem>,
}

/// How positions of a text map to the file: a shift (a literal block scalar keeps its
/// lines, so line `l` column `c` of the content is line `l + dl`, column `c + dc` of the
/// file), or one fixed position (a quoted or folded scalar, whose lines cannot be mapped
/// back: everything is reported at the key).
#[derive(Debug, Clone, Copy)]
enum PosMap {
    Shift { dl: u32, dc: u32 },
    Fixed(Pos),
}

impl PosMap {
    const IDENTITY: PosMap = PosMap::Shift { dl: 0, dc: 0 };

    fn apply(self, p: Pos) -> Pos {
        match self {
            PosMap::Shift { dl, dc } => Pos {
                line: p.line.saturating_add(dl),
                column: p.column.saturating_add(dc),
            },
            PosMap::Fixed(f) => f,
        }
    }

    /// `self` after `inner`: inner maps content to the text `self` maps to the file.
    fn after(self, inner: PosMap) -> PosMap {
        match (self, inner) {
            (PosMap::Fixed(_), _) => self,
            (_, PosMap::Fixed(p)) => PosMap::Fixed(self.apply(p)),
            (PosMap::Shift { dl, dc }, PosMap::Shift { dl: l2, dc: c2 }) => PosMap::Shift {
                dl: dl.saturating_add(l2),
                dc: dc.saturating_add(c2),
            },
        }
    }
}

/// The documents embedded in `cm` (a ConfigMap parsed from `text`, with `spans` in that
/// text's positions), and the problems found in them. Entries that are not objects of
/// their own are left out: `kustomization.yaml` and the CRD patches kustomize applies
/// onto the bases.
pub fn expand(cm: &Value, spans: &SpanIndex, text: &str, limits: &Limits) -> Embedded {
    let mut out = Embedded::default();
    if let Some(target) = carrier(cm, false) {
        expand_into(
            cm,
            spans,
            text,
            target,
            PosMap::IDENTITY,
            1,
            limits,
            &mut out,
        );
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn expand_into(
    cm: &Value,
    spans: &SpanIndex,
    text: &str,
    target: Target,
    map: PosMap,
    depth: u8,
    limits: &Limits,
    out: &mut Embedded,
) {
    let cm_name = cm
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("");
    let patches = cm_name.ends_with("-crds-patches");
    let Some(data) = cm.get("data").and_then(Value::as_object) else {
        return;
    };
    for (key, content) in data {
        let Some(content) = content.as_str() else {
            continue;
        };
        let is_manifest = key.ends_with(".yaml") || key.ends_with(".yml");
        if !is_manifest || patches || key == "kustomization.yaml" || is_patch_file(key) {
            continue;
        }
        let pointer = format!("/data/{}", escape_segment(key));
        let Some(key_pos) = spans.exact(&pointer) else {
            continue;
        };
        let local = block_map(text, key_pos, content);
        let to_file = map.after(local);
        let where_ = format!("ConfigMap {cm_name}, {key}");
        let outcome = parse_documents(content, limits, |doc| {
            let value = doc.value();
            if !value.is_object() {
                // Empty documents are skipped by the parser; a scalar here is a broken entry.
                out.problems.push(EmbeddedProblem {
                    pos: to_file.apply(doc.start),
                    message: format!(
                        "{where_}: document {} is not a Kubernetes object; skipped",
                        doc.index + 1
                    ),
                    warning: true,
                });
                return;
            }
            let is_cm = value.get("kind").and_then(Value::as_str) == Some("ConfigMap");
            if is_cm && depth < MAX_DEPTH {
                if let Some(inner_target) = carrier(&value, true) {
                    expand_into(
                        &value,
                        &doc.spans(),
                        content,
                        inner_target,
                        to_file,
                        depth + 1,
                        limits,
                        out,
                    );
                }
            }
            out.docs.push(EmbeddedDoc {
                spans: doc.spans().map_positions(|p| to_file.apply(p)),
                start: to_file.apply(doc.start),
                value,
                target,
                depth,
            });
        });
        for p in outcome.problems {
            out.problems.push(EmbeddedProblem {
                pos: to_file.apply(p.pos),
                message: format!("{where_}: {}", p.message),
                warning: p.warning,
            });
        }
    }
}

/// Kustomize patch files of the chart's CRD folders (`webhook_in_*.yaml`,
/// `cainjection_in_*.yaml`): partial CRDs, not objects.
fn is_patch_file(key: &str) -> bool {
    key.starts_with("webhook_in_") || key.starts_with("cainjection_in_")
}

/// Where the content of the scalar whose key is at `key_pos` sits in `text`. A literal
/// block scalar (`key: |`, `|-`, `|+`) keeps its lines: content line 1 is the line after
/// the key, shifted right by the block's indentation. The mapping is checked line by line
/// against the parsed content; anything else (quoted, folded, an explicit indentation
/// indicator, a mismatch) reports every position at the key.
fn block_map(text: &str, key_pos: Pos, content: &str) -> PosMap {
    let fixed = PosMap::Fixed(key_pos);
    let lines: Vec<&str> = text
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect();
    let key_idx = (key_pos.line as usize).saturating_sub(1);
    let Some(key_line) = lines.get(key_idx) else {
        return fixed;
    };
    let after_key: String = key_line
        .chars()
        .skip((key_pos.column as usize).saturating_sub(1))
        .collect();
    let Some((_, rest)) = after_key.split_once(':') else {
        return fixed;
    };
    let indicator = rest.split('#').next().unwrap_or("").trim();
    if !matches!(indicator, "|" | "|-" | "|+") {
        return fixed;
    }
    let content_lines: Vec<&str> = content.split('\n').collect();
    let first = key_idx + 1;
    let Some(i0) = content_lines.iter().position(|l| !l.trim().is_empty()) else {
        return fixed;
    };
    let Some(file_first) = lines.get(first + i0) else {
        return fixed;
    };
    let lead = |s: &str| s.chars().take_while(|c| *c == ' ').count();
    let Some(indent) = lead(file_first).checked_sub(lead(content_lines[i0])) else {
        return fixed;
    };
    for (i, cl) in content_lines.iter().enumerate() {
        let Some(fl) = lines.get(first + i) else {
            // Chomping (`|+`) may keep a final empty line past the text's end.
            if cl.is_empty() {
                continue;
            }
            return fixed;
        };
        let body: String = fl.chars().skip(indent).collect();
        if body.trim_end() != cl.trim_end() {
            return fixed;
        }
    }
    PosMap::Shift {
        dl: key_pos.line,
        dc: indent as u32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::yaml::parse_documents;

    fn one(text: &str) -> (Value, SpanIndex) {
        let mut docs = Vec::new();
        parse_documents(text, &Limits::default(), |d| docs.push(d));
        let d = docs.remove(0);
        (d.value(), d.spans())
    }

    const RENDERED: &str = "\
# Source: karmada/templates/pre-install-job.yaml
apiVersion: v1
kind: ConfigMap
metadata:
  name: fleet-static-resources
  annotations:
    \"helm.sh/hook\": pre-install,pre-upgrade
data:
      apiservice.yaml:  |-
        
        ---
        apiVersion: apiregistration.k8s.io/v1
        kind: APIService
        metadata:
          name: v1alpha1.cluster.karmada.io
        spec:
          caBundle: {{ ca_crt }}
          service:
            name: fleet-aggregated-apiserver
      broken.yaml: |
        apiVersion: v1
        kind: Service
        metadata: [unclosed
";

    #[test]
    fn embedded_documents_keep_their_lines_and_columns_in_the_file() {
        let (v, s) = one(RENDERED);
        let e = expand(&v, &s, RENDERED, &Limits::default());
        assert_eq!(e.docs.len(), 1, "{:?}", e.problems);
        let d = &e.docs[0];
        assert_eq!(d.target, Target::KarmadaApiserver);
        assert_eq!(d.value["spec"]["caBundle"], "{{ ca_crt }}");
        // `service:` is on line 18, column 11 of the rendered text.
        assert_eq!(
            d.spans.exact("/spec/service"),
            Some(Pos {
                line: 18,
                column: 11
            })
        );
        assert_eq!(
            d.spans.exact("/spec/service/name"),
            Some(Pos {
                line: 19,
                column: 13
            })
        );
        assert_eq!(d.start.line, 12);
        // The broken entry is a problem at its own line; the rest loaded.
        assert_eq!(e.problems.len(), 1);
        assert!(
            e.problems[0].message.contains("broken.yaml"),
            "{:?}",
            e.problems
        );
        assert!(
            (22..=24).contains(&e.problems[0].pos.line),
            "{:?}",
            e.problems
        );
    }

    #[test]
    fn a_user_configmap_holding_yaml_is_not_a_carrier() {
        let text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-config\ndata:\n  a.yaml: |\n    kind: Service\n";
        let (v, s) = one(text);
        assert!(expand(&v, &s, text, &Limits::default()).docs.is_empty());
    }

    #[test]
    fn quoted_content_is_located_at_its_key() {
        let text = "{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"metadata\": {\"name\": \"k-static-resources\"},\n \"data\": {\"a.yaml\": \"apiVersion: v1\\nkind: Namespace\\nmetadata:\\n  name: x\\n\"}}";
        let (v, s) = one(text);
        let e = expand(&v, &s, text, &Limits::default());
        assert_eq!(e.docs.len(), 1);
        let key = s.exact("/data/a.yaml").unwrap();
        assert_eq!(e.docs[0].spans.exact("/metadata/name"), Some(key));
    }

    #[test]
    fn nested_configmaps_of_the_v1_0_layout_are_followed() {
        let text = "\
apiVersion: v1
kind: ConfigMap
metadata:
  name: prod-config
  annotations:
    helm.sh/hook: pre-install
data:
  cert.yaml: |-
    apiVersion: v1
    kind: Secret
    metadata:
      name: prod-cert
  static-resources-configmaps.yaml: |-
    apiVersion: v1
    kind: ConfigMap
    metadata:
      name: prod-static-resources
    data:
      ns.yaml: |-
        apiVersion: v1
        kind: Namespace
        metadata:
          name: karmada-system
";
        let (v, s) = one(text);
        let e = expand(&v, &s, text, &Limits::default());
        let kinds: Vec<(&str, Target, u8)> = e
            .docs
            .iter()
            .map(|d| (d.value["kind"].as_str().unwrap(), d.target, d.depth))
            .collect();
        assert_eq!(
            kinds,
            vec![
                ("Secret", Target::Host, 1),
                ("Namespace", Target::KarmadaApiserver, 2),
                ("ConfigMap", Target::Host, 1)
            ]
        );
        let ns = &e.docs[1];
        assert_eq!(
            ns.spans.exact("/metadata/name"),
            Some(Pos {
                line: 23,
                column: 11
            })
        );
    }
}
