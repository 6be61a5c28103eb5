//! Is there private key material in this text, however it is wrapped? Found by content,
//! never by the field it sits in: PEM blocks anywhere in the text (after whitespace,
//! after `openssl pkcs12 -nodes`' "Bag Attributes"), kubeconfig `client-key-data` in
//! YAML or JSON form, and base64 anywhere in the text (a whole value, an env var, a
//! `--flag=` argument, a JSON string inside an annotation, wrapped over lines) that
//! decodes to any of these or to a DER private key or PKCS#12 bundle, a few levels deep
//! (base64 of a kubeconfig that holds base64 of a PEM key).
//!
//! Used by the collector's redactor and as the last check of what the tool writes.

use base64::Engine as _;

/// How many layers of base64 are looked through.
const MAX_DEPTH: u8 = 3;
/// Shorter base64 runs cannot hold a key (the smallest EC key in DER is ~120 bytes).
const MIN_B64_RUN: usize = 64;

/// Text markers that only key material (or a kubeconfig holding it) carries.
const MARKERS: &[&[u8]] = &[
    b"PRIVATE KEY-----",
    b"client-key-data",
    b"Key Attributes",
    b"openssh-key-v1",
    b"PuTTY-User-Key-File",
];

/// True when `text` holds private key material in any wrapping this module knows.
pub fn holds_key_material(text: &str) -> bool {
    holds(text.as_bytes(), 0)
}

fn holds(bytes: &[u8], depth: u8) -> bool {
    if MARKERS.iter().any(|m| contains(bytes, m)) {
        return true;
    }
    if depth > 0 && is_der_private_key(bytes) {
        return true;
    }
    if depth >= MAX_DEPTH {
        return false;
    }
    base64_runs(bytes).any(|decoded| holds(&decoded, depth + 1))
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.len() >= needle.len() && hay.windows(needle.len()).any(|w| w == needle)
}

fn is_b64(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'-' | b'_' | b'=')
}

/// Every run of base64 characters (line breaks and spaces inside a run are part of it:
/// base64 is often wrapped) long enough to hold a key, decoded. A run ends at padding;
/// standard and URL-safe alphabets are tried, and since `-` and `_` also join words
/// (`--key=...`), so are the pieces between them.
fn base64_runs(bytes: &[u8]) -> impl Iterator<Item = Vec<u8>> + '_ {
    let mut i = 0;
    let mut pending: Vec<Vec<u8>> = Vec::new();
    std::iter::from_fn(move || loop {
        if let Some(d) = pending.pop() {
            return Some(d);
        }
        if i >= bytes.len() {
            return None;
        }
        while i < bytes.len() && !is_b64(bytes[i]) {
            i += 1;
        }
        let mut clean = Vec::new();
        while i < bytes.len()
            && (is_b64(bytes[i]) || matches!(bytes[i], b'\n' | b'\r' | b' ' | b'\t'))
        {
            let b = bytes[i];
            i += 1;
            if b == b'=' {
                // Padding ends a value; more padding may follow.
                while i < bytes.len() && bytes[i] == b'=' {
                    i += 1;
                }
                break;
            }
            if is_b64(b) {
                clean.push(b);
            }
        }
        if clean.len() < MIN_B64_RUN {
            continue;
        }
        let mut found: Vec<Vec<u8>> = decode(&clean).into_iter().collect();
        if clean.iter().any(|b| matches!(b, b'-' | b'_')) {
            for piece in clean.split(|b| matches!(b, b'-' | b'_')) {
                if piece.len() >= MIN_B64_RUN {
                    found.extend(decode(piece));
                }
            }
        }
        pending = found;
    })
}

fn decode(run: &[u8]) -> Option<Vec<u8>> {
    use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
    let url = run.iter().any(|b| matches!(b, b'-' | b'_'));
    let engine = if url {
        &URL_SAFE_NO_PAD
    } else {
        &STANDARD_NO_PAD
    };
    // A run may carry a stray character of the text around it: try trimming the tail
    // to a decodable length.
    let mut end = run.len();
    for _ in 0..3 {
        if end % 4 != 1 {
            if let Ok(d) = engine.decode(&run[..end]) {
                return Some(d);
            }
        }
        end = end.checked_sub(1)?;
    }
    None
}

/// A DER SEQUENCE header: (header length, content length).
fn der_sequence(b: &[u8]) -> Option<(usize, usize)> {
    if b.first() != Some(&0x30) {
        return None;
    }
    let first = *b.get(1)? as usize;
    if first < 0x80 {
        return Some((2, first));
    }
    let n = first & 0x7f;
    if n == 0 || n > 3 {
        return None;
    }
    let mut len = 0usize;
    for k in 0..n {
        len = (len << 8) | *b.get(2 + k)? as usize;
    }
    Some((2 + n, len))
}

/// PKCS#8 (`30 .. 02 01 00|01 30`), PKCS#1 RSA (`30 .. 02 01 00 02`), SEC1 EC
/// (`30 .. 02 01 01 04`) private keys and PKCS#12 bundles (`30 .. 02 01 03 30`), by
/// their first bytes and a length that fits. Certificates start `30 .. 30`: never here.
fn is_der_private_key(b: &[u8]) -> bool {
    let Some((hdr, len)) = der_sequence(b) else {
        return false;
    };
    if len < 32 || hdr + len > b.len() + 2 {
        return false;
    }
    let rest = &b[hdr..];
    let Some(&[0x02, 0x01, version, next]) = rest.get(..4) else {
        return false;
    };
    matches!(
        (version, next),
        (0x00, 0x30) | (0x01, 0x30) | (0x00, 0x02) | (0x01, 0x04) | (0x03, 0x30)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(b: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(b)
    }

    /// A real PKCS#8 EC key, made here (rcgen), as PEM and DER.
    fn key() -> (String, Vec<u8>) {
        let k = rcgen::KeyPair::generate().unwrap();
        (k.serialize_pem(), k.serialize_der())
    }

    #[test]
    fn finds_keys_however_wrapped() {
        let (pem, der) = key();
        let wrapped_b64 = b64(pem.as_bytes())
            .as_bytes()
            .chunks(76)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join("\n");
        let kubeconfig_json = format!(
            "{{\"users\":[{{\"user\":{{\"client-key-data\":\"{}\"}}}}]}}",
            b64(pem.as_bytes())
        );
        let cases = [
            pem.clone(),
            format!("\n  {pem}"),
            format!("Bag Attributes\n    localKeyID: 01\nKey Attributes: <No Attributes>\n{pem}"),
            b64(format!("\n{pem}").as_bytes()),
            b64(format!("Bag Attributes\n{pem}").as_bytes()),
            b64(&der),
            format!("--key={}", b64(&der)),
            wrapped_b64,
            kubeconfig_json.clone(),
            b64(kubeconfig_json.as_bytes()),
            format!("{{\"a\": {:?}}}", b64(kubeconfig_json.as_bytes())),
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&der),
            b64(b64(pem.as_bytes()).as_bytes()),
        ];
        for (i, c) in cases.iter().enumerate() {
            assert!(holds_key_material(c), "case {i}: {c:?}");
        }
    }

    #[test]
    fn leaves_certificates_and_ordinary_text_alone() {
        let cert = rcgen::generate_simple_self_signed(vec!["a.example".into()]).unwrap();
        let pem = cert.cert.pem();
        let der = cert.cert.der().to_vec();
        for c in [
            pem.clone(),
            b64(pem.as_bytes()),
            b64(&der),
            "--proxy-client-cert-file=/etc/kubernetes/pki/front-proxy-client.crt".to_string(),
            "registry.example.com/karmada/karmada-controller-manager:v1.0.0".to_string(),
            "a".repeat(500),
            b64(&[0u8; 300]),
        ] {
            assert!(!holds_key_material(&c), "{c:?}");
        }
    }
}
