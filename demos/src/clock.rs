//! The clock demo: an analog face with hour, minute and second hands above a digital
//! `HH:MM:SS`, showing local time and redrawn once a second.
//!
//! The static face (background, rim, ticks, numerals) is drawn once into a pixmap. Each second
//! only the hands change: the area the old hands covered is copied back from the pixmap, the
//! new hands are drawn, and the digital text is replaced, so a tick costs a few hundred bytes.
//! Between ticks the program sleeps until the next second or the next event.

use netui::{Color, Display, Font, Pixmap, Point, Rect, Size, Window};

use std::time::Instant;

use crate::pump::{self, Redraw};

/// The window's title.
pub const TITLE: &str = "Clock";
/// The window's default size.
pub const SIZE: Size = Size::new(360, 420);

/// Window background.
pub const BACKGROUND: Color = Color::rgb(0x1d, 0x23, 0x33);
/// The dial.
pub const FACE: Color = Color::rgb(0xf7, 0xf4, 0xec);
/// The hour hand.
pub const HOUR_HAND: Color = Color::rgb(0x1a, 0x20, 0x2c);
/// The minute hand.
pub const MINUTE_HAND: Color = Color::rgb(0x2f, 0x4a, 0x7a);
/// The second hand and the cap at the center.
pub const SECOND_HAND: Color = Color::rgb(0xd6, 0x45, 0x41);
const RIM: Color = Color::rgb(0x3b, 0x5b, 0x98);
const TICK: Color = Color::rgb(0x44, 0x4c, 0x5c);
const DIGITS: Color = Color::rgb(0xf7, 0xf4, 0xec);

/// Height of the band under the dial that holds the digital time.
const DIGITAL_BAND: u32 = 64;
const DIGITAL_SIZE: u16 = 36;
/// The time the script starts at: 10:08:30.
const SCRIPT_START: u32 = 10 * 3600 + 8 * 60 + 30;

/// Where the dial and the digital time go in a window of a given size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    /// The window's size.
    pub size: Size,
    /// The dial's center.
    pub center: Point,
    /// The dial's radius, rim included.
    pub radius: i32,
    /// The band of the digital time.
    pub digital: Rect,
}

impl Layout {
    /// The layout of a window of `size`.
    pub fn new(size: Size) -> Layout {
        let band = DIGITAL_BAND.min(size.height / 3);
        let dial_height = size.height - band;
        let side = size.width.min(dial_height) as i32;
        Layout {
            size,
            center: Point::new(size.width as i32 / 2, dial_height as i32 / 2),
            radius: (side / 2 - 14).max(24),
            digital: Rect::new(0, dial_height as i32, size.width, band),
        }
    }

    /// The point at `fraction` of the radius from the center, in the direction of `degrees`
    /// clockwise from 12 o'clock.
    pub fn point(&self, degrees: f64, fraction: f64) -> Point {
        let (sin, cos) = degrees.to_radians().sin_cos();
        let length = fraction * f64::from(self.radius);
        Point::new(
            self.center.x + (sin * length).round() as i32,
            self.center.y - (cos * length).round() as i32,
        )
    }

    fn len(&self, fraction: f64) -> u16 {
        (fraction * f64::from(self.radius)).round().clamp(1.0, 64.0) as u16
    }
}

/// One hand as it is drawn: a round-capped line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Hand {
    a: Point,
    b: Point,
    width: u16,
    color: Color,
}

impl Hand {
    fn bounds(&self) -> Rect {
        let pad = i64::from(self.width / 2 + 2);
        Rect::from_edges(
            i64::from(self.a.x.min(self.b.x)) - pad,
            i64::from(self.a.y.min(self.b.y)) - pad,
            i64::from(self.a.x.max(self.b.x)) + pad + 1,
            i64::from(self.a.y.max(self.b.y)) + pad + 1,
        )
    }
}

/// The three hands and the cap at `seconds` past midnight, in drawing order.
fn hands(layout: &Layout, seconds: u32) -> [Hand; 4] {
    let s = f64::from(seconds % 60);
    let m = f64::from(seconds / 60 % 60) + s / 60.0;
    let h = f64::from(seconds / 3600 % 12) + m / 60.0;
    let hand = |degrees: f64, tail: f64, tip: f64, width: u16, color| Hand {
        a: layout.point(degrees + 180.0, tail),
        b: layout.point(degrees, tip),
        width,
        color,
    };
    let cap = layout.len(0.035).max(3);
    [
        hand(h * 30.0, 0.10, 0.50, layout.len(0.05).max(3), HOUR_HAND),
        hand(m * 6.0, 0.10, 0.78, layout.len(0.032).max(2), MINUTE_HAND),
        hand(s * 6.0, 0.20, 0.88, layout.len(0.012).max(1), SECOND_HAND),
        // A zero-length line is a dot: the cap over the axis.
        Hand {
            a: layout.center,
            b: layout.center,
            width: cap * 2,
            color: SECOND_HAND,
        },
    ]
}

/// `HH:MM:SS` of `seconds` past midnight.
fn digital(seconds: u32) -> String {
    let s = seconds % 86_400;
    format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

/// The clock's state: its window, the pixmap of the static face, and what is on screen.
struct Clock {
    window: Window,
    face: Pixmap,
    layout: Layout,
    /// The time shown, in seconds past midnight.
    time: u32,
    /// The hands on screen, `None` when everything must be drawn.
    drawn: Option<[Hand; 4]>,
}

impl Clock {
    fn new(
        display: &mut Display,
        window: Window,
        size: Size,
        time: u32,
    ) -> Result<Clock, netui::Error> {
        let layout = Layout::new(size);
        let face = display.create_pixmap(size)?;
        draw_face(display, face, &layout);
        Ok(Clock {
            window,
            face,
            layout,
            time,
            drawn: None,
        })
    }

    /// Lays the clock out again for a new window size (the face pixmap is redrawn).
    fn resize(&mut self, display: &mut Display, size: Size) -> Result<(), netui::Error> {
        if size == self.layout.size {
            return Ok(());
        }
        display.free_pixmap(self.face);
        *self = Clock::new(display, self.window, size, self.time)?;
        Ok(())
    }

    /// Shows `seconds` past midnight: everything if nothing is drawn, else only what changed.
    fn show(&mut self, display: &mut Display, seconds: u32) -> Result<(), netui::Error> {
        let new = hands(&self.layout, seconds);
        match self.drawn {
            None => display.copy_area(
                self.face,
                self.window,
                Rect::from_size(self.layout.size),
                Point::new(0, 0),
            ),
            Some(old) => {
                let area = old.iter().fold(Rect::default(), |r, h| r.union(h.bounds()));
                display.copy_area(self.face, self.window, area, area.origin());
            }
        }
        for hand in &new {
            display.line(self.window, hand.a, hand.b, hand.width, hand.color);
        }
        let band = self.layout.digital;
        display.fill_rect(self.window, band, BACKGROUND);
        let text = digital(seconds);
        let width = display.text_width(Font::Mono, DIGITAL_SIZE, &text) as i32;
        let metrics = display.line_metrics(Font::Mono, DIGITAL_SIZE);
        let pos = Point::new(
            (band.width as i32 - width) / 2,
            band.y + (band.height as i32 - metrics.line_height) / 2,
        );
        display.text(self.window, pos, Font::Mono, DIGITAL_SIZE, DIGITS, &text);
        (self.time, self.drawn) = (seconds, Some(new));
        display.present(self.window)
    }

    /// Draws everything again at the time last shown (after an expose or a resize).
    fn redraw(&mut self, display: &mut Display) -> Result<(), netui::Error> {
        self.drawn = None;
        self.show(display, self.time)
    }
}

/// Draws the static part of the clock (everything but the hands and the digits) into `target`.
fn draw_face(display: &mut Display, target: Pixmap, layout: &Layout) {
    display.fill_rect(target, Rect::from_size(layout.size), BACKGROUND);
    let (c, r) = (layout.center, layout.radius);
    let disc = |r: i32| Rect::new(c.x - r, c.y - r, (2 * r) as u32, (2 * r) as u32);
    display.fill_ellipse(target, disc(r), RIM);
    let rim = layout.len(0.05).max(3);
    display.fill_ellipse(target, disc(r - i32::from(rim)), FACE);
    // Minute ticks first (all one request), then the thicker hour ticks over them.
    for i in (0..60).filter(|i| i % 5 != 0) {
        let degrees = f64::from(i) * 6.0;
        let (a, b) = (layout.point(degrees, 0.84), layout.point(degrees, 0.88));
        display.line(target, a, b, 1, TICK);
    }
    for i in 0..12 {
        let degrees = f64::from(i) * 30.0;
        let (a, b) = (layout.point(degrees, 0.78), layout.point(degrees, 0.88));
        display.line(target, a, b, layout.len(0.025).max(2), HOUR_HAND);
    }
    let size = layout.len(0.13).max(8);
    let metrics = display.line_metrics(Font::Sans, size);
    for i in 1..=12 {
        let label = i.to_string();
        let at = layout.point(f64::from(i) * 30.0, 0.66);
        let width = display.text_width(Font::Sans, size, &label) as i32;
        // Digits are about 0.73 em tall and sit on the baseline: center them on `at`.
        let top = at.y + (f64::from(size) * 0.365).round() as i32 - metrics.ascent;
        let pos = Point::new(at.x - width / 2, top);
        display.text(target, pos, Font::Sans, size, TICK, &label);
    }
}

/// The local time of day in seconds past midnight.
fn local_seconds() -> u32 {
    use chrono::Timelike;
    chrono::Local::now().num_seconds_from_midnight()
}

/// Opens the clock window and keeps it ticking until it is closed or Escape is pressed.
pub fn run(display: &mut Display) -> Result<(), netui::Error> {
    let window = display.create_window(
        Rect::new(60, 60, SIZE.width, SIZE.height),
        TITLE,
        BACKGROUND,
    )?;
    display.map(window);
    let mut clock = Clock::new(display, window, SIZE, local_seconds())?;
    clock.redraw(display)?;
    pump::run_redrawing(display, &mut Ticking(clock))
}

/// The clock in the pump: a tick each second.
struct Ticking(Clock);

impl Redraw for Ticking {
    fn size(&self) -> Size {
        self.0.layout.size
    }

    fn resize(&mut self, display: &mut Display, size: Size) -> Result<(), netui::Error> {
        self.0.resize(display, size)
    }

    fn redraw(&mut self, display: &mut Display) -> Result<(), netui::Error> {
        self.0.redraw(display)
    }

    fn next_tick(&self) -> Option<Instant> {
        Some(pump::next_second())
    }

    fn tick(&mut self, display: &mut Display) -> Result<(), netui::Error> {
        self.0.show(display, local_seconds())
    }
}

/// Draws `frames` frames from 10:08:30, one second apart, without sleeping; returns the
/// window after a sync.
pub fn script(display: &mut Display, frames: u32) -> Result<Window, netui::Error> {
    let window = display.create_window(
        Rect::new(60, 60, SIZE.width, SIZE.height),
        TITLE,
        BACKGROUND,
    )?;
    display.map(window);
    let mut clock = Clock::new(display, window, SIZE, SCRIPT_START)?;
    for frame in 0..frames {
        clock.show(display, SCRIPT_START + frame)?;
    }
    display.sync()?;
    Ok(window)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digital_time() {
        assert_eq!(digital(SCRIPT_START), "10:08:30");
        assert_eq!(digital(86_399), "23:59:59");
        assert_eq!(digital(86_400 + 61), "00:01:01");
    }

    #[test]
    fn hands_point_where_they_should() {
        let layout = Layout::new(SIZE);
        // At 3:00:00 the hour hand points right and the minute hand up.
        let [hour, minute, second, _] = hands(&layout, 3 * 3600);
        assert!(hour.b.x > layout.center.x && hour.b.y == layout.center.y);
        assert!(minute.b.x == layout.center.x && minute.b.y < layout.center.y);
        // The second hand is longer than the minute hand.
        assert!(second.b.x == layout.center.x && second.b.y < minute.b.y);
    }
}
