//! What can go wrong with one request, in words a person can act on, and how each error
//! maps onto a gap in the inventory.

use std::time::Duration;

use crate::inventory::GapCause;

#[derive(Debug, Clone, thiserror::Error)]
pub enum ReqError {
    /// The API server answered with an error status (a `Status` body when it is one).
    #[error("{code} {reason}: {message}")]
    Status {
        code: u16,
        reason: String,
        message: String,
    },
    /// No HTTP answer at all: connection refused, DNS, TLS handshake, auth plugin.
    #[error("{0}")]
    Transport(String),
    #[error("no answer within {0:?} (--request-timeout)")]
    Timeout(Duration),
    /// An answer that is not what was asked for: torn body, not JSON.
    #[error("bad response: {0}")]
    Body(String),
    /// A response or a list past its byte, page or token bounds: asking again gets the
    /// same, so it is never retried.
    #[error("bad response: {0}")]
    Unbounded(String),
    /// The whole run's time limit ran out before this read finished.
    #[error("not read: the run's time limit of {0:?} (--timeout) ran out first")]
    RunTimeout(Duration),
}

impl ReqError {
    /// Worth another attempt: overload, server errors, timeouts, torn bodies.
    pub fn retriable(&self) -> bool {
        match self {
            ReqError::Status { code, .. } => matches!(code, 429 | 500 | 502 | 503 | 504),
            ReqError::Timeout(_) | ReqError::Body(_) => true,
            ReqError::Transport(_) | ReqError::Unbounded(_) | ReqError::RunTimeout(_) => false,
        }
    }

    pub fn code(&self) -> Option<u16> {
        match self {
            ReqError::Status { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// Whether this says the cluster as a whole cannot be talked to.
    pub fn is_unreachable(&self) -> bool {
        matches!(self, ReqError::Transport(_) | ReqError::Timeout(_))
    }

    pub fn cause(&self) -> GapCause {
        match self {
            ReqError::Status {
                code: 401 | 403, ..
            } => GapCause::Forbidden,
            ReqError::Status { code: 404, .. } => GapCause::NotServed,
            ReqError::Transport(_) | ReqError::Timeout(_) => GapCause::Unreachable,
            ReqError::Status {
                code: 500..=599, ..
            } => GapCause::Failed,
            _ => GapCause::Interrupted,
        }
    }

    /// `cannot list secrets in karmada-system: forbidden`, the way kubectl users read it.
    pub fn describe(&self, verb: &str, resource: &str, namespace: Option<&str>) -> String {
        let place = match namespace {
            Some(ns) => format!("in {ns}"),
            None => "cluster-wide".to_string(),
        };
        match self {
            ReqError::Status {
                code: 403, message, ..
            } => {
                format!("cannot {verb} {resource} {place}: forbidden ({message})")
            }
            ReqError::Status { code: 401, .. } => {
                format!("cannot {verb} {resource} {place}: unauthorized (credentials rejected)")
            }
            other => format!("cannot {verb} {resource} {place}: {other}"),
        }
    }
}

/// Flatten a kube client error into its chain of causes: "error trying to connect: tcp
/// connect error: Connection refused (os error 111)" tells more than the outer layer.
pub fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![e.to_string()];
    let mut cur = e.source();
    while let Some(s) = cur {
        let t = s.to_string();
        if !parts.iter().any(|p| p.contains(&t)) {
            parts.push(t);
        }
        cur = s.source();
    }
    parts.join(": ")
}
