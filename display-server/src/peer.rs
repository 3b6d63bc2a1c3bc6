//! Who is at the other end of a connection, and what it may do.
//!
//! The permission is decided once, when the connection's hello is accepted ([`Access::admit`]),
//! from where it came ([`Peer`]) and the token it presented; from then on the core asks
//! [`Access::check`], the one table of what each permission may do, before it carries out a
//! request.
//!
//! ```
//! use netui_protocol::{Refusal, RequestClass};
//! use netui_display_server::peer::{Access, Peer};
//!
//! let tcp = Peer::Tcp("192.0.2.7:50123".parse().unwrap());
//! assert_eq!(Access::admit(&tcp, None, b"secret"), Err(Refusal::TokenRequired));
//! let app = Access::admit(&tcp, Some(b"secret"), b"secret").unwrap();
//! assert_eq!(app, Access::Application);
//! assert!(app.check(RequestClass::Scene).is_ok());
//! assert!(app.check(RequestClass::Viewer).is_ok());
//! assert!(app.check(RequestClass::Input).is_err());
//! assert!(app.check(RequestClass::ViewerInput).is_ok());
//! assert_eq!(Access::admit(&Peer::Unix, None, b"secret"), Ok(Access::Owner));
//! ```

use std::fmt;
use std::net::SocketAddr;

use netui_protocol::{Refusal, RequestClass};
use subtle::ConstantTimeEq;

/// A connection, numbered uniquely for the server's lifetime (client numbers are reused).
pub type ConnId = u64;

/// Where a connection came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Peer {
    /// The display's Unix socket, in a directory that only the display's owner can enter.
    Unix,
    /// A TCP connection from this address.
    Tcp(SocketAddr),
    /// A VNC viewer on the RFB port, from this address; `websocket` when it came through a
    /// WebSocket (noVNC in a browser).
    Rfb {
        /// Where it came from.
        addr: SocketAddr,
        /// It spoke RFB inside a WebSocket.
        websocket: bool,
    },
}

impl fmt::Display for Peer {
    /// `unix`, or the TCP address: what `netinfo` shows for each client.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Peer::Unix => f.write_str("unix"),
            Peer::Tcp(addr) => addr.fmt(f),
            Peer::Rfb {
                addr,
                websocket: false,
            } => write!(f, "rfb {addr}"),
            Peer::Rfb {
                addr,
                websocket: true,
            } => write!(f, "rfb+websocket {addr}"),
        }
    }
}

/// What a connection may do, decided once at its handshake.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// The display's owner, on the local Unix socket: everything, input injection included
    /// (the owner could type into every window anyway).
    Owner,
    /// A client that presented the display's token over TCP: an application that draws, or
    /// a thin client that watches and, as a viewer, types and clicks (the token is the
    /// display's key, as a VNC viewer's full password is). `InjectInput` stays the owner's.
    Application,
    /// A VNC viewer that gave the display's full RFB password: it sees the screen and its
    /// keyboard and pointer drive the desktop.
    Viewer,
    /// A VNC viewer that gave the view-only password: it sees the screen, nothing more.
    ViewOnly,
}

impl Access {
    /// The permission of a connection from `peer` whose hello carried `token`, or why it is
    /// refused. `secret` is the display's token. Tokens are compared in constant time, so
    /// that the time of a refusal does not reveal how much of a guess was right.
    pub fn admit(peer: &Peer, token: Option<&[u8]>, secret: &[u8]) -> Result<Access, Refusal> {
        match peer {
            // The socket's directory has the owner's permissions: reaching it proves who
            // this is, as for X's local socket.
            Peer::Unix => Ok(Access::Owner),
            // RFB connections authenticate in the RFB handshake (`crate::rfb`), never with a
            // netui hello; should one arrive there, it needs the token as any TCP client.
            Peer::Tcp(_) | Peer::Rfb { .. } => match token {
                None => Err(Refusal::TokenRequired),
                Some(token) if bool::from(token.ct_eq(secret)) => Ok(Access::Application),
                Some(_) => Err(Refusal::WrongToken),
            },
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
                | RequestClass::ViewerInput,
            ) => Ok(()),
            (Access::Application | Access::Viewer | Access::ViewOnly, RequestClass::Input) => {
                Err("only clients on the local Unix socket may inject input")
            }
            // The token is the display's key, as a VNC viewer's full password is: a remote
            // thin client is the display's user at another place and types and clicks as a
            // viewer (its input is numbered and answered like the screen's own). InjectInput,
            // which drives the screen without being a viewer, stays a tool of the owner's
            // (tests, scripts). A TCP client that may only watch needs a token that says so
            // (issue #13's view-only token).
            (Access::Viewer, RequestClass::Viewer | RequestClass::ViewerInput) => Ok(()),
            (Access::ViewOnly, RequestClass::Viewer) => Ok(()),
            (Access::ViewOnly, RequestClass::ViewerInput) => {
                Err("this viewer was admitted view-only: its input is ignored")
            }
            (Access::Viewer | Access::ViewOnly, RequestClass::Scene | RequestClass::Connection) => {
                Err("a VNC viewer may only watch the screen and, unless view-only, drive it")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL_CLASSES: [RequestClass; 5] = [
        RequestClass::Scene,
        RequestClass::Connection,
        RequestClass::Input,
        RequestClass::Viewer,
        RequestClass::ViewerInput,
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
                RequestClass::Viewer => assert!(viewer && view_only),
                RequestClass::ViewerInput => assert!(viewer && !view_only),
                _ => assert!(!viewer && !view_only, "{class:?}"),
            }
        }
    }

    #[test]
    fn tcp_needs_the_token_and_the_unix_socket_does_not() {
        let tcp = Peer::Tcp(SocketAddr::from(([127, 0, 0, 1], 7101)));
        let secret = b"0123456789abcdef";
        assert_eq!(
            Access::admit(&tcp, None, secret),
            Err(Refusal::TokenRequired)
        );
        assert_eq!(
            Access::admit(&tcp, Some(b"0123456789abcdeX"), secret),
            Err(Refusal::WrongToken)
        );
        // A prefix of the token is as wrong as any other guess.
        assert_eq!(
            Access::admit(&tcp, Some(b"0123"), secret),
            Err(Refusal::WrongToken)
        );
        assert_eq!(
            Access::admit(&tcp, Some(secret), secret),
            Ok(Access::Application)
        );
        assert_eq!(Access::admit(&Peer::Unix, None, secret), Ok(Access::Owner));
        assert_eq!(
            Access::admit(&Peer::Unix, Some(b"anything"), secret),
            Ok(Access::Owner)
        );
    }

    #[test]
    fn a_peer_shows_as_before_in_server_info() {
        assert_eq!(Peer::Unix.to_string(), "unix");
        let addr = SocketAddr::from(([127, 0, 0, 1], 7101));
        assert_eq!(Peer::Tcp(addr).to_string(), addr.to_string());
        let rfb = Peer::Rfb {
            addr,
            websocket: true,
        };
        assert_eq!(rfb.to_string(), format!("rfb+websocket {addr}"));
    }
}
