//! A command-mode viewer's backlog: the scene operations it has not been sent yet, merged as
//! they come so that a window that changes faster than the link carries costs what its newest
//! state costs, not the sum of its frames.
//!
//! Two exact rules, applied when an operation joins the backlog:
//! - **Covered drawing is dropped.** An operation that paints every pixel of an area of a
//!   drawable opaquely (a `Clear`, an opaque `FillRects`, a `PutImage` without alpha) makes any
//!   earlier waiting drawing into the same drawable whose pixels all lie in that area
//!   invisible, as long as nothing between the two reads the drawable (a `CopyArea` from it)
//!   or changes what it is (created, resized, destroyed, its clip set). Such drawing is
//!   removed before it is sent.
//! - **Consecutive fills merge.** A `FillRects` right after another into the same drawable
//!   in the same colour becomes one request (a `FillRects` fills its rectangles in order, so
//!   the two are the same drawing).
//!
//! Every operation carries the number it got when it joined; a merged one keeps the older
//! number, so "every operation up to number n has left the backlog" (what the report of an
//! input waits for) stays true only once their drawing has really been sent.

use std::collections::VecDeque;

use netui_protocol::{Rect, Request, ResourceId, SceneOp};

/// How far back a covering operation looks for drawing to drop: beyond this the backlog is
/// long anyway, and each look must stay cheap.
const LOOK_BACK: usize = 1024;
/// The most rectangles a merged `FillRects` holds.
const MAX_MERGED_RECTS: usize = 512;

/// One waiting operation.
#[derive(Debug)]
struct Waiting {
    number: u64,
    bytes: usize,
    op: SceneOp,
}

/// The operations waiting for a viewer, in order.
#[derive(Debug, Default)]
pub(super) struct Backlog {
    ops: VecDeque<Waiting>,
    bytes: usize,
    /// The number of the newest operation that joined.
    pushed: u64,
}

/// What an operation may change in its drawable, in the drawable's coordinates.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Extent {
    /// At most these pixels.
    Within(Rect),
    /// Anywhere (a `Clear` of the whole drawable, or text whose extent is not known here).
    Anywhere,
}

/// What an opaque operation paints over, whatever was there.
#[derive(Debug)]
struct Cover<'a> {
    target: ResourceId,
    /// Every pixel of the drawable.
    all: bool,
    /// Painted, within the drawable's clip for a fill or an image. Drawing made under the
    /// same clip is covered where these rectangles hold it: the search stops at a `SetClip`
    /// of the drawable ([`touches`]), so the clip is the same.
    rects: &'a [Rect],
}

impl Backlog {
    /// Bytes waiting (as [`op_bytes`] counts them).
    pub(super) fn bytes(&self) -> usize {
        self.bytes
    }

    /// Whether nothing waits.
    pub(super) fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// The number of the newest operation that joined.
    pub(super) fn pushed(&self) -> u64 {
        self.pushed
    }

    /// Whether every operation up to number `number` has left (sent, dropped or merged into
    /// one that has been sent).
    pub(super) fn sent_up_to(&self, number: u64) -> bool {
        self.ops.front().is_none_or(|w| w.number > number)
    }

    /// Forgets everything waiting.
    pub(super) fn clear(&mut self) {
        self.ops.clear();
        self.bytes = 0;
    }

    /// Adds `op`, dropping the waiting drawing it covers and merging it with the fill before
    /// it. `opaque_background` says whether a drawable's `Clear` paints opaquely.
    pub(super) fn push(&mut self, op: SceneOp, opaque_background: impl Fn(ResourceId) -> bool) {
        self.pushed += 1;
        if let Some(cover) = cover(&op, &opaque_background) {
            self.drop_covered(&cover);
        }
        if self.merge_fill(&op) {
            return;
        }
        let bytes = op_bytes(&op);
        self.bytes += bytes;
        self.ops.push_back(Waiting {
            number: self.pushed,
            bytes,
            op,
        });
    }

    /// Puts `ops` ahead of everything waiting, as if they had joined as operation number
    /// `number` (a snapshot of the scene taken then, which the operations since follow).
    pub(super) fn put_first(&mut self, ops: Vec<SceneOp>, number: u64) {
        for op in ops.into_iter().rev() {
            let bytes = op_bytes(&op);
            self.bytes += bytes;
            self.ops.push_front(Waiting { number, bytes, op });
        }
    }

    /// Takes the oldest operations, about `budget` bytes of them (always at least one).
    pub(super) fn take(&mut self, budget: usize) -> Vec<SceneOp> {
        let mut taken = Vec::new();
        let mut bytes = 0;
        while let Some(next) = self.ops.front() {
            if !taken.is_empty() && bytes + next.bytes > budget {
                break;
            }
            let Some(w) = self.ops.pop_front() else { break };
            bytes += w.bytes;
            self.bytes -= w.bytes;
            taken.push(w.op);
        }
        taken
    }

    fn drop_covered(&mut self, cover: &Cover<'_>) {
        let start = self.ops.len().saturating_sub(LOOK_BACK);
        let mut keep = vec![true; self.ops.len()];
        for i in (start..self.ops.len()).rev() {
            let op = &self.ops[i].op;
            match drawing(op) {
                Some((target, extent)) if target == cover.target => {
                    if cover.covers(extent) {
                        keep[i] = false;
                    }
                    // Drawing from the drawable into itself reads it too.
                    if reads(op, cover.target) {
                        break;
                    }
                }
                _ if touches(op, cover.target) => break,
                _ => {}
            }
        }
        if keep.iter().all(|k| *k) {
            return;
        }
        let mut i = 0;
        self.ops.retain(|w| {
            let kept = keep[i];
            i += 1;
            if !kept {
                self.bytes -= w.bytes;
            }
            kept
        });
    }

    /// Merges a `FillRects` into the waiting one before it, if that one fills the same
    /// drawable in the same colour.
    fn merge_fill(&mut self, op: &SceneOp) -> bool {
        let SceneOp::Request(Request::FillRects {
            target,
            color,
            rects,
        }) = op
        else {
            return false;
        };
        let Some(last) = self.ops.back_mut() else {
            return false;
        };
        let SceneOp::Request(Request::FillRects {
            target: t,
            color: c,
            rects: r,
        }) = &mut last.op
        else {
            return false;
        };
        if t != target || c != color || r.len() + rects.len() > MAX_MERGED_RECTS {
            return false;
        }
        // An opaque rectangle that a later one of the same fill holds adds nothing.
        if color.a == 255 {
            r.retain(|old| !rects.iter().any(|new| new.contains_rect(*old)));
        }
        r.extend_from_slice(rects);
        let bytes = r.len() * 8 + 16;
        self.bytes = self.bytes - last.bytes + bytes;
        last.bytes = bytes;
        true
    }
}

impl Cover<'_> {
    fn covers(&self, extent: Extent) -> bool {
        match extent {
            _ if self.all => true,
            Extent::Anywhere => false,
            Extent::Within(area) => self.rects.iter().any(|r| r.contains_rect(area)),
        }
    }
}

/// The opaque painting `op` does, if it paints over an area whatever was there.
fn cover<'a>(
    op: &'a SceneOp,
    opaque_background: &impl Fn(ResourceId) -> bool,
) -> Option<Cover<'a>> {
    let SceneOp::Request(request) = op else {
        return None;
    };
    match request {
        // `Clear` paints the background and ignores the clip.
        Request::Clear { target, area } if opaque_background(*target) => Some(Cover {
            target: *target,
            all: area.is_none(),
            rects: area.as_slice(),
        }),
        Request::FillRects {
            target,
            color,
            rects,
        } if color.a == 255 => Some(Cover {
            target: *target,
            all: false,
            rects,
        }),
        Request::PutImage {
            target,
            rect,
            format,
            ..
        } if format.is_opaque() => Some(Cover {
            target: *target,
            all: false,
            rects: std::slice::from_ref(rect),
        }),
        _ => None,
    }
}

/// The drawable `op` draws into and where, if it only draws (changes pixels of one drawable
/// and nothing else).
fn drawing(op: &SceneOp) -> Option<(ResourceId, Extent)> {
    let SceneOp::Request(request) = op else {
        return None;
    };
    let bounds = |rects: &[Rect]| rects.iter().fold(Rect::default(), |a, r| a.union(*r));
    let grown = |r: Rect, by: u16| {
        let by = i64::from(by) + 1;
        Rect::from_edges(
            i64::from(r.x) - by,
            i64::from(r.y) - by,
            r.right() + by,
            r.bottom() + by,
        )
    };
    let points = |ps: &mut dyn Iterator<Item = netui_protocol::Point>| {
        ps.fold(Rect::default(), |a, p| a.union(Rect::new(p.x, p.y, 1, 1)))
    };
    Some(match request {
        Request::FillRects { target, rects, .. } | Request::StrokeRects { target, rects, .. } => {
            (*target, Extent::Within(bounds(rects)))
        }
        Request::Lines {
            target,
            width,
            points: ps,
            ..
        } => {
            let bounds = points(&mut ps.iter().copied());
            (*target, Extent::Within(grown(bounds, *width)))
        }
        Request::Segments {
            target,
            width,
            segments,
            ..
        } => {
            let bounds = points(&mut segments.iter().flat_map(|s| [s.a, s.b]));
            (*target, Extent::Within(grown(bounds, *width)))
        }
        // The ellipse (filled or a ring) lies inside its rectangle.
        Request::Ellipse { target, rect, .. } => (*target, Extent::Within(*rect)),
        Request::Text { target, .. } => (*target, Extent::Anywhere),
        Request::PutImage { target, rect, .. } => (*target, Extent::Within(*rect)),
        Request::CopyArea {
            dst,
            src_rect,
            dst_pos,
            ..
        } => (
            *dst,
            Extent::Within(Rect::new(
                dst_pos.x,
                dst_pos.y,
                src_rect.width,
                src_rect.height,
            )),
        ),
        Request::Clear { target, area } => (*target, area.map_or(Extent::Anywhere, Extent::Within)),
        _ => return None,
    })
}

/// Whether `op` reads the pixels of `id`.
fn reads(op: &SceneOp, id: ResourceId) -> bool {
    matches!(op, SceneOp::Request(Request::CopyArea { src, .. }) if *src == id)
}

/// Whether `op` (not a drawing into `id`) stops the search for drawing into `id` that a later
/// operation covers: it reads `id`'s pixels, or makes `id` something else (creates, resizes,
/// destroys it, sets its clip). Stacking, focus, mapping and titles do not touch a drawable's
/// pixels.
fn touches(op: &SceneOp, id: ResourceId) -> bool {
    match op {
        SceneOp::Request(request) => match request {
            Request::MapWindow { .. }
            | Request::UnmapWindow { .. }
            | Request::SetTitle { .. }
            | Request::SetWindowKind { .. }
            | Request::ActivateWindow { .. }
            | Request::Present { .. } => false,
            // A drawing into another drawable touches `id` only if it copies from it.
            _ if drawing(op).is_some() => reads(op, id),
            other => {
                let mut mentioned = false;
                other.clone().map_ids(|i| {
                    mentioned |= i == id;
                    i
                });
                mentioned
            }
        },
        SceneOp::Configure { id: w, .. }
        | SceneOp::DestroyWindow { id: w }
        | SceneOp::FreePixmap { id: w }
        | SceneOp::Window { id: w, .. }
        | SceneOp::Pixmap { id: w, .. } => *w == id,
        SceneOp::Raise { .. }
        | SceneOp::Focus { .. }
        | SceneOp::Stack { .. }
        | SceneOp::ResizeScreen { .. } => false,
    }
}

/// About how many bytes an operation takes on the wire.
pub(super) fn op_bytes(op: &SceneOp) -> usize {
    match op {
        SceneOp::Request(Request::PutImage { data, .. }) => data.len() + 32,
        SceneOp::Request(Request::FillRects { rects, .. } | Request::StrokeRects { rects, .. }) => {
            rects.len() * 8 + 16
        }
        SceneOp::Request(Request::Lines { points, .. }) => points.len() * 4 + 16,
        SceneOp::Request(Request::Segments { segments, .. }) => segments.len() * 8 + 16,
        SceneOp::Request(Request::Text { text, .. }) => text.len() + 24,
        SceneOp::Stack { ids } => ids.len() * 4 + 8,
        _ => 32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use netui_protocol::{Color, Font, Limits, Point, Segment, Size};
    use netui_scene::scene::Scene;

    const W: ResourceId = ResourceId(0x10_0001);
    const P: ResourceId = ResourceId(0x10_0002);

    fn fill(target: ResourceId, color: Color, rects: &[Rect]) -> SceneOp {
        SceneOp::Request(Request::FillRects {
            target,
            color,
            rects: rects.to_vec(),
        })
    }

    fn ellipse(target: ResourceId, rect: Rect) -> SceneOp {
        SceneOp::Request(Request::Ellipse {
            target,
            color: Color::rgb(200, 30, 30),
            rect,
            outline: None,
        })
    }

    fn clear(target: ResourceId, area: Option<Rect>) -> SceneOp {
        SceneOp::Request(Request::Clear { target, area })
    }

    /// A window and a pixmap to draw in.
    fn setup() -> Vec<SceneOp> {
        vec![
            SceneOp::Request(Request::CreateWindow {
                id: W,
                rect: Rect::new(10, 10, 120, 90),
                title: "w".into(),
                background: Color::rgb(240, 240, 230),
            }),
            SceneOp::Request(Request::MapWindow { id: W }),
            SceneOp::Request(Request::CreatePixmap {
                id: P,
                width: 60,
                height: 40,
            }),
        ]
    }

    /// Replays `ops` one by one, and through a backlog, on two scenes: the drawables' pixels
    /// must end the same. Returns how many operations the backlog sent.
    fn same_picture(ops: &[SceneOp]) -> usize {
        let mut direct = Scene::new(Size::new(200, 150), Limits::default());
        let mut merged = Scene::new(Size::new(200, 150), Limits::default());
        for op in setup() {
            direct.replay(&op).expect("setup");
            merged.replay(&op).expect("setup");
        }
        let mut backlog = Backlog::default();
        for op in ops {
            direct.replay(op).expect("replays");
            let opaque = |id| direct.window(id).is_some_and(|w| w.background.a == 255);
            backlog.push(op.clone(), opaque);
        }
        let sent = backlog.take(usize::MAX);
        assert!(backlog.is_empty() && backlog.sent_up_to(backlog.pushed()));
        for op in &sent {
            merged.replay(op).expect("replays");
        }
        for id in [W, P] {
            let a = direct.read(id, None).expect("reads");
            let b = merged.read(id, None).expect("reads");
            assert!(a == b, "{id:?} differs after {sent:?}");
        }
        sent.len()
    }

    #[test]
    fn a_clear_of_the_whole_window_drops_the_frames_before_it() {
        let mut ops = Vec::new();
        for t in 0..10 {
            ops.push(clear(W, None));
            for i in 0..4 {
                ops.push(ellipse(W, Rect::new(t * 3 + i * 20, i * 15, 20, 20)));
            }
            ops.push(SceneOp::Request(Request::Present { window: W }));
        }
        // The last frame and the presents (which draw nothing).
        assert_eq!(same_picture(&ops), 10 + 5);
    }

    #[test]
    fn erased_balls_are_dropped_and_the_erasing_fills_merge() {
        // The animation demo: erase last frame's balls, draw this frame's.
        let bg = Color::rgb(20, 20, 40);
        let mut ops = Vec::new();
        let mut drawn: Vec<Rect> = Vec::new();
        for t in 0..20 {
            if !drawn.is_empty() {
                ops.push(fill(W, bg, &drawn));
            }
            drawn.clear();
            for i in 0..3 {
                let r = Rect::new(t * 2 + i * 30, 5 + i * 25 + t, 24, 24);
                ops.push(ellipse(W, r));
                drawn.push(r);
            }
        }
        let sent = same_picture(&ops);
        // One merged fill and the last frame's three balls.
        assert_eq!(sent, 4, "{sent}");
    }

    #[test]
    fn drawing_that_is_read_before_it_is_covered_stays() {
        let red = Color::rgb(255, 0, 0);
        let ops = vec![
            fill(P, red, &[Rect::new(0, 0, 30, 30)]),
            // The pixmap is read into the window: the red fill must go first.
            SceneOp::Request(Request::CopyArea {
                src: P,
                dst: W,
                src_rect: Rect::new(0, 0, 40, 40),
                dst_pos: Point::new(5, 5),
            }),
            fill(P, Color::rgb(0, 0, 255), &[Rect::new(0, 0, 60, 40)]),
            // A scroll within the window reads it too.
            fill(W, red, &[Rect::new(50, 50, 10, 10)]),
            SceneOp::Request(Request::CopyArea {
                src: W,
                dst: W,
                src_rect: Rect::new(0, 20, 120, 70),
                dst_pos: Point::new(0, 0),
            }),
            fill(W, Color::WHITE, &[Rect::new(40, 30, 40, 40)]),
        ];
        assert_eq!(same_picture(&ops), ops.len());
    }

    #[test]
    fn translucent_or_clipped_drawing_covers_only_what_it_may() {
        let half = Color {
            r: 0,
            g: 0,
            b: 0,
            a: 128,
        };
        let ops = vec![
            ellipse(W, Rect::new(10, 10, 30, 30)),
            // Translucent: what is under it shows.
            fill(W, half, &[Rect::new(0, 0, 120, 90)]),
            ellipse(W, Rect::new(50, 10, 30, 30)),
            // A clip set after the ellipse: the fill under the new clip does not cover it.
            SceneOp::Request(Request::SetClip {
                target: W,
                clip: Some(Rect::new(0, 0, 60, 90)),
            }),
            fill(W, Color::WHITE, &[Rect::new(0, 0, 120, 90)]),
            SceneOp::Request(Request::SetClip {
                target: W,
                clip: None,
            }),
            // Text has no known extent: only a whole clear covers it.
            SceneOp::Request(Request::Text {
                target: W,
                pos: Point::new(5, 60),
                font: Font::Sans,
                size: 14,
                color: Color::BLACK,
                text: "hello".into(),
            }),
            fill(W, Color::WHITE, &[Rect::new(0, 40, 120, 50)]),
            SceneOp::Request(Request::Segments {
                target: W,
                color: Color::BLACK,
                width: 3,
                segments: vec![Segment {
                    a: Point::new(10, 80),
                    b: Point::new(100, 80),
                }],
            }),
            fill(W, Color::WHITE, &[Rect::new(0, 70, 120, 20)]),
        ];
        // Only the segment is dropped: its line, 3 wide, lies inside the last fill, which
        // then merges with the white fill that is now next to it.
        assert_eq!(same_picture(&ops), ops.len() - 2);
    }

    #[test]
    fn a_resize_stops_the_search() {
        let ops = vec![
            ellipse(W, Rect::new(10, 10, 30, 30)),
            SceneOp::Request(Request::ConfigureWindow {
                id: W,
                rect: Rect::new(10, 10, 30, 20),
            }),
            clear(W, None),
        ];
        assert_eq!(same_picture(&ops), 3);
    }
}
