//! The animation demo: balls of several colors and sizes bouncing at 60 frames a second, with
//! a frame counter in a status bar.
//!
//! Each frame paints the background over the rectangles where the balls were (one request),
//! draws the balls where they are now, updates the counter, and presents: the cost of a frame
//! is a few hundred bytes whatever the window's size. Frames are paced by sleeping until the
//! next one is due (or an event arrives).

use std::time::{Duration, Instant};

use netui::{Color, Display, Font, Point, Rect, Size, Window};

use crate::pump::{self, Redraw};

/// The window's title.
pub const TITLE: &str = "Bouncing balls";
/// The window's default size.
pub const SIZE: Size = Size::new(640, 480);
/// Frames per second.
pub const FPS: u32 = 60;

const BALLS: usize = 14;
const BACKGROUND: Color = Color::rgb(0x14, 0x18, 0x24);
const BAR: Color = Color::rgb(0x23, 0x2a, 0x3a);
const BAR_TEXT: Color = Color::rgb(0xd8, 0xdc, 0xe6);
const BAR_HEIGHT: u32 = 28;
const TEXT_SIZE: u16 = 14;
const HIGHLIGHT: Color = Color::rgba(255, 255, 255, 80);
const COLORS: [Color; 7] = [
    Color::rgb(0xd6, 0x45, 0x41),
    Color::rgb(0xf0, 0x8c, 0x1a),
    Color::rgb(0xf2, 0xc9, 0x4c),
    Color::rgb(0x48, 0xbb, 0x78),
    Color::rgb(0x42, 0x99, 0xe1),
    Color::rgb(0x9f, 0x7a, 0xea),
    Color::rgb(0xed, 0x64, 0xa6),
];
/// The seed of the balls' starting places in the script.
const SCRIPT_SEED: u64 = 0x9e37_79b9_7f4a_7c15;

/// A small deterministic random generator (xorshift64*), enough to scatter balls.
#[derive(Debug, Clone)]
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    /// A number in `lo..hi`.
    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let bits = self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11;
        lo + (hi - lo) * (bits as f64 / (1u64 << 53) as f64)
    }
}

/// One ball: position of its center and velocity in pixels per second.
#[derive(Debug, Clone)]
struct Ball {
    x: f64,
    y: f64,
    vx: f64,
    vy: f64,
    radius: f64,
    color: Color,
}

impl Ball {
    fn rect(&self) -> Rect {
        let d = (self.radius * 2.0).round() as u32;
        Rect::new(
            (self.x - self.radius).round() as i32,
            (self.y - self.radius).round() as i32,
            d,
            d,
        )
    }

    /// Moves by `dt` seconds, bouncing off the edges of `arena`.
    fn step(&mut self, dt: f64, arena: Size) {
        self.x += self.vx * dt;
        self.y += self.vy * dt;
        let (w, h) = (f64::from(arena.width), f64::from(arena.height));
        if self.x - self.radius < 0.0 {
            self.x = self.radius;
            self.vx = self.vx.abs();
        } else if self.x + self.radius > w {
            self.x = (w - self.radius).max(self.radius);
            self.vx = -self.vx.abs();
        }
        if self.y - self.radius < 0.0 {
            self.y = self.radius;
            self.vy = self.vy.abs();
        } else if self.y + self.radius > h {
            self.y = (h - self.radius).max(self.radius);
            self.vy = -self.vy.abs();
        }
    }
}

/// The animation's state.
struct Animation {
    window: Window,
    size: Size,
    balls: Vec<Ball>,
    /// Where each ball was drawn last frame (empty when everything must be drawn).
    drawn: Vec<Rect>,
    frame: u64,
    /// What the status bar says after the counter.
    rate: String,
}

impl Animation {
    fn new(window: Window, size: Size, seed: u64) -> Animation {
        let mut rng = Rng::new(seed);
        let arena = arena(size);
        let mut balls: Vec<Ball> = (0..BALLS)
            .map(|i| {
                let radius = rng.range(10.0, 44.0).round();
                let speed = rng.range(120.0, 320.0);
                let angle = rng.range(0.0, std::f64::consts::TAU);
                Ball {
                    x: rng.range(radius, (f64::from(arena.width) - radius).max(radius + 1.0)),
                    y: rng.range(radius, (f64::from(arena.height) - radius).max(radius + 1.0)),
                    vx: speed * angle.cos(),
                    vy: speed * angle.sin(),
                    radius,
                    color: COLORS[i % COLORS.len()],
                }
            })
            .collect();
        // Large balls below small ones.
        balls.sort_by(|a, b| b.radius.total_cmp(&a.radius));
        Animation {
            window,
            size,
            balls,
            drawn: Vec::new(),
            frame: 0,
            rate: String::new(),
        }
    }

    fn resize(&mut self, size: Size) {
        self.size = size;
        self.drawn.clear();
    }

    /// Advances by `dt` seconds and draws the frame.
    fn frame(&mut self, display: &mut Display, dt: f64) -> Result<(), netui::Error> {
        let arena = arena(self.size);
        for ball in &mut self.balls {
            ball.step(dt, arena);
        }
        let w = self.window;
        if self.drawn.is_empty() {
            display.clear(w, None);
            let bar = Rect::new(0, arena.height as i32, self.size.width, BAR_HEIGHT);
            display.fill_rect(w, bar, BAR);
        } else {
            display.fill_rects(w, &self.drawn, BACKGROUND);
        }
        self.drawn.clear();
        for ball in &self.balls {
            let rect = ball.rect();
            display.fill_ellipse(w, rect, ball.color);
            // A soft highlight up and to the left makes the ball round.
            let r = ball.radius;
            let spot = Rect::new(
                (ball.x - r * 0.55).round() as i32,
                (ball.y - r * 0.6).round() as i32,
                (r * 0.6).round() as u32,
                (r * 0.45).round() as u32,
            );
            display.fill_ellipse(w, spot, HIGHLIGHT);
            self.drawn.push(rect);
        }
        self.frame += 1;
        let text = format!(
            "frame {}   {}   {} balls",
            self.frame,
            self.rate,
            self.balls.len()
        );
        let metrics = display.line_metrics(Font::Sans, TEXT_SIZE);
        let y = arena.height as i32 + (BAR_HEIGHT as i32 - metrics.line_height) / 2;
        let width = self.size.width.min(400);
        display.fill_rect(w, Rect::new(0, arena.height as i32, width, BAR_HEIGHT), BAR);
        display.text(w, Point::new(12, y), Font::Sans, TEXT_SIZE, BAR_TEXT, &text);
        display.present(w)
    }
}

/// The area the balls bounce in: the window above the status bar.
fn arena(size: Size) -> Size {
    Size::new(size.width, size.height.saturating_sub(BAR_HEIGHT))
}

/// Opens the window and animates it at 60 frames a second until it is closed or Escape is
/// pressed.
pub fn run(display: &mut Display) -> Result<(), netui::Error> {
    let window = display.create_window(
        Rect::new(80, 50, SIZE.width, SIZE.height),
        TITLE,
        BACKGROUND,
    )?;
    display.map(window);
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(SCRIPT_SEED, |d| d.as_nanos() as u64);
    let mut animation = Animation::new(window, SIZE, seed);
    // Until a second has been measured.
    animation.rate = "… fps".to_owned();
    let period = Duration::from_secs(1) / FPS;
    let now = Instant::now();
    pump::run_redrawing(
        display,
        &mut Paced {
            animation,
            period,
            due: now,
            counted: 0,
            since: now,
        },
    )
}

/// The animation in the pump: a frame each period, on the beat.
struct Paced {
    animation: Animation,
    period: Duration,
    /// When the next frame is due.
    due: Instant,
    /// Frames drawn since `since`, for the rate in the status bar.
    counted: u32,
    since: Instant,
}

impl Redraw for Paced {
    fn size(&self) -> Size {
        self.animation.size
    }

    fn resize(&mut self, _display: &mut Display, size: Size) -> Result<(), netui::Error> {
        self.animation.resize(size);
        Ok(())
    }

    /// The next frame, due within a period, draws everything.
    fn redraw(&mut self, _display: &mut Display) -> Result<(), netui::Error> {
        self.animation.drawn.clear();
        Ok(())
    }

    fn next_tick(&self) -> Option<Instant> {
        Some(self.due)
    }

    fn tick(&mut self, display: &mut Display) -> Result<(), netui::Error> {
        self.animation.frame(display, self.period.as_secs_f64())?;
        self.counted += 1;
        if self.since.elapsed() >= Duration::from_secs(1) {
            self.animation.rate = format!(
                "{:.0} fps",
                f64::from(self.counted) / self.since.elapsed().as_secs_f64()
            );
            (self.counted, self.since) = (0, Instant::now());
        }
        // Keep the beat; after a stall start again from now rather than catch up.
        self.due += self.period;
        if self.due < Instant::now() {
            self.due = Instant::now() + self.period;
        }
        Ok(())
    }
}

/// Draws `frames` frames with a fixed step of 1/60 s from seeded starting places, without
/// sleeping; returns the window after a sync.
pub fn script(display: &mut Display, frames: u32) -> Result<Window, netui::Error> {
    let window = display.create_window(
        Rect::new(80, 50, SIZE.width, SIZE.height),
        TITLE,
        BACKGROUND,
    )?;
    display.map(window);
    let mut animation = Animation::new(window, SIZE, SCRIPT_SEED);
    animation.rate = format!("{FPS} fps (fixed step)");
    for _ in 0..frames {
        animation.frame(display, 1.0 / f64::from(FPS))?;
    }
    display.sync()?;
    Ok(window)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn balls_stay_inside() {
        let mut animation = Animation::new(Window(netui::ResourceId(1)), SIZE, 42);
        for _ in 0..10_000 {
            for ball in &mut animation.balls {
                ball.step(1.0 / 60.0, arena(SIZE));
                let r = ball.rect();
                assert!(r.x >= 0 && r.y >= 0, "{r:?}");
                assert!(
                    r.right() <= i64::from(SIZE.width)
                        && r.bottom() <= i64::from(arena(SIZE).height) + 1,
                    "{r:?}"
                );
            }
        }
    }
}
