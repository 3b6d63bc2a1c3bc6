//! Fair service: each client's requests wait in a queue of their own, and the core serves
//! them in turns, each bounded by the pixels its requests touch
//! ([`Scene::cost`](netui_scene::scene::Scene::cost)), not by how many messages they are.
//!
//! Whose turn it is: of the clients with work waiting, the one that has used the least
//! lately, its usage being the cost of its turns decayed by half every [`HALF_LIFE`] (the
//! way a CPU scheduler favours processes that sleep). A client that draws a little now and
//! then, or asks for a round trip, so goes before any that has been drawing in bulk, and
//! waits for at most the turn in progress; those that draw in bulk share what is left,
//! round-robin among equals. A client in bulk is never starved: its usage decays while it
//! waits, and the others' grows as they are served.
//!
//! A request that costs more than a turn runs at the start of a turn of its own; one that
//! can be cut (an opaque polyline, segments or rectangles, whose pieces paint exactly the
//! same pixels) is cut into pieces of about a turn each. Each connection may have
//! [`BATCHES_IN_FLIGHT`] frames queued here; its reader waits for the core to finish one
//! before it sends the next, so a queue is bounded by the frame limits. When a client goes,
//! what it had queued is dropped (see [`Queues::remove`]).

use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::time::{Duration, Instant};

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
/// How fast a client's usage is forgotten: it halves in this time.
pub const HALF_LIFE: Duration = Duration::from_secs(1);
/// Half-lives after which the stored weights are scaled down, long before an `f64` would
/// lose them.
const RESCALE_AFTER: f64 = 512.0;

/// One frame's requests, and the reader's permit that it holds until they are all done.
struct Queued {
    items: VecDeque<Incoming>,
    _permit: Option<OwnedSemaphorePermit>,
}

/// The requests waiting for each client, and whose turn is next.
pub(super) struct Queues {
    by_conn: HashMap<ConnId, VecDeque<Queued>>,
    /// Each client's usage, as a weight: the cost of each of its turns times
    /// `2^(half-lives from epoch to the turn)`. Multiplying every weight by the same factor
    /// keeps their order, so a weight never needs to decay: newer costs just weigh more.
    usage: HashMap<ConnId, f64>,
    /// Clients with work waiting, lightest first; an entry whose client is no longer
    /// waiting is skipped (see [`Queues::next_turn`]).
    line: BinaryHeap<Reverse<Turn>>,
    /// The clients in `line`, and the number of each one's entry there.
    waiting: HashMap<ConnId, u64>,
    /// Numbers the entries of `line`, so that equals go first come, first served.
    count: u64,
    epoch: Instant,
}

/// A client's place in the line.
#[derive(Debug, Clone, Copy)]
struct Turn {
    weight: f64,
    number: u64,
    conn: ConnId,
}

impl Ord for Turn {
    fn cmp(&self, other: &Self) -> Ordering {
        self.weight
            .total_cmp(&other.weight)
            .then(self.number.cmp(&other.number))
    }
}

impl PartialOrd for Turn {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Turn {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Turn {}

impl Default for Queues {
    fn default() -> Self {
        Queues {
            by_conn: HashMap::new(),
            usage: HashMap::new(),
            line: BinaryHeap::new(),
            waiting: HashMap::new(),
            count: 0,
            epoch: Instant::now(),
        }
    }
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
        let idle = queue.is_empty();
        queue.push_back(Queued {
            items: items.into(),
            _permit: permit,
        });
        if idle {
            self.join_line(conn);
        }
    }

    /// Puts `conn` in the line at its usage, unless it is in it already or has its turn.
    fn join_line(&mut self, conn: ConnId) {
        if self.waiting.contains_key(&conn) {
            return;
        }
        self.count += 1;
        let weight = self.usage.get(&conn).copied().unwrap_or(0.0);
        self.waiting.insert(conn, self.count);
        self.line.push(Reverse(Turn {
            weight,
            number: self.count,
            conn,
        }));
    }

    /// Whether any client has work waiting.
    pub(super) fn is_empty(&self) -> bool {
        self.waiting.is_empty()
    }

    /// The connection whose turn it is (the lightest that waits); it leaves the line until
    /// [`Queues::end_turn`].
    pub(super) fn next_turn(&mut self) -> Option<ConnId> {
        while let Some(Reverse(turn)) = self.line.pop() {
            if self.waiting.get(&turn.conn) == Some(&turn.number) {
                self.waiting.remove(&turn.conn);
                return Some(turn.conn);
            }
        }
        None
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

    /// Ends a connection's turn, which cost `spent` (pixels, as [`SLICE_PIXELS`] counts them)
    /// at `now`: its usage grows by that, and it joins the line again if it has work left.
    pub(super) fn end_turn(&mut self, conn: ConnId, spent: u64, now: Instant) {
        let mut half_lives =
            now.saturating_duration_since(self.epoch).as_secs_f64() / HALF_LIFE.as_secs_f64();
        if half_lives > RESCALE_AFTER {
            self.rescale(now);
            half_lives = 0.0;
        }
        *self.usage.entry(conn).or_default() += spent as f64 * half_lives.exp2();
        match self.by_conn.get(&conn) {
            Some(queue) if !queue.is_empty() => self.join_line(conn),
            Some(_) => {
                self.by_conn.remove(&conn);
            }
            None => {}
        }
    }

    /// Moves the epoch to `now`, scaling every weight down to match.
    fn rescale(&mut self, now: Instant) {
        let half_lives =
            now.saturating_duration_since(self.epoch).as_secs_f64() / HALF_LIFE.as_secs_f64();
        let factor = (-half_lives).exp2();
        self.epoch = now;
        for weight in self.usage.values_mut() {
            *weight *= factor;
        }
        let line = std::mem::take(&mut self.line);
        self.line = line
            .into_iter()
            .map(|Reverse(turn)| {
                Reverse(Turn {
                    weight: turn.weight * factor,
                    ..turn
                })
            })
            .collect();
    }

    /// Forgets a connection that has gone, and returns what of its queued work must still
    /// be done: only requests that act on others (input, raising a window), since whatever
    /// it drew or asked dies with it.
    pub(super) fn remove(&mut self, conn: ConnId) -> Vec<Incoming> {
        // Its entry in the line, if any, is skipped when it comes up.
        self.waiting.remove(&conn);
        self.usage.remove(&conn);
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
        Incoming::new(1, None, Ok(request))
    }

    #[test]
    fn equals_take_turns_and_a_gone_client_leaves_only_its_input() {
        let mut queues = Queues::default();
        let now = queues.epoch;
        queues.push(1, vec![item(Request::Sync), item(Request::Sync)], None);
        queues.push(2, vec![item(Request::Sync)], None);
        assert_eq!(queues.next_turn(), Some(1));
        assert!(matches!(queues.pop(1), Some((_, false))));
        queues.end_turn(1, REQUEST_OVERHEAD, now);
        assert_eq!(queues.next_turn(), Some(2));
        assert!(matches!(queues.pop(2), Some((_, true))));
        queues.end_turn(2, REQUEST_OVERHEAD, now);
        assert_eq!(queues.next_turn(), Some(1));
        queues.end_turn(1, 0, now);
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
        assert_eq!(queues.next_turn(), None);
    }

    #[test]
    fn the_lightest_client_goes_first_and_usage_is_forgotten() {
        let mut queues = Queues::default();
        let start = queues.epoch;
        let busy = |queues: &mut Queues, conn| {
            queues.push(conn, vec![item(Request::Sync)], None);
        };
        // Ten clients drew a whole turn each; client 11 drew a little.
        for conn in 1..=10 {
            busy(&mut queues, conn);
            assert_eq!(queues.next_turn(), Some(conn));
            queues.pop(conn);
            queues.end_turn(conn, SLICE_PIXELS, start);
        }
        busy(&mut queues, 11);
        assert_eq!(queues.next_turn(), Some(11));
        queues.pop(11);
        queues.end_turn(11, REQUEST_OVERHEAD, start);
        // All eleven have work again (the ten first): the light one goes first, then the
        // ten in the order they came.
        for conn in 1..=11 {
            busy(&mut queues, conn);
        }
        let order: Vec<ConnId> = std::iter::from_fn(|| queues.next_turn()).collect();
        assert_eq!(order, [11, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        // Twenty half-lives later, the light one draws a whole turn: now it goes last, for
        // what the ten drew long ago is all but forgotten.
        let later = start + 20 * HALF_LIFE;
        for conn in 1..=11 {
            let spent = if conn == 11 { SLICE_PIXELS } else { 0 };
            queues.end_turn(conn, spent, later);
        }
        let order: Vec<ConnId> = std::iter::from_fn(|| queues.next_turn()).collect();
        assert_eq!(order, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
        // Weights are scaled down long before they could overflow, keeping their order.
        let much_later = start + 2 * RESCALE_AFTER as u32 * HALF_LIFE;
        for conn in [2, 1] {
            queues.end_turn(conn, REQUEST_OVERHEAD * conn, much_later);
        }
        assert!(queues.usage.values().all(|w| w.is_finite()));
        assert_eq!(queues.epoch, much_later);
        let order: Vec<ConnId> = std::iter::from_fn(|| queues.next_turn()).collect();
        assert_eq!(order, [1, 2]);
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
