//! Drawing the notepad: the text rows through the row record (moved, not redrawn, when
//! the text scrolls), the cursor, and the status line.

use std::path::Path;

use netui::{Display, Font, Point, Rect, Window};

use super::{
    Notepad, Row, BAR, BAR_INK, CURSOR, FONT_SIZE, INK, MARGIN, PAPER, RULE, SELECTED, STATUS_CHARS,
};

impl Notepad {
    /// Queues the drawing of whatever changed since the last call (without presenting).
    /// Returns true when it queued anything.
    pub fn draw(&mut self, display: &mut Display) -> bool {
        if self.full {
            display.clear(self.window, None);
            self.rows.invalidate();
            self.status = None;
            let rule = self.size.height as i32 - self.status_height() - 1;
            display.fill_rect(self.window, Rect::new(0, rule, self.size.width, 1), RULE);
            self.full = false;
            self.drew = true;
        }
        self.follow_cursor(display);
        let (line, col) = self.buffer.cursor();
        let columns = self.columns();
        let selection = self.buffer.selection();
        for row in 0..self.rows.len() {
            let index = self.top + row;
            let want = match self.buffer.lines().get(index) {
                Some(text) => {
                    let len = text.chars().count();
                    // The selected columns of this line (a selected line break shows as
                    // one more column), then as shown after the horizontal scroll.
                    let selected = selection.and_then(|((l1, c1), (l2, c2))| {
                        if index < l1 || index > l2 {
                            return None;
                        }
                        let from = if index == l1 { c1 } else { 0 };
                        let to = if index == l2 { c2 } else { len + 1 };
                        let from = from.saturating_sub(self.left);
                        let to = to.saturating_sub(self.left).min(columns + 1);
                        (from < to).then_some((from, to))
                    });
                    Row {
                        text: text.chars().skip(self.left).take(columns + 1).collect(),
                        cursor: (index == line).then(|| col.saturating_sub(self.left)),
                        selected,
                    }
                }
                None => Row::default(),
            };
            let rect = self.rows.rect(row);
            if let Some(shown) = self.rows.update(row, want) {
                draw_row(display, self.window, rect, shown, self.char_width);
                self.drew = true;
            }
        }
        self.draw_status(display);
        std::mem::take(&mut self.drew)
    }

    /// Scrolls so that the cursor is in view: by moving pixels when it left by a few lines.
    fn follow_cursor(&mut self, display: &mut Display) {
        let (line, col) = self.buffer.cursor();
        let rows = self.rows.len().max(1);
        let top = if line < self.top {
            line
        } else if line >= self.top + rows {
            line + 1 - rows
        } else {
            self.top
        };
        if top != self.top {
            self.rows.scroll(display, top as isize - self.top as isize);
            self.top = top;
            self.drew = true;
        }
        // Horizontally, jump by a quarter of the width so that typing does not scroll at
        // every key; every row then changes and is drawn again.
        let columns = self.columns();
        if col < self.left {
            self.left = col.saturating_sub(columns / 4);
        } else if col >= self.left + columns {
            self.left = col + 1 + columns / 4 - columns;
        }
    }

    fn draw_status(&mut self, display: &mut Display) {
        let (line, col) = self.buffer.cursor();
        let name = self
            .path
            .as_deref()
            .and_then(Path::file_name)
            .map_or_else(|| "untitled".into(), |n| n.to_string_lossy());
        let star = if self.buffer.is_modified() { " *" } else { "" };
        let left = format!("{name}{star}  {}", self.message);
        let right = format!("{}:{}", line + 1, col + 1);
        let pad = self
            .columns()
            .saturating_sub(left.chars().count() + right.chars().count())
            .max(2);
        let status: String = format!("{left}{}{right}", " ".repeat(pad))
            .chars()
            .take(STATUS_CHARS)
            .collect();
        if self.status.as_ref() == Some(&status) {
            return;
        }
        let height = self.status_height();
        let top = self.size.height as i32 - height;
        let bar = Rect::new(0, top, self.size.width, height as u32);
        display.fill_rect(self.window, bar, BAR);
        display.text(
            self.window,
            Point::new(MARGIN, top + 4),
            Font::Mono,
            FONT_SIZE,
            BAR_INK,
            &status,
        );
        self.status = Some(status);
        self.drew = true;
    }
}

fn draw_row(display: &mut Display, window: Window, rect: Rect, row: &Row, char_width: i32) {
    display.fill_rect(window, rect, PAPER);
    if let Some((from, to)) = row.selected {
        let x = MARGIN + from as i32 * char_width;
        let width = ((to - from) as i32 * char_width) as u32;
        display.fill_rect(window, Rect::new(x, rect.y, width, rect.height), SELECTED);
    }
    if !row.text.is_empty() {
        display.text(
            window,
            Point::new(MARGIN, rect.y),
            Font::Mono,
            FONT_SIZE,
            INK,
            &row.text,
        );
    }
    if let Some(col) = row.cursor {
        let x = MARGIN + col as i32 * char_width - 1;
        let bar = Rect::new(x, rect.y + 1, 2, rect.height.saturating_sub(2));
        display.fill_rect(window, bar, CURSOR);
    }
}
