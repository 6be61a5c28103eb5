//! `--generate-front-proxy-certs`: a fresh front-proxy CA and client certificate.
//!
//! ECDSA P-256, because rcgen's ring backend cannot generate RSA keys; kube-apiserver
//! accepts ECDSA for both files, as kubeadm-style setups commonly use.

use std::fmt;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};
use time::{Duration, OffsetDateTime};

/// CN the official manifests allow via `--requestheader-allowed-names=front-proxy-client`.
pub const FRONT_PROXY_CLIENT_CN: &str = "front-proxy-client";
pub const FRONT_PROXY_CA_CN: &str = "front-proxy-ca";

/// Anything longer is a typo, and would overflow date arithmetic long before it mattered.
const MAX_VALIDITY_DAYS: u32 = 36_500;

/// Backdating absorbs clock skew between this machine and the control plane.
const BACKDATE: Duration = Duration::minutes(5);

pub struct GeneratedFrontProxy {
    pub ca_cert_pem: String,
    pub ca_key_pem: String,
    pub client_cert_pem: String,
    pub client_key_pem: String,
}

impl fmt::Debug for GeneratedFrontProxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GeneratedFrontProxy")
            .field("ca_cert_pem_len", &self.ca_cert_pem.len())
            .field("ca_key_pem", &"<redacted>")
            .field("client_cert_pem_len", &self.client_cert_pem.len())
            .field("client_key_pem", &"<redacted>")
            .finish()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    #[error("validity of {days} days is out of range 1..={MAX_VALIDITY_DAYS}")]
    Validity { days: u32 },
    #[error("certificate generation failed: {0}")]
    Rcgen(#[from] rcgen::Error),
}

fn name(cn: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, cn);
    dn
}

/// Generates the pair valid from now for `validity_days`.
pub fn generate_front_proxy_pair(validity_days: u32) -> Result<GeneratedFrontProxy, GenerateError> {
    generate_front_proxy_pair_at(OffsetDateTime::now_utc(), validity_days)
}

/// Same as [`generate_front_proxy_pair`] with an explicit clock, for reproducible tests.
pub fn generate_front_proxy_pair_at(
    now: OffsetDateTime,
    validity_days: u32,
) -> Result<GeneratedFrontProxy, GenerateError> {
    let not_after = (1..=MAX_VALIDITY_DAYS)
        .contains(&validity_days)
        .then(|| now.checked_add(Duration::days(i64::from(validity_days))))
        .flatten()
        .ok_or(GenerateError::Validity {
            days: validity_days,
        })?;
    let not_before = now.checked_sub(BACKDATE).unwrap_or(now);

    let ca_key = KeyPair::generate()?;
    let mut ca_params = CertificateParams::default();
    ca_params.distinguished_name = name(FRONT_PROXY_CA_CN);
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    ca_params.not_before = not_before;
    ca_params.not_after = not_after;
    let ca_cert = ca_params.self_signed(&ca_key)?;

    let client_key = KeyPair::generate()?;
    let mut client_params = CertificateParams::default();
    client_params.distinguished_name = name(FRONT_PROXY_CLIENT_CN);
    client_params.is_ca = IsCa::ExplicitNoCa;
    client_params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    client_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    client_params.use_authority_key_identifier_extension = true;
    client_params.not_before = not_before;
    client_params.not_after = not_after;
    let issuer = Issuer::from_params(&ca_params, &ca_key);
    let client_cert = client_params.signed_by(&client_key, &issuer)?;

    Ok(GeneratedFrontProxy {
        ca_cert_pem: ca_cert.pem(),
        ca_key_pem: ca_key.serialize_pem(),
        client_cert_pem: client_cert.pem(),
        client_key_pem: client_key.serialize_pem(),
    })
}
