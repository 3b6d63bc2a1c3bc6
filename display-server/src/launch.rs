//! Starting a display the way the programs do: display number → socket, ports, TLS key,
//! token files and RFB passwords.
//! Used by `display-server` and by the desktop session.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

use netui_protocol::display;
use netui_protocol::token::{TlsTrust, TokenFile};
use netui_protocol::{Limits, Size};

use crate::activation::Passed;
use crate::error::ServerError;
use crate::rfb::RfbConfig;
use crate::runtime;
use crate::server::{Server, ServerConfig};
use crate::tls::{self, ServerTls};

/// How the netui TCP port is secured.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum TcpSecurity {
    /// TLS with the display's key and self-signed certificate, made at the first start in
    /// [`tls::key_dir`]; clients pin it by the fingerprint in the token file.
    #[default]
    SelfSigned,
    /// TLS with a certificate (chain) and key of the user's own, in PEM; clients check it
    /// against the web's root authorities.
    Own {
        /// The certificate chain, end entity first.
        cert: PathBuf,
        /// Its private key (owner-only).
        key: PathBuf,
    },
    /// Plain TCP (`--insecure-tcp`): only on a loopback address unless `beyond_loopback`
    /// (a second flag) says otherwise.
    Plain {
        /// Plain TCP on an address other machines can reach, asked for explicitly.
        beyond_loopback: bool,
    },
}

impl TcpSecurity {
    /// The TLS configuration for a TCP port at `addr`, or `None` for plain TCP (refused
    /// beyond loopback unless asked for).
    pub fn server_tls(&self, addr: SocketAddr) -> Result<Option<ServerTls>, ServerError> {
        match self {
            TcpSecurity::SelfSigned => Ok(Some(ServerTls::load_or_create(&tls::key_dir()?)?)),
            TcpSecurity::Own { cert, key } => Ok(Some(ServerTls::from_files(cert, key)?)),
            TcpSecurity::Plain { beyond_loopback } => {
                if !addr.ip().is_loopback() && !beyond_loopback {
                    return Err(ServerError::Tls(format!(
                        "--insecure-tcp serves plain TCP, which anyone on the network can read \
                         (tokens and keystrokes included), so only on loopback; {addr} is not. \
                         Drop --insecure-tcp (TLS is the default), or add \
                         --insecure-tcp-beyond-loopback if you really mean it"
                    )));
                }
                Ok(None)
            }
        }
    }
}
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

    /// The RFB address: the same IP as the netui port's, at port 5900 + N.
    fn rfb_addr(self, number: u16) -> Option<SocketAddr> {
        match self {
            Tcp::Off => None,
            Tcp::Ip(ip) => Some(SocketAddr::new(ip, display::rfb_port(number))),
            Tcp::Addr(addr) => Some(SocketAddr::new(addr.ip(), display::rfb_port(number))),
        }
    }
}

/// The files and passwords of a display's RFB endpoint.
#[derive(Debug, Clone)]
pub struct RfbPasswords {
    /// The password that lets a VNC viewer see and drive the display.
    pub full: String,
    /// The password that lets a VNC viewer only see it.
    pub view_only: String,
    /// The owner-only files that hold them, in that order.
    pub paths: (PathBuf, PathBuf),
}

/// A display whose listeners are bound and whose token files are written.
pub struct Launched {
    /// The server, ready to run.
    pub server: Server,
    /// The display number.
    pub number: u16,
    /// The token TCP clients present.
    pub token: Vec<u8>,
    /// The owner-only file that holds the token (and how to trust the server over TCP).
    pub token_path: PathBuf,
    /// The owner-only file that holds the view-only token.
    pub view_token_path: PathBuf,
    /// TLS on the TCP port, when TCP is on and not plain.
    pub tls: Option<ServerTls>,
    /// The RFB passwords, when the RFB endpoint is on.
    pub rfb: Option<RfbPasswords>,
}

impl Launched {
    /// The line a server prints when it is ready.
    pub fn ready_line(&self, size: Size, mode: &str) -> String {
        format!(
            "netui display :{} ready ({}x{} {mode}): unix {}, tcp {}, token {} (view-only {}), \
             vnc {}",
            self.number,
            size.width,
            size.height,
            self.server
                .unix_path()
                .map_or_else(String::new, |p| p.display().to_string()),
            match (self.server.tcp_addr(), &self.tls) {
                (None, _) => "off".to_owned(),
                (Some(addr), Some(tls)) => format!("{addr} tls sha256 {}", tls.fingerprint),
                (Some(addr), None) => format!("{addr} PLAIN (--insecure-tcp)"),
            },
            self.token_path.display(),
            self.view_token_path.display(),
            match (self.server.rfb_addr(), &self.rfb) {
                (Some(addr), Some(rfb)) =>
                    format!("{addr} (passwords in {})", rfb.paths.0.display()),
                _ => "off".to_owned(),
            }
        )
    }

    /// Gives up on a display that will not run (its screen cannot be shown, say): removes
    /// its token files, RFB passwords and socket, as a stop would.
    pub fn discard(self) {
        remove_files(&self.token_path, &self.view_token_path, self.rfb.as_ref());
        self.server.discard();
    }

    /// Runs until `shutdown`, then removes the token file (the server removes its socket).
    pub async fn run(
        self,
        backend: Box<dyn crate::backend::Backend>,
        shutdown: impl std::future::Future<Output = ()>,
    ) -> Result<(), ServerError> {
        let Launched {
            server,
            token_path,
            view_token_path,
            rfb,
            ..
        } = self;
        let result = server.run_with(backend, shutdown).await;
        remove_files(&token_path, &view_token_path, rfb.as_ref());
        result
    }
}

/// Removes a display's token files and RFB passwords.
fn remove_files(token: &Path, view_token: &Path, rfb: Option<&RfbPasswords>) {
    let _ = std::fs::remove_file(token);
    let _ = std::fs::remove_file(view_token);
    if let Some(rfb) = rfb {
        let _ = std::fs::remove_file(&rfb.paths.0);
        let _ = std::fs::remove_file(&rfb.paths.1);
    }
}

/// Binds display `number` in this user's runtime directory and writes its token files, and,
/// with `rfb`, listens for VNC viewers at port 5900 + N (on the netui port's IP) and writes
/// fresh passwords for them beside the token.
pub async fn bind_display(
    number: u16,
    size: Size,
    tcp: Tcp,
    security: &TcpSecurity,
    rfb: bool,
) -> Result<Launched, ServerError> {
    bind_display_with(number, size, tcp, security, rfb, Limits::default()).await
}

/// [`bind_display`] with `limits` other than the defaults (the program's `--max-pixels`).
pub async fn bind_display_with(
    number: u16,
    size: Size,
    tcp: Tcp,
    security: &TcpSecurity,
    rfb: bool,
    limits: Limits,
) -> Result<Launched, ServerError> {
    launch(number, size, Sockets::Bind(tcp), security, rfb, limits).await
}

/// Serves display `number` on the listening sockets that a service manager passed (socket
/// activation, see [`crate::activation`]) instead of binding any, and writes its token files
/// as [`bind_display_with`] does. Without a passed RFB socket (or with `rfb` false) there is
/// no RFB endpoint; without a passed TCP socket, no TCP.
pub async fn adopt_display(
    number: u16,
    size: Size,
    passed: Passed,
    security: &TcpSecurity,
    rfb: bool,
    limits: Limits,
) -> Result<Launched, ServerError> {
    launch(number, size, Sockets::Passed(passed), security, rfb, limits).await
}

/// Where a display's listeners come from.
enum Sockets {
    /// Bound by the server, TCP where this says.
    Bind(Tcp),
    /// Passed by a service manager.
    Passed(Passed),
}

async fn launch(
    number: u16,
    size: Size,
    sockets: Sockets,
    security: &TcpSecurity,
    rfb: bool,
    limits: Limits,
) -> Result<Launched, ServerError> {
    let dir = runtime::user_runtime_dir();
    runtime::ensure_private_dir(&dir)?;
    let sockets = match sockets {
        Sockets::Passed(mut passed) if !rfb && passed.rfb.is_some() => {
            tracing::warn!(
                "an RFB socket was passed, but the server runs with --no-rfb: not served"
            );
            passed.rfb = None;
            Sockets::Passed(passed)
        }
        sockets => sockets,
    };
    let local = |l: Option<&std::net::TcpListener>, what: &str| {
        l.map(|l| {
            l.local_addr().map_err(|e| {
                ServerError::Io(format!("cannot read the passed {what} socket's address"), e)
            })
        })
        .transpose()
    };
    let (tcp_addr, rfb_addr) = match &sockets {
        Sockets::Bind(tcp) => (tcp.addr(number), tcp.rfb_addr(number)),
        Sockets::Passed(passed) => (
            local(passed.tcp.as_ref(), "TCP")?,
            local(passed.rfb.as_ref(), "RFB")?,
        ),
    };
    let tls = match tcp_addr {
        Some(addr) => security.server_tls(addr)?,
        None => None,
    };
    let token = runtime::new_token()?;
    let view_token = runtime::new_token()?;
    let token_path = display::token_path(&dir, number);
    let view_token_path = display::view_token_path(&dir, number);
    let passwords = match rfb_addr {
        Some(addr) if rfb => Some((
            addr,
            RfbPasswords {
                full: runtime::new_password()?,
                view_only: runtime::new_password()?,
                paths: display::rfb_password_paths(&dir, number),
            },
        )),
        _ => None,
    };
    let config = ServerConfig {
        display: format!(":{number}"),
        size,
        unix: Some(display::socket_path(&dir, number)),
        tcp: tcp_addr,
        tls: tls.clone(),
        token: token.clone(),
        view_token: view_token.clone(),
        limits,
        rfb: passwords.as_ref().map(|(addr, p)| RfbConfig {
            addr: *addr,
            password: p.full.clone(),
            view_only_password: p.view_only.clone(),
        }),
    };
    let server = match sockets {
        Sockets::Bind(_) => Server::bind(config).await?,
        Sockets::Passed(passed) => {
            let listeners = crate::listener::Listeners::adopt(passed, tls.as_ref())?;
            let server = Server::adopt(config, listeners);
            let expected = display::socket_path(&dir, number);
            match server.unix_path() {
                Some(path) if path != expected => tracing::warn!(
                    "the passed Unix socket is {}, not {}, where applications look for :{number}",
                    path.display(),
                    expected.display()
                ),
                _ => {}
            }
            server
        }
    };
    // Without TCP there is no key, and the files say nothing of TLS (only the Unix socket
    // takes them).
    let trust = match (&tls, server.tcp_addr()) {
        (Some(tls), _) => Some(tls.trust),
        (None, Some(_)) => Some(TlsTrust::Off),
        (None, None) => None,
    };
    let full = TokenFile {
        token: token.clone(),
        tls: trust,
    };
    let view_only = TokenFile {
        token: view_token,
        tls: trust,
    };
    runtime::write_token(
        &token_path,
        &full.to_text(&format!(":{number} (full token)")),
    )?;
    runtime::write_token(
        &view_token_path,
        &view_only.to_text(&format!(":{number} (view-only token: watch, no input)")),
    )?;
    if let Some((_, p)) = &passwords {
        runtime::write_secret(&p.paths.0, &p.full)?;
        runtime::write_secret(&p.paths.1, &p.view_only)?;
    }
    Ok(Launched {
        server,
        number,
        token,
        token_path,
        view_token_path,
        tls,
        rfb: passwords.map(|(_, p)| p),
    })
}

/// Binds the first display number from `first` on that is free (as X servers pick one with
/// `-displayfd`).
pub async fn bind_free_display(
    first: u16,
    size: Size,
    tcp: Tcp,
    security: &TcpSecurity,
    rfb: bool,
) -> Result<Launched, ServerError> {
    let mut last = None;
    for number in first..first.saturating_add(64) {
        match bind_display(number, size, tcp, security, rfb).await {
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
