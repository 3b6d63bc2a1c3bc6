//! The Tight encoding (RFB encoding 7), both sides, as TigerVNC, libvncserver and noVNC speak it.
//!
//! A Tight rectangle starts with a compression-control byte. Its low four bits ask the client
//! to reset zlib streams 0..=3; its high four bits say what follows:
//!
//! | high bits | subencoding | what follows |
//! | --- | --- | --- |
//! | `1000` | Fill | one TPIXEL |
//! | `1001` | JPEG | a compact length, then a JPEG image of the rectangle's size |
//! | `0fss` | Basic | with `f` set a filter id (0 copy, 1 palette, 2 gradient) and, for a palette, its size − 1 and its TPIXELs; then the filtered data, raw when shorter than 12 bytes, else a compact length and that many bytes of zlib stream `ss` |
//!
//! A TPIXEL is three bytes R, G, B when the client's format is 32 bits per pixel, depth 24,
//! with 8-bit primaries on byte boundaries (TigerVNC's `is888`); else a whole pixel in the
//! client's format. A compact length is 7 + 7 + 8 bits in one to three bytes, low bits first.
//! The four zlib streams live as long as the connection: each rectangle's data ends with a
//! sync flush, never with the end of the stream.
//!
//! Which stream carries which filter is the encoder's choice; the decoder only follows the
//! stream bits. This encoder, like TigerVNC, sends copy-filtered (raw) pixels on stream 0,
//! two-colour bitmaps on stream 1 and palette indices on stream 2, and, like libvncserver,
//! gradient-filtered pixels on stream 3. It sends a reset bit only when the client's
//! compression level changed since a stream was started (the pure-Rust zlib cannot change the
//! level of a running stream).
//!
//! ```
//! use netui_protocol::{Color, Rect};
//! use netui_rfb::pixel::PixelFormat;
//! use netui_rfb::tight::{TightDecoder, TightEncoder, TightSettings};
//! use netui_scene::render::Canvas;
//!
//! let screen = Canvas::new(64, 32, Color::rgb(0x20, 0x40, 0x80));
//! let format = PixelFormat::SERVER;
//! let settings = TightSettings { jpeg_quality: None, compress_level: 2 };
//! let mut out = Vec::new();
//! let count = TightEncoder::new().encode(&screen, screen.bounds(), &format, settings, &mut out);
//!
//! // The other side of the connection reads each rectangle's 12-byte header, then its data.
//! let mut viewer = Canvas::new(64, 32, Color::rgb(0, 0, 0));
//! let mut decoder = TightDecoder::new();
//! let mut input = &out[..];
//! for _ in 0..count {
//!     let (header, rest) = input.split_at(12);
//!     input = rest;
//!     let u16_at = |i: usize| u32::from(u16::from_be_bytes([header[i], header[i + 1]]));
//!     let rect = Rect::new(u16_at(0) as i32, u16_at(2) as i32, u16_at(4), u16_at(6));
//!     decoder.decode(&mut input, rect, &format, &mut viewer).unwrap();
//! }
//! assert_eq!(viewer, screen);
//! ```

mod decoder;
mod encoder;
#[cfg(test)]
mod tests;

pub use decoder::TightDecoder;
pub use encoder::TightEncoder;

use crate::pixel::PixelFormat;
use crate::RfbError;

/// The RFB encoding number of Tight.
pub const ENCODING: i32 = 7;

/// No Tight rectangle other than a fill may be wider than this (the decoders of TigerVNC and
/// libvncclient keep one row of this width for the gradient filter).
pub const MAX_WIDTH: u32 = 2048;

/// Filtered data shorter than this is sent as it is, without zlib.
const MIN_TO_COMPRESS: usize = 12;

/// The largest value a compact length can carry (7 + 7 + 8 bits).
const MAX_COMPACT: usize = (1 << 22) - 1;

/// Compression-control subencodings (the high four bits).
const FILL: u8 = 0x8;
const JPEG: u8 = 0x9;
const PNG: u8 = 0xa;
/// In a Basic compression-control's high bits: a filter id follows.
const EXPLICIT_FILTER: u8 = 0x4;

/// Filter ids.
const FILTER_COPY: u8 = 0;
const FILTER_PALETTE: u8 = 1;
const FILTER_GRADIENT: u8 = 2;

/// What the client asked for, from its pseudo-encodings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TightSettings {
    /// 0..=9, from the client's JPEG quality pseudo-encoding (−32 + n); `None` is lossless:
    /// never JPEG. Values above 9 count as 9.
    pub jpeg_quality: Option<u8>,
    /// 0..=9, from the client's compression level pseudo-encoding (−256 + n): more is
    /// smaller and slower. Values above 9 count as 9; TigerVNC's default is 2.
    pub compress_level: u8,
}

impl Default for TightSettings {
    /// Lossless, compression level 2 (TigerVNC's default).
    fn default() -> Self {
        TightSettings {
            jpeg_quality: None,
            compress_level: 2,
        }
    }
}

/// What can be wrong with a Tight rectangle that a server sent.
#[derive(Debug, thiserror::Error)]
pub enum TightError {
    /// The data ended before the rectangle did.
    #[error("the Tight rectangle's data ends early")]
    Truncated,
    /// Reading the data failed.
    #[error("reading a Tight rectangle: {0}")]
    Io(#[source] std::io::Error),
    /// The pixel format to decode in is not a valid one.
    #[error(transparent)]
    Format(#[from] RfbError),
    /// The rectangle does not lie inside the framebuffer.
    #[error("a Tight rectangle at ({x}, {y}) of {width}x{height} lies outside the {canvas_width}x{canvas_height} framebuffer")]
    OutsideCanvas {
        /// The rectangle's left column.
        x: i32,
        /// The rectangle's top row.
        y: i32,
        /// The rectangle's width.
        width: u32,
        /// The rectangle's height.
        height: u32,
        /// The framebuffer's width.
        canvas_width: u32,
        /// The framebuffer's height.
        canvas_height: u32,
    },
    /// A non-fill rectangle wider than [`MAX_WIDTH`].
    #[error("a Tight rectangle {0} pixels wide (at most {MAX_WIDTH})")]
    TooWide(u32),
    /// The compression-control byte names no subencoding.
    #[error("unknown Tight compression control {0:#04x}")]
    BadCompression(u8),
    /// TightPNG's PNG subencoding, which is not Tight's.
    #[error("a PNG rectangle, which only TightPNG (encoding -260) may send")]
    Png,
    /// The filter id is not copy (0), palette (1) or gradient (2).
    #[error("unknown Tight filter id {0}")]
    BadFilter(u8),
    /// A pixel names a palette entry that does not exist.
    #[error("palette index {index} in a palette of {size} colours")]
    PaletteIndex {
        /// The index found.
        index: u8,
        /// How many colours the palette has.
        size: usize,
    },
    /// A compact length larger than the rectangle could need.
    #[error("a Tight length of {len} bytes, past the limit of {limit} for this rectangle")]
    LengthPastLimit {
        /// The length sent.
        len: usize,
        /// The most this rectangle may need.
        limit: usize,
    },
    /// The zlib stream is not valid deflate data.
    #[error("zlib stream {stream}: {message}")]
    Zlib {
        /// Which of the four streams.
        stream: usize,
        /// What the inflater said.
        message: String,
    },
    /// The compressed data ran out before the rectangle's pixels did.
    #[error("zlib stream {stream} gave {got} of the rectangle's {expected} bytes")]
    ZlibShort {
        /// Which of the four streams.
        stream: usize,
        /// Bytes the rectangle needs.
        expected: usize,
        /// Bytes the compressed data gave.
        got: usize,
    },
    /// The compressed data expands beyond the rectangle's pixels.
    #[error("zlib stream {stream} expands beyond the rectangle's {expected} bytes")]
    ZlibOverflow {
        /// Which of the four streams.
        stream: usize,
        /// Bytes the rectangle needs.
        expected: usize,
    },
    /// The JPEG image could not be decoded.
    #[error("JPEG: {0}")]
    Jpeg(String),
    /// The JPEG image is not the size of its rectangle.
    #[error("a {got_width}x{got_height} JPEG in a {width}x{height} rectangle")]
    JpegSize {
        /// The rectangle's width.
        width: u32,
        /// The rectangle's height.
        height: u32,
        /// The image's width.
        got_width: usize,
        /// The image's height.
        got_height: usize,
    },
}

impl From<std::io::Error> for TightError {
    fn from(error: std::io::Error) -> Self {
        if error.kind() == std::io::ErrorKind::UnexpectedEof {
            TightError::Truncated
        } else {
            TightError::Io(error)
        }
    }
}

/// Whether TPIXELs are three bytes R, G, B in `format` (TigerVNC's `PixelFormat::is888`):
/// 32 bits per pixel, depth 24, every maximum 255 and every shift on a byte boundary.
pub fn is_888(format: &PixelFormat) -> bool {
    format.compact().is_some()
        && format.depth == 24
        && [format.red_max, format.green_max, format.blue_max] == [255; 3]
        && [format.red_shift, format.green_shift, format.blue_shift]
            .iter()
            .all(|s| s % 8 == 0)
}

/// The size of a TPIXEL in `format`.
fn tpixel_size(format: &PixelFormat, rgb888: bool) -> usize {
    if rgb888 {
        3
    } else {
        format.bytes_per_pixel()
    }
}

/// Appends a compact length (at most [`MAX_COMPACT`]).
fn put_compact(len: usize, out: &mut Vec<u8>) {
    debug_assert!(len <= MAX_COMPACT);
    if len < 0x80 {
        out.push(len as u8);
    } else if len < 0x4000 {
        out.extend_from_slice(&[len as u8 | 0x80, (len >> 7) as u8]);
    } else {
        out.extend_from_slice(&[len as u8 | 0x80, (len >> 7) as u8 | 0x80, (len >> 14) as u8]);
    }
}
