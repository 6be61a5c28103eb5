//! One Kubernetes object as the rules see it: what it is, where it lives, where it came from.

use once_cell::race::OnceBox;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fmt;
use std::sync::Arc;

use crate::text::{lookup, Name, Node, NodePositions, Pos, Tree};

/// Which API server an object belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// Served by karmada-apiserver: CRDs, APIServices, Cluster objects, policies.
    Karmada,
    /// The cluster running karmada-system: Deployments, Services, Secrets.
    Host,
    /// A member cluster: the agent, its RBAC, EndpointSlices. Shared: every object and
    /// finding of the member names it.
    Member(Name),
    /// Offline input with no scope hint: rules search it as a whole, standing in for
    /// whichever scope they need.
    Pool,
}

impl Scope {
    pub fn parse(s: &str) -> Option<Scope> {
        match s {
            "karmada" => Some(Scope::Karmada),
            "host" => Some(Scope::Host),
            "pool" => Some(Scope::Pool),
            _ => s
                .strip_prefix("member/")
                .filter(|n| !n.is_empty())
                .map(|n| Scope::Member(Name::shared(n))),
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::Karmada => f.write_str("karmada"),
            Scope::Host => f.write_str("host"),
            Scope::Member(n) => write!(f, "member/{n}"),
            Scope::Pool => f.write_str("pool"),
        }
    }
}

impl Serialize for Scope {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Scope {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Scope, D::Error> {
        let s = String::deserialize(d)?;
        Scope::parse(&s).ok_or_else(|| serde::de::Error::custom(format!("unknown scope {s:?}")))
    }
}

/// Identity of an object, stable across runs and sources.
///
/// Scope, apiVersion, kind and namespace are one shared [`Group`]: every object of a kind
/// in a namespace has the same four, and each object and each finding about it carries
/// its identity (1M objects and 400k findings of a fleet), where they were 72 bytes of
/// the 88 each. Compares and sorts as the five fields in that order.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectRef {
    group: Arc<Group>,
    pub name: Name,
}

/// What the objects of one kind in one namespace of one scope have in common.
#[derive(Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Group {
    scope: Scope,
    api_version: Name,
    kind: Name,
    namespace: Option<Name>,
}

impl ObjectRef {
    pub fn new(
        scope: Scope,
        api_version: &str,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
    ) -> Self {
        ObjectRef {
            group: Group::shared(scope, api_version, kind, namespace),
            name: name.into(),
        }
    }

    pub fn scope(&self) -> &Scope {
        &self.group.scope
    }
    pub fn api_version(&self) -> &Name {
        &self.group.api_version
    }
    pub fn kind(&self) -> &Name {
        &self.group.kind
    }
    pub fn namespace(&self) -> Option<&str> {
        self.group.namespace.as_deref()
    }

    /// Run `fix` on the name, apiVersion, kind and namespace (reports make text from a
    /// server or a file safe to print this way). The shared group is copied only when
    /// `fix` changes one of its texts.
    pub fn edit_texts(&mut self, fix: impl Fn(&mut Name)) {
        fix(&mut self.name);
        let g = &*self.group;
        let (mut api_version, mut kind, mut namespace) =
            (g.api_version.clone(), g.kind.clone(), g.namespace.clone());
        fix(&mut api_version);
        fix(&mut kind);
        namespace.iter_mut().for_each(&fix);
        if api_version != g.api_version || kind != g.kind || namespace != g.namespace {
            self.group = Arc::new(Group {
                scope: g.scope.clone(),
                api_version,
                kind,
                namespace,
            });
        }
    }
}

impl Group {
    /// The group shared with every other object of it read on this thread (as
    /// [`Name::shared`]); at most [`GROUPS_MAX`] per thread, past that a group of its own.
    fn shared(scope: Scope, api_version: &str, kind: &str, namespace: Option<&str>) -> Arc<Group> {
        use crate::text::keys::{Fx, FxHasher};
        use std::cell::RefCell;
        use std::collections::HashMap;
        use std::hash::Hasher;
        thread_local! {
            static GROUPS: RefCell<HashMap<u64, Arc<Group>, Fx>> = RefCell::default();
        }
        let make = |scope: Scope| {
            Arc::new(Group {
                scope,
                api_version: Name::shared(api_version),
                kind: Name::shared(kind),
                namespace: namespace.map(Name::shared),
            })
        };
        let member = match &scope {
            Scope::Member(m) => m.len(),
            _ => 0,
        };
        let len = api_version.len() + kind.len() + namespace.map_or(0, str::len) + member;
        // Texts come from files and servers: a long one is not kept, as in Name::shared.
        if len > GROUP_TEXT_MAX_BYTES {
            return make(scope);
        }
        // Hashed, not formatted into a key: this runs once per object read. Two groups
        // with the same hash are told apart by comparing their texts below.
        let mut h = FxHasher::default();
        h.write(api_version.as_bytes());
        h.write_u8(0xff);
        h.write(kind.as_bytes());
        h.write_u8(0xff);
        if let Some(ns) = namespace {
            h.write(ns.as_bytes());
        }
        match &scope {
            Scope::Karmada => h.write_u8(0),
            Scope::Host => h.write_u8(1),
            Scope::Pool => h.write_u8(2),
            Scope::Member(m) => {
                h.write_u8(3);
                h.write(m.as_bytes());
            }
        }
        let key = h.finish();
        let is_it = |g: &Group| {
            g.api_version == api_version
                && g.kind == kind
                && g.namespace.as_deref() == namespace
                && g.scope == scope
        };
        GROUPS.with(|groups| match groups.try_borrow_mut() {
            Ok(mut groups) => find_or_make(&mut groups, key, is_it, || make(scope.clone())),
            Err(_) => make(scope.clone()),
        })
    }
}

/// The group at `key` in `groups` when it is the one asked for (`is_it`), else a new
/// one from `make`, kept at `key` when the place is free and the table has room.
fn find_or_make(
    groups: &mut std::collections::HashMap<u64, Arc<Group>, crate::text::keys::Fx>,
    key: u64,
    is_it: impl FnOnce(&Group) -> bool,
    make: impl FnOnce() -> Arc<Group>,
) -> Arc<Group> {
    match groups.get(&key) {
        Some(g) if is_it(g) => g.clone(),
        // Another group with this hash keeps the place.
        Some(_) => make(),
        None => {
            let g = make();
            if groups.len() < GROUPS_MAX {
                groups.insert(key, g.clone());
            }
            g
        }
    }
}

/// Most groups [`Group::shared`] keeps per thread.
const GROUPS_MAX: usize = 4096;
/// Longest apiVersion, kind, namespace and member name together of a group
/// [`Group::shared`] keeps (real ones are short).
const GROUP_TEXT_MAX_BYTES: usize = 512;

/// The five fields, in the order reports write them.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RefFields<S, N> {
    scope: S,
    api_version: N,
    kind: N,
    #[serde(default = "none", skip_serializing_if = "Option::is_none")]
    namespace: Option<N>,
    name: N,
}

fn none<N>() -> Option<N> {
    None
}

impl Serialize for ObjectRef {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        RefFields {
            scope: &self.group.scope,
            api_version: self.group.api_version.as_str(),
            kind: self.group.kind.as_str(),
            namespace: self.group.namespace.as_deref(),
            name: self.name.as_str(),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for ObjectRef {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<ObjectRef, D::Error> {
        let f = RefFields::<Scope, String>::deserialize(d)?;
        Ok(ObjectRef::new(
            f.scope,
            &f.api_version,
            &f.kind,
            f.namespace.as_deref(),
            &f.name,
        ))
    }
}

impl fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/", self.scope())?;
        if let Some(ns) = self.namespace() {
            write!(f, "{ns}/")?;
        }
        write!(f, "{}/{}", self.kind(), self.name)
    }
}

/// Where an object was read from.
#[derive(Debug, Clone)]
pub enum Origin {
    File {
        /// The file as reports name it, shared by its objects and their findings.
        file: Name,
        /// Positions of the object's fields, one per node of its tree.
        positions: NodePositions,
        start: Pos,
    },
    Live {
        /// Shared by every object read from the cluster and every finding about them.
        cluster: Name,
    },
}

/// Where a finding points: a file position, or a live object, plus the JSON pointer of
/// the field inside the object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<Name>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster: Option<Name>,
    /// Shared: a fleet rule points at the same field of every Cluster (400k findings
    /// for 1M objects).
    pub pointer: Name,
}

impl Location {
    pub fn file(path: &str, pos: Pos, pointer: &str) -> Location {
        Location::in_file(Name::from(path), pos, pointer)
    }

    /// [`Location::file`] for a file name already shared.
    pub fn in_file(file: Name, pos: Pos, pointer: &str) -> Location {
        Location {
            file: Some(file),
            line: Some(pos.line),
            column: Some(pos.column),
            cluster: None,
            pointer: Name::shared(pointer),
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.file, self.line) {
            (Some(file), Some(line)) => write!(f, "{file}:{line}")?,
            (Some(file), None) => write!(f, "{file}")?,
            _ => {
                if let Some(c) = &self.cluster {
                    write!(f, "{c}")?;
                }
            }
        }
        if !self.pointer.is_empty() && self.file.is_none() {
            write!(f, "#{}", self.pointer)?;
        }
        Ok(())
    }
}

/// An object in the inventory.
///
/// Held as a compact [`Tree`]: rules read kept objects until the report is written, and
/// most of them only through [`Object::node`], [`Object::str_at`] and the inventory's
/// indexes. [`Object::value`] builds the `serde_json::Value` once, on first use, for the
/// readers that need one (CEL, fix patches, checks of the handful of install objects).
#[derive(Debug, Clone)]
pub struct Object {
    pub r: ObjectRef,
    tree: Tree,
    /// Boxed: most objects never build it, and an empty cell then costs 8 bytes, not 88.
    /// Two threads asking at once may both build it; one copy is kept.
    value: OnceBox<Value>,
    pub origin: Origin,
}

impl Object {
    pub fn new(r: ObjectRef, value: &Value, origin: Origin) -> Object {
        Object {
            r,
            tree: Tree::from_value(value),
            value: OnceBox::new(),
            origin,
        }
    }

    pub fn kind(&self) -> &str {
        self.r.kind()
    }
    pub fn name(&self) -> &str {
        &self.r.name
    }
    pub fn namespace(&self) -> Option<&str> {
        self.r.namespace()
    }

    /// An object read from a file: `positions` are where the reader found each node of
    /// `tree`.
    pub fn from_file(
        r: ObjectRef,
        tree: Tree,
        positions: NodePositions,
        file: Name,
        start: Pos,
    ) -> Object {
        Object {
            r,
            tree,
            value: OnceBox::new(),
            origin: Origin::File {
                file,
                positions,
                start,
            },
        }
    }

    /// The whole object as a `Value`, built on first use and kept.
    pub fn value(&self) -> &Value {
        self.value
            .get_or_init(|| Box::new(self.tree.root().to_value()))
    }

    /// Whether something asked for [`Object::value`]: code that runs on every object of a
    /// fleet must not (`tests/compact_objects.rs` holds the rules to that).
    pub fn value_built(&self) -> bool {
        self.value.get().is_some()
    }

    /// Change the object (live collection fills in what a member cluster told about
    /// itself); the tree is rebuilt from the changed value. A file object's positions
    /// belonged to the old tree's nodes, so its fields are then reported at the
    /// object's start rather than at a wrong line.
    pub fn edit(&mut self, f: impl FnOnce(&mut Value)) {
        let mut v = match self.value.get() {
            Some(built) => built.clone(),
            None => self.tree.root().to_value(),
        };
        f(&mut v);
        self.tree = Tree::from_value(&v);
        if let Origin::File { positions, .. } = &mut self.origin {
            *positions = NodePositions::default();
        }
        self.value = OnceBox::with_value(Box::new(v));
    }

    /// The object's root field.
    pub fn root(&self) -> Node<'_> {
        self.tree.root()
    }

    /// The field at a JSON pointer, without building a `Value`.
    pub fn node(&self, pointer: &str) -> Option<Node<'_>> {
        self.tree.root().lookup(pointer)
    }

    /// The value at a JSON pointer (builds the object's `Value`: prefer [`Object::node`]
    /// in code that runs on every object).
    pub fn at(&self, pointer: &str) -> Option<&Value> {
        lookup(self.value(), pointer)
    }

    /// A string at a JSON pointer (None when absent or not a string).
    pub fn str_at(&self, pointer: &str) -> Option<&str> {
        self.node(pointer).and_then(|n| n.as_str())
    }

    /// The labels mapping (None when absent or not a mapping).
    pub fn labels(&self) -> Option<Node<'_>> {
        self.metadata("labels").filter(Node::is_object)
    }

    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.metadata("annotations")
            .and_then(|a| a.get(key))
            .and_then(|v| v.as_str())
    }

    /// `metadata.<key>`, by key rather than through a JSON pointer: version detection and
    /// suppressions read labels and annotations of every object.
    fn metadata(&self, key: &str) -> Option<Node<'_>> {
        self.tree.root().get("metadata")?.get(key)
    }

    /// Where `pointer` is: the field's own position, else its nearest present ancestor's.
    pub fn locate(&self, pointer: &str) -> Location {
        match &self.origin {
            Origin::File {
                file,
                positions,
                start,
            } => {
                let pos = positions.resolve(&self.tree, pointer).unwrap_or(*start);
                Location::in_file(file.clone(), pos, pointer)
            }
            Origin::Live { cluster } => Location {
                file: None,
                line: None,
                column: None,
                cluster: Some(cluster.clone()),
                pointer: Name::shared(pointer),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(scope: Scope, kind: &str, ns: Option<&str>, name: &str) -> ObjectRef {
        ObjectRef::new(scope, "apps/v1", kind, ns, name)
    }

    #[test]
    fn objects_of_one_kind_and_namespace_share_their_group_and_sort_by_all_five_fields() {
        let a = r(Scope::Host, "Deployment", Some("ns"), "a");
        let b = r(Scope::Host, "Deployment", Some("ns"), "b");
        assert!(Arc::ptr_eq(&a.group, &b.group));
        // Same texts in other fields are other groups.
        let no_ns = r(Scope::Host, "Deployment", None, "a");
        let member = r(
            Scope::Member(Name::from("m")),
            "Deployment",
            Some("ns"),
            "a",
        );
        let ns_in_kind = ObjectRef::new(Scope::Host, "apps/v1", "Deploymentns", None, "a");
        for other in [&no_ns, &member, &ns_in_kind] {
            assert!(!Arc::ptr_eq(&a.group, &other.group));
            assert_ne!(&a, other);
        }
        // Ordered as scope, apiVersion, kind, namespace, name were.
        let mut v = vec![b.clone(), member.clone(), a.clone(), no_ns.clone()];
        v.sort();
        assert_eq!(v, vec![no_ns, a, b, member]);
    }

    #[test]
    fn a_group_whose_hash_another_group_holds_gets_its_own() {
        let mut table = Default::default();
        let group = |kind: &str| {
            Arc::new(Group {
                scope: Scope::Host,
                api_version: Name::from("v1"),
                kind: Name::from(kind),
                namespace: None,
            })
        };
        let a = find_or_make(&mut table, 7, |_| unreachable!("empty"), || group("A"));
        let again = find_or_make(&mut table, 7, |g| g.kind == "A", || panic!("A is kept"));
        assert!(Arc::ptr_eq(&a, &again));
        // Same hash, other texts: B is not taken for A, and A keeps the place.
        let b = find_or_make(&mut table, 7, |g| g.kind == "B", || group("B"));
        assert_eq!(b.kind, "B");
        assert!(Arc::ptr_eq(&table[&7], &a));
    }

    #[test]
    fn a_group_of_long_texts_is_not_kept() {
        let long = "k".repeat(GROUP_TEXT_MAX_BYTES);
        let a = ObjectRef::new(Scope::Host, "v1", &long, None, "a");
        let b = ObjectRef::new(Scope::Host, "v1", &long, None, "b");
        assert!(!Arc::ptr_eq(&a.group, &b.group));
        assert_eq!(a.kind(), long.as_str());
        assert_eq!((a.kind(), a.scope()), (b.kind(), b.scope()));
    }

    #[test]
    fn a_ref_is_written_and_read_as_its_five_fields() {
        let a = r(Scope::Pool, "Deployment", Some("karmada-system"), "x");
        let text = serde_json::to_string(&a).unwrap();
        assert_eq!(
            text,
            r#"{"scope":"pool","apiVersion":"apps/v1","kind":"Deployment","namespace":"karmada-system","name":"x"}"#
        );
        assert_eq!(serde_json::from_str::<ObjectRef>(&text).unwrap(), a);
        let cluster = ObjectRef::new(
            Scope::Pool,
            "cluster.karmada.io/v1alpha1",
            "Cluster",
            None,
            "m",
        );
        let text = serde_json::to_string(&cluster).unwrap();
        assert!(!text.contains("namespace"), "{text}");
        assert_eq!(serde_json::from_str::<ObjectRef>(&text).unwrap(), cluster);
        assert_eq!(cluster.to_string(), "pool/Cluster/m");
    }

    #[test]
    fn editing_texts_copies_the_group_only_when_one_of_its_texts_changes() {
        let a = r(Scope::Host, "Deployment", Some("ns"), "a\r");
        let mut b = a.clone();
        let strip = |n: &mut Name| {
            if n.contains('\r') {
                *n = Name::from(n.replace('\r', "").as_str());
            }
        };
        b.edit_texts(strip);
        assert_eq!(&*b.name, "a");
        assert!(Arc::ptr_eq(&a.group, &b.group));
        let mut c = r(Scope::Host, "Deploy\rment", Some("ns"), "a");
        let before = c.group.clone();
        c.edit_texts(strip);
        assert_eq!(c.kind(), "Deployment");
        assert_eq!(before.kind, "Deploy\rment");
    }
}
