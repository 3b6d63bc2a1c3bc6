//! Frames, batches, compression and the limits that bound decoding.
//!
//! ```text
//! frame   = header payload
//! header  = flags length [raw-length]   2 to 9 bytes (a small frame's: 2 or 3)
//!   flags       u8: bit 0 (0x01) LZ4: the payload is one LZ4 block
//!                   bit 1 (0x02) context: the payload is made of entries and belongs to the
//!                                stream's context (below); with bit 0 as well, the LZ4
//!                                block is compressed against the dictionary
//!                   other bits must be 0
//!   length      LEB128, 1 to 4 bytes: the payload's bytes on the wire, after the header
//!   raw-length  LEB128, 1 to 4 bytes, only when bit 0 is set: the payload's bytes after
//!               decompression
//! payload = message*                  a plain frame (bit 1 clear), after decompression
//!         | entry*                    a context frame (bit 1 set), after decompression
//! message = varint(len) body          LEB128 length, then `len` bytes of postcard
//! entry   = varint(2 × len) body      a message of `len` bytes (low bit 0)
//!         | varint(2 × back + 1)      the cached message admitted `back` admissions before
//!                                     the newest one in the cache (low bit 1; 0 = the newest)
//! ```
//!
//! Every message carries its own length, as every X11 request does, so that a server can
//! skip a request it does not understand, report it, and go on with the rest of the batch.
//!
//! A header's lengths are LEB128 as a message's length is, so that the many small frames of
//! an interactive session (an input event, an acknowledgement, a typed key's update) carry
//! two or three bytes of header, not the fixed eight they once did. A length may be padded
//! with continuation bytes to its four (`0x85 0x80 0x80 0x00` is 5): a writer that reserved
//! room for the longest header before it knew the length fills that room instead of moving
//! a large payload to close the gap.
//!
//! # Compression
//!
//! Each end chooses how it writes ([`Compression`]); a reader decodes all three. A client
//! says in its hello how the server must write to it.
//! - `none`: plain frames, never compressed (flags `0x00`).
//! - `lz4`: plain frames, each LZ4-compressed on its own when that makes it smaller (`0x01`).
//! - `lz4-ctx`: context frames (`0x02`, or `0x03` when LZ4 makes the payload smaller), which
//!   remember the earlier ones, so that what repeats costs little or nothing.
//!
//! # The context of a stream (`lz4-ctx`)
//!
//! Both ends of each direction of a connection keep the same context, changed only by
//! context frames, in the order they travel:
//! - **The dictionary**: the last [`DICT_BYTES`] (64 KiB, LZ4's window) of the payloads of the
//!   context frames so far, after decompression, concatenated. A frame with flags `0x03` is
//!   an LZ4 block whose matches may reach back into the dictionary (an "external dictionary",
//!   as `lz4_flex::block::compress_with_dict` writes and `decompress_with_dict` reads). Every
//!   context frame's payload, compressed or stored, then joins the dictionary.
//! - **The cache**: every message entry of a context frame whose body has at least
//!   [`CACHE_MIN`] (256) bytes is admitted, in order, as the reader comes to it (so a
//!   reference later in the same frame may name it). The cache holds at most [`CACHE_BYTES`]
//!   (16 MiB) of bodies; admitting a body first evicts the oldest ones until it fits (FIFO).
//!   A writer sends a message as a reference when a byte-for-byte equal body is cached (a
//!   reference takes 1 to 3 bytes); a reader refuses a reference to an entry it does not
//!   hold.
//!
//! Plain frames (bit 1 clear) are outside the context: they neither use nor change the
//! dictionary or the cache, on either side. This is how a server sends pixel updates to a
//! client that chose `lz4-ctx` ([`BatchWriter::set_compression`] with [`Compression::None`]):
//! the pixel encoding alone decides how pixels are compressed. A context frame that LZ4 would
//! not shrink goes stored (`0x02`) and still changes the context, on both sides, as its flag
//! tells the reader. So the two contexts cannot diverge while the frames arrive intact and in
//! order; after a broken context frame a [`FrameDecoder`] refuses every later one (the
//! connection is closed anyway).
//!
//! # Limits
//!
//! A context frame's messages, with references expanded, count against
//! [`Limits::max_payload`] and [`Limits::max_messages`] as a plain frame's do, so a reference
//! cannot make a frame decode into more than a plain frame could carry; the cache's memory is
//! bounded by [`CACHE_BYTES`] and the dictionary's by [`DICT_BYTES`], on both sides.

use std::borrow::Cow;
use std::ops::Range;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::{DecodeError, EncodeError};
use crate::request::Request;

mod context;
mod decoder;
#[cfg(test)]
mod tests;
mod writer;

pub use decoder::{Bodies, FrameDecoder};
pub use writer::{BatchWriter, WriterStats};

/// The most bytes of a frame header: the flags and two lengths of four bytes each.
pub const MAX_HEADER_LEN: usize = 1 + 2 * LENGTH_BYTES;
/// The most bytes of a length in a frame header: LEB128 of at most 28 bits, enough for
/// [`MAX_PAYLOAD`].
pub const LENGTH_BYTES: usize = 4;
/// Header flag: the payload is an LZ4 block.
pub const FLAG_LZ4: u8 = 0x01;
/// Header flag: the payload is made of entries and belongs to the stream's context (with
/// [`FLAG_LZ4`], the LZ4 block is compressed against the dictionary).
pub const FLAG_CONTEXT: u8 = 0x02;
/// The most that an LZ4 block expands: each of its bytes stands for at most 255 bytes of
/// output (a match length's extra bytes; a token with its two offset bytes gives 19 at most),
/// so a compressed frame whose header announces more than this times its wire length is
/// refused from the header alone.
pub const LZ4_MAX_RATIO: usize = 255;
/// The largest payload the header can describe (2^24 - 1 bytes).
pub const MAX_PAYLOAD: usize = (1 << 24) - 1;
/// Bytes of earlier context payloads that a context frame is compressed against.
pub const DICT_BYTES: usize = 64 * 1024;
/// The smallest message body that the cache takes.
pub const CACHE_MIN: usize = 256;
/// The most bytes of message bodies that the cache holds, per direction of a connection.
pub const CACHE_BYTES: usize = 16 << 20;
/// Payloads smaller than this are never compressed on their own: LZ4 cannot win on them.
const MIN_COMPRESS: usize = 64;
/// Context payloads smaller than this are not compressed (LZ4 needs 13 bytes for a match);
/// against the dictionary, even a small one may shrink.
const MIN_COMPRESS_CONTEXT: usize = 16;

/// How an end of a connection writes its frames; see the [module docs](self).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Compression {
    /// `none`: frames as they are.
    None,
    /// `lz4`: each frame LZ4-compressed on its own when that makes it smaller.
    #[default]
    Lz4,
    /// `lz4-ctx`: each frame compressed against the last 64 KiB of the earlier ones, and
    /// messages of 256 bytes or more that were sent before (and are still cached) sent as
    /// references.
    Lz4Ctx,
}

impl Compression {
    /// Every choice, from the simplest.
    pub const ALL: [Compression; 3] = [Compression::None, Compression::Lz4, Compression::Lz4Ctx];

    /// The name on command lines and in reports: `none`, `lz4` or `lz4-ctx`.
    pub fn name(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Lz4 => "lz4",
            Compression::Lz4Ctx => "lz4-ctx",
        }
    }

    /// Parses a name (as [`Compression::name`] writes it), for command lines.
    ///
    /// ```
    /// use netui_protocol::Compression;
    /// assert_eq!(Compression::parse("lz4-ctx"), Ok(Compression::Lz4Ctx));
    /// assert!(Compression::parse("zstd").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<Self, String> {
        Compression::ALL
            .into_iter()
            .find(|c| c.name() == text)
            .ok_or_else(|| format!("unknown compression {text:?}: use none, lz4 or lz4-ctx"))
    }
}

impl std::str::FromStr for Compression {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        Compression::parse(text)
    }
}

impl std::fmt::Display for Compression {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The limits that a server enforces, sent to every client in its welcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// Largest frame payload, after decompression (for a context frame: its messages, with
    /// references expanded).
    pub max_payload: u32,
    /// Most messages in one frame.
    pub max_messages: u32,
    /// Largest width or height of a window or pixmap.
    pub max_side: u32,
    /// Most pixels that one client's windows and pixmaps may hold together.
    pub max_client_pixels: u64,
    /// Longest text of one [`Request::Text`], in bytes.
    pub max_text_len: u32,
    /// Most pixels that all clients' windows and pixmaps may hold together: a request that
    /// would go above it gets a `ResourceLimit` error, whoever sends it.
    pub max_total_pixels: u64,
    /// Most bytes of replies, events and updates that may wait for a client to read them:
    /// a client that lets more pile up is disconnected, with the reason in the server's log.
    pub max_outbox_bytes: u64,
    /// Longest window title in a server-info reply, in bytes (longer ones are cut at a
    /// character boundary); with the frame limit, it bounds the reply's window list.
    pub max_info_title_len: u32,
    /// The limits of the clipboard and the primary selection: chunk and transfer sizes, the
    /// text the server keeps, type names.
    pub selection: crate::selection::SelectionLimits,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_payload: MAX_PAYLOAD as u32,
            max_messages: 65_536,
            max_side: 8192,
            max_client_pixels: 64 << 20,
            max_text_len: 4096,
            max_total_pixels: 128 << 20,
            max_outbox_bytes: 64 << 20,
            max_info_title_len: 256,
            selection: crate::selection::SelectionLimits::default(),
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
    /// Whether the payload is an LZ4 block ([`FLAG_LZ4`]).
    pub compressed: bool,
    /// Whether the payload is made of entries and belongs to the stream's context
    /// ([`FLAG_CONTEXT`]).
    pub context: bool,
    /// Bytes of the header itself (2 to [`MAX_HEADER_LEN`]).
    pub header_len: usize,
}

impl FrameHeader {
    /// The header of a payload of `wire_len` bytes on the wire and `payload_len` after
    /// decompression (the same unless `compressed`), in its shortest form.
    pub fn new(wire_len: usize, payload_len: usize, compressed: bool, context: bool) -> Self {
        let raw_length = if compressed {
            length_bytes(payload_len)
        } else {
            0
        };
        Self {
            wire_len,
            payload_len,
            compressed,
            context,
            header_len: 1 + length_bytes(wire_len) + raw_length,
        }
    }

    /// The same header with its wire length padded to [`LENGTH_BYTES`].
    pub fn padded(self) -> Self {
        let raw_length = self.header_len - 1 - length_bytes(self.wire_len);
        Self {
            header_len: 1 + LENGTH_BYTES + raw_length,
            ..self
        }
    }

    /// Parses the header at the start of `buf` and checks it against the limits: `Ok(None)`
    /// while it is cut off.
    pub fn parse(buf: &[u8], limits: &Limits) -> Result<Option<Self>, DecodeError> {
        let Some((&flags, rest)) = buf.split_first() else {
            return Ok(None);
        };
        if flags & !(FLAG_LZ4 | FLAG_CONTEXT) != 0 {
            return Err(DecodeError::UnknownFlags(flags));
        }
        let compressed = flags & FLAG_LZ4 != 0;
        let Some((wire_len, wire_bytes)) = read_length(rest)? else {
            return Ok(None);
        };
        let (payload_len, raw_bytes) = if compressed {
            match read_length(rest.get(wire_bytes..).unwrap_or_default())? {
                Some(length) => length,
                None => return Ok(None),
            }
        } else {
            (wire_len, 0)
        };
        let limit = limits.max_payload as usize;
        for len in [wire_len, payload_len] {
            if len > limit {
                return Err(DecodeError::FrameTooLarge { len, limit });
            }
        }
        if compressed && payload_len > wire_len.saturating_mul(LZ4_MAX_RATIO) {
            // Else a few bytes would make the reader allocate and zero the declared payload.
            return Err(DecodeError::Expansion {
                wire: wire_len,
                raw: payload_len,
            });
        }
        Ok(Some(Self {
            wire_len,
            payload_len,
            compressed,
            context: flags & FLAG_CONTEXT != 0,
            header_len: 1 + wire_bytes + raw_bytes,
        }))
    }

    /// The header's bytes, `header_len` of them: the wire length is padded to take what the
    /// flags and the raw length leave (within its shortest form and four bytes).
    pub fn to_bytes(self) -> Vec<u8> {
        let (bytes, len) = self.encode();
        bytes[..len].to_vec()
    }

    /// [`FrameHeader::to_bytes`] without an allocation: the bytes and how many there are.
    pub fn encode(self) -> ([u8; MAX_HEADER_LEN], usize) {
        let raw_bytes = if self.compressed {
            length_bytes(self.payload_len)
        } else {
            0
        };
        let wire_bytes = (self.header_len.saturating_sub(1 + raw_bytes))
            .clamp(length_bytes(self.wire_len), LENGTH_BYTES);
        let mut out = [0; MAX_HEADER_LEN];
        out[0] = self.flags();
        put_length(self.wire_len, &mut out[1..1 + wire_bytes]);
        put_length(self.payload_len, &mut out[1 + wire_bytes..][..raw_bytes]);
        (out, 1 + wire_bytes + raw_bytes)
    }

    /// The flags byte.
    pub fn flags(self) -> u8 {
        let lz4 = if self.compressed { FLAG_LZ4 } else { 0 };
        let context = if self.context { FLAG_CONTEXT } else { 0 };
        lz4 | context
    }

    /// Header and payload together.
    pub fn frame_len(self) -> usize {
        self.header_len + self.wire_len
    }
}

/// The bytes of `len` as a header's LEB128 length, in its shortest form.
fn length_bytes(len: usize) -> usize {
    varint_len(len as u32)
}

/// Writes `len` as LEB128 filling `out` (at least its shortest form's bytes, at most
/// [`LENGTH_BYTES`]), padding with continuation bytes.
fn put_length(len: usize, out: &mut [u8]) {
    let last = out.len().saturating_sub(1);
    for (i, byte) in out.iter_mut().enumerate() {
        let more = if i < last { 0x80 } else { 0 };
        *byte = (len >> (7 * i)) as u8 & 0x7f | more;
    }
}

/// Reads a header's length from the start of `bytes`: the length and the bytes it took, or
/// `Ok(None)` when it is cut off.
fn read_length(bytes: &[u8]) -> Result<Option<(usize, usize)>, DecodeError> {
    let mut len = 0;
    for (i, &byte) in bytes.iter().take(LENGTH_BYTES).enumerate() {
        len |= usize::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Ok(Some((len, i + 1)));
        }
    }
    if bytes.len() < LENGTH_BYTES {
        return Ok(None);
    }
    Err(DecodeError::HeaderLength)
}

/// Looks at the start of `buf`: `Ok(None)` until a whole frame is there, then its header.
/// A header that breaks the limits is an error at once, before its payload arrives.
pub fn check_frame(buf: &[u8], limits: &Limits) -> Result<Option<FrameHeader>, DecodeError> {
    let header = FrameHeader::parse(buf, limits)?;
    Ok(header.filter(|header| buf.len() >= header.frame_len()))
}

/// The wire bytes of a whole frame's payload (`frame` starts with its header).
fn frame_body(header: FrameHeader, frame: &[u8]) -> Result<&[u8], DecodeError> {
    frame
        .get(header.header_len..header.frame_len())
        .ok_or(DecodeError::Truncated {
            len: header.wire_len,
            left: frame.len().saturating_sub(header.header_len),
        })
}

/// The payload of a whole plain frame (`frame` starts with its header), decompressed if need
/// be. A context frame depends on the frames before it: read it with a [`FrameDecoder`].
pub fn frame_payload<'a>(
    header: FrameHeader,
    frame: &'a [u8],
) -> Result<Cow<'a, [u8]>, DecodeError> {
    let body = frame_body(header, frame)?;
    if header.context {
        return Err(DecodeError::Malformed(
            "a context frame (flag 0x02) can only be read by the stream's FrameDecoder".into(),
        ));
    }
    if !header.compressed {
        return Ok(Cow::Borrowed(body));
    }
    let mut payload = Vec::new();
    inflate(body, header.payload_len, None, &mut payload)?;
    Ok(Cow::Owned(payload))
}

/// Decompresses an LZ4 block that the header says expands to `len` bytes into `out`, against
/// `dict` for a context frame.
fn inflate(
    body: &[u8],
    len: usize,
    dict: Option<&[u8]>,
    out: &mut Vec<u8>,
) -> Result<(), DecodeError> {
    // What the last frame left is overwritten, not zeroed first: LZ4 only reads back what
    // it has written, and an expansion short of `len` is refused below. A connection's
    // frames then cost one pass over their payload, not two.
    out.resize(len, 0);
    let result = match dict {
        Some(dict) => lz4_flex::block::decompress_into_with_dict(body, out, dict),
        None => lz4_flex::block::decompress_into(body, out),
    };
    let expanded = result.map_err(|e| match (e, dict) {
        (lz4_flex::block::DecompressError::OffsetOutOfBounds, Some(dict)) => {
            DecodeError::Decompress(format!(
                "a context frame refers to bytes before its dictionary, which holds {} bytes \
                 of earlier payloads",
                dict.len()
            ))
        }
        (e, _) => DecodeError::Decompress(e.to_string()),
    })?;
    if expanded != len {
        return Err(DecodeError::Decompress(format!(
            "expanded to {expanded} bytes, header says {len}"
        )));
    }
    Ok(())
}

/// The messages of a plain payload, each as its undecoded body, at most `max_messages` of
/// them.
pub fn messages<'a>(payload: &'a [u8], limits: &Limits) -> Messages<'a> {
    Messages {
        payload,
        pos: 0,
        left: limits.max_messages as usize,
        limit: limits.max_messages as usize,
    }
}

/// Iterator over the message bodies of a plain payload; see [`messages`]. After an error it
/// ends.
#[derive(Debug)]
pub struct Messages<'a> {
    payload: &'a [u8],
    pos: usize,
    left: usize,
    limit: usize,
}

impl<'a> Messages<'a> {
    /// The bodies' places in the payload instead of the bodies.
    fn into_ranges(mut self) -> impl Iterator<Item = Result<Range<usize>, DecodeError>> + 'a {
        std::iter::from_fn(move || self.next_range())
    }

    /// Where the next body lies in the payload.
    fn next_range(&mut self) -> Option<Result<Range<usize>, DecodeError>> {
        let rest = self.payload.get(self.pos..).filter(|r| !r.is_empty())?;
        if self.left == 0 {
            self.pos = self.payload.len();
            return Some(Err(DecodeError::TooManyMessages { limit: self.limit }));
        }
        self.left -= 1;
        let result = read_varint(rest).and_then(|(len, used)| {
            let left = rest.len() - used;
            let len = len as usize;
            if len > left {
                return Err(DecodeError::Truncated { len, left });
            }
            let start = self.pos + used;
            Ok(start..start + len)
        });
        self.pos = match &result {
            Ok(range) => range.end,
            Err(_) => self.payload.len(),
        };
        Some(result)
    }
}

impl<'a> Iterator for Messages<'a> {
    type Item = Result<&'a [u8], DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        let payload = self.payload;
        let range = self.next_range()?;
        // The range lies inside the payload: `next_range` checked it against the length.
        Some(range.map(|r| payload.get(r).unwrap_or_default()))
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

/// The bytes that [`write_varint`] writes for `value`.
fn varint_len(value: u32) -> usize {
    (32 - value.leading_zeros() as usize).div_ceil(7).max(1)
}

/// The bytes that `message` takes in a plain frame (its body and length prefix), counted
/// without writing it: what a server holds for a peer that has not read it yet.
///
/// ```
/// use netui_protocol::{frame, Limits, Reply, ServerMessage};
///
/// let reply = ServerMessage::Reply(Reply::Sync { seq: 7 });
/// let frame = frame::encode_single(&reply).unwrap();
/// let header = frame::check_frame(&frame, &Limits::default()).unwrap().unwrap();
/// assert_eq!(frame::message_size(&reply), frame.len() - header.header_len);
/// ```
pub fn message_size<T: Serialize>(message: &T) -> usize {
    let body = postcard::serialize_with_flavor(message, postcard::ser_flavors::Size::default())
        // Only a serializer that refuses a value fails; a size counter refuses none.
        .unwrap_or(0);
    body + varint_len(u32::try_from(body).unwrap_or(u32::MAX))
}

/// Encodes one message as a plain, uncompressed frame of its own (used for the handshake).
pub fn encode_single<T: Serialize>(message: &T) -> Result<Vec<u8>, EncodeError> {
    let mut writer = BatchWriter::new(Limits::default(), Compression::None);
    writer.push(message)?;
    Ok(writer.take_frames())
}

/// Decodes every message of a byte stream of whole frames, from the start of its stream (for
/// tests, tools and benchmarks that hold a recorded stream). Fails on the first error.
pub fn decode_stream<T: DeserializeOwned>(
    bytes: &[u8],
    limits: &Limits,
) -> Result<Vec<T>, DecodeError> {
    FrameDecoder::new().decode_messages(bytes, limits)
}
