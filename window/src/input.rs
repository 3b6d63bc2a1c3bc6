//! winit's keyboard and pointer events as the protocol's input, in the window's coordinates.

use netui_protocol::{Button, InputEvent, Key, Modifiers, Point};
use winit::event::{ElementState, MouseButton, MouseScrollDelta, WindowEvent};
use winit::keyboard::{Key as WinitKey, NamedKey};

/// The protocol's input for a winit window event (pointer, buttons, wheel, modifiers, keys),
/// in the window's coordinates. Shared by the display's window and the thin client's.
pub fn input_from_winit(event: &WindowEvent) -> Option<InputEvent> {
    Some(match event {
        WindowEvent::CursorMoved { position, .. } => InputEvent::PointerMoved(Point::new(
            position.x.round() as i32,
            position.y.round() as i32,
        )),
        WindowEvent::CursorLeft { .. } => InputEvent::PointerLeft,
        WindowEvent::MouseInput { state, button, .. } => InputEvent::Button {
            button: button_from_winit(*button),
            pressed: *state == ElementState::Pressed,
        },
        WindowEvent::MouseWheel { delta, .. } => {
            // winit's positive y scrolls up; the protocol's positive dy scrolls down.
            let (dx, dy) = match delta {
                MouseScrollDelta::LineDelta(x, y) => (x.round() as i32, -y.round() as i32),
                MouseScrollDelta::PixelDelta(p) => {
                    ((p.x / 20.0).round() as i32, (-p.y / 20.0).round() as i32)
                }
            };
            if dx == 0 && dy == 0 {
                return None;
            }
            InputEvent::Wheel { dx, dy }
        }
        WindowEvent::ModifiersChanged(m) => InputEvent::Modifiers(modifiers_from_winit(m.state())),
        WindowEvent::KeyboardInput { event, .. } => {
            let pressed = event.state == ElementState::Pressed;
            let text = match (&event.text, pressed) {
                (Some(text), true) => text.to_string(),
                _ => String::new(),
            };
            InputEvent::Key {
                key: key_from_winit(&event.logical_key),
                pressed,
                text,
            }
        }
        _ => return None,
    })
}

/// The protocol's modifiers for winit's.
pub fn modifiers_from_winit(s: winit::keyboard::ModifiersState) -> Modifiers {
    let mut mods = Modifiers::NONE;
    for (held, bit) in [
        (s.shift_key(), Modifiers::SHIFT),
        (s.control_key(), Modifiers::CONTROL),
        (s.alt_key(), Modifiers::ALT),
        (s.super_key(), Modifiers::SUPER),
    ] {
        if held {
            mods = mods | bit;
        }
    }
    mods
}

/// The protocol's button for a winit mouse button.
pub fn button_from_winit(button: MouseButton) -> Button {
    match button {
        MouseButton::Left => Button::Left,
        MouseButton::Middle => Button::Middle,
        MouseButton::Right => Button::Right,
        MouseButton::Back => Button::Back,
        MouseButton::Forward => Button::Forward,
        MouseButton::Other(n) => Button::Other(n),
    }
}

/// The protocol's key for a winit logical key.
pub fn key_from_winit(key: &WinitKey) -> Key {
    match key {
        WinitKey::Character(s) => s.chars().next().map_or(Key::Other(0), |c| {
            Key::Character(c.to_lowercase().next().unwrap_or(c))
        }),
        WinitKey::Named(named) => match named {
            NamedKey::Escape => Key::Escape,
            NamedKey::Enter => Key::Enter,
            NamedKey::Tab => Key::Tab,
            NamedKey::Backspace => Key::Backspace,
            NamedKey::Delete => Key::Delete,
            NamedKey::Insert => Key::Insert,
            NamedKey::ArrowLeft => Key::Left,
            NamedKey::ArrowRight => Key::Right,
            NamedKey::ArrowUp => Key::Up,
            NamedKey::ArrowDown => Key::Down,
            NamedKey::Home => Key::Home,
            NamedKey::End => Key::End,
            NamedKey::PageUp => Key::PageUp,
            NamedKey::PageDown => Key::PageDown,
            NamedKey::Shift => Key::Shift,
            NamedKey::Control => Key::Control,
            NamedKey::Alt => Key::Alt,
            NamedKey::Super => Key::Super,
            NamedKey::Space => Key::Character(' '),
            NamedKey::F1 => Key::F(1),
            NamedKey::F2 => Key::F(2),
            NamedKey::F3 => Key::F(3),
            NamedKey::F4 => Key::F(4),
            NamedKey::F5 => Key::F(5),
            NamedKey::F6 => Key::F(6),
            NamedKey::F7 => Key::F(7),
            NamedKey::F8 => Key::F(8),
            NamedKey::F9 => Key::F(9),
            NamedKey::F10 => Key::F(10),
            NamedKey::F11 => Key::F(11),
            NamedKey::F12 => Key::F(12),
            other => Key::Other(*other as u32),
        },
        _ => Key::Other(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_map_by_meaning() {
        assert_eq!(
            key_from_winit(&WinitKey::Character("A".into())),
            Key::Character('a')
        );
        assert_eq!(
            key_from_winit(&WinitKey::Named(NamedKey::Escape)),
            Key::Escape
        );
        assert_eq!(key_from_winit(&WinitKey::Named(NamedKey::F5)), Key::F(5));
    }
}
