//! Font metrics, so that an application lays out text without asking the server.
//!
//! The server sends the metrics of its two typefaces in the welcome: the advance of every
//! character from U+0020 to U+00FF and the vertical measures, in font units. Pixel measures
//! are computed here exactly as the server's renderer computes them (no kerning, each advance
//! rounded), so `text_width` on the client equals the width the server draws for those
//! characters; other characters are measured with the default advance.

use serde::{Deserialize, Serialize};

use crate::request::Font;

/// The largest font size drawn; larger sizes are drawn at this size.
pub const MAX_FONT_SIZE: u16 = 512;
/// The first character of the advance tables.
pub const FIRST_CHAR: u32 = 0x20;
/// The last character of the advance tables.
pub const LAST_CHAR: u32 = 0xff;

/// The measures of one typeface, in font units.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FontMetrics {
    /// Font units per em.
    pub units_per_em: u16,
    /// Height above the baseline.
    pub ascent: i16,
    /// Depth below the baseline (negative).
    pub descent: i16,
    /// Extra space between lines.
    pub line_gap: i16,
    /// Advances of U+0020..=U+00FF, in order.
    pub advances: Vec<u16>,
    /// The advance used for characters outside the table.
    pub default_advance: u16,
}

/// The vertical measures of a line of text, in whole pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LineMetrics {
    /// Pixels above the baseline, rounded up: the baseline is this far below the top of the
    /// line box.
    pub ascent: i32,
    /// Pixels below the baseline, rounded up (positive).
    pub descent: i32,
    /// Distance from one line's top to the next one's: at least `ascent + descent`.
    pub line_height: i32,
}

/// The size a request's font size is drawn at: `None` for 0, at most [`MAX_FONT_SIZE`].
pub fn drawn_size(size: u16) -> Option<u16> {
    (size > 0).then_some(size.min(MAX_FONT_SIZE))
}

impl FontMetrics {
    /// Pixels per font unit at `size` pixels per em, computed as the rasterizer does.
    fn scale(&self, size: u16) -> f32 {
        f32::from(size) / f32::from(self.units_per_em.max(1))
    }

    /// The advance of `c` in whole pixels at `size` (control characters advance nothing).
    pub fn advance(&self, c: char, size: u16) -> u32 {
        let Some(size) = drawn_size(size) else {
            return 0;
        };
        if c.is_control() {
            return 0;
        }
        let units = u32::from(c)
            .checked_sub(FIRST_CHAR)
            .and_then(|i| self.advances.get(i as usize))
            .copied()
            .unwrap_or(self.default_advance);
        (f32::from(units) * self.scale(size)).round().max(0.0) as u32
    }

    /// The width in pixels of a line of text at `size`.
    pub fn text_width(&self, text: &str, size: u16) -> u32 {
        text.chars()
            .map(|c| self.advance(c, size))
            .fold(0u32, u32::saturating_add)
    }

    /// Ascent, descent and line height in whole pixels at `size`.
    pub fn line_metrics(&self, size: u16) -> LineMetrics {
        let Some(size) = drawn_size(size) else {
            return LineMetrics::default();
        };
        let scale = self.scale(size);
        let ascent = f32::from(self.ascent) * scale;
        let descent = f32::from(self.descent) * scale;
        let gap = f32::from(self.line_gap) * scale;
        let up = ascent.ceil().max(0.0) as i32;
        let down = (-descent).ceil().max(0.0) as i32;
        LineMetrics {
            ascent: up,
            descent: down,
            line_height: ((ascent - descent + gap).ceil() as i32).max(up + down),
        }
    }
}

/// The metrics of both typefaces.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FontSet {
    /// DejaVu Sans.
    pub sans: FontMetrics,
    /// DejaVu Sans Mono.
    pub mono: FontMetrics,
}

impl FontSet {
    /// The metrics of one typeface.
    pub fn get(&self, font: Font) -> &FontMetrics {
        match font {
            Font::Sans => &self.sans,
            Font::Mono => &self.mono,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mono() -> FontMetrics {
        FontMetrics {
            units_per_em: 2048,
            ascent: 1901,
            descent: -483,
            line_gap: 0,
            advances: vec![1233; (LAST_CHAR - FIRST_CHAR + 1) as usize],
            default_advance: 1233,
        }
    }

    #[test]
    fn widths_add_rounded_advances() {
        let m = mono();
        // 1233 * 16 / 2048 = 9.63 -> 10 pixels a character.
        assert_eq!(m.advance('a', 16), 10);
        assert_eq!(m.text_width("abc", 16), 30);
        assert_eq!(m.text_width("a\nb", 16), 20);
        assert_eq!(m.text_width("ñ漢", 16), 20);
        assert_eq!(m.text_width("abc", 0), 0);
        assert_eq!(m.advance('a', u16::MAX), m.advance('a', MAX_FONT_SIZE));
    }

    #[test]
    fn line_metrics_round_up() {
        let l = mono().line_metrics(16);
        assert_eq!(
            l,
            LineMetrics {
                ascent: 15,
                descent: 4,
                line_height: 19
            }
        );
        assert_eq!(mono().line_metrics(0), LineMetrics::default());
    }
}
