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
