//! Template `component-flags`: flags that Karmada components must not carry (removed or
//! deprecated in a release) or must carry, over one or several components. A forbidden
//! flag is a flag, or one item of a comma-separated flag value such as
//! `--feature-gates=A=false,B=true`; a required flag must include an item, set a key,
//! equal a value, or name a file (`endsWith`, keeping the directory the installer mounts
//! certificates in). Flags are read from `command` and `args`, as `--f=v` or `--f v`; a
//! finding points at the token holding the offending value, and the fix is a JSON patch of
//! exactly those tokens on the real object.
//!
//! A component that is not in the input makes `forbid` rules skip (nothing can carry the
//! flag) and `require` rules unknown (nothing to confirm it).

use serde::Deserialize;
use serde_json::{json, Value};

use super::support::components;
use super::support::naming::{apply_to, context_flag, fix_file};
use super::{params, read, Check, CompileError, Ctx, Outcome, Read, ReadScope};
use crate::findings::{Evidence, Manifest, ManifestKind, Remediation};
use crate::inventory::components::{Installed, Shape};
use crate::inventory::workload::{Component, ContainerRef, Flag};
use crate::inventory::{Object, ScopeSel};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Forbid {
    flag: String,
    /// Only this key of a comma-separated `k=v` list (a feature gate, a controller).
    #[serde(default)]
    item: Option<String>,
    /// What to use instead, shown in the message.
    #[serde(default)]
    hint: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Require {
    flag: String,
    /// The comma-separated value must include exactly this item.
    #[serde(default)]
    list_contains: Option<String>,
    /// Or: the list must set this key to any value (`Failover=true` and `Failover=false`
    /// both do), because a default that changes between releases must be pinned, not left
    /// to whichever patch release is installed.
    #[serde(default)]
    has_key: Option<String>,
    /// With `hasKey`: the item the fix appends (e.g. `Failover=true`).
    #[serde(default)]
    add: Option<String>,
    /// Or: the value must be exactly this (`--requestheader-group-headers=X-Remote-Group`).
    #[serde(default)]
    equals: Option<String>,
    /// Or: the value is a path ending in this file name, in whatever directory the
    /// installer mounts certificates. Several: any of them (later releases mount the
    /// front-proxy pair as a `kubernetes.io/tls` Secret, `front-proxy-client/tls.crt`); the
    /// first is what a fix writes.
    #[serde(default)]
    ends_with: Option<OneOrMany>,
    /// The value the binary uses when the flag is absent (`*` for `--controllers`): a fix
    /// that adds the flag starts from it, so `--controllers=*,hpa` keeps the controllers
    /// that were on by default instead of running `hpa` alone.
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
}

impl Require {
    fn satisfied_by(&self, value: &str) -> bool {
        if let Some(want) = &self.equals {
            return value == want;
        }
        if let Some(files) = &self.ends_with {
            return files
                .all()
                .iter()
                .any(|f| value == f || value.ends_with(&format!("/{f}")));
        }
        match (&self.list_contains, &self.has_key) {
            (Some(item), _) => items(value).any(|i| i == item),
            (None, Some(key)) => items(value).any(|i| item_key(i) == key),
            (None, None) => false,
        }
    }

    /// An `equals` or `endsWith` requirement: the whole value is replaced, not extended.
    fn whole_value(&self) -> bool {
        self.equals.is_some() || self.ends_with.is_some()
    }

    /// The whole value a fix writes for an `equals` or `endsWith` requirement. A file keeps
    /// the directory of the current value, else `cert_dir`.
    fn wanted_value(&self, current: Option<&str>, cert_dir: &str) -> String {
        if let Some(v) = &self.equals {
            return v.clone();
        }
        let file = self
            .ends_with
            .as_ref()
            .and_then(|f| f.all().first())
            .map(String::as_str)
            .unwrap_or_default();
        let dir = current
            .and_then(|c| c.rsplit_once('/').map(|(d, _)| d))
            .unwrap_or(cert_dir);
        format!("{dir}/{file}")
    }

    /// The item the fix adds.
    fn item(&self) -> &str {
        self.list_contains
            .as_deref()
            .or(self.add.as_deref())
            .unwrap_or_default()
    }

    /// What is wrong, given the flag's value when it is set: "--controllers=a,b does not
    /// include hpa", "--f=/pki/karmada.crt, expected …/front-proxy-client.crt", "--f
    /// missing, expected --f=X-Remote-User".
    fn problem(&self, value: Option<&str>) -> String {
        let flag = &self.flag;
        let found = match value {
            Some(v) => format!("{flag}={v}"),
            None => flag.clone(),
        };
        let want = match (&self.equals, &self.ends_with) {
            (Some(v), _) => Some(v.clone()),
            (None, Some(files)) => Some(format!("…/{}", files.all().join(" or …/"))),
            (None, None) => None,
        };
        if let Some(want) = want {
            return match value {
                Some(_) => format!("{found}, expected {want}"),
                None => format!("{flag} missing, expected {flag}={want}"),
            };
        }
        match (&self.list_contains, &self.has_key) {
            (Some(item), _) => format!("{found} does not include {item}"),
            (None, Some(key)) => format!("{found} does not set {key} (its default changes)"),
            (None, None) => found,
        }
    }
}

/// Only evaluate when the input holds objects of a kind (e.g. the `hpa` controller only
/// matters when HorizontalPodAutoscalers exist).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct When {
    present: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    components: Vec<Component>,
    #[serde(default)]
    forbid: Vec<Forbid>,
    #[serde(default)]
    require: Vec<Require>,
    #[serde(default)]
    when: Option<When>,
}

struct ComponentFlags {
    p: Params,
    when_kind: Option<&'static str>,
}

pub fn compile(params: &Value) -> Result<Box<dyn Check>, CompileError> {
    let p: Params = params::decode(params)?;
    let err = |pointer: String, message: &str| CompileError {
        pointer,
        message: message.into(),
    };
    if p.components.is_empty() {
        return Err(err("/components".into(), "list at least one component"));
    }
    if p.forbid.is_empty() && p.require.is_empty() {
        return Err(err(String::new(), "give `forbid` and/or `require` flags"));
    }
    for (i, f) in p.forbid.iter().enumerate() {
        if !f.flag.starts_with("--") {
            return Err(err(format!("/forbid/{i}/flag"), "a flag starts with --"));
        }
    }
    for (i, r) in p.require.iter().enumerate() {
        let ok = r.flag.starts_with("--")
            && match (
                &r.list_contains,
                &r.has_key,
                &r.add,
                &r.equals,
                &r.ends_with,
            ) {
                (Some(item), None, None, None, None) => !item.is_empty(),
                (None, Some(key), Some(add), None, None) => !key.is_empty() && item_key(add) == key,
                (None, None, None, Some(_), None) => r.default.is_none(),
                (None, None, None, None, Some(files)) => {
                    r.default.is_none()
                        && files.all().iter().all(|f| !f.is_empty())
                        && !files.all().is_empty()
                }
                _ => false,
            };
        if !ok {
            return Err(err(
                format!("/require/{i}"),
                "a required flag starts with -- and names exactly one of: a non-empty listContains \
                 item, a hasKey with the `add` item (KEY=value) the fix appends, an `equals` value, \
                 or `endsWith` file names (`default` goes only with the list forms)",
            ));
        }
    }
    // Kinds of the `when` clause are rule data; `Read` wants a static name, and only the
    // few kinds used by bundled rules are accepted, so nothing is leaked per load.
    let when_kind = match &p.when {
        None => None,
        Some(w) => Some(
            WHEN_KINDS
                .iter()
                .copied()
                .find(|k| *k == w.present)
                .ok_or_else(|| {
                    err(
                        "/when/present".into(),
                        &format!("when.present must be one of {}", WHEN_KINDS.join(", ")),
                    )
                })?,
        ),
    };
    Ok(Box::new(ComponentFlags { p, when_kind }))
}

const WHEN_KINDS: &[&str] = &[
    "HorizontalPodAutoscaler",
    "FederatedHPA",
    "CronFederatedHPA",
];

/// `(list pointer, index)` of a token pointer such as `/spec/…/command/3`.
fn list_index(p: &str) -> (String, usize) {
    match p.rsplit_once('/') {
        Some((list, i)) => (list.to_string(), i.parse().unwrap_or(usize::MAX)),
        None => (String::new(), usize::MAX),
    }
}

fn items(value: &str) -> impl Iterator<Item = &str> {
    value.split(',').map(str::trim).filter(|s| !s.is_empty())
}

fn item_key(item: &str) -> &str {
    item.split('=').next().unwrap_or(item).trim()
}

/// The required items one flag lacks: (flag, the flag as found with a value, the binary's
/// default when absent, the items to add).
type Missing<'a> = (&'a str, Option<&'a Flag>, Option<&'a str>, Vec<&'a str>);

/// One forbidden flag (or item) found on a container.
struct Hit<'f> {
    rule: &'f Forbid,
    flag: Flag,
}

impl Hit<'_> {
    /// What was found (naming the declaring `field` when it is not a command line) and
    /// the rule's hint, in words.
    fn describe(&self, field: Option<&str>) -> (String, String) {
        let at = field.map(|f| format!(" ({f})")).unwrap_or_default();
        let what = match &self.rule.item {
            Some(i) => format!("{} includes {i}{at}", self.rule.flag),
            None => format!("{} is set{at}", self.rule.flag),
        };
        let hint = self
            .rule
            .hint
            .as_deref()
            .map(|x| format!(" ({x})"))
            .unwrap_or_default();
        (what, hint)
    }
}

impl ComponentFlags {
    /// The forbidden flags present and the required ones missing (in command-line order,
    /// absent ones last), whatever the install shape the flags were read from; or the
    /// required flag whose value is an unrendered placeholder, which cannot be judged.
    fn evaluate<'s>(&'s self, flags: &[Flag]) -> Result<Evaluation<'s>, Flag> {
        let mut hits = Vec::new();
        for f in &self.p.forbid {
            // Every occurrence counts: a repeated flag is still passed to the binary.
            for fl in flags.iter().filter(|x| x.name == f.flag) {
                let hit = match &f.item {
                    None => true,
                    Some(item) => fl
                        .value
                        .as_deref()
                        .is_some_and(|v| items(v).any(|i| item_key(i) == item)),
                };
                if hit {
                    hits.push(Hit {
                        rule: f,
                        flag: fl.clone(),
                    });
                }
            }
        }
        let mut missing = Vec::new();
        for r in &self.p.require {
            // The last occurrence wins, as for the binary's flag parser.
            let last = flags.iter().rev().find(|x| x.name == r.flag);
            if let Some(f) = last.filter(|f| f.value.as_deref().is_some_and(is_placeholder)) {
                return Err(f.clone());
            }
            if !last
                .and_then(|f| f.value.as_deref())
                .is_some_and(|v| r.satisfied_by(v))
            {
                missing.push((r, last.cloned()));
            }
        }
        // A reader scanning the file meets the offending tokens in this order.
        missing.sort_by_key(|(_, f)| (f.is_none(), f.as_ref().map(|f| token_order(&f.pointer))));
        Ok(Evaluation { hits, missing })
    }

    fn check_container(&self, comp: Component, c: &ContainerRef<'_>) -> Outcome {
        let obj = c.object;
        let name = comp.display();
        let flags = match c.flags() {
            Ok(f) => f,
            Err(tp) => {
                return Outcome::unknown(format!(
                    "cannot read the {name} command line: {}",
                    tp.message
                ))
                .at(obj, &tp.pointer)
            }
        };
        let Evaluation { hits, missing } = match self.evaluate(&flags) {
            Ok(e) => e,
            Err(placeholder) => return placeholder_unknown(obj, &placeholder),
        };
        if hits.is_empty() && missing.is_empty() {
            // At the first required flag when there is one: the evidence of the pass.
            let at = self
                .p
                .require
                .first()
                .and_then(|r| flags.iter().rev().find(|f| f.name == r.flag))
                .map(|f| f.pointer.clone())
                .unwrap_or_else(|| c.flag_list_pointer());
            return Outcome::pass(format!("{name} {} has the expected flags", obj.r)).at(obj, &at);
        }
        let mut evidence = Vec::new();
        let mut parts = Vec::new();
        for h in &hits {
            let (what, hint) = h.describe(None);
            parts.push(format!("{what}{hint}"));
            evidence.push(Evidence {
                status: None,
                message: format!("{what}{hint}"),
                location: Some(obj.locate(&h.flag.flag_pointer)),
            });
        }
        for (r, found) in &missing {
            let what = r.problem(found.as_ref().and_then(|f| f.value.as_deref()));
            // The token holding the offending value; a missing flag, the list to add it to.
            let ptr = found
                .as_ref()
                .map(|f| f.pointer.clone())
                .unwrap_or_else(|| c.flag_list_pointer());
            evidence.push(Evidence {
                status: None,
                message: what.clone(),
                location: Some(obj.locate(&ptr)),
            });
            parts.push(what);
        }
        let at = hits
            .first()
            .map(|h| h.flag.flag_pointer.clone())
            .or_else(|| {
                missing
                    .first()
                    .and_then(|(_, f)| f.as_ref().map(|f| f.pointer.clone()))
            })
            .unwrap_or_else(|| c.flag_list_pointer());
        let mut o = Outcome::violation(format!("{name} {}: {}", obj.r, parts.join("; ")))
            .at(obj, &at)
            .with_evidence(evidence);
        if let Some(r) = self.remediation(c, &flags, &hits, &missing) {
            o = o.with_remediation(r);
        }
        o
    }

    /// A JSON patch that edits exactly the offending tokens, each guarded by a `test` of
    /// its current value. Flags inside an `sh -c` script share one token and cannot be
    /// patched token-wise, so then only the summary is given.
    fn remediation(
        &self,
        c: &ContainerRef<'_>,
        flags: &[Flag],
        hits: &[Hit<'_>],
        missing: &[(&Require, Option<Flag>)],
    ) -> Option<Remediation> {
        let obj = c.object;
        let token = |p: &str| obj.at(p).and_then(Value::as_str).map(str::to_string);
        // (pointer, Some(new) = replace | None = remove)
        let mut edits: Vec<(String, Option<String>)> = Vec::new();
        for h in hits {
            let tok = token(&h.flag.flag_pointer)?;
            if !tok.starts_with(&h.rule.flag) {
                return None;
            }
            match &h.rule.item {
                None => {
                    edits.push((h.flag.flag_pointer.clone(), None));
                    if h.flag.separate_value {
                        edits.push((h.flag.pointer.clone(), None));
                    }
                }
                Some(item) => {
                    let rest: Vec<&str> = items(h.flag.value.as_deref().unwrap_or(""))
                        .filter(|i| item_key(i) != item)
                        .collect();
                    if rest.is_empty() {
                        edits.push((h.flag.flag_pointer.clone(), None));
                        if h.flag.separate_value {
                            edits.push((h.flag.pointer.clone(), None));
                        }
                    } else {
                        edits.push((
                            h.flag.pointer.clone(),
                            Some(with_value(&h.flag, &rest.join(","))),
                        ));
                    }
                }
            }
        }
        // Where certificates live when a required file flag is missing entirely: the
        // directory of --tls-cert-file, else the one all three installers use.
        let cert_dir = flags
            .iter()
            .rev()
            .find(|f| f.name == "--tls-cert-file")
            .and_then(|f| f.value.as_deref())
            .and_then(|v| v.rsplit_once('/').map(|(d, _)| d.to_string()))
            .unwrap_or_else(|| "/etc/kubernetes/pki".into());
        // Several missing items of one flag (two controllers) go into one token: a second
        // `--controllers=` token would override the first (last wins).
        let mut grouped: Vec<Missing<'_>> = Vec::new();
        let mut adds = Vec::new();
        for (r, found) in missing {
            let found = found.as_ref().filter(|f| f.value.is_some());
            if r.whole_value() {
                let current = found.and_then(|f| f.value.as_deref());
                let wanted = r.wanted_value(current, &cert_dir);
                match found {
                    Some(f) => {
                        if !token(&f.pointer)?.contains(current.unwrap_or_default()) {
                            return None;
                        }
                        edits.push((f.pointer.clone(), Some(with_value(f, &wanted))));
                    }
                    None => adds.push(format!("{}={wanted}", r.flag)),
                }
                continue;
            }
            match grouped.iter_mut().find(|g| g.0 == r.flag) {
                Some(g) => g.3.push(r.item()),
                None => grouped.push((&r.flag, found, r.default.as_deref(), vec![r.item()])),
            }
        }
        for (flag, found, default, wanted) in grouped {
            let wanted = wanted.join(",");
            match found {
                Some(f) => {
                    let have = f.value.as_deref().unwrap_or("");
                    if !token(&f.pointer)?.contains(have) {
                        return None;
                    }
                    edits.push((
                        f.pointer.clone(),
                        Some(with_value(f, &format!("{have},{wanted}"))),
                    ));
                }
                None => adds.push(match default {
                    Some(d) => format!("{flag}={d},{wanted}"),
                    None => format!("{flag}={wanted}"),
                }),
            }
        }
        // Removals go from the end of each list first, so earlier indexes stay valid;
        // replacements alone shift nothing and read in command-line order.
        if edits.iter().any(|(_, new)| new.is_none()) {
            edits.sort_by_key(|(p, _)| std::cmp::Reverse(list_index(p)));
        } else {
            edits.sort_by_key(|(p, _)| token_order(p));
        }
        edits.dedup_by(|a, b| a.0 == b.0);
        let mut ops = Vec::new();
        let mut diff = String::new();
        for (p, new) in &edits {
            let old = token(p).unwrap_or_default();
            ops.push(json!({"op": "test", "path": p, "value": old}));
            match new {
                Some(n) => {
                    ops.push(json!({"op": "replace", "path": p, "value": n}));
                    diff.push_str(&format!("{}\n-  {old}\n+  {n}\n", obj.locate(p)));
                }
                None => {
                    ops.push(json!({"op": "remove", "path": p}));
                    diff.push_str(&format!("{}\n-  {old}\n", obj.locate(p)));
                }
            }
        }
        let list = c.flag_list_pointer();
        for a in &adds {
            ops.push(json!({"op": "add", "path": format!("{list}/-"), "value": a}));
            diff.push_str(&format!("{}\n+  {a}\n", obj.locate(&list)));
        }
        let what = match (hits.is_empty(), missing.is_empty()) {
            (false, false) => "drops the removed flags and has the required ones",
            (false, true) => "drops the removed flags",
            _ => "has the required flags",
        };
        let summary = format!(
            "Patch {} so its command line {what} (the patch tests the current values first).",
            obj.r
        );
        Some(json_patch(
            obj,
            &obj.kind().to_lowercase(),
            summary,
            ops,
            diff,
        ))
    }
}

/// What one container's flags break: forbidden flags present, required ones missing.
struct Evaluation<'s> {
    hits: Vec<Hit<'s>>,
    missing: Vec<(&'s Require, Option<Flag>)>,
}

fn is_placeholder(v: &str) -> bool {
    v.contains("{{") && v.contains("}}")
}

/// `unknown` at a required flag whose value is an unrendered `{{ ... }}` placeholder.
fn placeholder_unknown(obj: &Object, flag: &Flag) -> Outcome {
    // The flag's value is not quoted: `{{` can sit inside a real value, such as a
    // password passed on the command line.
    Outcome::unknown(format!(
        "{} holds an unrendered template placeholder ({{{{ ... }}}}); render the manifest to check it",
        flag.name
    ))
    .at(obj, &flag.pointer)
}

/// The token that carries `value` for `flag`: the value alone for `--f v`, else `--f=v`.
fn with_value(flag: &Flag, value: &str) -> String {
    if flag.separate_value {
        value.to_string()
    } else {
        format!("{}={value}", flag.name)
    }
}

/// Sort key of a token pointer in command-line order: `command` before `args`, then the
/// index.
fn token_order(pointer: &str) -> (bool, usize) {
    let idx = pointer
        .rsplit('/')
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(usize::MAX);
    (pointer.contains("/args/"), idx)
}

/// `kubectl patch RESOURCE NAME --type=json` with the patch as a fix file.
fn json_patch(
    obj: &Object,
    resource: &str,
    summary: String,
    ops: Vec<Value>,
    diff: String,
) -> Remediation {
    let file = fix_file(&obj.r, "patch.json");
    let ns = obj
        .namespace()
        .map(|n| format!(" -n {n}"))
        .unwrap_or_default();
    Remediation {
        summary,
        commands: vec![format!(
            "kubectl {}{ns} patch {resource} {} --type=json --patch-file {file}",
            context_flag(obj.r.scope()),
            obj.name()
        )],
        manifests: vec![Manifest {
            file_name: file,
            kind: ManifestKind::JsonPatch,
            apply_to: apply_to(obj.r.scope()),
            target: Some(obj.r.clone()),
            content: Value::Array(ops),
        }],
        steps: Vec::new(),
        diff: Some(diff),
    }
}

impl ComponentFlags {
    /// A component declared in a karmada-operator `Karmada` CR or a `KarmadaInitConfig`:
    /// its flags are `extraArgs` entries and feature gates, each reported at its field.
    fn check_declared(&self, comp: Component, i: &Installed, obj: &Object) -> Outcome {
        let name = comp.display();
        let flags = i.flags.as_deref().unwrap_or_default();
        let Evaluation { hits, missing } = match self.evaluate(flags) {
            Ok(e) => e,
            Err(placeholder) => return placeholder_unknown(obj, &placeholder),
        };
        // The installer writes flags such as certificate paths itself: a declaration that
        // does not set one says nothing about the rendered command line.
        if let Some((r, _)) = missing.iter().find(|(r, f)| r.whole_value() && f.is_none()) {
            let installer = match i.shape {
                Shape::OperatorCr => "karmada-operator",
                _ => "karmadactl init",
            };
            return Outcome::unknown(format!(
                "{name} is declared by {} and {installer} sets {} on the command line it renders; \
                 the input does not hold it, so check the installed cluster (live mode or a \
                 `collect` snapshot)",
                obj.r, r.flag
            ))
            .at(obj, &i.pointer);
        }
        if hits.is_empty() && missing.is_empty() {
            return Outcome::pass(format!("{name} in {} has the expected flags", obj.r))
                .at(obj, &i.pointer);
        }
        let mut evidence = Vec::new();
        let mut parts = Vec::new();
        for h in &hits {
            let (what, hint) = h.describe(Some(&h.flag.flag_pointer[1..]));
            evidence.push(Evidence {
                status: None,
                message: format!("{what}{hint}"),
                location: Some(obj.locate(&h.flag.flag_pointer)),
            });
            parts.push(format!("{what}{hint}"));
        }
        for (r, found) in &missing {
            let what = r.problem(found.as_ref().and_then(|f| f.value.as_deref()));
            evidence.push(Evidence {
                status: None,
                message: what.clone(),
                location: Some(obj.locate(&format!("{}/extraArgs", i.pointer))),
            });
            parts.push(what);
        }
        let at = hits
            .first()
            .map(|h| h.flag.flag_pointer.clone())
            .unwrap_or_else(|| format!("{}/extraArgs", i.pointer));
        let mut o = Outcome::violation(format!("{name} in {}: {}", obj.r, parts.join("; ")))
            .at(obj, &at)
            .with_evidence(evidence);
        if let Some(r) = Self::declared_remediation(i, obj, &hits) {
            o = o.with_remediation(r);
        }
        o
    }

    /// Removing a forbidden entry: a JSON patch of the `Karmada` CR (the operator rolls
    /// the component out), or the edit to make in the `KarmadaInitConfig` file.
    fn declared_remediation(i: &Installed, obj: &Object, hits: &[Hit<'_>]) -> Option<Remediation> {
        if hits.is_empty() {
            return None;
        }
        // The entry to remove: a map key (CR extraArgs, feature gate) or a list item
        // (init config `extraArgs: [{name, value}]`, whose flag pointer ends in /name).
        let mut entries: Vec<String> = hits
            .iter()
            .map(|h| {
                let p = &h.flag.flag_pointer;
                p.strip_suffix("/name").unwrap_or(p).to_string()
            })
            .collect();
        entries.sort_by_key(|p| std::cmp::Reverse(list_index(p)));
        entries.dedup();
        let mut ops = Vec::new();
        let mut diff = String::new();
        for p in &entries {
            if let Some(v) = obj.at(p) {
                ops.push(json!({"op": "test", "path": p, "value": v}));
            }
            ops.push(json!({"op": "remove", "path": p}));
            diff.push_str(&format!("{}\n-  {}\n", obj.locate(p), &p[1..]));
        }
        if i.shape == Shape::InitConfig {
            return Some(Remediation {
                summary: format!(
                    "Remove {} from the KarmadaInitConfig file before `karmadactl init --config` \
                     (or `karmadactl upgrade`) uses it.",
                    entries
                        .iter()
                        .map(|p| &p[1..])
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                commands: Vec::new(),
                manifests: Vec::new(),
                steps: Vec::new(),
                diff: Some(diff),
            });
        }
        let summary = format!(
            "Patch the Karmada CR {} so karmada-operator rolls the component out without the \
             removed flags (the patch tests the current values first).",
            obj.r
        );
        Some(json_patch(
            obj,
            "karmadas.operator.karmada.io",
            summary,
            ops,
            diff,
        ))
    }
}

impl Check for ComponentFlags {
    fn reads(&self) -> Vec<Read> {
        // Each component's workloads where it runs: a forbidden member cluster then
        // leaves the karmada-apiserver's flags readable.
        let mut out: Vec<Read> = Vec::new();
        for &c in &self.p.components {
            for r in components::workload_reads(c) {
                if !out.contains(&r) {
                    out.push(r);
                }
            }
        }
        if let Some(k) = self.when_kind {
            out.push(read(k, ReadScope::Karmada));
        }
        out
    }

    fn run(&self, ctx: &Ctx<'_>) -> Vec<Outcome> {
        if let Some(k) = self.when_kind {
            if ctx.inv.of_kind(k, &ScopeSel::Karmada).next().is_none() {
                return vec![Outcome::skip(format!(
                    "no {k} in the input; the flags do not matter"
                ))];
            }
        }
        let mut out = Vec::new();
        for &comp in &self.p.components {
            let (sel, _) = components::home(comp);
            let installed: Vec<&Installed> = ctx.inv.components().of(comp, &sel, ctx.inv).collect();
            if installed.is_empty() {
                let why = format!(
                    "no {} in the input (looked for its image or command in Deployments, \
                     StatefulSets, DaemonSets and Pods, and in Karmada CRs and KarmadaInitConfig files)",
                    comp.display()
                );
                out.push(if self.p.require.is_empty() {
                    Outcome::skip(why)
                } else {
                    Outcome::unknown(why)
                });
                continue;
            }
            for i in installed {
                out.push(match i.container(ctx.inv) {
                    Some(c) => self.check_container(comp, &c),
                    None => self.check_declared(comp, i, ctx.inv.object(i.object)),
                });
            }
        }
        out
    }
}
