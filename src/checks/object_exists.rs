//! Template `object-exists`: an object a release expects (e.g. the `cluster-proxy-admin`
//! ClusterRole of v1.2) exists. The rule carries the object itself as `manifest`, which
//! is both what is looked for (kind, name, namespace) and the fix written to --fix-dir.

use serde::Deserialize;
use serde_json::Value;

use super::support::naming::{apply_to, context_flag, fix_file};
use super::{params, read, Check, CompileError, Ctx, Outcome, Read, ReadScope};
use crate::findings::{Manifest, ManifestKind, Remediation};
use crate::inventory::{ObjectRef, Scope, ScopeSel};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "lowercase")]
enum Where {
    Karmada,
    Host,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    scope: Where,
    manifest: Value,
}

struct ObjectExists {
    r: ObjectRef,
    kind: &'static str,
    manifest: Value,
}

/// Kinds this template looks for; `Read` needs static names, and a closed list keeps
/// rule files from naming kinds the live collector would not know how to list.
const KINDS: &[&str] = &[
    "ClusterRole",
    "ClusterRoleBinding",
    "Role",
    "RoleBinding",
    "Service",
    "ServiceAccount",
    "Secret",
    "ConfigMap",
    "APIService",
    "Namespace",
];

pub fn compile(params: &Value) -> Result<Box<dyn Check>, CompileError> {
    let p: Params = params::decode(params)?;
    let err = |pointer: &str, message: String| CompileError {
        pointer: pointer.into(),
        message,
    };
    let s = |ptr: &str| p.manifest.pointer(ptr).and_then(Value::as_str);
    let kind = s("/kind").unwrap_or_default();
    let kind = KINDS.iter().copied().find(|k| *k == kind).ok_or_else(|| {
        err(
            "/manifest/kind",
            format!("kind must be one of {}", KINDS.join(", ")),
        )
    })?;
    let (Some(api), Some(name)) = (s("/apiVersion"), s("/metadata/name")) else {
        return Err(err(
            "/manifest",
            "the manifest needs apiVersion and metadata.name".into(),
        ));
    };
    let scope = match p.scope {
        Where::Karmada => Scope::Karmada,
        Where::Host => Scope::Host,
    };
    Ok(Box::new(ObjectExists {
        r: ObjectRef::new(scope, api, kind, s("/metadata/namespace"), name),
        kind,
        manifest: p.manifest.clone(),
    }))
}

impl Check for ObjectExists {
    fn reads(&self) -> Vec<Read> {
        let s = match self.r.scope() {
            Scope::Host => ReadScope::Host,
            _ => ReadScope::Karmada,
        };
        vec![read(self.kind, s)]
    }

    fn run(&self, ctx: &Ctx<'_>) -> Vec<Outcome> {
        let sel = match self.r.scope() {
            Scope::Host => ScopeSel::Host,
            _ => ScopeSel::Karmada,
        };
        if let Some(o) = ctx
            .inv
            .get(self.kind, &sel, self.r.namespace(), &self.r.name)
        {
            return vec![Outcome::pass(format!("{} exists", o.r)).at(o, "")];
        }
        // Input without any object of the kind says nothing about this one.
        if !ctx.inv.saw_kind(self.kind, &sel) {
            return vec![Outcome::unknown(format!(
                "the input holds no {} at all, so {} cannot be confirmed",
                self.kind, self.r
            ))
            .about(self.r.clone())];
        }
        let file = fix_file(&self.r, "yaml");
        vec![Outcome::violation(format!("{} does not exist", self.r))
            .about(self.r.clone())
            .with_remediation(Remediation {
                summary: format!("Create {}.", self.r),
                commands: vec![format!(
                    "kubectl {} apply -f {file}",
                    context_flag(self.r.scope())
                )],
                manifests: vec![Manifest {
                    file_name: file,
                    kind: ManifestKind::Apply,
                    apply_to: apply_to(self.r.scope()),
                    target: Some(self.r.clone()),
                    content: self.manifest.clone(),
                }],
                steps: Vec::new(),
                diff: None,
            })]
    }
}
