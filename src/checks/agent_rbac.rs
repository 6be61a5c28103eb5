//! Template `agent-impersonate-rbac`: the ServiceAccount karmada-agent runs as may
//! impersonate users, groups and serviceaccounts cluster-wide in its member cluster.
//!
//! Karmada v1.0's unifiedAuth controller makes the pull-mode agent apply a
//! `karmada-impersonator` ClusterRole, and RBAC escalation prevention only lets it create a
//! role granting `impersonate` if it already holds that itself. The v0.10 agent role (and
//! the Helm chart's until v1.2) lists six verbs without `impersonate`.
//!
//! Nothing is looked up by a fixed name: the ServiceAccount comes from the Deployment, and
//! the roles are whatever the cluster's bindings grant it (Helm names them after the
//! release). Each member scope (and the pool) is a separate cluster with its own RBAC.

use std::collections::BTreeSet;

use serde::Deserialize;
use serde_json::{json, Value};

use super::support::naming::fix_file;
use super::{params, read, Check, CompileError, Ctx, Outcome, Read, ReadScope};
use crate::findings::{Evidence, Manifest, ManifestKind, Remediation};
use crate::inventory::workload::{
    find_component, json_type, pod_spec_pointer, Component, ContainerRef, WORKLOAD_KINDS,
};
use crate::inventory::{Object, ObjectRef, Scope, ScopeSel};
use crate::rbac::{
    recommended_agent_clusterrole, service_account_of_workload, BindingKind, RbacIndex, RbacObject,
    RbacSubject, RoleKind, ServiceAccountRef,
};

const RBAC_KINDS: [&str; 4] = ["ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Params {
    /// Name used for a ClusterRole/Binding the fix has to create when none is bound.
    #[serde(default = "default_role")]
    default_role_name: String,
}

fn default_role() -> String {
    "karmada-agent".into()
}

struct AgentRbac {
    p: Params,
}

pub fn compile(params: &Value) -> Result<Box<dyn Check>, CompileError> {
    Ok(Box::new(AgentRbac {
        p: params::decode(params)?,
    }))
}

/// One member cluster's objects (a member scope, or the pool standing in for one).
struct ScopeView<'a> {
    scope: Scope,
    rbac: Vec<&'a Object>,
    index: RbacIndex<usize>,
}

impl<'a> ScopeView<'a> {
    fn new(ctx: &Ctx<'a>, scope: &Scope) -> ScopeView<'a> {
        let rbac: Vec<&Object> = RBAC_KINDS
            .iter()
            .flat_map(|k| in_scope(ctx, k, scope))
            .collect();
        // Only what the authorizer reads, built for the index one object at a time and
        // dropped once parsed: the objects themselves stay compact, and a fleet's
        // ClusterRoles are never values all at once.
        let index = RbacIndex::from_objects(
            index_inputs(&rbac)
                .into_iter()
                .filter_map(|i| Some(RbacObject::owned(rbac_fields(rbac.get(i)?), i))),
        );
        ScopeView {
            scope: scope.clone(),
            rbac,
            index,
        }
    }

    fn cluster_role(&self, name: &str) -> Option<&'a Object> {
        self.rbac
            .iter()
            .copied()
            .find(|o| o.kind() == "ClusterRole" && o.name() == name)
    }
}

/// Which of `rbac` the index needs to answer for a ServiceAccount (positions in it):
/// every binding and Role, the ClusterRoles a binding names, and, when one of those
/// aggregates others, every ClusterRole with labels (the ones a selector can pick, at any
/// depth). A fleet's other ClusterRoles were parsed into typed rules only to be passed
/// over: 160 MB of the 1M-object benchmark's peak. Everything the check asks the index
/// starts from the ServiceAccount's bindings, so its answers are the same.
fn index_inputs(rbac: &[&Object]) -> Vec<usize> {
    let is_cluster_role = |o: &Object| o.kind() == "ClusterRole";
    // Whatever kind a roleRef says: a superset is harmless.
    let bound: BTreeSet<&str> = rbac
        .iter()
        .filter(|o| o.kind().ends_with("Binding"))
        .filter_map(|o| o.str_at("/roleRef/name"))
        .collect();
    let aggregates = rbac.iter().any(|o| {
        is_cluster_role(o)
            && bound.contains(o.name())
            && o.node("/aggregationRule").is_some_and(|n| !n.is_null())
    });
    rbac.iter()
        .enumerate()
        .filter(|(_, o)| {
            !is_cluster_role(o)
                || bound.contains(o.name())
                || (aggregates && o.node("/metadata/labels").is_some_and(|n| !n.is_null()))
        })
        .map(|(i, _)| i)
        .collect()
}

/// The fields of an RBAC object that `rbac::parse` reads (it keeps only these too).
fn rbac_fields(o: &Object) -> Value {
    let root = o.root();
    let mut m = serde_json::Map::new();
    for key in [
        "apiVersion",
        "kind",
        "metadata",
        "rules",
        "aggregationRule",
        "roleRef",
        "subjects",
    ] {
        if let Some(n) = root.get(key) {
            m.insert(key.to_string(), n.to_value());
        }
    }
    Value::Object(m)
}

fn in_scope<'a>(ctx: &Ctx<'a>, kind: &str, scope: &Scope) -> Vec<&'a Object> {
    static ALL: ScopeSel = ScopeSel::All;
    ctx.inv
        .of_kind(kind, &ALL)
        .filter(|o| o.r.scope() == scope)
        .collect()
}

/// The member cluster name as the agent registers it (`--cluster-name`), for kubectl
/// contexts in the fix; placeholders like `{{member_cluster_name}}` do not count.
fn cluster_name(agent: &Object, scope: &Scope) -> String {
    if let Scope::Member(m) = scope {
        return m.to_string();
    }
    ContainerRef::containers(agent)
        .into_iter()
        .find_map(|c| c.flag("--cluster-name").ok().flatten()?.value)
        .filter(|s| !s.is_empty() && !s.contains("{{"))
        .unwrap_or_else(|| "<member>".into())
}

impl AgentRbac {
    fn check_agent(&self, view: &ScopeView<'_>, agent: &Object) -> Outcome {
        let Some(ps) = pod_spec_pointer(agent.kind()) else {
            return Outcome::unknown("not a workload").at(agent, "");
        };
        for field in ["serviceAccountName", "serviceAccount"] {
            let ptr = format!("{ps}/{field}");
            if let Some(v) = agent.at(&ptr).filter(|v| !v.is_string() && !v.is_null()) {
                return Outcome::unknown(format!(
                    "{ptr} is {}, expected a string; cannot tell which ServiceAccount karmada-agent runs as",
                    json_type(v)
                ))
                .at(agent, &ptr);
            }
        }
        let Some(sa) = service_account_of_workload(agent.value(), "default") else {
            return Outcome::unknown(format!("{} has no pod spec", agent.r)).at(agent, ps);
        };
        if view.rbac.is_empty() {
            return Outcome::unknown(format!(
                "the input holds no ClusterRoles or bindings from {}, so it cannot show what \
                 ServiceAccount {sa} (karmada-agent) may do",
                view.scope
            ))
            .at(agent, &format!("{ps}/serviceAccountName"));
        }
        let verdict = view.index.can_impersonate(&sa);
        let mut evidence: Vec<Evidence> = Vec::new();
        for c in &verdict.checks {
            let grant = c.decision.grants.first();
            evidence.push(Evidence {
                status: None,
                message: match grant {
                    Some(g) => format!("impersonate {}: allowed by {g}", c.resource),
                    None => format!("impersonate {} (cluster-wide): denied", c.resource),
                },
                location: grant.and_then(|g| self.grant_location(view, g)),
            });
        }
        let subject = RbacSubject::ServiceAccount(sa.clone());
        if let Some(c) = verdict.checks.first() {
            for n in &c.decision.notes {
                evidence.push(Evidence {
                    status: None,
                    message: n.clone(),
                    location: None,
                });
            }
        }
        if verdict.allowed() {
            let g = verdict
                .checks
                .first()
                .and_then(|c| c.decision.grants.first());
            let base = Outcome::pass(format!(
                "ServiceAccount {sa} of {} may impersonate users, groups and serviceaccounts",
                agent.r
            ));
            let located = g.and_then(|g| self.grant_target(view, g));
            return match located {
                Some((obj, ptr)) => base.at(obj, &ptr),
                None => base.at(agent, &format!("{ps}/serviceAccountName")),
            }
            .with_evidence(evidence);
        }
        let denied = verdict.denied_resources().join(", ");
        let (obj, ptr, why) = self.violation_target(view, agent, ps, &subject, &sa);
        Outcome::violation(format!(
            "ServiceAccount {sa} of {} may not impersonate {denied} cluster-wide{why}; the v1.0 \
             agent needs it to apply the karmada-impersonator ClusterRole",
            agent.r
        ))
        .at(obj, &ptr)
        .with_evidence(evidence)
        .with_remediation(self.remediation(view, agent, &subject, &sa))
    }

    /// The object and rule pointer a grant comes from (the aggregated source role's rule
    /// when it reached the role through aggregation).
    fn grant_target<'a>(
        &self,
        view: &ScopeView<'a>,
        g: &crate::rbac::Grant<usize>,
    ) -> Option<(&'a Object, String)> {
        let rule = view
            .index
            .effective_rules(&g.role)?
            .get(g.rule_index)?
            .source_rule_index;
        let obj = match &g.via_aggregation_from {
            Some(src) => view.cluster_role(src)?,
            None => *view.rbac.get(g.role.origin?)?,
        };
        Some((obj, format!("/rules/{rule}")))
    }

    fn grant_location(
        &self,
        view: &ScopeView<'_>,
        g: &crate::rbac::Grant<usize>,
    ) -> Option<crate::inventory::Location> {
        self.grant_target(view, g).map(|(o, p)| o.locate(&p))
    }

    /// Where to point: the bound ClusterRole's rules, else the binding, else a binding that
    /// nearly names the ServiceAccount, else the Deployment's serviceAccountName.
    fn violation_target<'a>(
        &self,
        view: &ScopeView<'a>,
        agent: &'a Object,
        ps: &str,
        subject: &RbacSubject,
        sa: &ServiceAccountRef,
    ) -> (&'a Object, String, String) {
        let roles = view.index.roles_bound_to(subject);
        let existing = roles.iter().find_map(|r| {
            let o = *view.rbac.get(r.origin?)?;
            Some((r, o))
        });
        if let Some((r, o)) = existing {
            if r.kind == RoleKind::ClusterRole && view.index.is_aggregated(&r.name) {
                return (
                    o,
                    "/aggregationRule".into(),
                    format!(" (ClusterRole {} aggregates no such rule)", r.name),
                );
            }
            let only_rb = view
                .index
                .bindings_for(subject)
                .iter()
                .all(|b| b.kind == BindingKind::RoleBinding);
            let why = if only_rb {
                format!(
                    " ({} {} is bound only through RoleBindings, which never grant cluster-wide \
                     impersonation)",
                    r.kind.as_str(),
                    r.name
                )
            } else {
                format!(" ({} {} lacks the verb)", r.kind.as_str(), r.name)
            };
            return (o, "/rules".into(), why);
        }
        if let Some(b) = view.index.bindings_for(subject).first() {
            if let Some(o) = view.rbac.get(b.origin) {
                return (
                    o,
                    "/roleRef".into(),
                    format!(
                        " (binding {} refers to a role that is not in the input)",
                        b.name
                    ),
                );
            }
        }
        if let Some((o, k)) = near_miss(view, sa) {
            return (
                o,
                format!("/subjects/{k}"),
                format!(
                    " (no binding names it; {} {} binds a different ServiceAccount)",
                    o.kind(),
                    o.name()
                ),
            );
        }
        (
            agent,
            format!("{ps}/serviceAccountName"),
            " (no ClusterRoleBinding or RoleBinding names it)".into(),
        )
    }

    fn remediation(
        &self,
        view: &ScopeView<'_>,
        agent: &Object,
        subject: &RbacSubject,
        sa: &ServiceAccountRef,
    ) -> Remediation {
        let member = cluster_name(agent, &view.scope);
        let apply_to = match &view.scope {
            Scope::Member(m) => format!("member/{m}"),
            _ => format!("member/{member}"),
        };
        // Unscoped input: keep the pool in file names rather than inventing a member.
        let target_scope = view.scope.clone();
        let manifest = |content: Value, kind: &str, name: &str| {
            let r = ObjectRef::new(
                target_scope.clone(),
                "rbac.authorization.k8s.io/v1",
                kind,
                None,
                name,
            );
            Manifest {
                file_name: fix_file(&r, "yaml"),
                kind: ManifestKind::Apply,
                apply_to: apply_to.clone(),
                target: Some(r),
                content,
            }
        };
        // ClusterRoles bound cluster-wide to the agent: those are the ones to widen.
        let mut crb_roles: BTreeSet<String> = BTreeSet::new();
        for b in view.index.bindings_for(subject) {
            let Some(o) = view.rbac.get(b.origin) else {
                continue;
            };
            if b.kind == BindingKind::ClusterRoleBinding
                && o.str_at("/roleRef/kind") == Some("ClusterRole")
            {
                if let Some(n) = o.str_at("/roleRef/name") {
                    crb_roles.insert(n.to_string());
                }
            }
        }
        let mut manifests = Vec::new();
        let mut notes = Vec::new();
        for name in &crb_roles {
            if view.index.is_aggregated(name) {
                // The aggregation controller owns an aggregated role's rules; add a role it
                // selects instead.
                let labels = view
                    .cluster_role(name)
                    .and_then(|o| o.at("/aggregationRule/clusterRoleSelectors/0/matchLabels"))
                    .and_then(Value::as_object)
                    .cloned();
                if let Some(labels) = labels {
                    let extra = format!("{name}-impersonate");
                    let mut cr = recommended_agent_clusterrole(&extra);
                    cr["metadata"]["labels"] = Value::Object(labels);
                    manifests.push(manifest(cr, "ClusterRole", &extra));
                    notes.push(format!(
                        "ClusterRole {name} is aggregated, so the fix adds ClusterRole {extra} carrying \
                         the labels its aggregationRule selects"
                    ));
                    continue;
                }
            }
            manifests.push(manifest(
                recommended_agent_clusterrole(name),
                "ClusterRole",
                name,
            ));
        }
        if manifests.is_empty() {
            // Nothing is bound cluster-wide: bind the v1.0 role to the agent's real
            // ServiceAccount, reusing a near-miss binding (keeping its subjects) if any.
            let (binding, role, mut subjects) =
                match near_miss(view, sa).filter(|(o, _)| o.kind() == "ClusterRoleBinding") {
                    Some((o, _)) => (
                        o.name().to_string(),
                        o.str_at("/roleRef/name")
                            .unwrap_or(&self.p.default_role_name)
                            .to_string(),
                        o.at("/subjects")
                            .and_then(Value::as_array)
                            .cloned()
                            .unwrap_or_default(),
                    ),
                    None => (
                        self.p.default_role_name.clone(),
                        self.p.default_role_name.clone(),
                        Vec::new(),
                    ),
                };
            subjects.push(
                json!({"kind": "ServiceAccount", "name": sa.name, "namespace": sa.namespace}),
            );
            manifests.push(manifest(
                recommended_agent_clusterrole(&role),
                "ClusterRole",
                &role,
            ));
            manifests.push(manifest(
                json!({
                    "apiVersion": "rbac.authorization.k8s.io/v1",
                    "kind": "ClusterRoleBinding",
                    "metadata": {"name": binding},
                    "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
                    "subjects": subjects,
                }),
                "ClusterRoleBinding",
                &binding,
            ));
        }
        let names: Vec<String> = manifests
            .iter()
            .filter_map(|m| {
                m.target
                    .as_ref()
                    .map(|t| format!("{} {}", t.kind(), t.name))
            })
            .collect();
        let mut summary = format!(
            "Apply the karmada-agent ClusterRole of Karmada v1.0 (verbs ['*'] on every resource, as in \
             the upgrade guide) in member cluster {member}, under the names actually bound to \
             ServiceAccount {sa}: {}.",
            names.join(", ")
        );
        for n in notes {
            summary.push(' ');
            summary.push_str(&n);
            summary.push('.');
        }
        let ctxf = format!("--context {member}");
        let user = sa.username();
        Remediation {
            summary,
            commands: std::iter::once("# verify afterwards:".to_string())
                .chain(
                    crate::rbac::IMPERSONATE_RESOURCES
                        .iter()
                        .map(|r| format!("kubectl {ctxf} auth can-i impersonate {r} --as={user}")),
                )
                .collect(),
            manifests,
            steps: Vec::new(),
            diff: None,
        }
    }
}

/// A binding in the scope whose subjects name a ServiceAccount with the agent's name in
/// another namespace, or another ServiceAccount in the agent's namespace: most likely the
/// binding meant for the agent. Returns it and the subject index.
fn near_miss<'a>(view: &ScopeView<'a>, sa: &ServiceAccountRef) -> Option<(&'a Object, usize)> {
    view.rbac
        .iter()
        .copied()
        .filter(|o| o.kind().ends_with("Binding"))
        .find_map(|o| {
            let subjects = o.at("/subjects")?.as_array()?;
            let k = subjects.iter().position(|s| {
                s.get("kind").and_then(Value::as_str) == Some("ServiceAccount")
                    && (s.get("name").and_then(Value::as_str) == Some(sa.name.as_str())
                        || s.get("namespace").and_then(Value::as_str)
                            == Some(sa.namespace.as_str()))
            })?;
            Some((o, k))
        })
}

impl Check for AgentRbac {
    fn reads(&self) -> Vec<Read> {
        let mut r: Vec<Read> = RBAC_KINDS
            .iter()
            .map(|k| read(k, ReadScope::Member))
            .collect();
        for k in WORKLOAD_KINDS {
            r.push(read(k, ReadScope::Member));
        }
        r
    }

    fn run(&self, ctx: &Ctx<'_>) -> Vec<Outcome> {
        static ALL: ScopeSel = ScopeSel::All;
        let scopes: BTreeSet<Scope> = ctx
            .inv
            .scopes()
            .into_iter()
            .filter(|s| matches!(s, Scope::Member(_) | Scope::Pool))
            .collect();
        let agents = find_component(ctx.inv, Component::KarmadaAgent, &ALL);
        let mut out = Vec::new();
        for scope in scopes {
            // One outcome per agent workload, not per container.
            let mut seen = BTreeSet::new();
            let mine: Vec<&Object> = agents
                .iter()
                .map(|c| c.object)
                .filter(|o| o.r.scope() == &scope && seen.insert(o.r.clone()))
                .collect();
            if mine.is_empty() {
                out.push(Outcome::skip(format!(
                    "no karmada-agent workload in {scope}: a push-mode cluster (or the agent is not in the input)"
                )));
                continue;
            }
            let view = ScopeView::new(ctx, &scope);
            out.extend(mine.into_iter().map(|a| self.check_agent(&view, a)));
        }
        out
    }
}
