//! The paint demo: draw with the mouse, pick a color and a brush width from the toolbar, clear
//! with the Clear button or the `c` key; the right button erases.
//!
//! Strokes travel as lines, not pixels: the points that arrive between two frames become one
//! polyline, drawn into the window and into a pixmap that keeps the drawing, from which an
//! expose or a resize restores it with one copy.

use netui::{
    Button, Color, Display, Event, Font, Key, KeyEvent, Pixmap, Point, Rect, Size, Window,
};

use crate::pump::{self, App, Flow};

mod script;

pub use script::script_events;

/// The window's title.
pub const TITLE: &str = "Paint";
/// The window's default size.
pub const SIZE: Size = Size::new(720, 520);
/// The colors of the palette, left to right.
pub const PALETTE: [Color; 8] = [
    Color::rgb(0x1a, 0x20, 0x2c),
    Color::rgb(0xd6, 0x45, 0x41),
    Color::rgb(0xf0, 0x8c, 0x1a),
    Color::rgb(0xf2, 0xc9, 0x4c),
    Color::rgb(0x2f, 0x85, 0x5a),
    Color::rgb(0x3b, 0x5b, 0x98),
    Color::rgb(0x6b, 0x46, 0xc1),
    Color::rgb(0x8b, 0x5a, 0x2b),
];
/// The brush widths, left to right.
pub const WIDTHS: [u16; 3] = [2, 6, 14];
/// The paper.
pub const PAPER: Color = Color::WHITE;
/// Height of the toolbar along the top; the drawing is below it.
pub const TOOLBAR: u32 = 48;

const TOOLBAR_BG: Color = Color::rgb(0xe8, 0xe4, 0xda);
const TOOLBAR_EDGE: Color = Color::rgb(0xb8, 0xb2, 0xa4);
const SELECTED: Color = Color::rgb(0x1a, 0x20, 0x2c);
const BUTTON: Color = Color::rgb(0xf7, 0xf4, 0xec);

/// What a toolbar button does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tool {
    Color(usize),
    Width(usize),
    Clear,
}

/// The toolbar's buttons and where they are (the toolbar does not reflow).
fn tools() -> Vec<(Rect, Tool)> {
    let mut tools = Vec::new();
    let mut x = 10;
    for i in 0..PALETTE.len() {
        tools.push((Rect::new(x, 10, 28, 28), Tool::Color(i)));
        x += 34;
    }
    x += 16;
    for i in 0..WIDTHS.len() {
        tools.push((Rect::new(x, 10, 34, 28), Tool::Width(i)));
        x += 40;
    }
    tools.push((Rect::new(x + 16, 10, 64, 28), Tool::Clear));
    tools
}

/// The stroke under way.
#[derive(Debug, Clone, Copy)]
struct Stroke {
    color: Color,
    width: u16,
}

/// The program's state: the window, the pixmap holding the drawing, the chosen tools, and
/// what waits to be drawn in the next frame.
struct Paint {
    window: Window,
    size: Size,
    /// The drawing, the size of the area under the toolbar.
    paper: Pixmap,
    /// The pixmap's size: the largest area under the toolbar the window has had, so that
    /// shrinking the window hides part of the drawing without losing it.
    paper_size: Size,
    color: usize,
    width: usize,
    stroke: Option<Stroke>,
    /// Window points of the current stroke not drawn yet, after the last one drawn if any.
    pending: Vec<Point>,
    /// The last point drawn of the current stroke.
    last: Option<Point>,
    /// The window's clip as last set.
    clip: Option<Rect>,
    full_redraw: bool,
    toolbar_dirty: bool,
}

impl Paint {
    fn new(display: &mut Display, window: Window, size: Size) -> Result<Paint, netui::Error> {
        let paper_size = paper_size(size);
        let paper = display.create_pixmap(paper_size)?;
        display.fill_rect(paper, Rect::from_size(paper_size), PAPER);
        Ok(Paint {
            window,
            size,
            paper,
            paper_size,
            color: 0,
            width: 1,
            stroke: None,
            pending: Vec::new(),
            last: None,
            clip: None,
            full_redraw: true,
            toolbar_dirty: true,
        })
    }

    fn canvas(&self) -> Rect {
        Rect::new(
            0,
            TOOLBAR as i32,
            self.size.width,
            self.size.height.saturating_sub(TOOLBAR),
        )
    }

    /// Handles one event, real or scripted.
    fn handle(&mut self, display: &mut Display, event: &Event) -> Result<Flow, netui::Error> {
        match *event {
            Event::ButtonPress { button, pos, .. } if pos.y < TOOLBAR as i32 => {
                let hit = tools().into_iter().find(|(r, _)| r.contains(pos));
                if let (Button::Left, Some((_, tool))) = (button, hit) {
                    self.select(display, tool);
                }
            }
            Event::ButtonPress { button, pos, .. }
                if matches!(button, Button::Left | Button::Right) =>
            {
                self.draw_pending(display);
                let color = if button == Button::Right {
                    PAPER
                } else {
                    PALETTE[self.color]
                };
                self.stroke = Some(Stroke {
                    color,
                    width: WIDTHS[self.width],
                });
                self.last = None;
                self.pending.push(pos);
            }
            Event::PointerMotion { pos, .. } if self.stroke.is_some() => self.pending.push(pos),
            Event::ButtonRelease { pos, .. } if self.stroke.is_some() => {
                if self.pending.last().or(self.last.as_ref()) != Some(&pos) {
                    self.pending.push(pos);
                }
                self.draw_pending(display);
                self.stroke = None;
                self.last = None;
            }
            Event::KeyPress(KeyEvent {
                key: Key::Escape, ..
            }) => return Ok(Flow::Quit),
            Event::KeyPress(KeyEvent {
                key: Key::Character('c'),
                ..
            }) => self.clear(display),
            Event::CloseRequested { .. } => return Ok(Flow::Quit),
            Event::Expose { .. } => self.full_redraw = true,
            Event::Configure { rect, .. } if rect.size() != self.size => {
                self.resize(display, rect.size())?;
            }
            _ => {}
        }
        Ok(Flow::Continue)
    }

    fn select(&mut self, display: &mut Display, tool: Tool) {
        match tool {
            Tool::Color(i) => self.color = i,
            Tool::Width(i) => self.width = i,
            Tool::Clear => self.clear(display),
        }
        self.toolbar_dirty = true;
    }

    /// Wipes the drawing (a stroke under way goes on from where the pointer is).
    fn clear(&mut self, display: &mut Display) {
        self.pending.clear();
        self.last = None;
        display.fill_rect(self.paper, Rect::from_size(self.paper_size), PAPER);
        self.set_clip(display, None);
        display.fill_rect(self.window, self.canvas(), PAPER);
    }

    /// Keeps the drawing over a resize: a new pixmap of the new size gets the old one's pixels.
    fn resize(&mut self, display: &mut Display, size: Size) -> Result<(), netui::Error> {
        self.draw_pending(display);
        let (old, old_size) = (self.paper, self.paper_size);
        let wanted = paper_size(size);
        let new_size = Size::new(
            old_size.width.max(wanted.width),
            old_size.height.max(wanted.height),
        );
        if new_size != old_size {
            self.paper = display.create_pixmap(new_size)?;
            display.fill_rect(self.paper, Rect::from_size(new_size), PAPER);
            display.copy_area(old, self.paper, Rect::from_size(old_size), Point::new(0, 0));
            display.free_pixmap(old);
            self.paper_size = new_size;
        }
        self.size = size;
        self.clip = None;
        display.set_clip(self.window, None);
        self.full_redraw = true;
        Ok(())
    }

    fn set_clip(&mut self, display: &mut Display, clip: Option<Rect>) {
        if self.clip != clip {
            display.set_clip(self.window, clip);
            self.clip = clip;
        }
    }

    /// Draws the stroke's new points as one polyline, into the window and the pixmap.
    fn draw_pending(&mut self, display: &mut Display) {
        let Some(stroke) = self.stroke else {
            self.pending.clear();
            return;
        };
        if self.pending.is_empty() {
            return;
        }
        let points: Vec<Point> = self.last.iter().chain(&self.pending).copied().collect();
        let canvas = self.canvas();
        self.set_clip(display, Some(canvas));
        display.polyline(self.window, &points, stroke.width, stroke.color);
        let on_paper: Vec<Point> = points
            .iter()
            .map(|p| Point::new(p.x, p.y - TOOLBAR as i32))
            .collect();
        display.polyline(self.paper, &on_paper, stroke.width, stroke.color);
        self.last = points.last().copied();
        self.pending.clear();
    }

    /// Ends a frame: draws whatever is due and presents.
    fn frame(&mut self, display: &mut Display) -> Result<(), netui::Error> {
        if self.full_redraw {
            self.set_clip(display, None);
            let canvas = self.canvas();
            display.copy_area(
                self.paper,
                self.window,
                Rect::from_size(canvas.size()),
                canvas.origin(),
            );
            self.toolbar_dirty = true;
            self.full_redraw = false;
        }
        if self.toolbar_dirty {
            self.draw_toolbar(display);
            self.toolbar_dirty = false;
        }
        self.draw_pending(display);
        display.present(self.window)
    }

    fn draw_toolbar(&mut self, display: &mut Display) {
        let w = self.window;
        self.set_clip(display, Some(Rect::new(0, 0, self.size.width, TOOLBAR)));
        display.fill_rect(w, Rect::new(0, 0, self.size.width, TOOLBAR - 1), TOOLBAR_BG);
        display.fill_rect(
            w,
            Rect::new(0, TOOLBAR as i32 - 1, self.size.width, 1),
            TOOLBAR_EDGE,
        );
        for (rect, tool) in tools() {
            let selected = match tool {
                Tool::Color(i) => {
                    display.fill_rect(w, rect, PALETTE[i]);
                    i == self.color
                }
                Tool::Width(i) => {
                    display.fill_rect(w, rect, BUTTON);
                    let d = i32::from(WIDTHS[i]);
                    let c = Point::new(
                        rect.x + rect.width as i32 / 2,
                        rect.y + rect.height as i32 / 2,
                    );
                    let dot = Rect::new(c.x - d / 2, c.y - d / 2, d as u32, d as u32);
                    display.fill_ellipse(w, dot, PALETTE[self.color]);
                    i == self.width
                }
                Tool::Clear => {
                    display.fill_rect(w, rect, BUTTON);
                    display.stroke_rect(w, rect, 1, TOOLBAR_EDGE);
                    let width = display.text_width(Font::Sans, 15, "Clear") as i32;
                    let height = display.line_metrics(Font::Sans, 15).line_height;
                    let pos = Point::new(
                        rect.x + (rect.width as i32 - width) / 2,
                        rect.y + (rect.height as i32 - height) / 2,
                    );
                    display.text(w, pos, Font::Sans, 15, SELECTED, "Clear");
                    false
                }
            };
            if selected {
                let ring = Rect::new(rect.x - 3, rect.y - 3, rect.width + 6, rect.height + 6);
                display.stroke_rect(w, ring, 2, SELECTED);
            }
        }
    }
}

fn paper_size(window: Size) -> Size {
    Size::new(
        window.width.max(1),
        window.height.saturating_sub(TOOLBAR).max(1),
    )
}

/// Opens the paint window and serves it until it is closed or Escape is pressed.
pub fn run(display: &mut Display) -> Result<(), netui::Error> {
    let window = display.create_window(Rect::new(40, 40, SIZE.width, SIZE.height), TITLE, PAPER)?;
    display.map(window);
    let mut paint = Paint::new(display, window, SIZE)?;
    pump::run(display, &mut paint)
}

/// Everything that has arrived goes into one frame: a fast drag becomes one polyline.
impl App for Paint {
    fn event(&mut self, display: &mut Display, event: &Event) -> Result<Flow, netui::Error> {
        self.handle(display, event)
    }

    fn show(&mut self, display: &mut Display) -> Result<(), netui::Error> {
        self.frame(display)
    }
}

/// Feeds the built-in input session to the paint handler in `frames` frames (of about equal
/// numbers of events); returns the window after a sync.
pub fn script(display: &mut Display, frames: u32) -> Result<Window, netui::Error> {
    let window = display.create_window(Rect::new(40, 40, SIZE.width, SIZE.height), TITLE, PAPER)?;
    display.map(window);
    let mut paint = Paint::new(display, window, SIZE)?;
    let events = script_events(window);
    let frames = frames as usize;
    for frame in 0..frames {
        let (from, to) = (
            events.len() * frame / frames,
            events.len() * (frame + 1) / frames,
        );
        for event in &events[from..to] {
            paint.handle(display, event)?;
        }
        paint.frame(display)?;
    }
    display.sync()?;
    Ok(window)
}
