//! RFB 3.8 (RFC 6143), the protocol of VNC viewers, for netui's display server.
//!
//! Everything here is the protocol and nothing else: no sockets, no threads, no clock. The
//! display server moves bytes between a TCP (or WebSocket) stream and this crate; benchmarks
//! and tests use its decoder to turn what a server sent back into pixels.
//!
//! # Layout
//! - [`pixel`]: the client's pixel format, and turning the screen's `0x00RRGGBB` into it.
//! - [`tight`]: the Tight encoding (7), the server's encoder and a client's decoder.
//!
//! # Where to make a change
//! - A pixel format the server should refuse or accept: [`pixel::PixelFormat::parse`].

pub mod pixel;
pub mod tight;

/// What can be wrong with what an RFB peer sent.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RfbError {
    /// A pixel format that this server does not serve.
    #[error("unsupported pixel format: {0}")]
    PixelFormat(&'static str),
}
