//! The requests that wait to be sent: merged where two can be one, numbered, and encoded
//! into frames in the connection's compression.

use netui_protocol::frame::{BatchWriter, Compression, WriterStats};
use netui_protocol::{EncodeError, Limits, Request};

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
        if let Some(open) = &mut self.open {
            if merge(open, &request) {
                return false;
            }
        }
        match self.open.replace(request) {
            Some(done) => {
                self.encode(&done);
                self.writer.pending_bytes() >= AUTO_FLUSH
            }
            None => false,
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

    /// The sequence number of the last encoded request.
    pub(crate) fn seq(&self) -> u32 {
        self.seq
    }

    /// What the frames written so far held and cost.
    pub(crate) fn stats(&self) -> WriterStats {
        self.writer.stats()
    }
}

/// Merges `next` into `open` when they are the same operation with the same style.
fn merge(open: &mut Request, next: &Request) -> bool {
    match (open, next) {
        (
            Request::FillRects {
                target,
                color,
                rects,
            },
            Request::FillRects {
                target: t,
                color: c,
                rects: more,
            },
        ) if target == t && color == c => {
            rects.extend_from_slice(more);
            true
        }
        (
            Request::Segments {
                target,
                color,
                width,
                segments,
            },
            Request::Segments {
                target: t,
                color: c,
                width: w,
                segments: more,
            },
        ) if target == t && color == c && width == w => {
            segments.extend_from_slice(more);
            true
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use netui_protocol::{Color, Point, Rect, ResourceId, Segment};

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
