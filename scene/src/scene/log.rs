//! What viewers need to follow the scene: the log of its changes for command-mode viewers,
//! scrolls and moves as copy hints for pixel-mode viewers, a snapshot that rebuilds it, and
//! the replay of all of these on a viewer's copy of the scene.
//!
//! Only the outermost change is logged: a `MapWindow` request that places and focuses its
//! window is one entry, because replaying the request on a copy of the scene places and
//! focuses it there too. Changes that come from input or from a client leaving (a raise, a
//! drag, a focus change, windows destroyed) have no request behind them and are logged as
//! themselves.

use netui_protocol::{ImageFormat, Point, Rect, Request, ResourceId, SceneOp, Size};

use super::{Pixmap, Scene, SceneError, Window, WindowEvent};
use crate::render::Canvas;

/// Bytes of pixels per `PutImage` of a snapshot, so that no message outgrows a frame.
const SNAPSHOT_CHUNK: usize = 4 << 20;
/// Copy hints kept between two pixel updates; more are dropped (they only save bytes).
const MAX_COPIES: usize = 64;

/// The scene's record of its changes.
#[derive(Debug, Default)]
pub(super) struct Log {
    /// Whether changes are logged (a command-mode viewer is attached).
    pub(super) ops_on: bool,
    /// Whether copy hints are kept (a pixel-mode viewer is attached).
    pub(super) pixels: bool,
    /// How deep in nested changes the scene is; only depth 0 is logged.
    depth: u32,
    ops: Vec<SceneOp>,
    pub(super) copies: Vec<(Rect, Point)>,
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
    /// Starts or stops logging changes for command-mode viewers, and keeping copy hints for
    /// pixel-mode viewers.
    pub fn set_logging(&mut self, ops: bool, pixels: bool) {
        self.log.ops_on = ops;
        self.log.pixels = pixels;
        if !ops {
            self.log.ops.clear();
        }
        if !pixels {
            self.log.copies.clear();
        }
    }

    /// The changes logged since the last call.
    pub fn take_ops(&mut self) -> Vec<SceneOp> {
        std::mem::take(&mut self.log.ops)
    }

    /// The copy hints (screen-space scrolls and moves) kept since the last call.
    pub fn take_copies(&mut self) -> Vec<(Rect, Point)> {
        std::mem::take(&mut self.log.copies)
    }

    fn logged<T>(
        &mut self,
        op: impl FnOnce(&T) -> Option<SceneOp>,
        change: impl FnOnce(&mut Self) -> T,
    ) -> T {
        self.log.depth += 1;
        let result = change(self);
        self.log.depth -= 1;
        if self.log.depth == 0 && self.log.ops_on {
            if let Some(op) = op(&result) {
                self.log.ops.push(op);
            }
        }
        result
    }

    fn hint(&mut self, hint: Option<(Rect, Point)>) {
        if let (true, Some(hint)) = (self.log.pixels, hint) {
            if self.log.copies.len() < MAX_COPIES {
                self.log.copies.push(hint);
            }
        }
    }

    /// Records the screen-space copy of a scroll within a mapped window.
    pub(super) fn hint_copy_within(&mut self, id: ResourceId, src_rect: Rect, dst_pos: Point) {
        if !self.log.pixels {
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

    /// Carries out one request. Replies (`Sync`, `GetImage`, `GetServerInfo`) and viewer
    /// requests are the core's business and do nothing here. Events for window owners are
    /// pushed onto `events`.
    pub fn apply(
        &mut self,
        request: &Request,
        events: &mut Vec<WindowEvent>,
    ) -> Result<(), SceneError> {
        let log = changes_scene(request);
        self.logged(
            |r: &Result<(), SceneError>| {
                (r.is_ok() && log).then(|| SceneOp::Request(request.clone()))
            },
            |s| s.apply_now(request, events),
        )
    }

    /// Moves and resizes a window (the client's request or the window manager's decision).
    pub fn configure(
        &mut self,
        id: ResourceId,
        rect: Rect,
        events: &mut Vec<WindowEvent>,
    ) -> Result<(), SceneError> {
        let hint = self
            .windows
            .get(&id)
            .filter(|w| w.mapped && w.rect.size() == rect.size())
            .and_then(|w| {
                let old = w.footprint();
                let new = super::footprint(w.kind, rect);
                copy_hint(old, new.origin(), self.screen.bounds())
            });
        self.hint(hint);
        self.logged(
            |r: &Result<(), SceneError>| r.is_ok().then_some(SceneOp::Configure { id, rect }),
            |s| s.configure_now(id, rect, events),
        )
    }

    /// Puts a window on top of its group (panels stay above normal windows).
    pub fn raise(&mut self, id: ResourceId) {
        self.logged(|_: &()| Some(SceneOp::Raise { id }), |s| s.raise_now(id));
    }

    /// Gives the keyboard focus to a mapped window (or to none), repainting both title bars
    /// and telling both windows.
    pub fn set_focus(&mut self, id: Option<ResourceId>, events: &mut Vec<WindowEvent>) {
        self.logged(
            |_: &()| Some(SceneOp::Focus { id }),
            |s| s.set_focus_now(id, events),
        );
    }

    /// Removes a window; returns it if it existed. Its screen area is repainted.
    pub fn destroy_window(
        &mut self,
        id: ResourceId,
        events: &mut Vec<WindowEvent>,
    ) -> Option<Window> {
        self.logged(
            |w: &Option<Window>| w.is_some().then_some(SceneOp::DestroyWindow { id }),
            |s| s.destroy_window_now(id, events),
        )
    }

    /// Removes a pixmap; returns whether it existed.
    pub fn free_pixmap(&mut self, id: ResourceId) -> bool {
        self.logged(
            |freed: &bool| freed.then_some(SceneOp::FreePixmap { id }),
            |s| s.free_pixmap_now(id),
        )
    }

    /// Changes the screen's size; everything is composited again.
    pub fn resize_screen(&mut self, size: Size) {
        self.logged(
            |_: &()| Some(SceneOp::ResizeScreen { size }),
            |s| s.resize_screen_now(size),
        );
    }

    /// Operations that rebuild this scene from nothing: the screen size, each pixmap and
    /// window with its pixels, the stacking order and the focus.
    pub fn snapshot(&self) -> Vec<SceneOp> {
        let mut ops = vec![SceneOp::ResizeScreen { size: self.size() }];
        let mut pixmaps: Vec<_> = self.pixmaps.iter().collect();
        pixmaps.sort_by_key(|(id, _)| **id);
        for (id, p) in pixmaps {
            ops.push(SceneOp::Pixmap {
                id: *id,
                size: p.canvas.size(),
            });
            push_pixels(&mut ops, *id, &p.canvas, p.clip);
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
            push_pixels(&mut ops, *id, &w.canvas, w.clip);
        }
        ops.push(SceneOp::Stack {
            ids: self.stack.clone(),
        });
        ops.push(SceneOp::Focus { id: self.focus });
        ops
    }

    /// Applies one logged change to this copy of a scene (a command-mode viewer's).
    pub fn replay(&mut self, op: &SceneOp) -> Result<(), SceneError> {
        let mut events = Vec::new();
        match op {
            SceneOp::Request(request) => self.apply(request, &mut events)?,
            SceneOp::Configure { id, rect } => {
                self.check_size(*id, rect.width, rect.height)?;
                self.configure(*id, *rect, &mut events)?;
            }
            SceneOp::Raise { id } => self.raise(*id),
            SceneOp::Focus { id } => self.set_focus(*id, &mut events),
            SceneOp::DestroyWindow { id } => {
                self.destroy_window(*id, &mut events);
            }
            SceneOp::FreePixmap { id } => {
                self.free_pixmap(*id);
            }
            SceneOp::ResizeScreen { size } => {
                self.check_size(ResourceId::ROOT, size.width, size.height)?;
                self.resize_screen(*size);
            }
            SceneOp::Window {
                id,
                rect,
                title,
                background,
                kind,
                mapped,
            } => {
                self.check_size(*id, rect.width, rect.height)?;
                self.check_text(*id, title)?;
                self.windows
                    .insert(*id, Window::new(*rect, title, *background, *kind, *mapped));
                if !self.stack.contains(id) {
                    self.stack.push(*id);
                }
                if *mapped {
                    self.damage.add(super::footprint(*kind, *rect));
                }
            }
            SceneOp::Pixmap { id, size } => {
                self.check_size(*id, size.width, size.height)?;
                self.pixmaps.insert(
                    *id,
                    Pixmap {
                        canvas: Canvas::new(size.width, size.height, netui_protocol::Color::BLACK),
                        clip: None,
                    },
                );
            }
            SceneOp::Stack { ids } => {
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
        Ok(())
    }
}

/// Whether a request changes the scene (and so goes to command-mode viewers).
fn changes_scene(request: &Request) -> bool {
    !matches!(
        request,
        Request::Sync
            | Request::GetImage { .. }
            | Request::GetServerInfo
            | Request::WatchWindows
            | Request::InjectInput { .. }
            | Request::AttachViewer { .. }
            | Request::ViewerInput { .. }
            | Request::AckUpdate { .. }
    )
}

/// The pixels of a drawable as `PutImage` requests of rows, then its clip.
fn push_pixels(ops: &mut Vec<SceneOp>, id: ResourceId, canvas: &Canvas, clip: Option<Rect>) {
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
        ops.push(SceneOp::Request(Request::PutImage {
            target: id,
            rect: Rect::new(0, (i * rows_per_chunk) as i32, canvas.width(), height),
            format: ImageFormat::Rgb8,
            data,
        }));
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
}
