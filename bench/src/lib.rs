//! netui's benchmarks: what each protocol mode costs in bytes and on links for the demos'
//! workloads (the `bandwidth` binary), and the recordings that let a later netui measure the
//! very same requests again. The other binaries measure one thing each: `latency` (a viewer's
//! input-to-update latency per mode), `drawbench` (drawing throughput end to end, beside
//! x11perf on Xvfb), `startup` (round trips and time to an application's first frame) and
//! `scale` (hundreds of demo processes on one server: its memory, CPU and round trips).
//! They measure and print; the tests (`tests/`) check behaviour, never timings.
//!
//! Every byte count that `bandwidth` reports is the size of something that a decoder in the
//! same run turned back into the server's pixels: pixel modes by a viewer per encoding whose
//! screen must equal the server's, command modes by a replica scene fed the decoded requests.
//!
//! # Layout
//! - [`workload`]: the workloads: each demo's script, the launcher's and a window drag.
//! - [`session`]: one workload on a headless server: the viewers per pixel encoding, the
//!   application behind a pacing, recording proxy, the server's screen at the end.
//! - [`command`]: the command modes: the recorded requests re-encoded per compression,
//!   decoded back and replayed onto a replica scene.
//! - [`links`]: each workload and mode live on an emulated link: time, frames/s, latency.
//! - [`rfb_link`]: the links' VNC viewer (with `--rfb`): netui-rfb's client behind the same
//!   link emulation, and how its input-to-update latency is measured without RFB's help.
//! - [`frames`]: the frames a pixel viewer showed, recorded to be shown again elsewhere; PSNR.
//! - [`rfb_view`]: an RFB viewer (netui-rfb's client) that counts its bytes: one per encoding
//!   on netui's own RFB endpoint (live, in [`session`]) and on Xvnc ([`vnc`]).
//! - [`xvnc`]: TigerVNC's Xvnc started for a workload, and the X client that draws frames on it.
//! - [`vnc`]: the real VNC: a workload's frames fed into Xvnc in lockstep, the bytes its
//!   viewers receive.
//! - [`lockstep`]: netui's `px-tiles` fed the same frames in the same lockstep, so that the
//!   comparison with VNC is over the same updates.
//! - [`report`]: the terminal tables, the CSV files and the SVG charts.
//! - [`record`]: recording files (`--record`, `--replay`): their format, and the player that
//!   sends a recording to a display through [`netui::Display`].
//! - [`desktop`]: typical desktop content and three changes to it, for the criterion benches
//!   of the encoders (`benches/encoding.rs`: netui's pixel encodings; `benches/rfb.rs`: the
//!   RFB encoders).
//! - [`x11perf`]: the rectangles, segments and copies that x11perf draws, for `drawbench` and
//!   the renderer's bench (`benches/render.rs`).
//! - `src/bin/`: `bandwidth` (the above), `latency`, `drawbench`, `startup`, `scale`.
//!
//! # Where to make a change
//! - **Add a workload**: a demo in `demos::catalog()` is measured by its `script` without
//!   more work; give it its frame counts in [`workload::all`]'s table. Anything else (the
//!   drag, say) is a function `fn(&mut Display, frames) -> Result<Window, _>` that draws
//!   deterministically and ends with a sync, added to the list in [`workload::all`].
//! - **Add a command mode**: a compression of the protocol crate, then a [`command::CmdMode`]
//!   for it (its name and compression) and its column in [`report::PROTOCOLS`].
//! - **Add a pixel mode**: a `PixelEncoding` of the protocol and the server; [`session`] and
//!   [`links`] measure every one of `PixelEncoding::ALL`, and [`report::PROTOCOLS`] orders the
//!   columns.
//! - **Compare another RFB encoding** (with `--rfb` and `--vnc`): a [`rfb_view::RfbEncoding`]
//!   (its SetEncodings list and its names), and its columns in [`report::PROTOCOLS`].
//! - **Change what a recording holds**: [`record`]'s format section, and its
//!   `FORMAT_VERSION`.
#![forbid(unsafe_code)]

pub mod command;
pub mod desktop;
pub mod frames;
pub mod links;
pub mod lockstep;
pub mod record;
pub mod report;
pub mod rfb_link;
pub mod rfb_view;
pub mod session;
pub mod vnc;
pub mod workload;
pub mod x11perf;
pub mod xvnc;
