//! Hextile encoding (5, RFC 6143 §7.7.4): 16x16 tiles, each raw or a background with
//! subrectangles of one foreground colour or of their own colours.
//!
//! The encoder reuses the previous tile's background and foreground where the spec allows
//! (never after a raw tile; the foreground not after a tile of coloured subrectangles, which
//! decoders overwrite it with), and sends a tile raw whenever that is smaller.

use std::io::Read;

use netui_protocol::Rect;
use netui_scene::render::Canvas;

use crate::client::ClientError;
use crate::encoding;
use crate::message::write_rect_header;
use crate::pixel::PixelFormat;
use crate::raw::{check_inside, load_tile, row_mut, tiles};
use crate::RfbError;

/// Subencoding bit: the tile is raw pixels.
pub const RAW: u8 = 1;
/// Subencoding bit: a background pixel follows.
pub const BACKGROUND_SPECIFIED: u8 = 2;
/// Subencoding bit: a foreground pixel follows.
pub const FOREGROUND_SPECIFIED: u8 = 4;
/// Subencoding bit: subrectangles follow.
pub const ANY_SUBRECTS: u8 = 8;
/// Subencoding bit: each subrectangle has its own colour.
pub const SUBRECTS_COLOURED: u8 = 16;

const TILE: u32 = 16;

/// The Hextile encoder; holds its scratch buffers between rectangles.
#[derive(Debug, Default)]
pub struct HextileEncoder {
    tile: Vec<u8>,
}

impl HextileEncoder {
    /// An encoder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends `rect` of `screen` (inside it) as one Hextile rectangle.
    pub fn encode(&mut self, screen: &Canvas, rect: Rect, format: &PixelFormat, out: &mut Vec<u8>) {
        write_rect_header(out, rect, encoding::HEXTILE);
        let bpp = format.bytes_per_pixel();
        let mut old_bg = None;
        let mut old_fg = None;
        let mut pixels = [0u32; 256];
        for tile in tiles(rect, TILE) {
            let (w, h) = (tile.width as usize, tile.height as usize);
            let px = load_tile(screen, tile, format, &mut pixels);
            self.tile.clear();
            let raw_size = 1 + w * h * bpp;
            if encode_tile(
                px,
                w,
                h,
                format,
                &mut old_bg,
                &mut old_fg,
                raw_size,
                &mut self.tile,
            ) {
                out.extend_from_slice(&self.tile);
            } else {
                out.push(RAW);
                for &p in px {
                    format.put(p, out);
                }
                old_bg = None;
                old_fg = None;
            }
        }
    }
}

/// Encodes one tile of client pixels with subrectangles into `buf`, unless that takes
/// `raw_size` bytes or more (then `false`, and the reused colours are left as they were).
#[allow(clippy::too_many_arguments)]
fn encode_tile(
    px: &[u32],
    w: usize,
    h: usize,
    format: &PixelFormat,
    old_bg: &mut Option<u32>,
    old_fg: &mut Option<u32>,
    raw_size: usize,
    buf: &mut Vec<u8>,
) -> bool {
    // The most frequent of the first 16 colours is the background.
    let mut colours = [(0u32, 0u16); 16];
    let mut distinct = 0;
    let mut many = false;
    for &p in px {
        match colours[..distinct].iter_mut().find(|(c, _)| *c == p) {
            Some((_, n)) => *n += 1,
            None if distinct < 16 => {
                colours[distinct] = (p, 1);
                distinct += 1;
            }
            None => many = true,
        }
    }
    let (bg, _) = colours[..distinct]
        .iter()
        .copied()
        .max_by_key(|&(_, n)| n)
        .unwrap_or_default();
    let mono = distinct == 2 && !many;
    let fg = if mono {
        colours[..2]
            .iter()
            .find(|(c, _)| *c != bg)
            .map_or(bg, |c| c.0)
    } else {
        bg
    };

    let mut sub = 0u8;
    buf.push(0);
    if *old_bg != Some(bg) {
        sub |= BACKGROUND_SPECIFIED;
        format.put(bg, buf);
    }
    if distinct == 1 {
        buf[0] = sub;
        *old_bg = Some(bg);
        return true;
    }
    sub |= ANY_SUBRECTS;
    if mono {
        if *old_fg != Some(fg) {
            sub |= FOREGROUND_SPECIFIED;
            format.put(fg, buf);
        }
    } else {
        sub |= SUBRECTS_COLOURED;
    }
    let count_at = buf.len();
    buf.push(0);
    let mut count = 0usize;
    // One bit per pixel already in a subrectangle.
    let mut covered = [0u16; 16];
    for y in 0..h {
        for x in 0..w {
            let c = px[y * w + x];
            if c == bg || covered[y] & (1 << x) != 0 {
                continue;
            }
            let same = |xx: usize, yy: usize| px[yy * w + xx] == c && covered[yy] & (1 << xx) == 0;
            let mut sw = 1;
            while x + sw < w && same(x + sw, y) {
                sw += 1;
            }
            let mut sh = 1;
            while y + sh < h && (x..x + sw).all(|xx| same(xx, y + sh)) {
                sh += 1;
            }
            let mask = (((1u32 << sw) - 1) << x) as u16;
            for m in &mut covered[y..y + sh] {
                *m |= mask;
            }
            if !mono {
                format.put(c, buf);
            }
            buf.push((x as u8) << 4 | y as u8);
            buf.push(((sw - 1) as u8) << 4 | (sh - 1) as u8);
            count += 1;
            if buf.len() >= raw_size || count > 255 {
                return false;
            }
        }
    }
    buf[count_at] = count as u8;
    buf[0] = sub;
    *old_bg = Some(bg);
    *old_fg = if mono { Some(fg) } else { None };
    true
}

/// Reads a Hextile rectangle into `canvas`. Every subrectangle must lie in its tile, and
/// a tile must have a background; all memory used is one tile's.
pub fn decode(
    input: &mut impl Read,
    rect: Rect,
    format: &PixelFormat,
    canvas: &mut Canvas,
) -> Result<(), ClientError> {
    check_inside(rect, canvas)?;
    let bpp = format.bytes_per_pixel();
    let read_pixel = |input: &mut dyn Read| -> Result<u32, ClientError> {
        let mut b = [0u8; 4];
        input.read_exact(&mut b[..bpp])?;
        Ok(format.rgb(format.read(&b[..bpp])))
    };
    let mut bg = None;
    let mut fg = None;
    let mut raw = [0u8; 16 * 16 * 4];
    for tile in tiles(rect, TILE) {
        let mut sub = [0u8];
        input.read_exact(&mut sub)?;
        let sub = sub[0];
        if sub & RAW != 0 {
            let bytes = &mut raw[..tile.size().area() as usize * bpp];
            input.read_exact(bytes)?;
            let mut chunks = bytes.chunks_exact(bpp);
            for y in 0..tile.height {
                for (p, b) in row_mut(canvas, tile, y).iter_mut().zip(&mut chunks) {
                    *p = format.rgb(format.read(b));
                }
            }
            continue;
        }
        if sub & BACKGROUND_SPECIFIED != 0 {
            bg = Some(read_pixel(input)?);
        }
        let background = bg.ok_or(RfbError::Hextile("a tile without a background"))?;
        fill(canvas, tile, background);
        if sub & FOREGROUND_SPECIFIED != 0 {
            fg = Some(read_pixel(input)?);
        }
        if sub & ANY_SUBRECTS == 0 {
            continue;
        }
        let mut count = [0u8];
        input.read_exact(&mut count)?;
        for _ in 0..count[0] {
            let colour = if sub & SUBRECTS_COLOURED != 0 {
                // Decoders keep a coloured subrectangle's colour as the foreground.
                let c = read_pixel(input)?;
                fg = Some(c);
                c
            } else {
                fg.ok_or(RfbError::Hextile("subrectangles without a foreground"))?
            };
            let mut geometry = [0u8; 2];
            input.read_exact(&mut geometry)?;
            let [xy, wh] = geometry;
            let (x, y) = (u32::from(xy >> 4), u32::from(xy & 15));
            let (w, h) = (u32::from(wh >> 4) + 1, u32::from(wh & 15) + 1);
            if x + w > tile.width || y + h > tile.height {
                return Err(RfbError::Hextile("a subrectangle outside its tile").into());
            }
            let r = Rect::new(tile.x + x as i32, tile.y + y as i32, w, h);
            fill(canvas, r, colour);
        }
    }
    Ok(())
}

/// Fills `rect` (inside the canvas) with a screen colour.
pub(crate) fn fill(canvas: &mut Canvas, rect: Rect, rgb: u32) {
    for y in 0..rect.height {
        row_mut(canvas, rect, y).fill(rgb);
    }
}
