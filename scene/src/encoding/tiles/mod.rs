//! `px-tiles`: netui's own pixel encoding, VNC's ZRLE taken further.
//!
//! The screen is cut into a grid of [`TILE`]x[`TILE`] tiles (smaller at its right and bottom
//! edges). Each update sends, after the copies of its scrolls and moves, the damaged tiles
//! that really differ from the encoder's shadow of the viewer's screen, each in the smallest
//! of a few forms, and the records of all of them go through one deflate stream that lives
//! as long as the connection, so that each update is compressed against what went before.
//!
//! # Wire format
//! A [`RectEncoding::Tiles`] rectangle lies on the tile grid. Its data is the next piece of
//! the connection's raw deflate stream (RFC 1951, no header), ended by a sync flush. It
//! expands to records for the tiles of the rectangle, row by row, left to right; records may
//! stop before the last tile (the rest are unchanged). Each record starts with an op byte;
//! pixels are three bytes, blue, green, red (the low three of a `0x00RRGGBB` little-endian
//! `u32`):
//! - `0` skip: one byte `k`; the next `k + 1` tiles are unchanged.
//! - `1` solid: one pixel fills the tile.
//! - `2` cached: a `u16` (little-endian) slot of the tile cache; the tile is that slot's.
//! - `3` raw: the tile's pixels.
//! - `4` XOR: the tile's pixels, each XORed with what the viewer has there.
//! - `5` packed palette: `n - 1` (2 ≤ n ≤ 16), `n` pixels, then per row the indices, 1, 2
//!   or 4 bits each (for up to 2, 4 or 16 colors), the first in the high bits, each row
//!   padded to a byte.
//! - `6` palette runs: `n - 1` (1 ≤ n ≤ 16), `n` pixels, then runs until the tile is full:
//!   a byte with the index in its low 7 bits; when its high bit is set, the run is longer
//!   than one pixel and its length minus 2 follows as bytes that add up, each 255 saying
//!   that another follows.
//!
//! The tile cache holds [`CACHE_SLOTS`] whole tiles. Every whole (`TILE`x`TILE`) tile sent
//! as raw, XOR, packed palette or palette runs goes, as the viewer then shows it, into the
//! next slot, round the slots in order: encoder and decoder evict the same tile without
//! saying so. A rectangle whose `reset` is set starts a new deflate stream and an empty cache;
//! the encoder sets it on its first rectangle after it was made or reset, or the screen
//! changed size, when it also assumes nothing of the viewer's screen.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use flate2::{Compress, Compression, FlushCompress};
use netui_protocol::{EncodedRect, Rect, RectEncoding};

use super::{row, row_mut};
use crate::render::Canvas;

pub(super) mod decoder;
#[cfg(test)]
mod tests;

/// The side of a tile, in pixels (a power of two).
pub const TILE: u32 = 16;
/// The pixels of a whole tile.
const TILE_PIXELS: usize = (TILE * TILE) as usize;
/// The slots of the tile cache: 4 MiB of tiles on each side.
pub const CACHE_SLOTS: usize = 4096;
/// The most colors of a palette.
const MAX_COLORS: usize = 16;
/// The most pixels the encoder puts in one rectangle, so that a rectangle's data stays well
/// inside a message even when it does not compress.
const RECT_PIXELS: u64 = 1 << 20;
/// The deflate level: 1, deflate's fastest. Higher levels cost far more time than they save
/// bytes on tile records, most of which are small.
const LEVEL: u32 = 1;

const OP_SKIP: u8 = 0;
const OP_SOLID: u8 = 1;
const OP_CACHED: u8 = 2;
const OP_RAW: u8 = 3;
const OP_XOR: u8 = 4;
const OP_PACKED: u8 = 5;
const OP_RUNS: u8 = 6;

/// The longest record of one tile (raw is the longest: runs take at most a byte a pixel
/// plus a palette, and the decoder refuses more colors).
const MAX_RECORD: usize = 1 + 3 * TILE_PIXELS;

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

/// A pixel's three bytes on the wire.
fn put_pixel(out: &mut Vec<u8>, p: u32) {
    out.extend_from_slice(&p.to_le_bytes()[..3]);
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

/// A fast hash of a whole tile's pixels (FxHash's mixing, eight bytes at a time).
fn hash(pixels: &[u32]) -> u64 {
    const K: u64 = 0x517c_c1b7_2722_0a95;
    pixels.chunks_exact(2).fold(0, |h, pair| {
        let v = u64::from(pair[0]) | u64::from(pair[1]) << 32;
        (h.rotate_left(5) ^ v).wrapping_mul(K)
    })
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
        self.indices.clear();
        self.run_bytes = 0;
        let (mut prev, mut index, mut run) = (None, 0u8, 0usize);
        for &p in pixels {
            if prev != Some(p) {
                index = match self.colors.iter().position(|&c| c == p) {
                    Some(i) => i as u8,
                    None if self.colors.len() == MAX_COLORS => return false,
                    None => {
                        self.colors.push(p);
                        (self.colors.len() - 1) as u8
                    }
                };
                self.run_bytes += run_len(run);
                prev = Some(p);
                run = 0;
            }
            run += 1;
            self.indices.push(index);
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

/// The server's side of `px-tiles` for one viewer: the deflate stream and the cache.
#[derive(Debug)]
pub(super) struct TileEncoder {
    deflate: Compress,
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
}

impl TileEncoder {
    pub(super) fn new() -> TileEncoder {
        TileEncoder {
            deflate: Compress::new(Compression::new(LEVEL), false),
            reset: true,
            cache: Cache::default(),
            palette: Palette::default(),
            payload: Vec::new(),
            dirty: Vec::new(),
            tile: Vec::with_capacity(TILE_PIXELS),
            old: Vec::with_capacity(TILE_PIXELS),
        }
    }

    /// Starts afresh with the next rectangle sent.
    pub(super) fn restart(&mut self) {
        self.reset = true;
    }

    /// Encodes the tiles of `damage` (clipped, not empty) that differ from `shadow` (all of
    /// them when `fresh`: the viewer's screen is then unknown) and brings the shadow up to
    /// date.
    pub(super) fn encode(
        &mut self,
        screen: &Canvas,
        shadow: &mut Canvas,
        damage: &[Rect],
        fresh: bool,
        out: &mut Vec<EncodedRect>,
    ) {
        if self.reset {
            self.cache.clear();
            self.deflate.reset();
        }
        let screen_grid = grid(screen.bounds());
        let Some((left, top, right, bottom)) = self.mark(screen_grid, damage) else {
            return;
        };
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
            for index in 0..cols * (last - first + 1) {
                let (tx, ty) = (left + index % cols, first + index / cols);
                let tile = tile_rect(rect, cols, index);
                let dirty = self.dirty[ty * screen_grid.0 + tx];
                if !dirty || (!fresh && same(screen, shadow, tile)) {
                    skip += 1;
                    continue;
                }
                put_skip(&mut self.payload, skip);
                skip = 0;
                self.put_tile(screen, shadow, tile, fresh);
            }
            if self.payload.is_empty() && !self.reset {
                continue;
            }
            out.push(EncodedRect {
                rect,
                kind: RectEncoding::Tiles { reset: self.reset },
                data: self.compress(),
            });
            self.reset = false;
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

    /// Writes the record of `tile` and copies it into the shadow.
    fn put_tile(&mut self, screen: &Canvas, shadow: &mut Canvas, tile: Rect, fresh: bool) {
        self.tile.clear();
        self.old.clear();
        for y in 0..tile.height {
            self.tile.extend_from_slice(row(screen, tile, y));
            if !fresh {
                self.old.extend_from_slice(row(shadow, tile, y));
            }
            row_mut(shadow, tile, y).copy_from_slice(row(screen, tile, y));
        }
        let out = &mut self.payload;
        let pixels = &self.tile[..];
        let n = pixels.len();
        let indexed = self.palette.index(pixels);
        if indexed && self.palette.colors.len() == 1 {
            out.push(OP_SOLID);
            put_pixel(out, pixels[0]);
            return;
        }
        let whole = n == TILE_PIXELS;
        let hash = if whole { hash(pixels) } else { 0 };
        if whole {
            if let Some(slot) = self.cache.find(hash, pixels) {
                out.push(OP_CACHED);
                out.extend_from_slice(&slot.to_le_bytes());
                return;
            }
        }
        // Estimates of the bytes each form takes before deflate.
        let raw = 1 + 3 * n;
        let (mut packed, mut runs) = (usize::MAX, usize::MAX);
        if indexed {
            let colors = self.palette.colors.len();
            let row_bytes = (tile.width as usize * self.palette.bits()).div_ceil(8);
            packed = 2 + 3 * colors + row_bytes * tile.height as usize;
            runs = 2 + 3 * colors + self.palette.run_bytes;
        }
        let xor = if fresh {
            usize::MAX
        } else {
            xor_cost(pixels, &self.old)
        };
        let best = raw.min(packed).min(runs).min(xor);
        if best == runs {
            self.put_runs();
        } else if best == packed {
            self.put_packed(tile.width as usize);
        } else if best == xor {
            let out = &mut self.payload;
            out.push(OP_XOR);
            for (&p, &o) in pixels.iter().zip(&self.old) {
                put_pixel(out, p ^ o);
            }
        } else {
            out.push(OP_RAW);
            for &p in pixels {
                put_pixel(out, p);
            }
        }
        if whole {
            self.cache.insert(hash, &self.tile);
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

    /// The records so far as the next piece of the deflate stream.
    fn compress(&mut self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.payload.len() / 2 + 64);
        let start = self.deflate.total_in();
        loop {
            let consumed = (self.deflate.total_in() - start) as usize;
            if out.capacity() - out.len() < 64 {
                out.reserve(out.capacity().max(256));
            }
            let input = self.payload.get(consumed..).unwrap_or_default();
            // The rust backend fails only on a stream already finished, which this one never
            // is (it is only ever flushed).
            self.deflate
                .compress_vec(input, &mut out, FlushCompress::Sync)
                .expect("a deflate stream that is never finished takes input");
            let done = (self.deflate.total_in() - start) as usize == self.payload.len();
            // A sync flush is complete when deflate had room left to write.
            if done && out.len() < out.capacity() {
                return out;
            }
        }
    }
}

/// Whether `tile` is the same on both canvases.
fn same(screen: &Canvas, shadow: &Canvas, tile: Rect) -> bool {
    (0..tile.height).all(|y| row(screen, tile, y) == row(shadow, tile, y))
}

/// An estimate of the bytes the XOR of a tile takes after deflate: its changed pixels, plus
/// two for every stretch of unchanged ones between them.
fn xor_cost(new: &[u32], old: &[u32]) -> usize {
    let (mut cost, mut same_run) = (1, false);
    for (n, o) in new.iter().zip(old) {
        if n != o {
            cost += 3;
            same_run = false;
        } else if !same_run {
            cost += 2;
            same_run = true;
        }
    }
    cost
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
