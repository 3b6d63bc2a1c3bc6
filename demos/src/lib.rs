//! netui's demo applications, the desktop session, and the tools a user expects.
//!
//! Each program is a thin `main` in `src/bin/`; what they share lives here.
//!
//! # Layout
//! - [`hello`]: the hello-window demo: shapes, text and an image, redrawn on expose.
//! - [`image`]: PNG writing for `screenshot` and tests.
//! - [`cli`]: logging set-up and the `--display` convention shared by every program.
#![forbid(unsafe_code)]

pub mod cli;
pub mod hello;
pub mod image;
