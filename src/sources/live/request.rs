//! One read-only GET with the guard rails every request gets: a global concurrency
//! bound, a per-request timeout, a deadline for the whole run, a body read as a stream
//! and cut off at a byte cap, and bounded retries with backoff on 429 (honouring
//! Retry-After up to the request timeout) and 5xx. [`Pages`] bounds one paginated list.
//! Nothing here can send anything but GET.

use std::collections::HashSet;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use http_body_util::BodyExt as _;
use serde_json::Value;
use tokio::sync::Semaphore;

use super::errors::{chain, ReqError};

/// Attempts for one request, the first included.
pub const MAX_ATTEMPTS: u32 = 4;
/// A server asking for more than this in Retry-After gets it capped (and never more
/// than the request timeout): the run has a deadline of its own and a person waiting.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(10);
/// Largest response read. The body is read as a stream and cut off here, so an endless
/// or huge body costs at most this much memory (and parsing it some multiple): a list
/// page of 500 objects is far below it.
pub const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;
/// Most pages of one list (500 objects each): a million objects of one kind.
pub const MAX_LIST_PAGES: usize = 2_000;
/// Most bytes of responses for one list, all pages together.
pub const MAX_LIST_BYTES: usize = 1024 * 1024 * 1024;

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
    /// The whole run's limit and when it runs out: no request starts, waits or sleeps
    /// past it.
    deadline: Option<(Duration, Instant)>,
}

impl Limiter {
    pub fn new(concurrency: usize, timeout: Duration) -> Limiter {
        Limiter {
            sem: Arc::new(Semaphore::new(concurrency.max(1))),
            timeout,
            stats: Arc::new(Stats::default()),
            deadline: None,
        }
    }

    /// Every request of the run ends by `total` from now (`--timeout`).
    pub fn with_deadline(mut self, total: Duration) -> Limiter {
        self.deadline = Some((total, Instant::now() + total));
        self
    }

    /// Time left before the run's deadline, or the error saying it passed.
    fn remaining(&self) -> Result<Option<Duration>, ReqError> {
        match self.deadline {
            None => Ok(None),
            Some((total, at)) => match at.checked_duration_since(Instant::now()) {
                Some(left) if !left.is_zero() => Ok(Some(left)),
                _ => Err(ReqError::RunTimeout(total)),
            },
        }
    }
}

/// The bounds of one paginated list: a page cap, a byte cap, and a server that hands
/// out a continue token it gave before (which would loop forever) is stopped at once.
#[derive(Debug, Default)]
pub struct Pages {
    pages: usize,
    bytes: usize,
    /// Hashes of the tokens seen since the list (re)started.
    seen: HashSet<u64>,
}

impl Pages {
    /// Account for a page of `bytes` that ends with `token` (None: the last page).
    pub fn next(&mut self, bytes: usize, token: Option<&str>) -> Result<(), ReqError> {
        self.pages += 1;
        self.bytes = self.bytes.saturating_add(bytes);
        if self.bytes > MAX_LIST_BYTES {
            return Err(ReqError::Unbounded(format!(
                "the list's pages add up to more than {MAX_LIST_BYTES} bytes; stopped"
            )));
        }
        let Some(token) = token else {
            return Ok(());
        };
        if self.pages >= MAX_LIST_PAGES {
            return Err(ReqError::Unbounded(format!(
                "the list goes on past {MAX_LIST_PAGES} pages (the server keeps returning \
                 continue tokens); stopped"
            )));
        }
        let mut h = std::collections::hash_map::DefaultHasher::new();
        token.hash(&mut h);
        if !self.seen.insert(h.finish()) {
            return Err(ReqError::Unbounded(
                "the server returned a continue token it had already returned (the list \
                 would never end); stopped"
                    .into(),
            ));
        }
        Ok(())
    }

    /// The list starts again from its first page (an expired token): tokens may repeat,
    /// pages and bytes keep counting.
    pub fn restart(&mut self) {
        self.seen.clear();
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
        self.get_sized(path_and_query).await.map(|(v, _)| v)
    }

    /// [`Getter::get`], with the size of the body read (for [`Pages`]).
    pub async fn get_sized(&self, path_and_query: &str) -> Result<(Value, usize), ReqError> {
        let mut attempt = 1;
        loop {
            let (res, retry_after) = self.attempt(path_and_query).await;
            match res {
                Ok(v) => return Ok(v),
                // A timeout is not repeated: a hanging server would cost the whole
                // timeout again, and a person is waiting.
                Err(e @ ReqError::Timeout(_)) => return Err(e),
                Err(e) if e.retriable() && attempt < MAX_ATTEMPTS => {
                    let backoff = retry_after
                        .map(|d| d.min(MAX_RETRY_AFTER).min(self.limiter.timeout))
                        .unwrap_or_else(|| Duration::from_millis(200 * 2u64.pow(attempt - 1)));
                    // No retry that the run's deadline would cut short anyway.
                    match self.limiter.remaining() {
                        Ok(Some(left)) if left <= backoff => return Err(e),
                        Err(_) => return Err(e),
                        _ => {}
                    }
                    self.limiter.stats.retries.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(backoff).await;
                    attempt += 1;
                }
                Err(e) => return Err(e),
            }
        }
    }

    async fn attempt(
        &self,
        path_and_query: &str,
    ) -> (Result<(Value, usize), ReqError>, Option<Duration>) {
        let left = match self.limiter.remaining() {
            Ok(l) => l,
            Err(e) => return (Err(e), None),
        };
        // The permit bounds requests in flight across all clusters, not tasks: a task
        // sleeping in backoff holds none. Waiting for it counts against the deadline.
        let acquire = self.limiter.sem.acquire();
        let permit = match left {
            None => acquire.await.ok(),
            Some(l) => match tokio::time::timeout(l, acquire).await {
                Ok(p) => p.ok(),
                Err(_) => return (Err(self.run_timeout()), None),
            },
        };
        let Some(_permit) = permit else {
            return (Err(ReqError::Transport("collector shut down".into())), None);
        };
        let left = match self.limiter.remaining() {
            Ok(l) => l,
            Err(e) => return (Err(e), None),
        };
        let stats = &self.limiter.stats;
        stats.requests.fetch_add(1, Ordering::Relaxed);
        let now = stats.in_flight.fetch_add(1, Ordering::Relaxed) + 1;
        stats.max_in_flight.fetch_max(now, Ordering::Relaxed);
        let timeout = self.limiter.timeout;
        // The run's deadline cuts the request short when it comes first.
        let (limit, by_deadline) = match left {
            Some(l) if l < timeout => (l, true),
            _ => (timeout, false),
        };
        let out = match tokio::time::timeout(limit, self.send(path_and_query)).await {
            Ok(r) => r,
            Err(_) if by_deadline => (Err(self.run_timeout()), None),
            Err(_) => (Err(ReqError::Timeout(timeout)), None),
        };
        stats.in_flight.fetch_sub(1, Ordering::Relaxed);
        out
    }

    fn run_timeout(&self) -> ReqError {
        ReqError::RunTimeout(self.limiter.deadline.map(|(t, _)| t).unwrap_or_default())
    }

    async fn send(
        &self,
        path_and_query: &str,
    ) -> (Result<(Value, usize), ReqError>, Option<Duration>) {
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
        let declared = resp
            .headers()
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|s| s.trim().parse::<u64>().ok());
        let bytes = match read_capped(resp.into_body(), declared, MAX_BODY_BYTES).await {
            Ok(b) => b,
            Err(e) => return (Err(e), retry_after),
        };
        let parsed: Result<Value, _> = serde_json::from_slice(&bytes);
        if (200..300).contains(&status) {
            return match parsed {
                Ok(v) => (Ok((v, bytes.len())), None),
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

/// Read a body frame by frame, stopping as soon as it passes `cap` bytes: nothing is
/// allocated for what a server claims or sends beyond the cap.
async fn read_capped<B>(mut body: B, declared: Option<u64>, cap: usize) -> Result<Vec<u8>, ReqError>
where
    B: http_body::Body<Data = bytes::Bytes> + Unpin,
    B::Error: std::error::Error + 'static,
{
    let too_large = || {
        ReqError::Unbounded(format!(
            "response larger than {cap} bytes; cut off (a list page of {} objects is far smaller)",
            super::collect::PAGE_SIZE
        ))
    };
    if declared.is_some_and(|n| n > cap as u64) {
        return Err(too_large());
    }
    // A declared length is trusted only as far as the first megabyte of buffer.
    let mut buf = Vec::with_capacity(declared.unwrap_or(0).min(1 << 20) as usize);
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| ReqError::Body(chain(&e)))?;
        if let Ok(data) = frame.into_data() {
            if buf.len().saturating_add(data.len()) > cap {
                return Err(too_large());
            }
            buf.extend_from_slice(&data);
        }
    }
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_stop_on_a_repeated_token_and_past_the_page_cap() {
        let mut p = Pages::default();
        p.next(10, Some("a")).unwrap();
        p.next(10, Some("b")).unwrap();
        assert!(matches!(p.next(10, Some("a")), Err(ReqError::Unbounded(_))));
        // After a restart the same tokens come again legitimately.
        let mut p = Pages::default();
        p.next(10, Some("a")).unwrap();
        p.restart();
        p.next(10, Some("a")).unwrap();
        p.next(10, None).unwrap();
        let mut p = Pages::default();
        let mut i = 0;
        let err = loop {
            if let Err(e) = p.next(1, Some(&i.to_string())) {
                break e;
            }
            i += 1;
        };
        assert_eq!(i + 1, MAX_LIST_PAGES);
        assert!(err.to_string().contains("pages"), "{err}");
    }

    #[tokio::test]
    async fn bodies_are_cut_off_at_the_cap_without_reading_on() {
        let body = http_body_util::Full::new(bytes::Bytes::from(vec![b'x'; 100]));
        assert_eq!(read_capped(body, None, 100).await.unwrap().len(), 100);
        let body = http_body_util::Full::new(bytes::Bytes::from(vec![b'x'; 101]));
        assert!(matches!(
            read_capped(body, None, 100).await,
            Err(ReqError::Unbounded(_))
        ));
        // A declared length over the cap is refused before any byte is read.
        let body = http_body_util::Empty::<bytes::Bytes>::new();
        assert!(read_capped(body, Some(1 << 40), 100).await.is_err());
    }
}
