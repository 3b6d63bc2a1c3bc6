//! The client's side: Tight rectangles into a canvas. It trusts nothing: every length,
//! index and size is checked, and what it allocates is bounded by the rectangle's size.

use std::io::Read;

use flate2::{Decompress, FlushDecompress, Status};
use netui_protocol::Rect;
use netui_scene::render::Canvas;
use zune_jpeg::zune_core::bytestream::ZCursor;
use zune_jpeg::zune_core::colorspace::ColorSpace;
use zune_jpeg::zune_core::options::DecoderOptions;
use zune_jpeg::JpegDecoder;

use super::{
    is_888, tpixel_size, PixelFormat, TightError, EXPLICIT_FILTER, FILL, FILTER_COPY,
    FILTER_GRADIENT, FILTER_PALETTE, JPEG, MAX_COMPACT, MAX_WIDTH, MIN_TO_COMPRESS, PNG,
};

/// The client's side of Tight for one connection: the four zlib inflate streams, which live
/// as long as the connection, and buffers reused from one rectangle to the next.
pub struct TightDecoder {
    /// Made when first used: most connections use one or two, and each holds 40 KiB.
    streams: [Option<Decompress>; 4],
    /// Compressed bytes, JPEG bytes, and the rectangle's filtered data.
    input: Vec<u8>,
    data: Vec<u8>,
    /// The previous row's primaries, for the gradient filter.
    row: Vec<[u16; 3]>,
}

impl Default for TightDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for TightDecoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TightDecoder").finish_non_exhaustive()
    }
}

/// The rectangle's place in the canvas, checked.
#[derive(Clone, Copy)]
struct Place {
    x: usize,
    y: usize,
    w: usize,
    h: usize,
    stride: usize,
}

impl Place {
    /// The canvas's row `row` of the rectangle.
    fn row(self, pixels: &mut [u32], row: usize) -> &mut [u32] {
        let start = (self.y + row) * self.stride + self.x;
        &mut pixels[start..start + self.w]
    }
}

impl TightDecoder {
    /// A decoder for a new connection.
    pub fn new() -> Self {
        TightDecoder {
            streams: Default::default(),
            input: Vec::new(),
            data: Vec::new(),
            row: Vec::new(),
        }
    }

    /// Reads one Tight rectangle's data (what follows its header) from `input` and draws it
    /// into `canvas` at `rect`, in `format` (the pixel format the client asked for; the
    /// canvas gets each pixel's colour as `format` shows it).
    ///
    /// On an error the canvas may have been partly drawn, and the connection's zlib streams
    /// are no longer in step with the server's: the connection should be closed.
    pub fn decode(
        &mut self,
        input: &mut impl Read,
        rect: Rect,
        format: &PixelFormat,
        canvas: &mut Canvas,
    ) -> Result<(), TightError> {
        PixelFormat::parse(&format.to_bytes())?;
        let inside = rect.x >= 0
            && rect.y >= 0
            && i64::from(rect.x) + i64::from(rect.width) <= i64::from(canvas.width())
            && i64::from(rect.y) + i64::from(rect.height) <= i64::from(canvas.height());
        if !inside {
            return Err(TightError::OutsideCanvas {
                x: rect.x,
                y: rect.y,
                width: rect.width,
                height: rect.height,
                canvas_width: canvas.width(),
                canvas_height: canvas.height(),
            });
        }
        let place = Place {
            x: rect.x as usize,
            y: rect.y as usize,
            w: rect.width as usize,
            h: rect.height as usize,
            stride: canvas.width() as usize,
        };
        let rgb888 = is_888(format);
        let pixels = canvas.pixels_mut();

        let control = read_u8(input)?;
        for (i, stream) in self.streams.iter_mut().enumerate() {
            if control & (1 << i) != 0 {
                // A stream not made yet is as good as reset.
                if let Some(stream) = stream {
                    stream.reset(true);
                }
            }
        }
        let kind = control >> 4;
        match kind {
            FILL => {
                // TigerVNC servers before 1.16 sent fills wider than 2048, so they pass.
                let colour = read_tpixel(input, format, rgb888)?;
                for row in 0..place.h {
                    place.row(pixels, row).fill(colour);
                }
                return Ok(());
            }
            JPEG => {}
            PNG => return Err(TightError::Png),
            k if k > PNG => return Err(TightError::BadCompression(control)),
            _ => {}
        }
        if rect.width > MAX_WIDTH {
            return Err(TightError::TooWide(rect.width));
        }
        if kind == JPEG {
            return self.jpeg(input, place, format, rgb888, pixels);
        }

        // Basic: the filter, then the data.
        let stream = usize::from(kind & 0x3);
        let filter = if kind & EXPLICIT_FILTER != 0 {
            read_u8(input)?
        } else {
            FILTER_COPY
        };
        let mut palette = [0u32; 256];
        let mut colours = 0;
        match filter {
            FILTER_COPY | FILTER_GRADIENT => {}
            FILTER_PALETTE => {
                colours = usize::from(read_u8(input)?) + 1;
                for entry in &mut palette[..colours] {
                    *entry = read_tpixel(input, format, rgb888)?;
                }
            }
            other => return Err(TightError::BadFilter(other)),
        }
        let row_bytes = match colours {
            0 => place.w * tpixel_size(format, rgb888),
            1 | 2 => place.w.div_ceil(8),
            _ => place.w,
        };
        let size = row_bytes * place.h;
        self.read_data(input, stream, size)?;

        let data = &self.data[..];
        match (colours, filter) {
            (1 | 2, _) => {
                for row in 0..place.h {
                    let bits = &data[row * row_bytes..(row + 1) * row_bytes];
                    for (x, out) in place.row(pixels, row).iter_mut().enumerate() {
                        let index = (bits[x / 8] >> (7 - x % 8)) & 1;
                        *out = entry(&palette, colours, index)?;
                    }
                }
            }
            (0, FILTER_GRADIENT) => {
                gradient(data, place, format, rgb888, &mut self.row, pixels);
            }
            (0, _) => {
                let size = tpixel_size(format, rgb888);
                for row in 0..place.h {
                    let bytes = &data[row * row_bytes..(row + 1) * row_bytes];
                    for (out, px) in place.row(pixels, row).iter_mut().zip(bytes.chunks(size)) {
                        *out = tpixel(px, format, rgb888);
                    }
                }
            }
            _ => {
                for row in 0..place.h {
                    let indices = &data[row * row_bytes..(row + 1) * row_bytes];
                    for (out, &index) in place.row(pixels, row).iter_mut().zip(indices) {
                        *out = entry(&palette, colours, index)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Reads `size` bytes of filtered data into `self.data`: as they are when short, else
    /// through zlib stream `stream`.
    fn read_data(
        &mut self,
        input: &mut impl Read,
        stream: usize,
        size: usize,
    ) -> Result<(), TightError> {
        self.data.clear();
        self.data.resize(size, 0);
        if size < MIN_TO_COMPRESS {
            input.read_exact(&mut self.data)?;
            return Ok(());
        }
        // zlib never grows data by more than 5 bytes a 16 KiB block, and a flush adds few.
        let limit = (size + size / 16 + 1024).min(MAX_COMPACT);
        let len = read_compact(input)?;
        if len > limit {
            return Err(TightError::LengthPastLimit { len, limit });
        }
        self.input.clear();
        self.input.resize(len, 0);
        input.read_exact(&mut self.input)?;
        let zlib = self.streams[stream].get_or_insert_with(|| Decompress::new(true));
        inflate(zlib, stream, &self.input, &mut self.data)
    }

    /// Reads a JPEG rectangle and draws it.
    fn jpeg(
        &mut self,
        input: &mut impl Read,
        place: Place,
        format: &PixelFormat,
        rgb888: bool,
        pixels: &mut [u32],
    ) -> Result<(), TightError> {
        // Even at quality 100 without subsampling a JPEG needs well under 16 bytes a pixel,
        // and its tables about 600 bytes.
        let limit = (place.w * place.h * 16 + 16 * 1024).min(MAX_COMPACT);
        let len = read_compact(input)?;
        if len > limit {
            return Err(TightError::LengthPastLimit { len, limit });
        }
        self.input.clear();
        self.input.resize(len, 0);
        input.read_exact(&mut self.input)?;
        let wrong_size = |got_width, got_height| TightError::JpegSize {
            width: place.w as u32,
            height: place.h as u32,
            got_width,
            got_height,
        };
        if place.w == 0 || place.h == 0 {
            return Err(wrong_size(0, 0));
        }
        // Its size is capped at the rectangle's, so that the decoder allocates no more.
        let options = DecoderOptions::default()
            .set_max_width(place.w)
            .set_max_height(place.h)
            .jpeg_set_out_colorspace(ColorSpace::RGB);
        let mut jpeg = JpegDecoder::new_with_options(ZCursor::new(&self.input[..]), options);
        jpeg.decode_headers()
            .map_err(|e| TightError::Jpeg(e.to_string()))?;
        let (w, h) = jpeg.dimensions().unwrap_or((0, 0));
        if (w, h) != (place.w, place.h) {
            return Err(wrong_size(w, h));
        }
        self.data.clear();
        self.data.resize(w * h * 3, 0);
        jpeg.decode_into(&mut self.data)
            .map_err(|e| TightError::Jpeg(e.to_string()))?;
        for row in 0..place.h {
            let rgb = &self.data[row * w * 3..(row + 1) * w * 3];
            for (out, px) in place.row(pixels, row).iter_mut().zip(rgb.chunks_exact(3)) {
                let colour = u32::from(px[0]) << 16 | u32::from(px[1]) << 8 | u32::from(px[2]);
                // What a client in this format would show.
                *out = if rgb888 {
                    colour
                } else {
                    format.rgb(format.pixel(colour))
                };
            }
        }
        Ok(())
    }
}

/// Inflates all of `input` on `z` into exactly `out`.
fn inflate(
    z: &mut Decompress,
    stream: usize,
    input: &[u8],
    out: &mut [u8],
) -> Result<(), TightError> {
    let zlib = |e: flate2::DecompressError| TightError::Zlib {
        stream,
        message: e.to_string(),
    };
    let (mut read, mut written) = (0, 0);
    while written < out.len() {
        let (in_before, out_before) = (z.total_in(), z.total_out());
        let status = z
            .decompress(&input[read..], &mut out[written..], FlushDecompress::Sync)
            .map_err(zlib)?;
        read += (z.total_in() - in_before) as usize;
        written += (z.total_out() - out_before) as usize;
        let stuck = z.total_in() == in_before && z.total_out() == out_before;
        if written < out.len() && (stuck || status == Status::StreamEnd) {
            return Err(TightError::ZlibShort {
                stream,
                expected: out.len(),
                got: written,
            });
        }
    }
    // The rest of the input (the sync flush's empty block) must give nothing more.
    let mut spill = [0u8; 64];
    while read < input.len() {
        let (in_before, out_before) = (z.total_in(), z.total_out());
        z.decompress(&input[read..], &mut spill, FlushDecompress::Sync)
            .map_err(zlib)?;
        read += (z.total_in() - in_before) as usize;
        if z.total_out() != out_before {
            return Err(TightError::ZlibOverflow {
                stream,
                expected: out.len(),
            });
        }
        if z.total_in() == in_before {
            break;
        }
    }
    // Output the inflater kept back would come out on the next rectangle: too much here.
    let out_before = z.total_out();
    z.decompress(&[], &mut spill, FlushDecompress::Sync)
        .map_err(zlib)?;
    if z.total_out() != out_before {
        return Err(TightError::ZlibOverflow {
            stream,
            expected: out.len(),
        });
    }
    Ok(())
}

/// The gradient filter, undone: each primary is its residual plus the estimate
/// `left + up - upper-left`, clamped to the primary's range, modulo that range; neighbours
/// outside the rectangle are 0. TPIXELs of R, G, B work on bytes; other formats on each
/// primary's own bits of the pixel value (as libvncclient does).
fn gradient(
    data: &[u8],
    place: Place,
    format: &PixelFormat,
    rgb888: bool,
    row: &mut Vec<[u16; 3]>,
    pixels: &mut [u32],
) {
    let size = tpixel_size(format, rgb888);
    let (maxes, shifts) = if rgb888 {
        ([255u16; 3], [16u8, 8, 0])
    } else {
        (
            [format.red_max, format.green_max, format.blue_max],
            [format.red_shift, format.green_shift, format.blue_shift],
        )
    };
    // `row` holds the row above (zeros above the first); it becomes this row as it goes.
    row.clear();
    row.resize(place.w, [0; 3]);
    for y in 0..place.h {
        let bytes = &data[y * place.w * size..(y + 1) * place.w * size];
        let mut left = [0u16; 3];
        let mut corner = [0u16; 3];
        let out = place.row(pixels, y);
        for (x, px) in bytes.chunks_exact(size).enumerate() {
            let residual = if rgb888 {
                [u16::from(px[0]), u16::from(px[1]), u16::from(px[2])]
            } else {
                let v = format.read(px);
                std::array::from_fn(|c| ((v >> shifts[c]) & u32::from(maxes[c])) as u16)
            };
            let up = row[x];
            let mut value = [0u16; 3];
            for c in 0..3 {
                let estimate = (i32::from(left[c]) + i32::from(up[c]) - i32::from(corner[c]))
                    .clamp(0, i32::from(maxes[c])) as u16;
                value[c] = residual[c].wrapping_add(estimate) & maxes[c];
            }
            out[x] = if rgb888 {
                u32::from(value[0]) << 16 | u32::from(value[1]) << 8 | u32::from(value[2])
            } else {
                let pixel = (0..3).fold(0, |p, c| p | u32::from(value[c]) << shifts[c]);
                format.rgb(pixel)
            };
            corner = up;
            left = value;
            row[x] = value;
        }
    }
}

/// A palette entry, checked.
fn entry(palette: &[u32; 256], colours: usize, index: u8) -> Result<u32, TightError> {
    if usize::from(index) < colours {
        Ok(palette[usize::from(index)])
    } else {
        Err(TightError::PaletteIndex {
            index,
            size: colours,
        })
    }
}

/// The colour `0x00RRGGBB` of a TPIXEL's bytes.
fn tpixel(bytes: &[u8], format: &PixelFormat, rgb888: bool) -> u32 {
    if rgb888 {
        u32::from(bytes[0]) << 16 | u32::from(bytes[1]) << 8 | u32::from(bytes[2])
    } else {
        format.rgb(format.read(bytes))
    }
}

fn read_tpixel(
    input: &mut impl Read,
    format: &PixelFormat,
    rgb888: bool,
) -> Result<u32, TightError> {
    let mut bytes = [0u8; 4];
    let bytes = &mut bytes[..tpixel_size(format, rgb888)];
    input.read_exact(bytes)?;
    Ok(tpixel(bytes, format, rgb888))
}

fn read_u8(input: &mut impl Read) -> Result<u8, TightError> {
    let mut byte = [0u8];
    input.read_exact(&mut byte)?;
    Ok(byte[0])
}

/// A compact length: 7 bits, 7 more if the first byte's top bit is set, 8 more if the
/// second's is.
fn read_compact(input: &mut impl Read) -> Result<usize, TightError> {
    let b = read_u8(input)?;
    let mut len = usize::from(b & 0x7f);
    if b & 0x80 != 0 {
        let b = read_u8(input)?;
        len |= usize::from(b & 0x7f) << 7;
        if b & 0x80 != 0 {
            len |= usize::from(read_u8(input)?) << 14;
        }
    }
    Ok(len)
}
