//! Colors prepared for drawing, and the source-over blend.
//!
//! A channel blends as `(s*a + d*(255-a) + 127) / 255`. Red and blue are computed together in
//! one `u32` (each in its own 16-bit lane, which the sum cannot overflow), and the division by
//! 255 uses the exact shift form, so a blend costs a few multiplies and no division.

use netui_protocol::Color;

/// A color ready to be drawn: its pixel value and, for a translucent color, its
/// alpha-multiplied channels.
#[derive(Debug, Clone, Copy)]
pub(super) struct Paint {
    /// The color as a pixel, written as is when the color is opaque.
    pixel: u32,
    /// Alpha, 1..=255.
    alpha: u32,
    /// `255 - alpha`.
    inverse: u32,
    /// `r*a + 128` in bits 16..32 and `b*a + 128` in bits 0..16.
    red_blue: u32,
    /// `g*a + 128`.
    green: u32,
}

impl Paint {
    /// `None` for a fully transparent color, which draws nothing.
    pub(super) fn new(color: Color) -> Option<Paint> {
        (color.a != 0).then(|| Paint::with_alpha(color.to_xrgb(), u32::from(color.a)))
    }

    /// The pixel color `rgb` (`0x00RRGGBB`) at opacity `alpha` (1..=255).
    fn with_alpha(rgb: u32, alpha: u32) -> Paint {
        Paint {
            pixel: rgb & 0x00ff_ffff,
            alpha,
            inverse: 255 - alpha,
            red_blue: (rgb & 0x00ff_00ff) * alpha + 0x0080_0080,
            green: ((rgb >> 8) & 0xff) * alpha + 0x80,
        }
    }

    /// True when the color hides what is under it.
    pub(super) fn is_opaque(&self) -> bool {
        self.alpha == 255
    }

    /// The pixel to write when the color is opaque (it then replaces what is under it).
    #[inline]
    pub(super) fn opaque_pixel(&self) -> Option<u32> {
        (self.alpha == 255).then_some(self.pixel)
    }

    /// The color drawn over the pixel `dst`.
    #[inline]
    pub(super) fn over(&self, dst: u32) -> u32 {
        if self.alpha == 255 {
            return self.pixel;
        }
        let red_blue = (dst & 0x00ff_00ff) * self.inverse + self.red_blue;
        let green = ((dst >> 8) & 0xff) * self.inverse + self.green;
        // x / 255 rounded, exact for every sum that can occur here: (x + (x >> 8)) >> 8,
        // where x already holds the +128.
        let red_blue = ((red_blue + ((red_blue >> 8) & 0x00ff_00ff)) >> 8) & 0x00ff_00ff;
        let green = ((green + (green >> 8)) >> 8) & 0xff;
        red_blue | (green << 8)
    }

    /// Paints every pixel of `row`.
    #[inline]
    pub(super) fn fill(&self, row: &mut [u32]) {
        if self.alpha == 255 {
            fill_solid(row, self.pixel);
        } else {
            for p in row {
                *p = self.over(*p);
            }
        }
    }
}

/// Sets the pixels of a row of fewer than four: the first, the middle and the last (some of
/// them the same one). As a loop, the compiler made this a vector loop under masks that cost
/// more than the stores (x11perf's rect1 spent more time there than in the rest of its
/// fill); out of line, so that the longer rows' code around it compiles as it did.
#[inline(never)]
fn fill_few(row: &mut [u32], pixel: u32) {
    let n = row.len();
    if n == 0 {
        return;
    }
    for i in [0, n / 2, n - 1] {
        if let Some(p) = row.get_mut(i) {
            *p = pixel;
        }
    }
}

/// Sets every pixel of `row` to `pixel`. A short row (a small rectangle's, a glyph-sized
/// one) is written four pixels a store, the last four overlapping the ones before, instead
/// of four at a time and then one at a time; a long one is written a cache line at a time
/// from the first line's boundary, so that no store straddles two lines (unaligned 16-byte
/// stores made rect500's fill 14% slower, `cargo bench --bench render fill_rect`).
#[inline]
fn fill_solid(row: &mut [u32], pixel: u32) {
    let quad = [pixel; 4];
    match row.len() {
        0..4 => fill_few(row, pixel),
        n @ 4..32 => {
            for chunk in row.chunks_exact_mut(4) {
                chunk.copy_from_slice(&quad);
            }
            if let Some(last) = row.get_mut(n - 4..) {
                last.copy_from_slice(&quad);
            }
        }
        n => {
            // Sixteen pixels are a cache line. The first and last sixteen go in four stores
            // each; the lines between are written whole, from the first boundary on, where
            // the first stores already reached.
            let line = [pixel; 16];
            let head = row.as_ptr().align_offset(64).min(16);
            for chunk in row
                .get_mut(head..)
                .into_iter()
                .flat_map(|r| r.chunks_exact_mut(16))
            {
                chunk.copy_from_slice(&line);
            }
            for chunk in row.chunks_exact_mut(4).take(4) {
                chunk.copy_from_slice(&quad);
            }
            if let Some(last) = row.get_mut(n - 16..) {
                last.copy_from_slice(&line);
            }
        }
    }
}

/// The source-over blend of pixel `src` at opacity `alpha` (0..=255) over `dst`.
///
/// No branches: the formula is exact at 0 and 255 too, and images and glyph edges mix all
/// three cases unpredictably.
#[inline]
pub(crate) fn over(src: u32, alpha: u32, dst: u32) -> u32 {
    let inverse = 255 - alpha;
    let red_blue = (src & 0x00ff_00ff) * alpha + (dst & 0x00ff_00ff) * inverse + 0x0080_0080;
    let green = ((src >> 8) & 0xff) * alpha + ((dst >> 8) & 0xff) * inverse + 0x80;
    let red_blue = ((red_blue + ((red_blue >> 8) & 0x00ff_00ff)) >> 8) & 0x00ff_00ff;
    let green = ((green + (green >> 8)) >> 8) & 0xff;
    red_blue | (green << 8)
}

/// The color `src` drawn over eight pixels through 32 byte alphas, one a channel
/// (`alpha[4 * i..4 * i + 4]` all hold pixel `i`'s coverage): the same formula and result
/// as [`over`] for pixels whose top byte is zero, as a canvas's are (the top byte is blended
/// too, from a zero source, and stays zero). `src` holds the color's channels in the
/// pixel's byte order (blue, green, red, 0), repeated.
///
/// Each channel is computed in a 16-bit lane: `s*a + d*(255-a) + 128` is at most 65153 and
/// the rounding step's sum at most 65407, so nothing overflows, and the compiler makes the
/// eight pixels four 8-lane multiplies of each kind (`over` works in 32-bit lanes, which
/// x86-64's baseline SSE2 can only multiply two at a time). Glyph rows are 5 to 8 pixels at
/// 12 px: one of these a row, with no loop set-up and no scalar tail. Eight pixels, not
/// four: four pixels' sixteen lanes came out as scalar inserts and extracts, even in a
/// function of their own. Masking the top byte (in or out) made the compiler treat that
/// lane apart, with the same result.
///
/// With `OPAQUE` false each alpha is first multiplied by `color_alpha` (`mul255`).
#[inline]
pub(crate) fn over8<const OPAQUE: bool>(
    src: &[u16; 32],
    alpha: &[u8; 32],
    color_alpha: u16,
    dst: &mut [u32; 8],
) {
    let mut d = [0u8; 32];
    for (bytes, p) in d.chunks_exact_mut(4).zip(dst.iter()) {
        bytes.copy_from_slice(&p.to_le_bytes());
    }
    let out: [u8; 32] = std::array::from_fn(|i| {
        let mut a = u16::from(alpha[i]);
        if !OPAQUE {
            let x = a * color_alpha + 128;
            a = (x + (x >> 8)) >> 8;
        }
        let t = src[i] * a + u16::from(d[i]) * (255 - a) + 128;
        ((t + (t >> 8)) >> 8) as u8
    });
    for (p, bytes) in dst.iter_mut().zip(out.chunks_exact(4)) {
        *p = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    }
}

/// The `src` of [`over8`] for the color of `pixel` (whose top byte is zero): its four bytes
/// in 16-bit lanes, repeated for eight pixels.
#[inline]
pub(crate) fn lanes(pixel: u32) -> [u16; 32] {
    let bytes = pixel.to_le_bytes();
    std::array::from_fn(|i| bytes[i % 4].into())
}

/// `a * b / 255` rounded, for two values in 0..=255.
#[inline]
pub(super) fn mul255(a: u32, b: u32) -> u32 {
    let x = a * b + 128;
    (x + (x >> 8)) >> 8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_solid_fill_sets_every_pixel_of_any_length_and_no_other() {
        // Every length up to a few cache lines, starting anywhere within a line.
        let mut pixels = vec![7u32; 160];
        for start in 1..18 {
            for len in 0..120 {
                pixels.fill(7);
                fill_solid(&mut pixels[start..start + len], 0xabcdef);
                let (before, rest) = pixels.split_at(start);
                let (row, after) = rest.split_at(len);
                assert!(before.iter().all(|&p| p == 7), "start {start} len {len}");
                assert!(
                    row.iter().all(|&p| p == 0xabcdef),
                    "start {start} len {len}"
                );
                assert!(after.iter().all(|&p| p == 7), "start {start} len {len}");
            }
        }
    }

    /// The blend as the protocol states it, one channel at a time.
    fn reference(s: u32, d: u32, a: u32) -> u32 {
        (s * a + d * (255 - a) + 127) / 255
    }

    #[test]
    fn blend_is_exact_for_every_channel_value() {
        for a in 0..=255 {
            for s in 0..=255 {
                // Red, green and blue each carry a different pair of values, so a carry from one
                // lane into another would show.
                let src = (s << 16) | ((255 - s) << 8) | (s ^ 0x5a);
                for d in 0..=255 {
                    let dst = (d << 16) | ((d ^ 0xa5) << 8) | (255 - d);
                    let got = over(src, a, dst);
                    let want = (reference(s, d, a) << 16)
                        | (reference(255 - s, d ^ 0xa5, a) << 8)
                        | reference(s ^ 0x5a, 255 - d, a);
                    assert_eq!(got, want, "s={s} d={d} a={a}");
                    if a > 0 {
                        assert_eq!(
                            Paint::with_alpha(src, a).over(dst),
                            want,
                            "paint {s} {d} {a}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn eight_pixels_blend_as_over_does() {
        // Every alpha, source and destination value, each of the eight pixels a different
        // destination and every channel a different value, so that a lane mixed up with
        // another would show; opaque and through a translucent color.
        for a in 0..=255u32 {
            for s in (0..=255u32).step_by(3) {
                let rgb = (s << 16) | ((255 - s) << 8) | (s ^ 0x5a);
                let src = lanes(rgb);
                for d in (0..=255u32).step_by(8) {
                    let dst: [u32; 8] = std::array::from_fn(|i| {
                        let d = d + i as u32;
                        (d << 16) | ((d ^ 0xa5) << 8) | (255 - d)
                    });
                    let alpha: [u8; 32] = std::array::from_fn(|i| (a as u8) ^ (i / 4) as u8);
                    let mut got = dst;
                    over8::<true>(&src, &alpha, 255, &mut got);
                    let want = std::array::from_fn(|i| over(rgb, alpha[4 * i].into(), dst[i]));
                    assert_eq!(got, want, "s={s} d={d} a={a}");
                    let mut got = dst;
                    over8::<false>(&src, &alpha, 100, &mut got);
                    let want = std::array::from_fn(|i| {
                        over(rgb, mul255(alpha[4 * i].into(), 100), dst[i])
                    });
                    assert_eq!(got, want, "s={s} d={d} a={a}, translucent");
                }
            }
        }
    }

    #[test]
    fn mul255_rounds() {
        for a in 0..=255 {
            for b in 0..=255 {
                assert_eq!(mul255(a, b), (a * b + 127) / 255, "{a} * {b}");
            }
        }
    }

    #[test]
    fn opaque_and_transparent() {
        assert!(Paint::new(Color::rgba(1, 2, 3, 0)).is_none());
        let paint = Paint::new(Color::rgb(1, 2, 3)).expect("opaque color paints");
        assert_eq!(paint.over(0x00ff_ffff), 0x0001_0203);
        // A stray top byte in the destination does not leak into the result.
        let half = Paint::new(Color::rgba(0, 0, 0, 128)).expect("translucent color paints");
        assert_eq!(half.over(0xff00_0000), 0);
    }
}
