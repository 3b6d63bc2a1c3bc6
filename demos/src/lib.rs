//! netui's demo applications, the desktop session, and the tools a user expects.
//!
//! Each program is a thin `main` in `src/bin/`; what they share lives here.
//!
//! Every demo is a module with the same two entry points: `run(display)`, the interactive
//! program, driven by the one event loop in [`pump`] (redraws on expose, reflows on resize,
//! exits on close-request), and `script(display, frames)`, a deterministic session (fixed
//! time, seeded randomness, synthetic input fed to the same handlers) that draws `frames`
//! frames and returns with the connection open, so that tests and benchmarks can read its
//! pixels.
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
//! - [`pump`]: the event loop every demo runs: wait for events or a tick, handle, show.
//! - [`rows`]: equal-height rows drawn only when they change, scrolled with `copy_area`.
//! - [`launcher`]: the taskbar: demo buttons, running windows, a clock.
//! - [`image`]: PNG writing for `screenshot` and tests.
//! - [`cli`]: logging set-up and the `--display` convention shared by every program.
//!
//! # Where to make a change
//! - A new demo: a module here with `run` and `script` (an [`pump::App`] for its events), a
//!   `main` in `src/bin/`, its entry in [`catalog`] (the launcher's buttons), a golden test
//!   of its script in `tests/`, and a workload in the benchmark (`bench/src/workload.rs`).
//! - How every demo waits, handles and redraws: [`pump`], once.
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
pub mod pump;
pub mod rows;
pub mod sysmon;

use std::path::PathBuf;

use netui::{Display, Window};

/// A demo that the launcher offers and the session can start.
#[derive(Debug, Clone, Copy)]
pub struct Demo {
    /// The name that starts it: `netui NAME`, and its program's name.
    pub name: &'static str,
    /// The launcher's label.
    pub title: &'static str,
    /// One line for `--help`.
    pub about: &'static str,
    /// The interactive program.
    pub run: Run,
    /// The interactive program with a file or folder to open, for the demos that take one.
    pub open: Option<Open>,
    /// The deterministic session of `frames` frames.
    pub script: Script,
    /// The frames a script draws unless told otherwise.
    pub frames: u32,
}

type Run = fn(&mut Display) -> Result<(), netui::Error>;
type Open = fn(&mut Display, Option<PathBuf>) -> Result<(), netui::Error>;
type Script = fn(&mut Display, u32) -> Result<Window, netui::Error>;

/// Every demo, in the launcher's order.
pub fn catalog() -> &'static [Demo] {
    const DEMOS: &[Demo] = &[
        Demo {
            name: "clock",
            title: "Clock",
            about: "An analog and digital clock of local time, ticking once a second.",
            run: clock::run,
            open: None,
            script: clock::script,
            frames: 60,
        },
        Demo {
            name: "paint",
            title: "Paint",
            about: "Draw with the mouse in colors and widths chosen from a toolbar.",
            run: paint::run,
            open: None,
            script: paint::script,
            frames: 60,
        },
        Demo {
            name: "notepad",
            title: "Notepad",
            about: "A text editor: FILE is loaded if it exists; Ctrl+S saves it [default: notepad.txt].",
            run: notepad::run,
            open: Some(notepad::run_with),
            script: notepad::script,
            frames: 1200,
        },
        Demo {
            name: "files",
            title: "Files",
            about: "A file browser of a folder [default: the current one]: arrows, PageUp/PageDown and the wheel scroll, Enter opens, Backspace goes up.",
            run: files::run,
            open: Some(files::run_with),
            script: files::script,
            frames: 300,
        },
        Demo {
            name: "imageview",
            title: "Images",
            about: "Shows the PNG images of a folder [default: the samples shipped with netui]; arrows browse.",
            run: imageview::run,
            open: Some(imageview::run_with),
            script: imageview::script,
            frames: 60,
        },
        Demo {
            name: "animation",
            title: "Animation",
            about: "Bouncing balls at 60 frames a second with a frame counter.",
            run: animation::run,
            open: None,
            script: animation::script,
            frames: 60,
        },
        Demo {
            name: "sysmon",
            title: "Monitor",
            about: "CPU and memory use as scrolling charts, sampled once a second.",
            run: sysmon::run,
            open: None,
            script: sysmon::script,
            frames: 60,
        },
        Demo {
            name: "hello",
            title: "Hello",
            about: "A window with shapes, text and an image; Escape or close quits.",
            run: hello::run,
            open: None,
            script: hello::script,
            frames: 1,
        },
    ];
    DEMOS
}
