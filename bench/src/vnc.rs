//! The real VNC: the frames netui's px-delta-lz4 viewer showed for a workload
//! ([`crate::frames`]), fed into TigerVNC's Xvnc in lockstep, and the bytes that a VNC
//! viewer receives for them in ZRLE, Tight (lossless) and Tight with JPEG.
//!
//! One Xvnc per workload ([`crate::xvnc`]); three viewers ([`crate::rfb_view`]) connect to it
//! and take the first frame as their first full screen. Then for each frame:
//! 1. the X client draws it (the server's copy hints as `CopyArea`, then the changed pixels
//!    as `PutImage`) and waits for the X server to have done it;
//! 2. each viewer in turn asks for an incremental update and reads updates until its screen
//!    equals the frame (lossless encodings; asking again if an update did not finish it) or
//!    one update has come (JPEG, whose screen is compared by PSNR).
//!
//! So each frame is delivered before the next is drawn, and a viewer's bytes for a frame are
//! those of its updates for that frame. A frame that does not reach a lossless viewer within
//! [`FRAME_TIMEOUT`] fails the workload, naming the frame and the pixels that differ.

use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

use crate::frames::{psnr, Frames, PsnrSummary, Screen};
use crate::rfb_view::{differing, RfbEncoding, RfbResult, RfbView};
use crate::xvnc::{Feeder, Xvnc};

/// The longest a frame may take to reach a viewer.
pub const FRAME_TIMEOUT: Duration = Duration::from_secs(5);

/// The environment variable that makes a missing Xvnc (or Xvfb) an error instead of a skip.
pub const REQUIRE_ENV: &str = "NETUI_REQUIRE_XVFB";

/// Feeds `frames` into a fresh Xvnc (`program`) and measures each of `encodings` on them.
pub fn measure(
    program: &Path,
    frames: &Frames,
    encodings: &[RfbEncoding],
) -> anyhow::Result<Vec<RfbResult>> {
    let Some((first, rest)) = frames.frames.split_first() else {
        bail!("no frame was recorded");
    };
    let xvnc = Xvnc::start(program, frames.size)?;
    let mut feeder = Feeder::connect(&xvnc, frames.size)?;
    let mut screen = Screen::new(frames.size);
    first.apply(&mut screen);
    feeder.draw(first)?;

    let mut viewers = Vec::new();
    let mut summaries = Vec::new();
    for &encoding in encodings {
        let stream = xvnc.connect_rfb()?;
        stream.set_read_timeout(Some(FRAME_TIMEOUT))?;
        let mut viewer = RfbView::connect(stream, None, encoding)
            .with_context(|| format!("vnc-{} connects to Xvnc", encoding.name()))?;
        let mut summary = PsnrSummary::default();
        deliver(&mut viewer, &screen, false, &mut summary)
            .with_context(|| format!("vnc-{}: the first full screen", encoding.name()))?;
        let first = viewer.bytes_down();
        viewers.push((viewer, first));
        summaries.push(summary);
    }
    let mut previous = screen.clone();
    for (i, frame) in rest.iter().enumerate() {
        frame.apply(&mut screen);
        if screen == previous {
            // Nothing to see: X would draw nothing new and VNC would send nothing.
            for (summary, (viewer, _)) in summaries.iter_mut().zip(&viewers) {
                if !viewer.encoding.lossless() {
                    summary.add(psnr(viewer.pixels(), &screen.pixels));
                }
            }
            continue;
        }
        feeder
            .draw(frame)
            .with_context(|| format!("drawing frame {} on Xvnc", i + 2))?;
        for ((viewer, _), summary) in viewers.iter_mut().zip(&mut summaries) {
            deliver(viewer, &screen, true, summary).with_context(|| {
                format!(
                    "vnc-{}: frame {} of {}",
                    viewer.encoding.name(),
                    i + 2,
                    frames.frames.len()
                )
            })?;
        }
        previous.pixels.copy_from_slice(&screen.pixels);
    }
    Ok(viewers
        .into_iter()
        .zip(summaries)
        .map(|((viewer, first), summary)| RfbResult {
            encoding: viewer.encoding,
            bytes_down: viewer.bytes_down(),
            first,
            bytes_up: viewer.bytes_up(),
            frames: frames.frames.len() as u64,
            updates: viewer.updates,
            decode: viewer.decode,
            copy_bytes: viewer.copy_bytes,
            psnr: (!viewer.encoding.lossless()).then_some(summary),
        })
        .collect())
}

/// Has `viewer` ask for and read updates until it shows `screen` (lossless) or for one
/// update (lossy, whose PSNR goes to `summary`).
fn deliver(
    viewer: &mut RfbView<UnixStream>,
    screen: &Screen,
    incremental: bool,
    summary: &mut PsnrSummary,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + FRAME_TIMEOUT;
    let mut incremental = incremental;
    loop {
        viewer.request(incremental)?;
        viewer.read_update().map_err(|e| {
            anyhow::anyhow!(
                "no update within {} s ({e:#}); the viewer's screen differs in {} pixels",
                FRAME_TIMEOUT.as_secs(),
                differing(viewer.pixels(), &screen.pixels)
            )
        })?;
        if !viewer.encoding.lossless() {
            summary.add(psnr(viewer.pixels(), &screen.pixels));
            return Ok(());
        }
        if viewer.pixels() == screen.pixels.as_slice() {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!(
                "the viewer's screen still differs from the frame in {} pixels after {} s",
                differing(viewer.pixels(), &screen.pixels),
                FRAME_TIMEOUT.as_secs()
            );
        }
        incremental = true;
    }
}
