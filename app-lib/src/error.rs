//! The app library's error type.

use netui_protocol::display::DisplayNameError;
use netui_protocol::{DecodeError, EncodeError, ErrorReport, Refusal};
use thiserror::Error;

/// What can go wrong between an application and its display.
#[derive(Debug, Error)]
pub enum Error {
    /// `NETUI_DISPLAY` is not set and no display was named.
    #[error("no display: set NETUI_DISPLAY (such as NETUI_DISPLAY=:0) or pass --display")]
    NoDisplay,
    /// The display name does not parse.
    #[error(transparent)]
    DisplayName(#[from] DisplayNameError),
    /// The display could not be reached.
    #[error("cannot connect to display {display} ({address}): {source}; is a display server running there? (start one with: display-server --headless --display {display})")]
    Connect {
        /// The display name.
        display: String,
        /// The socket path or address tried.
        address: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The transport could not open its stream (a TLS or WebSocket handshake failed, say).
    #[error("cannot open the connection to display {display}: {source}")]
    Transport {
        /// The display name.
        display: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A TCP display needs a token that could not be found.
    #[error("{0}")]
    Token(String),
    /// The server refused the connection.
    #[error("the display refused the connection: {0}")]
    Refused(Refusal),
    /// A request failed on the server; the report names the request.
    #[error("{0}")]
    Request(ErrorReport),
    /// The server sent bytes that do not decode.
    #[error("bad data from the server: {0}")]
    Decode(#[from] DecodeError),
    /// A request could not be encoded (an image too large for a frame, say).
    #[error("cannot encode a request: {0}")]
    Encode(#[from] EncodeError),
    /// The connection is gone.
    #[error("the display connection is closed: {0}")]
    Disconnected(String),
    /// A selection's content could not be had (its owner refused, left, or broke the
    /// rules); see [`crate::Display::paste`].
    #[error("cannot paste: {0}")]
    Selection(netui_protocol::SelectionFailure),
    /// Every resource id of this client's range is in use.
    #[error("out of resource ids: free some windows or pixmaps")]
    IdsExhausted,
}

impl Error {
    /// The server's report, when a request failed.
    pub fn report(&self) -> Option<&ErrorReport> {
        match self {
            Error::Request(report) => Some(report),
            _ => None,
        }
    }
}
