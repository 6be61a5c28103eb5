//! Front-proxy (aggregation layer) certificate analysis for karmada-apiserver.
//!
//! Karmada v1.0 serves its aggregated APIs through kube-apiserver's aggregation layer, which
//! needs a dedicated front-proxy CA, a client cert with CN in
//! `--requestheader-allowed-names` and clientAuth usage, and a matching key. These modules
//! take PEM bytes (the caller base64-decodes Secret values) and never echo key material:
//! types holding keys implement `Debug` by hand.

mod error;
mod front_proxy;
mod generate;
mod key;
mod pem;
mod problem;
mod summary;

pub use error::{CertError, KeyError};
pub use front_proxy::{analyze_front_proxy, FrontProxyInput, FrontProxyReport};
pub use generate::{
    generate_front_proxy_pair, generate_front_proxy_pair_at, GenerateError, GeneratedFrontProxy,
    FRONT_PROXY_CA_CN, FRONT_PROXY_CLIENT_CN,
};
pub use pem::{is_placeholder, PemError};
pub use problem::{CertPart, CertProblem, ProblemSeverity};
pub use summary::{
    describe_cert, describe_certs, fingerprint_sha256, CertSummary, ExtKeyUsage, PublicKeyKind,
};
