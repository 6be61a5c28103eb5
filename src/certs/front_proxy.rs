//! Checks the aggregation-layer (front-proxy) material of karmada-apiserver the way
//! kube-apiserver and the aggregated apiservers will use it at runtime.

use std::fmt;

use time::OffsetDateTime;
use x509_parser::error::X509Error;
use x509_parser::prelude::X509Certificate;

use super::error::{CertError, KeyError};
use super::key::{compare_with_spki, public_key_from_private_pem, KeyMatch};
use super::pem::PemBlock;
use super::problem::{CertPart, CertProblem};
use super::summary::{
    certificate_blocks, common_name, ext_key_usages, fingerprint_sha256, parse_certificate,
    ExtKeyUsage,
};

/// Longest issuer chain we follow through intermediates bundled with the client cert.
const MAX_CHAIN_DEPTH: usize = 4;

/// PEM bytes as found in the Secret (already base64-decoded by the caller).
pub struct FrontProxyInput<'a> {
    pub ca_pem: &'a [u8],
    pub client_cert_pem: &'a [u8],
    pub client_key_pem: &'a [u8],
    /// The CA bundle `--client-ca-file` points at, if the caller could resolve it.
    pub client_ca_pem: Option<&'a [u8]>,
    /// `--requestheader-allowed-names`; empty means any CN is accepted, as in Kubernetes.
    pub allowed_names: &'a [String],
    pub now: OffsetDateTime,
    pub warn_within_days: i64,
}

impl fmt::Debug for FrontProxyInput<'_> {
    // Holds the private key: show sizes only.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FrontProxyInput")
            .field("ca_pem_len", &self.ca_pem.len())
            .field("client_cert_pem_len", &self.client_cert_pem.len())
            .field("client_key_pem", &"<redacted>")
            .field("client_ca_pem_len", &self.client_ca_pem.map(<[u8]>::len))
            .field("allowed_names", &self.allowed_names)
            .field("now", &self.now)
            .field("warn_within_days", &self.warn_within_days)
            .finish()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FrontProxyReport {
    /// Empty means every check ran and passed.
    pub problems: Vec<CertProblem>,
    pub client_subject_cn: Option<String>,
    pub client_not_after: Option<OffsetDateTime>,
    /// Subject of the CA that issued the client cert, else of the first CA in the bundle.
    pub ca_subject: Option<String>,
    pub client_fingerprint_sha256: Option<String>,
    pub ca_fingerprint_sha256: Option<String>,
}

impl FrontProxyReport {
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }
}

struct Parsed<'a> {
    der: &'a [u8],
    cert: X509Certificate<'a>,
}

/// Loads every certificate in a PEM input, recording a problem (and returning `None`) if
/// the input is a placeholder or any certificate is unreadable: kube-apiserver refuses the
/// whole file in that case, so partial results would paint too rosy a picture.
fn load_blocks(
    pem: &[u8],
    which: CertPart,
    problems: &mut Vec<CertProblem>,
) -> Option<Vec<PemBlock>> {
    match certificate_blocks(pem) {
        Ok(blocks) => Some(blocks),
        Err(CertError::Placeholder) => {
            problems.push(CertProblem::Placeholder { which });
            None
        }
        Err(e) => {
            problems.push(CertProblem::NotPem {
                which,
                detail: e.to_string(),
            });
            None
        }
    }
}

fn parse_all<'a>(
    blocks: &'a [PemBlock],
    which: CertPart,
    problems: &mut Vec<CertProblem>,
) -> Option<Vec<Parsed<'a>>> {
    let mut out = Vec::with_capacity(blocks.len());
    for (i, block) in blocks.iter().enumerate() {
        match parse_certificate(&block.der, i) {
            Ok(cert) => out.push(Parsed {
                der: &block.der,
                cert,
            }),
            Err(e) => {
                problems.push(CertProblem::NotPem {
                    which,
                    detail: e.to_string(),
                });
                return None;
            }
        }
    }
    Some(out)
}

enum IssuedBy {
    /// Index into the CA list.
    Ca(usize),
    NotFound,
    Unverifiable(String),
}

/// Go's chain building: a parent must have the child's issuer as its subject *and* a key
/// that verifies the child's signature.
fn signed_by(child: &X509Certificate<'_>, parent: &X509Certificate<'_>) -> Result<bool, String> {
    if child.issuer().as_raw() != parent.subject().as_raw() {
        return Ok(false);
    }
    match child.verify_signature(Some(parent.public_key())) {
        Ok(()) => Ok(true),
        Err(X509Error::SignatureVerificationError) => Ok(false),
        Err(e) => Err(e.to_string()),
    }
}

/// Finds the CA that issued `leaf`, possibly through intermediates shipped in the client
/// cert file (kube-apiserver sends the whole file as the TLS chain).
fn find_issuer(
    leaf: &X509Certificate<'_>,
    intermediates: &[Parsed<'_>],
    cas: &[Parsed<'_>],
) -> IssuedBy {
    let mut current = leaf;
    let mut unverifiable = None;
    for _ in 0..MAX_CHAIN_DEPTH {
        for (i, ca) in cas.iter().enumerate() {
            match signed_by(current, &ca.cert) {
                Ok(true) => return IssuedBy::Ca(i),
                Ok(false) => {}
                Err(e) => unverifiable = Some(e),
            }
        }
        let next = intermediates.iter().find(|p| {
            !std::ptr::eq(&p.cert, current) && matches!(signed_by(current, &p.cert), Ok(true))
        });
        match next {
            Some(p) => current = &p.cert,
            None => break,
        }
    }
    match unverifiable {
        Some(e) => IssuedBy::Unverifiable(e),
        None => IssuedBy::NotFound,
    }
}

enum Window {
    NotYetValid(OffsetDateTime),
    Expired(OffsetDateTime),
    ExpiresSoon(OffsetDateTime, i64),
    Fine,
}

fn validity_window(
    cert: &X509Certificate<'_>,
    now: OffsetDateTime,
    warn_within_days: i64,
) -> Window {
    let not_before = cert.validity().not_before.to_datetime();
    let not_after = cert.validity().not_after.to_datetime();
    if now < not_before {
        return Window::NotYetValid(not_before);
    }
    if now > not_after {
        return Window::Expired(not_after);
    }
    let days_left = (not_after - now).whole_days();
    if days_left < warn_within_days {
        Window::ExpiresSoon(not_after, days_left)
    } else {
        Window::Fine
    }
}

fn check_ca(ca: &Parsed<'_>, input: &FrontProxyInput<'_>, problems: &mut Vec<CertProblem>) {
    let subject = ca.cert.subject().to_string();
    if !ca.cert.is_ca() {
        problems.push(CertProblem::CaNotACa {
            subject: subject.clone(),
        });
    }
    match validity_window(&ca.cert, input.now, input.warn_within_days) {
        Window::NotYetValid(not_before) => problems.push(CertProblem::CaNotYetValid {
            subject: subject.clone(),
            not_before,
        }),
        Window::Expired(not_after) => problems.push(CertProblem::CaExpired {
            subject: subject.clone(),
            not_after,
        }),
        Window::ExpiresSoon(not_after, days_left) => problems.push(CertProblem::CaExpiresSoon {
            subject: subject.clone(),
            not_after,
            days_left,
        }),
        Window::Fine => {}
    }
    if let Ok(Some(usages)) = ext_key_usages(&ca.cert) {
        if !permits_client_auth(&usages) {
            problems.push(CertProblem::CaExcludesClientAuth { subject, usages });
        }
    }
}

fn permits_client_auth(usages: &[ExtKeyUsage]) -> bool {
    usages
        .iter()
        .any(|u| matches!(u, ExtKeyUsage::ClientAuth | ExtKeyUsage::Any))
}

fn check_client(
    leaf: &X509Certificate<'_>,
    input: &FrontProxyInput<'_>,
    problems: &mut Vec<CertProblem>,
) {
    match validity_window(leaf, input.now, input.warn_within_days) {
        Window::NotYetValid(not_before) => problems.push(CertProblem::NotYetValid { not_before }),
        Window::Expired(not_after) => problems.push(CertProblem::Expired { not_after }),
        Window::ExpiresSoon(not_after, days_left) => problems.push(CertProblem::ExpiresSoon {
            not_after,
            days_left,
        }),
        Window::Fine => {}
    }
    // kube-apiserver's request-header authenticator compares the leaf CN, exactly, against
    // --requestheader-allowed-names; an empty list accepts any CN.
    if !input.allowed_names.is_empty() {
        let cn = common_name(leaf.subject()).unwrap_or_default();
        if !input.allowed_names.contains(&cn) {
            problems.push(CertProblem::CnNotAllowed {
                cn,
                allowed: input.allowed_names.to_vec(),
            });
        }
    }
    match ext_key_usages(leaf) {
        // No extendedKeyUsage extension: Go's x509 verification treats the certificate as
        // valid for any usage, clientAuth included, so this is accepted.
        Ok(None) => {}
        Ok(Some(usages)) if permits_client_auth(&usages) => {}
        Ok(Some(usages)) => problems.push(CertProblem::NoClientAuthUsage { usages }),
        Err(()) => problems.push(CertProblem::NoClientAuthUsage { usages: Vec::new() }),
    }
}

fn same_ca(a: &Parsed<'_>, b: &Parsed<'_>) -> bool {
    a.der == b.der
        || (a.cert.subject().as_raw() == b.cert.subject().as_raw()
            && a.cert.public_key().raw == b.cert.public_key().raw)
}

/// Runs every front-proxy check that its inputs allow and collects all problems; a broken
/// input only skips the checks that depend on it.
pub fn analyze_front_proxy(input: &FrontProxyInput<'_>) -> FrontProxyReport {
    let mut problems = Vec::new();
    let mut report = FrontProxyReport::default();

    let ca_blocks = load_blocks(input.ca_pem, CertPart::FrontProxyCa, &mut problems);
    let cas = ca_blocks
        .as_deref()
        .and_then(|b| parse_all(b, CertPart::FrontProxyCa, &mut problems));

    let client_blocks = load_blocks(input.client_cert_pem, CertPart::ClientCert, &mut problems);
    let client_chain = client_blocks
        .as_deref()
        .and_then(|b| parse_all(b, CertPart::ClientCert, &mut problems));
    let leaf = client_chain.as_ref().and_then(|c| c.first());

    let key = match public_key_from_private_pem(input.client_key_pem) {
        Ok(k) => Some(k),
        Err(e) => {
            problems.push(match e {
                KeyError::Placeholder => CertProblem::Placeholder {
                    which: CertPart::ClientKey,
                },
                KeyError::Encrypted { .. } => CertProblem::KeyEncrypted,
                KeyError::Unsupported { detail } => CertProblem::UnsupportedKey { detail },
                other => CertProblem::NotPem {
                    which: CertPart::ClientKey,
                    detail: other.to_string(),
                },
            });
            None
        }
    };

    if let Some(leaf) = leaf {
        report.client_subject_cn = common_name(leaf.cert.subject());
        report.client_not_after = Some(leaf.cert.validity().not_after.to_datetime());
        report.client_fingerprint_sha256 = Some(fingerprint_sha256(leaf.der));
        check_client(&leaf.cert, input, &mut problems);
        if let Some(key) = &key {
            if compare_with_spki(key, leaf.cert.public_key()) == KeyMatch::Mismatch {
                problems.push(CertProblem::KeyDoesNotMatchCert);
            }
        }
    }

    if let Some(cas) = cas.as_deref() {
        let issuer = match (leaf, client_chain.as_deref()) {
            (Some(leaf), Some(chain)) => Some(find_issuer(&leaf.cert, &chain[1..], cas)),
            _ => None,
        };
        let signing_ca = match &issuer {
            Some(IssuedBy::Ca(i)) => cas.get(*i),
            _ => None,
        };
        match issuer {
            Some(IssuedBy::NotFound) => problems.push(CertProblem::NotSignedByFrontProxyCa {
                client_issuer: leaf
                    .map(|l| l.cert.issuer().to_string())
                    .unwrap_or_default(),
                ca_subjects: cas.iter().map(|c| c.cert.subject().to_string()).collect(),
            }),
            Some(IssuedBy::Unverifiable(detail)) => {
                problems.push(CertProblem::SignatureUnverifiable { detail })
            }
            _ => {}
        }
        // Judge the CA that actually issued the client cert; an unrelated extra CA in the
        // bundle does not break anything. If none did, every CA is suspect.
        match signing_ca {
            Some(ca) => check_ca(ca, input, &mut problems),
            None => cas.iter().for_each(|ca| check_ca(ca, input, &mut problems)),
        }
        if let Some(ca) = signing_ca.or(cas.first()) {
            report.ca_subject = Some(ca.cert.subject().to_string());
            report.ca_fingerprint_sha256 = Some(fingerprint_sha256(ca.der));
        }

        if let Some(client_ca_pem) = input.client_ca_pem {
            let client_ca_blocks = load_blocks(client_ca_pem, CertPart::ClientCa, &mut problems);
            let client_cas = client_ca_blocks
                .as_deref()
                .and_then(|b| parse_all(b, CertPart::ClientCa, &mut problems));
            if let Some(client_cas) = client_cas {
                let reused = cas
                    .iter()
                    .any(|fp| client_cas.iter().any(|cc| same_ca(fp, cc)));
                if reused {
                    problems.push(CertProblem::CaReusedAsClientCa {
                        allowed_names_restricted: !input.allowed_names.is_empty(),
                    });
                }
            }
        }
    } else if let Some(client_ca_pem) = input.client_ca_pem {
        // Still surface a broken client CA even though reuse cannot be judged.
        let _ = load_blocks(client_ca_pem, CertPart::ClientCa, &mut problems);
    }

    report.problems = problems;
    report
}
