//! Template `component-flags`: flags that Karmada components must not carry (removed or
//! deprecated in a release) or must carry, over one or several components. It
//! generalises `apiserver-flags` to "a flag, or one item of a comma-separated flag value
//! such as `--feature-gates=A=false,B=true`", because most upgrade steps are exactly that.
//!
//! A component that is not in the input makes `forbid` rules skip (nothing can carry the
//! flag) and `require` rules unknown (nothing to confirm it).

use serde::Deserialize;
use serde_json::{json, Value};

use super::support::naming::{apply_to, context_flag, fix_file};
use super::{params, read, Check, CompileError, Ctx, Outcome, Read, ReadScope};
use crate::findings::{Evidence, Manifest, ManifestKind, Remediation};
use crate::inventory::components::{Installed, Shape};
use crate::inventory::workload::{Component, ContainerRef, Flag, WORKLOAD_KINDS};
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
    /// The value the binary uses when the flag is absent (`*` for `--controllers`): a fix
    /// that adds the flag starts from it, so `--controllers=*,hpa` keeps the controllers
    /// that were on by default instead of running `hpa` alone.
    #[serde(default)]
    default: Option<String>,
}

impl Require {
    fn satisfied_by(&self, value: &str) -> bool {
        match (&self.list_contains, &self.has_key) {
            (Some(item), _) => items(value).any(|i| i == item),
            (None, Some(key)) => items(value).any(|i| item_key(i) == key),
            (None, None) => false,
        }
    }

    /// The item the fix adds.
    fn item(&self) -> &str {
        self.list_contains
            .as_deref()
            .or(self.add.as_deref())
            .unwrap_or_default()
    }

    /// "does not include hpa" / "does not set Failover".
    fn lack(&self) -> String {
        match (&self.list_contains, &self.has_key) {
            (Some(item), _) => format!("does not include {item}"),
            (None, Some(key)) => format!("does not set {key} (its default changes)"),
            (None, None) => String::new(),
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
            && match (&r.list_contains, &r.has_key, &r.add) {
                (Some(item), None, None) => !item.is_empty(),
                (None, Some(key), Some(add)) => !key.is_empty() && item_key(add) == key,
                _ => false,
            };
        if !ok {
            return Err(err(
                format!("/require/{i}"),
                "a required flag starts with -- and names either a non-empty listContains item, \
                 or a hasKey with the `add` item (KEY=value) the fix appends",
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
    fn sel(c: Component) -> ScopeSel {
        match c {
            Component::KarmadaAgent => ScopeSel::AnyMember,
            _ => ScopeSel::Host,
        }
    }

    /// The forbidden flags present and the required ones missing, whatever the install
    /// shape the flags were read from.
    #[allow(clippy::type_complexity)]
    fn evaluate<'s>(&'s self, flags: &[Flag]) -> (Vec<Hit<'s>>, Vec<(&'s Require, Option<Flag>)>) {
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
            let last = flags.iter().rev().find(|x| x.name == r.flag);
            let ok = last
                .and_then(|f| f.value.as_deref())
                .is_some_and(|v| r.satisfied_by(v));
            if !ok {
                missing.push((r, last.cloned()));
            }
        }
        (hits, missing)
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
        let (hits, missing) = self.evaluate(&flags);
        if hits.is_empty() && missing.is_empty() {
            return Outcome::pass(format!("{name} {} has the expected flags", obj.r))
                .at(obj, &c.flag_list_pointer());
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
            let what = match found.as_ref().and_then(|f| f.value.as_deref()) {
                Some(v) => format!("{}={v} {}", r.flag, r.lack()),
                None => format!("{} {}", r.flag, r.lack()),
            };
            let ptr = found
                .as_ref()
                .map(|f| f.flag_pointer.clone())
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
                    .and_then(|(_, f)| f.as_ref().map(|f| f.flag_pointer.clone()))
            })
            .unwrap_or_else(|| c.flag_list_pointer());
        let mut o = Outcome::violation(format!("{name} {}: {}", obj.r, parts.join("; ")))
            .at(obj, &at)
            .with_evidence(evidence);
        if let Some(r) = self.remediation(c, &hits, &missing) {
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
                    } else if h.flag.separate_value {
                        edits.push((h.flag.pointer.clone(), Some(rest.join(","))));
                    } else {
                        edits.push((
                            h.flag.pointer.clone(),
                            Some(format!("{}={}", h.rule.flag, rest.join(","))),
                        ));
                    }
                }
            }
        }
        // Several missing items of one flag (two controllers) go into one token: a second
        // `--controllers=` token would override the first (last wins).
        let mut grouped: Vec<Missing<'_>> = Vec::new();
        for (r, found) in missing {
            let found = found.as_ref().filter(|f| f.value.is_some());
            match grouped.iter_mut().find(|g| g.0 == r.flag) {
                Some(g) => g.3.push(r.item()),
                None => grouped.push((&r.flag, found, r.default.as_deref(), vec![r.item()])),
            }
        }
        let mut adds = Vec::new();
        for (flag, found, default, wanted) in grouped {
            let wanted = wanted.join(",");
            match found {
                Some(f) => {
                    let have = f.value.as_deref().unwrap_or("");
                    if !token(&f.pointer)?.contains(have) {
                        return None;
                    }
                    let v = format!("{have},{wanted}");
                    let new = if f.separate_value {
                        v
                    } else {
                        format!("{flag}={v}")
                    };
                    edits.push((f.pointer.clone(), Some(new)));
                }
                None => adds.push(match default {
                    Some(d) => format!("{flag}={d},{wanted}"),
                    None => format!("{flag}={wanted}"),
                }),
            }
        }
        // Removals from the end of each list first, so earlier indexes stay valid.
        edits.sort_by_key(|(p, _)| std::cmp::Reverse(list_index(p)));
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
        let summary = format!(
            "Patch {} so its command line drops the removed flags and has the required ones \
             (the patch tests the current values first).",
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
            context_flag(&obj.r.scope),
            obj.name()
        )],
        manifests: vec![Manifest {
            file_name: file,
            kind: ManifestKind::JsonPatch,
            apply_to: apply_to(&obj.r.scope),
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
        let (hits, missing) = self.evaluate(flags);
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
        for (r, _) in &missing {
            let what = format!("{} {}", r.flag, r.lack());
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
        let mut out: Vec<Read> = WORKLOAD_KINDS
            .iter()
            .flat_map(|k| [read(k, ReadScope::Host), read(k, ReadScope::Member)])
            .collect();
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
            let sel = Self::sel(comp);
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
