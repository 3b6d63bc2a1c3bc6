//! Writing batches of messages into frames, in the connection's compression.

use std::collections::hash_map::{DefaultHasher, Entry};
use std::collections::{HashMap, VecDeque};
use std::hash::Hasher;

use super::context::{Cache, History};
use super::*;

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

/// The room a batch keeps for its header while it is open: the flags and a wire length
/// padded to its four bytes, which is the header of an uncompressed frame of [`MOVE_MAX`]
/// bytes or more. A smaller uncompressed payload moves up to the header's shortest form
/// (two or three bytes); a compressed one is written after its header anyway.
const HEADER_ROOM: usize = 1 + LENGTH_BYTES;
/// The smallest uncompressed payload that is not moved to shorten its header: it would save
/// at most two bytes of more than 16 KiB.
const MOVE_MAX: usize = 16 * 1024;

/// postcard's output into one of the writer's buffers (the batch, or the scratch buffer of a
/// message that is looked up before it is written). postcard writes every integer as a
/// varint of one to five bytes through `try_extend`; a `Vec`'s own `extend` copies such a
/// piece with a call to `memcpy`, which was most of the time of encoding a batch of
/// rectangles or segments (16 % of a `drawbench seg10` profile). Pieces that short are
/// pushed byte by byte instead.
struct Scratch<'a>(&'a mut Vec<u8>);

impl postcard::ser_flavors::Flavor for Scratch<'_> {
    type Output = ();

    #[inline(always)]
    fn try_push(&mut self, byte: u8) -> postcard::Result<()> {
        self.0.push(byte);
        Ok(())
    }

    #[inline(always)]
    fn try_extend(&mut self, bytes: &[u8]) -> postcard::Result<()> {
        if bytes.len() <= 8 {
            for &byte in bytes {
                self.0.push(byte);
            }
        } else {
            self.0.extend_from_slice(bytes);
        }
        Ok(())
    }

    fn finalize(self) -> postcard::Result<()> {
        Ok(())
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
/// module's docs): its frames must reach one [`FrameDecoder`], all of them, in order.
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
    /// The frames sealed so far, then the open batch: its header's room at `open`, then its
    /// payload as its frame will carry it (messages, or entries in a context frame). A batch
    /// is written where it will be sent, so a large message is copied once, by the
    /// serializer.
    out: Vec<u8>,
    /// Where the open batch starts in `out`, when one is open.
    open: Option<usize>,
    /// The open batch's size as a plain payload (what the limits bound).
    expanded: usize,
    messages: usize,
    scratch: Vec<u8>,
    packed: Vec<u8>,
    /// A buffer given back ([`BatchWriter::give_back`]) for the frames after the next take.
    spare: Vec<u8>,
    stats: WriterStats,
    /// The stream's context, made by the first context frame.
    context: Option<Box<WriterContext>>,
}

/// The bytes a message's length takes in front of it when it is serialized straight into
/// the batch: three bytes of LEB128 hold lengths below 2 MiB (longer ones go the slow way).
const LENGTH_ROOM: usize = 3;

/// The largest buffer that [`BatchWriter::give_back`] keeps: a burst of drawing or of events
/// (the application library sends at 256 KiB, the server's writer at 1 MiB) with one large
/// image in it.
const MAX_SPARE: usize = 2 << 20;

impl BatchWriter {
    /// A writer that obeys `limits` and writes frames with `compression` (an LZ4 block only
    /// where compression makes the payload smaller).
    pub fn new(limits: Limits, compression: Compression) -> Self {
        Self {
            limits,
            compression,
            out: Vec::new(),
            open: None,
            expanded: 0,
            messages: 0,
            scratch: Vec::new(),
            packed: Vec::new(),
            spare: Vec::new(),
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

    /// Closes the open frame, if any: the next message starts a frame of its own.
    pub fn end_frame(&mut self) {
        self.seal_payload();
    }

    /// The compression of the messages pushed from now on.
    pub fn compression(&self) -> Compression {
        self.compression
    }

    /// Appends a message to the current batch.
    pub fn push<T: Serialize>(&mut self, message: &T) -> Result<(), EncodeError> {
        if self.compression == Compression::Lz4Ctx {
            // A context entry is looked up in the cache before it is written.
            self.scratch.clear();
            postcard::serialize_with_flavor(message, Scratch(&mut self.scratch))
                .map_err(|e| EncodeError::Serialize(e.to_string()))?;
            return self.push_scratch();
        }
        // Straight into the batch, after room for its length, which then moves up to it.
        if self.messages >= self.limits.max_messages as usize {
            self.seal_payload();
        }
        self.open_batch();
        let start = self.out.len();
        self.out.extend_from_slice(&[0; LENGTH_ROOM]);
        if let Err(e) = postcard::serialize_with_flavor(message, Scratch(&mut self.out)) {
            self.out.truncate(start);
            self.close_if_empty();
            return Err(EncodeError::Serialize(e.to_string()));
        }
        let len = self.out.len() - start - LENGTH_ROOM;
        let n = varint_len(len as u32);
        if n > LENGTH_ROOM || !self.fits(start - self.payload_start(), len) {
            // Rare (a message of 2 MiB or more, or one that ends the batch): the usual way.
            self.scratch.clear();
            self.scratch
                .extend_from_slice(&self.out[start + LENGTH_ROOM..]);
            self.out.truncate(start);
            self.close_if_empty();
            return self.push_scratch();
        }
        // The length as LEB128, in the first `n` bytes of its room.
        let mut value = len as u32;
        for (i, byte) in self.out[start..start + n].iter_mut().enumerate() {
            let more = if i + 1 < n { 0x80 } else { 0 };
            *byte = (value & 0x7f) as u8 | more;
            value >>= 7;
        }
        if n < LENGTH_ROOM {
            self.out.copy_within(start + LENGTH_ROOM.., start + n);
            self.out.truncate(start + n + len);
        }
        self.expanded += n + len;
        self.messages += 1;
        self.stats.messages += 1;
        Ok(())
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
        if len + self.overhead() > limit {
            return Err(EncodeError::TooLarge { len, limit });
        }
        if !self.fits(self.payload_len(), len) || self.messages >= self.limits.max_messages as usize
        {
            self.seal_payload();
        }
        self.open_batch();
        let body = self.scratch.as_slice();
        if self.compression == Compression::Lz4Ctx {
            let ctx = self.context.get_or_insert_with(Box::default);
            let hash = Cache::admits(len).then(|| WriterContext::hash(body));
            match hash.and_then(|h| ctx.find(h, body)) {
                // At most CACHE_BYTES / CACHE_MIN entries are held: `back` is below 2^16.
                Some(back) => write_varint(back as u32 * 2 + 1, &mut self.out),
                None => {
                    // `len` is below the limit, which the header's 24 bits bound.
                    write_varint(len as u32 * 2, &mut self.out);
                    self.out.extend_from_slice(body);
                    if let Some(hash) = hash {
                        ctx.admit(hash, body);
                    }
                }
            }
        } else {
            write_varint(len as u32, &mut self.out);
            self.out.extend_from_slice(body);
        }
        self.expanded += varint_len(len as u32) + len;
        self.messages += 1;
        self.stats.messages += 1;
        Ok(())
    }

    /// The most bytes a message adds to a batch besides its body: its length prefix (one
    /// more in a context entry, which doubles the length).
    fn overhead(&self) -> usize {
        if self.compression == Compression::Lz4Ctx {
            6
        } else {
            5
        }
    }

    /// Whether a message of `len` bytes fits in the open batch, whose payload is `payload`
    /// bytes so far.
    fn fits(&self, payload: usize, len: usize) -> bool {
        let limit = self.limits.max_payload as usize;
        payload + len + self.overhead() <= limit && self.expanded + len + self.overhead() <= limit
    }

    /// Where the open batch's payload starts in `out` (where the next one's would).
    fn payload_start(&self) -> usize {
        self.open.map_or(self.out.len(), |open| open + HEADER_ROOM)
    }

    /// The open batch's payload bytes so far.
    fn payload_len(&self) -> usize {
        self.out.len() - self.payload_start()
    }

    /// Opens a batch, with room for its header, unless one is open.
    fn open_batch(&mut self) {
        if self.open.is_none() {
            self.open = Some(self.out.len());
            self.out.extend_from_slice(&[0; HEADER_ROOM]);
        }
    }

    /// Takes the room of the open batch's header back if nothing was written after it.
    fn close_if_empty(&mut self) {
        if self.messages == 0 {
            if let Some(open) = self.open.take() {
                self.out.truncate(open);
            }
        }
    }

    /// Bytes waiting in this writer: the frames sealed but not taken, and the open batch.
    pub fn pending_bytes(&self) -> usize {
        self.out.len()
    }

    /// Seals the open batch (if any) and returns every frame sealed so far, ready to write.
    pub fn take_frames(&mut self) -> Vec<u8> {
        self.seal_payload();
        let mut next = std::mem::take(&mut self.spare);
        next.clear();
        std::mem::replace(&mut self.out, next)
    }

    /// Gives back a buffer that [`BatchWriter::take_frames`] returned, once written, so that
    /// the frames after the next take are written into memory already in use instead of a
    /// new allocation (whose pages the kernel must first fault in). A buffer of more than
    /// 2 MiB is freed instead: a writer does not hold on to the memory of one large batch.
    pub fn give_back(&mut self, buffer: Vec<u8>) {
        if buffer.capacity() > self.spare.capacity() && buffer.capacity() <= MAX_SPARE {
            self.spare = buffer;
        }
    }

    /// What this writer has sealed so far.
    pub fn stats(&self) -> WriterStats {
        self.stats
    }

    fn seal_payload(&mut self) {
        let Some(open) = self.open.take() else {
            return;
        };
        let start = open + HEADER_ROOM;
        let raw_len = self.out.len() - start;
        let context = match (self.compression, &mut self.context) {
            (Compression::Lz4Ctx, Some(context)) => Some(context),
            _ => None,
        };
        let in_context = context.is_some();
        let try_lz4 = match self.compression {
            Compression::None => false,
            Compression::Lz4 => raw_len >= MIN_COMPRESS,
            Compression::Lz4Ctx => raw_len >= MIN_COMPRESS_CONTEXT,
        };
        let payload = &self.out[start..];
        let mut packed_len = None;
        if try_lz4 {
            let room = lz4_flex::block::get_maximum_output_size(raw_len);
            if self.packed.len() < room {
                self.packed.resize(room, 0);
            }
            let packed = match &context {
                // lz4_flex ignores a dictionary of 3 bytes or less; so do we, the same way.
                Some(ctx) if ctx.dict.0.len() > 3 => {
                    lz4_flex::block::compress_into_with_dict(payload, &mut self.packed, &ctx.dict.0)
                }
                _ => lz4_flex::block::compress_into(payload, &mut self.packed),
            };
            packed_len = packed.ok().filter(|&n| n < raw_len);
        }
        if let Some(ctx) = context {
            ctx.dict.push(payload);
        }
        let header = if let Some(n) = packed_len {
            // `n` bytes were written into `packed`, which has room for the worst case.
            let header = FrameHeader::new(n, raw_len, true, in_context);
            let (head, len) = header.encode();
            self.out.truncate(open);
            self.out.extend_from_slice(&head[..len]);
            self.out
                .extend_from_slice(self.packed.get(..n).unwrap_or_default());
            header
        } else if raw_len < MOVE_MAX {
            // The payload moves up to the header's shortest form.
            let header = FrameHeader::new(raw_len, raw_len, false, in_context);
            let (head, len) = header.encode();
            self.out.copy_within(start.., open + len);
            self.out[open..open + len].copy_from_slice(&head[..len]);
            self.out.truncate(open + header.frame_len());
            header
        } else {
            let header = FrameHeader::new(raw_len, raw_len, false, in_context).padded();
            let (head, len) = header.encode();
            self.out[open..open + len].copy_from_slice(&head[..len]);
            header
        };
        self.stats.frames += 1;
        self.stats.payload_bytes += self.expanded as u64;
        self.stats.wire_bytes += header.frame_len() as u64;
        self.expanded = 0;
        self.messages = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
