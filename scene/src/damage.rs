//! Damage: the parts of the screen that must be composited again.
//!
//! A short list of rectangles. Overlapping or touching additions are merged, and when the list
//! grows past a handful it collapses into its bounding box: compositing a few extra pixels is
//! cheaper than keeping an exact region.

use netui_protocol::Rect;

/// How many separate rectangles are kept before they collapse into one.
const MAX_RECTS: usize = 16;

/// A set of screen rectangles that need compositing.
#[derive(Debug, Default, Clone)]
pub struct Damage {
    rects: Vec<Rect>,
}

impl Damage {
    /// Adds a rectangle (empty ones are ignored).
    pub fn add(&mut self, rect: Rect) {
        if rect.is_empty() {
            return;
        }
        let mut rect = rect;
        // Absorb every rectangle that the new one overlaps or touches, repeatedly, so that the
        // list stays disjoint-ish and small.
        let mut i = 0;
        while i < self.rects.len() {
            let r = self.rects[i];
            if touches(r, rect) {
                rect = rect.union(r);
                self.rects.swap_remove(i);
                i = 0;
            } else {
                i += 1;
            }
        }
        self.rects.push(rect);
        if self.rects.len() > MAX_RECTS {
            let all = self.bounds();
            self.rects.clear();
            self.rects.push(all);
        }
    }

    /// True when nothing is damaged.
    pub fn is_empty(&self) -> bool {
        self.rects.is_empty()
    }

    /// The damaged rectangles.
    pub fn rects(&self) -> &[Rect] {
        &self.rects
    }

    /// The bounding box of all damage.
    pub fn bounds(&self) -> Rect {
        self.rects.iter().fold(Rect::default(), |a, &b| a.union(b))
    }

    /// Takes the damage out, leaving none.
    pub fn take(&mut self) -> Vec<Rect> {
        std::mem::take(&mut self.rects)
    }
}

/// True when the rectangles overlap or share an edge.
fn touches(a: Rect, b: Rect) -> bool {
    i64::from(a.x) <= b.right()
        && i64::from(b.x) <= a.right()
        && i64::from(a.y) <= b.bottom()
        && i64::from(b.y) <= a.bottom()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlapping_damage_merges_and_apart_stays_apart() {
        let mut d = Damage::default();
        d.add(Rect::new(0, 0, 10, 10));
        d.add(Rect::new(5, 5, 10, 10));
        assert_eq!(d.rects(), &[Rect::new(0, 0, 15, 15)]);
        d.add(Rect::new(100, 100, 1, 1));
        assert_eq!(d.rects().len(), 2);
        d.add(Rect::default());
        assert_eq!(d.rects().len(), 2);
        assert_eq!(d.bounds(), Rect::new(0, 0, 101, 101));
    }

    #[test]
    fn many_rectangles_collapse_to_their_bounds() {
        let mut d = Damage::default();
        for i in 0..40 {
            d.add(Rect::new(i * 20, 0, 5, 5));
        }
        assert!(d.rects().len() <= MAX_RECTS);
        assert_eq!(d.bounds(), Rect::new(0, 0, 785, 5));
        assert!(!d.take().is_empty());
        assert!(d.is_empty());
    }
}
