//! One read-only GET with the guard rails every request gets: a global concurrency
//! bound, a per-request timeout, and bounded retries with backoff on 429 (honouring
//! Retry-After) and 5xx. Nothing here can send anything but GET.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::sync::Semaphore;

use super::errors::{chain, ReqError};

/// Attempts for one request, the first included.
pub const MAX_ATTEMPTS: u32 = 4;
/// A server asking for more than this in Retry-After gets it capped: the run has a
/// deadline of its own and a person waiting.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(10);
/// Largest response kept in memory; a list page of 500 objects is far below this.
const MAX_BODY_BYTES: usize = 256 * 1024 * 1024;

/// Request counters, shared by every cluster of a run.
#[derive(Debug, Default)]
pub struct Stats {
    pub requests: AtomicUsize,
    pub retries: AtomicUsize,
    in_flight: AtomicUsize,
    pub max_in_flight: AtomicUsize,
}

impl Stats {
    pub fn snapshot(&self) -> StatsSnapshot {
        StatsSnapshot {
            requests: self.requests.load(Ordering::Relaxed),
            retries: self.retries.load(Ordering::Relaxed),
            max_in_flight: self.max_in_flight.load(Ordering::Relaxed),
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StatsSnapshot {
    pub requests: usize,
    pub retries: usize,
    pub max_in_flight: usize,
}

/// What every request of a run shares.
#[derive(Debug, Clone)]
pub struct Limiter {
    sem: Arc<Semaphore>,
    pub timeout: Duration,
    pub stats: Arc<Stats>,
}

impl Limiter {
    pub fn new(concurrency: usize, timeout: Duration) -> Limiter {
        Limiter {
            sem: Arc::new(Semaphore::new(concurrency.max(1))),
            timeout,
            stats: Arc::new(Stats::default()),
        }
    }
}

/// A client for one cluster. Only `get` exists.
#[derive(Clone)]
pub struct Getter {
    client: kube::Client,
    limiter: Limiter,
}

impl Getter {
    pub fn new(client: kube::Client, limiter: Limiter) -> Getter {
        Getter { client, limiter }
    }

    /// GET `path_and_query` (relative to the cluster URL) as JSON, retrying transient
    /// failures.
    pub async fn get(&self, path_and_query: &str) -> Result<Value, ReqError> {
        let mut attempt = 1;
        loop {
            let (res, retry_after) = self.attempt(path_and_query).await;
            match res {
                Ok(v) => return Ok(v),
                Err(e) if e.retriable() && attempt < MAX_ATTEMPTS => {
                    // A timeout is costly to repeat (the whole timeout again): one retry only.
                    if matches!(e, ReqError::Timeout(_)) && attempt >= 2 {
                        return Err(e);
                    }
                    self.limiter.stats.retries.fetch_add(1, Ordering::Relaxed);
                    let backoff = retry_after
                        .map(|d| d.min(MAX_RETRY_AFTER))
                        .unwrap_or_else(|| Duration::from_millis(200 * 2u64.pow(attempt - 1)));
                    tokio::time::sleep(backoff).await;
                    attempt += 1;
                }
                Err(e) => return Err(e),
            }
        }
    }

    async fn attempt(&self, path_and_query: &str) -> (Result<Value, ReqError>, Option<Duration>) {
        // The permit bounds requests in flight across all clusters, not tasks: a task
        // sleeping in backoff holds none.
        let Ok(_permit) = self.limiter.sem.acquire().await else {
            return (Err(ReqError::Transport("collector shut down".into())), None);
        };
        let stats = &self.limiter.stats;
        stats.requests.fetch_add(1, Ordering::Relaxed);
        let now = stats.in_flight.fetch_add(1, Ordering::Relaxed) + 1;
        stats.max_in_flight.fetch_max(now, Ordering::Relaxed);
        let timeout = self.limiter.timeout;
        let out = match tokio::time::timeout(timeout, self.send(path_and_query)).await {
            Ok(r) => r,
            Err(_) => (Err(ReqError::Timeout(timeout)), None),
        };
        stats.in_flight.fetch_sub(1, Ordering::Relaxed);
        out
    }

    async fn send(&self, path_and_query: &str) -> (Result<Value, ReqError>, Option<Duration>) {
        let req = match http::Request::get(path_and_query)
            .header(http::header::ACCEPT, "application/json")
            .body(kube::client::Body::empty())
        {
            Ok(r) => r,
            Err(e) => {
                return (
                    Err(ReqError::Transport(format!(
                        "bad request path {path_and_query}: {e}"
                    ))),
                    None,
                )
            }
        };
        let resp = match self.client.send(req).await {
            Ok(r) => r,
            Err(e) => return (Err(ReqError::Transport(chain(&e))), None),
        };
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get(http::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|s| s.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let bytes = match resp.into_body().collect_bytes().await {
            Ok(b) => b,
            Err(e) => return (Err(ReqError::Body(chain(&e))), retry_after),
        };
        if bytes.len() > MAX_BODY_BYTES {
            return (
                Err(ReqError::Body(format!(
                    "response of {} bytes is too large",
                    bytes.len()
                ))),
                None,
            );
        }
        let parsed: Result<Value, _> = serde_json::from_slice(&bytes);
        if (200..300).contains(&status) {
            return match parsed {
                Ok(v) => (Ok(v), None),
                Err(e) => (Err(ReqError::Body(format!("not JSON: {e}"))), None),
            };
        }
        // Errors come as a `Status` object; anything else (a proxy's HTML page) is
        // summarised by its first line.
        let (reason, message) = match &parsed {
            Ok(v) if v.get("kind").and_then(Value::as_str) == Some("Status") => (
                v.get("reason")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
                v.get("message")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
            ),
            _ => (
                http::StatusCode::from_u16(status)
                    .ok()
                    .and_then(|s| s.canonical_reason())
                    .unwrap_or("")
                    .to_string(),
                String::from_utf8_lossy(&bytes[..bytes.len().min(200)])
                    .lines()
                    .next()
                    .unwrap_or("")
                    .to_string(),
            ),
        };
        (
            Err(ReqError::Status {
                code: status,
                reason,
                message,
            }),
            retry_after,
        )
    }
}
