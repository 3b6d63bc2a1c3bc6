//! A server: its configuration, its listeners and core thread started together, and
//! [`ServerHandle`] for running one in-process (tests, tools, benchmarks).
//!
//! The [`listener`](crate::listener)s accept connections, the [`codec`](crate::codec) serves
//! each on a tokio task, and the [`core`](crate::core) thread owns all state.

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use netui_protocol::{Limits, Size};
use tokio::sync::{mpsc, oneshot};

use crate::backend::{Backend, Headless};
use crate::core::{Core, CoreMsg, ScreenSink};
use crate::error::ServerError;
use crate::listener::{Listeners, Shared};
use crate::peer::Tokens;
use crate::rfb::answer::AnswerWatch;
use crate::rfb::RfbConfig;
use crate::tls::ServerTls;

/// Batches that may wait for the core before readers pause (backpressure).
const CORE_QUEUE: usize = 256;

/// Where and how a server listens.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The display name it serves, for `netinfo` (such as `:3`).
    pub display: String,
    /// Screen size.
    pub size: Size,
    /// Unix socket path, if any.
    pub unix: Option<PathBuf>,
    /// TCP address, if any (port 0 picks a free one).
    pub tcp: Option<SocketAddr>,
    /// TLS on the TCP port; `None` serves it in plain TCP (`--insecure-tcp`).
    pub tls: Option<ServerTls>,
    /// The secret that TCP clients must present: applications and viewers with input.
    pub token: Vec<u8>,
    /// The secret that lets a TCP viewer watch, and nothing more.
    pub view_token: Vec<u8>,
    /// Limits enforced on clients.
    pub limits: Limits,
    /// The RFB (VNC) endpoint, if any.
    pub rfb: Option<RfbConfig>,
}

/// A server whose listeners are bound, ready to run.
pub struct Server {
    config: ServerConfig,
    listeners: Listeners,
    tcp_addr: Option<SocketAddr>,
    rfb_addr: Option<SocketAddr>,
    rfb_answers: AnswerWatch,
    screen_tx: mpsc::UnboundedSender<CoreMsg>,
    screen_rx: mpsc::UnboundedReceiver<CoreMsg>,
    /// Whether the Unix socket's file is the server's to remove when it stops (not when a
    /// service manager passed the socket: see [`crate::activation`]).
    owns_unix: bool,
}

impl Server {
    /// Binds the listeners. A live socket at the Unix path means the display is taken; a dead
    /// one (left by a crash) is replaced.
    pub async fn bind(config: ServerConfig) -> Result<Self, ServerError> {
        let listeners = Listeners::bind(&config).await?;
        Ok(Self::with_listeners(config, listeners, true))
    }

    /// A server on listeners that a service manager passed (socket activation):
    /// `config`'s `unix`, `tcp` and `rfb` addresses are taken from them, and the Unix
    /// socket's file is left in place when the server stops (it is the service manager's).
    pub fn adopt(mut config: ServerConfig, listeners: Listeners) -> Self {
        config.unix = listeners.unix_path();
        config.tcp = listeners.tcp_addr();
        if let (Some(rfb), Some(addr)) = (config.rfb.as_mut(), listeners.rfb_addr()) {
            rfb.addr = addr;
        }
        Self::with_listeners(config, listeners, false)
    }

    fn with_listeners(config: ServerConfig, listeners: Listeners, owns_unix: bool) -> Self {
        let tcp_addr = listeners.tcp_addr();
        let rfb_addr = listeners.rfb_addr();
        let (screen_tx, screen_rx) = mpsc::unbounded_channel();
        Self {
            config,
            listeners,
            tcp_addr,
            rfb_addr,
            rfb_answers: AnswerWatch::default(),
            screen_tx,
            screen_rx,
            owns_unix,
        }
    }

    /// Where a benchmark in this process learns which inputs each update to a VNC viewer
    /// answers ([`crate::rfb::answer`]).
    pub fn rfb_answers(&self) -> AnswerWatch {
        self.rfb_answers.clone()
    }

    /// The way for a screen's window to send input and resizes to this server's core.
    pub fn screen_sink(&self) -> ScreenSink {
        ScreenSink::new(self.screen_tx.clone())
    }

    /// The bound TCP address (with the real port when 0 was asked for).
    pub fn tcp_addr(&self) -> Option<SocketAddr> {
        self.tcp_addr
    }

    /// The Unix socket path.
    pub fn unix_path(&self) -> Option<&Path> {
        self.config.unix.as_deref()
    }

    /// The bound RFB address (with the real port when 0 was asked for).
    pub fn rfb_addr(&self) -> Option<SocketAddr> {
        self.rfb_addr
    }

    /// Gives up on a server that will not run: closes its listeners and removes its Unix
    /// socket's file (when it is the server's own).
    pub fn discard(self) {
        if let Some(path) = self.config.unix.as_ref().filter(|_| self.owns_unix) {
            let _ = std::fs::remove_file(path);
        }
    }

    /// Serves until `shutdown` completes, with the headless backend.
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> Result<(), ServerError> {
        self.run_with(Box::new(Headless::default()), shutdown).await
    }

    /// Serves until `shutdown` completes, presenting frames through `backend`. On the way out
    /// the Unix socket file is removed and the core thread is joined.
    pub async fn run_with(
        self,
        backend: Box<dyn Backend>,
        shutdown: impl Future<Output = ()>,
    ) -> Result<(), ServerError> {
        let Server {
            config,
            listeners,
            screen_rx,
            rfb_answers,
            owns_unix,
            ..
        } = self;
        let (core_tx, core_rx) = mpsc::channel(CORE_QUEUE);
        let core = Core::new(config.size, config.limits, config.display.clone(), backend);
        let shared = Arc::new(Shared::new(
            Tokens {
                full: config.token.clone(),
                view_only: config.view_token.clone(),
            },
            config.limits,
            config.rfb.clone(),
            config.tls.as_ref().map(ServerTls::acceptor),
            &core,
            config.display.clone(),
            rfb_answers,
        ));
        let core_thread = std::thread::Builder::new()
            .name("netui-core".into())
            .spawn(move || core.run(core_rx, screen_rx))
            .map_err(|e| ServerError::Io("cannot start the core thread".into(), e))?;

        let accept = listeners.serve(shared, core_tx);
        tokio::select! {
            () = accept => {}
            () = shutdown => tracing::info!("shutting down"),
        }
        // Dropping the accept loop drops the listeners and the core's last sender that is not
        // held by a connection; connection tasks end with the runtime.
        if let Some(path) = config.unix.as_ref().filter(|_| owns_unix) {
            let _ = std::fs::remove_file(path);
        }
        drop(core_thread);
        Ok(())
    }
}

/// A server running on threads of its own, for tests, tools and benchmarks.
pub struct ServerHandle {
    unix: Option<PathBuf>,
    tcp: Option<SocketAddr>,
    rfb: Option<SocketAddr>,
    rfb_answers: AnswerWatch,
    token: Vec<u8>,
    view_token: Vec<u8>,
    tls: Option<ServerTls>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ServerHandle {
    /// Binds and starts a headless server; returns once it accepts connections.
    pub fn start(config: ServerConfig) -> Result<Self, ServerError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| ServerError::Io("cannot start the tokio runtime".into(), e))?;
        let token = config.token.clone();
        let view_token = config.view_token.clone();
        let tls = config.tls.clone();
        let unix = config.unix.clone();
        let server = runtime.block_on(Server::bind(config))?;
        let tcp = server.tcp_addr();
        let rfb = server.rfb_addr();
        let rfb_answers = server.rfb_answers();
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("netui-server".into())
            .spawn(move || {
                let _ = runtime.block_on(server.run(async {
                    let _ = stopped.await;
                }));
                runtime.shutdown_timeout(Duration::from_secs(1));
            })
            .map_err(|e| ServerError::Io("cannot start the server thread".into(), e))?;
        Ok(Self {
            unix,
            tcp,
            rfb,
            rfb_answers,
            token,
            view_token,
            tls,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// The Unix socket path, if it listens on one.
    pub fn unix_path(&self) -> Option<&Path> {
        self.unix.as_deref()
    }

    /// The TCP address, if it listens on one.
    pub fn tcp_addr(&self) -> Option<SocketAddr> {
        self.tcp
    }

    /// The RFB (VNC) address, if it listens on one.
    pub fn rfb_addr(&self) -> Option<SocketAddr> {
        self.rfb
    }

    /// The token that TCP clients must present.
    pub fn token(&self) -> &[u8] {
        &self.token
    }

    /// The token that lets a TCP viewer watch, nothing more.
    pub fn view_token(&self) -> &[u8] {
        &self.view_token
    }

    /// TLS on the TCP port (its certificate's fingerprint), unless it is plain.
    pub fn tls(&self) -> Option<&ServerTls> {
        self.tls.as_ref()
    }

    /// Where a benchmark in this process learns which inputs each update to a VNC viewer
    /// answers ([`crate::rfb::answer`]).
    pub fn rfb_answers(&self) -> AnswerWatch {
        self.rfb_answers.clone()
    }

    /// Stops the server and waits for it.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        self.shutdown();
    }
}
