//! Errors for reading certificates and keys. Messages carry structure (labels, indices,
//! parser reasons), never the bytes being parsed.

use super::pem::PemError;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertError {
    #[error("value is an unrendered template placeholder or empty, not a certificate")]
    Placeholder,
    #[error(transparent)]
    Pem(#[from] PemError),
    #[error("no CERTIFICATE block; found: [{found}]")]
    NoCertificate { found: String },
    #[error("certificate #{index} in the PEM is not valid X.509: {detail}")]
    X509 { index: usize, detail: String },
}

/// Why a private key could not be compared with its certificate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("value is an unrendered template placeholder or empty, not a key")]
    Placeholder,
    #[error(transparent)]
    Pem(#[from] PemError),
    #[error("no private key block; found: [{found}]")]
    NoKey { found: String },
    /// kube-apiserver cannot load passphrase-protected keys either, so this is a real error.
    #[error("private key is encrypted ({label}); kube-apiserver cannot use an encrypted key")]
    Encrypted { label: String },
    #[error("{label} block is not a valid key: {detail}")]
    Malformed { label: String, detail: String },
    #[error("unsupported key: {detail}")]
    Unsupported { detail: String },
}
