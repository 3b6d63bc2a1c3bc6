//! The handshake: the first frame each way.
//!
//! The client sends a [`ClientHello`]; the server answers with a [`ServerHello`] that either
//! accepts it (a [`Welcome`]) or says why not (a [`Refusal`]). Both begin with [`MAGIC`] and
//! the protocol version, encoded so that [`HelloPrefix`] decodes them from the hello of any
//! version: a mismatch is reported with both versions, never as garbage.

use serde::{Deserialize, Serialize};

use crate::frame::{Compression, Limits};
use crate::geometry::Size;
use crate::request::ResourceId;
use crate::{MAGIC, PROTOCOL_VERSION};

/// The first two fields of every hello, in every version of the protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HelloPrefix {
    /// Must be [`MAGIC`].
    pub magic: [u8; 4],
    /// The sender's protocol version.
    pub version: u16,
}

impl HelloPrefix {
    /// Reads the prefix of a hello of any version (the rest of the body is ignored).
    pub fn peek(body: &[u8]) -> Result<Self, crate::DecodeError> {
        postcard::take_from_bytes(body)
            .map(|(prefix, _)| prefix)
            .map_err(|e| crate::DecodeError::Malformed(e.to_string()))
    }
}

/// The client's first message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientHello {
    /// Must be [`MAGIC`].
    pub magic: [u8; 4],
    /// The client's protocol version.
    pub version: u16,
    /// A name for logs and `netinfo`, such as the program's name.
    pub client_name: String,
    /// The display's secret token; required over TCP.
    pub token: Option<Vec<u8>>,
    /// How the server must write the frames it sends this client (the client decodes all
    /// three; the server decodes whatever the client writes).
    pub compression: Compression,
    /// What the client comes to do: the server refuses an application whose token only
    /// lets it watch.
    pub role: Role,
}

/// What a client comes to do, said in its hello.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Role {
    /// An application: it draws (and may attach as a viewer too).
    #[default]
    Application,
    /// A viewer (a thin client): it watches the screen and, if its token allows, types and
    /// clicks.
    Viewer,
}

impl ClientHello {
    /// A hello of this version, asking for the default compression ([`Compression::Lz4`]).
    pub fn new(client_name: impl Into<String>, token: Option<Vec<u8>>) -> Self {
        Self {
            magic: MAGIC,
            version: PROTOCOL_VERSION,
            client_name: client_name.into(),
            token,
            compression: Compression::default(),
            role: Role::default(),
        }
    }

    /// The same hello, for a client of `role`.
    pub fn with_role(mut self, role: Role) -> Self {
        self.role = role;
        self
    }

    /// The same hello, asking the server to write with `compression`.
    pub fn with_compression(mut self, compression: Compression) -> Self {
        self.compression = compression;
        self
    }
}

/// The server's answer to a [`ClientHello`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerHello {
    /// Always [`MAGIC`].
    pub magic: [u8; 4],
    /// The server's protocol version.
    pub version: u16,
    /// Accepted or refused.
    pub outcome: HelloOutcome,
}

impl ServerHello {
    /// A hello of this version with the given outcome.
    pub fn new(outcome: HelloOutcome) -> Self {
        Self {
            magic: MAGIC,
            version: PROTOCOL_VERSION,
            outcome,
        }
    }
}

/// Accepted or refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum HelloOutcome {
    /// The connection is open.
    Accepted(Welcome),
    /// The connection is refused and will be closed.
    Refused(Refusal),
}

/// What a client learns when it is accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Welcome {
    /// Server program and version.
    pub vendor: String,
    /// This client's number.
    pub client_id: u32,
    /// The screen's size.
    pub screen: Size,
    /// The layout of pixels that the server composites in.
    pub pixel_format: PixelFormat,
    /// The first id that this client may allocate.
    pub id_base: u32,
    /// The client may use ids `id_base | n` for `n <= id_mask`, except `id_base` itself.
    pub id_mask: u32,
    /// The limits that the server enforces.
    pub limits: Limits,
    /// The metrics of the server's typefaces, for laying out text without asking; `None` for
    /// a [`Role::Viewer`], which lays out no text.
    pub fonts: Option<crate::FontSet>,
}

impl Welcome {
    /// True when `id` lies in this client's range.
    pub fn owns(&self, id: ResourceId) -> bool {
        id.0 & !self.id_mask == self.id_base && id.0 != self.id_base
    }
}

/// How the server stores pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PixelFormat {
    /// 32 bits per pixel, `0x00RRGGBB` in native `u32`s.
    Xrgb8888,
}

/// Why a connection was refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Refusal {
    /// The client and the server speak different protocol versions.
    VersionMismatch {
        /// The server's version.
        server: u16,
        /// The client's version.
        client: u16,
    },
    /// A TCP connection came without a token.
    TokenRequired,
    /// The token does not match this display's.
    WrongToken,
    /// The server has as many clients as it can take.
    TooManyClients,
    /// The hello did not decode.
    Malformed(String),
    /// An application presented the view-only token, which lets a viewer watch and nothing
    /// more.
    ViewOnlyToken,
    /// A plain (unencrypted) client reached a port that speaks TLS.
    TlsRequired,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::VersionMismatch { server, client } => write!(
                f,
                "protocol version mismatch: the server speaks version {server}, this client \
                 speaks version {client}; use programs from the same netui release"
            ),
            Refusal::TokenRequired => write!(
                f,
                "the display requires a token over TCP: set NETUI_AUTH to the display's token \
                 file (the server prints where it is)"
            ),
            Refusal::WrongToken => write!(
                f,
                "the token does not match this display's: NETUI_AUTH must name the token file \
                 of the running server"
            ),
            Refusal::TooManyClients => write!(
                f,
                "the display has too many clients: it serves as many as its client and \
                 open-file limits allow; try again when one has left"
            ),
            Refusal::Malformed(why) => write!(f, "the server could not read the hello: {why}"),
            Refusal::ViewOnlyToken => write!(
                f,
                "the token is the display's view-only token: it lets a viewer watch the screen, \
                 not an application draw; use the full token file (display-N.token)"
            ),
            Refusal::TlsRequired => write!(
                f,
                "this display's TCP port speaks TLS and this client connected in plain TCP: \
                 use the token file that the server wrote (its `tls` line says how to connect)"
            ),
        }
    }
}
