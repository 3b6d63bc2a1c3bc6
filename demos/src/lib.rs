//! netui's demo applications, the desktop session, and the tools a user expects.
//!
//! Each program is a thin `main` in `src/bin/`; what they share lives here.
//!
//! Every demo is a module with the same two entry points: `run(display)`, the interactive
//! program (redraws on expose, reflows on resize, exits on close-request), and
//! `script(display, frames)`, a deterministic session (fixed time, seeded randomness,
//! synthetic input fed to the same handlers) that draws `frames` frames and returns with the
//! connection open, so that tests and benchmarks can read its pixels.
//!
//! # Layout
//! - [`hello`]: the hello-window demo: shapes, text and an image, redrawn on expose.
//! - [`launcher`]: the taskbar: demo buttons, running windows, a clock.
//! - [`image`]: PNG writing for `screenshot` and tests.
//! - [`cli`]: logging set-up and the `--display` convention shared by every program.
#![forbid(unsafe_code)]

pub mod cli;
pub mod hello;
pub mod image;
pub mod launcher;

use netui::{Display, Window};

/// A demo that the launcher offers and the session can start.
#[derive(Debug, Clone, Copy)]
pub struct Demo {
    /// The name that starts it: `netui NAME`, and its program's name.
    pub name: &'static str,
    /// The launcher's label.
    pub title: &'static str,
    /// The interactive program.
    pub run: fn(&mut Display) -> Result<(), netui::Error>,
    /// The deterministic session of `frames` frames.
    pub script: fn(&mut Display, u32) -> Result<Window, netui::Error>,
}

/// Every demo, in the launcher's order.
pub fn catalog() -> &'static [Demo] {
    const DEMOS: &[Demo] = &[Demo {
        name: "hello",
        title: "Hello",
        run: hello::run,
        script: hello::script,
    }];
    DEMOS
}
