//! `px-tiles-jpeg`'s lossy records: runs of photographic tiles as baseline JPEG.
//!
//! Only tiles with at least [`PHOTO_COLORS`] colors go lossy: text, even anti-aliased, and
//! flat widgets have far fewer and stay exact; photographs and rendered shading have more. A
//! run of such tiles along a tile row is one JPEG (4:2:0, so its 16-pixel-high strip is one
//! row of blocks), and its tables, the same every time, cost next to nothing once the
//! connection's compression stream has seen them.

use jpeg_encoder::{ColorType, Encoder, SamplingFactor};
use zune_jpeg::zune_core::bytestream::ZCursor;
use zune_jpeg::zune_core::colorspace::ColorSpace;
use zune_jpeg::zune_core::options::DecoderOptions;
use zune_jpeg::JpegDecoder;

/// The fewest colors of a tile that may go as JPEG.
pub(super) const PHOTO_COLORS: usize = 64;

/// Counts colors up to [`PHOTO_COLORS`] with a small open-addressing table.
#[derive(Debug)]
pub(super) struct ColorCounter {
    /// `EMPTY` or a color (colors are below 2^24).
    table: [u32; 256],
}

const EMPTY: u32 = u32::MAX;

impl Default for ColorCounter {
    fn default() -> Self {
        ColorCounter {
            table: [EMPTY; 256],
        }
    }
}

impl ColorCounter {
    /// Whether `rows` look photographic: at least [`PHOTO_COLORS`] colors between them, and
    /// fewer than a quarter of the pixels the same as their left neighbour (anti-aliased
    /// text has as many grey levels, but on a flat background).
    pub(super) fn photographic<'a>(
        &mut self,
        rows: impl Iterator<Item = &'a [u32]> + Clone,
    ) -> bool {
        let (mut pixels, mut repeats) = (0, 0);
        for line in rows.clone() {
            pixels += line.len();
            repeats += line.windows(2).filter(|w| w[0] == w[1]).count();
        }
        if repeats * 4 >= pixels {
            return false;
        }
        self.table.fill(EMPTY);
        let mut count = 0;
        for line in rows {
            let mut prev = EMPTY;
            for &p in line {
                if p == prev {
                    continue;
                }
                prev = p;
                let mut slot = (p.wrapping_mul(0x9e37_79b1) >> 24) as usize;
                loop {
                    // `slot` is below 256 (masked), the table's length.
                    let entry = &mut self.table[slot];
                    if *entry == p {
                        break;
                    }
                    if *entry == EMPTY {
                        *entry = p;
                        count += 1;
                        if count >= PHOTO_COLORS {
                            return true;
                        }
                        break;
                    }
                    slot = (slot + 1) & 0xff;
                }
            }
        }
        false
    }
}

/// Encodes `bgra` (`width` x `height`, four bytes a pixel, the fourth ignored) as a baseline
/// JPEG at `quality` (1..=100) into `out`; false when the encoder refuses (a side of 0 or
/// beyond 65535).
pub(super) fn encode(
    bgra: &[u8],
    width: usize,
    height: usize,
    quality: u8,
    out: &mut Vec<u8>,
) -> bool {
    out.clear();
    let (Ok(w), Ok(h)) = (u16::try_from(width), u16::try_from(height)) else {
        return false;
    };
    let mut encoder = Encoder::new(&mut *out, quality.clamp(1, 100));
    encoder.set_sampling_factor(SamplingFactor::F_2_2);
    encoder.encode(bgra, w, h, ColorType::Bgra).is_ok()
}

/// Decodes `jpeg`, which must be exactly `width` x `height`, into `out` (four bytes a pixel,
/// blue, green, red, 255). The decoder is capped at that size, so a lying header allocates
/// no more than the tiles it covers.
pub(super) fn decode(
    jpeg: &[u8],
    width: usize,
    height: usize,
    out: &mut Vec<u8>,
) -> Result<(), String> {
    let options = DecoderOptions::default()
        .set_max_width(width)
        .set_max_height(height)
        .jpeg_set_out_colorspace(ColorSpace::BGRA);
    let mut decoder = JpegDecoder::new_with_options(ZCursor::new(jpeg), options);
    decoder.decode_headers().map_err(|e| e.to_string())?;
    let got = decoder.dimensions().unwrap_or((0, 0));
    if got != (width, height) {
        return Err(format!(
            "a {}x{} image for {width}x{height} pixels",
            got.0, got.1
        ));
    }
    out.clear();
    out.resize(width * height * 4, 0);
    decoder.decode_into(out).map_err(|e| e.to_string())
}
