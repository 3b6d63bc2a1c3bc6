//! Fair service: each client's requests wait in a queue of their own, and the core serves
//! the clients round-robin, each turn bounded by the pixels its requests touch
//! ([`Scene::cost`](netui_scene::scene::Scene::cost)), not by how many messages they are.
//! A small request (a sync, a window move) from one client so waits for at most one turn of
//! each other client, never for a whole backlog of bulk drawing.
//!
//! A request that costs more than a turn runs at the start of a turn of its own; one that
//! can be cut (an opaque polyline, segments or rectangles, whose pieces paint exactly the
//! same pixels) is cut into pieces of about a turn each. Each connection may have
//! [`BATCHES_IN_FLIGHT`] frames queued here; its reader waits for the core to finish one
//! before it sends the next, so a queue is bounded by the frame limits. When a client goes,
//! what it had queued is dropped (see [`Queues::remove`]).

use std::collections::{HashMap, VecDeque};

use netui_protocol::{Request, RequestClass};
use tokio::sync::OwnedSemaphorePermit;

use super::Incoming;
use crate::peer::ConnId;

/// The pixels that one client's turn may touch before the next client's turn.
pub const SLICE_PIXELS: u64 = 1 << 20;
/// What every request counts for beyond its pixels: decoding, checks, bookkeeping.
pub const REQUEST_OVERHEAD: u64 = 256;
/// Frames of one connection that may wait in the core before its reader pauses.
pub const BATCHES_IN_FLIGHT: usize = 4;

/// One frame's requests, and the reader's permit that it holds until they are all done.
struct Queued {
    items: VecDeque<Incoming>,
    _permit: Option<OwnedSemaphorePermit>,
}

/// The requests waiting for each client, and whose turn is next.
#[derive(Default)]
pub(super) struct Queues {
    by_conn: HashMap<ConnId, VecDeque<Queued>>,
    /// Connections with work, in the order of their next turn.
    turns: VecDeque<ConnId>,
}

impl Queues {
    /// Queues a frame's requests behind what the connection already has queued.
    pub(super) fn push(
        &mut self,
        conn: ConnId,
        items: Vec<Incoming>,
        permit: Option<OwnedSemaphorePermit>,
    ) {
        if items.is_empty() {
            return;
        }
        let queue = self.by_conn.entry(conn).or_default();
        if queue.is_empty() {
            self.turns.push_back(conn);
        }
        queue.push_back(Queued {
            items: items.into(),
            _permit: permit,
        });
    }

    /// Whether any client has work waiting.
    pub(super) fn is_empty(&self) -> bool {
        self.turns.is_empty()
    }

    /// The connection whose turn it is; it leaves the line until [`Queues::end_turn`].
    pub(super) fn next_turn(&mut self) -> Option<ConnId> {
        self.turns.pop_front()
    }

    /// The connection's next request, and whether it ended its frame (the frame's permit is
    /// released then, and the reader may send another).
    pub(super) fn pop(&mut self, conn: ConnId) -> Option<(Incoming, bool)> {
        let queue = self.by_conn.get_mut(&conn)?;
        let front = queue.front_mut()?;
        let item = front.items.pop_front()?;
        let ended = front.items.is_empty();
        if ended {
            queue.pop_front();
        }
        Some((item, ended))
    }

    /// Puts requests back at the head of the connection's queue, in order (a request that
    /// waits for the next turn, or the pieces of a request that was cut).
    pub(super) fn unpop(&mut self, conn: ConnId, items: Vec<Incoming>) {
        let queue = self.by_conn.entry(conn).or_default();
        match queue.front_mut() {
            Some(front) => {
                for item in items.into_iter().rev() {
                    front.items.push_front(item);
                }
            }
            None => queue.push_back(Queued {
                items: items.into(),
                _permit: None,
            }),
        }
    }

    /// Ends a connection's turn: it goes to the back of the line if it has work left.
    pub(super) fn end_turn(&mut self, conn: ConnId) {
        match self.by_conn.get(&conn) {
            Some(queue) if !queue.is_empty() => self.turns.push_back(conn),
            Some(_) => {
                self.by_conn.remove(&conn);
            }
            None => {}
        }
    }

    /// Forgets a connection that has gone, and returns what of its queued work must still
    /// be done: only requests that act on others (input, raising a window), since whatever
    /// it drew or asked dies with it.
    pub(super) fn remove(&mut self, conn: ConnId) -> Vec<Incoming> {
        self.turns.retain(|c| *c != conn);
        let Some(queue) = self.by_conn.remove(&conn) else {
            return Vec::new();
        };
        let mut dropped = 0usize;
        let mut kept = Vec::new();
        for item in queue.into_iter().flat_map(|q| q.items) {
            if item.request.as_ref().is_ok_and(acts_on_others) {
                kept.push(item);
            } else {
                dropped += 1;
            }
        }
        if dropped > 0 {
            tracing::debug!(
                conn,
                dropped,
                "dropped the queued requests of a client that left"
            );
        }
        kept
    }
}

/// Whether a request's effect outlives its client: input and window activation.
fn acts_on_others(request: &Request) -> bool {
    matches!(
        request.class(),
        RequestClass::Input | RequestClass::ViewerInput
    ) || matches!(request, Request::ActivateWindow { .. })
}

/// Cuts a request that costs `cost` pixels into pieces of about [`SLICE_PIXELS`] each, when
/// its pieces paint exactly what it does: an opaque polyline (pieces share their end
/// points), opaque segments or rectangles. `None` for any other request.
pub(super) fn split(request: &Request, cost: u64) -> Option<Vec<Request>> {
    let pieces = usize::try_from(cost.div_ceil(SLICE_PIXELS)).unwrap_or(usize::MAX);
    match request {
        Request::Lines {
            target,
            color,
            width,
            points,
        } if color.a == u8::MAX && points.len() > 2 => {
            let segments = points.len() - 1;
            let per = segments.div_ceil(pieces.clamp(2, segments));
            let mut out = Vec::new();
            let mut start = 0;
            while start < segments {
                let end = (start + per).min(segments);
                out.push(Request::Lines {
                    target: *target,
                    color: *color,
                    width: *width,
                    points: points.get(start..=end)?.to_vec(),
                });
                start = end;
            }
            Some(out)
        }
        Request::Segments {
            target,
            color,
            width,
            segments,
        } if color.a == u8::MAX && segments.len() > 1 => {
            let per = segments.len().div_ceil(pieces.clamp(2, segments.len()));
            Some(
                segments
                    .chunks(per)
                    .map(|chunk| Request::Segments {
                        target: *target,
                        color: *color,
                        width: *width,
                        segments: chunk.to_vec(),
                    })
                    .collect(),
            )
        }
        Request::FillRects {
            target,
            color,
            rects,
        } if color.a == u8::MAX && rects.len() > 1 => {
            let per = rects.len().div_ceil(pieces.clamp(2, rects.len()));
            Some(
                rects
                    .chunks(per)
                    .map(|chunk| Request::FillRects {
                        target: *target,
                        color: *color,
                        rects: chunk.to_vec(),
                    })
                    .collect(),
            )
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use netui_protocol::{Color, Point, ResourceId};

    use super::*;

    fn item(request: Request) -> Incoming {
        Incoming {
            seq: 1,
            opcode: None,
            request: Ok(request),
        }
    }

    #[test]
    fn turns_go_round_and_a_gone_client_leaves_only_its_input() {
        let mut queues = Queues::default();
        queues.push(1, vec![item(Request::Sync), item(Request::Sync)], None);
        queues.push(2, vec![item(Request::Sync)], None);
        assert_eq!(queues.next_turn(), Some(1));
        assert!(matches!(queues.pop(1), Some((_, false))));
        queues.end_turn(1);
        assert_eq!(queues.next_turn(), Some(2));
        assert!(matches!(queues.pop(2), Some((_, true))));
        queues.end_turn(2);
        assert_eq!(queues.next_turn(), Some(1));
        queues.end_turn(1);
        let clear = Request::Clear {
            target: ResourceId(1 << 21 | 1),
            area: None,
        };
        let raise = Request::ActivateWindow { id: ResourceId(5) };
        queues.push(1, vec![item(clear), item(raise.clone())], None);
        let kept = queues.remove(1);
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].request.as_ref().ok(), Some(&raise));
        assert!(queues.is_empty());
    }

    #[test]
    fn an_opaque_polyline_is_cut_into_pieces_that_share_their_ends() {
        let points: Vec<Point> = (0..11).map(|i| Point::new(i, i * 2)).collect();
        let lines = Request::Lines {
            target: ResourceId(7),
            color: Color::BLACK,
            width: 40,
            points: points.clone(),
        };
        let pieces = split(&lines, 3 * SLICE_PIXELS).expect("cut");
        assert_eq!(pieces.len(), 3);
        let mut joined: Vec<Point> = Vec::new();
        for piece in &pieces {
            let Request::Lines { points, .. } = piece else {
                panic!("{piece:?}")
            };
            if let Some(last) = joined.last() {
                assert_eq!(last, &points[0], "pieces share their ends");
                joined.pop();
            }
            joined.extend(points);
        }
        assert_eq!(joined, points);
        let translucent = Request::Lines {
            target: ResourceId(7),
            color: Color::rgba(0, 0, 0, 128),
            width: 40,
            points,
        };
        assert!(split(&translucent, 3 * SLICE_PIXELS).is_none());
    }
}
