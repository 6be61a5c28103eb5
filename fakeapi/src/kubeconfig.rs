//! Kubeconfig rendering: one cluster/user/context triple per simulated cluster.

use base64::Engine;

use crate::tls::ClientIdentity;

pub struct Entry<'a> {
    pub context: &'a str,
    pub server: String,
    pub identity: &'a ClientIdentity,
    pub token: Option<&'a str>,
}

/// Names and URLs are emitted as JSON strings, which YAML reads as double-quoted
/// scalars; that keeps odd context names (`a:b`, `#x`) from changing the structure.
pub fn render(ca_pem: &str, entries: &[Entry<'_>]) -> String {
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s.as_bytes());
    let q = |s: &str| serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_string());
    let mut out = String::from("apiVersion: v1\nkind: Config\npreferences: {}\n");
    let current = entries.first().map(|e| e.context).unwrap_or_default();
    out.push_str(&format!("current-context: {}\n", q(current)));
    out.push_str("clusters:\n");
    for e in entries {
        out.push_str(&format!(
            "- name: {}\n  cluster:\n    server: {}\n    certificate-authority-data: {}\n",
            q(e.context),
            q(&e.server),
            b64(ca_pem)
        ));
    }
    out.push_str("users:\n");
    for e in entries {
        out.push_str(&format!(
            "- name: {}\n  user:\n    client-certificate-data: {}\n    client-key-data: {}\n",
            q(e.context),
            b64(&e.identity.cert_pem),
            b64(&e.identity.key_pem)
        ));
        if let Some(t) = e.token {
            out.push_str(&format!("    token: {}\n", q(t)));
        }
    }
    out.push_str("contexts:\n");
    for e in entries {
        out.push_str(&format!(
            "- name: {}\n  context:\n    cluster: {}\n    user: {}\n",
            q(e.context),
            q(e.context),
            q(e.context)
        ));
    }
    out
}
