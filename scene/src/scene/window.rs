//! Windows as wholes: what a window is, and the window manager's operations on it — placing,
//! stacking, focus and destruction. Each operation is written once here and called both by
//! the requests that imply it (a `MapWindow` places, raises and focuses) and, through
//! [`Scene::perform`], by the window manager and the server, which journal it.

use netui_protocol::{Color, Event, Rect, ResourceId, WindowKind};

use super::journal::copy_hint;
use super::{Scene, SceneError, WindowEvent};
use crate::render::Canvas;
use crate::wm;

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
    pub(super) canvas: Canvas,
    pub(super) clip: Option<Rect>,
}

impl Window {
    /// A window filled with its background (sizes checked by the caller).
    pub(super) fn new(
        rect: Rect,
        title: &str,
        background: Color,
        kind: WindowKind,
        mapped: bool,
    ) -> Window {
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

/// The screen area a window of `kind` at `rect` covers when mapped.
pub(super) fn footprint(kind: WindowKind, rect: Rect) -> Rect {
    match kind {
        WindowKind::Normal => wm::frame_rect(rect),
        WindowKind::Panel => rect,
    }
}

impl Scene {
    /// Gives the keyboard focus to a mapped window (or to none), repainting both title bars
    /// and telling both windows.
    pub(super) fn set_focus(&mut self, id: Option<ResourceId>, events: &mut Vec<WindowEvent>) {
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
        // Only the title bar shows the focus.
        if let Some(old) = self.focus.take() {
            if let Some(w) = self.windows.get(&old) {
                self.damage.add(wm::title_rect(w.rect));
                events.push(Event::FocusOut { window: old });
            }
        }
        if let Some(new) = id {
            if let Some(w) = self.windows.get(&new) {
                self.damage.add(wm::title_rect(w.rect));
                events.push(Event::FocusIn { window: new });
            }
        }
        self.focus = id;
    }

    /// Moves and resizes a window (the client's request or the window manager's decision).
    /// A move of a mapped window is also a copy hint for pixel-mode viewers.
    pub(super) fn configure(
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
                let new = footprint(w.kind, rect);
                copy_hint(old, new.origin(), self.screen.bounds())
            });
        self.hint(hint);
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

    /// Puts a window on top of its group (panels stay above normal windows).
    pub(super) fn raise(&mut self, id: ResourceId) {
        if let Some(i) = self.stack.iter().position(|w| *w == id) {
            if i + 1 == self.stack.len() {
                return;
            }
            self.stack.remove(i);
            self.push_on_top(id);
            self.windows_changed = true;
            if let Some(w) = self.windows.get(&id).filter(|w| w.mapped) {
                self.damage.add(w.footprint());
            }
        }
    }

    /// Puts `id` (not in the stack) on top of its group: a normal window goes below the
    /// panels, which are few and always on top, so this costs a look at them only, not a
    /// sort of every window (thousands of windows are made one by one).
    pub(super) fn push_on_top(&mut self, id: ResourceId) {
        let windows = &self.windows;
        let panel = |id: &ResourceId| windows.get(id).is_some_and(|w| w.kind == WindowKind::Panel);
        let at = if panel(&id) {
            self.stack.len()
        } else {
            let panels = self.stack.iter().rev().take_while(|id| panel(id)).count();
            self.stack.len() - panels
        };
        self.stack.insert(at, id);
    }

    /// Keeps panels above normal windows, each group in its own order.
    pub(super) fn restack(&mut self) {
        let windows = &self.windows;
        self.stack
            .sort_by_key(|id| windows.get(id).is_some_and(|w| w.kind == WindowKind::Panel));
    }

    /// Removes a window; returns whether it existed. Its screen area is repainted.
    pub(super) fn destroy_window(&mut self, id: ResourceId, events: &mut Vec<WindowEvent>) -> bool {
        let Some(w) = self.windows.remove(&id) else {
            return false;
        };
        self.stack.retain(|s| *s != id);
        self.windows_changed = true;
        if w.mapped {
            self.damage.add(w.footprint());
        }
        if self.focus == Some(id) {
            self.focus = None;
            self.focus_topmost(events);
        }
        true
    }

    /// Gives the focus to the topmost mapped window, if any.
    pub(super) fn focus_topmost(&mut self, events: &mut Vec<WindowEvent>) {
        let top = self.stack.iter().rev().copied().find(|id| {
            Some(*id) != self.focus
                && self
                    .windows
                    .get(id)
                    .is_some_and(|w| w.mapped && w.kind == WindowKind::Normal)
        });
        self.set_focus(top, events);
    }
}
