//! Starting a display the way the programs do: display number → socket, port and token file.
//! Used by `display-server` and by the desktop session.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;

use netui_protocol::display;
use netui_protocol::{Limits, Size};

use crate::error::ServerError;
use crate::runtime;
use crate::server::{Server, ServerConfig};

/// Where TCP listens: loopback unless told otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tcp {
    /// No TCP listener.
    Off,
    /// This IP, at port 7100+N.
    Ip(IpAddr),
    /// Exactly this address.
    Addr(SocketAddr),
}

impl Default for Tcp {
    fn default() -> Self {
        Tcp::Ip(IpAddr::V4(Ipv4Addr::LOCALHOST))
    }
}

impl Tcp {
    /// Parses `--listen`: an IP (port 7100+N) or IP:PORT.
    pub fn parse(text: &str) -> Result<Tcp, String> {
        if let Ok(addr) = text.parse::<SocketAddr>() {
            return Ok(Tcp::Addr(addr));
        }
        text.parse::<IpAddr>()
            .map(Tcp::Ip)
            .map_err(|_| format!("{text:?} is neither an IP address nor IP:PORT"))
    }

    fn addr(self, number: u16) -> Option<SocketAddr> {
        match self {
            Tcp::Off => None,
            Tcp::Ip(ip) => Some(SocketAddr::new(ip, display::tcp_port(number))),
            Tcp::Addr(addr) => Some(addr),
        }
    }
}

/// A display whose listeners are bound and whose token file is written.
pub struct Launched {
    /// The server, ready to run.
    pub server: Server,
    /// The display number.
    pub number: u16,
    /// The token TCP clients present.
    pub token: Vec<u8>,
    /// The owner-only file that holds the token.
    pub token_path: PathBuf,
}

impl Launched {
    /// The line a server prints when it is ready.
    pub fn ready_line(&self, size: Size, mode: &str) -> String {
        format!(
            "netui display :{} ready ({}x{} {mode}): unix {}, tcp {}, token {}",
            self.number,
            size.width,
            size.height,
            self.server
                .unix_path()
                .map_or_else(String::new, |p| p.display().to_string()),
            self.server
                .tcp_addr()
                .map_or_else(|| "off".to_owned(), |a| a.to_string()),
            self.token_path.display()
        )
    }

    /// Runs until `shutdown`, then removes the token file (the server removes its socket).
    pub async fn run(
        self,
        backend: Box<dyn crate::backend::Backend>,
        shutdown: impl std::future::Future<Output = ()>,
    ) -> Result<(), ServerError> {
        let result = self.server.run_with(backend, shutdown).await;
        let _ = std::fs::remove_file(&self.token_path);
        result
    }
}

/// Binds display `number` in this user's runtime directory and writes its token file.
pub async fn bind_display(number: u16, size: Size, tcp: Tcp) -> Result<Launched, ServerError> {
    let dir = runtime::user_runtime_dir();
    runtime::ensure_private_dir(&dir)?;
    let token = runtime::new_token()?;
    let token_path = display::token_path(&dir, number);
    let config = ServerConfig {
        display: format!(":{number}"),
        size,
        unix: Some(display::socket_path(&dir, number)),
        tcp: tcp.addr(number),
        token: token.clone(),
        limits: Limits::default(),
    };
    let server = Server::bind(config).await?;
    runtime::write_token(&token_path, &token)?;
    Ok(Launched {
        server,
        number,
        token,
        token_path,
    })
}

/// Binds the first display number from `first` on that is free (as X servers pick one with
/// `-displayfd`).
pub async fn bind_free_display(first: u16, size: Size, tcp: Tcp) -> Result<Launched, ServerError> {
    let mut last = None;
    for number in first..first.saturating_add(64) {
        match bind_display(number, size, tcp).await {
            Ok(launched) => return Ok(launched),
            Err(e @ ServerError::DisplayInUse(_)) => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| ServerError::DisplayInUse("no free display number".into())))
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = match signal(SignalKind::terminate()) {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!("cannot watch SIGTERM: {e}");
            let _ = tokio::signal::ctrl_c().await;
            return;
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}
