//! PEM framing and placeholder detection.
//!
//! Hand-rolled rather than `x509_parser::pem` so that failures can say *why* a Secret value
//! is unusable (DER instead of PEM, base64 applied twice, encrypted key, truncated block) and
//! so that no type here can print decoded bytes via `Debug`.

use std::fmt;

use base64::Engine as _;

/// One `-----BEGIN X-----` … `-----END X-----` block, decoded.
pub(crate) struct PemBlock {
    pub label: String,
    pub der: Vec<u8>,
    /// Legacy OpenSSL `Proc-Type: 4,ENCRYPTED` header: the body is ciphertext.
    pub encrypted: bool,
}

impl fmt::Debug for PemBlock {
    // Blocks may hold private keys: show only their shape.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PemBlock")
            .field("label", &self.label)
            .field("der_len", &self.der.len())
            .field("encrypted", &self.encrypted)
            .finish()
    }
}

/// `true` for values that are an unrendered template or empty: `{{front_proxy_ca_crt}}`
/// (Karmada's deploy manifests ship these and a sed step fills them), surrounding
/// whitespace/newlines included, and empty-ish scalars (`""`, `null`, `~`).
///
/// Check the raw Secret value *before* base64-decoding it: `{{` is not valid base64, so a
/// decoder would report a misleading error instead.
pub fn is_placeholder(value: &str) -> bool {
    let t = value.trim();
    if matches!(t, "" | "\"\"" | "''" | "null" | "~" | "<nil>") {
        return true;
    }
    let Some(inner) = t.strip_prefix("{{").and_then(|r| r.strip_suffix("}}")) else {
        return false;
    };
    // `{{a}} and {{b}}` is text with two placeholders, not one placeholder; still unusable,
    // but be precise about what counts as "a template".
    !inner.contains("{{") && !inner.contains("}}")
}

pub(crate) fn is_placeholder_bytes(value: &[u8]) -> bool {
    std::str::from_utf8(value).is_ok_and(is_placeholder)
}

/// Why PEM text could not be read. Messages describe structure only, never content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PemError {
    #[error("value is binary, not PEM text{hint}")]
    NotText { hint: &'static str },
    #[error("no '-----BEGIN ...-----' line found{hint}")]
    NoBlock { hint: &'static str },
    #[error("'{label}' block has no matching END line (truncated value?)")]
    Unterminated { label: String },
    #[error("END line for '{found}' does not match BEGIN '{label}'")]
    MismatchedEnd { label: String, found: String },
    #[error("'{label}' block body is not valid base64 (line {line})")]
    BadBase64 { label: String, line: usize },
    #[error("malformed BEGIN line at line {line}")]
    BadHeader { line: usize },
}

fn parse_boundary<'a>(line: &'a str, kind: &str) -> Option<&'a str> {
    line.strip_prefix("-----")?
        .strip_prefix(kind)?
        .strip_prefix(' ')?
        .strip_suffix("-----")
}

/// Hints for the two mistakes we see in real Secrets; cheap to detect, expensive to debug.
fn no_block_hint(text: &str) -> &'static str {
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    if let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(compact.as_bytes()) {
        if decoded.windows(10).any(|w| w == b"-----BEGIN") {
            return " (the value is base64 of PEM: it was base64-encoded once too often)";
        }
    }
    ""
}

/// All PEM blocks in `input`, in order. Text outside blocks is ignored, as OpenSSL and Go do.
pub(crate) fn parse_pem_blocks(input: &[u8]) -> Result<Vec<PemBlock>, PemError> {
    let Ok(text) = std::str::from_utf8(input) else {
        let hint = if input.first() == Some(&0x30) {
            " (it looks like DER; kube-apiserver expects PEM)"
        } else {
            ""
        };
        return Err(PemError::NotText { hint });
    };
    let mut blocks = Vec::new();
    let mut current: Option<(String, String, bool, usize)> = None;
    for (idx, raw_line) in text.lines().enumerate() {
        let line_no = idx + 1;
        let line = raw_line.trim();
        match &mut current {
            None => {
                if line.starts_with("-----BEGIN") {
                    let label = parse_boundary(line, "BEGIN")
                        .ok_or(PemError::BadHeader { line: line_no })?;
                    current = Some((label.to_string(), String::new(), false, line_no));
                }
            }
            Some((label, body, encrypted, _)) => {
                if line.starts_with("-----END") {
                    let found = parse_boundary(line, "END").unwrap_or(line);
                    if found != label {
                        return Err(PemError::MismatchedEnd {
                            label: label.clone(),
                            found: found.chars().take(40).collect(),
                        });
                    }
                    let der = base64::engine::general_purpose::STANDARD
                        .decode(body.as_bytes())
                        .map_err(|_| PemError::BadBase64 {
                            label: label.clone(),
                            line: line_no,
                        })?;
                    blocks.push(PemBlock {
                        label: std::mem::take(label),
                        der,
                        encrypted: *encrypted,
                    });
                    current = None;
                } else if let Some((name, value)) = line.split_once(':') {
                    // RFC 1421 headers, only used by legacy encrypted OpenSSL keys.
                    if name.trim() == "Proc-Type" && value.contains("ENCRYPTED") {
                        *encrypted = true;
                    }
                } else {
                    body.push_str(line);
                }
            }
        }
    }
    if let Some((label, ..)) = current {
        return Err(PemError::Unterminated { label });
    }
    if blocks.is_empty() {
        return Err(PemError::NoBlock {
            hint: no_block_hint(text),
        });
    }
    Ok(blocks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders() {
        for p in [
            "{{front_proxy_ca_crt}}",
            "{{front_proxy_ca_crt}}\n",
            "  {{ ca_crt }}  \n",
            "",
            " \n\t",
            "null",
            "\"\"",
            "~",
        ] {
            assert!(is_placeholder(p), "{p:?}");
        }
        for not in [
            "-----BEGIN CERTIFICATE-----",
            "LS0tLS1CRUdJTi",
            "{{a}} and {{b}}",
            "{{unterminated",
        ] {
            assert!(!is_placeholder(not), "{not:?}");
        }
    }

    #[test]
    fn parses_blocks_and_skips_noise() {
        let text = "junk before\n-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\r\n  -----BEGIN CERTIFICATE-----  \r\nAAEC\r\nAw==\r\n-----END CERTIFICATE-----\n";
        let blocks = parse_pem_blocks(text.as_bytes()).unwrap();
        assert_eq!(blocks.len(), 2);
        assert_eq!(blocks[1].label, "CERTIFICATE");
        assert_eq!(blocks[1].der, vec![0, 1, 2, 3]);
    }

    #[test]
    fn explains_common_mistakes() {
        let pem = "-----BEGIN CERTIFICATE-----\nAAEC\n-----END CERTIFICATE-----\n";
        let twice = base64::engine::general_purpose::STANDARD.encode(pem);
        let err = parse_pem_blocks(twice.as_bytes()).unwrap_err();
        assert!(
            err.to_string().contains("base64-encoded once too often"),
            "{err}"
        );

        let err = parse_pem_blocks(&[0x30, 0x82, 0xff, 0xfe]).unwrap_err();
        assert!(err.to_string().contains("DER"), "{err}");

        let err = parse_pem_blocks(b"-----BEGIN CERTIFICATE-----\nAAEC\n").unwrap_err();
        assert!(matches!(err, PemError::Unterminated { .. }));

        let err = parse_pem_blocks(b"-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----")
            .unwrap_err();
        assert!(matches!(err, PemError::BadBase64 { .. }));

        let enc = "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nAAEC\n-----END RSA PRIVATE KEY-----\n";
        assert!(parse_pem_blocks(enc.as_bytes()).unwrap()[0].encrypted);
    }

    #[test]
    fn debug_hides_contents() {
        let blocks =
            parse_pem_blocks(b"-----BEGIN PRIVATE KEY-----\nc2VjcmV0\n-----END PRIVATE KEY-----")
                .unwrap();
        let dbg = format!("{:?}", blocks);
        assert!(!dbg.contains("115"), "{dbg}"); // 's' as a byte
        assert!(dbg.contains("der_len: 6"), "{dbg}");
    }
}
