//! Runs compiled rules over an inventory and turns outcomes into findings, applying
//! the phase (what a violation means now).

use super::catalog::{Catalog, Rule};
use super::filter::RuleFilter;
use super::member_gaps::{confine, gap_outcome, hits, split};
use super::path::CatalogPlan;
use crate::checks::{Ctx, Outcome, Verdict};
use crate::findings::{Finding, Name, RuleRef, Severity, Status};
use crate::inventory::Inventory;
use crate::upgrade::{Phase, UpgradePlan};
use std::sync::Arc;

#[derive(Debug, Clone)]
pub struct RunOptions {
    pub phase: Phase,
    pub now: time::OffsetDateTime,
    /// Only these rules (names or ids, any case; see [`RuleFilter`]); empty = all.
    pub only: Vec<String>,
}

pub fn run_rules(catalog: &Catalog, inv: &Inventory, opts: &RunOptions) -> Vec<Finding> {
    run_rules_on_path(
        catalog,
        inv,
        opts,
        &UpgradePlan::default().with_catalog(catalog),
    )
}

/// Run the rules that apply on `plan`: rules without a hop, then each hop's rules in path
/// order. One phase applies to the whole path (see README, "Upgrade paths").
pub fn run_rules_on_path(
    catalog: &Catalog,
    inv: &Inventory,
    opts: &RunOptions,
    plan: &UpgradePlan,
) -> Vec<Finding> {
    let ctx = Ctx {
        inv,
        phase: opts.phase,
        now: opts.now,
        plan,
    };
    let mut on_path: Vec<(usize, &Rule)> = catalog
        .rules
        .iter()
        .filter_map(|r| plan.position_of(&r.spec).map(|i| (i, r)))
        .collect();
    // Stable: within a hop, catalog order is kept.
    on_path.sort_by_key(|(i, _)| *i);
    let filter = RuleFilter::new(&opts.only);
    on_path.retain(|(_, r)| filter.matches(&r.spec));
    let evaluated = evaluate(&on_path, &ctx, opts.phase);
    // Sized once (every rule gives at least one finding): the list is kept to the report,
    // and doubling it through 40k findings left the outgrown copies behind.
    let mut findings = Vec::with_capacity(
        evaluated
            .iter()
            .map(|e| match e {
                Evaluated::Ran(o, _) => o.len().max(1),
                _ => 1,
            })
            .sum(),
    );
    for ((_, rule), outcomes) in on_path.into_iter().zip(evaluated) {
        let names = FindingNames::of(rule);
        let (outcomes, consequence) = match outcomes {
            Evaluated::Ran(o, consequence) => (o, consequence),
            Evaluated::Gap(o) => {
                findings.push(finding(rule, &names, *o, Status::Unknown, None));
                continue;
            }
            Evaluated::NotInPhase => {
                let other = if opts.phase == Phase::Pre {
                    "post"
                } else {
                    "pre"
                };
                findings.push(finding(
                    rule,
                    &names,
                    Outcome::skip(format!("only evaluated in the {other} phase")),
                    Status::Skip,
                    None,
                ));
                continue;
            }
        };
        if outcomes.is_empty() {
            findings.push(finding(
                rule,
                &names,
                Outcome::skip("nothing to check in the input"),
                Status::Skip,
                None,
            ));
        }
        for o in outcomes {
            let (status, severity) = match o.verdict {
                Verdict::Pass => (Status::Pass, None),
                Verdict::NotApplicable => (Status::Skip, None),
                Verdict::Unknown => (Status::Unknown, None),
                Verdict::Violation => {
                    match (o.severity_cap, o.consequence.unwrap_or(consequence)) {
                        (Some(cap), _) if cap < Severity::Error => (Status::Fail, Some(cap)),
                        (_, crate::findings::Consequence::Action) => (Status::Action, None),
                        (_, crate::findings::Consequence::Blocker) => {
                            (Status::Blocker, Some(Severity::Error))
                        }
                        (_, c) => (Status::Fail, Some(c.severity())),
                    }
                }
            };
            findings.push(finding(rule, &names, o, status, severity));
        }
    }
    findings
}

/// What running one rule gave, before it becomes findings.
enum Evaluated {
    /// Its outcomes, and what a violation means in this phase.
    Ran(Vec<Outcome>, crate::findings::Consequence),
    /// A read it needs in karmada or the host is missing: the whole rule is unknown.
    Gap(Box<Outcome>),
    /// The rule has no consequence in this phase and was not run.
    NotInPhase,
}

/// Run every rule of `rules` on all cores (rules only read the inventory; its derived
/// facts are built once, by whichever rule asks first) and return their results in the
/// order of `rules`, so reports do not depend on scheduling.
fn evaluate(rules: &[(usize, &Rule)], ctx: &Ctx<'_>, phase: Phase) -> Vec<Evaluated> {
    let one = |rule: &Rule| -> Evaluated {
        let consequence = match phase {
            Phase::Pre => rule.spec.phases.pre,
            Phase::Post => rule.spec.phases.post,
        };
        let Some(consequence) = consequence else {
            return Evaluated::NotInPhase;
        };
        // A gap in karmada or the host leaves the whole rule unknown; gaps in members
        // only their part of it (see member_gaps).
        let mut member_gaps = Default::default();
        if !rule.check.handles_gaps() {
            let (members, rest) = split(hits(&rule.check.reads(), &ctx.inv.gaps));
            if let Some(o) = gap_outcome(&rest) {
                return Evaluated::Gap(Box::new(o));
            }
            member_gaps = members;
        }
        let mut outcomes = rule.check.run(ctx);
        if !member_gaps.is_empty() {
            outcomes = confine(outcomes, &member_gaps);
        }
        Evaluated::Ran(outcomes, consequence)
    };
    crate::par::map_ordered(rules, |(_, rule)| one(rule))
}

/// A rule's name, id, pack and hop as its findings carry them: made once per rule and
/// shared by every finding (a fleet-wide rule gives one per Cluster).
pub struct FindingNames {
    pub rule: RuleRef,
    pub hop: Option<Name>,
}

impl FindingNames {
    pub fn of(rule: &Rule) -> FindingNames {
        FindingNames {
            rule: RuleRef::new(&rule.spec.name, &rule.spec.id, &rule.spec.pack),
            hop: rule.spec.hop.map(|h| Name::from(h.label())),
        }
    }
}

fn finding(
    rule: &Rule,
    names: &FindingNames,
    o: Outcome,
    status: Status,
    severity: Option<Severity>,
) -> Finding {
    // One subject may be reported once per hop: the hop is part of its identity.
    let pointer = o.location.as_ref().map(|l| match &o.hop {
        Some(h) => std::borrow::Cow::Owned(format!("{}#{}", l.pointer, h.label())),
        None => std::borrow::Cow::Borrowed(&*l.pointer),
    });
    let fingerprint =
        Finding::compute_fingerprint(&rule.spec.name, o.object.as_ref(), pointer.as_deref());
    // An outcome of another hop than the rule's (hop-pack-known names each hop).
    let hop = match o.hop {
        Some(h) if Some(h) != rule.spec.hop => Some(Name::from(h.label())),
        _ => names.hop.clone(),
    };
    let mut remediation = o.remediation;
    if let Some(r) = remediation.as_mut().and_then(Arc::get_mut) {
        r.summary = tight(std::mem::take(&mut r.summary));
    }
    Finding {
        rule: names.rule.clone(),
        status,
        severity,
        message: tight(o.message),
        object: o.object,
        location: o.location,
        evidence: o.evidence,
        remediation,
        hop,
        suppressed_by: None,
        fingerprint,
    }
}

/// `s` in an allocation of its own size. `format!` sizes its string at twice its literal
/// text, so a message is often held in a block half again its length, and findings are
/// kept to the report: a fleet rule's 400k messages and remediations (1M objects) kept
/// 60 MB of such slack.
fn tight(s: String) -> String {
    if s.capacity() - s.len() > s.len() / 8 {
        s.as_str().to_owned()
    } else {
        s
    }
}
