//! Every request the fake apiserver saw, so tests can assert on client behaviour
//! (e.g. "only GETs", "restarted the list after 410").

use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::json;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRecord {
    pub cluster: String,
    pub method: String,
    pub path: String,
    /// Raw query string without `?`; empty when there was none.
    pub query: String,
    /// 0 for requests that were never answered (the `Hang` fault).
    pub status: u16,
    /// Client certificate CN, or the bearer-token user; `None` if unauthenticated.
    pub user: Option<String>,
    pub at: SystemTime,
}

impl RequestRecord {
    pub fn to_json_line(&self) -> String {
        let at_ms = self
            .at
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or(0);
        json!({
            "cluster": self.cluster,
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "status": self.status,
            "user": self.user,
            "at_unix_ms": at_ms as u64,
        })
        .to_string()
    }

    /// Path plus `?query`, as it appeared on the wire.
    pub fn uri(&self) -> String {
        if self.query.is_empty() {
            self.path.clone()
        } else {
            format!("{}?{}", self.path, self.query)
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct RequestLog {
    inner: Arc<Mutex<Vec<RequestRecord>>>,
}

impl RequestLog {
    pub fn push(&self, r: RequestRecord) {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).push(r);
    }

    pub fn snapshot(&self) -> Vec<RequestRecord> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn clear(&self) {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}
