//! Template `api-served`: listing a kind works on a live API server (e.g. `kubectl get
//! clusters` through karmada-apiserver, which after v1.0 goes through API aggregation to
//! karmada-aggregated-apiserver). Live-only: offline manifests cannot show it, so the
//! rule is skipped there; a collected bundle records which lists succeeded.

use serde::Deserialize;

use super::{params, read, Check, CompileError, Ctx, Outcome, Read, ReadScope};
use crate::findings::Evidence;
use crate::inventory::{GapCause, ObjectRef, Scope, ScopeSel};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Where {
    Karmada,
    Host,
    /// Every member cluster read: one outcome each.
    Member,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Params {
    kind: String,
    /// `group/version` the kind is expected under, for messages.
    api_version: String,
    scope: Where,
    /// What a person would run to see the same thing, e.g. `kubectl get clusters`.
    command: String,
}

struct ApiServed {
    p: Params,
    /// `Read::kind` is `&'static str`; a rule is compiled once per process, so leaking
    /// its one kind name costs a few bytes and keeps `Read` cheap to copy for every rule.
    kind: &'static str,
}

pub fn compile(params: &serde_json::Value) -> Result<Box<dyn Check>, CompileError> {
    let p: Params = params::decode(params)?;
    let kind: &'static str = Box::leak(p.kind.clone().into_boxed_str());
    Ok(Box::new(ApiServed { p, kind }))
}

impl ApiServed {
    fn read_scope(&self) -> ReadScope {
        match self.p.scope {
            Where::Karmada => ReadScope::Karmada,
            Where::Host => ReadScope::Host,
            Where::Member => ReadScope::Member,
        }
    }

    /// The scopes to judge: the one named, or each member that was listed or failed.
    fn scopes(&self, ctx: &Ctx<'_>) -> Vec<Scope> {
        match self.p.scope {
            Where::Karmada => vec![Scope::Karmada],
            Where::Host => vec![Scope::Host],
            Where::Member => {
                let mut v: Vec<Scope> = ctx
                    .inv
                    .listed()
                    .filter(|(s, k)| k == self.kind && matches!(s, Scope::Member(_)))
                    .map(|(s, _)| s.clone())
                    .chain(
                        ctx.inv
                            .gaps
                            .iter()
                            .filter(|g| g.kind == self.kind && matches!(g.scope, Scope::Member(_)))
                            .map(|g| g.scope.clone()),
                    )
                    .collect();
                v.sort();
                v.dedup();
                v
            }
        }
    }

    fn judge(&self, ctx: &Ctx<'_>, scope: &Scope) -> Option<Outcome> {
        let subject = ObjectRef::new(
            scope.clone(),
            &self.p.api_version,
            "APIResource",
            None,
            self.kind,
        );
        let gaps: Vec<_> = ctx
            .inv
            .gaps
            .iter()
            .filter(|g| g.kind == self.kind && &g.scope == scope)
            .collect();
        if let Some(g) = gaps.first() {
            let evidence: Vec<_> = gaps
                .iter()
                .map(|g| Evidence {
                    status: None,
                    message: format!(
                        "{} {} in cluster {}: {}",
                        g.verb, g.resource, g.cluster, g.reason
                    ),
                    location: None,
                })
                .collect();
            // Forbidden, unreachable or a read cut short says nothing about whether the
            // API is served; only an answer that it is not (404, 5xx) fails the rule.
            let o = match g.cause {
                GapCause::Forbidden | GapCause::Unreachable | GapCause::Interrupted => {
                    Outcome::unknown(format!(
                        "cannot tell whether `{}` works: {}",
                        self.p.command, g.reason
                    ))
                }
                GapCause::NotServed | GapCause::Failed => Outcome::violation(format!(
                    "`{}` fails: {} ({} in {scope})",
                    self.p.command, g.reason, self.p.api_version
                )),
            };
            return Some(o.about(subject).with_evidence(evidence));
        }
        // Discovery answered without the kind: the command fails with "the server
        // doesn't have a resource type" there.
        if ctx.inv.is_not_served(self.kind, scope) {
            return Some(
                Outcome::violation(format!(
                    "`{}` fails: kind {} ({}) is not served in {scope} (its API discovery does not list it)",
                    self.p.command, self.kind, self.p.api_version
                ))
                .about(subject),
            );
        }
        let sel = match scope {
            Scope::Karmada => ScopeSel::Karmada,
            Scope::Host => ScopeSel::Host,
            Scope::Member(n) => ScopeSel::Member(n.to_string()),
            Scope::Pool => return None,
        };
        if ctx.inv.was_listed(self.kind, &sel) {
            let n = ctx
                .inv
                .of_kind(self.kind, &sel)
                .filter(|o| o.r.scope() == scope)
                .count();
            return Some(
                Outcome::pass(format!(
                    "`{}` works: {n} {} object(s) listed from {scope} ({})",
                    self.p.command, self.kind, self.p.api_version
                ))
                .about(subject),
            );
        }
        None
    }
}

impl Check for ApiServed {
    fn reads(&self) -> Vec<Read> {
        vec![read(self.kind, self.read_scope())]
    }

    fn handles_gaps(&self) -> bool {
        true
    }

    fn run(&self, ctx: &Ctx<'_>) -> Vec<Outcome> {
        let out: Vec<Outcome> = self
            .scopes(ctx)
            .iter()
            .filter_map(|s| self.judge(ctx, s))
            .collect();
        if out.is_empty() {
            return vec![Outcome::skip(format!(
                "only evaluated against live clusters or a collected bundle: the input does not show whether `{}` works",
                self.p.command
            ))];
        }
        out
    }
}
