//! Gaps belong to their member. A rule over the whole fleet (agent RBAC in every member,
//! member CEL rules, member version rules) that meets a read gap in member `edge` still
//! runs: what it says about the readable members stands, and only what it says about
//! `edge` becomes `unknown`, naming the failed reads. A gap in karmada-apiserver or the
//! host still makes the whole rule unknown (the engine's [`gap_outcome`]).

use std::collections::BTreeMap;

use crate::checks::{Outcome, Read, Verdict};
use crate::findings::Evidence;
use crate::inventory::{Gap, ObjectRef, Scope};

/// The gaps that meet a rule's reads.
pub fn hits<'g>(reads: &[Read], gaps: &'g [Gap]) -> Vec<&'g Gap> {
    gaps.iter()
        .filter(|g| {
            reads
                .iter()
                .any(|r| r.kind == g.kind && r.scope.covers(&g.scope))
        })
        .collect()
}

/// Gaps per member name (the rest: karmada and host gaps, which leave the whole rule
/// unknown).
pub fn split(hits: Vec<&Gap>) -> (BTreeMap<String, Vec<&Gap>>, Vec<&Gap>) {
    let mut members: BTreeMap<String, Vec<&Gap>> = BTreeMap::new();
    let mut rest = Vec::new();
    for g in hits {
        match &g.scope {
            Scope::Member(n) => members.entry(n.to_string()).or_default().push(g),
            _ => rest.push(g),
        }
    }
    (members, rest)
}

/// The reads that could not be made, as one unknown outcome naming each
/// (e.g. `cannot list secrets in karmada-system: forbidden`).
pub fn gap_outcome(hit: &[&Gap]) -> Option<Outcome> {
    if hit.is_empty() {
        return None;
    }
    let mut reasons: Vec<String> = hit
        .iter()
        .map(|g| format!("{} ({})", g.reason, g.scope))
        .collect();
    reasons.dedup();
    let mut o = Outcome::unknown(format!(
        "could not read what this rule needs: {}",
        reasons.join("; ")
    ));
    o.evidence = hit
        .iter()
        .map(|g| Evidence {
            status: None,
            message: format!(
                "{}: {} {} in cluster {}",
                g.scope, g.verb, g.kind, g.cluster
            ),
            location: None,
        })
        .collect();
    Some(o)
}

/// The member an outcome is about: its object is in that member, or is the member's
/// `Cluster` in karmada-apiserver (version rules judge members by their Cluster).
fn member_of(o: &Outcome) -> Option<&str> {
    let r = o.object.as_ref()?;
    match r.scope() {
        Scope::Member(n) => Some(n),
        Scope::Karmada
            if r.kind() == "Cluster" && r.api_version().starts_with("cluster.karmada.io/") =>
        {
            Some(&r.name)
        }
        _ => None,
    }
}

/// What a member's part of a rule is about when the rule said nothing about it: the
/// member cluster itself.
fn member_subject(member: &str) -> ObjectRef {
    ObjectRef::new(Scope::Member(member.into()), "", "Cluster", None, member)
}

/// Make the outcomes about each gapped member unknown, naming its failed reads, and give
/// every gapped member the rule said nothing about an unknown outcome of its own. The
/// outcomes about readable members, and those about no member, are kept as they are.
pub fn confine(outcomes: Vec<Outcome>, gapped: &BTreeMap<String, Vec<&Gap>>) -> Vec<Outcome> {
    let mut covered: Vec<&str> = Vec::new();
    let mut out = Vec::with_capacity(outcomes.len() + gapped.len());
    for o in outcomes {
        let Some((member, gaps)) = member_of(&o).and_then(|m| gapped.get_key_value(m)) else {
            out.push(o);
            continue;
        };
        covered.push(member);
        if o.verdict == Verdict::Unknown {
            out.push(o);
            continue;
        }
        if let Some(mut u) = gap_outcome(gaps) {
            u.object = o.object;
            u.location = o.location;
            out.push(u);
        }
    }
    for (member, gaps) in gapped {
        if covered.contains(&member.as_str()) {
            continue;
        }
        if let Some(u) = gap_outcome(gaps) {
            out.push(u.about(member_subject(member)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::{read, ReadScope};
    use crate::inventory::GapCause;

    fn gap(scope: Scope, kind: &str) -> Gap {
        Gap {
            scope: scope.clone(),
            kind: kind.into(),
            verb: "list".into(),
            resource: "clusterroles.rbac.authorization.k8s.io".into(),
            namespace: None,
            cluster: format!("{scope}"),
            cause: GapCause::Forbidden,
            reason: "cannot list clusterroles.rbac.authorization.k8s.io cluster-wide: forbidden"
                .into(),
        }
    }

    fn about_member(verdict: Verdict, member: &str) -> Outcome {
        let mut o = match verdict {
            Verdict::Pass => Outcome::pass("fine"),
            _ => Outcome::violation("missing"),
        };
        o.object = Some(ObjectRef::new(
            Scope::Member(member.into()),
            "rbac.authorization.k8s.io/v1",
            "ClusterRole",
            None,
            "karmada-agent",
        ));
        o
    }

    #[test]
    fn only_the_gapped_members_part_becomes_unknown() {
        let gaps = vec![
            gap(Scope::Member("m2".into()), "ClusterRole"),
            gap(Scope::Member("m3".into()), "ClusterRole"),
            // Not read by the rule: ignored.
            gap(Scope::Member("m1".into()), "Secret"),
        ];
        let reads = [read("ClusterRole", ReadScope::Member)];
        let (members, rest) = split(hits(&reads, &gaps));
        assert!(rest.is_empty());
        assert_eq!(members.keys().collect::<Vec<_>>(), ["m2", "m3"]);
        let outcomes = vec![
            about_member(Verdict::Pass, "m1"),
            about_member(Verdict::Violation, "m2"),
        ];
        let out = confine(outcomes, &members);
        let got: Vec<(Verdict, String)> = out
            .iter()
            .map(|o| (o.verdict, o.object.as_ref().unwrap().scope().to_string()))
            .collect();
        assert_eq!(
            got,
            [
                (Verdict::Pass, "member/m1".to_string()),
                (Verdict::Unknown, "member/m2".to_string()),
                (Verdict::Unknown, "member/m3".to_string()),
            ]
        );
        assert!(
            out[1].message.contains("forbidden (member/m2)"),
            "{}",
            out[1].message
        );
    }

    #[test]
    fn a_karmada_gap_is_not_a_members() {
        let gaps = vec![gap(Scope::Karmada, "Cluster")];
        let reads = [read("Cluster", ReadScope::Karmada)];
        let (members, rest) = split(hits(&reads, &gaps));
        assert!(members.is_empty());
        assert_eq!(rest.len(), 1);
        assert!(gap_outcome(&rest).is_some());
    }
}
