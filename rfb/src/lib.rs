//! RFB 3.8 (RFC 6143), the protocol of VNC viewers, for netui's display server.
//!
//! Everything here is the protocol and nothing else: no sockets, no threads, no clock. The
//! display server moves bytes between a TCP (or WebSocket) stream and a [`ServerSession`];
//! benchmarks and tests use the blocking [`client::Client`] to turn what a server sent back
//! into pixels.
//!
//! # Layout
//! - [`pixel`]: the client's pixel format, and turning the screen's `0x00RRGGBB` into it.
//! - [`encoding`]: encoding numbers, and what a client's SetEncodings list asks for.
//! - [`message`]: client-to-server messages parsed from bytes; server-to-client writers.
//! - [`auth`]: security types offered, and VNC Authentication (DES of a challenge).
//! - [`server`]: [`ServerSession`], the server's side of one connection, fed bytes.
//! - `update`: the shadow of what the client has, and building a FramebufferUpdate.
//! - [`raw`], [`hextile`], [`zrle`]: each encoding's encoder and (trusting nothing) decoder.
//! - `cursor`: the arrow sent with the Cursor pseudo-encoding.
//! - [`tight`]: the Tight encoding (7), the server's encoder and a client's decoder.
//! - [`clipboard`]: the Extended Clipboard pseudo-encoding (UTF-8 text, zlib-compressed).
//! - [`client`]: a blocking client over `Read + Write`, for tests and benchmarks.
//!
//! # Where to make a change
//! - A pixel format the server should refuse or accept: [`pixel::PixelFormat::parse`].
//! - A new client message: [`message::ClientMessage`] (parse and write), then
//!   `ServerSession::handle` in `server.rs`.
//! - A new security type (VeNCrypt): [`auth::SecurityType`] and the `Security` state in
//!   `server.rs`.
//! - Which encoding a client gets, or Tight: [`encoding::Encodings`] and the marked arm in
//!   `update.rs` (server) and `client.rs` (decoder).
//! - What is sent for a change on the screen: `update.rs`.

pub mod auth;
pub mod client;
pub mod clipboard;
mod cursor;
pub mod encoding;
pub mod hextile;
pub mod message;
pub mod pixel;
pub mod raw;
pub mod server;
pub mod tight;
mod update;
pub mod zrle;

#[cfg(test)]
mod tests;

pub use server::{DesktopSizeStatus, Event, Passwords, ServerSession};

use netui_protocol::{Rect, Size};

/// What can be wrong with what an RFB peer sent (or with what the server is asked to send).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RfbError {
    /// A pixel format that this server does not serve.
    #[error("unsupported pixel format: {0}")]
    PixelFormat(&'static str),
    /// The first 12 bytes were not an RFB 3.x version this side speaks.
    #[error("the peer's protocol version {0:?} is not RFB 3.3, 3.7 or 3.8")]
    Version(String),
    /// The client chose a security type that the server did not offer.
    #[error("the client chose security type {0}, which was not offered")]
    SecurityType(u8),
    /// VeNCrypt's negotiation went wrong (another version, a sub-type not offered).
    #[error("VeNCrypt: {0}")]
    VeNCrypt(String),
    /// The response to the VNC Authentication challenge matched no password.
    #[error("authentication failed")]
    AuthenticationFailed,
    /// The server refused the connection, with its reason.
    #[error("the server refused the connection: {0}")]
    Refused(String),
    /// A client message type this server does not know.
    #[error("unknown client message type {0}")]
    UnknownMessage(u8),
    /// A QEMU client message (type 255) other than the Extended Key Event.
    #[error("unknown QEMU client message {0}")]
    UnknownQemuMessage(u8),
    /// SetEncodings with more encodings than anyone needs.
    #[error("SetEncodings with {0} encodings; at most {max} are accepted", max = message::MAX_ENCODINGS)]
    TooManyEncodings(u16),
    /// Cut text (or an extended clipboard message) longer than accepted.
    #[error("cut text of {0} bytes; at most {max} are accepted", max = message::MAX_CUT_TEXT)]
    CutTextTooLong(u64),
    /// An Extended Clipboard message that does not read (broken zlib, missing sizes).
    #[error("bad extended clipboard message: {0}")]
    Clipboard(String),
    /// A fence payload longer than the 64 bytes the spec allows.
    #[error("a fence payload of {0} bytes; at most 64 are allowed")]
    FenceTooLong(u8),
    /// A FramebufferUpdateRequest (or continuous updates area) beyond the framebuffer.
    #[error("update request for {rect:?} beyond the {}x{} framebuffer", .size.width, .size.height)]
    RequestOutsideScreen {
        /// The area asked for.
        rect: Rect,
        /// The framebuffer size the client was last told.
        size: Size,
    },
    /// A message arrived after the session had failed (or before it was ready).
    #[error("the session has ended")]
    Closed,
    /// The screen is larger than RFB's 16-bit sizes can say.
    #[error("a {}x{} screen is larger than RFB's 65535x65535", .0.width, .0.height)]
    ScreenTooLarge(Size),
    /// The screen changed size and the client accepts neither DesktopSize nor
    /// ExtendedDesktopSize, so it cannot follow.
    #[error("the screen changed size and the client cannot be told (no DesktopSize)")]
    ResizeUnsupported,
    /// A rectangle from the server lies (partly) outside the client's framebuffer.
    #[error("rectangle {rect:?} is outside the {}x{} framebuffer", .size.width, .size.height)]
    OutsideFramebuffer {
        /// The rectangle.
        rect: Rect,
        /// The framebuffer size.
        size: Size,
    },
    /// An encoding the client did not ask for, or does not decode.
    #[error("rectangle in unsupported encoding {0}")]
    UnsupportedEncoding(i32),
    /// Corrupt Hextile data.
    #[error("corrupt Hextile data: {0}")]
    Hextile(&'static str),
    /// Corrupt ZRLE data (or its zlib stream).
    #[error("corrupt ZRLE data: {0}")]
    Zrle(&'static str),
    /// A server message type the client does not know.
    #[error("unknown server message type {0}")]
    UnknownServerMessage(u8),
    /// A framebuffer, cursor or message larger than the client accepts.
    #[error("{0} is larger than accepted")]
    TooLarge(&'static str),
}
