//! The objects that x11perf draws, made as its `Init*` functions make them (`InitRectangles`
//! in do_rects.c, `GenerateSegments` in do_segs.c, `InitLines` in do_lines.c,
//! `InitCopyLocations` in do_blt.c), so that `drawbench` and the renderer's bench time netui
//! on the very pixels that x11perf times X on: the same sizes, places, slopes and memory
//! touched.
//!
//! x11perf works in a window of [`WIDTH`] x [`HEIGHT`], and draws the same objects at every
//! repetition (alternating two colours, which netui's renderer does not care about).

use netui_protocol::{Point, Rect, Segment};

/// The width of x11perf's window.
pub const WIDTH: i32 = 600;
/// The height of x11perf's window.
pub const HEIGHT: i32 = 600;
/// The most rows of small objects x11perf puts in a column before the next column.
const MAXROWS: i32 = 40;

/// `InitRectangles`: `count` squares of side `size` down the window's columns, an odd step
/// apart (`size + 1`, or `size + 2` for odd sizes) so that every alignment is drawn.
///
/// ```
/// use netui_bench::x11perf;
///
/// // rect100: five rows of five, a step of 101 apart, then round again.
/// let rects = x11perf::rectangles(100, 36);
/// assert_eq!((rects[1].x, rects[1].y), (0, 101));
/// assert_eq!((rects[5].x, rects[5].y), (101, 0));
/// assert_eq!(rects[25], rects[0]);
/// ```
pub fn rectangles(size: i32, count: usize) -> Vec<Rect> {
    let step = size + 1 + size % 2;
    let (mut x, mut y, mut rows) = (0, 0, 0);
    let side = size.unsigned_abs();
    (0..count)
        .map(|_| {
            let rect = Rect::new(x, y, side, side);
            y += step;
            rows += 1;
            if y + size > HEIGHT || rows == MAXROWS {
                (rows, y) = (0, 0);
                x += step;
                if x + size > WIDTH {
                    x = 0;
                }
            }
            rect
        })
        .collect()
}

/// `GenerateSegments`: `count` segments of `size`, each in a square of that side down the
/// window's columns, their ends turning clockwise around the square from one segment to the
/// next (so every slope is drawn, in both directions).
///
/// x11perf draws them with `CapNotLast` (the last pixel left out); netui's segments include
/// both ends, a pixel more each.
pub fn segments(size: i32, count: usize) -> Vec<Segment> {
    let size8 = 8 * size;
    let half = (size + 19) / 20;
    let phase_step = i32::try_from(count)
        .map_or(0, |count| size8 / count.max(1))
        .max(1);
    let (mut x, mut y, mut rows, mut phase) = (half, half, 0, 0);
    (0..count)
        .map(|_| {
            let k = phase % size;
            let (x1, y1, x2, y2) = match phase / size {
                0 => (0, 0, size, phase),
                1 => (k, 0, size, size),
                2 => (size, 0, size - k, size),
                3 => (size, k, 0, size),
                4 => (size, size, 0, size - k),
                5 => (size - k, size, 0, 0),
                6 => (0, size, k, 0),
                _ => (0, size - k, size, 0),
            };
            let segment = Segment {
                a: Point::new(x + x1, y + y1),
                b: Point::new(x + x2, y + y2),
            };
            rows += 1;
            y += size;
            if y >= HEIGHT - size - half || rows == MAXROWS {
                (rows, y) = (0, half);
                x += size;
                if x >= WIDTH - size - half {
                    x = half;
                }
            }
            phase += phase_step;
            if phase >= size8 {
                phase -= size8;
            }
            segment
        })
        .collect()
}

/// `InitLines` (do_lines.c): the `count + 1` points of x11perf's polyline of `count` lines
/// of about `size` pixels. It zigzags down the window (across by the horizontal offset, one
/// way then the other, and down by the vertical one), turns back up or down at the
/// window's edge or after `MAXROWS` lines, taking a step sideways there while it can, and
/// the offsets turn through every slope: from (size, 0) the vertical one grows to size, then
/// the horizontal one shrinks to 0 and grows back, then the vertical one shrinks, `size + 1`
/// lines each.
///
/// ```
/// use netui_bench::x11perf;
///
/// let points = x11perf::lines(10, 1000);
/// assert_eq!(points.len(), 1001);
/// let first = [(1, 1), (11, 1), (1, 2)].map(|(x, y)| netui_protocol::Point::new(x, y));
/// assert_eq!(points[..3], first);
/// ```
pub fn lines(size: i32, count: usize) -> Vec<Point> {
    let half = (size + 19) / 20;
    let (mut x, mut y) = (half, half);
    let (mut xdir, mut ydir, mut sideways) = (1, 1, 1);
    let (mut dx, mut dy, mut dx_step, mut dy_step) = (size, 0, 0, 1);
    let (mut left_in_phase, mut phase, mut rows) = (size, 0, 0);
    let mut points = Vec::with_capacity(count + 1);
    points.push(Point::new(x, y));
    for _ in 0..count {
        y += ydir * dy;
        rows += 1;
        if y < half || y >= HEIGHT - half || rows > MAXROWS {
            rows = 0;
            // A step sideways in the direction it goes, or the direction turns at the edge.
            if sideways > 0 {
                if x + size < WIDTH - half {
                    xdir = 1;
                } else {
                    sideways = -1;
                }
            } else if x - size > half {
                xdir = -1;
            } else {
                sideways = 1;
            }
            ydir = -ydir;
            y += 2 * ydir * dy;
        }
        dy += dy_step;
        x += xdir * dx;
        xdir = -xdir;
        dx += dx_step;
        points.push(Point::new(x, y));
        left_in_phase -= 1;
        if left_in_phase < 0 {
            left_in_phase = size;
            phase = (phase + 1) % 4;
            (dx, dx_step, dy, dy_step) = match phase {
                0 => (size, 0, 0, 1),
                1 => (size, -1, size, 0),
                2 => (0, 1, size, 0),
                _ => (size, 0, size, -1),
            };
        }
    }
    points
}

/// `InitCopyLocations` and `CopyArea`'s order: the top-left corners of the copies of
/// `size` squares that `copywinwin` makes, as (from, to) pairs. Four copies a repetition,
/// back and forth between two pairs of places that walk the window in steps of
/// `(size & !3) + 1` across and 3 more down, so that every alignment and all four directions
/// of overlap are copied.
pub fn copies(size: i32, reps: usize) -> Vec<(Point, Point)> {
    let xinc = (size & !3) + 1;
    let yinc = xinc + 3;
    let width = (WIDTH - size) & !31;
    let height = (HEIGHT - size) & !31;
    // C's `y - (((-x) - 1) % 7) - 1` for a negative `x`.
    let neg_mod = |x: i32, y: i32| y - ((-x - 1) % 7) - 1;
    let (mut x1, mut y1, mut x2, mut y2) = (0, 0, width, height);
    let mut out = Vec::with_capacity(reps * 4);
    for _ in 0..reps {
        let a = (Point::new(x1, y1), Point::new(x2, y2));
        x2 -= xinc;
        if x2 < 0 {
            x2 = neg_mod(x2, width);
            y2 -= yinc;
            if y2 < 0 {
                y2 = neg_mod(y2, height);
            }
        }
        let b = (Point::new(x1, y1), Point::new(x2, y2));
        x1 += xinc;
        if x1 > width {
            x1 %= 32;
            y1 += yinc;
            if y1 > height {
                y1 %= 32;
            }
        }
        out.extend([(a.0, a.1), (a.1, a.0), (b.1, b.0), (b.0, b.1)]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_object_is_inside_the_window() {
        let window = Rect::new(0, 0, WIDTH as u32, HEIGHT as u32);
        for size in [1, 10, 100, 500] {
            for r in rectangles(size, 1000) {
                assert_eq!(r.intersect(window), r, "rect{size}: {r:?}");
            }
        }
        for size in [10, 100, 500] {
            for s in segments(size, 1000) {
                assert!(
                    window.contains(s.a) && window.contains(s.b),
                    "seg{size}: {s:?}"
                );
            }
        }
        for size in [10, 100, 500] {
            for p in lines(size, 1000) {
                assert!(window.contains(p), "line{size}: {p:?}");
            }
        }
        for size in [100, 500] {
            for (from, to) in copies(size, 1000) {
                for p in [from, to] {
                    let r = Rect::new(p.x, p.y, size as u32, size as u32);
                    assert_eq!(r.intersect(window), r, "copywinwin{size}: {p:?}");
                }
            }
        }
    }

    #[test]
    fn segments_turn_through_every_slope() {
        // seg100: a phase step of one, so 800 segments go once round the square.
        let segs = segments(100, 1000);
        let slopes: std::collections::BTreeSet<(i32, i32)> = segs
            .iter()
            .map(|s| (s.b.x - s.a.x, s.b.y - s.a.y))
            .collect();
        assert_eq!(slopes.len(), 800);
        assert_eq!(
            segs[0],
            Segment {
                a: Point::new(5, 5),
                b: Point::new(105, 5)
            }
        );
    }

    #[test]
    fn copies_go_back_and_forth() {
        let c = copies(100, 2);
        assert_eq!(c[0], (Point::new(0, 0), Point::new(480, 480)));
        assert_eq!(c[1], (Point::new(480, 480), Point::new(0, 0)));
        assert_eq!(c[2], (Point::new(379, 480), Point::new(0, 0)));
        assert_eq!(c[3], (Point::new(0, 0), Point::new(379, 480)));
        assert_eq!(c[4].0, Point::new(101, 0));
    }
}
