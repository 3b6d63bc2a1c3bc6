//! Images on the wire: the compressed formats of `PutImage` ([`ImageFormat::Rgb8Zstd`],
//! [`ImageFormat::Rgba8Zstd`]), made by [`compress`] and expanded by [`expand`].
//!
//! Each byte of a row is replaced by its difference from the same byte of the pixel to its
//! left (PNG's "Sub" filter: a smooth area becomes small numbers that repeat), and the whole
//! image is one Zstandard frame. The two photographs that `imageview` ships come out 6.5
//! and 8.7 times smaller than their raw pixels (LZ4 alone: 2.8 and 4.6 times), and 35-39%
//! smaller than PNG as the `png` crate makes it by default, in 1.3 to 1.5 times its time
//! (`images/` in `bench/benches/encoding.rs`; BENCHMARKS.md).
//!
//! Command-mode viewers receive every image of [`PACK_MIN`] bytes or more compressed
//! ([`packed`]): the scene's journal and its snapshots pack them, so that the cost a viewer
//! is told of and the bytes it receives agree. Applications through app-lib send them
//! compressed over the network too (on a connection whose frames are compressed; on a local
//! socket, where the bytes only cross memory, compressing costs more than copying them).

use std::borrow::Cow;

use crate::{ImageFormat, Request, Size};

/// Raw image bytes from which [`packed`] compresses an image: below this, the connection's
/// own compression does about as well.
pub const PACK_MIN: usize = 4096;

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
    /// The data is not a Zstandard frame, or expands to more or fewer bytes than the image.
    #[error(
        "compressed image data of {width}x{height} is not a Zstandard frame of {expected} \
         bytes: {why}"
    )]
    Corrupt {
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
/// more compressed (when that makes it smaller), anything else as it is.
pub fn packed(request: &Request) -> Cow<'_, Request> {
    match request {
        Request::PutImage {
            target,
            rect,
            format,
            data,
        } => match pack(*format, rect.width, data) {
            Some(compressed) => Cow::Owned(Request::PutImage {
                target: *target,
                rect: *rect,
                format: format.compressed(),
                data: compressed,
            }),
            None => Cow::Borrowed(request),
        },
        _ => Cow::Borrowed(request),
    }
}

/// Raw pixels (`format` uncompressed, rows of `width` pixels) in `format.compressed()`, when
/// that is worth it: they are [`PACK_MIN`] bytes or more, and come out smaller.
pub fn pack(format: ImageFormat, width: u32, data: &[u8]) -> Option<Vec<u8>> {
    if format.is_compressed() || data.len() < PACK_MIN {
        return None;
    }
    let compressed = compress(format, width, data);
    // Empty: Zstandard failed (a frame has a header).
    (!compressed.is_empty() && compressed.len() < data.len()).then_some(compressed)
}

/// Compresses raw pixels (`format` is [`ImageFormat::Rgb8`] or [`ImageFormat::Rgba8`], rows
/// of `width` pixels) into the data of its compressed format; empty if Zstandard failed.
pub fn compress(format: ImageFormat, width: u32, data: &[u8]) -> Vec<u8> {
    let bpp = format.bytes_per_pixel();
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

thread_local! {
    /// One Zstandard context a thread, used again for every image: a new one for each
    /// (`zstd::bulk::compress`) set up and cleared its tables every time, which was most of
    /// the time of a small image (60% of `compress` in the `scene` fuzz target's profile).
    static COMPRESSOR: std::cell::RefCell<Option<zstd::bulk::Compressor<'static>>> =
        std::cell::RefCell::new(zstd::bulk::Compressor::new(LEVEL).ok());
}

/// Expands the data of a compressed image of `size` (`format` is [`ImageFormat::Rgb8Zstd`]
/// or [`ImageFormat::Rgba8Zstd`]) to its raw pixels, refusing before allocating anything an
/// image whose raw bytes would be more than `max_bytes` (what a frame may carry, so that a
/// compressed image cannot make the receiver hold more than a raw one could).
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
        width: size.width,
        height: size.height,
        expected,
        why,
    };
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
    use crate::{Rect, ResourceId};

    fn image(width: u32, height: u32, bpp: usize) -> Vec<u8> {
        (0..width as usize * height as usize * bpp)
            .map(|i| ((i / bpp) as u32 * 7 / 5 + (i % bpp) as u32 * 40) as u8)
            .collect()
    }

    #[test]
    fn images_round_trip_byte_exact_in_both_formats_and_odd_sizes() {
        for (format, packed_as) in [
            (ImageFormat::Rgb8, ImageFormat::Rgb8Zstd),
            (ImageFormat::Rgba8, ImageFormat::Rgba8Zstd),
        ] {
            for (w, h) in [(1, 1), (1, 37), (37, 1), (63, 65), (640, 480)] {
                let data = image(w, h, format.bytes_per_pixel());
                let z = compress(format, w, &data);
                let back = expand(packed_as, Size::new(w, h), &z, usize::MAX).unwrap();
                assert!(back == data, "{format:?} {w}x{h}");
            }
        }
        // Nothing to compress.
        let z = compress(ImageFormat::Rgb8, 0, &[]);
        assert_eq!(
            expand(ImageFormat::Rgb8Zstd, Size::new(0, 5), &z, 0),
            Ok(vec![])
        );
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
        let Request::PutImage { format, data, .. } = packed(&large).into_owned() else {
            panic!("still an image");
        };
        assert_eq!(format, ImageFormat::Rgb8Zstd);
        assert!(data.len() < 64 * 64 * 3 / 4, "{} bytes", data.len());
        let small = put(16, 16);
        assert!(matches!(packed(&small), Cow::Borrowed(_)));
        let sync = Request::Sync;
        assert!(matches!(packed(&sync), Cow::Borrowed(_)));
    }

    /// What each kind of bad data gets: an error naming the image, never a panic, and never
    /// an allocation beyond the bound.
    #[test]
    fn bad_compressed_images_are_errors() {
        let size = Size::new(32, 32);
        let z = compress(ImageFormat::Rgb8, 32, &image(32, 32, 3));
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
    }
}
