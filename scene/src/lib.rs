//! The netui screen model: what a screen holds and how it turns drawing requests into pixels.
//!
//! The display server composites applications' windows with it, and the thin client replays a
//! display's requests (command mode) or decodes its pixels (pixel mode) with the same code, so
//! both pictures are the same by construction. The crate does no I/O, has no clock and no
//! threads of its own (a large fill, a batch of long one-pixel segments or a large copy
//! from another canvas is shared out between the threads of a rayon pool that its caller
//! runs in, as the server's core does; elsewhere it is drawn on the caller's thread), and
//! the fonts it draws with are its own (`fonts/`, DejaVu, compiled in).
//!
//! # Layout
//! - [`render`]: the software renderer: draws into 32-bit pixel [`Canvas`]es.
//! - [`scene`]: windows, pixmaps, stacking, compositing; carries out requests and the window
//!   manager's changes, and journals them for viewers (`scene/request.rs`, `window.rs`,
//!   `journal.rs`).
//! - [`damage`]: the screen areas waiting to be composited.
//! - [`wm`]: the built-in window manager's frames: title bars, borders, close buttons.
//! - [`encoding`]: pixel encodings for pixel-mode viewers: the encoder (with its shadow of
//!   the viewer's screen) and the decoder.
//!
//! # Where to make a change
//! - A new drawing request: after the protocol's list (`Request`, class `Scene`), its arm in
//!   `Scene::carry_out` (`scene/request.rs`), its pixels in `render/` (a module per
//!   primitive, with a pattern test). `Scene::apply` journals it for command-mode viewers.
//! - A new change of the window manager's: a `SceneOp` variant (protocol's `view.rs`), one
//!   method in `scene/window.rs`, its arm in `Scene::perform` (which journals it) and its
//!   checks in `Scene::replay`.
//! - A new pixel encoding: `encoding/mod.rs` (encoder and decoder side by side, a round-trip
//!   test in `encoding/tests.rs`), and its name in the protocol's `PixelEncoding`.
//! - How windows are decorated: `wm.rs`.
#![forbid(unsafe_code)]

pub mod damage;
pub mod encoding;
pub mod render;
pub mod scene;
pub mod wm;

pub use damage::Damage;
pub use render::{Canvas, Fonts};
pub use scene::{Scene, SceneError};
