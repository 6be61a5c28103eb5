//! The inventory: every loaded object, looked up by kind, scope, namespace and name.

use serde::Serialize;
use std::collections::{BTreeSet, HashMap};

use super::components::ComponentIndex;
use super::object::{Location, Object, Scope};
use super::workload::{component_containers, ComponentContainer};
use crate::text::Name;

/// Which scopes a rule searches. Offline input without scope hints sits in the shared
/// pool, which stands in for any scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScopeSel {
    Karmada,
    Host,
    Member(String),
    /// Every member scope (and the pool).
    AnyMember,
    /// Everything loaded.
    All,
}

impl ScopeSel {
    pub fn matches(&self, scope: &Scope) -> bool {
        match (self, scope) {
            (ScopeSel::All, _) | (_, Scope::Pool) => true,
            (ScopeSel::Karmada, Scope::Karmada) | (ScopeSel::Host, Scope::Host) => true,
            (ScopeSel::Member(want), Scope::Member(have)) => have == want,
            (ScopeSel::AnyMember, Scope::Member(_)) => true,
            _ => false,
        }
    }
}

/// A problem with the input itself (bad YAML, a file that cannot be read, a document
/// that is not a Kubernetes object). Reported as findings of the `input-valid` rule.
#[derive(Debug, Clone, Serialize)]
pub struct InputProblem {
    pub location: Location,
    pub message: String,
    /// Warnings leave the document usable (duplicate keys); errors mean something was skipped.
    pub warning: bool,
}

/// What was read from one input.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct InputSummary {
    pub source: String,
    pub scope: Scope,
    pub documents: usize,
    pub objects: usize,
    pub bytes: u64,
    /// How a live cluster was read (absent for files).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub live: Option<LiveRead>,
}

/// One live cluster's read, for the report rather than the log: what it cost, what
/// failed, and which kinds its discovery does not serve (read as zero objects).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LiveRead {
    /// Kubeconfig context (or proxy path) the reads went to.
    pub cluster: String,
    /// `gitVersion` from its `/version`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kubernetes_version: Option<String>,
    /// Requests sent for this cluster (retries not counted).
    pub requests: usize,
    pub millis: u64,
    /// Reads that failed (each also a gap).
    pub gaps: usize,
    /// Kinds the cluster's discovery does not list: no such objects can exist there.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_served: Vec<String>,
}

#[derive(Debug, Default)]
pub struct Inventory {
    objects: Vec<Object>,
    by_kind: HashMap<Name, Vec<usize>>,
    pub problems: Vec<InputProblem>,
    pub inputs: Vec<InputSummary>,
    /// (scope, kind) pairs a live collector listed completely: an empty result there
    /// means "none exist", not "not looked at".
    listed: BTreeSet<(Scope, String)>,
    /// (scope, kind) pairs whose API server does not serve the kind at all (discovery
    /// lists no such resource): also in `listed`, with zero objects. Absence is evidence.
    not_served: BTreeSet<(Scope, String)>,
    /// Objects read but not kept because no active rule reads their kind.
    pub skipped_objects: usize,
    /// Reads that could not be made (forbidden, cluster unreachable, ...): the rules that
    /// needed them become unknown instead of judging incomplete data.
    pub gaps: Vec<Gap>,
    /// The component model, built on first use from the objects (see `components`).
    components: std::sync::OnceLock<ComponentIndex>,
    /// Workload containers that belong to Karmada components, built on first use.
    component_containers: std::sync::OnceLock<Vec<ComponentContainer>>,
    /// What etcd held (key names only), when it was asked for (`--etcd-*`, a bundle's
    /// `etcd-keys.json`); `None`: etcd was not read, and the etcd rules say so.
    pub etcd: Option<crate::inventory::etcd::EtcdFacts>,
}

/// Why a read is missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum GapCause {
    /// 401/403: the credentials may not read it.
    Forbidden,
    /// The cluster could not be reached at all (connection refused, TLS, timeout).
    Unreachable,
    /// The API server does not serve the kind (not in discovery, 404).
    NotServed,
    /// The server answered with an error after retries (5xx): it is up but cannot serve.
    Failed,
    /// The read was cut short after retries (torn responses, endless 429, a list whose
    /// continue token kept expiring): transient, says nothing about what is served.
    Interrupted,
}

/// A (scope, kind) the collector could not read completely.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Gap {
    #[serde(with = "scope_str")]
    pub scope: Scope,
    pub kind: String,
    /// `list`, `get`, or `discover`.
    pub verb: String,
    /// `secrets`, `deployments.apps`: the resource as the API server names it (empty
    /// when discovery never got that far).
    pub resource: String,
    /// None: cluster-wide.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// The cluster (kubeconfig context) the read was sent to.
    pub cluster: String,
    pub cause: GapCause,
    /// The error as reported, e.g. `cannot list secrets in karmada-system: forbidden`.
    pub reason: String,
}

mod scope_str {
    use super::Scope;
    pub fn serialize<S: serde::Serializer>(s: &Scope, ser: S) -> Result<S::Ok, S::Error> {
        ser.collect_str(s)
    }
    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Scope, D::Error> {
        let s: String = serde::Deserialize::deserialize(d)?;
        Scope::parse(&s).ok_or_else(|| serde::de::Error::custom(format!("unknown scope {s:?}")))
    }
}

impl Inventory {
    pub fn new() -> Self {
        Self::default()
    }

    /// Room for `n` more objects, so a large load does not grow the list through every
    /// size on the way (each step copied it and left the old one free).
    pub fn reserve(&mut self, n: usize) {
        self.objects.reserve_exact(n);
    }

    pub fn push(&mut self, obj: Object) {
        // Objects changed: the component model is rebuilt on next use.
        self.forget_derived();
        let idx = self.objects.len();
        self.by_kind
            .entry(obj.r.kind().clone())
            .or_default()
            .push(idx);
        self.objects.push(obj);
    }

    pub fn mark_listed(&mut self, scope: Scope, kind: &str) {
        self.listed.insert((scope, kind.to_string()));
    }

    /// The API server of `scope` does not serve `kind`: there are none of it there. Also
    /// marks the kind listed, so rules read the absence as "none exist".
    pub fn mark_not_served(&mut self, scope: Scope, kind: &str) {
        self.listed.insert((scope.clone(), kind.to_string()));
        self.not_served.insert((scope, kind.to_string()));
    }

    /// Whether the API server of `scope` was seen not to serve `kind`.
    pub fn is_not_served(&self, kind: &str, scope: &Scope) -> bool {
        self.not_served.iter().any(|(s, k)| k == kind && s == scope)
    }

    /// Every (scope, kind) seen not served, in order.
    pub fn not_served(&self) -> impl Iterator<Item = &(Scope, String)> {
        self.not_served.iter()
    }

    /// Whether a collector listed `kind` completely in `scope` (not just "holds some").
    pub fn was_listed(&self, kind: &str, sel: &ScopeSel) -> bool {
        self.listed
            .iter()
            .any(|(s, k)| k == kind && sel.matches(s) && *s != Scope::Pool)
    }

    /// Every (scope, kind) marked as listed, in order.
    pub fn listed(&self) -> impl Iterator<Item = &(Scope, String)> {
        self.listed.iter()
    }

    /// Change objects of `kind` in place (collectors adding facts, e.g. a member's
    /// version); identity fields must not change, the index is by kind only.
    pub fn patch_objects(&mut self, kind: &str, mut f: impl FnMut(&mut Object)) {
        self.forget_derived();
        let idx = self.by_kind.get(kind).cloned().unwrap_or_default();
        for i in idx {
            f(&mut self.objects[i]);
        }
    }

    pub fn len(&self) -> usize {
        self.objects.len()
    }

    /// The object at `index` (indexes come from the component model).
    pub fn object(&self, index: usize) -> &Object {
        &self.objects[index]
    }

    /// Every Karmada component of every install shape (workloads, operator CR, init
    /// config), computed once and shared by the checks.
    pub fn components(&self) -> &ComponentIndex {
        self.components.get_or_init(|| {
            ComponentIndex::build(self.objects.iter().enumerate(), self.component_containers())
        })
    }

    /// Workload containers that belong to Karmada components, computed once and shared.
    pub fn component_containers(&self) -> &[ComponentContainer] {
        self.component_containers
            .get_or_init(|| component_containers(self))
    }

    /// Facts derived from the objects are stale once objects change.
    fn forget_derived(&mut self) {
        self.components.take();
        self.component_containers.take();
    }

    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }

    pub fn all(&self) -> impl Iterator<Item = &Object> {
        self.objects.iter()
    }

    /// Objects of `kind` in the selected scopes with their inventory index, in load order.
    pub fn indexed_of_kind<'a>(
        &'a self,
        kind: &str,
        sel: &'a ScopeSel,
    ) -> impl Iterator<Item = (usize, &'a Object)> + 'a {
        self.by_kind
            .get(kind)
            .map(|v| v.as_slice())
            .unwrap_or(&[])
            .iter()
            .map(|&i| (i, &self.objects[i]))
            .filter(move |(_, o)| sel.matches(o.r.scope()))
    }

    /// Objects of `kind` in the selected scopes, in load order.
    pub fn of_kind<'a>(
        &'a self,
        kind: &str,
        sel: &'a ScopeSel,
    ) -> impl Iterator<Item = &'a Object> + 'a {
        self.indexed_of_kind(kind, sel).map(|(_, o)| o)
    }

    pub fn get<'a>(
        &'a self,
        kind: &str,
        sel: &'a ScopeSel,
        namespace: Option<&str>,
        name: &str,
    ) -> Option<&'a Object> {
        self.of_kind(kind, sel)
            .find(|o| o.name() == name && (namespace.is_none() || o.namespace() == namespace))
    }

    /// Whether the input can answer "are there any objects of `kind`?": it holds some,
    /// or a live collector listed them completely.
    pub fn saw_kind(&self, kind: &str, sel: &ScopeSel) -> bool {
        self.of_kind(kind, sel).next().is_some()
            || self.listed.iter().any(|(s, k)| k == kind && sel.matches(s))
    }

    /// The distinct scopes objects were loaded into.
    pub fn scopes(&self) -> BTreeSet<Scope> {
        self.objects.iter().map(|o| o.r.scope().clone()).collect()
    }
}
