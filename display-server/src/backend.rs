//! Backends: how a composited frame reaches a screen.
//!
//! The core composites damaged areas into the screen canvas and hands the result to a backend.
//! Headless keeps the frame in memory (the canvas *is* the screen); the windowed backend (its
//! own issue) copies the damaged rectangles into a real window. Nothing else differs.

use netui_protocol::Rect;

use crate::render::Canvas;

/// Where frames go.
pub trait Backend: Send {
    /// Shows the damaged rectangles of a freshly composited screen.
    fn present(&mut self, screen: &Canvas, damage: &[Rect]);
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
