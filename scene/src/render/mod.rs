//! The software renderer: draws into [`Canvas`]es of `0x00RRGGBB` pixels.
//!
//! Every drawing call takes a clip rectangle, clips to it and to the canvas, and returns the
//! rectangle of pixels it may have changed so that the caller can track damage. Coordinates
//! arrive from the network, so all edge arithmetic is done in `i64` and every loop runs over
//! the clipped area only: no input value can panic the renderer or make it run long.
//!
//! # Layout
//! - `mod.rs`: [`Canvas`], clipping, spans, rectangle fills and outlines.
//! - `blend`: colors prepared for drawing and the source-over blend.
//! - `image`: image uploads, copies between and within canvases, read-back.
//! - `line`: lines and polylines; one-pixel ones by Bresenham.
//! - `capsule`: wide lines, round-capped, and the union of them that a wide polyline is.
//! - `ellipse`: filled and outlined ellipses.
//! - `drawing`: the drawing requests, carried out and costed.
//! - `text`: the shipped typefaces, their metrics and the glyph cache.

mod blend;
mod capsule;
mod drawing;
mod ellipse;
#[cfg(test)]
mod extreme;
mod image;
mod line;
#[cfg(test)]
mod pattern;
mod text;

pub(crate) use blend::{lanes, over, over8};
pub use line::SegmentsCost;
pub use text::{Fonts, LineMetrics, MAX_FONT_SIZE};

use blend::Paint;
use netui_protocol::{Color, Point, Rect, Size};

/// A 32-bit image, pixels `0x00RRGGBB` row-major: the screen, a window's backing store, a
/// pixmap.
///
/// ```
/// use netui_protocol::{Color, Rect};
/// use netui_scene::render::Canvas;
///
/// let mut canvas = Canvas::new(4, 4, Color::BLACK);
/// let damage = canvas.fill_rect(Rect::new(2, 2, 5, 5), Color::RED, canvas.bounds());
/// assert_eq!(damage, Rect::new(2, 2, 2, 2));
/// assert_eq!(canvas.pixel(3, 3), Some(0x00ff_0000));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Canvas {
    width: u32,
    height: u32,
    /// `width * height` pixels; every method keeps this length.
    pixels: Vec<u32>,
}

impl std::fmt::Debug for Canvas {
    // The pixels would flood any log, so only the size is shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Canvas")
            .field("width", &self.width)
            .field("height", &self.height)
            .finish_non_exhaustive()
    }
}

impl Canvas {
    /// A canvas filled with `fill` (its alpha is ignored: a canvas is opaque).
    ///
    /// # Panics
    /// When `width * height` pixels cannot be allocated. Sizes that come from the network
    /// should go through [`Canvas::try_new`].
    pub fn new(width: u32, height: u32, fill: Color) -> Canvas {
        let len = pixel_count(width, height).expect("canvas size overflows the address space");
        Canvas {
            width,
            height,
            pixels: vec![fill.to_xrgb(); len],
        }
    }

    /// Like [`Canvas::new`], but `None` instead of a panic when the memory is not available.
    pub fn try_new(width: u32, height: u32, fill: Color) -> Option<Canvas> {
        let len = pixel_count(width, height)?;
        let mut pixels = Vec::new();
        pixels.try_reserve_exact(len).ok()?;
        pixels.resize(len, fill.to_xrgb());
        Some(Canvas {
            width,
            height,
            pixels,
        })
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// Width and height.
    pub fn size(&self) -> Size {
        Size::new(self.width, self.height)
    }

    /// The rectangle `(0, 0, width, height)`.
    pub fn bounds(&self) -> Rect {
        Rect::new(0, 0, self.width, self.height)
    }

    /// All pixels, row-major, `0x00RRGGBB`.
    pub fn pixels(&self) -> &[u32] {
        &self.pixels
    }

    /// All pixels, for a backend that draws on its own. The top byte of each pixel should stay 0.
    pub fn pixels_mut(&mut self) -> &mut [u32] {
        &mut self.pixels
    }

    /// The pixel at `(x, y)`, or `None` outside the canvas.
    pub fn pixel(&self, x: i32, y: i32) -> Option<u32> {
        if !self.bounds().contains(Point::new(x, y)) {
            return None;
        }
        // Both are non-negative and inside the canvas after the check above.
        let index = y as usize * self.width as usize + x as usize;
        self.pixels.get(index).copied()
    }

    /// New size; the old contents stay at the top-left where they fit, new area gets `fill`.
    ///
    /// # Panics
    /// When the new size cannot be allocated, as [`Canvas::new`].
    pub fn resize(&mut self, width: u32, height: u32, fill: Color) {
        if (width, height) == (self.width, self.height) {
            return;
        }
        let mut resized = Canvas::new(width, height, fill);
        let keep = width.min(self.width) as usize;
        if keep > 0 {
            let rows = self.pixels.chunks_exact(self.width as usize);
            for (new_row, old_row) in resized.pixels.chunks_exact_mut(width as usize).zip(rows) {
                new_row[..keep].copy_from_slice(&old_row[..keep]);
            }
        }
        *self = resized;
    }

    /// Fills `rect` with `color`.
    pub fn fill_rect(&mut self, rect: Rect, color: Color, clip: Rect) -> Rect {
        self.fill_rects(&[rect], color, clip)
    }

    /// Fills rectangles with `color`, the color prepared and the clip found once for all of
    /// them; returns the box of what was filled.
    pub fn fill_rects(&mut self, rects: &[Rect], color: Color, clip: Rect) -> Rect {
        let (Some(paint), Some(area)) = (Paint::new(color), self.area(clip)) else {
            return Rect::default();
        };
        let mut damage = Damage::new();
        if large(rects, area) && rayon_core::current_thread_index().is_some() {
            self.rows().share_out(rects, area, &paint, &mut damage);
        } else {
            // A batch inside the clip (as a batch of small rectangles mostly is) is filled
            // without clipping each one, and adds one box to the damage.
            let reach = rects_box(rects);
            if area.contains(reach.0) {
                for &rect in rects {
                    self.fill_area(Area::of(rect), &paint);
                }
                return reach.to_rect();
            }
            for &rect in rects {
                let visible = Area::of(rect).intersect(area);
                self.fill_area(visible, &paint);
                damage.add(visible);
            }
        }
        damage.to_rect()
    }

    /// Outline drawn inside `rect`, `width` pixels thick (0 means 1). An outline thicker than
    /// half the rectangle fills it.
    pub fn stroke_rect(&mut self, rect: Rect, width: u16, color: Color, clip: Rect) -> Rect {
        let (Some(paint), Some(area)) = (Paint::new(color), self.area(clip)) else {
            return Rect::default();
        };
        let outer = Area::of(rect);
        let w = i64::from(width.max(1));
        if outer.is_empty() {
            return Rect::default();
        }
        if 2 * w >= outer.right - outer.left || 2 * w >= outer.bottom - outer.top {
            let visible = outer.intersect(area);
            self.fill_area(visible, &paint);
            return visible.to_rect();
        }
        let Area {
            left: l,
            top: t,
            right: r,
            bottom: b,
        } = outer;
        // Four bands that do not overlap, so a translucent outline is blended once per pixel.
        let bands = [
            Area::new(l, t, r, t + w),
            Area::new(l, b - w, r, b),
            Area::new(l, t + w, l + w, b - w),
            Area::new(r - w, t + w, r, b - w),
        ];
        let mut damage = Damage::new();
        for band in bands {
            let visible = band.intersect(area);
            self.fill_area(visible, &paint);
            damage.add(visible);
        }
        damage.to_rect()
    }

    /// The part of `clip` inside the canvas, or `None` when nothing can be drawn.
    fn area(&self, clip: Rect) -> Option<Area> {
        let area = Area::of(clip).intersect(Area::of(self.bounds()));
        (!area.is_empty()).then_some(area)
    }

    /// The pixels `left..right` of row `y`. The caller has clipped the span to the canvas; a
    /// span outside it (which would be a bug) gives an empty slice rather than a panic.
    fn row_mut(&mut self, y: i64, left: i64, right: i64) -> &mut [u32] {
        let start = y as usize * self.width as usize + left as usize;
        let end = start + (right - left).max(0) as usize;
        self.pixels.get_mut(start..end).unwrap_or_default()
    }

    /// Paints an area already clipped to the canvas (possibly empty).
    fn fill_area(&mut self, area: Area, paint: &Paint) {
        if area.is_empty() {
            return;
        }
        if paint.is_opaque() && area.right - area.left >= COPY_ROWS && area.bottom - area.top > 1 {
            self.fill_area_by_copies(area, paint);
            return;
        }
        for y in area.top..area.bottom {
            paint.fill(self.row_mut(y, area.left, area.right));
        }
    }

    /// An opaque fill of wide rows: the first row filled, the others copied from it, with
    /// the C library's copy, which uses the widest stores the CPU has (a 500x500 fill at
    /// scattered places: 28% faster, `cargo bench --bench render fill_rect`). Kept out of
    /// line: inlined, it made a 10x10 fill 10-30% slower.
    #[inline(never)]
    fn fill_area_by_copies(&mut self, area: Area, paint: &Paint) {
        let width = (area.right - area.left) as usize;
        let stride = self.width as usize;
        let first = area.top as usize * stride + area.left as usize;
        let split = (first + stride).min(self.pixels.len());
        let (head, tail) = self.pixels.split_at_mut(split);
        let Some(row) = head.get_mut(first..first + width) else {
            return;
        };
        paint.fill(row);
        // `tail` starts at the second row's `area.left`.
        let rows = (area.bottom - area.top) as usize;
        for start in (0..rows.saturating_sub(1)).map(|y| y * stride) {
            if let Some(dst) = tail.get_mut(start..start + width) {
                dst.copy_from_slice(row);
            }
        }
    }

    /// Every row of the canvas.
    fn rows(&mut self) -> Rows<'_> {
        Rows {
            pixels: &mut self.pixels,
            width: self.width as usize,
            top: 0,
        }
    }

    /// Paints the pixels `x0..=x1` of row `y` that lie in `area` and records them in `damage`.
    fn span(&mut self, y: i64, x0: i64, x1: i64, paint: &Paint, area: &Area, damage: &mut Damage) {
        if y < area.top || y >= area.bottom {
            return;
        }
        let left = x0.max(area.left);
        // `x1` may be as large as i64::MAX, so clip before adding one.
        let right = x1.min(area.right - 1) + 1;
        if left >= right {
            return;
        }
        paint.fill(self.row_mut(y, left, right));
        damage.add(Area::new(left, y, right, y + 1));
    }
}

/// The narrowest opaque fill whose rows are copied from its first (see
/// `Canvas::fill_area_by_copies`).
const COPY_ROWS: i64 = 128;

/// The fewest pixels of a fill of rectangles that is shared out between threads, when its
/// caller runs in a pool of them (the display server's core does): about 20 us of one
/// thread's filling: sharing a smaller fill costs more than it saves. app-lib merges
/// x11perf's calls into requests of up to 4,096 rectangles: rect10's (410 K pixels),
/// rect100's and rect500's are above it, rect1's below.
const BAND_MIN_PIXELS: u64 = 160 * 1024;
/// The rectangles whose pixels stand for all of a fill's in [`large`].
const SAMPLE: usize = 8;

/// Whether a fill of `rects` within `area` has [`BAND_MIN_PIXELS`] or more, estimated from
/// its first rectangles (at a constant cost: a loop over every rectangle would slow the
/// fills of many small ones, which are mostly that loop). Out of line, so that the loop of
/// small fills after it compiles as it did without it.
#[inline(never)]
fn large(rects: &[Rect], area: Area) -> bool {
    let sample = rects.get(..SAMPLE).unwrap_or(rects);
    let sampled: u64 = sample
        .iter()
        .map(|&rect| Area::of(rect).intersect(area).pixels())
        .sum();
    sampled.saturating_mul(rects.len() as u64)
        >= BAND_MIN_PIXELS.saturating_mul(sample.len() as u64)
}

/// What [`Canvas::draw_cost`] needs of a batch of rectangles (filled or stroked) when they
/// all lie inside the clip: found once where the request is decoded, as [`SegmentsCost`] is
/// for segments, so that the thread that draws does not read the batch twice (x11perf's
/// rect1 spent 8% of the drawing thread's time costing its batches).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RectsCost {
    /// The box of the rectangles that are not empty.
    reach: Area,
    /// The sum of their pixels.
    sum: u64,
}

impl RectsCost {
    /// The summary of `rects`.
    pub fn of(rects: &[Rect]) -> RectsCost {
        let sum = rects.iter().map(|r| r.size().area());
        RectsCost {
            reach: rects_box(rects).0,
            sum: sum.fold(0, u64::saturating_add),
        }
    }
}

/// The box of the rectangles that are not empty (empty when all are).
fn rects_box(rects: &[Rect]) -> Damage {
    let mut reach = Damage::new();
    for &rect in rects {
        reach.add(Area::of(rect));
    }
    reach
}

impl Canvas {
    /// [`Canvas::draw_cost`] of a batch of rectangles from their [`RectsCost`], when it tells:
    /// every rectangle inside the clip (each then costs its pixels). `None` when the
    /// rectangles must be read.
    pub fn rects_cost(&self, summary: &RectsCost, clip: Rect) -> Option<u64> {
        let area = self.area(clip)?;
        let reach = summary.reach;
        (reach.is_empty() || area.contains(reach)).then_some(summary.sum)
    }
}

/// Rows `top..` of a canvas's pixels: all of them, or a band that one thread paints while
/// another paints the rest. Areas are in the canvas's coordinates, clipped to the canvas.
struct Rows<'a> {
    pixels: &'a mut [u32],
    width: usize,
    top: i64,
}

impl Rows<'_> {
    /// The row after the last.
    fn bottom(&self) -> i64 {
        self.top + (self.pixels.len() / self.width.max(1)) as i64
    }

    /// The index of pixel `x` of row `y`. Callers clip to these rows first; a pixel outside
    /// them (a bug) gives an index beyond the pixels, not a panic.
    fn index(&self, y: i64, x: i64) -> usize {
        ((y - self.top) as usize)
            .wrapping_mul(self.width)
            .wrapping_add(x as usize)
    }

    /// The pixels `left..right` of row `y` (see [`Rows::index`]).
    fn row_mut(&mut self, y: i64, left: i64, right: i64) -> &mut [u32] {
        let start = self.index(y, left);
        let end = start.wrapping_add((right - left).max(0) as usize);
        self.pixels.get_mut(start..end).unwrap_or_default()
    }

    /// Fills `rects` within `clip`, shared out between the threads of the caller's pool,
    /// and adds what they paint to `damage`. Out of line, so that the loop of small fills
    /// stays as compact as it was.
    #[inline(never)]
    fn share_out(&mut self, rects: &[Rect], clip: Area, paint: &Paint, damage: &mut Damage) {
        let fill = |rows: &mut Rows<'_>, clip: Area| {
            let mut damage = Damage::new();
            for &rect in rects {
                let visible = Area::of(rect).intersect(clip);
                rows.fill_area(visible, paint);
                damage.add(visible);
            }
            damage
        };
        let reach = rects_box(rects);
        let bands = rayon_core::current_num_threads();
        damage.merge(self.in_bands(clip.intersect(reach.0), bands, &fill));
    }

    /// Paints `clip` with `paint` (which draws within the rows and clip it is given and
    /// returns what it drew) in `bands` bands of rows at once, on the caller's pool of
    /// threads. The bands are of equal height, so the clip should be no larger than the box
    /// of what is drawn (or one thread gets the rows that the drawing leaves out). Each band
    /// gets all of the drawing within its rows, so when `paint` draws each of its shapes'
    /// pixels in those rows as it would draw them in all of them, in order, every pixel gets
    /// what one thread gives it.
    fn in_bands<F>(&mut self, clip: Area, bands: usize, paint: &F) -> Damage
    where
        F: Fn(&mut Rows<'_>, Area) -> Damage + Sync,
    {
        let (top, bottom) = (clip.top.max(self.top), clip.bottom.min(self.bottom()));
        if bands > 1 && bottom - top >= 2 {
            let middle = top + (bottom - top) / 2;
            let (mut upper, mut lower) = self.split_at(middle);
            let upper_clip = Area {
                bottom: middle,
                ..clip
            };
            let lower_clip = Area {
                top: middle,
                ..clip
            };
            let half = bands / 2;
            let (mut damage, lower_damage) = rayon_core::join(
                || upper.in_bands(upper_clip, bands - half, paint),
                || lower.in_bands(lower_clip, half, paint),
            );
            damage.merge(lower_damage);
            return damage;
        }
        paint(self, clip)
    }

    /// The rows above `y` and the rows from `y` on.
    fn split_at(&mut self, y: i64) -> (Rows<'_>, Rows<'_>) {
        let at = ((y - self.top).max(0) as usize * self.width).min(self.pixels.len());
        let (upper, lower) = self.pixels.split_at_mut(at);
        (
            Rows {
                pixels: upper,
                width: self.width,
                top: self.top,
            },
            Rows {
                pixels: lower,
                width: self.width,
                top: y,
            },
        )
    }

    /// Paints an area already clipped to these rows (possibly empty): `Canvas::fill_area`
    /// for a band. The canvas keeps its own copy of the two: the loop of small fills through
    /// these compiled slower (`drawbench --seconds 1 rect1`, seven runs of each build in
    /// turn: median 62.5 M rectangles a second against 66.7 M with the copy, 67.9 M before).
    fn fill_area(&mut self, area: Area, paint: &Paint) {
        if area.is_empty() {
            return;
        }
        if paint.is_opaque() && area.right - area.left >= COPY_ROWS && area.bottom - area.top > 1 {
            self.fill_area_by_copies(area, paint);
            return;
        }
        for y in area.top..area.bottom {
            paint.fill(self.row_mut(y, area.left, area.right));
        }
    }

    /// `Canvas::fill_area_by_copies` for a band.
    #[inline(never)]
    fn fill_area_by_copies(&mut self, area: Area, paint: &Paint) {
        let width = (area.right - area.left) as usize;
        let stride = self.width;
        let first = self.index(area.top, area.left);
        let split = first.saturating_add(stride).min(self.pixels.len());
        let (head, tail) = self.pixels.split_at_mut(split);
        let Some(row) = head.get_mut(first..first.saturating_add(width)) else {
            return;
        };
        paint.fill(row);
        // `tail` starts at the second row's `area.left`.
        let rows = (area.bottom - area.top) as usize;
        for start in (0..rows.saturating_sub(1)).map(|y| y * stride) {
            if let Some(dst) = tail.get_mut(start..start + width) {
                dst.copy_from_slice(row);
            }
        }
    }
}

/// `width * height` as a `usize`, if it fits.
fn pixel_count(width: u32, height: u32) -> Option<usize> {
    usize::try_from(width)
        .ok()?
        .checked_mul(usize::try_from(height).ok()?)
}

/// A rectangle as `i64` edges, `left..right` by `top..bottom`: wide enough that no sum of two
/// wire coordinates overflows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Area {
    left: i64,
    top: i64,
    right: i64,
    bottom: i64,
}

impl Area {
    fn new(left: i64, top: i64, right: i64, bottom: i64) -> Area {
        Area {
            left,
            top,
            right,
            bottom,
        }
    }

    fn of(rect: Rect) -> Area {
        Area::new(rect.x.into(), rect.y.into(), rect.right(), rect.bottom())
    }

    fn intersect(self, other: Area) -> Area {
        Area::new(
            self.left.max(other.left),
            self.top.max(other.top),
            self.right.min(other.right),
            self.bottom.min(other.bottom),
        )
    }

    /// Whether `other` is inside, and not empty.
    fn contains(self, other: Area) -> bool {
        !other.is_empty()
            && other.left >= self.left
            && other.top >= self.top
            && other.right <= self.right
            && other.bottom <= self.bottom
    }

    /// Whether the pixel at `p` is inside.
    fn holds(self, p: Point) -> bool {
        let (x, y) = (i64::from(p.x), i64::from(p.y));
        x >= self.left && x < self.right && y >= self.top && y < self.bottom
    }

    fn is_empty(self) -> bool {
        self.left >= self.right || self.top >= self.bottom
    }

    /// How many pixels it holds.
    fn pixels(self) -> u64 {
        if self.is_empty() {
            0
        } else {
            (self.right - self.left) as u64 * (self.bottom - self.top) as u64
        }
    }

    fn width(self) -> usize {
        (self.right - self.left).max(0) as usize
    }

    /// The wire rectangle; every empty area becomes the default (empty) rectangle.
    fn to_rect(self) -> Rect {
        if self.is_empty() {
            Rect::default()
        } else {
            Rect::from_edges(self.left, self.top, self.right, self.bottom)
        }
    }
}

/// The bounding box of what a call has drawn so far.
#[derive(Debug, Clone, Copy)]
struct Damage(Area);

impl Damage {
    fn new() -> Damage {
        // Inverted, so that the first `add` sets every edge.
        Damage(Area::new(i64::MAX, i64::MAX, i64::MIN, i64::MIN))
    }

    fn add(&mut self, area: Area) {
        if area.is_empty() {
            return;
        }
        let d = &mut self.0;
        *d = Area::new(
            d.left.min(area.left),
            d.top.min(area.top),
            d.right.max(area.right),
            d.bottom.max(area.bottom),
        );
    }

    /// Adds what `other` holds.
    fn merge(&mut self, other: Damage) {
        self.add(other.0);
    }

    fn to_rect(self) -> Rect {
        self.0.to_rect()
    }
}

/// The peak signal-to-noise ratio of `b` against `a`, in decibels, over the red, green and
/// blue bytes of `0x00RRGGBB` pixels: how close a lossy picture (JPEG) is to the original.
/// Equal pictures give infinity; pictures of different lengths compare their common part.
pub fn psnr(a: &[u32], b: &[u32]) -> f64 {
    let mut squared = 0u64;
    for (&p, &q) in a.iter().zip(b) {
        for shift in [0, 8, 16] {
            let d = i64::from((p >> shift) & 0xff) - i64::from((q >> shift) & 0xff);
            squared += (d * d) as u64;
        }
    }
    let samples = (a.len().min(b.len()) * 3).max(1) as f64;
    let mse = squared as f64 / samples;
    if mse == 0.0 {
        f64::INFINITY
    } else {
        10.0 * (255.0 * 255.0 / mse).log10()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn psnr_is_infinite_for_equal_pictures_and_falls_with_the_error() {
        let a = [0x0010_2030u32; 100];
        assert_eq!(super::psnr(&a, &a), f64::INFINITY);
        let mut b = a;
        b[0] = 0x0011_2030; // one sample off by one: MSE 1/300
        let close = super::psnr(&a, &b);
        assert!((close - 10.0 * (65025.0f64 * 300.0).log10()).abs() < 1e-9);
        b[1] = 0x00ff_ffff;
        assert!(super::psnr(&a, &b) < close);
    }

    use super::pattern::{assert_picture, blank};
    use super::*;

    const BIG: Rect = Rect::new(i32::MIN, i32::MIN, u32::MAX, u32::MAX);

    #[test]
    fn fill_rect_clips_to_canvas_and_clip() {
        let mut c = blank(6, 4);
        let damage = c.fill_rect(Rect::new(-2, 1, 5, 9), Color::WHITE, BIG);
        assert_eq!(damage, Rect::new(0, 1, 3, 3));
        let damage = c.fill_rect(Rect::new(2, 0, 4, 4), Color::RED, Rect::new(4, 1, 10, 2));
        assert_eq!(damage, Rect::new(4, 1, 2, 2));
        #[rustfmt::skip]
        assert_picture(&c, &[
            "......",
            "###.RR",
            "###.RR",
            "###...",
        ]);
    }

    /// Fills `COPY_ROWS` wide or wider copy their first row to the others: every pixel is
    /// checked against the rectangle, at the canvas's edges and one row high too.
    #[test]
    fn wide_fills_light_exactly_their_rectangle() {
        let (w, h) = (300, 40);
        for rect in [
            Rect::new(10, 5, 200, 30),
            Rect::new(-50, -3, 400, 10),
            Rect::new(100, 39, 150, 5),
            Rect::new(0, 0, 300, 1),
            Rect::new(171, 0, 129, 40),
        ] {
            let mut c = Canvas::new(w, h, Color::rgb(1, 2, 3));
            let damage = c.fill_rect(rect, Color::RED, BIG);
            assert!(!damage.is_empty(), "{rect:?}");
            for y in 0..h as i32 {
                for x in 0..w as i32 {
                    let inside = x >= rect.x && i64::from(x) < rect.right() && y >= rect.y;
                    let inside = inside && y < rect.y + rect.height as i32;
                    let want = if inside { 0x00ff_0000 } else { 0x0001_0203 };
                    assert_eq!(c.pixel(x, y), Some(want), "{rect:?} at {x}, {y}");
                }
            }
        }
    }

    /// A fill large enough to be shared out between the threads of the caller's pool paints
    /// every pixel as one thread does: rectangles that overlap in both bands, translucent
    /// over opaque, wide (copied rows) and narrow, clipped, at the canvas's edges, and a band
    /// boundary that falls inside a rectangle.
    #[test]
    fn a_fill_shared_between_threads_paints_what_one_thread_paints() {
        let pool = rayon_core::ThreadPoolBuilder::new()
            .num_threads(3)
            .build()
            .expect("a pool");
        let (w, h) = (640, 480);
        let rects = [
            Rect::new(-20, -10, 700, 300),
            Rect::new(100, 100, 90, 379),
            Rect::new(300, 239, 300, 2),
            Rect::new(50, 400, 600, 200),
            Rect::new(600, -5, 40, 490),
        ];
        let clips = [BIG, Rect::new(30, 20, 500, 401), Rect::new(0, 240, 640, 1)];
        for color in [Color::RED, Color::rgba(20, 200, 90, 128)] {
            for clip in clips {
                let background = Canvas::new(w, h, Color::rgb(1, 2, 3));
                let (mut alone, mut shared) = (background.clone(), background);
                alone.fill_rect(Rect::new(0, 0, w, h), Color::rgba(9, 9, 9, 77), BIG);
                shared.fill_rect(Rect::new(0, 0, w, h), Color::rgba(9, 9, 9, 77), BIG);
                assert_eq!(rayon_core::current_thread_index(), None);
                let want = alone.fill_rects(&rects, color, clip);
                let got = pool.install(|| {
                    assert!(rayon_core::current_num_threads() > 1);
                    shared.fill_rects(&rects, color, clip)
                });
                assert_eq!(got, want, "{color:?} in {clip:?}: damage");
                assert!(
                    alone.pixels() == shared.pixels(),
                    "{color:?} in {clip:?}: pixels differ"
                );
            }
        }
    }

    /// A batch of rectangles paints each pixel as blending each rectangle in turn does, and
    /// its damage is the box of what it painted: small rectangles, overlapping (translucent,
    /// so the order shows), empty ones, all inside the clip (the batch's one box) and some
    /// cut by it or by the canvas.
    #[test]
    fn a_batch_of_rectangles_paints_each_in_turn() {
        let (w, h) = (40, 30);
        let inside = [
            Rect::new(3, 4, 1, 1),
            Rect::new(5, 5, 10, 10),
            Rect::new(9, 9, 10, 10),
            Rect::new(30, 2, 0, 5),
            Rect::new(20, 20, 7, 1),
        ];
        let mut cut = inside.to_vec();
        cut.extend([Rect::new(-3, 25, 8, 8), Rect::new(35, -1, 9, 3)]);
        let color = Color::rgba(200, 100, 50, 128);
        let paint = Paint::new(color).unwrap();
        for (rects, clip) in [
            (&inside[..], BIG),
            (&inside[..], Rect::new(4, 4, 12, 12)),
            (&cut[..], BIG),
        ] {
            let mut c = Canvas::new(w, h, Color::rgb(1, 2, 3));
            let damage = c.fill_rects(rects, color, clip);
            let mut want = Canvas::new(w, h, Color::rgb(1, 2, 3));
            let mut want_damage = Rect::default();
            for rect in rects {
                let visible = rect.intersect(clip).intersect(want.bounds());
                want_damage = want_damage.union(visible);
                for y in visible.y..visible.bottom() as i32 {
                    for x in visible.x..visible.right() as i32 {
                        let i = y as usize * w as usize + x as usize;
                        want.pixels[i] = paint.over(want.pixels[i]);
                    }
                }
            }
            assert!(c.pixels() == want.pixels(), "{clip:?}: pixels differ");
            assert_eq!(damage, want_damage, "{clip:?}");
        }
    }

    #[test]
    fn fill_rect_with_nothing_to_do() {
        let mut c = blank(4, 4);
        let before = c.clone();
        assert!(c
            .fill_rect(Rect::new(1, 1, 2, 2), Color::rgba(255, 0, 0, 0), BIG)
            .is_empty());
        assert!(c
            .fill_rect(Rect::new(1, 1, 0, 2), Color::RED, BIG)
            .is_empty());
        assert!(c
            .fill_rect(Rect::new(4, 0, 2, 2), Color::RED, BIG)
            .is_empty());
        assert!(c
            .fill_rect(Rect::new(0, 0, 2, 2), Color::RED, Rect::new(2, 2, 2, 2))
            .is_empty());
        assert_eq!(c, before);
    }

    #[test]
    fn translucent_fill_blends() {
        let mut c = Canvas::new(2, 1, Color::rgb(0, 0, 200));
        c.fill_rect(Rect::new(0, 0, 1, 1), Color::rgba(255, 100, 0, 51), BIG);
        // (255*51 + 0*204 + 127) / 255 = 51; (100*51 + 127) / 255 = 20; (200*204 + 127) / 255 = 160.
        assert_eq!(c.pixels(), &[0x0033_14a0, 0x0000_00c8]);
    }

    #[test]
    fn stroke_rect_draws_inside() {
        let mut c = blank(8, 7);
        let damage = c.stroke_rect(Rect::new(1, 1, 6, 5), 0, Color::WHITE, BIG);
        assert_eq!(damage, Rect::new(1, 1, 6, 5));
        c.stroke_rect(Rect::new(2, 2, 4, 3), 2, Color::RED, BIG);
        #[rustfmt::skip]
        assert_picture(&c, &[
            "........",
            ".######.",
            ".#RRRR#.",
            ".#RRRR#.",
            ".#RRRR#.",
            ".######.",
            "........",
        ]);
    }

    #[test]
    fn stroke_rect_thick_and_clipped() {
        let mut c = blank(9, 8);
        let damage = c.stroke_rect(
            Rect::new(0, 0, 9, 8),
            2,
            Color::WHITE,
            Rect::new(0, 0, 9, 5),
        );
        assert_eq!(damage, Rect::new(0, 0, 9, 5));
        #[rustfmt::skip]
        assert_picture(&c, &[
            "#########",
            "#########",
            "##.....##",
            "##.....##",
            "##.....##",
            ".........",
            ".........",
            ".........",
        ]);
    }

    #[test]
    fn translucent_stroke_blends_each_pixel_once() {
        let mut c = blank(5, 5);
        c.stroke_rect(
            Rect::new(0, 0, 5, 5),
            1,
            Color::rgba(255, 255, 255, 128),
            BIG,
        );
        let ring: Vec<u32> = c.pixels().iter().copied().filter(|&p| p != 0).collect();
        assert_eq!(ring.len(), 16);
        assert!(ring.iter().all(|&p| p == 0x0080_8080));
    }

    #[test]
    fn pixel_and_bounds() {
        let c = Canvas::new(3, 2, Color::rgb(1, 2, 3));
        assert_eq!(c.size(), Size::new(3, 2));
        assert_eq!(c.bounds(), Rect::new(0, 0, 3, 2));
        assert_eq!(c.pixel(2, 1), Some(0x0001_0203));
        assert_eq!(c.pixel(3, 1), None);
        assert_eq!(c.pixel(-1, 0), None);
        assert_eq!(c.pixel(i32::MAX, i32::MAX), None);
        assert_eq!(c.pixels().len(), 6);
    }

    #[test]
    fn resize_keeps_top_left() {
        let mut c = blank(3, 3);
        c.fill_rect(Rect::new(0, 0, 2, 2), Color::WHITE, BIG);
        c.fill_rect(Rect::new(2, 2, 1, 1), Color::RED, BIG);
        c.resize(4, 2, Color::GREEN);
        #[rustfmt::skip]
        assert_picture(&c, &[
            "##.G",
            "##.G",
        ]);
        c.resize(2, 3, Color::BLUE);
        #[rustfmt::skip]
        assert_picture(&c, &[
            "##",
            "##",
            "BB",
        ]);
        c.resize(0, 5, Color::BLUE);
        assert_eq!((c.width(), c.height(), c.pixels().len()), (0, 5, 0));
        c.resize(1, 1, Color::RED);
        assert_eq!(c.pixels(), &[0x00ff_0000]);
    }

    #[test]
    fn try_new_refuses_impossible_sizes() {
        assert!(Canvas::try_new(u32::MAX, u32::MAX, Color::BLACK).is_none());
        assert_eq!(
            Canvas::try_new(2, 2, Color::WHITE),
            Some(Canvas::new(2, 2, Color::WHITE))
        );
    }
}
