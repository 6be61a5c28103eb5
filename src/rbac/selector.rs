//! Label selectors as `metav1.LabelSelectorAsSelector` interprets them, for
//! `aggregationRule.clusterRoleSelectors`.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Requirement {
    Equals(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    DoesNotExist(String),
}

/// A validated selector. All requirements must hold (they are ANDed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Selector {
    requirements: Vec<Requirement>,
}

impl Selector {
    /// Validates like `LabelSelectorAsSelector`: an unknown operator, `In`/`NotIn` without
    /// values, or `Exists`/`DoesNotExist` with values is an error. The aggregation controller
    /// aborts the whole sync of a ClusterRole on such an error, so callers must not
    /// aggregate anything for that role.
    pub(crate) fn compile(sel: &LabelSelector) -> Result<Selector, String> {
        let mut requirements = Vec::new();
        for (k, v) in sel.match_labels.iter().flatten() {
            requirements.push(Requirement::Equals(k.clone(), v.clone()));
        }
        for expr in sel.match_expressions.iter().flatten() {
            let values = expr.values.clone().unwrap_or_default();
            let key = expr.key.clone();
            let req = match expr.operator.as_str() {
                "In" | "NotIn" if values.is_empty() => {
                    return Err(format!(
                        "matchExpressions key {key:?}: operator {} requires at least one value",
                        expr.operator
                    ));
                }
                "Exists" | "DoesNotExist" if !values.is_empty() => {
                    return Err(format!(
                        "matchExpressions key {key:?}: operator {} must not have values",
                        expr.operator
                    ));
                }
                "In" => Requirement::In(key, values),
                "NotIn" => Requirement::NotIn(key, values),
                "Exists" => Requirement::Exists(key),
                "DoesNotExist" => Requirement::DoesNotExist(key),
                other => {
                    return Err(format!(
                        "matchExpressions key {key:?}: unknown operator {other:?}"
                    ));
                }
            };
            requirements.push(req);
        }
        Ok(Selector { requirements })
    }

    /// A selector with neither matchLabels nor matchExpressions selects everything
    /// (`labels.Everything()`), which in an aggregationRule means every ClusterRole.
    pub(crate) fn selects_everything(&self) -> bool {
        self.requirements.is_empty()
    }

    pub(crate) fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.requirements.iter().all(|req| match req {
            Requirement::Equals(k, v) => labels.get(k) == Some(v),
            Requirement::In(k, vs) => labels.get(k).is_some_and(|l| vs.contains(l)),
            // NotIn matches objects that lack the key entirely, as in k8s.io/apimachinery.
            Requirement::NotIn(k, vs) => labels.get(k).is_none_or(|l| !vs.contains(l)),
            Requirement::Exists(k) => labels.contains_key(k),
            Requirement::DoesNotExist(k) => !labels.contains_key(k),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelectorRequirement;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn expr(key: &str, op: &str, values: &[&str]) -> LabelSelectorRequirement {
        LabelSelectorRequirement {
            key: key.into(),
            operator: op.into(),
            values: if values.is_empty() {
                None
            } else {
                Some(values.iter().map(|s| s.to_string()).collect())
            },
        }
    }

    fn with_exprs(exprs: Vec<LabelSelectorRequirement>) -> Selector {
        Selector::compile(&LabelSelector {
            match_expressions: Some(exprs),
            match_labels: None,
        })
        .expect("valid selector")
    }

    #[test]
    fn match_labels_require_every_pair() {
        let sel = Selector::compile(&LabelSelector {
            match_labels: Some(labels(&[("a", "1"), ("b", "2")])),
            match_expressions: None,
        })
        .unwrap();
        assert!(sel.matches(&labels(&[("a", "1"), ("b", "2"), ("c", "3")])));
        assert!(!sel.matches(&labels(&[("a", "1")])));
        assert!(!sel.matches(&labels(&[("a", "1"), ("b", "x")])));
    }

    #[test]
    fn operators() {
        let l = labels(&[("tier", "agent"), ("team", "karmada")]);
        assert!(with_exprs(vec![expr("tier", "In", &["agent", "x"])]).matches(&l));
        assert!(!with_exprs(vec![expr("tier", "In", &["x"])]).matches(&l));
        assert!(!with_exprs(vec![expr("missing", "In", &["x"])]).matches(&l));
        assert!(with_exprs(vec![expr("tier", "NotIn", &["x"])]).matches(&l));
        assert!(!with_exprs(vec![expr("tier", "NotIn", &["agent"])]).matches(&l));
        assert!(with_exprs(vec![expr("missing", "NotIn", &["agent"])]).matches(&l));
        assert!(with_exprs(vec![expr("team", "Exists", &[])]).matches(&l));
        assert!(!with_exprs(vec![expr("missing", "Exists", &[])]).matches(&l));
        assert!(with_exprs(vec![expr("missing", "DoesNotExist", &[])]).matches(&l));
        assert!(!with_exprs(vec![expr("team", "DoesNotExist", &[])]).matches(&l));
        // Requirements are ANDed.
        assert!(!with_exprs(vec![
            expr("team", "Exists", &[]),
            expr("tier", "In", &["x"])
        ])
        .matches(&l));
    }

    #[test]
    fn empty_selector_selects_everything() {
        let sel = Selector::compile(&LabelSelector::default()).unwrap();
        assert!(sel.selects_everything());
        assert!(sel.matches(&labels(&[])));
        assert!(sel.matches(&labels(&[("x", "y")])));
    }

    #[test]
    fn invalid_selectors_are_errors() {
        for e in [
            expr("k", "In", &[]),
            expr("k", "NotIn", &[]),
            expr("k", "Exists", &["v"]),
            expr("k", "DoesNotExist", &["v"]),
            expr("k", "in", &["v"]),
            expr("k", "Gt", &["1"]),
        ] {
            let sel = LabelSelector {
                match_expressions: Some(vec![e.clone()]),
                match_labels: None,
            };
            assert!(Selector::compile(&sel).is_err(), "{e:?} should be rejected");
        }
    }
}
