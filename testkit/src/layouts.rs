//! Keyboard layouts to type through (issue 14): for each, X keycodes to press under
//! `setxkbmap` (Debian: x11-xkb-utils) and the text a notepad must save. The windowed
//! display server's tests and the thin client's type the same keys, into the notepad, with
//! the helpers below.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use netui::Display;

use crate::xvfb::Xvfb;
use crate::DEADLINE;

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

/// Sets `xvfb`'s keyboard to `layout` with `setxkbmap`; false, after a `SKIPPED` line, when
/// setxkbmap is not installed (a failure when `NETUI_REQUIRE_XVFB` is set).
pub fn set_layout(xvfb: &Xvfb, layout: &str) -> bool {
    let status = Command::new("setxkbmap")
        .args(["-display", xvfb.display(), layout])
        .status();
    match status {
        Ok(status) => {
            assert!(status.success(), "setxkbmap {layout} failed");
            true
        }
        Err(_) => {
            assert!(
                std::env::var_os("NETUI_REQUIRE_XVFB").is_none(),
                "NETUI_REQUIRE_XVFB is set but setxkbmap is not installed"
            );
            eprintln!("SKIPPED: setxkbmap is not installed (apt-get install x11-xkb-utils)");
            false
        }
    }
}

/// Waits until a window of the notepad has the focus on the display that `watcher` is
/// connected to.
pub fn wait_for_the_notepad(watcher: &mut Display) {
    let end = Instant::now() + DEADLINE;
    loop {
        let info = watcher.server_info().expect("info");
        let focused = info
            .clients
            .iter()
            .flat_map(|c| &c.windows)
            .any(|w| w.title.contains("Notepad") && w.focused);
        if focused {
            return;
        }
        assert!(Instant::now() < end, "the notepad never had the focus");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Presses `keys` (a [`Layout`]'s) on X window `window` of `xvfb`, then Ctrl+S on the key at
/// US S ([`KEY_S`]), and returns what the notepad saved to `path`; `how` names the way the
/// keys went, for the failure.
pub fn type_and_save(xvfb: &Xvfb, window: &str, keys: &[&str], path: &Path, how: &str) -> String {
    for step in keys {
        let (verb, code) = step.split_once(' ').expect("VERB CODE");
        xvfb.xdotool(&[verb, "--window", window, code]);
        std::thread::sleep(Duration::from_millis(30));
    }
    xvfb.xdotool(&["keydown", "--window", window, "Control_L"]);
    xvfb.xdotool(&["key", "--window", window, KEY_S]);
    xvfb.xdotool(&["keyup", "--window", window, "Control_L"]);
    let end = Instant::now() + DEADLINE;
    loop {
        if let Ok(saved) = std::fs::read_to_string(path) {
            return saved;
        }
        assert!(Instant::now() < end, "the notepad never saved ({how})");
        std::thread::sleep(Duration::from_millis(50));
    }
}
