//! Read-only facts about a certificate, safe to print in reports (no key material).

use std::net::IpAddr;

use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use x509_parser::extensions::GeneralName;
use x509_parser::oid_registry::{
    OID_EC_P256, OID_KEY_TYPE_EC_PUBLIC_KEY, OID_NIST_EC_P384, OID_NIST_EC_P521,
    OID_PKCS1_RSAENCRYPTION, OID_SIG_ED25519,
};
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::public_key::PublicKey;
use x509_parser::x509::{SubjectPublicKeyInfo, X509Name};

use super::error::CertError;
use super::pem::{is_placeholder_bytes, parse_pem_blocks, PemBlock};

/// Lowercase hex SHA-256 of `bytes`: lets a report identify a cert or key without
/// reproducing it.
pub fn fingerprint_sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// An extended key usage, named as in Go's `crypto/x509` / OpenSSL output.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ExtKeyUsage {
    Any,
    ServerAuth,
    ClientAuth,
    CodeSigning,
    EmailProtection,
    TimeStamping,
    OcspSigning,
    Other(String),
}

/// Public key algorithm and size, e.g. for "RSA 1024 is too weak" style rules.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PublicKeyKind {
    Rsa { bits: usize },
    Ec { curve: String },
    Ed25519,
    Other { oid: String },
}

impl std::fmt::Display for PublicKeyKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PublicKeyKind::Rsa { bits } => write!(f, "RSA {bits}"),
            PublicKeyKind::Ec { curve } => write!(f, "EC {curve}"),
            PublicKeyKind::Ed25519 => f.write_str("Ed25519"),
            PublicKeyKind::Other { oid } => write!(f, "key algorithm {oid}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertSummary {
    /// Full subject DN, e.g. `CN=front-proxy-client`.
    pub subject: String,
    pub subject_cn: Option<String>,
    pub issuer: String,
    pub issuer_cn: Option<String>,
    /// Colon-separated hex, as `openssl x509 -serial` prints it (modulo colons).
    pub serial: String,
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
    /// basicConstraints `CA:TRUE`.
    pub is_ca: bool,
    /// `None` when the certificate has no extendedKeyUsage extension at all, which Go treats
    /// as "valid for any usage". `Some(vec![])` means the extension is present but malformed
    /// or duplicated (Go rejects such a certificate outright).
    pub ext_key_usages: Option<Vec<ExtKeyUsage>>,
    pub dns_names: Vec<String>,
    pub ip_addresses: Vec<IpAddr>,
    pub public_key: PublicKeyKind,
    /// SHA-256 of the DER encoding, lowercase hex (same as `openssl x509 -fingerprint -sha256`
    /// without colons).
    pub fingerprint_sha256: String,
}

/// Summarises the first certificate in `pem`.
pub fn describe_cert(pem: &[u8]) -> Result<CertSummary, CertError> {
    let blocks = certificate_blocks(pem)?;
    let der = &blocks[0].der;
    let cert = parse_certificate(der, 0)?;
    Ok(summarize(&cert, der))
}

/// Summarises every certificate in a PEM bundle (CA files often hold several).
pub fn describe_certs(pem: &[u8]) -> Result<Vec<CertSummary>, CertError> {
    let blocks = certificate_blocks(pem)?;
    blocks
        .iter()
        .enumerate()
        .map(|(i, b)| parse_certificate(&b.der, i).map(|c| summarize(&c, &b.der)))
        .collect()
}

/// The `CERTIFICATE` blocks of `pem`, or an error saying what was found instead.
pub(crate) fn certificate_blocks(pem: &[u8]) -> Result<Vec<PemBlock>, CertError> {
    if is_placeholder_bytes(pem) {
        return Err(CertError::Placeholder);
    }
    let blocks = parse_pem_blocks(pem)?;
    let labels: Vec<String> = blocks.iter().map(|b| b.label.clone()).collect();
    let certs: Vec<PemBlock> = blocks
        .into_iter()
        .filter(|b| b.label == "CERTIFICATE")
        .collect();
    if certs.is_empty() {
        return Err(CertError::NoCertificate {
            found: labels.join(", "),
        });
    }
    Ok(certs)
}

pub(crate) fn parse_certificate(
    der: &[u8],
    index: usize,
) -> Result<X509Certificate<'_>, CertError> {
    match X509Certificate::from_der(der) {
        Ok(([], cert)) => Ok(cert),
        Ok(_) => Err(CertError::X509 {
            index,
            detail: "trailing bytes after the certificate".into(),
        }),
        Err(e) => Err(CertError::X509 {
            index,
            detail: e.to_string(),
        }),
    }
}

pub(crate) fn common_name(name: &X509Name<'_>) -> Option<String> {
    name.iter_common_name()
        .next()
        .and_then(|cn| cn.as_str().ok())
        .map(str::to_string)
}

/// `Err(())` when the extension is present but malformed or duplicated; callers treat that
/// as "no usable clientAuth", as Go refuses to parse such certificates at all.
pub(crate) fn ext_key_usages(cert: &X509Certificate<'_>) -> Result<Option<Vec<ExtKeyUsage>>, ()> {
    let Some(ext) = cert.extended_key_usage().map_err(|_| ())? else {
        return Ok(None);
    };
    let eku = ext.value;
    let mut out = Vec::new();
    let flags = [
        (eku.any, ExtKeyUsage::Any),
        (eku.server_auth, ExtKeyUsage::ServerAuth),
        (eku.client_auth, ExtKeyUsage::ClientAuth),
        (eku.code_signing, ExtKeyUsage::CodeSigning),
        (eku.email_protection, ExtKeyUsage::EmailProtection),
        (eku.time_stamping, ExtKeyUsage::TimeStamping),
        (eku.ocsp_signing, ExtKeyUsage::OcspSigning),
    ];
    out.extend(flags.into_iter().filter(|(set, _)| *set).map(|(_, u)| u));
    out.extend(
        eku.other
            .iter()
            .map(|oid| ExtKeyUsage::Other(oid.to_id_string())),
    );
    Ok(Some(out))
}

fn rsa_bits(modulus: &[u8]) -> usize {
    let trimmed: &[u8] = match modulus.iter().position(|b| *b != 0) {
        Some(i) => &modulus[i..],
        None => return 0,
    };
    trimmed.len() * 8 - trimmed[0].leading_zeros() as usize
}

pub(crate) fn public_key_kind(spki: &SubjectPublicKeyInfo<'_>) -> PublicKeyKind {
    let alg = &spki.algorithm.algorithm;
    if *alg == OID_PKCS1_RSAENCRYPTION {
        if let Ok(PublicKey::RSA(rsa)) = spki.parsed() {
            return PublicKeyKind::Rsa {
                bits: rsa_bits(rsa.modulus),
            };
        }
    } else if *alg == OID_KEY_TYPE_EC_PUBLIC_KEY {
        let curve = spki
            .algorithm
            .parameters
            .as_ref()
            .and_then(|p| p.as_oid().ok());
        let curve = match curve {
            Some(c) if c == OID_EC_P256 => "P-256".to_string(),
            Some(c) if c == OID_NIST_EC_P384 => "P-384".to_string(),
            Some(c) if c == OID_NIST_EC_P521 => "P-521".to_string(),
            Some(c) => c.to_id_string(),
            None => "unknown curve".to_string(),
        };
        return PublicKeyKind::Ec { curve };
    } else if *alg == OID_SIG_ED25519 {
        return PublicKeyKind::Ed25519;
    }
    PublicKeyKind::Other {
        oid: alg.to_id_string(),
    }
}

pub(crate) fn summarize(cert: &X509Certificate<'_>, der: &[u8]) -> CertSummary {
    let mut dns_names = Vec::new();
    let mut ip_addresses = Vec::new();
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for name in &san.value.general_names {
            match name {
                GeneralName::DNSName(d) => dns_names.push(d.to_string()),
                GeneralName::IPAddress(bytes) => match bytes.len() {
                    4 => {
                        let mut a = [0u8; 4];
                        a.copy_from_slice(bytes);
                        ip_addresses.push(IpAddr::from(a));
                    }
                    16 => {
                        let mut a = [0u8; 16];
                        a.copy_from_slice(bytes);
                        ip_addresses.push(IpAddr::from(a));
                    }
                    _ => {}
                },
                _ => {}
            }
        }
    }
    CertSummary {
        subject: cert.subject().to_string(),
        subject_cn: common_name(cert.subject()),
        issuer: cert.issuer().to_string(),
        issuer_cn: common_name(cert.issuer()),
        serial: cert.raw_serial_as_string(),
        not_before: cert.validity().not_before.to_datetime(),
        not_after: cert.validity().not_after.to_datetime(),
        is_ca: cert.is_ca(),
        ext_key_usages: ext_key_usages(cert).unwrap_or(Some(Vec::new())),
        dns_names,
        ip_addresses,
        public_key: public_key_kind(cert.public_key()),
        fingerprint_sha256: fingerprint_sha256(der),
    }
}
