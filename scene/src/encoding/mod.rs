//! Pixel encodings: how a pixel-mode viewer receives the screen, VNC-style.
//!
//! The server keeps one [`PixelEncoder`] per viewer. It holds a shadow of what that viewer
//! has on its screen and, for every update, encodes the damaged areas of the composited
//! screen as [`EncodedRect`]s in the viewer's [`PixelEncoding`]. The viewer applies them with
//! a [`PixelDecoder`], which trusts nothing: every rectangle, length and LZ4 block is checked,
//! and bad data is a [`PixelError`].
//!
//! The compressed encodings work on bands of at most [`BAND_BYTES`] bytes of pixels: LZ4 only
//! looks back 64 KiB anyway, so bands lose almost nothing in size, keep the buffers in cache
//! and let `px-delta-lz4` skip the bands (and rows) that did not change.
//!
//! ```
//! use netui_protocol::{Color, PixelEncoding, Rect};
//! use netui_scene::encoding::{PixelDecoder, PixelEncoder};
//! use netui_scene::render::Canvas;
//!
//! let mut screen = Canvas::new(64, 48, Color::BLUE);
//! let mut encoder = PixelEncoder::new(PixelEncoding::DeltaLz4, screen.size());
//! let mut decoder = PixelDecoder::new(screen.size());
//! let rects = encoder.encode(&screen, &[screen.bounds()], &[]);
//! decoder.apply(screen.size(), &rects).unwrap();
//!
//! let damage = screen.fill_rect(Rect::new(8, 8, 16, 4), Color::WHITE, screen.bounds());
//! let rects = encoder.encode(&screen, &[damage], &[]);
//! assert_eq!(decoder.apply(screen.size(), &rects).unwrap(), vec![damage]);
//! assert_eq!(decoder.canvas(), &screen);
//! ```

use std::collections::BTreeMap;

use lz4_flex::block::{compress_into, decompress_into, get_maximum_output_size, DecompressError};
use netui_protocol::{
    Color, Drawing, EncodedRect, PixelEncoding, Point, Rect, RectEncoding, RequestKind, Size,
};

use crate::damage::Damage;
use crate::render::Canvas;

mod decoder;
mod scroll;
pub mod tiles;

pub use decoder::PixelDecoder;
use scroll::ScrollDetector;
use tiles::TileEncoder;

/// The largest width or height of a screen a [`PixelDecoder`] accepts (the protocol's
/// default `Limits::max_side`).
pub const MAX_SIDE: u32 = 8192;

/// The most bytes of pixels in one LZ4 block: just under 64 KiB, where LZ4 switches to its
/// smaller hash table.
pub const BAND_BYTES: usize = 64 * 1024 - 1024;

/// `px-delta-lz4` tries a band both as XOR and as pixels only when the first form it tries
/// compresses worse than this ratio: trying both every time would halve the speed, and a
/// form that compresses this well leaves little to gain.
const PIXELS_TRY_RATIO: usize = 8;

/// The side of the square cells, on a grid fixed to the screen, into which
/// [`PixelEncoder::encode_within`] cuts damage that does not fit its budget (strips of this
/// many rows across the screen in the encodings without copies; a multiple of the tiles'
/// side, so that no tile is in two cells). Chosen so that a cell of a window is a
/// few hundred bytes: the modem carries about 1.4 KB in a round trip, and a strip across a
/// 500-pixel animation was more than that.
pub const CELL: i32 = 64;

/// The bytes that an encoded rectangle costs on the wire beyond its data (its rectangle,
/// kind and length, framed), about: what budgets and flow control count.
pub const RECT_OVERHEAD: usize = 24;

/// What the server knows of how its screen changed besides the damage, in the order it
/// happened: an encoding that sends hints has the viewer carry them out instead of receiving
/// their pixels. A wrong hint costs bytes, never correctness: the encoder carries it out on
/// its shadow of the viewer's screen and compares the result with the screen.
#[derive(Debug, Clone, PartialEq)]
pub enum Hint {
    /// A scroll or a move: the destination and the source's top-left corner (`px-delta-lz4`
    /// and `px-tiles` send them).
    Copy(Rect, Point),
    /// An application's drawing, where it shows on the screen (`px-tiles` sends them).
    Draw(Drawing),
}

impl Hint {
    /// The copy, if this is one.
    pub fn copy(&self) -> Option<(Rect, Point)> {
        match self {
            Hint::Copy(dst, src) => Some((*dst, *src)),
            Hint::Draw(_) => None,
        }
    }
}

/// How much of its damage an update may carry, and what goes first: see
/// [`PixelEncoder::encode_within`].
#[derive(Debug, Clone, Default)]
pub struct Budget {
    /// The encoded bytes after which no more cells go.
    pub bytes: usize,
    /// Areas whose cells go before the others: the answer to the viewer's input.
    pub first: Vec<Rect>,
    /// A point in the cell from which the other cells go: where the last update stopped, so
    /// that a window that changes all the time does not keep the cells after it waiting.
    pub from: Point,
}

impl Budget {
    /// Whether `rect` meets an area of `first`: it goes with the answer.
    pub fn meets_first(&self, rect: &Rect) -> bool {
        self.first.iter().any(|f| !f.intersect(*rect).is_empty())
    }
}

/// What can be wrong with an update a viewer receives.
#[derive(Debug, thiserror::Error)]
pub enum PixelError {
    /// The screen size is beyond [`MAX_SIDE`].
    #[error("a {}x{} screen is larger than {MAX_SIDE}x{MAX_SIDE}", .0.width, .0.height)]
    ScreenTooLarge(Size),
    /// The memory for the screen could not be had.
    #[error("no memory for a {}x{} screen", .0.width, .0.height)]
    OutOfMemory(Size),
    /// A rectangle reaches outside the screen.
    #[error("rectangle {rect:?} is outside the {}x{} screen", .size.width, .size.height)]
    OutsideScreen {
        /// The rectangle.
        rect: Rect,
        /// The screen's size.
        size: Size,
    },
    /// Raw pixels whose length is not four bytes per pixel of their rectangle.
    #[error("raw rectangle {rect:?} needs {expected} bytes, got {actual}")]
    RawLength {
        /// The rectangle.
        rect: Rect,
        /// Four bytes per pixel.
        expected: usize,
        /// The bytes received.
        actual: usize,
    },
    /// An LZ4 block that is corrupt or expands beyond its rectangle.
    #[error("the LZ4 block of rectangle {rect:?} is corrupt or too long")]
    Lz4 {
        /// The rectangle.
        rect: Rect,
        /// What LZ4 found.
        #[source]
        source: DecompressError,
    },
    /// An LZ4 block that expands to less than its rectangle.
    #[error("the LZ4 block of rectangle {rect:?} expands to {actual} bytes, not {expected}")]
    Lz4Length {
        /// The rectangle.
        rect: Rect,
        /// Four bytes per pixel.
        expected: usize,
        /// What the block expanded to.
        actual: usize,
    },
    /// A copy whose source reaches outside the screen.
    #[error("the source {src:?} of copy {rect:?} is outside the screen")]
    CopySource {
        /// The destination.
        rect: Rect,
        /// The source's top-left corner.
        src: Point,
    },
    /// A copy that carries data.
    #[error("copy {rect:?} carries {len} bytes; a copy carries none")]
    CopyData {
        /// The destination.
        rect: Rect,
        /// The bytes it carried.
        len: usize,
    },
    /// A `px-tiles` rectangle that is empty or does not lie on the tile grid.
    #[error("tiles rectangle {rect:?} is not on the {}-pixel grid", tiles::TILE)]
    TileGrid {
        /// The rectangle.
        rect: Rect,
    },
    /// A `px-tiles` rectangle that continues a stream the decoder never started.
    #[error("tiles rectangle {rect:?} continues a stream that never started")]
    TileContext {
        /// The rectangle.
        rect: Rect,
    },
    /// A `px-tiles` rectangle whose compressed data is corrupt.
    #[error("the compressed data of tiles rectangle {rect:?} is corrupt")]
    TileStream {
        /// The rectangle.
        rect: Rect,
    },
    /// A `px-tiles` rectangle whose compressed data expands to more than its tiles can need.
    #[error("the compressed data of tiles rectangle {rect:?} expands beyond {limit} bytes")]
    TileTooLong {
        /// The rectangle.
        rect: Rect,
        /// The most its tiles can need.
        limit: usize,
    },
    /// A `px-tiles` rectangle whose coded section is longer than its data, or does not hold
    /// exactly the bits of its gradient records.
    #[error(
        "the coded section of tiles rectangle {rect:?} does not hold exactly its gradient records"
    )]
    TileCoded {
        /// The rectangle.
        rect: Rect,
    },
    /// Records that go on past the last tile of their rectangle.
    #[error("the records of tiles rectangle {rect:?} go on past its last tile")]
    TilesPastRect {
        /// The rectangle.
        rect: Rect,
    },
    /// A tile's record that stops short.
    #[error("the record of tile {tile:?} stops short")]
    TileTruncated {
        /// The tile.
        tile: Rect,
    },
    /// A tile's record of an unknown kind, or of a kind that a part record cannot hold.
    #[error("tile {tile:?} has a record of unknown kind {op}, or one a part cannot hold")]
    TileOp {
        /// The tile.
        tile: Rect,
        /// The record's first byte.
        op: u8,
    },
    /// A part record's rectangle (in the tile's coordinates) that reaches out of its tile.
    #[error("tile {tile:?} has a part {part:?} outside it")]
    TilePart {
        /// The tile.
        tile: Rect,
        /// The part, relative to the tile's corner.
        part: Rect,
    },
    /// An area record that reaches out of its rectangle, or that takes the areas of the
    /// rectangle past its own pixels.
    #[error("tiles rectangle {rect:?} has an area {area:?} outside it, or areas larger than it")]
    TileArea {
        /// The rectangle of the records.
        rect: Rect,
        /// The area.
        area: Rect,
    },
    /// A palette with too many or too few colors.
    #[error("tile {tile:?} has a palette of {colors} colors")]
    PaletteSize {
        /// The tile.
        tile: Rect,
        /// The colors it says.
        colors: usize,
    },
    /// A palette index beyond the palette.
    #[error("tile {tile:?} uses color {index} of a palette of {colors}")]
    PaletteIndex {
        /// The tile.
        tile: Rect,
        /// The index.
        index: u8,
        /// The palette's colors.
        colors: usize,
    },
    /// A palette run that goes past the end of its tile.
    #[error("a run goes past the end of tile {tile:?}")]
    RunPastTile {
        /// The tile.
        tile: Rect,
    },
    /// A `px-tiles` JPEG record that does not decode to the tiles it covers.
    #[error("the JPEG of tiles {rect:?} does not decode: {reason}")]
    Jpeg {
        /// The tiles it covers.
        rect: Rect,
        /// What the JPEG decoder said.
        reason: String,
    },
    /// A reference to a cache slot that holds no tile, or one for a tile that is not whole.
    #[error("tile {tile:?} refers to cache slot {slot}, which holds no tile for it")]
    CacheSlot {
        /// The tile.
        tile: Rect,
        /// The slot.
        slot: usize,
    },
    /// Drawings that are no list of [`Drawing`]s, or that have bytes after it.
    #[error("the drawings of rectangle {rect:?} do not decode")]
    DrawDecode {
        /// The rectangle.
        rect: Rect,
    },
    /// A drawing of a request that is not one of the drawing requests.
    #[error("a drawing of rectangle {rect:?} is a {kind}, which is no drawing")]
    DrawRequest {
        /// The rectangle.
        rect: Rect,
        /// The request's kind.
        kind: RequestKind,
    },
    /// A drawing's clip that reaches out of its rectangle.
    #[error("a drawing of rectangle {rect:?} has a clip {clip:?} outside it")]
    DrawClip {
        /// The rectangle.
        rect: Rect,
        /// The clip.
        clip: Rect,
    },
    /// Drawings that would touch more pixels than their rectangle allows (see
    /// [`tiles::DRAW_COST`]).
    #[error("the drawings of rectangle {rect:?} touch {cost} pixels, more than {limit}")]
    DrawCost {
        /// The rectangle.
        rect: Rect,
        /// What they would touch.
        cost: u64,
        /// The most they may.
        limit: u64,
    },
}

/// The total bytes of encoded data in an update.
pub fn bytes(rects: &[EncodedRect]) -> usize {
    rects.iter().map(|r| r.data.len()).sum()
}

/// The server's side for one viewer: remembers what the viewer has (a shadow canvas) and
/// encodes what changed.
#[derive(Debug)]
pub struct PixelEncoder {
    encoding: PixelEncoding,
    /// What the viewer has on its screen, as far as it was sent.
    shadow: Canvas,
    /// Set until the first encode after [`PixelEncoder::new`], a reset or a resize: that
    /// update sends plain pixels, so that it does not depend on what the viewer held before.
    fresh: bool,
    /// This update's damage, clipped to the screen.
    damage: Vec<Rect>,
    /// The pixels of one band, as bytes (its length only grows).
    bytes: Vec<u8>,
    /// The XOR of one band with the shadow (its length only grows).
    xor: Vec<u8>,
    /// LZ4 output of the XOR (its length only grows).
    packed: Vec<u8>,
    /// LZ4 output of the pixels (its length only grows).
    packed_pixels: Vec<u8>,
    /// `px-tiles`' stream and cache, from its first use.
    tiles: Option<Box<TileEncoder>>,
    /// Finds scrolls that came without a hint (see [`scroll`]).
    scroll: ScrollDetector,
    /// The copies it found in one rectangle (its length only grows).
    moves: Vec<(Rect, Point)>,
}

impl PixelEncoder {
    /// An encoder for a viewer that has nothing yet: its shadow is black, and the first
    /// update sends whatever it is given (the caller passes the whole screen as damage).
    ///
    /// # Panics
    /// When the shadow canvas cannot be allocated, as [`Canvas::new`].
    pub fn new(encoding: PixelEncoding, size: Size) -> Self {
        PixelEncoder {
            encoding,
            shadow: Canvas::new(size.width, size.height, Color::BLACK),
            fresh: true,
            damage: Vec::new(),
            bytes: Vec::new(),
            xor: Vec::new(),
            packed: Vec::new(),
            packed_pixels: Vec::new(),
            tiles: None,
            scroll: ScrollDetector::default(),
            moves: Vec::new(),
        }
    }

    /// The encoding in force.
    pub fn encoding(&self) -> PixelEncoding {
        self.encoding
    }

    /// Switches encoding. The shadow stays valid: the viewer keeps what it has.
    pub fn set_encoding(&mut self, encoding: PixelEncoding) {
        // `px-tiles` keeps its stream and cache across a switch: the viewer keeps them too.
        self.encoding = encoding;
    }

    /// Forgets what the viewer has (a new viewer, a mode switch): the next encode sends plain
    /// pixels for its damage, which the caller makes the whole screen.
    pub fn reset(&mut self, size: Size) {
        if self.shadow.size() == size {
            self.shadow.pixels_mut().fill(0);
        } else {
            self.shadow = Canvas::new(size.width, size.height, Color::BLACK);
        }
        self.fresh = true;
    }

    /// Whether the encoding in force sends moves as copies (`px-delta-lz4` and `px-tiles`),
    /// so that a dragged window or a scroll costs a few bytes and what it uncovered.
    pub fn sends_copies(&self) -> bool {
        matches!(
            self.encoding,
            PixelEncoding::DeltaLz4 | PixelEncoding::Tiles | PixelEncoding::TilesJpeg { .. }
        )
    }

    /// Encodes the damaged areas of `screen` (the composited screen, whose size may have
    /// changed: then the shadow is resized and everything is sent). `hints` are what the
    /// server knows of how the screen changed since the last encode, in order: its
    /// screen-space moves (scrolls and window moves), which `px-delta-lz4` and `px-tiles`
    /// send as [`RectEncoding::Copy`] before the delta, and its applications' drawing, which
    /// `px-tiles` sends as [`RectEncoding::Draw`] between them (the other encodings ignore
    /// them). Those two also look, in each damaged rectangle, for rows that moved up or down
    /// without a hint (see the `scroll` module), and send what they find as copies too,
    /// after the hints.
    ///
    /// The damage must cover every pixel that changed; it is clipped to the screen and empty
    /// rectangles are ignored.
    /// - `px-raw` sends the whole screen as one raw rectangle, whatever the damage.
    /// - `px-damage` sends each damaged rectangle raw.
    /// - `px-damage-lz4` sends each band of a damaged rectangle LZ4-compressed, or raw when LZ4
    ///   does not make it smaller.
    /// - `px-tiles` sends the copies as `px-delta-lz4` does, and the drawings, which it
    ///   carries out on the shadow as the viewer will, then the damaged tiles (and those the
    ///   drawings touched) that differ from the shadow (see [`tiles`]).
    /// - `px-delta-lz4` applies the copies to the shadow and sends them, then sends each band
    ///   of the damage (copy destinations included) as the LZ4 of its XOR with the shadow,
    ///   trimmed to the rows that changed and skipped when none did. A band may also go as
    ///   plain pixels (LZ4, else raw), whichever is smaller; to save time the second form is
    ///   only tried when the first (the pixels when most of them changed, else the XOR) does
    ///   not compress 8:1.
    ///
    /// Afterwards the shadow equals the screen in every area sent.
    pub fn encode(&mut self, screen: &Canvas, damage: &[Rect], hints: &[Hint]) -> Vec<EncodedRect> {
        let budget = Budget {
            bytes: usize::MAX,
            ..Budget::default()
        };
        self.encode_within(screen, damage, hints, &budget).0
    }

    /// Encodes as [`PixelEncoder::encode`] does, but only about `budget.bytes` of the damage,
    /// and returns with the update the damage that it leaves for later, in the order in
    /// which it would have gone. So an update on a slow link carries about what the link
    /// holds, and what comes next (the answer to an input) does not wait behind more.
    ///
    /// The hints, and the moves found without a hint, all go (they cost a few bytes and
    /// change what the rest of the damage is compared with); then, unless the damage's raw
    /// pixels fit the budget, the damage is cut into square cells of [`CELL`] pixels (strips
    /// of [`CELL`] rows without copies) on a grid fixed to the screen, which go in this
    /// order until their encoded bytes reach the budget (one always goes): the damage in cells
    /// that meets `budget.first` (together), then the rest in rows from the cell at
    /// `budget.from`, round the screen. What is left is a list of parts of cells: kept
    /// apart by the caller (not merged into boxes over what was sent), it shrinks with every
    /// update.
    /// A first update (new, reset or resized) and `px-raw` always go whole.
    pub fn encode_within(
        &mut self,
        screen: &Canvas,
        damage: &[Rect],
        hints: &[Hint],
        budget: &Budget,
    ) -> (Vec<EncodedRect>, Vec<Rect>) {
        let bounds = screen.bounds();
        let mut out = Vec::new();
        self.damage.clear();
        if screen.size() != self.shadow.size() {
            self.shadow
                .resize(bounds.width, bounds.height, Color::BLACK);
            self.fresh = true;
            self.damage.push(bounds);
        } else {
            let copies_too = self.sends_copies();
            if copies_too && !self.fresh {
                self.apply_hints(hints, &mut out);
            }
            let hinted = self.damage.len();
            let clipped = damage.iter().map(|r| r.intersect(bounds));
            self.damage.extend(clipped.filter(|r| !r.is_empty()));
            if copies_too && !self.fresh {
                self.detect_moves(screen, hinted, &mut out);
            }
        }
        let damage = std::mem::take(&mut self.damage);
        let raw: u64 = damage.iter().map(|r| r.size().area() * 4).sum();
        let whole = self.fresh || self.encoding == PixelEncoding::Raw;
        let rest = if whole || raw <= budget.bytes as u64 {
            self.encode_rects(screen, &damage, &mut out);
            Vec::new()
        } else {
            // Square cells where moves go as copies: a drag's answer is then a copy and a
            // few small cells, and what else changed in the strip waits. Without copies
            // every cell costs its pixels, and strips across the screen compress better.
            let width = if self.sends_copies() {
                CELL as u32
            } else {
                bounds.width
            };
            let mut pieces = cells(&damage, budget, width, bounds.height).into_iter();
            let mut sent = 0;
            for piece in pieces.by_ref() {
                let before = out.len();
                self.encode_rects(screen, &piece, &mut out);
                sent += out[before..]
                    .iter()
                    .map(|r| r.data.len() + RECT_OVERHEAD)
                    .sum::<usize>();
                if sent >= budget.bytes {
                    break;
                }
            }
            pieces.flatten().collect()
        };
        self.damage = damage;
        self.fresh = false;
        (out, rest)
    }

    /// Encodes `damage` (clipped, disjoint enough) in the encoding in force, after the copies.
    fn encode_rects(&mut self, screen: &Canvas, damage: &[Rect], out: &mut Vec<EncodedRect>) {
        let bounds = screen.bounds();
        match self.encoding {
            PixelEncoding::Raw => {
                out.push(EncodedRect {
                    rect: bounds,
                    kind: RectEncoding::Raw,
                    data: pixel_bytes(screen, bounds),
                });
                // Same size: the shadow was resized above.
                self.shadow.pixels_mut().copy_from_slice(screen.pixels());
            }
            PixelEncoding::Damage => {
                for &rect in damage {
                    let data = pixel_bytes(screen, rect);
                    copy_rows(screen, &mut self.shadow, rect);
                    out.push(EncodedRect {
                        rect,
                        kind: RectEncoding::Raw,
                        data,
                    });
                }
            }
            PixelEncoding::DamageLz4 => {
                for band in damage.iter().flat_map(|&rect| bands(rect)) {
                    out.push(self.pack_pixels(screen, band));
                    copy_rows(screen, &mut self.shadow, band);
                }
            }
            PixelEncoding::DeltaLz4 => {
                for band in damage.iter().flat_map(|&rect| bands(rect)) {
                    if self.fresh {
                        out.push(self.pack_pixels(screen, band));
                        copy_rows(screen, &mut self.shadow, band);
                    } else if let Some(rect) = self.pack_delta(screen, band) {
                        out.push(rect);
                    }
                }
            }
            PixelEncoding::Tiles | PixelEncoding::TilesJpeg { .. } => {
                let quality = match self.encoding {
                    PixelEncoding::TilesJpeg { quality } => Some(quality),
                    _ => None,
                };
                let tiles = self
                    .tiles
                    .get_or_insert_with(|| Box::new(TileEncoder::new()));
                if self.fresh {
                    tiles.restart();
                }
                let fresh = self.fresh;
                tiles.encode(screen, &mut self.shadow, damage, fresh, quality, out);
            }
        }
    }

    /// Carries out `hints` on the shadow as the viewer will, sends them, and adds what they
    /// changed to the damage: a wrong hint then costs bytes, never correctness. Drawings go
    /// only in `px-tiles`' stream, once it has started (the viewer decodes them with it).
    fn apply_hints(&mut self, hints: &[Hint], out: &mut Vec<EncodedRect>) {
        let bounds = self.shadow.bounds();
        let tiles = matches!(
            self.encoding,
            PixelEncoding::Tiles | PixelEncoding::TilesJpeg { .. }
        );
        let draws = tiles && self.tiles.as_ref().is_some_and(|t| t.started());
        let mut drawings = Vec::new();
        for hint in hints {
            match hint {
                Hint::Copy(dst, src) => {
                    self.draw(&mut drawings, out);
                    let Some((rect, src)) = clip_copy(bounds, *dst, *src) else {
                        continue;
                    };
                    self.copy(rect, src, out);
                    self.damage.push(rect);
                }
                Hint::Draw(drawing) if draws => drawings.push(drawing),
                Hint::Draw(_) => {}
            }
        }
        self.draw(&mut drawings, out);
    }

    /// Carries out and sends `drawings` (and empties it).
    fn draw(&mut self, drawings: &mut Vec<&Drawing>, out: &mut Vec<EncodedRect>) {
        if let (Some(tiles), false) = (&mut self.tiles, drawings.is_empty()) {
            tiles.draw(&mut self.shadow, drawings, &mut self.damage, out);
        }
        drawings.clear();
    }

    /// Looks for rows that moved in each damaged rectangle from the `from`th on (those the
    /// caller passed: the copies' destinations before them were just made to match), and
    /// carries out and sends what it finds as copies, before the pixels.
    fn detect_moves(&mut self, screen: &Canvas, from: usize, out: &mut Vec<EncodedRect>) {
        let mut moves = std::mem::take(&mut self.moves);
        for i in from..self.damage.len() {
            // `i` is below the length.
            let rect = self.damage[i];
            self.scroll.detect(screen, &self.shadow, rect, &mut moves);
            for &(dst, src) in &moves {
                // Inside `rect`, which is inside the screen: nothing to clip.
                self.copy(dst, src, out);
            }
        }
        self.moves = moves;
    }

    /// Carries out a copy whose ends lie in the screen on the shadow, as the viewer will, and
    /// sends it.
    fn copy(&mut self, rect: Rect, src: Point, out: &mut Vec<EncodedRect>) {
        let bounds = self.shadow.bounds();
        let from = Rect::new(src.x, src.y, rect.width, rect.height);
        self.shadow.copy_within(from, rect.origin(), bounds);
        if let Some(tiles) = &mut self.tiles {
            tiles.forget_lossy(rect, bounds.width);
        }
        out.push(EncodedRect {
            rect,
            kind: RectEncoding::Copy { src },
            data: Vec::new(),
        });
    }

    /// The band's pixels as LZ4, or raw when that is not smaller. Leaves the pixels in
    /// `self.bytes`.
    fn pack_pixels(&mut self, screen: &Canvas, band: Rect) -> EncodedRect {
        let bytes = buffer(&mut self.bytes, byte_len(band));
        put_pixels(bytes, screen, band);
        let n = compress(bytes, &mut self.packed);
        let (kind, data) = match self.packed.get(..n) {
            Some(packed) if n < bytes.len() => (RectEncoding::Lz4, packed.to_vec()),
            _ => (RectEncoding::Raw, bytes.to_vec()),
        };
        EncodedRect {
            rect: band,
            kind,
            data,
        }
    }

    /// The band's change against the shadow, trimmed to the rows and columns that changed
    /// (`None` when nothing did), and the shadow brought up to date. Trimming matters: LZ4
    /// spends a byte per 255 unchanged (zero) bytes of XOR, so a clock hand moving in a wide
    /// band would otherwise cost a kilobyte of nothing.
    fn pack_delta(&mut self, screen: &Canvas, band: Rect) -> Option<EncodedRect> {
        let shadow = &mut self.shadow;
        let changed = |y: u32| row(screen, band, y) != row(shadow, band, y);
        let first = (0..band.height).find(|&y| changed(y))?;
        let last = (first..band.height).rev().find(|&y| changed(y))?;
        let (mut left, mut right) = (band.width, 0);
        for y in first..=last {
            let (new, old) = (row(screen, band, y), row(shadow, band, y));
            let differs = |x: &usize| new[*x] != old[*x];
            if let Some(l) = (0..left as usize).find(differs) {
                left = l as u32;
            }
            if let Some(r) = (right as usize..new.len()).rev().find(differs) {
                right = r as u32;
            }
        }
        if left > right {
            return None;
        }
        // All are below the band's sides, which fit in an i32 for a band inside a canvas.
        let band = Rect::new(
            band.x + left as i32,
            band.y + first as i32,
            right - left + 1,
            last - first + 1,
        );

        let raw = byte_len(band);
        let xor = buffer(&mut self.xor, raw);
        let stride = band.width as usize * 4;
        let mut changed = 0;
        for (y, out) in (0..band.height).zip(xor.chunks_exact_mut(stride)) {
            let new = row(screen, band, y);
            let old = row_mut(shadow, band, y);
            changed += put_xor(out, new, old);
            old.copy_from_slice(new);
        }
        // When most pixels changed, the content was replaced (a new image, a scroll without a
        // hint) and its XOR with the old is rarely smaller than itself: try the pixels first.
        let pixels_first = changed * 2 > band.width as usize * band.height as usize;
        let poor = |len: usize| len.saturating_mul(PIXELS_TRY_RATIO) > raw;
        let (mut delta, mut pixels) = (usize::MAX, usize::MAX);
        if !pixels_first {
            delta = compress(xor, &mut self.packed);
        }
        if pixels_first || poor(delta) {
            let bytes = buffer(&mut self.bytes, raw);
            put_pixels(bytes, screen, band);
            pixels = compress(bytes, &mut self.packed_pixels);
            if pixels_first && poor(pixels) {
                delta = compress(xor, &mut self.packed);
            }
        }
        let (kind, data) = if delta <= pixels && delta < raw {
            (RectEncoding::DeltaLz4, self.packed.get(..delta))
        } else if pixels < raw {
            (RectEncoding::Lz4, self.packed_pixels.get(..pixels))
        } else {
            // Neither compressed well, so the pixels were put in `bytes`.
            (RectEncoding::Raw, self.bytes.get(..raw))
        };
        Some(EncodedRect {
            rect: band,
            kind,
            data: data.unwrap_or_default().to_vec(),
        })
    }
}

/// The damage (clipped to the screen, `height` rows) cut into cells of `width` by [`CELL`]
/// pixels, in the order of [`PixelEncoder::encode_within`]: the cells that meet
/// `budget.first` (their rectangles that meet it) as one piece, then each other rectangle
/// alone.
fn cells(damage: &[Rect], budget: &Budget, width: u32, height: u32) -> Vec<Vec<Rect>> {
    // Inside the screen: no overflow.
    let width = width.max(1) as i32;
    // Per cell (by row and column of the grid), the damage in it, disjoint: no pixel goes
    // twice, and nothing reaches past its cell.
    let mut parts: BTreeMap<(i32, i32), Damage> = BTreeMap::new();
    for &rect in damage.iter().filter(|r| !r.is_empty()) {
        let (right, bottom) = (rect.right() as i32, rect.bottom() as i32);
        for row in rect.y.div_euclid(CELL)..=(bottom - 1).div_euclid(CELL) {
            for column in rect.x.div_euclid(width)..=(right - 1).div_euclid(width) {
                let cell = Rect::new(column * width, row * CELL, width as u32, CELL as u32);
                parts
                    .entry((row, column))
                    .or_default()
                    .add(rect.intersect(cell));
            }
        }
    }
    let (first, mut others): (Vec<_>, Vec<_>) = parts
        .into_iter()
        .flat_map(|(cell, mut d)| d.take().into_iter().map(move |r| (cell, r)))
        .partition(|(_, r)| budget.meets_first(r));
    // From the cell at `budget.from`, row by row round the screen; that cell's row ends with
    // the cells left of it.
    let rows = (i64::from(height.max(1)) + i64::from(CELL) - 1) / i64::from(CELL);
    let (from_row, from_column) = (
        budget.from.y.div_euclid(CELL),
        budget.from.x.div_euclid(width),
    );
    others.sort_by_key(|&((row, column), _)| {
        let after = (i64::from(row) - i64::from(from_row)).rem_euclid(rows);
        (after == 0 && column < from_column, after, column)
    });
    let first: Vec<Rect> = first.into_iter().map(|(_, r)| r).collect();
    (!first.is_empty())
        .then_some(first)
        .into_iter()
        .chain(others.into_iter().map(|(_, r)| vec![r]))
        .collect()
}

/// A copy of `dst`'s size from `src` to `dst`, clipped so that both ends lie in `bounds`:
/// the clipped destination and its source, or `None` when nothing is left to copy (or the
/// copy does not move anything).
fn clip_copy(bounds: Rect, dst: Rect, src: Point) -> Option<(Rect, Point)> {
    let dx = i64::from(dst.x) - i64::from(src.x);
    let dy = i64::from(dst.y) - i64::from(src.y);
    if dx == 0 && dy == 0 {
        return None;
    }
    let left = i64::from(dst.x).max(dx).max(0);
    let top = i64::from(dst.y).max(dy).max(0);
    let right = dst.right().min(bounds.right()).min(bounds.right() + dx);
    let bottom = dst.bottom().min(bounds.bottom()).min(bounds.bottom() + dy);
    if left >= right || top >= bottom {
        return None;
    }
    // All four edges lie inside `bounds`, and so do the source's.
    let rect = Rect::from_edges(left, top, right, bottom);
    Some((rect, Point::new((left - dx) as i32, (top - dy) as i32)))
}

/// The bands a damaged rectangle (clipped, not empty) is encoded in: whole rows, at most
/// [`BAND_BYTES`] (or one row) each.
fn bands(rect: Rect) -> impl Iterator<Item = Rect> {
    let rows = (BAND_BYTES / (rect.width as usize * 4).max(1)).max(1) as u32;
    (0..rect.height).step_by(rows as usize).map(move |dy| {
        // `dy` is below the height of a rectangle inside a canvas: it fits in an i32.
        Rect::new(
            rect.x,
            rect.y + dy as i32,
            rect.width,
            rows.min(rect.height - dy),
        )
    })
}

/// Four bytes per pixel of `rect`.
fn byte_len(rect: Rect) -> usize {
    rect.width as usize * rect.height as usize * 4
}

/// The first `len` bytes of `buf`, grown if needed (growing zeroes; reuse does not).
fn buffer(buf: &mut Vec<u8>, len: usize) -> &mut [u8] {
    if buf.len() < len {
        buf.resize(len, 0);
    }
    &mut buf[..len]
}

/// LZ4 of `input` into `output` (grown to the worst case): the compressed length, or
/// `usize::MAX` in the case that cannot happen, the output being too small.
fn compress(input: &[u8], output: &mut Vec<u8>) -> usize {
    let out = buffer(output, get_maximum_output_size(input.len()));
    compress_into(input, out).unwrap_or(usize::MAX)
}

/// The pixels of row `y` of `rect`. The rectangle lies inside the canvas (the encoder clips,
/// the decoder checks); one outside it, which would be a bug, gives an empty slice.
fn row(canvas: &Canvas, rect: Rect, y: u32) -> &[u32] {
    let start = (rect.y as usize + y as usize) * canvas.width() as usize + rect.x as usize;
    let end = start + rect.width as usize;
    canvas.pixels().get(start..end).unwrap_or_default()
}

/// [`row`], writable.
fn row_mut(canvas: &mut Canvas, rect: Rect, y: u32) -> &mut [u32] {
    let start = (rect.y as usize + y as usize) * canvas.width() as usize + rect.x as usize;
    let end = start + rect.width as usize;
    canvas.pixels_mut().get_mut(start..end).unwrap_or_default()
}

/// Copies `rect` of `from` into `to`, both the same size.
fn copy_rows(from: &Canvas, to: &mut Canvas, rect: Rect) {
    for y in 0..rect.height {
        let src = row(from, rect, y);
        let dst = row_mut(to, rect, y);
        if src.len() == dst.len() {
            dst.copy_from_slice(src);
        }
    }
}

/// The pixels of `rect` as little-endian bytes, in a new vector.
fn pixel_bytes(canvas: &Canvas, rect: Rect) -> Vec<u8> {
    let mut bytes = vec![0; byte_len(rect)];
    put_pixels(&mut bytes, canvas, rect);
    bytes
}

/// Writes the pixels of `rect` into `bytes` (four per pixel), rows top to bottom.
fn put_pixels(bytes: &mut [u8], canvas: &Canvas, rect: Rect) {
    let stride = (rect.width as usize * 4).max(1);
    for (y, out) in (0..rect.height).zip(bytes.chunks_exact_mut(stride)) {
        for (b, p) in out.chunks_exact_mut(4).zip(row(canvas, rect, y)) {
            b.copy_from_slice(&p.to_le_bytes());
        }
    }
}

/// Writes the XOR of two rows into `bytes`, four bytes per pixel, and counts the pixels
/// that differ.
fn put_xor(bytes: &mut [u8], new: &[u32], old: &[u32]) -> usize {
    // A u32 count vectorizes better than a usize one, and a row has fewer than 2^32 pixels.
    let mut changed = 0u32;
    for ((b, n), o) in bytes.chunks_exact_mut(4).zip(new).zip(old) {
        let x = n ^ o;
        b.copy_from_slice(&x.to_le_bytes());
        changed += u32::from(x != 0);
    }
    changed as usize
}

/// Writes (or, with `xor`, XORs) the pixels in `bytes` into `rect` of the canvas. The top
/// byte of each pixel is dropped, to keep the canvas's `0x00RRGGBB` whatever was received.
fn get_pixels(canvas: &mut Canvas, rect: Rect, bytes: &[u8], xor: bool) {
    let stride = (rect.width as usize * 4).max(1);
    for (y, src) in (0..rect.height).zip(bytes.chunks_exact(stride)) {
        let dst = row_mut(canvas, rect, y);
        let pixels = src.chunks_exact(4).map(|b| {
            let mut word = [0; 4];
            word.copy_from_slice(b);
            u32::from_le_bytes(word) & 0x00ff_ffff
        });
        if xor {
            dst.iter_mut().zip(pixels).for_each(|(d, p)| *d ^= p);
        } else {
            dst.iter_mut().zip(pixels).for_each(|(d, p)| *d = p);
        }
    }
}

#[cfg(test)]
mod tests;
