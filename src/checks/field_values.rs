//! Template `field-values`: values a release no longer accepts (or no longer honours) in
//! fields of Karmada objects: a deprecated enum value (`purgeMode: Immediately`), an
//! operator a webhook now rejects (`Lt` in `clusterTolerations`), a Lua function the
//! interpreter dropped, a field an API removed. One outcome per offending field, located
//! at that field, with a JSON patch of the real object when the fix is mechanical.
//!
//! `paths` are JSON pointers whose segments may be `*` (every array item or map key), so
//! one rule covers `/spec/placement/clusterTolerations/*/operator`. A matched object
//! without any of the fields passes: it cannot carry the value.

use serde::Deserialize;
use serde_json::{json, Value};

use super::support::patch::patch_fix;
use super::support::pointer::walk;
use super::{params, read, Check, CompileError, Ctx, Outcome, Read, ReadScope};
use crate::findings::{FixStep, ManifestKind, Remediation};
use crate::inventory::{Object, ScopeSel};

#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum Where {
    Karmada,
    Host,
    #[default]
    Any,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Match {
    kinds: Vec<String>,
    #[serde(default)]
    scope: Where,
}

/// One forbidden value and what to do about it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Forbid {
    /// The field has exactly this string value.
    #[serde(default)]
    equals: Option<String>,
    /// The field is a string containing one of these (whitespace ignored on both sides,
    /// so `string.rep (` matches `string.rep(`).
    #[serde(default)]
    contains_any: Vec<String>,
    /// The field is there at all (any value).
    #[serde(default)]
    present: bool,
    /// Fix: replace the value with this.
    #[serde(default)]
    replace: Option<Value>,
    /// Fix: remove the field.
    #[serde(default)]
    remove: bool,
    /// Fix: remove the array item or map entry holding the field (the whole toleration).
    #[serde(default)]
    remove_parent: bool,
    /// Fix: extra JSON-patch operations applied after the removal/replacement.
    #[serde(default)]
    also: Vec<Value>,
    /// What to do instead, in the message.
    hint: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    #[serde(rename = "match")]
    matches: Match,
    paths: Vec<String>,
    forbid: Vec<Forbid>,
}

struct FieldValues {
    p: Params,
    kinds: Vec<&'static str>,
}

pub fn compile(params: &Value) -> Result<Box<dyn Check>, CompileError> {
    let p: Params = params::decode(params)?;
    let err = |pointer: &str, message: &str| CompileError {
        pointer: pointer.into(),
        message: message.into(),
    };
    if p.matches.kinds.is_empty() {
        return Err(err("/match/kinds", "list at least one kind"));
    }
    if p.paths.is_empty() || p.paths.iter().any(|s| !s.starts_with('/')) {
        return Err(err("/paths", "list JSON pointers starting with '/'"));
    }
    for (i, f) in p.forbid.iter().enumerate() {
        let conditions = usize::from(f.equals.is_some())
            + usize::from(!f.contains_any.is_empty())
            + usize::from(f.present);
        if conditions != 1 {
            return Err(err(
                &format!("/forbid/{i}"),
                "give exactly one of equals, containsAny, present",
            ));
        }
        let fixes =
            usize::from(f.replace.is_some()) + usize::from(f.remove) + usize::from(f.remove_parent);
        if fixes > 1 {
            return Err(err(
                &format!("/forbid/{i}"),
                "give at most one of replace, remove, removeParent",
            ));
        }
    }
    // Rules are compiled once per process; the kind names live as long as the catalog.
    let kinds = p
        .matches
        .kinds
        .iter()
        .map(|k| &*Box::leak(k.clone().into_boxed_str()))
        .collect();
    Ok(Box::new(FieldValues { p, kinds }))
}

fn squash(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

impl Forbid {
    /// What about `value` is forbidden, if anything.
    fn hit(&self, value: &Value) -> Option<String> {
        if self.present {
            return Some("is set".into());
        }
        if let Some(e) = &self.equals {
            return (value.as_str() == Some(e.as_str())).then(|| format!("is {e:?}"));
        }
        let text = squash(value.as_str()?);
        self.contains_any
            .iter()
            .find(|needle| text.contains(&squash(needle)))
            .map(|needle| format!("uses {needle}"))
    }

    fn patch(&self, pointer: &str, value: &Value) -> Option<Vec<Value>> {
        // Only a value the rule itself names is echoed into the patch as a `test`: a
        // field forbidden for being present may hold key material (`keyData`).
        let mut ops = Vec::new();
        if self.equals.is_some() {
            ops.push(json!({"op": "test", "path": pointer, "value": value}));
        }
        if let Some(r) = &self.replace {
            ops.push(json!({"op": "replace", "path": pointer, "value": r}));
        } else if self.remove {
            ops.push(json!({"op": "remove", "path": pointer}));
        } else if self.remove_parent {
            let parent = pointer.rsplit_once('/').map(|(p, _)| p)?;
            ops.push(json!({"op": "remove", "path": parent}));
        } else if self.also.is_empty() {
            return None;
        }
        ops.extend(self.also.iter().cloned());
        Some(ops)
    }
}

impl FieldValues {
    fn sel(&self) -> ScopeSel {
        match self.p.matches.scope {
            Where::Karmada => ScopeSel::Karmada,
            Where::Host => ScopeSel::Host,
            Where::Any => ScopeSel::All,
        }
    }

    fn check(&self, obj: &Object) -> Vec<Outcome> {
        let mut fields = Vec::new();
        for path in &self.p.paths {
            let segs: Vec<&str> = path[1..].split('/').collect();
            walk(obj.value(), &segs, String::new(), &mut fields);
        }
        let mut out = Vec::new();
        for (pointer, value) in fields {
            for f in &self.p.forbid {
                let Some(what) = f.hit(value) else { continue };
                let mut o = Outcome::violation(format!("{} {} {what}: {}", obj.r, pointer, f.hint))
                    .at(obj, &pointer);
                if let Some(ops) = f.patch(&pointer, value) {
                    let suffix = format!(
                        "{}.patch.json",
                        pointer.trim_start_matches('/').replace(['/', '~'], "_")
                    );
                    let (command, manifest) =
                        patch_fix(&obj.r, ManifestKind::JsonPatch, &suffix, Value::Array(ops));
                    o = o.with_remediation(Remediation {
                        manifests: vec![manifest],
                        ..Remediation::from_steps(
                            format!("In {}, {pointer}: {}", obj.r, f.hint),
                            vec![FixStep::Run(command)],
                        )
                    });
                } else {
                    o = o.with_remediation(Remediation::from_steps(
                        format!("In {}, {pointer}: {}", obj.r, f.hint),
                        vec![FixStep::Note(format!(
                            "no mechanical fix: edit {pointer} of {} by hand",
                            obj.r
                        ))],
                    ));
                }
                out.push(o);
            }
        }
        if out.is_empty() {
            out.push(
                Outcome::pass(format!(
                    "{} carries none of the values this release drops",
                    obj.r
                ))
                .at(obj, ""),
            );
        }
        out
    }
}

impl Check for FieldValues {
    fn reads(&self) -> Vec<Read> {
        let scopes: &[ReadScope] = match self.p.matches.scope {
            Where::Karmada => &[ReadScope::Karmada],
            Where::Host => &[ReadScope::Host],
            Where::Any => &[ReadScope::Karmada, ReadScope::Host],
        };
        self.kinds
            .iter()
            .flat_map(|k| scopes.iter().map(|s| read(k, *s)))
            .collect()
    }

    fn run(&self, ctx: &Ctx<'_>) -> Vec<Outcome> {
        let sel = self.sel();
        self.kinds
            .iter()
            .flat_map(|k| ctx.inv.of_kind(k, &sel).collect::<Vec<_>>())
            .flat_map(|o| self.check(o))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lua_matches_ignore_whitespace() {
        let f = Forbid {
            equals: None,
            contains_any: vec!["string.rep(".into(), ":gsub(".into()],
            present: false,
            replace: None,
            remove: false,
            remove_parent: false,
            also: vec![],
            hint: String::new(),
        };
        assert!(f.hit(&json!("x = string.rep ('a', 3)")).is_some());
        assert!(f.hit(&json!("y = name:gsub('-', '_')")).is_some());
        assert!(f.hit(&json!("z = string.format('%s', a)")).is_none());
    }
}
