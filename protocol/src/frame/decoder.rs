//! Reading frames, plain or context, back into message bodies.

use std::ops::Range;
use std::sync::Arc;

use super::context::{Cache, History};
use super::*;

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
pub(super) struct ReaderContext {
    pub(super) dict: History,
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
    pub(super) context: Option<Box<ReaderContext>>,
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
