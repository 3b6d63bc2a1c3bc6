//! The viewer's side: applying encoded rectangles to its copy of the screen, trusting
//! nothing.

use super::tiles::decoder::TileDecoder;
use super::*;

/// The viewer's side: applies encoded rectangles to its copy of the screen.
#[derive(Debug)]
pub struct PixelDecoder {
    canvas: Canvas,
    /// Decompressed bytes of one rectangle (its length only grows, up to the screen's).
    scratch: Vec<u8>,
    /// `px-tiles`' stream and cache, from the first rectangle that starts them.
    pub(super) tiles: Option<Box<TileDecoder>>,
    /// A stream and cache kept by [`PixelDecoder::reset`] for the next rectangle that starts
    /// them: its context (a window of megabytes) is restarted rather than made again.
    spare_tiles: Option<Box<TileDecoder>>,
    /// The drawings of the last update, each with the number of its rectangle.
    drawings: Vec<(usize, Drawing)>,
}

impl PixelDecoder {
    /// A decoder whose screen is black. The size comes from the network, so it does not
    /// panic: a size beyond [`MAX_SIDE`], or one that cannot be allocated, gives an empty
    /// screen, and the first [`PixelDecoder::apply`] at that size reports the error.
    pub fn new(size: Size) -> Self {
        let canvas = (size.width <= MAX_SIDE && size.height <= MAX_SIDE)
            .then(|| Canvas::try_new(size.width, size.height, Color::BLACK))
            .flatten();
        PixelDecoder {
            canvas: canvas.unwrap_or_else(|| Canvas::new(0, 0, Color::BLACK)),
            scratch: Vec::new(),
            tiles: None,
            spare_tiles: None,
            drawings: Vec::new(),
        }
    }

    /// Forgets everything, as a new decoder of a black screen of `size` would ([`Self::new`],
    /// whose size checks apply), but keeps what it allocated: `px-tiles`' stream and cache
    /// are restarted when a rectangle starts them again rather than made anew. For a viewer
    /// that starts over (the thin client at a mode switch; a fuzz target at each input).
    pub fn reset(&mut self, size: Size) {
        if self.canvas.size() == size {
            self.canvas.pixels_mut().fill(Color::BLACK.to_xrgb());
        } else {
            let fresh = PixelDecoder::new(size);
            self.canvas = fresh.canvas;
            if self.scratch.len() > byte_len(self.canvas.bounds()) {
                self.scratch = Vec::new();
            }
        }
        if let Some(tiles) = self.tiles.take() {
            self.spare_tiles = Some(tiles);
        }
    }

    /// The viewer's copy of the screen.
    pub fn canvas(&self) -> &Canvas {
        &self.canvas
    }

    /// Applies one update (resizing to `size` first if it differs: the old pixels stay at the
    /// top-left, new area is black). Returns the rectangles changed (for a draw rectangle,
    /// what its drawings touched).
    ///
    /// Bad data is an error, never a panic, and allocates no more than the screen's size. The
    /// rectangles before the bad one stay applied; the viewer should ask for the whole screen.
    pub fn apply(&mut self, size: Size, rects: &[EncodedRect]) -> Result<Vec<Rect>, PixelError> {
        if size != self.canvas.size() {
            self.resize(size)?;
        }
        self.drawings.clear();
        let mut changed = Vec::with_capacity(rects.len());
        for (i, rect) in rects.iter().enumerate() {
            self.apply_rect(i, rect, &mut changed)?;
        }
        Ok(changed)
    }

    /// The drawings that the last update carried out ([`RectEncoding::Draw`]), in order,
    /// each with the number of its rectangle in the update: what a recording of the update
    /// needs to give an encoder the same hints.
    pub fn drawings(&self) -> &[(usize, Drawing)] {
        &self.drawings
    }

    fn resize(&mut self, size: Size) -> Result<(), PixelError> {
        if size.width > MAX_SIDE || size.height > MAX_SIDE {
            return Err(PixelError::ScreenTooLarge(size));
        }
        let mut canvas = Canvas::try_new(size.width, size.height, Color::BLACK)
            .ok_or(PixelError::OutOfMemory(size))?;
        let bounds = canvas.bounds();
        canvas.copy_from(&self.canvas, self.canvas.bounds(), Point::new(0, 0), bounds);
        self.canvas = canvas;
        // A smaller screen does not need the old screen's scratch space.
        if self.scratch.len() > byte_len(bounds) {
            self.scratch = Vec::new();
        }
        Ok(())
    }

    /// Applies rectangle number `index` of an update, and pushes what it changed onto
    /// `changed`.
    fn apply_rect(
        &mut self,
        index: usize,
        encoded: &EncodedRect,
        changed: &mut Vec<Rect>,
    ) -> Result<(), PixelError> {
        let EncodedRect { rect, kind, data } = encoded;
        let rect = *rect;
        let bounds = self.canvas.bounds();
        if !bounds.contains_rect(rect) {
            let size = bounds.size();
            return Err(PixelError::OutsideScreen { rect, size });
        }
        // Inside a screen of at most MAX_SIDE x MAX_SIDE: no overflow.
        let expected = byte_len(rect);
        match *kind {
            RectEncoding::Raw => {
                if data.len() != expected {
                    let actual = data.len();
                    return Err(PixelError::RawLength {
                        rect,
                        expected,
                        actual,
                    });
                }
                get_pixels(&mut self.canvas, rect, data, false);
            }
            RectEncoding::Lz4 | RectEncoding::DeltaLz4 => {
                let out = buffer(&mut self.scratch, expected);
                let actual = decompress_into(data, out)
                    .map_err(|source| PixelError::Lz4 { rect, source })?;
                if actual != expected {
                    return Err(PixelError::Lz4Length {
                        rect,
                        expected,
                        actual,
                    });
                }
                let xor = *kind == RectEncoding::DeltaLz4;
                get_pixels(&mut self.canvas, rect, out, xor);
            }
            RectEncoding::Copy { src } => {
                if !data.is_empty() {
                    let len = data.len();
                    return Err(PixelError::CopyData { rect, len });
                }
                let from = Rect::new(src.x, src.y, rect.width, rect.height);
                if !bounds.contains_rect(from) {
                    return Err(PixelError::CopySource { rect, src });
                }
                self.canvas.copy_within(from, rect.origin(), bounds);
            }
            RectEncoding::Tiles { reset, coded } => {
                if reset {
                    let spare = &mut self.spare_tiles;
                    self.tiles
                        .get_or_insert_with(|| {
                            spare.take().unwrap_or_else(|| Box::new(TileDecoder::new()))
                        })
                        .restart();
                }
                let Some(tiles) = &mut self.tiles else {
                    return Err(PixelError::TileContext { rect });
                };
                tiles.apply(&mut self.canvas, rect, data, coded)?;
            }
            RectEncoding::Draw => {
                let Some(tiles) = &mut self.tiles else {
                    return Err(PixelError::TileContext { rect });
                };
                let drawings = tiles.draw(&mut self.canvas, rect, data, changed)?;
                self.drawings
                    .extend(drawings.into_iter().map(|d| (index, d)));
                return Ok(());
            }
        }
        if !rect.is_empty() {
            changed.push(rect);
        }
        Ok(())
    }
}
