//! `--rule NAME|ID`: the one rule filter the catalog, the live plan and the engine use,
//! so a rule selected for collection is the rule that runs. Names and ids match in any
//! case (`kp1003`, `KP1003`, `Apiserver-Front-Proxy-Flags`).

use super::catalog::{Catalog, Rule};
use super::spec::RuleSpec;
use crate::checks::ReadScope;
use crate::sources::live::plan::Plan;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleFilter {
    /// Rule names or ids as given; empty = every rule.
    only: Vec<String>,
}

impl RuleFilter {
    pub fn new(only: &[String]) -> RuleFilter {
        RuleFilter {
            only: only.to_vec(),
        }
    }

    /// Whether the rule is selected.
    pub fn matches(&self, spec: &RuleSpec) -> bool {
        self.only.is_empty() || self.only.iter().any(|o| names(spec, o))
    }

    /// The names given that select no rule of `catalog` (a typo must not run nothing
    /// and exit 0).
    pub fn unknown<'a>(&'a self, catalog: &Catalog) -> Vec<&'a str> {
        self.only
            .iter()
            .filter(|o| !catalog.rules.iter().any(|r| names(&r.spec, o)))
            .map(String::as_str)
            .collect()
    }

    /// The selected rules, in catalog order.
    pub fn select<'c>(&self, catalog: &'c Catalog) -> impl Iterator<Item = &'c Rule> + use<'c, '_> {
        catalog.rules.iter().filter(move |r| self.matches(&r.spec))
    }

    /// The kinds the selected rules read, per kind of scope: what a live run lists.
    pub fn live_plan(&self, catalog: &Catalog) -> Plan {
        let mut plan = Plan::default();
        for r in self.select(catalog).flat_map(|r| r.check.reads()) {
            let set = match r.scope {
                ReadScope::Karmada => &mut plan.karmada,
                ReadScope::Host => &mut plan.host,
                ReadScope::Member => &mut plan.member,
            };
            // `*` (a cel rule matching by apiVersion alone) is no kind a server lists:
            // such a rule judges the objects the other reads bring, and discovery must not
            // report a kind `*` as not served (that would read as "none exist").
            if r.kind != "*" {
                set.insert(r.kind.to_string());
            }
        }
        plan
    }
}

/// `given` is the rule's name or id, in any case.
pub fn names(spec: &RuleSpec, given: &str) -> bool {
    spec.name.eq_ignore_ascii_case(given) || spec.id.eq_ignore_ascii_case(given)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_live_plan_lists_kinds_never_a_wildcard() {
        let cat = Catalog::embedded().expect("bundled rules compile");
        assert!(
            cat.kinds_read().contains("*"),
            "a cel rule matching by apiVersion"
        );
        let plan = RuleFilter::new(&[]).live_plan(&cat);
        for kinds in [&plan.karmada, &plan.host, &plan.member] {
            assert!(!kinds.contains("*"), "{kinds:?}");
        }
        assert!(plan.karmada.contains("PropagationPolicy"));
    }

    #[test]
    fn ids_and_names_match_in_any_case_and_typos_are_reported() {
        let cat = Catalog::embedded().expect("bundled rules compile");
        let f = RuleFilter::new(&["kp1003".into(), "Cluster-CRD-Removed".into(), "nope".into()]);
        let picked: Vec<&str> = f.select(&cat).map(|r| r.spec.id.as_str()).collect();
        assert_eq!(picked, vec!["KP1001", "KP1003"]);
        assert_eq!(f.unknown(&cat), vec!["nope"]);
        assert!(RuleFilter::default().select(&cat).count() == cat.rules.len());
    }

    #[test]
    fn the_live_plan_lists_what_the_selected_rules_read() {
        let cat = Catalog::embedded().expect("bundled rules compile");
        let plan = RuleFilter::new(&["KP1001".into()]).live_plan(&cat);
        assert_eq!(
            plan.karmada.iter().map(String::as_str).collect::<Vec<_>>(),
            vec!["CustomResourceDefinition"]
        );
        assert_eq!(
            plan.host.iter().map(String::as_str).collect::<Vec<_>>(),
            vec!["Deployment"]
        );
        assert!(plan.member.is_empty());
    }
}
