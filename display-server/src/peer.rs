//! Who is at the other end of a connection, and what it may do.
//!
//! The permission is decided once, when the connection's hello is accepted ([`Access::admit`]),
//! from where it came ([`Peer`]), the token it presented and the [`Role`] it said it has;
//! from then on the core asks [`Access::check`], the one table of what each permission may
//! do, before it carries out a request.
//!
//! ```
//! use netui_protocol::{Refusal, RequestClass, Role};
//! use netui_display_server::peer::{Access, Peer, Tokens};
//!
//! let tokens = Tokens { full: b"secret".to_vec(), view_only: b"look".to_vec() };
//! let tcp = Peer::Tls("192.0.2.7:50123".parse().unwrap());
//! let app = Role::Application;
//! assert_eq!(Access::admit(&tcp, None, app, &tokens), Err(Refusal::TokenRequired));
//! let full = Access::admit(&tcp, Some(b"secret"), app, &tokens).unwrap();
//! assert_eq!(full, Access::Application);
//! assert!(full.check(RequestClass::Scene).is_ok());
//! assert!(full.check(RequestClass::Viewer).is_ok());
//! assert!(full.check(RequestClass::Input).is_err());
//! assert!(full.check(RequestClass::ViewerInput).is_ok());
//! assert_eq!(Access::admit(&tcp, Some(b"look"), app, &tokens), Err(Refusal::ViewOnlyToken));
//! let watcher = Access::admit(&tcp, Some(b"look"), Role::Viewer, &tokens).unwrap();
//! assert_eq!(watcher, Access::ViewOnly);
//! assert!(watcher.check(RequestClass::ViewerInput).is_err());
//! assert_eq!(Access::admit(&Peer::Unix, None, app, &tokens), Ok(Access::Owner));
//! ```

use std::fmt;
use std::net::SocketAddr;

use netui_protocol::{Refusal, RequestClass, Role};
use subtle::ConstantTimeEq;

/// A connection, numbered uniquely for the server's lifetime (client numbers are reused).
pub type ConnId = u64;

/// Where a connection came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Peer {
    /// The display's Unix socket, in a directory that only the display's owner can enter.
    Unix,
    /// A plain TCP connection from this address (a server started with `--insecure-tcp`).
    Tcp(SocketAddr),
    /// A TLS connection on the TCP port from this address.
    Tls(SocketAddr),
    /// A VNC viewer on the RFB port, from this address; `websocket` when it came through a
    /// WebSocket (noVNC in a browser), `tls` when in TLS (VeNCrypt, or `wss://`).
    Rfb {
        /// Where it came from.
        addr: SocketAddr,
        /// It spoke RFB inside a WebSocket.
        websocket: bool,
        /// Its bytes were in TLS.
        tls: bool,
    },
}

impl fmt::Display for Peer {
    /// `unix`, or the address with how it came (`tls`, `tcp`, `rfb`): what `netinfo` shows
    /// for each client.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Peer::Unix => f.write_str("unix"),
            Peer::Tcp(addr) => write!(f, "tcp {addr}"),
            Peer::Tls(addr) => write!(f, "tls {addr}"),
            Peer::Rfb {
                addr,
                websocket,
                tls,
            } => {
                let how = match (websocket, tls) {
                    (false, false) => "rfb",
                    (false, true) => "rfb+tls",
                    (true, false) => "rfb+websocket",
                    (true, true) => "rfb+wss",
                };
                write!(f, "{how} {addr}")
            }
        }
    }
}

/// What a connection may do, decided once at its handshake.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// The display's owner, on the local Unix socket: everything, input injection included
    /// (the owner could type into every window anyway).
    Owner,
    /// A client that presented the display's full token over TCP: an application that
    /// draws, or a thin client that watches and, as a viewer, types and clicks (the token is
    /// the display's key, as a VNC viewer's full password is). `InjectInput` stays the
    /// owner's.
    Application,
    /// A VNC viewer that gave the display's full RFB password: it sees the screen and its
    /// keyboard and pointer drive the desktop.
    Viewer,
    /// A viewer that gave the view-only RFB password, or a thin client that presented the
    /// view-only token: it sees the screen, nothing more.
    ViewOnly,
}

/// The display's two tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tokens {
    /// Applications, and viewers that type and click.
    pub full: Vec<u8>,
    /// Viewers that only watch.
    pub view_only: Vec<u8>,
}

impl Access {
    /// The permission of a connection from `peer` whose hello carried `token` and said it
    /// comes as `role`, or why it is refused. Tokens are compared in constant time (both of
    /// them, whatever the first gave), so that the time of a refusal does not reveal how
    /// much of a guess was right.
    pub fn admit(
        peer: &Peer,
        token: Option<&[u8]>,
        role: Role,
        tokens: &Tokens,
    ) -> Result<Access, Refusal> {
        match peer {
            // The socket's directory has the owner's permissions: reaching it proves who
            // this is, as for X's local socket.
            Peer::Unix => Ok(Access::Owner),
            // RFB connections authenticate in the RFB handshake (`crate::rfb`), never with a
            // netui hello; should one arrive there, it needs the token as any TCP client.
            Peer::Tcp(_) | Peer::Tls(_) | Peer::Rfb { .. } => {
                let Some(token) = token else {
                    return Err(Refusal::TokenRequired);
                };
                let full = bool::from(token.ct_eq(&tokens.full));
                let view_only = bool::from(token.ct_eq(&tokens.view_only));
                match (full, view_only, role) {
                    (true, _, _) => Ok(Access::Application),
                    (false, true, Role::Viewer) => Ok(Access::ViewOnly),
                    (false, true, Role::Application) => Err(Refusal::ViewOnlyToken),
                    (false, false, _) => Err(Refusal::WrongToken),
                }
            }
        }
    }

    /// The permission's name, as `netinfo` shows it.
    pub fn name(self) -> &'static str {
        match self {
            Access::Owner => "owner",
            Access::Application => "application",
            Access::Viewer => "viewer",
            Access::ViewOnly => "view-only",
        }
    }

    /// Whether this permission may send requests of `class`; if not, the sentence that the
    /// error report carries. This is the one table of who may do what.
    pub fn check(self, class: RequestClass) -> Result<(), &'static str> {
        match (self, class) {
            (Access::Owner, _) => Ok(()),
            (
                Access::Application,
                RequestClass::Scene
                | RequestClass::Connection
                | RequestClass::Viewer
                | RequestClass::ViewerInput
                | RequestClass::Selection,
            ) => Ok(()),
            (Access::Application | Access::Viewer | Access::ViewOnly, RequestClass::Input) => {
                Err("only clients on the local Unix socket may inject input")
            }
            // The full token is the display's key, as a VNC viewer's full password is: a
            // remote thin client is the display's user at another place and types and clicks
            // as a viewer (its input is numbered and answered like the screen's own).
            // InjectInput, which drives the screen without being a viewer, stays a tool of
            // the owner's (tests, scripts). A thin client that may only watch holds the
            // view-only token. Viewers may sync and read what they watch (Connection).
            // A viewer that drives the desktop copies and pastes through it too, as a VNC
            // viewer's cut text does.
            (
                Access::Viewer,
                RequestClass::Viewer
                | RequestClass::ViewerInput
                | RequestClass::Connection
                | RequestClass::Selection,
            ) => Ok(()),
            (Access::ViewOnly, RequestClass::Viewer | RequestClass::Connection) => Ok(()),
            (Access::ViewOnly, RequestClass::Selection) => Err(
                "this viewer was admitted view-only: the clipboard, which may hold what the \
                 user copied, is not for it to read or change",
            ),
            (Access::ViewOnly, RequestClass::ViewerInput) => Err(
                "this viewer was admitted view-only (view-only token or password): its input \
                 is refused",
            ),
            (Access::Viewer | Access::ViewOnly, RequestClass::Scene) => Err(
                "a viewer may only watch the screen and, unless view-only, drive it; drawing \
                 needs the full token",
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL_CLASSES: [RequestClass; 6] = [
        RequestClass::Scene,
        RequestClass::Connection,
        RequestClass::Input,
        RequestClass::Viewer,
        RequestClass::ViewerInput,
        RequestClass::Selection,
    ];

    #[test]
    fn the_owner_may_do_everything_a_tcp_client_all_but_inject_input() {
        for class in ALL_CLASSES {
            assert_eq!(Access::Owner.check(class), Ok(()), "{class:?}");
            let application = Access::Application.check(class);
            assert_eq!(
                application.is_ok(),
                class != RequestClass::Input,
                "{class:?}"
            );
        }
    }

    #[test]
    fn vnc_viewers_watch_and_only_the_full_password_drives() {
        for class in ALL_CLASSES {
            let viewer = Access::Viewer.check(class).is_ok();
            let view_only = Access::ViewOnly.check(class).is_ok();
            match class {
                RequestClass::Viewer | RequestClass::Connection => assert!(viewer && view_only),
                RequestClass::ViewerInput | RequestClass::Selection => {
                    assert!(viewer && !view_only, "{class:?}")
                }
                _ => assert!(!viewer && !view_only, "{class:?}"),
            }
        }
    }

    #[test]
    fn tcp_needs_the_token_and_the_unix_socket_does_not() {
        let tokens = Tokens {
            full: b"0123456789abcdef".to_vec(),
            view_only: b"fedcba9876543210".to_vec(),
        };
        for tcp in [
            Peer::Tcp(SocketAddr::from(([127, 0, 0, 1], 7101))),
            Peer::Tls(SocketAddr::from(([127, 0, 0, 1], 7101))),
        ] {
            for role in [Role::Application, Role::Viewer] {
                let admit = |token: Option<&[u8]>| Access::admit(&tcp, token, role, &tokens);
                assert_eq!(admit(None), Err(Refusal::TokenRequired));
                assert_eq!(admit(Some(b"0123456789abcdeX")), Err(Refusal::WrongToken));
                // A prefix of the token is as wrong as any other guess.
                assert_eq!(admit(Some(b"0123")), Err(Refusal::WrongToken));
                assert_eq!(admit(Some(&tokens.full)), Ok(Access::Application));
                let view_only = match role {
                    Role::Viewer => Ok(Access::ViewOnly),
                    Role::Application => Err(Refusal::ViewOnlyToken),
                };
                assert_eq!(admit(Some(&tokens.view_only)), view_only);
                let unix = |token: Option<&[u8]>| Access::admit(&Peer::Unix, token, role, &tokens);
                assert_eq!(unix(None), Ok(Access::Owner));
                assert_eq!(unix(Some(b"anything")), Ok(Access::Owner));
            }
        }
    }

    #[test]
    fn a_peer_shows_as_before_in_server_info() {
        assert_eq!(Peer::Unix.to_string(), "unix");
        let addr = SocketAddr::from(([127, 0, 0, 1], 7101));
        assert_eq!(Peer::Tcp(addr).to_string(), format!("tcp {addr}"));
        assert_eq!(Peer::Tls(addr).to_string(), format!("tls {addr}"));
        let rfb = |websocket, tls| {
            Peer::Rfb {
                addr,
                websocket,
                tls,
            }
            .to_string()
        };
        assert_eq!(rfb(false, false), format!("rfb {addr}"));
        assert_eq!(rfb(false, true), format!("rfb+tls {addr}"));
        assert_eq!(rfb(true, false), format!("rfb+websocket {addr}"));
        assert_eq!(rfb(true, true), format!("rfb+wss {addr}"));
    }
}
