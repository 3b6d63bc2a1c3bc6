//! The text of a notepad: lines and a cursor, and the edits that keys make.
//!
//! Columns count characters, not bytes. A selection runs from an anchor to the cursor
//! (Shift with the arrows, a drag, a double-click on a word); typing replaces it.
//! Edits that add or remove whole lines say so with a
//! [`Shift`], so that the view can move those lines' pixels instead of drawing them again.

/// How an edit moved whole lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shift {
    /// A line was inserted at this index: the lines from there on moved down by one.
    Inserted(usize),
    /// The line at this index was removed: the lines after it moved up by one.
    Removed(usize),
}

/// Lines of text and a cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Buffer {
    /// Never empty: an empty text is one empty line.
    lines: Vec<String>,
    line: usize,
    col: usize,
    /// The column that Up and Down aim for, kept while they cross shorter lines.
    goal: Option<usize>,
    modified: bool,
    /// Where the selection started; it runs to the cursor.
    anchor: Option<(usize, usize)>,
}

impl Default for Buffer {
    fn default() -> Self {
        Self::from_text("")
    }
}

impl Buffer {
    /// A buffer holding `text`, with the cursor at its start. A `\r` before a line break is
    /// dropped (the text is saved with `\n` alone).
    pub fn from_text(text: &str) -> Self {
        Self {
            lines: text
                .split('\n')
                .map(|l| l.strip_suffix('\r').unwrap_or(l).to_owned())
                .collect(),
            line: 0,
            col: 0,
            goal: None,
            modified: false,
            anchor: None,
        }
    }

    /// The selection, start before end, when it is not empty.
    pub fn selection(&self) -> Option<((usize, usize), (usize, usize))> {
        let anchor = self.anchor?;
        let cursor = (self.line, self.col);
        match anchor.cmp(&cursor) {
            std::cmp::Ordering::Less => Some((anchor, cursor)),
            std::cmp::Ordering::Greater => Some((cursor, anchor)),
            std::cmp::Ordering::Equal => None,
        }
    }

    /// The selected text, lines joined by `\n`.
    pub fn selected_text(&self) -> Option<String> {
        let ((l1, c1), (l2, c2)) = self.selection()?;
        let mut out = String::new();
        for line in l1..=l2 {
            let text = self.lines.get(line)?;
            let from = if line == l1 { c1 } else { 0 };
            let count = if line == l2 {
                c2.saturating_sub(from)
            } else {
                usize::MAX
            };
            out.extend(text.chars().skip(from).take(count));
            if line != l2 {
                out.push('\n');
            }
        }
        Some(out)
    }

    /// Starts a selection at the cursor, unless one is started (Shift with a move).
    pub fn extend_selection(&mut self) {
        self.anchor.get_or_insert((self.line, self.col));
    }

    /// Puts the selection's anchor at the cursor (a mouse button went down here).
    pub fn anchor_here(&mut self) {
        self.anchor = Some((self.line, self.col));
    }

    /// Drops the selection (the text stays).
    pub fn clear_selection(&mut self) {
        self.anchor = None;
    }

    /// Selects the word at `line`, `col` (letters, digits and `_`), or the one character
    /// there when it is not part of a word (a double-click).
    pub fn select_word(&mut self, line: usize, col: usize) {
        self.set_cursor(line, col);
        let chars: Vec<char> = self.lines[self.line].chars().collect();
        let word = |c: &char| c.is_alphanumeric() || *c == '_';
        let at = self.col.min(chars.len().saturating_sub(1));
        if chars.get(at).is_none_or(|c| !word(c)) {
            self.anchor = Some((self.line, at));
            self.col = (at + 1).min(chars.len());
            return;
        }
        let start = chars[..at]
            .iter()
            .rposition(|c| !word(c))
            .map_or(0, |i| i + 1);
        let end = chars[at..]
            .iter()
            .position(|c| !word(c))
            .map_or(chars.len(), |i| at + i);
        self.anchor = Some((self.line, start));
        self.col = end;
    }

    /// Removes the selected text, leaving the cursor where it began. Returns the lines it
    /// removed (none without a selection).
    pub fn delete_selection(&mut self) -> Vec<Shift> {
        let Some(((l1, c1), (l2, c2))) = self.selection() else {
            self.anchor = None;
            return Vec::new();
        };
        self.anchor = None;
        let tail: String = self.lines[l2].chars().skip(c2).collect();
        let head: String = self.lines[l1].chars().take(c1).collect();
        self.lines[l1] = head + &tail;
        let removed = l2 - l1;
        self.lines.drain(l1 + 1..=l2);
        self.line = l1;
        self.col = c1;
        self.edited();
        (0..removed).map(|_| Shift::Removed(l1 + 1)).collect()
    }

    /// The whole text, lines joined by `\n`.
    pub fn text(&self) -> String {
        self.lines.join("\n")
    }

    /// The lines.
    pub fn lines(&self) -> &[String] {
        &self.lines
    }

    /// The cursor: line and column, from 0.
    pub fn cursor(&self) -> (usize, usize) {
        (self.line, self.col)
    }

    /// True when the text changed since it was loaded or last marked saved.
    pub fn is_modified(&self) -> bool {
        self.modified
    }

    /// Records that the text as it is now has been saved.
    pub fn mark_saved(&mut self) {
        self.modified = false;
    }

    /// The number of characters in line `line`.
    fn len(&self, line: usize) -> usize {
        self.lines.get(line).map_or(0, |l| l.chars().count())
    }

    /// The byte offset of the cursor in its line.
    fn byte(&self) -> usize {
        let line = &self.lines[self.line];
        line.char_indices()
            .nth(self.col)
            .map_or(line.len(), |(i, _)| i)
    }

    /// Types `text` at the cursor: `\n` splits the line, a tab is four spaces and other
    /// control characters (`\r` among them) are ignored. Returns the lines it moved.
    pub fn insert(&mut self, text: &str) -> Vec<Shift> {
        let mut shifts = Vec::new();
        for c in text.chars() {
            match c {
                '\n' => shifts.push(self.newline()),
                '\t' => (0..4).for_each(|_| self.insert_char(' ')),
                c if c.is_control() => {}
                c => self.insert_char(c),
            }
        }
        shifts
    }

    fn insert_char(&mut self, c: char) {
        let at = self.byte();
        self.lines[self.line].insert(at, c);
        self.col += 1;
        self.edited();
    }

    /// Splits the line at the cursor (Enter).
    pub fn newline(&mut self) -> Shift {
        let at = self.byte();
        let tail = self.lines[self.line].split_off(at);
        self.line += 1;
        self.col = 0;
        self.lines.insert(self.line, tail);
        self.edited();
        Shift::Inserted(self.line)
    }

    /// Removes the character before the cursor, or joins the line to the one above.
    pub fn backspace(&mut self) -> Option<Shift> {
        if self.col > 0 {
            self.col -= 1;
            let at = self.byte();
            self.lines[self.line].remove(at);
            self.edited();
            None
        } else if self.line > 0 {
            let removed = self.line;
            let text = self.lines.remove(removed);
            self.line -= 1;
            self.col = self.len(self.line);
            self.lines[self.line].push_str(&text);
            self.edited();
            Some(Shift::Removed(removed))
        } else {
            None
        }
    }

    /// Removes the character after the cursor, or joins the next line to this one.
    pub fn delete(&mut self) -> Option<Shift> {
        if self.col < self.len(self.line) {
            let at = self.byte();
            self.lines[self.line].remove(at);
            self.edited();
            None
        } else if self.line + 1 < self.lines.len() {
            let text = self.lines.remove(self.line + 1);
            self.lines[self.line].push_str(&text);
            self.edited();
            Some(Shift::Removed(self.line + 1))
        } else {
            None
        }
    }

    fn edited(&mut self) {
        self.modified = true;
        self.goal = None;
        // Typing after a click must not select what it types.
        self.anchor = None;
    }

    /// One character left, to the end of the line above from the start of a line.
    pub fn left(&mut self) {
        if self.col > 0 {
            self.col -= 1;
        } else if self.line > 0 {
            self.line -= 1;
            self.col = self.len(self.line);
        }
        self.goal = None;
    }

    /// One character right, to the start of the next line from the end of a line.
    pub fn right(&mut self) {
        if self.col < self.len(self.line) {
            self.col += 1;
        } else if self.line + 1 < self.lines.len() {
            self.line += 1;
            self.col = 0;
        }
        self.goal = None;
    }

    /// Moves `by` lines down (up when negative), aiming for the same column.
    pub fn vertical(&mut self, by: isize) {
        let goal = *self.goal.get_or_insert(self.col);
        let last = self.lines.len() - 1;
        self.line = self.line.saturating_add_signed(by).min(last);
        self.col = goal.min(self.len(self.line));
    }

    /// To the start of the line, or of the text.
    pub fn home(&mut self, of_text: bool) {
        if of_text {
            self.line = 0;
        }
        self.col = 0;
        self.goal = None;
    }

    /// To the end of the line, or of the text.
    pub fn end(&mut self, of_text: bool) {
        if of_text {
            self.line = self.lines.len() - 1;
        }
        self.col = self.len(self.line);
        self.goal = None;
    }

    /// Puts the cursor at `line`, `col`, clamped to the text (a click).
    pub fn set_cursor(&mut self, line: usize, col: usize) {
        self.line = line.min(self.lines.len() - 1);
        self.col = col.min(self.len(self.line));
        self.goal = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typing_and_enter_build_lines() {
        let mut b = Buffer::default();
        assert_eq!(b.insert("héllo\nworld"), vec![Shift::Inserted(1)]);
        assert_eq!(b.text(), "héllo\nworld");
        assert_eq!(b.cursor(), (1, 5));
        assert!(b.is_modified());
    }

    #[test]
    fn backspace_at_the_start_of_a_line_joins_it() {
        let mut b = Buffer::from_text("ab\ncd\nef");
        b.set_cursor(1, 0);
        assert_eq!(b.backspace(), Some(Shift::Removed(1)));
        assert_eq!(b.text(), "abcd\nef");
        assert_eq!(b.cursor(), (0, 2));
        assert_eq!(b.backspace(), None);
        assert_eq!(b.text(), "acd\nef");
    }

    #[test]
    fn delete_at_the_end_of_a_line_joins_the_next() {
        let mut b = Buffer::from_text("ab\ncd");
        b.end(false);
        assert_eq!(b.delete(), Some(Shift::Removed(1)));
        assert_eq!(b.text(), "abcd");
        b.end(true);
        assert_eq!(b.delete(), None);
        assert_eq!(b.text(), "abcd");
        b.home(false);
        b.delete();
        assert_eq!(b.text(), "bcd");
    }

    #[test]
    fn up_and_down_keep_the_goal_column() {
        let mut b = Buffer::from_text("long line\nab\nanother long");
        b.set_cursor(0, 7);
        b.vertical(1);
        assert_eq!(b.cursor(), (1, 2));
        b.vertical(1);
        assert_eq!(b.cursor(), (2, 7));
        b.vertical(-10);
        assert_eq!(b.cursor(), (0, 7));
    }

    #[test]
    fn arrows_cross_line_ends() {
        let mut b = Buffer::from_text("ab\ncd");
        b.set_cursor(1, 0);
        b.left();
        assert_eq!(b.cursor(), (0, 2));
        b.right();
        assert_eq!(b.cursor(), (1, 0));
        b.end(true);
        b.right();
        assert_eq!(b.cursor(), (1, 2));
    }

    #[test]
    fn a_selection_runs_from_its_anchor_and_is_removed_whole() {
        let mut b = Buffer::from_text("one two\nthree four\nfive");
        b.set_cursor(0, 4);
        b.extend_selection();
        b.vertical(1);
        b.right();
        assert_eq!(b.selected_text().as_deref(), Some("two\nthree"));
        assert_eq!(b.delete_selection(), vec![Shift::Removed(1)]);
        assert_eq!(b.text(), "one  four\nfive");
        assert_eq!(b.cursor(), (0, 4));
        assert_eq!(b.selection(), None);
        // Backwards, from the anchor to a cursor before it.
        b.set_cursor(1, 4);
        b.anchor_here();
        b.home(false);
        assert_eq!(b.selected_text().as_deref(), Some("five"));
        // Typing after a click selects nothing.
        b.set_cursor(0, 0);
        b.anchor_here();
        b.insert("ab");
        assert_eq!(b.selection(), None);
    }

    #[test]
    fn a_double_click_selects_the_word_under_it() {
        let mut b = Buffer::from_text("say hello_world, twice");
        b.select_word(0, 7);
        assert_eq!(b.selected_text().as_deref(), Some("hello_world"));
        b.select_word(0, 15);
        assert_eq!(b.selected_text().as_deref(), Some(","));
        b.select_word(0, 99);
        assert_eq!(b.selected_text().as_deref(), Some("twice"));
    }

    #[test]
    fn crlf_is_read_as_lf() {
        assert_eq!(Buffer::from_text("a\r\nb\r\n").text(), "a\nb\n");
    }
}
