//! Public value types of the RBAC evaluator: what goes in (objects, subjects, request
//! attributes) and what comes out (decisions, grants, references to bindings and roles).

use std::fmt;

use k8s_openapi::api::rbac::v1::PolicyRule;

/// One object handed to [`crate::rbac::RbacIndex::from_objects`].
///
/// `origin` is opaque to the evaluator: it is copied into every [`BindingRef`], [`RoleRef`]
/// and note that concerns this object so the caller can point at the source (a file and
/// document index, an inventory id, ...). Objects that are not RBAC kinds are ignored, so a
/// caller may pass its whole inventory.
#[derive(Debug, Clone)]
pub struct RbacObject<'a, O> {
    pub value: std::borrow::Cow<'a, serde_json::Value>,
    pub origin: O,
}

impl<'a, O> RbacObject<'a, O> {
    pub fn new(value: &'a serde_json::Value, origin: O) -> Self {
        RbacObject {
            value: std::borrow::Cow::Borrowed(value),
            origin,
        }
    }

    /// A value made for the index alone (say, only the fields the evaluator reads): the
    /// index parses it and drops it, so a fleet's RBAC never sits in memory as values
    /// all at once.
    pub fn owned(value: serde_json::Value, origin: O) -> RbacObject<'static, O> {
        RbacObject {
            value: std::borrow::Cow::Owned(value),
            origin,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ServiceAccountRef {
    pub namespace: String,
    pub name: String,
}

impl ServiceAccountRef {
    pub fn new(namespace: impl Into<String>, name: impl Into<String>) -> Self {
        ServiceAccountRef {
            namespace: namespace.into(),
            name: name.into(),
        }
    }

    /// The user name the ServiceAccount token authenticator assigns
    /// (`k8s.io/apiserver/pkg/authentication/serviceaccount.MakeUsername`).
    pub fn username(&self) -> String {
        format!("system:serviceaccount:{}:{}", self.namespace, self.name)
    }
}

impl fmt::Display for ServiceAccountRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)
    }
}

/// Who is asking.
///
/// The authorizer sees a user name plus groups, never a "kind", so each variant is turned
/// into that pair the way the API server's authenticators would produce it:
/// - `ServiceAccount`: name `system:serviceaccount:<ns>:<name>`, groups
///   `system:serviceaccounts`, `system:serviceaccounts:<ns>`, `system:authenticated`.
/// - `User(name)`: that name and the group `system:authenticated`, which every
///   authenticated request carries; other group memberships are unknown offline.
/// - `Group(name)`: no user name and only that group, i.e. "what does membership in this
///   group alone grant".
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RbacSubject {
    ServiceAccount(ServiceAccountRef),
    User(String),
    Group(String),
}

impl fmt::Display for RbacSubject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RbacSubject::ServiceAccount(sa) => write!(f, "ServiceAccount {sa}"),
            RbacSubject::User(u) => write!(f, "User {u:?}"),
            RbacSubject::Group(g) => write!(f, "Group {g:?}"),
        }
    }
}

/// A resource request, as `authorizer.Attributes` describes it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ResourceAttributes {
    pub verb: String,
    /// `""` is the core group.
    pub api_group: String,
    pub resource: String,
    pub subresource: Option<String>,
    /// `None` (or an empty name) only matches rules without `resourceNames`, as in
    /// Kubernetes, where list/watch/create-without-name requests carry no name.
    pub name: Option<String>,
    /// `None` (or empty) is a cluster-wide request, which only ClusterRoleBindings can grant.
    pub namespace: Option<String>,
}

impl ResourceAttributes {
    /// A cluster-wide, nameless request.
    pub fn cluster(
        verb: impl Into<String>,
        api_group: impl Into<String>,
        resource: impl Into<String>,
    ) -> Self {
        ResourceAttributes {
            verb: verb.into(),
            api_group: api_group.into(),
            resource: resource.into(),
            subresource: None,
            name: None,
            namespace: None,
        }
    }

    pub fn in_namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = Some(namespace.into());
        self
    }

    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    pub fn with_subresource(mut self, subresource: impl Into<String>) -> Self {
        self.subresource = Some(subresource.into());
        self
    }

    /// The namespace, if the request is namespaced. Kubernetes treats `""` as cluster-wide.
    pub fn namespace(&self) -> Option<&str> {
        self.namespace.as_deref().filter(|ns| !ns.is_empty())
    }
}

impl fmt::Display for ResourceAttributes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ", self.verb)?;
        if self.api_group.is_empty() {
            write!(f, "{}", self.resource)?;
        } else {
            write!(f, "{}.{}", self.resource, self.api_group)?;
        }
        if let Some(sub) = self.subresource.as_deref().filter(|s| !s.is_empty()) {
            write!(f, "/{sub}")?;
        }
        if let Some(name) = self.name.as_deref().filter(|s| !s.is_empty()) {
            write!(f, " {name:?}")?;
        }
        match self.namespace() {
            Some(ns) => write!(f, " in namespace {ns:?}"),
            None => write!(f, " (cluster-wide)"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BindingKind {
    ClusterRoleBinding,
    RoleBinding,
}

impl BindingKind {
    pub fn as_str(self) -> &'static str {
        match self {
            BindingKind::ClusterRoleBinding => "ClusterRoleBinding",
            BindingKind::RoleBinding => "RoleBinding",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RoleKind {
    ClusterRole,
    Role,
}

impl RoleKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RoleKind::ClusterRole => "ClusterRole",
            RoleKind::Role => "Role",
        }
    }
}

/// A ClusterRoleBinding or RoleBinding that exists in the index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindingRef<O> {
    pub kind: BindingKind,
    pub name: String,
    /// `Some` exactly for RoleBindings.
    pub namespace: Option<String>,
    pub origin: O,
}

impl<O> fmt::Display for BindingRef<O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.namespace {
            Some(ns) => write!(
                f,
                "{} {:?}",
                self.kind.as_str(),
                format!("{ns}/{}", self.name)
            ),
            None => write!(f, "{} {:?}", self.kind.as_str(), self.name),
        }
    }
}

/// A role as a binding refers to it. `origin` is `None` when the referenced role is not in
/// the index (the binding dangles).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleRef<O> {
    pub kind: RoleKind,
    pub name: String,
    /// `Some` exactly for Roles; ClusterRoles are cluster-scoped even when a RoleBinding
    /// refers to them.
    pub namespace: Option<String>,
    pub origin: Option<O>,
}

impl<O> RoleRef<O> {
    pub fn exists(&self) -> bool {
        self.origin.is_some()
    }

    pub(crate) fn same_role(&self, other: &RoleRef<O>) -> bool {
        self.kind == other.kind && self.name == other.name && self.namespace == other.namespace
    }
}

impl<O> fmt::Display for RoleRef<O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.namespace {
            Some(ns) => write!(
                f,
                "{} {:?}",
                self.kind.as_str(),
                format!("{ns}/{}", self.name)
            ),
            None => write!(f, "{} {:?}", self.kind.as_str(), self.name),
        }
    }
}

/// One rule a role effectively holds, after ClusterRole aggregation.
#[derive(Debug, Clone, PartialEq)]
pub struct EffectiveRule {
    pub rule: PolicyRule,
    /// The ClusterRole that owns this rule when it reaches the role through
    /// `aggregationRule`; `None` for the role's own rules that no selected role provides.
    pub aggregated_from: Option<String>,
    /// Index of the rule in the `rules` of the role that owns it (the aggregation source
    /// when `aggregated_from` is set, else the role itself).
    pub source_rule_index: usize,
}

/// One way a request is allowed: this binding, of this role, through this rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Grant<O> {
    pub binding: BindingRef<O>,
    pub role: RoleRef<O>,
    /// Index into the role's effective rules ([`crate::rbac::RbacIndex::effective_rules`]).
    pub rule_index: usize,
    pub via_aggregation_from: Option<String>,
    pub rule: PolicyRule,
}

impl<O> fmt::Display for Grant<O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} of {} rule #{}",
            self.binding, self.role, self.rule_index
        )?;
        if let Some(src) = &self.via_aggregation_from {
            write!(f, " (aggregated from ClusterRole {src:?})")?;
        }
        Ok(())
    }
}

/// The outcome of [`crate::rbac::RbacIndex::authorize`].
#[derive(Debug, Clone, PartialEq)]
pub struct Decision<O> {
    pub allowed: bool,
    /// Every binding/role/rule combination that allows the request (Kubernetes stops at the
    /// first; all are listed so a report can show each and a fix can address each).
    pub grants: Vec<Grant<O>>,
    /// Every binding whose subjects include the subject, in any namespace, whether or not it
    /// contributes to this request.
    pub bindings_for_subject: Vec<BindingRef<O>>,
    /// Why something the caller might expect did not count: dangling role references,
    /// near-miss subjects, aggregation problems.
    pub notes: Vec<String>,
}
