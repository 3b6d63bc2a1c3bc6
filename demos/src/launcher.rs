//! The launcher: a taskbar along the bottom of the screen with a button for each demo, the
//! list of running windows, and a clock.
//!
//! It is an ordinary application on the protocol, asking the window manager for a *panel*
//! (no frame, always on top, never focused). A demo button starts that demo as a separate OS
//! process on the same display; a window button raises and focuses that window. The list
//! follows the server's `WindowsChanged` events (one round trip per change, none when idle),
//! and the clock wakes the program once a minute, so an idle launcher costs no CPU.

use std::process::Child;
use std::time::{Duration, Instant};

use netui::{Color, Display, Event, Font, Point, Rect, ResourceId, Size, Window, WindowKind};
use netui_protocol::font::FontSet;

use crate::pump::{self, App, Flow};

/// Height of the bar.
pub const HEIGHT: u32 = 36;
/// The window title.
pub const TITLE: &str = "Launcher";

const TEXT_SIZE: u16 = 13;
const BUTTON_HEIGHT: u32 = 26;
const PAD: u32 = 10;
const GAP: u32 = 6;
const MAX_ENTRY: u32 = 180;
const BAR: Color = Color::rgb(0x1c, 0x20, 0x28);
const EDGE: Color = Color::rgb(0x4c, 0x56, 0x6a);
const DEMO: Color = Color::rgb(0x3b, 0x42, 0x52);
const ENTRY: Color = Color::rgb(0x2e, 0x34, 0x40);
const ACTIVE: Color = Color::rgb(0x3b, 0x5b, 0x98);
const TEXT: Color = Color::rgb(0xec, 0xef, 0xf4);

/// Where everything on the bar is, in the bar's coordinates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// One button per demo, in the order given.
    pub demos: Vec<Rect>,
    /// The area of the window list.
    pub windows: Rect,
    /// The clock.
    pub clock: Rect,
}

/// Lays the bar out for a screen `width` wide: demo buttons from the left, the clock at the
/// right, the window list between. Tests use it to know where to click.
pub fn layout(fonts: &FontSet, width: u32, demo_titles: &[&str]) -> Layout {
    let y = ((HEIGHT - BUTTON_HEIGHT) / 2) as i32;
    let mut x = GAP as i32;
    let mut demos = Vec::with_capacity(demo_titles.len());
    for title in demo_titles {
        let w = fonts.sans.text_width(title, TEXT_SIZE) + 2 * PAD;
        demos.push(Rect::new(x, y, w, BUTTON_HEIGHT));
        x += (w + GAP) as i32;
    }
    let clock_width = fonts.sans.text_width("00:00", TEXT_SIZE) + 2 * PAD;
    let clock = Rect::new(
        width as i32 - clock_width as i32 - GAP as i32,
        y,
        clock_width,
        BUTTON_HEIGHT,
    );
    let left = x + 2 * GAP as i32;
    let windows = Rect::from_edges(
        i64::from(left),
        i64::from(y),
        i64::from(clock.x) - i64::from(GAP),
        i64::from(y) + i64::from(BUTTON_HEIGHT),
    );
    Layout {
        demos,
        windows,
        clock,
    }
}

/// A running window as the list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The window.
    pub id: ResourceId,
    /// Its title.
    pub title: String,
    /// Whether it has the focus.
    pub focused: bool,
}

/// The name the launcher's Desktop button spawns: a nested display (`display-server
/// --nested`, run by `netui desktop`) in a window, with a launcher of its own.
pub const DESKTOP: &str = "desktop";

/// The launcher's buttons, left to right, as (name to spawn, title): each demo of the
/// catalog, then a whole desktop in a window ([`DESKTOP`]: a nested display with a launcher
/// of its own).
pub fn buttons() -> Vec<(&'static str, &'static str)> {
    let mut buttons: Vec<(&'static str, &'static str)> =
        crate::catalog().iter().map(|d| (d.name, d.title)).collect();
    buttons.push((DESKTOP, "Desktop"));
    buttons
}

/// The titles of [`buttons`], for [`layout`].
pub fn button_titles() -> Vec<&'static str> {
    buttons().into_iter().map(|(_, title)| title).collect()
}

/// Starts a demo by name (or [`DESKTOP`]) as a separate process; `None` when it deliberately
/// starts nothing (a scripted launcher, whose buttons are pressed but start no process).
pub type Spawn = Box<dyn FnMut(&str) -> std::io::Result<Option<Child>>>;

/// The launcher's state.
pub struct Launcher {
    window: Window,
    width: u32,
    demos: Vec<(&'static str, &'static str)>,
    layout: Layout,
    entries: Vec<(Entry, Rect)>,
    clock: String,
    spawn: Spawn,
    children: Vec<(String, Child)>,
}

impl Launcher {
    /// Creates and maps the bar at the bottom of the screen. `demos` are (name, title) pairs.
    pub fn open(display: &mut Display, spawn: Spawn) -> Result<Self, netui::Error> {
        let demos = buttons();
        let screen = display.screen_size();
        let window = display.create_window(bar_rect(screen), TITLE, BAR)?;
        display.set_window_kind(window, WindowKind::Panel);
        display.watch_windows();
        display.map(window);
        let titles: Vec<&str> = demos.iter().map(|(_, t)| *t).collect();
        let layout = layout(display.fonts(), screen.width, &titles);
        Ok(Self {
            window,
            width: screen.width,
            demos,
            layout,
            entries: Vec::new(),
            clock: String::new(),
            spawn,
            children: Vec::new(),
        })
    }

    /// The bar's window.
    pub fn window(&self) -> Window {
        self.window
    }

    /// The running windows as the list shows them.
    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter().map(|(e, _)| e)
    }

    /// Handles one event; `Ok(false)` means the launcher should end.
    pub fn handle(&mut self, display: &mut Display, event: &Event) -> Result<bool, netui::Error> {
        match event {
            Event::Expose { window, .. } if *window == self.window.0 => self.draw(display),
            Event::ButtonPress { window, pos, .. } if *window == self.window.0 => {
                self.click(display, *pos)?
            }
            Event::WindowsChanged => {
                self.reap();
                let info = display.server_info()?;
                // By id: with thousands of windows on the display, a search per entry of the
                // stack would take seconds.
                let windows: std::collections::HashMap<_, _> = info
                    .clients
                    .iter()
                    .flat_map(|c| &c.windows)
                    .map(|w| (w.id, w))
                    .collect();
                self.set_entries(
                    display,
                    info.stack
                        .iter()
                        .filter_map(|id| windows.get(id).copied())
                        .filter(|w| w.mapped && w.kind == WindowKind::Normal)
                        .map(|w| Entry {
                            id: w.id,
                            title: w.title.clone(),
                            focused: w.focused,
                        })
                        .collect(),
                );
            }
            Event::ScreenResized { size } => {
                display.configure(self.window, bar_rect(*size));
                self.width = size.width;
                let titles: Vec<&str> = self.demos.iter().map(|(_, t)| *t).collect();
                self.layout = layout(display.fonts(), size.width, &titles);
                let entries = self.entries.drain(..).map(|(e, _)| e).collect();
                self.set_entries(display, entries);
                self.draw(display);
            }
            Event::CloseRequested { window } if *window == self.window.0 => return Ok(false),
            _ => {}
        }
        display.present(self.window)?;
        Ok(true)
    }

    /// Shows `text` in the clock (redrawn only when it changes).
    pub fn set_clock(&mut self, display: &mut Display, text: String) {
        if text != self.clock {
            self.clock = text;
            self.draw_clock(display);
        }
    }

    /// Replaces the window list and redraws it.
    pub fn set_entries(&mut self, display: &mut Display, entries: Vec<Entry>) {
        let area = self.layout.windows;
        let mut x = area.x;
        self.entries = entries
            .into_iter()
            .filter_map(|e| {
                let w =
                    (display.text_width(Font::Sans, TEXT_SIZE, &e.title) + 2 * PAD).min(MAX_ENTRY);
                let rect = Rect::new(x, area.y, w, BUTTON_HEIGHT);
                x = x.saturating_add((w + GAP) as i32);
                (rect.right() <= area.right()).then_some((e, rect))
            })
            .collect();
        self.draw_entries(display);
    }

    fn click(&mut self, display: &mut Display, pos: Point) -> Result<(), netui::Error> {
        if let Some(i) = self.layout.demos.iter().position(|r| r.contains(pos)) {
            let name = self.demos[i].0;
            match (self.spawn)(name) {
                Ok(Some(child)) => self.children.push((name.to_owned(), child)),
                Ok(None) => tracing::debug!("{name}: not started (scripted)"),
                Err(e) => tracing::error!("cannot start {name}: {e}"),
            }
        } else if let Some((entry, _)) = self.entries.iter().find(|(_, r)| r.contains(pos)) {
            display.activate(entry.id);
        }
        Ok(())
    }

    /// Collects demos that have exited, so that none is left a zombie.
    fn reap(&mut self) {
        self.children
            .retain_mut(|(name, child)| match child.try_wait() {
                Ok(Some(status)) => {
                    tracing::debug!("{name} exited: {status}");
                    false
                }
                _ => true,
            });
    }

    fn draw(&self, display: &mut Display) {
        let w = self.window;
        display.fill_rect(w, Rect::new(0, 0, self.width, HEIGHT), BAR);
        display.fill_rect(w, Rect::new(0, 0, self.width, 1), EDGE);
        for ((_, title), rect) in self.demos.iter().zip(&self.layout.demos) {
            button(display, w, *rect, DEMO, title);
        }
        // A rule between the demos and the running windows.
        let list = self.layout.windows;
        display.fill_rect(
            w,
            Rect::new(list.x - GAP as i32, list.y + 3, 1, list.height - 6),
            EDGE,
        );
        self.draw_entries(display);
        self.draw_clock(display);
    }

    fn draw_entries(&self, display: &mut Display) {
        display.fill_rect(self.window, self.layout.windows, BAR);
        for (entry, rect) in &self.entries {
            button(
                display,
                self.window,
                *rect,
                if entry.focused { ACTIVE } else { ENTRY },
                &entry.title,
            );
        }
    }

    fn draw_clock(&self, display: &mut Display) {
        display.fill_rect(self.window, self.layout.clock, BAR);
        let width = display.text_width(Font::Sans, TEXT_SIZE, &self.clock);
        let clock = self.layout.clock;
        let x = clock.x + (clock.width.saturating_sub(width) / 2) as i32;
        display.text(
            self.window,
            Point::new(x, text_y(display, clock)),
            Font::Sans,
            TEXT_SIZE,
            TEXT,
            &self.clock,
        );
    }
}

impl Drop for Launcher {
    /// The demos end with the launcher's session.
    fn drop(&mut self) {
        for (_, child) in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn bar_rect(screen: Size) -> Rect {
    Rect::new(
        0,
        screen.height.saturating_sub(HEIGHT) as i32,
        screen.width,
        HEIGHT,
    )
}

fn text_y(display: &Display, rect: Rect) -> i32 {
    let line = display.line_metrics(Font::Sans, TEXT_SIZE);
    rect.y + (rect.height as i32 - line.line_height) / 2
}

/// A button: a filled rectangle with its text, cut to fit.
fn button(display: &mut Display, window: Window, rect: Rect, color: Color, title: &str) {
    display.fill_rect(window, rect, color);
    display.set_clip(
        window,
        Some(Rect::new(
            rect.x + PAD as i32 / 2,
            rect.y,
            rect.width.saturating_sub(PAD),
            rect.height,
        )),
    );
    display.text(
        window,
        Point::new(rect.x + PAD as i32, text_y(display, rect)),
        Font::Sans,
        TEXT_SIZE,
        TEXT,
        title,
    );
    display.set_clip(window, None);
}

/// The local time as HH:MM, and how long until it changes.
pub fn local_clock() -> (String, Duration) {
    use chrono::Timelike;
    let now = chrono::Local::now();
    let next = Duration::from_secs(u64::from(60 - now.second()))
        - Duration::from_nanos(u64::from(now.nanosecond() % 1_000_000_000));
    (
        format!("{:02}:{:02}", now.hour(), now.minute()),
        next.max(Duration::from_millis(10)),
    )
}

/// Runs the launcher until the display goes away or the bar is closed.
pub fn run(display: &mut Display, spawn: Spawn) -> Result<(), netui::Error> {
    let mut launcher = Launcher::open(display, spawn)?;
    launcher.show(display)?;
    pump::run(display, &mut launcher)
}

/// The bar in the pump: the clock is set (drawn if it changed) and the bar presented after
/// every batch of events, and when the minute changes.
impl App for Launcher {
    fn event(&mut self, display: &mut Display, event: &Event) -> Result<Flow, netui::Error> {
        Ok(Flow::continue_if(self.handle(display, event)?))
    }

    fn show(&mut self, display: &mut Display) -> Result<(), netui::Error> {
        self.set_clock(display, local_clock().0);
        display.present(self.window)
    }

    fn next_tick(&self) -> Option<Instant> {
        Some(Instant::now() + local_clock().1)
    }
}

/// A deterministic session: the bar at 10:08 with a fixed window list; each frame presses the
/// next demo button (nothing is started) and moves the focus along the list.
pub fn script(display: &mut Display, frames: u32) -> Result<Window, netui::Error> {
    let spawn: Spawn = Box::new(|_| Ok(None));
    let mut launcher = Launcher::open(display, spawn)?;
    launcher.clock = "10:08".into();
    // As the first expose would.
    launcher.draw(display);
    let window = launcher.window;
    let titles = ["Clock", "Paint", "Notepad: notes.txt", "Image viewer"];
    for frame in 0..frames {
        let entries = titles
            .iter()
            .zip(0u32..)
            .map(|(t, i)| Entry {
                id: ResourceId(0x1000 + i),
                title: (*t).to_owned(),
                focused: i == frame % 4,
            })
            .collect();
        launcher.set_entries(display, entries);
        if let Some(rect) = launcher
            .layout
            .demos
            .get(frame as usize % launcher.layout.demos.len().max(1))
            .copied()
        {
            let press = Event::ButtonPress {
                window: window.0,
                button: netui::Button::Left,
                pos: Point::new(rect.x + 4, rect.y + 4),
                modifiers: netui::Modifiers::NONE,
            };
            launcher.handle(display, &press)?;
        }
        display.present(window)?;
    }
    display.sync()?;
    Ok(window)
}
