//! Socket activation and readiness: a display started by systemd (or by anything that speaks
//! its protocol, such as `systemd-socket-activate`) with its listening sockets passed in, and
//! `READY=1` sent to the service manager once the display serves.
//!
//! The protocol (`sd_listen_fds(3)`): the sockets are descriptors 3, 4, ... ; `LISTEN_FDS`
//! says how many, `LISTEN_PID` whose they are, `LISTEN_FDNAMES` (optional) names them,
//! colon-separated. The [`listenfd`] crate checks each descriptor's family and type before it
//! becomes a listener; this module decides which of the display's endpoints each one is:
//!
//! - by name, when it is one of `unix`, `tcp` (also `netui`) or `rfb` (also `vnc`);
//! - else by what it is: the Unix stream socket is the display's socket, a TCP socket on port
//!   5900 + N is the RFB (VNC) endpoint, any other TCP socket the netui TCP port (TLS, as when
//!   the server binds it). A systemd `.socket` unit names all its sockets alike (the unit's
//!   name, or `FileDescriptorName=`), so the units in `dist/systemd` rely on this.
//!
//! A passed socket belongs to whoever passed it: the server never unlinks a passed Unix
//! socket's file when it stops (systemd keeps listening on it and starts the server again at
//! the next connection; it removes the file itself when the socket unit stops, with
//! `RemoveOnStop=`). The token files are the server's and are removed as always.

use std::net::TcpListener;
use std::os::unix::net::UnixListener;

use crate::error::ServerError;

/// The listening sockets a service manager passed, by the endpoint each one is.
#[derive(Debug, Default)]
pub struct Passed {
    /// The display's Unix socket.
    pub unix: Option<UnixListener>,
    /// The netui TCP port (TLS unless `--insecure-tcp`).
    pub tcp: Option<TcpListener>,
    /// The RFB (VNC) port.
    pub rfb: Option<TcpListener>,
}

/// Which endpoint a passed socket is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// The display's Unix socket.
    Unix,
    /// The netui TCP port.
    Tcp,
    /// The RFB (VNC) port.
    Rfb,
}

/// What a passed socket is, as far as choosing its endpoint goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A Unix stream socket.
    Unix,
    /// A TCP socket listening on this port.
    Tcp(u16),
}

/// The endpoint of a passed socket of `kind` named `name` (if it was named) for display
/// `number`; `None` when its name claims an endpoint that its kind cannot be (a Unix socket
/// named `rfb`, say).
pub fn endpoint(name: Option<&str>, kind: Kind, number: u16) -> Option<Endpoint> {
    let by_name = match name {
        Some("unix") => Some(Endpoint::Unix),
        Some("tcp" | "netui") => Some(Endpoint::Tcp),
        Some("rfb" | "vnc") => Some(Endpoint::Rfb),
        _ => None,
    };
    let by_kind = match kind {
        Kind::Unix => Endpoint::Unix,
        Kind::Tcp(port) if port == netui_protocol::display::rfb_port(number) => Endpoint::Rfb,
        Kind::Tcp(_) => Endpoint::Tcp,
    };
    match (by_name, kind) {
        (None, _) => Some(by_kind),
        (Some(Endpoint::Unix), Kind::Unix) => Some(Endpoint::Unix),
        (Some(Endpoint::Unix), Kind::Tcp(_)) | (Some(_), Kind::Unix) => None,
        (Some(named), Kind::Tcp(_)) => Some(named),
    }
}

impl Passed {
    /// The sockets passed to this process for display `number`, if any were (`LISTEN_FDS`,
    /// for this process by `LISTEN_PID`); the variables are removed so that no child takes
    /// them for its own. A descriptor that is neither a Unix nor a TCP stream socket, or two
    /// for one endpoint, is an error that says which.
    pub fn from_env(number: u16) -> Result<Option<Self>, ServerError> {
        let names = std::env::var("LISTEN_FDNAMES").ok();
        std::env::remove_var("LISTEN_FDNAMES");
        let mut fds = listenfd::ListenFd::from_env();
        if fds.len() == 0 {
            return Ok(None);
        }
        let names: Vec<&str> = names
            .as_deref()
            .map_or_else(Vec::new, |n| n.split(':').collect());
        let mut passed = Passed::default();
        for index in 0..fds.len() {
            let name = names.get(index).copied().filter(|n| !n.is_empty());
            let which = || {
                format!(
                    "socket {} passed by the service manager (descriptor {}{})",
                    index + 1,
                    index + 3,
                    name.map_or_else(String::new, |n| format!(", named {n:?}"))
                )
            };
            let (kind, listener) = match fds.take_unix_listener(index) {
                Ok(Some(l)) => (Kind::Unix, Either::Unix(l)),
                Ok(None) => continue,
                Err(_) => match fds.take_tcp_listener(index) {
                    Ok(Some(l)) => {
                        let port = l
                            .local_addr()
                            .map_err(|e| ServerError::Io(format!("the {}", which()), e))?
                            .port();
                        (Kind::Tcp(port), Either::Tcp(l))
                    }
                    Ok(None) => continue,
                    Err(e) => {
                        return Err(ServerError::Activation(format!(
                            "the {} is neither a Unix nor a TCP stream socket ({e}); pass \
                             ListenStream= sockets only",
                            which()
                        )))
                    }
                },
            };
            let Some(endpoint) = endpoint(name, kind, number) else {
                return Err(ServerError::Activation(format!(
                    "the {} is a {} socket, which that name cannot be",
                    which(),
                    if kind == Kind::Unix { "Unix" } else { "TCP" }
                )));
            };
            let slot_taken = match (endpoint, listener) {
                (Endpoint::Unix, Either::Unix(l)) => passed.unix.replace(l).is_some(),
                (Endpoint::Tcp, Either::Tcp(l)) => passed.tcp.replace(l).is_some(),
                (Endpoint::Rfb, Either::Tcp(l)) => passed.rfb.replace(l).is_some(),
                // `endpoint` never pairs a Unix socket with a TCP endpoint or the other way.
                _ => false,
            };
            if slot_taken {
                return Err(ServerError::Activation(format!(
                    "the {} is a second {endpoint:?} socket; pass one of each (Unix socket, \
                     netui TCP port, RFB port 5900+N) at most",
                    which()
                )));
            }
        }
        Ok(Some(passed))
    }

    /// Whether no socket was passed at all (then the server would serve nothing).
    pub fn is_empty(&self) -> bool {
        self.unix.is_none() && self.tcp.is_none() && self.rfb.is_none()
    }
}

/// A passed listener before it is given its endpoint.
enum Either {
    Unix(UnixListener),
    Tcp(TcpListener),
}

/// Tells the service manager that the display serves (`READY=1`, with `status` as its
/// `STATUS=`), when one asked (`NOTIFY_SOCKET`). Without `NOTIFY_SOCKET` it does nothing. A
/// failure to send is logged, not fatal: the display serves either way. The variable stays:
/// removing it now, with the server's threads running, could race with their reading of the
/// environment, and `display-server` starts no processes that could inherit it.
pub fn notify_ready(status: &str) {
    if std::env::var_os("NOTIFY_SOCKET").is_none() {
        return;
    }
    // STATUS= is one line.
    let status = status.replace('\n', " ");
    match sd_notify::notify(
        false,
        &[
            sd_notify::NotifyState::Ready,
            sd_notify::NotifyState::Status(&status),
        ],
    ) {
        Ok(()) => tracing::debug!("told the service manager READY=1"),
        Err(e) => tracing::warn!("cannot tell the service manager that the display is ready: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_win_over_kinds_and_kinds_decide_the_rest() {
        // Display 3: RFB at 5903.
        assert_eq!(endpoint(None, Kind::Unix, 3), Some(Endpoint::Unix));
        assert_eq!(endpoint(None, Kind::Tcp(7103), 3), Some(Endpoint::Tcp));
        assert_eq!(endpoint(None, Kind::Tcp(5903), 3), Some(Endpoint::Rfb));
        assert_eq!(endpoint(None, Kind::Tcp(5904), 3), Some(Endpoint::Tcp));
        // systemd's default names (the unit's) say nothing.
        assert_eq!(
            endpoint(Some("netui-display@3.socket"), Kind::Tcp(5903), 3),
            Some(Endpoint::Rfb)
        );
        assert_eq!(
            endpoint(Some("rfb"), Kind::Tcp(40000), 3),
            Some(Endpoint::Rfb)
        );
        assert_eq!(
            endpoint(Some("tcp"), Kind::Tcp(5903), 3),
            Some(Endpoint::Tcp)
        );
        assert_eq!(endpoint(Some("unix"), Kind::Unix, 3), Some(Endpoint::Unix));
        // A name that the socket cannot be.
        assert_eq!(endpoint(Some("unix"), Kind::Tcp(7103), 3), None);
        assert_eq!(endpoint(Some("rfb"), Kind::Unix, 3), None);
        assert_eq!(endpoint(Some("tcp"), Kind::Unix, 3), None);
    }
}
