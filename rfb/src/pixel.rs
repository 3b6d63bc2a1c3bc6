//! The pixel format a client asks for (RFC 6143 §7.4), and turning the screen's pixels into it.
//!
//! The screen's pixels are `0x00RRGGBB` words ([`netui_scene::render::Canvas`]). A client may
//! ask for any true-colour format of 8, 16 or 32 bits per pixel, in either byte order, with
//! its own maximum and shift for each primary; colour maps (which only 8-bit palettised
//! displays of the 1990s needed) are refused.
//!
//! ```
//! use netui_rfb::pixel::PixelFormat;
//!
//! let rgb565 = PixelFormat::rgb565();
//! let mut out = Vec::new();
//! rgb565.put_rgb(0x00ff_0000, &mut out); // red
//! assert_eq!(out, [0x00, 0xf8]);
//! assert_eq!(rgb565.rgb(rgb565.read(&out)), 0x00ff_0000);
//! ```

use crate::RfbError;

/// A true-colour pixel format, as a client's SetPixelFormat or the server's ServerInit says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PixelFormat {
    /// 8, 16 or 32.
    pub bits_per_pixel: u8,
    /// The bits that carry colour (at most `bits_per_pixel`).
    pub depth: u8,
    /// Multi-byte pixels are sent most significant byte first.
    pub big_endian: bool,
    /// The largest value of each primary: `2^n - 1`.
    pub red_max: u16,
    /// See `red_max`.
    pub green_max: u16,
    /// See `red_max`.
    pub blue_max: u16,
    /// How far each primary is shifted left in the pixel value.
    pub red_shift: u8,
    /// See `red_shift`.
    pub green_shift: u8,
    /// See `red_shift`.
    pub blue_shift: u8,
}

impl Default for PixelFormat {
    /// The server's own format: [`PixelFormat::SERVER`].
    fn default() -> Self {
        PixelFormat::SERVER
    }
}

impl PixelFormat {
    /// The screen's own format, which the server announces in ServerInit: 32 bits, depth 24,
    /// little-endian, `0x00RRGGBB`, so that a client that keeps it gets the canvas's bytes.
    pub const SERVER: PixelFormat = PixelFormat {
        bits_per_pixel: 32,
        depth: 24,
        big_endian: false,
        red_max: 255,
        green_max: 255,
        blue_max: 255,
        red_shift: 16,
        green_shift: 8,
        blue_shift: 0,
    };

    /// 16-bit 5-6-5, little-endian: what viewers ask for on slow links.
    pub fn rgb565() -> PixelFormat {
        PixelFormat {
            bits_per_pixel: 16,
            depth: 16,
            big_endian: false,
            red_max: 31,
            green_max: 63,
            blue_max: 31,
            red_shift: 11,
            green_shift: 5,
            blue_shift: 0,
        }
    }

    /// The 16 bytes of a PIXEL_FORMAT, checked: 8, 16 or 32 bits per pixel, true colour, each
    /// maximum one less than a power of two, and each primary inside the pixel.
    pub fn parse(bytes: &[u8; 16]) -> Result<PixelFormat, RfbError> {
        let u16_at = |i: usize| u16::from_be_bytes([bytes[i], bytes[i + 1]]);
        let format = PixelFormat {
            bits_per_pixel: bytes[0],
            depth: bytes[1],
            big_endian: bytes[2] != 0,
            red_max: u16_at(4),
            green_max: u16_at(6),
            blue_max: u16_at(8),
            red_shift: bytes[10],
            green_shift: bytes[11],
            blue_shift: bytes[12],
        };
        if !matches!(format.bits_per_pixel, 8 | 16 | 32) {
            return Err(RfbError::PixelFormat("bits per pixel must be 8, 16 or 32"));
        }
        if bytes[3] == 0 {
            return Err(RfbError::PixelFormat(
                "colour maps are not served; ask for true colour",
            ));
        }
        let primaries = [
            (format.red_max, format.red_shift),
            (format.green_max, format.green_shift),
            (format.blue_max, format.blue_shift),
        ];
        for (max, shift) in primaries {
            if max == 0 || (u32::from(max) + 1).count_ones() != 1 {
                return Err(RfbError::PixelFormat(
                    "a colour's maximum must be 2^n - 1, at least 1",
                ));
            }
            if u32::from(shift) + u32::from(16 - max.leading_zeros() as u8)
                > u32::from(format.bits_per_pixel)
            {
                return Err(RfbError::PixelFormat("a colour lies outside the pixel"));
            }
        }
        Ok(format)
    }

    /// The 16 bytes of this format as RFB sends it.
    pub fn to_bytes(&self) -> [u8; 16] {
        let mut b = [0; 16];
        b[0] = self.bits_per_pixel;
        b[1] = self.depth;
        b[2] = u8::from(self.big_endian);
        b[3] = 1;
        b[4..6].copy_from_slice(&self.red_max.to_be_bytes());
        b[6..8].copy_from_slice(&self.green_max.to_be_bytes());
        b[8..10].copy_from_slice(&self.blue_max.to_be_bytes());
        b[10] = self.red_shift;
        b[11] = self.green_shift;
        b[12] = self.blue_shift;
        b
    }

    /// Bytes per pixel: 1, 2 or 4.
    pub fn bytes_per_pixel(&self) -> usize {
        usize::from(self.bits_per_pixel / 8)
    }

    /// The client's pixel value of a screen colour `0x00RRGGBB` (each primary scaled to its
    /// maximum, rounded).
    pub fn pixel(&self, rgb: u32) -> u32 {
        let scale = |c: u32, max: u16| (c * u32::from(max) + 127) / 255;
        scale((rgb >> 16) & 0xff, self.red_max) << self.red_shift
            | scale((rgb >> 8) & 0xff, self.green_max) << self.green_shift
            | scale(rgb & 0xff, self.blue_max) << self.blue_shift
    }

    /// The screen colour `0x00RRGGBB` of a client's pixel value (each primary scaled back to
    /// 0..=255): the inverse of [`PixelFormat::pixel`] for colours the format can show.
    pub fn rgb(&self, pixel: u32) -> u32 {
        let unscale = |shift: u8, max: u16| {
            let max = u32::from(max);
            ((pixel >> shift) & max) * 255 / max.max(1)
        };
        unscale(self.red_shift, self.red_max) << 16
            | unscale(self.green_shift, self.green_max) << 8
            | unscale(self.blue_shift, self.blue_max)
    }

    /// Appends a pixel value in this format's size and byte order.
    pub fn put(&self, pixel: u32, out: &mut Vec<u8>) {
        match (self.bits_per_pixel, self.big_endian) {
            (8, _) => out.push(pixel as u8),
            (16, false) => out.extend_from_slice(&(pixel as u16).to_le_bytes()),
            (16, true) => out.extend_from_slice(&(pixel as u16).to_be_bytes()),
            (_, false) => out.extend_from_slice(&pixel.to_le_bytes()),
            (_, true) => out.extend_from_slice(&pixel.to_be_bytes()),
        }
    }

    /// Appends a screen colour `0x00RRGGBB` as a pixel of this format.
    pub fn put_rgb(&self, rgb: u32, out: &mut Vec<u8>) {
        self.put(self.pixel(rgb), out);
    }

    /// The pixel value in the first [`PixelFormat::bytes_per_pixel`] bytes of `bytes`
    /// (shorter input reads as zeros).
    pub fn read(&self, bytes: &[u8]) -> u32 {
        let mut word = [0u8; 4];
        let n = self.bytes_per_pixel().min(bytes.len());
        word[..n].copy_from_slice(&bytes[..n]);
        match (self.bits_per_pixel, self.big_endian) {
            (8, _) => u32::from(word[0]),
            (16, false) => u32::from(u16::from_le_bytes([word[0], word[1]])),
            (16, true) => u32::from(u16::from_be_bytes([word[0], word[1]])),
            (_, false) => u32::from_le_bytes(word),
            (_, true) => u32::from_be_bytes(word),
        }
    }

    /// Whether a pixel fits in three bytes (ZRLE's CPIXEL, Tight's TPIXEL): 32 bits per
    /// pixel, depth at most 24, and every primary in the low three bytes or every primary in
    /// the high three.
    pub fn compact(&self) -> Option<Compact> {
        if self.bits_per_pixel != 32 || self.depth > 24 {
            return None;
        }
        let top = |max: u16, shift: u8| u32::from(shift) + (16 - max.leading_zeros());
        let primaries = [
            (self.red_max, self.red_shift),
            (self.green_max, self.green_shift),
            (self.blue_max, self.blue_shift),
        ];
        if primaries.iter().all(|&(m, s)| top(m, s) <= 24) {
            Some(Compact::Low)
        } else if primaries.iter().all(|&(_, s)| s >= 8) {
            Some(Compact::High)
        } else {
            None
        }
    }
}

/// Which three bytes of a 32-bit pixel carry its colour, when three do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compact {
    /// The low three bytes (bits 0..24).
    Low,
    /// The high three bytes (bits 8..32).
    High,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The test formats of the whole crate: 32-bit both ways round and with colour in the
    /// high bytes, 16-bit in both byte orders, 8-bit.
    fn formats() -> Vec<PixelFormat> {
        crate::tests::pixels::formats()
            .into_iter()
            .map(|(_, f)| f)
            .collect()
    }

    #[test]
    fn a_format_survives_its_bytes() {
        for format in formats() {
            assert_eq!(PixelFormat::parse(&format.to_bytes()), Ok(format));
        }
    }

    #[test]
    fn the_server_format_is_the_canvas_bytes() {
        let mut out = Vec::new();
        PixelFormat::SERVER.put_rgb(0x0012_3456, &mut out);
        assert_eq!(out, 0x0012_3456u32.to_le_bytes());
        assert_eq!(PixelFormat::SERVER.compact(), Some(Compact::Low));
    }

    #[test]
    fn primaries_at_their_extremes_come_back() {
        for format in formats() {
            for rgb in [0, 0x00ff_ffff, 0x00ff_0000, 0x0000_ff00, 0x0000_00ff] {
                let mut out = Vec::new();
                format.put_rgb(rgb, &mut out);
                assert_eq!(out.len(), format.bytes_per_pixel());
                assert_eq!(format.rgb(format.read(&out)), rgb, "{format:?} {rgb:06x}");
            }
        }
    }

    #[test]
    fn formats_the_server_does_not_serve_are_refused() {
        let mut bytes = PixelFormat::SERVER.to_bytes();
        bytes[3] = 0;
        assert!(PixelFormat::parse(&bytes).is_err(), "colour map");
        let mut bytes = PixelFormat::SERVER.to_bytes();
        bytes[0] = 24;
        assert!(PixelFormat::parse(&bytes).is_err(), "24 bits per pixel");
        let mut bytes = PixelFormat::SERVER.to_bytes();
        bytes[5] = 100;
        assert!(PixelFormat::parse(&bytes).is_err(), "a maximum of 100");
        let mut bytes = PixelFormat::rgb565().to_bytes();
        bytes[10] = 12;
        assert!(PixelFormat::parse(&bytes).is_err(), "red beyond 16 bits");
    }
}
