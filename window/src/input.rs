//! winit's keyboard and pointer events as the protocol's input, in the window's coordinates.
//!
//! Keys are passed as the person's layout produces them: the text is what the layout types
//! (winit composes dead keys and AltGr through xkbcommon), and the key is the layout's own
//! character when it is ASCII (so `z` on a German keyboard is the key labelled Z). For a key
//! whose character is not ASCII (Cyrillic, `é`, `€` with AltGr) the key is the one at the
//! same place on a US keyboard, so that Ctrl+C and Ctrl+S stay where they are on a Russian
//! keyboard, as X's keysym fallback makes them.

use netui_protocol::{Button, InputEvent, Key, Modifiers, Point};
use winit::event::{ElementState, MouseButton, MouseScrollDelta, WindowEvent};
use winit::keyboard::{Key as WinitKey, KeyCode, NamedKey, PhysicalKey};

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
        WindowEvent::KeyboardInput {
            event,
            is_synthetic,
            ..
        } => {
            let pressed = event.state == ElementState::Pressed;
            // When the window gains the focus, winit makes up a press for every key down at
            // that moment (`is_synthetic`, read with XQueryKeymap when it handles the focus,
            // not when the focus changed). Its real press went to another window, or, when
            // the focus is handled late, comes right after: forwarded, it typed the key twice
            // ("ссыц" for "сыц" through a busy viewer). X gives applications no press for a
            // key held on focus, and neither does this; the made-up releases on losing the
            // focus go on, so that no key stays down on the display.
            if *is_synthetic && pressed {
                return None;
            }
            let text = match (&event.text, pressed) {
                (Some(text), true) => text.to_string(),
                _ => String::new(),
            };
            InputEvent::Key {
                key: key_for(&event.logical_key, event.physical_key),
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

/// The protocol's key for a key press: the layout's key when its character is ASCII (or it
/// has a name), else the US key at the same place (see the module's docs).
pub fn key_for(logical: &WinitKey, physical: PhysicalKey) -> Key {
    let key = key_from_winit(logical);
    match key {
        Key::Character(c) if c.is_ascii() => key,
        Key::Character(_) | Key::Other(_) => us_key(physical).map_or(key, Key::Character),
        _ => key,
    }
}

/// The character of the key at `physical` on a US keyboard: letters and digits.
fn us_key(physical: PhysicalKey) -> Option<char> {
    let PhysicalKey::Code(code) = physical else {
        return None;
    };
    let letters = [
        (KeyCode::KeyA, 'a'),
        (KeyCode::KeyB, 'b'),
        (KeyCode::KeyC, 'c'),
        (KeyCode::KeyD, 'd'),
        (KeyCode::KeyE, 'e'),
        (KeyCode::KeyF, 'f'),
        (KeyCode::KeyG, 'g'),
        (KeyCode::KeyH, 'h'),
        (KeyCode::KeyI, 'i'),
        (KeyCode::KeyJ, 'j'),
        (KeyCode::KeyK, 'k'),
        (KeyCode::KeyL, 'l'),
        (KeyCode::KeyM, 'm'),
        (KeyCode::KeyN, 'n'),
        (KeyCode::KeyO, 'o'),
        (KeyCode::KeyP, 'p'),
        (KeyCode::KeyQ, 'q'),
        (KeyCode::KeyR, 'r'),
        (KeyCode::KeyS, 's'),
        (KeyCode::KeyT, 't'),
        (KeyCode::KeyU, 'u'),
        (KeyCode::KeyV, 'v'),
        (KeyCode::KeyW, 'w'),
        (KeyCode::KeyX, 'x'),
        (KeyCode::KeyY, 'y'),
        (KeyCode::KeyZ, 'z'),
        (KeyCode::Digit0, '0'),
        (KeyCode::Digit1, '1'),
        (KeyCode::Digit2, '2'),
        (KeyCode::Digit3, '3'),
        (KeyCode::Digit4, '4'),
        (KeyCode::Digit5, '5'),
        (KeyCode::Digit6, '6'),
        (KeyCode::Digit7, '7'),
        (KeyCode::Digit8, '8'),
        (KeyCode::Digit9, '9'),
    ];
    letters.iter().find(|(k, _)| *k == code).map(|(_, c)| *c)
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

    #[test]
    fn a_layout_keeps_its_ascii_keys_and_shortcuts_stay_in_place_for_the_others() {
        let at = |code| PhysicalKey::Code(code);
        // German: the key at US Y types z, and it is z (Ctrl+Z is the key labelled Z).
        assert_eq!(
            key_for(&WinitKey::Character("z".into()), at(KeyCode::KeyY)),
            Key::Character('z')
        );
        // Russian: the key at US C types с (Cyrillic), and it is c for shortcuts.
        assert_eq!(
            key_for(&WinitKey::Character("с".into()), at(KeyCode::KeyC)),
            Key::Character('c')
        );
        // French: é on the 2 key; € with AltGr on E.
        assert_eq!(
            key_for(&WinitKey::Character("é".into()), at(KeyCode::Digit2)),
            Key::Character('2')
        );
        assert_eq!(
            key_for(&WinitKey::Character("€".into()), at(KeyCode::KeyE)),
            Key::Character('e')
        );
        // Named keys stay named; a character off the letters and digits stays itself.
        assert_eq!(
            key_for(&WinitKey::Named(NamedKey::Enter), at(KeyCode::Enter)),
            Key::Enter
        );
        assert_eq!(
            key_for(&WinitKey::Character("ö".into()), at(KeyCode::Semicolon)),
            Key::Character('ö')
        );
    }
}
