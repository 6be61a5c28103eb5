//! The per-cluster RBAC index and the authorization walk over it, following
//! `DefaultRuleResolver.VisitRulesFor` (`pkg/registry/rbac/validation/rule.go`):
//! ClusterRoleBindings apply to every request; RoleBindings only to requests in their own
//! namespace, so a cluster-wide request is granted by ClusterRoleBindings alone.

use std::collections::BTreeMap;

use super::aggregation::{effective_rules, AggregationNode};
use super::matching::rule_allows;
use super::parse::{parse_object, Parsed, ParsedBinding, ParsedClusterRole, ParsedRole};
use super::selector::Selector;
use super::subject::{applies_to, service_account_subject_namespace, UserInfo};
use super::types::{
    BindingKind, BindingRef, Decision, EffectiveRule, Grant, RbacObject, RbacSubject,
    ResourceAttributes, RoleKind, RoleRef,
};

/// Something about one input object the caller should know: it was skipped, replaced by a
/// duplicate, or uses a deprecated API version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexNote<O> {
    pub origin: O,
    pub message: String,
}

#[derive(Debug, Clone)]
struct ClusterRoleEntry<O> {
    role: ParsedClusterRole,
    selectors: Option<Result<Vec<Selector>, String>>,
    origin: O,
    effective: Vec<EffectiveRule>,
    notes: Vec<String>,
}

#[derive(Debug, Clone)]
struct RoleEntry<O> {
    origin: O,
    effective: Vec<EffectiveRule>,
}

#[derive(Debug, Clone)]
struct BindingEntry<O> {
    kind: BindingKind,
    binding: ParsedBinding,
    origin: O,
}

impl<O: Clone> BindingEntry<O> {
    fn to_ref(&self) -> BindingRef<O> {
        BindingRef {
            kind: self.kind,
            name: self.binding.name.clone(),
            namespace: self.binding.namespace.clone(),
            origin: self.origin.clone(),
        }
    }
}

enum Resolved<'a, O> {
    Found {
        role: RoleRef<O>,
        rules: &'a [EffectiveRule],
        notes: &'a [String],
    },
    Missing {
        role: RoleRef<O>,
        note: String,
    },
    Invalid {
        note: String,
    },
}

/// All RBAC objects of one cluster, indexed for authorization. `O` is the caller's opaque
/// origin id for each object (see [`RbacObject`]).
#[derive(Debug, Clone)]
pub struct RbacIndex<O> {
    /// Sorted by name: the aggregation controller appends matched roles in name order.
    cluster_roles: Vec<ClusterRoleEntry<O>>,
    roles: BTreeMap<(String, String), RoleEntry<O>>,
    cluster_role_bindings: BTreeMap<String, BindingEntry<O>>,
    role_bindings: BTreeMap<(String, String), BindingEntry<O>>,
    notes: Vec<IndexNote<O>>,
}

impl<O: Clone> RbacIndex<O> {
    /// Builds the index. Never fails: malformed RBAC objects are skipped and recorded in
    /// [`RbacIndex::notes`]; objects of other kinds are ignored. A second object with the
    /// same kind, namespace and name replaces the first (a cluster holds only one), with a
    /// note.
    pub fn from_objects<'a>(objs: impl IntoIterator<Item = RbacObject<'a, O>>) -> RbacIndex<O> {
        let mut notes = Vec::new();
        let mut cluster_roles: BTreeMap<String, (ParsedClusterRole, O)> = BTreeMap::new();
        let mut roles: BTreeMap<(String, String), (ParsedRole, O)> = BTreeMap::new();
        let mut cluster_role_bindings = BTreeMap::new();
        let mut role_bindings = BTreeMap::new();

        for obj in objs {
            let outcome = parse_object(&obj.value);
            notes.extend(outcome.notes.into_iter().map(|message| IndexNote {
                origin: obj.origin.clone(),
                message,
            }));
            let duplicate = |what: String| IndexNote {
                origin: obj.origin.clone(),
                message: format!("{what} appears more than once; the later definition is used"),
            };
            match outcome.parsed {
                None => {}
                Some(Parsed::ClusterRole(cr)) => {
                    let name = cr.name.clone();
                    if cluster_roles
                        .insert(name.clone(), (cr, obj.origin.clone()))
                        .is_some()
                    {
                        notes.push(duplicate(format!("ClusterRole {name:?}")));
                    }
                }
                Some(Parsed::Role(r)) => {
                    let key = (r.namespace.clone(), r.name.clone());
                    let what = format!("Role {:?}", format!("{}/{}", key.0, key.1));
                    if roles.insert(key, (r, obj.origin.clone())).is_some() {
                        notes.push(duplicate(what));
                    }
                }
                Some(Parsed::ClusterRoleBinding(b)) => {
                    let name = b.name.clone();
                    let entry = BindingEntry {
                        kind: BindingKind::ClusterRoleBinding,
                        binding: b,
                        origin: obj.origin.clone(),
                    };
                    if cluster_role_bindings.insert(name.clone(), entry).is_some() {
                        notes.push(duplicate(format!("ClusterRoleBinding {name:?}")));
                    }
                }
                Some(Parsed::RoleBinding(b)) => {
                    let key = (b.namespace.clone().unwrap_or_default(), b.name.clone());
                    let what = format!("RoleBinding {:?}", format!("{}/{}", key.0, key.1));
                    let entry = BindingEntry {
                        kind: BindingKind::RoleBinding,
                        binding: b,
                        origin: obj.origin.clone(),
                    };
                    if role_bindings.insert(key, entry).is_some() {
                        notes.push(duplicate(what));
                    }
                }
            }
        }

        let mut cluster_roles: Vec<ClusterRoleEntry<O>> = cluster_roles
            .into_values()
            .map(|(role, origin)| ClusterRoleEntry {
                selectors: role.aggregation.as_ref().map(|sels| {
                    sels.iter()
                        .map(Selector::compile)
                        .collect::<Result<Vec<_>, _>>()
                }),
                role,
                origin,
                effective: Vec::new(),
                notes: Vec::new(),
            })
            .collect();
        let computed: Vec<_> = {
            let nodes: Vec<AggregationNode<'_>> = cluster_roles
                .iter()
                .map(|e| AggregationNode {
                    name: &e.role.name,
                    labels: &e.role.labels,
                    rules: &e.role.rules,
                    selectors: e.selectors.as_ref(),
                })
                .collect();
            (0..nodes.len())
                .map(|i| effective_rules(&nodes, i))
                .collect()
        };
        for (entry, agg) in cluster_roles.iter_mut().zip(computed) {
            entry.effective = agg.rules;
            entry.notes = agg.notes;
        }

        let roles = roles
            .into_iter()
            .map(|(key, (role, origin))| {
                let effective = role
                    .rules
                    .iter()
                    .enumerate()
                    .map(|(i, rule)| EffectiveRule {
                        rule: rule.clone(),
                        aggregated_from: None,
                        source_rule_index: i,
                    })
                    .collect();
                (key, RoleEntry { origin, effective })
            })
            .collect();

        RbacIndex {
            cluster_roles,
            roles,
            cluster_role_bindings,
            role_bindings,
            notes,
        }
    }

    /// Problems found while reading the objects.
    pub fn notes(&self) -> &[IndexNote<O>] {
        &self.notes
    }

    /// Decides `attrs` for `subject` as the API server's RBAC authorizer would, and
    /// collects every grant rather than stopping at the first.
    pub fn authorize(&self, subject: &RbacSubject, attrs: &ResourceAttributes) -> Decision<O> {
        let user = UserInfo::for_subject(subject);
        let request_ns = attrs.namespace();
        let mut decision = Decision {
            allowed: false,
            grants: Vec::new(),
            bindings_for_subject: Vec::new(),
            notes: Vec::new(),
        };
        let mut out_of_scope = Vec::new();

        for entry in self.bindings() {
            let binding_ns = entry.binding.namespace.as_deref();
            if !applies_to(&user, &entry.binding.subjects, binding_ns) {
                near_miss_notes(subject, entry, &mut decision.notes);
                continue;
            }
            let binding = entry.to_ref();
            decision.bindings_for_subject.push(binding.clone());
            let in_scope = match entry.kind {
                BindingKind::ClusterRoleBinding => true,
                BindingKind::RoleBinding => request_ns.is_some() && request_ns == binding_ns,
            };
            let (role, rules, role_notes) = match self.resolve(entry) {
                Resolved::Found { role, rules, notes } => (role, rules, notes),
                Resolved::Missing { note, .. } | Resolved::Invalid { note } => {
                    if in_scope {
                        push_unique(&mut decision.notes, note);
                    }
                    continue;
                }
            };
            if !in_scope {
                // Would this RoleBinding allow the same request inside its namespace? Then
                // the subject has the permission, just not where it was asked for.
                let local = ResourceAttributes {
                    namespace: binding_ns.map(str::to_string),
                    ..attrs.clone()
                };
                if rules.iter().any(|r| rule_allows(&r.rule, &local)) {
                    out_of_scope.push(format!(
                        "{binding} (of {role}) allows this only in namespace {:?}; {}",
                        binding_ns.unwrap_or_default(),
                        if request_ns.is_none() {
                            "a cluster-wide request needs a ClusterRoleBinding"
                        } else {
                            "RoleBindings grant only in their own namespace"
                        }
                    ));
                }
                continue;
            }
            for note in role_notes {
                push_unique(&mut decision.notes, note.clone());
            }
            for (rule_index, effective) in rules.iter().enumerate() {
                if rule_allows(&effective.rule, attrs) {
                    decision.grants.push(Grant {
                        binding: binding.clone(),
                        role: role.clone(),
                        rule_index,
                        via_aggregation_from: effective.aggregated_from.clone(),
                        rule: effective.rule.clone(),
                    });
                }
            }
        }
        for note in out_of_scope {
            push_unique(&mut decision.notes, note);
        }
        decision.allowed = !decision.grants.is_empty();
        decision
    }

    /// Every binding, in any namespace, whose subjects include `subject`.
    pub fn bindings_for(&self, subject: &RbacSubject) -> Vec<BindingRef<O>> {
        let user = UserInfo::for_subject(subject);
        self.bindings()
            .filter(|e| applies_to(&user, &e.binding.subjects, e.binding.namespace.as_deref()))
            .map(BindingEntry::to_ref)
            .collect()
    }

    /// The roles that bindings naming `subject` refer to, each once, in binding order.
    /// These are what a remediation must edit: Helm releases name them after the release,
    /// so a fixed name cannot be assumed. A referenced role that does not exist is listed
    /// with `origin: None`; role references Kubernetes cannot resolve at all (a
    /// ClusterRoleBinding to a Role, an unknown kind) are left out.
    pub fn roles_bound_to(&self, subject: &RbacSubject) -> Vec<RoleRef<O>> {
        let user = UserInfo::for_subject(subject);
        let mut out: Vec<RoleRef<O>> = Vec::new();
        for entry in self.bindings() {
            if !applies_to(
                &user,
                &entry.binding.subjects,
                entry.binding.namespace.as_deref(),
            ) {
                continue;
            }
            let role = match self.resolve(entry) {
                Resolved::Found { role, .. } | Resolved::Missing { role, .. } => role,
                Resolved::Invalid { .. } => continue,
            };
            if !out.iter().any(|r| r.same_role(&role)) {
                out.push(role);
            }
        }
        out
    }

    /// The rules `role` effectively holds (after aggregation); `Grant::rule_index` indexes
    /// into this. `None` if the role is not in the index.
    pub fn effective_rules(&self, role: &RoleRef<O>) -> Option<&[EffectiveRule]> {
        match role.kind {
            RoleKind::ClusterRole => self
                .cluster_role(&role.name)
                .map(|e| e.effective.as_slice()),
            RoleKind::Role => self
                .roles
                .get(&(
                    role.namespace.clone().unwrap_or_default(),
                    role.name.clone(),
                ))
                .map(|e| e.effective.as_slice()),
        }
    }

    /// Whether the ClusterRole has an `aggregationRule`. Its `rules` are owned by the
    /// aggregation controller, so a fix must edit (or label) a selected role instead.
    pub fn is_aggregated(&self, cluster_role: &str) -> bool {
        self.cluster_role(cluster_role)
            .is_some_and(|e| e.role.aggregation.is_some())
    }

    fn cluster_role(&self, name: &str) -> Option<&ClusterRoleEntry<O>> {
        self.cluster_roles
            .binary_search_by(|e| e.role.name.as_str().cmp(name))
            .ok()
            .and_then(|i| self.cluster_roles.get(i))
    }

    fn bindings(&self) -> impl Iterator<Item = &BindingEntry<O>> {
        self.cluster_role_bindings
            .values()
            .chain(self.role_bindings.values())
    }

    /// `GetRoleReferenceRules`: only the kind and name of `roleRef` matter (its apiGroup
    /// is not consulted), and a RoleBinding's Role is looked up in the binding's namespace.
    fn resolve<'a>(&'a self, entry: &BindingEntry<O>) -> Resolved<'a, O> {
        let binding = entry.to_ref();
        let role_ref = &entry.binding.role_ref;
        let name = role_ref.name.clone();
        match (role_ref.kind.as_str(), entry.kind) {
            ("ClusterRole", _) => match self.cluster_role(&name) {
                Some(e) => Resolved::Found {
                    role: RoleRef {
                        kind: RoleKind::ClusterRole,
                        name,
                        namespace: None,
                        origin: Some(e.origin.clone()),
                    },
                    rules: &e.effective,
                    notes: &e.notes,
                },
                None => Resolved::Missing {
                    note: format!("{binding} references missing ClusterRole {name:?}"),
                    role: RoleRef {
                        kind: RoleKind::ClusterRole,
                        name,
                        namespace: None,
                        origin: None,
                    },
                },
            },
            ("Role", BindingKind::RoleBinding) => {
                let ns = entry.binding.namespace.clone().unwrap_or_default();
                match self.roles.get(&(ns.clone(), name.clone())) {
                    Some(e) => Resolved::Found {
                        role: RoleRef {
                            kind: RoleKind::Role,
                            name,
                            namespace: Some(ns),
                            origin: Some(e.origin.clone()),
                        },
                        rules: &e.effective,
                        notes: &[],
                    },
                    None => Resolved::Missing {
                        note: format!(
                            "{binding} references missing Role {:?}",
                            format!("{ns}/{name}")
                        ),
                        role: RoleRef {
                            kind: RoleKind::Role,
                            name,
                            namespace: Some(ns),
                            origin: None,
                        },
                    },
                }
            }
            ("Role", BindingKind::ClusterRoleBinding) => Resolved::Invalid {
                note: format!(
                    "{binding} refers to Role {name:?}; a ClusterRoleBinding can only grant a ClusterRole, so it grants nothing"
                ),
            },
            (other, _) => Resolved::Invalid {
                note: format!(
                    "{binding} has unsupported roleRef kind {other:?} (expected ClusterRole or Role), so it grants nothing"
                ),
            },
        }
    }
}

fn push_unique(notes: &mut Vec<String>, note: String) {
    if !notes.contains(&note) {
        notes.push(note);
    }
}

/// Explains bindings that look meant for a ServiceAccount but do not name it the way
/// Kubernetes matches: wrong namespace, no namespace in a ClusterRoleBinding, a mis-cased
/// kind, or the bare ServiceAccount name as a User.
fn near_miss_notes<O: Clone>(
    subject: &RbacSubject,
    entry: &BindingEntry<O>,
    notes: &mut Vec<String>,
) {
    let RbacSubject::ServiceAccount(sa) = subject else {
        return;
    };
    let binding = entry.to_ref();
    let binding_ns = entry.binding.namespace.as_deref();
    for s in &entry.binding.subjects {
        if s.name != sa.name {
            continue;
        }
        let note = match s.kind.as_str() {
            "ServiceAccount" => match service_account_subject_namespace(s, binding_ns) {
                None => format!(
                    "{binding} names ServiceAccount {:?} without a namespace; in a ClusterRoleBinding such a subject matches no one",
                    s.name
                ),
                Some(ns) if ns != sa.namespace => format!(
                    "{binding} binds ServiceAccount {ns}/{}, not {sa}",
                    s.name
                ),
                Some(_) => continue,
            },
            "User" => format!(
                "{binding} binds User {:?}; a ServiceAccount authenticates as {:?}",
                s.name,
                sa.username()
            ),
            k if k.eq_ignore_ascii_case("ServiceAccount") => format!(
                "{binding} has subject kind {k:?}; Kubernetes only recognises \"ServiceAccount\" (case-sensitive)"
            ),
            _ => continue,
        };
        push_unique(notes, note);
    }
}
