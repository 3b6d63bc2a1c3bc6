//! The frames a viewer showed, kept so that another display can be made to show the very same
//! ones: per update, the server's hints (scrolls and moves, and its applications' drawing)
//! and the rectangles whose pixels changed, with those pixels. Also the PSNR that lossy streams are reported with, per
//! frame and summed up over a stream.
//!
//! A [`Recorder`] follows a netui pixel viewer: it is handed each update's rectangles as the
//! server sent them and the viewer's screen after the update, and keeps a model of that
//! screen built only from what it records, so that replaying the recorded frames in order
//! ([`Frame::apply`]) gives every screen the viewer showed, exactly. Where the rectangles do
//! not explain the new screen (a copy that read pixels another rectangle of the same update
//! had changed first), the recorder adds a patch of what differs, so the model never drifts.
//!
//! Pixels are the screen's `0x00RRGGBB`, rows top to bottom: what a depth-24 X server takes
//! as a `ZPixmap` image (little-endian `u32`s) and what [`netui_scene::render::Canvas`]
//! holds.

use netui_protocol::{Drawing, Point, Rect, RectEncoding, Size};
use netui_scene::encoding::Hint;

/// The side of the cells in which [`Screen::changed_in`] looks for what changed: as a VNC
/// server compares its screen (TigerVNC's 64-pixel blocks), and as netui cuts damage.
const CELL: i32 = 64;

/// A screen's pixels, `0x00RRGGBB`, row-major.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Screen {
    /// Its size.
    pub size: Size,
    /// `width * height` pixels.
    pub pixels: Vec<u32>,
}

impl Screen {
    /// A black screen.
    pub fn new(size: Size) -> Screen {
        Screen {
            size,
            pixels: vec![0; size.width as usize * size.height as usize],
        }
    }

    /// The screen's area.
    pub fn bounds(&self) -> Rect {
        Rect::from_size(self.size)
    }

    /// The pixels of `rect` (which lies within the screen), rows top to bottom.
    pub fn read(&self, rect: Rect) -> Vec<u32> {
        let width = self.size.width as usize;
        let mut out = Vec::with_capacity(rect.width as usize * rect.height as usize);
        for y in rect.y..rect.y + rect.height as i32 {
            let start = y as usize * width + rect.x as usize;
            out.extend_from_slice(&self.pixels[start..start + rect.width as usize]);
        }
        out
    }

    /// Writes `pixels` (rows of `rect`, which lies within the screen) into the screen.
    pub fn write(&mut self, rect: Rect, pixels: &[u32]) {
        let width = self.size.width as usize;
        for (row, y) in (rect.y..rect.y + rect.height as i32).enumerate() {
            let start = y as usize * width + rect.x as usize;
            let from = row * rect.width as usize;
            self.pixels[start..start + rect.width as usize]
                .copy_from_slice(&pixels[from..from + rect.width as usize]);
        }
    }

    /// Copies the pixels at `src` (the size of `dst`) to `dst`, as X's CopyArea and RFB's
    /// CopyRect do: every pixel is read before any is written. Parts outside the screen are
    /// left out.
    pub fn copy(&mut self, dst: Rect, src: Point) {
        let (dst, src) = clip_copy(dst, src, self.bounds());
        if dst.is_empty() {
            return;
        }
        let pixels = self.read(Rect::new(src.x, src.y, dst.width, dst.height));
        self.write(dst, &pixels);
    }

    /// The smallest rectangle holding every pixel that differs from `other`'s (same size), if
    /// any does.
    pub fn differing_area(&self, other: &[u32]) -> Option<Rect> {
        self.differing_area_in(other, self.bounds())
    }

    /// What differs from `other` (same size) in `area` (within the screen), as an
    /// application's damage would say it: in each cell of a 64-pixel grid (`CELL`), the
    /// smallest rectangle that holds what differs there, joined along each row of cells
    /// where they touch. So a recorded update's patches are as tight as what changed,
    /// whatever rectangles the viewer got it in (a drawing's where it drew, not where it
    /// might have; tiles' where they differ, not the rows of tiles round them).
    pub fn changed_in(&self, other: &[u32], area: Rect) -> Vec<Rect> {
        let mut out: Vec<Rect> = Vec::new();
        let (left, top) = (area.x.div_euclid(CELL), area.y.div_euclid(CELL));
        let (right, bottom) = (
            (area.right() as i32 - 1).div_euclid(CELL),
            (area.bottom() as i32 - 1).div_euclid(CELL),
        );
        for row in top..=bottom {
            let first = out.len();
            for column in left..=right {
                let cell = Rect::new(column * CELL, row * CELL, CELL as u32, CELL as u32);
                let Some(changed) = self.differing_area_in(other, area.intersect(cell)) else {
                    continue;
                };
                match out[first..].last_mut() {
                    Some(last) if last.right() == i64::from(changed.x) => {
                        *last = last.union(changed);
                    }
                    _ => out.push(changed),
                }
            }
        }
        out
    }

    /// The smallest rectangle holding every pixel of `area` (within the screen) that differs
    /// from `other`'s (same size), if any does.
    pub fn differing_area_in(&self, other: &[u32], area: Rect) -> Option<Rect> {
        let width = self.size.width as usize;
        if width == 0 || area.is_empty() {
            return None;
        }
        let (x0, x1) = (area.x as usize, area.right() as usize);
        let (skip, take) = (area.y as usize, area.height as usize);
        let ours = self.pixels.chunks(width).skip(skip).take(take);
        let theirs = other.chunks(width).skip(skip).take(take);
        let (mut left, mut top, mut right, mut bottom) = (usize::MAX, usize::MAX, 0, 0);
        for (y, (a, b)) in ours.zip(theirs).enumerate() {
            let (a, b) = (&a[x0..x1], &b[x0..x1]);
            let y = y + area.y as usize;
            if a == b {
                continue;
            }
            let first = a.iter().zip(b).position(|(p, q)| p != q).unwrap_or(0);
            let last = a.iter().zip(b).rposition(|(p, q)| p != q).unwrap_or(0);
            left = left.min(x0 + first);
            right = right.max(x0 + last + 1);
            top = top.min(y);
            bottom = y + 1;
        }
        (top != usize::MAX).then(|| {
            Rect::new(
                left as i32,
                top as i32,
                (right - left) as u32,
                (bottom - top) as u32,
            )
        })
    }
}

/// `dst` and its source `src` cut to the parts of both within `bounds`.
pub(crate) fn clip_copy(dst: Rect, src: Point, bounds: Rect) -> (Rect, Point) {
    let (dx, dy) = (src.x - dst.x, src.y - dst.y);
    let source = Rect::new(src.x, src.y, dst.width, dst.height).intersect(bounds);
    let dst = dst.intersect(bounds).intersect(Rect::new(
        source.x - dx,
        source.y - dy,
        source.width,
        source.height,
    ));
    (dst, Point::new(dst.x + dx, dst.y + dy))
}

/// Changed pixels: a rectangle and its new pixels, rows top to bottom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Patch {
    /// Where on the screen.
    pub rect: Rect,
    /// `rect.width * rect.height` pixels, `0x00RRGGBB`.
    pub pixels: Vec<u32>,
}

/// One update as a viewer showed it: copies first, in order, then patches.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Frame {
    /// What the server hinted, in order: copies (a scroll, a move) and drawings, whose
    /// pixels the patches carry too.
    pub hints: Vec<Hint>,
    /// Pixels that changed, after the copies.
    pub patches: Vec<Patch>,
}

impl Frame {
    /// The copies the server hinted: `(destination, source corner)`.
    pub fn copies(&self) -> impl Iterator<Item = (Rect, Point)> + '_ {
        self.hints.iter().filter_map(Hint::copy)
    }

    /// Applies the frame to `screen`: the screen the viewer showed after it.
    pub fn apply(&self, screen: &mut Screen) {
        for (dst, src) in self.copies() {
            screen.copy(dst, src);
        }
        for patch in &self.patches {
            screen.write(patch.rect, &patch.pixels);
        }
    }

    /// Pixels the frame's patches carry.
    pub fn patched_pixels(&self) -> u64 {
        self.patches.iter().map(|p| p.pixels.len() as u64).sum()
    }
}

/// Records the frames a netui pixel viewer shows (see the module's doc).
#[derive(Debug, Clone)]
pub struct Recorder {
    model: Screen,
    frames: Vec<Frame>,
    repairs: usize,
}

impl Recorder {
    /// A recorder for a screen of `size`, which it takes as black before the first update.
    pub fn new(size: Size) -> Recorder {
        Recorder {
            model: Screen::new(size),
            frames: Vec::new(),
            repairs: 0,
        }
    }

    /// Records one update: `rects` as the server sent them (in order), the drawings of its
    /// draw rectangles, each with the number of its rectangle ([`PixelDecoder::drawings`]),
    /// and `after`, the viewer's screen once it applied them (`0x00RRGGBB`, the recorder's
    /// size; any other size is an error). A rectangle's patch is what differs in it.
    ///
    /// [`PixelDecoder::drawings`]: netui_scene::encoding::PixelDecoder::drawings
    pub fn record(
        &mut self,
        rects: &[(Rect, RectEncoding)],
        drawings: &[(usize, Drawing)],
        after: &[u32],
    ) -> Result<(), String> {
        if after.len() != self.model.pixels.len() {
            return Err(format!(
                "the viewer's screen has {} pixels, not the {}x{} recorded",
                after.len(),
                self.model.size.width,
                self.model.size.height
            ));
        }
        let bounds = self.model.bounds();
        let mut frame = Frame::default();
        for (i, (rect, kind)) in rects.iter().enumerate() {
            match kind {
                RectEncoding::Copy { src } => frame.hints.push(Hint::Copy(*rect, *src)),
                RectEncoding::Draw => {
                    let own = drawings.iter().filter(|(at, _)| *at == i);
                    frame.hints.extend(own.map(|(_, d)| Hint::Draw(d.clone())));
                }
                _ => {}
            }
        }
        for (dst, src) in frame.copies() {
            self.model.copy(dst, src);
        }
        for (rect, kind) in rects {
            let rect = rect.intersect(bounds);
            if matches!(kind, RectEncoding::Copy { .. }) || rect.is_empty() {
                continue;
            }
            for rect in self.model.changed_in(after, rect) {
                let patch = Patch {
                    rect,
                    pixels: read(after, self.model.size, rect),
                };
                self.model.write(rect, &patch.pixels);
                frame.patches.push(patch);
            }
        }
        if let Some(rect) = self.model.differing_area(after) {
            self.repairs += 1;
            let patch = Patch {
                rect,
                pixels: read(after, self.model.size, rect),
            };
            self.model.write(rect, &patch.pixels);
            frame.patches.push(patch);
        }
        self.frames.push(frame);
        Ok(())
    }

    /// Updates in which the rectangles alone did not give the viewer's screen (so a patch of
    /// the difference was added).
    pub fn repairs(&self) -> usize {
        self.repairs
    }

    /// The frames recorded, the first (the whole screen) first.
    pub fn finish(self) -> Frames {
        Frames {
            size: self.model.size,
            frames: self.frames,
            last: self.model,
            repairs: self.repairs,
        }
    }
}

/// The frames one viewer showed, in order.
#[derive(Debug, Clone)]
pub struct Frames {
    /// The screen's size.
    pub size: Size,
    /// The frames; applied in order to a black screen they give each screen the viewer
    /// showed.
    pub frames: Vec<Frame>,
    /// The screen after the last frame.
    pub last: Screen,
    /// Frames whose rectangles alone did not give the viewer's screen (see
    /// [`Recorder::repairs`]).
    pub repairs: usize,
}

impl Frames {
    /// Copies (scrolls, moves) in all frames.
    pub fn copies(&self) -> usize {
        self.frames.iter().map(|f| f.copies().count()).sum()
    }
}

/// The pixels of `rect` in a `size` screen's `pixels`.
fn read(pixels: &[u32], size: Size, rect: Rect) -> Vec<u32> {
    let width = size.width as usize;
    let mut out = Vec::with_capacity(rect.width as usize * rect.height as usize);
    for y in rect.y..rect.y + rect.height as i32 {
        let start = y as usize * width + rect.x as usize;
        out.extend_from_slice(&pixels[start..start + rect.width as usize]);
    }
    out
}

/// The peak signal-to-noise ratio of `got` against `want` (`0x00RRGGBB` pixels), in dB over
/// the red, green and blue channels ([`netui_scene::render::psnr`]); `None` when they are
/// equal (infinite PSNR).
pub fn psnr(got: &[u32], want: &[u32]) -> Option<f64> {
    let p = netui_scene::render::psnr(want, got);
    p.is_finite().then_some(p)
}

/// PSNRs of a stream's frames gathered into what the report says: the PSNR of all frames
/// together (of their mean squared error, frames of one size) and the worst frame's.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PsnrSummary {
    mse_sum: f64,
    count: u32,
    worst: Option<f64>,
}

impl PsnrSummary {
    /// Adds one frame's PSNR (`None`: shown exactly).
    pub fn add(&mut self, psnr: Option<f64>) {
        let value = psnr.unwrap_or(f64::INFINITY);
        // PSNR = 10 log10(255² / MSE), so MSE = 255² / 10^(PSNR / 10); exact is 0.
        self.mse_sum += 255.0 * 255.0 / 10f64.powf(value / 10.0);
        self.count += 1;
        self.worst = Some(self.worst.map_or(value, |w: f64| w.min(value)));
    }

    /// The PSNR of all frames added (infinite if every one was exact), if any were.
    pub fn mean(&self) -> Option<f64> {
        (self.count > 0).then(|| {
            let mse = self.mse_sum / f64::from(self.count);
            if mse == 0.0 {
                f64::INFINITY
            } else {
                10.0 * (255.0 * 255.0 / mse).log10()
            }
        })
    }

    /// The lowest PSNR of a frame, if any was added.
    pub fn worst(&self) -> Option<f64> {
        self.worst
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn screen(width: u32, height: u32, f: impl Fn(u32, u32) -> u32) -> Vec<u32> {
        (0..height)
            .flat_map(|y| (0..width).map(move |x| (x, y)))
            .map(|(x, y)| f(x, y))
            .collect()
    }

    /// Replays `frames` onto a black screen, returning each screen.
    fn replay(frames: &Frames) -> Vec<Vec<u32>> {
        let mut screen = Screen::new(frames.size);
        frames
            .frames
            .iter()
            .map(|f| {
                f.apply(&mut screen);
                screen.pixels.clone()
            })
            .collect()
    }

    #[test]
    fn frames_replay_to_every_screen_shown() {
        let size = Size::new(8, 6);
        let first = screen(8, 6, |x, y| x * 16 + y);
        // A scroll up by two rows (a copy), and the two uncovered rows drawn anew.
        let mut second = first.clone();
        second.copy_within(16..48, 0);
        for p in &mut second[32..48] {
            *p = 0x00ff_0000;
        }
        let mut recorder = Recorder::new(size);
        recorder
            .record(&[(Rect::new(0, 0, 8, 6), RectEncoding::Raw)], &[], &first)
            .unwrap();
        recorder
            .record(
                &[
                    (
                        Rect::new(0, 0, 8, 4),
                        RectEncoding::Copy {
                            src: Point::new(0, 2),
                        },
                    ),
                    (Rect::new(0, 4, 8, 2), RectEncoding::DeltaLz4),
                ],
                &[],
                &second,
            )
            .unwrap();
        assert_eq!(recorder.repairs(), 0);
        let frames = recorder.finish();
        assert_eq!(frames.frames[1].copies().count(), 1);
        assert_eq!(
            frames.frames[1].patched_pixels(),
            16,
            "only the uncovered rows"
        );
        assert_eq!(replay(&frames), vec![first, second.clone()]);
        assert_eq!(frames.last.pixels, second);
    }

    #[test]
    fn drawings_become_hints_and_patches_are_what_changed_in_their_rectangles() {
        let size = Size::new(8, 6);
        let first = vec![0; 48];
        let mut second = first.clone();
        second[2 * 8 + 3] = 0x00ff_ffff;
        let drawing = Drawing {
            clips: vec![Rect::new(0, 0, 8, 6)],
            request: netui_protocol::Request::FillRects {
                target: netui_protocol::ResourceId::ROOT,
                color: netui_protocol::Color::WHITE,
                rects: vec![Rect::new(3, 2, 1, 1)],
            },
        };
        let mut recorder = Recorder::new(size);
        recorder
            .record(&[(Rect::new(0, 0, 8, 6), RectEncoding::Raw)], &[], &first)
            .unwrap();
        let rects = [
            (Rect::new(0, 0, 8, 6), RectEncoding::Draw),
            (
                Rect::new(0, 0, 8, 6),
                RectEncoding::Tiles {
                    reset: false,
                    coded: 0,
                },
            ),
        ];
        recorder
            .record(&rects, &[(0, drawing.clone())], &second)
            .unwrap();
        let frames = recorder.finish();
        assert_eq!(frames.frames[1].hints, vec![Hint::Draw(drawing)]);
        // The pixel the drawing changed, once; the tiles' rectangle has nothing else.
        let patches: Vec<Rect> = frames.frames[1].patches.iter().map(|p| p.rect).collect();
        assert_eq!(patches, vec![Rect::new(3, 2, 1, 1)]);
        assert_eq!(replay(&frames), vec![first, second]);
    }

    #[test]
    fn a_copy_of_pixels_changed_earlier_in_the_update_is_repaired() {
        let size = Size::new(4, 2);
        let before = vec![1; 8];
        // The server changed the left column, then copied it right: the viewer shows the new
        // value in both; copies-first replay would copy the old value.
        let after = vec![7, 1, 1, 7, 7, 1, 1, 7];
        let mut recorder = Recorder::new(size);
        recorder
            .record(&[(Rect::new(0, 0, 4, 2), RectEncoding::Raw)], &[], &before)
            .unwrap();
        recorder
            .record(
                &[
                    (Rect::new(0, 0, 1, 2), RectEncoding::Raw),
                    (
                        Rect::new(3, 0, 1, 2),
                        RectEncoding::Copy {
                            src: Point::new(0, 0),
                        },
                    ),
                ],
                &[],
                &after,
            )
            .unwrap();
        assert_eq!(recorder.repairs(), 1);
        let frames = recorder.finish();
        assert_eq!(replay(&frames)[1], after);
    }

    #[test]
    fn a_frame_with_nothing_changed_has_no_patch() {
        let size = Size::new(3, 3);
        let pixels = vec![5; 9];
        let mut recorder = Recorder::new(size);
        recorder
            .record(&[(Rect::new(0, 0, 3, 3), RectEncoding::Raw)], &[], &pixels)
            .unwrap();
        recorder.record(&[], &[], &pixels).unwrap();
        let frames = recorder.finish();
        assert_eq!(frames.frames[1], Frame::default());
    }

    #[test]
    fn overlapping_copies_read_before_they_write_and_clip_to_the_screen() {
        let mut s = Screen {
            size: Size::new(5, 1),
            pixels: vec![1, 2, 3, 4, 5],
        };
        s.copy(Rect::new(1, 0, 4, 1), Point::new(0, 0));
        assert_eq!(s.pixels, vec![1, 1, 2, 3, 4]);
        // Half of the source is off the screen: only the part on it is copied.
        s.copy(Rect::new(0, 0, 4, 1), Point::new(3, 0));
        assert_eq!(s.pixels, vec![3, 4, 2, 3, 4]);
    }

    #[test]
    fn differing_area_bounds_every_difference() {
        let s = Screen {
            size: Size::new(4, 3),
            pixels: vec![0; 12],
        };
        assert_eq!(s.differing_area(&[0; 12]), None);
        let mut other = vec![0; 12];
        other[4 + 2] = 1; // (2, 1)
        other[8 + 1] = 1; // (1, 2)
        assert_eq!(s.differing_area(&other), Some(Rect::new(1, 1, 2, 2)));
    }

    #[test]
    fn psnr_is_none_for_equal_images_and_matches_the_formula() {
        assert_eq!(psnr(&[0x0012_3456; 4], &[0x0012_3456; 4]), None);
        // One channel of one of two pixels off by 255: MSE = 255² / 6.
        let p = psnr(&[0x0000_0000, 0], &[0x00ff_0000, 0]).expect("differs");
        assert!((p - 10.0 * 6f64.log10()).abs() < 1e-9, "{p}");
    }

    #[test]
    fn psnr_summary_pools_the_frames_squared_errors() {
        let mut s = PsnrSummary::default();
        assert_eq!(s.mean(), None);
        s.add(None);
        assert_eq!(s.mean(), Some(f64::INFINITY));
        s.add(Some(30.0));
        // Half the frames exact, half at MSE m: the whole is at MSE m / 2, 3 dB better.
        let mean = s.mean().expect("frames");
        assert!((mean - (30.0 + 10.0 * 2f64.log10())).abs() < 1e-9, "{mean}");
        assert_eq!(s.worst(), Some(30.0));
    }
}
