//! Text: the two shipped typefaces, their metrics, and a cache of rasterized glyphs.
//!
//! Glyphs are placed at whole pixels (the pen advances by each glyph's rounded advance, no
//! kerning), so one coverage bitmap per (font, size, char) serves every position, and a client
//! can measure text exactly with the same fonts. The cache holds metrics for every glyph seen
//! and bitmaps for the glyphs actually drawn; it is emptied when it grows past a bound, since
//! a client can ask for any of a million characters at 512 sizes.

use super::blend::{lanes, mul255, over, over8};
use super::{Area, Canvas, Damage};
use netui_protocol::font::{drawn_size, FontMetrics, FontSet, FIRST_CHAR, LAST_CHAR};
use netui_protocol::{Color, Font, Point, Rect};

pub use netui_protocol::font::{LineMetrics, MAX_FONT_SIZE};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::OnceLock;

/// The cache is emptied when its bitmaps pass this many bytes...
const CACHE_BYTES: usize = 32 << 20;
/// ... or it holds this many glyphs.
const CACHE_GLYPHS: usize = 1 << 16;

const SANS: &[u8] = include_bytes!("../../fonts/DejaVuSans.ttf");
const MONO: &[u8] = include_bytes!("../../fonts/DejaVuSansMono.ttf");

/// The two shipped typefaces (DejaVu Sans and DejaVu Sans Mono) and a glyph cache keyed by
/// (font, size, char).
///
/// The faces are parsed once per process and shared (they never change); each `Fonts` has
/// its own cache. So a [`crate::Scene`] or a viewer's window is cheap to make: a thin client
/// makes a scene at every mode switch, and a fuzz target one per input.
pub struct Fonts {
    sans: &'static fontdue::Font,
    mono: &'static fontdue::Font,
    /// The cached glyphs.
    glyphs: Vec<Glyph>,
    /// Where each key's glyph is in `glyphs`.
    index: HashMap<u64, usize, BuildHasherDefault<KeyHasher>>,
    /// The key and place of the glyph last looked up for each value of a char's low seven
    /// bits (`NO_KEY` for none): one compare a char for a line of ASCII text in one font and
    /// size, where the map's lookup made `glyph` 14 % of drawbench's `ftext` profile.
    recent: Box<[(u64, usize); 128]>,
    /// Bytes of bitmaps (coverage and lanes) held by `glyphs`.
    bytes: usize,
}

/// A key no glyph has (a font is 0 or 1 in bits 48 and up).
const NO_KEY: u64 = u64::MAX;

impl std::fmt::Debug for Fonts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fonts")
            .field("cached_glyphs", &self.glyphs.len())
            .field("cached_bytes", &self.bytes)
            .finish_non_exhaustive()
    }
}

impl Default for Fonts {
    fn default() -> Self {
        Fonts::new()
    }
}

impl Fonts {
    /// The shipped typefaces (parsed on the first call in the process), with an empty cache.
    pub fn new() -> Fonts {
        static FACES: OnceLock<(fontdue::Font, fontdue::Font)> = OnceLock::new();
        let (sans, mono) = FACES.get_or_init(|| {
            let load = |bytes: &'static [u8]| {
                fontdue::Font::from_bytes(bytes, fontdue::FontSettings::default())
                    // The files are compiled in and a test loads them, so this cannot fail at
                    // run time.
                    .expect("the shipped fonts parse")
            };
            (load(SANS), load(MONO))
        });
        Fonts {
            sans,
            mono,
            glyphs: Vec::new(),
            index: HashMap::default(),
            recent: Box::new([(NO_KEY, 0); 128]),
            bytes: 0,
        }
    }

    /// Ascent (pixels above the baseline, rounded up), descent (below it, rounded up) and line
    /// height at `size` pixels per em. Size 0 measures zero; sizes above [`MAX_FONT_SIZE`]
    /// measure as that size.
    pub fn line_metrics(&self, font: Font, size: u16) -> LineMetrics {
        let Some(size) = drawn_size(size) else {
            return LineMetrics::default();
        };
        let px = f32::from(size);
        let (ascent, descent, height) = match self.face(font).horizontal_line_metrics(px) {
            Some(m) => (m.ascent, -m.descent, m.new_line_size),
            // DejaVu has these metrics; this is only a sane default.
            None => (px, px / 4.0, px * 1.25),
        };
        // Font sizes are at most 512, so these are small numbers.
        let ascent = ascent.ceil().max(0.0) as i32;
        let descent = descent.ceil().max(0.0) as i32;
        LineMetrics {
            ascent,
            descent,
            line_height: (height.ceil() as i32).max(ascent + descent),
        }
    }

    /// Width in pixels of a line of text: the sum of the rounded advances, no kerning (the
    /// same advances [`Canvas::text`] uses). Control characters have no width.
    pub fn text_width(&mut self, font: Font, size: u16, text: &str) -> u32 {
        let Some(size) = drawn_size(size) else {
            return 0;
        };
        let sum: u64 = text
            .chars()
            .filter(|c| !c.is_control())
            .map(|c| self.glyph(font, size, c, |_| false).advance as u64)
            .sum();
        u32::try_from(sum).unwrap_or(u32::MAX)
    }

    /// The metrics of both typefaces in font units, as the welcome sends them to clients
    /// (measured once per process, as the faces are shared).
    pub fn metrics(&self) -> FontSet {
        static METRICS: OnceLock<FontSet> = OnceLock::new();
        METRICS
            .get_or_init(|| FontSet {
                sans: units(self.sans),
                mono: units(self.mono),
            })
            .clone()
    }

    fn face(&self, font: Font) -> &fontdue::Font {
        match font {
            Font::Sans => self.sans,
            Font::Mono => self.mono,
        }
    }

    /// The cached glyph, measured if new, and rasterized if `draw` says its bitmap is needed.
    fn glyph(
        &mut self,
        font: Font,
        size: u16,
        c: char,
        draw: impl FnOnce(&Glyph) -> bool,
    ) -> &Glyph {
        if self.bytes > CACHE_BYTES || self.glyphs.len() >= CACHE_GLYPHS {
            self.glyphs.clear();
            self.index.clear();
            self.recent.fill((NO_KEY, 0));
            self.bytes = 0;
        }
        let face = match font {
            Font::Sans => self.sans,
            Font::Mono => self.mono,
        };
        let px = f32::from(size);
        let key = (font as u64) << 48 | u64::from(size) << 32 | u64::from(c);
        let recent = &mut self.recent[c as usize % 128];
        if recent.0 != key {
            let glyphs = &mut self.glyphs;
            let at = *self.index.entry(key).or_insert_with(|| {
                glyphs.push(Glyph::new(&face.metrics(c, px), None));
                glyphs.len() - 1
            });
            *recent = (key, at);
        }
        let at = recent.1;
        // Every place in `index` and `recent` is one that a push gave, and they are emptied
        // with `glyphs`.
        let glyph = &mut self.glyphs[at];
        if glyph.bitmap.is_none() && draw(glyph) {
            let (m, coverage) = face.rasterize(c, px);
            let bitmap = Bitmap::new(m.width, coverage);
            self.bytes += bitmap.bytes();
            *glyph = Glyph::new(&m, Some(bitmap));
        }
        glyph
    }
}

/// A face's measures in font units: measured at one pixel per unit, where fontdue's scale is 1.
fn units(face: &fontdue::Font) -> FontMetrics {
    let upem = face.units_per_em();
    let advance = |c: char| {
        face.metrics(c, upem)
            .advance_width
            .round()
            .clamp(0.0, 65535.0) as u16
    };
    let line = face.horizontal_line_metrics(upem);
    let (ascent, descent, gap) = line.map_or((upem, -upem / 4.0, 0.0), |m| {
        (m.ascent, m.descent, m.line_gap)
    });
    let clamp = |v: f32| v.round().clamp(-32768.0, 32767.0) as i16;
    FontMetrics {
        units_per_em: upem.round().clamp(1.0, 65535.0) as u16,
        ascent: clamp(ascent),
        descent: clamp(descent),
        line_gap: clamp(gap),
        advances: (FIRST_CHAR..=LAST_CHAR)
            .map(|c| char::from_u32(c).map_or(0, advance))
            .collect(),
        default_advance: advance('?'),
    }
}

/// One glyph at one size: where its bitmap goes relative to the pen on the baseline.
#[derive(Debug, Clone)]
struct Glyph {
    /// Rounded advance, never negative, so that the pen only moves right.
    advance: i32,
    /// Bitmap offset from the pen: right, and down (negative: above the baseline).
    left: i32,
    top: i32,
    width: usize,
    height: usize,
    /// The coverage, once rasterized.
    bitmap: Option<Bitmap>,
}

/// A glyph's coverage, as rasterized and as the lanes that [`over8`] blends.
#[derive(Debug, Clone)]
struct Bitmap {
    /// `width * height` coverage bytes, row-major.
    coverage: Box<[u8]>,
    /// The width rounded up to a multiple of four: the pixels that `pairs` may blend.
    padded: usize,
    /// The rows cut in quads (four pixels) and those with any coverage taken two at a time,
    /// eight pixels for one [`over8`]: each quad's row and first column in the bitmap.
    /// Pairing quads, not the rows' groups of eight, makes 18 % fewer blends at 12 px
    /// (rows of five to eight pixels; narrow glyphs pair two rows) and 30 % fewer at 24 px.
    /// An odd quad out is paired with itself through zero coverage (see `Canvas::quads`).
    pairs: Box<[[(u32, u32); 2]]>,
    /// Each pair's coverage, each byte four times (a pixel's channels), and zeros past the
    /// bitmap's right edge (which leave a pixel as it is).
    lanes: Box<[[u8; 32]]>,
}

impl Bitmap {
    fn new(width: usize, coverage: Vec<u8>) -> Bitmap {
        let mut quads = Vec::new();
        if width > 0 {
            for (y, row) in coverage.chunks_exact(width).enumerate() {
                for (x, quad) in row.chunks(4).enumerate() {
                    if quad.iter().any(|&c| c != 0) {
                        quads.push((y, 4 * x, quad));
                    }
                }
            }
        }
        let mut pairs = Vec::with_capacity(quads.len().div_ceil(2));
        let mut lanes = Vec::with_capacity(pairs.capacity());
        for two in quads.chunks(2) {
            let mut pair = [(0, 0); 2];
            let mut eight = [0; 32];
            for ((place, pixels), &(y, x, quad)) in
                pair.iter_mut().zip(eight.chunks_exact_mut(16)).zip(two)
            {
                // A bitmap is at most a few thousand pixels a side (512 px glyphs).
                *place = (y as u32, x as u32);
                for (pixel, &c) in pixels.chunks_exact_mut(4).zip(quad) {
                    pixel.fill(c);
                }
            }
            if let [_] = two {
                pair[1] = pair[0];
            }
            pairs.push(pair);
            lanes.push(eight);
        }
        Bitmap {
            coverage: coverage.into(),
            padded: width.next_multiple_of(4),
            pairs: pairs.into(),
            lanes: lanes.into(),
        }
    }

    /// Bytes held, for the cache's bound.
    fn bytes(&self) -> usize {
        self.coverage.len() + self.pairs.len() * 16 + self.lanes.len() * 32
    }
}

impl Glyph {
    fn new(m: &fontdue::Metrics, bitmap: Option<Bitmap>) -> Glyph {
        // At 512 px at most, every measure is small.
        let height = i32::try_from(m.height).unwrap_or(0);
        Glyph {
            advance: (m.advance_width.round() as i32).max(0),
            left: m.xmin,
            top: -(m.ymin + height),
            width: m.width,
            height: m.height,
            bitmap,
        }
    }

    /// The pixels the bitmap covers with the pen at `(x, baseline)`.
    fn area(&self, x: i64, baseline: i64) -> Area {
        let (left, top) = (x + i64::from(self.left), baseline + i64::from(self.top));
        Area::new(
            left,
            top,
            left + self.width as i64,
            top + self.height as i64,
        )
    }
}

impl Canvas {
    /// One line of text with the top-left of its line box at `pos`: the baseline is at
    /// `pos.y + ascent`. Glyph coverage multiplies the color's alpha. Control characters
    /// (newlines included) draw nothing and do not advance; size 0 draws nothing, sizes above
    /// [`MAX_FONT_SIZE`] draw at that size.
    #[allow(clippy::too_many_arguments)] // The protocol's request has all of these.
    pub fn text(
        &mut self,
        fonts: &mut Fonts,
        pos: Point,
        font: Font,
        size: u16,
        color: Color,
        text: &str,
        clip: Rect,
    ) -> Rect {
        let (Some(size), Some(area)) = (drawn_size(size), self.area(clip)) else {
            return Rect::default();
        };
        if color.a == 0 {
            return Rect::default();
        }
        let baseline = i64::from(pos.y) + i64::from(fonts.line_metrics(font, size).ascent);
        let mut pen = i64::from(pos.x);
        let mut damage = Damage::new();
        let src = lanes(color.to_xrgb());
        for c in text.chars().filter(|c| !c.is_control()) {
            let visible = |g: &Glyph| !g.area(pen, baseline).intersect(area).is_empty();
            let glyph = fonts.glyph(font, size, c, visible);
            if let Some(bitmap) = &glyph.bitmap {
                let place = glyph.area(pen, baseline);
                let padded = Area {
                    right: place.left + bitmap.padded as i64,
                    ..place
                };
                if padded.intersect(area) == padded {
                    // The padding's pixels are inside the clip too, so `quads` may blend
                    // them (through coverage 0, which leaves them as they are).
                    if color.a == 255 {
                        self.quads::<true>(place, bitmap, &src, 255);
                    } else {
                        self.quads::<false>(place, bitmap, &src, color.a.into());
                    }
                    damage.add(place);
                } else {
                    let drawn = place.intersect(area);
                    self.coverage(place, &bitmap.coverage, color, drawn);
                    damage.add(drawn);
                }
            }
            pen += i64::from(glyph.advance);
        }
        damage.to_rect()
    }

    /// Blends a glyph whose padded rows (`place` widened to `bitmap.padded`) lie inside the
    /// canvas, a pair of quads at a time (see [`over8`]). A blend through coverage 0 gives
    /// the pixel back unchanged (canvas pixels have a zero top byte), so the padding changes
    /// nothing, and a quad paired with itself is written back second half first: the first
    /// half, blended through the coverage, is what stays.
    #[inline(never)]
    fn quads<const OPAQUE: bool>(
        &mut self,
        place: Area,
        bitmap: &Bitmap,
        src: &[u16; 32],
        color_alpha: u16,
    ) {
        let width = self.width as usize;
        // Inside the canvas, so both are non-negative.
        let start = place.top as usize * width + place.left as usize;
        // The quads' pixels come from a table, not from a count, which also keeps the
        // compiler from vectorizing this loop across pairs (gathering and scattering lanes
        // one at a time: three times slower than the old loop) instead of each pair's lanes.
        for (pair, alpha) in bitmap.pairs.iter().zip(bitmap.lanes.iter()) {
            let [a, b] = pair.map(|(y, x)| start + y as usize * width + x as usize);
            let (Some(first), Some(second)) =
                (self.pixels.get(a..a + 4), self.pixels.get(b..b + 4))
            else {
                return;
            };
            let mut eight = [0; 8];
            eight[..4].copy_from_slice(first);
            eight[4..].copy_from_slice(second);
            over8::<OPAQUE>(src, alpha, color_alpha, &mut eight);
            if let Some(second) = self.pixels.get_mut(b..b + 4) {
                second.copy_from_slice(&eight[4..]);
            }
            if let Some(first) = self.pixels.get_mut(a..a + 4) {
                first.copy_from_slice(&eight[..4]);
            }
        }
    }

    /// Blends `color` through a coverage bitmap that covers `place`, within `drawn` (the part
    /// of `place` inside the clip).
    fn coverage(&mut self, place: Area, coverage: &[u8], color: Color, drawn: Area) {
        if drawn.is_empty() {
            return;
        }
        let stride = (place.right - place.left) as usize;
        let skip = (drawn.left - place.left) as usize;
        let rgb = color.to_xrgb();
        for y in drawn.top..drawn.bottom {
            let start = (y - place.top) as usize * stride + skip;
            let Some(src) = coverage.get(start..start + drawn.width()) else {
                break;
            };
            let row = self.row_mut(y, drawn.left, drawn.right);
            if color.a == 255 {
                for (p, &c) in row.iter_mut().zip(src) {
                    *p = over(rgb, c.into(), *p);
                }
            } else {
                for (p, &c) in row.iter_mut().zip(src) {
                    *p = over(rgb, mul255(c.into(), color.a.into()), *p);
                }
            }
        }
    }
}

/// A hasher for the cache's packed `u64` keys: one multiply instead of SipHash, as text is
/// drawn a glyph lookup at a time. The keys come from clients, but the cache is bounded, so a
/// crafted collision can only slow that client's own text.
#[derive(Default)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u64(&mut self, n: u64) {
        // Fibonacci hashing: the multiply spreads the low bits (the char) into the high bits
        // that hashbrown uses.
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

#[cfg(test)]
mod tests {
    use super::super::pattern::blank;
    use super::*;

    const BIG: Rect = Rect::new(i32::MIN, i32::MIN, u32::MAX, u32::MAX);

    /// The box of all lit pixels, if any.
    fn lit_box(c: &Canvas) -> Option<Rect> {
        let mut lit = Rect::default();
        for y in 0..c.height() as i32 {
            for x in 0..c.width() as i32 {
                if c.pixel(x, y) != Some(0) {
                    lit = lit.union(Rect::new(x, y, 1, 1));
                }
            }
        }
        (!lit.is_empty()).then_some(lit)
    }

    #[test]
    fn shipped_fonts_load_and_measure() {
        let fonts = Fonts::new();
        for font in [Font::Sans, Font::Mono] {
            let m = fonts.line_metrics(font, 12);
            assert!(m.ascent >= 9 && m.ascent <= 13, "{m:?}");
            assert!(m.descent >= 2 && m.descent <= 4, "{m:?}");
            assert!(
                m.line_height >= m.ascent + m.descent && m.line_height <= 16,
                "{m:?}"
            );
        }
        assert_eq!(fonts.line_metrics(Font::Sans, 0), LineMetrics::default());
        assert_eq!(
            fonts.line_metrics(Font::Sans, u16::MAX),
            fonts.line_metrics(Font::Sans, MAX_FONT_SIZE)
        );
    }

    #[test]
    fn text_stays_in_its_box() {
        let mut fonts = Fonts::new();
        for font in [Font::Sans, Font::Mono] {
            let mut c = blank(160, 30);
            let text = "Hello, world";
            let pos = Point::new(5, 4);
            let damage = c.text(&mut fonts, pos, font, 16, Color::WHITE, text, BIG);
            let width = fonts.text_width(font, 16, text);
            let m = fonts.line_metrics(font, 16);
            let line_box = Rect::new(pos.x, pos.y, width, m.line_height as u32);
            let lit = lit_box(&c).expect("text draws something");
            assert!(line_box.contains_rect(lit), "{lit:?} outside {line_box:?}");
            assert!(
                damage.contains_rect(lit),
                "{lit:?} outside damage {damage:?}"
            );
            // The ink reaches close to both ends of the measured width.
            assert!(
                lit.x - pos.x <= 2 && line_box.right() - lit.right() <= 2,
                "{lit:?}"
            );
            // The same text again lights the same pixels.
            let mut again = blank(160, 30);
            again.text(&mut fonts, pos, font, 16, Color::WHITE, text, BIG);
            assert_eq!(again, c);
        }
    }

    #[test]
    fn text_is_antialiased_and_clipped() {
        let mut fonts = Fonts::new();
        let mut c = blank(60, 20);
        let clip = Rect::new(0, 0, 20, 20);
        let damage = c.text(
            &mut fonts,
            Point::new(2, 2),
            Font::Sans,
            14,
            Color::WHITE,
            "Sow",
            clip,
        );
        assert!(clip.contains_rect(damage) && !damage.is_empty());
        let lit = lit_box(&c).expect("text draws something");
        assert!(clip.contains_rect(lit));
        // Antialiasing leaves some pixels between black and white.
        assert!(c.pixels().iter().any(|&p| p != 0 && p != 0x00ff_ffff));
        // A translucent color never reaches full white.
        let mut faint = blank(60, 20);
        faint.text(
            &mut fonts,
            Point::new(2, 2),
            Font::Sans,
            14,
            Color::rgba(255, 255, 255, 100),
            "Sow",
            BIG,
        );
        assert!(faint.pixels().iter().all(|&p| p & 0xff <= 100));
    }

    #[test]
    fn client_metrics_measure_exactly_what_is_drawn() {
        // Applications lay text out with the metrics of the welcome; they must agree with the
        // renderer to the pixel for every character of the table and every size.
        let mut fonts = Fonts::new();
        let set = fonts.metrics();
        for font in [Font::Sans, Font::Mono] {
            let table = set.get(font);
            for size in (1..=80).chain([100, 200, 512, 600]) {
                assert_eq!(
                    table.line_metrics(size),
                    fonts.line_metrics(font, size),
                    "{font:?} {size}"
                );
                for c in (FIRST_CHAR..=LAST_CHAR).filter_map(char::from_u32) {
                    let s = c.to_string();
                    assert_eq!(
                        table.text_width(&s, size),
                        fonts.text_width(font, size, &s),
                        "{font:?} size {size} char {c:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn mono_advances_are_equal_and_controls_are_empty() {
        let mut fonts = Fonts::new();
        let one = fonts.text_width(Font::Mono, 12, "i");
        assert!(one > 0);
        assert_eq!(fonts.text_width(Font::Mono, 12, "iWm."), 4 * one);
        assert_eq!(
            fonts.text_width(Font::Sans, 12, "a\nb\t"),
            fonts.text_width(Font::Sans, 12, "ab")
        );
        assert_eq!(fonts.text_width(Font::Sans, 0, "abc"), 0);
        assert_eq!(fonts.text_width(Font::Sans, 12, ""), 0);
        let mut c = blank(40, 20);
        assert!(c
            .text(
                &mut fonts,
                Point::new(0, 0),
                Font::Sans,
                12,
                Color::WHITE,
                "\n\r\t",
                BIG
            )
            .is_empty());
        assert_eq!(c, blank(40, 20));
    }

    #[test]
    fn text_blends_every_pixel_as_the_formula_says() {
        // Over a noisy background, at sizes whose glyphs are narrower and wider than eight
        // pixels, opaque and translucent, whole and cut by a clip (which takes glyphs that
        // straddle it through the row by row path): every pixel is `over` of the color
        // through the glyph's coverage, as drawn one pixel at a time.
        let text = "Hello, Wxyz il|j 0123 ,.;";
        let colors = [
            Color::WHITE,
            Color::rgb(10, 200, 30),
            Color::rgba(200, 100, 50, 128),
        ];
        let clips = [BIG, Rect::new(7, 3, 101, 30)];
        for (size, color, clip) in [12, 24, 40]
            .into_iter()
            .flat_map(|size| colors.map(|color| (size, color)))
            .flat_map(|(size, color)| clips.map(|clip| (size, color, clip)))
        {
            let mut fonts = Fonts::new();
            let mut c = blank(300, 60);
            for (i, p) in c.pixels_mut().iter_mut().enumerate() {
                *p = (i as u32).wrapping_mul(0x9e37_79b9) & 0x00ff_ffff;
            }
            let mut want = c.clone();
            let pos = Point::new(3, 2);
            c.text(&mut fonts, pos, Font::Sans, size, color, text, clip);
            let baseline =
                i64::from(pos.y) + i64::from(fonts.line_metrics(Font::Sans, size).ascent);
            let mut pen = i64::from(pos.x);
            let area = want.area(clip).expect("the clip is on the canvas");
            for ch in text.chars() {
                let glyph = fonts.glyph(Font::Sans, size, ch, |_| true).clone();
                let place = glyph.area(pen, baseline);
                let coverage = glyph.bitmap.expect("drawn glyphs are rasterized").coverage;
                for y in place.top..place.bottom {
                    for x in place.left..place.right {
                        if !(area.left..area.right).contains(&x)
                            || !(area.top..area.bottom).contains(&y)
                        {
                            continue;
                        }
                        let i = ((y - place.top) * (place.right - place.left) + x - place.left)
                            as usize;
                        let alpha = mul255(coverage[i].into(), color.a.into());
                        let p = &mut want.pixels_mut()[y as usize * 300 + x as usize];
                        *p = over(color.to_xrgb(), alpha, *p);
                    }
                }
                pen += i64::from(glyph.advance);
            }
            assert!(c == want, "size {size}, {color:?}, clip {clip:?}");
        }
    }

    #[test]
    fn cache_stays_bounded() {
        let mut fonts = Fonts::new();
        for c in ('\u{4e00}'..).take(CACHE_GLYPHS + 10) {
            fonts.text_width(Font::Sans, 9, &c.to_string());
        }
        assert!(fonts.glyphs.len() <= CACHE_GLYPHS);
        // After the cache is emptied, a char looked up before finds its own glyph again, not
        // whatever took its old place.
        let mut fonts = Fonts::new();
        let wide = fonts.text_width(Font::Sans, 12, "W");
        fonts.bytes = CACHE_BYTES + 1;
        let narrow = fonts.text_width(Font::Mono, 12, "i");
        assert_eq!(fonts.glyphs.len(), 1);
        assert_ne!(wide, narrow);
        assert_eq!(fonts.text_width(Font::Sans, 12, "W"), wide);
    }
}
