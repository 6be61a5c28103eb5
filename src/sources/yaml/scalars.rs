//! Plain scalars typed the way Kubernetes reads them.

use crate::text::tree_writer::{Item, TreeWriter};

/// Resolve a plain scalar the way Kubernetes' YAML reader (go-yaml, YAML 1.1 rules)
/// does for the values that matter here: null, booleans (including yes/no/on/off),
/// integers and floats. Everything else stays a string (written into `w`).
pub(super) fn resolve_plain(s: &str, w: &mut TreeWriter) -> Item {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Item::null(),
        "true" | "True" | "TRUE" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" => {
            return Item::bool(true)
        }
        "false" | "False" | "FALSE" | "no" | "No" | "NO" | "off" | "Off" | "OFF" => {
            return Item::bool(false)
        }
        _ => {}
    }
    let first = s.as_bytes()[0];
    if !(first.is_ascii_digit() || first == b'-' || first == b'+' || first == b'.') {
        return w.string(s);
    }
    if let Ok(i) = s.parse::<i64>() {
        return Item::int(i);
    }
    if let Some(hex) = s.strip_prefix("0x") {
        if let Ok(i) = i64::from_str_radix(hex, 16) {
            return Item::int(i);
        }
    }
    if s.contains(['.', 'e', 'E']) && s.chars().all(|c| c.is_ascii_digit() || "+-.eE".contains(c)) {
        if let Ok(f) = s.parse::<f64>() {
            // serde_json has no NaN or infinity; those stay strings, as they did.
            if f.is_finite() {
                return Item::float(f);
            }
        }
    }
    w.string(s)
}
