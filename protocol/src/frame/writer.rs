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

/// postcard's output into the writer's scratch buffer. postcard writes every integer as a
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
        postcard::serialize_with_flavor(message, Scratch(&mut self.scratch))
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
