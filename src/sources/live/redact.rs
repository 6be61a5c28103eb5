//! Secret values never leave the collector: every Secret key except the public
//! certificates the rules read (`*.crt`, `ca.crt`, `caBundle`) becomes
//! `REDACTED sha256:<hex>` (the fingerprint of the decoded value, so two snapshots can
//! still tell whether a key changed). The same happens to any string of any object that
//! holds key material, found by content (PEM, pkcs12 text, DER, kubeconfig
//! `client-key-data`, in any base64 or JSON wrapping): keys kept in a certificate's
//! field, a ConfigMap, an annotation, an env var or an argument.

use base64::Engine;
use serde_json::Value;
use sha2::{Digest, Sha256};

pub const MARKER: &str = "REDACTED sha256:";

/// Keys whose values are public certificates the rules need.
pub fn is_public_key(key: &str) -> bool {
    key.ends_with(".crt") || key == "caBundle" || key.ends_with(".pem") && !key.contains("key")
}

fn fingerprint(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("{MARKER}{hex}")
}

/// Key material by content, however wrapped (see [`crate::sources::key_material`]).
fn holds_private_key(s: &str) -> bool {
    crate::sources::key_material::holds_key_material(s)
}

/// Redact a live object in place.
pub fn redact(obj: &mut Value) {
    // Server bookkeeping, never read by rules, and large.
    if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.remove("managedFields");
    }
    if obj.get("kind").and_then(Value::as_str) == Some("Secret") {
        // kubectl apply keeps the whole Secret, values included, in this annotation.
        if let Some(ann) = obj
            .pointer_mut("/metadata/annotations")
            .and_then(Value::as_object_mut)
        {
            if let Some(v) = ann.get_mut("kubectl.kubernetes.io/last-applied-configuration") {
                let text = v.as_str().unwrap_or("").to_string();
                *v = Value::String(fingerprint(text.as_bytes()));
            }
        }
        for field in ["data", "stringData"] {
            let Some(map) = obj.get_mut(field).and_then(Value::as_object_mut) else {
                continue;
            };
            for (k, v) in map.iter_mut() {
                if is_public_key(k) && !v.as_str().is_some_and(holds_private_key) {
                    continue;
                }
                let raw = match (field, v.as_str()) {
                    ("data", Some(s)) => base64::engine::general_purpose::STANDARD
                        .decode(s.as_bytes())
                        .unwrap_or_else(|_| s.as_bytes().to_vec()),
                    (_, Some(s)) => s.as_bytes().to_vec(),
                    (_, None) => v.to_string().into_bytes(),
                };
                *v = Value::String(fingerprint(&raw));
            }
        }
    }
    scrub(obj);
}

fn scrub(v: &mut Value) {
    match v {
        Value::String(s) if holds_private_key(s) => *s = fingerprint(s.as_bytes()),
        Value::Array(a) => a.iter_mut().for_each(scrub),
        Value::Object(m) => {
            // A key can be the material too (a data key named after its value).
            if m.keys().any(|k| holds_private_key(k)) {
                *m = std::mem::take(m)
                    .into_iter()
                    .map(|(k, v)| {
                        if holds_private_key(&k) {
                            (fingerprint(k.as_bytes()), v)
                        } else {
                            (k, v)
                        }
                    })
                    .collect();
            }
            m.values_mut().for_each(scrub)
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keeps_certificates_and_redacts_the_rest() {
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        let key = "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n";
        let mut s = json!({
            "apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "x", "annotations": {"kubectl.kubernetes.io/last-applied-configuration": key}},
            "data": {"ca.crt": b64("CERT"), "server.key": b64(key), "token": b64("t"), "bad.crt": b64(key)},
            "stringData": {"password": "hunter2"}
        });
        redact(&mut s);
        assert_eq!(s["data"]["ca.crt"], b64("CERT"));
        for k in ["server.key", "token", "bad.crt"] {
            assert!(s["data"][k].as_str().unwrap().starts_with(MARKER), "{k}");
        }
        assert!(s["stringData"]["password"]
            .as_str()
            .unwrap()
            .starts_with(MARKER));
        let text = s.to_string();
        assert!(
            !text.contains("PRIVATE KEY") && !text.contains(&b64(key)) && !text.contains("hunter2")
        );
    }

    #[test]
    fn scrubs_keys_outside_secrets() {
        let mut cm = json!({"kind": "ConfigMap", "data": {"kubeconfig": "client-key-data: x\n-----BEGIN RSA PRIVATE KEY-----\nabc"}});
        redact(&mut cm);
        assert!(cm["data"]["kubeconfig"]
            .as_str()
            .unwrap()
            .starts_with(MARKER));
    }
}
