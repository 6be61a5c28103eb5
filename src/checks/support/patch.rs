//! A patch of a real object as a fix: the manifest to write under `--fix-dir` and the
//! `kubectl patch` command that applies it, built from the object's own identity so the
//! two always agree.

use serde_json::Value;

use super::naming::{apply_to, context_flag, fix_file};
use crate::findings::{Manifest, ManifestKind};
use crate::inventory::ObjectRef;

/// `suffix` names the fix file (`patch.json`, `front-proxy.merge-patch.json`);
/// `kind` must be `JsonPatch` or `MergePatch`.
pub fn patch_fix(
    target: &ObjectRef,
    kind: ManifestKind,
    suffix: &str,
    content: Value,
) -> (String, Manifest) {
    let file = fix_file(target, suffix);
    let ty = if kind == ManifestKind::JsonPatch {
        "json"
    } else {
        "merge"
    };
    let ns = target
        .namespace()
        .map(|n| format!(" -n {n}"))
        .unwrap_or_default();
    let command = format!(
        "kubectl {}{ns} patch {} {} --type={ty} --patch-file {file}",
        context_flag(target.scope()),
        target.kind().to_lowercase(),
        target.name
    );
    let manifest = Manifest {
        file_name: file,
        kind,
        apply_to: apply_to(target.scope()),
        target: Some(target.clone()),
        content,
    };
    (command, manifest)
}
