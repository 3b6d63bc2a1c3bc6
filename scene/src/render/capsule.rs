//! Wide lines: the pixels whose centers lie within `width / 2` of a segment, a band with
//! round caps (a capsule).
//!
//! A capsule is filled row by row, each row's span computed directly, so its cost is bounded
//! by the clip's height whatever the width. Wide polylines are the union of their segments'
//! capsules, which gives round joins; with a translucent color the spans of each row are merged
//! first, so that every pixel is blended once.

use super::blend::Paint;
use super::{Area, Canvas, Damage};
use netui_protocol::Point;

impl Canvas {
    /// Fills one capsule, row by row within `area`.
    pub(super) fn capsule(
        &mut self,
        capsule: &Capsule,
        paint: &Paint,
        area: &Area,
        damage: &mut Damage,
    ) {
        // Clip first: a capsule wider than the canvas costs one fill, one outside it nothing.
        if !capsule.touches(area) {
            return;
        }
        if capsule.covers(area) {
            self.fill_area(*area, paint);
            damage.add(*area);
            return;
        }
        for y in capsule.top.max(area.top)..=capsule.bottom.min(area.bottom - 1) {
            if let Some((left, right)) = capsule.span(y) {
                self.span(y, left, right, paint, area, damage);
            }
        }
    }

    /// Fills the union of `capsules`, each pixel once: per row, the spans of all capsules are
    /// sorted and merged before they are drawn.
    pub(super) fn capsules_once(
        &mut self,
        capsules: &[Capsule],
        paint: &Paint,
        area: &Area,
        damage: &mut Damage,
    ) {
        let top = capsules.iter().map(|c| c.top).min().unwrap_or(0);
        let bottom = capsules.iter().map(|c| c.bottom).max().unwrap_or(-1);
        let mut spans = Vec::new();
        for y in top.max(area.top)..=bottom.min(area.bottom - 1) {
            spans.clear();
            let crossing = capsules.iter().filter(|c| c.top <= y && y <= c.bottom);
            spans.extend(crossing.filter_map(|c| c.span(y)));
            spans.sort_unstable();
            let mut current: Option<(i64, i64)> = None;
            for &(left, right) in &spans {
                current = match current {
                    Some((l, r)) if left <= r.saturating_add(1) => Some((l, r.max(right))),
                    _ => {
                        if let Some((l, r)) = current {
                            self.span(y, l, r, paint, area, damage);
                        }
                        Some((left, right))
                    }
                };
            }
            if let Some((l, r)) = current {
                self.span(y, l, r, paint, area, damage);
            }
        }
    }
}

/// A wide segment: the points within `radius` of the segment between its two centers.
#[derive(Debug, Clone, Copy)]
pub(super) struct Capsule {
    ax: f64,
    ay: f64,
    bx: f64,
    by: f64,
    radius_sq: f64,
    /// `radius * |b - a|`: the bound on the cross product across the band.
    reach: f64,
    /// `|b - a|²`: the bound on the dot product along the band.
    length_sq: f64,
    /// First and last row that may hold a pixel.
    pub(super) top: i64,
    pub(super) bottom: i64,
    /// First and last column that may hold a pixel.
    left: i64,
    right: i64,
}

impl Capsule {
    /// The capsule of a line from `a` to `b`, `width` pixels wide.
    pub(super) fn new(a: Point, b: Point, width: u16) -> Capsule {
        // Pixel centers sit on integer coordinates: a band of even width centred on them would
        // cover one row too many, so it moves half a pixel up and left and covers exactly
        // `width` rows (or columns), like an X server's.
        let shift = if width & 1 == 0 { 0.5 } else { 0.0 };
        let (ax, ay) = (f64::from(a.x) - shift, f64::from(a.y) - shift);
        let (bx, by) = (f64::from(b.x) - shift, f64::from(b.y) - shift);
        let radius = f64::from(width) / 2.0;
        let length_sq = (bx - ax).powi(2) + (by - ay).powi(2);
        Capsule {
            ax,
            ay,
            bx,
            by,
            radius_sq: radius * radius,
            reach: radius * length_sq.sqrt(),
            length_sq,
            // f64 to i64 saturates; these stay far inside i64.
            top: (ay.min(by) - radius).floor() as i64,
            bottom: (ay.max(by) + radius).ceil() as i64,
            left: (ax.min(bx) - radius).floor() as i64,
            right: (ax.max(bx) + radius).ceil() as i64,
        }
    }

    /// Whether its bounding box reaches into `area`.
    pub(super) fn touches(&self, area: &Area) -> bool {
        self.bottom >= area.top
            && self.top < area.bottom
            && self.right >= area.left
            && self.left < area.right
    }

    /// Whether every pixel of `area` lies inside it. The capsule is convex, so it holds the
    /// rectangle when it holds the rectangle's four corner pixels.
    pub(super) fn covers(&self, area: &Area) -> bool {
        !area.is_empty()
            && [area.top, area.bottom - 1].into_iter().all(|y| {
                self.span(y)
                    .is_some_and(|(l, r)| l <= area.left && r >= area.right - 1)
            })
    }

    /// The pixels of `area` that its bounding box covers: a bound on what filling it costs.
    pub(super) fn cost(&self, area: &Area) -> u64 {
        let rows = (self.bottom + 1).min(area.bottom) - self.top.max(area.top);
        let columns = (self.right + 1).min(area.right) - self.left.max(area.left);
        (rows.max(0) as u64).saturating_mul(columns.max(0) as u64)
    }

    /// The first and last pixel of row `y` inside the capsule.
    fn span(&self, y: i64) -> Option<(i64, i64)> {
        let y = y as f64;
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        // The row is an interval of the convex capsule, so it is the hull of its intervals
        // through the two end discs and the band between them.
        for (cx, cy) in [(self.ax, self.ay), (self.bx, self.by)] {
            let ey = y - cy;
            if ey * ey <= self.radius_sq {
                let half = (self.radius_sq - ey * ey).sqrt();
                lo = lo.min(cx - half);
                hi = hi.max(cx + half);
            }
        }
        if self.length_sq > 0.0 {
            // With X = x - ax: along the band 0 <= X*dx + ey*dy <= |d|², across it
            // |X*dy - ey*dx| <= radius*|d|.
            let (dx, dy, ey) = (self.bx - self.ax, self.by - self.ay, y - self.ay);
            let mut band = (f64::NEG_INFINITY, f64::INFINITY);
            if restrict(&mut band, dx, ey * dy, 0.0, self.length_sq)
                && restrict(&mut band, dy, -ey * dx, -self.reach, self.reach)
                && band.0 <= band.1
            {
                lo = lo.min(self.ax + band.0);
                hi = hi.max(self.ax + band.1);
            }
        }
        let (left, right) = (lo.ceil(), hi.floor());
        (left <= right).then_some((left as i64, right as i64))
    }
}

/// Narrows `band` to the X with `lo <= k*X + m <= hi`; false when no X qualifies.
fn restrict(band: &mut (f64, f64), k: f64, m: f64, lo: f64, hi: f64) -> bool {
    if k == 0.0 {
        return lo <= m && m <= hi;
    }
    let (p, q) = ((lo - m) / k, (hi - m) / k);
    band.0 = band.0.max(p.min(q));
    band.1 = band.1.min(p.max(q));
    true
}
