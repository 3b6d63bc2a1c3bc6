//! Frames, batches, compression and the limits that bound decoding.
//!
//! ```text
//! frame   = header payload
//! header  = 8 bytes:
//!   0..4  u32 LE  wire length: payload bytes that follow the header
//!   4     u8      flags: bit 0 set = payload is one LZ4 block; other bits must be 0
//!   5..8  u24 LE  payload length after decompression (equal to the wire length if bit 0 is 0)
//! payload = message*            (after decompression)
//! message = varint(len) body    (LEB128 length, then `len` bytes of postcard)
//! ```
//!
//! Every message carries its own length, as every X11 request does, so that a server can
//! skip a request it does not understand, report it, and go on with the rest of the batch.

use std::borrow::Cow;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::{DecodeError, EncodeError};
use crate::request::Request;

/// Size of a frame header in bytes.
pub const HEADER_LEN: usize = 8;
/// Header flag: the payload is an LZ4 block.
pub const FLAG_LZ4: u8 = 0x01;
/// The largest payload the header can describe (2^24 - 1 bytes).
pub const MAX_PAYLOAD: usize = (1 << 24) - 1;
/// Payloads smaller than this are never compressed: LZ4 cannot win on them.
const MIN_COMPRESS: usize = 64;

/// The limits that a server enforces, sent to every client in its welcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// Largest frame payload, after decompression.
    pub max_payload: u32,
    /// Most messages in one frame.
    pub max_messages: u32,
    /// Largest width or height of a window or pixmap.
    pub max_side: u32,
    /// Most pixels that one client's windows and pixmaps may hold together.
    pub max_client_pixels: u64,
    /// Longest text of one [`Request::Text`], in bytes.
    pub max_text_len: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_payload: MAX_PAYLOAD as u32,
            max_messages: 65_536,
            max_side: 8192,
            max_client_pixels: 64 << 20,
            max_text_len: 4096,
        }
    }
}

/// A parsed frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameHeader {
    /// Payload bytes on the wire, after the header.
    pub wire_len: usize,
    /// Payload bytes after decompression.
    pub payload_len: usize,
    /// Whether the payload is an LZ4 block.
    pub compressed: bool,
}

impl FrameHeader {
    /// Parses a header and checks it against the limits.
    pub fn parse(bytes: [u8; HEADER_LEN], limits: &Limits) -> Result<Self, DecodeError> {
        let [w0, w1, w2, w3, flags, r0, r1, r2] = bytes;
        let wire_len = u32::from_le_bytes([w0, w1, w2, w3]) as usize;
        let payload_len = u32::from_le_bytes([r0, r1, r2, 0]) as usize;
        if flags & !FLAG_LZ4 != 0 {
            return Err(DecodeError::UnknownFlags(flags));
        }
        let limit = limits.max_payload as usize;
        for len in [wire_len, payload_len] {
            if len > limit {
                return Err(DecodeError::FrameTooLarge { len, limit });
            }
        }
        let compressed = flags & FLAG_LZ4 != 0;
        if !compressed && wire_len != payload_len {
            return Err(DecodeError::LengthMismatch {
                wire: wire_len,
                raw: payload_len,
            });
        }
        Ok(Self {
            wire_len,
            payload_len,
            compressed,
        })
    }

    /// The eight header bytes.
    pub fn to_bytes(self) -> [u8; HEADER_LEN] {
        let [w0, w1, w2, w3] = (self.wire_len as u32).to_le_bytes();
        let [r0, r1, r2, _] = (self.payload_len as u32).to_le_bytes();
        let flags = if self.compressed { FLAG_LZ4 } else { 0 };
        [w0, w1, w2, w3, flags, r0, r1, r2]
    }

    /// Header and payload together.
    pub fn frame_len(self) -> usize {
        HEADER_LEN + self.wire_len
    }
}

/// Looks at the start of `buf`: `Ok(None)` until a whole frame is there, then its header.
/// A header that breaks the limits is an error at once, before its payload arrives.
pub fn check_frame(buf: &[u8], limits: &Limits) -> Result<Option<FrameHeader>, DecodeError> {
    let Some(head) = buf.first_chunk::<HEADER_LEN>() else {
        return Ok(None);
    };
    let header = FrameHeader::parse(*head, limits)?;
    Ok((buf.len() >= header.frame_len()).then_some(header))
}

/// The payload of a whole frame (`frame` starts with its header), decompressed if need be.
pub fn frame_payload<'a>(
    header: FrameHeader,
    frame: &'a [u8],
) -> Result<Cow<'a, [u8]>, DecodeError> {
    let body = frame
        .get(HEADER_LEN..header.frame_len())
        .ok_or(DecodeError::Truncated {
            len: header.wire_len,
            left: frame.len().saturating_sub(HEADER_LEN),
        })?;
    if !header.compressed {
        return Ok(Cow::Borrowed(body));
    }
    let payload = lz4_flex::block::decompress(body, header.payload_len)
        .map_err(|e| DecodeError::Decompress(e.to_string()))?;
    if payload.len() != header.payload_len {
        return Err(DecodeError::Decompress(format!(
            "expanded to {} bytes, header says {}",
            payload.len(),
            header.payload_len
        )));
    }
    Ok(Cow::Owned(payload))
}

/// The messages of a payload, each as its undecoded body, at most `max_messages` of them.
pub fn messages<'a>(payload: &'a [u8], limits: &Limits) -> Messages<'a> {
    Messages {
        rest: payload,
        left: limits.max_messages as usize,
        limit: limits.max_messages as usize,
    }
}

/// Iterator over the message bodies of a payload; see [`messages`]. After an error it ends.
#[derive(Debug)]
pub struct Messages<'a> {
    rest: &'a [u8],
    left: usize,
    limit: usize,
}

impl<'a> Iterator for Messages<'a> {
    type Item = Result<&'a [u8], DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        if self.left == 0 {
            self.rest = &[];
            return Some(Err(DecodeError::TooManyMessages { limit: self.limit }));
        }
        self.left -= 1;
        let result = read_varint(self.rest).and_then(|(len, used)| {
            let left = self.rest.len() - used;
            let len = len as usize;
            if len > left {
                return Err(DecodeError::Truncated { len, left });
            }
            let body = &self.rest[used..used + len];
            self.rest = &self.rest[used + len..];
            Ok(body)
        });
        if result.is_err() {
            self.rest = &[];
        }
        Some(result)
    }
}

/// Decodes one message body that must be consumed whole.
pub fn decode_message<T: DeserializeOwned>(body: &[u8]) -> Result<T, DecodeError> {
    let (value, rest) =
        postcard::take_from_bytes(body).map_err(|e| DecodeError::Malformed(e.to_string()))?;
    if !rest.is_empty() {
        return Err(DecodeError::Malformed(format!(
            "{} bytes left over after the message",
            rest.len()
        )));
    }
    Ok(value)
}

/// Decodes a request, telling an unknown opcode from a malformed body.
pub fn decode_request(body: &[u8]) -> Result<Request, DecodeError> {
    decode_message(body).map_err(|err| match opcode(body) {
        Some(op) if crate::RequestKind::from_opcode(op).is_none() => DecodeError::UnknownOpcode(op),
        _ => err,
    })
}

/// The opcode at the start of a request body (postcard writes the variant index first).
pub fn opcode(body: &[u8]) -> Option<u32> {
    read_varint(body).ok().map(|(v, _)| v)
}

/// Reads a LEB128 `u32`; returns the value and the bytes it took.
fn read_varint(bytes: &[u8]) -> Result<(u32, usize), DecodeError> {
    let mut value: u32 = 0;
    for (i, &byte) in bytes.iter().take(5).enumerate() {
        let bits = u32::from(byte & 0x7f);
        if i == 4 && bits > 0x0f {
            return Err(DecodeError::Malformed("length prefix overflows u32".into()));
        }
        value |= bits << (7 * i);
        if byte & 0x80 == 0 {
            return Ok((value, i + 1));
        }
    }
    Err(DecodeError::Malformed(
        "length prefix is cut off or too long".into(),
    ))
}

fn write_varint(mut value: u32, out: &mut Vec<u8>) {
    while value >= 0x80 {
        out.push(value as u8 | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// Byte counts of what a [`BatchWriter`] has sealed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriterStats {
    /// Frames sealed.
    pub frames: u64,
    /// Messages written.
    pub messages: u64,
    /// Payload bytes before compression (headers excluded).
    pub payload_bytes: u64,
    /// Bytes on the wire, headers included.
    pub wire_bytes: u64,
}

/// Builds frames from messages: push messages, then [`BatchWriter::seal`] the batch into
/// frames. A batch that would pass the limits is split into several frames by itself.
#[derive(Debug)]
pub struct BatchWriter {
    limits: Limits,
    compress: bool,
    payload: Vec<u8>,
    messages: usize,
    scratch: Vec<u8>,
    out: Vec<u8>,
    stats: WriterStats,
}

impl BatchWriter {
    /// A writer that obeys `limits` and compresses each frame with LZ4 when `compress` is set
    /// and compression makes it smaller.
    pub fn new(limits: Limits, compress: bool) -> Self {
        Self {
            limits,
            compress,
            payload: Vec::new(),
            messages: 0,
            scratch: Vec::new(),
            out: Vec::new(),
            stats: WriterStats::default(),
        }
    }

    /// Turns compression on or off for the frames sealed from now on.
    pub fn set_compress(&mut self, compress: bool) {
        self.compress = compress;
    }

    /// Appends a message to the current batch.
    pub fn push<T: Serialize>(&mut self, message: &T) -> Result<(), EncodeError> {
        self.scratch.clear();
        let scratch = std::mem::take(&mut self.scratch);
        self.scratch = postcard::to_extend(message, scratch)
            .map_err(|e| EncodeError::Serialize(e.to_string()))?;
        let len = self.scratch.len();
        let limit = self.limits.max_payload as usize;
        if len + 5 > limit {
            return Err(EncodeError::TooLarge { len, limit });
        }
        if self.payload.len() + len + 5 > limit
            || self.messages >= self.limits.max_messages as usize
        {
            self.seal_payload();
        }
        write_varint(len as u32, &mut self.payload);
        self.payload.extend_from_slice(&self.scratch);
        self.messages += 1;
        self.stats.messages += 1;
        Ok(())
    }

    /// Payload bytes in the open batch.
    pub fn pending_bytes(&self) -> usize {
        self.payload.len()
    }

    /// Seals the open batch (if any) and returns every frame sealed so far, ready to write.
    pub fn take_frames(&mut self) -> Vec<u8> {
        self.seal_payload();
        std::mem::take(&mut self.out)
    }

    /// What this writer has sealed so far.
    pub fn stats(&self) -> WriterStats {
        self.stats
    }

    fn seal_payload(&mut self) {
        if self.payload.is_empty() {
            return;
        }
        let raw_len = self.payload.len();
        let start = self.out.len();
        self.out.extend_from_slice(&[0; HEADER_LEN]);
        let mut compressed = false;
        if self.compress && raw_len >= MIN_COMPRESS {
            let packed = lz4_flex::block::compress(&self.payload);
            if packed.len() < raw_len {
                self.out.extend_from_slice(&packed);
                compressed = true;
            }
        }
        if !compressed {
            self.out.extend_from_slice(&self.payload);
        }
        let header = FrameHeader {
            wire_len: self.out.len() - start - HEADER_LEN,
            payload_len: raw_len,
            compressed,
        };
        self.out[start..start + HEADER_LEN].copy_from_slice(&header.to_bytes());
        self.stats.frames += 1;
        self.stats.payload_bytes += raw_len as u64;
        self.stats.wire_bytes += header.frame_len() as u64;
        self.payload.clear();
        self.messages = 0;
    }
}

/// Encodes one message as a frame of its own (used for the handshake).
pub fn encode_single<T: Serialize>(message: &T) -> Result<Vec<u8>, EncodeError> {
    let mut writer = BatchWriter::new(Limits::default(), false);
    writer.push(message)?;
    Ok(writer.take_frames())
}

/// Decodes every message of a byte stream of whole frames (for tests, tools and benchmarks
/// that hold a recorded stream). Fails on the first error.
pub fn decode_stream<T: DeserializeOwned>(
    mut bytes: &[u8],
    limits: &Limits,
) -> Result<Vec<T>, DecodeError> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        let header = check_frame(bytes, limits)?.ok_or(DecodeError::Truncated {
            len: bytes.len(),
            left: bytes.len(),
        })?;
        let payload = frame_payload(header, bytes)?;
        for body in messages(&payload, limits) {
            out.push(decode_message(body?)?);
        }
        bytes = &bytes[header.frame_len()..];
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::{Color, Rect};
    use crate::request::ResourceId;

    #[test]
    fn header_bytes_are_as_documented() {
        let header = FrameHeader {
            wire_len: 0x0102_0304,
            payload_len: 0x0a0b0c,
            compressed: true,
        };
        assert_eq!(
            header.to_bytes(),
            [
                0x04, 0x03, 0x02, 0x01, // wire length, little-endian
                0x01, // flags: LZ4
                0x0c, 0x0b, 0x0a, // payload length, 24-bit little-endian
            ]
        );
    }

    #[test]
    fn header_limits_are_checked_before_the_payload_arrives() {
        let limits = Limits::default();
        // Announces 2^24 + 1 bytes: refused on the 8 header bytes alone.
        let big = [0x01, 0x00, 0x00, 0x01, 0x00, 0xff, 0xff, 0xff];
        assert!(matches!(
            check_frame(&big, &limits),
            Err(DecodeError::FrameTooLarge { .. })
        ));
        let flags = [0x00, 0x00, 0x00, 0x00, 0x80, 0x00, 0x00, 0x00];
        assert_eq!(
            check_frame(&flags, &limits),
            Err(DecodeError::UnknownFlags(0x80))
        );
        let mismatch = [0x02, 0x00, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00];
        assert!(matches!(
            check_frame(&mismatch, &limits),
            Err(DecodeError::LengthMismatch { wire: 2, raw: 3 })
        ));
        // Incomplete: not an error, just not yet.
        assert_eq!(check_frame(&[0x02, 0, 0], &limits), Ok(None));
        assert_eq!(check_frame(&[2, 0, 0, 0, 0, 2, 0, 0, 9], &limits), Ok(None));
    }

    #[test]
    fn a_small_request_has_the_exact_bytes() {
        let frames = encode_single(&Request::MapWindow {
            id: ResourceId(0x20_0001),
        })
        .expect("encodes");
        assert_eq!(
            frames,
            [
                6, 0, 0, 0, // wire length
                0, // flags: not compressed
                6, 0, 0, // payload length
                5, // message length
                1, // opcode 1: MapWindow
                0x81, 0x80, 0x80, 0x01, // id 0x200001 as LEB128
            ]
        );
    }

    #[test]
    fn a_batch_of_rectangles_is_small_and_compresses() {
        let mut w = BatchWriter::new(Limits::default(), true);
        let rects: Vec<Rect> = (0..1000)
            .map(|i| Rect::new(i % 1000, i / 10, 10, 10))
            .collect();
        let req = Request::FillRects {
            target: ResourceId(0x20_0001),
            color: Color::RED,
            rects,
        };
        w.push(&req).expect("encodes");
        let frames = w.take_frames();
        let stats = w.stats();
        // At most 8 bytes a rectangle before compression, as in X11's PolyFillRectangle.
        assert!(stats.payload_bytes <= 8 * 1000 + 32, "{stats:?}");
        assert!(stats.wire_bytes < stats.payload_bytes, "{stats:?}");
        let back: Vec<Request> = decode_stream(&frames, &Limits::default()).expect("decodes");
        assert_eq!(back, vec![req]);
    }

    #[test]
    fn big_batches_split_into_frames_within_limits() {
        let limits = Limits {
            max_payload: 1000,
            max_messages: 10,
            ..Limits::default()
        };
        let mut w = BatchWriter::new(limits, false);
        for _ in 0..25 {
            w.push(&Request::Sync).expect("encodes");
        }
        let frames = w.take_frames();
        assert_eq!(w.stats().frames, 3);
        let back: Vec<Request> = decode_stream(&frames, &limits).expect("decodes");
        assert_eq!(back.len(), 25);
        let image = Request::PutImage {
            target: ResourceId(1),
            rect: Rect::new(0, 0, 100, 100),
            format: crate::ImageFormat::Rgba8,
            data: vec![0; 40_000],
        };
        assert!(matches!(w.push(&image), Err(EncodeError::TooLarge { .. })));
    }

    #[test]
    fn unknown_opcodes_are_told_apart_from_malformed_bodies() {
        assert_eq!(
            decode_request(&[200, 1]),
            Err(DecodeError::UnknownOpcode(200))
        );
        assert!(matches!(
            decode_request(&[1]),
            Err(DecodeError::Malformed(_))
        ));
        // MapWindow with a trailing byte.
        assert!(matches!(
            decode_request(&[1, 5, 0]),
            Err(DecodeError::Malformed(_))
        ));
    }

    #[test]
    fn varints_round_trip_and_reject_overflow() {
        for v in [0, 1, 127, 128, 300, u32::MAX] {
            let mut buf = Vec::new();
            write_varint(v, &mut buf);
            assert_eq!(read_varint(&buf), Ok((v, buf.len())));
        }
        assert!(read_varint(&[0xff, 0xff, 0xff, 0xff, 0x7f]).is_err());
        assert!(read_varint(&[0x80, 0x80]).is_err());
    }
}
