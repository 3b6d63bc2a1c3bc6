//! Drawing the browser: rows through the row record (moved, not redrawn, when the list
//! scrolls), the header with the folder, and the footer with counts and the position.

use netui::{Color, Display, Font, Point, Rect};

use super::listing::{human_size, Kind};
use super::{Browser, RowKey, FONT_SIZE, ICON, PAD};
use super::{BAR, BAR_INK, FAINT, FILE, FOLDER, INK, PAPER, SELECTED, STRIPE};

impl Browser {
    /// Queues the drawing of whatever changed since the last call (without presenting).
    /// Returns true when it queued anything.
    pub fn draw(&mut self, display: &mut Display) -> bool {
        if self.full {
            display.clear(self.window, None);
            self.rows.invalidate();
            self.header = None;
            self.footer = None;
            self.drawn_top = self.top;
            self.full = false;
            self.drew = true;
        }
        if self.top != self.drawn_top {
            self.rows
                .scroll(display, self.top as isize - self.drawn_top as isize);
            self.drawn_top = self.top;
            self.drew = true;
        }
        let count = self.listing.entries.len();
        for row in 0..self.rows.len() {
            let index = self.top + row;
            let key = RowKey {
                generation: self.generation,
                entry: (index < count).then_some(index),
                selected: index < count && index == self.selected,
            };
            if self.rows.update(row, key).is_some() {
                self.draw_row(display, self.rows.rect(row), key);
            }
        }
        self.draw_bars(display);
        std::mem::take(&mut self.drew)
    }

    fn draw_row(&mut self, display: &mut Display, rect: Rect, key: RowKey) {
        self.drew = true;
        let w = self.window;
        let Some(entry) = key.entry.and_then(|i| self.listing.entries.get(i)) else {
            display.fill_rect(w, rect, PAPER);
            return;
        };
        let (background, ink, faint) = match key.selected {
            true => (SELECTED, Color::WHITE, Color::WHITE),
            false if key.entry.is_some_and(|i| i % 2 == 1) => (STRIPE, INK, FAINT),
            false => (PAPER, INK, FAINT),
        };
        display.fill_rect(w, rect, background);
        let icon_y = rect.y + (self.row_height - ICON) / 2;
        let (icon, side) = (
            Rect::new(PAD, icon_y, ICON as u32, ICON as u32),
            ICON as u32,
        );
        match entry.kind {
            Kind::File => display.fill_rect(w, icon, FILE),
            Kind::Dir | Kind::Parent => {
                // A folder: a tab and a body.
                display.fill_rects(
                    w,
                    &[
                        Rect::new(PAD, icon_y, side / 2, 3),
                        Rect::new(PAD, icon_y + 2, side, side - 2),
                    ],
                    FOLDER,
                );
            }
        }
        let size = match entry.kind {
            Kind::File => human_size(entry.size),
            Kind::Dir => "folder".into(),
            Kind::Parent => String::new(),
        };
        let size_width = display.text_width(Font::Sans, FONT_SIZE, &size) as i32;
        let text_y = rect.y + 3;
        let name_x = PAD + ICON + 8;
        let right = self.size.width as i32 - PAD;
        let room = (right - 80 - name_x).max(0) as u32;
        let name = fit(display, &entry.name, room, false);
        display.text(
            w,
            Point::new(name_x, text_y),
            Font::Sans,
            FONT_SIZE,
            ink,
            &name,
        );
        if !size.is_empty() {
            let pos = Point::new(right - size_width, text_y);
            display.text(w, pos, Font::Sans, FONT_SIZE, faint, &size);
        }
    }

    /// The header (the folder) and the footer (counts or an error, and the position).
    fn draw_bars(&mut self, display: &mut Display) {
        let width = self.size.width;
        let room = width.saturating_sub(2 * PAD as u32);
        let header = fit(display, &self.shown_dir(), room, true);
        if self.header.as_ref() != Some(&header) {
            display.fill_rect(
                self.window,
                Rect::new(0, 0, width, self.bar_height as u32),
                BAR,
            );
            let pos = Point::new(PAD, 5);
            display.text(self.window, pos, Font::Sans, FONT_SIZE, BAR_INK, &header);
            self.header = Some(header);
            self.drew = true;
        }
        let left = self.message.clone().unwrap_or_else(|| {
            let (dirs, files) = self.listing.counts();
            format!("{dirs} folders, {files} files")
        });
        let count = self.listing.entries.len();
        let right = format!("{} / {count}", (self.selected + 1).min(count));
        let right_width = display.text_width(Font::Sans, FONT_SIZE, &right);
        let left = fit(display, &left, room.saturating_sub(right_width + 16), false);
        let footer = (left, right);
        if self.footer.as_ref() != Some(&footer) {
            let y = self.size.height as i32 - self.bar_height;
            let bar = Rect::new(0, y, width, self.bar_height as u32);
            display.fill_rect(self.window, bar, BAR);
            let (left, right) = &footer;
            let pos = Point::new(PAD, y + 5);
            display.text(self.window, pos, Font::Sans, FONT_SIZE, BAR_INK, left);
            let pos = Point::new(width as i32 - PAD - right_width as i32, y + 5);
            display.text(self.window, pos, Font::Sans, FONT_SIZE, BAR_INK, right);
            self.footer = Some(footer);
            self.drew = true;
        }
    }
}

/// `text`, shortened with "..." at its end (or start, for paths) to fit `width` pixels.
fn fit(display: &Display, text: &str, width: u32, keep_end: bool) -> String {
    let measure = |s: &str| display.text_width(Font::Sans, FONT_SIZE, s);
    if measure(text) <= width {
        return text.to_owned();
    }
    let chars: Vec<char> = text.chars().collect();
    for keep in (0..chars.len()).rev() {
        let candidate = if keep_end {
            format!(
                "...{}",
                chars[chars.len() - keep..].iter().collect::<String>()
            )
        } else {
            format!("{}...", chars[..keep].iter().collect::<String>())
        };
        if measure(&candidate) <= width {
            return candidate;
        }
    }
    String::new()
}
