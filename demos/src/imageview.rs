//! `imageview`: an image viewer. It shows the PNG images of a folder (or the two samples
//! shipped with netui), one at a time, scaled down to fit the window with its aspect ratio
//! kept, over a caption with the file's name, its place in the folder and its size.
//! Right, Space or PageDown shows the next image, Left, Backspace or PageUp the previous
//! one, Home and End the first and last; Escape quits.
//!
//! Each image goes to the display in one `PutImage` request of RGB pixels, scaled here
//! (bilinear): the pixel-heavy workload among the demos.

use std::path::{Path, PathBuf};

use netui::{
    Color, Display, Event, Font, ImageFormat, Key, KeyEvent, Modifiers, Point, Rect, Size, Window,
};

use crate::pump::{self, App, Flow};

pub mod picture;

use picture::{fit, scale_rgb, Picture};

/// The window's title.
pub const TITLE: &str = "Image viewer";
/// The window's size when it opens.
pub const SIZE: Size = Size::new(560, 440);

/// The images shipped with netui (made by `cargo run -p demos --example sample_images`),
/// shown when no folder is given.
pub const SAMPLES: [(&str, &[u8]); 2] = [
    (
        "landscape.png",
        include_bytes!("../../assets/images/landscape.png"),
    ),
    (
        "still-life.png",
        include_bytes!("../../assets/images/still-life.png"),
    ),
];

/// Where the window opens on the screen.
const ORIGIN: Point = Point::new(100, 50);
const FONT_SIZE: u16 = 14;
const PAD: i32 = 10;
/// Decoded images kept.
const DECODED: usize = 2;
const BACKDROP: Color = Color::rgb(0x1c, 0x1e, 0x22);
const BAR: Color = Color::rgb(0x2b, 0x30, 0x3b);
const BAR_INK: Color = Color::rgb(0xee, 0xf0, 0xf3);
const BAR_FAINT: Color = Color::rgb(0xa7, 0xb0, 0xbd);
const ERROR_INK: Color = Color::rgb(0xff, 0xb4, 0xa8);

/// Where an image comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A sample compiled into the program.
    Sample {
        /// Its file name.
        name: &'static str,
        /// The PNG file's bytes.
        bytes: &'static [u8],
    },
    /// A file.
    File(PathBuf),
}

impl Source {
    /// The shipped samples.
    pub fn samples() -> Vec<Source> {
        SAMPLES
            .iter()
            .map(|&(name, bytes)| Source::Sample { name, bytes })
            .collect()
    }

    /// The name the caption shows.
    pub fn name(&self) -> String {
        match self {
            Source::Sample { name, .. } => (*name).to_owned(),
            Source::File(path) => path
                .file_name()
                .unwrap_or(path.as_os_str())
                .to_string_lossy()
                .into_owned(),
        }
    }

    /// Reads and decodes the image.
    pub fn load(&self) -> Result<Picture, picture::LoadError> {
        match self {
            Source::Sample { name, bytes } => picture::decode_png(name, bytes),
            Source::File(path) => {
                let bytes = std::fs::read(path).map_err(|source| picture::LoadError::Read {
                    name: path.display().to_string(),
                    source,
                })?;
                picture::decode_png(&self.name(), &bytes)
            }
        }
    }
}

/// The PNG files of a folder, by name (or the file itself, when `path` is one).
pub fn images_in(path: &Path) -> std::io::Result<Vec<Source>> {
    if path.is_file() {
        return Ok(vec![Source::File(path.to_path_buf())]);
    }
    let is_png =
        |p: &Path| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("png")) && p.is_file();
    let mut files: Vec<PathBuf> = std::fs::read_dir(path)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| is_png(p.as_path()))
        .collect();
    files.sort();
    Ok(files.into_iter().map(Source::File).collect())
}

/// The viewer: the images, which one is shown, and the window.
#[derive(Debug)]
pub struct Viewer {
    window: Window,
    size: Size,
    sources: Vec<Source>,
    index: usize,
    /// Why there is nothing to show, when `sources` is empty.
    empty: String,
    /// The last images decoded, by index (or why they cannot be shown), newest last: going
    /// back and forth between two images decodes each once.
    decoded: Vec<(usize, Result<Picture, String>)>,
    /// The window must be drawn again.
    dirty: bool,
}

impl Viewer {
    /// Opens a window showing `sources`; `empty` says why when there are none.
    pub fn open(
        display: &mut Display,
        sources: Vec<Source>,
        empty: String,
    ) -> Result<Self, netui::Error> {
        let rect = Rect::new(ORIGIN.x, ORIGIN.y, SIZE.width, SIZE.height);
        let window = display.create_window(rect, TITLE, BACKDROP)?;
        display.map(window);
        Ok(Self {
            window,
            size: SIZE,
            sources,
            index: 0,
            empty,
            decoded: Vec::new(),
            dirty: true,
        })
    }

    /// The window.
    pub fn window(&self) -> Window {
        self.window
    }

    /// The index of the image shown.
    pub fn index(&self) -> usize {
        self.index
    }

    /// Copies the image shown to the clipboard as PNG (Ctrl+C): the file's own bytes, which
    /// are the image at its full size. Nothing when it cannot be shown.
    pub fn copy(&mut self, display: &mut Display) -> Result<(), netui::Error> {
        let Some(source) = self.sources.get(self.index) else {
            return Ok(());
        };
        let bytes = match source {
            Source::Sample { bytes, .. } => bytes.to_vec(),
            Source::File(path) => match std::fs::read(path) {
                Ok(bytes) => bytes,
                Err(e) => {
                    tracing::warn!("cannot copy {}: {e}", path.display());
                    return Ok(());
                }
            },
        };
        if picture::decode_png(&source.name(), &bytes).is_err() {
            return Ok(());
        }
        display.set_selection(
            netui::Selection::Clipboard,
            vec![(netui::selection::PNG.to_owned(), bytes)],
        )
    }

    /// Applies an event (real or scripted). Returns false when the viewer should end.
    pub fn handle(&mut self, event: &Event) -> bool {
        if event.window() != self.window.0 {
            return true;
        }
        match event {
            Event::Expose { .. } => self.dirty = true,
            Event::Configure { rect, .. } if rect.size() != self.size => {
                self.size = rect.size();
                self.dirty = true;
            }
            Event::CloseRequested { .. } => return false,
            Event::KeyPress(key) => return self.key(key),
            _ => {}
        }
        true
    }

    fn key(&mut self, key: &KeyEvent) -> bool {
        let n = self.sources.len().max(1);
        let index = match key.key {
            Key::Escape => return false,
            Key::Character('q') if key.modifiers.contains(Modifiers::CONTROL) => return false,
            Key::Right | Key::Character(' ') | Key::PageDown => (self.index + 1) % n,
            Key::Left | Key::Backspace | Key::PageUp => (self.index + n - 1) % n,
            Key::Home => 0,
            Key::End => n - 1,
            _ => return true,
        };
        if index != self.index {
            self.index = index;
            self.dirty = true;
        }
        true
    }

    fn caption_height(&self, display: &Display) -> i32 {
        display.line_metrics(Font::Sans, FONT_SIZE).line_height + 12
    }

    /// Queues the drawing of the window if it changed (without presenting): the scaled
    /// image in one request, the backdrop around it, and the caption. Returns true when it
    /// queued anything.
    pub fn draw(&mut self, display: &mut Display) -> bool {
        if !std::mem::take(&mut self.dirty) {
            return false;
        }
        let caption = self.caption_height(display);
        let area = Rect::new(
            0,
            0,
            self.size.width,
            (self.size.height as i32 - caption).max(0) as u32,
        );
        let Some(source) = self.sources.get(self.index) else {
            display.fill_rect(self.window, area, BACKDROP);
            self.message(display, area, &self.empty);
            self.caption(display, caption, "", String::new());
            return true;
        };
        if !self.decoded.iter().any(|(i, _)| *i == self.index) {
            let loaded = source.load().map_err(|e| {
                tracing::warn!("{e}");
                e.to_string()
            });
            if self.decoded.len() == DECODED {
                let _oldest = self.decoded.remove(0);
            }
            self.decoded.push((self.index, loaded));
        }
        let name = source.name();
        let position = format!("{} / {}", self.index + 1, self.sources.len());
        let current = self.decoded.iter().find(|(i, _)| *i == self.index);
        let details = match current.map(|(_, p)| p) {
            Some(Ok(picture)) => {
                let shown = fit(picture.size(), area.size());
                let rect = Rect::new(
                    (area.width - shown.width) as i32 / 2,
                    (area.height - shown.height) as i32 / 2,
                    shown.width,
                    shown.height,
                );
                if !rect.is_empty() {
                    let rgb = scale_rgb(picture, shown, BACKDROP);
                    display.put_image(self.window, rect, ImageFormat::Rgb8, &rgb);
                }
                display.fill_rects(self.window, &around(area, rect), BACKDROP);
                let (w, h) = (picture.width, picture.height);
                format!("{position}  \u{b7}  {w} \u{d7} {h}")
            }
            Some(Err(why)) => {
                let why = why.clone();
                display.fill_rect(self.window, area, BACKDROP);
                self.message(display, area, &why);
                position
            }
            None => position,
        };
        self.caption(display, caption, &name, details);
        true
    }

    /// A sentence in the middle of `area`.
    fn message(&self, display: &mut Display, area: Rect, text: &str) {
        let width = display.text_width(Font::Sans, FONT_SIZE, text) as i32;
        let x = ((area.width as i32 - width) / 2).max(PAD);
        let y = area.height as i32 / 2 - 10;
        let pos = Point::new(x, y);
        display.text(self.window, pos, Font::Sans, FONT_SIZE, ERROR_INK, text);
    }

    fn caption(&self, display: &mut Display, height: i32, name: &str, details: String) {
        let top = self.size.height as i32 - height;
        let bar = Rect::new(0, top, self.size.width, height as u32);
        display.fill_rect(self.window, bar, BAR);
        let y = top + 6;
        display.text(
            self.window,
            Point::new(PAD, y),
            Font::Sans,
            FONT_SIZE,
            BAR_INK,
            name,
        );
        let width = display.text_width(Font::Sans, FONT_SIZE, &details) as i32;
        let pos = Point::new(self.size.width as i32 - PAD - width, y);
        display.text(self.window, pos, Font::Sans, FONT_SIZE, BAR_FAINT, &details);
    }
}

/// The parts of `area` outside `inner` (which lies inside it): up to four rectangles.
fn around(area: Rect, inner: Rect) -> Vec<Rect> {
    let below = area.bottom() - inner.bottom();
    let right = area.right() - inner.right();
    [
        Rect::new(area.x, area.y, area.width, (inner.y - area.y) as u32),
        Rect::new(area.x, inner.bottom() as i32, area.width, below as u32),
        Rect::new(area.x, inner.y, (inner.x - area.x) as u32, inner.height),
        Rect::new(inner.right() as i32, inner.y, right as u32, inner.height),
    ]
    .into_iter()
    .filter(|r| !r.is_empty())
    .collect()
}

/// Shows the shipped samples until the window is closed or Escape is pressed.
pub fn run(display: &mut Display) -> Result<(), netui::Error> {
    run_with(display, None)
}

/// Shows the PNG images of `dir` (or one PNG file, or the samples) until the window is
/// closed or Escape is pressed. A folder that cannot be read is reported in the window.
pub fn run_with(display: &mut Display, dir: Option<PathBuf>) -> Result<(), netui::Error> {
    let (sources, empty) = match dir {
        None => (Source::samples(), String::new()),
        Some(dir) => match images_in(&dir) {
            Ok(sources) => (sources, format!("no PNG images in {}", dir.display())),
            Err(e) => {
                let why = format!("cannot read {}: {e}", dir.display());
                tracing::warn!("{why}");
                (Vec::new(), why)
            }
        },
    };
    let mut viewer = Viewer::open(display, sources, empty)?;
    pump::run(display, &mut viewer)
}

/// Every event that has arrived is applied, then the window is drawn once.
impl App for Viewer {
    fn event(&mut self, display: &mut Display, event: &Event) -> Result<Flow, netui::Error> {
        if crate::files::is_copy(event, self.window) {
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

/// The keys of [`script`]: forwards and backwards through the two samples, so that every
/// frame shows the other image.
pub fn script_events(window: Window) -> Vec<Event> {
    [Key::Right, Key::Character(' '), Key::Left, Key::Right]
        .into_iter()
        .map(|key| {
            Event::KeyPress(KeyEvent {
                window: window.0,
                key,
                modifiers: Modifiers::NONE,
                text: if key == Key::Character(' ') { " " } else { "" }.to_owned(),
            })
        })
        .collect()
}

/// A deterministic session over the shipped samples: one key of [`script_events`] per
/// frame (going round), each frame a new image. Draws exactly `frames` frames without
/// sleeping, waits for the server, and returns the window with the connection open.
pub fn script(display: &mut Display, frames: u32) -> Result<Window, netui::Error> {
    let mut viewer = Viewer::open(display, Source::samples(), String::new())?;
    let events = script_events(viewer.window);
    for frame in 0..frames as usize {
        // The script is never empty: its keys are constants.
        if let Some(i) = frame.checked_sub(1) {
            viewer.handle(&events[i % events.len()]);
        }
        viewer.draw(display);
        display.present(viewer.window)?;
    }
    display.sync()?;
    Ok(viewer.window)
}
