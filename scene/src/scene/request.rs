//! Carrying out applications' requests: the one match over the scene's requests,
//! drawing with the renderer, and the checks of sizes, text and images that keep a
//! request within the [`Limits`](netui_protocol::Limits).

use std::collections::HashMap;
use std::sync::Arc;

use netui_protocol::{
    Color, ErrorCode, Event, ImageFormat, Point, Rect, Request, ResourceId, WindowKind,
};

use super::window::{footprint, Window};
use super::{Pixmap, Scene, SceneError, WindowEvent};
use crate::damage::Damage;
use crate::render::{Canvas, MAX_FONT_SIZE};
use crate::wm;

impl Scene {
    /// Carries out one [`RequestClass::Scene`](netui_protocol::RequestClass::Scene) request
    /// ([`Scene::apply`] calls it, and journals it). Events for window owners are pushed onto
    /// `events`.
    pub(super) fn carry_out(
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
                self.push_on_top(*id);
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
                if !self.destroy_window(*id, events) {
                    return Err(SceneError::bad_id(*id, "window"));
                }
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
                if !self.free_pixmap(*id) {
                    return Err(SceneError::bad_id(*id, "pixmap"));
                }
            }
            Request::FillRects { target, .. }
            | Request::StrokeRects { target, .. }
            | Request::Lines { target, .. }
            | Request::Segments { target, .. }
            | Request::Ellipse { target, .. } => self.draw_request(*target, request)?,
            Request::Text {
                target, size, text, ..
            } => {
                self.check_text(*target, text)?;
                if *size > MAX_FONT_SIZE {
                    return Err(SceneError::new(
                        ErrorCode::BadValue,
                        Some(*target),
                        format!("font size {size} is above the limit of {MAX_FONT_SIZE}"),
                    ));
                }
                self.draw_request(*target, request)?;
            }
            Request::PutImage {
                target,
                rect,
                format,
                data,
            } => {
                let expanded = self.check_image(*target, *rect, *format, data)?;
                let data = expanded.as_deref().unwrap_or(data);
                self.draw(*target, |c, clip, _| {
                    c.put_image(*rect, format.pixels(), data, clip)
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
            // The other classes are the server's; `Scene::apply` does not hand them here.
            _ => {
                return Err(SceneError::new(
                    ErrorCode::UnknownRequest,
                    None,
                    format!("{} is not a scene operation", request.kind()),
                ))
            }
        }
        Ok(())
    }

    /// Removes a pixmap; returns whether it existed.
    pub(super) fn free_pixmap(&mut self, id: ResourceId) -> bool {
        self.pixmaps.remove(&id).is_some()
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

    /// Carries out a drawing request ([`Canvas::draw`]) on its target.
    fn draw_request(&mut self, target: ResourceId, request: &Request) -> Result<(), SceneError> {
        // The glyph cache lives beside the drawables: borrow the fields apart.
        let Scene {
            windows,
            pixmaps,
            damage,
            fonts,
            ..
        } = self;
        draw_in(windows, pixmaps, damage, target, |c, clip, _| {
            c.draw(fonts, request, clip).unwrap_or_default()
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

    pub(super) fn check_size(
        &self,
        id: ResourceId,
        width: u32,
        height: u32,
    ) -> Result<(), SceneError> {
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

    pub(super) fn check_new_size(
        &self,
        id: ResourceId,
        width: u32,
        height: u32,
    ) -> Result<(), SceneError> {
        if self.exists(id) || id == ResourceId::ROOT {
            return Err(SceneError::new(
                ErrorCode::IdChoice,
                Some(id),
                format!("id {id} is already in use"),
            ));
        }
        self.check_size(id, width, height)
    }

    pub(super) fn check_text(&self, id: ResourceId, text: &str) -> Result<(), SceneError> {
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

    /// Checks an image: its size within the limits, and its data that of a `rect`-sized
    /// image in `format`. Its pixels when they are not `data` (expanded from a compressed
    /// format, or found among the images expanded lately).
    pub(super) fn check_image(
        &mut self,
        id: ResourceId,
        rect: Rect,
        format: ImageFormat,
        data: &[u8],
    ) -> Result<Option<Arc<[u8]>>, SceneError> {
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
        if format.is_compressed() {
            let max = self.limits.max_payload as usize;
            return self
                .coded
                .expand(format, rect.size(), data, max)
                .map(Some)
                .map_err(|e| SceneError::new(ErrorCode::BadValue, Some(id), e.to_string()));
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
        Ok(None)
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
