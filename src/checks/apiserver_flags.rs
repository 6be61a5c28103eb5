//! Template `apiserver-flags`: a component's command line carries the expected flags.
//! Flags are read from `command` and `args`, as `--f=v` or `--f v`; a mismatch points at
//! the token holding the offending value, and the fix is a JSON patch of exactly those
//! tokens on the real object.

use serde::Deserialize;
use serde_json::{json, Value};

use super::support::components;
use super::support::patch::patch_fix;
use super::{params, Check, CompileError, Ctx, Outcome, Read};
use crate::findings::{Evidence, ManifestKind, Remediation};
use crate::inventory::workload::{Component, ContainerRef, Flag};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Expect {
    flag: String,
    #[serde(default)]
    equals: Option<String>,
    /// The value's file name, keeping whatever directory the installer mounts
    /// certificates in. Several: any of them (later releases mount the front-proxy pair as
    /// a `kubernetes.io/tls` Secret, `front-proxy-client/tls.crt`); the first is what a fix writes.
    #[serde(default)]
    ends_with: Option<OneOrMany>,
    /// The comma-separated value must include this item.
    #[serde(default)]
    list_contains: Option<String>,
    /// Used when the flag is missing and no directory can be inferred.
    #[serde(default)]
    default: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn all(&self) -> &[String] {
        match self {
            OneOrMany::One(s) => std::slice::from_ref(s),
            OneOrMany::Many(v) => v,
        }
    }
    fn first(&self) -> &str {
        self.all().first().map(String::as_str).unwrap_or("")
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    component: Component,
    expect: Vec<Expect>,
}

struct ApiserverFlags {
    p: Params,
}

pub fn compile(params: &Value) -> Result<Box<dyn Check>, CompileError> {
    let p: Params = params::decode(params)?;
    for (i, e) in p.expect.iter().enumerate() {
        let n = [
            e.equals.is_some(),
            e.ends_with.is_some(),
            e.list_contains.is_some(),
        ]
        .iter()
        .filter(|x| **x)
        .count();
        let empty_list = e.ends_with.as_ref().is_some_and(|w| w.all().is_empty());
        if n != 1 || empty_list || !e.flag.starts_with("--") {
            return Err(CompileError {
                pointer: format!("/expect/{i}"),
                message: "each expectation needs a `--flag` and exactly one of equals, endsWith, listContains".into(),
            });
        }
    }
    Ok(Box::new(ApiserverFlags { p }))
}

/// What is wrong with one expected flag.
struct Problem<'e> {
    expect: &'e Expect,
    found: Option<Flag>,
    wanted: String,
}

impl Expect {
    fn describe(&self) -> String {
        if let Some(v) = &self.equals {
            format!("{}={v}", self.flag)
        } else if let Some(v) = &self.ends_with {
            format!("{}=…/{}", self.flag, v.all().join(" or …/"))
        } else {
            format!(
                "{} including {}",
                self.flag,
                self.list_contains.as_deref().unwrap_or("")
            )
        }
    }

    fn satisfied_by(&self, v: &str) -> bool {
        if let Some(want) = &self.equals {
            v == want
        } else if let Some(want) = &self.ends_with {
            want.all()
                .iter()
                .any(|w| v == w || v.ends_with(&format!("/{w}")))
        } else if let Some(item) = &self.list_contains {
            v.split(',').any(|x| x.trim() == item)
        } else {
            true
        }
    }

    /// The value to write: keep the directory the installer uses (`/etc/kubernetes/pki`
    /// in all three install methods, but a custom install may differ).
    fn wanted(&self, current: Option<&str>, cert_dir: &str) -> String {
        if let Some(v) = &self.equals {
            return v.clone();
        }
        if let Some(file) = &self.ends_with {
            let dir = current
                .and_then(|c| c.rsplit_once('/').map(|(d, _)| d.to_string()))
                .unwrap_or_else(|| cert_dir.to_string());
            return format!("{dir}/{}", file.first());
        }
        let item = self.list_contains.clone().unwrap_or_default();
        match current {
            Some(c) if !c.is_empty() => format!("{c},{item}"),
            _ => item,
        }
    }
}

fn is_placeholder(v: &str) -> bool {
    v.contains("{{") && v.contains("}}")
}

impl ApiserverFlags {
    fn check_container(&self, c: &ContainerRef<'_>) -> Outcome {
        let obj = c.object;
        let comp = self.p.component.display();
        let flags = match c.flags() {
            Ok(f) => f,
            Err(tp) => {
                return Outcome::unknown(format!(
                    "cannot read the {comp} command line: {}",
                    tp.message
                ))
                .at(obj, &tp.pointer)
            }
        };
        let last = |name: &str| flags.iter().rev().find(|f| f.name == name).cloned();
        // Where certificates live: the directory of --tls-cert-file, as a fallback for
        // flags that are missing entirely.
        let cert_dir = last("--tls-cert-file")
            .and_then(|f| f.value)
            .and_then(|v| v.rsplit_once('/').map(|(d, _)| d.to_string()))
            .unwrap_or_else(|| "/etc/kubernetes/pki".into());
        let mut problems = Vec::new();
        for e in &self.p.expect {
            let found = last(&e.flag);
            let value = found.as_ref().and_then(|f| f.value.clone());
            if let Some(v) = &value {
                if is_placeholder(v) {
                    return Outcome::unknown(format!(
                        // The flag's value is not quoted: `{{` can sit inside a real
                        // value, such as a password passed on the command line.
                        "{} holds an unrendered template placeholder ({{{{ ... }}}}); render the manifest to check it",
                        e.flag
                    ))
                    .at(
                        obj,
                        &found
                            .as_ref()
                            .map(|f| f.pointer.clone())
                            .unwrap_or_default(),
                    );
                }
            }
            if value.as_deref().is_some_and(|v| e.satisfied_by(v)) {
                continue;
            }
            let wanted = e
                .default
                .clone()
                .filter(|_| value.is_none() && e.ends_with.is_none())
                .unwrap_or_else(|| e.wanted(value.as_deref(), &cert_dir));
            problems.push(Problem {
                expect: e,
                found,
                wanted,
            });
        }
        if problems.is_empty() {
            let first = self
                .p
                .expect
                .first()
                .and_then(|e| last(&e.flag))
                .map(|f| f.pointer)
                .unwrap_or_default();
            return Outcome::pass(format!(
                "{comp} has {}",
                self.p
                    .expect
                    .iter()
                    .map(|e| e.flag.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
            .at(obj, &first);
        }
        // Report at the first offending flag in command-line order (what a reader
        // scanning the file meets first); missing flags point at the flag list.
        let list_ptr = c.flag_list_pointer();
        let ptr_of = |p: &Problem| {
            p.found
                .as_ref()
                .map(|f| f.pointer.clone())
                .unwrap_or_else(|| list_ptr.clone())
        };
        let mut order: Vec<&Problem> = problems.iter().collect();
        order.sort_by_key(|p| {
            (
                p.found.is_none(),
                p.found.as_ref().map(|f| token_index(&f.pointer)),
            )
        });
        let evidence: Vec<Evidence> = order
            .iter()
            .map(|p| Evidence {
                status: None,
                message: match &p.found {
                    Some(f) => format!(
                        "{}={} should be {}",
                        p.expect.flag,
                        f.value.as_deref().unwrap_or(""),
                        p.wanted
                    ),
                    None => format!(
                        "{} is missing; add {}={}",
                        p.expect.flag, p.expect.flag, p.wanted
                    ),
                },
                location: Some(obj.locate(&ptr_of(p))),
            })
            .collect();
        let summary = order
            .iter()
            .map(|p| match &p.found {
                Some(f) => format!("{}={}", p.expect.flag, f.value.as_deref().unwrap_or("")),
                None => format!("{} missing", p.expect.flag),
            })
            .collect::<Vec<_>>()
            .join(", ");
        let expected = order
            .iter()
            .map(|p| p.expect.describe())
            .collect::<Vec<_>>()
            .join(", ");
        Outcome::violation(format!(
            "{comp} {} has {summary}; expected {expected}",
            obj.r
        ))
        .at(obj, &ptr_of(order[0]))
        .with_evidence(evidence)
        .with_remediation(self.remediation(c, &order, &list_ptr))
    }

    fn remediation(
        &self,
        c: &ContainerRef<'_>,
        problems: &[&Problem],
        list_ptr: &str,
    ) -> Remediation {
        let obj = c.object;
        let mut ops = Vec::new();
        let mut diff = String::new();
        for p in problems {
            match &p.found {
                Some(f) => {
                    let old = obj.at(&f.pointer).cloned().unwrap_or(Value::Null);
                    let new = if f.separate_value {
                        p.wanted.clone()
                    } else {
                        format!("{}={}", p.expect.flag, p.wanted)
                    };
                    // `test` first: the patch only applies to the object as it was seen.
                    ops.push(json!({"op": "test", "path": f.pointer, "value": old}));
                    ops.push(json!({"op": "replace", "path": f.pointer, "value": new}));
                    let loc = obj.locate(&f.pointer);
                    diff.push_str(&format!(
                        "{loc}\n-  {}\n+  {new}\n",
                        old.as_str().unwrap_or_default()
                    ));
                }
                None => {
                    let new = format!("{}={}", p.expect.flag, p.wanted);
                    ops.push(json!({"op": "add", "path": format!("{list_ptr}/-"), "value": new}));
                    diff.push_str(&format!("{}\n+  {new}\n", obj.locate(list_ptr)));
                }
            }
        }
        let (command, manifest) = patch_fix(
            &obj.r,
            ManifestKind::JsonPatch,
            "patch.json",
            Value::Array(ops),
        );
        Remediation {
            summary: format!(
                "Patch {} so {} uses the expected flags (the patch tests the current values first).",
                obj.r,
                self.p.component.display()
            ),
            commands: vec![command],
            manifests: vec![manifest],
            steps: Vec::new(),
            diff: Some(diff),
        }
    }
}

fn token_index(pointer: &str) -> (bool, usize) {
    let is_args = pointer.contains("/args/");
    let idx = pointer
        .rsplit('/')
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(usize::MAX);
    (is_args, idx)
}

impl Check for ApiserverFlags {
    fn reads(&self) -> Vec<Read> {
        components::workload_reads(self.p.component)
    }

    fn run(&self, ctx: &Ctx<'_>) -> Vec<Outcome> {
        match components::containers(ctx.inv, self.p.component) {
            Ok(cs) => cs.iter().map(|c| self.check_container(c)).collect(),
            Err(unknown) => vec![*unknown],
        }
    }
}
