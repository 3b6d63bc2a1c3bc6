//! The real VNC: the frames netui's px-tiles viewer showed for a workload
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
//!
//! After the last frame a new viewer per encoding connects and takes the whole screen, as a
//! viewer that joins a running session does: its bytes are the "join" figure.

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

/// One viewer in the lockstep: while it keeps up, its bytes after the first full screen and
/// its PSNRs; once it fails, why.
struct Watcher {
    encoding: RfbEncoding,
    state: Result<(RfbView<UnixStream>, u64, PsnrSummary), String>,
}

/// Feeds `frames` into a fresh Xvnc (`program`) and measures each of `encodings` on them: a
/// result per encoding, in order, or why it failed (a viewer that fails leaves the lockstep
/// and the others go on). An error is the phase's own: Xvnc or its X client failed.
pub fn measure(
    program: &Path,
    frames: &Frames,
    encodings: &[RfbEncoding],
) -> anyhow::Result<Vec<Result<RfbResult, String>>> {
    let Some((first, rest)) = frames.frames.split_first() else {
        bail!("no frame was recorded");
    };
    let xvnc = Xvnc::start(program, frames.size)?;
    let mut feeder = Feeder::connect(&xvnc, frames.size)?;
    let mut screen = Screen::new(frames.size);
    first.apply(&mut screen);
    feeder
        .draw(first)
        .context("drawing the first frame on Xvnc")?;

    let mut watchers = Vec::new();
    for &encoding in encodings {
        let name = format!("vnc-{}", encoding.name());
        let stream = xvnc.connect_rfb()?;
        stream.set_read_timeout(Some(FRAME_TIMEOUT))?;
        let state = RfbView::connect(stream, None, encoding)
            .with_context(|| format!("{name} connects to Xvnc"))
            .and_then(|mut viewer| {
                let mut summary = PsnrSummary::default();
                deliver(&mut viewer, &screen, false, &mut summary)
                    .with_context(|| format!("{name}: the first full screen"))?;
                let first = viewer.bytes_down();
                Ok((viewer, first, summary))
            })
            .map_err(|e| format!("{e:#}"));
        watchers.push(Watcher { encoding, state });
    }
    let mut previous = screen.clone();
    for (i, frame) in rest.iter().enumerate() {
        frame.apply(&mut screen);
        let unchanged = screen == previous;
        if !unchanged {
            feeder
                .draw(frame)
                .with_context(|| format!("drawing frame {} on Xvnc", i + 2))?;
        }
        for watcher in &mut watchers {
            let Ok((viewer, _, summary)) = &mut watcher.state else {
                continue;
            };
            if unchanged {
                // Nothing to see: X drew nothing new and VNC has nothing to send.
                if !viewer.encoding.lossless() {
                    summary.add(psnr(viewer.pixels(), &screen.pixels));
                }
                continue;
            }
            if let Err(e) = deliver(viewer, &screen, true, summary) {
                watcher.state = Err(format!(
                    "vnc-{}: frame {} of {}: {e:#}",
                    watcher.encoding.name(),
                    i + 2,
                    frames.frames.len()
                ));
            }
        }
        previous.pixels.copy_from_slice(&screen.pixels);
    }
    // A viewer per encoding that joins now and takes the whole screen.
    let mut joins = Vec::new();
    for &encoding in encodings {
        let joined = xvnc.connect_rfb().and_then(|stream| {
            stream.set_read_timeout(Some(FRAME_TIMEOUT))?;
            let mut viewer = RfbView::connect(stream, None, encoding)?;
            deliver(&mut viewer, &screen, false, &mut PsnrSummary::default())?;
            Ok(viewer.bytes_down())
        });
        joins.push(
            joined.map_err(|e| format!("{}: a viewer that joins: {e:#}", encoding.vnc_name())),
        );
    }
    Ok(watchers
        .into_iter()
        .zip(joins)
        .map(|(w, join)| {
            let (viewer, first, summary) = w.state?;
            Ok(RfbResult {
                encoding: viewer.encoding,
                bytes_down: viewer.bytes_down(),
                first,
                join: Some(join?),
                bytes_up: viewer.bytes_up(),
                frames: frames.frames.len() as u64,
                updates: viewer.updates,
                decode: viewer.decode,
                copy_bytes: viewer.copy_bytes,
                psnr: (!viewer.encoding.lossless()).then_some(summary),
            })
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
