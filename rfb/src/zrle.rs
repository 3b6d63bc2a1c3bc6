//! ZRLE encoding (16, RFC 6143 §7.7.6): 64x64 tiles, each solid, a packed palette of 2–16
//! colours, plain RLE, palette RLE or raw (whichever is smallest), all in one zlib stream per
//! connection that lives across updates and is flushed (Z_SYNC_FLUSH) after each rectangle.
//!
//! Pixels are CPIXELs: three bytes when the client's format allows
//! ([`PixelFormat::compact`]), else whole pixels.

use std::io::Read;

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress};
use netui_protocol::Rect;
use netui_scene::render::Canvas;

use crate::client::ClientError;
use crate::encoding;
use crate::message::write_rect_header;
use crate::pixel::{Compact, PixelFormat};
use crate::raw::{check_inside, load_tile, row_mut, tiles};
use crate::RfbError;

const TILE: u32 = 64;
/// Palette RLE holds at most 127 colours; packed palettes at most 16.
const MAX_PALETTE: usize = 127;

/// How CPIXELs are cut from whole pixels.
#[derive(Clone, Copy)]
struct Cpixel {
    format: PixelFormat,
    /// The byte range of the pixel's wire bytes that a CPIXEL keeps.
    keep: (usize, usize),
}

impl Cpixel {
    fn new(format: &PixelFormat) -> Cpixel {
        let keep = match (format.compact(), format.big_endian) {
            (None, _) => (0, format.bytes_per_pixel()),
            (Some(Compact::Low), false) | (Some(Compact::High), true) => (0, 3),
            (Some(Compact::Low), true) | (Some(Compact::High), false) => (1, 4),
        };
        Cpixel {
            format: *format,
            keep,
        }
    }

    fn len(&self) -> usize {
        self.keep.1 - self.keep.0
    }

    #[inline]
    fn put(&self, pixel: u32, out: &mut Vec<u8>) {
        if self.format.bits_per_pixel != 32 {
            self.format.put(pixel, out);
            return;
        }
        let bytes = if self.format.big_endian {
            pixel.to_be_bytes()
        } else {
            pixel.to_le_bytes()
        };
        out.extend_from_slice(&bytes[self.keep.0..self.keep.1]);
    }

    /// The screen colour of a CPIXEL (`bytes` is [`Cpixel::len`] long).
    #[inline]
    fn rgb(&self, bytes: &[u8]) -> u32 {
        if self.format.bits_per_pixel != 32 {
            return self.format.rgb(self.format.read(bytes));
        }
        let mut word = [0u8; 4];
        word[self.keep.0..self.keep.1].copy_from_slice(bytes);
        self.format.rgb(self.format.read(&word))
    }
}

/// A tile's colours: a small hash table from pixel to palette index, cleared per tile.
struct Palette {
    colours: [u32; MAX_PALETTE],
    len: usize,
    slots: [u8; 256],
    keys: [u32; 256],
}

impl Palette {
    const EMPTY: u8 = u8::MAX;

    fn new() -> Palette {
        Palette {
            colours: [0; MAX_PALETTE],
            len: 0,
            slots: [Self::EMPTY; 256],
            keys: [0; 256],
        }
    }

    fn clear(&mut self) {
        self.len = 0;
        self.slots = [Self::EMPTY; 256];
    }

    fn hash(p: u32) -> usize {
        (p.wrapping_mul(0x9e37_79b1) >> 24) as usize
    }

    /// The colour's index; `None` when it is new and the palette is full. With at most 127
    /// of 256 slots used, the probe always ends at an empty slot.
    fn insert(&mut self, p: u32) -> Option<u8> {
        let mut h = Self::hash(p);
        loop {
            match self.slots[h] {
                Self::EMPTY => {
                    if self.len == MAX_PALETTE {
                        return None;
                    }
                    self.slots[h] = self.len as u8;
                    self.keys[h] = p;
                    self.colours[self.len] = p;
                    self.len += 1;
                    return Some(self.slots[h]);
                }
                i if self.keys[h] == p => return Some(i),
                _ => h = (h + 1) & 255,
            }
        }
    }
}

/// The ZRLE encoder of one connection: its zlib stream and scratch buffers.
pub struct ZrleEncoder {
    zlib: Compress,
    tiles: Vec<u8>,
    pixels: Vec<u32>,
    palette: Box<Palette>,
}

impl std::fmt::Debug for ZrleEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ZrleEncoder").finish_non_exhaustive()
    }
}

impl ZrleEncoder {
    /// An encoder whose zlib stream compresses at `level` (0–9; fixed for the stream).
    pub fn new(level: u8) -> ZrleEncoder {
        ZrleEncoder {
            zlib: Compress::new(Compression::new(u32::from(level.min(9))), true),
            tiles: Vec::new(),
            pixels: vec![0; (TILE * TILE) as usize],
            palette: Box::new(Palette::new()),
        }
    }

    /// Appends `rect` of `screen` (inside it) as one ZRLE rectangle.
    pub fn encode(&mut self, screen: &Canvas, rect: Rect, format: &PixelFormat, out: &mut Vec<u8>) {
        let cpixel = Cpixel::new(format);
        self.tiles.clear();
        for tile in tiles(rect, TILE) {
            let w = tile.width as usize;
            let px = load_tile(screen, tile, format, &mut self.pixels);
            encode_tile(px, w, &cpixel, &mut self.palette, &mut self.tiles);
        }
        write_rect_header(out, rect, encoding::ZRLE);
        let length_at = out.len();
        out.extend_from_slice(&[0; 4]);
        let start = out.len();
        let mut consumed = 0;
        loop {
            out.reserve((self.tiles.len() - consumed) / 2 + 1024);
            let before = self.zlib.total_in();
            if let Err(e) =
                self.zlib
                    .compress_vec(&self.tiles[consumed..], out, FlushCompress::Sync)
            {
                // Cannot happen with a stream only this encoder uses.
                tracing::error!("zlib: {e}");
                break;
            }
            consumed += (self.zlib.total_in() - before) as usize;
            // A sync flush is complete when zlib leaves output space unused.
            if consumed == self.tiles.len() && out.len() < out.capacity() {
                break;
            }
        }
        let length = (out.len() - start) as u32;
        out[length_at..start].copy_from_slice(&length.to_be_bytes());
    }
}

/// Writes a run length (`len` ≥ 1) as ZRLE does: `len - 1` in bytes of 255 and a last one.
fn put_run(len: usize, out: &mut Vec<u8>) {
    let mut rest = len - 1;
    while rest >= 255 {
        out.push(255);
        rest -= 255;
    }
    out.push(rest as u8);
}

/// Appends one tile (`px`, `w` wide, client pixel values), in its smallest form.
fn encode_tile(px: &[u32], w: usize, cpixel: &Cpixel, palette: &mut Palette, out: &mut Vec<u8>) {
    let n = px.len();
    let h = n / w;
    let cb = cpixel.len();
    palette.clear();
    let mut full = false;
    let (mut runs, mut run_bytes, mut singles) = (0usize, 0usize, 0usize);
    let mut i = 0;
    while i < n {
        let c = px[i];
        let mut len = 1;
        while i + len < n && px[i + len] == c {
            len += 1;
        }
        runs += 1;
        run_bytes += (len - 1) / 255 + 1;
        singles += usize::from(len == 1);
        if !full && palette.insert(c).is_none() {
            full = true;
        }
        i += len;
    }
    if palette.len == 1 {
        out.push(1);
        cpixel.put(px[0], out);
        return;
    }
    let raw = n * cb;
    let plain_rle = runs * cb + run_bytes;
    let pal = palette.len;
    let bits = match pal {
        0..=2 => 1,
        3..=4 => 2,
        _ => 4,
    };
    let packed = if !full && pal <= 16 {
        pal * cb + h * (w * bits).div_ceil(8)
    } else {
        usize::MAX
    };
    let palette_rle = if !full {
        pal * cb + runs + run_bytes - singles
    } else {
        usize::MAX
    };
    let best = raw.min(plain_rle).min(packed).min(palette_rle);
    if best == raw {
        out.push(0);
        for &p in px {
            cpixel.put(p, out);
        }
    } else if best == packed {
        out.push(pal as u8);
        for &c in &palette.colours[..pal] {
            cpixel.put(c, out);
        }
        for line in px.chunks_exact(w) {
            let (mut byte, mut used) = (0u8, 0);
            for &p in line {
                // In the palette: inserted above.
                let index = palette.insert(p).unwrap_or(0);
                byte = byte << bits | index;
                used += bits;
                if used == 8 {
                    out.push(byte);
                    (byte, used) = (0, 0);
                }
            }
            if used > 0 {
                out.push(byte << (8 - used));
            }
        }
    } else {
        let with_palette = best == palette_rle;
        if with_palette {
            out.push(128 + pal as u8);
            for &c in &palette.colours[..pal] {
                cpixel.put(c, out);
            }
        } else {
            out.push(128);
        }
        let mut i = 0;
        while i < n {
            let c = px[i];
            let mut len = 1;
            while i + len < n && px[i + len] == c {
                len += 1;
            }
            if with_palette {
                let index = palette.insert(c).unwrap_or(0);
                if len == 1 {
                    out.push(index);
                } else {
                    out.push(index | 128);
                    put_run(len, out);
                }
            } else {
                cpixel.put(c, out);
                put_run(len, out);
            }
            i += len;
        }
    }
}

/// The client's side: its zlib stream and buffers.
pub struct ZrleDecoder {
    /// Made by the first rectangle (a connection that never gets ZRLE needs none).
    zlib: Option<Decompress>,
    compressed: Vec<u8>,
    data: Vec<u8>,
}

impl std::fmt::Debug for ZrleDecoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ZrleDecoder").finish_non_exhaustive()
    }
}

impl Default for ZrleDecoder {
    fn default() -> Self {
        Self::new()
    }
}

/// Reads the bytes of one tile's data, failing when they run out.
struct Cursor<'a> {
    data: &'a [u8],
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], RfbError> {
        if n > self.data.len() {
            return Err(RfbError::Zrle("tile data ends early"));
        }
        let (head, rest) = self.data.split_at(n);
        self.data = rest;
        Ok(head)
    }

    fn byte(&mut self) -> Result<u8, RfbError> {
        Ok(self.take(1)?[0])
    }

    /// A run length, at most `left`.
    fn run(&mut self, left: usize) -> Result<usize, RfbError> {
        let mut len = 1usize;
        loop {
            let b = self.byte()?;
            len += usize::from(b);
            if len > left {
                return Err(RfbError::Zrle("a run past the end of its tile"));
            }
            if b != 255 {
                return Ok(len);
            }
        }
    }
}

impl ZrleDecoder {
    /// A decoder at the start of a connection's zlib stream.
    pub fn new() -> ZrleDecoder {
        ZrleDecoder {
            zlib: None,
            compressed: Vec::new(),
            data: Vec::new(),
        }
    }

    /// Reads one ZRLE rectangle into `canvas`. The compressed and uncompressed lengths are
    /// bounded by what the rectangle's tiles can take at most.
    pub fn decode(
        &mut self,
        input: &mut impl Read,
        rect: Rect,
        format: &PixelFormat,
        canvas: &mut Canvas,
    ) -> Result<(), ClientError> {
        check_inside(rect, canvas)?;
        let cpixel = Cpixel::new(format);
        let cb = cpixel.len();
        let count = (rect.width.div_ceil(TILE) * rect.height.div_ceil(TILE)) as usize;
        // Every form takes at most a palette, and `cb + 1` bytes a pixel (plain RLE of runs
        // of one).
        let bound = count * (1 + MAX_PALETTE * cb) + rect.size().area() as usize * (cb + 1);
        let mut length = [0u8; 4];
        input.read_exact(&mut length)?;
        let length = u32::from_be_bytes(length) as usize;
        if length > bound + bound / 64 + 1024 {
            return Err(RfbError::Zrle("compressed data longer than its rectangle needs").into());
        }
        self.compressed.resize(length, 0);
        input.read_exact(&mut self.compressed)?;
        self.data.clear();
        self.data.reserve_exact(bound + 1);
        let mut consumed = 0;
        let zlib = self.zlib.get_or_insert_with(|| Decompress::new(true));
        loop {
            let (before_in, before_out) = (zlib.total_in(), self.data.len());
            zlib.decompress_vec(
                &self.compressed[consumed..],
                &mut self.data,
                FlushDecompress::Sync,
            )
            .map_err(|_| RfbError::Zrle("corrupt zlib stream"))?;
            consumed += (zlib.total_in() - before_in) as usize;
            if self.data.len() > bound {
                return Err(RfbError::Zrle("more data than its rectangle can hold").into());
            }
            let stuck =
                consumed < length && zlib.total_in() == before_in && self.data.len() == before_out;
            if stuck {
                return Err(RfbError::Zrle("zlib makes no progress").into());
            }
            if consumed == length && self.data.len() < self.data.capacity() {
                break;
            }
        }
        let mut cursor = Cursor { data: &self.data };
        let mut pixels = [0u32; (TILE * TILE) as usize];
        for tile in tiles(rect, TILE) {
            let (w, n) = (tile.width as usize, tile.size().area() as usize);
            decode_tile(&mut cursor, &cpixel, w, &mut pixels[..n])?;
            for (y, line) in pixels[..n].chunks_exact(w).enumerate() {
                row_mut(canvas, tile, y as u32).copy_from_slice(line);
            }
        }
        if !cursor.data.is_empty() {
            return Err(RfbError::Zrle("data after the last tile").into());
        }
        Ok(())
    }
}

/// Decodes one tile into `out` (`w` wide) as screen colours.
fn decode_tile(
    cursor: &mut Cursor<'_>,
    cpixel: &Cpixel,
    w: usize,
    out: &mut [u32],
) -> Result<(), RfbError> {
    let cb = cpixel.len();
    let n = out.len();
    let sub = cursor.byte()?;
    let mut palette = [0u32; MAX_PALETTE];
    let mut read_palette = |cursor: &mut Cursor<'_>, size: usize| -> Result<(), RfbError> {
        for (p, bytes) in palette[..size]
            .iter_mut()
            .zip(cursor.take(size * cb)?.chunks_exact(cb))
        {
            *p = cpixel.rgb(bytes);
        }
        Ok(())
    };
    match sub {
        0 => {
            for (p, bytes) in out.iter_mut().zip(cursor.take(n * cb)?.chunks_exact(cb)) {
                *p = cpixel.rgb(bytes);
            }
        }
        1 => out.fill(cpixel.rgb(cursor.take(cb)?)),
        2..=16 => {
            let size = usize::from(sub);
            read_palette(cursor, size)?;
            let bits = match size {
                2 => 1,
                3..=4 => 2,
                _ => 4,
            };
            let row_bytes = (w * bits).div_ceil(8);
            for line in out.chunks_exact_mut(w) {
                let bytes = cursor.take(row_bytes)?;
                for (x, p) in line.iter_mut().enumerate() {
                    let bit = x * bits;
                    let index =
                        usize::from(bytes[bit / 8] >> (8 - bits - bit % 8)) & ((1 << bits) - 1);
                    if index >= size {
                        return Err(RfbError::Zrle("palette index out of range"));
                    }
                    *p = palette[index];
                }
            }
        }
        128 => {
            let mut i = 0;
            while i < n {
                let colour = cpixel.rgb(cursor.take(cb)?);
                let len = cursor.run(n - i)?;
                out[i..i + len].fill(colour);
                i += len;
            }
        }
        130..=255 => {
            let size = usize::from(sub - 128);
            read_palette(cursor, size)?;
            let mut i = 0;
            while i < n {
                let b = cursor.byte()?;
                let index = usize::from(b & 127);
                if index >= size {
                    return Err(RfbError::Zrle("palette index out of range"));
                }
                let len = if b & 128 != 0 { cursor.run(n - i)? } else { 1 };
                out[i..i + len].fill(palette[index]);
                i += len;
            }
        }
        _ => return Err(RfbError::Zrle("unknown tile subencoding")),
    }
    Ok(())
}
