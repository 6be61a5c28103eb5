//! Label and field selectors, the subset clients actually send.

use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Term {
    Eq(String, String),
    NotEq(String, String),
    Exists(String),
    NotExists(String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabelSelector {
    terms: Vec<Term>,
}

/// Splits on commas that are not inside `( )`, so `env in (a,b),tier` is two terms.
fn split_terms(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0i32, 0usize);
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out.into_iter()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .collect()
}

fn parse_set(s: &str) -> Option<Vec<String>> {
    let inner = s.trim().strip_prefix('(')?.strip_suffix(')')?;
    Some(
        inner
            .split(',')
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .collect(),
    )
}

fn valid_key(k: &str) -> bool {
    !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
}

impl LabelSelector {
    pub fn parse(s: &str) -> Result<LabelSelector, String> {
        let mut terms = Vec::new();
        for t in split_terms(s) {
            let term = if let Some((k, v)) = t.split_once("!=") {
                Term::NotEq(k.trim().into(), v.trim().into())
            } else if let Some((k, v)) = t.split_once("==") {
                Term::Eq(k.trim().into(), v.trim().into())
            } else if let Some((k, v)) = t.split_once('=') {
                Term::Eq(k.trim().into(), v.trim().into())
            } else if let Some(k) = t.strip_prefix('!') {
                Term::NotExists(k.trim().into())
            } else if let Some((k, set)) = t.split_once(" notin ") {
                Term::NotIn(k.trim().into(), parse_set(set).ok_or("bad set")?)
            } else if let Some((k, set)) = t.split_once(" in ") {
                Term::In(k.trim().into(), parse_set(set).ok_or("bad set")?)
            } else {
                Term::Exists(t.trim().into())
            };
            let key = match &term {
                Term::Eq(k, _)
                | Term::NotEq(k, _)
                | Term::Exists(k)
                | Term::NotExists(k)
                | Term::In(k, _)
                | Term::NotIn(k, _) => k,
            };
            if !valid_key(key) {
                return Err(format!(
                    "unable to parse requirement: invalid label key \"{key}\""
                ));
            }
            terms.push(term);
        }
        Ok(LabelSelector { terms })
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    pub fn matches(&self, obj: &Value) -> bool {
        let labels = obj.pointer("/metadata/labels");
        let get = |k: &str| labels.and_then(|l| l.get(k)).and_then(Value::as_str);
        self.terms.iter().all(|t| match t {
            Term::Eq(k, v) => get(k) == Some(v.as_str()),
            Term::NotEq(k, v) => get(k) != Some(v.as_str()),
            Term::Exists(k) => get(k).is_some(),
            Term::NotExists(k) => get(k).is_none(),
            Term::In(k, vs) => get(k).is_some_and(|x| vs.iter().any(|v| v == x)),
            Term::NotIn(k, vs) => !get(k).is_some_and(|x| vs.iter().any(|v| v == x)),
        })
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldSelector {
    // (field, value, negated)
    terms: Vec<(String, String, bool)>,
}

impl FieldSelector {
    pub fn parse(s: &str) -> Result<FieldSelector, String> {
        let mut terms = Vec::new();
        for t in split_terms(s) {
            let (field, value, neg) = if let Some((k, v)) = t.split_once("!=") {
                (k, v, true)
            } else if let Some((k, v)) = t.split_once("==") {
                (k, v, false)
            } else if let Some((k, v)) = t.split_once('=') {
                (k, v, false)
            } else {
                return Err(format!("invalid selector: '{t}'; can't understand '{t}'"));
            };
            let field = field.trim();
            if field != "metadata.name" && field != "metadata.namespace" {
                return Err(format!("field label not supported: {field}"));
            }
            terms.push((field.to_string(), value.trim().to_string(), neg));
        }
        Ok(FieldSelector { terms })
    }

    pub fn matches(&self, obj: &Value) -> bool {
        self.terms.iter().all(|(field, value, neg)| {
            let ptr = if field == "metadata.name" {
                "/metadata/name"
            } else {
                "/metadata/namespace"
            };
            let actual = obj.pointer(ptr).and_then(Value::as_str).unwrap_or("");
            (actual == value) != *neg
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn label_terms() {
        let o = json!({"metadata": {"labels": {"app": "web", "tier": "fe"}}});
        let ok = |s: &str| {
            LabelSelector::parse(s)
                .map(|l| l.matches(&o))
                .unwrap_or(false)
        };
        assert!(ok("app=web"));
        assert!(ok("app==web,tier"));
        assert!(ok("app!=db"));
        assert!(ok("!missing"));
        assert!(ok("app in (db, web),tier notin (be)"));
        assert!(!ok("app=db"));
        assert!(!ok("missing"));
        assert!(LabelSelector::parse("a b=c").is_err());
    }

    #[test]
    fn field_terms() {
        let o = json!({"metadata": {"name": "x", "namespace": "ns"}});
        let f = FieldSelector::parse("metadata.name=x,metadata.namespace!=other");
        assert!(f.is_ok_and(|f| f.matches(&o)));
        assert!(FieldSelector::parse("status.phase=Running").is_err());
    }
}
