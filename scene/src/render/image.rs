//! Whole blocks of pixels: image uploads, copies within and between canvases, read-back.
//!
//! All of them work a row at a time on slices (`copy_from_slice`, `copy_within`, a converting
//! zip), since these are the calls whose throughput a display server is judged by.

use super::blend::over;
use super::{Area, Canvas, Damage, Rows};
use netui_protocol::{ImageFormat, Point, Rect};

impl Canvas {
    /// Draws an image: `data` holds `rect.width * rect.height` pixels in `format`, row-major.
    /// [`ImageFormat::Rgb8`] replaces the pixels under it; [`ImageFormat::Rgba8`] blends
    /// source-over; compressed data is the caller's to expand (`crate::images`), and draws
    /// nothing. The caller checks the length of `data`; if it is short anyway, nothing is
    /// drawn and the result is empty.
    pub fn put_image(&mut self, rect: Rect, format: ImageFormat, data: &[u8], clip: Rect) -> Rect {
        if format.is_compressed() {
            return Rect::default();
        }
        let bpp = format.bytes_per_pixel();
        let stride = (rect.width as usize).checked_mul(bpp);
        let needed = stride.and_then(|s| s.checked_mul(rect.height as usize));
        let (Some(stride), Some(needed), Some(area)) = (stride, needed, self.area(clip)) else {
            return Rect::default();
        };
        if data.len() < needed {
            return Rect::default();
        }
        let visible = Area::of(rect).intersect(area);
        if visible.is_empty() {
            return Rect::default();
        }
        let skip = (visible.left - i64::from(rect.x)) as usize * bpp;
        let len = visible.width() * bpp;
        for y in visible.top..visible.bottom {
            let start = (y - i64::from(rect.y)) as usize * stride + skip;
            let Some(src) = data.get(start..start + len) else {
                // Cannot happen after the length check; stop rather than panic.
                break;
            };
            let dst = self.row_mut(y, visible.left, visible.right);
            if format.is_opaque() {
                rgb_row(dst, src);
            } else {
                for (d, s) in dst.iter_mut().zip(src.chunks_exact(4)) {
                    if let &[r, g, b, a] = s {
                        let rgb = u32::from(r) << 16 | u32::from(g) << 8 | u32::from(b);
                        *d = over(rgb, a.into(), *d);
                    }
                }
            }
        }
        visible.to_rect()
    }

    /// Copies `src` to `dst` (the new top-left) within this canvas, for scrolling: where the
    /// two overlap, the result is as if the whole source had been read first. Source pixels
    /// outside the canvas are not copied; the destination keeps its pixels there.
    pub fn copy_within(&mut self, src: Rect, dst: Point, clip: Rect) -> Rect {
        let Some((from, to)) = copy_areas(self.bounds(), src, dst, self.area(clip)) else {
            return Rect::default();
        };
        let stride = self.width as usize;
        let width = to.width();
        // Moving down, the rows below are read before the rows above overwrite them; within a
        // row, `copy_within` is a memmove.
        let rows = to.bottom - to.top;
        let downwards = to.top > from.top;
        for i in 0..rows {
            let i = if downwards { rows - 1 - i } else { i };
            let s = (from.top + i) as usize * stride + from.left as usize;
            let d = (to.top + i) as usize * stride + to.left as usize;
            if s + width <= self.pixels.len() && d + width <= self.pixels.len() {
                self.pixels.copy_within(s..s + width, d);
            }
        }
        to.to_rect()
    }

    /// Copies `src_rect` of `src` to `dst` (the new top-left) in this canvas. Source pixels
    /// outside `src` are not copied; the destination keeps its pixels there.
    pub fn copy_from(&mut self, src: &Canvas, src_rect: Rect, dst: Point, clip: Rect) -> Rect {
        let Some((from, to)) = copy_areas(src.bounds(), src_rect, dst, self.area(clip)) else {
            return Rect::default();
        };
        self.rows().copy_from(src, from, to);
        to.to_rect()
    }

    /// The pixels of `area` (clipped to the canvas) as RGBA bytes with alpha 255, row-major,
    /// with the clipped area they came from.
    pub fn read_rgba(&self, area: Rect) -> (Rect, Vec<u8>) {
        let visible = Area::of(area).intersect(Area::of(self.bounds()));
        if visible.is_empty() {
            return (Rect::default(), Vec::new());
        }
        let rows = (visible.bottom - visible.top) as usize;
        let mut bytes = Vec::with_capacity(visible.width() * rows * 4);
        for y in visible.top..visible.bottom {
            for &p in self.row(y, visible.left, visible.right) {
                bytes.extend_from_slice(&[(p >> 16) as u8, (p >> 8) as u8, p as u8, 255]);
            }
        }
        (visible.to_rect(), bytes)
    }

    /// The pixels `left..right` of row `y`, already clipped to the canvas (else empty).
    fn row(&self, y: i64, left: i64, right: i64) -> &[u32] {
        let start = y as usize * self.width as usize + left as usize;
        let end = start + (right - left).max(0) as usize;
        self.pixels.get(start..end).unwrap_or_default()
    }
}

/// The fewest pixels of a copy from another canvas that is shared out between the threads
/// of the caller's pool: a copy of 100x100 (a tenth of this) shared was 0.73x as fast,
/// x11perf's copywinwin100 through drawbench; one of 256x256 is 1.6x as fast (`cargo bench
/// --bench render copy_from`, in a pool of two threads against none).
const SHARED_COPY: u64 = 32 * 1024;

impl Rows<'_> {
    /// Copies `from` of `source` to `to` of these rows (areas of one size, each clipped to
    /// its canvas), in bands of rows on the caller's pool when it is large: the source is
    /// only read, so the bands share it.
    fn copy_from(&mut self, source: &Canvas, from: Area, to: Area) {
        let (dx, dy) = (from.left - to.left, from.top - to.top);
        let copy = |rows: &mut Rows<'_>, band: Area| {
            for y in band.top..band.bottom {
                let source = source.row(y + dy, band.left + dx, band.right + dx);
                let target = rows.row_mut(y, band.left, band.right);
                if source.len() == target.len() {
                    target.copy_from_slice(source);
                }
            }
            Damage::new()
        };
        let shared = to.pixels() >= SHARED_COPY && rayon_core::current_thread_index().is_some();
        let bands = if shared {
            rayon_core::current_num_threads()
        } else {
            1
        };
        self.in_bands(to, bands, &copy);
    }
}

/// Writes the `0x00RRGGBB` pixels of a row of three-byte RGB `src` into `dst`. Each pixel but
/// the last is one unaligned four-byte load (its three bytes and the next pixel's red) and a
/// shift, instead of three loads and two shifts: a put image's time was mostly here.
fn rgb_row(dst: &mut [u32], src: &[u8]) {
    let n = dst.len().min(src.len() / 3);
    let (Some(head), Some(last)) = (n.checked_sub(1), dst.get_mut(n.wrapping_sub(1))) else {
        return;
    };
    if let &[r, g, b] = src.get(3 * head..3 * n).unwrap_or_default() {
        *last = u32::from(r) << 16 | u32::from(g) << 8 | u32::from(b);
    }
    // The first `head` pixels each have a fourth byte after them.
    for (d, four) in dst[..head].iter_mut().zip(src.windows(4).step_by(3)) {
        if let Ok(four) = <[u8; 4]>::try_from(four) {
            *d = u32::from_be_bytes(four) >> 8;
        }
    }
}

/// Where a copy reads and writes: the source rectangle clipped to its canvas (`src_bounds`),
/// moved to `dst` and clipped to the destination `area`; then the source again, matching the
/// clipped destination. `None` when nothing is copied.
fn copy_areas(src_bounds: Rect, src: Rect, dst: Point, area: Option<Area>) -> Option<(Area, Area)> {
    let area = area?;
    let readable = Area::of(src).intersect(Area::of(src_bounds));
    let dx = i64::from(dst.x) - i64::from(src.x);
    let dy = i64::from(dst.y) - i64::from(src.y);
    let moved = Area::new(
        readable.left + dx,
        readable.top + dy,
        readable.right + dx,
        readable.bottom + dy,
    );
    let to = moved.intersect(area);
    if readable.is_empty() || to.is_empty() {
        return None;
    }
    let from = Area::new(to.left - dx, to.top - dy, to.right - dx, to.bottom - dy);
    Some((from, to))
}

#[cfg(test)]
mod tests {
    use super::super::pattern::{assert_picture, blank};
    use super::*;
    use netui_protocol::Color;

    const BIG: Rect = Rect::new(i32::MIN, i32::MIN, u32::MAX, u32::MAX);

    #[test]
    fn an_rgb_row_of_any_length_becomes_its_pixels() {
        for n in 0..20usize {
            let src: Vec<u8> = (0..3 * n as u32 + 2).map(|i| (i * 37 + 11) as u8).collect();
            let mut dst = vec![0xdead_beef_u32; n + 1];
            rgb_row(&mut dst[..n], &src[..3 * n]);
            for (i, &p) in dst[..n].iter().enumerate() {
                let want = u32::from(src[3 * i]) << 16
                    | u32::from(src[3 * i + 1]) << 8
                    | u32::from(src[3 * i + 2]);
                assert_eq!(p, want, "pixel {i} of {n}");
            }
            assert_eq!(dst[n], 0xdead_beef, "past the row of {n}");
        }
    }

    /// A canvas whose every pixel differs: `y * 16 + x + 1`.
    fn numbered(width: u32, height: u32) -> Canvas {
        let mut c = blank(width, height);
        for (i, p) in c.pixels_mut().iter_mut().enumerate() {
            *p = (i / width as usize * 16 + i % width as usize + 1) as u32;
        }
        c
    }

    /// `copy_within` done the slow way: read every source pixel first, then write.
    fn reference_copy(c: &Canvas, src: Rect, dst: Point, clip: Rect) -> Canvas {
        let mut out = c.clone();
        for y in 0..src.height as i32 {
            for x in 0..src.width as i32 {
                let (tx, ty) = (dst.x + x, dst.y + y);
                let from = c.pixel(src.x + x, src.y + y);
                if let (Some(p), true) = (from, clip.contains(Point::new(tx, ty))) {
                    // Off-canvas targets are ignored by `fill_rect` itself.
                    out.fill_rect(Rect::new(tx, ty, 1, 1), Color::from_xrgb(p), BIG);
                }
            }
        }
        out
    }

    #[test]
    fn copy_within_overlapping_in_every_direction() {
        let src = Rect::new(2, 2, 4, 3);
        for (dx, dy) in [
            (1, 0),
            (-1, 0),
            (0, 1),
            (0, -1),
            (2, 1),
            (-2, -1),
            (1, -2),
            (-1, 2),
        ] {
            let c = numbered(8, 7);
            let dst = Point::new(src.x + dx, src.y + dy);
            let want = reference_copy(&c, src, dst, BIG);
            let mut got = c.clone();
            let damage = got.copy_within(src, dst, BIG);
            assert_eq!(got, want, "moved by ({dx}, {dy})");
            assert_eq!(damage, Rect::new(dst.x, dst.y, 4, 3));
        }
    }

    #[test]
    fn copy_within_clips_source_and_destination() {
        let c = numbered(6, 5);
        let cases = [
            // Source partly off the canvas: only the readable part moves.
            (Rect::new(-2, -1, 4, 3), Point::new(3, 2), BIG),
            // Destination partly off the canvas and clipped.
            (
                Rect::new(0, 0, 4, 4),
                Point::new(3, 3),
                Rect::new(0, 0, 5, 4),
            ),
            (
                Rect::new(1, 1, 3, 3),
                Point::new(-1, 0),
                Rect::new(0, 1, 6, 6),
            ),
        ];
        for (src, dst, clip) in cases {
            let want = reference_copy(&c, src, dst, clip);
            let mut got = c.clone();
            got.copy_within(src, dst, clip);
            assert_eq!(got, want, "{src:?} to {dst:?} in {clip:?}");
        }
        let mut got = c.clone();
        let damage = got.copy_within(Rect::new(-2, -1, 4, 3), Point::new(3, 2), BIG);
        assert_eq!(damage, Rect::new(5, 3, 1, 2));
    }

    #[test]
    fn copy_from_another_canvas() {
        let mut src = blank(3, 3);
        src.fill_rect(Rect::new(0, 0, 3, 1), Color::WHITE, BIG);
        src.fill_rect(Rect::new(0, 2, 3, 1), Color::RED, BIG);
        let mut c = Canvas::new(5, 4, Color::GREEN);
        let damage = c.copy_from(&src, Rect::new(-1, 0, 5, 3), Point::new(0, 1), BIG);
        assert_eq!(damage, Rect::new(1, 1, 3, 3));
        #[rustfmt::skip]
        assert_picture(&c, &[
            "GGGGG",
            "G###G",
            "G...G",
            "GRRRG",
        ]);
        let damage = c.copy_from(&src, src.bounds(), Point::new(3, 0), Rect::new(0, 0, 4, 1));
        assert_eq!(damage, Rect::new(3, 0, 1, 1));
        assert_eq!(c.pixel(3, 0), Some(0x00ff_ffff));
        assert_eq!(c.pixel(4, 0), Some(0x0000_ff00));
    }

    /// A canvas whose every pixel differs from its neighbours.
    fn noise(width: u32, height: u32) -> Canvas {
        let mut c = blank(width, height);
        for (i, p) in c.pixels_mut().iter_mut().enumerate() {
            *p = (i as u32).wrapping_mul(2_654_435_761) >> 8;
        }
        c
    }

    /// Copies from another canvas (of another width) large enough to be shared out between
    /// the threads of the caller's pool copy what one thread copies: partly outside either
    /// canvas, clipped, with a band boundary in the middle of the copy.
    #[test]
    fn copies_shared_between_threads_copy_what_one_thread_copies() {
        let pool = rayon_core::ThreadPoolBuilder::new()
            .num_threads(3)
            .build()
            .expect("a pool");
        let other = noise(350, 420);
        let copies = [
            (Rect::new(0, 0, 300, 200), Point::new(0, 30)),
            (Rect::new(-30, 100, 400, 400), Point::new(-20, -50)),
            (Rect::new(40, 10, 250, 251), Point::new(10, 5)),
            (Rect::new(10, 10, 50, 50), Point::new(100, 100)),
        ];
        for (src, dst) in copies {
            for clip in [BIG, Rect::new(40, 30, 200, 201)] {
                let (mut alone, mut shared) = (noise(300, 260), noise(300, 260));
                let want = alone.copy_from(&other, src, dst, clip);
                let got = pool.install(|| shared.copy_from(&other, src, dst, clip));
                assert_eq!(got, want, "{src:?} to {dst:?} in {clip:?}");
                assert!(alone == shared, "{src:?} to {dst:?} in {clip:?}");
            }
        }
    }

    #[test]
    fn put_image_rgb8_replaces() {
        let mut c = blank(4, 3);
        let data = [
            255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255, 0, 0, 0, 255, 0, 0,
        ];
        let damage = c.put_image(Rect::new(-1, 1, 3, 2), ImageFormat::Rgb8, &data, BIG);
        assert_eq!(damage, Rect::new(0, 1, 2, 2));
        #[rustfmt::skip]
        assert_picture(&c, &[
            "....",
            "GB..",
            ".R..",
        ]);
    }

    #[test]
    fn put_image_rgba8_blends() {
        let mut c = Canvas::new(4, 1, Color::rgb(0, 0, 200));
        let data = [255, 0, 0, 255, 255, 0, 0, 0, 255, 100, 0, 51, 9, 9, 9, 128];
        c.put_image(Rect::new(0, 0, 4, 1), ImageFormat::Rgba8, &data, BIG);
        // 51: (255*51 + 127)/255 = 51, (100*51 + 127)/255 = 20, (200*204 + 127)/255 = 160.
        // 128: (9*128 + 127)/255 = 5, (9*128 + 200*127 + 127)/255 = 104.
        assert_eq!(
            c.pixels(),
            &[0x00ff_0000, 0x0000_00c8, 0x0033_14a0, 0x0005_0568]
        );
    }

    #[test]
    fn put_image_with_short_data_draws_nothing() {
        let mut c = blank(4, 4);
        let data = [7u8; 11];
        let rect = Rect::new(0, 0, 2, 2);
        assert!(c.put_image(rect, ImageFormat::Rgb8, &data, BIG).is_empty());
        assert!(c
            .put_image(rect, ImageFormat::Rgba8, &[7; 15], BIG)
            .is_empty());
        assert_eq!(c, blank(4, 4));
        assert!(!c
            .put_image(rect, ImageFormat::Rgb8, &[7; 12], BIG)
            .is_empty());
    }

    #[test]
    fn read_rgba_clips() {
        let mut c = blank(3, 2);
        c.fill_rect(Rect::new(1, 0, 1, 1), Color::rgb(1, 2, 3), BIG);
        let (area, bytes) = c.read_rgba(Rect::new(1, -5, 10, 6));
        assert_eq!(area, Rect::new(1, 0, 2, 1));
        assert_eq!(bytes, [1, 2, 3, 255, 0, 0, 0, 255]);
        assert_eq!(
            c.read_rgba(Rect::new(3, 0, 1, 1)),
            (Rect::default(), Vec::new())
        );
    }
}
