//! The netui application library: connect to a display by name, create windows, draw, and
//! receive events.
//!
//! Drawing never waits for the network: calls queue requests, resource ids are chosen here
//! from the range the server gave, and [`Display::flush`] hands whole batches to the
//! connection's writer. See [`Display`] for an example.
//!
//! # Layout
//! - [`display`]: [`Display`]: connecting, the request queue, replies and events.
//! - `draw`: the drawing calls of [`Display`], and [`Window`] and [`Pixmap`].
//! - `batch`: the queue of requests: merging, numbering, encoding into frames.
//! - `clipboard`: the clipboard and the primary selection: [`Display::set_selection`]
//!   (copy, served by the library), [`Display::paste`], and the lower-level requests.
//! - [`viewer`]: [`Viewer`], what a thin client says and hears on top of a [`Display`].
//! - `connection`: the I/O under a display: the handshake, one reader and one writer of the
//!   transport's stream on the connection's own thread and runtime, and the shutdown.
//! - [`transport`]: the [`Transport`](transport::Transport) trait that a connection runs
//!   over, and [`Stream`](transport::Stream), the Unix, TCP and TLS sockets.
//! - [`tls`]: TLS 1.3 under a connection: the server's certificate pinned by the fingerprint
//!   in the token file (or checked against the web's roots), over any transport.
//! - [`connect`]: display names, sockets, token files and how each says to trust the server.
//! - [`event`]: the queue of events, waited on blocking, with a deadline, or as an async
//!   stream.
//! - [`image`]: PNG images as RGBA pixels, as the clipboard's `image/png` carries them.
//! - [`error`]: the error type.
//!
//! # Where to make a change
//! - A new request: add it to the protocol's `Request` (and the server's handling), then a
//!   call here that queues it with [`Display::send`]: a drawing call in `draw.rs`, or in
//!   `display.rs` if the caller waits for a reply (as [`Display::get_image`] does, matching
//!   the reply's `seq`), or in `viewer.rs` if only viewers send it. Merging with the request
//!   before it, if it repeats, is in `batch.rs`.
//! - A new transport (TLS, WebSocket...): implement [`transport::Transport`] in
//!   `transport.rs`: its `open` yields any tokio `AsyncRead + AsyncWrite` stream, opened on
//!   the connection's runtime; pass it to [`Display::connect_stream_with`] (and, for display
//!   names that should use it, choose it in `connect.rs`). Nothing else changes: the
//!   connection splits the stream into one reader and one writer.
#![forbid(unsafe_code)]

mod batch;
mod clipboard;
pub mod connect;
mod connection;
pub mod display;
mod draw;
pub mod error;
pub mod event;
pub mod image;
pub mod tls;
pub mod transport;
pub mod viewer;

pub use display::{Display, Image, Stats};
pub use draw::{Pixmap, Window};
pub use error::Error;
/// Type names of selection content: [`selection::TEXT`], [`selection::PNG`].
pub use netui_protocol::selection;
pub use netui_protocol::{
    Button, Color, Compression, ErrorCode, Event, Font, ImageFormat, InputEvent, Key, KeyEvent,
    LineMetrics, Modifiers, PixelEncoding, Point, Rect, ResourceId, Segment, Selection,
    SelectionFailure, ServerInfo, Size, ViewCosts, ViewMessage, ViewMode, WindowKind,
};
pub use viewer::Viewer;
