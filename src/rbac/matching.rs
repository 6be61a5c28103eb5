//! Does one PolicyRule allow one resource request? A line-by-line port of
//! `RuleAllows` (`plugin/pkg/auth/authorizer/rbac/rbac.go`) and the helpers in
//! `pkg/apis/rbac/v1/evaluation_helpers.go`; deviating here would make the preflight
//! disagree with the member cluster's API server.

use k8s_openapi::api::rbac::v1::PolicyRule;

use super::types::ResourceAttributes;

const ALL: &str = "*";

/// Whether `rule` allows the resource request `attrs`. Namespace is not considered here:
/// which bindings apply to a namespace is the index's job.
pub fn rule_allows(rule: &PolicyRule, attrs: &ResourceAttributes) -> bool {
    let subresource = attrs.subresource.as_deref().unwrap_or("");
    // Kubernetes joins resource and subresource with "/" and matches that string, so a
    // rule must name `pods/log` (or `*`, or `*/log`) to reach the `log` subresource.
    let combined = if subresource.is_empty() {
        attrs.resource.clone()
    } else {
        format!("{}/{}", attrs.resource, subresource)
    };
    verb_matches(rule, &attrs.verb)
        && api_group_matches(rule, &attrs.api_group)
        && resource_matches(rule, &combined, subresource)
        && resource_name_matches(rule, attrs.name.as_deref().unwrap_or(""))
}

fn list(field: &Option<Vec<String>>) -> &[String] {
    field.as_deref().unwrap_or(&[])
}

fn verb_matches(rule: &PolicyRule, verb: &str) -> bool {
    rule.verbs.iter().any(|v| v == ALL || v == verb)
}

fn api_group_matches(rule: &PolicyRule, group: &str) -> bool {
    list(&rule.api_groups)
        .iter()
        .any(|g| g == ALL || g == group)
}

fn resource_matches(rule: &PolicyRule, combined: &str, subresource: &str) -> bool {
    list(&rule.resources).iter().any(|r| {
        if r == ALL || r == combined {
            return true;
        }
        // Only the `*/<subresource>` wildcard form exists. `pods/*` is NOT a wildcard in
        // Kubernetes: it is compared literally and so never matches a real request.
        !subresource.is_empty() && r.strip_prefix("*/") == Some(subresource)
    })
}

fn resource_name_matches(rule: &PolicyRule, name: &str) -> bool {
    let names = list(&rule.resource_names);
    // An empty request name only matches an unrestricted rule: `resourceNames` narrows a
    // rule to those objects, and list/watch/collection requests name none.
    names.is_empty() || names.iter().any(|n| n == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(verbs: &[&str], groups: &[&str], resources: &[&str], names: &[&str]) -> PolicyRule {
        let v = |xs: &[&str]| Some(xs.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        PolicyRule {
            verbs: verbs.iter().map(|s| s.to_string()).collect(),
            api_groups: v(groups),
            resources: v(resources),
            resource_names: if names.is_empty() { None } else { v(names) },
            non_resource_urls: None,
        }
    }

    fn req(verb: &str, group: &str, resource: &str) -> ResourceAttributes {
        ResourceAttributes::cluster(verb, group, resource)
    }

    #[test]
    fn verbs_exact_or_star() {
        let r = rule(&["get", "list"], &[""], &["pods"], &[]);
        assert!(rule_allows(&r, &req("get", "", "pods")));
        assert!(!rule_allows(&r, &req("impersonate", "", "pods")));
        // Verbs are case-sensitive in Kubernetes.
        assert!(!rule_allows(&r, &req("GET", "", "pods")));
        let star = rule(&["*"], &[""], &["pods"], &[]);
        assert!(rule_allows(&star, &req("impersonate", "", "pods")));
    }

    #[test]
    fn api_group_exact_or_star() {
        let core = rule(&["*"], &[""], &["users"], &[]);
        assert!(rule_allows(&core, &req("impersonate", "", "users")));
        assert!(!rule_allows(&core, &req("impersonate", "apps", "users")));
        let any = rule(&["*"], &["*"], &["users"], &[]);
        assert!(rule_allows(&any, &req("impersonate", "apps", "users")));
        let missing = PolicyRule {
            api_groups: None,
            ..core.clone()
        };
        assert!(!rule_allows(&missing, &req("impersonate", "", "users")));
    }

    #[test]
    fn resource_forms() {
        let star = rule(&["*"], &["*"], &["*"], &[]);
        assert!(rule_allows(&star, &req("get", "", "pods")));
        assert!(rule_allows(
            &star,
            &req("get", "", "pods").with_subresource("log")
        ));

        let pods = rule(&["*"], &[""], &["pods"], &[]);
        assert!(rule_allows(&pods, &req("get", "", "pods")));
        // Granting a resource does not grant its subresources.
        assert!(!rule_allows(
            &pods,
            &req("get", "", "pods").with_subresource("log")
        ));

        let pods_log = rule(&["*"], &[""], &["pods/log"], &[]);
        assert!(rule_allows(
            &pods_log,
            &req("get", "", "pods").with_subresource("log")
        ));
        assert!(!rule_allows(&pods_log, &req("get", "", "pods")));

        let any_log = rule(&["*"], &[""], &["*/log"], &[]);
        assert!(rule_allows(
            &any_log,
            &req("get", "", "pods").with_subresource("log")
        ));
        assert!(!rule_allows(
            &any_log,
            &req("get", "", "pods").with_subresource("exec")
        ));
        assert!(!rule_allows(&any_log, &req("get", "", "pods")));

        // `users/*` is literal in Kubernetes: neither `users` nor any subresource.
        let users_slash_star = rule(&["*"], &[""], &["users/*"], &[]);
        assert!(!rule_allows(
            &users_slash_star,
            &req("impersonate", "", "users")
        ));
        assert!(!rule_allows(
            &users_slash_star,
            &req("get", "", "users").with_subresource("status")
        ));
    }

    #[test]
    fn resource_names_restrict() {
        let alice = rule(&["impersonate"], &[""], &["users"], &["alice"]);
        assert!(!rule_allows(&alice, &req("impersonate", "", "users")));
        assert!(!rule_allows(
            &alice,
            &req("impersonate", "", "users").named("bob")
        ));
        assert!(rule_allows(
            &alice,
            &req("impersonate", "", "users").named("alice")
        ));
        // An empty name is the same as no name.
        assert!(!rule_allows(
            &alice,
            &req("impersonate", "", "users").named("")
        ));
    }

    #[test]
    fn non_resource_rules_do_not_match_resource_requests() {
        let r = PolicyRule {
            verbs: vec!["*".into()],
            non_resource_urls: Some(vec!["*".into()]),
            ..Default::default()
        };
        assert!(!rule_allows(&r, &req("get", "", "pods")));
    }
}
