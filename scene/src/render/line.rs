//! Lines and polylines.
//!
//! A one-pixel line is Bresenham's: along the major axis, the minor coordinate is the exact
//! line rounded (halves away from the start), computed from the end points and not from where
//! the clip begins, so a clipped line lights the same pixels as the whole one. The walk covers
//! only the part of the major axis inside the clip, so a line from -2e9 to 2e9 costs as much as
//! one across the clip.
//!
//! Wider lines are capsules (see `capsule`).

use super::blend::Paint;
use super::capsule::Capsule;
use super::{Area, Canvas, Damage, Rows, SAMPLE};
use netui_protocol::{Color, Point, Rect, Segment};

impl Canvas {
    /// The segment from `a` to `b`, both end points included. Width 0 or 1 draws a one-pixel
    /// line (the same pixels whether clipped or not); wider lines get round ends.
    pub fn line(&mut self, a: Point, b: Point, width: u16, color: Color, clip: Rect) -> Rect {
        self.segments(&[Segment { a, b }], width, color, clip)
    }

    /// Separate segments, each as [`Canvas::line`] draws it, with the color prepared and the
    /// clip found once for all of them (a batched request of many short segments spends most
    /// of its time on what each segment shares).
    pub fn segments(&mut self, segments: &[Segment], width: u16, color: Color, clip: Rect) -> Rect {
        let (Some(paint), Some(area)) = (Paint::new(color), self.area(clip)) else {
            return Rect::default();
        };
        let mut damage = Damage::new();
        if width <= 1 {
            let mut rows = self.rows();
            if many_steps(segments) && rayon_core::current_thread_index().is_some() {
                rows.share_segments(segments, &paint, area, &mut damage);
            } else {
                rows.thin_segments(segments, &paint, &area, &mut damage);
            }
        } else {
            for s in segments {
                self.capsule(&Capsule::new(s.a, s.b, width), &paint, &area, &mut damage);
            }
        }
        damage.to_rect()
    }

    /// Connected segments through `points`. One-pixel polylines draw each joint once (and the
    /// first point once if the polyline is closed); wide ones are filled as one shape, with
    /// round joins, so a translucent color covers every pixel once.
    pub fn polyline(&mut self, points: &[Point], width: u16, color: Color, clip: Rect) -> Rect {
        let (Some(paint), Some(area)) = (Paint::new(color), self.area(clip)) else {
            return Rect::default();
        };
        let (first, last) = match points {
            [] => return Rect::default(),
            [p] => return self.line(*p, *p, width, color, clip),
            [first, .., last] => (*first, *last),
        };
        let mut damage = Damage::new();
        if width <= 1 {
            let mut rows = self.rows();
            let closed = points.len() > 2 && first == last;
            let reach = points_box(points.iter().copied());
            if area.contains(reach) {
                // Every point inside, so every pixel: no clipping, and the box of the points
                // (each of which is drawn) is the damage.
                match paint.opaque_pixel() {
                    Some(pixel) => rows.thin_polyline_inside(points, closed, |_| pixel),
                    None => rows.thin_polyline_inside(points, closed, |p| paint.over(p)),
                }
                return reach.to_rect();
            }
            let segments = points.len() - 1;
            for (i, pair) in points.windows(2).enumerate() {
                if let &[a, b] = pair {
                    let ends = Ends::of_segment(i, segments, closed);
                    rows.thin_line(a, b, ends, &paint, &area, &mut damage);
                }
            }
            return damage.to_rect();
        }
        // Clip first: segments that miss the target are skipped, and one that covers all of it
        // makes the union a fill of the target (the same pixels, each painted once).
        let capsules = points.windows(2).filter_map(|pair| match pair {
            &[a, b] => Some(Capsule::new(a, b, width)).filter(|c| c.touches(&area)),
            _ => None,
        });
        let capsules: Vec<Capsule> = capsules.collect();
        if capsules.iter().any(|c| c.covers(&area)) {
            self.fill_area(area, &paint);
            damage.add(area);
            return damage.to_rect();
        }
        if paint.is_opaque() {
            // Overlaps do not show with an opaque color, so each capsule can go on its own.
            for capsule in capsules {
                self.capsule(&capsule, &paint, &area, &mut damage);
            }
        } else {
            self.capsules_once(&capsules, &paint, &area, &mut damage);
        }
        damage.to_rect()
    }

    /// A bound on the pixels that [`Canvas::polyline`] touches for these arguments, found
    /// without drawing: each segment's box within the clip (a segment that covers the whole
    /// clip makes the polyline one fill). What a server charges a client for the request.
    pub fn polyline_cost(&self, points: &[Point], width: u16, clip: Rect) -> u64 {
        let Some(area) = self.area(clip) else {
            return 0;
        };
        let whole = area.width() as u64 * (area.bottom - area.top) as u64;
        let mut total: u64 = 0;
        // A single point is drawn as a dot: a segment from it to itself.
        let dot = match points {
            [p] => Some((*p, *p)),
            _ => None,
        };
        let segments = points.windows(2).filter_map(|pair| match pair {
            &[a, b] => Some((a, b)),
            _ => None,
        });
        if width <= 1 {
            // In integers: a capsule's floating-point box was most of a thin polyline's cost
            // (`drawbench line10`). Each cost is below 2^33 and a request has fewer than 2^30
            // points, so the sum does not overflow.
            return segments
                .chain(dot)
                .map(|(a, b)| thin_cost(a, b, &area))
                .sum();
        }
        for (a, b) in segments.chain(dot) {
            let capsule = Capsule::new(a, b, width);
            if capsule.covers(&area) {
                return whole;
            }
            total = total.saturating_add(capsule.cost(&area));
        }
        total
    }

    /// What [`Canvas::segments`] costs: the sum of [`Canvas::polyline_cost`] over the
    /// segments, with the clip found once, and one-pixel segments bounded in integers.
    pub fn segments_cost(&self, segments: &[Segment], width: u16, clip: Rect) -> u64 {
        let Some(area) = self.area(clip) else {
            return 0;
        };
        if width <= 1 {
            // Each cost is below 2^33 and there are fewer than 2^30 segments: the sum cannot
            // overflow, and a plain sum lets the compiler unroll it.
            return segments.iter().map(|s| thin_cost(s.a, s.b, &area)).sum();
        }
        let cost = |s: &Segment| self.polyline_cost(&[s.a, s.b], width, clip);
        segments.iter().map(cost).fold(0, u64::saturating_add)
    }
}

/// Sharing a batch of one-pixel segments between threads costs more than it saves below
/// about this many steps (each segment's longer side, estimated from its first segments).
const SHARED_STEPS: u64 = 32 * 1024;
/// ... or when its segments are shorter than this on average: each thread reads every
/// segment of the batch, so for short ones the reading that both do outweighs the drawing
/// that each does half of (app-lib merges x11perf's seg10 into batches of 4,096 segments of
/// ten pixels, 45 K steps, which were drawn 0.79x as fast shared).
const SHARED_LENGTH: u64 = 32;

/// Whether `segments` have [`SHARED_STEPS`] or more, and are [`SHARED_LENGTH`] long or more
/// on average, estimated from the first of them at a constant cost (as `large` estimates a
/// fill).
#[inline(never)]
fn many_steps(segments: &[Segment]) -> bool {
    let sample = segments.get(..SAMPLE).unwrap_or(segments);
    let steps = |s: &Segment| {
        let dx = (i64::from(s.a.x) - i64::from(s.b.x)).unsigned_abs();
        let dy = (i64::from(s.a.y) - i64::from(s.b.y)).unsigned_abs();
        dx.max(dy) + 1
    };
    let sampled: u64 = sample.iter().map(steps).sum();
    sampled.saturating_mul(segments.len() as u64)
        >= SHARED_STEPS.saturating_mul(sample.len() as u64)
        && sampled >= SHARED_LENGTH * sample.len() as u64
}

impl Rows<'_> {
    /// One-pixel segments within `clip` (as [`Canvas::segments`] draws them), shared out
    /// between the threads of the caller's pool in bands of rows: within a band's rows the
    /// clipped walk lights what the whole line does, so each band draws its part of every
    /// segment, in order. Adds what is drawn to `damage`.
    #[inline(never)]
    fn share_segments(
        &mut self,
        segments: &[Segment],
        paint: &Paint,
        clip: Area,
        damage: &mut Damage,
    ) {
        let draw = |rows: &mut Rows<'_>, clip: Area| {
            let mut damage = Damage::new();
            rows.thin_segments(segments, paint, &clip, &mut damage);
            damage
        };
        // The box of the segments' boxes (grown by one pixel, as the costs grow them: the
        // clip cuts the extra off).
        let mut reach = Damage::new();
        for s in segments {
            reach.add(grown_box(s));
        }
        let bands = rayon_core::current_num_threads();
        damage.merge(self.in_bands(clip.intersect(reach.0), bands, &draw));
    }

    /// One-pixel segments within `area`, each as [`Rows::thin_line`] draws it.
    fn thin_segments(
        &mut self,
        segments: &[Segment],
        paint: &Paint,
        area: &Area,
        damage: &mut Damage,
    ) {
        match paint.opaque_pixel() {
            Some(pixel) => self.thin_segments_in(segments, paint, area, damage, |_| pixel),
            None => self.thin_segments_in(segments, paint, area, damage, |p| paint.over(p)),
        }
    }

    /// Bresenham's line from `a` to `b`, leaving out the end pixels that `ends` excludes.
    ///
    /// The walk steps an index into the pixels (one pixel along the major axis, one row or
    /// column along the minor one when the error term carries), as X's fb does. The clip is
    /// applied to the span walked, found with a division at each end, so no pixel is
    /// tested: a line cut by the clip, or by a band of rows, walks only what it draws.
    #[inline(never)]
    fn thin_line(
        &mut self,
        a: Point,
        b: Point,
        ends: Ends,
        paint: &Paint,
        area: &Area,
        damage: &mut Damage,
    ) {
        // A segment beside the clip draws nothing: in a band of rows, half of a batch's
        // segments are, and this is cheaper than the divisions below that would find it.
        let (top, bottom) = (a.y.min(b.y), a.y.max(b.y));
        let (left, right) = (a.x.min(b.x), a.x.max(b.x));
        if i64::from(bottom) < area.top
            || i64::from(top) >= area.bottom
            || i64::from(right) < area.left
            || i64::from(left) >= area.right
        {
            return;
        }
        let (whole, reversed) = Walk::whole(a, b);
        let Walk {
            start: u0,
            end: u1,
            v: v0,
            rise,
            run,
            step,
            x_major,
            ..
        } = whole;
        // Which end is drawn at u0 and which at u1.
        let (draw_u0, draw_u1) = if reversed {
            (ends.end, ends.start)
        } else {
            (ends.start, ends.end)
        };
        let (major, minor) = if x_major {
            ((area.left, area.right), (area.top, area.bottom))
        } else {
            ((area.top, area.bottom), (area.left, area.right))
        };
        // The end pixels are the end points themselves (the offset is 0 at u0 and the whole
        // minor distance at u1), and no other pixel has their major coordinate: leaving an end
        // out is leaving out its step. A dot (u0 == u1) left out at either end draws nothing.
        let first_u = if draw_u0 { u0 } else { u0 + 1 };
        let last_u = if draw_u1 { u1 } else { u1 - 1 };
        let (start, end) = (first_u.max(major.0), last_u.min(major.1 - 1));
        if start > end {
            return;
        }
        // At u the minor offset is floor(((u - u0) * rise + du) / run), du = u1 - u0: the exact
        // line rounded, which never decreases along the walk. The steps whose minor coordinate
        // is inside the clip are one span of the major axis: the walk covers only that span.
        let du = u1 - u0;
        let (lowest, highest) = if step >= 0 {
            (minor.0 - v0, minor.1 - 1 - v0)
        } else {
            (v0 - (minor.1 - 1), v0 - minor.0)
        };
        let Some((first, last)) = offsets_within(rise, du, run, lowest, highest) else {
            return;
        };
        let (start, end) = (
            start.max(u0.saturating_add(first)),
            end.min(u0.saturating_add(last)),
        );
        if start > end {
            return;
        }
        // `rem` is the remainder of that division, carried from pixel to pixel.
        let (offset, rem) = minor_offset(start - u0, rise, du, run);
        let (last_offset, _) = minor_offset(end - u0, rise, du, run);
        let walk = Walk {
            start,
            end,
            v: v0 + step * offset,
            rem,
            ..whole
        };
        let last_v = v0 + step * last_offset;
        let ((x0, y0), (x1, y1)) = match paint.opaque_pixel() {
            Some(pixel) => self.walk_inside(&walk, last_v, |_| pixel),
            None => self.walk_inside(&walk, last_v, |p| paint.over(p)),
        };
        // The walk is monotonic in both axes, so its first and last pixels span its box.
        let (left, right) = (x0.min(x1), x0.max(x1));
        let (top, bottom) = (y0.min(y1), y0.max(y1));
        damage.add(Area::new(left, top, right + 1, bottom + 1));
    }

    /// One-pixel segments, each as [`Rows::thin_line`] draws it; `color` is `paint`'s.
    /// A segment whose both ends are inside the clip (so is every pixel between them), the
    /// usual case, skips the clipping that is most of a short segment's time; a batch whose
    /// every end is inside (found in one pass) skips the test of each end too, and adds one
    /// box to the damage instead of one a segment (together 15-20% of a ten-pixel segment).
    #[inline(never)]
    fn thin_segments_in(
        &mut self,
        segments: &[Segment],
        paint: &Paint,
        area: &Area,
        damage: &mut Damage,
        color: impl Fn(u32) -> u32 + Copy,
    ) {
        let ends = points_box(segments.iter().flat_map(|s| [s.a, s.b]));
        if area.contains(ends) {
            // Every end inside, so every pixel: one test and one box for the whole batch.
            for s in segments {
                self.thin_walk_ends(s.a, s.b, Ends::BOTH, color);
            }
            damage.add(ends);
            return;
        }
        for s in segments {
            if area.holds(s.a) && area.holds(s.b) {
                self.thin_inside(s.a, s.b, damage, color);
            } else {
                self.thin_line(s.a, s.b, Ends::BOTH, paint, area, damage);
            }
        }
    }

    /// A one-pixel polyline through `points` (two or more), all inside the clip, as
    /// [`Canvas::polyline`] draws it: each segment's ends as [`Ends::of_segment`] says. The
    /// segments between the first and the closing one are walked in a loop of their own,
    /// where which ends to draw is known.
    fn thin_polyline_inside(
        &mut self,
        points: &[Point],
        closed: bool,
        color: impl Fn(u32) -> u32 + Copy,
    ) {
        let [first, second, ..] = points else {
            return;
        };
        // A closed polyline has three points or more, so its first segment is not its last.
        self.thin_walk_ends(*first, *second, Ends::BOTH, color);
        // The segments after the first, the closing one apart.
        let after = &points[1..];
        let (open, closing) = match after {
            [.., a, b] if closed => (&after[..after.len() - 1], Some((*a, *b))),
            _ => (after, None),
        };
        for pair in open.windows(2) {
            if let &[a, b] = pair {
                self.thin_walk_ends(a, b, Ends::JOINED, color);
            }
        }
        if let Some((a, b)) = closing {
            self.thin_walk_ends(a, b, Ends::CLOSING, color);
        }
    }

    /// [`Rows::thin_line`] for a segment inside the clip, both ends drawn: the walk from
    /// [`Walk::whole`], no clipping.
    #[inline(always)]
    fn thin_inside(&mut self, a: Point, b: Point, damage: &mut Damage, color: impl Fn(u32) -> u32) {
        self.thin_walk_ends(a, b, Ends::BOTH, color);
        let (ax, ay, bx, by) = (a.x.into(), a.y.into(), i64::from(b.x), i64::from(b.y));
        damage.add(Area::new(
            bx.min(ax),
            by.min(ay),
            bx.max(ax) + 1,
            by.max(ay) + 1,
        ));
    }

    /// The walk of a line inside the clip, leaving out the end pixels that `ends` excludes (a
    /// polyline's joints) as [`Rows::thin_line`] does: the pixels of [`Walk::whole`], set up
    /// in fewer steps (a short line's setup is most of its time). Inlined, so that for
    /// segments (both ends drawn) and a polyline's joints the tests of the ends compile away.
    #[inline(always)]
    fn thin_walk_ends(&mut self, a: Point, b: Point, ends: Ends, color: impl Fn(u32) -> u32) {
        let (ax, ay, bx, by) = (
            i64::from(a.x),
            i64::from(a.y),
            i64::from(b.x),
            i64::from(b.y),
        );
        let (adx, ady) = ((bx - ax).abs(), (by - ay).abs());
        let x_major = adx >= ady;
        // From the end of lower major coordinate, as `Walk::whole` goes.
        let forward = if x_major { ax <= bx } else { ay <= by };
        let (sx, sy, ex, ey) = if forward {
            (ax, ay, bx, by)
        } else {
            (bx, by, ax, ay)
        };
        let (first, last) = if forward {
            (ends.start, ends.end)
        } else {
            (ends.end, ends.start)
        };
        let stride = self.width as isize;
        let (du, dv, major, minor) = if x_major {
            (adx, ady, 1, (ey - sy).signum() as isize * stride)
        } else {
            (ady, adx, stride, (ex - sx).signum() as isize)
        };
        // A dot left out at either end draws nothing (as in `thin_line`).
        if du == 0 && !(first && last) {
            return;
        }
        let run = (2 * du).max(1);
        let steps = Steps {
            // The clip is inside these rows, so every index of the walk is in the pixels.
            index: self.index(sy, sx),
            count: du - i64::from(!last),
            major,
            minor,
            // The offset at the start is 0 with remainder du (see `minor_offset`).
            error: du - run,
            rise: 2 * dv,
            run,
        };
        if du < LONG_WALK {
            self.walk(&steps, first, color);
        } else {
            self.walk_long(&steps, first, color);
        }
    }

    /// [`Rows::walk`] in a function of its own, for long lines: inlined in a loop over
    /// segments, its loop has fewer registers and reloads some at every pixel (10-15%
    /// slower), which a short line's setup saved by inlining outweighs.
    #[inline(never)]
    fn walk_long(&mut self, steps: &Steps, first: bool, color: impl Fn(u32) -> u32) {
        self.walk(steps, first, color);
    }

    /// Walks the clipped span of `walk`, whose every step is inside the clip. Returns the
    /// first pixel drawn and a corner of the box that holds the rest: the last pixel when the
    /// walk reaches `last_v`'s end of the line, beyond it otherwise.
    #[inline(always)]
    fn walk_inside(
        &mut self,
        walk: &Walk,
        last_v: i64,
        color: impl Fn(u32) -> u32,
    ) -> ((i64, i64), (i64, i64)) {
        let stride = self.width as isize;
        let (x, y) = walk.point(walk.start, walk.v);
        let (major, minor) = if walk.x_major {
            (1, walk.step as isize * stride)
        } else {
            (stride, walk.step as isize)
        };
        let steps = Steps {
            // The clip is inside these rows, so every index of the walk is in the pixels.
            index: self.index(y, x),
            count: walk.end - walk.start,
            major,
            minor,
            error: walk.rem - walk.run,
            rise: walk.rise,
            run: walk.run,
        };
        self.walk(&steps, true, color);
        ((x, y), walk.point(walk.end, last_v))
    }

    /// Walks `steps`, drawing its first pixel when `first` says so: steps an index, one
    /// store and one or two additions a pixel, no tests (but the bounds check that keeps a
    /// bug from becoming a panic).
    #[inline(always)]
    fn walk(&mut self, steps: &Steps, first: bool, color: impl Fn(u32) -> u32) {
        let Steps {
            mut index,
            count,
            major,
            minor,
            mut error,
            rise,
            run,
        } = *steps;
        let pixels = &mut *self.pixels;
        let mut put = |index: usize| {
            if let Some(p) = pixels.get_mut(index) {
                *p = color(*p);
            }
        };
        if first {
            put(index);
        }
        // As in X's fb, the major step is taken every pixel and the minor one under a
        // branch; the branch is predicted well, where choosing the step without one (a
        // conditional move) puts the error term's test on every index's path and doubles a
        // pixel's time.
        for _ in 0..count {
            index = index.wrapping_add_signed(major);
            error += rise;
            if error >= 0 {
                index = index.wrapping_add_signed(minor);
                error -= run;
            }
            put(index);
        }
    }
}

/// What [`Rows::walk`] steps through: from the pixel at `index`, `count` steps of `major`,
/// each with a step of `minor` too when the error term (less `run`, so that the minor
/// coordinate steps when it is not negative) carries.
#[derive(Debug, Clone, Copy)]
struct Steps {
    index: usize,
    count: i64,
    major: isize,
    minor: isize,
    error: i64,
    rise: i64,
    run: i64,
}

/// Steps from which a line inside the clip is walked by [`Rows::walk_long`].
const LONG_WALK: i64 = 32;

/// A one-pixel line's walk over its clipped major span: the major coordinates `start..=end`,
/// the minor coordinate `v` at `start` and the error term there.
#[derive(Debug, Clone, Copy)]
struct Walk {
    start: i64,
    end: i64,
    v: i64,
    rem: i64,
    rise: i64,
    run: i64,
    step: i64,
    x_major: bool,
}

impl Walk {
    /// The walk of the whole line from `a` to `b`, and whether it goes from `b` to `a`.
    /// (u, v) are the (major, minor) coordinates; the walk goes up u, from the end of lower
    /// major coordinate, so that a line and its reverse light the same pixels.
    #[inline(always)]
    fn whole(a: Point, b: Point) -> (Walk, bool) {
        let (ax, ay) = (i64::from(a.x), i64::from(a.y));
        let (bx, by) = (i64::from(b.x), i64::from(b.y));
        let x_major = (bx - ax).abs() >= (by - ay).abs();
        let reversed = if x_major { ax > bx } else { ay > by };
        let (u0, v0, u1, v1) = match (x_major, reversed) {
            (true, false) => (ax, ay, bx, by),
            (true, true) => (bx, by, ax, ay),
            (false, false) => (ay, ax, by, bx),
            (false, true) => (by, bx, ay, ax),
        };
        let du = u1 - u0;
        let walk = Walk {
            start: u0,
            end: u1,
            v: v0,
            // The offset at u0 is 0 with remainder `du` (see `minor_offset`).
            rem: du,
            rise: 2 * (v1 - v0).abs(),
            run: (2 * du).max(1),
            step: (v1 - v0).signum(),
            x_major,
        };
        (walk, reversed)
    }

    /// The pixel at major `u`, minor `v`.
    fn point(&self, u: i64, v: i64) -> (i64, i64) {
        if self.x_major {
            (u, v)
        } else {
            (v, u)
        }
    }
}

/// What [`Canvas::segments_cost`] needs of a batch of one-pixel segments (or
/// [`Canvas::polyline_cost`] of a one-pixel polyline's) when they all lie well inside the
/// clip: found once where the request is decoded, so that the thread that
/// draws does not read a large batch twice (the first reading of segments decoded on another
/// core is their cache misses: a fifth of drawbench's seg10 on the thread that draws).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentsCost {
    /// The box of every segment's box grown by one on each side, as [`thin_cost`] grows it.
    reach: Area,
    /// The sum of those boxes' pixels.
    sum: u64,
    /// The largest of them.
    largest: u64,
    /// When some box is larger than [`SMALL_BOXES`]: every box's pixels (at most
    /// `u32::MAX`). A box larger than a step across the clip counts for that step
    /// ([`thin_cost`]), and the sum of the boxes so bounded is then one pass over these, which
    /// the compiler vectorizes, instead of one over the segments.
    boxes: Option<Box<[u32]>>,
}

/// The largest box of a batch whose boxes are not kept ([`SegmentsCost::boxes`]): on a
/// window of 512x512 or more (a step across of 1,024 or more) such a batch is costed from its
/// sum, and on a smaller one, where a box may be larger than a step across, its segments are
/// read. Segments of ten pixels (x11perf's `seg10`: boxes of 13x13 at most) so keep none.
const SMALL_BOXES: u64 = 1024;

impl SegmentsCost {
    /// The summary of `segments`; `None` for an empty batch.
    pub fn of(segments: &[Segment]) -> Option<SegmentsCost> {
        Self::of_pairs(segments.iter().map(|s| (s.a, s.b)))
    }

    /// The summary of the segments of a one-pixel polyline through `points`, whose cost
    /// ([`Canvas::polyline_cost`]) is theirs; `None` for fewer than two points (a dot, or
    /// nothing).
    pub fn of_polyline(points: &[Point]) -> Option<SegmentsCost> {
        let ends = points.iter().zip(points.get(1..).unwrap_or_default());
        Self::of_pairs(ends.map(|(&a, &b)| (a, b)))
    }

    /// The summary of the segments between each pair of `ends`; `None` for none.
    fn of_pairs(ends: impl Iterator<Item = (Point, Point)> + Clone) -> Option<SegmentsCost> {
        let mut reach = Area::new(i64::MAX, i64::MAX, i64::MIN, i64::MIN);
        let (mut sum, mut largest, mut count) = (0u64, 0u64, 0usize);
        // Made when the first large box comes, with the boxes before it.
        let mut boxes: Option<Vec<u32>> = None;
        let pixels_of = |(a, b): (Point, Point)| box_pixels(&grown_box(&Segment { a, b }));
        let small = |pixels: u64| u32::try_from(pixels).unwrap_or(u32::MAX);
        for (a, b) in ends.clone() {
            let box_of = grown_box(&Segment { a, b });
            reach = Area::new(
                reach.left.min(box_of.left),
                reach.top.min(box_of.top),
                reach.right.max(box_of.right),
                reach.bottom.max(box_of.bottom),
            );
            let pixels = box_pixels(&box_of);
            sum = sum.saturating_add(pixels);
            largest = largest.max(pixels);
            match &mut boxes {
                Some(boxes) => boxes.push(small(pixels)),
                None if pixels > SMALL_BOXES => {
                    let mut kept = Vec::with_capacity(ends.size_hint().0);
                    kept.extend(ends.clone().take(count).map(pixels_of).map(small));
                    kept.push(small(pixels));
                    boxes = Some(kept);
                }
                None => {}
            }
            count += 1;
        }
        (count > 0).then(|| SegmentsCost {
            reach,
            sum,
            largest,
            boxes: boxes.map(Vec::into_boxed_slice),
        })
    }
}

/// The pixels of `area`.
fn box_pixels(area: &Area) -> u64 {
    ((area.right - area.left) as u64).saturating_mul((area.bottom - area.top) as u64)
}

/// The box of `points` (and so of a polyline through them, or of segments between them);
/// empty for none.
fn points_box(points: impl IntoIterator<Item = Point>) -> Area {
    let (mut left, mut top, mut right, mut bottom) = (i32::MAX, i32::MAX, i32::MIN, i32::MIN);
    for p in points {
        (left, top) = (left.min(p.x), top.min(p.y));
        (right, bottom) = (right.max(p.x), bottom.max(p.y));
    }
    let (right, bottom) = (i64::from(right) + 1, i64::from(bottom) + 1);
    Area::new(left.into(), top.into(), right, bottom)
}

/// A segment's box grown by one on each side, as [`thin_cost`] grows it.
fn grown_box(s: &Segment) -> Area {
    let (ax, ay, bx, by) = (
        i64::from(s.a.x),
        i64::from(s.a.y),
        i64::from(s.b.x),
        i64::from(s.b.y),
    );
    Area::new(
        ax.min(bx) - 1,
        ay.min(by) - 1,
        ax.max(bx) + 2,
        ay.max(by) + 2,
    )
}

impl Canvas {
    /// [`Canvas::segments_cost`] of one-pixel segments from their [`SegmentsCost`], when it
    /// tells: every segment's grown box inside the clip, and none larger than the bound of
    /// `thin_cost` (a step across the clip) or the boxes kept. `None` when the segments
    /// must be read.
    pub fn thin_segments_cost(&self, summary: &SegmentsCost, clip: Rect) -> Option<u64> {
        let area = self.area(clip)?;
        let across = area.width() as u64 + (area.bottom - area.top) as u64;
        if !area.contains(summary.reach) {
            return None;
        }
        if summary.largest <= across {
            return Some(summary.sum);
        }
        // Each box counts for at most a step across (both kept as `u32`: a box beyond is
        // larger than any step across).
        let across = u32::try_from(across).unwrap_or(u32::MAX);
        let boxes = summary.boxes.as_deref()?;
        Some(
            boxes
                .iter()
                .map(|&pixels| u64::from(pixels.min(across)))
                .sum(),
        )
    }
}

/// A bound on the pixels of the one-pixel line from `a` to `b` inside `area`: the pixels of
/// its box grown by one on each side (the box of its capsule of width 1, whose radius of one
/// half floors and ceils to one pixel), and at most one per step across the area.
fn thin_cost(a: Point, b: Point, area: &Area) -> u64 {
    let (ax, ay, bx, by) = (
        i64::from(a.x),
        i64::from(a.y),
        i64::from(b.x),
        i64::from(b.y),
    );
    let (top, bottom) = (ay.min(by) - 1, ay.max(by) + 1);
    let (left, right) = (ax.min(bx) - 1, ax.max(bx) + 1);
    let rows = (bottom + 1).min(area.bottom) - top.max(area.top);
    let columns = (right + 1).min(area.right) - left.max(area.left);
    let boxed = (rows.max(0) as u64).saturating_mul(columns.max(0) as u64);
    // A thin line lights one pixel per step of its major axis inside the clip.
    boxed.min((area.width() as u64).saturating_add((area.bottom - area.top) as u64))
}

/// Which end pixels of a one-pixel segment to draw: a polyline leaves out the start of every
/// segment after the first, as the previous one drew it.
#[derive(Debug, Clone, Copy)]
struct Ends {
    start: bool,
    end: bool,
}

impl Ends {
    const BOTH: Ends = Ends {
        start: true,
        end: true,
    };
    /// A polyline's segment after the first: its start is the joint the one before drew.
    const JOINED: Ends = Ends {
        start: false,
        end: true,
    };
    /// The last segment of a closed polyline: its end is the first point, drawn first.
    const CLOSING: Ends = Ends {
        start: false,
        end: false,
    };

    /// The ends of segment `i` of a one-pixel polyline of `segments` segments (`closed`
    /// when its last point is its first, which takes three points or more, so that its
    /// first segment is never its closing one).
    fn of_segment(i: usize, segments: usize, closed: bool) -> Ends {
        if i == 0 {
            Ends::BOTH
        } else if closed && i + 1 == segments {
            Ends::CLOSING
        } else {
            Ends::JOINED
        }
    }
}

/// The steps `k >= 0` of a walk at which the minor offset `floor((k * rise + du) / run)`
/// (see [`minor_offset`]) is within `lowest..=highest`, as `(first, last)`: one span, since
/// the offset never decreases (`last` is `i64::MAX` when it stays within for ever); `None`
/// when there is none. Computed in 128 bits, where no product of coordinates overflows.
fn offsets_within(rise: i64, du: i64, run: i64, lowest: i64, highest: i64) -> Option<(i64, i64)> {
    let (rise, du, run) = (i128::from(rise), i128::from(du), i128::from(run));
    // The offset is at least `n` from the first k with k * rise + du >= n * run on.
    let from = |n: i128| {
        let over = n * run - du;
        over.div_euclid(rise) + i128::from(over.rem_euclid(rise) != 0)
    };
    let first = if lowest <= 0 {
        0
    } else if rise == 0 {
        return None;
    } else {
        from(i128::from(lowest))
    };
    let last = if highest < 0 {
        return None;
    } else if rise == 0 {
        i128::from(i64::MAX)
    } else {
        from(i128::from(highest) + 1) - 1
    };
    let clamp = |k: i128| i64::try_from(k).unwrap_or(i64::MAX);
    (first <= last).then(|| (clamp(first), clamp(last)))
}

/// `floor((k * rise + du) / run)` and its remainder, for `k, du >= 0`, `run = max(2 * du, 1)`,
/// `rise <= run`. The product can need 66 bits, so the slow exact path is taken when i64 would
/// overflow; an unclipped line starts at `k = 0` and takes neither.
fn minor_offset(k: i64, rise: i64, du: i64, run: i64) -> (i64, i64) {
    if k == 0 {
        // `run` is above `du` (2 * du, or 1 when du is 0): no division needed.
        return (0, du);
    }
    if let Some(n) = k.checked_mul(rise).and_then(|p| p.checked_add(du)) {
        return (n / run, n % run);
    }
    let n = i128::from(k) * i128::from(rise) + i128::from(du);
    let run = i128::from(run);
    // Both fit: the quotient is at most the minor distance, the remainder is below `run`.
    ((n / run) as i64, (n % run) as i64)
}

#[cfg(test)]
mod tests {
    use super::super::pattern::{assert_picture, blank};
    use super::*;
    use proptest::prelude::*;

    const BIG: Rect = Rect::new(i32::MIN, i32::MIN, u32::MAX, u32::MAX);

    /// Lines of every slope and direction, some with far-away ends, on a 24x20 canvas.
    fn sample_lines() -> Vec<(Point, Point)> {
        let mut lines = Vec::new();
        let ends = [
            (0, 0),
            (23, 19),
            (5, 17),
            (-7, 3),
            (30, -4),
            (11, 11),
            (12, 2),
            (-900, 850),
        ];
        for &(ax, ay) in &ends {
            for &(bx, by) in &ends {
                lines.push((Point::new(ax, ay), Point::new(bx, by)));
            }
        }
        lines.push((
            Point::new(-1_000_003, -999_998),
            Point::new(1_000_001, 1_000_017),
        ));
        lines.push((Point::new(-2_000_000_000, 7), Point::new(2_000_000_000, 13)));
        lines
    }

    #[test]
    fn diagonal_line_includes_both_ends() {
        let mut c = blank(6, 4);
        let damage = c.line(Point::new(0, 0), Point::new(4, 2), 1, Color::WHITE, BIG);
        assert_eq!(damage, Rect::new(0, 0, 5, 3));
        #[rustfmt::skip]
        assert_picture(&c, &[
            "#.....",
            ".##...",
            "...##.",
            "......",
        ]);
        let mut reverse = blank(6, 4);
        reverse.line(Point::new(4, 2), Point::new(0, 0), 0, Color::WHITE, BIG);
        assert_eq!(reverse, c);
    }

    #[test]
    fn steep_line() {
        let mut c = blank(4, 5);
        let damage = c.line(Point::new(1, 0), Point::new(2, 4), 0, Color::WHITE, BIG);
        assert_eq!(damage, Rect::new(1, 0, 2, 5));
        #[rustfmt::skip]
        assert_picture(&c, &[
            ".#..",
            ".#..",
            "..#.",
            "..#.",
            "..#.",
        ]);
    }

    #[test]
    fn single_point_and_reverse_lines() {
        let mut c = blank(3, 3);
        assert_eq!(
            c.line(Point::new(1, 1), Point::new(1, 1), 1, Color::RED, BIG),
            Rect::new(1, 1, 1, 1)
        );
        #[rustfmt::skip]
        assert_picture(&c, &[
            "...",
            ".R.",
            "...",
        ]);
        for (a, b) in sample_lines() {
            let mut forward = blank(24, 20);
            forward.line(a, b, 1, Color::WHITE, BIG);
            let mut backward = blank(24, 20);
            backward.line(b, a, 1, Color::WHITE, BIG);
            assert_eq!(forward, backward, "{a:?} {b:?}");
        }
    }

    #[test]
    fn clipped_line_lights_the_same_pixels() {
        let clips = [
            Rect::new(3, 4, 10, 9),
            Rect::new(0, 0, 1, 20),
            Rect::new(15, 0, 9, 6),
            Rect::new(-5, 10, 40, 1),
        ];
        for (a, b) in sample_lines() {
            for width in [1, 4, 7] {
                let mut whole = blank(24, 20);
                whole.line(a, b, width, Color::WHITE, BIG);
                for clip in clips {
                    let mut clipped = blank(24, 20);
                    let damage = clipped.line(a, b, width, Color::WHITE, clip);
                    assert!(clip.contains_rect(damage));
                    for y in 0..20 {
                        for x in 0..24 {
                            let inside = clip.contains(Point::new(x, y));
                            let want = if inside { whole.pixel(x, y) } else { Some(0) };
                            assert_eq!(clipped.pixel(x, y), want, "{a:?} {b:?} {clip:?} ({x},{y})");
                        }
                    }
                }
            }
        }
    }

    /// Every one-pixel segment between points of a lattice that reaches beyond the canvas,
    /// within clips that cut it on each side: the pixels of the whole line inside the clip,
    /// and a damage box that is exactly theirs.
    #[test]
    fn a_clipped_walk_covers_exactly_the_span_inside_the_clip() {
        let (w, h) = (16, 13);
        let points: Vec<Point> = (0..11 * 10)
            .map(|i| Point::new(i % 11 * 2 - 4, i / 11 * 2 - 4))
            .collect();
        let clips = [
            Rect::new(3, 4, 10, 5),
            Rect::new(0, 0, 1, 13),
            Rect::new(5, 0, 6, 13),
            Rect::new(-5, 6, 40, 1),
        ];
        for &a in &points {
            for &b in &points {
                let mut whole = blank(w, h);
                whole.line(a, b, 1, Color::WHITE, BIG);
                for clip in clips {
                    let mut clipped = blank(w, h);
                    let damage = clipped.line(a, b, 1, Color::WHITE, clip);
                    let mut lit = Damage::new();
                    for y in 0..h as i32 {
                        for x in 0..w as i32 {
                            let inside = clip.contains(Point::new(x, y));
                            let want = if inside { whole.pixel(x, y) } else { Some(0) };
                            let got = clipped.pixel(x, y);
                            assert_eq!(got, want, "{a:?} {b:?} {clip:?} ({x},{y})");
                            if got != Some(0) {
                                lit.add(Area::new(
                                    x.into(),
                                    y.into(),
                                    (x + 1).into(),
                                    (y + 1).into(),
                                ));
                            }
                        }
                    }
                    assert_eq!(damage, lit.to_rect(), "{a:?} {b:?} {clip:?}");
                }
            }
        }
    }

    #[test]
    fn segments_inside_the_clip_light_what_the_clipping_walk_does() {
        // Every segment between two pixels of a 9x7 canvas, at every slope and in both
        // directions: the path for segments inside the clip against the general walk.
        let (w, h) = (9, 7);
        let points: Vec<Point> = (0..w * h).map(|i| Point::new(i % w, i / w)).collect();
        for color in [Color::WHITE, Color::rgba(200, 100, 50, 128)] {
            let paint = Paint::new(color).unwrap();
            for &a in &points {
                for &b in &points {
                    let mut fast = blank(w as u32, h as u32);
                    let damage = fast.segments(&[Segment { a, b }], 0, color, BIG);
                    let mut general = blank(w as u32, h as u32);
                    let area = general.area(BIG).unwrap();
                    let mut want = Damage::new();
                    general
                        .rows()
                        .thin_line(a, b, Ends::BOTH, &paint, &area, &mut want);
                    assert_eq!(fast, general, "{a:?} {b:?}");
                    assert_eq!(damage, want.to_rect(), "{a:?} {b:?}");
                }
            }
        }
    }

    /// A batch lights what the general walk lights for each of its segments, with the box
    /// of theirs as its damage: all inside the clip (one box for the batch), and some cut by
    /// it.
    #[test]
    fn a_batch_lights_what_its_segments_light_one_at_a_time() {
        let segments: Vec<Segment> = sample_lines()
            .into_iter()
            .map(|(a, b)| Segment { a, b })
            .filter(|s| s.a.x.abs() < 100 && s.b.x.abs() < 100)
            .collect();
        let inside: Vec<Segment> = segments
            .iter()
            .copied()
            .filter(|s| {
                [s.a, s.b]
                    .iter()
                    .all(|p| (0..24).contains(&p.x) && (0..20).contains(&p.y))
            })
            .collect();
        assert!(inside.len() > 4 && inside.len() < segments.len());
        let color = Color::rgba(200, 100, 50, 128);
        let paint = Paint::new(color).unwrap();
        for (batch, clip) in [
            (&inside, BIG),
            (&inside, Rect::new(3, 2, 15, 11)),
            (&segments, BIG),
            (&segments, Rect::new(3, 2, 15, 11)),
        ] {
            let mut together = blank(24, 20);
            let damage = together.segments(batch, 0, color, clip);
            let mut alone = blank(24, 20);
            let area = alone.area(clip).unwrap();
            let mut want = Damage::new();
            for s in batch.iter() {
                alone
                    .rows()
                    .thin_line(s.a, s.b, Ends::BOTH, &paint, &area, &mut want);
            }
            assert_eq!(together, alone, "{clip:?}");
            assert_eq!(damage, want.to_rect(), "{clip:?}");
        }
    }

    /// Segments enough to be shared out between the threads of the caller's pool light what
    /// one thread lights: every slope, long and short, crossing the boundary between two
    /// bands, leaving the canvas, overlapping one another (translucent, so the order shows),
    /// within clips that cut them.
    #[test]
    fn segments_shared_between_threads_light_what_one_thread_lights() {
        let pool = rayon_core::ThreadPoolBuilder::new()
            .num_threads(3)
            .build()
            .expect("a pool");
        let (w, h) = (320, 241);
        let mut segments = Vec::new();
        for i in 0..400 {
            let a = Point::new((i * 37) % 360 - 20, (i * 53) % 280 - 20);
            let b = Point::new((i * 91) % 400 - 40, (i * 17) % 300 - 30);
            segments.push(Segment { a, b });
        }
        // Along the rows where bands meet, and a far-away line through the canvas.
        segments.push(Segment {
            a: Point::new(-5, 120),
            b: Point::new(330, 121),
        });
        segments.push(Segment {
            a: Point::new(160, -2_000_000_000),
            b: Point::new(161, 2_000_000_000),
        });
        assert!(many_steps(&segments));
        let clips = [BIG, Rect::new(10, 30, 250, 151), Rect::new(0, 120, 320, 1)];
        for color in [Color::WHITE, Color::rgba(200, 100, 50, 128)] {
            for clip in clips {
                let (mut alone, mut shared) = (blank(w, h), blank(w, h));
                let want = alone.segments(&segments, 1, color, clip);
                let got = pool.install(|| {
                    assert!(rayon_core::current_num_threads() > 1);
                    shared.segments(&segments, 1, color, clip)
                });
                assert_eq!(got, want, "{color:?} in {clip:?}: damage");
                assert!(
                    alone.pixels() == shared.pixels(),
                    "{color:?} in {clip:?}: pixels differ"
                );
            }
        }
    }

    fn point() -> impl Strategy<Value = Point> {
        prop_oneof![
            6 => (-40..360i32, -40..280i32).prop_map(|(x, y)| Point::new(x, y)),
            1 => (any::<i32>(), any::<i32>()).prop_map(|(x, y)| Point::new(x, y)),
        ]
    }

    fn clip() -> impl Strategy<Value = Rect> {
        prop_oneof![
            1 => Just(BIG),
            4 => (-10..330i32, -10..250i32, 0..340u32, 0..260u32)
                .prop_map(|(x, y, w, h)| Rect::new(x, y, w, h)),
        ]
    }

    proptest! {
        /// Any batch of one-pixel segments, drawn in bands by a pool of three threads
        /// (whatever its size: the bands are asked for directly), lights what one thread
        /// lights and reports the same damage: segments of any length and slope, far
        /// outside the canvas, along the rows where bands meet, in any clip.
        #[test]
        fn any_segments_drawn_in_bands_light_what_one_thread_lights(
            ends in prop::collection::vec((point(), point()), 1..60),
            clip in clip(),
            alpha in prop_oneof![Just(255u8), Just(128)],
        ) {
            static POOL: std::sync::OnceLock<rayon_core::ThreadPool> = std::sync::OnceLock::new();
            let pool = POOL.get_or_init(|| {
                rayon_core::ThreadPoolBuilder::new().num_threads(3).build().expect("a pool")
            });
            let segments: Vec<Segment> = ends.into_iter().map(|(a, b)| Segment { a, b }).collect();
            let color = Color::rgba(200, 100, 50, alpha);
            let (mut alone, mut shared) = (blank(320, 241), blank(320, 241));
            let want = alone.segments(&segments, 1, color, clip);
            let got = pool.install(|| {
                let (Some(paint), Some(area)) = (Paint::new(color), shared.area(clip)) else {
                    return Rect::default();
                };
                let mut damage = Damage::new();
                shared.rows().share_segments(&segments, &paint, area, &mut damage);
                damage.to_rect()
            });
            prop_assert_eq!(got, want);
            prop_assert!(alone.pixels() == shared.pixels(), "pixels differ");
        }
    }

    #[test]
    fn far_away_line_matches_the_exact_formula() {
        // Ends so far apart that the offset at the clip needs more than 64 bits to compute.
        let (a, b) = (
            Point::new(-2_000_000_000, -1_500_000_000),
            Point::new(2_000_000_000, 1_500_000_023),
        );
        let mut c = blank(24, 20);
        let clip = Rect::new(2, 0, 20, 20);
        c.line(a, b, 1, Color::WHITE, clip);
        let (dx, dy) = (
            i128::from(b.x) - i128::from(a.x),
            i128::from(b.y) - i128::from(a.y),
        );
        let mut lit = 0;
        for x in 0..24 {
            // y = a.y + round((x - a.x) * dy / dx), halves up.
            let k = i128::from(x) - i128::from(a.x);
            let y = i128::from(a.y) + (2 * k * dy + dx).div_euclid(2 * dx);
            for row in 0..20 {
                let want = clip.contains(Point::new(x, row)) && i128::from(row) == y;
                assert_eq!(c.pixel(x, row) != Some(0), want, "({x}, {row})");
                lit += usize::from(want);
            }
        }
        assert!(lit > 0);
    }

    #[test]
    fn damage_covers_what_is_drawn() {
        for (a, b) in sample_lines() {
            for width in [1, 2, 5] {
                let mut c = blank(24, 20);
                let damage = c.line(a, b, width, Color::WHITE, BIG);
                for y in 0..20 {
                    for x in 0..24 {
                        if c.pixel(x, y) != Some(0) {
                            assert!(damage.contains(Point::new(x, y)), "{a:?} {b:?} {width}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn wide_lines_have_their_width_and_round_ends() {
        let mut c = blank(10, 9);
        c.line(Point::new(2, 2), Point::new(6, 2), 2, Color::WHITE, BIG);
        c.line(Point::new(2, 5), Point::new(6, 5), 3, Color::RED, BIG);
        #[rustfmt::skip]
        assert_picture(&c, &[
            "..........",
            ".######...",
            ".######...",
            "..........",
            ".RRRRRRR..",
            ".RRRRRRR..",
            ".RRRRRRR..",
            "..........",
            "..........",
        ]);
        let mut dot = blank(7, 7);
        dot.line(Point::new(3, 3), Point::new(3, 3), 5, Color::WHITE, BIG);
        #[rustfmt::skip]
        assert_picture(&dot, &[
            ".......",
            "..###..",
            ".#####.",
            ".#####.",
            ".#####.",
            "..###..",
            ".......",
        ]);
    }

    #[test]
    fn polyline_draws_each_joint_once() {
        let square = [
            Point::new(0, 0),
            Point::new(4, 0),
            Point::new(4, 3),
            Point::new(0, 3),
            Point::new(0, 0),
        ];
        let mut c = blank(6, 5);
        let damage = c.polyline(&square, 1, Color::rgba(255, 255, 255, 128), BIG);
        assert_eq!(damage, Rect::new(0, 0, 5, 4));
        let lit: Vec<u32> = c.pixels().iter().copied().filter(|&p| p != 0).collect();
        assert_eq!(lit.len(), 14);
        assert!(lit.iter().all(|&p| p == 0x0080_8080), "{lit:x?}");
        let mut c = blank(6, 5);
        c.polyline(&square[..4], 0, Color::WHITE, BIG);
        #[rustfmt::skip]
        assert_picture(&c, &[
            "#####.",
            "....#.",
            "....#.",
            "#####.",
            "......",
        ]);
    }

    /// A one-pixel polyline inside the clip lights what the general walk lights for each of
    /// its segments, joints once (translucent, so a joint lit twice shows), and its damage
    /// is the box of that: open and closed, with dots and turns back, at every slope; and one
    /// cut by the clip, which the general walk draws.
    #[test]
    fn a_polyline_inside_the_clip_lights_what_the_clipping_walk_does() {
        let (w, h) = (12, 9);
        let lattice = |i: i32| Point::new((i * 7) % w, (i * 5) % h);
        let mut polylines: Vec<Vec<Point>> = (2..40)
            .map(|n| (0..n).map(|i| lattice(i * i + n)).collect())
            .collect();
        polylines.push(vec![Point::new(3, 3), Point::new(3, 3), Point::new(3, 3)]);
        polylines.push(vec![Point::new(1, 1), Point::new(8, 1), Point::new(1, 1)]);
        polylines.push(vec![
            Point::new(2, 2),
            Point::new(9, 7),
            Point::new(2, 2),
            Point::new(9, 7),
        ]);
        let square = [(0, 0), (11, 0), (11, 8), (0, 8), (0, 0)];
        polylines.push(square.iter().map(|&(x, y)| Point::new(x, y)).collect());
        let color = Color::rgba(200, 100, 50, 128);
        let paint = Paint::new(color).unwrap();
        let clips = [BIG, Rect::new(2, 1, 7, 6)];
        for (points, clip) in polylines.iter().flat_map(|p| clips.map(|c| (p, c))) {
            let mut fast = blank(w as u32, h as u32);
            let damage = fast.polyline(points, 1, color, clip);
            let mut general = blank(w as u32, h as u32);
            let area = general.area(clip).unwrap();
            let mut want = Damage::new();
            let closed = points.len() > 2 && points.first() == points.last();
            let mut rows = general.rows();
            for (i, pair) in points.windows(2).enumerate() {
                let ends = Ends {
                    start: i == 0,
                    end: !(closed && i + 2 == points.len()),
                };
                rows.thin_line(pair[0], pair[1], ends, &paint, &area, &mut want);
            }
            assert_eq!(fast, general, "{points:?} in {clip:?}");
            assert_eq!(damage, want.to_rect(), "{points:?} in {clip:?}");
        }
    }

    #[test]
    fn a_polyline_wider_than_its_target_is_one_fill_and_costs_one() {
        // 3,000 segments that each cover the canvas, and some far outside it.
        let points: Vec<Point> = (0..3_000)
            .map(|i| match i % 3 {
                0 => Point::new(0, 0),
                1 => Point::new(9, 7),
                _ => Point::new(2_000_000_000, -2_000_000_000),
            })
            .collect();
        let clip = Rect::new(1, 1, 8, 6);
        let mut c = blank(10, 8);
        assert_eq!(c.polyline_cost(&points, u16::MAX, clip), 8 * 6);
        let damage = c.polyline(&points, u16::MAX, Color::rgba(255, 255, 255, 128), clip);
        assert_eq!(damage, clip);
        // Blended once: the union of the capsules, as without the shortcut.
        for y in 0..8 {
            for x in 0..10 {
                let inside = clip.contains(Point::new(x, y));
                let want = if inside { 0x0080_8080 } else { 0 };
                assert_eq!(c.pixel(x, y), Some(want), "({x}, {y})");
            }
        }
        // Segments that miss the target cost nothing; a thin line at most a walk across it.
        let outside = [Point::new(-50, -50), Point::new(-40, -90)];
        assert_eq!(c.polyline_cost(&outside, 20, clip), 0);
        let across = [Point::new(-5_000, 3), Point::new(5_000, 3)];
        assert!(c.polyline_cost(&across, 1, clip) <= 8 + 6);
    }

    #[test]
    fn wide_polyline_covers_the_union_once() {
        let points = [
            Point::new(2, 2),
            Point::new(14, 3),
            Point::new(4, 12),
            Point::new(15, 14),
        ];
        let mut opaque = blank(18, 18);
        let damage_opaque = opaque.polyline(&points, 4, Color::WHITE, BIG);
        let mut translucent = blank(18, 18);
        let damage = translucent.polyline(&points, 4, Color::rgba(255, 255, 255, 128), BIG);
        assert_eq!(damage, damage_opaque);
        for (o, t) in opaque.pixels().iter().zip(translucent.pixels()) {
            let want = if *o == 0 { 0 } else { 0x0080_8080 };
            assert_eq!(*t, want);
        }
        // The union holds every segment drawn alone.
        for pair in points.windows(2) {
            let mut one = blank(18, 18);
            one.line(pair[0], pair[1], 4, Color::WHITE, BIG);
            for (o, s) in opaque.pixels().iter().zip(one.pixels()) {
                assert!(*s == 0 || *o != 0);
            }
        }
    }

    #[test]
    fn short_polylines() {
        let mut c = blank(3, 3);
        assert!(c.polyline(&[], 1, Color::WHITE, BIG).is_empty());
        assert_eq!(
            c.polyline(&[Point::new(2, 0)], 1, Color::WHITE, BIG),
            Rect::new(2, 0, 1, 1)
        );
        #[rustfmt::skip]
        assert_picture(&c, &[
            "..#",
            "...",
            "...",
        ]);
    }
}
