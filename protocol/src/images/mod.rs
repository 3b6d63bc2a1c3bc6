//! Images on the wire: the compressed formats of `PutImage` ([`ImageFormat::Rgb8Gradient`],
//! [`ImageFormat::Rgb8Zstd`], [`ImageFormat::Rgba8Zstd`]), made by [`compress`] and expanded
//! by [`expand`].
//!
//! Opaque images go as [`ImageFormat::Rgb8Gradient`]: each pixel predicted from its
//! neighbours and the errors range-coded under contexts ([`crate::gradient`], the coder of
//! `px-tiles`' photographic tiles). The two photographs that `imageview` ships come out
//! about a third smaller than in [`ImageFormat::Rgb8Zstd`] (`images/` in
//! `bench/benches/encoding.rs`; BENCHMARKS.md), which is each byte minus the same byte of the
//! pixel to its left (PNG's "Sub" filter) in one Zstandard frame: 6.5 and 8.7 times smaller
//! than the raw pixels, 35-39% smaller than PNG. Images with alpha go in
//! [`ImageFormat::Rgba8Zstd`], filtered and compressed alike.
//!
//! Command-mode viewers receive every image of [`PACK_MIN`] bytes or more compressed
//! ([`packed`]), an opaque one larger than [`GRADIENT_MAX_PIXELS`] in strips of rows
//! ([`strips`]): the scene's journal and its snapshots pack them, so that the cost a viewer
//! is told of and the bytes it receives agree. [`CodedImages`] keeps the images coded lately,
//! so that one drawn again is not coded again. Applications through app-lib send them
//! compressed over the network too (on a connection whose frames are compressed; on a local
//! socket, where the bytes only cross memory, compressing costs more than copying them).

use std::borrow::Cow;
use std::ops::Range;

pub use cache::{CodedImage, CodedImages, SharedImages};

use crate::gradient::{self, Model, RangeDecoder, RangeEncoder};
use crate::{ImageFormat, Rect, Request, Size};

mod cache;

/// Raw image bytes from which [`packed`] compresses an image: below this, the connection's
/// own compression does about as well.
pub const PACK_MIN: usize = 4096;

/// The most pixels of one [`ImageFormat::Rgb8Gradient`] image: as many as 512x512, which
/// take 10 to 15 ms to code or to expand here (40 to 55 ns a pixel: `images/` in the encoding
/// bench). A larger
/// opaque image goes as several, a strip of rows each ([`strips`]), each in a request of its
/// own, so that a display server serves its other clients between them.
pub const GRADIENT_MAX_PIXELS: u64 = 1 << 18;

/// The widest block of an [`ImageFormat::Rgb8Gradient`] image, in pixels.
pub const BLOCK: u32 = 256;
/// The rows of a block of an [`ImageFormat::Rgb8Gradient`] image (the last row of blocks
/// may have fewer): a stream that ends too soon is refused after a block, not after the
/// whole image.
pub const BLOCK_ROWS: u32 = 64;
/// The coder's row buffers for a block: its width and a column on either side.
const BLOCK_ROW: usize = BLOCK as usize + 2;

/// The Zstandard level: 3 (its default) compresses a 640x480 photograph in about 2 ms here;
/// level 1 saves little time for 2-3% more bytes, level 6 takes four times as long for
/// 10-15% fewer.
const LEVEL: i32 = 3;

/// Why compressed image data was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageError {
    /// The image would expand beyond what one frame could carry raw.
    #[error(
        "a compressed image of {width}x{height} expands to {bytes} bytes, more than the {max} \
         a raw one may have"
    )]
    TooLarge {
        /// The image's width.
        width: u32,
        /// The image's height.
        height: u32,
        /// Its raw size.
        bytes: u64,
        /// The most allowed.
        max: usize,
    },
    /// A gradient-coded image with more pixels than one may have.
    #[error(
        "a gradient-coded image of {width}x{height} has more than the {max} pixels one may \
         have"
    )]
    TooManyPixels {
        /// The image's width.
        width: u32,
        /// The image's height.
        height: u32,
        /// The most allowed ([`GRADIENT_MAX_PIXELS`]).
        max: u64,
    },
    /// The data is not what its format says: a Zstandard frame that expands to exactly the
    /// image's bytes, or a gradient-coded stream of exactly the image's pixels.
    #[error(
        "compressed image data of {width}x{height} is not {format:?} of {expected} bytes: {why}"
    )]
    Corrupt {
        /// The format the data should be in.
        format: ImageFormat,
        /// The image's width.
        width: u32,
        /// The image's height.
        height: u32,
        /// The raw size the image needs.
        expected: usize,
        /// What was wrong.
        why: String,
    },
}

/// `request` as command-mode viewers receive it: a raw `PutImage` of [`PACK_MIN`] bytes or
/// more compressed (each of its [`strips`] when that makes it smaller), anything else as it
/// is.
pub fn packed(request: &Request) -> Vec<Cow<'_, Request>> {
    packed_with(request, |format, size, raw| pack(format, size.width, raw))
}

/// [`packed`], each strip's raw pixels (`format`, `size`) compressed by `pack`.
fn packed_with<'a>(
    request: &'a Request,
    pack: impl FnMut(ImageFormat, Size, &[u8]) -> Option<(ImageFormat, Vec<u8>)>,
) -> Vec<Cow<'a, Request>> {
    let Request::PutImage {
        target,
        rect,
        format,
        data,
    } = request
    else {
        return vec![Cow::Borrowed(request)];
    };
    let whole = rect.size().area() * format.bytes_per_pixel() as u64;
    if format.is_compressed() || data.len() < PACK_MIN || data.len() as u64 != whole {
        return vec![Cow::Borrowed(request)];
    }
    packed_strips(*format, *rect, data, pack)
        .into_iter()
        .map(|(strip, format, data)| {
            Cow::Owned(Request::PutImage {
                target: *target,
                rect: strip,
                format,
                data: data.into_owned(),
            })
        })
        .collect()
}

/// The parts in which command mode sends a raw image at `rect` in `format`, `data` holding
/// all its rows: each of its [`strips`] with its format and bytes, compressed by `pack` when
/// that makes it smaller, else raw (borrowed from `data`).
pub fn packed_strips<'a>(
    format: ImageFormat,
    rect: Rect,
    data: &'a [u8],
    mut pack: impl FnMut(ImageFormat, Size, &[u8]) -> Option<(ImageFormat, Vec<u8>)>,
) -> Vec<(Rect, ImageFormat, Cow<'a, [u8]>)> {
    strips(format, rect)
        .filter_map(|(strip, bytes)| {
            let raw = data.get(bytes)?;
            Some(match pack(format, strip.size(), raw) {
                Some((packed, bytes)) => (strip, packed, Cow::Owned(bytes)),
                None => (strip, format, Cow::Borrowed(raw)),
            })
        })
        .collect()
}

/// The strips in which a raw image at `rect` in `format` is compressed, each as its
/// rectangle and the range of its bytes: the whole image when it has alpha, or when it is
/// wider than [`GRADIENT_MAX_PIXELS`] (it goes in Zstandard); else strips of as many rows as
/// [`GRADIENT_MAX_PIXELS`] allows.
pub fn strips(format: ImageFormat, rect: Rect) -> impl Iterator<Item = (Rect, Range<usize>)> {
    let row = rect.width as usize * format.bytes_per_pixel();
    let rows = match u64::from(rect.width) {
        width @ 1..=GRADIENT_MAX_PIXELS if format.compressed() == ImageFormat::Rgb8Gradient => {
            (GRADIENT_MAX_PIXELS / width) as u32
        }
        _ => rect.height.max(1),
    };
    (0..rect.height.div_ceil(rows)).map(move |i| {
        let top = i * rows;
        let height = rows.min(rect.height - top);
        let strip = Rect::new(
            rect.x,
            rect.y.saturating_add(top as i32),
            rect.width,
            height,
        );
        let start = top as usize * row;
        (strip, start..start + height as usize * row)
    })
}

/// Raw pixels (`format` uncompressed, rows of `width` pixels) compressed, and their format
/// (`format.compressed()`, but [`ImageFormat::Rgb8Zstd`] for an opaque image of more than
/// [`GRADIENT_MAX_PIXELS`]: see [`strips`]), when that is worth it: they are [`PACK_MIN`]
/// bytes or more, and come out smaller.
pub fn pack(format: ImageFormat, width: u32, data: &[u8]) -> Option<(ImageFormat, Vec<u8>)> {
    if format.is_compressed() || data.len() < PACK_MIN {
        return None;
    }
    let mut into = format.compressed();
    let pixels = (data.len() / format.bytes_per_pixel()) as u64;
    if into == ImageFormat::Rgb8Gradient && pixels > GRADIENT_MAX_PIXELS {
        into = ImageFormat::Rgb8Zstd;
    }
    let compressed = compress(into, width, data);
    // Empty: Zstandard failed (a frame has a header).
    (!compressed.is_empty() && compressed.len() < data.len()).then_some((into, compressed))
}

/// Compresses raw pixels (whole rows of `width` pixels of `into.pixels()`) into the data of
/// `into`, a compressed format; empty if Zstandard failed.
pub fn compress(into: ImageFormat, width: u32, data: &[u8]) -> Vec<u8> {
    match into {
        ImageFormat::Rgb8Gradient => compress_gradient(width, data),
        _ => compress_zstd(into.bytes_per_pixel(), width, data),
    }
}

/// [`ImageFormat::Rgb8Zstd`] or [`ImageFormat::Rgba8Zstd`], of pixels of `bpp` bytes.
fn compress_zstd(bpp: usize, width: u32, data: &[u8]) -> Vec<u8> {
    let stride = (width as usize * bpp).max(1);
    let mut filtered = vec![0; data.len()];
    for (row, out) in data.chunks(stride).zip(filtered.chunks_mut(stride)) {
        let first = bpp.min(row.len());
        out[..first].copy_from_slice(&row[..first]);
        for ((o, &now), &left) in out[first..].iter_mut().zip(&row[first..]).zip(row) {
            *o = now.wrapping_sub(left);
        }
    }
    // Compressing a buffer in memory fails only when Zstandard cannot allocate its context;
    // then nothing comes out, which no frame is.
    COMPRESSOR.with(|c| match &mut *c.borrow_mut() {
        Some(c) => c.compress(&filtered).unwrap_or_default(),
        None => Vec::new(),
    })
}

/// The blocks of an [`ImageFormat::Rgb8Gradient`] image of `size`, in their order.
fn blocks(size: Size) -> impl Iterator<Item = Rect> {
    (0..size.height.div_ceil(BLOCK_ROWS)).flat_map(move |by| {
        (0..size.width.div_ceil(BLOCK)).map(move |bx| {
            let (x, y) = (bx * BLOCK, by * BLOCK_ROWS);
            Rect::new(
                x as i32,
                y as i32,
                BLOCK.min(size.width - x),
                BLOCK_ROWS.min(size.height - y),
            )
        })
    })
}

/// The edges of `block` in `image` (`width` pixels a row), as [`gradient::code`] takes them:
/// the row above from the upper-left corner, then the column to the left; 0 outside the
/// image.
fn block_edges(image: &[u32], width: usize, block: Rect, edges: &mut Vec<u32>) {
    let (x, y) = (block.x as usize, block.y as usize);
    let (w, h) = (block.width as usize, block.height as usize);
    let at = |x: usize, y: usize| image[y * width + x];
    edges.clear();
    if y == 0 {
        edges.resize(w + 1, 0);
    } else {
        edges.push(if x == 0 { 0 } else { at(x - 1, y - 1) });
        edges.extend_from_slice(&image[(y - 1) * width + x..][..w]);
    }
    if x == 0 {
        edges.resize(w + 1 + h, 0);
    } else {
        edges.extend((y..y + h).map(|y| at(x - 1, y)));
    }
}

/// [`ImageFormat::Rgb8Gradient`]: the whole rows of `data`, `width` pixels each.
fn compress_gradient(width: u32, data: &[u8]) -> Vec<u8> {
    let stride = (width as usize * 3).max(1);
    let height = (data.len() / stride) as u32;
    let image: Vec<u32> = data[..height as usize * stride]
        .chunks_exact(3)
        .map(|p| u32::from_be_bytes([0, p[0], p[1], p[2]]))
        .collect();
    let (mut model, mut coder) = (Model::default(), RangeEncoder::default());
    let (mut edges, mut pixels) = (Vec::new(), Vec::new());
    for block in blocks(Size::new(width, height)) {
        block_edges(&image, width as usize, block, &mut edges);
        let (x, w) = (block.x as usize, block.width as usize);
        pixels.clear();
        for y in block.y as usize..block.bottom() as usize {
            pixels.extend_from_slice(&image[y * width as usize + x..][..w]);
        }
        gradient::code::<_, BLOCK_ROW>(&mut model, &mut coder, w, &edges, &mut pixels);
    }
    coder.finish()
}

thread_local! {
    /// One Zstandard context a thread, used again for every image: a new one for each
    /// (`zstd::bulk::compress`) set up and cleared its tables every time, which was most of
    /// the time of a small image (60% of `compress` in the `scene` fuzz target's profile).
    static COMPRESSOR: std::cell::RefCell<Option<zstd::bulk::Compressor<'static>>> =
        std::cell::RefCell::new(zstd::bulk::Compressor::new(LEVEL).ok());
}

/// Expands the data of a compressed image of `size` (`format` is a compressed format) to its
/// raw pixels (`format.pixels()`), refusing before allocating anything an image whose raw
/// bytes would be more than `max_bytes` (what a frame may carry, so that a compressed image
/// cannot make the receiver hold more than a raw one could).
pub fn expand(
    format: ImageFormat,
    size: Size,
    data: &[u8],
    max_bytes: usize,
) -> Result<Vec<u8>, ImageError> {
    let bpp = format.bytes_per_pixel();
    let bytes = size.area() * bpp as u64;
    if bytes > max_bytes as u64 {
        return Err(ImageError::TooLarge {
            width: size.width,
            height: size.height,
            bytes,
            max: max_bytes,
        });
    }
    let expected = bytes as usize;
    let corrupt = |why: String| ImageError::Corrupt {
        format,
        width: size.width,
        height: size.height,
        expected,
        why,
    };
    if format == ImageFormat::Rgb8Gradient {
        if size.area() > GRADIENT_MAX_PIXELS {
            return Err(ImageError::TooManyPixels {
                width: size.width,
                height: size.height,
                max: GRADIENT_MAX_PIXELS,
            });
        }
        return expand_gradient(size, data).map_err(|why| corrupt(why.to_owned()));
    }
    let mut pixels = zstd::bulk::decompress(data, expected).map_err(|e| corrupt(e.to_string()))?;
    if pixels.len() != expected {
        return Err(corrupt(format!("it expands to {} bytes", pixels.len())));
    }
    let stride = (size.width as usize * bpp).max(1);
    for row in pixels.chunks_mut(stride) {
        match bpp {
            3 => unfilter::<3>(row),
            _ => unfilter::<4>(row),
        }
    }
    Ok(pixels)
}

/// The pixels of an [`ImageFormat::Rgb8Gradient`] image of `size` (no larger than its
/// caller allows), or why its stream is not one.
fn expand_gradient(size: Size, data: &[u8]) -> Result<Vec<u8>, &'static str> {
    let width = size.width as usize;
    let mut image = vec![0u32; size.area() as usize];
    let (mut model, mut coder) = (Model::default(), RangeDecoder::new(data));
    let (mut edges, mut pixels) = (Vec::new(), Vec::new());
    for block in blocks(size) {
        block_edges(&image, width, block, &mut edges);
        let (x, w) = (block.x as usize, block.width as usize);
        pixels.clear();
        pixels.resize(w * block.height as usize, 0);
        gradient::code::<_, BLOCK_ROW>(&mut model, &mut coder, w, &edges, &mut pixels);
        // Its work is bounded by the image's pixels, but a stream cut short is refused at
        // the end of the block where it ran out.
        if coder.past_end() {
            return Err("the stream ends before the image does");
        }
        for (y, row) in (block.y as usize..).zip(pixels.chunks_exact(w)) {
            image[y * width + x..][..w].copy_from_slice(row);
        }
    }
    if !coder.exact() {
        return Err("the stream goes on after the image");
    }
    Ok(image
        .iter()
        .flat_map(|p| {
            let [_, r, g, b] = p.to_be_bytes();
            [r, g, b]
        })
        .collect())
}

/// Undoes the Sub filter on a row of `N`-byte pixels: a running sum per byte of the pixel,
/// kept in registers (the sums of a pixel's bytes are independent, so they run side by side).
fn unfilter<const N: usize>(row: &mut [u8]) {
    let mut sum = [0u8; N];
    for pixel in row.chunks_exact_mut(N) {
        for (s, p) in sum.iter_mut().zip(pixel) {
            *s = s.wrapping_add(*p);
            *p = *s;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ResourceId;

    fn image(width: u32, height: u32, bpp: usize) -> Vec<u8> {
        (0..width as usize * height as usize * bpp)
            .map(|i| ((i / bpp) as u32 * 7 / 5 + (i % bpp) as u32 * 40) as u8)
            .collect()
    }

    /// A little xorshift generator.
    fn next(state: &mut u64) -> u64 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    }

    const COMPRESSED: [ImageFormat; 3] = [
        ImageFormat::Rgb8Zstd,
        ImageFormat::Rgba8Zstd,
        ImageFormat::Rgb8Gradient,
    ];

    #[test]
    fn images_round_trip_byte_exact_in_every_format_and_odd_sizes() {
        // Sizes about the gradient format's blocks (256x64): one block, blocks cut at the
        // right and the bottom, a column or a row of blocks; and its largest image.
        let sizes = [
            (1, 1),
            (1, 37),
            (37, 1),
            (63, 65),
            (256, 64),
            (257, 65),
            (512, 512),
        ];
        for format in COMPRESSED {
            for (w, h) in sizes {
                let bpp = format.bytes_per_pixel();
                let mut state = u64::from(w * 1000 + h);
                // Smooth shading, then noise: every kind of error the coder has.
                let smooth = image(w, h, bpp);
                let noise: Vec<u8> = smooth.iter().map(|_| next(&mut state) as u8).collect();
                for data in [smooth, noise] {
                    let z = compress(format, w, &data);
                    let back = expand(format, Size::new(w, h), &z, usize::MAX).unwrap();
                    assert!(back == data, "{format:?} {w}x{h}");
                }
            }
            // Nothing to compress.
            let z = compress(format, 0, &[]);
            assert_eq!(expand(format, Size::new(0, 5), &z, 0), Ok(vec![]));
            let z = compress(format, 7, &[]);
            assert_eq!(expand(format, Size::new(7, 0), &z, 0), Ok(vec![]));
        }
    }

    /// Each block's edges are its neighbours in the image: a picture that continues smoothly
    /// over a block's edge costs no more there than inside a block.
    #[test]
    fn blocks_are_predicted_from_the_pixels_around_them() {
        let (w, h) = (BLOCK * 3, BLOCK_ROWS * 3);
        let data: Vec<u8> = (0..w * h)
            .flat_map(|i| {
                let (x, y) = (i % w, i / w);
                [(x / 3) as u8, (y / 2) as u8, ((x + y) / 5) as u8]
            })
            .collect();
        let z = compress(ImageFormat::Rgb8Gradient, w, &data);
        // Measured: 1,049 bytes (the Sub filter and Zstandard: 2,604).
        // Measured: 506 bytes; 963 with every block's edges 0 (the Sub filter and Zstandard:
        // 1,530).
        assert!(z.len() < 700, "{} bytes", z.len());
    }

    #[test]
    fn large_images_are_packed_and_small_ones_and_other_requests_are_not() {
        let target = ResourceId(1 << 21 | 1);
        let put = |w: u32, h: u32| Request::PutImage {
            target,
            rect: Rect::new(3, 4, w, h),
            format: ImageFormat::Rgb8,
            data: image(w, h, 3),
        };
        let large = put(64, 64);
        let [Cow::Owned(Request::PutImage { format, data, .. })] = &packed(&large)[..] else {
            panic!("one image");
        };
        assert_eq!(*format, ImageFormat::Rgb8Gradient);
        assert!(data.len() < 64 * 64 * 3 / 4, "{} bytes", data.len());
        let small = put(16, 16);
        assert!(matches!(packed(&small)[..], [Cow::Borrowed(_)]));
        let sync = Request::Sync;
        assert!(matches!(packed(&sync)[..], [Cow::Borrowed(_)]));
    }

    /// An opaque image of more than `GRADIENT_MAX_PIXELS` goes in strips of whole rows, each
    /// coded on its own, that together hold its pixels; one with alpha goes whole. A strip
    /// too large for the gradient format is refused before it is expanded.
    #[test]
    fn large_opaque_images_go_in_strips_of_a_bounded_size() {
        let target = ResourceId(1 << 21 | 1);
        let (w, h) = (1000, 700);
        let rect = Rect::new(5, 6, w, h);
        let data = image(w, h, 3);
        let put = Request::PutImage {
            target,
            rect,
            format: ImageFormat::Rgb8,
            data: data.clone(),
        };
        let mut rows = Vec::new();
        let mut y = rect.y;
        for piece in packed(&put) {
            let Request::PutImage {
                rect: strip,
                format,
                data: coded,
                ..
            } = piece.into_owned()
            else {
                panic!("an image");
            };
            assert_eq!(format, ImageFormat::Rgb8Gradient);
            assert!(strip.size().area() <= GRADIENT_MAX_PIXELS);
            assert_eq!((strip.x, strip.y, strip.width), (rect.x, y, w));
            y += strip.height as i32;
            rows.extend(expand(format, strip.size(), &coded, usize::MAX).unwrap());
        }
        assert_eq!(i64::from(y), rect.bottom());
        assert!(rows == data, "the strips hold the image");
        assert_eq!(strips(ImageFormat::Rgb8, rect).count(), 3);
        assert_eq!(strips(ImageFormat::Rgba8, rect).count(), 1);
        let whole = compress(ImageFormat::Rgb8Gradient, w, &data);
        assert_eq!(
            expand(ImageFormat::Rgb8Gradient, rect.size(), &whole, usize::MAX),
            Err(ImageError::TooManyPixels {
                width: w,
                height: h,
                max: GRADIENT_MAX_PIXELS
            })
        );
    }

    /// What each kind of bad data gets: an error naming the image, never a panic, and never
    /// an allocation beyond the bound.
    #[test]
    fn bad_compressed_images_are_errors() {
        let size = Size::new(32, 32);
        let z = compress(ImageFormat::Rgb8Zstd, 32, &image(32, 32, 3));
        // Not Zstandard at all.
        let bad = expand(ImageFormat::Rgb8Zstd, size, b"not zstd", usize::MAX);
        assert!(matches!(bad, Err(ImageError::Corrupt { .. })), "{bad:?}");
        // Cut short.
        let bad = expand(ImageFormat::Rgb8Zstd, size, &z[..z.len() / 2], usize::MAX);
        assert!(matches!(bad, Err(ImageError::Corrupt { .. })), "{bad:?}");
        // Data for a larger image (it would expand past the image) or a smaller one.
        let bad = expand(ImageFormat::Rgb8Zstd, Size::new(32, 16), &z, usize::MAX);
        assert!(matches!(bad, Err(ImageError::Corrupt { .. })), "{bad:?}");
        let bad = expand(ImageFormat::Rgb8Zstd, Size::new(32, 64), &z, usize::MAX);
        assert!(matches!(bad, Err(ImageError::Corrupt { .. })), "{bad:?}");
        // A frame of zeros that would expand to 256 MB: refused before it is decompressed.
        let bomb = zstd::bulk::compress(&vec![0; 1 << 20], 19).unwrap();
        let bad = expand(
            ImageFormat::Rgba8Zstd,
            Size::new(8192, 8192),
            &bomb,
            16 << 20,
        );
        assert_eq!(
            bad,
            Err(ImageError::TooLarge {
                width: 8192,
                height: 8192,
                bytes: 256 << 20,
                max: 16 << 20
            })
        );
        // The same in the gradient format: a flat image of 192 MB in a few bytes.
        let flat = compress(ImageFormat::Rgb8Gradient, 8192, &vec![0; 8192 * 3]);
        let bad = expand(
            ImageFormat::Rgb8Gradient,
            Size::new(8192, 8192),
            &flat,
            16 << 20,
        );
        assert!(matches!(bad, Err(ImageError::TooLarge { .. })), "{bad:?}");
    }

    /// What a gradient stream that lies gets: an error naming the format, never a panic.
    #[test]
    fn bad_gradient_images_are_errors() {
        let size = Size::new(300, 100);
        let data: Vec<u8> = image(300, 100, 3);
        let z = compress(ImageFormat::Rgb8Gradient, 300, &data);
        let expand = |size, bytes: &[u8]| expand(ImageFormat::Rgb8Gradient, size, bytes, 1 << 20);
        let refused = |result: Result<Vec<u8>, ImageError>, why: &str| match result {
            Err(ImageError::Corrupt {
                format: ImageFormat::Rgb8Gradient,
                why: got,
                ..
            }) => assert_eq!(got, why),
            other => panic!("{other:?}"),
        };
        let short = "the stream ends before the image does";
        let long = "the stream goes on after the image";
        // Cut short anywhere, even to nothing; or a byte too many.
        for cut in [0, 1, 4, z.len() / 2, z.len() - 1] {
            refused(expand(size, &z[..cut]), short);
        }
        let mut longer = z.clone();
        longer.push(0);
        refused(expand(size, &longer), long);
        // Data for a larger or a smaller image: its blocks differ, and so does what the
        // stream decodes to, whichever end it reaches first.
        for size in [Size::new(300, 101), Size::new(300, 99), Size::new(299, 100)] {
            let bad = expand(size, &z);
            assert!(matches!(bad, Err(ImageError::Corrupt { .. })), "{size:?}");
        }
        // Noise: whatever it decodes to, it is not exactly a stream of this image.
        let mut state = 7;
        let noise: Vec<u8> = (0..z.len()).map(|_| next(&mut state) as u8).collect();
        assert!(expand(size, &noise).is_err());
        // No stream at all for the largest image.
        let bad = super::expand(
            ImageFormat::Rgb8Gradient,
            Size::new(512, 512),
            b"",
            16 << 20,
        );
        refused(bad, short);
    }
}
