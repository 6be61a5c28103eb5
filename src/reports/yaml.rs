//! The YAML report: the JSON report written by the YAML writer (`text::to_yaml`).

use serde_json::Value;

use super::Report;
use crate::text::to_yaml;

pub fn render(report: &Report) -> String {
    let v = serde_json::to_value(report).unwrap_or(Value::Null);
    to_yaml(&v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::yaml::parse_documents;
    use crate::sources::Limits;
    use serde_json::json;

    #[test]
    fn round_trips_tricky_values() {
        let v = json!({
            "a": "yes", "b": "1.20", "c": "--flag=x", "d": "", "e": "multi\nline", "f": [1, {"g": null, "h": [true]}],
            "i": "{{placeholder}}", "j": "a: b", "k": {}, "l": [], "m": "-", "n": "0755", "o": "v1.21.7",
            "p": "2026-11-28T18:00:00Z", "q": "1:20"
        });
        let text = to_yaml(&v);
        let mut docs = Vec::new();
        parse_documents(&text, &Limits::default(), |d| docs.push(d));
        assert_eq!(docs[0].value(), v, "{text}");
        // Timestamps are strings to every YAML reader, not only to ours.
        assert!(text.contains("p: \"2026-11-28T18:00:00Z\""), "{text}");
    }
}
