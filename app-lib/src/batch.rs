//! The requests that wait to be sent: merged where two can be one, numbered, and encoded
//! into frames in the connection's compression.

use netui_protocol::frame::{BatchWriter, Compression, WriterStats};
use netui_protocol::{Color, EncodeError, Limits, Rect, Request, ResourceId, Segment};

/// Bytes of queued requests after which they are sent without waiting for a flush, so that a
/// long burst of drawing starts to travel while it is still being made.
const AUTO_FLUSH: usize = 256 * 1024;

/// Most rectangles or segments in one request that the batch makes: a longer list is sent in
/// parts, so that no request outgrows a frame however many a client draws without flushing.
const LIST_MAX: usize = 4096;

/// The queue of a connection's requests.
#[derive(Debug)]
pub(crate) struct Batch {
    writer: BatchWriter,
    /// The last queued request, kept open so that the next one can be merged into it.
    open: Option<Request>,
    /// How many requests were encoded: the sequence number of the last one, which is how the
    /// server names a request in its replies and errors.
    seq: u32,
}

impl Batch {
    /// An empty queue for frames within `limits`, written in `compression`.
    pub(crate) fn new(limits: Limits, compression: Compression) -> Self {
        Self {
            writer: BatchWriter::new(limits, compression),
            open: None,
            seq: 0,
        }
    }

    /// Queues a request, merging it into the previous one where the two can be one. True
    /// when enough bytes wait that they should go now ([`Batch::take_frames`]).
    pub(crate) fn push(&mut self, request: Request) -> bool {
        match request {
            Request::FillRects {
                target,
                color,
                rects,
            } => self.fill(target, color, &rects),
            Request::Segments {
                target,
                color,
                width,
                segments,
            } => self.segments(target, color, width, &segments),
            request => {
                self.open(request);
                self.full()
            }
        }
    }

    /// Queues a fill of `rects` into `target` in `color`, added to the open request if it is
    /// a fill of the same target and color: a client that fills many small rectangles one
    /// call at a time allocates nothing per call. A list longer than [`LIST_MAX`] goes in
    /// several requests. True when enough bytes wait that they should go now.
    pub(crate) fn fill(&mut self, target: ResourceId, color: Color, rects: &[Rect]) -> bool {
        for part in parts(rects) {
            match &mut self.open {
                Some(Request::FillRects {
                    target: t,
                    color: c,
                    rects,
                }) if *t == target && *c == color => {
                    // One rectangle a call is the common case: a push, not a copy of a slice.
                    match part {
                        [one] => rects.push(*one),
                        part => rects.extend_from_slice(part),
                    }
                }
                _ => self.open(Request::FillRects {
                    target,
                    color,
                    rects: part.to_vec(),
                }),
            }
            self.close_if_long();
        }
        self.full()
    }

    /// Queues segments into `target` in `color` and `width`, added to the open request as
    /// [`Batch::fill`] adds rectangles.
    pub(crate) fn segments(
        &mut self,
        target: ResourceId,
        color: Color,
        width: u16,
        segments: &[Segment],
    ) -> bool {
        for part in parts(segments) {
            match &mut self.open {
                Some(Request::Segments {
                    target: t,
                    color: c,
                    width: w,
                    segments,
                }) if *t == target && *c == color && *w == width => match part {
                    [one] => segments.push(*one),
                    part => segments.extend_from_slice(part),
                },
                _ => self.open(Request::Segments {
                    target,
                    color,
                    width,
                    segments: part.to_vec(),
                }),
            }
            self.close_if_long();
        }
        self.full()
    }

    /// Encodes the open request and opens `request` in its place.
    fn open(&mut self, request: Request) {
        self.close();
        self.open = Some(request);
    }

    /// Encodes the open request once its list is [`LIST_MAX`] long: merged requests stay
    /// well inside a frame, and a long burst of them reaches [`AUTO_FLUSH`].
    fn close_if_long(&mut self) {
        let len = match &self.open {
            Some(Request::FillRects { rects, .. }) => rects.len(),
            Some(Request::Segments { segments, .. }) => segments.len(),
            _ => 0,
        };
        if len >= LIST_MAX {
            self.close();
        }
    }

    /// Whether enough bytes wait that they should go now.
    fn full(&self) -> bool {
        self.writer.pending_bytes() >= AUTO_FLUSH
    }

    /// Encodes the open request too: nothing more will be merged into it.
    pub(crate) fn close(&mut self) {
        if let Some(open) = self.open.take() {
            self.encode(&open);
        }
    }

    /// Queues one message with `push`, after the open request and unmerged, counting it as a
    /// request. True when enough bytes wait that they should go now.
    pub(crate) fn push_unmerged(
        &mut self,
        push: impl FnOnce(&mut BatchWriter) -> Result<(), EncodeError>,
    ) -> Result<bool, EncodeError> {
        self.close();
        push(&mut self.writer)?;
        self.seq = self.seq.wrapping_add(1);
        Ok(self.full())
    }

    /// The compression of the requests queued from now on.
    pub(crate) fn compression(&self) -> Compression {
        self.writer.compression()
    }

    /// Writes the requests queued from now on in `compression`; those queued before go in a
    /// frame of the old one.
    pub(crate) fn set_compression(&mut self, compression: Compression) {
        self.close();
        self.writer.set_compression(compression);
    }

    fn encode(&mut self, request: &Request) {
        match self.writer.push(request) {
            Ok(()) => self.seq = self.seq.wrapping_add(1),
            // Only a request larger than a frame can fail here; images are split before.
            Err(e) => tracing::error!("dropping a {} request: {e}", request.kind()),
        }
    }

    /// The frames of the requests encoded so far (not the open one), ready for the wire.
    pub(crate) fn take_frames(&mut self) -> Vec<u8> {
        self.writer.take_frames()
    }

    /// Gives back a buffer that [`Batch::take_frames`] returned, once written.
    pub(crate) fn give_back(&mut self, buffer: Vec<u8>) {
        self.writer.give_back(buffer);
    }

    /// The sequence number of the last encoded request.
    pub(crate) fn seq(&self) -> u32 {
        self.seq
    }

    /// What the frames written so far held and cost.
    pub(crate) fn stats(&self) -> WriterStats {
        self.writer.stats()
    }
}

/// `list` in parts of at most [`LIST_MAX`]; an empty list is one empty part, still a request
/// (the server checks its target as for any other).
fn parts<T>(list: &[T]) -> impl Iterator<Item = &[T]> {
    let empty = list.is_empty().then_some(list);
    list.chunks(LIST_MAX).chain(empty)
}

#[cfg(test)]
mod tests {
    use super::*;
    use netui_protocol::frame::MAX_PAYLOAD;
    use netui_protocol::Point;

    fn fill(target: u32, color: Color, x: i32) -> Request {
        Request::FillRects {
            target: ResourceId(target),
            color,
            rects: vec![Rect::new(x, 0, 1, 1)],
        }
    }

    fn segment(width: u16) -> Request {
        Request::Segments {
            target: ResourceId(1),
            color: Color::BLACK,
            width,
            segments: vec![Segment {
                a: Point::new(0, 0),
                b: Point::new(1, 1),
            }],
        }
    }

    /// The requests that the batch's frames carry, decoded as the server would.
    fn sent(batch: &mut Batch) -> Vec<Request> {
        let wire = batch.take_frames();
        netui_protocol::frame::decode_stream(&wire, &Limits::default()).expect("decodes")
    }

    #[test]
    fn fills_of_one_color_into_one_target_become_one_request() {
        let mut batch = Batch::new(Limits::default(), Compression::Lz4);
        for x in 0..3 {
            batch.push(fill(1, Color::RED, x));
        }
        assert!(sent(&mut batch).is_empty(), "the fill stays open for more");
        batch.close();
        assert_eq!(batch.seq(), 1);
        let Request::FillRects { rects, .. } = &sent(&mut batch)[0] else {
            panic!("not a fill");
        };
        assert_eq!(rects.len(), 3);
    }

    #[test]
    fn fills_and_segments_merge_into_the_open_request_of_their_style() {
        let mut batch = Batch::new(Limits::default(), Compression::None);
        batch.push(fill(1, Color::RED, 0));
        batch.fill(ResourceId(1), Color::RED, &[Rect::new(1, 0, 1, 1)]);
        // Another color: a request of its own.
        batch.fill(ResourceId(1), Color::BLUE, &[Rect::new(2, 0, 1, 1)]);
        batch.close();
        let fills = sent(&mut batch);
        let [Request::FillRects { rects: red, .. }, Request::FillRects { rects: blue, .. }] =
            &fills[..]
        else {
            panic!("not two fills: {fills:?}");
        };
        assert_eq!(red, &[Rect::new(0, 0, 1, 1), Rect::new(1, 0, 1, 1)]);
        assert_eq!(blue, &[Rect::new(2, 0, 1, 1)]);
        batch.push(segment(1));
        let more = [Segment {
            a: Point::new(2, 2),
            b: Point::new(3, 3),
        }; 2];
        batch.segments(ResourceId(1), Color::BLACK, 1, &more);
        batch.segments(ResourceId(1), Color::BLACK, 2, &more);
        batch.close();
        let lines = sent(&mut batch);
        let [Request::Segments { segments, .. }, Request::Segments { width: 2, .. }] = &lines[..]
        else {
            panic!("not two segment requests: {lines:?}");
        };
        assert_eq!(segments.len(), 3);
    }

    #[test]
    fn a_long_burst_is_cut_into_requests_that_fit_and_asks_to_be_sent() {
        let mut batch = Batch::new(Limits::default(), Compression::None);
        // Enough one-rectangle calls that they must go before the flush, and a list longer
        // than any frame holds in one call: nothing is dropped, every request fits.
        let one = [Rect::new(0, 0, 1, 1)];
        let calls = (0..LIST_MAX * 10).filter(|_| batch.fill(ResourceId(1), Color::RED, &one));
        assert!(calls.count() > 0, "the burst asked to be sent");
        let huge = vec![Rect::new(1, 1, 1, 1); MAX_PAYLOAD / 8 + 1];
        assert!(batch.fill(ResourceId(1), Color::RED, &huge));
        batch.close();
        let requests = sent(&mut batch);
        let mut drawn = 0;
        for request in &requests {
            let Request::FillRects { rects, .. } = request else {
                panic!("not a fill: {request:?}");
            };
            assert!(rects.len() <= LIST_MAX, "{} in one request", rects.len());
            drawn += rects.len();
        }
        assert_eq!(drawn, LIST_MAX * 10 + huge.len());
        assert_eq!(batch.seq() as usize, requests.len());
    }

    #[test]
    fn an_empty_list_is_still_a_request() {
        let mut batch = Batch::new(Limits::default(), Compression::None);
        batch.fill(ResourceId(7), Color::RED, &[]);
        batch.close();
        assert_eq!(sent(&mut batch).len(), 1, "the server checks its target");
    }

    #[test]
    fn another_color_target_or_width_starts_a_new_request() {
        let mut batch = Batch::new(Limits::default(), Compression::None);
        batch.push(fill(1, Color::RED, 0));
        batch.push(fill(1, Color::BLUE, 0));
        batch.push(fill(2, Color::BLUE, 0));
        batch.push(segment(1));
        batch.push(segment(1));
        batch.push(segment(2));
        // The last one is still open.
        assert_eq!(batch.seq(), 4);
        batch.close();
        assert_eq!(batch.seq(), 5);
        assert_eq!(sent(&mut batch).len(), 5);
    }
}
