//! Ellipses inscribed in rectangles, filled or as rings.
//!
//! A pixel belongs to the ellipse when its center does. Measured in half pixels from the
//! center of the rectangle, a pixel center is `(u, v)` with integers `u`, `v`, and the test
//! `u²h² + v²w² <= w²h²` is exact in `u128` for any `u32` size, so every ellipse is exactly
//! symmetric. Each row is one span computed directly, so the cost is bounded by the clip's
//! height whatever the size.

use super::blend::Paint;
use super::{Area, Canvas, Damage};
use netui_protocol::{Color, Rect};

impl Canvas {
    /// The ellipse inscribed in `rect`: `outline: None` fills it, `Some(w)` draws a ring `w`
    /// pixels thick inside `rect` (0 means 1): per row, the ellipse's span minus the span of
    /// the ellipse inscribed in `rect` shrunk by `w` on every side.
    pub fn ellipse(&mut self, rect: Rect, outline: Option<u16>, color: Color, clip: Rect) -> Rect {
        let (Some(paint), Some(area)) = (Paint::new(color), self.area(clip)) else {
            return Rect::default();
        };
        let Some(outer) = Oval::new(Area::of(rect)) else {
            return Rect::default();
        };
        let inner = outline.and_then(|w| {
            let w = i64::from(w.max(1));
            let a = Area::of(rect);
            // A ring thicker than half the ellipse leaves no hole (`Oval::new` gives None).
            Oval::new(Area::new(a.left + w, a.top + w, a.right - w, a.bottom - w))
        });
        let mut damage = Damage::new();
        for y in outer.top.max(area.top)..(outer.top + outer.height).min(area.bottom) {
            let Some((left, right)) = outer.span(y) else {
                continue;
            };
            match inner.and_then(|inner| inner.span(y)) {
                // The inner ellipse lies inside the outer one, so its span does too.
                Some((hole_left, hole_right)) => {
                    self.span(y, left, hole_left - 1, &paint, &area, &mut damage);
                    self.span(y, hole_right + 1, right, &paint, &area, &mut damage);
                }
                None => self.span(y, left, right, &paint, &area, &mut damage),
            }
        }
        damage.to_rect()
    }
}

/// An ellipse by its bounding box.
#[derive(Debug, Clone, Copy)]
struct Oval {
    left: i64,
    top: i64,
    /// Both at least 1 and at most `u32::MAX`.
    width: i64,
    height: i64,
}

impl Oval {
    /// `None` for an empty box.
    fn new(area: Area) -> Option<Oval> {
        (!area.is_empty()).then_some(Oval {
            left: area.left,
            top: area.top,
            width: area.right - area.left,
            height: area.bottom - area.top,
        })
    }

    /// The first and last pixel of row `y` inside the ellipse.
    fn span(&self, y: i64) -> Option<(i64, i64)> {
        if y < self.top || y >= self.top + self.height {
            return None;
        }
        // Doubled offset of the row's pixel centers from the center: |v| < height.
        let v = (2 * (y - self.top) + 1 - self.height).unsigned_abs();
        let (w, h) = (self.width.unsigned_abs(), self.height.unsigned_abs());
        // The largest u with u²h² <= w²(h² - v²), i.e. u² <= floor(w²(h² - v²) / h²). Every
        // factor is below 2^32, so the product is below 2^128.
        let (w2, h2) = (u128::from(w) * u128::from(w), u128::from(h) * u128::from(h));
        let bound = w2 * (h2 - u128::from(v) * u128::from(v)) / h2;
        let mut u = isqrt(bound);
        // Pixel centers sit at offsets u with the parity of width + 1.
        if (u + w + 1) % 2 == 1 {
            u = u.checked_sub(1)?;
        }
        // u <= w < 2^32, so these sums are small; they are even, so halving is exact.
        let (u, w) = (u as i64, w as i64);
        let left = (2 * self.left + w - 1 - u) / 2;
        let right = (2 * self.left + w - 1 + u) / 2;
        Some((left, right))
    }
}

/// The integer square root of `n`, for `n < 2^64` (larger values give a result near `2^32`).
fn isqrt(n: u128) -> u64 {
    let n = u64::try_from(n).unwrap_or(u64::MAX);
    // The float estimate is within one or two of the answer; fix it up exactly.
    let mut r = (n as f64).sqrt() as u64;
    while u128::from(r) * u128::from(r) > u128::from(n) {
        r -= 1;
    }
    while u128::from(r + 1) * u128::from(r + 1) <= u128::from(n) {
        r += 1;
    }
    r
}

#[cfg(test)]
mod tests {
    use super::super::pattern::{assert_picture, blank, picture};
    use super::*;
    use netui_protocol::Point;

    const BIG: Rect = Rect::new(i32::MIN, i32::MIN, u32::MAX, u32::MAX);

    #[test]
    fn filled_ellipse() {
        let mut c = blank(9, 7);
        let damage = c.ellipse(Rect::new(1, 1, 7, 5), None, Color::WHITE, BIG);
        assert_eq!(damage, Rect::new(1, 1, 7, 5));
        #[rustfmt::skip]
        assert_picture(&c, &[
            ".........",
            "..#####..",
            ".#######.",
            ".#######.",
            ".#######.",
            "..#####..",
            ".........",
        ]);
    }

    #[test]
    fn outlined_ellipse() {
        let mut c = blank(13, 11);
        let damage = c.ellipse(Rect::new(0, 0, 13, 11), Some(1), Color::WHITE, BIG);
        assert_eq!(damage, Rect::new(0, 0, 13, 11));
        #[rustfmt::skip]
        assert_picture(&c, &[
            "....#####....",
            "..##.....##..",
            ".#.........#.",
            "##.........##",
            "#...........#",
            "#...........#",
            "#...........#",
            "##.........##",
            ".#.........#.",
            "..##.....##..",
            "....#####....",
        ]);
    }

    #[test]
    fn ellipses_are_symmetric_and_hold_their_center() {
        for (w, h) in [(1, 1), (2, 2), (2, 7), (8, 3), (15, 16), (20, 20), (31, 9)] {
            for outline in [None, Some(0), Some(2), Some(5)] {
                let mut c = blank(w, h);
                c.ellipse(Rect::new(0, 0, w, h), outline, Color::WHITE, BIG);
                let rows = picture(&c);
                let flipped: Vec<String> = rows.iter().rev().cloned().collect();
                assert_eq!(rows, flipped, "{w}x{h} {outline:?} upside down");
                let mirrored: Vec<String> =
                    rows.iter().map(|r| r.chars().rev().collect()).collect();
                assert_eq!(rows, mirrored, "{w}x{h} {outline:?} mirrored");
                let center = c.pixel(w as i32 / 2, h as i32 / 2);
                // The middle of a thin ring is empty; everything else holds its center.
                let hollow = outline.is_some_and(|t| 2 * u32::from(t.max(1)) < w.min(h));
                assert_eq!(center == Some(0), hollow, "{w}x{h} {outline:?}");
                // The middle of each edge is drawn, the corners are not (beyond 2x2).
                assert_ne!(c.pixel(0, h as i32 / 2), Some(0));
                assert_ne!(c.pixel(w as i32 / 2, 0), Some(0));
                if w > 2 && h > 2 {
                    assert_eq!(c.pixel(0, 0), Some(0), "{w}x{h} {outline:?}");
                }
            }
        }
    }

    #[test]
    fn translucent_ring_blends_once_and_clips() {
        let mut c = blank(12, 10);
        let clip = Rect::new(0, 0, 6, 10);
        let damage = c.ellipse(
            Rect::new(0, 0, 12, 10),
            Some(3),
            Color::rgba(255, 0, 0, 128),
            clip,
        );
        assert!(clip.contains_rect(damage));
        assert!(c.pixels().iter().all(|&p| p == 0 || p == 0x0080_0000));
        assert_eq!(c.pixel(7, 0), Some(0));
        assert_ne!(c.pixel(5, 0), Some(0));
        assert!(c.pixel(0, 5).is_some_and(|p| p != 0));
        assert_eq!(c.pixel(5, 5), Some(0));
        assert!(!damage.contains(Point::new(6, 0)));
    }

    #[test]
    fn integer_square_root() {
        for n in (0..2000u128).chain([u128::from(u64::MAX), (1 << 64) - 2, 1 << 62]) {
            let r = u128::from(isqrt(n));
            assert!(r * r <= n && (r + 1) * (r + 1) > n, "{n}");
        }
    }
}
