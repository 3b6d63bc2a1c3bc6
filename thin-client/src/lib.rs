//! The netui thin client: shows a display server's screen at another place, either by
//! replaying the drawing commands with the server's own renderer or by decoding pixels, and
//! measures what each costs. It draws with the display's own code (`netui-scene`) and shows
//! its window with the glue it shares with the display server (`netui-window`); it does not
//! depend on the display server. Its end-to-end tests, which need one, are in `netui-testkit`.
//!
//! # Layout
//! - [`view`]: the viewer's copy of the screen, fed by view messages.
//! - [`connect`]: the connection to the display, through the emulated link.
//! - [`net`]: the network side: applies updates, acknowledges them, forwards input.
//! - [`clipboard`]: the bridge between the display's clipboard and this machine's.
//! - [`auto`]: the `auto` mode: what each mode costs, and when to switch.
//! - [`link`]: link emulation: a bandwidth cap and a delay in each direction.
//! - [`window`]: the viewer's window, its input and its overlay.
//! - [`stats`]: bytes, frames/s and input-to-update latency, measured.
//! - [`cli`]: the `thin-client` program (its `main.rs` calls [`cli::main`]).
//!
//! # Where to make a change
//! - A new kind of view message (protocol `ViewMessage`): apply it in `view.rs`.
//! - A new link profile: `link.rs` (`LinkProfile::parse` and its table).
//! - A new measurement: `stats.rs`, then a line of the overlay (`cli.rs`'s `status_lines`).
//! - A key the viewer keeps for itself: `window.rs` (`ViewerWindow::shortcut`).
//! - When `auto` switches: `auto.rs` (its constants and `Auto::verdict`); what the server
//!   reports: the display server's `viewer/cost.rs`.
#![forbid(unsafe_code)]

pub mod auto;
pub mod cli;
pub mod clipboard;
pub mod connect;
pub mod link;
pub mod net;
pub mod stats;
pub mod view;
pub mod window;
