//! For synchronous tests (e.g. `assert_cmd` driving the CLI binary): a server that owns
//! its own tokio runtime, so the caller needs no async context at all.

use std::ops::Deref;

use tokio::runtime::Runtime;

use crate::config::ServerConfig;
use crate::server::RunningServer;

/// A [`RunningServer`] on a private 2-worker runtime. Derefs to the server, so
/// `endpoint`, `write_kubeconfig`, `request_log` etc. are called directly on it.
/// Dropping it stops the server; it is safe to drop from inside another runtime.
pub struct BlockingServer {
    server: Option<RunningServer>,
    runtime: Option<Runtime>,
}

impl BlockingServer {
    pub fn start(cfg: ServerConfig) -> anyhow::Result<BlockingServer> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("fakeapi")
            .enable_all()
            .build()?;
        let server = runtime.block_on(RunningServer::start(cfg))?;
        Ok(BlockingServer {
            server: Some(server),
            runtime: Some(runtime),
        })
    }

    pub fn handle(&self) -> Option<tokio::runtime::Handle> {
        self.runtime.as_ref().map(|r| r.handle().clone())
    }

    /// Stops the server and waits for its listeners to close.
    pub fn shutdown(mut self) {
        if let (Some(server), Some(rt)) = (self.server.take(), self.runtime.take()) {
            rt.block_on(server.shutdown());
            rt.shutdown_background();
        }
    }
}

impl Deref for BlockingServer {
    type Target = RunningServer;

    fn deref(&self) -> &RunningServer {
        match &self.server {
            Some(s) => s,
            // `server` is only taken by `shutdown(self)` and `drop`, after which no
            // reference can exist.
            None => unreachable!("BlockingServer used after shutdown"),
        }
    }
}

impl Drop for BlockingServer {
    fn drop(&mut self) {
        // Dropping the server closes its shutdown channel, which ends every task;
        // `shutdown_background` does not block, so this works inside async code too.
        drop(self.server.take());
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

impl RunningServer {
    /// Starts a server on its own runtime; see [`BlockingServer`].
    pub fn start_blocking(cfg: ServerConfig) -> anyhow::Result<BlockingServer> {
        BlockingServer::start(cfg)
    }
}
