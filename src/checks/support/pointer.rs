//! JSON pointers whose segments may be `*` (every array item or map key), resolved
//! against an object: one rule reaches `/spec/placement/clusterTolerations/*/operator`.

use serde_json::Value;

/// Unescape one JSON-pointer segment (`~1` is `/`, `~0` is `~`).
pub fn unescape(seg: &str) -> String {
    seg.replace("~1", "/").replace("~0", "~")
}

pub fn escape(seg: &str) -> String {
    seg.replace('~', "~0").replace('/', "~1")
}

/// Every concrete pointer under `v` matching `pattern` segments, with its value.
pub fn walk<'a>(v: &'a Value, pattern: &[&str], at: String, out: &mut Vec<(String, &'a Value)>) {
    let Some((first, rest)) = pattern.split_first() else {
        out.push((at, v));
        return;
    };
    match (v, *first) {
        (Value::Object(m), "*") => {
            for (k, child) in m {
                walk(child, rest, format!("{at}/{}", escape(k)), out);
            }
        }
        (Value::Array(a), "*") => {
            for (i, child) in a.iter().enumerate() {
                walk(child, rest, format!("{at}/{i}"), out);
            }
        }
        (Value::Object(m), seg) => {
            if let Some(child) = m.get(&unescape(seg)) {
                walk(child, rest, format!("{at}/{seg}"), out);
            }
        }
        (Value::Array(a), seg) => {
            if let Some(child) = seg.parse::<usize>().ok().and_then(|i| a.get(i)) {
                walk(child, rest, format!("{at}/{seg}"), out);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn wildcards_reach_every_item_and_escaped_keys() {
        let v = json!({"spec": {"t": [{"op": "Lt"}, {"op": "Exists"}]},
                       "metadata": {"labels": {"a.io/x": "1"}}});
        let mut out = Vec::new();
        walk(&v, &["spec", "t", "*", "op"], String::new(), &mut out);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].0, "/spec/t/0/op");
        let mut out = Vec::new();
        walk(
            &v,
            &["metadata", "labels", "a.io~1x"],
            String::new(),
            &mut out,
        );
        assert_eq!(out[0].0, "/metadata/labels/a.io~1x");
    }
}
