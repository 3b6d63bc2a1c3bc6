//! `px-tiles`: netui's own pixel encoding, VNC's ZRLE taken further.
//!
//! The screen is cut into a grid of [`TILE`]x[`TILE`] tiles (smaller at its right and bottom
//! edges). Each update sends, after the copies of its scrolls and moves, the damaged tiles
//! that really differ from the encoder's shadow of the viewer's screen, each in the smallest
//! of a few forms, and the records of all of them go through one Zstandard stream that lives
//! as long as the connection, so that each update is compressed against what went before.
//!
//! # Wire format
//! A [`RectEncoding::Tiles`] rectangle lies on the tile grid. Its data is the next piece of
//! the connection's Zstandard stream (RFC 8878): one frame that never ends, with a window of
//! at most 4 MiB ([`stream::WINDOW_LOG`]), the piece ended by a flush; then, its last
//! `coded` bytes, the coded section of its gradient records: one stream of
//! [`netui_protocol::gradient`]'s range coder holding their errors in their order, exactly
//! the bytes its decoder reads (empty when the rectangle has none).
//! The piece expands to records for the tiles of the rectangle, row by row, left to right;
//! records may stop before the last tile (the rest are unchanged). Each record starts with
//! an op byte; pixels are three bytes, blue, green, red (the low three of a `0x00RRGGBB`
//! little-endian `u32`):
//! - `0` skip: one byte `k`; the next `k + 1` tiles are unchanged.
//! - `1` solid: one pixel fills the tile.
//! - `2` cached: a `u16` (little-endian) slot of the tile cache; the tile is that slot's.
//! - `3` raw: the tile's pixels, each as blue minus green, green, red minus green (modulo
//!   256).
//! - `4` part: a byte `x << 4 | y` and a byte `(w - 1) << 4 | (h - 1)`, a rectangle of the
//!   tile (which it must lie in) where all that changed is; then the record of that
//!   rectangle, as if it were a tile of its own: solid, raw, packed palette, palette runs,
//!   gradient or blend. The rest of the tile stays as the viewer has it. A caret that moves,
//!   or a glyph typed beside others, costs the pixels that changed, not the tile's.
//! - `5` packed palette: `n - 1` (2 ≤ n ≤ 16), `n` pixels, then per row the indices, 1, 2
//!   or 4 bits each (for up to 2, 4 or 16 colors), the first in the high bits, each row
//!   padded to a byte.
//! - `6` palette runs: `n - 1` (1 ≤ n ≤ 16), `n` pixels, then runs until the tile is full:
//!   a byte with the index in its low 7 bits; when its high bit is set, the run is longer
//!   than one pixel and its length minus 2 follows as bytes that add up, each 255 saying
//!   that another follows.
//! - `7` gradient: nothing more here; the tile's pixels are coded in the rectangle's coded
//!   section, as errors from a prediction out of each pixel's neighbours (LOCO-I's median
//!   edge detector), by a range coder whose probabilities depend on the neighbourhood (a
//!   record of [`netui_protocol::gradient`]). Its edges are the viewer's pixels around the
//!   tile (or part) as the records before this one left them, where they lie in the
//!   rectangle, and 0 where they do not. Both ends keep the coder's probabilities for the
//!   whole connection (at even odds at first, and again after a reset rectangle). The
//!   encoder sends it for photographic tiles (many colors, few repeats) and whole tiles of
//!   smooth shading.
//! - `8` JPEG (`px-tiles-jpeg` only sends it): `k - 1`, then a `u32` (little-endian) length
//!   and that many bytes of a baseline JPEG exactly as wide as the `k` tiles from this one
//!   along the row (which must not go past the rectangle's edge) and as high as the row;
//!   never longer than three bytes a pixel. Lossy: the encoder decodes its own JPEG into the
//!   shadow, so that what follows is relative to what the viewer really shows (see the
//!   `jpeg` module).
//!
//! - `9` area: a byte `x << 4 | y`, the corner of a rectangle relative to the current tile's,
//!   then `w - 1` and `h - 1`, a byte each; then the record of that rectangle as if it were
//!   a tile of its own: solid, raw, packed palette, palette runs or blend. It lies in the
//!   rectangle of the records but may reach over the tiles to the right and below; it does
//!   not move on to the next tile (the current tile's own record, or a skip, follows). Then
//!   each whole tile that it touches, as the viewer now has it, goes into the cache, row by
//!   row. The areas of a rectangle cover at most as many pixels as the rectangle. The
//!   encoder sends the pixels that changed in a small damaged rectangle (a typed glyph and
//!   the caret beside it) as one area when they straddle tiles: the same glyph then gives
//!   the same record wherever it lies on the tile grid, and the compressor finds it again.
//!
//! - `10` blend: two pixels, a foreground `f` and a background `b`, then a byte `a` a pixel,
//!   column by column (each column top to bottom, the columns left to right): each channel
//!   of the pixel is `(f * a + b * (255 - a) + 127) / 255`, the source-over blend with which
//!   the renderer draws anti-aliased text and lines. A line of text in one color over a
//!   plain background, which has more colors than a palette holds, costs a byte a pixel
//!   instead of three, and the same glyph gives the same bytes in any color. Column by
//!   column, a glyph's opacities lie together, so a glyph that went before at the same
//!   height in its tile (or area) is one match for the compressor, in whatever word it
//!   comes again; row by row it was a piece of each glyph of the word on every row.
//!
//! A [`RectEncoding::Draw`] rectangle's data is the next piece of the same stream; it
//! expands to at most [`MAX_DRAWING_BYTES`] bytes: a postcard list of
//! [`Drawing`]s, each carried out on the viewer's screen within each of its clips (which lie
//! in the rectangle), in order, with the renderer of `netui_scene::render`
//! ([`Canvas::draw`]). They may touch at most [`DRAW_COST`] times the rectangle's pixels
//! ([`Canvas::draw_cost`]). The encoder sends its applications' drawing so (a clock's hands,
//! a typed line, a stroke of paint) and then the tiles that still differ: what the drawings
//! got wrong, or could not do (images, copies from pixmaps).
//!
//! The tile cache holds [`CACHE_SLOTS`] whole tiles. Every whole (`TILE`x`TILE`) tile sent
//! as raw, part, packed palette, palette runs, gradient or blend goes, as the viewer then
//! shows it, into the next slot, round the slots in order: encoder and decoder evict the same
//! tile without saying so. JPEG tiles never go into the cache. A rectangle whose `reset` is set
//! starts a new Zstandard stream and an empty cache; the encoder sets it on its first
//! rectangle after it was made or reset, or the screen changed size, when it also assumes
//! nothing of the viewer's screen.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use netui_protocol::{gradient, Drawing, EncodedRect, Rect, RectEncoding};

use super::scroll::{hash, mix};
use super::{row, row_mut};
use crate::render::{over, Canvas, Fonts};

pub(super) mod decoder;
mod jpeg;
pub mod stream;
#[cfg(test)]
mod tests;

/// The side of a tile, in pixels (a power of two).
pub const TILE: u32 = 16;
/// The pixels of a whole tile.
/// The row buffers of a gradient record: a tile's width and a column on either side.
const GRADIENT_ROW: usize = TILE as usize + 2;
const TILE_PIXELS: usize = (TILE * TILE) as usize;
/// The slots of the tile cache: 4 MiB of tiles on each side.
pub const CACHE_SLOTS: usize = 4096;
/// The most colors of a palette.
const MAX_COLORS: usize = 16;
/// The most colors of a palette that goes as one even when a blend record could carry its
/// pixels: a palette of more takes four bits a pixel, and a blend's byte a pixel then
/// compresses better, since the same glyph gives the same bytes in any color. Chosen by
/// measurement on the benchmark's workloads (from 2 to 16 colors, 4 was smallest).
const BLEND_COLORS: usize = 4;
/// The foregrounds of earlier blend records that the encoder tries when a glyph has no pixel
/// of its text's full color.
const FOREGROUNDS: usize = 4;
/// The largest share of a tile (a fraction) that goes as a part record rather than whole:
/// chosen by measurement on the benchmark's workloads (from half to all of it, 4/5 was
/// smallest, by a little).
const PART_AREA: (usize, usize) = (4, 5);
/// The most pixels the encoder puts in one rectangle, so that a rectangle's data stays well
/// inside a message even when it does not compress.
const RECT_PIXELS: u64 = 1 << 20;
/// The most bytes that the drawings of one draw rectangle expand to.
pub const MAX_DRAWING_BYTES: usize = 64 << 10;
/// The drawings of one draw rectangle touch at most this many times its pixels, as
/// [`Canvas::draw_cost`] counts them within their clips: a viewer spends on them about what
/// it spends on as many tiles.
pub const DRAW_COST: u64 = 4;
/// The largest damaged rectangle in which the encoder looks for an area record's pixels: a
/// line of text, a status bar (applications redraw a whole line for a typed key).
const AREA_DAMAGE: u64 = 1 << 16;
/// The most pixels of an area record that the encoder sends: a glyph or a word typed, a field
/// that changed, not a window's worth of tiles (which tiles and their cache serve better).
/// Chosen by measurement on the benchmark's workloads.
const AREA_PIXELS: u64 = 64 * 64;
/// The longest side of an area record.
const AREA_SIDE: u32 = 256;

const OP_SKIP: u8 = 0;
const OP_SOLID: u8 = 1;
const OP_CACHED: u8 = 2;
const OP_RAW: u8 = 3;
const OP_PART: u8 = 4;
const OP_PACKED: u8 = 5;
const OP_RUNS: u8 = 6;
const OP_GRADIENT: u8 = 7;
const OP_JPEG: u8 = 8;
const OP_AREA: u8 = 9;
const OP_BLEND: u8 = 10;

/// The most bytes of records one tile may need: raw is the longest (runs take at most a byte
/// a pixel plus a palette, and the decoder refuses more colors), and a JPEG run, refused when
/// it is longer than its pixels, adds six bytes of header to them.
const MAX_RECORD: usize = 8 + 3 * TILE_PIXELS;
/// The most bytes of area records per pixel of their rectangle: areas cover at most the
/// rectangle's pixels, and one of `n` pixels (two or more: the encoder sends one pixel as a
/// part) takes at most five bytes and its raw pixels, `5 + 3n <= 6n`.
const AREA_BYTES_PER_PIXEL: usize = 6;

/// The tiles across and down `rect` (its sides are at most the screen's).
fn grid(rect: Rect) -> (usize, usize) {
    (
        rect.width.div_ceil(TILE) as usize,
        rect.height.div_ceil(TILE) as usize,
    )
}

/// Tile number `index` of `rect` (row by row), clipped to `rect`.
fn tile_rect(rect: Rect, cols: usize, index: usize) -> Rect {
    let (tx, ty) = ((index % cols) as u32 * TILE, (index / cols) as u32 * TILE);
    // Inside `rect`, which lies in a screen of at most MAX_SIDE: no overflow.
    Rect::new(
        rect.x + tx as i32,
        rect.y + ty as i32,
        TILE.min(rect.width - tx),
        TILE.min(rect.height - ty),
    )
}

/// The neighbours that the gradient filter predicts the edges of `area` from: the row above
/// it, from the pixel above its left edge's left neighbour to the one above its right edge
/// (`area.width + 1` pixels), then the column to its left (`area.height` pixels), as
/// `canvas` has them; 0 for those outside `bounds` (the rectangle being coded).
fn gradient_edges(canvas: &Canvas, area: Rect, bounds: Rect, out: &mut Vec<u32>) {
    out.clear();
    let (x, y) = (area.x as i64, area.y as i64);
    let inside = |px: i64, py: i64| {
        px >= bounds.x as i64
            && py >= bounds.y as i64
            && px < bounds.right()
            && py < bounds.bottom()
    };
    let at = |px: i64, py: i64| {
        // Inside `bounds`, which lies on the canvas: no overflow.
        let pixel = canvas.pixel(px as i32, py as i32);
        pixel.filter(|_| inside(px, py)).unwrap_or(0)
    };
    out.extend((x - 1..x + i64::from(area.width)).map(|px| at(px, y - 1)));
    out.extend((y..y + i64::from(area.height)).map(|py| at(x - 1, py)));
}

/// The pixels of `pixels`, `width` wide, equal to both their left and upper neighbours.
fn flat_pixels(pixels: &[u32], width: usize) -> usize {
    let rows = pixels.chunks_exact(width);
    rows.clone()
        .zip(rows.skip(1))
        .map(|(up, line)| {
            (1..width)
                .filter(|&x| line[x] == line[x - 1] && line[x] == up[x])
                .count()
        })
        .sum()
}

/// A pixel's three bytes on the wire.
fn put_pixel(out: &mut Vec<u8>, p: u32) {
    out.extend_from_slice(&p.to_le_bytes()[..3]);
}

/// A raw record's pixel on the wire: blue minus green, green, red minus green (modulo 256).
/// Grey and near-grey pixels (anti-aliased text, shadows, most of a desktop) then differ in
/// the green byte alone, and the compressor's literal coding spends a few bits, not eight, on
/// the other two (WebP lossless calls this transform "subtract green"). Measured on the
/// benchmark's workloads it saves on all but `hello`'s colored gradients (see BENCHMARKS.md);
/// choosing per record, by how grey the pixels are, was worse on every workload.
fn put_green_difference(out: &mut Vec<u8>, p: u32) {
    let [b, g, r, _] = p.to_le_bytes();
    out.extend_from_slice(&[b.wrapping_sub(g), g, r.wrapping_sub(g)]);
}

/// The pixel of a raw record's three bytes (see [`put_green_difference`]); `b` holds at least
/// three.
fn green_difference(b: &[u8]) -> u32 {
    let g = b[1];
    u32::from_le_bytes([b[0].wrapping_add(g), g, b[2].wrapping_add(g), 0])
}

/// The foreground and background that every pixel of `pixels` (rows of `width`) is a blend
/// of (see the format's blend record), with each pixel's opacity in `alphas`; `None` when
/// some pixel is no such blend. The background is the color of most of the corners (text
/// lies on it); the foreground is the pixel farthest from it or, when that is no pixel of
/// the text's full color (a round glyph such as an `o` may have none), one of `known`, the
/// foregrounds of blends found before.
fn blend_of(
    pixels: &[u32],
    width: usize,
    known: &[u32],
    alphas: &mut Vec<u8>,
) -> Option<(u32, u32)> {
    let n = pixels.len();
    let corners = [
        pixels[0],
        pixels[width - 1],
        pixels[n - width],
        pixels[n - 1],
    ];
    let bg = corners
        .into_iter()
        .find(|&c| corners.iter().filter(|&&o| o == c).count() >= 2)
        .unwrap_or(corners[0]);
    let [b0, b1, b2, _] = bg.to_le_bytes();
    // The foreground is the pixel farthest from the background (the first such), found in
    // two plain passes that the compiler vectorizes: the distances, then the farthest.
    alphas.clear();
    alphas.extend(pixels.iter().map(|&p| {
        let [p0, p1, p2, _] = p.to_le_bytes();
        p0.abs_diff(b0).max(p1.abs_diff(b1)).max(p2.abs_diff(b2))
    }));
    let far = alphas.iter().copied().max().unwrap_or(0);
    let fg = alphas
        .iter()
        .position(|&d| d == far)
        .map_or(bg, |i| pixels[i]);
    if blend_over(pixels, fg, bg, alphas) {
        return Some((fg, bg));
    }
    known
        .iter()
        .copied()
        .filter(|&k| k != fg && k != bg)
        .find(|&k| blend_over(pixels, k, bg, alphas))
        .map(|k| (k, bg))
}

/// Whether every pixel of `pixels` is `fg` blended over `bg`, with their opacities then in
/// `alphas`.
fn blend_over(pixels: &[u32], fg: u32, bg: u32, alphas: &mut Vec<u8>) -> bool {
    let channel = |p: u32, c: u32| ((p >> (8 * c)) & 0xff) as i32;
    let [b0, b1, b2, _] = bg.to_le_bytes();
    // The channel on which the two differ most tells each pixel's opacity best; the others
    // have coarser steps, so the opacity that gives this channel's value is only a guess.
    let Some(c) = (0..3).max_by_key(|&c| (channel(fg, c) - channel(bg, c)).abs()) else {
        return false;
    };
    let (from, span) = (channel(bg, c), channel(fg, c) - channel(bg, c));
    if span == 0 {
        return false;
    }
    // How far from the guess an opacity is looked for: a step of this channel, and one more.
    let reach = 255 / span.abs() + 1;
    // A blend lies between its two colors on every channel: a photograph fails here, on
    // one of its first pixels, before any opacity is tried.
    let [f0, f1, f2, _] = fg.to_le_bytes();
    let between = |v: u8, a: u8, b: u8| a.min(b) <= v && v <= a.max(b);
    // Each opacity is stored in place, not pushed (see `Palette::index`).
    alphas.clear();
    alphas.resize(pixels.len(), 0);
    for (&p, alpha) in pixels.iter().zip(alphas.iter_mut()) {
        let [p0, p1, p2, _] = p.to_le_bytes();
        *alpha = if p == bg {
            0
        } else if p == fg {
            255
        } else if !(between(p0, b0, f0) && between(p1, b1, f1) && between(p2, b2, f2)) {
            return false;
        } else {
            let guess = ((channel(p, c) - from) * 255 + span / 2) / span;
            match opacity(fg, bg, p, guess, reach) {
                Some(a) => a,
                None => return false,
            }
        };
    }
    true
}

/// The opacity `a` with `over(fg, a, bg) == p` nearest to `guess` (the lower of two as near),
/// within `reach` of it; `None` when there is none.
///
/// The guess is most often right, so it is tried first. Else, since each channel of
/// `over(fg, a, bg)` grows (or shrinks) with `a`, the opacities that give each channel of `p`
/// are a range, worked out from the blend's formula (see [`opacities`]); the nearest of the
/// ranges' common part is the answer, in a few divisions instead of a search that tried up
/// to a hundred opacities a pixel (and all of them on a tile that is no blend).
fn opacity(fg: u32, bg: u32, p: u32, guess: i32, reach: i32) -> Option<u8> {
    if (0..=255).contains(&guess) && over(fg, guess as u32, bg) == p {
        return Some(guess as u8);
    }
    let (mut lo, mut hi) = (0.max(guess - reach), 255.min(guess + reach));
    let channels = fg.to_le_bytes().into_iter().zip(bg.to_le_bytes());
    for ((f, b), v) in channels.zip(p.to_le_bytes()).take(3) {
        let (l, h) = opacities(f, b, v)?;
        (lo, hi) = (lo.max(l), hi.min(h));
    }
    if lo > hi {
        return None;
    }
    let alpha = guess.clamp(lo, hi);
    // Also refuses a pixel whose top byte is set, which no blend gives.
    (over(fg, alpha as u32, bg) == p).then_some(alpha as u8)
}

/// The opacities `a` (from 0 to 255) for which one channel of the blend of a foreground
/// `f` over a background `b`, `(f * a + b * (255 - a) + 127) / 255`, is `v`: a range
/// `(low, high)`, inclusive, or `None`. With `d = f - b`, the channel is `v` when
/// `255 * (v - b) - 127 <= a * d <= 255 * (v - b) + 127`.
fn opacities(f: u8, b: u8, v: u8) -> Option<(i32, i32)> {
    let (d, base) = (
        i32::from(f) - i32::from(b),
        255 * (i32::from(v) - i32::from(b)),
    );
    let (low, high) = match d.signum() {
        0 => return (v == b).then_some((0, 255)),
        // a >= (base - 127) / d and a <= (base + 127) / d, rounded inwards.
        1 => (-(127 - base).div_euclid(d), (base + 127).div_euclid(d)),
        // The same with both sides negated, so that the divisor is positive.
        _ => (-(base + 127).div_euclid(-d), (127 - base).div_euclid(-d)),
    };
    let (low, high) = (low.max(0), high.min(255));
    (low <= high).then_some((low, high))
}

/// The tiles of the screen grid that `area` touches, whole or not.
fn grid_tiles(area: Rect) -> usize {
    // On the screen, whose sides are at most MAX_SIDE: no overflow.
    let span = |start: i32, len: u32| {
        let first = start as u32 / TILE;
        ((start as u32 + len - 1) / TILE - first + 1) as usize
    };
    span(area.x, area.width) * span(area.y, area.height)
}

/// The whole tiles of the screen grid that `area` touches, row by row (tiles cut by the
/// screen's edge are not whole).
fn area_tiles(area: Rect, screen: Rect) -> impl Iterator<Item = Rect> {
    // On the screen, whose sides are at most MAX_SIDE: no overflow.
    let (left, top) = (area.x as u32 / TILE, area.y as u32 / TILE);
    let (right, bottom) = (
        (area.right() - 1) as u32 / TILE,
        (area.bottom() - 1) as u32 / TILE,
    );
    (top..=bottom)
        .flat_map(move |ty| (left..=right).map(move |tx| (tx, ty)))
        .map(|(tx, ty)| Rect::new((tx * TILE) as i32, (ty * TILE) as i32, TILE, TILE))
        .filter(move |tile| screen.contains_rect(*tile))
}

/// A hasher for keys that are hashes already.
#[derive(Default)]
struct Identity(u64);

impl Hasher for Identity {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// A hash of the rows of `tile` of `canvas` (which may be any size): the rows' hashes, mixed.
fn hash_rows(canvas: &Canvas, tile: Rect) -> u64 {
    (0..tile.height).fold(0, |h, y| mix(h, hash(row(canvas, tile, y))))
}

/// The encoder's copy of the viewer's tile cache, with an index by content.
#[derive(Debug, Default)]
struct Cache {
    index: HashMap<u64, u16, BuildHasherDefault<Identity>>,
    /// The hash of each filled slot.
    hashes: Vec<u64>,
    /// The pixels of each filled slot, `TILE_PIXELS` each.
    pixels: Vec<u32>,
    /// The slot the next tile goes into.
    next: usize,
}

impl Cache {
    fn clear(&mut self) {
        self.index.clear();
        self.hashes.clear();
        self.pixels.clear();
        self.next = 0;
    }

    /// The slot that holds exactly `tile`, if one does.
    fn find(&self, hash: u64, tile: &[u32]) -> Option<u16> {
        let slot = *self.index.get(&hash)?;
        let start = usize::from(slot) * TILE_PIXELS;
        (self.pixels.get(start..start + TILE_PIXELS) == Some(tile)).then_some(slot)
    }

    /// Whether the cache holds exactly `tile` and will still hold it after `inserts` more
    /// tiles: its slot is not among the next ones to be evicted.
    fn kept(&self, hash: u64, tile: &[u32], inserts: usize) -> bool {
        self.find(hash, tile).is_some_and(|slot| {
            (usize::from(slot) + CACHE_SLOTS - self.next) % CACHE_SLOTS >= inserts
        })
    }

    /// Puts `tile` in the next slot, evicting what it held.
    fn insert(&mut self, hash: u64, tile: &[u32]) {
        let slot = self.next;
        if let Some(old) = self.hashes.get_mut(slot) {
            if self.index.get(old).is_some_and(|&s| usize::from(s) == slot) {
                self.index.remove(old);
            }
            *old = hash;
            let start = slot * TILE_PIXELS;
            self.pixels[start..start + TILE_PIXELS].copy_from_slice(tile);
        } else {
            self.hashes.push(hash);
            self.pixels.extend_from_slice(tile);
        }
        // Slots are below CACHE_SLOTS, which fits in a u16.
        self.index.insert(hash, slot as u16);
        self.next = (slot + 1) % CACHE_SLOTS;
    }
}

/// The hashes of the whole tiles of the screen, each worked out once an update: an area
/// looks for the tiles it touches in the cache, and the areas of a line of typed text touch
/// the same tiles (each glyph's, and the line's), which are then sent.
#[derive(Debug, Default)]
struct TileHashes {
    /// Per tile of the screen's grid, the update in which its hash was worked out, and the
    /// hash.
    hashes: Vec<(u32, u64)>,
    /// This update's number (never 0: 0 marks no hash).
    update: u32,
    /// The tiles across the grid.
    columns: usize,
}

impl TileHashes {
    /// Starts an update of a screen of `columns` by `rows` tiles: the screen is new.
    fn start(&mut self, (columns, rows): (usize, usize)) {
        self.update = self.update.wrapping_add(1);
        if self.update == 0 || self.columns != columns || self.hashes.len() != columns * rows {
            self.hashes.clear();
            self.hashes.resize(columns * rows, (0, 0));
            (self.update, self.columns) = (1, columns);
        }
    }

    /// The hash of `pixels`, those of `tile`, a whole tile of this update's screen.
    fn get(&mut self, tile: Rect, pixels: &[u32]) -> u64 {
        // On the screen, so both are small and positive.
        let at = (tile.y as u32 / TILE) as usize * self.columns + (tile.x as u32 / TILE) as usize;
        match self.hashes.get_mut(at) {
            Some(&mut (update, known)) if update == self.update => known,
            Some(entry) => {
                let fresh = hash(pixels);
                *entry = (self.update, fresh);
                fresh
            }
            None => hash(pixels),
        }
    }
}

/// A tile's colors, when it has at most [`MAX_COLORS`].
#[derive(Debug, Default)]
struct Palette {
    colors: Vec<u32>,
    /// Each pixel's index.
    indices: Vec<u8>,
    /// The bytes the runs take.
    run_bytes: usize,
}

impl Palette {
    /// Indexes `pixels`; false when they have more than [`MAX_COLORS`] colors.
    fn index(&mut self, pixels: &[u32]) -> bool {
        self.colors.clear();
        self.run_bytes = 0;
        // Each pixel's index is stored in place, not pushed: the loop runs for every pixel
        // of every tile sent, and with a push (and its check of the capacity) per pixel it
        // was a quarter of the encoder's own time on typed text (perf, `cargo bench
        // --bench encoding`).
        self.indices.clear();
        self.indices.resize(pixels.len(), 0);
        let Some(&first) = pixels.first() else {
            return true;
        };
        self.colors.push(first);
        let (mut prev, mut index, mut run) = (first, 0u8, 0usize);
        for (&p, slot) in pixels.iter().zip(&mut self.indices) {
            if p != prev {
                index = match self.colors.iter().position(|&c| c == p) {
                    Some(i) => i as u8,
                    None if self.colors.len() == MAX_COLORS => return false,
                    None => {
                        self.colors.push(p);
                        (self.colors.len() - 1) as u8
                    }
                };
                self.run_bytes += run_len(run);
                prev = p;
                run = 0;
            }
            run += 1;
            *slot = index;
        }
        self.run_bytes += run_len(run);
        true
    }

    /// The bits of a packed index.
    fn bits(&self) -> usize {
        match self.colors.len() {
            0..=2 => 1,
            3..=4 => 2,
            _ => 4,
        }
    }
}

/// The bytes a run of `n` pixels takes (none for none).
fn run_len(n: usize) -> usize {
    match n {
        0 => 0,
        1 => 1,
        _ => 2 + (n - 2) / 255,
    }
}

/// The server's side of `px-tiles` for one viewer: the compression stream and the cache.
#[derive(Debug)]
pub(super) struct TileEncoder {
    stream: stream::Compressor,
    /// The next rectangle starts afresh (the stream and the cache are new).
    reset: bool,
    cache: Cache,
    palette: Palette,
    /// The records of one rectangle (its length only grows).
    payload: Vec<u8>,
    /// Which tiles of the screen's grid are damaged.
    dirty: Vec<bool>,
    /// The new and old pixels of one tile.
    tile: Vec<u32>,
    old: Vec<u32>,
    /// The neighbours of a gradient record.
    edges: Vec<u32>,
    /// The gradient records' probabilities, and the coded section of one rectangle (when
    /// `coding`: the rectangle has a gradient record).
    model: gradient::Model,
    coded: gradient::RangeEncoder,
    coding: bool,
    /// A blend record's opacities.
    alphas: Vec<u8>,
    /// The foregrounds of the last blend records, the newest first (see [`blend_of`]).
    foregrounds: Vec<u32>,
    /// `px-tiles-jpeg`: per tile of the screen's grid, 0, or (with its low bit set) the hash
    /// of the screen's pixels there when they went as JPEG: the shadow then holds what the
    /// viewer decoded, which no longer equals the screen, so the hash tells whether the
    /// screen changed since.
    lossy: Vec<u64>,
    colors: jpeg::ColorCounter,
    /// A run of tiles as bytes, and as JPEG.
    bgra: Vec<u8>,
    jpeg: Vec<u8>,
    /// This update's area records (see the format), in the grid's order.
    areas: Vec<Rect>,
    /// The hashes of the screen's tiles in this update.
    hashes: TileHashes,
    /// The glyphs that drawings of text need, from the first such drawing.
    fonts: Option<Box<Fonts>>,
}

impl TileEncoder {
    pub(super) fn new() -> TileEncoder {
        TileEncoder {
            stream: stream::Compressor::new(),
            reset: true,
            cache: Cache::default(),
            palette: Palette::default(),
            payload: Vec::new(),
            dirty: Vec::new(),
            tile: Vec::with_capacity(TILE_PIXELS),
            old: Vec::with_capacity(TILE_PIXELS),
            edges: Vec::with_capacity(3 * TILE as usize + 1),
            model: gradient::Model::default(),
            coded: gradient::RangeEncoder::default(),
            coding: false,
            alphas: Vec::with_capacity(TILE_PIXELS),
            foregrounds: Vec::with_capacity(FOREGROUNDS),
            lossy: Vec::new(),
            colors: jpeg::ColorCounter::default(),
            bgra: Vec::new(),
            jpeg: Vec::new(),
            areas: Vec::new(),
            hashes: TileHashes::default(),
            fonts: None,
        }
    }

    /// Starts afresh with the next rectangle sent.
    pub(super) fn restart(&mut self) {
        self.reset = true;
    }

    /// Whether the stream has started (the viewer has its context): drawings may go.
    pub(super) fn started(&self) -> bool {
        !self.reset
    }

    /// Carries out `drawings` on `shadow` as the viewer will, adds what they changed to
    /// `damage`, and sends them in as few draw rectangles as the limits allow
    /// ([`MAX_DRAWING_BYTES`], [`DRAW_COST`]). A drawing that is beyond them alone, or whose
    /// clips leave the screen, is left out: the damage has its pixels.
    pub(super) fn draw(
        &mut self,
        shadow: &mut Canvas,
        drawings: &[&Drawing],
        damage: &mut Vec<Rect>,
        out: &mut Vec<EncodedRect>,
    ) {
        let bounds = shadow.bounds();
        let mut fonts = self.fonts.take().unwrap_or_else(|| Box::new(Fonts::new()));
        // The next rectangle's drawings, each encoded once (`one`, then appended to `body`),
        // how many, the rectangle and what they cost.
        let (mut one, mut body) = (Vec::new(), Vec::new());
        let (mut count, mut rect, mut cost) = (0, Rect::default(), 0u64);
        for &drawing in drawings {
            let clips = &drawing.clips;
            if clips.is_empty() || !clips.iter().all(|c| bounds.contains_rect(*c)) {
                continue;
            }
            let costs = clips.iter().map(|c| shadow.draw_cost(&drawing.request, *c));
            let Some(own_cost) = costs.sum::<Option<u64>>() else {
                continue;
            };
            one.clear();
            match postcard::to_extend(drawing, std::mem::take(&mut one)) {
                Ok(encoded) => one = encoded,
                Err(_) => continue,
            }
            // A list's length takes at most five bytes.
            let fits = |rect: Rect, cost: u64, bytes: usize| {
                let area = clips.iter().fold(rect, |r, c| r.union(*c)).size().area();
                cost.saturating_add(own_cost) <= DRAW_COST.saturating_mul(area)
                    && bytes.saturating_add(one.len()) <= MAX_DRAWING_BYTES - 5
            };
            if !fits(rect, cost, body.len()) {
                self.put_drawings(count, &body, rect, out);
                body.clear();
                (count, rect, cost) = (0, Rect::default(), 0);
                if !fits(rect, cost, 0) {
                    continue;
                }
            }
            for &clip in clips {
                let changed = shadow.draw(&mut fonts, &drawing.request, clip);
                if let Some(changed) = changed.filter(|c| !c.is_empty()) {
                    self.forget_lossy(changed, bounds.width);
                    damage.push(changed);
                }
                rect = rect.union(clip);
            }
            body.extend_from_slice(&one);
            count += 1;
            cost += own_cost;
        }
        self.put_drawings(count, &body, rect, out);
        self.fonts = Some(fonts);
    }

    /// Sends `count` drawings, encoded one after another in `body`, whose clips lie in
    /// `rect`, as a draw rectangle (none if there are none).
    fn put_drawings(&mut self, count: usize, body: &[u8], rect: Rect, out: &mut Vec<EncodedRect>) {
        if count == 0 {
            return;
        }
        // A postcard list is its length (a `usize`, as postcard writes one) and its elements.
        self.payload.clear();
        if let Ok(mut payload) = postcard::to_extend(&count, std::mem::take(&mut self.payload)) {
            payload.extend_from_slice(body);
            self.payload = payload;
            out.push(EncodedRect {
                rect,
                kind: RectEncoding::Draw,
                data: self.stream.compress(&self.payload),
            });
        }
    }

    /// Encodes the tiles of `damage` (clipped, not empty) that differ from `shadow` (all of
    /// them when `fresh`: the viewer's screen is then unknown) and brings the shadow up to
    /// date. With a `quality`, photographic tiles go as JPEG of that quality.
    pub(super) fn encode(
        &mut self,
        screen: &Canvas,
        shadow: &mut Canvas,
        damage: &[Rect],
        fresh: bool,
        quality: Option<u8>,
        out: &mut Vec<EncodedRect>,
    ) {
        let screen_grid = grid(screen.bounds());
        if self.reset || self.lossy.len() != screen_grid.0 * screen_grid.1 {
            self.lossy.clear();
            self.lossy.resize(screen_grid.0 * screen_grid.1, 0);
        }
        if self.reset {
            self.cache.clear();
            self.stream.restart();
            self.model.reset();
        }
        self.hashes.start(screen_grid);
        let Some((left, top, right, bottom)) = self.mark(screen_grid, damage) else {
            return;
        };
        let mut areas = std::mem::take(&mut self.areas);
        areas.clear();
        if !fresh && quality.is_none() {
            // The most tiles this update can put into the cache: each damaged tile once, and
            // each area (one at most per damaged rectangle, inside it) the tiles it touches.
            let inserts = self.dirty.iter().filter(|&&d| d).count()
                + damage
                    .iter()
                    .filter(|r| r.size().area() <= AREA_DAMAGE)
                    .map(|&r| grid_tiles(r))
                    .sum::<usize>();
            let (cache, hashes) = (&self.cache, &mut self.hashes);
            // An area whose tiles all stay in the cache, as the screen has them, until this
            // update ends would be dropped when its turn comes (see `cached`).
            let kept = |area: Rect| {
                let mut pixels = [0; TILE_PIXELS];
                grid_tiles(area) == area_tiles(area, screen.bounds()).count()
                    && area_tiles(area, screen.bounds()).all(|tile| {
                        load_tile(screen, tile, &mut pixels);
                        cache.kept(hashes.get(tile, &pixels), &pixels, inserts)
                    })
            };
            find_areas(
                screen,
                shadow,
                damage,
                (&mut self.tile, &mut self.alphas),
                &self.foregrounds,
                kept,
                &mut areas,
            );
        }
        let mut next_area = 0;
        let cols = right - left + 1;
        let rows_per_rect = (RECT_PIXELS / (cols as u64 * u64::from(TILE * TILE))).max(1) as usize;
        for first in (top..=bottom).step_by(rows_per_rect) {
            let last = (first + rows_per_rect - 1).min(bottom);
            // On the grid of a screen of at most MAX_SIDE: no overflow.
            let rect = Rect::from_edges(
                (left as u32 * TILE) as i64,
                (first as u32 * TILE) as i64,
                (((right + 1) as u32 * TILE).min(screen.width())) as i64,
                (((last + 1) as u32 * TILE).min(screen.height())) as i64,
            );
            self.payload.clear();
            let mut skip = 0usize;
            let count = cols * (last - first + 1);
            // The pixels that area records may still cover (see the format).
            let mut area_pixels = rect.size().area();
            let mut index = 0;
            while index < count {
                let at =
                    |index: usize| (first + index / cols) * screen_grid.0 + left + index % cols;
                let tile = tile_rect(rect, cols, index);
                // The areas whose corner lies in this tile (they are in the grid's order).
                while let Some(&area) = areas.get(next_area).filter(|a| tile.contains(a.origin())) {
                    next_area += 1;
                    if rect.contains_rect(area)
                        && area.size().area() <= area_pixels
                        && !self.cached(screen, area)
                    {
                        area_pixels -= area.size().area();
                        put_skip(&mut self.payload, skip);
                        skip = 0;
                        self.put_area(screen, shadow, tile, area);
                    }
                }
                if !self.changed(screen, shadow, tile, at(index), fresh) {
                    skip += 1;
                    index += 1;
                    continue;
                }
                put_skip(&mut self.payload, skip);
                skip = 0;
                if let Some(quality) =
                    quality.filter(|_| self.lossy_fits(screen, shadow, tile, fresh))
                {
                    // A run of photographic tiles along this row of tiles.
                    let row_end = index - index % cols + cols;
                    let mut end = index + 1;
                    // A record's run is at most 256 tiles.
                    while end < row_end && end - index < 256 {
                        let next = tile_rect(rect, cols, end);
                        if !self.changed(screen, shadow, next, at(end), fresh)
                            || !self.lossy_fits(screen, shadow, next, fresh)
                        {
                            break;
                        }
                        end += 1;
                    }
                    let run = Rect::new(
                        tile.x,
                        tile.y,
                        (tile_rect(rect, cols, end - 1).right() - i64::from(tile.x)) as u32,
                        tile.height,
                    );
                    if self.put_jpeg(screen, shadow, run, end - index, quality) {
                        for i in index..end {
                            let t = tile_rect(rect, cols, i);
                            self.lossy[at(i)] = hash_rows(screen, t) | 1;
                        }
                        index = end;
                        continue;
                    }
                }
                self.lossy[at(index)] = 0;
                self.put_tile(screen, shadow, tile, rect, fresh);
                index += 1;
            }
            if self.payload.is_empty() && !self.reset {
                continue;
            }
            let mut data = self.stream.compress(&self.payload);
            let mut coded = 0;
            if std::mem::take(&mut self.coding) {
                let section = self.coded.finish();
                // At most the coded bits of RECT_PIXELS pixels: it fits.
                coded = section.len() as u32;
                data.extend_from_slice(&section);
            }
            out.push(EncodedRect {
                rect,
                kind: RectEncoding::Tiles {
                    reset: self.reset,
                    coded,
                },
                data,
            });
            self.reset = false;
        }
        self.areas = areas;
    }

    /// Whether every tile that `area` touches is, as the screen has it, a whole tile in the
    /// cache: then references to them are cheaper than an area (a clock's digits come back
    /// where they were).
    fn cached(&mut self, screen: &Canvas, area: Rect) -> bool {
        let mut tiles = area_tiles(area, screen.bounds()).peekable();
        let mut pixels = [0; TILE_PIXELS];
        tiles.peek().is_some()
            && tiles.all(|tile| {
                load_tile(screen, tile, &mut pixels);
                let hash = self.hashes.get(tile, &pixels);
                self.cache.find(hash, &pixels).is_some()
            })
    }

    /// Writes an area record for `area`, whose corner lies in `tile`, copies it into the
    /// shadow, and puts the whole tiles it touches into the cache.
    fn put_area(&mut self, screen: &Canvas, shadow: &mut Canvas, tile: Rect, area: Rect) {
        self.payload.push(OP_AREA);
        // The corner lies in the tile, and the sides are at most AREA_SIDE.
        self.payload
            .push(((area.x - tile.x) << 4 | (area.y - tile.y)) as u8);
        self.payload.push((area.width - 1) as u8);
        self.payload.push((area.height - 1) as u8);
        self.tile.clear();
        for y in 0..area.height {
            let new = row(screen, area, y);
            self.tile.extend_from_slice(new);
            row_mut(shadow, area, y).copy_from_slice(new);
        }
        let indexed = self.palette.index(&self.tile);
        self.put_record(indexed, shadow, area, None);
        let mut pixels = [0; TILE_PIXELS];
        for tile in area_tiles(area, shadow.bounds()) {
            load_tile(shadow, tile, &mut pixels);
            self.cache.insert(hash(&pixels), &pixels);
        }
    }

    /// Whether the tile at `at` on the screen's grid, `tile`, is damaged and differs from
    /// what the viewer has: from the shadow, or, when it went lossy, from what it was then.
    fn changed(
        &self,
        screen: &Canvas,
        shadow: &Canvas,
        tile: Rect,
        at: usize,
        fresh: bool,
    ) -> bool {
        if !self.dirty[at] {
            return false;
        }
        if fresh {
            return true;
        }
        match self.lossy[at] {
            0 => !same(screen, shadow, tile),
            sent => hash_rows(screen, tile) | 1 != sent,
        }
    }

    /// Whether `tile` may go as JPEG: it is photographic, not in the cache, and most of it
    /// changed (a pointer over a photograph goes exact, as a part).
    fn lossy_fits(&mut self, screen: &Canvas, shadow: &Canvas, tile: Rect, fresh: bool) -> bool {
        if !self
            .colors
            .photographic((0..tile.height).map(|y| row(screen, tile, y)))
        {
            return false;
        }
        if !fresh {
            let differ: usize = (0..tile.height)
                .map(|y| {
                    let (new, old) = (row(screen, tile, y), row(shadow, tile, y));
                    new.iter().zip(old).filter(|(n, o)| n != o).count()
                })
                .sum();
            if differ * 4 < (tile.width * tile.height) as usize {
                return false;
            }
        }
        if tile.width == TILE && tile.height == TILE {
            let mut pixels = [0; TILE_PIXELS];
            load_tile(screen, tile, &mut pixels);
            if self
                .cache
                .find(self.hashes.get(tile, &pixels), &pixels)
                .is_some()
            {
                return false;
            }
        }
        true
    }

    /// Writes `run` (`tiles` tiles of one row) as a JPEG record and puts in the shadow what
    /// the viewer will decode; false (nothing written) when the JPEG is no smaller than the
    /// pixels.
    fn put_jpeg(
        &mut self,
        screen: &Canvas,
        shadow: &mut Canvas,
        run: Rect,
        tiles: usize,
        quality: u8,
    ) -> bool {
        let (w, h) = (run.width as usize, run.height as usize);
        self.bgra.clear();
        for y in 0..run.height {
            for &p in row(screen, run, y) {
                self.bgra.extend_from_slice(&p.to_le_bytes());
            }
        }
        if !jpeg::encode(&self.bgra, w, h, quality, &mut self.jpeg) || self.jpeg.len() > 3 * w * h {
            return false;
        }
        if jpeg::decode(&self.jpeg, w, h, &mut self.bgra).is_err() {
            return false;
        }
        for (y, line) in (0..run.height).zip(self.bgra.chunks_exact(4 * w)) {
            let dst = row_mut(shadow, run, y);
            for (d, b) in dst.iter_mut().zip(line.chunks_exact(4)) {
                *d = u32::from_le_bytes([b[0], b[1], b[2], 0]);
            }
        }
        let out = &mut self.payload;
        out.push(OP_JPEG);
        // A run lies in one row of tiles of a rectangle at most MAX_SIDE wide: at most 512.
        out.push((tiles - 1) as u8);
        out.extend_from_slice(&(self.jpeg.len() as u32).to_le_bytes());
        out.extend_from_slice(&self.jpeg);
        true
    }

    /// Forgets which tiles of `rect` went lossy: a copy moved other pixels there.
    pub(super) fn forget_lossy(&mut self, rect: Rect, screen_width: u32) {
        let cols = screen_width.div_ceil(TILE) as usize;
        if rect.is_empty() || self.lossy.is_empty() {
            return;
        }
        let x0 = rect.x as usize / TILE as usize;
        let x1 = (rect.right() as usize - 1) / TILE as usize;
        let y0 = rect.y as usize / TILE as usize;
        let y1 = (rect.bottom() as usize - 1) / TILE as usize;
        for y in y0..=y1 {
            if let Some(marks) = self.lossy.get_mut(y * cols + x0..=y * cols + x1) {
                marks.fill(0);
            }
        }
    }

    /// Marks the damaged tiles; the tile bounds of the damage (inclusive), if any.
    fn mark(
        &mut self,
        (cols, rows): (usize, usize),
        damage: &[Rect],
    ) -> Option<(usize, usize, usize, usize)> {
        self.dirty.clear();
        self.dirty.resize(cols * rows, false);
        let mut bounds: Option<(usize, usize, usize, usize)> = None;
        for r in damage {
            // Clipped to the screen and not empty.
            let x0 = r.x as usize / TILE as usize;
            let y0 = r.y as usize / TILE as usize;
            let x1 = (r.right() as usize - 1) / TILE as usize;
            let y1 = (r.bottom() as usize - 1) / TILE as usize;
            for y in y0..=y1 {
                self.dirty[y * cols + x0..=y * cols + x1].fill(true);
            }
            bounds = Some(match bounds {
                None => (x0, y0, x1, y1),
                Some((a, b, c, d)) => (a.min(x0), b.min(y0), c.max(x1), d.max(y1)),
            });
        }
        bounds
    }

    /// Writes the record of `tile`, in the rectangle `bounds`, and copies it into the shadow.
    fn put_tile(
        &mut self,
        screen: &Canvas,
        shadow: &mut Canvas,
        tile: Rect,
        bounds: Rect,
        fresh: bool,
    ) {
        let width = tile.width as usize;
        // Written in place, not pushed (see `Palette::index`); `old` only when it is known.
        self.tile.resize(width * tile.height as usize, 0);
        self.old.resize(if fresh { 0 } else { self.tile.len() }, 0);
        let mut olds = self.old.chunks_exact_mut(width);
        for (y, line) in (0..tile.height).zip(self.tile.chunks_exact_mut(width)) {
            let (new, old) = (row(screen, tile, y), row_mut(shadow, tile, y));
            copy_row(line, new);
            if let Some(was) = olds.next() {
                copy_row(was, old);
            }
            copy_row(old, new);
        }
        let first = self.tile[0];
        if self.tile.iter().all(|&p| p == first) {
            self.payload.push(OP_SOLID);
            put_pixel(&mut self.payload, first);
            return;
        }
        let whole = self.tile.len() == TILE_PIXELS;
        let hash = if whole {
            self.hashes.get(tile, &self.tile)
        } else {
            0
        };
        if whole {
            if let Some(slot) = self.cache.find(hash, &self.tile) {
                self.payload.push(OP_CACHED);
                self.payload.extend_from_slice(&slot.to_le_bytes());
                return;
            }
        }
        match (!fresh)
            .then(|| changed_part(&self.tile, &self.old, width))
            .flatten()
        {
            Some(part) => {
                self.payload.push(OP_PART);
                // Inside the tile, so each number fits in four bits.
                self.payload.push((part.x << 4 | part.y) as u8);
                self.payload
                    .push(((part.width - 1) << 4 | (part.height - 1)) as u8);
                // The part's pixels, in `old` (no longer needed) as the record's input.
                self.old.clear();
                for y in part.y as usize..part.bottom() as usize {
                    let start = y * width + part.x as usize;
                    self.old
                        .extend_from_slice(&self.tile[start..start + part.width as usize]);
                }
                std::mem::swap(&mut self.tile, &mut self.old);
                let indexed = self.palette.index(&self.tile);
                let area = Rect::new(tile.x + part.x, tile.y + part.y, part.width, part.height);
                self.put_record(indexed, shadow, area, Some(bounds));
                std::mem::swap(&mut self.tile, &mut self.old);
            }
            None => {
                let indexed = self.palette.index(&self.tile);
                self.put_record(indexed, shadow, tile, Some(bounds));
            }
        }
        if whole {
            self.cache.insert(hash, &self.tile);
        }
    }

    /// Writes the smallest record of the pixels in `self.tile`, those of `area` of the
    /// rectangle `bounds`, which `self.palette` has indexed (`indexed`: they have at most
    /// [`MAX_COLORS`] colors): solid, raw, packed palette, palette runs, blend or, with
    /// `bounds` (a tile or a part of one, not an area record), gradient. The shadow has the
    /// viewer's pixels around `area`, for the gradient's predictions.
    fn put_record(&mut self, indexed: bool, shadow: &Canvas, area: Rect, bounds: Option<Rect>) {
        let width = area.width as usize;
        let pixels = &self.tile[..];
        let (n, height) = (pixels.len(), pixels.len() / width);
        if indexed && self.palette.colors.len() == 1 {
            self.payload.push(OP_SOLID);
            put_pixel(&mut self.payload, pixels[0]);
            return;
        }
        // Estimates of the bytes each form takes before compression.
        let raw = 1 + 3 * n;
        let (mut packed, mut runs) = (usize::MAX, usize::MAX);
        if indexed {
            let colors = self.palette.colors.len();
            let row_bytes = (width * self.palette.bits()).div_ceil(8);
            packed = 2 + 3 * colors + row_bytes * height;
            runs = 2 + 3 * colors + self.palette.run_bytes;
        }
        // One color blended over another (text and lines), when every pixel is such a blend
        // and there are more colors than a palette of two bits a pixel holds.
        if !indexed || self.palette.colors.len() > BLEND_COLORS {
            if let Some((fg, bg)) = blend_of(pixels, width, &self.foregrounds, &mut self.alphas) {
                self.foregrounds.retain(|&k| k != fg);
                self.foregrounds.truncate(FOREGROUNDS - 1);
                self.foregrounds.insert(0, fg);
                self.payload.push(OP_BLEND);
                put_pixel(&mut self.payload, fg);
                put_pixel(&mut self.payload, bg);
                // Column by column (see the format).
                for x in 0..width {
                    self.payload
                        .extend(self.alphas.iter().skip(x).step_by(width).take(height));
                }
                return;
            }
        }
        // Photographs and whole tiles of smooth shading go through the gradient filter: a
        // sky's colors repeat along its rows, but seldom along both a row and a column at
        // once, as the flat background round anti-aliased text does (text compresses better
        // raw, where the stream finds its glyphs again). Chosen by measurement: sent for
        // every such tile, the image viewer's first screen took 28% fewer bytes (83.6
        // against 115.4 KB, `bandwidth --quick --vnc`) than when a gradient record had to
        // beat a guess of the raw record's size, and no other workload changed by 1%.
        let colors = &mut self.colors;
        let filtered = |_: &Rect| {
            !indexed
                && (colors.photographic(pixels.chunks(width))
                    || (n == TILE_PIXELS && flat_pixels(pixels, width) * 4 < n))
        };
        // Only tiles and parts (with `bounds`), not area records, are looked at.
        if let Some(bounds) = bounds.filter(filtered) {
            gradient_edges(shadow, area, bounds, &mut self.edges);
            self.payload.push(OP_GRADIENT);
            self.coding = true;
            let (model, coder) = (&mut self.model, &mut self.coded);
            gradient::code::<_, GRADIENT_ROW>(model, coder, width, &self.edges, &mut self.tile);
            return;
        }
        let best = raw.min(packed).min(runs);
        if best == runs {
            self.put_runs();
        } else if best == packed {
            self.put_packed(width);
        } else {
            self.payload.push(OP_RAW);
            for &p in pixels {
                put_green_difference(&mut self.payload, p);
            }
        }
    }

    fn put_palette(&mut self, op: u8) {
        let out = &mut self.payload;
        out.push(op);
        // At most MAX_COLORS.
        out.push((self.palette.colors.len() - 1) as u8);
        for &c in &self.palette.colors {
            put_pixel(out, c);
        }
    }

    fn put_packed(&mut self, width: usize) {
        self.put_palette(OP_PACKED);
        let bits = self.palette.bits();
        let out = &mut self.payload;
        for line in self.palette.indices.chunks_exact(width) {
            let (mut byte, mut used) = (0u8, 0);
            for &i in line {
                byte |= i << (8 - bits - used);
                used += bits;
                if used == 8 {
                    out.push(byte);
                    (byte, used) = (0, 0);
                }
            }
            if used > 0 {
                out.push(byte);
            }
        }
    }

    fn put_runs(&mut self) {
        self.put_palette(OP_RUNS);
        let out = &mut self.payload;
        let indices = &self.palette.indices;
        let mut start = 0;
        while start < indices.len() {
            let index = indices[start];
            let len = indices[start..].iter().take_while(|&&i| i == index).count();
            if len == 1 {
                out.push(index);
            } else {
                out.push(index | 0x80);
                let mut rest = len - 2;
                while rest >= 255 {
                    out.push(255);
                    rest -= 255;
                }
                out.push(rest as u8);
            }
            start += len;
        }
    }
}

/// The side of a tile, as a length.
const W: usize = TILE as usize;

/// Copies `from` into `to`, rows of the same length: a whole tile's row as an array, a copy
/// of a known size, which the compiler makes a few vector moves instead of a call (the calls
/// were a third of a whole screen's time).
#[inline]
fn copy_row(to: &mut [u32], from: &[u32]) {
    if let (Ok(to), Ok(from)) = (
        <&mut [u32; W]>::try_from(&mut *to),
        <&[u32; W]>::try_from(from),
    ) {
        *to = *from;
    } else {
        copy_part_row(to, from);
    }
}

/// [`copy_row`] for a part of a tile's row. A function of its own: a copy of any length in
/// the same function as the array's lets the compiler merge the two into one call of any
/// length, the call that the array was there to avoid.
#[inline(never)]
fn copy_part_row(to: &mut [u32], from: &[u32]) {
    to.copy_from_slice(from);
}

/// The pixels of `tile`, a whole tile of `canvas`, row by row into `pixels`.
fn load_tile(canvas: &Canvas, tile: Rect, pixels: &mut [u32; TILE_PIXELS]) {
    let (lines, _) = pixels.as_chunks_mut::<W>();
    for (y, line) in (0..TILE).zip(lines) {
        copy_row(line, row(canvas, tile, y));
    }
}

/// Whether `tile` is the same on both canvases.
fn same(screen: &Canvas, shadow: &Canvas, tile: Rect) -> bool {
    (0..tile.height).all(|y| {
        let (new, old) = (row(screen, tile, y), row(shadow, tile, y));
        // A whole tile's rows as arrays, compared in a few vector operations (see copy_row).
        match (new.first_chunk::<W>(), old.first_chunk()) {
            (Some(a), Some(b)) if new.len() == a.len() => a == b,
            _ => new == old,
        }
    })
}

/// The rectangle (in the tile's own coordinates) that holds every pixel where `new` and
/// `old`, the rows of a tile `width` wide, differ, when it is small enough to be worth a part
/// record: at most [`PART_AREA`] of the tile.
fn changed_part(new: &[u32], old: &[u32], width: usize) -> Option<Rect> {
    let (mut left, mut right, mut top, mut bottom) = (width, 0, usize::MAX, 0);
    for (y, (n, o)) in new
        .chunks_exact(width)
        .zip(old.chunks_exact(width))
        .enumerate()
    {
        let Some(first) = n.iter().zip(o).position(|(a, b)| a != b) else {
            continue;
        };
        // Some pixel differs, so one is found from the right too.
        let last = width - 1 - n.iter().zip(o).rev().position(|(a, b)| a != b).unwrap_or(0);
        (left, right) = (left.min(first), right.max(last));
        top = top.min(y);
        bottom = y;
    }
    if top == usize::MAX {
        // Nothing changed (the caller sends only tiles that did).
        return None;
    }
    let (w, h) = (right + 1 - left, bottom + 1 - top);
    (w * h * PART_AREA.1 <= new.len() * PART_AREA.0)
        .then(|| Rect::new(left as i32, top as i32, w as u32, h as u32))
}

/// The areas of this update (see the format): per damaged rectangle of at most
/// [`AREA_DAMAGE`] pixels, the rectangle of its pixels that differ from the shadow, when that
/// is at most [`AREA_PIXELS`] and straddles tiles, covering less than half of them (within
/// one tile a part record says the same); in the order of the tile grid that their corners
/// lie in.
fn find_areas(
    screen: &Canvas,
    shadow: &Canvas,
    damage: &[Rect],
    scratch: (&mut Vec<u32>, &mut Vec<u8>),
    foregrounds: &[u32],
    mut kept: impl FnMut(Rect) -> bool,
    out: &mut Vec<Rect>,
) {
    let (pixels, alphas) = scratch;
    for &rect in damage {
        if rect.size().area() > AREA_DAMAGE {
            continue;
        }
        let (mut left, mut right, mut top, mut bottom) = (u32::MAX, 0, u32::MAX, 0);
        for y in 0..rect.height {
            let (new, old) = (row(screen, rect, y), row(shadow, rect, y));
            let Some(first) = new.iter().zip(old).position(|(a, b)| a != b) else {
                continue;
            };
            let last = new
                .iter()
                .zip(old)
                .rposition(|(a, b)| a != b)
                .unwrap_or(first);
            (left, right) = (left.min(first as u32), right.max(last as u32));
            top = top.min(y);
            bottom = y;
        }
        if top == u32::MAX {
            continue;
        }
        // Within `rect`, which lies on the screen: no overflow.
        let area = Rect::new(
            rect.x + left as i32,
            rect.y + top as i32,
            right + 1 - left,
            bottom + 1 - top,
        );
        let small = |a: Rect| {
            a.size().area() <= AREA_PIXELS && a.width <= AREA_SIDE && a.height <= AREA_SIDE
        };
        // An area found in the cache is dropped, and so is any area inside it, such as the
        // one without a solid edge: nothing more is worked out for it (a caret that blinks,
        // a clock's digits that come back).
        if !small(area) || kept(area) {
            continue;
        }
        let area = without_solid_edge(screen, area, foregrounds, pixels, alphas);
        let tile_of = |x: i64| u64::from(x as u32 / TILE);
        let (across, down) = (
            tile_of(area.right() - 1) - tile_of(area.x.into()) + 1,
            tile_of(area.bottom() - 1) - tile_of(area.y.into()) + 1,
        );
        // Over more than one tile, and less than half of those it touches (else the tiles,
        // their cache and their gradient serve as well).
        let straddles =
            across * down > 1 && area.size().area() * 2 <= across * down * u64::from(TILE * TILE);
        if straddles {
            out.push(area);
        }
    }
    out.sort_by_key(|a| (a.y as u32 / TILE, a.x as u32 / TILE));
}

/// `area` of `screen` without the lines along one of its edges that are all of one color,
/// when what is left is one color blended over another and the whole is not: a glyph typed
/// with the caret beside it (a strip of another color) then goes as a blend record, whose
/// opacities are the same wherever and in whatever color the glyph is typed, and the caret
/// as a solid part of its tiles. Else `area` itself. `pixels` and `alphas` are scratch.
fn without_solid_edge(
    screen: &Canvas,
    area: Rect,
    foregrounds: &[u32],
    pixels: &mut Vec<u32>,
    alphas: &mut Vec<u8>,
) -> Rect {
    let load = |r: Rect, pixels: &mut Vec<u32>| {
        pixels.clear();
        for y in 0..r.height {
            pixels.extend_from_slice(row(screen, r, y));
        }
    };
    load(area, pixels);
    if blend_of(pixels, area.width as usize, foregrounds, alphas).is_some() {
        return area;
    }
    // Each edge, as the line of `r` along it and what is left of `r` without it.
    type Peel = fn(Rect) -> (Rect, Rect);
    let edges: [Peel; 4] = [
        |r| {
            let x = r.x + r.width as i32 - 1;
            (
                Rect::new(x, r.y, 1, r.height),
                Rect::new(r.x, r.y, r.width - 1, r.height),
            )
        },
        |r| {
            (
                Rect::new(r.x, r.y, 1, r.height),
                Rect::new(r.x + 1, r.y, r.width - 1, r.height),
            )
        },
        |r| {
            let y = r.y + r.height as i32 - 1;
            (
                Rect::new(r.x, y, r.width, 1),
                Rect::new(r.x, r.y, r.width, r.height - 1),
            )
        },
        |r| {
            (
                Rect::new(r.x, r.y, r.width, 1),
                Rect::new(r.x, r.y + 1, r.width, r.height - 1),
            )
        },
    ];
    for peel in edges {
        let (mut rest, mut color) = (area, None);
        while rest.width > 1 && rest.height > 1 {
            let (line, inner) = peel(rest);
            load(line, pixels);
            let c = pixels[0];
            if color.is_some_and(|k| k != c) || pixels.iter().any(|&p| p != c) {
                break;
            }
            (rest, color) = (inner, Some(c));
        }
        if rest != area {
            load(rest, pixels);
            if blend_of(pixels, rest.width as usize, foregrounds, alphas).is_some() {
                return rest;
            }
        }
    }
    area
}

/// A skip record for `n` unchanged tiles (none for none).
fn put_skip(out: &mut Vec<u8>, mut n: usize) {
    while n > 0 {
        let k = n.min(256);
        out.push(OP_SKIP);
        out.push((k - 1) as u8);
        n -= k;
    }
}
