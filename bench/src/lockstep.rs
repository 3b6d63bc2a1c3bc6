//! netui's pixel encodings fed the very frames that Xvnc is fed ([`crate::vnc`]), in the same
//! lockstep, so that the comparison with VNC is over the same updates.
//!
//! The live viewers of [`crate::session`] follow a server whose application is paced by
//! time: when an encode takes longer than a frame (a large image), the server merges two
//! frames into one update, and bytes per update are then over other updates than Xvnc's,
//! which gets every frame. Here each frame goes through a [`PixelEncoder`] with its patches
//! as damage and the server's hints (copies and drawings), is framed exactly as the server frames a
//! viewer's update ([`codec::push`]), and is decoded by a [`PixelDecoder`] whose screen must
//! equal the frame before the next one is encoded. A frame that changes nothing sends
//! nothing, as Xvnc does.

use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use netui_display_server::codec;
use netui_protocol::{
    BatchWriter, Compression, Limits, PixelEncoding, RectEncoding, Request, ServerMessage,
    ViewMessage,
};
use netui_scene::encoding::{Hint, PixelDecoder, PixelEncoder};
use netui_scene::render::Canvas;

use crate::frames::{Frames, Screen};

/// The report's name for px-tiles fed Xvnc's frames in lockstep.
pub const PROTOCOL: &str = "px-tiles-lockstep";
/// The report's name for px-tiles fed the same frames without the server's drawings (the
/// copies still go): what the pixels alone cost, beside what the drawings save.
pub const PIXELS_ONLY: &str = "px-tiles-pixels-lockstep";

/// What a lossless netui encoding sent for a workload's frames.
#[derive(Debug, Clone)]
pub struct Lockstep {
    /// The encoding.
    pub encoding: PixelEncoding,
    /// Bytes of the updates as framed on the connection, the first full screen included.
    pub bytes: u64,
    /// Bytes of the first full screen.
    pub first: u64,
    /// Bytes of the encoded pixels alone (without messages and frames).
    pub encoded: u64,
    /// Bytes of the viewer's acknowledgements, one per update, as framed.
    pub acks: u64,
    /// Rectangles sent as copies of what the viewer has (scrolls and moves).
    pub copies: u64,
    /// Frames fed, the first included (as for Xvnc: the steady state is per frame).
    pub frames: u64,
    /// CPU time of encoding.
    pub encode: Duration,
    /// CPU time of decoding.
    pub decode: Duration,
}

/// Feeds `frames` through `encoding` (lossless) in lockstep, with the server's drawings
/// among the hints if `drawings` says; fails naming the first frame whose decoded screen
/// differs from it.
pub fn measure(
    frames: &Frames,
    encoding: PixelEncoding,
    drawings: bool,
) -> anyhow::Result<Lockstep> {
    if !PixelEncoding::ALL.contains(&encoding) {
        bail!("{}: lockstep compares lossless encodings", encoding.name());
    }
    let size = frames.size;
    let mut screen = Screen::new(size);
    let mut canvas = Canvas::try_new(size.width, size.height, netui_protocol::Color::BLACK)
        .context("a canvas of the screen's size")?;
    let mut encoder = PixelEncoder::new(encoding, size);
    let mut decoder = PixelDecoder::new(size);
    let mut result = Lockstep {
        encoding,
        bytes: 0,
        first: 0,
        encoded: 0,
        acks: 0,
        copies: 0,
        frames: frames.frames.len() as u64,
        encode: Duration::ZERO,
        decode: Duration::ZERO,
    };
    let mut down = BatchWriter::new(Limits::default(), Compression::default());
    let mut up = BatchWriter::new(Limits::default(), Compression::default());
    let mut update = 0u64;
    for (i, frame) in frames.frames.iter().enumerate() {
        frame.apply(&mut screen);
        // The decoder shows the frame before (checked below): nothing new, nothing sent.
        if i > 0 && screen.pixels.as_slice() == decoder.canvas().pixels() {
            continue;
        }
        canvas.pixels_mut().copy_from_slice(&screen.pixels);
        let damage: Vec<_> = if i == 0 {
            vec![screen.bounds()]
        } else {
            (frame.patches.iter().map(|p| p.rect))
                .chain(frame.copies().map(|c| c.0))
                .collect()
        };
        let hints: Vec<Hint> = frame
            .hints
            .iter()
            .filter(|h| drawings || matches!(h, Hint::Copy(..)))
            .cloned()
            .collect();
        let started = Instant::now();
        let rects = encoder.encode(&canvas, &damage, &hints);
        result.encode += started.elapsed();
        result.encoded += rects.iter().map(|r| r.data.len() as u64).sum::<u64>();
        result.copies += rects
            .iter()
            .filter(|r| matches!(r.kind, RectEncoding::Copy { .. }))
            .count() as u64;
        let started = Instant::now();
        decoder
            .apply(size, &rects)
            .with_context(|| format!("{}: frame {} does not decode", encoding.name(), i + 1))?;
        result.decode += started.elapsed();
        if decoder.canvas().pixels() != screen.pixels.as_slice() {
            bail!(
                "{}: frame {} of {} decodes to other pixels than the frame's",
                encoding.name(),
                i + 1,
                frames.frames.len()
            );
        }
        update += 1;
        let message = ServerMessage::View(ViewMessage::Pixels {
            update,
            input: None,
            // The screen's size never changes here: the viewer knows it from the start.
            size: None,
            rects,
        });
        codec::push(&mut down, &message, Compression::default())?;
        result.bytes += down.take_frames().len() as u64;
        if i == 0 {
            result.first = result.bytes;
        }
        up.push(&Request::AckUpdate { update })?;
        result.acks += up.take_frames().len() as u64;
    }
    Ok(result)
}
