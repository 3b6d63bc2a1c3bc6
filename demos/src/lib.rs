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
//! - [`clock`]: an analog and digital clock of local time, ticking once a second.
//! - [`paint`]: drawing with the mouse: a palette, brush widths, Clear.
//! - [`animation`]: bouncing balls at 60 frames a second, redrawing only what moved.
//! - [`sysmon`]: CPU and memory charts from `/proc`, scrolled with `copy_area`.
//! - [`notepad`]: a text editor that redraws only the changed line and scrolls by copying.
//! - [`imageview`]: PNG images of a folder, scaled to fit, one `put_image` each.
//! - [`files`]: a file browser: a long list scrolled by copying, drawing only new rows.
//! - [`timer`]: waiting for an event or a deadline, for the demos that tick.
//! - [`rows`]: equal-height rows drawn only when they change, scrolled with `copy_area`.
//! - [`launcher`]: the taskbar: demo buttons, running windows, a clock.
//! - [`image`]: PNG writing for `screenshot` and tests.
//! - [`cli`]: logging set-up and the `--display` convention shared by every program.
#![forbid(unsafe_code)]

pub mod animation;
pub mod cli;
pub mod clock;
pub mod files;
pub mod hello;
pub mod image;
pub mod imageview;
pub mod launcher;
pub mod notepad;
pub mod paint;
pub mod rows;
pub mod sysmon;
pub mod timer;

use netui::{Display, Window};

/// A demo that the launcher offers and the session can start.
#[derive(Debug, Clone, Copy)]
pub struct Demo {
    /// The name that starts it: `netui NAME`, and its program's name.
    pub name: &'static str,
    /// The launcher's label.
    pub title: &'static str,
    /// The interactive program.
    pub run: Run,
    /// The deterministic session of `frames` frames.
    pub script: Script,
}

type Run = fn(&mut Display) -> Result<(), netui::Error>;
type Script = fn(&mut Display, u32) -> Result<Window, netui::Error>;

const fn demo(name: &'static str, title: &'static str, run: Run, script: Script) -> Demo {
    Demo {
        name,
        title,
        run,
        script,
    }
}

/// Every demo, in the launcher's order.
pub fn catalog() -> &'static [Demo] {
    const DEMOS: &[Demo] = &[
        demo("clock", "Clock", clock::run, clock::script),
        demo("paint", "Paint", paint::run, paint::script),
        demo("notepad", "Notepad", notepad::run, notepad::script),
        demo("files", "Files", files::run, files::script),
        demo("imageview", "Images", imageview::run, imageview::script),
        demo("animation", "Animation", animation::run, animation::script),
        demo("sysmon", "Monitor", sysmon::run, sysmon::script),
        demo("hello", "Hello", hello::run, hello::script),
    ];
    DEMOS
}
