//! What the server sends back: replies, error reports and events, in one envelope.

use serde::{Deserialize, Serialize};

use crate::event::Event;
use crate::geometry::{Rect, Size};
use crate::request::{RequestKind, ResourceId};

/// A message from the server to a client, after the handshake.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ServerMessage {
    /// The answer to a request that asked for one.
    Reply(Reply),
    /// Input or a change to one of the client's windows.
    Event(Event),
    /// A request failed, or the connection is about to be closed.
    Error(ErrorReport),
    /// For viewers: the screen's state and its updates.
    View(crate::ViewMessage),
}

/// The answer to a request. `seq` is the sequence number of that request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Reply {
    /// Every request up to `seq` has been carried out.
    Sync {
        /// Sequence number of the [`crate::Request::Sync`].
        seq: u32,
    },
    /// Pixels read back, as RGBA with opaque alpha, rows top to bottom.
    Image {
        /// Sequence number of the [`crate::Request::GetImage`].
        seq: u32,
        /// The area that was read, in the source's coordinates (clipped to it).
        area: Rect,
        /// `area.width * area.height * 4` bytes.
        #[serde(with = "serde_bytes")]
        data: Vec<u8>,
    },
    /// The server's description of itself.
    ServerInfo {
        /// Sequence number of the [`crate::Request::GetServerInfo`].
        seq: u32,
        /// The description.
        info: ServerInfo,
    },
}

impl Reply {
    /// The sequence number of the request that this answers.
    pub fn seq(&self) -> u32 {
        match self {
            Reply::Sync { seq } | Reply::Image { seq, .. } | Reply::ServerInfo { seq, .. } => *seq,
        }
    }
}

/// What `netinfo` shows: the server, its screen, and who is connected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerInfo {
    /// Server program and version, such as `netui-display-server 0.1.0`.
    pub vendor: String,
    /// The protocol version it speaks.
    pub protocol_version: u16,
    /// The display name it serves, such as `:3`.
    pub display: String,
    /// Screen size in pixels.
    pub screen: Size,
    /// Connected clients, in connection order.
    pub clients: Vec<ClientInfo>,
    /// Every window, bottom of the stack first (as far as the reply has room: see
    /// `windows_left_out`).
    pub stack: Vec<ResourceId>,
    /// Windows left out of `clients` and `stack` because the reply must fit in one frame
    /// (`0`: the lists are complete). Titles are cut to the welcome's
    /// [`crate::Limits::max_info_title_len`] bytes as well.
    pub windows_left_out: u32,
}

/// One connected client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientInfo {
    /// The client's number (its id range is derived from it).
    pub id: u32,
    /// The name it gave in its hello.
    pub name: String,
    /// Where it connected from (`unix` or a socket address).
    pub peer: String,
    /// What it may do, decided at its handshake: `owner`, `application`, `viewer` or
    /// `view-only`.
    pub access: String,
    /// Its windows, bottom of the stack first.
    pub windows: Vec<WindowInfo>,
    /// How many pixmaps it holds.
    pub pixmaps: u32,
    /// For a viewer: bytes of updates sent and not yet acknowledged, plus changes waiting.
    pub backlog: u64,
    /// For a pixel-mode viewer: CPU time the server spent encoding its updates, in
    /// microseconds.
    pub encode_micros: u64,
    /// Pixels its windows and pixmaps hold (4 bytes each), as the server counts them against
    /// its limits.
    pub pixels: u64,
    /// Bytes of replies, events and updates waiting for it to read them.
    pub outbox_bytes: u64,
}

/// One window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowInfo {
    /// Its id.
    pub id: ResourceId,
    /// Its title.
    pub title: String,
    /// Its place on the screen and size.
    pub rect: Rect,
    /// Whether it is shown.
    pub mapped: bool,
    /// What kind of window it is.
    pub kind: crate::WindowKind,
    /// Whether it has the keyboard focus.
    pub focused: bool,
}

/// Why a request failed, in the terms of X11 errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ErrorCode {
    /// The opcode names no request this server knows.
    UnknownRequest,
    /// The request's bytes do not decode.
    Malformed,
    /// The id names no resource of this client (absent, or another client's).
    BadId,
    /// The id is already in use, or outside the client's range.
    IdChoice,
    /// A value is out of range (size, font size, line width, text length).
    BadValue,
    /// Data does not match its declared size (an image's bytes).
    BadLength,
    /// The request does not apply to this kind of resource (drawing into the root).
    BadMatch,
    /// The client would hold more pixels than the server allows.
    ResourceLimit,
    /// The client may not make this request (input injection over TCP).
    Access,
    /// The byte stream broke the framing rules; the connection is closed after this.
    Protocol,
}

/// A failed request (or, with [`ErrorCode::Protocol`], a broken connection).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorReport {
    /// Sequence number of the failed request (0 for connection-level errors).
    pub seq: u32,
    /// Its opcode, when there was one.
    pub opcode: Option<u32>,
    /// What kind of failure.
    pub code: ErrorCode,
    /// The resource it was about, if any.
    pub resource: Option<ResourceId>,
    /// A sentence for people.
    pub message: String,
}

impl ErrorReport {
    /// A connection-level protocol error (no request, no resource): the server sends it
    /// before it closes a connection that broke the protocol.
    pub fn protocol(message: impl Into<String>) -> ErrorReport {
        ErrorReport {
            seq: 0,
            opcode: None,
            code: ErrorCode::Protocol,
            resource: None,
            message: message.into(),
        }
    }

    /// The name of the failed request, when the server knows it.
    pub fn request(&self) -> Option<RequestKind> {
        self.opcode.and_then(RequestKind::from_opcode)
    }
}

impl std::fmt::Display for ErrorReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.request(), self.opcode) {
            (Some(kind), _) => write!(f, "{kind} (request #{}) failed", self.seq)?,
            (None, Some(op)) => write!(f, "unknown request (opcode {op}, #{}) failed", self.seq)?,
            (None, None) => write!(f, "connection error")?,
        }
        write!(f, ": {:?}: {}", self.code, self.message)?;
        if let Some(id) = self.resource {
            write!(f, " (resource {id})")?;
        }
        Ok(())
    }
}
