//! A column of equal-height rows drawn through a record of what each row shows, so that a
//! demo redraws only the rows whose content changed and scrolls by moving the pixels it
//! already drew (`CopyArea`) instead of drawing them again.
//!
//! The demo describes each row by a key (any `PartialEq` value that determines the row's
//! pixels); [`Rows::update`] says whether a row must be drawn. [`Rows::shift`] moves rows
//! on the display and in the record together, so the two never disagree.

use std::ops::Range;

use netui::{Display, Point, Rect, Window};

/// The rows of a list or text area inside a window, and what each one shows.
#[derive(Debug)]
pub struct Rows<K> {
    window: Window,
    area: Rect,
    height: u32,
    /// What each visible row shows now; `None` when unknown (it must be drawn).
    shown: Vec<Option<K>>,
}

impl<K: PartialEq> Rows<K> {
    /// Rows of `height` pixels stacked from the top of `area` in `window`. Only whole rows
    /// count; the strip below the last one is left to the caller.
    pub fn new(window: Window, area: Rect, height: u32) -> Self {
        let mut rows = Self {
            window,
            area,
            height: height.max(1),
            shown: Vec::new(),
        };
        rows.set_area(area);
        rows
    }

    /// Moves the rows to a new area (after a resize); every row becomes unknown.
    pub fn set_area(&mut self, area: Rect) {
        self.area = area;
        let count = (area.height / self.height) as usize;
        self.shown.clear();
        self.shown.resize_with(count, || None);
    }

    /// The number of whole rows that fit.
    pub fn len(&self) -> usize {
        self.shown.len()
    }

    /// True when not even one row fits.
    pub fn is_empty(&self) -> bool {
        self.shown.is_empty()
    }

    /// Forgets what every row shows (after the window was cleared or exposed).
    pub fn invalidate(&mut self) {
        self.shown.iter_mut().for_each(|row| *row = None);
    }

    /// Where row `row` is in the window.
    pub fn rect(&self, row: usize) -> Rect {
        let y = i64::from(self.area.y) + row as i64 * i64::from(self.height);
        Rect::new(
            self.area.x,
            y.clamp(0, i64::from(i32::MAX)) as i32,
            self.area.width,
            self.height,
        )
    }

    /// Moves the rows in `rows` by `by` rows (down when positive), on the display with one
    /// `CopyArea` and in the record. Rows moved past either end are dropped; the rows left
    /// behind become unknown, so the next [`Rows::update`] draws them.
    pub fn shift(&mut self, display: &mut Display, rows: Range<usize>, by: isize) {
        if let Some((from, to)) = self.shift_record(rows, by) {
            display.copy_area(self.window, self.window, from, to);
        }
    }

    /// The record's half of [`Rows::shift`]: returns the copy that the pixels need, if any.
    fn shift_record(&mut self, rows: Range<usize>, by: isize) -> Option<(Rect, Point)> {
        let n = self.shown.len() as isize;
        let (start, end) = (rows.start as isize, (rows.end as isize).min(n));
        if start >= end || by == 0 {
            return None;
        }
        let dst = (start + by).max(0)..(end + by).min(n);
        if dst.start >= dst.end {
            // Everything moved out of view.
            self.shown[start as usize..end as usize]
                .iter_mut()
                .for_each(|row| *row = None);
            return None;
        }
        let src = (dst.start - by) as usize;
        let len = (dst.end - dst.start) as usize;
        let dst = dst.start as usize;
        // Unknown rows would be drawn anyway: copy only when some moved row is worth keeping.
        let copy = self.shown[src..src + len]
            .iter()
            .any(Option::is_some)
            .then(|| {
                let from = self.rect(src);
                (
                    Rect::new(from.x, from.y, from.width, self.height * len as u32),
                    Point::new(self.area.x, self.rect(dst).y),
                )
            });
        let moved: Vec<Option<K>> = self.shown[src..src + len]
            .iter_mut()
            .map(Option::take)
            .collect();
        self.shown[start as usize..end as usize]
            .iter_mut()
            .for_each(|row| *row = None);
        for (slot, row) in self.shown[dst..dst + len].iter_mut().zip(moved) {
            *slot = row;
        }
        copy
    }

    /// Scrolls the content by `by` rows: positive moves it up, as when the view goes down
    /// a document. The rows that come into view become unknown.
    pub fn scroll(&mut self, display: &mut Display, by: isize) {
        let len = self.shown.len();
        self.shift(display, 0..len, -by);
    }

    /// Records that row `row` should show `want`. Returns the key when the row shows
    /// something else now and so must be drawn (in [`Rows::rect`]), `None` when it is
    /// already on the display (or is not a visible row).
    pub fn update(&mut self, row: usize, want: K) -> Option<&K> {
        let slot = self.shown.get_mut(row)?;
        if slot.as_ref() == Some(&want) {
            return None;
        }
        Some(slot.insert(want))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use netui::ResourceId;

    /// Ten rows of 20 pixels at y = 10, showing 0..10.
    fn ten() -> Rows<u32> {
        let mut rows = Rows::new(Window(ResourceId(1)), Rect::new(0, 10, 100, 205), 20);
        for i in 0..10 {
            assert!(rows.update(i, i as u32).is_some());
        }
        rows
    }

    #[test]
    fn whole_rows_only() {
        assert_eq!(ten().len(), 10);
    }

    #[test]
    fn unchanged_rows_are_not_drawn_again() {
        let mut rows = ten();
        assert_eq!(rows.update(3, 3), None);
        assert_eq!(rows.update(3, 33), Some(&33));
        assert_eq!(rows.update(10, 10), None);
    }

    #[test]
    fn scrolling_down_copies_and_leaves_the_bottom_unknown() {
        let mut rows = ten();
        let copy = rows.shift_record(0..10, -2);
        assert_eq!(copy, Some((Rect::new(0, 50, 100, 160), Point::new(0, 10))));
        assert_eq!(&rows.shown[..8], &(2..10).map(Some).collect::<Vec<_>>()[..]);
        assert_eq!(&rows.shown[8..], &[None, None]);
    }

    #[test]
    fn inserting_a_line_moves_the_rows_below_down() {
        let mut rows = ten();
        let copy = rows.shift_record(4..10, 1);
        assert_eq!(copy, Some((Rect::new(0, 90, 100, 100), Point::new(0, 110))));
        assert_eq!(rows.shown[4], None);
        assert_eq!(rows.shown[5], Some(4));
        assert_eq!(rows.shown[9], Some(8));
    }

    #[test]
    fn a_shift_past_the_end_forgets_everything_and_copies_nothing() {
        let mut rows = ten();
        assert_eq!(rows.shift_record(0..10, 10), None);
        assert!(rows.shown.iter().all(Option::is_none));
    }

    #[test]
    fn unknown_rows_are_not_copied() {
        let mut rows = ten();
        rows.invalidate();
        assert_eq!(rows.shift_record(0..10, -1), None);
    }
}
