//! The command modes: an application's recorded request stream, re-encoded per mode, decoded
//! back, and replayed onto a replica scene whose screen must equal the server's.
//!
//! Each mode is one of the protocol's compressions (`netui_protocol::frame`), written by its
//! `BatchWriter` one batch (one flush of the application) at a time and read back by one
//! `FrameReader`, as a connection does:
//! - `cmd-raw`: [`Compression::None`], plain frames.
//! - `cmd-lz4`: [`Compression::Lz4`], each frame LZ4-compressed on its own when that pays.
//! - `cmd-lz4-ctx`: [`Compression::Lz4Ctx`], each frame LZ4-compressed against the last
//!   64 KiB of the earlier ones, and every request of 256 bytes or more that was sent before
//!   (an image drawn again, say) sent as a reference to the protocol's message cache
//!   (16 MiB, oldest out first). Its format is defined and documented in the protocol crate.
//!
//! In every mode the requests are first made what the server's journal sends a command-mode
//! viewer: large images compressed (`netui_protocol::images::SharedImages::packed`, an image
//! coded lately found again, as the server's scene does), which the replica expands again.

use std::time::{Duration, Instant};

use netui_protocol::frame::{decode_request, BatchWriter, Compression};
use netui_protocol::images::SharedImages;
use netui_protocol::{FrameReader, Limits, Request, Size};
use netui_scene::scene::Scene;

/// The command modes, in report order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmdMode {
    /// Frames without compression.
    Raw,
    /// Each batch LZ4-compressed on its own.
    Lz4,
    /// Each batch compressed against earlier ones, with a cache of repeated messages.
    Lz4Ctx,
}

impl CmdMode {
    /// Every command mode.
    pub const ALL: [CmdMode; 3] = [CmdMode::Raw, CmdMode::Lz4, CmdMode::Lz4Ctx];

    /// The name in reports.
    pub fn name(self) -> &'static str {
        match self {
            CmdMode::Raw => "cmd-raw",
            CmdMode::Lz4 => "cmd-lz4",
            CmdMode::Lz4Ctx => "cmd-lz4-ctx",
        }
    }

    /// The connection compression that this mode measures.
    fn compression(self) -> Compression {
        match self {
            CmdMode::Raw => Compression::None,
            CmdMode::Lz4 => Compression::Lz4,
            CmdMode::Lz4Ctx => Compression::Lz4Ctx,
        }
    }
}

/// What one mode cost on one workload.
#[derive(Debug, Clone)]
pub struct CmdResult {
    /// Bytes of the encoded stream, headers included.
    pub bytes: u64,
    /// Bytes of the first batch's frames (the window's creation and first drawing).
    pub first: u64,
    /// Frames (one or more per batch).
    pub frames: u64,
    /// CPU time of encoding.
    pub encode: Duration,
    /// CPU time of decoding (to requests; the replay is not counted).
    pub decode: Duration,
}

/// Splits a recorded client→server stream into batches of requests, one per frame, skipping
/// the hello frame. The stream may be in any compression.
pub fn batches(recorded: &[u8]) -> Result<Vec<Vec<Request>>, String> {
    let mut frames = FrameReader::new(Limits::default());
    frames.feed(recorded);
    let mut out = Vec::new();
    let mut first = true;
    while let Some(frame) = frames
        .next_frame()
        .map_err(|e| format!("recorded stream: {e}"))?
    {
        if !first {
            let batch = frame
                .bodies
                .map(decode_request)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| format!("recorded stream: {e}"))?;
            out.push(batch);
        }
        first = false;
    }
    if !frames.buffered().is_empty() {
        return Err("recorded stream ends inside a frame".into());
    }
    Ok(out)
}

/// Encodes `batches` in `mode`, decodes the result back, replays the decoded requests onto a
/// fresh scene of `size`, and checks its screen against `expected` (RGBA of the whole screen).
pub fn measure(
    mode: CmdMode,
    batches: &[Vec<Request>],
    size: Size,
    expected: &[u8],
) -> Result<CmdResult, String> {
    let limits = Limits::default();
    let mut encode = Duration::ZERO;
    let mut decode = Duration::ZERO;
    let mut bytes = 0u64;
    let mut first = 0u64;
    let mut frames = 0u64;
    let mut writer = BatchWriter::new(limits, mode.compression());
    let mut reader = FrameReader::new(limits);
    let mut scene = Scene::new(size, limits);
    let mut events = Vec::new();
    let mut decoded = Vec::new();
    let coded = SharedImages::default();
    for batch in batches {
        let started = Instant::now();
        for request in batch {
            for request in coded.packed(request) {
                writer
                    .push(&*request)
                    .map_err(|e| format!("encoding: {e}"))?;
            }
        }
        let wire = writer.take_frames();
        encode += started.elapsed();
        bytes += wire.len() as u64;
        if first == 0 {
            first = bytes;
        }

        // As a socket read would, outside the decoding time.
        reader.feed(&wire);
        let started = Instant::now();
        decoded.clear();
        while let Some(frame) = reader.next_frame().map_err(|e| format!("decoding: {e}"))? {
            for body in frame.bodies {
                decoded.push(decode_request(body).map_err(|e| format!("decoding: {e}"))?);
            }
            frames += 1;
        }
        decode += started.elapsed();
        if !reader.buffered().is_empty() {
            return Err("decoding: a frame is cut off".into());
        }
        if decoded.len() != batch.len() {
            return Err(format!(
                "a batch of {} requests decoded as {}",
                batch.len(),
                decoded.len()
            ));
        }
        for request in &decoded {
            // A request the server refused is refused here too; only the pixels count.
            let _ = scene.apply(request, &mut events);
        }
        events.clear();
    }
    scene.composite();
    let screen = scene.screen();
    let (_, rgba) = screen.read_rgba(screen.bounds());
    if rgba != expected {
        return Err(format!(
            "the replayed screen differs from the server's in {} pixels",
            differing_pixels(&rgba, expected)
        ));
    }
    Ok(CmdResult {
        bytes,
        first,
        frames,
        encode,
        decode,
    })
}

/// Pixels (4-byte groups) that differ between two RGBA buffers, plus any length difference.
pub fn differing_pixels(a: &[u8], b: &[u8]) -> usize {
    let differ = a.chunks(4).zip(b.chunks(4)).filter(|(x, y)| x != y).count();
    differ + a.len().abs_diff(b.len()) / 4
}

#[cfg(test)]
mod tests {
    use super::*;
    use netui_protocol::{FrameDecoder, ImageFormat, Rect, ResourceId};

    #[test]
    fn ctx_round_trips_and_caches_images() {
        let image = Request::PutImage {
            target: ResourceId(0x20001),
            rect: Rect::new(0, 0, 16, 16),
            format: ImageFormat::Rgba8,
            data: (0..1024).map(|i| (i * 7) as u8).collect(),
        };
        let batch = vec![image.clone(), Request::Sync];
        let limits = Limits::default();
        let mut writer = BatchWriter::new(limits, Compression::Lz4Ctx);
        let mut decoder = FrameDecoder::new();
        let mut send = |batch: &[Request]| {
            for r in batch {
                writer.push(r).unwrap();
            }
            let wire = writer.take_frames();
            let back: Vec<Request> = decoder.decode_messages(&wire, &limits).unwrap();
            assert_eq!(back, batch);
            wire.len()
        };
        assert!(send(&batch) > 64);
        assert!(send(&batch) < 64, "the second image is a reference");
    }
}
