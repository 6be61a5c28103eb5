//! Remediation computed from the state seen: commands and apply-able manifests.

use serde::Serialize;

use crate::inventory::ObjectRef;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ManifestKind {
    /// A complete object for `kubectl apply -f`.
    Apply,
    /// An RFC 6902 JSON patch for `kubectl patch --type=json`.
    JsonPatch,
    /// A strategic/merge patch for `kubectl patch --type=merge`.
    MergePatch,
}

/// One file of a fix.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    /// File name to write under `--fix-dir`.
    pub file_name: String,
    pub kind: ManifestKind,
    /// Which cluster to apply it to: `karmada`, `host` or `member/<name>`.
    pub apply_to: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<ObjectRef>,
    /// The content as JSON (YAML text is rendered from it when written).
    pub content: serde_json::Value,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Remediation {
    pub summary: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub commands: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub manifests: Vec<Manifest>,
    /// A before/after view of the lines to change, for people.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
}
