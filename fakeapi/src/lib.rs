//! A loopback fake Kubernetes API server for karmada-preflight's live-mode tests and demos.
//!
//! Each simulated cluster gets its own HTTPS listener on 127.0.0.1 with client-certificate
//! auth, serves read-only discovery/get/list from fixture objects, and can be told to
//! misbehave (403/500/429/410, latency, torn bodies, hangs, closed ports). Every request
//! is logged so tests can assert what a client actually did.
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use fakeapi::{ClusterSpec, RunningServer, ServerConfig};
//! let cfg = ServerConfig { clusters: vec![ClusterSpec::new("member1", vec![])], ..Default::default() };
//! let server = RunningServer::start(cfg).await?;
//! server.write_kubeconfig(std::path::Path::new("/tmp/kubeconfig"))?;
//! server.shutdown().await;
//! # Ok(()) }
//! ```

mod blocking;
mod body;
mod config;
pub mod discovery;
mod faults;
mod fixtures;
mod fleet;
mod kubeconfig;
mod log;
mod router;
mod selectors;
mod server;
mod status;
mod store;
mod table;
pub mod tls;

pub use blocking::BlockingServer;
pub use config::{ClusterSpec, Fault, FaultKind, ServerConfig};
pub use fixtures::load_objects_from_dir;
pub use fleet::{generate_fleet, member_name};
pub use log::RequestRecord;
pub use server::RunningServer;
pub use store::{decode_continue, encode_continue};
pub use tls::ClientIdentity;
