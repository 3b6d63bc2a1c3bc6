//! Raw encoding (0): the pixels of a rectangle, row by row, in the client's format. Also the
//! row and pixel helpers the other encodings share.

use std::io::Read;

use netui_protocol::Rect;
use netui_scene::render::Canvas;

use crate::client::ClientError;
use crate::encoding;
use crate::message::write_rect_header;
use crate::pixel::PixelFormat;
use crate::RfbError;

/// Appends `rect` of `screen` (which the caller keeps inside the screen) as a Raw rectangle.
pub fn encode(screen: &Canvas, rect: Rect, format: &PixelFormat, out: &mut Vec<u8>) {
    write_rect_header(out, rect, encoding::RAW);
    out.reserve(rect.size().area() as usize * format.bytes_per_pixel());
    for y in 0..rect.height {
        put_pixels(format, row(screen, rect, y), out);
    }
}

/// Reads a Raw rectangle's pixels into `canvas`, a row at a time (so the memory used is one
/// row's, whatever the rectangle says).
pub fn decode(
    input: &mut impl Read,
    rect: Rect,
    format: &PixelFormat,
    canvas: &mut Canvas,
) -> Result<(), ClientError> {
    check_inside(rect, canvas)?;
    let bpp = format.bytes_per_pixel();
    let mut bytes = vec![0; rect.width as usize * bpp];
    for y in 0..rect.height {
        input.read_exact(&mut bytes)?;
        let target = row_mut(canvas, rect, y);
        for (p, b) in target.iter_mut().zip(bytes.chunks_exact(bpp)) {
            *p = format.rgb(format.read(b));
        }
    }
    Ok(())
}

/// An error unless `rect` lies inside the canvas.
pub(crate) fn check_inside(rect: Rect, canvas: &Canvas) -> Result<(), RfbError> {
    if canvas.bounds().contains_rect(rect) {
        Ok(())
    } else {
        Err(RfbError::OutsideFramebuffer {
            rect,
            size: canvas.size(),
        })
    }
}

/// Row `y` (counted from the rectangle's top) of `rect` in `canvas`; empty where the
/// rectangle leaves the canvas (callers check first; this keeps a mistake from panicking).
pub(crate) fn row(canvas: &Canvas, rect: Rect, y: u32) -> &[u32] {
    let (start, end) = span(canvas, rect, y);
    canvas.pixels().get(start..end).unwrap_or_default()
}

/// Row `y` of `rect` in `canvas`, to write (empty where the rectangle leaves the canvas).
pub(crate) fn row_mut(canvas: &mut Canvas, rect: Rect, y: u32) -> &mut [u32] {
    let (start, end) = span(canvas, rect, y);
    canvas.pixels_mut().get_mut(start..end).unwrap_or_default()
}

/// The tiles of `rect`, `side` pixels square (narrower and shorter at its right and bottom),
/// row by row: how Hextile (16) and ZRLE (64) cut a rectangle.
pub(crate) fn tiles(rect: Rect, side: u32) -> impl Iterator<Item = Rect> {
    (0..rect.height).step_by(side as usize).flat_map(move |ty| {
        (0..rect.width).step_by(side as usize).map(move |tx| {
            Rect::new(
                rect.x + tx as i32,
                rect.y + ty as i32,
                side.min(rect.width - tx),
                side.min(rect.height - ty),
            )
        })
    })
}

/// Loads `tile` of `screen` into `pixels` (row after row, the tile's width apart) as pixel
/// values of `format`, and returns them.
pub(crate) fn load_tile<'a>(
    screen: &Canvas,
    tile: Rect,
    format: &PixelFormat,
    pixels: &'a mut [u32],
) -> &'a [u32] {
    let server = *format == PixelFormat::SERVER;
    let (w, h) = (tile.width as usize, tile.height as usize);
    for y in 0..h {
        let src = row(screen, tile, y as u32);
        for (d, &s) in pixels[y * w..(y + 1) * w].iter_mut().zip(src) {
            *d = if server { s } else { format.pixel(s) };
        }
    }
    &pixels[..w * h]
}

fn span(canvas: &Canvas, rect: Rect, y: u32) -> (usize, usize) {
    if rect.x < 0 || rect.y < 0 || !canvas.bounds().contains_rect(rect) || y >= rect.height {
        return (0, 0);
    }
    let start = (rect.y as usize + y as usize) * canvas.width() as usize + rect.x as usize;
    (start, start + rect.width as usize)
}

/// Appends screen pixels `0x00RRGGBB` in the client's format, with a fast path for the
/// server's own format. Writes into the grown vector in place (no per-pixel push).
pub(crate) fn put_pixels(format: &PixelFormat, pixels: &[u32], out: &mut Vec<u8>) {
    let bpp = format.bytes_per_pixel();
    let start = out.len();
    out.resize(start + pixels.len() * bpp, 0);
    let target = out[start..].chunks_exact_mut(bpp).zip(pixels);
    if *format == PixelFormat::SERVER {
        for (d, p) in target {
            d.copy_from_slice(&p.to_le_bytes());
        }
        return;
    }
    match (bpp, format.big_endian) {
        (1, _) => target.for_each(|(d, &p)| d[0] = format.pixel(p) as u8),
        (2, false) => {
            target.for_each(|(d, &p)| d.copy_from_slice(&(format.pixel(p) as u16).to_le_bytes()))
        }
        (2, true) => {
            target.for_each(|(d, &p)| d.copy_from_slice(&(format.pixel(p) as u16).to_be_bytes()))
        }
        (_, false) => target.for_each(|(d, &p)| d.copy_from_slice(&format.pixel(p).to_le_bytes())),
        (_, true) => target.for_each(|(d, &p)| d.copy_from_slice(&format.pixel(p).to_be_bytes())),
    }
}
