//! Deriving the public half of a private key so it can be compared with a certificate.
//!
//! With rcgen on the `ring` backend only PKCS#8 can be loaded, yet cfssl (Karmada's official
//! installer) writes PKCS#1 `RSA PRIVATE KEY` and OpenSSL/Go often write SEC1
//! `EC PRIVATE KEY`. All three formats carry the public values next to the private ones, so
//! we read them from the DER directly; ring (via rcgen) is only needed to derive an Ed25519
//! public key from its seed.
//!
//! Nothing in this file keeps private bytes beyond the parsing call, and no type or error
//! here can print them.

use std::fmt;

use x509_parser::asn1_rs::{Any, Class, FromDer, Tag};
use x509_parser::oid_registry::{
    OID_KEY_TYPE_EC_PUBLIC_KEY, OID_PKCS1_RSAENCRYPTION, OID_SIG_ED25519,
};
use x509_parser::public_key::PublicKey;
use x509_parser::x509::SubjectPublicKeyInfo;

use super::error::KeyError;
use super::pem::{is_placeholder_bytes, parse_pem_blocks};
use super::summary::fingerprint_sha256;

/// The public key implied by a private key.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum DerivedPublicKey {
    /// Big-endian, leading zeros stripped so encodings with and without the sign byte agree.
    Rsa {
        modulus: Vec<u8>,
        exponent: Vec<u8>,
    },
    /// `curve` is the DER content of the named-curve OID when the key states it.
    Ec {
        curve: Option<Vec<u8>>,
        point: Vec<u8>,
    },
    Ed25519 {
        public: Vec<u8>,
    },
}

impl fmt::Debug for DerivedPublicKey {
    // Public values are not secret, but a fingerprint is all a human needs and keeps output
    // short; it also keeps this type safe to log should it ever gain private fields.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (kind, bytes) = match self {
            DerivedPublicKey::Rsa { modulus, .. } => ("RSA", modulus),
            DerivedPublicKey::Ec { point, .. } => ("EC", point),
            DerivedPublicKey::Ed25519 { public } => ("Ed25519", public),
        };
        write!(
            f,
            "DerivedPublicKey({kind}, sha256:{})",
            fingerprint_sha256(bytes)
        )
    }
}

/// Outcome of comparing a private key with a certificate's SubjectPublicKeyInfo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum KeyMatch {
    Match,
    Mismatch,
}

fn strip_leading_zeros(b: &[u8]) -> Vec<u8> {
    let start = b.iter().position(|x| *x != 0).unwrap_or(b.len());
    b[start..].to_vec()
}

fn malformed(label: &str, detail: impl Into<String>) -> KeyError {
    KeyError::Malformed {
        label: label.to_string(),
        detail: detail.into(),
    }
}

/// One DER element; asn1-rs errors only describe structure, but we still replace them with
/// our own wording so no parser ever gets a chance to echo input.
fn element<'a>(i: &'a [u8], label: &str, what: &str) -> Result<(&'a [u8], Any<'a>), KeyError> {
    Any::from_der(i).map_err(|_| malformed(label, format!("cannot read {what}")))
}

fn sequence_items<'a>(der: &'a [u8], label: &str) -> Result<Vec<Any<'a>>, KeyError> {
    let (rest, outer) = element(der, label, "outer SEQUENCE")?;
    if outer.tag() != Tag::Sequence || !rest.is_empty() {
        return Err(malformed(label, "not a single DER SEQUENCE"));
    }
    let mut items = Vec::new();
    let mut input = outer.data;
    while !input.is_empty() {
        let (rest, item) = element(input, label, "SEQUENCE element")?;
        items.push(item);
        input = rest;
    }
    Ok(items)
}

fn integer<'a>(any: &Any<'a>, label: &str, what: &str) -> Result<&'a [u8], KeyError> {
    if any.tag() != Tag::Integer || any.class() != Class::Universal || any.data.is_empty() {
        return Err(malformed(label, format!("{what} is not an INTEGER")));
    }
    Ok(any.data)
}

fn bit_string_bytes<'a>(any: &Any<'a>, label: &str) -> Result<&'a [u8], KeyError> {
    match any.data.split_first() {
        Some((0, rest)) => Ok(rest),
        _ => Err(malformed(
            label,
            "public key BIT STRING is empty or has unused bits",
        )),
    }
}

/// PKCS#1 `RSAPrivateKey ::= SEQUENCE { version, modulus, publicExponent, ... }`.
fn parse_pkcs1(der: &[u8], label: &str) -> Result<DerivedPublicKey, KeyError> {
    let items = sequence_items(der, label)?;
    if items.len() < 9 {
        return Err(malformed(label, "RSAPrivateKey has too few fields"));
    }
    let modulus = integer(&items[1], label, "modulus")?;
    let exponent = integer(&items[2], label, "publicExponent")?;
    Ok(DerivedPublicKey::Rsa {
        modulus: strip_leading_zeros(modulus),
        exponent: strip_leading_zeros(exponent),
    })
}

/// SEC1 `ECPrivateKey ::= SEQUENCE { version(1), privateKey OCTET STRING,
/// [0] parameters OPTIONAL, [1] publicKey BIT STRING OPTIONAL }`.
fn parse_sec1(
    der: &[u8],
    label: &str,
    curve_from_outer: Option<Vec<u8>>,
) -> Result<DerivedPublicKey, KeyError> {
    let items = sequence_items(der, label)?;
    if items.len() < 2 || items[1].tag() != Tag::OctetString {
        return Err(malformed(label, "ECPrivateKey lacks its privateKey field"));
    }
    let mut curve = curve_from_outer;
    let mut point = None;
    for item in &items[2..] {
        if item.class() != Class::ContextSpecific {
            continue;
        }
        let (_, inner) = element(item.data, label, "tagged field")?;
        match item.tag().0 {
            0 if inner.tag() == Tag::Oid => curve = Some(inner.data.to_vec()),
            1 if inner.tag() == Tag::BitString => {
                point = Some(bit_string_bytes(&inner, label)?.to_vec())
            }
            _ => {}
        }
    }
    let point = point.ok_or_else(|| KeyError::Unsupported {
        detail: "EC private key does not embed its public key, so it cannot be compared \
                 without curve arithmetic; re-export it with OpenSSL or Go, which embed it"
            .into(),
    })?;
    Ok(DerivedPublicKey::Ec { curve, point })
}

/// PKCS#8 `PrivateKeyInfo ::= SEQUENCE { version, AlgorithmIdentifier, privateKey OCTET
/// STRING, [0] IMPLICIT attributes OPTIONAL, [1] IMPLICIT publicKey BIT STRING OPTIONAL }`.
fn parse_pkcs8(der: &[u8], label: &str) -> Result<DerivedPublicKey, KeyError> {
    let items = sequence_items(der, label)?;
    if items.len() < 3 || items[1].tag() != Tag::Sequence || items[2].tag() != Tag::OctetString {
        return Err(malformed(label, "PrivateKeyInfo has the wrong shape"));
    }
    let (params, alg) = element(items[1].data, label, "algorithm OID")?;
    if alg.tag() != Tag::Oid {
        return Err(malformed(
            label,
            "AlgorithmIdentifier does not start with an OID",
        ));
    }
    let inner = items[2].data;
    let embedded_public = items[3..]
        .iter()
        .find(|i| i.class() == Class::ContextSpecific && i.tag().0 == 1)
        .and_then(|i| match i.data.split_first() {
            Some((0, rest)) => Some(rest.to_vec()),
            _ => None,
        });
    if alg.data == OID_PKCS1_RSAENCRYPTION.as_bytes() {
        parse_pkcs1(inner, label)
    } else if alg.data == OID_KEY_TYPE_EC_PUBLIC_KEY.as_bytes() {
        let curve = match element(params, label, "curve OID") {
            Ok((_, p)) if p.tag() == Tag::Oid => Some(p.data.to_vec()),
            _ => None,
        };
        match parse_sec1(inner, label, curve.clone()) {
            Err(KeyError::Unsupported { .. }) if embedded_public.is_some() => {
                Ok(DerivedPublicKey::Ec {
                    curve,
                    point: embedded_public.unwrap_or_default(),
                })
            }
            other => other,
        }
    } else if alg.data == OID_SIG_ED25519.as_bytes() {
        if let Some(public) = embedded_public {
            return Ok(DerivedPublicKey::Ed25519 { public });
        }
        // Go writes Ed25519 PKCS#8 without the public key; derive it from the seed.
        let pair = rcgen::KeyPair::try_from(der)
            .map_err(|_| malformed(label, "Ed25519 key rejected by ring"))?;
        Ok(DerivedPublicKey::Ed25519 {
            public: pair.public_key_raw().to_vec(),
        })
    } else {
        let oid = x509_parser::der_parser::Oid::new(std::borrow::Cow::Borrowed(alg.data));
        Err(KeyError::Unsupported {
            detail: format!("PKCS#8 key algorithm {}", oid.to_id_string()),
        })
    }
}

/// Reads the first private-key block of `pem` and returns its public half.
pub(crate) fn public_key_from_private_pem(pem: &[u8]) -> Result<DerivedPublicKey, KeyError> {
    if is_placeholder_bytes(pem) {
        return Err(KeyError::Placeholder);
    }
    let blocks = parse_pem_blocks(pem)?;
    let Some(block) = blocks.iter().find(|b| b.label.ends_with("PRIVATE KEY")) else {
        let found: Vec<&str> = blocks.iter().map(|b| b.label.as_str()).collect();
        return Err(KeyError::NoKey {
            found: found.join(", "),
        });
    };
    let label = block.label.as_str();
    if block.encrypted || label == "ENCRYPTED PRIVATE KEY" {
        return Err(KeyError::Encrypted {
            label: label.to_string(),
        });
    }
    match label {
        "RSA PRIVATE KEY" => parse_pkcs1(&block.der, label),
        "EC PRIVATE KEY" => parse_sec1(&block.der, label, None),
        "PRIVATE KEY" => parse_pkcs8(&block.der, label),
        other => Err(KeyError::Unsupported {
            detail: format!("{other} blocks are not used by kube-apiserver"),
        }),
    }
}

/// Does the certificate's public key belong to this private key?
///
/// A key of a different algorithm than the certificate is a mismatch, not "unsupported":
/// kube-apiserver would fail to load the pair just the same.
pub(crate) fn compare_with_spki(
    key: &DerivedPublicKey,
    spki: &SubjectPublicKeyInfo<'_>,
) -> KeyMatch {
    let same = match (key, spki.parsed()) {
        (DerivedPublicKey::Rsa { modulus, exponent }, Ok(PublicKey::RSA(rsa))) => {
            *modulus == strip_leading_zeros(rsa.modulus)
                && *exponent == strip_leading_zeros(rsa.exponent)
        }
        (DerivedPublicKey::Ec { curve, point }, Ok(PublicKey::EC(ec))) => {
            let cert_curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok())
                .map(|o| o.as_bytes().to_vec());
            let curves_agree = match (curve, cert_curve) {
                (Some(a), Some(b)) => *a == b,
                _ => true,
            };
            curves_agree && point.as_slice() == ec.data()
        }
        (DerivedPublicKey::Ed25519 { public }, _) => {
            spki.algorithm.algorithm == OID_SIG_ED25519
                && public.as_slice() == spki.subject_public_key.data.as_ref()
        }
        _ => false,
    };
    if same {
        KeyMatch::Match
    } else {
        KeyMatch::Mismatch
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        let cases: [&[u8]; 6] = [
            b"",
            b"{{front_proxy_client_key}}",
            b"-----BEGIN RSA PRIVATE KEY-----\nMAA=\n-----END RSA PRIVATE KEY-----\n",
            b"-----BEGIN PRIVATE KEY-----\nMAMCAQA=\n-----END PRIVATE KEY-----\n",
            b"-----BEGIN EC PRIVATE KEY-----\nBAA=\n-----END EC PRIVATE KEY-----\n",
            b"-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n",
        ];
        for c in cases {
            assert!(public_key_from_private_pem(c).is_err());
        }
    }

    #[test]
    fn encrypted_keys_are_reported_as_such() {
        let pem =
            b"-----BEGIN ENCRYPTED PRIVATE KEY-----\nMAA=\n-----END ENCRYPTED PRIVATE KEY-----\n";
        assert!(matches!(
            public_key_from_private_pem(pem),
            Err(KeyError::Encrypted { .. })
        ));
    }

    #[test]
    fn pkcs8_ecdsa_from_rcgen_round_trips() {
        let pair = rcgen::KeyPair::generate().unwrap();
        let derived = public_key_from_private_pem(pair.serialize_pem().as_bytes()).unwrap();
        match &derived {
            DerivedPublicKey::Ec { point, curve } => {
                assert_eq!(point.as_slice(), pair.public_key_raw());
                assert!(curve.is_some());
            }
            other => panic!("expected EC, got {other:?}"),
        }
    }

    #[test]
    fn ed25519_pkcs8_public_key_is_found() {
        let pair = rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519).unwrap();
        let derived = public_key_from_private_pem(pair.serialize_pem().as_bytes()).unwrap();
        assert_eq!(
            derived,
            DerivedPublicKey::Ed25519 {
                public: pair.public_key_raw().to_vec()
            }
        );
    }
}
