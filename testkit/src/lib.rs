//! What netui's tests share, and the thin client's end-to-end tests.
//!
//! Every test crate of the workspace takes this crate as a dev-dependency instead of keeping
//! its own copy of the scaffolding: a headless display, programs run as processes, Xvfb with
//! xdotool and xwd, injected input, a socket pump and golden images. It is never published
//! and no program links it.
//!
//! The thin client's tests need a real display server, and the thin client itself must not
//! depend on the server, so they live here (`tests/viewer*.rs`), with the thin client's
//! program built as `thin-client-under-test` to run as a process.
//!
//! # Layout
//! - [`server`]: a headless display server on a temporary socket, or as display `:N` in a
//!   private runtime directory.
//! - [`process`]: programs under test as child processes: killed on drop, ready lines,
//!   SIGTERM.
//! - [`xvfb`]: a virtual X server for the windowed tests (skipped or required by
//!   `NETUI_REQUIRE_XVFB`), driven with xdotool and read back with xwd.
//! - [`input`]: a click or a drag injected into a display.
//! - [`socket`]: a pump that copies one socket into another, keeping what passes.
//! - [`golden`]: pixels compared with small golden PNG images, and pixel helpers.
//! - [`peers`]: real VNC viewers for the RFB tests (TigerVNC under Xvfb, vncdotool, noVNC
//!   in headless Chromium), skipped or required like Xvfb; their scripts and pinned
//!   versions in `python/` and `web/`.
//! - [`tools`]: system programs a test runs (systemd's socket activation and unit checker,
//!   kubectl), skipped or required like Xvfb.
//!
//! # Where to make a change
//! - Something two test files both need: here, in the module it belongs to, not in a
//!   `tests/common` of one crate.
//! - A new VNC viewer to test the RFB endpoint with: [`peers`], its installation in
//!   `.ci/run`.
//! - A new end-to-end test of the thin client: `tests/viewer*.rs`, starting its display with
//!   [`server::TestDisplay`].
#![forbid(unsafe_code)]

pub mod golden;
pub mod input;
pub mod layouts;
pub mod peers;
pub mod process;
pub mod server;
pub mod socket;
pub mod tools;
pub mod xvfb;

pub use server::TestDisplay;

use std::time::Duration;

/// How long a test waits for something that should happen at once (a window to appear,
/// pixels to change) before it fails.
pub const DEADLINE: Duration = Duration::from_secs(20);
