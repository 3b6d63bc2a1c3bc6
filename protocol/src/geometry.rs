//! Points, sizes, rectangles and colors, as they travel on the wire.
//!
//! Positions are signed (a window may sit partly off screen, a line may start far outside its
//! window); sizes are unsigned. Arithmetic that could overflow is done in `i64` by the users of
//! these types.

use serde::{Deserialize, Serialize};

/// A position in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct Point {
    /// Column, growing to the right.
    pub x: i32,
    /// Row, growing downwards.
    pub y: i32,
}

impl Point {
    /// A point at `(x, y)`.
    pub const fn new(x: i32, y: i32) -> Self {
        Self { x, y }
    }
}

/// A size in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct Size {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

impl Size {
    /// A size of `width` by `height`.
    pub const fn new(width: u32, height: u32) -> Self {
        Self { width, height }
    }

    /// Number of pixels, without overflow.
    pub fn area(self) -> u64 {
        u64::from(self.width) * u64::from(self.height)
    }
}

/// An axis-aligned rectangle: the pixels `x..x+width` by `y..y+height`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct Rect {
    /// Left column.
    pub x: i32,
    /// Top row.
    pub y: i32,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

impl Rect {
    /// A rectangle with its top-left corner at `(x, y)`.
    pub const fn new(x: i32, y: i32, width: u32, height: u32) -> Self {
        Self {
            x,
            y,
            width,
            height,
        }
    }

    /// The rectangle at the origin with the given size.
    pub const fn from_size(size: Size) -> Self {
        Self::new(0, 0, size.width, size.height)
    }

    /// The size of the rectangle.
    pub const fn size(self) -> Size {
        Size::new(self.width, self.height)
    }

    /// True when the rectangle covers no pixel.
    pub const fn is_empty(self) -> bool {
        self.width == 0 || self.height == 0
    }

    /// One past the right column, in `i64` so that it cannot overflow.
    pub fn right(self) -> i64 {
        i64::from(self.x) + i64::from(self.width)
    }

    /// One past the bottom row, in `i64` so that it cannot overflow.
    pub fn bottom(self) -> i64 {
        i64::from(self.y) + i64::from(self.height)
    }

    /// Builds a rectangle from `i64` edges, clamping to what the wire types can hold.
    /// An inverted rectangle becomes empty.
    pub fn from_edges(left: i64, top: i64, right: i64, bottom: i64) -> Self {
        let clamp_pos = |v: i64| v.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32;
        let clamp_len = |v: i64| v.clamp(0, i64::from(u32::MAX)) as u32;
        Self::new(
            clamp_pos(left),
            clamp_pos(top),
            clamp_len(right - left),
            clamp_len(bottom - top),
        )
    }

    /// The pixels in both rectangles (empty if they do not overlap).
    pub fn intersect(self, other: Rect) -> Rect {
        let left = i64::from(self.x).max(i64::from(other.x));
        let top = i64::from(self.y).max(i64::from(other.y));
        let right = self.right().min(other.right());
        let bottom = self.bottom().min(other.bottom());
        if right <= left || bottom <= top {
            return Rect::new(left.clamp(i32::MIN.into(), i32::MAX.into()) as i32, 0, 0, 0);
        }
        Rect::from_edges(left, top, right, bottom)
    }

    /// How many pixels the two rectangles share: the area of [`Rect::intersect`], without
    /// making the rectangle (what a cost per rectangle of a batch needs, in a tight loop).
    #[inline]
    pub fn overlap(self, other: Rect) -> u64 {
        let width = self.right().min(other.right()) - i64::from(self.x).max(i64::from(other.x));
        let height = self.bottom().min(other.bottom()) - i64::from(self.y).max(i64::from(other.y));
        (width.max(0) as u64).saturating_mul(height.max(0) as u64)
    }

    /// The pixels of `self` outside `cut`: at most four rectangles that do not overlap (the
    /// bands above and below `cut`, then those beside it), none of them empty.
    pub fn minus(self, cut: Rect) -> impl Iterator<Item = Rect> {
        let both = self.intersect(cut);
        let pieces = if both.is_empty() {
            [self, Rect::default(), Rect::default(), Rect::default()]
        } else {
            let (left, top, right, bottom) = (
                i64::from(self.x),
                i64::from(self.y),
                self.right(),
                self.bottom(),
            );
            [
                Rect::from_edges(left, top, right, i64::from(both.y)),
                Rect::from_edges(left, both.bottom(), right, bottom),
                Rect::from_edges(left, i64::from(both.y), i64::from(both.x), both.bottom()),
                Rect::from_edges(both.right(), i64::from(both.y), right, both.bottom()),
            ]
        };
        pieces.into_iter().filter(|r| !r.is_empty())
    }

    /// The smallest rectangle that holds both (an empty one holds nothing).
    pub fn union(self, other: Rect) -> Rect {
        if self.is_empty() {
            return other;
        }
        if other.is_empty() {
            return self;
        }
        Rect::from_edges(
            i64::from(self.x).min(i64::from(other.x)),
            i64::from(self.y).min(i64::from(other.y)),
            self.right().max(other.right()),
            self.bottom().max(other.bottom()),
        )
    }

    /// True when the point lies inside.
    pub fn contains(self, p: Point) -> bool {
        i64::from(p.x) >= i64::from(self.x)
            && i64::from(p.x) < self.right()
            && i64::from(p.y) >= i64::from(self.y)
            && i64::from(p.y) < self.bottom()
    }

    /// True when every pixel of `other` is inside `self`.
    pub fn contains_rect(self, other: Rect) -> bool {
        other.is_empty()
            || (other.x >= self.x
                && other.y >= self.y
                && other.right() <= self.right()
                && other.bottom() <= self.bottom())
    }

    /// The same rectangle moved by `(dx, dy)`, saturating at the edges of `i32`.
    pub fn translate(self, dx: i32, dy: i32) -> Rect {
        Rect::new(
            self.x.saturating_add(dx),
            self.y.saturating_add(dy),
            self.width,
            self.height,
        )
    }

    /// The top-left corner.
    pub const fn origin(self) -> Point {
        Point::new(self.x, self.y)
    }
}

/// A line segment from `a` to `b`, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct Segment {
    /// Start point.
    pub a: Point,
    /// End point.
    pub b: Point,
}

/// A color with straight (not premultiplied) alpha. On the wire it is four bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Color {
    /// Red.
    pub r: u8,
    /// Green.
    pub g: u8,
    /// Blue.
    pub b: u8,
    /// Opacity: 255 is opaque, 0 draws nothing.
    pub a: u8,
}

impl Color {
    /// Black.
    pub const BLACK: Color = Color::rgb(0, 0, 0);
    /// White.
    pub const WHITE: Color = Color::rgb(255, 255, 255);
    /// Pure red.
    pub const RED: Color = Color::rgb(255, 0, 0);
    /// Pure green.
    pub const GREEN: Color = Color::rgb(0, 255, 0);
    /// Pure blue.
    pub const BLUE: Color = Color::rgb(0, 0, 255);

    /// An opaque color.
    pub const fn rgb(r: u8, g: u8, b: u8) -> Self {
        Self { r, g, b, a: 255 }
    }

    /// A color with the given opacity.
    pub const fn rgba(r: u8, g: u8, b: u8, a: u8) -> Self {
        Self { r, g, b, a }
    }

    /// The color as a framebuffer pixel, `0x00RRGGBB` (alpha dropped).
    pub const fn to_xrgb(self) -> u32 {
        ((self.r as u32) << 16) | ((self.g as u32) << 8) | self.b as u32
    }

    /// The opaque color of a framebuffer pixel `0x00RRGGBB`.
    pub const fn from_xrgb(pixel: u32) -> Self {
        Self::rgb((pixel >> 16) as u8, (pixel >> 8) as u8, pixel as u8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intersect_and_union() {
        let a = Rect::new(0, 0, 10, 10);
        let b = Rect::new(5, 5, 10, 10);
        assert_eq!(a.intersect(b), Rect::new(5, 5, 5, 5));
        assert_eq!(a.union(b), Rect::new(0, 0, 15, 15));
        assert!(a.intersect(Rect::new(20, 20, 1, 1)).is_empty());
        assert_eq!(Rect::default().union(b), b);
    }

    #[test]
    fn extreme_rectangles_do_not_overflow() {
        let huge = Rect::new(i32::MAX, i32::MAX, u32::MAX, u32::MAX);
        let screen = Rect::new(0, 0, 100, 100);
        assert!(huge.intersect(screen).is_empty());
        let far = Rect::new(i32::MIN, i32::MIN, u32::MAX, u32::MAX);
        assert_eq!(far.intersect(screen), screen);
        assert!(far.contains(Point::new(-5, -5)));
    }

    #[test]
    fn minus_leaves_exactly_the_pixels_outside_the_cut() {
        let a = Rect::new(10, 20, 30, 40);
        let cuts = [
            Rect::new(15, 25, 5, 5),    // inside: four pieces
            Rect::new(0, 0, 100, 100),  // all of it: nothing
            Rect::new(200, 200, 5, 5),  // apart: all of it
            Rect::new(0, 30, 100, 10),  // a band across: above and below
            Rect::new(35, 0, 100, 100), // the right side
            Rect::new(12, 10, 3, 0),    // empty: all of it
            Rect::new(i32::MIN, i32::MIN, u32::MAX, u32::MAX),
        ];
        for cut in cuts {
            let pieces: Vec<Rect> = a.minus(cut).collect();
            let area: u64 = pieces.iter().map(|p| p.size().area()).sum();
            assert_eq!(area, a.size().area() - a.overlap(cut), "{cut:?}");
            for (i, p) in pieces.iter().enumerate() {
                assert!(!p.is_empty() && a.contains_rect(*p), "{p:?} of {cut:?}");
                assert_eq!(p.overlap(cut), 0, "{p:?} of {cut:?}");
                for q in &pieces[i + 1..] {
                    assert_eq!(p.overlap(*q), 0, "{p:?} and {q:?} of {cut:?}");
                }
            }
        }
        assert_eq!(a.minus(Rect::new(15, 25, 5, 5)).count(), 4);
        assert_eq!(a.minus(a).count(), 0);
    }

    #[test]
    fn overlap_is_the_area_of_the_intersection() {
        let screen = Rect::new(0, 0, 100, 100);
        let rects = [
            Rect::new(5, 5, 10, 10),
            Rect::new(95, -3, 10, 10),
            Rect::new(200, 0, 5, 5),
            Rect::new(0, 0, 0, 7),
            Rect::new(i32::MAX, i32::MAX, u32::MAX, u32::MAX),
            Rect::new(i32::MIN, i32::MIN, u32::MAX, u32::MAX),
            Rect::new(-50, 10, 500, 1),
        ];
        for r in rects {
            assert_eq!(
                r.overlap(screen),
                r.intersect(screen).size().area(),
                "{r:?}"
            );
            assert_eq!(screen.overlap(r), r.overlap(screen), "{r:?}");
        }
    }

    #[test]
    fn color_to_pixel_and_back() {
        let c = Color::rgb(0x12, 0x34, 0x56);
        assert_eq!(c.to_xrgb(), 0x0012_3456);
        assert_eq!(Color::from_xrgb(0xff12_3456), c);
    }
}
