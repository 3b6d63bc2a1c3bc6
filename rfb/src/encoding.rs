//! Encoding numbers (RFC 6143 §7.7 and the community RFB spec), and what a client's
//! SetEncodings list asks for.
//!
//! ```
//! use netui_rfb::encoding::{self, Encodings, PixelEncoding};
//!
//! let asked = Encodings::from_list(&[encoding::ZRLE, encoding::COPY_RECT, encoding::RAW]);
//! assert_eq!(asked.pixels, PixelEncoding::Zrle);
//! assert!(asked.copy_rect && !asked.cursor);
//! ```

/// Raw: the pixels, row by row.
pub const RAW: i32 = 0;
/// CopyRect: the rectangle is a copy of another area of the framebuffer.
pub const COPY_RECT: i32 = 1;
/// Hextile: 16x16 tiles of background, foreground and subrectangles.
pub const HEXTILE: i32 = 5;
/// Tight: zlib streams, palettes, gradients and JPEG.
pub const TIGHT: i32 = 7;
/// ZRLE: 64x64 tiles, run-length and palettes, in one zlib stream.
pub const ZRLE: i32 = 16;

/// Pseudo-encoding: the framebuffer changed size.
pub const DESKTOP_SIZE: i32 = -223;
/// Pseudo-encoding: the client counts on a LastRect rectangle ending an update.
pub const LAST_RECT: i32 = -224;
/// Pseudo-encoding: the cursor's shape, drawn by the client.
pub const CURSOR: i32 = -239;
/// Pseudo-encoding: QEMU's Extended Key Event (keysym plus keycode).
pub const QEMU_EXTENDED_KEY_EVENT: i32 = -258;
/// Pseudo-encoding: the framebuffer's size and screen layout, and SetDesktopSize.
pub const EXTENDED_DESKTOP_SIZE: i32 = -308;
/// Pseudo-encoding: Fence messages.
pub const FENCE: i32 = -312;
/// Pseudo-encoding: EnableContinuousUpdates / EndOfContinuousUpdates.
pub const CONTINUOUS_UPDATES: i32 = -313;
/// Pseudo-encodings: JPEG quality level 0 (-32) to 9 (-23).
pub const JPEG_QUALITY: std::ops::RangeInclusive<i32> = -32..=-23;
/// Pseudo-encodings: compress level 0 (-256) to 9 (-247).
pub const COMPRESS_LEVEL: std::ops::RangeInclusive<i32> = -256..=-247;
/// Pseudo-encodings (TigerVNC): fine JPEG quality 0 (-512) to 100 (-412).
pub const FINE_QUALITY: std::ops::RangeInclusive<i32> = -512..=-412;
/// Pseudo-encodings (TigerVNC): JPEG chroma subsampling, -768 (none) to -763.
pub const SUBSAMPLING: std::ops::RangeInclusive<i32> = -768..=-763;

/// The encoding the server sends pixels in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PixelEncoding {
    /// [`RAW`], which every client accepts.
    #[default]
    Raw,
    /// [`HEXTILE`].
    Hextile,
    /// [`ZRLE`].
    Zrle,
    /// [`TIGHT`].
    Tight,
}

impl PixelEncoding {
    /// Its encoding number.
    pub fn number(self) -> i32 {
        match self {
            PixelEncoding::Raw => RAW,
            PixelEncoding::Hextile => HEXTILE,
            PixelEncoding::Zrle => ZRLE,
            PixelEncoding::Tight => TIGHT,
        }
    }
}

/// What a client's SetEncodings list asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Encodings {
    /// The first encoding of the list that the server sends (Raw when none is).
    pub pixels: PixelEncoding,
    /// [`COPY_RECT`] accepted.
    pub copy_rect: bool,
    /// [`DESKTOP_SIZE`] accepted.
    pub desktop_size: bool,
    /// [`EXTENDED_DESKTOP_SIZE`] accepted.
    pub extended_desktop_size: bool,
    /// [`CURSOR`] accepted.
    pub cursor: bool,
    /// [`LAST_RECT`] accepted (not needed: updates carry their count).
    pub last_rect: bool,
    /// [`QEMU_EXTENDED_KEY_EVENT`] accepted.
    pub qemu_key: bool,
    /// [`CONTINUOUS_UPDATES`] accepted.
    pub continuous_updates: bool,
    /// [`FENCE`] accepted.
    pub fence: bool,
    /// [`crate::clipboard::EXTENDED_CLIPBOARD`] accepted: clipboard text in UTF-8.
    pub extended_clipboard: bool,
    /// JPEG quality level 0..=9, from [`JPEG_QUALITY`].
    pub jpeg_quality: Option<u8>,
    /// Fine JPEG quality 0..=100, from [`FINE_QUALITY`].
    pub fine_quality: Option<u8>,
    /// Chroma subsampling 0..=5, from [`SUBSAMPLING`].
    pub subsampling: Option<u8>,
    /// Compress level 0..=9, from [`COMPRESS_LEVEL`].
    pub compress_level: Option<u8>,
}

impl Encodings {
    /// Reads a SetEncodings list: the first pixel encoding the server sends wins, the
    /// pseudo-encodings are flags, and numbers the server does not know are ignored (as RFB
    /// wants: a client lists what it can take).
    pub fn from_list(list: &[i32]) -> Encodings {
        let mut e = Encodings::default();
        let mut chosen = None;
        // Each range holds at most 101 values, so the offsets fit in a u8.
        let offset = |n: i32, range: &std::ops::RangeInclusive<i32>| (n - range.start()) as u8;
        for &n in list {
            let pixels = match n {
                RAW => Some(PixelEncoding::Raw),
                HEXTILE => Some(PixelEncoding::Hextile),
                ZRLE => Some(PixelEncoding::Zrle),
                TIGHT => Some(PixelEncoding::Tight),
                COPY_RECT => {
                    e.copy_rect = true;
                    None
                }
                DESKTOP_SIZE => {
                    e.desktop_size = true;
                    None
                }
                EXTENDED_DESKTOP_SIZE => {
                    e.extended_desktop_size = true;
                    None
                }
                CURSOR => {
                    e.cursor = true;
                    None
                }
                crate::clipboard::EXTENDED_CLIPBOARD => {
                    e.extended_clipboard = true;
                    None
                }
                LAST_RECT => {
                    e.last_rect = true;
                    None
                }
                QEMU_EXTENDED_KEY_EVENT => {
                    e.qemu_key = true;
                    None
                }
                CONTINUOUS_UPDATES => {
                    e.continuous_updates = true;
                    None
                }
                FENCE => {
                    e.fence = true;
                    None
                }
                n if JPEG_QUALITY.contains(&n) => {
                    e.jpeg_quality = Some(offset(n, &JPEG_QUALITY));
                    None
                }
                n if COMPRESS_LEVEL.contains(&n) => {
                    e.compress_level = Some(offset(n, &COMPRESS_LEVEL));
                    None
                }
                n if FINE_QUALITY.contains(&n) => {
                    e.fine_quality = Some(offset(n, &FINE_QUALITY));
                    None
                }
                n if SUBSAMPLING.contains(&n) => {
                    e.subsampling = Some(offset(n, &SUBSAMPLING));
                    None
                }
                _ => None,
            };
            if chosen.is_none() {
                chosen = pixels;
            }
        }
        e.pixels = chosen.unwrap_or_default();
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_supported_encoding_wins() {
        let e = Encodings::from_list(&[TIGHT, HEXTILE, ZRLE]);
        assert_eq!(e.pixels, PixelEncoding::Tight);
        let e = Encodings::from_list(&[HEXTILE, TIGHT, ZRLE]);
        assert_eq!(e.pixels, PixelEncoding::Hextile);
        assert_eq!(Encodings::from_list(&[]).pixels, PixelEncoding::Raw);
        assert_eq!(
            Encodings::from_list(&[99, ZRLE]).pixels,
            PixelEncoding::Zrle
        );
    }

    #[test]
    fn levels_are_read() {
        let e = Encodings::from_list(&[-23, -256, -412, -768, CURSOR, FENCE]);
        assert_eq!(e.jpeg_quality, Some(9));
        assert_eq!(e.compress_level, Some(0));
        assert_eq!(e.fine_quality, Some(100));
        assert_eq!(e.subsampling, Some(0));
        assert!(e.cursor && e.fence && !e.copy_rect);
    }
}
