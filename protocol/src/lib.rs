//! The netui wire format, and nothing else: no sockets, no threads, no clocks.
//!
//! A connection is a byte stream of *frames*. A frame is an 8-byte header and a payload that
//! carries a *batch* of messages, each one a length-prefixed [postcard] encoding of a
//! [`Request`] (client to server) or a [`ServerMessage`] (server to client). Each end writes
//! with a [`Compression`] of its choice: none, LZ4 per frame, or LZ4 against the earlier
//! frames with a cache of repeated messages (`lz4-ctx`); flags in the header say which, and a
//! [`FrameDecoder`] reads them all. The first frame each way is the handshake
//! ([`ClientHello`], which says how the server must write to the client, and [`ServerHello`]).
//! A [`FrameReader`] is fed a connection's bytes as they arrive and yields its frames once
//! they are whole; [`ClientHandshake`] and [`ServerHandshake`] do the same for the hellos.
//!
//! Everything that arrives from the network is decoded through this crate, and decoding never
//! panics and never allocates more than [`Limits`] allow, whatever it is fed.
//!
//! # Layout
//! - [`geometry`]: points, rectangles, colors.
//! - [`handshake`]: the first message each way: version, compression, auth, limits, id range.
//! - [`request`]: what a client asks of the server, and the opcode of each request.
//! - [`event`]: input and window events that the server sends to applications.
//! - [`reply`]: replies, error reports, and the [`ServerMessage`] envelope.
//! - [`selection`]: the clipboard and the primary selection: which, the type names, why a
//!   transfer failed, and their limits.
//! - [`images`]: the compressed image formats of `PutImage`, made and expanded.
//! - [`gradient`]: the gradient coder (predicted pixels, their errors range-coded), which
//!   `ImageFormat::Rgb8Gradient` and `px-tiles`' gradient records use.
//! - [`font`]: the metrics of the shipped typefaces, for layout without a round trip.
//! - [`frame`]: the frame header, batching, compression (and `lz4-ctx`'s format), the
//!   stateful frame decoder, and the decoding limits.
//! - [`connection`]: one end of a connection without its I/O: the frame reader that is fed
//!   bytes, and the handshake of each side with the checks of each hello.
//! - [`view`]: what viewers (thin clients) receive: scene operations or encoded pixels, and
//!   reports of what each mode costs.
//! - [`display`]: display names (`:N`, `HOST:N`), ports and per-user file names.
//! - [`token`]: token files: the secret, and the pin of the display's TLS certificate.
//! - [`error`]: what can go wrong while encoding, decoding, or shaking hands.
//!
//! # Where to make a change
//! - A new request: a variant at the end of the list in `request.rs` (`requests!`), with its
//!   [`RequestClass`] after it; the opcode, [`RequestKind`] and its class follow from the list.
//!   Name its ids in `Request::map_ids` (it does not compile until you do) and give it a
//!   sample in `request/tests.rs` and in `tests/roundtrip.rs`. The wire format of the
//!   earlier requests does not change. Then the display server's and the scene's parts: see
//!   their crate docs.
//! - A new event or reply: `event.rs` or `reply.rs`, at the end of its enum, with a round trip
//!   in `tests/roundtrip.rs`.
//! - A new pixel encoding: its name in [`PixelEncoding`] (`view.rs`); the encoder and decoder
//!   live in the scene crate's `encoding/`.
//! - A new transport: nothing here. Frames are bytes whatever carries them, and
//!   [`connection`] reads them from whatever bytes it is fed; the display server's `peer` and
//!   `server` modules say where they come from and what they may do.

#![forbid(unsafe_code)]

pub mod connection;
pub mod display;
pub mod error;
pub mod event;
pub mod font;
pub mod frame;
pub mod geometry;
pub mod gradient;
pub mod handshake;
pub mod images;
mod packed;
pub mod reply;
pub mod request;
pub mod selection;
pub mod token;
pub mod view;

pub use connection::{ClientHandshake, Frame, FrameReader, ServerHandshake};
pub use error::{DecodeError, EncodeError, HandshakeError};
pub use event::{Button, Event, InputEvent, Key, KeyEvent, Modifiers};
pub use font::{FontMetrics, FontSet, LineMetrics};
pub use frame::{BatchWriter, Compression, FrameDecoder, FrameHeader, Limits};
pub use geometry::{Color, Point, Rect, Segment, Size};
pub use handshake::{ClientHello, HelloOutcome, Refusal, Role, ServerHello, Welcome};
pub use reply::{ClientInfo, ErrorCode, ErrorReport, Reply, ServerInfo, ServerMessage, WindowInfo};
pub use request::{
    Font, ImageFormat, PutImageRef, Request, RequestClass, RequestKind, ResourceId, WindowKind,
};
pub use selection::{Selection, SelectionFailure, SelectionLimits};
pub use view::{
    Drawing, EncodedRect, PixelEncoding, RectEncoding, SceneOp, ViewCosts, ViewMessage, ViewMode,
};

/// The protocol version that this crate speaks. Both ends must speak the same one.
///
/// Version 2: the hello chooses a [`Compression`] and frames may be context frames.
/// Version 3: the hello says whether the client is an application or a viewer ([`Role`]),
/// and the server-info reply says each client's permission.
/// Version 4: selections (the clipboard and the primary selection): their requests and
/// events, and their limits in the welcome; a viewer's welcome carries no font metrics.
/// Version 5: `px-tiles` area records, and raw tiles as green differences.
/// Version 6: `px-tiles` blend records.
/// Version 7: `px-tiles` gradient records predict with LOCO-I's median edge detector.
/// Version 8: lists of rectangles, segments and points travel as one byte string of their
/// integers (see `packed.rs`), not as a sequence of structs.
/// Version 9: images compressed with Zstandard (`ImageFormat::Rgb8Zstd`, `Rgba8Zstd`), and
/// command-mode updates in parts (`ViewMessage::ScenePart`).
/// Version 10: `px-tiles` blend records give their opacities column by column.
/// Version 11: frame headers of LEB128 lengths (two or three bytes for a small frame), not
/// eight fixed bytes.
/// Version 12: a pixel update gives the screen's size only when it changed
/// (`ViewMessage::Pixels::size` is an `Option`).
/// Version 13: `px-tiles` sends the server's drawing as drawings the viewer carries out
/// (`RectEncoding::Draw`).
/// Version 14: `px-tiles` gradient records' errors are range-coded under contexts, in a
/// section at the end of the rectangle (`RectEncoding::Tiles::coded`).
/// Version 15: images coded as `px-tiles`' gradient records are (`ImageFormat::Rgb8Gradient`),
/// the format in which command mode sends photographs.
pub const PROTOCOL_VERSION: u16 = 15;

/// The first bytes of every hello, so that a server can tell a netui client from a stray one.
pub const MAGIC: [u8; 4] = *b"NTUI";
