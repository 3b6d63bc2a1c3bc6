//! The server's side: the screen's pixels into Tight rectangles.
//!
//! The choices follow TigerVNC's EncodeManager and TightEncoder: large solid areas go first,
//! as fills; the rest is cut into sub-rectangles of at most 65536 pixels and 2048 columns;
//! each sub-rectangle is a fill (one colour), a two-colour bitmap, a palette (up to a limit
//! that falls with the compression level), or full colour: JPEG when the client allows it,
//! else gradient-filtered (when TPIXELs are R, G, B and the area is smooth, as libvncserver
//! does) or raw.

use flate2::{Compress, Compression, FlushCompress};
use jpeg_encoder::{ColorType, Encoder as JpegWriter, SamplingFactor};
use netui_protocol::Rect;
use netui_scene::render::Canvas;

use super::{
    is_888, put_compact, PixelFormat, TightSettings, ENCODING, EXPLICIT_FILTER, FILL,
    FILTER_GRADIENT, FILTER_PALETTE, JPEG, MAX_COMPACT, MAX_WIDTH, MIN_TO_COMPRESS,
};

/// Sub-rectangles hold at most this many pixels (TigerVNC's `SubRectMaxArea`).
const MAX_AREA: u32 = 65536;
/// The side of the blocks tested when looking for solid areas.
const SOLID_BLOCK: u32 = 16;
/// Solid areas smaller than this are left to the sub-rectangles.
const SOLID_MIN_AREA: u32 = 2048;
/// JPEG quality for each of the client's levels 0..=9 (TigerVNC's table).
const JPEG_QUALITY: [u8; 10] = [15, 29, 41, 42, 62, 77, 79, 86, 92, 100];
/// zlib levels (palette, two-colour, raw and gradient) for each compression level 0..=9: the
/// table TigerVNC took from The VirtualGL Project's measurements.
const ZLIB_LEVELS: [[u8; 3]; 10] = [
    [0, 0, 0],
    [1, 1, 1],
    [3, 3, 2],
    [5, 5, 2],
    [6, 7, 3],
    [7, 8, 4],
    [7, 8, 5],
    [8, 9, 6],
    [9, 9, 7],
    [9, 9, 9],
];
/// Full-colour areas whose mean gradient residual per primary is below this are smooth
/// enough for the gradient filter (noise scores about 85, photographs and shaded widgets
/// well under 16).
const GRADIENT_THRESHOLD: u64 = 16;

/// With JPEG allowed, many-coloured sub-rectangles are cut into tiles of this side, each
/// lossless when it has few colours.
const TILE: u32 = 64;

/// The stream each filter uses: TigerVNC's for 0..=2, libvncserver's for the gradient.
const STREAM_RAW: usize = 0;
const STREAM_MONO: usize = 1;
const STREAM_INDEXED: usize = 2;
const STREAM_GRADIENT: usize = 3;

/// An area of the screen, inside it and inside RFB's 16-bit coordinates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Area {
    x: u32,
    y: u32,
    w: u32,
    h: u32,
}

impl Area {
    fn right(self) -> u32 {
        self.x + self.w
    }
    fn bottom(self) -> u32 {
        self.y + self.h
    }
    fn pixels(self) -> u32 {
        self.w * self.h
    }
}

/// One zlib stream and the level it was started with.
struct Stream {
    compress: Compress,
    level: u8,
}

/// The server's side of Tight for one connection: its four zlib streams, which RFB requires
/// to live as long as the connection, and buffers reused from one rectangle to the next.
pub struct TightEncoder {
    streams: [Option<Stream>; 4],
    /// The sub-rectangle's pixels: `0x00RRGGBB` when TPIXELs are R, G, B, else client pixel
    /// values.
    pixels: Vec<u32>,
    /// Filtered data before compression.
    data: Vec<u8>,
    /// Compressed data.
    zbuf: Vec<u8>,
    palette: Palette,
    /// A JPEG's input (R, G, B) and output.
    rgb: Vec<u8>,
    jpeg: Vec<u8>,
    /// Areas still to search for solid blocks, and those where none was found.
    search: Vec<Area>,
    rest: Vec<Area>,
}

impl Default for TightEncoder {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for TightEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TightEncoder").finish_non_exhaustive()
    }
}

/// What one call to [`TightEncoder::encode`] works with.
#[derive(Clone, Copy)]
struct Job<'a> {
    screen: &'a [u32],
    stride: usize,
    format: &'a PixelFormat,
    rgb888: bool,
    /// The compression level, 0..=9.
    level: usize,
    /// The JPEG quality level, 0..=9, when JPEG may be sent.
    jpeg: Option<usize>,
}

impl TightEncoder {
    /// An encoder for a new connection.
    pub fn new() -> Self {
        TightEncoder {
            streams: [None, None, None, None],
            pixels: Vec::new(),
            data: Vec::new(),
            zbuf: Vec::new(),
            palette: Palette::new(),
            rgb: Vec::new(),
            jpeg: Vec::new(),
            search: Vec::new(),
            rest: Vec::new(),
        }
    }

    /// Appends `rect` of `screen` (clipped to it) as one or more Tight rectangles, each with
    /// its 12-byte rectangle header (x, y, width, height as u16 big-endian, then encoding 7
    /// as i32 big-endian), in `format`; returns how many it appended.
    ///
    /// The count saturates at `u16::MAX`, which only an area of some four billion pixels
    /// would reach.
    pub fn encode(
        &mut self,
        screen: &Canvas,
        rect: Rect,
        format: &PixelFormat,
        settings: TightSettings,
        out: &mut Vec<u8>,
    ) -> u16 {
        let limit = Rect::new(0, 0, u32::from(u16::MAX), u32::from(u16::MAX));
        let rect = rect.intersect(screen.bounds()).intersect(limit);
        if rect.width == 0 || rect.height == 0 {
            return 0;
        }
        // Inside the bounds: x and y are not negative.
        let area = Area {
            x: rect.x as u32,
            y: rect.y as u32,
            w: rect.width,
            h: rect.height,
        };
        let job = Job {
            screen: screen.pixels(),
            stride: screen.width() as usize,
            format,
            rgb888: is_888(format),
            level: usize::from(settings.compress_level.min(9)),
            jpeg: settings
                .jpeg_quality
                .filter(|_| format.bits_per_pixel >= 16)
                .map(|q| usize::from(q.min(9))),
        };
        let mut count = 0u32;

        // Solid areas first, so that they cost a few bytes whatever their size.
        self.search.clear();
        self.rest.clear();
        self.search.push(area);
        while let Some(r) = self.search.pop() {
            let Some((solid, colour)) = job.find_solid(r) else {
                self.rest.push(r);
                continue;
            };
            // Fills may be of any height, but no wider than any other Tight rectangle.
            let mut x = solid.x;
            while x < solid.right() {
                let w = MAX_WIDTH.min(solid.right() - x);
                write_header(Area { x, w, ..solid }, out);
                out.push(FILL << 4);
                job.put_tpixel(job.client_pixel(colour), out);
                count += 1;
                x += w;
            }
            // Above: already searched. Left, right and below: search again.
            if solid.y > r.y {
                self.rest.push(Area {
                    h: solid.y - r.y,
                    ..r
                });
            }
            if solid.x > r.x {
                self.search.push(Area {
                    x: r.x,
                    w: solid.x - r.x,
                    ..solid
                });
            }
            if solid.right() < r.right() {
                self.search.push(Area {
                    x: solid.right(),
                    w: r.right() - solid.right(),
                    ..solid
                });
            }
            if solid.bottom() < r.bottom() {
                self.search.push(Area {
                    y: solid.bottom(),
                    h: r.bottom() - solid.bottom(),
                    ..r
                });
            }
        }

        // The rest in sub-rectangles within Tight's limits.
        let rest = std::mem::take(&mut self.rest);
        for r in &rest {
            let sw = r.w.min(MAX_WIDTH);
            let sh = if r.pixels() <= MAX_AREA {
                r.h
            } else {
                MAX_AREA / sw
            };
            let mut y = r.y;
            while y < r.bottom() {
                let h = sh.min(r.bottom() - y);
                let mut x = r.x;
                while x < r.right() {
                    let w = sw.min(r.right() - x);
                    count += self.write_sub_rect(&job, Area { x, y, w, h }, out);
                    x += w;
                }
                y += h;
            }
        }
        self.rest = rest;
        u16::try_from(count).unwrap_or(u16::MAX)
    }

    /// Appends one sub-rectangle (at most [`MAX_AREA`] pixels and [`MAX_WIDTH`] columns) as
    /// one Tight rectangle, or, when it has many colours and JPEG is allowed, as rows of
    /// tiles, so that text beside a photograph stays lossless; returns how many rectangles.
    fn write_sub_rect(&mut self, job: &Job, a: Area, out: &mut Vec<u8>) -> u32 {
        let full_colour = self.analyse(job, a);
        if !(full_colour && job.jpeg.is_some() && (a.w > TILE || a.h > TILE)) {
            write_header(a, out);
            self.write_analysed(job, a, full_colour, out);
            return 1;
        }
        let lossless = Job { jpeg: None, ..*job };
        let limit = jpeg_max_colours(job);
        let mut count = 0;
        // Tiles on the screen's grid, whatever the sub-rectangle, so that where content
        // changes on a tile's edge no tile mixes the two.
        let grid = |from: u32, to: u32| {
            std::iter::successors(Some(from), move |&v| {
                (v < to).then(|| to.min((v / TILE + 1) * TILE))
            })
        };
        for y in grid(a.y, a.bottom()).filter(|&y| y < a.bottom()) {
            let h = a.bottom().min((y / TILE + 1) * TILE) - y;
            // Runs of tiles of one kind along the row: many colours or few.
            let mut run: Option<(u32, bool)> = None;
            for x in grid(a.x, a.right()) {
                let many = x < a.right() && {
                    let w = a.right().min((x / TILE + 1) * TILE) - x;
                    self.has_many_colours(job, Area { x, y, w, h }, limit)
                };
                match run {
                    Some((_, kind)) if kind == many && x < a.right() => continue,
                    Some((start, kind)) => {
                        let r = Area {
                            x: start,
                            y,
                            w: x - start,
                            h,
                        };
                        write_header(r, out);
                        if !(kind && self.write_jpeg(job, r, out)) {
                            let full_colour = self.analyse(&lossless, r);
                            self.write_analysed(&lossless, r, full_colour, out);
                        }
                        count += 1;
                    }
                    None => {}
                }
                run = Some((x, many));
            }
        }
        count
    }

    /// Whether `a` has more than `limit` colours.
    fn has_many_colours(&mut self, job: &Job, a: Area, limit: usize) -> bool {
        self.palette.clear();
        let mut last = None;
        for row in a.y as usize..a.bottom() as usize {
            let start = row * job.stride + a.x as usize;
            for &p in &job.screen[start..start + a.w as usize] {
                if last != Some(p) {
                    last = Some(p);
                    if self.palette.insert(p & 0x00ff_ffff, limit).is_none() {
                        return true;
                    }
                }
            }
        }
        false
    }

    /// Loads `a`'s pixels and counts its colours up to the palette limit, indexing each
    /// pixel as it goes; returns whether it has more (full colour).
    fn analyse(&mut self, job: &Job, a: Area) -> bool {
        let w = a.w as usize;
        self.pixels.clear();
        for row in a.y as usize..a.bottom() as usize {
            let start = row * job.stride + a.x as usize;
            let line = &job.screen[start..start + w];
            if job.rgb888 {
                self.pixels.extend(line.iter().map(|p| p & 0x00ff_ffff));
            } else {
                self.pixels
                    .extend(line.iter().map(|&p| job.format.pixel(p)));
            }
        }

        // TigerVNC's palette limit: fewer colours as the compression level rises, and a fixed
        // limit when JPEG is the alternative, so that only many-coloured areas go lossy.
        let pixels = a.pixels() as usize;
        let max_colours = if job.jpeg.is_some() {
            jpeg_max_colours(job)
        } else {
            (pixels / (job.level * 8).max(4)).clamp(2, 256)
        };

        self.palette.clear();
        self.data.clear();
        self.data.reserve(pixels);
        let mut last = self.pixels[0];
        let mut index = self.palette.insert(last, max_colours).unwrap_or(0);
        for &p in &self.pixels {
            if p != last {
                last = p;
                match self.palette.insert(p, max_colours) {
                    Some(i) => index = i,
                    None => return true,
                }
            }
            self.data.push(index);
        }
        false
    }

    /// Appends the body (what follows the header) of the area [`TightEncoder::analyse`] saw.
    fn write_analysed(&mut self, job: &Job, a: Area, full_colour: bool, out: &mut Vec<u8>) {
        let w = a.w as usize;
        let colours = self.palette.colours.len();
        if !full_colour && colours == 1 {
            out.push(FILL << 4);
            job.put_tpixel(self.palette.colours[0], out);
        } else if !full_colour && colours == 2 {
            pack_bits(&mut self.data, w);
            self.write_palette_rect(job, STREAM_MONO, ZLIB_LEVELS[job.level][1], out);
        } else if !full_colour && job.format.bits_per_pixel > 8 {
            self.write_palette_rect(job, STREAM_INDEXED, ZLIB_LEVELS[job.level][0], out);
        } else if job.jpeg.is_some() && self.write_jpeg(job, a, out) {
            // Sent as JPEG.
        } else if job.rgb888 && a.w > 1 && a.h > 1 && smooth(&self.pixels, w) {
            self.data.clear();
            gradient(&self.pixels, w, &mut self.data);
            let reset = self.compress(STREAM_GRADIENT, ZLIB_LEVELS[job.level][2]);
            out.push(control(STREAM_GRADIENT, true, reset));
            out.push(FILTER_GRADIENT);
            self.put_data(out);
        } else {
            self.data.clear();
            for &p in &self.pixels {
                job.put_tpixel(p, &mut self.data);
            }
            let reset = self.compress(STREAM_RAW, ZLIB_LEVELS[job.level][2]);
            out.push(control(STREAM_RAW, false, reset));
            self.put_data(out);
        }
    }

    /// Appends a palette rectangle whose indices (or bits) are in `self.data`.
    fn write_palette_rect(&mut self, job: &Job, stream: usize, level: u8, out: &mut Vec<u8>) {
        let reset = self.compress(stream, level);
        out.push(control(stream, true, reset));
        out.push(FILTER_PALETTE);
        out.push((self.palette.colours.len() - 1) as u8);
        for &c in &self.palette.colours {
            job.put_tpixel(c, out);
        }
        self.put_data(out);
    }

    /// Compresses `self.data` into `self.zbuf` on `stream` when it is long enough; returns
    /// whether the stream had to be restarted (for a new level), which the client must be told.
    fn compress(&mut self, stream: usize, level: u8) -> bool {
        if self.data.len() < MIN_TO_COMPRESS {
            return false;
        }
        let slot = &mut self.streams[stream];
        let reset = matches!(slot, Some(s) if s.level != level);
        let z = match slot {
            Some(s) if s.level == level => s,
            _ => slot.insert(Stream {
                compress: Compress::new(Compression::new(u32::from(level)), true),
                level,
            }),
        };
        self.zbuf.clear();
        self.zbuf.reserve(self.data.len() / 2 + 64);
        let mut pos = 0;
        loop {
            if self.zbuf.capacity() - self.zbuf.len() < 64 {
                self.zbuf.reserve((self.data.len() - pos).max(4096));
            }
            let before = z.compress.total_in();
            // Deflating from one buffer into another, with room, does not fail.
            z.compress
                .compress_vec(&self.data[pos..], &mut self.zbuf, FlushCompress::Sync)
                .expect("deflate into memory");
            pos += (z.compress.total_in() - before) as usize;
            // The flush is complete when it did not fill the room it had.
            if pos == self.data.len() && self.zbuf.len() < self.zbuf.capacity() {
                break;
            }
        }
        reset
    }

    /// Appends the filtered data: as it is when short, else its compact length and the
    /// compressed bytes that [`TightEncoder::compress`] left.
    fn put_data(&self, out: &mut Vec<u8>) {
        if self.data.len() < MIN_TO_COMPRESS {
            out.extend_from_slice(&self.data);
        } else {
            // At most 65536 pixels of 4 bytes: far below the compact limit.
            put_compact(self.zbuf.len(), out);
            out.extend_from_slice(&self.zbuf);
        }
    }

    /// Appends the area as a JPEG; false (and nothing appended) when it cannot be one.
    fn write_jpeg(&mut self, job: &Job, a: Area, out: &mut Vec<u8>) -> bool {
        let Some(level) = job.jpeg else { return false };
        self.rgb.clear();
        self.rgb.reserve(a.pixels() as usize * 3);
        for row in a.y as usize..a.bottom() as usize {
            let start = row * job.stride + a.x as usize;
            for &p in &job.screen[start..start + a.w as usize] {
                self.rgb
                    .extend_from_slice(&[(p >> 16) as u8, (p >> 8) as u8, p as u8]);
            }
        }
        self.jpeg.clear();
        let mut writer = JpegWriter::new(&mut self.jpeg, JPEG_QUALITY[level]);
        writer.set_sampling_factor(SamplingFactor::F_2_2);
        // Both sides fit in u16: the area is inside RFB's coordinates.
        let encoded = writer.encode(&self.rgb, a.w as u16, a.h as u16, ColorType::Rgb);
        if encoded.is_err() || self.jpeg.len() > MAX_COMPACT {
            return false;
        }
        out.push(JPEG << 4);
        put_compact(self.jpeg.len(), out);
        out.extend_from_slice(&self.jpeg);
        true
    }
}

impl Job<'_> {
    /// The value a screen colour has in [`TightEncoder::pixels`].
    fn client_pixel(&self, rgb: u32) -> u32 {
        if self.rgb888 {
            rgb & 0x00ff_ffff
        } else {
            self.format.pixel(rgb)
        }
    }

    /// Appends a TPIXEL of a value from [`TightEncoder::pixels`].
    fn put_tpixel(&self, p: u32, out: &mut Vec<u8>) {
        if self.rgb888 {
            out.extend_from_slice(&[(p >> 16) as u8, (p >> 8) as u8, p as u8]);
        } else {
            self.format.put(p, out);
        }
    }

    /// Whether every pixel of `a` is `colour`.
    fn is_solid(&self, a: Area, colour: u32) -> bool {
        (a.y as usize..a.bottom() as usize).all(|row| {
            let start = row * self.stride + a.x as usize;
            self.screen[start..start + a.w as usize]
                .iter()
                .all(|&p| p == colour)
        })
    }

    /// The first solid area of `r` worth a fill (TigerVNC's `findSolidRect`): a solid 16x16
    /// block grown block by block, then pixel by pixel, and its colour.
    fn find_solid(&self, r: Area) -> Option<(Area, u32)> {
        for y in (r.y..r.bottom()).step_by(SOLID_BLOCK as usize) {
            let h = SOLID_BLOCK.min(r.bottom() - y);
            for x in (r.x..r.right()).step_by(SOLID_BLOCK as usize) {
                let w = SOLID_BLOCK.min(r.right() - x);
                let colour = self.screen[y as usize * self.stride + x as usize];
                if !self.is_solid(Area { x, y, w, h }, colour) {
                    continue;
                }
                let from_here = Area {
                    x,
                    y,
                    w: r.right() - x,
                    h: r.bottom() - y,
                };
                let by_block = self.extend_by_block(from_here, colour);
                if by_block == r {
                    return Some((r, colour));
                }
                if by_block.pixels() < SOLID_MIN_AREA {
                    continue;
                }
                return Some((self.extend_by_pixel(r, by_block, colour), colour));
            }
        }
        None
    }

    /// The largest solid area of whole blocks from `r`'s top-left corner: as wide as it goes
    /// on the first row of blocks, then narrower as rows are added.
    fn extend_by_block(&self, r: Area, colour: u32) -> Area {
        let (mut best_w, mut best_h) = (0, 0);
        let mut width = r.w;
        for y in (r.y..r.bottom()).step_by(SOLID_BLOCK as usize) {
            let h = SOLID_BLOCK.min(r.bottom() - y);
            let mut x = r.x;
            while x < r.x + width {
                let w = SOLID_BLOCK.min(r.x + width - x);
                if !self.is_solid(Area { x, y, w, h }, colour) {
                    break;
                }
                x += w;
            }
            if x == r.x {
                break;
            }
            width = x - r.x;
            let height = y + h - r.y;
            if width * height > best_w * best_h {
                (best_w, best_h) = (width, height);
            }
        }
        Area {
            w: best_w,
            h: best_h,
            ..r
        }
    }

    /// `s` grown a row or column at a time, up, down, left and right, within `r`.
    fn extend_by_pixel(&self, r: Area, s: Area, colour: u32) -> Area {
        let row = |y| Area { y, h: 1, ..s };
        let mut top = s.y;
        while top > r.y && self.is_solid(row(top - 1), colour) {
            top -= 1;
        }
        let mut bottom = s.bottom();
        while bottom < r.bottom() && self.is_solid(row(bottom), colour) {
            bottom += 1;
        }
        let column = |x| Area {
            x,
            y: top,
            w: 1,
            h: bottom - top,
        };
        let mut left = s.x;
        while left > r.x && self.is_solid(column(left - 1), colour) {
            left -= 1;
        }
        let mut right = s.right();
        while right < r.right() && self.is_solid(column(right), colour) {
            right += 1;
        }
        Area {
            x: left,
            y: top,
            w: right - left,
            h: bottom - top,
        }
    }
}

/// The colours of one sub-rectangle, with a small open-addressed hash from colour to index.
struct Palette {
    colours: Vec<u32>,
    /// Index + 1 of the colour in each slot; 0 is empty. Four times the largest palette, so
    /// probes stay short.
    slots: Vec<u16>,
}

impl Palette {
    const SLOTS: usize = 1024;

    fn new() -> Self {
        Palette {
            colours: Vec::with_capacity(256),
            slots: vec![0; Self::SLOTS],
        }
    }

    fn clear(&mut self) {
        self.colours.clear();
        self.slots.fill(0);
    }

    /// The index of `colour`, added if new; `None` when it would be colour `max + 1`.
    fn insert(&mut self, colour: u32, max: usize) -> Option<u8> {
        let mut slot = (colour.wrapping_mul(0x9e37_79b1) >> 22) as usize;
        loop {
            match self.slots[slot] {
                0 => {
                    if self.colours.len() >= max.min(256) {
                        return None;
                    }
                    self.colours.push(colour);
                    self.slots[slot] = self.colours.len() as u16;
                    return Some((self.colours.len() - 1) as u8);
                }
                i if self.colours[usize::from(i) - 1] == colour => return Some((i - 1) as u8),
                _ => slot = (slot + 1) % Self::SLOTS,
            }
        }
    }
}

/// The palette limit when JPEG is the alternative (TigerVNC's): areas with more colours go
/// lossy.
fn jpeg_max_colours(job: &Job) -> usize {
    if job.level < 2 {
        24
    } else {
        96
    }
}

/// The compression-control byte of a Basic rectangle.
fn control(stream: usize, explicit_filter: bool, reset: bool) -> u8 {
    let filter = if explicit_filter { EXPLICIT_FILTER } else { 0 };
    ((stream as u8 | filter) << 4) | (u8::from(reset) << stream)
}

/// Appends the 12-byte rectangle header.
fn write_header(a: Area, out: &mut Vec<u8>) {
    for v in [a.x, a.y, a.w, a.h] {
        // Areas lie inside RFB's 16-bit coordinates (see `encode`).
        out.extend_from_slice(&(v as u16).to_be_bytes());
    }
    out.extend_from_slice(&ENCODING.to_be_bytes());
}

/// Packs indices 0 and 1, one byte each, into rows of bits, most significant first, each row
/// padded to a whole byte; in place, since the bits never outrun the bytes.
fn pack_bits(data: &mut Vec<u8>, width: usize) {
    let mut at = 0;
    for row in 0..data.len() / width {
        for start in (row * width..(row + 1) * width).step_by(8) {
            let end = (start + 8).min((row + 1) * width);
            let mut byte = 0u8;
            for (bit, &index) in data[start..end].iter().enumerate() {
                byte |= index << (7 - bit);
            }
            data[at] = byte;
            at += 1;
        }
    }
    data.truncate(at);
}

/// Whether a full-colour area (`0x00RRGGBB`, `width` a row) is smooth enough that the
/// gradient filter will pay: the mean residual of the gradient prediction, per primary, on
/// about 2048 samples.
fn smooth(pixels: &[u32], width: usize) -> bool {
    let height = pixels.len() / width;
    let step = ((pixels.len() / 2048) as f64).sqrt().max(1.0) as usize;
    let (mut sum, mut samples) = (0u64, 0u64);
    for y in (1..height).step_by(step) {
        for x in (1..width).step_by(step) {
            let p = pixels[y * width + x];
            let left = pixels[y * width + x - 1];
            let up = pixels[(y - 1) * width + x];
            let corner = pixels[(y - 1) * width + x - 1];
            for shift in [16, 8, 0] {
                let c = |v: u32| ((v >> shift) & 0xff) as i32;
                let estimate = (c(left) + c(up) - c(corner)).clamp(0, 255);
                sum += u64::from((c(p) - estimate).unsigned_abs());
            }
            samples += 3;
        }
    }
    samples > 0 && sum < GRADIENT_THRESHOLD * samples
}

/// Appends the gradient filter's residuals of `0x00RRGGBB` pixels as R, G, B bytes: each
/// primary less its estimate `left + up - upper-left` (clamped to 0..=255, with neighbours
/// outside the rectangle taken as 0), modulo 256.
fn gradient(pixels: &[u32], width: usize, out: &mut Vec<u8>) {
    out.reserve(pixels.len() * 3);
    for (i, &p) in pixels.iter().enumerate() {
        let (x, y) = (i % width, i / width);
        let left = if x > 0 { pixels[i - 1] } else { 0 };
        let up = if y > 0 { pixels[i - width] } else { 0 };
        let corner = if x > 0 && y > 0 {
            pixels[i - width - 1]
        } else {
            0
        };
        for shift in [16, 8, 0] {
            let c = |v: u32| ((v >> shift) & 0xff) as i32;
            let estimate = (c(left) + c(up) - c(corner)).clamp(0, 255);
            out.push((c(p) - estimate) as u8);
        }
    }
}
