//! The cursor sent with the Cursor pseudo-encoding (RFC 6143 §7.8.1): netui's pointer is
//! always an arrow, so one picture, sent once.

use netui_protocol::Rect;

use crate::encoding;
use crate::message::write_rect_header;
use crate::pixel::PixelFormat;

/// The arrow: `X` black outline, `.` white fill, space transparent. Hotspot at its tip.
const ARROW: [&str; 19] = [
    "X           ",
    "XX          ",
    "X.X         ",
    "X..X        ",
    "X...X       ",
    "X....X      ",
    "X.....X     ",
    "X......X    ",
    "X.......X   ",
    "X........X  ",
    "X.........X ",
    "X......XXXXX",
    "X...X..X    ",
    "X..XX..X    ",
    "X.X  X..X   ",
    "XX   X..X   ",
    "X     X..X  ",
    "      X..X  ",
    "       XX   ",
];

/// Appends the arrow as a Cursor pseudo-rectangle: pixels in the client's format, then the
/// mask, one bit a pixel, rows padded to whole bytes.
pub(crate) fn write_arrow(format: &PixelFormat, out: &mut Vec<u8>) {
    let (w, h) = (ARROW[0].len(), ARROW.len());
    write_rect_header(out, Rect::new(0, 0, w as u32, h as u32), encoding::CURSOR);
    for line in ARROW {
        for c in line.bytes() {
            format.put_rgb(if c == b'.' { 0x00ff_ffff } else { 0 }, out);
        }
    }
    for line in ARROW {
        let mut mask = vec![0u8; w.div_ceil(8)];
        for (x, c) in line.bytes().enumerate() {
            if c != b' ' {
                mask[x / 8] |= 0x80 >> (x % 8);
            }
        }
        out.extend_from_slice(&mask);
    }
}
