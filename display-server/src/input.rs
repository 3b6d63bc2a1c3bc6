//! Input routing and the window manager's pointer actions.
//!
//! Keys go to the focused window. Pointer events go to the window under the pointer, in its
//! coordinates; a button press in a window's content grabs the pointer for that window until
//! every button is up, so drags work outside it. On a frame, a press raises and focuses the
//! window; on the title bar it starts a move, on the border a resize (the bottom-right corner
//! follows the pointer); on the close button it asks the application to
//! close, and a second press while that request is unanswered disconnects the application,
//! as `xkill` would.

use std::collections::BTreeSet;

pub use netui_protocol::InputEvent;
use netui_protocol::{Button, Event, KeyEvent, Modifiers, Point, Rect, ResourceId, SceneOp};

use netui_scene::scene::Scene;
use netui_scene::wm::Part;

/// What input asks of the core beyond events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Disconnect the client that owns this window (the second press on its close button).
    Kill(ResourceId),
}

/// The pointer and keyboard state that routing needs.
#[derive(Debug, Default)]
pub struct Input {
    pointer: Point,
    modifiers: Modifiers,
    /// The window whose content holds the pointer (for enter and leave).
    under: Option<ResourceId>,
    /// The window that gets pointer events while buttons are held.
    grab: Option<ResourceId>,
    buttons: u32,
    /// A window being moved by its title bar, and where the pointer holds it.
    drag: Option<(ResourceId, Point)>,
    /// A window being resized by its border (its bottom-right corner follows the pointer).
    resize: Option<ResourceId>,
    /// Windows that were asked to close and have not gone yet.
    close_asked: BTreeSet<ResourceId>,
}

impl Input {
    /// Routes one input event: changes the scene (raise, focus, move) and pushes events for
    /// the applications.
    pub fn handle(
        &mut self,
        scene: &mut Scene,
        input: InputEvent,
        events: &mut Vec<Event>,
    ) -> Option<Action> {
        self.close_asked.retain(|id| scene.window(*id).is_some());
        if self.grab.is_some_and(|g| scene.window(g).is_none()) {
            self.grab = None;
        }
        if self.drag.is_some_and(|(id, _)| scene.window(id).is_none()) {
            self.drag = None;
        }
        if self.resize.is_some_and(|id| scene.window(id).is_none()) {
            self.resize = None;
        }
        match input {
            InputEvent::PointerMoved(p) => self.moved(scene, p, events),
            InputEvent::PointerLeft => {
                if self.grab.is_none() && self.drag.is_none() {
                    self.set_under(scene, None, events);
                }
            }
            InputEvent::Button {
                button,
                pressed: true,
            } => return self.pressed(scene, button, events),
            InputEvent::Button {
                button,
                pressed: false,
            } => self.released(scene, button, events),
            InputEvent::Wheel { dx, dy } => {
                if let Some((window, pos)) = self.target(scene) {
                    events.push(Event::Wheel {
                        window,
                        dx,
                        dy,
                        pos,
                        modifiers: self.modifiers,
                    });
                }
            }
            InputEvent::Key { key, pressed, text } => {
                if let Some(window) = scene.focus() {
                    let key = KeyEvent {
                        window,
                        key,
                        modifiers: self.modifiers,
                        text: if pressed { text } else { String::new() },
                    };
                    events.push(if pressed {
                        Event::KeyPress(key)
                    } else {
                        Event::KeyRelease(key)
                    });
                }
            }
            InputEvent::Modifiers(m) => self.modifiers = m,
        }
        None
    }

    /// The window that pointer events go to now, and the pointer in its coordinates.
    fn target(&self, scene: &Scene) -> Option<(ResourceId, Point)> {
        let window = self.grab.or(self.under)?;
        let rect = scene.window(window)?.rect;
        Some((window, relative(self.pointer, rect)))
    }

    fn moved(&mut self, scene: &mut Scene, p: Point, events: &mut Vec<Event>) {
        self.pointer = p;
        if let Some(window) = self.resize {
            if let Some(rect) = scene.window(window).map(|w| w.rect) {
                let width =
                    (i64::from(p.x) - i64::from(rect.x)).clamp(MIN_SIDE, i64::from(MAX_SIDE));
                let height =
                    (i64::from(p.y) - i64::from(rect.y)).clamp(MIN_SIDE, i64::from(MAX_SIDE));
                let resized = Rect::new(rect.x, rect.y, width as u32, height as u32);
                // The window exists (checked above), so configure cannot fail.
                let configure = SceneOp::Configure {
                    id: window,
                    rect: resized,
                };
                let _ = scene.perform(&configure, events);
            }
            return;
        }
        if let Some((window, hold)) = self.drag {
            if let Some(rect) = scene.window(window).map(|w| w.rect) {
                let moved = Rect::new(
                    p.x.saturating_sub(hold.x),
                    p.y.saturating_sub(hold.y),
                    rect.width,
                    rect.height,
                );
                // The window exists (checked above), so configure cannot fail.
                let configure = SceneOp::Configure {
                    id: window,
                    rect: moved,
                };
                let _ = scene.perform(&configure, events);
            }
            return;
        }
        if self.grab.is_none() {
            self.update_under(scene, events);
        }
        if let Some((window, pos)) = self.target(scene) {
            events.push(Event::PointerMotion {
                window,
                pos,
                modifiers: self.modifiers,
            });
        }
    }

    fn pressed(
        &mut self,
        scene: &mut Scene,
        button: Button,
        events: &mut Vec<Event>,
    ) -> Option<Action> {
        self.buttons += 1;
        if let Some(window) = self.grab {
            if let Some((_, pos)) = self.target(scene) {
                events.push(Event::ButtonPress {
                    window,
                    button,
                    pos,
                    modifiers: self.modifiers,
                });
            }
            return None;
        }
        if self.drag.is_some() || self.resize.is_some() {
            return None;
        }
        let (window, part) = scene.window_at(self.pointer)?;
        // Neither can fail: they have no checks.
        let _ = scene.perform(&SceneOp::Raise { id: window }, events);
        let _ = scene.perform(&SceneOp::Focus { id: Some(window) }, events);
        let rect = scene.window(window)?.rect;
        match part {
            Part::Content => {
                self.grab = Some(window);
                let pos = relative(self.pointer, rect);
                events.push(Event::ButtonPress {
                    window,
                    button,
                    pos,
                    modifiers: self.modifiers,
                });
            }
            Part::Title if button == Button::Left => {
                self.drag = Some((window, relative(self.pointer, rect)));
            }
            Part::Border if button == Button::Left => self.resize = Some(window),
            Part::Close if button == Button::Left => {
                if !self.close_asked.insert(window) {
                    return Some(Action::Kill(window));
                }
                events.push(Event::CloseRequested { window });
            }
            _ => {}
        }
        None
    }

    fn released(&mut self, scene: &mut Scene, button: Button, events: &mut Vec<Event>) {
        self.buttons = self.buttons.saturating_sub(1);
        if self.drag.is_some() || self.resize.is_some() {
            if self.buttons == 0 {
                self.drag = None;
                self.resize = None;
            }
            return;
        }
        if let Some((window, pos)) = self.grab.and_then(|_| self.target(scene)) {
            events.push(Event::ButtonRelease {
                window,
                button,
                pos,
                modifiers: self.modifiers,
            });
        }
        if self.buttons == 0 && self.grab.take().is_some() {
            // The pointer may have ended over another window.
            self.update_under(scene, events);
        }
    }

    /// Finds the window whose content holds the pointer and sends enter and leave.
    fn update_under(&mut self, scene: &Scene, events: &mut Vec<Event>) {
        let under = scene
            .window_at(self.pointer)
            .filter(|(_, part)| *part == Part::Content)
            .map(|(id, _)| id);
        self.set_under(scene, under, events);
    }

    fn set_under(&mut self, scene: &Scene, under: Option<ResourceId>, events: &mut Vec<Event>) {
        if under == self.under {
            return;
        }
        if let Some(old) = self.under.take() {
            events.push(Event::Leave { window: old });
        }
        if let Some(window) = under {
            if let Some(w) = scene.window(window) {
                events.push(Event::Enter {
                    window,
                    pos: relative(self.pointer, w.rect),
                });
            }
        }
        self.under = under;
    }
}

/// The smallest side a window can be resized to.
const MIN_SIDE: i64 = 40;
/// The largest: a window bigger than the limit of the protocol could not be drawn into.
const MAX_SIDE: u32 = 8192;

/// A screen point in a window's coordinates.
fn relative(p: Point, rect: Rect) -> Point {
    Point::new(p.x.saturating_sub(rect.x), p.y.saturating_sub(rect.y))
}
