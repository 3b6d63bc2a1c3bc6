//! The viewer's side of `px-tiles`: the compression stream and the tile cache, trusting
//! nothing.

use netui_protocol::{Drawing, Rect};

use super::stream::{ExpandError, Expander};
use super::*;
use crate::encoding::PixelError;
use crate::render::{lanes, over8, Fonts};
use netui_protocol::gradient::{self, Model, RangeDecoder};

/// The viewer's `px-tiles` state: its end of the compression stream and its copy of the cache.
#[derive(Debug)]
pub(in crate::encoding) struct TileDecoder {
    stream: Expander,
    /// The records of one rectangle (at most [`MAX_RECORD`] a tile, and the areas'
    /// [`AREA_BYTES_PER_PIXEL`] a pixel): the first `records` bytes; the rest is room kept.
    payload: Vec<u8>,
    records: usize,
    /// The cache's filled slots, `TILE_PIXELS` each.
    cache: Vec<u32>,
    /// The slot the next tile goes into.
    next: usize,
    /// One tile's pixels, and the neighbours of a gradient record.
    tile: Vec<u32>,
    edges: Vec<u32>,
    /// A JPEG record's pixels, four bytes each.
    bgra: Vec<u8>,
    /// The gradient records' probabilities.
    model: Model,
    /// The glyphs that drawings of text need, from the first such drawing.
    fonts: Option<Box<Fonts>>,
}

/// The bytes of a record, read with checks.
struct Reader<'a> {
    bytes: &'a [u8],
    /// The tile (or part) whose record this is, for errors.
    tile: Rect,
    /// The rectangle of the records.
    bounds: Rect,
    /// The rectangle's coded section, and its decoder from the first gradient record.
    section: &'a [u8],
    coded: Option<RangeDecoder<'a>>,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], PixelError> {
        if n > self.bytes.len() {
            return Err(PixelError::TileTruncated { tile: self.tile });
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }

    fn byte(&mut self) -> Result<u8, PixelError> {
        Ok(self.take(1)?[0])
    }

    fn pixel(&mut self) -> Result<u32, PixelError> {
        let b = self.take(3)?;
        Ok(pixel(b))
    }
}

/// A pixel from its three bytes on the wire (`b` holds at least three).
fn pixel(b: &[u8]) -> u32 {
    u32::from(b[0]) | u32::from(b[1]) << 8 | u32::from(b[2]) << 16
}

impl TileDecoder {
    pub(in crate::encoding) fn new() -> TileDecoder {
        TileDecoder {
            stream: Expander::new(),
            payload: Vec::new(),
            records: 0,
            cache: Vec::new(),
            next: 0,
            tile: Vec::with_capacity(TILE_PIXELS),
            edges: Vec::with_capacity(3 * TILE as usize + 1),
            bgra: Vec::new(),
            model: Model::default(),
            fonts: None,
        }
    }

    /// The records of the last rectangle applied.
    #[cfg(test)]
    pub(super) fn records(&self) -> &[u8] {
        &self.payload[..self.records]
    }

    /// Forgets the stream and the cache, as the encoder did.
    pub(in crate::encoding) fn restart(&mut self) {
        self.stream.restart();
        self.cache.clear();
        self.next = 0;
        self.model.reset();
    }

    /// Applies one rectangle's data, whose last `coded` bytes are its coded section, to
    /// `canvas`; `rect` lies inside it (checked by the caller).
    pub(in crate::encoding) fn apply(
        &mut self,
        canvas: &mut Canvas,
        rect: Rect,
        data: &[u8],
        coded: u32,
    ) -> Result<(), PixelError> {
        let bounds = canvas.bounds();
        // TILE is a power of two (and `is_multiple_of` is newer than the crate's Rust).
        let whole = |n: u32| n & (TILE - 1) == 0;
        let on_grid = |start: i32, side: u32, end: i64| {
            whole(start as u32) && (whole(side) || i64::from(start) + i64::from(side) == end)
        };
        if rect.is_empty()
            || !on_grid(rect.x, rect.width, bounds.right())
            || !on_grid(rect.y, rect.height, bounds.bottom())
        {
            return Err(PixelError::TileGrid { rect });
        }
        let Some(split) = data.len().checked_sub(coded as usize) else {
            return Err(PixelError::TileCoded { rect });
        };
        let (data, section) = data.split_at(split);
        let (cols, rows) = grid(rect);
        let pixels = rect.width as usize * rect.height as usize;
        let limit = cols * rows * MAX_RECORD + pixels * AREA_BYTES_PER_PIXEL;
        self.records = 0;
        let mut payload = std::mem::take(&mut self.payload);
        let result = match self.stream.expand(data, &mut payload, limit) {
            Ok(n) => {
                self.records = n;
                let records = &payload[..n];
                self.apply_records(canvas, rect, records, section)
            }
            Err(ExpandError::Corrupt) => Err(PixelError::TileStream { rect }),
            Err(ExpandError::TooLong) => Err(PixelError::TileTooLong { rect, limit }),
        };
        self.payload = payload;
        result
    }

    /// Carries out a draw rectangle's drawings on `canvas` (see the format); `rect` lies
    /// inside it (checked by the caller). Pushes the areas they changed onto `changed`, and
    /// returns the drawings. Nothing is drawn unless all of them are good.
    pub(in crate::encoding) fn draw(
        &mut self,
        canvas: &mut Canvas,
        rect: Rect,
        data: &[u8],
        changed: &mut Vec<Rect>,
    ) -> Result<Vec<Drawing>, PixelError> {
        let limit = MAX_DRAWING_BYTES;
        let n = match self.stream.expand(data, &mut self.payload, limit) {
            Ok(n) => n,
            Err(ExpandError::Corrupt) => return Err(PixelError::TileStream { rect }),
            Err(ExpandError::TooLong) => return Err(PixelError::TileTooLong { rect, limit }),
        };
        let drawings = match postcard::take_from_bytes::<Vec<Drawing>>(&self.payload[..n]) {
            Ok((drawings, [])) => drawings,
            _ => return Err(PixelError::DrawDecode { rect }),
        };
        let mut cost = 0u64;
        for drawing in &drawings {
            let request = &drawing.request;
            if request.drawing_target().is_none() {
                let kind = request.kind();
                return Err(PixelError::DrawRequest { rect, kind });
            }
            if let Some(&clip) = drawing.clips.iter().find(|c| !rect.contains_rect(**c)) {
                return Err(PixelError::DrawClip { rect, clip });
            }
            let costs = drawing.clips.iter().map(|&c| canvas.draw_cost(request, c));
            cost = costs.fold(cost, |sum, c| sum.saturating_add(c.unwrap_or(0)));
        }
        let limit = DRAW_COST.saturating_mul(rect.size().area());
        if cost > limit {
            return Err(PixelError::DrawCost { rect, cost, limit });
        }
        let fonts = self.fonts.get_or_insert_with(|| Box::new(Fonts::new()));
        for drawing in &drawings {
            for &clip in &drawing.clips {
                let area = canvas.draw(fonts, &drawing.request, clip);
                changed.extend(area.filter(|a| !a.is_empty()));
            }
        }
        Ok(drawings)
    }

    /// Applies the records of `rect`, and the coded section of its gradient records.
    fn apply_records(
        &mut self,
        canvas: &mut Canvas,
        rect: Rect,
        payload: &[u8],
        section: &[u8],
    ) -> Result<(), PixelError> {
        let (cols, rows) = grid(rect);
        let tiles = cols * rows;
        let pixels = rect.width as usize * rect.height as usize;
        let mut reader = Reader {
            bytes: payload,
            tile: rect,
            bounds: rect,
            section,
            coded: None,
        };
        let mut index = 0;
        // The pixels that area records may still cover.
        let mut area_pixels = pixels;
        while !reader.bytes.is_empty() {
            let op = reader.byte()?;
            if op == OP_SKIP {
                index += usize::from(reader.byte()?) + 1;
                if index > tiles {
                    return Err(PixelError::TilesPastRect { rect });
                }
                continue;
            }
            if index >= tiles {
                return Err(PixelError::TilesPastRect { rect });
            }
            if op == OP_AREA {
                let tile = tile_rect(rect, cols, index);
                let (at, w, h) = (reader.byte()?, reader.byte()?, reader.byte()?);
                // Within the tile's corner plus a byte a side, on a screen of at most
                // MAX_SIDE: no overflow.
                let area = Rect::new(
                    tile.x + i32::from(at >> 4),
                    tile.y + i32::from(at & 15),
                    u32::from(w) + 1,
                    u32::from(h) + 1,
                );
                let n = area.width as usize * area.height as usize;
                if !rect.contains_rect(area) || n > area_pixels {
                    return Err(PixelError::TileArea { rect, area });
                }
                area_pixels -= n;
                reader.tile = area;
                let inner = reader.byte()?;
                if !matches!(inner, OP_SOLID | OP_RAW | OP_PACKED | OP_RUNS | OP_BLEND) {
                    return Err(PixelError::TileOp {
                        tile: area,
                        op: inner,
                    });
                }
                self.fill(canvas, area, inner, &mut reader)?;
                for tile in area_tiles(area, canvas.bounds()) {
                    self.remember(canvas, tile);
                }
                continue;
            }
            if op == OP_JPEG {
                let run = usize::from(reader.byte()?) + 1;
                if index % cols + run > cols {
                    return Err(PixelError::TilesPastRect { rect });
                }
                let first = tile_rect(rect, cols, index);
                let last = tile_rect(rect, cols, index + run - 1);
                // Both in one row of tiles of `rect`.
                let area = Rect::new(
                    first.x,
                    first.y,
                    (last.right() - i64::from(first.x)) as u32,
                    first.height,
                );
                reader.tile = area;
                self.apply_jpeg(canvas, area, &mut reader)?;
                index += run;
                continue;
            }
            let tile = tile_rect(rect, cols, index);
            reader.tile = tile;
            self.apply_tile(canvas, tile, op, &mut reader)?;
            index += 1;
        }
        // The section holds exactly its gradient records' bits, and none when there are
        // none.
        match &reader.coded {
            Some(coded) if !coded.exact() => Err(PixelError::TileCoded { rect }),
            None if !section.is_empty() => Err(PixelError::TileCoded { rect }),
            _ => Ok(()),
        }
    }

    /// Applies the record `op` of `tile`, then puts the tile in the cache when it is whole
    /// and went as anything but solid or cached.
    fn apply_tile(
        &mut self,
        canvas: &mut Canvas,
        tile: Rect,
        op: u8,
        reader: &mut Reader<'_>,
    ) -> Result<(), PixelError> {
        let n = tile.width as usize * tile.height as usize;
        match op {
            OP_SOLID => return self.fill(canvas, tile, op, reader),
            OP_CACHED => {
                let b = reader.take(2)?;
                let slot = usize::from(u16::from_le_bytes([b[0], b[1]]));
                let start = slot * TILE_PIXELS;
                let cached = self.cache.get(start..start + TILE_PIXELS);
                let Some(cached) = cached.filter(|_| n == TILE_PIXELS) else {
                    return Err(PixelError::CacheSlot { tile, slot });
                };
                for (y, line) in (0..tile.height).zip(cached.chunks_exact(TILE as usize)) {
                    row_mut(canvas, tile, y).copy_from_slice(line);
                }
                return Ok(());
            }
            OP_PART => {
                let (at, size) = (reader.byte()?, reader.byte()?);
                let (x, y) = (u32::from(at >> 4), u32::from(at & 15));
                let (w, h) = (u32::from(size >> 4) + 1, u32::from(size & 15) + 1);
                if x + w > tile.width || y + h > tile.height {
                    return Err(PixelError::TilePart {
                        tile,
                        part: Rect::new(x as i32, y as i32, w, h),
                    });
                }
                // Inside the tile, which is inside the screen: no overflow.
                let part = Rect::new(tile.x + x as i32, tile.y + y as i32, w, h);
                reader.tile = part;
                let inner = reader.byte()?;
                if matches!(inner, OP_SKIP | OP_CACHED | OP_PART | OP_JPEG) {
                    return Err(PixelError::TileOp {
                        tile: part,
                        op: inner,
                    });
                }
                self.fill(canvas, part, inner, reader)?;
            }
            _ => self.fill(canvas, tile, op, reader)?,
        }
        if n == TILE_PIXELS {
            self.remember(canvas, tile);
        }
        Ok(())
    }

    /// Fills `area` (a tile or a part of one) of `canvas` from a record of its own: solid,
    /// raw, gradient, packed palette, palette runs or blend.
    fn fill(
        &mut self,
        canvas: &mut Canvas,
        area: Rect,
        op: u8,
        reader: &mut Reader<'_>,
    ) -> Result<(), PixelError> {
        let tile = area;
        let n = tile.width as usize * tile.height as usize;
        let width = tile.width as usize;
        match op {
            OP_SOLID => {
                let p = reader.pixel()?;
                for y in 0..tile.height {
                    row_mut(canvas, tile, y).fill(p);
                }
            }
            OP_RAW => {
                let bytes = reader.take(3 * n)?;
                for (y, line) in (0..tile.height).zip(bytes.chunks_exact(3 * width)) {
                    let dst = row_mut(canvas, tile, y);
                    dst.iter_mut()
                        .zip(line.chunks_exact(3))
                        .for_each(|(d, b)| *d = green_difference(b));
                }
            }
            OP_GRADIENT => {
                gradient_edges(canvas, tile, reader.bounds, &mut self.edges);
                self.tile.clear();
                self.tile.resize(n, 0);
                let section = reader.section;
                let coded = reader
                    .coded
                    .get_or_insert_with(|| RangeDecoder::new(section));
                gradient::code::<_, GRADIENT_ROW>(
                    &mut self.model,
                    coded,
                    width,
                    &self.edges,
                    &mut self.tile,
                );
                for (y, line) in (0..tile.height).zip(self.tile.chunks_exact(width)) {
                    row_mut(canvas, tile, y).copy_from_slice(line);
                }
            }
            OP_BLEND => {
                let (fg, bg) = (reader.pixel()?, reader.pixel()?);
                let alphas = reader.take(n)?;
                let height = tile.height as usize;
                // Eight pixels at a time in the renderer's 16-bit lanes (see `over8`, which
                // wants top bytes of zero, as the wire's pixels have), each row's opacities
                // gathered from the columns they come in.
                let fg_lanes = lanes(fg);
                let full = width - width % 8;
                for y in 0..height {
                    let (eights, rest) = row_mut(canvas, tile, y as u32).split_at_mut(full);
                    for (x, eight) in (0..).step_by(8).zip(eights.chunks_exact_mut(8)) {
                        let a: [u8; 8] = std::array::from_fn(|i| alphas[(x + i) * height + y]);
                        let lanes: [u8; 32] = std::array::from_fn(|i| a[i / 4]);
                        let mut pixels = [bg; 8];
                        over8::<true>(&fg_lanes, &lanes, 255, &mut pixels);
                        eight.copy_from_slice(&pixels);
                    }
                    for (x, d) in (full..).zip(rest) {
                        *d = over(fg, alphas[x * height + y].into(), bg);
                    }
                }
            }
            OP_PACKED | OP_RUNS => {
                let colors = usize::from(reader.byte()?) + 1;
                let least = if op == OP_PACKED { 2 } else { 1 };
                if !(least..=MAX_COLORS).contains(&colors) {
                    return Err(PixelError::PaletteSize { tile, colors });
                }
                let mut palette = [0u32; MAX_COLORS];
                for c in &mut palette[..colors] {
                    *c = reader.pixel()?;
                }
                let palette = &palette[..colors];
                self.tile.clear();
                if op == OP_PACKED {
                    unpack(reader, palette, tile, &mut self.tile)?;
                } else {
                    unrun(reader, palette, n, &mut self.tile)?;
                }
                for (y, line) in (0..tile.height).zip(self.tile.chunks_exact(width)) {
                    row_mut(canvas, tile, y).copy_from_slice(line);
                }
            }
            _ => return Err(PixelError::TileOp { tile, op }),
        }
        Ok(())
    }

    /// Applies a JPEG record's image to `area` (a run of tiles in one row).
    fn apply_jpeg(
        &mut self,
        canvas: &mut Canvas,
        area: Rect,
        reader: &mut Reader<'_>,
    ) -> Result<(), PixelError> {
        let b = reader.take(4)?;
        let len = u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize;
        let (w, h) = (area.width as usize, area.height as usize);
        // The encoder sends no JPEG longer than the pixels it stands for.
        if len > 3 * w * h {
            let reason = format!("{len} bytes, more than its pixels");
            return Err(PixelError::Jpeg { rect: area, reason });
        }
        let image = reader.take(len)?;
        jpeg::decode(image, w, h, &mut self.bgra)
            .map_err(|reason| PixelError::Jpeg { rect: area, reason })?;
        for (y, line) in (0..area.height).zip(self.bgra.chunks_exact(4 * w)) {
            let dst = row_mut(canvas, area, y);
            for (d, b) in dst.iter_mut().zip(line.chunks_exact(4)) {
                *d = u32::from_le_bytes([b[0], b[1], b[2], 0]);
            }
        }
        Ok(())
    }

    /// Puts the whole tile `tile` of `canvas` in the next slot of the cache.
    fn remember(&mut self, canvas: &Canvas, tile: Rect) {
        let start = self.next * TILE_PIXELS;
        if start >= self.cache.len() {
            for y in 0..tile.height {
                self.cache.extend_from_slice(row(canvas, tile, y));
            }
        } else {
            let slot = &mut self.cache[start..start + TILE_PIXELS];
            for (y, line) in (0..tile.height).zip(slot.chunks_exact_mut(TILE as usize)) {
                line.copy_from_slice(row(canvas, tile, y));
            }
        }
        self.next = (self.next + 1) % CACHE_SLOTS;
    }
}

/// Reads packed indices for `tile` into `out`.
fn unpack(
    reader: &mut Reader<'_>,
    palette: &[u32],
    tile: Rect,
    out: &mut Vec<u32>,
) -> Result<(), PixelError> {
    let bits = match palette.len() {
        0..=2 => 1,
        3..=4 => 2,
        _ => 4,
    };
    let width = tile.width as usize;
    let row_bytes = (width * bits).div_ceil(8);
    let bytes = reader.take(row_bytes * tile.height as usize)?;
    let mask = (1u8 << bits) - 1;
    for line in bytes.chunks_exact(row_bytes) {
        for x in 0..width {
            let bit = x * bits;
            let index = (line[bit / 8] >> (8 - bits - bit % 8)) & mask;
            let Some(&p) = palette.get(usize::from(index)) else {
                let colors = palette.len();
                return Err(PixelError::PaletteIndex {
                    tile: reader.tile,
                    index,
                    colors,
                });
            };
            out.push(p);
        }
    }
    Ok(())
}

/// Reads palette runs for the `n` pixels of a tile into `out`.
fn unrun(
    reader: &mut Reader<'_>,
    palette: &[u32],
    n: usize,
    out: &mut Vec<u32>,
) -> Result<(), PixelError> {
    while out.len() < n {
        let b = reader.byte()?;
        let index = b & 0x7f;
        let Some(&p) = palette.get(usize::from(index)) else {
            let colors = palette.len();
            let tile = reader.tile;
            return Err(PixelError::PaletteIndex {
                tile,
                index,
                colors,
            });
        };
        let mut len = 1;
        if b & 0x80 != 0 {
            len = 2;
            loop {
                let m = reader.byte()?;
                len += usize::from(m);
                if m != 255 {
                    break;
                }
            }
        }
        if out.len() + len > n {
            return Err(PixelError::RunPastTile { tile: reader.tile });
        }
        out.resize(out.len() + len, p);
    }
    Ok(())
}
