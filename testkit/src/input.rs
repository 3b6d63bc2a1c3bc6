//! Input injected into a display (the XTEST-like request), as the window manager and the
//! applications receive the screen's own: a click, and a drag with the left button.

use netui::{Button, Display, InputEvent, Point};

/// Queues a left click at `at` (screen coordinates): the pointer moves there, the button goes
/// down and up. The caller flushes or syncs.
pub fn click(display: &mut Display, at: Point) {
    display.inject(InputEvent::PointerMoved(at));
    left_button(display, true);
    left_button(display, false);
}

/// Queues a drag with the left button from `from` to `to`: down at `from`, one move, up at
/// `to`. The caller flushes or syncs.
pub fn drag(display: &mut Display, from: Point, to: Point) {
    display.inject(InputEvent::PointerMoved(from));
    left_button(display, true);
    display.inject(InputEvent::PointerMoved(to));
    left_button(display, false);
}

fn left_button(display: &mut Display, pressed: bool) {
    display.inject(InputEvent::Button {
        button: Button::Left,
        pressed,
    });
}
