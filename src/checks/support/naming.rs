//! Names for fix files and kubectl contexts.

use crate::inventory::{ObjectRef, Scope};

/// A file name for a fix about `r`, unique per object: `host.karmada-system.deployment.karmada-apiserver.patch.json`.
pub fn fix_file(r: &ObjectRef, suffix: &str) -> String {
    let scope = match r.scope() {
        Scope::Member(m) => format!("member-{m}"),
        s => s.to_string(),
    };
    let mut parts = vec![scope];
    if let Some(ns) = r.namespace() {
        parts.push(ns.to_string());
    }
    parts.push(r.kind().to_ascii_lowercase());
    parts.push(r.name.to_string());
    // Object names come from files and clusters: one safe, length-capped component.
    crate::sources::safe_name::file_name(&parts.join("."), suffix)
}

/// The kubectl `--context` flag for a scope, using the context names Karmada's own
/// installers write (`karmada-apiserver`, `karmada-host`).
pub fn context_flag(scope: &Scope) -> String {
    match scope {
        Scope::Karmada => "--context karmada-apiserver".into(),
        Scope::Host | Scope::Pool => "--context karmada-host".into(),
        Scope::Member(m) => format!("--context {m}"),
    }
}

/// Where a manifest for `scope` is applied, as shown in fix plans.
pub fn apply_to(scope: &Scope) -> String {
    match scope {
        Scope::Pool => "host".into(),
        s => s.to_string(),
    }
}
