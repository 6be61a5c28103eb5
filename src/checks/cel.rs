//! Template `cel`: a user rule written as a CEL expression over each matching object,
//! evaluated with Kubernetes' CEL libraries (`kube-cel`: strings, lists, sets, regex,
//! quantity, semver, ip, url, format).
//!
//! The expression states the property every matched object must have, like a
//! ValidatingAdmissionPolicy validation: `true` = pass, `false` = violation (its
//! consequence comes from the rule's `phases`), an evaluation error or a non-boolean
//! result = unknown for that object (never a failed run). Expressions and message
//! placeholders are parsed once, when the rule is loaded; a parse error is a rule-load
//! error at the line of the `expression` (or `message`) field.
//!
//! Variables: `object` (the matched object) and `inventory`, a map from each kind listed
//! in `inventory:` to the list of loaded objects of that kind (`inventory.Service`,
//! `inventory["Service"]`). Kinds must be listed because the loader keeps only the kinds
//! some rule reads, and so the map is converted once per run, not once per object.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex, OnceLock};

use kube_cel::cel::common::ast::{EntryExpr, Expr, IdedEntryExpr, IdedExpr};
use kube_cel::cel::objects::{Key, Map};
use kube_cel::cel::{Context, Program, Value as CelValue};
use kube_cel::KubeCelExt;
use serde::Deserialize;
use serde_json::{json, Value};

use super::support::patch::patch_fix;
use super::support::pointer::{unescape, walk};
use super::{params, read, Check, CompileError, Ctx, Outcome, Read, ReadScope};
use crate::findings::{FixStep, ManifestKind, Remediation};
use crate::inventory::{Object, ScopeSel};

#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum MatchScope {
    Karmada,
    Host,
    Member,
    #[default]
    Any,
}

impl MatchScope {
    fn sel(self) -> ScopeSel {
        match self {
            MatchScope::Karmada => ScopeSel::Karmada,
            MatchScope::Host => ScopeSel::Host,
            MatchScope::Member => ScopeSel::AnyMember,
            MatchScope::Any => ScopeSel::All,
        }
    }

    fn reads(self) -> &'static [ReadScope] {
        match self {
            MatchScope::Karmada => &[ReadScope::Karmada],
            MatchScope::Host => &[ReadScope::Host],
            MatchScope::Member => &[ReadScope::Member],
            MatchScope::Any => &[ReadScope::Karmada, ReadScope::Host, ReadScope::Member],
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Match {
    #[serde(default)]
    api_version: Option<String>,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    namespace: Option<String>,
    #[serde(default)]
    name: Option<String>,
    /// Every label listed must be present with this value.
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    scope: MatchScope,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    #[serde(rename = "match")]
    matches: Match,
    expression: String,
    /// Plain text with `{{ <CEL expression> }}` placeholders, rendered for violations.
    #[serde(default)]
    message: Option<String>,
    /// Kinds the expression may look up through `inventory`.
    #[serde(default)]
    inventory: Vec<String>,
    /// JSON pointer inside the object that findings point at (default: the object).
    #[serde(default)]
    at: Option<String>,
    /// CEL over `object`: only objects for which it is true are checked (and reported),
    /// so a rule about one component does not pass every other Deployment.
    #[serde(default)]
    select: Option<String>,
    /// The JSON patch that fixes a failing object (see `FixPatchSpec`).
    #[serde(default)]
    fix_patch: Option<FixPatchSpec>,
}

/// What `fix_patch` does to each field it reaches.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum FixOp {
    #[default]
    Replace,
    Remove,
}

/// A JSON patch of the object that failed, computed from it. Each field `path` reaches
/// (`*` = every array item or map key) that `when` accepts is first `test`ed with its
/// current value (so the patch refuses an object changed since), then replaced by `value`
/// or removed. `when` and `value` are CEL over `object`, `field` (the field's current
/// value) and `key` (its last pointer segment). Where `value` is not given, fails, or is
/// null, the new value is not determinable from the input: the patch replaces the field
/// with its current value, a skeleton to edit (applied unedited it changes nothing).
/// The current value is written into the patch: never point `fix_patch` at key material.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FixPatchSpec {
    path: String,
    #[serde(default)]
    when: Option<String>,
    #[serde(default)]
    op: FixOp,
    #[serde(default)]
    value: Option<String>,
    /// What the patch does, for the remediation summary.
    hint: String,
}

struct FixPatch {
    segments: Vec<String>,
    when: Option<Program>,
    op: FixOp,
    value: Option<Program>,
    hint: String,
}

impl FixPatch {
    fn compile(spec: &FixPatchSpec) -> Result<FixPatch, CompileError> {
        let err = |pointer: &str, message: String| CompileError {
            pointer: format!("/fix_patch{pointer}"),
            message,
        };
        let Some(rest) = spec.path.strip_prefix('/') else {
            return Err(err(
                "/path",
                "`path` is a JSON pointer such as /spec/x/*/y".into(),
            ));
        };
        let program =
            |field: &str, src: &Option<String>| -> Result<Option<Program>, CompileError> {
                src.as_deref()
                    .map(|s| parse(s).map_err(|e| err(field, format!("CEL syntax error: {e}"))))
                    .transpose()
            };
        if spec.op == FixOp::Remove && spec.value.is_some() {
            return Err(err("/value", "a `remove` patch takes no value".into()));
        }
        Ok(FixPatch {
            segments: rest.split('/').map(String::from).collect(),
            when: program("/when", &spec.when)?,
            op: spec.op,
            value: program("/value", &spec.value)?,
            hint: spec.hint.trim().to_string(),
        })
    }

    /// The remediation for object `o` (in scope `c`, which holds `object`), or None when
    /// no field needs changing.
    fn remediation(&self, c: &Context<'_>, o: &Object) -> Option<Remediation> {
        let segs: Vec<&str> = self.segments.iter().map(String::as_str).collect();
        let mut fields = Vec::new();
        walk(o.value(), &segs, String::new(), &mut fields);
        // Removing array items shifts the later ones: remove from the end.
        if self.op == FixOp::Remove {
            fields.reverse();
        }
        let mut ops = Vec::new();
        let mut skeleton = false;
        for (pointer, current) in fields {
            let mut f = c.new_inner_scope();
            f.add_variable_from_value("field", to_cel(current));
            let key = pointer.rsplit('/').next().unwrap_or("");
            f.add_variable_from_value("key", CelValue::String(Arc::new(unescape(key))));
            if let Some(w) = &self.when {
                if !matches!(eval(w, &f), Ok(CelValue::Bool(true))) {
                    continue;
                }
            }
            ops.push(json!({"op": "test", "path": pointer, "value": current}));
            match self.op {
                FixOp::Remove => ops.push(json!({"op": "remove", "path": pointer})),
                FixOp::Replace => {
                    let new = self
                        .value
                        .as_ref()
                        .and_then(|p| eval(p, &f).ok())
                        .and_then(|v| from_cel(&v))
                        .filter(|v| !v.is_null());
                    skeleton |= new.is_none();
                    let value = new.unwrap_or_else(|| current.clone());
                    ops.push(json!({"op": "replace", "path": pointer, "value": value}));
                }
            }
        }
        if ops.is_empty() {
            return None;
        }
        let (command, manifest) = patch_fix(
            &o.r,
            ManifestKind::JsonPatch,
            "patch.json",
            Value::Array(ops),
        );
        let mut steps = Vec::new();
        if skeleton {
            steps.push(FixStep::Note(format!(
                "{} holds the current value where the new one cannot be computed from the input: \
                 edit the `value` of those `replace` operations before running",
                manifest.file_name
            )));
        }
        steps.push(FixStep::Run(command));
        Some(Remediation {
            manifests: vec![manifest],
            ..Remediation::from_steps(format!("In {}: {}", o.r, self.hint), steps)
        })
    }
}

/// CEL back to JSON, for computed patch values; None for what JSON cannot hold.
fn from_cel(v: &CelValue) -> Option<Value> {
    Some(match v {
        CelValue::Null => Value::Null,
        CelValue::Bool(b) => Value::Bool(*b),
        CelValue::Int(i) => Value::from(*i),
        CelValue::UInt(u) => Value::from(*u),
        CelValue::Float(f) => serde_json::Number::from_f64(*f).map(Value::Number)?,
        CelValue::String(s) => Value::String(s.to_string()),
        CelValue::List(items) => Value::Array(items.iter().map(from_cel).collect::<Option<_>>()?),
        CelValue::Map(m) => Value::Object(
            m.map
                .iter()
                .map(|(k, v)| match k {
                    Key::String(k) => Some((k.to_string(), from_cel(v)?)),
                    _ => None,
                })
                .collect::<Option<_>>()?,
        ),
        _ => return None,
    })
}

/// A message: literal text and compiled placeholders, in order.
enum Part {
    Text(String),
    Expr(Program),
}

struct CelCheck {
    m: Match,
    expression: Program,
    source: String,
    message: Vec<Part>,
    inventory: Vec<&'static str>,
    at: String,
    select: Option<Program>,
    fix_patch: Option<FixPatch>,
    /// The parts of `object` the rule's CEL can reach; None: all of it.
    reach: Option<Reach>,
}

/// Parse CEL, turning both parse errors and a (never expected) parser panic into text.
fn parse(src: &str) -> Result<Program, String> {
    match catch_unwind(|| Program::compile(src)) {
        Ok(Ok(p)) => Ok(p),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("the CEL parser failed on this expression".into()),
    }
}

/// `Read::kind` is `&'static str` because built-in templates name kinds as literals; a
/// user rule's kinds are interned once so loading the same rules again (tests, `test`
/// over many files) does not leak a string per load.
fn intern(kind: &str) -> &'static str {
    static KINDS: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let mut set = KINDS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    if let Some(k) = set.get(kind) {
        return k;
    }
    let k: &'static str = Box::leak(kind.to_string().into_boxed_str());
    set.insert(k);
    k
}

fn compile_message(text: &str) -> Result<Vec<Part>, String> {
    let mut parts = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let Some(len) = rest[start + 2..].find("}}") else {
            return Err("`{{` without a closing `}}`".into());
        };
        if start > 0 {
            parts.push(Part::Text(rest[..start].to_string()));
        }
        let src = rest[start + 2..start + 2 + len].trim();
        parts.push(Part::Expr(
            parse(src).map_err(|e| format!("placeholder {{{{ {src} }}}}: {e}"))?,
        ));
        rest = &rest[start + 2 + len + 2..];
    }
    if !rest.is_empty() {
        parts.push(Part::Text(rest.to_string()));
    }
    Ok(parts)
}

pub fn compile(params: &Value) -> Result<Box<dyn Check>, CompileError> {
    let p: Params = params::decode(params)?;
    let err = |pointer: &str, message: String| CompileError {
        pointer: pointer.into(),
        message,
    };
    if p.matches.kind.is_none() && p.matches.api_version.is_none() {
        return Err(err(
            "/match",
            "match needs a kind and/or an apiVersion".into(),
        ));
    }
    if p.expression.trim().is_empty() {
        return Err(err("/expression", "expression is empty".into()));
    }
    let expression =
        parse(&p.expression).map_err(|e| err("/expression", format!("CEL syntax error: {e}")))?;
    let refs_inventory = expression.references().has_variable("inventory");
    if refs_inventory && p.inventory.is_empty() {
        return Err(err(
            "/expression",
            "the expression uses `inventory` but the rule lists no kinds under `inventory:`".into(),
        ));
    }
    let message = match &p.message {
        Some(m) => compile_message(m).map_err(|e| err("/message", e))?,
        None => Vec::new(),
    };
    if let Some(at) = &p.at {
        if !at.is_empty() && !at.starts_with('/') {
            return Err(err("/at", "`at` is a JSON pointer such as /spec".into()));
        }
    }
    let select = p
        .select
        .as_deref()
        .map(|s| parse(s).map_err(|e| err("/select", format!("CEL syntax error: {e}"))))
        .transpose()?;
    let fix_patch = p.fix_patch.as_ref().map(FixPatch::compile).transpose()?;
    let mut programs: Vec<&Program> = vec![&expression];
    programs.extend(select.iter());
    programs.extend(message.iter().filter_map(|part| match part {
        Part::Expr(e) => Some(e),
        Part::Text(_) => None,
    }));
    if let Some(f) = &fix_patch {
        programs.extend(f.when.iter().chain(f.value.iter()));
    }
    let reach = Reach::of(&programs);
    Ok(Box::new(CelCheck {
        reach,
        select,
        fix_patch,
        inventory: p.inventory.iter().map(|k| intern(k)).collect(),
        source: p.expression.trim().to_string(),
        at: p.at.clone().unwrap_or_default(),
        expression,
        message,
        m: p.matches,
    }))
}

/// CEL's `matches`, with each pattern compiled once per thread instead of on every call:
/// a rule's `select: c.image.matches('…')` runs on every container of every Deployment,
/// and compiling the pattern there was a third of a 100k-object check. Same regex crate,
/// same errors; rule patterns are few, and past [`MAX_CACHED_PATTERNS`] new ones are
/// compiled per call as before. Per thread, not per process: a `Regex` cloned out of a
/// shared map starts with an empty match cache each call (2% of the v1.17 -> v1.18
/// check), and one shared by both threads was slower still.
fn matches_cached(
    ftx: &kube_cel::cel::FunctionContext,
    kube_cel::cel::extractors::This(this): kube_cel::cel::extractors::This<Arc<String>>,
    pattern: Arc<String>,
) -> Result<bool, kube_cel::cel::ExecutionError> {
    thread_local! {
        static CACHE: RefCell<HashMap<String, regex::Regex>> = RefCell::default();
    }
    CACHE.with(|cache| {
        if let Some(re) = cache.borrow().get(pattern.as_str()) {
            return Ok(re.is_match(&this));
        }
        let re = regex::Regex::new(&pattern)
            .map_err(|err| ftx.error(format!("'{pattern}' not a valid regex:\n{err}")))?;
        let matched = re.is_match(&this);
        let mut cache = cache.borrow_mut();
        if cache.len() < MAX_CACHED_PATTERNS {
            cache.insert(pattern.to_string(), re);
        }
        Ok(matched)
    })
}

const MAX_CACHED_PATTERNS: usize = 256;

/// [`to_cel`] straight from an object's tree: CEL rules match every object of a kind (all
/// Deployments, say), and going through `Object::value` would rebuild and keep each one.
fn node_to_cel(n: crate::text::Node<'_>) -> CelValue {
    if let Some(s) = n.as_str() {
        return CelValue::String(Arc::new(s.to_string()));
    }
    if let Some(items) = n.items() {
        return CelValue::List(Arc::new(items.map(node_to_cel).collect()));
    }
    if let Some(entries) = n.entries() {
        // Later duplicates win, as in the Value the tree came from (it has none).
        let map: HashMap<Key, CelValue> = entries
            .map(|(k, v)| (Key::String(Arc::new(k.to_string())), node_to_cel(v)))
            .collect();
        return CelValue::Map(Map { map: Arc::new(map) });
    }
    // Scalars: the same typing as `to_cel`.
    to_cel(&n.to_value())
}

/// The fields of `object` a rule's CEL programs can reach. CEL sees an object only
/// through what it selects, so an object need not be converted whole: a rule over every
/// Deployment that reads its containers converted each Deployment's metadata, probes,
/// volumes and status into CEL maps too (most of the v1.17 -> v1.18 path's time).
#[derive(Debug, Default, PartialEq)]
struct Reach {
    /// The value here is used as a whole (a chain ends here).
    whole: bool,
    fields: BTreeMap<String, Reach>,
}

impl Reach {
    /// None when some use of `object` is not a chain of field names (`object` itself,
    /// `object[k]`, a macro variable named `object`): then the whole object is converted.
    fn of(programs: &[&Program]) -> Option<Reach> {
        let mut r = Reach::default();
        for p in programs {
            r.collect(p.expression(), &Vec::new())?;
        }
        Some(r)
    }

    fn collect<'e>(&mut self, e: &'e IdedExpr, scope: &Scope<'e>) -> Option<()> {
        match &e.expr {
            Expr::Select(sel) => match chain(e, scope) {
                Some(path) => {
                    self.add(&path);
                    Some(())
                }
                None => self.collect(&sel.operand, scope),
            },
            Expr::Ident(_) => match chain(e, scope) {
                // `object` itself: anything may be read.
                Some(path) if path.is_empty() => None,
                Some(path) => {
                    self.add(&path);
                    Some(())
                }
                None => Some(()),
            },
            Expr::Call(call) => {
                if let Some(t) = &call.target {
                    self.collect(t, scope)?;
                }
                call.args.iter().try_for_each(|a| self.collect(a, scope))
            }
            Expr::Comprehension(c) => {
                let vars = [Some(&c.iter_var), c.iter_var2.as_ref(), Some(&c.accu_var)];
                if vars.into_iter().flatten().any(|v| v == OBJECT) {
                    return None;
                }
                // A macro over a field of the object (`containers.exists(c, ...)`): what
                // it reads of `c` is read of every item (`*`). Two-variable forms are not
                // followed: their range is converted whole.
                let range = match c.iter_var2 {
                    None => chain(&c.iter_range, scope),
                    Some(_) => None,
                };
                let each = match range {
                    Some(mut path) => {
                        path.push(EACH);
                        self.node(&path);
                        Some(path)
                    }
                    None => {
                        self.collect(&c.iter_range, scope)?;
                        None
                    }
                };
                self.collect(&c.accu_init, scope)?;
                let mut inner = scope.clone();
                inner.push((c.accu_var.as_str(), None));
                if let Some(v2) = &c.iter_var2 {
                    inner.push((v2.as_str(), None));
                }
                inner.push((c.iter_var.as_str(), each));
                [&c.loop_cond, &c.loop_step, &c.result]
                    .into_iter()
                    .try_for_each(|x| self.collect(x, &inner))
            }
            Expr::List(l) => l.elements.iter().try_for_each(|x| self.collect(x, scope)),
            Expr::Map(m) => m.entries.iter().try_for_each(|x| self.entry(x, scope)),
            Expr::Struct(st) => st.entries.iter().try_for_each(|x| self.entry(x, scope)),
            Expr::Literal(_) | Expr::Unspecified => Some(()),
        }
    }

    fn entry<'e>(&mut self, e: &'e IdedEntryExpr, scope: &Scope<'e>) -> Option<()> {
        match &e.expr {
            EntryExpr::StructField(f) => self.collect(&f.value, scope),
            EntryExpr::MapEntry(m) => {
                self.collect(&m.key, scope)?;
                self.collect(&m.value, scope)
            }
        }
    }

    /// The value at `path` is read whole.
    fn add(&mut self, path: &[&str]) {
        if let Some(at) = self.node(path) {
            at.whole = true;
            at.fields.clear();
        }
    }

    /// The node for `path`, made if new; None inside a value already read whole.
    fn node(&mut self, path: &[&str]) -> Option<&mut Reach> {
        let mut at = self;
        for field in path {
            if at.whole {
                return None;
            }
            at = at.fields.entry((*field).to_string()).or_default();
        }
        (!at.whole).then_some(at)
    }

    /// `n` as CEL, with only the fields this reaches. Where a chain selects into
    /// something that is not a mapping, that value is converted whole, so CEL answers
    /// (or fails) as it would on the whole object.
    fn to_cel(&self, n: crate::text::Node<'_>) -> CelValue {
        if self.whole {
            return node_to_cel(n);
        }
        if let Some(entries) = n.entries() {
            // A macro over a mapping sees its keys: all of them, then.
            if self.fields.contains_key(EACH) {
                return node_to_cel(n);
            }
            let map: HashMap<Key, CelValue> = entries
                .filter_map(|(k, v)| {
                    let sub = self.fields.get(k)?;
                    Some((Key::String(Arc::new(k.to_string())), sub.to_cel(v)))
                })
                .collect();
            return CelValue::Map(Map { map: Arc::new(map) });
        }
        match (n.items(), self.fields.get(EACH)) {
            // Every item, each cut to what the macro reads of it.
            (Some(items), Some(each)) if self.fields.len() == 1 => {
                CelValue::List(Arc::new(items.map(|i| each.to_cel(i)).collect()))
            }
            _ => node_to_cel(n),
        }
    }
}

/// Variables bound inside macros: the path of the object each stands for (`*` for every
/// item of a list), or None for one that is not part of the object (it hides any outer
/// variable of the same name).
type Scope<'e> = Vec<(&'e str, Option<Vec<&'e str>>)>;

/// The path of `object` that `e` is, when it is a chain of field names from `object` or
/// from a macro variable standing for part of it; `[]` is `object` itself.
fn chain<'e>(e: &'e IdedExpr, scope: &Scope<'e>) -> Option<Vec<&'e str>> {
    let mut fields = Vec::new();
    let mut at = e;
    loop {
        match &at.expr {
            Expr::Select(sel) => {
                fields.push(sel.field.as_str());
                at = &sel.operand;
            }
            Expr::Ident(name) => {
                let mut path = match scope.iter().rev().find(|(v, _)| v == name) {
                    Some((_, bound)) => bound.clone()?,
                    None if name == OBJECT => Vec::new(),
                    None => return None,
                };
                path.extend(fields.iter().rev());
                return Some(path);
            }
            _ => return None,
        }
    }
}

/// The path segment for "every item" (no CEL field can be named so).
const EACH: &str = "*";

/// The variable a rule's object is bound to.
const OBJECT: &str = "object";

/// JSON to CEL. Integers stay `int` whenever they fit, as Kubernetes' CEL does, so
/// `object.spec.replicas > 1` compares int with int.
fn to_cel(v: &Value) -> CelValue {
    match v {
        Value::Null => CelValue::Null,
        Value::Bool(b) => CelValue::Bool(*b),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => CelValue::Int(i),
            (None, Some(u)) => CelValue::UInt(u),
            _ => CelValue::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) => CelValue::String(Arc::new(s.clone())),
        Value::Array(a) => CelValue::List(Arc::new(a.iter().map(to_cel).collect())),
        Value::Object(m) => {
            let map: HashMap<Key, CelValue> = m
                .iter()
                .map(|(k, v)| (Key::String(Arc::new(k.clone())), to_cel(v)))
                .collect();
            CelValue::Map(Map { map: Arc::new(map) })
        }
    }
}

fn display(v: &CelValue) -> String {
    match v {
        CelValue::String(s) => s.to_string(),
        CelValue::Int(i) => i.to_string(),
        CelValue::UInt(u) => u.to_string(),
        CelValue::Float(f) => f.to_string(),
        CelValue::Bool(b) => b.to_string(),
        CelValue::Null => "null".into(),
        // Lists read as prose in messages ("a, b"), not as the interpreter's debug form.
        CelValue::List(items) => items.iter().map(display).collect::<Vec<_>>().join(", "),
        other => format!("{other:?}"),
    }
}

/// Run a program; a panic inside the interpreter is an evaluation error like any other.
fn eval(p: &Program, ctx: &Context<'_>) -> Result<CelValue, String> {
    match catch_unwind(AssertUnwindSafe(|| p.execute(ctx))) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("the CEL interpreter failed".into()),
    }
}

impl CelCheck {
    fn matches(&self, o: &Object) -> bool {
        let m = &self.m;
        m.kind.as_deref().is_none_or(|k| o.kind() == k)
            && m.api_version
                .as_deref()
                .is_none_or(|a| o.r.api_version() == a)
            && m.namespace
                .as_deref()
                .is_none_or(|n| o.namespace() == Some(n))
            && m.name.as_deref().is_none_or(|n| o.name() == n)
            && m.labels.iter().all(|(k, v)| {
                o.labels()
                    .and_then(|l| l.get(k))
                    .and_then(|v| v.as_str())
                    .is_some_and(|have| have == v)
            })
    }

    fn render(&self, ctx: &Context<'_>, o: &Object) -> String {
        if self.message.is_empty() {
            return format!("{} does not satisfy: {}", o.r, self.source);
        }
        self.message
            .iter()
            .map(|p| match p {
                Part::Text(t) => t.clone(),
                Part::Expr(e) => match eval(e, ctx) {
                    Ok(v) => display(&v),
                    Err(e) => format!("<{e}>"),
                },
            })
            .collect()
    }
}

impl Check for CelCheck {
    fn reads(&self) -> Vec<Read> {
        // No kind: every kind of the apiVersion matched (the loader keeps those).
        let kind = self.m.kind.as_deref().map(intern).unwrap_or("*");
        let api_version = match self.m.kind {
            None => self.m.api_version.as_deref().map(intern),
            Some(_) => None,
        };
        let mut out: Vec<Read> = self
            .m
            .scope
            .reads()
            .iter()
            .map(|s| Read {
                api_version,
                ..read(kind, *s)
            })
            .collect();
        for k in &self.inventory {
            for s in MatchScope::Any.reads() {
                out.push(read(k, *s));
            }
        }
        out
    }

    fn run(&self, ctx: &Ctx<'_>) -> Vec<Outcome> {
        let sel = self.m.scope.sel();
        let subjects: Vec<&Object> = match &self.m.kind {
            Some(k) => ctx
                .inv
                .of_kind(k, &sel)
                .filter(|o| self.matches(o))
                .collect(),
            None => ctx
                .inv
                .all()
                .filter(|o| sel.matches(o.r.scope()) && self.matches(o))
                .collect(),
        };
        if subjects.is_empty() {
            return Vec::new();
        }
        // The inventory variable is built once and shared (its values are reference
        // counted); each chunk of objects gets its own root context with the standard and
        // Kubernetes functions, and each object a child scope of it.
        let inventory = (!self.inventory.is_empty()).then(|| {
            let all = ScopeSel::All;
            let map: HashMap<Key, CelValue> = self
                .inventory
                .iter()
                .map(|k| {
                    let list: Vec<CelValue> = ctx
                        .inv
                        .of_kind(k, &all)
                        .map(|o| node_to_cel(o.root()))
                        .collect();
                    (
                        Key::String(Arc::new(k.to_string())),
                        CelValue::List(Arc::new(list)),
                    )
                })
                .collect();
            CelValue::Map(Map { map: Arc::new(map) })
        });
        let root = || {
            let mut root = Context::default();
            root.register_all();
            root.add_function("matches", matches_cached);
            if let Some(inv) = &inventory {
                root.add_variable_from_value("inventory", inv.clone());
            }
            root
        };
        // A rule over a whole fleet is most of a check's rule time: its objects are
        // evaluated on all cores, in chunks, and the outcomes kept in object order.
        let chunk = subjects
            .len()
            .div_ceil(4 * crate::par::cores())
            .max(MIN_CHUNK);
        let chunks: Vec<&[&Object]> = subjects.chunks(chunk).collect();
        crate::par::map_ordered(&chunks, |objects| {
            let root = root();
            objects
                .iter()
                .filter_map(|o| self.evaluate(&root, o))
                .collect::<Vec<_>>()
        })
        .into_iter()
        .flatten()
        .collect()
    }
}

/// Fewest objects worth a context of their own (setting one up registers every function).
const MIN_CHUNK: usize = 256;

impl CelCheck {
    /// The outcome for one object, None when `select` leaves it out.
    fn evaluate(&self, root: &Context, o: &Object) -> Option<Outcome> {
        let mut c = root.new_inner_scope();
        let object = match &self.reach {
            Some(r) => r.to_cel(o.root()),
            None => node_to_cel(o.root()),
        };
        c.add_variable_from_value(OBJECT, object);
        if let Some(select) = &self.select {
            // Not selected, or cannot tell: not this rule's object. An error in
            // `select` on an object it should reach shows as no finding for it,
            // so rule examples (which expect its findings) catch it.
            if !matches!(eval(select, &c), Ok(CelValue::Bool(true))) {
                return None;
            }
        }
        let outcome = match eval(&self.expression, &c) {
            Ok(CelValue::Bool(true)) => {
                Outcome::pass(format!("{} satisfies: {}", o.r, self.source))
            }
            Ok(CelValue::Bool(false)) => {
                let v = Outcome::violation(self.render(&c, o));
                match self.fix_patch.as_ref().and_then(|f| f.remediation(&c, o)) {
                    Some(r) => v.with_remediation(r),
                    None => v,
                }
            }
            Ok(other) => Outcome::unknown(format!(
                "the expression returned {} for {}, expected true or false",
                display(&other),
                o.r
            )),
            Err(e) => Outcome::unknown(format!("CEL evaluation error on {}: {e}", o.r)),
        };
        Some(outcome.at(o, &self.at))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn matches_answers_as_cels_own_with_each_pattern_compiled_once() {
        let mut c = Context::default();
        c.register_all();
        c.add_function("matches", matches_cached);
        let run = |src: &str| Program::compile(src).unwrap().execute(&c);
        for _ in 0..2 {
            // The second round is served from the cache and must answer the same.
            assert_eq!(
                run("'reg.io/karmada-operator:v1.17.2'.matches('karmada-operator:v1\\\\.17\\\\.[0-2]$')")
                    .unwrap(),
                CelValue::Bool(true)
            );
            assert_eq!(run("'abc'.matches('^b')").unwrap(), CelValue::Bool(false));
        }
        let err = run("'abc'.matches('[')").unwrap_err().to_string();
        assert!(err.contains("not a valid regex"), "{err}");
    }

    #[test]
    fn compile_errors_point_at_the_field() {
        let e = compile(&json!({"match": {"kind": "Pod"}, "expression": "object.("}))
            .err()
            .unwrap();
        assert_eq!(e.pointer, "/expression");
        assert!(e.message.contains("CEL"), "{}", e.message);
        let e =
            compile(&json!({"match": {"kind": "Pod"}, "expression": "true", "message": "{{ ( }}"}))
                .err()
                .unwrap();
        assert_eq!(e.pointer, "/message");
        let e = compile(
            &json!({"match": {"kind": "Pod"}, "expression": "size(inventory.Service) > 0"}),
        )
        .err()
        .unwrap();
        assert!(e.message.contains("inventory"));
    }

    fn policy(value: Value) -> Object {
        use crate::inventory::{ObjectRef, Origin, Scope};
        Object::new(
            ObjectRef::new(
                Scope::Pool,
                "policy.karmada.io/v1alpha1",
                "PropagationPolicy",
                Some("default"),
                "p",
            ),
            &value,
            Origin::Live {
                cluster: "t".into(),
            },
        )
    }

    fn reach(src: &str) -> Option<Reach> {
        Reach::of(&[&Program::compile(src).unwrap()])
    }

    fn fields(r: &Reach) -> Vec<String> {
        let mut out = Vec::new();
        for (k, sub) in &r.fields {
            if sub.whole {
                out.push(k.clone());
            }
            out.extend(fields(sub).into_iter().map(|f| format!("{k}.{f}")));
        }
        out
    }

    #[test]
    fn reach_follows_field_chains_and_gives_up_on_object_itself() {
        let r = reach("object.spec.template.spec.containers.exists(c, c.image == 'x')").unwrap();
        assert_eq!(fields(&r), ["spec.template.spec.containers.*.image"]);
        let r = reach("object.spec.c.exists(c, c.env.exists(e, e.name == 'A') || c == 1)").unwrap();
        assert_eq!(fields(&r), ["spec.c.*"]);
        let r = reach("object.spec.c.exists(c, c.env.exists(e, e.name == 'A'))").unwrap();
        assert_eq!(fields(&r), ["spec.c.*.env.*.name"]);
        // An inner variable of the same name is not the outer one.
        let r = reach("object.a.exists(c, [1].exists(c, c > 0)) && object.b.x > 0").unwrap();
        assert_eq!(fields(&r), ["b.x"]);
        let r = reach("object.metadata.labels.exists(k, k == 'a')").unwrap();
        assert_eq!(fields(&r), ["metadata.labels.*"]);
        let r = reach("has(object.metadata.labels) && object.metadata.name == 'a'").unwrap();
        assert_eq!(fields(&r), ["metadata.labels", "metadata.name"]);
        // A chain that ends higher up takes the whole subtree.
        let r = reach("object.spec.replicas > 1 || size(object.spec) > 0").unwrap();
        assert_eq!(fields(&r), ["spec"]);
        assert_eq!(
            reach("inventory.Deployment.size() > 0"),
            Some(Reach::default())
        );
        for whole in [
            "object == {}",
            "object['spec'] != null",
            "size(object) > 0",
            "[1].exists(object, object > 0)",
            "object.spec.x.exists(c, c == object)",
        ] {
            assert_eq!(reach(whole), None, "{whole}");
        }
    }

    #[test]
    fn an_object_cut_to_its_reach_answers_as_the_whole_one() {
        let o = policy(json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "d", "labels": {"app": "d"}},
            "spec": {
                "replicas": 2,
                "template": {"spec": {"containers": [
                    {"name": "a", "image": "r/karmada-operator:v1.17.2", "args": ["--x=1"]},
                    {"name": "b"}
                ]}}
            },
            "status": {"replicas": 2}
        }));
        for src in [
            "object.spec.template.spec.containers.exists(c, has(c.image) && c.image.matches('karmada-operator:v1[.]17'))",
            "object.spec.template.spec.containers[1].image == 'x'",
            "has(object.spec.template.spec.nodeSelector)",
            "has(object.status.missing)",
            "object.metadata.name.missing == 'x'",
            "object.spec.replicas + object.status.replicas",
            "object.nothing.deeper == 1",
            "size(object.metadata.labels)",
            "object.metadata.labels.app",
            "object.spec.template.spec.containers.map(c, c.name)",
            "object.metadata.labels.exists(k, k == 'app')",
            "object.metadata.labels.exists(k, true)",
            "object.metadata.exists(k, object.metadata[k] == 'd')",
            "object.spec.template.spec.containers.exists(c, true)",
            "object.spec.template.spec.containers.exists(c, size(c) > 1)",
            "object.spec.template.spec.containers.exists(c, c.args.exists(a, a == '--x=1'))",
            "object.spec.template.spec.containers.filter(c, has(c.image)).size()",
            "object.spec.template.spec.containers.map(c, c).size()",
            "object.spec.template.spec.containers.map(c, c.name)[1]",
            "object.spec.replicas.exists(c, true)",
            "object.spec.template.spec.containers.exists(c, c.image.startsWith('r/'))",
        ] {
            let p = Program::compile(src).unwrap();
            let Some(r) = Reach::of(&[&p]) else {
                continue;
            };
            let run = |object: CelValue| {
                let mut c = Context::default();
                c.register_all();
                c.add_variable_from_value(OBJECT, object);
                format!("{:?}", p.execute(&c))
            };
            assert_eq!(run(r.to_cel(o.root())), run(node_to_cel(o.root())), "{src}");
        }
    }

    fn patch_of(spec: Value, object: Value) -> (Value, Vec<String>) {
        let spec: FixPatchSpec = serde_json::from_value(spec).unwrap();
        let fix = FixPatch::compile(&spec).unwrap();
        let mut root = Context::default();
        root.register_all();
        root.add_variable_from_value("object", to_cel(&object));
        let r = fix.remediation(&root, &policy(object)).unwrap();
        (r.manifests[0].content.clone(), r.commands)
    }

    #[test]
    fn removals_run_from_the_last_item_so_indices_stay_right() {
        let (ops, commands) = patch_of(
            json!({"path": "/spec/t/*/operator", "op": "remove", "when": "field in ['Lt', 'Gt']",
                   "hint": "drop them"}),
            json!({"spec": {"t": [{"operator": "Lt"}, {"operator": "Exists"}, {"operator": "Gt"}]}}),
        );
        assert_eq!(
            ops,
            json!([
                {"op": "test", "path": "/spec/t/2/operator", "value": "Gt"},
                {"op": "remove", "path": "/spec/t/2/operator"},
                {"op": "test", "path": "/spec/t/0/operator", "value": "Lt"},
                {"op": "remove", "path": "/spec/t/0/operator"}
            ])
        );
        assert_eq!(
            commands.len(),
            1,
            "a computed patch needs no editing: {commands:?}"
        );
    }

    #[test]
    fn map_keys_are_escaped_and_an_uncomputable_value_is_a_skeleton() {
        let (ops, commands) = patch_of(
            json!({"path": "/metadata/labels/*", "when": "key.startsWith('a.io/')",
                   "value": "field == 'x' ? 'y' : null", "hint": "relabel"}),
            json!({"metadata": {"labels": {"a.io/k": "x", "a.io/m": "z", "b": "x"}}}),
        );
        assert_eq!(
            ops,
            json!([
                {"op": "test", "path": "/metadata/labels/a.io~1k", "value": "x"},
                {"op": "replace", "path": "/metadata/labels/a.io~1k", "value": "y"},
                {"op": "test", "path": "/metadata/labels/a.io~1m", "value": "z"},
                {"op": "replace", "path": "/metadata/labels/a.io~1m", "value": "z"}
            ])
        );
        assert!(commands[0].contains("edit the `value`"), "{commands:?}");
    }

    #[test]
    fn select_and_fix_patch_compile_or_name_the_bad_field() {
        let check = compile(&json!({
            "match": {"kind": "PropagationPolicy"},
            "select": "object.metadata.name == 'mine'",
            "expression": "false",
            "fix_patch": {"path": "/x", "value": "1", "hint": "h"}
        }));
        assert!(check.is_ok());
        let e = compile(&json!({
            "match": {"kind": "PropagationPolicy"},
            "expression": "true",
            "fix_patch": {"path": "x", "hint": "h"}
        }))
        .err()
        .unwrap();
        assert_eq!(e.pointer, "/fix_patch/path");
    }

    #[test]
    fn numbers_are_ints() {
        let v = to_cel(&json!({"a": 3, "b": 1.5}));
        let mut root = Context::default();
        root.add_variable_from_value("o", v);
        let p = Program::compile("o.a > 2 && o.b < 2.0").unwrap();
        assert_eq!(p.execute(&root).unwrap(), CelValue::Bool(true));
    }
}
