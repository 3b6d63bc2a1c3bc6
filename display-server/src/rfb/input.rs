//! A VNC viewer's keyboard and pointer, as the screen's own input events.
//!
//! RFB sends keys as X keysyms (what the key means in the viewer's layout, so a French or
//! German keyboard types its own characters) and the pointer as a position and a mask of
//! buttons, the wheel being buttons 4–7. [`RfbInput`] remembers what is held, so that it can
//! send the changes: each button's press and release, each wheel notch, and the modifiers.
//!
//! ```
//! use netui_display_server::rfb::input::RfbInput;
//! use netui_protocol::{InputEvent, Key, Point};
//!
//! let mut input = RfbInput::default();
//! let mut events = Vec::new();
//! input.key(true, 0x41, &mut events); // XK_A, typed with Shift
//! assert_eq!(
//!     events,
//!     [InputEvent::Key { key: Key::Character('a'), pressed: true, text: "A".into() }]
//! );
//! events.clear();
//! input.pointer(0, 10, 20, &mut events);
//! assert_eq!(events, [InputEvent::PointerMoved(Point::new(10, 20))]);
//! ```

use netui_protocol::{Button, InputEvent, Key, Modifiers, Point};
use xkeysym::Keysym;

/// What a viewer holds: modifiers, buttons, where its pointer is.
#[derive(Debug, Default)]
pub struct RfbInput {
    /// The modifier keysyms held, one bit each (see [`modifier`]).
    held: u8,
    /// The button mask of the last pointer event.
    buttons: u8,
    /// Where the pointer was last.
    position: Option<(u16, u16)>,
}

impl RfbInput {
    /// A KeyEvent: appends what it means to `out`. Keysyms that mean nothing here are
    /// dropped.
    pub fn key(&mut self, down: bool, keysym: u32, out: &mut Vec<InputEvent>) {
        if let Some((bit, key)) = modifier(keysym) {
            let before = self.modifiers();
            if down {
                self.held |= bit;
            } else {
                self.held &= !bit;
            }
            out.push(InputEvent::Key {
                key,
                pressed: down,
                text: String::new(),
            });
            if self.modifiers() != before {
                out.push(InputEvent::Modifiers(self.modifiers()));
            }
            return;
        }
        let Some((key, typed)) = translate(keysym) else {
            tracing::trace!(keysym, "a keysym that means nothing here");
            return;
        };
        // As a local keyboard does: Control and Alt make a key a command, not text.
        let command = self.modifiers().contains(Modifiers::CONTROL)
            || self.modifiers().contains(Modifiers::ALT);
        let text = match typed {
            Some(c) if down && !command => c.to_string(),
            _ => String::new(),
        };
        out.push(InputEvent::Key {
            key,
            pressed: down,
            text,
        });
    }

    /// A PointerEvent: appends the motion, each button that went down or up, and a notch of
    /// the wheel for each wheel button pressed.
    pub fn pointer(&mut self, buttons: u8, x: u16, y: u16, out: &mut Vec<InputEvent>) {
        if self.position != Some((x, y)) {
            self.position = Some((x, y));
            out.push(InputEvent::PointerMoved(Point::new(
                i32::from(x),
                i32::from(y),
            )));
        }
        let changed = buttons ^ self.buttons;
        let pressed = changed & buttons;
        self.buttons = buttons;
        for bit in 0..8 {
            let mask = 1 << bit;
            if changed & mask == 0 {
                continue;
            }
            let down = buttons & mask != 0;
            let wheel = |dx, dy| InputEvent::Wheel { dx, dy };
            match bit {
                0 => out.push(button(Button::Left, down)),
                1 => out.push(button(Button::Middle, down)),
                2 => out.push(button(Button::Right, down)),
                // X's wheel buttons 4-7: a notch per press; their releases mean nothing.
                3 if pressed & mask != 0 => out.push(wheel(0, -1)),
                4 if pressed & mask != 0 => out.push(wheel(0, 1)),
                5 if pressed & mask != 0 => out.push(wheel(-1, 0)),
                6 if pressed & mask != 0 => out.push(wheel(1, 0)),
                7 => out.push(button(Button::Back, down)),
                _ => {}
            }
        }
    }

    /// The modifiers held.
    pub fn modifiers(&self) -> Modifiers {
        let mut mods = Modifiers::NONE;
        for (bits, m) in [
            (SHIFT, Modifiers::SHIFT),
            (CONTROL, Modifiers::CONTROL),
            (ALT, Modifiers::ALT),
            (SUPER, Modifiers::SUPER),
        ] {
            if self.held & bits != 0 {
                mods = Modifiers(mods.0 | m.0);
            }
        }
        mods
    }

    /// Releases everything held (the viewer went away or lost its input): the events that
    /// a real keyboard and mouse would send, so that no key stays down on the display.
    pub fn release_all(&mut self, out: &mut Vec<InputEvent>) {
        for keysym in [
            0xffe1, 0xffe2, 0xffe3, 0xffe4, 0xffe9, 0xffea, 0xffeb, 0xffec,
        ] {
            if let Some((bit, _)) = modifier(keysym) {
                if self.held & bit != 0 {
                    self.key(false, keysym, out);
                }
            }
        }
        if let Some((x, y)) = self.position {
            self.pointer(0, x, y, out);
        }
    }
}

fn button(button: Button, pressed: bool) -> InputEvent {
    InputEvent::Button { button, pressed }
}

// One bit per modifier keysym, left and right apart, so that releasing one Shift while the
// other is held keeps Shift.
const SHIFT: u8 = 0b11;
const CONTROL: u8 = 0b1100;
const ALT: u8 = 0b11_0000;
const SUPER: u8 = 0b1100_0000;

/// A modifier keysym's bit and key.
fn modifier(keysym: u32) -> Option<(u8, Key)> {
    Some(match keysym {
        0xffe1 => (1, Key::Shift),         // Shift_L
        0xffe2 => (2, Key::Shift),         // Shift_R
        0xffe3 => (4, Key::Control),       // Control_L
        0xffe4 => (8, Key::Control),       // Control_R
        0xffe9 | 0xffe7 => (16, Key::Alt), // Alt_L, Meta_L
        0xffea | 0xffe8 => (32, Key::Alt), // Alt_R, Meta_R
        0xffeb => (64, Key::Super),        // Super_L
        0xffec => (128, Key::Super),       // Super_R
        _ => return None,
    })
}

/// The key a keysym names and the character it types, if it types one.
fn translate(keysym: u32) -> Option<(Key, Option<char>)> {
    let named = |key| Some((key, None));
    match keysym {
        0xff08 => named(Key::Backspace),
        0xff09 | 0xfe20 => named(Key::Tab), // Tab, ISO_Left_Tab (Shift+Tab)
        0xff0d | 0xff8d => named(Key::Enter), // Return, KP_Enter
        0xff1b => named(Key::Escape),
        0xffff | 0xff9f => named(Key::Delete),
        0xff63 | 0xff9e => named(Key::Insert),
        0xff50 | 0xff95 => named(Key::Home),
        0xff51 | 0xff96 => named(Key::Left),
        0xff52 | 0xff97 => named(Key::Up),
        0xff53 | 0xff98 => named(Key::Right),
        0xff54 | 0xff99 => named(Key::Down),
        0xff55 | 0xff9a => named(Key::PageUp),
        0xff56 | 0xff9b => named(Key::PageDown),
        0xff57 | 0xff9c => named(Key::End),
        // F1 to F35.
        0xffbe..=0xffe0 => named(Key::F((keysym - 0xffbe + 1) as u8)),
        _ => {
            // Printable keysyms: Latin-1, the legacy sets (Cyrillic, Greek, ...), Unicode
            // (0x0100_0000 + code point), and the keypad's digits and operators.
            let c = Keysym::new(keysym).key_char().filter(|c| !c.is_control())?;
            let key = c.to_lowercase().next().unwrap_or(c);
            Some((Key::Character(key), Some(c)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(input: &mut RfbInput, keysym: u32) -> Vec<InputEvent> {
        let mut out = Vec::new();
        input.key(true, keysym, &mut out);
        input.key(false, keysym, &mut out);
        out
    }

    fn press(key: Key, text: &str) -> InputEvent {
        InputEvent::Key {
            key,
            pressed: true,
            text: text.into(),
        }
    }

    #[test]
    fn layouts_type_their_own_characters() {
        let mut input = RfbInput::default();
        let cases: [(u32, char, &str); 7] = [
            (0x61, 'a', "a"),
            (0xe9, 'é', "é"),        // eacute, Latin-1 (French)
            (0xdf, 'ß', "ß"),        // ssharp (German)
            (0x6c1, 'а', "а"),       // Cyrillic_a, a legacy keysym (Russian)
            (0x7e1, 'α', "α"),       // Greek_alpha
            (0x0100_20ac, '€', "€"), // Unicode keysym (EuroSign via U+20AC)
            (0xffb7, '7', "7"),      // KP_7
        ];
        for (keysym, key, text) in cases {
            let events = typed(&mut input, keysym);
            assert_eq!(events[0], press(Key::Character(key), text), "{keysym:#x}");
            assert_eq!(
                events[1],
                InputEvent::Key {
                    key: Key::Character(key),
                    pressed: false,
                    text: String::new()
                }
            );
        }
    }

    #[test]
    fn capitals_are_the_lower_case_key_with_upper_case_text() {
        let mut input = RfbInput::default();
        let mut out = Vec::new();
        input.key(true, 0xffe1, &mut out);
        assert_eq!(out[1], InputEvent::Modifiers(Modifiers::SHIFT));
        let events = typed(&mut input, 0xc9); // Eacute
        assert_eq!(events[0], press(Key::Character('é'), "É"));
    }

    #[test]
    fn control_makes_a_command_and_both_shifts_must_go() {
        let mut input = RfbInput::default();
        let mut out = Vec::new();
        input.key(true, 0xffe3, &mut out); // Control_L
        let events = typed(&mut input, 0x73); // s
        assert_eq!(events[0], press(Key::Character('s'), ""));
        assert_eq!(input.modifiers(), Modifiers::CONTROL);

        input.key(true, 0xffe1, &mut out);
        input.key(true, 0xffe2, &mut out);
        input.key(false, 0xffe1, &mut out);
        assert!(input.modifiers().contains(Modifiers::SHIFT));
        input.key(false, 0xffe2, &mut out);
        assert!(!input.modifiers().contains(Modifiers::SHIFT));
    }

    #[test]
    fn named_keys_and_the_keypad() {
        let mut input = RfbInput::default();
        for (keysym, key) in [
            (0xff0d, Key::Enter),
            (0xff8d, Key::Enter),
            (0xff08, Key::Backspace),
            (0xff51, Key::Left),
            (0xff96, Key::Left), // KP_Left
            (0xffbe, Key::F(1)),
            (0xffc9, Key::F(12)),
            (0xffff, Key::Delete),
        ] {
            assert_eq!(typed(&mut input, keysym)[0], press(key, ""), "{keysym:#x}");
        }
        // Keysyms for which netui has no key (Caps_Lock, a dead key) are dropped.
        assert!(typed(&mut input, 0xffe5).is_empty());
        assert!(typed(&mut input, 0xfe51).is_empty());
    }

    #[test]
    fn buttons_and_the_wheel() {
        let mut input = RfbInput::default();
        let mut out = Vec::new();
        input.pointer(1, 5, 6, &mut out);
        assert_eq!(
            out,
            [
                InputEvent::PointerMoved(Point::new(5, 6)),
                button(Button::Left, true)
            ]
        );
        out.clear();
        input.pointer(0b1000, 5, 6, &mut out); // left up, wheel up pressed
        assert_eq!(
            out,
            [
                button(Button::Left, false),
                InputEvent::Wheel { dx: 0, dy: -1 }
            ]
        );
        out.clear();
        input.pointer(0, 5, 6, &mut out); // wheel button released: nothing
        assert!(out.is_empty());
        input.pointer(0b1_0100, 5, 6, &mut out); // right down, wheel down
        assert_eq!(
            out,
            [
                button(Button::Right, true),
                InputEvent::Wheel { dx: 0, dy: 1 }
            ]
        );
        out.clear();
        input.release_all(&mut out);
        assert_eq!(out, [button(Button::Right, false)]);
    }
}
