//! The requests that wait to be sent: merged where two can be one, numbered, and encoded
//! into frames in the connection's compression.

use netui_protocol::frame::{BatchWriter, Compression, WriterStats};
use netui_protocol::{Color, EncodeError, Limits, Rect, Request, ResourceId, Segment};

/// Bytes of queued requests after which they are sent without waiting for a flush, so that a
/// long burst of drawing starts to travel while it is still being made.
const AUTO_FLUSH: usize = 256 * 1024;

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
        if self.merge(&request) {
            return false;
        }
        match self.open.replace(request) {
            Some(done) => {
                self.encode(&done);
                self.writer.pending_bytes() >= AUTO_FLUSH
            }
            None => false,
        }
    }

    /// Adds `rects` to the open request if it fills `target` in `color`, as [`Batch::push`]
    /// would merge a `FillRects` of them, without making that request: a client that fills
    /// many small rectangles one call at a time allocates nothing per call. False when the
    /// open request is another one.
    pub(crate) fn extend_fill(&mut self, target: ResourceId, color: Color, more: &[Rect]) -> bool {
        match &mut self.open {
            Some(Request::FillRects {
                target: t,
                color: c,
                rects,
            }) if *t == target && *c == color => {
                // One rectangle a call is the common case: a push, not a copy of a slice.
                match more {
                    [one] => rects.push(*one),
                    more => rects.extend_from_slice(more),
                }
                true
            }
            _ => false,
        }
    }

    /// Adds `more` to the open request if it draws segments into `target` in `color` and
    /// `width`, as [`Batch::extend_fill`] does for fills.
    pub(crate) fn extend_segments(
        &mut self,
        target: ResourceId,
        color: Color,
        width: u16,
        more: &[Segment],
    ) -> bool {
        match &mut self.open {
            Some(Request::Segments {
                target: t,
                color: c,
                width: w,
                segments,
            }) if *t == target && *c == color && *w == width => {
                match more {
                    [one] => segments.push(*one),
                    more => segments.extend_from_slice(more),
                }
                true
            }
            _ => false,
        }
    }

    /// Merges `next` into the open request when they are the same operation with the same
    /// style.
    fn merge(&mut self, next: &Request) -> bool {
        match next {
            Request::FillRects {
                target,
                color,
                rects,
            } => self.extend_fill(*target, *color, rects),
            Request::Segments {
                target,
                color,
                width,
                segments,
            } => self.extend_segments(*target, *color, *width, segments),
            _ => false,
        }
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
        Ok(self.writer.pending_bytes() >= AUTO_FLUSH)
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

#[cfg(test)]
mod tests {
    use super::*;
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
    fn extending_in_place_merges_as_push_does() {
        let mut batch = Batch::new(Limits::default(), Compression::None);
        // Nothing is open yet: nothing to extend.
        assert!(!batch.extend_fill(ResourceId(1), Color::RED, &[Rect::new(0, 0, 1, 1)]));
        batch.push(fill(1, Color::RED, 0));
        assert!(batch.extend_fill(ResourceId(1), Color::RED, &[Rect::new(1, 0, 1, 1)]));
        assert!(!batch.extend_fill(ResourceId(1), Color::BLUE, &[Rect::new(2, 0, 1, 1)]));
        assert!(!batch.extend_segments(ResourceId(1), Color::RED, 1, &[]));
        batch.close();
        let Request::FillRects { rects, .. } = &sent(&mut batch)[0] else {
            panic!("not a fill");
        };
        assert_eq!(rects, &[Rect::new(0, 0, 1, 1), Rect::new(1, 0, 1, 1)]);
        batch.push(segment(1));
        let more = [Segment {
            a: Point::new(2, 2),
            b: Point::new(3, 3),
        }; 2];
        assert!(batch.extend_segments(ResourceId(1), Color::BLACK, 1, &more));
        assert!(!batch.extend_segments(ResourceId(1), Color::BLACK, 2, &more));
        batch.close();
        let Request::Segments { segments, .. } = &sent(&mut batch)[0] else {
            panic!("not segments");
        };
        assert_eq!(segments.len(), 3);
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
