//! The command modes: an application's recorded request stream, re-encoded per mode, decoded
//! back, and replayed onto a replica scene whose screen must equal the server's.
//!
//! `cmd-lz4-ctx` is defined here. Each batch is one frame with the protocol's 8-byte header
//! (`u32 LE` wire length, `u8` flags, `u24 LE` payload length); flag `0x02` means the payload
//! is an LZ4 block compressed against a dictionary: the last [`DICT_BYTES`] bytes of the
//! payloads before it (both sides keep them). The payload is a sequence of entries:
//!
//! ```text
//! entry = 0x00 varint(len) body                 a request, postcard, as the protocol has it
//!       | 0x01 varint(slot) varint(len) body    a PutImage whose `data` is empty in `body`:
//!                                               its pixels are those of image cache `slot`
//! ```
//!
//! Every PutImage of at least [`CACHE_MIN`] bytes sent in full takes the next cache slot, on
//! both sides, while the cache holds at most [`CACHE_BYTES`]; a PutImage whose pixels are in
//! the cache is sent as a reference.

use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::time::{Duration, Instant};

use netui_protocol::frame::{
    check_frame, decode_request, decode_stream, frame_payload, messages, BatchWriter, FrameHeader,
    HEADER_LEN, MAX_PAYLOAD,
};
use netui_protocol::{Limits, Request, Size};
use netui_server::scene::Scene;

/// Bytes of earlier payloads that `cmd-lz4-ctx` compresses against (LZ4's window).
pub const DICT_BYTES: usize = 64 * 1024;
/// The smallest image that goes into the cache.
pub const CACHE_MIN: usize = 256;
/// The most image bytes the cache holds.
pub const CACHE_BYTES: usize = 64 << 20;
/// Header flag of `cmd-lz4-ctx`: LZ4 against the dictionary of earlier payloads.
const FLAG_DICT: u8 = 0x02;

/// The command modes, in report order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmdMode {
    /// Frames without compression.
    Raw,
    /// Each batch LZ4-compressed on its own.
    Lz4,
    /// Each batch compressed against earlier ones, with an image cache.
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
}

/// What one mode cost on one workload.
#[derive(Debug, Clone)]
pub struct CmdResult {
    /// Bytes of the encoded stream, headers included.
    pub bytes: u64,
    /// Frames (one or more per batch).
    pub frames: u64,
    /// CPU time of encoding.
    pub encode: Duration,
    /// CPU time of decoding (to requests; the replay is not counted).
    pub decode: Duration,
}

/// Splits a recorded client→server stream into batches of requests, one per frame, skipping
/// the hello frame.
pub fn batches(recorded: &[u8]) -> Result<Vec<Vec<Request>>, String> {
    let limits = Limits::default();
    let mut rest = recorded;
    let mut out = Vec::new();
    let mut first = true;
    while !rest.is_empty() {
        let header = check_frame(rest, &limits)
            .map_err(|e| format!("recorded stream: {e}"))?
            .ok_or("recorded stream ends inside a frame")?;
        if !first {
            let payload =
                frame_payload(header, rest).map_err(|e| format!("recorded stream: {e}"))?;
            let mut batch = Vec::new();
            for body in messages(&payload, &limits) {
                let body = body.map_err(|e| format!("recorded stream: {e}"))?;
                batch.push(decode_request(body).map_err(|e| format!("recorded stream: {e}"))?);
            }
            out.push(batch);
        }
        first = false;
        rest = &rest[header.frame_len()..];
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
    let mut encode = Duration::ZERO;
    let mut decode = Duration::ZERO;
    let mut bytes = 0u64;
    let mut frames = 0u64;
    let mut encoder = CtxEncoder::default();
    let mut decoder = CtxDecoder::default();
    let mut writer = BatchWriter::new(Limits::default(), mode == CmdMode::Lz4);
    let mut scene = Scene::new(size, Limits::default());
    let mut events = Vec::new();
    for batch in batches {
        let started = Instant::now();
        let wire = match mode {
            CmdMode::Raw | CmdMode::Lz4 => {
                for request in batch {
                    writer.push(request).map_err(|e| format!("encoding: {e}"))?;
                }
                writer.take_frames()
            }
            CmdMode::Lz4Ctx => encoder.encode(batch)?,
        };
        encode += started.elapsed();
        bytes += wire.len() as u64;

        let started = Instant::now();
        let decoded: Vec<Request> = match mode {
            CmdMode::Raw | CmdMode::Lz4 => {
                frames += count_frames(&wire)?;
                decode_stream(&wire, &Limits::default()).map_err(|e| format!("decoding: {e}"))?
            }
            CmdMode::Lz4Ctx => {
                frames += 1;
                decoder.decode(&wire)?
            }
        };
        decode += started.elapsed();
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

fn count_frames(mut wire: &[u8]) -> Result<u64, String> {
    let mut n = 0;
    while !wire.is_empty() {
        let header = check_frame(wire, &Limits::default())
            .map_err(|e| format!("decoding: {e}"))?
            .ok_or("decoding: a frame is cut off")?;
        wire = &wire[header.frame_len()..];
        n += 1;
    }
    Ok(n)
}

fn write_varint(mut value: usize, out: &mut Vec<u8>) {
    while value >= 0x80 {
        out.push(value as u8 | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

fn read_varint(bytes: &mut &[u8]) -> Result<usize, String> {
    let mut value = 0usize;
    for shift in (0..35).step_by(7) {
        let (&byte, rest) = bytes.split_first().ok_or("cmd-lz4-ctx: varint cut off")?;
        *bytes = rest;
        value |= usize::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err("cmd-lz4-ctx: varint too long".into())
}

fn take<'a>(bytes: &mut &'a [u8], len: usize) -> Result<&'a [u8], String> {
    if bytes.len() < len {
        return Err("cmd-lz4-ctx: entry cut off".into());
    }
    let (head, rest) = bytes.split_at(len);
    *bytes = rest;
    Ok(head)
}

/// The last [`DICT_BYTES`] of payload, as both sides keep it.
#[derive(Default)]
struct History(Vec<u8>);

impl History {
    fn push(&mut self, payload: &[u8]) {
        self.0.extend_from_slice(payload);
        if self.0.len() > DICT_BYTES {
            self.0.drain(..self.0.len() - DICT_BYTES);
        }
    }
}

/// The image cache's bookkeeping, the same on both sides.
#[derive(Default)]
struct Cache {
    slots: Vec<Vec<u8>>,
    bytes: usize,
}

impl Cache {
    /// Takes `data` into the next slot if the rule says so.
    fn admit(&mut self, data: &[u8]) -> Option<usize> {
        if data.len() < CACHE_MIN || self.bytes + data.len() > CACHE_BYTES {
            return None;
        }
        self.bytes += data.len();
        self.slots.push(data.to_vec());
        Some(self.slots.len() - 1)
    }
}

fn hash(data: &[u8]) -> u64 {
    let mut h = DefaultHasher::new();
    data.hash(&mut h);
    h.finish()
}

#[derive(Default)]
struct CtxEncoder {
    history: History,
    cache: Cache,
    /// Hash of an image's pixels → the slots that hold pixels with that hash.
    index: HashMap<u64, Vec<usize>>,
}

impl CtxEncoder {
    fn encode(&mut self, batch: &[Request]) -> Result<Vec<u8>, String> {
        let mut payload = Vec::new();
        for request in batch {
            let mut reference = None;
            if let Request::PutImage { data, .. } = request {
                let key = hash(data);
                reference = self.index.get(&key).and_then(|slots| {
                    slots
                        .iter()
                        .copied()
                        .find(|&s| self.cache.slots[s] == *data)
                });
                if reference.is_none() {
                    if let Some(slot) = self.cache.admit(data) {
                        self.index.entry(key).or_default().push(slot);
                    }
                }
            }
            let body = match (reference, request) {
                (
                    Some(slot),
                    Request::PutImage {
                        target,
                        rect,
                        format,
                        ..
                    },
                ) => {
                    payload.push(1);
                    write_varint(slot, &mut payload);
                    postcard::to_allocvec(&Request::PutImage {
                        target: *target,
                        rect: *rect,
                        format: *format,
                        data: Vec::new(),
                    })
                }
                _ => {
                    payload.push(0);
                    postcard::to_allocvec(request)
                }
            }
            .map_err(|e| format!("cmd-lz4-ctx encoding: {e}"))?;
            write_varint(body.len(), &mut payload);
            payload.extend_from_slice(&body);
        }
        if payload.len() > MAX_PAYLOAD {
            return Err(format!(
                "cmd-lz4-ctx: a batch of {} bytes is above the frame limit",
                payload.len()
            ));
        }
        let packed = lz4_flex::block::compress_with_dict(&payload, &self.history.0);
        let compressed = packed.len() < payload.len();
        let body = if compressed { &packed } else { &payload };
        let header = FrameHeader {
            wire_len: body.len(),
            payload_len: payload.len(),
            compressed: false,
        };
        let mut frame = header.to_bytes().to_vec();
        if compressed {
            frame[4] = FLAG_DICT;
        }
        frame.extend_from_slice(body);
        self.history.push(&payload);
        Ok(frame)
    }
}

#[derive(Default)]
struct CtxDecoder {
    history: History,
    cache: Cache,
}

impl CtxDecoder {
    fn decode(&mut self, frame: &[u8]) -> Result<Vec<Request>, String> {
        let head: [u8; HEADER_LEN] = frame
            .get(..HEADER_LEN)
            .and_then(|h| h.try_into().ok())
            .ok_or("cmd-lz4-ctx: header cut off")?;
        let wire_len = u32::from_le_bytes([head[0], head[1], head[2], head[3]]) as usize;
        let raw_len = u32::from_le_bytes([head[5], head[6], head[7], 0]) as usize;
        let body = frame
            .get(HEADER_LEN..HEADER_LEN + wire_len)
            .ok_or("cmd-lz4-ctx: frame cut off")?;
        let payload = match head[4] {
            0 => body.to_vec(),
            FLAG_DICT => lz4_flex::block::decompress_with_dict(body, raw_len, &self.history.0)
                .map_err(|e| format!("cmd-lz4-ctx: {e}"))?,
            flags => return Err(format!("cmd-lz4-ctx: unknown flags {flags:#x}")),
        };
        if payload.len() != raw_len {
            return Err("cmd-lz4-ctx: payload length differs from the header".into());
        }
        let mut rest = payload.as_slice();
        let mut out = Vec::new();
        while let Some((&tag, after)) = rest.split_first() {
            rest = after;
            let slot = match tag {
                0 => None,
                1 => Some(read_varint(&mut rest)?),
                _ => return Err(format!("cmd-lz4-ctx: unknown entry {tag}")),
            };
            let len = read_varint(&mut rest)?;
            let body = take(&mut rest, len)?;
            let mut request = decode_request(body).map_err(|e| format!("cmd-lz4-ctx: {e}"))?;
            match (slot, &mut request) {
                (Some(slot), Request::PutImage { data, .. }) => {
                    *data = self
                        .cache
                        .slots
                        .get(slot)
                        .ok_or_else(|| format!("cmd-lz4-ctx: no image in slot {slot}"))?
                        .clone();
                }
                (Some(_), _) => return Err("cmd-lz4-ctx: a reference that is not an image".into()),
                (None, Request::PutImage { data, .. }) => {
                    self.cache.admit(data);
                }
                (None, _) => {}
            }
            out.push(request);
        }
        self.history.push(&payload);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use netui_protocol::{ImageFormat, Rect, ResourceId};

    #[test]
    fn ctx_round_trips_and_caches_images() {
        let image = Request::PutImage {
            target: ResourceId(0x20001),
            rect: Rect::new(0, 0, 16, 16),
            format: ImageFormat::Rgba8,
            data: (0..1024).map(|i| (i * 7) as u8).collect(),
        };
        let batch = vec![image.clone(), Request::Sync];
        let mut encoder = CtxEncoder::default();
        let mut decoder = CtxDecoder::default();
        let first = encoder.encode(&batch).unwrap();
        assert_eq!(decoder.decode(&first).unwrap(), batch);
        let second = encoder.encode(&batch).unwrap();
        assert!(second.len() < 64, "the second image is a reference");
        assert_eq!(decoder.decode(&second).unwrap(), batch);
    }
}
