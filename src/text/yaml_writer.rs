//! A small YAML emitter for JSON values (block style). Strings that YAML could read as
//! anything else are double-quoted, so what we write reads back as what we meant, in
//! YAML 1.1 (Kubernetes) and 1.2 alike.

use serde_json::Value;

pub fn to_yaml(v: &Value) -> String {
    let mut out = String::new();
    match v {
        Value::Object(m) if !m.is_empty() => write_map(&mut out, m, 0),
        Value::Array(a) if !a.is_empty() => write_seq(&mut out, a, 0),
        other => {
            out.push_str(&scalar(other));
            out.push('\n');
        }
    }
    out
}

fn indent(out: &mut String, n: usize) {
    for _ in 0..n {
        out.push(' ');
    }
}

fn write_map(out: &mut String, m: &serde_json::Map<String, Value>, ind: usize) {
    for (k, v) in m {
        indent(out, ind);
        out.push_str(&quote_if_needed(k));
        out.push(':');
        write_value_after_key(out, v, ind);
    }
}

fn write_value_after_key(out: &mut String, v: &Value, ind: usize) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            out.push('\n');
            write_map(out, m, ind + 2);
        }
        Value::Array(a) if !a.is_empty() => {
            out.push('\n');
            write_seq(out, a, ind);
        }
        other => {
            out.push(' ');
            out.push_str(&scalar(other));
            out.push('\n');
        }
    }
}

fn write_seq(out: &mut String, a: &[Value], ind: usize) {
    for v in a {
        indent(out, ind);
        out.push('-');
        match v {
            Value::Object(m) if !m.is_empty() => {
                // First key on the dash line, the rest aligned under it.
                let mut first = true;
                for (k, val) in m {
                    if first {
                        out.push(' ');
                        first = false;
                    } else {
                        indent(out, ind + 2);
                    }
                    out.push_str(&quote_if_needed(k));
                    out.push(':');
                    write_value_after_key(out, val, ind + 2);
                }
            }
            Value::Array(inner) if !inner.is_empty() => {
                out.push('\n');
                write_seq(out, inner, ind + 2);
            }
            other => {
                out.push(' ');
                out.push_str(&scalar(other));
                out.push('\n');
            }
        }
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => quote_if_needed(s),
        Value::Array(_) => "[]".into(),
        Value::Object(_) => "{}".into(),
    }
}

fn quote_if_needed(s: &str) -> String {
    if needs_quotes(s) {
        serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
    } else {
        s.to_string()
    }
}

fn needs_quotes(s: &str) -> bool {
    if s.is_empty() || s.trim() != s {
        return true;
    }
    let lower = s.to_ascii_lowercase();
    if matches!(
        lower.as_str(),
        "null"
            | "~"
            | "true"
            | "false"
            | "yes"
            | "no"
            | "on"
            | "off"
            | "y"
            | "n"
            | ".inf"
            | "-.inf"
            | ".nan"
    ) {
        return true;
    }
    let first = s.chars().next().unwrap_or(' ');
    // YAML 1.1 reads 2026-11-28T18:00:00Z as a timestamp and 1:20 as a base-60 number.
    if first.is_ascii_digit()
        && (s.contains('-') || s.contains(':'))
        && s.chars()
            .all(|c| c.is_ascii_digit() || "-:.TtZz+ ".contains(c))
    {
        return true;
    }
    if first.is_ascii_digit()
        || "-+.".contains(first)
            && s.len() > 1
            && s[1..].starts_with(|c: char| c.is_ascii_digit() || c == '.')
    {
        // Numbers, dates, versions like 1.20: quote anything number-like.
        if s.chars()
            .all(|c| c.is_ascii_digit() || "+-.eE_:xXoObB".contains(c) || c.is_ascii_hexdigit())
        {
            return true;
        }
    }
    if "!&*?|>'\"%@`{}[],#-:".contains(first)
        && !(first == '-' && s.len() > 1 && !s[1..].starts_with(' '))
    {
        return true;
    }
    s.contains(": ")
        || s.contains(" #")
        || s.ends_with(':')
        || s.contains('\n')
        || s.contains('\t')
        || s.chars().any(|c| c.is_control())
}
