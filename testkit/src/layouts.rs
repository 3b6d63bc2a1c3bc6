//! Keyboard layouts to type through (issue 14): for each, X keycodes to press under
//! `setxkbmap` (Debian: x11-xkb-utils) and the text a notepad must save. The windowed
//! display server's tests and the thin client's type the same keys.

/// A layout's keys and what they type.
pub struct Layout {
    /// The `setxkbmap` layout.
    pub name: &'static str,
    /// xdotool arguments: `key CODE`, or `keydown CODE` / `keyup CODE` around other keys
    /// (108 is AltGr).
    pub keys: &'static [&'static str],
    /// What they type.
    pub typed: &'static str,
}

/// German: Y and Z (swapped), the keys right of L (ö, ä), AltGr+E (€), AltGr+Q (@), the
/// dead acute then E (é).
pub const GERMAN: Layout = Layout {
    name: "de",
    keys: &[
        "key 29",
        "key 52",
        "key 47",
        "key 48",
        "keydown 108",
        "key 26",
        "key 24",
        "keyup 108",
        "key 21",
        "key 26",
    ],
    typed: "zyöä€@é",
};

/// French: the keys at US Q and W (a and z on AZERTY), 2 (é), AltGr+E (€), and the dead
/// circumflex then E (ê).
pub const FRENCH: Layout = Layout {
    name: "fr",
    keys: &[
        "key 24",
        "key 25",
        "key 11",
        "keydown 108",
        "key 26",
        "keyup 108",
        "key 34",
        "key 26",
    ],
    typed: "azé€ê",
};

/// Russian: the keys at US C, S and W (с, ы, ц); Ctrl+S is the key at US S, which types ы.
pub const RUSSIAN: Layout = Layout {
    name: "ru",
    keys: &["key 54", "key 39", "key 25"],
    typed: "сыц",
};

/// The key that saves with Ctrl, whatever it types in the layout: the one at US S.
pub const KEY_S: &str = "39";
