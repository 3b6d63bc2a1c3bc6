//! `files`: a file browser. One row per entry of a folder (an icon, the name, the size),
//! a highlighted selection that Up, Down, PageUp, PageDown, Home, End and clicks move, the
//! wheel to scroll, Enter to open a folder, Backspace for the folder above, Escape to quit.
//!
//! Scrolling moves the rows already on the display (`CopyArea`) and draws only the rows
//! that came into view; moving the selection draws the two rows it left and entered.

use std::path::{Path, PathBuf};

use netui::{
    Button, Color, Display, Event, Font, Key, KeyEvent, Modifiers, Point, Rect, Selection, Size,
    Window,
};

use crate::pump::{self, App, Flow};
use crate::rows::Rows;

mod draw;
pub mod listing;

use listing::{list, Kind, Listing};

/// The window's title.
pub const TITLE: &str = "Files";
/// The window's size when it opens.
pub const SIZE: Size = Size::new(520, 440);

/// Where the window opens on the screen.
const ORIGIN: Point = Point::new(120, 60);
const FONT_SIZE: u16 = 14;
/// Horizontal padding, and the icon's side.
const PAD: i32 = 10;
const ICON: i32 = 12;
/// Rows the wheel scrolls per notch.
const WHEEL_ROWS: isize = 3;

const PAPER: Color = Color::WHITE;
const STRIPE: Color = Color::rgb(0xf3, 0xf5, 0xf8);
const SELECTED: Color = Color::rgb(0x2f, 0x6f, 0xd6);
const INK: Color = Color::rgb(0x1f, 0x23, 0x28);
const FAINT: Color = Color::rgb(0x6a, 0x73, 0x7d);
const FOLDER: Color = Color::rgb(0xe8, 0xa8, 0x25);
const FILE: Color = Color::rgb(0x8d, 0xa2, 0xbd);
const BAR: Color = Color::rgb(0x2b, 0x30, 0x3b);
const BAR_INK: Color = Color::rgb(0xee, 0xf0, 0xf3);

/// What a row shows: an entry of one listing (by its generation), selected or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct RowKey {
    generation: u64,
    entry: Option<usize>,
    selected: bool,
}

/// The browser: a listing, the selection and scroll position, and what the window shows.
#[derive(Debug)]
pub struct Browser {
    window: Window,
    size: Size,
    listing: Listing,
    /// Counts listings, so that rows of an old listing are never taken for the new one's.
    generation: u64,
    selected: usize,
    top: usize,
    /// The first entry the rows on the display show.
    drawn_top: usize,
    /// Paths under this folder are shown from `~`.
    home: Option<PathBuf>,
    /// An error to show in the footer (until the next folder opens).
    message: Option<String>,
    row_height: i32,
    bar_height: i32,
    rows: Rows<RowKey>,
    header: Option<String>,
    footer: Option<(String, String)>,
    full: bool,
    drew: bool,
}

impl Browser {
    /// Opens a window listing `dir`. Paths under `home` are shown from `~`. A folder that
    /// cannot be read is reported in the window and on stderr.
    pub fn open(
        display: &mut Display,
        dir: &Path,
        home: Option<&Path>,
    ) -> Result<Self, netui::Error> {
        let rect = Rect::new(ORIGIN.x, ORIGIN.y, SIZE.width, SIZE.height);
        let window = display.create_window(rect, TITLE, PAPER)?;
        display.map(window);
        let line = display
            .line_metrics(Font::Sans, FONT_SIZE)
            .line_height
            .max(1);
        let row_height = line + 6;
        let mut browser = Self {
            window,
            size: SIZE,
            listing: Listing::default(),
            generation: 0,
            selected: 0,
            top: 0,
            drawn_top: 0,
            home: home.map(|h| std::fs::canonicalize(h).unwrap_or_else(|_| h.to_path_buf())),
            message: None,
            row_height,
            bar_height: line + 10,
            rows: Rows::new(window, Rect::default(), row_height as u32),
            header: None,
            footer: None,
            full: true,
            drew: false,
        };
        browser.layout();
        if !browser.open_dir(dir, None) {
            // Show the folder's name and why it is empty.
            browser.listing.dir = dir.to_path_buf();
        }
        Ok(browser)
    }

    /// The window.
    pub fn window(&self) -> Window {
        self.window
    }

    /// The folder shown and its entries.
    pub fn listing(&self) -> &Listing {
        &self.listing
    }

    /// The index of the selected entry.
    pub fn selected(&self) -> usize {
        self.selected
    }

    /// The index of the first entry shown.
    pub fn top(&self) -> usize {
        self.top
    }

    /// The error shown in the footer, if any.
    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }

    fn layout(&mut self) {
        let height = self.size.height as i32 - 2 * self.bar_height;
        let area = Rect::new(0, self.bar_height, self.size.width, height.max(0) as u32);
        self.rows.set_area(area);
        self.full = true;
        self.scroll_to(self.top);
    }

    /// Lists `dir` and selects the entry named `select` (or the first). On failure the
    /// current listing stays and the footer says why; returns false.
    fn open_dir(&mut self, dir: &Path, select: Option<&str>) -> bool {
        let dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
        match list(&dir) {
            Ok(listing) => {
                self.listing = listing;
                self.generation += 1;
                self.message = None;
                self.selected = select
                    .and_then(|name| self.listing.entries.iter().position(|e| e.name == name))
                    .unwrap_or(0);
                self.top = 0;
                self.follow_selection();
                // Every row changes: moving the old ones would be wasted.
                self.drawn_top = self.top;
                true
            }
            Err(e) => {
                let why = format!("cannot open {}: {e}", dir.display());
                tracing::warn!("{why}");
                self.message = Some(why);
                false
            }
        }
    }

    fn scroll_to(&mut self, top: usize) {
        let last = self.listing.entries.len().saturating_sub(self.rows.len());
        self.top = top.min(last);
    }

    /// Scrolls as little as needed to show the selection.
    fn follow_selection(&mut self) {
        let rows = self.rows.len().max(1);
        if self.selected < self.top {
            self.scroll_to(self.selected);
        } else if self.selected >= self.top + rows {
            self.scroll_to(self.selected + 1 - rows);
        }
    }

    fn select(&mut self, index: isize) {
        let last = self.listing.entries.len().saturating_sub(1) as isize;
        self.selected = index.clamp(0, last.max(0)) as usize;
        self.follow_selection();
    }

    /// Applies an event (real or scripted). Returns false when the browser should end.
    pub fn handle(&mut self, event: &Event) -> bool {
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
            Event::KeyPress(key) => return self.key(key),
            Event::Wheel { dy, .. } => {
                let top = self.top as isize + *dy as isize * WHEEL_ROWS;
                self.scroll_to(top.max(0) as usize);
            }
            Event::ButtonPress {
                button: Button::Left,
                pos,
                ..
            } => {
                let row = (pos.y - self.bar_height).div_euclid(self.row_height);
                if row >= 0 && (row as usize) < self.rows.len() {
                    let index = self.top + row as usize;
                    if index < self.listing.entries.len() {
                        self.select(index as isize);
                    }
                }
            }
            _ => {}
        }
        true
    }

    fn key(&mut self, key: &KeyEvent) -> bool {
        let page = self.rows.len().max(1) as isize;
        let at = self.selected as isize;
        match key.key {
            Key::Escape => return false,
            Key::Up => self.select(at - 1),
            Key::Down => self.select(at + 1),
            Key::PageUp => self.select(at - page),
            Key::PageDown => self.select(at + page),
            Key::Home => self.select(0),
            Key::End => self.select(isize::MAX),
            Key::Enter => self.enter(),
            Key::Backspace => self.up(),
            Key::Character('q') if key.modifiers.contains(Modifiers::CONTROL) => return false,
            _ => {}
        }
        true
    }

    /// The full path of the selected entry (`None` for `..` or an empty folder).
    pub fn selected_path(&self) -> Option<PathBuf> {
        let entry = self.listing.entries.get(self.selected)?;
        (entry.kind != Kind::Parent).then(|| self.listing.dir.join(&entry.name))
    }

    /// Copies the selected entry's full path to the clipboard, as text (Ctrl+C).
    pub fn copy(&mut self, display: &mut Display) -> Result<(), netui::Error> {
        if let Some(path) = self.selected_path() {
            display.set_selection_text(Selection::Clipboard, &path.to_string_lossy())?;
        }
        Ok(())
    }

    /// Opens the selected folder.
    fn enter(&mut self) {
        let Some(entry) = self.listing.entries.get(self.selected) else {
            return;
        };
        match entry.kind {
            Kind::Parent => self.up(),
            Kind::Dir => {
                let dir = self.listing.dir.join(&entry.name);
                self.open_dir(&dir, None);
            }
            Kind::File => {}
        }
    }

    /// Opens the folder above, with the one we came from selected.
    fn up(&mut self) {
        let dir = self.listing.dir.clone();
        if let Some(parent) = dir.parent() {
            let name = dir.file_name().map(|n| n.to_string_lossy().into_owned());
            self.open_dir(parent, name.as_deref());
        }
    }

    /// The folder as the header shows it: from `~` under the home folder.
    fn shown_dir(&self) -> String {
        let dir = &self.listing.dir;
        match self.home.as_deref().and_then(|h| dir.strip_prefix(h).ok()) {
            Some(rest) if rest.as_os_str().is_empty() => "~".into(),
            Some(rest) => format!("~/{}", rest.display()),
            None => dir.display().to_string(),
        }
    }
}

/// Whether `event` is Ctrl+C in `window`: what the file browser and the image viewer copy
/// on.
pub fn is_copy(event: &Event, window: Window) -> bool {
    matches!(event, Event::KeyPress(k)
        if k.window == window.0
            && k.key == Key::Character('c')
            && k.modifiers.contains(Modifiers::CONTROL))
}

/// Browses the current folder until the window is closed or Escape is pressed.
pub fn run(display: &mut Display) -> Result<(), netui::Error> {
    run_with(display, None)
}

/// Browses `dir` (or the current folder) until the window is closed or Escape is pressed.
pub fn run_with(display: &mut Display, dir: Option<PathBuf>) -> Result<(), netui::Error> {
    let dir = dir.unwrap_or_else(|| PathBuf::from("."));
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let mut browser = Browser::open(display, &dir, home.as_deref())?;
    pump::run(display, &mut browser)
}

/// Every event that has arrived is applied, then the window is drawn once.
impl App for Browser {
    fn event(&mut self, display: &mut Display, event: &Event) -> Result<Flow, netui::Error> {
        if is_copy(event, self.window) {
            self.copy(display)?;
        }
        Ok(Flow::continue_if(self.handle(event)))
    }

    fn show(&mut self, display: &mut Display) -> Result<(), netui::Error> {
        if self.draw(display) {
            display.present(self.window)?;
        }
        Ok(())
    }
}

/// Builds the folder tree that [`script`] browses: five folders of 24 files each and 120
/// files with made-up names and sizes (sparse: they take no disk space).
pub fn make_tree(root: &Path) -> std::io::Result<()> {
    const FOLDERS: [(&str, &str); 5] = [
        ("documents", "report-{}.pdf"),
        ("music", "track-{}.flac"),
        ("photos", "holiday-{}.jpg"),
        ("projects", "notes-{}.md"),
        ("videos", "clip-{}.mp4"),
    ];
    const ADJECTIVES: [&str; 10] = [
        "amber", "brisk", "calm", "dusty", "eager", "faded", "gentle", "hollow", "ivory", "jolly",
    ];
    const NOUNS: [&str; 8] = [
        "river", "garden", "lantern", "meadow", "harbor", "canyon", "orchard", "summit",
    ];
    const EXTENSIONS: [&str; 6] = ["txt", "png", "rs", "toml", "md", "csv"];
    let sized = |path: PathBuf, size: u64| std::fs::File::create(path)?.set_len(size);
    for (f, (folder, pattern)) in FOLDERS.iter().enumerate() {
        let dir = root.join(folder);
        std::fs::create_dir_all(&dir)?;
        for i in 0..24u64 {
            let name = pattern.replace("{}", &format!("{:02}", i + 1));
            sized(
                dir.join(name),
                (i + 1) * 48_611 * (f as u64 + 1) % 9_000_000,
            )?;
        }
    }
    for i in 0..120usize {
        let name = format!(
            "{}-{}-{i:03}.{}",
            ADJECTIVES[i % 10],
            NOUNS[i * 7 % 8],
            EXTENSIONS[i * 5 % 6]
        );
        sized(root.join(name), (i as u64 * 7919 + 13) % 250_000)?;
    }
    Ok(())
}

/// The input of [`script`], in a tree made by [`make_tree`]: keys and the wheel down the
/// list and back up, into `photos` and out again, ending where it started.
pub fn script_events(window: Window) -> Vec<Event> {
    let key = |key: Key| {
        Event::KeyPress(KeyEvent {
            window: window.0,
            key,
            modifiers: Modifiers::NONE,
            text: String::new(),
        })
    };
    let wheel = |dy: i32| Event::Wheel {
        window: window.0,
        dx: 0,
        dy,
        pos: Point::new(200, 200),
        modifiers: Modifiers::NONE,
    };
    let steps = [
        (key(Key::Down), 24),
        (key(Key::PageDown), 2),
        (wheel(1), 4),
        (key(Key::Down), 3),
        (key(Key::End), 1),
        (wheel(-1), 3),
        (key(Key::PageUp), 2),
        (key(Key::Up), 4),
        (key(Key::Home), 1),
        // Entries: "..", documents, music, photos.
        (key(Key::Down), 3),
        (key(Key::Enter), 1),
        (key(Key::Down), 5),
        (key(Key::PageDown), 1),
        (key(Key::Backspace), 1),
        (key(Key::Home), 1),
    ];
    let mut events = Vec::new();
    for (event, n) in steps {
        events.extend((0..n).map(|_| event.clone()));
    }
    events
}

/// A deterministic session: browses a tree that it makes in a temporary folder (removed at
/// the end), one event of [`script_events`] per frame, going round when `frames` asks for
/// more. Draws exactly `frames` frames without sleeping, waits for the server, and returns
/// the window with the connection open.
pub fn script(display: &mut Display, frames: u32) -> Result<Window, netui::Error> {
    let root = tempfile::tempdir();
    let made = root.as_ref().map_err(|e| e.to_string()).and_then(|root| {
        make_tree(root.path()).map_err(|e| e.to_string())?;
        Ok(root.path())
    });
    // Without the tree, the session goes on over an empty listing that says why.
    let (dir, home) = match made {
        Ok(root) => (root.to_path_buf(), Some(root)),
        Err(e) => {
            tracing::warn!("cannot make the scripted folder tree: {e}");
            (PathBuf::from("/nonexistent/files-script"), None)
        }
    };
    let mut browser = Browser::open(display, &dir, home)?;
    let events = script_events(browser.window);
    for frame in 0..frames as usize {
        // The script is never empty: its keys are constants.
        if let Some(i) = frame.checked_sub(1) {
            browser.handle(&events[i % events.len()]);
        }
        browser.draw(display);
        display.present(browser.window)?;
    }
    display.sync()?;
    Ok(browser.window)
}
