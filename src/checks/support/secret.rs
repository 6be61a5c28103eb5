//! Reading one key of a Secret without ever letting its value escape: callers get the
//! decoded bytes to analyse, or a reason that names the key and JSON pointer only.

use base64::Engine as _;
use serde_json::Value;

use crate::inventory::workload::{json_type, ContainerRef, SecretFile};
use crate::inventory::{Inventory, Object, ScopeSel};

/// What one Secret key holds.
pub enum KeyValue {
    /// Decoded bytes (base64 `data`, or `stringData` as written).
    Present(Vec<u8>),
    /// The key is not in `data` nor `stringData`.
    Missing,
    /// Present but empty.
    Empty,
    /// An unrendered template such as `{{front_proxy_ca_crt}}`. Its text is never kept:
    /// `{{` can sit inside a real value (a password, a key), so messages name the key only.
    Placeholder,
    /// Wrong type or not base64; the message names the pointer, never the value.
    Unreadable(String),
}

impl std::fmt::Debug for KeyValue {
    // Never print decoded Secret bytes.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeyValue::Present(b) => write!(f, "Present(<{} bytes redacted>)", b.len()),
            KeyValue::Missing => f.write_str("Missing"),
            KeyValue::Empty => f.write_str("Empty"),
            KeyValue::Placeholder => f.write_str("Placeholder"),
            KeyValue::Unreadable(m) => write!(f, "Unreadable({m:?})"),
        }
    }
}

/// JSON pointer escaping for a Secret key (`a/b` and `~` are legal in neither, but be exact).
pub fn key_pointer(field: &str, key: &str) -> String {
    format!("/{field}/{}", key.replace('~', "~0").replace('/', "~1"))
}

/// A placeholder left by a template engine or sed step: `{{ ... }}` anywhere in the value.
pub fn looks_like_placeholder(s: &str) -> bool {
    s.contains("{{") && s.contains("}}")
}

/// Read `key` of Secret `obj`. `stringData` wins over `data`, as the API server merges it
/// on write. Returns the value and the pointer of the field it came from (or of the
/// Secret's `data` when missing).
pub fn read_key(obj: &Object, key: &str) -> (KeyValue, String) {
    for field in ["stringData", "data"] {
        let ptr = key_pointer(field, key);
        let map = match obj.at(&format!("/{field}")) {
            None | Some(Value::Null) => continue,
            Some(Value::Object(m)) => m,
            Some(other) => {
                return (
                    KeyValue::Unreadable(format!(
                        "/{field} is {}, expected a mapping",
                        json_type(other)
                    )),
                    format!("/{field}"),
                )
            }
        };
        let Some(v) = map.get(key) else { continue };
        let s = match v {
            Value::String(s) => s,
            Value::Null => return (KeyValue::Empty, ptr),
            other => {
                return (
                    KeyValue::Unreadable(format!(
                        "{ptr} is {}, expected a string",
                        json_type(other)
                    )),
                    ptr,
                )
            }
        };
        if s.trim().is_empty() {
            return (KeyValue::Empty, ptr);
        }
        if looks_like_placeholder(s) {
            return (KeyValue::Placeholder, ptr);
        }
        if field == "stringData" {
            return (KeyValue::Present(s.as_bytes().to_vec()), ptr);
        }
        // `data` is base64; YAML block scalars add newlines and people wrap long lines.
        let compact: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        return match base64::engine::general_purpose::STANDARD.decode(compact.as_bytes()) {
            Ok(b) if b.is_empty() => (KeyValue::Empty, ptr),
            Ok(b) => (KeyValue::Present(b), ptr),
            Err(_) => (
                KeyValue::Unreadable(format!("{ptr} is not valid base64")),
                ptr,
            ),
        };
    }
    let ptr = if obj.at("/data").is_some() {
        "/data"
    } else {
        "/metadata/name"
    };
    (KeyValue::Missing, ptr.to_string())
}

/// The Secret a workload's volume refers to, looked up in the same namespace.
pub fn find_secret<'a>(inv: &'a Inventory, workload: &Object, name: &str) -> Option<&'a Object> {
    static HOST: ScopeSel = ScopeSel::Host;
    inv.get("Secret", &HOST, workload.namespace(), name)
}

/// A file inside a container traced to its Secret key, with the value read.
pub struct TracedFile<'a> {
    pub path: String,
    pub source: Option<SecretFile>,
    pub secret: Option<&'a Object>,
    pub value: KeyValue,
    /// Pointer inside `secret` of the key (or its `data`).
    pub pointer: String,
}

/// Follow `path` in container `c` to a Secret key and read it.
pub fn trace_file<'a>(inv: &'a Inventory, c: &ContainerRef<'_>, path: &str) -> TracedFile<'a> {
    let source = c.secret_for_path(path);
    let secret = source
        .as_ref()
        .and_then(|s| find_secret(inv, c.object, &s.secret_name));
    let (value, pointer) = match (&source, secret) {
        (Some(sf), Some(obj)) => read_key(obj, &sf.key),
        _ => (KeyValue::Missing, String::new()),
    };
    TracedFile {
        path: path.to_string(),
        source,
        secret,
        value,
        pointer,
    }
}
