//! One Kubernetes object as the rules see it: what it is, where it lives, where it came from.

use once_cell::race::OnceBox;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fmt;

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
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectRef {
    pub scope: Scope,
    // Shared text: every finding about an object carries its identity, and a fleet's
    // objects repeat a handful of apiVersions, kinds and namespaces.
    pub api_version: Name,
    pub kind: Name,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<Name>,
    pub name: Name,
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
            scope,
            api_version: Name::shared(api_version),
            kind: Name::shared(kind),
            namespace: namespace.map(Name::shared),
            name: name.into(),
        }
    }
}

impl fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/", self.scope)?;
        if let Some(ns) = &self.namespace {
            write!(f, "{ns}/")?;
        }
        write!(f, "{}/{}", self.kind, self.name)
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
        cluster: String,
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
    pub cluster: Option<String>,
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
        &self.r.kind
    }
    pub fn name(&self) -> &str {
        &self.r.name
    }
    pub fn namespace(&self) -> Option<&str> {
        self.r.namespace.as_deref()
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
        self.node("/metadata/labels").filter(Node::is_object)
    }

    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.node("/metadata/annotations")
            .and_then(|a| a.get(key))
            .and_then(|v| v.as_str())
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
