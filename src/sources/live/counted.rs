//! Requests counted per cluster, for the read summary in the report (the shared
//! [`Stats`](super::request::Stats) count the whole run).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use serde_json::Value;

use super::errors::ReqError;
use super::request::Getter;

/// A cluster's [`Getter`] that counts the requests made through it (retries inside one
/// request are not counted again).
#[derive(Clone)]
pub struct Counted {
    get: Getter,
    requests: Arc<AtomicUsize>,
}

impl Counted {
    /// `requests` is the cluster's counter, created before its client so that a
    /// cluster failing early still reports what it cost.
    pub fn new(get: Getter, requests: Arc<AtomicUsize>) -> Counted {
        Counted { get, requests }
    }

    pub async fn get(&self, path_and_query: &str) -> Result<Value, ReqError> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        self.get.get(path_and_query).await
    }

    /// [`Getter::get_sized`], counted.
    pub async fn get_sized(&self, path_and_query: &str) -> Result<(Value, usize), ReqError> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        self.get.get_sized(path_and_query).await
    }
}
