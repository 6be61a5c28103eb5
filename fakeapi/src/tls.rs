//! The throwaway PKI minted at startup: one CA, one server cert, one client cert per
//! cluster. Everything lives in memory; nothing from the host's trust store is used.

use std::sync::Arc;

use anyhow::Context;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::server::WebPkiClientVerifier;
use rustls::RootCertStore;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// A client certificate and its key, PEM-encoded as kubeconfigs want them.
#[derive(Debug, Clone)]
pub struct ClientIdentity {
    /// The certificate's subject CN, which the apiserver treats as the user name.
    pub user: String,
    pub cert_pem: String,
    pub key_pem: String,
    pub cert_der: Vec<u8>,
}

pub struct Pki {
    pub ca_pem: String,
    ca_der: CertificateDer<'static>,
    server_chain: Vec<CertificateDer<'static>>,
    server_key_der: Vec<u8>,
    pub clients: Vec<ClientIdentity>,
}

impl Pki {
    /// Mints the CA, the loopback server cert and one client cert per user name.
    pub fn generate(users: &[String]) -> anyhow::Result<Pki> {
        let ca_key = KeyPair::generate().context("generating CA key")?;
        let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "fakeapi-ca");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca_cert = ca_params.self_signed(&ca_key).context("self-signing CA")?;
        let issuer = Issuer::new(ca_params, &ca_key);

        let server_key = KeyPair::generate()?;
        let mut sp =
            CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])?;
        sp.distinguished_name
            .push(DnType::CommonName, "fakeapi-server");
        sp.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        sp.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        let server_cert = sp
            .signed_by(&server_key, &issuer)
            .context("signing server cert")?;

        let mut clients = Vec::new();
        for user in users {
            let key = KeyPair::generate()?;
            let mut cp = CertificateParams::new(Vec::<String>::new())?;
            cp.distinguished_name
                .push(DnType::CommonName, user.as_str());
            // Like a kubeadm admin cert, so the identity looks real in logs and messages.
            cp.distinguished_name
                .push(DnType::OrganizationName, "system:masters");
            cp.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
            cp.key_usages = vec![
                KeyUsagePurpose::DigitalSignature,
                KeyUsagePurpose::KeyEncipherment,
            ];
            let cert = cp.signed_by(&key, &issuer).context("signing client cert")?;
            clients.push(ClientIdentity {
                user: user.clone(),
                cert_pem: cert.pem(),
                key_pem: key.serialize_pem(),
                cert_der: cert.der().to_vec(),
            });
        }

        Ok(Pki {
            ca_pem: ca_cert.pem(),
            ca_der: ca_cert.der().clone(),
            server_chain: vec![server_cert.der().clone()],
            server_key_der: server_key.serialize_der(),
            clients,
        })
    }

    pub fn ca_der(&self) -> &CertificateDer<'static> {
        &self.ca_der
    }

    /// `certificate_optional` lets bearer-token clients in without a certificate; a
    /// certificate that *is* presented must still chain to our CA either way.
    pub fn server_config(
        &self,
        certificate_optional: bool,
    ) -> anyhow::Result<Arc<rustls::ServerConfig>> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut roots = RootCertStore::empty();
        roots.add(self.ca_der.clone())?;
        let mut builder =
            WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone());
        if certificate_optional {
            builder = builder.allow_unauthenticated();
        }
        let verifier = builder.build()?;
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.server_key_der.clone()));
        let mut cfg = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_client_cert_verifier(verifier)
            .with_single_cert(self.server_chain.clone(), key)?;
        // HTTP/1.1 only: "close mid-body" then really closes the connection, and every
        // client we care about (kube-rs, kubectl) speaks it.
        cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Arc::new(cfg))
    }
}

/// A self-signed identity our CA never saw, for "wrong client cert" tests.
pub fn foreign_identity(user: &str) -> anyhow::Result<ClientIdentity> {
    let key = KeyPair::generate()?;
    let mut cp = CertificateParams::new(Vec::<String>::new())?;
    cp.distinguished_name.push(DnType::CommonName, user);
    cp.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    let cert = cp.self_signed(&key)?;
    Ok(ClientIdentity {
        user: user.to_string(),
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
        cert_der: cert.der().to_vec(),
    })
}
