//! What viewers need to follow the scene: the journal of its changes for command-mode
//! viewers, hints for pixel-mode viewers (scrolls and moves as copies, and the
//! applications' drawing where it shows on the screen), a snapshot that rebuilds it, and the
//! restore of a snapshot on a viewer's copy of the scene.
//!
//! The journal is written where changes come in ([`Scene::apply`], [`Scene::perform`]), and
//! only there: a `MapWindow` request that places and focuses its window is one entry, because
//! replaying the request on a copy of the scene places and focuses it there too. Changes that
//! come from input or from a client leaving (a raise, a drag, a focus change, windows
//! destroyed) have no request behind them and are journaled as themselves.

use std::borrow::Cow;

use netui_protocol::images::SharedImages;
use netui_protocol::{
    Color, Drawing, ImageFormat, Point, Rect, Request, ResourceId, SceneOp, Size, WindowKind,
};

use super::window::{footprint, Window};
use super::{Pixmap, Scene};
use crate::encoding::Hint;
use crate::render::Canvas;

/// Bytes of pixels per `PutImage` of a snapshot, so that no message outgrows a frame.
const SNAPSHOT_CHUNK: usize = 4 << 20;
/// Hints kept between two composites; more are dropped (they only save bytes).
const MAX_HINTS: usize = 256;
/// The most clips of a drawing hint: a window under many others is left to the damage.
const MAX_CLIPS: usize = 8;
/// The most bytes of points, rectangles or text of a drawing hint: a request larger than
/// this is drawing that its pixels carry about as well (a chart of thousands of points).
const MAX_HINT_BYTES: usize = 4096;

/// The scene's record of its changes, for the viewers attached now.
#[derive(Debug, Default)]
pub(super) struct Journal {
    /// Whether changes are journaled (a command-mode viewer is attached).
    ops_on: bool,
    /// Whether hints are kept (a pixel-mode viewer is attached).
    pixels: bool,
    /// Changes since [`Scene::take_ops`].
    ops: Vec<SceneOp>,
    /// Hints since [`Scene::take_hints`].
    hints: Vec<Hint>,
}

/// About the bytes of a drawing request's lists and text.
fn hint_bytes(request: &Request) -> usize {
    match request {
        Request::FillRects { rects, .. } | Request::StrokeRects { rects, .. } => 8 * rects.len(),
        Request::Lines { points, .. } => 4 * points.len(),
        Request::Segments { segments, .. } => 8 * segments.len(),
        Request::Text { text, .. } => text.len(),
        _ => 0,
    }
}

/// A drawing request moved by `(dx, dy)` onto the screen (whose id it then names); `None`
/// when a coordinate would leave the `i32` range (such drawing is far off the screen).
fn moved(mut request: Request, dx: i32, dy: i32) -> Option<Request> {
    let shift = |x: &mut i32, y: &mut i32| {
        (*x, *y) = (x.checked_add(dx)?, y.checked_add(dy)?);
        Some(())
    };
    let point = |p: &mut Point| shift(&mut p.x, &mut p.y);
    let rect = |r: &mut Rect| shift(&mut r.x, &mut r.y);
    match &mut request {
        Request::FillRects { target, rects, .. } | Request::StrokeRects { target, rects, .. } => {
            *target = ResourceId::ROOT;
            rects.iter_mut().try_for_each(rect)?;
        }
        Request::Lines { target, points, .. } => {
            *target = ResourceId::ROOT;
            points.iter_mut().try_for_each(point)?;
        }
        Request::Segments {
            target, segments, ..
        } => {
            *target = ResourceId::ROOT;
            for s in segments {
                point(&mut s.a)?;
                point(&mut s.b)?;
            }
        }
        Request::Ellipse {
            target, rect: r, ..
        } => {
            *target = ResourceId::ROOT;
            rect(r)?;
        }
        Request::Text { target, pos, .. } => {
            *target = ResourceId::ROOT;
            point(pos)?;
        }
        _ => return None,
    }
    Some(request)
}

/// The screen-space copy that moves `src` by the offset to `dst_origin`, clipped so that both
/// its source and its destination lie inside `area`: `(destination, source corner)`.
pub fn copy_hint(src: Rect, dst_origin: Point, area: Rect) -> Option<(Rect, Point)> {
    let (dx, dy) = (
        i64::from(dst_origin.x) - i64::from(src.x),
        i64::from(dst_origin.y) - i64::from(src.y),
    );
    let src = src.intersect(area);
    let moved = Rect::from_edges(
        i64::from(src.x) + dx,
        i64::from(src.y) + dy,
        src.right() + dx,
        src.bottom() + dy,
    );
    let dst = moved.intersect(area);
    if dst.is_empty() || (dx == 0 && dy == 0) {
        return None;
    }
    let from = Point::new(
        (i64::from(dst.x) - dx) as i32,
        (i64::from(dst.y) - dy) as i32,
    );
    Some((dst, from))
}

impl Scene {
    /// Starts or stops journaling changes for command-mode viewers, and keeping hints for
    /// pixel-mode viewers.
    pub fn set_logging(&mut self, ops: bool, pixels: bool) {
        self.journal.ops_on = ops;
        self.coded.set_packing(ops);
        self.journal.pixels = pixels;
        if !ops {
            self.journal.ops.clear();
        }
        if !pixels {
            self.journal.hints.clear();
        }
    }

    /// The changes journaled since the last call.
    pub fn take_ops(&mut self) -> Vec<SceneOp> {
        std::mem::take(&mut self.journal.ops)
    }

    /// The hints (screen-space scrolls, moves and drawing) kept since the last call, in
    /// order.
    pub fn take_hints(&mut self) -> Vec<Hint> {
        std::mem::take(&mut self.journal.hints)
    }

    /// Whether large images are compressed for command-mode viewers as they are drawn.
    pub(super) fn packs_images(&self) -> bool {
        self.journal.ops_on
    }

    /// Writes a change in the journal, if a command-mode viewer wants it (`op` is only made
    /// then: a request can hold megabytes of pixels).
    pub(super) fn journal(&mut self, op: impl FnOnce() -> SceneOp) {
        if self.journal.ops_on {
            self.journal.ops.push(op());
        }
    }

    /// Keeps a copy hint, if a pixel-mode viewer wants it.
    pub(super) fn hint(&mut self, hint: Option<(Rect, Point)>) {
        if let (true, Some((dst, src))) = (self.journal.pixels, hint) {
            self.keep_hint(Hint::Copy(dst, src));
        }
    }

    fn keep_hint(&mut self, hint: Hint) {
        if self.journal.hints.len() < MAX_HINTS {
            self.journal.hints.push(hint);
        }
    }

    /// Records a drawing request carried out in a mapped window (a `Clear` as the fill it
    /// is) as a drawing hint: the request moved to the screen, clipped to where the window
    /// shows. Called after the request was carried out; other requests are no drawing.
    pub(super) fn hint_drawing(&mut self, request: &Request) {
        if !self.journal.pixels || self.journal.hints.len() >= MAX_HINTS {
            return;
        }
        let target = match request {
            Request::Clear { target, .. } => *target,
            _ => match request.drawing_target() {
                Some(target) => target,
                None => return,
            },
        };
        let Some(w) = self.windows.get(&target).filter(|w| w.mapped) else {
            return;
        };
        let bounds = w.canvas.bounds();
        let (request, clip) = match request {
            Request::Clear { area, .. } => {
                let fill = Request::FillRects {
                    target,
                    color: w.background,
                    rects: vec![area.unwrap_or(bounds)],
                };
                (fill, bounds)
            }
            _ if hint_bytes(request) > MAX_HINT_BYTES => return,
            _ => (
                request.clone(),
                w.clip.map_or(bounds, |c| c.intersect(bounds)),
            ),
        };
        let (x, y) = (w.rect.x, w.rect.y);
        let Some(request) = moved(request, x, y) else {
            return;
        };
        // Where the window shows: its clip on the screen, less the windows above it.
        let mut clips = vec![clip.translate(x, y).intersect(self.screen.bounds())];
        let above = self.stack.iter().skip_while(|id| **id != target).skip(1);
        for id in above {
            let Some(other) = self.windows.get(id).filter(|o| o.mapped) else {
                continue;
            };
            let cover = other.footprint();
            clips = clips.into_iter().flat_map(|c| c.minus(cover)).collect();
            if clips.len() > MAX_CLIPS {
                return;
            }
        }
        clips.retain(|c| !c.is_empty());
        if !clips.is_empty() {
            self.keep_hint(Hint::Draw(Drawing { clips, request }));
        }
    }

    /// Records the screen-space copy of a scroll within a mapped window.
    pub(super) fn hint_copy_within(&mut self, id: ResourceId, src_rect: Rect, dst_pos: Point) {
        if !self.journal.pixels {
            return;
        }
        let Some(w) = self.windows.get(&id).filter(|w| w.mapped) else {
            return;
        };
        let clip = w
            .clip
            .map_or(w.canvas.bounds(), |c| c.intersect(w.canvas.bounds()));
        let (x, y) = (w.rect.x, w.rect.y);
        let area = clip.translate(x, y).intersect(self.screen.bounds());
        let src = src_rect.translate(x, y);
        let hint = copy_hint(
            src,
            Point::new(dst_pos.x.saturating_add(x), dst_pos.y.saturating_add(y)),
            area,
        );
        self.hint(hint);
    }

    /// Operations that rebuild this scene from nothing: the screen size, each pixmap and
    /// window with its pixels, the stacking order and the focus. Its images are compressed
    /// as the journal's are, each strip of rows as it is copied, through the scene's cache
    /// of coded images (a window that has not changed since the last snapshot is not coded
    /// again).
    pub fn snapshot(&self) -> Vec<SceneOp> {
        self.snapshot_with(Some(&self.coded))
    }

    /// [`Scene::snapshot`] with its images raw, to be compressed elsewhere
    /// ([`pack_snapshot`], tens of milliseconds for a screen of photographs): what it costs
    /// the thread that holds the scene is a copy of the pixels, [`Scene::raw_snapshot_bytes`]
    /// of them.
    pub fn raw_snapshot(&self) -> Vec<SceneOp> {
        self.snapshot_with(None)
    }

    /// About the bytes of [`Scene::raw_snapshot`]'s images: three a pixel of every window
    /// and pixmap.
    pub fn raw_snapshot_bytes(&self) -> usize {
        let canvases = self.pixmaps.values().map(|p| &p.canvas);
        let canvases = canvases.chain(self.windows.values().map(|w| &w.canvas));
        canvases.map(|c| 3 * c.pixels().len()).sum()
    }

    /// [`Scene::snapshot`], its images compressed through `images` if given.
    fn snapshot_with(&self, images: Option<&SharedImages>) -> Vec<SceneOp> {
        let mut ops = vec![SceneOp::ResizeScreen { size: self.size() }];
        let mut pixmaps: Vec<_> = self.pixmaps.iter().collect();
        pixmaps.sort_by_key(|(id, _)| **id);
        for (id, p) in pixmaps {
            ops.push(SceneOp::Pixmap {
                id: *id,
                size: p.canvas.size(),
            });
            push_pixels(&mut ops, *id, &p.canvas, p.clip, images);
        }
        for id in &self.stack {
            let Some(w) = self.windows.get(id) else {
                continue;
            };
            ops.push(SceneOp::Window {
                id: *id,
                rect: w.rect,
                title: w.title.clone(),
                background: w.background,
                kind: w.kind,
                mapped: w.mapped,
            });
            push_pixels(&mut ops, *id, &w.canvas, w.clip, images);
        }
        ops.push(SceneOp::Stack {
            ids: self.stack.clone(),
        });
        ops.push(SceneOp::Focus { id: self.focus });
        ops
    }

    /// A snapshot's window: put back as it was, pixels to follow.
    pub(super) fn restore_window(
        &mut self,
        id: ResourceId,
        rect: Rect,
        title: &str,
        background: Color,
        kind: WindowKind,
        mapped: bool,
    ) {
        self.windows
            .insert(id, Window::new(rect, title, background, kind, mapped));
        if !self.stack.contains(&id) {
            self.stack.push(id);
        }
        if mapped {
            self.damage.add(footprint(kind, rect));
        }
    }

    /// A snapshot's pixmap, cleared to black, pixels to follow.
    pub(super) fn restore_pixmap(&mut self, id: ResourceId, size: Size) {
        self.pixmaps.insert(
            id,
            Pixmap {
                canvas: Canvas::new(size.width, size.height, Color::BLACK),
                clip: None,
            },
        );
    }

    /// A snapshot's stacking order: the windows it names that exist, in its order, then any
    /// others in theirs.
    pub(super) fn restore_stack(&mut self, ids: &[ResourceId]) {
        let mut stack: Vec<ResourceId> = ids
            .iter()
            .copied()
            .filter(|id| self.windows.contains_key(id))
            .collect();
        stack.dedup();
        for id in &self.stack {
            if !stack.contains(id) {
                stack.push(*id);
            }
        }
        self.stack = stack;
        self.restack();
        let all = Rect::from_size(self.size());
        self.damage.add(all);
    }
}

/// A [`Scene::raw_snapshot`]'s images compressed as the journal's are, through the scene's
/// cache of coded images (`images`, [`Scene::images`]): a window that has not changed since
/// the last snapshot is not coded again.
pub fn pack_snapshot(ops: Vec<SceneOp>, images: &SharedImages) -> Vec<SceneOp> {
    let mut packed = Vec::with_capacity(ops.len());
    for op in ops {
        push_packed(&mut packed, op, images);
    }
    packed
}

/// Pushes `op`, a `PutImage` compressed through `images` (see [`SharedImages::packed`]).
fn push_packed(ops: &mut Vec<SceneOp>, op: SceneOp, images: &SharedImages) {
    let SceneOp::Request(put @ Request::PutImage { .. }) = op else {
        ops.push(op);
        return;
    };
    let parts = images.packed(&put);
    // Not compressed (small, or no smaller so): the request itself, not a copy.
    if matches!(parts[..], [Cow::Borrowed(_)]) {
        drop(parts);
        ops.push(SceneOp::Request(put));
        return;
    }
    let parts: Vec<Request> = parts.into_iter().map(Cow::into_owned).collect();
    ops.extend(parts.into_iter().map(SceneOp::Request));
}

/// The pixels of a drawable as `PutImage` requests of rows, compressed through `images` if
/// given, then its clip.
fn push_pixels(
    ops: &mut Vec<SceneOp>,
    id: ResourceId,
    canvas: &Canvas,
    clip: Option<Rect>,
    images: Option<&SharedImages>,
) {
    let width = canvas.width() as usize;
    let rows_per_chunk = (SNAPSHOT_CHUNK / (width * 3).max(1)).max(1);
    for (i, rows) in canvas
        .pixels()
        .chunks(width.max(1) * rows_per_chunk)
        .enumerate()
    {
        let data: Vec<u8> = rows
            .iter()
            .flat_map(|p| [(p >> 16) as u8, (p >> 8) as u8, *p as u8])
            .collect();
        let height = (rows.len() / width.max(1)) as u32;
        let put = SceneOp::Request(Request::PutImage {
            target: id,
            rect: Rect::new(0, (i * rows_per_chunk) as i32, canvas.width(), height),
            format: ImageFormat::Rgb8,
            data,
        });
        match images {
            Some(images) => push_packed(ops, put, images),
            None => ops.push(put),
        }
    }
    if clip.is_some() {
        ops.push(SceneOp::Request(Request::SetClip { target: id, clip }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_hints_stay_inside_the_area() {
        let area = Rect::new(0, 0, 100, 100);
        // A scroll up by 10 inside the area.
        assert_eq!(
            copy_hint(Rect::new(0, 10, 100, 90), Point::new(0, 0), area),
            Some((Rect::new(0, 0, 100, 90), Point::new(0, 10)))
        );
        // A move partly off the area: clipped on both ends.
        assert_eq!(
            copy_hint(Rect::new(80, 0, 40, 10), Point::new(90, 0), area),
            Some((Rect::new(90, 0, 10, 10), Point::new(80, 0)))
        );
        assert_eq!(
            copy_hint(Rect::new(0, 0, 10, 10), Point::new(0, 0), area),
            None
        );
        assert_eq!(
            copy_hint(Rect::new(0, 0, 10, 10), Point::new(500, 0), area),
            None
        );
    }

    /// A scene that journals, with one mapped window of client 1.
    fn journaling_scene() -> (Scene, ResourceId) {
        let mut scene = Scene::new(Size::new(200, 150), netui_protocol::Limits::default());
        scene.set_logging(true, false);
        let id = ResourceId(1 << 21 | 1);
        let mut events = Vec::new();
        let create = Request::CreateWindow {
            id,
            rect: Rect::new(20, 30, 60, 40),
            title: "w".into(),
            background: Color::WHITE,
        };
        scene.apply(&create, &mut events).expect("created");
        scene
            .apply(&Request::MapWindow { id }, &mut events)
            .expect("mapped");
        (scene, id)
    }

    /// A snapshot's pixels go gradient-coded through the scene's cache, so that a second
    /// snapshot of windows that have not changed (another viewer joining, a viewer coming
    /// back to command mode) finds them instead of coding them again.
    #[test]
    fn a_snapshot_of_unchanged_windows_is_coded_once() {
        let (mut scene, id) = journaling_scene();
        let photo: Vec<u8> = (0..50 * 30 * 3u32)
            .map(|i| (i * 7 + i / 150) as u8)
            .collect();
        let put = Request::PutImage {
            target: id,
            rect: Rect::new(5, 5, 50, 30),
            format: ImageFormat::Rgb8,
            data: photo,
        };
        scene.apply(&put, &mut Vec::new()).expect("drawn");
        // The cache has the image, which the journal packed, but not the window's pixels
        // (the image on its background) until a snapshot codes them.
        let images = scene.images();
        let window: Vec<u8> = scene.windows[&id]
            .canvas
            .pixels()
            .iter()
            .flat_map(|p| [(p >> 16) as u8, (p >> 8) as u8, *p as u8])
            .collect();
        assert!(!images
            .lock()
            .knows(ImageFormat::Rgb8, Size::new(60, 40), &window));
        let first = scene.snapshot();
        assert!(images
            .lock()
            .knows(ImageFormat::Rgb8, Size::new(60, 40), &window));
        let coded: Vec<_> = first
            .iter()
            .filter_map(|op| match op {
                SceneOp::Request(Request::PutImage {
                    target,
                    rect,
                    format,
                    data,
                }) if *target == id => Some((*rect, *format, data.clone())),
                _ => None,
            })
            .collect();
        assert!(
            matches!(coded[..], [(_, ImageFormat::Rgb8Gradient, _)]),
            "{coded:?}"
        );
        for (rect, format, data) in &coded {
            assert!(images.lock().knows(*format, rect.size(), data));
        }
        assert_eq!(scene.snapshot(), first);
    }

    #[test]
    fn a_request_is_one_entry_whatever_it_does_inside() {
        let (mut scene, id) = journaling_scene();
        // MapWindow raised and focused the window too: replaying it does the same, so the
        // journal holds the requests alone.
        let ops = scene.take_ops();
        assert_eq!(ops.len(), 2, "{ops:?}");
        assert_eq!(ops[1], SceneOp::Request(Request::MapWindow { id }));
        // Requests of other classes are the server's: nothing to carry out or journal.
        let mut events = Vec::new();
        assert_eq!(scene.apply(&Request::Sync, &mut events), Ok(()));
        // A request that fails changed nothing.
        let bad = Request::MapWindow {
            id: ResourceId(0x99),
        };
        assert!(scene.apply(&bad, &mut events).is_err());
        assert_eq!(scene.take_ops(), []);
    }

    #[test]
    fn a_change_is_journaled_as_itself_and_only_if_it_happened() {
        let (mut scene, id) = journaling_scene();
        scene.take_ops();
        let mut events = Vec::new();
        let moved = SceneOp::Configure {
            id,
            rect: Rect::new(50, 60, 60, 40),
        };
        let gone = SceneOp::DestroyWindow { id };
        for op in [&SceneOp::Raise { id }, &moved, &gone, &gone] {
            scene.perform(op, &mut events).expect("performed");
        }
        // The second destroy found nothing to destroy.
        assert_eq!(
            scene.take_ops(),
            [SceneOp::Raise { id }, moved.clone(), gone.clone()]
        );
        // Without a command-mode viewer nothing is kept.
        scene.set_logging(false, false);
        scene
            .perform(&SceneOp::Focus { id: None }, &mut events)
            .expect("performed");
        assert_eq!(scene.take_ops(), []);
    }

    #[test]
    fn drawing_in_a_window_is_hinted_where_it_shows_and_the_hints_give_the_screen() {
        let (mut scene, id) = journaling_scene();
        scene.set_logging(false, true);
        let mut events = Vec::new();
        // A second window over the first one's right part.
        let above = ResourceId(1 << 21 | 2);
        let rect = Rect::new(60, 20, 80, 80);
        let create = Request::CreateWindow {
            id: above,
            rect,
            title: "above".into(),
            background: Color::BLUE,
        };
        let pixmap = ResourceId(1 << 21 | 3);
        let requests = [
            create,
            Request::MapWindow { id: above },
            Request::CreatePixmap {
                id: pixmap,
                width: 10,
                height: 10,
            },
        ];
        for request in &requests {
            scene.apply(request, &mut events).expect("carried out");
        }
        scene.composite();
        let mut viewer = scene.screen().clone();
        scene.take_hints();
        let text = Request::Text {
            target: id,
            pos: Point::new(2, 3),
            font: netui_protocol::Font::Sans,
            size: 14,
            color: Color::RED,
            text: "hinted".into(),
        };
        let requests = [
            Request::Clear {
                target: id,
                area: Some(Rect::new(0, 0, 60, 20)),
            },
            Request::SetClip {
                target: id,
                clip: Some(Rect::new(0, 0, 50, 40)),
            },
            text,
            // Each other kind of drawing, through the window above's edge.
            Request::Lines {
                target: id,
                color: Color::BLACK,
                width: 3,
                points: vec![Point::new(0, 0), Point::new(59, 39), Point::new(30, 39)],
            },
            Request::Segments {
                target: id,
                color: Color::GREEN,
                width: 1,
                segments: vec![netui_protocol::Segment {
                    a: Point::new(0, 39),
                    b: Point::new(59, 0),
                }],
            },
            Request::Ellipse {
                target: id,
                color: Color::BLUE,
                rect: Rect::new(20, 5, 40, 30),
                outline: Some(2),
            },
            Request::StrokeRects {
                target: id,
                color: Color::RED,
                width: 2,
                rects: vec![Rect::new(30, 10, 30, 25)],
            },
            // Drawing into a pixmap, and images, are not hinted.
            Request::FillRects {
                target: pixmap,
                color: Color::RED,
                rects: vec![Rect::new(0, 0, 5, 5)],
            },
            Request::PutImage {
                target: id,
                rect: Rect::new(0, 30, 1, 1),
                format: ImageFormat::Rgb8,
                data: vec![1, 2, 3],
            },
        ];
        for request in &requests {
            scene.apply(request, &mut events).expect("carried out");
        }
        let hints = scene.take_hints();
        let shows = |clip: Rect| -> Vec<Rect> {
            let cover = footprint(WindowKind::Normal, rect);
            clip.minus(cover).collect()
        };
        let expected = [
            // The clear is the fill it is, in the background, whatever the clip.
            Drawing {
                clips: shows(Rect::new(20, 30, 60, 40)),
                request: Request::FillRects {
                    target: ResourceId::ROOT,
                    color: Color::WHITE,
                    rects: vec![Rect::new(20, 30, 60, 20)],
                },
            },
            Drawing {
                clips: shows(Rect::new(20, 30, 50, 40)),
                request: Request::Text {
                    target: ResourceId::ROOT,
                    pos: Point::new(22, 33),
                    font: netui_protocol::Font::Sans,
                    size: 14,
                    color: Color::RED,
                    text: "hinted".into(),
                },
            },
        ];
        assert_eq!(hints[..2], expected.map(Hint::Draw));
        assert_eq!(hints.len(), 6, "{hints:?}");
        // The hints carried out on the screen as it was give the screen as it is, but for the
        // image, which was not hinted.
        scene.composite();
        let mut fonts = crate::render::Fonts::new();
        for hint in &hints {
            let Hint::Draw(drawing) = hint else {
                panic!("{hint:?} is no drawing");
            };
            for &clip in &drawing.clips {
                viewer.draw(&mut fonts, &drawing.request, clip);
            }
        }
        let image = Rect::new(20, 60, 1, 1);
        let differ: Vec<(i32, i32)> = (0..150)
            .flat_map(|y| (0..200).map(move |x| (x, y)))
            .filter(|&(x, y)| viewer.pixel(x, y) != scene.screen().pixel(x, y))
            .collect();
        assert_eq!(differ, [(image.x, image.y)]);
        // A window hidden has nothing to hint.
        scene
            .apply(&Request::UnmapWindow { id }, &mut events)
            .expect("unmapped");
        scene.apply(&requests[2], &mut events).expect("drawn");
        assert_eq!(scene.take_hints(), []);
    }

    #[test]
    fn replaying_the_journal_gives_the_same_screen() {
        let (mut scene, id) = journaling_scene();
        let mut copy = Scene::new(scene.size(), netui_protocol::Limits::default());
        let mut events = Vec::new();
        let fill = Request::FillRects {
            target: id,
            color: Color::RED,
            rects: vec![Rect::new(5, 5, 20, 10)],
        };
        scene.apply(&fill, &mut events).expect("filled");
        let moved = SceneOp::Configure {
            id,
            rect: Rect::new(90, 70, 60, 40),
        };
        scene.perform(&moved, &mut events).expect("moved");
        for op in scene.take_ops() {
            copy.replay(&op).expect("replayed");
        }
        let screen = |s: &mut Scene| s.read(ResourceId::ROOT, None).expect("screen").1;
        assert!(screen(&mut scene) == screen(&mut copy));
    }
}
