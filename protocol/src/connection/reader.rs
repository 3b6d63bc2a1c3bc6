//! [`FrameReader`]: bytes in, whole frames out.

use crate::error::DecodeError;
use crate::frame::{check_frame, Bodies, FrameDecoder, FrameHeader, Limits};

/// The least room that [`FrameReader::spare`] offers: enough for many small frames in one
/// read, so that a busy connection does not cost a system call a frame.
const READ_CHUNK: usize = 64 * 1024;

/// One whole frame, as [`FrameReader::next_frame`] yields it.
#[derive(Debug)]
pub struct Frame<'a> {
    /// Its header, checked against the reader's limits.
    pub header: FrameHeader,
    /// The frame as it came, header included (for a proxy that passes frames on as they are).
    pub wire: &'a [u8],
    /// Its message bodies, in order, undecoded: decode each as a
    /// [`Request`](crate::Request) or a [`ServerMessage`](crate::ServerMessage).
    pub bodies: Bodies<'a>,
}

/// Reads the frames of one direction of a connection: it is fed the bytes as they arrive and
/// yields each frame once it is whole, decoded into its message bodies.
///
/// It owns the buffer and the stream's [`FrameDecoder`], which keeps the context that
/// `lz4-ctx` frames need, so one reader must see every byte of its stream, in order. A
/// frame's header is checked against the [`Limits`] as soon as its bytes are in, before
/// any room is made for its payload, and the room then grows with the bytes that arrive,
/// not with the length that the header announces: a peer makes the reader hold at most
/// twice what it has sent (plus a read's 64 KiB), and never more than the limits allow.
///
/// Bytes go in either way, whichever suits the caller's I/O:
/// - without a copy: read into [`FrameReader::spare`], then say how many bytes came with
///   [`FrameReader::filled`];
/// - from a slice: [`FrameReader::feed`].
///
/// ```
/// use netui_protocol::connection::FrameReader;
/// use netui_protocol::frame::decode_request;
/// use netui_protocol::{BatchWriter, Compression, Limits, Request};
///
/// let mut writer = BatchWriter::new(Limits::default(), Compression::Lz4);
/// writer.push(&Request::Sync).unwrap();
/// let wire = writer.take_frames();
///
/// let mut reader = FrameReader::new(Limits::default());
/// let (first, rest) = wire.split_at(2);
/// reader.feed(first);
/// assert!(reader.next_frame().unwrap().is_none(), "not whole yet");
/// // As a socket read would: into the reader's own buffer.
/// reader.spare()[..rest.len()].copy_from_slice(rest);
/// reader.filled(rest.len());
/// let frame = reader.next_frame().unwrap().expect("whole");
/// let requests: Vec<Request> = frame.bodies.map(|b| decode_request(b).unwrap()).collect();
/// assert_eq!(requests, [Request::Sync]);
/// ```
pub struct FrameReader {
    /// Received bytes: `start..end` are not yet yielded, `end..` is room for the next read.
    /// The whole of it is initialised, so that a read can go straight into the room.
    buf: Vec<u8>,
    start: usize,
    end: usize,
    decoder: FrameDecoder,
    limits: Limits,
}

impl std::fmt::Debug for FrameReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Not the buffer itself: 64 KiB of bytes say nothing in a log.
        f.debug_struct("FrameReader")
            .field("buffered", &(self.end - self.start))
            .field("room", &(self.buf.len() - self.end))
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl FrameReader {
    /// A reader at the start of a stream, that refuses frames beyond `limits`.
    pub fn new(limits: Limits) -> Self {
        Self {
            buf: Vec::new(),
            start: 0,
            end: 0,
            decoder: FrameDecoder::new(),
            limits,
        }
    }

    /// The limits that frames are checked against.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Checks the frames from now on against `limits` (a client reads the server's hello
    /// with the defaults, then with the limits that the welcome announces).
    pub fn set_limits(&mut self, limits: Limits) {
        self.limits = limits;
    }

    /// Room to read into: at least 64 KiB, and for a large frame in progress whose header
    /// passed the limits, as much as it still needs up to as much as has arrived (so the
    /// room doubles while it arrives). Say how much was read with [`FrameReader::filled`].
    pub fn spare(&mut self) -> &mut [u8] {
        let arrived = self.end - self.start;
        let want = self.missing().min(arrived).max(READ_CHUNK);
        self.make_room(want);
        self.buf.get_mut(self.end..).unwrap_or_default()
    }

    /// Says that the first `n` bytes of [`FrameReader::spare`] were filled (by a read).
    pub fn filled(&mut self, n: usize) {
        debug_assert!(self.end + n <= self.buf.len(), "filled more than the room");
        self.end = (self.end + n).min(self.buf.len());
    }

    /// Appends bytes that arrived (a copy; [`FrameReader::spare`] saves it).
    pub fn feed(&mut self, bytes: &[u8]) {
        self.make_room(bytes.len());
        if let Some(room) = self.buf.get_mut(self.end..self.end + bytes.len()) {
            room.copy_from_slice(bytes);
            self.end += bytes.len();
        }
    }

    /// The bytes received and not yet yielded as a frame: the start of a frame that is not
    /// whole yet, or, after an error, the frame that broke the rules and what followed it.
    pub fn buffered(&self) -> &[u8] {
        self.buf.get(self.start..self.end).unwrap_or_default()
    }

    /// Whether a whole frame is buffered, so that [`FrameReader::next_frame`] will yield it
    /// (or say why it does not decode). An error if its header breaks the rules or limits.
    ///
    /// A loop that reads until a frame is whole and then returns it needs this:
    /// `while !reader.has_frame()? { read }`, since returning the frame from inside the loop
    /// would keep the reader borrowed for the read.
    pub fn has_frame(&self) -> Result<bool, DecodeError> {
        check_frame(self.buffered(), &self.limits).map(|header| header.is_some())
    }

    /// The next whole frame with its message bodies, or `Ok(None)` until it is whole.
    ///
    /// A header that breaks the rules or the limits is an error as soon as its bytes are in;
    /// a frame that does not decode is an error once it is whole. Either way the stream
    /// cannot be read any further: the reader stays at that frame, returns the error again,
    /// and keeps its bytes in [`FrameReader::buffered`]. Close the connection.
    pub fn next_frame(&mut self) -> Result<Option<Frame<'_>>, DecodeError> {
        let unread = self.buf.get(self.start..self.end).unwrap_or_default();
        let Some(header) = check_frame(unread, &self.limits)? else {
            return Ok(None);
        };
        // `check_frame` found the whole frame in `unread`.
        let wire = unread.get(..header.frame_len()).unwrap_or_default();
        let bodies = self.decoder.decode(header, wire, &self.limits)?;
        self.start += header.frame_len();
        if self.start == self.end {
            // Nothing is left: the next read may start at the front, without a move.
            self.start = 0;
            self.end = 0;
        }
        Ok(Some(Frame {
            header,
            wire,
            bodies,
        }))
    }

    /// The bytes that the frame in progress still needs, if its header is in and passes the
    /// limits (0 otherwise: a header that does not pass gets no room made for it).
    fn missing(&self) -> usize {
        let unread = self.buffered();
        FrameHeader::parse(unread, &self.limits)
            .ok()
            .flatten()
            .map_or(0, |header| header.frame_len().saturating_sub(unread.len()))
    }

    /// Makes `want` bytes of room after the buffered ones: first by moving those to the
    /// front (the space before them was yielded), then by growing.
    fn make_room(&mut self, want: usize) {
        if self.buf.len() - self.end >= want {
            return;
        }
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.buf.len() - self.end < want {
            self.buf.resize(self.end + want, 0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::{decode_request, encode_single, BatchWriter, Compression};
    use crate::geometry::Rect;
    use crate::request::{ImageFormat, Request, ResourceId};

    /// Frames of a few batches, in `compression`: a Sync, a large image twice (a reference
    /// the second time, with `lz4-ctx`), and a MapWindow.
    fn stream(compression: Compression) -> (Vec<u8>, Vec<Vec<Request>>) {
        let image = Request::PutImage {
            target: ResourceId(0x20_0001),
            rect: Rect::new(0, 0, 16, 16),
            format: ImageFormat::Rgba8,
            data: (0..1024).map(|i| (i * 7 % 251) as u8).collect(),
        };
        let batches = vec![
            vec![Request::Sync],
            vec![image.clone(), image],
            vec![Request::MapWindow {
                id: ResourceId(0x20_0001),
            }],
        ];
        let mut writer = BatchWriter::new(Limits::default(), compression);
        let mut wire = Vec::new();
        for batch in &batches {
            for request in batch {
                writer.push(request).expect("encodes");
            }
            wire.extend_from_slice(&writer.take_frames());
        }
        (wire, batches)
    }

    /// The requests of the next frame, if whole.
    fn next_batch(reader: &mut FrameReader) -> Option<Vec<Request>> {
        let frame = reader.next_frame().expect("a valid frame")?;
        Some(
            frame
                .bodies
                .map(|body| decode_request(body).expect("a request"))
                .collect(),
        )
    }

    #[test]
    fn frames_fed_byte_by_byte_come_out_whole_and_in_order() {
        for compression in Compression::ALL {
            let (wire, batches) = stream(compression);
            let mut reader = FrameReader::new(Limits::default());
            let mut got = Vec::new();
            for byte in &wire {
                reader.feed(std::slice::from_ref(byte));
                if let Some(batch) = next_batch(&mut reader) {
                    got.push(batch);
                    // One byte completes at most one frame.
                    assert!(reader.next_frame().expect("valid").is_none());
                }
            }
            assert_eq!(got, batches, "{compression}");
            assert!(reader.buffered().is_empty());
        }
    }

    #[test]
    fn frames_read_into_the_spare_room_in_odd_pieces_come_out_whole() {
        let (wire, batches) = stream(Compression::Lz4Ctx);
        let mut reader = FrameReader::new(Limits::default());
        let mut rest = wire.as_slice();
        let mut got = Vec::new();
        for piece in [1, 7, 3, 100, 2, 1000].iter().cycle() {
            while let Some(batch) = next_batch(&mut reader) {
                got.push(batch);
            }
            if rest.is_empty() {
                break;
            }
            let spare = reader.spare();
            let n = (*piece).min(rest.len()).min(spare.len());
            spare[..n].copy_from_slice(&rest[..n]);
            reader.filled(n);
            rest = &rest[n..];
        }
        assert_eq!(got, batches);
    }

    #[test]
    fn two_frames_in_one_feed_are_two_frames() {
        let mut wire = encode_single(&Request::Sync).expect("encodes");
        wire.extend_from_slice(&encode_single(&Request::GetServerInfo).expect("encodes"));
        let half = encode_single(&Request::Sync).expect("encodes");
        // And the first half of a third.
        wire.extend_from_slice(&half[..half.len() / 2]);
        let mut reader = FrameReader::new(Limits::default());
        reader.feed(&wire);
        assert!(reader.has_frame().expect("valid"));
        let frame = reader.next_frame().expect("valid").expect("whole");
        assert_eq!(frame.wire, &wire[..frame.header.frame_len()]);
        assert_eq!(next_batch(&mut reader), Some(vec![Request::GetServerInfo]));
        assert_eq!(next_batch(&mut reader), None);
        assert!(!reader.has_frame().expect("valid"));
        assert_eq!(reader.buffered(), &half[..half.len() / 2]);
        reader.feed(&half[half.len() / 2..]);
        assert_eq!(next_batch(&mut reader), Some(vec![Request::Sync]));
    }

    #[test]
    fn a_frame_over_the_limit_is_refused_before_it_is_buffered() {
        let limits = Limits {
            max_payload: 1000,
            ..Limits::default()
        };
        let mut reader = FrameReader::new(limits);
        // A plain frame that announces 10 MB.
        let header = [
            0x00, // flags: plain
            0x80, 0xad, 0xe2, 0x04, // wire length: 10,000,000
        ];
        reader.feed(&header);
        assert_eq!(
            reader.next_frame().map(|f| f.is_some()),
            Err(DecodeError::FrameTooLarge {
                len: 10_000_000,
                limit: 1000
            })
        );
        // No room was made for it: a read gets the usual 64 KiB, not 10 MB.
        assert_eq!(reader.spare().len(), READ_CHUNK);
        assert!(reader.buf.len() < 2 * READ_CHUNK, "{reader:?}");
        // The error stays, and so do the bytes, for whoever wants to pass them on.
        assert!(reader.has_frame().is_err());
        assert!(reader.next_frame().is_err());
        assert_eq!(reader.buffered(), header);
    }

    #[test]
    fn a_large_frame_gets_room_as_it_arrives_not_as_its_header_announces() {
        let request = Request::PutImage {
            target: ResourceId(0x20_0001),
            rect: Rect::new(0, 0, 512, 512),
            format: ImageFormat::Rgba8,
            data: vec![7; 512 * 512 * 4],
        };
        let wire = encode_single(&request).expect("encodes");
        let mut reader = FrameReader::new(Limits::default());
        reader.feed(&wire[..16]);
        // A megabyte announced, 16 bytes sent: the usual room, no more.
        assert_eq!(reader.spare().len(), READ_CHUNK);
        let mut rest = &wire[16..];
        let mut reads = 0;
        while !rest.is_empty() {
            let spare = reader.spare();
            let n = spare.len().min(rest.len());
            spare[..n].copy_from_slice(&rest[..n]);
            reader.filled(n);
            rest = &rest[n..];
            reads += 1;
            assert!(
                reader.buf.len() <= 2 * reader.buffered().len() + READ_CHUNK,
                "{reader:?}"
            );
        }
        // The room doubled: a few reads, not one per 64 KiB.
        assert!(reads <= 6, "{reads} reads");
        assert_eq!(next_batch(&mut reader), Some(vec![request]));
    }

    #[test]
    fn a_frame_that_does_not_decode_is_an_error_that_stays() {
        // A plain frame of one message whose length runs past the payload.
        let broken = [
            0, // flags: plain
            2, // wire length
            5, 1, // a message of 5 bytes, 1 there
        ];
        let mut reader = FrameReader::new(Limits::default());
        reader.feed(&broken);
        let err = DecodeError::Truncated { len: 5, left: 1 };
        assert_eq!(reader.next_frame().map(|f| f.is_some()), Err(err.clone()));
        assert_eq!(reader.next_frame().map(|f| f.is_some()), Err(err));
        assert_eq!(reader.buffered(), broken);
    }
}
