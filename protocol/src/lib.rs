//! The netui wire format, and nothing else: no sockets, no threads, no clocks.
//!
//! A connection is a byte stream of *frames*. A frame is an 8-byte header and a payload; the
//! payload may be LZ4-compressed (a flag in the header) and carries a *batch* of messages, each
//! one a length-prefixed [postcard] encoding of a [`Request`] (client to server) or a
//! [`ServerMessage`] (server to client). The first frame each way is the handshake
//! ([`ClientHello`], [`ServerHello`]).
//!
//! Everything that arrives from the network is decoded through this crate, and decoding never
//! panics and never allocates more than [`Limits`] allow, whatever it is fed.
//!
//! # Layout
//! - [`geometry`]: points, rectangles, colors.
//! - [`handshake`]: the first message each way: version, capabilities, auth, limits, id range.
//! - [`request`]: what a client asks of the server, and the opcode of each request.
//! - [`event`]: input and window events that the server sends to applications.
//! - [`reply`]: replies, error reports, and the [`ServerMessage`] envelope.
//! - [`font`]: the metrics of the shipped typefaces, for layout without a round trip.
//! - [`frame`]: the frame header, batching, compression and the decoding limits.
//! - [`view`]: what viewers (thin clients) receive: scene operations or encoded pixels.
//! - [`display`]: display names (`:N`, `HOST:N`), ports and per-user file names.
//! - [`error`]: what can go wrong while encoding or decoding.

#![forbid(unsafe_code)]

pub mod display;
pub mod error;
pub mod event;
pub mod font;
pub mod frame;
pub mod geometry;
pub mod handshake;
pub mod reply;
pub mod request;
pub mod view;

pub use error::{DecodeError, EncodeError};
pub use event::{Button, Event, InputEvent, Key, KeyEvent, Modifiers};
pub use font::{FontMetrics, FontSet, LineMetrics};
pub use frame::{BatchWriter, FrameHeader, Limits};
pub use geometry::{Color, Point, Rect, Segment, Size};
pub use handshake::{ClientHello, HelloOutcome, Refusal, ServerHello, Welcome};
pub use reply::{ClientInfo, ErrorCode, ErrorReport, Reply, ServerInfo, ServerMessage, WindowInfo};
pub use request::{Font, ImageFormat, Request, RequestKind, ResourceId, WindowKind};
pub use view::{EncodedRect, PixelEncoding, RectEncoding, SceneOp, ViewMessage, ViewMode};

/// The protocol version that this crate speaks. Both ends must speak the same one.
pub const PROTOCOL_VERSION: u16 = 1;

/// The first bytes of every hello, so that a server can tell a netui client from a stray one.
pub const MAGIC: [u8; 4] = *b"NTUI";
