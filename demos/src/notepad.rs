//! `notepad`: a text editor in the monospaced font, with a cursor, the usual editing and
//! moving keys, Ctrl+S to save, and a status line with the file's name, whether it has
//! unsaved changes, and the cursor's line:column.
//!
//! A keystroke redraws only the line it changed (and the status line). When the cursor
//! passes the bottom or the top of the window, the text scrolls by moving the pixels
//! already on the display (`CopyArea`) and drawing only the line that came into view; a
//! line break or a joined line moves the lines below it the same way.
//!
//! Text is selected with Shift and the moving keys, by dragging with the left button, or by
//! a double-click on a word. Ctrl+C copies the selection to the clipboard, Ctrl+X cuts it,
//! Ctrl+V pastes; whatever is selected is also the primary selection, which a middle click
//! pastes (here or in any other application on the display), as in X.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use netui::{
    Button, Color, Display, Event, Font, Key, KeyEvent, Modifiers, Point, Rect, Selection, Size,
    Window,
};

use crate::pump::{self, App, Flow};
use crate::rows::Rows;

pub mod buffer;
mod draw;

use buffer::{Buffer, Shift};

/// The window's title (after the file's name).
pub const TITLE: &str = "Notepad";
/// The window's size when it opens.
pub const SIZE: Size = Size::new(640, 440);
/// The file that [`run`] edits, in the current directory.
pub const DEFAULT_FILE: &str = "notepad.txt";

/// Where the window opens on the screen.
const ORIGIN: Point = Point::new(60, 40);
const FONT_SIZE: u16 = 16;
/// Left margin of the text and the status line.
const MARGIN: i32 = 8;
/// Gap above the first line.
const TOP: i32 = 4;
/// The longest status line sent (a text request holds at most 4 KiB).
const STATUS_CHARS: usize = 240;

const PAPER: Color = Color::rgb(0xfd, 0xfc, 0xf8);
const INK: Color = Color::rgb(0x1f, 0x23, 0x28);
const CURSOR: Color = Color::rgb(0x1f, 0x6f, 0xeb);
const BAR: Color = Color::rgb(0xe8, 0xe6, 0xdf);
const BAR_INK: Color = Color::rgb(0x3a, 0x3f, 0x47);
const RULE: Color = Color::rgb(0xc9, 0xc6, 0xbd);
const SELECTED: Color = Color::rgb(0xb4, 0xd5, 0xfe);
/// Two clicks closer in time than this, at the same character, are a double-click.
const DOUBLE_CLICK: Duration = Duration::from_millis(500);

/// What a text row shows: its visible characters and the cursor's column among them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Row {
    text: String,
    cursor: Option<usize>,
    /// The selected columns among them, start and end.
    selected: Option<(usize, usize)>,
}

/// The editor: a buffer, the file it belongs to, and what its window shows.
#[derive(Debug)]
pub struct Notepad {
    window: Window,
    size: Size,
    buffer: Buffer,
    path: Option<PathBuf>,
    /// Why saving is refused: the file exists but could not be read, so saving would
    /// destroy it.
    locked: Option<String>,
    /// A message for the status line ("saved", an error); an edit clears it.
    message: String,
    /// The first line shown, and the first column.
    top: usize,
    left: usize,
    char_width: i32,
    line_height: i32,
    rows: Rows<Row>,
    /// The status line on the display.
    status: Option<String>,
    /// The whole window must be drawn (it was exposed or resized).
    full: bool,
    /// Something was queued since the last [`Notepad::draw`].
    drew: bool,
    /// The left button is down: moves extend the selection.
    dragging: bool,
    /// The last left click: when and at which line and column, for double-clicks.
    last_click: Option<(Instant, (usize, usize))>,
    /// The text last claimed as the primary selection.
    primary: Option<String>,
}

impl Notepad {
    /// Opens a window editing `path`, loaded if it exists (`None`: a buffer that cannot be
    /// saved). A file that cannot be read is reported in the status line and on stderr,
    /// and is then protected from saving over it.
    pub fn open(display: &mut Display, path: Option<PathBuf>) -> Result<Self, netui::Error> {
        let (buffer, message, locked) = match &path {
            Some(path) => load(path),
            None => (Buffer::default(), String::new(), None),
        };
        let title = match path.as_deref().and_then(Path::file_name) {
            Some(name) => format!("{} - {TITLE}", name.to_string_lossy()),
            None => TITLE.to_owned(),
        };
        let rect = Rect::new(ORIGIN.x, ORIGIN.y, SIZE.width, SIZE.height);
        let window = display.create_window(rect, &title, PAPER)?;
        display.map(window);
        let line_height = display
            .line_metrics(Font::Mono, FONT_SIZE)
            .line_height
            .max(1);
        let char_width = display.text_width(Font::Mono, FONT_SIZE, "M").max(1) as i32;
        let mut notepad = Self {
            window,
            size: SIZE,
            buffer,
            path,
            locked,
            message,
            top: 0,
            left: 0,
            char_width,
            line_height,
            rows: Rows::new(window, Rect::default(), line_height as u32),
            status: None,
            full: true,
            drew: false,
            dragging: false,
            last_click: None,
            primary: None,
        };
        notepad.layout();
        Ok(notepad)
    }

    /// The window.
    pub fn window(&self) -> Window {
        self.window
    }

    /// The text and the cursor.
    pub fn buffer(&self) -> &Buffer {
        &self.buffer
    }

    /// The first line shown.
    pub fn top(&self) -> usize {
        self.top
    }

    /// The status line's message ("saved", an error, or nothing).
    pub fn message(&self) -> &str {
        &self.message
    }

    fn status_height(&self) -> i32 {
        self.line_height + 8
    }

    /// Places the text rows for the window's size; everything will be drawn again.
    fn layout(&mut self) {
        let bottom = self.size.height as i32 - self.status_height() - 1;
        let height = (bottom - TOP).max(0) as u32;
        self.rows
            .set_area(Rect::new(0, TOP, self.size.width, height));
        self.full = true;
    }

    /// Whole characters that fit across the window.
    fn columns(&self) -> usize {
        ((self.size.width as i32 - 2 * MARGIN) / self.char_width).max(1) as usize
    }

    /// Applies an event (real or scripted). Returns false when the editor should end.
    pub fn handle(&mut self, display: &mut Display, event: &Event) -> bool {
        if event.window() != self.window.0 {
            return true;
        }
        match event {
            Event::Expose { .. } => self.full = true,
            Event::Configure { rect, .. } if rect.size() != self.size => {
                self.size = rect.size();
                self.layout();
            }
            Event::CloseRequested { .. } => return false,
            Event::KeyPress(key) => self.key(display, key),
            Event::ButtonPress {
                button: Button::Left,
                pos,
                modifiers,
                ..
            } => {
                let Some(at) = self.position(*pos) else {
                    return true;
                };
                let now = Instant::now();
                let double = self
                    .last_click
                    .is_some_and(|(when, was)| was == at && now - when < DOUBLE_CLICK);
                if double {
                    self.buffer.select_word(at.0, at.1);
                    self.last_click = None;
                } else {
                    if modifiers.contains(Modifiers::SHIFT) {
                        self.buffer.extend_selection();
                        self.buffer.set_cursor(at.0, at.1);
                    } else {
                        self.buffer.set_cursor(at.0, at.1);
                        self.buffer.anchor_here();
                    }
                    self.dragging = true;
                    self.last_click = Some((now, at));
                }
            }
            Event::PointerMotion { pos, .. } if self.dragging => {
                if let Some((line, col)) = self.position(*pos) {
                    self.buffer.set_cursor(line, col);
                }
            }
            Event::ButtonRelease {
                button: Button::Left,
                ..
            } => self.dragging = false,
            Event::ButtonPress {
                button: Button::Middle,
                pos,
                ..
            } => {
                if let Some((line, col)) = self.position(*pos) {
                    self.buffer.set_cursor(line, col);
                    self.buffer.clear_selection();
                    self.paste(display, Selection::Primary);
                }
            }
            _ => {}
        }
        self.claim_primary(display);
        true
    }

    /// The line and column under a point of the window, if it is on a text row.
    fn position(&self, pos: Point) -> Option<(usize, usize)> {
        let row = (pos.y - TOP).div_euclid(self.line_height);
        let col = (pos.x - MARGIN + self.char_width / 2).max(0) / self.char_width;
        (row >= 0 && (row as usize) < self.rows.len())
            .then(|| (self.top + row as usize, self.left + col as usize))
    }

    /// Makes the selected text the primary selection, when it changed.
    fn claim_primary(&mut self, display: &mut Display) {
        let selected = self.buffer.selected_text();
        if selected.is_none() || selected == self.primary {
            return;
        }
        if let Some(text) = &selected {
            if let Err(e) = display.set_selection_text(Selection::Primary, text) {
                tracing::warn!("cannot claim the primary selection: {e}");
            }
        }
        self.primary = selected;
    }

    /// Copies the selection to the clipboard (Ctrl+C); returns whether there was one.
    fn copy(&mut self, display: &mut Display) -> bool {
        let Some(text) = self.buffer.selected_text() else {
            return false;
        };
        match display.set_selection_text(Selection::Clipboard, &text) {
            Ok(()) => self.message = "copied".into(),
            Err(e) => self.message = format!("cannot copy: {e}"),
        }
        true
    }

    /// Pastes `selection`'s text at the cursor, over the selection if there is one.
    fn paste(&mut self, display: &mut Display, selection: Selection) {
        let text = match display.paste_text(selection) {
            Ok(Some(text)) => text,
            Ok(None) => {
                self.message = "nothing to paste".into();
                return;
            }
            Err(e) => {
                self.message = format!("cannot paste: {e}");
                return;
            }
        };
        let mut shifts = self.buffer.delete_selection();
        shifts.extend(self.buffer.insert(&text.replace("\r\n", "\n")));
        for shift in shifts {
            self.move_lines(display, shift);
        }
        self.message.clear();
    }

    fn key(&mut self, display: &mut Display, key: &KeyEvent) {
        let ctrl = key.modifiers.contains(Modifiers::CONTROL);
        let page = self.rows.len().max(1) as isize;
        let moving = matches!(
            key.key,
            Key::Left
                | Key::Right
                | Key::Up
                | Key::Down
                | Key::PageUp
                | Key::PageDown
                | Key::Home
                | Key::End
        );
        if moving {
            if key.modifiers.contains(Modifiers::SHIFT) {
                self.buffer.extend_selection();
            } else {
                self.buffer.clear_selection();
            }
        }
        let selected = self.buffer.selection().is_some();
        let shifts = match key.key {
            Key::Character('s') if ctrl => return self.save(),
            Key::Character('c') if ctrl => {
                self.copy(display);
                return;
            }
            Key::Character('x') if ctrl => {
                if self.copy(display) {
                    self.buffer.delete_selection()
                } else {
                    return;
                }
            }
            Key::Character('v') if ctrl => return self.paste(display, Selection::Clipboard),
            Key::Character('a') if ctrl => {
                self.buffer.home(true);
                self.buffer.anchor_here();
                return self.buffer.end(true);
            }
            Key::Left => return self.buffer.left(),
            Key::Right => return self.buffer.right(),
            Key::Up => return self.buffer.vertical(-1),
            Key::Down => return self.buffer.vertical(1),
            Key::PageUp => return self.buffer.vertical(-page),
            Key::PageDown => return self.buffer.vertical(page),
            Key::Home => return self.buffer.home(ctrl),
            Key::End => return self.buffer.end(ctrl),
            Key::Backspace | Key::Delete if selected => self.buffer.delete_selection(),
            Key::Enter => {
                let mut shifts = self.buffer.delete_selection();
                shifts.push(self.buffer.newline());
                shifts
            }
            Key::Backspace => self.buffer.backspace().into_iter().collect(),
            Key::Delete => self.buffer.delete().into_iter().collect(),
            Key::Tab => {
                let mut shifts = self.buffer.delete_selection();
                shifts.extend(self.buffer.insert("\t"));
                shifts
            }
            _ if ctrl || key.modifiers.contains(Modifiers::ALT) || key.text.is_empty() => return,
            _ => {
                let mut shifts = self.buffer.delete_selection();
                shifts.extend(self.buffer.insert(&key.text));
                shifts
            }
        };
        for shift in shifts {
            self.move_lines(display, shift);
        }
        self.message.clear();
    }

    /// Moves the rows below an inserted or removed line on the display, so that only the
    /// lines whose text changed are drawn again.
    fn move_lines(&mut self, display: &mut Display, shift: Shift) {
        let shown = self.top..self.top + self.rows.len();
        match shift {
            Shift::Inserted(at) if shown.contains(&at) => {
                self.rows.shift(display, at - self.top..shown.len(), 1);
            }
            Shift::Removed(at) if shown.contains(&at) => {
                self.rows.shift(display, at + 1 - self.top..shown.len(), -1);
            }
            _ => return,
        }
        self.drew = true;
    }

    fn save(&mut self) {
        let Some(path) = &self.path else {
            self.message = "not saved: no file to save to".into();
            return;
        };
        if let Some(why) = &self.locked {
            self.message = format!("not saved: {why}");
            return;
        }
        match save(path, &self.buffer.text()) {
            Ok(()) => {
                self.buffer.mark_saved();
                self.message = "saved".into();
            }
            Err(e) => {
                tracing::warn!("cannot save {}: {e}", path.display());
                self.message = format!("cannot save: {e}");
            }
        }
    }
}

/// Writes `text` to `path`, exactly.
pub fn save(path: &Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, text)
}

/// Reads the file to edit: the buffer, a message for the status line, and the reason to
/// refuse saving (the file exists but cannot be read as text).
fn load(path: &Path) -> (Buffer, String, Option<String>) {
    let refuse = |why: String| {
        tracing::warn!("{why}");
        (Buffer::default(), why.clone(), Some(why))
    };
    match std::fs::read(path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => (Buffer::from_text(&text), String::new(), None),
            Err(_) => refuse(format!("{} is not UTF-8 text", path.display())),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            (Buffer::default(), "new file".into(), None)
        }
        Err(e) => refuse(format!("cannot read {}: {e}", path.display())),
    }
}

/// Edits [`DEFAULT_FILE`] in the current directory (loaded if it exists) until the window
/// is closed.
pub fn run(display: &mut Display) -> Result<(), netui::Error> {
    run_with(display, None)
}

/// Edits `path` (or [`DEFAULT_FILE`]) until the window is closed.
pub fn run_with(display: &mut Display, path: Option<PathBuf>) -> Result<(), netui::Error> {
    let path = path.unwrap_or_else(|| PathBuf::from(DEFAULT_FILE));
    let mut notepad = Notepad::open(display, Some(path))?;
    pump::run(display, &mut notepad)
}

/// Every event that has arrived is applied, then the window is drawn once.
impl App for Notepad {
    fn event(&mut self, display: &mut Display, event: &Event) -> Result<Flow, netui::Error> {
        Ok(Flow::continue_if(self.handle(display, event)))
    }

    fn show(&mut self, display: &mut Display) -> Result<(), netui::Error> {
        if self.draw(display) {
            display.present(self.window)?;
        }
        Ok(())
    }
}

/// The text that [`script`] types, one key per frame.
pub const SCRIPT_TEXT: &str = "\
netui notepad
=============

This is a small text editor that runs on a remote display.
Every key you press travels to the application, and only the
line that changed travels back to the display server.

When the text reaches the bottom of the window, the editor
asks the server to move the pixels it already has up by one
line, and then draws just the new line at the bottom.

Keys: the arrows move the cursor, Home and End jump to the
ends of a line, Backspace and Delete remove characters, Enter
splits a line, and Ctrl+S saves the file.

The status line below shows the name of the file, a star
while it has unsaved changes, and the cursor's line:column.

Like X11 before it, netui sends over the network only what
is new: a keystroke sends the line it changed, and a scroll
moves the pixels already there with one copy request.

The quick brown fox jumps over the lazy dog.
Pack my box with five dozen liquor jugs.
How vexingly quick daft zebras jump!
The end.";

/// The keys of [`script`]: [`SCRIPT_TEXT`] typed with one typo put right, Ctrl+S, then a
/// walk through the text that ends at its end (so that a longer script types it again).
pub fn script_events(window: Window) -> Vec<Event> {
    let press = |key: Key, modifiers: Modifiers, text: &str| {
        Event::KeyPress(KeyEvent {
            window: window.0,
            key,
            modifiers,
            text: text.to_owned(),
        })
    };
    let typed = |c: char| match c {
        '\n' => press(Key::Enter, Modifiers::NONE, "\r"),
        c => {
            let shift = if c.is_uppercase() {
                Modifiers::SHIFT
            } else {
                Modifiers::NONE
            };
            let key = c.to_lowercase().next().unwrap_or(c);
            press(Key::Character(key), shift, &c.to_string())
        }
    };
    // The typo: "sml", rubbed out, before "small" is typed.
    let typo = SCRIPT_TEXT.find("small");
    let mut events = Vec::new();
    for (i, c) in SCRIPT_TEXT.char_indices() {
        if Some(i) == typo {
            events.extend("sml".chars().map(typed));
            events.extend((0..3).map(|_| press(Key::Backspace, Modifiers::NONE, "\u{8}")));
        }
        events.push(typed(c));
    }
    events.push(press(Key::Character('s'), Modifiers::CONTROL, "\u{13}"));
    for key in [Key::Up, Key::Up, Key::Up, Key::Home, Key::Right, Key::Right]
        .into_iter()
        .chain([Key::End, Key::PageUp, Key::Down, Key::Down, Key::Left])
    {
        events.push(press(key, Modifiers::NONE, ""));
    }
    events.push(press(Key::End, Modifiers::CONTROL, ""));
    events
}

/// A deterministic session: types [`SCRIPT_TEXT`] one key per frame (see
/// [`script_events`]; a longer script goes round again), saving into a temporary
/// directory that is removed at the end. Draws exactly `frames` frames without sleeping,
/// waits for the server, and returns the window with the connection open.
pub fn script(display: &mut Display, frames: u32) -> Result<Window, netui::Error> {
    // Without a temporary directory the session is the same, except that Ctrl+S says it
    // has nowhere to save.
    let dir = tempfile::tempdir().ok();
    let path = dir.as_ref().map(|d| d.path().join("notes.txt"));
    let mut notepad = Notepad::open(display, path)?;
    let events = script_events(notepad.window);
    for frame in 0..frames as usize {
        // The script is never empty: it types a constant text.
        if let Some(i) = frame.checked_sub(1) {
            notepad.handle(display, &events[i % events.len()]);
        }
        notepad.draw(display);
        display.present(notepad.window)?;
    }
    display.sync()?;
    Ok(notepad.window)
}
