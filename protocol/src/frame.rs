//! Frames, batches, compression and the limits that bound decoding.
//!
//! ```text
//! frame   = header payload
//! header  = 8 bytes:
//!   0..4  u32 LE  wire length: payload bytes that follow the header
//!   4     u8      flags: bit 0 (0x01) LZ4: the payload is one LZ4 block
//!                        bit 1 (0x02) context: the payload is made of entries and belongs to
//!                                     the stream's context (below); with bit 0 as well, the
//!                                     LZ4 block is compressed against the dictionary
//!                        other bits must be 0
//!   5..8  u24 LE  payload length after decompression (equal to the wire length if bit 0 is 0)
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
use std::collections::hash_map::{DefaultHasher, Entry};
use std::collections::{HashMap, VecDeque};
use std::hash::Hasher;
use std::ops::Range;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::{DecodeError, EncodeError};
use crate::request::Request;

/// Size of a frame header in bytes.
pub const HEADER_LEN: usize = 8;
/// Header flag: the payload is an LZ4 block.
pub const FLAG_LZ4: u8 = 0x01;
/// Header flag: the payload is made of entries and belongs to the stream's context (with
/// [`FLAG_LZ4`], the LZ4 block is compressed against the dictionary).
pub const FLAG_CONTEXT: u8 = 0x02;
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
    /// Whether the payload is an LZ4 block ([`FLAG_LZ4`]).
    pub compressed: bool,
    /// Whether the payload is made of entries and belongs to the stream's context
    /// ([`FLAG_CONTEXT`]).
    pub context: bool,
}

impl FrameHeader {
    /// Parses a header and checks it against the limits.
    pub fn parse(bytes: [u8; HEADER_LEN], limits: &Limits) -> Result<Self, DecodeError> {
        let [w0, w1, w2, w3, flags, r0, r1, r2] = bytes;
        let wire_len = u32::from_le_bytes([w0, w1, w2, w3]) as usize;
        let payload_len = u32::from_le_bytes([r0, r1, r2, 0]) as usize;
        if flags & !(FLAG_LZ4 | FLAG_CONTEXT) != 0 {
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
            context: flags & FLAG_CONTEXT != 0,
        })
    }

    /// The eight header bytes.
    pub fn to_bytes(self) -> [u8; HEADER_LEN] {
        let [w0, w1, w2, w3] = (self.wire_len as u32).to_le_bytes();
        let [r0, r1, r2, _] = (self.payload_len as u32).to_le_bytes();
        [w0, w1, w2, w3, self.flags(), r0, r1, r2]
    }

    /// The flags byte.
    pub fn flags(self) -> u8 {
        let lz4 = if self.compressed { FLAG_LZ4 } else { 0 };
        let context = if self.context { FLAG_CONTEXT } else { 0 };
        lz4 | context
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

/// The wire bytes of a whole frame's payload (`frame` starts with its header).
fn frame_body(header: FrameHeader, frame: &[u8]) -> Result<&[u8], DecodeError> {
    frame
        .get(HEADER_LEN..header.frame_len())
        .ok_or(DecodeError::Truncated {
            len: header.wire_len,
            left: frame.len().saturating_sub(HEADER_LEN),
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
    out.clear();
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

/// The last [`DICT_BYTES`] of a stream's context payloads, the same at both ends.
#[derive(Debug, Default)]
struct History(Vec<u8>);

impl History {
    fn push(&mut self, payload: &[u8]) {
        if payload.len() >= DICT_BYTES {
            self.0.clear();
            self.0
                .extend_from_slice(&payload[payload.len() - DICT_BYTES..]);
            return;
        }
        let excess = (self.0.len() + payload.len()).saturating_sub(DICT_BYTES);
        self.0.drain(..excess);
        self.0.extend_from_slice(payload);
    }
}

/// The cache of large message bodies, kept the same at both ends: bodies are admitted in the
/// order their entries travel and evicted oldest first.
#[derive(Debug, Default)]
struct Cache {
    /// Oldest first.
    entries: VecDeque<Arc<[u8]>>,
    /// Bytes of the bodies held.
    bytes: usize,
    /// Bodies admitted since the stream began (the newest is number `admitted - 1`).
    admitted: u64,
}

impl Cache {
    /// Whether a message body of `len` bytes enters the cache.
    fn admits(len: usize) -> bool {
        (CACHE_MIN..=CACHE_BYTES).contains(&len)
    }

    /// Admits `body` (for which [`Cache::admits`] holds) as the newest entry, evicting the
    /// oldest until it fits. Returns how many were evicted.
    fn admit(&mut self, body: &[u8]) -> usize {
        let mut evicted = 0;
        while self.bytes + body.len() > CACHE_BYTES {
            let Some(old) = self.entries.pop_front() else {
                break;
            };
            self.bytes -= old.len();
            evicted += 1;
        }
        self.bytes += body.len();
        self.entries.push_back(Arc::from(body));
        self.admitted += 1;
        evicted
    }

    /// The body admitted `back` admissions before the newest, if still held.
    fn get(&self, back: usize) -> Option<&Arc<[u8]>> {
        let index = self.entries.len().checked_sub(back.checked_add(1)?)?;
        self.entries.get(index)
    }

    /// The number of the oldest entry held.
    fn first(&self) -> u64 {
        self.admitted - self.entries.len() as u64
    }
}

/// A writer's side of a stream's context: the dictionary, the cache, and an index to find
/// a body in the cache.
#[derive(Debug, Default)]
struct WriterContext {
    dict: History,
    cache: Cache,
    /// The hash of each cached body, oldest first, in step with `cache.entries`.
    hashes: VecDeque<u64>,
    /// A body's hash → the numbers of the cached bodies that have it, oldest first.
    index: HashMap<u64, Vec<u64>>,
}

impl WriterContext {
    fn hash(body: &[u8]) -> u64 {
        let mut hasher = DefaultHasher::new();
        hasher.write(body);
        hasher.finish()
    }

    /// How many admissions back a body equal to `body` was admitted, if it is cached.
    fn find(&self, hash: u64, body: &[u8]) -> Option<usize> {
        let first = self.cache.first();
        self.index.get(&hash)?.iter().find_map(|&n| {
            let held = self.cache.entries.get(usize::try_from(n - first).ok()?)?;
            (**held == *body).then(|| (self.cache.admitted - 1 - n) as usize)
        })
    }

    fn admit(&mut self, hash: u64, body: &[u8]) {
        for _ in 0..self.cache.admit(body) {
            let Some(old) = self.hashes.pop_front() else {
                break;
            };
            // The evicted body is the oldest held, so the first of its hash's numbers.
            if let Entry::Occupied(mut numbers) = self.index.entry(old) {
                numbers.get_mut().remove(0);
                if numbers.get().is_empty() {
                    numbers.remove();
                }
            }
        }
        self.hashes.push_back(hash);
        self.index
            .entry(hash)
            .or_default()
            .push(self.cache.admitted - 1);
    }
}

/// Byte counts of what a [`BatchWriter`] has sealed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriterStats {
    /// Frames sealed.
    pub frames: u64,
    /// Messages written.
    pub messages: u64,
    /// Payload bytes before compression (headers excluded), counted as plain frames would
    /// carry the messages: a cache reference counts as the message it stands for.
    pub payload_bytes: u64,
    /// Bytes on the wire, headers included.
    pub wire_bytes: u64,
}

/// Builds frames from messages: push messages, then [`BatchWriter::take_frames`] seals the
/// batch into frames. A batch that would pass the limits is split into several frames by
/// itself, at the same places whatever the compression.
///
/// With [`Compression::Lz4Ctx`] the writer keeps the stream's context (see the
/// [module docs](self)): its frames must reach one [`FrameDecoder`], all of them, in order.
///
/// ```
/// use netui_protocol::frame::{decode_stream, BatchWriter, Compression};
/// use netui_protocol::{Limits, Request};
///
/// let mut writer = BatchWriter::new(Limits::default(), Compression::Lz4Ctx);
/// writer.push(&Request::Sync).unwrap();
/// let wire = writer.take_frames();
/// let back: Vec<Request> = decode_stream(&wire, &Limits::default()).unwrap();
/// assert_eq!(back, [Request::Sync]);
/// ```
#[derive(Debug)]
pub struct BatchWriter {
    limits: Limits,
    compression: Compression,
    /// The open batch, as its frame will carry it (messages, or entries in a context frame).
    payload: Vec<u8>,
    /// The open batch's size as a plain payload (what the limits bound).
    expanded: usize,
    messages: usize,
    scratch: Vec<u8>,
    packed: Vec<u8>,
    out: Vec<u8>,
    stats: WriterStats,
    /// The stream's context, made by the first context frame.
    context: Option<Box<WriterContext>>,
}

impl BatchWriter {
    /// A writer that obeys `limits` and writes frames with `compression` (an LZ4 block only
    /// where compression makes the payload smaller).
    pub fn new(limits: Limits, compression: Compression) -> Self {
        Self {
            limits,
            compression,
            payload: Vec::new(),
            expanded: 0,
            messages: 0,
            scratch: Vec::new(),
            packed: Vec::new(),
            out: Vec::new(),
            stats: WriterStats::default(),
            context: None,
        }
    }

    /// Changes the compression of the messages pushed from now on; the open batch, if the
    /// compression changes, is sealed first. The stream's context survives: frames written
    /// with [`Compression::None`] or [`Compression::Lz4`] between context frames leave it as
    /// it was, on both sides.
    pub fn set_compression(&mut self, compression: Compression) {
        if compression != self.compression {
            self.seal_payload();
            self.compression = compression;
        }
    }

    /// The compression of the messages pushed from now on.
    pub fn compression(&self) -> Compression {
        self.compression
    }

    /// Appends a message to the current batch.
    pub fn push<T: Serialize>(&mut self, message: &T) -> Result<(), EncodeError> {
        self.scratch.clear();
        let scratch = std::mem::take(&mut self.scratch);
        self.scratch = postcard::to_extend(message, scratch)
            .map_err(|e| EncodeError::Serialize(e.to_string()))?;
        self.push_scratch()
    }

    /// Appends a message whose body is already encoded, byte for byte (a body that
    /// [`messages`] or a [`FrameDecoder`] gave back, say): the batch holds it exactly as
    /// [`BatchWriter::push`] would hold the message it decodes to, or, if it decodes to none,
    /// as the bytes it is.
    pub fn push_body(&mut self, body: &[u8]) -> Result<(), EncodeError> {
        self.scratch.clear();
        self.scratch.extend_from_slice(body);
        self.push_scratch()
    }

    /// Appends the message body in `scratch` to the current batch.
    fn push_scratch(&mut self) -> Result<(), EncodeError> {
        let len = self.scratch.len();
        let limit = self.limits.max_payload as usize;
        let context = self.compression == Compression::Lz4Ctx;
        // The most bytes a message adds besides its body: its length prefix (one more in a
        // context entry, which doubles the length).
        let overhead = if context { 6 } else { 5 };
        if len + overhead > limit {
            return Err(EncodeError::TooLarge { len, limit });
        }
        if self.payload.len() + len + overhead > limit
            || self.expanded + len + overhead > limit
            || self.messages >= self.limits.max_messages as usize
        {
            self.seal_payload();
        }
        let body = self.scratch.as_slice();
        if context {
            let ctx = self.context.get_or_insert_with(Box::default);
            let hash = Cache::admits(len).then(|| WriterContext::hash(body));
            match hash.and_then(|h| ctx.find(h, body)) {
                // At most CACHE_BYTES / CACHE_MIN entries are held: `back` is below 2^16.
                Some(back) => write_varint(back as u32 * 2 + 1, &mut self.payload),
                None => {
                    // `len` is below the limit, which the header's 24 bits bound.
                    write_varint(len as u32 * 2, &mut self.payload);
                    self.payload.extend_from_slice(body);
                    if let Some(hash) = hash {
                        ctx.admit(hash, body);
                    }
                }
            }
        } else {
            write_varint(len as u32, &mut self.payload);
            self.payload.extend_from_slice(body);
        }
        self.expanded += varint_len(len as u32) + len;
        self.messages += 1;
        self.stats.messages += 1;
        Ok(())
    }

    /// Bytes waiting in this writer: the open batch and the frames sealed but not taken.
    pub fn pending_bytes(&self) -> usize {
        self.payload.len() + self.out.len()
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
        let context = match (self.compression, &mut self.context) {
            (Compression::Lz4Ctx, Some(context)) => Some(context),
            _ => None,
        };
        let try_lz4 = match self.compression {
            Compression::None => false,
            Compression::Lz4 => raw_len >= MIN_COMPRESS,
            Compression::Lz4Ctx => raw_len >= MIN_COMPRESS_CONTEXT,
        };
        let mut compressed = false;
        if try_lz4 {
            let room = lz4_flex::block::get_maximum_output_size(raw_len);
            if self.packed.len() < room {
                self.packed.resize(room, 0);
            }
            let packed = match &context {
                // lz4_flex ignores a dictionary of 3 bytes or less; so do we, the same way.
                Some(ctx) if ctx.dict.0.len() > 3 => lz4_flex::block::compress_into_with_dict(
                    &self.payload,
                    &mut self.packed,
                    &ctx.dict.0,
                ),
                _ => lz4_flex::block::compress_into(&self.payload, &mut self.packed),
            };
            if let Ok(n) = packed {
                if n < raw_len {
                    // `n` bytes were written into `packed`, which has room for the worst case.
                    self.out
                        .extend_from_slice(self.packed.get(..n).unwrap_or_default());
                    compressed = true;
                }
            }
        }
        if !compressed {
            self.out.extend_from_slice(&self.payload);
        }
        let header = FrameHeader {
            wire_len: self.out.len() - start - HEADER_LEN,
            payload_len: raw_len,
            compressed,
            context: context.is_some(),
        };
        if let Some(ctx) = context {
            ctx.dict.push(&self.payload);
        }
        self.out[start..start + HEADER_LEN].copy_from_slice(&header.to_bytes());
        self.stats.frames += 1;
        self.stats.payload_bytes += self.expanded as u64;
        self.stats.wire_bytes += header.frame_len() as u64;
        self.payload.clear();
        self.expanded = 0;
        self.messages = 0;
    }
}

/// Where a decoded message body lies.
#[derive(Debug)]
enum Body {
    /// In the frame's payload.
    Payload(Range<usize>),
    /// In the cache (shared, so that an eviction later in the frame does not lose it).
    Cached(Arc<[u8]>),
}

/// A reader's side of a stream's context.
#[derive(Debug, Default)]
struct ReaderContext {
    dict: History,
    cache: Cache,
}

/// Reads the frames of one direction of a connection, in order, whatever their compression.
///
/// Context frames depend on the context frames before them, so one decoder must see every
/// frame of its stream, in order (plain frames may come between them: they change nothing).
///
/// ```
/// use netui_protocol::frame::{check_frame, decode_message, BatchWriter, Compression, FrameDecoder};
/// use netui_protocol::{Limits, Request};
///
/// let limits = Limits::default();
/// let mut writer = BatchWriter::new(limits, Compression::Lz4Ctx);
/// let mut decoder = FrameDecoder::new();
/// for _ in 0..3 {
///     writer.push(&Request::Sync).unwrap();
///     let wire = writer.take_frames();
///     let header = check_frame(&wire, &limits).unwrap().expect("a whole frame");
///     for body in decoder.decode(header, &wire, &limits).unwrap() {
///         assert_eq!(decode_message::<Request>(body).unwrap(), Request::Sync);
///     }
/// }
/// ```
#[derive(Debug, Default)]
pub struct FrameDecoder {
    /// The last compressed frame's payload, decompressed.
    payload: Vec<u8>,
    /// Where the last frame's message bodies lie.
    bodies: Vec<Body>,
    /// The stream's context, made by the first context frame.
    context: Option<Box<ReaderContext>>,
    /// A context frame failed: the context is no longer the writer's.
    broken: bool,
}

impl FrameDecoder {
    /// A decoder at the start of a stream.
    pub fn new() -> Self {
        Self::default()
    }

    /// Decodes the whole frame at the start of `frame` (as [`check_frame`] found it) into
    /// its message bodies, undecoded. Decoding never allocates more than `limits` and the
    /// context's bounds allow.
    pub fn decode<'a>(
        &'a mut self,
        header: FrameHeader,
        frame: &'a [u8],
        limits: &Limits,
    ) -> Result<Bodies<'a>, DecodeError> {
        let body = frame_body(header, frame)?;
        self.bodies.clear();
        if !header.context {
            let payload: &'a [u8] = if header.compressed {
                inflate(body, header.payload_len, None, &mut self.payload)?;
                &self.payload
            } else {
                body
            };
            for range in messages(payload, limits).into_ranges() {
                self.bodies.push(Body::Payload(range?));
            }
            return Ok(Bodies {
                payload,
                bodies: self.bodies.iter(),
            });
        }
        if self.broken {
            return Err(DecodeError::Malformed(
                "a context frame after a broken one: the dictionary and cache are lost".into(),
            ));
        }
        let context = self.context.get_or_insert_with(Box::default);
        match decode_context(
            header,
            body,
            &mut self.payload,
            context,
            &mut self.bodies,
            limits,
        ) {
            Ok(payload) => Ok(Bodies {
                payload,
                bodies: self.bodies.iter(),
            }),
            Err(e) => {
                self.broken = true;
                Err(e)
            }
        }
    }

    /// Decodes every message of `bytes`, whole frames that continue this decoder's stream.
    /// Fails on the first error.
    pub fn decode_messages<T: DeserializeOwned>(
        &mut self,
        mut bytes: &[u8],
        limits: &Limits,
    ) -> Result<Vec<T>, DecodeError> {
        let mut out = Vec::new();
        while !bytes.is_empty() {
            let header = check_frame(bytes, limits)?.ok_or(DecodeError::Truncated {
                len: bytes.len(),
                left: bytes.len(),
            })?;
            for body in self.decode(header, bytes, limits)? {
                out.push(decode_message(body)?);
            }
            bytes = bytes.get(header.frame_len()..).unwrap_or_default();
        }
        Ok(out)
    }
}

/// Decodes a context frame's payload into `bodies` and updates the context. Returns the
/// payload (`body` itself, or decompressed into `scratch`).
fn decode_context<'p>(
    header: FrameHeader,
    body: &'p [u8],
    scratch: &'p mut Vec<u8>,
    context: &mut ReaderContext,
    bodies: &mut Vec<Body>,
    limits: &Limits,
) -> Result<&'p [u8], DecodeError> {
    let payload: &'p [u8] = if header.compressed {
        inflate(
            body,
            header.payload_len,
            Some(context.dict.0.as_slice()),
            scratch,
        )?;
        scratch
    } else {
        body
    };
    let limit = limits.max_payload as usize;
    let max_messages = limits.max_messages as usize;
    let mut expanded = 0usize;
    let mut pos = 0;
    while let Some(rest) = payload.get(pos..).filter(|r| !r.is_empty()) {
        if bodies.len() >= max_messages {
            return Err(DecodeError::TooManyMessages {
                limit: max_messages,
            });
        }
        let (prefix, used) = read_varint(rest)?;
        pos += used;
        let value = (prefix >> 1) as usize;
        let (entry, len) = match prefix & 1 {
            0 => {
                let left = payload.len() - pos;
                if value > left {
                    return Err(DecodeError::Truncated { len: value, left });
                }
                let range = pos..pos + value;
                pos += value;
                if Cache::admits(value) {
                    context
                        .cache
                        .admit(payload.get(range.clone()).unwrap_or_default());
                }
                (Body::Payload(range), value)
            }
            _ => {
                let cached = context.cache.get(value).ok_or_else(|| {
                    DecodeError::Malformed(format!(
                        "a reference to the cached message {value} admissions back, but the \
                         cache holds {} messages",
                        context.cache.entries.len()
                    ))
                })?;
                (Body::Cached(Arc::clone(cached)), cached.len())
            }
        };
        expanded += len;
        if expanded > limit {
            return Err(DecodeError::FrameTooLarge {
                len: expanded,
                limit,
            });
        }
        bodies.push(entry);
    }
    context.dict.push(payload);
    Ok(payload)
}

/// The message bodies of one decoded frame, in order; see [`FrameDecoder::decode`].
#[derive(Debug)]
pub struct Bodies<'a> {
    payload: &'a [u8],
    bodies: std::slice::Iter<'a, Body>,
}

impl<'a> Iterator for Bodies<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        Some(match self.bodies.next()? {
            // The decoder made the range inside the payload.
            Body::Payload(range) => self.payload.get(range.clone()).unwrap_or_default(),
            Body::Cached(body) => body,
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.bodies.size_hint()
    }
}

impl ExactSizeIterator for Bodies<'_> {}

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
            context: false,
        };
        assert_eq!(
            header.to_bytes(),
            [
                0x04, 0x03, 0x02, 0x01, // wire length, little-endian
                0x01, // flags: LZ4
                0x0c, 0x0b, 0x0a, // payload length, 24-bit little-endian
            ]
        );
        let context = FrameHeader {
            context: true,
            ..header
        };
        assert_eq!(context.to_bytes()[4], 0x03, "LZ4 against the dictionary");
        let stored = FrameHeader {
            compressed: false,
            payload_len: 0x0102_0304 & 0xff_ffff,
            ..context
        };
        assert_eq!(stored.to_bytes()[4], 0x02, "a stored context frame");
        let limits = Limits {
            max_payload: u32::MAX,
            ..Limits::default()
        };
        for h in [header, context] {
            assert_eq!(FrameHeader::parse(h.to_bytes(), &limits), Ok(h));
        }
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
        for flags in [0x80, 0x04, 0x07] {
            let header = [0x00, 0x00, 0x00, 0x00, flags, 0x00, 0x00, 0x00];
            assert_eq!(
                check_frame(&header, &limits),
                Err(DecodeError::UnknownFlags(flags))
            );
        }
        let mismatch = [0x02, 0x00, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00];
        assert!(matches!(
            check_frame(&mismatch, &limits),
            Err(DecodeError::LengthMismatch { wire: 2, raw: 3 })
        ));
        // A stored context frame must not lie about its length either.
        let mismatch = [0x02, 0x00, 0x00, 0x00, 0x02, 0x03, 0x00, 0x00];
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
    fn a_small_request_in_a_context_frame_has_the_exact_bytes() {
        let mut w = BatchWriter::new(Limits::default(), Compression::Lz4Ctx);
        w.push(&Request::MapWindow {
            id: ResourceId(0x20_0001),
        })
        .expect("encodes");
        assert_eq!(
            w.take_frames(),
            [
                6, 0, 0, 0,    // wire length
                0x02, // flags: context, stored (too small for LZ4)
                6, 0, 0,  // payload length
                10, // entry: a message (low bit 0) of 5 bytes (10 = 2 × 5)
                1,  // opcode 1: MapWindow
                0x81, 0x80, 0x80, 0x01, // id 0x200001 as LEB128
            ]
        );
    }

    /// A request of about 1 KiB that LZ4 cannot shrink.
    fn noise_image(seed: u32) -> Request {
        let mut x = seed.wrapping_mul(2_654_435_761).max(1);
        let data = (0..1024)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x as u8
            })
            .collect();
        Request::PutImage {
            target: ResourceId(0x20_0001),
            rect: Rect::new(0, 0, 16, 16),
            format: crate::ImageFormat::Rgba8,
            data,
        }
    }

    #[test]
    fn a_repeated_message_travels_as_a_reference_to_its_cache_entry() {
        let limits = Limits::default();
        let image = noise_image(7);
        let mut w = BatchWriter::new(limits, Compression::Lz4Ctx);
        w.push(&image).expect("encodes");
        w.push(&Request::Sync).expect("encodes");
        w.push(&image).expect("encodes");
        let frames = w.take_frames();
        let header = check_frame(&frames, &limits)
            .expect("valid")
            .expect("whole");
        assert!(header.context);
        let mut decoder = FrameDecoder::new();
        let bodies: Vec<&[u8]> = decoder
            .decode(header, &frames, &limits)
            .expect("decodes")
            .collect();
        assert_eq!(bodies.len(), 3);
        assert_eq!(bodies[0], bodies[2]);
        assert_eq!(decode_request(bodies[2]), Ok(image.clone()));
        // Stored or compressed, the payload (now in the dictionary) ends with the Sync and
        // the reference.
        let context = decoder.context.as_ref().expect("a context");
        let payload = &context.dict.0;
        assert_eq!(
            &payload[payload.len() - 3..],
            [
                2, 19, // entry: a message of 1 byte (2 = 2 × 1): opcode 19, Sync
                1,  // entry: a reference (low bit 1) to the newest in the cache (0 back)
            ]
        );
        // The stats count the reference as the message it stands for.
        assert!(w.stats().payload_bytes > 2 * 1024, "{:?}", w.stats());
        assert!(w.stats().wire_bytes < 1024 + 100, "{:?}", w.stats());

        // In a later frame, the same message is still a reference: 1 byte of payload.
        w.push(&image).expect("encodes");
        let later = w.take_frames();
        assert_eq!(later.len(), HEADER_LEN + 1, "{later:?}");
        let header = check_frame(&later, &limits).expect("valid").expect("whole");
        let mut bodies = decoder.decode(header, &later, &limits).expect("decodes");
        assert_eq!(bodies.next().map(decode_request), Some(Ok(image)));
    }

    #[test]
    fn the_cache_evicts_the_oldest_first_and_refers_back_from_the_newest() {
        let mut ctx = WriterContext::default();
        let body = |i: u8| vec![i; 1 << 20];
        // 16 bodies of 1 MiB fill the cache; the 17th evicts the first.
        for i in 0..17u8 {
            let b = body(i);
            let hash = WriterContext::hash(&b);
            assert_eq!(ctx.find(hash, &b), None);
            ctx.admit(hash, &b);
        }
        assert_eq!(ctx.cache.entries.len(), 16);
        assert_eq!(ctx.cache.bytes, CACHE_BYTES);
        let find = |ctx: &WriterContext, i: u8| {
            let b = body(i);
            ctx.find(WriterContext::hash(&b), &b)
        };
        assert_eq!(find(&ctx, 0), None, "evicted");
        assert_eq!(find(&ctx, 1), Some(15), "the oldest held");
        assert_eq!(find(&ctx, 16), Some(0), "the newest");
        assert_eq!(ctx.cache.get(15).map(|b| b[0]), Some(1));
        assert_eq!(ctx.cache.get(16), None);
        assert_eq!(ctx.cache.get(usize::MAX), None);
        assert_eq!(ctx.hashes.len(), 16);
        assert_eq!(ctx.index.values().map(Vec::len).sum::<usize>(), 16);
        // A body as large as the cache empties it.
        let huge = vec![9; CACHE_BYTES];
        ctx.admit(WriterContext::hash(&huge), &huge);
        assert_eq!(ctx.cache.entries.len(), 1);
        assert_eq!(ctx.index.len(), 1);
        assert!(!Cache::admits(CACHE_MIN - 1) && Cache::admits(CACHE_MIN));
    }

    #[test]
    fn the_dictionary_keeps_the_last_64_kib() {
        let mut h = History::default();
        h.push(&[1; 1000]);
        assert_eq!(h.0.len(), 1000);
        h.push(&[2; DICT_BYTES - 10]);
        assert_eq!(h.0.len(), DICT_BYTES);
        assert_eq!(&h.0[..10], &[1; 10]);
        h.push(&[3; 5]);
        assert_eq!(h.0.len(), DICT_BYTES);
        assert_eq!(h.0[..5], [1; 5]);
        assert_eq!(h.0[5], 2);
        assert_eq!(h.0[DICT_BYTES - 5..], [3; 5]);
        let big: Vec<u8> = (0..DICT_BYTES * 2).map(|i| i as u8).collect();
        h.push(&big);
        assert_eq!(h.0, big[DICT_BYTES..]);
    }

    #[test]
    fn a_batch_of_rectangles_is_small_and_compresses() {
        let rects: Vec<Rect> = (0..1000)
            .map(|i| Rect::new(i % 1000, i / 10, 10, 10))
            .collect();
        let req = Request::FillRects {
            target: ResourceId(0x20_0001),
            color: Color::RED,
            rects,
        };
        for compression in [Compression::Lz4, Compression::Lz4Ctx] {
            let mut w = BatchWriter::new(Limits::default(), compression);
            w.push(&req).expect("encodes");
            let frames = w.take_frames();
            let stats = w.stats();
            // At most 8 bytes a rectangle before compression, as in X11's PolyFillRectangle.
            assert!(stats.payload_bytes <= 8 * 1000 + 32, "{stats:?}");
            assert!(stats.wire_bytes < stats.payload_bytes, "{stats:?}");
            let back: Vec<Request> = decode_stream(&frames, &Limits::default()).expect("decodes");
            assert_eq!(back, vec![req.clone()]);
        }
    }

    #[test]
    fn a_pushed_body_is_written_as_the_message_it_encodes() {
        let request = Request::FillRects {
            target: ResourceId(7),
            color: Color::RED,
            rects: vec![Rect::new(1, 2, 3, 4)],
        };
        let body = postcard::to_stdvec(&request).unwrap();
        for compression in Compression::ALL {
            let mut pushed = BatchWriter::new(Limits::default(), compression);
            pushed.push(&request).unwrap();
            let mut raw = BatchWriter::new(Limits::default(), compression);
            raw.push_body(&body).unwrap();
            assert_eq!(raw.take_frames(), pushed.take_frames(), "{compression}");
        }
        // A body that decodes to no request goes as its bytes, for the server to refuse.
        let mut raw = BatchWriter::new(Limits::default(), Compression::None);
        raw.push_body(&[0xff, 0x7f, 1, 2]).unwrap();
        let wire = raw.take_frames();
        let header = check_frame(&wire, &Limits::default()).unwrap().unwrap();
        let mut decoder = FrameDecoder::new();
        let bodies: Vec<&[u8]> = decoder
            .decode(header, &wire, &Limits::default())
            .unwrap()
            .collect();
        assert_eq!(bodies, [&[0xff, 0x7f, 1, 2][..]]);
    }

    #[test]
    fn big_batches_split_into_frames_within_limits() {
        let limits = Limits {
            max_payload: 1000,
            max_messages: 10,
            ..Limits::default()
        };
        for compression in Compression::ALL {
            let mut w = BatchWriter::new(limits, compression);
            for _ in 0..25 {
                w.push(&Request::Sync).expect("encodes");
            }
            let frames = w.take_frames();
            assert_eq!(w.stats().frames, 3, "{compression}");
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
    }

    #[test]
    fn references_count_against_the_payload_limit_as_the_messages_they_stand_for() {
        // 900 bytes of image a message: each frame holds one, even though a reference takes
        // one byte, so that every frame decodes within max_payload.
        let limits = Limits {
            max_payload: 1200,
            ..Limits::default()
        };
        let mut image = noise_image(3);
        if let Request::PutImage { data, .. } = &mut image {
            data.truncate(900);
        }
        let mut w = BatchWriter::new(limits, Compression::Lz4Ctx);
        for _ in 0..5 {
            w.push(&image).expect("encodes");
        }
        let frames = w.take_frames();
        assert_eq!(w.stats().frames, 5);
        let back: Vec<Request> = decode_stream(&frames, &limits).expect("decodes");
        assert_eq!(back, vec![image; 5]);
    }

    #[test]
    fn compression_names_parse_back() {
        for c in Compression::ALL {
            assert_eq!(Compression::parse(c.name()), Ok(c));
            assert_eq!(c.to_string().parse::<Compression>(), Ok(c));
        }
        assert_eq!(Compression::default(), Compression::Lz4);
        let err = Compression::parse("gzip").expect_err("unknown");
        assert!(err.contains("none, lz4 or lz4-ctx"), "{err}");
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
        for v in [0, 1, 127, 128, 300, 16_383, 16_384, u32::MAX] {
            let mut buf = Vec::new();
            write_varint(v, &mut buf);
            assert_eq!(read_varint(&buf), Ok((v, buf.len())));
            assert_eq!(varint_len(v), buf.len(), "{v}");
        }
        assert!(read_varint(&[0xff, 0xff, 0xff, 0xff, 0x7f]).is_err());
        assert!(read_varint(&[0x80, 0x80]).is_err());
    }
}
