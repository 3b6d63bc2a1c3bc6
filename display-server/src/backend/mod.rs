//! Backends: how a composited frame reaches a screen.
//!
//! The core composites damaged areas into the screen canvas and hands the result to a backend.
//! Headless keeps the frame in memory (the canvas *is* the screen); the windowed backend copies
//! the damaged rectangles to a real window on the main thread; the nested backend sends them
//! to a window on another netui display. Nothing else differs.
//!
//! - [`Headless`]: a virtual screen.
//! - [`windowed`]: a winit + softbuffer window that is the screen, with its keyboard and mouse.
//! - [`nested`]: a window on another netui display (`--nested`), through the app library:
//!   damage sent as images, that window's input and resizes passed in.

pub mod nested;
pub mod windowed;

use std::time::Duration;

use netui_protocol::Rect;

use netui_scene::render::Canvas;

/// The frame interval when the display's refresh rate is unknown (60 Hz).
pub const DEFAULT_FRAME_INTERVAL: Duration = Duration::from_nanos(16_666_667);

/// Where frames go.
pub trait Backend: Send {
    /// Shows the damaged rectangles of a freshly composited screen.
    fn present(&mut self, screen: &Canvas, damage: &[Rect]);

    /// The shortest time between two presents: the display's refresh interval.
    fn frame_interval(&self) -> Duration {
        DEFAULT_FRAME_INTERVAL
    }
}

/// A virtual screen in memory: presenting costs nothing, the frame stays in the canvas where
/// `GetImage` and viewers read it.
#[derive(Debug, Default)]
pub struct Headless {
    frames: u64,
}

impl Headless {
    /// Frames presented so far.
    pub fn frames(&self) -> u64 {
        self.frames
    }
}

impl Backend for Headless {
    fn present(&mut self, _screen: &Canvas, _damage: &[Rect]) {
        self.frames += 1;
    }
}
