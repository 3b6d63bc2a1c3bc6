//! Events: what the server tells an application about its windows and the user's input.
//!
//! Pointer positions are in the window's coordinates (0,0 is the top-left pixel of its
//! content area).

use serde::{Deserialize, Serialize};

use crate::geometry::{Point, Rect, Size};
use crate::request::ResourceId;

/// Keyboard modifiers held during an input event, as a bit set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Modifiers(pub u8);

impl Modifiers {
    /// No modifier.
    pub const NONE: Modifiers = Modifiers(0);
    /// A Shift key.
    pub const SHIFT: Modifiers = Modifiers(1);
    /// A Control key.
    pub const CONTROL: Modifiers = Modifiers(2);
    /// An Alt key.
    pub const ALT: Modifiers = Modifiers(4);
    /// A Super (logo) key.
    pub const SUPER: Modifiers = Modifiers(8);

    /// True when every modifier of `other` is held.
    pub const fn contains(self, other: Modifiers) -> bool {
        self.0 & other.0 == other.0
    }
}

impl std::ops::BitOr for Modifiers {
    type Output = Modifiers;
    fn bitor(self, rhs: Modifiers) -> Modifiers {
        Modifiers(self.0 | rhs.0)
    }
}

/// A key, by what it means rather than where it is on the keyboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[allow(missing_docs)]
pub enum Key {
    /// A key that produces a character (letters, digits, punctuation, space), lower-case
    /// where the keyboard has cases. The event's `text` has what it types with the modifiers.
    /// The character is the layout's when it is ASCII (`z` on a German keyboard's Z key);
    /// for a key whose character is not (Cyrillic, `é`, AltGr's `€`), it is the US key at
    /// the same place, so that shortcuts such as Ctrl+C stay where they are: match `text`
    /// for what was typed, and this for shortcuts.
    Character(char),
    Escape,
    Enter,
    Tab,
    Backspace,
    Delete,
    Insert,
    Left,
    Right,
    Up,
    Down,
    Home,
    End,
    PageUp,
    PageDown,
    Shift,
    Control,
    Alt,
    Super,
    /// A function key, F1 is `F(1)`.
    F(u8),
    /// A key that has no name here, by its platform key code.
    Other(u32),
}

/// A mouse button.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[allow(missing_docs)]
pub enum Button {
    Left,
    Middle,
    Right,
    Back,
    Forward,
    Other(u16),
}

/// A key press or release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyEvent {
    /// The focused window.
    pub window: ResourceId,
    /// Which key.
    pub key: Key,
    /// Modifiers held.
    pub modifiers: Modifiers,
    /// The text the press produces (empty for releases and keys that type nothing).
    pub text: String,
}

/// An event from the server to an application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Event {
    /// Part of a window needs to be drawn again (it was mapped, resized or uncovered).
    Expose {
        /// The window.
        window: ResourceId,
        /// The area, in window coordinates.
        area: Rect,
    },
    /// A window was moved or resized; `rect` is its new place on the screen and size.
    Configure {
        /// The window.
        window: ResourceId,
        /// New position and size.
        rect: Rect,
    },
    /// The user asked to close the window (the window manager's close button).
    CloseRequested {
        /// The window.
        window: ResourceId,
    },
    /// The window got the keyboard focus.
    FocusIn {
        /// The window.
        window: ResourceId,
    },
    /// The window lost the keyboard focus.
    FocusOut {
        /// The window.
        window: ResourceId,
    },
    /// The pointer entered the window.
    Enter {
        /// The window.
        window: ResourceId,
        /// Where, in window coordinates.
        pos: Point,
    },
    /// The pointer left the window.
    Leave {
        /// The window.
        window: ResourceId,
    },
    /// A key went down.
    KeyPress(KeyEvent),
    /// A key went up.
    KeyRelease(KeyEvent),
    /// The pointer moved.
    PointerMotion {
        /// The window under the pointer (or holding the grab).
        window: ResourceId,
        /// Where, in window coordinates.
        pos: Point,
        /// Modifiers held.
        modifiers: Modifiers,
    },
    /// A mouse button went down.
    ButtonPress {
        /// The window under the pointer.
        window: ResourceId,
        /// Which button.
        button: Button,
        /// Where, in window coordinates.
        pos: Point,
        /// Modifiers held.
        modifiers: Modifiers,
    },
    /// A mouse button went up.
    ButtonRelease {
        /// The window holding the grab.
        window: ResourceId,
        /// Which button.
        button: Button,
        /// Where, in window coordinates.
        pos: Point,
        /// Modifiers held.
        modifiers: Modifiers,
    },
    /// The wheel turned: `dx`, `dy` in lines (positive `dy` scrolls down).
    Wheel {
        /// The window under the pointer.
        window: ResourceId,
        /// Horizontal lines.
        dx: i32,
        /// Vertical lines.
        dy: i32,
        /// Where, in window coordinates.
        pos: Point,
        /// Modifiers held.
        modifiers: Modifiers,
    },
    /// The screen changed size (the server's window was resized). Sent to every client.
    ScreenResized {
        /// The new size.
        size: Size,
    },
    /// Windows were created, destroyed, mapped, unmapped, retitled or restacked. Sent to
    /// clients that asked with [`crate::Request::WatchWindows`] (a taskbar), at most once per
    /// batch of changes; `GetServerInfo` tells what changed.
    WindowsChanged,
    /// Another client asks for the content of a selection that this client owns, in type
    /// `mime`: answer with [`crate::Request::SendSelection`] chunks numbered `transfer`, or
    /// [`crate::Request::RefuseSelection`].
    SelectionRequest {
        /// Which selection.
        selection: crate::Selection,
        /// The type asked for (one this client offered).
        mime: String,
        /// The server's number for the transfer.
        transfer: u32,
    },
    /// A chunk of content asked for with [`crate::Request::RequestSelection`].
    SelectionData {
        /// The number the request carried.
        transfer: u32,
        /// The chunk.
        #[serde(with = "serde_bytes")]
        data: Vec<u8>,
        /// Whether more chunks follow (`false` on the last).
        more: bool,
    },
    /// A transfer asked for with [`crate::Request::RequestSelection`] ended without (all of)
    /// its content.
    SelectionFailed {
        /// The number the request carried.
        transfer: u32,
        /// Why.
        reason: crate::SelectionFailure,
    },
    /// Another client claimed a selection that this client owned.
    SelectionLost {
        /// Which selection.
        selection: crate::Selection,
    },
    /// A selection has a new owner, offering `types` (sent to clients that asked with
    /// [`crate::Request::WatchSelections`], except the new owner itself).
    SelectionChanged {
        /// Which selection.
        selection: crate::Selection,
        /// The types it offers (empty: nobody owns it).
        types: Vec<String>,
    },
}

/// Keyboard and pointer input as the screen produces it, in screen coordinates: what the
/// windowed backend reads from its window, and what [`crate::Request::InjectInput`] injects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum InputEvent {
    /// The pointer moved to a screen position.
    PointerMoved(Point),
    /// The pointer left the screen.
    PointerLeft,
    /// A button went down or up.
    Button {
        /// Which.
        button: Button,
        /// Down (true) or up.
        pressed: bool,
    },
    /// The wheel turned, in lines.
    Wheel {
        /// Horizontal lines.
        dx: i32,
        /// Vertical lines (positive scrolls down).
        dy: i32,
    },
    /// A key went down or up; `text` is what a press types.
    Key {
        /// Which key.
        key: Key,
        /// Down (true) or up.
        pressed: bool,
        /// What it types.
        text: String,
    },
    /// The held modifiers changed.
    Modifiers(Modifiers),
}

impl Event {
    /// The window that the event is about ([`ResourceId::ROOT`] for the screen).
    pub fn window(&self) -> ResourceId {
        match self {
            Event::Expose { window, .. }
            | Event::Configure { window, .. }
            | Event::CloseRequested { window }
            | Event::FocusIn { window }
            | Event::FocusOut { window }
            | Event::Enter { window, .. }
            | Event::Leave { window }
            | Event::PointerMotion { window, .. }
            | Event::ButtonPress { window, .. }
            | Event::ButtonRelease { window, .. }
            | Event::Wheel { window, .. } => *window,
            Event::KeyPress(k) | Event::KeyRelease(k) => k.window,
            Event::ScreenResized { .. }
            | Event::WindowsChanged
            | Event::SelectionRequest { .. }
            | Event::SelectionData { .. }
            | Event::SelectionFailed { .. }
            | Event::SelectionLost { .. }
            | Event::SelectionChanged { .. } => ResourceId::ROOT,
        }
    }
}
