//! What can be wrong with a front-proxy setup, how bad it is, and how to say it.
//!
//! Variants carry names, dates and parser reasons only; no certificate or key bytes, so the
//! derived `Debug` is safe to log.

use std::fmt;

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::summary::ExtKeyUsage;

/// Which input a problem is about; `Display` names the Secret key / flag an operator knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CertPart {
    FrontProxyCa,
    ClientCert,
    ClientKey,
    ClientCa,
}

impl fmt::Display for CertPart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CertPart::FrontProxyCa => {
                "front-proxy CA (front-proxy-ca.crt, --requestheader-client-ca-file)"
            }
            CertPart::ClientCert => {
                "front-proxy client certificate (front-proxy-client.crt, --proxy-client-cert-file)"
            }
            CertPart::ClientKey => {
                "front-proxy client key (front-proxy-client.key, --proxy-client-key-file)"
            }
            CertPart::ClientCa => "client CA (--client-ca-file)",
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProblemSeverity {
    /// The aggregation layer will not work, or is insecure.
    Error,
    /// Works today but needs attention (expiry soon, hygiene).
    Warning,
    /// Could not be checked (placeholder, unsupported algorithm); never a pass.
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertProblem {
    Placeholder {
        which: CertPart,
    },
    NotPem {
        which: CertPart,
        detail: String,
    },
    /// No certificate in the front-proxy CA bundle issued the client certificate (name and
    /// signature both have to match, as in Go's chain building).
    NotSignedByFrontProxyCa {
        client_issuer: String,
        ca_subjects: Vec<String>,
    },
    /// The signature algorithm is outside what we can verify (e.g. P-521, RSA < 2048).
    SignatureUnverifiable {
        detail: String,
    },
    /// `cn` is empty when the certificate has no CN at all.
    CnNotAllowed {
        cn: String,
        allowed: Vec<String>,
    },
    /// The client certificate has an extendedKeyUsage extension without clientAuth.
    NoClientAuthUsage {
        usages: Vec<ExtKeyUsage>,
    },
    Expired {
        not_after: OffsetDateTime,
    },
    NotYetValid {
        not_before: OffsetDateTime,
    },
    ExpiresSoon {
        not_after: OffsetDateTime,
        days_left: i64,
    },
    CaNotACa {
        subject: String,
    },
    CaExpired {
        subject: String,
        not_after: OffsetDateTime,
    },
    CaNotYetValid {
        subject: String,
        not_before: OffsetDateTime,
    },
    CaExpiresSoon {
        subject: String,
        not_after: OffsetDateTime,
        days_left: i64,
    },
    /// Go checks extended key usage along the whole chain, root included.
    CaExcludesClientAuth {
        subject: String,
        usages: Vec<ExtKeyUsage>,
    },
    /// The front-proxy CA is also trusted by `--client-ca-file`.
    CaReusedAsClientCa {
        /// `--requestheader-allowed-names` is set, which limits who can assert identities.
        allowed_names_restricted: bool,
    },
    KeyDoesNotMatchCert,
    KeyEncrypted,
    UnsupportedKey {
        detail: String,
    },
}

fn when(t: &OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_else(|_| t.to_string())
}

fn usages(list: &[ExtKeyUsage]) -> String {
    if list.is_empty() {
        return "none readable".to_string();
    }
    list.iter()
        .map(|u| match u {
            ExtKeyUsage::Other(oid) => oid.clone(),
            other => format!("{other:?}"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

impl CertProblem {
    pub fn severity(&self) -> ProblemSeverity {
        use CertProblem::*;
        match self {
            Placeholder { .. } | SignatureUnverifiable { .. } | UnsupportedKey { .. } => {
                ProblemSeverity::Unknown
            }
            ExpiresSoon { .. } | CaExpiresSoon { .. } => ProblemSeverity::Warning,
            // Go does not require CA:TRUE on a trust anchor (only on intermediates), so the
            // aggregation layer still works; it is a hygiene problem and trips other tools.
            CaNotACa { .. } => ProblemSeverity::Warning,
            // With allowed names set only the front-proxy CN can assert identities, so reuse
            // is a defence-in-depth issue; without them any client cert from the shared CA can
            // impersonate any user via X-Remote-User.
            CaReusedAsClientCa {
                allowed_names_restricted: true,
            } => ProblemSeverity::Warning,
            CaReusedAsClientCa {
                allowed_names_restricted: false,
            } => ProblemSeverity::Error,
            NotPem { .. }
            | NotSignedByFrontProxyCa { .. }
            | CnNotAllowed { .. }
            | NoClientAuthUsage { .. }
            | Expired { .. }
            | NotYetValid { .. }
            | CaExpired { .. }
            | CaNotYetValid { .. }
            | CaExcludesClientAuth { .. }
            | KeyDoesNotMatchCert
            | KeyEncrypted => ProblemSeverity::Error,
        }
    }

    /// Stable identifier for rule output (SARIF rule ids, JUnit test names, suppressions).
    pub fn code(&self) -> &'static str {
        use CertProblem::*;
        match self {
            Placeholder { .. } => "front-proxy/placeholder",
            NotPem { .. } => "front-proxy/not-pem",
            NotSignedByFrontProxyCa { .. } => "front-proxy/not-signed-by-ca",
            SignatureUnverifiable { .. } => "front-proxy/signature-unverifiable",
            CnNotAllowed { .. } => "front-proxy/cn-not-allowed",
            NoClientAuthUsage { .. } => "front-proxy/no-client-auth",
            Expired { .. } => "front-proxy/client-expired",
            NotYetValid { .. } => "front-proxy/client-not-yet-valid",
            ExpiresSoon { .. } => "front-proxy/client-expires-soon",
            CaNotACa { .. } => "front-proxy/ca-not-ca",
            CaExpired { .. } => "front-proxy/ca-expired",
            CaNotYetValid { .. } => "front-proxy/ca-not-yet-valid",
            CaExpiresSoon { .. } => "front-proxy/ca-expires-soon",
            CaExcludesClientAuth { .. } => "front-proxy/ca-excludes-client-auth",
            CaReusedAsClientCa { .. } => "front-proxy/ca-reused-as-client-ca",
            KeyDoesNotMatchCert => "front-proxy/key-mismatch",
            KeyEncrypted => "front-proxy/key-encrypted",
            UnsupportedKey { .. } => "front-proxy/unsupported-key",
        }
    }

    pub fn message(&self) -> String {
        use CertProblem::*;
        match self {
            Placeholder { which } => format!(
                "{which} is an unrendered template placeholder or empty; fill it with real PEM before upgrading"
            ),
            NotPem { which, detail } => format!("{which} cannot be read: {detail}"),
            NotSignedByFrontProxyCa { client_issuer, ca_subjects } => format!(
                "front-proxy client certificate (issuer {client_issuer:?}) is not signed by the front-proxy CA ({}); kube-apiserver will reject aggregated API requests",
                ca_subjects.join("; ")
            ),
            SignatureUnverifiable { detail } => format!(
                "could not verify that the front-proxy CA signed the client certificate: {detail}"
            ),
            CnNotAllowed { cn, allowed } => {
                let cn = if cn.is_empty() { "(none)" } else { cn.as_str() };
                format!(
                    "front-proxy client certificate CN {cn:?} is not in --requestheader-allowed-names [{}]; the aggregated apiserver will ignore the forwarded user",
                    allowed.join(", ")
                )
            }
            NoClientAuthUsage { usages: u } => format!(
                "front-proxy client certificate lacks the clientAuth extended key usage (has: {})",
                usages(u)
            ),
            Expired { not_after } => {
                format!("front-proxy client certificate expired at {}", when(not_after))
            }
            NotYetValid { not_before } => format!(
                "front-proxy client certificate is not valid until {} (clock skew or wrong dates)",
                when(not_before)
            ),
            ExpiresSoon { not_after, days_left } => format!(
                "front-proxy client certificate expires at {} ({days_left} days left)",
                when(not_after)
            ),
            CaNotACa { subject } => format!(
                "front-proxy CA {subject:?} lacks basicConstraints CA:TRUE; kube-apiserver tolerates this for a trust anchor, but reissue it as a proper CA"
            ),
            CaExpired { subject, not_after } => {
                format!("front-proxy CA {subject:?} expired at {}", when(not_after))
            }
            CaNotYetValid { subject, not_before } => format!(
                "front-proxy CA {subject:?} is not valid until {}",
                when(not_before)
            ),
            CaExpiresSoon { subject, not_after, days_left } => format!(
                "front-proxy CA {subject:?} expires at {} ({days_left} days left)",
                when(not_after)
            ),
            CaExcludesClientAuth { subject, usages: u } => format!(
                "front-proxy CA {subject:?} restricts extended key usage to [{}] without clientAuth, so Go rejects client certificates it issues",
                usages(u)
            ),
            CaReusedAsClientCa { allowed_names_restricted } => {
                let risk = if *allowed_names_restricted {
                    "--requestheader-allowed-names limits the damage, but"
                } else {
                    "with no --requestheader-allowed-names, any client certificate from this CA can impersonate any user through the aggregation layer;"
                };
                format!(
                    "the front-proxy CA is also the --client-ca-file CA; {risk} Kubernetes requires a dedicated front-proxy CA (see 'CA reusage and conflicts')"
                )
            }
            KeyDoesNotMatchCert => {
                "front-proxy client key does not belong to the front-proxy client certificate".to_string()
            }
            KeyEncrypted => {
                "front-proxy client key is passphrase-encrypted; kube-apiserver cannot load encrypted keys".to_string()
            }
            UnsupportedKey { detail } => {
                format!("could not compare the front-proxy client key with its certificate: {detail}")
            }
        }
    }
}

impl fmt::Display for CertProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}
