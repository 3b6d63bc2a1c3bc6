//! Scroll detection: content that moved up or down inside a damaged rectangle without a copy
//! hint (an application that scrolls by drawing its rows again), found as Xpra does, by
//! hashing rows.
//!
//! For one damaged rectangle, every row of it is hashed twice, once in the new screen and
//! once in the encoder's shadow of the viewer's screen. A new row that changed votes for the
//! offset to where the same row was in the shadow, but only when it says something: it is
//! not one color, and its hash occurs once in the shadow (a blank line, or a row that repeats,
//! would vote for every offset at once). The offsets with the most votes then become runs of
//! rows whose hashes match at that offset, trimmed to the rows that need it, checked pixel by
//! pixel, and handed out as copies (destination, source corner) for the encoder to apply to
//! its shadow and send before the pixels, exactly as it does the server's own copy hints.
//!
//! The copies of one rectangle are carried out in order, so each is found against the
//! shadow as the copies before it leave it: the detector keeps, per row of the rectangle,
//! which row of the shadow is there by then.
//!
//! Horizontal moves are not looked for: lists and text scroll vertically, and a window that
//! moves sideways comes with the server's hint.

use netui_protocol::{Point, Rect};

use super::row;
use crate::render::Canvas;

/// The fewest rows a detected move covers: fewer cost little to send as pixels.
pub const MIN_ROWS: u32 = 8;
/// The narrowest damaged rectangle looked at, in pixels.
pub const MIN_WIDTH: u32 = 32;
/// The fewest rows that must vote for an offset, in the run that moves by it.
const MIN_VOTES: usize = 2;
/// The offsets tried per rectangle, most voted first.
const CANDIDATES: usize = 4;
/// The most moves per rectangle.
const MAX_MOVES: usize = 8;

/// The rows of one damaged rectangle, hashed, and what the copies found so far did to them.
/// The buffers are kept from rectangle to rectangle (their lengths only grow).
#[derive(Debug, Default)]
pub(super) struct ScrollDetector {
    /// The hash of each row of the rectangle in the screen.
    new: Vec<u64>,
    /// The hash of each row of the rectangle in the shadow.
    old: Vec<u64>,
    /// Which row of the shadow each row holds once the copies found so far are applied.
    map: Vec<u32>,
    /// The rows that a copy found so far writes.
    covered: Vec<bool>,
    /// `(hash, row)` of the shadow's rows, sorted, to find where a new row was.
    index: Vec<(u64, u32)>,
    /// The votes, `(offset, row)`: the rows that say they moved down by the offset.
    votes: Vec<(i64, u32)>,
    /// `(votes, offset)` per offset voted for.
    tally: Vec<(usize, i64)>,
}

impl ScrollDetector {
    /// Finds the parts of `rect` (clipped to the screen, which is the shadow's size) whose
    /// rows moved up or down since the viewer got them, and puts them in `moves` (cleared
    /// first) as copies `(destination, source corner)`, at most [`MAX_MOVES`]. Carried out in
    /// order on `shadow`, the copies leave it equal to `screen` on each destination.
    pub(super) fn detect(
        &mut self,
        screen: &Canvas,
        shadow: &Canvas,
        rect: Rect,
        moves: &mut Vec<(Rect, Point)>,
    ) {
        moves.clear();
        if rect.width < MIN_WIDTH || rect.height <= MIN_ROWS || screen.size() != shadow.size() {
            return;
        }
        let height = rect.height as usize;
        self.new.clear();
        self.old.clear();
        let mut changed = 0;
        for y in 0..rect.height {
            let (new, old) = (hash(row(screen, rect, y)), hash(row(shadow, rect, y)));
            changed += usize::from(new != old);
            self.new.push(new);
            self.old.push(old);
        }
        if changed < MIN_ROWS as usize {
            return;
        }
        self.map.clear();
        self.map.extend(0..rect.height);
        self.covered.clear();
        self.covered.resize(height, false);
        self.vote(screen, rect);
        for c in 0..self.tally.len().min(CANDIDATES) {
            let (_, dy) = self.tally[c];
            self.runs(screen, shadow, rect, dy, moves);
        }
    }

    /// Collects the votes (offset, row) of the changed rows that say they moved, sorted, and
    /// counts them per offset into `self.tally`, most votes first (only offsets with at
    /// least [`MIN_VOTES`]).
    fn vote(&mut self, screen: &Canvas, rect: Rect) {
        self.index.clear();
        self.index
            .extend(self.old.iter().zip(0..).map(|(&h, y)| (h, y)));
        self.index.sort_unstable();
        self.votes.clear();
        for (y, (&new, &old)) in (0..).zip(self.new.iter().zip(&self.old)) {
            if new == old {
                continue;
            }
            let Some(from) = self.once(new) else {
                continue;
            };
            // Rows of one color match blank rows anywhere: they are no evidence.
            if !solid(row(screen, rect, y)) {
                self.votes.push((i64::from(y) - i64::from(from), y));
            }
        }
        self.votes.sort_unstable();
        self.tally.clear();
        for chunk in self.votes.chunk_by(|a, b| a.0 == b.0) {
            if chunk.len() >= MIN_VOTES {
                self.tally.push((chunk.len(), chunk[0].0));
            }
        }
        self.tally.sort_unstable_by(|a, b| b.cmp(a));
    }

    /// The row of the shadow whose hash is `hash`, if exactly one has it.
    fn once(&self, hash: u64) -> Option<u32> {
        let at = self.index.partition_point(|&(h, _)| h < hash);
        let (h, from) = *self.index.get(at)?;
        let repeated = self.index.get(at + 1).is_some_and(|&(n, _)| n == hash);
        (h == hash && !repeated).then_some(from)
    }

    /// Finds the runs of rows of `rect` that moved down by `dy` (up when negative) and are
    /// not written yet, appends those worth a copy to `moves` and records what they do.
    fn runs(
        &mut self,
        screen: &Canvas,
        shadow: &Canvas,
        rect: Rect,
        dy: i64,
        moves: &mut Vec<(Rect, Point)>,
    ) {
        let height = rect.height as i64;
        // The rows whose source, `y - dy`, is inside the rectangle.
        let (lo, hi) = (dy.max(0), height.min(height + dy));
        let mut y = lo;
        while y < hi && moves.len() < MAX_MOVES {
            if !self.moved(y, dy) {
                y += 1;
                continue;
            }
            let start = y;
            while y < hi && self.moved(y, dy) {
                y += 1;
            }
            // Rows at either end that the viewer already has in place need no copy.
            let (mut first, mut end) = (start, y);
            while first < end && self.in_place(first) {
                first += 1;
            }
            while end > first && self.in_place(end - 1) {
                end -= 1;
            }
            if end - first < i64::from(MIN_ROWS)
                || self.votes_in(first, end, dy) < MIN_VOTES
                || !self.same_pixels(screen, shadow, rect, first..end, dy)
            {
                continue;
            }
            // Rows below the rectangle's height, inside a screen of at most MAX_SIDE.
            let (first_u, end_u) = (first as usize, end as usize);
            let src = (first - dy) as usize;
            self.map.copy_within(src..src + (end_u - first_u), first_u);
            self.covered[first_u..end_u].fill(true);
            let dst = Rect::new(
                rect.x,
                rect.y + first as i32,
                rect.width,
                (end - first) as u32,
            );
            moves.push((dst, Point::new(rect.x, rect.y + src as i32)));
        }
    }

    /// Whether row `y` is free and holds, in the screen, what row `y - dy` holds in the
    /// shadow after the copies so far (by their hashes).
    fn moved(&self, y: i64, dy: i64) -> bool {
        let (y, from) = (y as usize, (y - dy) as usize);
        !self.covered[y] && self.new[y] == self.old[self.map[from] as usize]
    }

    /// Whether row `y` of the shadow, after the copies so far, already holds the screen's.
    fn in_place(&self, y: i64) -> bool {
        let y = y as usize;
        self.new[y] == self.old[self.map[y] as usize]
    }

    /// The rows from `first` to `end` that voted for `dy`.
    fn votes_in(&self, first: i64, end: i64, dy: i64) -> usize {
        // Rows of the rectangle: below MAX_SIDE.
        let (first, end) = (first as u32, end as u32);
        let lo = self.votes.partition_point(|&v| v < (dy, first));
        let hi = self.votes.partition_point(|&v| v < (dy, end));
        hi - lo
    }

    /// Whether the screen's rows `rows` of `rect` equal, pixel for pixel, the shadow's rows
    /// they are copied from.
    fn same_pixels(
        &self,
        screen: &Canvas,
        shadow: &Canvas,
        rect: Rect,
        rows: std::ops::Range<i64>,
        dy: i64,
    ) -> bool {
        rows.into_iter().all(|y| {
            let from = self.map[(y - dy) as usize];
            row(screen, rect, y as u32) == row(shadow, rect, from)
        })
    }
}

/// Whether a row is all one color.
fn solid(pixels: &[u32]) -> bool {
    pixels.iter().all(|&p| Some(&p) == pixels.first())
}

/// FxHash's step: `v` mixed into `h`.
pub(super) fn mix(h: u64, v: u64) -> u64 {
    const K: u64 = 0x517c_c1b7_2722_0a95;
    (h.rotate_left(5) ^ v).wrapping_mul(K)
}

/// A fast hash of pixels (a row here, a whole tile for `px-tiles`' cache): FxHash's mixing
/// on four lanes of two pixels each, so that the multiplications do not wait for each other.
pub(super) fn hash(pixels: &[u32]) -> u64 {
    let pair = |p: &[u32]| u64::from(p[0]) | u64::from(p[1]) << 32;
    let mut lanes = [0u64, 1, 2, 3];
    let chunks = pixels.chunks_exact(8);
    let rest = chunks.remainder();
    for c in chunks {
        lanes[0] = mix(lanes[0], pair(&c[0..2]));
        lanes[1] = mix(lanes[1], pair(&c[2..4]));
        lanes[2] = mix(lanes[2], pair(&c[4..6]));
        lanes[3] = mix(lanes[3], pair(&c[6..8]));
    }
    let h = rest
        .iter()
        .fold(lanes[0], |h, &p| mix(h, u64::from(p) | 1 << 40));
    lanes[1..].iter().fold(h, |h, &l| mix(h, l))
}
