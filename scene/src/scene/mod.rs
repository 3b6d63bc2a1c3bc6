//! The scene: windows and pixmaps, their stacking, and the screen composited from them.
//!
//! The scene carries out requests and knows nothing of clients or sockets: the server checks
//! who owns what before it calls in, and a thin client in command mode keeps a copy of the
//! scene by feeding it the same requests. Each window has its own backing store (a [`Canvas`]);
//! drawing into it damages the screen where the window shows, and [`Scene::composite`] repaints
//! only damaged screen areas, bottom window first.

use std::collections::HashMap;

use netui_protocol::{
    Color, ErrorCode, Event, Font, FontSet, ImageFormat, Limits, Point, Rect, Request, ResourceId,
    Size, WindowKind,
};

use crate::damage::Damage;
use crate::render::{Canvas, Fonts, MAX_FONT_SIZE};
use crate::wm::{self, Part};

mod log;

pub use log::copy_hint;

/// The desktop's color, behind every window.
pub const DESKTOP: Color = Color::rgb(0x2e, 0x34, 0x40);

/// A window: a place on the screen and the pixels it holds.
#[derive(Debug)]
pub struct Window {
    /// Position on the screen and size of its content area.
    pub rect: Rect,
    /// Title for the window manager.
    pub title: String,
    /// Color that fills new and cleared areas.
    pub background: Color,
    /// Whether it is shown.
    pub mapped: bool,
    /// What the window manager makes of it.
    pub kind: WindowKind,
    canvas: Canvas,
    clip: Option<Rect>,
}

impl Window {
    /// A window filled with its background (sizes checked by the caller).
    fn new(rect: Rect, title: &str, background: Color, kind: WindowKind, mapped: bool) -> Window {
        Window {
            rect,
            title: title.to_owned(),
            background,
            mapped,
            kind,
            canvas: Canvas::new(rect.width, rect.height, background),
            clip: None,
        }
    }

    /// The window's pixels.
    pub fn canvas(&self) -> &Canvas {
        &self.canvas
    }

    /// The screen area it covers when mapped: its frame, or for a panel its content alone.
    pub fn footprint(&self) -> Rect {
        footprint(self.kind, self.rect)
    }
}

fn footprint(kind: WindowKind, rect: Rect) -> Rect {
    match kind {
        WindowKind::Normal => wm::frame_rect(rect),
        WindowKind::Panel => rect,
    }
}

#[derive(Debug)]
struct Pixmap {
    canvas: Canvas,
    clip: Option<Rect>,
}

/// Why the scene refused a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SceneError {
    /// The X-style error code.
    pub code: ErrorCode,
    /// The resource it was about.
    pub resource: Option<ResourceId>,
    /// A sentence for people.
    pub message: String,
}

impl SceneError {
    fn new(code: ErrorCode, resource: Option<ResourceId>, message: impl Into<String>) -> Self {
        Self {
            code,
            resource,
            message: message.into(),
        }
    }

    fn bad_id(id: ResourceId, what: &str) -> Self {
        Self::new(
            ErrorCode::BadId,
            Some(id),
            format!("no {what} with id {id}"),
        )
    }
}

/// An event for the owner of a window.
pub type WindowEvent = Event;

/// The screen and everything on it.
#[derive(Debug)]
pub struct Scene {
    screen: Canvas,
    windows: HashMap<ResourceId, Window>,
    pixmaps: HashMap<ResourceId, Pixmap>,
    /// Window ids, bottom of the stack first.
    stack: Vec<ResourceId>,
    /// The window with the keyboard focus.
    focus: Option<ResourceId>,
    damage: Damage,
    fonts: Fonts,
    limits: Limits,
    /// Whether the list of windows changed since [`Scene::take_windows_changed`].
    windows_changed: bool,
    /// What viewers need to follow the scene.
    log: log::Log,
}

impl Scene {
    /// An empty desktop of the given size.
    pub fn new(size: Size, limits: Limits) -> Self {
        let mut damage = Damage::default();
        // The first frame shows the whole (empty) desktop.
        damage.add(Rect::from_size(size));
        Self {
            screen: Canvas::new(size.width, size.height, DESKTOP),
            windows: HashMap::new(),
            pixmaps: HashMap::new(),
            stack: Vec::new(),
            focus: None,
            damage,
            fonts: Fonts::new(),
            limits,
            windows_changed: false,
            log: log::Log::default(),
        }
    }

    /// The metrics of the typefaces the scene draws with, for clients.
    pub fn font_metrics(&self) -> FontSet {
        self.fonts.metrics()
    }

    /// True (once) when windows were created, destroyed, shown, hidden, retitled, restacked
    /// or focused since the last call.
    pub fn take_windows_changed(&mut self) -> bool {
        std::mem::take(&mut self.windows_changed)
    }

    /// The window with the keyboard focus.
    pub fn focus(&self) -> Option<ResourceId> {
        self.focus
    }

    /// Gives the keyboard focus to a mapped window (or to none), repainting both title bars
    /// and telling both windows.
    fn set_focus_now(&mut self, id: Option<ResourceId>, events: &mut Vec<WindowEvent>) {
        // Panels (a taskbar) and hidden windows never take the keyboard: asking for them
        // leaves the focus where it is.
        let focusable = |id: &ResourceId| {
            self.windows
                .get(id)
                .is_some_and(|w| w.mapped && w.kind == WindowKind::Normal)
        };
        if id.is_some_and(|id| !focusable(&id)) || id == self.focus {
            return;
        }
        self.windows_changed = true;
        if let Some(old) = self.focus.take() {
            if let Some(w) = self.windows.get(&old) {
                self.damage.add(w.footprint());
                events.push(Event::FocusOut { window: old });
            }
        }
        if let Some(new) = id {
            if let Some(w) = self.windows.get(&new) {
                self.damage.add(w.footprint());
                events.push(Event::FocusIn { window: new });
            }
        }
        self.focus = id;
    }

    /// The screen's size.
    pub fn size(&self) -> Size {
        self.screen.size()
    }

    /// The composited screen. Call [`Scene::composite`] first to bring it up to date.
    pub fn screen(&self) -> &Canvas {
        &self.screen
    }

    /// A window, if it exists.
    pub fn window(&self, id: ResourceId) -> Option<&Window> {
        self.windows.get(&id)
    }

    /// Window ids, bottom of the stack first.
    pub fn stack(&self) -> &[ResourceId] {
        &self.stack
    }

    /// True when `id` names a window or pixmap.
    pub fn exists(&self, id: ResourceId) -> bool {
        self.windows.contains_key(&id) || self.pixmaps.contains_key(&id)
    }

    /// The size of a window or pixmap.
    pub fn drawable_size(&self, id: ResourceId) -> Option<Size> {
        if let Some(w) = self.windows.get(&id) {
            return Some(w.canvas.size());
        }
        self.pixmaps.get(&id).map(|p| p.canvas.size())
    }

    /// Damage not yet composited.
    pub fn damage(&self) -> &Damage {
        &self.damage
    }

    /// Carries out one request. Replies (`Sync`, `GetImage`, `GetServerInfo`) are the server's
    /// business and do nothing here. Events for window owners are pushed onto `events`.
    fn apply_now(
        &mut self,
        request: &Request,
        events: &mut Vec<WindowEvent>,
    ) -> Result<(), SceneError> {
        match request {
            Request::CreateWindow {
                id,
                rect,
                title,
                background,
            } => {
                self.check_new_size(*id, rect.width, rect.height)?;
                self.check_text(*id, title)?;
                self.windows.insert(
                    *id,
                    Window::new(*rect, title, *background, WindowKind::Normal, false),
                );
                self.stack.push(*id);
                self.restack();
                self.windows_changed = true;
            }
            Request::MapWindow { id } => {
                let w = self
                    .windows
                    .get_mut(id)
                    .ok_or_else(|| SceneError::bad_id(*id, "window"))?;
                if !w.mapped {
                    w.mapped = true;
                    let (rect, size, kind) = (w.rect, w.canvas.size(), w.kind);
                    self.windows_changed = true;
                    self.raise(*id);
                    self.damage.add(footprint(kind, rect));
                    // The window manager keeps the title bar reachable; panels go where asked.
                    let placed = wm::place(rect, self.size());
                    if kind == WindowKind::Normal && placed != rect {
                        self.configure(*id, placed, events)?;
                    }
                    events.push(Event::Expose {
                        window: *id,
                        area: Rect::from_size(size),
                    });
                    // A new window takes the focus, as most window managers do.
                    self.set_focus(Some(*id), events);
                }
            }
            Request::UnmapWindow { id } => {
                let w = self
                    .windows
                    .get_mut(id)
                    .ok_or_else(|| SceneError::bad_id(*id, "window"))?;
                if w.mapped {
                    w.mapped = false;
                    let area = w.footprint();
                    self.windows_changed = true;
                    self.damage.add(area);
                    if self.focus == Some(*id) {
                        self.focus_topmost(events);
                    }
                }
            }
            Request::ConfigureWindow { id, rect } => {
                self.check_size(*id, rect.width, rect.height)?;
                self.configure(*id, *rect, events)?;
            }
            Request::SetTitle { id, title } => {
                self.check_text(*id, title)?;
                let w = self
                    .windows
                    .get_mut(id)
                    .ok_or_else(|| SceneError::bad_id(*id, "window"))?;
                w.title.clone_from(title);
                self.windows_changed = true;
                if w.mapped && w.kind == WindowKind::Normal {
                    self.damage.add(wm::title_rect(w.rect));
                }
            }
            Request::DestroyWindow { id } => {
                self.destroy_window(*id, events)
                    .ok_or_else(|| SceneError::bad_id(*id, "window"))?;
            }
            Request::CreatePixmap { id, width, height } => {
                self.check_new_size(*id, *width, *height)?;
                self.pixmaps.insert(
                    *id,
                    Pixmap {
                        canvas: Canvas::new(*width, *height, Color::BLACK),
                        clip: None,
                    },
                );
            }
            Request::FreePixmap { id } => {
                self.pixmaps
                    .remove(id)
                    .ok_or_else(|| SceneError::bad_id(*id, "pixmap"))?;
            }
            Request::FillRects {
                target,
                color,
                rects,
            } => self.draw(*target, |c, clip, _| {
                rects.iter().fold(Rect::default(), |d, r| {
                    d.union(c.fill_rect(*r, *color, clip))
                })
            })?,
            Request::StrokeRects {
                target,
                color,
                width,
                rects,
            } => self.draw(*target, |c, clip, _| {
                rects.iter().fold(Rect::default(), |d, r| {
                    d.union(c.stroke_rect(*r, *width, *color, clip))
                })
            })?,
            Request::Lines {
                target,
                color,
                width,
                points,
            } => self.draw(*target, |c, clip, _| {
                c.polyline(points, *width, *color, clip)
            })?,
            Request::Segments {
                target,
                color,
                width,
                segments,
            } => self.draw(*target, |c, clip, _| {
                segments.iter().fold(Rect::default(), |d, s| {
                    d.union(c.line(s.a, s.b, *width, *color, clip))
                })
            })?,
            Request::Ellipse {
                target,
                color,
                rect,
                outline,
            } => self.draw(*target, |c, clip, _| {
                c.ellipse(*rect, *outline, *color, clip)
            })?,
            Request::Text {
                target,
                pos,
                font,
                size,
                color,
                text,
            } => {
                self.check_text(*target, text)?;
                if *size > MAX_FONT_SIZE {
                    return Err(SceneError::new(
                        ErrorCode::BadValue,
                        Some(*target),
                        format!("font size {size} is above the limit of {MAX_FONT_SIZE}"),
                    ));
                }
                self.draw_text(*target, *pos, *font, *size, *color, text)?;
            }
            Request::PutImage {
                target,
                rect,
                format,
                data,
            } => {
                self.check_image(*target, *rect, *format, data)?;
                self.draw(*target, |c, clip, _| {
                    c.put_image(*rect, *format, data, clip)
                })?;
            }
            Request::CopyArea {
                src,
                dst,
                src_rect,
                dst_pos,
            } => self.copy_area(*src, *dst, *src_rect, *dst_pos)?,
            Request::Clear { target, area } => {
                let area = *area;
                self.draw(*target, |c, _clip, background| {
                    let bounds = c.bounds();
                    c.fill_rect(area.unwrap_or(bounds), background, bounds)
                })?
            }
            Request::SetClip { target, clip } => {
                let slot = if let Some(w) = self.windows.get_mut(target) {
                    &mut w.clip
                } else if let Some(p) = self.pixmaps.get_mut(target) {
                    &mut p.clip
                } else {
                    return Err(SceneError::bad_id(*target, "window or pixmap"));
                };
                *slot = *clip;
            }
            Request::Present { window } => {
                if !self.windows.contains_key(window) {
                    return Err(SceneError::bad_id(*window, "window"));
                }
            }
            Request::SetWindowKind { id, kind } => {
                let w = self
                    .windows
                    .get_mut(id)
                    .ok_or_else(|| SceneError::bad_id(*id, "window"))?;
                if w.kind != *kind {
                    let before = w.footprint();
                    w.kind = *kind;
                    let after = w.footprint();
                    if w.mapped {
                        self.damage.add(before);
                        self.damage.add(after);
                    }
                    if self.focus == Some(*id) {
                        self.focus_topmost(events);
                    }
                    self.restack();
                    self.windows_changed = true;
                }
            }
            Request::ActivateWindow { id } => {
                if !self.windows.contains_key(id) {
                    return Err(SceneError::bad_id(*id, "window"));
                }
                self.raise(*id);
                self.set_focus(Some(*id), events);
            }
            Request::Sync
            | Request::GetImage { .. }
            | Request::GetServerInfo
            | Request::WatchWindows
            | Request::InjectInput { .. }
            | Request::AttachViewer { .. }
            | Request::ViewerInput { .. }
            | Request::AckUpdate { .. } => {}
        }
        Ok(())
    }

    /// Moves and resizes a window (the client's request or the window manager's decision).
    fn configure_now(
        &mut self,
        id: ResourceId,
        rect: Rect,
        events: &mut Vec<WindowEvent>,
    ) -> Result<(), SceneError> {
        let w = self
            .windows
            .get_mut(&id)
            .ok_or_else(|| SceneError::bad_id(id, "window"))?;
        let old = w.rect;
        if old == rect {
            return Ok(());
        }
        let old_size = w.canvas.size();
        w.rect = rect;
        if old_size != rect.size() {
            w.canvas.resize(rect.width, rect.height, w.background);
            // Newly uncovered parts of the window need drawing: expose them.
            for area in [
                Rect::new(
                    old_size.width as i32,
                    0,
                    rect.width.saturating_sub(old_size.width),
                    rect.height,
                ),
                Rect::new(
                    0,
                    old_size.height as i32,
                    rect.width,
                    rect.height.saturating_sub(old_size.height),
                ),
            ] {
                if !area.is_empty() && w.mapped {
                    events.push(Event::Expose { window: id, area });
                }
            }
        }
        if w.mapped {
            self.damage.add(footprint(w.kind, old));
            self.damage.add(footprint(w.kind, rect));
        }
        events.push(Event::Configure { window: id, rect });
        Ok(())
    }

    /// Puts a window on top of the stack.
    fn raise_now(&mut self, id: ResourceId) {
        if let Some(i) = self.stack.iter().position(|w| *w == id) {
            if i + 1 == self.stack.len() {
                return;
            }
            self.stack.remove(i);
            self.stack.push(id);
            self.restack();
            self.windows_changed = true;
            if let Some(w) = self.windows.get(&id).filter(|w| w.mapped) {
                self.damage.add(w.footprint());
            }
        }
    }

    /// Keeps panels above normal windows, each group in its own order.
    fn restack(&mut self) {
        let windows = &self.windows;
        self.stack
            .sort_by_key(|id| windows.get(id).is_some_and(|w| w.kind == WindowKind::Panel));
    }

    /// Removes a window; returns it if it existed. Its screen area is repainted.
    fn destroy_window_now(
        &mut self,
        id: ResourceId,
        events: &mut Vec<WindowEvent>,
    ) -> Option<Window> {
        let w = self.windows.remove(&id)?;
        self.stack.retain(|s| *s != id);
        self.windows_changed = true;
        if w.mapped {
            self.damage.add(w.footprint());
        }
        if self.focus == Some(id) {
            self.focus = None;
            self.focus_topmost(events);
        }
        Some(w)
    }

    /// Gives the focus to the topmost mapped window, if any.
    fn focus_topmost(&mut self, events: &mut Vec<WindowEvent>) {
        let top = self.stack.iter().rev().copied().find(|id| {
            Some(*id) != self.focus
                && self
                    .windows
                    .get(id)
                    .is_some_and(|w| w.mapped && w.kind == WindowKind::Normal)
        });
        self.set_focus(top, events);
    }

    /// Removes a pixmap; returns whether it existed.
    fn free_pixmap_now(&mut self, id: ResourceId) -> bool {
        self.pixmaps.remove(&id).is_some()
    }

    /// The topmost mapped window whose frame holds a screen position, and the part hit.
    pub fn window_at(&self, p: Point) -> Option<(ResourceId, Part)> {
        self.stack.iter().rev().find_map(|id| {
            let w = self.windows.get(id).filter(|w| w.mapped)?;
            match w.kind {
                WindowKind::Normal => wm::hit(w.rect, p).map(|part| (*id, part)),
                WindowKind::Panel => w.rect.contains(p).then_some((*id, Part::Content)),
            }
        })
    }

    /// Marks a screen area for compositing (for instance, after the screen changed size).
    pub fn damage_screen(&mut self, rect: Rect) {
        self.damage.add(rect);
    }

    /// Repaints the damaged parts of the screen from the windows, bottom first, and returns
    /// the screen rectangles that changed.
    pub fn composite(&mut self) -> Vec<Rect> {
        let screen_bounds = self.screen.bounds();
        let damaged: Vec<Rect> = self
            .damage
            .take()
            .into_iter()
            .map(|r| r.intersect(screen_bounds))
            .filter(|r| !r.is_empty())
            .collect();
        for &area in &damaged {
            self.screen.fill_rect(area, DESKTOP, area);
            for id in &self.stack {
                let Some(w) = self.windows.get(id).filter(|w| w.mapped) else {
                    continue;
                };
                if w.kind == WindowKind::Normal {
                    let focused = self.focus == Some(*id);
                    wm::draw_frame(
                        &mut self.screen,
                        &mut self.fonts,
                        w.rect,
                        &w.title,
                        focused,
                        area,
                    );
                }
                let visible = w.rect.intersect(area);
                if visible.is_empty() {
                    continue;
                }
                let src = visible.translate(-w.rect.x, -w.rect.y);
                self.screen
                    .copy_from(&w.canvas, src, visible.origin(), visible);
            }
        }
        damaged
    }

    /// Reads pixels of a window, a pixmap, or ([`ResourceId::ROOT`]) the composited screen,
    /// as RGBA. Returns the area actually read (clipped to the source).
    pub fn read(
        &mut self,
        source: ResourceId,
        area: Option<Rect>,
    ) -> Result<(Rect, Vec<u8>), SceneError> {
        let canvas = if source == ResourceId::ROOT {
            self.composite();
            &self.screen
        } else if let Some(w) = self.windows.get(&source) {
            &w.canvas
        } else if let Some(p) = self.pixmaps.get(&source) {
            &p.canvas
        } else {
            return Err(SceneError::bad_id(source, "window or pixmap"));
        };
        Ok(canvas.read_rgba(area.unwrap_or(canvas.bounds())))
    }

    /// Changes the screen's size; everything is composited again.
    fn resize_screen_now(&mut self, size: Size) {
        self.screen.resize(size.width, size.height, DESKTOP);
        self.damage.add(Rect::from_size(size));
    }

    /// Runs a drawing operation on a drawable with its clip, and records screen damage.
    /// The closure gets the canvas, the effective clip and the drawable's background.
    fn draw(
        &mut self,
        target: ResourceId,
        op: impl FnOnce(&mut Canvas, Rect, Color) -> Rect,
    ) -> Result<(), SceneError> {
        draw_in(
            &mut self.windows,
            &mut self.pixmaps,
            &mut self.damage,
            target,
            op,
        )
    }

    fn draw_text(
        &mut self,
        target: ResourceId,
        pos: Point,
        font: Font,
        size: u16,
        color: Color,
        text: &str,
    ) -> Result<(), SceneError> {
        // The glyph cache lives beside the drawables: borrow the fields apart.
        let Scene {
            windows,
            pixmaps,
            damage,
            fonts,
            ..
        } = self;
        draw_in(windows, pixmaps, damage, target, |c, clip, _| {
            c.text(fonts, pos, font, size, color, text, clip)
        })
    }

    fn copy_area(
        &mut self,
        src: ResourceId,
        dst: ResourceId,
        src_rect: Rect,
        dst_pos: Point,
    ) -> Result<(), SceneError> {
        if src == dst {
            self.hint_copy_within(dst, src_rect, dst_pos);
            return self.draw(dst, |c, clip, _| c.copy_within(src_rect, dst_pos, clip));
        }
        // Take the source out of its map so that the destination can be borrowed mutably.
        let source = if let Some(w) = self.windows.get_mut(&src) {
            std::mem::replace(&mut w.canvas, Canvas::new(0, 0, Color::BLACK))
        } else if let Some(p) = self.pixmaps.get_mut(&src) {
            std::mem::replace(&mut p.canvas, Canvas::new(0, 0, Color::BLACK))
        } else {
            return Err(SceneError::bad_id(src, "window or pixmap"));
        };
        let result = self.draw(dst, |c, clip, _| {
            c.copy_from(&source, src_rect, dst_pos, clip)
        });
        if let Some(w) = self.windows.get_mut(&src) {
            w.canvas = source;
        } else if let Some(p) = self.pixmaps.get_mut(&src) {
            p.canvas = source;
        }
        result
    }

    fn check_size(&self, id: ResourceId, width: u32, height: u32) -> Result<(), SceneError> {
        let max = self.limits.max_side;
        if width == 0 || height == 0 || width > max || height > max {
            return Err(SceneError::new(
                ErrorCode::BadValue,
                Some(id),
                format!("size {width}x{height} is outside 1x1 to {max}x{max}"),
            ));
        }
        Ok(())
    }

    fn check_new_size(&self, id: ResourceId, width: u32, height: u32) -> Result<(), SceneError> {
        if self.exists(id) || id == ResourceId::ROOT {
            return Err(SceneError::new(
                ErrorCode::IdChoice,
                Some(id),
                format!("id {id} is already in use"),
            ));
        }
        self.check_size(id, width, height)
    }

    fn check_text(&self, id: ResourceId, text: &str) -> Result<(), SceneError> {
        let max = self.limits.max_text_len as usize;
        if text.len() > max {
            return Err(SceneError::new(
                ErrorCode::BadValue,
                Some(id),
                format!(
                    "text of {} bytes is longer than the limit of {max}",
                    text.len()
                ),
            ));
        }
        Ok(())
    }

    fn check_image(
        &self,
        id: ResourceId,
        rect: Rect,
        format: ImageFormat,
        data: &[u8],
    ) -> Result<(), SceneError> {
        let max = self.limits.max_side;
        if rect.width > max || rect.height > max {
            return Err(SceneError::new(
                ErrorCode::BadValue,
                Some(id),
                format!(
                    "image of {}x{} is larger than the limit of {max}x{max}",
                    rect.width, rect.height
                ),
            ));
        }
        let expected = rect.size().area() * format.bytes_per_pixel() as u64;
        if data.len() as u64 != expected {
            return Err(SceneError::new(
                ErrorCode::BadLength,
                Some(id),
                format!(
                    "image of {}x{} in {format:?} needs {expected} bytes, the request has {}",
                    rect.width,
                    rect.height,
                    data.len()
                ),
            ));
        }
        Ok(())
    }
}

/// Runs a drawing operation on a drawable with its clip, and records screen damage.
/// The closure gets the canvas, the effective clip and the drawable's background.
fn draw_in(
    windows: &mut HashMap<ResourceId, Window>,
    pixmaps: &mut HashMap<ResourceId, Pixmap>,
    damage: &mut Damage,
    target: ResourceId,
    op: impl FnOnce(&mut Canvas, Rect, Color) -> Rect,
) -> Result<(), SceneError> {
    if let Some(w) = windows.get_mut(&target) {
        let clip = effective_clip(&w.canvas, w.clip);
        let changed = op(&mut w.canvas, clip, w.background);
        if w.mapped && !changed.is_empty() {
            damage.add(changed.translate(w.rect.x, w.rect.y));
        }
        return Ok(());
    }
    if let Some(p) = pixmaps.get_mut(&target) {
        let clip = effective_clip(&p.canvas, p.clip);
        op(&mut p.canvas, clip, Color::BLACK);
        return Ok(());
    }
    if target == ResourceId::ROOT {
        return Err(SceneError::new(
            ErrorCode::BadMatch,
            Some(target),
            "the root belongs to the server: draw into a window of your own",
        ));
    }
    Err(SceneError::bad_id(target, "window or pixmap"))
}

fn effective_clip(canvas: &Canvas, clip: Option<Rect>) -> Rect {
    let bounds = canvas.bounds();
    clip.map_or(bounds, |c| c.intersect(bounds))
}
