//! Loads rule files (embedded at build time, plus `--rules DIR`) and compiles each into
//! its check template. A malformed rule is an error naming the file and line.

use std::path::Path;

use super::spec::RuleSpec;
use crate::checks::{self, Check};
use crate::sources::yaml::parse_documents;
use crate::sources::Limits;
use crate::text::Pos;

include!(concat!(env!("OUT_DIR"), "/embedded_rules.rs"));

/// Version of the bundled rule packs; a macro so `--version` can `concat!` it.
#[macro_export]
macro_rules! rules_version {
    () => {
        "2026.11.0"
    };
}

/// Version of the bundled rule packs, printed by `--version` and in every report.
pub const RULES_VERSION: &str = rules_version!();

pub struct Rule {
    pub spec: RuleSpec,
    pub check: Box<dyn Check>,
    /// Where the rule was defined (`rules/…/x.yaml` or the user's file).
    pub source: String,
}

impl std::fmt::Debug for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rule")
            .field("spec", &self.spec)
            .field("source", &self.source)
            .finish()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct RuleLoadError {
    pub file: String,
    pub line: u32,
    pub message: String,
}

#[derive(Debug, Default)]
pub struct Catalog {
    pub rules: Vec<Rule>,
}

impl Catalog {
    /// Names of the rules marked `lasting: true`: the invariants of earlier hops a
    /// detected install is verified against.
    pub fn lasting(&self) -> Vec<String> {
        self.rules
            .iter()
            .filter(|r| r.spec.lasting)
            .map(|r| r.spec.name.clone())
            .collect()
    }

    /// The bundled rules.
    pub fn embedded() -> Result<Catalog, Vec<RuleLoadError>> {
        let mut cat = Catalog::default();
        let mut errors = Vec::new();
        for (file, text) in EMBEDDED_RULES {
            cat.add_text(file, text, &mut errors);
        }
        cat.sort();
        if errors.is_empty() {
            Ok(cat)
        } else {
            Err(errors)
        }
    }

    /// Add every `*.yaml` rule under `dir` (recursively).
    pub fn add_dir(&mut self, dir: &Path) -> Vec<RuleLoadError> {
        let mut errors = Vec::new();
        let mut files = Vec::new();
        collect(dir, &mut files);
        if files.is_empty() {
            errors.push(RuleLoadError {
                file: dir.display().to_string(),
                line: 1,
                message: "no rule files (*.yaml) found".into(),
            });
        }
        for f in files {
            match std::fs::read_to_string(&f) {
                Ok(text) => self.add_text(&f.display().to_string(), &text, &mut errors),
                Err(e) => errors.push(RuleLoadError {
                    file: f.display().to_string(),
                    line: 1,
                    message: format!("cannot read: {e}"),
                }),
            }
        }
        self.sort();
        errors
    }

    pub fn add_text(&mut self, file: &str, text: &str, errors: &mut Vec<RuleLoadError>) {
        let err = |pos: Pos, message: String| RuleLoadError {
            file: file.to_string(),
            line: pos.line,
            message,
        };
        let mut docs = Vec::new();
        let out = parse_documents(text, &Limits::default(), |d| docs.push(d));
        for p in out.problems.into_iter().filter(|p| !p.warning) {
            errors.push(err(p.pos, p.message));
        }
        for doc in docs {
            let value = doc.value();
            // The former separate test files: say where their content goes now.
            if value.get("kind").and_then(|k| k.as_str()) == Some("RuleTest") {
                errors.push(err(
                    doc.start,
                    "`kind: RuleTest` files are replaced by `examples:` in the rule file \
                     (docs/architecture.md, \"Adding a rule\")"
                        .into(),
                ));
                continue;
            }
            // Other Kubernetes-style documents (a waiver file, inputs kept beside the
            // rules for their examples) are not rules.
            if value.get("kind").is_some() && value.get("template").is_none() {
                continue;
            }
            let mut spec: RuleSpec = match serde_json::from_value(value) {
                Ok(s) => s,
                Err(e) => {
                    let msg = e.to_string();
                    let field = msg.split('`').nth(1).unwrap_or("");
                    let pos = doc.exact(&format!("/{field}")).unwrap_or(doc.start);
                    errors.push(err(pos, format!("invalid rule: {msg}")));
                    continue;
                }
            };
            // `hop` defaults from the pack name (`karmada-v1.0-to-v1.1` -> `v1.0->v1.1`), so
            // every pack rule is placed on upgrade paths and labelled in reports.
            if spec.hop.is_none() {
                spec.hop = crate::upgrade::path::hop_of_pack(&spec.pack);
            }
            if spec.lasting && (spec.hop.is_none() || spec.phases.post.is_none()) {
                errors.push(err(
                    doc.start,
                    format!(
                        "rule {}: `lasting: true` needs a hop and a `post` phase (it is verified \
                         after later upgrades)",
                        spec.name
                    ),
                ));
                continue;
            }
            if let Some(prev) = self
                .rules
                .iter()
                .find(|r| r.spec.id == spec.id || r.spec.name == spec.name)
            {
                errors.push(err(
                    doc.start,
                    format!(
                        "rule {} ({}) is already defined in {}",
                        spec.id, spec.name, prev.source
                    ),
                ));
                continue;
            }
            match checks::compile(&spec.template, &spec.params) {
                Ok(check) => self.rules.push(Rule {
                    spec,
                    check,
                    source: file.to_string(),
                }),
                Err(e) => {
                    let pointer = if e.pointer.is_empty() {
                        "/template".to_string()
                    } else {
                        format!("/params{}", e.pointer)
                    };
                    let pos = doc.resolve(&pointer).unwrap_or(doc.start);
                    errors.push(err(pos, format!("rule {}: {}", spec.name, e.message)));
                }
            }
        }
    }

    /// Rules run and list in id order, whatever the file layout.
    fn sort(&mut self) {
        self.rules.sort_by(|a, b| a.spec.id.cmp(&b.spec.id));
    }

    pub fn find(&self, name_or_id: &str) -> Option<&Rule> {
        self.rules
            .iter()
            .find(|r| super::filter::names(&r.spec, name_or_id))
    }

    /// Kinds any rule reads (`*` for a rule that matches by apiVersion alone).
    pub fn kinds_read(&self) -> std::collections::HashSet<String> {
        self.rules
            .iter()
            .flat_map(|r| r.check.reads())
            .map(|r| r.kind.to_string())
            .collect()
    }

    /// What the loader keeps decoded: the kinds rules read, and every kind of an
    /// apiVersion a rule matches by apiVersion alone. `None` (keep everything) only when
    /// a rule reads every kind of every apiVersion.
    pub fn kind_filter(&self) -> crate::sources::KindFilter {
        let mut filter = crate::sources::ObjectFilter::default();
        for r in self.rules.iter().flat_map(|r| r.check.reads()) {
            match (r.kind, r.api_version) {
                ("*", None) => return None,
                ("*", Some(api)) => filter.api_versions.insert(api.to_string()),
                (kind, _) => filter.kinds.insert(kind.to_string()),
            };
        }
        Some(filter)
    }
}

/// Every `*.yaml`/`*.yml` file under `dir`, recursively, in a stable (sorted) order.
pub(crate) fn collect(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            collect(&p, out);
        } else if matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")) {
            out.push(p);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lasting_rules_come_from_their_metadata_and_need_a_hop() {
        let cat = Catalog::embedded().expect("bundled rules load");
        let lasting = cat.lasting();
        assert_eq!(lasting.len(), 11, "{lasting:?}");
        assert!(lasting.iter().any(|n| n == "cluster-crd-removed"));
        // A core rule (no pack hop) cannot be lasting: it always runs anyway.
        let mut cat = Catalog::default();
        let mut errors = Vec::new();
        cat.add_text(
            "house/x.yaml",
            "id: KP9001\nname: x\npack: house\ntitle: t\ntemplate: object-exists\nlasting: true\n\
             params: {kind: Deployment, name: a, namespace: b}\nphases: {post: error}\n\
             checks: c\nwhy: w\nfix: f\n",
            &mut errors,
        );
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0]
                .to_string()
                .contains("`lasting: true` needs a hop"),
            "{}",
            errors[0]
        );
    }
}
