//! Plain scalars typed the way Kubernetes reads them.

use serde_json::{Number, Value};

/// Resolve a plain scalar the way Kubernetes' YAML reader (go-yaml, YAML 1.1 rules)
/// does for the values that matter here: null, booleans (including yes/no/on/off),
/// integers and floats. Everything else stays a string.
pub(super) fn resolve_plain(s: &str) -> Value {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" => {
            return Value::Bool(true)
        }
        "false" | "False" | "FALSE" | "no" | "No" | "NO" | "off" | "Off" | "OFF" => {
            return Value::Bool(false)
        }
        _ => {}
    }
    let first = s.as_bytes()[0];
    if !(first.is_ascii_digit() || first == b'-' || first == b'+' || first == b'.') {
        return Value::String(s.to_string());
    }
    if let Ok(i) = s.parse::<i64>() {
        return Value::Number(i.into());
    }
    if let Some(hex) = s.strip_prefix("0x") {
        if let Ok(i) = i64::from_str_radix(hex, 16) {
            return Value::Number(i.into());
        }
    }
    if s.contains(['.', 'e', 'E']) && s.chars().all(|c| c.is_ascii_digit() || "+-.eE".contains(c)) {
        if let Ok(f) = s.parse::<f64>() {
            if let Some(n) = Number::from_f64(f) {
                return Value::Number(n);
            }
        }
    }
    Value::String(s.to_string())
}
